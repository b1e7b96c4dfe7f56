/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bare-window.c: the toolkit's floor for bench/app: an AdwApplicationWindow
 * of the app's default size with a header bar and an empty status page, the
 * same probe as the app (ENTSEC_BENCH=1 prints its first frame).
 *
 * With --list N (a GtkListView) or --grid N (a one-column GtkGridView, as the
 * app's codes), the status page is a list of N simple rows instead, one label
 * each, of the height of the app's rows: the floor for scrolling
 * (ENTSEC_BENCH_SCROLL, as the app). */

#include "config.h"

#include <adwaita.h>
#include <stdlib.h>
#include <string.h>

#include "entsec-bench-probe.h"

/* About the height of a row of the app's codes: 87 px with the grid's
 * padding (the scroll report's list height / 1,000). */
#define ROW_HEIGHT 82

typedef enum
{
  CONTENT_STATUS,
  CONTENT_LIST,
  CONTENT_GRID,
} Content;

static Content content = CONTENT_STATUS;
static guint rows;

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *item)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_set_size_request (label, -1, ROW_HEIGHT);
  gtk_widget_set_margin_start (label, 12);
  gtk_list_item_set_child (item, label);
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *item)
{
  GtkStringObject *string = gtk_list_item_get_item (item);

  gtk_label_set_label (GTK_LABEL (gtk_list_item_get_child (item)),
                       gtk_string_object_get_string (string));
}

static GtkWidget *
new_list (GtkWidget **view)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), NULL);
  if (content == CONTENT_GRID)
    {
      *view = gtk_grid_view_new (NULL, factory);
      gtk_grid_view_set_max_columns (GTK_GRID_VIEW (*view), 1);
    }
  else
    *view = gtk_list_view_new (NULL, factory);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), *view);
  gtk_widget_set_vexpand (scrolled, TRUE);
  return scrolled;
}

static void
set_model (GtkWidget *view)
{
  GtkStringList *strings = gtk_string_list_new (NULL);
  GtkSelectionModel *selection;

  for (guint i = 0; i < rows; i++)
    {
      char name[32];

      g_snprintf (name, sizeof name, "Example %04u", i);
      gtk_string_list_append (strings, name);
    }
  selection = GTK_SELECTION_MODEL (gtk_no_selection_new (G_LIST_MODEL (strings)));
  if (GTK_IS_GRID_VIEW (view))
    gtk_grid_view_set_model (GTK_GRID_VIEW (view), selection);
  else
    gtk_list_view_set_model (GTK_LIST_VIEW (view), selection);
  g_object_unref (selection);
}

static void
activate (GtkApplication *app)
{
  GtkWidget *window = adw_application_window_new (app);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *view = NULL;

  entsec_bench_mark ("activate");
  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  if (content == CONTENT_STATUS)
    {
      GtkWidget *status = adw_status_page_new ();

      adw_status_page_set_title (ADW_STATUS_PAGE (status), "Bare Window");
      gtk_widget_set_vexpand (status, TRUE);
      gtk_box_append (GTK_BOX (box), status);
    }
  else
    gtk_box_append (GTK_BOX (box), new_list (&view));
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);
  gtk_window_set_title (GTK_WINDOW (window), "Bare Window");
  /* The app's window (src/app/entsec-window.ui). */
  gtk_window_set_default_size (GTK_WINDOW (window), 480, 720);
  entsec_bench_probe_attach (GTK_WINDOW (window), view);
  /* After the probe: it follows the view's model. */
  if (view != NULL)
    set_model (view);
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (AdwApplication) app = NULL;

  entsec_bench_mark ("main");

  if (argc == 3 && (strcmp (argv[1], "--list") == 0 || strcmp (argv[1], "--grid") == 0))
    {
      content = strcmp (argv[1], "--list") == 0 ? CONTENT_LIST : CONTENT_GRID;
      rows = (guint) strtoul (argv[2], NULL, 10);
    }
  else if (argc != 1)
    {
      g_printerr ("Usage: %s [--list ROWS | --grid ROWS]\n", argv[0]);
      return 2;
    }
  app = adw_application_new ("org.entsec.BenchBareWindow", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "activate", G_CALLBACK (activate), NULL);
  return g_application_run (G_APPLICATION (app), 1, argv);
}
