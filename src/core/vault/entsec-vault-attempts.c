/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-vault-attempts.c: an enterprise policy's limit on wrong unlocks
 * (docs/security.md, "Wrong unlocks"). The policy and the count are plain
 * locked rows, read and written without the data key: a wrong passphrase,
 * recovery key or PIN is counted in the file before its answer is returned,
 * a right one resets the count. Past the limit either every attempt waits
 * (30 s doubling to 1 h after each wrong one) or the wrong one that reaches
 * it wipes the enterprise data, in the two parts of a remote wipe
 * (entsec-vault-wipe.c). Not a defence against whoever can write the file:
 * they can reset the rows; the KDF and the passphrase stop them.
 */

#include "config.h"

#define G_LOG_DOMAIN "entsec-vault"

#include "entsec-core-private.h"
#include "entsec-vault-private.h"

#define POLICY_TYPE "(uu)"
#define POLICY_SIZE 8
#define COUNT_TYPE "(ux)"
#define COUNT_SIZE 16 /* the int64 aligned to 8 */

/* Enforced whatever a row says: the policy's own bounds (docs/protocol.md 8.5). */
#define MAX_ATTEMPTS_LIMIT 100

gint64
vault_now (EntsecVault *vault)
{
  EntsecVaultClockFunc clock = vault->clock;

  return clock != NULL ? clock (vault->clock_data) : g_get_real_time () / G_USEC_PER_SEC;
}

void
entsec_vault_set_clock (EntsecVault         *vault,
                        EntsecVaultClockFunc clock,
                        gpointer             user_data)
{
  g_return_if_fail (ENTSEC_IS_VAULT (vault));

  vault->clock_data = user_data;
  vault->clock = clock;
}

/* ---- The rows --------------------------------------------------------------- */

static GBytes *
variant_bytes (GVariant *value)
{
  g_autoptr (GVariant) sunk = g_variant_ref_sink (value);

  return g_variant_get_data_as_bytes (sunk);
}

/* @row as @type (fixed-size, @size bytes) in normal form, or NULL. */
static GVariant *
variant_of (GBytes     *row,
            const char *type,
            gsize       size)
{
  g_autoptr (GVariant) value = NULL;

  if (row == NULL || g_bytes_get_size (row) != size)
    return NULL;
  value = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE (type), row, FALSE));
  return g_variant_is_normal_form (value) ? g_steal_pointer (&value) : NULL;
}

typedef struct
{
  guint                   max_attempts; /* 0: no policy */
  EntsecUnlockLimitAction action;
  guint                   failed;
  gint64                  last_failure;
} Attempts;

/*
 * The policy and count rows into @attempts (op mutex held). A policy row
 * that does not parse is the documented default (10, delay): a limit stays;
 * a count that does not parse is 0.
 */
static gboolean
read_attempts (EntsecVault *vault,
               Attempts    *attempts,
               GError     **error)
{
  g_autoptr (GBytes) policy = NULL;
  g_autoptr (GBytes) count = NULL;
  g_autoptr (GVariant) value = NULL;
  g_autoptr (GVariant) counted = NULL;
  GError *local = NULL;

  *attempts = (Attempts) { 0, ENTSEC_UNLOCK_LIMIT_NONE, 0, 0 };
  policy = vault_read_locked_row (vault, ENTSEC_LOCKED_UNLOCK_POLICY, &local);
  count = local == NULL ? vault_read_locked_row (vault, ENTSEC_LOCKED_FAILED_UNLOCKS, &local)
                        : NULL;
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  if (policy == NULL)
    return TRUE;
  value = variant_of (policy, POLICY_TYPE, POLICY_SIZE);
  attempts->max_attempts = 10;
  attempts->action = ENTSEC_UNLOCK_LIMIT_DELAY;
  if (value != NULL)
    {
      guint32 max, action;

      g_variant_get (value, POLICY_TYPE, &max, &action);
      if (max >= 1 && max <= MAX_ATTEMPTS_LIMIT
          && (action == ENTSEC_UNLOCK_LIMIT_DELAY || action == ENTSEC_UNLOCK_LIMIT_WIPE))
        {
          attempts->max_attempts = max;
          attempts->action = action;
        }
    }
  counted = variant_of (count, COUNT_TYPE, COUNT_SIZE);
  if (counted != NULL)
    g_variant_get (counted, COUNT_TYPE, &attempts->failed, &attempts->last_failure);
  return TRUE;
}

