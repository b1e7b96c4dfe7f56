/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-enterprise-state.c: the enterprise side of a vault, read in a thread, kept for widgets */

#define G_LOG_DOMAIN "entsec-enterprise-state"

#include "config.h"

#include <glib/gi18n.h>
#include <gtk/gtk.h>

#include "entsec-application.h"
#include "entsec-enterprise-state.h"

#define STATE_KEY "entsec-enterprise-state"

struct _EntsecEnterpriseState
{
  GObject                 parent_instance;

  /* Not owned: the vault owns this state (object data). */
  EntsecVault            *vault;
  GCancellable           *cancellable;
  /* Bumped at each read: an older read's result is dropped. */
  guint                   generation;
  gboolean                loaded;
  EntsecEnterprisePolicy *policy;
  char                   *organization;
  EntsecOfflineState      offline;
  gint64                  offline_block_at;
};

G_DEFINE_FINAL_TYPE (EntsecEnterpriseState, entsec_enterprise_state, G_TYPE_OBJECT)

enum
{
  SIGNAL_CHANGED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

void
entsec_enterprise_snapshot_free (EntsecEnterpriseSnapshot *snapshot)
{
  if (snapshot == NULL)
    return;
  g_clear_pointer (&snapshot->status, entsec_enterprise_status_free);
  g_clear_pointer (&snapshot->policy, entsec_enterprise_policy_free);
  g_free (snapshot);
}

EntsecEnterpriseSnapshot *
entsec_enterprise_snapshot_read (EntsecVault   *vault,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  g_autoptr (EntsecEnterpriseSnapshot) snapshot = g_new0 (EntsecEnterpriseSnapshot, 1);
  GError *local = NULL;

  /* No network: the stored registration, the offline grace applied now. */
  snapshot->status = entsec_enterprise_status_sync (vault, 0, FALSE, cancellable, &local);
  if (g_error_matches (local, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_NOT_ENROLLED))
    {
      g_clear_error (&local);
      return g_steal_pointer (&snapshot);
    }
  if (snapshot->status != NULL && !snapshot->status->wiped)
    snapshot->policy = entsec_enterprise_policy_load_sync (vault, cancellable, &local);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return NULL;
    }
  return g_steal_pointer (&snapshot);
}

static void
read_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  GError *error = NULL;
  EntsecEnterpriseSnapshot *snapshot = entsec_enterprise_snapshot_read (task_data, cancellable,
                                                                        &error);

  if (snapshot == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, snapshot, (GDestroyNotify) entsec_enterprise_snapshot_free);
}

static void
adopt (EntsecEnterpriseState    *self,
       EntsecEnterpriseSnapshot *result)
{
  g_clear_pointer (&self->policy, entsec_enterprise_policy_free);
  g_clear_pointer (&self->organization, g_free);
  self->offline = ENTSEC_OFFLINE_OK;
  self->offline_block_at = 0;
  if (result->status != NULL && !result->status->wiped)
    {
      self->policy = g_steal_pointer (&result->policy);
      self->organization = g_strdup (result->status->tenant);
      self->offline = result->status->offline;
      self->offline_block_at = result->status->offline_block_at;
    }
}

/* A read's result (transfer full) becomes the state. */
static void
read_ended (EntsecEnterpriseState    *self,
            EntsecEnterpriseSnapshot *result)
{
  GApplication *app;

  adopt (self, result);
  /* The offline grace ran out while the app was away: tell every part. */
  app = g_application_get_default ();
  if (result->status != NULL && result->status->wiped && ENTSEC_IS_APPLICATION (app))
    entsec_application_enterprise_changed (ENTSEC_APPLICATION (app));
  entsec_enterprise_snapshot_free (result);
  self->loaded = TRUE;
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
}

