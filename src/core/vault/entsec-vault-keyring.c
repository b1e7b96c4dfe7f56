/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-vault-keyring.c: the keyring slot's key-encryption key in the
 * Secret Service (libsecret). The item's label and attributes name the vault
 * and the slot, never a secret. Lookups never prompt and never unlock: a
 * locked keyring is reported as such, so the caller can ask for the
 * passphrase instead.
 */

#define G_LOG_DOMAIN "entsec-vault"

#include "config.h"

#include <libsecret/secret.h>

#include "entsec-vault-private.h"

static const SecretSchema vault_key_schema = {
  "org.entsec.EnterpriseSecurity.VaultKey",
  SECRET_SCHEMA_NONE,
  {
    { "vault", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "slot", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
  0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

static GHashTable *
item_attributes (const guint8 vault_id[VAULT_ID_SIZE],
                 const guint8 slot_uuid[KEYRING_SLOT_ID_SIZE])
{
  GHashTable *attributes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  /* Hashes, so the item names the vault without revealing anything else. */
  g_hash_table_insert (attributes, "vault",
                       g_compute_checksum_for_data (G_CHECKSUM_SHA256, vault_id, VAULT_ID_SIZE));
  g_hash_table_insert (attributes, "slot",
                       g_compute_checksum_for_data (G_CHECKSUM_SHA256, slot_uuid,
                                                    KEYRING_SLOT_ID_SIZE));
  return attributes;
}

static KeyringOutcome
read_item (SecretItem         *item,
           EntsecSecureBytes **kek)
{
  SecretValue *value;
  const gchar *data;
  gsize len = 0;

  if (secret_item_get_locked (item))
    return KEYRING_LOCKED;
  value = secret_item_get_secret (item);
  if (value == NULL)
    return KEYRING_LOCKED;
  data = secret_value_get (value, &len);
  *kek = entsec_secure_bytes_new_copy ((const guint8 *) data, len);
  secret_value_unref (value);
  return KEYRING_FOUND;
}

KeyringOutcome
vault_keyring_lookup (const guint8        vault_id[VAULT_ID_SIZE],
                      const guint8        slot_uuid[KEYRING_SLOT_ID_SIZE],
                      EntsecSecureBytes **kek,
                      GCancellable       *cancellable,
                      GError            **error)
{
  g_autoptr (GHashTable) attributes = item_attributes (vault_id, slot_uuid);
  g_autoptr (SecretService) service = NULL;
  g_autolist (SecretItem) items = NULL;

  service = secret_service_get_sync (SECRET_SERVICE_OPEN_SESSION, cancellable, error);
  if (service == NULL)
    return KEYRING_UNREACHABLE;
  /* No SECRET_SEARCH_UNLOCK: a locked item comes back without its secret. */
  items = secret_service_search_sync (service, &vault_key_schema, attributes,
                                      SECRET_SEARCH_ALL | SECRET_SEARCH_LOAD_SECRETS,
                                      cancellable, error);
  if (items == NULL)
    return (error != NULL && *error != NULL) ? KEYRING_UNREACHABLE : KEYRING_NOT_FOUND;
  for (GList *l = items; l != NULL; l = l->next)
    {
      if (read_item (l->data, kek) == KEYRING_FOUND)
        return KEYRING_FOUND;
    }
  return KEYRING_LOCKED;
}

gboolean
vault_keyring_store (const guint8  vault_id[VAULT_ID_SIZE],
                     const guint8  slot_uuid[KEYRING_SLOT_ID_SIZE],
                     const guint8 *kek,
                     gsize         kek_len,
                     GCancellable *cancellable,
                     GError      **error)
{
  g_autoptr (GHashTable) attributes = item_attributes (vault_id, slot_uuid);
  SecretValue *value = secret_value_new ((const gchar *) kek, (gssize) kek_len,
                                         "application/octet-stream");
  gboolean ok;

  ok = secret_password_storev_binary_sync (&vault_key_schema, attributes, SECRET_COLLECTION_DEFAULT,
                                           "Enterprise Security vault key", value,
                                           cancellable, error);
  secret_value_unref (value);
  return ok;
}

gboolean
vault_keyring_clear (const guint8  vault_id[VAULT_ID_SIZE],
                     const guint8  slot_uuid[KEYRING_SLOT_ID_SIZE],
                     GCancellable *cancellable,
                     GError      **error)
{
  g_autoptr (GHashTable) attributes = item_attributes (vault_id, slot_uuid);
  g_autoptr (GError) local_error = NULL;

  secret_password_clearv_sync (&vault_key_schema, attributes, cancellable, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}
