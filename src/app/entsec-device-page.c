/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-device-page.c: this device's registration, the policy in force, what it shares */

#define G_LOG_DOMAIN "entsec-device-page"

#include "config.h"

#include <glib/gi18n.h>

#include "entsec-application.h"
#include "entsec-delete-data.h"
#include "entsec-device-page.h"
#include "entsec-enterprise-state.h"

struct _EntsecDevicePage
{
  GtkBox              parent_instance;

  AdwHeaderBar       *header_bar;
  GtkButton          *back_button;
  GtkStack           *stack;
  AdwStatusPage      *status_page;
  AdwActionRow       *organization_row;
  AdwActionRow       *user_row;
  AdwActionRow       *server_row;
  AdwActionRow       *device_id_row;
  AdwActionRow       *enrolled_row;
  AdwActionRow       *state_row;
  AdwActionRow       *contact_row;
  GtkButton          *check_button;
  AdwPreferencesGroup *policy_group;
  AdwPreferencesGroup *shares_group;
  AdwExpanderRow     *sent_row;
  GtkLabel           *sent_label;
  AdwActionRow       *unbind_row;
  GtkButton          *unbind_button;
  GtkButton          *delete_button;

  EntsecVault        *vault;
  GCancellable       *cancellable;
  /* The policy shown (NULL: none read yet). */
  EntsecEnterprisePolicy *policy;
  /* The rows made for the policy and the claims (not owned: their groups hold them). */
  GPtrArray          *policy_rows;
  GPtrArray          *share_rows;
  /* Bumped whenever what is shown is forgotten: an earlier read's result is dropped. */
  guint               generation;
  gboolean            busy;
};

G_DEFINE_FINAL_TYPE (EntsecDevicePage, entsec_device_page, GTK_TYPE_BOX)

enum
{
  SIGNAL_TOAST,
  SIGNAL_CLOSED,
  SIGNAL_LOADED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
toast (EntsecDevicePage *self,
       const char       *title)
{
  g_autoptr (AdwToast) toast = adw_toast_new (title);

  adw_toast_set_timeout (toast, 5);
  g_signal_emit (self, signals[SIGNAL_TOAST], 0, toast);
}

static void
enterprise_changed (void)
{
  GApplication *app = g_application_get_default ();

  if (ENTSEC_IS_APPLICATION (app))
    entsec_application_enterprise_changed (ENTSEC_APPLICATION (app));
}

/* ---- Words for times and settings ------------------------------------------ */

static char *
format_time (gint64 unix_seconds)
{
  g_autoptr (GDateTime) time = NULL;

  if (unix_seconds <= 0)
    return g_strdup (_("Never"));
  time = g_date_time_new_from_unix_local (unix_seconds);
  return g_date_time_format (time, "%x %X");
}

static char *
format_duration (gint64 seconds)
{
  if (seconds % 86400 == 0 && seconds >= 86400)
    return g_strdup_printf (g_dngettext (NULL, "%u day", "%u days", (gulong) (seconds / 86400)),
                            (guint) (seconds / 86400));
  if (seconds % 3600 == 0 && seconds >= 3600)
    return g_strdup_printf (g_dngettext (NULL, "%u hour", "%u hours", (gulong) (seconds / 3600)),
                            (guint) (seconds / 3600));
  if (seconds % 60 == 0 && seconds >= 60)
    return g_strdup_printf (g_dngettext (NULL, "%u minute", "%u minutes", (gulong) (seconds / 60)),
                            (guint) (seconds / 60));
  return g_strdup_printf (g_dngettext (NULL, "%u second", "%u seconds", (gulong) seconds),
                          (guint) seconds);
}

static const char *
allowed_text (gboolean allowed)
{
  return allowed ? _("Allowed") : _("Not allowed");
}

/* One row of the policy: what it governs, its effect, and the setting as the policy holds it. */
static void
add_policy_row (EntsecDevicePage *self,
                const char       *title,
                const char       *effect,
                const char       *setting)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *subtitle = g_strdup_printf ("%s\n%s", effect, setting);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_preferences_group_add (self->policy_group, row);
  g_ptr_array_add (self->policy_rows, row);
}

