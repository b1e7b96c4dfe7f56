/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-vault-slots.c: creating a vault, and its slot table. Adding a slot
 * only wraps the data key (DEK) for it. Changing the passphrase or removing
 * a slot ROTATES the DEK: a fresh DEK, every slot that remains re-wrapped
 * (to its public key, entsec-vault-wrap.c, so no slot's secret is needed),
 * every row re-encrypted, the header and the index sealed again, all in one
 * transaction. So an old copy of the file and an old or removed secret open
 * nothing written since.
 *
 * No mutex is held during Argon2id, KDF calibration or a keyring call: the
 * new slot's key material is made first (it needs only the vault id, which
 * never changes), then the mutex is taken for the transaction, and a slot
 * table read before is checked to be unchanged.
 */

#define G_LOG_DOMAIN "entsec-vault"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "entsec-vault-private.h"

gboolean
vault_write_header (EntsecVault *vault,
                    GPtrArray   *slots,
                    GError     **error)
{
  g_autoptr (GBytes) aad = vault_header_aad (vault->vault_id, ENTSEC_VAULT_FORMAT_VERSION, slots);
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

gboolean
vault_kdf_from_public (const EntsecKdfParams *kdf,
                       EntsecArgon2Params    *argon,
                       GError               **error)
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

/* A slot about to be added: its type, params and keys, made without the vault's mutex. */
typedef struct
{
  guint32 type;
  GBytes *params;
  GBytes *keys;
} NewSlot;

static void
new_slot_clear (NewSlot *slot)
{
  g_clear_pointer (&slot->params, g_bytes_unref);
  g_clear_pointer (&slot->keys, g_bytes_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (NewSlot, new_slot_clear)

static gboolean
new_slot_init (NewSlot      *slot,
               EntsecVault  *vault,
               guint32       type,
               GBytes       *params,
               const guint8 *kek,
               GError      **error)
{
  slot->type = type;
  slot->params = g_bytes_ref (params);
  slot->keys = vault_slot_keys_new (vault->vault_id, type, params, kek, error);
  return slot->keys != NULL;
}

/* Write @slot's wrapped DEK (the current one) into its row. */
static gboolean
save_wrapped (EntsecVault *vault,
              VaultSlot   *slot,
              gboolean     insert,
              GError     **error)
{
  sqlite3_stmt *stmt;
  gboolean ok;

  stmt = vault_db_prepare (vault->db,
                           insert ? "INSERT INTO slots (type, params, wrapped, id) "
                                    "VALUES (?, ?, ?, ?)"
                                  : "UPDATE slots SET type = ?, params = ?, wrapped = ? "
                                    "WHERE id = ?",
                           error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, slot->type);
  sqlite3_bind_blob (stmt, 2, g_bytes_get_data (slot->params, NULL),
                     (int) g_bytes_get_size (slot->params), SQLITE_TRANSIENT);
  sqlite3_bind_blob (stmt, 3, g_bytes_get_data (slot->wrapped, NULL),
                     (int) g_bytes_get_size (slot->wrapped), SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, slot->id);
  ok = vault_db_step_done (vault->db, stmt, "Cannot save a key slot", error);
  sqlite3_finalize (stmt);
  return ok;
}

gboolean
vault_slot_rewrap (EntsecVault *vault,
                   VaultSlot   *slot,
                   GBytes      *keys,
                   GError     **error)
{
  GBytes *wrapped = vault_slot_wrap (vault->vault_id, slot, keys, vault->dek->data, error);

  if (wrapped == NULL)
    return FALSE;
  g_bytes_unref (slot->wrapped);
  slot->wrapped = wrapped;
  return save_wrapped (vault, slot, FALSE, error);
}

/* Add @new_slot, wrapping the current DEK; appended to @slots. */
static gboolean
insert_slot (EntsecVault   *vault,
             GPtrArray     *slots,
             const NewSlot *new_slot,
             GError       **error)
{
  g_autoptr (VaultSlot) slot = g_new0 (VaultSlot, 1);

  if (slots->len >= VAULT_MAX_SLOTS)
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID,
                   "A vault holds at most %d key slots; remove one first "
                   "('entsec-cli slots remove ID'); nothing was changed", VAULT_MAX_SLOTS);
      return FALSE;
    }
  slot->id = next_slot_id (slots);
  slot->type = new_slot->type;
  slot->known_good = TRUE; /* made just now, from a key we hold */
  slot->params = g_bytes_ref (new_slot->params);
  slot->wrapped = vault_slot_wrap (vault->vault_id, slot, new_slot->keys, vault->dek->data, error);
  if (slot->wrapped == NULL || !save_wrapped (vault, slot, TRUE, error))
    return FALSE;
  g_ptr_array_add (slots, g_steal_pointer (&slot));
  /* A new passphrase slot must not push one unlock past the KDF work cap. */
  if (!vault_check_slot_table (slots, NULL))
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID,
                   "The passphrase slots together would ask for more than %" G_GUINT64_FORMAT
                   " MiB-passes of Argon2id per unlock; choose lower costs; nothing was changed",
                   (guint64) VAULT_MAX_KDF_WORK / 1024);
      return FALSE;
    }
  return TRUE;
}

