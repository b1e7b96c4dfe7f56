/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-qr-jpeg.c: one rectangle of a sequential JPEG in grey at full resolution */

#define G_LOG_DOMAIN "entsec-qr"

#include "config.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>

#include "entsec-qr-private.h"

/* libjpeg reports a fatal error by calling error_exit, which must not return. */
typedef struct
{
  struct jpeg_error_mgr base;
  jmp_buf               escape;
} ErrorManager;

static void
on_jpeg_error (j_common_ptr cinfo)
{
  ErrorManager *manager = (ErrorManager *) cinfo->err;

  longjmp (manager->escape, 1);
}

/* The file was read whole once already; a second look at part of it stays quiet. */
static void
on_jpeg_message (j_common_ptr cinfo)
{
  (void) cinfo;
}

/* Rows skipped in one call between two looks at the budget: skipping is entropy decoding
 * only, a few times cheaper a row than reading one. */
#define SKIP_ROWS (8 * ENTSEC_QR_BUDGET_ROWS)

/*
 * Decode rows @y .. @y + @out->height of columns @x .. @x + @out->width into
 * @out: the rows above are skipped (entropy-decoded only), only the iMCU
 * columns around the rectangle are transformed, and decoding stops after the
 * last row; @row holds a row of the image. Longjmps to the error manager on
 * a damaged file; FALSE when @budget (nullable) runs out first.
 */
static gboolean
read_rectangle (struct jpeg_decompress_struct *cinfo,
                guint                          x,
                guint                          y,
                EntsecQrGrey                  *out,
                guint8                        *row,
                EntsecQrBudget                *budget)
{
  JDIMENSION xoffset = x, width = out->width;

  jpeg_start_decompress (cinfo);
  jpeg_crop_scanline (cinfo, &xoffset, &width);
  for (guint skipped = 0; skipped < y;)
    {
      JDIMENSION rows = MIN (y - skipped, SKIP_ROWS);

      if (!entsec_qr_budget_allows (budget))
        return FALSE;
      if (jpeg_skip_scanlines (cinfo, rows) != rows)
        cinfo->err->error_exit ((j_common_ptr) cinfo);
      skipped += rows;
    }
  for (guint i = 0; i < out->height; i++)
    {
      JSAMPROW rows[1] = { row };

      if (i % ENTSEC_QR_BUDGET_ROWS == 0 && !entsec_qr_budget_allows (budget))
        return FALSE;
      if (jpeg_read_scanlines (cinfo, rows, 1) != 1)
        cinfo->err->error_exit ((j_common_ptr) cinfo);
      memcpy (out->pixels + (gsize) i * out->width, row + (x - xoffset), out->width);
    }
  return TRUE;
}

/**
 * entsec_qr_load_jpeg_region:
 * @data: (array length=len): a sequential JPEG, the file the image was loaded from
 * @len: its length
 * @x: left edge of the rectangle, in the file's stored pixels (before EXIF orientation)
 * @y: top edge
 * @width: of the rectangle
 * @height: of the rectangle
 * @budget: (nullable): the time left, looked at while rows are skipped and read
 *
 * Decode one rectangle of a JPEG at full resolution, in grey (its Y
 * channel), without the rest of the image at that size: what a photo loaded
 * at a fraction of its size lost in a small code. The rectangle must lie
 * inside the image.
 *
 * Returns: (transfer full) (nullable): the rectangle, or %NULL when the file
 * cannot be decoded that far (damaged, CMYK, or not the size it says) or
 * @budget ran out before its last row.
 */
EntsecQrGrey *
entsec_qr_load_jpeg_region (const guint8   *data,
                            gsize           len,
                            guint           x,
                            guint           y,
                            guint           width,
                            guint           height,
                            EntsecQrBudget *budget)
{
  struct jpeg_decompress_struct cinfo;
  ErrorManager manager;
  EntsecQrGrey *volatile out = NULL;
  guint8 *volatile row = NULL;

  g_return_val_if_fail (data != NULL && width > 0 && height > 0, NULL);

  cinfo.err = jpeg_std_error (&manager.base);
  manager.base.error_exit = on_jpeg_error;
  manager.base.output_message = on_jpeg_message;
  if (setjmp (manager.escape) != 0)
    {
      jpeg_destroy_decompress (&cinfo);
      g_free (row);
      entsec_qr_grey_free (out);
      return NULL;
    }
  jpeg_create_decompress (&cinfo);
  jpeg_mem_src (&cinfo, data, (unsigned long) len);
  jpeg_read_header (&cinfo, TRUE);
  if (cinfo.progressive_mode || (guint64) x + width > cinfo.image_width
      || (guint64) y + height > cinfo.image_height)
    cinfo.err->error_exit ((j_common_ptr) &cinfo);
  cinfo.out_color_space = JCS_GRAYSCALE;
  cinfo.dct_method = JDCT_ISLOW;
  out = entsec_qr_grey_new (width, height);
  /* The widest row the crop can give: the image's. */
  row = g_malloc (cinfo.image_width);
  if (!read_rectangle (&cinfo, x, y, out, row, budget))
    {
      entsec_qr_grey_free (out);
      out = NULL;
    }
  jpeg_abort_decompress (&cinfo);
  jpeg_destroy_decompress (&cinfo);
  g_free (row);
  return out;
}
