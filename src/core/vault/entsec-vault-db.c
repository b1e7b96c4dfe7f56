/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-vault-db.c: the SQLite side of the vault: file modes, opening
 * read-write or read-only, the schema, and errors a user can act on.
 */

#define G_LOG_DOMAIN "entsec-vault"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "entsec-vault-private.h"

/*
 * SQLite's own wording ("attempt to write a readonly database") goes to the
 * debug log only: users get what happened and what to do.
 */
void
vault_db_set_error (sqlite3    *db,
                    int         rc,
                    const char *what,
                    GError    **error)
{
  g_debug ("%s: SQLite %d (%s)", what, rc,
           db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
  switch (rc & 0xff)
    {
    case SQLITE_NOTADB:
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT,
                   "%s: the file is not an entsec vault, or it is damaged; it was not "
                   "modified. Check the path, or restore the vault from a backup", what);
      break;
    case SQLITE_CORRUPT:
    case SQLITE_FORMAT:
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT,
                   "%s: the vault file is damaged; it was not modified. "
                   "Restore it from a backup", what);
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IN_USE,
                   "%s: another program kept the vault busy for more than %d seconds; "
                   "nothing was changed. Retry in a moment", what, VAULT_BUSY_TIMEOUT_MS / 1000);
      break;
    case SQLITE_FULL:
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IO,
                   "%s: the disk is full; nothing was changed. Free some space and retry", what);
      break;
    case SQLITE_READONLY:
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IO,
                   "%s: the vault cannot be written here (a read-only file, folder or file "
                   "system); nothing was changed. Codes can still be read", what);
      break;
    case SQLITE_PERM:
    case SQLITE_AUTH:
    case SQLITE_CANTOPEN:
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IO,
                   "%s: permission denied, or a file next to the vault (-wal, -shm) cannot "
                   "be opened; nothing was changed. Check the files' owner and modes", what);
      break;
    case SQLITE_IOERR:
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IO,
                   "%s: the disk reported an input/output error; nothing was changed. "
                   "Check the disk, then retry", what);
      break;
    default:
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IO,
                   "%s: the database reported an internal error (%d); nothing was changed",
                   what, rc & 0xff);
      break;
    }
}

/* sqlite3_exec(); a failure reads "@what: why". */
static gboolean
exec_what (sqlite3    *db,
           const char *sql,
           const char *what,
           GError    **error)
{
  int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      vault_db_set_error (db, rc, what, error);
      return FALSE;
    }
  return TRUE;
}

gboolean
vault_db_exec (sqlite3    *db,
               const char *sql,
               GError    **error)
{
  return exec_what (db, sql, "Cannot update the vault", error);
}

sqlite3_stmt *
vault_db_prepare (sqlite3    *db,
                  const char *sql,
                  GError    **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      vault_db_set_error (db, rc, "Cannot read the vault", error);
      sqlite3_finalize (stmt);
      return NULL;
    }
  return stmt;
}

gboolean
vault_db_step_done (sqlite3      *db,
                    sqlite3_stmt *stmt,
                    const char   *what,
                    GError      **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      vault_db_set_error (db, rc, what, error);
      return FALSE;
    }
  return TRUE;
}

gboolean
vault_db_begin (sqlite3 *db,
                GError **error)
{
  return vault_db_exec (db, "BEGIN IMMEDIATE", error);
}

gboolean
vault_db_commit (sqlite3 *db,
                 GError **error)
{
  if (!vault_db_exec (db, "COMMIT", error))
    {
      vault_db_rollback (db);
      return FALSE;
    }
  return TRUE;
}

void
vault_db_rollback (sqlite3 *db)
{
  if (!sqlite3_get_autocommit (db))
    sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
}

