/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-vault-index.c: the authenticated index of format 2. It lists every
 * live account id and preference name id with the version of its row, the
 * next account id (ids are never reused) and a generation counter, and is
 * sealed under the DEK. A row put back from an old copy, a deleted row put
 * back, or a row deleted outside entsec no longer matches it.
 *
 * Plaintext: version byte 1, generation (u64), next id (u64), account count
 * (u32) then (id u64, version u64) each, preference count (u32) then
 * (name id 32 bytes, version u64) each; all big-endian.
 */

#define G_LOG_DOMAIN "entsec-vault"

#include "config.h"

#include <string.h>

#include "entsec-vault-private.h"

#define INDEX_VERSION 1
#define NAME_ID_SIZE 32
/* Far beyond any real vault; a larger count is a malformed index. */
#define MAX_INDEX_ENTRIES (1 << 20)

static guint64 *
box_version (guint64 version)
{
  return g_memdup2 (&version, sizeof version);
}

VaultIndex *
vault_index_new (void)
{
  VaultIndex *index = g_new0 (VaultIndex, 1);

  index->next_id = 1;
  index->accounts = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  index->prefs = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                        (GDestroyNotify) g_bytes_unref, g_free);
  return index;
}

VaultIndex *
vault_index_copy (const VaultIndex *index)
{
  VaultIndex *copy = vault_index_new ();
  GHashTableIter iter;
  gpointer key, value;

  copy->generation = index->generation;
  copy->next_id = index->next_id;
  g_hash_table_iter_init (&iter, index->accounts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    vault_index_set_account (copy, *(gint64 *) key, *(guint64 *) value);
  g_hash_table_iter_init (&iter, index->prefs);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (copy->prefs, g_bytes_ref (key), box_version (*(guint64 *) value));
  return copy;
}

void
vault_index_free (VaultIndex *index)
{
  if (index == NULL)
    return;
  g_hash_table_unref (index->accounts);
  g_hash_table_unref (index->prefs);
  g_free (index);
}

gboolean
vault_index_get_account (const VaultIndex *index,
                         gint64            id,
                         guint64          *version)
{
  guint64 *found = g_hash_table_lookup (index->accounts, &id);

  if (found != NULL && version != NULL)
    *version = *found;
  return found != NULL;
}

void
vault_index_set_account (VaultIndex *index,
                         gint64      id,
                         guint64     version)
{
  g_hash_table_insert (index->accounts, g_memdup2 (&id, sizeof id), box_version (version));
  index->next_id = MAX (index->next_id, id + 1);
}

gboolean
vault_index_get_pref (const VaultIndex *index,
                      const guint8     *name_id,
                      guint64          *version)
{
  g_autoptr (GBytes) key = g_bytes_new (name_id, NAME_ID_SIZE);
  guint64 *found = g_hash_table_lookup (index->prefs, key);

  if (found != NULL && version != NULL)
    *version = *found;
  return found != NULL;
}

void
vault_index_set_pref (VaultIndex   *index,
                      const guint8 *name_id,
                      guint64       version)
{
  g_hash_table_insert (index->prefs, g_bytes_new (name_id, NAME_ID_SIZE), box_version (version));
}

/* ---- Encoding ------------------------------------------------------------- */

static void
put_u64 (GByteArray *out,
         guint64     value,
         guint       n)
{
  guint8 buf[8];

  for (guint i = 0; i < n; i++)
    buf[i] = (guint8) (value >> (8 * (n - 1 - i)));
  g_byte_array_append (out, buf, n);
}

static GByteArray *
encode (const VaultIndex *index)
{
  GByteArray *out = g_byte_array_new ();
  GHashTableIter iter;
  gpointer key, value;

  g_byte_array_append (out, (const guint8[]) { INDEX_VERSION }, 1);
  put_u64 (out, index->generation, 8);
  put_u64 (out, (guint64) index->next_id, 8);
  put_u64 (out, g_hash_table_size (index->accounts), 4);
  g_hash_table_iter_init (&iter, index->accounts);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      put_u64 (out, (guint64) *(gint64 *) key, 8);
      put_u64 (out, *(guint64 *) value, 8);
    }
  put_u64 (out, g_hash_table_size (index->prefs), 4);
  g_hash_table_iter_init (&iter, index->prefs);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_byte_array_append (out, g_bytes_get_data (key, NULL), NAME_ID_SIZE);
      put_u64 (out, *(guint64 *) value, 8);
    }
  return out;
}

