/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-qr.c: QR codes from real images (a corpus subset), bad input, classification */

#include "config.h"

#include <gdk-pixbuf/gdk-pixbuf.h>

#include "entsec-qr-private.h"

/* One image per category the album pipeline must handle, with the step that exercises it. */
static const char *const corpus_images[] = {
  "synthetic/clean/clean_01.png",               /* first pass */
  "synthetic/clean/clean_04.png",               /* Google export */
  "synthetic/inverted/inverted_01.png",         /* dark mode: invert */
  "synthetic/perspective/perspective_03.png",   /* tilted 30 degrees: unwarp */
  "synthetic/blur/blur_02.png",                 /* mild blur */
  "synthetic/blur/blur_05.png",                 /* heavy blur: upscale + threshold */
  "synthetic/screenshot_small/screenshot_small_01.png",
  "synthetic/two_codes/two_codes_02.png",       /* both codes */
  "synthetic/photo_4000x3000/photo_4000x3000_06.jpg", /* downscaled while loading */
  "synthetic/utf8_label/utf8_label_01.png",     /* UTF-8 label without ECI */
  "synthetic/jpeg_q30/jpeg_q30_06.jpg",         /* JPEG artefacts: threshold */
  "extra/dark-phone-1080x2400.png",             /* dark-mode phone screenshot: large, invert */
  "zxing/qrcode-1/1.png",                       /* photo of a printed code */
  "zxing/qrcode-2/31.png",                      /* Shift_JIS text */
  "zxing/qrcode-5/16.png",                      /* cropped to the edge: pad */
  "zxing/qrcode-5/18.png",                      /* tiny: upscale */
  "zxing-cpp/qrcode-2/30a.png",                 /* photo at an angle: unwarp */
  "zxing-cpp/qrcode-2/qr-inv-1.png",            /* light code on dark ground */
};

static char *
data_path (const char *name)
{
  return g_build_filename (g_getenv ("ENTSEC_TEST_DATA"), "qr", name, NULL);
}

/* The corpus rule: one trailing newline (LF or CRLF) is dropped before comparing. */
static char *
strip_newline (const char *text)
{
  gsize len = strlen (text);

  if (len >= 2 && text[len - 2] == '\r' && text[len - 1] == '\n')
    len -= 2;
  else if (len >= 1 && text[len - 1] == '\n')
    len -= 1;
  return g_strndup (text, len);
}

