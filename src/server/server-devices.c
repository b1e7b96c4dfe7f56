/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-devices.c: signed requests from devices, registration, compiled
 * policies, heartbeats, op-challenges and unbinding. Every failure of a
 * signature is one error code with a reason for the log; the client only
 * ever learns "invalid_signature".
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include <openssl/crypto.h>

#include "server-devices.h"
#include "server-policy.h"

#define CLAIM_MAX_BYTES 256
#define MACS_MAX 32
#define CLAIMS_MAX_MEMBERS 32
#define UPDATE_TRIES 5
#define SECRET_MAX_BYTES 128

static const char *const state_names[] = { "active", "suspended", "revoked", "unbound" };
static const char *const ops[] = { "unbind", "rekey", "transfer", "export", NULL };
static const char *const command_types[] = { "wipe", "lock", "unlock", "refresh_policy", NULL };
/* "credentials_wiped": a wipe that reached a locked device, the rest at its next unlock. */
static const char *const command_results[] = { "done", "failed", "credentials_wiped", NULL };

const char *
entsec_device_state_name (EntsecDeviceState state)
{
  g_return_val_if_fail ((guint) state < G_N_ELEMENTS (state_names), "revoked");
  return state_names[state];
}

static gboolean
signature_error (GError    **error,
                 const char *reason)
{
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_SIGNATURE,
               "Request signature refused: %s", reason);
  return FALSE;
}

static gboolean
invalid (GError    **error,
         const char *message)
{
  g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID, message);
  return FALSE;
}

/* The nonce of a read-only request in the instance's window, until its
 * signature could not be accepted any more (docs/protocol.md section 2.4). */
static EntsecNonceCheck
check_read_nonce (EntsecNonceWindow         *window,
                  const EntsecHttpSignature *verified,
                  gint64                     now)
{
  gint64 forget_after = MIN (verified->expires, verified->created + ENTSEC_HTTPSIG_MAX_SKEW);

  return entsec_nonce_window_check (window, verified->keyid, verified->nonce, forget_after,
                                    now);
}

/* Verify @message with @key and remember its nonce; NULL with an error otherwise. */
static gboolean
verify_and_remember (const EntsecDeviceContext *context,
                     const EntsecHttpMessage   *message,
                     EVP_PKEY                  *key,
                     const char                *keyid,
                     gint64                     now,
                     GError                   **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (EntsecHttpSignature) verified = entsec_httpsig_verify (message, key, now,
                                                                    &local_error);
  EntsecNonceCheck check = ENTSEC_NONCE_FULL;
  gboolean fresh = FALSE;

  if (verified == NULL)
    return signature_error (error, local_error->message);
  /* the signature covers @method: a GET's nonce cannot sign a POST; a full
   * window leaves the nonce to the durable cache */
  if (context->read_nonces != NULL && g_strcmp0 (message->method, "GET") == 0)
    check = check_read_nonce (context->read_nonces, verified, now);
  if (check == ENTSEC_NONCE_FRESH)
    return TRUE;
  if (check == ENTSEC_NONCE_REPLAYED)
    return signature_error (error, "the nonce was used before (a replay)");
  if (!entsec_storage_nonce_remember (context->storage, keyid, verified->nonce, now,
                                      now + ENTSEC_DEVICE_NONCE_MEMORY, &fresh, error))
    return FALSE;
  if (!fresh)
    return signature_error (error, "the nonce was used before (a replay)");
  return TRUE;
}

/* The keyid of the "entsec" signature, or NULL with an error. */
static char *
signature_keyid (const EntsecHttpMessage *message,
                 GError                 **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (EntsecHttpSignature) sig = entsec_http_signature_parse (message,
                                                                     ENTSEC_HTTPSIG_LABEL,
                                                                     &local_error);

  if (sig == NULL)
    signature_error (error, local_error->message);
  else if (sig->keyid == NULL)
    signature_error (error, "no keyid");
  return sig != NULL && sig->keyid != NULL ? g_strdup (sig->keyid) : NULL;
}

static gboolean
check_state (const EntsecDevice *device,
             gboolean            allow_revoked,
             GError            **error)
{
  if (device->state == ENTSEC_DEVICE_ACTIVE
      || (allow_revoked && device->state != ENTSEC_DEVICE_UNBOUND))
    return TRUE;
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_REVOKED,
               "This device is %s; enroll it again", entsec_device_state_name (device->state));
  return FALSE;
}

/* The devices of a deleted or disabled user are refused like revoked ones. */
static gboolean
check_user (const EntsecDeviceContext *context,
            const EntsecDevice        *device,
            GError                   **error)
{
  g_autoptr (EntsecUser) user = entsec_storage_user_get (context->storage, device->user_id,
                                                         error);

  if (user != NULL && !user->disabled)
    return TRUE;
  if (error == NULL || *error == NULL)
    g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_REVOKED,
                         "The user of this device is disabled or was removed; ask an admin");
  return FALSE;
}

