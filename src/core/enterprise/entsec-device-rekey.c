/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-device-rekey.c: the device replaces its own key (docs/protocol.md 8.17) */

#include "config.h"

#define G_LOG_DOMAIN "entsec-rekey"

#include <string.h>

#include "entsec-core-private.h"
#include "entsec-device-session.h"
#include "entsec-ec.h"
#include "entsec-enterprise-private.h"
#include "entsec-enterprise-sync.h"
#include "entsec-json.h"
#include "entsec-jws.h"
#include "entsec-protocol.h"
#include "entsec-rotation.h"

#define REGISTRATION_TYP "entsec-registration+jwt"

static gboolean
bad_answer (GError    **error,
            const char *why)
{
  g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_BAD_RESPONSE,
               "The server's answer to the new device key is not valid (%s); the next "
               "request finds out whether the server took the key: run 'entsec-cli sync'",
               why);
  return FALSE;
}

/* A single-use nonce for "rekey" (docs/protocol.md 8.7). */
static char *
rekey_nonce (EntsecDeviceSession *session,
             GError             **error)
{
  g_autoptr (json_t) answer = entsec_device_session_call_json (session, "POST", "/op-challenge",
                                                               "{\"v\":1,\"op\":\"rekey\"}",
                                                               "op-challenge", error);
  const char *nonce = json_string_value (json_object_get (answer, "nonce"));

  if (answer == NULL)
    return NULL;
  if (nonce == NULL || *nonce == '\0'
      || g_strcmp0 (json_string_value (json_object_get (answer, "op")), "rekey") != 0)
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_BAD_RESPONSE,
                           "The server's op-challenge for the new device key has no nonce: "
                           "it may not be an entsec server");
      return NULL;
    }
  return g_strdup (nonce);
}

/* {v, nonce, new_key, proof}: the proof signed by @new_key over the old and new thumbprints. */
static char *
rekey_body (EntsecDeviceSession *session,
            EVP_PKEY            *new_key,
            const char          *new_jkt,
            const char          *nonce,
            GError             **error)
{
  g_autofree char *proof = NULL;
  g_autoptr (json_t) jwk = NULL;
  g_autoptr (json_t) body = NULL;

  proof = entsec_rekey_proof_sign (new_key, entsec_device_session_get_device_id (session), nonce,
                                   entsec_device_session_get_key_jkt (session), new_jkt, error);
  jwk = proof != NULL ? entsec_jwk_export_json (new_key, error) : NULL;
  if (jwk == NULL)
    return NULL;
  body = json_pack ("{s:i, s:s, s:O, s:s}", "v", 1, "nonce", nonce, "new_key", jwk,
                    "proof", proof);
  return entsec_json_dump (body);
}

/* The answer's registration: the authority's, for this device, the new key and epoch. */
static gboolean
check_registration (EntsecDeviceSession *session,
                    const char          *jws,
                    const char          *new_jkt,
                    GError             **error)
{
  g_autoptr (EVP_PKEY) key = NULL;
  g_autoptr (GBytes) data = NULL;
  g_autoptr (json_t) payload = NULL;
  const char *text;
  gsize len = 0;

  if (jws != NULL)
    key = entsec_authority_key_for (entsec_device_session_get_authority (session),
                                    entsec_device_session_get_authority_jkt (session), jws,
                                    entsec_device_session_get_issuer (session), NULL, NULL);
  if (key != NULL)
    data = entsec_jws_verify (jws, strlen (jws), key, REGISTRATION_TYP, NULL);
  text = data != NULL ? g_bytes_get_data (data, &len) : NULL;
  if (text != NULL)
    payload = entsec_json_load_object (text, len, ENTSEC_JSON_MAX_BYTES, ENTSEC_JSON_MAX_DEPTH,
                                       "The registration", NULL);
  if (payload == NULL)
    return bad_answer (error, "its registration is not signed by the pinned authority key");
  if (g_strcmp0 (json_string_value (json_object_get (payload, "iss")),
                 entsec_device_session_get_issuer (session)) != 0
      || g_strcmp0 (json_string_value (json_object_get (payload, "device_id")),
                    entsec_device_session_get_device_id (session)) != 0
      || g_strcmp0 (json_string_value (json_object_get (payload, "key_jkt")), new_jkt) != 0
      || json_integer_value (json_object_get (payload, "key_epoch"))
         != entsec_device_session_get_key_epoch (session) + 1)
    return bad_answer (error, "its registration is for another server, device, key or epoch");
  return TRUE;
}

