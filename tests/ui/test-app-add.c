/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-app-add.c: the add dialog's routes on a real display (xvfb-session.sh):
 * a Google Authenticator export lists its accounts to choose from, and a
 * pasted or dropped picture is read like a picture file. */

#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <entsec/entsec.h>
#include <glib/gstdio.h>

#include "entsec-add-dialog.h"
#include "entsec-application.h"
#include "entsec-google-import-dialog.h"
#include "entsec-qr-texture.h"
#include "google-migration.pb-c.h"
#include "../vault-test-util.h"

typedef EntsecMigration__MigrationPayload Payload;
typedef EntsecMigration__MigrationPayload__OtpParameters Entry;

static guint8 seed[] = "12345678901234567890";

static EntsecAccount *
account_new (const char *issuer,
             const char *label)
{
  EntsecAccount *account = entsec_account_new ();

  g_free (account->label);
  account->label = g_strdup (label);
  account->issuer = g_strdup (issuer);
  entsec_account_set_secret (account, seed, 20);
  return account;
}

/* An export of @n accounts packed as Google Authenticator does. */
static char *
export_uri (const char *const *issuers,
            const char *const *labels,
            guint               n)
{
  g_autofree Entry *entries = g_new0 (Entry, n);
  g_autofree Entry **pointers = g_new0 (Entry *, n);
  Payload payload;
  g_autofree guint8 *data = NULL;
  g_autofree char *base64 = NULL;
  g_autofree char *escaped = NULL;
  gsize len;

  entsec_migration__migration_payload__init (&payload);
  for (guint i = 0; i < n; i++)
    {
      entsec_migration__migration_payload__otp_parameters__init (&entries[i]);
      entries[i].name = (char *) labels[i];
      entries[i].issuer = (char *) issuers[i];
      entries[i].secret.data = seed;
      entries[i].secret.len = 20;
      entries[i].type = ENTSEC_MIGRATION__MIGRATION_PAYLOAD__OTP_TYPE__OTP_TYPE_TOTP;
      entries[i].algorithm = ENTSEC_MIGRATION__MIGRATION_PAYLOAD__ALGORITHM__ALGORITHM_SHA1;
      entries[i].digits = ENTSEC_MIGRATION__MIGRATION_PAYLOAD__DIGIT_COUNT__DIGIT_COUNT_SIX;
      pointers[i] = &entries[i];
    }
  payload.n_otp_parameters = n;
  payload.otp_parameters = pointers;
  payload.version = 1;
  payload.batch_size = 1;
  len = entsec_migration__migration_payload__get_packed_size (&payload);
  data = g_malloc (len);
  entsec_migration__migration_payload__pack (&payload, data);
  base64 = g_base64_encode (data, len);
  escaped = g_uri_escape_string (base64, NULL, FALSE);
  return g_strconcat ("otpauth-migration://offline?data=", escaped, NULL);
}

static void
record_chosen (EntsecGoogleImportDialog *dialog,
               GPtrArray                *chosen,
               GPtrArray               **out)
{
  g_assert_null (*out);
  *out = chosen != NULL ? g_ptr_array_ref (chosen) : g_ptr_array_new ();
}

/* Duplicates (of the vault, or within the export, ignoring case) are
 * flagged, unchecked and stay so; only the checked accounts come out. */
