/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cli-delete.c: entsec-cli delete-all-data */

#include "config.h"

#include <jansson.h>

#include "cli-private.h"

static void
print_report (const char               *path,
              const EntsecDeleteReport *report)
{
  printf (_("Deleted the vault %s: its accounts (personal ones too), settings and keys, "
            "and its items in the keyring\n"), path);
  if (report->unbound)
    printf (_("This device was unbound from %s first\n"), report->server);
  else if (report->was_enrolled)
    printf (_("The enterprise server %s was not told (%s): it keeps this device until an "
              "administrator removes it\n"), report->server, report->server_problem);
}

static void
print_report_json (const char               *path,
                   const EntsecDeleteReport *report)
{
  json_t *root = json_pack ("{s:s, s:b, s:b, s:b}", "vault", path, "deleted", 1,
                            "enrolled", report->was_enrolled, "unbound", report->unbound);

  if (report->was_enrolled)
    {
      json_object_set_new (root, "server", json_string (report->server));
      json_object_set_new (root, "device_id", json_string (report->device_id));
    }
  if (report->server_problem != NULL)
    json_object_set_new (root, "server_problem", json_string (report->server_problem));
  cli_vault_print_json (root);
}

/* Finish deletions cut short at @path; FALSE (after printing why) when that fails. */
static gboolean
finish_earlier (const char *path,
                guint      *n_finished,
                int        *exit_code)
{
  g_autoptr (GError) error = NULL;

  if (entsec_vault_finish_delete_sync (path, n_finished, NULL, &error))
    return TRUE;
  *exit_code = cli_vault_report (error);
  return FALSE;
}

static int
delete_vault (const CliVaultOptions *options,
              const char            *path,
              gint64                 now,
              gboolean               json)
{
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (EntsecDeleteReport) report = NULL;
  g_autoptr (GError) error = NULL;
  int code;

  vault = cli_vault_open (options, &code);
  if (vault == NULL)
    return code;
  report = entsec_enterprise_delete_all_data_sync (vault, now, NULL, &error);
  if (report == NULL)
    return cli_vault_report (error);
  if (json)
    print_report_json (path, report);
  else
    print_report (path, report);
  return CLI_EXIT_OK;
}

int
cli_cmd_delete_all_data (int    argc,
                         char **argv)
{
  gboolean json = FALSE;
  gboolean yes = FALSE;
  gint64 time_option = -1;
  GOptionEntry entries[] = {
    { "yes", 0, 0, G_OPTION_ARG_NONE, &yes,
      N_("Confirm: this deletes the vault with every account; it cannot be undone"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print what was done as JSON"), NULL },
    { "time", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64, &time_option, NULL, NULL },
    { NULL }
  };
  CliVaultOptions options = { 0 };
  g_autofree char *path = NULL;
  guint n_finished = 0;
  int code = CLI_EXIT_USAGE;

  if (!cli_vault_parse_options ("delete-all-data", "",
                                N_("Delete the vault and everything of it on this computer: "
                                   "every account (personal\nones too), the settings, the "
                                   "device key and the vault's items in the\nkeyring. An "
                                   "enrolled device is unbound first when its server can be\n"
                                   "reached and allows it. A deletion cut short is finished."),
                                entries, &options, &argc, &argv)
      || (path = cli_vault_path (&options)) == NULL)
    goto out;
  if (!yes)
    {
      cli_print_error (_("delete-all-data: this deletes the vault with every account and "
                         "cannot be undone; confirm with --yes"));
      goto out;
    }
  if (!finish_earlier (path, &n_finished, &code))
    goto out;
  if (n_finished > 0)
    printf (_("Finished deleting a vault of %s that was cut short\n"), path);
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    code = delete_vault (&options, path, time_option > 0 ? time_option : 0, json);
  else
    {
      if (n_finished == 0)
        printf (_("No vault at %s: nothing to delete\n"), path);
      code = CLI_EXIT_OK;
    }
out:
  cli_vault_options_clear (&options);
  return code;
}
