/* SPDX-License-Identifier: GPL-3.0-or-later */
/* admin-http.c: configuration, credentials and the HTTPS calls of entsec-admin */

#include "config.h"

#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "admin-private.h"

#define REPLY_MAX_BYTES (1024 * 1024)
#define CREDENTIAL_MAX_BYTES 1024
#define CONFIG_GROUP "entsec-admin"
#define PROBLEM_PREFIX "tag:entsec.org,2026:problem:"
#define REPLY_START_BYTES (16 * 1024) /* no reallocation (and stale copy) for small answers */

typedef GByteArray WipedBuffer;

void
admin_print_error (const char *format,
                   ...)
{
  va_list args;

  va_start (args, format);
  fputs ("entsec-admin: ", stderr);
  vfprintf (stderr, format, args);
  fputc ('\n', stderr);
  va_end (args);
}

char *
admin_printable (const char *text)
{
  GString *out = g_string_new (NULL);
  const char *p = text;

  while (*p != '\0')
    {
      gunichar c = g_utf8_get_char_validated (p, -1);

      if (c == (gunichar) -1 || c == (gunichar) -2)
        {
          g_string_append_c (out, '?');
          p++;
          continue;
        }
      if (g_unichar_iscntrl (c))
        g_string_append_printf (out, "\\u%04x", c);
      else
        g_string_append_unichar (out, c);
      p = g_utf8_next_char (p);
    }
  return g_string_free (out, FALSE);
}

void
admin_reply_clear (AdminReply *reply)
{
  g_clear_pointer (&reply->body, json_decref);
  g_clear_pointer (&reply->peer_pin, g_free);
}

static void
set_from_key_file (GKeyFile    *file,
                   const char  *key,
                   char       **value)
{
  if (*value == NULL)
    *value = g_key_file_get_string (file, CONFIG_GROUP, key, NULL);
}

gboolean
admin_load_config (AdminOptions *options)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *user_path = g_build_filename (g_get_user_config_dir (), "entsec",
                                                 "admin.conf", NULL);
  const char *path = options->config;

  if (path == NULL)
    path = g_file_test (user_path, G_FILE_TEST_EXISTS) ? user_path : "/etc/entsec/admin.conf";
  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, &error))
    {
      if (options->config == NULL && g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        goto check;
      admin_print_error ("cannot read the configuration %s: %s", path, error->message);
      return FALSE;
    }
  set_from_key_file (file, "server", &options->server);
  set_from_key_file (file, "ca", &options->ca);
  set_from_key_file (file, "pin", &options->pin);
  set_from_key_file (file, "token-file", &options->token_file);
  set_from_key_file (file, "api-key-file", &options->api_key_file);
check:
  if (options->server == NULL)
    {
      admin_print_error ("no server: give --server https://HOST:PORT or set \"server\" in "
                         "[" CONFIG_GROUP "] of %s", path);
      return FALSE;
    }
  if (!g_str_has_prefix (options->server, "https://"))
    {
      admin_print_error ("the server URL must start with https:// (TLS is always used)");
      return FALSE;
    }
  if (options->pin != NULL && !g_str_has_prefix (options->pin, "sha256//"))
    {
      admin_print_error ("--pin must be sha256// followed by the base64 SHA-256 of the "
                         "server key (entsec-server --init prints it)");
      return FALSE;
    }
  return TRUE;
}

/* The first line of @path, a credential; NULL after printing why. Wipe, then g_free(). */
static char *
read_credential (const char *option,
                 const char *path)
{
  g_autofree char *data = NULL;
  g_autoptr (GError) error = NULL;
  gsize len = 0;
  char *line;

  if (path == NULL)
    {
      admin_print_error ("no credential: give %s FILE (or set it in the configuration)",
                         option);
      return NULL;
    }
  if (!g_file_get_contents (path, &data, &len, &error))
    {
      admin_print_error ("cannot read %s: %s", option, error->message);
      return NULL;
    }
  line = g_strndup (data, strcspn (data, "\r\n"));
  OPENSSL_cleanse (data, len);
  if (line[0] == '\0' || strlen (line) > CREDENTIAL_MAX_BYTES)
    {
      admin_print_error ("the file of %s must hold the credential on its first line", option);
      g_free (line);
      return NULL;
    }
  return line;
}

