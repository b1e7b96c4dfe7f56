/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-events-worker.c: the events long-poll in a thread of its own, its
 * outcomes signalled on the main context (docs/protocol.md 8.13)
 */

#include "config.h"

#define G_LOG_DOMAIN "entsec-events"

#include <openssl/crypto.h>

#include <entsec/entsec.h>

#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 60000
/* After a failed heartbeat, the next one is tried this many seconds later. */
#define HEARTBEAT_RETRY_S 300

struct _EntsecEventsWorker
{
  GObject parent_instance;

  EntsecVault *vault;
  guint wait;
  GMainContext *context;
  GCancellable *cancellable;  /* of the running thread; NULL when stopped */
  GMutex lock;
  GCond wake;
  guint threads;              /* threads not ended yet (a stopped one may still poll) */
  char *device_root;          /* claims read under it (tests); NULL: the real system */
  EntsecEventsClock clock;    /* NULL: the real clock */
  gpointer clock_data;
};

G_DEFINE_FINAL_TYPE (EntsecEventsWorker, entsec_events_worker, G_TYPE_OBJECT)

enum { PROP_0, PROP_RUNNING, N_PROPS };
enum { SIGNAL_POLLED, SIGNAL_FAILED, SIGNAL_STOPPED, SIGNAL_HEARTBEAT, N_SIGNALS };

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

guint
entsec_events_backoff_ms (guint   failures,
                          gdouble jitter)
{
  guint ms = BACKOFF_FIRST_MS << MIN (MAX (failures, 1) - 1, 6);

  return (guint) (MIN (ms, BACKOFF_MAX_MS) * CLAMP (jitter, 0.75, 1.25));
}

/* ---- What the thread hands to the main context ------------------------------ */

typedef struct
{
  EntsecEventsWorker *worker;
  GCancellable *cancellable;
  EntsecEnterpriseEvents *events;
  EntsecEnterpriseHeartbeat *heartbeat;
  GError *error;
  gboolean last;
} Outcome;

static void
outcome_free (gpointer data)
{
  Outcome *outcome = data;

  g_object_unref (outcome->worker);
  g_object_unref (outcome->cancellable);
  entsec_enterprise_events_free (outcome->events);
  entsec_enterprise_heartbeat_free (outcome->heartbeat);
  g_clear_error (&outcome->error);
  g_free (outcome);
}

static void
finish_stop (EntsecEventsWorker *worker)
{
  g_clear_object (&worker->cancellable);
  g_object_notify_by_pspec (G_OBJECT (worker), properties[PROP_RUNNING]);
  g_signal_emit (worker, signals[SIGNAL_STOPPED], 0);
}

static gboolean
outcome_dispatch (gpointer data)
{
  Outcome *outcome = data;
  EntsecEventsWorker *worker = outcome->worker;

  /* Stopped (or stopped and started again) meanwhile: not this run's news. */
  if (outcome->cancellable != worker->cancellable)
    return G_SOURCE_REMOVE;
  if (outcome->heartbeat != NULL)
    g_signal_emit (worker, signals[SIGNAL_HEARTBEAT], 0, outcome->heartbeat);
  if (outcome->events != NULL)
    g_signal_emit (worker, signals[SIGNAL_POLLED], 0, outcome->events);
  if (outcome->error != NULL)
    g_signal_emit (worker, signals[SIGNAL_FAILED], 0, outcome->error);
  if (outcome->last && outcome->cancellable == worker->cancellable)
    finish_stop (worker);
  return G_SOURCE_REMOVE;
}

static void
hand_over_all (EntsecEventsWorker        *worker,
               GCancellable              *cancellable,
               EntsecEnterpriseEvents    *events,
               EntsecEnterpriseHeartbeat *heartbeat,
               GError                    *error,
               gboolean                   last)
{
  Outcome *outcome = g_new0 (Outcome, 1);
  g_autoptr (GSource) source = NULL;

  outcome->worker = g_object_ref (worker);
  outcome->cancellable = g_object_ref (cancellable);
  outcome->events = events;
  outcome->heartbeat = heartbeat;
  outcome->error = error;
  outcome->last = last;
  /* Always through a source of the worker's context, never here:
   * g_main_context_invoke() would run it in this thread when no one holds
   * the context at that moment. */
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, outcome_dispatch, outcome, outcome_free);
  g_source_attach (source, worker->context);
}

static void
hand_over (EntsecEventsWorker     *worker,
           GCancellable           *cancellable,
           EntsecEnterpriseEvents *events,
           GError                 *error,
           gboolean                last)
{
  hand_over_all (worker, cancellable, events, NULL, error, last);
}

/* ---- The thread ------------------------------------------------------------- */

