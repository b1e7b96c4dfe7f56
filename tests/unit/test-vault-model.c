/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-vault-model.c: the accounts model announces only what changed (a list
 * view then rebinds only those rows), and always equals the listed accounts.
 */

#include "config.h"

#include <string.h>

#include "vault-test-util.h"

static const char passphrase[] = "vault model test passphrase";

#define N_ACCOUNTS 1000

typedef struct
{
  char         *dir;
  char         *path;
  GMainContext *context;
  EntsecVault  *vault;
  GListModel   *model;
  /* items-changed since the last reset: how many, and the last one */
  guint         emissions;
  guint         removed;
  guint         added;
  guint         position;
} Fixture;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Fixture    *f)
{
  f->emissions++;
  f->removed += removed;
  f->added += added;
  f->position = position;
}

/* Run the vault's context until nothing is pending (announcements included). */
static void
settle (Fixture *f)
{
  while (g_main_context_pending (f->context))
    g_main_context_iteration (f->context, FALSE);
}

static void
reset_counts (Fixture *f)
{
  settle (f);
  f->emissions = f->removed = f->added = f->position = 0;
}

/* @n made-up accounts with distinct secrets, added in one batch. */
static void
add_accounts (EntsecVault *vault,
              guint        first,
              guint        n)
{
  g_autoptr (GPtrArray) batch =
    g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  g_autoptr (GArray) ids = NULL;
  g_autoptr (GError) error = NULL;

  for (guint i = first; i < first + n; i++)
    {
      EntsecAccount *account = entsec_account_new ();
      g_autofree char *label = g_strdup_printf ("user%04u", i);
      guint8 secret[20] = { 0 };

      for (guint k = 0; k < sizeof secret; k++)
        secret[k] = (guint8) g_test_rand_int ();
      secret[0] = (guint8) i;
      secret[1] = (guint8) (i >> 8);
      entsec_account_set_secret (account, secret, sizeof secret);
      account->issuer = g_strdup_printf ("Example %04u", i);
      g_free (account->label);
      account->label = g_steal_pointer (&label);
      g_ptr_array_add (batch, account);
    }
  g_assert_true (entsec_vault_add_accounts_sync (vault, batch, ENTSEC_VAULT_ADD_NONE, &ids, NULL,
                                                 NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (ids->len, ==, n);
}

static void
fixture_setup (Fixture      *f,
               gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("entsec-model-XXXXXX", NULL);
  f->path = g_build_filename (f->dir, "vault.db", NULL);
  f->context = g_main_context_new ();
  g_main_context_push_thread_default (f->context);
  f->vault = entsec_vault_create_sync (f->path, FALSE, passphrase, strlen (passphrase),
                                       &vt_fast_kdf, NULL, &error);
  g_assert_no_error (error);
  add_accounts (f->vault, 0, N_ACCOUNTS);
  f->model = entsec_vault_get_accounts_model (f->vault);
  g_signal_connect (f->model, "items-changed", G_CALLBACK (items_changed_cb), f);
  reset_counts (f);
  g_assert_cmpuint (g_list_model_get_n_items (f->model), ==, N_ACCOUNTS);
}

static void
fixture_teardown (Fixture      *f,
                  gconstpointer data)
{
  settle (f);
  g_signal_handlers_disconnect_by_data (f->model, f);
  g_clear_object (&f->vault);
  g_main_context_pop_thread_default (f->context);
  g_main_context_unref (f->context);
  vt_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

static EntsecAccountSummary *
model_item (Fixture *f,
            guint    position)
{
  EntsecAccountSummary *item = g_list_model_get_item (f->model, position);

  /* The store keeps its own reference. */
  g_object_unref (item);
  return item;
}

/* The model lists what entsec_vault_list_accounts() lists, in its order. */
static void
assert_model_matches (Fixture *f)
{
  g_autoptr (GPtrArray) listed = entsec_vault_list_accounts (f->vault);

  settle (f);
  g_assert_cmpuint (g_list_model_get_n_items (f->model), ==, listed->len);
  for (guint i = 0; i < listed->len; i++)
    {
      EntsecAccountSummary *want = g_ptr_array_index (listed, i);
      EntsecAccountSummary *have = model_item (f, i);

      g_assert_cmpint (entsec_account_summary_get_id (have), ==,
                       entsec_account_summary_get_id (want));
      g_assert_cmpstr (entsec_account_summary_get_issuer (have), ==,
                       entsec_account_summary_get_issuer (want));
      g_assert_cmpstr (entsec_account_summary_get_label (have), ==,
                       entsec_account_summary_get_label (want));
      g_assert_cmpint (entsec_account_summary_get_favourite (have), ==,
                       entsec_account_summary_get_favourite (want));
      g_assert_cmpint (entsec_account_summary_get_position (have), ==,
                       entsec_account_summary_get_position (want));
    }
}

/* What the model announced since the last reset_counts(). */
static void
assert_changes (Fixture *f,
                guint    emissions,
                guint    removed,
                guint    added)
{
  settle (f);
  g_assert_cmpuint (f->emissions, ==, emissions);
  g_assert_cmpuint (f->removed, ==, removed);
  g_assert_cmpuint (f->added, ==, added);
}

static EntsecAccount *
get_account (Fixture *f,
             guint    position)
{
  g_autoptr (GError) error = NULL;
  EntsecAccount *account = entsec_vault_get_account_sync (
    f->vault, entsec_account_summary_get_id (model_item (f, position)), NULL, &error);

  g_assert_no_error (error);
  return account;
}

static void
update_account (Fixture       *f,
                EntsecAccount *account)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (entsec_vault_update_account_sync (f->vault, account, NULL, &error));
  g_assert_no_error (error);
}

static void
delete_account (Fixture *f,
                gint64   id)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (entsec_vault_delete_account_sync (f->vault, id, NULL, &error));
  g_assert_no_error (error);
}

/* One account added to 1,000: one insertion, nothing else. */
static void
test_add_one (Fixture      *f,
              gconstpointer data)
{
  add_accounts (f->vault, N_ACCOUNTS, 1);
  assert_changes (f, 1, 0, 1);
  assert_model_matches (f);
}

/* An edited label replaces that one item, in place; the others stay the same objects. */
static void
test_edit_one (Fixture      *f,
               gconstpointer data)
{
  g_autoptr (EntsecAccount) account = get_account (f, 500);
  EntsecAccountSummary *before = model_item (f, 499);

  g_free (account->label);
  account->label = g_strdup ("renamed");
  update_account (f, account);
  assert_changes (f, 1, 1, 1);
  g_assert_cmpuint (f->position, ==, 500);
  g_assert_cmpstr (entsec_account_summary_get_label (model_item (f, 500)), ==, "renamed");
  g_assert_true (model_item (f, 499) == before);
  assert_model_matches (f);
}

/* A new secret under the same name is a change too: the row must compute new codes. */
static void
test_new_secret (Fixture      *f,
                 gconstpointer data)
{
  g_autoptr (EntsecAccount) account = get_account (f, 10);
  EntsecAccountSummary *before = model_item (f, 10);
  static const guint8 secret[20] = "another secret 12345";

  entsec_account_set_secret (account, secret, sizeof secret);
  update_account (f, account);
  assert_changes (f, 1, 1, 1);
  g_assert_true (model_item (f, 10) != before);
  assert_model_matches (f);
}

/* One account deleted: one removal. */
static void
test_delete_one (Fixture      *f,
                 gconstpointer data)
{
  delete_account (f, entsec_account_summary_get_id (model_item (f, 700)));
  assert_changes (f, 1, 1, 0);
  g_assert_cmpuint (f->position, ==, 700);
  assert_model_matches (f);
}

/* A favourite moves to the top: one removal and one insertion, not 1,000. */
static void
test_favourite_moves (Fixture      *f,
                      gconstpointer data)
{
  g_autoptr (EntsecAccount) account = get_account (f, 900);

  account->favourite = TRUE;
  update_account (f, account);
  settle (f);
  g_assert_cmpuint (f->emissions, <=, 2);
  g_assert_cmpuint (f->removed, ==, 1);
  g_assert_cmpuint (f->added, ==, 1);
  g_assert_cmpint (entsec_account_summary_get_id (model_item (f, 0)), ==, account->id);
  assert_model_matches (f);
}

/* Locking empties the model in one change and unlocking fills it in one. */
static void
test_lock_unlock (Fixture      *f,
                  gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  entsec_vault_lock_sync (f->vault);
  assert_changes (f, 1, N_ACCOUNTS, 0);
  reset_counts (f);
  g_assert_true (entsec_vault_unlock_passphrase_sync (f->vault, passphrase, strlen (passphrase),
                                                      NULL, &error));
  g_assert_no_error (error);
  assert_changes (f, 1, 0, N_ACCOUNTS);
  assert_model_matches (f);
}

/* Random adds, edits, moves, reorders and deletes: the model always equals the list. */
static void
test_random_edits (Fixture      *f,
                   gconstpointer data)
{
  guint next = N_ACCOUNTS + 1;

  for (guint round = 0; round < 60; round++)
    {
      guint n = g_list_model_get_n_items (f->model);
      g_autoptr (EntsecAccount) account = get_account (f, g_test_rand_int_range (0, n));
      g_autoptr (GError) error = NULL;

      switch (g_test_rand_int_range (0, 5))
        {
        case 0:
          add_accounts (f->vault, next, g_test_rand_int_range (1, 4));
          next += 4;
          break;
        case 1:
          g_free (account->issuer);
          account->issuer = g_strdup_printf ("Renamed %u", round);
          update_account (f, account);
          break;
        case 2:
          account->favourite = !account->favourite;
          update_account (f, account);
          break;
        case 3:
          {
            gint64 ids[] = { account->id };

            /* Moves the account to the front of the non-favourites. */
            g_assert_true (entsec_vault_reorder_sync (f->vault, ids, 1, NULL, &error));
            g_assert_no_error (error);
            break;
          }
        default:
          delete_account (f, account->id);
        }
      assert_model_matches (f);
    }
}

/* Another program's change (the CLI's) reaches the model as that one change. */
static void
test_change_elsewhere (Fixture      *f,
                       gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecVault) other = entsec_vault_open_sync (f->path, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (entsec_vault_unlock_passphrase_sync (other, passphrase, strlen (passphrase), NULL,
                                                      &error));
  g_assert_no_error (error);
  vt_add (other, "Elsewhere", "cli", 7);
  while (g_list_model_get_n_items (f->model) == N_ACCOUNTS)
    g_main_context_iteration (f->context, TRUE);
  settle (f);
  g_assert_cmpuint (f->removed, ==, 0);
  g_assert_cmpuint (f->added, ==, 1);
  assert_model_matches (f);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add ("/vault-model" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/add-one", test_add_one);
  ADD ("/edit-one", test_edit_one);
  ADD ("/new-secret", test_new_secret);
  ADD ("/delete-one", test_delete_one);
  ADD ("/favourite-moves", test_favourite_moves);
  ADD ("/lock-unlock", test_lock_unlock);
  ADD ("/random-edits", test_random_edits);
  ADD ("/change-elsewhere", test_change_elsewhere);
#undef ADD
  return g_test_run ();
}
