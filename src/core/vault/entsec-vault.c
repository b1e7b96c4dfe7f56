/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-vault.c: the vault object: open, unlock with a key slot, lock.
 * Creating a vault and changing its slots are in entsec-vault-slots.c,
 * accounts and preferences in entsec-vault-data.c.
 */

#define G_LOG_DOMAIN "entsec-vault"

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <glib/gstdio.h>

#include "entsec-vault-private.h"


G_DEFINE_QUARK (entsec-vault-error-quark, entsec_vault_error)
G_DEFINE_FINAL_TYPE (EntsecVault, entsec_vault, G_TYPE_OBJECT)

void
vault_slot_free (VaultSlot *slot)
{
  if (slot == NULL)
    return;
  g_clear_pointer (&slot->params, g_bytes_unref);
  g_clear_pointer (&slot->wrapped, g_bytes_unref);
  g_free (slot);
}

void
entsec_vault_quarantined_free (EntsecVaultQuarantined *item)
{
  if (item == NULL)
    return;
  g_free (item->reason);
  g_free (item);
}

enum
{
  PROP_0,
  PROP_LOCKED,
  PROP_BUSY,
  PROP_READ_ONLY,
  PROP_PATH,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void lock_locked (EntsecVault *vault);

static void
entsec_vault_finalize (GObject *object)
{
  EntsecVault *self = ENTSEC_VAULT (object);

  lock_locked (self);
  /* The keyring's copy of the generation is up to date once the vault is gone. */
  if (self->keyring_jobs)
    vault_keyring_flush ();
  g_clear_pointer (&self->db, sqlite3_close);
  g_clear_pointer (&self->slots, g_ptr_array_unref);
  g_clear_pointer (&self->accounts, g_ptr_array_unref);
  g_clear_pointer (&self->quarantined, g_ptr_array_unref);
  g_clear_pointer (&self->prefs, g_hash_table_unref);
  g_free (self->upgrade_error);
  vault_state_finalize (self);
  g_free (self->path);
  g_mutex_clear (&self->mutex);
  G_OBJECT_CLASS (entsec_vault_parent_class)->finalize (object);
}

static void
entsec_vault_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  EntsecVault *self = ENTSEC_VAULT (object);

  switch (prop_id)
    {
    case PROP_LOCKED:
      g_value_set_boolean (value, !entsec_vault_is_unlocked (self));
      break;
    case PROP_BUSY:
      g_value_set_boolean (value, entsec_vault_is_busy (self));
      break;
    case PROP_READ_ONLY:
      g_value_set_boolean (value, entsec_vault_is_read_only (self));
      break;
    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
entsec_vault_class_init (EntsecVaultClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY;

  object_class->finalize = entsec_vault_finalize;
  object_class->get_property = entsec_vault_get_property;
  properties[PROP_LOCKED] = g_param_spec_boolean ("locked", NULL, NULL, TRUE, flags);
  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE, flags);
  properties[PROP_READ_ONLY] = g_param_spec_boolean ("read-only", NULL, NULL, FALSE, flags);
  properties[PROP_PATH] = g_param_spec_string ("path", NULL, NULL, NULL, flags);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  /* Accounts, quarantined rows, slots or the locked state changed (also
   * through another program); emitted on the vault's main context. */
  g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                G_TYPE_NONE, 0);
}

static void
entsec_vault_init (EntsecVault *self)
{
  g_mutex_init (&self->mutex);
  self->slots = g_ptr_array_new_with_free_func ((GDestroyNotify) vault_slot_free);
  self->accounts = g_ptr_array_new_with_free_func (vault_account_wipe_free);
  self->quarantined =
    g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_vault_quarantined_free);
  self->prefs = g_hash_table_new_full (g_str_hash, g_str_equal,
                                       (GDestroyNotify) entsec_secure_strfree,
                                       (GDestroyNotify) entsec_secure_bytes_free);
  vault_state_init (self);
}

/* ---- Small public helpers ------------------------------------------------- */

char *
entsec_vault_default_path (const char *profile)
{
  g_autofree char *file = g_strconcat (profile != NULL ? profile : "default", ".db", NULL);

  return g_build_filename (g_get_user_data_dir (), "entsec", file, NULL);
}

/* @path with its folder resolved (links, ".."), its name kept; NULL if the folder is unknown. */
static char *
resolve_path (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *name = g_path_get_basename (path);
  g_autofree char *real_dir = realpath (dir, NULL);

  return real_dir != NULL ? g_build_filename (real_dir, name, NULL) : NULL;
}

/* TRUE when @path is @file: the same inode, or (not created yet) the same resolved path. */
static gboolean
same_file (const char *path,
           const char *file)
{
  struct stat path_st, file_st;
  g_autofree char *path_real = NULL;
  g_autofree char *file_real = NULL;

  if (stat (path, &path_st) == 0)
    return stat (file, &file_st) == 0 && path_st.st_dev == file_st.st_dev
           && path_st.st_ino == file_st.st_ino;
  path_real = resolve_path (path);
  file_real = resolve_path (file);
  return path_real != NULL && file_real != NULL && strcmp (path_real, file_real) == 0;
}

