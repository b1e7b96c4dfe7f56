/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-device-locked.c: what the events worker needs while the vault is
 * locked (docs/privacy.md, "Where the device key lives"). A random device
 * KEK in the Secret Service seals the device key and the worker's state in
 * the vault's locked rows, apart from the data key: the worker can sign its
 * requests with the app locked, and nothing that needs the user (approving,
 * codes, export) is reachable that way.
 */

#include "config.h"

#define G_LOG_DOMAIN "entsec-session"

#include <string.h>

#include <libsecret/secret.h>

#include "entsec-crypto.h"
#include "entsec-device-session.h"
#include "entsec-enterprise-private.h"
#include "entsec-keyring-schema.h"

#define DEVICE_KEK_LABEL "Enterprise Security device key protection"
#define LOCKED_AAD_PREFIX "entsec/v1/locked-row|"

static GHashTable *
kek_attributes (EntsecVault *vault)
{
  GHashTable *attributes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  g_hash_table_insert (attributes, "vault", entsec_vault_dup_id (vault));
  return attributes;
}

SecretService *
entsec_enterprise_keyring_open (const char *purpose)
{
  g_autoptr (GError) error = NULL;
  SecretService *service = secret_service_open_sync (SECRET_TYPE_SERVICE, NULL,
                                                     SECRET_SERVICE_OPEN_SESSION, NULL, &error);

  if (service == NULL)
    g_debug ("No keyring for %s: %s", purpose, error->message);
  return service;
}

/*
 * The KEK of the first unlocked item, or NULL; never prompts, never unlocks.
 * *@outcome: FOUND, ITEM_LOCKED (an item exists, locked), NO_KEYRING (the
 * search failed) or ABSENT.
 */
static EntsecSecureBytes *
find_kek (SecretService    *service,
          GHashTable       *attributes,
          EntsecKekOutcome *outcome)
{
  g_autolist (SecretItem) items = NULL;
  g_autoptr (GError) error = NULL;

  items = secret_service_search_sync (service, &entsec_device_kek_schema, attributes,
                                      SECRET_SEARCH_ALL | SECRET_SEARCH_LOAD_SECRETS, NULL,
                                      &error);
  if (error != NULL)
    g_debug ("The keyring cannot be searched: %s", error->message);
  *outcome = error != NULL ? ENTSEC_KEK_NO_KEYRING
             : items != NULL ? ENTSEC_KEK_ITEM_LOCKED : ENTSEC_KEK_ABSENT;
  for (GList *l = items; l != NULL; l = l->next)
    {
      g_autoptr (SecretValue) value = NULL;
      const char *data;
      gsize len = 0;

      if (secret_item_get_locked (l->data))
        continue;
      value = secret_item_get_secret (l->data);
      data = value != NULL ? secret_value_get (value, &len) : NULL;
      if (data != NULL && len == ENTSEC_AEAD_KEY_SIZE)
        {
          *outcome = ENTSEC_KEK_FOUND;
          return entsec_secure_bytes_new_copy ((const guint8 *) data, len);
        }
    }
  return NULL;
}

gboolean
entsec_enterprise_keyring_default_open (SecretService *service)
{
  g_autoptr (SecretCollection) collection = NULL;

  collection = secret_collection_for_alias_sync (service, SECRET_COLLECTION_DEFAULT,
                                                 SECRET_COLLECTION_NONE, NULL, NULL);
  return collection != NULL && !secret_collection_get_locked (collection);
}

/*
 * A new random KEK stored in the default collection, or NULL when the
 * keyring is locked (never prompts: COLLECTION_LOCKED) or refuses it (REFUSED).
 */
static EntsecSecureBytes *
create_kek (SecretService    *service,
            GHashTable       *attributes,
            EntsecKekOutcome *outcome)
{
  EntsecSecureBytes *kek;
  g_autoptr (SecretValue) value = NULL;
  g_autoptr (GError) error = NULL;

  *outcome = ENTSEC_KEK_COLLECTION_LOCKED;
  if (!entsec_enterprise_keyring_default_open (service))
    return NULL;
  *outcome = ENTSEC_KEK_REFUSED;
  kek = entsec_secure_bytes_new (ENTSEC_AEAD_KEY_SIZE);

  if (!entsec_random_bytes (kek->data, kek->len, &error))
    {
      g_debug ("No device key protection: %s", error->message);
      entsec_secure_bytes_free (kek);
      return NULL;
    }
  value = secret_value_new ((const char *) kek->data, (gssize) kek->len,
                            "application/octet-stream");
  if (!secret_service_store_sync (service, &entsec_device_kek_schema, attributes,
                                  SECRET_COLLECTION_DEFAULT, DEVICE_KEK_LABEL, value, NULL,
                                  &error))
    {
      g_debug ("The keyring did not take the device key protection: %s", error->message);
      entsec_secure_bytes_free (kek);
      return NULL;
    }
  *outcome = ENTSEC_KEK_FOUND;
  return kek;
}

