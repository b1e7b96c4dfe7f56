/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-seal.h: seed delivery (PROTOCOL.md "Seed delivery"). The client
 * sends a fresh ephemeral P-256 key (epk) in its signed sync request; the
 * server answers with one ephemeral key of its own (spk) and, per token,
 * AES-256-GCM under
 *   K = HKDF-SHA256(ECDH, salt = req_nonce,
 *                   info = "entsec/v1/seed|<device>|<token>|<rev>|<jkt(epk)>|<jkt(spk)>")
 * with AAD "entsec/v1/seed|<device>|<token>|<rev>".
 */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <openssl/evp.h>

G_BEGIN_DECLS

#define ENTSEC_SEAL_IV_SIZE 12
#define ENTSEC_SEAL_TAG_SIZE 16
/* Seeds are 16..128 bytes (>= 160 bits are generated; RFC 4226 allows 128). */
#define ENTSEC_SEAL_MIN_SEED 16
#define ENTSEC_SEAL_MAX_SEED 128
/* req_nonce: 16..64 bytes (base64url in the request). */
#define ENTSEC_SEAL_MIN_NONCE 16
#define ENTSEC_SEAL_MAX_NONCE 64

/**
 * EntsecSealContext:
 * @device_id: the device the seed is for ("dev_...")
 * @token_id: the token ("tok_...")
 * @rev: the token's revision
 * @req_nonce: the sync request's nonce (decoded bytes)
 * @req_nonce_len: their count
 *
 * What a sealed seed is bound to; both sides must give the same values.
 * The ids must not contain '|'.
 */
typedef struct
{
  const char   *device_id;
  const char   *token_id;
  guint64       rev;
  const guint8 *req_nonce;
  gsize         req_nonce_len;
} EntsecSealContext;

/**
 * EntsecSealedSeed:
 * @iv: the GCM nonce, fresh per seed
 * @ct: the ciphertext (as long as the seed)
 * @tag: the GCM tag
 *
 * One seed as it travels: JSON {"iv","ct","tag"}, each base64url.
 */
typedef struct
{
  guint8  iv[ENTSEC_SEAL_IV_SIZE];
  GBytes *ct;
  guint8  tag[ENTSEC_SEAL_TAG_SIZE];
} EntsecSealedSeed;

void entsec_sealed_seed_free (EntsecSealedSeed *sealed);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecSealedSeed, entsec_sealed_seed_free)

/* {"iv","ct","tag"} for @sealed. (transfer full) */
json_t           *entsec_sealed_seed_to_json (const EntsecSealedSeed *sealed);
/* Read {"iv","ct","tag"}: exact lengths, strict base64url. */
EntsecSealedSeed *entsec_sealed_seed_from_json (const json_t *object,
                                                GError      **error);

/* Server side: one per sync response. */
typedef struct _EntsecSealer EntsecSealer;

/*
 * Start a response to a request that carried @epk: makes the server's
 * ephemeral key (spk) and the ECDH secret. (transfer full)
 */
EntsecSealer     *entsec_sealer_new (EVP_PKEY *epk,
                                     GError  **error);
/* The server's ephemeral public key, to send as "spk". (transfer none) */
EVP_PKEY         *entsec_sealer_get_spk (EntsecSealer *sealer);
/* Seal @seed for @context. (transfer full) */
EntsecSealedSeed *entsec_sealer_seal (EntsecSealer            *sealer,
                                      const EntsecSealContext *context,
                                      const guint8            *seed,
                                      gsize                    seed_len,
                                      GError                 **error);
/* Wipes the ECDH secret and the ephemeral private key. */
void              entsec_sealer_free (EntsecSealer *sealer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecSealer, entsec_sealer_free)

/*
 * Client side: open @sealed with the request's ephemeral private key @esk
 * and the response's @spk. Any mismatch (key, context, tampering) gives
 * %ENTSEC_PROTOCOL_ERROR_DECRYPT and no partial plaintext.
 * Returns: (transfer full): the seed, in a GBytes that wipes its memory
 * when the last reference goes.
 */
GBytes           *entsec_seal_open (EVP_PKEY                *esk,
                                    EVP_PKEY                *spk,
                                    const EntsecSealContext *context,
                                    const EntsecSealedSeed  *sealed,
                                    GError                 **error);

G_END_DECLS
