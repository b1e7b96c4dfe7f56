/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-qr-texture.c: a QR code (libqrencode, opened on first use) as a GdkTexture */

#define G_LOG_DOMAIN "entsec-qr-texture"

#include "config.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <qrencode.h>
#include <stddef.h>
#include <string.h>

#include "entsec-lazy-symbols.h"
#include "entsec-qr-texture.h"

#define QUIET_ZONE 4
/* GDK 4.8 has no grey format: three bytes a pixel. */
#define BYTES_PER_PIXEL 3
#define QRENCODE_PACKAGE "libqrencode4"

typedef struct
{
  __typeof__ (QRcode_encodeString) *encode_string;
  __typeof__ (QRcode_free) *free;
} Qrencode;

#define SYMBOL(name, field) { name, offsetof (Qrencode, field) }

static const EntsecLazySymbol qrencode_symbols[] = {
  SYMBOL ("QRcode_encodeString", encode_string),
  SYMBOL ("QRcode_free", free),
};

static Qrencode qrencode;
static EntsecLazyLibrary qrencode_library = {
  .soname = "libqrencode.so.4",
  .symbols = qrencode_symbols,
  .n_symbols = G_N_ELEMENTS (qrencode_symbols),
  .table = &qrencode,
};

void
entsec_qr_texture_set_soname_for_test (const char *soname)
{
  qrencode_library.soname = soname;
}

/* libqrencode's functions, opened on the first call; or why not and what to install. */
static const Qrencode *
qrencode_get (GError **error)
{
  g_autoptr (GError) local = NULL;
  const Qrencode *table = entsec_lazy_library_get (&qrencode_library, &local);

  if (table == NULL)
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                 /* Translators: the first %s says why a library could not be loaded
                  * (in English), the second is the name of a Debian package. */
                 _("The QR code cannot be drawn: %s. Install the %s package."), local->message,
                 QRENCODE_PACKAGE);
  return table;
}

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
                       guint       scale,
                       GError    **error)
{
  const Qrencode *lib;
  QRcode *qr;
  guint side;
  gsize stride;
  GByteArray *array;
  g_autoptr (GBytes) bytes = NULL;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (scale > 0 && scale <= 32, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  lib = qrencode_get (error);
  if (lib == NULL)
    return NULL;
  errno = 0;
  qr = lib->encode_string (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (qr == NULL)
    {
      if (errno == ERANGE)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                             _("The QR code cannot be drawn: the account holds too much for one."));
      else
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                     _("The QR code cannot be drawn: %s."), g_strerror (errno));
      return NULL;
    }
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
  lib->free (qr);
  bytes = g_bytes_new_with_free_func (array->data, array->len, wipe_array, array);
  return gdk_memory_texture_new ((int) side, (int) side, GDK_MEMORY_R8G8B8, bytes, stride);
}
