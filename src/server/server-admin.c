/* SPDX-License-Identifier: GPL-3.0-or-later */
/* server-admin.c: the admin API: bearer token check, users, audit log */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

#include "server-auth.h"
#include "server-handlers.h"

#define TOKEN_MAX_BYTES 256

static gboolean
unauthorized (EntsecResponse *response)
{
  entsec_response_problem (response, ENTSEC_PROBLEM_UNAUTHORIZED,
                           "Send the admin token as \"Authorization: Bearer TOKEN\"");
  response->authenticate = "Bearer realm=\"entsec-admin\"";
  return FALSE;
}

/* Every admin's digest is compared, in constant time, whichever matches. */
static EntsecAdmin *
find_admin (GPtrArray    *admins,
            const guint8 *digest)
{
  EntsecAdmin *found = NULL;

  for (guint i = 0; i < admins->len; i++)
    {
      EntsecAdmin *admin = g_ptr_array_index (admins, i);

      if (CRYPTO_memcmp (admin->token_sha256, digest, ENTSEC_SERVER_DIGEST_SIZE) == 0)
        found = admin;
    }
  return found;
}

gboolean
entsec_server_authenticate_admin (EntsecServer   *server,
                                  EntsecRequest  *request,
                                  EntsecResponse *response)
{
  const char *header = MHD_lookup_connection_value (request->connection, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_AUTHORIZATION);
  guint8 digest[ENTSEC_SERVER_DIGEST_SIZE];
  g_autoptr (GPtrArray) admins = NULL;
  g_autoptr (GError) error = NULL;
  EntsecAdmin *admin;
  const char *token;

  if (header == NULL || g_ascii_strncasecmp (header, "Bearer ", 7) != 0)
    return unauthorized (response);
  token = header + 7;
  if (strlen (token) == 0 || strlen (token) > TOKEN_MAX_BYTES)
    return unauthorized (response);
  entsec_server_sha256 (token, strlen (token), digest);
  admins = entsec_storage_admin_list (entsec_server_get_storage (server), &error);
  if (admins == NULL)
    {
      g_message ("Admin check failed: %s", error->message);
      entsec_response_problem (response, ENTSEC_PROBLEM_INTERNAL, NULL);
      return FALSE;
    }
  admin = find_admin (admins, digest);
  if (admin == NULL)
    return unauthorized (response);
  request->admin = g_new0 (EntsecAdmin, 1);
  request->admin->id = g_strdup (admin->id);
  request->admin->name = g_strdup (admin->name);
  return TRUE;
}

static json_t *
user_to_json (gconstpointer row)
{
  const EntsecUser *user = row;
  json_t *json = json_pack ("{s:i,s:s,s:b,s:I}", "v", 1, "id", user->id,
                            "disabled", user->disabled, "created", (json_int_t) user->created);

  if (user->email != NULL)
    json_object_set_new (json, "email", json_string (user->email));
  if (user->phone != NULL)
    json_object_set_new (json, "phone", json_string (user->phone));
  if (user->name != NULL)
    json_object_set_new (json, "name", json_string (user->name));
  return json;
}

static const char *const user_members[] = { "email", "phone", "name", NULL };

static EntsecUser *
user_from_body (json_t  *body,
                GError **error)
{
  g_autoptr (EntsecUser) user = g_new0 (EntsecUser, 1);
  const char *email = json_string_value (json_object_get (body, "email"));
  const char *phone = json_string_value (json_object_get (body, "phone"));
  const char *name = json_string_value (json_object_get (body, "name"));

  if (!entsec_server_check_members (body, user_members, FALSE, "A new user", error))
    return NULL;
  if (email == NULL && phone == NULL)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                   "A user needs \"email\", \"phone\" or both");
      return NULL;
    }
  if ((email != NULL && (user->email = entsec_server_normalize_email (email, error)) == NULL)
      || (phone != NULL && (user->phone = entsec_server_normalize_phone (phone, error)) == NULL)
      || (name != NULL && !entsec_server_check_name (name, error)))
    return NULL;
  user->name = g_strdup (name);
  user->id = entsec_server_random_id ("usr_");
  user->created = g_get_real_time () / G_USEC_PER_SEC;
  return g_steal_pointer (&user);
}

