/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-storage-sqlite-private.h: what the SQLite backend's files share:
 * the connections, the group commit, the statement cache, the error
 * mapping and the text helpers. server-storage-sqlite.c owns the
 * connections; the calls of server-storage-sqlite-devices.c and
 * server-storage-sqlite-rp.c take them the same way.
 */
#pragma once

#include <sqlite3.h>

#include "server-storage.h"

G_BEGIN_DECLS

/* The tables of server-storage-sqlite-devices.c, part of schema version 1. */
extern const char entsec_sqlite_devices_schema[];

/* The tables of relying parties, tokens and push transactions, part of schema version 1. */
#define ENTSEC_SQLITE_SCHEMA_RP \
  "CREATE TABLE rps (" \
  "  id TEXT PRIMARY KEY," \
  "  name TEXT NOT NULL UNIQUE," \
  "  key_sha256 BLOB NOT NULL UNIQUE CHECK (length(key_sha256) = 32)," \
  "  created INTEGER NOT NULL," \
  "  revoked INTEGER NOT NULL DEFAULT 0);" \
  "CREATE TABLE tokens (" \
  "  id TEXT PRIMARY KEY," \
  "  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE," \
  "  type TEXT NOT NULL CHECK (type IN ('totp', 'hotp'))," \
  "  algorithm TEXT NOT NULL," \
  "  digits INTEGER NOT NULL," \
  "  period INTEGER NOT NULL," \
  "  issuer TEXT," \
  "  label TEXT," \
  "  sealed_seed BLOB NOT NULL," \
  "  state INTEGER NOT NULL DEFAULT 0," \
  "  created INTEGER NOT NULL," \
  "  failures INTEGER NOT NULL DEFAULT 0," \
  "  locked_until INTEGER NOT NULL DEFAULT 0," \
  "  last_step INTEGER NOT NULL DEFAULT -1);" \
  "CREATE INDEX tokens_user ON tokens (user_id, created);" \
  "CREATE TABLE push_transactions (" \
  "  id TEXT PRIMARY KEY," \
  "  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE," \
  "  rp_id TEXT NOT NULL," \
  "  context TEXT NOT NULL," \
  "  mode TEXT NOT NULL," \
  "  number INTEGER NOT NULL," \
  "  created INTEGER NOT NULL," \
  "  expires INTEGER NOT NULL," \
  "  state INTEGER NOT NULL DEFAULT 0," \
  "  wrong_numbers INTEGER NOT NULL DEFAULT 0," \
  "  flagged INTEGER NOT NULL DEFAULT 0," \
  "  device_id TEXT," \
  "  deny_reason TEXT);" \
  "CREATE INDEX push_user ON push_transactions (user_id, state, expires);" \
  "CREATE TABLE push_mutes (" \
  "  user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE," \
  "  mute_until INTEGER NOT NULL);"

/**
 * EntsecSqliteConn:
 * @db: the connection
 * @stmts: its prepared statements by SQL text (owned copies of the text)
 * @used: the statements a call took from @stmts, reset when the call ends
 *
 * One SQLite connection with its statement cache. The backend has one
 * writer, used under its lock, and a pool of readers, each used by one
 * call at a time.
 */
typedef struct
{
  sqlite3    *db;
  GHashTable *stmts;
  GPtrArray  *used;
} EntsecSqliteConn;

/* A call that only reads takes a reader, which sees committed data only;
 * NULL with @error when no reader can be opened. Give it back with
 * entsec_sqlite_read_end(). */
EntsecSqliteConn *entsec_sqlite_read_begin (EntsecStorage *storage,
                                            GError       **error);
void              entsec_sqlite_read_end (EntsecStorage    *storage,
                                          EntsecSqliteConn *conn);

/* A call that writes takes the writer: it joins the transaction that is
 * open (beginning one when none is), inside a savepoint of its own; NULL
 * with @error when none can begin. entsec_sqlite_write_end() keeps the
 * call's changes when @ok (else undoes them) and returns only once the
 * transaction is committed and synced, so the caller answers nothing
 * that is not durable (group commit: the calls that arrive while one
 * commits share the next commit). It returns @ok, or FALSE with @error
 * when the commit failed. */
EntsecSqliteConn *entsec_sqlite_write_begin (EntsecStorage *storage,
                                             GError       **error);
gboolean          entsec_sqlite_write_end (EntsecStorage *storage,
                                           gboolean       ok,
                                           GError       **error);

/* Sets @error from @conn's last error (CONFLICT for unique values, else
 * STORAGE, described as happening while @doing); returns FALSE. */
gboolean  entsec_sqlite_fail (EntsecSqliteConn *conn,
                              const char       *doing,
                              GError          **error);

