/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-devices-http.c: the device endpoints (POST /v1/devices,
 * /v1/devices/{id}/...) and the admin's devices and policies.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include <microhttpd.h>

#include "server-auth.h"
#include "server-challenges.h"
#include "server-handlers.h"
#include "server-sync.h"
#include "server-policy.h"

/* @answer as JSON with @status, or the problem of @error when it is NULL. */
static void
respond (EntsecResponse *response,
         guint           status,
         json_t         *answer,
         const GError   *error)
{
  if (answer == NULL)
    entsec_device_problem (response, error);
  else
    entsec_response_json (response, status, answer);
}

void
entsec_handle_device_register (EntsecServer      *server,
                               EntsecRequest     *request,
                               const char *const *params,
                               EntsecResponse    *response)
{
  g_autoptr (EntsecSignedRequest) signed_request = entsec_signed_request_new (server, request);
  g_autoptr (json_t) body = entsec_request_json (server, request, response);
  g_autoptr (GError) error = NULL;
  EntsecDeviceContext context;
  json_t *answer;

  if (body == NULL)
    return;
  entsec_server_device_context (server, &context);
  answer = entsec_device_register (&context, &signed_request->message, body,
                                   entsec_server_now (), &error);
  respond (response, 201, answer, error);
}

/* TRUE when If-None-Match lists @etag (or is "*"). */
static gboolean
etag_matches (EntsecRequest *request,
              const char    *etag)
{
  const char *header = MHD_lookup_connection_value (request->connection, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_IF_NONE_MATCH);
  g_auto (GStrv) tags = NULL;

  if (header == NULL)
    return FALSE;
  tags = g_strsplit (header, ",", 64);
  for (guint i = 0; tags[i] != NULL; i++)
    {
      const char *tag = g_strstrip (tags[i]);

      if (g_str_has_prefix (tag, "W/"))
        tag += 2;
      if (strcmp (tag, etag) == 0 || strcmp (tag, "*") == 0)
        return TRUE;
    }
  return FALSE;
}

void
entsec_handle_device_policy (EntsecServer      *server,
                             EntsecRequest     *request,
                             const char *const *params,
                             EntsecResponse    *response)
{
  g_autoptr (EntsecDevice) device = entsec_server_authenticate_device (server, request,
                                                                       params[0], TRUE,
                                                                       response);
  g_autoptr (GError) error = NULL;
  g_autofree char *jws = NULL;
  EntsecDeviceContext context;
  gint64 version = 0;

  if (device == NULL)
    return;
  entsec_server_device_context (server, &context);
  jws = entsec_device_policy (&context, device->id, entsec_server_now (), &version, &error);
  if (jws == NULL)
    {
      entsec_device_problem (response, error);
      return;
    }
  response->etag = g_strdup_printf ("\"p%" G_GINT64_FORMAT "\"", version);
  if (etag_matches (request, response->etag))
    {
      entsec_response_empty (response, MHD_HTTP_NOT_MODIFIED);
      return;
    }
  response->status = 200;
  response->content_type = "application/jose";
  response->body = g_bytes_new_take (g_steal_pointer (&jws), strlen (jws));
}

typedef json_t *(*DeviceCall) (const EntsecDeviceContext *context,
                               EntsecDevice              *device,
                               json_t                    *body,
                               gint64                     now,
                               GError                   **error);

/*
 * The device of a signed POST and its JSON body; NULL after answering the
 * problem. Revoked and suspended devices pass with @allow_revoked.
 */
static EntsecDevice *
signed_json (EntsecServer   *server,
             EntsecRequest  *request,
             const char     *device_id,
             gboolean        allow_revoked,
             json_t        **body,
             EntsecResponse *response)
{
  g_autoptr (EntsecDevice) device = entsec_server_authenticate_device (server, request,
                                                                       device_id, allow_revoked,
                                                                       response);

  if (device == NULL)
    return NULL;
  *body = entsec_request_json (server, request, response);
  return *body != NULL ? g_steal_pointer (&device) : NULL;
}

/* A signed POST of an active device, answered with @call's result. */
static void
signed_post (EntsecServer      *server,
             EntsecRequest     *request,
             const char        *device_id,
             DeviceCall         call,
             EntsecResponse    *response)
{
  g_autoptr (json_t) body = NULL;
  g_autoptr (EntsecDevice) device = signed_json (server, request, device_id, FALSE, &body,
                                                 response);
  g_autoptr (GError) error = NULL;
  EntsecDeviceContext context;
  json_t *answer;

  if (device == NULL)
    return;
  entsec_server_device_context (server, &context);
  answer = call (&context, device, body, entsec_server_now (), &error);
  respond (response, 200, answer, error);
}

