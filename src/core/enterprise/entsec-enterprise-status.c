/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-enterprise-status.c: the offline grace (docs/protocol.md 8.5,
 * offline.*), the device's status, and unbinding (8.7)
 */

#include "config.h"

#define G_LOG_DOMAIN "entsec-status"

#include <string.h>

#include "entsec-enterprise-private.h"
#include "entsec-enterprise-sync.h"
#include "entsec-json.h"
#include "entsec-jws.h"

#define RECEIPT_TYP "entsec-receipt+jwt"

static gint64
real_now (gint64 now)
{
  return now > 0 ? now : g_get_real_time () / G_USEC_PER_SEC;
}

/* @from + @limit, or 0 (never) for a limit of 0. */
static gint64
deadline (gint64 from,
          gint64 limit)
{
  return limit > 0 ? from + limit : 0;
}

gboolean
entsec_enterprise_note_contact (EntsecVault   *vault,
                                gint64         now,
                                GCancellable  *cancellable,
                                GError       **error)
{
  g_autoptr (EntsecEnterprisePolicy) policy = NULL;
  const char *names[] = { ENTSEC_PREF_LAST_CONTACT, ENTSEC_PREF_OFFLINE_BLOCK_AT,
                          ENTSEC_PREF_OFFLINE_WIPE_AT, NULL };
  GVariant *values[3];
  gint64 block_at;
  gint64 wipe_at;

  policy = entsec_enterprise_policy_load_sync (vault, cancellable, error);
  if (policy == NULL)
    return error == NULL || *error == NULL;
  now = real_now (now);
  block_at = deadline (now, policy->offline_block_after);
  wipe_at = deadline (now, policy->offline_wipe_after);
  values[0] = g_variant_new_int64 (now);
  values[1] = g_variant_new_int64 (block_at > 0 ? block_at : G_MAXINT64);
  values[2] = g_variant_new_int64 (wipe_at);
  return entsec_vault_set_prefs_sync (vault, names, values, cancellable, error);
}

/* ---- Offline grace ---------------------------------------------------------- */

