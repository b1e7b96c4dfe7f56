/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-lock-monitor.c: when the codes should lock: idle, suspend, screensaver */

#define G_LOG_DOMAIN "entsec-lock-monitor"

#include "config.h"

#include "entsec-lock-monitor.h"

struct _EntsecLockMonitor
{
  GObject          parent_instance;

  guint            timeout;
  gint64           last_activity;
  guint            timer_id;
  gboolean         running;
  gboolean         watching;
  EntsecLockClock  clock;
  gpointer         clock_data;
  GPtrArray       *subscriptions;  /* of Subscription */
};

/* A signal subscription and the bus it is on; freeing it unsubscribes. */
typedef struct
{
  GDBusConnection *bus;
  guint            id;
} Subscription;

static void
subscription_free (gpointer data)
{
  Subscription *subscription = data;

  g_dbus_connection_signal_unsubscribe (subscription->bus, subscription->id);
  g_object_unref (subscription->bus);
  g_free (subscription);
}

G_DEFINE_FINAL_TYPE (EntsecLockMonitor, entsec_lock_monitor, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_TIMEOUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_LOCK_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* The screensavers whose ActiveChanged (b) locks the codes. */
static const struct
{
  const char *interface;
  const char *path;
} screensavers[] = {
  { "org.freedesktop.ScreenSaver", "/org/freedesktop/ScreenSaver" },
  { "org.gnome.ScreenSaver", "/org/gnome/ScreenSaver" },
};

static gint64
now (EntsecLockMonitor *self)
{
  return self->clock != NULL ? self->clock (self->clock_data) : g_get_monotonic_time ();
}

static void
request_lock (EntsecLockMonitor *self)
{
  g_signal_emit (self, signals[SIGNAL_LOCK_REQUESTED], 0);
}

/* ---- Idle ----------------------------------------------------------------- */

static gboolean timer_fired (gpointer user_data);

static void
schedule (EntsecLockMonitor *self)
{
  gint64 left_us;

  g_clear_handle_id (&self->timer_id, g_source_remove);
  if (!self->running || self->timeout == 0)
    return;
  left_us = self->last_activity + (gint64) self->timeout * G_USEC_PER_SEC - now (self);
  /* Whole seconds, one late at most: the lock need not be exact. */
  self->timer_id = g_timeout_add_seconds ((guint) MAX (left_us / G_USEC_PER_SEC, 0) + 1,
                                          timer_fired, self);
}

gboolean
entsec_lock_monitor_check (EntsecLockMonitor *self)
{
  g_return_val_if_fail (ENTSEC_IS_LOCK_MONITOR (self), FALSE);

  if (self->timeout == 0
      || now (self) - self->last_activity < (gint64) self->timeout * G_USEC_PER_SEC)
    return FALSE;
  request_lock (self);
  return TRUE;
}

static gboolean
timer_fired (gpointer user_data)
{
  EntsecLockMonitor *self = ENTSEC_LOCK_MONITOR (user_data);

  self->timer_id = 0;
  /* Activity moved the deadline since the timer was set: wait for the new one. */
  if (!entsec_lock_monitor_check (self))
    schedule (self);
  return G_SOURCE_REMOVE;
}

void
entsec_lock_monitor_note_activity (EntsecLockMonitor *self)
{
  g_return_if_fail (ENTSEC_IS_LOCK_MONITOR (self));

  /* Cheap: called for every input event; the timer reschedules itself. */
  self->last_activity = now (self);
}

/* ---- D-Bus ---------------------------------------------------------------- */

static void
bus_signal (GDBusConnection *connection,
            const char      *sender,
            const char      *path,
            const char      *interface,
            const char      *signal,
            GVariant        *parameters,
            gpointer         user_data)
{
  EntsecLockMonitor *self = ENTSEC_LOCK_MONITOR (user_data);
  gboolean on = FALSE;

  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(b)")))
    return;
  g_variant_get (parameters, "(b)", &on);
  /* PrepareForSleep (true) before a suspend; ActiveChanged (true) when the
   * screensaver starts. */
  if (on)
    request_lock (self);
}

static void
subscribe (EntsecLockMonitor *self,
           GDBusConnection   *bus,
           const char        *interface,
           const char        *member,
           const char        *path)
{
  Subscription *subscription = g_new0 (Subscription, 1);

  subscription->bus = g_object_ref (bus);
  subscription->id = g_dbus_connection_signal_subscribe (bus, NULL, interface, member, path,
                                                         NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                         bus_signal, self, NULL);
  g_ptr_array_add (self->subscriptions, subscription);
}

/* A pending bus lookup does not keep the monitor alive: it holds a weak ref. */
typedef struct
{
  GWeakRef self;
  GBusType type;
} BusRequest;

/* Absent buses (a container, a test) are fine: that trigger is just unseen. */
static void
bus_ready (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  BusRequest *request = user_data;
  g_autoptr (EntsecLockMonitor) self = g_weak_ref_get (&request->self);
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) bus = g_bus_get_finish (result, &error);
  GBusType type = request->type;

  g_weak_ref_clear (&request->self);
  g_free (request);
  if (self == NULL)
    return;
  if (bus == NULL)
    g_debug ("No %s bus, so no lock on its signals: %s",
             type == G_BUS_TYPE_SYSTEM ? "system" : "session", error->message);
  else if (type == G_BUS_TYPE_SYSTEM)
    subscribe (self, bus, "org.freedesktop.login1.Manager", "PrepareForSleep",
               "/org/freedesktop/login1");
  else
    for (gsize i = 0; i < G_N_ELEMENTS (screensavers); i++)
      subscribe (self, bus, screensavers[i].interface, "ActiveChanged", screensavers[i].path);
}

