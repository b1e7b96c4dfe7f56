/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-ec.c: P-256 keys (EVP_PKEY), raw coordinates, ECDSA with raw r||s
 * signatures. cjose 0.6 works on the deprecated EC_KEY; this file never
 * does: keys cross to cjose only as raw coordinates (entsec-jwk.c).
 */

#define G_LOG_DOMAIN "entsec-protocol"

#include "config.h"

#include <string.h>

#include <openssl/crypto.h>

#include "protocol-private.h"

#define P256_GROUP "prime256v1"

EVP_PKEY *
entsec_ec_generate (GError **error)
{
  EVP_PKEY *key = EVP_EC_gen (P256_GROUP);

  if (key == NULL)
    protocol_crypto_failed (error, "generating a P-256 key");
  return key;
}

gboolean
entsec_ec_check_p256 (EVP_PKEY *key,
                      GError  **error)
{
  char group[64] = "";
  size_t group_len = 0;

  if (key == NULL || !EVP_PKEY_is_a (key, "EC")
      || EVP_PKEY_get_utf8_string_param (key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                         &group_len) != 1
      || strcmp (group, P256_GROUP) != 0)
    {
      g_set_error_literal (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_KEY,
                           "The key is not an EC P-256 key; only P-256 (ES256) is used");
      return FALSE;
    }
  return TRUE;
}

static gboolean
bn_param (EVP_PKEY   *key,
          const char *name,
          guint8      out[ENTSEC_EC_COORD_SIZE])
{
  g_autoptr (BIGNUM) bn = NULL;

  return EVP_PKEY_get_bn_param (key, name, &bn) == 1
         && BN_bn2binpad (bn, out, ENTSEC_EC_COORD_SIZE) == ENTSEC_EC_COORD_SIZE;
}

gboolean
protocol_ec_public_coords (EVP_PKEY *key,
                           guint8    x[ENTSEC_EC_COORD_SIZE],
                           guint8    y[ENTSEC_EC_COORD_SIZE],
                           GError  **error)
{
  if (!entsec_ec_check_p256 (key, error))
    return FALSE;
  if (!bn_param (key, OSSL_PKEY_PARAM_EC_PUB_X, x) || !bn_param (key, OSSL_PKEY_PARAM_EC_PUB_Y, y))
    return protocol_crypto_failed (error, "reading the public key");
  return TRUE;
}

gboolean
protocol_ec_private_scalar (EVP_PKEY *key,
                            guint8    d[ENTSEC_EC_COORD_SIZE],
                            GError  **error)
{
  if (!bn_param (key, OSSL_PKEY_PARAM_PRIV_KEY, d))
    {
      g_set_error_literal (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_KEY,
                           "The key has no private part to export");
      return FALSE;
    }
  return TRUE;
}

/* Full public check (point on the curve, not infinity) and, with a private
 * part, that it matches. */
static gboolean
check_key (EVP_PKEY *key,
           gboolean  has_private,
           GError  **error)
{
  g_autoptr (EVP_PKEY_CTX) ctx = EVP_PKEY_CTX_new_from_pkey (NULL, key, NULL);

  if (ctx == NULL || EVP_PKEY_public_check (ctx) != 1
      || (has_private && EVP_PKEY_check (ctx) != 1))
    {
      g_set_error_literal (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_KEY,
                           has_private ? "The key is invalid: its private part does not "
                                         "match its public point"
                                       : "The key is invalid: its point is not on the P-256 "
                                         "curve");
      return FALSE;
    }
  return TRUE;
}

static OSSL_PARAM *
key_params (const guint8 *x,
            const guint8 *y,
            const guint8 *d)
{
  g_autoptr (OSSL_PARAM_BLD) bld = OSSL_PARAM_BLD_new ();
  g_autoptr (BIGNUM) priv = NULL;
  guint8 point[1 + 2 * ENTSEC_EC_COORD_SIZE];
  OSSL_PARAM *params;

  point[0] = 0x04; /* uncompressed: x and y follow */
  memcpy (point + 1, x, ENTSEC_EC_COORD_SIZE);
  memcpy (point + 1 + ENTSEC_EC_COORD_SIZE, y, ENTSEC_EC_COORD_SIZE);
  if (d != NULL)
    priv = BN_secure_new ();
  if (bld == NULL
      || (d != NULL && (priv == NULL || BN_bin2bn (d, ENTSEC_EC_COORD_SIZE, priv) == NULL))
      || OSSL_PARAM_BLD_push_utf8_string (bld, OSSL_PKEY_PARAM_GROUP_NAME, P256_GROUP, 0) != 1
      || OSSL_PARAM_BLD_push_octet_string (bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point) != 1
      || (d != NULL && OSSL_PARAM_BLD_push_BN (bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) != 1))
    return NULL;
  params = OSSL_PARAM_BLD_to_param (bld);
  return params;
}