static void
test_google_selection (void)
{
  g_autoptr (GPtrArray) accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  g_autoptr (GPtrArray) existing = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (EntsecAccount) stored = account_new ("Example", "bob");
  g_autoptr (GPtrArray) chosen = NULL;
  EntsecGoogleImportDialog *dialog;

  g_ptr_array_add (accounts, account_new ("ACME", "alice@example.com"));
  g_ptr_array_add (accounts, account_new ("EXAMPLE", "Bob"));
  g_ptr_array_add (accounts, account_new ("acme", "ALICE@example.com"));
  g_ptr_array_add (accounts, account_new (NULL, "carol"));
  g_ptr_array_add (existing, entsec_account_summary_new_from_account (stored));
  dialog = entsec_google_import_dialog_new (NULL, accounts, existing);
  g_object_ref_sink (dialog);
  g_signal_connect (dialog, "done", G_CALLBACK (record_chosen), &chosen);

  g_assert_cmpuint (entsec_google_import_dialog_get_n_accounts (dialog), ==, 4);
  g_assert_false (entsec_google_import_dialog_is_duplicate (dialog, 0));
  g_assert_true (entsec_google_import_dialog_is_duplicate (dialog, 1));
  g_assert_true (entsec_google_import_dialog_is_duplicate (dialog, 2));
  g_assert_false (entsec_google_import_dialog_is_duplicate (dialog, 3));
  g_assert_true (entsec_google_import_dialog_get_chosen (dialog, 0));
  g_assert_false (entsec_google_import_dialog_get_chosen (dialog, 1));
  g_assert_false (entsec_google_import_dialog_get_chosen (dialog, 2));
  g_assert_true (entsec_google_import_dialog_get_chosen (dialog, 3));

  /* A duplicate cannot be checked; nothing checked, nothing to add. */
  entsec_google_import_dialog_set_chosen (dialog, 1, TRUE);
  g_assert_false (entsec_google_import_dialog_get_chosen (dialog, 1));
  entsec_google_import_dialog_set_chosen (dialog, 0, FALSE);
  entsec_google_import_dialog_set_chosen (dialog, 3, FALSE);
  entsec_google_import_dialog_accept (dialog);
  g_assert_null (chosen);

  entsec_google_import_dialog_set_chosen (dialog, 3, TRUE);
  entsec_google_import_dialog_accept (dialog);
  g_assert_nonnull (chosen);
  g_assert_cmpuint (chosen->len, ==, 1);
  g_assert_cmpstr (((EntsecAccount *) g_ptr_array_index (chosen, 0))->label, ==, "carol");
  g_object_unref (dialog);
}

/* Closing the list without adding says so: "done" with nothing. */
static void
test_google_selection_closed (void)
{
  g_autoptr (GPtrArray) accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  g_autoptr (GPtrArray) chosen = NULL;
  EntsecGoogleImportDialog *dialog;

  g_ptr_array_add (accounts, account_new ("ACME", "alice"));
  dialog = entsec_google_import_dialog_new (NULL, accounts, NULL);
  g_object_ref_sink (dialog);
  g_signal_connect (dialog, "done", G_CALLBACK (record_chosen), &chosen);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_window_close (GTK_WINDOW (dialog));
  g_assert_nonnull (chosen);
  g_assert_cmpuint (chosen->len, ==, 0);
  g_object_unref (dialog);
}

