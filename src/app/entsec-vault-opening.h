/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-vault-opening.h: the vault opened, unlocked and read in one worker */
#pragma once

#include <gio/gio.h>
#include <entsec/entsec.h>

#include "entsec-enterprise-state.h"

G_BEGIN_DECLS

/*
 * What opening the vault came to. @vault NULL: @error says why
 * (ENTSEC_VAULT_ERROR_NOT_FOUND: there is no vault yet). With a vault,
 * @keyring_tried says whether its keyring slot was asked; when it was and
 * the vault is still locked, @keyring_error says why. An unlocked vault's
 * enterprise side was read too: @enterprise, NULL when that read failed (the
 * window's enterprise state then reads again, and says why).
 */
typedef struct
{
  EntsecVault              *vault;
  GError                   *error;
  gboolean                  keyring_tried;
  GError                   *keyring_error;
  EntsecEnterpriseSnapshot *enterprise;
} EntsecVaultOpened;

void entsec_vault_opened_free (EntsecVaultOpened *opened);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecVaultOpened, entsec_vault_opened_free)

#define ENTSEC_TYPE_VAULT_OPENING (entsec_vault_opening_get_type ())
G_DECLARE_FINAL_TYPE (EntsecVaultOpening, entsec_vault_opening, ENTSEC, VAULT_OPENING, GObject)

/*
 * Opens the vault at @path in a worker thread and, when its keyring slot may
 * open it (there is one, and not @always_ask while a passphrase slot exists),
 * unlocks it there and reads its enterprise side: the hops the window would
 * otherwise make one by one through the main loop. The vault reports its
 * changes on the global default main context (the app's main thread).
 */
EntsecVaultOpening *entsec_vault_opening_new (const char *path,
                                              gboolean    always_ask);

/* Whether the worker has finished (its result may have been taken since). */
gboolean entsec_vault_opening_is_done (EntsecVaultOpening *self);

/*
 * Returns: (transfer full) (nullable): the result if the worker has
 * finished, NULL if it is still at work or the result was taken before. Never
 * waits: the main thread can ask while it builds the window.
 */
EntsecVaultOpened *entsec_vault_opening_take (EntsecVaultOpening *self);

/* The result once the worker has finished (at the earliest in the next main
 * loop iteration). Only one wait, and not after a take that returned it. */
void entsec_vault_opening_wait_async (EntsecVaultOpening *self,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
/* Returns: (transfer full) (nullable): NULL with @error (G_IO_ERROR_CANCELLED) only. */
EntsecVaultOpened *entsec_vault_opening_wait_finish (EntsecVaultOpening *self,
                                                     GAsyncResult       *result,
                                                     GError            **error);

G_END_DECLS
