/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-events-http.c: GET /v1/devices/{id}/events?wait=&cursor=, the
 * long-poll. Pending events are answered at once; otherwise the MHD
 * connection is suspended in the hub (server-events.h) until an event for
 * the device, the deadline or shutdown resumes it, and then answered.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <microhttpd.h>

#include "server-auth.h"
#include "server-handlers.h"

/* Events in one answer; "more" tells the client to ask again at once. */
#define EVENTS_PER_ANSWER 100

typedef struct
{
  char  *device_id;
  gint64 cursor;
} Poll;

static void
poll_free (gpointer data)
{
  Poll *poll = data;

  g_free (poll->device_id);
  g_free (poll);
}

static void
suspend_connection (gpointer data)
{
  MHD_suspend_connection (data);
}

static void
resume_connection (gpointer data)
{
  MHD_resume_connection (data);
}

static const EntsecEventWaiterFuncs waiter_funcs = { suspend_connection, resume_connection };

/* One event as the device sees it: {seq, type, created, data}. */
static json_t *
event_to_json (const EntsecDeviceEvent *event)
{
  json_t *data = json_loads (event->body, 0, NULL);

  if (data == NULL)
    data = json_object ();  /* stored by us as JSON: cannot happen */
  return json_pack ("{s:I,s:s,s:I,s:o}", "seq", (json_int_t) event->seq, "type", event->type,
                    "created", (json_int_t) event->created, "data", data);
}

/*
 * Answer the events of @device_id after @cursor when there are some (or
 * always, with @even_none). Returns FALSE when nothing was answered.
 */
static gboolean
answer_events (EntsecServer   *server,
               const char     *device_id,
               gint64          cursor,
               gboolean        even_none,
               EntsecResponse *response)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) events = entsec_storage_device_event_list (
    entsec_server_get_storage (server), device_id, cursor, EVENTS_PER_ANSWER + 1, &error);
  json_t *list;
  guint shown;

  if (events == NULL)
    {
      entsec_device_problem (response, error);
      return TRUE;
    }
  if (events->len == 0 && !even_none)
    return FALSE;
  list = json_array ();
  shown = MIN (events->len, EVENTS_PER_ANSWER);
  for (guint i = 0; i < shown; i++)
    {
      EntsecDeviceEvent *event = g_ptr_array_index (events, i);

      json_array_append_new (list, event_to_json (event));
      cursor = event->seq;
    }
  entsec_response_json (response, 200,
                        json_pack ("{s:i,s:o,s:I,s:b}", "v", 1, "events", list,
                                   "cursor", (json_int_t) cursor,
                                   "more", events->len > EVENTS_PER_ANSWER));
  return TRUE;
}

/* After the hub resumed the connection: whatever is there now, maybe nothing. */
static void
resume_poll (EntsecServer   *server,
             EntsecRequest  *request,
             EntsecResponse *response)
{
  Poll *poll = request->resume_data;

  answer_events (server, poll->device_id, poll->cursor, TRUE, response);
}

/* A query parameter as a number in [0, @max], @fallback when absent. */
static gboolean
query_number (EntsecRequest  *request,
              const char     *name,
              guint64         max,
              guint64         fallback,
              guint64        *value,
              EntsecResponse *response)
{
  const char *text = entsec_request_query (request, name);
  g_autofree char *detail = NULL;

  *value = fallback;
  if (text == NULL
      || g_ascii_string_to_unsigned (text, 10, 0, max, value, NULL))
    return TRUE;
  detail = g_strdup_printf ("The query parameter \"%s\" must be a whole number from 0 to %"
                            G_GUINT64_FORMAT, name, max);
  entsec_response_problem (response, ENTSEC_PROBLEM_INVALID_REQUEST, detail);
  return FALSE;
}

/* Park the request in the hub until @wait seconds have passed; FALSE when the
 * hub refused (something was notified meanwhile, or shutdown). */
static gboolean
park (EntsecServer   *server,
      EntsecRequest  *request,
      const char     *device_id,
      gint64          cursor,
      guint64         wait,
      guint64         generation,
      EntsecResponse *response)
{
  Poll *poll = g_new0 (Poll, 1);
  gint64 deadline = g_get_monotonic_time () + (gint64) wait * G_USEC_PER_SEC;

  poll->device_id = g_strdup (device_id);
  poll->cursor = cursor;
  request->resume = resume_poll;
  request->resume_data = poll;
  request->resume_data_free = poll_free;
  if (entsec_event_hub_wait (entsec_server_get_event_hub (server), device_id, deadline,
                             generation, &waiter_funcs, request->connection))
    {
      entsec_response_suspend (response);
      return TRUE;
    }
  request->resume = NULL;
  return FALSE;
}

/* The cursor says the device handled the events up to it: they go. */
static gboolean
acknowledge (EntsecServer   *server,
             const char     *device_id,
             gint64          cursor,
             EntsecResponse *response)
{
  g_autoptr (GError) error = NULL;

  if (cursor == 0
      || entsec_storage_device_events_prune (entsec_server_get_storage (server), device_id,
                                             cursor,
                                             entsec_server_now () - ENTSEC_STORAGE_EVENT_KEEP,
                                             &error))
    return TRUE;
  entsec_device_problem (response, error);
  return FALSE;
}

void
entsec_handle_device_events (EntsecServer      *server,
                             EntsecRequest     *request,
                             const char *const *params,
                             EntsecResponse    *response)
{
  g_autoptr (EntsecDevice) device = NULL;
  EntsecEventHub *hub = entsec_server_get_event_hub (server);
  guint64 wait, cursor, generation;

  /* a poll only reads (the cursor acknowledges what the device already has):
   * its nonce stays in this instance's memory (docs/protocol.md section 2.4) */
  device = entsec_server_authenticate_poll (server, request, params[0], response);
  if (device == NULL
      || !query_number (request, "wait", ENTSEC_EVENTS_WAIT_MAX, ENTSEC_EVENTS_WAIT_DEFAULT,
                        &wait, response)
      || !query_number (request, "cursor", G_MAXINT64, 0, &cursor, response))
    return;
  if (!acknowledge (server, device->id, (gint64) cursor, response))
    return;
  /* read before looking, so that an event stored after the look wakes us */
  generation = entsec_event_hub_generation (hub);
  if (answer_events (server, device->id, (gint64) cursor, wait == 0, response))
    return;
  if (!park (server, request, device->id, (gint64) cursor, wait, generation, response))
    answer_events (server, device->id, (gint64) cursor, TRUE, response);
}

void
entsec_handle_admin_status (EntsecServer      *server,
                            EntsecRequest     *request,
                            const char *const *params,
                            EntsecResponse    *response)
{
  guint waiting = entsec_event_hub_count (entsec_server_get_event_hub (server));
  g_autoptr (GError) error = NULL;
  gint64 stored = 0, oldest = 0;

  if (!entsec_storage_device_events_stats (entsec_server_get_storage (server), &stored, &oldest,
                                           &error))
    {
      entsec_response_storage_failed (response, error);
      return;
    }
  entsec_response_json (response, 200,
                        json_pack ("{s:i,s:{s:I},s:{s:I,s:o,s:I}}", "v", 1,
                                   "long_polls", "waiting", (json_int_t) waiting,
                                   "events", "stored", (json_int_t) stored,
                                   "oldest", stored > 0 ? json_integer (oldest) : json_null (),
                                   "keep", (json_int_t) ENTSEC_STORAGE_EVENT_KEEP));
}
