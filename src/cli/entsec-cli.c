/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-cli.c: the command table and main() of entsec-cli */

#include "config.h"

#include <locale.h>
#include <string.h>

#include "cli-private.h"

static const CliCommand commands[] = {
  { "init", N_("Create the encrypted vault (keyring and/or passphrase)"), cli_cmd_init },
  { "unlock-test", N_("Check that the vault unlocks; count its accounts"),
    cli_cmd_unlock_test },
  { "add", N_("Add accounts: --uri, --from-file, --image or manual flags (all or nothing)"),
    cli_cmd_add },
  { "list", N_("List the vault's accounts (never their secrets)"), cli_cmd_list },
  { "code", N_("Print a code: from a secret (--secret) or a vault account"), cli_cmd_code },
  { "edit", N_("Rename, regroup or pin an account"), cli_cmd_edit },
  { "rm", N_("Delete an account"), cli_cmd_rm },
  { "passwd", N_("Change the vault passphrase (rewraps the key only)"), cli_cmd_passwd },
  { "slots", N_("Show or change what unlocks the vault"), cli_cmd_slots },
  { "export", N_("Back up the vault: encrypted (default) or a plain otpauth:// list"),
    cli_cmd_export },
  { "import", N_("Add the accounts of a backup, otpauth:// list or Aegis export"),
    cli_cmd_import },
  { "parse", N_("Show what otpauth:// and export URIs hold (never the secrets)"), cli_cmd_parse },
  { "scan", N_("Show what the QR codes in image files hold (never the secrets)"), cli_cmd_scan },
  { "enroll", N_("Enroll the vault with an enterprise server (--server or --link)"),
    cli_cmd_enroll },
  { "device", N_("Show the vault's enterprise registration"), cli_cmd_device },
  { "sync", N_("Fetch the enterprise policy and tokens; print what changed"), cli_cmd_sync },
  { "policy", N_("Show the enterprise policy in force"), cli_cmd_policy },
  { "heartbeat", N_("Send the device's status; carry out the binding rule on a mismatch"),
    cli_cmd_heartbeat },
  { "status", N_("Show the enterprise status: state, policy, sync, approvals, clock, offline"),
    cli_cmd_status },
  { "unbind", N_("Unbind this device from its enterprise server; remove enterprise data"),
    cli_cmd_unbind },
  { "delete-all-data", N_("Delete the vault, its keys and settings; unbind first if enrolled"),
    cli_cmd_delete_all_data },
  { "watch", N_("Print the enterprise server's events as they come; carry out its commands"),
    cli_cmd_watch },
  { "approvals", N_("List the sign-in requests waiting for this device"), cli_cmd_approvals },
  { "approve", N_("Approve a sign-in request with the number its screen shows"),
    cli_cmd_approve },
  { "deny", N_("Refuse a sign-in request (--not-me when it was not you)"), cli_cmd_deny },
};

static void
print_usage (FILE *stream)
{
  fputs (_("Usage: entsec-cli COMMAND [OPTION...]\n\n"
           "Enterprise Security authenticator, command-line front end.\n\n"
           "Commands:\n"), stream);
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (stream, "  %-16s %s\n", commands[i].name, _(commands[i].summary));
  fputs (_("\n'entsec-cli COMMAND --help' shows a command's options.\n"
           "Secrets and passphrases are never read from the command line:\n"
           "they come from stdin, a prompt or a file.\n\n"
           "Exit status:\n"
           "  0  success\n"
           "  1  the operation failed (I/O, keyring, crypto)\n"
           "  2  bad command line\n"
           "  3  input rejected (URI, secret, image or file format; a new passphrase\n"
           "     too weak or typed twice differently)\n"
           "  4  wrong passphrase or recovery key, vault locked, busy for more than\n"
           "     5 s, a passphrase needed and not given, or an old copy of the vault\n"
           "     refused by the keyring\n"
           "  130  interrupted at a passphrase prompt\n"), stream);
}

/*
 * Before any input is read: keys and secrets on the locked secure heap, no
 * core dumps, no ptrace by other processes of the user. Either failing is
 * said on stderr; the command still runs.
 */
static void
protect_process (void)
{
  g_autoptr (GError) error = NULL;

  if (!entsec_init_secure_memory (&error))
    cli_print_error (_("note: %s"), error->message);
  g_clear_error (&error);
  if (!entsec_vault_harden_process (&error))
    cli_print_error (_("warning: the process could not be protected (%s): a core dump or a "
                       "debugger could see the secrets it reads"), error->message);
}

int
main (int    argc,
      char **argv)
{
  protect_process ();
  setlocale (LC_ALL, "");
  /* ENTSEC_LOCALEDIR points an uninstalled build at build/po/locale. */
  bindtextdomain (GETTEXT_PACKAGE,
                  g_getenv ("ENTSEC_LOCALEDIR") ? g_getenv ("ENTSEC_LOCALEDIR") : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  if (argc < 2)
    {
      print_usage (stderr);
      return CLI_EXIT_USAGE;
    }
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0
      || strcmp (argv[1], "help") == 0)
    {
      print_usage (stdout);
      return CLI_EXIT_OK;
    }
  if (strcmp (argv[1], "--version") == 0)
    {
      printf ("entsec-cli %s\n", PACKAGE_VERSION);
      return CLI_EXIT_OK;
    }

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      if (strcmp (argv[1], commands[i].name) == 0)
        return commands[i].run (argc - 1, argv + 1);
    }

  cli_print_error (_("unknown command '%s' (see 'entsec-cli --help')"), argv[1]);
  return CLI_EXIT_USAGE;
}
