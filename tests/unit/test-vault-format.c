/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-vault-format.c: the vault file as an attacker or an older release
 * left it: SQL planted in the file (triggers, views, extra tables), rows put
 * back or rolled back, key rotation against an old copy, limits on slots and
 * KDF work, and vaults and backups of format 1 (tests/data/vault).
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include <entsec/entsec.h>

#include "vault-test-util.h"

static const char passphrase[] = "correct horse battery staple";

typedef VtFixture Fixture;
#define fixture_setup vt_fixture_setup
#define fixture_teardown vt_fixture_teardown

static EntsecVault *
unlock_with (const char *path,
             const char *secret,
             GError    **error)
{
  g_autoptr (EntsecVault) vault = entsec_vault_open_sync (path, NULL, error);

  if (vault == NULL
      || !entsec_vault_unlock_passphrase_sync (vault, secret, strlen (secret), NULL, error))
    return NULL;
  return g_steal_pointer (&vault);
}

static EntsecVault *
reopen (const char *path)
{
  g_autoptr (GError) error = NULL;
  EntsecVault *vault = unlock_with (path, passphrase, &error);

  g_assert_no_error (error);
  return vault;
}

/* A vault with one HOTP account (id 1) at counter 0, closed. */
static void
make_hotp_vault (Fixture *f)
{
  g_autoptr (EntsecVault) vault = vt_create (f->path, passphrase);
  g_autoptr (EntsecAccount) account = vt_account ("Bank", "hotp", 7);

  account->type = ENTSEC_ACCOUNT_HOTP;
  vt_add_account (vault, account);
}

/* Opening @path fails as CORRUPT and leaves the file byte for byte. */
static void
assert_refused_untouched (const char *path)
{
  g_autofree char *before = vt_file_hash (path);
  g_autofree char *after = NULL;
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;

  vault = entsec_vault_open_sync (path, NULL, &error);
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT);
  g_assert_null (vault);
  after = vt_file_hash (path);
  g_assert_cmpstr (before, ==, after);
}

/* ---- SQL planted in the file ---------------------------------------------- */

/* SQL a hostile file may carry; opening it must refuse it. */
static const char *const planted[][2] = {
  /* Puts the old record (old HOTP counter) back after every save. */
  { "trigger-repeats-hotp", "CREATE TRIGGER keep AFTER UPDATE ON accounts BEGIN "
                            "UPDATE accounts SET data = OLD.data WHERE id = NEW.id; END" },
  /* "Added", then gone. */
  { "trigger-deletes-added-row", "CREATE TRIGGER vanish AFTER INSERT ON accounts BEGIN "
                                 "DELETE FROM accounts WHERE id = NEW.id; END" },
  { "view-refused", "CREATE VIEW peek AS SELECT id FROM accounts" },
  { "extra-table-refused", "CREATE TABLE extra (x BLOB)" },
  { "changed-column-refused", "ALTER TABLE accounts ADD COLUMN note TEXT" },
};

static void
test_planted_sql (Fixture      *f,
                  gconstpointer data)
{
  const char *const *entry = data;

  make_hotp_vault (f);
  vt_exec (f->path, entry[1]);
  assert_refused_untouched (f->path);
}

/* ---- Key rotation against an old copy ------------------------------------- */

static const char new_passphrase[] = "a new passphrase for the rotation test";

static char *
copy_file (const char *path,
           const char *name)
{
  g_autofree char *dir = g_path_get_dirname (path);
  char *copy = g_build_filename (dir, name, NULL);

  vt_copy_file (path, copy);
  return copy;
}

/* Put the old copy's slot table and header tag (and, with @index, its index) into @path. */
static void
graft (const char *path,
       const char *old,
       gboolean    index)
{
  g_autofree char *sql = g_strdup_printf (
    "ATTACH '%s' AS old; DELETE FROM slots; INSERT INTO slots SELECT * FROM old.slots;"
    "UPDATE vault SET header_tag = (SELECT header_tag FROM old.vault)%s;",
    old, index ? ", row_index = (SELECT row_index FROM old.vault)" : "");

  vt_exec (path, sql);
}

