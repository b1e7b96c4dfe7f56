/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-qr-image.c: image bytes to an 8-bit grey raster, with the size checked first */

#define G_LOG_DOMAIN "entsec-qr"

#include "config.h"

#include <string.h>

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "entsec-core-private.h"
#include "entsec-qr-private.h"

/* Feed the loader in pieces so a bomb is refused after its header, not its body. */
#define LOAD_CHUNK (64 * 1024)
/* Vector images (SVG) are rendered at least this large. */
#define VECTOR_MIN_SIDE 1024
/* Longest loader message quoted in an error, in characters. */
#define MAX_LOADER_DETAIL 200

G_DEFINE_QUARK (entsec-qr-error-quark, entsec_qr_error)

/* Lowered by the fuzzer so that one input cannot take seconds. */
static guint64 max_pixels = ENTSEC_QR_MAX_PIXELS;

/* How a format can be shrunk while loading, which decides its size limits. */
typedef enum
{
  LOAD_RASTER, /* decoded whole, then scaled: the pixel limits hold */
  LOAD_JPEG,   /* sequential JPEG: libjpeg scales by 1/2, 1/4 or 1/8 while decoding */
  LOAD_VECTOR, /* SVG: rendered at the size asked for */
} LoadKind;

/* A JPEG's DCT scaling divides its area by up to 8 x 8. */
#define JPEG_MAX_SCALE_AREA 64

typedef struct
{
  LoadKind kind;
  guint    max_side;
  guint    width;
  guint    height;
  gboolean too_large;
  guint    rows_done; /* lowest row any decoded area reached */
} LoadState;

EntsecQrGrey *
entsec_qr_grey_new (guint width,
                    guint height)
{
  EntsecQrGrey *grey = g_new0 (EntsecQrGrey, 1);

  g_assert (width > 0 && height > 0);
  grey->width = width;
  grey->height = height;
  grey->pixels = g_malloc ((gsize) width * height);
  return grey;
}

void
entsec_qr_grey_free (EntsecQrGrey *grey)
{
  if (grey == NULL)
    return;
  g_free (grey->pixels);
  g_free (grey);
}

/* The scale that brings the longer side to @target, keeping the aspect ratio. */
static void
scale_to_side (LoadState       *state,
               GdkPixbufLoader *loader,
               guint            target)
{
  guint longer = MAX (state->width, state->height);
  guint w = MAX (1, (guint) ((guint64) state->width * target / longer));
  guint h = MAX (1, (guint) ((guint64) state->height * target / longer));

  gdk_pixbuf_loader_set_size (loader, (int) w, (int) h);
}

/* Whether the declared size is one this kind of image may have. */
static gboolean
size_allowed (const LoadState *state)
{
  guint64 area = (guint64) state->width * state->height;

  if (state->width == 0 || state->height == 0)
    return FALSE;
  switch (state->kind)
    {
    case LOAD_VECTOR:
      return TRUE;
    case LOAD_JPEG:
      return state->width <= ENTSEC_QR_MAX_JPEG_SIDE && state->height <= ENTSEC_QR_MAX_JPEG_SIDE
             && area <= max_pixels * JPEG_MAX_SCALE_AREA;
    case LOAD_RASTER:
    default:
      return state->width <= ENTSEC_QR_MAX_SIDE && state->height <= ENTSEC_QR_MAX_SIDE
             && area <= max_pixels;
    }
}

/* Runs once the header is parsed and before any pixel is decoded. */
static void
on_size_prepared (GdkPixbufLoader *loader,
                  int              width,
                  int              height,
                  gpointer         user_data)
{
  LoadState *state = user_data;
  guint longer;

  state->width = (guint) MAX (width, 0);
  state->height = (guint) MAX (height, 0);
  longer = MAX (state->width, state->height);
  if (!size_allowed (state))
    {
      /* A zero size makes every loader stop before allocating. */
      state->too_large = TRUE;
      gdk_pixbuf_loader_set_size (loader, 0, 0);
      return;
    }
  if (longer > state->max_side)
    scale_to_side (state, loader, state->max_side);
  else if (longer < VECTOR_MIN_SIDE && state->kind == LOAD_VECTOR)
    scale_to_side (state, loader, VECTOR_MIN_SIDE);
}

/* Loaders report each decoded band; a truncated file leaves the last rows out. */
static void
on_area_updated (GdkPixbufLoader *loader,
                 int              x,
                 int              y,
                 int              width,
                 int              height,
                 gpointer         user_data)
{
  LoadState *state = user_data;

  state->rows_done = MAX (state->rows_done, (guint) MAX (y + height, 0));
}