/* The wait after the @failed-th wrong unlock: none before the limit, then doubling. */
static gint64
wait_after (const Attempts *attempts,
            guint           failed)
{
  guint past;

  if (attempts->action != ENTSEC_UNLOCK_LIMIT_DELAY || failed < attempts->max_attempts)
    return 0;
  past = failed - attempts->max_attempts;
  if (past >= 7) /* 30 s x 2^7 > 1 h */
    return ENTSEC_UNLOCK_DELAY_MAX;
  return MIN ((gint64) ENTSEC_UNLOCK_DELAY_FIRST << past, ENTSEC_UNLOCK_DELAY_MAX);
}

/* Seconds left of the wait at @now; a clock set back never makes it longer. */
static gint64
wait_left (const Attempts *attempts,
           gint64          now)
{
  gint64 wait = wait_after (attempts, attempts->failed);

  if (wait == 0)
    return 0;
  return CLAMP (attempts->last_failure + wait - now, 0, wait);
}

static void
fill_limit (const Attempts         *attempts,
            gint64                  now,
            EntsecVaultUnlockLimit *limit)
{
  *limit = (EntsecVaultUnlockLimit) { 0 };
  limit->action = attempts->action;
  if (attempts->action == ENTSEC_UNLOCK_LIMIT_NONE)
    return;
  limit->max_attempts = attempts->max_attempts;
  limit->failed = attempts->failed;
  limit->attempts_left = attempts->failed < attempts->max_attempts
                         ? attempts->max_attempts - attempts->failed : 0;
  limit->wait = wait_left (attempts, now);
  limit->next_wait = wait_after (attempts, attempts->failed + 1);
}

/* "30 seconds", "2 minutes", "1 hour": a wait for a message (whole units, rounded up). */
static char *
format_wait (gint64 seconds)
{
  if (seconds < 120)
    return g_strdup_printf ("%" G_GINT64_FORMAT " second%s", seconds, seconds == 1 ? "" : "s");
  if (seconds < 7200)
    return g_strdup_printf ("%" G_GINT64_FORMAT " minutes", (seconds + 59) / 60);
  return g_strdup_printf ("%" G_GINT64_FORMAT " hours", (seconds + 3599) / 3600);
}

/* ---- Before an attempt ------------------------------------------------------ */

gboolean
vault_check_unlock_wait (EntsecVault *vault,
                         GError     **error)
{
  G_GNUC_UNUSED g_autoptr (VaultOp) op = vault_op_begin (vault);
  g_autofree char *wait = NULL;
  Attempts attempts;
  gint64 left;

  if (vault->format < 3 || vault->dek != NULL)
    return TRUE;
  if (!read_attempts (vault, &attempts, error))
    return FALSE;
  left = wait_left (&attempts, vault_now (vault));
  if (left == 0)
    return TRUE;
  wait = format_wait (left);
  g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_UNLOCK_DELAYED,
               "Too many wrong unlocks: your organisation's policy makes you wait %s before "
               "the next try (this one was not tried)", wait);
  return FALSE;
}

/* ---- After a wrong one ------------------------------------------------------ */

/*
 * In the write: the first part of a wipe, as a remote wipe's (its record,
 * marked as this kind, and every other enterprise locked row removed); the
 * rest goes at the next unlock (vault_finish_remote_wipe()).
 */
static gboolean
write_wipe (EntsecVault *vault,
            gint64       now,
            GError     **error)
{
  EntsecRemoteWipe wipe = { 0, MAX (now, 1), 0, ENTSEC_WIPE_FAILED_UNLOCKS };
  g_autoptr (GBytes) row = entsec_remote_wipe_encode (&wipe);

  return vault_delete_enterprise_locked_rows (vault, ENTSEC_LOCKED_REMOTE_WIPE, error)
         && vault_write_locked_row (vault, ENTSEC_LOCKED_REMOTE_WIPE, row, error);
}

