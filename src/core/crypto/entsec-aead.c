/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-aead.c: the CSPRNG, wiped buffers and AES-256-GCM seal/open */

#define G_LOG_DOMAIN "entsec-crypto"

#include "config.h"

#include <limits.h>

#include <openssl/err.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "entsec-core-private.h"
#include "entsec-crypto.h"

G_DEFINE_QUARK (entsec-crypto-error-quark, entsec_crypto_error)

EntsecSecureBytes *
entsec_secure_bytes_new (gsize len)
{
  EntsecSecureBytes *bytes = g_new0 (EntsecSecureBytes, 1);

  /*
   * OpenSSL's secure heap: locked, never dumped memory once the program
   * calls CRYPTO_secure_malloc_init(); the plain heap otherwise. One spare
   * byte so that data is never NULL, even for empty plaintext.
   */
  ERR_set_mark ();
  bytes->data = OPENSSL_secure_zalloc (len + 1);
  /* A full secure heap (a large backup, many preferences) falls back to the
   * plain heap, still wiped on free: OPENSSL_secure_clear_free() frees
   * either kind. The failed attempt's error is not left on the queue. */
  if (bytes->data == NULL)
    bytes->data = OPENSSL_zalloc (len + 1);
  ERR_pop_to_mark ();
  if (bytes->data == NULL)
    g_error ("Out of memory allocating %" G_GSIZE_FORMAT " bytes for a secret", len + 1);
  bytes->len = len;
  return bytes;
}

EntsecSecureBytes *
entsec_secure_bytes_new_copy (const guint8 *data,
                              gsize         len)
{
  EntsecSecureBytes *bytes;

  g_return_val_if_fail (data != NULL || len == 0, NULL);

  bytes = entsec_secure_bytes_new (len);
  if (len > 0)
    memcpy (bytes->data, data, len);
  return bytes;
}

void
entsec_secure_bytes_free (EntsecSecureBytes *bytes)
{
  if (bytes == NULL)
    return;
  OPENSSL_secure_clear_free (bytes->data, bytes->len + 1);
  g_free (bytes);
}

gboolean
entsec_random_bytes (guint8  *buf,
                     gsize    len,
                     GError **error)
{
  g_return_val_if_fail (buf != NULL || len == 0, FALSE);

  if (len > INT_MAX || RAND_bytes (buf, (int) len) != 1)
    {
      g_set_error_literal (error, ENTSEC_CRYPTO_ERROR, ENTSEC_CRYPTO_ERROR_RANDOM,
                           "The system random number generator failed; nothing was encrypted");
      return FALSE;
    }
  return TRUE;
}

static gboolean
crypto_failed (GError    **error,
               const char *what)
{
  g_set_error (error, ENTSEC_CRYPTO_ERROR, ENTSEC_CRYPTO_ERROR_FAILED,
               "AES-256-GCM failed while %s (OpenSSL error)", what);
  return FALSE;
}

static gboolean
check_sizes (gsize    aad_len,
             gsize    data_len,
             GError **error)
{
  if (aad_len > ENTSEC_AEAD_MAX_SIZE || data_len > ENTSEC_AEAD_MAX_SIZE)
    {
      g_set_error (error, ENTSEC_CRYPTO_ERROR, ENTSEC_CRYPTO_ERROR_PARAMETER,
                   "Data to encrypt is larger than the %d MiB limit",
                   ENTSEC_AEAD_MAX_SIZE / (1024 * 1024));
      return FALSE;
    }
  return TRUE;
}

/* Feed @aad into an initialised context (encrypt or decrypt: same call). */
static gboolean
add_aad (EVP_CIPHER_CTX *ctx,
         const guint8   *aad,
         gsize           aad_len)
{
  int outl = 0;

  if (aad_len == 0)
    return TRUE;
  return EVP_CipherUpdate (ctx, NULL, &outl, aad, (int) aad_len) == 1;
}

