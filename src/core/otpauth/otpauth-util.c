/* SPDX-License-Identifier: GPL-3.0-or-later */
/* otpauth-util.c: percent-decoding and text checks shared by the URI and export parsers */

#define G_LOG_DOMAIN "entsec-otpauth"

#include "config.h"

#include "otpauth-private.h"

G_DEFINE_QUARK (entsec-otpauth-error-quark, entsec_otpauth_error)

static int
hex_value (char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static void
set_escape_error (GError    **error,
                  const char *what,
                  const char *text,
                  gsize       len,
                  gsize       i)
{
  if (i + 2 < len && hex_value (text[i + 1]) == 0 && hex_value (text[i + 2]) == 0)
    g_set_error (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_ENCODING,
                 "The %s contains %%00 (an encoded NUL byte) at character %" G_GSIZE_FORMAT,
                 what, i + 1);
  else
    g_set_error (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_ENCODING,
                 "The %s has a broken %%-escape at character %" G_GSIZE_FORMAT
                 ": '%%' must be followed by two hexadecimal digits",
                 what, i + 1);
}

char *
otpauth_percent_decode (const char *text,
                        gsize       len,
                        gboolean    plus_is_space,
                        const char *what,
                        GError    **error)
{
  char *out = g_malloc (len + 1);
  gsize n = 0;

  for (gsize i = 0; i < len; i++)
    {
      int high, low;

      if (text[i] != '%')
        {
          out[n++] = plus_is_space && text[i] == '+' ? ' ' : text[i];
          continue;
        }
      high = i + 2 < len ? hex_value (text[i + 1]) : -1;
      low = high >= 0 ? hex_value (text[i + 2]) : -1;
      if (high < 0 || low < 0 || (high == 0 && low == 0))
        {
          set_escape_error (error, what, text, len, i);
          entsec_secure_free (out, len + 1);
          return NULL;
        }
      out[n++] = (char) (high << 4 | low);
      i += 2;
    }
  out[n] = '\0';
  return out;
}

gboolean
otpauth_check_text (const char *what,
                    const char *text,
                    GError    **error)
{
  gsize len;

  if (text == NULL)
    return TRUE;
  len = strlen (text);
  if (len > OTPAUTH_MAX_TEXT_BYTES)
    {
      g_set_error (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_LABEL,
                   "The %s is too long: %" G_GSIZE_FORMAT " bytes, at most %d are accepted",
                   what, len, OTPAUTH_MAX_TEXT_BYTES);
      return FALSE;
    }
  if (!g_utf8_validate (text, (gssize) len, NULL))
    {
      g_set_error (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_LABEL,
                   "The %s is not valid UTF-8 text", what);
      return FALSE;
    }
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      if (g_unichar_iscntrl (g_utf8_get_char (p)))
        {
          g_set_error (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_LABEL,
                       "The %s contains a control character (character %ld)",
                       what, g_utf8_pointer_to_offset (text, p) + 1);
          return FALSE;
        }
      if (entsec_unichar_is_deceptive (g_utf8_get_char (p)))
        {
          g_set_error (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_LABEL,
                       "The %s contains an invisible formatting character such as a text "
                       "direction override (character %ld)",
                       what, g_utf8_pointer_to_offset (text, p) + 1);
          return FALSE;
        }
    }
  return TRUE;
}

void
otpauth_split_label (const char *label,
                     char      **issuer,
                     char      **account)
{
  const char *colon = strchr (label, ':');
  const char *rest;

  *issuer = NULL;
  if (colon == NULL)
    {
      *account = g_strdup (label);
      return;
    }
  rest = colon + 1;
  /* Google's format allows spaces after the colon ("Issuer: account"). */
  if (colon != label)
    {
      *issuer = g_strndup (label, colon - label);
      while (*rest == ' ')
        rest++;
    }
  *account = g_strdup (rest);
}

gboolean
otpauth_check_secret_length (gsize    secret_len,
                             GError **error)
{
  if (secret_len < OTPAUTH_MIN_SECRET_BYTES)
    {
      g_set_error (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_SECRET,
                   "The secret is too short to be safe: %" G_GSIZE_FORMAT
                   " bits, at least %d are needed; ask the service for a new one",
                   secret_len * 8, OTPAUTH_MIN_SECRET_BYTES * 8);
      return FALSE;
    }
  if (secret_len > OTPAUTH_MAX_SECRET_BYTES)
    {
      g_set_error (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_SECRET,
                   "The secret is too long: %" G_GSIZE_FORMAT " bytes, at most %d are accepted",
                   secret_len, OTPAUTH_MAX_SECRET_BYTES);
      return FALSE;
    }
  return TRUE;
}
