/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-account.c: the account record: validation, copies, codes */

#include "config.h"

#include <entsec/entsec.h>

static EntsecAccount *
make_account (void)
{
  EntsecAccount *account = entsec_account_new ();

  g_free (account->label);
  account->label = g_strdup ("alice@example.com");
  account->issuer = g_strdup ("Example");
  entsec_account_set_secret (account, (const guint8 *) "12345678901234567890", 20);
  return account;
}

static void
test_defaults_and_generate (void)
{
  g_autoptr (EntsecAccount) account = make_account ();
  char code[ENTSEC_OTP_CODE_SIZE];

  g_assert_cmpint (account->type, ==, ENTSEC_ACCOUNT_TOTP);
  g_assert_cmpuint (account->digits, ==, 6);
  g_assert_cmpuint (account->period, ==, 30);
  g_assert_true (entsec_account_validate (account, NULL));
  g_assert_true (entsec_account_generate (account, 59, code, NULL));
  g_assert_cmpstr (code, ==, "287082");

  account->type = ENTSEC_ACCOUNT_HOTP;
  account->counter = 2;
  g_assert_true (entsec_account_generate (account, 0, code, NULL));
  g_assert_cmpstr (code, ==, "359152");
}

static void
test_copy_is_deep (void)
{
  g_autoptr (EntsecAccount) account = make_account ();
  g_autoptr (EntsecAccount) copy = entsec_account_copy (account);
  g_autofree char *name = entsec_account_dup_display_name (copy);

  g_assert_true (copy->secret != account->secret);
  g_assert_cmpmem (copy->secret, copy->secret_len, account->secret, account->secret_len);
  g_assert_true (copy->label != account->label);
  g_assert_cmpstr (name, ==, "Example (alice@example.com)");
}

static void
assert_invalid (EntsecAccount *account,
                const char    *message_part)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (entsec_account_validate (account, &error));
  g_assert_error (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_PARAMETER);
  g_assert_nonnull (strstr (error->message, message_part));
}

static void
test_validation (void)
{
  g_autoptr (EntsecAccount) account = make_account ();
  g_autofree char *long_label = g_strnfill (257, 'a');

  entsec_account_set_secret (account, (const guint8 *) "123456789", 9);
  assert_invalid (account, "72 bits");
  entsec_account_set_secret (account, (const guint8 *) "1234567890", 10);
  g_assert_true (entsec_account_validate (account, NULL));

  account->digits = 5;
  assert_invalid (account, "digits");
  account->type = ENTSEC_ACCOUNT_STEAM;
  g_assert_true (entsec_account_validate (account, NULL));
  account->type = ENTSEC_ACCOUNT_TOTP;
  account->digits = 6;

  account->period = 0;
  assert_invalid (account, "period");
  account->period = 30;

  g_free (account->label);
  account->label = g_strdup ("tab\there");
  assert_invalid (account, "control character");
  g_free (account->label);
  account->label = g_strdup (long_label);
  assert_invalid (account, "256 bytes");
  g_free (account->label);
  account->label = g_strdup ("");
  assert_invalid (account, "no name");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/account/defaults-and-generate", test_defaults_and_generate);
  g_test_add_func ("/account/copy", test_copy_is_deep);
  g_test_add_func ("/account/validation", test_validation);

  return g_test_run ();
}
