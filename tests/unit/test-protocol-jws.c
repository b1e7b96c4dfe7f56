/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-protocol-jws.c: ES256 JWS, JWK import and export, RFC 7638
 * thumbprints, against the published RFC 9449 (DPoP) examples.
 */

#include "config.h"

#include <string.h>

#include "entsec-protocol.h"

/* RFC 9449 figures 2 and 3: the DPoP proof's key, and (section 6.1) its jkt. */
static const char rfc9449_jwk[] =
  "{\"kty\":\"EC\",\"x\":\"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs\","
  "\"y\":\"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA\",\"crv\":\"P-256\"}";
static const char rfc9449_jkt[] = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";

/* RFC 9449 figure 2: a DPoP proof, an ES256 JWS made with that key. */
static const char rfc9449_proof[] =
  "eyJ0eXAiOiJkcG9wK2p3dCIsImFsZyI6IkVTMjU2IiwiandrIjp7Imt0eSI6Ik"
  "VDIiwieCI6Imw4dEZyaHgtMzR0VjNoUklDUkRZOXpDa0RscEJoRjQyVVFVZldWQVdCR"
  "nMiLCJ5IjoiOVZFNGpmX09rX282NHpiVFRsY3VOSmFqSG10NnY5VERWclUwQ2R2R1JE"
  "QSIsImNydiI6IlAtMjU2In19.eyJqdGkiOiItQndDM0VTYzZhY2MybFRjIiwiaHRtIj"
  "oiUE9TVCIsImh0dSI6Imh0dHBzOi8vc2VydmVyLmV4YW1wbGUuY29tL3Rva2VuIiwia"
  "WF0IjoxNTYyMjYyNjE2fQ.2-GxA6T8lP4vfrg8v-FdWP0A0zdrj8igiMLvqRMUvwnQg"
  "4PtFLbdLXiOSsX0x7NVY-FNyJK70nfbV37xRZT3Lg";

/* RFC 9421 Appendix B.1.3, test-key-ecc-p256, with its private part. */
static const char rfc9421_private_jwk[] =
  "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"test-key-ecc-p256\","
  "\"d\":\"UpuF81l-kOxbjf7T4mNSv0r5tN67Gim7rnf6EFpcYDs\","
  "\"x\":\"qIVYZVLCrPZHGHjP17CTW0_-D9Lfw0EkjqF7xB4FivA\","
  "\"y\":\"Mc4nN9LTDOBhfoUeg8Ye9WedFRhnZXZJA12Qp0zZ6F0\"}";

static EVP_PKEY *
import_ok (const char *text,
           gboolean    allow_private)
{
  g_autoptr (GError) error = NULL;
  EVP_PKEY *key = entsec_jwk_import (text, strlen (text), allow_private, &error);

  g_assert_no_error (error);
  g_assert_nonnull (key);
  return key;
}

static void
assert_import_fails (const char *text,
                     gboolean    allow_private,
                     int         code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EVP_PKEY) key = entsec_jwk_import (text, strlen (text), allow_private, &error);

  g_assert_null (key);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, code);
}

static void
test_thumbprint_rfc9449 (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EVP_PKEY) key = import_ok (rfc9449_jwk, FALSE);
  g_autofree char *jkt = entsec_jwk_thumbprint (key, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (jkt, ==, rfc9449_jkt);
}

static void
test_verify_rfc9449_proof (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EVP_PKEY) key = import_ok (rfc9449_jwk, FALSE);
  g_autoptr (EVP_PKEY) other = entsec_ec_generate (NULL);
  g_autoptr (GBytes) payload = entsec_jws_verify (rfc9449_proof, strlen (rfc9449_proof), key,
                                                  "dpop+jwt", &error);
  g_autofree char *changed = g_strdup (rfc9449_proof);

  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (payload, NULL), g_bytes_get_size (payload),
                   "{\"jti\":\"-BwC3ESc6acc2lTc\",\"htm\":\"POST\","
                   "\"htu\":\"https://server.example.com/token\",\"iat\":1562262616}",
                   strlen ("{\"jti\":\"-BwC3ESc6acc2lTc\",\"htm\":\"POST\","
                           "\"htu\":\"https://server.example.com/token\",\"iat\":1562262616}"));
  g_clear_pointer (&payload, g_bytes_unref);

  /* Another key, another expected typ. */
  payload = entsec_jws_verify (rfc9449_proof, strlen (rfc9449_proof), other, NULL, &error);
  g_assert_null (payload);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_SIGNATURE);
  g_clear_error (&error);
  payload = entsec_jws_verify (rfc9449_proof, strlen (rfc9449_proof), key, "entsec-policy+jwt",
                               &error);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED);
  g_clear_error (&error);

  /* One character of the payload, then of the signature, changed to another
   * valid one: well formed, but the signature no longer verifies. */
  for (guint i = 0; i < 2; i++)
    {
      gsize at = strlen (changed) - (i == 0 ? 120 : 10);

      memcpy (changed, rfc9449_proof, strlen (rfc9449_proof));
      changed[at] = changed[at] == 'A' ? 'B' : 'A';
      payload = entsec_jws_verify (changed, strlen (changed), key, NULL, &error);
      g_assert_null (payload);
      g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_SIGNATURE);
      g_clear_error (&error);
    }
}

