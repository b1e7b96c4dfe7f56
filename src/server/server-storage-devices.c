/* SPDX-License-Identifier: GPL-3.0-or-later */
/* server-storage-devices.c: the backend-independent half of the device storage calls */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include "server-storage.h"

void
entsec_device_free (EntsecDevice *device)
{
  if (device == NULL)
    return;
  g_free (device->id);
  g_free (device->user_id);
  g_free (device->key_jwk);
  g_free (device->key_jkt);
  g_free (device->claims);
  g_free (device);
}

void
entsec_device_command_free (EntsecDeviceCommand *command)
{
  if (command == NULL)
    return;
  g_free (command->id);
  g_free (command->device_id);
  g_free (command->type);
  g_free (command->actor);
  g_free (command->result);
  g_free (command);
}

void
entsec_device_event_free (EntsecDeviceEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->device_id);
  g_free (event->type);
  g_free (event->body);
  g_free (event);
}

static char *
text (const EntsecStorageRow *row,
      int                     column)
{
  return row->ops->text (row, column);
}

static gint64
integer (const EntsecStorageRow *row,
         int                     column)
{
  return row->ops->integer (row, column);
}

gpointer
entsec_storage_device_from_row (const EntsecStorageRow *row)
{
  EntsecDevice *d = g_new0 (EntsecDevice, 1);

  d->id = text (row, 0);
  d->user_id = text (row, 1);
  d->key_jwk = text (row, 2);
  d->key_jkt = text (row, 3);
  d->key_epoch = (guint) integer (row, 4);
  d->state = (EntsecDeviceState) integer (row, 5);
  d->claims = text (row, 6);
  d->created = integer (row, 7);
  d->last_seen = integer (row, 8);
  d->mismatches = (guint) integer (row, 9);
  d->policy_version = integer (row, 10);
  row->ops->digest (row, 11, d->policy_sha256);
  d->revision = integer (row, 12);
  return d;
}

gpointer
entsec_storage_device_event_from_row (const EntsecStorageRow *row)
{
  EntsecDeviceEvent *e = g_new0 (EntsecDeviceEvent, 1);

  e->seq = integer (row, 0);
  e->device_id = text (row, 1);
  e->type = text (row, 2);
  e->body = text (row, 3);
  e->created = integer (row, 4);
  return e;
}

gpointer
entsec_storage_device_command_from_row (const EntsecStorageRow *row)
{
  EntsecDeviceCommand *c = g_new0 (EntsecDeviceCommand, 1);

  c->id = text (row, 0);
  c->device_id = text (row, 1);
  c->type = text (row, 2);
  c->actor = text (row, 3);
  c->created = integer (row, 4);
  c->acked = integer (row, 5);
  c->result = text (row, 6);
  return c;
}

gboolean
entsec_storage_nonce_remember (EntsecStorage *storage,
                               const char    *keyid,
                               const char    *nonce,
                               gint64         now,
                               gint64         keep_until,
                               gboolean      *fresh,
                               GError       **error)
{
  return storage->ops->nonce_remember (storage, keyid, nonce, now, keep_until, fresh, error);
}

gboolean
entsec_storage_device_register (EntsecStorage *storage,
                                EntsecDevice  *device,
                                const guint8  *token_sha256,
                                const guint8  *challenge_sha256,
                                gint64         now,
                                guint          max_devices,
                                GError       **error)
{
  g_return_val_if_fail (device != NULL && device->id != NULL, FALSE);
  return storage->ops->device_register (storage, device, token_sha256, challenge_sha256, now,
                                        max_devices, error);
}

EntsecDevice *
entsec_storage_device_get (EntsecStorage *storage,
                           const char    *id,
                           GError       **error)
{
  return storage->ops->device_get (storage, id, error);
}

GPtrArray *
entsec_storage_device_list (EntsecStorage *storage,
                            const char    *user_id,
                            const char    *after,
                            guint          limit,
                            GError       **error)
{
  return storage->ops->device_list (storage, user_id, after, limit, error);
}

gboolean
entsec_storage_device_update (EntsecStorage      *storage,
                              const EntsecDevice *device,
                              gboolean           *updated,
                              GError            **error)
{
  return storage->ops->device_update (storage, device, updated, error);
}

gboolean
entsec_storage_policy_get (EntsecStorage *storage,
                           const char    *scope,
                           char         **settings,
                           GError       **error)
{
  return storage->ops->policy_get (storage, scope, settings, error);
}

