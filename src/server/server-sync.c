/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-sync.c: token seeds to devices. The seed at rest is opened with
 * the token key only to be sealed at once to the device's ephemeral key
 * (entsec-seal.h); the plain seed is wiped before the function returns.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include <openssl/crypto.h>

#include "server-private.h"
#include "server-sync.h"

/* Devices one user may have at most (max_devices_per_user's upper bound). */
#define USER_DEVICES_MAX 1000

gboolean
entsec_sync_notify (const EntsecDeviceContext *context,
                    const char                *user_id,
                    const char                *token_id,
                    gint64                     now,
                    GError                   **error)
{
  g_autoptr (GPtrArray) devices = entsec_storage_device_list (context->storage, user_id, NULL,
                                                              USER_DEVICES_MAX, error);
  g_autoptr (json_t) event = json_pack ("{s:i,s:s}", "v", 1, "token_id", token_id);

  if (devices == NULL)
    return FALSE;
  for (guint i = 0; i < devices->len; i++)
    {
      const EntsecDevice *device = g_ptr_array_index (devices, i);

      if (device->state == ENTSEC_DEVICE_ACTIVE
          && !entsec_device_event_add (context, device->id, "tokens", event, now, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
invalid (GError    **error,
         const char *message)
{
  g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID, message);
  return FALSE;
}

static const char *const sync_members[] = { "v", "epk", "req_nonce", NULL };

/* The request's epk and decoded nonce. */
static gboolean
read_sync_body (json_t    *body,
                EVP_PKEY **epk,
                GBytes   **nonce,
                GError   **error)
{
  g_autoptr (GError) local_error = NULL;
  const char *key;
  json_t *value;

  json_object_foreach (body, key, value)
    {
      if (!g_strv_contains (sync_members, key))
        return invalid (error, "A token sync request has only v, epk and req_nonce");
    }
  if (!json_is_object (json_object_get (body, "epk"))
      || !json_is_string (json_object_get (body, "req_nonce")))
    return invalid (error, "A token sync request needs \"epk\" (a fresh P-256 public JWK) "
                           "and \"req_nonce\" (16 to 64 random bytes, base64url)");
  *nonce = entsec_base64url_decode (json_string_value (json_object_get (body, "req_nonce")), -1,
                                    "req_nonce", &local_error);
  if (*nonce == NULL || g_bytes_get_size (*nonce) < 16 || g_bytes_get_size (*nonce) > 64)
    return invalid (error, "\"req_nonce\" must be 16 to 64 random bytes in base64url");
  *epk = entsec_jwk_import_json (json_object_get (body, "epk"), FALSE, &local_error);
  if (*epk == NULL)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID, "\"epk\": %s",
                   local_error->message);
      return FALSE;
    }
  return TRUE;
}

/* @token as the device sees it, its seed sealed; NULL on error. */
static json_t *
sealed_token (EntsecTokens      *tokens,
              EntsecSealer      *sealer,
              const EntsecToken *token,
              const char        *device_id,
              GBytes            *nonce,
              GError           **error)
{
  guint8 seed[ENTSEC_TOKEN_SEED_MAX];
  gsize len = 0;
  EntsecSealContext seal = {
    .device_id = device_id,
    .token_id = token->id,
    .rev = ENTSEC_SYNC_TOKEN_REV,
  };
  g_autoptr (EntsecSealedSeed) sealed = NULL;
  json_t *json;

  seal.req_nonce = g_bytes_get_data (nonce, &seal.req_nonce_len);
  if (!entsec_tokens_open_seed (tokens, token, seed, &len, error))
    return NULL;
  sealed = entsec_sealer_seal (sealer, &seal, seed, len, error);
  OPENSSL_cleanse (seed, sizeof seed);
  if (sealed == NULL)
    return NULL;
  json = json_pack ("{s:s,s:s,s:s,s:i,s:i,s:i,s:o}", "id", token->id, "type", token->type,
                    "algorithm", token->algorithm, "digits", (json_int_t) token->digits,
                    "period", (json_int_t) token->period, "rev",
                    (json_int_t) ENTSEC_SYNC_TOKEN_REV, "seed",
                    entsec_sealed_seed_to_json (sealed));
  if (token->issuer != NULL)
    json_object_set_new (json, "issuer", json_string (token->issuer));
  if (token->label != NULL)
    json_object_set_new (json, "label", json_string (token->label));
  return json;
}

/* The pending tokens of @device's user claimed now for it, sealed. */
static json_t *
claim_and_seal (const EntsecDeviceContext *context,
                EntsecTokens              *tokens,
                EntsecSealer              *sealer,
                const EntsecDevice        *device,
                GBytes                    *nonce,
                gint64                     now,
                GError                   **error)
{
  g_autoptr (GPtrArray) list = entsec_storage_token_list (context->storage, device->user_id,
                                                          error);
  g_autoptr (json_t) sealed = json_array ();

  if (list == NULL)
    return NULL;
  for (guint i = 0; i < list->len; i++)
    {
      const EntsecToken *token = g_ptr_array_index (list, i);
      gboolean claimed = FALSE;
      json_t *one;

      if (token->state != ENTSEC_TOKEN_PENDING)
        continue;
      if (!entsec_storage_token_delivery_claim (context->storage, token->id, device->id, now,
                                                &claimed, error))
        return NULL;
      if (!claimed)
        continue;
      one = sealed_token (tokens, sealer, token, device->id, nonce, error);
      if (one == NULL)
        return NULL;
      json_array_append_new (sealed, one);
      entsec_storage_audit (context->storage, device->id, "token.deliver", token->id, NULL);
    }
  return g_steal_pointer (&sealed);
}

json_t *
entsec_sync_tokens (const EntsecDeviceContext *context,
                    EntsecTokens              *tokens,
                    const EntsecDevice        *device,
                    json_t                    *body,
                    gint64                     now,
                    GError                   **error)
{
  g_autoptr (EVP_PKEY) epk = NULL;
  g_autoptr (GBytes) nonce = NULL;
  g_autoptr (EntsecSealer) sealer = NULL;
  g_autoptr (json_t) payload = NULL;
  g_autofree char *epk_jkt = NULL;
  g_autofree char *text = NULL;
  g_autofree char *jws = NULL;
  json_t *sealed, *spk;

  if (!read_sync_body (body, &epk, &nonce, error))
    return NULL;
  sealer = entsec_sealer_new (epk, error);
  epk_jkt = sealer != NULL ? entsec_jwk_thumbprint (epk, error) : NULL;
  spk = epk_jkt != NULL ? entsec_jwk_export_json (entsec_sealer_get_spk (sealer), error) : NULL;
  if (spk == NULL)
    return NULL;
  sealed = claim_and_seal (context, tokens, sealer, device, nonce, now, error);
  if (sealed == NULL)
    {
      json_decref (spk);
      return NULL;
    }
  payload = json_pack ("{s:i,s:s,s:s,s:s,s:s,s:I,s:O,s:s,s:o,s:o}", "v", 1,
                       "iss", context->issuer, "tenant", context->tenant,
                       "device_id", device->id, "key_jkt", device->key_jkt,
                       "iat", (json_int_t) now, "req_nonce", json_object_get (body, "req_nonce"),
                       "epk_jkt", epk_jkt, "spk", spk, "tokens", sealed);
  text = entsec_json_dump (payload);
  jws = entsec_jws_sign (context->authority, "entsec-tokens+jwt", context->authority_jkt,
                         (const guint8 *) text, strlen (text), error);
  if (jws == NULL)
    return NULL;
  return json_pack ("{s:i,s:s}", "v", 1, "tokens", jws);
}

const char *
entsec_sync_ack_otp (const EntsecDeviceContext *context,
                     const EntsecDevice        *device,
                     const char                *token_id,
                     json_t                    *body,
                     GError                   **error)
{
  static const char *const names[] = { "otp", NULL };
  g_autofree char *delivered_to = NULL;

  if (!entsec_server_check_members (body, names, TRUE, "a token ack", error)
      || !entsec_storage_token_delivery_get (context->storage, token_id, &delivered_to, error))
    return NULL;
  if (g_strcmp0 (delivered_to, device->id) != 0)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_NOT_FOUND,
                   "This device was sent no such token");
      return NULL;
    }
  return json_string_value (json_object_get (body, "otp"));
}