gboolean
entsec_enterprise_offline_check_sync (EntsecVault        *vault,
                                      gint64              now,
                                      EntsecOfflineState *state,
                                      GCancellable       *cancellable,
                                      GError            **error)
{
  g_autoptr (EntsecDeviceSession) session = NULL;
  g_autoptr (GError) local = NULL;
  gint64 block_at;
  gint64 wipe_at;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (state != NULL, FALSE);

  *state = ENTSEC_OFFLINE_OK;
  now = real_now (now);
  block_at = entsec_enterprise_pref_get_int64 (vault, ENTSEC_PREF_OFFLINE_BLOCK_AT, cancellable,
                                               &local);
  if (local == NULL)
    wipe_at = entsec_enterprise_pref_get_int64 (vault, ENTSEC_PREF_OFFLINE_WIPE_AT, cancellable,
                                                &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (wipe_at > 0 && now >= wipe_at)
    {
      session = entsec_device_session_new (vault, now, cancellable, &local);
      if (session == NULL)
        {
          if (g_error_matches (local, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_NOT_ENROLLED))
            return TRUE;
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      g_info ("Offline for longer than the policy allows: removing the enterprise data");
      if (!entsec_enterprise_wipe (session, cancellable, error))
        return FALSE;
      *state = ENTSEC_OFFLINE_WIPED;
      return TRUE;
    }
  if (block_at > 0 && now >= block_at)
    *state = ENTSEC_OFFLINE_BLOCKED;
  return TRUE;
}

/* ---- Status ----------------------------------------------------------------- */

void
entsec_enterprise_status_free (EntsecEnterpriseStatus *status)
{
  if (status == NULL)
    return;
  g_free (status->server);
  g_free (status->tenant);
  g_free (status->device_id);
  g_free (status->user_name);
  g_free (status->state);
  g_free (status->contact_error);
  g_free (status->clock_warning);
  g_free (status->key_problem);
  g_free (status);
}

/* The tenant the stored registration names and its `iat` (checked when it was stored). */
static void
read_registration (EntsecVault            *vault,
                   EntsecEnterpriseStatus *status,
                   GCancellable           *cancellable)
{
  g_autofree char *jws = entsec_enterprise_pref_dup_string (vault, ENTSEC_PREF_REGISTRATION,
                                                            cancellable, NULL);
  g_autoptr (json_t) payload = NULL;
  json_t *iat;

  if (jws == NULL)
    return;
  payload = entsec_jws_peek (jws, 1, ENTSEC_JWS_MAX_BYTES, "The registration", NULL);
  status->tenant = g_strdup (json_string_value (json_object_get (payload, "tenant")));
  iat = json_object_get (payload, "iat");
  status->registered_at = json_is_integer (iat) ? json_integer_value (iat) : 0;
}

/*
 * Ask the server for the policy: its state, and a contact. A 403 on the
 * policy, the one call a revoked or suspended device may still make, means
 * the device is unbound (or its user disabled).
 */
static void
contact_server (EntsecDeviceSession    *session,
                EntsecEnterpriseStatus *status,
                GCancellable           *cancellable)
{
  g_autoptr (GError) local = NULL;
  gboolean changed = FALSE;

  if (entsec_policy_refresh (session, &changed, &status->wiped, cancellable, &local))
    {
      status->state_from_server = TRUE;
      if (status->wiped)
        status->state = g_strdup ("revoked");
      else if (!entsec_enterprise_flush_acks (session, cancellable, NULL))
        g_info ("Acknowledgements of commands still not delivered");
    }
  else if (g_error_matches (local, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_REVOKED))
    {
      status->state_from_server = TRUE;
      status->state = g_strdup ("unbound");
    }
  else
    status->contact_error = g_strdup (local->message);
  status->skew_known = entsec_device_session_get_skew_known (session);
  status->skew = entsec_device_session_get_skew (session);
  status->clock_warning = entsec_device_session_dup_clock_warning (session);
}

/* The sign-in requests waiting (readable locked: the worker's state). */
static gboolean
count_approvals (EntsecVault            *vault,
                 EntsecEnterpriseStatus *status,
                 gint64                  now,
                 GCancellable           *cancellable,
                 GError                **error)
{
  g_autoptr (GPtrArray) approvals = entsec_enterprise_approvals_list_sync (vault, now,
                                                                           cancellable, error);

  if (approvals == NULL)
    return FALSE;
  status->pending_approvals = approvals->len;
  return TRUE;
}

static gboolean
read_local_status (EntsecVault            *vault,
                   EntsecEnterpriseStatus *status,
                   gint64                  now,
                   GCancellable           *cancellable,
                   GError                **error)
{
  g_autoptr (EntsecEnterprisePolicy) policy = NULL;
  g_autoptr (GError) local = NULL;

  policy = entsec_enterprise_policy_load_sync (vault, cancellable, &local);
  if (policy != NULL)
    {
      status->policy_version = policy->version;
      status->policy_expires_at = policy->expires_at;
      if (status->state == NULL)
        status->state = g_strdup (policy->device_state);
    }
  status->last_contact = MAX (status->last_contact,
                              entsec_enterprise_pref_get_int64 (vault, ENTSEC_PREF_LAST_CONTACT,
                                                                cancellable, NULL));
  status->last_sync = entsec_enterprise_pref_get_int64 (vault, ENTSEC_PREF_LAST_SYNC,
                                                        cancellable, NULL);
  status->offline_block_at = entsec_enterprise_pref_get_int64 (vault,
                                                               ENTSEC_PREF_OFFLINE_BLOCK_AT,
                                                               cancellable, NULL);
  if (status->offline_block_at == G_MAXINT64)
    status->offline_block_at = 0;
  status->offline_wipe_at = entsec_enterprise_pref_get_int64 (vault, ENTSEC_PREF_OFFLINE_WIPE_AT,
                                                              cancellable, NULL);
  return count_approvals (vault, status, now, cancellable, error);
}

/* When the events worker last had an answer (0: never, or unreadable). */
static gint64
last_poll (EntsecDeviceSession *session,
           GCancellable        *cancellable)
{
  g_autoptr (json_t) value = entsec_device_session_load_state (session, ENTSEC_LOCKED_LAST_POLL,
                                                               json_integer (0), cancellable,
                                                               NULL);

  return MAX (json_integer_value (value), 0);
}

/* A locked vault: no policy, no offline grace, no server; the approvals waiting. */
static EntsecEnterpriseStatus *
read_locked_status (EntsecVault            *vault,
                    EntsecEnterpriseStatus *status,
                    gint64                  now,
                    GCancellable           *cancellable,
                    GError                **error)
{
  g_autoptr (EntsecEnterpriseStatus) owned = status;

  owned->vault_locked = TRUE;
  return count_approvals (vault, owned, now, cancellable, error) ? g_steal_pointer (&owned)
                                                                 : NULL;
}

EntsecEnterpriseStatus *
entsec_enterprise_status_sync (EntsecVault   *vault,
                               gint64         now,
                               gboolean       contact,
                               GCancellable  *cancellable,
                               GError       **error)
{
  g_autoptr (EntsecDeviceSession) session = NULL;
  g_autoptr (EntsecEnterpriseStatus) status = g_new0 (EntsecEnterpriseStatus, 1);

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);

  session = entsec_device_session_new (vault, now, cancellable, error);
  if (session == NULL)
    return NULL;
  status->server = g_strdup (entsec_device_session_get_issuer (session));
  status->key_in_keyring = entsec_device_session_get_key_in_keyring (session);
  status->key_problem = g_strdup (entsec_device_session_get_key_problem (session));
  status->device_id = g_strdup (entsec_device_session_get_device_id (session));
  status->last_contact = last_poll (session, cancellable);
  if (!entsec_vault_is_unlocked (vault))
    return read_locked_status (vault, g_steal_pointer (&status), now, cancellable, error);
  read_registration (vault, status, cancellable);
  status->user_name = entsec_enterprise_pref_dup_string (vault, ENTSEC_PREF_USER_NAME,
                                                         cancellable, NULL);
  if (contact)
    contact_server (session, status, cancellable);
  if (status->wiped)
    {
      status->offline = ENTSEC_OFFLINE_WIPED;
      return g_steal_pointer (&status);
    }
  if (!entsec_enterprise_offline_check_sync (vault, now, &status->offline, cancellable, error))
    return NULL;
  if (status->offline == ENTSEC_OFFLINE_WIPED)
    {
      status->wiped = TRUE;
      return g_steal_pointer (&status);
    }
  if (!read_local_status (vault, status, now, cancellable, error))
    return NULL;
  return g_steal_pointer (&status);
}

/* ---- Unbinding -------------------------------------------------------------- */

void
entsec_unbind_receipt_free (EntsecUnbindReceipt *receipt)
{
  if (receipt == NULL)
    return;
  g_free (receipt->server);
  g_free (receipt->device_id);
  g_free (receipt->receipt);
  g_free (receipt);
}

/* POST .../op-challenge for @op: its single-use nonce. */
static char *
op_challenge (EntsecDeviceSession *session,
              const char          *op,
              GError             **error)
{
  g_autoptr (json_t) body = json_pack ("{s:i, s:s}", "v", 1, "op", op);
  g_autofree char *text = entsec_json_dump (body);
  g_autoptr (json_t) answer = NULL;
  const char *nonce;

  answer = entsec_device_session_call_json (session, "POST", "/op-challenge", text,
                                            "op-challenge answer", error);
  if (answer == NULL)
    return NULL;
  nonce = json_string_value (json_object_get (answer, "nonce"));
  if (nonce == NULL || g_strcmp0 (json_string_value (json_object_get (answer, "op")), op) != 0)
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_BAD_RESPONSE,
                           "The server's op-challenge answer is not valid: it may not be an "
                           "entsec server, or a newer one; update entsec");
      return NULL;
    }
  return g_strdup (nonce);
}