static gboolean
seal_into (const guint8 *key,
           const guint8 *aad,
           gsize         aad_len,
           const guint8 *plaintext,
           gsize         plaintext_len,
           guint8       *out,
           GError      **error)
{
  g_autoptr (EVP_CIPHER_CTX) ctx = EVP_CIPHER_CTX_new ();
  guint8 *ciphertext = out + ENTSEC_AEAD_NONCE_SIZE;
  guint8 *tag = ciphertext + plaintext_len;
  int outl = 0;
  int finl = 0;

  if (ctx == NULL
      || EVP_EncryptInit_ex (ctx, EVP_aes_256_gcm (), NULL, key, out) != 1
      || !add_aad (ctx, aad, aad_len))
    return crypto_failed (error, "starting encryption");
  if (plaintext_len > 0
      && EVP_EncryptUpdate (ctx, ciphertext, &outl, plaintext, (int) plaintext_len) != 1)
    return crypto_failed (error, "encrypting");
  if (EVP_EncryptFinal_ex (ctx, ciphertext + outl, &finl) != 1
      || (gsize) (outl + finl) != plaintext_len
      || EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_GET_TAG, ENTSEC_AEAD_TAG_SIZE, tag) != 1)
    return crypto_failed (error, "finishing encryption");
  return TRUE;
}

GBytes *
entsec_aead_seal (const guint8  key[ENTSEC_AEAD_KEY_SIZE],
                  const guint8 *aad,
                  gsize         aad_len,
                  const guint8 *plaintext,
                  gsize         plaintext_len,
                  GError      **error)
{
  gsize out_len = plaintext_len + ENTSEC_AEAD_OVERHEAD;
  g_autofree guint8 *out = NULL;

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (aad != NULL || aad_len == 0, NULL);
  g_return_val_if_fail (plaintext != NULL || plaintext_len == 0, NULL);

  if (!check_sizes (aad_len, plaintext_len, error))
    return NULL;
  out = g_malloc (out_len);
  if (!entsec_random_bytes (out, ENTSEC_AEAD_NONCE_SIZE, error)
      || !seal_into (key, aad, aad_len, plaintext, plaintext_len, out, error))
    return NULL;
  return g_bytes_new_take (g_steal_pointer (&out), out_len);
}

static gboolean
integrity_failed (GError **error)
{
  g_set_error_literal (error, ENTSEC_CRYPTO_ERROR, ENTSEC_CRYPTO_ERROR_INTEGRITY,
                       "The encrypted data could not be verified: the key or passphrase "
                       "is wrong, or the data is damaged");
  return FALSE;
}

/* Decrypt into @plain (already sized); FALSE when the tag does not verify. */
static gboolean
open_into (const guint8      *key,
           const guint8      *aad,
           gsize              aad_len,
           const guint8      *sealed,
           gsize              sealed_len,
           EntsecSecureBytes *plain,
           GError           **error)
{
  g_autoptr (EVP_CIPHER_CTX) ctx = EVP_CIPHER_CTX_new ();
  const guint8 *ciphertext = sealed + ENTSEC_AEAD_NONCE_SIZE;
  const guint8 *tag = sealed + sealed_len - ENTSEC_AEAD_TAG_SIZE;
  int outl = 0;
  int finl = 0;

  if (ctx == NULL
      || EVP_DecryptInit_ex (ctx, EVP_aes_256_gcm (), NULL, key, sealed) != 1
      || !add_aad (ctx, aad, aad_len))
    return crypto_failed (error, "starting decryption");
  if (plain->len > 0
      && EVP_DecryptUpdate (ctx, plain->data, &outl, ciphertext, (int) plain->len) != 1)
    return crypto_failed (error, "decrypting");
  if (EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_SET_TAG, ENTSEC_AEAD_TAG_SIZE,
                           (void *) tag) != 1)
    return crypto_failed (error, "checking the tag");
  if (EVP_DecryptFinal_ex (ctx, plain->data + outl, &finl) != 1)
    return integrity_failed (error);
  return TRUE;
}

EntsecSecureBytes *
entsec_aead_open (const guint8  key[ENTSEC_AEAD_KEY_SIZE],
                  const guint8 *aad,
                  gsize         aad_len,
                  const guint8 *sealed,
                  gsize         sealed_len,
                  GError      **error)
{
  g_autoptr (EntsecSecureBytes) plain = NULL;

  g_return_val_if_fail (key != NULL, NULL);
  g_return_val_if_fail (aad != NULL || aad_len == 0, NULL);
  g_return_val_if_fail (sealed != NULL || sealed_len == 0, NULL);

  if (sealed_len < ENTSEC_AEAD_OVERHEAD)
    {
      integrity_failed (error);
      return NULL;
    }
  if (!check_sizes (aad_len, sealed_len - ENTSEC_AEAD_OVERHEAD, error))
    return NULL;
  plain = entsec_secure_bytes_new (sealed_len - ENTSEC_AEAD_OVERHEAD);
  if (!open_into (key, aad, aad_len, sealed, sealed_len, plain, error))
    return NULL;
  return g_steal_pointer (&plain);
}
