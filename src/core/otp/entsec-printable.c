/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-printable.c: make untrusted text safe to show in an error message */

#define G_LOG_DOMAIN "entsec-otp"

#include "config.h"

#include "entsec-core-private.h"

#define ELLIPSIS "\u2026"
#define REPLACEMENT "\uFFFD"

/*
 * Characters that could move the cursor, recolour a terminal, reorder the
 * text around them or hide themselves: controls (C0, DEL, C1), format
 * characters (Cf: bidi embeddings, overrides and isolates, zero-width
 * joiners, ...), line and paragraph separators, surrogates, unassigned
 * and private-use code points.
 */
static gboolean
is_unsafe (gunichar c)
{
  switch (g_unichar_type (c))
    {
    case G_UNICODE_CONTROL:
    case G_UNICODE_FORMAT:
    case G_UNICODE_UNASSIGNED:
    case G_UNICODE_PRIVATE_USE:
    case G_UNICODE_SURROGATE:
    case G_UNICODE_LINE_SEPARATOR:
    case G_UNICODE_PARAGRAPH_SEPARATOR:
      return TRUE;
    default:
      return g_unichar_iscntrl (c) || !g_unichar_isprint (c);
    }
}

/* Append the character at @p (of the @remaining bytes left); return its length in bytes. */
static gsize
append_safe_char (GString    *out,
                  const char *p,
                  gsize       remaining)
{
  gunichar c = g_utf8_get_char_validated (p, (gssize) remaining);
  gsize len;

  if (c == (gunichar) -1 || c == (gunichar) -2)
    {
      g_string_append_printf (out, "\\x%02X", (guint) (guchar) *p);
      return 1;
    }
  len = (gsize) (g_utf8_next_char (p) - p);
  if (c < 0x80 && is_unsafe (c))
    g_string_append_printf (out, "\\x%02X", (guint) c);
  else if (is_unsafe (c))
    g_string_append (out, REPLACEMENT);
  else
    g_string_append_len (out, p, (gssize) len);
  return len;
}

char *
entsec_dup_printable (const char *text,
                      gssize      length,
                      gsize       max_chars)
{
  GString *out;
  gsize n_bytes;
  gsize i = 0;

  if (text == NULL)
    return g_strdup ("");
  n_bytes = length < 0 ? strlen (text) : (gsize) length;
  out = g_string_sized_new (MIN (n_bytes, max_chars * 4) + 4);
  for (gsize n_chars = 0; i < n_bytes && n_chars < max_chars; n_chars++)
    {
      if (text[i] == '\0')
        {
          g_string_append (out, "\\x00");
          i++;
          continue;
        }
      i += append_safe_char (out, text + i, n_bytes - i);
    }
  if (i < n_bytes)
    g_string_append (out, ELLIPSIS);
  return g_string_free (out, FALSE);
}

gboolean
entsec_unichar_is_deceptive (gunichar c)
{
  if (g_unichar_type (c) != G_UNICODE_FORMAT)
    return FALSE;
  /* ZWNJ/ZWJ (emoji sequences, Persian, Indic), soft hyphen, emoji tags. */
  if (c == 0x200C || c == 0x200D || c == 0x00AD || (c >= 0xE0020 && c <= 0xE007F))
    return FALSE;
  return TRUE;
}
