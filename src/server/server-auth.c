/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-auth.c: signed requests over HTTP: the parts of a libmicrohttpd
 * request the signature covers, and the problems a refused one answers.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include <microhttpd.h>

#include "server-auth.h"

/* The header fields the profile reads; every occurrence is kept. */
static const char *const signed_fields[] = {
  "content-type", "content-digest", "signature-input", "signature", NULL,
};

static enum MHD_Result
collect_field (void                   *cls,
               enum MHD_ValueKind      kind,
               const char             *key,
               const char             *value)
{
  GPtrArray *fields = cls;
  g_autofree char *name = g_ascii_strdown (key, -1);

  if (g_strv_contains (signed_fields, name) && value != NULL)
    {
      g_ptr_array_add (fields, g_steal_pointer (&name));
      g_ptr_array_add (fields, g_strdup (value));
    }
  return MHD_YES;
}

EntsecSignedRequest *
entsec_signed_request_new (EntsecServer  *server,
                           EntsecRequest *request)
{
  EntsecSignedRequest *signed_request = g_new0 (EntsecSignedRequest, 1);

  signed_request->fields = g_ptr_array_new_with_free_func (g_free);
  MHD_get_connection_values (request->connection, MHD_HEADER_KIND, collect_field,
                             signed_request->fields);
  g_ptr_array_add (signed_request->fields, NULL);
  /* the target as sent, with its raw query (an absolute-form target is not
   * one of ours and fails the signature check) */
  signed_request->target_uri = g_strconcat (entsec_server_get_issuer (server),
                                            request->target != NULL
                                            && request->target[0] == '/'
                                            ? request->target : request->path,
                                            NULL);
  signed_request->message = (EntsecHttpMessage) {
    .method = request->method,
    .target_uri = signed_request->target_uri,
    .fields = (const char *const *) signed_request->fields->pdata,
    .body = request->body->len > 0 ? request->body->data : NULL,
    .body_len = request->body->len,
  };
  return signed_request;
}

void
entsec_signed_request_free (EntsecSignedRequest *signed_request)
{
  if (signed_request == NULL)
    return;
  g_ptr_array_unref (signed_request->fields);
  g_free (signed_request->target_uri);
  g_free (signed_request);
}

void
entsec_server_device_context (EntsecServer        *server,
                              EntsecDeviceContext *context)
{
  const EntsecServerConfig *config = entsec_server_get_config (server);
  const EntsecAuthority *authority = entsec_server_get_authority (server);

  *context = (EntsecDeviceContext) {
    .storage = entsec_server_get_storage (server),
    .authority = authority->key,
    .authority_jkt = authority->jkt,
    .authority_jwk = authority->jwk,
    .authority_chain = authority->chain,
    .issuer = entsec_server_get_issuer (server),
    .tenant = config->tenant,
    .max_devices = config->max_devices,
    .events = entsec_server_get_event_hub (server),
  };
}

gint64
entsec_server_now (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

void
entsec_device_problem (EntsecResponse *response,
                       const GError   *error)
{
  if (error->domain != ENTSEC_SERVER_ERROR)
    {
      g_message ("Device request failed: %s", error->message);
      entsec_response_problem (response, ENTSEC_PROBLEM_INTERNAL, NULL);
      return;
    }
  switch (error->code)
    {
    case ENTSEC_SERVER_ERROR_SIGNATURE:
      /* The reason goes to the log only (docs/protocol.md section 2.4). */
      g_message ("%s", error->message);
      entsec_response_problem (response, ENTSEC_PROBLEM_INVALID_SIGNATURE,
                               "Sign the request with the device key (docs/protocol.md "
                               "section 2)");
      response->authenticate = "Signature";
      break;
    case ENTSEC_SERVER_ERROR_REVOKED:
      entsec_response_problem (response, ENTSEC_PROBLEM_DEVICE_REVOKED, error->message);
      break;
    case ENTSEC_SERVER_ERROR_FORBIDDEN:
      entsec_response_problem (response, ENTSEC_PROBLEM_FORBIDDEN, error->message);
      break;
    case ENTSEC_SERVER_ERROR_NOT_FOUND:
      entsec_response_problem (response, ENTSEC_PROBLEM_NOT_FOUND, error->message);
      break;
    case ENTSEC_SERVER_ERROR_LIMIT:
      entsec_response_problem (response, ENTSEC_PROBLEM_DEVICE_LIMIT, error->message);
      break;
    case ENTSEC_SERVER_ERROR_INVALID:
      entsec_response_problem (response, ENTSEC_PROBLEM_INVALID_REQUEST, error->message);
      break;
    case ENTSEC_SERVER_ERROR_INVALID_CODE:
      entsec_response_problem (response, ENTSEC_PROBLEM_INVALID_CODE, error->message);
      break;
    case ENTSEC_SERVER_ERROR_EXPIRED:
      entsec_response_problem (response, ENTSEC_PROBLEM_EXPIRED, error->message);
      break;
    case ENTSEC_SERVER_ERROR_CONFLICT:
      entsec_response_problem (response, ENTSEC_PROBLEM_CONFLICT, error->message);
      break;
    case ENTSEC_SERVER_ERROR_CLIENT_TOO_OLD:
      entsec_response_problem (response, ENTSEC_PROBLEM_CLIENT_TOO_OLD, error->message);
      break;
    default:
      g_message ("Device request failed: %s", error->message);
      entsec_response_problem (response, ENTSEC_PROBLEM_INTERNAL, NULL);
    }
}

static EntsecDevice *
authenticate (EntsecServer      *server,
              EntsecRequest     *request,
              const char        *device_id,
              gboolean           allow_revoked,
              EntsecNonceWindow *read_nonces,
              EntsecResponse    *response)
{
  g_autoptr (EntsecSignedRequest) signed_request = entsec_signed_request_new (server, request);
  g_autoptr (GError) error = NULL;
  EntsecDeviceContext context;
  EntsecDevice *device;

  entsec_server_device_context (server, &context);
  context.read_nonces = read_nonces;
  device = entsec_device_authenticate (&context, &signed_request->message, device_id,
                                       allow_revoked, entsec_server_now (), &error);
  if (device == NULL)
    entsec_device_problem (response, error);
  return device;
}

EntsecDevice *
entsec_server_authenticate_device (EntsecServer   *server,
                                   EntsecRequest  *request,
                                   const char     *device_id,
                                   gboolean        allow_revoked,
                                   EntsecResponse *response)
{
  return authenticate (server, request, device_id, allow_revoked, NULL, response);
}

EntsecDevice *
entsec_server_authenticate_poll (EntsecServer   *server,
                                 EntsecRequest  *request,
                                 const char     *device_id,
                                 EntsecResponse *response)
{
  return authenticate (server, request, device_id, FALSE,
                       entsec_server_get_poll_nonces (server), response);
}