EntsecDevice *
entsec_device_authenticate (const EntsecDeviceContext *context,
                            const EntsecHttpMessage   *message,
                            const char                *device_id,
                            gboolean                   allow_revoked,
                            gint64                     now,
                            GError                   **error)
{
  g_autofree char *keyid = signature_keyid (message, error);
  g_autoptr (EntsecDevice) device = NULL;
  g_autoptr (EVP_PKEY) key = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *keyid_device = NULL;

  if (keyid == NULL)
    return NULL;
  if (device_id == NULL)
    {
      /* a call whose path names no device (a push answer): the keyid says which */
      const char *hash = strchr (keyid, '#');

      keyid_device = g_strndup (keyid, hash != NULL ? (gsize) (hash - keyid) : 0);
      device_id = keyid_device;
    }
  device = entsec_storage_device_get (context->storage, device_id, error);
  if (device == NULL)
    {
      if (error == NULL || *error == NULL)
        signature_error (error, "no such device");
      return NULL;
    }
  expected = g_strdup_printf ("%s#%u", device->id, device->key_epoch);
  if (strcmp (keyid, expected) != 0)
    {
      g_autofree char *prefix = g_strconcat (device->id, "#", NULL);

      /* the reason goes to the log only: an old epoch is a device that rekeyed */
      signature_error (error, g_str_has_prefix (keyid, prefix)
                              ? "the keyid names a key this device replaced (rekeyed)"
                              : "the keyid does not name this device's key");
      return NULL;
    }
  key = entsec_jwk_import (device->key_jwk, strlen (device->key_jwk), FALSE, error);
  if (key == NULL || !verify_and_remember (context, message, key, keyid, now, error)
      || !check_state (device, allow_revoked, error) || !check_user (context, device, error))
    return NULL;
  return g_steal_pointer (&device);
}

/* A claim: a string of at most CLAIM_MAX_BYTES printable characters. */
static gboolean
claim_string_ok (json_t *value)
{
  const char *text = json_string_value (value);

  if (text == NULL || strlen (text) > CLAIM_MAX_BYTES)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    {
      if ((guchar) *p < 0x20 || *p == 0x7f)
        return FALSE;
    }
  return TRUE;
}

/* An object with at most CLAIMS_MAX_MEMBERS string members. */
static gboolean
string_object_ok (json_t *object)
{
  const char *key;
  json_t *value;

  if (!json_is_object (object) || json_object_size (object) > CLAIMS_MAX_MEMBERS)
    return FALSE;
  json_object_foreach (object, key, value)
    {
      if (!claim_string_ok (value))
        return FALSE;
    }
  return TRUE;
}

static gboolean
macs_ok (json_t *macs)
{
  size_t index;
  json_t *mac;

  if (!json_is_array (macs) || json_array_size (macs) > MACS_MAX)
    return FALSE;
  json_array_foreach (macs, index, mac)
    {
      if (!string_object_ok (mac) || !claim_string_ok (json_object_get (mac, "mac_hmac")))
        return FALSE;
    }
  return TRUE;
}

gboolean
entsec_device_check_claims (json_t  *device,
                            json_t  *client,
                            GError **error)
{
  const char *key;
  json_t *value;
  gboolean ok = json_is_object (device) && (client == NULL || string_object_ok (client));

  if (ok)
    json_object_foreach (device, key, value)
      {
        if (strcmp (key, "machine_fp") == 0)
          ok = ok && claim_string_ok (value);
        else if (strcmp (key, "macs") == 0)
          ok = ok && macs_ok (value);
        else if (strcmp (key, "dmi") == 0 || strcmp (key, "os") == 0)
          ok = ok && string_object_ok (value);
        else
          ok = FALSE;
      }
  if (!ok)
    return invalid (error, "\"device\" holds only \"machine_fp\" (a string), \"macs\" (a list "
                           "of objects with \"if\", \"kind\" and \"mac_hmac\"), \"dmi\" and "
                           "\"os\" (objects of strings); \"client\" is an object of strings; "
                           "strings have at most 256 printable characters");
  return TRUE;
}

static char *
claims_text (json_t *device,
             json_t *client)
{
  g_autoptr (json_t) claims = json_pack ("{s:O}", "device", device);

  if (client != NULL)
    json_object_set (claims, "client", client);
  return entsec_json_dump (claims);
}

