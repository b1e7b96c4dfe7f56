/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-http.c: HTTPS calls to the enterprise server, verified TLS only (libcurl, loaded
 * on the first call: entsec-curl-loader.h) */

#include "config.h"

#define G_LOG_DOMAIN "entsec-http"

#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "entsec-base64url.h"
#include "entsec-core-private.h"
#include "entsec-curl-loader.h"
#include "entsec-http.h"
#include "entsec-problem.h"
#include "entsec-tls-anchor.h"

#define PIN_PREFIX "sha256//"
#define PIN_B64_LEN 44
#define PIN_MAX 8
#define ERROR_DETAIL_CHARS 200

G_DEFINE_QUARK (entsec-net-error-quark, entsec_net_error)

/* What one call saw; the TLS callbacks fill it in on the calling thread. */
typedef struct
{
  const EntsecCurl *lib;
  const EntsecHttpTrust *trust;
  guint8 pins[PIN_MAX][32];
  guint n_pins;
  int verify_error;        /* X509_V_OK or why the chain was refused */
  gboolean pin_mismatch;
  gboolean version_alert;  /* a protocol_version alert was sent or received */
  gboolean too_large;
  gsize max_response;
  GByteArray *body;
  EntsecHttpResponse *response;
} CallState;

void
entsec_http_response_free (EntsecHttpResponse *response)
{
  if (response == NULL)
    return;
  g_free (response->content_type);
  g_free (response->etag);
  g_bytes_unref (response->body);
  g_free (response);
}

static gboolean
decode_pin (const char *pin,
            gsize       len,
            guint8      digest[32])
{
  g_autoptr (GBytes) raw = NULL;

  if (len != strlen (PIN_PREFIX) + PIN_B64_LEN || strncmp (pin, PIN_PREFIX, strlen (PIN_PREFIX)) != 0)
    return FALSE;
  raw = entsec_base64_decode_strict (pin + strlen (PIN_PREFIX), PIN_B64_LEN, "the pin", NULL);
  if (raw == NULL || g_bytes_get_size (raw) != 32)
    return FALSE;
  memcpy (digest, g_bytes_get_data (raw, NULL), 32);
  return TRUE;
}

static gboolean
parse_pins (const char *pins,
            CallState  *state,
            GError    **error)
{
  const char *p = pins;

  state->n_pins = 0;
  while (TRUE)
    {
      gsize len = strcspn (p, ";");

      if (state->n_pins == PIN_MAX || !decode_pin (p, len, state->pins[state->n_pins]))
        {
          g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_INVALID_URL,
                       "The pin must be sha256// followed by 44 base64 characters (the "
                       "SHA-256 of the server key), at most %d separated by ';'", PIN_MAX);
          return FALSE;
        }
      state->n_pins++;
      if (p[len] == '\0')
        return TRUE;
      p += len + 1;
    }
}

gboolean
entsec_http_pins_valid (const char  *pins,
                        GError     **error)
{
  CallState state = { 0 };

  g_return_val_if_fail (pins != NULL, FALSE);
  return parse_pins (pins, &state, error);
}

static gboolean
leaf_matches_pin (X509        *leaf,
                  CallState   *state)
{
  unsigned char *der = NULL;
  guint8 digest[32];
  unsigned int digest_len = 0;
  int len;
  gboolean ok;

  if (leaf == NULL)
    return FALSE;
  len = i2d_X509_PUBKEY (X509_get_X509_PUBKEY (leaf), &der);
  if (len <= 0)
    return FALSE;
  ok = EVP_Digest (der, len, digest, &digest_len, EVP_sha256 (), NULL) == 1;
  OPENSSL_free (der);
  if (!ok)
    return FALSE;
  for (guint i = 0; i < state->n_pins; i++)
    if (CRYPTO_memcmp (digest, state->pins[i], 32) == 0)
      return TRUE;
  return FALSE;
}

/* Replaces OpenSSL's chain check so that each refusal is known by its cause. */
static int
verify_chain (X509_STORE_CTX *ctx,
              void           *user_data)
{
  CallState *state = user_data;
  int ok;

  if (state->trust->pin_is_anchor)
    {
      if (!leaf_matches_pin (X509_STORE_CTX_get0_cert (ctx), state))
        {
          state->pin_mismatch = TRUE;
          X509_STORE_CTX_set_error (ctx, X509_V_ERR_APPLICATION_VERIFICATION);
          return 0;
        }
      X509_STORE_CTX_set_verify_cb (ctx, entsec_tls_forgive_untrusted);
    }
  ok = X509_verify_cert (ctx);
  state->verify_error = X509_STORE_CTX_get_error (ctx);
  if (ok != 1 && state->verify_error == X509_V_OK)
    state->verify_error = X509_V_ERR_UNSPECIFIED;
  return ok == 1 ? 1 : 0;
}