EntsecSecureBytes *
entsec_device_kek_get (EntsecVault      *vault,
                       gboolean          create,
                       EntsecKekOutcome *outcome)
{
  g_autoptr (GHashTable) attributes = kek_attributes (vault);
  g_autoptr (SecretService) service = entsec_enterprise_keyring_open ("the device key");
  EntsecKekOutcome found = ENTSEC_KEK_NO_KEYRING;
  EntsecSecureBytes *kek = NULL;

  if (service != NULL)
    kek = find_kek (service, attributes, &found);
  /* A locked item is not replaced: the rows sealed under it stay readable later. */
  if (kek == NULL && create && found == ENTSEC_KEK_ABSENT)
    kek = create_kek (service, attributes, &found);
  if (outcome != NULL)
    *outcome = found;
  return kek;
}

const char *
entsec_device_kek_problem (EntsecKekOutcome outcome)
{
  switch (outcome)
    {
    case ENTSEC_KEK_FOUND:
      return NULL;
    case ENTSEC_KEK_NO_KEYRING:
      return "no keyring (Secret Service) is reachable in this session";
    case ENTSEC_KEK_ITEM_LOCKED:
      return "the keyring holding this device's key protection is locked: unlock it (log in "
             "to the desktop session)";
    case ENTSEC_KEK_COLLECTION_LOCKED:
      return "the login keyring is locked, so no key protection was made (none is made "
             "without asking you): unlock the keyring, and the next unlock of the vault moves "
             "the key there";
    case ENTSEC_KEK_REFUSED:
      return "the keyring refused to store this device's key protection";
    case ENTSEC_KEK_ABSENT:
    default:
      return "the keyring holds no key protection for this vault";
    }
}

/* One way to remove it: the vault's wipe after too many wrong unlocks removes it too. */
void
entsec_device_kek_clear (EntsecVault *vault)
{
  entsec_vault_clear_device_kek (vault);
}

/* What a locked row's seal is bound to: the vault and the row's name. */
static char *
locked_aad (EntsecVault *vault,
            const char  *name)
{
  g_autofree char *id = entsec_vault_dup_id (vault);

  return g_strconcat (LOCKED_AAD_PREFIX, id, "|", name, NULL);
}

EntsecSecureBytes *
entsec_device_locked_read (EntsecVault             *vault,
                           const EntsecSecureBytes *kek,
                           const char              *name,
                           GCancellable            *cancellable,
                           GError                 **error)
{
  g_autoptr (GBytes) sealed = NULL;
  g_autofree char *aad = NULL;
  g_autoptr (GError) local = NULL;
  EntsecSecureBytes *plain;
  gsize len = 0;
  const guint8 *data;

  sealed = entsec_vault_get_locked_row_sync (vault, name, cancellable, &local);
  if (sealed == NULL)
    {
      if (local != NULL)
        g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  aad = locked_aad (vault, name);
  data = g_bytes_get_data (sealed, &len);
  plain = entsec_aead_open (kek->data, (const guint8 *) aad, strlen (aad), data, len, &local);
  if (plain == NULL)
    g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_NOT_ENROLLED,
                 "This device's sealed enterprise data (%s) cannot be opened with the key in "
                 "the keyring (%s): the vault file or the keyring was changed or restored "
                 "from another copy; enroll this device again",
                 name, local->message);
  return plain;
}

gboolean
entsec_device_locked_write (EntsecVault             *vault,
                            const EntsecSecureBytes *kek,
                            const char              *name,
                            const char              *text,
                            GCancellable            *cancellable,
                            GError                 **error)
{
  g_autoptr (GBytes) sealed = NULL;
  g_autofree char *aad = NULL;

  if (text == NULL)
    return entsec_vault_set_locked_row_sync (vault, name, NULL, cancellable, error);
  aad = locked_aad (vault, name);
  sealed = entsec_aead_seal (kek->data, (const guint8 *) aad, strlen (aad),
                             (const guint8 *) text, strlen (text), error);
  return sealed != NULL
         && entsec_vault_set_locked_row_sync (vault, name, sealed, cancellable, error);
}
