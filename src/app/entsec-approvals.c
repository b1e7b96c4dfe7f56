/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-approvals.c: the events worker of the app, the sign-in requests it
 * received and their notifications, the commands it carried out
 */

#define G_LOG_DOMAIN "entsec-approvals"

#include "config.h"

#include <glib/gi18n.h>
#include <jansson.h>

#include "entsec-approvals.h"

/* What each poll may be held: the protocol's default. */
#define WORKER_WAIT 25

struct _EntsecApprovals
{
  GObject             parent_instance;

  GApplication       *app;        /* weak */
  GCancellable       *cancellable;
  EntsecVault        *vault;      /* the one the worker polls with */
  EntsecVault        *own_vault;  /* ours, left locked: when no window lends its own */
  char               *path;
  gboolean            restart;    /* a lock stopped the worker: it goes on locked */
  gboolean            opening;
  gboolean            enrolled;
  EntsecEventsWorker *worker;
  GPtrArray          *retired;    /* stopped workers whose poll in flight may still run */
  GPtrArray          *pending;    /* EntsecApproval, oldest first */
  GHashTable         *notified;   /* challenge ids with a notification out */
  guint               expire_id;
  EntsecEventsClock   clock;
  gpointer            clock_data;
};

G_DEFINE_FINAL_TYPE (EntsecApprovals, entsec_approvals, G_TYPE_OBJECT)

