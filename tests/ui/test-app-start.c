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
#include <entsec/entsec.h>

#include "entsec-application.h"
#include "entsec-window.h"
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
  status = g_test_run ();
  g_clear_object (&app);
  return status;
}
