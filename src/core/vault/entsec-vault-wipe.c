/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-vault-wipe.c: the rest of a wipe the enterprise server ordered
 * while the vault was locked (entsec-core-private.h, ENTSEC_LOCKED_REMOTE_WIPE),
 * removed at the next unlock before the accounts are shown to anyone
 */

#define G_LOG_DOMAIN "entsec-vault"

#include "config.h"

#include "entsec-core-private.h"
#include "entsec-vault-private.h"

#define REMOTE_WIPE_TYPE "(xxx)"
/* A wipe for wrong unlocks: the reason follows (a server's wipe keeps the old form). */
#define REASON_WIPE_TYPE "(xxxx)"

GBytes *
entsec_remote_wipe_encode (const EntsecRemoteWipe *wipe)
{
  g_autoptr (GVariant) value = NULL;

  if (wipe->reason == ENTSEC_WIPE_ORDERED)
    value = g_variant_new (REMOTE_WIPE_TYPE, wipe->ordered_at, wipe->received_at,
                           wipe->completed_at);
  else
    value = g_variant_new (REASON_WIPE_TYPE, wipe->ordered_at, wipe->received_at,
                           wipe->completed_at, (gint64) wipe->reason);
  g_variant_ref_sink (value);
  return g_variant_get_data_as_bytes (value);
}

gboolean
entsec_remote_wipe_decode (GBytes           *row,
                           EntsecRemoteWipe *wipe)
{
  gboolean with_reason = g_bytes_get_size (row) == 4 * sizeof (gint64);
  const char *type = with_reason ? REASON_WIPE_TYPE : REMOTE_WIPE_TYPE;
  g_autoptr (GVariant) value = NULL;
  gint64 reason = ENTSEC_WIPE_ORDERED;

  if (!with_reason && g_bytes_get_size (row) != 3 * sizeof (gint64))
    return FALSE;
  value = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (type), row, FALSE));
  if (!g_variant_is_normal_form (value))
    return FALSE;
  if (with_reason)
    g_variant_get (value, type, &wipe->ordered_at, &wipe->received_at, &wipe->completed_at,
                   &reason);
  else
    g_variant_get (value, type, &wipe->ordered_at, &wipe->received_at, &wipe->completed_at);
  wipe->reason = (EntsecWipeReason) reason;
  return wipe->received_at > 0 && wipe->completed_at >= 0
         && (reason == ENTSEC_WIPE_ORDERED || reason == ENTSEC_WIPE_FAILED_UNLOCKS);
}

gboolean
vault_delete_enterprise_locked_rows (EntsecVault *vault,
                               const char  *keep,
                               GError     **error)
{
  sqlite3_stmt *stmt;
  gboolean ok;

  stmt = vault_db_prepare (vault->db,
                           "DELETE FROM locked_rows WHERE substr (name, 1, ?1) = ?2 "
                           "AND name != ?3", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int (stmt, 1, (int) strlen (ENTSEC_PREFIX_ENTERPRISE));
  sqlite3_bind_text (stmt, 2, ENTSEC_PREFIX_ENTERPRISE, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, keep != NULL ? keep : "", -1, SQLITE_STATIC);
  ok = vault_db_step_done (vault->db, stmt, "Cannot remove the enterprise data", error);
  sqlite3_finalize (stmt);
  return ok;
}

/*
 * In one write: the managed accounts, the enterprise preferences and locked
 * rows removed; @notice (nullable) written as ENTSEC_LOCKED_REMOTE_WIPE.
 * @begin_error: why the write could not start, for the caller to phrase.
 */
static gboolean
remove_in_one_write (EntsecVault *vault,
                     GBytes      *notice,
                     GError     **begin_error,
                     GError     **error)
{
  if (!vault_begin_write (vault, begin_error))
    return FALSE;
  if (!vault_delete_enterprise_rows (vault, error)
      || !vault_delete_enterprise_locked_rows (vault, notice != NULL ? ENTSEC_LOCKED_REMOTE_WIPE : NULL,
                                         error)
      || (notice != NULL
          && !vault_write_locked_row (vault, ENTSEC_LOCKED_REMOTE_WIPE, notice, error)))
    {
      vault_db_rollback (vault->db);
      return FALSE;
    }
  if (!vault_commit (vault, error))
    return FALSE;
  vault_forget_enterprise_rows (vault);
  return TRUE;
}

gboolean
vault_finish_remote_wipe (EntsecVault *vault,
                          gint64       now,
                          GError     **error)
{
  g_autoptr (GBytes) row = NULL;
  g_autoptr (GBytes) notice = NULL;
  g_autoptr (GError) local = NULL;
  EntsecRemoteWipe wipe;

  row = vault_read_locked_row (vault, ENTSEC_LOCKED_REMOTE_WIPE, &local);
  if (row == NULL || !entsec_remote_wipe_decode (row, &wipe) || wipe.completed_at != 0)
    {
      if (local == NULL)
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  wipe.completed_at = MAX (now, 1);
  notice = entsec_remote_wipe_encode (&wipe);
  if (!remove_in_one_write (vault, notice, &local, error))
    {
      if (local != NULL)
        g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IO,
                     "Your organisation wiped this device's enterprise data, and the rest of "
                     "it cannot be removed now (%s): the vault stays locked until it can be. "
                     "Make the vault file writable (or close the program writing to it) and "
                     "unlock it again", local->message);
      return FALSE;
    }
  g_info ("The rest of the wipe your organisation ordered was removed");
  return TRUE;
}

gboolean
entsec_vault_finish_remote_wipe_sync (EntsecVault *vault,
                                      GError     **error)
{
  g_autoptr (VaultOp) op = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);

  op = vault_op_begin (vault);
  if (!vault_check_unlocked (vault, error))
    return FALSE;
  return vault_finish_remote_wipe (vault, g_get_real_time () / G_USEC_PER_SEC, error);
}

gboolean
entsec_vault_remove_enterprise_data_sync (EntsecVault *vault,
                                          GError     **error)
{
  g_autoptr (VaultOp) op = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);

  op = vault_op_begin (vault);
  return vault_check_unlocked (vault, error) && remove_in_one_write (vault, NULL, error, error);
}
