/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-preferences-window.h: lock timeout, clipboard, hidden codes, style */
#pragma once

#include <adwaita.h>
#include <entsec/entsec.h>

G_BEGIN_DECLS

#define ENTSEC_TYPE_PREFERENCES_WINDOW (entsec_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (EntsecPreferencesWindow, entsec_preferences_window, ENTSEC,
                      PREFERENCES_WINDOW, AdwPreferencesWindow)

/* The preferences bound to @settings (g_settings_bind: a change applies at once). */
EntsecPreferencesWindow *entsec_preferences_window_new (GtkWindow *parent,
                                                        GSettings *settings);

/*
 * The Security group acts on @vault (NULL hides it): passphrase change, add
 * and removal, the quick-unlock PIN (set, change, remove; shown with a
 * passphrase only), a new recovery key; so does the Backup group (export,
 * import). Its rows are insensitive while the vault is locked; slow work is
 * cancelled when the window goes.
 */
void entsec_preferences_window_set_vault (EntsecPreferencesWindow *self,
                                          EntsecVault             *vault);

/* Show the Organization group ("Run in Background") on an enrolled device. */
void entsec_preferences_window_set_enrolled (EntsecPreferencesWindow *self,
                                             gboolean                 enrolled);

/* The sentence that says which lock model applies, for the slots a vault has. */

const char *entsec_preferences_lock_model (gboolean has_keyring,
                                           gboolean has_passphrase,
                                           gboolean has_pin);

/* The "style" setting ("system", "light", "dark") as libadwaita's colour scheme. */
AdwColorScheme entsec_preferences_color_scheme (const char *style);

G_END_DECLS
