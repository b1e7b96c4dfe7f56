/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-vault-slots.c: creating a vault, and its slot table: every change
 * (add a keyring, passphrase or recovery slot, change the passphrase, remove
 * a slot) rewraps the data key only and commits the new slot rows together
 * with a fresh header tag, in one transaction.
 */

#define G_LOG_DOMAIN "entsec-vault"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "entsec-vault-private.h"

/* Re-authenticate the header for @slots under the DEK; inside a transaction. */
static gboolean
write_header (EntsecVault *vault,
              GPtrArray   *slots,
              GError     **error)
{
  g_autoptr (GBytes) aad = vault_header_aad (vault->vault_id, slots);
  g_autoptr (GBytes) tag = entsec_aead_seal (vault->dek->data, g_bytes_get_data (aad, NULL),
                                             g_bytes_get_size (aad), NULL, 0, error);
  sqlite3_stmt *stmt;
  gboolean ok;

  if (tag == NULL)
    return FALSE;
  stmt = vault_db_prepare (vault->db, "UPDATE vault SET header_tag = ? WHERE id = 1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_blob (stmt, 1, g_bytes_get_data (tag, NULL), (int) g_bytes_get_size (tag),
                     SQLITE_TRANSIENT);
  ok = vault_db_step_done (vault->db, stmt, "Cannot save the vault header", error);
  sqlite3_finalize (stmt);
  return ok;
}

static gboolean
kdf_from_public (const EntsecVaultKdfParams *kdf,
                 EntsecArgon2Params         *argon,
                 GError                    **error)
{
  if (kdf == NULL)
    {
      if (!entsec_argon2id_calibrate (DEFAULT_KDF_TARGET_MS, argon, error))
        return FALSE;
    }
  else
    {
      if (!entsec_argon2id_params_init (argon, error))
        return FALSE;
      argon->m_cost_kib = kdf->memory_kib;
      argon->t_cost = kdf->iterations;
      argon->parallelism = kdf->parallelism;
    }
  if (!entsec_argon2id_params_check (argon, NULL))
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID,
                   "Argon2id costs out of bounds: memory %u..%u KiB, passes %u..%u, lanes %u..%u",
                   ENTSEC_ARGON2_MIN_M_COST_KIB, ENTSEC_ARGON2_MAX_M_COST_KIB,
                   ENTSEC_ARGON2_MIN_T_COST, ENTSEC_ARGON2_MAX_T_COST,
                   ENTSEC_ARGON2_MIN_PARALLELISM, ENTSEC_ARGON2_MAX_PARALLELISM);
      return FALSE;
    }
  return TRUE;
}

static gint64
next_slot_id (GPtrArray *slots)
{
  gint64 id = 0;

  for (guint i = 0; i < slots->len; i++)
    id = MAX (id, ((VaultSlot *) g_ptr_array_index (slots, i))->id);
  return id + 1;
}

/* Wrap the DEK under @kek into a new slot row; appended to @slots. */
static gboolean
insert_slot (EntsecVault  *vault,
             GPtrArray    *slots,
             guint32       type,
             GBytes       *params,
             const guint8 *kek,
             GError      **error)
{
  g_autoptr (VaultSlot) slot = g_new0 (VaultSlot, 1);
  g_autoptr (GBytes) aad = NULL;
  sqlite3_stmt *stmt;
  gboolean ok;

  slot->id = next_slot_id (slots);
  slot->type = type;
  slot->known_good = TRUE; /* made just now, from a key we hold */
  slot->params = g_bytes_ref (params);
  aad = vault_slot_aad (vault->vault_id, slot);
  slot->wrapped = entsec_aead_seal (kek, g_bytes_get_data (aad, NULL), g_bytes_get_size (aad),
                                    vault->dek->data, vault->dek->len, error);
  if (slot->wrapped == NULL)
    return FALSE;
  stmt = vault_db_prepare (vault->db,
                           "INSERT INTO slots (id, type, params, wrapped) VALUES (?, ?, ?, ?)",
                           error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, slot->id);
  sqlite3_bind_int64 (stmt, 2, slot->type);
  sqlite3_bind_blob (stmt, 3, g_bytes_get_data (params, NULL), (int) g_bytes_get_size (params),
                     SQLITE_TRANSIENT);
  sqlite3_bind_blob (stmt, 4, g_bytes_get_data (slot->wrapped, NULL),
                     (int) g_bytes_get_size (slot->wrapped), SQLITE_TRANSIENT);
  ok = vault_db_step_done (vault->db, stmt, "Cannot save a key slot", error);
  sqlite3_finalize (stmt);
  if (ok)
    g_ptr_array_add (slots, g_steal_pointer (&slot));
  return ok;
}