/* The .txt beside @image: its payloads, one per line in a folder marked _multi. */
static GStrv
expected_payloads (const char *image)
{
  g_autofree char *path = data_path (image);
  g_autofree char *base = g_strndup (path, strrchr (path, '.') - path);
  g_autofree char *txt = g_strconcat (base, ".txt", NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *multi = g_build_filename (dir, "_multi", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *stripped = NULL;

  g_assert_true (g_file_get_contents (txt, &contents, NULL, NULL));
  stripped = strip_newline (contents);
  if (g_file_test (multi, G_FILE_TEST_EXISTS))
    return g_strsplit (stripped, "\n", -1);
  return g_strdupv ((char *[]) { stripped, NULL });
}

static EntsecQrResult *
decode (const char *name,
        GError    **error)
{
  g_autofree char *path = data_path (name);

  return entsec_qr_decode_file_sync (path, NULL, error);
}

static gboolean
result_has_text (const EntsecQrResult *result,
                 const char           *text)
{
  for (guint i = 0; i < result->codes->len; i++)
    {
      const EntsecQrCode *code = result->codes->pdata[i];
      g_autofree char *decoded = code->text != NULL ? strip_newline (code->text) : NULL;

      if (g_strcmp0 (decoded, text) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
test_corpus_image (gconstpointer data)
{
  const char *image = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecQrResult) result = decode (image, &error);
  g_auto (GStrv) expected = expected_payloads (image);

  g_assert_no_error (error);
  g_assert_nonnull (result);
  g_test_message ("%s: found by step %s", image, result->step);
  g_assert_cmpuint (result->codes->len, ==, g_strv_length (expected));
  for (guint i = 0; expected[i] != NULL; i++)
    g_assert_true (result_has_text (result, expected[i]));
}

static void
test_raw_bytes_kept (void)
{
  /* Shift_JIS stays Shift_JIS in the payload bytes; only the text is converted. */
  g_autoptr (EntsecQrResult) result = decode ("zxing/qrcode-2/31.png", NULL);
  const EntsecQrCode *code = result->codes->pdata[0];
  static const guint8 sjis_start[] = { 0x8d, 0xa1, 0x93, 0x78 };

  g_assert_cmpuint (g_bytes_get_size (code->data), >, sizeof sjis_start);
  g_assert_cmpmem (g_bytes_get_data (code->data, NULL), sizeof sjis_start, sjis_start,
                   sizeof sjis_start);
  g_assert_cmpint (code->kind, ==, ENTSEC_QR_KIND_TEXT);
}

static void
test_large_photo_size (void)
{
  g_autoptr (EntsecQrResult) result = decode ("synthetic/photo_4000x3000/photo_4000x3000_06.jpg",
                                              NULL);

  g_assert_cmpuint (result->width, ==, 4000);
  g_assert_cmpuint (result->height, ==, 3000);
}

/* A raw grey frame as a camera delivers it (rows padded beyond the width)
 * decodes like the picture it was taken from; bad frames are refused. */
static void
test_grey_frame (void)
{
  g_autofree char *path = data_path ("synthetic/clean/clean_01.png");
  g_autofree char *contents = NULL;
  g_autoptr (EntsecQrGrey) grey = NULL;
  g_autoptr (EntsecQrResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree guint8 *frame = NULL;
  g_auto (GStrv) expected = expected_payloads ("synthetic/clean/clean_01.png");
  const EntsecQrCode *code;
  gsize len = 0, stride;
  guint width, height;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  grey = entsec_qr_load_grey ((const guint8 *) contents, len, 4096, &width, &height, &error);
  g_assert_no_error (error);
  stride = grey->width + 13;
  frame = g_malloc0 (stride * grey->height);
  for (guint y = 0; y < grey->height; y++)
    memcpy (frame + y * stride, grey->pixels + (gsize) y * grey->width, grey->width);

  result = entsec_qr_decode_grey_sync (frame, grey->width, grey->height, stride, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->codes->len, ==, 1);
  code = result->codes->pdata[0];
  g_assert_cmpint (code->kind, ==, ENTSEC_QR_KIND_OTPAUTH);
  g_assert_cmpstr (code->text, ==, expected[0]);
  g_clear_pointer (&result, entsec_qr_result_free);

  /* A blank frame, a stride shorter than a row, a frame over the limits. */
  memset (frame, 0xff, stride * grey->height);
  result = entsec_qr_decode_grey_sync (frame, grey->width, grey->height, stride, NULL, &error);
  g_assert_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_NO_CODE);
  g_assert_null (result);
  g_clear_error (&error);
  result = entsec_qr_decode_grey_sync (frame, grey->width, grey->height, grey->width - 1, NULL,
                                       &error);
  g_assert_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "GRAY8"));
  g_clear_error (&error);
  result = entsec_qr_decode_grey_sync (frame, ENTSEC_QR_MAX_SIDE + 1, 1, ENTSEC_QR_MAX_SIDE + 1,
                                       NULL, &error);
  g_assert_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_TOO_LARGE);
  g_assert_null (result);
}

static void
test_otpauth_account (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecQrResult) result = decode ("synthetic/clean/clean_01.png", &error);
  const EntsecQrCode *code = result->codes->pdata[0];
  const EntsecAccount *account;

  g_assert_cmpint (code->kind, ==, ENTSEC_QR_KIND_OTPAUTH);
  g_assert_null (code->error);
  g_assert_cmpuint (code->accounts->len, ==, 1);
  account = code->accounts->pdata[0];
  g_assert_cmpstr (account->issuer, ==, "ACME");
  g_assert_cmpstr (account->label, ==, "alice@example.com");
}

static void
test_migration_accounts (void)
{
  g_autoptr (EntsecQrResult) result = decode ("synthetic/clean/clean_04.png", NULL);
  const EntsecQrCode *code = result->codes->pdata[0];

  g_assert_cmpint (code->kind, ==, ENTSEC_QR_KIND_MIGRATION);
  g_assert_null (code->error);
  g_assert_cmpuint (code->accounts->len, ==, 4);
  g_assert_cmpuint (code->entry_errors->len, ==, 0);
}

