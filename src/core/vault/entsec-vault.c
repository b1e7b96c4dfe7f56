/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-vault.c: the vault object: open, unlock with a key slot, lock.
 * Creating a vault and changing its slots are in entsec-vault-slots.c,
 * accounts and preferences in entsec-vault-data.c.
 */

#define G_LOG_DOMAIN "entsec-vault"

#include "config.h"

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

static void
entsec_vault_finalize (GObject *object)
{
  EntsecVault *self = ENTSEC_VAULT (object);

  entsec_vault_lock (self);
  /* The keyring's copy of the generation is up to date once the vault is gone. */
  if (self->keyring_jobs)
    vault_keyring_flush ();
  g_clear_pointer (&self->db, sqlite3_close);
  if (self->lock_fd >= 0)
    close (self->lock_fd);
  g_clear_pointer (&self->slots, g_ptr_array_unref);
  g_clear_pointer (&self->accounts, g_ptr_array_unref);
  g_clear_pointer (&self->quarantined, g_ptr_array_unref);
  g_clear_pointer (&self->prefs, g_hash_table_unref);
  g_free (self->upgrade_error);
  g_free (self->path);
  g_mutex_clear (&self->mutex);
  G_OBJECT_CLASS (entsec_vault_parent_class)->finalize (object);
}

static void
entsec_vault_class_init (EntsecVaultClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = entsec_vault_finalize;
}

static void
entsec_vault_init (EntsecVault *self)
{
  g_mutex_init (&self->mutex);
  self->lock_fd = -1;
  self->slots = g_ptr_array_new_with_free_func ((GDestroyNotify) vault_slot_free);
  self->accounts = g_ptr_array_new_with_free_func (vault_account_wipe_free);
  self->quarantined =
    g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_vault_quarantined_free);
  self->prefs = g_hash_table_new_full (g_str_hash, g_str_equal,
                                       (GDestroyNotify) entsec_secure_strfree,
                                       (GDestroyNotify) entsec_secure_bytes_free);
}

/* ---- Small public helpers ------------------------------------------------- */

char *
entsec_vault_default_path (const char *profile)
{
  g_autofree char *file = g_strconcat (profile != NULL ? profile : "default", ".db", NULL);

  return g_build_filename (g_get_user_data_dir (), "entsec", file, NULL);
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
entsec_vault_calibrate_kdf (guint                 target_ms,
                            EntsecVaultKdfParams *params,
                            GError              **error)
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

gboolean
entsec_vault_is_unlocked (EntsecVault *vault)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  locker = g_mutex_locker_new (&vault->mutex);
  return vault->dek != NULL;
}

guint
entsec_vault_get_failed_unlocks (EntsecVault *vault)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), 0);
  locker = g_mutex_locker_new (&vault->mutex);
  return vault->failed_unlocks;
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

gboolean
vault_begin_write (EntsecVault *vault,
                   GError     **error)
{
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
                       "The vault is locked: unlock it first");
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

static gboolean
read_slots (EntsecVault *vault,
            GError     **error)
{
  sqlite3_stmt *stmt = vault_db_prepare (vault->db,
                                         "SELECT id, type, params, wrapped FROM slots ORDER BY id",
                                         error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  for (rc = sqlite3_step (stmt); rc == SQLITE_ROW; rc = sqlite3_step (stmt))
    {
      VaultSlot *slot = g_new0 (VaultSlot, 1);

      slot->id = sqlite3_column_int64 (stmt, 0);
      slot->type = (guint32) sqlite3_column_int64 (stmt, 1);
      slot->params = column_bytes (stmt, 2);
      slot->wrapped = column_bytes (stmt, 3);
      g_ptr_array_add (vault->slots, slot);
    }
  sqlite3_finalize (stmt);
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

static gboolean
verify_header (EntsecVault             *vault,
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

static void lock_locked (EntsecVault *vault);

/* Take @dek (verified against the header; @slot and @kek gave it) and load the rows. */
static gboolean
finish_unlock (EntsecVault       *vault,
               EntsecSecureBytes *dek,
               const VaultSlot   *slot,
               const guint8      *kek,
               GError           **error)
{
  g_autoptr (GError) upgrade_error = NULL;

  if (!verify_header (vault, dek, error))
    {
      entsec_secure_bytes_free (dek);
      return FALSE;
    }
  vault->dek = dek;
  vault->names_key = vault_derive_names_key (dek);
  if ((vault->format >= 2
       && (!vault_read_index (vault, error) || !vault_check_generation (vault, slot, error)))
      || !vault_load_rows (vault, error))
    {
      lock_locked (vault);
      return FALSE;
    }
  /* The first write an open may make, and only once the key proved right. A failed
   * upgrade (read-only file, full disk) leaves the file as it was, readable. */
  g_clear_pointer (&vault->upgrade_error, g_free);
  if (vault->format < ENTSEC_VAULT_FORMAT_VERSION
      && !vault_upgrade (vault, slot, kek, &upgrade_error))
    vault->upgrade_error = g_strdup (upgrade_error != NULL ? upgrade_error->message : "unknown");
  else
    vault_renew_slot (vault, slot, kek);
  /* From now on a clean close checkpoints the WAL into the file. */
  sqlite3_db_config (vault->db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 0, NULL);
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

  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NOT_FOUND,
                   "There is no vault at %s; create one with 'entsec-cli init'", path);
      return NULL;
    }
  vault = g_object_new (ENTSEC_TYPE_VAULT, NULL);
  vault->path = g_strdup (path);
  vault->lock_fd = vault_db_lock_file (path, error);
  if (vault->lock_fd < 0)
    return NULL;
  vault->db = vault_db_open_existing (path, error);
  vault_note_file (vault);
  if (vault->db == NULL || !read_vault_id (vault, error) || !read_slots (vault, error))
    return NULL;
  vault->format = vault_db_format (vault->db);
  return g_steal_pointer (&vault);
}

/* ---- Unlock --------------------------------------------------------------- */

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

static gboolean
check_can_unlock (EntsecVault *vault,
                  guint32      type,
                  const char  *what,
                  GError     **error)
{
  if (vault->dek != NULL)
    return TRUE;
  if (!has_slot_type (vault, type))
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NO_SLOT,
                   "This vault has no %s slot", what);
      return FALSE;
    }
  return TRUE;
}

