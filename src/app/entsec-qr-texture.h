/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-qr-texture.h: a QR code (libqrencode, opened on first use) as a GdkTexture */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * @text as a QR code (error correction M), black modules on white with the
 * four-module quiet zone, @scale pixels a module. The pixel buffer made on
 * the way is wiped; the texture holds the only copy. libqrencode is opened
 * on the first call.
 * Returns: (transfer full) (nullable): the texture, or NULL with @error
 *   (translated, for the person): G_IO_ERROR_MESSAGE_TOO_LARGE when @text is
 *   too long for a QR code, G_IO_ERROR_NOT_FOUND when libqrencode cannot be
 *   loaded (naming the package to install).
 */
GdkTexture *entsec_qr_texture_new (const char *text,
                                   guint       scale,
                                   GError    **error);

/* Tests: the soname opened instead (a missing one); before the first call only. */
void entsec_qr_texture_set_soname_for_test (const char *soname);

G_END_DECLS
