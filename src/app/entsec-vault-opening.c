/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-vault-opening.c: the vault opened, unlocked by its keyring slot
 * and its enterprise side read, in one worker thread.
 *
 * Done hop by hop, each step's answer waits for the main loop to start the
 * next: at a start the loop is busy building and drawing the window, so the
 * codes came a frame later than the vault was ready. The application starts
 * one of these before GTK's own start-up (a second core does the work while
 * the first builds the window), and the window takes the result as it is
 * made: when it is there, the first frame already shows the codes.
 */

#define G_LOG_DOMAIN "entsec-app"

#include "config.h"

#include "entsec-application.h"
#include "entsec-vault-opening.h"

struct _EntsecVaultOpening
{
  GObject            parent_instance;

  char              *path;
  gboolean           always_ask;
  /* Written by the worker, then `done` set; read by the main thread after it. */
  EntsecVaultOpened *result;
  int                done;
  /* Main thread only. */
  gboolean           taken;
  GTask             *waiter;
};

G_DEFINE_FINAL_TYPE (EntsecVaultOpening, entsec_vault_opening, G_TYPE_OBJECT)

void
entsec_vault_opened_free (EntsecVaultOpened *opened)
{
  if (opened == NULL)
    return;
  g_clear_object (&opened->vault);
  g_clear_error (&opened->error);
  g_clear_error (&opened->keyring_error);
  g_clear_pointer (&opened->enterprise, entsec_enterprise_snapshot_free);
  g_free (opened);
}

/* The same choice the window made when it opened the vault hop by hop. */
static gboolean
keyring_may_open (EntsecVault *vault,
                  gboolean     always_ask)
{
  if (!entsec_app_vault_has_slot (vault, ENTSEC_VAULT_SLOT_KEYRING))
    return FALSE;
  return !always_ask || !entsec_app_vault_has_slot (vault, ENTSEC_VAULT_SLOT_PASSPHRASE);
}

static void
opening_thread (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  EntsecVaultOpening *self = source;
  EntsecVaultOpened *opened = g_new0 (EntsecVaultOpened, 1);

  /* The vault takes this thread's default context for its announcements:
   * no context is pushed here, so that is the global default one, which the
   * app's main thread runs. */
  opened->vault = entsec_vault_open_sync (self->path, cancellable, &opened->error);
  if (opened->vault != NULL && keyring_may_open (opened->vault, self->always_ask))
    {
      opened->keyring_tried = TRUE;
      if (entsec_vault_unlock_keyring_sync (opened->vault, cancellable, &opened->keyring_error))
        opened->enterprise = entsec_enterprise_snapshot_read (opened->vault, cancellable, NULL);
    }
  self->result = opened;
  g_atomic_int_set (&self->done, 1);
  g_task_return_boolean (task, TRUE);
}

/* Back on the main thread: a window that asked before the worker was done. */
static void
opening_finished (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  EntsecVaultOpening *self = ENTSEC_VAULT_OPENING (source);
  g_autoptr (GTask) waiter = g_steal_pointer (&self->waiter);

  if (waiter != NULL)
    {
      self->taken = TRUE;
      g_task_return_pointer (waiter, g_steal_pointer (&self->result),
                             (GDestroyNotify) entsec_vault_opened_free);
    }
}

EntsecVaultOpening *
entsec_vault_opening_new (const char *path,
                          gboolean    always_ask)
{
  EntsecVaultOpening *self = g_object_new (ENTSEC_TYPE_VAULT_OPENING, NULL);
  g_autoptr (GTask) task = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  self->path = g_strdup (path);
  self->always_ask = always_ask;
  task = g_task_new (self, NULL, opening_finished, NULL);
  g_task_set_source_tag (task, entsec_vault_opening_new);
  g_task_run_in_thread (task, opening_thread);
  return self;
}

gboolean
entsec_vault_opening_is_done (EntsecVaultOpening *self)
{
  g_return_val_if_fail (ENTSEC_IS_VAULT_OPENING (self), FALSE);
  return g_atomic_int_get (&self->done);
}

EntsecVaultOpened *
entsec_vault_opening_take (EntsecVaultOpening *self)
{
  g_return_val_if_fail (ENTSEC_IS_VAULT_OPENING (self), NULL);

  if (self->taken || !g_atomic_int_get (&self->done))
    return NULL;
  self->taken = TRUE;
  return g_steal_pointer (&self->result);
}

void
entsec_vault_opening_wait_async (EntsecVaultOpening *self,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (ENTSEC_IS_VAULT_OPENING (self));
  g_return_if_fail (self->waiter == NULL && !self->taken);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, entsec_vault_opening_wait_async);
  if (g_atomic_int_get (&self->done))
    {
      self->taken = TRUE;
      g_task_return_pointer (task, g_steal_pointer (&self->result),
                             (GDestroyNotify) entsec_vault_opened_free);
      return;
    }
  self->waiter = g_steal_pointer (&task);
}

EntsecVaultOpened *
entsec_vault_opening_wait_finish (EntsecVaultOpening *self,
                                  GAsyncResult       *result,
                                  GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
entsec_vault_opening_finalize (GObject *object)
{
  EntsecVaultOpening *self = ENTSEC_VAULT_OPENING (object);

  /* The worker's task holds a reference: it is done by now. */
  g_assert (self->waiter == NULL);
  g_clear_pointer (&self->result, entsec_vault_opened_free);
  g_free (self->path);
  G_OBJECT_CLASS (entsec_vault_opening_parent_class)->finalize (object);
}

static void
entsec_vault_opening_class_init (EntsecVaultOpeningClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = entsec_vault_opening_finalize;
}

static void
entsec_vault_opening_init (EntsecVaultOpening *self)
{
}