static void
on_tls_message (int         write_p,
                int         version,
                int         content_type,
                const void *buf,
                size_t      len,
                SSL        *ssl,
                void       *user_data)
{
  CallState *state = user_data;
  const guint8 *bytes = buf;

  if (content_type == SSL3_RT_ALERT && len >= 2 && bytes[1] == SSL_AD_PROTOCOL_VERSION)
    state->version_alert = TRUE;
}

static CURLcode
on_ssl_ctx (CURL *curl,
            void *ssl_ctx,
            void *user_data)
{
  const EntsecCurl *lib = ((CallState *) user_data)->lib;
  SSL_CTX *ctx = ssl_ctx;

  lib->ssl_ctx_set_cert_verify_callback (ctx, verify_chain, user_data);
  lib->ssl_ctx_set_msg_callback (ctx, on_tls_message);
  /* SSL_CTX_set_msg_callback_arg() */
  lib->ssl_ctx_ctrl (ctx, SSL_CTRL_SET_MSG_CALLBACK_ARG, 0, user_data);
  return CURLE_OK;
}

static size_t
on_data (char   *data,
         size_t  size,
         size_t  count,
         void   *user_data)
{
  CallState *state = user_data;

  if (state->body->len + size * count > state->max_response)
    {
      state->too_large = TRUE;
      return 0;
    }
  g_byte_array_append (state->body, (const guint8 *) data, size * count);
  return size * count;
}

static char *
header_value (const char *line,
              gsize       len,
              const char *name)
{
  gsize name_len = strlen (name);

  if (len <= name_len || g_ascii_strncasecmp (line, name, name_len) != 0 || line[name_len] != ':')
    return NULL;
  return g_strstrip (g_strndup (line + name_len + 1, len - name_len - 1));
}

static size_t
on_header (char   *line,
           size_t  size,
           size_t  count,
           void   *user_data)
{
  CallState *state = user_data;
  EntsecHttpResponse *response = state->response;
  gsize len = size * count;
  char *value;

  if ((value = header_value (line, len, "Content-Type")) != NULL)
    {
      value[strcspn (value, "; \t")] = '\0';
      g_free (response->content_type);
      response->content_type = g_ascii_strdown (value, -1);
      g_free (value);
    }
  else if ((value = header_value (line, len, "ETag")) != NULL)
    {
      g_free (response->etag);
      response->etag = value;
    }
  else if ((value = header_value (line, len, "Date")) != NULL)
    {
      time_t date = state->lib->getdate (value, NULL);

      response->date = date >= 0 ? (gint64) date : -1;
      g_free (value);
    }
  else if ((value = header_value (line, len, "Retry-After")) != NULL)
    {
      guint64 seconds = 0;

      if (g_ascii_string_to_unsigned (value, 10, 0, G_MAXINT32, &seconds, NULL))
        response->retry_after = (gint64) seconds;
      g_free (value);
    }
  return len;
}

static gboolean
check_url (const EntsecCurl  *lib,
           const char        *url,
           GError           **error)
{
  CURLU *parsed = lib->url ();
  char *scheme = NULL;
  char *host = NULL;
  gboolean ok;

  ok = lib->url_set (parsed, CURLUPART_URL, url, 0) == CURLUE_OK
       && lib->url_get (parsed, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK
       && lib->url_get (parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK
       && g_ascii_strcasecmp (scheme, "https") == 0;
  lib->free (scheme);
  lib->free (host);
  lib->url_cleanup (parsed);
  if (!ok)
    g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_INVALID_URL,
                         "The server address must be an https:// URL, such as "
                         "https://auth.example.com");
  return ok;
}

/* The error for a refused certificate, by the chain check's cause. */
static void
set_certificate_error (const CallState *state,
                       const char      *host,
                       GError         **error)
{
  if (state->pin_mismatch)
    g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_PIN_MISMATCH,
                 "The key of %s does not match the pinned key: this is not the server "
                 "you expect; check the link or pin with your administrator", host);
  else if (state->verify_error == X509_V_ERR_CERT_HAS_EXPIRED)
    g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_EXPIRED,
                 "The certificate of %s has expired: its administrator must renew it "
                 "(or check this computer's clock)", host);
  else if (state->verify_error == X509_V_ERR_CERT_NOT_YET_VALID)
    g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_EXPIRED,
                 "The certificate of %s is not valid yet: check this computer's clock", host);
  else
    g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_UNTRUSTED,
                 "The certificate of %s is not trusted (%s): give the server's CA "
                 "certificate, or use the activation link from your administrator",
                 host, X509_verify_cert_error_string (state->verify_error));
}

