/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-cli-code.c: `entsec-cli code` as a user runs it: secret on stdin or in a file */

#include "config.h"

#include <string.h>

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
test_secret_given_instead_of_file (void)
{
  g_auto (CliRun) run = { 0 };

  run_cli (NULL, &run, "code", "--secret", "JBSWY3DPEHPK3PXP", NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "--secret takes a FILE or '-' (stdin), not the value itself"));
  g_assert_null (strstr (run.err, "JBSWY3DPEHPK3PXP"));
}

static void
test_long_secret_refused (void)
{
  g_autofree char *too_long = g_strnfill (4097, 'A');
  g_autofree char *too_long_line = g_strconcat (too_long, "\n", NULL);
  g_autofree char *longest = g_strnfill (4096, 'A');
  g_auto (CliRun) refused = { 0 };
  g_auto (CliRun) taken = { 0 };

  /* One byte over the limit: refused, not cut to a different secret. */
  run_cli (too_long_line, &refused, "code", "--secret", "-", "--time", "59", NULL);
  g_assert_cmpint (refused.status, ==, 3);
  g_assert_cmpstr (refused.out, ==, "");
  g_assert_nonnull (strstr (refused.err, "longer than 4096 bytes"));
  /* Exactly at the limit, without a newline: read whole. */
  run_cli (longest, &taken, "code", "--secret", "-", "--time", "59", NULL);
  g_assert_null (strstr (taken.err, "longer than"));
}

static void
test_empty_secret (void)
{
  g_autofree char *dir = g_dir_make_tmp ("entsec-cli-XXXXXX", NULL);
  g_autofree char *empty = g_build_filename (dir, "empty", NULL);
  g_autofree char *newline = g_build_filename (dir, "newline", NULL);
  g_auto (CliRun) from_empty = { 0 };
  g_auto (CliRun) from_newline = { 0 };

  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  g_assert_true (g_file_set_contents (newline, "\n", -1, NULL));
  run_cli (NULL, &from_empty, "code", "--secret", empty, NULL);
  run_cli (NULL, &from_newline, "code", "--secret", newline, NULL);
  /* The same error either way. */
  g_assert_cmpint (from_empty.status, ==, 3);
  g_assert_cmpint (from_newline.status, ==, 3);
  g_assert_nonnull (strstr (from_empty.err, "the input is empty"));
  g_assert_cmpstr (from_empty.err, ==, from_newline.err);
  g_unlink (empty);
  g_unlink (newline);
  g_rmdir (dir);
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
  g_test_add_func ("/cli/code/secret-given-instead-of-file", test_secret_given_instead_of_file);
  g_test_add_func ("/cli/code/long-secret-refused", test_long_secret_refused);
  g_test_add_func ("/cli/code/empty-secret", test_empty_secret);
  g_test_add_func ("/cli/code/usage", test_usage_errors);

  return g_test_run ();
}