gboolean
entsec_device_check_registration (json_t  *body,
                                  GError **error)
{
  static const char *const members[] = { "v", "enrollment_token", "registration_challenge",
                                         "device_key", "device", "client", NULL };
  const char *key;
  json_t *value;
  const char *token = json_string_value (json_object_get (body, "enrollment_token"));
  const char *challenge = json_string_value (json_object_get (body, "registration_challenge"));

  json_object_foreach (body, key, value)
    {
      if (!g_strv_contains (members, key))
        return invalid (error, "A registration has only \"v\", \"enrollment_token\", "
                               "\"registration_challenge\", \"device_key\", \"device\" and "
                               "\"client\"");
    }
  if (!json_is_integer (json_object_get (body, "v"))
      || json_integer_value (json_object_get (body, "v")) != 1)
    return invalid (error, "\"v\" must be 1");
  if (token == NULL || challenge == NULL || strlen (token) > SECRET_MAX_BYTES
      || strlen (challenge) > SECRET_MAX_BYTES)
    return invalid (error, "\"enrollment_token\" and \"registration_challenge\" must be the "
                           "strings /v1/enroll/verify returned");
  if (!json_is_object (json_object_get (body, "device_key")))
    return invalid (error, "\"device_key\" must be the device's public key as a JWK");
  return entsec_device_check_claims (json_object_get (body, "device"),
                                     json_object_get (body, "client"), error);
}

static char *
sign_object (const EntsecDeviceContext *context,
             const char                *typ,
             json_t                    *payload,
             GError                   **error)
{
  g_autofree char *text = entsec_json_dump (payload);

  return entsec_jws_sign (context->authority, typ, context->authority_jkt,
                          (const guint8 *) text, strlen (text), error);
}

static json_t *
endpoint (const EntsecDeviceContext *context,
          const char                *device_id,
          const char                *what)
{
  g_autofree char *url = g_strdup_printf ("%s/v1/devices/%s%s", context->issuer, device_id,
                                          what);

  return json_string (url);
}

/* The rotation chain a signed object carries (docs/protocol.md section 8.16). */
static json_t *
chain_copy (const EntsecDeviceContext *context)
{
  return context->authority_chain != NULL ? json_copy (context->authority_chain) : json_array ();
}

static char *
registration_jws (const EntsecDeviceContext *context,
                  const EntsecDevice        *device,
                  gint64                     now,
                  GError                   **error)
{
  json_t *endpoints = json_pack ("{s:o,s:o,s:o,s:o,s:o}",
                                 "policy", endpoint (context, device->id, "/policy"),
                                 "events", endpoint (context, device->id, "/events"),
                                 "status", endpoint (context, device->id, "/status"),
                                 "op_challenge", endpoint (context, device->id, "/op-challenge"),
                                 "unbind", endpoint (context, device->id, "/unbind"));
  g_autoptr (json_t) payload = json_pack ("{s:i,s:s,s:s,s:s,s:s,s:i,s:s,s:I,s:{s:[O]},s:o,"
                                          "s:o}",
                                          "v", 1, "iss", context->issuer,
                                          "tenant", context->tenant, "device_id", device->id,
                                          "key_jkt", device->key_jkt,
                                          "key_epoch", (int) device->key_epoch,
                                          "user_id", device->user_id, "iat", (json_int_t) now,
                                          "authority_jwks", "keys", context->authority_jwk,
                                          "authority_chain", chain_copy (context),
                                          "endpoints", endpoints);

  return sign_object (context, "entsec-registration+jwt", payload, error);
}

/* The new device from a checked body; NULL when the key is not acceptable. */
static EntsecDevice *
new_device (json_t  *body,
            gint64   now,
            EVP_PKEY **key,
            GError  **error)
{
  g_autoptr (EntsecDevice) device = g_new0 (EntsecDevice, 1);
  g_autoptr (GError) local_error = NULL;

  *key = entsec_jwk_import_json (json_object_get (body, "device_key"), FALSE, &local_error);
  if (*key == NULL)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                   "\"device_key\": %s", local_error->message);
      return NULL;
    }
  device->id = entsec_server_random_id ("dev_");
  device->key_jwk = entsec_jwk_export (*key, FALSE, error);
  device->key_jkt = device->key_jwk != NULL ? entsec_jwk_thumbprint (*key, error) : NULL;
  if (device->key_jkt == NULL)
    return NULL;
  device->key_epoch = 1;
  device->state = ENTSEC_DEVICE_ACTIVE;
  device->claims = claims_text (json_object_get (body, "device"),
                                json_object_get (body, "client"));
  device->created = now;
  device->last_seen = now;
  return g_steal_pointer (&device);
}

static gboolean
store_registration (const EntsecDeviceContext *context,
                    EntsecDevice              *device,
                    json_t                    *body,
                    gint64                     now,
                    GError                   **error)
{
  const char *token = json_string_value (json_object_get (body, "enrollment_token"));
  const char *challenge = json_string_value (json_object_get (body, "registration_challenge"));
  guint8 token_sha256[ENTSEC_SERVER_DIGEST_SIZE];
  guint8 challenge_sha256[ENTSEC_SERVER_DIGEST_SIZE];

  entsec_server_sha256 (token, strlen (token), token_sha256);
  entsec_server_sha256 (challenge, strlen (challenge), challenge_sha256);
  return entsec_storage_device_register (context->storage, device, token_sha256,
                                         challenge_sha256, now, context->max_devices, error);
}

