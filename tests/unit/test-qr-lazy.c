/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-qr-lazy.c: libzbar, and the zxing-cpp module where it is built, are
 * opened the first time a picture is decoded, never before
 * (entsec-qr-decoders.c), once for workers that start decoding together; a
 * missing libzbar or module fails each decode with an error that says what
 * to install. Each case runs in a fresh process (libraries stay loaded).
 */

#include "config.h"

#include <string.h>

#include "entsec-qr-private.h"
#include "entsec-qr-decoders.h"
#include "maps-test-util.h"

#define CLEAN_IMAGE "synthetic/clean/clean_01.png"
#define CLEAN_TEXT "otpauth://totp/ACME:alice@example.com?secret=JBSWY3DPEHPK3PXP"
#define WORKERS 4

static char *
data_path (const char *name)
{
  return g_build_filename (g_getenv ("ENTSEC_TEST_DATA"), "qr", name, NULL);
}

static void
assert_clean_code (const EntsecQrResult *result)
{
  const EntsecQrCode *code;

  g_assert_nonnull (result);
  g_assert_cmpuint (result->codes->len, ==, 1);
  code = result->codes->pdata[0];
  g_assert_true (g_str_has_prefix (code->text, CLEAN_TEXT));
}

/* Whether the decoders (libzbar, and zxing-cpp where built) are mapped. */
static void
assert_decoders_mapped (gboolean mapped)
{
  g_assert_true (mt_mapped ("libzbar.so.0") == mapped);
#ifdef ENTSEC_HAVE_ZXING
  g_assert_true (mt_mapped ("entsec-qr-zxing.so") == mapped);
  g_assert_true (mt_mapped ("libZXing.so") == mapped);
#endif
}

/* A picture's first decode maps the decoders; nothing before it does. */
static void
test_loaded_on_first_decode (void)
{
  g_autofree char *path = data_path (CLEAN_IMAGE);
  g_autoptr (EntsecQrResult) result = NULL;
  g_autoptr (GError) error = NULL;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }
  assert_decoders_mapped (FALSE);
  /* A file that cannot be read holds no picture to decode. */
  result = entsec_qr_decode_file_sync ("/nonexistent/entsec-test.png", NULL, &error);
  g_assert_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_READ);
  g_assert_null (result);
  assert_decoders_mapped (FALSE);

  g_clear_error (&error);
  result = entsec_qr_decode_file_sync (path, NULL, &error);
  g_assert_no_error (error);
  assert_clean_code (result);
  assert_decoders_mapped (TRUE);
}

typedef struct
{
  const char     *path;
  GMutex          lock;
  GCond           go;
  gboolean        started;
  EntsecQrResult *results[WORKERS];
} Race;

static gpointer
decode_when_told (gpointer data)
{
  Race *race = data;
  EntsecQrResult *result;
  GError *error = NULL;
  guint slot;

  g_mutex_lock (&race->lock);
  while (!race->started)
    g_cond_wait (&race->go, &race->lock);
  g_mutex_unlock (&race->lock);
  result = entsec_qr_decode_file_sync (race->path, NULL, &error);
  g_assert_no_error (error);
  g_mutex_lock (&race->lock);
  for (slot = 0; race->results[slot] != NULL; slot++)
    ;
  race->results[slot] = result;
  g_mutex_unlock (&race->lock);
  return NULL;
}

/* Workers whose first decodes start together all open the one libzbar and read the code. */
static void
test_first_decodes_in_workers (void)
{
  g_autofree char *path = data_path (CLEAN_IMAGE);
  Race race = { .path = path };
  GThread *threads[WORKERS];

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }
  assert_decoders_mapped (FALSE);
  g_mutex_init (&race.lock);
  g_cond_init (&race.go);
  for (guint i = 0; i < WORKERS; i++)
    threads[i] = g_thread_new ("test-qr-worker", decode_when_told, &race);
  g_mutex_lock (&race.lock);
  race.started = TRUE;
  g_cond_broadcast (&race.go);
  g_mutex_unlock (&race.lock);
  for (guint i = 0; i < WORKERS; i++)
    g_thread_join (threads[i]);
  for (guint i = 0; i < WORKERS; i++)
    {
      assert_clean_code (race.results[i]);
      entsec_qr_result_free (race.results[i]);
    }
  g_mutex_clear (&race.lock);
  g_cond_clear (&race.go);
  assert_decoders_mapped (TRUE);
}

/* Pictures and frames fail with an error that holds @missing and @install, every
 * time, and nothing crashes. */
static void
assert_decodes_fail (const char *missing,
                     const char *install)
{
  g_autofree char *path = data_path (CLEAN_IMAGE);
  static const guint8 frame[16 * 16] = { 0 };
  g_autoptr (EntsecQrGrey) grey = entsec_qr_grey_new (16, 16);

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (EntsecQrResult) result = NULL;

      if (i < 2)
        result = entsec_qr_decode_file_sync (path, NULL, &error);
      else
        result = entsec_qr_decode_grey_sync (frame, 16, 16, 16, NULL, &error);
      g_assert_null (result);
      g_assert_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_READ);
      g_assert_nonnull (strstr (error->message, missing));
      g_assert_nonnull (strstr (error->message, install));
    }
  /* The bench's entry point, which has no error to give: nothing read. */
  g_assert_null (entsec_qr_scan_grey (grey, NULL, NULL));
}

/* No libzbar: no decode, with what to install. */
static void
test_missing_library (void)
{
  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }
  entsec_qr_zbar_set_soname_for_test ("libzbar-entsec-test-absent.so.0");
  assert_decodes_fail ("libzbar-entsec-test-absent.so.0", "install the libzbar0 package");
  g_assert_false (mt_mapped ("libzbar"));
}

#ifdef ENTSEC_HAVE_ZXING
/* No zxing-cpp module where it is looked for: no decode, with what to install. */
static void
test_missing_module (void)
{
  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }
  g_setenv ("ENTSEC_QR_MODULE_DIR", "/nonexistent/entsec-test-modules", TRUE);
  assert_decodes_fail ("/nonexistent/entsec-test-modules/entsec-qr-zxing.so",
                       "install the libentsec0 package");
  g_assert_false (mt_mapped ("libZXing"));
}
#endif

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/qr/lazy/loaded-on-first-decode", test_loaded_on_first_decode);
  g_test_add_func ("/qr/lazy/first-decodes-in-workers", test_first_decodes_in_workers);
  g_test_add_func ("/qr/lazy/missing-library", test_missing_library);
#ifdef ENTSEC_HAVE_ZXING
  g_test_add_func ("/qr/lazy/missing-module", test_missing_module);
#endif
  return g_test_run ();
}