static void
set_transport_error (const CallState *state,
                     CURLcode         code,
                     const char      *host,
                     const char      *detail,
                     GError         **error)
{
  g_autofree char *safe = entsec_dup_printable (detail[0] != '\0' ? detail
                                                : state->lib->easy_strerror (code),
                                                -1, ERROR_DETAIL_CHARS);

  if (state->pin_mismatch || state->verify_error != X509_V_OK)
    {
      set_certificate_error (state, host, error);
      return;
    }
  if (state->version_alert)
    {
      g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_TLS_VERSION,
                   "%s offers no TLS version from 1.2 up: its administrator must enable "
                   "TLS 1.2 or 1.3", host);
      return;
    }
  switch (code)
    {
    case CURLE_PEER_FAILED_VERIFICATION:
      g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_WRONG_HOST,
                   "The certificate of %s is for another host name: check the server "
                   "address (%s)", host, safe);
      break;
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_PIN_MISMATCH,
                   "The key of %s does not match the pinned key: this is not the server "
                   "you expect; check the pin with your administrator", host);
      break;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_RESOLVE,
                   "Cannot find %s: check the server address and the network (%s)", host, safe);
      break;
    case CURLE_COULDNT_CONNECT:
      g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_CONNECT,
                   "Cannot connect to %s: is the server running, and the port right? (%s)",
                   host, safe);
      break;
    case CURLE_OPERATION_TIMEDOUT:
      g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_TIMEOUT,
                   "%s did not answer in time: try again later", host);
      break;
    case CURLE_WRITE_ERROR:
      if (state->too_large)
        {
          g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_TOO_LARGE,
                       "The answer of %s is over %" G_GSIZE_FORMAT " bytes", host,
                       state->max_response);
          break;
        }
      G_GNUC_FALLTHROUGH;
    default:
      g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_TLS,
                   "The secure connection to %s failed: %s", host, safe);
      break;
    }
}

/* libcurl calls this at least once a second, also while it waits for data. */
static int
on_progress (void       *user_data,
             curl_off_t  dltotal,
             curl_off_t  dlnow,
             curl_off_t  ultotal,
             curl_off_t  ulnow)
{
  const CallState *state = user_data;

  (void) dltotal, (void) dlnow, (void) ultotal, (void) ulnow;
  return g_cancellable_is_cancelled (state->trust->cancellable) ? 1 : 0;
}

static void
set_options (CURL                  *curl,
             const EntsecHttpTrust *trust,
             CallState             *state,
             char                  *error_buffer)
{
  const EntsecCurl *lib = state->lib;

  lib->easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "https");
  lib->easy_setopt (curl, CURLOPT_REDIR_PROTOCOLS_STR, "https");
  lib->easy_setopt (curl, CURLOPT_FOLLOWLOCATION, 0L);
  lib->easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  lib->easy_setopt (curl, CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2);
  lib->easy_setopt (curl, CURLOPT_SSL_VERIFYPEER, 1L);
  lib->easy_setopt (curl, CURLOPT_SSL_VERIFYHOST, 2L);
  lib->easy_setopt (curl, CURLOPT_SSL_CTX_FUNCTION, on_ssl_ctx);
  lib->easy_setopt (curl, CURLOPT_SSL_CTX_DATA, state);
  if (trust->ca_file != NULL)
    lib->easy_setopt (curl, CURLOPT_CAINFO, trust->ca_file);
  else if (trust->pin_is_anchor)
    {
      /* The pin is the anchor: no CA store is needed, and none is opened (the
       * default bundle is missing where ca-certificates is not installed,
       * which libcurl would report as a failure) */
      lib->easy_setopt (curl, CURLOPT_CAINFO, NULL);
      lib->easy_setopt (curl, CURLOPT_CAPATH, NULL);
    }
  if (trust->pins != NULL && !trust->pin_is_anchor)
    lib->easy_setopt (curl, CURLOPT_PINNEDPUBLICKEY, trust->pins);
  lib->easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, (long) (trust->connect_timeout != 0
                    ? trust->connect_timeout : ENTSEC_HTTP_CONNECT_TIMEOUT));
  lib->easy_setopt (curl, CURLOPT_TIMEOUT, (long) (trust->total_timeout != 0
                    ? trust->total_timeout : ENTSEC_HTTP_TOTAL_TIMEOUT));
  lib->easy_setopt (curl, CURLOPT_WRITEFUNCTION, on_data);
  lib->easy_setopt (curl, CURLOPT_WRITEDATA, state);
  lib->easy_setopt (curl, CURLOPT_HEADERFUNCTION, on_header);
  lib->easy_setopt (curl, CURLOPT_HEADERDATA, state);
  lib->easy_setopt (curl, CURLOPT_ERRORBUFFER, error_buffer);
  if (trust->cancellable != NULL)
    {
      lib->easy_setopt (curl, CURLOPT_XFERINFOFUNCTION, on_progress);
      lib->easy_setopt (curl, CURLOPT_XFERINFODATA, state);
      lib->easy_setopt (curl, CURLOPT_NOPROGRESS, 0L);
    }
  lib->easy_setopt (curl, CURLOPT_USERAGENT, "entsec/" PACKAGE_VERSION);
}