/* binding.min_client_version of the user the enrollment token is for (an
 * unknown token passes here and is refused by store_registration()). */
static gboolean
client_allowed (const EntsecDeviceContext *context,
                const EntsecDevice        *device,
                json_t                    *body,
                GError                   **error)
{
  const char *token = json_string_value (json_object_get (body, "enrollment_token"));
  guint8 token_sha256[ENTSEC_SERVER_DIGEST_SIZE];
  g_autofree char *user_id = NULL;
  g_autoptr (json_t) settings = NULL;

  entsec_server_sha256 (token, strlen (token), token_sha256);
  if (!entsec_storage_enrollment_token_user (context->storage, token_sha256, &user_id, error))
    return FALSE;
  if (user_id == NULL)
    return TRUE;
  settings = entsec_policy_effective (context->storage, user_id, device->id, error);
  return settings != NULL
         && entsec_policy_check_client (settings, json_object_get (body, "client"), error);
}

json_t *
entsec_device_register (const EntsecDeviceContext *context,
                        const EntsecHttpMessage   *message,
                        json_t                    *body,
                        gint64                     now,
                        GError                   **error)
{
  g_autoptr (EntsecDevice) device = NULL;
  g_autoptr (EVP_PKEY) key = NULL;
  g_autofree char *keyid = NULL;
  g_autofree char *expected = NULL;

  if (!entsec_device_check_registration (body, error))
    return NULL;
  device = new_device (body, now, &key, error);
  if (device == NULL)
    return NULL;
  keyid = signature_keyid (message, error);
  if (keyid == NULL)
    return NULL;
  expected = g_strconcat ("jkt:", device->key_jkt, NULL);
  if (strcmp (keyid, expected) != 0)
    {
      signature_error (error, "the keyid is not \"jkt:\" and the thumbprint of device_key");
      return NULL;
    }
  if (!verify_and_remember (context, message, key, keyid, now, error)
      || !client_allowed (context, device, body, error)
      || !store_registration (context, device, body, now, error))
    return NULL;
  entsec_storage_audit (context->storage, device->user_id, "device.register", device->id, NULL);
  return entsec_device_registration_answer (context, device, now, error);
}

json_t *
entsec_device_registration_answer (const EntsecDeviceContext *context,
                                   const EntsecDevice        *device,
                                   gint64                     now,
                                   GError                   **error)
{
  g_autofree char *registration = registration_jws (context, device, now, error);
  g_autofree char *policy = NULL;
  gint64 version = 0;

  policy = registration != NULL ? entsec_device_policy (context, device->id, now, &version, error)
                                : NULL;
  if (policy == NULL)
    return NULL;
  return json_pack ("{s:i,s:s,s:i,s:s,s:s}", "v", 1, "device_id", device->id,
                    "key_epoch", (int) device->key_epoch, "registration", registration,
                    "policy", policy);
}

/* SHA-256 over the state, the device key, the authority key and the settings
 * with sorted keys: a new key of either side is a new policy version. */
static void
policy_digest (const EntsecDeviceContext *context,
               const EntsecDevice        *device,
               json_t                    *settings,
               guint8                     digest[ENTSEC_SERVER_DIGEST_SIZE])
{
  g_autofree char *text = json_dumps (settings, JSON_COMPACT | JSON_SORT_KEYS);
  g_autofree char *input = g_strjoin ("\n", entsec_device_state_name (device->state),
                                      device->key_jkt, context->authority_jkt, text, NULL);

  entsec_server_sha256 (input, strlen (input), digest);
}

/*
 * Bring @device's policy version up to date with @settings (one try):
 * *retry when another request changed the device in between.
 */
static gboolean
settle_version (const EntsecDeviceContext *context,
                EntsecDevice              *device,
                json_t                    *settings,
                gboolean                  *retry,
                GError                   **error)
{
  guint8 digest[ENTSEC_SERVER_DIGEST_SIZE];
  gboolean updated = FALSE;

  *retry = FALSE;
  policy_digest (context, device, settings, digest);
  if (device->policy_version > 0 && memcmp (digest, device->policy_sha256, sizeof digest) == 0)
    return TRUE;
  device->policy_version++;
  memcpy (device->policy_sha256, digest, sizeof digest);
  if (!entsec_storage_device_update (context->storage, device, &updated, error))
    return FALSE;
  *retry = !updated;
  return TRUE;
}

static EntsecDevice *
get_device (const EntsecDeviceContext *context,
            const char                *device_id,
            GError                   **error)
{
  EntsecDevice *device = entsec_storage_device_get (context->storage, device_id, error);

  if (device == NULL && *error == NULL)
    g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID, "No such device");
  return device;
}

