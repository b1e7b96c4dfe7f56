/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-sender-smtp.c: enrollment codes by email through an SMTP relay
 * (libcurl). TLS is required (STARTTLS on smtp://, implicit on smtps://)
 * and verified; every delivery is bounded by sender_timeout. The text comes
 * from a template per language: templates_dir/email-LANG.txt if present,
 * else the built-in one, falling back from "zh_CN" to "zh" to "en".
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "server-private.h"
#include "server-sender.h"

/* "Subject: ...", an empty line, the body; {code}, {minutes} and {to}. */
static const struct
{
  const char *language;
  const char *text;
} builtin_templates[] = {
  { "en", "Subject: Your enrollment code\n\n"
          "Your code for setting up entsec is:\n\n    {code}\n\n"
          "It is valid for {minutes} minutes. If you did not ask for it, ignore this message.\n" },
  { "de", "Subject: Ihr Anmeldecode\n\n"
          "Ihr Code für die Einrichtung von entsec lautet:\n\n    {code}\n\n"
          "Er ist {minutes} Minuten gültig. Wenn Sie ihn nicht angefordert haben, "
          "ignorieren Sie diese Nachricht.\n" },
  { "zh_CN", "Subject: 您的注册验证码\n\n"
             "您设置 entsec 的验证码是：\n\n    {code}\n\n"
             "验证码在 {minutes} 分钟内有效。如果您没有请求验证码，请忽略此邮件。\n" },
};

typedef struct
{
  EntsecSender parent;
  char        *url;
  char        *from;
  char        *username;
  char        *password;
  char        *ca_file;
  char        *templates_dir;
  guint        timeout;
} SmtpSender;

/* "de-DE" -> "de_DE"; anything but letters, '-' and '_' -> NULL. */
static char *
normalize_language (const char *language)
{
  g_autofree char *out = NULL;

  if (language == NULL || language[0] == '\0' || strlen (language) > 35)
    return NULL;
  out = g_strdup (language);
  for (char *p = out; *p != '\0'; p++)
    {
      if (*p == '-')
        *p = '_';
      else if (!g_ascii_isalnum (*p) && *p != '_')
        return NULL;
    }
  return g_steal_pointer (&out);
}

static char *
template_for (SmtpSender *self,
              const char *candidate)
{
  if (self->templates_dir != NULL)
    {
      g_autofree char *name = g_strdup_printf ("email-%s.txt", candidate);
      g_autofree char *path = g_build_filename (self->templates_dir, name, NULL);
      char *text = NULL;

      if (g_file_get_contents (path, &text, NULL, NULL))
        return text;
    }
  for (guint i = 0; i < G_N_ELEMENTS (builtin_templates); i++)
    {
      if (g_ascii_strcasecmp (builtin_templates[i].language, candidate) == 0)
        return g_strdup (builtin_templates[i].text);
    }
  return NULL;
}

/* The template for @language: exact, then the language alone, then English. */
static char *
find_template (SmtpSender *self,
               const char *language)
{
  g_autofree char *lang = normalize_language (language);
  char *text = NULL;

  if (lang != NULL)
    text = template_for (self, lang);
  if (text == NULL && lang != NULL && strchr (lang, '_') != NULL)
    {
      *strchr (lang, '_') = '\0';
      text = template_for (self, lang);
    }
  return text != NULL ? text : template_for (self, "en");
}

/* RFC 5322 date, always in English and UTC. */
static char *
format_date (gint64 now)
{
  static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
  g_autoptr (GDateTime) t = g_date_time_new_from_unix_utc (now);

  return g_strdup_printf ("%s, %02d %s %d %02d:%02d:%02d +0000",
                          days[g_date_time_get_day_of_week (t) - 1],
                          g_date_time_get_day_of_month (t), months[g_date_time_get_month (t) - 1],
                          g_date_time_get_year (t), g_date_time_get_hour (t),
                          g_date_time_get_minute (t), g_date_time_get_second (t));
}

/* RFC 2047 B-encoding of a UTF-8 subject, in encoded words of at most 75 characters. */
static char *
encode_subject (const char *subject)
{
  g_autoptr (GString) out = g_string_new (NULL);
  const char *p = subject;

  while (*p != '\0')
    {
      const char *end = p;
      g_autofree char *b64 = NULL;

      /* 45 bytes make 60 base64 characters: "=?UTF-8?B?" + 60 + "?=" = 72 */
      while (*end != '\0' && g_utf8_next_char (end) - p <= 45)
        end = g_utf8_next_char (end);
      b64 = g_base64_encode ((const guchar *) p, (gsize) (end - p));
      g_string_append_printf (out, "%s=?UTF-8?B?%s?=", out->len > 0 ? "\r\n " : "", b64);
      p = end;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* The body in base64, 76 characters a line: any UTF-8 is safe on any relay. */
static void
append_body (GString    *out,
             const char *body)
{
  g_autofree char *b64 = g_base64_encode ((const guchar *) body, strlen (body));
  gsize len = strlen (b64);

  for (gsize i = 0; i < len; i += 76)
    {
      g_string_append_len (out, b64 + i, (gssize) MIN (76, len - i));
      g_string_append (out, "\r\n");
    }
  OPENSSL_cleanse (b64, len);
}

static char *
fill_template (SmtpSender              *self,
               const EntsecCodeMessage *m)
{
  static const char *const names[] = { "code", "minutes", "to", NULL };
  g_autofree char *text = find_template (self, m->language);
  g_autofree char *minutes = g_strdup_printf ("%" G_GINT64_FORMAT, MAX (1, m->lifetime / 60));
  const char *values[] = { m->code, minutes, m->address, NULL };
  g_autoptr (GError) error = NULL;
  char *filled = entsec_sender_fill (text, names, values, NULL, "email template", &error);

  if (filled == NULL) /* checked at start; a file changed since: the English text */
    {
      g_message ("%s", error->message);
      filled = entsec_sender_fill (builtin_templates[0].text, names, values, NULL, "", NULL);
    }
  return filled;
}

char *
entsec_sender_smtp_message (EntsecSender            *sender,
                            const EntsecCodeMessage *m,
                            gint64                   now)
{
  SmtpSender *self = (SmtpSender *) sender;
  g_autofree char *filled = fill_template (self, m);
  char *body = strstr (filled, "\n\n");
  g_autofree char *subject_line = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *date = format_date (now);
  g_autofree char *message_id = entsec_server_random_id ("");
  GString *out = g_string_new (NULL);

  subject_line = g_strndup (filled, body != NULL ? (gsize) (body - filled) : 0);
  subject = encode_subject (g_str_has_prefix (subject_line, "Subject: ")
                              ? subject_line + strlen ("Subject: ") : "entsec");
  g_string_append_printf (out,
                          "From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\nDate: %s\r\n"
                          "Message-ID: <%s%s>\r\nMIME-Version: 1.0\r\n"
                          "Content-Type: text/plain; charset=UTF-8\r\n"
                          "Content-Transfer-Encoding: base64\r\nAuto-Submitted: auto-generated\r\n"
                          "\r\n",
                          self->from, m->address, subject, date, message_id,
                          strchr (self->from, '@'));
  append_body (out, body != NULL ? body + 2 : filled);
  OPENSSL_cleanse (filled, strlen (filled));
  return g_string_free (out, FALSE);
}

typedef struct
{
  const char *data;
  gsize       left;
} Upload;

static size_t
read_upload (char  *buffer,
             size_t size,
             size_t nitems,
             void  *user_data)
{
  Upload *upload = user_data;
  gsize n = MIN (size * nitems, upload->left);

  memcpy (buffer, upload->data, n);
  upload->data += n;
  upload->left -= n;
  return n;
}

static gboolean
smtp_send (EntsecSender            *sender,
           const EntsecCodeMessage *m,
           GError                 **error)
{
  SmtpSender *self = (SmtpSender *) sender;
  g_autofree char *text = entsec_sender_smtp_message (sender, m,
                                                      g_get_real_time () / G_USEC_PER_SEC);
  g_autofree char *from = g_strdup_printf ("<%s>", self->from);
  g_autofree char *to = g_strdup_printf ("<%s>", m->address);
  Upload upload = { text, strlen (text) };
  char reason[CURL_ERROR_SIZE] = { 0 };
  struct curl_slist *rcpt = curl_slist_append (NULL, to);
  CURL *curl = curl_easy_init ();
  CURLcode result = CURLE_FAILED_INIT;

  if (curl != NULL && rcpt != NULL)
    {
      curl_easy_setopt (curl, CURLOPT_URL, self->url);
      curl_easy_setopt (curl, CURLOPT_USE_SSL, (long) CURLUSESSL_ALL);
      curl_easy_setopt (curl, CURLOPT_SSL_VERIFYPEER, 1L);
      curl_easy_setopt (curl, CURLOPT_SSL_VERIFYHOST, 2L);
      if (self->ca_file != NULL)
        curl_easy_setopt (curl, CURLOPT_CAINFO, self->ca_file);
      if (self->username != NULL)
        {
          curl_easy_setopt (curl, CURLOPT_USERNAME, self->username);
          curl_easy_setopt (curl, CURLOPT_PASSWORD, self->password);
        }
      curl_easy_setopt (curl, CURLOPT_MAIL_FROM, from);
      curl_easy_setopt (curl, CURLOPT_MAIL_RCPT, rcpt);
      curl_easy_setopt (curl, CURLOPT_READFUNCTION, read_upload);
      curl_easy_setopt (curl, CURLOPT_READDATA, &upload);
      curl_easy_setopt (curl, CURLOPT_UPLOAD, 1L);
      curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, (long) MIN (self->timeout, 10));
      curl_easy_setopt (curl, CURLOPT_TIMEOUT, (long) self->timeout);
      curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, reason);
      result = curl_easy_perform (curl);
    }
  curl_slist_free_all (rcpt);
  curl_easy_cleanup (curl);
  OPENSSL_cleanse (text, strlen (text));
  if (result != CURLE_OK)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_IO,
                   "The mail relay %s did not take the message: %s (check smtp_url, "
                   "smtp_ca_file and the relay's log)", self->url,
                   reason[0] != '\0' ? reason : curl_easy_strerror (result));
      return FALSE;
    }
  g_message ("Enrollment %s: code sent by email", m->enrollment_id);
  return TRUE;
}