static char *
host_of (const EntsecCurl *lib,
         const char       *url)
{
  CURLU *parsed = lib->url ();
  char *host = NULL;
  char *copy;

  if (lib->url_set (parsed, CURLUPART_URL, url, 0) == CURLUE_OK)
    lib->url_get (parsed, CURLUPART_HOST, &host, 0);
  copy = entsec_dup_printable (host != NULL ? host : url, -1, ERROR_DETAIL_CHARS);
  lib->free (host);
  lib->url_cleanup (parsed);
  return copy;
}

EntsecHttpResponse *
entsec_http_request (const EntsecHttpTrust *trust,
                     const char            *method,
                     const char            *url,
                     const char * const    *headers,
                     GBytes                *body,
                     GError               **error)
{
  g_autoptr (EntsecHttpResponse) response = g_new0 (EntsecHttpResponse, 1);
  g_autoptr (GByteArray) received = g_byte_array_new ();
  g_autofree char *host = NULL;
  CallState state = { 0 };
  char error_buffer[CURL_ERROR_SIZE] = "";
  struct curl_slist *list = NULL;
  const EntsecCurl *lib;
  CURL *curl;
  CURLcode code;

  g_return_val_if_fail (trust != NULL, NULL);
  g_return_val_if_fail (method != NULL && url != NULL, NULL);

  lib = entsec_curl_get (error);
  if (lib == NULL || !check_url (lib, url, error)
      || g_cancellable_set_error_if_cancelled (trust->cancellable, error))
    return NULL;
  state.lib = lib;
  state.trust = trust;
  if (trust->pins != NULL && !parse_pins (trust->pins, &state, error))
    return NULL;
  if (trust->pin_is_anchor && trust->pins == NULL)
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_INVALID_URL,
                           "A pin is needed to stand in for the server's CA");
      return NULL;
    }
  state.max_response = trust->max_response != 0 ? trust->max_response : ENTSEC_HTTP_MAX_RESPONSE;
  state.body = received;
  state.response = response;
  state.verify_error = X509_V_OK;
  response->retry_after = -1;
  response->date = -1;

  curl = lib->easy_init ();
  set_options (curl, trust, &state, error_buffer);
  lib->easy_setopt (curl, CURLOPT_URL, url);
  lib->easy_setopt (curl, CURLOPT_CUSTOMREQUEST, method);
  if (body != NULL)
    {
      gsize len = 0;
      const void *data = g_bytes_get_data (body, &len);

      lib->easy_setopt (curl, CURLOPT_POSTFIELDS, data);
      lib->easy_setopt (curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
    }
  else if (g_strcmp0 (method, "GET") == 0)
    lib->easy_setopt (curl, CURLOPT_HTTPGET, 1L);
  /* No "Expect: 100-continue" round trip. */
  list = lib->slist_append (list, "Expect:");
  for (gsize i = 0; headers != NULL && headers[i] != NULL; i++)
    list = lib->slist_append (list, headers[i]);
  lib->easy_setopt (curl, CURLOPT_HTTPHEADER, list);

  code = lib->easy_perform (curl);
  if (code == CURLE_OK)
    lib->easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &response->status);
  lib->easy_cleanup (curl);
  lib->slist_free_all (list);

  host = host_of (lib, url);
  if (code == CURLE_ABORTED_BY_CALLBACK && g_cancellable_is_cancelled (trust->cancellable))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The call to %s was cancelled", host);
      return NULL;
    }
  if (code != CURLE_OK)
    {
      set_transport_error (&state, code, host, error_buffer, error);
      return NULL;
    }
  if (response->status >= 300 && response->status < 400 && response->status != 304)
    {
      g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_REDIRECT,
                   "%s redirected the call elsewhere (HTTP %ld): use the server's own "
                   "address", host, response->status);
      return NULL;
    }
  response->body = g_byte_array_free_to_bytes (g_steal_pointer (&received));
  return g_steal_pointer (&response);
}

