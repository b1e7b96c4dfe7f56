/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-app-i18n.c: the app's templates and messages in German, through the
 * catalogs built in po/ (ENTSEC_LOCALEDIR, LANGUAGE=de), on a real display. */

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <locale.h>

#include "entsec-application.h"
#include "entsec-unlock-page.h"
#include "entsec-window.h"

/* The first descendant of @widget of @type, depth first. */
static GtkWidget *
find_descendant (GtkWidget *widget,
                 GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_descendant (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* GtkBuilder translates the GResource templates through the default domain. */
static void
test_template_translated (void)
{
  GtkWidget *page = g_object_ref_sink (g_object_new (ENTSEC_TYPE_UNLOCK_PAGE, NULL));
  GtkWidget *status = find_descendant (page, ADW_TYPE_STATUS_PAGE);
  GtkWidget *row = find_descendant (page, ADW_TYPE_PASSWORD_ENTRY_ROW);

  g_assert_nonnull (status);
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (status)), ==, "Gesperrt");
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==,
                   "Passphrase oder Wiederherstellungsschlüssel");
  g_object_unref (page);
}

/* The catalog's plural forms reach g_dngettext() as the app calls it. */
static void
test_plural_forms (void)
{
  g_assert_cmpstr (g_dngettext (NULL, "The code changes in %u second",
                                "The code changes in %u seconds", 1),
                   ==, "Der Code ändert sich in %u Sekunde");
  g_assert_cmpstr (g_dngettext (NULL, "The code changes in %u second",
                                "The code changes in %u seconds", 5),
                   ==, "Der Code ändert sich in %u Sekunden");
}

/* A GtkShortcutsWindow among the toplevels, or NULL. */
static GtkWindow *
find_shortcuts_window (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (GTK_IS_SHORTCUTS_WINDOW (window))
        return window;
    }
  return NULL;
}

/* The first GtkShortcutsShortcut of @widget's tree whose action is @action. */
static GtkWidget *
find_shortcut (GtkWidget  *widget,
               const char *action)
{
  g_autofree char *name = NULL;

  if (GTK_IS_SHORTCUTS_SHORTCUT (widget))
    {
      g_object_get (widget, "action-name", &name, NULL);
      if (g_strcmp0 (name, action) == 0)
        return widget;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_shortcut (child, action);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The shortcuts window is not built with the window (a start would pay for
 * it), only when asked for: then in German, for the window, with the
 * accelerators of the application's actions, Ctrl+? included. */
static void
test_help_overlay (void)
{
  g_autoptr (EntsecApplication) app = entsec_application_new ();
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) accels = NULL;
  g_autofree char *title = NULL;
  g_autofree char *accel = NULL;
  EntsecWindow *window;
  GtkWindow *overlay;
  GtkWidget *shortcut;

  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  window = entsec_window_new (app);
  g_assert_null (find_shortcuts_window ());
  accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), "win.show-help-overlay");
  g_assert_cmpuint (g_strv_length (accels), ==, 1);
  g_assert_cmpstr (accels[0], ==, "<Control>question");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL));
  overlay = find_shortcuts_window ();
  g_assert_nonnull (overlay);
  g_assert_true (gtk_window_get_transient_for (overlay) == GTK_WINDOW (window));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (overlay)));
  shortcut = find_shortcut (GTK_WIDGET (overlay), "win.add-account");
  g_assert_nonnull (shortcut);
  g_object_get (shortcut, "title", &title, "accelerator", &accel, NULL);
  g_assert_cmpstr (title, ==, "Ein Konto hinzufügen");
  g_assert_cmpstr (accel, ==, "<Control>n");

  /* Closed, it is shown again, the same window (GtkApplicationWindow's). */
  gtk_window_close (overlay);
  g_assert_false (gtk_widget_get_visible (GTK_WIDGET (overlay)));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL));
  g_assert_true (find_shortcuts_window () == overlay);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (overlay)));
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  const char *localedir = g_getenv ("ENTSEC_LOCALEDIR");

  /* gtk_test_init() sets a fixed locale: the environment's comes back after
   * it, then the domain as main.c sets it, before GTK reads a template. */
  gtk_test_init (&argc, &argv, NULL);
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  adw_init ();
  entsec_app_ensure_resources ();

  g_test_add_func ("/app/i18n/template", test_template_translated);
  g_test_add_func ("/app/i18n/plural-forms", test_plural_forms);
  g_test_add_func ("/app/i18n/help-overlay", test_help_overlay);
  return g_test_run ();
}