static gboolean
set_too_large_error (const LoadState *state,
                     GError         **error)
{
  if (state->kind == LOAD_JPEG)
    g_set_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_TOO_LARGE,
                 "The image says it is %u × %u pixels, more than the %u megapixels (or %u "
                 "pixels a side) that are read from a JPEG; crop or shrink it and try again",
                 state->width, state->height,
                 (guint) (max_pixels * JPEG_MAX_SCALE_AREA / 1000000), ENTSEC_QR_MAX_JPEG_SIDE);
  else
    g_set_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_TOO_LARGE,
                 "The image says it is %u × %u pixels, more than the %u megapixels (or %u "
                 "pixels a side) that are read; crop or shrink it and try again",
                 state->width, state->height, (guint) (max_pixels / 1000000),
                 ENTSEC_QR_MAX_SIDE);
  return FALSE;
}

/*
 * Whether the JPEG is sequential (SOF0 or SOF1, as cameras write): libjpeg
 * then decodes it scaled, band by band. A progressive or lossless JPEG is
 * held whole in memory at full size, so it gets the raster limits.
 */
static gboolean
jpeg_is_sequential (const guint8 *data,
                    gsize         len)
{
  gsize i = 2;

  while (i + 4 <= len)
    {
      guint8 marker;

      if (data[i] != 0xff)
        return FALSE;
      marker = data[i + 1];
      if (marker == 0xff)
        {
          i++; /* fill byte */
          continue;
        }
      if (marker == 0x01 || (marker >= 0xd0 && marker <= 0xd7))
        {
          i += 2; /* markers without a length */
          continue;
        }
      if (marker == 0xc0 || marker == 0xc1)
        return TRUE;
      if ((marker >= 0xc2 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8
           && marker != 0xcc) || marker == 0xda || marker == 0xd9)
        return FALSE;
      i += 2 + (((gsize) data[i + 2] << 8) | data[i + 3]);
    }
  return FALSE;
}

static LoadKind
load_kind (const char   *format,
           const guint8 *data,
           gsize         len)
{
  if (strcmp (format, "svg") == 0)
    return LOAD_VECTOR;
  if (strcmp (format, "jpeg") == 0 && jpeg_is_sequential (data, len))
    return LOAD_JPEG;
  return LOAD_RASTER;
}

static guint32
read_le32 (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

/*
 * gdk-pixbuf's BMP loader allocates the info header and the palette at the
 * sizes the file states before checking them (the fuzzer found 4 GiB
 * requests): only the header sizes the format defines get through, a
 * palette holds at most 256 colours, and the pixels start inside the file.
 */
static gboolean
bmp_header_plausible (const guint8 *data,
                      gsize         len)
{
  static const guint32 header_sizes[] = { 12, 16, 40, 52, 56, 64, 108, 124 };
  guint32 header_size;

  if (len < 54)
    return FALSE;
  header_size = read_le32 (data + 14);
  if (read_le32 (data + 10) >= len)
    return FALSE;
  if (header_size >= 40 && read_le32 (data + 46) > 256)
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (header_sizes); i++)
    {
      if (header_size == header_sizes[i])
        return TRUE;
    }
  return FALSE;
}

static gboolean
set_format_error (GError **error)
{
  g_set_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_FORMAT,
               "This file is not an image that can be read; use a PNG, JPEG, GIF, BMP, "
               "TIFF, WebP or SVG picture of the QR code");
  return FALSE;
}

/*
 * A loader's message made fit to sit inside ours: librsvg ends its messages
 * with a newline and may quote the file, so the lines are joined, the end
 * trimmed and anything unprintable escaped.
 */
static char *
loader_detail (const char *message)
{
  g_autofree char *text = g_strdup (message);

  g_strstrip (text);
  g_strdelimit (text, "\r\n", ' ');
  return entsec_dup_printable (text, -1, MAX_LOADER_DETAIL);
}

