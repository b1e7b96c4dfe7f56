/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-protocol-seal.c: seed delivery (ECDH P-256 -> HKDF-SHA256 ->
 * AES-256-GCM): round trips, wrong keys, another context, tampering.
 */

#include "config.h"

#include <string.h>

#include "entsec-protocol.h"

static const guint8 seed[20] = "12345678901234567890";
static const guint8 nonce[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

typedef struct
{
  EVP_PKEY          *esk;     /* the client's ephemeral key pair */
  EntsecSealer      *sealer;  /* the server's side */
  EntsecSealContext  context;
  EntsecSealedSeed  *sealed;
} Fixture;

static void
fixture_set_up (Fixture      *f,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EVP_PKEY) epk = NULL;
  g_autofree char *epk_json = NULL;

  f->esk = entsec_ec_generate (&error);
  g_assert_no_error (error);
  /* The server sees only the public JWK the request carried. */
  epk_json = entsec_jwk_export (f->esk, FALSE, &error);
  g_assert_no_error (error);
  epk = entsec_jwk_import (epk_json, strlen (epk_json), FALSE, &error);
  g_assert_no_error (error);
  f->sealer = entsec_sealer_new (epk, &error);
  g_assert_no_error (error);
  f->context = (EntsecSealContext) { "dev_7Hq3", "tok_b2", 1, nonce, sizeof nonce };
  f->sealed = entsec_sealer_seal (f->sealer, &f->context, seed, sizeof seed, &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data)
{
  entsec_sealed_seed_free (f->sealed);
  entsec_sealer_free (f->sealer);
  EVP_PKEY_free (f->esk);
}

static GBytes *
open_with (Fixture                 *f,
           EVP_PKEY                *esk,
           const EntsecSealContext *context,
           const EntsecSealedSeed  *sealed,
           GError                 **error)
{
  return entsec_seal_open (esk, entsec_sealer_get_spk (f->sealer), context, sealed, error);
}

static void
assert_does_not_open (Fixture                 *f,
                      EVP_PKEY                *esk,
                      const EntsecSealContext *context,
                      const EntsecSealedSeed  *sealed)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) out = open_with (f, esk, context, sealed, &error);

  g_assert_null (out);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_DECRYPT);
}

static void
test_round_trip (Fixture      *f,
                 gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) out = open_with (f, f->esk, &f->context, f->sealed, &error);

  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), seed, sizeof seed);
  /* The ciphertext does not hold the seed. */
  g_assert_cmpuint (g_bytes_get_size (f->sealed->ct), ==, sizeof seed);
  g_assert_true (memcmp (g_bytes_get_data (f->sealed->ct, NULL), seed, sizeof seed) != 0);
}

static void
test_json_round_trip (Fixture      *f,
                      gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) json = entsec_sealed_seed_to_json (f->sealed);
  g_autofree char *text = entsec_json_dump (json);
  g_autoptr (json_t) parsed = entsec_json_load_object (text, strlen (text), 4096, 4, "seed",
                                                       &error);
  g_autoptr (EntsecSealedSeed) back = NULL;
  g_autoptr (GBytes) out = NULL;

  g_assert_no_error (error);
  back = entsec_sealed_seed_from_json (parsed, &error);
  g_assert_no_error (error);
  out = open_with (f, f->esk, &f->context, back, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (out, NULL), g_bytes_get_size (out), seed, sizeof seed);

  /* A 13-byte IV is refused before any crypto. */
  json_object_set_new (parsed, "iv", json_string ("AAAAAAAAAAAAAAAAAQ"));
  g_clear_pointer (&back, entsec_sealed_seed_free);
  back = entsec_sealed_seed_from_json (parsed, &error);
  g_assert_null (back);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED);
}

static void
test_wrong_key (Fixture      *f,
                gconstpointer data)
{
  g_autoptr (EVP_PKEY) other = entsec_ec_generate (NULL);

  assert_does_not_open (f, other, &f->context, f->sealed);
}

static void
test_other_server_key (Fixture      *f,
                       gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EVP_PKEY) other = entsec_ec_generate (NULL);
  g_autoptr (GBytes) out = entsec_seal_open (f->esk, other, &f->context, f->sealed, &error);

  g_assert_null (out);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_DECRYPT);
}

static void
test_other_context (Fixture      *f,
                    gconstpointer data)
{
  guint8 other_nonce[16];
  EntsecSealContext context = f->context;

  context.device_id = "dev_other";
  assert_does_not_open (f, f->esk, &context, f->sealed);
  context = f->context;
  context.token_id = "tok_b3";
  assert_does_not_open (f, f->esk, &context, f->sealed);
  context = f->context;
  context.rev = 2;
  assert_does_not_open (f, f->esk, &context, f->sealed);
  memcpy (other_nonce, nonce, sizeof nonce);
  other_nonce[15] ^= 1;
  context = f->context;
  context.req_nonce = other_nonce;
  assert_does_not_open (f, f->esk, &context, f->sealed);
}

static void
test_tampered (Fixture      *f,
               gconstpointer data)
{
  EntsecSealedSeed copy = *f->sealed;
  g_autofree guint8 *ct = g_memdup2 (g_bytes_get_data (f->sealed->ct, NULL), sizeof seed);
  g_autoptr (GBytes) ct_bytes = NULL;

  ct[0] ^= 0x80;
  ct_bytes = g_bytes_new (ct, sizeof seed);
  copy.ct = ct_bytes;
  assert_does_not_open (f, f->esk, &f->context, &copy);
  copy = *f->sealed;
  copy.tag[15] ^= 1;
  assert_does_not_open (f, f->esk, &f->context, &copy);
  copy = *f->sealed;
  copy.iv[0] ^= 1;
  assert_does_not_open (f, f->esk, &f->context, &copy);
}

static void
test_bad_input (Fixture      *f,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  EntsecSealContext context = f->context;
  g_autoptr (EntsecSealedSeed) sealed = NULL;

  context.device_id = "dev|x";
  sealed = entsec_sealer_seal (f->sealer, &context, seed, sizeof seed, &error);
  g_assert_null (sealed);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED);
  g_clear_error (&error);
  context = f->context;
  context.req_nonce_len = 8;
  sealed = entsec_sealer_seal (f->sealer, &context, seed, sizeof seed, &error);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED);
  g_clear_error (&error);
  sealed = entsec_sealer_seal (f->sealer, &f->context, seed, 8, &error);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED);
}

static void
test_fresh_each_time (Fixture      *f,
                      gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecSealedSeed) again = entsec_sealer_seal (f->sealer, &f->context, seed,
                                                           sizeof seed, &error);

  g_assert_no_error (error);
  /* A fresh IV per seed, so the same seed never encrypts the same way. */
  g_assert_true (memcmp (again->iv, f->sealed->iv, ENTSEC_SEAL_IV_SIZE) != 0);
  g_assert_false (g_bytes_equal (again->ct, f->sealed->ct));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add ("/protocol/seal/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("round-trip", test_round_trip);
  ADD ("json-round-trip", test_json_round_trip);
  ADD ("wrong-key", test_wrong_key);
  ADD ("other-server-key", test_other_server_key);
  ADD ("other-context", test_other_context);
  ADD ("tampered", test_tampered);
  ADD ("bad-input", test_bad_input);
  ADD ("fresh-each-time", test_fresh_each_time);
#undef ADD
  return g_test_run ();
}
