/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-cli-parse.c: `entsec-cli parse` as a user runs it: URIs on stdin, in files, as JSON */

#include "config.h"

#include "cli-run.h"

#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <jansson.h>

#define GOOD_URI "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example"
#define BAD_URI "otpauth://hotp/x?secret=JBSWY1DPEHPK3PXP&counter=1"
/*
 * An export written by hand: entry 1 "Good Co"/alice, HOTP SHA256 8 digits,
 * counter 5; entry 2 "GitHub"/bob with MD5. Version 1, QR 2 of 2, batch 77.
 * Both secrets are the RFC seed "12345678901234567890".
 */
#define EXPORT_URI                                                                                 \
  "otpauth-migration://offline?data=Ci4KFDEyMzQ1Njc4OTAxMjM0NTY3ODkwEgVhbGljZRoHR29vZCBDbyACKAIw" \
  "ATgFCikKFDEyMzQ1Njc4OTAxMjM0NTY3ODkwEgNib2IaBkdpdEh1YiAEKAEwAhABGAIgAShN"

/* Neither the Base32 secrets nor the export's raw seed may be printed. */
static void
assert_no_secrets (const CliRun *run)
{
  static const char *secrets[] = { "JBSWY3DPEHPK3PXP", "JBSWY1DPEHPK3PXP", "1234567890",
                                   "GEZDGNBV", "MTIzNDU2Nzg5" };

  for (gsize i = 0; i < G_N_ELEMENTS (secrets); i++)
    {
      g_assert_null (strstr (run->out, secrets[i]));
      g_assert_null (strstr (run->err, secrets[i]));
    }
}

