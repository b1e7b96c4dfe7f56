/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-server-events-unit.c: the long-poll hub on its own: a notify wakes
 * the waiters of its device only, once each; a notify between the look and
 * the wait makes the wait refuse; the timer wakes a waiter whose deadline
 * has passed; shutdown wakes everyone and refuses new waiters; notify_all
 * (another instance's listener reconnected) wakes everyone and takes new
 * waiters.
 */

#include "config.h"

#include "server-events.h"

/* Bound on waiting for the timer thread (a failure, not a timing assertion). */
#define TIMER_BOUND (20 * G_USEC_PER_SEC)

typedef struct
{
  GMutex lock;
  GCond  woken;
  guint  suspended;
  guint  resumed;
} Waiter;

static void
on_suspend (gpointer data)
{
  Waiter *waiter = data;

  g_mutex_lock (&waiter->lock);
  waiter->suspended++;
  g_mutex_unlock (&waiter->lock);
}

static void
on_resume (gpointer data)
{
  Waiter *waiter = data;

  g_mutex_lock (&waiter->lock);
  waiter->resumed++;
  g_cond_broadcast (&waiter->woken);
  g_mutex_unlock (&waiter->lock);
}

static const EntsecEventWaiterFuncs funcs = { on_suspend, on_resume };

static guint
resumed (Waiter *waiter)
{
  guint count;

  g_mutex_lock (&waiter->lock);
  count = waiter->resumed;
  g_mutex_unlock (&waiter->lock);
  return count;
}

static gint64
far_deadline (void)
{
  return g_get_monotonic_time () + (gint64) 3600 * G_USEC_PER_SEC;
}

static void
test_notify_wakes_its_device (void)
{
  g_autoptr (EntsecEventHub) hub = entsec_event_hub_new ();
  Waiter a1 = { 0 }, a2 = { 0 }, b = { 0 };
  guint64 generation = entsec_event_hub_generation (hub);

  g_assert_true (entsec_event_hub_wait (hub, "dev_a", far_deadline (), generation, &funcs, &a1));
  g_assert_true (entsec_event_hub_wait (hub, "dev_a", far_deadline (), generation, &funcs, &a2));
  g_assert_true (entsec_event_hub_wait (hub, "dev_b", far_deadline (), generation, &funcs, &b));
  g_assert_cmpuint (a1.suspended + a2.suspended + b.suspended, ==, 3);
  g_assert_cmpuint (entsec_event_hub_count (hub), ==, 3);

  entsec_event_hub_notify (hub, "dev_a");
  g_assert_cmpuint (resumed (&a1), ==, 1);
  g_assert_cmpuint (resumed (&a2), ==, 1);
  g_assert_cmpuint (resumed (&b), ==, 0);
  g_assert_cmpuint (entsec_event_hub_count (hub), ==, 1);
  /* nobody left for dev_a: a second notify wakes nothing twice */
  entsec_event_hub_notify (hub, "dev_a");
  entsec_event_hub_notify (hub, "dev_c");
  g_assert_cmpuint (resumed (&a1), ==, 1);
  g_assert_cmpuint (resumed (&b), ==, 0);
  entsec_event_hub_shutdown (hub);
  g_assert_cmpuint (resumed (&b), ==, 1);
}

static void
test_notify_before_wait_refuses (void)
{
  g_autoptr (EntsecEventHub) hub = entsec_event_hub_new ();
  Waiter a = { 0 };
  guint64 generation = entsec_event_hub_generation (hub);

  entsec_event_hub_notify (hub, "dev_a");
  g_assert_false (entsec_event_hub_wait (hub, "dev_a", far_deadline (), generation, &funcs, &a));
  g_assert_cmpuint (a.suspended, ==, 0);
  g_assert_cmpuint (entsec_event_hub_count (hub), ==, 0);
  generation = entsec_event_hub_generation (hub);
  g_assert_true (entsec_event_hub_wait (hub, "dev_a", far_deadline (), generation, &funcs, &a));
}

static void
test_deadline_wakes (void)
{
  g_autoptr (EntsecEventHub) hub = entsec_event_hub_new ();
  Waiter late = { 0 }, due = { 0 };
  guint64 generation = entsec_event_hub_generation (hub);
  gint64 bound = g_get_monotonic_time () + TIMER_BOUND;

  g_assert_true (entsec_event_hub_wait (hub, "dev_a", far_deadline (), generation, &funcs,
                                        &late));
  /* a deadline already passed: the timer thread wakes it, the other stays */
  g_assert_true (entsec_event_hub_wait (hub, "dev_a", g_get_monotonic_time () - 1, generation,
                                        &funcs, &due));
  g_mutex_lock (&due.lock);
  while (due.resumed == 0 && g_cond_wait_until (&due.woken, &due.lock, bound))
    ;
  g_assert_cmpuint (due.resumed, ==, 1);
  g_mutex_unlock (&due.lock);
  g_assert_cmpuint (resumed (&late), ==, 0);
  g_assert_cmpuint (entsec_event_hub_count (hub), ==, 1);
}

static void
test_shutdown_wakes_all (void)
{
  g_autoptr (EntsecEventHub) hub = entsec_event_hub_new ();
  Waiter waiters[50] = { 0 };
  Waiter after = { 0 };
  guint64 generation = entsec_event_hub_generation (hub);

  for (guint i = 0; i < G_N_ELEMENTS (waiters); i++)
    {
      g_autofree char *device = g_strdup_printf ("dev_%u", i % 7);

      g_assert_true (entsec_event_hub_wait (hub, device, far_deadline () + i, generation,
                                            &funcs, &waiters[i]));
    }
  entsec_event_hub_shutdown (hub);
  for (guint i = 0; i < G_N_ELEMENTS (waiters); i++)
    g_assert_cmpuint (resumed (&waiters[i]), ==, 1);
  g_assert_cmpuint (entsec_event_hub_count (hub), ==, 0);
  g_assert_false (entsec_event_hub_wait (hub, "dev_a", far_deadline (), generation, &funcs,
                                         &after));
  g_assert_cmpuint (after.suspended, ==, 0);
}

static void
test_notify_all (void)
{
  g_autoptr (EntsecEventHub) hub = entsec_event_hub_new ();
  Waiter a = { 0 }, b1 = { 0 }, b2 = { 0 }, later = { 0 };
  guint64 generation = entsec_event_hub_generation (hub);

  g_assert_true (entsec_event_hub_wait (hub, "dev_a", far_deadline (), generation, &funcs, &a));
  g_assert_true (entsec_event_hub_wait (hub, "dev_b", far_deadline (), generation, &funcs, &b1));
  g_assert_true (entsec_event_hub_wait (hub, "dev_b", far_deadline (), generation, &funcs, &b2));
  entsec_event_hub_notify_all (hub);
  g_assert_cmpuint (resumed (&a) + resumed (&b1) + resumed (&b2), ==, 3);
  g_assert_cmpuint (entsec_event_hub_count (hub), ==, 0);
  /* a poll that looked before the wake-up looks again; one after it waits */
  g_assert_false (entsec_event_hub_wait (hub, "dev_a", far_deadline (), generation, &funcs,
                                         &later));
  generation = entsec_event_hub_generation (hub);
  g_assert_true (entsec_event_hub_wait (hub, "dev_a", far_deadline (), generation, &funcs,
                                        &later));
  g_assert_cmpuint (resumed (&later), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/server/events/notify-wakes-its-device", test_notify_wakes_its_device);
  g_test_add_func ("/server/events/notify-before-wait-refuses",
                   test_notify_before_wait_refuses);
  g_test_add_func ("/server/events/deadline-wakes", test_deadline_wakes);
  g_test_add_func ("/server/events/shutdown-wakes-all", test_shutdown_wakes_all);
  g_test_add_func ("/server/events/notify-all", test_notify_all);
  return g_test_run ();
}
