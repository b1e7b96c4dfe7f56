/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-app-pin.c: the quick-unlock PIN in the app: set in its dialog (the
 * passphrase first, the PIN twice), the Security row, and the unlock page
 * asking for the PIN (attempts left, "Use Passphrase Instead", the
 * passphrase after a lock-out), on a real display, a real vault file and a
 * real gnome-keyring (xvfb-session.sh). */

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <entsec/entsec.h>

#include "entsec-application.h"
#include "entsec-pin-dialog.h"
#include "entsec-preferences-window.h"
#include "entsec-unlock-page.h"

/* Cheap Argon2id costs: the test is about the widgets, not the KDF. */
static const EntsecKdfParams cheap_kdf = { 8 * 1024, 1, 1 };

#define PASSPHRASE "orchid-lantern-quarry-41"
#define PIN "802514"
#define WRONG_PIN "111111"

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

  f->dir = g_dir_make_tmp ("entsec-app-pin-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "vault.db", NULL);
  f->vault = entsec_vault_create_sync (f->path, FALSE, PASSPHRASE, strlen (PASSPHRASE),
                                       &cheap_kdf, NULL, &error);
  g_assert_no_error (error);
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

static gpointer
child (gpointer    widget,
       GType       type,
       const char *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (widget), type, name);

  g_assert_nonnull (object);
  return object;
}

#define PAGE_CHILD(page, name) child (page, ENTSEC_TYPE_UNLOCK_PAGE, name)
#define DIALOG_CHILD(dialog, name) child (dialog, ENTSEC_TYPE_PIN_DIALOG, name)
#define PREFS_CHILD(prefs, name) child (prefs, ENTSEC_TYPE_PREFERENCES_WINDOW, name)

static gboolean
has_pin_slot (EntsecVault *vault)
{
  gsize n = 0;
  g_autofree EntsecVaultSlotInfo *slots = entsec_vault_list_slots (vault, &n);

  for (gsize i = 0; i < n; i++)
    {
      if (slots[i].type == ENTSEC_VAULT_SLOT_PIN)
        return TRUE;
    }
  return FALSE;
}

static void
set_pin (Fixture *f)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (entsec_vault_add_pin_slot_sync (f->vault, PASSPHRASE, strlen (PASSPHRASE), PIN,
                                                 strlen (PIN), &cheap_kdf, NULL, &error));
  g_assert_no_error (error);
}

static void
wait_while_visible (GtkWidget *widget)
{
  while (gtk_widget_get_visible (widget))
    g_main_context_iteration (NULL, TRUE);
}

static void
wait_until_visible (GtkWidget *widget)
{
  while (!gtk_widget_get_visible (widget))
    g_main_context_iteration (NULL, TRUE);
}

/* ---- The dialog and the Security row --------------------------------------- */

static void
count_done (guint      *done,
            const char *message)
{
  g_assert_nonnull (message);
  (*done)++;
}

static void
test_pin_problem (void)
{
  const char *bad[] = { "", "123", "12a45", "1234567890123" };
  g_autofree char *differ = entsec_pin_problem ("1234", "1235");
  g_autofree char *good = entsec_pin_problem ("1234", "1234");

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *problem = entsec_pin_problem (bad[i], bad[i]);

      g_assert_nonnull (problem);
    }
  g_assert_nonnull (differ);
  g_assert_null (good);
}

