/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-storage-sqlite-devices.c: the SQL of devices, request nonces,
 * policies, op-challenges and device events, on the backend's connections
 * (server-storage-sqlite.c): its statement cache, its group commit for
 * the calls that write, its readers for those that only read.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include "server-storage-sqlite-private.h"

const char entsec_sqlite_devices_schema[] =
  "CREATE TABLE devices ("
  "  id TEXT PRIMARY KEY,"
  "  user_id TEXT NOT NULL,"
  "  key_jwk TEXT NOT NULL,"
  "  key_jkt TEXT NOT NULL UNIQUE,"
  "  key_epoch INTEGER NOT NULL,"
  "  state INTEGER NOT NULL,"
  "  claims TEXT NOT NULL,"
  "  created INTEGER NOT NULL,"
  "  last_seen INTEGER NOT NULL,"
  "  mismatches INTEGER NOT NULL DEFAULT 0,"
  "  policy_version INTEGER NOT NULL DEFAULT 0,"
  "  policy_sha256 BLOB,"
  "  revision INTEGER NOT NULL DEFAULT 0);"
  "CREATE INDEX devices_user ON devices (user_id, id);"
  "CREATE TABLE request_nonces ("
  "  keyid TEXT NOT NULL,"
  "  nonce TEXT NOT NULL,"
  "  keep_until INTEGER NOT NULL,"
  "  PRIMARY KEY (keyid, nonce));"
  "CREATE INDEX request_nonces_keep ON request_nonces (keep_until);"
  "CREATE TABLE policies ("
  "  scope TEXT PRIMARY KEY,"
  "  settings TEXT NOT NULL,"
  "  updated INTEGER NOT NULL);"
  "CREATE TABLE op_challenges ("
  "  nonce_sha256 BLOB PRIMARY KEY,"
  "  device_id TEXT NOT NULL,"
  "  op TEXT NOT NULL,"
  "  expires INTEGER NOT NULL);"
  "CREATE TABLE device_events ("
  "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  device_id TEXT NOT NULL,"
  "  type TEXT NOT NULL,"
  "  body TEXT NOT NULL,"
  "  created INTEGER NOT NULL);"
  "CREATE INDEX device_events_device ON device_events (device_id, seq);"
  "CREATE TABLE device_commands ("
  "  id TEXT PRIMARY KEY,"
  "  device_id TEXT NOT NULL,"
  "  type TEXT NOT NULL,"
  "  actor TEXT NOT NULL,"
  "  created INTEGER NOT NULL,"
  "  acked INTEGER NOT NULL DEFAULT 0,"
  "  result TEXT);"
  "CREATE INDEX device_commands_device ON device_commands (device_id, created);"
  "CREATE TABLE push_deliveries ("
  "  push_id TEXT NOT NULL,"
  "  device_id TEXT NOT NULL,"
  "  nonce TEXT NOT NULL,"
  "  push_sha256 BLOB NOT NULL CHECK (length(push_sha256) = 32),"
  "  expires INTEGER NOT NULL,"
  "  PRIMARY KEY (push_id, device_id));"
  "CREATE TABLE token_deliveries ("
  "  token_id TEXT PRIMARY KEY,"
  "  device_id TEXT NOT NULL,"
  "  delivered INTEGER NOT NULL);";


static void
bind_digest (sqlite3_stmt *stmt,
             int           index,
             const guint8 *digest)
{
  sqlite3_bind_blob (stmt, index, digest, ENTSEC_SERVER_DIGEST_SIZE, SQLITE_TRANSIENT);
}

static gboolean
run_va (EntsecSqliteConn *conn,
        const char       *sql,
        const char       *doing,
        GError          **error,
        const char       *types,
        va_list           args)
{
  sqlite3_stmt *stmt = entsec_sqlite_prepare (conn, sql, doing, error);

  if (stmt == NULL)
    return FALSE;
  for (int i = 0; types[i] != '\0'; i++)
    {
      if (types[i] == 't')
        entsec_sqlite_bind_text (stmt, i + 1, va_arg (args, const char *));
      else if (types[i] == 'i')
        sqlite3_bind_int64 (stmt, i + 1, va_arg (args, gint64));
      else
        bind_digest (stmt, i + 1, va_arg (args, const guint8 *));
    }
  return entsec_sqlite_run (conn, stmt, doing, error);
}

