/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-log.c: one GLib structured log writer for the whole server, the
 * access log and request ids.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "server-log.h"

/* What the writer replaces in every message. */
#define EMAIL_PATTERN "[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)+"
#define PHONE_PATTERN "\\+[0-9]{8,15}\\b"

static GRegex  *email_regex;
static GRegex  *phone_regex;
static gboolean to_journal;
static gint     access_enabled;   /* atomic */
static guint32  id_prefix;
static gint     id_counter;       /* atomic */

char *
entsec_server_log_redact (const char *text)
{
  g_autofree char *no_email = NULL;

  g_return_val_if_fail (text != NULL, NULL);

  if (email_regex == NULL)
    return g_strdup (text);
  no_email = g_regex_replace_literal (email_regex, text, -1, 0, "[email]", 0, NULL);
  if (no_email == NULL)
    return g_strdup ("[a message that could not be checked for addresses]");
  return g_regex_replace_literal (phone_regex, no_email, -1, 0, "[phone]", 0, NULL);
}

static gboolean
is_access_entry (const GLogField *fields,
                 gsize            n_fields)
{
  for (gsize i = 0; i < n_fields; i++)
    {
      if (strcmp (fields[i].key, "ENTSEC_ROUTE") == 0)
        return TRUE;
    }
  return FALSE;
}

static GLogWriterOutput
write_fields (GLogLevelFlags   level,
              const GLogField *fields,
              gsize            n_fields)
{
  g_autofree char *line = NULL;

  if (to_journal && g_log_writer_journald (level, fields, n_fields, NULL) == G_LOG_WRITER_HANDLED)
    return G_LOG_WRITER_HANDLED;
  /* all of it to stderr: stdout carries the "listening on" line only */
  line = g_log_writer_format_fields (level, fields, n_fields, FALSE);
  fprintf (stderr, "%s\n", line);
  fflush (stderr);
  return G_LOG_WRITER_HANDLED;
}

/* Drops what GLib's default writer would (info and debug without
 * G_MESSAGES_DEBUG) except the access log, and redacts MESSAGE. */
static GLogWriterOutput
writer (GLogLevelFlags   level,
        const GLogField *fields,
        gsize            n_fields,
        gpointer         user_data)
{
  g_autofree GLogField *copy = NULL;
  g_autofree char *redacted = NULL;
  const char *domain = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (strcmp (fields[i].key, "GLIB_DOMAIN") == 0 && fields[i].length < 0)
        domain = fields[i].value;
    }
  if (!is_access_entry (fields, n_fields) && g_log_writer_default_would_drop (level, domain))
    return G_LOG_WRITER_HANDLED;
  copy = g_memdup2 (fields, n_fields * sizeof *fields);
  for (gsize i = 0; i < n_fields; i++)
    {
      if (strcmp (copy[i].key, "MESSAGE") != 0 || copy[i].length >= 0)
        continue;
      redacted = entsec_server_log_redact (copy[i].value);
      copy[i].value = redacted;
      break;
    }
  return write_fields (level, copy, n_fields);
}

void
entsec_server_log_init (void)
{
  static gsize done = 0;

  if (!g_once_init_enter (&done))
    return;
  email_regex = g_regex_new (EMAIL_PATTERN, 0, 0, NULL);
  phone_regex = g_regex_new (PHONE_PATTERN, 0, 0, NULL);
  g_assert (email_regex != NULL && phone_regex != NULL);
  to_journal = g_log_writer_is_journald (fileno (stderr));
  if (RAND_bytes ((unsigned char *) &id_prefix, sizeof id_prefix) != 1)
    g_error ("The system's random number generator failed");
  g_log_set_writer_func (writer, NULL, NULL);
  g_once_init_leave (&done, 1);
}

gboolean
entsec_server_log_to_journal (void)
{
  return to_journal;
}

void
entsec_server_log_set_access (const char *mode)
{
  gboolean on = g_strcmp0 (mode, "on") == 0 || (g_strcmp0 (mode, "auto") == 0 && to_journal);

  g_atomic_int_set (&access_enabled, on);
}

gboolean
entsec_server_log_access_enabled (void)
{
  return g_atomic_int_get (&access_enabled);
}

void
entsec_server_log_access (const char *method,
                          const char *route,
                          guint       status,
                          gint64      duration_us,
                          const char *request_id)
{
  char status_text[16], duration[G_ASCII_DTOSTR_BUF_SIZE];

  if (!entsec_server_log_access_enabled ())
    return;
  if (route == NULL)
    {
      method = "other";  /* never a method or path the client made up */
      route = "unmatched";
    }
  g_snprintf (status_text, sizeof status_text, "%u", status);
  g_ascii_formatd (duration, sizeof duration, "%.3f", (double) duration_us / 1000.0);
  g_log_structured (G_LOG_DOMAIN, G_LOG_LEVEL_INFO,
                    "ENTSEC_METHOD", method,
                    "ENTSEC_ROUTE", route,
                    "ENTSEC_STATUS", status_text,
                    "ENTSEC_DURATION_MS", duration,
                    "ENTSEC_REQUEST_ID", request_id,
                    "MESSAGE", "access: %s %s %s %s ms id=%s", method, route, status_text,
                    duration, request_id);
}

void
entsec_server_log_request_id (char id[ENTSEC_SERVER_REQUEST_ID_SIZE])
{
  guint n = (guint) g_atomic_int_add (&id_counter, 1);

  g_snprintf (id, ENTSEC_SERVER_REQUEST_ID_SIZE, "%08x-%08x", id_prefix, n);
}
