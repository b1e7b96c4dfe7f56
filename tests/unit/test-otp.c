/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-otp.c: the HOTP/TOTP/Steam engine against the RFC vectors */

#include "config.h"

#include <entsec/entsec.h>

/* RFC 6238 Appendix B seeds: the ASCII digits repeated to the hash's size. */
static const char seed_sha1[] = "12345678901234567890";
static const char seed_sha256[] = "12345678901234567890123456789012";
static const char seed_sha512[] =
  "1234567890123456789012345678901234567890123456789012345678901234";

static void
test_hotp_rfc4226 (void)
{
  /* RFC 4226 Appendix D: counts 0..9, six digits. */
  static const char *expected[] = {
    "755224", "287082", "359152", "969429", "338314",
    "254676", "287922", "162583", "399871", "520489",
  };

  for (guint64 counter = 0; counter < G_N_ELEMENTS (expected); counter++)
    {
      g_autoptr (GError) error = NULL;
      char code[ENTSEC_OTP_CODE_SIZE];

      g_assert_true (entsec_hotp (ENTSEC_OTP_ALGORITHM_SHA1, (const guint8 *) seed_sha1, 20,
                                  counter, 6, code, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (code, ==, expected[counter]);
    }
}

static void
test_hotp_ten_digits (void)
{
  /* RFC 4226 Appendix D's "Truncated" column, whole: counts 0 and 1. */
  char code[ENTSEC_OTP_CODE_SIZE];

  g_assert_true (entsec_hotp (ENTSEC_OTP_ALGORITHM_SHA1, (const guint8 *) seed_sha1, 20, 0, 10,
                              code, NULL));
  g_assert_cmpstr (code, ==, "1284755224");
  g_assert_true (entsec_hotp (ENTSEC_OTP_ALGORITHM_SHA1, (const guint8 *) seed_sha1, 20, 1, 10,
                              code, NULL));
  g_assert_cmpstr (code, ==, "1094287082");
  g_assert_true (entsec_hotp (ENTSEC_OTP_ALGORITHM_SHA1, (const guint8 *) seed_sha1, 20, 0, 7,
                              code, NULL));
  g_assert_cmpstr (code, ==, "4755224");
}

static void
test_totp_rfc6238 (void)
{
  /* RFC 6238 Appendix B, eight digits, period 30; 20000000000 is past 2038. */
  static const struct
  {
    gint64 time;
    const char *sha1, *sha256, *sha512;
  } vectors[] = {
    { 59, "94287082", "46119246", "90693936" },
    { 1111111109, "07081804", "68084774", "25091201" },
    { 1111111111, "14050471", "67062674", "99943326" },
    { 1234567890, "89005924", "91819424", "93441116" },
    { 2000000000, "69279037", "90698825", "38618901" },
    { 20000000000, "65353130", "77737706", "47863826" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      char code[ENTSEC_OTP_CODE_SIZE];

      g_assert_true (entsec_totp (ENTSEC_OTP_ALGORITHM_SHA1, (const guint8 *) seed_sha1,
                                  strlen (seed_sha1), vectors[i].time, 30, 8, code, NULL));
      g_assert_cmpstr (code, ==, vectors[i].sha1);
      g_assert_true (entsec_totp (ENTSEC_OTP_ALGORITHM_SHA256, (const guint8 *) seed_sha256,
                                  strlen (seed_sha256), vectors[i].time, 30, 8, code, NULL));
      g_assert_cmpstr (code, ==, vectors[i].sha256);
      g_assert_true (entsec_totp (ENTSEC_OTP_ALGORITHM_SHA512, (const guint8 *) seed_sha512,
                                  strlen (seed_sha512), vectors[i].time, 30, 8, code, NULL));
      g_assert_cmpstr (code, ==, vectors[i].sha512);
    }
}

static void
test_totp_period (void)
{
  char a[ENTSEC_OTP_CODE_SIZE], b[ENTSEC_OTP_CODE_SIZE];
  const guint8 *key = (const guint8 *) seed_sha1;

  /* With a 60 s period, times 60 and 119 share a step; 120 starts the next. */
  g_assert_true (entsec_totp (ENTSEC_OTP_ALGORITHM_SHA1, key, 20, 60, 60, 6, a, NULL));
  g_assert_true (entsec_totp (ENTSEC_OTP_ALGORITHM_SHA1, key, 20, 119, 60, 6, b, NULL));
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpstr (a, ==, "287082"); /* step 1, as HOTP counter 1 */
  g_assert_true (entsec_totp (ENTSEC_OTP_ALGORITHM_SHA1, key, 20, 120, 60, 6, b, NULL));
  g_assert_cmpstr (b, ==, "359152");

  /* Period 1 makes the time itself the counter. */
  g_assert_true (entsec_totp (ENTSEC_OTP_ALGORITHM_SHA1, key, 20, 3, 1, 6, a, NULL));
  g_assert_cmpstr (a, ==, "969429");

  g_assert_cmpuint (entsec_totp_remaining (0, 30), ==, 30);
  g_assert_cmpuint (entsec_totp_remaining (59, 30), ==, 1);
  g_assert_cmpuint (entsec_totp_remaining (61, 30), ==, 29);
}

static void
test_steam (void)
{
  /* Values from an independent Python implementation of Steam Guard. */
  static const struct { gint64 time; const char *code; } vectors[] = {
    { 59, "PV9M4" }, { 1111111109, "PY4YB" }, { 2000000000, "9N776" }, { 20000000000, "R5DMB" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      char code[ENTSEC_OTP_CODE_SIZE];

      g_assert_true (entsec_steam ((const guint8 *) seed_sha1, 20, vectors[i].time, code, NULL));
      g_assert_cmpstr (code, ==, vectors[i].code);
    }
}

static void
test_bad_parameters (void)
{
  const guint8 *key = (const guint8 *) seed_sha1;
  char code[ENTSEC_OTP_CODE_SIZE];
  guint bad_digits[] = { 0, 5, 11, 100 };
  guint bad_periods[] = { 0, 301, G_MAXUINT };

  for (gsize i = 0; i < G_N_ELEMENTS (bad_digits); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (entsec_hotp (ENTSEC_OTP_ALGORITHM_SHA1, key, 20, 0, bad_digits[i], code,
                                   &error));
      g_assert_error (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_PARAMETER);
      g_assert_nonnull (strstr (error->message, "digits"));
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad_periods); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (entsec_totp (ENTSEC_OTP_ALGORITHM_SHA1, key, 20, 59, bad_periods[i], 6,
                                   code, &error));
      g_assert_error (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_PARAMETER);
      g_assert_nonnull (strstr (error->message, "period"));
    }
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (entsec_totp (ENTSEC_OTP_ALGORITHM_SHA1, key, 20, -1, 30, 6, code, &error));
    g_assert_error (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_PARAMETER);
  }
  {
    g_autoptr (GError) error = NULL;

    g_assert_false (entsec_hotp (ENTSEC_OTP_ALGORITHM_SHA1, key, 0, 0, 6, code, &error));
    g_assert_error (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_PARAMETER);
  }
}

static void
test_algorithm_names (void)
{
  EntsecOtpAlgorithm algorithm = ENTSEC_OTP_ALGORITHM_SHA1;

  g_assert_true (entsec_otp_algorithm_from_string ("sha256", &algorithm));
  g_assert_cmpint (algorithm, ==, ENTSEC_OTP_ALGORITHM_SHA256);
  g_assert_true (entsec_otp_algorithm_from_string ("SHA512", &algorithm));
  g_assert_cmpstr (entsec_otp_algorithm_to_string (algorithm), ==, "SHA512");
  g_assert_false (entsec_otp_algorithm_from_string ("MD5", &algorithm));
  g_assert_false (entsec_otp_algorithm_from_string ("SHA1x", &algorithm));
  g_assert_cmpint (algorithm, ==, ENTSEC_OTP_ALGORITHM_SHA512);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/otp/hotp/rfc4226", test_hotp_rfc4226);
  g_test_add_func ("/otp/hotp/ten-digits", test_hotp_ten_digits);
  g_test_add_func ("/otp/totp/rfc6238", test_totp_rfc6238);
  g_test_add_func ("/otp/totp/period", test_totp_period);
  g_test_add_func ("/otp/steam", test_steam);
  g_test_add_func ("/otp/bad-parameters", test_bad_parameters);
  g_test_add_func ("/otp/algorithm-names", test_algorithm_names);

  return g_test_run ();
}
