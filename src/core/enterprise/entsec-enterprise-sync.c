/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-enterprise-sync.c: the policy in force, typed, and one sync (policy then tokens) */

#include "config.h"

#define G_LOG_DOMAIN "entsec-sync"

#include <string.h>

#include "entsec-enterprise-private.h"
#include "entsec-enterprise-sync.h"
#include "entsec-json.h"
#include "entsec-jws.h"

void
entsec_enterprise_policy_free (EntsecEnterprisePolicy *policy)
{
  if (policy == NULL)
    return;
  g_free (policy->device_state);
  g_free (policy->settings_json);
  g_free (policy);
}

/* Setting "@section.@key" of @settings, or NULL. */
static json_t *
setting (json_t     *settings,
         const char *section,
         const char *key)
{
  return json_object_get (json_object_get (settings, section), key);
}

/* A boolean setting; @fallback (the server's default) when absent. */
static gboolean
setting_bool (json_t     *settings,
              const char *section,
              const char *key,
              gboolean    fallback)
{
  json_t *value = setting (settings, section, key);

  return json_is_boolean (value) ? json_is_true (value) : fallback;
}

/* An integer setting within 0..@max; @fallback otherwise. */
static gint64
setting_int (json_t     *settings,
             const char *section,
             const char *key,
             gint64      max,
             gint64      fallback)
{
  json_t *value = setting (settings, section, key);

  if (!json_is_integer (value) || json_integer_value (value) < 0
      || json_integer_value (value) > max)
    return fallback;
  return json_integer_value (value);
}

static EntsecUnlockRequired
unlock_required_of (json_t *settings)
{
  const char *value = json_string_value (setting (settings, "app_unlock", "required"));

  if (g_strcmp0 (value, "none") == 0)
    return ENTSEC_UNLOCK_REQUIRED_NONE;
  if (g_strcmp0 (value, "pin") == 0)
    return ENTSEC_UNLOCK_REQUIRED_PIN;
  return ENTSEC_UNLOCK_REQUIRED_PASSPHRASE;
}

/* The typed decisions of @payload; defaults as docs/protocol.md 8.5 lists them. */
static EntsecEnterprisePolicy *
policy_of (json_t *payload)
{
  EntsecEnterprisePolicy *policy = g_new0 (EntsecEnterprisePolicy, 1);
  json_t *s = json_object_get (payload, "settings");

  policy->version = json_integer_value (json_object_get (payload, "policy_version"));
  policy->issued_at = json_integer_value (json_object_get (payload, "iat"));
  policy->not_before = json_integer_value (json_object_get (payload, "nbf"));
  policy->expires_at = json_integer_value (json_object_get (payload, "exp"));
  policy->device_state = g_strdup (json_string_value (json_object_get (payload,
                                                                       "device_state")));
  policy->unlock_required = unlock_required_of (s);
  policy->min_pin_length = (guint) setting_int (s, "app_unlock", "min_length", 128, 8);
  policy->max_attempts = (guint) setting_int (s, "app_unlock", "max_attempts", 100, 10);
  policy->wipe_after_max_attempts =
    g_strcmp0 (json_string_value (setting (s, "app_unlock", "after_max_attempts")), "wipe") == 0;
  policy->relock_after_idle = (guint) setting_int (s, "app_unlock", "relock_after_idle", 86400,
                                                   300);
  policy->offline_block_after = setting_int (s, "offline", "block_after", G_MAXINT32, 43200);
  policy->offline_wipe_after = setting_int (s, "offline", "wipe_after", G_MAXINT32, 7776000);
  policy->allow_manual_add = setting_bool (s, "tokens", "allow_manual_add", TRUE);
  policy->allow_qr_import = setting_bool (s, "tokens", "allow_qr_import", TRUE);
  policy->allow_migration_import = setting_bool (s, "tokens", "allow_migration_import", TRUE);
  policy->allow_export = setting_bool (s, "tokens", "allow_export", FALSE);
  policy->allow_user_delete = setting_bool (s, "tokens", "allow_user_delete", TRUE);
  policy->min_digits = (guint) setting_int (s, "tokens", "min_digits", 8, 6);
  policy->allow_copy = setting_bool (s, "clipboard", "allow_copy", TRUE);
  policy->clipboard_clear_after = (guint) setting_int (s, "clipboard", "clear_after", 3600, 30);
  policy->allow_user_unbind = setting_bool (s, "device", "allow_user_unbind", TRUE);
  policy->policy_refresh = (guint) setting_int (s, "sync", "policy_refresh", 86400, 3600);
  policy->settings_json = entsec_json_dump (s);
  return policy;
}

gboolean
entsec_enterprise_keep_unlock_limit (EntsecVault  *vault,
                                     json_t       *payload,
                                     GCancellable *cancellable,
                                     GError      **error)
{
  g_autoptr (EntsecEnterprisePolicy) policy = policy_of (payload);

  return entsec_vault_set_unlock_policy_sync (vault, CLAMP (policy->max_attempts, 1, 100),
                                              policy->wipe_after_max_attempts
                                              ? ENTSEC_UNLOCK_LIMIT_WIPE
                                              : ENTSEC_UNLOCK_LIMIT_DELAY,
                                              cancellable, error);
}

