/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-storage-sqlite.c: the SQLite backend. One connection in WAL mode
 * behind a mutex (SQLite allows one writer; requests are short), every
 * statement prepared once at open with bound parameters. All the server's
 * SQL is in this file.
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

typedef struct
{
  EntsecStorage parent;
  GMutex        lock;
  sqlite3      *db;
  sqlite3_stmt *stmts[N_STMTS];
} SqliteStorage;

static gboolean
db_fail (SqliteStorage *self,
         const char    *doing,
         GError       **error)
{
  int code = sqlite3_extended_errcode (self->db);

  if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY)
    g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFLICT,
                 "Another record already has this value");
  else
    g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
                 "The database failed while %s: %s", doing, sqlite3_errmsg (self->db));
  return FALSE;
}

/* Takes the lock and hands out a reset statement; release with stmt_done(). */
static sqlite3_stmt *
stmt_begin (SqliteStorage *self,
            StmtId         id)
{
  g_mutex_lock (&self->lock);
  return self->stmts[id];
}

static void
stmt_done (SqliteStorage *self,
           sqlite3_stmt  *stmt)
{
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  g_mutex_unlock (&self->lock);
}

/* Runs a statement that returns no rows; TRUE when it completed. */
static gboolean
step_done (SqliteStorage *self,
           sqlite3_stmt  *stmt,
           const char    *doing,
           GError       **error)
{
  if (sqlite3_step (stmt) == SQLITE_DONE)
    return TRUE;
  return db_fail (self, doing, error);
}

