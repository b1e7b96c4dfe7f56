/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-rp.c: the relying party API (/v1/auth/...) with its API key check,
 * and the admin endpoints for relying parties and tokens
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

#include <entsec/entsec.h>

#include "server-auth.h"
#include "server-challenges.h"
#include "server-handlers.h"
#include "server-sync.h"
#include "server-push.h"
#include "server-tokens.h"

#define API_KEY_MAX_BYTES 256

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static void
unauthorized (EntsecResponse *response)
{
  entsec_response_problem (response, ENTSEC_PROBLEM_UNAUTHORIZED,
                           "Send the relying party's API key as \"Authorization: Bearer KEY\"");
  response->authenticate = "Bearer realm=\"entsec-rp\"";
}

/* The RP the bearer API key belongs to, or NULL after answering 401 or 500. */
static EntsecRp *
authenticate_rp (EntsecServer   *server,
                 EntsecRequest  *request,
                 EntsecResponse *response)
{
  const char *header = MHD_lookup_connection_value (request->connection, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_AUTHORIZATION);
  g_autoptr (GError) error = NULL;
  EntsecRp *rp;

  if (header == NULL || g_ascii_strncasecmp (header, "Bearer ", 7) != 0
      || strlen (header + 7) == 0 || strlen (header + 7) > API_KEY_MAX_BYTES)
    {
      unauthorized (response);
      return NULL;
    }
  rp = entsec_tokens_rp_authenticate (entsec_server_get_tokens (server), header + 7, &error);
  if (rp == NULL && error != NULL)
    entsec_response_storage_failed (response, error);
  else if (rp == NULL)
    unauthorized (response);
  return rp;
}

/*
 * An RP names a user by id ("usr_...") or by email address (what a VPN, an
 * IdP or a login knows). *id gets the user id for an address that belongs
 * to an enabled user, and otherwise @user as it was: the caller's lookup
 * then fails as for any unknown id (404 for a push; for validate the same
 * invalid_code as a wrong code, so addresses cannot be probed). FALSE only
 * when the storage failed.
 */
static gboolean
rp_user_id (EntsecServer *server,
            const char   *user,
            char        **id,
            GError      **error)
{
  g_autofree char *address = NULL;
  g_autoptr (EntsecUser) found = NULL;
  GError *local = NULL;

  *id = NULL;
  if (user != NULL && strchr (user, '@') != NULL
      && (address = entsec_server_normalize_email (user, NULL)) != NULL)
    {
      found = entsec_storage_user_find (entsec_server_get_storage (server), "email", address,
                                        &local);
      if (local != NULL)
        {
          g_propagate_error (error, local);
          return FALSE;
        }
    }
  *id = g_strdup (found != NULL ? found->id : user);
  return TRUE;
}

static json_t *
rp_to_json (const EntsecRp *rp)
{
  json_t *json = json_pack ("{s:i,s:s,s:s,s:I}", "v", 1, "id", rp->id, "name", rp->name,
                            "created", (json_int_t) rp->created);

  if (rp->revoked != 0)
    json_object_set_new (json, "revoked", json_integer (rp->revoked));
  return json;
}

static const char *const rp_members[] = { "name", NULL };

void
entsec_handle_admin_rp_create (EntsecServer      *server,
                               EntsecRequest     *request,
                               const char *const *params,
                               EntsecResponse    *response)
{
  g_autoptr (json_t) body = entsec_request_json (server, request, response);
  g_autoptr (EntsecRp) rp = NULL;
  g_autoptr (GError) error = NULL;
  char *key;
  json_t *json;

  if (body == NULL)
    return;
  if (!entsec_server_check_members (body, rp_members, TRUE, "A new relying party", &error))
    {
      entsec_response_problem (response, ENTSEC_PROBLEM_INVALID_REQUEST, error->message);
      return;
    }
  key = entsec_tokens_rp_create (entsec_server_get_tokens (server),
                                 json_string_value (json_object_get (body, "name")),
                                 now_seconds (), &rp, &error);
  if (key == NULL)
    {
      if (g_error_matches (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID))
        entsec_response_problem (response, ENTSEC_PROBLEM_INVALID_REQUEST, error->message);
      else if (g_error_matches (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFLICT))
        entsec_response_problem (response, ENTSEC_PROBLEM_CONFLICT,
                                 "Another relying party has this name");
      else
        entsec_response_storage_failed (response, error);
      return;
    }
  entsec_storage_audit (entsec_server_get_storage (server), request->admin->id, "rp.create",
                        rp->id, NULL);
  json = rp_to_json (rp);
  json_object_set_new (json, "api_key", json_string (key));
  OPENSSL_cleanse (key, strlen (key));
  g_free (key);
  /* The body now holds the key; the response copies it and frees the JSON. */
  entsec_response_json (response, 201, json);
}

