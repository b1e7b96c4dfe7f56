/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-api-checks.c: a caller's mistake at a public entry point (NULL where
 * an object is needed, an error already set, something that is not a
 * GCancellable) is reported as a critical and returns the documented failure
 * value: no crash, no output touched. Linked against libentsec.so, so only
 * the exported API is reachable.
 */

#include "config.h"

#include <entsec/entsec.h>

/* The critical that g_return_*_if_fail() logs for @check in @domain. */
#define EXPECT_CHECK(domain, check) \
  g_test_expect_message ((domain), G_LOG_LEVEL_CRITICAL, "*assertion*" check "*")

static const char otpauth_uri[] =
  "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Example";

/* An error that is already set, as a caller that forgot to clear one has. */
static GError *
set_error (void)
{
  return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "earlier failure");
}

/* Any object that is not a GCancellable. */
static GCancellable *
not_a_cancellable (void)
{
  return (GCancellable *) g_object_new (G_TYPE_OBJECT, NULL);
}

static void
test_otp (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) earlier = set_error ();
  EntsecOtpAlgorithm algorithm = ENTSEC_OTP_ALGORITHM_SHA256;
  char code[ENTSEC_OTP_CODE_SIZE] = "untouched";
  char *no_code = NULL;
  gsize len = 42;

  EXPECT_CHECK ("entsec-otp", "name != NULL");
  g_assert_false (entsec_otp_algorithm_from_string (NULL, &algorithm));
  g_test_assert_expected_messages ();
  g_assert_cmpint (algorithm, ==, ENTSEC_OTP_ALGORITHM_SHA256);

  EXPECT_CHECK ("entsec-otp", "code != NULL");
  g_assert_false (entsec_hotp (ENTSEC_OTP_ALGORITHM_SHA1, (const guint8 *) "12345678901234567890",
                               20, 0, 6, no_code, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  EXPECT_CHECK ("entsec-otp", "key != NULL || key_len == 0");
  g_assert_false (entsec_totp (ENTSEC_OTP_ALGORITHM_SHA1, NULL, 20, 59, 30, 6, code, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpstr (code, ==, "untouched");

  /* The earlier error would be overwritten and leaked. */
  EXPECT_CHECK ("entsec-otp", "error == NULL || *error == NULL");
  g_assert_false (entsec_steam ((const guint8 *) "12345678901234567890", 20, 59, code, &earlier));
  g_test_assert_expected_messages ();
  g_assert_error (earlier, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpstr (code, ==, "untouched");

  EXPECT_CHECK ("entsec-base32", "text != NULL");
  g_assert_null (entsec_base32_decode (NULL, &len, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpuint (len, ==, 42);

  EXPECT_CHECK ("entsec-base32", "data != NULL || len == 0");
  g_assert_null (entsec_base32_encode (NULL, 10));
  g_test_assert_expected_messages ();

  EXPECT_CHECK ("entsec-otp", "period > 0");
  g_assert_cmpuint (entsec_totp_remaining (100, 0), ==, 0);
  g_test_assert_expected_messages ();
}

static void
test_account (void)
{
  g_autoptr (EntsecAccount) account = entsec_account_new ();
  g_autoptr (GError) error = NULL;
  char code[ENTSEC_OTP_CODE_SIZE] = "untouched";
  char *no_code = NULL;

  EXPECT_CHECK ("entsec-account", "account != NULL");
  g_assert_null (entsec_account_copy (NULL));
  g_test_assert_expected_messages ();

  EXPECT_CHECK ("entsec-account", "account != NULL");
  g_assert_false (entsec_account_validate (NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  EXPECT_CHECK ("entsec-account", "account != NULL");
  g_assert_false (entsec_account_generate (NULL, 0, code, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpstr (code, ==, "untouched");

  EXPECT_CHECK ("entsec-account", "code != NULL");
  g_assert_false (entsec_account_generate (account, 0, no_code, &error));
  g_test_assert_expected_messages ();

  EXPECT_CHECK ("entsec-account", "account != NULL");
  g_assert_null (entsec_account_dup_display_name (NULL));
  g_test_assert_expected_messages ();

  /* A length with no bytes would copy from NULL. */
  EXPECT_CHECK ("entsec-account", "secret != NULL || secret_len == 0");
  entsec_account_set_secret (account, NULL, 20);
  g_test_assert_expected_messages ();
  g_assert_null (account->secret);
  g_assert_cmpuint (account->secret_len, ==, 0);

  /* Freeing NULL is allowed (documented nullable): no critical. */
  entsec_account_free (NULL);
}

static void
test_account_summary (void)
{
  g_autoptr (GObject) other = g_object_new (G_TYPE_OBJECT, NULL);

  EXPECT_CHECK ("entsec-account", "account != NULL");
  g_assert_null (entsec_account_summary_new_from_account (NULL));
  g_test_assert_expected_messages ();

  EXPECT_CHECK ("entsec-account", "ENTSEC_IS_ACCOUNT_SUMMARY (self)");
  g_assert_null (entsec_account_summary_get_label (NULL));
  g_test_assert_expected_messages ();

  /* Another type of object is refused too, not read as a summary. */
  EXPECT_CHECK ("entsec-account", "ENTSEC_IS_ACCOUNT_SUMMARY (self)");
  g_assert_cmpint (entsec_account_summary_get_id ((EntsecAccountSummary *) other), ==, 0);
  g_test_assert_expected_messages ();
}

static void
test_otpauth (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) earlier = set_error ();
  EntsecOtpauthWarnings warnings = ENTSEC_OTPAUTH_WARNING_ISSUER_MISMATCH;

  EXPECT_CHECK ("entsec-otpauth", "uri != NULL");
  g_assert_null (entsec_otpauth_parse (NULL, &warnings, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpint (warnings, ==, ENTSEC_OTPAUTH_WARNING_ISSUER_MISMATCH);

  EXPECT_CHECK ("entsec-otpauth", "error == NULL || *error == NULL");
  g_assert_null (entsec_otpauth_parse (otpauth_uri, NULL, &earlier));
  g_test_assert_expected_messages ();
  g_assert_error (earlier, G_IO_ERROR, G_IO_ERROR_FAILED);

  EXPECT_CHECK ("entsec-otpauth", "account != NULL");
  g_assert_null (entsec_otpauth_build (NULL));
  g_test_assert_expected_messages ();

  EXPECT_CHECK ("entsec-otpauth", "uri != NULL");
  g_assert_null (entsec_migration_parse (NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  entsec_migration_batch_free (NULL);
}

static void
never_called (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_assert_not_reached ();
}

static void
test_qr (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) bad = not_a_cancellable ();
  g_autoptr (GBytes) bytes = g_bytes_new_static ("x", 1);

  EXPECT_CHECK ("entsec-qr", "path != NULL");
  g_assert_null (entsec_qr_decode_file (NULL, NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  EXPECT_CHECK ("entsec-qr", "G_IS_CANCELLABLE (cancellable)");
  g_assert_null (entsec_qr_accounts_from_file ("/nonexistent.png", bad, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  EXPECT_CHECK ("entsec-qr", "data != NULL || len == 0");
  g_assert_null (entsec_qr_decode_bytes (NULL, 10, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  EXPECT_CHECK ("entsec-qr", "result != NULL");
  g_assert_null (entsec_qr_result_get_accounts (NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  /* A refused call starts no task: the callback never runs. */
  EXPECT_CHECK ("entsec-qr", "path != NULL");
  entsec_qr_decode_file_async (NULL, NULL, never_called, NULL);
  g_test_assert_expected_messages ();
  EXPECT_CHECK ("entsec-qr", "G_IS_CANCELLABLE (cancellable)");
  entsec_qr_decode_bytes_async (bytes, bad, never_called, NULL);
  g_test_assert_expected_messages ();
  while (g_main_context_iteration (NULL, FALSE))
    ;

  EXPECT_CHECK ("entsec-qr", "g_task_is_valid (result, NULL)");
  g_assert_null (entsec_qr_decode_bytes_finish (NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  entsec_qr_result_free (NULL);
}

static void
test_backup (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GError) earlier = set_error ();
  g_autoptr (GPtrArray) accounts = g_ptr_array_new ();
  g_autoptr (GBytes) data = g_bytes_new_static ("ENTSECBK", 8);
  g_autoptr (GBytes) out = g_bytes_new_static ("old", 3);
  g_autoptr (GCancellable) bad = not_a_cancellable ();
  GPtrArray *imported = NULL;
  gboolean encrypted = TRUE;

  EXPECT_CHECK ("entsec-backup", "data != NULL");
  g_assert_false (entsec_backup_import (NULL, "pass", 4, &imported, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_null (imported);

  /* A result already there would be overwritten and leaked. */
  EXPECT_CHECK ("entsec-backup", "out != NULL && *out == NULL");
  g_assert_false (entsec_backup_export (accounts, "pass", 4, NULL, &out, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (out), ==, 3);

  EXPECT_CHECK ("entsec-backup", "error == NULL || *error == NULL");
  g_assert_false (entsec_aegis_is_encrypted (data, &encrypted, &earlier));
  g_test_assert_expected_messages ();
  g_assert_error (earlier, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_true (encrypted);

  EXPECT_CHECK ("entsec-backup", "accounts != NULL");
  g_assert_null (entsec_backup_export_uris (NULL));
  g_test_assert_expected_messages ();

  EXPECT_CHECK ("entsec-backup", "password != NULL || password_len == 0");
  g_assert_null (entsec_aegis_import (data, NULL, 8, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  EXPECT_CHECK ("entsec-backup", "path != NULL");
  g_assert_null (entsec_backup_read_file (NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  EXPECT_CHECK ("entsec-backup", "data != NULL");
  g_assert_cmpint (entsec_import_detect_format (NULL), ==, ENTSEC_IMPORT_FORMAT_UNKNOWN);
  g_test_assert_expected_messages ();

  EXPECT_CHECK ("entsec-backup", "G_IS_CANCELLABLE (cancellable)");
  entsec_backup_write_file_async ("/nonexistent/file", data, bad, never_called, NULL);
  g_test_assert_expected_messages ();
  while (g_main_context_iteration (NULL, FALSE))
    ;

  EXPECT_CHECK ("entsec-backup", "g_task_is_valid (result, NULL)");
  g_assert_false (entsec_backup_write_file_finish (NULL, &error));
  g_test_assert_expected_messages ();
  g_assert_no_error (error);

  entsec_import_result_free (NULL);
}

/* entsec-version.h and entsec-crypto-error.h take no arguments to check. */
static void
test_no_arguments (void)
{
  g_assert_nonnull (entsec_get_version ());
  g_assert_cmpuint (ENTSEC_CRYPTO_ERROR, !=, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/api-checks/otp", test_otp);
  g_test_add_func ("/api-checks/account", test_account);
  g_test_add_func ("/api-checks/account-summary", test_account_summary);
  g_test_add_func ("/api-checks/otpauth", test_otpauth);
  g_test_add_func ("/api-checks/qr", test_qr);
  g_test_add_func ("/api-checks/backup", test_backup);
  g_test_add_func ("/api-checks/no-arguments", test_no_arguments);

  return g_test_run ();
}