/* Translate a loader failure into the QR domain, keeping the loader's detail. */
static gboolean
set_loader_error (const LoadState *state,
                  const GError    *loader_error,
                  GError         **error)
{
  if (state->too_large)
    return set_too_large_error (state, error);
  if (g_error_matches (loader_error, GDK_PIXBUF_ERROR, GDK_PIXBUF_ERROR_UNKNOWN_TYPE)
      || g_error_matches (loader_error, GDK_PIXBUF_ERROR, GDK_PIXBUF_ERROR_UNSUPPORTED_OPERATION))
    return set_format_error (error);
  if (loader_error == NULL)
    g_set_error_literal (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_CORRUPT,
                         "The image is damaged or incomplete; save or copy it again");
  else
    {
      g_autofree char *detail = loader_detail (loader_error->message);

      g_set_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_CORRUPT,
                   "The image is damaged or incomplete (%s); save or copy it again", detail);
    }
  return FALSE;
}

/* Push @data through @loader; stops early when the header asked for too much. */
static gboolean
feed_loader (GdkPixbufLoader *loader,
             LoadState       *state,
             const guint8    *data,
             gsize            len,
             GError         **error)
{
  g_autoptr (GError) local_error = NULL;
  gboolean written = TRUE;

  for (gsize offset = 0; offset < len && written && !state->too_large; offset += LOAD_CHUNK)
    written = gdk_pixbuf_loader_write (loader, data + offset, MIN (LOAD_CHUNK, len - offset),
                                       &local_error);
  /* close() must run even after a failed write, or the loader warns when freed. */
  if (!gdk_pixbuf_loader_close (loader, written ? &local_error : NULL) || !written
      || state->too_large)
    return set_loader_error (state, local_error, error);
  return TRUE;
}

static gboolean
has_magic (const guint8 *data,
           gsize         len,
           gsize         offset,
           const char   *magic,
           gsize         magic_len)
{
  return len >= offset + magic_len && memcmp (data + offset, magic, magic_len) == 0;
}

/* An SVG document: XML text whose first kilobytes hold an <svg element. */
static gboolean
looks_like_svg (const guint8 *data,
                gsize         len)
{
  gsize n = MIN (len, 4096);
  gsize start = 0;

  while (start < n && g_ascii_isspace (data[start]))
    start++;
  if (start >= n || data[start] != '<')
    return FALSE;
  return g_strstr_len ((const char *) data, (gssize) n, "<svg") != NULL;
}

/*
 * Only the formats an album holds go to a loader, chosen by their magic
 * bytes: the other gdk-pixbuf loaders (ICO, ANI, TGA, XPM, PNM, ...) never
 * see untrusted input.
 */
static const char *
sniff_format (const guint8 *data,
              gsize         len)
{
  if (has_magic (data, len, 0, "\x89PNG\r\n\x1a\n", 8))
    return "png";
  if (has_magic (data, len, 0, "\xff\xd8\xff", 3))
    return "jpeg";
  if (has_magic (data, len, 0, "GIF87a", 6) || has_magic (data, len, 0, "GIF89a", 6))
    return "gif";
  if (has_magic (data, len, 0, "BM", 2))
    return "bmp";
  if (has_magic (data, len, 0, "II*\0", 4) || has_magic (data, len, 0, "MM\0*", 4))
    return "tiff";
  if (has_magic (data, len, 0, "RIFF", 4) && has_magic (data, len, 8, "WEBP", 4))
    return "webp";
  if (has_magic (data, len, 0, "\x1f\x8b", 2) || looks_like_svg (data, len))
    return "svg";
  return NULL;
}

/* EXIF orientation as the JPEG and TIFF loaders report it, 1 when none or unknown. */
static guint
orientation_of (GdkPixbuf *pixbuf)
{
  const char *option = gdk_pixbuf_get_option (pixbuf, "orientation");
  guint64 value = 1;

  if (option == NULL || !g_ascii_string_to_unsigned (option, 10, 1, 8, &value, NULL))
    return 1;
  return (guint) value;
}

/* The still image the loader produced, upright as its EXIF @orientation says. */
static GdkPixbuf *
loaded_pixbuf (GdkPixbufLoader *loader,
               const LoadState *state,
               guint           *orientation,
               GError         **error)
{
  GdkPixbufAnimation *animation = gdk_pixbuf_loader_get_animation (loader);
  GdkPixbuf *pixbuf = gdk_pixbuf_loader_get_pixbuf (loader);

  if (animation != NULL && !gdk_pixbuf_animation_is_static_image (animation))
    {
      g_set_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_ANIMATED,
                   "This is an animation; take a screenshot of the frame that shows the QR "
                   "code and use that");
      return NULL;
    }
  if (pixbuf == NULL || gdk_pixbuf_get_bits_per_sample (pixbuf) != 8
      || gdk_pixbuf_get_n_channels (pixbuf) < 3
      || state->rows_done < (guint) gdk_pixbuf_get_height (pixbuf))
    {
      set_loader_error (state, NULL, error);
      return NULL;
    }
  *orientation = orientation_of (pixbuf);
  return gdk_pixbuf_apply_embedded_orientation (pixbuf);
}

