/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-app-model.c: the codes list's model, code grouping, the account row
 * template and the clipboard guard, on a real display (xvfb-session.sh). */

#include "config.h"

#include <adwaita.h>
#include <entsec/entsec.h>

#include "entsec-account-row.h"
#include "entsec-accounts-model.h"
#include "entsec-application.h"
#include "entsec-clipboard.h"
#include "../vault-test-util.h"

static EntsecAccountSummary *
summary_new (gint64      id,
             const char *issuer,
             const char *label,
             gint        position,
             gboolean    favourite)
{
  g_autoptr (EntsecAccount) account = entsec_account_new ();

  account->id = id;
  account->issuer = g_strdup (issuer);
  g_free (account->label);
  account->label = g_strdup (label);
  account->position = position;
  account->favourite = favourite;
  return entsec_account_summary_new_from_account (account);
}

/* The store of summaries the vault would hand out, in the vault's order. */
static GListStore *
store_new (void)
{
  GListStore *store = g_list_store_new (ENTSEC_TYPE_ACCOUNT_SUMMARY);
  const struct
  {
    const char *issuer;
    const char *label;
    gint        position;
    gboolean    favourite;
  } rows[] = {
    { "GitHub", "octocat", 2, FALSE },
    { "ACME", "alice@example.com", 0, FALSE },
    { "Google", "bob.smith@gmail.com", 1, TRUE },
    { NULL, "vpn", 3, FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autoptr (EntsecAccountSummary) summary = summary_new ((gint64) i + 1, rows[i].issuer,
                                                              rows[i].label, rows[i].position,
                                                              rows[i].favourite);
      g_list_store_append (store, summary);
    }
  return store;
}

/* "Google GitHub ..." : the labels of @model in order, issuer or label. */
static char *
names (GListModel *model)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (EntsecAccountSummary) summary = g_list_model_get_item (model, i);
      const char *issuer = entsec_account_summary_get_issuer (summary);

      g_string_append_printf (out, "%s%s", i > 0 ? " " : "",
                              issuer != NULL ? issuer : entsec_account_summary_get_label (summary));
    }
  return g_string_free (out, FALSE);
}

static void
test_model_sorted (void)
{
  g_autoptr (GListStore) store = store_new ();
  g_autoptr (GListModel) model = entsec_accounts_model_new (G_LIST_MODEL (store));
  g_autofree char *order = names (model);

  /* Favourites first, then by position. */
  g_assert_cmpstr (order, ==, "Google ACME GitHub vpn");
}

/* Same place in the person's order: by name, then by id; a renamed account moves. */
static void
test_model_sorted_by_name (void)
{
  g_autoptr (GListStore) store = g_list_store_new (ENTSEC_TYPE_ACCOUNT_SUMMARY);
  g_autoptr (GListModel) model = entsec_accounts_model_new (G_LIST_MODEL (store));
  const char *issuers[] = { "Zeta", "Alpha", "Mu", "Alpha" };
  g_autoptr (EntsecAccountSummary) renamed = NULL;
  g_autoptr (EntsecAccountSummary) first = NULL;
  char *order;

  for (gsize i = 0; i < G_N_ELEMENTS (issuers); i++)
    {
      g_autoptr (EntsecAccountSummary) summary =
        summary_new (10 - (gint64) i, issuers[i], i == 1 ? "first" : "second", 0, FALSE);

      g_list_store_append (store, summary);
    }
  order = names (model);
  g_assert_cmpstr (order, ==, "Alpha Alpha Mu Zeta");
  g_free (order);
  /* "Alpha (first)" sorts before "Alpha (second)" by name, although its id is higher. */
  first = g_list_model_get_item (model, 0);
  g_assert_cmpstr (entsec_account_summary_get_label (first), ==, "first");
  renamed = summary_new (10, "Beta", "second", 0, FALSE);
  g_list_store_splice (store, 0, 1, (gpointer *) &renamed, 1);
  order = names (model);
  g_assert_cmpstr (order, ==, "Alpha Alpha Beta Mu");
  g_free (order);
}

static void
test_model_search (void)
{
  g_autoptr (GListStore) store = store_new ();
  g_autoptr (GListModel) model = entsec_accounts_model_new (G_LIST_MODEL (store));
  char *order;

  entsec_accounts_model_set_search (model, "GIT");
  order = names (model);
  g_assert_cmpstr (order, ==, "GitHub");
  g_free (order);

  /* The label matches too, ignoring case. */
  entsec_accounts_model_set_search (model, "EXAMPLE.com");
  order = names (model);
  g_assert_cmpstr (order, ==, "ACME");
  g_free (order);

  entsec_accounts_model_set_search (model, "nothing like it");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 0);

  entsec_accounts_model_set_search (model, "");
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 4);
}