/* Errors that another poll will not mend. */
static gboolean
is_final (const GError *error)
{
  if (error->domain != ENTSEC_NET_ERROR)
    return TRUE;
  switch (error->code)
    {
    case ENTSEC_NET_ERROR_NOT_ENROLLED:
    case ENTSEC_NET_ERROR_REVOKED:
    case ENTSEC_NET_ERROR_UNTRUSTED:
    case ENTSEC_NET_ERROR_PIN_MISMATCH:
    case ENTSEC_NET_ERROR_WRONG_HOST:
      return TRUE;
    default:
      return FALSE;
    }
}

/* The time of the heartbeat schedule, Unix seconds: the injected clock's or the real one. */
static gint64
schedule_now (EntsecEventsWorker *worker)
{
  gint64 now = worker->clock != NULL ? worker->clock (worker->clock_data) : 0;

  return now > 0 ? now : g_get_real_time () / G_USEC_PER_SEC;
}

/*
 * A heartbeat when one is due (at start, then every `sync.heartbeat`
 * seconds); *@next gets the time of the next. FALSE when the worker stops:
 * the rule locked the vault or wiped the enterprise data.
 */
static gboolean
heartbeat_if_due (EntsecEventsWorker *worker,
                  GCancellable       *cancellable,
                  gint64             *next)
{
  gint64 now = schedule_now (worker);
  EntsecEnterpriseHeartbeat *heartbeat;
  GError *error = NULL;
  gboolean last;

  /* Heartbeats send the registered claims, kept in the vault's data: due again once unlocked. */
  if (now < *next || !entsec_vault_is_unlocked (worker->vault))
    return TRUE;
  heartbeat = entsec_enterprise_heartbeat_sync (worker->vault, worker->device_root, 0,
                                                cancellable, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    {
      /* Enrolled before heartbeats: the polls go on without them. */
      g_info ("%s", error->message);
      g_error_free (error);
      *next = G_MAXINT64;
      return TRUE;
    }
  if (heartbeat == NULL)
    {
      last = is_final (error);
      *next = now + HEARTBEAT_RETRY_S;
      hand_over (worker, cancellable, NULL, error, last);
      return !last;
    }
  *next = now + heartbeat->interval;
  last = heartbeat->wiped || heartbeat->locked;
  hand_over_all (worker, cancellable, NULL, heartbeat, NULL, last);
  return !last;
}

/* Sleep @ms unless stopped first; FALSE when stopped. */
static gboolean
pause_for (EntsecEventsWorker *worker,
           GCancellable       *cancellable,
           guint               ms)
{
  gint64 until = g_get_monotonic_time () + (gint64) ms * G_TIME_SPAN_MILLISECOND;

  g_mutex_lock (&worker->lock);
  while (!g_cancellable_is_cancelled (cancellable)
         && g_cond_wait_until (&worker->wake, &worker->lock, until))
    ;
  g_mutex_unlock (&worker->lock);
  return !g_cancellable_is_cancelled (cancellable);
}

static void
worker_thread (GTask        *task,
               gpointer      source,
               gpointer      data,
               GCancellable *cancellable)
{
  EntsecEventsWorker *worker = source;
  guint failures = 0;
  gint64 next_heartbeat = 0;

  while (!g_cancellable_is_cancelled (cancellable))
    {
      GError *error = NULL;
      EntsecEnterpriseEvents *events;
      gboolean was_unlocked;
      gboolean last;

      if (!heartbeat_if_due (worker, cancellable, &next_heartbeat))
        break;
      was_unlocked = entsec_vault_is_unlocked (worker->vault);
      events = entsec_enterprise_events_poll_sync (worker->vault, -1, worker->wait, 0,
                                                   cancellable, &error);
      if (events != NULL)
        {
          failures = 0;
          /* A lock command stops a worker that had the vault unlocked; one that runs
           * with it locked (the device key in the keyring) goes on. */
          last = events->wiped || (events->locked && was_unlocked);
          hand_over (worker, cancellable, events, NULL, last);
          if (last)
            break;
          continue;
        }
      last = is_final (error);
      hand_over (worker, cancellable, NULL, error, last);
      if (last || !pause_for (worker, cancellable,
                              entsec_events_backoff_ms (++failures,
                                                        g_random_double_range (0.75, 1.25))))
        break;
    }
  /* GLib's pool keeps this thread alive for other tasks: OpenSSL's
   * per-thread random generators are freed now, or they outlive the task. */
  OPENSSL_thread_stop ();
  g_task_return_boolean (task, TRUE);
}

/* ---- The object ------------------------------------------------------------- */

EntsecEventsWorker *
entsec_events_worker_new (EntsecVault *vault,
                          guint        wait)
{
  EntsecEventsWorker *worker;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);
  g_return_val_if_fail (wait <= ENTSEC_EVENTS_MAX_WAIT, NULL);

  worker = g_object_new (ENTSEC_TYPE_EVENTS_WORKER, NULL);
  worker->vault = g_object_ref (vault);
  worker->wait = wait;
  return worker;
}