/* Binds @text, NULL as SQL NULL; a column's text, NULL for NULL (g_free()). */
void      entsec_sqlite_bind_text (sqlite3_stmt *stmt,
                                   int           index,
                                   const char   *text);
char     *entsec_sqlite_column_text (sqlite3_stmt *stmt,
                                     int           index);

/* The prepared statement of @sql on @conn, prepared on first use and kept
 * (transfer none: never finalize it; it is reset when the call ends);
 * NULL with @error on failure, described as happening while @doing. */
sqlite3_stmt *entsec_sqlite_prepare (EntsecSqliteConn *conn,
                                     const char       *sql,
                                     const char       *doing,
                                     GError          **error);
/* A reader in *@conn and @sql prepared on it, for a call that only
 * reads; NULL with @error (and no reader) when either fails. Give the
 * reader back with entsec_sqlite_read_end(). */
sqlite3_stmt *entsec_sqlite_read_prepare (EntsecStorage     *storage,
                                          EntsecSqliteConn **conn,
                                          const char        *sql,
                                          const char        *doing,
                                          GError           **error);
/* The writer in *@conn and @sql prepared on it, for a call that writes.
 * NULL with @error when either fails; *@conn is set whenever the writer
 * was taken, and the call then ends with entsec_sqlite_write_end(). */
sqlite3_stmt *entsec_sqlite_write_prepare (EntsecStorage     *storage,
                                           EntsecSqliteConn **conn,
                                           const char        *sql,
                                           const char        *doing,
                                           GError           **error);
/* Steps @stmt, which returns no rows, to its end; FALSE with @error when
 * it fails. */
gboolean      entsec_sqlite_run (EntsecSqliteConn *conn,
                                 sqlite3_stmt     *stmt,
                                 const char       *doing,
                                 GError          **error);
/* Steps @stmt and returns every row through @from_row; NULL with @error
 * when stepping fails. */
GPtrArray    *entsec_sqlite_collect (EntsecSqliteConn *conn,
                                     sqlite3_stmt     *stmt,
                                     gpointer        (*from_row) (sqlite3_stmt *stmt),
                                     GDestroyNotify    free_func,
                                     const char       *doing,
                                     GError          **error);
/* The same with a backend-neutral @from_row (server-storage.h). */
GPtrArray    *entsec_sqlite_collect_rows (EntsecSqliteConn *conn,
                                          sqlite3_stmt     *stmt,
                                          gpointer        (*from_row) (const EntsecStorageRow *row),
                                          GDestroyNotify    free_func,
                                          const char       *doing,
                                          GError          **error);
/* The row @stmt stands on as a backend-neutral row. */
void          entsec_sqlite_row (sqlite3_stmt     *stmt,
                                 EntsecStorageRow *row);

/* server-storage-sqlite-rp.c */
gboolean     entsec_sqlite_rp_create (EntsecStorage *storage, const EntsecRp *rp,
                                      GError **error);
GPtrArray   *entsec_sqlite_rp_list (EntsecStorage *storage, GError **error);
gboolean     entsec_sqlite_rp_revoke (EntsecStorage *storage, const char *id, gint64 now,
                                      gboolean *found, GError **error);
gboolean     entsec_sqlite_token_create (EntsecStorage *storage, const EntsecToken *token,
                                         GError **error);
EntsecToken *entsec_sqlite_token_get (EntsecStorage *storage, const char *id,
                                      GError **error);
GPtrArray   *entsec_sqlite_token_list (EntsecStorage *storage, const char *user_id,
                                       GError **error);
gboolean     entsec_sqlite_token_update (EntsecStorage *storage, const EntsecToken *token,
                                         const EntsecToken *expected, gboolean *updated,
                                         GError **error);
gboolean     entsec_sqlite_push_start (EntsecStorage *storage, EntsecPush *push, guint max_open,
                                       gint64 *retry_after, GError **error);
EntsecPush  *entsec_sqlite_push_get (EntsecStorage *storage, const char *id, GError **error);
gboolean     entsec_sqlite_push_update (EntsecStorage *storage, const EntsecPush *push,
                                        const EntsecPush *expected, gboolean *updated,
                                        GError **error);
gboolean     entsec_sqlite_push_mute (EntsecStorage *storage, const char *user_id, gint64 until,
                                      GError **error);

/* devices, nonces, policies, commands (server-storage-sqlite-devices.c) */
gboolean      entsec_sqlite_nonce_remember (EntsecStorage *storage, const char *keyid,
                                            const char *nonce, gint64 now, gint64 keep_until,
                                            gboolean *fresh, GError **error);
gboolean      entsec_sqlite_device_register (EntsecStorage *storage, EntsecDevice *device,
                                             const guint8 *token_sha256,
                                             const guint8 *challenge_sha256, gint64 now,
                                             guint max_devices, GError **error);
