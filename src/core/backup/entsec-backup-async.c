/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-backup-async.c: the blocking backup calls as GTask pairs, so the
 * UI never waits on a key derivation or an fsync. Workers get copies; the
 * passphrase copy is wiped when the task is done.
 */

#define G_LOG_DOMAIN "entsec-backup"

#include "config.h"

#include "backup-private.h"

typedef struct
{
  GPtrArray            *accounts;
  GBytes               *data;
  char                 *passphrase; /* NULL or @passphrase_len bytes + NUL */
  gsize                 passphrase_len;
  EntsecKdfParams kdf;
  gboolean              has_kdf;
  char                 *path;
} BackupTask;

static void
backup_task_free (BackupTask *task)
{
  g_clear_pointer (&task->accounts, g_ptr_array_unref);
  g_clear_pointer (&task->data, g_bytes_unref);
  if (task->passphrase != NULL)
    entsec_secure_free (task->passphrase, task->passphrase_len + 1);
  g_free (task->path);
  g_free (task);
}

static BackupTask *
backup_task_new (const char *passphrase,
                 gsize       passphrase_len)
{
  BackupTask *task = g_new0 (BackupTask, 1);

  if (passphrase != NULL)
    {
      task->passphrase = g_malloc (passphrase_len + 1);
      memcpy (task->passphrase, passphrase, passphrase_len);
      task->passphrase[passphrase_len] = '\0';
      task->passphrase_len = passphrase_len;
    }
  return task;
}

static GTask *
start_task (gpointer            source_tag,
            BackupTask         *data,
            GCancellable       *cancellable,
            GAsyncReadyCallback callback,
            gpointer            user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, data, (GDestroyNotify) backup_task_free);
  return task;
}

static GPtrArray *
copy_accounts (GPtrArray *accounts)
{
  GPtrArray *copy = g_ptr_array_new_full (accounts->len, (GDestroyNotify) entsec_account_free);

  for (guint i = 0; i < accounts->len; i++)
    g_ptr_array_add (copy, entsec_account_copy (g_ptr_array_index (accounts, i)));
  return copy;
}

/* ---- export --------------------------------------------------------------- */

static void
export_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  BackupTask *data = task_data;
  GBytes *out = NULL;
  GError *error = NULL;

  if (entsec_backup_export_sync (data->accounts, data->passphrase, data->passphrase_len,
                                 data->has_kdf ? &data->kdf : NULL, &out, cancellable, &error))
    g_task_return_pointer (task, out, (GDestroyNotify) g_bytes_unref);
  else
    g_task_return_error (task, error);
}

void
entsec_backup_export_async (GPtrArray             *accounts,
                            const char            *passphrase,
                            gsize                  passphrase_len,
                            const EntsecKdfParams *kdf,
                            GCancellable          *cancellable,
                            GAsyncReadyCallback    callback,
                            gpointer               user_data)
{
  BackupTask *data;
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (accounts != NULL);
  g_return_if_fail (passphrase != NULL || passphrase_len == 0);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  data = backup_task_new (passphrase != NULL ? passphrase : "", passphrase_len);
  data->accounts = copy_accounts (accounts);
  data->has_kdf = kdf != NULL;
  if (kdf != NULL)
    data->kdf = *kdf;
  task = start_task (entsec_backup_export_async, data, cancellable, callback, user_data);
  g_task_run_in_thread (task, export_thread);
}

GBytes *
entsec_backup_export_finish (GAsyncResult *result,
                             GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == entsec_backup_export_async,
                        NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- import --------------------------------------------------------------- */

static void
import_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  BackupTask *data = task_data;
  GPtrArray *accounts = NULL;
  GError *error = NULL;

  if (entsec_backup_import_sync (data->data, data->passphrase, data->passphrase_len, &accounts,
                                 cancellable, &error))
    g_task_return_pointer (task, accounts, (GDestroyNotify) g_ptr_array_unref);
  else
    g_task_return_error (task, error);
}

void
entsec_backup_import_async (GBytes             *data,
                            const char         *passphrase,
                            gsize               passphrase_len,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  BackupTask *task_data;
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (data != NULL);
  g_return_if_fail (passphrase != NULL || passphrase_len == 0);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task_data = backup_task_new (passphrase != NULL ? passphrase : "", passphrase_len);
  task_data->data = g_bytes_ref (data);
  task = start_task (entsec_backup_import_async, task_data, cancellable, callback, user_data);
  g_task_run_in_thread (task, import_thread);
}

GPtrArray *
entsec_backup_import_finish (GAsyncResult *result,
                             GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == entsec_backup_import_async,
                        NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- Aegis ---------------------------------------------------------------- */

static void
aegis_thread (GTask        *task,
              gpointer      source,
              gpointer      task_data,
              GCancellable *cancellable)
{
  BackupTask *data = task_data;
  GError *error = NULL;
  EntsecImportResult *result;

  result = entsec_aegis_import_sync (data->data, data->passphrase, data->passphrase_len,
                                     cancellable, &error);
  if (result != NULL)
    g_task_return_pointer (task, result, (GDestroyNotify) entsec_import_result_free);
  else
    g_task_return_error (task, error);
}

void
entsec_aegis_import_async (GBytes             *data,
                           const char         *password,
                           gsize               password_len,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  BackupTask *task_data;
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (data != NULL);
  g_return_if_fail (password != NULL || password_len == 0);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task_data = backup_task_new (password, password_len);
  task_data->data = g_bytes_ref (data);
  task = start_task (entsec_aegis_import_async, task_data, cancellable, callback, user_data);
  g_task_run_in_thread (task, aegis_thread);
}

EntsecImportResult *
entsec_aegis_import_finish (GAsyncResult *result,
                            GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == entsec_aegis_import_async,
                        NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- write ---------------------------------------------------------------- */

static void
write_thread (GTask        *task,
              gpointer      source,
              gpointer      task_data,
              GCancellable *cancellable)
{
  BackupTask *data = task_data;
  GError *error = NULL;

  if (entsec_backup_write_file_sync (data->path, data->data, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
entsec_backup_write_file_async (const char         *path,
                                GBytes             *data,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  BackupTask *task_data;
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (path != NULL);
  g_return_if_fail (data != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task_data = backup_task_new (NULL, 0);
  task_data->path = g_strdup (path);
  task_data->data = g_bytes_ref (data);
  task = start_task (entsec_backup_write_file_async, task_data, cancellable, callback, user_data);
  g_task_run_in_thread (task, write_thread);
}

gboolean
entsec_backup_write_file_finish (GAsyncResult *result,
                                 GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == entsec_backup_write_file_async,
                        FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