GBytes *
vault_index_seal (const VaultIndex *index,
                  const guint8      vault_id[VAULT_ID_SIZE],
                  const guint8     *dek,
                  GError          **error)
{
  g_autoptr (GByteArray) plain = encode (index);
  g_autoptr (GBytes) aad = vault_index_aad (vault_id);

  return entsec_aead_seal (dek, g_bytes_get_data (aad, NULL), g_bytes_get_size (aad),
                           plain->data, plain->len, error);
}

typedef struct
{
  const guint8 *data;
  gsize         len;
  gsize         pos;
} Reader;

static gboolean
take (Reader        *r,
      gsize          n,
      const guint8 **out)
{
  if (r->len - r->pos < n)
    return FALSE;
  *out = r->data + r->pos;
  r->pos += n;
  return TRUE;
}

static gboolean
take_u64 (Reader  *r,
          guint    n,
          guint64 *value)
{
  const guint8 *p;

  if (!take (r, n, &p))
    return FALSE;
  *value = 0;
  for (guint i = 0; i < n; i++)
    *value = (*value << 8) | p[i];
  return TRUE;
}

static gboolean
decode_accounts (Reader     *r,
                 VaultIndex *index)
{
  guint64 count, id, version;

  if (!take_u64 (r, 4, &count) || count > MAX_INDEX_ENTRIES)
    return FALSE;
  for (guint64 i = 0; i < count; i++)
    {
      if (!take_u64 (r, 8, &id) || !take_u64 (r, 8, &version) || (gint64) id <= 0)
        return FALSE;
      g_hash_table_insert (index->accounts, g_memdup2 (&id, sizeof id), box_version (version));
    }
  return TRUE;
}

static gboolean
decode_prefs (Reader     *r,
              VaultIndex *index)
{
  guint64 count, version;
  const guint8 *name_id;

  if (!take_u64 (r, 4, &count) || count > MAX_INDEX_ENTRIES)
    return FALSE;
  for (guint64 i = 0; i < count; i++)
    {
      if (!take (r, NAME_ID_SIZE, &name_id) || !take_u64 (r, 8, &version))
        return FALSE;
      vault_index_set_pref (index, name_id, version);
    }
  return TRUE;
}

static VaultIndex *
decode (const guint8 *data,
        gsize         len)
{
  g_autoptr (VaultIndex) index = vault_index_new ();
  Reader r = { data, len, 0 };
  guint64 version, next_id;

  if (!take_u64 (&r, 1, &version) || version != INDEX_VERSION
      || !take_u64 (&r, 8, &index->generation) || !take_u64 (&r, 8, &next_id)
      || (gint64) next_id <= 0 || !decode_accounts (&r, index) || !decode_prefs (&r, index)
      || r.pos != r.len)
    return NULL;
  index->next_id = (gint64) next_id;
  return g_steal_pointer (&index);
}

VaultIndex *
vault_index_open (const void   *sealed,
                  gsize         sealed_len,
                  const guint8  vault_id[VAULT_ID_SIZE],
                  const guint8 *dek,
                  GError      **error)
{
  g_autoptr (GBytes) aad = vault_index_aad (vault_id);
  g_autoptr (EntsecSecureBytes) plain = NULL;
  VaultIndex *index = NULL;

  plain = entsec_aead_open (dek, g_bytes_get_data (aad, NULL), g_bytes_get_size (aad), sealed,
                            sealed_len, NULL);
  if (plain != NULL)
    index = decode (plain->data, plain->len);
  if (index == NULL)
    g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT,
                         "The vault's index of accounts fails its integrity check: the file "
                         "was damaged or tampered with. It was not modified; restore it from "
                         "a backup");
  return index;
}

/* ---- The index of an open vault ------------------------------------------- */

/* The index as the file holds it now; NULL when it has none (yet) or it does not open. */
static VaultIndex *
read_index (EntsecVault *vault,
            GError     **error)
{
  sqlite3_stmt *stmt;
  VaultIndex *index = NULL;

  if (vault->format < 2 || vault->dek == NULL)
    return NULL;
  stmt = vault_db_prepare (vault->db, "SELECT row_index FROM vault WHERE id = 1", error);
  if (stmt == NULL)
    return NULL;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    index = vault_index_open (sqlite3_column_blob (stmt, 0),
                              (gsize) sqlite3_column_bytes (stmt, 0), vault->vault_id,
                              vault->dek->data, error);
  else
    g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT,
                         "The vault header is missing; the file was not modified");
  sqlite3_finalize (stmt);
  return index;
}