static void
get_bus (EntsecLockMonitor *self,
         GBusType           type,
         GCancellable      *cancellable)
{
  BusRequest *request = g_new0 (BusRequest, 1);

  g_weak_ref_init (&request->self, self);
  request->type = type;
  g_bus_get (type, cancellable, bus_ready, request);
}

void
entsec_lock_monitor_start (EntsecLockMonitor *self,
                           GCancellable      *cancellable)
{
  g_return_if_fail (ENTSEC_IS_LOCK_MONITOR (self));

  if (!self->watching)
    {
      self->watching = TRUE;
      get_bus (self, G_BUS_TYPE_SESSION, cancellable);
      get_bus (self, G_BUS_TYPE_SYSTEM, cancellable);
    }
  self->running = TRUE;
  self->last_activity = now (self);
  schedule (self);
}

void
entsec_lock_monitor_pause (EntsecLockMonitor *self)
{
  g_return_if_fail (ENTSEC_IS_LOCK_MONITOR (self));

  self->running = FALSE;
  g_clear_handle_id (&self->timer_id, g_source_remove);
}

/* ---- Properties and life cycle ------------------------------------------------ */

void
entsec_lock_monitor_set_clock (EntsecLockMonitor *self,
                               EntsecLockClock    clock,
                               gpointer           user_data)
{
  g_return_if_fail (ENTSEC_IS_LOCK_MONITOR (self));

  self->clock = clock;
  self->clock_data = user_data;
  self->last_activity = now (self);
}

void
entsec_lock_monitor_set_timeout (EntsecLockMonitor *self,
                                 guint              seconds)
{
  g_return_if_fail (ENTSEC_IS_LOCK_MONITOR (self));

  if (self->timeout == seconds)
    return;
  self->timeout = seconds;
  schedule (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TIMEOUT]);
}

guint
entsec_lock_monitor_get_timeout (EntsecLockMonitor *self)
{
  g_return_val_if_fail (ENTSEC_IS_LOCK_MONITOR (self), 0);

  return self->timeout;
}

static void
entsec_lock_monitor_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  EntsecLockMonitor *self = ENTSEC_LOCK_MONITOR (object);

  if (prop_id == PROP_TIMEOUT)
    g_value_set_uint (value, self->timeout);
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
entsec_lock_monitor_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  EntsecLockMonitor *self = ENTSEC_LOCK_MONITOR (object);

  if (prop_id == PROP_TIMEOUT)
    entsec_lock_monitor_set_timeout (self, g_value_get_uint (value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
entsec_lock_monitor_dispose (GObject *object)
{
  EntsecLockMonitor *self = ENTSEC_LOCK_MONITOR (object);

  g_clear_handle_id (&self->timer_id, g_source_remove);
  if (self->subscriptions != NULL)
    g_ptr_array_set_size (self->subscriptions, 0);

  G_OBJECT_CLASS (entsec_lock_monitor_parent_class)->dispose (object);
}

static void
entsec_lock_monitor_finalize (GObject *object)
{
  EntsecLockMonitor *self = ENTSEC_LOCK_MONITOR (object);

  g_clear_pointer (&self->subscriptions, g_ptr_array_unref);

  G_OBJECT_CLASS (entsec_lock_monitor_parent_class)->finalize (object);
}

static void
entsec_lock_monitor_class_init (EntsecLockMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = entsec_lock_monitor_get_property;
  object_class->set_property = entsec_lock_monitor_set_property;
  object_class->dispose = entsec_lock_monitor_dispose;
  object_class->finalize = entsec_lock_monitor_finalize;

  properties[PROP_TIMEOUT] =
    g_param_spec_uint ("timeout", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Time to lock: idle, a suspend or the screensaver. */
  signals[SIGNAL_LOCK_REQUESTED] = g_signal_new ("lock-requested", G_TYPE_FROM_CLASS (klass),
                                                 G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                 G_TYPE_NONE, 0);
}

static void
entsec_lock_monitor_init (EntsecLockMonitor *self)
{
  self->subscriptions = g_ptr_array_new_with_free_func (subscription_free);
  self->last_activity = now (self);
}

EntsecLockMonitor *
entsec_lock_monitor_new (void)
{
  return g_object_new (ENTSEC_TYPE_LOCK_MONITOR, NULL);
}