static void
test_sign_round_trip (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EVP_PKEY) key = entsec_ec_generate (&error);
  const char payload[] = "{\"v\":1,\"policy_version\":7}";
  g_autofree char *jws = entsec_jws_sign (key, "entsec-policy+jwt", "kid-1",
                                          (const guint8 *) payload, strlen (payload), &error);
  g_autoptr (GBytes) out = NULL;
  g_auto (GStrv) parts = NULL;
  g_autoptr (GBytes) header = NULL;

  g_assert_no_error (error);
  out = entsec_jws_verify (jws, strlen (jws), key, "entsec-policy+jwt", &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), payload,
                   strlen (payload));
  parts = g_strsplit (jws, ".", -1);
  g_assert_cmpuint (g_strv_length (parts), ==, 3);
  header = entsec_base64url_decode (parts[0], -1, "header", &error);
  g_assert_no_error (error);
  g_assert_nonnull (g_strstr_len (g_bytes_get_data (header, NULL), g_bytes_get_size (header),
                                  "\"alg\":\"ES256\""));
}

static void
test_sign_needs_private_key (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EVP_PKEY) key = import_ok (rfc9449_jwk, FALSE);
  g_autofree char *jws = entsec_jws_sign (key, NULL, NULL, (const guint8 *) "x", 1, &error);

  g_assert_null (jws);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_KEY);
}

/* A compact JWS made of @header JSON, payload "{}" and a 64-byte signature. */
static char *
forge (const char *header)
{
  guint8 sig[64] = { 0 };
  g_autofree char *h = entsec_base64url_encode ((const guint8 *) header, strlen (header));
  g_autofree char *s = entsec_base64url_encode (sig, sizeof sig);

  return g_strdup_printf ("%s.e30.%s", h, s);
}

static void
assert_jws_rejected (const char *jws,
                     int         code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EVP_PKEY) key = import_ok (rfc9449_jwk, FALSE);
  g_autoptr (GBytes) payload = entsec_jws_verify (jws, strlen (jws), key, NULL, &error);

  g_assert_null (payload);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, code);
}

static void
test_reject_alg (void)
{
  g_autofree char *none = forge ("{\"alg\":\"none\"}");
  g_autofree char *hs = forge ("{\"alg\":\"HS256\"}");
  g_autofree char *es384 = forge ("{\"alg\":\"ES384\"}");
  g_autofree char *missing = forge ("{\"typ\":\"x\"}");
  g_autofree char *crit = forge ("{\"alg\":\"ES256\",\"crit\":[\"b64\"],\"b64\":false}");
  g_autofree char *dup = forge ("{\"alg\":\"ES256\",\"alg\":\"none\"}");
  g_autofree char *unsigned_jws = NULL;

  assert_jws_rejected (none, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED);
  assert_jws_rejected (hs, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED);
  assert_jws_rejected (es384, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED);
  assert_jws_rejected (missing, ENTSEC_PROTOCOL_ERROR_MALFORMED);
  assert_jws_rejected (crit, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED);
  assert_jws_rejected (dup, ENTSEC_PROTOCOL_ERROR_MALFORMED);
  /* alg none with an empty signature, the classic downgrade. */
  unsigned_jws = g_strdup_printf ("%s.e30.", "eyJhbGciOiJub25lIn0");
  assert_jws_rejected (unsigned_jws, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED);
}

