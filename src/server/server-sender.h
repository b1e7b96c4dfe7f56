/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-sender.h: how enrollment codes reach people. One implementation per
 * kind; today the "outbox" (a JSON-lines file in the data directory, for
 * trying the server and for tests). SMTP and SMS gateways come later.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * EntsecCodeMessage:
 * @channel: "email" or "sms"
 * @address: where to (normalised)
 * @code: the enrollment code (a secret: never logged outside --dev)
 * @enrollment_id: the enrollment it belongs to
 * @expires: Unix seconds
 */
typedef struct
{
  const char *channel;
  const char *address;
  const char *code;
  const char *enrollment_id;
  gint64      expires;
} EntsecCodeMessage;

typedef struct _EntsecSender EntsecSender;

struct _EntsecSender
{
  gboolean (*send) (EntsecSender *sender, const EntsecCodeMessage *message, GError **error);
  void     (*free) (EntsecSender *sender);
};

/*
 * Appends one JSON object a line to @path (created 0600):
 * {"time","channel","to","code","enrollment_id","expires"}. With @log_codes
 * (--dev only) the code also goes to the log.
 */
EntsecSender *entsec_sender_outbox_new (const char *path,
                                        gboolean    log_codes);

gboolean      entsec_sender_send (EntsecSender            *sender,
                                  const EntsecCodeMessage *message,
                                  GError                 **error);
void          entsec_sender_free (EntsecSender *sender);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecSender, entsec_sender_free)

G_END_DECLS