static void
test_accounts_from_two_codes (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = data_path ("synthetic/two_codes/two_codes_02.png");
  g_autoptr (GPtrArray) accounts = entsec_qr_accounts_from_file_sync (path, NULL, &error);

  /* An export of three accounts beside one otpauth:// code. */
  g_assert_no_error (error);
  g_assert_cmpuint (accounts->len, ==, 4);
}

static void
test_web_address (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecQrResult) result = decode ("bad/web-address.png", &error);
  const EntsecQrCode *code = result->codes->pdata[0];
  g_autoptr (GPtrArray) accounts = entsec_qr_result_get_accounts (result, &error);

  g_assert_cmpint (code->kind, ==, ENTSEC_QR_KIND_URL);
  g_assert_error (code->error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_NOT_AUTHENTICATOR);
  g_assert_nonnull (strstr (code->error->message, "web address (example.com)"));
  g_assert_null (accounts);
  g_assert_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_NOT_AUTHENTICATOR);
}

/* A percent-encoded terminal escape in the host must not reach the message raw. */
static void
test_web_address_escapes (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecQrResult) result = decode ("bad/escape-host.png", &error);
  const EntsecQrCode *code;

  g_assert_no_error (error);
  code = result->codes->pdata[0];
  g_assert_cmpint (code->kind, ==, ENTSEC_QR_KIND_URL);
  g_assert_error (code->error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_NOT_AUTHENTICATOR);
  g_test_message ("%s", code->error->message);
  g_assert_null (strchr (code->error->message, '\x1b'));
  g_assert_nonnull (strstr (code->error->message,
                            "web address (\\x1B[31mEVIL\\x1B[0m.example)"));
}

static void
test_enrollment_link (void)
{
  g_autoptr (EntsecQrResult) result = decode ("bad/enrollment.png", NULL);
  const EntsecQrCode *code = result->codes->pdata[0];

  /* Read and recognised, but not enrolled from a picture yet. */
  g_assert_cmpint (code->kind, ==, ENTSEC_QR_KIND_ENROLLMENT);
  g_assert_cmpuint (code->accounts->len, ==, 0);
  g_assert_error (code->error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_NOT_AUTHENTICATOR);
  g_assert_nonnull (strstr (code->error->message, "enrollment code"));
}

static void
test_cancelled (void)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *path = data_path ("synthetic/clean/clean_01.png");
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecQrResult) result = NULL;

  g_cancellable_cancel (cancellable);
  result = entsec_qr_decode_file_sync (path, cancellable, &error);
  g_assert_null (result);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* The retry steps stop once cancelled: the same image reads without it. */
static void
test_cancelled_between_steps (void)
{
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *path = data_path ("synthetic/clean/clean_01.png");
  g_autofree char *contents = NULL;
  g_autoptr (EntsecQrGrey) grey = NULL;
  g_autoptr (GPtrArray) found = NULL;
  g_autoptr (GPtrArray) cancelled = NULL;
  gsize len;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  grey = entsec_qr_load_grey ((const guint8 *) contents, len, 2048, NULL, NULL, NULL);
  g_assert_nonnull (grey);
  found = entsec_qr_scan_grey (grey, NULL, cancellable);
  g_assert_nonnull (found);
  g_cancellable_cancel (cancellable);
  cancelled = entsec_qr_scan_grey (grey, NULL, cancellable);
  g_assert_null (cancelled);
}

static void
test_binary_payload (void)
{
  static const guint8 encoded[] = "\x00\x01\x02\x03\xff\xfe\xfd\x80" "binary\x00" "data";
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecQrResult) result = decode ("bad/binary.png", &error);
  const EntsecQrCode *code = result->codes->pdata[0];

  g_assert_no_error (error);
  g_assert_cmpint (code->kind, ==, ENTSEC_QR_KIND_BINARY);
  g_assert_null (code->text);
  g_assert_cmpmem (g_bytes_get_data (code->data, NULL), g_bytes_get_size (code->data), encoded,
                   sizeof encoded - 1);
  g_assert_error (code->error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_NOT_AUTHENTICATOR);
  g_assert_nonnull (strstr (code->error->message, "binary data"));
}