/* The check boxes under @widget. */
static void
collect_checks (GtkWidget *widget,
                GPtrArray *checks)
{
  if (GTK_IS_CHECK_BUTTON (widget))
    g_ptr_array_add (checks, widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_checks (child, checks);
}

static void
frame_painted (GdkFrameClock *clock,
               gboolean      *painted)
{
  *painted = TRUE;
}

/* An export of 1,000 accounts: only the rows on screen are made (the list
 * opened in seconds when it built a row per account), and a row's check box
 * and the account's choice follow each other. */
static void
test_google_large_export (void)
{
  g_autoptr (GPtrArray) accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  g_autoptr (GPtrArray) checks = g_ptr_array_new ();
  g_autoptr (GPtrArray) chosen = NULL;
  EntsecGoogleImportDialog *dialog;
  GtkCheckButton *first = NULL;
  gboolean painted = FALSE;
  gulong handler;

  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *label = g_strdup_printf ("user%04u@example.org", i);

      g_ptr_array_add (accounts, account_new ("Example", label));
    }
  dialog = entsec_google_import_dialog_new (NULL, accounts, NULL);
  g_object_ref_sink (dialog);
  g_signal_connect (dialog, "done", G_CALLBACK (record_chosen), &chosen);
  gtk_window_present (GTK_WINDOW (dialog));
  while (!gtk_widget_get_realized (GTK_WIDGET (dialog)))
    g_main_context_iteration (NULL, TRUE);
  handler = g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (dialog)), "after-paint",
                              G_CALLBACK (frame_painted), &painted);
  while (!painted)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (gtk_widget_get_frame_clock (GTK_WIDGET (dialog)), handler);

  g_assert_cmpuint (entsec_google_import_dialog_get_n_accounts (dialog), ==, 1000);
  collect_checks (GTK_WIDGET (dialog), checks);
  g_assert_cmpuint (checks->len, >, 0);
  g_assert_cmpuint (checks->len, <, 100);
  for (guint i = 0; i < checks->len; i++)
    {
      GtkCheckButton *check = g_ptr_array_index (checks, i);
      const char *name = NULL;

      g_assert_true (gtk_check_button_get_active (check));
      /* The first account's row, by the label under its issuer. */
      if (gtk_widget_get_mapped (GTK_WIDGET (check)))
        {
          GtkWidget *texts = gtk_widget_get_next_sibling (GTK_WIDGET (check));

          name = gtk_label_get_text (GTK_LABEL (gtk_widget_get_next_sibling (gtk_widget_get_first_child (texts))));
        }
      if (g_strcmp0 (name, "user0000@example.org") == 0)
        first = check;
    }
  g_assert_nonnull (first);

  gtk_check_button_set_active (first, FALSE);
  g_assert_false (entsec_google_import_dialog_get_chosen (dialog, 0));
  entsec_google_import_dialog_set_chosen (dialog, 0, TRUE);
  g_assert_true (gtk_check_button_get_active (first));
  entsec_google_import_dialog_set_chosen (dialog, 1, FALSE);
  entsec_google_import_dialog_accept (dialog);
  g_assert_nonnull (chosen);
  g_assert_cmpuint (chosen->len, ==, 999);
  g_object_unref (dialog);
}

typedef struct
{
  EntsecGoogleImportDialog *chooser;
  guint                     added;
  guint                     n_choosers;
} Seen;

static void
window_added (GListModel *toplevels,
              guint       position,
              guint       removed,
              guint       added,
              Seen       *seen)
{
  for (guint i = position; i < position + added; i++)
    {
      g_autoptr (GObject) window = g_list_model_get_item (toplevels, i);

      if (ENTSEC_IS_GOOGLE_IMPORT_DIALOG (window))
        {
          seen->chooser = ENTSEC_GOOGLE_IMPORT_DIALOG (window);
          seen->n_choosers++;
        }
    }
}

static void
accounts_added (EntsecAddDialog *dialog,
                guint            count,
                Seen            *seen)
{
  seen->added += count;
}

static EntsecVault *
vault_new (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "vault.db", NULL);
  g_autoptr (GError) error = NULL;
  EntsecVault *vault = entsec_vault_create_sync (path, FALSE, "correct horse", 13, &vt_fast_kdf, NULL,
                                                 &error);

  g_assert_no_error (error);
  return vault;
}

static gboolean
has_account (EntsecVault *vault,
             const char  *label)
{
  g_autoptr (GPtrArray) list = entsec_vault_list_accounts (vault);

  for (guint i = 0; i < list->len; i++)
    if (g_strcmp0 (entsec_account_summary_get_label (g_ptr_array_index (list, i)), label) == 0)
      return TRUE;
  return FALSE;
}

/* A picture of an export, pasted as a texture, goes through the picture
 * reader to the list of its accounts; only the checked ones are added, the
 * duplicate is left alone. */
