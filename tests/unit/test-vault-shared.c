/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-vault-shared.c: one vault file open twice (as the app and the CLI
 * have it), and the state a UI watches: properties, the "changed" signal and
 * the accounts model on the vault's main context.
 */

#include "config.h"

#include <string.h>

#include "vault-test-util.h"

static const char passphrase[] = "shared vault test passphrase";
/* RFC 4226 appendix D: the HOTP codes of its key for counters 0, 1, 2 ... */
static const char *const rfc4226_codes[] = { "755224", "287082", "359152", "969429", "338314",
                                             "254676", "287922", "162583", "399871", "520489" };

typedef struct
{
  char *dir;
  char *path;
} Fixture;

static void
fixture_setup (Fixture      *f,
               gconstpointer data)
{
  f->dir = g_dir_make_tmp ("entsec-shared-XXXXXX", NULL);
  f->path = g_build_filename (f->dir, "vault.db", NULL);
}

static void
fixture_teardown (Fixture      *f,
                  gconstpointer data)
{
  vt_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static EntsecVault *
create_vault (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  EntsecVault *vault = entsec_vault_create_sync (f->path, FALSE, passphrase, strlen (passphrase),
                                                 &vt_fast_kdf, NULL, &error);

  g_assert_no_error (error);
  return vault;
}

static EntsecVault *
open_unlocked (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecVault) vault = entsec_vault_open_sync (f->path, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase), NULL,
                                                      &error));
  g_assert_no_error (error);
  return g_steal_pointer (&vault);
}

static gint64
add_hotp (EntsecVault *vault)
{
  g_autoptr (EntsecAccount) hotp = vt_account ("Counter", "shared", 0);
  g_autoptr (GPtrArray) batch = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;

  entsec_account_set_secret (hotp, (const guint8 *) "12345678901234567890", 20);
  hotp->type = ENTSEC_ACCOUNT_HOTP;
  g_ptr_array_add (batch, hotp);
  g_assert_true (vt_add_batch (vault, batch, ENTSEC_VAULT_ADD_NONE, NULL, &error));
  g_assert_no_error (error);
  return hotp->id;
}