static void
read_done (GObject      *source,
           GAsyncResult *res,
           gpointer      user_data)
{
  g_autoptr (EntsecEnterpriseState) self = user_data;
  g_autoptr (GError) error = NULL;
  EntsecEnterpriseSnapshot *result = g_task_propagate_pointer (G_TASK (res), &error);
  guint generation = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (res), "generation"));

  if (generation != self->generation)
    {
      g_clear_pointer (&result, entsec_enterprise_snapshot_free);
      return;
    }
  if (result == NULL)
    {
      /* A locked vault keeps what was known; anything else is logged (the
       * device page shows its own reading's error). */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          && !g_error_matches (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_LOCKED))
        {
          g_warning ("The enterprise state could not be read: %s", error->message);
          /* Whoever waits for the first read (the window's codes) goes on. */
          self->loaded = TRUE;
          g_signal_emit (self, signals[SIGNAL_CHANGED], 0);
        }
      return;
    }
  read_ended (self, result);
}

void
entsec_enterprise_state_reload (EntsecEnterpriseState *self)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (ENTSEC_IS_ENTERPRISE_STATE (self));

  if (self->vault == NULL || !entsec_vault_is_unlocked (self->vault))
    return;
  task = g_task_new (NULL, self->cancellable, read_done, g_object_ref (self));
  g_task_set_source_tag (task, entsec_enterprise_state_reload);
  g_object_set_data (G_OBJECT (task), "generation", GUINT_TO_POINTER (++self->generation));
  g_task_set_task_data (task, g_object_ref (self->vault), g_object_unref);
  g_task_run_in_thread (task, read_thread);
}

static void
vault_locked_changed (EntsecEnterpriseState *self)
{
  if (entsec_vault_is_unlocked (self->vault))
    entsec_enterprise_state_reload (self);
}

static void
entsec_enterprise_state_dispose (GObject *object)
{
  EntsecEnterpriseState *self = ENTSEC_ENTERPRISE_STATE (object);

  g_cancellable_cancel (self->cancellable);
  self->vault = NULL;
  G_OBJECT_CLASS (entsec_enterprise_state_parent_class)->dispose (object);
}

static void
entsec_enterprise_state_finalize (GObject *object)
{
  EntsecEnterpriseState *self = ENTSEC_ENTERPRISE_STATE (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->policy, entsec_enterprise_policy_free);
  g_free (self->organization);
  G_OBJECT_CLASS (entsec_enterprise_state_parent_class)->finalize (object);
}

static void
entsec_enterprise_state_class_init (EntsecEnterpriseStateClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = entsec_enterprise_state_dispose;
  object_class->finalize = entsec_enterprise_state_finalize;

  /**
   * EntsecEnterpriseState::changed:
   *
   * A read of the vault ended: the policy, the organization or the offline
   * grace may differ.
   */
  signals[SIGNAL_CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
entsec_enterprise_state_init (EntsecEnterpriseState *self)
{
  self->cancellable = g_cancellable_new ();
}

/* The vault goes: its state must not outlive it with a dangling pointer. */
static void
state_release (gpointer data)
{
  EntsecEnterpriseState *self = data;

  g_cancellable_cancel (self->cancellable);
  self->vault = NULL;
  g_object_unref (self);
}

static EntsecEnterpriseState *
state_new (EntsecVault *vault)
{
  EntsecEnterpriseState *self = g_object_new (ENTSEC_TYPE_ENTERPRISE_STATE, NULL);
  GApplication *app;

  self->vault = vault;
  g_object_set_data_full (G_OBJECT (vault), STATE_KEY, self, state_release);
  g_signal_connect_object (vault, "notify::locked", G_CALLBACK (vault_locked_changed), self,
                           G_CONNECT_SWAPPED);
  app = g_application_get_default ();
  if (ENTSEC_IS_APPLICATION (app))
    g_signal_connect_object (app, "enterprise-changed",
                             G_CALLBACK (entsec_enterprise_state_reload), self,
                             G_CONNECT_SWAPPED);
  return self;
}

EntsecEnterpriseState *
entsec_enterprise_state_get (EntsecVault *vault)
{
  EntsecEnterpriseState *self;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);

  self = g_object_get_data (G_OBJECT (vault), STATE_KEY);
  if (self != NULL)
    return self;
  self = state_new (vault);
  entsec_enterprise_state_reload (self);
  return self;
}

EntsecEnterpriseState *
entsec_enterprise_state_get_read (EntsecVault              *vault,
                                  EntsecEnterpriseSnapshot *snapshot)
{
  EntsecEnterpriseState *self;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);
  g_return_val_if_fail (snapshot != NULL, NULL);

  self = g_object_get_data (G_OBJECT (vault), STATE_KEY);
  if (self != NULL)
    {
      entsec_enterprise_snapshot_free (snapshot);
      return self;
    }
  self = state_new (vault);
  read_ended (self, snapshot);
  return self;
}