static void
smtp_free (EntsecSender *sender)
{
  SmtpSender *self = (SmtpSender *) sender;

  g_free (self->url);
  g_free (self->from);
  g_free (self->username);
  if (self->password != NULL)
    OPENSSL_cleanse (self->password, strlen (self->password));
  g_free (self->password);
  g_free (self->ca_file);
  g_free (self->templates_dir);
  g_free (self);
}

static EntsecSender *
missing (GError    **error,
         const char *key)
{
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG,
               "email_sender = smtp needs \"%s\" (docs/server.md)", key);
  return NULL;
}

/* Every template there must fill; a broken one is found at start, not per message. */
static gboolean
check_templates (const char *dir,
                 GError    **error)
{
  static const char *const names[] = { "code", "minutes", "to", NULL };
  static const char *const values[] = { "", "", "", NULL };
  g_autoptr (GDir) d = NULL;
  const char *name;

  if (dir == NULL)
    return TRUE;
  d = g_dir_open (dir, 0, error);
  if (d == NULL)
    return FALSE;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *text = NULL;
      g_autofree char *filled = NULL;
      gsize len = 0;

      if (!g_str_has_prefix (name, "email-") || !g_str_has_suffix (name, ".txt"))
        continue;
      if (!g_file_get_contents (path, &text, &len, error))
        return FALSE;
      if (!g_utf8_validate_len (text, len, NULL) || !g_str_has_prefix (text, "Subject: ")
          || strstr (text, "\n\n") == NULL)
        {
          g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG,
                       "%s: must be UTF-8 text starting \"Subject: \", then an empty line "
                       "and the body", path);
          return FALSE;
        }
      filled = entsec_sender_fill (text, names, values, NULL, path, error);
      if (filled == NULL)
        return FALSE;
    }
  return TRUE;
}

