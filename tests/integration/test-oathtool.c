/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-oathtool.c: cross-check our codes against oathtool, an independent
 * implementation, for random secrets, times, counters, digits and hashes.
 */

#include "config.h"

#include <entsec/entsec.h>

#define N_CASES 600

static const char *oathtool;

/* Run oathtool for one case; the key goes in hex as its last argument. */
static char *
oathtool_code (gboolean           totp,
               EntsecOtpAlgorithm algorithm,
               const char        *hex_key,
               guint              digits,
               guint              period,
               guint64            moving)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GError) error = NULL;
  g_autofree char *out = NULL;
  int status = 0;

  g_ptr_array_add (args, g_strdup (oathtool));
  if (totp)
    {
      g_ptr_array_add (args, g_strdup_printf ("--totp=%s",
                                              entsec_otp_algorithm_to_string (algorithm)));
      g_ptr_array_add (args, g_strdup_printf ("--time-step-size=%us", period));
      /* oathtool takes the time as a date; '@N' is seconds since the epoch. */
      g_ptr_array_add (args, g_strdup_printf ("--now=@%" G_GUINT64_FORMAT, moving));
    }
  else
    {
      g_ptr_array_add (args, g_strdup ("--hotp"));
      g_ptr_array_add (args, g_strdup_printf ("--counter=%" G_GUINT64_FORMAT, moving));
    }
  g_ptr_array_add (args, g_strdup_printf ("--digits=%u", digits));
  g_ptr_array_add (args, g_strdup (hex_key));
  g_ptr_array_add (args, NULL);

  g_assert_true (g_spawn_sync (NULL, (char **) args->pdata, NULL, G_SPAWN_STDERR_TO_DEV_NULL,
                               NULL, NULL, &out, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return g_strstrip (g_steal_pointer (&out));
}

static void
test_cross_check (void)
{
  static const EntsecOtpAlgorithm algorithms[] = {
    ENTSEC_OTP_ALGORITHM_SHA1, ENTSEC_OTP_ALGORITHM_SHA256, ENTSEC_OTP_ALGORITHM_SHA512,
  };
  /* TOTP cases per hash, in the order of algorithms[]; HOTP cases (SHA1). */
  guint n_totp[G_N_ELEMENTS (algorithms)] = { 0 };
  guint n_hotp = 0;

  for (guint i = 0; i < N_CASES; i++)
    {
      guint8 key[64];
      gsize key_len = (gsize) g_test_rand_int_range (10, 65);
      /* A cycle of four: HOTP (oathtool's HOTP is SHA1 only), then TOTP with each hash. */
      guint slot = i % (G_N_ELEMENTS (algorithms) + 1);
      gboolean totp = slot != 0;
      EntsecOtpAlgorithm algorithm = totp ? algorithms[slot - 1] : ENTSEC_OTP_ALGORITHM_SHA1;
      guint digits = (guint) g_test_rand_int_range (6, 9); /* oathtool: 6, 7, 8 */
      guint period = (guint) g_test_rand_int_range (1, 301);
      /* Times up to year 2500, past the 2038 rollover. */
      guint64 moving = totp ? (guint64) (g_test_rand_double () * 16725225600.0)
                            : (guint64) g_test_rand_int () * (guint64) g_test_rand_int ();
      g_autofree char *hex = NULL;
      g_autofree char *expected = NULL;
      char code[ENTSEC_OTP_CODE_SIZE];

      for (gsize k = 0; k < key_len; k++)
        key[k] = (guint8) g_test_rand_int_range (0, 256);
      hex = g_malloc (key_len * 2 + 1);
      for (gsize k = 0; k < key_len; k++)
        g_snprintf (hex + 2 * k, 3, "%02x", key[k]);

      expected = oathtool_code (totp, algorithm, hex, digits, period, moving);
      if (totp)
        g_assert_true (entsec_totp (algorithm, key, key_len, (gint64) moving, period, digits,
                                    code, NULL));
      else
        g_assert_true (entsec_hotp (algorithm, key, key_len, moving, digits, code, NULL));
      if (g_strcmp0 (code, expected) != 0)
        g_error ("case %u (%s %s, %u digits, period %u, %" G_GUINT64_FORMAT "): "
                 "entsec %s, oathtool %s", i, totp ? "TOTP" : "HOTP",
                 entsec_otp_algorithm_to_string (algorithm), digits, period, moving, code,
                 expected);
      if (totp)
        n_totp[slot - 1]++;
      else
        n_hotp++;
    }
  g_test_message ("TOTP-SHA1 %u, TOTP-SHA256 %u, TOTP-SHA512 %u and HOTP-SHA1 %u codes agree "
                  "with oathtool", n_totp[0], n_totp[1], n_totp[2], n_hotp);
  for (gsize a = 0; a < G_N_ELEMENTS (algorithms); a++)
    g_assert_cmpuint (n_totp[a], >=, 100);
  g_assert_cmpuint (n_hotp, >=, 100);
  g_assert_cmpuint (n_totp[0] + n_totp[1] + n_totp[2] + n_hotp, ==, N_CASES);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (argc < 2)
    g_error ("usage: test-oathtool PATH-TO-OATHTOOL");
  oathtool = argv[1];

  g_test_add_func ("/oathtool/cross-check", test_cross_check);

  return g_test_run ();
}
