/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-app-attempts.c: the unlock page under an enterprise policy's limit on
 * wrong unlocks: the attempts left, the warning that names what the next
 * wrong one does, the wait counted down on an injected clock (no sleeping),
 * and what a wipe removed; on a real display and a real vault file
 * (xvfb-session.sh). */

#include "config.h"

#include <adwaita.h>
#include <entsec/entsec.h>

#include "entsec-application.h"
#include "entsec-core-private.h"
#include "entsec-unlock-page.h"
#include "vault-test-util.h"

/* Cheap Argon2id costs: the test is about the widgets, not the KDF. */
static const EntsecKdfParams cheap_kdf = { 8 * 1024, 1, 1 };

#define PASSPHRASE "orchid-lantern-quarry-41"
#define WRONG "not-the-passphrase"

typedef struct
{
  char        *dir;
  char        *path;
  EntsecVault *vault;
  gint64       now;
  guint        unlocked;
} Fixture;

static gint64
fake_clock (gpointer user_data)
{
  Fixture *f = user_data;

  return f->now;
}

static void
fixture_set_up (Fixture      *f,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecAccount) managed = vt_account ("Corp", "me", 2);

  f->now = 2000000;
  f->dir = g_dir_make_tmp ("entsec-app-attempts-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "vault.db", NULL);
  f->vault = entsec_vault_create_sync (f->path, FALSE, PASSPHRASE, strlen (PASSPHRASE),
                                       &cheap_kdf, NULL, &error);
  g_assert_no_error (error);
  entsec_vault_set_clock (f->vault, fake_clock, f);
  vt_add (f->vault, "Personal", "me", 1);
  managed->managed_id = g_strdup ("tok_1");
  vt_add_account (f->vault, managed);
}

static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data)
{
  g_clear_object (&f->vault);
  vt_remove_tree (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

static gpointer
child (gpointer    widget,
       const char *name)
{
  GObject *object = gtk_widget_get_template_child (GTK_WIDGET (widget), ENTSEC_TYPE_UNLOCK_PAGE,
                                                   name);

  g_assert_nonnull (object);
  return object;
}

static void
count_unlocked (guint *unlocked)
{
  (*unlocked)++;
}

/* The vault under the limit (@max, @action), locked, and its page in a window. */
static EntsecUnlockPage *
locked_page (Fixture                *f,
             guint                   max,
             EntsecUnlockLimitAction action)
{
  g_autoptr (GError) error = NULL;
  GtkWidget *window = gtk_window_new ();
  GtkWidget *overlay = adw_toast_overlay_new ();
  EntsecUnlockPage *page = g_object_new (ENTSEC_TYPE_UNLOCK_PAGE, NULL);

  g_assert_true (entsec_vault_set_unlock_policy_sync (f->vault, max, action, NULL, &error));
  g_assert_no_error (error);
  adw_toast_overlay_set_child (ADW_TOAST_OVERLAY (overlay), GTK_WIDGET (page));
  gtk_window_set_child (GTK_WINDOW (window), overlay);
  gtk_window_present (GTK_WINDOW (window));
  entsec_vault_lock_sync (f->vault);
  entsec_unlock_page_set_clock (page, fake_clock, f);
  g_signal_connect_swapped (page, "unlocked", G_CALLBACK (count_unlocked), &f->unlocked);
  entsec_unlock_page_prepare (page, f->vault, NULL, NULL);
  return page;
}

static gboolean
give_up (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

/* Wait (for the vault's answers, not for time) until the limit label says @text (NULL: hidden). */
static void
assert_limit_says (EntsecUnlockPage *page,
                   const char       *text)
{
  GtkLabel *label = child (page, "limit_label");
  gboolean timed_out = FALSE;
  guint guard = g_timeout_add_seconds (30, give_up, &timed_out);

  while (!timed_out
         && (text == NULL ? gtk_widget_get_visible (GTK_WIDGET (label))
                          : !gtk_widget_get_visible (GTK_WIDGET (label))
                            || g_strcmp0 (gtk_label_get_label (label), text) != 0))
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (guard);
  if (text == NULL)
    g_assert_false (gtk_widget_get_visible (GTK_WIDGET (label)));
  else
    g_assert_cmpstr (gtk_label_get_label (label), ==, text);
}

/* Type @text as the passphrase and wait for the answer. */
static void
enter (EntsecUnlockPage *page,
       const char       *text)
{
  GtkWidget *spinner = child (page, "spinner");

  gtk_editable_set_text (child (page, "secret_row"), text);
  g_signal_emit_by_name (child (page, "unlock_button"), "clicked");
  g_assert_true (gtk_widget_get_visible (spinner));
  while (gtk_widget_get_visible (spinner))
    g_main_context_iteration (NULL, TRUE);
}

/*
 * "delay": the attempts left, the warning naming the wait the next wrong one
 * brings, then the wait counted down (the Unlock button off meanwhile), and
 * the next wait named once it is over.
 */
static void
test_delay_counted_down (Fixture      *f,
                         gconstpointer data)
{
  EntsecUnlockPage *page = locked_page (f, 3, ENTSEC_UNLOCK_LIMIT_DELAY);
  GtkWidget *button = child (page, "unlock_button");

  assert_limit_says (page, NULL);
  enter (page, WRONG);
  assert_limit_says (page, "2 attempts left before you have to wait.");
  enter (page, WRONG);
  assert_limit_says (page, "One more wrong attempt and you will have to wait 30 seconds.");
  enter (page, WRONG);
  assert_limit_says (page, "Too many wrong attempts. You can try again in 30 seconds.");
  g_assert_false (gtk_widget_get_sensitive (button));
  f->now += 10;
  g_assert_true (entsec_unlock_page_update_countdown (page));
  assert_limit_says (page, "Too many wrong attempts. You can try again in 20 seconds.");
  g_assert_false (gtk_widget_get_sensitive (button));
  f->now += 20;
  g_assert_false (entsec_unlock_page_update_countdown (page));
  assert_limit_says (page, "One more wrong attempt and you will have to wait 60 seconds.");
  g_assert_true (gtk_widget_get_sensitive (button));
  g_assert_cmpuint (f->unlocked, ==, 0);
  enter (page, PASSPHRASE);
  g_assert_cmpuint (f->unlocked, ==, 1);
  gtk_window_destroy (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (page))));
}

/* The page opened in a wait (another process made the wrong unlocks): counted down at once. */
static void
test_wait_shown_at_start (Fixture      *f,
                          gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  EntsecUnlockPage *page;

  g_assert_true (entsec_vault_set_unlock_policy_sync (f->vault, 1, ENTSEC_UNLOCK_LIMIT_DELAY,
                                                      NULL, &error));
  entsec_vault_lock_sync (f->vault);
  g_assert_false (entsec_vault_unlock_passphrase_sync (f->vault, WRONG, strlen (WRONG), NULL,
                                                       NULL));
  f->now += 5;
  page = locked_page (f, 1, ENTSEC_UNLOCK_LIMIT_DELAY);
  assert_limit_says (page, "Too many wrong attempts. You can try again in 25 seconds.");
  g_assert_false (gtk_widget_get_sensitive (child (page, "unlock_button")));
  gtk_window_destroy (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (page))));
}

