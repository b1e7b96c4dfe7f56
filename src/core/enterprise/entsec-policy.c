/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-policy.c: the device's policy (docs/protocol.md 8.5): fetched,
 * checked with the pinned authority key, kept in force only while its
 * version never goes down. The high-water mark lives in the vault and in
 * the keyring, so a vault file put back from an old copy cannot bring back
 * an older policy while the keyring remembers a newer one.
 */

#include "config.h"

#define G_LOG_DOMAIN "entsec-policy"

#include <string.h>

#include <libsecret/secret.h>

#include "entsec-core-private.h"
#include "entsec-ec.h"
#include "entsec-enterprise-private.h"
#include "entsec-enterprise-sync.h"
#include "entsec-jws.h"
#include "entsec-keyring-schema.h"
#include "entsec-json.h"

#define POLICY_TYP "entsec-policy+jwt"

/* ---- The keyring's copy of the high-water mark ----------------------------- */

/* A hash of server and device, so the item's attributes reveal neither. */
static GHashTable *
device_attributes (const char *issuer,
                   const char *device_id)
{
  GHashTable *attributes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autofree char *both = g_strconcat (issuer, "\n", device_id, NULL);

  g_hash_table_insert (attributes, "device",
                       g_compute_checksum_for_string (G_CHECKSUM_SHA256, both, -1));
  return attributes;
}

static SecretService *
open_service (void)
{
  return entsec_enterprise_keyring_open ("the policy version");
}

/* The unlocked item of this device, its secret loaded, or NULL; never prompts. */
static SecretItem *
find_item (SecretService *service,
           GHashTable    *attributes)
{
  g_autolist (SecretItem) items = NULL;
  g_autoptr (GError) error = NULL;

  items = secret_service_search_sync (service, &entsec_policy_version_schema, attributes,
                                      SECRET_SEARCH_ALL | SECRET_SEARCH_LOAD_SECRETS, NULL,
                                      &error);
  if (error != NULL)
    g_debug ("The keyring cannot be searched: %s", error->message);
  for (GList *l = items; l != NULL; l = l->next)
    if (!secret_item_get_locked (l->data))
      return g_object_ref (l->data);
  return NULL;
}

static gint64
item_version (SecretItem *item)
{
  g_autoptr (SecretValue) value = secret_item_get_secret (item);
  const char *text = value != NULL ? secret_value_get_text (value) : NULL;
  guint64 version = 0;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT64, &version, NULL))
    return -1;
  return (gint64) version;
}

gint64
entsec_policy_keyring_get (const char *issuer,
                           const char *device_id)
{
  g_autoptr (GHashTable) attributes = device_attributes (issuer, device_id);
  g_autoptr (SecretService) service = open_service ();
  g_autoptr (SecretItem) item = service != NULL ? find_item (service, attributes) : NULL;

  return item != NULL ? item_version (item) : -1;
}

void
entsec_policy_keyring_put (EntsecVault *vault,
                           const char  *issuer,
                           const char  *device_id,
                           gint64       version)
{
  g_autoptr (GHashTable) attributes = device_attributes (issuer, device_id);
  g_autoptr (SecretService) service = open_service ();
  g_autoptr (SecretItem) item = service != NULL ? find_item (service, attributes) : NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, version);
  g_autoptr (SecretValue) value = secret_value_new (text, -1, "text/plain");

  if (service == NULL || (item != NULL && item_version (item) >= version))
    return;
  /* Locked (the item too, if any): the vault's copy holds until it is unlocked. */
  if (item == NULL && !entsec_enterprise_keyring_default_open (service))
    return;
  /* An existing item gets its secret replaced: storing over it again makes
   * gnome-keyring 42 (Debian 12) drop out of the session. */
  if (item != NULL)
    secret_item_set_secret_sync (item, value, NULL, &error);
  else
    {
      /* The vault's too: its wipe after wrong unlocks finds the item by it. */
      g_hash_table_insert (attributes, "vault", entsec_vault_dup_id (vault));
      secret_service_store_sync (service, &entsec_policy_version_schema, attributes,
                               SECRET_COLLECTION_DEFAULT, "Enterprise Security policy version",
                               value, NULL, &error);
    }
  if (error != NULL)
    g_debug ("The keyring did not take the policy version: %s", error->message);
}

