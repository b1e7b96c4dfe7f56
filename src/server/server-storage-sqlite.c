/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-storage-sqlite.c: the SQLite backend. WAL mode; one writer
 * connection behind a mutex (SQLite allows one writer) whose calls share
 * transactions and their fsync (group commit, below), and a pool of
 * reader connections that see committed data only. Statements are
 * prepared once per connection and kept; every value is bound.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include <sqlite3.h>

#include "server-storage-sqlite-private.h"

static const char schema_v1[] =
  "CREATE TABLE users ("
  "  id TEXT PRIMARY KEY,"
  "  email TEXT UNIQUE,"
  "  phone TEXT UNIQUE,"
  "  name TEXT,"
  "  disabled INTEGER NOT NULL DEFAULT 0,"
  "  created INTEGER NOT NULL,"
  "  CHECK (email IS NOT NULL OR phone IS NOT NULL));"
  "CREATE TABLE admins ("
  "  id TEXT PRIMARY KEY,"
  "  name TEXT NOT NULL UNIQUE,"
  "  token_sha256 BLOB NOT NULL UNIQUE CHECK (length(token_sha256) = 32));"
  "CREATE TABLE audit ("
  "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  time INTEGER NOT NULL,"
  "  actor TEXT NOT NULL,"
  "  action TEXT NOT NULL,"
  "  target TEXT);"
  "CREATE TABLE settings ("
  "  key TEXT PRIMARY KEY,"
  "  value BLOB NOT NULL);"
  "CREATE TABLE enrollments ("
  "  id TEXT PRIMARY KEY,"
  "  channel TEXT NOT NULL,"
  "  address TEXT NOT NULL,"
  "  user_id TEXT,"
  "  code_sha256 BLOB NOT NULL,"
  "  nonce_sha256 BLOB NOT NULL,"
  "  created INTEGER NOT NULL,"
  "  expires INTEGER NOT NULL,"
  "  attempts INTEGER NOT NULL DEFAULT 0,"
  "  state INTEGER NOT NULL DEFAULT 0,"
  "  token_sha256 BLOB,"
  "  token_expires INTEGER,"
  "  challenge_sha256 BLOB);"
  "CREATE INDEX enrollments_address ON enrollments (channel, address, created);"
  ENTSEC_SQLITE_SCHEMA_RP
  "PRAGMA user_version = 1;";

typedef enum
{
  STMT_USER_INSERT,
  STMT_USER_GET,
  STMT_USER_LIST,
  STMT_USER_DELETE,
  STMT_ADMIN_INSERT,
  STMT_ADMIN_LIST,
  STMT_AUDIT_INSERT,
  STMT_AUDIT_LIST,
  STMT_USER_FIND_EMAIL,
  STMT_USER_FIND_PHONE,
  STMT_SETTING_GET,
  STMT_SETTING_SET,
  STMT_ENROLLMENT_LAST,
  STMT_ENROLLMENT_REPLACE,
  STMT_ENROLLMENT_INSERT,
  STMT_ENROLLMENT_GET,
  STMT_ENROLLMENT_UPDATE,
  /* entsec-admin (srv-admin) */
  STMT_USER_SET_DISABLED,
  N_STMTS
} StmtId;

/* A commit shares its fsync among at most this many calls, so that a
 * steady stream of calls cannot hold one transaction open for long. */
#define BATCH_MAX_CALLS 64

static const char *const stmt_sql[N_STMTS] = {
  [STMT_USER_INSERT] = "INSERT INTO users (id, email, phone, name, disabled, created) "
                       "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
  [STMT_USER_GET] = "SELECT id, email, phone, name, disabled, created FROM users WHERE id = ?1",
  [STMT_USER_LIST] = "SELECT id, email, phone, name, disabled, created FROM users "
                     "WHERE id > ?1 ORDER BY id LIMIT ?2",
  [STMT_USER_DELETE] = "DELETE FROM users WHERE id = ?1",
  [STMT_USER_SET_DISABLED] = "UPDATE users SET disabled = ?2 WHERE id = ?1",
  [STMT_ADMIN_INSERT] = "INSERT INTO admins (id, name, token_sha256) VALUES (?1, ?2, ?3)",
  [STMT_ADMIN_LIST] = "SELECT id, name, token_sha256 FROM admins ORDER BY id",
  [STMT_AUDIT_INSERT] = "INSERT INTO audit (time, actor, action, target) VALUES (?1, ?2, ?3, ?4)",
  [STMT_AUDIT_LIST] = "SELECT seq, time, actor, action, target FROM audit "
                      "WHERE seq > ?1 ORDER BY seq LIMIT ?2",
  [STMT_USER_FIND_EMAIL] = "SELECT id, email, phone, name, disabled, created FROM users "
                           "WHERE email = ?1 AND disabled = 0",
  [STMT_USER_FIND_PHONE] = "SELECT id, email, phone, name, disabled, created FROM users "
                           "WHERE phone = ?1 AND disabled = 0",
  [STMT_SETTING_GET] = "SELECT value FROM settings WHERE key = ?1",
  [STMT_SETTING_SET] = "INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)",
  [STMT_ENROLLMENT_LAST] = "SELECT max(created) FROM enrollments "
                           "WHERE channel = ?1 AND address = ?2",
  [STMT_ENROLLMENT_REPLACE] = "UPDATE enrollments SET state = 3 "
                              "WHERE channel = ?1 AND address = ?2 AND state = 0",
  [STMT_ENROLLMENT_INSERT] = "INSERT INTO enrollments (id, channel, address, user_id, "
                             "code_sha256, nonce_sha256, created, expires) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
  [STMT_ENROLLMENT_GET] = "SELECT id, channel, address, user_id, code_sha256, nonce_sha256, "
                          "created, expires, attempts, state, token_sha256, token_expires, "
                          "challenge_sha256 FROM enrollments WHERE id = ?1",
  [STMT_ENROLLMENT_UPDATE] = "UPDATE enrollments SET attempts = ?2, state = ?3, "
                             "token_sha256 = ?4, token_expires = ?5, challenge_sha256 = ?7 "
                             "WHERE id = ?1 AND state = 0 AND attempts = ?6",
};