/* How many accounts @secret makes readable in @path (0 when the unlock fails). */
static guint
readable_with (const char *path,
               const char *secret,
               gboolean    recovery)
{
  g_autoptr (EntsecVault) vault = entsec_vault_open_sync (path, NULL, NULL);
  gboolean ok;

  if (vault == NULL)
    return 0;
  ok = recovery ? entsec_vault_unlock_recovery_sync (vault, secret, NULL, NULL)
                : entsec_vault_unlock_passphrase_sync (vault, secret, strlen (secret), NULL, NULL);
  return ok ? vt_count_accounts (vault) : 0;
}

static void
test_rotation_old_passphrase (Fixture      *f,
                              gconstpointer data)
{
  g_autoptr (EntsecVault) vault = vt_create (f->path, passphrase);
  g_autofree char *old = NULL;
  g_autofree char *grafted = NULL;

  vt_add (vault, "Old", "before", 1);
  g_clear_object (&vault);
  old = copy_file (f->path, "old.db");
  vault = reopen (f->path);
  vt_change_passphrase (vault, new_passphrase);
  vt_add (vault, "New", "after", 2);
  g_clear_object (&vault);
  g_assert_cmpuint (readable_with (f->path, new_passphrase, FALSE), ==, 2);
  /* The attack: the old slot table and header in the new file, the old passphrase. */
  grafted = copy_file (f->path, "grafted.db");
  graft (grafted, old, FALSE);
  g_assert_cmpuint (readable_with (grafted, passphrase, FALSE), ==, 0);
  /* With the old index too: it opens, and loads neither the new nor the re-encrypted rows. */
  graft (grafted, old, TRUE);
  g_assert_cmpuint (readable_with (grafted, passphrase, FALSE), ==, 0);
}

static void
test_rotation_removed_slot (Fixture      *f,
                            gconstpointer data)
{
  g_autoptr (EntsecVault) vault = vt_create (f->path, passphrase);
  g_autoptr (GError) error = NULL;
  g_autofree char *old = NULL;
  char *key;

  key = entsec_vault_add_recovery_slot_sync (vault, NULL, &error);
  g_assert_no_error (error);
  vt_add (vault, "Old", "before", 1);
  g_clear_object (&vault);
  old = copy_file (f->path, "old.db");
  vault = reopen (f->path);
  g_assert_true (entsec_vault_remove_slot_sync (vault, 2, NULL, &error));
  g_assert_no_error (error);
  vt_add (vault, "New", "after", 2);
  g_clear_object (&vault);
  graft (f->path, old, FALSE);
  g_assert_cmpuint (readable_with (f->path, key, TRUE), ==, 0);
  graft (f->path, old, TRUE);
  g_assert_cmpuint (readable_with (f->path, key, TRUE), ==, 0);
  entsec_secure_strfree (key);
}

/* The recovery key is never stored, yet its slot survives a rotation. */
static void
test_recovery_survives_rotation (Fixture      *f,
                                 gconstpointer data)
{
  g_autoptr (EntsecVault) vault = vt_create (f->path, passphrase);
  g_autoptr (GError) error = NULL;
  char *key;

  key = entsec_vault_add_recovery_slot_sync (vault, NULL, &error);
  g_assert_no_error (error);
  vt_add (vault, "Kept", "one", 1);
  vt_change_passphrase (vault, new_passphrase);
  vt_add (vault, "Kept", "two", 2);
  g_clear_object (&vault);
  g_assert_cmpuint (readable_with (f->path, key, TRUE), ==, 2);
  g_assert_cmpuint (readable_with (f->path, new_passphrase, FALSE), ==, 2);
  g_assert_cmpuint (readable_with (f->path, passphrase, FALSE), ==, 0);
  entsec_secure_strfree (key);
}