static gboolean
sqlite_user_create (EntsecStorage    *storage,
                    const EntsecUser *user,
                    GError          **error)
{
  SqliteStorage *self = (SqliteStorage *) storage;
  sqlite3_stmt *stmt = stmt_begin (self, STMT_USER_INSERT);
  gboolean ok;

  entsec_sqlite_bind_text (stmt, 1, user->id);
  entsec_sqlite_bind_text (stmt, 2, user->email);
  entsec_sqlite_bind_text (stmt, 3, user->phone);
  entsec_sqlite_bind_text (stmt, 4, user->name);
  sqlite3_bind_int (stmt, 5, user->disabled ? 1 : 0);
  sqlite3_bind_int64 (stmt, 6, user->created);
  ok = step_done (self, stmt, "adding a user", error);
  stmt_done (self, stmt);
  return ok;
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

static EntsecUser *
sqlite_user_get (EntsecStorage *storage,
                 const char    *id,
                 GError       **error)
{
  SqliteStorage *self = (SqliteStorage *) storage;
  sqlite3_stmt *stmt = stmt_begin (self, STMT_USER_GET);
  EntsecUser *user = NULL;
  int rc;

  entsec_sqlite_bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    user = user_from_row (stmt);
  else if (rc != SQLITE_DONE)
    db_fail (self, "reading a user", error);
  stmt_done (self, stmt);
  return user;
}

static GPtrArray *
sqlite_user_list (EntsecStorage *storage,
                  const char    *after,
                  guint          limit,
                  GError       **error)
{
  SqliteStorage *self = (SqliteStorage *) storage;
  sqlite3_stmt *stmt = stmt_begin (self, STMT_USER_LIST);
  GPtrArray *rows;

  entsec_sqlite_bind_text (stmt, 1, after != NULL ? after : "");
  sqlite3_bind_int64 (stmt, 2, limit);
  rows = entsec_sqlite_collect (storage, stmt, user_from_row,
                                (GDestroyNotify) entsec_user_free, "listing users", error);
  stmt_done (self, stmt);
  return rows;
}

static gboolean
sqlite_user_delete (EntsecStorage *storage,
                    const char    *id,
                    gboolean      *found,
                    GError       **error)
{
  SqliteStorage *self = (SqliteStorage *) storage;
  sqlite3_stmt *stmt = stmt_begin (self, STMT_USER_DELETE);
  gboolean ok;

  entsec_sqlite_bind_text (stmt, 1, id);
  ok = step_done (self, stmt, "deleting a user", error);
  *found = ok && sqlite3_changes (self->db) > 0;
  stmt_done (self, stmt);
  return ok;
}

static gboolean
sqlite_user_set_disabled (EntsecStorage *storage,
                          const char    *id,
                          gboolean       disabled,
                          gboolean      *found,
                          GError       **error)
{
  SqliteStorage *self = (SqliteStorage *) storage;
  sqlite3_stmt *stmt = stmt_begin (self, STMT_USER_SET_DISABLED);
  gboolean ok;

  entsec_sqlite_bind_text (stmt, 1, id);
  sqlite3_bind_int (stmt, 2, disabled ? 1 : 0);
  ok = step_done (self, stmt, "disabling or enabling a user", error);
  *found = ok && sqlite3_changes (self->db) > 0;
  stmt_done (self, stmt);
  return ok;
}

static gboolean
sqlite_admin_create (EntsecStorage     *storage,
                     const EntsecAdmin *admin,
                     GError           **error)
{
  SqliteStorage *self = (SqliteStorage *) storage;
  sqlite3_stmt *stmt = stmt_begin (self, STMT_ADMIN_INSERT);
  gboolean ok;

  entsec_sqlite_bind_text (stmt, 1, admin->id);
  entsec_sqlite_bind_text (stmt, 2, admin->name);
  sqlite3_bind_blob (stmt, 3, admin->token_sha256, ENTSEC_SERVER_DIGEST_SIZE, SQLITE_TRANSIENT);
  ok = step_done (self, stmt, "adding an admin", error);
  stmt_done (self, stmt);
  return ok;
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
  SqliteStorage *self = (SqliteStorage *) storage;
  sqlite3_stmt *stmt = stmt_begin (self, STMT_ADMIN_LIST);
  GPtrArray *rows;

  rows = entsec_sqlite_collect (storage, stmt, admin_from_row,
                                (GDestroyNotify) entsec_admin_free, "listing admins", error);
  stmt_done (self, stmt);
  return rows;
}

static gboolean
sqlite_audit_append (EntsecStorage          *storage,
                     const EntsecAuditEntry *entry,
                     GError                **error)
{
  SqliteStorage *self = (SqliteStorage *) storage;
  sqlite3_stmt *stmt = stmt_begin (self, STMT_AUDIT_INSERT);
  gboolean ok;

  sqlite3_bind_int64 (stmt, 1, entry->time);
  entsec_sqlite_bind_text (stmt, 2, entry->actor);
  entsec_sqlite_bind_text (stmt, 3, entry->action);
  entsec_sqlite_bind_text (stmt, 4, entry->target);
  ok = step_done (self, stmt, "writing the audit log", error);
  stmt_done (self, stmt);
  return ok;
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
  SqliteStorage *self = (SqliteStorage *) storage;
  sqlite3_stmt *stmt = stmt_begin (self, STMT_AUDIT_LIST);
  GPtrArray *rows;

  sqlite3_bind_int64 (stmt, 1, after);
  sqlite3_bind_int64 (stmt, 2, limit);
  rows = entsec_sqlite_collect (storage, stmt, audit_from_row,
                                (GDestroyNotify) entsec_audit_entry_free,
                                "reading the audit log", error);
  stmt_done (self, stmt);
  return rows;
}

static gboolean
exec_sql (SqliteStorage *self,
          const char    *sql,
          const char    *doing,
          GError       **error)
{
  if (sqlite3_exec (self->db, sql, NULL, NULL, NULL) == SQLITE_OK)
    return TRUE;
  return db_fail (self, doing, error);
}

static EntsecUser *
sqlite_user_find (EntsecStorage *storage,
                  const char    *channel,
                  const char    *address,
                  GError       **error)
{
  SqliteStorage *self = (SqliteStorage *) storage;
  StmtId id = strcmp (channel, "email") == 0 ? STMT_USER_FIND_EMAIL : STMT_USER_FIND_PHONE;
  sqlite3_stmt *stmt = stmt_begin (self, id);
  EntsecUser *user = NULL;
  int rc;

  entsec_sqlite_bind_text (stmt, 1, address);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    user = user_from_row (stmt);
  else if (rc != SQLITE_DONE)
    db_fail (self, "looking up an address", error);
  stmt_done (self, stmt);
  return user;
}

static gboolean
sqlite_setting_get (EntsecStorage *storage,
                    const char    *key,
                    GBytes       **value,
                    GError       **error)
{
  SqliteStorage *self = (SqliteStorage *) storage;
  sqlite3_stmt *stmt = stmt_begin (self, STMT_SETTING_GET);
  int rc;

  *value = NULL;
  entsec_sqlite_bind_text (stmt, 1, key);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *value = g_bytes_new (sqlite3_column_blob (stmt, 0), (gsize) sqlite3_column_bytes (stmt, 0));
  else if (rc != SQLITE_DONE)
    db_fail (self, "reading a setting", error);
  stmt_done (self, stmt);
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
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
  SqliteStorage *self = (SqliteStorage *) storage;
  sqlite3_stmt *stmt = stmt_begin (self, STMT_SETTING_SET);
  gsize len = 0;
  const void *data = g_bytes_get_data (value, &len);
  gboolean ok;

  entsec_sqlite_bind_text (stmt, 1, key);
  bind_bytes (stmt, 2, data, len);
  ok = step_done (self, stmt, "writing a setting", error);
  stmt_done (self, stmt);
  return ok;
}

/* Runs one statement of a transaction (the lock is held). */
static gboolean
tx_step (SqliteStorage *self,
         sqlite3_stmt  *stmt,
         int            want,
         const char    *doing,
         GError       **error)
{
  gboolean ok = sqlite3_step (stmt) == want;

  if (!ok)
    db_fail (self, doing, error);
  return ok;
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

/* Inside the transaction: refuse when the last start is too recent, else replace and insert. */
static gboolean
enrollment_start_locked (SqliteStorage          *self,
                         const EntsecEnrollment *e,
                         gint64                  resend_after,
                         gint64                 *last_created,
                         GError                **error)
{
  sqlite3_stmt *last = self->stmts[STMT_ENROLLMENT_LAST];
  sqlite3_stmt *replace = self->stmts[STMT_ENROLLMENT_REPLACE];
  sqlite3_stmt *insert = self->stmts[STMT_ENROLLMENT_INSERT];
  gboolean ok;

  entsec_sqlite_bind_text (last, 1, e->channel);
  entsec_sqlite_bind_text (last, 2, e->address);
  ok = tx_step (self, last, SQLITE_ROW, "starting an enrollment", error);
  *last_created = ok ? sqlite3_column_int64 (last, 0) : 0;
  if (ok && sqlite3_column_type (last, 0) != SQLITE_NULL
      && e->created - *last_created < resend_after)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_RATE_LIMITED,
                   "A code was sent to this address moments ago");
      ok = FALSE;
    }
  entsec_sqlite_bind_text (replace, 1, e->channel);
  entsec_sqlite_bind_text (replace, 2, e->address);
  bind_enrollment (insert, e);
  ok = ok && tx_step (self, replace, SQLITE_DONE, "starting an enrollment", error)
       && tx_step (self, insert, SQLITE_DONE, "starting an enrollment", error);
  for (guint i = 0; i < 3; i++)
    {
      sqlite3_stmt *stmt = (sqlite3_stmt *[]) { last, replace, insert }[i];

      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
    }
  return ok;
}

