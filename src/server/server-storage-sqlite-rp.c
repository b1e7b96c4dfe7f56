/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-storage-sqlite-rp.c: the SQLite backend's relying parties,
 * tokens and push transactions. A call that writes runs on the backend's
 * one writer, so a compare-and-set update is atomic against every other
 * request; a call that only reads takes a reader.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include "server-storage-sqlite-private.h"

/* The one row of @sql with @id bound to ?1; NULL (error unset) when none. */
static gpointer
get_one (EntsecStorage  *storage,
         const char     *sql,
         const char     *id,
         gpointer      (*from_row) (sqlite3_stmt *stmt),
         GDestroyNotify  free_func,
         const char     *doing,
         GError        **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt = entsec_sqlite_read_prepare (storage, &conn, sql, doing, error);
  g_autoptr (GPtrArray) rows = NULL;

  if (stmt != NULL)
    {
      entsec_sqlite_bind_text (stmt, 1, id);
      rows = entsec_sqlite_collect (conn, stmt, from_row, free_func, doing, error);
      entsec_sqlite_read_end (storage, conn);
    }
  return rows != NULL && rows->len > 0 ? g_ptr_array_steal_index (rows, 0) : NULL;
}

gboolean
entsec_sqlite_rp_create (EntsecStorage  *storage,
                         const EntsecRp *rp,
                         GError        **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt = entsec_sqlite_write_prepare (storage, &conn,
                                                    "INSERT INTO rps (id, name, key_sha256, "
                                                    "created) VALUES (?1, ?2, ?3, ?4)",
                                                    "adding a relying party", error);
  gboolean ok = stmt != NULL;

  if (ok)
    {
      entsec_sqlite_bind_text (stmt, 1, rp->id);
      entsec_sqlite_bind_text (stmt, 2, rp->name);
      sqlite3_bind_blob (stmt, 3, rp->key_sha256, ENTSEC_SERVER_DIGEST_SIZE, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 4, rp->created);
      ok = entsec_sqlite_run (conn, stmt, "adding a relying party", error);
    }
  return conn != NULL && entsec_sqlite_write_end (storage, ok, error);
}

static gpointer
rp_from_row (sqlite3_stmt *stmt)
{
  EntsecRp *rp = g_new0 (EntsecRp, 1);
  const void *digest = sqlite3_column_blob (stmt, 2);

  rp->id = entsec_sqlite_column_text (stmt, 0);
  rp->name = entsec_sqlite_column_text (stmt, 1);
  /* The schema's CHECK keeps the length at 32. */
  if (digest != NULL && sqlite3_column_bytes (stmt, 2) == ENTSEC_SERVER_DIGEST_SIZE)
    memcpy (rp->key_sha256, digest, ENTSEC_SERVER_DIGEST_SIZE);
  rp->created = sqlite3_column_int64 (stmt, 3);
  rp->revoked = sqlite3_column_int64 (stmt, 4);
  return rp;
}

GPtrArray *
entsec_sqlite_rp_list (EntsecStorage *storage,
                       GError       **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt = entsec_sqlite_read_prepare (storage, &conn,
                                                   "SELECT id, name, key_sha256, created, revoked "
                                                   "FROM rps ORDER BY id",
                                                   "listing relying parties", error);
  GPtrArray *rows = NULL;

  if (stmt != NULL)
    {
      rows = entsec_sqlite_collect (conn, stmt, rp_from_row, (GDestroyNotify) entsec_rp_free,
                                    "listing relying parties", error);
      entsec_sqlite_read_end (storage, conn);
    }
  return rows;
}

gboolean
entsec_sqlite_rp_revoke (EntsecStorage *storage,
                         const char    *id,
                         gint64         now,
                         gboolean      *found,
                         GError       **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt = entsec_sqlite_write_prepare (storage, &conn,
                                                    "UPDATE rps SET revoked = ?2 WHERE id = ?1 "
                                                    "AND revoked = 0",
                                                    "revoking a relying party", error);
  gboolean ok = stmt != NULL;

  *found = FALSE;
  if (ok)
    {
      entsec_sqlite_bind_text (stmt, 1, id);
      sqlite3_bind_int64 (stmt, 2, MAX (now, 1));
      ok = entsec_sqlite_run (conn, stmt, "revoking a relying party", error);
      *found = ok && sqlite3_changes (conn->db) > 0;
    }
  return conn != NULL && entsec_sqlite_write_end (storage, ok, error);
}

