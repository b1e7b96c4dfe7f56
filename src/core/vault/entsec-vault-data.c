/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-vault-data.c: accounts and preferences of an unlocked vault.
 *
 * The decrypted model in memory changes only after the transaction that
 * writes it has committed, so a failed write leaves both as they were.
 */

#define G_LOG_DOMAIN "entsec-vault"

#include "config.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "entsec-core-private.h"
#include "entsec-vault-private.h"

#define NAME_ID_SIZE 32

static void
id_key (gint64 id,
        guint8 out[8])
{
  for (guint i = 0; i < 8; i++)
    out[i] = (guint8) ((guint64) id >> (8 * (7 - i)));
}

/* ---- Loading -------------------------------------------------------------- */

static void
quarantine (EntsecVault *vault,
            gint64       id,
            const char  *reason)
{
  EntsecVaultQuarantined *item = g_new0 (EntsecVaultQuarantined, 1);

  item->id = id;
  item->reason = g_strdup (reason);
  g_ptr_array_add (vault->quarantined, item);
}

/* Format 2: a row loads only when the index lists it at exactly its version. */
static gboolean
account_listed (EntsecVault *vault,
                gint64       id,
                guint64      version)
{
  guint64 listed = 0;

  if (vault->index == NULL)
    return TRUE;
  if (!vault_index_get_account (vault->index, id, &listed))
    quarantine (vault, id, "the record is not in the vault's index: a deleted account was put "
                           "back, or the row was added outside entsec");
  else if (listed != version)
    quarantine (vault, id, "the record is not the version the vault's index lists: an older "
                           "copy was put back (rolled back)");
  else
    return TRUE;
  return FALSE;
}

static void
load_account (EntsecVault  *vault,
              sqlite3_stmt *stmt)
{
  gint64 id = sqlite3_column_int64 (stmt, 0);
  guint64 version = (guint64) sqlite3_column_int64 (stmt, 2);
  g_autoptr (EntsecSecureBytes) plain = NULL;
  g_autoptr (GError) error = NULL;
  EntsecAccount *account;
  guint8 key[8];

  if (!account_listed (vault, id, version))
    return;
  id_key (id, key);
  plain = vault_open_row (vault, "accounts", key, sizeof key, version,
                          sqlite3_column_blob (stmt, 3), (gsize) sqlite3_column_bytes (stmt, 3),
                          NULL);
  if (plain == NULL)
    {
      quarantine (vault, id, "the record does not decrypt: it was damaged or moved between rows");
      return;
    }
  account = vault_account_decode (plain->data, plain->len, &error);
  if (account == NULL)
    {
      quarantine (vault, id, error->message);
      return;
    }
  account->id = id;
  account->position = (gint) sqlite3_column_int64 (stmt, 1);
  g_ptr_array_add (vault->accounts, account);
}

static void name_id_with (const EntsecSecureBytes *names_key, const char *name,
                          guint8 out[NAME_ID_SIZE]);

static void
name_id (EntsecVault *vault,
         const char  *name,
         guint8       out[NAME_ID_SIZE])
{
  name_id_with (vault->names_key, name, out);
}

static void
load_pref (EntsecVault  *vault,
           sqlite3_stmt *stmt)
{
  const guint8 *stored_id = sqlite3_column_blob (stmt, 0);
  guint64 version = (guint64) sqlite3_column_int64 (stmt, 1);
  g_autoptr (EntsecSecureBytes) plain = NULL;
  g_autoptr (GVariant) value = NULL;
  guint8 expected[NAME_ID_SIZE];
  guint64 listed = 0;
  char *name = NULL;

  if (sqlite3_column_bytes (stmt, 0) != NAME_ID_SIZE)
    return;
  if (vault->index != NULL
      && (!vault_index_get_pref (vault->index, stored_id, &listed) || listed != version))
    {
      g_debug ("A preference row is not in the vault's index at its version; it is ignored");
      return;
    }
  plain = vault_open_row (vault, "prefs", stored_id, NAME_ID_SIZE, version,
                          sqlite3_column_blob (stmt, 2), (gsize) sqlite3_column_bytes (stmt, 2),
                          NULL);
  if (plain != NULL)
    value = vault_pref_decode (plain->data, plain->len, &name, NULL);
  if (value == NULL)
    {
      g_debug ("A preference record did not load; it is kept in the file untouched");
      return;
    }
  name_id (vault, name, expected);
  if (CRYPTO_memcmp (expected, stored_id, NAME_ID_SIZE) != 0)
    {
      entsec_secure_strfree (name);
      return;
    }
  g_hash_table_replace (vault->prefs, name, g_steal_pointer (&plain));
}