static gboolean
sqlite_enrollment_start (EntsecStorage          *storage,
                         const EntsecEnrollment *enrollment,
                         gint64                  resend_after,
                         gint64                 *last_created,
                         GError                **error)
{
  SqliteStorage *self = (SqliteStorage *) storage;
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = exec_sql (self, "BEGIN IMMEDIATE", "starting an enrollment", error)
       && enrollment_start_locked (self, enrollment, resend_after, last_created, error);
  if (ok)
    ok = exec_sql (self, "COMMIT", "starting an enrollment", error);
  else
    sqlite3_exec (self->db, "ROLLBACK", NULL, NULL, NULL);
  g_mutex_unlock (&self->lock);
  return ok;
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

static EntsecEnrollment *
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
  SqliteStorage *self = (SqliteStorage *) storage;
  sqlite3_stmt *stmt = stmt_begin (self, STMT_ENROLLMENT_GET);
  EntsecEnrollment *enrollment = NULL;
  int rc;

  entsec_sqlite_bind_text (stmt, 1, id);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    enrollment = enrollment_from_row (stmt);
  else if (rc != SQLITE_DONE)
    db_fail (self, "reading an enrollment", error);
  stmt_done (self, stmt);
  return enrollment;
}

static gboolean
sqlite_enrollment_update (EntsecStorage          *storage,
                          const EntsecEnrollment *e,
                          guint                   expected_attempts,
                          gboolean               *updated,
                          GError                **error)
{
  SqliteStorage *self = (SqliteStorage *) storage;
  sqlite3_stmt *stmt = stmt_begin (self, STMT_ENROLLMENT_UPDATE);
  gboolean verified = e->state == ENTSEC_ENROLLMENT_VERIFIED;
  gboolean ok;

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
  ok = step_done (self, stmt, "updating an enrollment", error);
  *updated = ok && sqlite3_changes (self->db) == 1;
  stmt_done (self, stmt);
  return ok;
}

