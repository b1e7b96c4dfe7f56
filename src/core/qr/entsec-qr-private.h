/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-qr-private.h: the image pipeline behind entsec-qr.h, shared with the bench and fuzzer */
#pragma once

#include <entsec/entsec.h>

G_BEGIN_DECLS

/* An 8-bit grey image, rows packed (stride == width), as zbar's Y800 wants. */
typedef struct
{
  guint   width;
  guint   height;
  guint8 *pixels;
} EntsecQrGrey;

EntsecQrGrey *entsec_qr_grey_new (guint width,
                                  guint height);
void          entsec_qr_grey_free (EntsecQrGrey *grey);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecQrGrey, entsec_qr_grey_free)

/* One decoded symbol: the exact bytes, and zbar's own text rendering when
 * the bytes are not UTF-8 (Shift_JIS, Latin-1 ...), else NULL. */
typedef struct
{
  GBytes *data;
  char   *text;
} EntsecQrPayload;

void entsec_qr_payload_free (EntsecQrPayload *payload);

/*
 * Load @data as an image and convert it to grey: dimensions checked before
 * decoding, downscaled while loading so the longer side is at most
 * @max_side, EXIF orientation applied, transparency flattened onto white.
 * @width/@height receive the size stored in the file.
 */
EntsecQrGrey *entsec_qr_load_grey (const guint8 *data,
                                   gsize         len,
                                   guint         max_side,
                                   guint        *width,
                                   guint        *height,
                                   GError      **error);

/*
 * Where a loaded image came from, so that part of it can be read again at
 * full resolution: only a sequential JPEG is shrunk while it is decoded,
 * and only it can give one rectangle without the rest.
 */
typedef struct
{
  const guint8 *data;        /* the file, borrowed */
  gsize         len;
  gboolean      jpeg;        /* a sequential JPEG: entsec_qr_load_jpeg_region() reads it */
  guint         width;       /* as stored in the file, before the EXIF orientation */
  guint         height;
  guint         orientation; /* EXIF orientation, 1 (none) to 8 */
} EntsecQrSource;

/* entsec_qr_load_grey(), and where the image came from in @source. */
EntsecQrGrey *entsec_qr_load_grey_source (const guint8   *data,
                                          gsize           len,
                                          guint           max_side,
                                          EntsecQrSource *source,
                                          GError        **error);

/*
 * The time left for one image, passed down the pipeline: checked between
 * stages and, every few rows or candidates, inside the long ones, which
 * then stop and give nothing (so a stage cannot run far past the deadline).
 * A NULL budget never runs out.
 */
typedef struct
{
  gint64   deadline; /* on the scanner's clock, microseconds; G_MAXINT64 for none */
  gboolean gave_up;  /* work was skipped or cut short because the deadline had passed */
} EntsecQrBudget;

/* Whether work may go on; once it may not, @budget (nullable) remembers that it gave up. */
gboolean entsec_qr_budget_allows (EntsecQrBudget *budget);

/* How many rows the long stages work through between two looks at the budget: a
 * look reads the thread's CPU clock (a system call), a row of a 2000 px image is
 * about 20 us of work. */
#define ENTSEC_QR_BUDGET_ROWS 32

/* One rectangle of a sequential JPEG in grey at full size, the rest skipped; NULL
 * when it cannot, or when @budget (nullable) runs out while it is read. */
EntsecQrGrey *entsec_qr_load_jpeg_region (const guint8   *data,
                                          gsize           len,
                                          guint           x,
                                          guint           y,
                                          guint           width,
                                          guint           height,
                                          EntsecQrBudget *budget);

/*
 * The untrusted-input boundary: image bytes in, payloads out
 * (element-type EntsecQrPayload). Everything that touches pixels or zbar
 * happens inside, so it can move into a short-lived helper process.
 * Fails with %ENTSEC_QR_ERROR_NO_CODE when no step finds a code; @step
 * receives the name of the step that did.
 */
GPtrArray *entsec_qr_decode_payloads (const guint8 *data,
                                      gsize         len,
                                      guint        *width,
                                      guint        *height,
                                      const char  **step,
                                      GCancellable *cancellable,
                                      GError      **error);

/*
 * The same boundary for one raw 8-bit grey frame (a camera's): @height rows
 * of @stride bytes, @width pixels used in each; checked against the limits.
 */
GPtrArray *entsec_qr_decode_frame_payloads (const guint8 *pixels,
                                            guint         width,
                                            guint         height,
                                            gsize         stride,
                                            const char  **step,
                                            GCancellable *cancellable,
                                            GError      **error);

/* The pipeline on an already loaded image (for the bench and tests); stops
 * between retry steps once @cancellable (nullable) is cancelled, and between
 * steps or inside a long one once the time budget, counted from this call,
 * is spent. */
GPtrArray *entsec_qr_scan_grey (const EntsecQrGrey *grey,
                                const char        **step,
                                GCancellable       *cancellable);

/*
 * The work one image may take, in CPU time of the decoding thread from the
 * start of loading, before the retries stop: the 400 ms an image may take
 * on the project's 2-core VM, less the work that can still run past it (a
 * zbar pass or a zxing-cpp layer that started before it, tens of ms; the
 * long stages stop within 32 rows) and a margin. The first pass always runs;
 * a decode that ran out of time fails with %ENTSEC_QR_ERROR_GAVE_UP, never
 * with a partial guess.
 */
#define ENTSEC_QR_BUDGET_MS 250

/* A monotonic clock in microseconds; the scanner's own is the decoding thread's CPU time. */
typedef gint64 (*EntsecQrClockFunc) (void);

/* Replace the scanner's clock (tests move it); NULL restores the thread's CPU time. */
void entsec_qr_set_clock_for_testing (EntsecQrClockFunc clock);

/* Set the time budget in milliseconds (bench experiments); 0 means none,
 * ENTSEC_QR_BUDGET_MS restores the default. */
void entsec_qr_set_budget_for_testing (guint ms);

/* Set the scanner's step list from a comma-separated @names (bench
 * experiments only; NULL restores the default). */
void entsec_qr_set_steps_for_testing (const char *names);

/* Lower the pixel limit (the fuzzer's time budget); 0 restores ENTSEC_QR_MAX_PIXELS. */
void entsec_qr_set_max_pixels_for_testing (guint64 pixels);

G_END_DECLS
