/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-vault-async.c: _async/_finish pairs for the UI. Each runs the _sync
 * call in a GTask worker thread on copies of its arguments; the vault's
 * mutex serialises them with any other call.
 */

#define G_LOG_DOMAIN "entsec-vault"

#include "config.h"

#include <string.h>

#include <openssl/crypto.h>

#include "entsec-vault-private.h"

/*
 * @error is read only after @ok was computed: C leaves the order of argument
 * evaluation open, so passing the GError itself could pass it before the
 * call that sets it.
 */
static void
return_boolean (GTask   *task,
                gboolean ok,
                GError **error)
{
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, *error);
}

static gboolean
finish_boolean (gpointer      source,
                GAsyncResult *result,
                GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, source), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* ---- create / open -------------------------------------------------------- */

typedef struct
{
  char                 *path;
  gboolean              use_keyring;
  EntsecSecureBytes    *passphrase; /* NULL: no passphrase slot */
  gboolean              has_kdf;
  EntsecKdfParams kdf;
} CreateData;

static void
create_data_free (CreateData *data)
{
  g_free (data->path);
  entsec_secure_bytes_free (data->passphrase);
  g_free (data);
}

static void
create_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  CreateData *d = task_data;
  GError *error = NULL;
  EntsecVault *vault;

  vault = entsec_vault_create_sync (d->path, d->use_keyring,
                                    d->passphrase != NULL ? (const char *) d->passphrase->data
                                                          : NULL,
                                    d->passphrase != NULL ? d->passphrase->len : 0,
                                    d->has_kdf ? &d->kdf : NULL, cancellable, &error);
  /* It reports its changes where _async was called, not in this worker. */
  if (vault != NULL)
    vault_set_context (vault, g_task_get_context (task));
  if (vault != NULL)
    g_task_return_pointer (task, vault, g_object_unref);
  else
    g_task_return_error (task, error);
}

void
entsec_vault_create_async (const char            *path,
                           gboolean               use_keyring,
                           const char            *passphrase,
                           gsize                  passphrase_len,
                           const EntsecKdfParams *kdf,
                           GCancellable          *cancellable,
                           GAsyncReadyCallback    callback,
                           gpointer               user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  CreateData *data = g_new0 (CreateData, 1);

  data->path = g_strdup (path);
  data->use_keyring = use_keyring;
  if (passphrase != NULL)
    data->passphrase = entsec_secure_bytes_new_copy ((const guint8 *) passphrase, passphrase_len);
  data->has_kdf = kdf != NULL;
  if (kdf != NULL)
    data->kdf = *kdf;
  g_task_set_source_tag (task, entsec_vault_create_async);
  g_task_set_task_data (task, data, (GDestroyNotify) create_data_free);
  g_task_run_in_thread (task, create_thread);
}

EntsecVault *
entsec_vault_create_finish (GAsyncResult *result,
                            GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
open_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  EntsecVault *vault = entsec_vault_open_sync (task_data, cancellable, &error);

  if (vault != NULL)
    vault_set_context (vault, g_task_get_context (task));
  if (vault != NULL)
    g_task_return_pointer (task, vault, g_object_unref);
  else
    g_task_return_error (task, error);
}

void
entsec_vault_open_async (const char         *path,
                         GCancellable       *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, entsec_vault_open_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, open_thread);
}

EntsecVault *
entsec_vault_open_finish (GAsyncResult *result,
                          GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- accounts ------------------------------------------------------------- */

static void
update_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;

  return_boolean (task, entsec_vault_update_account_sync (source, task_data, cancellable, &error),
                  &error);
}

void
entsec_vault_update_account_async (EntsecVault         *vault,
                                   const EntsecAccount *account,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr (GTask) task = vault_task_new (vault, cancellable, callback, user_data);

  g_task_set_source_tag (task, entsec_vault_update_account_async);
  g_task_set_task_data (task, entsec_account_copy (account), vault_account_wipe_free);
  g_task_run_in_thread (task, update_thread);
}

gboolean
entsec_vault_update_account_finish (EntsecVault  *vault,
                                    GAsyncResult *result,
                                    GError      **error)
{
  return finish_boolean (vault, result, error);
}

/* Run @thread with a copy of the row or slot @id as its task data. */
static void
run_id_task (EntsecVault        *vault,
             gint64              id,
             GCancellable       *cancellable,
             GAsyncReadyCallback callback,
             gpointer            user_data,
             gpointer            source_tag,
             GTaskThreadFunc     thread)
{
  vault_task_run (vault, cancellable, callback, user_data, source_tag,
                  g_memdup2 (&id, sizeof id), g_free, thread);
}

