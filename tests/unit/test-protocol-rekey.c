/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-protocol-rekey.c: the new key's proof of possession when a device rekeys */

#include "config.h"

#include <string.h>

#include "entsec-protocol.h"

static void
test_input (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *input = entsec_rekey_proof_input ("dev_1", "n0nce", "oldjkt", "newjkt",
                                                     &error);

  g_assert_no_error (error);
  g_assert_cmpstr (input, ==, "entsec/v1/rekey|dev_1|n0nce|oldjkt|newjkt");
}

static void
test_input_rejects (void)
{
  const char *parts[][4] = {
    { "", "n", "o", "w" }, { "d", "", "o", "w" }, { "d", "n", "", "w" }, { "d", "n", "o", "" },
    { "d|x", "n", "o", "w" }, { "d", "n|x", "o", "w" }, { "d", "n", "o|x", "w" },
    { "d", "n", "o", "w|x" }, { NULL, "n", "o", "w" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *input = entsec_rekey_proof_input (parts[i][0], parts[i][1], parts[i][2],
                                                         parts[i][3], &error);

      g_assert_null (input);
      g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED);
      g_assert_nonnull (strstr (error->message, "without \"|\""));
    }
}

static void
test_round_trip (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EVP_PKEY) key = entsec_ec_generate (&error);
  g_autoptr (EVP_PKEY) other = entsec_ec_generate (&error);
  g_autofree char *proof = entsec_rekey_proof_sign (key, "dev_1", "nonce", "old", "new", &error);

  g_assert_no_error (error);
  g_assert_cmpuint (strlen (proof), ==, 86); /* 64 bytes in base64url */
  g_assert_true (entsec_rekey_proof_verify (key, proof, "dev_1", "nonce", "old", "new", &error));
  g_assert_no_error (error);
  /* another key, another nonce or device or thumbprint: refused */
  g_assert_false (entsec_rekey_proof_verify (other, proof, "dev_1", "nonce", "old", "new",
                                             &error));
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_SIGNATURE);
  g_clear_error (&error);
  g_assert_false (entsec_rekey_proof_verify (key, proof, "dev_1", "other", "old", "new", &error));
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_SIGNATURE);
  g_clear_error (&error);
  g_assert_false (entsec_rekey_proof_verify (key, proof, "dev_2", "nonce", "old", "new", &error));
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_SIGNATURE);
  g_clear_error (&error);
  g_assert_false (entsec_rekey_proof_verify (key, proof, "dev_1", "nonce", "new", "old", &error));
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_SIGNATURE);
}

static void
test_malformed_proof (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EVP_PKEY) key = entsec_ec_generate (&error);
  g_autofree char *proof = entsec_rekey_proof_sign (key, "d", "n", "o", "w", &error);
  g_autofree char *short_proof = g_strndup (proof, 84);
  g_autofree char *padded = g_strconcat (proof, "==", NULL);

  g_assert_false (entsec_rekey_proof_verify (key, short_proof, "d", "n", "o", "w", &error));
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "64-byte"));
  g_clear_error (&error);
  g_assert_false (entsec_rekey_proof_verify (key, padded, "d", "n", "o", "w", &error));
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/protocol/rekey/input", test_input);
  g_test_add_func ("/protocol/rekey/input-rejects", test_input_rejects);
  g_test_add_func ("/protocol/rekey/round-trip", test_round_trip);
  g_test_add_func ("/protocol/rekey/malformed-proof", test_malformed_proof);
  return g_test_run ();
}
