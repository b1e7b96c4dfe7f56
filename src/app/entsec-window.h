/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-window.h: the main window: first run, unlock, the codes */
#pragma once

#include <adwaita.h>

#include <entsec/entsec.h>

#include "entsec-application.h"

G_BEGIN_DECLS

#define ENTSEC_TYPE_WINDOW (entsec_window_get_type ())
G_DECLARE_FINAL_TYPE (EntsecWindow, entsec_window, ENTSEC, WINDOW, AdwApplicationWindow)

/* A window that opens the vault; the app's first window takes the opening
 * the app started early (entsec_application_take_vault_opening()). */
EntsecWindow *entsec_window_new (EntsecApplication *app);

/* A window that takes @opening (nullable, transfer full; NULL: it opens the
 * vault itself). When @opening has finished, the window leaves this call
 * showing where the vault leads (codes, unlock, first run), before its first
 * frame. */
EntsecWindow *entsec_window_new_opened (EntsecApplication  *app,
                                        EntsecVaultOpening *opening);

/* Pictures of QR codes and otpauth: links to add (now, or once unlocked). */
void entsec_window_open_files (EntsecWindow *self,
                               GFile       **files,
                               guint         n_files);

/* Returns: (transfer none) (nullable): the vault once opened, locked or not. */
EntsecVault *entsec_window_get_vault (EntsecWindow *self);

/* The dialog of the waiting sign-in request @challenge_id (a toast when it
 * left); approving asks for the unlock first when the codes are locked. */
void entsec_window_show_approval (EntsecWindow *self,
                                  const char   *challenge_id);

/* The organization's @command ("lock", "wipe") was carried out: lock the
 * codes, or say what the wipe removed. */
void entsec_window_command_carried_out (EntsecWindow *self,
                                        const char   *command);

/* All local data is being deleted: hide the codes, let go of the vault and
 * say @status (a title) until entsec_window_reopen_vault(). */
void entsec_window_close_vault (EntsecWindow *self,
                                const char   *status);

/* Open the vault again as at the start (the first-run page when there is
 * none any more); @message (nullable) as a toast. */
void entsec_window_reopen_vault (EntsecWindow *self,
                                 const char   *message);

/* Take our code back from the clipboard, if it is still there. */
void entsec_window_clear_clipboard (EntsecWindow *self);

G_END_DECLS