static void
add_unlock_rows (EntsecDevicePage             *self,
                 const EntsecEnterprisePolicy *p)
{
  static const char *const required[] = { "none", "passphrase", "pin" };
  const char *how[] = { _("The app may open without being unlocked"),
                        _("A passphrase unlocks the app"), _("A PIN unlocks the app") };
  g_autofree char *setting = g_strdup_printf ("app_unlock.required: %s",
                                              required[p->unlock_required]);
  g_autofree char *length = g_strdup_printf (g_dngettext (NULL, "At least %u character",
                                                          "At least %u characters",
                                                          p->min_pin_length),
                                             p->min_pin_length);
  g_autofree char *length_setting = g_strdup_printf ("app_unlock.min_length: %u",
                                                     p->min_pin_length);
  g_autofree char *attempts = NULL;
  g_autofree char *attempts_setting = g_strdup_printf (
    "app_unlock.max_attempts: %u, app_unlock.after_max_attempts: %s", p->max_attempts,
    p->wipe_after_max_attempts ? "wipe" : "delay");
  g_autofree char *idle = format_duration (p->relock_after_idle);
  g_autofree char *idle_effect = g_strdup_printf (_("Locks again after %s without use"), idle);
  g_autofree char *idle_setting = g_strdup_printf ("app_unlock.relock_after_idle: %u",
                                                   p->relock_after_idle);

  if (p->wipe_after_max_attempts)
    attempts = g_strdup_printf (g_dngettext (NULL,
                                             "After %u wrong try, this device’s work accounts "
                                             "are removed",
                                             "After %u wrong tries, this device’s work accounts "
                                             "are removed",
                                             p->max_attempts),
                                p->max_attempts);
  else
    attempts = g_strdup_printf (g_dngettext (NULL, "After %u wrong try, the app makes you wait",
                                             "After %u wrong tries, the app makes you wait",
                                             p->max_attempts),
                                p->max_attempts);
  add_policy_row (self, _("Unlocking"), how[p->unlock_required], setting);
  add_policy_row (self, _("Passphrase or PIN Length"), length, length_setting);
  add_policy_row (self, _("Wrong Unlocks"), attempts, attempts_setting);
  add_policy_row (self, _("Idle Lock"), p->relock_after_idle > 0 ? idle_effect : _("Never"),
                  idle_setting);
}

static void
add_offline_rows (EntsecDevicePage             *self,
                  const EntsecEnterprisePolicy *p)
{
  g_autofree char *block = format_duration (p->offline_block_after);
  g_autofree char *wipe = format_duration (p->offline_wipe_after);
  g_autofree char *block_effect = g_strdup_printf (
    _("The codes of your organization’s accounts stop after %s without contact"), block);
  g_autofree char *wipe_effect = g_strdup_printf (
    _("Your organization’s accounts are removed after %s without contact"), wipe);
  g_autofree char *block_setting = g_strdup_printf ("offline.block_after: %" G_GINT64_FORMAT,
                                                    p->offline_block_after);
  g_autofree char *wipe_setting = g_strdup_printf ("offline.wipe_after: %" G_GINT64_FORMAT,
                                                   p->offline_wipe_after);

  add_policy_row (self, _("Offline Use"),
                  p->offline_block_after > 0 ? block_effect : _("No limit"), block_setting);
  add_policy_row (self, _("Offline Removal"),
                  p->offline_wipe_after > 0 ? wipe_effect : _("No limit"), wipe_setting);
}

static void
add_bool_row (EntsecDevicePage *self,
              const char       *title,
              gboolean          allowed,
              const char       *key)
{
  g_autofree char *setting = g_strdup_printf ("%s: %s", key, allowed ? "true" : "false");

  add_policy_row (self, title, allowed_text (allowed), setting);
}