/* ---- Rows put back or rolled back ----------------------------------------- */

static gboolean
is_quarantined (EntsecVault *vault,
                gint64       id)
{
  g_autoptr (GPtrArray) list = entsec_vault_list_quarantined (vault);

  for (guint i = 0; i < list->len; i++)
    {
      if (((EntsecVaultQuarantined *) g_ptr_array_index (list, i))->id == id)
        return TRUE;
    }
  return FALSE;
}

/* Rows of an old copy of the file, whole (every column), put into @path. */
static void
put_back_from (const char *path,
               const char *old,
               const char *sql)
{
  g_autofree char *attach = g_strdup_printf ("ATTACH '%s' AS old; %s", old, sql);

  vt_exec (path, attach);
}

static void
test_deleted_row_put_back (Fixture      *f,
                           gconstpointer data)
{
  g_autoptr (EntsecVault) vault = vt_create (f->path, passphrase);
  g_autoptr (GError) error = NULL;
  g_autofree char *old = NULL;

  vt_add (vault, "Kept", "a", 1);
  vt_add (vault, "Deleted", "b", 2);
  g_clear_object (&vault);
  old = copy_file (f->path, "old.db");
  vault = reopen (f->path);
  g_assert_true (entsec_vault_delete_account_sync (vault, 2, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&vault);
  /* Under its old id, and under the next id (which a new account would get). */
  put_back_from (f->path, old, "INSERT INTO accounts SELECT * FROM old.accounts WHERE id = 2;"
                               "CREATE TEMP TABLE moved AS SELECT * FROM old.accounts WHERE id = 2;"
                               "UPDATE moved SET id = 3;"
                               "INSERT INTO accounts SELECT * FROM moved;");
  vault = reopen (f->path);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);
  g_assert_true (is_quarantined (vault, 2));
  g_assert_true (is_quarantined (vault, 3));
}

static void
test_ids_never_reused (Fixture      *f,
                       gconstpointer data)
{
  g_autoptr (EntsecVault) vault = vt_create (f->path, passphrase);
  g_autoptr (EntsecAccount) account = vt_account ("Third", "c", 3);
  g_autoptr (GError) error = NULL;

  vt_add (vault, "First", "a", 1);
  vt_add (vault, "Second", "b", 2);
  g_assert_true (entsec_vault_delete_account_sync (vault, 2, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&vault);
  vault = reopen (f->path);
  vt_add_account (vault, account);
  g_assert_cmpint (account->id, ==, 3);
}

static void
hotp_code (EntsecVault *vault,
           char         code[ENTSEC_OTP_CODE_SIZE])
{
  g_autoptr (GError) error = NULL;

  g_assert_true (entsec_vault_compute_code_sync (vault, 1, 0, code, NULL, &error));
  g_assert_no_error (error);
}

/* An old HOTP row (old counter) put back never repeats a code. */
static void
test_hotp_rolled_back (Fixture      *f,
                       gconstpointer data)
{
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GBytes) old_blob = NULL;
  g_autofree char *old = NULL;
  char first[ENTSEC_OTP_CODE_SIZE], next[ENTSEC_OTP_CODE_SIZE];

  make_hotp_vault (f);
  old = copy_file (f->path, "old.db");
  old_blob = vt_read_account_blob (f->path, 1);
  vault = reopen (f->path);
  hotp_code (vault, first);
  g_clear_object (&vault);
  /* The old row, whole (old counter, old version): the index lists a newer one. */
  put_back_from (f->path, old, "DELETE FROM accounts WHERE id = 1;"
                               "INSERT INTO accounts SELECT * FROM old.accounts WHERE id = 1;");
  vault = reopen (f->path);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 0);
  g_assert_true (is_quarantined (vault, 1));
  g_clear_object (&vault);
  /* The old record under the current version: it no longer decrypts. */
  vt_write_blob (f->path, "UPDATE accounts SET data = ?, version = 2 WHERE id = ?", 1, old_blob);
  vault = reopen (f->path);
  g_assert_true (is_quarantined (vault, 1));
  g_assert_false (entsec_vault_compute_code_sync (vault, 1, 0, next, NULL, NULL));
}

