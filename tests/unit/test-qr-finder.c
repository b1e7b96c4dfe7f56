/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-qr-finder.c: the finder-pattern detector, its unwarp, the local threshold, zxing, the time budget */

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <jpeglib.h>
#include <qrencode.h>

#include "entsec-qr-transform.h"

#define PAYLOAD "otpauth://totp/ACME:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=ACME"
#define MODULE_PX 6

/* @payload as a flat code: MODULE_PX pixels a module, a four-module quiet zone. */
static EntsecQrGrey *
render_code (const char *payload,
             guint      *modules)
{
  QRcode *code = QRcode_encodeString (payload, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  guint side;
  EntsecQrGrey *grey;

  g_assert_nonnull (code);
  *modules = (guint) code->width;
  side = (*modules + 8) * MODULE_PX;
  grey = entsec_qr_grey_new (side, side);
  for (guint y = 0; y < side; y++)
    for (guint x = 0; x < side; x++)
      {
        int mx = (int) (x / MODULE_PX) - 4, my = (int) (y / MODULE_PX) - 4;
        gboolean dark = mx >= 0 && my >= 0 && mx < code->width && my < code->width
                        && (code->data[my * code->width + mx] & 1);

        grey->pixels[(gsize) y * side + x] = dark ? 20 : 235;
      }
  QRcode_free (code);
  return grey;
}

/* The flat code seen at an angle: its corners land on @corners of a 400 x 400 image. */
static EntsecQrGrey *
tilt (const EntsecQrGrey *flat,
      const double        corners[4][2])
{
  double code[4][2] = { { 0, 0 }, { flat->width, 0 }, { flat->width, flat->height },
                        { 0, flat->height } };
  EntsecQrGrey *out = entsec_qr_warp_quad (flat, corners, code, 0, 400, 400);

  g_assert_nonnull (out);
  return out;
}

/* Exactly one payload, PAYLOAD. */
static void
assert_payload (GPtrArray *payloads)
{
  EntsecQrPayload *payload;

  g_assert_nonnull (payloads);
  g_assert_cmpuint (payloads->len, ==, 1);
  payload = payloads->pdata[0];
  g_assert_cmpmem (g_bytes_get_data (payload->data, NULL), g_bytes_get_size (payload->data),
                   PAYLOAD, strlen (PAYLOAD));
}

/* PAYLOAD seen at an angle (no two corners moved alike) in a 400 x 400 image. */
static EntsecQrGrey *
tilted_code (guint *modules)
{
  const double corners[4][2] = { { 60, 40 }, { 330, 85 }, { 350, 345 }, { 35, 370 } };
  g_autoptr (EntsecQrGrey) flat = render_code (PAYLOAD, modules);

  return tilt (flat, corners);
}

static void
test_unwarp_tilted_code (void)
{
  guint modules;
  g_autoptr (EntsecQrGrey) tilted = tilted_code (&modules);
  g_autoptr (EntsecQrGrey) bin = entsec_qr_wolf_threshold (tilted);
  g_autoptr (GArray) finders = entsec_qr_find_finders (bin, NULL);
  g_autoptr (GPtrArray) warps = NULL;
  g_autoptr (GPtrArray) payloads = NULL;
  const char *step = NULL;
  guint strong = 0;

  /* The three finder patterns, and nothing else confirmed by several lines. */
  for (guint i = 0; i < finders->len; i++)
    strong += g_array_index (finders, EntsecQrFinder, i).votes >= 3;
  g_assert_cmpuint (strong, ==, 3);
  warps = entsec_qr_finder_warps (tilted, MAX (8, 400 / 16), 4, NULL, NULL);
  g_assert_cmpuint (warps->len, >=, 1);
  /* The first map is square, modules of ENTSEC_QR_WARP_MODULE_PX with the quiet zone. */
  g_assert_cmpuint (((EntsecQrGrey *) warps->pdata[0])->width, ==,
                    (modules + 8) * ENTSEC_QR_WARP_MODULE_PX);
  entsec_qr_set_steps_for_testing ("finder");
  payloads = entsec_qr_scan_grey (tilted, &step, NULL);
  entsec_qr_set_steps_for_testing (NULL);
  assert_payload (payloads);
  g_assert_cmpstr (step, ==, "finder");
}

/* Light falling from 100% to 25% across a code: every module still comes out right. */
static void
test_wolf_uneven_light (void)
{
  guint modules;
  g_autoptr (EntsecQrGrey) flat = render_code (PAYLOAD, &modules);
  g_autoptr (EntsecQrGrey) lit = entsec_qr_grey_new (flat->width, flat->height);
  g_autoptr (EntsecQrGrey) bin = NULL;
  guint wrong = 0, wrong_global = 0;

  for (guint y = 0; y < flat->height; y++)
    for (guint x = 0; x < flat->width; x++)
      {
        gsize i = (gsize) y * flat->width + x;
        double light = 1.0 - 0.75 * x / flat->width;

        /* and a low contrast: 90 against 150 where the light is full */
        lit->pixels[i] = (guint8) ((flat->pixels[i] < 128 ? 90 : 150) * light);
      }
  bin = entsec_qr_wolf_threshold (lit);
  for (guint my = 0; my < modules + 8; my++)
    for (guint mx = 0; mx < modules + 8; mx++)
      {
        gsize i = (gsize) (my * MODULE_PX + MODULE_PX / 2) * flat->width + mx * MODULE_PX
                  + MODULE_PX / 2;
        gboolean dark = flat->pixels[i] < 128;

        wrong += (bin->pixels[i] == 0) != dark;
        /* One global level (the middle grey) for comparison: the image is built so it fails. */
        wrong_global += (lit->pixels[i] < 75) != dark;
      }
  g_assert_cmpuint (wrong_global, >, (modules + 8) * (modules + 8) / 10);
  g_assert_cmpuint (wrong, ==, 0);
}

/* No finder patterns in a flat grey image, so no map to try. */
static void
test_no_finders_in_flat_image (void)
{
  g_autoptr (EntsecQrGrey) flat = entsec_qr_grey_new (300, 200);
  g_autoptr (GPtrArray) warps = NULL;
  guint candidates = G_MAXUINT;

  memset (flat->pixels, 128, 300 * 200);
  warps = entsec_qr_finder_warps (flat, 12, 4, &candidates, NULL);
  g_assert_cmpuint (warps->len, ==, 0);
  g_assert_cmpuint (candidates, ==, 0);
}

/* The scanner's clock in the budget tests: every reading is a second later. */
static gint64 fake_now;

static gint64
clock_a_second_a_reading (void)
{
  fake_now += G_USEC_PER_SEC;
  return fake_now;
}

/*
 * A clock that stands still until its expire_at-th reading, then jumps far
 * past every deadline; it counts its readings (the looks at the budget).
 */
static guint readings;
static guint expire_at;

static gint64
clock_expiring (void)
{
  readings++;
  return readings >= expire_at ? 1000 * G_USEC_PER_SEC : 0;
}

/* A budget of a millisecond on clock_expiring, which runs out at its @at-th reading. */
static EntsecQrBudget
budget_expiring_at (guint at)
{
  readings = 0;
  expire_at = at;
  return (EntsecQrBudget) { .deadline = 1000, .gave_up = FALSE };
}

/* A photo-sized image of noise: every row of it is work for the threshold. */
static EntsecQrGrey *
noise_image (guint width,
             guint height)
{
  EntsecQrGrey *grey = entsec_qr_grey_new (width, height);
  g_autoptr (GRand) rand = g_rand_new_with_seed (5);

  for (gsize i = 0; i < (gsize) width * height; i++)
    grey->pixels[i] = (guint8) g_rand_int_range (rand, 0, 256);
  return grey;
}

/* Out of time halfway through the local threshold of a 2000 x 1500 photo: it stops there, no image. */
static void
test_budget_stops_threshold (void)
{
  g_autoptr (EntsecQrGrey) photo = noise_image (2000, 1500);
  g_autoptr (EntsecQrGrey) whole = NULL;
  g_autoptr (EntsecQrGrey) cut = NULL;
  EntsecQrBudget budget = budget_expiring_at (G_MAXUINT);
  guint looks;

  entsec_qr_set_clock_for_testing (clock_expiring);
  whole = entsec_qr_wolf_threshold_radius (photo, 40, &budget);
  looks = readings;
  budget = budget_expiring_at (looks / 2);
  cut = entsec_qr_wolf_threshold_radius (photo, 40, &budget);
  entsec_qr_set_clock_for_testing (NULL);
  g_assert_nonnull (whole);
  /* The budget is looked at along the way, not once before or after. */
  g_assert_cmpuint (looks, >=, 2 * 1500 / ENTSEC_QR_BUDGET_ROWS);
  g_assert_null (cut);
  g_assert_true (budget.gave_up);
  /* It stopped at the first look past the deadline. */
  g_assert_cmpuint (readings, ==, looks / 2);
}

/* Out of time in the middle of the finder search: no candidates, no map, never half a triple. */
static void
test_budget_stops_finder_search (void)
{
  guint modules;
  g_autoptr (EntsecQrGrey) tilted = tilted_code (&modules);
  g_autoptr (EntsecQrGrey) bin = entsec_qr_wolf_threshold (tilted);
  g_autoptr (GArray) finders = NULL;
  g_autoptr (GArray) cut = NULL;
  g_autoptr (GPtrArray) warps = NULL;
  EntsecQrBudget budget = budget_expiring_at (G_MAXUINT);
  guint search_looks, threshold_looks, candidates = G_MAXUINT;
  g_autoptr (EntsecQrGrey) threshold = NULL;

  entsec_qr_set_clock_for_testing (clock_expiring);
  finders = entsec_qr_find_finders (bin, &budget);
  search_looks = readings;
  budget = budget_expiring_at (search_looks / 2 + 1);
  cut = entsec_qr_find_finders (bin, &budget);
  g_assert_null (cut);
  g_assert_true (budget.gave_up);

  /* The whole step: out of time after the threshold, in the search. */
  budget = budget_expiring_at (G_MAXUINT);
  threshold = entsec_qr_wolf_threshold_radius (tilted, MAX (8, 400 / 16), &budget);
  threshold_looks = readings;
  budget = budget_expiring_at (threshold_looks + search_looks / 2 + 1);
  warps = entsec_qr_finder_warps (tilted, MAX (8, 400 / 16), 4, &candidates, &budget);
  entsec_qr_set_clock_for_testing (NULL);
  g_assert_cmpuint (finders->len, >=, 3);
  g_assert_cmpuint (search_looks, >=, 400 / ENTSEC_QR_BUDGET_ROWS);
  g_assert_cmpuint (warps->len, ==, 0);
  g_assert_cmpuint (candidates, ==, 0);
  g_assert_true (budget.gave_up);
}

/* The whole pipeline on @grey, given as a camera's grey frame. */
static void
decode_frame (const EntsecQrGrey *grey,
              GPtrArray         **payloads,
              const char        **step,
              GError            **error)
{
  *payloads = entsec_qr_decode_frame_payloads (grey->pixels, grey->width, grey->height,
                                               grey->width, step, NULL, error);
}

/* Out of time after the first pass: a clear "gave up", no guess; with time, the retry reads it. */
static void
test_budget_exhausted_gives_up (void)
{
  guint modules;
  g_autoptr (EntsecQrGrey) flat = render_code (PAYLOAD, &modules);
  g_autoptr (EntsecQrGrey) dark = entsec_qr_invert (flat);
  g_autoptr (GPtrArray) payloads = NULL;
  g_autoptr (GError) error = NULL;
  const char *step = NULL;

  entsec_qr_set_clock_for_testing (clock_a_second_a_reading);
  decode_frame (dark, &payloads, &step, &error);
  entsec_qr_set_clock_for_testing (NULL);
  g_assert_null (payloads);
  g_assert_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_GAVE_UP);
  g_assert_nonnull (strstr (error->message, "ran out"));
  g_clear_error (&error);

  /* The same frame on the real clock, within the budget: the inverted pass reads it. */
  decode_frame (dark, &payloads, &step, &error);
  g_assert_no_error (error);
  assert_payload (payloads);
  g_assert_cmpstr (step, ==, "invert");
}