static gboolean
load_table (EntsecVault *vault,
            const char  *sql,
            void       (*load_row) (EntsecVault *, sqlite3_stmt *),
            GError     **error)
{
  sqlite3_stmt *stmt = vault_db_prepare (vault->db, sql, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  for (rc = sqlite3_step (stmt); rc == SQLITE_ROW; rc = sqlite3_step (stmt))
    load_row (vault, stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    {
      vault_db_set_error (vault->db, rc, "Cannot read the vault", error);
      return FALSE;
    }
  return TRUE;
}

static gint find_account (EntsecVault *vault, gint64 id);

/* Accounts the index lists that are not in the file at all: reported, never silent. */
static void
report_missing_accounts (EntsecVault *vault)
{
  g_autoptr (GHashTable) loaded = g_hash_table_new (g_int64_hash, g_int64_equal);
  GHashTableIter iter;
  gpointer key;

  /* A set, not a search per id: 10,000 accounts must not cost 10,000^2 steps. */
  for (guint i = 0; i < vault->accounts->len; i++)
    g_hash_table_add (loaded, &((EntsecAccount *) g_ptr_array_index (vault->accounts, i))->id);
  for (guint i = 0; i < vault->quarantined->len; i++)
    g_hash_table_add (loaded,
                      &((EntsecVaultQuarantined *) g_ptr_array_index (vault->quarantined, i))->id);
  g_hash_table_iter_init (&iter, vault->index->accounts);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      gint64 id = *(gint64 *) key;

      if (!g_hash_table_contains (loaded, &id))
        quarantine (vault, id, "the account is missing from the file: its row was deleted "
                               "outside entsec");
    }
}

/* The same for preferences (reported as one quarantined entry with id 0). */
static void
report_missing_prefs (EntsecVault *vault)
{
  sqlite3_stmt *stmt = vault_db_prepare (vault->db, "SELECT name_id FROM prefs", NULL);
  g_autoptr (GHashTable) present = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                                          (GDestroyNotify) g_bytes_unref, NULL);

  while (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    g_hash_table_add (present, g_bytes_new (sqlite3_column_blob (stmt, 0),
                                            (gsize) sqlite3_column_bytes (stmt, 0)));
  sqlite3_finalize (stmt);
  if (g_hash_table_size (present) >= g_hash_table_size (vault->index->prefs))
    {
      GHashTableIter iter;
      gpointer key;
      gboolean all = TRUE;

      g_hash_table_iter_init (&iter, vault->index->prefs);
      while (all && g_hash_table_iter_next (&iter, &key, NULL))
        all = g_hash_table_contains (present, key);
      if (all)
        return;
    }
  quarantine (vault, 0, "a preference the vault's index lists is missing from the file: its row "
                        "was deleted outside entsec");
}

gboolean
vault_load_rows (EntsecVault *vault,
                 GError     **error)
{
  gboolean v1 = vault->format < 2;

  vault_clear_rows (vault);
  vault->dirty = TRUE;
  if (!load_table (vault, v1 ? "SELECT id, position, 0, data FROM accounts ORDER BY position, id"
                             : "SELECT id, position, version, data FROM accounts "
                               "ORDER BY position, id",
                   load_account, error)
      || !load_table (vault, v1 ? "SELECT name_id, 0, data FROM prefs"
                                : "SELECT name_id, version, data FROM prefs",
                      load_pref, error))
    return FALSE;
  if (vault->index != NULL)
    {
      report_missing_accounts (vault);
      report_missing_prefs (vault);
    }
  return TRUE;
}

void
vault_clear_rows (EntsecVault *vault)
{
  vault->dirty = TRUE;
  g_ptr_array_set_size (vault->accounts, 0);
  g_ptr_array_set_size (vault->quarantined, 0);
  g_hash_table_remove_all (vault->prefs);
}

/* ---- Reading accounts ----------------------------------------------------- */

static gint
find_account (EntsecVault *vault,
              gint64       id)
{
  for (guint i = 0; i < vault->accounts->len; i++)
    {
      if (((EntsecAccount *) g_ptr_array_index (vault->accounts, i))->id == id)
        return (gint) i;
    }
  return -1;
}

static gboolean
no_account (gint64   id,
            GError **error)
{
  g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NO_ACCOUNT,
               "There is no account %" G_GINT64_FORMAT " (see 'entsec-cli list')", id);
  return FALSE;
}

/*
 * What every read of decrypted data starts with: cancellation, the operation
 * mutex (catching up with other programs) and LOCKED. NULL with @error set.
 */
static VaultOp *
begin_unlocked_read (EntsecVault  *vault,
                     GCancellable *cancellable,
                     GError      **error)
{
  VaultOp *op;

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  op = vault_op_begin (vault);
  if (!vault_check_unlocked (vault, error))
    {
      vault_op_end (op);
      return NULL;
    }
  return op;
}

EntsecAccount *
entsec_vault_get_account_sync (EntsecVault  *vault,
                               gint64        id,
                               GCancellable *cancellable,
                               GError      **error)
{
  g_autoptr (VaultOp) op = NULL;
  gint index;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  op = begin_unlocked_read (vault, cancellable, error);
  if (op == NULL)
    return NULL;
  index = find_account (vault, id);
  if (index < 0)
    {
      no_account (id, error);
      return NULL;
    }
  return entsec_account_copy (g_ptr_array_index (vault->accounts, index));
}

/* ---- Writing accounts ----------------------------------------------------- */

/* Longest notes field stored (the record decoder refuses fields over 1 MiB). */
#define MAX_NOTES_BYTES (64 * 1024)

/* What the account check does, plus the notes, which only the vault stores. */
static gboolean
validate_for_vault (const EntsecAccount *account,
                    GError             **error)
{
  if (!entsec_account_validate (account, error))
    return FALSE;
  if (account->notes != NULL
      && (strlen (account->notes) > MAX_NOTES_BYTES || !g_utf8_validate (account->notes, -1, NULL)))
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID,
                   "The notes must be UTF-8 text of at most %d bytes", MAX_NOTES_BYTES);
      return FALSE;
    }
  return TRUE;
}

/* Issuer and label, case-folded: what "the same account" means. */
static char *
duplicate_key (const EntsecAccount *account)
{
  g_autofree char *issuer = g_utf8_casefold (account->issuer != NULL ? account->issuer : "", -1);
  g_autofree char *label = g_utf8_casefold (account->label, -1);

  return g_strconcat (issuer, "\x1f", label, NULL);
}