static const char schema_v1[] =
  "CREATE TABLE vault (id INTEGER PRIMARY KEY CHECK (id = 1),"
  "                    vault_id BLOB NOT NULL, header_tag BLOB NOT NULL);"
  "CREATE TABLE slots (id INTEGER PRIMARY KEY, type INTEGER NOT NULL,"
  "                    params BLOB NOT NULL, wrapped BLOB NOT NULL);"
  "CREATE TABLE accounts (id INTEGER PRIMARY KEY, position INTEGER NOT NULL,"
  "                       data BLOB NOT NULL);"
  "CREATE TABLE prefs (name_id BLOB PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;";

/*
 * Schema upgrades: entry N turns format N + 1 into N + 2. A new vault is made
 * by running them too, so its tables are exactly those of an upgraded one.
 * Each runs in the one transaction that also re-encrypts the rows
 * (entsec-vault-upgrade.c), together with its new user_version.
 */
static const char *const migrations[ENTSEC_VAULT_FORMAT_VERSION - 1] = {
  /* 1 -> 2: row versions and the authenticated index. */
  "ALTER TABLE vault ADD COLUMN row_index BLOB NOT NULL DEFAULT x'';"
  "ALTER TABLE accounts ADD COLUMN version INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE prefs ADD COLUMN version INTEGER NOT NULL DEFAULT 0;",
  /* 2 -> 3: rows readable while locked, sealed by their owners (the device key). */
  "CREATE TABLE locked_rows (name TEXT PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;",
};

gboolean
vault_db_schema_sql (sqlite3 *db,
                     gint64   version)
{
  if (version < 1 || version > ENTSEC_VAULT_FORMAT_VERSION
      || sqlite3_exec (db, schema_v1, NULL, NULL, NULL) != SQLITE_OK)
    return FALSE;
  for (gint64 v = 1; v < version; v++)
    {
      if (sqlite3_exec (db, migrations[v - 1], NULL, NULL, NULL) != SQLITE_OK)
        return FALSE;
    }
  return TRUE;
}

gboolean
vault_db_create_schema (sqlite3 *db,
                        GError **error)
{
  g_autofree char *pragmas = g_strdup_printf ("PRAGMA application_id = %d; "
                                              "PRAGMA user_version = %d;",
                                              VAULT_APPLICATION_ID, ENTSEC_VAULT_FORMAT_VERSION);

  if (!vault_db_schema_sql (db, ENTSEC_VAULT_FORMAT_VERSION))
    {
      vault_db_set_error (db, sqlite3_errcode (db), "Cannot create the vault", error);
      return FALSE;
    }
  return vault_db_exec (db, pragmas, error);
}

gboolean
vault_db_upgrade_schema (sqlite3 *db,
                         gint64   from,
                         GError **error)
{
  g_autofree char *bump = g_strdup_printf ("PRAGMA user_version = %d",
                                           ENTSEC_VAULT_FORMAT_VERSION);

  g_return_val_if_fail (from >= 1 && from < ENTSEC_VAULT_FORMAT_VERSION, FALSE);
  for (gint64 v = from; v < ENTSEC_VAULT_FORMAT_VERSION; v++)
    {
      if (!vault_db_exec (db, migrations[v - 1], error))
        return FALSE;
    }
  return vault_db_exec (db, bump, error);
}

static gint64
query_int (sqlite3    *db,
           const char *sql,
           int        *rc)
{
  sqlite3_stmt *stmt = NULL;
  gint64 value = -1;

  *rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
  if (*rc == SQLITE_OK)
    {
      *rc = sqlite3_step (stmt);
      if (*rc == SQLITE_ROW)
        {
          value = sqlite3_column_int64 (stmt, 0);
          *rc = SQLITE_OK;
        }
    }
  sqlite3_finalize (stmt);
  return value;
}

/* SQLite's own handler (sqlite3_busy_timeout) sleeps longer and longer, up
 * to 100 ms between tries: a program that writes often (the app's worker)
 * then takes the lock again in the short gaps between its transactions
 * before a waiting program (entsec-cli) looks again, and the waiter gives
 * up after the timeout though the vault was free many times. Trying every
 * millisecond catches those gaps. @count is the number of tries so far;
 * each slept at least a millisecond, so the wait is bounded by the timeout
 * (longer in wall time only when the machine is slow to wake us). */
