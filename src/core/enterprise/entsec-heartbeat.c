/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-heartbeat.c: the status heartbeat with fresh claims (docs/protocol.md
 * 8.6), compared with those of the registration, and the server's binding
 * rule carried out (warn, lock, wipe).
 */

#include "config.h"

#define G_LOG_DOMAIN "entsec-heartbeat"

#include <string.h>

#include "entsec-base64url.h"
#include "entsec-core-private.h"
#include "entsec-device-claims.h"
#include "entsec-device-session.h"
#include "entsec-enterprise-private.h"
#include "entsec-enterprise-sync.h"
#include "entsec-json.h"
#include "entsec-jws.h"
#include "entsec-protocol.h"

/* The policy's `sync.heartbeat` when the policy in force has none. */
#define HEARTBEAT_DEFAULT_INTERVAL 3600

EntsecDeviceSources *
entsec_enterprise_device_sources (const char *root)
{
  EntsecDeviceSources *sources;
  g_autofree char *sys = NULL;
  g_autofree char *proc = NULL;
  g_autofree char *etc = NULL;

  if (root == NULL)
    return NULL;
  sys = g_build_filename (root, "sys", NULL);
  proc = g_build_filename (root, "proc", NULL);
  etc = g_build_filename (root, "etc", NULL);
  sources = entsec_device_sources_new ();
  entsec_device_sources_set_sysfs_root (sources, sys);
  entsec_device_sources_set_proc_root (sources, proc);
  entsec_device_sources_set_etc_root (sources, etc);
  entsec_device_sources_set_permanent_address_func (sources, NULL, NULL);
  return sources;
}

void
entsec_enterprise_heartbeat_free (EntsecEnterpriseHeartbeat *heartbeat)
{
  if (heartbeat == NULL)
    return;
  g_free (heartbeat->binding);
  g_free (heartbeat->action);
  g_strfreev (heartbeat->drifted);
  g_free (heartbeat->clock_warning);
  g_free (heartbeat);
}

/* The settings of the policy in force (checked when it was stored), or NULL. */
static json_t *
policy_settings (EntsecVault  *vault,
                 GCancellable *cancellable)
{
  g_autofree char *stored = entsec_enterprise_pref_dup_string (vault, ENTSEC_PREF_POLICY,
                                                               cancellable, NULL);
  g_autoptr (json_t) payload = NULL;

  if (stored != NULL)
    payload = entsec_jws_peek (stored, 1, ENTSEC_JWS_MAX_BYTES, "The policy", NULL);
  return json_incref (json_object_get (payload, "settings"));
}

/* The claim groups of the policy's `binding.collect`. */
static gboolean
collect_of (json_t              *settings,
            EntsecDeviceCollect *collect,
            GError             **error)
{
  json_t *names = json_object_get (json_object_get (settings, "binding"), "collect");
  g_autoptr (GPtrArray) list = g_ptr_array_new ();
  gsize i;
  json_t *name;

  if (!json_is_array (names))
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_POLICY_INVALID,
                           "The policy in force does not say which claims to send "
                           "(binding.collect): sync the policy again");
      return FALSE;
    }
  json_array_foreach (names, i, name)
    g_ptr_array_add (list, (gpointer) json_string_value (name));
  g_ptr_array_add (list, NULL);
  return entsec_device_collect_from_names ((const char * const *) list->pdata, collect, error);
}

/* The "device" claims of now, as registration sent them (HMACs under the tenant salt);
 * @items (nullable) gets the same for a person. */
static char *
current_claims (EntsecVault  *vault,
                json_t       *settings,
                const char   *device_root,
                GPtrArray    *items,
                GCancellable *cancellable,
                GError      **error)
{
  g_autofree char *salt_text = entsec_enterprise_pref_dup_string (vault, ENTSEC_PREF_TENANT_SALT,
                                                                  cancellable, NULL);
  g_autoptr (GBytes) salt = NULL;
  g_autoptr (EntsecDeviceSources) sources = NULL;
  g_autoptr (EntsecDeviceClaims) collected = NULL;
  g_autoptr (json_t) claims = NULL;
  EntsecDeviceCollect collect = 0;

  if (salt_text != NULL)
    salt = entsec_base64url_decode (salt_text, -1, "tenant_salt", NULL);
  if (salt == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                           "This vault was enrolled before heartbeats kept the tenant salt: "
                           "enroll it again to send heartbeats");
      return NULL;
    }
  if (!collect_of (settings, &collect, error))
    return NULL;
  sources = entsec_enterprise_device_sources (device_root);
  collected = entsec_device_claims_collect (sources);
  claims = entsec_device_claims_build (collected, salt, collect, ENTSEC_DEVICE_RAW_NONE, items,
                                       error);
  return claims != NULL ? entsec_json_dump (claims) : NULL;
}