gboolean
entsec_vault_path_is_vault_file (const char *vault_path,
                                 const char *path)
{
  static const char *const suffixes[] = { "", "-wal", "-shm", "-journal", ".lock" };
  g_autofree char *real = NULL;

  g_return_val_if_fail (vault_path != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  real = realpath (vault_path, NULL);
  for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (real != NULL ? real : vault_path, suffixes[i], NULL);

      if (same_file (path, file))
        return TRUE;
    }
  return FALSE;
}

gboolean
entsec_vault_harden_process (GError **error)
{
  struct rlimit none = { 0, 0 };

  if (prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) != 0 || setrlimit (RLIMIT_CORE, &none) != 0)
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IO,
                           "Cannot disable core dumps for this process");
      return FALSE;
    }
  return TRUE;
}

gboolean
entsec_vault_calibrate_kdf_sync (guint            target_ms,
                                 EntsecKdfParams *params,
                                 GError         **error)
{
  EntsecArgon2Params argon = { 0 };

  if (!entsec_argon2id_calibrate (target_ms, &argon, error))
    return FALSE;
  params->memory_kib = argon.m_cost_kib;
  params->iterations = argon.t_cost;
  params->parallelism = argon.parallelism;
  return TRUE;
}

const char *
entsec_vault_get_path (EntsecVault *vault)
{
  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);
  return vault->path;
}

void
vault_note_file (EntsecVault *vault)
{
  struct stat st;

  if (stat (vault->path, &st) == 0)
    {
      vault->file_dev = st.st_dev;
      vault->file_ino = st.st_ino;
    }
}

gboolean
vault_check_file (EntsecVault *vault,
                  GError     **error)
{
  struct stat st;

  if (stat (vault->path, &st) == 0 && st.st_dev == vault->file_dev && st.st_ino == vault->file_ino)
    return TRUE;
  g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_REPLACED,
               "The vault file %s was moved, replaced or deleted while open; nothing was "
               "written. Close entsec and open the vault again", vault->path);
  return FALSE;
}

/*
 * Every write starts here: the file is still ours, nobody else is writing
 * (SQLite waits for them), and the model is what the file holds now (another
 * program's commit is read first, so a duplicate check or an HOTP counter
 * works on current data).
 */
gboolean
vault_begin_write (EntsecVault *vault,
                   GError     **error)
{
  if (vault->read_only)
    {
      vault_db_set_error (NULL, vault->read_only, "Cannot save the change", error);
      return FALSE;
    }
  if (vault->format < ENTSEC_VAULT_FORMAT_VERSION)
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IO,
                   "This vault was written by an older entsec and could not be upgraded to the "
                   "current format (%s), so it can be read but not changed; nothing was "
                   "written. Make the file writable (or free some space) and unlock it again",
                   vault->upgrade_error != NULL ? vault->upgrade_error : "not unlocked yet");
      return FALSE;
    }
  if (!vault_check_file (vault, error) || !vault_db_begin (vault->db, error))
    return FALSE;
  vault->dirty = TRUE;
  if (!vault_refresh (vault, NULL, error))
    {
      vault_db_rollback (vault->db);
      return FALSE;
    }
  /* The transaction's index is the file's, whoever committed last. */
  vault_index_begin (vault);
  return TRUE;
}

gboolean
vault_check_unlocked (EntsecVault *vault,
                      GError     **error)
{
  if (vault->dek != NULL)
    return TRUE;
  g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_LOCKED,
                       vault->lock_reason != NULL ? vault->lock_reason
                                                  : "The vault is locked: unlock it first");
  return FALSE;
}

/* ---- Row encryption ------------------------------------------------------- */

GBytes *
vault_seal_row (EntsecVault  *vault,
                const char   *table,
                const guint8 *row_key,
                gsize         row_key_len,
                guint64       version,
                const guint8 *plaintext,
                gsize         plaintext_len,
                GError      **error)
{
  g_autoptr (GBytes) aad = vault_row_aad (vault->vault_id, ENTSEC_VAULT_FORMAT_VERSION, table,
                                          row_key, row_key_len, version, "data");

  return entsec_aead_seal (vault->dek->data, g_bytes_get_data (aad, NULL), g_bytes_get_size (aad),
                           plaintext, plaintext_len, error);
}

EntsecSecureBytes *
vault_open_row (EntsecVault  *vault,
                const char   *table,
                const guint8 *row_key,
                gsize         row_key_len,
                guint64       version,
                const void   *sealed,
                gsize         sealed_len,
                GError      **error)
{
  g_autoptr (GBytes) aad = vault_row_aad (vault->vault_id, (guint) vault->format, table, row_key,
                                          row_key_len, version, "data");

  return entsec_aead_open (vault->dek->data, g_bytes_get_data (aad, NULL), g_bytes_get_size (aad),
                           sealed, sealed_len, error);
}

/* ---- Header and slot table ------------------------------------------------ */

static GBytes *
column_bytes (sqlite3_stmt *stmt,
              int           column)
{
  return g_bytes_new (sqlite3_column_blob (stmt, column),
                      (gsize) sqlite3_column_bytes (stmt, column));
}

