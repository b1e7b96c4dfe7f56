/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-delete-data.h: "Delete All Local Data…": the confirmation, the deletion, the first-run page */
#pragma once

#include <adwaita.h>

#include <entsec/entsec.h>

G_BEGIN_DECLS

/*
 * Ask whether to delete all local data of @vault (@enrolled: it is enrolled,
 * so the dialog says what happens with the organization), then delete it:
 * every window lets go of the vault and opens the first-run page. @from: the
 * widget the request came from (its window is the dialog's parent; a
 * preferences window it is in closes).
 */
void entsec_delete_data_confirm (GtkWidget   *from,
                                 EntsecVault *vault,
                                 gboolean     enrolled);

/*
 * Finish, in a thread, a deletion of the vault at @path that was cut short
 * (entsec_vault_finish_delete_sync(): the keyring items and the set-aside
 * file it left). The app calls it at startup; a keyring still locked leaves
 * them for the next start.
 */
void     entsec_delete_data_finish_leftovers_async (const char          *path,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
/* @n_finished: (out) (optional): how many deletions were finished. */
gboolean entsec_delete_data_finish_leftovers_finish (GAsyncResult *result,
                                                     guint        *n_finished,
                                                     GError      **error);

/* The confirmation's text for an @enrolled vault or not. Returns: (transfer none). */
const char *entsec_delete_data_confirm_text (gboolean enrolled);

G_END_DECLS
