/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cli-status.c: entsec-cli status and unbind, and the offline grace before codes */

#include "config.h"

#include <jansson.h>

#include "cli-private.h"

gboolean
cli_enterprise_offline_check (EntsecVault *vault,
                              gint64       now,
                              int         *exit_code)
{
  g_autoptr (GError) error = NULL;
  EntsecOfflineState state;

  if (!entsec_enterprise_offline_check_sync (vault, now, &state, NULL, &error))
    {
      *exit_code = cli_enterprise_report (error);
      return FALSE;
    }
  if (state == ENTSEC_OFFLINE_WIPED)
    cli_print_error (_("this device was out of touch with its enterprise server for longer "
                       "than your organisation's policy allows: its enterprise accounts and "
                       "settings were removed (personal accounts are kept); enroll again to "
                       "get them back"));
  return TRUE;
}

/* "2026-11-30 12:00:00 UTC", or @never for 0. */
static char *
time_or (gint64      seconds,
         const char *never)
{
  g_autoptr (GDateTime) time = seconds > 0 ? g_date_time_new_from_unix_utc (seconds) : NULL;

  return time != NULL ? g_date_time_format (time, "%Y-%m-%d %H:%M:%S UTC") : g_strdup (never);
}

char *
cli_remote_wipe_notice (EntsecVault *vault,
                        gboolean     completed_only)
{
  g_autofree EntsecRemoteWipe *wipe = entsec_enterprise_remote_wipe_get_sync (vault, NULL, NULL);
  g_autofree char *day = NULL;
  g_autoptr (GDateTime) time = NULL;

  if (wipe == NULL || (completed_only && wipe->completed_at == 0))
    return NULL;
  time = g_date_time_new_from_unix_utc (wipe->ordered_at > 0 ? wipe->ordered_at
                                                             : wipe->received_at);
  day = time != NULL ? g_date_time_format (time, "%Y-%m-%d") : g_strdup ("?");
  if (wipe->reason == ENTSEC_WIPE_FAILED_UNLOCKS && wipe->completed_at == 0)
    return g_strdup_printf (_("Too many wrong unlocks on %s: as your organisation's policy "
                              "requires, this device's key is destroyed and its enterprise "
                              "accounts and settings are removed when the vault is next "
                              "unlocked (personal accounts are kept)"), day);
  if (wipe->reason == ENTSEC_WIPE_FAILED_UNLOCKS)
    return g_strdup_printf (_("Too many wrong unlocks on %s: as your organisation's policy "
                              "requires, this device's enterprise accounts and settings were "
                              "removed (personal accounts are kept); enroll again to get them "
                              "back"), day);
  if (wipe->completed_at == 0)
    return g_strdup_printf (_("Your organisation wiped this device on %s: its device key is "
                              "destroyed; its enterprise accounts and settings are removed "
                              "when the vault is next unlocked (personal accounts are kept)"),
                            day);
  return g_strdup_printf (_("Your organisation wiped this device on %s: its enterprise "
                            "accounts and settings were removed (personal accounts are kept); "
                            "enroll again to get them back"), day);
}

static const char *
offline_name (EntsecOfflineState state)
{
  switch (state)
    {
    case ENTSEC_OFFLINE_BLOCKED:
      return "blocked";
    case ENTSEC_OFFLINE_WIPED:
      return "wiped";
    case ENTSEC_OFFLINE_OK:
    default:
      return "ok";
    }
}

static void
print_status_json (const EntsecEnterpriseStatus *status)
{
  json_t *root = json_pack ("{s:s?, s:s?, s:s?, s:s?, s:s?, s:b, s:s?, s:b, s:I, s:I, s:I, s:I,"
                            " s:i, s:s, s:I, s:I, s:s?}",
                            "server", status->server, "tenant", status->tenant,
                            "device_id", status->device_id, "user", status->user_name,
                            "state", status->state,
                            "state_from_server", status->state_from_server,
                            "contact_error", status->contact_error,
                            "wiped", status->wiped,
                            "policy_version", (json_int_t) status->policy_version,
                            "policy_exp", (json_int_t) status->policy_expires_at,
                            "last_contact", (json_int_t) status->last_contact,
                            "last_sync", (json_int_t) status->last_sync,
                            "pending_approvals", (int) status->pending_approvals,
                            "offline", offline_name (status->offline),
                            "offline_block_at", (json_int_t) status->offline_block_at,
                            "offline_wipe_at", (json_int_t) status->offline_wipe_at,
                            "clock_warning", status->clock_warning);

  json_object_set_new (root, "registered_at", json_integer (status->registered_at));
  json_object_set_new (root, "device_key", json_string (status->key_in_keyring ? "keyring"
                                                                                : "vault"));
  json_object_set_new (root, "device_key_problem", status->key_problem != NULL
                                                   ? json_string (status->key_problem)
                                                   : json_null ());
  json_object_set_new (root, "vault_locked", json_boolean (status->vault_locked));
  json_object_set_new (root, "clock_skew", status->skew_known
                                           ? json_integer (status->skew) : json_null ());
  cli_vault_print_json (root);
}

