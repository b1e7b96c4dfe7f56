/* SPDX-License-Identifier: GPL-3.0-or-later */
/* main.c: the entsec app; everything else is in entsec-app-lib. */

#include "config.h"

#include <glib/gi18n.h>
#include <errno.h>
#include <locale.h>
#include <sys/resource.h>

#include <entsec/entsec.h>

#include "entsec-application.h"
#include "entsec-bench-probe.h"

/* No core dumps (they would hold keys), but the process stays dumpable:
 * PR_SET_DUMPABLE 0 makes xdg-desktop-portal refuse the app. */
static void
disable_core_dumps (void)
{
  struct rlimit limit = { 0, 0 };

  if (setrlimit (RLIMIT_CORE, &limit) != 0)
    g_message ("Could not disable core dumps: %s", g_strerror (errno));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (EntsecApplication) app = NULL;
  g_autoptr (GError) error = NULL;

  entsec_bench_mark ("main");
  /* Before any thread starts: keys and decrypted secrets then live in
   * OpenSSL's secure heap, locked in memory and marked MADV_DONTDUMP. */
  if (!entsec_init_secure_memory (&error))
    g_message ("%s", error->message);
  disable_core_dumps ();
  /* Before GTK reads the templates: GtkBuilder translates them through the
   * default domain. ENTSEC_LOCALEDIR points an uninstalled build at its
   * catalogs (build/po/locale). */
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE,
                  g_getenv ("ENTSEC_LOCALEDIR") ? g_getenv ("ENTSEC_LOCALEDIR") : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_application_name (_("Enterprise Security"));

  app = entsec_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
