/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-crypto-error.h: the error domain of libentsec's cryptography */
#pragma once

#if !defined(ENTSEC_INSIDE) && !defined(ENTSEC_COMPILATION)
#error "Only <entsec/entsec.h> can be included directly."
#endif

#include <glib.h>

#include "entsec-macros.h"

G_BEGIN_DECLS

/**
 * EntsecCryptoError:
 * @ENTSEC_CRYPTO_ERROR_RANDOM: the system random generator failed; nothing
 *   was encrypted.
 * @ENTSEC_CRYPTO_ERROR_INTEGRITY: a sealed blob did not verify: wrong key
 *   (wrong passphrase), wrong associated data, or the bytes were altered or
 *   truncated. No plaintext is returned.
 * @ENTSEC_CRYPTO_ERROR_PARAMETER: Argon2id parameters (memory, passes,
 *   lanes, salt) are outside the accepted bounds; rejected before any
 *   memory is allocated.
 * @ENTSEC_CRYPTO_ERROR_MEMORY: the key derivation could not get the memory
 *   its parameters ask for.
 * @ENTSEC_CRYPTO_ERROR_FAILED: OpenSSL or libargon2 failed for another
 *   reason, or libargon2 (opened on the first key derivation) cannot be
 *   loaded: the message then names the package to install.
 *
 * Errors in the %ENTSEC_CRYPTO_ERROR domain. Messages never contain key,
 * passphrase or plaintext bytes.
 */
typedef enum
{
  ENTSEC_CRYPTO_ERROR_RANDOM,
  ENTSEC_CRYPTO_ERROR_INTEGRITY,
  ENTSEC_CRYPTO_ERROR_PARAMETER,
  ENTSEC_CRYPTO_ERROR_MEMORY,
  ENTSEC_CRYPTO_ERROR_FAILED,
} EntsecCryptoError;

#define ENTSEC_CRYPTO_ERROR (entsec_crypto_error_quark ())
/* Returns: the quark of the %ENTSEC_CRYPTO_ERROR domain. */
ENTSEC_EXPORT
GQuark entsec_crypto_error_quark (void);

G_END_DECLS