static gboolean
is_duplicate_of_stored (EntsecVault         *vault,
                        const EntsecAccount *account,
                        gint64               except_id)
{
  g_autofree char *key = duplicate_key (account);

  for (guint i = 0; i < vault->accounts->len; i++)
    {
      EntsecAccount *other = g_ptr_array_index (vault->accounts, i);
      g_autofree char *other_key = NULL;

      if (other->id == except_id)
        continue;
      other_key = duplicate_key (other);
      if (strcmp (key, other_key) == 0)
        return TRUE;
    }
  return FALSE;
}

static gboolean
duplicate_error (const EntsecAccount *account,
                 GError             **error)
{
  g_autofree char *name = entsec_account_dup_display_name (account);

  g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_DUPLICATE,
               "An account %s exists already; nothing was changed. Rename one of them "
               "(issuer or label) to keep both", name);
  return FALSE;
}

/* Encrypt @account for row @id and write it (INSERT or UPDATE). */
static gboolean
write_account_row (EntsecVault         *vault,
                   const EntsecAccount *account,
                   gint64               id,
                   gboolean             insert,
                   GError             **error)
{
  g_autoptr (EntsecSecureBytes) plain = vault_account_encode (account);
  g_autoptr (GBytes) sealed = NULL;
  sqlite3_stmt *stmt;
  guint64 version = 0;
  guint8 key[8];
  gboolean ok;

  /* Every rewrite is a new version, so an older copy of the row no longer loads. */
  vault_index_get_account (vault->pending, id, &version);
  version++;
  id_key (id, key);
  sealed = vault_seal_row (vault, "accounts", key, sizeof key, version, plain->data, plain->len,
                           error);
  if (sealed == NULL)
    return FALSE;
  stmt = vault_db_prepare (vault->db,
                           insert ? "INSERT INTO accounts (position, data, version, id) "
                                    "VALUES (?, ?, ?, ?)"
                                  : "UPDATE accounts SET position = ?, data = ?, version = ? "
                                    "WHERE id = ?",
                           error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, account->position);
  sqlite3_bind_blob (stmt, 2, g_bytes_get_data (sealed, NULL), (int) g_bytes_get_size (sealed),
                     SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, (gint64) version);
  sqlite3_bind_int64 (stmt, 4, id);
  ok = vault_db_step_done (vault->db, stmt, "Cannot save the account", error);
  sqlite3_finalize (stmt);
  if (ok && sqlite3_changes (vault->db) != 1)
    return no_account (id, error);
  if (ok)
    vault_index_set_account (vault->pending, id, version);
  return ok;
}

static gint64
query_max (EntsecVault *vault,
           const char  *sql)
{
  sqlite3_stmt *stmt = vault_db_prepare (vault->db, sql, NULL);
  gint64 value = 0;

  if (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return value;
}

/* Validate each account and sort out duplicates; @keep gets what to add. */
static gboolean
screen_batch (EntsecVault        *vault,
              GPtrArray          *accounts,
              EntsecVaultAddFlags flags,
              GPtrArray          *keep,
              GPtrArray          *skipped,
              GError            **error)
{
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < accounts->len; i++)
    {
      EntsecAccount *account = g_ptr_array_index (accounts, i);
      g_autoptr (GError) local_error = NULL;
      char *key;

      if (!validate_for_vault (account, &local_error))
        {
          g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID,
                       "Account %u: %s; nothing was added", i + 1, local_error->message);
          return FALSE;
        }
      key = duplicate_key (account);
      if (is_duplicate_of_stored (vault, account, 0) || g_hash_table_contains (seen, key))
        {
          g_free (key);
          if (!(flags & ENTSEC_VAULT_ADD_SKIP_DUPLICATES))
            return duplicate_error (account, error);
          if (skipped != NULL)
            g_ptr_array_add (skipped, entsec_account_copy (account));
          continue;
        }
      g_hash_table_add (seen, key);
      g_ptr_array_add (keep, account);
    }
  return TRUE;
}

static gboolean
add_accounts_locked (EntsecVault        *vault,
                     GPtrArray          *accounts,
                     EntsecVaultAddFlags flags,
                     GArray             *added_ids,
                     GPtrArray          *skipped,
                     GCancellable       *cancellable,
                     GError            **error)
{
  g_autoptr (GPtrArray) keep = g_ptr_array_new ();
  gint64 next_id, next_position;

  /* Duplicates are looked for in what the file holds now, inside the write. */
  if (!vault_check_unlocked (vault, error) || !vault_begin_write (vault, error))
    return FALSE;
  if (!screen_batch (vault, accounts, flags, keep, skipped, error))
    {
      vault_db_rollback (vault->db);
      return FALSE;
    }
  /* Ids are never reused: the index remembers the next one past every deleted row. */
  next_id = MAX (vault->pending->next_id,
                 query_max (vault, "SELECT COALESCE(MAX(id), 0) FROM accounts") + 1);
  next_position = query_max (vault, "SELECT COALESCE(MAX(position), -1) FROM accounts") + 1;
  for (guint i = 0; i < keep->len; i++)
    {
      g_autoptr (EntsecAccount) copy = entsec_account_copy (g_ptr_array_index (keep, i));

      copy->position = (gint) (next_position + i);
      /* A long import stops between rows when cancelled; nothing is kept. */
      if (g_cancellable_set_error_if_cancelled (cancellable, error)
          || !write_account_row (vault, copy, next_id + i, TRUE, error))
        {
          vault_db_rollback (vault->db);
          return FALSE;
        }
    }
  if (!vault_commit (vault, error))
    return FALSE;
  for (guint i = 0; i < keep->len; i++)
    {
      EntsecAccount *copy = entsec_account_copy (g_ptr_array_index (keep, i));
      gint64 id = next_id + i;

      copy->id = id;
      copy->position = (gint) (next_position + i);
      g_ptr_array_add (vault->accounts, copy);
      g_array_append_val (added_ids, id);
    }
  return TRUE;
}

