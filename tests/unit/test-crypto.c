/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-crypto.c: AES-256-GCM seal/open and Argon2id (known answers, bounds) */

#include "config.h"

#include <string.h>

#include <entsec/entsec.h>

#include "entsec-crypto.h"

static const guint8 key_a[ENTSEC_AEAD_KEY_SIZE] = {
  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
  0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};
static const char aad_text[] = "entsec-test v1 row=7 col=secret";
static const char plain_text[] = "JBSWY3DPEHPK3PXP and some more plaintext";

static gboolean
contains (const guint8 *data,
          gsize         len,
          const char   *needle)
{
  gsize n = strlen (needle);

  for (gsize i = 0; i + n <= len; i++)
    {
      if (memcmp (data + i, needle, n) == 0)
        return TRUE;
    }
  return FALSE;
}

static GBytes *
seal_sample (void)
{
  g_autoptr (GError) error = NULL;
  GBytes *sealed = entsec_aead_seal (key_a, (const guint8 *) aad_text, strlen (aad_text),
                                     (const guint8 *) plain_text, strlen (plain_text), &error);

  g_assert_no_error (error);
  g_assert_nonnull (sealed);
  return sealed;
}

static void
test_aead_round_trip (void)
{
  g_autoptr (GBytes) sealed = seal_sample ();
  g_autoptr (EntsecSecureBytes) plain = NULL;
  g_autoptr (GError) error = NULL;
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (sealed, &len);

  g_assert_cmpuint (len, ==, strlen (plain_text) + ENTSEC_AEAD_OVERHEAD);
  /* The plaintext must not appear in the sealed blob. */
  g_assert_false (contains (data, len, "JBSWY3DP"));
  plain = entsec_aead_open (key_a, (const guint8 *) aad_text, strlen (aad_text), data, len,
                            &error);
  g_assert_no_error (error);
  g_assert_nonnull (plain);
  g_assert_cmpmem (plain->data, plain->len, plain_text, strlen (plain_text));
}

static void
test_aead_empty (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) sealed = entsec_aead_seal (key_a, NULL, 0, NULL, 0, &error);
  g_autoptr (EntsecSecureBytes) plain = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (sealed), ==, ENTSEC_AEAD_OVERHEAD);
  plain = entsec_aead_open (key_a, NULL, 0, g_bytes_get_data (sealed, NULL),
                            g_bytes_get_size (sealed), &error);
  g_assert_no_error (error);
  g_assert_nonnull (plain);
  g_assert_cmpuint (plain->len, ==, 0);
}

static void
test_aead_fresh_nonce (void)
{
  g_autoptr (GBytes) first = seal_sample ();
  g_autoptr (GBytes) second = seal_sample ();

  g_assert_false (memcmp (g_bytes_get_data (first, NULL), g_bytes_get_data (second, NULL),
                          ENTSEC_AEAD_NONCE_SIZE) == 0);
  g_assert_false (g_bytes_equal (first, second));
}

static void
assert_open_fails (const guint8 *key,
                   const char   *aad,
                   const guint8 *data,
                   gsize         len)
{
  g_autoptr (GError) error = NULL;
  EntsecSecureBytes *plain = entsec_aead_open (key, (const guint8 *) aad, strlen (aad), data,
                                               len, &error);

  g_assert_null (plain);
  g_assert_error (error, ENTSEC_CRYPTO_ERROR, ENTSEC_CRYPTO_ERROR_INTEGRITY);
}

static void
test_aead_every_byte_flipped (void)
{
  g_autoptr (GBytes) sealed = seal_sample ();
  gsize len = g_bytes_get_size (sealed);
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (sealed, NULL), len);

  for (gsize i = 0; i < len; i++)
    {
      for (guint bit = 0; bit < 8; bit++)
        {
          copy[i] ^= 1u << bit;
          assert_open_fails (key_a, aad_text, copy, len);
          copy[i] ^= 1u << bit;
        }
    }
}

static void
test_aead_truncated (void)
{
  g_autoptr (GBytes) sealed = seal_sample ();
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (sealed, &len);

  for (gsize cut = 0; cut < len; cut++)
    assert_open_fails (key_a, aad_text, data, cut);
}

static void
test_aead_wrong_aad (void)
{
  g_autoptr (GBytes) sealed = seal_sample ();
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (sealed, &len);

  assert_open_fails (key_a, "entsec-test v1 row=8 col=secret", data, len);
  assert_open_fails (key_a, "", data, len);
}