static void
test_export_picture (void)
{
  const char *issuers[] = { "ACME", "Example", "Forge" };
  const char *labels[] = { "alice", "bob", "carol" };
  g_autofree char *dir = g_dir_make_tmp ("entsec-add-XXXXXX", NULL);
  g_autoptr (EntsecVault) vault = vault_new (dir);
  g_autoptr (GPtrArray) first = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  g_autofree char *uri = export_uri (issuers, labels, G_N_ELEMENTS (labels));
  g_autoptr (GdkTexture) texture = entsec_qr_texture_new (uri, 4, NULL);
  GListModel *toplevels = gtk_window_get_toplevels ();
  g_autoptr (GError) error = NULL;
  Seen seen = { NULL, 0, 0 };
  EntsecAddDialog *dialog;
  gulong handler;

  g_ptr_array_add (first, account_new ("example", "BOB"));
  g_assert_true (entsec_vault_add_accounts_sync (vault, first, ENTSEC_VAULT_ADD_NONE, NULL, NULL,
                                                 NULL, &error));
  g_assert_no_error (error);
  dialog = entsec_add_dialog_new (NULL, vault);
  g_signal_connect (dialog, "accounts-added", G_CALLBACK (accounts_added), &seen);
  handler = g_signal_connect (toplevels, "items-changed", G_CALLBACK (window_added), &seen);
  entsec_add_dialog_add_texture (dialog, texture, "Pasted picture");
  while (seen.chooser == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (toplevels, handler);

  g_assert_cmpuint (entsec_google_import_dialog_get_n_accounts (seen.chooser), ==, 3);
  g_assert_true (entsec_google_import_dialog_is_duplicate (seen.chooser, 1));
  g_assert_cmpuint (seen.added, ==, 0);
  entsec_google_import_dialog_set_chosen (seen.chooser, 2, FALSE);
  entsec_google_import_dialog_accept (seen.chooser);
  while (seen.added == 0)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpuint (seen.added, ==, 1);
  g_assert_true (has_account (vault, "alice"));
  g_assert_true (has_account (vault, "BOB"));
  g_assert_false (has_account (vault, "bob"));
  g_assert_false (has_account (vault, "carol"));
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_clear_object (&vault);
  vt_remove_tree (dir);
}

/* The titles of the result rows (and every other action row) under @widget. */
static void
collect_rows (GtkWidget *widget,
              GPtrArray *titles)
{
  if (ADW_IS_ACTION_ROW (widget))
    g_ptr_array_add (titles, (gpointer) adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_rows (child, titles);
}

static guint
count_rows (EntsecAddDialog *dialog,
            const char      *title)
{
  g_autoptr (GPtrArray) titles = g_ptr_array_new ();
  guint count = 0;

  collect_rows (GTK_WIDGET (dialog), titles);
  for (guint i = 0; i < titles->len; i++)
    count += g_strcmp0 (g_ptr_array_index (titles, i), title) == 0 ? 1 : 0;
  return count;
}

static gboolean
has_row (EntsecAddDialog *dialog,
         const char      *title)
{
  return count_rows (dialog, title) > 0;
}

static void
wait_added (Seen *seen,
            guint count)
{
  while (seen->added < count)
    g_main_context_iteration (NULL, TRUE);
}

/* Ctrl+V and the Paste button: a copied picture, then a copied link, each
 * into its flow; text that is no link is refused with a row saying so. */
static void
test_paste (void)
{
  g_autofree char *dir = g_dir_make_tmp ("entsec-add-XXXXXX", NULL);
  g_autoptr (EntsecVault) vault = vault_new (dir);
  g_autoptr (GdkTexture) texture = entsec_qr_texture_new ("otpauth://totp/ACME:dave?secret=JBSWY3DPEHPK3PXP&issuer=ACME", 4, NULL);
  GdkClipboard *clipboard = gdk_display_get_clipboard (gdk_display_get_default ());
  g_auto (GValue) value = G_VALUE_INIT;
  Seen seen = { NULL, 0, 0 };
  EntsecAddDialog *dialog = entsec_add_dialog_new (NULL, vault);

  g_object_ref (dialog);
  g_signal_connect (dialog, "accounts-added", G_CALLBACK (accounts_added), &seen);
  gdk_clipboard_set_texture (clipboard, texture);
  entsec_add_dialog_paste (dialog, clipboard);
  wait_added (&seen, 1);
  g_assert_true (has_account (vault, "dave"));
  g_assert_true (has_row (dialog, "Pasted picture"));

  g_value_init (&value, G_TYPE_STRING);
  g_value_set_string (&value, "Meeting at noon");
  g_assert_false (entsec_add_dialog_add_value (dialog, &value));
  g_assert_true (has_row (dialog, "Pasted text"));

  gdk_clipboard_set_text (clipboard, "  otpauth://totp/Forge:erin?secret=JBSWY3DPEHPK3PXP&issuer=Forge");
  entsec_add_dialog_paste (dialog, clipboard);
  wait_added (&seen, 2);
  g_assert_true (has_account (vault, "erin"));
  gdk_clipboard_set_content (clipboard, NULL);
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_object_unref (dialog);
  g_clear_object (&vault);
  vt_remove_tree (dir);
}

/* Files dropped: read one after the other, a result row each; a file that
 * is no picture is refused, the picture after it still read. */
static void
test_drop_files (void)
{
  g_autofree char *dir = g_dir_make_tmp ("entsec-add-XXXXXX", NULL);
  g_autoptr (EntsecVault) vault = vault_new (dir);
  g_autoptr (GdkTexture) texture = entsec_qr_texture_new ("otpauth://totp/ACME:frank?secret=JBSWY3DPEHPK3PXP&issuer=ACME", 4, NULL);
  g_autofree char *picture = g_build_filename (dir, "frank.png", NULL);
  g_autofree char *notes = g_build_filename (dir, "notes.txt", NULL);
  g_autoptr (GFile) picture_file = g_file_new_for_path (picture);
  g_autoptr (GFile) notes_file = g_file_new_for_path (notes);
  g_auto (GValue) value = G_VALUE_INIT;
  GSList *files = NULL;
  Seen seen = { NULL, 0, 0 };
  EntsecAddDialog *dialog = entsec_add_dialog_new (NULL, vault);

  g_signal_connect (dialog, "accounts-added", G_CALLBACK (accounts_added), &seen);
  g_assert_true (gdk_texture_save_to_png (texture, picture));
  g_assert_true (g_file_set_contents (notes, "not a picture", -1, NULL));
  files = g_slist_append (files, notes_file);
  files = g_slist_append (files, picture_file);
  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_set_boxed (&value, files);
  g_slist_free (files);
  g_assert_true (entsec_add_dialog_add_value (dialog, &value));
  wait_added (&seen, 1);

  g_assert_true (has_account (vault, "frank"));
  g_assert_true (has_row (dialog, "notes.txt"));
  g_assert_true (has_row (dialog, "frank.png"));
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_clear_object (&vault);
  vt_remove_tree (dir);
}

/* A quiet dialog (pictures opened from another program): a picture that
 * adds its account never shows it, and it goes once done; a file it cannot
 * read shows it, with the row saying why. */
static void
test_quiet (void)
{
  g_autofree char *dir = g_dir_make_tmp ("entsec-add-XXXXXX", NULL);
  g_autoptr (EntsecVault) vault = vault_new (dir);
  g_autoptr (GdkTexture) texture = entsec_qr_texture_new ("otpauth://totp/ACME:grace?secret=JBSWY3DPEHPK3PXP&issuer=ACME", 4, NULL);
  g_autofree char *picture = g_build_filename (dir, "grace.png", NULL);
  g_autofree char *notes = g_build_filename (dir, "notes.txt", NULL);
  g_autoptr (GFile) picture_file = g_file_new_for_path (picture);
  g_autoptr (GFile) notes_file = g_file_new_for_path (notes);
  Seen seen = { NULL, 0, 0 };
  EntsecAddDialog *dialog = entsec_add_dialog_new (NULL, vault);

  g_assert_true (gdk_texture_save_to_png (texture, picture));
  g_assert_true (g_file_set_contents (notes, "not a picture", -1, NULL));
  g_signal_connect (dialog, "accounts-added", G_CALLBACK (accounts_added), &seen);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  entsec_add_dialog_set_quiet (dialog, TRUE);
  entsec_add_dialog_add_files (dialog, &picture_file, 1);
  while (dialog != NULL)
    {
      g_assert_false (gtk_widget_get_visible (GTK_WIDGET (dialog)));
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpuint (seen.added, ==, 1);
  g_assert_true (has_account (vault, "grace"));

  dialog = entsec_add_dialog_new (NULL, vault);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  entsec_add_dialog_set_quiet (dialog, TRUE);
  entsec_add_dialog_add_files (dialog, &notes_file, 1);
  while (!gtk_widget_get_visible (GTK_WIDGET (dialog)))
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (has_row (dialog, "notes.txt"));
  /* Shown, it stays once its work is over. */
  for (guint i = 0; i < 10 && g_main_context_pending (NULL); i++)
    g_main_context_iteration (NULL, FALSE);
  g_assert_nonnull (dialog);
  g_object_remove_weak_pointer (G_OBJECT (dialog), (gpointer *) &dialog);
  gtk_window_destroy (GTK_WINDOW (dialog));
  g_clear_object (&vault);
  vt_remove_tree (dir);
}

/* The labels of the accounts checked in @chooser, joined by spaces. */
static char *
chosen_labels (EntsecGoogleImportDialog *chooser)
{
  g_autoptr (GPtrArray) chosen = entsec_google_import_dialog_dup_chosen (chooser);
  GString *labels = g_string_new (NULL);

  for (guint i = 0; i < chosen->len; i++)
    g_string_append_printf (labels, "%s%s", i > 0 ? " " : "",
                            ((EntsecAccount *) g_ptr_array_index (chosen, i))->label);
  return g_string_free (labels, FALSE);
}

/* A dialog on a fresh vault, and the windows it opens, counted. */
typedef struct
{
  char            *dir;
  EntsecVault     *vault;
  EntsecAddDialog *dialog;
  Seen             seen;
  gulong           handler;
} Watched;

static void
watched_init (Watched *w)
{
  w->dir = g_dir_make_tmp ("entsec-add-XXXXXX", NULL);
  w->vault = vault_new (w->dir);
  w->dialog = g_object_ref (entsec_add_dialog_new (NULL, w->vault));
  g_signal_connect (w->dialog, "accounts-added", G_CALLBACK (accounts_added), &w->seen);
  w->handler = g_signal_connect (gtk_window_get_toplevels (), "items-changed",
                                 G_CALLBACK (window_added), &w->seen);
}

/* Run until a list to choose from is open and @added accounts are in,
 * then until nothing is pending (a second list would be on its way). */
static void
watched_settle (Watched *w,
                guint    added)
{
  while (w->seen.chooser == NULL || w->seen.added < added)
    g_main_context_iteration (NULL, TRUE);
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  g_clear_signal_handler (&w->handler, gtk_window_get_toplevels ());
  g_assert_cmpuint (w->seen.n_choosers, ==, 1);
}

static void
watched_clear (Watched *w)
{
  gtk_window_destroy (GTK_WINDOW (w->dialog));
  g_clear_object (&w->dialog);
  g_clear_object (&w->vault);
  vt_remove_tree (w->dir);
  g_clear_pointer (&w->dir, g_free);
}

/* The links of one Open: the accounts of its three exports in one list
 * (an account of two exports flagged there once), its plain link added at
 * once, its broken link reported, and nothing else opened. */
static void
test_export_links (void)
{
  const char *issuers_a[] = { "ACME", "Example" };
  const char *labels_a[] = { "alice", "bob" };
  const char *issuers_b[] = { "Forge", "example" };
  const char *labels_b[] = { "carol", "BOB" };
  const char *issuers_c[] = { "Gitea" };
  const char *labels_c[] = { "dave" };
  g_autofree char *a = export_uri (issuers_a, labels_a, 2);
  g_autofree char *b = export_uri (issuers_b, labels_b, 2);
  g_autofree char *c = export_uri (issuers_c, labels_c, 1);
  const char *links[] = { a, "otpauth://totp/Hub:erin?secret=JBSWY3DPEHPK3PXP&issuer=Hub", b,
                          "otpauth-migration://offline?data=%%%", c };
  g_autofree char *labels = NULL;
  Watched w = { 0 };

  watched_init (&w);
  entsec_add_dialog_add_links (w.dialog, links, G_N_ELEMENTS (links));
  watched_settle (&w, 1);

  g_assert_true (has_account (w.vault, "erin"));
  /* The plain link's result, and the broken one's. */
  g_assert_cmpuint (count_rows (w.dialog, "Link"), ==, 2);
  g_assert_cmpuint (entsec_google_import_dialog_get_n_accounts (w.seen.chooser), ==, 5);
  labels = chosen_labels (w.seen.chooser);
  g_assert_cmpstr (labels, ==, "alice bob carol dave");
  g_assert_false (entsec_google_import_dialog_is_duplicate (w.seen.chooser, 2));
  g_assert_true (entsec_google_import_dialog_is_duplicate (w.seen.chooser, 3));
  g_assert_false (entsec_google_import_dialog_get_chosen (w.seen.chooser, 3));
  entsec_google_import_dialog_set_chosen (w.seen.chooser, 0, FALSE);
  entsec_google_import_dialog_accept (w.seen.chooser);
  wait_added (&w.seen, 4);

  g_assert_false (has_account (w.vault, "alice"));
  g_assert_true (has_account (w.vault, "bob"));
  g_assert_false (has_account (w.vault, "BOB"));
  g_assert_true (has_account (w.vault, "carol"));
  g_assert_true (has_account (w.vault, "dave"));
  g_assert_true (has_row (w.dialog, "3 links"));
  watched_clear (&w);
}

/* Pictures of a two-part export added at once, a plain one between them:
 * one list of both parts, shown after the last picture is read. */
static void
test_export_pictures (void)
{
  const char *issuers_a[] = { "ACME", "Example" };
  const char *labels_a[] = { "alice", "bob" };
  const char *issuers_b[] = { "Forge" };
  const char *labels_b[] = { "carol" };
  g_autofree char *a = export_uri (issuers_a, labels_a, 2);
  g_autofree char *b = export_uri (issuers_b, labels_b, 1);
  g_autoptr (GdkTexture) first = entsec_qr_texture_new (a, 4, NULL);
  g_autoptr (GdkTexture) second = entsec_qr_texture_new (b, 4, NULL);
  g_autoptr (GdkTexture) plain = entsec_qr_texture_new ("otpauth://totp/Hub:erin?secret=JBSWY3DPEHPK3PXP&issuer=Hub", 4, NULL);
  g_autofree char *labels = NULL;
  Watched w = { 0 };

  watched_init (&w);
  entsec_add_dialog_add_texture (w.dialog, first, "export-1.png");
  entsec_add_dialog_add_texture (w.dialog, plain, "erin.png");
  entsec_add_dialog_add_texture (w.dialog, second, "export-2.png");
  watched_settle (&w, 0);

  g_assert_cmpuint (w.seen.added, ==, 1);
  g_assert_true (has_account (w.vault, "erin"));
  g_assert_cmpuint (entsec_google_import_dialog_get_n_accounts (w.seen.chooser), ==, 3);
  labels = chosen_labels (w.seen.chooser);
  g_assert_cmpstr (labels, ==, "alice bob carol");
  entsec_google_import_dialog_accept (w.seen.chooser);
  wait_added (&w.seen, 4);
  g_assert_true (has_account (w.vault, "alice"));
  g_assert_true (has_account (w.vault, "carol"));
  g_assert_true (has_row (w.dialog, "2 pictures"));
  watched_clear (&w);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/app/add/google-selection", test_google_selection);
  g_test_add_func ("/app/add/google-selection-closed", test_google_selection_closed);
  g_test_add_func ("/app/add/google-large-export", test_google_large_export);
  g_test_add_func ("/app/add/export-picture", test_export_picture);
  g_test_add_func ("/app/add/export-links", test_export_links);
  g_test_add_func ("/app/add/export-pictures", test_export_pictures);
  g_test_add_func ("/app/add/paste", test_paste);
  g_test_add_func ("/app/add/drop-files", test_drop_files);
  g_test_add_func ("/app/add/quiet", test_quiet);
  return g_test_run ();
}
