/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-jwk.c: JWK import and export of P-256 keys (RFC 7517/7518) and
 * RFC 7638 thumbprints. JSON is read by us (strict), keys are built from
 * raw coordinates on both sides: OpenSSL 3 EVP_PKEY for our code, a cjose
 * JWK (cjose_jwk_create_EC_spec) where cjose needs one.
 */

#define G_LOG_DOMAIN "entsec-protocol"

#include "config.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "protocol-private.h"

/* A JWK is small; a big one is not a P-256 key. */
#define JWK_MAX_BYTES 4096
#define JWK_MAX_DEPTH 2

static gboolean
jwk_error (GError    **error,
           int         code,
           const char *message)
{
  g_set_error (error, ENTSEC_PROTOCOL_ERROR, code, "The JWK is not usable: %s", message);
  return FALSE;
}

static gboolean
check_member (const json_t *jwk,
              const char   *key,
              const char   *expected,
              GError      **error)
{
  g_autoptr (GError) local = NULL;
  const char *value = entsec_json_get_string (jwk, key, &local);

  if (value == NULL)
    return jwk_error (error, ENTSEC_PROTOCOL_ERROR_MALFORMED, local->message);
  if (strcmp (value, expected) != 0)
    {
      g_autofree char *shown = protocol_printable (value, strlen (value));
      g_autofree char *message = g_strdup_printf ("\"%s\" is \"%s\"; only \"%s\" is supported",
                                                  key, shown, expected);

      return jwk_error (error, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED, message);
    }
  return TRUE;
}

static gboolean
check_alg (const json_t *jwk,
           GError      **error)
{
  json_t *alg = json_object_get (jwk, "alg");

  if (alg == NULL)
    return TRUE;
  if (!json_is_string (alg)
      || (strcmp (json_string_value (alg), "ES256") != 0
          && strcmp (json_string_value (alg), "ECDH-ES") != 0))
    return jwk_error (error, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED,
                      "\"alg\" must be \"ES256\" or \"ECDH-ES\" when present");
  return TRUE;
}