static void
test_reject_encoding (void)
{
  g_autofree char *good = forge ("{\"alg\":\"ES256\"}");
  g_autofree char *padded = g_strdup_printf ("%s=", good);
  g_autofree char *plus = g_strdup (good);
  g_autofree char *four = g_strdup_printf ("%s.x", good);
  g_autofree char *short_sig = g_strdup_printf ("eyJhbGciOiJFUzI1NiJ9.e30.%s", "AAAA");

  /* The forged one is well formed: only the signature is wrong. */
  assert_jws_rejected (good, ENTSEC_PROTOCOL_ERROR_SIGNATURE);
  assert_jws_rejected (padded, ENTSEC_PROTOCOL_ERROR_MALFORMED);
  plus[2] = '+';
  assert_jws_rejected (plus, ENTSEC_PROTOCOL_ERROR_MALFORMED);
  assert_jws_rejected (four, ENTSEC_PROTOCOL_ERROR_MALFORMED);
  assert_jws_rejected ("eyJhbGciOiJFUzI1NiJ9.e30", ENTSEC_PROTOCOL_ERROR_MALFORMED);
  assert_jws_rejected (short_sig, ENTSEC_PROTOCOL_ERROR_MALFORMED);
  /* "e31" decodes to the same bytes as "e30" only with non-zero spare bits. */
  assert_jws_rejected ("eyJhbGciOiJFUzI1NiJ9.e31.AA", ENTSEC_PROTOCOL_ERROR_MALFORMED);
}

static void
test_jwk_export_round_trip (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EVP_PKEY) key = import_ok (rfc9421_private_jwk, TRUE);
  g_autofree char *pub = entsec_jwk_export (key, FALSE, &error);
  g_autofree char *priv = entsec_jwk_export (key, TRUE, &error);
  g_autoptr (EVP_PKEY) again = NULL;
  g_autofree char *jkt1 = entsec_jwk_thumbprint (key, NULL);
  g_autofree char *jkt2 = NULL;

  g_assert_no_error (error);
  g_assert_null (strstr (pub, "\"d\""));
  g_assert_nonnull (strstr (priv, "\"d\":\"UpuF81l-kOxbjf7T4mNSv0r5tN67Gim7rnf6EFpcYDs\""));
  g_assert_nonnull (strstr (pub, "\"x\":\"qIVYZVLCrPZHGHjP17CTW0_-D9Lfw0EkjqF7xB4FivA\""));
  again = import_ok (pub, FALSE);
  jkt2 = entsec_jwk_thumbprint (again, NULL);
  g_assert_cmpstr (jkt1, ==, jkt2);
  g_clear_pointer (&again, EVP_PKEY_free);
  /* The exported private JWK signs; the public one verifies. */
  again = import_ok (priv, TRUE);
  {
    g_autofree char *jws = entsec_jws_sign (again, NULL, NULL, (const guint8 *) "hi", 2, &error);
    g_autoptr (EVP_PKEY) verifier = import_ok (pub, FALSE);
    g_autoptr (GBytes) out = entsec_jws_verify (jws, strlen (jws), verifier, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (g_bytes_get_size (out), ==, 2);
  }
}

