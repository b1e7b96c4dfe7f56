/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-app-lock.c: when the codes lock: the idle timer on an injected clock
 * (no sleeping) and the screensaver's D-Bus signal on the test session bus. */

#include "config.h"

#include <gio/gio.h>

#include "entsec-lock-monitor.h"

#define SECOND ((gint64) G_USEC_PER_SEC)

typedef struct
{
  EntsecLockMonitor *monitor;
  gint64             now;
  guint              locks;
} Fixture;

static gint64
fake_clock (gpointer user_data)
{
  Fixture *fixture = user_data;

  return fixture->now;
}

static void
lock_requested (EntsecLockMonitor *monitor,
                Fixture           *fixture)
{
  fixture->locks++;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->now = 1000 * SECOND;
  fixture->monitor = entsec_lock_monitor_new ();
  entsec_lock_monitor_set_clock (fixture->monitor, fake_clock, fixture);
  g_signal_connect (fixture->monitor, "lock-requested", G_CALLBACK (lock_requested), fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_assert_finalize_object (fixture->monitor);
}

/* Locks once the timeout has passed since the last input, not before. */
static void
test_idle_timeout (Fixture       *fixture,
                   gconstpointer  data)
{
  entsec_lock_monitor_set_timeout (fixture->monitor, 300);
  fixture->now += 299 * SECOND;
  g_assert_false (entsec_lock_monitor_check (fixture->monitor));
  g_assert_cmpuint (fixture->locks, ==, 0);
  fixture->now += SECOND;
  g_assert_true (entsec_lock_monitor_check (fixture->monitor));
  g_assert_cmpuint (fixture->locks, ==, 1);
}

/* Input moves the deadline. */
static void
test_idle_activity (Fixture       *fixture,
                    gconstpointer  data)
{
  entsec_lock_monitor_set_timeout (fixture->monitor, 60);
  fixture->now += 50 * SECOND;
  entsec_lock_monitor_note_activity (fixture->monitor);
  fixture->now += 50 * SECOND;
  g_assert_false (entsec_lock_monitor_check (fixture->monitor));
  fixture->now += 10 * SECOND;
  g_assert_true (entsec_lock_monitor_check (fixture->monitor));
  g_assert_cmpuint (fixture->locks, ==, 1);
}

/* 0: never on inactivity, whatever the time. */
static void
test_idle_never (Fixture       *fixture,
                 gconstpointer  data)
{
  entsec_lock_monitor_set_timeout (fixture->monitor, 0);
  fixture->now += 7 * 24 * 3600 * SECOND;
  g_assert_false (entsec_lock_monitor_check (fixture->monitor));
  g_assert_cmpuint (fixture->locks, ==, 0);
}

/* The timeout is a property (GSettings binds "lock-timeout" to it). */
static void
test_timeout_property (Fixture       *fixture,
                       gconstpointer  data)
{
  guint timeout = 0;

  g_object_set (fixture->monitor, "timeout", 42u, NULL);
  g_object_get (fixture->monitor, "timeout", &timeout, NULL);
  g_assert_cmpuint (timeout, ==, 42);
  g_assert_cmpuint (entsec_lock_monitor_get_timeout (fixture->monitor), ==, 42);
}

static gboolean
give_up (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

static void
emit_active_changed (GDBusConnection *bus,
                     gboolean         active)
{
  g_autoptr (GError) error = NULL;

  g_dbus_connection_emit_signal (bus, NULL, "/org/gnome/ScreenSaver", "org.gnome.ScreenSaver",
                                 "ActiveChanged", g_variant_new ("(b)", active), &error);
  g_assert_no_error (error);
  g_dbus_connection_flush_sync (bus, NULL, &error);
  g_assert_no_error (error);
}

/* The screensaver turning on locks; turning off does not. Waits for the
 * signal's delivery, not for time to pass. */
static void
test_screensaver (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  gboolean timed_out = FALSE;
  guint guard;

  g_assert_no_error (error);
  entsec_lock_monitor_set_timeout (fixture->monitor, 0);
  entsec_lock_monitor_start (fixture->monitor, NULL);
  /* The subscriptions are made once the buses are reached. */
  emit_active_changed (bus, FALSE);
  emit_active_changed (bus, TRUE);
  guard = g_timeout_add_seconds (20, give_up, &timed_out);
  while (fixture->locks == 0 && !timed_out)
    {
      g_main_context_iteration (NULL, TRUE);
      if (fixture->locks == 0)
        emit_active_changed (bus, TRUE);
    }
  g_assert_false (timed_out);
  g_source_remove (guard);
  g_assert_cmpuint (fixture->locks, >=, 1);
  entsec_lock_monitor_pause (fixture->monitor);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/app/lock/idle-timeout", Fixture, NULL, fixture_set_up, test_idle_timeout,
              fixture_tear_down);
  g_test_add ("/app/lock/idle-activity", Fixture, NULL, fixture_set_up, test_idle_activity,
              fixture_tear_down);
  g_test_add ("/app/lock/idle-never", Fixture, NULL, fixture_set_up, test_idle_never,
              fixture_tear_down);
  g_test_add ("/app/lock/timeout-property", Fixture, NULL, fixture_set_up,
              test_timeout_property, fixture_tear_down);
  g_test_add ("/app/lock/screensaver", Fixture, NULL, fixture_set_up, test_screensaver,
              fixture_tear_down);
  return g_test_run ();
}
