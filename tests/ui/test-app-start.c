/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-app-start.c: the window leaving its loading page (xvfb-session.sh: a
 * real display, D-Bus session and gnome-keyring; a throwaway HOME). The page
 * the vault leads to comes at once, not through the stack's crossfade, which
 * would draw both pages into offscreen textures for 200 ms with the codes at
 * first all but transparent.
 */

#include "config.h"

#include <adwaita.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <entsec/entsec.h>

#include "entsec-account-page.h"
#include "entsec-application.h"
#include "entsec-vault-opening.h"
#include "entsec-window.h"
#include "frames-test-util.h"
#include "vault-test-util.h"

/* One application per process (its name on the session bus), registered in main(). */
static EntsecApplication *app;

static GtkStack *
main_stack (EntsecWindow *window)
{
  return GTK_STACK (gtk_widget_get_template_child (GTK_WIDGET (window), ENTSEC_TYPE_WINDOW,
                                                   "main_stack"));
}

static void
await_page (EntsecWindow *window,
            const char   *page)
{
  while (g_strcmp0 (gtk_stack_get_visible_child_name (main_stack (window)), page) != 0)
    g_main_context_iteration (NULL, TRUE);
}

static void
await_mapped_and_still (EntsecWindow *window)
{
  while (!gtk_widget_get_mapped (GTK_WIDGET (window))
         || gtk_stack_get_transition_running (main_stack (window)))
    g_main_context_iteration (NULL, TRUE);
}

/* The loading page to the codes (the keyring's unlock), in a window on
 * screen, as at every start: no transition. */
static void
test_codes_at_once (void)
{
  g_autofree char *path = entsec_vault_default_path (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecVault) vault = entsec_vault_create_sync (path, TRUE, NULL, 0, &vt_fast_kdf,
                                                            NULL, &error);
  EntsecWindow *window;

  g_assert_no_error (error);
  vt_add (vault, "Mine", "me", 1);
  g_clear_object (&vault);

  window = entsec_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  await_page (window, "codes");
  /* Mapped for sure now: closed, it shows the loading page, then reopened. */
  await_mapped_and_still (window);
  entsec_window_close_vault (window, "");
  await_page (window, "loading");
  await_mapped_and_still (window);
  entsec_window_reopen_vault (window, NULL);
  await_page (window, "codes");
  g_assert_false (gtk_stack_get_transition_running (main_stack (window)));
  g_assert_true (gtk_widget_get_child_visible (
    gtk_stack_get_child_by_name (main_stack (window), "codes")));
  g_assert_false (gtk_widget_get_child_visible (
    gtk_stack_get_child_by_name (main_stack (window), "loading")));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The files of the default vault, gone (its keyring items may stay). */
static void
remove_vault (void)
{
  g_autofree char *path = entsec_vault_default_path (NULL);
  const char *suffixes[] = { "", "-wal", "-shm", "-journal" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);

      g_assert_true (g_unlink (file) == 0 || errno == ENOENT);
    }
}

/* A new default vault (keyring slot) of @n accounts, "Issuer NN", closed. */
static void
make_vault (guint n)
{
  g_autofree char *path = entsec_vault_default_path (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecVault) vault = NULL;

  remove_vault ();
  vault = entsec_vault_create_sync (path, TRUE, NULL, 0, &vt_fast_kdf, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *issuer = g_strdup_printf ("Issuer %02u", i);

      vt_add (vault, issuer, "me", i + 1);
    }
}

/* An opening of the default vault, waited for to its end. */
static EntsecVaultOpening *
finished_opening (gboolean always_ask)
{
  g_autofree char *path = entsec_vault_default_path (NULL);
  EntsecVaultOpening *opening = entsec_vault_opening_new (path, always_ask);

  while (!entsec_vault_opening_is_done (opening))
    g_usleep (1000);
  return opening;
}

static GtkGridView *
list_view (EntsecWindow *window)
{
  return GTK_GRID_VIEW (gtk_widget_get_template_child (GTK_WIDGET (window), ENTSEC_TYPE_WINDOW,
                                                       "list_view"));
}