void
entsec_policy_keyring_clear (const char *issuer,
                             const char *device_id)
{
  g_autoptr (GHashTable) attributes = device_attributes (issuer, device_id);
  g_autoptr (SecretService) service = open_service ();

  if (service != NULL)
    secret_service_clear_sync (service, &entsec_policy_version_schema, attributes, NULL, NULL);
}

/* ---- Checking a policy ------------------------------------------------------ */

static gboolean
policy_invalid (GError    **error,
                const char *why)
{
  g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_POLICY_INVALID,
               "The policy the server sent was refused (%s); the last good policy stays in "
               "force: ask your administrator", why);
  return FALSE;
}

static gboolean
check_claims (EntsecDeviceSession *session,
              json_t              *payload,
              GError             **error)
{
  json_int_t v = json_integer_value (json_object_get (payload, "v"));
  json_t *version = json_object_get (payload, "policy_version");
  gint64 now = entsec_device_session_now (session);

  if (v != 1 || !json_is_integer (version) || json_integer_value (version) < 1
      || !json_is_integer (json_object_get (payload, "iat"))
      || !json_is_integer (json_object_get (payload, "nbf"))
      || !json_is_integer (json_object_get (payload, "exp"))
      || !json_is_string (json_object_get (payload, "device_state"))
      || !json_is_object (json_object_get (payload, "settings")))
    return policy_invalid (error, "it lacks a member or has one of the wrong type");
  if (g_strcmp0 (json_string_value (json_object_get (payload, "iss")),
                 entsec_device_session_get_issuer (session)) != 0)
    return policy_invalid (error, "it is from another server");
  if (g_strcmp0 (json_string_value (json_object_get (payload, "device_id")),
                 entsec_device_session_get_device_id (session)) != 0
      || g_strcmp0 (json_string_value (json_object_get (payload, "key_jkt")),
                    entsec_device_session_get_key_jkt (session)) != 0)
    return policy_invalid (error, "it is for another device or key");
  if (json_integer_value (json_object_get (payload, "nbf"))
      > now + ENTSEC_DEVICE_SESSION_MAX_SKEW)
    return policy_invalid (error, "it is not valid yet: check this computer's clock");
  if (json_integer_value (json_object_get (payload, "exp")) <= now)
    return policy_invalid (error, "it has expired: check this computer's clock");
  return TRUE;
}

/* The tenant of the policy in force (checked when it was stored), or NULL. */
static char *
tenant_in_force (EntsecDeviceSession *session)
{
  EntsecVault *vault = entsec_device_session_get_vault (session);
  g_autofree char *stored = entsec_enterprise_pref_dup_string (vault, ENTSEC_PREF_POLICY, NULL,
                                                               NULL);
  g_autoptr (json_t) payload = NULL;

  if (stored != NULL)
    payload = entsec_jws_peek (stored, 1, ENTSEC_JWS_MAX_BYTES, "The policy", NULL);
  return g_strdup (json_string_value (json_object_get (payload, "tenant")));
}