/* What the server answered (8.6), checked for shape. */
static gboolean
read_answer (json_t                    *answer,
             EntsecEnterpriseHeartbeat *heartbeat,
             GError                   **error)
{
  static const char *const bindings[] = { "ok", "mismatch", NULL };
  static const char *const actions[] = { "none", "warn", "lock", "wipe", NULL };
  const char *binding = json_string_value (json_object_get (answer, "binding"));
  const char *action = json_string_value (json_object_get (answer, "action"));

  if (binding == NULL || action == NULL || !g_strv_contains (bindings, binding)
      || !g_strv_contains (actions, action)
      || !json_is_integer (json_object_get (answer, "policy_version")))
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_BAD_RESPONSE,
                           "The server's heartbeat answer is not valid: it may not be an entsec "
                           "server, or a newer one; update entsec");
      return FALSE;
    }
  heartbeat->binding = g_strdup (binding);
  heartbeat->action = g_strdup (action);
  heartbeat->policy_version = json_integer_value (json_object_get (answer, "policy_version"));
  return TRUE;
}

/* The fields that differ from the registration's claims (none known: empty). */
static char **
drift_of (EntsecVault  *vault,
          const char   *claims,
          GCancellable *cancellable)
{
  g_autofree char *registered = entsec_enterprise_pref_dup_string (vault, ENTSEC_PREF_CLAIMS,
                                                                   cancellable, NULL);
  char **drifted = registered != NULL ? entsec_device_claims_compare (registered, claims, NULL)
                                      : NULL;

  return drifted != NULL ? drifted : g_new0 (char *, 1);
}

/*
 * The rule as the server applied it: "wipe" removes the enterprise data;
 * otherwise a newer policy is fetched (a "lock" suspends the device), and
 * "lock" then locks the vault.
 */
static gboolean
apply_action (EntsecDeviceSession       *session,
              EntsecEnterpriseHeartbeat *heartbeat,
              GCancellable              *cancellable,
              GError                   **error)
{
  EntsecVault *vault = entsec_device_session_get_vault (session);
  gint64 in_force = entsec_enterprise_pref_get_int64 (vault, ENTSEC_PREF_POLICY_VERSION,
                                                      cancellable, NULL);

  if (strcmp (heartbeat->action, "wipe") == 0)
    {
      heartbeat->wiped = entsec_enterprise_wipe (session, cancellable, error);
      return heartbeat->wiped;
    }
  if (heartbeat->policy_version > in_force
      && !entsec_policy_refresh (session, &heartbeat->policy_changed, &heartbeat->wiped,
                                 cancellable, error))
    return FALSE;
  if (strcmp (heartbeat->action, "lock") == 0 && !heartbeat->wiped)
    {
      entsec_vault_lock_sync (vault);
      heartbeat->locked = TRUE;
    }
  return TRUE;
}

static gint64
interval_of (json_t *settings)
{
  json_int_t seconds = json_integer_value (json_object_get (json_object_get (settings, "sync"),
                                                            "heartbeat"));

  return seconds > 0 ? seconds : HEARTBEAT_DEFAULT_INTERVAL;
}

