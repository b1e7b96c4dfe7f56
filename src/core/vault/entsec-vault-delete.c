/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-vault-delete.c: deleting a vault and everything of it on this
 * computer (the file and SQLite's companions, its keyring items).
 *
 * The order keeps a crash harmless: the file is first set aside under a
 * name that holds the vault's id hash (".deleting-<hash>"), so from that
 * moment no program opens it as the vault any more, and the rest needs
 * nothing from the file; then the keyring items go (found by that hash),
 * then the set-aside file. entsec_vault_finish_delete_sync() does the rest
 * of a deletion cut short at any point.
 */

#define G_LOG_DOMAIN "entsec-vault"

#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gstdio.h>

#include "entsec-vault-private.h"

#define TOMBSTONE_INFIX ".deleting-"
/* entsec_vault_dup_id(): a SHA-256 in hex. */
#define VAULT_HASH_LEN 64

gboolean vault_testing_fail_delete;

static const char *const sqlite_suffixes[] = { "", "-wal", "-shm", "-journal" };

/* Unlink @file and SQLite's companions of it; a missing one is fine. */
static gboolean
remove_with_companions (const char *file,
                        GError    **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (sqlite_suffixes); i++)
    {
      g_autofree char *name = g_strconcat (file, sqlite_suffixes[i], NULL);
      int saved;

      if (g_unlink (name) == 0 || errno == ENOENT)
        continue;
      saved = errno;
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IO, "Cannot delete %s: %s",
                   name, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

/*
 * The keyring items of @hash, then the set-aside file @tombstone.
 * @keyring_required: FALSE when the vault had no keyring or PIN slot, so a
 * session without a keyring (ssh, a headless box) can finish without one.
 */
static gboolean
finish_tombstone (const char   *tombstone,
                  const char   *hash,
                  gboolean      keyring_required,
                  GCancellable *cancellable,
                  GError      **error)
{
  g_autoptr (GError) local = NULL;

  if (vault_keyring_clear_vault (hash, keyring_required, cancellable, &local)
      && remove_with_companions (tombstone, &local))
    return TRUE;
  g_set_error (error, local->domain, local->code,
               "The vault is deleted, but not all of it yet: %s. Nothing of it can be opened "
               "any more; run the deletion again to finish it", local->message);
  return FALSE;
}

/*
 * Close the vault's connection (SQLite checkpoints and removes the WAL), so
 * that nothing of this object ever writes a file by the vault's name again,
 * not even the WAL of a new vault made there later. An empty in-memory
 * database stands in, so that calls on the dead object fail instead of
 * crashing.
 */
static gboolean
close_connection (EntsecVault *vault,
                  GError     **error)
{
  sqlite3 *empty = NULL;

  if (sqlite3_open_v2 (":memory:", &empty, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK
      || sqlite3_close (vault->db) != SQLITE_OK)
    {
      sqlite3_close (empty);
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IN_USE,
                           "The vault is busy and cannot be closed: nothing was deleted; "
                           "try again when it is idle");
      return FALSE;
    }
  vault->db = empty;
  vault->read_only = SQLITE_READONLY;
  return TRUE;
}

/* Rename the vault file to @tombstone, then remove its old companions. */
static gboolean
set_aside (EntsecVault *vault,
           const char  *tombstone,
           GError     **error)
{
  int saved;

  if (g_rename (vault->path, tombstone) != 0)
    {
      saved = errno;
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IO,
                   "Cannot delete the vault file %s (%s): nothing was deleted. Check the "
                   "permissions of its folder", vault->path, g_strerror (saved));
      return FALSE;
    }
  /* The file is set aside: only its WAL and shared memory remain by its old name. */
  for (gsize i = 1; i < G_N_ELEMENTS (sqlite_suffixes); i++)
    {
      g_autofree char *name = g_strconcat (vault->path, sqlite_suffixes[i], NULL);

      g_unlink (name);
    }
  return TRUE;
}

/* Whether the vault has a slot whose secret is kept in the keyring. */
static gboolean
uses_keyring (EntsecVault *vault)
{
  for (guint i = 0; i < vault->slots->len; i++)
    {
      const VaultSlot *slot = g_ptr_array_index (vault->slots, i);

      if (slot->type == ENTSEC_VAULT_SLOT_KEYRING || slot->type == ENTSEC_VAULT_SLOT_PIN)
        return TRUE;
    }
  return FALSE;
}

gboolean
entsec_vault_delete_sync (EntsecVault  *vault,
                          GCancellable *cancellable,
                          GError      **error)
{
  g_autoptr (VaultOp) op = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *tombstone = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  entsec_vault_lock_sync (vault);
  op = vault_op_begin (vault);
  if (!vault_check_file (vault, error))
    return FALSE;
  hash = entsec_vault_dup_id (vault);
  tombstone = g_strconcat (vault->path, TOMBSTONE_INFIX, hash, NULL);
  if (!close_connection (vault, error) || !set_aside (vault, tombstone, error))
    return FALSE;
  if (vault_testing_fail_delete)
    {
      vault_testing_fail_delete = FALSE;
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IO,
                           "Cannot finish deleting the vault (a failure injected by a test)");
      return FALSE;
    }
  /* Past this point the deletion goes on even when cancelled: it can only be finished. */
  return finish_tombstone (tombstone, hash, uses_keyring (vault), NULL, error);
}

/* The id hash in @name when it is "<base>.deleting-<hash>", else NULL. */
static const char *
tombstone_hash (const char *name,
                const char *base)
{
  gsize base_len = strlen (base);
  const char *hash;

  if (strncmp (name, base, base_len) != 0 || !g_str_has_prefix (name + base_len, TOMBSTONE_INFIX))
    return NULL;
  hash = name + base_len + strlen (TOMBSTONE_INFIX);
  if (strlen (hash) != VAULT_HASH_LEN)
    return NULL;
  for (const char *c = hash; *c != '\0'; c++)
    {
      if (!g_ascii_isxdigit (*c) || g_ascii_isupper (*c))
        return NULL;
    }
  return hash;
}

gboolean
entsec_vault_finish_delete_sync (const char   *path,
                                 guint        *n_finished,
                                 GCancellable *cancellable,
                                 GError      **error)
{
  g_autofree char *dir_name = NULL;
  g_autofree char *base = NULL;
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GError) local = NULL;
  const char *name;
  guint n = 0;

  g_return_val_if_fail (path != NULL, FALSE);

  dir_name = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  dir = g_dir_open (dir_name, 0, &local);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      const char *hash = tombstone_hash (name, base);
      g_autofree char *tombstone = NULL;

      if (hash == NULL)
        continue;
      tombstone = g_build_filename (dir_name, name, NULL);
      if (!finish_tombstone (tombstone, hash, TRUE, cancellable, error))
        return FALSE;
      n++;
    }
  if (n_finished != NULL)
    *n_finished = n;
  /* No folder: nothing was left there. */
  return TRUE;
}

static void
delete_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;

  if (entsec_vault_delete_sync (source, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
entsec_vault_delete_async (EntsecVault        *vault,
                           GCancellable       *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (ENTSEC_IS_VAULT (vault));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  task = vault_task_new (vault, cancellable, callback, user_data);
  g_task_set_source_tag (task, entsec_vault_delete_async);
  /* Once started it finishes: a half-deleted vault is worse than either. */
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, delete_thread);
}

gboolean
entsec_vault_delete_finish (EntsecVault  *vault,
                            GAsyncResult *result,
                            GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, vault), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
