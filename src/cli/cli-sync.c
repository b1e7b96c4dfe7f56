/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cli-sync.c: sync an enrolled vault (policy, tokens) and show the policy in force */

#include "config.h"

#include <string.h>

#include <jansson.h>

#include "cli-private.h"

int
cli_enterprise_report (const GError *error)
{
  cli_print_error ("%s", error->message);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
    return CLI_EXIT_BAD_INPUT;
  if (error->domain != ENTSEC_NET_ERROR)
    return cli_vault_exit_code (error);
  switch (error->code)
    {
    case ENTSEC_NET_ERROR_NOT_ENROLLED:
    case ENTSEC_NET_ERROR_INVALID_CODE:
    case ENTSEC_NET_ERROR_ENROLLMENT_EXPIRED:
    case ENTSEC_NET_ERROR_POLICY_INVALID:
    case ENTSEC_NET_ERROR_POLICY_ROLLBACK:
      return CLI_EXIT_BAD_INPUT;
    case ENTSEC_NET_ERROR_UNTRUSTED:
    case ENTSEC_NET_ERROR_EXPIRED:
    case ENTSEC_NET_ERROR_WRONG_HOST:
    case ENTSEC_NET_ERROR_PIN_MISMATCH:
    case ENTSEC_NET_ERROR_REVOKED:
    case ENTSEC_NET_ERROR_SIGNATURE:
    case ENTSEC_NET_ERROR_CLOCK_SKEW:
    case ENTSEC_NET_ERROR_CLIENT_TOO_OLD:
    case ENTSEC_NET_ERROR_FORBIDDEN:
    case ENTSEC_NET_ERROR_DEVICE_KEY_LOST:
      return CLI_EXIT_AUTH;
    default:
      return CLI_EXIT_FAILURE;
    }
}

static void
print_sync_json (const EntsecEnterpriseSync *sync)
{
  json_t *added = json_array ();

  for (guint i = 0; i < sync->added->len; i++)
    json_array_append_new (added, json_string (g_ptr_array_index (sync->added, i)));
  cli_vault_print_json (json_pack ("{s:I, s:I, s:b, s:s?, s:b, s:o, s:s?}",
                                   "old_policy_version", (json_int_t) sync->old_policy_version,
                                   "policy_version", (json_int_t) sync->policy_version,
                                   "policy_changed", sync->policy_changed,
                                   "state", sync->device_state,
                                   "wiped", sync->wiped,
                                   "added", added,
                                   "clock_warning", sync->clock_warning));
}

static void
print_sync (const EntsecEnterpriseSync *sync)
{
  g_autofree char *old_version = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                  sync->old_policy_version);
  g_autofree char *version = g_strdup_printf ("%" G_GINT64_FORMAT, sync->policy_version);

  if (sync->wiped)
    {
      printf (_("This device was revoked by the server: its enterprise accounts and "
                "settings were removed from the vault\n"));
      return;
    }
  if (sync->policy_changed)
    printf (_("Policy: version %s now in force (was %s)\n"), version, old_version);
  else
    printf (_("Policy: version %s, unchanged\n"), version);
  if (g_strcmp0 (sync->device_state, "active") != 0)
    printf (_("Device state: %s; no tokens are delivered until it is active again\n"),
            sync->device_state != NULL ? sync->device_state : "?");
  for (guint i = 0; i < sync->added->len; i++)
    printf (_("Added managed account: %s\n"), (const char *) g_ptr_array_index (sync->added, i));
  if (sync->added->len == 0)
    printf (_("Tokens: nothing new\n"));
}

int
cli_cmd_sync (int    argc,
              char **argv)
{
  gboolean json = FALSE;
  gint64 time_option = -1;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print what changed as JSON"), NULL },
    /* Hidden, for tests: sign and check with this Unix time instead of the clock. */
    { "time", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64, &time_option, NULL, NULL },
    { NULL }
  };
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (EntsecEnterpriseSync) sync = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  vault = cli_vault_parse_and_open ("sync", "",
                                    N_("Fetch this device's policy from its enterprise server "
                                       "and receive the tokens\nprovisioned for it (stored as "
                                       "managed accounts); print what changed."),
                                    entries, &argc, &argv, &status);
  if (vault == NULL)
    return status;
  sync = entsec_enterprise_sync_sync (vault, time_option > 0 ? time_option : 0, NULL, &error);
  if (sync == NULL)
    return cli_enterprise_report (error);
  if (sync->clock_warning != NULL)
    cli_print_error ("%s", sync->clock_warning);
  if (json)
    print_sync_json (sync);
  else
    print_sync (sync);
  return CLI_EXIT_OK;
}

