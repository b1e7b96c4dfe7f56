/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-ec.h: P-256 keys as OpenSSL 3 EVP_PKEY objects: generation, JWK
 * import and export (RFC 7517/7518), RFC 7638 thumbprints, and ECDSA
 * signatures in the raw r||s form that JOSE and RFC 9421 use.
 */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <openssl/evp.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY, EVP_PKEY_free)

/* One P-256 coordinate, the private scalar, a raw r||s signature. */
#define ENTSEC_EC_COORD_SIZE 32
#define ENTSEC_EC_SIGNATURE_SIZE 64

/* A fresh P-256 key pair from the CSPRNG. (transfer full) */
EVP_PKEY *entsec_ec_generate (GError **error);

/* TRUE when @key is an EC key on P-256; otherwise FALSE with
 * %ENTSEC_PROTOCOL_ERROR_KEY. */
gboolean  entsec_ec_check_p256 (EVP_PKEY *key,
                                GError  **error);

/*
 * Import a JWK from a parsed JSON object: "kty" must be "EC", "crv" "P-256",
 * "x" and "y" 32 bytes of base64url each, and the point must lie on the
 * curve. "d" (the private key) is accepted only when @allow_private is TRUE
 * and must match x and y. Other members ("kid", "use", "alg") are ignored;
 * "alg", when present, must be "ES256" or "ECDH-ES".
 * Returns: (transfer full): the key, or NULL with an error naming the member.
 */
EVP_PKEY *entsec_jwk_import_json (const json_t *jwk,
                                  gboolean      allow_private,
                                  GError      **error);

/* The same from JWK text (strict JSON, size and depth limited). */
EVP_PKEY *entsec_jwk_import (const char *text,
                             gsize       len,
                             gboolean    allow_private,
                             GError    **error);

/*
 * The JWK text of @key, through cjose: {"kty","crv","x","y"} and "d" when
 * @include_private (tests and the device's own key store only).
 * Free with g_free() (wipe first when it holds "d").
 */
char     *entsec_jwk_export (EVP_PKEY *key,
                             gboolean  include_private,
                             GError  **error);

/* The public JWK of @key as a new JSON object (for embedding). */
json_t   *entsec_jwk_export_json (EVP_PKEY *key,
                                  GError  **error);

/*
 * The RFC 7638 thumbprint of @key's public part: base64url of SHA-256 over
 * {"crv":"P-256","kty":"EC","x":"...","y":"..."}. Free with g_free().
 */
char     *entsec_jwk_thumbprint (EVP_PKEY *key,
                                 GError  **error);

/* ECDSA P-256 with SHA-256 over @data; @signature gets raw r||s. */
gboolean  entsec_ec_sign (EVP_PKEY     *key,
                          const guint8 *data,
                          gsize         len,
                          guint8        signature[ENTSEC_EC_SIGNATURE_SIZE],
                          GError      **error);

/* Verify a raw r||s signature over @data; %ENTSEC_PROTOCOL_ERROR_SIGNATURE
 * when it does not verify. */
gboolean  entsec_ec_verify (EVP_PKEY     *key,
                            const guint8 *data,
                            gsize         len,
                            const guint8 *signature,
                            gsize         signature_len,
                            GError      **error);

G_END_DECLS
