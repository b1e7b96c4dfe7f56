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

guint
entsec_sender_queued (EntsecSender *sender)
{
  return sender != NULL && sender->queued != NULL ? sender->queued (sender) : 0;
}

/* async: a copy of the message per job, the code wiped when it is done */

typedef struct
{
  EntsecSender parent;
  EntsecSender *inner;
  GThreadPool  *pool;
  guint         max_queued;
} AsyncSender;

typedef struct
{
  char  *channel;
  char  *address;
  char  *code;
  char  *enrollment_id;
  char  *language;
  gint64 expires;
  gint64 lifetime;
} Job;

static void
job_free (Job *job)
{
  g_free (job->channel);
  g_free (job->address);
  OPENSSL_cleanse (job->code, strlen (job->code));
  g_free (job->code);
  g_free (job->enrollment_id);
  g_free (job->language);
  g_free (job);
}

static void
async_run (gpointer data,
           gpointer user_data)
{
  Job *job = data;
  AsyncSender *self = user_data;
  EntsecCodeMessage message = { job->channel, job->address, job->code, job->enrollment_id,
                                job->expires, job->lifetime, job->language };
  g_autoptr (GError) error = NULL;

  if (!entsec_sender_send (self->inner, &message, &error))
    g_message ("Enrollment %s: the %s code was not delivered: %s", job->enrollment_id,
               job->channel, error->message);
  job_free (job);
}

static gboolean
async_send (EntsecSender            *sender,
            const EntsecCodeMessage *m,
            GError                 **error)
{
  AsyncSender *self = (AsyncSender *) sender;
  Job *job;

  if (g_thread_pool_unprocessed (self->pool) >= self->max_queued)
    {
      g_message ("Enrollment %s: %u codes wait for delivery already; this one is dropped",
                 m->enrollment_id, self->max_queued);
      return TRUE; /* the client is answered alike either way */
    }
  job = g_new0 (Job, 1);
  job->channel = g_strdup (m->channel);
  job->address = g_strdup (m->address);
  job->code = g_strdup (m->code);
  job->enrollment_id = g_strdup (m->enrollment_id);
  job->language = g_strdup (m->language);
  job->expires = m->expires;
  job->lifetime = m->lifetime;
  return g_thread_pool_push (self->pool, job, error);
}

static guint
async_queued (EntsecSender *sender)
{
  return g_thread_pool_unprocessed (((AsyncSender *) sender)->pool);
}

static void
async_free (EntsecSender *sender)
{
  AsyncSender *self = (AsyncSender *) sender;

  g_thread_pool_free (self->pool, FALSE, TRUE);
  entsec_sender_free (self->inner);
  g_free (self);
}

EntsecSender *
entsec_sender_async_new (EntsecSender *inner,
                         guint         threads,
                         guint         max_queued)
{
  AsyncSender *self = g_new0 (AsyncSender, 1);

  self->parent.send = async_send;
  self->parent.free = async_free;
  self->parent.queued = async_queued;
  self->inner = inner;
  self->max_queued = max_queued;
  /* exclusive threads: created now, so sending never fails for want of one */
  self->pool = g_thread_pool_new (async_run, self, (gint) threads, TRUE, NULL);
  g_assert (self->pool != NULL);
  return &self->parent;
}

/* channels */

typedef struct
{
  EntsecSender  parent;
  EntsecSender *email;
  EntsecSender *sms;
} ChannelSender;

static gboolean
channels_send (EntsecSender            *sender,
               const EntsecCodeMessage *message,
               GError                 **error)
{
  ChannelSender *self = (ChannelSender *) sender;

  return entsec_sender_send (strcmp (message->channel, "sms") == 0 ? self->sms : self->email,
                             message, error);
}

static guint
channels_queued (EntsecSender *sender)
{
  ChannelSender *self = (ChannelSender *) sender;

  return entsec_sender_queued (self->email) + entsec_sender_queued (self->sms);
}