static gboolean
read_vault_id (EntsecVault *vault,
               GError     **error)
{
  sqlite3_stmt *stmt = vault_db_prepare (vault->db, "SELECT vault_id FROM vault WHERE id = 1",
                                         error);
  gboolean ok = FALSE;

  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_bytes (stmt, 0) == VAULT_ID_SIZE)
    {
      memcpy (vault->vault_id, sqlite3_column_blob (stmt, 0), VAULT_ID_SIZE);
      ok = TRUE;
    }
  sqlite3_finalize (stmt);
  if (!ok)
    g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT,
                         "The vault header is missing or damaged; the file was not modified");
  return ok;
}

/* A keyring slot read again keeps its "worked this session" mark. */
static void
keep_known_good (GPtrArray *old,
                 VaultSlot *slot)
{
  for (guint i = 0; old != NULL && i < old->len; i++)
    {
      VaultSlot *before = g_ptr_array_index (old, i);

      if (before->id == slot->id && before->known_good && g_bytes_equal (before->wrapped,
                                                                          slot->wrapped)
          && g_bytes_equal (before->params, slot->params))
        slot->known_good = TRUE;
    }
}

gboolean
vault_reload_slots (EntsecVault *vault,
                    GError     **error)
{
  sqlite3_stmt *stmt = vault_db_prepare (vault->db,
                                         "SELECT id, type, params, wrapped FROM slots ORDER BY id",
                                         error);
  g_autoptr (GPtrArray) old = g_steal_pointer (&vault->slots);
  int rc;

  vault->slots = g_ptr_array_new_with_free_func ((GDestroyNotify) vault_slot_free);
  if (stmt == NULL)
    return FALSE;
  for (rc = sqlite3_step (stmt); rc == SQLITE_ROW; rc = sqlite3_step (stmt))
    {
      VaultSlot *slot = g_new0 (VaultSlot, 1);

      slot->id = sqlite3_column_int64 (stmt, 0);
      slot->type = (guint32) sqlite3_column_int64 (stmt, 1);
      slot->params = column_bytes (stmt, 2);
      slot->wrapped = column_bytes (stmt, 3);
      keep_known_good (old, slot);
      g_ptr_array_add (vault->slots, slot);
    }
  sqlite3_finalize (stmt);
  vault->dirty = TRUE;
  if (rc != SQLITE_DONE)
    {
      vault_db_set_error (vault->db, rc, "Cannot read the key slots", error);
      return FALSE;
    }
  if (!vault_check_slot_table (vault->slots, error))
    return FALSE;
  if (vault->slots->len == 0)
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT,
                           "The vault has no key slot: its header is damaged; "
                           "the file was not modified");
      return FALSE;
    }
  return TRUE;
}

gboolean
vault_verify_header (EntsecVault             *vault,
                     const EntsecSecureBytes *dek,
                     GError                 **error)
{
  g_autoptr (GBytes) aad = vault_header_aad (vault->vault_id, (guint) vault->format,
                                             vault->slots);
  g_autoptr (EntsecSecureBytes) empty = NULL;
  sqlite3_stmt *stmt = vault_db_prepare (vault->db, "SELECT header_tag FROM vault WHERE id = 1",
                                         error);

  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    empty = entsec_aead_open (dek->data, g_bytes_get_data (aad, NULL), g_bytes_get_size (aad),
                              sqlite3_column_blob (stmt, 0),
                              (gsize) sqlite3_column_bytes (stmt, 0), NULL);
  sqlite3_finalize (stmt);
  if (empty == NULL || empty->len != 0)
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT,
                           "The vault header (format, key slots, KDF parameters) fails its "
                           "integrity check: the file was damaged or tampered with. It was not "
                           "modified; restore it from a backup");
      return FALSE;
    }
  return TRUE;
}

/* Try @kek on @slot: the DEK, or NULL (wrong key or altered slot). */
static EntsecSecureBytes *
unwrap_slot (EntsecVault     *vault,
             const VaultSlot *slot,
             const guint8    *kek)
{
  return vault_slot_unwrap (vault->vault_id, slot, kek);
}

EntsecSecureBytes *
vault_derive_names_key (const EntsecSecureBytes *dek)
{
  static const char info[] = "entsec-vault preference names v1";
  EntsecSecureBytes *key = entsec_secure_bytes_new (32);
  unsigned int len = 32;

  HMAC (EVP_sha256 (), dek->data, (int) dek->len, (const guint8 *) info, sizeof info - 1,
        key->data, &len);
  return key;
}

/*
 * Take @dek (verified against the header; @slot and @kek gave it, @kek NULL
 * for a keyring slot) and load the rows; op mutex held.
 */