/* The transaction the writer's calls share: open until committed. */
typedef struct
{
  guint    refs;
  gboolean done;
  char    *failure; /* why the commit failed; NULL once committed */
} SqliteBatch;

typedef struct
{
  EntsecStorage     parent;
  char             *path;
  GMutex            lock;      /* the writer and the batch */
  GCond             committed; /* a batch is done */
  EntsecSqliteConn *writer;
  SqliteBatch      *batch;       /* the open transaction, NULL when none */
  guint             batch_calls; /* calls in it so far */
  gint              joining;     /* atomic: write calls waiting for the lock */
  GMutex            readers_lock;
  GPtrArray        *readers; /* every reader, for the close */
  GPtrArray        *idle;    /* readers no call holds */
} SqliteStorage;

static void
conn_free (EntsecSqliteConn *conn)
{
  g_clear_pointer (&conn->stmts, g_hash_table_unref); /* finalizes the statements */
  g_clear_pointer (&conn->used, g_ptr_array_unref);
  sqlite3_close (conn->db);
  g_free (conn);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecSqliteConn, conn_free)

/* Runs @sql, which may be several statements, outside the statement cache. */
static gboolean
conn_exec (EntsecSqliteConn *conn,
           const char       *sql,
           const char       *doing,
           GError          **error)
{
  if (sqlite3_exec (conn->db, sql, NULL, NULL, NULL) == SQLITE_OK)
    return TRUE;
  return entsec_sqlite_fail (conn, doing, error);
}

/* Resets what the call that ends used, so that no statement keeps a read
 * transaction (and with it an old snapshot) open. */
static void
conn_reset_used (EntsecSqliteConn *conn)
{
  for (guint i = 0; i < conn->used->len; i++)
    {
      sqlite3_stmt *stmt = g_ptr_array_index (conn->used, i);

      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
    }
  g_ptr_array_set_size (conn->used, 0);
}

static void
stmt_finalize (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

static EntsecSqliteConn *
conn_open (const char *path,
           int         flags,
           const char *setup,
           GError    **error)
{
  g_autoptr (EntsecSqliteConn) conn = g_new0 (EntsecSqliteConn, 1);

  conn->stmts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, stmt_finalize);
  conn->used = g_ptr_array_new ();
  if (sqlite3_open_v2 (path, &conn->db, flags | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
                   "Cannot open the database %s: %s", path, sqlite3_errmsg (conn->db));
      return NULL;
    }
  sqlite3_extended_result_codes (conn->db, 1);
  sqlite3_busy_timeout (conn->db, 5000);
  if (!conn_exec (conn, setup, "setting it up", error))
    return NULL;
  return g_steal_pointer (&conn);
}

static void
batch_unref (SqliteBatch *batch)
{
  if (--batch->refs > 0)
    return;
  g_free (batch->failure);
  g_free (batch);
}

/* Ends the open batch (lock held): committed when @failure is NULL. */
static void
batch_finish (SqliteStorage *self,
              const char    *failure)
{
  SqliteBatch *batch = self->batch;

  batch->done = TRUE;
  batch->failure = g_strdup (failure);
  self->batch = NULL;
  self->batch_calls = 0;
  batch_unref (batch);
  g_cond_broadcast (&self->committed);
}

static void
batch_commit (SqliteStorage *self)
{
  sqlite3 *db = self->writer->db;
  g_autofree char *failure = NULL;

  if (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    {
      failure = g_strdup (sqlite3_errmsg (db));
      if (!sqlite3_get_autocommit (db))
        sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
    }
  batch_finish (self, failure);
}

/* A call leaves the batch (lock held) and waits until it is committed. The
 * call that finds no other write call waiting for the lock commits: the
 * calls that queued up during the last commit all get into this one. */
static char *
batch_leave (SqliteStorage *self)
{
  SqliteBatch *batch = self->batch;
  char *failure;

  batch->refs++;
  self->batch_calls++;
  if (sqlite3_get_autocommit (self->writer->db))
    batch_finish (self, "the transaction was rolled back");
  else if (g_atomic_int_get (&self->joining) == 0 || self->batch_calls >= BATCH_MAX_CALLS)
    batch_commit (self);
  while (!batch->done)
    g_cond_wait (&self->committed, &self->lock);
  failure = g_strdup (batch->failure);
  batch_unref (batch);
  return failure;
}

EntsecSqliteConn *
entsec_sqlite_write_begin (EntsecStorage *storage,
                           GError       **error)
{
  SqliteStorage *self = (SqliteStorage *) storage;
  EntsecSqliteConn *conn = self->writer;
  g_autofree char *failure = NULL;

  g_atomic_int_inc (&self->joining);
  g_mutex_lock (&self->lock);
  g_atomic_int_add (&self->joining, -1);
  if (self->batch == NULL)
    {
      if (!conn_exec (conn, "BEGIN IMMEDIATE", "beginning a transaction", error))
        {
          g_mutex_unlock (&self->lock);
          return NULL;
        }
      self->batch = g_new0 (SqliteBatch, 1);
      self->batch->refs = 1;
    }
  if (conn_exec (conn, "SAVEPOINT call", "beginning a transaction", error))
    return conn;
  failure = batch_leave (self);
  g_mutex_unlock (&self->lock);
  return NULL;
}

gboolean
entsec_sqlite_write_end (EntsecStorage *storage,
                         gboolean       ok,
                         GError       **error)
{
  SqliteStorage *self = (SqliteStorage *) storage;
  EntsecSqliteConn *conn = self->writer;
  g_autofree char *failure = NULL;

  conn_reset_used (conn);
  if (ok)
    ok = conn_exec (conn, "RELEASE call", "ending a transaction", error);
  if (!ok)
    sqlite3_exec (conn->db, "ROLLBACK TO call; RELEASE call", NULL, NULL, NULL);
  failure = batch_leave (self);
  g_mutex_unlock (&self->lock);
  if (ok && failure != NULL)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
                   "The database could not commit a change: %s", failure);
      ok = FALSE;
    }
  return ok;
}