static void
channels_free (EntsecSender *sender)
{
  ChannelSender *self = (ChannelSender *) sender;

  entsec_sender_free (self->email);
  entsec_sender_free (self->sms);
  g_free (self);
}

EntsecSender *
entsec_sender_channels_new (EntsecSender *email,
                            EntsecSender *sms)
{
  ChannelSender *self = g_new0 (ChannelSender, 1);

  self->parent.send = channels_send;
  self->parent.free = channels_free;
  self->parent.queued = channels_queued;
  self->email = email;
  self->sms = sms;
  return &self->parent;
}

#define ASYNC_THREADS 2
#define ASYNC_MAX_QUEUED 1000

EntsecSender *
entsec_sender_new_from_config (const EntsecServerConfig *config,
                               const char               *outbox,
                               GError                  **error)
{
  g_autoptr (EntsecSender) email = NULL;
  g_autoptr (EntsecSender) sms = NULL;

  if (strcmp (config->email_sender, "smtp") == 0)
    email = entsec_sender_smtp_new (config, error);
  else
    email = entsec_sender_outbox_new (outbox, config->dev);
  if (email == NULL)
    return NULL;
  if (strcmp (config->sms_sender, "sms-http") == 0)
    sms = entsec_sender_sms_http_new (config, error);
  else
    sms = entsec_sender_outbox_new (outbox, config->dev);
  if (sms == NULL)
    return NULL;
  if (strcmp (config->email_sender, "outbox") != 0)
    email = entsec_sender_async_new (g_steal_pointer (&email), ASYNC_THREADS, ASYNC_MAX_QUEUED);
  if (strcmp (config->sms_sender, "outbox") != 0)
    sms = entsec_sender_async_new (g_steal_pointer (&sms), ASYNC_THREADS, ASYNC_MAX_QUEUED);
  return entsec_sender_channels_new (g_steal_pointer (&email), g_steal_pointer (&sms));
}

/* templates and secrets */

static char *
fill_error (GError    **error,
            const char *origin,
            const char *what)
{
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG,
               "%s: %s (the placeholders are {to}, {code} and {minutes}; other braces "
               "are kept as they are)", origin, what);
  return NULL;
}

char *
entsec_sender_fill (const char        *template_text,
                    const char *const *names,
                    const char *const *values,
                    char *(*escape) (const char *value),
                    const char        *origin,
                    GError           **error)
{
  g_autoptr (GString) out = g_string_new (NULL);
  const char *p = template_text;

  while (*p != '\0')
    {
      const char *close;
      g_autofree char *name = NULL;
      guint i;

      close = p + 1;
      while (*p == '{' && g_ascii_isalpha (*close))
        close++;
      if (*p != '{' || *close != '}' || close == p + 1)
        {
          g_string_append_c (out, *p++); /* literal text, JSON braces included */
          continue;
        }
      name = g_strndup (p + 1, (gsize) (close - p - 1));
      for (i = 0; names[i] != NULL && strcmp (names[i], name) != 0; i++)
        ;
      if (names[i] == NULL)
        return fill_error (error, origin, "an unknown placeholder");
      if (escape != NULL)
        {
          g_autofree char *escaped = escape (values[i]);

          g_string_append (out, escaped);
          OPENSSL_cleanse (escaped, strlen (escaped));
        }
      else
        g_string_append (out, values[i]);
      p = close + 1;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
entsec_sender_read_secret (const char *path,
                           const char *key,
                           GError    **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;
  char *newline;
  char *secret;

  if (!g_file_get_contents (path, &text, &len, &local_error))
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG,
                   "%s: cannot read the file: %s", key, local_error->message);
      return NULL;
    }
  newline = strchr (text, '\n');
  if (newline != NULL)
    *newline = '\0';
  if (text[0] == '\0' || strlen (text) != strcspn (text, "\r\t ") || strlen (text) > 4096)
    {
      OPENSSL_cleanse (text, len);
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG,
                   "%s: the file's first line must hold the secret alone (no spaces)", key);
      return NULL;
    }
  secret = g_strdup (text);
  OPENSSL_cleanse (text, len);
  return secret;
}