gboolean
entsec_sqlite_token_create (EntsecStorage     *storage,
                            const EntsecToken *token,
                            GError           **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt = entsec_sqlite_write_prepare (storage, &conn,
                                                    "INSERT INTO tokens (id, user_id, type, "
                                                    "algorithm, digits, period, issuer, label, "
                                                    "sealed_seed, state, created, failures, "
                                                    "locked_until, last_step) VALUES (?1, ?2, "
                                                    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                                                    "?13, ?14)", "adding a token", error);
  gboolean ok = stmt != NULL;
  gsize len;
  gconstpointer seed;

  if (ok)
    {
      seed = g_bytes_get_data (token->sealed_seed, &len);
      entsec_sqlite_bind_text (stmt, 1, token->id);
      entsec_sqlite_bind_text (stmt, 2, token->user_id);
      entsec_sqlite_bind_text (stmt, 3, token->type);
      entsec_sqlite_bind_text (stmt, 4, token->algorithm);
      sqlite3_bind_int (stmt, 5, (int) token->digits);
      sqlite3_bind_int (stmt, 6, (int) token->period);
      entsec_sqlite_bind_text (stmt, 7, token->issuer);
      entsec_sqlite_bind_text (stmt, 8, token->label);
      sqlite3_bind_blob (stmt, 9, seed, (int) len, SQLITE_TRANSIENT);
      sqlite3_bind_int (stmt, 10, token->state);
      sqlite3_bind_int64 (stmt, 11, token->created);
      sqlite3_bind_int64 (stmt, 12, token->failures);
      sqlite3_bind_int64 (stmt, 13, token->locked_until);
      sqlite3_bind_int64 (stmt, 14, token->last_step);
      ok = entsec_sqlite_run (conn, stmt, "adding a token", error);
    }
  return conn != NULL && entsec_sqlite_write_end (storage, ok, error);
}

#define TOKEN_COLUMNS \
  "id, user_id, type, algorithm, digits, period, issuer, label, sealed_seed, state, " \
  "created, failures, locked_until, last_step"

static gpointer
token_from_row (sqlite3_stmt *stmt)
{
  EntsecToken *token = g_new0 (EntsecToken, 1);

  token->id = entsec_sqlite_column_text (stmt, 0);
  token->user_id = entsec_sqlite_column_text (stmt, 1);
  token->type = entsec_sqlite_column_text (stmt, 2);
  token->algorithm = entsec_sqlite_column_text (stmt, 3);
  token->digits = (guint) sqlite3_column_int (stmt, 4);
  token->period = (guint) sqlite3_column_int (stmt, 5);
  token->issuer = entsec_sqlite_column_text (stmt, 6);
  token->label = entsec_sqlite_column_text (stmt, 7);
  token->sealed_seed = g_bytes_new (sqlite3_column_blob (stmt, 8),
                                    (gsize) sqlite3_column_bytes (stmt, 8));
  token->state = (EntsecTokenState) sqlite3_column_int (stmt, 9);
  token->created = sqlite3_column_int64 (stmt, 10);
  token->failures = (guint) sqlite3_column_int64 (stmt, 11);
  token->locked_until = sqlite3_column_int64 (stmt, 12);
  token->last_step = sqlite3_column_int64 (stmt, 13);
  return token;
}

EntsecToken *
entsec_sqlite_token_get (EntsecStorage *storage,
                         const char    *id,
                         GError       **error)
{
  return get_one (storage, "SELECT " TOKEN_COLUMNS " FROM tokens WHERE id = ?1", id,
                  token_from_row, (GDestroyNotify) entsec_token_free, "reading a token", error);
}

GPtrArray *
entsec_sqlite_token_list (EntsecStorage *storage,
                          const char    *user_id,
                          GError       **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt = entsec_sqlite_read_prepare (storage, &conn,
                                                   "SELECT " TOKEN_COLUMNS " FROM tokens "
                                                   "WHERE ?1 IS NULL OR user_id = ?1 "
                                                   "ORDER BY created, id", "listing tokens", error);
  GPtrArray *rows = NULL;

  if (stmt != NULL)
    {
      entsec_sqlite_bind_text (stmt, 1, user_id);
      rows = entsec_sqlite_collect (conn, stmt, token_from_row,
                                    (GDestroyNotify) entsec_token_free, "listing tokens", error);
      entsec_sqlite_read_end (storage, conn);
    }
  return rows;
}

