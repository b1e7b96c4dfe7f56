/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-protocol-rotation.c: the walk along an authority rotation chain, and
 * the new key's proof of possession when a device rekeys.
 */

#include "config.h"

#include <string.h>

#include "entsec-protocol.h"

#define ISS "https://auth.example.com"

static char *
thumbprint (EVP_PKEY *key)
{
  g_autoptr (GError) error = NULL;
  char *jkt = entsec_jwk_thumbprint (key, &error);

  g_assert_no_error (error);
  return jkt;
}

/* A link that @signer signs, saying @prev is followed by @next as key @seq. */
static json_t *
make_link (EVP_PKEY   *signer,
           EVP_PKEY   *prev,
           EVP_PKEY   *next,
           int         seq,
           const char *iss,
           const char *typ)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *prev_jkt = thumbprint (prev);
  g_autofree char *next_jkt = thumbprint (next);
  g_autofree char *signer_jkt = thumbprint (signer);
  g_autoptr (json_t) payload = json_pack ("{s:i,s:s,s:s,s:i,s:s,s:s,s:o,s:o,s:i}", "v", 1,
                                          "iss", iss, "tenant", "default", "seq", seq,
                                          "prev_jkt", prev_jkt, "jkt", next_jkt,
                                          "prev_jwk", entsec_jwk_export_json (prev, &error),
                                          "jwk", entsec_jwk_export_json (next, &error),
                                          "iat", 1767225600);
  g_autofree char *text = entsec_json_dump (payload);
  g_autofree char *jws = entsec_jws_sign (signer, typ, signer_jkt, (const guint8 *) text,
                                          strlen (text), &error);

  g_assert_no_error (error);
  return json_string (jws);
}

typedef struct
{
  EVP_PKEY *keys[4];
  json_t   *chain;
} Chain;

/* Keys 1 to 3 and the links 2 and 3 between them. */
static void
chain_init (Chain *c)
{
  for (guint i = 1; i <= 3; i++)
    c->keys[i] = entsec_ec_generate (NULL);
  c->chain = json_array ();
  json_array_append_new (c->chain, make_link (c->keys[1], c->keys[1], c->keys[2], 2, ISS,
                                              ENTSEC_ROTATION_TYP));
  json_array_append_new (c->chain, make_link (c->keys[2], c->keys[2], c->keys[3], 3, ISS,
                                              ENTSEC_ROTATION_TYP));
}

static void
chain_clear (Chain *c)
{
  for (guint i = 1; i <= 3; i++)
    EVP_PKEY_free (c->keys[i]);
  json_decref (c->chain);
}

/* The walk from @pinned must reach key @want with seq @want_seq. */
static void
assert_walk (EVP_PKEY *pinned,
             json_t   *chain,
             EVP_PKEY *want,
             guint     want_seq)
{
  g_autoptr (GError) error = NULL;
  guint seq = 99;
  g_autoptr (EVP_PKEY) reached = entsec_authority_chain_walk (pinned, chain, ISS, "default",
                                                              &seq, &error);
  g_autofree char *reached_jkt = NULL;
  g_autofree char *want_jkt = thumbprint (want);

  g_assert_no_error (error);
  reached_jkt = thumbprint (reached);
  g_assert_cmpstr (reached_jkt, ==, want_jkt);
  g_assert_cmpuint (seq, ==, want_seq);
}

static void
test_chain_walk (void)
{
  Chain c;
  g_autoptr (json_t) empty = json_array ();

  chain_init (&c);
  assert_walk (c.keys[1], c.chain, c.keys[3], 3);
  assert_walk (c.keys[2], c.chain, c.keys[3], 3);
  assert_walk (c.keys[3], c.chain, c.keys[3], 0);
  assert_walk (c.keys[1], empty, c.keys[1], 0);
  chain_clear (&c);
}

/* Link @text with "prev_jwk" replaced by @key (the signature no longer matters). */
static json_t *
with_prev_jwk (const char *text,
               EVP_PKEY   *key)
{
  g_auto (GStrv) parts = g_strsplit (text, ".", 3);
  g_autoptr (GBytes) bytes = entsec_base64url_decode (parts[1], -1, "payload", NULL);
  g_autoptr (json_t) payload = json_loadb (g_bytes_get_data (bytes, NULL),
                                           g_bytes_get_size (bytes), 0, NULL);
  g_autofree char *dumped = NULL;
  g_autofree char *encoded = NULL;
  g_autofree char *forged = NULL;

  json_object_set_new (payload, "prev_jwk", entsec_jwk_export_json (key, NULL));
  dumped = entsec_json_dump (payload);
  encoded = entsec_base64url_encode ((const guint8 *) dumped, strlen (dumped));
  forged = g_strjoin (".", parts[0], encoded, parts[2], NULL);
  return json_string (forged);
}