static EntsecNetError
code_of_problem (EntsecProblemType type,
                 long              status)
{
  switch (type)
    {
    case ENTSEC_PROBLEM_RATE_LIMITED:
      return ENTSEC_NET_ERROR_RATE_LIMITED;
    case ENTSEC_PROBLEM_INVALID_CODE:
      return ENTSEC_NET_ERROR_INVALID_CODE;
    case ENTSEC_PROBLEM_EXPIRED:
      return ENTSEC_NET_ERROR_ENROLLMENT_EXPIRED;
    case ENTSEC_PROBLEM_DEVICE_REVOKED:
      return ENTSEC_NET_ERROR_REVOKED;
    case ENTSEC_PROBLEM_INVALID_SIGNATURE:
      return ENTSEC_NET_ERROR_SIGNATURE;
    case ENTSEC_PROBLEM_CLIENT_TOO_OLD:
      return ENTSEC_NET_ERROR_CLIENT_TOO_OLD;
    case ENTSEC_PROBLEM_UNKNOWN:
      if (status == 429)
        return ENTSEC_NET_ERROR_RATE_LIMITED;
      if (status == 410)
        return ENTSEC_NET_ERROR_ENROLLMENT_EXPIRED;
      return ENTSEC_NET_ERROR_SERVER;
    default:
      return ENTSEC_NET_ERROR_SERVER;
    }
}

static const char *
advice_of (EntsecNetError code)
{
  switch (code)
    {
    case ENTSEC_NET_ERROR_INVALID_CODE:
      return "check the code and enter it again, or start over for a new one";
    case ENTSEC_NET_ERROR_ENROLLMENT_EXPIRED:
      return "start again to get a new code";
    case ENTSEC_NET_ERROR_REVOKED:
      return "ask your administrator";
    case ENTSEC_NET_ERROR_SIGNATURE:
      return "check this computer's clock; if it is right, the device may have been "
             "removed from the server: ask your administrator";
    default:
      return NULL;
    }
}

gboolean
entsec_http_response_check (const EntsecHttpResponse *response,
                            GError                  **error)
{
  g_autoptr (EntsecProblem) problem = NULL;
  g_autofree char *title = NULL;
  EntsecNetError code;
  const char *advice;

  g_return_val_if_fail (response != NULL, FALSE);

  if (response->status >= 200 && response->status < 300)
    return TRUE;
  if (g_strcmp0 (response->content_type, ENTSEC_PROBLEM_CONTENT_TYPE) == 0)
    {
      gsize len = 0;
      const char *data = g_bytes_get_data (response->body, &len);

      problem = entsec_problem_parse (data, len, NULL);
    }
  code = code_of_problem (problem != NULL ? problem->type : ENTSEC_PROBLEM_UNKNOWN,
                          response->status);
  title = entsec_dup_printable (problem != NULL && problem->title != NULL ? problem->title
                                : "The server refused the request", -1, ERROR_DETAIL_CHARS);
  if (code == ENTSEC_NET_ERROR_RATE_LIMITED)
    {
      gint64 wait = response->retry_after >= 0 ? response->retry_after : 60;

      g_set_error (error, ENTSEC_NET_ERROR, code, "%s: try again in %" G_GINT64_FORMAT
                   " second%s", title, wait, wait == 1 ? "" : "s");
      return FALSE;
    }
  if (code == ENTSEC_NET_ERROR_CLIENT_TOO_OLD)
    {
      g_autofree char *detail = entsec_dup_printable (problem->detail, -1, ERROR_DETAIL_CHARS);

      g_set_error (error, ENTSEC_NET_ERROR, code,
                   "This version of entsec (%s) is older than your organisation allows%s%s%s: "
                   "update entsec (your system's software updates), then try again; nothing "
                   "was used up", PACKAGE_VERSION, problem->detail != NULL ? " (" : "",
                   problem->detail != NULL ? detail : "", problem->detail != NULL ? ")" : "");
      return FALSE;
    }
  advice = advice_of (code);
  if (advice != NULL)
    g_set_error (error, ENTSEC_NET_ERROR, code, "%s: %s", title, advice);
  else
    g_set_error (error, ENTSEC_NET_ERROR, code, "%s (HTTP %ld)", title, response->status);
  return FALSE;
}
