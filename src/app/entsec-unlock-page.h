/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-unlock-page.h: why the codes are locked, and the way back in */
#pragma once

#include <adwaita.h>
#include <entsec/entsec.h>

G_BEGIN_DECLS

#define ENTSEC_TYPE_UNLOCK_PAGE (entsec_unlock_page_get_type ())
G_DECLARE_FINAL_TYPE (EntsecUnlockPage, entsec_unlock_page, ENTSEC, UNLOCK_PAGE, AdwBin)

/*
 * Ask for what opens @vault: its quick-unlock PIN first when it has one
 * (attempts left shown after a wrong one; "Use Passphrase Instead"; the
 * passphrase with the reason once the PIN is locked out), its passphrase or
 * recovery key, or, for a vault with the keyring only, one click. @reason:
 * (nullable) why the keyring did not open it. Emits "unlocked" when the
 * vault is open.
 */
void entsec_unlock_page_prepare (EntsecUnlockPage *self,
                                 EntsecVault      *vault,
                                 const char       *reason,
                                 GCancellable     *cancellable);

/*
 * The clock the wait is counted down on (Unix seconds; NULL: the real one),
 * for tests, with the vault's (entsec_vault_set_clock()).
 */
void     entsec_unlock_page_set_clock (EntsecUnlockPage    *self,
                                       EntsecVaultClockFunc clock,
                                       gpointer             user_data);
/*
 * One tick of the wait's countdown (a timeout calls it each second; tests
 * after moving the clock): the label updated; once the wait is over the
 * limit is read again. G_SOURCE_CONTINUE while the wait lasts.
 */
gboolean entsec_unlock_page_update_countdown (EntsecUnlockPage *self);

G_END_DECLS