EntsecDevice *entsec_sqlite_device_get (EntsecStorage *storage, const char *id, GError **error);
GPtrArray    *entsec_sqlite_device_list (EntsecStorage *storage, const char *user_id,
                                         const char *after, guint limit, GError **error);
gboolean      entsec_sqlite_device_update (EntsecStorage *storage, const EntsecDevice *device,
                                           gboolean *updated, GError **error);
gboolean      entsec_sqlite_policy_get (EntsecStorage *storage, const char *scope,
                                        char **settings, GError **error);
gboolean      entsec_sqlite_policy_set (EntsecStorage *storage, const char *scope,
                                        const char *settings, gint64 now, GError **error);
gboolean      entsec_sqlite_op_challenge_add (EntsecStorage *storage, const guint8 *nonce_sha256,
                                              const char *device_id, const char *op,
                                              gint64 expires, GError **error);
gboolean      entsec_sqlite_op_challenge_use (EntsecStorage *storage, const guint8 *nonce_sha256,
                                              const char *device_id, const char *op, gint64 now,
                                              gboolean *found, GError **error);
gboolean      entsec_sqlite_device_event_add (EntsecStorage *storage, const char *device_id,
                                              const char *type, const char *body, gint64 now,
                                              GError **error);
gboolean      entsec_sqlite_command_add (EntsecStorage *storage,
                                         const EntsecDeviceCommand *command,
                                         const char *event_body, GError **error);
gboolean      entsec_sqlite_command_ack (EntsecStorage *storage, const char *device_id,
                                         const char *command_id, const char *result, gint64 now,
                                         EntsecCommandAck *outcome, GError **error);
GPtrArray    *entsec_sqlite_command_list (EntsecStorage *storage, const char *device_id,
                                          GError **error);
GPtrArray    *entsec_sqlite_device_event_list (EntsecStorage *storage, const char *device_id,
                                               gint64 after, guint limit, GError **error);
gboolean      entsec_sqlite_push_delivery_add (EntsecStorage *storage, const char *push_id,
                                               const char *device_id, const char *nonce,
                                               const guint8 *push_sha256, gint64 expires,
                                               GError **error);
gboolean      entsec_sqlite_token_delivery_claim (EntsecStorage *storage, const char *token_id,
                                                  const char *device_id, gint64 now,
                                                  gboolean *claimed, GError **error);
gboolean      entsec_sqlite_token_delivery_get (EntsecStorage *storage, const char *token_id,
                                                char **device_id, GError **error);
gboolean      entsec_sqlite_push_delivery_get (EntsecStorage *storage, const char *push_id,
                                               const char *device_id, char **nonce,
                                               guint8 *push_sha256, gboolean *found,
                                               GError **error);
/* srv-rest: deleting a user with what hangs on it */
gboolean      entsec_sqlite_user_remove (EntsecStorage *storage, const char *user_id,
                                         GPtrArray **revoked, gboolean *found, GError **error);
/* srv-rest: pruning device events */
gboolean      entsec_sqlite_device_events_prune (EntsecStorage *storage, const char *device_id,
                                                 gint64 through, gint64 before, GError **error);
gboolean      entsec_sqlite_device_events_stats (EntsecStorage *storage, gint64 *count,
                                                 gint64 *oldest, GError **error);
/* srv-rest: the user an enrollment token is for (min_client_version at registration) */
gboolean      entsec_sqlite_enrollment_token_user (EntsecStorage *storage,
                                                   const guint8 *token_sha256, char **user_id,
                                                   GError **error);

/* key rotation (server-storage-sqlite-rotate.c); its schema is run at every open */
extern const char entsec_sqlite_rotate_schema[];
GPtrArray    *entsec_sqlite_authority_key_list (EntsecStorage *storage, GError **error);
gboolean      entsec_sqlite_authority_key_add (EntsecStorage *storage,
                                               const EntsecAuthorityKey *key, GError **error);
gboolean      entsec_sqlite_authority_key_seal (EntsecStorage *storage, guint seq,
                                                GBytes *sealed_key, GError **error);
gboolean      entsec_sqlite_authority_key_head (EntsecStorage *storage, guint *seq,
                                                GError **error);
/* Adds the column of sealed private keys to a table made without it. */
gboolean      entsec_sqlite_rotate_upgrade (sqlite3 *db, GError **error);
gboolean      entsec_sqlite_device_rekey (EntsecStorage *storage, const EntsecDevice *device,
                                          gboolean *updated, GError **error);

/* rate limits (server-storage-sqlite-ratelimit.c); its schema is run at every open */
extern const char entsec_sqlite_ratelimit_schema[];
gboolean      entsec_sqlite_ratelimit_take (EntsecStorage *storage, const char *key,
                                            guint limit, gint64 window, gint64 now,
                                            gboolean *allowed, gint64 *retry_after,
                                            GError **error);

G_END_DECLS