static void
test_row_deleted_outside (Fixture      *f,
                          gconstpointer data)
{
  g_autoptr (EntsecVault) vault = vt_create (f->path, passphrase);
  g_autoptr (GError) error = NULL;

  vt_add (vault, "Kept", "a", 1);
  vt_add (vault, "Gone", "b", 2);
  g_clear_object (&vault);
  vt_exec (f->path, "DELETE FROM accounts WHERE id = 2");
  vault = reopen (f->path);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);
  g_assert_true (is_quarantined (vault, 2));
  /* The user can drop it for good. */
  g_assert_true (entsec_vault_delete_account_sync (vault, 2, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&vault);
  vault = reopen (f->path);
  g_assert_false (is_quarantined (vault, 2));
}

/* ---- Slot table limits ---------------------------------------------------- */

static void
test_slot_count_capped (Fixture      *f,
                        gconstpointer data)
{
  g_autoptr (EntsecVault) vault = vt_create (f->path, passphrase);
  g_autoptr (GError) error = NULL;
  char *key;

  for (guint i = 1; i < 8; i++)
    {
      key = entsec_vault_add_recovery_slot_sync (vault, NULL, &error);
      g_assert_no_error (error);
      entsec_secure_strfree (key);
    }
  key = entsec_vault_add_recovery_slot_sync (vault, NULL, &error);
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID);
  g_assert_null (key);
  g_clear_object (&vault);
  /* A file with a ninth slot is refused at open. */
  vt_exec (f->path, "INSERT INTO slots SELECT 9, type, params, wrapped FROM slots WHERE id = 8");
  assert_refused_untouched (f->path);
}

/* Passphrase slot 1 asks for 1 GiB x 16 passes: within one slot's bounds, over the cap. */
static void
test_kdf_work_capped (Fixture      *f,
                      gconstpointer data)
{
  g_autoptr (EntsecVault) vault = vt_create (f->path, passphrase);

  g_clear_object (&vault);
  vt_set_slot_memory_kib (f->path, 1024 * 1024);
  vt_exec (f->path, "UPDATE slots SET params = substr(params, 1, 5) || x'00000010' "
                    "|| substr(params, 10) WHERE id = 1");
  assert_refused_untouched (f->path);
}

/* ---- Files of format 1 and newer formats ---------------------------------- */

#define V1_PASSPHRASE "entsec fixture passphrase v1"
#define V1_RECOVERY "ZUNC-T2PO-ORKY-HH52-5DFS-TAAQ-ST3V-6HBY-AVYV-7CZK-MGS7-2PKZ-B52A"
#define V1_BACKUP_PASSPHRASE "entsec fixture backup v1"

static char *
fixture_path (const char *name)
{
  return g_build_filename (g_getenv ("ENTSEC_TEST_DATA"), "vault", name, NULL);
}

/* A private copy of the format-1 vault at f->path. */
static void
copy_v1_vault (Fixture *f)
{
  g_autofree char *source = fixture_path ("v1-passphrase.db");
  g_autofree char *dir = g_path_get_dirname (f->path);

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  vt_copy_file (source, f->path);
}

static gint64
file_format (const char *path)
{
  sqlite3 *db = vt_db (path);
  sqlite3_stmt *stmt = NULL;
  gint64 version;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  version = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return version;
}

