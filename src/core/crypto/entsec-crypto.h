/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-crypto.h: randomness, AES-256-GCM and Argon2id for libentsec's own
 * modules (vault, backup). Private to src/core and the tests: not installed.
 */
#pragma once

#include <glib.h>

#include <entsec/entsec.h>

G_BEGIN_DECLS

/* The error domain, ENTSEC_CRYPTO_ERROR, is public (entsec-crypto-error.h):
 * its errors reach callers of the vault and backup APIs. */

/* ---- Secure byte buffers ------------------------------------------------ */

/**
 * EntsecSecureBytes:
 * @data: the bytes (never NULL, even when @len is 0)
 * @len: how many
 *
 * Bytes that are wiped when freed: decrypted plaintext, derived keys, data
 * keys. They come from OpenSSL's secure heap (mlock'd, excluded from core
 * dumps) when the program has called CRYPTO_secure_malloc_init(), else
 * from the normal heap. Never free @data yourself.
 */
typedef struct
{
  guint8 *data;
  gsize   len;
} EntsecSecureBytes;

/* @len zero bytes. */
EntsecSecureBytes *entsec_secure_bytes_new (gsize len);
/* A copy of @len bytes at @data. */
EntsecSecureBytes *entsec_secure_bytes_new_copy (const guint8 *data,
                                                 gsize         len);
/* Wipe, then free. NULL is fine. */
void               entsec_secure_bytes_free (EntsecSecureBytes *bytes);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecSecureBytes, entsec_secure_bytes_free)

/* ---- Randomness ----------------------------------------------------------- */

/* Fill @buf with @len bytes from the CSPRNG (RAND_bytes). */
gboolean entsec_random_bytes (guint8  *buf,
                              gsize    len,
                              GError **error);

/* ---- AES-256-GCM ---------------------------------------------------------- */

#define ENTSEC_AEAD_KEY_SIZE 32
#define ENTSEC_AEAD_NONCE_SIZE 12
#define ENTSEC_AEAD_TAG_SIZE 16
/* A sealed blob is this much longer than its plaintext. */
#define ENTSEC_AEAD_OVERHEAD (ENTSEC_AEAD_NONCE_SIZE + ENTSEC_AEAD_TAG_SIZE)
/* Largest plaintext (and associated data) accepted: 256 MiB. */
#define ENTSEC_AEAD_MAX_SIZE (256 * 1024 * 1024)

/*
 * Encrypt @plaintext under @key with AES-256-GCM, authenticating @aad too.
 * Returns nonce (12, fresh from the CSPRNG) || ciphertext || tag (16).
 * @aad and @plaintext may be NULL when their length is 0.
 */
GBytes *entsec_aead_seal (const guint8  key[ENTSEC_AEAD_KEY_SIZE],
                          const guint8 *aad,
                          gsize         aad_len,
                          const guint8 *plaintext,
                          gsize         plaintext_len,
                          GError      **error);

/*
 * Verify and decrypt a blob made by entsec_aead_seal() with the same @key
 * and @aad. Any change to the blob, a wrong key or wrong @aad fails with
 * %ENTSEC_CRYPTO_ERROR_INTEGRITY and returns NULL: no partial plaintext.
 */
EntsecSecureBytes *entsec_aead_open (const guint8  key[ENTSEC_AEAD_KEY_SIZE],
                                     const guint8 *aad,
                                     gsize         aad_len,
                                     const guint8 *sealed,
                                     gsize         sealed_len,
                                     GError      **error);

/* ---- Argon2id ------------------------------------------------------------- */

/* Bounds every stored parameter set must meet (checked before allocating). */
#define ENTSEC_ARGON2_MIN_M_COST_KIB (8 * 1024)      /* 8 MiB */
#define ENTSEC_ARGON2_MAX_M_COST_KIB (1024 * 1024)   /* 1 GiB */
#define ENTSEC_ARGON2_MIN_T_COST 1
#define ENTSEC_ARGON2_MAX_T_COST 16
#define ENTSEC_ARGON2_MIN_PARALLELISM 1
#define ENTSEC_ARGON2_MAX_PARALLELISM 8
#define ENTSEC_ARGON2_MIN_SALT_SIZE 8
#define ENTSEC_ARGON2_MAX_SALT_SIZE 32
/* What entsec_argon2id_params_init() and the calibration generate. */
#define ENTSEC_ARGON2_SALT_SIZE 16
#define ENTSEC_ARGON2_DEFAULT_M_COST_KIB (64 * 1024) /* RFC 9106 second option */
#define ENTSEC_ARGON2_DEFAULT_T_COST 3
#define ENTSEC_ARGON2_DEFAULT_PARALLELISM 4

/**
 * EntsecArgon2Params:
 * @m_cost_kib: memory in KiB
 * @t_cost: passes over the memory
 * @parallelism: lanes (and threads)
 * @salt: the salt; only the first @salt_len bytes count
 * @salt_len: salt length in bytes
 *
 * Argon2id (version 0x13) parameters as stored next to what they protect.
 */
typedef struct
{
  guint32 m_cost_kib;
  guint32 t_cost;
  guint32 parallelism;
  guint8  salt[ENTSEC_ARGON2_MAX_SALT_SIZE];
  gsize   salt_len;
} EntsecArgon2Params;

/* Default costs and a fresh random salt of ENTSEC_ARGON2_SALT_SIZE bytes. */
gboolean entsec_argon2id_params_init (EntsecArgon2Params *params,
                                      GError            **error);

/* Check @params against the bounds above; the message names the bad value. */
gboolean entsec_argon2id_params_check (const EntsecArgon2Params *params,
                                       GError                  **error);

/*
 * Derive @out_len (4..1024) bytes into @out from @passphrase, taken as the
 * @passphrase_len bytes given (UTF-8, no terminator, no normalisation).
 * @params are checked first. Blocks for the whole computation.
 */
gboolean entsec_argon2id_derive (const EntsecArgon2Params *params,
                                 const char               *passphrase,
                                 gsize                     passphrase_len,
                                 guint8                   *out,
                                 gsize                     out_len,
                                 GError                  **error);

/*
 * Whether entsec_argon2id_derive() can run here: libargon2 is opened now if it
 * is not yet; FALSE with the error a derivation would give. For callers that
 * spend something before deriving (a PIN attempt counted in the keyring).
 */
gboolean entsec_argon2id_available (GError **error);

/*
 * Choose costs that take about @target_ms on this machine, and a fresh salt:
 * lanes = processors (up to 4), 64 MiB (down to 16 MiB on slow machines,
 * up to 256 MiB on fast ones), then passes (1..16) to reach the target.
 * Measures one 64 MiB single-pass derivation, so it blocks for about that.
 */
gboolean entsec_argon2id_calibrate (guint               target_ms,
                                    EntsecArgon2Params *params,
                                    GError            **error);

/*
 * entsec_passphrase_check_strength() with cracklib's dictionary at
 * @dict_path (nullable: the system's); for tests of a missing dictionary.
 */
gboolean entsec_passphrase_check_strength_with_dict (const char *passphrase,
                                                     const char *dict_path,
                                                     guint      *score,
                                                     GError    **error);

G_END_DECLS