EntsecSqliteConn *
entsec_sqlite_read_begin (EntsecStorage *storage,
                          GError       **error)
{
  SqliteStorage *self = (SqliteStorage *) storage;
  EntsecSqliteConn *conn = NULL;

  g_mutex_lock (&self->readers_lock);
  if (self->idle->len > 0)
    conn = g_ptr_array_steal_index_fast (self->idle, self->idle->len - 1);
  g_mutex_unlock (&self->readers_lock);
  if (conn != NULL)
    return conn;
  conn = conn_open (self->path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                    "PRAGMA query_only = ON; PRAGMA trusted_schema = OFF;", error);
  if (conn == NULL)
    return NULL;
  g_mutex_lock (&self->readers_lock);
  g_ptr_array_add (self->readers, conn);
  g_mutex_unlock (&self->readers_lock);
  return conn;
}

void
entsec_sqlite_read_end (EntsecStorage    *storage,
                        EntsecSqliteConn *conn)
{
  SqliteStorage *self = (SqliteStorage *) storage;

  conn_reset_used (conn);
  g_mutex_lock (&self->readers_lock);
  g_ptr_array_add (self->idle, conn);
  g_mutex_unlock (&self->readers_lock);
}

/* A statement of this file's table, @doing: what a failure says. */
static sqlite3_stmt *
stmt_get (EntsecSqliteConn *conn,
          StmtId            id,
          const char       *doing,
          GError          **error)
{
  return entsec_sqlite_prepare (conn, stmt_sql[id], doing, error);
}

static gboolean
sqlite_user_create (EntsecStorage    *storage,
                    const EntsecUser *user,
                    GError          **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt = entsec_sqlite_write_prepare (storage, &conn,
                                                    stmt_sql[STMT_USER_INSERT], "adding a user",
                                                    error);
  gboolean ok = stmt != NULL;

  if (ok)
    {
      entsec_sqlite_bind_text (stmt, 1, user->id);
      entsec_sqlite_bind_text (stmt, 2, user->email);
      entsec_sqlite_bind_text (stmt, 3, user->phone);
      entsec_sqlite_bind_text (stmt, 4, user->name);
      sqlite3_bind_int (stmt, 5, user->disabled ? 1 : 0);
      sqlite3_bind_int64 (stmt, 6, user->created);
      ok = entsec_sqlite_run (conn, stmt, "adding a user", error);
    }
  return conn != NULL && entsec_sqlite_write_end (storage, ok, error);
}

static gpointer
user_from_row (sqlite3_stmt *stmt)
{
  EntsecUser *user = g_new0 (EntsecUser, 1);

  user->id = entsec_sqlite_column_text (stmt, 0);
  user->email = entsec_sqlite_column_text (stmt, 1);
  user->phone = entsec_sqlite_column_text (stmt, 2);
  user->name = entsec_sqlite_column_text (stmt, 3);
  user->disabled = sqlite3_column_int (stmt, 4) != 0;
  user->created = sqlite3_column_int64 (stmt, 5);
  return user;
}

/* The first row of statement @id with @text bound to ?1, through
 * @from_row; NULL (error unset) when there is none. */
static gpointer
read_one (EntsecStorage *storage,
          StmtId         id,
          const char    *text,
          gpointer     (*from_row) (sqlite3_stmt *stmt),
          const char    *doing,
          GError       **error)
{
  EntsecSqliteConn *conn = entsec_sqlite_read_begin (storage, error);
  sqlite3_stmt *stmt;
  gpointer row = NULL;
  int rc;

  if (conn == NULL)
    return NULL;
  stmt = stmt_get (conn, id, doing, error);
  if (stmt != NULL)
    {
      entsec_sqlite_bind_text (stmt, 1, text);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        row = from_row (stmt);
      else if (rc != SQLITE_DONE)
        entsec_sqlite_fail (conn, doing, error);
    }
  entsec_sqlite_read_end (storage, conn);
  return row;
}

static EntsecUser *
sqlite_user_get (EntsecStorage *storage,
                 const char    *id,
                 GError       **error)
{
  return read_one (storage, STMT_USER_GET, id, user_from_row, "reading a user", error);
}

/* Every row of statement @id with @text bound to ?1 and @number to ?2
 * (when not negative). */