gboolean
entsec_vault_add_accounts_sync (EntsecVault        *vault,
                                GPtrArray          *accounts,
                                EntsecVaultAddFlags flags,
                                GArray            **added_ids,
                                GPtrArray         **skipped,
                                GCancellable       *cancellable,
                                GError            **error)
{
  g_autoptr (VaultOp) op = NULL;
  g_autoptr (GArray) ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GPtrArray) left_out = g_ptr_array_new_with_free_func (vault_account_wipe_free);

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (accounts != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  op = vault_op_begin (vault);
  if (!add_accounts_locked (vault, accounts, flags, ids, left_out, cancellable, error))
    return FALSE;
  if (added_ids != NULL)
    *added_ids = g_steal_pointer (&ids);
  if (skipped != NULL)
    *skipped = g_steal_pointer (&left_out);
  return TRUE;
}

typedef struct
{
  GPtrArray          *accounts; /* copies */
  EntsecVaultAddFlags flags;
  GArray             *added_ids;
  GPtrArray          *skipped;
} AddData;

static void
add_data_free (AddData *data)
{
  g_ptr_array_unref (data->accounts);
  g_clear_pointer (&data->added_ids, g_array_unref);
  g_clear_pointer (&data->skipped, g_ptr_array_unref);
  g_free (data);
}