/*
 * The opening the app starts early has finished by the time the window is
 * made: the window comes out of entsec_window_new_opened() with the codes
 * listed, before any main loop iteration, so its first frame shows them.
 */
static void
test_codes_in_first_frame (void)
{
  EntsecWindow *window;
  GListModel *model;

  make_vault (2);
  window = entsec_window_new_opened (app, finished_opening (FALSE));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (main_stack (window)), ==, "codes");
  model = G_LIST_MODEL (gtk_grid_view_get_model (list_view (window)));
  g_assert_nonnull (model);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 2);
  gtk_window_destroy (GTK_WINDOW (window));
}

/*
 * A window not yet drawn lists only the accounts its first frame can show
 * (a list view makes a row for each of up to 33 items, whatever fits), and
 * all of them from its next frame on.
 */
static void
test_first_rows (void)
{
  EntsecWindow *window;
  GListModel *model;
  guint first;

  make_vault (60);
  window = entsec_window_new_opened (app, finished_opening (FALSE));
  model = G_LIST_MODEL (gtk_grid_view_get_model (list_view (window)));
  first = g_list_model_get_n_items (model);
  g_assert_cmpuint (first, >, 0);
  g_assert_cmpuint (first, <, 60);
  gtk_window_present (GTK_WINDOW (window));
  while (g_list_model_get_n_items (model) < 60)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 60);

  /* Drawn already: after a lock, all of them at once. */
  entsec_window_close_vault (window, "");
  entsec_window_reopen_vault (window, NULL);
  await_page (window, "codes");
  model = G_LIST_MODEL (gtk_grid_view_get_model (list_view (window)));
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, 60);
  gtk_window_destroy (GTK_WINDOW (window));
}

static GtkWidget *
template_child (EntsecWindow *window,
                const char   *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (window), ENTSEC_TYPE_WINDOW,
                                                    name));
}

/* The account page, once made: the details stack's "account" child. */
static GtkWidget *
account_page (EntsecWindow *window)
{
  return gtk_stack_get_child_by_name (GTK_STACK (template_child (window, "details_stack")),
                                      "account");
}

/*
 * A narrow window's folded leaflet builds, measures and lays out its hidden
 * pane too, so the account page is not made there until an account is
 * opened; then it shows that account.
 */
static void
test_account_page_narrow (void)
{
  EntsecWindow *window;
  GtkWidget *page;
  g_autoptr (EntsecAccountSummary) summary = NULL;

  make_vault (2);
  window = entsec_window_new_opened (app, finished_opening (FALSE));
  gtk_window_set_default_size (GTK_WINDOW (window), 400, 700);
  gtk_window_present (GTK_WINDOW (window));
  ft_wait_frames (GTK_WIDGET (window), 4);
  /* And whatever those frames left to do (the page would come in an idle). */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_true (adw_leaflet_get_folded (ADW_LEAFLET (template_child (window, "leaflet"))));
  g_assert_null (account_page (window));

  summary = g_list_model_get_item (G_LIST_MODEL (gtk_grid_view_get_model (list_view (window))),
                                   1);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.show-account", "x",
                              entsec_account_summary_get_id (summary));
  page = account_page (window);
  g_assert_nonnull (page);
  g_assert_true (gtk_stack_get_visible_child (GTK_STACK (template_child (window, "details_stack")))
                 == page);
  g_assert_true (adw_leaflet_get_visible_child (ADW_LEAFLET (template_child (window, "leaflet")))
                 == template_child (window, "details_stack"));
  g_assert_cmpint (entsec_account_page_get_account_id (ENTSEC_ACCOUNT_PAGE (page)), ==,
                   entsec_account_summary_get_id (summary));
  ft_wait_frames (GTK_WIDGET (window), 2);
  g_assert_true (gtk_widget_get_mapped (page));
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
record_fold_duration (AdwLeaflet *leaflet,
                      GParamSpec *pspec,
                      gint       *duration)
{
  if (adw_leaflet_get_folded (leaflet))
    *duration = (gint) adw_leaflet_get_mode_transition_duration (leaflet);
}