static void
add_token_rows (EntsecDevicePage             *self,
                const EntsecEnterprisePolicy *p)
{
  g_autofree char *digits = g_strdup_printf (g_dngettext (NULL, "At least %u digit",
                                                          "At least %u digits", p->min_digits),
                                             p->min_digits);
  g_autofree char *digits_setting = g_strdup_printf ("tokens.min_digits: %u", p->min_digits);
  g_autofree char *clear = format_duration (p->clipboard_clear_after);
  g_autofree char *copy = g_strdup_printf (_("Allowed; cleared from the clipboard after %s"),
                                           clear);
  g_autofree char *copy_setting = g_strdup_printf (
    "clipboard.allow_copy: %s, clipboard.clear_after: %u", p->allow_copy ? "true" : "false",
    p->clipboard_clear_after);
  g_autofree char *refresh = format_duration (p->policy_refresh);
  g_autofree char *refresh_effect = g_strdup_printf (_("Checked every %s"), refresh);
  g_autofree char *refresh_setting = g_strdup_printf ("sync.policy_refresh: %u",
                                                      p->policy_refresh);

  add_bool_row (self, _("Typing In Accounts"), p->allow_manual_add, "tokens.allow_manual_add");
  add_bool_row (self, _("Adding from QR Codes"), p->allow_qr_import, "tokens.allow_qr_import");
  add_bool_row (self, _("Importing from Other Apps"), p->allow_migration_import,
                "tokens.allow_migration_import");
  add_bool_row (self, _("Exporting Accounts"), p->allow_export, "tokens.allow_export");
  add_bool_row (self, _("Deleting Your Organization’s Accounts"), p->allow_user_delete,
                "tokens.allow_user_delete");
  add_policy_row (self, _("Code Length"), digits, digits_setting);
  add_policy_row (self, _("Copying Codes"),
                  !p->allow_copy ? _("Not allowed")
                  : p->clipboard_clear_after > 0 ? copy : _("Allowed; never cleared"),
                  copy_setting);
  add_bool_row (self, _("Unbinding by You"), p->allow_user_unbind, "device.allow_user_unbind");
  add_policy_row (self, _("Policy Updates"), refresh_effect, refresh_setting);
}

static void
clear_rows (AdwPreferencesGroup *group,
            GPtrArray           *rows)
{
  for (guint i = 0; i < rows->len; i++)
    adw_preferences_group_remove (group, g_ptr_array_index (rows, i));
  g_ptr_array_set_size (rows, 0);
}

static void
show_policy (EntsecDevicePage             *self,
             const EntsecEnterprisePolicy *p,
             gint64                        fetched)
{
  g_autofree char *when = format_time (fetched);
  g_autofree char *expires = format_time (p->expires_at);
  g_autofree char *version = g_strdup_printf ("%" G_GINT64_FORMAT, p->version);
  /* TRANSLATORS: the policy's version number, then two dates and times. */
  g_autofree char *description = g_strdup_printf (
    _("Version %s, last fetched %s, valid until %s. Set by your organization; the app "
      "follows it."), version, when, expires);

  clear_rows (self->policy_group, self->policy_rows);
  adw_preferences_group_set_description (self->policy_group, description);
  add_unlock_rows (self, p);
  add_offline_rows (self, p);
  add_token_rows (self, p);
}

static void
show_shares (EntsecDevicePage *self,
             GPtrArray        *items,
             const char       *sent)
{
  clear_rows (self->shares_group, self->share_rows);
  for (guint i = 0; i < items->len; i++)
    {
      EntsecDeviceShareItem *item = g_ptr_array_index (items, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *subtitle = g_strdup_printf (
        "%s\n%s: %s", item->value != NULL ? item->value : "", item->field,
        item->raw_sent ? _("sent as is") : _("sent as a keyed hash"));

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), item->label);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_preferences_group_add (self->shares_group, row);
      g_ptr_array_add (self->share_rows, row);
    }
  gtk_label_set_label (self->sent_label, sent);
}

/* ---- Reading -------------------------------------------------------------- */