/* Argon2id of @passphrase into a new passphrase slot (calibrating when @kdf is NULL). */
static gboolean
make_passphrase_slot (EntsecVault           *vault,
                      const char            *passphrase,
                      gsize                  passphrase_len,
                      const EntsecKdfParams *kdf,
                      NewSlot               *slot,
                      GError               **error)
{
  EntsecArgon2Params argon = { 0 };
  g_autoptr (EntsecSecureBytes) kek = entsec_secure_bytes_new (KEK_SIZE);
  g_autoptr (GBytes) params = NULL;

  if (!vault_kdf_from_public (kdf, &argon, error)
      || !entsec_argon2id_derive (&argon, passphrase, passphrase_len, kek->data, KEK_SIZE, error))
    return FALSE;
  params = vault_kdf_params_encode (&argon);
  return new_slot_init (slot, vault, ENTSEC_VAULT_SLOT_PASSPHRASE, params, kek->data, error);
}

/*
 * Store a fresh KEK in the keyring and make the slot for it; *@uuid_out
 * names the item, so a failed transaction can remove it again.
 */
static gboolean
make_keyring_slot (EntsecVault  *vault,
                   guint8        uuid_out[KEYRING_SLOT_ID_SIZE],
                   NewSlot      *slot,
                   GCancellable *cancellable,
                   GError      **error)
{
  g_autoptr (EntsecSecureBytes) kek = entsec_secure_bytes_new (KEK_SIZE);
  g_autoptr (GBytes) params = NULL;
  g_autoptr (GError) local_error = NULL;

  if (!entsec_random_bytes (uuid_out, KEYRING_SLOT_ID_SIZE, error)
      || !entsec_random_bytes (kek->data, KEK_SIZE, error))
    return FALSE;
  params = g_bytes_new (uuid_out, KEYRING_SLOT_ID_SIZE);
  if (!new_slot_init (slot, vault, ENTSEC_VAULT_SLOT_KEYRING, params, kek->data, error))
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
  return TRUE;
}

