/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-events.h: the hub of the events long-poll. Requests that found
 * nothing pending wait here, keyed by device id, without a thread each: a
 * new event for the device wakes them, one timer thread wakes them at their
 * deadline, shutting the hub down wakes everyone. No HTTP here: a waiter is
 * two callbacks (server-events-http.c suspends and resumes an MHD connection).
 */
#pragma once

#include <glib.h>

#include "server-storage.h"

G_BEGIN_DECLS

/* The longest and the default hold of a long-poll, in seconds. */
#define ENTSEC_EVENTS_WAIT_MAX     30
#define ENTSEC_EVENTS_WAIT_DEFAULT 25

typedef struct _EntsecEventHub EntsecEventHub;

/**
 * EntsecEventWaiterFuncs:
 * @suspend: called once, with the hub locked, just before the waiter is
 *   registered (the caller parks its request here)
 * @resume: called once, with the hub locked, when the waiter is woken (a
 *   new event, its deadline, shutdown); it must not call into the hub
 */
typedef struct
{
  void (*suspend) (gpointer data);
  void (*resume) (gpointer data);
} EntsecEventWaiterFuncs;

/* Returns: (transfer full): a hub with its timer thread running; free with
 * entsec_event_hub_free(). */
EntsecEventHub *entsec_event_hub_new (void);

/* Wake every waiter and refuse new ones (entsec_event_hub_wait() answers
 * FALSE from now on); stops the timer thread. */
void            entsec_event_hub_shutdown (EntsecEventHub *hub);

/* Shut down (when not done yet) and free. */
void            entsec_event_hub_free (EntsecEventHub *hub);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecEventHub, entsec_event_hub_free)

/* A counter that every entsec_event_hub_notify() raises. Read it before
 * looking for pending events and give it to entsec_event_hub_wait(), so
 * that an event recorded in between is not missed. */
guint64         entsec_event_hub_generation (EntsecEventHub *hub);

/*
 * Park a waiter for @device_id until @deadline (g_get_monotonic_time()
 * microseconds): calls @funcs->suspend (@data) and later @funcs->resume (@data)
 * exactly once. Returns FALSE without calling either when something was
 * notified since @generation was read, or the hub is shut down: the caller
 * looks again and answers at once.
 */
gboolean        entsec_event_hub_wait (EntsecEventHub               *hub,
                                       const char                   *device_id,
                                       gint64                        deadline,
                                       guint64                       generation,
                                       const EntsecEventWaiterFuncs *funcs,
                                       gpointer                      data);

/* Wake every waiter of @device_id (call after its event is stored). */
void            entsec_event_hub_notify (EntsecEventHub *hub,
                                         const char     *device_id);

/* Wake every waiter (they look again from their cursors). */
void            entsec_event_hub_notify_all (EntsecEventHub *hub);

/*
 * Wake the waiters of a device whenever any instance sharing @storage
 * stores an event for it, and every waiter when the storage may have
 * missed some (entsec_storage_events_listen()); a storage only this process
 * uses has nothing to tell. Stops at entsec_event_hub_shutdown(), which
 * must come before @storage is closed.
 */
gboolean        entsec_event_hub_listen (EntsecEventHub *hub,
                                         EntsecStorage  *storage,
                                         GError        **error);

/* How many waiters are parked (for tests and the log). */
guint           entsec_event_hub_count (EntsecEventHub *hub);

G_END_DECLS