void
entsec_handle_admin_rp_list (EntsecServer      *server,
                             EntsecRequest     *request,
                             const char *const *params,
                             EntsecResponse    *response)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) rps = entsec_storage_rp_list (entsec_server_get_storage (server),
                                                      &error);

  entsec_response_rows (response, "rps", rps, (EntsecRowToJson) rp_to_json, error);
}

void
entsec_handle_admin_rp_delete (EntsecServer      *server,
                               EntsecRequest     *request,
                               const char *const *params,
                               EntsecResponse    *response)
{
  EntsecStorage *storage = entsec_server_get_storage (server);
  g_autoptr (GError) error = NULL;
  gboolean found = FALSE;

  if (!entsec_storage_rp_revoke (storage, params[0], now_seconds (), &found, &error))
    entsec_response_storage_failed (response, error);
  else if (!found)
    entsec_response_problem (response, ENTSEC_PROBLEM_NOT_FOUND,
                             "There is no such relying party, or it is already revoked");
  else
    {
      entsec_storage_audit (storage, request->admin->id, "rp.revoke", params[0], NULL);
      entsec_response_empty (response, 204);
    }
}

static const char *
token_state_name (EntsecTokenState state)
{
  switch (state)
    {
    case ENTSEC_TOKEN_PENDING:
      return "pending";
    case ENTSEC_TOKEN_ACTIVE:
      return "active";
    case ENTSEC_TOKEN_REVOKED:
    default:
      return "revoked";
    }
}

/* Never the seed. */
static json_t *
token_to_json (const EntsecToken *token,
               gint64             now)
{
  json_t *json = json_pack ("{s:i,s:s,s:s,s:s,s:s,s:i,s:s,s:I,s:i}", "v", 1,
                            "id", token->id, "user", token->user_id, "type", token->type,
                            "algorithm", token->algorithm, "digits", (int) token->digits,
                            "state", token_state_name (token->state),
                            "created", (json_int_t) token->created,
                            "failures", (int) token->failures);

  if (strcmp (token->type, "totp") == 0)
    json_object_set_new (json, "period", json_integer (token->period));
  if (token->issuer != NULL)
    json_object_set_new (json, "issuer", json_string (token->issuer));
  if (token->label != NULL)
    json_object_set_new (json, "label", json_string (token->label));
  if (token->locked_until == G_MAXINT64)
    json_object_set_new (json, "locked", json_string ("until_reset"));
  else if (token->locked_until > now)
    json_object_set_new (json, "locked_until", json_integer (token->locked_until));
  return json;
}

/* A whole number member from @min to @max, @fallback when absent. */
static gboolean
get_uint (json_t     *body,
          const char *name,
          guint       fallback,
          guint       min,
          guint       max,
          guint      *value,
          GError    **error)
{
  json_t *member = json_object_get (body, name);

  *value = fallback;
  if (member == NULL)
    return TRUE;
  if (!json_is_integer (member) || json_integer_value (member) < min
      || json_integer_value (member) > max)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                   "\"%s\" must be a whole number from %u to %u", name, min, max);
      return FALSE;
    }
  *value = (guint) json_integer_value (member);
  return TRUE;
}

gboolean
entsec_server_check_token_body (json_t  *body,
                                GError **error)
{
  static const char *const strings[] = { "user", "type", "algorithm", "issuer", "label", NULL };
  const char *key;
  json_t *value;

  json_object_foreach (body, key, value)
    {
      gboolean ok = strcmp (key, "v") == 0
                    ? json_is_integer (value) && json_integer_value (value) == 1
                    : g_strv_contains (strings, key)
                      ? json_is_string (value)
                      : strcmp (key, "digits") == 0 || strcmp (key, "period") == 0;

      if (!ok)
        {
          g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                       "A new token has \"v\" (1), \"user\" and \"type\" (required), "
                       "\"algorithm\", \"issuer\", \"label\" (strings), \"digits\" and "
                       "\"period\" (numbers)");
          return FALSE;
        }
    }
  if (json_object_get (body, "user") == NULL || json_object_get (body, "type") == NULL)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                   "A new token needs \"user\" and \"type\" (\"totp\" or \"hotp\")");
      return FALSE;
    }
  return TRUE;
}