void
entsec_handle_device_status (EntsecServer      *server,
                             EntsecRequest     *request,
                             const char *const *params,
                             EntsecResponse    *response)
{
  signed_post (server, request, params[0], entsec_device_status, response);
}

void
entsec_handle_device_op_challenge (EntsecServer      *server,
                                   EntsecRequest     *request,
                                   const char *const *params,
                                   EntsecResponse    *response)
{
  signed_post (server, request, params[0], entsec_device_op_challenge, response);
}

void
entsec_handle_device_unbind (EntsecServer      *server,
                             EntsecRequest     *request,
                             const char *const *params,
                             EntsecResponse    *response)
{
  signed_post (server, request, params[0], entsec_device_unbind, response);
}

void
entsec_handle_device_rekey (EntsecServer      *server,
                            EntsecRequest     *request,
                            const char *const *params,
                            EntsecResponse    *response)
{
  signed_post (server, request, params[0], entsec_device_rekey, response);
}

/* The admin side. */

void
entsec_handle_admin_device_list (EntsecServer      *server,
                                 EntsecRequest     *request,
                                 const char *const *params,
                                 EntsecResponse    *response)
{
  g_autoptr (GPtrArray) devices = NULL;
  g_autoptr (GError) error = NULL;
  guint limit;

  if (!entsec_request_list_limit (request, &limit, response))
    return;
  devices = entsec_storage_device_list (entsec_server_get_storage (server),
                                        entsec_request_query (request, "user"),
                                        entsec_request_query (request, "after"), limit,
                                        &error);
  entsec_response_rows (response, "devices", devices, (EntsecRowToJson) entsec_device_to_json,
                        error);
}

void
entsec_handle_admin_device_get (EntsecServer      *server,
                                EntsecRequest     *request,
                                const char *const *params,
                                EntsecResponse    *response)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecDevice) device = entsec_storage_device_get (entsec_server_get_storage (server),
                                                               params[0], &error);

  if (error != NULL)
    entsec_response_storage_failed (response, error);
  else if (device == NULL)
    entsec_response_problem (response, ENTSEC_PROBLEM_NOT_FOUND, "There is no such device");
  else
    entsec_response_json (response, 200, entsec_device_to_json (device));
}

/* After a change of state or policy: tell the device at its next poll. */
static void
note_policy_event (const EntsecDeviceContext *context,
                   const char                *device_id)
{
  g_autoptr (json_t) body = json_pack ("{s:i}", "v", 1);

  entsec_device_event_add (context, device_id, "policy", body, entsec_server_now (), NULL);
}

/* An admin changes a device's state: 204, 404 or 409. */
static void
admin_set_state (EntsecServer      *server,
                 EntsecRequest     *request,
                 const char        *device_id,
                 EntsecDeviceState  state,
                 const char        *action,
                 EntsecResponse    *response)
{
  g_autoptr (GError) error = NULL;
  EntsecDeviceContext context;
  gboolean found = FALSE;

  entsec_server_device_context (server, &context);
  if (!entsec_device_set_state (&context, device_id, state, &found, &error))
    {
      if (error != NULL)
        entsec_device_problem (response, error);
      else
        entsec_response_problem (response, ENTSEC_PROBLEM_NOT_FOUND, "There is no such device");
      return;
    }
  entsec_storage_audit (context.storage, request->admin->id, action, device_id, NULL);
  note_policy_event (&context, device_id);
  entsec_response_empty (response, MHD_HTTP_NO_CONTENT);
}

void
entsec_handle_admin_device_revoke (EntsecServer      *server,
                                   EntsecRequest     *request,
                                   const char *const *params,
                                   EntsecResponse    *response)
{
  admin_set_state (server, request, params[0], ENTSEC_DEVICE_REVOKED, "device.revoke",
                   response);
}

void
entsec_handle_admin_device_activate (EntsecServer      *server,
                                     EntsecRequest     *request,
                                     const char *const *params,
                                     EntsecResponse    *response)
{
  admin_set_state (server, request, params[0], ENTSEC_DEVICE_ACTIVE, "device.activate",
                   response);
}

/* A "policy" event for every active device @scope reaches (the tenant: all
 * of them; a user: theirs; a device: itself), page by page, so that their
 * long-polls wake and they fetch the new policy at once. Suspended and
 * revoked devices cannot poll; they read their state with the policy. */