static gboolean
insert_vault_row (EntsecVault *vault,
                  GError     **error)
{
  sqlite3_stmt *stmt;
  gboolean ok;

  stmt = vault_db_prepare (vault->db,
                           "INSERT INTO vault (id, vault_id, header_tag) VALUES (1, ?, x'')",
                           error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_blob (stmt, 1, vault->vault_id, VAULT_ID_SIZE, SQLITE_TRANSIENT);
  ok = vault_db_step_done (vault->db, stmt, "Cannot create the vault", error);
  sqlite3_finalize (stmt);
  return ok;
}

static gboolean
create_contents (EntsecVault           *vault,
                 gboolean               use_keyring,
                 const char            *passphrase,
                 gsize                  passphrase_len,
                 const EntsecKdfParams *kdf,
                 guint8                 keyring_uuid[KEYRING_SLOT_ID_SIZE],
                 gboolean              *keyring_stored,
                 GCancellable          *cancellable,
                 GError               **error)
{
  g_auto (NewSlot) pass_slot = { 0 };
  g_auto (NewSlot) keyring_slot = { 0 };

  if (passphrase != NULL
      && !make_passphrase_slot (vault, passphrase, passphrase_len, kdf, &pass_slot, error))
    return FALSE;
  if (use_keyring)
    {
      if (!make_keyring_slot (vault, keyring_uuid, &keyring_slot, cancellable, error))
        return FALSE;
      *keyring_stored = TRUE;
    }
  if (!vault_db_begin (vault->db, error))
    return FALSE;
  vault_index_begin (vault);
  return vault_db_create_schema (vault->db, error) && insert_vault_row (vault, error)
         && (passphrase == NULL || insert_slot (vault, vault->slots, &pass_slot, error))
         && (!use_keyring || insert_slot (vault, vault->slots, &keyring_slot, error))
         && vault_write_header (vault, vault->slots, error) && vault_commit (vault, error);
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
entsec_vault_create_sync (const char            *path,
                          gboolean               use_keyring,
                          const char            *passphrase,
                          gsize                  passphrase_len,
                          const EntsecKdfParams *kdf,
                          GCancellable          *cancellable,
                          GError               **error)
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
  vault->format = ENTSEC_VAULT_FORMAT_VERSION;
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

/* Commit @slots (already written) with a fresh header tag and index, and adopt them. */
static gboolean
commit_slots (EntsecVault *vault,
              GPtrArray   *slots,
              GError     **error)
{
  if (!vault_write_header (vault, slots, error) || !vault_commit (vault, error))
    {
      vault_db_rollback (vault->db);
      return FALSE;
    }
  g_ptr_array_unref (vault->slots);
  vault->slots = g_ptr_array_ref (slots);
  return TRUE;
}

/* Under the mutex: add @new_slot in one transaction. */
static gboolean
add_slot_locked (EntsecVault   *vault,
                 const NewSlot *new_slot,
                 GError       **error)
{
  g_autoptr (GPtrArray) slots = NULL;

  if (!vault_check_unlocked (vault, error) || !vault_begin_write (vault, error))
    return FALSE;
  slots = copy_slots (vault->slots);
  if (!insert_slot (vault, slots, new_slot, error))
    {
      vault_db_rollback (vault->db);
      return FALSE;
    }
  return commit_slots (vault, slots, error);
}

static gboolean
add_slot (EntsecVault   *vault,
          const NewSlot *new_slot,
          GError       **error)
{
  G_GNUC_UNUSED g_autoptr (VaultOp) op = vault_op_begin (vault);
  return add_slot_locked (vault, new_slot, error);
}

gboolean
vault_check_unlocked_now (EntsecVault *vault,
                          GError     **error)
{
  G_GNUC_UNUSED g_autoptr (VaultOp) op = vault_op_begin (vault);
  return vault_check_unlocked (vault, error);
}

gboolean
entsec_vault_add_passphrase_slot_sync (EntsecVault           *vault,
                                       const char            *passphrase,
                                       gsize                  passphrase_len,
                                       const EntsecKdfParams *kdf,
                                       GCancellable          *cancellable,
                                       GError               **error)
{
  g_auto (NewSlot) slot = { 0 };

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (passphrase != NULL, FALSE);
  return vault_check_unlocked_now (vault, error)
         && make_passphrase_slot (vault, passphrase, passphrase_len, kdf, &slot, error)
         && add_slot (vault, &slot, error);
}

gboolean
entsec_vault_add_keyring_slot_sync (EntsecVault  *vault,
                                    GCancellable *cancellable,
                                    GError      **error)
{
  g_auto (NewSlot) slot = { 0 };
  guint8 uuid[KEYRING_SLOT_ID_SIZE];

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  if (!vault_check_unlocked_now (vault, error)
      || !make_keyring_slot (vault, uuid, &slot, cancellable, error))
    return FALSE;
  if (!add_slot (vault, &slot, error))
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
  g_autoptr (EntsecSecureBytes) key = entsec_secure_bytes_new (KEK_SIZE);
  g_autoptr (GBytes) params = g_bytes_new_static ("\x01", 1);
  g_auto (NewSlot) slot = { 0 };

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);
  if (!vault_check_unlocked_now (vault, error) || !entsec_random_bytes (key->data, KEK_SIZE, error)
      || !new_slot_init (&slot, vault, ENTSEC_VAULT_SLOT_RECOVERY, params, key->data, error)
      || !add_slot (vault, &slot, error))
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

/* ---- Rotation ------------------------------------------------------------- */

/* The keys a rotation replaced, kept until its transaction commits. */
typedef struct
{
  EntsecSecureBytes *dek;
  EntsecSecureBytes *names_key;
} OldKeys;

static void
restore_keys (EntsecVault *vault,
              OldKeys     *old)
{
  g_clear_pointer (&vault->dek, entsec_secure_bytes_free);
  g_clear_pointer (&vault->names_key, entsec_secure_bytes_free);
  vault->dek = g_steal_pointer (&old->dek);
  vault->names_key = g_steal_pointer (&old->names_key);
}

static void
drop_keys (OldKeys *old)
{
  g_clear_pointer (&old->dek, entsec_secure_bytes_free);
  g_clear_pointer (&old->names_key, entsec_secure_bytes_free);
}

static gboolean
rewrap_slots (EntsecVault *vault,
              GPtrArray   *slots,
              GError     **error)
{
  for (guint i = 0; i < slots->len; i++)
    {
      VaultSlot *slot = g_ptr_array_index (slots, i);
      g_autoptr (GBytes) keys = vault_slot_get_keys (slot);

      if (keys == NULL)
        {
          g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID,
                       "Key slot %" G_GINT64_FORMAT " was made by an older entsec and cannot "
                       "receive a new data key without its secret. Unlock the vault once with "
                       "it (its passphrase, recovery key or keyring), which renews it, or remove "
                       "it and add a new one, then retry; nothing was changed", slot->id);
          return FALSE;
        }
      if (!vault_slot_rewrap (vault, slot, keys, error))
        return FALSE;
    }
  return TRUE;
}

/*
 * In the open transaction: a fresh DEK, wrapped for every slot of @slots
 * (rows updated), every loaded row re-encrypted under it. @old gets the
 * replaced keys: restore them if the transaction fails.
 */
static gboolean
rotate_dek (EntsecVault *vault,
            GPtrArray   *slots,
            OldKeys     *old,
            GError     **error)
{
  EntsecSecureBytes *dek = entsec_secure_bytes_new (ENTSEC_AEAD_KEY_SIZE);

  if (!entsec_random_bytes (dek->data, dek->len, error))
    {
      entsec_secure_bytes_free (dek);
      return FALSE;
    }
  old->dek = g_steal_pointer (&vault->dek);
  old->names_key = g_steal_pointer (&vault->names_key);
  vault->dek = dek;
  vault->names_key = vault_derive_names_key (dek);
  return rewrap_slots (vault, slots, error) && vault_rewrite_rows (vault, old->names_key, error);
}

/* Commit the rotated @slots; restore the old keys when anything failed. */
static gboolean
finish_rotation (EntsecVault *vault,
                 GPtrArray   *slots,
                 gboolean     ok,
                 OldKeys     *old,
                 GError     **error)
{
  if (ok && commit_slots (vault, slots, error))
    {
      drop_keys (old);
      return TRUE;
    }
  vault_db_rollback (vault->db);
  if (old->dek != NULL)
    restore_keys (vault, old);
  return FALSE;
}

/*
 * Replace every slot of @new_slot's type by @new_slot and rotate the DEK;
 * @removed (nullable) gets copies of the slots replaced.
 */
static gboolean
replace_slots_locked (EntsecVault   *vault,
                      const NewSlot *new_slot,
                      GPtrArray     *removed,
                      GError       **error)
{
  g_autoptr (GPtrArray) slots = NULL;
  OldKeys old = { NULL, NULL };
  gboolean ok = TRUE;

  if (!vault_check_unlocked (vault, error) || !vault_begin_write (vault, error))
    return FALSE;
  slots = g_ptr_array_new_with_free_func ((GDestroyNotify) vault_slot_free);
  for (guint i = 0; ok && i < vault->slots->len; i++)
    {
      VaultSlot *slot = g_ptr_array_index (vault->slots, i);

      if (slot->type != new_slot->type)
        g_ptr_array_add (slots, vault_slot_copy (slot));
      else
        {
          ok = delete_slot_row (vault, slot->id, error);
          if (removed != NULL)
            g_ptr_array_add (removed, vault_slot_copy (slot));
        }
    }
  ok = ok && rotate_dek (vault, slots, &old, error) && insert_slot (vault, slots, new_slot, error);
  if (!finish_rotation (vault, slots, ok, &old, error))
    {
      if (removed != NULL)
        g_ptr_array_set_size (removed, 0);
      return FALSE;
    }
  return TRUE;
}

gboolean
vault_put_slot (EntsecVault *vault,
                guint32      type,
                GBytes      *params,
                GBytes      *keys,
                GPtrArray  **removed,
                GError     **error)
{
  G_GNUC_UNUSED g_autoptr (VaultOp) op = vault_op_begin (vault);
  NewSlot slot = { type, params, keys };
  gboolean replace = FALSE;

  *removed = g_ptr_array_new_with_free_func ((GDestroyNotify) vault_slot_free);
  for (guint i = 0; i < vault->slots->len; i++)
    replace = replace || ((VaultSlot *) g_ptr_array_index (vault->slots, i))->type == type;
  if (replace)
    return replace_slots_locked (vault, &slot, *removed, error);
  return add_slot_locked (vault, &slot, error);
}

gboolean
entsec_vault_change_passphrase_sync (EntsecVault           *vault,
                                     const char            *passphrase,
                                     gsize                  passphrase_len,
                                     const EntsecKdfParams *kdf,
                                     GCancellable          *cancellable,
                                     GError               **error)
{
  g_autoptr (VaultOp) op = NULL;
  g_auto (NewSlot) slot = { 0 };

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (passphrase != NULL, FALSE);
  if (!vault_check_unlocked_now (vault, error)
      || !make_passphrase_slot (vault, passphrase, passphrase_len, kdf, &slot, error))
    return FALSE;
  op = vault_op_begin (vault);
  return replace_slots_locked (vault, &slot, NULL, error);
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
      guint32 type = ((VaultSlot *) g_ptr_array_index (remaining, i))->type;

      /* A PIN slot never stays alone (it goes with the last passphrase). */
      if (type != ENTSEC_VAULT_SLOT_KEYRING && type != ENTSEC_VAULT_SLOT_PIN)
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

/* The slot table as it is now, or NULL with @error when locked. */
static GPtrArray *
snapshot_slots (EntsecVault *vault,
                GError     **error)
{
  G_GNUC_UNUSED g_autoptr (VaultOp) op = vault_op_begin (vault);

  if (!vault_check_unlocked (vault, error))
    return NULL;
  return copy_slots (vault->slots);
}

static gboolean
same_slots (GPtrArray *a,
            GPtrArray *b)
{
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    {
      VaultSlot *x = g_ptr_array_index (a, i), *y = g_ptr_array_index (b, i);

      if (x->id != y->id || !g_bytes_equal (x->wrapped, y->wrapped))
        return FALSE;
    }
  return TRUE;
}

/* Under the mutex: delete the @removed slots and rotate, if the table is still @before. */
static gboolean
remove_slot_locked (EntsecVault *vault,
                    GPtrArray   *before,
                    GPtrArray   *remaining,
                    GPtrArray   *removed,
                    GError     **error)
{
  OldKeys old = { NULL, NULL };
  gboolean ok = TRUE;

  if (!vault_check_unlocked (vault, error))
    return FALSE;
  if (!same_slots (vault->slots, before))
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IN_USE,
                           "The vault's key slots changed while this removal was checked; "
                           "nothing was changed. Retry");
      return FALSE;
    }
  if (!vault_begin_write (vault, error))
    return FALSE;
  for (guint i = 0; ok && i < removed->len; i++)
    ok = delete_slot_row (vault, ((VaultSlot *) g_ptr_array_index (removed, i))->id, error);
  ok = ok && rotate_dek (vault, remaining, &old, error);
  return finish_rotation (vault, remaining, ok, &old, error);
}

