/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-log.h: entsec-server's log. Every GLib log call goes through one
 * structured writer: to the journal with fields when stderr is the journal
 * (JOURNAL_STREAM), else to stderr as text. Email addresses and phone
 * numbers in a message are replaced by "[email]" and "[phone]" on the way
 * out, whoever wrote the message (a relay's error text may quote one).
 * Codes, tokens and keys are never given to the log in the first place.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Install the writer (once, early in main). */
void      entsec_server_log_init (void);

/* TRUE when stderr is the journal's stream. */
gboolean  entsec_server_log_to_journal (void);

/* Turn the access log on or off ("on", "off", or "auto": on when stderr is
 * the journal). */
void      entsec_server_log_set_access (const char *mode);

/* TRUE when entsec_server_log_access() writes anything. */
gboolean  entsec_server_log_access_enabled (void);

/*
 * One answered request as a structured entry: MESSAGE, PRIORITY (info),
 * ENTSEC_METHOD, ENTSEC_ROUTE (the route's pattern, never the path with
 * its ids), ENTSEC_STATUS, ENTSEC_DURATION_MS and ENTSEC_REQUEST_ID.
 * @route: (nullable): NULL when no route matched.
 */
void      entsec_server_log_access (const char *method,
                                    const char *route,
                                    guint       status,
                                    gint64      duration_us,
                                    const char *request_id);

/* @text with email addresses and phone numbers replaced (what the writer
 * does to every message). Returns: (transfer full): free with g_free(). */
char     *entsec_server_log_redact (const char *text);

#define ENTSEC_SERVER_REQUEST_ID_SIZE 24

/* A new request id into @id: this process's random prefix and a counter
 * ("3f9c01a2-0000002a"; the same prefix for the whole run). */
void      entsec_server_log_request_id (char id[ENTSEC_SERVER_REQUEST_ID_SIZE]);

G_END_DECLS
