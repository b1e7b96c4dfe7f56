/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-account-page.h: one account's details: names, favourite, QR code, delete */
#pragma once

#include <adwaita.h>
#include <entsec/entsec.h>

G_BEGIN_DECLS

#define ENTSEC_TYPE_ACCOUNT_PAGE (entsec_account_page_get_type ())
G_DECLARE_FINAL_TYPE (EntsecAccountPage, entsec_account_page, ENTSEC, ACCOUNT_PAGE, GtkBox)

/* Show @summary of @vault; every call is cancelled by @cancellable. The
 * page holds no secret: the QR code asks the vault for the account (after
 * the passphrase when the vault has one) and is hidden again by
 * entsec_account_page_clear(). */
void     entsec_account_page_show_account (EntsecAccountPage    *self,
                                           EntsecVault          *vault,
                                           EntsecAccountSummary *summary,
                                           GCancellable         *cancellable);

/* @summary is a newer state of the account shown: follow it in the fields
 * the person has not changed. */
void     entsec_account_page_refresh      (EntsecAccountPage    *self,
                                           EntsecAccountSummary *summary);

/* Forget the account shown: hides the QR code, wipes the passphrase field. */
void     entsec_account_page_clear        (EntsecAccountPage *self);

/* Hide the QR code and the passphrase typed for it (leaving the page). */
void     entsec_account_page_hide_qr      (EntsecAccountPage *self);

/* The account shown, or 0. */
gint64   entsec_account_page_get_account_id (EntsecAccountPage *self);

/* Whether the back button shows (a folded window). */
void     entsec_account_page_set_show_back (EntsecAccountPage *self,
                                            gboolean           show_back);

G_END_DECLS