static void
expect_account (GPtrArray         *accounts,
                gint64             id,
                EntsecAccountType  type,
                const char        *label,
                guint8             seed,
                guint64            counter)
{
  const EntsecAccount *account = vt_find (accounts, id);
  g_autoptr (EntsecAccount) want = vt_account (NULL, label, seed);

  g_assert_nonnull (account);
  g_assert_cmpint (account->type, ==, type);
  g_assert_cmpstr (account->label, ==, label);
  g_assert_cmpmem (account->secret, account->secret_len, want->secret, want->secret_len);
  g_assert_cmpuint (account->counter, ==, counter);
}

static void
expect_v1_contents (EntsecVault *vault,
                    guint64      hotp_counter)
{
  g_autoptr (GPtrArray) accounts = vt_list (vault);
  g_autoptr (GBytes) blob = entsec_vault_get_blob_sync (vault, "fixture.blob", NULL);
  g_autofree char *text = entsec_vault_get_string_sync (vault, "fixture.string", NULL);
  g_autoptr (GPtrArray) quarantined = entsec_vault_list_quarantined (vault);

  g_assert_cmpuint (accounts->len, ==, 3);
  expect_account (accounts, 1, ENTSEC_ACCOUNT_TOTP, "alice@example.com", 1, 0);
  expect_account (accounts, 2, ENTSEC_ACCOUNT_HOTP, "bob@example.com", 2, hotp_counter);
  expect_account (accounts, 3, ENTSEC_ACCOUNT_STEAM, "carol", 3, 0);
  g_assert_cmpstr (text, ==, "hello");
  g_assert_cmpint (entsec_vault_get_int_sync (vault, "fixture.int", 0, NULL), ==, -42);
  g_assert_true (entsec_vault_get_boolean_sync (vault, "fixture.boolean", FALSE, NULL));
  g_assert_cmpmem (g_bytes_get_data (blob, NULL), g_bytes_get_size (blob), "\x00\x01\x02\xff", 4);
  g_assert_cmpuint (quarantined->len, ==, 0);
}