/* A narrow window's leaflet folds at its first layout without the fold's
 * animation (which would redraw the whole window for its length), and gets
 * its animation back for the resizes after that. */
static void
test_first_fold_not_animated (void)
{
  EntsecWindow *window;
  AdwLeaflet *leaflet;
  g_autoptr (GtkWidget) fresh = g_object_ref_sink (adw_leaflet_new ());
  guint default_duration = adw_leaflet_get_mode_transition_duration (ADW_LEAFLET (fresh));
  gint duration_at_fold = -1;

  g_assert_cmpuint (default_duration, >, 0);
  make_vault (2);
  window = entsec_window_new_opened (app, finished_opening (FALSE));
  leaflet = ADW_LEAFLET (template_child (window, "leaflet"));
  g_signal_connect (leaflet, "notify::folded", G_CALLBACK (record_fold_duration),
                    &duration_at_fold);
  gtk_window_set_default_size (GTK_WINDOW (window), 400, 700);
  gtk_window_present (GTK_WINDOW (window));
  ft_wait_frames (GTK_WIDGET (window), 4);
  g_assert_true (adw_leaflet_get_folded (leaflet));
  g_assert_cmpint (duration_at_fold, ==, 0);
  g_assert_cmpuint (adw_leaflet_get_mode_transition_duration (leaflet), ==, default_duration);
  g_signal_handlers_disconnect_by_func (leaflet, record_fold_duration, &duration_at_fold);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The main menu is made when it is first opened, and then holds the app's
 * menu: its button works (sensitive) before that. */
static void
test_menu_on_demand (void)
{
  EntsecWindow *window;
  GtkMenuButton *button;
  GMenuModel *menu;
  GtkPopover *popover;
  gboolean has_preferences = FALSE;

  make_vault (2);
  window = entsec_window_new_opened (app, finished_opening (FALSE));
  gtk_window_present (GTK_WINDOW (window));
  ft_wait_frames (GTK_WIDGET (window), 2);
  button = GTK_MENU_BUTTON (template_child (window, "menu_button"));
  g_assert_null (gtk_menu_button_get_popover (button));
  g_assert_null (gtk_menu_button_get_menu_model (button));
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (button)));

  gtk_menu_button_popup (button);
  menu = gtk_menu_button_get_menu_model (button);
  popover = gtk_menu_button_get_popover (button);
  g_assert_nonnull (menu);
  g_assert_nonnull (popover);
  for (gint i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autoptr (GMenuModel) section = g_menu_model_get_item_link (menu, i, G_MENU_LINK_SECTION);

      for (gint j = 0; section != NULL && j < g_menu_model_get_n_items (section); j++)
        {
          g_autofree char *action = NULL;

          if (g_menu_model_get_item_attribute (section, j, G_MENU_ATTRIBUTE_ACTION, "s", &action)
              && g_strcmp0 (action, "app.preferences") == 0)
            has_preferences = TRUE;
        }
    }
  g_assert_true (has_preferences);
  ft_wait_frames (GTK_WIDGET (window), 2);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (popover)));
  gtk_menu_button_popdown (button);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* A wide window's leaflet does not fold: the account page shows beside the
 * list (no account chosen yet) once the first frame is laid out. */