/* The first pass runs whatever the clock says; an image without a code is still "no code". */
static void
test_budget_keeps_first_pass (void)
{
  guint modules;
  g_autoptr (EntsecQrGrey) flat = render_code (PAYLOAD, &modules);
  g_autoptr (EntsecQrGrey) blank = entsec_qr_grey_new (200, 200);
  g_autoptr (GPtrArray) payloads = NULL;
  g_autoptr (GError) error = NULL;
  const char *step = NULL;

  entsec_qr_set_clock_for_testing (clock_a_second_a_reading);
  decode_frame (flat, &payloads, &step, &error);
  entsec_qr_set_clock_for_testing (NULL);
  g_assert_no_error (error);
  assert_payload (payloads);
  g_assert_cmpstr (step, ==, "plain");
  g_clear_pointer (&payloads, g_ptr_array_unref);

  memset (blank->pixels, 200, 200 * 200);
  decode_frame (blank, &payloads, &step, &error);
  g_assert_null (payloads);
  g_assert_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_NO_CODE);
}

/* A 4000 x 3000 photo: the side libjpeg halves while loading (photos load at 2000 px). */
#define PHOTO_W 4000
#define PHOTO_H 3000
/* A small code: 3 px modules in the file are 1.5 px once loaded, fewer than zbar needs. */
#define SMALL_MODULE_PX 3
#define SMALL_AT_X 2600
#define SMALL_AT_Y 900