/*
 * Count a wrong unlock in the file (op mutex held); *@attempts is the state
 * after it; *@wiped when it wiped the enterprise data. Nothing is written
 * without a policy.
 */
static gboolean
record_failure (EntsecVault *vault,
                gint64       now,
                Attempts    *attempts,
                gboolean    *wiped,
                GError     **error)
{
  g_autoptr (GBytes) count = NULL;
  gboolean ok;

  *wiped = FALSE;
  /* Read first: a vault without a policy (or read-only, then) never writes here. */
  if (!read_attempts (vault, attempts, error))
    return FALSE;
  if (attempts->max_attempts == 0)
    return TRUE;
  if (!vault_begin_write (vault, error))
    return FALSE;
  /* Again in the write: another program may have counted meanwhile. */
  if (!read_attempts (vault, attempts, error))
    {
      vault_db_rollback (vault->db);
      return FALSE;
    }
  if (attempts->max_attempts == 0)
    {
      vault_db_rollback (vault->db);
      return TRUE;
    }
  attempts->failed = MIN (attempts->failed, G_MAXUINT32 - 1) + 1;
  attempts->last_failure = now;
  *wiped = attempts->action == ENTSEC_UNLOCK_LIMIT_WIPE
           && attempts->failed >= attempts->max_attempts;
  count = variant_bytes (g_variant_new (COUNT_TYPE, attempts->failed, now));
  ok = *wiped ? write_wipe (vault, now, error)
              : vault_write_locked_row (vault, ENTSEC_LOCKED_FAILED_UNLOCKS, count, error);
  if (!ok)
    {
      *wiped = FALSE;
      vault_db_rollback (vault->db);
      return FALSE;
    }
  return vault_db_commit (vault->db, error);
}

/* What the wrong unlock of @what (already in @error) brought: a wait, or a wipe. */
static void
explain_failure (const Attempts *attempts,
                 const char     *what,
                 gboolean        wiped,
                 GError        **error)
{
  g_autofree char *wait = NULL;
  gint64 seconds = wait_after (attempts, attempts->failed);

  if (wiped)
    {
      g_clear_error (error);
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_UNLOCK_WIPED,
                   "Wrong %s, and %u wrong unlocks in a row is your organisation's limit: "
                   "this device's work accounts, enterprise settings and device key were "
                   "removed. Your own accounts are kept; unlock with the right passphrase to "
                   "see them, and ask your administrator to enroll this device again",
                   what, attempts->max_attempts);
      return;
    }
  if (seconds == 0 || error == NULL || *error == NULL)
    return;
  wait = format_wait (seconds);
  g_prefix_error (error, "Too many wrong unlocks: wait %s before the next try. ", wait);
}

void
vault_note_failed_unlock (EntsecVault *vault,
                          const char  *what,
                          GError     **error)
{
  g_autoptr (GError) local = NULL;
  Attempts attempts = { 0 };
  gboolean wiped = FALSE;

  g_atomic_int_inc (&vault->failed_unlocks);
  {
    G_GNUC_UNUSED g_autoptr (VaultOp) op = vault_op_begin (vault);

    if (vault->format < 3
        || !record_failure (vault, vault_now (vault), &attempts, &wiped, &local))
      {
        if (local != NULL && error != NULL && *error != NULL)
          g_prefix_error (error, "The wrong unlock could not be counted (%s). ", local->message);
        return;
      }
  }
  /* Outside the mutex: a D-Bus call. The sealed rows it protected are gone already. */
  if (wiped)
    {
      entsec_vault_clear_device_kek (vault);
      entsec_vault_clear_policy_version (vault);
    }
  explain_failure (&attempts, what, wiped, error);
}

/* ---- After a right one ------------------------------------------------------ */