static void
test_aead_wrong_key (void)
{
  g_autoptr (GBytes) sealed = seal_sample ();
  guint8 key_b[ENTSEC_AEAD_KEY_SIZE];
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (sealed, &len);

  memcpy (key_b, key_a, sizeof key_b);
  key_b[31] ^= 0x80;
  assert_open_fails (key_b, aad_text, data, len);
}

static void
test_random_bytes (void)
{
  guint8 a[32] = { 0 };
  guint8 b[32] = { 0 };
  static const guint8 zero[32] = { 0 };

  g_assert_true (entsec_random_bytes (a, sizeof a, NULL));
  g_assert_true (entsec_random_bytes (b, sizeof b, NULL));
  g_assert_false (memcmp (a, zero, sizeof a) == 0);
  g_assert_false (memcmp (a, b, sizeof a) == 0);
}

static void
derive_hex (guint32     m_cost_kib,
            guint32     t_cost,
            guint32     parallelism,
            const char *salt,
            const char *passphrase,
            gsize       passphrase_len,
            char        hex[65])
{
  EntsecArgon2Params params = { m_cost_kib, t_cost, parallelism, { 0 }, strlen (salt) };
  g_autoptr (GError) error = NULL;
  guint8 out[32];

  memcpy (params.salt, salt, params.salt_len);
  g_assert_true (entsec_argon2id_derive (&params, passphrase, passphrase_len, out, sizeof out,
                                         &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < sizeof out; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", out[i]);
}

/*
 * The Argon2id (v=19) vectors of the libargon2 reference implementation
 * (P-H-C/phc-winner-argon2 src/test.c, the "$argon2id$v=19$m=65536,..."
 * cases): password "password", salt "somesalt", 32-byte tag. They reach
 * our wrapper through its public function, within its bounds.
 */
static void
test_argon2id_reference_vectors (void)
{
  static const struct
  {
    guint32 t_cost;
    const char *password;
    const char *salt;
    const char *hex;
  } vectors[] = {
    { 2, "password", "somesalt",
      "09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7" },
    { 1, "password", "somesalt",
      "f6a5adc1ba723dddef9b5ac1d464e180fcd9dffc9d1cbf76cca2fed795d9ca98" },
    { 2, "differentpassword", "somesalt",
      "0b84d652cf6b0c4beaef0dfe278ba6a80df6696281d7e0d2891b817d8c458fde" },
    { 2, "password", "diffsalt",
      "bdf32b05ccc42eb15d58fd19b1f856b113da1e9a5874fdcc544308565aa8141c" },
  };

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  g_test_skip ("Argon2id costs are clamped in fuzz builds");
  return;
#endif
  for (gsize i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      char hex[65];

      derive_hex (65536, vectors[i].t_cost, 1, vectors[i].salt, vectors[i].password,
                  strlen (vectors[i].password), hex);
      g_assert_cmpstr (hex, ==, vectors[i].hex);
    }
}

static void
test_argon2id_passphrase_bytes_matter (void)
{
  /* Non-ASCII and > 64 bytes: every byte counts, no truncation, no NUL added. */
  static const char long_pass[] =
    "correct horse battery staple, correct horse battery staple, 0123456789";
  static const char emoji_pass[] =
    "p\xc3\xa4ssw\xc3\xb6rd \xf0\x9f\x94\x91 \xe5\xaf\x86\xe7\xa0\x81";
  char a[65], b[65], c[65], d[65];

  g_assert_cmpuint (strlen (long_pass), >, 64);
  derive_hex (8192, 1, 1, "saltsalt", long_pass, strlen (long_pass), a);
  derive_hex (8192, 1, 1, "saltsalt", long_pass, strlen (long_pass) - 1, b);
  g_assert_cmpstr (a, !=, b);
  derive_hex (8192, 1, 1, "saltsalt", emoji_pass, strlen (emoji_pass), c);
  derive_hex (8192, 1, 1, "saltsalt", emoji_pass, strlen (emoji_pass) + 1, d);
  g_assert_cmpstr (c, !=, d);
  derive_hex (8192, 1, 1, "saltsalt", emoji_pass, strlen (emoji_pass), d);
  g_assert_cmpstr (c, ==, d);
}

static void
assert_params_rejected (guint32 m_cost_kib,
                        guint32 t_cost,
                        guint32 parallelism,
                        gsize   salt_len)
{
  EntsecArgon2Params params = { m_cost_kib, t_cost, parallelism, { 0 }, salt_len };
  g_autoptr (GError) error = NULL;
  guint8 out[32] = { 0 };

  g_assert_false (entsec_argon2id_derive (&params, "x", 1, out, sizeof out, &error));
  g_assert_error (error, ENTSEC_CRYPTO_ERROR, ENTSEC_CRYPTO_ERROR_PARAMETER);
}

static void
test_argon2id_bounds (void)
{
  /*
   * 64 GiB of memory, UINT32_MAX passes and lanes: each must be refused by
   * the bounds check; if it reached libargon2 this test would exhaust
   * memory or run for hours instead of failing cleanly.
   */
  assert_params_rejected (64u * 1024 * 1024, 1, 1, 16);
  assert_params_rejected (G_MAXUINT32, 1, 1, 16);
  assert_params_rejected (ENTSEC_ARGON2_MAX_M_COST_KIB + 1, 1, 1, 16);
  assert_params_rejected (ENTSEC_ARGON2_MIN_M_COST_KIB - 1, 1, 1, 16);
  assert_params_rejected (8192, 0, 1, 16);
  assert_params_rejected (8192, G_MAXUINT32, 1, 16);
  assert_params_rejected (8192, ENTSEC_ARGON2_MAX_T_COST + 1, 1, 16);
  assert_params_rejected (8192, 1, 0, 16);
  assert_params_rejected (8192, 1, ENTSEC_ARGON2_MAX_PARALLELISM + 1, 16);
  assert_params_rejected (8192, 1, G_MAXUINT32, 16);
  assert_params_rejected (8192, 1, 1, 7);
  assert_params_rejected (8192, 1, 1, ENTSEC_ARGON2_MAX_SALT_SIZE + 1);
}

static void
test_argon2id_error_names_value (void)
{
  EntsecArgon2Params params = { 64u * 1024 * 1024, 1, 1, { 0 }, 16 };
  g_autoptr (GError) error = NULL;

  g_assert_false (entsec_argon2id_params_check (&params, &error));
  g_assert_nonnull (strstr (error->message, "67108864"));
  g_assert_nonnull (strstr (error->message, "memory"));
}

static void
test_argon2id_params_init (void)
{
  EntsecArgon2Params a, b;

  g_assert_true (entsec_argon2id_params_init (&a, NULL));
  g_assert_true (entsec_argon2id_params_init (&b, NULL));
  g_assert_true (entsec_argon2id_params_check (&a, NULL));
  g_assert_cmpuint (a.salt_len, ==, ENTSEC_ARGON2_SALT_SIZE);
  g_assert_false (memcmp (a.salt, b.salt, a.salt_len) == 0);
}

static void
test_argon2id_calibrate (void)
{
  /* Only the shape is asserted: the result depends on this machine's speed. */
  EntsecArgon2Params params;
  g_autoptr (GError) error = NULL;

  g_assert_true (entsec_argon2id_calibrate (50, &params, &error));
  g_assert_no_error (error);
  g_assert_true (entsec_argon2id_params_check (&params, NULL));
  g_assert_cmpuint (params.m_cost_kib, >=, 16 * 1024);
  g_assert_cmpuint (params.m_cost_kib, <=, 256 * 1024);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/crypto/random", test_random_bytes);
  g_test_add_func ("/crypto/aead/round-trip", test_aead_round_trip);
  g_test_add_func ("/crypto/aead/empty", test_aead_empty);
  g_test_add_func ("/crypto/aead/fresh-nonce", test_aead_fresh_nonce);
  g_test_add_func ("/crypto/aead/every-bit-flipped", test_aead_every_byte_flipped);
  g_test_add_func ("/crypto/aead/truncated", test_aead_truncated);
  g_test_add_func ("/crypto/aead/wrong-aad", test_aead_wrong_aad);
  g_test_add_func ("/crypto/aead/wrong-key", test_aead_wrong_key);
  g_test_add_func ("/crypto/argon2id/reference-vectors", test_argon2id_reference_vectors);
  g_test_add_func ("/crypto/argon2id/passphrase-bytes", test_argon2id_passphrase_bytes_matter);
  g_test_add_func ("/crypto/argon2id/bounds", test_argon2id_bounds);
  g_test_add_func ("/crypto/argon2id/error-message", test_argon2id_error_names_value);
  g_test_add_func ("/crypto/argon2id/params-init", test_argon2id_params_init);
  g_test_add_func ("/crypto/argon2id/calibrate", test_argon2id_calibrate);
  return g_test_run ();
}