static void
test_bad_secret (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = data_path ("bad/bad-secret.png");
  g_autoptr (EntsecQrResult) result = entsec_qr_decode_file_sync (path, NULL, NULL);
  g_autoptr (GPtrArray) accounts = entsec_qr_accounts_from_file_sync (path, NULL, &error);
  const EntsecQrCode *code = result->codes->pdata[0];

  g_assert_cmpint (code->kind, ==, ENTSEC_QR_KIND_OTPAUTH);
  g_assert_error (code->error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_SECRET);
  g_assert_null (accounts);
  g_assert_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_INVALID_CODE);
}

typedef struct
{
  const char *file;
  int         code;
  const char *message_part;
} BadInput;

static const BadInput bad_inputs[] = {
  { "bad/truncated.png", ENTSEC_QR_ERROR_CORRUPT, "damaged or incomplete" },
  { "bad/text.png", ENTSEC_QR_ERROR_FORMAT, "not an image" },
  { "bad/huge-header.png", ENTSEC_QR_ERROR_TOO_LARGE, "30000 × 30000" },
  { "bad/empty.png", ENTSEC_QR_ERROR_EMPTY, "empty" },
  { "bad/animated.gif", ENTSEC_QR_ERROR_ANIMATED, "animation" },
  { "bad/no-code.png", ENTSEC_QR_ERROR_NO_CODE, "No QR code" },
  { "bad/does-not-exist.png", ENTSEC_QR_ERROR_READ, "Cannot read" },
};

static void
test_bad_input (gconstpointer data)
{
  const BadInput *bad = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecQrResult) result = decode (bad->file, &error);

  g_assert_null (result);
  g_assert_error (error, ENTSEC_QR_ERROR, bad->code);
  g_assert_nonnull (strstr (error->message, bad->message_part));
}

static void
test_formats (void)
{
  static const char *const files[] = {
    "formats/code.gif", "formats/code.bmp", "formats/code.tiff", "formats/code.svg",
    "formats/transparent.png",
  };
  g_autofree char *payload_path = data_path ("formats/payload.txt");
  g_autofree char *payload = NULL;

  g_assert_true (g_file_get_contents (payload_path, &payload, NULL, NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (files); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (EntsecQrResult) result = decode (files[i], &error);

      g_assert_no_error (error);
      g_assert_true (result_has_text (result, payload));
    }
}

static GBytes *
read_data (const char *name)
{
  g_autofree char *path = data_path (name);
  g_autofree char *contents = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  return g_bytes_new_take (g_steal_pointer (&contents), len);
}

/* A 108-megapixel phone photo is shrunk by libjpeg while decoding, not refused. */
static void
test_large_jpeg_downscaled (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = read_data ("extra/photo-12000x9000.jpg");
  g_autoptr (EntsecQrResult) result = NULL;
  g_auto (GStrv) expected = expected_payloads ("extra/photo-12000x9000.jpg");

  /* Over the limit for formats that are decoded whole. */
  g_assert_cmpuint ((guint64) 12000 * 9000, >, ENTSEC_QR_MAX_PIXELS);
  g_assert_cmpuint (g_bytes_get_size (bytes), <, 1024 * 1024);
  result = entsec_qr_decode_bytes_sync (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                        NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->width, ==, 12000);
  g_assert_cmpuint (result->height, ==, 9000);
  g_assert_true (result_has_text (result, expected[0]));
}

/* Offset of the JPEG's first SOF0 marker. */
static gsize
find_sof0 (const guint8 *data,
           gsize         len)
{
  for (gsize i = 2; i + 9 < len; i++)
    {
      if (data[i] == 0xff && data[i + 1] == 0xc0)
        return i;
    }
  g_assert_not_reached ();
}

static void
assert_jpeg_too_large (const guint8 *data,
                       gsize         len,
                       const char   *message_part)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecQrResult) result = entsec_qr_decode_bytes_sync (data, len, NULL, &error);

  g_assert_null (result);
  g_assert_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_TOO_LARGE);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, message_part));
}

/* JPEGs that cannot be shrunk while decoding, or too large even for that, are refused. */
static void
test_large_jpeg_limits (void)
{
  g_autoptr (GBytes) bytes = read_data ("extra/photo-12000x9000.jpg");
  gsize len = g_bytes_get_size (bytes);
  g_autofree guint8 *data = g_memdup2 (g_bytes_get_data (bytes, NULL), len);
  gsize sof = find_sof0 (data, len);

  /* Progressive: decoded whole, so the 64-megapixel limit holds. */
  data[sof + 1] = 0xc2;
  assert_jpeg_too_large (data, len, "12000 × 9000 pixels, more than the 64 megapixels");
  /* Sequential but 65000 x 65000: more than 64 times the limit. */
  data[sof + 1] = 0xc0;
  data[sof + 5] = data[sof + 7] = 0xfd;
  data[sof + 6] = data[sof + 8] = 0xe8;
  assert_jpeg_too_large (data, len, "65000 × 65000 pixels, more than the 4096 megapixels");
}