/* What the page shows: a snapshot and the claims as sent. */
typedef struct
{
  EntsecEnterpriseSnapshot *snapshot;
  GPtrArray                *items;
  char                     *sent;
} DeviceInfo;

static void
device_info_free (DeviceInfo *info)
{
  g_clear_pointer (&info->snapshot, entsec_enterprise_snapshot_free);
  g_clear_pointer (&info->items, g_ptr_array_unref);
  g_free (info->sent);
  g_free (info);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DeviceInfo, device_info_free)

static void
read_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  EntsecVault *vault = task_data;
  g_autoptr (DeviceInfo) info = g_new0 (DeviceInfo, 1);
  GError *error = NULL;

  info->snapshot = entsec_enterprise_snapshot_read (vault, cancellable, &error);
  if (info->snapshot != NULL && info->snapshot->policy != NULL)
    info->sent = entsec_enterprise_describe_sync (vault, NULL, &info->items, cancellable, &error);
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&info), (GDestroyNotify) device_info_free);
}

static void
set_row (AdwActionRow *row,
         const char   *value)
{
  adw_action_row_set_subtitle (row, value != NULL ? value : _("Not known"));
}

static const char *
state_text (const char *state)
{
  if (g_strcmp0 (state, "active") == 0)
    return _("Active");
  if (g_strcmp0 (state, "suspended") == 0)
    return _("Suspended by your organization");
  if (g_strcmp0 (state, "revoked") == 0)
    return _("Revoked by your organization");
  if (g_strcmp0 (state, "unbound") == 0)
    return _("Unbound");
  return state;
}

static void
update_unbind (EntsecDevicePage *self)
{
  g_autofree char *reason = NULL;
  gboolean allowed = entsec_enterprise_policy_allows (self->policy, "unbind", &reason);

  entsec_enterprise_explain_widget (self->unbind_button, allowed, reason);
  adw_action_row_set_subtitle (self->unbind_row,
                               allowed ? _("The accounts your organization gave you and its "
                                           "settings are removed; your own accounts stay.")
                                       : reason);
  if (self->busy)
    gtk_widget_set_sensitive (GTK_WIDGET (self->unbind_button), FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->delete_button), !self->busy);
}

static void
show_info (EntsecDevicePage *self,
           DeviceInfo       *info)
{
  EntsecEnterpriseStatus *status = info->snapshot->status;
  g_autofree char *enrolled = format_time (status->registered_at);
  g_autofree char *contact = format_time (status->last_contact);

  set_row (self->organization_row, status->tenant);
  set_row (self->user_row, status->user_name);
  set_row (self->server_row, status->server);
  set_row (self->device_id_row, status->device_id);
  set_row (self->enrolled_row, status->registered_at > 0 ? enrolled : NULL);
  set_row (self->state_row, state_text (status->state));
  set_row (self->contact_row, contact);
  show_policy (self, info->snapshot->policy, status->last_contact);
  show_shares (self, info->items, info->sent);
  entsec_enterprise_policy_free (self->policy);
  self->policy = g_steal_pointer (&info->snapshot->policy);
  update_unbind (self);
  gtk_stack_set_visible_child_name (self->stack, "device");
}

static void
show_message (EntsecDevicePage *self,
              const char       *title,
              const char       *description)
{
  adw_status_page_set_title (self->status_page, title);
  adw_status_page_set_description (self->status_page, description);
  gtk_stack_set_visible_child_name (self->stack, "loading");
}

static void
read_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (EntsecDevicePage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (DeviceInfo) info = g_task_propagate_pointer (G_TASK (result), &error);
  guint generation = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (result), "generation"));

  if (generation != self->generation || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (info == NULL)
    show_message (self, _("This Device’s Registration Cannot Be Read"), error->message);
  else if (info->snapshot->policy == NULL)
    {
      show_message (self, _("Not Enrolled"),
                    _("This device is no longer registered with an organization."));
      if (info->snapshot->status != NULL && info->snapshot->status->wiped)
        enterprise_changed ();
    }
  else
    show_info (self, info);
  g_signal_emit (self, signals[SIGNAL_LOADED], 0);
}