static void
test_jwk_rejects (void)
{
  /* A private key where a public one belongs. */
  assert_import_fails (rfc9421_private_jwk, FALSE, ENTSEC_PROTOCOL_ERROR_KEY);
  /* Wrong curve and key type. */
  assert_import_fails ("{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"}", FALSE,
                       ENTSEC_PROTOCOL_ERROR_UNSUPPORTED);
  assert_import_fails ("{\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"}", FALSE,
                       ENTSEC_PROTOCOL_ERROR_UNSUPPORTED);
  assert_import_fails ("{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AA\"}", FALSE,
                       ENTSEC_PROTOCOL_ERROR_UNSUPPORTED);
  /* y changed by one bit: the point is no longer on the curve. */
  assert_import_fails ("{\"kty\":\"EC\",\"crv\":\"P-256\","
                       "\"x\":\"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs\","
                       "\"y\":\"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDE\"}", FALSE,
                       ENTSEC_PROTOCOL_ERROR_KEY);
  /* Coordinates of the wrong size, bad base64url, padding. */
  assert_import_fails ("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\","
                       "\"y\":\"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA\"}", FALSE,
                       ENTSEC_PROTOCOL_ERROR_KEY);
  assert_import_fails ("{\"kty\":\"EC\",\"crv\":\"P-256\","
                       "\"x\":\"l8tFrhx+34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs\","
                       "\"y\":\"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA\"}", FALSE,
                       ENTSEC_PROTOCOL_ERROR_MALFORMED);
  assert_import_fails ("{\"kty\":\"EC\",\"crv\":\"P-256\","
                       "\"x\":\"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs=\","
                       "\"y\":\"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA\"}", FALSE,
                       ENTSEC_PROTOCOL_ERROR_MALFORMED);
  /* Private part that does not belong to the public point. */
  assert_import_fails ("{\"kty\":\"EC\",\"crv\":\"P-256\","
                       "\"d\":\"UpuF81l-kOxbjf7T4mNSv0r5tN67Gim7rnf6EFpcYDs\","
                       "\"x\":\"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs\","
                       "\"y\":\"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA\"}", TRUE,
                       ENTSEC_PROTOCOL_ERROR_KEY);
  /* Duplicate member, not an object, another alg. */
  assert_import_fails ("{\"kty\":\"EC\",\"kty\":\"EC\"}", FALSE, ENTSEC_PROTOCOL_ERROR_MALFORMED);
  assert_import_fails ("[1]", FALSE, ENTSEC_PROTOCOL_ERROR_MALFORMED);
  assert_import_fails ("{\"kty\":\"EC\",\"crv\":\"P-256\",\"alg\":\"RS256\","
                       "\"x\":\"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs\","
                       "\"y\":\"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA\"}", FALSE,
                       ENTSEC_PROTOCOL_ERROR_UNSUPPORTED);
}

static void
test_ec_raw_signature (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EVP_PKEY) key = entsec_ec_generate (NULL);
  guint8 sig[ENTSEC_EC_SIGNATURE_SIZE];

  g_assert_true (entsec_ec_sign (key, (const guint8 *) "abc", 3, sig, &error));
  g_assert_true (entsec_ec_verify (key, (const guint8 *) "abc", 3, sig, sizeof sig, &error));
  g_assert_no_error (error);
  g_assert_false (entsec_ec_verify (key, (const guint8 *) "abd", 3, sig, sizeof sig, &error));
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_SIGNATURE);
  g_clear_error (&error);
  g_assert_false (entsec_ec_verify (key, (const guint8 *) "abc", 3, sig, 63, &error));
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_SIGNATURE);
}

/* entsec_jws_peek(): the header and payload of the RFC 9449 proof, unverified; bad input refused. */
static void
test_peek (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) header = entsec_jws_peek (rfc9449_proof, 0, 4096, "The proof", &error);
  g_autoptr (json_t) payload = NULL;
  g_autoptr (json_t) bad = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (json_string_value (json_object_get (header, "typ")), ==, "dpop+jwt");
  payload = entsec_jws_peek (rfc9449_proof, 1, 4096, "The proof", &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_integer_value (json_object_get (payload, "iat")), ==, 1562262616);

  bad = entsec_jws_peek (rfc9449_proof, 1, 100, "The proof", &error);
  g_assert_null (bad);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "at most 100 bytes"));
  g_clear_error (&error);
  bad = entsec_jws_peek ("e30.e30", 1, 4096, "The proof", &error);
  g_assert_null (bad);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED);
  g_clear_error (&error);
  bad = entsec_jws_peek ("e30.bm90IGpzb24.e30", 1, 4096, "The proof", &error);
  g_assert_null (bad);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/protocol/jws/thumbprint-rfc9449", test_thumbprint_rfc9449);
  g_test_add_func ("/protocol/jws/verify-rfc9449-proof", test_verify_rfc9449_proof);
  g_test_add_func ("/protocol/jws/sign-round-trip", test_sign_round_trip);
  g_test_add_func ("/protocol/jws/sign-needs-private-key", test_sign_needs_private_key);
  g_test_add_func ("/protocol/jws/reject-alg", test_reject_alg);
  g_test_add_func ("/protocol/jws/reject-encoding", test_reject_encoding);
  g_test_add_func ("/protocol/jws/jwk-export-round-trip", test_jwk_export_round_trip);
  g_test_add_func ("/protocol/jws/jwk-rejects", test_jwk_rejects);
  g_test_add_func ("/protocol/jws/ec-raw-signature", test_ec_raw_signature);
  g_test_add_func ("/protocol/jws/peek", test_peek);
  return g_test_run ();
}
