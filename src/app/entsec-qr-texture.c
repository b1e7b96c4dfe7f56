/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-qr-texture.c: a QR code (libqrencode) as a GdkTexture */

#define G_LOG_DOMAIN "entsec-qr-texture"

#include "config.h"

#include <qrencode.h>
#include <string.h>

#include "entsec-qr-texture.h"

#define QUIET_ZONE 4
/* GDK 4.8 has no grey format: three bytes a pixel. */
#define BYTES_PER_PIXEL 3

static void
fill_module (guint8 *pixels,
             gsize   stride,
             guint   x,
             guint   y,
             guint   scale)
{
  for (guint dy = 0; dy < scale; dy++)
    memset (pixels + (gsize) (y * scale + dy) * stride + (gsize) x * scale * BYTES_PER_PIXEL,
            0x00, (gsize) scale * BYTES_PER_PIXEL);
}

static void
wipe_array (gpointer data)
{
  GByteArray *array = data;

  explicit_bzero (array->data, array->len);
  g_byte_array_unref (array);
}

GdkTexture *
entsec_qr_texture_new (const char *text,
                       guint       scale)
{
  QRcode *qr;
  guint side;
  gsize stride;
  GByteArray *array;
  g_autoptr (GBytes) bytes = NULL;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (scale > 0 && scale <= 32, NULL);

  qr = QRcode_encodeString (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (qr == NULL)
    return NULL;
  side = ((guint) qr->width + 2 * QUIET_ZONE) * scale;
  stride = (gsize) side * BYTES_PER_PIXEL;
  array = g_byte_array_sized_new ((guint) (stride * side));
  g_byte_array_set_size (array, (guint) (stride * side));
  memset (array->data, 0xff, array->len);
  for (int y = 0; y < qr->width; y++)
    for (int x = 0; x < qr->width; x++)
      if (qr->data[y * qr->width + x] & 1)
        fill_module (array->data, stride, (guint) x + QUIET_ZONE, (guint) y + QUIET_ZONE, scale);
  explicit_bzero (qr->data, (gsize) qr->width * (gsize) qr->width);
  QRcode_free (qr);
  bytes = g_bytes_new_with_free_func (array->data, array->len, wipe_array, array);
  return gdk_memory_texture_new ((int) side, (int) side, GDK_MEMORY_R8G8B8, bytes, stride);
}
