/* SPDX-License-Identifier: GPL-3.0-or-later */
/* server-main.c: options, --init, and running until SIGINT or SIGTERM (SIGHUP reloads TLS) */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "server-backup.h"
#include "server-http.h"
#include "server-init.h"
#include "server-log.h"
#include "server-main.h"

typedef struct
{
  char    *config_file;
  char    *data_dir;
  char    *listen;
  char   **names;
  char    *database;
  gboolean init;
  gboolean migrate;
  gboolean dev;
  gboolean version;
  /* operations (server-backup.c) */
  char    *backup;
  char    *restore;
} Options;

static void
options_clear (Options *options)
{
  g_free (options->config_file);
  g_free (options->data_dir);
  g_free (options->listen);
  g_strfreev (options->names);
  g_free (options->database);
  g_free (options->backup);
  g_free (options->restore);
}

static gboolean
parse_options (int     *argc,
               char  ***argv,
               Options *o,
               GError **error)
{
  const GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &o->config_file,
      "Read settings from FILE (default " ENTSEC_SERVER_DEFAULT_CONFIG ", if present)", "FILE" },
    { "data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &o->data_dir,
      "Keep the database, keys and certificates in DIR", "DIR" },
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &o->listen,
      "Listen on ADDRESS:PORT (port 0 picks a free one)", "ADDR:PORT" },
    { "init", 0, 0, G_OPTION_ARG_NONE, &o->init,
      "Create a new data directory (database, keys, CA, certificate, admin token)", NULL },
    { "name", 'n', 0, G_OPTION_ARG_STRING_ARRAY, &o->names,
      "With --init: a host name or address for the certificate (repeatable; "
      "default localhost, 127.0.0.1, ::1)", "NAME" },
    { "database", 0, 0, G_OPTION_ARG_STRING, &o->database,
      "Use the PostgreSQL database at URL (postgresql://...) instead of DIR/entsec.db; "
      "better in the config file, where a password stays out of the process list", "URL" },
    { "migrate", 0, 0, G_OPTION_ARG_NONE, &o->migrate,
      "Bring the database's schema up to this version, then exit", NULL },
    { "dev", 0, 0, G_OPTION_ARG_NONE, &o->dev,
      "Development mode: codes the outbox sender writes also go to the log", NULL },
    { "version", 'V', 0, G_OPTION_ARG_NONE, &o->version, "Print the version and exit", NULL },
    /* operations */
    { "backup", 0, 0, G_OPTION_ARG_FILENAME, &o->backup,
      "Copy the database to FILE (consistent while servers run; 0600) and exit", "FILE" },
    { "restore", 0, 0, G_OPTION_ARG_FILENAME, &o->restore,
      "Replace the database by the backup FILE (no server may be running) and exit", "FILE" },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);

  g_option_context_set_summary (context, "The entsec enterprise server (docs/server.md).");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;
  if (*argc > 1)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "Unexpected argument; see --help");
      return FALSE;
    }
  if ((o->init ? 1 : 0) + (o->migrate ? 1 : 0) + (o->backup != NULL ? 1 : 0)
      + (o->restore != NULL ? 1 : 0) > 1)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "Give only one of --init, --migrate, --backup and --restore");
      return FALSE;
    }
  return TRUE;
}

static EntsecServerConfig *
load_config (const Options *o,
             GError       **error)
{
  g_autoptr (EntsecServerConfig) config = entsec_server_config_new ();
  g_auto (GStrv) env = g_get_environ ();
  const char *file = o->config_file != NULL ? o->config_file : ENTSEC_SERVER_DEFAULT_CONFIG;
  g_autofree char *data_dir = NULL;

  if (!entsec_server_config_load_file (config, file, o->config_file == NULL, error)
      || !entsec_server_config_load_env (config, env, error))
    return NULL;
  if (o->data_dir != NULL)
    {
      data_dir = g_canonicalize_filename (o->data_dir, NULL);
      if (!entsec_server_config_set (config, "data_dir", data_dir, error))
        return NULL;
    }
  if (o->listen != NULL && !entsec_server_config_set (config, "listen", o->listen, error))
    return NULL;
  if (o->database != NULL && !entsec_server_config_set (config, "database", o->database, error))
    return NULL;
  config->dev = o->dev;
  entsec_server_log_set_access (config->access_log);
  return g_steal_pointer (&config);
}

static int
run_init (EntsecServerConfig *config,
          const char *const  *names)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecServerInitResult) result = entsec_server_init (config, names, &error);

  if (result == NULL)
    {
      g_printerr ("entsec-server: %s\n", error->message);
      return 1;
    }
  g_print ("Created %s\n"
           "authority key thumbprint: %s\n"
           "server key SPKI pin: %s\n"
           "The first admin's token is in %s/%s (keep it secret).\n",
           config->data_dir, result->authority_jkt, result->spki_pin, config->data_dir,
           ENTSEC_SERVER_ADMIN_TOKEN_FILE);
  return 0;
}