/* A change of the vault's model (another program added an account) shows at once. */
static void
test_model_follows_changes (void)
{
  g_autoptr (GListStore) store = store_new ();
  g_autoptr (GListModel) model = entsec_accounts_model_new (G_LIST_MODEL (store));
  g_autoptr (EntsecAccountSummary) added = summary_new (9, "Dropbox", "dave", 0, TRUE);
  g_autofree char *order = NULL;

  entsec_accounts_model_set_search (model, "o");
  g_list_store_append (store, added);
  order = names (model);
  /* Favourites by position: Dropbox (0) before Google (1). */
  g_assert_cmpstr (order, ==, "Dropbox Google ACME GitHub");

  g_list_store_remove (store, 0);
  g_free (g_steal_pointer (&order));
  order = names (model);
  g_assert_cmpstr (order, ==, "Dropbox Google ACME");
}

static void
test_format_code (void)
{
  const struct
  {
    const char *code;
    const char *shown;
  } cases[] = {
    { "123456", "123 456" },  { "1234567", "123 4567" },      { "12345678", "1234 5678" },
    { "123456789", "123 456 789" }, { "1234567890", "123 456 7890" }, { "2BC4D", "2BC4D" },
    { "", "" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *shown = entsec_format_code (cases[i].code);

      g_assert_cmpstr (shown, ==, cases[i].shown);
    }
}

/* The row's template comes from the app's GResource and builds cleanly. */
static void
test_account_row_template (void)
{
  GtkWidget *row = entsec_account_row_new ();

  g_object_ref_sink (row);
  g_assert_true (ENTSEC_IS_ACCOUNT_ROW (row));
  g_assert_null (entsec_account_row_get_code (ENTSEC_ACCOUNT_ROW (row)));
  g_assert_cmpint (entsec_account_row_get_account_id (ENTSEC_ACCOUNT_ROW (row)), ==, 0);
  g_assert_finalize_object (row);
}

static gboolean
is_next_button (GtkWidget *widget)
{
  return GTK_IS_BUTTON (widget)
         && g_strcmp0 (gtk_button_get_icon_name (GTK_BUTTON (widget)), "view-refresh-symbolic") == 0;
}

static gboolean
is_next_label (GtkWidget *widget)
{
  return GTK_IS_LABEL (widget) && g_str_has_prefix (gtk_label_get_label (GTK_LABEL (widget)), "Next:");
}

/* The first widget under @root that @match accepts, shown or not. */
static GtkWidget *
find_part (GtkWidget *root,
           gboolean (*match) (GtkWidget *widget))
{
  if (match (root))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_part (child, match);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
shown (GtkWidget *widget)
{
  return widget != NULL && gtk_widget_get_visible (widget);
}

static void
spin_until (gboolean (*done) (gpointer data),
            gpointer data)
{
  while (!done (data))
    g_main_context_iteration (NULL, TRUE);
}

static gboolean
next_label_shown (gpointer row)
{
  return shown (find_part (row, is_next_label));
}

static gboolean
row_has_code (gpointer row)
{
  return entsec_account_row_get_code (row) != NULL;
}

static EntsecAccountSummary *
summary_of (EntsecVault *vault,
            gint64       id)
{
  g_autoptr (GPtrArray) list = entsec_vault_list_accounts (vault);

  for (guint i = 0; i < list->len; i++)
    if (entsec_account_summary_get_id (g_ptr_array_index (list, i)) == id)
      return g_object_ref (g_ptr_array_index (list, i));
  g_assert_not_reached ();
}

/* The parts few rows need are made only for the rows that show them: a time
 * account's row has no Next Code button and gets the next code's label only
 * near the end of a period, with the right code in it; a counter account's
 * row gets the button, which gives a code, and hides it again when the row
 * is bound to a time account. */
static void
test_account_row_parts_on_demand (VtFixture    *f,
                                  gconstpointer data)
{
  g_autoptr (EntsecVault) vault = vt_create (f->path, "correct horse");
  g_autoptr (EntsecAccount) totp = vt_account ("ACME", "alice", 1);
  g_autoptr (EntsecAccount) hotp = vt_account ("Forge", "bob", 2);
  g_autoptr (EntsecAccountSummary) totp_summary = NULL;
  g_autoptr (EntsecAccountSummary) hotp_summary = NULL;
  GtkWidget *row = g_object_ref_sink (entsec_account_row_new ());
  /* 3 s before the end of a 30 s period, well after the real clock. */
  const gint64 now = 2000000000 / 30 * 30 + 27;
  char next[ENTSEC_OTP_CODE_SIZE] = { 0 };
  g_autofree char *grouped = NULL;
  g_autofree char *expected = NULL;
  g_autoptr (GError) error = NULL;

  hotp->type = ENTSEC_ACCOUNT_HOTP;
  vt_add_account (vault, totp);
  vt_add_account (vault, hotp);
  totp_summary = summary_of (vault, totp->id);
  hotp_summary = summary_of (vault, hotp->id);
  g_assert_true (entsec_vault_compute_code_sync (vault, totp->id, now + 30, next, NULL, &error));
  g_assert_no_error (error);
  grouped = entsec_format_code (next);
  expected = g_strdup_printf ("Next: %s", grouped);

  g_assert_null (find_part (row, is_next_button));
  g_assert_null (find_part (row, is_next_label));

  entsec_account_row_bind (ENTSEC_ACCOUNT_ROW (row), vault, totp_summary, NULL);
  spin_until (row_has_code, row);
  g_assert_null (find_part (row, is_next_button));
  entsec_account_row_tick (ENTSEC_ACCOUNT_ROW (row), now);
  spin_until (next_label_shown, row);
  g_assert_cmpstr (gtk_label_get_label (GTK_LABEL (find_part (row, is_next_label))), ==, expected);
  /* The next period: its code is the one shown, the label goes. */
  entsec_account_row_tick (ENTSEC_ACCOUNT_ROW (row), now + 4);
  g_assert_false (next_label_shown (row));

  entsec_account_row_bind (ENTSEC_ACCOUNT_ROW (row), vault, hotp_summary, NULL);
  g_assert_true (shown (find_part (row, is_next_button)));
  g_assert_null (entsec_account_row_get_code (ENTSEC_ACCOUNT_ROW (row)));
  g_signal_emit_by_name (find_part (row, is_next_button), "clicked");
  spin_until (row_has_code, row);
  g_assert_cmpuint (strlen (entsec_account_row_get_code (ENTSEC_ACCOUNT_ROW (row))), ==, 6);

  entsec_account_row_bind (ENTSEC_ACCOUNT_ROW (row), vault, totp_summary, NULL);
  g_assert_false (shown (find_part (row, is_next_button)));
  g_assert_false (next_label_shown (row));

  explicit_bzero (next, sizeof next);
  g_object_run_dispose (G_OBJECT (row));
  g_object_unref (row);
}

/* Clearing takes back our code, and never what another copy put there. */
static void
test_clipboard_guard (void)
{
  GdkClipboard *clipboard = gdk_display_get_clipboard (gdk_display_get_default ());
  g_autoptr (EntsecClipboardGuard) guard = entsec_clipboard_guard_new (clipboard);

  entsec_clipboard_guard_copy (guard, "123456", 0);
  g_assert_true (entsec_clipboard_guard_holds_ours (guard));
  entsec_clipboard_guard_clear (guard);
  g_assert_false (entsec_clipboard_guard_holds_ours (guard));
  g_assert_null (gdk_clipboard_get_content (clipboard));

  entsec_clipboard_guard_copy (guard, "654321", 30);
  gdk_clipboard_set_text (clipboard, "someone else's text");
  g_assert_false (entsec_clipboard_guard_holds_ours (guard));
  entsec_clipboard_guard_clear (guard);
  g_assert_nonnull (gdk_clipboard_get_content (clipboard));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  entsec_app_ensure_resources ();

  g_test_add_func ("/app/model/sorted", test_model_sorted);
  g_test_add_func ("/app/model/sorted-by-name", test_model_sorted_by_name);
  g_test_add_func ("/app/model/search", test_model_search);
  g_test_add_func ("/app/model/follows-changes", test_model_follows_changes);
  g_test_add_func ("/app/format-code", test_format_code);
  g_test_add_func ("/app/account-row/template", test_account_row_template);
  g_test_add ("/app/account-row/parts-on-demand", VtFixture, NULL, vt_fixture_setup,
              test_account_row_parts_on_demand, vt_fixture_teardown);
  g_test_add_func ("/app/clipboard-guard", test_clipboard_guard);
  return g_test_run ();
}