static gboolean
wrong_secret (EntsecVault *vault,
              const char  *what,
              GError     **error)
{
  /* The count is kept (entsec_vault_get_failed_unlocks) but not put in the
   * message: a short-lived process such as entsec-cli would always say 1. */
  vault->failed_unlocks++;
  g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE,
               "Wrong %s; the vault stays locked", what);
  return FALSE;
}

static gboolean
unlock_passphrase_locked (EntsecVault  *vault,
                          const char   *passphrase,
                          gsize         passphrase_len,
                          GError      **error)
{
  g_autoptr (GError) params_error = NULL;

  if (vault->dek != NULL)
    return TRUE;
  if (!check_can_unlock (vault, ENTSEC_VAULT_SLOT_PASSPHRASE, "passphrase", error))
    return FALSE;
  for (guint i = 0; i < vault->slots->len; i++)
    {
      VaultSlot *slot = g_ptr_array_index (vault->slots, i);
      EntsecArgon2Params argon;
      g_autoptr (EntsecSecureBytes) kek = entsec_secure_bytes_new (KEK_SIZE);
      EntsecSecureBytes *dek;

      if (slot->type != ENTSEC_VAULT_SLOT_PASSPHRASE)
        continue;
      g_clear_error (&params_error);
      if (!vault_kdf_params_decode (slot->params, &argon, &params_error)
          || !entsec_argon2id_derive (&argon, passphrase, passphrase_len, kek->data, KEK_SIZE,
                                      &params_error))
        continue;
      dek = unwrap_slot (vault, slot, kek->data);
      if (dek != NULL)
        return finish_unlock (vault, dek, slot, kek->data, error);
    }
  if (params_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&params_error));
      return FALSE;
    }
  return wrong_secret (vault, "passphrase", error);
}

gboolean
entsec_vault_unlock_passphrase_sync (EntsecVault  *vault,
                                     const char   *passphrase,
                                     gsize         passphrase_len,
                                     GCancellable *cancellable,
                                     GError      **error)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (passphrase != NULL || passphrase_len == 0, FALSE);
  locker = g_mutex_locker_new (&vault->mutex);
  return unlock_passphrase_locked (vault, passphrase, passphrase_len, error);
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