static void
test_set_pin_dialog (Fixture      *f,
                     gconstpointer data)
{
  EntsecPinDialog *dialog = entsec_pin_dialog_new (NULL, f->vault);
  GtkEditable *passphrase = DIALOG_CHILD (dialog, "passphrase_row");
  GtkEditable *pin = DIALOG_CHILD (dialog, "pin_row");
  GtkEditable *confirm = DIALOG_CHILD (dialog, "confirm_row");
  GtkWidget *apply = DIALOG_CHILD (dialog, "apply_button");
  GtkLabel *hint = DIALOG_CHILD (dialog, "hint_label");
  GtkWidget *spinner = DIALOG_CHILD (dialog, "spinner");
  guint done = 0;

  entsec_pin_dialog_set_kdf (dialog, &cheap_kdf);
  g_signal_connect_swapped (dialog, "done", G_CALLBACK (count_done), &done);
  g_assert_cmpint (adw_entry_row_get_input_purpose (ADW_ENTRY_ROW (pin)), ==,
                   GTK_INPUT_PURPOSE_PIN);
  gtk_editable_set_text (pin, PIN);
  gtk_editable_set_text (confirm, "802515");
  g_assert_false (gtk_widget_get_sensitive (apply));
  gtk_editable_set_text (confirm, PIN);
  g_assert_false (gtk_widget_get_sensitive (apply)); /* no passphrase yet */
  gtk_editable_set_text (passphrase, "not the passphrase");
  g_assert_true (gtk_widget_get_sensitive (apply));
  /* A wrong passphrase sets nothing and says so. */
  g_signal_emit_by_name (apply, "clicked");
  wait_until_visible (spinner);
  wait_while_visible (spinner);
  g_assert_nonnull (strstr (gtk_label_get_label (hint), "wrong"));
  g_assert_false (has_pin_slot (f->vault));
  g_assert_cmpuint (done, ==, 0);
  gtk_editable_set_text (passphrase, PASSPHRASE);
  g_signal_emit_by_name (apply, "clicked");
  while (done == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (has_pin_slot (f->vault));
}

/* The row is there only beside a passphrase, and offers Change and Remove once set. */
static void
test_security_row (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr (GSettings) settings = g_settings_new (ENTSEC_APP_ID);
  EntsecPreferencesWindow *prefs = entsec_preferences_window_new (NULL, settings);
  GtkWidget *row = PREFS_CHILD (prefs, "pin_row");
  GtkButton *button = PREFS_CHILD (prefs, "pin_button");
  GtkWidget *remove = PREFS_CHILD (prefs, "remove_pin_button");
  AdwPreferencesGroup *group = PREFS_CHILD (prefs, "security_group");

  entsec_preferences_window_set_vault (prefs, f->vault);
  g_assert_true (gtk_widget_get_visible (row));
  g_assert_cmpstr (gtk_button_get_label (button), ==, "_Set…");
  g_assert_false (gtk_widget_get_visible (remove));
  set_pin (f);
  entsec_preferences_window_set_vault (prefs, f->vault);
  g_assert_cmpstr (gtk_button_get_label (button), ==, "_Change…");
  g_assert_true (gtk_widget_get_visible (remove));
  g_assert_cmpstr (adw_preferences_group_get_description (group), ==,
                   entsec_preferences_lock_model (FALSE, TRUE, TRUE));
  /* A PIN killed by wrong guesses says so, once the keyring has answered. */
  entsec_vault_lock_sync (f->vault);
  for (guint i = 0; i < ENTSEC_VAULT_PIN_MAX_ATTEMPTS; i++)
    g_assert_false (entsec_vault_unlock_pin_sync (f->vault, WRONG_PIN, strlen (WRONG_PIN), NULL,
                                                  NULL, NULL));
  entsec_preferences_window_set_vault (prefs, f->vault);
  while (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "Turned off") == NULL)
    g_main_context_iteration (NULL, TRUE);
  gtk_window_destroy (GTK_WINDOW (prefs));
}

/* ---- The unlock page ---------------------------------------------------------- */

static void
count_unlocked (guint *unlocked)
{
  (*unlocked)++;
}

/* A page for the locked vault, in a window so focus works. */
static EntsecUnlockPage *
locked_page (Fixture *f,
             guint   *unlocked)
{
  GtkWidget *window = gtk_window_new ();
  EntsecUnlockPage *page = g_object_new (ENTSEC_TYPE_UNLOCK_PAGE, NULL);

  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (page));
  gtk_window_present (GTK_WINDOW (window));
  entsec_vault_lock_sync (f->vault);
  g_signal_connect_swapped (page, "unlocked", G_CALLBACK (count_unlocked), unlocked);
  entsec_unlock_page_prepare (page, f->vault, NULL, NULL);
  return page;
}

