/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-delete-data.c: "Delete All Local Data…" (the device page in
 * enterprise mode, the preferences in personal mode): the confirmation,
 * then entsec_enterprise_delete_all_data_async() with every window and the
 * events worker let go of the vault, then the first-run page.
 */

#define G_LOG_DOMAIN "entsec-delete-data"

#include "config.h"

#include <glib/gi18n.h>

#include "entsec-application.h"
#include "entsec-delete-data.h"
#include "entsec-window.h"

typedef struct
{
  GtkApplication *app;    /* nullable */
  GtkWindow      *parent; /* nullable */
  GtkWindow      *closing; /* nullable: the preferences window it came from */
} DeleteData;

static void
delete_data_free (DeleteData *data)
{
  g_clear_object (&data->app);
  g_clear_object (&data->parent);
  if (data->closing != NULL)
    gtk_window_destroy (data->closing);
  g_clear_object (&data->closing);
  g_free (data);
}

const char *
entsec_delete_data_confirm_text (gboolean enrolled)
{
  if (enrolled)
    return _("Everything this app keeps on this device is deleted: your organization’s "
             "accounts and your own, the settings, and the keys in the keyring. Your "
             "organization is told first when it can be reached and its policy allows it; "
             "otherwise it keeps this device registered until an administrator removes it. "
             "Backup files you saved are not deleted. This cannot be undone.");
  return _("Everything this app keeps on this device is deleted: all your accounts, the "
           "settings, and the keys in the keyring. Backup files you saved are not deleted. "
           "This cannot be undone.");
}

static void
message (GtkWindow  *parent,
         const char *heading,
         const char *body)
{
  AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (parent, heading, body));

  adw_message_dialog_add_response (dialog, "close", _("_Close"));
  adw_message_dialog_set_default_response (dialog, "close");
  gtk_window_present (GTK_WINDOW (dialog));
}

/* The app's own settings back to their defaults (the autostart entry goes with them). */
static void
reset_settings (GtkApplication *app)
{
  GSettings *settings = ENTSEC_IS_APPLICATION (app)
                          ? entsec_application_get_settings (ENTSEC_APPLICATION (app)) : NULL;
  g_autoptr (GSettingsSchema) schema = NULL;
  g_auto (GStrv) keys = NULL;

  if (settings == NULL)
    return;
  g_object_get (settings, "settings-schema", &schema, NULL);
  keys = g_settings_schema_list_keys (schema);
  for (guint i = 0; keys[i] != NULL; i++)
    g_settings_reset (settings, keys[i]);
}

/* Every window (and the events worker) lets go of the vault, or opens it again. */
static void
for_each_window (GtkApplication *app,
                 const char     *status)
{
  if (app == NULL)
    return;
  for (GList *l = gtk_application_get_windows (app); l != NULL; l = l->next)
    {
      if (!ENTSEC_IS_WINDOW (l->data))
        continue;
      if (status != NULL)
        entsec_window_close_vault (l->data, status);
      else
        entsec_window_reopen_vault (l->data, NULL);
    }
}

static char *
done_text (const EntsecDeleteReport *report)
{
  if (report->unbound)
    return g_strdup (_("This device was unbound and all its local data was deleted"));
  return g_strdup (_("All local data was deleted"));
}

static void
deleted (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  DeleteData *data = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecDeleteReport) report = NULL;
  g_autofree char *body = NULL;

  report = entsec_enterprise_delete_all_data_finish (ENTSEC_VAULT (source), result, &error);
  if (report != NULL)
    reset_settings (data->app);
  for_each_window (data->app, NULL);
  if (ENTSEC_IS_APPLICATION (data->app))
    entsec_application_enterprise_changed (ENTSEC_APPLICATION (data->app));
  if (report == NULL)
    message (data->parent, _("Not All Data Could Be Deleted"), error->message);
  else if (report->server_problem != NULL)
    {
      body = g_strdup_printf (_("All local data was deleted, but your organization could not "
                                "be told (%s). It keeps this device registered until an "
                                "administrator removes it."), report->server_problem);
      message (data->parent, _("Your Organization Was Not Told"), body);
    }
  else
    {
      body = done_text (report);
      message (data->parent, _("All Local Data Deleted"), body);
    }
  delete_data_free (data);
}

static void
start_deletion (GtkWidget   *from,
                EntsecVault *vault)
{
  GtkRoot *root = gtk_widget_get_root (from);
  DeleteData *data = g_new0 (DeleteData, 1);
  GtkWindow *window = GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;

  /* From the preferences: they go (at the end: the dialog answering is theirs);
   * the main window is the one left to tell. */
  if (window != NULL && !ENTSEC_IS_WINDOW (window)
      && gtk_window_get_transient_for (window) != NULL)
    {
      data->closing = g_object_ref (window);
      gtk_widget_set_visible (GTK_WIDGET (window), FALSE);
      window = gtk_window_get_transient_for (window);
    }
  data->parent = window != NULL ? g_object_ref (window) : NULL;
  data->app = window != NULL && gtk_window_get_application (window) != NULL
                ? g_object_ref (gtk_window_get_application (window)) : NULL;
  if (ENTSEC_IS_APPLICATION (data->app)
      && entsec_application_get_approvals (ENTSEC_APPLICATION (data->app)) != NULL)
    entsec_approvals_forget_vault (entsec_application_get_approvals (ENTSEC_APPLICATION (
                                                                       data->app)));
  for_each_window (data->app, _("Deleting All Local Data…"));
  /* Not cancellable from here: once started it finishes (see the core's call). */
  entsec_enterprise_delete_all_data_async (vault, 0, NULL, deleted, data);
}

static void
confirm_response (AdwMessageDialog *dialog,
                  const char       *response,
                  GtkWidget        *from)
{
  EntsecVault *vault = g_object_get_data (G_OBJECT (dialog), "vault");

  if (g_strcmp0 (response, "delete") == 0 && vault != NULL)
    start_deletion (from, vault);
}

void
entsec_delete_data_confirm (GtkWidget   *from,
                            EntsecVault *vault,
                            gboolean     enrolled)
{
  GtkRoot *root;
  AdwMessageDialog *dialog;

  g_return_if_fail (GTK_IS_WIDGET (from));
  g_return_if_fail (ENTSEC_IS_VAULT (vault));

  root = gtk_widget_get_root (from);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root)
                                                                            : NULL,
                                                       _("Delete All Local Data?"),
                                                       entsec_delete_data_confirm_text (
                                                         enrolled)));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"),
                                    "delete", _("_Delete All Data"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "delete", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "vault", g_object_ref (vault), g_object_unref);
  g_signal_connect_object (dialog, "response", G_CALLBACK (confirm_response), from, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
leftovers_thread (GTask        *task,
                  gpointer      source,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  GError *error = NULL;
  guint n = 0;

  if (entsec_vault_finish_delete_sync (task_data, &n, cancellable, &error))
    g_task_return_int (task, n);
  else
    g_task_return_error (task, error);
}

void
entsec_delete_data_finish_leftovers_async (const char          *path,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (path != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, entsec_delete_data_finish_leftovers_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, leftovers_thread);
}

gboolean
entsec_delete_data_finish_leftovers_finish (GAsyncResult *result,
                                            guint        *n_finished,
                                            GError      **error)
{
  gssize n;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  n = g_task_propagate_int (G_TASK (result), error);
  if (n < 0)
    return FALSE;
  if (n_finished != NULL)
    *n_finished = (guint) n;
  return TRUE;
}
