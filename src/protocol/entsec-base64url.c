/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-base64url.c: the error domain, strict base64 and base64url, small helpers */

#define G_LOG_DOMAIN "entsec-protocol"

#include "config.h"

#include <string.h>

#include <openssl/crypto.h>

#include "protocol-private.h"

G_DEFINE_QUARK (entsec-protocol-error-quark, entsec_protocol_error)

gboolean
protocol_crypto_failed (GError    **error,
                        const char *what)
{
  g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_FAILED,
               "The crypto library failed while %s", what);
  return FALSE;
}

char *
protocol_printable (const char *text,
                    gsize       len)
{
  GString *out = g_string_new (NULL);

  for (gsize i = 0; i < len && out->len < 60; i++)
    {
      guchar c = (guchar) text[i];

      if (c >= 0x20 && c < 0x7f)
        g_string_append_c (out, (char) c);
      else
        g_string_append_printf (out, "\\x%02X", c);
    }
  if (out->len >= 60)
    g_string_append (out, "...");
  return g_string_free (out, FALSE);
}

typedef struct
{
  guint8 *data;
  gsize   len;
} WipeBlock;

static void
wipe_block_free (gpointer user_data)
{
  WipeBlock *block = user_data;

  OPENSSL_cleanse (block->data, block->len);
  g_free (block->data);
  g_free (block);
}

GBytes *
protocol_wiping_bytes_new_take (guint8 *data,
                                gsize   len)
{
  WipeBlock *block = g_new (WipeBlock, 1);

  block->data = data;
  block->len = len;
  return g_bytes_new_with_free_func (data, len, wipe_block_free, block);
}

static gboolean
decode_failed (GError    **error,
               const char *what,
               const char *form)
{
  g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
               "%s is not valid %s", what, form);
  return FALSE;
}

/*
 * Decode standard base64 in @text (NUL-terminated, alphabet already
 * checked) and accept it only when encoding the result gives @text back:
 * that rules out stray padding and non-zero unused bits in one test.
 */
static GBytes *
decode_canonical (const char *text,
                  gboolean    url,
                  const char *what,
                  GError    **error)
{
  gsize len = 0;
  g_autofree guint8 *data = NULL;
  g_autofree char *again = NULL;
  g_autofree char *std = g_strdup (text);
  gsize std_len = strlen (std);

  if (url)
    {
      g_strdelimit (std, "-", '+');
      g_strdelimit (std, "_", '/');
      /* Up to three '=' and the NUL. */
      std = g_realloc (std, std_len + 4);
      while (std_len % 4 != 0)
        std[std_len++] = '=';
      std[std_len] = '\0';
    }
  if (std_len % 4 != 0)
    {
      decode_failed (error, what, url ? "base64url" : "base64");
      return NULL;
    }
  data = g_base64_decode (std, &len);
  again = g_base64_encode (data, len);
  if (strcmp (again, std) != 0)
    {
      decode_failed (error, what, url ? "base64url (not in canonical form)" : "base64");
      return NULL;
    }
  return g_bytes_new_take (g_steal_pointer (&data), len);
}

static GBytes *
decode_checked (const char *text,
                gssize      len,
                gboolean    url,
                const char *what,
                GError    **error)
{
  const char *alphabet = url
    ? "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    : "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
  gsize n = len < 0 ? strlen (text) : (gsize) len;
  g_autofree char *copy = NULL;

  g_return_val_if_fail (text != NULL || n == 0, NULL);

  for (gsize i = 0; i < n; i++)
    {
      if (text[i] == '\0' || strchr (alphabet, text[i]) == NULL)
        {
          g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                       "%s is not valid %s: unexpected character at position %" G_GSIZE_FORMAT,
                       what, url ? "base64url" : "base64", i + 1);
          return NULL;
        }
    }
  copy = g_strndup (text, n);
  return decode_canonical (copy, url, what, error);
}

char *
entsec_base64url_encode (const guint8 *data,
                         gsize         len)
{
  char *text = g_base64_encode (data, len);
  gsize n = strlen (text);

  while (n > 0 && text[n - 1] == '=')
    text[--n] = '\0';
  g_strdelimit (text, "+", '-');
  g_strdelimit (text, "/", '_');
  return text;
}

GBytes *
entsec_base64url_decode (const char *text,
                         gssize      len,
                         const char *what,
                         GError    **error)
{
  return decode_checked (text, len, TRUE, what, error);
}

GBytes *
entsec_base64_decode_strict (const char *text,
                             gssize      len,
                             const char *what,
                             GError    **error)
{
  return decode_checked (text, len, FALSE, what, error);
}