static int
busy_retry_cb (void *data,
               int   count)
{
  (void) data;
  if (count >= VAULT_BUSY_TIMEOUT_MS)
    return 0;
  g_usleep (1000);
  return 1;
}

void
vault_db_set_busy_wait (sqlite3 *db,
                        gboolean wait)
{
  sqlite3_busy_handler (db, wait ? busy_retry_cb : NULL, NULL);
}

/* Connection settings; none of them writes to the file. */
static gboolean
configure_connection (sqlite3 *db,
                      GError **error)
{
  sqlite3_extended_result_codes (db, 1);
  /* Writers wait for each other (BEGIN IMMEDIATE); readers never wait (WAL). */
  vault_db_set_busy_wait (db, TRUE);
  /* A failed open must not even checkpoint a leftover WAL into the file. */
  sqlite3_db_config (db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
  sqlite3_db_config (db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
  sqlite3_db_config (db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
  /* A hostile file cannot run SQL of its own (the schema check refuses them too). */
  sqlite3_db_config (db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
  sqlite3_db_config (db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
  /* The first statements that read the file: a non-vault file fails here. */
  return exec_what (db,
                    "PRAGMA synchronous = FULL; PRAGMA secure_delete = ON;"
                    "PRAGMA cell_size_check = ON; PRAGMA foreign_keys = ON;",
                    "Cannot open the vault", error);
}

/* The application id and the format version; *@version gets the latter. */
static gboolean
check_identity (sqlite3 *db,
                gint64  *version_out,
                GError **error)
{
  int rc;
  gint64 app_id = query_int (db, "PRAGMA application_id", &rc);
  gint64 version;

  if (rc != SQLITE_OK)
    {
      vault_db_set_error (db, rc, "Cannot open the vault", error);
      return FALSE;
    }
  if (app_id != VAULT_APPLICATION_ID)
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT,
                           "This file is not an entsec vault (or its header is damaged); "
                           "it was not modified");
      return FALSE;
    }
  version = query_int (db, "PRAGMA user_version", &rc);
  if (version > ENTSEC_VAULT_FORMAT_VERSION)
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_VERSION,
                   "The vault has format %" G_GINT64_FORMAT ", newer than this entsec reads (%d); "
                   "update entsec", version, ENTSEC_VAULT_FORMAT_VERSION);
      return FALSE;
    }
  if (version < 1)
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT,
                           "The vault's format version is missing: the file is damaged; "
                           "it was not modified");
      return FALSE;
    }
  *version_out = version;
  return TRUE;
}

/* Every schema entry of @db (type, name, table, SQL text) in a fixed order. */
static GString *
describe_schema (sqlite3 *db,
                 int     *rc)
{
  GString *out = g_string_new (NULL);
  sqlite3_stmt *stmt = NULL;

  *rc = sqlite3_prepare_v2 (db, "SELECT type, name, tbl_name, sql FROM sqlite_schema "
                                "ORDER BY type, name", -1, &stmt, NULL);
  if (*rc == SQLITE_OK)
    {
      for (*rc = sqlite3_step (stmt); *rc == SQLITE_ROW; *rc = sqlite3_step (stmt))
        {
          for (int i = 0; i < 4; i++)
            g_string_append_printf (out, "%s\x1f", (const char *) sqlite3_column_text (stmt, i));
          g_string_append_c (out, '\x1e');
        }
      if (*rc == SQLITE_DONE)
        *rc = SQLITE_OK;
    }
  sqlite3_finalize (stmt);
  return out;
}

/* The schema format @version has, built in memory the way a vault gets it. */
static GString *
expected_schema (gint64 version)
{
  sqlite3 *db = NULL;
  GString *out = NULL;
  int rc = sqlite3_open_v2 (":memory:", &db, SQLITE_OPEN_READWRITE, NULL);

  if (rc == SQLITE_OK && vault_db_schema_sql (db, version))
    out = describe_schema (db, &rc);
  sqlite3_close (db);
  return out;
}

