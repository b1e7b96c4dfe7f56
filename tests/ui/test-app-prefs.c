/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-app-prefs.c: the Security preferences, the passphrase dialog and the
 * first run's passphrase checks,
 * on a real display and a real vault file (xvfb-session.sh). */

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <entsec/entsec.h>

#include "entsec-application.h"
#include "entsec-crypto-loader.h"
#include "entsec-passphrase-dialog.h"
#include "entsec-preferences-window.h"
#include "entsec-setup-page.h"

/* Cheap Argon2id costs: the test is about the dialog, not the KDF. */
static const EntsecKdfParams cheap_kdf = { 8 * 1024, 1, 1 };

#define OLD_PASSPHRASE "orchid-lantern-quarry-41"
#define NEW_PASSPHRASE "velvet-harbour-juniper-73"

typedef struct
{
  char        *dir;
  char        *path;
  EntsecVault *vault;
} Fixture;

static void
fixture_set_up (Fixture      *f,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gboolean with_passphrase = GPOINTER_TO_INT (data);

  f->dir = g_dir_make_tmp ("entsec-app-prefs-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "vault.db", NULL);
  f->vault = entsec_vault_create_sync (f->path, !with_passphrase,
                                       with_passphrase ? OLD_PASSPHRASE : NULL,
                                       with_passphrase ? strlen (OLD_PASSPHRASE) : 0,
                                       &cheap_kdf, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (entsec_vault_is_unlocked (f->vault));
}

static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr (GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char *name;

  g_clear_object (&f->vault);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (f->dir, name, NULL);

      g_unlink (file);
    }
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

/* Whether @passphrase opens a fresh, locked copy of the vault file. */
static gboolean
passphrase_opens (Fixture    *f,
                  const char *passphrase)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecVault) copy = entsec_vault_open_sync (f->path, NULL, &error);
  gboolean ok;

  g_assert_no_error (error);
  ok = entsec_vault_unlock_passphrase_sync (copy, passphrase, strlen (passphrase), NULL, &error);
  if (!ok)
    g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  return ok;
}

static gpointer
child (gpointer    widget,
       GType       type,
       const char *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (widget), type, name);

  g_assert_nonnull (object);
  return object;
}

#define DIALOG_CHILD(dialog, name) child (dialog, ENTSEC_TYPE_PASSPHRASE_DIALOG, name)

static void
wait_while_visible (GtkWidget *widget)
{
  while (gtk_widget_get_visible (widget))
    g_main_context_iteration (NULL, TRUE);
}

/* Empty, short, weak and differing passphrases are refused; a strong one
 * typed twice is not, and rates above zero. */
static void
test_passphrase_problem (void)
{
  const char *weak[] = { "aaaaaaaaaaaa", "password1", "12345678" };
  g_autofree char *empty = entsec_passphrase_problem ("", "", NULL, NULL);
  g_autofree char *missing = entsec_passphrase_problem (NULL, NULL, NULL, NULL);
  g_autofree char *short_one = entsec_passphrase_problem ("ab1-x", "ab1-x", NULL, NULL);
  g_autofree char *differ = entsec_passphrase_problem (NEW_PASSPHRASE, OLD_PASSPHRASE, NULL, NULL);
  g_autofree char *good = NULL;
  guint score = 0;

  g_assert_nonnull (empty);
  g_assert_nonnull (missing);
  g_assert_nonnull (short_one);
  g_assert_nonnull (strstr (short_one, "8"));
  g_assert_nonnull (differ);
  g_assert_nonnull (strstr (differ, "differ"));
  for (gsize i = 0; i < G_N_ELEMENTS (weak); i++)
    {
      g_autofree char *problem = entsec_passphrase_problem (weak[i], weak[i], &score, NULL);

      g_assert_nonnull (problem);
      g_assert_cmpuint (score, ==, 0);
    }
  good = entsec_passphrase_problem (NEW_PASSPHRASE, NEW_PASSPHRASE, &score, NULL);
  g_assert_null (good);
  g_assert_cmpuint (score, >, 0);
}

static void
count_done (guint      *done,
            const char *message)
{
  g_assert_nonnull (message);
  (*done)++;
}

/* The button follows the rows; a wrong current passphrase changes nothing
 * and says so; the right one changes it (the old one stops working). */
