/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-storage-shared.c: the backend-independent half of what several
 * instances of the server share through one database: rate limit buckets
 * and the wake-ups of the events long-poll.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include "server-storage.h"

gboolean
entsec_storage_ratelimit_take (EntsecStorage *storage,
                               const char    *key,
                               guint          limit,
                               gint64         window,
                               gint64         now,
                               gboolean      *allowed,
                               gint64        *retry_after,
                               GError       **error)
{
  g_return_val_if_fail (storage != NULL && key != NULL && allowed != NULL, FALSE);
  g_return_val_if_fail (limit > 0 && window > 0 && retry_after != NULL, FALSE);

  *allowed = FALSE;
  return storage->ops->ratelimit_take (storage, key, limit, window, now, allowed, retry_after,
                                       error);
}

gboolean
entsec_storage_events_listen (EntsecStorage        *storage,
                              EntsecStorageWakeFunc wake,
                              gpointer              data,
                              GError              **error)
{
  g_return_val_if_fail (storage != NULL && wake != NULL, FALSE);

  if (storage->ops->events_listen == NULL)
    return TRUE;
  return storage->ops->events_listen (storage, wake, data, error);
}

gboolean
entsec_storage_is_shared (EntsecStorage *storage)
{
  g_return_val_if_fail (storage != NULL, FALSE);

  return storage->ops->events_listen != NULL;
}

void
entsec_storage_events_unlisten (EntsecStorage *storage)
{
  g_return_if_fail (storage != NULL);

  if (storage->ops->events_unlisten != NULL)
    storage->ops->events_unlisten (storage);
}
