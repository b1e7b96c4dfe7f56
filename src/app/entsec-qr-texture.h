/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-qr-texture.h: a QR code (libqrencode) as a GdkTexture */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * @text as a QR code (error correction M), black modules on white with the
 * four-module quiet zone, @scale pixels a module. The pixel buffer made on
 * the way is wiped; the texture holds the only copy.
 * Returns: (transfer full) (nullable): the texture, NULL when @text is too
 *   long for a QR code.
 */
GdkTexture *entsec_qr_texture_new (const char *text,
                                   guint       scale);

G_END_DECLS