/* SVG is drawn at a bounded size, whatever size it declares. */
static void
test_huge_svg_rendered (void)
{
  g_autoptr (GBytes) bytes = read_data ("formats/code.svg");
  g_autofree char *svg = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_autofree char *payload_path = data_path ("formats/payload.txt");
  g_autofree char *payload = NULL;
  g_auto (GStrv) parts = g_strsplit (svg, "width=\"5.79cm\" height=\"5.79cm\"", 2);
  g_autofree char *huge = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecQrResult) result = NULL;

  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  huge = g_strjoin ("width=\"100000\" height=\"100000\"", parts[0], parts[1], NULL);
  g_assert_true (g_file_get_contents (payload_path, &payload, NULL, NULL));
  result = entsec_qr_decode_bytes_sync ((const guint8 *) huge, strlen (huge), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->width, ==, 100000);
  g_assert_true (result_has_text (result, payload));
}

/* librsvg ends its messages with a newline: it is not carried into ours. */
static void
test_broken_svg_message (void)
{
  static const char broken[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" "
                               "height=\"10\"><rect width=\"5\" height=\"5\"></svg>";
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecQrResult) result = entsec_qr_decode_bytes_sync ((const guint8 *) broken,
                                                                   strlen (broken), NULL, &error);
  gsize len;

  g_assert_null (result);
  g_assert_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_CORRUPT);
  g_test_message ("%s", error->message);
  len = strlen (error->message);
  g_assert_true (g_str_has_suffix (error->message, "); save or copy it again"));
  g_assert_null (strchr (error->message, '\n'));
  g_assert_true (len > 0 && !g_ascii_isspace (error->message[len - 1]));
}

static gboolean
webp_writable (void)
{
  g_autoptr (GSList) formats = gdk_pixbuf_get_formats ();

  for (GSList *l = formats; l != NULL; l = l->next)
    {
      g_autofree char *name = gdk_pixbuf_format_get_name (l->data);

      if (g_strcmp0 (name, "webp") == 0)
        return gdk_pixbuf_format_is_writable (l->data);
    }
  return FALSE;
}

static void
test_webp (void)
{
  g_autofree char *png = data_path ("formats/transparent.png");
  g_autofree char *payload_path = data_path ("formats/payload.txt");
  g_autofree char *payload = NULL;
  g_autoptr (GdkPixbuf) pixbuf = NULL;
  g_autofree char *webp = NULL;
  gsize len = 0;
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecQrResult) result = NULL;

  if (!webp_writable ())
    {
      g_test_skip ("no WebP loader that can save (install webp-pixbuf-loader)");
      return;
    }
  g_assert_true (g_file_get_contents (payload_path, &payload, NULL, NULL));
  pixbuf = gdk_pixbuf_new_from_file (png, &error);
  g_assert_no_error (error);
  g_assert_true (gdk_pixbuf_save_to_buffer (pixbuf, &webp, &len, "webp", &error,
                                            "lossless", "TRUE", NULL));
  result = entsec_qr_decode_bytes_sync ((const guint8 *) webp, len, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (result_has_text (result, payload));
}

static void
test_exif_orientation (void)
{
  g_autofree char *path = data_path ("formats/orientation-6.jpg");
  g_autofree char *contents = NULL;
  gsize len;
  guint width = 0, height = 0;
  g_autoptr (EntsecQrGrey) grey = NULL;

  /* Stored 300 x 150 with "rotate 90 degrees" in EXIF: upright it is 150 x 300. */
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  grey = entsec_qr_load_grey ((const guint8 *) contents, len, 2048, &width, &height, NULL);
  g_assert_nonnull (grey);
  g_assert_cmpuint (width, ==, 300);
  g_assert_cmpuint (height, ==, 150);
  g_assert_cmpuint (grey->width, ==, 150);
  g_assert_cmpuint (grey->height, ==, 300);
}