static GPtrArray *
read_all (EntsecStorage  *storage,
          StmtId          id,
          const char     *text,
          gint64          number,
          gpointer      (*from_row) (sqlite3_stmt *stmt),
          GDestroyNotify  free_func,
          const char     *doing,
          GError        **error)
{
  EntsecSqliteConn *conn = entsec_sqlite_read_begin (storage, error);
  sqlite3_stmt *stmt;
  GPtrArray *rows = NULL;

  if (conn == NULL)
    return NULL;
  stmt = stmt_get (conn, id, doing, error);
  if (stmt != NULL)
    {
      entsec_sqlite_bind_text (stmt, 1, text);
      if (number >= 0)
        sqlite3_bind_int64 (stmt, 2, number);
      rows = entsec_sqlite_collect (conn, stmt, from_row, free_func, doing, error);
    }
  entsec_sqlite_read_end (storage, conn);
  return rows;
}

static GPtrArray *
sqlite_user_list (EntsecStorage *storage,
                  const char    *after,
                  guint          limit,
                  GError       **error)
{
  return read_all (storage, STMT_USER_LIST, after != NULL ? after : "", limit, user_from_row,
                   (GDestroyNotify) entsec_user_free, "listing users", error);
}

/* Runs statement @id, which changes rows, with @text bound to ?1 and, when
 * not negative, @number to ?2; *@found tells whether a row changed. */
static gboolean
write_one (EntsecStorage *storage,
           StmtId         id,
           const char    *text,
           gint64         number,
           gboolean      *found,
           const char    *doing,
           GError       **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt = entsec_sqlite_write_prepare (storage, &conn, stmt_sql[id], doing, error);
  gboolean ok = stmt != NULL;

  *found = FALSE;
  if (ok)
    {
      entsec_sqlite_bind_text (stmt, 1, text);
      if (number >= 0)
        sqlite3_bind_int64 (stmt, 2, number);
      ok = entsec_sqlite_run (conn, stmt, doing, error);
      *found = ok && sqlite3_changes (conn->db) > 0;
    }
  ok = conn != NULL && entsec_sqlite_write_end (storage, ok, error);
  *found = ok && *found;
  return ok;
}

static gboolean
sqlite_user_delete (EntsecStorage *storage,
                    const char    *id,
                    gboolean      *found,
                    GError       **error)
{
  return write_one (storage, STMT_USER_DELETE, id, -1, found, "deleting a user", error);
}

static gboolean
sqlite_user_set_disabled (EntsecStorage *storage,
                          const char    *id,
                          gboolean       disabled,
                          gboolean      *found,
                          GError       **error)
{
  return write_one (storage, STMT_USER_SET_DISABLED, id, disabled ? 1 : 0, found,
                    "disabling or enabling a user", error);
}

static gboolean
sqlite_admin_create (EntsecStorage     *storage,
                     const EntsecAdmin *admin,
                     GError           **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt = entsec_sqlite_write_prepare (storage, &conn,
                                                    stmt_sql[STMT_ADMIN_INSERT], "adding an admin",
                                                    error);
  gboolean ok = stmt != NULL;

  if (ok)
    {
      entsec_sqlite_bind_text (stmt, 1, admin->id);
      entsec_sqlite_bind_text (stmt, 2, admin->name);
      sqlite3_bind_blob (stmt, 3, admin->token_sha256, ENTSEC_SERVER_DIGEST_SIZE,
                         SQLITE_TRANSIENT);
      ok = entsec_sqlite_run (conn, stmt, "adding an admin", error);
    }
  return conn != NULL && entsec_sqlite_write_end (storage, ok, error);
}

static gpointer
admin_from_row (sqlite3_stmt *stmt)
{
  EntsecAdmin *admin = g_new0 (EntsecAdmin, 1);
  const void *digest = sqlite3_column_blob (stmt, 2);

  admin->id = entsec_sqlite_column_text (stmt, 0);
  admin->name = entsec_sqlite_column_text (stmt, 1);
  /* The schema's CHECK keeps the length at 32. */
  if (digest != NULL && sqlite3_column_bytes (stmt, 2) == ENTSEC_SERVER_DIGEST_SIZE)
    memcpy (admin->token_sha256, digest, ENTSEC_SERVER_DIGEST_SIZE);
  return admin;
}

static GPtrArray *
sqlite_admin_list (EntsecStorage *storage,
                   GError       **error)
{
  /* The statement has no parameters; binding NULL to ?1 is harmless. */
  return read_all (storage, STMT_ADMIN_LIST, NULL, -1, admin_from_row,
                   (GDestroyNotify) entsec_admin_free, "listing admins", error);
}

static gboolean
sqlite_audit_append (EntsecStorage          *storage,
                     const EntsecAuditEntry *entry,
                     GError                **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt = entsec_sqlite_write_prepare (storage, &conn,
                                                    stmt_sql[STMT_AUDIT_INSERT],
                                                    "writing the audit log", error);
  gboolean ok = stmt != NULL;

  if (ok)
    {
      sqlite3_bind_int64 (stmt, 1, entry->time);
      entsec_sqlite_bind_text (stmt, 2, entry->actor);
      entsec_sqlite_bind_text (stmt, 3, entry->action);
      entsec_sqlite_bind_text (stmt, 4, entry->target);
      ok = entsec_sqlite_run (conn, stmt, "writing the audit log", error);
    }
  return conn != NULL && entsec_sqlite_write_end (storage, ok, error);
}

static gpointer
audit_from_row (sqlite3_stmt *stmt)
{
  EntsecAuditEntry *entry = g_new0 (EntsecAuditEntry, 1);

  entry->seq = sqlite3_column_int64 (stmt, 0);
  entry->time = sqlite3_column_int64 (stmt, 1);
  entry->actor = entsec_sqlite_column_text (stmt, 2);
  entry->action = entsec_sqlite_column_text (stmt, 3);
  entry->target = entsec_sqlite_column_text (stmt, 4);
  return entry;
}