/* @device re-read with its policy version settled; *settings gets the settings. */
static EntsecDevice *
compile (const EntsecDeviceContext *context,
         const char                *device_id,
         json_t                   **settings,
         GError                   **error)
{
  gboolean retry = TRUE;

  for (guint i = 0; i < UPDATE_TRIES && retry; i++)
    {
      g_autoptr (EntsecDevice) device = get_device (context, device_id, error);
      g_autoptr (json_t) effective = NULL;

      if (device == NULL)
        return NULL;
      effective = entsec_policy_effective (context->storage, device->user_id, device->id, error);
      if (effective == NULL || !settle_version (context, device, effective, &retry, error))
        return NULL;
      if (!retry)
        {
          *settings = g_steal_pointer (&effective);
          return g_steal_pointer (&device);
        }
    }
  g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFLICT,
                       "The device changed while its policy was compiled; retry");
  return NULL;
}

char *
entsec_device_policy (const EntsecDeviceContext *context,
                      const char                *device_id,
                      gint64                     now,
                      gint64                    *version,
                      GError                   **error)
{
  g_autoptr (json_t) settings = NULL;
  g_autoptr (EntsecDevice) device = compile (context, device_id, &settings, error);
  g_autoptr (json_t) payload = NULL;

  if (device == NULL)
    return NULL;
  payload = json_pack ("{s:i,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:s,s:O,s:o}",
                       "v", 1, "iss", context->issuer, "tenant", context->tenant,
                       "device_id", device->id, "key_jkt", device->key_jkt,
                       "policy_version", (json_int_t) device->policy_version,
                       "iat", (json_int_t) now, "nbf", (json_int_t) now,
                       "exp", (json_int_t) (now + ENTSEC_DEVICE_POLICY_LIFETIME),
                       "device_state", entsec_device_state_name (device->state),
                       "settings", settings, "authority_chain", chain_copy (context));
  *version = device->policy_version;
  return sign_object (context, "entsec-policy+jwt", payload, error);
}

/* Unbound is final, revoked only becomes unbound, and only a suspended device is reactivated. */
static gboolean
transition_ok (EntsecDeviceState from,
               EntsecDeviceState to,
               GError          **error)
{
  gboolean ok = from == to || (from != ENTSEC_DEVICE_UNBOUND
                               && (from != ENTSEC_DEVICE_REVOKED || to == ENTSEC_DEVICE_UNBOUND));

  if (!ok)
    g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFLICT,
                 "The device is %s; it cannot become %s", entsec_device_state_name (from),
                 entsec_device_state_name (to));
  return ok;
}

gboolean
entsec_device_set_state (const EntsecDeviceContext *context,
                         const char                *device_id,
                         EntsecDeviceState          state,
                         gboolean                  *found,
                         GError                   **error)
{
  gboolean updated = FALSE;

  *found = FALSE;
  for (guint i = 0; i < UPDATE_TRIES && !updated; i++)
    {
      g_autoptr (EntsecDevice) device = entsec_storage_device_get (context->storage, device_id,
                                                                   error);

      if (device == NULL)
        return FALSE; /* not found (error unset) or a storage error */
      *found = TRUE;
      if (!transition_ok (device->state, state, error))
        return FALSE;
      device->state = state;
      if (!entsec_storage_device_update (context->storage, device, &updated, error))
        return FALSE;
    }
  if (!updated)
    g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFLICT,
                         "The device changed meanwhile; retry");
  return updated;
}

static gboolean
claims_match (const EntsecDevice *device,
              json_t             *body)
{
  g_autoptr (json_t) stored = json_loads (device->claims, 0, NULL);

  return stored != NULL
         && json_equal (json_object_get (stored, "device"), json_object_get (body, "device"));
}

/* Count the mismatch and apply @rule; one compare-and-set try. */
static gboolean
record_status (const EntsecDeviceContext *context,
               const char                *device_id,
               gboolean                   mismatch,
               const char                *rule,
               gint64                     now,
               GError                   **error)
{
  gboolean updated = FALSE;

  for (guint i = 0; i < UPDATE_TRIES && !updated; i++)
    {
      g_autoptr (EntsecDevice) device = get_device (context, device_id, error);

      if (device == NULL)
        return FALSE;
      device->last_seen = now;
      if (mismatch)
        {
          device->mismatches++;
          if (strcmp (rule, "lock") == 0 && device->state == ENTSEC_DEVICE_ACTIVE)
            device->state = ENTSEC_DEVICE_SUSPENDED;
          else if (strcmp (rule, "wipe") == 0)
            device->state = ENTSEC_DEVICE_REVOKED;
        }
      if (!entsec_storage_device_update (context->storage, device, &updated, error))
        return FALSE;
    }
  return updated;
}