static void
test_downscale_on_load (void)
{
  g_autofree char *path = data_path ("synthetic/photo_4000x3000/photo_4000x3000_06.jpg");
  g_autofree char *contents = NULL;
  gsize len;
  g_autoptr (EntsecQrGrey) grey = NULL;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  grey = entsec_qr_load_grey ((const guint8 *) contents, len, 1000, NULL, NULL, NULL);
  g_assert_cmpuint (grey->width, ==, 1000);
  g_assert_cmpuint (grey->height, ==, 750);
}

static void
on_decoded (GObject      *source,
            GAsyncResult *res,
            gpointer      user_data)
{
  EntsecQrResult **out = user_data;
  g_autoptr (GError) error = NULL;

  *out = entsec_qr_decode_file_finish (res, &error);
  g_assert_no_error (error);
}

static void
test_async (void)
{
  g_autofree char *path = data_path ("synthetic/clean/clean_01.png");
  g_autoptr (EntsecQrResult) result = NULL;

  entsec_qr_decode_file_async (path, NULL, on_decoded, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (result->codes->len, ==, 1);
}

static void
on_bytes_decoded (GObject      *source,
                  GAsyncResult *res,
                  gpointer      user_data)
{
  GError **out = user_data;

  g_assert_null (entsec_qr_decode_bytes_finish (res, out));
}

static void
test_async_bytes_error (void)
{
  g_autoptr (GBytes) bytes = g_bytes_new_static ("GIF89a", 6);
  GError *error = NULL;

  /* A bare GIF signature: the error comes back through the callback. */
  entsec_qr_decode_bytes_async (bytes, NULL, on_bytes_decoded, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_CORRUPT);
  g_error_free (error);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* No time budget: what reads an image is the steps, not the speed of the
   * machine (sanitizer builds are several times slower). test-qr-finder
   * checks the budget itself with an injected clock. */
  entsec_qr_set_budget_for_testing (0);

  for (gsize i = 0; i < G_N_ELEMENTS (corpus_images); i++)
    {
      g_autofree char *name = g_strdup_printf ("/qr/corpus/%s", corpus_images[i]);

      g_test_add_data_func (name, corpus_images[i], test_corpus_image);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad_inputs); i++)
    {
      g_autofree char *name = g_strdup_printf ("/qr/bad-input/%s", bad_inputs[i].file + 4);

      g_test_add_data_func (name, &bad_inputs[i], test_bad_input);
    }
  g_test_add_func ("/qr/raw-bytes-kept", test_raw_bytes_kept);
  g_test_add_func ("/qr/large-photo-size", test_large_photo_size);
  g_test_add_func ("/qr/classify/otpauth", test_otpauth_account);
  g_test_add_func ("/qr/grey-frame", test_grey_frame);
  g_test_add_func ("/qr/classify/migration", test_migration_accounts);
  g_test_add_func ("/qr/classify/web-address", test_web_address);
  g_test_add_func ("/qr/classify/web-address-escapes", test_web_address_escapes);
  g_test_add_func ("/qr/classify/binary", test_binary_payload);
  g_test_add_func ("/qr/classify/enrollment", test_enrollment_link);
  g_test_add_func ("/qr/cancelled", test_cancelled);
  g_test_add_func ("/qr/cancelled-between-steps", test_cancelled_between_steps);
  g_test_add_func ("/qr/classify/bad-secret", test_bad_secret);
  g_test_add_func ("/qr/accounts/two-codes", test_accounts_from_two_codes);
  g_test_add_func ("/qr/formats", test_formats);
  g_test_add_func ("/qr/formats/webp", test_webp);
  g_test_add_func ("/qr/load/exif-orientation", test_exif_orientation);
  g_test_add_func ("/qr/load/downscale", test_downscale_on_load);
  g_test_add_func ("/qr/load/large-jpeg", test_large_jpeg_downscaled);
  g_test_add_func ("/qr/load/large-jpeg-limits", test_large_jpeg_limits);
  g_test_add_func ("/qr/load/huge-svg", test_huge_svg_rendered);
  g_test_add_func ("/qr/load/broken-svg-message", test_broken_svg_message);
  g_test_add_func ("/qr/async", test_async);
  g_test_add_func ("/qr/async-bytes-error", test_async_bytes_error);
  return g_test_run ();
}
