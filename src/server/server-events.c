/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-events.c: the long-poll hub. Waiters sit in a table keyed by
 * device id (for notify) and in a sequence sorted by deadline (for the one
 * timer thread, which sleeps until the earliest deadline). Events other
 * instances store reach it through the storage's listener.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include "server-events.h"

typedef struct
{
  char                         *device_id;
  gint64                        deadline;
  guint64                       order;  /* ties of deadline: first come, first woken */
  const EntsecEventWaiterFuncs *funcs;
  gpointer                      data;
  GSequenceIter                *by_deadline;
} Waiter;

struct _EntsecEventHub
{
  GMutex         lock;
  GCond          changed;
  GHashTable    *by_device;   /* device id -> GQueue of Waiter */
  GSequence     *by_deadline; /* Waiter, earliest first */
  guint64        generation;
  guint64        next_order;
  guint          count;
  gboolean       shut_down;
  GThread       *timer;
  EntsecStorage *listening; /* (nullable): the storage whose events wake us */
};

static gint
compare_deadline (gconstpointer a,
                  gconstpointer b,
                  gpointer      user_data)
{
  const Waiter *x = a;
  const Waiter *y = b;

  if (x->deadline != y->deadline)
    return x->deadline < y->deadline ? -1 : 1;
  return x->order < y->order ? -1 : (x->order > y->order ? 1 : 0);
}

static void
queue_free (gpointer queue)
{
  g_queue_free (queue);
}

/* Take @waiter out of both indexes, resume it and free it. Hub locked. */
static void
wake (EntsecEventHub *hub,
      Waiter         *waiter)
{
  GQueue *queue = g_hash_table_lookup (hub->by_device, waiter->device_id);

  g_assert (queue != NULL);
  g_queue_remove (queue, waiter);
  if (g_queue_is_empty (queue))
    g_hash_table_remove (hub->by_device, waiter->device_id);
  g_sequence_remove (waiter->by_deadline);
  hub->count--;
  waiter->funcs->resume (waiter->data);
  g_free (waiter->device_id);
  g_free (waiter);
}

static gpointer
timer_main (gpointer data)
{
  EntsecEventHub *hub = data;

  g_mutex_lock (&hub->lock);
  while (!hub->shut_down)
    {
      GSequenceIter *first = g_sequence_get_begin_iter (hub->by_deadline);
      Waiter *waiter = g_sequence_iter_is_end (first) ? NULL : g_sequence_get (first);

      if (waiter == NULL)
        g_cond_wait (&hub->changed, &hub->lock);
      else if (waiter->deadline <= g_get_monotonic_time ())
        wake (hub, waiter);
      else
        g_cond_wait_until (&hub->changed, &hub->lock, waiter->deadline);
    }
  g_mutex_unlock (&hub->lock);
  return NULL;
}

EntsecEventHub *
entsec_event_hub_new (void)
{
  EntsecEventHub *hub = g_new0 (EntsecEventHub, 1);

  g_mutex_init (&hub->lock);
  g_cond_init (&hub->changed);
  hub->by_device = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, queue_free);
  hub->by_deadline = g_sequence_new (NULL);
  hub->timer = g_thread_new ("entsec-events", timer_main, hub);
  return hub;
}

void
entsec_event_hub_shutdown (EntsecEventHub *hub)
{
  g_return_if_fail (hub != NULL);

  /* before the lock: the listener's last wake-up may be waiting for it */
  if (hub->listening != NULL)
    entsec_storage_events_unlisten (g_steal_pointer (&hub->listening));
  g_mutex_lock (&hub->lock);
  hub->shut_down = TRUE;
  while (g_sequence_get_length (hub->by_deadline) > 0)
    wake (hub, g_sequence_get (g_sequence_get_begin_iter (hub->by_deadline)));
  g_cond_broadcast (&hub->changed);
  g_mutex_unlock (&hub->lock);
  g_clear_pointer (&hub->timer, g_thread_join);
}

