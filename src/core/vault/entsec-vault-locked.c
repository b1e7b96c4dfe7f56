/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-vault-locked.c: rows of the vault file that other parts of entsec
 * read and write while the vault is locked (format 3). The vault stores
 * them as given: their owner seals them under a key of its own.
 */

#include "config.h"

#define G_LOG_DOMAIN "entsec-vault"

#include "entsec-vault-private.h"

/* The name of a locked row: short printable ASCII, as the callers' constants are. */
static gboolean
check_name (const char *name)
{
  gsize len = strlen (name);

  if (len == 0 || len > 64)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isgraph (name[i]))
      return FALSE;
  return TRUE;
}

/* Locked rows exist from format 3 on; an older file is upgraded at its first unlock. */
static gboolean
check_format (EntsecVault *vault,
              GError     **error)
{
  if (vault->format >= 3)
    return TRUE;
  g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_LOCKED,
                       "This vault was written by an older entsec: unlock it once so that it "
                       "is brought up to date");
  return FALSE;
}

GBytes *
vault_read_locked_row (EntsecVault *vault,
                       const char  *name,
                       GError     **error)
{
  sqlite3_stmt *stmt;
  GBytes *data = NULL;
  int rc;

  if (vault->format < 3)
    return NULL;
  stmt = vault_db_prepare (vault->db, "SELECT data FROM locked_rows WHERE name = ?1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    data = g_bytes_new (sqlite3_column_blob (stmt, 0), (gsize) sqlite3_column_bytes (stmt, 0));
  else if (rc != SQLITE_DONE)
    vault_db_set_error (vault->db, rc, "Cannot read the vault", error);
  sqlite3_finalize (stmt);
  return data;
}

GBytes *
entsec_vault_get_locked_row_sync (EntsecVault  *vault,
                                  const char   *name,
                                  GCancellable *cancellable,
                                  GError      **error)
{
  g_autoptr (VaultOp) op = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);
  g_return_val_if_fail (name != NULL && check_name (name), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  op = vault_op_begin (vault);
  return vault_read_locked_row (vault, name, error);
}

guint vault_testing_fail_locked_row;

gboolean
vault_write_locked_row (EntsecVault *vault,
                        const char  *name,
                        GBytes      *data,
                        GError     **error)
{
  sqlite3_stmt *stmt;
  gsize len = 0;
  const void *bytes = data != NULL ? g_bytes_get_data (data, &len) : NULL;
  gboolean ok;

  if (vault_testing_fail_locked_row > 0 && --vault_testing_fail_locked_row == 0)
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IO,
                           "Cannot save the change (a failure injected by a test)");
      return FALSE;
    }

  stmt = vault_db_prepare (vault->db,
                           data != NULL
                           ? "INSERT OR REPLACE INTO locked_rows (name, data) VALUES (?1, ?2)"
                           : "DELETE FROM locked_rows WHERE name = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, name, -1, SQLITE_STATIC);
  if (data != NULL)
    sqlite3_bind_blob (stmt, 2, len > 0 ? bytes : "", (int) len, SQLITE_STATIC);
  ok = vault_db_step_done (vault->db, stmt, "Cannot save the change", error);
  sqlite3_finalize (stmt);
  return ok;
}

gboolean
entsec_vault_set_locked_rows_sync (EntsecVault        *vault,
                                   const char * const *names,
                                   GBytes            **values,
                                   GCancellable       *cancellable,
                                   GError            **error)
{
  g_autoptr (VaultOp) op = NULL;
  gboolean ok = TRUE;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (names != NULL && values != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  for (gsize i = 0; names[i] != NULL; i++)
    g_return_val_if_fail (check_name (names[i]), FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  op = vault_op_begin (vault);
  if (!check_format (vault, error) || !vault_begin_write (vault, error))
    return FALSE;
  for (gsize i = 0; ok && names[i] != NULL; i++)
    ok = vault_write_locked_row (vault, names[i], values[i], error);
  if (!ok)
    {
      vault_db_rollback (vault->db);
      return FALSE;
    }
  return vault_db_commit (vault->db, error);
}

gboolean
entsec_vault_set_locked_row_sync (EntsecVault  *vault,
                                  const char   *name,
                                  GBytes       *data,
                                  GCancellable *cancellable,
                                  GError      **error)
{
  const char *names[] = { name, NULL };
  GBytes *values[] = { data, NULL };

  g_return_val_if_fail (name != NULL, FALSE);
  return entsec_vault_set_locked_rows_sync (vault, names, values, cancellable, error);
}

char *
entsec_vault_dup_id (EntsecVault *vault)
{
  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, vault->vault_id, VAULT_ID_SIZE);
}