static void
add_accounts_thread (GTask        *task,
                     gpointer      source,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  AddData *data = task_data;
  GError *error = NULL;

  if (entsec_vault_add_accounts_sync (source, data->accounts, data->flags, &data->added_ids,
                                      &data->skipped, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static gpointer
copy_account (gconstpointer account,
              gpointer      user_data)
{
  return entsec_account_copy (account);
}

void
entsec_vault_add_accounts_async (EntsecVault        *vault,
                                 GPtrArray          *accounts,
                                 EntsecVaultAddFlags flags,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  AddData *data;

  g_return_if_fail (ENTSEC_IS_VAULT (vault));
  g_return_if_fail (accounts != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  task = vault_task_new (vault, cancellable, callback, user_data);
  data = g_new0 (AddData, 1);
  /* The worker gets its own copies: the caller may change or free its array. */
  data->accounts = g_ptr_array_copy (accounts, copy_account, NULL);
  g_ptr_array_set_free_func (data->accounts, vault_account_wipe_free);
  data->flags = flags;
  g_task_set_source_tag (task, entsec_vault_add_accounts_async);
  g_task_set_task_data (task, data, (GDestroyNotify) add_data_free);
  g_task_run_in_thread (task, add_accounts_thread);
}

gboolean
entsec_vault_add_accounts_finish (EntsecVault  *vault,
                                  GAsyncResult *result,
                                  GArray      **added_ids,
                                  GPtrArray   **skipped,
                                  GError      **error)
{
  AddData *data;

  g_return_val_if_fail (g_task_is_valid (result, vault), FALSE);
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  data = g_task_get_task_data (G_TASK (result));
  if (added_ids != NULL)
    *added_ids = g_steal_pointer (&data->added_ids);
  if (skipped != NULL)
    *skipped = g_steal_pointer (&data->skipped);
  return TRUE;
}

/* Write @account over its stored row and adopt it in memory (in a write). */
static gboolean
replace_account_in_write (EntsecVault         *vault,
                          const EntsecAccount *account,
                          GError             **error)
{
  gint index = find_account (vault, account->id);

  if (index < 0)
    return no_account (account->id, error);
  if (is_duplicate_of_stored (vault, account, account->id))
    return duplicate_error (account, error);
  if (!write_account_row (vault, account, account->id, FALSE, error))
    return FALSE;
  return TRUE;
}

/* After the commit: the model takes @account's place. */
static void
adopt_account (EntsecVault         *vault,
               const EntsecAccount *account)
{
  gint index = find_account (vault, account->id);

  g_ptr_array_remove_index (vault->accounts, (guint) index);
  g_ptr_array_insert (vault->accounts, index, entsec_account_copy (account));
}

static gboolean
invalid_account (const EntsecAccount *account,
                 GError             **error)
{
  g_autoptr (GError) local_error = NULL;

  if (validate_for_vault (account, &local_error))
    return FALSE;
  g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID,
               "%s; nothing was changed", local_error->message);
  return TRUE;
}

/* Start a write: the op's own checks, cancellation and BEGIN IMMEDIATE. */
static gboolean
begin_checked_write (EntsecVault  *vault,
                     GCancellable *cancellable,
                     GError      **error)
{
  return !g_cancellable_set_error_if_cancelled (cancellable, error)
         && vault_check_unlocked (vault, error) && vault_begin_write (vault, error);
}

/* End a write begun by begin_checked_write(): commit when @ok, else roll back. */
static gboolean
end_write (EntsecVault *vault,
           gboolean     ok,
           GError     **error)
{
  if (!ok)
    {
      vault_db_rollback (vault->db);
      return FALSE;
    }
  return vault_commit (vault, error);
}

gboolean
entsec_vault_update_account_sync (EntsecVault         *vault,
                                  const EntsecAccount *account,
                                  GCancellable        *cancellable,
                                  GError             **error)
{
  g_autoptr (VaultOp) op = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (account != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  if (invalid_account (account, error))
    return FALSE;
  op = vault_op_begin (vault);
  if (!begin_checked_write (vault, cancellable, error)
      || !end_write (vault, replace_account_in_write (vault, account, error), error))
    return FALSE;
  adopt_account (vault, account);
  return TRUE;
}

static void
forget_row (EntsecVault *vault,
            gint64       id)
{
  gint index = find_account (vault, id);

  if (index >= 0)
    g_ptr_array_remove_index (vault->accounts, (guint) index);
  for (guint i = 0; i < vault->quarantined->len; i++)
    {
      if (((EntsecVaultQuarantined *) g_ptr_array_index (vault->quarantined, i))->id == id)
        g_ptr_array_remove_index (vault->quarantined, i--);
    }
}

static gboolean
delete_row (EntsecVault *vault,
            gint64       id,
            GError     **error)
{
  sqlite3_stmt *stmt = vault_db_prepare (vault->db, "DELETE FROM accounts WHERE id = ?", error);
  gboolean ok;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  ok = vault_db_step_done (vault->db, stmt, "Cannot delete the account", error);
  sqlite3_finalize (stmt);
  /* A row the index lists but the file lost is deleted from the index alone. */
  if (ok && sqlite3_changes (vault->db) != 1 && !vault_index_get_account (vault->pending, id, NULL))
    return no_account (id, error);
  if (ok)
    vault_index_remove_account (vault->pending, id);
  return ok;
}

gboolean
entsec_vault_delete_account_sync (EntsecVault  *vault,
                                  gint64        id,
                                  GCancellable *cancellable,
                                  GError      **error)
{
  g_autoptr (VaultOp) op = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  op = vault_op_begin (vault);
  if (!begin_checked_write (vault, cancellable, error)
      || !end_write (vault, delete_row (vault, id, error), error))
    return FALSE;
  forget_row (vault, id);
  return TRUE;
}

static gboolean
write_positions (EntsecVault  *vault,
                 const gint64 *ids,
                 gsize         n_ids,
                 GError      **error)
{
  sqlite3_stmt *stmt = vault_db_prepare (vault->db, "UPDATE accounts SET position = ? WHERE id = ?",
                                         error);
  gboolean ok = stmt != NULL;

  for (gsize i = 0; ok && i < n_ids; i++)
    {
      if (find_account (vault, ids[i]) < 0)
        {
          ok = no_account (ids[i], error);
          break;
        }
      sqlite3_bind_int64 (stmt, 1, (gint64) i);
      sqlite3_bind_int64 (stmt, 2, ids[i]);
      ok = vault_db_step_done (vault->db, stmt, "Cannot save the order", error);
    }
  sqlite3_finalize (stmt);
  return ok;
}

gboolean
entsec_vault_reorder_sync (EntsecVault  *vault,
                           const gint64 *ids,
                           gsize         n_ids,
                           GCancellable *cancellable,
                           GError      **error)
{
  g_autoptr (VaultOp) op = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (ids != NULL || n_ids == 0, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  op = vault_op_begin (vault);
  if (!begin_checked_write (vault, cancellable, error)
      || !end_write (vault, write_positions (vault, ids, n_ids, error), error))
    return FALSE;
  for (gsize i = 0; i < n_ids; i++)
    ((EntsecAccount *) g_ptr_array_index (vault->accounts, find_account (vault, ids[i])))->position
      = (gint) i;
  return TRUE;
}

/*
 * HOTP: the counter after this code is committed BEFORE the code is handed
 * out (in the same write that read the current counter, so two programs
 * never show the same code). TOTP and Steam: computed from the model.
 */
static gboolean
next_hotp_in_write (EntsecVault *vault,
                    gint64       id,
                    char         code[ENTSEC_OTP_CODE_SIZE],
                    GError     **error)
{
  gint index = find_account (vault, id);
  g_autoptr (EntsecAccount) next = NULL;

  if (index < 0)
    return no_account (id, error);
  next = entsec_account_copy (g_ptr_array_index (vault->accounts, index));
  if (!entsec_account_generate (next, 0, code, error))
    return FALSE;
  next->counter++;
  return write_account_row (vault, next, id, FALSE, error);
}

static gboolean
hotp_code (EntsecVault  *vault,
           gint64        id,
           char          code[ENTSEC_OTP_CODE_SIZE],
           GCancellable *cancellable,
           GError      **error)
{
  char pending[ENTSEC_OTP_CODE_SIZE] = { 0 };
  gint index;

  if (vault->read_only)
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IO,
                           vault->read_only == SQLITE_FULL
                             ? "This is a counter-based (HOTP) account: showing a code means "
                               "saving the next counter first, and the disk is full. Free some "
                               "space; no code was used up"
                             : "This is a counter-based (HOTP) account: showing a code means "
                               "saving the next counter first, and the vault cannot be written "
                               "here (read-only file or file system). No code was used up");
      return FALSE;
    }
  if (!begin_checked_write (vault, cancellable, error)
      || !end_write (vault, next_hotp_in_write (vault, id, pending, error), error))
    {
      OPENSSL_cleanse (pending, sizeof pending);
      return FALSE;
    }
  index = find_account (vault, id);
  ((EntsecAccount *) g_ptr_array_index (vault->accounts, index))->counter++;
  memcpy (code, pending, sizeof pending);
  OPENSSL_cleanse (pending, sizeof pending);
  return TRUE;
}

/* The int64 preference @name as stored (in the open read), or @fallback. */
static gint64
pref_int64_in_read (EntsecVault *vault,
                    const char  *name,
                    gint64       fallback)
{
  EntsecSecureBytes *plain = g_hash_table_lookup (vault->prefs, name);
  g_autoptr (GVariant) value = NULL;
  char *stored_name = NULL;

  if (plain == NULL)
    return fallback;
  value = vault_pref_decode (plain->data, plain->len, &stored_name, NULL);
  entsec_secure_strfree (stored_name);
  if (value == NULL || !g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
    return fallback;
  return g_variant_get_int64 (value);
}

/*
 * Managed accounts stop giving codes once the device has been out of touch
 * with its enterprise server longer than its policy allows (docs/protocol.md
 * 8.5, offline.block_after); the enterprise side keeps that limit here.
 */
static gboolean
check_offline_grace (EntsecVault *vault,
                     gint64       now,
                     GError     **error)
{
  gint64 block_at = pref_int64_in_read (vault, ENTSEC_PREF_OFFLINE_BLOCK_AT, G_MAXINT64);
  gint64 contact = pref_int64_in_read (vault, ENTSEC_PREF_LAST_CONTACT, 0);
  g_autoptr (GDateTime) when = NULL;
  g_autofree char *since = NULL;

  if (now <= 0)
    now = g_get_real_time () / G_USEC_PER_SEC;
  if (now < block_at)
    return TRUE;
  when = g_date_time_new_from_unix_utc (contact);
  since = when != NULL ? g_date_time_format (when, "%Y-%m-%d %H:%M UTC") : g_strdup ("?");
  g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_OFFLINE,
               "The codes of this managed account are blocked: this device last reached its "
               "enterprise server on %s, longer ago than your organisation's policy allows. "
               "Connect to the network and sync ('entsec-cli sync', or open the app online); "
               "the codes come back at once", since);
  return FALSE;
}

gboolean
entsec_vault_compute_code_sync (EntsecVault  *vault,
                                gint64        id,
                                gint64        now,
                                char          code[ENTSEC_OTP_CODE_SIZE],
                                GCancellable *cancellable,
                                GError      **error)
{
  g_autoptr (VaultOp) op = NULL;
  EntsecAccount *account;
  gint index;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (code != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  op = begin_unlocked_read (vault, cancellable, error);
  if (op == NULL)
    return FALSE;
  index = find_account (vault, id);
  if (index < 0)
    return no_account (id, error);
  account = g_ptr_array_index (vault->accounts, index);
  if (account->managed_id != NULL && !check_offline_grace (vault, now, error))
    return FALSE;
  if (account->type == ENTSEC_ACCOUNT_HOTP)
    return hotp_code (vault, id, code, cancellable, error);
  return entsec_account_generate (account, now, code, error);
}

/* ---- Preferences ---------------------------------------------------------- */

/* Largest preference value and name (kept well under the record field limit). */
#define MAX_PREF_BYTES (512 * 1024)
#define MAX_PREF_NAME_BYTES 1024

static gboolean
check_pref_type (GVariant *value,
                 GError  **error)
{
  if (g_variant_get_size (value) > MAX_PREF_BYTES)
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID,
                   "A preference value may hold at most %d bytes", MAX_PREF_BYTES);
      return FALSE;
    }
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING)
      || g_variant_is_of_type (value, G_VARIANT_TYPE_INT64)
      || g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN)
      || g_variant_is_of_type (value, G_VARIANT_TYPE_BYTESTRING))
    return TRUE;
  g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID,
               "A preference must be a string, an integer, a boolean or bytes, not '%s'",
               g_variant_get_type_string (value));
  return FALSE;
}