static void
sqlite_close (EntsecStorage *storage)
{
  SqliteStorage *self = (SqliteStorage *) storage;

  for (guint i = 0; i < N_STMTS; i++)
    sqlite3_finalize (self->stmts[i]);
  sqlite3_close (self->db);
  g_mutex_clear (&self->lock);
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
  .device_rekey = entsec_sqlite_device_rekey,
};

sqlite3 *
entsec_sqlite_lock (EntsecStorage *storage)
{
  SqliteStorage *self = (SqliteStorage *) storage;

  g_mutex_lock (&self->lock);
  return self->db;
}

void
entsec_sqlite_unlock (EntsecStorage *storage)
{
  g_mutex_unlock (&((SqliteStorage *) storage)->lock);
}

static gboolean
read_schema_version (SqliteStorage *self,
                     int           *version,
                     GError       **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok = FALSE;

  if (sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK
      && sqlite3_step (stmt) == SQLITE_ROW)
    {
      *version = sqlite3_column_int (stmt, 0);
      ok = TRUE;
    }
  else
    {
      db_fail (self, "reading the schema version", error);
    }
  sqlite3_finalize (stmt);
  return ok;
}

static gboolean
setup_schema (SqliteStorage *self,
              gboolean       create,
              const char    *path,
              GError       **error)
{
  int version = 0;

  if (create)
    return exec_sql (self, "BEGIN IMMEDIATE", "creating the schema", error)
           && exec_sql (self, schema_v1, "creating the schema", error)
           && exec_sql (self, entsec_sqlite_devices_schema, "creating the schema", error)
           && exec_sql (self, "COMMIT", "creating the schema", error);
  if (!read_schema_version (self, &version, error))
    return FALSE;
  if (version != ENTSEC_STORAGE_SCHEMA_VERSION)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
                   "%s has schema version %d; this server reads version %d", path, version,
                   ENTSEC_STORAGE_SCHEMA_VERSION);
      return FALSE;
    }
  return TRUE;
}

static gboolean
prepare_all (SqliteStorage *self,
             GError       **error)
{
  for (guint i = 0; i < N_STMTS; i++)
    {
      if (sqlite3_prepare_v3 (self->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
                              &self->stmts[i], NULL) != SQLITE_OK)
        return db_fail (self, "preparing its statements", error);
    }
  return TRUE;
}

EntsecStorage *
entsec_storage_sqlite_open (const char *path,
                            gboolean    create,
                            GError    **error)
{
  g_autoptr (EntsecStorage) storage = NULL;
  SqliteStorage *self = g_new0 (SqliteStorage, 1);
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW
              | (create ? SQLITE_OPEN_CREATE : 0);

  self->parent.ops = &sqlite_ops;
  g_mutex_init (&self->lock);
  storage = &self->parent;
  if (create && g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_EXISTS,
                   "%s already exists; it is not replaced", path);
      return NULL;
    }
  if (sqlite3_open_v2 (path, &self->db, flags, NULL) != SQLITE_OK)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
                   "Cannot open the database %s: %s", path, sqlite3_errmsg (self->db));
      return NULL;
    }
  sqlite3_extended_result_codes (self->db, 1);
  sqlite3_busy_timeout (self->db, 5000);
  if (!exec_sql (self, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                       "PRAGMA foreign_keys = ON; PRAGMA trusted_schema = OFF;",
                 "setting it up", error)
      || !setup_schema (self, create, path, error)
      || !exec_sql (self, entsec_sqlite_rotate_schema, "adding the key rotation table", error)
      || !prepare_all (self, error))
    return NULL;
  return g_steal_pointer (&storage);
}

gboolean
entsec_sqlite_fail (EntsecStorage *storage,
                    const char    *doing,
                    GError       **error)
{
  return db_fail ((SqliteStorage *) storage, doing, error);
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
entsec_sqlite_prepare (EntsecStorage *storage,
                       const char    *sql,
                       const char    *doing,
                       GError       **error)
{
  SqliteStorage *self = (SqliteStorage *) storage;
  sqlite3_stmt *stmt = NULL;

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      db_fail (self, doing, error);
      return NULL;
    }
  return stmt;
}

GPtrArray *
entsec_sqlite_collect (EntsecStorage  *storage,
                       sqlite3_stmt   *stmt,
                       gpointer      (*from_row) (sqlite3_stmt *stmt),
                       GDestroyNotify  free_func,
                       const char     *doing,
                       GError        **error)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func (free_func);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (rows, from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      db_fail ((SqliteStorage *) storage, doing, error);
      return NULL;
    }
  return g_steal_pointer (&rows);
}