static void
assert_code (EntsecVault *vault,
             gint64       id,
             const char  *expected)
{
  g_autoptr (GError) error = NULL;
  char code[ENTSEC_OTP_CODE_SIZE] = "";

  g_assert_true (entsec_vault_compute_code_sync (vault, id, 0, code, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (code, ==, expected);
}

/* Two programs taking HOTP codes in turn never get the same code twice. */
static void
test_hotp_counter_shared (Fixture      *f,
                          gconstpointer data)
{
  g_autoptr (EntsecVault) app = create_vault (f);
  g_autoptr (EntsecVault) cli = open_unlocked (f);
  gint64 id = add_hotp (app);

  for (guint i = 0; i < G_N_ELEMENTS (rfc4226_codes); i++)
    assert_code (i % 3 == 1 ? cli : app, id, rfc4226_codes[i]);
}

/* An account added by one is seen by the other, also by its duplicate check. */
static void
test_changes_seen (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr (EntsecVault) app = create_vault (f);
  g_autoptr (EntsecVault) cli = open_unlocked (f);
  g_autoptr (GPtrArray) batch =
    g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;
  gboolean changed = FALSE;

  vt_add (cli, "GitHub", "me", 3);
  /* The app has not looked yet; a refresh reads the other program's commit. */
  g_assert_cmpuint (vt_count_accounts (app), ==, 0);
  g_assert_true (entsec_vault_refresh_sync (app, &changed, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (changed);
  g_assert_cmpuint (vt_count_accounts (app), ==, 1);
  g_assert_true (entsec_vault_refresh_sync (app, &changed, NULL, &error));
  g_assert_false (changed);

  /* The duplicate check of a write reads the file inside the transaction. */
  vt_add (app, "Other", "one", 4);
  g_ptr_array_add (batch, vt_account ("other", "ONE", 5));
  g_assert_false (entsec_vault_add_accounts_sync (cli, batch, ENTSEC_VAULT_ADD_NONE, NULL, NULL,
                                                  NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_DUPLICATE);

  /* A delete elsewhere: the account is gone here at the next call. */
  list = entsec_vault_list_accounts (cli);
  g_assert_cmpuint (list->len, ==, 2);
  g_assert_true (entsec_vault_delete_account_sync (
    app, entsec_account_summary_get_id (g_ptr_array_index (list, 0)), NULL, NULL));
  g_assert_true (entsec_vault_refresh_sync (cli, NULL, NULL, NULL));
  g_assert_cmpuint (vt_count_accounts (cli), ==, 1);
}

/* While another connection holds the write lock, reading never waits. */
static void
test_readers_never_wait (Fixture      *f,
                         gconstpointer data)
{
  g_autoptr (EntsecVault) app = create_vault (f);
  g_autoptr (EntsecVault) reader = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecAccount) account = NULL;
  g_autoptr (GPtrArray) list = NULL;
  sqlite3 *writer;
  gint64 id;
  char code[ENTSEC_OTP_CODE_SIZE];

  vt_add (app, "Read", "me", 9);
  list = entsec_vault_list_accounts (app);
  id = entsec_account_summary_get_id (g_ptr_array_index (list, 0));
  g_clear_object (&app);
  writer = vt_db (f->path);
  g_assert_cmpint (sqlite3_exec (writer, "BEGIN IMMEDIATE; UPDATE accounts SET position = 5",
                                 NULL, NULL, NULL), ==, SQLITE_OK);

  reader = open_unlocked (f);
  g_assert_cmpuint (vt_count_accounts (reader), ==, 1);
  g_assert_true (entsec_vault_compute_code_sync (reader, id, 59, code, NULL, &error));
  g_assert_no_error (error);
  account = entsec_vault_get_account_sync (reader, id, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (account);

  /* A writer waits its turn; when the other never finishes it gives up clearly. */
  g_assert_false (entsec_vault_set_boolean_sync (reader, "x", TRUE, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IN_USE);
  g_assert_nonnull (strstr (error->message, "busy"));
  g_clear_error (&error);
  g_assert_cmpint (sqlite3_exec (writer, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (writer);
  g_assert_true (entsec_vault_set_boolean_sync (reader, "x", TRUE, &error));
  g_assert_no_error (error);
}

typedef struct
{
  guint changed;
  guint locked_notes;
  guint busy_notes;
  gboolean done;
  gboolean ok;
  GError *error;
} Watch;

static void
changed_cb (EntsecVault *vault,
            Watch       *w)
{
  w->changed++;
}

static void
notify_cb (GObject    *object,
           GParamSpec *pspec,
           Watch      *w)
{
  if (g_str_equal (pspec->name, "locked"))
    w->locked_notes++;
  else if (g_str_equal (pspec->name, "busy"))
    w->busy_notes++;
}

static void
unlocked_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Watch *w = user_data;

  w->ok = entsec_vault_unlock_passphrase_finish (ENTSEC_VAULT (source), result, &w->error);
  /* The property reads TRUE while the callback runs, then drops. */
  g_assert_true (entsec_vault_is_busy (ENTSEC_VAULT (source)));
  w->done = TRUE;
}

static void
run_until (GMainContext *context,
           guint        *counter,
           guint         at_least)
{
  while (*counter < at_least)
    g_main_context_iteration (context, TRUE);
}

/* Locked, busy, "changed" and the model, each on the vault's own context. */
static void
test_ui_state (Fixture      *f,
               gconstpointer data)
{
  g_autoptr (GMainContext) context = g_main_context_new ();
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (EntsecVault) other = NULL;
  GListModel *model;
  gboolean locked = FALSE;
  Watch w = { 0 };

  g_main_context_push_thread_default (context);
  vault = create_vault (f);
  g_signal_connect (vault, "changed", G_CALLBACK (changed_cb), &w);
  g_signal_connect (vault, "notify", G_CALLBACK (notify_cb), &w);
  model = entsec_vault_get_accounts_model (vault);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);
  g_assert_true (g_list_model_get_item_type (model) == ENTSEC_TYPE_ACCOUNT_SUMMARY);

  vt_add (vault, "Model", "one", 1);
  run_until (context, &w.changed, 1);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);
  while (g_main_context_pending (context))
    g_main_context_iteration (context, FALSE);
  w.locked_notes = 0;

  entsec_vault_lock_sync (vault);
  run_until (context, &w.locked_notes, 1);
  g_object_get (vault, "locked", &locked, NULL);
  g_assert_true (locked);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);

  entsec_vault_unlock_passphrase_async (vault, passphrase, strlen (passphrase), NULL,
                                        unlocked_cb, &w);
  g_assert_true (entsec_vault_is_busy (vault));
  while (!w.done || entsec_vault_is_busy (vault))
    g_main_context_iteration (context, TRUE);
  g_assert_no_error (w.error);
  g_assert_true (w.ok);
  g_assert_cmpuint (w.busy_notes, ==, 2);
  run_until (context, &w.locked_notes, 2);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 1);

  /* Another program's change reaches the model through the file monitor. */
  other = open_unlocked (f);
  w.changed = 0;
  vt_add (other, "Model", "two", 2);
  while (g_list_model_get_n_items (model) < 2)
    g_main_context_iteration (context, TRUE);
  g_assert_cmpuint (w.changed, >=, 1);
  g_main_context_pop_thread_default (context);
}

/* A passphrase change elsewhere rotates the data key: this vault locks itself and says why. */
static void
test_key_change_elsewhere (Fixture      *f,
                           gconstpointer data)
{
  static const char new_passphrase[] = "a brand new shared passphrase";
  g_autoptr (EntsecVault) app = create_vault (f);
  g_autoptr (EntsecVault) cli = open_unlocked (f);
  g_autoptr (GError) error = NULL;
  gint64 id = add_hotp (app);
  char code[ENTSEC_OTP_CODE_SIZE];

  g_assert_true (entsec_vault_change_passphrase_sync (cli, new_passphrase, strlen (new_passphrase),
                                                      &vt_fast_kdf, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (entsec_vault_compute_code_sync (app, id, 0, code, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_LOCKED);
  g_assert_nonnull (strstr (error->message, "another program"));
  g_assert_false (entsec_vault_is_unlocked (app));
  g_clear_error (&error);
  /* The new passphrase opens it again, with the other program's counter. */
  g_assert_true (entsec_vault_unlock_passphrase_sync (app, new_passphrase, strlen (new_passphrase),
                                                      NULL, &error));
  g_assert_no_error (error);
  assert_code (app, id, rfc4226_codes[0]);
  assert_code (cli, id, rfc4226_codes[1]);
}

/* A cancelled unlock runs no KDF and leaves the vault locked. */
static void
test_cancelled_unlock (Fixture      *f,
                       gconstpointer data)
{
  g_autoptr (EntsecVault) vault = create_vault (f);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;

  entsec_vault_lock_sync (vault);
  g_cancellable_cancel (cancellable);
  g_assert_false (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase),
                                                       cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (entsec_vault_is_unlocked (vault));
  g_assert_cmpuint (entsec_vault_get_failed_unlocks (vault), ==, 0);
}

/* Summaries carry what a list shows and never the key. */
static void
test_summary (void)
{
  g_autoptr (EntsecAccount) account = vt_account ("Issuer", "label", 4);
  g_autoptr (EntsecAccountSummary) summary = NULL;
  g_autofree char *name = NULL;
  guint n_props = 0;
  g_autofree GParamSpec **props = NULL;

  account->id = 12;
  account->favourite = TRUE;
  account->notes = g_strdup ("private");
  summary = entsec_account_summary_new_from_account (account);
  g_assert_cmpint (entsec_account_summary_get_id (summary), ==, 12);
  g_assert_cmpstr (entsec_account_summary_get_label (summary), ==, "label");
  g_assert_true (entsec_account_summary_get_favourite (summary));
  g_assert_true (entsec_account_summary_get_has_notes (summary));
  g_assert_false (entsec_account_summary_get_managed (summary));
  g_object_get (summary, "display-name", &name, NULL);
  g_assert_cmpstr (name, ==, "Issuer (label)");
  g_clear_object (&summary);
  /* A token the enterprise server provisioned. */
  account->managed_id = g_strdup ("tok_1");
  summary = entsec_account_summary_new_from_account (account);
  g_assert_true (entsec_account_summary_get_managed (summary));
  props = g_object_class_list_properties (G_OBJECT_GET_CLASS (summary), &n_props);
  for (guint i = 0; i < n_props; i++)
    {
      g_assert_null (strstr (props[i]->name, "secret"));
      g_assert_null (strstr (props[i]->name, "notes"));
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add ("/vault-shared" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/hotp-counter", test_hotp_counter_shared);
  ADD ("/changes-seen", test_changes_seen);
  ADD ("/readers-never-wait", test_readers_never_wait);
  ADD ("/ui-state", test_ui_state);
  ADD ("/cancelled-unlock", test_cancelled_unlock);
  ADD ("/key-change-elsewhere", test_key_change_elsewhere);
#undef ADD
  g_test_add_func ("/vault-shared/summary", test_summary);
  return g_test_run ();
}
