/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-monogram.h: an issuer's initials and colour, the icon of its row */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How many colours monograms take (CSS classes entsec-monogram-0 ... -7). */
#define ENTSEC_MONOGRAM_N_COLOURS 8

/*
 * The initials of @name: the first letter or digit of its first two words,
 * in upper case ("ACME Corp" "AC", "github" "G"); "?" when it has none.
 * Returns: (transfer full): free with g_free().
 */
char  *entsec_monogram_initials (const char *name);

/* The colour of @name's monogram, from a hash of its case-folded text, so
 * "GitHub" and "github" match and the colour is the same at every start. */
guint  entsec_monogram_colour   (const char *name);

G_END_DECLS