static GPtrArray *
sqlite_audit_list (EntsecStorage *storage,
                   gint64         after,
                   guint          limit,
                   GError       **error)
{
  EntsecSqliteConn *conn = entsec_sqlite_read_begin (storage, error);
  sqlite3_stmt *stmt;
  GPtrArray *rows = NULL;

  if (conn == NULL)
    return NULL;
  stmt = stmt_get (conn, STMT_AUDIT_LIST, "reading the audit log", error);
  if (stmt != NULL)
    {
      sqlite3_bind_int64 (stmt, 1, after);
      sqlite3_bind_int64 (stmt, 2, limit);
      rows = entsec_sqlite_collect (conn, stmt, audit_from_row,
                                    (GDestroyNotify) entsec_audit_entry_free,
                                    "reading the audit log", error);
    }
  entsec_sqlite_read_end (storage, conn);
  return rows;
}

static EntsecUser *
sqlite_user_find (EntsecStorage *storage,
                  const char    *channel,
                  const char    *address,
                  GError       **error)
{
  StmtId id = strcmp (channel, "email") == 0 ? STMT_USER_FIND_EMAIL : STMT_USER_FIND_PHONE;

  return read_one (storage, id, address, user_from_row, "looking up an address", error);
}

static gpointer
bytes_from_row (sqlite3_stmt *stmt)
{
  return g_bytes_new (sqlite3_column_blob (stmt, 0), (gsize) sqlite3_column_bytes (stmt, 0));
}

static gboolean
sqlite_setting_get (EntsecStorage *storage,
                    const char    *key,
                    GBytes       **value,
                    GError       **error)
{
  GError *local = NULL;

  *value = read_one (storage, STMT_SETTING_GET, key, bytes_from_row, "reading a setting",
                     &local);
  if (local == NULL)
    return TRUE;
  g_propagate_error (error, local);
  return FALSE;
}

static void
bind_bytes (sqlite3_stmt *stmt,
            int           index,
            const void   *data,
            gsize         len)
{
  /* A zero-length blob must still be a blob, not NULL. */
  sqlite3_bind_blob (stmt, index, len > 0 ? data : "", (int) len, SQLITE_TRANSIENT);
}

static gboolean
sqlite_setting_set (EntsecStorage *storage,
                    const char    *key,
                    GBytes        *value,
                    GError       **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt = entsec_sqlite_write_prepare (storage, &conn,
                                                    stmt_sql[STMT_SETTING_SET], "writing a setting",
                                                    error);
  gsize len = 0;
  const void *data = g_bytes_get_data (value, &len);
  gboolean ok = stmt != NULL;

  if (ok)
    {
      entsec_sqlite_bind_text (stmt, 1, key);
      bind_bytes (stmt, 2, data, len);
      ok = entsec_sqlite_run (conn, stmt, "writing a setting", error);
    }
  return conn != NULL && entsec_sqlite_write_end (storage, ok, error);
}

static void
bind_enrollment (sqlite3_stmt           *stmt,
                 const EntsecEnrollment *e)
{
  entsec_sqlite_bind_text (stmt, 1, e->id);
  entsec_sqlite_bind_text (stmt, 2, e->channel);
  entsec_sqlite_bind_text (stmt, 3, e->address);
  entsec_sqlite_bind_text (stmt, 4, e->user_id);
  bind_bytes (stmt, 5, e->code_sha256, ENTSEC_SERVER_DIGEST_SIZE);
  bind_bytes (stmt, 6, e->nonce_sha256, ENTSEC_SERVER_DIGEST_SIZE);
  sqlite3_bind_int64 (stmt, 7, e->created);
  sqlite3_bind_int64 (stmt, 8, e->expires);
}

/* Inside the call's savepoint: refuse when the last start is too recent,
 * else replace and insert. */
static gboolean
enrollment_start_steps (EntsecSqliteConn       *conn,
                        const EntsecEnrollment *e,
                        gint64                  resend_after,
                        gint64                 *last_created,
                        GError                **error)
{
  const char *doing = "starting an enrollment";
  sqlite3_stmt *last = stmt_get (conn, STMT_ENROLLMENT_LAST, doing, error);
  sqlite3_stmt *replace = last ? stmt_get (conn, STMT_ENROLLMENT_REPLACE, doing, error) : NULL;
  sqlite3_stmt *insert = replace ? stmt_get (conn, STMT_ENROLLMENT_INSERT, doing, error) : NULL;

  if (insert == NULL)
    return FALSE;
  entsec_sqlite_bind_text (last, 1, e->channel);
  entsec_sqlite_bind_text (last, 2, e->address);
  if (sqlite3_step (last) != SQLITE_ROW)
    return entsec_sqlite_fail (conn, doing, error);
  *last_created = sqlite3_column_int64 (last, 0);
  if (sqlite3_column_type (last, 0) != SQLITE_NULL && e->created - *last_created < resend_after)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_RATE_LIMITED,
                   "A code was sent to this address moments ago");
      return FALSE;
    }
  entsec_sqlite_bind_text (replace, 1, e->channel);
  entsec_sqlite_bind_text (replace, 2, e->address);
  bind_enrollment (insert, e);
  return entsec_sqlite_run (conn, replace, doing, error)
         && entsec_sqlite_run (conn, insert, doing, error);
}