static void
delete_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;
  gint64 id = *(gint64 *) task_data;

  return_boolean (task, entsec_vault_delete_account_sync (source, id, cancellable, &error), &error);
}

void
entsec_vault_delete_account_async (EntsecVault        *vault,
                                   gint64              id,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  run_id_task (vault, id, cancellable, callback, user_data,
               entsec_vault_delete_account_async, delete_thread);
}

gboolean
entsec_vault_delete_account_finish (EntsecVault  *vault,
                                    GAsyncResult *result,
                                    GError      **error)
{
  return finish_boolean (vault, result, error);
}

static void
wipe_code (gpointer code)
{
  OPENSSL_cleanse (code, ENTSEC_OTP_CODE_SIZE);
  g_free (code);
}

/* Which code: the account and the time. */
typedef struct
{
  gint64 id;
  gint64 now;
} CodeRequest;

static void
code_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  CodeRequest *request = task_data;
  char *code = g_malloc0 (ENTSEC_OTP_CODE_SIZE);

  if (entsec_vault_compute_code_sync (source, request->id, request->now, code, cancellable,
                                      &error))
    g_task_return_pointer (task, code, wipe_code);
  else
    {
      wipe_code (code);
      g_task_return_error (task, error);
    }
}

void
entsec_vault_compute_code_async (EntsecVault        *vault,
                                 gint64              id,
                                 gint64              now,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  CodeRequest *request;

  g_return_if_fail (ENTSEC_IS_VAULT (vault));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  task = vault_task_new (vault, cancellable, callback, user_data);
  request = g_new0 (CodeRequest, 1);
  request->id = id;
  request->now = now;
  g_task_set_source_tag (task, entsec_vault_compute_code_async);
  g_task_set_task_data (task, request, g_free);
  g_task_run_in_thread (task, code_thread);
}

gboolean
entsec_vault_compute_code_finish (EntsecVault  *vault,
                                    GAsyncResult *result,
                                    char          code[ENTSEC_OTP_CODE_SIZE],
                                    GError      **error)
{
  char *value;

  g_return_val_if_fail (g_task_is_valid (result, vault), FALSE);
  value = g_task_propagate_pointer (G_TASK (result), error);
  if (value == NULL)
    return FALSE;
  memcpy (code, value, ENTSEC_OTP_CODE_SIZE);
  wipe_code (value);
  return TRUE;
}

/* ---- passphrase ----------------------------------------------------------- */

/* Run @thread on a wiped copy of @passphrase and the optional KDF costs. */
static void
run_passphrase_task (EntsecVault           *vault,
                     const char            *passphrase,
                     gsize                  passphrase_len,
                     const EntsecKdfParams *kdf,
                     GCancellable          *cancellable,
                     GAsyncReadyCallback    callback,
                     gpointer               user_data,
                     gpointer               source_tag,
                     GTaskThreadFunc        thread)
{
  g_autoptr (GTask) task = vault_task_new (vault, cancellable, callback, user_data);
  CreateData *data = g_new0 (CreateData, 1);

  data->passphrase = entsec_secure_bytes_new_copy ((const guint8 *) passphrase, passphrase_len);
  data->has_kdf = kdf != NULL;
  if (kdf != NULL)
    data->kdf = *kdf;
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, data, (GDestroyNotify) create_data_free);
  g_task_run_in_thread (task, thread);
}

static void
passwd_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  CreateData *d = task_data;
  GError *error = NULL;

  return_boolean (task,
                  entsec_vault_change_passphrase_sync (source, (const char *) d->passphrase->data,
                                                       d->passphrase->len,
                                                       d->has_kdf ? &d->kdf : NULL, cancellable,
                                                       &error),
                  &error);
}

void
entsec_vault_change_passphrase_async (EntsecVault           *vault,
                                      const char            *passphrase,
                                      gsize                  passphrase_len,
                                      const EntsecKdfParams *kdf,
                                      GCancellable          *cancellable,
                                      GAsyncReadyCallback    callback,
                                      gpointer               user_data)
{
  run_passphrase_task (vault, passphrase, passphrase_len, kdf, cancellable, callback, user_data,
                       entsec_vault_change_passphrase_async, passwd_thread);
}