gboolean
entsec_sqlite_token_update (EntsecStorage     *storage,
                            const EntsecToken *token,
                            const EntsecToken *expected,
                            gboolean          *updated,
                            GError           **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt = entsec_sqlite_write_prepare (storage, &conn,
                                                    "UPDATE tokens SET state = ?2, failures = "
                                                    "?3, locked_until = ?4, last_step = ?5 WHERE "
                                                    "id = ?1 AND state = ?6 AND failures = ?7 "
                                                    "AND locked_until = ?8 AND last_step = ?9",
                                                    "updating a token", error);
  gboolean ok = stmt != NULL;

  *updated = FALSE;
  if (ok)
    {
      entsec_sqlite_bind_text (stmt, 1, expected->id);
      sqlite3_bind_int (stmt, 2, token->state);
      sqlite3_bind_int64 (stmt, 3, token->failures);
      sqlite3_bind_int64 (stmt, 4, token->locked_until);
      sqlite3_bind_int64 (stmt, 5, token->last_step);
      sqlite3_bind_int (stmt, 6, expected->state);
      sqlite3_bind_int64 (stmt, 7, expected->failures);
      sqlite3_bind_int64 (stmt, 8, expected->locked_until);
      sqlite3_bind_int64 (stmt, 9, expected->last_step);
      ok = entsec_sqlite_run (conn, stmt, "updating a token", error);
      *updated = ok && sqlite3_changes (conn->db) > 0;
    }
  return conn != NULL && entsec_sqlite_write_end (storage, ok, error);
}

/* One integer from @sql with @text bound to ?1 and @value to ?2; *@out
 * stays as it is when there is no row or the value is NULL. */