EntsecEnterprisePolicy *
entsec_enterprise_policy_load_sync (EntsecVault   *vault,
                                    GCancellable  *cancellable,
                                    GError       **error)
{
  g_autoptr (EntsecDeviceSession) session = NULL;
  g_autoptr (GVariant) stored = NULL;
  g_autoptr (GBytes) data = NULL;
  g_autoptr (json_t) payload = NULL;
  g_autoptr (GError) local = NULL;
  const char *jws;
  const char *text;
  gsize len = 0;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);

  session = entsec_device_session_new (vault, 0, cancellable, &local);
  if (session == NULL)
    {
      if (!g_error_matches (local, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_NOT_ENROLLED))
        g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  stored = entsec_vault_get_pref_sync (vault, ENTSEC_PREF_POLICY, cancellable, error);
  if (stored == NULL || !g_variant_is_of_type (stored, G_VARIANT_TYPE_STRING))
    {
      if (error == NULL || *error == NULL)
        g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_POLICY_INVALID,
                             "This vault holds no policy: sync it with 'entsec-cli sync'");
      return NULL;
    }
  jws = g_variant_get_string (stored, &len);
  data = entsec_jws_verify (jws, len, entsec_device_session_get_authority (session),
                            "entsec-policy+jwt", NULL);
  text = data != NULL ? g_bytes_get_data (data, &len) : NULL;
  payload = text != NULL ? entsec_json_load_object (text, len, ENTSEC_JSON_MAX_BYTES,
                                                    ENTSEC_JSON_MAX_DEPTH, "The policy", NULL)
                         : NULL;
  if (payload == NULL || !json_is_object (json_object_get (payload, "settings")))
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_POLICY_INVALID,
                           "The stored policy does not check out with the authority key: "
                           "sync again, or ask your administrator");
      return NULL;
    }
  return policy_of (payload);
}

/* ---- One sync --------------------------------------------------------------- */

void
entsec_enterprise_sync_free (EntsecEnterpriseSync *sync)
{
  if (sync == NULL)
    return;
  g_free (sync->device_state);
  g_clear_pointer (&sync->added, g_ptr_array_unref);
  g_free (sync->clock_warning);
  g_free (sync);
}

static gint64
version_in_vault (EntsecVault  *vault,
                  GCancellable *cancellable)
{
  return entsec_enterprise_pref_get_int64 (vault, ENTSEC_PREF_POLICY_VERSION, cancellable, NULL);
}

EntsecEnterpriseSync *
entsec_enterprise_sync_sync (EntsecVault   *vault,
                             gint64         now,
                             GCancellable  *cancellable,
                             GError       **error)
{
  g_autoptr (EntsecDeviceSession) session = NULL;
  g_autoptr (EntsecEnterpriseSync) sync = g_new0 (EntsecEnterpriseSync, 1);
  gboolean ok;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);

  session = entsec_device_session_new (vault, now, cancellable, error);
  if (session == NULL)
    return NULL;
  sync->added = g_ptr_array_new_with_free_func (g_free);
  sync->old_policy_version = version_in_vault (vault, cancellable);
  ok = entsec_policy_refresh (session, &sync->policy_changed, &sync->wiped, cancellable, error);
  sync->clock_warning = entsec_device_session_dup_clock_warning (session);
  if (!ok)
    return NULL;
  if (sync->wiped)
    {
      sync->device_state = g_strdup ("revoked");
      return g_steal_pointer (&sync);
    }
  if (!entsec_enterprise_flush_acks (session, cancellable, NULL))
    g_info ("Acknowledgements of commands still not delivered: the next contact tries again");
  sync->policy_version = version_in_vault (vault, cancellable);
  sync->device_state = entsec_enterprise_pref_dup_string (vault, ENTSEC_PREF_DEVICE_STATE,
                                                          cancellable, NULL);
  /* A suspended device receives nothing (its calls get 403 device_revoked). */
  if (g_strcmp0 (sync->device_state, "active") != 0)
    return g_steal_pointer (&sync);
  if (!entsec_tokens_sync (session, sync->added, cancellable, error)
      || !entsec_vault_set_pref_sync (vault, ENTSEC_PREF_LAST_SYNC,
                                      g_variant_new_int64 (entsec_device_session_now (session)),
                                      cancellable, error))
    return NULL;
  return g_steal_pointer (&sync);
}

typedef struct
{
  gint64 now;
} SyncData;

static void
sync_thread (GTask        *task,
             gpointer      source,
             gpointer      data,
             GCancellable *cancellable)
{
  SyncData *sync_data = data;
  GError *error = NULL;
  EntsecEnterpriseSync *sync = entsec_enterprise_sync_sync (source, sync_data->now, cancellable,
                                                            &error);

  if (sync != NULL)
    g_task_return_pointer (task, sync, (GDestroyNotify) entsec_enterprise_sync_free);
  else
    g_task_return_error (task, error);
}

void
entsec_enterprise_sync_async (EntsecVault         *vault,
                              gint64               now,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  SyncData *data = g_new0 (SyncData, 1);

  g_return_if_fail (ENTSEC_IS_VAULT (vault));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  data->now = now;
  task = g_task_new (vault, cancellable, callback, user_data);
  g_task_set_source_tag (task, entsec_enterprise_sync_async);
  g_task_set_task_data (task, data, g_free);
  g_task_run_in_thread (task, sync_thread);
}

EntsecEnterpriseSync *
entsec_enterprise_sync_finish (EntsecVault   *vault,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, vault), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == entsec_enterprise_sync_async,
                        NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