static gboolean
sqlite_enrollment_start (EntsecStorage          *storage,
                         const EntsecEnrollment *enrollment,
                         gint64                  resend_after,
                         gint64                 *last_created,
                         GError                **error)
{
  EntsecSqliteConn *conn = entsec_sqlite_write_begin (storage, error);
  gboolean ok;

  *last_created = 0;
  if (conn == NULL)
    return FALSE;
  ok = enrollment_start_steps (conn, enrollment, resend_after, last_created, error);
  return entsec_sqlite_write_end (storage, ok, error);
}

static void
column_digest (sqlite3_stmt *stmt,
               int           index,
               guint8        digest[ENTSEC_SERVER_DIGEST_SIZE])
{
  const void *data = sqlite3_column_blob (stmt, index);

  if (data != NULL && sqlite3_column_bytes (stmt, index) == ENTSEC_SERVER_DIGEST_SIZE)
    memcpy (digest, data, ENTSEC_SERVER_DIGEST_SIZE);
  else
    memset (digest, 0, ENTSEC_SERVER_DIGEST_SIZE);
}

static gpointer
enrollment_from_row (sqlite3_stmt *stmt)
{
  EntsecEnrollment *e = g_new0 (EntsecEnrollment, 1);

  e->id = entsec_sqlite_column_text (stmt, 0);
  e->channel = entsec_sqlite_column_text (stmt, 1);
  e->address = entsec_sqlite_column_text (stmt, 2);
  e->user_id = entsec_sqlite_column_text (stmt, 3);
  column_digest (stmt, 4, e->code_sha256);
  column_digest (stmt, 5, e->nonce_sha256);
  e->created = sqlite3_column_int64 (stmt, 6);
  e->expires = sqlite3_column_int64 (stmt, 7);
  e->attempts = (guint) sqlite3_column_int (stmt, 8);
  e->state = (EntsecEnrollmentState) sqlite3_column_int (stmt, 9);
  column_digest (stmt, 10, e->token_sha256);
  e->token_expires = sqlite3_column_int64 (stmt, 11);
  column_digest (stmt, 12, e->challenge_sha256);
  return e;
}

static EntsecEnrollment *
sqlite_enrollment_get (EntsecStorage *storage,
                       const char    *id,
                       GError       **error)
{
  return read_one (storage, STMT_ENROLLMENT_GET, id, enrollment_from_row,
                   "reading an enrollment", error);
}

static void
bind_enrollment_update (sqlite3_stmt           *stmt,
                        const EntsecEnrollment *e,
                        guint                   expected_attempts)
{
  gboolean verified = e->state == ENTSEC_ENROLLMENT_VERIFIED;

  entsec_sqlite_bind_text (stmt, 1, e->id);
  sqlite3_bind_int (stmt, 2, (int) e->attempts);
  sqlite3_bind_int (stmt, 3, (int) e->state);
  if (verified)
    {
      bind_bytes (stmt, 4, e->token_sha256, ENTSEC_SERVER_DIGEST_SIZE);
      bind_bytes (stmt, 7, e->challenge_sha256, ENTSEC_SERVER_DIGEST_SIZE);
    }
  else
    {
      sqlite3_bind_null (stmt, 4);
      sqlite3_bind_null (stmt, 7);
    }
  sqlite3_bind_int64 (stmt, 5, verified ? e->token_expires : 0);
  sqlite3_bind_int (stmt, 6, (int) expected_attempts);
}

static gboolean
sqlite_enrollment_update (EntsecStorage          *storage,
                          const EntsecEnrollment *e,
                          guint                   expected_attempts,
                          gboolean               *updated,
                          GError                **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt = entsec_sqlite_write_prepare (storage, &conn,
                                                    stmt_sql[STMT_ENROLLMENT_UPDATE],
                                                    "updating an enrollment", error);
  gboolean ok = stmt != NULL;

  *updated = FALSE;
  if (ok)
    {
      bind_enrollment_update (stmt, e, expected_attempts);
      ok = entsec_sqlite_run (conn, stmt, "updating an enrollment", error);
      *updated = ok && sqlite3_changes (conn->db) == 1;
    }
  ok = conn != NULL && entsec_sqlite_write_end (storage, ok, error);
  *updated = ok && *updated;
  return ok;
}

