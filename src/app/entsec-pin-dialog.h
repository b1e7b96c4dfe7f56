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

/*
 * Whether the policy in force for @vault demands a PIN (`app_unlock.required`
 * "pin"); *@min_length (optional) gets `app_unlock.min_length` brought into
 * ENTSEC_VAULT_PIN_MIN_LENGTH..ENTSEC_VAULT_PIN_MAX_LENGTH digits.
 */
gboolean entsec_pin_dialog_policy_requires (EntsecVault *vault,
                                            guint       *min_length);

/*
 * The organization's policy demands a PIN: the dialog says why, has no
 * Cancel and cannot be closed until one is set, and refuses one of fewer
 * than @min_length digits with that reason.
 */
void entsec_pin_dialog_set_required (EntsecPinDialog *self,
                                     guint            min_length);

/*
 * When the policy in force for @vault demands a PIN and @vault has a
 * passphrase but no PIN: present a required dialog over @parent (once: an
 * open one is kept) whose "done" runs @on_done (swapped: the GObject @data
 * first, then the message), and return TRUE: the caller keeps the codes
 * hidden until then. FALSE otherwise.
 */
gboolean entsec_pin_dialog_require (GtkWindow   *parent,
                                    EntsecVault *vault,
                                    GCallback    on_done,
                                    gpointer     data);

G_END_DECLS
