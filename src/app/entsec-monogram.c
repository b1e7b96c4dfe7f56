/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-monogram.c: an issuer's initials and colour, the icon of its row */

#define G_LOG_DOMAIN "entsec-monogram"

#include "config.h"

#include "entsec-monogram.h"

#define MAX_INITIALS 2

char *
entsec_monogram_initials (const char *name)
{
  GString *out = g_string_new (NULL);
  gboolean in_word = FALSE;
  guint count = 0;

  for (const char *p = name != NULL ? name : ""; *p != '\0' && count < MAX_INITIALS;
       p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gboolean word_char = g_unichar_isalnum (c);

      if (word_char && !in_word)
        {
          g_string_append_unichar (out, g_unichar_toupper (c));
          count++;
        }
      in_word = word_char;
    }
  if (count == 0)
    g_string_append_c (out, '?');
  return g_string_free (out, FALSE);
}

guint
entsec_monogram_colour (const char *name)
{
  g_autofree char *folded = g_utf8_casefold (name != NULL ? name : "", -1);
  guint32 hash = 2166136261u;

  /* FNV-1a: stable across runs and platforms, unlike a seeded hash. */
  for (const guchar *p = (const guchar *) folded; *p != '\0'; p++)
    hash = (hash ^ *p) * 16777619u;
  return hash % ENTSEC_MONOGRAM_N_COLOURS;
}