/* Luma of one pixel, transparency flattened onto white (codes on clear backgrounds). */
static inline guint8
grey_of (const guint8 *p,
         gboolean      alpha)
{
  guint y = (77u * p[0] + 150u * p[1] + 29u * p[2]) >> 8;

  if (alpha)
    y = (y * p[3] + 255u * (255u - p[3])) / 255u;
  return (guint8) y;
}

static EntsecQrGrey *
grey_from_pixbuf (GdkPixbuf *pixbuf)
{
  guint width = (guint) gdk_pixbuf_get_width (pixbuf);
  guint height = (guint) gdk_pixbuf_get_height (pixbuf);
  guint channels = (guint) gdk_pixbuf_get_n_channels (pixbuf);
  gboolean alpha = gdk_pixbuf_get_has_alpha (pixbuf);
  gsize stride = (gsize) gdk_pixbuf_get_rowstride (pixbuf);
  const guint8 *rows = gdk_pixbuf_read_pixels (pixbuf);
  EntsecQrGrey *grey = entsec_qr_grey_new (width, height);

  for (guint y = 0; y < height; y++)
    {
      const guint8 *row = rows + y * stride;
      guint8 *out = grey->pixels + (gsize) y * width;

      for (guint x = 0; x < width; x++)
        out[x] = grey_of (row + (gsize) x * channels, alpha);
    }
  return grey;
}

EntsecQrGrey *
entsec_qr_load_grey_source (const guint8   *data,
                            gsize           len,
                            guint           max_side,
                            EntsecQrSource *source,
                            GError        **error)
{
  g_autoptr (GdkPixbufLoader) loader = NULL;
  g_autoptr (GdkPixbuf) upright = NULL;
  LoadState state = { .max_side = max_side };
  guint orientation = 1;
  const char *format;

  if (len == 0)
    {
      g_set_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_EMPTY,
                   "The file is empty; pick the image again");
      return NULL;
    }
  if (len > ENTSEC_QR_MAX_FILE_BYTES)
    {
      g_set_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_TOO_LARGE,
                   "The file is over %u MiB, too large for a picture of a QR code; "
                   "crop or shrink it", ENTSEC_QR_MAX_FILE_BYTES / (1024 * 1024));
      return NULL;
    }

  format = sniff_format (data, len);
  if (format == NULL)
    {
      set_format_error (error);
      return NULL;
    }
  if (strcmp (format, "bmp") == 0 && !bmp_header_plausible (data, len))
    {
      set_loader_error (&state, NULL, error);
      return NULL;
    }
  loader = gdk_pixbuf_loader_new_with_type (format, NULL);
  if (loader == NULL)
    {
      g_set_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_FORMAT,
                   "This looks like a %s image, but no %s loader is installed; convert the "
                   "picture to PNG or JPEG", format, format);
      return NULL;
    }
  state.kind = load_kind (format, data, len);
  g_signal_connect (loader, "size-prepared", G_CALLBACK (on_size_prepared), &state);
  g_signal_connect (loader, "area-updated", G_CALLBACK (on_area_updated), &state);
  if (!feed_loader (loader, &state, data, len, error))
    return NULL;
  upright = loaded_pixbuf (loader, &state, &orientation, error);
  if (upright == NULL)
    return NULL;
  if (source != NULL)
    *source = (EntsecQrSource) { .data = data, .len = len, .jpeg = state.kind == LOAD_JPEG,
                                 .width = state.width, .height = state.height,
                                 .orientation = orientation };
  return grey_from_pixbuf (upright);
}

EntsecQrGrey *
entsec_qr_load_grey (const guint8 *data,
                     gsize         len,
                     guint         max_side,
                     guint        *width,
                     guint        *height,
                     GError      **error)
{
  EntsecQrSource source;
  EntsecQrGrey *grey = entsec_qr_load_grey_source (data, len, max_side, &source, error);

  if (grey != NULL && width != NULL)
    *width = source.width;
  if (grey != NULL && height != NULL)
    *height = source.height;
  return grey;
}

void
entsec_qr_set_max_pixels_for_testing (guint64 pixels)
{
  max_pixels = pixels > 0 ? pixels : ENTSEC_QR_MAX_PIXELS;
}
