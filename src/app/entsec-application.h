/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <entsec/entsec.h>

#include "entsec-approvals.h"

G_BEGIN_DECLS

#define ENTSEC_TYPE_APPLICATION (entsec_application_get_type ())
G_DECLARE_FINAL_TYPE (EntsecApplication, entsec_application, ENTSEC, APPLICATION, AdwApplication)

EntsecApplication *entsec_application_new (void);

/* Returns: (transfer none) (nullable): the app's settings, NULL when the
 * schema is not installed (defaults apply then). */
GSettings *entsec_application_get_settings (EntsecApplication *self);

/* Returns: (transfer none) (nullable): the events worker's controller, from the startup on. */
EntsecApprovals *entsec_application_get_approvals (EntsecApplication *self);

typedef struct _EntsecVaultOpening EntsecVaultOpening;

/* Returns: (transfer full) (nullable): the opening of the vault started for
 * the app's first window, at start-up (or, in the background service, when
 * the window is asked for), once; NULL after that and for a window made
 * elsewhere (tests). */
EntsecVaultOpening *entsec_application_take_vault_opening (EntsecApplication *self);

/* Write (@enabled) or remove the autostart entry that starts the app at
 * login as a background service ($XDG_CONFIG_HOME/autostart). */
gboolean entsec_app_write_autostart (gboolean   enabled,
                                     GError   **error);

/* A setting as an unsigned number, @fallback without the schema. */
guint entsec_application_get_uint_setting (EntsecApplication *self,
                                           const char        *key,
                                           guint              fallback);

/* Tells every part of the app that the vault's enterprise side changed
 * (enrolled, policy or device state, unbound, wiped): emits
 * #EntsecApplication::enterprise-changed. Call it from the main thread after
 * the change has been written to the vault. */
void entsec_application_enterprise_changed (EntsecApplication *self);

/* Registers the app's GResource bundle (templates, CSS) once; every class
 * with a template calls it from class_init. */
void entsec_app_ensure_resources (void);

/* Whether @vault has a slot of @type (the slot table: never waits). */
gboolean entsec_app_vault_has_slot (EntsecVault        *vault,
                                    EntsecVaultSlotType type);

G_END_DECLS
