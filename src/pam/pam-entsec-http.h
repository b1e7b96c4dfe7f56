/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pam-entsec-http.h: pam_entsec's calls to the RP API (libcurl, verified TLS) */

#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>
#include <jansson.h>

#include "pam-entsec-config.h"

/* How a call ended, so that offline=allow can tell "not reachable at all"
 * from everything else. */
typedef enum
{
  ENTSEC_PAM_NET_OK,          /* an HTTP answer came (whatever its status) */
  ENTSEC_PAM_NET_UNREACHABLE, /* no TCP connection: name not resolved, refused, timed out */
  ENTSEC_PAM_NET_TLS,         /* the certificate, the pin or the TLS handshake failed */
  ENTSEC_PAM_NET_FAILED,      /* connected, then anything else went wrong */
} EntsecPamNet;

typedef struct
{
  CURL                   *curl;
  struct curl_slist      *headers; /* holds "Authorization: Bearer KEY": wiped on clear */
  const EntsecPamOptions *options;
  bool                    reached; /* a TLS record was sent: the server is not "offline" */
} EntsecPamClient;

/* Sets up @client for @options with the API key @api_key (copied into the
 * client; the caller wipes its own copy). False with @error on failure. */
bool         entsec_pam_client_init (EntsecPamClient        *client,
                                     const EntsecPamOptions *options,
                                     const char             *api_key,
                                     char                   *error,
                                     size_t                  error_size);
/* Wipes the key from the client and frees it. */
void         entsec_pam_client_clear (EntsecPamClient *client);

/*
 * One call: @method on @path (from "/v1/..."), with @body (nullable, the
 * JSON text, sent as it is), waiting at most @timeout seconds. On
 * ENTSEC_PAM_NET_OK, *status is the HTTP status and *answer the JSON body
 * (NULL when there is none or it is not JSON; json_decref() it). Otherwise
 * @error says what failed (never the key or the body).
 */
EntsecPamNet entsec_pam_client_call (EntsecPamClient *client,
                                     const char      *method,
                                     const char      *path,
                                     const char      *body,
                                     long             timeout,
                                     long            *status,
                                     json_t         **answer,
                                     char            *error,
                                     size_t           error_size);

/* The "title" or "detail" of a problem answer, printable ASCII and cut,
 * into @out; "" when there is none. */
void         entsec_pam_problem_text (json_t *answer,
                                      char   *out,
                                      size_t  out_size);
