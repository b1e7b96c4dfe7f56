/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-account.c: the account record: validation, copies, codes */

#include "config.h"

#include <entsec/entsec.h>

#include "entsec-core-private.h"

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

/* Bidi overrides and other invisible format characters (Cf) could disguise a name. */
static void
test_format_characters (void)
{
  static const char *const hostile[] = {
    "Bank\u202Egnp.exe",   /* RIGHT-TO-LEFT OVERRIDE */
    "\u202APayPal",        /* LEFT-TO-RIGHT EMBEDDING */
    "Pay\u2067Pal\u2069",  /* RIGHT-TO-LEFT ISOLATE ... POP DIRECTIONAL ISOLATE */
    "Goo\u200Bgle",        /* ZERO WIDTH SPACE */
    "\uFEFFname",          /* ZERO WIDTH NO-BREAK SPACE (BOM) */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (hostile); i++)
    {
      g_autoptr (EntsecAccount) account = make_account ();

      g_free (account->label);
      account->label = g_strdup (hostile[i]);
      assert_invalid (account, "account name contains an invisible formatting character");
      g_free (account->label);
      account->label = g_strdup ("alice");
      g_free (account->issuer);
      account->issuer = g_strdup (hostile[i]);
      assert_invalid (account, "issuer contains an invisible formatting character");
      g_clear_pointer (&account->issuer, g_free);
      account->group = g_strdup (hostile[i]);
      assert_invalid (account, "group contains an invisible formatting character");
    }
}

/* The joiners real names need stay allowed: emoji sequences, Persian, Indic scripts. */
static void
test_joiners_allowed (void)
{
  static const char *const names[] = {
    "\U0001F468\u200D\U0001F4BB Work",          /* MAN TECHNOLOGIST: ZWJ sequence */
    "\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645", /* Persian with ZWNJ */
    "soft\u00ADhyphen",
    "\U0001F3F4\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007F Team", /* flag tags */
  };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr (EntsecAccount) account = make_account ();
      g_autoptr (GError) error = NULL;

      g_free (account->label);
      account->label = g_strdup (names[i]);
      account->group = g_strdup (names[i]);
      if (!entsec_account_validate (account, &error))
        g_error ("name %" G_GSIZE_FORMAT " refused: %s", i, error->message);
    }
}

/* The one helper that makes untrusted text safe for error messages. */
static void
test_dup_printable (void)
{
  static const struct
  {
    const char *text;
    gssize length;
    gsize max_chars;
    const char *expected;
  } cases[] = {
    { "plain ASCII: ok", -1, 40, "plain ASCII: ok" },
    { "caf\u00e9 \u65e5\u672c \U0001F511", -1, 40, "caf\u00e9 \u65e5\u672c \U0001F511" },
    { "\x1b[31mEVIL\x1b[0m", -1, 40, "\\x1B[31mEVIL\\x1B[0m" },
    { "tab\there\nnew\rcr\x7f", -1, 40, "tab\\x09here\\x0Anew\\x0Dcr\\x7F" },
    { "c1\xc2\x9b" "31m", -1, 40, "c1\uFFFD31m" },  /* C1 CSI */
    { "Bank\u202Egnp.exe", -1, 40, "Bank\uFFFDgnp.exe" },
    { "\u2066a\u2067b\u2068c\u2069\u202A\u202B\u202C\u202D", -1, 40,
      "\uFFFDa\uFFFDb\uFFFDc\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD" },
    { "zero\u200Bwidth\uFEFF", -1, 40, "zero\uFFFDwidth\uFFFD" },
    { "line\u2028para\u2029", -1, 40, "line\uFFFDpara\uFFFD" },
    { "private\uE000", -1, 40, "private\uFFFD" },
    { "bad \xff\xfe utf8 \xc3", -1, 40, "bad \\xFF\\xFE utf8 \\xC3" },
    { "nul\0inside", 10, 40, "nul\\x00inside" },
    { "abcdef", -1, 3, "abc\u2026" },
    { "\u00e9\u00e9\u00e9\u00e9", -1, 4, "\u00e9\u00e9\u00e9\u00e9" },
    { "\u00e9\u00e9\u00e9\u00e9", -1, 2, "\u00e9\u00e9\u2026" },
    { "", -1, 5, "" },
    { NULL, -1, 5, "" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *shown = entsec_dup_printable (cases[i].text, cases[i].length,
                                                     cases[i].max_chars);

      g_assert_cmpstr (shown, ==, cases[i].expected);
      g_assert_true (g_utf8_validate (shown, -1, NULL));
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/account/defaults-and-generate", test_defaults_and_generate);
  g_test_add_func ("/account/copy", test_copy_is_deep);
  g_test_add_func ("/account/validation", test_validation);
  g_test_add_func ("/account/format-characters", test_format_characters);
  g_test_add_func ("/account/joiners-allowed", test_joiners_allowed);
  g_test_add_func ("/account/dup-printable", test_dup_printable);

  return g_test_run ();
}