static void
test_change_passphrase (Fixture      *f,
                        gconstpointer data)
{
  g_autoptr (EntsecPassphraseDialog) dialog = NULL;
  GtkEditable *current, *new_row, *confirm;
  GtkWidget *apply, *spinner;
  GtkLabel *hint;
  guint done = 0;

  dialog = g_object_ref_sink (entsec_passphrase_dialog_new (NULL, f->vault));
  entsec_passphrase_dialog_set_kdf (dialog, &cheap_kdf);
  g_signal_connect_swapped (dialog, "done", G_CALLBACK (count_done), &done);
  gtk_window_present (GTK_WINDOW (dialog));
  current = DIALOG_CHILD (dialog, "current_row");
  new_row = DIALOG_CHILD (dialog, "new_row");
  confirm = DIALOG_CHILD (dialog, "confirm_row");
  apply = DIALOG_CHILD (dialog, "apply_button");
  spinner = DIALOG_CHILD (dialog, "spinner");
  hint = DIALOG_CHILD (dialog, "hint_label");

  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (current)));
  g_assert_false (gtk_widget_get_sensitive (apply));
  gtk_editable_set_text (new_row, NEW_PASSPHRASE);
  gtk_editable_set_text (confirm, NEW_PASSPHRASE "x");
  g_assert_false (gtk_widget_get_sensitive (apply));
  g_assert_nonnull (strstr (gtk_label_get_label (hint), "differ"));
  gtk_editable_set_text (confirm, NEW_PASSPHRASE);
  /* No current passphrase yet. */
  g_assert_false (gtk_widget_get_sensitive (apply));
  gtk_editable_set_text (current, "not-the-passphrase-at-all");
  g_assert_true (gtk_widget_get_sensitive (apply));
  g_assert_cmpstr (gtk_label_get_label (hint), ==, "");

  g_signal_emit_by_name (apply, "clicked");
  g_assert_true (gtk_widget_get_visible (spinner));
  wait_while_visible (spinner);
  g_assert_cmpuint (done, ==, 0);
  g_assert_nonnull (strstr (gtk_label_get_label (hint), "wrong"));
  g_assert_true (passphrase_opens (f, OLD_PASSPHRASE));
  g_assert_false (passphrase_opens (f, NEW_PASSPHRASE));

  gtk_editable_set_text (current, OLD_PASSPHRASE);
  g_signal_emit_by_name (apply, "clicked");
  while (done == 0 && gtk_widget_get_visible (GTK_WIDGET (dialog)))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (done, ==, 1);
  g_assert_true (entsec_vault_is_unlocked (f->vault));
  g_assert_true (passphrase_opens (f, NEW_PASSPHRASE));
  g_assert_false (passphrase_opens (f, OLD_PASSPHRASE));
}

/* A keyring-only vault: no current passphrase to ask; adding one makes it
 * the passphrase model. */
static void
test_add_passphrase (Fixture      *f,
                     gconstpointer data)
{
  g_autoptr (EntsecPassphraseDialog) dialog = NULL;
  GtkEditable *new_row, *confirm;
  GtkWidget *apply;
  guint done = 0;

  dialog = g_object_ref_sink (entsec_passphrase_dialog_new (NULL, f->vault));
  entsec_passphrase_dialog_set_kdf (dialog, &cheap_kdf);
  g_signal_connect_swapped (dialog, "done", G_CALLBACK (count_done), &done);
  gtk_window_present (GTK_WINDOW (dialog));
  new_row = DIALOG_CHILD (dialog, "new_row");
  confirm = DIALOG_CHILD (dialog, "confirm_row");
  apply = DIALOG_CHILD (dialog, "apply_button");

  g_assert_false (gtk_widget_get_visible (DIALOG_CHILD (dialog, "current_row")));
  gtk_editable_set_text (new_row, "password1");
  gtk_editable_set_text (confirm, "password1");
  g_assert_false (gtk_widget_get_sensitive (apply));
  gtk_editable_set_text (new_row, NEW_PASSPHRASE);
  gtk_editable_set_text (confirm, NEW_PASSPHRASE);
  g_assert_true (gtk_widget_get_sensitive (apply));
  g_signal_emit_by_name (apply, "clicked");
  while (done == 0 && gtk_widget_get_visible (GTK_WIDGET (dialog)))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (done, ==, 1);
  g_assert_true (passphrase_opens (f, NEW_PASSPHRASE));
}