/* Enter @text in the PIN entry and wait for the answer. */
static void
enter_pin (EntsecUnlockPage *page,
           const char       *text)
{
  GtkWidget *spinner = PAGE_CHILD (page, "spinner");

  gtk_editable_set_text (PAGE_CHILD (page, "pin_entry"), text);
  g_signal_emit_by_name (PAGE_CHILD (page, "pin_entry"), "activate");
  g_assert_true (gtk_widget_get_visible (spinner));
  wait_while_visible (spinner);
}

static void
test_unlock_by_pin (Fixture      *f,
                    gconstpointer data)
{
  EntsecUnlockPage *page;
  GtkEntry *entry;
  GtkLabel *error_label;
  guint unlocked = 0;

  set_pin (f);
  page = locked_page (f, &unlocked);
  entry = PAGE_CHILD (page, "pin_entry");
  error_label = PAGE_CHILD (page, "error_label");
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (entry)));
  g_assert_cmpint (gtk_entry_get_input_purpose (entry), ==, GTK_INPUT_PURPOSE_PIN);
  g_assert_false (gtk_widget_get_visible (PAGE_CHILD (page, "secret_box")));
  g_assert_true (gtk_widget_get_visible (PAGE_CHILD (page, "use_passphrase_button")));
  enter_pin (page, WRONG_PIN);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (error_label)));
  g_assert_nonnull (strstr (gtk_label_get_label (error_label), "4 attempts left"));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (entry)), ==, "");
  g_assert_cmpuint (unlocked, ==, 0);
  enter_pin (page, PIN);
  g_assert_cmpuint (unlocked, ==, 1);
  g_assert_true (entsec_vault_is_unlocked (f->vault));
  gtk_window_destroy (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (page))));
}

/* A PIN set, the vault locked, then @n wrong PINs tried (not through a page). */
static void
pin_then_wrong_pins (Fixture *f,
                     guint    n)
{
  set_pin (f);
  entsec_vault_lock_sync (f->vault);
  for (guint i = 0; i < n; i++)
    g_assert_false (entsec_vault_unlock_pin_sync (f->vault, WRONG_PIN, strlen (WRONG_PIN), NULL,
                                                  NULL, NULL));
}

/* Attempts already used show when the page comes up. */
static void
test_attempts_shown_at_start (Fixture      *f,
                              gconstpointer data)
{
  EntsecUnlockPage *page;
  GtkWidget *error_label;
  guint unlocked = 0;

  pin_then_wrong_pins (f, 2);
  page = locked_page (f, &unlocked);
  error_label = PAGE_CHILD (page, "error_label");
  wait_until_visible (error_label);
  g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (error_label)), "3 PIN attempts"));
  gtk_window_destroy (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (page))));
}

/* The first visible toplevel of @type, waited for. */
static GtkWindow *
wait_for_window (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (;;)
    {
      for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
        {
          g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);

          if (G_TYPE_CHECK_INSTANCE_TYPE (window, type)
              && gtk_widget_get_visible (GTK_WIDGET (window)))
            return window;
        }
      g_main_context_iteration (NULL, TRUE);
    }
}

/*
 * Five wrong PINs: the passphrase entry, with the reason; it unlocks, the
 * dead PIN slot leaves the vault, and a dialog says why and offers a new
 * PIN, which opens the PIN dialog.
 */