/* The user's devices learn of the new token at their next poll; a failure
 * is logged (the admin still has the secret, and a later sync finds it). */
static void
notify_devices (EntsecServer      *server,
                const EntsecToken *token)
{
  g_autoptr (GError) error = NULL;
  EntsecDeviceContext context;

  entsec_server_device_context (server, &context);
  if (!entsec_sync_notify (&context, token->user_id, token->id, now_seconds (), &error))
    g_message ("The devices of the user of token %s were not told of it: %s", token->id,
               error->message);
}

void
entsec_handle_admin_token_create (EntsecServer      *server,
                                  EntsecRequest     *request,
                                  const char *const *params,
                                  EntsecResponse    *response)
{
  EntsecStorage *storage = entsec_server_get_storage (server);
  g_autoptr (json_t) body = entsec_request_json (server, request, response);
  g_autoptr (EntsecUser) user = NULL;
  g_autoptr (EntsecToken) token = NULL;
  g_autoptr (GError) error = NULL;
  char *secret = NULL;
  guint digits = 0, period = 0;
  gint64 now = now_seconds ();
  json_t *json;

  if (body == NULL)
    return;
  if (!entsec_server_check_token_body (body, &error)
      || !get_uint (body, "digits", ENTSEC_OTP_DEFAULT_DIGITS, ENTSEC_OTP_MIN_DIGITS,
                    ENTSEC_OTP_MAX_DIGITS, &digits, &error)
      || !get_uint (body, "period", ENTSEC_OTP_DEFAULT_PERIOD, ENTSEC_OTP_MIN_PERIOD,
                    ENTSEC_OTP_MAX_PERIOD, &period, &error))
    {
      entsec_response_problem (response, ENTSEC_PROBLEM_INVALID_REQUEST, error->message);
      return;
    }
  user = entsec_storage_user_get (storage, json_string_value (json_object_get (body, "user")),
                                  &error);
  if (error != NULL)
    {
      entsec_response_storage_failed (response, error);
      return;
    }
  if (user == NULL)
    {
      entsec_response_problem (response, ENTSEC_PROBLEM_NOT_FOUND, "There is no such user");
      return;
    }
  token = entsec_tokens_create (entsec_server_get_tokens (server), user->id,
                                json_string_value (json_object_get (body, "type")),
                                json_string_value (json_object_get (body, "algorithm")),
                                digits, period,
                                json_string_value (json_object_get (body, "issuer")),
                                json_string_value (json_object_get (body, "label")),
                                now, &secret, &error);
  if (token == NULL)
    {
      if (g_error_matches (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID))
        entsec_response_problem (response, ENTSEC_PROBLEM_INVALID_REQUEST, error->message);
      else
        entsec_response_storage_failed (response, error);
      return;
    }
  entsec_storage_audit (storage, request->admin->id, "token.create", token->id, NULL);
  notify_devices (server, token);
  json = token_to_json (token, now);
  json_object_set_new (json, "secret", json_string (secret));
  entsec_secure_strfree (secret);
  entsec_response_json (response, 201, json);
}

void
entsec_handle_admin_token_list (EntsecServer      *server,
                                EntsecRequest     *request,
                                const char *const *params,
                                EntsecResponse    *response)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) tokens = entsec_storage_token_list (entsec_server_get_storage (server),
                                                            entsec_request_query (request,
                                                                                  "user"),
                                                            &error);
  gint64 now = now_seconds ();
  json_t *array;

  if (tokens == NULL)
    {
      entsec_response_storage_failed (response, error);
      return;
    }
  array = json_array ();
  for (guint i = 0; i < tokens->len; i++)
    json_array_append_new (array, token_to_json (g_ptr_array_index (tokens, i), now));
  entsec_response_json (response, 200, json_pack ("{s:i,s:o}", "v", 1, "tokens", array));
}