static void
print_offline (const EntsecEnterpriseStatus *status)
{
  g_autofree char *block = time_or (status->offline_block_at, _("never"));
  g_autofree char *wipe = time_or (status->offline_wipe_at, _("never"));

  if (status->offline == ENTSEC_OFFLINE_BLOCKED)
    printf (_("Offline grace:     expired: managed accounts' codes are blocked until a sync; "
              "enterprise data wiped from %s\n"), wipe);
  else
    printf (_("Offline grace:     codes blocked from %s, enterprise data wiped from %s "
              "(unless the server is reached before)\n"), block, wipe);
}

static void
print_device_key (const EntsecEnterpriseStatus *status)
{
  if (status->key_in_keyring)
    printf (_("Device key:        sealed under its own key in the keyring: sign-in requests "
              "and commands arrive while the vault is locked\n"));
  else
    printf (_("Device key:        in the vault (%s): sign-in requests and commands arrive "
              "only while the vault is unlocked\n"),
            status->key_problem != NULL ? status->key_problem : _("no keyring available"));
}

/* What a locked vault tells without its data key. */
static void
print_locked_status (const EntsecEnterpriseStatus *status)
{
  g_autofree char *contact = time_or (status->last_contact, _("never"));

  printf (_("Server:            %s\n"), status->server);
  printf (_("Device:            %s\n"), status->device_id);
  printf (_("Last contact:      %s\n"), contact);
  printf (_("Pending approvals: %u\n"), status->pending_approvals);
  print_device_key (status);
  printf (_("The vault is locked: unlock it to see the policy, the state and the offline "
            "grace\n"));
}

static void
print_status (const EntsecEnterpriseStatus *status)
{
  g_autofree char *version = g_strdup_printf ("%" G_GINT64_FORMAT, status->policy_version);
  g_autofree char *fetched = time_or (status->last_contact, _("never"));
  g_autofree char *expires = time_or (status->policy_expires_at, "?");
  g_autofree char *synced = time_or (status->last_sync, _("never"));
  g_autofree char *skew = g_strdup_printf ("%+" G_GINT64_FORMAT, status->skew);

  printf (_("Server:            %s\n"), status->server);
  printf (_("Tenant:            %s\n"), status->tenant != NULL ? status->tenant : "?");
  printf (_("Device:            %s\n"), status->device_id);
  if (status->user_name != NULL)
    printf (_("User:              %s\n"), status->user_name);
  if (status->state_from_server)
    printf (_("State:             %s (as the server says now)\n"), status->state);
  else
    printf (_("State:             %s (as last stored: the server was not asked)\n"),
            status->state != NULL ? status->state : "?");
  if (status->wiped)
    {
      printf (_("This device's enterprise accounts and settings were removed (personal "
                "accounts are kept)\n"));
      return;
    }
  printf (_("Policy:            version %s, expires %s\n"), version, expires);
  printf (_("Last contact:      %s\n"), fetched);
  printf (_("Last sync:         %s\n"), synced);
  printf (_("Pending approvals: %u\n"), status->pending_approvals);
  print_device_key (status);
  if (status->skew_known)
    printf (_("Clock skew:        %s s (the server's clock minus this one's)\n"), skew);
  else
    printf (_("Clock skew:        not measured (no answer from the server)\n"));
  print_offline (status);
}