static int
run_migrate (EntsecServerConfig *config)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = entsec_server_config_path (config, ENTSEC_SERVER_DB_FILE);
  g_autoptr (EntsecStorage) storage = entsec_storage_open (config->database, path, 1,
                                                           ENTSEC_STORAGE_MIGRATE, &error);

  if (storage == NULL)
    {
      g_printerr ("entsec-server: %s\n", error->message);
      return 1;
    }
  g_print ("The database's schema is up to date\n");
  return 0;
}

static int
run_backup (EntsecServerConfig *config,
            const char         *file)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_canonicalize_filename (file, NULL);

  if (!entsec_server_backup (config, path, &error))
    {
      g_printerr ("entsec-server: %s\n", error->message);
      return 1;
    }
  g_print ("Backed up the database of %s to %s\n"
           "Keep the key files of the data directory with it (docs/server.md, "
           "\"Backups\").\n", config->data_dir, path);
  return 0;
}

static int
run_restore (EntsecServerConfig *config,
             const char         *file)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_canonicalize_filename (file, NULL);

  if (!entsec_server_restore (config, path, &error))
    {
      g_printerr ("entsec-server: %s\n", error->message);
      return 1;
    }
  g_print ("Restored the database of %s from %s\n", config->data_dir, path);
  return 0;
}

/* SIGHUP: the TLS files again; a bad new pair leaves the old one in use. */
static void
reload (EntsecServer *server)
{
  g_autoptr (GError) error = NULL;

  /* under systemd (Type=notify): reloading, then ready again; a no-op elsewhere */
  sd_notify (0, "RELOADING=1");
  if (!entsec_server_reload_tls (server, &error))
    g_message ("TLS certificate not reloaded, the old one stays in use: %s", error->message);
  sd_notify (0, "READY=1");
}

/* Waits for SIGINT or SIGTERM, which every thread has blocked (as SIGHUP,
 * which reloads). */
static void
wait_for_stop (EntsecServer   *server,
               const sigset_t *signals)
{
  int signal_number = 0;

  for (;;)
    {
      if (sigwait (signals, &signal_number) != 0)
        continue;
      if (signal_number != SIGHUP)
        break;
      reload (server);
    }
  sd_notify (0, "STOPPING=1");
  g_message ("Stopping (signal %d)", signal_number);
}

static int
run_server (EntsecServerConfig *config)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecServer) server = NULL;
  gboolean v6 = strchr (config->listen_host, ':') != NULL;
  g_autofree char *host = g_strdup (config->listen_host);
  sigset_t signals;
  int lock = -1;

  sigemptyset (&signals);
  sigaddset (&signals, SIGINT);
  sigaddset (&signals, SIGTERM);
  sigaddset (&signals, SIGHUP);
  pthread_sigmask (SIG_BLOCK, &signals, NULL);
  /* held shared until exit, so that --restore refuses to run under us; no
   * directory: entsec_server_start() says what is missing */
  if (g_file_test (config->data_dir, G_FILE_TEST_IS_DIR))
    lock = entsec_server_lock_data_dir (config->data_dir, FALSE, &error);
  if (error != NULL)
    {
      g_printerr ("entsec-server: %s\n", error->message);
      entsec_server_config_free (config);
      return 1;
    }
  server = entsec_server_start (config, &error);
  if (server == NULL)
    {
      g_printerr ("entsec-server: %s\n", error->message);
      if (lock >= 0)
        close (lock);
      return 1;
    }
  g_print ("entsec-server: listening on https://%s%s%s:%u\n", v6 ? "[" : "", host,
           v6 ? "]" : "", entsec_server_get_port (server));
  fflush (stdout);
  sd_notifyf (0, "READY=1\nSTATUS=Listening on port %u", entsec_server_get_port (server));
  wait_for_stop (server, &signals);
  g_clear_pointer (&server, entsec_server_free);
  if (lock >= 0)
    close (lock);
  return 0;
}

/* No core dumps holding keys; files private unless made public on purpose. */
static void
harden_process (void)
{
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  umask (077);
  signal (SIGPIPE, SIG_IGN);
}

int
entsec_server_main (int    argc,
                    char **argv)
{
  Options options = { 0 };
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecServerConfig) config = NULL;
  int status;

  harden_process ();
  entsec_server_log_init ();
  if (!parse_options (&argc, &argv, &options, &error))
    {
      g_printerr ("entsec-server: %s\n", error->message);
      options_clear (&options);
      return 2;
    }
  if (options.version)
    {
      g_print ("entsec-server %s\n", PACKAGE_VERSION);
      options_clear (&options);
      return 0;
    }
  config = load_config (&options, &error);
  if (config == NULL)
    {
      g_printerr ("entsec-server: %s\n", error->message);
      status = 2;
    }
  else if (options.init)
    status = run_init (config, (const char *const *) options.names);
  else if (options.migrate)
    status = run_migrate (config);
  else if (options.backup != NULL)
    status = run_backup (config, options.backup);
  else if (options.restore != NULL)
    status = run_restore (config, options.restore);
  else
    status = run_server (g_steal_pointer (&config));
  options_clear (&options);
  return status;
}