void
entsec_handle_admin_token_get (EntsecServer      *server,
                               EntsecRequest     *request,
                               const char *const *params,
                               EntsecResponse    *response)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecToken) token = entsec_storage_token_get (entsec_server_get_storage (server),
                                                            params[0], &error);

  if (error != NULL)
    entsec_response_storage_failed (response, error);
  else if (token == NULL)
    entsec_response_problem (response, ENTSEC_PROBLEM_NOT_FOUND, "There is no such token");
  else
    entsec_response_json (response, 200, token_to_json (token, now_seconds ()));
}

static void
change_token (EntsecServer   *server,
              EntsecRequest  *request,
              const char     *token_id,
              gboolean        revoke,
              EntsecResponse *response)
{
  EntsecTokens *tokens = entsec_server_get_tokens (server);
  g_autoptr (GError) error = NULL;
  gboolean found = FALSE;
  gboolean ok = revoke ? entsec_tokens_revoke (tokens, token_id, &found, &error)
                       : entsec_tokens_reset (tokens, token_id, &found, &error);

  if (!ok)
    entsec_response_storage_failed (response, error);
  else if (!found)
    entsec_response_problem (response, ENTSEC_PROBLEM_NOT_FOUND,
                             "There is no such token, or it is revoked");
  else
    {
      entsec_storage_audit (entsec_server_get_storage (server), request->admin->id,
                            revoke ? "token.revoke" : "token.reset", token_id, NULL);
      entsec_response_empty (response, 204);
    }
}

void
entsec_handle_admin_token_delete (EntsecServer      *server,
                                  EntsecRequest     *request,
                                  const char *const *params,
                                  EntsecResponse    *response)
{
  change_token (server, request, params[0], TRUE, response);
}

void
entsec_handle_admin_token_reset (EntsecServer      *server,
                                 EntsecRequest     *request,
                                 const char *const *params,
                                 EntsecResponse    *response)
{
  change_token (server, request, params[0], FALSE, response);
}

/* A code check's error as a problem: 400 invalid_code, 429 with Retry-After
 * while locked out, 403 after the hard stop. */
static void
code_problem (EntsecResponse *response,
              const GError   *error,
              gint64          retry_after)
{
  if (g_error_matches (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID))
    entsec_response_problem (response, ENTSEC_PROBLEM_INVALID_REQUEST, error->message);
  else if (g_error_matches (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE))
    entsec_response_problem (response, ENTSEC_PROBLEM_INVALID_CODE, error->message);
  else if (g_error_matches (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_RATE_LIMITED)
           && retry_after > 0)
    {
      entsec_response_problem (response, ENTSEC_PROBLEM_RATE_LIMITED, error->message);
      response->retry_after = g_strdup_printf ("%" G_GINT64_FORMAT, retry_after);
    }
  else if (g_error_matches (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_RATE_LIMITED))
    entsec_response_problem (response, ENTSEC_PROBLEM_FORBIDDEN, error->message);
  else
    entsec_response_storage_failed (response, error);
}

static const char *const ack_members[] = { "code", NULL };

void
entsec_handle_admin_token_ack (EntsecServer      *server,
                               EntsecRequest     *request,
                               const char *const *params,
                               EntsecResponse    *response)
{
  g_autoptr (json_t) body = entsec_request_json (server, request, response);
  g_autoptr (GError) error = NULL;
  gint64 retry_after = 0;

  if (body == NULL)
    return;
  if (!entsec_server_check_members (body, ack_members, TRUE, "A token ack", &error))
    {
      entsec_response_problem (response, ENTSEC_PROBLEM_INVALID_REQUEST, error->message);
      return;
    }
  if (!entsec_tokens_ack (entsec_server_get_tokens (server), params[0],
                          json_string_value (json_object_get (body, "code")), now_seconds (),
                          &retry_after, &error))
    {
      code_problem (response, error, retry_after);
      return;
    }
  entsec_storage_audit (entsec_server_get_storage (server), request->admin->id, "token.ack",
                        params[0], NULL);
  entsec_response_empty (response, 204);
}

static const char *const resync_members[] = { "code", "next_code", NULL };

