/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-app-camera.c: "Scan with Camera"'s chain (GStreamer to the core's QR
 * reader), fed from a video of real QR codes made here with GStreamer. */

#include "config.h"

#include <gst/gst.h>

#include "entsec-qr-texture.h"
#include "entsec-scan-camera.h"
#include "../vault-test-util.h"

#define OTPAUTH "otpauth://totp/ACME:alice@example.com?secret=JBSWY3DPEHPK3PXP&issuer=ACME"

/* Frames of QR codes of @payloads, one after the other, each shown
 * @repeat times, as an MJPEG AVI in @dir: returns its path. */
static char *
make_video (const char        *dir,
            const char *const *payloads,
            guint              repeat)
{
  g_autofree char *pattern = g_build_filename (dir, "frame-%02d.png", NULL);
  g_autofree char *video = g_build_filename (dir, "qr.avi", NULL);
  g_autofree char *description = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) message = NULL;
  g_autoptr (GError) error = NULL;
  guint n = 0;

  for (guint i = 0; payloads[i] != NULL; i++)
    {
      g_autoptr (GdkTexture) texture = entsec_qr_texture_new (payloads[i], 6, NULL);

      g_assert_nonnull (texture);
      for (guint r = 0; r < repeat; r++, n++)
        {
          g_autofree char *name = g_strdup_printf ("frame-%02u.png", n);
          g_autofree char *path = g_build_filename (dir, name, NULL);

          g_assert_true (gdk_texture_save_to_png (texture, path));
        }
    }
  description = g_strdup_printf ("multifilesrc location=\"%s\" index=0 stop-index=%u "
                                 "caps=image/png,framerate=5/1 ! pngdec ! videoconvert ! "
                                 "videoscale ! video/x-raw,width=400,height=400,format=I420 ! "
                                 "jpegenc quality=90 ! avimux ! filesink location=\"%s\"",
                                 pattern, n - 1, video);
  pipeline = gst_parse_launch (description, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  bus = gst_element_get_bus (pipeline);
  message = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
                                        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_cmpint (GST_MESSAGE_TYPE (message), ==, GST_MESSAGE_EOS);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return g_steal_pointer (&video);
}

typedef struct
{
  gboolean   over;
  char      *found;
  GError    *error;
  guint      previews;
  GPtrArray *rejections;
} Outcome;

static void
on_rejected (EntsecScanCamera *camera,
             const GError     *error,
             Outcome          *outcome)
{
  g_assert_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_NOT_AUTHENTICATOR);
  g_assert_false (outcome->over);
  g_ptr_array_add (outcome->rejections, g_strdup (error->message));
}

static void
on_preview (EntsecScanCamera *camera,
            GdkTexture       *texture,
            Outcome          *outcome)
{
  g_assert_cmpint (gdk_texture_get_width (texture), ==, 400);
  outcome->previews++;
}

static void
on_found (EntsecScanCamera     *camera,
          const EntsecQrResult *result,
          Outcome              *outcome)
{
  const EntsecQrCode *code = g_ptr_array_index (result->codes, 0);

  g_assert_false (outcome->over);
  outcome->found = g_strdup (code->text);
  outcome->over = TRUE;
}

static void
on_stopped (EntsecScanCamera *camera,
            const GError     *error,
            Outcome          *outcome)
{
  g_assert_false (outcome->over);
  outcome->error = g_error_copy (error);
  outcome->over = TRUE;
}

static void
scan (const char *video,
      Outcome    *outcome)
{
  g_autofree char *source = g_strdup_printf ("filesrc location=\"%s\" ! avidemux ! jpegdec", video);
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecScanCamera) camera = entsec_scan_camera_new (source, &error);

  g_assert_no_error (error);
  g_signal_connect (camera, "preview", G_CALLBACK (on_preview), outcome);
  g_signal_connect (camera, "found", G_CALLBACK (on_found), outcome);
  g_signal_connect (camera, "stopped", G_CALLBACK (on_stopped), outcome);
  g_signal_connect (camera, "rejected", G_CALLBACK (on_rejected), outcome);
  outcome->rejections = g_ptr_array_new_with_free_func (g_free);
  g_assert_true (entsec_scan_camera_start (camera, &error));
  g_assert_no_error (error);
  while (!outcome->over)
    g_main_context_iteration (NULL, TRUE);
}

static void
outcome_clear (Outcome *outcome)
{
  g_clear_pointer (&outcome->found, g_free);
  g_clear_error (&outcome->error);
  g_clear_pointer (&outcome->rejections, g_ptr_array_unref);
}

/* A web address first (not an authenticator code: said once for its three
 * frames, and reading goes on), then a Wi-Fi code (said too), then the
 * account's code: the payload found is exactly the one encoded. */
static void
test_camera_finds_code (void)
{
  const char *payloads[] = { "https://example.com/login", "WIFI:S:Office;T:WPA;P:hunter22;;",
                             OTPAUTH, NULL };
  g_autofree char *dir = g_dir_make_tmp ("entsec-camera-XXXXXX", NULL);
  g_autofree char *video = make_video (dir, payloads, 3);
  Outcome outcome = { FALSE, NULL, NULL, 0, NULL };

  scan (video, &outcome);
  g_assert_no_error (outcome.error);
  g_assert_cmpstr (outcome.found, ==, OTPAUTH);
  g_assert_cmpuint (outcome.previews, >=, 1);
  g_assert_cmpuint (outcome.rejections->len, ==, 2);
  g_assert_nonnull (strstr (g_ptr_array_index (outcome.rejections, 0),
                            "not an authenticator code; it contains a web address (example.com)"));
  g_assert_nonnull (strstr (g_ptr_array_index (outcome.rejections, 1),
                            "not an authenticator code"));
  g_assert_null (strstr (g_ptr_array_index (outcome.rejections, 1), "hunter22"));
  outcome_clear (&outcome);
  vt_remove_tree (dir);
}

/* A video that shows only a web address ends saying what its code held,
 * as a picture of it would, not merely that no code was read. */
static void
test_camera_no_code (void)
{
  const char *payloads[] = { "https://example.com/login", NULL };
  g_autofree char *dir = g_dir_make_tmp ("entsec-camera-XXXXXX", NULL);
  g_autofree char *video = make_video (dir, payloads, 3);
  Outcome outcome = { FALSE, NULL, NULL, 0, NULL };

  scan (video, &outcome);
  g_assert_null (outcome.found);
  g_assert_error (outcome.error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_NOT_AUTHENTICATOR);
  g_assert_nonnull (strstr (outcome.error->message, "a web address (example.com)"));
  g_assert_cmpuint (outcome.rejections->len, ==, 1);
  g_assert_cmpuint (outcome.previews, ==, 3);
  outcome_clear (&outcome);
  vt_remove_tree (dir);
}

/* A source that does not exist is refused with a message saying what to install. */
static void
test_camera_missing_plugin (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecScanCamera) camera = entsec_scan_camera_new ("nosuchcamerasrc", &error);

  g_assert_null (camera);
  g_assert_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_READ);
  g_assert_nonnull (strstr (error->message, "GStreamer"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

  g_test_add_func ("/app/camera/finds-code", test_camera_finds_code);
  g_test_add_func ("/app/camera/no-code", test_camera_no_code);
  g_test_add_func ("/app/camera/missing-plugin", test_camera_missing_plugin);
  return g_test_run ();
}