static void
read_device (EntsecDevicePage *self)
{
  g_autoptr (GTask) task = g_task_new (NULL, self->cancellable, read_done, g_object_ref (self));

  g_task_set_source_tag (task, read_device);
  g_object_set_data (G_OBJECT (task), "generation", GUINT_TO_POINTER (self->generation));
  g_task_set_task_data (task, g_object_ref (self->vault), g_object_unref);
  g_task_run_in_thread (task, read_thread);
}

/* ---- Check now ------------------------------------------------------------ */

static void
set_busy (EntsecDevicePage *self,
          gboolean          busy)
{
  self->busy = busy;
  gtk_widget_set_sensitive (GTK_WIDGET (self->check_button), !busy);
  update_unbind (self);
}

static void
checked (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (EntsecDevicePage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *message = entsec_enterprise_check_now_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  toast (self, message != NULL ? message : error->message);
  if (message != NULL && self->vault != NULL)
    read_device (self);
}

static void
check_clicked (EntsecDevicePage *self)
{
  if (self->vault == NULL || self->busy)
    return;
  set_busy (self, TRUE);
  entsec_enterprise_check_now (self->vault, self->cancellable, checked, g_object_ref (self));
}

/* ---- Unbind --------------------------------------------------------------- */

static void
unbind_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;
  EntsecUnbindReceipt *receipt = entsec_enterprise_unbind_sync (task_data, 0, cancellable,
                                                                &error);

  if (receipt == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, receipt, (GDestroyNotify) entsec_unbind_receipt_free);
}