static gboolean
insert_passphrase_slot (EntsecVault                *vault,
                        GPtrArray                  *slots,
                        const char                 *passphrase,
                        gsize                       passphrase_len,
                        const EntsecVaultKdfParams *kdf,
                        GError                    **error)
{
  EntsecArgon2Params argon = { 0 };
  g_autoptr (EntsecSecureBytes) kek = entsec_secure_bytes_new (KEK_SIZE);
  g_autoptr (GBytes) params = NULL;

  if (!kdf_from_public (kdf, &argon, error)
      || !entsec_argon2id_derive (&argon, passphrase, passphrase_len, kek->data, KEK_SIZE, error))
    return FALSE;
  params = vault_kdf_params_encode (&argon);
  return insert_slot (vault, slots, ENTSEC_VAULT_SLOT_PASSPHRASE, params, kek->data, error);
}

/*
 * Store a fresh KEK in the keyring, then add its slot. On failure the item is
 * removed again; on success *@uuid_out names it (so a later failure of the
 * transaction can remove it too).
 */
static gboolean
insert_keyring_slot (EntsecVault  *vault,
                     GPtrArray    *slots,
                     guint8        uuid_out[KEYRING_SLOT_ID_SIZE],
                     GCancellable *cancellable,
                     GError      **error)
{
  g_autoptr (EntsecSecureBytes) kek = entsec_secure_bytes_new (KEK_SIZE);
  g_autoptr (GBytes) params = NULL;
  g_autoptr (GError) local_error = NULL;

  if (!entsec_random_bytes (uuid_out, KEYRING_SLOT_ID_SIZE, error)
      || !entsec_random_bytes (kek->data, KEK_SIZE, error))
    return FALSE;
  if (!vault_keyring_store (vault->vault_id, uuid_out, kek->data, KEK_SIZE,
                            cancellable, &local_error))
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_KEYRING,
                   "Cannot store the vault key in the keyring (%s). Make sure a Secret Service "
                   "(e.g. gnome-keyring) runs and is unlocked, or do without the keyring: "
                   "'entsec-cli init --no-keyring' makes a passphrase-only vault, and "
                   "'entsec-cli slots add-passphrase' gives an existing vault a passphrase",
                   local_error->message);
      return FALSE;
    }
  params = g_bytes_new (uuid_out, KEYRING_SLOT_ID_SIZE);
  if (!insert_slot (vault, slots, ENTSEC_VAULT_SLOT_KEYRING, params, kek->data, error))
    {
      vault_keyring_clear (vault->vault_id, uuid_out, NULL, NULL);
      return FALSE;
    }
  return TRUE;
}