json_t *
entsec_device_status (const EntsecDeviceContext *context,
                      EntsecDevice              *device,
                      json_t                    *body,
                      gint64                     now,
                      GError                   **error)
{
  g_autoptr (json_t) settings = NULL;
  const char *key;
  json_t *value;
  gboolean mismatch;
  const char *rule;
  gint64 version = 0;
  g_autofree char *policy = NULL;

  json_object_foreach (body, key, value)
    {
      if (strcmp (key, "v") != 0 && strcmp (key, "device") != 0 && strcmp (key, "client") != 0)
        {
          invalid (error, "A heartbeat has only \"v\", \"device\" and \"client\"");
          return NULL;
        }
    }
  if (!entsec_device_check_claims (json_object_get (body, "device"),
                                   json_object_get (body, "client"), error))
    return NULL;
  settings = entsec_policy_effective (context->storage, device->user_id, device->id, error);
  if (settings == NULL
      || !entsec_policy_check_client (settings, json_object_get (body, "client"), error))
    return NULL;
  mismatch = !claims_match (device, body);
  rule = json_string_value (entsec_policy_get (settings, "binding", "on_mismatch"));
  if (!record_status (context, device->id, mismatch, rule, now, error))
    return NULL;
  if (mismatch)
    entsec_storage_audit (context->storage, device->id, "device.mismatch", device->id, NULL);
  policy = entsec_device_policy (context, device->id, now, &version, error);
  if (policy == NULL)
    return NULL;
  return json_pack ("{s:i,s:s,s:s,s:I}", "v", 1, "binding", mismatch ? "mismatch" : "ok",
                    "action", mismatch ? rule : "none", "policy_version", (json_int_t) version);
}

json_t *
entsec_device_op_challenge (const EntsecDeviceContext *context,
                            EntsecDevice              *device,
                            json_t                    *body,
                            gint64                     now,
                            GError                   **error)
{
  static const char *const members[] = { "op", NULL };
  g_autofree char *nonce = NULL;
  guint8 digest[ENTSEC_SERVER_DIGEST_SIZE];
  const char *op;

  if (!entsec_server_check_members (body, members, TRUE, "An op-challenge request", error))
    return NULL;
  op = json_string_value (json_object_get (body, "op"));
  if (!g_strv_contains (ops, op))
    {
      invalid (error, "\"op\" must be \"unbind\", \"rekey\", \"transfer\" or \"export\"");
      return NULL;
    }
  nonce = entsec_server_random_secret ();
  entsec_server_sha256 (nonce, strlen (nonce), digest);
  if (!entsec_storage_op_challenge_add (context->storage, digest, device->id, op,
                                        now + ENTSEC_DEVICE_OP_CHALLENGE_LIFETIME, error))
    return NULL;
  entsec_storage_audit (context->storage, device->id, "device.op_challenge", op, NULL);
  return json_pack ("{s:i,s:s,s:s,s:i}", "v", 1, "op", op, "nonce", nonce,
                    "expires_in", ENTSEC_DEVICE_OP_CHALLENGE_LIFETIME);
}

static gboolean
unbind_allowed (const EntsecDeviceContext *context,
                EntsecDevice              *device,
                GError                   **error)
{
  g_autoptr (json_t) settings = entsec_policy_effective (context->storage, device->user_id,
                                                         device->id, error);

  if (settings == NULL)
    return FALSE;
  if (json_is_true (entsec_policy_get (settings, "device", "allow_user_unbind")))
    return TRUE;
  g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_FORBIDDEN,
                       "The policy does not let users unbind this device; ask an admin");
  return FALSE;
}

static gboolean
use_op_challenge (const EntsecDeviceContext *context,
                  EntsecDevice              *device,
                  json_t                    *body,
                  const char                *op,
                  gint64                     now,
                  GError                   **error)
{
  static const char *const members[] = { "nonce", NULL };
  guint8 digest[ENTSEC_SERVER_DIGEST_SIZE];
  gboolean found = FALSE;
  const char *nonce;

  if (!entsec_server_check_members (body, members, TRUE, "An unbind request", error))
    return FALSE;
  nonce = json_string_value (json_object_get (body, "nonce"));
  entsec_server_sha256 (nonce, strlen (nonce), digest);
  if (!entsec_storage_op_challenge_use (context->storage, digest, device->id, op, now, &found,
                                        error))
    return FALSE;
  if (!found)
    return invalid (error, "\"nonce\" must be an unused, unexpired op-challenge for this "
                           "operation; ask /op-challenge for one");
  return TRUE;
}