void
entsec_handle_admin_token_resync (EntsecServer      *server,
                                  EntsecRequest     *request,
                                  const char *const *params,
                                  EntsecResponse    *response)
{
  g_autoptr (json_t) body = entsec_request_json (server, request, response);
  g_autoptr (GError) error = NULL;
  gboolean found = FALSE;

  if (body == NULL)
    return;
  if (!entsec_server_check_members (body, resync_members, TRUE, "A token resync", &error))
    {
      entsec_response_problem (response, ENTSEC_PROBLEM_INVALID_REQUEST, error->message);
      return;
    }
  if (!entsec_tokens_resync (entsec_server_get_tokens (server), params[0],
                             json_string_value (json_object_get (body, "code")),
                             json_string_value (json_object_get (body, "next_code")), &found,
                             &error))
    code_problem (response, error, 0);
  else if (!found)
    entsec_response_problem (response, ENTSEC_PROBLEM_NOT_FOUND,
                             "There is no such token, or it is revoked");
  else
    {
      entsec_storage_audit (entsec_server_get_storage (server), request->admin->id,
                            "token.resync", params[0], NULL);
      entsec_response_empty (response, 204);
    }
}

gboolean
entsec_server_token_ack (EntsecServer *server,
                         const char   *token_id,
                         const char   *otp,
                         gint64        now,
                         GError      **error)
{
  gint64 retry_after = 0;

  if (!entsec_tokens_ack (entsec_server_get_tokens (server), token_id, otp, now, &retry_after,
                          error))
    return FALSE;
  entsec_storage_audit (entsec_server_get_storage (server), "device", "token.ack", token_id,
                        NULL);
  return TRUE;
}

static const char *const validate_members[] = { "user", "token", "code", NULL };

void
entsec_handle_auth_validate (EntsecServer      *server,
                             EntsecRequest     *request,
                             const char *const *params,
                             EntsecResponse    *response)
{
  EntsecStorage *storage = entsec_server_get_storage (server);
  g_autoptr (EntsecRp) rp = authenticate_rp (server, request, response);
  g_autoptr (json_t) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *used = NULL;
  g_autofree char *user_id = NULL;
  const char *user, *token, *code;
  gint64 retry_after = 0;

  if (rp == NULL || (body = entsec_request_json (server, request, response)) == NULL)
    return;
  user = json_string_value (json_object_get (body, "user"));
  token = json_string_value (json_object_get (body, "token"));
  code = json_string_value (json_object_get (body, "code"));
  if (!entsec_server_check_members (body, validate_members, FALSE, "A code to validate", &error)
      || code == NULL || (user == NULL) == (token == NULL))
    {
      entsec_response_problem (response, ENTSEC_PROBLEM_INVALID_REQUEST,
                               "A code to validate has \"v\" (1), \"code\" and either "
                               "\"user\" or \"token\" (strings)");
      return;
    }
  if (!rp_user_id (server, user, &user_id, &error))
    {
      entsec_response_storage_failed (response, error);
      return;
    }
  user = user_id;
  if (!entsec_tokens_validate (entsec_server_get_tokens (server), user, token, code,
                               now_seconds (), &retry_after, &used, &error))
    {
      if (g_error_matches (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE))
        entsec_storage_audit (storage, rp->id, "auth.validate.fail", token ? token : user, NULL);
      else if (g_error_matches (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_RATE_LIMITED))
        entsec_storage_audit (storage, rp->id, "auth.validate.locked", token ? token : user,
                              NULL);
      code_problem (response, error, retry_after);
      return;
    }
  entsec_storage_audit (storage, rp->id, "auth.validate.ok", used, NULL);
  entsec_response_json (response, 200, json_pack ("{s:i,s:s,s:s}", "v", 1, "result", "valid",
                                                  "token", used));
}

static const char *const push_members[] = { "user", "context", "number_matching", NULL };

gboolean
entsec_server_check_push_body (json_t  *body,
                               GError **error)
{
  const char *key;
  json_t *value;

  json_object_foreach (body, key, value)
    {
      gboolean ok = strcmp (key, "v") == 0
                    ? json_is_integer (value) && json_integer_value (value) == 1
                    : g_strv_contains (push_members, key)
                      && (strcmp (key, "context") == 0 || json_is_string (value));

      if (!ok)
        {
          g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                       "A sign-in request has \"v\" (1), \"user\" (required), \"context\" "
                       "(an object) and \"number_matching\" (a string)");
          return FALSE;
        }
    }
  if (json_object_get (body, "user") == NULL)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                   "A sign-in request needs \"user\"");
      return FALSE;
    }
  return TRUE;
}