static gboolean
create_contents (EntsecVault  *vault,
                 gboolean      use_keyring,
                 const char   *passphrase,
                 gsize         passphrase_len,
                 const EntsecVaultKdfParams *kdf,
                 guint8        keyring_uuid[KEYRING_SLOT_ID_SIZE],
                 gboolean     *keyring_stored,
                 GCancellable *cancellable,
                 GError      **error)
{
  sqlite3_stmt *stmt;
  gboolean ok;

  if (!vault_db_begin (vault->db, error) || !vault_db_create_schema (vault->db, error))
    return FALSE;
  stmt = vault_db_prepare (vault->db,
                           "INSERT INTO vault (id, vault_id, header_tag) VALUES (1, ?, x'')",
                           error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_blob (stmt, 1, vault->vault_id, VAULT_ID_SIZE, SQLITE_TRANSIENT);
  ok = vault_db_step_done (vault->db, stmt, "Cannot create the vault", error);
  sqlite3_finalize (stmt);
  if (!ok)
    return FALSE;
  if (passphrase != NULL
      && !insert_passphrase_slot (vault, vault->slots, passphrase, passphrase_len, kdf, error))
    return FALSE;
  if (use_keyring)
    {
      if (!insert_keyring_slot (vault, vault->slots, keyring_uuid, cancellable, error))
        return FALSE;
      *keyring_stored = TRUE;
    }
  return write_header (vault, vault->slots, error) && vault_db_commit (vault->db, error);
}

static void
remove_files (const char *path)
{
  const char *suffixes[] = { "", "-wal", "-shm", "-journal" };

  for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);
      g_unlink (file);
    }
}

EntsecVault *
entsec_vault_create_sync (const char                 *path,
                          gboolean                    use_keyring,
                          const char                 *passphrase,
                          gsize                       passphrase_len,
                          const EntsecVaultKdfParams *kdf,
                          GCancellable               *cancellable,
                          GError                    **error)
{
  g_autoptr (EntsecVault) vault = NULL;
  g_autofree char *dir = NULL;
  guint8 keyring_uuid[KEYRING_SLOT_ID_SIZE];
  gboolean keyring_stored = FALSE;

  g_return_val_if_fail (path != NULL, NULL);
  if (!use_keyring && passphrase == NULL)
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NO_SLOT,
                           "A vault needs a keyring slot, a passphrase, or both");
      return NULL;
    }
  dir = g_path_get_dirname (path);
  g_mkdir_with_parents (dir, 0700);
  vault = g_object_new (ENTSEC_TYPE_VAULT, NULL);
  vault->path = g_strdup (path);
  vault->db = vault_db_create (path, error);
  if (vault->db == NULL)
    return NULL;
  vault_note_file (vault);
  vault->dek = entsec_secure_bytes_new (ENTSEC_AEAD_KEY_SIZE);
  if (!entsec_random_bytes (vault->vault_id, VAULT_ID_SIZE, error)
      || !entsec_random_bytes (vault->dek->data, vault->dek->len, error)
      || !create_contents (vault, use_keyring, passphrase, passphrase_len, kdf, keyring_uuid,
                           &keyring_stored, cancellable, error))
    {
      vault_db_rollback (vault->db);
      if (keyring_stored)
        vault_keyring_clear (vault->vault_id, keyring_uuid, NULL, NULL);
      g_clear_pointer (&vault->db, sqlite3_close);
      remove_files (path);
      return NULL;
    }
  vault->names_key = vault_derive_names_key (vault->dek);
  sqlite3_db_config (vault->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, NULL);
  vault_note_data_version (vault);
  vault_publish_initial (vault);
  return g_steal_pointer (&vault);
}

static gpointer
copy_slot_func (gconstpointer slot,
                gpointer      user_data)
{
  return vault_slot_copy (slot);
}

static GPtrArray *
copy_slots (GPtrArray *slots)
{
  return g_ptr_array_copy (slots, copy_slot_func, NULL);
}

/* Commit @slots (already written) with a fresh header tag, and adopt them. */
static gboolean
commit_slots (EntsecVault *vault,
              GPtrArray   *slots,
              GError     **error)
{
  if (!write_header (vault, slots, error) || !vault_db_commit (vault->db, error))
    {
      vault_db_rollback (vault->db);
      return FALSE;
    }
  g_ptr_array_unref (vault->slots);
  vault->slots = g_ptr_array_ref (slots);
  return TRUE;
}