/*
 * The base of a transaction's index is what the file holds once the write
 * lock is taken, not the copy in memory: another process may have committed
 * since (its generation is then newer than vault->index's).
 */
void
vault_index_begin (EntsecVault *vault)
{
  g_clear_pointer (&vault->pending, vault_index_free);
  vault->pending = read_index (vault, NULL);
  if (vault->pending == NULL)
    vault->pending = vault->index != NULL ? vault_index_copy (vault->index) : vault_index_new ();
}

static gboolean
write_index (EntsecVault *vault,
             GError     **error)
{
  g_autoptr (GBytes) sealed = NULL;
  sqlite3_stmt *stmt;
  gboolean ok;

  vault->pending->generation++;
  sealed = vault_index_seal (vault->pending, vault->vault_id, vault->dek->data, error);
  if (sealed == NULL)
    return FALSE;
  stmt = vault_db_prepare (vault->db, "UPDATE vault SET row_index = ? WHERE id = 1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_blob (stmt, 1, g_bytes_get_data (sealed, NULL), (int) g_bytes_get_size (sealed),
                     SQLITE_TRANSIENT);
  ok = vault_db_step_done (vault->db, stmt, "Cannot save the vault's index", error);
  sqlite3_finalize (stmt);
  return ok;
}

static gboolean
has_keyring_slot (EntsecVault *vault)
{
  for (guint i = 0; i < vault->slots->len; i++)
    {
      guint32 type = ((VaultSlot *) g_ptr_array_index (vault->slots, i))->type;

      /* A PIN slot's secret is in the keyring too, which keeps the generation. */
      if (type == ENTSEC_VAULT_SLOT_KEYRING || type == ENTSEC_VAULT_SLOT_PIN)
        return TRUE;
    }
  return FALSE;
}

/* Keep the keyring's copy of the generation up to date (in the background). */
static void
note_generation (EntsecVault *vault,
                 gboolean     lower_too)
{
  if (!has_keyring_slot (vault))
    return;
  vault_keyring_note_generation (vault->vault_id, vault->index->generation, lower_too);
  vault->keyring_jobs = TRUE;
}

gboolean
vault_check_generation (EntsecVault     *vault,
                        const VaultSlot *slot,
                        GError         **error)
{
  guint64 kept = 0;

  if (vault->index == NULL || !has_keyring_slot (vault))
    return TRUE;
  /* A PIN is a quick unlock, not a secret strong enough to vouch for an old file. */
  if (slot->type != ENTSEC_VAULT_SLOT_KEYRING && slot->type != ENTSEC_VAULT_SLOT_PIN)
    {
      /* The passphrase or recovery key vouches for this file, even an older one. */
      note_generation (vault, TRUE);
      return TRUE;
    }
  /* Looked up before the vault's mutex was taken (entsec-vault.c, derive_keyring). */
  if (!vault->keyring_generation_known)
    return TRUE;
  kept = vault->keyring_generation;
  if (vault->index->generation < kept)
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_ROLLBACK,
                   "The vault file is older than the last state this keyring saw (change %"
                   G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT "): it was replaced by an old "
                   "copy. Nothing was loaded or changed. If you restored it on purpose, unlock "
                   "it once with the passphrase or recovery key to accept it; otherwise put the "
                   "newest copy back", vault->index->generation, kept);
      return FALSE;
    }
  note_generation (vault, FALSE);
  return TRUE;
}

gboolean
vault_commit (EntsecVault *vault,
              GError     **error)
{
  g_return_val_if_fail (vault->pending != NULL, FALSE);
  if (!write_index (vault, error) || !vault_db_commit (vault->db, error))
    {
      vault_db_rollback (vault->db);
      g_clear_pointer (&vault->pending, vault_index_free);
      return FALSE;
    }
  g_clear_pointer (&vault->index, vault_index_free);
  vault->index = g_steal_pointer (&vault->pending);
  note_generation (vault, FALSE);
  return TRUE;
}

gboolean
vault_read_index (EntsecVault *vault,
                  GError     **error)
{
  g_clear_pointer (&vault->index, vault_index_free);
  vault->index = read_index (vault, error);
  return vault->index != NULL;
}

void
vault_index_remove_account (VaultIndex *index,
                            gint64      id)
{
  g_hash_table_remove (index->accounts, &id);
}

void
vault_index_remove_pref (VaultIndex   *index,
                         const guint8 *name_id)
{
  g_autoptr (GBytes) key = g_bytes_new (name_id, NAME_ID_SIZE);

  g_hash_table_remove (index->prefs, key);
}
