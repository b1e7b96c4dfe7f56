/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-remote-wipe.c: a wipe the server ordered (docs/protocol.md 8.8),
 * carried out in two parts so that a locked vault obeys it at once: what
 * needs no data key (the device key, its keyring key, the worker's state)
 * goes now; the rest at the next unlock, before any account is shown
 * (entsec-vault-wipe.c). A run cut short resumes at the next start.
 */

#include "config.h"

#define G_LOG_DOMAIN "entsec-events"

#include "entsec-enterprise-private.h"
#include "entsec-enterprise-sync.h"

EntsecRemoteWipe *
entsec_enterprise_remote_wipe_get_sync (EntsecVault   *vault,
                                        GCancellable  *cancellable,
                                        GError       **error)
{
  g_autoptr (GBytes) row = NULL;
  g_autofree EntsecRemoteWipe *wipe = g_new0 (EntsecRemoteWipe, 1);

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);

  row = entsec_vault_get_locked_row_sync (vault, ENTSEC_LOCKED_REMOTE_WIPE, cancellable, error);
  if (row == NULL || !entsec_remote_wipe_decode (row, wipe))
    return NULL;
  return g_steal_pointer (&wipe);
}

static void
remote_wipe_get_thread (GTask        *task,
                        gpointer      source,
                        gpointer      data,
                        GCancellable *cancellable)
{
  GError *error = NULL;
  EntsecRemoteWipe *wipe = entsec_enterprise_remote_wipe_get_sync (source, cancellable, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, wipe, g_free);
}

void
entsec_enterprise_remote_wipe_get_async (EntsecVault         *vault,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (ENTSEC_IS_VAULT (vault));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (vault, cancellable, callback, user_data);
  g_task_set_source_tag (task, entsec_enterprise_remote_wipe_get_async);
  g_task_run_in_thread (task, remote_wipe_get_thread);
}

EntsecRemoteWipe *
entsec_enterprise_remote_wipe_get_finish (EntsecVault   *vault,
                                          GAsyncResult  *result,
                                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, vault), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result))
                        == entsec_enterprise_remote_wipe_get_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* "2026-11-30" of @seconds (UTC). */
static char *
day_of (gint64 seconds)
{
  g_autoptr (GDateTime) time = g_date_time_new_from_unix_utc (MAX (seconds, 0));

  return time != NULL ? g_date_time_format (time, "%Y-%m-%d") : g_strdup ("?");
}

gboolean
entsec_enterprise_remote_wipe_check (EntsecVault  *vault,
                                     GCancellable *cancellable,
                                     GError      **error)
{
  g_autofree EntsecRemoteWipe *wipe = NULL;
  g_autofree char *day = NULL;
  g_autoptr (GError) local = NULL;

  wipe = entsec_enterprise_remote_wipe_get_sync (vault, cancellable, &local);
  if (wipe == NULL)
    {
      if (local == NULL)
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  day = day_of (wipe->ordered_at > 0 ? wipe->ordered_at : wipe->received_at);
  if (wipe->completed_at != 0)
    return TRUE;
  /* A run cut short after the row: the keyring's key may still be there. */
  entsec_device_kek_clear (vault);
  if (entsec_vault_is_unlocked (vault) && !entsec_vault_finish_remote_wipe_sync (vault, error))
    return FALSE;
  if (entsec_vault_is_unlocked (vault))
    return TRUE;
  g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_NOT_ENROLLED,
               "Your organisation wiped this device on %s: its device key is gone, and its "
               "enterprise accounts and settings are removed when the vault is next unlocked",
               day);
  return FALSE;
}

gboolean
entsec_enterprise_remote_wipe (EntsecDeviceSession *session,
                               gint64               ordered_at,
                               gboolean            *completed,
                               GCancellable        *cancellable,
                               GError             **error)
{
  /* The unlock limit goes too: a wiped device has no policy to enforce. */
  static const char *const state[] = { ENTSEC_LOCKED_DEVICE, ENTSEC_WORKER_STATE_NAMES,
                                       ENTSEC_LOCKED_UNLOCK_POLICY, ENTSEC_LOCKED_FAILED_UNLOCKS,
                                       NULL };
  EntsecVault *vault = entsec_device_session_get_vault (session);
  EntsecRemoteWipe wipe = { ordered_at, entsec_device_session_now (session), 0,
                            ENTSEC_WIPE_ORDERED };
  const char *names[G_N_ELEMENTS (state) + 1] = { ENTSEC_LOCKED_REMOTE_WIPE };
  GBytes *values[G_N_ELEMENTS (state) + 1] = { NULL };
  g_autoptr (GBytes) row = entsec_remote_wipe_encode (&wipe);
  g_autoptr (GError) local = NULL;
  gboolean ok;

  *completed = FALSE;
  /* The record and the sealed rows in one transaction: wiped (to resume) or untouched. */
  values[0] = row;
  for (gsize i = 0; state[i] != NULL; i++)
    names[i + 1] = state[i];
  if (!entsec_vault_set_locked_rows_sync (vault, names, values, cancellable, error))
    return FALSE;
  ok = entsec_device_session_forget_locked (session, cancellable, error);
  entsec_policy_keyring_clear (entsec_device_session_get_issuer (session),
                               entsec_device_session_get_device_id (session));
  if (!ok || !entsec_vault_is_unlocked (vault))
    return ok;
  /* The credentials are gone whatever follows: a rest that cannot be removed
   * now (another program writing) is removed at the next start or unlock. */
  *completed = entsec_vault_finish_remote_wipe_sync (vault, &local);
  if (local != NULL)
    g_info ("The rest of the wipe waits: %s", local->message);
  return TRUE;
}