static gpointer
init_curl (gpointer data)
{
  curl_global_init (CURL_GLOBAL_DEFAULT);
  return NULL;
}

/* Before any thread uses libcurl (curl_global_init is not thread-safe in 7.88). */
void
entsec_sender_curl_init (void)
{
  static GOnce once = G_ONCE_INIT;

  g_once (&once, init_curl, NULL);
}

EntsecSender *
entsec_sender_smtp_new (const EntsecServerConfig *config,
                        GError                  **error)
{
  SmtpSender *self;

  if (config->smtp_url == NULL)
    return missing (error, "smtp_url");
  if (config->smtp_from == NULL)
    return missing (error, "smtp_from");
  if (config->smtp_username != NULL && config->smtp_password_file == NULL)
    return missing (error, "smtp_password_file");
  if (!check_templates (config->templates_dir, error))
    return NULL;
  entsec_sender_curl_init ();
  self = g_new0 (SmtpSender, 1);
  self->parent.send = smtp_send;
  self->parent.free = smtp_free;
  self->url = g_strdup (config->smtp_url);
  self->from = g_strdup (config->smtp_from);
  self->username = g_strdup (config->smtp_username);
  self->ca_file = g_strdup (config->smtp_ca_file);
  self->templates_dir = g_strdup (config->templates_dir);
  self->timeout = config->sender_timeout;
  if (config->smtp_username != NULL)
    {
      self->password = entsec_sender_read_secret (config->smtp_password_file,
                                                  "smtp_password_file", error);
      if (self->password == NULL)
        {
          smtp_free (&self->parent);
          return NULL;
        }
    }
  return &self->parent;
}