void
entsec_event_hub_free (EntsecEventHub *hub)
{
  if (hub == NULL)
    return;
  entsec_event_hub_shutdown (hub);
  g_sequence_free (hub->by_deadline);
  g_hash_table_unref (hub->by_device);
  g_cond_clear (&hub->changed);
  g_mutex_clear (&hub->lock);
  g_free (hub);
}

guint64
entsec_event_hub_generation (EntsecEventHub *hub)
{
  guint64 generation;

  g_return_val_if_fail (hub != NULL, 0);

  g_mutex_lock (&hub->lock);
  generation = hub->generation;
  g_mutex_unlock (&hub->lock);
  return generation;
}

gboolean
entsec_event_hub_wait (EntsecEventHub               *hub,
                       const char                   *device_id,
                       gint64                        deadline,
                       guint64                       generation,
                       const EntsecEventWaiterFuncs *funcs,
                       gpointer                      data)
{
  Waiter *waiter;
  GQueue *queue;

  g_return_val_if_fail (hub != NULL && device_id != NULL && funcs != NULL, FALSE);

  g_mutex_lock (&hub->lock);
  if (hub->shut_down || hub->generation != generation)
    {
      g_mutex_unlock (&hub->lock);
      return FALSE;
    }
  waiter = g_new0 (Waiter, 1);
  waiter->device_id = g_strdup (device_id);
  waiter->deadline = deadline;
  waiter->order = hub->next_order++;
  waiter->funcs = funcs;
  waiter->data = data;
  funcs->suspend (data);
  queue = g_hash_table_lookup (hub->by_device, device_id);
  if (queue == NULL)
    {
      queue = g_queue_new ();
      g_hash_table_insert (hub->by_device, g_strdup (device_id), queue);
    }
  g_queue_push_tail (queue, waiter);
  waiter->by_deadline = g_sequence_insert_sorted (hub->by_deadline, waiter, compare_deadline,
                                                  NULL);
  hub->count++;
  if (g_sequence_iter_is_begin (waiter->by_deadline))
    g_cond_signal (&hub->changed);
  g_mutex_unlock (&hub->lock);
  return TRUE;
}

void
entsec_event_hub_notify (EntsecEventHub *hub,
                         const char     *device_id)
{
  GQueue *queue;

  g_return_if_fail (hub != NULL && device_id != NULL);

  g_mutex_lock (&hub->lock);
  hub->generation++;
  /* wake() drops the queue with its last waiter */
  queue = g_hash_table_lookup (hub->by_device, device_id);
  while (queue != NULL)
    {
      wake (hub, g_queue_peek_head (queue));
      queue = g_hash_table_lookup (hub->by_device, device_id);
    }
  g_mutex_unlock (&hub->lock);
}

void
entsec_event_hub_notify_all (EntsecEventHub *hub)
{
  g_return_if_fail (hub != NULL);

  g_mutex_lock (&hub->lock);
  hub->generation++;
  while (g_hash_table_size (hub->by_device) > 0)
    {
      GHashTableIter iter;
      gpointer queue;

      g_hash_table_iter_init (&iter, hub->by_device);
      g_hash_table_iter_next (&iter, NULL, &queue);
      wake (hub, g_queue_peek_head (queue));
    }
  g_mutex_unlock (&hub->lock);
}

static void
on_stored (const char *device_id,
           gpointer    data)
{
  if (device_id != NULL)
    entsec_event_hub_notify (data, device_id);
  else
    entsec_event_hub_notify_all (data);
}

gboolean
entsec_event_hub_listen (EntsecEventHub *hub,
                         EntsecStorage  *storage,
                         GError        **error)
{
  g_return_val_if_fail (hub != NULL && storage != NULL && hub->listening == NULL, FALSE);

  if (!entsec_storage_events_listen (storage, on_stored, hub, error))
    return FALSE;
  hub->listening = storage;
  return TRUE;
}

guint
entsec_event_hub_count (EntsecEventHub *hub)
{
  guint count;

  g_return_val_if_fail (hub != NULL, 0);

  g_mutex_lock (&hub->lock);
  count = hub->count;
  g_mutex_unlock (&hub->lock);
  return count;
}
