/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-sender-sms.c: enrollment codes by SMS through an HTTP gateway
 * (libcurl POST of sms_body, filled in and escaped for JSON or a form).
 * https:// is verified; http:// is accepted only to loopback (a local
 * relay). A non-2xx answer is logged without the code; the client is
 * answered alike either way.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "entsec-protocol.h"
#include "server-private.h"
#include "server-sender.h"

typedef struct
{
  EntsecSender parent;
  char        *url;
  char        *body;
  gboolean     json;
  char        *token;
  char        *ca_file;
  guint        timeout;
} SmsSender;

/* The inside of a JSON string (no quotes). */
static char *
escape_json (const char *value)
{
  g_autoptr (json_t) string = json_string (value);
  g_autofree char *text = json_dumps (string, JSON_ENCODE_ANY);
  gsize len = strlen (text);
  char *inner = g_strndup (text + 1, len - 2);

  OPENSSL_cleanse (text, len);
  return inner;
}

static char *
escape_form (const char *value)
{
  return g_uri_escape_string (value, NULL, FALSE);
}

static const char *const placeholders[] = { "to", "code", "minutes", NULL };

char *
entsec_sender_sms_http_body (EntsecSender            *sender,
                             const EntsecCodeMessage *m)
{
  SmsSender *self = (SmsSender *) sender;
  g_autofree char *minutes = g_strdup_printf ("%" G_GINT64_FORMAT, MAX (1, m->lifetime / 60));
  const char *values[] = { m->address, m->code, minutes, NULL };

  /* sms_body was checked at start */
  return entsec_sender_fill (self->body, placeholders, values,
                             self->json ? escape_json : escape_form, "sms_body", NULL);
}

static size_t
discard (char  *data,
         size_t size,
         size_t nmemb,
         void  *user_data)
{
  return size * nmemb;
}

static gboolean
sms_send (EntsecSender            *sender,
          const EntsecCodeMessage *m,
          GError                 **error)
{
  SmsSender *self = (SmsSender *) sender;
  g_autofree char *body = entsec_sender_sms_http_body (sender, m);
  g_autofree char *auth = NULL;
  char reason[CURL_ERROR_SIZE] = { 0 };
  struct curl_slist *headers = NULL;
  CURL *curl = curl_easy_init ();
  CURLcode result = CURLE_FAILED_INIT;
  long status = 0;

  headers = curl_slist_append (headers,
                               self->json ? "Content-Type: application/json"
                                          : "Content-Type: application/x-www-form-urlencoded");
  if (self->token != NULL)
    {
      auth = g_strconcat ("Authorization: Bearer ", self->token, NULL);
      headers = curl_slist_append (headers, auth);
    }
  if (curl != NULL && headers != NULL)
    {
      curl_easy_setopt (curl, CURLOPT_URL, self->url);
      curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "https,http");
      curl_easy_setopt (curl, CURLOPT_SSL_VERIFYPEER, 1L);
      curl_easy_setopt (curl, CURLOPT_SSL_VERIFYHOST, 2L);
      if (self->ca_file != NULL)
        curl_easy_setopt (curl, CURLOPT_CAINFO, self->ca_file);
      curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
      curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body);
      curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, discard);
      curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, (long) MIN (self->timeout, 10));
      curl_easy_setopt (curl, CURLOPT_TIMEOUT, (long) self->timeout);
      curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, reason);
      result = curl_easy_perform (curl);
      curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
    }
  curl_slist_free_all (headers);
  curl_easy_cleanup (curl);
  OPENSSL_cleanse (body, strlen (body));
  if (auth != NULL)
    OPENSSL_cleanse (auth, strlen (auth));
  if (result != CURLE_OK)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_IO,
                   "The SMS gateway %s could not be reached: %s (check sms_url and sms_ca_file)",
                   self->url, reason[0] != '\0' ? reason : curl_easy_strerror (result));
      return FALSE;
    }
  if (status < 200 || status > 299)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_IO,
                   "The SMS gateway %s answered HTTP %ld (check sms_body, sms_token_file "
                   "and the gateway's log)", self->url, status);
      return FALSE;
    }
  g_message ("Enrollment %s: code sent by SMS", m->enrollment_id);
  return TRUE;
}

static void
sms_free (EntsecSender *sender)
{
  SmsSender *self = (SmsSender *) sender;

  g_free (self->url);
  g_free (self->body);
  if (self->token != NULL)
    OPENSSL_cleanse (self->token, strlen (self->token));
  g_free (self->token);
  g_free (self->ca_file);
  g_free (self);
}

EntsecSender *
entsec_sender_sms_http_new (const EntsecServerConfig *config,
                            GError                  **error)
{
  static const char *const values[] = { "", "", "", NULL };
  g_autofree char *check = NULL;
  SmsSender *self;

  if (config->sms_url == NULL)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG,
                   "sms_sender = sms-http needs \"sms_url\" (docs/server.md)");
      return NULL;
    }
  check = entsec_sender_fill (config->sms_body, placeholders, values, NULL, "sms_body", error);
  if (check == NULL)
    return NULL;
  entsec_sender_curl_init ();
  self = g_new0 (SmsSender, 1);
  self->parent.send = sms_send;
  self->parent.free = sms_free;
  self->url = g_strdup (config->sms_url);
  self->body = g_strdup (config->sms_body);
  self->json = strcmp (config->sms_content_type, "json") == 0;
  self->ca_file = g_strdup (config->sms_ca_file);
  self->timeout = config->sender_timeout;
  if (config->sms_token_file != NULL)
    {
      self->token = entsec_sender_read_secret (config->sms_token_file, "sms_token_file", error);
      if (self->token == NULL)
        {
          sms_free (&self->parent);
          return NULL;
        }
    }
  return &self->parent;
}