static gboolean
finish_unlock (EntsecVault       *vault,
               EntsecSecureBytes *dek,
               const VaultSlot   *slot,
               const guint8      *kek,
               GError           **error)
{
  g_autoptr (GError) upgrade_error = NULL;
  gboolean started, loaded;

  if (!vault_verify_header (vault, dek, error))
    {
      entsec_secure_bytes_free (dek);
      return FALSE;
    }
  vault->dek = dek;
  vault->names_key = vault_derive_names_key (dek);
  g_clear_pointer (&vault->lock_reason, g_free);
  vault->dirty = TRUE;
  /* Index and rows from one snapshot (another program may be committing). */
  started = vault_read_begin (vault);
  vault_note_data_version (vault);
  loaded = (vault->format < 2
            || (vault_read_index (vault, error) && vault_check_generation (vault, slot, error)))
           && vault_load_rows (vault, error);
  vault_read_end (vault, started);
  if (!loaded)
    {
      vault_lock_model (vault);
      return FALSE;
    }
  /* The first write an open may make, and only once the key proved right. A failed
   * upgrade (read-only file, full disk) leaves the file as it was, readable. */
  g_clear_pointer (&vault->upgrade_error, g_free);
  if (vault->read_only && vault->format < ENTSEC_VAULT_FORMAT_VERSION)
    vault->upgrade_error = g_strdup ("the vault cannot be written here");
  else if (vault->format < ENTSEC_VAULT_FORMAT_VERSION
           && !vault_upgrade (vault, slot, kek, &upgrade_error))
    vault->upgrade_error = g_strdup (upgrade_error != NULL ? upgrade_error->message : "unknown");
  else if (!vault->read_only)
    vault_renew_slot (vault, slot, kek);
  /* From now on a clean close checkpoints the WAL into the file. */
  if (!vault->read_only)
    sqlite3_db_config (vault->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, NULL);
  /* A wipe ordered while locked: done before anyone sees an account, or no unlock. */
  if (!vault_finish_remote_wipe (vault, vault_now (vault), error))
    {
      vault_lock_model (vault);
      return FALSE;
    }
  return TRUE;
}

/* ---- Open and create ------------------------------------------------------ */

EntsecVault *
entsec_vault_open_sync (const char   *path,
                        GCancellable *cancellable,
                        GError      **error)
{
  g_autoptr (EntsecVault) vault = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  vault = g_object_new (ENTSEC_TYPE_VAULT, NULL);
  vault->path = g_strdup (path);
  vault->db = vault_db_open_existing (path, &vault->read_only, error);
  vault_note_file (vault);
  if (vault->db == NULL || !read_vault_id (vault, error) || !vault_reload_slots (vault, error))
    return NULL;
  vault->format = vault_db_format (vault->db);
  vault_note_data_version (vault);
  vault_publish_initial (vault);
  return g_steal_pointer (&vault);
}

/* ---- Unlock --------------------------------------------------------------- */

EntsecVaultSlotInfo *
vault_slot_infos (EntsecVault *vault,
                  gsize       *n_slots)
{
  EntsecVaultSlotInfo *infos;

  infos = g_new0 (EntsecVaultSlotInfo, vault->slots->len + 1);
  for (guint i = 0; i < vault->slots->len; i++)
    {
      VaultSlot *slot = g_ptr_array_index (vault->slots, i);
      EntsecArgon2Params argon;

      infos[i].id = slot->id;
      infos[i].type = (EntsecVaultSlotType) slot->type;
      if ((slot->type == ENTSEC_VAULT_SLOT_PASSPHRASE
           && vault_kdf_params_decode (slot->params, &argon, NULL))
          || (slot->type == ENTSEC_VAULT_SLOT_PIN && vault_pin_slot_kdf (slot, &argon)))
        {
          infos[i].kdf.memory_kib = argon.m_cost_kib;
          infos[i].kdf.iterations = argon.t_cost;
          infos[i].kdf.parallelism = argon.parallelism;
        }
    }
  if (n_slots != NULL)
    *n_slots = vault->slots->len;
  return infos;
}


static gboolean
has_slot_type (EntsecVault *vault,
               guint32      type)
{
  for (guint i = 0; i < vault->slots->len; i++)
    {
      if (((VaultSlot *) g_ptr_array_index (vault->slots, i))->type == type)
        return TRUE;
    }
  return FALSE;
}

VaultSlot *
vault_slot_copy (const VaultSlot *slot)
{
  VaultSlot *copy = g_new0 (VaultSlot, 1);

  copy->id = slot->id;
  copy->type = slot->type;
  copy->params = g_bytes_ref (slot->params);
  copy->wrapped = g_bytes_ref (slot->wrapped);
  copy->known_good = slot->known_good;
  return copy;
}

/*
 * What an unlock attempt works on outside the mutex: copies of the slots of
 * one type. NULL with TRUE in *@done when the vault is unlocked already; NULL
 * with an error when it has no such slot.
 */
static GPtrArray *
slots_to_try (EntsecVault *vault,
              guint32      type,
              const char  *what,
              gboolean    *done,
              GError     **error)
{
  G_GNUC_UNUSED g_autoptr (VaultOp) op = vault_op_begin (vault);
  GPtrArray *copies;

  *done = vault->dek != NULL;
  if (*done)
    return NULL;
  if (!has_slot_type (vault, type))
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NO_SLOT,
                   "This vault has no %s slot", what);
      return NULL;
    }
  copies = g_ptr_array_new_with_free_func ((GDestroyNotify) vault_slot_free);
  for (guint i = 0; i < vault->slots->len; i++)
    {
      VaultSlot *slot = g_ptr_array_index (vault->slots, i);

      if (slot->type == type)
        g_ptr_array_add (copies, vault_slot_copy (slot));
    }
  return copies;
}

/* The slot @used still stands as it was when its copy was taken. */
static VaultSlot *
find_same_slot (EntsecVault     *vault,
                const VaultSlot *used)
{
  for (guint i = 0; i < vault->slots->len; i++)
    {
      VaultSlot *slot = g_ptr_array_index (vault->slots, i);

      if (slot->id == used->id && g_bytes_equal (slot->wrapped, used->wrapped))
        return slot;
    }
  return NULL;
}