gboolean
entsec_storage_policy_set (EntsecStorage *storage,
                           const char    *scope,
                           const char    *settings,
                           gint64         now,
                           GError       **error)
{
  return storage->ops->policy_set (storage, scope, settings, now, error);
}

gboolean
entsec_storage_op_challenge_add (EntsecStorage *storage,
                                 const guint8  *nonce_sha256,
                                 const char    *device_id,
                                 const char    *op,
                                 gint64         expires,
                                 GError       **error)
{
  return storage->ops->op_challenge_add (storage, nonce_sha256, device_id, op, expires, error);
}

gboolean
entsec_storage_op_challenge_use (EntsecStorage *storage,
                                 const guint8  *nonce_sha256,
                                 const char    *device_id,
                                 const char    *op,
                                 gint64         now,
                                 gboolean      *found,
                                 GError       **error)
{
  return storage->ops->op_challenge_use (storage, nonce_sha256, device_id, op, now, found,
                                         error);
}

gboolean
entsec_storage_device_event_add (EntsecStorage *storage,
                                 const char    *device_id,
                                 const char    *type,
                                 const char    *body,
                                 gint64         now,
                                 GError       **error)
{
  return storage->ops->device_event_add (storage, device_id, type, body, now, error);
}

gboolean
entsec_storage_command_add (EntsecStorage             *storage,
                            const EntsecDeviceCommand *command,
                            const char                *event_body,
                            GError                   **error)
{
  return storage->ops->command_add (storage, command, event_body, error);
}

gboolean
entsec_storage_command_ack (EntsecStorage    *storage,
                            const char       *device_id,
                            const char       *command_id,
                            const char       *result,
                            gint64            now,
                            EntsecCommandAck *outcome,
                            GError          **error)
{
  return storage->ops->command_ack (storage, device_id, command_id, result, now, outcome, error);
}

GPtrArray *
entsec_storage_command_list (EntsecStorage *storage,
                             const char    *device_id,
                             GError       **error)
{
  return storage->ops->command_list (storage, device_id, error);
}

GPtrArray *
entsec_storage_device_event_list (EntsecStorage *storage,
                                  const char    *device_id,
                                  gint64         after,
                                  guint          limit,
                                  GError       **error)
{
  return storage->ops->device_event_list (storage, device_id, after, limit, error);
}

gboolean
entsec_storage_push_delivery_add (EntsecStorage *storage,
                                  const char    *push_id,
                                  const char    *device_id,
                                  const char    *nonce,
                                  const guint8  *push_sha256,
                                  gint64         expires,
                                  GError       **error)
{
  return storage->ops->push_delivery_add (storage, push_id, device_id, nonce, push_sha256,
                                          expires, error);
}

gboolean
entsec_storage_push_delivery_get (EntsecStorage *storage,
                                  const char    *push_id,
                                  const char    *device_id,
                                  char         **nonce,
                                  guint8        *push_sha256,
                                  gboolean      *found,
                                  GError       **error)
{
  return storage->ops->push_delivery_get (storage, push_id, device_id, nonce, push_sha256,
                                          found, error);
}

gboolean
entsec_storage_token_delivery_claim (EntsecStorage *storage,
                                     const char    *token_id,
                                     const char    *device_id,
                                     gint64         now,
                                     gboolean      *claimed,
                                     GError       **error)
{
  return storage->ops->token_delivery_claim (storage, token_id, device_id, now, claimed, error);
}

gboolean
entsec_storage_token_delivery_get (EntsecStorage *storage,
                                   const char    *token_id,
                                   char         **device_id,
                                   GError       **error)
{
  return storage->ops->token_delivery_get (storage, token_id, device_id, error);
}

gboolean
entsec_storage_device_events_prune (EntsecStorage *storage,
                                    const char    *device_id,
                                    gint64         through,
                                    gint64         before,
                                    GError       **error)
{
  return storage->ops->device_events_prune (storage, device_id, through, before, error);
}

gboolean
entsec_storage_device_events_stats (EntsecStorage *storage,
                                    gint64        *count,
                                    gint64        *oldest,
                                    GError       **error)
{
  return storage->ops->device_events_stats (storage, count, oldest, error);
}

gboolean
entsec_storage_enrollment_token_user (EntsecStorage *storage,
                                      const guint8  *token_sha256,
                                      char         **user_id,
                                      GError       **error)
{
  return storage->ops->enrollment_token_user (storage, token_sha256, user_id, error);
}
