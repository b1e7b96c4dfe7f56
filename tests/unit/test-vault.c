/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-vault.c: the vault with passphrase and recovery slots (no keyring
 * daemon needed): format, slots, accounts, HOTP counter, preferences,
 * tampering (byte flips, row swaps, hostile KDF costs), single writer.
 */

#include "config.h"

#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include <entsec/entsec.h>

#include "vault-test-util.h"

static const char passphrase[] = "correct horse battery staple";

typedef VtFixture Fixture;
#define fixture_setup vt_fixture_setup
#define fixture_teardown vt_fixture_teardown

static EntsecVault *
create_vault (Fixture *f)
{
  return vt_create (f->path, passphrase);
}

static EntsecVault *
reopen (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  EntsecVault *vault = entsec_vault_open_sync (f->path, NULL, &error);

  g_assert_no_error (error);
  g_assert_false (entsec_vault_is_unlocked (vault));
  g_assert_true (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase), NULL,
                                                      &error));
  g_assert_no_error (error);
  return vault;
}

static void
add_one (EntsecVault   *vault,
         EntsecAccount *account)
{
  vt_add_account (vault, account);
}

static void
test_roundtrip (Fixture      *f,
                gconstpointer data)
{
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autoptr (EntsecAccount) a = vt_account ("Example", "alice@example.com", 1);
  g_autoptr (EntsecAccount) b = vt_account (NULL, "bob", 2);
  g_autoptr (GPtrArray) list = NULL;

  a->notes = g_strdup ("recovery codes in the safe");
  a->group = g_strdup ("Work");
  a->favourite = TRUE;
  b->type = ENTSEC_ACCOUNT_HOTP;
  b->counter = 41;
  b->algorithm = ENTSEC_OTP_ALGORITHM_SHA256;
  b->digits = 8;
  /* An account the enterprise server provisioned keeps its token id. */
  b->managed_id = g_strdup ("tok_7Hq3");
  add_one (vault, a);
  add_one (vault, b);
  g_clear_object (&vault);

  vault = reopen (f);
  list = vt_list (vault);
  g_assert_cmpuint (list->len, ==, 2);
  vt_assert_account_equal (g_ptr_array_index (list, 0), a);
  vt_assert_account_equal (g_ptr_array_index (list, 1), b);
}