/* Runs @sql (no rows) with the text and integer values given: "t" text, "i" gint64, "d" digest. */
static gboolean
run (EntsecSqliteConn *conn,
     const char       *sql,
     const char       *doing,
     GError          **error,
     const char       *types,
     ...)
{
  va_list args;
  gboolean ok;

  va_start (args, types);
  ok = run_va (conn, sql, doing, error, types, args);
  va_end (args);
  return ok;
}

/* A call of one statement that writes: run() on the writer, durable when
 * it returns TRUE; *@changes (when not NULL): the rows it changed. */
static gboolean
write_sql (EntsecStorage *storage,
           gint64        *changes,
           const char    *sql,
           const char    *doing,
           GError       **error,
           const char    *types,
           ...)
{
  EntsecSqliteConn *conn = entsec_sqlite_write_begin (storage, error);
  va_list args;
  gboolean ok;

  if (conn == NULL)
    return FALSE;
  va_start (args, types);
  ok = run_va (conn, sql, doing, error, types, args);
  va_end (args);
  if (changes != NULL)
    *changes = ok ? sqlite3_changes64 (conn->db) : 0;
  return entsec_sqlite_write_end (storage, ok, error);
}

gboolean
entsec_sqlite_nonce_remember (EntsecStorage *storage,
                              const char    *keyid,
                              const char    *nonce,
                              gint64         now,
                              gint64         keep_until,
                              gboolean      *fresh,
                              GError       **error)
{
  EntsecSqliteConn *conn = entsec_sqlite_write_begin (storage, error);
  gboolean ok;

  *fresh = FALSE;
  if (conn == NULL)
    return FALSE;
  ok = run (conn, "DELETE FROM request_nonces WHERE keep_until < ?1", "pruning nonces", error,
            "i", now)
       && run (conn, "INSERT OR IGNORE INTO request_nonces (keyid, nonce, keep_until) "
                     "VALUES (?1, ?2, ?3)", "remembering a nonce", error, "tti",
               keyid, nonce, keep_until);
  *fresh = ok && sqlite3_changes (conn->db) == 1;
  return entsec_sqlite_write_end (storage, ok, error);
}