json_t *
entsec_policy_verify (EntsecDeviceSession *session,
                      const char          *jws,
                      EVP_PKEY           **signer,
                      GError             **error)
{
  g_autoptr (GBytes) data = NULL;
  g_autoptr (GError) local = NULL;
  g_autoptr (json_t) payload = NULL;
  g_autoptr (EVP_PKEY) key = NULL;
  g_autofree char *tenant = tenant_in_force (session);
  const char *text;
  gsize len = 0;

  key = entsec_authority_key_for (entsec_device_session_get_authority (session),
                                  entsec_device_session_get_authority_jkt (session), jws,
                                  entsec_device_session_get_issuer (session), tenant, &local);
  if (key == NULL)
    {
      g_debug ("No way to the policy's key from the pinned one: %s", local->message);
      policy_invalid (error, "the server's authority key changed without a chain from the key "
                             "this device trusts");
      return NULL;
    }
  data = entsec_jws_verify (jws, strlen (jws), key, POLICY_TYP, &local);
  if (data == NULL)
    {
      policy_invalid (error, "it is not signed by the pinned authority key");
      return NULL;
    }
  text = g_bytes_get_data (data, &len);
  payload = entsec_json_load_object (text, len, ENTSEC_JSON_MAX_BYTES, ENTSEC_JSON_MAX_DEPTH,
                                     "The policy", &local);
  if (payload == NULL)
    {
      policy_invalid (error, "it is not a valid JSON object");
      return NULL;
    }
  if (!check_claims (session, payload, error))
    return NULL;
  if (signer != NULL)
    *signer = g_steal_pointer (&key);
  return g_steal_pointer (&payload);
}

/* ---- Storing ---------------------------------------------------------------- */

static gint64
pref_version (EntsecVault  *vault,
              GCancellable *cancellable,
              GError      **error)
{
  return entsec_enterprise_pref_get_int64 (vault, ENTSEC_PREF_POLICY_VERSION, cancellable, error);
}

/* The policy without its times: what "the same policy" means. */
static json_t *
contents_of (json_t *payload)
{
  json_t *copy = json_deep_copy (payload);

  json_object_del (copy, "iat");
  json_object_del (copy, "nbf");
  json_object_del (copy, "exp");
  return copy;
}

/* Whether @payload says what the stored policy (of the same version) says. */
static gboolean
same_as_stored (EntsecDeviceSession *session,
                json_t              *payload,
                EVP_PKEY            *signer,
                GCancellable        *cancellable,
                GError             **error)
{
  g_autofree char *stored = NULL;
  g_autoptr (json_t) old = NULL;
  g_autoptr (json_t) a = NULL;
  g_autoptr (json_t) b = NULL;
  g_autoptr (GBytes) data = NULL;
  gsize len = 0;
  const char *text;

  stored = entsec_enterprise_pref_dup_string (entsec_device_session_get_vault (session),
                                              ENTSEC_PREF_POLICY, cancellable, error);
  if (stored == NULL)
    return FALSE;
  /* Checked for its signature only: an expired one may still be compared.
   * A run cut short between the policy and the pin stored it under @signer. */
  data = entsec_jws_verify (stored, strlen (stored), entsec_device_session_get_authority (session),
                            POLICY_TYP, NULL);
  if (data == NULL && signer != entsec_device_session_get_authority (session))
    data = entsec_jws_verify (stored, strlen (stored), signer, POLICY_TYP, NULL);
  text = data != NULL ? g_bytes_get_data (data, &len) : NULL;
  old = text != NULL ? entsec_json_load_object (text, len, ENTSEC_JSON_MAX_BYTES,
                                                ENTSEC_JSON_MAX_DEPTH, "The policy", NULL) : NULL;
  if (old == NULL)
    return FALSE;
  a = contents_of (old);
  b = contents_of (payload);
  return json_equal (a, b);
}

/*
 * The policy, its state and version, and the key that signed it when that
 * is a new one, in one vault transaction: a failure leaves the policy in
 * force, its version and the pinned key as they were.
 */