static void
sqlite_close (EntsecStorage *storage)
{
  SqliteStorage *self = (SqliteStorage *) storage;

  g_clear_pointer (&self->idle, g_ptr_array_unref);
  g_clear_pointer (&self->readers, g_ptr_array_unref);
  g_clear_pointer (&self->writer, conn_free);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->committed);
  g_mutex_clear (&self->readers_lock);
  g_free (self->path);
  g_free (self);
}
static const EntsecStorageOps sqlite_ops = {
  .name = "sqlite",
  .close = sqlite_close,
  .user_create = sqlite_user_create,
  .user_get = sqlite_user_get,
  .user_list = sqlite_user_list,
  .user_delete = sqlite_user_delete,
  .admin_create = sqlite_admin_create,
  .admin_list = sqlite_admin_list,
  .audit_append = sqlite_audit_append,
  .audit_list = sqlite_audit_list,
  .user_find = sqlite_user_find,
  .setting_get = sqlite_setting_get,
  .setting_set = sqlite_setting_set,
  .enrollment_start = sqlite_enrollment_start,
  .enrollment_get = sqlite_enrollment_get,
  .enrollment_update = sqlite_enrollment_update,
  /* devices, nonces, policies, commands (server-storage-sqlite-devices.c) */
  .nonce_remember = entsec_sqlite_nonce_remember,
  .device_register = entsec_sqlite_device_register,
  .device_get = entsec_sqlite_device_get,
  .device_list = entsec_sqlite_device_list,
  .device_update = entsec_sqlite_device_update,
  .policy_get = entsec_sqlite_policy_get,
  .policy_set = entsec_sqlite_policy_set,
  .op_challenge_add = entsec_sqlite_op_challenge_add,
  .op_challenge_use = entsec_sqlite_op_challenge_use,
  .device_event_add = entsec_sqlite_device_event_add,
  .command_add = entsec_sqlite_command_add,
  .command_ack = entsec_sqlite_command_ack,
  .command_list = entsec_sqlite_command_list,
  .device_event_list = entsec_sqlite_device_event_list,
  .push_delivery_add = entsec_sqlite_push_delivery_add,
  .push_delivery_get = entsec_sqlite_push_delivery_get,
  .token_delivery_claim = entsec_sqlite_token_delivery_claim,
  .token_delivery_get = entsec_sqlite_token_delivery_get,
  /* entsec-admin (srv-admin) */
  .user_set_disabled = sqlite_user_set_disabled,
  /* relying parties, tokens, push transactions (server-rp.c) */
  .rp_create = entsec_sqlite_rp_create,
  .rp_list = entsec_sqlite_rp_list,
  .rp_revoke = entsec_sqlite_rp_revoke,
  .token_create = entsec_sqlite_token_create,
  .token_get = entsec_sqlite_token_get,
  .token_list = entsec_sqlite_token_list,
  .token_update = entsec_sqlite_token_update,
  .push_start = entsec_sqlite_push_start,
  .push_get = entsec_sqlite_push_get,
  .push_update = entsec_sqlite_push_update,
  .push_mute = entsec_sqlite_push_mute,
  /* srv-rest */
  .user_remove = entsec_sqlite_user_remove,
  .device_events_prune = entsec_sqlite_device_events_prune,
  .device_events_stats = entsec_sqlite_device_events_stats,
  .enrollment_token_user = entsec_sqlite_enrollment_token_user,
  /* key rotation (server-storage-sqlite-rotate.c) */
  .authority_key_list = entsec_sqlite_authority_key_list,
  .authority_key_add = entsec_sqlite_authority_key_add,
  .authority_key_seal = entsec_sqlite_authority_key_seal,
  .authority_key_head = entsec_sqlite_authority_key_head,
  .device_rekey = entsec_sqlite_device_rekey,
  /* several instances: one process alone uses a SQLite file, so it wakes
   * its own long-polls and needs no events_listen */
  .ratelimit_take = entsec_sqlite_ratelimit_take,
};

static gboolean
read_schema_version (EntsecSqliteConn *conn,
                     int              *version,
                     GError          **error)
{
  sqlite3_stmt *stmt = entsec_sqlite_prepare (conn, "PRAGMA user_version",
                                              "reading the schema version", error);

  if (stmt == NULL)
    return FALSE;
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return entsec_sqlite_fail (conn, "reading the schema version", error);
  *version = sqlite3_column_int (stmt, 0);
  conn_reset_used (conn);
  return TRUE;
}

static gboolean
setup_schema (EntsecSqliteConn *conn,
              gboolean          create,
              const char       *path,
              GError          **error)
{
  int version = 0;

  if (create)
    return conn_exec (conn, "BEGIN IMMEDIATE", "creating the schema", error)
           && conn_exec (conn, schema_v1, "creating the schema", error)
           && conn_exec (conn, entsec_sqlite_devices_schema, "creating the schema", error)
           && conn_exec (conn, "COMMIT", "creating the schema", error);
  if (!read_schema_version (conn, &version, error))
    return FALSE;
  if (version > ENTSEC_STORAGE_SCHEMA_VERSION)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
                   "%s has schema version %d, newer than the %d this entsec-server knows: a "
                   "newer entsec-server wrote it; run that version (or restore a backup made "
                   "before the upgrade)", path, version, ENTSEC_STORAGE_SCHEMA_VERSION);
      return FALSE;
    }
  if (version != ENTSEC_STORAGE_SCHEMA_VERSION)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
                   "%s has schema version %d; this server reads version %d (is it an "
                   "entsec-server database?)", path, version, ENTSEC_STORAGE_SCHEMA_VERSION);
      return FALSE;
    }
  return TRUE;
}

/* Prepares every statement of the table once, so that a typo in one fails
 * the open rather than a request. */
static gboolean
prepare_all (EntsecSqliteConn *conn,
             GError          **error)
{
  for (guint i = 0; i < N_STMTS; i++)
    {
      if (stmt_get (conn, i, "preparing its statements", error) == NULL)
        return FALSE;
    }
  conn_reset_used (conn);
  return TRUE;
}

EntsecStorage *
entsec_storage_sqlite_open (const char *path,
                            gboolean    create,
                            GError    **error)
{
  g_autoptr (EntsecStorage) storage = NULL;
  SqliteStorage *self = g_new0 (SqliteStorage, 1);
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (create ? SQLITE_OPEN_CREATE : 0);

  self->parent.ops = &sqlite_ops;
  self->path = g_strdup (path);
  g_mutex_init (&self->lock);
  g_cond_init (&self->committed);
  g_mutex_init (&self->readers_lock);
  self->readers = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_free);
  self->idle = g_ptr_array_new ();
  storage = &self->parent;
  if (create && g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_EXISTS,
                   "%s already exists; it is not replaced", path);
      return NULL;
    }
  self->writer = conn_open (path, flags,
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                            "PRAGMA foreign_keys = ON; PRAGMA trusted_schema = OFF;", error);
  if (self->writer == NULL
      || !setup_schema (self->writer, create, path, error)
      || !conn_exec (self->writer, entsec_sqlite_rotate_schema, "adding the key rotation table", error)
      || !entsec_sqlite_rotate_upgrade (self->writer->db, error)
      || !conn_exec (self->writer, entsec_sqlite_ratelimit_schema, "adding the rate limit table",
                     error)
      || !prepare_all (self->writer, error))
    return NULL;
  return g_steal_pointer (&storage);
}

