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

#include <string.h>

#include <libsecret/secret.h>

#include "entsec-core-private.h"
#include "entsec-keyring-schema.h"
#include "entsec-vault-private.h"

/*
 * libsecret calls of this process run one at a time: the generation updates
 * run in a background thread, and libsecret's shared service object is not
 * safe to set up from two threads at once. No vault lock is involved.
 */
static GMutex keyring_mutex;

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

/*
 * A PIN slot's item: the random secret its key needs besides the PIN, and
 * the count of wrong PINs (entsec-vault-pin.c). Named like a key item.
 */
static const SecretSchema pin_schema = {
  "org.entsec.EnterpriseSecurity.VaultPin",
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

static KeyringOutcome
keyring_lookup (const SecretSchema *schema,
                const guint8        vault_id[VAULT_ID_SIZE],
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
  items = secret_service_search_sync (service, schema, attributes,
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

static gboolean
keyring_store (const SecretSchema *schema,
               const char         *label,
               const guint8        vault_id[VAULT_ID_SIZE],
               const guint8        slot_uuid[KEYRING_SLOT_ID_SIZE],
               const guint8       *kek,
               gsize               kek_len,
               GCancellable       *cancellable,
               GError            **error)
{
  g_autoptr (GHashTable) attributes = item_attributes (vault_id, slot_uuid);
  SecretValue *value = secret_value_new ((const gchar *) kek, (gssize) kek_len,
                                         "application/octet-stream");
  g_autoptr (GError) local = NULL;
  gboolean ok;

  ok = secret_password_storev_binary_sync (schema, attributes, SECRET_COLLECTION_DEFAULT, label,
                                           value, cancellable, &local);
  secret_value_unref (value);
  if (ok)
    return TRUE;
  /* libsecret 0.20.5 fails without an error when the default collection is
   * locked and stays locked (it logs a critical from its own task). */
  if (local == NULL)
    g_set_error_literal (&local, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_KEYRING,
                         "The keyring did not store the key: it is locked; unlock it (log in "
                         "to the desktop session) and try again");
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

static gboolean
keyring_clear (const SecretSchema *schema,
               const guint8        vault_id[VAULT_ID_SIZE],
               const guint8        slot_uuid[KEYRING_SLOT_ID_SIZE],
               GCancellable       *cancellable,
               GError            **error)
{
  g_autoptr (GHashTable) attributes = item_attributes (vault_id, slot_uuid);
  g_autoptr (GError) local_error = NULL;

  secret_password_clearv_sync (schema, attributes, cancellable, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

/* ---- The vault's generation (whole-file rollback) ------------------------- */

/*
 * A second item per vault holds the index generation last committed (8
 * bytes, big-endian), so a whole file put back from an old copy is noticed
 * at a keyring unlock. Not secret, but kept as the item's secret so nothing
 * about the vault is in its label or attributes.
 */
static const SecretSchema generation_schema = {
  "org.entsec.EnterpriseSecurity.VaultGeneration",
  SECRET_SCHEMA_NONE,
  {
    { "vault", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
  0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

static GHashTable *
vault_attributes (const guint8 vault_id[VAULT_ID_SIZE])
{
  GHashTable *attributes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  g_hash_table_insert (attributes, "vault",
                       g_compute_checksum_for_data (G_CHECKSUM_SHA256, vault_id, VAULT_ID_SIZE));
  return attributes;
}

/* The first unlocked item of @schema for the vault (its secret loaded), or NULL. */
static SecretItem *
find_unlocked (const SecretSchema *schema,
               const guint8        vault_id[VAULT_ID_SIZE],
               KeyringOutcome     *outcome)
{
  g_autoptr (GHashTable) attributes = vault_attributes (vault_id);
  g_autoptr (SecretService) service = NULL;
  g_autolist (SecretItem) items = NULL;

  *outcome = KEYRING_UNREACHABLE;
  service = secret_service_get_sync (SECRET_SERVICE_OPEN_SESSION, NULL, NULL);
  if (service == NULL)
    return NULL;
  /* No SECRET_SEARCH_UNLOCK: never prompts; a locked item comes back without its secret. */
  items = secret_service_search_sync (service, schema, attributes,
                                      SECRET_SEARCH_ALL | SECRET_SEARCH_LOAD_SECRETS, NULL, NULL);
  *outcome = items == NULL ? KEYRING_NOT_FOUND : KEYRING_LOCKED;
  for (GList *l = items; l != NULL; l = l->next)
    {
      SecretValue *value = secret_item_get_locked (l->data) ? NULL
                                                            : secret_item_get_secret (l->data);

      if (value != NULL)
        {
          secret_value_unref (value);
          *outcome = KEYRING_FOUND;
          return g_object_ref (l->data);
        }
    }
  return NULL;
}

static guint64
item_generation (SecretItem *item)
{
  SecretValue *value = secret_item_get_secret (item);
  const guint8 *data;
  gsize len = 0;
  guint64 generation = 0;

  data = (const guint8 *) secret_value_get (value, &len);
  for (gsize i = 0; len == 8 && i < len; i++)
    generation = (generation << 8) | data[i];
  secret_value_unref (value);
  return generation;
}

static KeyringOutcome
keyring_get_generation (const guint8 vault_id[VAULT_ID_SIZE],
                              guint64     *generation)
{
  KeyringOutcome outcome;
  g_autoptr (SecretItem) item = find_unlocked (&generation_schema, vault_id, &outcome);

  if (item != NULL)
    *generation = item_generation (item);
  return outcome;
}

static void
keyring_put_generation (const guint8 vault_id[VAULT_ID_SIZE],
                              guint64      generation,
                              gboolean     lower_too)
{
  KeyringOutcome outcome;
  g_autoptr (SecretItem) item = find_unlocked (&generation_schema, vault_id, &outcome);
  g_autoptr (SecretItem) key_item = NULL;
  g_autoptr (GHashTable) attributes = vault_attributes (vault_id);
  guint8 bytes[8];
  SecretValue *value;

  for (guint i = 0; i < 8; i++)
    bytes[i] = (guint8) (generation >> (8 * (7 - i)));
  value = secret_value_new ((const gchar *) bytes, sizeof bytes, "application/octet-stream");
  if (item != NULL && (lower_too || item_generation (item) < generation))
    secret_item_set_secret_sync (item, value, NULL, NULL);
  /* Created only while the vault's key (or PIN) item is there and unlocked: never a prompt. */
  if (outcome == KEYRING_NOT_FOUND)
    key_item = find_unlocked (&vault_key_schema, vault_id, &outcome);
  if (outcome == KEYRING_NOT_FOUND)
    key_item = find_unlocked (&pin_schema, vault_id, &outcome);
  if (key_item != NULL)
    secret_password_storev_binary_sync (&generation_schema, attributes,
                                        SECRET_COLLECTION_DEFAULT,
                                        "Enterprise Security vault generation", value, NULL, NULL);
  secret_value_unref (value);
}

/*
 * Updates run in one background thread, in the order they were asked for, so
 * a commit never waits for the Secret Service and no vault lock is held
 * during the call. vault_keyring_flush() waits for them (closing a vault).
 */
typedef struct
{
  guint8   vault_id[VAULT_ID_SIZE];
  guint64  generation;
  gboolean lower_too;
} GenerationJob;

static GThreadPool *generation_pool;
static GMutex generation_mutex;
static GCond generation_cond;
static guint generation_pending;

static void
run_generation_job (gpointer data,
                    gpointer user_data)
{
  GenerationJob *job = data;

  vault_keyring_put_generation (job->vault_id, job->generation, job->lower_too);
  g_free (job);
  g_mutex_lock (&generation_mutex);
  generation_pending--;
  g_cond_broadcast (&generation_cond);
  g_mutex_unlock (&generation_mutex);
}

void
vault_keyring_note_generation (const guint8 vault_id[VAULT_ID_SIZE],
                               guint64      generation,
                               gboolean     lower_too)
{
  static gsize initialised = 0;
  GenerationJob *job = g_new0 (GenerationJob, 1);

  if (g_once_init_enter (&initialised))
    {
      generation_pool = g_thread_pool_new (run_generation_job, NULL, 1, FALSE, NULL);
      g_once_init_leave (&initialised, 1);
    }
  memcpy (job->vault_id, vault_id, VAULT_ID_SIZE);
  job->generation = generation;
  job->lower_too = lower_too;
  g_mutex_lock (&generation_mutex);
  generation_pending++;
  g_mutex_unlock (&generation_mutex);
  g_thread_pool_push (generation_pool, job, NULL);
}

void
vault_keyring_flush (void)
{
  g_mutex_lock (&generation_mutex);
  while (generation_pending > 0)
    g_cond_wait (&generation_cond, &generation_mutex);
  g_mutex_unlock (&generation_mutex);
}

const SecretSchema entsec_device_kek_schema = {
  "org.entsec.EnterpriseSecurity.DeviceKey",
  SECRET_SCHEMA_NONE,
  {
    { "vault", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
  0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

const SecretSchema entsec_policy_version_schema = {
  "org.entsec.EnterpriseSecurity.PolicyVersion",
  SECRET_SCHEMA_NONE,
  {
    { "device", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "vault", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
  0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

/* ---- Entry points, one libsecret call at a time ---------------------------- */

/* Remove @vault's items of @schema (its attribute "vault"); @what names them in the log. */
static void
clear_vault_items (EntsecVault        *vault,
                   const SecretSchema *schema,
                   const char         *what)
{
  g_autoptr (GMutexLocker) locker = NULL;
  g_autoptr (GHashTable) attributes = vault_attributes (vault->vault_id);
  g_autoptr (GError) error = NULL;

  locker = g_mutex_locker_new (&keyring_mutex);
  if (!secret_password_clearv_sync (schema, attributes, NULL, &error) && error != NULL)
    g_debug ("The keyring did not remove the %s: %s", what, error->message);
}

void
entsec_vault_clear_policy_version (EntsecVault *vault)
{
  clear_vault_items (vault, &entsec_policy_version_schema, "policy version");
}

void
entsec_vault_clear_device_kek (EntsecVault *vault)
{
  clear_vault_items (vault, &entsec_device_kek_schema, "device key protection");
}

KeyringOutcome
vault_keyring_lookup (const guint8        vault_id[VAULT_ID_SIZE],
                      const guint8        slot_uuid[KEYRING_SLOT_ID_SIZE],
                      EntsecSecureBytes **kek,
                      GCancellable       *cancellable,
                      GError            **error)
{
  g_autoptr (GMutexLocker) locker = NULL;

  locker = g_mutex_locker_new (&keyring_mutex);
  return keyring_lookup (&vault_key_schema, vault_id, slot_uuid, kek, cancellable, error);
}

gboolean
vault_keyring_store (const guint8  vault_id[VAULT_ID_SIZE],
                     const guint8  slot_uuid[KEYRING_SLOT_ID_SIZE],
                     const guint8 *kek,
                     gsize         kek_len,
                     GCancellable *cancellable,
                     GError      **error)
{
  g_autoptr (GMutexLocker) locker = NULL;

  locker = g_mutex_locker_new (&keyring_mutex);
  return keyring_store (&vault_key_schema, "Enterprise Security vault key", vault_id, slot_uuid,
                        kek, kek_len, cancellable, error);
}

gboolean
vault_keyring_clear (const guint8  vault_id[VAULT_ID_SIZE],
                     const guint8  slot_uuid[KEYRING_SLOT_ID_SIZE],
                     GCancellable *cancellable,
                     GError      **error)
{
  g_autoptr (GMutexLocker) locker = NULL;

  locker = g_mutex_locker_new (&keyring_mutex);
  return keyring_clear (&vault_key_schema, vault_id, slot_uuid, cancellable, error);
}

/* Items of every entsec schema (vault key, PIN, generation, device key) carry this prefix. */
#define ENTSEC_SCHEMA_PREFIX "org.entsec.EnterpriseSecurity."

/* Delete every entsec item whose "vault" attribute is @vault_hash; a locked one fails. */
static gboolean
keyring_clear_vault (const char   *vault_hash,
                     gboolean      required,
                     GCancellable *cancellable,
                     GError      **error)
{
  g_autoptr (GHashTable) attributes = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (SecretService) service = NULL;
  g_autolist (SecretItem) items = NULL;
  g_autoptr (GError) local = NULL;

  service = secret_service_get_sync (SECRET_SERVICE_OPEN_SESSION, cancellable, &local);
  if (service == NULL && !required)
    {
      g_debug ("No keyring to clean up: %s", local->message);
      return TRUE;
    }
  g_hash_table_insert (attributes, "vault", (gpointer) vault_hash);
  /* No schema: the items of all our schemas at once (filtered by name below). */
  if (service != NULL)
    items = secret_service_search_sync (service, NULL, attributes, SECRET_SEARCH_ALL,
                                        cancellable, &local);
  for (GList *l = items; l != NULL && local == NULL; l = l->next)
    {
      g_autofree char *schema = secret_item_get_schema_name (l->data);

      if (schema == NULL || !g_str_has_prefix (schema, ENTSEC_SCHEMA_PREFIX))
        continue;
      if (secret_item_get_locked (l->data))
        g_set_error_literal (&local, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_KEYRING,
                             "the keyring is locked: unlock it (log in to the desktop session)");
      else
        secret_item_delete_sync (l->data, cancellable, &local);
    }
  if (local == NULL)
    return TRUE;
  g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_KEYRING,
               "The vault's keys in the keyring could not be removed (%s)", local->message);
  return FALSE;
}

gboolean
vault_keyring_clear_vault (const char   *vault_hash,
                           gboolean      required,
                           GCancellable *cancellable,
                           GError      **error)
{
  g_autoptr (GMutexLocker) locker = NULL;

  /* Queued generation updates first, so none recreates an item afterwards. */
  vault_keyring_flush ();
  locker = g_mutex_locker_new (&keyring_mutex);
  return keyring_clear_vault (vault_hash, required, cancellable, error);
}

KeyringOutcome
vault_keyring_get_generation (const guint8 vault_id[VAULT_ID_SIZE],
                              guint64     *generation)
{
  g_autoptr (GMutexLocker) locker = NULL;

  locker = g_mutex_locker_new (&keyring_mutex);
  return keyring_get_generation (vault_id, generation);
}

void
vault_keyring_put_generation (const guint8 vault_id[VAULT_ID_SIZE],
                              guint64      generation,
                              gboolean     lower_too)
{
  g_autoptr (GMutexLocker) locker = NULL;

  locker = g_mutex_locker_new (&keyring_mutex);
  keyring_put_generation (vault_id, generation, lower_too);
}

KeyringOutcome
vault_keyring_pin_lookup (const guint8        vault_id[VAULT_ID_SIZE],
                          const guint8        slot_uuid[KEYRING_SLOT_ID_SIZE],
                          EntsecSecureBytes **item,
                          GCancellable       *cancellable,
                          GError            **error)
{
  g_autoptr (GMutexLocker) locker = NULL;

  locker = g_mutex_locker_new (&keyring_mutex);
  return keyring_lookup (&pin_schema, vault_id, slot_uuid, item, cancellable, error);
}

gboolean
vault_keyring_pin_store (const guint8  vault_id[VAULT_ID_SIZE],
                         const guint8  slot_uuid[KEYRING_SLOT_ID_SIZE],
                         const guint8 *item,
                         gsize         item_len,
                         GCancellable *cancellable,
                         GError      **error)
{
  g_autoptr (GMutexLocker) locker = NULL;

  locker = g_mutex_locker_new (&keyring_mutex);
  return keyring_store (&pin_schema, "Enterprise Security quick unlock PIN key", vault_id,
                        slot_uuid, item, item_len, cancellable, error);
}

/* Replace the secret of the unlocked item named by @attributes (no new item, no prompt). */
static gboolean
keyring_update (const SecretSchema *schema,
                GHashTable         *attributes,
                const guint8       *data,
                gsize               len,
                GCancellable       *cancellable,
                GError            **error)
{
  g_autoptr (SecretService) service = NULL;
  g_autolist (SecretItem) items = NULL;
  SecretValue *value;
  gboolean ok;

  service = secret_service_get_sync (SECRET_SERVICE_OPEN_SESSION, cancellable, error);
  if (service == NULL)
    return FALSE;
  items = secret_service_search_sync (service, schema, attributes, SECRET_SEARCH_ALL, cancellable,
                                      error);
  if (items == NULL || secret_item_get_locked (items->data))
    {
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                             "the item is gone or locked");
      return FALSE;
    }
  value = secret_value_new ((const gchar *) data, (gssize) len, "application/octet-stream");
  ok = secret_item_set_secret_sync (items->data, value, cancellable, error);
  secret_value_unref (value);
  return ok;
}

gboolean
vault_keyring_pin_update (const guint8  vault_id[VAULT_ID_SIZE],
                          const guint8  slot_uuid[KEYRING_SLOT_ID_SIZE],
                          const guint8 *item,
                          gsize         item_len,
                          GCancellable *cancellable,
                          GError      **error)
{
  g_autoptr (GHashTable) attributes = item_attributes (vault_id, slot_uuid);
  g_autoptr (GMutexLocker) locker = NULL;

  locker = g_mutex_locker_new (&keyring_mutex);
  return keyring_update (&pin_schema, attributes, item, item_len, cancellable, error);
}

gboolean
vault_keyring_pin_clear (const guint8  vault_id[VAULT_ID_SIZE],
                         const guint8  slot_uuid[KEYRING_SLOT_ID_SIZE],
                         GCancellable *cancellable,
                         GError      **error)
{
  g_autoptr (GMutexLocker) locker = NULL;

  locker = g_mutex_locker_new (&keyring_mutex);
  return keyring_clear (&pin_schema, vault_id, slot_uuid, cancellable, error);
}
