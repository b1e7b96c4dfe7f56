/* SPDX-License-Identifier: GPL-3.0-or-later */
/* server-storage-rotate.c: the backend-independent half of the key rotation storage calls */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include "server-storage.h"

void
entsec_authority_key_free (EntsecAuthorityKey *key)
{
  if (key == NULL)
    return;
  g_free (key->jkt);
  g_free (key->jwk);
  g_free (key->link);
  g_clear_pointer (&key->sealed_key, g_bytes_unref);
  g_free (key);
}

GPtrArray *
entsec_storage_authority_key_list (EntsecStorage *storage,
                                   GError       **error)
{
  return storage->ops->authority_key_list (storage, error);
}

gboolean
entsec_storage_authority_key_add (EntsecStorage            *storage,
                                  const EntsecAuthorityKey *key,
                                  GError                  **error)
{
  return storage->ops->authority_key_add (storage, key, error);
}

gboolean
entsec_storage_authority_key_seal (EntsecStorage *storage,
                                   guint          seq,
                                   GBytes        *sealed_key,
                                   GError       **error)
{
  return storage->ops->authority_key_seal (storage, seq, sealed_key, error);
}

gboolean
entsec_storage_authority_key_head (EntsecStorage *storage,
                                   guint         *seq,
                                   GError       **error)
{
  return storage->ops->authority_key_head (storage, seq, error);
}

gboolean
entsec_storage_device_rekey (EntsecStorage      *storage,
                             const EntsecDevice *device,
                             gboolean           *updated,
                             GError            **error)
{
  return storage->ops->device_rekey (storage, device, updated, error);
}