gboolean
entsec_sqlite_fail (EntsecSqliteConn *conn,
                    const char       *doing,
                    GError          **error)
{
  int code = sqlite3_extended_errcode (conn->db);

  if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
    g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFLICT,
                 "Another record already has this value");
  else
    g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
                 "The database failed while %s: %s", doing, sqlite3_errmsg (conn->db));
  return FALSE;
}

void
entsec_sqlite_bind_text (sqlite3_stmt *stmt,
                         int           index,
                         const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
}

char *
entsec_sqlite_column_text (sqlite3_stmt *stmt,
                           int           index)
{
  const unsigned char *text = sqlite3_column_text (stmt, index);

  return text == NULL ? NULL : g_strdup ((const char *) text);
}

sqlite3_stmt *
entsec_sqlite_prepare (EntsecSqliteConn *conn,
                       const char       *sql,
                       const char       *doing,
                       GError          **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (conn->stmts, sql);

  if (stmt == NULL)
    {
      if (sqlite3_prepare_v3 (conn->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt,
                              NULL) != SQLITE_OK)
        {
          entsec_sqlite_fail (conn, doing, error);
          return NULL;
        }
      g_hash_table_insert (conn->stmts, g_strdup (sql), stmt);
    }
  /* A statement used twice in one call (a loop) is reset twice: harmless. */
  sqlite3_reset (stmt);
  g_ptr_array_add (conn->used, stmt);
  return stmt;
}

sqlite3_stmt *
entsec_sqlite_read_prepare (EntsecStorage     *storage,
                            EntsecSqliteConn **conn,
                            const char        *sql,
                            const char        *doing,
                            GError           **error)
{
  sqlite3_stmt *stmt;

  *conn = entsec_sqlite_read_begin (storage, error);
  if (*conn == NULL)
    return NULL;
  stmt = entsec_sqlite_prepare (*conn, sql, doing, error);
  if (stmt == NULL)
    {
      entsec_sqlite_read_end (storage, *conn);
      *conn = NULL;
    }
  return stmt;
}

sqlite3_stmt *
entsec_sqlite_write_prepare (EntsecStorage     *storage,
                             EntsecSqliteConn **conn,
                             const char        *sql,
                             const char        *doing,
                             GError           **error)
{
  *conn = entsec_sqlite_write_begin (storage, error);
  return *conn == NULL ? NULL : entsec_sqlite_prepare (*conn, sql, doing, error);
}

gboolean
entsec_sqlite_run (EntsecSqliteConn *conn,
                   sqlite3_stmt     *stmt,
                   const char       *doing,
                   GError          **error)
{
  if (sqlite3_step (stmt) == SQLITE_DONE)
    return TRUE;
  return entsec_sqlite_fail (conn, doing, error);
}

static char *
row_text (const EntsecStorageRow *row,
          int                     column)
{
  return entsec_sqlite_column_text ((sqlite3_stmt *) row->data, column);
}

static gint64
row_integer (const EntsecStorageRow *row,
             int                     column)
{
  return sqlite3_column_int64 ((sqlite3_stmt *) row->data, column);
}

static void
row_digest (const EntsecStorageRow *row,
            int                     column,
            guint8                 *digest)
{
  sqlite3_stmt *stmt = (sqlite3_stmt *) row->data;

  if (sqlite3_column_bytes (stmt, column) == ENTSEC_SERVER_DIGEST_SIZE)
    memcpy (digest, sqlite3_column_blob (stmt, column), ENTSEC_SERVER_DIGEST_SIZE);
  else
    memset (digest, 0, ENTSEC_SERVER_DIGEST_SIZE);
}

static const EntsecStorageRowOps row_ops = { row_text, row_integer, row_digest };

void
entsec_sqlite_row (sqlite3_stmt     *stmt,
                   EntsecStorageRow *row)
{
  *row = (EntsecStorageRow) { &row_ops, stmt, 0 };
}

/* Every row through @from_row (the backend's) or @neutral (server-storage.h's). */
static GPtrArray *
collect (EntsecSqliteConn *conn,
         sqlite3_stmt     *stmt,
         gpointer        (*from_row) (sqlite3_stmt *stmt),
         gpointer        (*neutral) (const EntsecStorageRow *row),
         GDestroyNotify    free_func,
         const char       *doing,
         GError          **error)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (free_func);
  EntsecStorageRow row;
  int rc;

  entsec_sqlite_row (stmt, &row);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (rows, neutral != NULL ? neutral (&row) : from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      entsec_sqlite_fail (conn, doing, error);
      return NULL;
    }
  return g_steal_pointer (&rows);
}

GPtrArray *
entsec_sqlite_collect (EntsecSqliteConn *conn,
                       sqlite3_stmt     *stmt,
                       gpointer        (*from_row) (sqlite3_stmt *stmt),
                       GDestroyNotify    free_func,
                       const char       *doing,
                       GError          **error)
{
  return collect (conn, stmt, from_row, NULL, free_func, doing, error);
}

GPtrArray *
entsec_sqlite_collect_rows (EntsecSqliteConn *conn,
                            sqlite3_stmt     *stmt,
                            gpointer        (*from_row) (const EntsecStorageRow *row),
                            GDestroyNotify    free_func,
                            const char       *doing,
                            GError          **error)
{
  return collect (conn, stmt, NULL, from_row, free_func, doing, error);
}