/*
 * The file holds exactly the tables and indexes of its format: no trigger,
 * no view, no extra table, no changed column or default.
 */
static gboolean
check_schema (sqlite3 *db,
              gint64   version,
              GError **error)
{
  g_autoptr (GString) want = expected_schema (version);
  g_autoptr (GString) have = NULL;
  int rc;

  have = describe_schema (db, &rc);
  if (rc != SQLITE_OK)
    {
      vault_db_set_error (db, rc, "Cannot open the vault", error);
      return FALSE;
    }
  if (want == NULL || !g_string_equal (want, have))
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT,
                   "The vault's tables are not those of an entsec vault of format %"
                   G_GINT64_FORMAT " (a trigger, view or table was added or changed): the "
                   "file was damaged or tampered with. It was not modified; restore it from "
                   "a backup", version);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_structure (sqlite3 *db,
                 GError **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok = FALSE;
  int rc = sqlite3_prepare_v2 (db, "PRAGMA quick_check(1)", -1, &stmt, NULL);

  if (rc == SQLITE_OK)
    {
      rc = sqlite3_step (stmt);
      ok = rc == SQLITE_ROW
           && g_strcmp0 ((const char *) sqlite3_column_text (stmt, 0), "ok") == 0;
    }
  sqlite3_finalize (stmt);
  if (!ok)
    g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT,
                         "The vault file is damaged (its structure check failed); "
                         "it was not modified. Restore it from a backup");
  return ok;
}

/* Why @path cannot be opened as a vault, or TRUE when it is a regular file. */
static gboolean
check_vault_path (const char *path,
                  GError    **error)
{
  struct stat st;

  if (stat (path, &st) != 0)
    {
      int saved = errno;

      if (saved == ENOENT)
        g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NOT_FOUND,
                     "There is no vault at %s; create one with 'entsec-cli init'", path);
      else
        g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IO,
                     "Cannot open the vault %s: %s", path, g_strerror (saved));
      return FALSE;
    }
  if (S_ISDIR (st.st_mode))
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NOT_FOUND,
                   "%s is a folder; give the vault file itself (for example "
                   "%s/default.db)", path, path);
      return FALSE;
    }
  if (!S_ISREG (st.st_mode))
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT,
                   "%s is not a regular file, so it is not an entsec vault", path);
      return FALSE;
    }
  if (access (path, R_OK) != 0)
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IO,
                   "Cannot open the vault %s: permission denied (the file belongs to "
                   "another user, or its mode forbids reading)", path);
      return FALSE;
    }
  return TRUE;
}

/*
 * Whether this process can write the vault: the file, and its folder (SQLite
 * creates -wal and -shm there). A -shm file of ours left read-only (by a
 * copy, or a read-only mount since remounted) is made writable again, since
 * SQLite would otherwise open the vault read-only forever.
 */
static gboolean
can_write (const char *path)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  struct stat st;

  if (access (path, W_OK) != 0 || access (dir, W_OK) != 0)
    return FALSE;
  if (lstat (shm, &st) == 0 && S_ISREG (st.st_mode) && st.st_uid == geteuid ()
      && access (shm, W_OK) != 0)
    chmod (shm, 0600);
  return TRUE;
}

