/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-server-pg-unit.c: what only the PostgreSQL backend has, on a
 * throwaway cluster (pg-cluster.sh): versioned migrations and the checks
 * at start, reconnecting after a lost connection, --init on a shared
 * database, and no password in any message. Skipped without a cluster.
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "server-config.h"
#include "server-init.h"
#include "server-private.h"
#include "server-storage-pg-private.h"
#include "storage-test.h"

/* trust authentication ignores it: it is there to be kept out of messages */
#define PASSWORD "pw-never-shown-7f3a"

/* A new empty database; its URL carries PASSWORD. Free with g_free(). */
static char *
new_database (void)
{
  static guint serial;
  g_autofree char *name = g_strdup_printf ("pg_unit_%u_%u", (guint) getpid (), ++serial);
  g_autofree char *admin_url = g_strdup_printf ("postgresql://%s@/postgres?host=%s",
                                                g_getenv ("PGUSER"),
                                                g_getenv ("ENTSEC_TEST_PG_HOST"));
  g_autofree char *sql = g_strdup_printf ("CREATE DATABASE %s", name);
  g_autoptr (GError) error = NULL;
  PGconn *pg = entsec_pg_connect (admin_url, &error);
  PGresult *result;

  g_assert_no_error (error);
  result = PQexec (pg, sql);
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_COMMAND_OK);
  PQclear (result);
  PQfinish (pg);
  return g_strdup_printf ("postgresql://%s:" PASSWORD "@/%s?host=%s", g_getenv ("PGUSER"),
                          name, g_getenv ("ENTSEC_TEST_PG_HOST"));
}

static void
run_sql (const char *url,
         const char *sql)
{
  g_autoptr (GError) error = NULL;
  PGconn *pg = entsec_pg_connect (url, &error);
  PGresult *result;

  g_assert_no_error (error);
  result = PQexec (pg, sql);
  g_assert_cmpint (PQresultStatus (result), !=, PGRES_FATAL_ERROR);
  PQclear (result);
  PQfinish (pg);
}

static void
assert_storage_error (GError     *error,
                      const char *fragment)
{
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE);
  g_assert_nonnull (strstr (error->message, fragment));
  g_assert_null (strstr (error->message, PASSWORD));
}

static gboolean
skip_without_cluster (void)
{
  if (entsec_test_storage_is_pg ())
    return FALSE;
  g_test_skip ("no PostgreSQL cluster (run under tests/server/pg-cluster.sh)");
  return TRUE;
}

/* A server refuses a database without the schema, and one a newer server
 * migrated; --migrate brings an empty one up and is idempotent. */
static void
test_migrations (void)
{
  g_autofree char *url = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecStorage) storage = NULL;
  g_autofree char *newer = NULL;

  if (skip_without_cluster ())
    return;
  url = new_database ();
  g_assert_null (entsec_storage_pg_open (url, 1, ENTSEC_STORAGE_OPEN, &error));
  assert_storage_error (error, "run entsec-server --migrate");
  g_clear_error (&error);
  for (guint i = 0; i < 2; i++)
    {
      storage = entsec_storage_pg_open (url, 1, ENTSEC_STORAGE_MIGRATE, &error);
      g_assert_no_error (error);
      g_clear_pointer (&storage, entsec_storage_close);
    }
  storage = entsec_storage_pg_open (url, 1, ENTSEC_STORAGE_OPEN, &error);
  g_assert_no_error (error);
  g_clear_pointer (&storage, entsec_storage_close);

  newer = g_strdup_printf ("INSERT INTO schema_version VALUES (%u, 0)",
                           entsec_pg_schema_version () + 1);
  run_sql (url, newer);
  g_assert_null (entsec_storage_pg_open (url, 1, ENTSEC_STORAGE_OPEN, &error));
  assert_storage_error (error, "newer");
  g_clear_error (&error);
  g_assert_null (entsec_storage_pg_open (url, 1, ENTSEC_STORAGE_MIGRATE, &error));
  assert_storage_error (error, "newer");
}

/* A database an older server migrated (every migration but the last, as
 * that server applied them): refused with "--migrate" and the versions;
 * --migrate applies the rest and the server opens it. */
