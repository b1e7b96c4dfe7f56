/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-core-private.h: helpers shared by libentsec's sources, not installed */
#pragma once

#include <string.h>

#include <openssl/evp.h>

#include <entsec/entsec.h>

G_BEGIN_DECLS

/*
 * The vault preferences the enterprise side writes and the vault reads: the
 * last time the enterprise server was reached (a policy refreshed), and the
 * time from which the codes of managed accounts are blocked (that time plus
 * the policy's offline.block_after). Both Unix seconds (int64).
 */
#define ENTSEC_PREF_LAST_CONTACT "enterprise.last_contact"
#define ENTSEC_PREF_OFFLINE_BLOCK_AT "enterprise.offline_block_at"

/* Every name of the enterprise side's preferences and locked rows starts so. */
#define ENTSEC_PREFIX_ENTERPRISE "enterprise."

/*
 * A wipe the enterprise server ordered (docs/protocol.md 8.8), as the plain
 * locked row ENTSEC_LOCKED_REMOTE_WIPE: what the device could destroy at once
 * (its key, the keyring's key protecting it, the events worker's state) is
 * gone when the row is written; while its completed_at is 0 the rest (the
 * managed accounts and enterprise preferences, under the data key) is
 * removed by the vault at its next unlock, before its accounts are loaded
 * for anyone. The row stays, completed, as the notice, until the device is
 * enrolled again. Its bytes: the GVariant "(xxx)" of the three times.
 */
#define ENTSEC_LOCKED_REMOTE_WIPE "enterprise.remote_wipe"

/*
 * The unlock limit (entsec-vault-attempts.c, docs/security.md "Wrong
 * unlocks"): plain locked rows, so that a locked vault can enforce them.
 * ENTSEC_LOCKED_UNLOCK_POLICY: the policy's `app_unlock.max_attempts` and
 * `after_max_attempts`, written whenever a policy is applied, GVariant
 * "(uu)" (max, EntsecUnlockLimitAction). ENTSEC_LOCKED_FAILED_UNLOCKS: the
 * wrong unlocks since the last right one and the time of the last, "(ux)".
 * Both go with the enterprise data.
 */
#define ENTSEC_LOCKED_UNLOCK_POLICY "enterprise.unlock_policy"
#define ENTSEC_LOCKED_FAILED_UNLOCKS "enterprise.failed_unlocks"

/*
 * Keep @vault's unlock limit (@action NONE: none, the count dropped too); a
 * row already saying so is not written again.
 */
gboolean entsec_vault_set_unlock_policy_sync (EntsecVault            *vault,
                                              guint                   max_attempts,
                                              EntsecUnlockLimitAction action,
                                              GCancellable           *cancellable,
                                              GError                **error);
/* Remove @vault's device KEK from the keyring (entsec-device-session.h; nothing when none). */
void     entsec_vault_clear_device_kek (EntsecVault *vault);
/* Remove the keyring's copy of the policy version stored for @vault (nothing when none). */
void     entsec_vault_clear_policy_version (EntsecVault *vault);

/* The row's bytes for @wipe. Returns: (transfer full): free with g_bytes_unref(). */
GBytes  *entsec_remote_wipe_encode (const EntsecRemoteWipe *wipe);
/* Read @row into @wipe; FALSE when it is not such a row (wrong size or times). */
gboolean entsec_remote_wipe_decode (GBytes           *row,
                                    EntsecRemoteWipe *wipe);
/*
 * Remove the rest of a pending remote wipe from @vault (unlocked) now, as
 * its unlock would (vault_finish_remote_wipe()); for a process that held the
 * vault unlocked when another one carried out the wipe's first part.
 */
gboolean entsec_vault_finish_remote_wipe_sync (EntsecVault *vault,
                                               GError     **error);
/*
 * Remove every enterprise row of @vault (unlocked) in one transaction: the
 * managed accounts, the enterprise preferences and locked rows (the remote
 * wipe's notice too); before a new enrollment over a stale one.
 */
gboolean entsec_vault_remove_enterprise_data_sync (EntsecVault *vault,
                                                   GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MAC, EVP_MAC_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MAC_CTX, EVP_MAC_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_CIPHER_CTX, EVP_CIPHER_CTX_free)

/*
 * A copy of untrusted @text (@length bytes, or up to its NUL when -1) that is
 * safe in an error message: control bytes and invalid UTF-8 become "\xNN";
 * format (bidi overrides, zero-width), unassigned, private-use and other
 * non-printable characters become U+FFFD; more than @max_chars characters
 * end in an ellipsis. NULL gives "". Free with g_free().
 */
/*
 * TRUE for invisible formatting characters (Unicode Cf) that can make a name
 * read as another one: bidi embeddings, overrides, isolates and marks,
 * zero-width spaces. The joiners (U+200C, U+200D) that emoji sequences and
 * several scripts need, the soft hyphen and emoji tag characters pass.
 */
gboolean entsec_unichar_is_deceptive (gunichar c);

char *entsec_dup_printable (const char *text,
                            gssize      length,
                            gsize       max_chars);

G_END_DECLS
