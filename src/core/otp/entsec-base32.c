/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-base32.c: RFC 4648 Base32, lenient about what people type */

#define G_LOG_DOMAIN "entsec-base32"

#include "config.h"

#include <openssl/crypto.h>

#include "entsec-core-private.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* Value 0..31 of @c, or -1 when @c is not a Base32 letter (either case). */
static int
symbol_value (char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a';
  if (c >= '2' && c <= '7')
    return c - '2' + 26;
  return -1;
}

static gboolean
is_separator (char c)
{
  return c == ' ' || c == '-' || c == '\t';
}

static void
set_bad_character_error (GError    **error,
                         const char *text,
                         gsize       index)
{
  unsigned char c = (unsigned char) text[index];
  gsize position = g_utf8_strlen (text, index) + 1;

  if (c >= 0x20 && c < 0x7f)
    g_set_error (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_BASE32,
                 "The secret is not valid Base32 (character %" G_GSIZE_FORMAT ": '%c'); "
                 "Base32 uses only the letters A-Z and the digits 2-7",
                 position, c);
  else
    g_set_error (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_BASE32,
                 "The secret is not valid Base32 (character %" G_GSIZE_FORMAT
                 " is not a letter or digit); Base32 uses only the letters A-Z and the digits 2-7",
                 position);
}

/* Count the symbols and check that '=' padding appears only at the end. */
static gboolean
scan_symbols (const char *text,
              gsize      *n_symbols,
              GError    **error)
{
  gsize count = 0;
  gboolean in_padding = FALSE;

  for (gsize i = 0; text[i] != '\0'; i++)
    {
      if (is_separator (text[i]))
        continue;
      if (text[i] == '=')
        {
          in_padding = TRUE;
          continue;
        }
      if (symbol_value (text[i]) < 0 || in_padding)
        {
          set_bad_character_error (error, text, i);
          return FALSE;
        }
      count++;
    }

  /* 1, 3 and 6 trailing symbols cannot hold a whole byte. */
  if (count == 0 || count % 8 == 1 || count % 8 == 3 || count % 8 == 6)
    {
      g_set_error (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_BASE32,
                   count == 0 ? "The secret is empty"
                              : "The secret is not valid Base32: it has %" G_GSIZE_FORMAT
                                " letters, which cannot be a whole number of bytes; "
                                "check that it was copied completely",
                   count);
      return FALSE;
    }
  *n_symbols = count;
  return TRUE;
}

guint8 *
entsec_base32_decode (const char *text,
                      gsize      *out_len,
                      GError    **error)
{
  guint8 *out;
  gsize n_symbols = 0;
  gsize n = 0;
  guint64 buffer = 0;
  guint bits = 0;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (out_len != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!scan_symbols (text, &n_symbols, error))
    return NULL;

  out = g_malloc (n_symbols * 5 / 8 + 1);
  for (const char *p = text; *p != '\0'; p++)
    {
      int v = symbol_value (*p);

      if (v < 0)
        continue;
      buffer = (buffer << 5) | (guint) v;
      bits += 5;
      if (bits >= 8)
        {
          bits -= 8;
          out[n++] = (buffer >> bits) & 0xff;
        }
    }
  OPENSSL_cleanse (&buffer, sizeof buffer);
  *out_len = n;
  return out;
}

char *
entsec_base32_encode (const guint8 *data,
                      gsize         len)
{
  GString *out;
  guint64 buffer = 0;
  guint bits = 0;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  out = g_string_sized_new ((len * 8 + 4) / 5 + 1);
  for (gsize i = 0; i < len; i++)
    {
      buffer = (buffer << 8) | data[i];
      bits += 8;
      while (bits >= 5)
        {
          bits -= 5;
          g_string_append_c (out, alphabet[(buffer >> bits) & 0x1f]);
        }
    }
  if (bits > 0)
    g_string_append_c (out, alphabet[(buffer << (5 - bits)) & 0x1f]);
  OPENSSL_cleanse (&buffer, sizeof buffer);
  return g_string_free (out, FALSE);
}