/* The receipt's payload when the authority signed it for this device and key, for "unbind". */
static json_t *
check_receipt (EntsecDeviceSession *session,
               const char          *jws,
               GError             **error)
{
  json_t *payload = entsec_enterprise_verify_for_device (session, jws, RECEIPT_TYP,
                                                         "unbind receipt", error);

  if (payload == NULL
      || g_strcmp0 (json_string_value (json_object_get (payload, "op")), "unbind") == 0)
    return payload;
  json_decref (payload);
  g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_BAD_RESPONSE,
                       "The server's receipt is not for unbinding: nothing was removed here; "
                       "try again");
  return NULL;
}

/* Refuse before any request when the policy in force does not allow it. */
static gboolean
unbind_allowed (EntsecVault   *vault,
                GCancellable  *cancellable,
                GError       **error)
{
  g_autoptr (EntsecEnterprisePolicy) policy = NULL;
  g_autoptr (GError) local = NULL;

  policy = entsec_enterprise_policy_load_sync (vault, cancellable, &local);
  if (policy == NULL || policy->allow_user_unbind)
    return TRUE;
  g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_FORBIDDEN,
                       "Your organisation's policy does not let you unbind this device: ask "
                       "your administrator to remove it");
  return FALSE;
}

static char *
post_unbind (EntsecDeviceSession *session,
             const char          *nonce,
             GError             **error)
{
  g_autoptr (json_t) body = json_pack ("{s:i, s:s}", "v", 1, "nonce", nonce);
  g_autofree char *text = entsec_json_dump (body);
  g_autoptr (EntsecHttpResponse) response = NULL;
  g_autoptr (json_t) answer = NULL;
  g_autoptr (GError) local = NULL;
  const char *data;
  gsize len = 0;

  response = entsec_device_session_send (session, "POST", "/unbind", text, NULL, error);
  if (response == NULL)
    return NULL;
  if (!entsec_device_session_check (session, response, &local))
    {
      /* 403 forbidden: the server's policy (maybe newer than ours) says no. */
      if (response->status == 403
          && !g_error_matches (local, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_REVOKED))
        g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_FORBIDDEN,
                             "Your organisation's policy does not let you unbind this device: "
                             "ask your administrator to remove it (sync to see the policy)");
      else
        g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  data = g_bytes_get_data (response->body, &len);
  answer = entsec_json_load_object (data, len, ENTSEC_JSON_MAX_BYTES, ENTSEC_JSON_MAX_DEPTH,
                                    "unbind answer", NULL);
  return g_strdup (json_string_value (json_object_get (answer, "receipt")));
}