gboolean
entsec_vault_add_passphrase_slot_sync (EntsecVault                *vault,
                                       const char                 *passphrase,
                                       gsize                       passphrase_len,
                                       const EntsecVaultKdfParams *kdf,
                                       GCancellable               *cancellable,
                                       GError                    **error)
{
  g_autoptr (VaultOp) op = NULL;
  g_autoptr (GPtrArray) slots = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (passphrase != NULL, FALSE);
  op = vault_op_begin (vault);
  if (!vault_check_unlocked (vault, error) || !vault_begin_write (vault, error))
    return FALSE;
  slots = copy_slots (vault->slots);
  if (!insert_passphrase_slot (vault, slots, passphrase, passphrase_len, kdf, error))
    {
      vault_db_rollback (vault->db);
      return FALSE;
    }
  return commit_slots (vault, slots, error);
}

gboolean
entsec_vault_add_keyring_slot_sync (EntsecVault  *vault,
                                    GCancellable *cancellable,
                                    GError      **error)
{
  g_autoptr (VaultOp) op = NULL;
  g_autoptr (GPtrArray) slots = NULL;
  guint8 uuid[KEYRING_SLOT_ID_SIZE];

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  op = vault_op_begin (vault);
  if (!vault_check_unlocked (vault, error) || !vault_begin_write (vault, error))
    return FALSE;
  slots = copy_slots (vault->slots);
  if (!insert_keyring_slot (vault, slots, uuid, cancellable, error))
    {
      vault_db_rollback (vault->db);
      return FALSE;
    }
  if (!commit_slots (vault, slots, error))
    {
      vault_keyring_clear (vault->vault_id, uuid, NULL, NULL);
      return FALSE;
    }
  return TRUE;
}

/* The recovery key in groups of four Base32 characters. */
static char *
format_recovery_key (const guint8 *key)
{
  char *plain = entsec_base32_encode (key, KEK_SIZE);
  gsize len = strlen (plain);
  char *out = g_malloc0 (len + len / 4 + 1);
  gsize o = 0;

  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && i % 4 == 0)
        out[o++] = '-';
      out[o++] = plain[i];
    }
  entsec_secure_strfree (plain);
  return out;
}

char *
entsec_vault_add_recovery_slot_sync (EntsecVault  *vault,
                                     GCancellable *cancellable,
                                     GError      **error)
{
  g_autoptr (VaultOp) op = NULL;
  g_autoptr (GPtrArray) slots = NULL;
  g_autoptr (EntsecSecureBytes) key = entsec_secure_bytes_new (KEK_SIZE);
  g_autoptr (GBytes) params = g_bytes_new_static ("\x01", 1);

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);
  op = vault_op_begin (vault);
  if (!vault_check_unlocked (vault, error) || !entsec_random_bytes (key->data, KEK_SIZE, error)
      || !vault_begin_write (vault, error))
    return NULL;
  slots = copy_slots (vault->slots);
  if (!insert_slot (vault, slots, ENTSEC_VAULT_SLOT_RECOVERY, params, key->data, error))
    {
      vault_db_rollback (vault->db);
      return NULL;
    }
  if (!commit_slots (vault, slots, error))
    return NULL;
  return format_recovery_key (key->data);
}

static gboolean
delete_slot_row (EntsecVault *vault,
                 gint64       id,
                 GError     **error)
{
  sqlite3_stmt *stmt = vault_db_prepare (vault->db, "DELETE FROM slots WHERE id = ?", error);
  gboolean ok;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, id);
  ok = vault_db_step_done (vault->db, stmt, "Cannot remove a key slot", error);
  sqlite3_finalize (stmt);
  return ok;
}

