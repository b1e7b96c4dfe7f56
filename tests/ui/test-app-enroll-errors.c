/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-app-enroll-errors.c: what the enrollment assistant says for each failure */

#include "config.h"

#include <string.h>

#include <entsec/entsec.h>

#include "entsec-enroll-errors.h"

static void
assert_says (const char *text,
             const char *part)
{
  if (text == NULL || strstr (text, part) == NULL)
    g_error ("\"%s\" does not say \"%s\"", text != NULL ? text : "(null)", part);
}

/* A wrong code counts the attempts left; none left sends the person to a new code. */
static void
test_wrong_code (void)
{
  g_autoptr (GError) error = g_error_new_literal (ENTSEC_NET_ERROR,
                                                  ENTSEC_NET_ERROR_INVALID_CODE, "x");
  g_autofree char *four = entsec_enroll_error_text (error, -1, 4);
  g_autofree char *one = entsec_enroll_error_text (error, -1, 1);
  g_autofree char *none = entsec_enroll_error_text (error, -1, 0);
  g_autofree char *unknown = entsec_enroll_error_text (error, -1, -1);

  g_assert_cmpstr (four, ==, "This code is not right. 4 attempts left.");
  g_assert_cmpstr (one, ==, "This code is not right. 1 attempt left.");
  assert_says (none, "Send Again");
  assert_says (unknown, "enter the code again");
}

/* Rate limited: the server's wait, in seconds or whole minutes. */
static void
test_rate_limited (void)
{
  g_autoptr (GError) error = g_error_new_literal (ENTSEC_NET_ERROR,
                                                  ENTSEC_NET_ERROR_RATE_LIMITED, "x");
  g_autofree char *seconds = entsec_enroll_error_text (error, 42, -1);
  g_autofree char *minutes = entsec_enroll_error_text (error, 301, -1);
  g_autofree char *unknown = entsec_enroll_error_text (error, -1, -1);

  g_assert_cmpstr (seconds, ==, "Too many attempts. Try again in 42 seconds.");
  g_assert_cmpstr (minutes, ==, "Too many attempts. Try again in 6 minutes.");
  g_assert_cmpstr (unknown, ==, "Too many attempts. Try again in 60 seconds.");
}

/* Certificate failures say what to do, then the library's reason (the "why"). */
static void
test_certificate_says_why (void)
{
  static const EntsecNetError codes[] = {
    ENTSEC_NET_ERROR_UNTRUSTED, ENTSEC_NET_ERROR_EXPIRED, ENTSEC_NET_ERROR_WRONG_HOST,
    ENTSEC_NET_ERROR_PIN_MISMATCH, ENTSEC_NET_ERROR_TLS,
  };
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (codes); i++)
    {
      g_autoptr (GError) error = g_error_new_literal (ENTSEC_NET_ERROR, codes[i],
                                                      "self-signed certificate in chain");
      char *text = entsec_enroll_error_text (error, -1, -1);
      const char *newline = strchr (text, '\n');

      g_assert_nonnull (newline);
      g_assert_cmpstr (newline + 1, ==, "self-signed certificate in chain");
      /* Each failure has its own sentence. */
      g_assert_true (g_hash_table_add (seen, g_strndup (text, (gsize) (newline - text))));
      g_free (text);
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, G_N_ELEMENTS (codes));
}

/* Every network error has a sentence of its own kind, never an empty one;
 * the connection errors do not pass the library's wording through. */
static void
test_every_net_error (void)
{
  for (int code = ENTSEC_NET_ERROR_INVALID_URL; code <= ENTSEC_NET_ERROR_DEVICE_KEY_LOST; code++)
    {
      g_autoptr (GError) error = g_error_new_literal (ENTSEC_NET_ERROR, code, "LIBRARY WORDING");
      g_autofree char *text = entsec_enroll_error_text (error, 5, 2);

      g_assert_nonnull (text);
      g_assert_cmpuint (strlen (text), >, 20);
      if (code == ENTSEC_NET_ERROR_RESOLVE || code == ENTSEC_NET_ERROR_CONNECT
          || code == ENTSEC_NET_ERROR_TIMEOUT || code == ENTSEC_NET_ERROR_ENROLLMENT_EXPIRED)
        g_assert_null (strstr (text, "LIBRARY WORDING"));
    }
}

static void
test_other_domains (void)
{
  g_autoptr (GError) cancelled = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "c");
  g_autoptr (GError) link = g_error_new_literal (ENTSEC_LINK_ERROR, ENTSEC_LINK_ERROR_VALUE,
                                                 "\"server\" must be https");
  g_autoptr (GError) qr = g_error_new_literal (ENTSEC_QR_ERROR, 0, "no QR code found");
  g_autofree char *link_text = entsec_enroll_error_text (link, -1, -1);
  g_autofree char *qr_text = entsec_enroll_error_text (qr, -1, -1);

  g_assert_null (entsec_enroll_error_text (cancelled, -1, -1));
  g_assert_cmpstr (link_text, ==, "This is not a valid activation code: \"server\" must be https");
  assert_says (qr_text, "no QR code found");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/enroll-errors/wrong-code", test_wrong_code);
  g_test_add_func ("/enroll-errors/rate-limited", test_rate_limited);
  g_test_add_func ("/enroll-errors/certificate-says-why", test_certificate_says_why);
  g_test_add_func ("/enroll-errors/every-net-error", test_every_net_error);
  g_test_add_func ("/enroll-errors/other-domains", test_other_domains);
  return g_test_run ();
}
