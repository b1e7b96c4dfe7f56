/* SPDX-License-Identifier: GPL-3.0-or-later */
/* protocol-private.h: helpers shared by src/protocol's sources, not by its users */
#pragma once

#include <cjose/cjose.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/param_build.h>

#include "entsec-protocol.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_PKEY_CTX, EVP_PKEY_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MD_CTX, EVP_MD_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_CIPHER_CTX, EVP_CIPHER_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_KDF, EVP_KDF_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_KDF_CTX, EVP_KDF_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ECDSA_SIG, ECDSA_SIG_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIGNUM, BN_clear_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OSSL_PARAM_BLD, OSSL_PARAM_BLD_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OSSL_PARAM, OSSL_PARAM_free)

/* Sets %ENTSEC_PROTOCOL_ERROR_FAILED naming the step; always FALSE. */
gboolean protocol_crypto_failed (GError    **error,
                                 const char *what);

/* A copy of peer-supplied @text safe for an error message: printable
 * ASCII kept, anything else as \xNN, at most 60 characters. */
char    *protocol_printable (const char *text,
                             gsize       len);

/* The raw public coordinates of a P-256 @key. */
gboolean protocol_ec_public_coords (EVP_PKEY *key,
                                    guint8    x[ENTSEC_EC_COORD_SIZE],
                                    guint8    y[ENTSEC_EC_COORD_SIZE],
                                    GError  **error);

/* The private scalar of @key; %ENTSEC_PROTOCOL_ERROR_KEY when it has none. */
gboolean protocol_ec_private_scalar (EVP_PKEY *key,
                                     guint8    d[ENTSEC_EC_COORD_SIZE],
                                     GError  **error);

/* A P-256 key from raw coordinates (and the private scalar @d, nullable),
 * checked: point on the curve, @d matching it. (transfer full) */
EVP_PKEY *protocol_ec_from_coords (const guint8 *x,
                                   const guint8 *y,
                                   const guint8 *d,
                                   GError      **error);

/* The cjose JWK for @key (its private part too when @with_private), built
 * from raw coordinates. Release with cjose_jwk_release(). */
cjose_jwk_t *protocol_cjose_jwk (EVP_PKEY *key,
                                 gboolean  with_private,
                                 GError  **error);

/* A GBytes over a g_malloc'd @data that wipes it when freed. */
GBytes  *protocol_wiping_bytes_new_take (guint8 *data,
                                         gsize   len);

G_END_DECLS
