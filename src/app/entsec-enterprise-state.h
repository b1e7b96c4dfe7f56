/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-enterprise-state.h: the enterprise side of a vault as the app shows
 * it (enrolled or not, the organization, the policy in force, the offline
 * grace), read in a thread and kept for widgets to read without waiting.
 */
#pragma once

#include <gio/gio.h>
#include <entsec/entsec.h>

G_BEGIN_DECLS

/**
 * EntsecEnterpriseSnapshot:
 * @status: (nullable): the registration and the offline grace; NULL: not enrolled
 * @policy: (nullable): the policy in force; NULL when not enrolled or just wiped
 *
 * The enterprise side of a vault as read at one time, without the network.
 */
typedef struct
{
  EntsecEnterpriseStatus *status;
  EntsecEnterprisePolicy *policy;
} EntsecEnterpriseSnapshot;

/* Read @vault (unlocked); blocks on the vault (call it in a thread).
 * Returns: (transfer full) (nullable): free with entsec_enterprise_snapshot_free(). */
EntsecEnterpriseSnapshot *entsec_enterprise_snapshot_read (EntsecVault   *vault,
                                                           GCancellable  *cancellable,
                                                           GError       **error);
void entsec_enterprise_snapshot_free (EntsecEnterpriseSnapshot *snapshot);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecEnterpriseSnapshot, entsec_enterprise_snapshot_free)

#define ENTSEC_TYPE_ENTERPRISE_STATE (entsec_enterprise_state_get_type ())
G_DECLARE_FINAL_TYPE (EntsecEnterpriseState, entsec_enterprise_state, ENTSEC, ENTERPRISE_STATE,
                      GObject)

/*
 * The state of @vault, made the first time it is asked for and kept with the
 * vault. It reads the vault again (in a thread) when the vault is unlocked
 * and on #EntsecApplication::enterprise-changed, then emits
 * #EntsecEnterpriseState::changed on the main context.
 * Returns: (transfer none): the state.
 */
EntsecEnterpriseState *entsec_enterprise_state_get (EntsecVault *vault);

/*
 * The same, made from @snapshot (transfer full), a read of the unlocked
 * @vault made elsewhere (the vault's opening, in its worker), instead of a
 * read of its own. A state the vault already has stays as it is.
 * Returns: (transfer none): the state.
 */
EntsecEnterpriseState *entsec_enterprise_state_get_read (EntsecVault              *vault,
                                                         EntsecEnterpriseSnapshot *snapshot);

/* Read the vault again now (nothing while it is locked); ::changed follows. */
void entsec_enterprise_state_reload (EntsecEnterpriseState *self);

/* Whether a read has ended since the state was made (the getters say "not enrolled" before). */
gboolean entsec_enterprise_state_is_loaded (EntsecEnterpriseState *self);

/* Whether the vault holds an enterprise registration (as last read). */
gboolean entsec_enterprise_state_is_enrolled (EntsecEnterpriseState *self);

/* Returns: (transfer none) (nullable): the policy in force, NULL when not enrolled. */
const EntsecEnterprisePolicy *entsec_enterprise_state_get_policy (EntsecEnterpriseState *self);

/* Returns: (transfer none) (nullable): the organization's name (the tenant). */
const char *entsec_enterprise_state_get_organization (EntsecEnterpriseState *self);

/* Where the device stands in its offline grace; *@block_at gets when codes
 * of managed accounts are blocked (0: never). */
EntsecOfflineState entsec_enterprise_state_get_offline (EntsecEnterpriseState *self,
                                                        gint64                *block_at);

/* Returns: (transfer full) (nullable): at @now (Unix seconds), the warning of the
 * offline grace's banner: from its last quarter on, and while the codes of the
 * organization's accounts are blocked; NULL: no warning. */
char *entsec_enterprise_state_dup_offline_warning (EntsecEnterpriseState *self,
                                                   gint64                 now);

/* Returns: (transfer full): "Managed by ORG", for badges. */
char *entsec_enterprise_state_dup_managed_by (EntsecEnterpriseState *self);

/*
 * Whether the policy allows @what ("delete", "export", "manual-add",
 * "qr-import", "migration-import", "copy", "unbind"); when it does not,
 * *@reason (optional) gets a sentence for the user. Not enrolled: allowed.
 */
gboolean entsec_enterprise_state_allows (EntsecEnterpriseState *self,
                                         const char            *what,
                                         char                 **reason);

/*
 * Whether the policy in force demands a passphrase: `app_unlock.required` is
 * "passphrase", or "pin" (a PIN needs a passphrase beside it). *@min_length
 * (optional) gets `app_unlock.min_length`. Not enrolled: FALSE.
 */
gboolean entsec_enterprise_state_requires_passphrase (EntsecEnterpriseState *self,
                                                      guint                 *min_length);

/* The same for @policy (nullable: allowed). */
gboolean entsec_enterprise_policy_allows (const EntsecEnterprisePolicy *policy,
                                          const char                   *what,
                                          char                        **reason);

/*
 * Check now: fetch the policy and the provisioned accounts (entsec_enterprise_sync_async()),
 * then emit #EntsecApplication::enterprise-changed. _finish returns (transfer full) what
 * happened in a sentence for a toast, or NULL with @error.
 */
void  entsec_enterprise_check_now        (EntsecVault         *vault,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
char *entsec_enterprise_check_now_finish (GAsyncResult        *result,
                                          GError             **error);

/* Makes @widget (a GtkWidget) sensitive when @allowed; otherwise insensitive
 * with @reason as its tooltip and accessible description. */
void entsec_enterprise_explain_widget (gpointer    widget,
                                       gboolean    allowed,
                                       const char *reason);

G_END_DECLS
