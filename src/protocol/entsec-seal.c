/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-seal.c: seed delivery, ephemeral-static ECDH P-256 -> HKDF-SHA256
 * -> AES-256-GCM, with the device, token, revision and both ephemeral keys
 * bound into the key and the associated data (PROTOCOL.md "Seed delivery").
 */

#define G_LOG_DOMAIN "entsec-protocol"

#include "config.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "protocol-private.h"

#define SEAL_KEY_SIZE 32
#define SEAL_LABEL "entsec/v1/seed"

struct _EntsecSealer
{
  EVP_PKEY *spk;
  guint8    secret[SEAL_KEY_SIZE];
  char     *jkt_epk;
  char     *jkt_spk;
};

void
entsec_sealed_seed_free (EntsecSealedSeed *sealed)
{
  if (sealed == NULL)
    return;
  g_clear_pointer (&sealed->ct, g_bytes_unref);
  g_free (sealed);
}

/* ---- Key agreement and derivation -------------------------------------------- */

static gboolean
ecdh (EVP_PKEY *own,
      EVP_PKEY *peer,
      guint8    secret[SEAL_KEY_SIZE],
      GError  **error)
{
  g_autoptr (EVP_PKEY_CTX) ctx = NULL;
  size_t len = SEAL_KEY_SIZE;

  if (!entsec_ec_check_p256 (own, error) || !entsec_ec_check_p256 (peer, error))
    return FALSE;
  ctx = EVP_PKEY_CTX_new_from_pkey (NULL, own, NULL);
  if (ctx == NULL || EVP_PKEY_derive_init (ctx) != 1)
    return protocol_crypto_failed (error, "starting the key agreement");
  if (EVP_PKEY_derive_set_peer (ctx, peer) != 1)
    {
      g_set_error_literal (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_KEY,
                           "The other side's ephemeral key is not a valid P-256 public key");
      return FALSE;
    }
  if (EVP_PKEY_derive (ctx, secret, &len) != 1 || len != SEAL_KEY_SIZE)
    return protocol_crypto_failed (error, "agreeing on a key (ECDH)");
  return TRUE;
}

static gboolean
check_context (const EntsecSealContext *context,
               GError                 **error)
{
  const char *problem = NULL;

  if (context->device_id == NULL || context->device_id[0] == '\0'
      || strchr (context->device_id, '|') != NULL)
    problem = "the device id is empty or holds '|'";
  else if (context->token_id == NULL || context->token_id[0] == '\0'
           || strchr (context->token_id, '|') != NULL)
    problem = "the token id is empty or holds '|'";
  else if (context->req_nonce == NULL || context->req_nonce_len < ENTSEC_SEAL_MIN_NONCE
           || context->req_nonce_len > ENTSEC_SEAL_MAX_NONCE)
    problem = "the request nonce is not 16 to 64 bytes";
  if (problem != NULL)
    {
      g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                   "The seed cannot be sealed or opened: %s", problem);
      return FALSE;
    }
  return TRUE;
}

static char *
seal_aad (const EntsecSealContext *context)
{
  return g_strdup_printf (SEAL_LABEL "|%s|%s|%" G_GUINT64_FORMAT, context->device_id,
                          context->token_id, context->rev);
}

/* K = HKDF-SHA256(secret, salt = req_nonce, info = aad|jkt(epk)|jkt(spk)). */
static gboolean
derive_key (const guint8             secret[SEAL_KEY_SIZE],
            const EntsecSealContext *context,
            const char              *jkt_epk,
            const char              *jkt_spk,
            guint8                   key[SEAL_KEY_SIZE],
            GError                 **error)
{
  g_autofree char *aad = seal_aad (context);
  g_autofree char *info = g_strdup_printf ("%s|%s|%s", aad, jkt_epk, jkt_spk);
  g_autoptr (EVP_KDF) kdf = EVP_KDF_fetch (NULL, "HKDF", NULL);
  g_autoptr (EVP_KDF_CTX) ctx = kdf != NULL ? EVP_KDF_CTX_new (kdf) : NULL;
  OSSL_PARAM params[] = {
    OSSL_PARAM_construct_utf8_string (OSSL_KDF_PARAM_DIGEST, (char *) "SHA256", 0),
    OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_KEY, (void *) secret, SEAL_KEY_SIZE),
    OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_SALT, (void *) context->req_nonce,
                                       context->req_nonce_len),
    OSSL_PARAM_construct_octet_string (OSSL_KDF_PARAM_INFO, info, strlen (info)),
    OSSL_PARAM_construct_end (),
  };

  if (ctx == NULL || EVP_KDF_derive (ctx, key, SEAL_KEY_SIZE, params) != 1)
    return protocol_crypto_failed (error, "deriving the seed key (HKDF)");
  return TRUE;
}