/* A PIN slot goes with the last passphrase slot: move it from @remaining to @removed. */
static void
drop_lone_pin_slots (GPtrArray *remaining,
                     GPtrArray *removed)
{
  for (guint i = 0; i < remaining->len; i++)
    {
      if (((VaultSlot *) g_ptr_array_index (remaining, i))->type == ENTSEC_VAULT_SLOT_PASSPHRASE)
        return;
    }
  for (guint i = remaining->len; i > 0; i--)
    {
      if (((VaultSlot *) g_ptr_array_index (remaining, i - 1))->type == ENTSEC_VAULT_SLOT_PIN)
        g_ptr_array_add (removed, g_ptr_array_steal_index (remaining, i - 1));
    }
}

/* After the commit: the keyring items of removed keyring and PIN slots are useless now. */
void
vault_clear_slot_items (EntsecVault  *vault,
                        GPtrArray    *removed,
                        GCancellable *cancellable)
{
  for (guint i = 0; i < removed->len; i++)
    {
      VaultSlot *slot = g_ptr_array_index (removed, i);
      const guint8 *uuid = vault_pin_slot_uuid (slot);

      if (slot->type == ENTSEC_VAULT_SLOT_KEYRING
          && g_bytes_get_size (slot->params) == KEYRING_SLOT_ID_SIZE)
        vault_keyring_clear (vault->vault_id, g_bytes_get_data (slot->params, NULL),
                             cancellable, NULL);
      else if (slot->type == ENTSEC_VAULT_SLOT_PIN && uuid != NULL)
        vault_keyring_pin_clear (vault->vault_id, uuid, cancellable, NULL);
    }
}

