/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-storage-sqlite-ratelimit.c: rate limit buckets in SQLite. The
 * bucket is read and written back on the writer, inside the group commit,
 * so that no other call comes in between; the arithmetic is the limiter's
 * own (entsec_rate_bucket_take()).
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include "server-ratelimit.h"
#include "server-storage-sqlite-private.h"

/* Run at every open: the table came after schema version 1 was fixed. */
const char entsec_sqlite_ratelimit_schema[] =
  "CREATE TABLE IF NOT EXISTS rate_limits ("
  "  key TEXT PRIMARY KEY,"
  "  tokens REAL NOT NULL,"
  "  lim REAL NOT NULL,"
  "  rate REAL NOT NULL,"
  "  updated INTEGER NOT NULL,"
  "  full_at INTEGER NOT NULL);"
  "CREATE INDEX IF NOT EXISTS rate_limits_full ON rate_limits (full_at);";

/* The stored bucket of @key into @bucket; *found FALSE when there is none. */
static gboolean
read_bucket (EntsecSqliteConn *conn,
             const char       *key,
             EntsecRateBucket *bucket,
             gboolean         *found,
             GError          **error)
{
  sqlite3_stmt *stmt = entsec_sqlite_prepare (conn, "SELECT tokens, lim, rate, updated "
                                                    "FROM rate_limits WHERE key = ?1",
                                              "reading a rate limit", error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  entsec_sqlite_bind_text (stmt, 1, key);
  rc = sqlite3_step (stmt);
  *found = rc == SQLITE_ROW;
  if (*found)
    {
      bucket->tokens = sqlite3_column_double (stmt, 0);
      bucket->limit = sqlite3_column_double (stmt, 1);
      bucket->rate = sqlite3_column_double (stmt, 2);
      bucket->updated = sqlite3_column_int64 (stmt, 3);
      /* a rate of 0 would never refill: such a row is not ours, start afresh */
      *found = bucket->rate > 0;
      return TRUE;
    }
  return rc == SQLITE_DONE || entsec_sqlite_fail (conn, "reading a rate limit", error);
}

static gboolean
write_bucket (EntsecSqliteConn       *conn,
              const char             *key,
              const EntsecRateBucket *bucket,
              GError                **error)
{
  sqlite3_stmt *stmt = entsec_sqlite_prepare (conn, "INSERT OR REPLACE INTO rate_limits "
                                                    "(key, tokens, lim, rate, updated, full_at) "
                                                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                              "storing a rate limit", error);

  if (stmt == NULL)
    return FALSE;
  entsec_sqlite_bind_text (stmt, 1, key);
  sqlite3_bind_double (stmt, 2, bucket->tokens);
  sqlite3_bind_double (stmt, 3, bucket->limit);
  sqlite3_bind_double (stmt, 4, bucket->rate);
  sqlite3_bind_int64 (stmt, 5, bucket->updated);
  sqlite3_bind_int64 (stmt, 6, entsec_rate_bucket_full_at (bucket));
  return entsec_sqlite_run (conn, stmt, "storing a rate limit", error);
}

/* Buckets full again: forgetting them changes nothing. */
static gboolean
prune (EntsecSqliteConn *conn,
       gint64            now,
       GError          **error)
{
  sqlite3_stmt *stmt = entsec_sqlite_prepare (conn, "DELETE FROM rate_limits WHERE full_at <= ?1",
                                              "pruning rate limits", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now);
  return entsec_sqlite_run (conn, stmt, "pruning rate limits", error);
}

gboolean
entsec_sqlite_ratelimit_take (EntsecStorage *storage,
                              const char    *key,
                              guint          limit,
                              gint64         window,
                              gint64         now,
                              gboolean      *allowed,
                              gint64        *retry_after,
                              GError       **error)
{
  EntsecSqliteConn *conn = entsec_sqlite_write_begin (storage, error);
  EntsecRateBucket bucket = { 0 };
  gboolean found = FALSE, ok;

  if (conn == NULL)
    return FALSE;
  ok = prune (conn, now, error) && read_bucket (conn, key, &bucket, &found, error);
  if (ok)
    {
      *allowed = entsec_rate_bucket_take (&bucket, !found, limit, window, now, retry_after);
      ok = write_bucket (conn, key, &bucket, error);
    }
  return entsec_sqlite_write_end (storage, ok, error);
}