/* ---- AES-256-GCM ----------------------------------------------------------------- */

/* Encrypt or decrypt @len bytes @in into @out; on decryption the tag is
 * checked and FALSE means it did not match. */
static gboolean
gcm (gboolean      encrypt,
     const guint8 *key,
     const guint8 *iv,
     const char   *aad,
     const guint8 *in,
     gsize         len,
     guint8       *out,
     guint8        tag[ENTSEC_SEAL_TAG_SIZE])
{
  g_autoptr (EVP_CIPHER_CTX) ctx = EVP_CIPHER_CTX_new ();
  int outl = 0;
  int finl = 0;

  if (ctx == NULL
      || EVP_CipherInit_ex (ctx, EVP_aes_256_gcm (), NULL, key, iv, encrypt ? 1 : 0) != 1
      || EVP_CipherUpdate (ctx, NULL, &outl, (const guint8 *) aad, (int) strlen (aad)) != 1
      || EVP_CipherUpdate (ctx, out, &outl, in, (int) len) != 1)
    return FALSE;
  if (!encrypt && EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_SET_TAG, ENTSEC_SEAL_TAG_SIZE, tag) != 1)
    return FALSE;
  if (EVP_CipherFinal_ex (ctx, out + outl, &finl) != 1 || (gsize) (outl + finl) != len)
    return FALSE;
  return !encrypt
         || EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_GET_TAG, ENTSEC_SEAL_TAG_SIZE, tag) == 1;
}

/* ---- Server side ---------------------------------------------------------------- */

EntsecSealer *
entsec_sealer_new (EVP_PKEY *epk,
                   GError  **error)
{
  g_autoptr (EntsecSealer) sealer = g_new0 (EntsecSealer, 1);

  sealer->spk = entsec_ec_generate (error);
  if (sealer->spk == NULL || !ecdh (sealer->spk, epk, sealer->secret, error))
    return NULL;
  sealer->jkt_epk = entsec_jwk_thumbprint (epk, error);
  if (sealer->jkt_epk == NULL)
    return NULL;
  sealer->jkt_spk = entsec_jwk_thumbprint (sealer->spk, error);
  if (sealer->jkt_spk == NULL)
    return NULL;
  return g_steal_pointer (&sealer);
}

EVP_PKEY *
entsec_sealer_get_spk (EntsecSealer *sealer)
{
  g_return_val_if_fail (sealer != NULL, NULL);
  return sealer->spk;
}

void
entsec_sealer_free (EntsecSealer *sealer)
{
  if (sealer == NULL)
    return;
  OPENSSL_cleanse (sealer->secret, sizeof sealer->secret);
  EVP_PKEY_free (sealer->spk);
  g_free (sealer->jkt_epk);
  g_free (sealer->jkt_spk);
  g_free (sealer);
}

static gboolean
check_seed_size (gsize    len,
                 GError **error)
{
  if (len < ENTSEC_SEAL_MIN_SEED || len > ENTSEC_SEAL_MAX_SEED)
    {
      g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                   "A seed must be %d to %d bytes, not %" G_GSIZE_FORMAT, ENTSEC_SEAL_MIN_SEED,
                   ENTSEC_SEAL_MAX_SEED, len);
      return FALSE;
    }
  return TRUE;
}

EntsecSealedSeed *
entsec_sealer_seal (EntsecSealer            *sealer,
                    const EntsecSealContext *context,
                    const guint8            *seed,
                    gsize                    seed_len,
                    GError                 **error)
{
  g_autoptr (EntsecSealedSeed) sealed = g_new0 (EntsecSealedSeed, 1);
  g_autofree char *aad = NULL;
  g_autofree guint8 *ct = NULL;
  guint8 key[SEAL_KEY_SIZE];
  gboolean ok;

  g_return_val_if_fail (sealer != NULL && context != NULL && seed != NULL, NULL);

  if (!check_context (context, error) || !check_seed_size (seed_len, error))
    return NULL;
  if (RAND_bytes (sealed->iv, sizeof sealed->iv) != 1)
    {
      protocol_crypto_failed (error, "drawing a random IV");
      return NULL;
    }
  if (!derive_key (sealer->secret, context, sealer->jkt_epk, sealer->jkt_spk, key, error))
    return NULL;
  aad = seal_aad (context);
  ct = g_malloc (seed_len);
  ok = gcm (TRUE, key, sealed->iv, aad, seed, seed_len, ct, sealed->tag);
  OPENSSL_cleanse (key, sizeof key);
  if (!ok)
    {
      protocol_crypto_failed (error, "encrypting a seed");
      return NULL;
    }
  sealed->ct = g_bytes_new_take (g_steal_pointer (&ct), seed_len);
  return g_steal_pointer (&sealed);
}

/* ---- Client side -------------------------------------------------------------- */

