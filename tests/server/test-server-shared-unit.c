/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-server-shared-unit.c: what several instances share through the
 * storage: rate limit buckets (with a moved clock, across a reopen, two
 * limiters on one database, threads) and the long-poll hub's wake-ups.
 * On SQLite, and on PostgreSQL under pg-cluster.sh (storage-test.h).
 */

#include "config.h"

#include <glib/gstdio.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "server-events.h"
#include "server-ratelimit.h"
#include "server-storage.h"
#include "storage-test.h"

#define T0 1800000000

typedef EntsecTestDb Fixture;

static void
fixture_setup (Fixture      *f,
               gconstpointer data)
{
  entsec_test_db_setup (f, "entsec-shared", TRUE);
}

static void
fixture_teardown (Fixture      *f,
                  gconstpointer data)
{
  entsec_test_db_teardown (f);
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
  f->storage = entsec_test_storage_open (f->path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_false (take (f->storage, "user:usr_1", 1, 3600, T0 + 60, &retry));
  g_assert_cmpint (retry, ==, 3540);
}

static gint64
count_rows_pg (const char *path)
{
  g_autofree char *url = entsec_test_storage_url (path);
  PGconn *pg = PQconnectdb (url);
  PGresult *result;
  gint64 count;

  g_assert_cmpint (PQstatus (pg), ==, CONNECTION_OK);
  result = PQexec (pg, "SELECT count(*) FROM rate_limits");
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_TUPLES_OK);
  count = g_ascii_strtoll (PQgetvalue (result, 0, 0), NULL, 10);
  PQclear (result);
  PQfinish (pg);
  return count;
}

/* The buckets stored, read past the storage interface. */
static gint64
count_rows (const char *path)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 count;

  if (entsec_test_storage_is_pg ())
    return count_rows_pg (path);
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
  /* a minute later the 2-a-minute buckets are full again (PostgreSQL
   * prunes once a minute, SQLite at every take) */
  g_assert_false (take (f->storage, "ip:busy", 1, 3600, T0 + 60, &retry));
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

/* Bound on waiting for a wake-up from the listener thread (a failure, not a
 * timing assertion). */
#define WAKE_BOUND (30 * G_USEC_PER_SEC)

typedef struct
{
  GMutex lock;
  GCond  woken;
  guint  resumed;
} Poll;

static void
on_suspend (gpointer data)
{
}

static void
on_resume (gpointer data)
{
  Poll *poll = data;

  g_mutex_lock (&poll->lock);
  poll->resumed++;
  g_cond_broadcast (&poll->woken);
  g_mutex_unlock (&poll->lock);
}

static const EntsecEventWaiterFuncs poll_funcs = { on_suspend, on_resume };

/* Whether @poll was resumed, waiting for it up to WAKE_BOUND. */
static gboolean
woken (Poll *poll)
{
  gint64 bound = g_get_monotonic_time () + WAKE_BOUND;
  gboolean resumed;

  g_mutex_lock (&poll->lock);
  while (poll->resumed == 0 && g_cond_wait_until (&poll->woken, &poll->lock, bound))
    ;
  resumed = poll->resumed > 0;
  g_mutex_unlock (&poll->lock);
  return resumed;
}

static gint64
far_deadline (void)
{
  return g_get_monotonic_time () + (gint64) 3600 * G_USEC_PER_SEC;
}

/* Ends every listening connection of the test's database (as a failover would). */
static void
terminate_listeners (const char *path)
{
  g_autofree char *url = entsec_test_storage_url (path);
  PGconn *pg = PQconnectdb (url);
  PGresult *result;

  g_assert_cmpint (PQstatus (pg), ==, CONNECTION_OK);
  result = PQexec (pg, "SELECT pg_terminate_backend (pid) FROM pg_stat_activity "
                       "WHERE datname = current_database () AND query LIKE 'LISTEN %'");
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_TUPLES_OK);
  g_assert_cmpint (PQntuples (result), ==, 1);
  PQclear (result);
  PQfinish (pg);
}

/*
 * Two instances on one PostgreSQL database: an event stored through one
 * wakes the poll parked in the other's hub, and only that device's; after
 * the listening connection was killed, a poll is woken again (every poll
 * looks again once the listener is back, an event's NOTIFY or not).
 */
static void
test_listen_across_instances (Fixture      *f,
                              gconstpointer data)
{
  g_autoptr (EntsecStorage) other = NULL;
  g_autoptr (EntsecEventHub) hub = entsec_event_hub_new ();
  g_autoptr (GError) error = NULL;
  Poll mine = { 0 }, theirs = { 0 }, after = { 0 };

  if (!entsec_test_storage_is_pg ())
    {
      /* one process alone uses a SQLite file: nothing to listen to */
      g_assert_true (entsec_event_hub_listen (hub, f->storage, &error));
      g_assert_no_error (error);
      g_test_skip ("other instances share PostgreSQL only");
      return;
    }
  other = entsec_test_storage_open (f->path, FALSE, &error);
  g_assert_no_error (error);
  g_assert_true (entsec_event_hub_listen (hub, f->storage, &error));
  g_assert_no_error (error);
  g_assert_true (entsec_event_hub_wait (hub, "dev_mine", far_deadline (),
                                        entsec_event_hub_generation (hub), &poll_funcs, &mine));
  g_assert_true (entsec_event_hub_wait (hub, "dev_theirs", far_deadline (),
                                        entsec_event_hub_generation (hub), &poll_funcs,
                                        &theirs));
  g_assert_true (entsec_storage_device_event_add (other, "dev_mine", "policy", "{}", T0, &error));
  g_assert_no_error (error);
  g_assert_true (woken (&mine));
  g_assert_cmpuint (theirs.resumed, ==, 0);
  g_assert_cmpuint (entsec_event_hub_count (hub), ==, 1);

  terminate_listeners (f->path);
  g_assert_true (entsec_storage_device_event_add (other, "dev_gone", "policy", "{}", T0,
                                                  &error));
  g_assert_true (woken (&theirs));
  /* and it listens again */
  g_assert_true (entsec_event_hub_wait (hub, "dev_mine", far_deadline (),
                                        entsec_event_hub_generation (hub), &poll_funcs,
                                        &after));
  g_assert_true (entsec_storage_device_event_add (other, "dev_mine", "policy", "{}", T0,
                                                  &error));
  g_assert_true (woken (&after));
  entsec_event_hub_shutdown (hub);
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
  g_test_add ("/server/shared/listen/across-instances", Fixture, NULL, fixture_setup,
              test_listen_across_instances, fixture_teardown);
  return g_test_run ();
}