/* A value and a name entsec_vault_set_pref_sync() takes (@value already sunk). */
static gboolean
check_pref (const char *name,
            GVariant   *value,
            GError    **error)
{
  if (value != NULL && !check_pref_type (value, error))
    return FALSE;
  if (strlen (name) > MAX_PREF_NAME_BYTES)
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID,
                   "A preference name may hold at most %d bytes", MAX_PREF_NAME_BYTES);
      return FALSE;
    }
  return TRUE;
}

guint vault_testing_fail_pref_row;

/* Encrypt and write preference row @id at its next version; in a transaction. */
static gboolean
write_pref (EntsecVault             *vault,
            const guint8            *id,
            const EntsecSecureBytes *plain,
            GError                 **error)
{
  g_autoptr (GBytes) sealed = NULL;
  sqlite3_stmt *stmt;
  guint64 version = 0;
  gboolean ok;

  if (vault_testing_fail_pref_row > 0 && --vault_testing_fail_pref_row == 0)
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IO,
                           "Cannot save the preference (a failure injected by a test)");
      return FALSE;
    }
  vault_index_get_pref (vault->pending, id, &version);
  version++;
  sealed = vault_seal_row (vault, "prefs", id, NAME_ID_SIZE, version, plain->data, plain->len,
                           error);
  if (sealed == NULL)
    return FALSE;
  stmt = vault_db_prepare (vault->db, "INSERT OR REPLACE INTO prefs (name_id, version, data) "
                                      "VALUES (?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_blob (stmt, 1, id, NAME_ID_SIZE, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, (gint64) version);
  sqlite3_bind_blob (stmt, 3, g_bytes_get_data (sealed, NULL), (int) g_bytes_get_size (sealed),
                     SQLITE_TRANSIENT);
  ok = vault_db_step_done (vault->db, stmt, "Cannot save the preference", error);
  sqlite3_finalize (stmt);
  if (ok)
    vault_index_set_pref (vault->pending, id, version);
  return ok;
}

static gboolean
delete_pref_row (EntsecVault  *vault,
                 const guint8 *id,
                 GError      **error)
{
  sqlite3_stmt *stmt = vault_db_prepare (vault->db, "DELETE FROM prefs WHERE name_id = ?", error);
  gboolean ok;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_blob (stmt, 1, id, NAME_ID_SIZE, SQLITE_TRANSIENT);
  ok = vault_db_step_done (vault->db, stmt, "Cannot remove the preference", error);
  sqlite3_finalize (stmt);
  if (ok)
    vault_index_remove_pref (vault->pending, id);
  return ok;
}