typedef enum
{
  ADOPT_DONE,
  ADOPT_FAILED,
  ADOPT_RETRY, /* another program changed the slots while the key was derived */
} AdoptResult;

/* Take the DEK unwrapped from @used outside the mutex (owned). */
static AdoptResult
adopt_dek (EntsecVault             *vault,
           const VaultSlot         *used,
           EntsecSecureBytes       *dek,
           const EntsecSecureBytes *kek,
           GError                 **error)
{
  G_GNUC_UNUSED g_autoptr (VaultOp) op = vault_op_begin (vault);
  g_autoptr (GError) reset_error = NULL;
  VaultSlot *slot;

  if (vault->dek != NULL)
    {
      entsec_secure_bytes_free (dek);
      return ADOPT_DONE;
    }
  slot = find_same_slot (vault, used);
  if (slot == NULL)
    {
      entsec_secure_bytes_free (dek);
      return ADOPT_RETRY;
    }
  if (!finish_unlock (vault, dek, slot, kek != NULL ? kek->data : NULL, error))
    return ADOPT_FAILED;
  /* A count left (the disk refused) only brings the limit nearer: the unlock stands. */
  if (!vault_reset_failed_unlocks (vault, &reset_error))
    g_info ("The count of wrong unlocks was not reset: %s", reset_error->message);
  if (slot->type == ENTSEC_VAULT_SLOT_KEYRING)
    slot->known_good = TRUE;
  return ADOPT_DONE;
}

static gboolean
wrong_secret (EntsecVault *vault,
              const char  *what,
              GError     **error)
{
  /* The count is kept (entsec_vault_get_failed_unlocks, and in the file under a
   * policy) but the message says only what the policy makes of it. */
  g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE,
               "Wrong %s; the vault stays locked", what);
  vault_note_failed_unlock (vault, what, error);
  return FALSE;
}

/*
 * Which passphrase slot @passphrase opens, and its DEK; runs Argon2id, so
 * never with the mutex held. NULL with *@error set only when cancelled or
 * when every slot's parameters were refused (@error says why).
 */
static EntsecSecureBytes *
derive_passphrase_dek (EntsecVault  *vault,
                       GPtrArray    *slots,
                       const char   *passphrase,
                       gsize         passphrase_len,
                       VaultSlot   **used,
                       EntsecSecureBytes **kek_out,
                       GCancellable *cancellable,
                       GError      **error)
{
  g_autoptr (GError) params_error = NULL;

  for (guint i = 0; i < slots->len; i++)
    {
      VaultSlot *slot = g_ptr_array_index (slots, i);
      g_autoptr (EntsecSecureBytes) kek = entsec_secure_bytes_new (KEK_SIZE);
      EntsecArgon2Params argon;
      EntsecSecureBytes *dek;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      g_clear_error (&params_error);
      if (!vault_kdf_params_decode (slot->params, &argon, &params_error)
          || !entsec_argon2id_derive (&argon, passphrase, passphrase_len, kek->data, KEK_SIZE,
                                      &params_error))
        continue;
      dek = unwrap_slot (vault, slot, kek->data);
      if (dek != NULL)
        {
          *used = slot;
          *kek_out = g_steal_pointer (&kek);
          return dek;
        }
    }
  if (params_error != NULL)
    g_propagate_error (error, g_steal_pointer (&params_error));
  return NULL;
}

gboolean
vault_unlock_with (EntsecVault    *vault,
                   guint32         type,
                   const char     *what,
                   VaultDeriveFunc derive,
                   gconstpointer   secret,
                   gsize           secret_len,
                   GCancellable   *cancellable,
                   GError        **error)
{
  /* A retry happens only if another program changes the slots meanwhile. */
  for (guint attempt = 0; attempt < 3; attempt++)
    {
      g_autoptr (GPtrArray) slots = NULL;
      g_autoptr (EntsecSecureBytes) kek = NULL;
      GError *local_error = NULL;
      VaultSlot *used = NULL;
      EntsecSecureBytes *dek;
      gboolean done = FALSE;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      /* A wait the policy imposes stops a guess before it is tried (or counted). */
      if (type != ENTSEC_VAULT_SLOT_KEYRING && !vault_check_unlock_wait (vault, error))
        return FALSE;
      slots = slots_to_try (vault, type, what, &done, error);
      if (slots == NULL)
        return done;
      dek = derive (vault, slots, secret, secret_len, &used, &kek, cancellable, &local_error);
      if (dek == NULL && local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      if (dek == NULL)
        return wrong_secret (vault, what, error);
      switch (adopt_dek (vault, used, dek, kek, error))
        {
        case ADOPT_DONE:
          return TRUE;
        case ADOPT_FAILED:
          return FALSE;
        case ADOPT_RETRY:
        default:
          break;
        }
    }
  g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IN_USE,
                       "Another program keeps changing the vault's key slots; retry later");
  return FALSE;
}

static EntsecSecureBytes *
derive_passphrase (EntsecVault        *vault,
                   GPtrArray          *slots,
                   gconstpointer       secret,
                   gsize               secret_len,
                   VaultSlot         **used,
                   EntsecSecureBytes **kek_out,
                   GCancellable       *cancellable,
                   GError            **error)
{
  return derive_passphrase_dek (vault, slots, secret, secret_len, used, kek_out, cancellable,
                                error);
}

