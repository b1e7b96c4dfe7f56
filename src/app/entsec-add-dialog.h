/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-add-dialog.h: add accounts from pictures, a link, or by hand */
#pragma once

#include <adwaita.h>
#include <entsec/entsec.h>

G_BEGIN_DECLS

#define ENTSEC_TYPE_ADD_DIALOG (entsec_add_dialog_get_type ())
G_DECLARE_FINAL_TYPE (EntsecAddDialog, entsec_add_dialog, ENTSEC, ADD_DIALOG, AdwWindow)

/* Emits "accounts-added" (guint count) after every successful add. */
EntsecAddDialog *entsec_add_dialog_new (GtkWindow   *parent,
                                        EntsecVault *vault);

/*
 * A quiet dialog (@quiet TRUE; not yet shown) stays hidden while what it is
 * given is added without the person: it shows itself when a picture or link
 * could not be added, lists an export's accounts over its own parent, and
 * destroys itself once its work is over without having been shown. Links
 * and pictures opened from other programs go through one, so that adding
 * them makes no new window (which, with GL, costs the main loop a new
 * context's shaders). Presenting it ends the quiet.
 */
void entsec_add_dialog_set_quiet (EntsecAddDialog *self,
                                  gboolean         quiet);

/* Read the QR codes of pictures, one after the other, with a result per
 * file; the exports among them (Google Authenticator) are listed together
 * once the last queued picture is read. */
void entsec_add_dialog_add_files (EntsecAddDialog *self,
                                  GFile          **files,
                                  guint            n_files);

/* Read the QR codes of a picture held in memory (PNG, JPEG...) after the
 * pictures queued before it; @name labels its result row. */
void entsec_add_dialog_add_image_bytes (EntsecAddDialog *self,
                                        GBytes          *bytes,
                                        const char      *name);

/* The same for a picture pasted or dropped as a texture. */
void entsec_add_dialog_add_texture (EntsecAddDialog *self,
                                    GdkTexture      *texture,
                                    const char      *name);

/* Add the account(s) of an otpauth:// link; an otpauth-migration:// export
 * first lists its accounts to choose from. */
void entsec_add_dialog_add_link (EntsecAddDialog *self,
                                 const char      *uri);

/* The same for the @n_uris links of one Open or drop: their plain links
 * are added at once, and the accounts of all their exports are listed in
 * one window to choose from (the duplicates flagged). */
void entsec_add_dialog_add_links (EntsecAddDialog   *self,
                                  const char *const *uris,
                                  guint              n_uris);

/*
 * What was dropped or pasted (@value): a GdkTexture (a picture), a
 * GdkFileList (picture files and otpauth: links) or a string (an otpauth://
 * link), each into its flow. Anything else gets a result row saying what
 * can be added.
 * Returns: whether @value was taken.
 */
gboolean entsec_add_dialog_add_value (EntsecAddDialog *self,
                                      const GValue    *value);

/* Add what @clipboard holds: a picture, picture files or a link, in that
 * order of preference; read without blocking. */
void entsec_add_dialog_paste (EntsecAddDialog *self,
                              GdkClipboard    *clipboard);

G_END_DECLS