gboolean
entsec_enterprise_state_is_loaded (EntsecEnterpriseState *self)
{
  g_return_val_if_fail (ENTSEC_IS_ENTERPRISE_STATE (self), FALSE);
  return self->loaded;
}

gboolean
entsec_enterprise_state_is_enrolled (EntsecEnterpriseState *self)
{
  g_return_val_if_fail (ENTSEC_IS_ENTERPRISE_STATE (self), FALSE);
  return self->policy != NULL;
}

const EntsecEnterprisePolicy *
entsec_enterprise_state_get_policy (EntsecEnterpriseState *self)
{
  g_return_val_if_fail (ENTSEC_IS_ENTERPRISE_STATE (self), NULL);
  return self->policy;
}

const char *
entsec_enterprise_state_get_organization (EntsecEnterpriseState *self)
{
  g_return_val_if_fail (ENTSEC_IS_ENTERPRISE_STATE (self), NULL);
  return self->organization;
}

EntsecOfflineState
entsec_enterprise_state_get_offline (EntsecEnterpriseState *self,
                                     gint64                *block_at)
{
  g_return_val_if_fail (ENTSEC_IS_ENTERPRISE_STATE (self), ENTSEC_OFFLINE_OK);
  if (block_at != NULL)
    *block_at = self->offline_block_at;
  return self->offline;
}

char *
entsec_enterprise_state_dup_managed_by (EntsecEnterpriseState *self)
{
  g_return_val_if_fail (ENTSEC_IS_ENTERPRISE_STATE (self), NULL);
  if (self->organization == NULL)
    return g_strdup (_("Managed by your organization"));
  /* TRANSLATORS: %s is the name of the organization (the tenant). */
  return g_strdup_printf (_("Managed by %s"), self->organization);
}

/* The policy's permissions: what the app asks, the setting, why not. */
typedef struct
{
  const char *what;
  gsize       offset;
  const char *reason;
} Permission;

static const Permission permissions[] = {
  { "delete", G_STRUCT_OFFSET (EntsecEnterprisePolicy, allow_user_delete),
    N_("Your organization’s policy does not allow deleting its accounts.") },
  { "export", G_STRUCT_OFFSET (EntsecEnterprisePolicy, allow_export),
    N_("Your organization’s policy does not allow exporting accounts.") },
  { "manual-add", G_STRUCT_OFFSET (EntsecEnterprisePolicy, allow_manual_add),
    N_("Your organization’s policy does not allow typing in accounts.") },
  { "qr-import", G_STRUCT_OFFSET (EntsecEnterprisePolicy, allow_qr_import),
    N_("Your organization’s policy does not allow adding accounts from QR codes.") },
  { "migration-import", G_STRUCT_OFFSET (EntsecEnterprisePolicy, allow_migration_import),
    N_("Your organization’s policy does not allow importing accounts from other apps.") },
  { "copy", G_STRUCT_OFFSET (EntsecEnterprisePolicy, allow_copy),
    N_("Your organization’s policy does not allow copying codes.") },
  { "unbind", G_STRUCT_OFFSET (EntsecEnterprisePolicy, allow_user_unbind),
    N_("Your organization’s policy does not allow unbinding this device: ask your "
       "administrator.") },
};

gboolean
entsec_enterprise_policy_allows (const EntsecEnterprisePolicy *policy,
                                 const char                   *what,
                                 char                        **reason)
{
  g_return_val_if_fail (what != NULL, TRUE);

  for (gsize i = 0; i < G_N_ELEMENTS (permissions); i++)
    {
      if (!g_str_equal (permissions[i].what, what))
        continue;
      if (policy == NULL || G_STRUCT_MEMBER (gboolean, policy, permissions[i].offset))
        return TRUE;
      if (reason != NULL)
        *reason = g_strdup (_(permissions[i].reason));
      return FALSE;
    }
  g_return_val_if_reached (TRUE);
}

