/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-server-shared-unit.c: what several instances share through the
 * storage: rate limit buckets (with a moved clock, across a reopen, two
 * limiters on one database, threads) and the long-poll hub's wake-ups.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <sqlite3.h>

#include "server-events.h"
#include "server-ratelimit.h"
#include "server-storage.h"

#define T0 1800000000

typedef struct
{
  char          *dir;
  char          *path;
  EntsecStorage *storage;
} Fixture;

static void
fixture_setup (Fixture      *f,
               gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("entsec-shared-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "entsec.db", NULL);
  f->storage = entsec_storage_sqlite_open (f->path, TRUE, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture      *f,
                  gconstpointer data)
{
  const char *suffixes[] = { "", "-wal", "-shm" };

  g_clear_pointer (&f->storage, entsec_storage_close);
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (f->path, suffixes[i], NULL);

      g_unlink (file);
    }
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

static gboolean
take (EntsecStorage *storage,
      const char    *key,
      guint          limit,
      gint64         window,
      gint64         now,
      gint64        *retry)
{
  g_autoptr (GError) error = NULL;
  gboolean allowed = FALSE;

  g_assert_true (entsec_storage_ratelimit_take (storage, key, limit, window, now, &allowed,
                                                retry, &error));
  g_assert_no_error (error);
  return allowed;
}

/* The same answers as the buckets in memory (test-server-send-unit.c). */
static void
test_bucket (Fixture      *f,
             gconstpointer data)
{
  gint64 retry = 0;

  for (guint i = 0; i < 3; i++)
    g_assert_true (take (f->storage, "ip:a", 3, 60, T0, &retry));
  g_assert_false (take (f->storage, "ip:a", 3, 60, T0, &retry));
  g_assert_cmpint (retry, ==, 20);
  g_assert_true (take (f->storage, "ip:b", 3, 60, T0, &retry));
  g_assert_false (take (f->storage, "ip:a", 3, 60, T0 + 19, &retry));
  g_assert_cmpint (retry, ==, 1);
  g_assert_true (take (f->storage, "ip:a", 3, 60, T0 + 20, &retry));
  g_assert_false (take (f->storage, "ip:a", 3, 60, T0 + 20, &retry));
  for (guint i = 0; i < 3; i++)
    g_assert_true (take (f->storage, "ip:a", 3, 60, T0 + 100000, &retry));
  g_assert_false (take (f->storage, "ip:a", 3, 60, T0 + 100000, &retry));
}

/* A restart (another instance) finds the bucket as it was left. */
static void
test_survives_reopen (Fixture      *f,
                      gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gint64 retry = 0;

  g_assert_true (take (f->storage, "user:usr_1", 1, 3600, T0, &retry));
  entsec_storage_close (f->storage);
  f->storage = entsec_storage_sqlite_open (f->path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_false (take (f->storage, "user:usr_1", 1, 3600, T0 + 60, &retry));
  g_assert_cmpint (retry, ==, 3540);
}

static gint64
count_rows (const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 count;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM rate_limits", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return count;
}

/* Buckets that refilled are forgotten; emptied ones are kept and keep limiting. */
static void
test_pruned (Fixture      *f,
             gconstpointer data)
{
  gint64 retry = 0;

  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *key = g_strdup_printf ("ip:%u", i);

      g_assert_true (take (f->storage, key, 2, 60, T0, &retry));
    }
  g_assert_true (take (f->storage, "ip:busy", 1, 3600, T0, &retry));
  g_assert_cmpint (count_rows (f->path), ==, 101);
  /* 30 s later the 2-a-minute buckets are full again */
  g_assert_false (take (f->storage, "ip:busy", 1, 3600, T0 + 30, &retry));
  g_assert_cmpint (count_rows (f->path), ==, 1);
}

/*
 * Two instances: two limiters on one storage. Together they grant the
 * limit once; a refusal by the shared bucket gives the front one its token
 * back, so the front never refuses what the shared bucket would grant.
 */
static void
test_two_limiters (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr (EntsecRateLimiter) a = entsec_rate_limiter_new (100);
  g_autoptr (EntsecRateLimiter) b = entsec_rate_limiter_new (100);
  g_autoptr (GError) error = NULL;
  gboolean allowed = FALSE;
  gint64 retry = 0;

  entsec_rate_limiter_set_storage (a, f->storage);
  entsec_rate_limiter_set_storage (b, f->storage);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_true (entsec_rate_limiter_check (a, "ip:x", 3, 60, T0, &allowed, &retry, &error));
      g_assert_no_error (error);
      g_assert_true (allowed);
    }
  for (guint i = 0; i < 3; i++)
    {
      g_assert_true (entsec_rate_limiter_check (b, "ip:x", 3, 60, T0 + 10, &allowed, &retry,
                                                &error));
      g_assert_false (allowed);
      g_assert_cmpint (retry, ==, 10);
    }
  /* one token back in the shared bucket; b's own bucket did not spend its three */
  g_assert_true (entsec_rate_limiter_check (b, "ip:x", 3, 60, T0 + 20, &allowed, &retry, &error));
  g_assert_true (allowed);
  g_assert_true (entsec_rate_limiter_check (a, "ip:x", 3, 60, T0 + 20, &allowed, &retry, &error));
  g_assert_false (allowed);
}

typedef struct
{
  EntsecRateLimiter *limiter;
  guint              granted;
} Taker;

static gpointer
take_many (gpointer data)
{
  Taker *taker = data;
  g_autoptr (GError) error = NULL;
  gboolean allowed = FALSE;
  gint64 retry = 0;

  for (guint i = 0; i < 50; i++)
    {
      g_assert_true (entsec_rate_limiter_check (taker->limiter, "ip:shared", 100, 3600, T0,
                                                &allowed, &retry, &error));
      taker->granted += allowed;
    }
  return NULL;
}

/* 8 threads of two limiters on one storage take 400 times: exactly 100 granted. */
static void
test_threads (Fixture      *f,
              gconstpointer data)
{
  g_autoptr (EntsecRateLimiter) a = entsec_rate_limiter_new (100);
  g_autoptr (EntsecRateLimiter) b = entsec_rate_limiter_new (100);
  Taker takers[8];
  GThread *threads[8];
  guint granted = 0;

  entsec_rate_limiter_set_storage (a, f->storage);
  entsec_rate_limiter_set_storage (b, f->storage);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      takers[i] = (Taker) { i % 2 == 0 ? a : b, 0 };
      threads[i] = g_thread_new ("taker", take_many, &takers[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    {
      g_thread_join (threads[i]);
      granted += takers[i].granted;
    }
  g_assert_cmpuint (granted, ==, 100);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/server/shared/ratelimit/bucket", Fixture, NULL, fixture_setup, test_bucket,
              fixture_teardown);
  g_test_add ("/server/shared/ratelimit/survives-reopen", Fixture, NULL, fixture_setup,
              test_survives_reopen, fixture_teardown);
  g_test_add ("/server/shared/ratelimit/pruned", Fixture, NULL, fixture_setup, test_pruned,
              fixture_teardown);
  g_test_add ("/server/shared/ratelimit/two-limiters", Fixture, NULL, fixture_setup,
              test_two_limiters, fixture_teardown);
  g_test_add ("/server/shared/ratelimit/threads", Fixture, NULL, fixture_setup, test_threads,
              fixture_teardown);
  return g_test_run ();
}