gboolean
entsec_vault_change_passphrase_finish (EntsecVault  *vault,
                                       GAsyncResult *result,
                                       GError      **error)
{
  return finish_boolean (vault, result, error);
}

/* ---- one id (reorder takes an array) --------------------------------------- */

typedef struct
{
  gint64 *ids;
  gsize   n_ids;
} IdsData;

static void
ids_data_free (IdsData *data)
{
  g_free (data->ids);
  g_free (data);
}

static void
reorder_thread (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  IdsData *d = task_data;
  GError *error = NULL;

  return_boolean (task, entsec_vault_reorder_sync (source, d->ids, d->n_ids, cancellable, &error),
                  &error);
}

void
entsec_vault_reorder_async (EntsecVault        *vault,
                            const gint64       *ids,
                            gsize               n_ids,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  g_autoptr (GTask) task = vault_task_new (vault, cancellable, callback, user_data);
  IdsData *data = g_new0 (IdsData, 1);

  data->ids = g_memdup2 (ids, n_ids * sizeof *ids);
  data->n_ids = n_ids;
  g_task_set_source_tag (task, entsec_vault_reorder_async);
  g_task_set_task_data (task, data, (GDestroyNotify) ids_data_free);
  g_task_run_in_thread (task, reorder_thread);
}

gboolean
entsec_vault_reorder_finish (EntsecVault  *vault,
                             GAsyncResult *result,
                             GError      **error)
{
  return finish_boolean (vault, result, error);
}

/* ---- preferences ---------------------------------------------------------- */

typedef struct
{
  char     *name;  /* wiped: names are encrypted in the file */
  GVariant *value; /* set only */
} PrefData;

static void
pref_data_free (PrefData *data)
{
  entsec_secure_strfree (data->name);
  g_clear_pointer (&data->value, g_variant_unref);
  g_free (data);
}

static GTask *
pref_task_new (EntsecVault        *vault,
               const char         *name,
               GVariant           *value,
               gpointer            source_tag,
               GCancellable       *cancellable,
               GAsyncReadyCallback callback,
               gpointer            user_data)
{
  GTask *task = vault_task_new (vault, cancellable, callback, user_data);
  PrefData *data = g_new0 (PrefData, 1);

  data->name = g_strdup (name);
  data->value = value != NULL ? g_variant_ref_sink (value) : NULL;
  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, data, (GDestroyNotify) pref_data_free);
  return task;
}

static void
set_pref_thread (GTask        *task,
                 gpointer      source,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  PrefData *d = task_data;
  GError *error = NULL;

  return_boolean (task, entsec_vault_set_pref_sync (source, d->name, d->value, cancellable, &error),
                  &error);
}

void
entsec_vault_set_pref_async (EntsecVault        *vault,
                             const char         *name,
                             GVariant           *value,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (name != NULL && value != NULL);
  task = pref_task_new (vault, name, value, entsec_vault_set_pref_async, cancellable, callback,
                        user_data);
  g_task_run_in_thread (task, set_pref_thread);
}

gboolean
entsec_vault_set_pref_finish (EntsecVault  *vault,
                              GAsyncResult *result,
                              GError      **error)
{
  return finish_boolean (vault, result, error);
}

static void
get_pref_thread (GTask        *task,
                 gpointer      source,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  PrefData *d = task_data;
  GError *error = NULL;
  GVariant *value = entsec_vault_get_pref_sync (source, d->name, cancellable, &error);

  /* Not set: NULL without an error, as from the _sync call. */
  if (error == NULL)
    g_task_return_pointer (task, value, (GDestroyNotify) g_variant_unref);
  else
    g_task_return_error (task, error);
}

void
entsec_vault_get_pref_async (EntsecVault        *vault,
                             const char         *name,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (name != NULL);
  task = pref_task_new (vault, name, NULL, entsec_vault_get_pref_async, cancellable, callback,
                        user_data);
  g_task_run_in_thread (task, get_pref_thread);
}

GVariant *
entsec_vault_get_pref_finish (EntsecVault  *vault,
                              GAsyncResult *result,
                              GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, vault), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
remove_pref_thread (GTask        *task,
                    gpointer      source,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  PrefData *d = task_data;
  GError *error = NULL;

  return_boolean (task, entsec_vault_remove_pref_sync (source, d->name, cancellable, &error),
                  &error);
}

