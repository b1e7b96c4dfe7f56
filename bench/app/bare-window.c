/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bare-window.c: the toolkit's floor for bench/app: an AdwApplicationWindow
 * of the app's default size with a header bar and an empty status page, the
 * same probe as the app (ENTSEC_BENCH=1 prints its first frame). */

#include "config.h"

#include <adwaita.h>

#include "entsec-bench-probe.h"

static void
activate (GtkApplication *app)
{
  GtkWidget *window = adw_application_window_new (app);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *status = adw_status_page_new ();

  adw_status_page_set_title (ADW_STATUS_PAGE (status), "Bare Window");
  gtk_widget_set_vexpand (status, TRUE);
  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_box_append (GTK_BOX (box), status);
  adw_application_window_set_content (ADW_APPLICATION_WINDOW (window), box);
  gtk_window_set_title (GTK_WINDOW (window), "Bare Window");
  /* The app's window (src/app/entsec-window.ui). */
  gtk_window_set_default_size (GTK_WINDOW (window), 480, 720);
  entsec_bench_probe_attach (GTK_WINDOW (window), NULL);
  gtk_window_present (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (AdwApplication) app = adw_application_new ("org.entsec.BenchBareWindow",
                                                        G_APPLICATION_NON_UNIQUE);

  g_signal_connect (app, "activate", G_CALLBACK (activate), NULL);
  return g_application_run (G_APPLICATION (app), argc, argv);
}