static void
thread_ended (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  EntsecEventsWorker *worker = ENTSEC_EVENTS_WORKER (source);

  worker->threads--;
}

void
entsec_events_worker_start (EntsecEventsWorker *worker)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (ENTSEC_IS_EVENTS_WORKER (worker));

  if (worker->cancellable != NULL)
    return;
  g_clear_pointer (&worker->context, g_main_context_unref);
  worker->context = g_main_context_ref_thread_default ();
  worker->cancellable = g_cancellable_new ();
  task = g_task_new (worker, worker->cancellable, thread_ended, NULL);
  worker->threads++;
  g_task_set_source_tag (task, entsec_events_worker_start);
  g_task_run_in_thread (task, worker_thread);
  g_object_notify_by_pspec (G_OBJECT (worker), properties[PROP_RUNNING]);
}

void
entsec_events_worker_stop (EntsecEventsWorker *worker)
{
  g_return_if_fail (ENTSEC_IS_EVENTS_WORKER (worker));

  if (worker->cancellable == NULL)
    return;
  g_mutex_lock (&worker->lock);
  g_cancellable_cancel (worker->cancellable);
  g_cond_broadcast (&worker->wake);
  g_mutex_unlock (&worker->lock);
  finish_stop (worker);
}

void
entsec_events_worker_set_device_root (EntsecEventsWorker *worker,
                                      const char         *root)
{
  g_return_if_fail (ENTSEC_IS_EVENTS_WORKER (worker));
  g_return_if_fail (worker->cancellable == NULL);
  g_free (worker->device_root);
  worker->device_root = g_strdup (root);
}

gint64
entsec_events_clock_from_file (gpointer user_data)
{
  g_autofree char *text = NULL;

  g_return_val_if_fail (user_data != NULL, 0);

  if (!g_file_get_contents (user_data, &text, NULL, NULL))
    return 0;
  return g_ascii_strtoll (text, NULL, 10);
}

void
entsec_events_worker_set_clock (EntsecEventsWorker *worker,
                                EntsecEventsClock   clock,
                                gpointer            user_data)
{
  g_return_if_fail (ENTSEC_IS_EVENTS_WORKER (worker));
  g_return_if_fail (worker->cancellable == NULL);
  worker->clock = clock;
  worker->clock_data = user_data;
}

gboolean
entsec_events_worker_get_running (EntsecEventsWorker *worker)
{
  g_return_val_if_fail (ENTSEC_IS_EVENTS_WORKER (worker), FALSE);

  return worker->cancellable != NULL;
}

gboolean
entsec_events_worker_is_idle (EntsecEventsWorker *worker)
{
  g_return_val_if_fail (ENTSEC_IS_EVENTS_WORKER (worker), TRUE);

  return worker->threads == 0;
}

static void
entsec_events_worker_get_property (GObject    *object,
                                   guint       prop_id,
                                   GValue     *value,
                                   GParamSpec *pspec)
{
  EntsecEventsWorker *worker = ENTSEC_EVENTS_WORKER (object);

  switch (prop_id)
    {
    case PROP_RUNNING:
      g_value_set_boolean (value, entsec_events_worker_get_running (worker));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
entsec_events_worker_dispose (GObject *object)
{
  EntsecEventsWorker *worker = ENTSEC_EVENTS_WORKER (object);

  /* The thread holds a reference while it runs: here it has ended. */
  g_clear_object (&worker->cancellable);
  g_clear_object (&worker->vault);
  g_clear_pointer (&worker->context, g_main_context_unref);
  G_OBJECT_CLASS (entsec_events_worker_parent_class)->dispose (object);
}

static void
entsec_events_worker_finalize (GObject *object)
{
  EntsecEventsWorker *worker = ENTSEC_EVENTS_WORKER (object);

  g_free (worker->device_root);
  g_mutex_clear (&worker->lock);
  g_cond_clear (&worker->wake);
  G_OBJECT_CLASS (entsec_events_worker_parent_class)->finalize (object);
}

static void
entsec_events_worker_class_init (EntsecEventsWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = entsec_events_worker_get_property;
  object_class->dispose = entsec_events_worker_dispose;
  object_class->finalize = entsec_events_worker_finalize;

  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_POLLED] = g_signal_new ("polled", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                         G_TYPE_ERROR | G_SIGNAL_TYPE_STATIC_SCOPE);
  signals[SIGNAL_HEARTBEAT] = g_signal_new ("heartbeat", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                            1, G_TYPE_POINTER);
  signals[SIGNAL_STOPPED] = g_signal_new ("stopped", G_TYPE_FROM_CLASS (klass),
                                          G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                          0);
}

static void
entsec_events_worker_init (EntsecEventsWorker *worker)
{
  g_mutex_init (&worker->lock);
  g_cond_init (&worker->wake);
}