static size_t
on_data (char   *data,
         size_t  size,
         size_t  count,
         void   *user_data)
{
  GByteArray *buffer = user_data;

  if (buffer->len + size * count > REPLY_MAX_BYTES)
    return 0;
  g_byte_array_append (buffer, (const guint8 *) data, size * count);
  return size * count;
}

/* What a transport failure means for a person, and its exit code. */
static int
report_transport (const AdminOptions *options,
                  CURLcode            code,
                  const char         *detail)
{
  g_autofree char *server = admin_printable (options->server);

  switch (code)
    {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      admin_print_error ("the certificate of %s is not trusted (%s): give the server's CA "
                         "with --ca FILE", server, detail);
      return ADMIN_EXIT_AUTH;
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      admin_print_error ("the key of %s does not match the pin given with --pin: this is "
                         "not the server you expect", server);
      return ADMIN_EXIT_AUTH;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
      admin_print_error ("cannot connect to %s (%s): is the server running?", server, detail);
      return ADMIN_EXIT_FAILURE;
    case CURLE_WRITE_ERROR:
      admin_print_error ("the answer of %s is over %d bytes", server, REPLY_MAX_BYTES);
      return ADMIN_EXIT_FAILURE;
    default:
      admin_print_error ("the call to %s failed: %s", server, detail);
      return ADMIN_EXIT_FAILURE;
    }
}

/* Print the problem document of a non-2xx answer; returns its exit code. */
static int
report_problem (long    status,
                json_t *body)
{
  const char *title = json_string_value (json_object_get (body, "title"));
  const char *detail = json_string_value (json_object_get (body, "detail"));
  g_autofree char *safe_title = admin_printable (title != NULL ? title : "the server refused");
  g_autofree char *safe_detail = detail != NULL ? admin_printable (detail) : NULL;

  if (safe_detail != NULL)
    admin_print_error ("%s: %s (HTTP %ld)", safe_title, safe_detail, status);
  else
    admin_print_error ("%s (HTTP %ld)", safe_title, status);
  if (status == 401)
    {
      admin_print_error ("check the token file given with --token-file (or --api-key-file)");
      return ADMIN_EXIT_AUTH;
    }
  /* 403 refuses the thing asked for (an unbound device, a token locked until reset), not the
   * credential: the input was refused. */
  if (status >= 400 && status < 500)
    return ADMIN_EXIT_REJECTED;
  return ADMIN_EXIT_FAILURE;
}

