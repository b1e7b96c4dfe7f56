/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-storage-pg-listen.c: the wake-ups of the events long-poll across
 * instances. Storing a device event sends NOTIFY entsec_events with the
 * device id in the same transaction (server-storage-pg-devices.c), so it
 * is heard once the event is committed. Each instance holds one
 * connection of its own, outside the pool, that LISTENs on a thread of
 * its own (poll() on the socket, PQconsumeInput, PQnotifies) and hands
 * every device id to the hub. A lost connection is opened again with
 * backoff; once it listens again every waiter is woken to look at the
 * database from its cursor, so an event whose NOTIFY was missed is still
 * found: events are rows, the notification is only a hint.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include <glib-unix.h>

#include "server-storage-pg-private.h"

/* Backoff between attempts to listen again: from 1 s, doubling, to 30 s. */
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS   30000

struct _EntsecPgListener
{
  char                 *url; /* may hold a password: never in a message */
  char                 *where;
  EntsecStorageWakeFunc wake;
  gpointer              data;
  int                   stop[2]; /* a pipe: writing to it ends the thread */
  PGconn               *first;   /* listening, until the thread takes it */
  GThread              *thread;
};

/* Wait until @fd is readable, the listener is stopped or @timeout_ms
 * passed (-1: no bound). TRUE unless it was stopped. */
static gboolean
wait_readable (EntsecPgListener *self,
               int               fd,
               int               timeout_ms)
{
  struct pollfd fds[2] = { { self->stop[0], POLLIN, 0 }, { fd, POLLIN, 0 } };
  int n;

  do
    n = poll (fds, fd >= 0 ? 2 : 1, timeout_ms);
  while (n < 0 && errno == EINTR);
  return (fds[0].revents & POLLIN) == 0;
}

/* Hand every notification that arrived to the hub; FALSE when the
 * connection broke. */
static gboolean
drain (EntsecPgListener *self,
       PGconn           *pg)
{
  PGnotify *notify;

  if (!PQconsumeInput (pg))
    return FALSE;
  while ((notify = PQnotifies (pg)) != NULL)
    {
      if (notify->extra != NULL && notify->extra[0] != '\0')
        self->wake (notify->extra, self->data);
      PQfreemem (notify);
    }
  return TRUE;
}

/* Listen on @pg until it breaks (FALSE) or the listener is stopped (TRUE). */
static gboolean
listen_on (EntsecPgListener *self,
           PGconn           *pg)
{
  for (;;)
    {
      if (!wait_readable (self, PQsocket (pg), -1))
        return TRUE;
      if (!drain (self, pg))
        return FALSE;
    }
}

/* A new connection that listens; NULL with @error when it cannot. */
static PGconn *
connect_listening (EntsecPgListener *self,
                   GError          **error)
{
  PGconn *pg = entsec_pg_connect (self->url, error);
  PGresult *result;

  if (pg == NULL)
    return NULL;
  result = PQexec (pg, "LISTEN entsec_events");
  if (PQresultStatus (result) != PGRES_COMMAND_OK)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
                   "PostgreSQL at %s refused to LISTEN: %s", self->where,
                   PQresultErrorMessage (result));
      g_clear_pointer (&pg, PQfinish);
    }
  PQclear (result);
  return pg;
}

/* After a lost connection: a new one, with backoff; NULL once stopped. */
static PGconn *
reconnect (EntsecPgListener *self)
{
  int backoff = BACKOFF_FIRST_MS;

  g_message ("Lost the connection that listens for events of other instances (%s); "
             "opening it again", self->where);
  for (;;)
    {
      g_autoptr (GError) error = NULL;
      PGconn *pg;

      if (!wait_readable (self, -1, g_random_int_range (backoff / 2, backoff + 1)))
        return NULL;
      pg = connect_listening (self, &error);
      if (pg != NULL)
        {
          g_message ("Listening for events of other instances again (%s)", self->where);
          return pg;
        }
      g_debug ("Listening again failed: %s", error->message);
      backoff = MIN (backoff * 2, BACKOFF_MAX_MS);
    }
}

static gpointer
listener_main (gpointer data)
{
  EntsecPgListener *self = data;
  PGconn *pg = g_steal_pointer (&self->first);

  while (pg != NULL)
    {
      if (listen_on (self, pg))
        break;
      g_clear_pointer (&pg, PQfinish);
      pg = reconnect (self);
      /* what was stored while nobody listened: every poll looks again */
      if (pg != NULL)
        self->wake (NULL, self->data);
    }
  g_clear_pointer (&pg, PQfinish);
  return NULL;
}

EntsecPgListener *
entsec_pg_listener_new (const char           *url,
                        EntsecStorageWakeFunc wake,
                        gpointer              data,
                        GError              **error)
{
  EntsecPgListener *self = g_new0 (EntsecPgListener, 1);

  self->url = g_strdup (url);
  self->where = entsec_pg_describe (url);
  self->wake = wake;
  self->data = data;
  self->stop[0] = self->stop[1] = -1;
  /* the first LISTEN before the server answers anything: no poll can miss an event */
  self->first = connect_listening (self, error);
  if (self->first == NULL || !g_unix_open_pipe (self->stop, FD_CLOEXEC, error))
    {
      entsec_pg_listener_free (self);
      return NULL;
    }
  self->thread = g_thread_new ("entsec-listen", listener_main, self);
  return self;
}

void
entsec_pg_listener_free (EntsecPgListener *self)
{
  if (self == NULL)
    return;
  if (self->thread != NULL)
    {
      while (write (self->stop[1], "x", 1) < 0 && errno == EINTR)
        ;
      g_thread_join (self->thread);
    }
  g_clear_pointer (&self->first, PQfinish);
  if (self->stop[0] >= 0)
    {
      close (self->stop[0]);
      close (self->stop[1]);
    }
  g_free (self->url);
  g_free (self->where);
  g_free (self);
}