static gboolean
store_policy (EntsecDeviceSession *session,
              const char          *jws,
              json_t              *payload,
              EVP_PKEY            *signer,
              GCancellable        *cancellable,
              GError             **error)
{
  EntsecVault *vault = entsec_device_session_get_vault (session);
  gint64 version = json_integer_value (json_object_get (payload, "policy_version"));
  gboolean new_key = signer != entsec_device_session_get_authority (session);
  g_autofree char *jkt = new_key ? entsec_jwk_thumbprint (signer, error) : NULL;
  g_autofree char *jwk = jkt != NULL ? entsec_jwk_export (signer, FALSE, error) : NULL;
  const char *names[] = { ENTSEC_PREF_POLICY, ENTSEC_PREF_DEVICE_STATE,
                          ENTSEC_PREF_POLICY_VERSION, ENTSEC_PREF_AUTHORITY_JWK,
                          ENTSEC_PREF_AUTHORITY_JKT, NULL };
  GVariant *values[G_N_ELEMENTS (names)] = { NULL };

  if (new_key && jwk == NULL)
    return FALSE;
  values[0] = g_variant_new_string (jws);
  values[1] = g_variant_new_string (json_string_value (json_object_get (payload,
                                                                        "device_state")));
  values[2] = g_variant_new_int64 (version);
  if (!new_key)
    names[3] = NULL;
  else
    {
      values[3] = g_variant_new_string (jwk);
      values[4] = g_variant_new_string (jkt);
    }
  if (!entsec_vault_set_prefs_sync (vault, names, values, cancellable, error))
    return FALSE;
  if (new_key)
    {
      g_info ("Pinned the server's new authority key %s", jkt);
      entsec_device_session_adopt_authority (session, signer);
    }
  entsec_policy_keyring_put (entsec_device_session_get_vault (session),
                             entsec_device_session_get_issuer (session),
                             entsec_device_session_get_device_id (session), version);
  return TRUE;
}

/*
 * Apply the high-water mark: a higher version comes in force; the same
 * version with the same contents only renews the stored copy (a later
 * expiry); anything else is a rollback.
 */
static gboolean
accept_policy (EntsecDeviceSession *session,
               const char          *jws,
               json_t              *payload,
               EVP_PKEY            *signer,
               gboolean            *changed,
               GCancellable        *cancellable,
               GError             **error)
{
  GError *local = NULL;
  gint64 version = json_integer_value (json_object_get (payload, "policy_version"));
  gint64 in_vault = pref_version (entsec_device_session_get_vault (session), cancellable, &local);
  gint64 in_keyring = entsec_policy_keyring_get (entsec_device_session_get_issuer (session),
                                                 entsec_device_session_get_device_id (session));
  gint64 mark = MAX (in_vault, in_keyring);

  if (local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  *changed = version > mark;
  if (version == mark)
    {
      gboolean same = same_as_stored (session, payload, signer, cancellable, &local);

      if (local != NULL)
        {
          g_propagate_error (error, local);
          return FALSE;
        }
      if (same)
        return store_policy (session, jws, payload, signer, cancellable, error);
    }
  if (version <= mark)
    {
      g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_POLICY_ROLLBACK,
                   "The server sent policy version %" G_GINT64_FORMAT ", %s the version %"
                   G_GINT64_FORMAT " in force; it was refused and the policy in force stays: "
                   "ask your administrator", version,
                   version < mark ? "older than" : "a different policy under", mark);
      return FALSE;
    }
  return store_policy (session, jws, payload, signer, cancellable, error);
}

/* The ETag of the policy in force, "p<version>", for If-None-Match. */
static char *
if_none_match (EntsecDeviceSession *session,
               GCancellable        *cancellable)
{
  gint64 version = pref_version (entsec_device_session_get_vault (session), cancellable, NULL);

  return version > 0 ? g_strdup_printf ("If-None-Match: \"p%" G_GINT64_FORMAT "\"", version)
                     : NULL;
}