static void
test_older_schema (void)
{
  g_autofree char *url = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecStorage) storage = NULL;
  g_autofree char *needs = NULL;
  guint older = entsec_pg_schema_version () - 1;

  if (skip_without_cluster ())
    return;
  g_assert_cmpuint (older, >=, 1);
  url = new_database ();
  run_sql (url, "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, "
                "applied BIGINT NOT NULL)");
  for (guint i = 0; i < older; i++)
    {
      g_autofree char *record = g_strdup_printf ("INSERT INTO schema_version VALUES (%u, 0)",
                                                 i + 1);

      run_sql (url, entsec_pg_migrations[i]);
      run_sql (url, record);
    }
  needs = g_strdup_printf ("has schema version %u; this entsec-server needs version %u", older,
                           entsec_pg_schema_version ());
  g_assert_null (entsec_storage_pg_open (url, 1, ENTSEC_STORAGE_OPEN, &error));
  assert_storage_error (error, needs);
  g_assert_nonnull (strstr (error->message, "run entsec-server --migrate"));
  g_clear_error (&error);

  storage = entsec_storage_pg_open (url, 1, ENTSEC_STORAGE_MIGRATE, &error);
  g_assert_no_error (error);
  g_clear_pointer (&storage, entsec_storage_close);
  storage = entsec_storage_pg_open (url, 1, ENTSEC_STORAGE_OPEN, &error);
  g_assert_no_error (error);
}

/* The server's connection dies (a restart, a failover): the call that
 * finds out fails naming the host, never the password; the next connects
 * again and works. */
static void
test_reconnect (void)
{
  g_autofree char *url = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecStorage) storage = NULL;
  g_autoptr (EntsecUser) user = NULL;
  EntsecUser ada = { .id = "usr_ada", .email = "ada@example.com", .created = 1 };

  if (skip_without_cluster ())
    return;
  url = new_database ();
  storage = entsec_storage_pg_open (url, 1, ENTSEC_STORAGE_MIGRATE, &error);
  g_assert_no_error (error);
  g_assert_true (entsec_storage_user_create (storage, &ada, &error));
  run_sql (url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()");

  g_assert_null (entsec_storage_user_get (storage, "usr_ada", &error));
  assert_storage_error (error, "Lost the connection to PostgreSQL at host ");
  g_clear_error (&error);
  user = entsec_storage_user_get (storage, "usr_ada", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user->email, ==, "ada@example.com");
}

/* An unreachable database: the error names it, never the password. */
static void
test_connect_failure (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;

  if (skip_without_cluster ())
    return;
  url = g_strdup_printf ("postgresql://%s:" PASSWORD "@/no_such_db?host=%s",
                         g_getenv ("PGUSER"), g_getenv ("ENTSEC_TEST_PG_HOST"));
  g_assert_null (entsec_storage_pg_open (url, 1, ENTSEC_STORAGE_OPEN, &error));
  assert_storage_error (error, "database no_such_db");
}

/* Removes @path: files and directories of files. */
static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_assert_cmpint (g_unlink (child), ==, 0);
    }
  g_assert_cmpint (g_rmdir (path), ==, 0);
}

/* --init on a database that holds a tenant (another instance's) makes no
 * second one: a new instance joins by copying the data directory. */
static void
test_init_once (void)
{
  g_autoptr (EntsecServerConfig) config = entsec_server_config_new ();
  g_autofree char *tmp = NULL;
  g_autofree char *url = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecServerInitResult) result = NULL;
  g_autoptr (EntsecStorage) storage = NULL;
  g_autoptr (GPtrArray) admins = NULL;
  g_autofree char *db_file = NULL;
  g_autofree char *where = NULL;

  if (skip_without_cluster ())
    return;
  tmp = g_dir_make_tmp ("entsec-pg-unit-XXXXXX", &error);
  g_assert_no_error (error);
  url = new_database ();
  first = g_build_filename (tmp, "first", NULL);
  second = g_build_filename (tmp, "second", NULL);
  g_assert_true (entsec_server_config_set (config, "database", url, &error));
  g_assert_true (entsec_server_config_set (config, "data_dir", first, &error));
  result = entsec_server_init (config, NULL, &error);
  g_assert_no_error (error);
  db_file = g_build_filename (first, ENTSEC_SERVER_DB_FILE, NULL);
  g_assert_false (g_file_test (db_file, G_FILE_TEST_EXISTS));
  g_assert_true (entsec_server_config_set (config, "data_dir", second, &error));
  g_assert_null (entsec_server_init (config, NULL, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_EXISTS);
  g_clear_error (&error);

  storage = entsec_storage_pg_open (url, 1, ENTSEC_STORAGE_OPEN, &error);
  g_assert_no_error (error);
  admins = entsec_storage_admin_list (storage, &error);
  g_assert_cmpuint (admins->len, ==, 1);
  where = entsec_pg_describe (url);
  g_assert_null (strstr (where, PASSWORD));
  remove_tree (tmp);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/server/pg/migrations", test_migrations);
  g_test_add_func ("/server/pg/older-schema", test_older_schema);
  g_test_add_func ("/server/pg/reconnect", test_reconnect);
  g_test_add_func ("/server/pg/connect-failure", test_connect_failure);
  g_test_add_func ("/server/pg/init-once", test_init_once);
  return g_test_run ();
}