static void
test_locked_out_asks_passphrase (Fixture      *f,
                                 gconstpointer data)
{
  EntsecUnlockPage *page;
  GtkLabel *error_label;
  GtkWindow *offer;
  GtkWindow *pin_dialog;
  guint unlocked = 0;

  set_pin (f);
  page = locked_page (f, &unlocked);
  error_label = PAGE_CHILD (page, "error_label");
  for (guint i = 0; i < ENTSEC_VAULT_PIN_MAX_ATTEMPTS; i++)
    enter_pin (page, WRONG_PIN);
  g_assert_false (gtk_widget_get_visible (PAGE_CHILD (page, "pin_entry")));
  g_assert_true (gtk_widget_get_visible (PAGE_CHILD (page, "secret_box")));
  g_assert_nonnull (strstr (gtk_label_get_label (error_label), "Too many wrong PINs"));
  gtk_editable_set_text (PAGE_CHILD (page, "secret_row"), PASSPHRASE);
  g_signal_emit_by_name (PAGE_CHILD (page, "unlock_button"), "clicked");
  while (unlocked == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (entsec_vault_is_unlocked (f->vault));
  offer = wait_for_window (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_false (has_pin_slot (f->vault));
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (offer)), ==,
                   "Quick Unlock PIN Turned Off");
  g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (offer)),
                            "wrong 5 times in a row"));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (offer), "set");
  pin_dialog = wait_for_window (ENTSEC_TYPE_PIN_DIALOG);
  gtk_window_destroy (pin_dialog);
  gtk_window_destroy (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (page))));
}

/* A PIN already dead when the page comes up: the passphrase, and why. */
static void
test_dead_at_start (Fixture      *f,
                    gconstpointer data)
{
  EntsecUnlockPage *page;
  GtkWidget *error_label;
  guint unlocked = 0;

  pin_then_wrong_pins (f, ENTSEC_VAULT_PIN_MAX_ATTEMPTS);
  page = locked_page (f, &unlocked);
  error_label = PAGE_CHILD (page, "error_label");
  wait_until_visible (error_label);
  g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (error_label)), "no longer works"));
  g_assert_true (gtk_widget_get_visible (PAGE_CHILD (page, "secret_box")));
  gtk_window_destroy (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (page))));
}

static void
test_use_passphrase_instead (Fixture      *f,
                             gconstpointer data)
{
  EntsecUnlockPage *page;
  guint unlocked = 0;

  set_pin (f);
  page = locked_page (f, &unlocked);
  g_signal_emit_by_name (PAGE_CHILD (page, "use_passphrase_button"), "clicked");
  g_assert_false (gtk_widget_get_visible (PAGE_CHILD (page, "pin_entry")));
  g_assert_true (gtk_widget_get_visible (PAGE_CHILD (page, "secret_box")));
  gtk_window_destroy (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (page))));
}

/* Without a PIN slot the page asks for the passphrase as before. */
static void
test_no_pin_no_pin_entry (Fixture      *f,
                          gconstpointer data)
{
  EntsecUnlockPage *page;
  guint unlocked = 0;

  page = locked_page (f, &unlocked);
  g_assert_false (gtk_widget_get_visible (PAGE_CHILD (page, "pin_entry")));
  g_assert_true (gtk_widget_get_visible (PAGE_CHILD (page, "secret_box")));
  gtk_window_destroy (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (page))));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  entsec_app_ensure_resources ();

#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  g_test_add_func ("/app/pin/problem", test_pin_problem);
  ADD ("/app/pin/set-pin-dialog", test_set_pin_dialog);
  ADD ("/app/pin/security-row", test_security_row);
  ADD ("/app/pin/unlock-by-pin", test_unlock_by_pin);
  ADD ("/app/pin/attempts-shown-at-start", test_attempts_shown_at_start);
  ADD ("/app/pin/locked-out-asks-passphrase", test_locked_out_asks_passphrase);
  ADD ("/app/pin/dead-at-start", test_dead_at_start);
  ADD ("/app/pin/use-passphrase-instead", test_use_passphrase_instead);
  ADD ("/app/pin/no-pin-no-pin-entry", test_no_pin_no_pin_entry);
#undef ADD
  return g_test_run ();
}