/* 0 usable, 1 server not reached, 4 not active, blocked or wiped (3: not enrolled, earlier). */
static int
status_exit_code (const EntsecEnterpriseStatus *status)
{
  if (status->vault_locked)
    return CLI_EXIT_OK;
  if (status->wiped || status->offline != ENTSEC_OFFLINE_OK
      || g_strcmp0 (status->state, "active") != 0)
    return CLI_EXIT_AUTH;
  return status->contact_error != NULL ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

/*
 * No status: a device wiped by its organisation says when; one whose key
 * went with the login keyring says to enroll again (state "key_lost").
 */
static int
status_failed (EntsecVault  *vault,
               const GError *error,
               gboolean      json)
{
  g_autofree char *notice = cli_remote_wipe_notice (vault, FALSE);
  g_autofree EntsecRemoteWipe *wipe = NULL;
  json_t *root;

  if (notice == NULL && !g_error_matches (error, ENTSEC_NET_ERROR,
                                          ENTSEC_NET_ERROR_DEVICE_KEY_LOST))
    return cli_enterprise_report (error);
  if (!json && notice == NULL)
    return cli_enterprise_report (error);
  if (!json)
    {
      cli_print_error ("%s", notice);
      return CLI_EXIT_BAD_INPUT;
    }
  wipe = entsec_enterprise_remote_wipe_get_sync (vault, NULL, NULL);
  root = json_pack ("{s:s, s:s}", "state", wipe != NULL ? "wiped" : "key_lost",
                    "message", notice != NULL ? notice : error->message);
  if (wipe != NULL)
    json_object_set_new (root, "remote_wipe",
                         json_pack ("{s:I, s:I, s:I, s:s}",
                                    "ordered_at", (json_int_t) wipe->ordered_at,
                                    "received_at", (json_int_t) wipe->received_at,
                                    "completed_at", (json_int_t) wipe->completed_at,
                                    "reason", wipe->reason == ENTSEC_WIPE_FAILED_UNLOCKS
                                              ? "failed_unlocks" : "ordered"));
  cli_vault_print_json (root);
  return wipe != NULL ? CLI_EXIT_BAD_INPUT : CLI_EXIT_AUTH;
}

int
cli_cmd_status (int    argc,
                char **argv)
{
  gboolean json = FALSE;
  gboolean offline = FALSE;
  gboolean locked = FALSE;
  gint64 time_option = -1;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the status as JSON"), NULL },
    { "offline", 0, 0, G_OPTION_ARG_NONE, &offline,
      N_("Do not ask the server: show what the vault knows"), NULL },
    LOCKED_OPTION (&locked),
    /* Hidden, for tests: sign and check with this Unix time instead of the clock. */
    { "time", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64, &time_option, NULL, NULL },
    { NULL }
  };
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (EntsecEnterpriseStatus) status = NULL;
  g_autoptr (GError) error = NULL;
  int code;

  vault = cli_vault_parse_and_open_events ("status", "",
                                    N_("Show this device's enterprise status: server, tenant, "
                                       "device, its state as the\nserver says it (one policy "
                                       "fetch), the policy, the last sync, pending approvals,\n"
                                       "clock skew and the offline grace.\n\nExit status: 0 "
                                       "active and usable, 1 the server could not be reached,\n"
                                       "3 not enrolled (or wiped by your organisation), 4 "
                                       "suspended, revoked, unbound, blocked,\nwiped offline, "
                                       "or the device key lost with the login keyring."),
                                    entries, &locked, &argc, &argv, &code);
  if (vault == NULL)
    return code;
  status = entsec_enterprise_status_sync (vault, time_option > 0 ? time_option : 0, !offline,
                                          NULL, &error);
  if (status == NULL)
    return status_failed (vault, error, json);
  if (status->contact_error != NULL)
    cli_print_error (_("the server could not be reached: %s"), status->contact_error);
  if (status->clock_warning != NULL)
    cli_print_error ("%s", status->clock_warning);
  if (json)
    print_status_json (status);
  else if (status->vault_locked)
    print_locked_status (status);
  else
    print_status (status);
  return status_exit_code (status);
}

int
cli_cmd_unbind (int    argc,
                char **argv)
{
  gboolean json = FALSE;
  gboolean yes = FALSE;
  gint64 time_option = -1;
  GOptionEntry entries[] = {
    { "yes", 0, 0, G_OPTION_ARG_NONE, &yes,
      N_("Confirm: this removes the enterprise accounts from this vault"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the receipt as JSON"), NULL },
    { "time", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64, &time_option, NULL, NULL },
    { NULL }
  };
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (EntsecUnbindReceipt) receipt = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *issued = NULL;
  int code;

  vault = cli_vault_parse_and_open ("unbind", "",
                                    N_("Unbind this device from its enterprise server: the "
                                       "server signs a receipt, then the\nenterprise accounts, "
                                       "device key, policy and settings are removed from the\n"
                                       "vault and the keyring. Personal accounts are kept."),
                                    entries, &argc, &argv, &code);
  if (vault == NULL)
    return code;
  if (!yes)
    {
      cli_print_error (_("unbind: this removes the enterprise accounts and settings from the "
                         "vault; confirm with --yes"));
      return CLI_EXIT_USAGE;
    }
  receipt = entsec_enterprise_unbind_sync (vault, time_option > 0 ? time_option : 0, NULL,
                                           &error);
  if (receipt == NULL)
    return cli_enterprise_report (error);
  if (json)
    {
      cli_vault_print_json (json_pack ("{s:s, s:s, s:I, s:s}", "server", receipt->server,
                                       "device_id", receipt->device_id,
                                       "iat", (json_int_t) receipt->issued_at,
                                       "receipt", receipt->receipt));
      return CLI_EXIT_OK;
    }
  issued = time_or (receipt->issued_at, "?");
  printf (_("Unbound: device %s at %s; the server's receipt, signed %s:\n%s\n"),
          receipt->device_id, receipt->server, issued, receipt->receipt);
  printf (_("The enterprise accounts, device key, policy and settings were removed; personal "
            "accounts are kept\n"));
  return CLI_EXIT_OK;
}