/* Member @key as exactly 32 bytes of base64url into @out. */
static gboolean
read_coord (const json_t *jwk,
            const char   *key,
            guint8        out[ENTSEC_EC_COORD_SIZE],
            GError      **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *what = g_strdup_printf ("\"%s\"", key);
  const char *text = entsec_json_get_string (jwk, key, &local);

  if (text != NULL)
    bytes = entsec_base64url_decode (text, -1, what, &local);
  if (bytes == NULL)
    return jwk_error (error, ENTSEC_PROTOCOL_ERROR_MALFORMED, local->message);
  if (g_bytes_get_size (bytes) != ENTSEC_EC_COORD_SIZE)
    {
      g_autofree char *message = g_strdup_printf ("%s must be 32 bytes for P-256, not %"
                                                  G_GSIZE_FORMAT, what,
                                                  g_bytes_get_size (bytes));

      OPENSSL_cleanse ((gpointer) g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      return jwk_error (error, ENTSEC_PROTOCOL_ERROR_KEY, message);
    }
  memcpy (out, g_bytes_get_data (bytes, NULL), ENTSEC_EC_COORD_SIZE);
  OPENSSL_cleanse ((gpointer) g_bytes_get_data (bytes, NULL), ENTSEC_EC_COORD_SIZE);
  return TRUE;
}

static gboolean
read_private (const json_t *jwk,
              gboolean      allow_private,
              guint8        d[ENTSEC_EC_COORD_SIZE],
              gboolean     *has_private,
              GError      **error)
{
  *has_private = json_object_get (jwk, "d") != NULL;
  if (!*has_private)
    return TRUE;
  if (!allow_private)
    return jwk_error (error, ENTSEC_PROTOCOL_ERROR_KEY,
                      "it holds a private key (\"d\") where only a public key belongs");
  return read_coord (jwk, "d", d, error);
}

EVP_PKEY *
entsec_jwk_import_json (const json_t *jwk,
                        gboolean      allow_private,
                        GError      **error)
{
  guint8 x[ENTSEC_EC_COORD_SIZE];
  guint8 y[ENTSEC_EC_COORD_SIZE];
  guint8 d[ENTSEC_EC_COORD_SIZE];
  gboolean has_private = FALSE;
  EVP_PKEY *key = NULL;

  g_return_val_if_fail (jwk != NULL, NULL);

  if (!json_is_object (jwk))
    {
      jwk_error (error, ENTSEC_PROTOCOL_ERROR_MALFORMED, "it is not a JSON object");
      return NULL;
    }
  if (check_member (jwk, "kty", "EC", error) && check_member (jwk, "crv", "P-256", error)
      && check_alg (jwk, error) && read_coord (jwk, "x", x, error)
      && read_coord (jwk, "y", y, error)
      && read_private (jwk, allow_private, d, &has_private, error))
    key = protocol_ec_from_coords (x, y, has_private ? d : NULL, error);
  OPENSSL_cleanse (d, sizeof d);
  return key;
}

EVP_PKEY *
entsec_jwk_import (const char *text,
                   gsize       len,
                   gboolean    allow_private,
                   GError    **error)
{
  g_autoptr (json_t) jwk = entsec_json_load_object (text, len, JWK_MAX_BYTES, JWK_MAX_DEPTH,
                                                    "The JWK", error);

  if (jwk == NULL)
    return NULL;
  return entsec_jwk_import_json (jwk, allow_private, error);
}

cjose_jwk_t *
protocol_cjose_jwk (EVP_PKEY *key,
                    gboolean  with_private,
                    GError  **error)
{
  guint8 x[ENTSEC_EC_COORD_SIZE];
  guint8 y[ENTSEC_EC_COORD_SIZE];
  guint8 d[ENTSEC_EC_COORD_SIZE];
  cjose_jwk_ec_keyspec spec = { CJOSE_JWK_EC_P_256, NULL, 0, x, sizeof x, y, sizeof y };
  cjose_jwk_t *jwk = NULL;
  cjose_err err;

  if (!protocol_ec_public_coords (key, x, y, error)
      || (with_private && !protocol_ec_private_scalar (key, d, error)))
    return NULL;
  if (with_private)
    {
      spec.d = d;
      spec.dlen = sizeof d;
    }
  jwk = cjose_jwk_create_EC_spec (&spec, &err);
  OPENSSL_cleanse (d, sizeof d);
  if (jwk == NULL)
    protocol_crypto_failed (error, "handing the key to cjose");
  return jwk;
}

/* The public members, in the lexicographic order RFC 7638 requires. */
static json_t *
public_members (EVP_PKEY *key,
                GError  **error)
{
  guint8 x[ENTSEC_EC_COORD_SIZE];
  guint8 y[ENTSEC_EC_COORD_SIZE];
  g_autofree char *x64 = NULL;
  g_autofree char *y64 = NULL;

  if (!protocol_ec_public_coords (key, x, y, error))
    return NULL;
  x64 = entsec_base64url_encode (x, sizeof x);
  y64 = entsec_base64url_encode (y, sizeof y);
  return json_pack ("{s:s, s:s, s:s, s:s}", "crv", "P-256", "kty", "EC", "x", x64, "y", y64);
}

/*
 * Written with jansson through entsec_json_dump(), not cjose_jwk_to_json():
 * one writer for every document we emit, and the private scalar wiped
 * where we can see it.
 */
char *
entsec_jwk_export (EVP_PKEY *key,
                   gboolean  include_private,
                   GError  **error)
{
  g_autoptr (json_t) jwk = public_members (key, error);
  guint8 d[ENTSEC_EC_COORD_SIZE];
  char *d64;
  char *text;

  if (jwk == NULL)
    return NULL;
  if (include_private)
    {
      if (!protocol_ec_private_scalar (key, d, error))
        return NULL;
      d64 = entsec_base64url_encode (d, sizeof d);
      OPENSSL_cleanse (d, sizeof d);
      json_object_set_new (jwk, "d", json_string (d64));
      OPENSSL_cleanse (d64, strlen (d64));
      g_free (d64);
    }
  text = entsec_json_dump (jwk);
  if (include_private)
    json_string_set (json_object_get (jwk, "d"), "");
  return text;
}

json_t *
entsec_jwk_export_json (EVP_PKEY *key,
                        GError  **error)
{
  return public_members (key, error);
}

char *
entsec_jwk_thumbprint (EVP_PKEY *key,
                       GError  **error)
{
  g_autoptr (json_t) members = public_members (key, error);
  g_autofree char *text = NULL;
  guint8 digest[SHA256_DIGEST_LENGTH];

  if (members == NULL)
    return NULL;
  /* Compact and in insertion order: no white space, members sorted above. */
  text = entsec_json_dump (members);
  SHA256 ((const guint8 *) text, strlen (text), digest);
  return entsec_base64url_encode (digest, sizeof digest);
}
