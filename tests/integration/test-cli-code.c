/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-cli-code.c: `entsec-cli code` as a user runs it: secret on stdin or in a file */

#include "config.h"

#include "cli-run.h"

#include <gio/gio.h>
#include <glib/gstdio.h>

/* RFC 6238's SHA1 seed "12345678901234567890" in Base32. */
#define RFC_SECRET "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

static void
test_totp_from_stdin (void)
{
  g_auto (CliRun) run = { 0 };

  run_cli (RFC_SECRET "\n", &run, "code", "--secret", "-", "--digits", "8", "--time", "59", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, "94287082\n");
}

static void
test_hotp_from_file (void)
{
  g_auto (CliRun) run = { 0 };
  g_autofree char *dir = g_dir_make_tmp ("entsec-cli-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "secret.txt", NULL);

  g_assert_true (g_file_set_contents (path, "gezd gnbv gy3t qojq gezd gnbv gy3t qojq\n", -1, NULL));
  run_cli (NULL, &run, "code", "--secret", path, "--counter", "1", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, "287082\n");
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_steam (void)
{
  g_auto (CliRun) run = { 0 };

  run_cli (RFC_SECRET, &run, "code", "--secret", "-", "--type", "steam", "--time", "59", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, "PV9M4\n");
}

static void
test_bad_secret (void)
{
  g_auto (CliRun) run = { 0 };

  run_cli ("JBSWY1DPEHPK3PXP\n", &run, "code", "--secret", "-", NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_cmpstr (run.out, ==, "");
  g_assert_nonnull (strstr (run.err, "character 6: '1'"));
  /* The secret itself is never echoed back in the message. */
  g_assert_null (strstr (run.err, "JBSWY1DPEHPK3PXP"));
}

static void
test_usage_errors (void)
{
  g_auto (CliRun) no_secret = { 0 };
  g_auto (CliRun) bad_hash = { 0 };
  g_auto (CliRun) unknown = { 0 };

  run_cli (NULL, &no_secret, "code", NULL);
  g_assert_cmpint (no_secret.status, ==, 2);
  run_cli (RFC_SECRET, &bad_hash, "code", "--secret", "-", "--algorithm", "MD5", NULL);
  g_assert_cmpint (bad_hash.status, ==, 2);
  g_assert_nonnull (strstr (bad_hash.err, "MD5"));
  run_cli (NULL, &unknown, "frobnicate", NULL);
  g_assert_cmpint (unknown.status, ==, 2);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/code/totp-stdin", test_totp_from_stdin);
  g_test_add_func ("/cli/code/hotp-file", test_hotp_from_file);
  g_test_add_func ("/cli/code/steam", test_steam);
  g_test_add_func ("/cli/code/bad-secret", test_bad_secret);
  g_test_add_func ("/cli/code/usage", test_usage_errors);

  return g_test_run ();
}