static void
test_stdin (void)
{
  g_auto (CliRun) run = { 0 };

  run_cli (GOOD_URI "\n", &run, "parse", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_cmpstr (run.out, ==, "Example: alice@google.com\n"
                                "  totp, SHA1, 6 digits, every 30 s, 80-bit secret\n"
                                "  warning: the secret is shorter than the recommended 128 bits\n");
  g_assert_cmpstr (run.err, ==, "");
  assert_no_secrets (&run);
}

/* A bad line is reported with its line number and the good ones still shown. */
static void
test_file_with_bad_line (void)
{
  g_auto (CliRun) run = { 0 };
  g_autofree char *dir = g_dir_make_tmp ("entsec-cli-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "uris.txt", NULL);
  g_autofree char *expected = NULL;

  g_assert_true (g_file_set_contents (path, "# my accounts\n" GOOD_URI "\n\n" BAD_URI "\n", -1,
                                      NULL));
  run_cli (NULL, &run, "parse", "--file", path, NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.out, "Example: alice@google.com"));
  expected = g_strdup_printf ("entsec-cli: %s:4: The secret is not valid Base32 "
                              "(character 6: '1')", path);
  g_assert_true (g_str_has_prefix (run.err, expected));
  assert_no_secrets (&run);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_export_json (void)
{
  g_auto (CliRun) run = { 0 };
  json_error_t json_error;
  json_t *root, *account, *error, *batch;

  run_cli (EXPORT_URI "\n", &run, "parse", "--json", "-", NULL);
  g_assert_cmpint (run.status, ==, 3);
  assert_no_secrets (&run);
  root = json_loads (run.out, 0, &json_error);
  g_assert_nonnull (root);
  g_assert_cmpuint (json_array_size (json_object_get (root, "accounts")), ==, 1);
  account = json_array_get (json_object_get (root, "accounts"), 0);
  g_assert_cmpstr (json_string_value (json_object_get (account, "type")), ==, "hotp");
  g_assert_cmpstr (json_string_value (json_object_get (account, "issuer")), ==, "Good Co");
  g_assert_cmpstr (json_string_value (json_object_get (account, "label")), ==, "alice");
  g_assert_cmpstr (json_string_value (json_object_get (account, "algorithm")), ==, "SHA256");
  g_assert_cmpint (json_integer_value (json_object_get (account, "digits")), ==, 8);
  g_assert_cmpint (json_integer_value (json_object_get (account, "counter")), ==, 5);
  g_assert_cmpint (json_integer_value (json_object_get (account, "secret_bits")), ==, 160);
  g_assert_null (json_object_get (account, "secret"));
  error = json_array_get (json_object_get (root, "errors"), 0);
  g_assert_cmpint (json_integer_value (json_object_get (error, "entry")), ==, 2);
  g_assert_true (g_str_has_prefix (json_string_value (json_object_get (error, "message")),
                                   "Entry 2 (GitHub): the algorithm MD5 is not supported"));
  batch = json_array_get (json_object_get (root, "exports"), 0);
  g_assert_cmpint (json_integer_value (json_object_get (batch, "batch_size")), ==, 2);
  g_assert_cmpint (json_integer_value (json_object_get (batch, "batch_index")), ==, 1);
  g_assert_cmpint (json_integer_value (json_object_get (batch, "batch_id")), ==, 77);
  json_decref (root);
}

static void
test_export_text (void)
{
  g_auto (CliRun) run = { 0 };

  run_cli (EXPORT_URI, &run, "parse", NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.out, "QR code 2 of 2, batch 77: 1 account, 1 rejected"));
  g_assert_nonnull (strstr (run.out, "Good Co: alice\n  hotp, SHA256, 8 digits, counter 5, "
                                     "160-bit secret\n"));
  g_assert_nonnull (strstr (run.err, "stdin:1: Entry 2 (GitHub): the algorithm MD5"));
}

static void
test_argument_and_empty_input (void)
{
  g_auto (CliRun) argument = { 0 };
  g_auto (CliRun) empty = { 0 };
  g_auto (CliRun) missing = { 0 };

  /* A URI on the command line (seen by other users in the process list): refused, not echoed. */
  run_cli (NULL, &argument, "parse", "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
           NULL);
  g_assert_cmpint (argument.status, ==, 2);
  g_assert_cmpstr (argument.out, ==, "");
  g_assert_nonnull (strstr (argument.err, "read only from stdin or files"));
  g_assert_null (strstr (argument.err, "GEZDGNBV"));
  run_cli ("\n# nothing\n", &empty, "parse", NULL);
  g_assert_cmpint (empty.status, ==, 3);
  g_assert_nonnull (strstr (empty.err, "no URI"));
  run_cli (NULL, &missing, "parse", "--file", "/nonexistent/entsec-uris.txt", NULL);
  g_assert_cmpint (missing.status, ==, 1);
  g_assert_nonnull (strstr (missing.err, "--file takes a FILE"));
  g_assert_nonnull (strstr (missing.err, "could not be opened"));
}

static void
test_uri_given_as_file (void)
{
  g_auto (CliRun) run = { 0 };

  /* A URI where --file wants a file name: refused without repeating it (it holds a secret). */
  run_cli (NULL, &run, "parse", "--file", "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQ", NULL);
  g_assert_cmpint (run.status, ==, 1);
  g_assert_nonnull (strstr (run.err, "--file takes a FILE or '-' (stdin), not the value itself"));
  g_assert_null (strstr (run.err, "GEZDGNBVGY3TQOJQ"));
  g_assert_null (strstr (run.out, "GEZDGNBVGY3TQOJQ"));
}

/* An over-long line is reported with its real length, not the length of a cut piece. */
static void
test_long_line_real_length (void)
{
  g_autofree char *padding = g_strnfill (400000, 'A');
  g_autofree char *uri = g_strconcat ("otpauth://totp/x?secret=", padding, "\n", NULL);
  g_auto (CliRun) run = { 0 };

  run_cli (uri, &run, "parse", NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "the line is 400024 bytes long"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/parse/stdin", test_stdin);
  g_test_add_func ("/cli/parse/file-with-bad-line", test_file_with_bad_line);
  g_test_add_func ("/cli/parse/export-json", test_export_json);
  g_test_add_func ("/cli/parse/export-text", test_export_text);
  g_test_add_func ("/cli/parse/argument-and-empty-input", test_argument_and_empty_input);
  g_test_add_func ("/cli/parse/uri-given-as-file", test_uri_given_as_file);
  g_test_add_func ("/cli/parse/long-line-real-length", test_long_line_real_length);

  return g_test_run ();
}