enum
{
  CHANGED,
  CARRIED_OUT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* ---- The context --------------------------------------------------------- */

static json_t *
context_object (const EntsecApproval *approval)
{
  json_t *context;

  if (approval->context_json == NULL)
    return NULL;
  context = json_loads (approval->context_json, 0, NULL);
  if (context != NULL && !json_is_object (context))
    g_clear_pointer (&context, json_decref);
  return context;
}

static const char *
context_string (json_t     *context,
                const char *key)
{
  return context != NULL ? json_string_value (json_object_get (context, key)) : NULL;
}

gboolean
entsec_approval_is_high_risk (const EntsecApproval *approval)
{
  json_t *context;
  gboolean high;

  g_return_val_if_fail (approval != NULL, FALSE);

  context = context_object (approval);
  high = g_strcmp0 (context_string (context, "risk"), "high") == 0;
  json_decref (context);
  return high;
}

char *
entsec_approval_dup_app_name (const EntsecApproval *approval)
{
  json_t *context;
  char *name;

  g_return_val_if_fail (approval != NULL, NULL);

  context = context_object (approval);
  name = g_strdup (context_string (context, "app"));
  json_decref (context);
  return name != NULL ? name : g_strdup (_("an application of your organization"));
}

static void
field_free (EntsecApprovalField *field)
{
  g_free (field->label);
  g_free (field->value);
  g_free (field);
}

static void
add_field (GPtrArray  *fields,
           const char *label,
           const char *value)
{
  EntsecApprovalField *field = g_new0 (EntsecApprovalField, 1);

  field->label = g_strdup (label);
  field->value = g_strdup (value);
  g_ptr_array_add (fields, field);
}

/* The members relying parties use (docs/protocol.md 8.12), under a person's words. */
static const struct
{
  const char *key;
  const char *label;
} known_fields[] = {
  { "app", N_("Application") },
  { "location", N_("Approximate place") },
  { "place", N_("Approximate place") },
  { "ip", N_("IP address") },
  { "client_ip", N_("IP address") },
  { "browser", N_("Browser") },
  { "user_agent", N_("Browser") },
  { "time", N_("Time") },
  { "risk", N_("Risk") },
};

static gboolean
is_known_field (const char *key)
{
  for (gsize i = 0; i < G_N_ELEMENTS (known_fields); i++)
    if (g_str_equal (known_fields[i].key, key))
      return TRUE;
  return FALSE;
}

GPtrArray *
entsec_approval_context_fields (const EntsecApproval *approval)
{
  GPtrArray *fields = g_ptr_array_new_with_free_func ((GDestroyNotify) field_free);
  json_t *context;
  const char *key;
  json_t *value;

  g_return_val_if_fail (approval != NULL, fields);

  context = context_object (approval);
  if (context == NULL)
    return fields;
  for (gsize i = 0; i < G_N_ELEMENTS (known_fields); i++)
    {
      const char *text = context_string (context, known_fields[i].key);

      if (text != NULL && (!g_str_equal (known_fields[i].key, "risk") || g_str_equal (text, "high")))
        add_field (fields, _(known_fields[i].label), text);
    }
  json_object_foreach (context, key, value)
    if (!is_known_field (key) && json_is_string (value))
      add_field (fields, key, json_string_value (value));
  json_decref (context);
  return fields;
}

char *
entsec_approval_notification_id (const char *challenge_id)
{
  return g_strconcat ("approval-", challenge_id, NULL);
}

/* ---- The list and its notifications -------------------------------------- */

gint64
entsec_approvals_now (EntsecApprovals *self)
{
  gint64 now = 0;

  g_return_val_if_fail (ENTSEC_IS_APPROVALS (self), 0);

  if (self->clock != NULL)
    now = self->clock (self->clock_data);
  return now > 0 ? now : g_get_real_time () / G_USEC_PER_SEC;
}

void
entsec_approvals_set_clock (EntsecApprovals   *self,
                            EntsecEventsClock  clock,
                            gpointer           user_data)
{
  g_return_if_fail (ENTSEC_IS_APPROVALS (self));

  self->clock = clock;
  self->clock_data = user_data;
}

static void
notify_approval (EntsecApprovals      *self,
                 const EntsecApproval *approval)
{
  g_autoptr (GNotification) notification = NULL;
  g_autofree char *id = entsec_approval_notification_id (approval->challenge_id);
  g_autofree char *app_name = entsec_approval_dup_app_name (approval);
  g_autofree char *body = NULL;

  /* No number or code in it: only the dialog shows what to compare. */
  notification = g_notification_new (_("Sign-in request"));
  body = g_strdup_printf (_("Someone is signing in to %s as you. Open the request to approve "
                            "or deny it."), app_name);
  g_notification_set_body (notification, body);
  g_notification_set_priority (notification, G_NOTIFICATION_PRIORITY_HIGH);
  g_notification_set_default_action_and_target (notification, "app.show-approval", "s",
                                                approval->challenge_id);
  g_application_send_notification (self->app, id, notification);
}

static void
withdraw (EntsecApprovals *self,
          const char      *challenge_id)
{
  g_autofree char *id = entsec_approval_notification_id (challenge_id);

  if (self->app != NULL)
    g_application_withdraw_notification (self->app, id);
}

static gboolean
in_list (GPtrArray  *list,
         const char *challenge_id)
{
  for (guint i = 0; i < list->len; i++)
    if (g_str_equal (((EntsecApproval *) g_ptr_array_index (list, i))->challenge_id,
                     challenge_id))
      return TRUE;
  return FALSE;
}

static gboolean expire_tick (gpointer user_data);

/* A tick every second while requests wait: they expire by the injected clock. */
static void
update_expire_tick (EntsecApprovals *self)
{
  if (self->pending->len > 0 && self->expire_id == 0)
    self->expire_id = g_timeout_add_seconds (1, expire_tick, self);
  else if (self->pending->len == 0)
    g_clear_handle_id (&self->expire_id, g_source_remove);
}

static gboolean
drop_notified (gpointer key,
               gpointer value,
               gpointer user_data)
{
  EntsecApprovals *self = user_data;

  if (in_list (self->pending, key))
    return FALSE;
  withdraw (self, key);
  return TRUE;
}

void
entsec_approvals_set_pending (EntsecApprovals *self,
                              GPtrArray       *pending)
{
  gint64 now;
  guint i = 0;

  g_return_if_fail (ENTSEC_IS_APPROVALS (self));
  g_return_if_fail (pending != NULL);

  now = entsec_approvals_now (self);
  g_ptr_array_unref (self->pending);
  self->pending = pending;
  while (i < self->pending->len)
    {
      EntsecApproval *approval = g_ptr_array_index (self->pending, i);

      if (approval->expires_at <= now)
        g_ptr_array_remove_index (self->pending, i);
      else
        i++;
    }
  g_hash_table_foreach_remove (self->notified, drop_notified, self);
  for (i = 0; i < self->pending->len; i++)
    {
      EntsecApproval *approval = g_ptr_array_index (self->pending, i);

      if (g_hash_table_contains (self->notified, approval->challenge_id)
          || entsec_approval_is_high_risk (approval))
        continue;
      g_hash_table_add (self->notified, g_strdup (approval->challenge_id));
      if (self->app != NULL)
        notify_approval (self, approval);
    }
  update_expire_tick (self);
  g_debug ("%u sign-in requests waiting", self->pending->len);
  g_signal_emit (self, signals[CHANGED], 0);
}

void
entsec_approvals_expire (EntsecApprovals *self)
{
  gint64 now;
  gboolean changed = FALSE;
  guint i = 0;

  g_return_if_fail (ENTSEC_IS_APPROVALS (self));

  now = entsec_approvals_now (self);
  while (i < self->pending->len)
    {
      EntsecApproval *approval = g_ptr_array_index (self->pending, i);

      if (approval->expires_at > now)
        {
          i++;
          continue;
        }
      g_hash_table_remove (self->notified, approval->challenge_id);
      withdraw (self, approval->challenge_id);
      g_ptr_array_remove_index (self->pending, i);
      changed = TRUE;
    }
  update_expire_tick (self);
  if (changed)
    g_signal_emit (self, signals[CHANGED], 0);
}

static gboolean
expire_tick (gpointer user_data)
{
  EntsecApprovals *self = user_data;

  self->expire_id = 0;
  entsec_approvals_expire (self);
  return G_SOURCE_REMOVE;
}

GPtrArray *
entsec_approvals_get_pending (EntsecApprovals *self)
{
  g_return_val_if_fail (ENTSEC_IS_APPROVALS (self), NULL);

  return self->pending;
}

const EntsecApproval *
entsec_approvals_lookup (EntsecApprovals *self,
                         const char      *challenge_id)
{
  g_return_val_if_fail (ENTSEC_IS_APPROVALS (self), NULL);

  for (guint i = 0; challenge_id != NULL && i < self->pending->len; i++)
    {
      EntsecApproval *approval = g_ptr_array_index (self->pending, i);

      if (g_str_equal (approval->challenge_id, challenge_id))
        return approval;
    }
  return NULL;
}

static void
remove_pending (EntsecApprovals *self,
                const char      *challenge_id)
{
  for (guint i = 0; i < self->pending->len; i++)
    {
      EntsecApproval *approval = g_ptr_array_index (self->pending, i);

      if (!g_str_equal (approval->challenge_id, challenge_id))
        continue;
      g_hash_table_remove (self->notified, challenge_id);
      withdraw (self, challenge_id);
      g_ptr_array_remove_index (self->pending, i);
      update_expire_tick (self);
      g_signal_emit (self, signals[CHANGED], 0);
      return;
    }
}

/* ---- Reading the list in a thread ---------------------------------------- */

static void
list_thread (GTask        *task,
             gpointer      source,
             gpointer      data,
             GCancellable *cancellable)
{
  EntsecApprovals *self = source;
  GError *error = NULL;
  GPtrArray *list;

  list = entsec_enterprise_approvals_list_sync (data, entsec_approvals_now (self), cancellable,
                                                &error);
  if (list == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, list, (GDestroyNotify) g_ptr_array_unref);
}

static void
list_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  EntsecApprovals *self = ENTSEC_APPROVALS (source);
  g_autoptr (GError) error = NULL;
  GPtrArray *list = g_task_propagate_pointer (G_TASK (result), &error);