static void
unbound (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (EntsecDevicePage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecUnbindReceipt) receipt = g_task_propagate_pointer (G_TASK (result), &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  if (receipt == NULL)
    {
      toast (self, error->message);
      return;
    }
  toast (self, _("This device was unbound; your own accounts stay"));
  enterprise_changed ();
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
}

static void
unbind_response (AdwMessageDialog *dialog,
                 const char       *response,
                 EntsecDevicePage *self)
{
  g_autoptr (GTask) task = NULL;

  if (g_strcmp0 (response, "unbind") != 0 || self->vault == NULL || self->busy)
    return;
  set_busy (self, TRUE);
  task = g_task_new (NULL, self->cancellable, unbound, g_object_ref (self));
  g_task_set_source_tag (task, unbind_response);
  g_task_set_task_data (task, g_object_ref (self->vault), g_object_unref);
  g_task_run_in_thread (task, unbind_thread);
}

static void
unbind_clicked (EntsecDevicePage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Unbind This Device?"),
                                   _("Your organization is told, then the accounts it gave you "
                                     "and its settings are removed from this device. Your own "
                                     "accounts stay. To use your organization’s accounts again, "
                                     "enroll again."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "unbind", _("_Unbind"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "unbind",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (unbind_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- Delete all local data ---------------------------------------------- */

/* No policy setting forbids it: the data is the person's own device's (an
 * administrator who wants the device back enrolls it again). */
static void
delete_clicked (EntsecDevicePage *self)
{
  if (self->vault == NULL || self->busy)
    return;
  entsec_delete_data_confirm (GTK_WIDGET (self), self->vault, TRUE);
}

/* ---- Public --------------------------------------------------------------- */

static void
back_clicked (EntsecDevicePage *self)
{
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
}

void
entsec_device_page_show (EntsecDevicePage *self,
                         EntsecVault      *vault,
                         GCancellable     *cancellable)
{
  g_return_if_fail (ENTSEC_IS_DEVICE_PAGE (self));
  g_return_if_fail (ENTSEC_IS_VAULT (vault));

  entsec_device_page_clear (self);
  g_set_object (&self->vault, vault);
  g_set_object (&self->cancellable, cancellable);
  read_device (self);
}

void
entsec_device_page_clear (EntsecDevicePage *self)
{
  g_return_if_fail (ENTSEC_IS_DEVICE_PAGE (self));

  self->generation++;
  self->busy = FALSE;
  gtk_widget_set_sensitive (GTK_WIDGET (self->check_button), TRUE);
  g_clear_object (&self->vault);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->policy, entsec_enterprise_policy_free);
  clear_rows (self->policy_group, self->policy_rows);
  clear_rows (self->shares_group, self->share_rows);
  gtk_label_set_label (self->sent_label, "");
  show_message (self, _("Reading This Device’s Registration…"), NULL);
}

void
entsec_device_page_set_show_back (EntsecDevicePage *self,
                                  gboolean          show_back)
{
  g_return_if_fail (ENTSEC_IS_DEVICE_PAGE (self));

  gtk_widget_set_visible (GTK_WIDGET (self->back_button), show_back);
  adw_header_bar_set_show_start_title_buttons (self->header_bar, show_back);
}

static void
entsec_device_page_dispose (GObject *object)
{
  EntsecDevicePage *self = ENTSEC_DEVICE_PAGE (object);

  g_clear_object (&self->vault);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), ENTSEC_TYPE_DEVICE_PAGE);
  G_OBJECT_CLASS (entsec_device_page_parent_class)->dispose (object);
}

static void
entsec_device_page_finalize (GObject *object)
{
  EntsecDevicePage *self = ENTSEC_DEVICE_PAGE (object);

  g_clear_pointer (&self->policy, entsec_enterprise_policy_free);
  g_clear_pointer (&self->policy_rows, g_ptr_array_unref);
  g_clear_pointer (&self->share_rows, g_ptr_array_unref);
  G_OBJECT_CLASS (entsec_device_page_parent_class)->finalize (object);
}

static void
entsec_device_page_class_init (EntsecDevicePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  entsec_app_ensure_resources ();

  object_class->dispose = entsec_device_page_dispose;
  object_class->finalize = entsec_device_page_finalize;

  /* A message for the window's toast overlay; a handler keeping it refs it. */
  signals[SIGNAL_TOAST] = g_signal_new ("toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, ADW_TYPE_TOAST);
  /* The page has nothing more to show (back, unbound): go back to the list. */
  signals[SIGNAL_CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* A read of the vault ended (shown, or its error). */
  signals[SIGNAL_LOADED] = g_signal_new ("loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (
    widget_class, "/org/entsec/EnterpriseSecurity/entsec-device-page.ui");
  gtk_widget_class_bind_template_child (widget_class, EntsecDevicePage, header_bar);
  gtk_widget_class_bind_template_child (widget_class, EntsecDevicePage, back_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecDevicePage, stack);
  gtk_widget_class_bind_template_child (widget_class, EntsecDevicePage, status_page);
  gtk_widget_class_bind_template_child (widget_class, EntsecDevicePage, organization_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecDevicePage, user_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecDevicePage, server_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecDevicePage, device_id_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecDevicePage, enrolled_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecDevicePage, state_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecDevicePage, contact_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecDevicePage, check_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecDevicePage, policy_group);
  gtk_widget_class_bind_template_child (widget_class, EntsecDevicePage, shares_group);
  gtk_widget_class_bind_template_child (widget_class, EntsecDevicePage, sent_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecDevicePage, sent_label);
  gtk_widget_class_bind_template_child (widget_class, EntsecDevicePage, unbind_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecDevicePage, unbind_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecDevicePage, delete_button);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked);
  gtk_widget_class_bind_template_callback (widget_class, check_clicked);
  gtk_widget_class_bind_template_callback (widget_class, unbind_clicked);
  gtk_widget_class_bind_template_callback (widget_class, delete_clicked);
}

static void
entsec_device_page_init (EntsecDevicePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->policy_rows = g_ptr_array_new ();
  self->share_rows = g_ptr_array_new ();
  gtk_widget_set_visible (GTK_WIDGET (self->back_button), FALSE);
}
