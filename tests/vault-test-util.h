/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * vault-test-util.h: helpers the vault tests share: fast KDF costs, sample
 * accounts, direct SQLite edits that simulate damage and tampering.
 */
#pragma once

#include <string.h>

#include <glib/gstdio.h>
#include <gio/gio.h>
#include <sqlite3.h>

#include <entsec/entsec.h>

/* The cheapest costs the bounds allow: tests measure behaviour, not time. */
static const EntsecKdfParams vt_fast_kdf = { 8 * 1024, 1, 1 };

static inline EntsecAccount *
vt_account (const char *issuer,
            const char *label,
            guint8      seed)
{
  EntsecAccount *account = entsec_account_new ();
  guint8 secret[20];

  for (guint i = 0; i < sizeof secret; i++)
    secret[i] = (guint8) (seed * 31 + i);
  entsec_account_set_secret (account, secret, sizeof secret);
  account->issuer = g_strdup (issuer);
  g_free (account->label);
  account->label = g_strdup (label);
  return account;
}

static inline void
vt_assert_account_equal (const EntsecAccount *a,
                         const EntsecAccount *b)
{
  g_assert_cmpint (a->id, ==, b->id);
  g_assert_cmpint (a->type, ==, b->type);
  g_assert_cmpstr (a->issuer, ==, b->issuer);
  g_assert_cmpstr (a->label, ==, b->label);
  g_assert_cmpmem (a->secret, a->secret_len, b->secret, b->secret_len);
  g_assert_cmpint (a->algorithm, ==, b->algorithm);
  g_assert_cmpuint (a->digits, ==, b->digits);
  g_assert_cmpuint (a->period, ==, b->period);
  g_assert_cmpuint (a->counter, ==, b->counter);
  g_assert_cmpint (a->favourite, ==, b->favourite);
  g_assert_cmpstr (a->group, ==, b->group);
  g_assert_cmpstr (a->notes, ==, b->notes);
  g_assert_cmpstr (a->managed_id, ==, b->managed_id);
}

/* Every account with its secret (the export call), in list order. */
static inline GPtrArray *
vt_list (EntsecVault *vault)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *list = entsec_vault_export_accounts_sync (vault, NULL, &error);

  if (error != NULL && g_error_matches (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_LOCKED))
    return g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  g_assert_no_error (error);
  return list;
}

/*
 * entsec_vault_add_accounts_sync(); when every account was added, each
 * one's id and position in @batch is set to what was stored.
 */
static inline gboolean
vt_add_batch (EntsecVault        *vault,
              GPtrArray          *batch,
              EntsecVaultAddFlags flags,
              GPtrArray         **skipped,
              GError            **error)
{
  g_autoptr (GArray) ids = NULL;

  if (!entsec_vault_add_accounts_sync (vault, batch, flags, &ids, skipped, NULL, error))
    return FALSE;
  for (guint i = 0; ids->len == batch->len && i < ids->len; i++)
    {
      g_autoptr (EntsecAccount) stored = NULL;
      EntsecAccount *account = g_ptr_array_index (batch, i);

      account->id = g_array_index (ids, gint64, i);
      stored = entsec_vault_get_account_sync (vault, account->id, NULL, NULL);
      if (stored != NULL)
        account->position = stored->position;
    }
  return TRUE;
}

static inline guint
vt_count_accounts (EntsecVault *vault)
{
  g_autoptr (GPtrArray) list = entsec_vault_list_accounts (vault);

  return list->len;
}

static inline void
vt_add (EntsecVault *vault,
        const char  *issuer,
        const char  *label,
        guint8       seed)
{
  g_autoptr (GPtrArray) batch =
    g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  g_autoptr (GError) error = NULL;

  g_ptr_array_add (batch, vt_account (issuer, label, seed));
  g_assert_true (vt_add_batch (vault, batch, ENTSEC_VAULT_ADD_NONE, NULL, &error));
  g_assert_no_error (error);
}

/* Set the string preference @name of @vault (unlocked). */
static inline void
vt_set_string (EntsecVault *vault,
               const char  *name,
               const char  *value)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (entsec_vault_set_pref_sync (vault, name, g_variant_new_string (value), NULL,
                                             &error));
  g_assert_no_error (error);
}