EVP_PKEY *
protocol_ec_from_coords (const guint8 *x,
                         const guint8 *y,
                         const guint8 *d,
                         GError      **error)
{
  g_autoptr (OSSL_PARAM) params = key_params (x, y, d);
  g_autoptr (EVP_PKEY_CTX) ctx = EVP_PKEY_CTX_new_from_name (NULL, "EC", NULL);
  g_autoptr (EVP_PKEY) key = NULL;

  if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init (ctx) != 1)
    {
      protocol_crypto_failed (error, "building a key");
      return NULL;
    }
  if (EVP_PKEY_fromdata (ctx, &key, d != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                         params) != 1)
    {
      g_set_error_literal (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_KEY,
                           "The key is invalid: its point is not on the P-256 curve");
      return NULL;
    }
  if (!check_key (key, d != NULL, error))
    return NULL;
  return g_steal_pointer (&key);
}

/* ---- ECDSA with raw r||s ---------------------------------------------------- */

static gboolean
der_to_raw (const guint8 *der,
            gsize         der_len,
            guint8        raw[ENTSEC_EC_SIGNATURE_SIZE])
{
  const unsigned char *p = der;
  g_autoptr (ECDSA_SIG) sig = d2i_ECDSA_SIG (NULL, &p, (long) der_len);
  const BIGNUM *r = NULL;
  const BIGNUM *s = NULL;

  if (sig == NULL)
    return FALSE;
  ECDSA_SIG_get0 (sig, &r, &s);
  return BN_bn2binpad (r, raw, ENTSEC_EC_COORD_SIZE) == ENTSEC_EC_COORD_SIZE
         && BN_bn2binpad (s, raw + ENTSEC_EC_COORD_SIZE, ENTSEC_EC_COORD_SIZE)
              == ENTSEC_EC_COORD_SIZE;
}

/* DER for a raw r||s; the length in @der_len. Free with OPENSSL_free(). */
static guint8 *
raw_to_der (const guint8 *raw,
            int          *der_len)
{
  g_autoptr (ECDSA_SIG) sig = ECDSA_SIG_new ();
  BIGNUM *r = BN_bin2bn (raw, ENTSEC_EC_COORD_SIZE, NULL);
  BIGNUM *s = BN_bin2bn (raw + ENTSEC_EC_COORD_SIZE, ENTSEC_EC_COORD_SIZE, NULL);
  unsigned char *der = NULL;

  if (sig == NULL || r == NULL || s == NULL || ECDSA_SIG_set0 (sig, r, s) != 1)
    {
      BN_free (r);
      BN_free (s);
      return NULL;
    }
  *der_len = i2d_ECDSA_SIG (sig, &der);
  return *der_len > 0 ? der : NULL;
}

gboolean
entsec_ec_sign (EVP_PKEY     *key,
                const guint8 *data,
                gsize         len,
                guint8        signature[ENTSEC_EC_SIGNATURE_SIZE],
                GError      **error)
{
  g_autoptr (EVP_MD_CTX) ctx = EVP_MD_CTX_new ();
  guint8 der[80]; /* a DER P-256 signature is at most 72 bytes */
  size_t der_len = sizeof der;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  if (!entsec_ec_check_p256 (key, error))
    return FALSE;
  if (ctx == NULL || EVP_DigestSignInit_ex (ctx, NULL, "SHA256", NULL, NULL, key, NULL) != 1
      || EVP_DigestSign (ctx, der, &der_len, data, len) != 1
      || !der_to_raw (der, der_len, signature))
    return protocol_crypto_failed (error, "signing with ECDSA P-256");
  return TRUE;
}

static gboolean
bad_signature (GError **error)
{
  g_set_error_literal (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_SIGNATURE,
                       "The signature does not verify with this key: the data was changed "
                       "or signed by another key");
  return FALSE;
}

gboolean
entsec_ec_verify (EVP_PKEY     *key,
                  const guint8 *data,
                  gsize         len,
                  const guint8 *signature,
                  gsize         signature_len,
                  GError      **error)
{
  g_autoptr (EVP_MD_CTX) ctx = EVP_MD_CTX_new ();
  guint8 *der = NULL;
  int der_len = 0;
  int ok;

  g_return_val_if_fail (data != NULL || len == 0, FALSE);

  if (!entsec_ec_check_p256 (key, error))
    return FALSE;
  if (signature_len != ENTSEC_EC_SIGNATURE_SIZE)
    {
      g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_SIGNATURE,
                   "The signature is %" G_GSIZE_FORMAT " bytes; ECDSA P-256 signatures are "
                   "64 bytes (r||s)", signature_len);
      return FALSE;
    }
  der = raw_to_der (signature, &der_len);
  if (ctx == NULL || der == NULL
      || EVP_DigestVerifyInit_ex (ctx, NULL, "SHA256", NULL, NULL, key, NULL) != 1)
    {
      OPENSSL_free (der);
      return protocol_crypto_failed (error, "verifying an ECDSA signature");
    }
  ok = EVP_DigestVerify (ctx, der, (size_t) der_len, data, len);
  OPENSSL_free (der);
  return ok == 1 ? TRUE : bad_signature (error);
}