/* Open @path read-only: through the -shm when it can be used, else immutable. */
static int
open_read_only (const char *path,
                sqlite3   **db)
{
  g_autofree char *uri = g_filename_to_uri (path, NULL, NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *ro_uri = g_strconcat (uri, "?mode=ro", NULL);
  g_autofree char *immutable_uri = g_strconcat (uri, "?mode=ro&immutable=1", NULL);
  int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX;
  struct stat st;
  int rc = sqlite3_open_v2 (ro_uri, db, flags, NULL);

  if (rc == SQLITE_OK)
    rc = sqlite3_exec (*db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
  /* No -shm can be made here. With an empty or no WAL nothing is lost by
   * reading the file as immutable (nobody can write it either). */
  if (rc != SQLITE_OK && (stat (wal, &st) != 0 || st.st_size == 0))
    {
      sqlite3_close (*db);
      *db = NULL;
      rc = sqlite3_open_v2 (immutable_uri, db, flags, NULL);
    }
  return rc;
}

/*
 * Open read-write; on a full disk (SQLite cannot even size the -shm) say so
 * in *@why and leave *@db NULL, so the caller opens read-only instead.
 */
static int
open_read_write (const char *path,
                 sqlite3   **db,
                 int        *why)
{
  int rc = sqlite3_open_v2 (path, db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL);

  if (rc == SQLITE_OK)
    {
      sqlite3_extended_result_codes (*db, 1);
      rc = sqlite3_exec (*db, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    }
  if (rc == SQLITE_FULL || rc == SQLITE_IOERR_SHMSIZE || rc == SQLITE_IOERR_SHMOPEN
      || rc == SQLITE_IOERR_SHMMAP || rc == SQLITE_IOERR_WRITE)
    {
      sqlite3_close (*db);
      *db = NULL;
      *why = SQLITE_FULL;
    }
  return rc;
}

sqlite3 *
vault_db_open_existing (const char *path,
                        int        *read_only,
                        GError    **error)
{
  sqlite3 *db = NULL;
  gint64 version = 0;
  int rc;

  if (!check_vault_path (path, error))
    return NULL;
  *read_only = can_write (path) ? 0 : SQLITE_READONLY;
  if (*read_only == 0)
    rc = open_read_write (path, &db, read_only);
  if (*read_only != 0)
    rc = open_read_only (path, &db);
  if (rc != SQLITE_OK)
    {
      vault_db_set_error (db, rc, "Cannot open the vault", error);
      sqlite3_close (db);
      return NULL;
    }
  if (!configure_connection (db, error) || !check_identity (db, &version, error)
      || !check_schema (db, version, error) || !check_structure (db, error))
    {
      sqlite3_close (db);
      return NULL;
    }
  return db;
}

static gboolean
make_parent_dir (const char *path,
                 GError    **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  struct stat st;

  if (g_mkdir_with_parents (dir, 0700) != 0 || stat (dir, &st) != 0)
    {
      int saved = errno;
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IO,
                   "Cannot create the folder %s: %s", dir, g_strerror (saved));
      return FALSE;
    }
  /* Our own data dir is made private whatever the umask said. */
  if (g_str_has_suffix (dir, "/entsec") && (st.st_mode & 077) != 0)
    chmod (dir, 0700);
  return TRUE;
}

sqlite3 *
vault_db_create (const char *path,
                 GError    **error)
{
  sqlite3 *db = NULL;
  int fd, rc;

  if (!make_parent_dir (path, error))
    return NULL;
  fd = open (path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, ENTSEC_VAULT_ERROR,
                   saved == EEXIST ? ENTSEC_VAULT_ERROR_EXISTS : ENTSEC_VAULT_ERROR_IO,
                   saved == EEXIST ? "A file exists already at %s; it was left alone%s"
                                   : "Cannot create %s: %s",
                   path, saved == EEXIST ? "" : g_strerror (saved));
      return NULL;
    }
  fchmod (fd, 0600);
  close (fd);
  rc = sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL);
  if (rc != SQLITE_OK || !configure_connection (db, error)
      || !vault_db_exec (db, "PRAGMA journal_mode = WAL", error))
    {
      if (rc != SQLITE_OK)
        vault_db_set_error (db, rc, "Cannot create the vault", error);
      sqlite3_close (db);
      g_unlink (path);
      return NULL;
    }
  return db;
}

gint64
vault_db_format (sqlite3 *db)
{
  int rc;
  gint64 version = query_int (db, "PRAGMA user_version", &rc);

  return rc == SQLITE_OK ? version : -1;
}
