/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-app-camera-lazy.c: the app opens GStreamer when the camera is first
 * used, never before; without it no camera is detected and a reader cannot
 * be made, with a message saying what to install. Each case runs in a fresh
 * process (libraries stay loaded). This test does not link GStreamer. */

#include "config.h"

#include <string.h>

#include "entsec-scan-camera.h"
#include "../maps-test-util.h"

static void
on_detected (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  int *found = user_data;

  *found = entsec_scan_camera_detect_finish (result);
}

static int
detect (void)
{
  int found = -1;

  entsec_scan_camera_detect_async (NULL, on_detected, &found);
  while (found < 0)
    g_main_context_iteration (NULL, TRUE);
  return found;
}

static void
on_preview (EntsecScanCamera *camera,
            GdkTexture       *texture,
            guint            *previews)
{
  (*previews)++;
}

static void
on_stopped (EntsecScanCamera *camera,
            const GError     *error,
            GError          **stopped)
{
  *stopped = g_error_copy (error);
}

/* Nothing of GStreamer before; detection and a reader of three test frames open it. */
static void
test_loaded_on_first_use (void)
{
  g_autoptr (EntsecScanCamera) camera = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) stopped = NULL;
  guint previews = 0;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }
  g_assert_false (mt_mapped ("libgst"));
  /* Whether this machine has a camera does not matter here. */
  detect ();
  g_assert_true (mt_mapped ("libgstreamer-1.0.so"));
  g_assert_true (mt_mapped ("libgstapp-1.0.so"));
  g_assert_true (mt_mapped ("libgstvideo-1.0.so"));

  camera = entsec_scan_camera_new ("videotestsrc num-buffers=3", &error);
  g_assert_no_error (error);
  g_signal_connect (camera, "preview", G_CALLBACK (on_preview), &previews);
  g_signal_connect (camera, "stopped", G_CALLBACK (on_stopped), &stopped);
  g_assert_true (entsec_scan_camera_start (camera, &error));
  g_assert_no_error (error);
  while (stopped == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (stopped, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_NO_CODE);
  g_assert_cmpuint (previews, >=, 1);
}

/* No GStreamer: no camera, and a reader refused with what to install; no crash. */
static void
test_missing (void)
{
  g_autoptr (EntsecScanCamera) camera = NULL;
  g_autoptr (GError) error = NULL;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }
  entsec_scan_camera_set_library_for_test ("libgstreamer-entsec-test-absent.so.0");
  g_assert_false (detect ());
  camera = entsec_scan_camera_new ("videotestsrc", &error);
  g_assert_null (camera);
  g_assert_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_READ);
  g_assert_nonnull (strstr (error->message, "libgstreamer-entsec-test-absent.so.0"));
  g_assert_nonnull (strstr (error->message, "Install GStreamer"));
  g_assert_false (mt_mapped ("libgst"));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/camera-lazy/loaded-on-first-use", test_loaded_on_first_use);
  g_test_add_func ("/app/camera-lazy/missing", test_missing);
  return g_test_run ();
}
