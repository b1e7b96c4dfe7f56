/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-backup.c: --backup and --restore with SQLite's online backup API
 * (sqlite3_backup_*), which copies a consistent snapshot while writers go
 * on (WAL readers never block them), and the data directory lock.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "server-backup.h"
#include "server-enroll.h"
#include "server-init.h"
#include "server-private.h"
#include "server-storage.h"

int
entsec_server_lock_data_dir (const char *data_dir,
                             gboolean    exclusive,
                             GError    **error)
{
  g_autofree char *path = g_build_filename (data_dir, ENTSEC_SERVER_LOCK_FILE, NULL);
  int fd = open (path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  int saved;

  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_IO,
                   "Cannot open the lock file %s: %s", path, g_strerror (saved));
      return -1;
    }
  if (flock (fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0)
    return fd;
  saved = errno;
  close (fd);
  if (saved == EWOULDBLOCK)
    g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_EXISTS,
                 exclusive ? "A server is running on %s; stop it first (systemctl stop "
                             "entsec-server)"
                           : "A restore is under way in %s; start the server when it is done",
                 data_dir);
  else
    g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_IO,
                 "Cannot lock %s: %s", path, g_strerror (saved));
  return -1;
}

static gboolean
sqlite_error (GError    **error,
              sqlite3    *db,
              const char *what,
              const char *path)
{
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
               "%s %s: %s", what, path, db != NULL ? sqlite3_errmsg (db) : "out of memory");
  return FALSE;
}

/* The whole of @from_path into @to_path (an empty or new file) in one
 * step: one read transaction on the source, so one snapshot. The copy is
 * left in rollback-journal mode, a single self-contained file. */
static gboolean
copy_database (const char *from_path,
               const char *to_path,
               GError    **error)
{
  sqlite3 *from = NULL, *to = NULL;
  sqlite3_backup *backup;
  gboolean ok = FALSE;

  if (sqlite3_open_v2 (from_path, &from, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW,
                       NULL) != SQLITE_OK)
    sqlite_error (error, from, "Cannot open", from_path);
  else if (sqlite3_open_v2 (to_path, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW,
                            NULL) != SQLITE_OK)
    sqlite_error (error, to, "Cannot open", to_path);
  else if ((backup = sqlite3_backup_init (to, "main", from, "main")) == NULL)
    sqlite_error (error, to, "Cannot copy the database to", to_path);
  else
    {
      sqlite3_busy_timeout (from, 5000);
      sqlite3_backup_step (backup, -1);
      if (sqlite3_backup_finish (backup) != SQLITE_OK)
        sqlite_error (error, to, "Cannot copy the database to", to_path);
      else if (sqlite3_exec (to, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK)
        sqlite_error (error, to, "Cannot finish", to_path);
      else
        ok = TRUE;
    }
  sqlite3_close (from);
  sqlite3_close (to);
  return ok;
}

/* Data and the directory entry on disk before a rename makes them count. */
static gboolean
sync_path (const char *path,
           gboolean    directory,
           GError    **error)
{
  int fd = open (path, (directory ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
  int saved = 0;

  if (fd < 0 || fsync (fd) != 0)
    saved = errno;
  if (fd >= 0)
    close (fd);
  if (saved == 0)
    return TRUE;
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_IO,
               "Cannot write %s to disk: %s", path, g_strerror (saved));
  return FALSE;
}

/* A new empty 0600 file next to @path; its name goes to *@temp. */
static gboolean
make_temp (const char *path,
           char      **temp,
           GError    **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *name = g_strdup_printf (".%s.tmp-XXXXXX", base);
  int fd;

  *temp = g_build_filename (dir, name, NULL);
  fd = g_mkstemp_full (*temp, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_IO,
                   "Cannot create a file in %s: %s", dir, g_strerror (saved));
      g_clear_pointer (temp, g_free);
      return FALSE;
    }
  close (fd);
  return TRUE;
}

static gboolean
rename_into_place (const char *temp,
                   const char *path,
                   GError    **error)
{
  g_autofree char *dir = g_path_get_dirname (path);

  if (!sync_path (temp, FALSE, error))
    return FALSE;
  if (g_rename (temp, path) != 0)
    {
      int saved = errno;

      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_IO,
                   "Cannot rename %s to %s: %s", temp, path, g_strerror (saved));
      return FALSE;
    }
  return sync_path (dir, TRUE, error);
}