  if (list != NULL)
    entsec_approvals_set_pending (self, list);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
           && !g_error_matches (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_NOT_ENROLLED))
    g_message ("The sign-in requests could not be read: %s", error->message);
}

static void
reload (EntsecApprovals *self)
{
  g_autoptr (GTask) task = g_task_new (self, self->cancellable, list_done, NULL);

  g_task_set_task_data (task, g_object_ref (self->vault), g_object_unref);
  g_task_run_in_thread (task, list_thread);
}

/* ---- The worker ----------------------------------------------------------- */

static void
worker_polled (EntsecApprovals              *self,
               const EntsecEnterpriseEvents *events)
{
  gboolean pushes = FALSE;

  g_debug ("A poll: %u events", events->events->len);
  for (guint i = 0; i < events->events->len; i++)
    {
      EntsecEnterpriseEvent *event = g_ptr_array_index (events->events, i);

      pushes = pushes || event->approval != NULL;
    }
  if (events->wiped)
    {
      self->enrolled = FALSE;
      entsec_approvals_set_pending (self, g_ptr_array_new_with_free_func (
                                            (GDestroyNotify) entsec_approval_free));
      g_signal_emit (self, signals[CARRIED_OUT], 0, "wipe");
      return;
    }
  if (pushes)
    reload (self);
  if (events->locked)
    {
      self->restart = TRUE;
      g_signal_emit (self, signals[CARRIED_OUT], 0, "lock");
    }
}