static json_t *
push_to_json (const EntsecPush *push,
              gint64            now)
{
  json_t *json = json_pack ("{s:i,s:s,s:s,s:I}", "v", 1, "transaction_id", push->id,
                            "state", entsec_push_state_name (push->state),
                            "expires_in", (json_int_t) MAX (push->expires - now, 0));

  if (push->number != 0 && push->state != ENTSEC_PUSH_MUTED)
    json_object_set_new (json, "number", json_integer (push->number));
  if (push->deny_reason != NULL)
    json_object_set_new (json, "deny_reason", json_string (push->deny_reason));
  if (push->flagged)
    json_object_set_new (json, "flagged", json_true ());
  return json;
}

/* The push goes to the user's devices as events; a failure is logged, and
 * the RP still gets its transaction (it expires unanswered). */
static void
deliver_push (EntsecServer     *server,
              const EntsecPush *push,
              gint64            now)
{
  g_autoptr (GError) error = NULL;
  EntsecDeviceContext context;
  guint delivered = 0;
  gboolean ok;

  entsec_server_device_context (server, &context);
  ok = entsec_push_deliver (&context, push, now, &delivered, &error);
  entsec_metrics_add (entsec_server_get_metrics (server), ENTSEC_METRICS_PUSHES_DELIVERED,
                      delivered);
  if (!ok)
    g_message ("Sign-in request %s could not be sent to the devices: %s", push->id,
               error->message);
}

void
entsec_handle_auth_push (EntsecServer      *server,
                         EntsecRequest     *request,
                         const char *const *params,
                         EntsecResponse    *response)
{
  g_autoptr (EntsecRp) rp = authenticate_rp (server, request, response);
  g_autoptr (json_t) body = NULL;
  g_autoptr (EntsecPush) push = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *user_id = NULL;
  gint64 retry_after = 0, now = now_seconds ();

  if (rp == NULL || (body = entsec_request_json (server, request, response)) == NULL)
    return;
  if (!entsec_server_check_push_body (body, &error))
    {
      entsec_response_problem (response, ENTSEC_PROBLEM_INVALID_REQUEST, error->message);
      return;
    }
  if (!rp_user_id (server, json_string_value (json_object_get (body, "user")), &user_id,
                   &error))
    {
      entsec_response_storage_failed (response, error);
      return;
    }
  push = entsec_push_start (entsec_server_get_storage (server), rp->id, user_id,
                            json_object_get (body, "context"),
                            json_string_value (json_object_get (body, "number_matching")),
                            now, &retry_after, &error);
  if (push != NULL)
    {
      entsec_metrics_add (entsec_server_get_metrics (server), ENTSEC_METRICS_PUSHES_STARTED, 1);
      deliver_push (server, push, now);
      entsec_response_json (response, 201, push_to_json (push, now));
    }
  else if (g_error_matches (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID))
    entsec_response_problem (response, ENTSEC_PROBLEM_INVALID_REQUEST, error->message);
  else if (g_error_matches (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE))
    entsec_response_problem (response, ENTSEC_PROBLEM_NOT_FOUND, error->message);
  else if (g_error_matches (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_RATE_LIMITED))
    {
      entsec_response_problem (response, ENTSEC_PROBLEM_RATE_LIMITED, error->message);
      response->retry_after = g_strdup_printf ("%" G_GINT64_FORMAT, retry_after);
    }
  else
    entsec_response_storage_failed (response, error);
}

void
entsec_handle_auth_transaction (EntsecServer      *server,
                                EntsecRequest     *request,
                                const char *const *params,
                                EntsecResponse    *response)
{
  g_autoptr (EntsecRp) rp = authenticate_rp (server, request, response);
  g_autoptr (EntsecPush) push = NULL;
  g_autoptr (GError) error = NULL;
  gint64 now = now_seconds ();

  if (rp == NULL)
    return;
  push = entsec_push_poll (entsec_server_get_storage (server), params[0], rp->id, now, &error);
  if (error != NULL)
    entsec_response_storage_failed (response, error);
  else if (push == NULL)
    entsec_response_problem (response, ENTSEC_PROBLEM_NOT_FOUND,
                             "There is no such sign-in request of this relying party");
  else
    entsec_response_json (response, 200, push_to_json (push, now));
}

gboolean
entsec_server_push_answer (EntsecServer *server,
                           const char   *tx_id,
                           const char   *device_id,
                           const char   *decision,
                           guint         number,
                           const char   *deny_reason,
                           gint64        now,
                           GError      **error)
{
  return entsec_push_answer (entsec_server_get_storage (server), tx_id, device_id, decision,
                             number, deny_reason, now, error);
}