/* Copies of the slots of @type (op mutex taken here). */
static GPtrArray *
copy_slots_of_type (EntsecVault *vault,
                    guint32      type)
{
  G_GNUC_UNUSED g_autoptr (VaultOp) op = vault_op_begin (vault);
  GPtrArray *copies = g_ptr_array_new_with_free_func ((GDestroyNotify) vault_slot_free);

  for (guint i = 0; i < vault->slots->len; i++)
    {
      VaultSlot *slot = g_ptr_array_index (vault->slots, i);

      if (slot->type == type)
        g_ptr_array_add (copies, vault_slot_copy (slot));
    }
  return copies;
}

gboolean
vault_passphrase_opens (EntsecVault  *vault,
                        const char   *passphrase,
                        gsize         passphrase_len,
                        GCancellable *cancellable,
                        GError      **error)
{
  g_autoptr (GPtrArray) slots = NULL;
  g_autoptr (EntsecSecureBytes) kek = NULL;
  g_autoptr (EntsecSecureBytes) dek = NULL;
  VaultSlot *used = NULL;

  slots = copy_slots_of_type (vault, ENTSEC_VAULT_SLOT_PASSPHRASE);
  if (slots->len == 0)
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NO_SLOT,
                           "This vault has no passphrase; set a passphrase first");
      return FALSE;
    }
  dek = derive_passphrase_dek (vault, slots, passphrase, passphrase_len, &used, &kek, cancellable,
                               error);
  if (dek != NULL)
    return TRUE;
  if (error == NULL || *error == NULL)
    g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE,
                         "Wrong passphrase; nothing was changed");
  return FALSE;
}

gboolean
entsec_vault_unlock_passphrase_sync (EntsecVault  *vault,
                                     const char   *passphrase,
                                     gsize         passphrase_len,
                                     GCancellable *cancellable,
                                     GError      **error)
{
  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (passphrase != NULL || passphrase_len == 0, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return vault_unlock_with (vault, ENTSEC_VAULT_SLOT_PASSPHRASE, "passphrase", derive_passphrase,
                                  passphrase != NULL ? passphrase : "", passphrase_len, cancellable,
                            error);
}

/* Base32 text of a recovery key, spaces and dashes ignored, any case. */
static guint8 *
parse_recovery_key (const char *text,
                    gsize      *len)
{
  GString *clean = g_string_new (NULL);
  guint8 *key;

  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p != ' ' && *p != '-')
        g_string_append_c (clean, g_ascii_toupper (*p));
    }
  key = entsec_base32_decode (clean->str, len, NULL);
  entsec_secure_free (clean->str, clean->allocated_len);
  g_string_free (clean, FALSE);
  return key;
}

static EntsecSecureBytes *
derive_recovery (EntsecVault        *vault,
                 GPtrArray          *slots,
                 gconstpointer       secret,
                 gsize               secret_len,
                 VaultSlot         **used,
                 EntsecSecureBytes **kek_out,
                 GCancellable       *cancellable,
                 GError            **error)
{
  gsize len = 0;
  guint8 *key = parse_recovery_key (secret, &len);
  EntsecSecureBytes *dek = NULL;

  /* Text that is no recovery key at all (the app tries a wrong passphrase as one
   * too) is refused without counting toward a policy's limit: it cannot be a guess. */
  if (key == NULL || len != KEK_SIZE)
    {
      entsec_secure_free (key, len);
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE,
                           "Wrong recovery key; the vault stays locked");
      return NULL;
    }
  for (guint i = 0; dek == NULL && i < slots->len; i++)
    {
      dek = unwrap_slot (vault, g_ptr_array_index (slots, i), key);
      if (dek != NULL)
        {
          *used = g_ptr_array_index (slots, i);
          *kek_out = entsec_secure_bytes_new_copy (key, len);
        }
    }
  entsec_secure_free (key, len);
  return dek;
}

gboolean
entsec_vault_unlock_recovery_sync (EntsecVault  *vault,
                                   const char   *recovery_key,
                                   GCancellable *cancellable,
                                   GError      **error)
{
  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (recovery_key != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  return vault_unlock_with (vault, ENTSEC_VAULT_SLOT_RECOVERY, "recovery key", derive_recovery,
                            recovery_key, strlen (recovery_key), cancellable, error);
}

const char *
vault_keyring_problem (KeyringOutcome outcome)
{
  switch (outcome)
    {
    case KEYRING_NOT_FOUND:
      return "the vault's key is not in the keyring (the item was deleted, or this is "
             "another user's keyring)";
    case KEYRING_LOCKED:
      return "the keyring is locked; unlock it (log in to the desktop session, or use "
             "Passwords and Keys / seahorse)";
    case KEYRING_UNREACHABLE:
      return "no Secret Service is reachable (no D-Bus session, or gnome-keyring is not "
             "running); start one";
    case KEYRING_MISMATCH:
    case KEYRING_FOUND:
    default:
      return "the key in the keyring does not match this vault";
    }
}

/* Every keyring slot failed for @outcome: pick the error the caller acts on. */
static gboolean
keyring_failed (gboolean       has_passphrase,
                KeyringOutcome outcome,
                const char    *detail,
                GError       **error)
{
  g_autofree char *suffix = detail != NULL ? g_strdup_printf (" (%s)", detail) : g_strdup ("");

  if (has_passphrase)
    g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NEEDS_PASSPHRASE,
                 "Cannot use the keyring: %s%s. Enter the vault passphrase instead",
                 vault_keyring_problem (outcome), suffix);
  else
    g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_KEYRING,
                 "Cannot unlock the vault: %s%s. The vault has no passphrase slot, so the "
                 "keyring must be fixed (or a recovery key used); nothing was changed",
                 vault_keyring_problem (outcome), suffix);
  return FALSE;
}