static void
worker_failed (EntsecApprovals *self,
               const GError    *error)
{
  /* Not enrolled is the usual case of a personal vault: nothing to say. */
  if (g_error_matches (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_NOT_ENROLLED))
    self->enrolled = FALSE;
  else
    g_message ("Polling the enterprise server failed: %s", error->message);
}

static void run_worker (EntsecApprovals *self);

/* A worker that had the vault unlocked stops at a lock: it goes on with the vault locked
 * (the device key in the keyring). Other stops wait for the next start. */
static void
worker_stopped (EntsecApprovals *self)
{
  if (!self->restart)
    return;
  self->restart = FALSE;
  run_worker (self);
}

static void
drop_worker (EntsecApprovals *self)
{
  if (self->worker == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->worker, self);
  entsec_events_worker_stop (self->worker);
  /* Its thread may poll on for up to WORKER_WAIT seconds: kept for entsec_approvals_is_idle(). */
  g_ptr_array_add (self->retired, g_steal_pointer (&self->worker));
}

gboolean
entsec_approvals_is_idle (EntsecApprovals *self)
{
  guint i = 0;

  g_return_val_if_fail (ENTSEC_IS_APPROVALS (self), TRUE);

  while (i < self->retired->len)
    {
      if (entsec_events_worker_is_idle (g_ptr_array_index (self->retired, i)))
        g_ptr_array_remove_index_fast (self->retired, i);
      else
        i++;
    }
  return self->worker == NULL && self->retired->len == 0;
}

static void
run_worker (EntsecApprovals *self)
{
  drop_worker (self);
  self->enrolled = TRUE;
  self->worker = entsec_events_worker_new (self->vault, WORKER_WAIT);
  if (self->clock != NULL)
    entsec_events_worker_set_clock (self->worker, self->clock, self->clock_data);
  g_signal_connect_object (self->worker, "polled", G_CALLBACK (worker_polled), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->worker, "failed", G_CALLBACK (worker_failed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->worker, "stopped", G_CALLBACK (worker_stopped), self,
                           G_CONNECT_SWAPPED);
  entsec_events_worker_start (self->worker);
  reload (self);
}

static void
vault_opened (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (EntsecApprovals) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecVault) vault = entsec_vault_open_finish (result, &error);

  self->opening = FALSE;
  if (vault == NULL)
    {
      /* No vault yet (first run): the next start, after setup or enrollment, tries again. */
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
          && !g_error_matches (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NOT_FOUND))
        g_message ("The vault could not be opened for sign-in requests: %s", error->message);
      return;
    }
  g_set_object (&self->own_vault, vault);
  if (self->vault == NULL)
    {
      self->vault = g_steal_pointer (&vault);
      run_worker (self);
    }
}

