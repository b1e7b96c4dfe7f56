/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-app-i18n.c: the app's templates and messages in German, through the
 * catalogs built in po/ (ENTSEC_LOCALEDIR, LANGUAGE=de), on a real display. */

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <locale.h>

#include "entsec-application.h"
#include "entsec-unlock-page.h"

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
  return g_test_run ();
}