void
entsec_handle_admin_user_create (EntsecServer      *server,
                                 EntsecRequest     *request,
                                 const char *const *params,
                                 EntsecResponse    *response)
{
  EntsecStorage *storage = entsec_server_get_storage (server);
  g_autoptr (json_t) body = entsec_request_json (server, request, response);
  g_autoptr (EntsecUser) user = NULL;
  g_autoptr (GError) error = NULL;

  if (body == NULL)
    return;
  user = user_from_body (body, &error);
  if (user == NULL)
    entsec_response_problem (response, ENTSEC_PROBLEM_INVALID_REQUEST, error->message);
  else if (!entsec_storage_user_create (storage, user, &error))
    {
      if (g_error_matches (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFLICT))
        entsec_response_problem (response, ENTSEC_PROBLEM_CONFLICT,
                                 "Another user has this email address or phone number");
      else
        entsec_response_storage_failed (response, error);
    }
  else
    {
      entsec_storage_audit (storage, request->admin->id, "user.create", user->id, NULL);
      entsec_response_json (response, 201, user_to_json (user));
    }
}

void
entsec_handle_admin_user_list (EntsecServer      *server,
                               EntsecRequest     *request,
                               const char *const *params,
                               EntsecResponse    *response)
{
  g_autoptr (GPtrArray) users = NULL;
  g_autoptr (GError) error = NULL;
  guint limit;

  if (!entsec_request_list_limit (request, &limit, response))
    return;
  users = entsec_storage_user_list (entsec_server_get_storage (server),
                                    entsec_request_query (request, "after"), limit, &error);
  entsec_response_rows (response, "users", users, user_to_json, error);
}

void
entsec_handle_admin_user_get (EntsecServer      *server,
                              EntsecRequest     *request,
                              const char *const *params,
                              EntsecResponse    *response)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecUser) user = entsec_storage_user_get (entsec_server_get_storage (server),
                                                         params[0], &error);

  if (error != NULL)
    entsec_response_storage_failed (response, error);
  else if (user == NULL)
    entsec_response_problem (response, ENTSEC_PROBLEM_NOT_FOUND, "There is no such user");
  else
    entsec_response_json (response, 200, user_to_json (user));
}

/* The devices revoked with their user: audited, and told at their next poll. */
static void
note_revoked_devices (EntsecServer  *server,
                      EntsecRequest *request,
                      GPtrArray     *device_ids)
{
  g_autoptr (json_t) body = json_pack ("{s:i}", "v", 1);
  EntsecDeviceContext context;

  entsec_server_device_context (server, &context);
  for (guint i = 0; i < device_ids->len; i++)
    {
      const char *device_id = g_ptr_array_index (device_ids, i);

      entsec_storage_audit (context.storage, request->admin->id, "device.revoke", device_id,
                            NULL);
      entsec_device_event_add (&context, device_id, "policy", body, entsec_server_now (), NULL);
    }
}

void
entsec_handle_admin_user_delete (EntsecServer      *server,
                                 EntsecRequest     *request,
                                 const char *const *params,
                                 EntsecResponse    *response)
{
  EntsecStorage *storage = entsec_server_get_storage (server);
  g_autoptr (GPtrArray) revoked = NULL;
  g_autoptr (GError) error = NULL;
  gboolean found = FALSE;

  if (!entsec_storage_user_remove (storage, params[0], &revoked, &found, &error))
    entsec_response_storage_failed (response, error);
  else if (!found)
    entsec_response_problem (response, ENTSEC_PROBLEM_NOT_FOUND, "There is no such user");
  else
    {
      entsec_storage_audit (storage, request->admin->id, "user.delete", params[0], NULL);
      note_revoked_devices (server, request, revoked);
      entsec_response_empty (response, 204);
    }
}

static json_t *
audit_to_json (gconstpointer row)
{
  const EntsecAuditEntry *entry = row;
  json_t *json = json_pack ("{s:I,s:I,s:s,s:s}", "seq", (json_int_t) entry->seq,
                            "time", (json_int_t) entry->time, "actor", entry->actor,
                            "action", entry->action);

  if (entry->target != NULL)
    json_object_set_new (json, "target", json_string (entry->target));
  return json;
}

void
entsec_handle_admin_audit (EntsecServer      *server,
                           EntsecRequest     *request,
                           const char *const *params,
                           EntsecResponse    *response)
{
  const char *after_text = entsec_request_query (request, "after");
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GError) error = NULL;
  guint64 after = 0;
  guint limit;

  if (after_text != NULL && !g_ascii_string_to_unsigned (after_text, 10, 0, G_MAXINT64,
                                                         &after, NULL))
    {
      entsec_response_problem (response, ENTSEC_PROBLEM_INVALID_REQUEST,
                               "\"after\" must be a sequence number");
      return;
    }
  if (!entsec_request_list_limit (request, &limit, response))
    return;
  entries = entsec_storage_audit_list (entsec_server_get_storage (server), (gint64) after,
                                       limit, &error);
  entsec_response_rows (response, "entries", entries, audit_to_json, error);
}