/* An entsec database this version reads: the storage code opens it
 * (schema version, every statement prepared) and it has a tenant salt. */
static gboolean
check_entsec_database (const char *path,
                       const char *shown,
                       GError    **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GBytes) salt = NULL;
  EntsecStorage *storage = entsec_storage_sqlite_open (path, FALSE, &local_error);
  gboolean ok = storage != NULL
                && entsec_storage_setting_get (storage, ENTSEC_ENROLL_TENANT_SALT, &salt,
                                               &local_error)
                && salt != NULL;

  entsec_storage_close (storage);
  if (ok)
    return TRUE;
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
               "%s is not an entsec server database this version can use%s%s", shown,
               local_error != NULL ? ": " : " (it has no tenant salt)",
               local_error != NULL ? local_error->message : "");
  return FALSE;
}

/* --backup and --restore copy an SQLite file; a PostgreSQL database has
 * its own tools. */
static gboolean
check_sqlite_config (const EntsecServerConfig *config,
                     const char               *what,
                     GError                  **error)
{
  if (config->database == NULL)
    return TRUE;
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
               "--%s works on the SQLite database only; this server uses PostgreSQL "
               "(the \"database\" setting): use pg_dump and pg_restore "
               "(docs/server.md, \"Backups\")", what);
  return FALSE;
}

gboolean
entsec_server_backup (const EntsecServerConfig *config,
                      const char               *file,
                      GError                  **error)
{
  g_autofree char *db = entsec_server_config_path (config, ENTSEC_SERVER_DB_FILE);
  g_autofree char *temp = NULL;
  gboolean ok;

  if (!check_sqlite_config (config, "backup", error))
    return FALSE;
  if (!g_file_test (db, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
                   "There is no database at %s (see --data-dir)", db);
      return FALSE;
    }
  if (!make_temp (file, &temp, error))
    return FALSE;
  ok = copy_database (db, temp, error) && check_entsec_database (temp, file, error)
       && rename_into_place (temp, file, error);
  if (!ok)
    g_unlink (temp);
  return ok;
}

/* The old database's WAL goes into it and away, so that the new file does
 * not meet a log that is not its own. */
static gboolean
checkpoint_old (const char *db,
                GError    **error)
{
  g_autofree char *wal = g_strconcat (db, "-wal", NULL);
  sqlite3 *conn = NULL;
  gboolean ok;

  if (!g_file_test (db, G_FILE_TEST_EXISTS))
    return TRUE;
  ok = sqlite3_open_v2 (db, &conn, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) == SQLITE_OK
       && sqlite3_exec (conn, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) == SQLITE_OK;
  if (!ok)
    sqlite_error (error, conn, "Cannot checkpoint the current database", db);
  sqlite3_close (conn);
  if (ok && g_file_test (wal, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
                   "%s is still in use (is a server running?)", wal);
      return FALSE;
    }
  return ok;
}

/* @file is an SQLite database at all (reading its schema parses its header). */
static gboolean
check_sqlite (const char *file,
              GError    **error)
{
  sqlite3 *conn = NULL;
  gboolean ok = sqlite3_open_v2 (file, &conn, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK
                && sqlite3_exec (conn, "PRAGMA schema_version", NULL, NULL, NULL) == SQLITE_OK;

  if (!ok)
    g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                 "%s is not an entsec server database this version can use: %s", file,
                 conn != NULL ? sqlite3_errmsg (conn) : "out of memory");
  sqlite3_close (conn);
  return ok;
}

gboolean
entsec_server_restore (const EntsecServerConfig *config,
                       const char               *file,
                       GError                  **error)
{
  g_autofree char *db = entsec_server_config_path (config, ENTSEC_SERVER_DB_FILE);
  g_autofree char *temp = NULL;
  int lock;
  gboolean ok;

  if (!check_sqlite_config (config, "restore", error))
    return FALSE;
  if (!g_file_test (file, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_IO,
                   "%s is not a file", file);
      return FALSE;
    }
  if (!check_sqlite (file, error))
    return FALSE;
  lock = entsec_server_lock_data_dir (config->data_dir, TRUE, error);
  if (lock < 0)
    return FALSE;
  ok = make_temp (db, &temp, error);
  ok = ok && copy_database (file, temp, error) && check_entsec_database (temp, file, error)
       && checkpoint_old (db, error) && rename_into_place (temp, db, error);
  if (!ok && temp != NULL)
    g_unlink (temp);
  close (lock);
  return ok;
}