static void
test_v1_vault_upgraded (Fixture      *f,
                        gconstpointer data)
{
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;
  char code[ENTSEC_OTP_CODE_SIZE];

  copy_v1_vault (f);
  g_assert_cmpint (file_format (f->path), ==, 1);
  vault = unlock_with (f->path, V1_PASSPHRASE, &error);
  g_assert_no_error (error);
  expect_v1_contents (vault, 5);
  g_clear_object (&vault);
  g_assert_cmpint (file_format (f->path), ==, ENTSEC_VAULT_FORMAT_VERSION);
  /* Every unlock method still works, and writes work. */
  vault = entsec_vault_open_sync (f->path, NULL, &error);
  g_assert_true (entsec_vault_unlock_recovery_sync (vault, V1_RECOVERY, NULL, &error));
  g_assert_no_error (error);
  expect_v1_contents (vault, 5);
  g_assert_true (entsec_vault_compute_code_sync (vault, 2, 0, code, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&vault);
  vault = unlock_with (f->path, V1_PASSPHRASE, &error);
  g_assert_no_error (error);
  expect_v1_contents (vault, 6);
}

/* The recovery slot the passphrase could not convert: rotation waits for its first use. */
static void
test_v1_recovery_slot_renewed (Fixture      *f,
                               gconstpointer data)
{
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;

  copy_v1_vault (f);
  vault = unlock_with (f->path, V1_PASSPHRASE, &error);
  g_assert_no_error (error);
  g_assert_false (entsec_vault_change_passphrase_sync (vault, passphrase, strlen (passphrase),
                                                      &vt_fast_kdf, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "Unlock the vault once with it"));
  g_clear_error (&error);
  g_clear_object (&vault);
  /* Unlocking with the recovery key renews its slot; then the passphrase can change. */
  vault = entsec_vault_open_sync (f->path, NULL, &error);
  g_assert_true (entsec_vault_unlock_recovery_sync (vault, V1_RECOVERY, NULL, &error));
  g_assert_no_error (error);
  vt_change_passphrase (vault, passphrase);
  g_clear_object (&vault);
  g_assert_cmpuint (readable_with (f->path, V1_RECOVERY, TRUE), ==, 3);
  g_assert_cmpuint (readable_with (f->path, passphrase, FALSE), ==, 3);
  g_assert_cmpuint (readable_with (f->path, V1_PASSPHRASE, FALSE), ==, 0);
}

static void
test_v1_backup_imports (void)
{
  g_autofree char *path = fixture_path ("v1-backup.entsec");
  g_autoptr (GBytes) data = entsec_backup_read_file_sync (path, NULL, NULL);
  g_autoptr (GPtrArray) accounts = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (entsec_backup_import_sync (data, V1_BACKUP_PASSPHRASE, strlen (V1_BACKUP_PASSPHRASE),
                                       &accounts, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (accounts->len, ==, 3);
  g_assert_cmpstr (((EntsecAccount *) g_ptr_array_index (accounts, 1))->label, ==,
                   "bob@example.com");
  g_assert_cmpuint (((EntsecAccount *) g_ptr_array_index (accounts, 1))->counter, ==, 5);
}

static void
test_newer_backup_refused (void)
{
  g_autofree char *path = fixture_path ("v1-backup.entsec");
  g_autoptr (GBytes) data = entsec_backup_read_file_sync (path, NULL, NULL);
  gsize len = 0;
  guint8 *bytes = g_bytes_unref_to_data (g_bytes_ref (data), &len);
  g_autoptr (GBytes) newer = NULL;
  g_autoptr (GPtrArray) accounts = NULL;
  g_autoptr (GError) error = NULL;

  bytes[8] = 2;
  newer = g_bytes_new_take (bytes, len);
  g_assert_false (entsec_backup_import_sync (newer, V1_BACKUP_PASSPHRASE,
                                        strlen (V1_BACKUP_PASSPHRASE), &accounts, NULL, &error));
  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_VERSION);
}

static void
test_newer_vault_untouched (Fixture      *f,
                            gconstpointer data)
{
  g_autoptr (EntsecVault) vault = vt_create (f->path, passphrase);
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *newer = g_strdup_printf ("PRAGMA user_version = %d",
                                            ENTSEC_VAULT_FORMAT_VERSION + 1);

  g_clear_object (&vault);
  vt_exec (f->path, newer);
  before = vt_file_hash (f->path);
  vault = entsec_vault_open_sync (f->path, NULL, &error);
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_VERSION);
  g_assert_null (vault);
  after = vt_file_hash (f->path);
  g_assert_cmpstr (before, ==, after);
}

/* Locked rows are read and written while locked, and kept across opens. */
static void
test_locked_rows (Fixture      *f,
                  gconstpointer data)
{
  g_autoptr (EntsecVault) vault = vt_create (f->path, passphrase);
  g_autoptr (GBytes) sealed = g_bytes_new_static ("sealed\0bytes", 12);
  g_autoptr (GBytes) row = NULL;
  g_autoptr (GError) error = NULL;

  entsec_vault_lock_sync (vault);
  g_assert_false (entsec_vault_is_unlocked (vault));
  g_assert_null (vt_locked_row (vault, "test.row"));
  g_assert_true (entsec_vault_set_locked_row_sync (vault, "test.row", sealed, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&vault);
  vault = entsec_vault_open_sync (f->path, NULL, &error);
  g_assert_no_error (error);
  row = vt_locked_row (vault, "test.row");
  g_assert_nonnull (row);
  g_assert_true (g_bytes_equal (row, sealed));
  /* Unlocking is not disturbed by them, and they stay. */
  g_assert_true (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase),
                                                      NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&row, g_bytes_unref);
  row = vt_locked_row (vault, "test.row");
  g_assert_true (g_bytes_equal (row, sealed));
  g_assert_true (entsec_vault_set_locked_row_sync (vault, "test.row", NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (vt_locked_row (vault, "test.row"));
}

/* A listed account of the organisation seen by the model (a list would show it). */
static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  gpointer    data)
{
  gboolean *seen = data;

  for (guint i = position; i < position + added; i++)
    {
      g_autoptr (EntsecAccountSummary) summary = g_list_model_get_item (model, i);

      *seen |= g_strcmp0 (entsec_account_summary_get_issuer (summary), "Corp") == 0;
    }
}

/* An account of the organisation (issuer "Corp"), added to @vault. */
static void
add_managed (EntsecVault *vault)
{
  g_autoptr (EntsecAccount) managed = vt_account ("Corp", "ann", 2);

  managed->managed_id = g_strdup ("tok_1");
  vt_add_account (vault, managed);
}

/* The record of a remote wipe (entsec-core-private.h): the GVariant "(xxx)" of its times. */
static GBytes *
remote_wipe_record (gint64 ordered,
                    gint64 received,
                    gint64 completed)
{
  g_autoptr (GVariant) value = g_variant_ref_sink (g_variant_new ("(xxx)", ordered, received,
                                                                  completed));

  return g_variant_get_data_as_bytes (value);
}

/*
 * A wipe ordered while the vault was locked: its unlock removes the managed
 * accounts, the enterprise preferences and locked rows before it returns
 * (the model never lists them); personal accounts and other settings stay.
 */
static void
test_remote_wipe_at_unlock (Fixture      *f,
                            gconstpointer data)
{
  g_autoptr (EntsecVault) vault = vt_create (f->path, passphrase);
  g_autoptr (GBytes) sealed = g_bytes_new_static ("sealed", 6);
  g_autoptr (GBytes) record = remote_wipe_record (1000, 2000, 0);
  g_autoptr (GBytes) row = NULL;
  g_autoptr (GVariant) kept = NULL;
  g_autoptr (GVariant) gone = NULL;
  g_autoptr (GVariant) times = NULL;
  g_autoptr (GError) error = NULL;
  const char *names[] = { "enterprise.device", "enterprise.remote_wipe", NULL };
  GBytes *values[] = { sealed, record, NULL };
  GListModel *model;
  gboolean seen = FALSE;
  gint64 ordered, received, completed;

  vt_add (vault, "Personal", "me", 1);
  add_managed (vault);
  vt_set_string (vault, "enterprise.device_id", "dev_1");
  vt_set_string (vault, "app.theme", "dark");
  entsec_vault_lock_sync (vault);
  g_assert_true (entsec_vault_set_locked_rows_sync (vault, names, values, NULL, &error));
  g_assert_no_error (error);
  model = entsec_vault_get_accounts_model (vault);
  g_signal_connect (model, "items-changed", G_CALLBACK (on_items_changed), &seen);
  g_assert_true (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase),
                                                      NULL, &error));
  g_assert_no_error (error);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_false (seen);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);
  gone = entsec_vault_get_pref_sync (vault, "enterprise.device_id", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (gone);
  kept = entsec_vault_get_pref_sync (vault, "app.theme", NULL, &error);
  g_assert_nonnull (kept);
  g_assert_null (vt_locked_row (vault, "enterprise.device"));
  row = vt_locked_row (vault, "enterprise.remote_wipe");
  g_assert_nonnull (row);
  times = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE ("(xxx)"), row, FALSE));
  g_variant_get (times, "(xxx)", &ordered, &received, &completed);
  g_assert_cmpint (ordered, ==, 1000);
  g_assert_cmpint (received, ==, 2000);
  g_assert_cmpint (completed, >, 0);
  /* Done once: the next unlock finds it completed and changes nothing. */
  g_clear_object (&vault);
  vault = unlock_with (f->path, passphrase, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);
  g_clear_pointer (&row, g_bytes_unref);
  row = vt_locked_row (vault, "enterprise.remote_wipe");
  g_assert_true (row != NULL && g_bytes_get_size (row) == 24);
}