json_t *
entsec_device_unbind (const EntsecDeviceContext *context,
                      EntsecDevice              *device,
                      json_t                    *body,
                      gint64                     now,
                      GError                   **error)
{
  g_autoptr (json_t) payload = NULL;
  g_autofree char *receipt = NULL;
  gboolean found = FALSE;

  if (!unbind_allowed (context, device, error)
      || !use_op_challenge (context, device, body, "unbind", now, error)
      || !entsec_device_set_state (context, device->id, ENTSEC_DEVICE_UNBOUND, &found, error))
    return NULL;
  entsec_storage_audit (context->storage, device->id, "device.unbind", device->id, NULL);
  payload = json_pack ("{s:i,s:s,s:s,s:s,s:s,s:s,s:I}", "v", 1, "iss", context->issuer,
                       "tenant", context->tenant, "device_id", device->id,
                       "key_jkt", device->key_jkt, "op", "unbind", "iat", (json_int_t) now);
  receipt = sign_object (context, "entsec-receipt+jwt", payload, error);
  if (receipt == NULL)
    return NULL;
  return json_pack ("{s:i,s:s}", "v", 1, "receipt", receipt);
}

/* After an event for @device_id was stored: prune, and wake its polls here. */
static void
event_stored (const EntsecDeviceContext *context,
              const char                *device_id,
              gint64                     now)
{
  g_autoptr (GError) prune_error = NULL;

  /* at write time: what no device acknowledged within the retention goes */
  if (!entsec_storage_device_events_prune (context->storage, NULL, 0,
                                           now - ENTSEC_STORAGE_EVENT_KEEP, &prune_error))
    g_warning ("Old device events were not pruned: %s", prune_error->message);
  if (context->events != NULL)
    entsec_event_hub_notify (context->events, device_id);
}

gboolean
entsec_device_event_add (const EntsecDeviceContext *context,
                         const char                *device_id,
                         const char                *type,
                         json_t                    *body,
                         gint64                     now,
                         GError                   **error)
{
  g_autofree char *text = entsec_json_dump (body);

  if (!entsec_storage_device_event_add (context->storage, device_id, type, text, now, error))
    return FALSE;
  event_stored (context, device_id, now);
  return TRUE;
}

json_t *
entsec_device_to_json (const EntsecDevice *device)
{
  g_autoptr (json_t) claims = json_loads (device->claims, 0, NULL);

  return json_pack ("{s:s,s:s,s:s,s:i,s:s,s:O?,s:I,s:I,s:i,s:I}",
                    "id", device->id, "user_id", device->user_id, "key_jkt", device->key_jkt,
                    "key_epoch", (int) device->key_epoch,
                    "state", entsec_device_state_name (device->state), "claims", claims,
                    "created", (json_int_t) device->created,
                    "last_seen", (json_int_t) device->last_seen,
                    "mismatches", (int) device->mismatches,
                    "policy_version", (json_int_t) device->policy_version);
}

static char *
command_jws (const EntsecDeviceContext *context,
             const EntsecDevice        *device,
             const EntsecDeviceCommand *command,
             GError                   **error)
{
  g_autoptr (json_t) payload = json_pack ("{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "v", 1,
                                          "iss", context->issuer, "tenant", context->tenant,
                                          "device_id", device->id, "key_jkt", device->key_jkt,
                                          "command_id", command->id, "type", command->type,
                                          "iat", (json_int_t) command->created);

  return sign_object (context, "entsec-command+jwt", payload, error);
}

static EntsecDevice *
commandable_device (const EntsecDeviceContext *context,
                    const char                *device_id,
                    GError                   **error)
{
  g_autoptr (EntsecDevice) device = entsec_storage_device_get (context->storage, device_id,
                                                               error);

  if (device == NULL && *error == NULL)
    g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_NOT_FOUND,
                         "There is no such device");
  else if (device != NULL && device->state == ENTSEC_DEVICE_UNBOUND)
    g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_REVOKED,
                         "The device is unbound; it takes no more commands");
  return device != NULL && device->state != ENTSEC_DEVICE_UNBOUND ? g_steal_pointer (&device)
                                                                  : NULL;
}

json_t *
entsec_device_command_add (const EntsecDeviceContext *context,
                           const char                *device_id,
                           const char                *actor,
                           json_t                    *body,
                           gint64                     now,
                           GError                   **error)
{
  static const char *const members[] = { "type", NULL };
  g_autoptr (EntsecDevice) device = NULL;
  g_autoptr (json_t) event = NULL;
  g_autofree char *jws = NULL;
  g_autofree char *id = NULL;
  g_autofree char *event_text = NULL;
  EntsecDeviceCommand command = { 0 };

  if (!entsec_server_check_members (body, members, TRUE, "A command", error))
    return NULL;
  command.type = (char *) json_string_value (json_object_get (body, "type"));
  if (!g_strv_contains (command_types, command.type))
    {
      invalid (error, "\"type\" must be \"wipe\", \"lock\", \"unlock\" or \"refresh_policy\"");
      return NULL;
    }
  device = commandable_device (context, device_id, error);
  if (device == NULL)
    return NULL;
  id = entsec_server_random_id ("cmd_");
  command.id = id;
  command.device_id = device->id;
  command.actor = (char *) actor;
  command.created = now;
  jws = command_jws (context, device, &command, error);
  if (jws == NULL)
    return NULL;
  event = json_pack ("{s:i,s:s,s:s,s:s}", "v", 1, "command_id", id, "type", command.type,
                     "command", jws);
  event_text = entsec_json_dump (event);
  if (!entsec_storage_command_add (context->storage, &command, event_text, error))
    return NULL;
  event_stored (context, device->id, now);
  entsec_storage_audit (context->storage, actor, "device.command", id, NULL);
  return json_pack ("{s:i,s:s,s:s,s:s,s:s}", "v", 1, "id", id, "type", command.type,
                    "state", "pending", "command", jws);
}