static void
test_account_page_wide (void)
{
  EntsecWindow *window;
  GtkWidget *page;

  make_vault (2);
  window = entsec_window_new_opened (app, finished_opening (FALSE));
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  gtk_window_present (GTK_WINDOW (window));
  /* Made in an idle after the first frame: frames drawn back to back on a
   * loaded machine can come first. */
  while ((page = account_page (window)) == NULL)
    g_main_context_iteration (NULL, TRUE);
  ft_wait_frames (GTK_WIDGET (window), 1);
  g_assert_false (adw_leaflet_get_folded (ADW_LEAFLET (template_child (window, "leaflet"))));
  g_assert_true (gtk_stack_get_visible_child (GTK_STACK (template_child (window, "details_stack")))
                 == page);
  g_assert_true (gtk_widget_get_mapped (page));
  g_assert_cmpint (entsec_account_page_get_account_id (ENTSEC_ACCOUNT_PAGE (page)), ==, 0);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* "Always ask" with a passphrase slot: the opening leaves the keyring out,
 * and the window starts on the unlock page. */
static void
test_always_ask (void)
{
  g_autofree char *path = entsec_vault_default_path (NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (EntsecVaultOpened) opened = NULL;
  EntsecVaultOpening *opening;
  EntsecWindow *window;

  remove_vault ();
  vault = entsec_vault_create_sync (path, TRUE, NULL, 0, &vt_fast_kdf, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (entsec_vault_add_passphrase_slot_sync (vault, "correct horse", 13, &vt_fast_kdf,
                                                        NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&vault);

  opening = finished_opening (TRUE);
  opened = entsec_vault_opening_take (opening);
  g_assert_nonnull (opened);
  g_assert_nonnull (opened->vault);
  g_assert_false (opened->keyring_tried);
  g_assert_false (entsec_vault_is_unlocked (opened->vault));
  g_assert_null (entsec_vault_opening_take (opening));
  g_object_unref (opening);

  /* Without "always ask" the same vault opens through the keyring. */
  opening = finished_opening (FALSE);
  g_clear_pointer (&opened, entsec_vault_opened_free);
  opened = entsec_vault_opening_take (opening);
  g_assert_true (opened->keyring_tried);
  g_assert_no_error (opened->keyring_error);
  g_assert_true (entsec_vault_is_unlocked (opened->vault));
  g_assert_nonnull (opened->enterprise);
  g_object_unref (opening);

  window = entsec_window_new_opened (app, finished_opening (TRUE));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (main_stack (window)), ==, "unlock");
  gtk_window_destroy (GTK_WINDOW (window));
}

/* No vault yet: the first-run page, straight away. */
static void
test_first_run (void)
{
  EntsecWindow *window;

  remove_vault ();
  window = entsec_window_new_opened (app, finished_opening (FALSE));
  g_assert_cmpstr (gtk_stack_get_visible_child_name (main_stack (window)), ==, "setup");
  gtk_window_destroy (GTK_WINDOW (window));
}

/* A window made with no opening started before it makes its own, and
 * reaches the codes from the loading page when its worker was not done yet
 * (a race this test does not steer: both ways end on the codes). */
static void
test_opens_itself (void)
{
  EntsecWindow *window;
  const char *page;

  make_vault (1);
  window = entsec_window_new_opened (app, NULL);
  page = gtk_stack_get_visible_child_name (main_stack (window));
  g_assert_true (g_str_equal (page, "loading") || g_str_equal (page, "codes"));
  await_page (window, "codes");
  g_assert_cmpuint (g_list_model_get_n_items (
                      G_LIST_MODEL (gtk_grid_view_get_model (list_view (window)))), ==, 1);
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GError) error = NULL;
  int status;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  app = entsec_application_new ();
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);

  g_test_add_func ("/app/start/codes-at-once", test_codes_at_once);
  g_test_add_func ("/app/start/codes-in-first-frame", test_codes_in_first_frame);
  g_test_add_func ("/app/start/first-rows", test_first_rows);
  g_test_add_func ("/app/start/account-page-narrow", test_account_page_narrow);
  g_test_add_func ("/app/start/account-page-wide", test_account_page_wide);
  g_test_add_func ("/app/start/first-fold-not-animated", test_first_fold_not_animated);
  g_test_add_func ("/app/start/menu-on-demand", test_menu_on_demand);
  g_test_add_func ("/app/start/always-ask", test_always_ask);
  g_test_add_func ("/app/start/first-run", test_first_run);
  g_test_add_func ("/app/start/opens-itself", test_opens_itself);
  status = g_test_run ();
  g_clear_object (&app);
  return status;
}