EntsecEnterpriseHeartbeat *
entsec_enterprise_heartbeat_sync (EntsecVault   *vault,
                                  const char    *device_root,
                                  gint64         now,
                                  GCancellable  *cancellable,
                                  GError       **error)
{
  g_autoptr (EntsecDeviceSession) session = NULL;
  g_autoptr (EntsecEnterpriseHeartbeat) heartbeat = g_new0 (EntsecEnterpriseHeartbeat, 1);
  g_autoptr (json_t) settings = NULL;
  g_autoptr (json_t) claims_json = NULL;
  g_autoptr (json_t) request = NULL;
  g_autoptr (json_t) answer = NULL;
  g_autofree char *claims = NULL;
  g_autofree char *body = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);

  session = entsec_device_session_new (vault, now, cancellable, error);
  if (session == NULL)
    return NULL;
  settings = policy_settings (vault, cancellable);
  heartbeat->interval = interval_of (settings);
  claims = current_claims (vault, settings, device_root, NULL, cancellable, error);
  if (claims == NULL)
    return NULL;
  claims_json = json_loads (claims, 0, NULL);
  request = json_pack ("{s:i, s:O, s:{s:s, s:s}}", "v", 1, "device", claims_json,
                       "client", "name", PACKAGE_NAME, "version", PACKAGE_VERSION);
  body = entsec_json_dump (request);
  answer = entsec_device_session_call_json (session, "POST", "/status", body,
                                            "heartbeat answer", error);
  heartbeat->clock_warning = entsec_device_session_dup_clock_warning (session);
  if (answer == NULL || !read_answer (answer, heartbeat, error))
    return NULL;
  heartbeat->drifted = drift_of (vault, claims, cancellable);
  if (heartbeat->drifted[0] != NULL)
    g_info ("This device's claims differ from its registration (%u fields); the server's rule: "
            "%s", g_strv_length (heartbeat->drifted), heartbeat->action);
  if (!apply_action (session, heartbeat, cancellable, error))
    return NULL;
  return g_steal_pointer (&heartbeat);
}

typedef struct
{
  char *device_root;
  gint64 now;
} HeartbeatData;

static void
heartbeat_data_free (gpointer data)
{
  HeartbeatData *heartbeat = data;

  g_free (heartbeat->device_root);
  g_free (heartbeat);
}

static void
heartbeat_thread (GTask        *task,
                  gpointer      source,
                  gpointer      data,
                  GCancellable *cancellable)
{
  HeartbeatData *input = data;
  GError *error = NULL;
  EntsecEnterpriseHeartbeat *heartbeat = entsec_enterprise_heartbeat_sync (source,
                                                                           input->device_root,
                                                                           input->now,
                                                                           cancellable, &error);

  if (heartbeat != NULL)
    g_task_return_pointer (task, heartbeat, (GDestroyNotify) entsec_enterprise_heartbeat_free);
  else
    g_task_return_error (task, error);
}

void
entsec_enterprise_heartbeat_async (EntsecVault         *vault,
                                   const char          *device_root,
                                   gint64               now,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  HeartbeatData *data = g_new0 (HeartbeatData, 1);

  g_return_if_fail (ENTSEC_IS_VAULT (vault));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  data->device_root = g_strdup (device_root);
  data->now = now;
  task = g_task_new (vault, cancellable, callback, user_data);
  g_task_set_source_tag (task, entsec_enterprise_heartbeat_async);
  g_task_set_task_data (task, data, heartbeat_data_free);
  g_task_run_in_thread (task, heartbeat_thread);
}

EntsecEnterpriseHeartbeat *
entsec_enterprise_heartbeat_finish (EntsecVault   *vault,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, vault), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result))
                        == entsec_enterprise_heartbeat_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

char *
entsec_enterprise_describe_sync (EntsecVault   *vault,
                                 const char    *device_root,
                                 GPtrArray    **items,
                                 GCancellable  *cancellable,
                                 GError       **error)
{
  g_autoptr (json_t) settings = NULL;
  g_autoptr (GPtrArray) list = NULL;
  char *claims;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!entsec_vault_is_unlocked (vault))
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_LOCKED,
                           "The vault is locked: unlock it to see what this device shares");
      return NULL;
    }
  settings = policy_settings (vault, cancellable);
  if (settings == NULL)
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_NOT_ENROLLED,
                           "This vault is not enrolled with an organization");
      return NULL;
    }
  if (items != NULL)
    list = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_device_share_item_free);
  claims = current_claims (vault, settings, device_root, list, cancellable, error);
  if (claims != NULL && items != NULL)
    *items = g_steal_pointer (&list);
  return claims;
}