/* An EXIF block holding only an orientation tag (little-endian TIFF, one IFD entry). */
static void
write_orientation (struct jpeg_compress_struct *cinfo,
                   guint                        orientation)
{
  const guint8 exif[] = { 'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0, 1, 0,
                          0x12, 0x01, 3, 0, 1, 0, 0, 0, (guint8) orientation, 0, 0, 0,
                          0, 0, 0, 0 };

  jpeg_write_marker (cinfo, JPEG_APP0 + 1, exif, sizeof exif);
}

/* A 3 x 3 box blur of the @width x @height rectangle at (@x0, @y0) of a photo. */
static void
box_blur (guint8 *pixels,
          guint   x0,
          guint   y0,
          guint   width,
          guint   height)
{
  g_autofree guint8 *copy = g_memdup2 (pixels, (gsize) PHOTO_W * PHOTO_H);

  for (guint y = y0; y < y0 + height; y++)
    for (guint x = x0; x < x0 + width; x++)
      {
        guint sum = 0;

        for (int j = -1; j <= 1; j++)
          for (int i = -1; i <= 1; i++)
            sum += copy[(gsize) (y + j) * PHOTO_W + x + i];
        pixels[(gsize) y * PHOTO_W + x] = (guint8) (sum / 9);
      }
}

/*
 * Grey pixels of the photo: a light gradient with noise (a fixed seed) and
 * the code of @payload at (SMALL_AT_X, SMALL_AT_Y), transposed when
 * @mirrored, so that the EXIF orientation that mirrors shows it right.
 */
