/* SPDX-License-Identifier: GPL-3.0-or-later */
/* storage-test.c: SQLite or PostgreSQL under the storage tests (storage-test.h) */

#include "config.h"

#include <glib/gstdio.h>

#include "server-private.h"
#include "server-storage-pg-private.h"
#include "storage-test.h"

gboolean
entsec_test_storage_is_pg (void)
{
  return g_getenv ("ENTSEC_TEST_PG_HOST") != NULL;
}

/* "t" and 24 hex digits of @path's SHA-256: a database name of @path. */
static char *
database_name (const char *path)
{
  g_autofree char *hex = g_compute_checksum_for_string (G_CHECKSUM_SHA256, path, -1);

  hex[24] = '\0';
  return g_strconcat ("t", hex, NULL);
}

char *
entsec_test_storage_url (const char *path)
{
  g_autofree char *name = NULL;

  if (!entsec_test_storage_is_pg ())
    return NULL;
  name = database_name (path);
  return g_strdup_printf ("postgresql://%s@/%s?host=%s", g_getenv ("PGUSER"), name,
                          g_getenv ("ENTSEC_TEST_PG_HOST"));
}

static gboolean
create_database (const char *path,
                 GError    **error)
{
  g_autofree char *name = database_name (path);
  g_autofree char *url = g_strdup_printf ("postgresql://%s@/postgres?host=%s",
                                          g_getenv ("PGUSER"), g_getenv ("ENTSEC_TEST_PG_HOST"));
  PGconn *pg = entsec_pg_connect (url, error);
  g_autofree char *sql = g_strdup_printf ("CREATE DATABASE %s", name);
  PGresult *result;
  gboolean ok;

  if (pg == NULL)
    return FALSE;
  result = PQexec (pg, sql);
  ok = PQresultStatus (result) == PGRES_COMMAND_OK;
  if (!ok)
    g_set_error (error, ENTSEC_SERVER_ERROR,
                 g_strcmp0 (PQresultErrorField (result, PG_DIAG_SQLSTATE), "42P04") == 0
                 ? ENTSEC_SERVER_ERROR_EXISTS : ENTSEC_SERVER_ERROR_STORAGE,
                 "Cannot create the test database: %s", PQerrorMessage (pg));
  PQclear (result);
  PQfinish (pg);
  return ok;
}

EntsecStorage *
entsec_test_storage_open (const char *path,
                          gboolean    create,
                          GError    **error)
{
  g_autofree char *url = NULL;

  if (!entsec_test_storage_is_pg ())
    return entsec_storage_sqlite_open (path, create, error);
  if (create && !create_database (path, error))
    return NULL;
  url = entsec_test_storage_url (path);
  return entsec_storage_pg_open (url, 0, create ? ENTSEC_STORAGE_CREATE : ENTSEC_STORAGE_OPEN,
                                 error);
}

/* Every token row, the sealed seed as its raw bytes too. */
static GBytes *
pg_token_bytes (const char *path)
{
  g_autofree char *url = entsec_test_storage_url (path);
  g_autoptr (GError) error = NULL;
  PGconn *pg = entsec_pg_connect (url, &error);
  GByteArray *bytes = g_byte_array_new ();
  PGresult *result;

  g_assert_no_error (error);
  result = PQexec (pg, "SELECT convert_to(t::text, 'UTF8') || t.sealed_seed FROM tokens t");
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_TUPLES_OK);
  for (int i = 0; i < PQntuples (result); i++)
    {
      g_autoptr (GBytes) row = entsec_pg_bytes (result, i, 0);

      g_byte_array_append (bytes, g_bytes_get_data (row, NULL), g_bytes_get_size (row));
    }
  PQclear (result);
  PQfinish (pg);
  return g_byte_array_free_to_bytes (bytes);
}

GBytes *
entsec_test_storage_token_bytes (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GMappedFile) file = NULL;

  if (entsec_test_storage_is_pg ())
    return pg_token_bytes (path);
  file = g_mapped_file_new (path, FALSE, &error);
  g_assert_no_error (error);
  return g_mapped_file_get_bytes (file);
}

void
entsec_test_run_threads (guint       n,
                         GThreadFunc func,
                         gpointer    data)
{
  g_autoptr (GPtrArray) threads = g_ptr_array_new ();

  for (guint i = 0; i < n; i++)
    g_ptr_array_add (threads, g_thread_new ("racer", func, data));
  for (guint i = 0; i < n; i++)
    g_thread_join (threads->pdata[i]);
}

void
entsec_test_db_setup (EntsecTestDb *db,
                      const char   *prefix,
                      gboolean      open)
{
  g_autofree char *template = g_strconcat (prefix, "-XXXXXX", NULL);
  g_autoptr (GError) error = NULL;

  db->dir = g_dir_make_tmp (template, &error);
  g_assert_no_error (error);
  db->path = g_build_filename (db->dir, "entsec.db", NULL);
  db->storage = open ? entsec_test_storage_open (db->path, TRUE, &error) : NULL;
  g_assert_no_error (error);
}

void
entsec_test_db_teardown (EntsecTestDb *db)
{
  const char *suffixes[] = { "", "-wal", "-shm" };

  g_clear_pointer (&db->storage, entsec_storage_close);
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (db->path, suffixes[i], NULL);

      g_unlink (file);
    }
  g_rmdir (db->dir);
  g_clear_pointer (&db->path, g_free);
  g_clear_pointer (&db->dir, g_free);
}