static void
name_id_with (const EntsecSecureBytes *names_key,
              const char              *name,
              guint8                   out[NAME_ID_SIZE])
{
  unsigned int len = NAME_ID_SIZE;

  HMAC (EVP_sha256 (), names_key->data, (int) names_key->len, (const guint8 *) name,
        strlen (name), out, &len);
}

gboolean
vault_delete_enterprise_rows (EntsecVault *vault,
                              GError     **error)
{
  GHashTableIter iter;
  gpointer name;

  for (guint i = 0; i < vault->accounts->len; i++)
    {
      EntsecAccount *account = g_ptr_array_index (vault->accounts, i);

      if (account->managed_id != NULL && !delete_row (vault, account->id, error))
        return FALSE;
    }
  g_hash_table_iter_init (&iter, vault->prefs);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    {
      guint8 id[NAME_ID_SIZE];

      if (!g_str_has_prefix (name, ENTSEC_PREFIX_ENTERPRISE))
        continue;
      name_id (vault, name, id);
      if (!delete_pref_row (vault, id, error))
        return FALSE;
    }
  return TRUE;
}

void
vault_forget_enterprise_rows (EntsecVault *vault)
{
  GHashTableIter iter;
  gpointer name;

  for (guint i = vault->accounts->len; i > 0; i--)
    {
      EntsecAccount *account = g_ptr_array_index (vault->accounts, i - 1);

      if (account->managed_id != NULL)
        forget_row (vault, account->id);
    }
  g_hash_table_iter_init (&iter, vault->prefs);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    if (g_str_has_prefix (name, ENTSEC_PREFIX_ENTERPRISE))
      g_hash_table_iter_remove (&iter);
  vault->dirty = TRUE;
}