/* The group says which lock model applies and follows the lock. */
static void
test_security_group (Fixture      *f,
                     gconstpointer data)
{
  gboolean with_passphrase = GPOINTER_TO_INT (data);
  g_autoptr (GSettings) settings = g_settings_new (ENTSEC_APP_ID);
  EntsecPreferencesWindow *window = entsec_preferences_window_new (NULL, settings);
  AdwPreferencesGroup *group = child (window, ENTSEC_TYPE_PREFERENCES_WINDOW, "security_group");
  GtkWidget *always_ask = child (window, ENTSEC_TYPE_PREFERENCES_WINDOW, "always_ask_row");
  GtkWidget *passphrase = child (window, ENTSEC_TYPE_PREFERENCES_WINDOW, "passphrase_row");
  GtkWidget *remove = child (window, ENTSEC_TYPE_PREFERENCES_WINDOW, "remove_passphrase_row");
  GtkSwitch *always_switch = child (window, ENTSEC_TYPE_PREFERENCES_WINDOW, "always_ask_switch");

  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (group)));
  entsec_preferences_window_set_vault (window, f->vault);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (group)));
  g_assert_cmpstr (adw_preferences_group_get_description (group), ==,
                   entsec_preferences_lock_model (!with_passphrase, with_passphrase, FALSE));
  g_assert_cmpint (gtk_widget_get_sensitive (always_ask), ==, with_passphrase);
  g_assert_cmpint (gtk_widget_get_visible (remove), ==, with_passphrase);
  g_assert_true (gtk_widget_get_sensitive (passphrase));

  gtk_switch_set_active (always_switch, TRUE);
  g_assert_true (g_settings_get_boolean (settings, "always-ask-passphrase"));
  gtk_switch_set_active (always_switch, FALSE);
  g_assert_false (g_settings_get_boolean (settings, "always-ask-passphrase"));

  entsec_vault_lock_sync (f->vault);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_false (gtk_widget_get_sensitive (passphrase));
  g_assert_cmpstr (adw_preferences_group_get_description (group), !=,
                   entsec_preferences_lock_model (!with_passphrase, with_passphrase, FALSE));
  gtk_window_destroy (GTK_WINDOW (window));
}

#define SETUP_CHILD(page, name) child (page, ENTSEC_TYPE_SETUP_PAGE, name)

/* The first run's optional passphrase meets the passphrase dialog's checks,
 * with the same words and a strength bar; without one, the keyring must be on. */
static void
test_setup_passphrase (void)
{
  const char *refused[][2] = {
    { "ab1-x", "ab1-x" }, { "password1", "password1" }, { NEW_PASSPHRASE, OLD_PASSPHRASE },
  };
  g_autoptr (EntsecSetupPage) page = g_object_ref_sink (g_object_new (ENTSEC_TYPE_SETUP_PAGE,
                                                                      NULL));
  GtkEditable *passphrase = SETUP_CHILD (page, "passphrase_row");
  GtkEditable *confirm = SETUP_CHILD (page, "confirm_row");
  GtkSwitch *keyring = SETUP_CHILD (page, "keyring_switch");
  GtkWidget *create = SETUP_CHILD (page, "create_button");
  GtkLevelBar *strength = SETUP_CHILD (page, "strength_bar");
  GtkLabel *hint = SETUP_CHILD (page, "hint_label");

  entsec_setup_page_prepare (page, "/nonexistent/entsec-setup-test.db", NULL);
  gtk_switch_set_active (keyring, TRUE);
  g_assert_true (gtk_widget_get_sensitive (create));
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (strength)));
  for (gsize i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *want = entsec_passphrase_problem (refused[i][0], refused[i][1], NULL, NULL);

      gtk_editable_set_text (passphrase, refused[i][0]);
      gtk_editable_set_text (confirm, refused[i][1]);
      g_assert_false (gtk_widget_get_sensitive (create));
      g_assert_nonnull (want);
      g_assert_cmpstr (gtk_label_get_label (hint), ==, want);
    }
  gtk_editable_set_text (passphrase, NEW_PASSPHRASE);
  gtk_editable_set_text (confirm, NEW_PASSPHRASE);
  g_assert_true (gtk_widget_get_sensitive (create));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (strength)));
  g_assert_cmpfloat (gtk_level_bar_get_value (strength), >, 0);
  gtk_editable_set_text (passphrase, "");
  gtk_editable_set_text (confirm, "");
  gtk_switch_set_active (keyring, FALSE);
  g_assert_false (gtk_widget_get_sensitive (create));
}

/*
 * No libpwquality: a passphrase cannot be rated, and the hint says so with
 * what to install, but one of ENTSEC_MIN_PASSPHRASE_CHARS typed twice can
 * still be set; a shorter or differing one is still refused. A fresh process.
 */
