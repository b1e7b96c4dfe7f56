/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-cli-scan.c: `entsec-cli scan` on real images: what it prints, exit codes, no secrets */

#include "config.h"

#include <string.h>

#include "cli-run.h"

static char *
data_path (const char *name)
{
  return g_build_filename (g_getenv ("ENTSEC_TEST_DATA"), "qr", name, NULL);
}

/* Run `entsec-cli scan` with @args; a relative image name is taken from tests/data/qr. */
static void
run_scan (CliRun             *run,
          const char *const  *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (argv, g_strdup ("scan"));
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, args[i][0] == '-' ? g_strdup (args[i]) : data_path (args[i]));
  g_ptr_array_add (argv, NULL);
  run_cliv (NULL, run, (const char *const *) argv->pdata);
}

static void
test_photo_account (void)
{
  g_auto (CliRun) run = { 0 };

  /* A 4000 x 3000 photo of a monitor showing an enrollment code. */
  run_scan (&run, (const char *[]) { "synthetic/photo_4000x3000/photo_4000x3000_06.jpg", NULL });
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "1 QR code"));
  g_assert_nonnull (strstr (run.out, "Cloudflare: ops+2fa@example.co.uk (totp, SHA256, 6 digits, "
                                     "every 60 s)"));
  /* The secret is never printed. */
  g_assert_null (strstr (run.out, "EKRTUZO76WEBZWDT"));
  g_assert_null (strstr (run.err, "EKRTUZO76WEBZWDT"));
}

static void
test_json_many_files (void)
{
  g_auto (CliRun) run = { 0 };

  run_scan (&run, (const char *[]) { "--json", "synthetic/two_codes/two_codes_02.png",
                                     "bad/web-address.png", "bad/animated.gif", NULL });
  /* One file failed: the others are still reported, and the status says so. */
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.out, "\"kind\": \"otpauth-migration\""));
  g_assert_nonnull (strstr (run.out, "\"issuer\": \"Proton\""));
  g_assert_nonnull (strstr (run.out, "\"kind\": \"url\""));
  g_assert_nonnull (strstr (run.out, "it contains a web address (example.com)"));
  g_assert_nonnull (strstr (run.out, "\"error\": \"This is an animation"));
  g_assert_null (strstr (run.out, "secret="));
}

static void
test_no_account_is_rejected (void)
{
  const char *const images[] = { "bad/web-address.png", "bad/binary.png", "bad/bad-secret.png",
                                 "bad/text.png" };

  /* Each is a readable QR code, but none holds an account: status 3, as parse gives. */
  for (gsize i = 0; i < G_N_ELEMENTS (images); i++)
    {
      g_auto (CliRun) run = { 0 };

      run_scan (&run, (const char *[]) { images[i], NULL });
      g_assert_cmpint (run.status, ==, 3);
    }
}

static void
test_bad_files (void)
{
  g_auto (CliRun) empty = { 0 };
  g_auto (CliRun) missing = { 0 };
  g_auto (CliRun) none = { 0 };

  run_scan (&empty, (const char *[]) { "bad/empty.png", NULL });
  g_assert_cmpint (empty.status, ==, 3);
  g_assert_nonnull (strstr (empty.err, "empty.png: The file is empty"));

  run_scan (&missing, (const char *[]) { "bad/no-such-file.png", NULL });
  g_assert_cmpint (missing.status, ==, 1);
  g_assert_nonnull (strstr (missing.err, "Cannot read the image"));

  run_scan (&none, (const char *[]) { NULL });
  g_assert_cmpint (none.status, ==, 2);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/cli/scan/photo-account", test_photo_account);
  g_test_add_func ("/cli/scan/json-many-files", test_json_many_files);
  g_test_add_func ("/cli/scan/no-account-is-rejected", test_no_account_is_rejected);
  g_test_add_func ("/cli/scan/bad-files", test_bad_files);
  return g_test_run ();
}