static guint8 *
photo_pixels (const char *payload,
              gboolean    mirrored)
{
  QRcode *code = QRcode_encodeString (payload, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  guint8 *pixels = g_malloc ((gsize) PHOTO_W * PHOTO_H);
  g_autoptr (GRand) rand = g_rand_new_with_seed (11);
  guint side;

  g_assert_nonnull (code);
  side = (guint) (code->width + 8) * SMALL_MODULE_PX;
  for (guint y = 0; y < PHOTO_H; y++)
    for (guint x = 0; x < PHOTO_W; x++)
      {
        int px = (int) x - SMALL_AT_X, py = (int) y - SMALL_AT_Y;
        int mx = px / SMALL_MODULE_PX - 4, my = py / SMALL_MODULE_PX - 4;
        guint8 value = (guint8) (90 + 60 * x / PHOTO_W + 40 * y / PHOTO_H
                                 + g_rand_int_range (rand, 0, 24));

        if (px >= 0 && py >= 0 && (guint) px < side && (guint) py < side)
          {
            gboolean dark = mx >= 0 && my >= 0 && mx < code->width && my < code->width
                            && (code->data[(mirrored ? mx * code->width + my
                                                     : my * code->width + mx)] & 1);

            value = dark ? 30 : 225;
          }
        pixels[(gsize) y * PHOTO_W + x] = value;
      }
  /* A lens's softness: two 3 x 3 box blurs over the code, a Gaussian of sigma 1.15 px. */
  for (guint pass = 0; pass < 2; pass++)
    box_blur (pixels, SMALL_AT_X, SMALL_AT_Y, side, side);
  QRcode_free (code);
  return pixels;
}

/* The photo as a sequential JPEG, as a camera writes it, with EXIF @orientation when not 1. */
static GBytes *
small_code_photo (guint orientation)
{
  struct jpeg_compress_struct cinfo;
  struct jpeg_error_mgr jerr;
  g_autofree guint8 *pixels = photo_pixels (PAYLOAD, orientation == 5 || orientation == 7
                                                     || orientation == 2 || orientation == 4);
  unsigned char *out = NULL;
  unsigned long out_len = 0;
  GBytes *bytes;

  cinfo.err = jpeg_std_error (&jerr);
  jpeg_create_compress (&cinfo);
  jpeg_mem_dest (&cinfo, &out, &out_len);
  cinfo.image_width = PHOTO_W;
  cinfo.image_height = PHOTO_H;
  cinfo.input_components = 1;
  cinfo.in_color_space = JCS_GRAYSCALE;
  jpeg_set_defaults (&cinfo);
  jpeg_set_quality (&cinfo, 90, TRUE);
  jpeg_start_compress (&cinfo, TRUE);
  if (orientation != 1)
    write_orientation (&cinfo, orientation);
  for (guint y = 0; y < PHOTO_H; y++)
    {
      JSAMPROW row = pixels + (gsize) y * PHOTO_W;

      jpeg_write_scanlines (&cinfo, &row, 1);
    }
  jpeg_finish_compress (&cinfo);
  jpeg_destroy_compress (&cinfo);
  bytes = g_bytes_new (out, out_len);
  free (out);
  return bytes;
}

static GPtrArray *
decode_photo (GBytes      *photo,
              const char **step,
              GError     **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (photo, &len);

  return entsec_qr_decode_payloads (data, len, NULL, NULL, step, NULL, error);
}

/*
 * A small code in a large photo: read only from the region read again at
 * full size (no other step reads it at the size the photo is loaded), in
 * the stored orientation and in those EXIF turns and mirrors.
 */
static void
test_small_code_full_resolution (gconstpointer data)
{
  guint orientation = GPOINTER_TO_UINT (data);
  g_autoptr (GBytes) photo = small_code_photo (orientation);
  g_autoptr (GPtrArray) payloads = NULL;
  g_autoptr (GError) error = NULL;
  const char *step = NULL;

  /* No budget: what reads it is the steps, not the machine's speed. */
  entsec_qr_set_budget_for_testing (0);
  payloads = decode_photo (photo, &step, &error);
  entsec_qr_set_budget_for_testing (ENTSEC_QR_BUDGET_MS);
  g_assert_no_error (error);
  assert_payload (payloads);
  g_assert_cmpstr (step, ==, "large:full");
}

/* The loaded photo alone (no file to read again): every other step misses the code. */
static void
test_small_code_needs_full_resolution (void)
{
  g_autoptr (GBytes) photo = small_code_photo (1);
  g_autoptr (EntsecQrGrey) grey = NULL;
  g_autoptr (GPtrArray) payloads = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (photo, &len);
  guint width = 0;
  const char *step = NULL;

  grey = entsec_qr_load_grey (data, len, 2000, &width, NULL, NULL);
  g_assert_nonnull (grey);
  g_assert_cmpuint (width, ==, PHOTO_W);
  g_assert_cmpuint (grey->width, ==, 2000);
  entsec_qr_set_budget_for_testing (0);
  payloads = entsec_qr_scan_grey (grey, &step, NULL);
  entsec_qr_set_budget_for_testing (ENTSEC_QR_BUDGET_MS);
  g_assert_null (payloads);
  g_assert_null (step);
}

/* Out of time before the full-size step: a clear "gave up", never a guess. */
static void
test_small_code_budget_gives_up (void)
{
  g_autoptr (GBytes) photo = small_code_photo (1);
  g_autoptr (GPtrArray) payloads = NULL;
  g_autoptr (GError) error = NULL;
  const char *step = NULL;

  entsec_qr_set_clock_for_testing (clock_a_second_a_reading);
  payloads = decode_photo (photo, &step, &error);
  entsec_qr_set_clock_for_testing (NULL);
  g_assert_null (payloads);
  g_assert_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_GAVE_UP);
}

