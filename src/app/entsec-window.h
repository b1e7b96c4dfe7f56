/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-window.h: the main window: first run, unlock, the codes */
#pragma once

#include <adwaita.h>

#include <entsec/entsec.h>

#include "entsec-application.h"

G_BEGIN_DECLS

#define ENTSEC_TYPE_WINDOW (entsec_window_get_type ())
G_DECLARE_FINAL_TYPE (EntsecWindow, entsec_window, ENTSEC, WINDOW, AdwApplicationWindow)

EntsecWindow *entsec_window_new (EntsecApplication *app);

/* Pictures of QR codes and otpauth: links to add (now, or once unlocked). */
void entsec_window_open_files (EntsecWindow *self,
                               GFile       **files,
                               guint         n_files);

/* Returns: (transfer none) (nullable): the vault once opened, locked or not. */
EntsecVault *entsec_window_get_vault (EntsecWindow *self);

/* Take our code back from the clipboard, if it is still there. */
void entsec_window_clear_clipboard (EntsecWindow *self);

G_END_DECLS