static void
open_own_vault (EntsecApprovals *self)
{
  if (self->opening)
    return;
  if (self->path == NULL)
    self->path = entsec_vault_default_path (NULL);
  self->opening = TRUE;
  entsec_vault_open_async (self->path, self->cancellable, vault_opened, g_object_ref (self));
}

void
entsec_approvals_set_vault (EntsecApprovals *self,
                            EntsecVault     *vault)
{
  g_return_if_fail (ENTSEC_IS_APPROVALS (self));
  g_return_if_fail (vault == NULL || ENTSEC_IS_VAULT (vault));

  if (vault != NULL && vault == self->vault)
    return;
  drop_worker (self);
  g_clear_object (&self->vault);
  if (vault == NULL && self->own_vault == NULL)
    {
      open_own_vault (self);
      return;
    }
  self->vault = g_object_ref (vault != NULL ? vault : self->own_vault);
  run_worker (self);
}

void
entsec_approvals_start (EntsecApprovals *self,
                        const char      *path)
{
  g_return_if_fail (ENTSEC_IS_APPROVALS (self));

  if (path != NULL && self->path == NULL)
    self->path = g_strdup (path);
  if (self->vault != NULL)
    run_worker (self);
  else
    open_own_vault (self);
}

void
entsec_approvals_stop (EntsecApprovals *self)
{
  g_return_if_fail (ENTSEC_IS_APPROVALS (self));

  drop_worker (self);
}

void
entsec_approvals_forget_vault (EntsecApprovals *self)
{
  g_return_if_fail (ENTSEC_IS_APPROVALS (self));

  drop_worker (self);
  g_clear_object (&self->vault);
  g_clear_object (&self->own_vault);
  self->enrolled = FALSE;
  /* The requests came for the device whose key goes with the vault. */
  entsec_approvals_set_pending (self, g_ptr_array_new_with_free_func (
                                        (GDestroyNotify) entsec_approval_free));
}

gboolean
entsec_approvals_is_enrolled (EntsecApprovals *self)
{
  g_return_val_if_fail (ENTSEC_IS_APPROVALS (self), FALSE);

  return self->vault != NULL && self->enrolled;
}

gboolean
entsec_approvals_is_running (EntsecApprovals *self)
{
  g_return_val_if_fail (ENTSEC_IS_APPROVALS (self), FALSE);

  return self->worker != NULL && entsec_events_worker_get_running (self->worker);
}

/* ---- Answering ------------------------------------------------------------ */

typedef struct
{
  EntsecVault *vault;
  char *challenge_id;
  gboolean approve;
  guint number;
  EntsecDenyReason reason;
  gint64 now;
} Respond;

static void
respond_free (Respond *respond)
{
  g_clear_object (&respond->vault);
  g_free (respond->challenge_id);
  g_free (respond);
}

static void
respond_thread (GTask        *task,
                gpointer      source,
                gpointer      data,
                GCancellable *cancellable)
{
  Respond *respond = data;
  GError *error = NULL;
  char *state = NULL;

  if (entsec_enterprise_approval_respond_sync (respond->vault, respond->challenge_id,
                                               respond->approve, respond->number,
                                               respond->reason, 0, &state, cancellable,
                                               &error))
    g_task_return_pointer (task, state, g_free);
  else
    g_task_return_error (task, error);
}