gboolean
entsec_vault_change_passphrase_sync (EntsecVault                *vault,
                                     const char                 *passphrase,
                                     gsize                       passphrase_len,
                                     const EntsecVaultKdfParams *kdf,
                                     GCancellable               *cancellable,
                                     GError                    **error)
{
  g_autoptr (VaultOp) op = NULL;
  g_autoptr (GPtrArray) slots = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (passphrase != NULL, FALSE);
  op = vault_op_begin (vault);
  if (!vault_check_unlocked (vault, error) || !vault_begin_write (vault, error))
    return FALSE;
  slots = g_ptr_array_new_with_free_func ((GDestroyNotify) vault_slot_free);
  for (guint i = 0; i < vault->slots->len; i++)
    {
      VaultSlot *slot = g_ptr_array_index (vault->slots, i);

      if (slot->type != ENTSEC_VAULT_SLOT_PASSPHRASE)
        g_ptr_array_add (slots, vault_slot_copy (slot));
      else if (!delete_slot_row (vault, slot->id, error))
        goto fail;
    }
  if (!insert_passphrase_slot (vault, slots, passphrase, passphrase_len, kdf, error))
    goto fail;
  return commit_slots (vault, slots, error);

fail:
  vault_db_rollback (vault->db);
  return FALSE;
}

/*
 * Removing a slot must leave one that opens the vault for sure: a passphrase
 * or recovery slot (they work given their secret), or a keyring slot whose
 * item unlocked this session or is found and verified now.
 */
static gboolean
remaining_slot_works (EntsecVault  *vault,
                      GPtrArray    *remaining,
                      gint64        removed_id,
                      GCancellable *cancellable,
                      GError      **error)
{
  KeyringOutcome outcome = KEYRING_NOT_FOUND;

  if (remaining->len == 0)
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_LAST_SLOT,
                           "This is the vault's only key slot; add another one before removing it");
      return FALSE;
    }
  for (guint i = 0; i < remaining->len; i++)
    {
      if (((VaultSlot *) g_ptr_array_index (remaining, i))->type != ENTSEC_VAULT_SLOT_KEYRING)
        return TRUE;
    }
  for (guint i = 0; i < remaining->len; i++)
    {
      if (vault_keyring_slot_works (vault, g_ptr_array_index (remaining, i), cancellable, &outcome))
        return TRUE;
    }
  g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_LAST_SLOT,
               "Slot %" G_GINT64_FORMAT " was not removed: the keyring slot that would remain "
               "cannot be unlocked right now (%s), so the vault could never be opened again. "
               "Keep this slot, or fix the keyring first (or run 'entsec-cli slots add-keyring' "
               "to store a new keyring key); nothing was changed",
               removed_id, vault_keyring_problem (outcome));
  return FALSE;
}

gboolean
entsec_vault_remove_slot_sync (EntsecVault  *vault,
                               gint64        slot_id,
                               GCancellable *cancellable,
                               GError      **error)
{
  g_autoptr (VaultOp) op = NULL;
  g_autoptr (GPtrArray) slots = NULL;
  g_autoptr (VaultSlot) removed = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  op = vault_op_begin (vault);
  if (!vault_check_unlocked (vault, error))
    return FALSE;
  slots = copy_slots (vault->slots);
  for (guint i = 0; i < slots->len && removed == NULL; i++)
    {
      if (((VaultSlot *) g_ptr_array_index (slots, i))->id == slot_id)
        removed = g_ptr_array_steal_index (slots, i);
    }
  if (removed == NULL)
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NO_SLOT,
                   "This vault has no slot %" G_GINT64_FORMAT " (see 'entsec-cli slots')", slot_id);
      return FALSE;
    }
  if (!remaining_slot_works (vault, slots, slot_id, cancellable, error))
    return FALSE;
  if (!vault_begin_write (vault, error) || !delete_slot_row (vault, slot_id, error))
    {
      vault_db_rollback (vault->db);
      return FALSE;
    }
  if (!commit_slots (vault, slots, error))
    return FALSE;
  /* The slot is gone from the file; its keyring item is useless now. */
  if (removed->type == ENTSEC_VAULT_SLOT_KEYRING
      && g_bytes_get_size (removed->params) == KEYRING_SLOT_ID_SIZE)
    vault_keyring_clear (vault->vault_id, g_bytes_get_data (removed->params, NULL),
                         cancellable, NULL);
  return TRUE;
}