static inline void
vt_copy_file (const char *from,
              const char *to)
{
  g_autofree char *contents = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (from, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (to, contents, (gssize) len, NULL));
}

/* Keyring tests run only through tests/keyring-session.sh (a throwaway HOME and keyring). */
static inline gboolean
vt_in_keyring_session (void)
{
  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") != NULL
      && g_str_has_prefix (g_get_home_dir (), g_get_tmp_dir ()))
    return TRUE;
  g_printerr ("Run this test through tests/keyring-session.sh (needs a throwaway HOME)\n");
  return FALSE;
}

/* A throwaway folder and a vault path inside it (DIR/entsec/test.db). */
typedef struct
{
  char *dir;
  char *path;
} VtFixture;

static inline void
vt_fixture_setup (VtFixture    *f,
                  gconstpointer data)
{
  f->dir = g_dir_make_tmp ("test-vault-XXXXXX", NULL);
  g_assert_nonnull (f->dir);
  f->path = g_build_filename (f->dir, "entsec", "test.db", NULL);
}

static inline void vt_remove_tree (const char *path);

static inline void
vt_fixture_teardown (VtFixture    *f,
                     gconstpointer data)
{
  vt_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

/* A passphrase-only vault at @path with the cheap KDF, unlocked. */
static inline EntsecVault *
vt_create (const char *path,
           const char *passphrase)
{
  g_autoptr (GError) error = NULL;
  EntsecVault *vault = entsec_vault_create_sync (path, FALSE, passphrase, strlen (passphrase),
                                                 &vt_fast_kdf, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (vault);
  return vault;
}

/* The locked row @name of @vault, or NULL when absent (no error allowed). */
static inline GBytes *
vt_locked_row (EntsecVault *vault,
               const char  *name)
{
  g_autoptr (GError) error = NULL;
  GBytes *row = entsec_vault_get_locked_row_sync (vault, name, NULL, &error);

  g_assert_no_error (error);
  return row;
}

static inline void
vt_change_passphrase (EntsecVault *vault,
                      const char  *passphrase)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (entsec_vault_change_passphrase_sync (vault, passphrase, strlen (passphrase),
                                                     &vt_fast_kdf, NULL, &error));
  g_assert_no_error (error);
}

/* Add @account (its id is set). */
static inline void
vt_add_account (EntsecVault   *vault,
                EntsecAccount *account)
{
  g_autoptr (GPtrArray) batch = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;

  g_ptr_array_add (batch, account);
  g_assert_true (vt_add_batch (vault, batch, ENTSEC_VAULT_ADD_NONE, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (account->id, >, 0);
}

static inline void
vt_remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        vt_remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static inline char *
vt_file_hash (const char *path)
{
  g_autofree char *contents = NULL;
  gsize len = 0;

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guint8 *) contents, len);
}

static inline sqlite3 *
vt_db (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  return db;
}

static inline void
vt_exec (const char *path,
         const char *sql)
{
  sqlite3 *db = vt_db (path);

  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

static inline GBytes *
vt_read_blob (const char *path,
              const char *sql,
              gint64      id)
{
  sqlite3 *db = vt_db (path);
  sqlite3_stmt *stmt = NULL;
  GBytes *bytes;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_int64 (stmt, 1, id);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  bytes = g_bytes_new (sqlite3_column_blob (stmt, 0), (gsize) sqlite3_column_bytes (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return bytes;
}

static inline void
vt_write_blob (const char *path,
               const char *sql,
               gint64      id,
               GBytes     *bytes)
{
  sqlite3 *db = vt_db (path);
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_blob (stmt, 1, g_bytes_get_data (bytes, NULL), (int) g_bytes_get_size (bytes),
                     SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, id);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

static inline GBytes *
vt_read_account_blob (const char *path,
                      gint64      id)
{
  return vt_read_blob (path, "SELECT data FROM accounts WHERE id = ?", id);
}

static inline void
vt_swap_account_blobs (const char *path,
                       gint64      a,
                       gint64      b)
{
  g_autoptr (GBytes) blob_a = vt_read_account_blob (path, a);
  g_autoptr (GBytes) blob_b = vt_read_account_blob (path, b);

  vt_write_blob (path, "UPDATE accounts SET data = ? WHERE id = ?", a, blob_b);
  vt_write_blob (path, "UPDATE accounts SET data = ? WHERE id = ?", b, blob_a);
}

/* Rewrite the memory cost of passphrase slot 1 (bytes 1..4 of its params). */
static inline void
vt_set_slot_memory_kib (const char *path,
                        guint32     kib)
{
  g_autoptr (GBytes) params = vt_read_blob (path, "SELECT params FROM slots WHERE id = ?", 1);
  gsize len;
  guint8 *data = g_bytes_unref_to_data (g_bytes_ref (params), &len);
  g_autoptr (GBytes) changed = NULL;

  data[1] = (guint8) (kib >> 24);
  data[2] = (guint8) (kib >> 16);
  data[3] = (guint8) (kib >> 8);
  data[4] = (guint8) kib;
  changed = g_bytes_new_take (data, len);
  vt_write_blob (path, "UPDATE slots SET params = ? WHERE id = ?", 1, changed);
}

typedef struct
{
  guint failed;
  guint quarantined;
  guint intact;
} VtFlipStats;

static inline void
vt_remove_vault_files (const char *path)
{
  const char *suffixes[] = { "", "-wal", "-shm", ".lock" };

  for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);
      g_unlink (file);
    }
}

static inline const EntsecAccount *
vt_find (GPtrArray *accounts,
         gint64     id)
{
  for (guint i = 0; i < accounts->len; i++)
    {
      if (((EntsecAccount *) g_ptr_array_index (accounts, i))->id == id)
        return g_ptr_array_index (accounts, i);
    }
  return NULL;
}

/* What loaded after a flip: every account exactly an original, none lost silently. */
static inline void
vt_check_loaded (EntsecVault *vault,
                 GPtrArray   *originals,
                 VtFlipStats *stats)
{
  g_autoptr (GPtrArray) list = vt_list (vault);
  g_autoptr (GPtrArray) quarantined = entsec_vault_list_quarantined (vault);

  for (guint i = 0; i < list->len; i++)
    {
      const EntsecAccount *loaded = g_ptr_array_index (list, i);
      const EntsecAccount *original = vt_find (originals, loaded->id);

      g_assert_nonnull (original);
      vt_assert_account_equal (loaded, original);
    }
  /* None silently gone: every original row loaded or is reported (a flipped id is reported
   * twice: the row under its new id, and the index's id as missing). */
  for (guint i = 0; i < originals->len; i++)
    {
      gint64 id = ((EntsecAccount *) g_ptr_array_index (originals, i))->id;
      gboolean reported = vt_find (list, id) != NULL;

      for (guint j = 0; !reported && j < quarantined->len; j++)
        reported = ((EntsecVaultQuarantined *) g_ptr_array_index (quarantined, j))->id == id;
      g_assert_true (reported);
    }
  if (quarantined->len > 0)
    stats->quarantined++;
  else
    stats->intact++;
}

static inline void
vt_flip_and_open (const char  *path,
                  const char  *pristine,
                  gsize        size,
                  gsize        offset,
                  const char  *recovery_key,
                  GPtrArray   *originals,
                  VtFlipStats *stats)
{
  g_autofree char *flipped = g_memdup2 (pristine, size);
  g_autofree char *after = NULL;
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;
  gsize after_len = 0;

  flipped[offset] ^= (char) 0xff;
  vt_remove_vault_files (path);
  g_assert_true (g_file_set_contents (path, flipped, (gssize) size, NULL));
  vault = entsec_vault_open_sync (path, NULL, &error);
  if (vault != NULL)
    entsec_vault_unlock_recovery_sync (vault, recovery_key, NULL, &error);
  if (error != NULL)
    {
      g_assert_true (error->domain == ENTSEC_VAULT_ERROR);
      if (vault != NULL)
        g_assert_cmpuint (vt_count_accounts (vault), ==, 0);
      g_clear_object (&vault);
      /* A failed open leaves the file exactly as it was. */
      g_assert_true (g_file_get_contents (path, &after, &after_len, NULL));
      g_assert_true (after_len == size && memcmp (after, flipped, size) == 0);
      stats->failed++;
      return;
    }
  vt_check_loaded (vault, originals, stats);
}