/* The enrollment behind a token: its user, when it expires, its challenge. */
static gboolean
find_enrollment (EntsecSqliteConn *conn,
                 const guint8     *token_sha256,
                 char            **user_id,
                 gint64           *expires,
                 guint8            challenge[ENTSEC_SERVER_DIGEST_SIZE],
                 GError          **error)
{
  sqlite3_stmt *stmt = entsec_sqlite_prepare (conn, "SELECT e.user_id, e.token_expires, "
                                                    "e.challenge_sha256 FROM enrollments e "
                                                    "JOIN users u ON u.id = e.user_id "
                                                    "WHERE e.token_sha256 = ?1 AND e.state = 1 "
                                                    "AND u.disabled = 0",
                                              "reading an enrollment", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  bind_digest (stmt, 1, token_sha256);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW && sqlite3_column_bytes (stmt, 2) == ENTSEC_SERVER_DIGEST_SIZE)
    {
      *user_id = entsec_sqlite_column_text (stmt, 0);
      *expires = sqlite3_column_int64 (stmt, 1);
      memcpy (challenge, sqlite3_column_blob (stmt, 2), ENTSEC_SERVER_DIGEST_SIZE);
    }
  else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    entsec_sqlite_fail (conn, "reading an enrollment", error);
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

static gint64
count_devices (EntsecSqliteConn *conn,
               const char       *user_id,
               GError          **error)
{
  sqlite3_stmt *stmt = entsec_sqlite_prepare (conn, "SELECT count(*) FROM devices "
                                                    "WHERE user_id = ?1 AND state IN (0, 1)",
                                              "counting devices", error);
  gint64 n = -1;

  if (stmt == NULL)
    return -1;
  entsec_sqlite_bind_text (stmt, 1, user_id);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    n = sqlite3_column_int64 (stmt, 0);
  else
    entsec_sqlite_fail (conn, "counting devices", error);
  return n;
}

static gboolean
refuse (GError   **error,
        int        code,
        const char *message)
{
  g_set_error_literal (error, ENTSEC_SERVER_ERROR, code, message);
  return FALSE;
}

static gboolean
insert_device (EntsecSqliteConn   *conn,
               const EntsecDevice *d,
               GError            **error)
{
  return run (conn, "INSERT INTO devices (id, user_id, key_jwk, key_jkt, key_epoch, state, "
                    "claims, created, last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
              "adding a device", error, "ttttiitii", d->id, d->user_id, d->key_jwk, d->key_jkt,
              (gint64) d->key_epoch, (gint64) d->state, d->claims, d->created, d->last_seen);
}

/* The steps of a registration, inside the call's savepoint. */
static gboolean
register_steps (EntsecSqliteConn *conn,
                EntsecDevice     *device,
                const guint8     *token_sha256,
                const guint8     *challenge_sha256,
                gint64            now,
                guint             max_devices,
                GError          **error)
{
  g_autofree char *user_id = NULL;
  guint8 challenge[ENTSEC_SERVER_DIGEST_SIZE] = { 0 };
  gint64 expires = 0, count;

  if (!find_enrollment (conn, token_sha256, &user_id, &expires, challenge, error))
    return FALSE;
  if (user_id == NULL || memcmp (challenge, challenge_sha256, sizeof challenge) != 0)
    return refuse (error, ENTSEC_SERVER_ERROR_INVALID_CODE,
                   "The enrollment token or registration challenge is wrong or used; "
                   "enroll again");
  if (now >= expires)
    return refuse (error, ENTSEC_SERVER_ERROR_EXPIRED,
                   "The enrollment token expired; enroll again");
  count = count_devices (conn, user_id, error);
  if (count < 0)
    return FALSE;
  if (count >= max_devices)
    return refuse (error, ENTSEC_SERVER_ERROR_LIMIT,
                   "The user has as many devices as allowed; an admin must revoke one first");
  g_free (device->user_id);
  device->user_id = g_steal_pointer (&user_id);
  return run (conn, "UPDATE enrollments SET token_sha256 = NULL, challenge_sha256 = NULL "
                    "WHERE token_sha256 = ?1", "using an enrollment token", error, "d",
              token_sha256)
              && insert_device (conn, device, error);
}

gboolean
entsec_sqlite_device_register (EntsecStorage *storage,
                               EntsecDevice  *device,
                               const guint8  *token_sha256,
                               const guint8  *challenge_sha256,
                               gint64         now,
                               guint          max_devices,
                               GError       **error)
{
  EntsecSqliteConn *conn = entsec_sqlite_write_begin (storage, error);
  gboolean ok;

  if (conn == NULL)
    return FALSE;
  ok = register_steps (conn, device, token_sha256, challenge_sha256, now, max_devices, error);
  return entsec_sqlite_write_end (storage, ok, error);
}

EntsecDevice *
entsec_sqlite_device_get (EntsecStorage *storage,
                          const char    *id,
                          GError       **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt;
  EntsecDevice *device = NULL;
  EntsecStorageRow row;
  int rc;

  stmt = entsec_sqlite_read_prepare (storage, &conn, "SELECT " ENTSEC_STORAGE_DEVICE_COLUMNS
                                      " FROM devices WHERE id = ?1", "reading a device", error);
  if (stmt != NULL)
    {
      entsec_sqlite_bind_text (stmt, 1, id);
      rc = sqlite3_step (stmt);
      entsec_sqlite_row (stmt, &row);
      if (rc == SQLITE_ROW)
        device = entsec_storage_device_from_row (&row);
      else if (rc != SQLITE_DONE)
        entsec_sqlite_fail (conn, "reading a device", error);
    }
  if (conn != NULL)
    entsec_sqlite_read_end (storage, conn);
  return device;
}

GPtrArray *
entsec_sqlite_device_list (EntsecStorage *storage,
                           const char    *user_id,
                           const char    *after,
                           guint          limit,
                           GError       **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt;
  GPtrArray *rows = NULL;

  stmt = entsec_sqlite_read_prepare (storage, &conn, "SELECT " ENTSEC_STORAGE_DEVICE_COLUMNS
                                      " FROM devices WHERE (?1 IS NULL OR user_id = ?1) "
                                      "AND id > ?2 ORDER BY id LIMIT ?3", "listing devices",
                                     error);
  if (stmt != NULL)
    {
      entsec_sqlite_bind_text (stmt, 1, user_id);
      entsec_sqlite_bind_text (stmt, 2, after != NULL ? after : "");
      sqlite3_bind_int64 (stmt, 3, limit);
      rows = entsec_sqlite_collect_rows (conn, stmt, entsec_storage_device_from_row,
                                         (GDestroyNotify) entsec_device_free, "listing devices",
                                         error);
    }
  if (conn != NULL)
    entsec_sqlite_read_end (storage, conn);
  return rows;
}

gboolean
entsec_sqlite_device_update (EntsecStorage      *storage,
                             const EntsecDevice *d,
                             gboolean           *updated,
                             GError            **error)
{
  gint64 changes = 0;
  gboolean ok = write_sql (storage, &changes,
                           "UPDATE devices SET state = ?2, last_seen = ?3, mismatches = ?4, "
                           "policy_version = ?5, policy_sha256 = ?6, revision = revision + 1 "
                           "WHERE id = ?1 AND revision = ?7", "updating a device", error,
                           "tiiiidi", d->id, (gint64) d->state, d->last_seen,
                           (gint64) d->mismatches, d->policy_version, d->policy_sha256,
                           d->revision);

  *updated = ok && changes == 1;
  return ok;
}

gboolean
entsec_sqlite_policy_get (EntsecStorage *storage,
                          const char    *scope,
                          char         **settings,
                          GError       **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt;
  int rc = SQLITE_ERROR;

  stmt = entsec_sqlite_read_prepare (storage, &conn,
                                      "SELECT settings FROM policies WHERE scope = ?1",
                                      "reading a policy", error);
  *settings = NULL;
  if (stmt != NULL)
    {
      entsec_sqlite_bind_text (stmt, 1, scope);
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        *settings = entsec_sqlite_column_text (stmt, 0);
      else if (rc != SQLITE_DONE)
        entsec_sqlite_fail (conn, "reading a policy", error);
    }
  if (conn != NULL)
    entsec_sqlite_read_end (storage, conn);
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

gboolean
entsec_sqlite_policy_set (EntsecStorage *storage,
                          const char    *scope,
                          const char    *settings,
                          gint64         now,
                          GError       **error)
{
  return write_sql (storage, NULL, "INSERT OR REPLACE INTO policies (scope, settings, updated) "
                                   "VALUES (?1, ?2, ?3)", "storing a policy", error, "tti",
                    scope, settings, now);
}

gboolean
entsec_sqlite_op_challenge_add (EntsecStorage *storage,
                                const guint8  *nonce_sha256,
                                const char    *device_id,
                                const char    *op,
                                gint64         expires,
                                GError       **error)
{
  return write_sql (storage, NULL, "INSERT INTO op_challenges (nonce_sha256, device_id, op, "
                                   "expires) VALUES (?1, ?2, ?3, ?4)",
                    "storing an op-challenge", error, "dtti", nonce_sha256, device_id, op,
                    expires);
}

gboolean
entsec_sqlite_op_challenge_use (EntsecStorage *storage,
                                const guint8  *nonce_sha256,
                                const char    *device_id,
                                const char    *op,
                                gint64         now,
                                gboolean      *found,
                                GError       **error)
{
  EntsecSqliteConn *conn = entsec_sqlite_write_begin (storage, error);
  gboolean ok;

  if (conn == NULL)
    return FALSE;
  ok = run (conn, "DELETE FROM op_challenges WHERE nonce_sha256 = ?1 AND device_id = ?2 "
                  "AND op = ?3 AND expires > ?4", "using an op-challenge", error, "dtti",
            nonce_sha256, device_id, op, now);

  *found = ok && sqlite3_changes (conn->db) == 1;
  ok = ok && run (conn, "DELETE FROM op_challenges WHERE expires <= ?1",
                  "pruning op-challenges", error, "i", now);
  return entsec_sqlite_write_end (storage, ok, error);
}

gboolean
entsec_sqlite_device_event_add (EntsecStorage *storage,
                                const char    *device_id,
                                const char    *type,
                                const char    *body,
                                gint64         now,
                                GError       **error)
{
  return write_sql (storage, NULL, "INSERT INTO device_events (device_id, type, body, created) "
                                   "VALUES (?1, ?2, ?3, ?4)", "recording a device event", error,
                    "ttti", device_id, type, body, now);
}

gboolean
entsec_sqlite_command_add (EntsecStorage             *storage,
                           const EntsecDeviceCommand *c,
                           const char                *event_body,
                           GError                   **error)
{
  EntsecSqliteConn *conn = entsec_sqlite_write_begin (storage, error);
  gboolean ok;

  if (conn == NULL)
    return FALSE;
  /* one savepoint: a command that is refused (a taken id) leaves no event */
  ok = run (conn, "INSERT INTO device_events (device_id, type, body, created) "
                  "VALUES (?1, 'command', ?2, ?3)", "recording a device event", error, "tti",
            c->device_id, event_body, c->created)
       && run (conn, "INSERT INTO device_commands (id, device_id, type, actor, created) "
                     "VALUES (?1, ?2, ?3, ?4, ?5)", "storing a command", error, "tttti", c->id,
               c->device_id, c->type, c->actor, c->created);
  return entsec_sqlite_write_end (storage, ok, error);
}

/* Whether @command_id of @device_id exists (after an acknowledgement changed nothing). */
static gboolean
command_exists (EntsecSqliteConn *conn,
                const char       *device_id,
                const char       *command_id,
                gboolean         *exists,
                GError          **error)
{
  sqlite3_stmt *stmt = entsec_sqlite_prepare (conn, "SELECT 1 FROM device_commands "
                                                    "WHERE id = ?1 AND device_id = ?2",
                                              "reading a command", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  entsec_sqlite_bind_text (stmt, 1, command_id);
  entsec_sqlite_bind_text (stmt, 2, device_id);
  rc = sqlite3_step (stmt);
  *exists = rc == SQLITE_ROW;
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    entsec_sqlite_fail (conn, "reading a command", error);
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

gboolean
entsec_sqlite_command_ack (EntsecStorage    *storage,
                           const char       *device_id,
                           const char       *command_id,
                           const char       *result,
                           gint64            now,
                           EntsecCommandAck *outcome,
                           GError          **error)
{
  EntsecSqliteConn *conn = entsec_sqlite_write_begin (storage, error);
  gboolean exists = FALSE;
  gboolean ok;

  if (conn == NULL)
    return FALSE;
  ok = run (conn, "UPDATE device_commands SET acked = ?1, result = ?2 "
                  "WHERE id = ?3 AND device_id = ?4 AND acked = 0",
            "acknowledging a command", error, "ittt", now, result, command_id,
            device_id);

  *outcome = ENTSEC_COMMAND_ACK_DONE;
  if (ok && sqlite3_changes (conn->db) == 0)
    {
      ok = command_exists (conn, device_id, command_id, &exists, error);
      *outcome = exists ? ENTSEC_COMMAND_ACK_ALREADY : ENTSEC_COMMAND_ACK_UNKNOWN;
    }
  return entsec_sqlite_write_end (storage, ok, error);
}

GPtrArray *
entsec_sqlite_command_list (EntsecStorage *storage,
                            const char    *device_id,
                            GError       **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt;
  GPtrArray *rows = NULL;

  stmt = entsec_sqlite_read_prepare (storage, &conn,
                                      "SELECT " ENTSEC_STORAGE_COMMAND_COLUMNS " "
                                      "FROM device_commands WHERE device_id = ?1 "
                                      "ORDER BY created, id", "listing commands", error);
  if (stmt != NULL)
    {
      entsec_sqlite_bind_text (stmt, 1, device_id);
      rows = entsec_sqlite_collect_rows (conn, stmt, entsec_storage_device_command_from_row,
                                         (GDestroyNotify) entsec_device_command_free,
                                         "listing commands", error);
    }
  if (conn != NULL)
    entsec_sqlite_read_end (storage, conn);
  return rows;
}

GPtrArray *
entsec_sqlite_device_event_list (EntsecStorage *storage,
                                 const char    *device_id,
                                 gint64         after,
                                 guint          limit,
                                 GError       **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt;
  GPtrArray *rows = NULL;

  stmt = entsec_sqlite_read_prepare (storage, &conn, "SELECT " ENTSEC_STORAGE_EVENT_COLUMNS " "
                                      "FROM device_events WHERE device_id = ?1 AND seq > ?2 "
                                      "ORDER BY seq LIMIT ?3", "listing device events", error);
  if (stmt != NULL)
    {
      entsec_sqlite_bind_text (stmt, 1, device_id);
      sqlite3_bind_int64 (stmt, 2, after);
      sqlite3_bind_int64 (stmt, 3, limit);
      rows = entsec_sqlite_collect_rows (conn, stmt, entsec_storage_device_event_from_row,
                                         (GDestroyNotify) entsec_device_event_free,
                                         "listing device events", error);
    }
  if (conn != NULL)
    entsec_sqlite_read_end (storage, conn);
  return rows;
}

gboolean
entsec_sqlite_push_delivery_add (EntsecStorage *storage,
                                 const char    *push_id,
                                 const char    *device_id,
                                 const char    *nonce,
                                 const guint8  *push_sha256,
                                 gint64         expires,
                                 GError       **error)
{
  EntsecSqliteConn *conn = entsec_sqlite_write_begin (storage, error);
  gboolean ok;

  if (conn == NULL)
    return FALSE;
  ok = run (conn, "DELETE FROM push_deliveries WHERE expires < ?1",
            "pruning push deliveries", error, "i", expires - ENTSEC_STORAGE_PUSH_KEEP)
       && run (conn, "INSERT INTO push_deliveries "
                     "(push_id, device_id, nonce, push_sha256, expires) "
                     "VALUES (?1, ?2, ?3, ?4, ?5)", "recording a push delivery", error,
               "tttdi", push_id, device_id, nonce, push_sha256, expires);
  return entsec_sqlite_write_end (storage, ok, error);
}

gboolean
entsec_sqlite_push_delivery_get (EntsecStorage *storage,
                                 const char    *push_id,
                                 const char    *device_id,
                                 char         **nonce,
                                 guint8        *push_sha256,
                                 gboolean      *found,
                                 GError       **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;
  int rc;

  stmt = entsec_sqlite_read_prepare (storage, &conn,
                                      "SELECT nonce, push_sha256 FROM push_deliveries "
                                      "WHERE push_id = ?1 AND device_id = ?2",
                                      "reading a push delivery", error);
  *found = FALSE;
  if (stmt != NULL)
    {
      entsec_sqlite_bind_text (stmt, 1, push_id);
      entsec_sqlite_bind_text (stmt, 2, device_id);
      rc = sqlite3_step (stmt);
      ok = rc == SQLITE_DONE || rc == SQLITE_ROW
           || entsec_sqlite_fail (conn, "reading a push delivery", error);
      if (rc == SQLITE_ROW && sqlite3_column_bytes (stmt, 1) == ENTSEC_SERVER_DIGEST_SIZE)
        {
          *nonce = entsec_sqlite_column_text (stmt, 0);
          memcpy (push_sha256, sqlite3_column_blob (stmt, 1), ENTSEC_SERVER_DIGEST_SIZE);
          *found = TRUE;
        }
    }
  if (conn != NULL)
    entsec_sqlite_read_end (storage, conn);
  return ok;
}

gboolean
entsec_sqlite_token_delivery_claim (EntsecStorage *storage,
                                    const char    *token_id,
                                    const char    *device_id,
                                    gint64         now,
                                    gboolean      *claimed,
                                    GError       **error)
{
  gint64 changes = 0;
  gboolean ok = write_sql (storage, &changes,
                           "INSERT OR IGNORE INTO token_deliveries (token_id, device_id, "
                           "delivered) VALUES (?1, ?2, ?3)", "recording a token delivery",
                           error, "tti", token_id, device_id, now);

  *claimed = ok && changes == 1;
  return ok;
}

gboolean
entsec_sqlite_token_delivery_get (EntsecStorage *storage,
                                  const char    *token_id,
                                  char         **device_id,
                                  GError       **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;
  int rc;

  stmt = entsec_sqlite_read_prepare (storage, &conn,
                                      "SELECT device_id FROM token_deliveries WHERE token_id = ?1",
                                      "reading a token delivery", error);
  *device_id = NULL;
  if (stmt != NULL)
    {
      entsec_sqlite_bind_text (stmt, 1, token_id);
      rc = sqlite3_step (stmt);
      ok = rc == SQLITE_DONE || rc == SQLITE_ROW
           || entsec_sqlite_fail (conn, "reading a token delivery", error);
      if (rc == SQLITE_ROW)
        *device_id = entsec_sqlite_column_text (stmt, 0);
    }
  if (conn != NULL)
    entsec_sqlite_read_end (storage, conn);
  return ok;
}

static gpointer
text_from_row (sqlite3_stmt *stmt)
{
  return entsec_sqlite_column_text (stmt, 0);
}

/* The steps of removing a user, inside the transaction; *found is FALSE
 * (and nothing changes) when there is no such user. */
static gboolean
user_remove_steps (EntsecSqliteConn *conn,
                   const char       *user_id,
                   GPtrArray       **revoked,
                   gboolean         *found,
                   GError          **error)
{
  sqlite3_stmt *stmt = entsec_sqlite_prepare (conn, "SELECT id FROM devices WHERE user_id = ?1 "
                                                    "AND state IN (0, 1) ORDER BY id",
                                              "listing a user's devices", error);

  if (stmt == NULL)
    return FALSE;
  entsec_sqlite_bind_text (stmt, 1, user_id);
  *revoked = entsec_sqlite_collect (conn, stmt, text_from_row, g_free,
                                    "listing a user's devices", error);
  if (*revoked == NULL)
    return FALSE;
  /* tokens, push transactions and mutes go with the user (ON DELETE CASCADE);
   * what refers to them or to the devices by id goes here */
  if (!run (conn, "DELETE FROM token_deliveries WHERE token_id IN "
                  "(SELECT id FROM tokens WHERE user_id = ?1)", "removing token deliveries",
            error, "t", user_id)
      || !run (conn, "DELETE FROM users WHERE id = ?1", "deleting a user", error, "t", user_id))
    return FALSE;
  *found = sqlite3_changes (conn->db) > 0;
  if (!*found)
    {
      g_ptr_array_set_size (*revoked, 0);
      return TRUE;
    }
  return run (conn, "UPDATE devices SET state = 2, revision = revision + 1 "
                    "WHERE user_id = ?1 AND state IN (0, 1)", "revoking a user's devices", error,
              "t", user_id)
         && run (conn, "DELETE FROM op_challenges WHERE device_id IN "
                       "(SELECT id FROM devices WHERE user_id = ?1)", "removing op-challenges",
                 error, "t", user_id)
         && run (conn, "DELETE FROM push_deliveries WHERE device_id IN "
                       "(SELECT id FROM devices WHERE user_id = ?1)", "removing push deliveries",
                 error, "t", user_id)
         && run (conn, "DELETE FROM enrollments WHERE user_id = ?1", "removing enrollments",
                 error, "t", user_id);
}

gboolean
entsec_sqlite_user_remove (EntsecStorage *storage,
                           const char    *user_id,
                           GPtrArray    **revoked,
                           gboolean      *found,
                           GError       **error)
{
  EntsecSqliteConn *conn = entsec_sqlite_write_begin (storage, error);
  gboolean ok;

  *revoked = NULL;
  *found = FALSE;
  if (conn == NULL)
    return FALSE;
  ok = user_remove_steps (conn, user_id, revoked, found, error);
  ok = entsec_sqlite_write_end (storage, ok, error);
  if (!ok)
    {
      g_clear_pointer (revoked, g_ptr_array_unref);
      *found = FALSE;
    }
  return ok;
}

gboolean
entsec_sqlite_device_events_prune (EntsecStorage *storage,
                                   const char    *device_id,
                                   gint64         through,
                                   gint64         before,
                                   GError       **error)
{
  EntsecSqliteConn *conn = entsec_sqlite_write_begin (storage, error);
  gboolean ok = TRUE;

  if (conn == NULL)
    return FALSE;
  if (device_id != NULL)
    ok = run (conn, "DELETE FROM device_events WHERE device_id = ?1 AND seq <= ?2",
              "pruning acknowledged device events", error, "ti", device_id, through);
  /* seq rises with created, so the old ones are a prefix of the rowid order: the
   * first young row is found without scanning the table, and the delete is a range */
  ok = ok && run (conn, "DELETE FROM device_events WHERE seq < coalesce("
                        "(SELECT seq FROM device_events WHERE created >= ?1 ORDER BY seq LIMIT 1),"
                        " 9223372036854775807)", "pruning old device events", error, "i", before);
  return entsec_sqlite_write_end (storage, ok, error);
}

gboolean
entsec_sqlite_device_events_stats (EntsecStorage *storage,
                                   gint64        *count,
                                   gint64        *oldest,
                                   GError       **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt = entsec_sqlite_read_prepare (storage, &conn,
                                                   "SELECT count(*), min(created) FROM device_events",
                                                   "counting device events", error);
  gboolean ok = FALSE;

  *count = 0;
  *oldest = 0;
  if (stmt != NULL)
    {
      ok = sqlite3_step (stmt) == SQLITE_ROW
           || entsec_sqlite_fail (conn, "counting device events", error);
      if (ok)
        {
          *count = sqlite3_column_int64 (stmt, 0);
          *oldest = sqlite3_column_int64 (stmt, 1);  /* NULL, no rows: 0 */
        }
    }
  if (conn != NULL)
    entsec_sqlite_read_end (storage, conn);
  return ok;
}

gboolean
entsec_sqlite_enrollment_token_user (EntsecStorage *storage,
                                     const guint8  *token_sha256,
                                     char         **user_id,
                                     GError       **error)
{
  EntsecSqliteConn *conn = entsec_sqlite_read_begin (storage, error);
  guint8 challenge[ENTSEC_SERVER_DIGEST_SIZE] = { 0 };
  gint64 expires = 0;
  gboolean ok;

  *user_id = NULL;
  if (conn == NULL)
    return FALSE;
  ok = find_enrollment (conn, token_sha256, user_id, &expires, challenge, error);
  entsec_sqlite_read_end (storage, conn);
  return ok;
}
