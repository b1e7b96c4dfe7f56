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

G_END_DECLS
