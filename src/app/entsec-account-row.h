/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-account-row.h: one account in the codes list */
#pragma once

#include <gtk/gtk.h>
#include <entsec/entsec.h>

G_BEGIN_DECLS

#define ENTSEC_TYPE_ACCOUNT_ROW (entsec_account_row_get_type ())
G_DECLARE_FINAL_TYPE (EntsecAccountRow, entsec_account_row, ENTSEC, ACCOUNT_ROW, GtkWidget)

GtkWidget *entsec_account_row_new (void);

/* Show @summary; codes come from @vault, cancelled by @cancellable. */
void  entsec_account_row_bind   (EntsecAccountRow     *self,
                                 EntsecVault          *vault,
                                 EntsecAccountSummary *summary,
                                 GCancellable         *cancellable);
/* Forget the account and wipe its code. */
void  entsec_account_row_unbind (EntsecAccountRow *self);

/* A second has passed: refresh the countdown, ask for a new TOTP code when
 * its period rolled over (@now: Unix seconds). */
void  entsec_account_row_tick   (EntsecAccountRow *self,
                                 gint64            now);

/* The account shown, or 0. */
gint64 entsec_account_row_get_account_id (EntsecAccountRow *self);

/* Returns: (transfer none) (nullable): the code shown, without spaces; NULL
 * while there is none (HOTP before "next code", or still computing). */
const char *entsec_account_row_get_code (EntsecAccountRow *self);

/* "Hide codes until tapped": dots stand for the digits until
 * entsec_account_row_reveal(); a new binding hides them again. */
void     entsec_account_row_set_hide_codes (EntsecAccountRow *self,
                                            gboolean          hide_codes);

/* Show the digits of a hidden code. Returns: whether they were hidden. */
gboolean entsec_account_row_reveal         (EntsecAccountRow *self);

G_END_DECLS
