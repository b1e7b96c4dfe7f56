/* SPDX-License-Identifier: GPL-3.0-or-later */
/* server-util.c: identifiers, address normalisation, digests, private files */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "entsec-protocol.h"
#include "server-private.h"

G_DEFINE_QUARK (entsec-server-error-quark, entsec_server_error)

#define ID_RANDOM_BYTES 16
#define SECRET_RANDOM_BYTES 32
#define EMAIL_MAX_BYTES 254
#define NAME_MAX_CHARS 200
#define E164_MIN_DIGITS 8
#define E164_MAX_DIGITS 15

static void
random_bytes (guint8 *buffer,
              gsize   len)
{
  /* Without a working CSPRNG nothing the server hands out would be safe. */
  if (RAND_bytes (buffer, (int) len) != 1)
    g_error ("The system's random number generator failed");
}

char *
entsec_server_random_id (const char *prefix)
{
  guint8 bytes[ID_RANDOM_BYTES];
  g_autofree char *text = NULL;

  random_bytes (bytes, sizeof bytes);
  text = entsec_base64url_encode (bytes, sizeof bytes);
  return g_strconcat (prefix, text, NULL);
}

char *
entsec_server_random_secret (void)
{
  guint8 bytes[SECRET_RANDOM_BYTES];
  char *text;

  random_bytes (bytes, sizeof bytes);
  text = entsec_base64url_encode (bytes, sizeof bytes);
  OPENSSL_cleanse (bytes, sizeof bytes);
  return text;
}

void
entsec_server_sha256 (const void *data,
                      gsize       len,
                      guint8      digest[ENTSEC_SERVER_DIGEST_SIZE])
{
  unsigned int out_len = ENTSEC_SERVER_DIGEST_SIZE;

  if (EVP_Digest (data, len, digest, &out_len, EVP_sha256 (), NULL) != 1)
    g_error ("SHA-256 failed");
}

static gboolean
email_chars_ok (const char *email)
{
  for (const char *p = email; *p != '\0'; p++)
    {
      if (!g_ascii_isgraph (*p))
        return FALSE;
    }
  return TRUE;
}

char *
entsec_server_normalize_email (const char *email,
                               GError    **error)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (email));
  const char *at = strchr (trimmed, '@');

  if (strlen (trimmed) > EMAIL_MAX_BYTES || !email_chars_ok (trimmed) || at == NULL
      || at == trimmed || at[1] == '\0' || strchr (at + 1, '@') != NULL)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                   "\"email\" must be an address such as name@example.com");
      return NULL;
    }
  return g_ascii_strdown (trimmed, -1);
}

static gboolean
phone_separator (char c)
{
  return c == ' ' || c == '.' || c == '-' || c == '(' || c == ')';
}

char *
entsec_server_normalize_phone (const char *phone,
                               GError    **error)
{
  g_autoptr (GString) digits = g_string_new ("+");
  const char *p = phone;

  while (*p == ' ')
    p++;
  if (*p == '+')
    p++;
  else if (g_str_has_prefix (p, "00"))
    p += 2;
  else
    p = ""; /* no country code: refused below */
  for (; *p != '\0' && digits->len <= E164_MAX_DIGITS + 1; p++)
    {
      if (g_ascii_isdigit (*p))
        g_string_append_c (digits, *p);
      else if (!phone_separator (*p))
        break;
    }
  if (*p != '\0' || digits->len < E164_MIN_DIGITS + 1 || digits->len > E164_MAX_DIGITS + 1
      || digits->str[1] == '0')
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                   "\"phone\" must be an international number such as +44 20 7946 0958");
      return NULL;
    }
  return g_string_free (g_steal_pointer (&digits), FALSE);
}

gboolean
entsec_server_check_name (const char *name,
                          GError    **error)
{
  glong chars;

  if (!g_utf8_validate (name, -1, NULL))
    goto invalid;
  chars = g_utf8_strlen (name, -1);
  if (chars < 1 || chars > NAME_MAX_CHARS)
    goto invalid;
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (g_unichar_iscntrl (g_utf8_get_char (p)))
        goto invalid;
    }
  return TRUE;

invalid:
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
               "\"name\" must be 1 to %d characters of text without control characters",
               NAME_MAX_CHARS);
  return FALSE;
}

gboolean
entsec_server_check_members (json_t            *body,
                             const char *const *names,
                             gboolean           all_required,
                             const char        *what,
                             GError           **error)
{
  g_autofree char *list = g_strjoinv ("\", \"", (char **) names);
  const char *key;
  json_t *value;
  gboolean ok = TRUE;

  json_object_foreach (body, key, value)
    {
      ok = ok && (strcmp (key, "v") == 0
                  ? json_is_integer (value) && json_integer_value (value) == 1
                  : g_strv_contains (names, key) && json_is_string (value));
    }
  for (guint i = 0; all_required && names[i] != NULL; i++)
    ok = ok && json_object_get (body, names[i]) != NULL;
  if (!ok)
    g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                 "%s has \"v\" (1) and \"%s\" (strings)%s", what, list,
                 all_required ? ", all of them required" : "");
  return ok;
}

static gboolean
write_all (int         fd,
           const void *data,
           gsize       len)
{
  const char *p = data;

  while (len > 0)
    {
      ssize_t n = write (fd, p, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      p += n;
      len -= (gsize) n;
    }
  return fsync (fd) == 0;
}

gboolean
entsec_server_write_file (const char *path,
                          const void *data,
                          gsize       len,
                          gboolean    is_public,
                          GError    **error)
{
  mode_t mode = is_public ? 0644 : 0600;
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  int saved_errno;
  gboolean ok;

  if (fd < 0)
    {
      saved_errno = errno;
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_IO,
                   "Cannot create %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }
  /* The process umask (077) would hide public files; set the mode exactly. */
  ok = fchmod (fd, mode) == 0 && write_all (fd, data, len);
  saved_errno = errno;
  if (close (fd) != 0)
    ok = FALSE;
  if (!ok)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_IO,
                   "Cannot write %s: %s", path, g_strerror (saved_errno));
      unlink (path);
    }
  return ok;
}

gboolean
entsec_server_invalid (GError    **error,
                       const char *message)
{
  g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID, message);
  return FALSE;
}
