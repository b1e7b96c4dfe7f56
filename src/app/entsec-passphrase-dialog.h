/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-passphrase-dialog.h: change or add the vault's passphrase */
#pragma once

#include <adwaita.h>
#include <entsec/entsec.h>

G_BEGIN_DECLS

#define ENTSEC_TYPE_PASSPHRASE_DIALOG (entsec_passphrase_dialog_get_type ())
G_DECLARE_FINAL_TYPE (EntsecPassphraseDialog, entsec_passphrase_dialog, ENTSEC,
                      PASSPHRASE_DIALOG, AdwWindow)

/* Fewer characters than this are refused before libpwquality is asked. */
#define ENTSEC_MIN_PASSPHRASE_CHARS 8

/*
 * Why a new passphrase cannot be used yet, or NULL: empty, shorter than
 * ENTSEC_MIN_PASSPHRASE_CHARS, too weak for libpwquality (its reason), or
 * different from @confirm. @score (optional) gets libpwquality's 0..100.
 * When libpwquality cannot rate it (not installed), the length rule alone
 * decides and *@note (optional; else NULL) says it was not rated, and why:
 * the hint to show when there is no problem.
 * Returns: (transfer full) (nullable): the problem, for the person.
 */
char *entsec_passphrase_problem (const char *passphrase,
                                 const char *confirm,
                                 guint      *score,
                                 char      **note);

/*
 * A dialog over @parent that changes @vault's passphrase (asking for the
 * current one) when it has a passphrase slot, or adds one when it has none.
 * @vault must be unlocked. Emits "done" with a message for a toast once the
 * vault has the new passphrase, then closes.
 */
EntsecPassphraseDialog *entsec_passphrase_dialog_new (GtkWindow   *parent,
                                                      EntsecVault *vault);

/*
 * The organization's policy demands a passphrase: the dialog says why, has
 * no Cancel and cannot be closed until one is added, and refuses one of
 * fewer than @min_length characters (`app_unlock.min_length`) with that reason.
 */
void entsec_passphrase_dialog_set_required (EntsecPassphraseDialog *self,
                                            guint                   min_length);

/*
 * When the policy in force for @vault demands a passphrase and @vault has
 * none: present a required dialog over @parent (once: an open one is kept)
 * whose "done" runs @on_done (swapped: the GObject @data first, then the
 * message), and
 * return TRUE: the caller keeps the codes hidden until then. FALSE otherwise.
 */
gboolean entsec_passphrase_dialog_require (GtkWindow   *parent,
                                           EntsecVault *vault,
                                           GCallback    on_done,
                                           gpointer     data);

/* Whether the required dialog kept under @key (a static string) is open over @parent. */
gboolean entsec_required_dialog_is_up (GtkWindow  *parent,
                                       const char *key);

/*
 * Keep @dialog (a required passphrase or PIN dialog) under @key (a static
 * string) on @parent until it goes, connect its "done" to @on_done (swapped:
 * @data first), and present it.
 */
void entsec_required_dialog_present (GtkWindow  *parent,
                                     const char *key,
                                     GtkWindow  *dialog,
                                     GCallback   on_done,
                                     gpointer    data);

/* The Argon2id costs for the new passphrase (tests); NULL = calibrate. */
void entsec_passphrase_dialog_set_kdf (EntsecPassphraseDialog *self,
                                       const EntsecKdfParams  *kdf);

G_END_DECLS
