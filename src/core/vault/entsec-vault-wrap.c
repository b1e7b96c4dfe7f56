/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-vault-wrap.c: how a key slot holds the data key (DEK).
 *
 * Format 2: a slot has its own X25519 key pair. The private key is sealed
 * under the slot's KEK (Argon2id of the passphrase, the keyring's random
 * key, or the recovery key); the DEK is sealed to the public key with an
 * ephemeral X25519 key. So a new DEK can be wrapped for every slot without
 * knowing any slot's secret, which is what key rotation needs (the recovery
 * key is shown once and never stored).
 *
 *   wrapped = 0x02 || pk (32) || AES-GCM(KEK, sk; AAD = slot key AAD) (60)
 *             || epk (32) || AES-GCM(W, DEK; AAD = slot AAD || pk || epk) (60)
 *   W = HMAC-SHA256(X25519(esk, pk), "entsec-vault slot wrap v2" || epk || pk)
 *
 * Format 1 (still read for slots made before the upgrade):
 *   wrapped = AES-GCM(KEK, DEK; AAD = slot AAD of format 1)
 */

#define G_LOG_DOMAIN "entsec-vault"

#include "config.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "entsec-vault-private.h"

#define X25519_SIZE 32
#define SEALED_KEY_SIZE (12 + 32 + 16)
#define KEYS_SIZE (X25519_SIZE + SEALED_KEY_SIZE)
#define WRAPPED_V2_SIZE (1 + KEYS_SIZE + X25519_SIZE + SEALED_KEY_SIZE)
#define WRAP_V2 2

static const char wrap_info[] = "entsec-vault slot wrap v2";

static gboolean
public_key (const guint8 *sk,
            guint8        pk[X25519_SIZE])
{
  EVP_PKEY *key = EVP_PKEY_new_raw_private_key (EVP_PKEY_X25519, NULL, sk, X25519_SIZE);
  size_t len = X25519_SIZE;
  gboolean ok = key != NULL && EVP_PKEY_get_raw_public_key (key, pk, &len) == 1
                && len == X25519_SIZE;

  EVP_PKEY_free (key);
  return ok;
}

/* W from the shared secret of @sk and @peer, bound to both public keys. */
static gboolean
wrap_key (const guint8 *sk,
          const guint8 *peer,
          const guint8 *epk,
          const guint8 *pk,
          guint8        out[ENTSEC_AEAD_KEY_SIZE])
{
  EVP_PKEY *mine = EVP_PKEY_new_raw_private_key (EVP_PKEY_X25519, NULL, sk, X25519_SIZE);
  EVP_PKEY *theirs = EVP_PKEY_new_raw_public_key (EVP_PKEY_X25519, NULL, peer, X25519_SIZE);
  EVP_PKEY_CTX *ctx = mine != NULL ? EVP_PKEY_CTX_new (mine, NULL) : NULL;
  guint8 shared[X25519_SIZE], info[sizeof wrap_info - 1 + 2 * X25519_SIZE];
  size_t len = sizeof shared;
  unsigned int out_len = ENTSEC_AEAD_KEY_SIZE;
  gboolean ok;

  /* OpenSSL refuses an all-zero shared secret (a low-order peer key). */
  ok = ctx != NULL && theirs != NULL && EVP_PKEY_derive_init (ctx) == 1
       && EVP_PKEY_derive_set_peer (ctx, theirs) == 1 && EVP_PKEY_derive (ctx, shared, &len) == 1
       && len == sizeof shared;
  if (ok)
    {
      memcpy (info, wrap_info, sizeof wrap_info - 1);
      memcpy (info + sizeof wrap_info - 1, epk, X25519_SIZE);
      memcpy (info + sizeof wrap_info - 1 + X25519_SIZE, pk, X25519_SIZE);
      ok = HMAC (EVP_sha256 (), shared, sizeof shared, info, sizeof info, out, &out_len) != NULL;
    }
  OPENSSL_cleanse (shared, sizeof shared);
  EVP_PKEY_CTX_free (ctx);
  EVP_PKEY_free (mine);
  EVP_PKEY_free (theirs);
  return ok;
}

GBytes *
vault_slot_keys_new (const guint8  vault_id[VAULT_ID_SIZE],
                     guint32       type,
                     GBytes       *params,
                     const guint8 *kek,
                     GError      **error)
{
  g_autoptr (EntsecSecureBytes) sk = entsec_secure_bytes_new (X25519_SIZE);
  g_autoptr (GBytes) aad = vault_slot_key_aad (vault_id, type, params);
  g_autoptr (GBytes) sealed = NULL;
  guint8 keys[KEYS_SIZE];

  if (!entsec_random_bytes (sk->data, X25519_SIZE, error))
    return NULL;
  if (!public_key (sk->data, keys))
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IO,
                           "Cannot make a key pair for the key slot (OpenSSL's X25519 failed)");
      return NULL;
    }
  sealed = entsec_aead_seal (kek, g_bytes_get_data (aad, NULL), g_bytes_get_size (aad), sk->data,
                             sk->len, error);
  if (sealed == NULL)
    return NULL;
  g_assert (g_bytes_get_size (sealed) == SEALED_KEY_SIZE);
  memcpy (keys + X25519_SIZE, g_bytes_get_data (sealed, NULL), SEALED_KEY_SIZE);
  return g_bytes_new (keys, sizeof keys);
}

