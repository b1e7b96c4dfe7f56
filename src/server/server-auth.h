/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-auth.h: the HTTP side of signed device requests (server-auth.c)
 * and of the device endpoints (server-devices-http.c).
 */
#pragma once

#include "server-devices.h"
#include "server-http.h"

G_BEGIN_DECLS

/**
 * EntsecSignedRequest:
 * @message: what the signature code reads (borrows the fields below and
 *   the request's body)
 * @fields: name, value, ... of the signed header fields, NULL-terminated
 * @target_uri: the issuer followed by the request target (path and raw query)
 */
typedef struct
{
  EntsecHttpMessage message;
  GPtrArray        *fields;
  char             *target_uri;
} EntsecSignedRequest;

/* Returns: (transfer full): free with entsec_signed_request_free(). */
EntsecSignedRequest *entsec_signed_request_new (EntsecServer  *server,
                                                EntsecRequest *request);
void                 entsec_signed_request_free (EntsecSignedRequest *signed_request);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecSignedRequest, entsec_signed_request_free)

/* Fill @context from the running server. */
void   entsec_server_device_context (EntsecServer        *server,
                                     EntsecDeviceContext *context);

/* The server's clock, Unix seconds. */
gint64 entsec_server_now (void);

/* The problem document for an error of the device calls. */
void   entsec_device_problem (EntsecResponse *response,
                              const GError   *error);

G_END_DECLS