static void
test_file_modes (Fixture      *f,
                 gconstpointer data)
{
  mode_t old = umask (0);
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autofree char *dir = g_path_get_dirname (f->path);
  struct stat st;

  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (f->path, "-shm", NULL);
  g_autofree char *lock = g_strconcat (f->path, ".lock", NULL);

  vt_add (vault, "Mode", "check", 40);
  umask (old);
  g_assert_cmpint (stat (f->path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (stat (wal, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (stat (shm, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  /* SQLite serialises writers: no lock file of our own any more. */
  g_assert_cmpint (stat (lock, &st), ==, -1);
  g_assert_cmpint (stat (dir, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0700);
}

static void
test_create_refuses_existing (Fixture      *f,
                              gconstpointer data)
{
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autoptr (EntsecVault) second = NULL;
  g_autoptr (GError) error = NULL;

  g_clear_object (&vault);
  second = entsec_vault_create_sync (f->path, FALSE, "x", 1, &vt_fast_kdf, NULL, &error);
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_EXISTS);
  g_assert_null (second);
  g_clear_object (&vault);
  vault = reopen (f);
}

static void
test_wrong_passphrase (Fixture      *f,
                       gconstpointer data)
{
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  vt_add (vault, "X", "y", 3);
  g_clear_object (&vault);
  before = vt_file_hash (f->path);
  vault = entsec_vault_open_sync (f->path, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (entsec_vault_unlock_passphrase_sync (vault, "wrong", 5, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  g_clear_error (&error);
  g_assert_false (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase) - 1,
                                                       NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  g_assert_cmpuint (entsec_vault_get_failed_unlocks (vault), ==, 2);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 0);
  g_clear_object (&vault);
  after = vt_file_hash (f->path);
  g_assert_cmpstr (before, ==, after);
}

static void
test_long_unicode_passphrase (Fixture      *f,
                              gconstpointer data)
{
  /* 100+ bytes, non-ASCII (é, 中文, emoji): the bytes are the key, none dropped. */
  static const char pass[] =
    "pässwörd-中文-\xf0\x9f\x94\x91-"
    "0123456789012345678901234567890123456789012345678901234567890123456789";
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (strlen (pass), >, 64);
  vault = entsec_vault_create_sync (f->path, FALSE, pass, strlen (pass), &vt_fast_kdf,
                                    NULL, &error);
  g_assert_no_error (error);
  vt_add (vault, "U", "v", 4);
  g_clear_object (&vault);

  vault = entsec_vault_open_sync (f->path, NULL, &error);
  g_assert_false (entsec_vault_unlock_passphrase_sync (vault, pass, 64, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  g_clear_error (&error);
  g_assert_true (entsec_vault_unlock_passphrase_sync (vault, pass, strlen (pass), NULL, &error));
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);
}

static void
test_change_passphrase (Fixture      *f,
                        gconstpointer data)
{
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autoptr (GError) error = NULL;

  vt_add (vault, "A", "b", 5);
  g_assert_true (entsec_vault_change_passphrase_sync (vault, "new one", 7, &vt_fast_kdf,
                                                      NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&vault);

  vault = entsec_vault_open_sync (f->path, NULL, &error);
  g_assert_false (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase), NULL,
                                                       &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  g_clear_error (&error);
  g_assert_true (entsec_vault_unlock_passphrase_sync (vault, "new one", 7, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);
}

static void
test_recovery_slot (Fixture      *f,
                    gconstpointer data)
{
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autoptr (GError) error = NULL;
  g_autofree EntsecVaultSlotInfo *slots = NULL;
  gsize n_slots = 0;
  char *key;

  vt_add (vault, "R", "s", 6);
  key = entsec_vault_add_recovery_slot_sync (vault, NULL, &error);
  g_assert_no_error (error);
  slots = entsec_vault_list_slots (vault, &n_slots);
  g_assert_cmpuint (n_slots, ==, 2);
  g_assert_cmpint (slots[0].type, ==, ENTSEC_VAULT_SLOT_PASSPHRASE);
  g_assert_cmpuint (slots[0].kdf.memory_kib, ==, vt_fast_kdf.memory_kib);
  g_assert_cmpint (slots[1].type, ==, ENTSEC_VAULT_SLOT_RECOVERY);
  /* Remove the passphrase; then the recovery slot is the last one. */
  g_assert_true (entsec_vault_remove_slot_sync (vault, slots[0].id, NULL, &error));
  g_assert_false (entsec_vault_remove_slot_sync (vault, slots[1].id, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_LAST_SLOT);
  g_clear_error (&error);
  g_clear_object (&vault);

  vault = entsec_vault_open_sync (f->path, NULL, &error);
  g_assert_false (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase), NULL,
                                                       &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NO_SLOT);
  g_clear_error (&error);
  g_assert_true (entsec_vault_unlock_recovery_sync (vault, key, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);
  entsec_secure_strfree (key);
}

static void
test_duplicates (Fixture      *f,
                 gconstpointer data)
{
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autoptr (GPtrArray) batch =
    g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  g_autoptr (GPtrArray) skipped = NULL;
  g_autoptr (EntsecAccount) original = vt_account ("GitHub", "me", 7);
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;

  add_one (vault, original);
  g_ptr_array_add (batch, vt_account ("New", "one", 8));
  g_ptr_array_add (batch, vt_account ("github", "ME", 9)); /* same account, other case */
  g_assert_false (vt_add_batch (vault, batch, ENTSEC_VAULT_ADD_NONE, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_DUPLICATE);
  g_clear_error (&error);
  list = vt_list (vault);
  g_assert_cmpuint (list->len, ==, 1);
  vt_assert_account_equal (g_ptr_array_index (list, 0), original);

  g_ptr_array_add (batch, vt_account ("New", "one", 10)); /* duplicate within the batch */
  g_assert_true (entsec_vault_add_accounts_sync (vault, batch, ENTSEC_VAULT_ADD_SKIP_DUPLICATES,
                                                 NULL, &skipped, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (skipped->len, ==, 2);
  g_clear_pointer (&list, g_ptr_array_unref);
  list = vt_list (vault);
  g_assert_cmpuint (list->len, ==, 2);
  vt_assert_account_equal (g_ptr_array_index (list, 0), original);
}

static void
test_invalid_batch_adds_nothing (Fixture      *f,
                                 gconstpointer data)
{
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autoptr (GPtrArray) batch =
    g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  g_autoptr (GError) error = NULL;
  EntsecAccount *bad = vt_account ("Bad", "digits", 11);

  EntsecAccount *huge_notes = vt_account ("Huge", "notes", 13);

  bad->digits = 3;
  g_ptr_array_add (batch, vt_account ("Good", "one", 12));
  g_ptr_array_add (batch, bad);
  g_assert_false (vt_add_batch (vault, batch, ENTSEC_VAULT_ADD_NONE, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 0);
  g_clear_error (&error);

  /* Notes too long to be read back are refused up front, not quarantined later. */
  huge_notes->notes = g_malloc (2 * 1024 * 1024 + 1);
  memset (huge_notes->notes, 'n', 2 * 1024 * 1024);
  huge_notes->notes[2 * 1024 * 1024] = '\0';
  g_ptr_array_remove_index (batch, 1);
  g_ptr_array_add (batch, huge_notes);
  g_assert_false (vt_add_batch (vault, batch, ENTSEC_VAULT_ADD_NONE, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 0);
}

static void
test_edit_delete_reorder (Fixture      *f,
                          gconstpointer data)
{
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autoptr (EntsecAccount) a = vt_account ("A", "1", 13);
  g_autoptr (EntsecAccount) b = vt_account ("B", "2", 14);
  g_autoptr (EntsecAccount) c = vt_account ("C", "3", 15);
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;
  gint64 order[3];

  add_one (vault, a);
  add_one (vault, b);
  add_one (vault, c);
  g_free (b->label);
  b->label = g_strdup ("renamed");
  b->group = g_strdup ("Home");
  g_assert_true (entsec_vault_update_account_sync (vault, b, NULL, &error));
  g_assert_no_error (error);
  /* Renaming onto another account's name is refused. */
  g_free (c->issuer);
  c->issuer = g_strdup ("A");
  g_free (c->label);
  c->label = g_strdup ("1");
  g_assert_false (entsec_vault_update_account_sync (vault, c, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_DUPLICATE);
  g_clear_error (&error);
  g_assert_true (entsec_vault_delete_account_sync (vault, a->id, NULL, &error));
  g_assert_false (entsec_vault_delete_account_sync (vault, a->id, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NO_ACCOUNT);
  g_clear_error (&error);
  order[0] = c->id;
  order[1] = b->id;
  g_assert_true (entsec_vault_reorder_sync (vault, order, 2, NULL, &error));
  g_clear_object (&vault);

  vault = reopen (f);
  list = vt_list (vault);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_cmpstr (((EntsecAccount *) g_ptr_array_index (list, 0))->issuer, ==, "C");
  g_assert_cmpstr (((EntsecAccount *) g_ptr_array_index (list, 1))->label, ==, "renamed");
  g_assert_cmpstr (((EntsecAccount *) g_ptr_array_index (list, 1))->group, ==, "Home");
}

static void
test_hotp_counter_persisted (Fixture      *f,
                             gconstpointer data)
{
  /* RFC 4226 Appendix D. */
  static const char *expected[] = { "755224", "287082", "359152", "969429" };
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autoptr (EntsecAccount) hotp = vt_account ("H", "otp", 0);
  g_autoptr (EntsecAccount) stored = NULL;
  g_autoptr (GError) error = NULL;
  char code[ENTSEC_OTP_CODE_SIZE];

  entsec_account_set_secret (hotp, (const guint8 *) "12345678901234567890", 20);
  hotp->type = ENTSEC_ACCOUNT_HOTP;
  add_one (vault, hotp);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      if (i == 2)
        {
          /* Each code's successor counter is on disk: a restart continues. */
          g_clear_object (&vault);
          vault = reopen (f);
        }
      g_assert_true (entsec_vault_compute_code_sync (vault, hotp->id, 0, code, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (code, ==, expected[i]);
    }
  stored = entsec_vault_get_account_sync (vault, hotp->id, NULL, &error);
  g_assert_cmpuint (stored->counter, ==, 4);
}

static void
test_prefs (Fixture      *f,
            gconstpointer data)
{
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autoptr (GBytes) blob = g_bytes_new_static ("\x00\x01\x02pinned-key", 13);
  g_autoptr (GBytes) blob_back = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;

  g_assert_true (entsec_vault_set_string_sync (vault, "server-url", "https://idp.example", &error));
  g_assert_true (entsec_vault_set_int_sync (vault, "device-id", -42, &error));
  g_assert_true (entsec_vault_set_boolean_sync (vault, "enrolled", TRUE, &error));
  g_assert_true (entsec_vault_set_blob_sync (vault, "pinned-keys", blob, &error));
  g_assert_true (entsec_vault_set_string_sync (vault, "gone", "soon", &error));
  g_assert_true (entsec_vault_remove_pref_sync (vault, "gone", NULL, &error));
  g_assert_no_error (error);
  g_assert_false (entsec_vault_set_pref_sync (vault, "bad", g_variant_new_double (1.0),
                                              NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID);
  g_clear_error (&error);
  g_clear_object (&vault);

  vault = reopen (f);
  url = entsec_vault_get_string_sync (vault, "server-url", &error);
  g_assert_cmpstr (url, ==, "https://idp.example");
  g_assert_cmpint (entsec_vault_get_int_sync (vault, "device-id", 0, &error), ==, -42);
  g_assert_true (entsec_vault_get_boolean_sync (vault, "enrolled", FALSE, &error));
  blob_back = entsec_vault_get_blob_sync (vault, "pinned-keys", &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (blob, blob_back));
  g_assert_null (entsec_vault_get_string_sync (vault, "gone", &error));
  g_assert_no_error (error);
  g_assert_cmpint (entsec_vault_get_int_sync (vault, "server-url", 7, &error), ==, 7);
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID);
}

/* entsec-vault-private.h: the failure-injection point for tests. */
extern guint vault_testing_fail_pref_row;

/*
 * Preferences set together are written all or none: a failure at the
 * second row (injected: the vault refuses files with triggers and turns
 * them off) leaves the first one as it was, in memory and on disk.
 */
/* The three preferences test_prefs_all_or_none() sets together are as given. */
static void
assert_policy_prefs (EntsecVault *vault,
                     const char  *policy,
                     gint64       version,
                     gboolean     gone_present)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *stored = entsec_vault_get_string_sync (vault, "policy", &error);

  g_assert_cmpstr (stored, ==, policy);
  g_assert_cmpint (entsec_vault_get_int_sync (vault, "policy-version", 0, &error), ==, version);
  g_assert_cmpint (entsec_vault_get_boolean_sync (vault, "gone", FALSE, &error), ==,
                   gone_present);
  g_assert_no_error (error);
}

static void
test_prefs_all_or_none (Fixture      *f,
                        gconstpointer data)
{
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autoptr (GError) error = NULL;
  const char *names[] = { "policy", "policy-version", "gone", NULL };
  GVariant *values[] = { g_variant_new_string ("new"), g_variant_new_int64 (2), NULL };

  g_assert_true (entsec_vault_set_string_sync (vault, "policy", "old", &error));
  g_assert_true (entsec_vault_set_int_sync (vault, "policy-version", 1, &error));
  g_assert_true (entsec_vault_set_boolean_sync (vault, "gone", TRUE, &error));
  vault_testing_fail_pref_row = 2;
  g_assert_false (entsec_vault_set_prefs_sync (vault, names, values, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IO);
  g_assert_cmpuint (vault_testing_fail_pref_row, ==, 0);
  g_clear_error (&error);
  assert_policy_prefs (vault, "old", 1, TRUE);
  g_clear_object (&vault);

  vault = reopen (f);
  assert_policy_prefs (vault, "old", 1, TRUE);
  /* Without the failure all three change at once. */
  values[0] = g_variant_new_string ("new");
  values[1] = g_variant_new_int64 (2);
  g_assert_true (entsec_vault_set_prefs_sync (vault, names, values, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&vault);
  vault = reopen (f);
  assert_policy_prefs (vault, "new", 2, FALSE);
}

/* T10: a file moved or replaced under an open vault is never written to. */
static void
test_replaced_file_not_written (Fixture      *f,
                                gconstpointer data)
{
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autoptr (GPtrArray) batch =
    g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  g_autoptr (GError) error = NULL;
  g_autofree char *moved = g_strconcat (f->path, ".moved", NULL);
  g_autofree char *contents = NULL;
  gsize len = 0;

  vt_add (vault, "Before", "move", 44);
  entsec_vault_lock_sync (vault);
  g_assert_true (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase), NULL,
                                                      &error));
  g_assert_true (g_file_get_contents (f->path, &contents, &len, NULL));
  g_assert_cmpint (g_rename (f->path, moved), ==, 0);
  g_assert_true (g_file_set_contents (f->path, contents, (gssize) len, NULL));

  g_ptr_array_add (batch, vt_account ("After", "move", 45));
  g_assert_false (vt_add_batch (vault, batch, ENTSEC_VAULT_ADD_NONE, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_REPLACED);
  g_clear_error (&error);
  g_assert_false (entsec_vault_set_int_sync (vault, "x", 1, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_REPLACED);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);
}

/* The vault, its SQLite companions and links to them are its files; a neighbour is not. */
static void
test_path_is_vault_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("entsec-vault-path-XXXXXX", &error);
  g_autofree char *vault = NULL, *wal = NULL, *link = NULL, *dotted = NULL, *other = NULL;
  g_autofree char *name = NULL;

  g_assert_no_error (error);
  name = g_path_get_basename (dir);
  vault = g_build_filename (dir, "v.db", NULL);
  wal = g_build_filename (dir, "v.db-wal", NULL);
  link = g_build_filename (dir, "link.db", NULL);
  dotted = g_build_filename (dir, "..", name, "v.db-shm", NULL);
  other = g_build_filename (dir, "v.db.backup", NULL);
  g_assert_true (g_file_set_contents (vault, "x", 1, NULL));
  g_assert_cmpint (symlink (vault, link), ==, 0);
  g_assert_true (entsec_vault_path_is_vault_file (vault, vault));
  g_assert_true (entsec_vault_path_is_vault_file (vault, link));
  g_assert_true (entsec_vault_path_is_vault_file (link, vault));
  g_assert_true (entsec_vault_path_is_vault_file (vault, wal));
  g_assert_true (entsec_vault_path_is_vault_file (vault, dotted));
  g_assert_false (entsec_vault_path_is_vault_file (vault, other));
  g_unlink (link);
  g_unlink (vault);
  g_rmdir (dir);
}

/* CD-6: no core dump, no same-user ptrace (checked in a child: it is for good). */
static void
test_harden_process (void)
{
  struct rlimit core;

  if (g_test_subprocess ())
    {
      g_assert_true (entsec_vault_harden_process (NULL));
      g_assert_cmpint (prctl (PR_GET_DUMPABLE, 0, 0, 0, 0), ==, 0);
      g_assert_cmpint (getrlimit (RLIMIT_CORE, &core), ==, 0);
      g_assert_cmpuint (core.rlim_cur, ==, 0);
      g_assert_cmpuint (core.rlim_max, ==, 0);
      return;
    }
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

static void
test_lock_forgets (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autoptr (EntsecAccount) a = vt_account ("L", "k", 16);
  g_autoptr (GError) error = NULL;

  add_one (vault, a);
  entsec_vault_lock_sync (vault);
  g_assert_false (entsec_vault_is_unlocked (vault));
  g_assert_cmpuint (vt_count_accounts (vault), ==, 0);
  g_assert_null (entsec_vault_get_account_sync (vault, a->id, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_LOCKED);
  g_clear_error (&error);
  g_assert_true (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase), NULL,
                                                      &error));
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);
}

static void
test_row_swap_quarantines_both (Fixture      *f,
                                gconstpointer data)
{
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autoptr (EntsecAccount) a = vt_account ("A", "a", 17);
  g_autoptr (EntsecAccount) b = vt_account ("B", "b", 18);
  g_autoptr (EntsecAccount) c = vt_account ("C", "c", 19);
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GPtrArray) quarantined = NULL;
  g_autoptr (GBytes) blob_a = NULL;
  g_autoptr (GBytes) after_a = NULL;

  add_one (vault, a);
  add_one (vault, b);
  add_one (vault, c);
  g_clear_object (&vault);
  vt_swap_account_blobs (f->path, a->id, b->id);
  blob_a = vt_read_account_blob (f->path, a->id);

  vault = reopen (f);
  list = vt_list (vault);
  g_assert_cmpuint (list->len, ==, 1);
  vt_assert_account_equal (g_ptr_array_index (list, 0), c);
  quarantined = entsec_vault_list_quarantined (vault);
  g_assert_cmpuint (quarantined->len, ==, 2);
  /* The bad rows survive other writes and a reopen, byte for byte. */
  vt_add (vault, "D", "d", 20);
  g_clear_object (&vault);
  after_a = vt_read_account_blob (f->path, a->id);
  g_assert_true (g_bytes_equal (blob_a, after_a));
  vault = reopen (f);
  g_clear_pointer (&quarantined, g_ptr_array_unref);
  quarantined = entsec_vault_list_quarantined (vault);
  g_assert_cmpuint (quarantined->len, ==, 2);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 2);
}

static void
test_hostile_kdf_costs (Fixture      *f,
                        gconstpointer data)
{
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  g_clear_object (&vault);
  /* Ask for 64 GiB of memory: rejected before anything is allocated. */
  vt_set_slot_memory_kib (f->path, 64u * 1024 * 1024);
  before = vt_file_hash (f->path);
  /* Refused at open, with the slot table, before any key derivation. */
  vault = entsec_vault_open_sync (f->path, NULL, &error);
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT);
  g_assert_null (vault);
  after = vt_file_hash (f->path);
  g_assert_cmpstr (before, ==, after);
}

static void
test_header_tamper (Fixture      *f,
                    gconstpointer data)
{
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autoptr (GError) error = NULL;

  vt_add (vault, "T", "t", 21);
  g_clear_object (&vault);
  /* A copy of the only slot under another id: unwraps, but the header tag fails. */
  vt_exec (f->path, "INSERT INTO slots (id, type, params, wrapped) "
                    "SELECT id + 1, type, params, wrapped FROM slots");
  vault = entsec_vault_open_sync (f->path, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase), NULL,
                                                       &error));
  g_assert_true (g_error_matches (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT)
                 || g_error_matches (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE));
  g_assert_cmpuint (vt_count_accounts (vault), ==, 0);
}

static void
test_newer_format_refused (Fixture      *f,
                           gconstpointer data)
{
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autoptr (GError) error = NULL;

  g_clear_object (&vault);
  vt_exec (f->path, "PRAGMA user_version = 99");
  vault = entsec_vault_open_sync (f->path, NULL, &error);
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_VERSION);
  g_assert_null (vault);
}

static void
test_not_found (Fixture      *f,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecVault) vault = entsec_vault_open_sync (f->path, NULL, &error);

  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NOT_FOUND);
  g_assert_null (vault);
}

/* A writer killed with its WAL not checkpointed; a failed unlock must not fold it in. */
static void
test_failed_open_keeps_wal (Fixture      *f,
                            gconstpointer data)
{
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autoptr (GError) error = NULL;
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_autofree char *before = NULL;
  g_autofree char *wal_before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *wal_after = NULL;
  pid_t pid;
  int status;

  g_clear_object (&vault);
  pid = fork ();
  if (pid == 0)
    {
      EntsecVault *child = reopen (f);

      vt_add (child, "Crash", "leftover", 41);
      _exit (0); /* no close, no checkpoint: the change lives in the WAL only */
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  before = vt_file_hash (f->path);
  wal_before = vt_file_hash (wal);
  vault = entsec_vault_open_sync (f->path, NULL, &error);
  g_assert_false (entsec_vault_unlock_passphrase_sync (vault, "wrong", 5, NULL, &error));
  g_clear_object (&vault);
  after = vt_file_hash (f->path);
  wal_after = vt_file_hash (wal);
  g_assert_cmpstr (before, ==, after);
  g_assert_cmpstr (wal_before, ==, wal_after);

  vault = reopen (f);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);
}

typedef struct
{
  gboolean done;
  gboolean ok;
  char     code[ENTSEC_OTP_CODE_SIZE];
  GArray  *ids;
  GError  *error;
} AsyncResult;

static void
unlocked_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  AsyncResult *r = user_data;

  r->ok = entsec_vault_unlock_passphrase_finish (ENTSEC_VAULT (source), result, &r->error);
  r->done = TRUE;
}

static void
added_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  AsyncResult *r = user_data;

  r->ok = entsec_vault_add_accounts_finish (ENTSEC_VAULT (source), result, &r->ids, NULL,
                                            &r->error);
  r->done = TRUE;
}

/* The callbacks run on this thread's main context; the work ran elsewhere. */
static void
test_async (Fixture      *f,
            gconstpointer data)
{
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autoptr (GPtrArray) batch =
    g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  AsyncResult r = { 0 };

  g_ptr_array_add (batch, vt_account ("Async", "one", 42));
  entsec_vault_add_accounts_async (vault, batch, ENTSEC_VAULT_ADD_NONE, NULL, added_cb, &r);
  while (!r.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  /* The ids come back through _finish; the worker never wrote into the caller's array. */
  g_assert_cmpuint (r.ids->len, ==, 1);
  g_assert_cmpint (g_array_index (r.ids, gint64, 0), >, 0);
  g_assert_cmpint (((EntsecAccount *) g_ptr_array_index (batch, 0))->id, ==, 0);
  g_clear_pointer (&r.ids, g_array_unref);

  entsec_vault_lock_sync (vault);
  r.done = FALSE;
  entsec_vault_unlock_passphrase_async (vault, passphrase, strlen (passphrase), NULL,
                                        unlocked_cb, &r);
  while (!r.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);
}

static void
hotp_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  AsyncResult *r = user_data;

  r->ok = entsec_vault_compute_code_finish (ENTSEC_VAULT (source), result, r->code, &r->error);
  r->done = TRUE;
}

static void
delete_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  AsyncResult *r = user_data;

  r->ok = entsec_vault_delete_account_finish (ENTSEC_VAULT (source), result, &r->error);
  r->done = TRUE;
}

static void
test_async_hotp_delete (Fixture      *f,
                        gconstpointer data)
{
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autoptr (EntsecAccount) hotp = vt_account ("H", "async", 0);
  AsyncResult r = { 0 };

  entsec_account_set_secret (hotp, (const guint8 *) "12345678901234567890", 20);
  hotp->type = ENTSEC_ACCOUNT_HOTP;
  add_one (vault, hotp);
  entsec_vault_compute_code_async (vault, hotp->id, 0, NULL, hotp_cb, &r);
  while (!r.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (r.error);
  g_assert_cmpstr (r.code, ==, "755224");
  r.done = FALSE;
  entsec_vault_delete_account_async (vault, hotp->id, NULL, delete_cb, &r);
  while (!r.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 0);
}

/* ---- The other _async/_finish pairs --------------------------------------- */

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **out = user_data;

  g_assert_true (g_main_context_is_owner (g_main_context_default ()));
  *out = g_object_ref (result);
}

/* Run the main loop until the callback above stored the result. */
static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return g_steal_pointer (slot);
}

static void
test_async_slots (Fixture      *f,
                  gconstpointer data)
{
  static const char other[] = "another passphrase";
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autoptr (GError) error = NULL;
  GAsyncResult *pending = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autofree char *key = NULL;
  g_autofree EntsecVaultSlotInfo *slots = NULL;
  gsize n = 0;

  entsec_vault_add_passphrase_slot_async (vault, other, strlen (other), &vt_fast_kdf, NULL,
                                          store_result, &pending);
  result = wait_for (&pending);
  g_assert_true (entsec_vault_add_passphrase_slot_finish (vault, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  entsec_vault_add_recovery_slot_async (vault, NULL, store_result, &pending);
  result = wait_for (&pending);
  key = entsec_vault_add_recovery_slot_finish (vault, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (key);
  g_clear_object (&result);
  slots = entsec_vault_list_slots (vault, &n);
  g_assert_cmpuint (n, ==, 3);
  g_assert_cmpint (slots[2].type, ==, ENTSEC_VAULT_SLOT_RECOVERY);

  /* Remove both passphrase slots: the recovery slot remains and works. */
  for (gsize i = 0; i < 2; i++)
    {
      entsec_vault_remove_slot_async (vault, slots[i].id, NULL, store_result, &pending);
      result = wait_for (&pending);
      g_assert_true (entsec_vault_remove_slot_finish (vault, result, &error));
      g_assert_no_error (error);
      g_clear_object (&result);
    }
  entsec_vault_remove_slot_async (vault, slots[2].id, NULL, store_result, &pending);
  result = wait_for (&pending);
  g_assert_false (entsec_vault_remove_slot_finish (vault, result, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_LAST_SLOT);
  g_clear_error (&error);
  g_clear_object (&result);

  entsec_vault_lock_async (vault, NULL, store_result, &pending);
  result = wait_for (&pending);
  g_assert_true (entsec_vault_lock_finish (vault, result, &error));
  g_assert_false (entsec_vault_is_unlocked (vault));
  g_clear_object (&result);

  /*
   * The same object (a worker thread may still hold the last task, and with
   * it a reference to the vault and its single-writer lock, for a moment).
   */
  g_assert_false (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase), NULL,
                                                       &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NO_SLOT);
  g_clear_error (&error);
  entsec_vault_unlock_recovery_async (vault, key, NULL, store_result, &pending);
  result = wait_for (&pending);
  g_assert_true (entsec_vault_unlock_recovery_finish (vault, result, &error));
  g_assert_no_error (error);
  g_assert_true (entsec_vault_is_unlocked (vault));
}

static void
test_async_prefs_reorder (Fixture      *f,
                          gconstpointer data)
{
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autoptr (EntsecAccount) a = vt_account ("Order", "a", 1);
  g_autoptr (EntsecAccount) b = vt_account ("Order", "b", 2);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) value = NULL;
  g_autoptr (GPtrArray) list = NULL;
  GAsyncResult *pending = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  gint64 ids[2];

  entsec_vault_set_pref_async (vault, "server-url", g_variant_new_string ("https://async.example"),
                               NULL, store_result, &pending);
  result = wait_for (&pending);
  g_assert_true (entsec_vault_set_pref_finish (vault, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  entsec_vault_get_pref_async (vault, "server-url", NULL, store_result, &pending);
  result = wait_for (&pending);
  value = entsec_vault_get_pref_finish (vault, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_string (value, NULL), ==, "https://async.example");
  g_clear_object (&result);
  entsec_vault_remove_pref_async (vault, "server-url", NULL, store_result, &pending);
  result = wait_for (&pending);
  g_assert_true (entsec_vault_remove_pref_finish (vault, result, &error));
  g_clear_object (&result);
  entsec_vault_get_pref_async (vault, "server-url", NULL, store_result, &pending);
  result = wait_for (&pending);
  /* Not set: NULL and no error, as from the _sync call. */
  g_assert_null (entsec_vault_get_pref_finish (vault, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  add_one (vault, a);
  add_one (vault, b);
  ids[0] = b->id;
  ids[1] = a->id;
  entsec_vault_reorder_async (vault, ids, G_N_ELEMENTS (ids), NULL, store_result, &pending);
  result = wait_for (&pending);
  g_assert_true (entsec_vault_reorder_finish (vault, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  list = vt_list (vault);
  g_assert_cmpstr (((EntsecAccount *) g_ptr_array_index (list, 0))->label, ==, "b");

  entsec_vault_lock_sync (vault);
  entsec_vault_set_pref_async (vault, "x", g_variant_new_boolean (TRUE), NULL, store_result,
                               &pending);
  result = wait_for (&pending);
  g_assert_false (entsec_vault_set_pref_finish (vault, result, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_LOCKED);
}

static void
test_async_calibrate (void)
{
  GAsyncResult *pending = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  EntsecKdfParams params = { 0 };

  entsec_vault_calibrate_kdf_async (20, NULL, store_result, &pending);
  result = wait_for (&pending);
  g_assert_true (entsec_vault_calibrate_kdf_finish (result, &params, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (params.memory_kib, >=, 8 * 1024);
  g_assert_cmpuint (params.iterations, >=, 1);
  g_assert_cmpuint (params.parallelism, >=, 1);
}

/* A file that is not SQLite at all: say so, and leave it alone. */
static void
test_not_a_vault (Fixture      *f,
                  gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecVault) vault = NULL;
  g_autofree char *dir = g_path_get_dirname (f->path);
  g_autofree char *text = g_strnfill (4096, 'x');
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (f->path, text, -1, NULL));
  before = vt_file_hash (f->path);
  vault = entsec_vault_open_sync (f->path, NULL, &error);
  g_assert_null (vault);
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "not an entsec vault"));
  g_assert_nonnull (strstr (error->message, "not modified"));
  g_assert_null (strstr (error->message, "update"));
  after = vt_file_hash (f->path);
  g_assert_cmpstr (before, ==, after);
}

/*
 * Every byte of a small vault flipped in turn. Decided behaviour: the open
 * or unlock fails with a vault error and nothing is loaded, or (a flip inside
 * one account's blob or id) that row is quarantined; whatever loads is
 * exactly an original account. A failed attempt never changes the file.
 */
static void
test_every_byte_flipped (Fixture      *f,
                         gconstpointer data)
{
  g_autoptr (EntsecVault) vault = entsec_vault_create_sync (f->path, FALSE, "p", 1, &vt_fast_kdf,
                                                            NULL, NULL);
  g_autoptr (GPtrArray) originals =
    g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  g_autofree char *key = entsec_vault_add_recovery_slot_sync (vault, NULL, NULL);
  g_autofree char *pristine = NULL;
  g_autofree char *flipped_path = g_strconcat (f->path, ".flip", NULL);
  gsize size = 0;
  VtFlipStats stats = { 0 };

  for (guint i = 0; i < 3; i++)
    {
      EntsecAccount *a = vt_account ("Flip", NULL, 30 + i);

      g_free (a->label);
      a->label = g_strdup_printf ("user%u", i);
      add_one (vault, a);
      g_ptr_array_add (originals, a);
    }
  g_assert_true (entsec_vault_set_string_sync (vault, "server-url", "https://flip.example", NULL));
  g_clear_object (&vault);
  g_assert_true (g_file_get_contents (f->path, &pristine, &size, NULL));
  g_assert_cmpuint (size, <, 64 * 1024);

  for (gsize offset = 0; offset < size; offset++)
    vt_flip_and_open (flipped_path, pristine, size, offset, key, originals, &stats);
  g_test_message ("%" G_GSIZE_FORMAT " bytes: %u failed cleanly, %u opened with quarantine, "
                  "%u opened intact", size, stats.failed, stats.quarantined, stats.intact);
  g_assert_cmpuint (stats.failed, >, 0);
  g_assert_cmpuint (stats.quarantined, >, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/vault/roundtrip", test_roundtrip);
  ADD ("/vault/file-modes", test_file_modes);
  ADD ("/vault/create-refuses-existing", test_create_refuses_existing);
  ADD ("/vault/not-found", test_not_found);
  ADD ("/vault/wrong-passphrase", test_wrong_passphrase);
  ADD ("/vault/long-unicode-passphrase", test_long_unicode_passphrase);
  ADD ("/vault/change-passphrase", test_change_passphrase);
  ADD ("/vault/recovery-slot", test_recovery_slot);
  ADD ("/vault/duplicates", test_duplicates);
  ADD ("/vault/invalid-batch-adds-nothing", test_invalid_batch_adds_nothing);
  ADD ("/vault/edit-delete-reorder", test_edit_delete_reorder);
  ADD ("/vault/hotp-counter-persisted", test_hotp_counter_persisted);
  ADD ("/vault/prefs", test_prefs);
  ADD ("/vault/prefs-all-or-none", test_prefs_all_or_none);
  ADD ("/vault/lock-forgets", test_lock_forgets);
  g_test_add_func ("/vault/path-is-vault-file", test_path_is_vault_file);
  g_test_add_func ("/vault/harden-process", test_harden_process);
  ADD ("/vault/replaced-file-not-written", test_replaced_file_not_written);
  ADD ("/vault/row-swap-quarantines-both", test_row_swap_quarantines_both);
  ADD ("/vault/hostile-kdf-costs", test_hostile_kdf_costs);
  ADD ("/vault/header-tamper", test_header_tamper);
  ADD ("/vault/newer-format-refused", test_newer_format_refused);
  ADD ("/vault/failed-open-keeps-wal", test_failed_open_keeps_wal);
  ADD ("/vault/async", test_async);
  ADD ("/vault/async-hotp-delete", test_async_hotp_delete);
  ADD ("/vault/async-slots", test_async_slots);
  ADD ("/vault/async-prefs-reorder", test_async_prefs_reorder);
  g_test_add_func ("/vault/async-calibrate", test_async_calibrate);
  ADD ("/vault/not-a-vault", test_not_a_vault);
  ADD ("/vault/every-byte-flipped", test_every_byte_flipped);
#undef ADD

  return g_test_run ();
}