void
entsec_vault_remove_pref_async (EntsecVault        *vault,
                                const char         *name,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (name != NULL);
  task = pref_task_new (vault, name, NULL, entsec_vault_remove_pref_async, cancellable, callback,
                        user_data);
  g_task_run_in_thread (task, remove_pref_thread);
}

gboolean
entsec_vault_remove_pref_finish (EntsecVault  *vault,
                                 GAsyncResult *result,
                                 GError      **error)
{
  return finish_boolean (vault, result, error);
}

/* ---- slots ---------------------------------------------------------------- */

static void
add_keyring_thread (GTask        *task,
                    gpointer      source,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  GError *error = NULL;

  return_boolean (task, entsec_vault_add_keyring_slot_sync (source, cancellable, &error), &error);
}

void
entsec_vault_add_keyring_slot_async (EntsecVault        *vault,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data)
{
  g_autoptr (GTask) task = vault_task_new (vault, cancellable, callback, user_data);

  g_task_set_source_tag (task, entsec_vault_add_keyring_slot_async);
  g_task_run_in_thread (task, add_keyring_thread);
}

gboolean
entsec_vault_add_keyring_slot_finish (EntsecVault  *vault,
                                      GAsyncResult *result,
                                      GError      **error)
{
  return finish_boolean (vault, result, error);
}

static void
add_passphrase_thread (GTask        *task,
                       gpointer      source,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  CreateData *d = task_data;
  GError *error = NULL;

  return_boolean (task,
                  entsec_vault_add_passphrase_slot_sync (source, (const char *) d->passphrase->data,
                                                         d->passphrase->len,
                                                         d->has_kdf ? &d->kdf : NULL, cancellable,
                                                         &error),
                  &error);
}

void
entsec_vault_add_passphrase_slot_async (EntsecVault           *vault,
                                        const char            *passphrase,
                                        gsize                  passphrase_len,
                                        const EntsecKdfParams *kdf,
                                        GCancellable          *cancellable,
                                        GAsyncReadyCallback    callback,
                                        gpointer               user_data)
{
  run_passphrase_task (vault, passphrase, passphrase_len, kdf, cancellable, callback, user_data,
                       entsec_vault_add_passphrase_slot_async, add_passphrase_thread);
}

gboolean
entsec_vault_add_passphrase_slot_finish (EntsecVault  *vault,
                                         GAsyncResult *result,
                                         GError      **error)
{
  return finish_boolean (vault, result, error);
}

static void
add_recovery_thread (GTask        *task,
                     gpointer      source,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  GError *error = NULL;
  char *key = entsec_vault_add_recovery_slot_sync (source, cancellable, &error);

  if (key != NULL)
    g_task_return_pointer (task, key, (GDestroyNotify) entsec_secure_strfree);
  else
    g_task_return_error (task, error);
}

void
entsec_vault_add_recovery_slot_async (EntsecVault        *vault,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data)
{
  g_autoptr (GTask) task = vault_task_new (vault, cancellable, callback, user_data);

  g_task_set_source_tag (task, entsec_vault_add_recovery_slot_async);
  g_task_run_in_thread (task, add_recovery_thread);
}

char *
entsec_vault_add_recovery_slot_finish (EntsecVault  *vault,
                                       GAsyncResult *result,
                                       GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, vault), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
remove_slot_thread (GTask        *task,
                    gpointer      source,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  GError *error = NULL;
  gint64 id = *(gint64 *) task_data;

  return_boolean (task, entsec_vault_remove_slot_sync (source, id, cancellable, &error), &error);
}

void
entsec_vault_remove_slot_async (EntsecVault        *vault,
                                gint64              slot_id,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  run_id_task (vault, slot_id, cancellable, callback, user_data,
               entsec_vault_remove_slot_async, remove_slot_thread);
}

gboolean
entsec_vault_remove_slot_finish (EntsecVault  *vault,
                                 GAsyncResult *result,
                                 GError      **error)
{
  return finish_boolean (vault, result, error);
}

static void
check_keyring_thread (GTask        *task,
                      gpointer      source,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  GError *error = NULL;
  gint64 id = *(gint64 *) task_data;
  EntsecVaultKeyringStatus status = ENTSEC_VAULT_KEYRING_OK;

  if (entsec_vault_check_keyring_slot_sync (source, id, &status, cancellable, &error))
    g_task_return_int (task, status);
  else
    g_task_return_error (task, error);
}

