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

/* @data through coreutils' base32(1), which wraps its output at 76 columns. */
static char *
base32_wrapped (const guint8 *data,
                gsize         len)
{
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GBytes) input = g_bytes_new (data, len);
  g_autoptr (GBytes) output = NULL;
  g_autoptr (GError) error = NULL;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                              &error, "base32", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate (process, input, NULL, &output, NULL, &error);
  g_assert_no_error (error);
  return g_strndup (g_bytes_get_data (output, NULL), g_bytes_get_size (output));
}

static void
test_wrapped_secret_read_whole (void)
{
  guint8 key[100];
  g_autofree char *wrapped = NULL;
  g_auto (GStrv) lines = NULL;
  g_autofree char *one_line = NULL;
  g_autofree char *dir = g_dir_make_tmp ("entsec-cli-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "wrapped.txt", NULL);
  g_auto (CliRun) from_stdin = { 0 };
  g_auto (CliRun) from_file = { 0 };
  g_auto (CliRun) unwrapped = { 0 };

  for (gsize i = 0; i < sizeof key; i++)
    key[i] = (guint8) (i * 7 + 3);
  wrapped = base32_wrapped (key, sizeof key);
  lines = g_strsplit (wrapped, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), >=, 3); /* 160 letters: two lines and the last "" */
  one_line = g_strjoinv ("", lines);
  g_assert_true (g_file_set_contents (path, wrapped, -1, NULL));

  run_cli (one_line, &unwrapped, "code", "--secret", "-", "--time", "59", NULL);
  run_cli (wrapped, &from_stdin, "code", "--secret", "-", "--time", "59", NULL);
  run_cli (NULL, &from_file, "code", "--secret", path, "--time", "59", NULL);
  g_assert_cmpint (unwrapped.status, ==, 0);
  g_assert_cmpint (from_stdin.status, ==, 0);
  g_assert_cmpint (from_file.status, ==, 0);
  /* The whole key, not its first line: the same code as the key on one line. */
  g_assert_cmpstr (from_stdin.out, ==, unwrapped.out);
  g_assert_cmpstr (from_file.out, ==, unwrapped.out);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_bad_counter_and_time (void)
{
  const char *bad[][2] = {
    { "--counter", "-1" }, { "--counter", "abc" }, { "--counter", "18446744073709551616" },
    { "--time", "-1" }, { "--time", "abc" }, { "--time", "1e3" }, { "--time", " 59" },
    { "--time", "9223372036854775808" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_auto (CliRun) run = { 0 };

      run_cli (RFC_SECRET "\n", &run, "code", "--secret", "-", bad[i][0], bad[i][1], NULL);
      /* A usage error naming the option, never a code for some other counter or time. */
      g_assert_cmpint (run.status, ==, 2);
      g_assert_cmpstr (run.out, ==, "");
      g_assert_nonnull (strstr (run.err, bad[i][0]));
    }
}

/* TRUE once /proc says process @pid may not write a core dump. */
static gboolean
core_dumps_off (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/limits", pid);
  g_autofree char *limits = NULL;

  if (!g_file_get_contents (path, &limits, NULL, NULL))
    return FALSE;
  return g_regex_match_simple ("^Max core file size +0 +0 ", limits, G_REGEX_MULTILINE, 0);
}

/*
 * 'add --uri -' reads URIs (secrets) from stdin before it opens the vault:
 * the process must be hardened before that read, not after. stdin is held
 * open and never written, so the check happens while it waits for input.
 */
static void
test_hardened_before_input (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSubprocess) process = NULL;
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  gboolean hardened = FALSE;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                              g_getenv ("ENTSEC_CLI"), "add", "--uri", "-", NULL);
  g_assert_no_error (error);
  while (!hardened && g_get_monotonic_time () < deadline)
    {
      hardened = core_dumps_off (g_subprocess_get_identifier (process));
      if (!hardened)
        g_usleep (10 * 1000);
    }
  g_subprocess_force_exit (process);
  g_subprocess_wait (process, NULL, NULL);
  g_assert_true (hardened);
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
  g_test_add_func ("/cli/code/wrapped-secret", test_wrapped_secret_read_whole);
  g_test_add_func ("/cli/code/bad-counter-and-time", test_bad_counter_and_time);
  g_test_add_func ("/cli/hardened-before-input", test_hardened_before_input);

  return g_test_run ();
}
