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

static void
return_boolean (GTask   *task,
                gboolean ok,
                GError  *error)
{
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
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
  EntsecVaultKdfParams  kdf;
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
                                    d->passphrase != NULL ? (const char *) d->passphrase->data : NULL,
                                    d->passphrase != NULL ? d->passphrase->len : 0,
                                    d->has_kdf ? &d->kdf : NULL, cancellable, &error);
  if (vault != NULL)
    g_task_return_pointer (task, vault, g_object_unref);
  else
    g_task_return_error (task, error);
}

void
entsec_vault_create_async (const char                 *path,
                           gboolean                    use_keyring,
                           const char                 *passphrase,
                           gsize                       passphrase_len,
                           const EntsecVaultKdfParams *kdf,
                           GCancellable               *cancellable,
                           GAsyncReadyCallback         callback,
                           gpointer                    user_data)
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
                  error);
}

void
entsec_vault_update_account_async (EntsecVault         *vault,
                                   const EntsecAccount *account,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (vault, cancellable, callback, user_data);

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

static void
delete_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;
  gint64 id = *(gint64 *) task_data;

  return_boolean (task, entsec_vault_delete_account_sync (source, id, cancellable, &error), error);
}

void
entsec_vault_delete_account_async (EntsecVault        *vault,
                                   gint64              id,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (vault, cancellable, callback, user_data);

  g_task_set_source_tag (task, entsec_vault_delete_account_async);
  g_task_set_task_data (task, g_memdup2 (&id, sizeof id), g_free);
  g_task_run_in_thread (task, delete_thread);
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

static void
hotp_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  gint64 id = *(gint64 *) task_data;
  char *code = g_malloc0 (ENTSEC_OTP_CODE_SIZE);

  if (entsec_vault_next_hotp_code_sync (source, id, code, cancellable, &error))
    g_task_return_pointer (task, code, wipe_code);
  else
    {
      wipe_code (code);
      g_task_return_error (task, error);
    }
}

void
entsec_vault_next_hotp_code_async (EntsecVault        *vault,
                                   gint64              id,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (vault, cancellable, callback, user_data);

  g_task_set_source_tag (task, entsec_vault_next_hotp_code_async);
  g_task_set_task_data (task, g_memdup2 (&id, sizeof id), g_free);
  g_task_run_in_thread (task, hotp_thread);
}

gboolean
entsec_vault_next_hotp_code_finish (EntsecVault  *vault,
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
                  error);
}

void
entsec_vault_change_passphrase_async (EntsecVault                *vault,
                                      const char                 *passphrase,
                                      gsize                       passphrase_len,
                                      const EntsecVaultKdfParams *kdf,
                                      GCancellable               *cancellable,
                                      GAsyncReadyCallback         callback,
                                      gpointer                    user_data)
{
  g_autoptr (GTask) task = g_task_new (vault, cancellable, callback, user_data);
  CreateData *data = g_new0 (CreateData, 1);

  data->passphrase = entsec_secure_bytes_new_copy ((const guint8 *) passphrase, passphrase_len);
  data->has_kdf = kdf != NULL;
  if (kdf != NULL)
    data->kdf = *kdf;
  g_task_set_source_tag (task, entsec_vault_change_passphrase_async);
  g_task_set_task_data (task, data, (GDestroyNotify) create_data_free);
  g_task_run_in_thread (task, passwd_thread);
}

gboolean
entsec_vault_change_passphrase_finish (EntsecVault  *vault,
                                       GAsyncResult *result,
                                       GError      **error)
{
  return finish_boolean (vault, result, error);
}