static void
note_policy_events (EntsecServer *server,
                    const char   *scope,
                    const char   *id)
{
  g_autofree char *after = NULL;
  const char *user_id = g_str_has_prefix (scope, "user:") ? id : NULL;
  EntsecDeviceContext context;

  entsec_server_device_context (server, &context);
  if (g_str_has_prefix (scope, "device:"))
    {
      note_policy_event (&context, id);
      return;
    }
  for (;;)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) devices = entsec_storage_device_list (context.storage, user_id,
                                                                  after, ENTSEC_LIST_MAX,
                                                                  &error);

      if (devices == NULL)
        {
          g_warning ("The devices of %s were not told of a policy change: %s", scope,
                     error->message);
          return;
        }
      for (guint i = 0; i < devices->len; i++)
        {
          EntsecDevice *device = g_ptr_array_index (devices, i);

          if (device->state == ENTSEC_DEVICE_ACTIVE)
            note_policy_event (&context, device->id);
        }
      if (devices->len < ENTSEC_LIST_MAX)
        return;
      g_free (after);
      after = g_strdup (((EntsecDevice *) g_ptr_array_index (devices, devices->len - 1))->id);
    }
}

/* "tenant", "user:ID" or "device:ID" for the route; NULL after answering 404. */
static char *
policy_scope (EntsecServer      *server,
              EntsecRequest     *request,
              const char *const *params,
              EntsecResponse    *response)
{
  EntsecStorage *storage = entsec_server_get_storage (server);
  g_autoptr (GError) error = NULL;
  gboolean exists = FALSE;

  if (params[0] == NULL)
    return g_strdup (ENTSEC_POLICY_SCOPE_TENANT);
  if (strstr (request->path, "/policies/users/") != NULL)
    {
      g_autoptr (EntsecUser) user = entsec_storage_user_get (storage, params[0], &error);

      exists = user != NULL;
    }
  else
    {
      g_autoptr (EntsecDevice) device = entsec_storage_device_get (storage, params[0], &error);

      exists = device != NULL;
    }
  if (error != NULL)
    entsec_response_storage_failed (response, error);
  else if (!exists)
    entsec_response_problem (response, ENTSEC_PROBLEM_NOT_FOUND, "There is no such user or "
                                                                 "device");
  if (!exists)
    return NULL;
  return g_strconcat (strstr (request->path, "/policies/users/") != NULL ? "user:" : "device:",
                      params[0], NULL);
}

void
entsec_handle_admin_policy_get (EntsecServer      *server,
                                EntsecRequest     *request,
                                const char *const *params,
                                EntsecResponse    *response)
{
  g_autofree char *scope = policy_scope (server, request, params, response);
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  json_t *settings;

  if (scope == NULL)
    return;
  if (!entsec_storage_policy_get (entsec_server_get_storage (server), scope, &text, &error))
    {
      entsec_response_storage_failed (response, error);
      return;
    }
  settings = text != NULL ? json_loads (text, 0, NULL) : json_object ();
  entsec_response_json (response, 200, json_pack ("{s:i,s:s,s:o*}", "v", 1, "scope", scope,
                                                  "settings", settings));
}

static gboolean
check_policy_body (json_t  *body,
                   GError **error)
{
  const char *key;
  json_t *value;

  json_object_foreach (body, key, value)
    {
      if (strcmp (key, "v") != 0 && strcmp (key, "settings") != 0)
        {
          g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                               "A policy has only \"v\" (1) and \"settings\"");
          return FALSE;
        }
    }
  if (!json_is_integer (json_object_get (body, "v"))
      || json_integer_value (json_object_get (body, "v")) != 1)
    {
      g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                           "\"v\" must be 1");
      return FALSE;
    }
  return entsec_policy_check_settings (json_object_get (body, "settings"), error);
}

void
entsec_handle_admin_policy_put (EntsecServer      *server,
                                EntsecRequest     *request,
                                const char *const *params,
                                EntsecResponse    *response)
{
  g_autofree char *scope = policy_scope (server, request, params, response);
  g_autoptr (json_t) body = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  EntsecStorage *storage = entsec_server_get_storage (server);

  if (scope == NULL)
    return;
  body = entsec_request_json (server, request, response);
  if (body == NULL)
    return;
  if (!check_policy_body (body, &error))
    {
      entsec_device_problem (response, error);
      return;
    }
  text = entsec_json_dump (json_object_get (body, "settings"));
  if (!entsec_storage_policy_set (storage, scope, text, entsec_server_now (), &error))
    {
      entsec_response_storage_failed (response, error);
      return;
    }
  entsec_storage_audit (storage, request->admin->id, "policy.set", scope, NULL);
  note_policy_events (server, scope, params[0]);
  entsec_response_empty (response, MHD_HTTP_NO_CONTENT);
}