gboolean
vault_reset_failed_unlocks (EntsecVault *vault,
                            GError     **error)
{
  g_autoptr (GBytes) row = NULL;
  g_autoptr (GError) local = NULL;

  if (vault->format < 3 || vault->read_only)
    return TRUE;
  row = vault_read_locked_row (vault, ENTSEC_LOCKED_FAILED_UNLOCKS, &local);
  if (row == NULL && local == NULL)
    return TRUE;
  if (!vault_begin_write (vault, error))
    return FALSE;
  if (!vault_write_locked_row (vault, ENTSEC_LOCKED_FAILED_UNLOCKS, NULL, error))
    {
      vault_db_rollback (vault->db);
      return FALSE;
    }
  return vault_db_commit (vault->db, error);
}

/* ---- The limit, for the app and the enterprise side ------------------------- */

gboolean
entsec_vault_get_unlock_limit_sync (EntsecVault            *vault,
                                    EntsecVaultUnlockLimit *limit,
                                    GCancellable           *cancellable,
                                    GError                **error)
{
  g_autoptr (VaultOp) op = NULL;
  Attempts attempts = { 0 };

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (limit != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  *limit = (EntsecVaultUnlockLimit) { 0 };
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  op = vault_op_begin (vault);
  if (vault->format >= 3 && !read_attempts (vault, &attempts, error))
    return FALSE;
  fill_limit (&attempts, vault_now (vault), limit);
  return TRUE;
}

static void
unlock_limit_thread (GTask        *task,
                     gpointer      source,
                     gpointer      data,
                     GCancellable *cancellable)
{
  g_autofree EntsecVaultUnlockLimit *limit = g_new0 (EntsecVaultUnlockLimit, 1);
  GError *error = NULL;

  if (entsec_vault_get_unlock_limit_sync (source, limit, cancellable, &error))
    g_task_return_pointer (task, g_steal_pointer (&limit), g_free);
  else
    g_task_return_error (task, error);
}

void
entsec_vault_get_unlock_limit_async (EntsecVault        *vault,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data)
{
  g_return_if_fail (ENTSEC_IS_VAULT (vault));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  vault_task_run (vault, cancellable, callback, user_data, entsec_vault_get_unlock_limit_async,
                  NULL, NULL, unlock_limit_thread);
}

gboolean
entsec_vault_get_unlock_limit_finish (EntsecVault            *vault,
                                      GAsyncResult           *result,
                                      EntsecVaultUnlockLimit *limit,
                                      GError                **error)
{
  g_autofree EntsecVaultUnlockLimit *found = NULL;

  g_return_val_if_fail (g_task_is_valid (result, vault), FALSE);
  g_return_val_if_fail (limit != NULL, FALSE);

  found = g_task_propagate_pointer (G_TASK (result), error);
  if (found == NULL)
    return FALSE;
  *limit = *found;
  return TRUE;
}

gboolean
entsec_vault_set_unlock_policy_sync (EntsecVault            *vault,
                                     guint                   max_attempts,
                                     EntsecUnlockLimitAction action,
                                     GCancellable           *cancellable,
                                     GError                **error)
{
  const char *names[] = { ENTSEC_LOCKED_UNLOCK_POLICY, ENTSEC_LOCKED_FAILED_UNLOCKS, NULL };
  GBytes *values[] = { NULL, NULL, NULL };
  g_autoptr (GBytes) row = NULL;
  g_autoptr (GBytes) stored = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (action == ENTSEC_UNLOCK_LIMIT_NONE
                        || (max_attempts >= 1 && max_attempts <= MAX_ATTEMPTS_LIMIT), FALSE);

  if (action != ENTSEC_UNLOCK_LIMIT_NONE)
    row = variant_bytes (g_variant_new (POLICY_TYPE, (guint32) max_attempts, (guint32) action));
  stored = entsec_vault_get_locked_row_sync (vault, ENTSEC_LOCKED_UNLOCK_POLICY, cancellable,
                                             error);
  if (error != NULL && *error != NULL)
    return FALSE;
  if ((row == NULL && stored == NULL) || (row != NULL && stored != NULL
                                          && g_bytes_equal (row, stored)))
    return TRUE;
  /* A new policy keeps the count; no policy drops it. */
  values[0] = row;
  if (row != NULL)
    names[1] = NULL;
  return entsec_vault_set_locked_rows_sync (vault, names, values, cancellable, error);
}