void
entsec_approvals_respond_async (EntsecApprovals     *self,
                                EntsecVault         *vault,
                                const char          *challenge_id,
                                gboolean             approve,
                                guint                number,
                                EntsecDenyReason     reason,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  Respond *respond;

  g_return_if_fail (ENTSEC_IS_APPROVALS (self));
  g_return_if_fail (vault == NULL || ENTSEC_IS_VAULT (vault));
  g_return_if_fail (challenge_id != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, entsec_approvals_respond_async);
  if (vault == NULL && self->vault == NULL)
    {
      g_task_return_new_error (task, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_NOT_ENROLLED, "%s",
                               _("This device is not enrolled with an organization"));
      return;
    }
  respond = g_new0 (Respond, 1);
  respond->vault = g_object_ref (vault != NULL ? vault : self->vault);
  respond->challenge_id = g_strdup (challenge_id);
  respond->approve = approve;
  respond->number = number;
  respond->reason = reason;
  g_task_set_task_data (task, respond, (GDestroyNotify) respond_free);
  g_task_run_in_thread (task, respond_thread);
}

char *
entsec_approvals_respond_finish (EntsecApprovals  *self,
                                 GAsyncResult     *result,
                                 GError          **error)
{
  Respond *respond;
  char *state;

  g_return_val_if_fail (ENTSEC_IS_APPROVALS (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  respond = g_task_get_task_data (G_TASK (result));
  state = g_task_propagate_pointer (G_TASK (result), error);
  /* Answered, or closed: it left the vault's list (a wrong number keeps it). */
  if (state != NULL || (error != NULL && *error != NULL
                        && !g_error_matches (*error, ENTSEC_NET_ERROR,
                                             ENTSEC_NET_ERROR_INVALID_CODE)
                        && !g_error_matches (*error, ENTSEC_VAULT_ERROR,
                                             ENTSEC_VAULT_ERROR_LOCKED)
                        && !g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT)
                        && !g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_CANCELLED)))
    remove_pending (self, respond->challenge_id);
  return state;
}

/* ---- Life cycle ------------------------------------------------------------ */

static void
entsec_approvals_dispose (GObject *object)
{
  EntsecApprovals *self = ENTSEC_APPROVALS (object);

  g_cancellable_cancel (self->cancellable);
  drop_worker (self);
  g_clear_handle_id (&self->expire_id, g_source_remove);
  g_clear_object (&self->vault);
  g_clear_object (&self->own_vault);
  if (self->app != NULL)
    g_object_remove_weak_pointer (G_OBJECT (self->app), (gpointer *) &self->app);
  self->app = NULL;

  G_OBJECT_CLASS (entsec_approvals_parent_class)->dispose (object);
}

static void
entsec_approvals_finalize (GObject *object)
{
  EntsecApprovals *self = ENTSEC_APPROVALS (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  g_clear_pointer (&self->notified, g_hash_table_unref);
  g_clear_pointer (&self->retired, g_ptr_array_unref);
  g_free (self->path);

  G_OBJECT_CLASS (entsec_approvals_parent_class)->finalize (object);
}

static void
entsec_approvals_class_init (EntsecApprovalsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = entsec_approvals_dispose;
  object_class->finalize = entsec_approvals_finalize;

  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[CARRIED_OUT] = g_signal_new ("carried-out", G_TYPE_FROM_CLASS (klass),
                                       G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                       G_TYPE_STRING);
}

static void
entsec_approvals_init (EntsecApprovals *self)
{
  self->cancellable = g_cancellable_new ();
  self->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_approval_free);
  self->notified = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->retired = g_ptr_array_new_with_free_func (g_object_unref);
}

EntsecApprovals *
entsec_approvals_new (GApplication *app)
{
  EntsecApprovals *self;

  g_return_val_if_fail (app == NULL || G_IS_APPLICATION (app), NULL);

  self = g_object_new (ENTSEC_TYPE_APPROVALS, NULL);
  self->app = app;
  if (app != NULL)
    g_object_add_weak_pointer (G_OBJECT (app), (gpointer *) &self->app);
  return self;
}