/* Out of time while the rows above a region are skipped, or the region read: nothing. */
static void
test_jpeg_region_budget (void)
{
  g_autoptr (GBytes) photo = small_code_photo (1);
  g_autoptr (EntsecQrGrey) whole = NULL;
  g_autoptr (EntsecQrGrey) cut = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (photo, &len);
  EntsecQrBudget budget = budget_expiring_at (G_MAXUINT);
  guint looks;

  entsec_qr_set_clock_for_testing (clock_expiring);
  whole = entsec_qr_load_jpeg_region (data, len, SMALL_AT_X, SMALL_AT_Y, 320, 320, &budget);
  looks = readings;
  for (guint at = 1; at <= looks; at++)
    {
      budget = budget_expiring_at (at);
      cut = entsec_qr_load_jpeg_region (data, len, SMALL_AT_X, SMALL_AT_Y, 320, 320, &budget);
      g_assert_null (cut);
      g_assert_true (budget.gave_up);
    }
  entsec_qr_set_clock_for_testing (NULL);
  g_assert_nonnull (whole);
  /* 900 rows skipped and 320 read: looked at between them. */
  g_assert_cmpuint (looks, >=, 320 / ENTSEC_QR_BUDGET_ROWS + 2);
}

/*
 * Wherever in the pipeline the time runs out, the answer is the clear
 * "gave up", never a guess: here at looks spread over a decode of the
 * photo that the full-resolution step reads when there is time.
 */
