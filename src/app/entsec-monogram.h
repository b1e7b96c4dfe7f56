/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-monogram.h: an issuer's initials and colour, the icon of its row */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* How many colours monograms take (entsec-monogram.c has the palette). */
#define ENTSEC_MONOGRAM_N_COLOURS 8

/*
 * EntsecMonogram: the initials of a name on a disc of its colour. The disc is
 * a glyph (U+25CF, sized to the widget), so it is drawn as text is; CSS gives
 * the initials' font and colour and the widget's size (.entsec-monogram).
 */
#define ENTSEC_TYPE_MONOGRAM (entsec_monogram_get_type ())
G_DECLARE_FINAL_TYPE (EntsecMonogram, entsec_monogram, ENTSEC, MONOGRAM, GtkWidget)

/* Shows @name's initials and colour (entsec_monogram_initials(), _colour()). */
void   entsec_monogram_set_name (EntsecMonogram *self,
                                 const char     *name);

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