gboolean
vault_rewrite_rows (EntsecVault             *vault,
                    const EntsecSecureBytes *old_names_key,
                    GError                 **error)
{
  GHashTableIter iter;
  gpointer name, plain;

  for (guint i = 0; i < vault->accounts->len; i++)
    {
      EntsecAccount *account = g_ptr_array_index (vault->accounts, i);

      if (!write_account_row (vault, account, account->id, FALSE, error))
        return FALSE;
    }
  /* Preference row ids are keyed by the DEK too: each moves to its new id. */
  g_hash_table_iter_init (&iter, vault->prefs);
  while (g_hash_table_iter_next (&iter, &name, &plain))
    {
      guint8 old_id[NAME_ID_SIZE], new_id[NAME_ID_SIZE];

      name_id_with (old_names_key, name, old_id);
      name_id (vault, name, new_id);
      if (!delete_pref_row (vault, old_id, error) || !write_pref (vault, new_id, plain, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
entsec_vault_set_pref_sync (EntsecVault  *vault,
                            const char   *name,
                            GVariant     *value,
                            GCancellable *cancellable,
                            GError      **error)
{
  g_autoptr (VaultOp) op = NULL;
  g_autoptr (GVariant) sunk = NULL;
  EntsecSecureBytes *plain;
  guint8 id[NAME_ID_SIZE];

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (name != NULL && g_utf8_validate (name, -1, NULL), FALSE);
  g_return_val_if_fail (value != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  sunk = g_variant_ref_sink (value);
  if (!check_pref (name, sunk, error))
    return FALSE;
  op = vault_op_begin (vault);
  if (!begin_checked_write (vault, cancellable, error))
    return FALSE;
  name_id (vault, name, id);
  plain = vault_pref_encode (name, sunk);
  if (!end_write (vault, write_pref (vault, id, plain, error), error))
    {
      entsec_secure_bytes_free (plain);
      return FALSE;
    }
  g_hash_table_replace (vault->prefs, g_strdup (name), plain);
  return TRUE;
}

/* Write (or delete, for NULL) each of @names in the open write; @plains gets the encodings. */
static gboolean
write_prefs (EntsecVault        *vault,
             const char * const *names,
             GVariant          **values,
             GPtrArray          *plains,
             GError            **error)
{
  for (gsize i = 0; names[i] != NULL; i++)
    {
      EntsecSecureBytes *plain = values[i] != NULL ? vault_pref_encode (names[i], values[i])
                                                   : NULL;
      guint8 id[NAME_ID_SIZE];

      g_ptr_array_add (plains, plain);
      name_id (vault, names[i], id);
      if (plain != NULL ? !write_pref (vault, id, plain, error)
                        : !delete_pref_row (vault, id, error))
        return FALSE;
    }
  return TRUE;
}

static void
variant_unref_nullable (gpointer value)
{
  if (value != NULL)
    g_variant_unref (value);
}

gboolean
entsec_vault_set_prefs_sync (EntsecVault        *vault,
                             const char * const *names,
                             GVariant          **values,
                             GCancellable       *cancellable,
                             GError            **error)
{
  g_autoptr (VaultOp) op = NULL;
  g_autoptr (GPtrArray) sunk = g_ptr_array_new_with_free_func (variant_unref_nullable);
  g_autoptr (GPtrArray) plains = g_ptr_array_new ();
  gboolean ok;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (names != NULL && values != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  for (gsize i = 0; names[i] != NULL; i++)
    g_return_val_if_fail (g_utf8_validate (names[i], -1, NULL), FALSE);
  for (gsize i = 0; names[i] != NULL; i++)
    g_ptr_array_add (sunk, values[i] != NULL ? g_variant_ref_sink (values[i]) : NULL);
  for (gsize i = 0; names[i] != NULL; i++)
    if (!check_pref (names[i], g_ptr_array_index (sunk, i), error))
      return FALSE;
  op = vault_op_begin (vault);
  if (!begin_checked_write (vault, cancellable, error))
    return FALSE;
  ok = end_write (vault, write_prefs (vault, names, (GVariant **) sunk->pdata, plains, error),
                  error);
  for (guint i = 0; i < plains->len; i++)
    {
      EntsecSecureBytes *plain = g_ptr_array_index (plains, i);

      if (!ok)
        g_clear_pointer (&plain, entsec_secure_bytes_free);
      else if (plain != NULL)
        g_hash_table_replace (vault->prefs, g_strdup (names[i]), plain);
      else
        g_hash_table_remove (vault->prefs, names[i]);
    }
  return ok;
}

GVariant *
entsec_vault_get_pref_sync (EntsecVault  *vault,
                            const char   *name,
                            GCancellable *cancellable,
                            GError      **error)
{
  g_autoptr (VaultOp) op = NULL;
  EntsecSecureBytes *plain;
  char *stored_name = NULL;
  GVariant *value;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  op = begin_unlocked_read (vault, cancellable, error);
  if (op == NULL)
    return NULL;
  plain = g_hash_table_lookup (vault->prefs, name);
  if (plain == NULL)
    return NULL;
  value = vault_pref_decode (plain->data, plain->len, &stored_name, error);
  entsec_secure_strfree (stored_name);
  return value;
}

gboolean
entsec_vault_remove_pref_sync (EntsecVault  *vault,
                               const char   *name,
                               GCancellable *cancellable,
                               GError      **error)
{
  g_autoptr (VaultOp) op = NULL;
  guint8 id[NAME_ID_SIZE];

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  op = vault_op_begin (vault);
  if (!begin_checked_write (vault, cancellable, error))
    return FALSE;
  name_id (vault, name, id);
  if (!end_write (vault, delete_pref_row (vault, id, error), error))
    return FALSE;
  g_hash_table_remove (vault->prefs, name);
  return TRUE;
}

gboolean
entsec_vault_set_string_sync (EntsecVault *vault,
                              const char  *name,
                              const char  *value,
                              GError     **error)
{
  return entsec_vault_set_pref_sync (vault, name, g_variant_new_string (value), NULL, error);
}

gboolean
entsec_vault_set_int_sync (EntsecVault *vault,
                           const char  *name,
                           gint64       value,
                           GError     **error)
{
  return entsec_vault_set_pref_sync (vault, name, g_variant_new_int64 (value), NULL, error);
}

gboolean
entsec_vault_set_boolean_sync (EntsecVault *vault,
                               const char  *name,
                               gboolean     value,
                               GError     **error)
{
  return entsec_vault_set_pref_sync (vault, name, g_variant_new_boolean (value), NULL, error);
}

gboolean
entsec_vault_set_blob_sync (EntsecVault *vault,
                            const char  *name,
                            GBytes      *value,
                            GError     **error)
{
  GVariant *variant = g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, value, TRUE);

  return entsec_vault_set_pref_sync (vault, name, variant, NULL, error);
}

/* The stored value when set and of @type; NULL otherwise (error only on a type clash). */
static GVariant *
get_typed (EntsecVault        *vault,
           const char         *name,
           const GVariantType *type,
           GError            **error)
{
  GVariant *value = entsec_vault_get_pref_sync (vault, name, NULL, error);

  if (value == NULL)
    return NULL;
  if (!g_variant_is_of_type (value, type))
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID,
                   "The preference '%s' holds a value of another type", name);
      g_variant_unref (value);
      return NULL;
    }
  return value;
}

char *
entsec_vault_get_string_sync (EntsecVault *vault,
                              const char  *name,
                              GError     **error)
{
  g_autoptr (GVariant) value = get_typed (vault, name, G_VARIANT_TYPE_STRING, error);

  return value != NULL ? g_variant_dup_string (value, NULL) : NULL;
}

gint64
entsec_vault_get_int_sync (EntsecVault *vault,
                           const char  *name,
                           gint64       fallback,
                           GError     **error)
{
  g_autoptr (GVariant) value = get_typed (vault, name, G_VARIANT_TYPE_INT64, error);

  return value != NULL ? g_variant_get_int64 (value) : fallback;
}

gboolean
entsec_vault_get_boolean_sync (EntsecVault *vault,
                               const char  *name,
                               gboolean     fallback,
                               GError     **error)
{
  g_autoptr (GVariant) value = get_typed (vault, name, G_VARIANT_TYPE_BOOLEAN, error);

  return value != NULL ? g_variant_get_boolean (value) : fallback;
}

GBytes *
entsec_vault_get_blob_sync (EntsecVault *vault,
                            const char  *name,
                            GError     **error)
{
  g_autoptr (GVariant) value = get_typed (vault, name, G_VARIANT_TYPE_BYTESTRING, error);

  return value != NULL ? g_variant_get_data_as_bytes (value) : NULL;
}

/* ---- Export ----------------------------------------------------------------- */

GPtrArray *
entsec_vault_export_accounts_sync (EntsecVault  *vault,
                                   GCancellable *cancellable,
                                   GError      **error)
{
  g_autoptr (VaultOp) op = NULL;
  g_autoptr (GPtrArray) sorted = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);
  op = begin_unlocked_read (vault, cancellable, error);
  if (op == NULL)
    return NULL;
  sorted = g_ptr_array_copy (vault->accounts, copy_account, NULL);
  g_ptr_array_set_free_func (sorted, vault_account_wipe_free);
  g_ptr_array_sort (sorted, vault_compare_accounts);
  return g_steal_pointer (&sorted);
}