static void
test_small_code_budget_anywhere (void)
{
  g_autoptr (GBytes) photo = small_code_photo (1);
  g_autoptr (GPtrArray) payloads = NULL;
  g_autoptr (GError) error = NULL;
  const char *step = NULL;
  guint looks;

  /* A clock that never reaches the deadline: the code is read, after this many looks. */
  budget_expiring_at (G_MAXUINT);
  entsec_qr_set_clock_for_testing (clock_expiring);
  payloads = decode_photo (photo, &step, &error);
  looks = readings;
  g_assert_no_error (error);
  assert_payload (payloads);
  g_assert_cmpstr (step, ==, "large:full");
  g_clear_pointer (&payloads, g_ptr_array_unref);
  g_assert_cmpuint (looks, >=, 8);

  for (guint quarter = 1; quarter <= 3; quarter++)
    {
      budget_expiring_at (looks * quarter / 4);
      payloads = decode_photo (photo, &step, &error);
      g_assert_null (payloads);
      g_assert_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_GAVE_UP);
      g_clear_error (&error);
    }
  entsec_qr_set_clock_for_testing (NULL);
}

/* A region of what is no JPEG, or past the image's edge: nothing, and no crash. */
static void
test_jpeg_region_refuses_bad_input (void)
{
  g_autoptr (GBytes) photo = small_code_photo (1);
  gsize len;
  const guint8 *data = g_bytes_get_data (photo, &len);
  g_autofree guint8 *garbage = g_malloc (len);
  g_autoptr (EntsecQrGrey) inside = NULL;
  guint centre = 7 * SMALL_MODULE_PX + 1;

  for (gsize i = 0; i < len; i++)
    garbage[i] = (guint8) (i * 131 + 7);
  g_assert_null (entsec_qr_load_jpeg_region (garbage, len, 0, 0, 64, 64, NULL));
  g_assert_null (entsec_qr_load_jpeg_region (data, len, PHOTO_W - 32, 0, 64, 64, NULL));
  g_assert_null (entsec_qr_load_jpeg_region (data, len, 0, PHOTO_H - 32, 64, 64, NULL));
  /* A rectangle inside, at the code's top-left corner: its quiet zone is
   * light, the centre of its finder pattern (module 7 with the quiet zone) dark. */
  inside = entsec_qr_load_jpeg_region (data, len, SMALL_AT_X, SMALL_AT_Y, 64, 64, NULL);
  g_assert_nonnull (inside);
  g_assert_cmpuint (inside->pixels[(gsize) 3 * 64 + 3], >, 180);
  g_assert_cmpuint (inside->pixels[(gsize) centre * 64 + centre], <, 100);
}

