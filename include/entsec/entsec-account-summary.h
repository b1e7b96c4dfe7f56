/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-account-summary.h: what a list of accounts shows, without secrets.
 *
 * The vault hands these out (entsec_vault_list_accounts(),
 * entsec_vault_get_accounts_model()) so a list widget never holds a key:
 * codes are computed inside the vault by account id
 * (entsec_vault_compute_code_sync()).
 */
#pragma once

#if !defined(ENTSEC_INSIDE) && !defined(ENTSEC_COMPILATION)
#error "Only <entsec/entsec.h> can be included directly."
#endif

#include <glib-object.h>

#include "entsec-account.h"
#include "entsec-macros.h"

G_BEGIN_DECLS

#define ENTSEC_TYPE_ACCOUNT_SUMMARY (entsec_account_summary_get_type ())
/* Exported explicitly; G_DECLARE_FINAL_TYPE below repeats this declaration. */
/* Returns: the GType of #EntsecAccountSummary. */
ENTSEC_EXPORT
GType entsec_account_summary_get_type (void);
G_DECLARE_FINAL_TYPE (EntsecAccountSummary, entsec_account_summary, ENTSEC, ACCOUNT_SUMMARY,
                      GObject)

/**
 * entsec_account_summary_new_from_account:
 * @account: (transfer none): the account to describe
 *
 * Returns: (transfer full): a summary of @account: every field but the
 *   secret and the notes. Immutable; free with g_object_unref().
 */
ENTSEC_EXPORT
EntsecAccountSummary *entsec_account_summary_new_from_account (const EntsecAccount *account)
  G_GNUC_WARN_UNUSED_RESULT;

/* The row id in the vault. */
ENTSEC_EXPORT
gint64             entsec_account_summary_get_id (EntsecAccountSummary *self);
/* TOTP, HOTP or Steam. */
ENTSEC_EXPORT
EntsecAccountType  entsec_account_summary_get_kind (EntsecAccountSummary *self);
/* Returns: (transfer none) (nullable): the issuer. */
ENTSEC_EXPORT
const char        *entsec_account_summary_get_issuer (EntsecAccountSummary *self);
/* Returns: (transfer none): the label, never NULL. */
ENTSEC_EXPORT
const char        *entsec_account_summary_get_label (EntsecAccountSummary *self);
/* Returns: (transfer none) (nullable): the group. */
ENTSEC_EXPORT
const char        *entsec_account_summary_get_group (EntsecAccountSummary *self);
/* The HMAC hash. */
ENTSEC_EXPORT
EntsecOtpAlgorithm entsec_account_summary_get_algorithm (EntsecAccountSummary *self);
/* The code length. */
ENTSEC_EXPORT
guint              entsec_account_summary_get_digits (EntsecAccountSummary *self);
/* TOTP and Steam: the step in seconds. */
ENTSEC_EXPORT
guint              entsec_account_summary_get_period (EntsecAccountSummary *self);
/* The sort order in the list. */
ENTSEC_EXPORT
gint               entsec_account_summary_get_position (EntsecAccountSummary *self);
/* Whether the account is pinned to the top. */
ENTSEC_EXPORT
gboolean           entsec_account_summary_get_favourite (EntsecAccountSummary *self);
/* Whether the account has notes (their text stays in the vault). */
ENTSEC_EXPORT
gboolean           entsec_account_summary_get_has_notes (EntsecAccountSummary *self);
/* Whether the enterprise server provisioned the account (a managed account,
 * removed with the enterprise data; the policy decides what its user may do). */
ENTSEC_EXPORT
gboolean           entsec_account_summary_get_managed (EntsecAccountSummary *self);
/* Returns: (transfer full): "Issuer (label)" or the label; free with g_free(). */
ENTSEC_EXPORT
char              *entsec_account_summary_dup_display_name (EntsecAccountSummary *self)
  G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
