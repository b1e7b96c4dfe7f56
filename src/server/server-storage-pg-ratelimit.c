/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-storage-pg-ratelimit.c: rate limit buckets in PostgreSQL, shared
 * by every instance. One INSERT ... ON CONFLICT DO UPDATE ... RETURNING
 * takes a token: the row lock it holds makes the read, refill and write of
 * one bucket atomic across instances. The arithmetic is that of
 * entsec_rate_bucket_take() (server-ratelimit.c), which the SQLite backend
 * runs in C.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <math.h>

#include "server-ratelimit.h"
#include "server-storage-pg-private.h"

/* Seconds between two prunings of full buckets by one process. */
#define PRUNE_EVERY 60

/* $1 key, $2 limit, $3 window, $4 now, each cast where it is used (the
 * values come as text). */
#define LIMIT    "$2::float8"
#define NOW      "$4::bigint"
#define RATE     "(" LIMIT " / $3::float8)"
/* The stored bucket refilled at $4 at its old rate and limit. */
#define REFILLED "LEAST (r.lim, r.tokens + GREATEST (0, " NOW " - r.updated) * r.rate)"
#define TAKEN    "(CASE WHEN " REFILLED " >= 1 THEN 1 ELSE 0 END)"

static const char take_sql[] =
  "INSERT INTO rate_limits AS r (key, tokens, lim, rate, updated, full_at, allowed) "
  "VALUES ($1::text, " LIMIT " - 1, " LIMIT ", " RATE ", " NOW ", "
  "        " NOW " + CEIL (1 / " RATE ")::bigint, TRUE) "
  "ON CONFLICT (key) DO UPDATE SET "
  "  allowed = " REFILLED " >= 1,"
  "  tokens = " REFILLED " - " TAKEN ","
  "  full_at = " NOW " + CEIL ((" LIMIT " - (" REFILLED " - " TAKEN ")) / " RATE ")::bigint,"
  "  lim = " LIMIT ", rate = " RATE ", updated = " NOW " "
  "RETURNING allowed, tokens";

/* Full buckets go now and then, not at every take: deleting them at once
 * from every instance would only make the instances wait for each other. */
static void
maybe_prune (EntsecStorage *storage,
             gint64         now)
{
  static GMutex lock;
  static gint64 last_prune;
  g_autoptr (GError) error = NULL;
  gboolean due;

  g_mutex_lock (&lock);
  due = now - last_prune >= PRUNE_EVERY || now < last_prune;
  if (due)
    last_prune = now;
  g_mutex_unlock (&lock);
  if (!due)
    return;
  if (!entsec_pg_write (storage, NULL, "DELETE FROM rate_limits WHERE full_at <= $1",
                        "pruning rate limits", &error, "i", now))
    g_message ("Full rate limit buckets were not pruned: %s", error->message);
}

gboolean
entsec_pg_ratelimit_take (EntsecStorage *storage,
                          const char    *key,
                          guint          limit,
                          gint64         window,
                          gint64         now,
                          gboolean      *allowed,
                          gint64        *retry_after,
                          GError       **error)
{
  g_autoptr (PGresult) result = entsec_pg_query (storage, take_sql, "taking a rate limit token",
                                                 error, "tiii", key, (gint64) limit, window,
                                                 now);
  g_autofree char *tokens = NULL;
  double left, rate = (double) limit / (double) window;

  if (result == NULL)
    return FALSE;
  if (PQntuples (result) != 1)
    {
      g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
                           "The database answered no bucket while taking a rate limit token");
      return FALSE;
    }
  *allowed = entsec_pg_bool (result, 0, 0);
  tokens = entsec_pg_text (result, 0, 1);
  left = g_ascii_strtod (tokens, NULL);
  if (!*allowed)
    *retry_after = MAX (1, (gint64) ceil ((1.0 - left) / rate));
  maybe_prune (storage, now);
  return TRUE;
}