gboolean
entsec_vault_unlock_recovery_sync (EntsecVault  *vault,
                                   const char   *recovery_key,
                                   GCancellable *cancellable,
                                   GError      **error)
{
  g_autoptr (GMutexLocker) locker = NULL;
  guint8 *key;
  gsize len = 0;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (recovery_key != NULL, FALSE);
  locker = g_mutex_locker_new (&vault->mutex);
  if (vault->dek != NULL)
    return TRUE;
  if (!check_can_unlock (vault, ENTSEC_VAULT_SLOT_RECOVERY, "recovery key", error))
    return FALSE;
  key = parse_recovery_key (recovery_key, &len);
  for (guint i = 0; key != NULL && len == KEK_SIZE && i < vault->slots->len; i++)
    {
      VaultSlot *slot = g_ptr_array_index (vault->slots, i);
      EntsecSecureBytes *dek;

      if (slot->type != ENTSEC_VAULT_SLOT_RECOVERY)
        continue;
      dek = unwrap_slot (vault, slot, key);
      if (dek != NULL)
        {
          gboolean ok = finish_unlock (vault, dek, slot, key, error);

          entsec_secure_free (key, len);
          return ok;
        }
    }
  entsec_secure_free (key, len);
  return wrong_secret (vault, "recovery key", error);
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
keyring_failed (EntsecVault   *vault,
                KeyringOutcome outcome,
                const char    *detail,
                GError       **error)
{
  g_autofree char *suffix = detail != NULL ? g_strdup_printf (" (%s)", detail) : g_strdup ("");

  if (has_slot_type (vault, ENTSEC_VAULT_SLOT_PASSPHRASE))
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

static gboolean
unlock_keyring_locked (EntsecVault  *vault,
                       GCancellable *cancellable,
                       GError      **error)
{
  KeyringOutcome outcome = KEYRING_NOT_FOUND;
  g_autoptr (GError) lookup_error = NULL;

  if (vault->dek != NULL)
    return TRUE;
  if (!has_slot_type (vault, ENTSEC_VAULT_SLOT_KEYRING))
    return keyring_failed (vault, KEYRING_NOT_FOUND, "this vault has no keyring slot", error);
  for (guint i = 0; i < vault->slots->len; i++)
    {
      VaultSlot *slot = g_ptr_array_index (vault->slots, i);
      EntsecSecureBytes *dek;

      if (slot->type != ENTSEC_VAULT_SLOT_KEYRING)
        continue;
      g_clear_error (&lookup_error);
      dek = unwrap_keyring_slot (vault, slot, cancellable, &outcome, &lookup_error);
      if (dek == NULL)
        continue;
      slot->known_good = TRUE;
      return finish_unlock (vault, dek, slot, NULL, error);
    }
  return keyring_failed (vault, outcome, lookup_error != NULL ? lookup_error->message : NULL,
                         error);
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

gboolean
entsec_vault_check_keyring_slot_sync (EntsecVault              *vault,
                                      gint64                    slot_id,
                                      EntsecVaultKeyringStatus *status,
                                      GCancellable             *cancellable,
                                      GError                  **error)
{
  g_autoptr (GMutexLocker) locker = NULL;
  KeyringOutcome outcome = KEYRING_NOT_FOUND;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (status != NULL, FALSE);
  locker = g_mutex_locker_new (&vault->mutex);
  for (guint i = 0; i < vault->slots->len; i++)
    {
      VaultSlot *slot = g_ptr_array_index (vault->slots, i);

      if (slot->id != slot_id || slot->type != ENTSEC_VAULT_SLOT_KEYRING)
        continue;
      vault_keyring_slot_works (vault, slot, cancellable, &outcome);
      *status = public_keyring_status (outcome);
      return TRUE;
    }
  g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NO_SLOT,
               "This vault has no keyring slot %" G_GINT64_FORMAT " (see 'entsec-cli slots')",
               slot_id);
  return FALSE;
}

gboolean
entsec_vault_unlock_keyring_sync (EntsecVault  *vault,
                                  GCancellable *cancellable,
                                  GError      **error)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  locker = g_mutex_locker_new (&vault->mutex);
  return unlock_keyring_locked (vault, cancellable, error);
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
  g_autoptr (GTask) task = g_task_new (vault, cancellable, callback, user_data);

  g_task_set_source_tag (task, entsec_vault_unlock_keyring_async);
  g_task_run_in_thread (task, unlock_keyring_thread);
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
  g_autoptr (GTask) task = g_task_new (vault, cancellable, callback, user_data);

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

static void
lock_locked (EntsecVault *vault)
{
  gboolean was_unlocked = vault->dek != NULL;

  vault_clear_rows (vault);
  g_clear_pointer (&vault->dek, entsec_secure_bytes_free);
  g_clear_pointer (&vault->names_key, entsec_secure_bytes_free);
  g_clear_pointer (&vault->index, vault_index_free);
  g_clear_pointer (&vault->pending, vault_index_free);
  /* Never write on behalf of a vault that was not unlocked. */
  if (was_unlocked && vault->db != NULL)
    sqlite3_wal_checkpoint_v2 (vault->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

void
entsec_vault_lock (EntsecVault *vault)
{
  g_autoptr (GMutexLocker) locker = NULL;

  g_return_if_fail (ENTSEC_IS_VAULT (vault));
  locker = g_mutex_locker_new (&vault->mutex);
  lock_locked (vault);
}