void
entsec_handle_device_command_ack (EntsecServer      *server,
                                  EntsecRequest     *request,
                                  const char *const *params,
                                  EntsecResponse    *response)
{
  g_autoptr (json_t) body = NULL;
  /* a revoked device may still report that it wiped itself */
  g_autoptr (EntsecDevice) device = signed_json (server, request, params[0], TRUE, &body,
                                                 response);
  g_autoptr (GError) error = NULL;
  EntsecDeviceContext context;
  json_t *answer;

  if (device == NULL)
    return;
  entsec_server_device_context (server, &context);
  answer = entsec_device_command_ack (&context, device, params[1], body, entsec_server_now (),
                                      &error);
  respond (response, 200, answer, error);
}

void
entsec_handle_admin_command_add (EntsecServer      *server,
                                 EntsecRequest     *request,
                                 const char *const *params,
                                 EntsecResponse    *response)
{
  g_autoptr (json_t) body = entsec_request_json (server, request, response);
  g_autoptr (GError) error = NULL;
  EntsecDeviceContext context;
  json_t *answer;

  if (body == NULL)
    return;
  entsec_server_device_context (server, &context);
  answer = entsec_device_command_add (&context, params[0], request->admin->id, body,
                                      entsec_server_now (), &error);
  respond (response, 201, answer, error);
}

void
entsec_handle_admin_command_list (EntsecServer      *server,
                                  EntsecRequest     *request,
                                  const char *const *params,
                                  EntsecResponse    *response)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) commands = entsec_storage_command_list (
    entsec_server_get_storage (server), params[0], &error);

  entsec_response_rows (response, "commands", commands,
                        (EntsecRowToJson) entsec_device_command_to_json, error);
}

void
entsec_handle_challenge_response (EntsecServer      *server,
                                  EntsecRequest     *request,
                                  const char *const *params,
                                  EntsecResponse    *response)
{
  g_autoptr (json_t) body = NULL;
  g_autoptr (EntsecDevice) device = signed_json (server, request, NULL, FALSE, &body, response);
  g_autoptr (GError) error = NULL;
  EntsecDeviceContext context;
  json_t *answer;

  if (device == NULL)
    return;
  entsec_server_device_context (server, &context);
  answer = entsec_push_respond (&context, device, params[0], body, entsec_server_now (), &error);
  if (answer != NULL)
    entsec_metrics_add (entsec_server_get_metrics (server), ENTSEC_METRICS_PUSHES_ANSWERED, 1);
  respond (response, 200, answer, error);
}

void
entsec_handle_device_tokens_sync (EntsecServer      *server,
                                  EntsecRequest     *request,
                                  const char *const *params,
                                  EntsecResponse    *response)
{
  g_autoptr (json_t) body = NULL;
  g_autoptr (EntsecDevice) device = signed_json (server, request, params[0], FALSE, &body,
                                                 response);
  g_autoptr (GError) error = NULL;
  EntsecDeviceContext context;
  json_t *answer;

  if (device == NULL)
    return;
  entsec_server_device_context (server, &context);
  answer = entsec_sync_tokens (&context, entsec_server_get_tokens (server), device, body,
                               entsec_server_now (), &error);
  respond (response, 200, answer, error);
}

void
entsec_handle_device_token_ack (EntsecServer      *server,
                                EntsecRequest     *request,
                                const char *const *params,
                                EntsecResponse    *response)
{
  g_autoptr (json_t) body = NULL;
  g_autoptr (EntsecDevice) device = signed_json (server, request, params[0], FALSE, &body,
                                                 response);
  g_autoptr (GError) error = NULL;
  EntsecDeviceContext context;
  const char *otp;

  if (device == NULL)
    return;
  entsec_server_device_context (server, &context);
  otp = entsec_sync_ack_otp (&context, device, params[1], body, &error);
  if (otp != NULL && entsec_server_token_ack (server, params[1], otp, entsec_server_now (),
                                              &error))
    entsec_response_json (response, 200, json_pack ("{s:i,s:s,s:s}", "v", 1, "id", params[1],
                                                    "state", "active"));
  else if (g_error_matches (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_RATE_LIMITED))
    entsec_response_problem (response, ENTSEC_PROBLEM_RATE_LIMITED, error->message);
  else
    entsec_device_problem (response, error);
}