gboolean
entsec_device_command_reissue (const EntsecDeviceContext *context,
                               const EntsecDevice        *device,
                               const EntsecDeviceCommand *command,
                               gint64                     now,
                               GError                   **error)
{
  g_autofree char *jws = command_jws (context, device, command, error);
  g_autoptr (json_t) event = NULL;

  if (jws == NULL)
    return FALSE;
  event = json_pack ("{s:i,s:s,s:s,s:s}", "v", 1, "command_id", command->id,
                     "type", command->type, "command", jws);
  return entsec_device_event_add (context, device->id, "command", event, now, error);
}

static EntsecDeviceCommand *
find_command (const EntsecDeviceContext *context,
              const char                *device_id,
              const char                *command_id,
              GError                   **error)
{
  g_autoptr (GPtrArray) commands = entsec_storage_command_list (context->storage, device_id,
                                                                error);

  for (guint i = 0; commands != NULL && i < commands->len; i++)
    {
      EntsecDeviceCommand *command = g_ptr_array_index (commands, i);

      if (strcmp (command->id, command_id) == 0)
        return g_ptr_array_steal_index (commands, i);
    }
  return NULL;
}

/* Whether @command_id of @device is a wipe; FALSE with an error for another command. */
static gboolean
is_wipe (const EntsecDeviceContext *context,
         EntsecDevice              *device,
         const char                *command_id,
         GError                   **error)
{
  g_autoptr (EntsecDeviceCommand) command = find_command (context, device->id, command_id, error);

  if (command == NULL && *error == NULL)
    g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_NOT_FOUND,
                         "This device has no such command");
  if (command == NULL)
    return FALSE;
  if (strcmp (command->type, "wipe") == 0)
    return TRUE;
  invalid (error, "\"result\" \"credentials_wiped\" answers a wipe only");
  return FALSE;
}

json_t *
entsec_device_command_ack (const EntsecDeviceContext *context,
                           EntsecDevice              *device,
                           const char                *command_id,
                           json_t                    *body,
                           gint64                     now,
                           GError                   **error)
{
  static const char *const members[] = { "result", NULL };
  g_autoptr (EntsecDeviceCommand) command = NULL;
  EntsecCommandAck outcome = ENTSEC_COMMAND_ACK_UNKNOWN;
  const char *result;

  if (!entsec_server_check_members (body, members, TRUE, "An acknowledgement", error))
    return NULL;
  result = json_string_value (json_object_get (body, "result"));
  if (result == NULL || !g_strv_contains (command_results, result))
    {
      invalid (error, "\"result\" must be \"done\", \"failed\" or \"credentials_wiped\"");
      return NULL;
    }
  if (strcmp (result, "credentials_wiped") == 0 && !is_wipe (context, device, command_id, error))
    return NULL;
  if (!entsec_storage_command_ack (context->storage, device->id, command_id, result, now,
                                   &outcome, error))
    return NULL;
  if (outcome == ENTSEC_COMMAND_ACK_UNKNOWN)
    g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_NOT_FOUND,
                         "This device has no such command");
  else if (outcome == ENTSEC_COMMAND_ACK_ALREADY)
    g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFLICT,
                         "The command was acknowledged before");
  if (outcome != ENTSEC_COMMAND_ACK_DONE)
    return NULL;
  entsec_storage_audit (context->storage, device->id, "device.command_ack", command_id, NULL);
  command = find_command (context, device->id, command_id, error);
  if (command == NULL && *error == NULL)
    g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_NOT_FOUND,
                         "This device has no such command");
  return command != NULL ? entsec_device_command_to_json (command) : NULL;
}

json_t *
entsec_device_command_to_json (const EntsecDeviceCommand *command)
{
  return json_pack ("{s:s,s:s,s:s,s:s,s:I,s:s,s:I,s:s?}", "id", command->id,
                    "device_id", command->device_id, "type", command->type,
                    "actor", command->actor, "created", (json_int_t) command->created,
                    "state", command->acked != 0 ? "acked" : "pending",
                    "acked", (json_int_t) command->acked, "result", command->result);
}