/* Look up @slot's item and unwrap the DEK with it; NULL with *@outcome set. */
static EntsecSecureBytes *
unwrap_keyring_slot (EntsecVault    *vault,
                     const VaultSlot *slot,
                     GCancellable   *cancellable,
                     KeyringOutcome *outcome,
                     GError        **lookup_error)
{
  g_autoptr (EntsecSecureBytes) kek = NULL;
  EntsecSecureBytes *dek;

  if (g_bytes_get_size (slot->params) != KEYRING_SLOT_ID_SIZE)
    {
      *outcome = KEYRING_MISMATCH;
      return NULL;
    }
  *outcome = vault_keyring_lookup (vault->vault_id, g_bytes_get_data (slot->params, NULL), &kek,
                                   cancellable, lookup_error);
  if (*outcome != KEYRING_FOUND)
    return NULL;
  dek = kek->len == KEK_SIZE ? unwrap_slot (vault, slot, kek->data) : NULL;
  if (dek == NULL)
    *outcome = KEYRING_MISMATCH;
  return dek;
}

gboolean
vault_keyring_slot_works (EntsecVault    *vault,
                          VaultSlot      *slot,
                          GCancellable   *cancellable,
                          KeyringOutcome *outcome)
{
  EntsecSecureBytes *dek;

  *outcome = KEYRING_FOUND;
  if (slot->known_good)
    return TRUE;
  dek = unwrap_keyring_slot (vault, slot, cancellable, outcome, NULL);
  if (dek == NULL)
    return FALSE;
  entsec_secure_bytes_free (dek);
  slot->known_good = TRUE;
  return TRUE;
}

void
vault_read_keyring_generation (EntsecVault *vault)
{
  guint64 kept = 0;

  /* The rollback check's keyring lookup, here without the mutex too. */
  vault_keyring_flush ();
  vault->keyring_generation_known =
    vault_keyring_get_generation (vault->vault_id, &kept) == KEYRING_FOUND;
  vault->keyring_generation = kept;
}

/* The keyring's answer for each keyring slot, looked up outside the mutex. */
static EntsecSecureBytes *
derive_keyring (EntsecVault        *vault,
                GPtrArray          *slots,
                gconstpointer       secret,
                gsize               secret_len,
                VaultSlot         **used,
                EntsecSecureBytes **kek_out,
                GCancellable       *cancellable,
                GError            **error)
{
  KeyringOutcome outcome = KEYRING_NOT_FOUND;
  g_autoptr (GError) lookup_error = NULL;
  gboolean has_passphrase = GPOINTER_TO_INT (secret);

  for (guint i = 0; i < slots->len; i++)
    {
      VaultSlot *slot = g_ptr_array_index (slots, i);
      EntsecSecureBytes *dek;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      g_clear_error (&lookup_error);
      dek = unwrap_keyring_slot (vault, slot, cancellable, &outcome, &lookup_error);
      if (dek != NULL)
        {
          vault_read_keyring_generation (vault);
          *used = slot;
          return dek;
        }
    }
  keyring_failed (has_passphrase, outcome,
                  lookup_error != NULL ? lookup_error->message : NULL, error);
  return NULL;
}

static gboolean
vault_has_passphrase_slot (EntsecVault *vault)
{
  G_GNUC_UNUSED g_autoptr (VaultOp) op = vault_op_begin (vault);

  return has_slot_type (vault, ENTSEC_VAULT_SLOT_PASSPHRASE);
}

