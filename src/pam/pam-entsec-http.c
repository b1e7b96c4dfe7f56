/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pam-entsec-http.c: pam_entsec's HTTPS calls to entsec-server's RP API.
 *
 * libcurl (one easy handle per authentication, no threads, no signals:
 * CURLOPT_NOSIGNAL) and jansson, not libentsec's HTTP layer: that one
 * returns GLib types and pulls GLib and GObject into sshd, sudo and login;
 * see pam_entsec.c. Never curl_global_cleanup(): the host process may use
 * libcurl itself, and curl_easy_init() initialises it when needed.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "entsec-tls-anchor.h"
#include "pam-entsec-http.h"

#define CONNECT_TIMEOUT 5L
#define RESPONSE_MAX (64 * 1024)
#define PROBLEM_TEXT_MAX 120
#define AUTH_PREFIX "Authorization: Bearer "

typedef struct
{
  char   data[RESPONSE_MAX];
  size_t len;
  bool   too_large;
} Buffer;

static size_t
on_data (char   *data,
         size_t  size,
         size_t  count,
         void   *user_data)
{
  Buffer *buffer = user_data;

  if (count != 0 && size > (RESPONSE_MAX - buffer->len) / count)
    {
      buffer->too_large = true;
      return 0;
    }
  memcpy (buffer->data + buffer->len, data, size * count);
  buffer->len += size * count;
  return size * count;
}

/* A TLS record went out, so the TCP connection was made: from now on this
 * client's server is "reached", whatever fails next. */
static void
on_tls_message (int         write_p,
                int         version,
                int         content_type,
                const void *buf,
                size_t      len,
                SSL        *ssl,
                void       *user_data)
{
  EntsecPamClient *client = user_data;

  client->reached = true;
}

static CURLcode
on_ssl_ctx (CURL *curl,
            void *ssl_ctx,
            void *user_data)
{
  EntsecPamClient *client = user_data;

  SSL_CTX_set_msg_callback (ssl_ctx, on_tls_message);
  SSL_CTX_set_msg_callback_arg (ssl_ctx, client);
  /* With a pin and no CA, the pin is the anchor (curl checks it against the
   * leaf key), and SSL_get_verify_result(), which curl checks after the
   * handshake, holds every other verdict. */
  if (client->options->pin != NULL && client->options->ca_file == NULL)
    SSL_CTX_set_verify (ssl_ctx, SSL_CTX_get_verify_mode (ssl_ctx),
                        entsec_tls_forgive_untrusted);
  return CURLE_OK;
}

static void
set_tls_options (CURL            *curl,
                 EntsecPamClient *client)
{
  const EntsecPamOptions *options = client->options;

  curl_easy_setopt (curl, CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2);
  curl_easy_setopt (curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt (curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (options->ca_file != NULL)
    curl_easy_setopt (curl, CURLOPT_CAINFO, options->ca_file);
  else if (options->pin != NULL)
    {
      /* the pin is the anchor (on_ssl_ctx): no CA store is opened, so a host
       * without ca-certificates (no default bundle) works too */
      curl_easy_setopt (curl, CURLOPT_CAINFO, NULL);
      curl_easy_setopt (curl, CURLOPT_CAPATH, NULL);
    }
  if (options->pin != NULL)
    curl_easy_setopt (curl, CURLOPT_PINNEDPUBLICKEY, options->pin);
  curl_easy_setopt (curl, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
  curl_easy_setopt (curl, CURLOPT_SSL_CTX_DATA, client);
}

bool
entsec_pam_client_init (EntsecPamClient        *client,
                        const EntsecPamOptions *options,
                        const char             *api_key,
                        char                   *error,
                        size_t                  error_size)
{
  size_t len = strlen (AUTH_PREFIX) + strlen (api_key) + 1;
  char header[sizeof AUTH_PREFIX + ENTSEC_PAM_API_KEY_MAX];
  struct curl_slist *list;

  memset (client, 0, sizeof *client);
  client->options = options;
  if (len > sizeof header || (client->curl = curl_easy_init ()) == NULL)
    {
      snprintf (error, error_size, "cannot set up libcurl");
      return false;
    }
  snprintf (header, sizeof header, AUTH_PREFIX "%s", api_key);
  list = curl_slist_append (NULL, header);
  OPENSSL_cleanse (header, sizeof header);
  client->headers = list != NULL ? curl_slist_append (list, "Content-Type: application/json")
                                 : NULL;
  if (client->headers == NULL)
    {
      curl_slist_free_all (list);
      entsec_pam_client_clear (client);
      snprintf (error, error_size, "out of memory");
      return false;
    }
  return true;
}

void
entsec_pam_client_clear (EntsecPamClient *client)
{
  for (struct curl_slist *item = client->headers; item != NULL; item = item->next)
    OPENSSL_cleanse (item->data, strlen (item->data));
  curl_slist_free_all (client->headers);
  client->headers = NULL;
  if (client->curl != NULL)
    curl_easy_cleanup (client->curl);
  client->curl = NULL;
}

static void
set_options (EntsecPamClient *client,
             const char      *url,
             const char      *method,
             const char      *body,
             long             timeout,
             Buffer          *buffer,
             char            *curl_error)
{
  CURL *curl = client->curl;

  curl_easy_reset (curl);
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt (curl, CURLOPT_FOLLOWLOCATION, 0L);
  /* the environment of sudo or login does not choose where the key goes */
  curl_easy_setopt (curl, CURLOPT_PROXY, "");
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, timeout < CONNECT_TIMEOUT ? timeout
                                                                             : CONNECT_TIMEOUT);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT, timeout);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, client->headers);
  curl_easy_setopt (curl, CURLOPT_USERAGENT, "pam_entsec/" PACKAGE_VERSION);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, curl_error);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, buffer);
  set_tls_options (curl, client);
  if (body != NULL)
    {
      curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body);
      curl_easy_setopt (curl, CURLOPT_POSTFIELDSIZE, (long) strlen (body));
    }
  else
    curl_easy_setopt (curl, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, method);
}

