/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-enterprise-sync.h: policy, tokens and wipe of an enrolled device, not installed */
#pragma once

#include "entsec-device-session.h"

G_BEGIN_DECLS

/*
 * The policy version kept in the keyring for this device, or -1 when the
 * keyring has none or cannot be reached (never an error: the vault's copy
 * still holds).
 */
gint64   entsec_policy_keyring_get (const char *issuer,
                                    const char *device_id);
/* Raise the keyring's copy to @version (best effort, never lowers it); a new
 * item also names @vault, whose wipe after wrong unlocks removes it. */
void     entsec_policy_keyring_put (EntsecVault *vault,
                                    const char  *issuer,
                                    const char  *device_id,
                                    gint64       version);
/* Drop the keyring's copy (when the enterprise data is wiped). */
void     entsec_policy_keyring_clear (const char *issuer,
                                      const char *device_id);

/*
 * Check the policy JWS @jws against the session (authority key, issuer,
 * device, key, times at the session's clock). A policy signed by another
 * key than the pinned one is checked with the key its "authority_chain"
 * leads to from the pinned one (docs/protocol.md 8.16), returned in
 * *@signer (nullable; the pinned key otherwise) for the caller to pin once
 * the policy is accepted.
 * Returns: (transfer full) (nullable): its payload, or NULL with
 *   %ENTSEC_NET_ERROR_POLICY_INVALID.
 */
json_t  *entsec_policy_verify (EntsecDeviceSession *session,
                               const char          *jws,
                               EVP_PKEY           **signer,
                               GError             **error);

/*
 * Keep the unlock limit of the policy @payload (`app_unlock.max_attempts`,
 * `after_max_attempts`) in @vault's locked rows, where a locked vault
 * enforces it (entsec-vault-attempts.c).
 */
gboolean entsec_enterprise_keep_unlock_limit (EntsecVault  *vault,
                                              json_t       *payload,
                                              GCancellable *cancellable,
                                              GError      **error);

/*
 * Fetch GET .../policy (If-None-Match the one in force), verify it, apply
 * the high-water mark of the vault and the keyring and store it, pinning
 * the authority key that signed it when the rotation chain led to a new one.
 * *@changed tells whether a new version came in force. A policy saying
 * "revoked" wipes the enterprise data (*@wiped).
 */
gboolean entsec_policy_refresh (EntsecDeviceSession *session,
                                gboolean            *changed,
                                gboolean            *wiped,
                                GCancellable        *cancellable,
                                GError             **error);

/*
 * Verify the policy JWS @jws, apply the high-water mark and store it, as
 * entsec_policy_refresh() does with the one it fetched.
 */
gboolean entsec_policy_take (EntsecDeviceSession *session,
                             const char          *jws,
                             gboolean            *changed,
                             gboolean            *wiped,
                             GCancellable        *cancellable,
                             GError             **error);

/*
 * POST .../tokens/sync: new managed accounts stored and acknowledged
 * (@added gets their display names).
 */
gboolean entsec_tokens_sync (EntsecDeviceSession *session,
                             GPtrArray           *added,
                             GCancellable        *cancellable,
                             GError             **error);

/*
 * Record a contact with the server at @now (0: the real clock): the last
 * contact, and from it the offline grace's limits under the policy in force
 * (ENTSEC_PREF_OFFLINE_BLOCK_AT, which the vault reads, and
 * ENTSEC_PREF_OFFLINE_WIPE_AT). Nothing when the vault is not enrolled.
 */
gboolean entsec_enterprise_note_contact (EntsecVault   *vault,
                                         gint64         now,
                                         GCancellable  *cancellable,
                                         GError       **error);

/*
 * The payload of @jws (@typ, a @what for messages) when the pinned authority
 * key signed it for this device and key.
 * Returns: (transfer full) (nullable): NULL with %ENTSEC_NET_ERROR_BAD_RESPONSE.
 */
json_t  *entsec_enterprise_verify_for_device (EntsecDeviceSession *session,
                                              const char          *jws,
                                              const char          *typ,
                                              const char          *what,
                                              GError             **error);

/*
 * Send the acknowledgements of commands carried out whose first one failed
 * (entsec-events.c keeps them); those that fail again stay for the next
 * contact. A 409 (acknowledged already) counts as sent.
 */
gboolean entsec_enterprise_flush_acks (EntsecDeviceSession *session,
                                       GCancellable        *cancellable,
                                       GError             **error);

/*
 * A wipe command signed at @ordered_at: the record ENTSEC_LOCKED_REMOTE_WIPE
 * written with the sealed rows removed in one transaction, then the device
 * KEK and the keyring's policy copy; an unlocked vault then removes the rest
 * at once (*@completed) unless it cannot be written now, a locked one at
 * its next unlock. FALSE only when the first transaction failed.
 */
gboolean entsec_enterprise_remote_wipe (EntsecDeviceSession *session,
                                        gint64               ordered_at,
                                        gboolean            *completed,
                                        GCancellable        *cancellable,
                                        GError             **error);
/*
 * Before a session loads: a remote wipe of @vault not completed yet is
 * resumed (the device KEK removed again; the rest removed when the vault is
 * unlocked) and, while the vault is locked, reported as
 * %ENTSEC_NET_ERROR_NOT_ENROLLED saying when it was ordered.
 */
gboolean entsec_enterprise_remote_wipe_check (EntsecVault  *vault,
                                              GCancellable *cancellable,
                                              GError      **error);

/* Remove every enterprise preference, managed account and keyring copy. */
gboolean entsec_enterprise_wipe (EntsecDeviceSession *session,
                                 GCancellable        *cancellable,
                                 GError             **error);

G_END_DECLS