static const char *
unlock_name (EntsecUnlockRequired required)
{
  switch (required)
    {
    case ENTSEC_UNLOCK_REQUIRED_NONE:
      return "none";
    case ENTSEC_UNLOCK_REQUIRED_PIN:
      return "pin";
    case ENTSEC_UNLOCK_REQUIRED_PASSPHRASE:
    default:
      return "passphrase";
    }
}

/* Every setting, "section.key  value", in the policy's order. */
static void
print_settings (const char *settings_json)
{
  json_t *settings = json_loads (settings_json, 0, NULL);
  const char *section;
  json_t *keys;

  json_object_foreach (settings, section, keys)
    {
      const char *key;
      json_t *value;

      json_object_foreach (keys, key, value)
        {
          g_autofree char *name = g_strconcat (section, ".", key, NULL);
          g_autofree char *text = json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY);

          printf ("  %-32s %s\n", name, text);
        }
    }
  json_decref (settings);
}

static char *
time_text (gint64 seconds)
{
  g_autoptr (GDateTime) time = g_date_time_new_from_unix_utc (seconds);

  return time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M:%S UTC")
                      : g_strdup_printf ("%" G_GINT64_FORMAT, seconds);
}

static void
print_policy (const EntsecEnterprisePolicy *policy)
{
  g_autofree char *version = g_strdup_printf ("%" G_GINT64_FORMAT, policy->version);
  g_autofree char *issued = time_text (policy->issued_at);
  g_autofree char *expires = time_text (policy->expires_at);

  printf (_("Policy version:  %s\n"), version);
  printf (_("Device state:    %s\n"), policy->device_state != NULL ? policy->device_state : "?");
  printf (_("Issued:          %s\n"), issued);
  printf (_("Expires:         %s\n"), expires);
  printf (_("Export allowed:  %s\n"), policy->allow_export ? _("yes") : _("no"));
  printf (_("Settings (each as the server compiled it from the device's, user's and tenant's "
            "policies and its defaults; the policy does not say which one set it):\n"));
  print_settings (policy->settings_json);
}

int
cli_cmd_policy (int    argc,
                char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the policy as JSON"), NULL },
    { NULL }
  };
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (EntsecEnterprisePolicy) policy = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  vault = cli_vault_parse_and_open ("policy", "",
                                    N_("Show the enterprise policy in force in this vault (as "
                                       "last synced; no network)."),
                                    entries, &argc, &argv, &status);
  if (vault == NULL)
    return status;
  policy = entsec_enterprise_policy_load_sync (vault, NULL, &error);
  if (policy == NULL && error != NULL)
    return cli_enterprise_report (error);
  if (policy == NULL)
    {
      cli_print_error (_("this vault is not enrolled; enroll it with 'entsec-cli enroll'"));
      return CLI_EXIT_BAD_INPUT;
    }
  if (json)
    {
      cli_vault_print_json (json_pack ("{s:I, s:s?, s:I, s:I, s:I, s:s, s:b, s:I, s:o}",
                                       "policy_version", (json_int_t) policy->version,
                                       "state", policy->device_state,
                                       "iat", (json_int_t) policy->issued_at,
                                       "nbf", (json_int_t) policy->not_before,
                                       "exp", (json_int_t) policy->expires_at,
                                       "unlock_required", unlock_name (policy->unlock_required),
                                       "allow_export", policy->allow_export,
                                       "clipboard_clear_after",
                                       (json_int_t) policy->clipboard_clear_after,
                                       "settings", json_loads (policy->settings_json, 0, NULL)));
      return CLI_EXIT_OK;
    }
  print_policy (policy);
  return CLI_EXIT_OK;
}

