/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-base32.c: Base32 decoding of what people paste, and its errors */

#include "config.h"

#include <entsec/entsec.h>

static void
assert_decodes_to (const char *text,
                   const char *expected)
{
  g_autoptr (GError) error = NULL;
  gsize len = 0;
  guint8 *out = entsec_base32_decode (text, &len, &error);

  g_assert_no_error (error);
  g_assert_nonnull (out);
  g_assert_cmpmem (out, len, expected, strlen (expected));
  entsec_secure_free (out, len);
}

static void
test_rfc4648_vectors (void)
{
  /* RFC 4648 section 10, with and without padding. */
  assert_decodes_to ("MY======", "f");
  assert_decodes_to ("MZXQ====", "fo");
  assert_decodes_to ("MZXW6===", "foo");
  assert_decodes_to ("MZXW6YQ=", "foob");
  assert_decodes_to ("MZXW6YTB", "fooba");
  assert_decodes_to ("MZXW6YTBOI======", "foobar");
  assert_decodes_to ("MZXW6YTBOI", "foobar");
}

static void
test_lenient_forms (void)
{
  assert_decodes_to ("mzxw6ytboi", "foobar");
  assert_decodes_to ("MZXW 6YTB OI", "foobar");
  assert_decodes_to ("mzxw-6ytb-oi", "foobar");
  assert_decodes_to ("  MzXw6YtBoI==  ", "foobar");
}

static void
test_round_trip (void)
{
  for (gsize len = 1; len < 70; len++)
    {
      guint8 data[70];
      g_autofree char *text = NULL;
      guint8 *back;
      gsize back_len = 0;

      for (gsize i = 0; i < len; i++)
        data[i] = (guint8) g_test_rand_int_range (0, 256);
      text = entsec_base32_encode (data, len);
      g_assert_null (strchr (text, '='));
      back = entsec_base32_decode (text, &back_len, NULL);
      g_assert_cmpmem (back, back_len, data, len);
      entsec_secure_free (back, back_len);
    }
}

static void
assert_rejected (const char *text,
                 const char *message_part)
{
  g_autoptr (GError) error = NULL;
  gsize len = 0;

  g_assert_null (entsec_base32_decode (text, &len, &error));
  g_assert_error (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_BASE32);
  if (strstr (error->message, message_part) == NULL)
    g_error ("'%s' gave \"%s\", expected it to mention \"%s\"", text, error->message,
             message_part);
  /* Only printable ASCII from the input is ever quoted. */
  for (const char *p = error->message; *p != '\0'; p++)
    g_assert_true ((guchar) *p >= 0x20 && (guchar) *p != 0x7f);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

static void
test_rejections (void)
{
  assert_rejected ("JBSWY1DP", "character 6: '1'");
  assert_rejected ("JBSWY3D8", "character 8: '8'");
  assert_rejected ("JBSW.Y3DP", "character 5: '.'");
  assert_rejected ("JBSW=Y3DP", "character 6: 'Y'");
  assert_rejected ("JBSWÉY3DP", "character 5 is not a letter");
  assert_rejected ("AB\x01" "CD", "character 3 is not a letter");
  assert_rejected ("AB\x1b[31mCD", "character 3 is not a letter");
  assert_rejected ("AB\x7f" "CD", "character 3 is not a letter");
  assert_rejected ("AB\x9b" "CD", "character 3 is not a letter");
  assert_rejected ("AB\xff", "character 3 is not a letter");
  assert_rejected ("AB\u202e" "CD", "character 3 is not a letter");
  assert_rejected ("", "empty");
  assert_rejected ("  - ", "empty");
  assert_rejected ("A", "whole number of bytes");
  assert_rejected ("ABC", "whole number of bytes");
  assert_rejected ("ABCDEF", "whole number of bytes");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/base32/rfc4648", test_rfc4648_vectors);
  g_test_add_func ("/base32/lenient", test_lenient_forms);
  g_test_add_func ("/base32/round-trip", test_round_trip);
  g_test_add_func ("/base32/rejections", test_rejections);

  return g_test_run ();
}
