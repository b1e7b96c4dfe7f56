/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-passphrase.c: passphrase strength (libpwquality) and the secure heap */

#include "config.h"

#include <string.h>

#include <openssl/err.h>
#include <openssl/crypto.h>

#include <entsec/entsec.h>

#include "entsec-crypto.h"

static void
test_weak_refused_with_reason (void)
{
  static const char *weak[] = { "abc12", "qwertyuiop", "12345678901" };

  for (gsize i = 0; i < G_N_ELEMENTS (weak); i++)
    {
      g_autoptr (GError) error = NULL;
      guint score = 99;

      g_assert_false (entsec_passphrase_check_strength (weak[i], &score, &error));
      g_assert_error (error, ENTSEC_PASSPHRASE_ERROR, ENTSEC_PASSPHRASE_ERROR_WEAK);
      g_assert_cmpuint (score, ==, 0);
      /* A reason in words, never the passphrase itself. */
      g_assert_nonnull (strstr (error->message, "too weak: "));
      g_assert_null (strstr (error->message, weak[i]));
    }
}

static void
test_strong_accepted_with_score (void)
{
  g_autoptr (GError) error = NULL;
  guint score = 0;

  g_assert_true (entsec_passphrase_check_strength ("violet-anchor-mosaic-47", &score, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (score, >, 0);
  g_assert_cmpuint (score, <=, 100);
  g_assert_true (entsec_passphrase_check_strength ("violet-anchor-mosaic-47", NULL, NULL));
}

/* Without cracklib's dictionary (cracklib-runtime not installed) the other rules decide. */
static void
test_missing_dictionary (void)
{
  g_autoptr (GError) error = NULL;
  guint score = 0;

  g_assert_true (entsec_passphrase_check_strength_with_dict ("violet-anchor-mosaic-47",
                                                             "/nonexistent/entsec-dict", &score,
                                                             &error));
  g_assert_no_error (error);
  g_assert_cmpuint (score, >, 0);
  g_assert_false (entsec_passphrase_check_strength_with_dict ("abc", "/nonexistent/entsec-dict",
                                                              NULL, &error));
  g_assert_error (error, ENTSEC_PASSPHRASE_ERROR, ENTSEC_PASSPHRASE_ERROR_WEAK);
  g_assert_null (strstr (error->message, "dictionary"));
}

/* Keys and decrypted secrets land on OpenSSL's secure heap once it is set up. */
static void
test_secure_heap (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecSecureBytes) before = entsec_secure_bytes_new (32);
  g_autoptr (EntsecSecureBytes) after = NULL;

  g_assert_false (CRYPTO_secure_malloc_initialized ());
  g_assert_false (CRYPTO_secure_allocated (before->data));
  /* Locking may fail under a low RLIMIT_MEMLOCK; the heap is in place all the same. */
  if (!entsec_init_secure_memory (&error))
    g_assert_error (error, ENTSEC_PASSPHRASE_ERROR, ENTSEC_PASSPHRASE_ERROR_MEMORY);
  g_assert_true (CRYPTO_secure_malloc_initialized ());
  after = entsec_secure_bytes_new (32);
  g_assert_true (CRYPTO_secure_allocated (after->data));
  /* A second call changes nothing. */
  g_assert_true (entsec_init_secure_memory (NULL));
}

/* More than the secure heap holds (a big backup's plaintext) still works. */
static void
test_secure_heap_full (void)
{
  g_autoptr (EntsecSecureBytes) big = NULL;
  g_autoptr (EntsecSecureBytes) small = NULL;

  if (!entsec_init_secure_memory (NULL))
    g_assert_true (CRYPTO_secure_malloc_initialized ());
  big = entsec_secure_bytes_new (4 * ENTSEC_SECURE_HEAP_BYTES);
  g_assert_nonnull (big->data);
  g_assert_false (CRYPTO_secure_allocated (big->data));
  memset (big->data, 0xaa, big->len);
  g_assert_cmpuint (ERR_peek_error (), ==, 0);
  small = entsec_secure_bytes_new (32);
  g_assert_true (CRYPTO_secure_allocated (small->data));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/passphrase/weak-refused", test_weak_refused_with_reason);
  g_test_add_func ("/passphrase/strong-accepted", test_strong_accepted_with_score);
  g_test_add_func ("/passphrase/missing-dictionary", test_missing_dictionary);
  g_test_add_func ("/passphrase/secure-heap", test_secure_heap);
  g_test_add_func ("/passphrase/secure-heap-full", test_secure_heap_full);

  return g_test_run ();
}
