/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-rekey.c: a device replaces its key (docs/protocol.md section
 * 8.17): the request is signed by the old key, carries an op-challenge for
 * "rekey" and the new key's proof of possession; the key epoch rises and
 * the old keyid stops working.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include "server-devices.h"

#define UPDATE_TRIES 5

static gboolean
check_body (json_t  *body,
            GError **error)
{
  static const char *const members[] = { "v", "nonce", "new_key", "proof", NULL };
  const char *key;
  json_t *value;

  json_object_foreach (body, key, value)
    {
      if (!g_strv_contains (members, key))
        return entsec_server_invalid (error, "A rekey request has only \"v\", \"nonce\", "
                                             "\"new_key\" and \"proof\"");
    }
  if (!json_is_integer (json_object_get (body, "v"))
      || json_integer_value (json_object_get (body, "v")) != 1)
    return entsec_server_invalid (error, "\"v\" must be 1");
  if (!json_is_string (json_object_get (body, "nonce"))
      || !json_is_string (json_object_get (body, "proof")))
    return entsec_server_invalid (error, "\"nonce\" (an op-challenge for \"rekey\") and "
                                         "\"proof\" must be strings");
  if (!json_is_object (json_object_get (body, "new_key")))
    return entsec_server_invalid (error, "\"new_key\" must be the device's new public key "
                                         "as a JWK");
  return TRUE;
}

/* The new key of @body and its thumbprint, after its proof verified. */
static EVP_PKEY *
proven_key (const EntsecDevice *device,
            json_t             *body,
            char              **new_jkt,
            GError            **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (EVP_PKEY) key = entsec_jwk_import_json (json_object_get (body, "new_key"), FALSE,
                                                     &local_error);

  if (key == NULL)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                   "\"new_key\": %s", local_error->message);
      return NULL;
    }
  *new_jkt = entsec_jwk_thumbprint (key, error);
  if (*new_jkt == NULL)
    return NULL;
  if (strcmp (*new_jkt, device->key_jkt) == 0)
    {
      entsec_server_invalid (error, "\"new_key\" is the key in use; make a new key pair");
      return NULL;
    }
  if (!entsec_rekey_proof_verify (key, json_string_value (json_object_get (body, "proof")),
                                  device->id, json_string_value (json_object_get (body, "nonce")),
                                  device->key_jkt, *new_jkt, &local_error))
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                   "\"proof\" must be the new key's signature over \"entsec/v1/rekey|<device "
                   "id>|<nonce>|<old jkt>|<new jkt>\" (docs/protocol.md section 8.17): %s",
                   local_error->message);
      return NULL;
    }
  return g_steal_pointer (&key);
}

static gboolean
use_challenge (const EntsecDeviceContext *context,
               const EntsecDevice        *device,
               const char                *nonce,
               gint64                     now,
               GError                   **error)
{
  guint8 digest[ENTSEC_SERVER_DIGEST_SIZE];
  gboolean found = FALSE;

  entsec_server_sha256 (nonce, strlen (nonce), digest);
  if (!entsec_storage_op_challenge_use (context->storage, digest, device->id, "rekey", now,
                                        &found, error))
    return FALSE;
  if (!found)
    return entsec_server_invalid (error, "\"nonce\" must be an unused, unexpired "
                                         "op-challenge for \"rekey\"; ask /op-challenge "
                                         "for one");
  return TRUE;
}

/* Store the new key unless the device's key changed since @old_jkt was checked. */
static EntsecDevice *
store_key (const EntsecDeviceContext *context,
           const char                *device_id,
           const char                *old_jkt,
           EVP_PKEY                  *key,
           const char                *new_jkt,
           GError                   **error)
{
  g_autofree char *jwk = entsec_jwk_export (key, FALSE, error);
  gboolean updated = FALSE;

  for (guint i = 0; jwk != NULL && i < UPDATE_TRIES; i++)
    {
      g_autoptr (EntsecDevice) device = entsec_storage_device_get (context->storage, device_id,
                                                                   error);

      if (device == NULL || strcmp (device->key_jkt, old_jkt) != 0)
        break;
      g_free (device->key_jwk);
      device->key_jwk = g_strdup (jwk);
      g_free (device->key_jkt);
      device->key_jkt = g_strdup (new_jkt);
      device->key_epoch++;
      if (!entsec_storage_device_rekey (context->storage, device, &updated, error))
        return NULL;
      if (updated)
        {
          device->revision++;
          return g_steal_pointer (&device);
        }
    }
  if (error == NULL || *error == NULL)
    g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFLICT,
                         "The device's key changed meanwhile; sign with the current key");
  return NULL;
}

json_t *
entsec_device_rekey (const EntsecDeviceContext *context,
                     EntsecDevice              *device,
                     json_t                    *body,
                     gint64                     now,
                     GError                   **error)
{
  g_autoptr (EVP_PKEY) key = NULL;
  g_autoptr (EntsecDevice) rekeyed = NULL;
  g_autofree char *new_jkt = NULL;

  if (!check_body (body, error))
    return NULL;
  key = proven_key (device, body, &new_jkt, error);
  if (key == NULL
      || !use_challenge (context, device, json_string_value (json_object_get (body, "nonce")),
                         now, error))
    return NULL;
  rekeyed = store_key (context, device->id, device->key_jkt, key, new_jkt, error);
  if (rekeyed == NULL)
    return NULL;
  entsec_storage_audit (context->storage, device->id, "device.rekey", device->id, NULL);
  return entsec_device_registration_answer (context, rekeyed, now, error);
}
