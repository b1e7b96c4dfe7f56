/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * storage-test.h: the backend the server's storage tests run against.
 * SQLite files by default; PostgreSQL when ENTSEC_TEST_PG_HOST names the
 * socket dir of a throwaway cluster (tests/server/pg-cluster.sh): each
 * SQLite path then stands for a database of its own on that cluster.
 */
#pragma once

#include "server-storage.h"

G_BEGIN_DECLS

/* Whether the tests run on PostgreSQL. */
gboolean       entsec_test_storage_is_pg (void);

/* entsec_storage_sqlite_open() of @path, or, on PostgreSQL, the database
 * that stands for @path: with @create a new one (EXISTS when it is there
 * already), migrated; otherwise the one made before. */
EntsecStorage *entsec_test_storage_open (const char *path,
                                         gboolean    create,
                                         GError    **error);

/* The postgresql:// URL of @path's database (NULL on SQLite). Free with g_free(). */
char          *entsec_test_storage_url (const char *path);

/* What the database holds of its tokens, as bytes: the whole SQLite file,
 * or every PostgreSQL token row with its sealed seed as raw bytes. */
GBytes        *entsec_test_storage_token_bytes (const char *path);

/**
 * EntsecTestDb:
 * @dir: a new temporary directory
 * @path: @dir/entsec.db, the database's path (or the name its PostgreSQL
 *   database stands for)
 * @storage: (nullable): the database opened on @path, when asked for
 *
 * The fixture of a storage test.
 */
typedef struct
{
  char          *dir;
  char          *path;
  EntsecStorage *storage;
} EntsecTestDb;

/* Make @db's directory (named after @prefix) and, with @open, a new
 * database at its path (asserted). */
void           entsec_test_db_setup (EntsecTestDb *db,
                                     const char   *prefix,
                                     gboolean      open);
/* Close @db's storage and remove the database's files and the directory. */
void           entsec_test_db_teardown (EntsecTestDb *db);

/* Runs @func (@data) on @n threads at once and waits for them all. */
void           entsec_test_run_threads (guint       n,
                                        GThreadFunc func,
                                        gpointer    data);

G_END_DECLS