gboolean
entsec_policy_refresh (EntsecDeviceSession *session,
                       gboolean            *changed,
                       gboolean            *wiped,
                       GCancellable        *cancellable,
                       GError             **error)
{
  g_autofree char *tag = if_none_match (session, cancellable);
  const char *headers[] = { tag, NULL };
  g_autoptr (EntsecHttpResponse) response = NULL;
  g_autofree char *jws = NULL;
  gsize len = 0;
  const char *data;

  *changed = FALSE;
  *wiped = FALSE;
  response = entsec_device_session_send (session, "GET", "/policy", NULL, headers, error);
  if (response == NULL)
    return FALSE;
  if (response->status == 304)
    {
      /* The policy of the enrollment reaches the keyring at the first sync. */
      entsec_policy_keyring_put (entsec_device_session_get_vault (session),
                                 entsec_device_session_get_issuer (session),
                                 entsec_device_session_get_device_id (session),
                                 pref_version (entsec_device_session_get_vault (session),
                                               cancellable, NULL));
      return entsec_enterprise_note_contact (entsec_device_session_get_vault (session),
                                             entsec_device_session_now (session), cancellable,
                                             error);
    }
  if (!entsec_device_session_check (session, response, error))
    return FALSE;
  data = g_bytes_get_data (response->body, &len);
  if (g_strcmp0 (response->content_type, "application/jose") != 0 || len == 0
      || len > ENTSEC_JWS_MAX_BYTES || memchr (data, '\0', len) != NULL)
    return policy_invalid (error, "it is not a compact JWS");
  jws = g_strndup (data, len);
  return entsec_policy_take (session, jws, changed, wiped, cancellable, error);
}

gboolean
entsec_policy_take (EntsecDeviceSession *session,
                    const char          *jws,
                    gboolean            *changed,
                    gboolean            *wiped,
                    GCancellable        *cancellable,
                    GError             **error)
{
  g_autoptr (json_t) payload = NULL;
  g_autoptr (EVP_PKEY) signer = NULL;

  *changed = FALSE;
  *wiped = FALSE;
  payload = entsec_policy_verify (session, jws, &signer, error);
  if (payload == NULL
      || !accept_policy (session, jws, payload, signer, changed, cancellable, error)
      || !entsec_enterprise_keep_unlock_limit (entsec_device_session_get_vault (session), payload,
                                               cancellable, error))
    return FALSE;
  if (g_strcmp0 (json_string_value (json_object_get (payload, "device_state")), "revoked") == 0)
    {
      *wiped = TRUE;
      return entsec_enterprise_wipe (session, cancellable, error);
    }
  return entsec_enterprise_note_contact (entsec_device_session_get_vault (session),
                                         entsec_device_session_now (session), cancellable, error);
}

/* ---- Wiping ----------------------------------------------------------------- */

static gboolean
remove_managed_accounts (EntsecVault  *vault,
                         GCancellable *cancellable,
                         GError      **error)
{
  g_autoptr (GPtrArray) accounts = entsec_vault_export_accounts_sync (vault, cancellable, error);

  if (accounts == NULL)
    return FALSE;
  for (guint i = 0; i < accounts->len; i++)
    {
      EntsecAccount *account = g_ptr_array_index (accounts, i);

      if (account->managed_id != NULL
          && !entsec_vault_delete_account_sync (vault, account->id, cancellable, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
entsec_enterprise_wipe (EntsecDeviceSession *session,
                        GCancellable        *cancellable,
                        GError             **error)
{
  static const char *const names[] = ENTSEC_PREFS_ENTERPRISE;
  GVariant *none[G_N_ELEMENTS (names)] = { NULL };
  EntsecVault *vault = entsec_device_session_get_vault (session);

  /* The preferences in one transaction: enrolled with all of them, or none. */
  if (!remove_managed_accounts (vault, cancellable, error)
      || !entsec_vault_set_prefs_sync (vault, names, none, cancellable, error)
      || !entsec_device_session_forget_locked (session, cancellable, error)
      || !entsec_vault_set_unlock_policy_sync (vault, 0, ENTSEC_UNLOCK_LIMIT_NONE, cancellable,
                                               error))
    return FALSE;
  entsec_policy_keyring_clear (entsec_device_session_get_issuer (session),
                               entsec_device_session_get_device_id (session));
  return TRUE;
}
