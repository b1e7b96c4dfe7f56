/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-sender.h: how enrollment codes reach people. One implementation per
 * kind: the "outbox" (a JSON-lines file in the data directory, for trying
 * the server and for tests), "smtp" (server-sender-smtp.c) and "sms-http"
 * (server-sender-sms.c). The network senders run behind
 * entsec_sender_async_new(), so a request never waits for a relay.
 */
#pragma once

#include <glib.h>

#include "server-config.h"

G_BEGIN_DECLS

/**
 * EntsecCodeMessage:
 * @channel: "email" or "sms"
 * @address: where to (normalised)
 * @code: the enrollment code (a secret: never logged outside --dev)
 * @enrollment_id: the enrollment it belongs to
 * @expires: Unix seconds
 * @lifetime: seconds the code is valid (for the text: "valid for N minutes")
 * @language: (nullable): the person's language ("de", "zh-CN"), for the text
 */
typedef struct
{
  const char *channel;
  const char *address;
  const char *code;
  const char *enrollment_id;
  gint64      expires;
  gint64      lifetime;
  const char *language;
} EntsecCodeMessage;

typedef struct _EntsecSender EntsecSender;

struct _EntsecSender
{
  gboolean (*send) (EntsecSender *sender, const EntsecCodeMessage *message, GError **error);
  void     (*free) (EntsecSender *sender);
  guint    (*queued) (EntsecSender *sender); /* (nullable): none wait */
};

/*
 * Appends one JSON object a line to @path (created 0600):
 * {"time","channel","to","code","enrollment_id","expires"}. With @log_codes
 * (--dev only) the code also goes to the log.
 */
EntsecSender *entsec_sender_outbox_new (const char *path,
                                        gboolean    log_codes);

/*
 * smtp: one message a code through @config's relay (smtp_url, smtp_from,
 * optional AUTH with smtp_password_file), TLS required and verified, the
 * text from the language's template. NULL with %ENTSEC_SERVER_ERROR_CONFIG
 * when a setting is missing or a file cannot be read.
 */
EntsecSender *entsec_sender_smtp_new (const EntsecServerConfig *config,
                                      GError                  **error);

/*
 * The message an smtp sender sends, headers and body with CRLF line ends
 * (for tests). @now is Unix seconds. Returns: (transfer full): wipe, g_free().
 */
char         *entsec_sender_smtp_message (EntsecSender            *sender,
                                          const EntsecCodeMessage *message,
                                          gint64                   now);

/*
 * sms-http: one POST a code to @config's sms_url with sms_body filled in
 * (values escaped for sms_content_type) and an optional bearer token.
 */
EntsecSender *entsec_sender_sms_http_new (const EntsecServerConfig *config,
                                          GError                  **error);

/* The body an sms-http sender posts (for tests). (transfer full): wipe, g_free(). */
char         *entsec_sender_sms_http_body (EntsecSender            *sender,
                                           const EntsecCodeMessage *message);

/*
 * Sends through @inner (taken) on @threads worker threads; send() copies the
 * message, queues it and returns at once. Beyond @max_queued waiting
 * messages it drops the new one with a log line. Freeing waits for the
 * queued ones (each bounded by the sender's timeout).
 */
EntsecSender *entsec_sender_async_new (EntsecSender *inner,
                                       guint         threads,
                                       guint         max_queued);

/* "email" messages to @email, "sms" ones to @sms (both taken). */
EntsecSender *entsec_sender_channels_new (EntsecSender *email,
                                          EntsecSender *sms);

/* The senders @config names (email_sender, sms_sender), the outbox at @outbox. */
EntsecSender *entsec_sender_new_from_config (const EntsecServerConfig *config,
                                             const char               *outbox,
                                             GError                  **error);

/*
 * "{name}" in @template replaced by the value of @names[i] in @values[i],
 * each through @escape (NULL: as is). A placeholder is "{" letters "}";
 * other braces (JSON) stay as they are. An unknown placeholder is an
 * %ENTSEC_SERVER_ERROR_CONFIG error naming @origin.
 */
char         *entsec_sender_fill (const char        *template_text,
                                  const char *const *names,
                                  const char *const *values,
                                  char *(*escape) (const char *value),
                                  const char        *origin,
                                  GError           **error);

/* The first line of the file at @path (a password or token). Wipe, g_free(). */
char         *entsec_sender_read_secret (const char *path,
                                         const char *key,
                                         GError    **error);

/* curl_global_init() once, before any thread uses libcurl. */
void          entsec_sender_curl_init (void);

gboolean      entsec_sender_send (EntsecSender            *sender,
                                  const EntsecCodeMessage *message,
                                  GError                 **error);
void          entsec_sender_free (EntsecSender *sender);
/* Messages waiting for a sender thread (the metrics' queue depth). */
guint         entsec_sender_queued (EntsecSender *sender);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecSender, entsec_sender_free)

G_END_DECLS