static VaultSlot *
steal_slot (GPtrArray *slots,
            gint64     slot_id)
{
  for (guint i = 0; i < slots->len; i++)
    {
      if (((VaultSlot *) g_ptr_array_index (slots, i))->id == slot_id)
        return g_ptr_array_steal_index (slots, i);
    }
  return NULL;
}

gboolean
entsec_vault_remove_slot_sync (EntsecVault  *vault,
                               gint64        slot_id,
                               GCancellable *cancellable,
                               GError      **error)
{
  g_autoptr (GPtrArray) before = NULL;
  g_autoptr (GPtrArray) remaining = NULL;
  g_autoptr (GPtrArray) removed = NULL;
  VaultSlot *slot;
  VaultOp *op;
  gboolean ok;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  before = snapshot_slots (vault, error);
  if (before == NULL)
    return FALSE;
  remaining = copy_slots (before);
  slot = steal_slot (remaining, slot_id);
  if (slot == NULL)
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NO_SLOT,
                   "This vault has no slot %" G_GINT64_FORMAT " (see 'entsec-cli slots')", slot_id);
      return FALSE;
    }
  removed = g_ptr_array_new_with_free_func ((GDestroyNotify) vault_slot_free);
  g_ptr_array_add (removed, slot);
  if (slot->type == ENTSEC_VAULT_SLOT_PASSPHRASE)
    drop_lone_pin_slots (remaining, removed);
  /* The keyring may be asked here: without the mutex. */
  if (!remaining_slot_works (vault, remaining, slot_id, cancellable, error))
    return FALSE;
  op = vault_op_begin (vault);
  ok = remove_slot_locked (vault, before, remaining, removed, error);
  vault_op_end (op);
  if (!ok)
    return FALSE;
  vault_clear_slot_items (vault, removed, cancellable);
  return TRUE;
}