void
entsec_vault_check_keyring_slot_async (EntsecVault        *vault,
                                       gint64              slot_id,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data)
{
  run_id_task (vault, slot_id, cancellable, callback, user_data,
               entsec_vault_check_keyring_slot_async, check_keyring_thread);
}

gboolean
entsec_vault_check_keyring_slot_finish (EntsecVault              *vault,
                                        GAsyncResult             *result,
                                        EntsecVaultKeyringStatus *status,
                                        GError                  **error)
{
  gssize value;

  g_return_val_if_fail (g_task_is_valid (result, vault), FALSE);
  value = g_task_propagate_int (G_TASK (result), error);
  if (value < 0)
    return FALSE;
  *status = (EntsecVaultKeyringStatus) value;
  return TRUE;
}

/* ---- unlock with a recovery key, lock, calibrate -------------------------- */

static void
unlock_recovery_thread (GTask        *task,
                        gpointer      source,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  GError *error = NULL;

  return_boolean (task, entsec_vault_unlock_recovery_sync (source, task_data, cancellable, &error),
                  &error);
}

void
entsec_vault_unlock_recovery_async (EntsecVault        *vault,
                                    const char         *recovery_key,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (recovery_key != NULL);
  task = vault_task_new (vault, cancellable, callback, user_data);
  g_task_set_source_tag (task, entsec_vault_unlock_recovery_async);
  g_task_set_task_data (task, g_strdup (recovery_key), (GDestroyNotify) entsec_secure_strfree);
  g_task_run_in_thread (task, unlock_recovery_thread);
}

gboolean
entsec_vault_unlock_recovery_finish (EntsecVault  *vault,
                                     GAsyncResult *result,
                                     GError      **error)
{
  return finish_boolean (vault, result, error);
}

static void
lock_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  entsec_vault_lock_sync (source);
  g_task_return_boolean (task, TRUE);
}

void
entsec_vault_lock_async (EntsecVault        *vault,
                         GCancellable       *cancellable,
                         GAsyncReadyCallback callback,
                         gpointer            user_data)
{
  g_autoptr (GTask) task = vault_task_new (vault, cancellable, callback, user_data);

  g_task_set_source_tag (task, entsec_vault_lock_async);
  /* Locking must happen even when the caller cancels. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_run_in_thread (task, lock_thread);
}

gboolean
entsec_vault_lock_finish (EntsecVault  *vault,
                          GAsyncResult *result,
                          GError      **error)
{
  return finish_boolean (vault, result, error);
}

static void
calibrate_thread (GTask        *task,
                  gpointer      source,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  GError *error = NULL;
  EntsecKdfParams *params = g_new0 (EntsecKdfParams, 1);

  if (entsec_vault_calibrate_kdf_sync (GPOINTER_TO_UINT (task_data), params, &error))
    g_task_return_pointer (task, params, g_free);
  else
    {
      g_free (params);
      g_task_return_error (task, error);
    }
}

void
entsec_vault_calibrate_kdf_async (guint               target_ms,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, entsec_vault_calibrate_kdf_async);
  g_task_set_task_data (task, GUINT_TO_POINTER (target_ms), NULL);
  g_task_run_in_thread (task, calibrate_thread);
}

gboolean
entsec_vault_calibrate_kdf_finish (GAsyncResult    *result,
                                   EntsecKdfParams *params,
                                   GError         **error)
{
  g_autofree EntsecKdfParams *value = NULL;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  value = g_task_propagate_pointer (G_TASK (result), error);
  if (value == NULL)
    return FALSE;
  *params = *value;
  return TRUE;
}

/* ---- one account with its secret ------------------------------------------ */

static void
get_account_thread (GTask        *task,
                    gpointer      source,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  GError *error = NULL;
  EntsecAccount *account = entsec_vault_get_account_sync (source, *(gint64 *) task_data,
                                                          cancellable, &error);

  if (account != NULL)
    g_task_return_pointer (task, account, vault_account_wipe_free);
  else
    g_task_return_error (task, error);
}

void
entsec_vault_get_account_async (EntsecVault        *vault,
                                gint64              id,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_return_if_fail (ENTSEC_IS_VAULT (vault));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  run_id_task (vault, id, cancellable, callback, user_data, entsec_vault_get_account_async,
               get_account_thread);
}

EntsecAccount *
entsec_vault_get_account_finish (EntsecVault  *vault,
                                 GAsyncResult *result,
                                 GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, vault), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