/* A verified answer: the new key and epoch, the registration, then the new policy. */
static gboolean
take_answer (EntsecDeviceSession *session,
             json_t              *answer,
             const char          *new_jkt,
             GCancellable        *cancellable,
             GError             **error)
{
  const char *registration = json_string_value (json_object_get (answer, "registration"));
  const char *policy = json_string_value (json_object_get (answer, "policy"));
  gboolean changed = FALSE;
  gboolean wiped = FALSE;

  if (policy == NULL)
    return bad_answer (error, "it has no policy");
  if (!check_registration (session, registration, new_jkt, error)
      || !entsec_device_session_end_rekey (session, TRUE, cancellable, error)
      || !entsec_vault_set_pref_sync (entsec_device_session_get_vault (session),
                                      ENTSEC_PREF_REGISTRATION,
                                      g_variant_new_string (registration), cancellable, error))
    return FALSE;
  /* The key is taken whatever happens to the policy: a refused one stays out of force. */
  return entsec_policy_take (session, policy, &changed, &wiped, cancellable, error);
}

/* POST .../keys/rotate with the pending @new_key; the answer decides what is kept. */
static gboolean
rotate (EntsecDeviceSession *session,
        EVP_PKEY            *new_key,
        const char          *new_jkt,
        const char          *body,
        GCancellable        *cancellable,
        GError             **error)
{
  g_autoptr (EntsecHttpResponse) response = NULL;
  g_autoptr (json_t) answer = NULL;
  const char *data;
  gsize len = 0;

  if (!entsec_device_session_begin_rekey (session, new_key, cancellable, error))
    return FALSE;
  response = entsec_device_session_send (session, "POST", "/keys/rotate", body, NULL, error);
  /* No answer: the pending key stays, and the next request finds out (8.17). */
  if (response == NULL)
    return FALSE;
  if (!entsec_device_session_check (session, response, error))
    {
      /* Refused: the server kept the old key. */
      entsec_device_session_end_rekey (session, FALSE, cancellable, NULL);
      return FALSE;
    }
  data = g_bytes_get_data (response->body, &len);
  answer = entsec_json_load_object (data, len, ENTSEC_JSON_MAX_BYTES, ENTSEC_JSON_MAX_DEPTH,
                                    "The rekey answer", NULL);
  if (answer == NULL)
    return bad_answer (error, "it is not a JSON object");
  return take_answer (session, answer, new_jkt, cancellable, error);
}

gint64
entsec_enterprise_device_rekey_sync (EntsecVault   *vault,
                                     gint64         now,
                                     GCancellable  *cancellable,
                                     GError       **error)
{
  g_autoptr (EntsecDeviceSession) session = NULL;
  g_autoptr (EVP_PKEY) new_key = NULL;
  g_autofree char *new_jkt = NULL;
  g_autofree char *nonce = NULL;
  g_autofree char *body = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), 0);

  session = entsec_device_session_new (vault, now, cancellable, error);
  if (session == NULL)
    return 0;
  new_key = entsec_ec_generate (error);
  new_jkt = new_key != NULL ? entsec_jwk_thumbprint (new_key, error) : NULL;
  nonce = new_jkt != NULL ? rekey_nonce (session, error) : NULL;
  body = nonce != NULL ? rekey_body (session, new_key, new_jkt, nonce, error) : NULL;
  if (body == NULL || !rotate (session, new_key, new_jkt, body, cancellable, error))
    return 0;
  g_info ("The device key was replaced; requests are now signed at epoch %" G_GINT64_FORMAT,
          entsec_device_session_get_key_epoch (session));
  return entsec_device_session_get_key_epoch (session);
}

typedef struct
{
  gint64 now;
} RekeyData;

static void
rekey_thread (GTask        *task,
              gpointer      source,
              gpointer      data,
              GCancellable *cancellable)
{
  RekeyData *rekey = data;
  GError *error = NULL;
  gint64 epoch = entsec_enterprise_device_rekey_sync (source, rekey->now, cancellable, &error);

  if (epoch > 0)
    g_task_return_int (task, epoch);
  else
    g_task_return_error (task, error);
}

void
entsec_enterprise_device_rekey_async (EntsecVault         *vault,
                                      gint64               now,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  RekeyData *data = g_new0 (RekeyData, 1);

  g_return_if_fail (ENTSEC_IS_VAULT (vault));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  data->now = now;
  task = g_task_new (vault, cancellable, callback, user_data);
  g_task_set_source_tag (task, entsec_enterprise_device_rekey_async);
  g_task_set_task_data (task, data, g_free);
  g_task_run_in_thread (task, rekey_thread);
}

gint64
entsec_enterprise_device_rekey_finish (EntsecVault   *vault,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, vault), 0);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result))
                        == entsec_enterprise_device_rekey_async, 0);
  return MAX (g_task_propagate_int (G_TASK (result), error), 0);
}
