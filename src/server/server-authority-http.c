/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-authority-http.c: the admin's view of the authority key and its
 * rotation (GET /v1/admin/authority, POST /v1/admin/authority/rotate).
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <microhttpd.h>

#include "server-auth.h"
#include "server-handlers.h"

/* Each command @device has not acknowledged, queued again with a JWS of the new key. */
static void
reissue_commands (const EntsecDeviceContext *context,
                  const EntsecDevice        *device,
                  gint64                     now)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) commands = entsec_storage_command_list (context->storage, device->id,
                                                                &error);

  for (guint i = 0; commands != NULL && i < commands->len; i++)
    {
      const EntsecDeviceCommand *command = g_ptr_array_index (commands, i);

      if (command->acked == 0
          && !entsec_device_command_reissue (context, device, command, now, &error))
        break;
    }
  if (error != NULL)
    g_message ("Cannot queue the commands of %s again: %s", device->id, error->message);
}

/* A "policy" event for every device that still polls, so that it fetches
 * a policy signed by the new key (with the chain) at once, and its
 * pending commands again, signed by the new key. */
static void
note_rotation (EntsecServer *server,
               gint64        now)
{
  g_autofree char *after = NULL;
  EntsecDeviceContext context;
  guint count = 0;

  entsec_server_device_context (server, &context);
  for (;;)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) devices = entsec_storage_device_list (context.storage, NULL, after,
                                                                  ENTSEC_LIST_MAX, &error);
      g_autoptr (json_t) body = json_pack ("{s:i}", "v", 1);

      if (devices == NULL)
        {
          g_message ("Cannot tell the devices about the new authority key: %s",
                     error->message);
          return;
        }
      for (guint i = 0; i < devices->len; i++)
        {
          const EntsecDevice *device = g_ptr_array_index (devices, i);

          if (device->state == ENTSEC_DEVICE_UNBOUND
              || !entsec_device_event_add (&context, device->id, "policy", body, now, NULL))
            continue;
          reissue_commands (&context, device, now);
          count++;
        }
      if (devices->len < ENTSEC_LIST_MAX)
        break;
      g_free (after);
      after = g_strdup (((EntsecDevice *) g_ptr_array_index (devices, devices->len - 1))->id);
    }
  g_message ("Authority key rotated; %u devices were told to fetch their policy", count);
}

void
entsec_handle_admin_authority_get (EntsecServer      *server,
                                   EntsecRequest     *request,
                                   const char *const *params,
                                   EntsecResponse    *response)
{
  g_autoptr (GError) error = NULL;
  json_t *history = entsec_authority_history (entsec_server_get_storage (server),
                                              entsec_server_get_authority (server), &error);

  if (history == NULL)
    entsec_response_storage_failed (response, error);
  else
    entsec_response_json (response, 200, history);
}

void
entsec_handle_admin_authority_rotate (EntsecServer      *server,
                                      EntsecRequest     *request,
                                      const char *const *params,
                                      EntsecResponse    *response)
{
  g_autoptr (json_t) body = entsec_request_json (server, request, response);
  static const char *const no_members[] = { NULL };
  g_autoptr (GError) error = NULL;
  const EntsecAuthority *previous = NULL;
  const EntsecAuthority *next;
  json_t *link;
  gint64 now = entsec_server_now ();

  if (body == NULL)
    return;
  if (!entsec_server_check_members (body, no_members, TRUE, "A rotation request", &error))
    {
      entsec_response_problem (response, ENTSEC_PROBLEM_INVALID_REQUEST, error->message);
      return;
    }
  next = entsec_server_rotate_authority (server, now, &previous, &error);
  if (next == NULL)
    {
      entsec_device_problem (response, error);
      return;
    }
  entsec_storage_audit (entsec_server_get_storage (server), request->admin->id,
                        "authority.rotate", next->jkt, NULL);
  note_rotation (server, now);
  link = json_array_get (next->chain, json_array_size (next->chain) - 1);
  entsec_response_json (response, 201,
                        json_pack ("{s:i,s:i,s:s,s:s,s:O,s:O}", "v", 1, "seq", (int) next->seq,
                                   "jkt", next->jkt, "previous_jkt", previous->jkt,
                                   "jwk", next->jwk, "link", link));
}
