/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-passphrase.h: how strong a new passphrase is (libpwquality, the
 * library GNOME's strength meters use). The secure heap where keys and
 * decrypted secrets live is in entsec-secure.h.
 */
#pragma once

#if !defined(ENTSEC_INSIDE) && !defined(ENTSEC_COMPILATION)
#error "Only <entsec/entsec.h> can be included directly."
#endif

#include <glib.h>

#include "entsec-macros.h"

G_BEGIN_DECLS

/**
 * EntsecPassphraseError:
 * @ENTSEC_PASSPHRASE_ERROR_WEAK: the passphrase is too weak; the message
 *   says why in plain words (too short, a dictionary word, ...), never
 *   repeating the passphrase.
 * @ENTSEC_PASSPHRASE_ERROR_FAILED: the strength could not be checked
 *   (libpwquality, opened on the first check, cannot be loaded: the message
 *   names the package to install; out of memory).
 * @ENTSEC_PASSPHRASE_ERROR_MEMORY: the secure heap could not be set up or
 *   locked in memory (see entsec_init_secure_memory()).
 *
 * Errors in the %ENTSEC_PASSPHRASE_ERROR domain.
 */
typedef enum
{
  ENTSEC_PASSPHRASE_ERROR_WEAK,
  ENTSEC_PASSPHRASE_ERROR_FAILED,
  ENTSEC_PASSPHRASE_ERROR_MEMORY,
} EntsecPassphraseError;

/**
 * EntsecKdfParams:
 * @memory_kib: Argon2id memory in KiB (8 MiB .. 1 GiB)
 * @iterations: passes (1..16)
 * @parallelism: lanes (1..8)
 *
 * The costs of turning a passphrase into a key with Argon2id, for a vault's
 * passphrase slot and for an encrypted backup alike. The salt is always
 * fresh and random.
 */
typedef struct
{
  guint32 memory_kib;
  guint32 iterations;
  guint32 parallelism;
} EntsecKdfParams;

#define ENTSEC_PASSPHRASE_ERROR (entsec_passphrase_error_quark ())
ENTSEC_EXPORT
GQuark entsec_passphrase_error_quark (void);

/**
 * entsec_passphrase_check_strength:
 * @passphrase: (transfer none): the new passphrase, UTF-8, NUL-terminated
 * @score: (out) (optional): its strength from 0 (weak) to 100, as
 *   libpwquality rates it; 0 when it is refused
 * @error: (nullable): %ENTSEC_PASSPHRASE_ERROR_WEAK with libpwquality's
 *   reason when the passphrase is too weak to protect a vault or a backup
 *
 * Rates a passphrase someone is about to set, under the system's pwquality
 * settings (/etc/security/pwquality.conf) and against the user's own name.
 * Does not block on anything but the dictionary lookup; safe from any
 * thread. The passphrase is never copied nor logged.
 *
 * Returns: %TRUE when it is strong enough
 */
ENTSEC_EXPORT G_GNUC_WARN_UNUSED_RESULT
gboolean entsec_passphrase_check_strength (const char *passphrase,
                                           guint      *score,
                                           GError    **error);

G_END_DECLS
