/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-pin-dialog.h: set or change the quick-unlock PIN */
#pragma once

#include <adwaita.h>
#include <entsec/entsec.h>

G_BEGIN_DECLS

#define ENTSEC_TYPE_PIN_DIALOG (entsec_pin_dialog_get_type ())
G_DECLARE_FINAL_TYPE (EntsecPinDialog, entsec_pin_dialog, ENTSEC, PIN_DIALOG, AdwWindow)

/*
 * Why a new PIN cannot be used yet, or NULL: empty, not digits, too short or
 * too long, or different from @confirm.
 * Returns: (transfer full) (nullable): the problem, for the person.
 */
char *entsec_pin_problem (const char *pin,
                          const char *confirm);

/*
 * A dialog over @parent that sets (or replaces) @vault's quick-unlock PIN:
 * the passphrase first, then the PIN twice. @vault must be unlocked and have
 * a passphrase slot. Emits "done" with a message for a toast, then closes.
 */
EntsecPinDialog *entsec_pin_dialog_new (GtkWindow   *parent,
                                        EntsecVault *vault);

/* The Argon2id costs for the PIN (tests); NULL = calibrate. */
void entsec_pin_dialog_set_kdf (EntsecPinDialog       *self,
                                const EntsecKdfParams *kdf);

G_END_DECLS