EntsecUnbindReceipt *
entsec_enterprise_unbind_sync (EntsecVault   *vault,
                               gint64         now,
                               GCancellable  *cancellable,
                               GError       **error)
{
  g_autoptr (EntsecDeviceSession) session = NULL;
  g_autoptr (EntsecUnbindReceipt) receipt = g_new0 (EntsecUnbindReceipt, 1);
  g_autoptr (json_t) payload = NULL;
  g_autofree char *nonce = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);

  session = entsec_device_session_new (vault, now, cancellable, error);
  if (session == NULL || !unbind_allowed (vault, cancellable, error))
    return NULL;
  nonce = op_challenge (session, "unbind", error);
  receipt->receipt = nonce != NULL ? post_unbind (session, nonce, error) : NULL;
  if (receipt->receipt == NULL)
    {
      if (nonce != NULL && (error == NULL || *error == NULL))
        g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_BAD_RESPONSE,
                             "The server's unbind answer holds no receipt: nothing was removed "
                             "here; try again");
      return NULL;
    }
  payload = check_receipt (session, receipt->receipt, error);
  if (payload == NULL)
    return NULL;
  receipt->server = g_strdup (entsec_device_session_get_issuer (session));
  receipt->device_id = g_strdup (entsec_device_session_get_device_id (session));
  receipt->issued_at = json_integer_value (json_object_get (payload, "iat"));
  if (!entsec_enterprise_wipe (session, cancellable, error))
    return NULL;
  return g_steal_pointer (&receipt);
}