gboolean
cli_policy_allows_export (EntsecVault *vault,
                          int         *exit_code)
{
  g_autoptr (EntsecEnterprisePolicy) policy = NULL;
  g_autoptr (GError) error = NULL;

  policy = entsec_enterprise_policy_load_sync (vault, NULL, &error);
  if (policy == NULL && error != NULL)
    {
      *exit_code = cli_enterprise_report (error);
      return FALSE;
    }
  if (policy != NULL && !policy->allow_export)
    {
      g_autofree char *version = g_strdup_printf ("%" G_GINT64_FORMAT, policy->version);

      cli_print_error (_("export: your organisation's policy (version %s) does not allow "
                         "exporting accounts; ask your administrator"), version);
      *exit_code = CLI_EXIT_AUTH;
      return FALSE;
    }
  return TRUE;
}

/* ---- heartbeat ---------------------------------------------------------------- */

json_t *
cli_heartbeat_to_json (const EntsecEnterpriseHeartbeat *heartbeat)
{
  json_t *drifted = json_array ();

  for (gsize i = 0; heartbeat->drifted[i] != NULL; i++)
    json_array_append_new (drifted, json_string (heartbeat->drifted[i]));
  return json_pack ("{s:s, s:s, s:o, s:I, s:b, s:b, s:b, s:I, s:s?}",
                    "binding", heartbeat->binding,
                    "action", heartbeat->action,
                    "drifted", drifted,
                    "policy_version", (json_int_t) heartbeat->policy_version,
                    "policy_changed", heartbeat->policy_changed,
                    "locked", heartbeat->locked,
                    "wiped", heartbeat->wiped,
                    "interval", (json_int_t) heartbeat->interval,
                    "clock_warning", heartbeat->clock_warning);
}

void
cli_print_heartbeat (const EntsecEnterpriseHeartbeat *heartbeat)
{
  if (strcmp (heartbeat->binding, "ok") == 0)
    printf (_("Binding: this device matches its registration\n"));
  else
    printf (_("Binding: this device no longer matches its registration\n"));
  for (gsize i = 0; heartbeat->drifted[i] != NULL; i++)
    printf (_("Changed since registration: %s\n"), heartbeat->drifted[i]);
  if (heartbeat->wiped)
    printf (_("The enterprise data of this vault was wiped by the binding rule\n"));
  else if (heartbeat->locked)
    printf (_("The binding rule suspended this device and locked the vault: ask your "
              "administrator\n"));
  else if (strcmp (heartbeat->action, "warn") == 0)
    printf (_("Your administrator was told; nothing else changes\n"));
  fflush (stdout);
}

int
cli_cmd_heartbeat (int    argc,
                   char **argv)
{
  gboolean json = FALSE;
  gint64 time_option = -1;
  g_autofree char *device_root = NULL;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the outcome as JSON"), NULL },
    /* Hidden, for tests: sign with this Unix time; read the claims under DIR. */
    { "time", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64, &time_option, NULL, NULL },
    { "device-root", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &device_root, NULL, NULL },
    { NULL }
  };
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (EntsecEnterpriseHeartbeat) heartbeat = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  vault = cli_vault_parse_and_open ("heartbeat", "",
                                    N_("Send this device's status with its claims of now to its "
                                       "enterprise server, show what\nchanged since its "
                                       "registration and carry out the policy's binding rule\n"
                                       "(warn, lock or wipe) as the server answers."),
                                    entries, &argc, &argv, &status);
  if (vault == NULL)
    return status;
  heartbeat = entsec_enterprise_heartbeat_sync (vault, device_root,
                                                time_option > 0 ? time_option : 0, NULL, &error);
  if (heartbeat == NULL)
    return cli_enterprise_report (error);
  if (heartbeat->clock_warning != NULL)
    cli_print_error ("%s", heartbeat->clock_warning);
  if (json)
    cli_vault_print_json (cli_heartbeat_to_json (heartbeat));
  else
    cli_print_heartbeat (heartbeat);
  return CLI_EXIT_OK;
}