/* The ECDH secret and both thumbprints, as the client sees them. */
static gboolean
client_key (EVP_PKEY                *esk,
            EVP_PKEY                *spk,
            const EntsecSealContext *context,
            guint8                   key[SEAL_KEY_SIZE],
            GError                 **error)
{
  g_autofree char *jkt_epk = NULL;
  g_autofree char *jkt_spk = NULL;
  guint8 secret[SEAL_KEY_SIZE];
  gboolean ok;

  if (!ecdh (esk, spk, secret, error))
    return FALSE;
  jkt_epk = entsec_jwk_thumbprint (esk, error);
  jkt_spk = jkt_epk != NULL ? entsec_jwk_thumbprint (spk, error) : NULL;
  ok = jkt_spk != NULL && derive_key (secret, context, jkt_epk, jkt_spk, key, error);
  OPENSSL_cleanse (secret, sizeof secret);
  return ok;
}

GBytes *
entsec_seal_open (EVP_PKEY                *esk,
                  EVP_PKEY                *spk,
                  const EntsecSealContext *context,
                  const EntsecSealedSeed  *sealed,
                  GError                 **error)
{
  g_autofree char *aad = NULL;
  guint8 key[SEAL_KEY_SIZE];
  guint8 tag[ENTSEC_SEAL_TAG_SIZE];
  gsize len;
  guint8 *plain;
  gboolean ok;

  g_return_val_if_fail (context != NULL && sealed != NULL && sealed->ct != NULL, NULL);

  len = g_bytes_get_size (sealed->ct);
  if (!check_context (context, error) || !check_seed_size (len, error)
      || !client_key (esk, spk, context, key, error))
    return NULL;
  aad = seal_aad (context);
  memcpy (tag, sealed->tag, sizeof tag);
  plain = g_malloc (len);
  ok = gcm (FALSE, key, sealed->iv, aad, g_bytes_get_data (sealed->ct, NULL), len, plain, tag);
  OPENSSL_cleanse (key, sizeof key);
  if (!ok)
    {
      OPENSSL_cleanse (plain, len);
      g_free (plain);
      g_set_error_literal (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_DECRYPT,
                           "The delivered seed could not be opened: it was changed, is meant "
                           "for another device or request, or the keys do not match");
      return NULL;
    }
  return protocol_wiping_bytes_new_take (plain, len);
}

/* ---- JSON form ------------------------------------------------------------------- */

json_t *
entsec_sealed_seed_to_json (const EntsecSealedSeed *sealed)
{
  g_autofree char *iv = entsec_base64url_encode (sealed->iv, sizeof sealed->iv);
  g_autofree char *ct = entsec_base64url_encode (g_bytes_get_data (sealed->ct, NULL),
                                                 g_bytes_get_size (sealed->ct));
  g_autofree char *tag = entsec_base64url_encode (sealed->tag, sizeof sealed->tag);

  return json_pack ("{s:s, s:s, s:s}", "iv", iv, "ct", ct, "tag", tag);
}

/* Member @key as base64url of exactly @size bytes (any size when 0). */
static GBytes *
sized_member (const json_t *object,
              const char   *key,
              gsize         size,
              GError      **error)
{
  g_autofree char *what = g_strdup_printf ("The sealed seed's \"%s\"", key);
  const char *text = entsec_json_get_string (object, key, error);
  g_autoptr (GBytes) bytes = NULL;

  if (text == NULL)
    return NULL;
  bytes = entsec_base64url_decode (text, -1, what, error);
  if (bytes != NULL && size != 0 && g_bytes_get_size (bytes) != size)
    {
      g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                   "%s must be %" G_GSIZE_FORMAT " bytes", what, size);
      return NULL;
    }
  return g_steal_pointer (&bytes);
}

EntsecSealedSeed *
entsec_sealed_seed_from_json (const json_t *object,
                              GError      **error)
{
  g_autoptr (EntsecSealedSeed) sealed = g_new0 (EntsecSealedSeed, 1);
  g_autoptr (GBytes) iv = NULL;
  g_autoptr (GBytes) tag = NULL;

  g_return_val_if_fail (object != NULL, NULL);

  iv = sized_member (object, "iv", ENTSEC_SEAL_IV_SIZE, error);
  if (iv == NULL)
    return NULL;
  tag = sized_member (object, "tag", ENTSEC_SEAL_TAG_SIZE, error);
  if (tag == NULL)
    return NULL;
  sealed->ct = sized_member (object, "ct", 0, error);
  if (sealed->ct == NULL)
    return NULL;
  memcpy (sealed->iv, g_bytes_get_data (iv, NULL), sizeof sealed->iv);
  memcpy (sealed->tag, g_bytes_get_data (tag, NULL), sizeof sealed->tag);
  return g_steal_pointer (&sealed);
}
