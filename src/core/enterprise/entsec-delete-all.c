/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-delete-all.c: deleting all local data of a vault. An enrolled
 * device tells its server first (an unbind, docs/protocol.md 8.7) when it
 * can; when it cannot, the data is deleted all the same and the server
 * keeps the device until an administrator removes it.
 */

#include "config.h"

#define G_LOG_DOMAIN "entsec-status"

#include "entsec-enterprise-private.h"
#include "entsec-enterprise-sync.h"

void
entsec_delete_report_free (EntsecDeleteReport *report)
{
  if (report == NULL)
    return;
  g_free (report->server);
  g_free (report->device_id);
  g_free (report->server_problem);
  g_free (report);
}

/* Unbind when enrolled; why the server was not told goes into @report. */
static gboolean
tell_server (EntsecVault        *vault,
             gint64              now,
             EntsecDeleteReport *report,
             GCancellable       *cancellable,
             GError            **error)
{
  g_autoptr (EntsecEnterpriseDevice) device = NULL;
  g_autoptr (EntsecUnbindReceipt) receipt = NULL;
  g_autoptr (GError) local = NULL;

  device = entsec_enterprise_device_load_sync (vault, cancellable, &local);
  if (device == NULL)
    {
      /* Not enrolled; or its registration does not read, and then it cannot sign either. */
      if (local != NULL)
        g_debug ("No registration to unbind: %s", local->message);
      return TRUE;
    }
  report->was_enrolled = TRUE;
  report->server = g_strdup (device->server);
  report->device_id = g_strdup (device->device_id);
  receipt = entsec_enterprise_unbind_sync (vault, now, cancellable, &local);
  if (receipt != NULL)
    {
      report->unbound = TRUE;
      return TRUE;
    }
  if (g_error_matches (local, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  report->server_problem = g_strdup (local->message);
  /* What the unbind would have removed outside the vault's items. */
  entsec_policy_keyring_clear (device->server, device->device_id);
  return TRUE;
}

EntsecDeleteReport *
entsec_enterprise_delete_all_data_sync (EntsecVault   *vault,
                                        gint64         now,
                                        GCancellable  *cancellable,
                                        GError       **error)
{
  g_autoptr (EntsecDeleteReport) report = g_new0 (EntsecDeleteReport, 1);

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (entsec_vault_is_unlocked (vault)
      && !tell_server (vault, now, report, cancellable, error))
    return NULL;
  if (!entsec_vault_delete_sync (vault, cancellable, error))
    return NULL;
  return g_steal_pointer (&report);
}

static void
delete_all_thread (GTask        *task,
                   gpointer      source,
                   gpointer      data,
                   GCancellable *cancellable)
{
  GError *error = NULL;
  EntsecDeleteReport *report = entsec_enterprise_delete_all_data_sync (source,
                                                                        *(gint64 *) data,
                                                                        cancellable, &error);

  if (report != NULL)
    g_task_return_pointer (task, report, (GDestroyNotify) entsec_delete_report_free);
  else
    g_task_return_error (task, error);
}

void
entsec_enterprise_delete_all_data_async (EntsecVault         *vault,
                                         gint64               now,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  gint64 *data = g_new (gint64, 1);

  g_return_if_fail (ENTSEC_IS_VAULT (vault));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  *data = now;
  task = g_task_new (vault, cancellable, callback, user_data);
  g_task_set_source_tag (task, entsec_enterprise_delete_all_data_async);
  g_task_set_task_data (task, data, g_free);
  /* Once the vault file is set aside the deletion finishes even if cancelled. */
  g_task_set_return_on_cancel (task, FALSE);
  g_task_run_in_thread (task, delete_all_thread);
}

EntsecDeleteReport *
entsec_enterprise_delete_all_data_finish (EntsecVault   *vault,
                                          GAsyncResult  *result,
                                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, vault), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result))
                        == entsec_enterprise_delete_all_data_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