#ifdef ENTSEC_HAVE_ZXING
/* A clean code zbar finds but cannot parse (GB 2312 in the Hanzi mode): zxing reads it. */
static void
test_zxing_reads_hanzi (void)
{
  g_autofree char *image = g_build_filename (g_getenv ("ENTSEC_TEST_DATA"), "qr", "zxing",
                                             "qrcode-2", "33.png", NULL);
  g_autofree char *expected_path = g_build_filename (g_getenv ("ENTSEC_TEST_DATA"), "qr",
                                                     "zxing", "qrcode-2", "33.txt", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *expected = NULL;
  g_autoptr (GPtrArray) payloads = NULL;
  g_autoptr (GError) error = NULL;
  const char *step = NULL;
  EntsecQrPayload *payload;
  gsize len;

  g_assert_true (g_file_get_contents (image, &contents, &len, NULL));
  g_assert_true (g_file_get_contents (expected_path, &expected, NULL, NULL));
  g_strchomp (expected);
  payloads = entsec_qr_decode_payloads ((const guint8 *) contents, len, NULL, NULL, &step, NULL,
                                        &error);
  g_assert_no_error (error);
  g_assert_cmpstr (step, ==, "zxing");
  payload = payloads->pdata[0];
  /* GB 2312 bytes, not UTF-8: the text is what a person reads. */
  g_assert_cmpstr (payload->text, ==, expected);
}
#endif

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/qr/finder/unwarp-tilted-code", test_unwarp_tilted_code);
  g_test_add_func ("/qr/finder/none-in-flat-image", test_no_finders_in_flat_image);
  g_test_add_func ("/qr/threshold/wolf-uneven-light", test_wolf_uneven_light);
  g_test_add_func ("/qr/budget/exhausted-gives-up", test_budget_exhausted_gives_up);
  g_test_add_func ("/qr/budget/keeps-first-pass", test_budget_keeps_first_pass);
  g_test_add_func ("/qr/budget/stops-threshold", test_budget_stops_threshold);
  g_test_add_func ("/qr/budget/stops-finder-search", test_budget_stops_finder_search);
  g_test_add_func ("/qr/full-resolution/needed", test_small_code_needs_full_resolution);
  g_test_add_data_func ("/qr/full-resolution/upright", GUINT_TO_POINTER (1),
                        test_small_code_full_resolution);
  g_test_add_data_func ("/qr/full-resolution/turned", GUINT_TO_POINTER (6),
                        test_small_code_full_resolution);
  g_test_add_data_func ("/qr/full-resolution/mirrored", GUINT_TO_POINTER (7),
                        test_small_code_full_resolution);
  g_test_add_func ("/qr/full-resolution/budget-gives-up", test_small_code_budget_gives_up);
  g_test_add_func ("/qr/full-resolution/budget-anywhere", test_small_code_budget_anywhere);
  g_test_add_func ("/qr/full-resolution/budget-region", test_jpeg_region_budget);
  g_test_add_func ("/qr/full-resolution/bad-input", test_jpeg_region_refuses_bad_input);
#ifdef ENTSEC_HAVE_ZXING
  g_test_add_func ("/qr/zxing/hanzi", test_zxing_reads_hanzi);
#endif
  return g_test_run ();
}
