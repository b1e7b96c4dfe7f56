/* SPDX-License-Identifier: GPL-3.0-or-later */
/* server-sender.c: the outbox sender (JSON lines in the data directory) */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "entsec-protocol.h"
#include "server-private.h"
#include "server-sender.h"

typedef struct
{
  EntsecSender parent;
  GMutex       lock;
  char        *path;
  gboolean     log_codes;
} OutboxSender;

static char *
outbox_line (const EntsecCodeMessage *m)
{
  g_autoptr (json_t) json = json_pack ("{s:I,s:s,s:s,s:s,s:s,s:I}",
                                       "time", (json_int_t) (g_get_real_time () / G_USEC_PER_SEC),
                                       "channel", m->channel, "to", m->address, "code", m->code,
                                       "enrollment_id", m->enrollment_id,
                                       "expires", (json_int_t) m->expires);
  g_autofree char *text = entsec_json_dump (json);

  return g_strconcat (text, "\n", NULL);
}

/* One write(2) a line with O_APPEND: lines never interleave. */
static gboolean
append_line (const char *path,
             const char *line,
             GError    **error)
{
  int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  gsize len = strlen (line);
  ssize_t written = -1;
  int saved_errno;

  if (fd >= 0)
    {
      do
        written = write (fd, line, len);
      while (written < 0 && errno == EINTR);
    }
  saved_errno = errno;
  if (fd >= 0 && close (fd) != 0 && written == (ssize_t) len)
    written = -1;
  if (written != (ssize_t) len)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_IO,
                   "Cannot write the outbox %s: %s", path, g_strerror (saved_errno));
      return FALSE;
    }
  return TRUE;
}

static gboolean
outbox_send (EntsecSender            *sender,
             const EntsecCodeMessage *message,
             GError                 **error)
{
  OutboxSender *self = (OutboxSender *) sender;
  g_autofree char *line = outbox_line (message);
  gboolean ok;

  g_mutex_lock (&self->lock);
  ok = append_line (self->path, line, error);
  g_mutex_unlock (&self->lock);
  OPENSSL_cleanse (line, strlen (line));
  if (ok && self->log_codes)
    g_message ("--dev: enrollment %s: code %s for %s", message->enrollment_id, message->code,
               message->channel);
  return ok;
}

static void
outbox_free (EntsecSender *sender)
{
  OutboxSender *self = (OutboxSender *) sender;

  g_mutex_clear (&self->lock);
  g_free (self->path);
  g_free (self);
}

EntsecSender *
entsec_sender_outbox_new (const char *path,
                          gboolean    log_codes)
{
  OutboxSender *self = g_new0 (OutboxSender, 1);

  self->parent.send = outbox_send;
  self->parent.free = outbox_free;
  g_mutex_init (&self->lock);
  self->path = g_strdup (path);
  self->log_codes = log_codes;
  return &self->parent;
}

gboolean
entsec_sender_send (EntsecSender            *sender,
                    const EntsecCodeMessage *message,
                    GError                 **error)
{
  return sender->send (sender, message, error);
}

void
entsec_sender_free (EntsecSender *sender)
{
  if (sender != NULL)
    sender->free (sender);
}