static void
test_chain_walk_from_thumbprint (void)
{
  Chain c;
  g_autoptr (GError) error = NULL;
  g_autofree char *jkt1 = NULL;
  g_autofree char *jkt3 = NULL;
  g_autofree char *reached_jkt = NULL;
  g_autoptr (EVP_PKEY) reached = NULL;
  g_autoptr (EVP_PKEY) stranger = entsec_ec_generate (NULL);
  g_autoptr (json_t) swapped = json_array ();
  g_autofree char *stranger_jkt = thumbprint (stranger);
  guint seq = 0;

  chain_init (&c);
  jkt1 = thumbprint (c.keys[1]);
  jkt3 = thumbprint (c.keys[3]);
  reached = entsec_authority_chain_walk_jkt (jkt1, c.chain, ISS, "default", &seq, &error);
  g_assert_no_error (error);
  reached_jkt = thumbprint (reached);
  g_assert_cmpstr (reached_jkt, ==, jkt3);
  g_assert_cmpuint (seq, ==, 3);
  g_clear_pointer (&reached, EVP_PKEY_free);
  /* a thumbprint no link leaves */
  reached = entsec_authority_chain_walk_jkt (stranger_jkt, c.chain, ISS, "default", NULL, &error);
  g_assert_null (reached);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  /* a link that says it leaves key 1 but carries another key */
  json_array_append_new (swapped, make_link (stranger, c.keys[1], c.keys[2], 2, ISS,
                                             ENTSEC_ROTATION_TYP));
  json_array_set_new (swapped, 0,
                      with_prev_jwk (json_string_value (json_array_get (swapped, 0)), stranger));
  reached = entsec_authority_chain_walk_jkt (jkt1, swapped, ISS, "default", NULL, &error);
  g_assert_null (reached);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_KEY);
  chain_clear (&c);
}

/* The walk from key 1 along @chain must fail with @code. */
static void
assert_refused (Chain  *c,
                json_t *chain,
                gint    code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EVP_PKEY) reached = entsec_authority_chain_walk (c->keys[1], chain, ISS, "default",
                                                              NULL, &error);

  g_assert_null (reached);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, code);
}

static void
test_chain_refused (void)
{
  Chain c;
  g_autoptr (EVP_PKEY) stranger = entsec_ec_generate (NULL);
  g_autoptr (json_t) forged = json_array ();
  g_autoptr (json_t) gap = json_array ();
  g_autoptr (json_t) other_iss = json_array ();
  g_autoptr (json_t) other_typ = json_array ();
  g_autoptr (json_t) not_list = json_object ();
  g_autoptr (GError) error = NULL;
  g_autoptr (EVP_PKEY) reached = NULL;

  chain_init (&c);
  /* a key the chain does not start from */
  reached = entsec_authority_chain_walk (stranger, c.chain, ISS, "default", NULL, &error);
  g_assert_null (reached);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED);
  /* a link that claims to leave key 1 but was signed by a stranger */
  json_array_append_new (forged, make_link (stranger, c.keys[1], stranger, 2, ISS,
                                            ENTSEC_ROTATION_TYP));
  assert_refused (&c, forged, ENTSEC_PROTOCOL_ERROR_SIGNATURE);
  /* seq must rise by one */
  json_array_append (gap, json_array_get (c.chain, 0));
  json_array_append_new (gap, make_link (c.keys[2], c.keys[2], c.keys[3], 4, ISS,
                                         ENTSEC_ROTATION_TYP));
  assert_refused (&c, gap, ENTSEC_PROTOCOL_ERROR_MALFORMED);
  json_array_append_new (other_iss, make_link (c.keys[1], c.keys[1], c.keys[2], 2,
                                               "https://evil.example", ENTSEC_ROTATION_TYP));
  assert_refused (&c, other_iss, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED);
  json_array_append_new (other_typ, make_link (c.keys[1], c.keys[1], c.keys[2], 2, ISS,
                                               "entsec-policy+jwt"));
  assert_refused (&c, other_typ, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED);
  assert_refused (&c, not_list, ENTSEC_PROTOCOL_ERROR_MALFORMED);
  chain_clear (&c);
}

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
  g_test_add_func ("/protocol/rotation/chain-walk", test_chain_walk);
  g_test_add_func ("/protocol/rotation/chain-refused", test_chain_refused);
  g_test_add_func ("/protocol/rotation/chain-walk-from-thumbprint",
                   test_chain_walk_from_thumbprint);
  g_test_add_func ("/protocol/rekey/input", test_input);
  g_test_add_func ("/protocol/rekey/input-rejects", test_input_rejects);
  g_test_add_func ("/protocol/rekey/round-trip", test_round_trip);
  g_test_add_func ("/protocol/rekey/malformed-proof", test_malformed_proof);
  return g_test_run ();
}
