/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-qr-finder.c: the finder-pattern detector, its unwarp, the local threshold, zxing, the time budget */

#include "config.h"

#include <math.h>
#include <string.h>

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

static void
test_unwarp_tilted_code (void)
{
  const double corners[4][2] = { { 60, 40 }, { 330, 85 }, { 350, 345 }, { 35, 370 } };
  guint modules;
  g_autoptr (EntsecQrGrey) flat = render_code (PAYLOAD, &modules);
  g_autoptr (EntsecQrGrey) tilted = tilt (flat, corners);
  g_autoptr (EntsecQrGrey) bin = entsec_qr_wolf_threshold (tilted);
  g_autoptr (GArray) finders = entsec_qr_find_finders (bin);
  g_autoptr (GPtrArray) warps = NULL;
  g_autoptr (GPtrArray) payloads = NULL;
  const char *step = NULL;
  guint strong = 0;

  /* The three finder patterns, and nothing else confirmed by several lines. */
  for (guint i = 0; i < finders->len; i++)
    strong += g_array_index (finders, EntsecQrFinder, i).votes >= 3;
  g_assert_cmpuint (strong, ==, 3);
  warps = entsec_qr_finder_warps (tilted, MAX (8, 400 / 16), 4, NULL);
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
  warps = entsec_qr_finder_warps (flat, 12, 4, &candidates);
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
#ifdef ENTSEC_HAVE_ZXING
  g_test_add_func ("/qr/zxing/hanzi", test_zxing_reads_hanzi);
#endif
  return g_test_run ();
}
