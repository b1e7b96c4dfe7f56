/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-storage-sqlite-rotate.c: the SQL of key rotation: the tenant's
 * authority keys and their chain, and a device's new key. Writes go
 * through the shared writer (group commit), reads through a reader
 * (server-storage-sqlite.c).
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include "server-storage-sqlite-private.h"

/* Run at every open: the table came after schema version 1 was fixed. */
const char entsec_sqlite_rotate_schema[] =
  "CREATE TABLE IF NOT EXISTS authority_keys ("
  "  seq INTEGER PRIMARY KEY CHECK (seq >= 1),"
  "  jkt TEXT NOT NULL UNIQUE,"
  "  jwk TEXT NOT NULL,"
  "  link TEXT CHECK ((seq = 1) = (link IS NULL)),"
  "  created INTEGER NOT NULL,"
  "  sealed_key BLOB);";

gboolean
entsec_sqlite_rotate_upgrade (sqlite3 *db,
                              GError **error)
{
  /* a table of a server from before the private keys were stored */
  if (sqlite3_table_column_metadata (db, NULL, "authority_keys", "sealed_key",
                                     NULL, NULL, NULL, NULL, NULL) == SQLITE_OK)
    return TRUE;
  if (sqlite3_exec (db, "ALTER TABLE authority_keys ADD COLUMN sealed_key BLOB", NULL, NULL,
                    NULL) == SQLITE_OK)
    return TRUE;
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
               "The database failed while adding the sealed authority keys: %s",
               sqlite3_errmsg (db));
  return FALSE;
}

/* @bytes as a blob, NULL as SQL NULL. */
static void
bind_bytes (sqlite3_stmt *stmt,
            int           index,
            GBytes       *bytes)
{
  gsize len = 0;
  gconstpointer data = bytes != NULL ? g_bytes_get_data (bytes, &len) : NULL;

  if (bytes == NULL)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_blob (stmt, index, data, (int) len, SQLITE_TRANSIENT);
}

static gpointer
authority_key_from_row (sqlite3_stmt *stmt)
{
  EntsecAuthorityKey *key = g_new0 (EntsecAuthorityKey, 1);

  key->seq = (guint) sqlite3_column_int64 (stmt, 0);
  key->jkt = entsec_sqlite_column_text (stmt, 1);
  key->jwk = entsec_sqlite_column_text (stmt, 2);
  key->link = entsec_sqlite_column_text (stmt, 3);
  key->created = sqlite3_column_int64 (stmt, 4);
  if (sqlite3_column_type (stmt, 5) == SQLITE_BLOB)
    key->sealed_key = g_bytes_new (sqlite3_column_blob (stmt, 5),
                                   (gsize) sqlite3_column_bytes (stmt, 5));
  return key;
}

GPtrArray *
entsec_sqlite_authority_key_list (EntsecStorage *storage,
                                  GError       **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt;
  GPtrArray *rows = NULL;

  stmt = entsec_sqlite_read_prepare (storage, &conn, "SELECT seq, jkt, jwk, link, created, "
                                                     "sealed_key FROM authority_keys "
                                                     "ORDER BY seq",
                                     "listing the authority keys", error);
  if (stmt != NULL)
    rows = entsec_sqlite_collect (conn, stmt, authority_key_from_row,
                                  (GDestroyNotify) entsec_authority_key_free,
                                  "listing the authority keys", error);
  if (conn != NULL)
    entsec_sqlite_read_end (storage, conn);
  return rows;
}

gboolean
entsec_sqlite_authority_key_add (EntsecStorage            *storage,
                                 const EntsecAuthorityKey *key,
                                 GError                  **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;

  stmt = entsec_sqlite_write_prepare (storage, &conn, "INSERT INTO authority_keys (seq, jkt, "
                                                      "jwk, link, created, sealed_key) "
                                                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                      "storing an authority key", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, key->seq);
  entsec_sqlite_bind_text (stmt, 2, key->jkt);
  entsec_sqlite_bind_text (stmt, 3, key->jwk);
  entsec_sqlite_bind_text (stmt, 4, key->link);
  sqlite3_bind_int64 (stmt, 5, key->created);
  bind_bytes (stmt, 6, key->sealed_key);
  ok = entsec_sqlite_run (conn, stmt, "storing an authority key", error);
  return entsec_sqlite_write_end (storage, ok, error);
}

gboolean
entsec_sqlite_authority_key_seal (EntsecStorage *storage,
                                  guint          seq,
                                  GBytes        *sealed_key,
                                  GError       **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt;
  gboolean ok = FALSE;

  stmt = entsec_sqlite_write_prepare (storage, &conn, "UPDATE authority_keys SET sealed_key = ?2 "
                                                      "WHERE seq = ?1 AND sealed_key IS NULL",
                                      "storing an authority key", error);
  if (stmt == NULL)
    return conn == NULL ? FALSE : entsec_sqlite_write_end (storage, FALSE, error);
  sqlite3_bind_int64 (stmt, 1, seq);
  bind_bytes (stmt, 2, sealed_key);
  ok = entsec_sqlite_run (conn, stmt, "storing an authority key", error);
  return entsec_sqlite_write_end (storage, ok, error);
}

gboolean
entsec_sqlite_authority_key_head (EntsecStorage *storage,
                                  guint         *seq,
                                  GError       **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt;
  int rc;

  *seq = 0;
  stmt = entsec_sqlite_read_prepare (storage, &conn, "SELECT max(seq) FROM authority_keys",
                                     "reading the current authority key", error);
  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    *seq = (guint) sqlite3_column_int64 (stmt, 0);
  else
    entsec_sqlite_fail (conn, "reading the current authority key", error);
  entsec_sqlite_read_end (storage, conn);
  return rc == SQLITE_ROW;
}

gboolean
entsec_sqlite_device_rekey (EntsecStorage      *storage,
                            const EntsecDevice *device,
                            gboolean           *updated,
                            GError            **error)
{
  EntsecSqliteConn *conn = NULL;
  sqlite3_stmt *stmt;
  gboolean ok;

  *updated = FALSE;
  stmt = entsec_sqlite_write_prepare (storage, &conn, "UPDATE devices SET key_jwk = ?2, "
                                                      "key_jkt = ?3, key_epoch = ?4, "
                                                      "revision = revision + 1 "
                                                      "WHERE id = ?1 AND revision = ?5",
                                      "storing a device's new key", error);
  if (stmt == NULL)
    return FALSE;
  entsec_sqlite_bind_text (stmt, 1, device->id);
  entsec_sqlite_bind_text (stmt, 2, device->key_jwk);
  entsec_sqlite_bind_text (stmt, 3, device->key_jkt);
  sqlite3_bind_int64 (stmt, 4, device->key_epoch);
  sqlite3_bind_int64 (stmt, 5, device->revision);
  ok = entsec_sqlite_run (conn, stmt, "storing a device's new key", error);
  *updated = ok && sqlite3_changes (conn->db) == 1;
  ok = entsec_sqlite_write_end (storage, ok, error);
  if (!ok)
    *updated = FALSE;
  return ok;
}
