/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-http.h: HTTPS calls to the enterprise server (libcurl), not installed */
#pragma once

#include <entsec/entsec.h>

G_BEGIN_DECLS

#define ENTSEC_HTTP_MAX_RESPONSE (256 * 1024)
#define ENTSEC_HTTP_CONNECT_TIMEOUT 15
#define ENTSEC_HTTP_TOTAL_TIMEOUT 60

/*
 * How far a call trusts the server. TLS 1.2 or newer, the peer's chain and
 * the host name are always checked; there is no switch to turn that off.
 * @ca_file: (nullable): PEM CA certificates to trust instead of the system store
 * @pins: (nullable): "sha256//B64[;sha256//B64...]", SPKI SHA-256 pins
 * @pin_is_anchor: the pins stand in for a CA (an activation link's pin): a
 *   chain no CA vouches for is accepted when the leaf's key matches a pin;
 *   otherwise the pins are checked on top of normal verification
 * @max_response: the body size limit in bytes; 0 means ENTSEC_HTTP_MAX_RESPONSE
 * @connect_timeout, @total_timeout: in seconds; 0 means the defaults above
 * @cancellable: (nullable): cancelling it ends the call (also one waiting
 *   for a long-poll's answer) within about a second, with %G_IO_ERROR_CANCELLED
 */
typedef struct
{
  const char *ca_file;
  const char *pins;
  gboolean pin_is_anchor;
  gsize max_response;
  guint connect_timeout;
  guint total_timeout;
  GCancellable *cancellable;
} EntsecHttpTrust;

/* An answer of any status; free with entsec_http_response_free(). */
typedef struct
{
  long status;
  char *content_type;   /* (nullable) without parameters, lower case */
  char *etag;           /* (nullable) */
  gint64 retry_after;   /* seconds from Retry-After, -1 when absent */
  gint64 date;          /* the Date header, Unix seconds, -1 when absent or unreadable */
  GBytes *body;         /* never NULL; may be empty */
} EntsecHttpResponse;

void entsec_http_response_free (EntsecHttpResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecHttpResponse, entsec_http_response_free)

/*
 * One HTTPS call with its own easy handle (safe from any thread). @headers:
 * (nullable) NULL-terminated "Name: value" lines; @body: (nullable) sent as
 * is. Redirects are never followed. The proxy environment (https_proxy,
 * no_proxy) is respected.
 * Returns: (transfer full) (nullable): the answer whatever its status, or
 *   NULL with an %ENTSEC_NET_ERROR error for a transport or TLS failure.
 */
EntsecHttpResponse *entsec_http_request (const EntsecHttpTrust *trust,
                                         const char            *method,
                                         const char            *url,
                                         const char * const    *headers,
                                         GBytes                *body,
                                         GError               **error);

/*
 * TRUE for a 2xx answer; otherwise FALSE with @error set from its problem
 * document (docs/protocol.md 6), or from its status when it has none.
 */
gboolean entsec_http_response_check (const EntsecHttpResponse *response,
                                     GError                  **error);

/* Checks @pins is "sha256//B64[;sha256//B64...]", each 44 base64 characters. */
gboolean entsec_http_pins_valid (const char  *pins,
                                 GError     **error);

G_END_DECLS
