/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-google-import-dialog.h: choose the accounts of a Google Authenticator export */
#pragma once

#include <adwaita.h>
#include <entsec/entsec.h>

G_BEGIN_DECLS

#define ENTSEC_TYPE_GOOGLE_IMPORT_DIALOG (entsec_google_import_dialog_get_type ())
G_DECLARE_FINAL_TYPE (EntsecGoogleImportDialog, entsec_google_import_dialog, ENTSEC,
                      GOOGLE_IMPORT_DIALOG, AdwWindow)

/*
 * The accounts of an export (@accounts: (transfer none) (element-type
 * EntsecAccount), copied), each with a check box: all checked but the
 * duplicates, which are flagged, unchecked and cannot be checked. A
 * duplicate has the issuer and label (ignoring case) of one of @existing
 * ((transfer none) (element-type EntsecAccountSummary), the vault's
 * accounts) or of an account before it in the export.
 * Emits "done" (GPtrArray *chosen) once: the checked accounts (element-type
 * EntsecAccount, (transfer none)) when "Add" is pressed, NULL when the
 * dialog is closed otherwise; the dialog then closes.
 */
EntsecGoogleImportDialog *entsec_google_import_dialog_new (GtkWindow *parent,
                                                           GPtrArray *accounts,
                                                           GPtrArray *existing);

/* The number of accounts listed. */
guint     entsec_google_import_dialog_get_n_accounts (EntsecGoogleImportDialog *self);

/* Whether account @index is already in the list (or twice in the export). */
gboolean  entsec_google_import_dialog_is_duplicate (EntsecGoogleImportDialog *self,
                                                    guint                     index);

/* Whether account @index is checked; duplicates stay unchecked. */
gboolean  entsec_google_import_dialog_get_chosen (EntsecGoogleImportDialog *self,
                                                  guint                     index);
void      entsec_google_import_dialog_set_chosen (EntsecGoogleImportDialog *self,
                                                  guint                     index,
                                                  gboolean                  chosen);

/*
 * The checked accounts, in the export's order.
 * Returns: (transfer full) (element-type EntsecAccount): copies; free with
 *   g_ptr_array_unref() (wipes the secrets).
 */
GPtrArray *entsec_google_import_dialog_dup_chosen (EntsecGoogleImportDialog *self);

/* Press "Add": emits "done" with the checked accounts and closes. */
void      entsec_google_import_dialog_accept (EntsecGoogleImportDialog *self);

G_END_DECLS