/*
 * "wipe": the warning before the last attempt says the work accounts go;
 * after it the page says what was removed and why, and the right
 * passphrase opens the personal accounts only.
 */
static void
test_wipe_explained (Fixture      *f,
                     gconstpointer data)
{
  EntsecUnlockPage *page = locked_page (f, 2, ENTSEC_UNLOCK_LIMIT_WIPE);
  AdwStatusPage *status = child (page, "status_page");

  enter (page, WRONG);
  assert_limit_says (page, "One more wrong attempt removes this device’s work accounts.");
  enter (page, WRONG);
  g_assert_cmpstr (adw_status_page_get_title (status), ==, "Work Accounts Removed");
  g_assert_nonnull (strstr (adw_status_page_get_description (status), "2 times in a row"));
  g_assert_nonnull (strstr (adw_status_page_get_description (status), "personal accounts are "
                                                                      "kept"));
  assert_limit_says (page, NULL);
  g_assert_false (gtk_widget_get_visible (child (page, "error_label")));
  enter (page, PASSPHRASE);
  g_assert_cmpuint (f->unlocked, ==, 1);
  g_assert_cmpstr (adw_status_page_get_title (status), ==, "Locked");
  g_assert_cmpuint (g_list_model_get_n_items (entsec_vault_get_accounts_model (f->vault)), ==, 1);
  gtk_window_destroy (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (page))));
}

/* No policy: wrong unlocks bring no limit text, as before. */
static void
test_no_policy_nothing_shown (Fixture      *f,
                              gconstpointer data)
{
  EntsecUnlockPage *page = locked_page (f, 0, ENTSEC_UNLOCK_LIMIT_NONE);

  for (guint i = 0; i < 3; i++)
    enter (page, WRONG);
  assert_limit_says (page, NULL);
  g_assert_true (gtk_widget_get_visible (child (page, "error_label")));
  g_assert_true (gtk_widget_get_sensitive (child (page, "unlock_button")));
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
  ADD ("/app/attempts/delay-counted-down", test_delay_counted_down);
  ADD ("/app/attempts/wait-shown-at-start", test_wait_shown_at_start);
  ADD ("/app/attempts/wipe-explained", test_wipe_explained);
  ADD ("/app/attempts/no-policy-nothing-shown", test_no_policy_nothing_shown);
#undef ADD
  return g_test_run ();
}