/* Which kind of failure @code is: "offline" only when no TCP connection
 * was ever made (curl's connect timer stays 0 on a timeout, so the first
 * TLS record sent tells), never when TLS or anything after it failed. */
static EntsecPamNet
classify (const EntsecPamClient *client,
          CURLcode               code)
{
  switch (code)
    {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
      return client->reached ? ENTSEC_PAM_NET_FAILED : ENTSEC_PAM_NET_UNREACHABLE;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_USE_SSL_FAILED:
      return ENTSEC_PAM_NET_TLS;
    default:
      return ENTSEC_PAM_NET_FAILED;
    }
}

static void
net_error (EntsecPamNet  kind,
           CURLcode      code,
           const char   *curl_error,
           const char   *server,
           char         *error,
           size_t        error_size)
{
  const char *detail = curl_error[0] != '\0' ? curl_error : curl_easy_strerror (code);

  if (kind == ENTSEC_PAM_NET_TLS)
    snprintf (error, error_size, "the certificate or TLS connection of %s was refused "
              "(check ca= or pin=): %.160s", server, detail);
  else if (kind == ENTSEC_PAM_NET_UNREACHABLE)
    snprintf (error, error_size, "cannot reach %s: %.160s", server, detail);
  else
    snprintf (error, error_size, "the call to %s failed: %.160s", server, detail);
}

EntsecPamNet
entsec_pam_client_call (EntsecPamClient *client,
                        const char      *method,
                        const char      *path,
                        const char      *body,
                        long             timeout,
                        long            *status,
                        json_t         **answer,
                        char            *error,
                        size_t           error_size)
{
  const char *server = client->options->server;
  size_t server_len = strlen (server);
  char curl_error[CURL_ERROR_SIZE] = "";
  Buffer *buffer = calloc (1, sizeof *buffer);
  char url[1024];
  CURLcode code;
  EntsecPamNet kind = ENTSEC_PAM_NET_FAILED;

  *status = 0;
  *answer = NULL;
  while (server_len > 0 && server[server_len - 1] == '/')
    server_len--;
  if (buffer == NULL || (size_t) snprintf (url, sizeof url, "%.*s%s", (int) server_len, server,
                                           path) >= sizeof url)
    {
      snprintf (error, error_size, "the server address is too long");
      free (buffer);
      return ENTSEC_PAM_NET_FAILED;
    }
  set_options (client, url, method, body, timeout, buffer, curl_error);
  code = curl_easy_perform (client->curl);
  /* forget the body (it may hold a code) in curl's copy of the options */
  curl_easy_setopt (client->curl, CURLOPT_POSTFIELDS, NULL);
  if (code == CURLE_OK)
    {
      kind = ENTSEC_PAM_NET_OK;
      curl_easy_getinfo (client->curl, CURLINFO_RESPONSE_CODE, status);
      *answer = json_loadb (buffer->data, buffer->len, JSON_REJECT_DUPLICATES, NULL);
    }
  else if (buffer->too_large)
    snprintf (error, error_size, "the answer of %s is over %d bytes", server, RESPONSE_MAX);
  else
    {
      kind = classify (client, code);
      net_error (kind, code, curl_error, server, error, error_size);
    }
  OPENSSL_cleanse (buffer, sizeof *buffer);
  free (buffer);
  return kind;
}

void
entsec_pam_problem_text (json_t *answer,
                         char   *out,
                         size_t  out_size)
{
  const char *text = json_string_value (json_object_get (answer, "detail"));
  size_t i, n = 0;

  if (text == NULL)
    text = json_string_value (json_object_get (answer, "title"));
  if (text == NULL)
    text = "";
  for (i = 0; text[i] != '\0' && n + 1 < out_size && n < PROBLEM_TEXT_MAX; i++)
    out[n++] = text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?';
  out[n] = '\0';
}