/* "sha256//BASE64" of the SubjectPublicKeyInfo of the PEM certificate in @pem. */
static char *
pin_of_pem (const char *pem)
{
  g_autoptr (GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  BIO *bio = BIO_new_mem_buf (pem, -1);
  X509 *cert = PEM_read_bio_X509 (bio, NULL, NULL, NULL);
  unsigned char *der = NULL;
  guint8 digest[32];
  gsize digest_len = sizeof digest;
  g_autofree char *b64 = NULL;
  int len;

  BIO_free (bio);
  if (cert == NULL)
    return NULL;
  len = i2d_X509_PUBKEY (X509_get_X509_PUBKEY (cert), &der);
  X509_free (cert);
  if (len <= 0)
    return NULL;
  g_checksum_update (sum, der, len);
  OPENSSL_free (der);
  g_checksum_get_digest (sum, digest, &digest_len);
  b64 = g_base64_encode (digest, digest_len);
  return g_strconcat ("sha256//", b64, NULL);
}

/* The pin of the leaf certificate curl saw (CURLOPT_CERTINFO). */
static char *
peer_pin (CURL *curl)
{
  struct curl_certinfo *info = NULL;

  if (curl_easy_getinfo (curl, CURLINFO_CERTINFO, &info) != CURLE_OK || info == NULL
      || info->num_of_certs < 1)
    return NULL;
  for (struct curl_slist *item = info->certinfo[0]; item != NULL; item = item->next)
    {
      if (g_str_has_prefix (item->data, "Cert:"))
        return pin_of_pem (item->data + 5);
    }
  return NULL;
}

static void
setup_tls (CURL               *curl,
           const AdminOptions *options)
{
  curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "https");
  curl_easy_setopt (curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt (curl, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt (curl, CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2);
  if (options->ca != NULL)
    curl_easy_setopt (curl, CURLOPT_CAINFO, options->ca);
  if (options->pin != NULL)
    curl_easy_setopt (curl, CURLOPT_PINNEDPUBLICKEY, options->pin);
}

/* Parse the answer; FALSE after printing why (a server that answers non-JSON). */
static gboolean
parse_reply (GByteArray *buffer,
             AdminReply *reply)
{
  g_autoptr (GError) error = NULL;

  if (buffer->len == 0)
    return TRUE;
  reply->body = entsec_json_load_object ((const char *) buffer->data, buffer->len,
                                         REPLY_MAX_BYTES, ENTSEC_JSON_MAX_DEPTH,
                                         "The server's answer", &error);
  if (reply->body == NULL)
    {
      g_autofree char *text = admin_printable (error->message);

      admin_print_error ("%s (HTTP %ld)", text, reply->status);
      return FALSE;
    }
  return TRUE;
}

/* Answers may carry a seed or a key (shown once): wipe them before they are freed. */
static void
wipe_buffer (GByteArray *buffer)
{
  OPENSSL_cleanse (buffer->data, buffer->len);
  g_byte_array_unref (buffer);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WipedBuffer, wipe_buffer)

static int
perform (CURL               *curl,
         const AdminOptions *options,
         gboolean            want_pin,
         AdminReply         *reply)
{
  g_autoptr (WipedBuffer) buffer = g_byte_array_sized_new (REPLY_START_BYTES);
  char error_text[CURL_ERROR_SIZE] = "";
  CURLcode code;

  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, error_text);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, buffer);
  code = curl_easy_perform (curl);
  if (code != CURLE_OK)
    return report_transport (options, code,
                             error_text[0] != '\0' ? error_text : curl_easy_strerror (code));
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &reply->status);
  if (want_pin)
    reply->peer_pin = peer_pin (curl);
  if (!parse_reply (buffer, reply))
    return ADMIN_EXIT_FAILURE;
  if (reply->status < 200 || reply->status > 299)
    {
      int exit_code = report_problem (reply->status, reply->body);

      admin_reply_clear (reply);
      return exit_code;
    }
  return ADMIN_EXIT_OK;
}

int
admin_call (const AdminOptions *options,
            const char         *method,
            const char         *path,
            json_t             *body,
            AdminAuth           auth,
            gboolean            want_pin,
            AdminReply         *reply)
{
  g_autofree char *url = g_strconcat (options->server, path, NULL);
  g_autofree char *payload = body != NULL ? json_dumps (body, JSON_COMPACT) : NULL;
  struct curl_slist *headers = NULL;
  char *credential = NULL;
  CURL *curl;
  int exit_code;

  if (auth == ADMIN_AUTH_TOKEN)
    credential = read_credential ("--token-file", options->token_file);
  else if (auth == ADMIN_AUTH_API_KEY)
    credential = read_credential ("--api-key-file", options->api_key_file);
  if (auth != ADMIN_AUTH_NONE && credential == NULL)
    return ADMIN_EXIT_USAGE;
  curl = curl_easy_init ();
  setup_tls (curl, options);
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, method);
  curl_easy_setopt (curl, CURLOPT_USERAGENT, "entsec-admin/" PACKAGE_VERSION);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt (curl, CURLOPT_CERTINFO, want_pin ? 1L : 0L);
  if (credential != NULL)
    {
      curl_easy_setopt (curl, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
      curl_easy_setopt (curl, CURLOPT_XOAUTH2_BEARER, credential);
    }
  if (payload != NULL)
    {
      headers = curl_slist_append (headers, "Content-Type: application/json");
      curl_easy_setopt (curl, CURLOPT_POSTFIELDS, payload);
    }
  headers = curl_slist_append (headers, "Accept: application/json, application/problem+json");
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  exit_code = perform (curl, options, want_pin, reply);
  curl_easy_cleanup (curl);
  curl_slist_free_all (headers);
  if (payload != NULL)
    OPENSSL_cleanse (payload, strlen (payload)); /* validate's body holds a code */
  if (credential != NULL)
    {
      OPENSSL_cleanse (credential, strlen (credential));
      g_free (credential);
    }
  return exit_code;
}