/* AAD of the DEK sealed to a slot: the slot AAD, then both public keys. */
static GBytes *
dek_aad (const guint8     vault_id[VAULT_ID_SIZE],
         const VaultSlot *slot,
         const guint8    *pk,
         const guint8    *epk)
{
  g_autoptr (GBytes) slot_aad = vault_slot_aad (vault_id, ENTSEC_VAULT_FORMAT_VERSION, slot);
  GByteArray *out = g_byte_array_new ();

  g_byte_array_append (out, g_bytes_get_data (slot_aad, NULL), (guint) g_bytes_get_size (slot_aad));
  g_byte_array_append (out, pk, X25519_SIZE);
  g_byte_array_append (out, epk, X25519_SIZE);
  return g_byte_array_free_to_bytes (out);
}

GBytes *
vault_slot_wrap (const guint8     vault_id[VAULT_ID_SIZE],
                 const VaultSlot *slot,
                 GBytes          *keys,
                 const guint8    *dek,
                 GError         **error)
{
  const guint8 *pk = g_bytes_get_data (keys, NULL);
  guint8 esk[X25519_SIZE], w[ENTSEC_AEAD_KEY_SIZE], out[WRAPPED_V2_SIZE];
  guint8 *epk = out + 1 + KEYS_SIZE;
  g_autoptr (GBytes) aad = NULL;
  g_autoptr (GBytes) sealed = NULL;

  g_return_val_if_fail (g_bytes_get_size (keys) == KEYS_SIZE, NULL);
  if (!entsec_random_bytes (esk, sizeof esk, error))
    return NULL;
  if (!public_key (esk, epk) || !wrap_key (esk, pk, epk, pk, w))
    {
      OPENSSL_cleanse (esk, sizeof esk);
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IO,
                           "Cannot wrap the data key for a key slot (OpenSSL's X25519 failed)");
      return NULL;
    }
  OPENSSL_cleanse (esk, sizeof esk);
  aad = dek_aad (vault_id, slot, pk, epk);
  sealed = entsec_aead_seal (w, g_bytes_get_data (aad, NULL), g_bytes_get_size (aad), dek,
                             ENTSEC_AEAD_KEY_SIZE, error);
  OPENSSL_cleanse (w, sizeof w);
  if (sealed == NULL)
    return NULL;
  out[0] = WRAP_V2;
  memcpy (out + 1, pk, KEYS_SIZE);
  memcpy (out + 1 + KEYS_SIZE + X25519_SIZE, g_bytes_get_data (sealed, NULL), SEALED_KEY_SIZE);
  return g_bytes_new (out, sizeof out);
}

static gboolean
is_v2 (const VaultSlot *slot)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (slot->wrapped, &len);

  return len == WRAPPED_V2_SIZE && data[0] == WRAP_V2;
}

GBytes *
vault_slot_get_keys (const VaultSlot *slot)
{
  if (!is_v2 (slot))
    return NULL;
  return g_bytes_new_from_bytes (slot->wrapped, 1, KEYS_SIZE);
}

static EntsecSecureBytes *
unwrap_v1 (const guint8     vault_id[VAULT_ID_SIZE],
           const VaultSlot *slot,
           const guint8    *kek)
{
  g_autoptr (GBytes) aad = vault_slot_aad (vault_id, 1, slot);

  return entsec_aead_open (kek, g_bytes_get_data (aad, NULL), g_bytes_get_size (aad),
                           g_bytes_get_data (slot->wrapped, NULL), g_bytes_get_size (slot->wrapped),
                           NULL);
}

static EntsecSecureBytes *
unwrap_v2 (const guint8     vault_id[VAULT_ID_SIZE],
           const VaultSlot *slot,
           const guint8    *kek)
{
  const guint8 *data = g_bytes_get_data (slot->wrapped, NULL);
  const guint8 *pk = data + 1, *epk = data + 1 + KEYS_SIZE;
  g_autoptr (GBytes) key_aad = vault_slot_key_aad (vault_id, slot->type, slot->params);
  g_autoptr (GBytes) aad = dek_aad (vault_id, slot, pk, epk);
  g_autoptr (EntsecSecureBytes) sk = NULL;
  guint8 w[ENTSEC_AEAD_KEY_SIZE];
  EntsecSecureBytes *dek;

  sk = entsec_aead_open (kek, g_bytes_get_data (key_aad, NULL), g_bytes_get_size (key_aad),
                         pk + X25519_SIZE, SEALED_KEY_SIZE, NULL);
  if (sk == NULL || sk->len != X25519_SIZE || !wrap_key (sk->data, epk, epk, pk, w))
    return NULL;
  dek = entsec_aead_open (w, g_bytes_get_data (aad, NULL), g_bytes_get_size (aad),
                          epk + X25519_SIZE, SEALED_KEY_SIZE, NULL);
  OPENSSL_cleanse (w, sizeof w);
  return dek;
}

EntsecSecureBytes *
vault_slot_unwrap (const guint8     vault_id[VAULT_ID_SIZE],
                   const VaultSlot *slot,
                   const guint8    *kek)
{
  EntsecSecureBytes *dek = is_v2 (slot) ? unwrap_v2 (vault_id, slot, kek)
                                        : unwrap_v1 (vault_id, slot, kek);

  if (dek != NULL && dek->len != ENTSEC_AEAD_KEY_SIZE)
    g_clear_pointer (&dek, entsec_secure_bytes_free);
  return dek;
}