gboolean
entsec_enterprise_state_allows (EntsecEnterpriseState *self,
                                const char            *what,
                                char                 **reason)
{
  g_return_val_if_fail (ENTSEC_IS_ENTERPRISE_STATE (self), TRUE);

  return entsec_enterprise_policy_allows (self->policy, what, reason);
}

gboolean
entsec_enterprise_state_requires_passphrase (EntsecEnterpriseState *self,
                                             guint                 *min_length)
{
  g_return_val_if_fail (ENTSEC_IS_ENTERPRISE_STATE (self), FALSE);

  if (min_length != NULL)
    *min_length = self->policy != NULL ? self->policy->min_pin_length : 0;
  return self->policy != NULL && self->policy->unlock_required != ENTSEC_UNLOCK_REQUIRED_NONE;
}

char *
entsec_enterprise_state_dup_offline_warning (EntsecEnterpriseState *self,
                                             gint64                 now)
{
  g_autoptr (GDateTime) time = NULL;
  g_autofree char *when = NULL;

  g_return_val_if_fail (ENTSEC_IS_ENTERPRISE_STATE (self), NULL);

  if (self->offline == ENTSEC_OFFLINE_BLOCKED)
    return g_strdup (_("This device has not reached your organization’s server for too long: "
                       "the codes of its accounts are hidden until it does."));
  /* From the last quarter of the grace on. */
  if (self->policy == NULL || self->offline_block_at <= 0
      || self->offline_block_at - now >= self->policy->offline_block_after / 4)
    return NULL;
  time = g_date_time_new_from_unix_local (self->offline_block_at);
  when = g_date_time_format (time, "%x %X");
  return g_strdup_printf (_("This device has not reached your organization’s server lately: the "
                            "codes of its accounts will be hidden from %s unless it does."),
                          when);
}

/* ---- Check now ------------------------------------------------------------- */

static char *
sync_message (const EntsecEnterpriseSync *sync)
{
  g_autofree char *version = g_strdup_printf ("%" G_GINT64_FORMAT, sync->policy_version);

  if (sync->wiped)
    return g_strdup (_("Your organization removed this device: its accounts and settings were "
                       "deleted; your own accounts stay"));
  if (sync->clock_warning != NULL)
    return g_strdup (sync->clock_warning);
  if (sync->added->len > 0)
    return g_strdup_printf (g_dngettext (NULL, "Policy version %s in force; %u account added",
                                         "Policy version %s in force; %u accounts added",
                                         sync->added->len),
                            version, sync->added->len);
  if (sync->policy_changed)
    return g_strdup_printf (_("New policy in force: version %s"), version);
  return g_strdup_printf (_("Up to date: policy version %s"), version);
}

static void
synced (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;
  g_autoptr (EntsecEnterpriseSync) sync = entsec_enterprise_sync_finish (ENTSEC_VAULT (source),
                                                                         result, &error);
  GApplication *app = g_application_get_default ();

  if (sync == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* The policy, the accounts or the registration changed: tell every part. */
  if (ENTSEC_IS_APPLICATION (app))
    entsec_application_enterprise_changed (ENTSEC_APPLICATION (app));
  g_task_return_pointer (task, sync_message (sync), g_free);
}

void
entsec_enterprise_check_now (EntsecVault         *vault,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (ENTSEC_IS_VAULT (vault));

  task = g_task_new (vault, cancellable, callback, user_data);
  g_task_set_source_tag (task, entsec_enterprise_check_now);
  entsec_enterprise_sync_async (vault, 0, cancellable, synced, task);
}

char *
entsec_enterprise_check_now_finish (GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
entsec_enterprise_explain_widget (gpointer    widget,
                                  gboolean    allowed,
                                  const char *reason)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));

  gtk_widget_set_sensitive (widget, allowed);
  gtk_widget_set_tooltip_text (widget, allowed ? NULL : reason);
  if (allowed)
    gtk_accessible_reset_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
  else
    gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                    reason, -1);
}