static gboolean
query_int (EntsecSqliteConn *conn,
           const char       *sql,
           const char       *text,
           gint64            value,
           gint64           *out,
           GError          **error)
{
  sqlite3_stmt *stmt = entsec_sqlite_prepare (conn, sql, "starting a push", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  entsec_sqlite_bind_text (stmt, 1, text);
  sqlite3_bind_int64 (stmt, 2, value);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    *out = sqlite3_column_int64 (stmt, 0);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    entsec_sqlite_fail (conn, "starting a push", error);
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

static gboolean
insert_push (EntsecSqliteConn *conn,
             const EntsecPush *push,
             GError          **error)
{
  sqlite3_stmt *stmt = entsec_sqlite_prepare (conn, "INSERT INTO push_transactions (id, user_id, "
                                              "rp_id, context, mode, number, created, expires, "
                                              "state) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                                              "starting a push", error);

  if (stmt == NULL)
    return FALSE;
  entsec_sqlite_bind_text (stmt, 1, push->id);
  entsec_sqlite_bind_text (stmt, 2, push->user_id);
  entsec_sqlite_bind_text (stmt, 3, push->rp_id);
  entsec_sqlite_bind_text (stmt, 4, push->context);
  entsec_sqlite_bind_text (stmt, 5, push->mode);
  sqlite3_bind_int (stmt, 6, (int) push->number);
  sqlite3_bind_int64 (stmt, 7, push->created);
  sqlite3_bind_int64 (stmt, 8, push->expires);
  sqlite3_bind_int (stmt, 9, push->state);
  return entsec_sqlite_run (conn, stmt, "starting a push", error);
}

gboolean
entsec_sqlite_push_start (EntsecStorage *storage,
                          EntsecPush    *push,
                          guint          max_open,
                          gint64        *retry_after,
                          GError       **error)
{
  EntsecSqliteConn *conn = entsec_sqlite_write_begin (storage, error);
  gint64 mute_until = 0, open = 0, first_expiry = 0;
  gboolean ok;

  *retry_after = 0;
  if (conn == NULL)
    return FALSE;
  ok = query_int (conn, "SELECT mute_until FROM push_mutes WHERE user_id = ?1",
                     push->user_id, 0, &mute_until, error)
       && query_int (conn, "SELECT count(*) FROM push_transactions "
                     "WHERE user_id = ?1 AND state = 0 AND expires > ?2",
                     push->user_id, push->created, &open, error)
       && query_int (conn, "SELECT min(expires) FROM push_transactions "
                     "WHERE user_id = ?1 AND state = 0 AND expires > ?2",
                     push->user_id, push->created, &first_expiry, error);
  if (ok && mute_until > push->created)
    push->state = ENTSEC_PUSH_MUTED;
  else if (ok && open >= max_open)
    {
      *retry_after = MAX (first_expiry - push->created, 1);
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_RATE_LIMITED,
                   "The user already has %u sign-in requests waiting", max_open);
      ok = FALSE;
    }
  ok = ok && insert_push (conn, push, error);
  return entsec_sqlite_write_end (storage, ok, error);
}

static gpointer
push_from_row (sqlite3_stmt *stmt)
{
  EntsecPush *push = g_new0 (EntsecPush, 1);

  push->id = entsec_sqlite_column_text (stmt, 0);
  push->user_id = entsec_sqlite_column_text (stmt, 1);
  push->rp_id = entsec_sqlite_column_text (stmt, 2);
  push->context = entsec_sqlite_column_text (stmt, 3);
  push->mode = entsec_sqlite_column_text (stmt, 4);
  push->number = (guint) sqlite3_column_int (stmt, 5);
  push->created = sqlite3_column_int64 (stmt, 6);
  push->expires = sqlite3_column_int64 (stmt, 7);
  push->state = (EntsecPushState) sqlite3_column_int (stmt, 8);
  push->wrong_numbers = (guint) sqlite3_column_int (stmt, 9);
  push->flagged = sqlite3_column_int (stmt, 10) != 0;
  push->device_id = entsec_sqlite_column_text (stmt, 11);
  push->deny_reason = entsec_sqlite_column_text (stmt, 12);
  return push;
}

EntsecPush *
entsec_sqlite_push_get (EntsecStorage *storage,
                        const char    *id,
                        GError       **error)
{
  return get_one (storage,
                  "SELECT id, user_id, rp_id, context, mode, number, created, expires, state, "
                  "wrong_numbers, flagged, device_id, deny_reason FROM push_transactions "
                  "WHERE id = ?1",
                  id, push_from_row, (GDestroyNotify) entsec_push_free, "reading a push", error);
}

gboolean
entsec_sqlite_push_update (EntsecStorage    *storage,
                           const EntsecPush *push,
                           const EntsecPush *expected,
                           gboolean         *updated,
                           GError          **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt = entsec_sqlite_write_prepare (storage, &conn,
                                                    "UPDATE push_transactions SET state = ?2, "
                                                    "wrong_numbers = ?3, flagged = ?4, device_id "
                                                    "= ?5, deny_reason = ?6 WHERE id = ?1 AND "
                                                    "state = ?7 AND wrong_numbers = ?8",
                                                    "updating a push", error);
  gboolean ok = stmt != NULL;

  *updated = FALSE;
  if (ok)
    {
      entsec_sqlite_bind_text (stmt, 1, expected->id);
      sqlite3_bind_int (stmt, 2, push->state);
      sqlite3_bind_int (stmt, 3, (int) push->wrong_numbers);
      sqlite3_bind_int (stmt, 4, push->flagged ? 1 : 0);
      entsec_sqlite_bind_text (stmt, 5, push->device_id);
      entsec_sqlite_bind_text (stmt, 6, push->deny_reason);
      sqlite3_bind_int (stmt, 7, expected->state);
      sqlite3_bind_int (stmt, 8, (int) expected->wrong_numbers);
      ok = entsec_sqlite_run (conn, stmt, "updating a push", error);
      *updated = ok && sqlite3_changes (conn->db) > 0;
    }
  return conn != NULL && entsec_sqlite_write_end (storage, ok, error);
}

gboolean
entsec_sqlite_push_mute (EntsecStorage *storage,
                         const char    *user_id,
                         gint64         until,
                         GError       **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt = entsec_sqlite_write_prepare (storage, &conn,
                                                    "INSERT INTO push_mutes (user_id, "
                                                    "mute_until) VALUES (?1, ?2) ON CONFLICT "
                                                    "(user_id) DO UPDATE SET mute_until = "
                                                    "max(mute_until, excluded.mute_until)",
                                                    "muting pushes", error);
  gboolean ok = stmt != NULL;

  if (ok)
    {
      entsec_sqlite_bind_text (stmt, 1, user_id);
      sqlite3_bind_int64 (stmt, 2, until);
      ok = entsec_sqlite_run (conn, stmt, "muting pushes", error);
    }
  return conn != NULL && entsec_sqlite_write_end (storage, ok, error);
}