/* A malformed record is no order: nothing is removed. */
static void
test_remote_wipe_malformed_record (Fixture      *f,
                                   gconstpointer data)
{
  g_autoptr (EntsecVault) vault = vt_create (f->path, passphrase);
  g_autoptr (GBytes) record = g_bytes_new_static ("short", 5);
  g_autoptr (GError) error = NULL;

  add_managed (vault);
  entsec_vault_lock_sync (vault);
  g_assert_true (entsec_vault_set_locked_row_sync (vault, "enterprise.remote_wipe", record, NULL,
                                                   &error));
  g_assert_true (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase),
                                                      NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);
}

/* A format-2 file (format 3 without the locked rows): read as it is, upgraded at unlock. */
static void
test_v2_vault_upgraded (Fixture      *f,
                        gconstpointer data)
{
  g_autoptr (EntsecVault) vault = vt_create (f->path, passphrase);
  g_autoptr (GBytes) sealed = g_bytes_new_static ("x", 1);
  g_autoptr (GError) error = NULL;

  vt_add (vault, "Kept", "a", 1);
  g_clear_object (&vault);
  vt_exec (f->path, "DROP TABLE locked_rows; PRAGMA user_version = 2");
  vault = entsec_vault_open_sync (f->path, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (vt_locked_row (vault, "test.row"));
  g_assert_false (entsec_vault_set_locked_row_sync (vault, "test.row", sealed, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_LOCKED);
  g_clear_error (&error);
  g_assert_cmpint (file_format (f->path), ==, 2);
  g_assert_true (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase),
                                                      NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (file_format (f->path), ==, ENTSEC_VAULT_FORMAT_VERSION);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);
  g_assert_true (entsec_vault_set_locked_row_sync (vault, "test.row", sealed, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&vault);
  vault = unlock_with (f->path, passphrase, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

for (gsize i = 0; i < G_N_ELEMENTS (planted); i++)
    {
      g_autofree char *name = g_strconcat ("/vault-format/", planted[i][0], NULL);

      g_test_add (name, Fixture, planted[i], fixture_setup, test_planted_sql, fixture_teardown);
    }
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/vault-format/rotation-old-passphrase", test_rotation_old_passphrase);
  ADD ("/vault-format/rotation-removed-slot", test_rotation_removed_slot);
  ADD ("/vault-format/recovery-survives-rotation", test_recovery_survives_rotation);
  ADD ("/vault-format/deleted-row-put-back", test_deleted_row_put_back);
  ADD ("/vault-format/ids-never-reused", test_ids_never_reused);
  ADD ("/vault-format/hotp-rolled-back", test_hotp_rolled_back);
  ADD ("/vault-format/row-deleted-outside", test_row_deleted_outside);
  ADD ("/vault-format/slot-count-capped", test_slot_count_capped);
  ADD ("/vault-format/kdf-work-capped", test_kdf_work_capped);
  ADD ("/vault-format/v1-vault-upgraded", test_v1_vault_upgraded);
  ADD ("/vault-format/v1-recovery-slot-renewed", test_v1_recovery_slot_renewed);
  ADD ("/vault-format/newer-vault-untouched", test_newer_vault_untouched);
  ADD ("/vault-format/locked-rows", test_locked_rows);
  ADD ("/vault-format/v2-vault-upgraded", test_v2_vault_upgraded);
  ADD ("/vault-format/remote-wipe-at-unlock", test_remote_wipe_at_unlock);
  ADD ("/vault-format/remote-wipe-malformed-record", test_remote_wipe_malformed_record);
  g_test_add_func ("/vault-format/v1-backup-imports", test_v1_backup_imports);
  g_test_add_func ("/vault-format/newer-backup-refused", test_newer_backup_refused);
#undef ADD

  return g_test_run ();
}