gboolean
entsec_vault_unlock_keyring_sync (EntsecVault  *vault,
                                  GCancellable *cancellable,
                                  GError      **error)
{
  g_autoptr (GError) local_error = NULL;
  gboolean has_passphrase;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  has_passphrase = vault_has_passphrase_slot (vault);
  if (vault_unlock_with (vault, ENTSEC_VAULT_SLOT_KEYRING, "keyring", derive_keyring,
                         GINT_TO_POINTER (has_passphrase), 0, cancellable, &local_error))
    return TRUE;
  if (g_error_matches (local_error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NO_SLOT))
    return keyring_failed (has_passphrase, KEYRING_NOT_FOUND, "this vault has no keyring slot",
                           error);
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

static EntsecVaultKeyringStatus
public_keyring_status (KeyringOutcome outcome)
{
  switch (outcome)
    {
    case KEYRING_FOUND:
      return ENTSEC_VAULT_KEYRING_OK;
    case KEYRING_NOT_FOUND:
      return ENTSEC_VAULT_KEYRING_ITEM_MISSING;
    case KEYRING_LOCKED:
      return ENTSEC_VAULT_KEYRING_LOCKED;
    case KEYRING_UNREACHABLE:
      return ENTSEC_VAULT_KEYRING_UNREACHABLE;
    case KEYRING_MISMATCH:
    default:
      return ENTSEC_VAULT_KEYRING_MISMATCH;
    }
}

/* A copy of keyring slot @slot_id (op mutex taken here), or NULL. */
static VaultSlot *
copy_keyring_slot (EntsecVault *vault,
                   gint64       slot_id)
{
  G_GNUC_UNUSED g_autoptr (VaultOp) op = vault_op_begin (vault);

  for (guint i = 0; i < vault->slots->len; i++)
    {
      VaultSlot *slot = g_ptr_array_index (vault->slots, i);

      if (slot->id == slot_id && slot->type == ENTSEC_VAULT_SLOT_KEYRING)
        return vault_slot_copy (slot);
    }
  return NULL;
}

static void
mark_known_good (EntsecVault     *vault,
                 const VaultSlot *checked)
{
  G_GNUC_UNUSED g_autoptr (VaultOp) op = vault_op_begin (vault);
  VaultSlot *slot = find_same_slot (vault, checked);

  if (slot != NULL)
    slot->known_good = TRUE;
}

gboolean
entsec_vault_check_keyring_slot_sync (EntsecVault              *vault,
                                      gint64                    slot_id,
                                      EntsecVaultKeyringStatus *status,
                                      GCancellable             *cancellable,
                                      GError                  **error)
{
  g_autoptr (VaultSlot) slot = NULL;
  KeyringOutcome outcome = KEYRING_NOT_FOUND;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (status != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  slot = copy_keyring_slot (vault, slot_id);
  if (slot == NULL)
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NO_SLOT,
                   "This vault has no keyring slot %" G_GINT64_FORMAT " (see 'entsec-cli slots')",
                   slot_id);
      return FALSE;
    }
  /* The D-Bus lookup runs on the copy, without the mutex. */
  if (vault_keyring_slot_works (vault, slot, cancellable, &outcome))
    mark_known_good (vault, slot);
  *status = public_keyring_status (outcome);
  return TRUE;
}

static void
unlock_keyring_thread (GTask        *task,
                       gpointer      source,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  GError *error = NULL;

  if (entsec_vault_unlock_keyring_sync (source, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
entsec_vault_unlock_keyring_async (EntsecVault        *vault,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  g_return_if_fail (ENTSEC_IS_VAULT (vault));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  vault_task_run (vault, cancellable, callback, user_data, entsec_vault_unlock_keyring_async, NULL,
                  NULL, unlock_keyring_thread);
}

gboolean
entsec_vault_unlock_keyring_finish (EntsecVault  *vault,
                                    GAsyncResult *result,
                                    GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, vault), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
unlock_passphrase_thread (GTask        *task,
                          gpointer      source,
                          gpointer      task_data,
                          GCancellable *cancellable)
{
  EntsecSecureBytes *passphrase = task_data;
  GError *error = NULL;

  if (entsec_vault_unlock_passphrase_sync (source, (const char *) passphrase->data, passphrase->len,
                                           cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
entsec_vault_unlock_passphrase_async (EntsecVault        *vault,
                                      const char         *passphrase,
                                      gsize               passphrase_len,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (ENTSEC_IS_VAULT (vault));
  g_return_if_fail (passphrase != NULL || passphrase_len == 0);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  task = vault_task_new (vault, cancellable, callback, user_data);
  g_task_set_source_tag (task, entsec_vault_unlock_passphrase_async);
  g_task_set_task_data (task,
                        entsec_secure_bytes_new_copy ((const guint8 *) passphrase, passphrase_len),
                        (GDestroyNotify) entsec_secure_bytes_free);
  g_task_run_in_thread (task, unlock_passphrase_thread);
}

gboolean
entsec_vault_unlock_passphrase_finish (EntsecVault  *vault,
                                       GAsyncResult *result,
                                       GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, vault), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
vault_lock_model (EntsecVault *vault)
{
  vault_clear_rows (vault);
  g_clear_pointer (&vault->dek, entsec_secure_bytes_free);
  g_clear_pointer (&vault->names_key, entsec_secure_bytes_free);
  vault->dirty = TRUE;
}

static void
lock_locked (EntsecVault *vault)
{
  gboolean was_unlocked = vault->dek != NULL;

  vault_lock_model (vault);
  g_clear_pointer (&vault->index, vault_index_free);
  g_clear_pointer (&vault->pending, vault_index_free);
  /* Never write on behalf of a vault that was not unlocked, and never wait
   * for another program's readers: the checkpoint is best effort. */
  if (was_unlocked && vault->db != NULL && !vault->read_only)
    {
      vault_db_set_busy_wait (vault->db, FALSE);
      sqlite3_wal_checkpoint_v2 (vault->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
      vault_db_set_busy_wait (vault->db, TRUE);
    }
}

void
entsec_vault_lock_sync (EntsecVault *vault)
{
  g_autoptr (VaultOp) op = NULL;

  g_return_if_fail (ENTSEC_IS_VAULT (vault));
  op = vault_op_begin (vault);
  lock_locked (vault);
}