static void
test_setup_passphrase_unrated (void)
{
  g_autoptr (EntsecSetupPage) page = NULL;
  g_autofree char *note = NULL;
  g_autofree char *problem = NULL;
  GtkEditable *passphrase;
  GtkEditable *confirm;
  GtkWidget *create;
  GtkLevelBar *strength;
  GtkLabel *hint;
  guint score = 7;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }
  entsec_pwquality_set_soname_for_test ("libpwquality-entsec-test-absent.so.1");
  problem = entsec_passphrase_problem (NEW_PASSPHRASE, NEW_PASSPHRASE, &score, &note);
  g_assert_null (problem);
  g_assert_cmpuint (score, ==, 0);
  g_assert_nonnull (note);
  g_assert_nonnull (strstr (note, "libpwquality1"));
  g_assert_null (strstr (note, NEW_PASSPHRASE));

  page = g_object_ref_sink (g_object_new (ENTSEC_TYPE_SETUP_PAGE, NULL));
  passphrase = SETUP_CHILD (page, "passphrase_row");
  confirm = SETUP_CHILD (page, "confirm_row");
  create = SETUP_CHILD (page, "create_button");
  strength = SETUP_CHILD (page, "strength_bar");
  hint = SETUP_CHILD (page, "hint_label");
  entsec_setup_page_prepare (page, "/nonexistent/entsec-setup-test.db", NULL);
  gtk_editable_set_text (passphrase, NEW_PASSPHRASE);
  gtk_editable_set_text (confirm, NEW_PASSPHRASE);
  g_assert_true (gtk_widget_get_sensitive (create));
  g_assert_cmpstr (gtk_label_get_label (hint), ==, note);
  g_assert_cmpfloat (gtk_level_bar_get_value (strength), ==, 0);
  gtk_editable_set_text (passphrase, "ab1-x");
  gtk_editable_set_text (confirm, "ab1-x");
  g_assert_false (gtk_widget_get_sensitive (create));
  g_assert_nonnull (strstr (gtk_label_get_label (hint), "8"));
  gtk_editable_set_text (passphrase, NEW_PASSPHRASE);
  gtk_editable_set_text (confirm, OLD_PASSPHRASE);
  g_assert_false (gtk_widget_get_sensitive (create));
  g_assert_nonnull (strstr (gtk_label_get_label (hint), "differ"));
}

/* Each model has its own sentence. */
static void
test_lock_model (void)
{
  const char *sentences[] = {
    entsec_preferences_lock_model (TRUE, FALSE, FALSE),
    entsec_preferences_lock_model (TRUE, TRUE, FALSE),
    entsec_preferences_lock_model (FALSE, TRUE, FALSE),
    entsec_preferences_lock_model (FALSE, FALSE, FALSE),
    entsec_preferences_lock_model (TRUE, TRUE, TRUE),
    entsec_preferences_lock_model (FALSE, TRUE, TRUE),
  };

  for (gsize i = 0; i < G_N_ELEMENTS (sentences); i++)
    for (gsize j = i + 1; j < G_N_ELEMENTS (sentences); j++)
      g_assert_cmpstr (sentences[i], !=, sentences[j]);
  g_assert_nonnull (strstr (sentences[0], "one click"));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  entsec_app_ensure_resources ();

  g_test_add_func ("/app/prefs/passphrase-problem", test_passphrase_problem);
  g_test_add_func ("/app/prefs/lock-model", test_lock_model);
  g_test_add_func ("/app/prefs/setup-passphrase", test_setup_passphrase);
  g_test_add_func ("/app/prefs/setup-passphrase-unrated", test_setup_passphrase_unrated);
  g_test_add ("/app/prefs/change-passphrase", Fixture, GINT_TO_POINTER (TRUE), fixture_set_up,
              test_change_passphrase, fixture_tear_down);
  g_test_add ("/app/prefs/add-passphrase", Fixture, GINT_TO_POINTER (FALSE), fixture_set_up,
              test_add_passphrase, fixture_tear_down);
  g_test_add ("/app/prefs/security-group/passphrase", Fixture, GINT_TO_POINTER (TRUE),
              fixture_set_up, test_security_group, fixture_tear_down);
  g_test_add ("/app/prefs/security-group/keyring", Fixture, GINT_TO_POINTER (FALSE),
              fixture_set_up, test_security_group, fixture_tear_down);
  return g_test_run ();
}
