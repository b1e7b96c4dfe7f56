/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cli-code.c: `entsec-cli code`: a code from a secret (--secret, no vault),
 * or the codes of the vault's accounts (`code [ACCOUNT]`).
 */

#include "config.h"

#include "cli-private.h"

typedef struct
{
  char *secret_source;
  char *algorithm;
  char *type;
  int digits;
  int period;
  char *counter_text;
  char *time_text;
  gint64 counter;
  gint64 time;
  gboolean json;
} CodeOptions;

static void
code_options_clear (CodeOptions *options)
{
  g_free (options->secret_source);
  g_free (options->algorithm);
  g_free (options->type);
  g_free (options->counter_text);
  g_free (options->time_text);
}

/* --counter and --time: whole numbers of 0 or more; -1 stays "not given". */
static gboolean
parse_numbers (CodeOptions *options)
{
  g_autoptr (GError) error = NULL;

  if (cli_parse_number ("--counter", options->counter_text, &options->counter, &error)
      && cli_parse_number ("--time", options->time_text, &options->time, &error))
    return TRUE;
  cli_print_error ("code: %s", error->message);
  return FALSE;
}

/* Build the account the options describe; the secret comes from stdin or a file. */
static EntsecAccount *
account_from_options (const CodeOptions *options,
                      GError           **error)
{
  g_autoptr (EntsecAccount) account = entsec_account_new ();
  char *text;

  if (options->type != NULL && g_strcmp0 (options->type, "totp") != 0)
    {
      if (g_strcmp0 (options->type, "steam") == 0)
        account->type = ENTSEC_ACCOUNT_STEAM;
      else
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("Unknown --type '%s': use totp or steam (HOTP is chosen by --counter)"),
                       options->type);
          return NULL;
        }
    }
  if (options->counter >= 0)
    {
      account->type = ENTSEC_ACCOUNT_HOTP;
      account->counter = (guint64) options->counter;
    }
  if (options->algorithm != NULL
      && !entsec_otp_algorithm_from_string (options->algorithm, &account->algorithm))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("Unknown --algorithm '%s': use SHA1, SHA256 or SHA512"), options->algorithm);
      return NULL;
    }
  account->digits = account->type == ENTSEC_ACCOUNT_STEAM ? ENTSEC_STEAM_DIGITS
                                                           : (guint) options->digits;
  account->period = (guint) options->period;

  text = cli_read_secret_text ("--secret", options->secret_source, "Secret (Base32): ", error);
  if (text == NULL)
    return NULL;
  account->secret = entsec_base32_decode (text, &account->secret_len, error);
  entsec_secure_strfree (text);
  if (account->secret == NULL)
    return NULL;
  return g_steal_pointer (&account);
}

static int
vault_codes (const CliVaultOptions *vault_options,
             int                    argc,
             char                 **argv,
             gint64                 now,
             gboolean               json)
{
  g_autoptr (EntsecVault) vault = NULL;
  g_autofree char *path = NULL;
  int status;

  if (argc > 2)
    {
      cli_print_error (_("code: name at most one ACCOUNT"));
      return CLI_EXIT_USAGE;
    }
  path = cli_vault_path (vault_options);
  if (path != NULL && !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      cli_print_error (_("code: there is no vault at %s: give --secret FILE|- for a code from a "
                         "secret, or create a vault with 'entsec-cli init'"), path);
      return CLI_EXIT_USAGE;
    }
  vault = cli_vault_open (vault_options, &status);
  if (vault == NULL)
    return status;
  if (!cli_enterprise_offline_check (vault, now, &status))
    return status;
  return cli_vault_print_codes (vault, argc == 2 ? argv[1] : NULL, now, json);
}

/* code --secret: the code of a secret read from a file or stdin, no vault. */
static int
secret_code (const CodeOptions *options,
             int                argc)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecAccount) account = NULL;
  char code[ENTSEC_OTP_CODE_SIZE];

  if (argc > 1)
    {
      cli_print_error (_("code: with --secret, name no ACCOUNT"));
      return CLI_EXIT_USAGE;
    }
  account = account_from_options (options, &error);
  if (account == NULL || !entsec_account_generate (account, cli_now (options->time), code, &error))
    {
      cli_print_error ("%s", error->message);
      return g_error_matches (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE) ? CLI_EXIT_USAGE
                                                                              : CLI_EXIT_BAD_INPUT;
    }
  printf ("%s\n", code);
  return CLI_EXIT_OK;
}

int
cli_cmd_code (int    argc,
              char **argv)
{
  CodeOptions options = { .digits = ENTSEC_OTP_DEFAULT_DIGITS, .period = ENTSEC_OTP_DEFAULT_PERIOD,
                          .counter = -1, .time = -1 };
  GOptionEntry entries[] = {
    { "secret", 's', 0, G_OPTION_ARG_FILENAME, &options.secret_source,
      N_("Read the Base32 secret from FILE, or from stdin when FILE is '-'"), "FILE" },
    { "type", 0, 0, G_OPTION_ARG_STRING, &options.type, N_("totp (default) or steam"), "TYPE" },
    { "algorithm", 'a', 0, G_OPTION_ARG_STRING, &options.algorithm,
      N_("SHA1 (default), SHA256 or SHA512"), "HASH" },
    { "digits", 'd', 0, G_OPTION_ARG_INT, &options.digits,
      N_("Code length, 6-10 (default 6)"), "N" },
    { "period", 'p', 0, G_OPTION_ARG_INT, &options.period,
      N_("TOTP step in seconds, 1-300 (default 30)"), "SECONDS" },
    { "counter", 'c', 0, G_OPTION_ARG_STRING, &options.counter_text,
      N_("Make an HOTP code for this counter instead of a TOTP code"), "N" },
    { "time", 't', 0, G_OPTION_ARG_STRING, &options.time_text,
      N_("Unix time to compute the TOTP code for (default: now)"), "SECONDS" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &options.json,
      N_("Vault codes: print them as JSON"), NULL },
    { NULL }
  };
  CliVaultOptions vault_options = { 0 };
  int status = CLI_EXIT_USAGE;

  if (cli_vault_parse_options ("code", "[ACCOUNT] | --secret FILE|-",
                               N_("Print the current codes of the vault's accounts, or of "
                                  "ACCOUNT (an id or name;\nan HOTP account advances its "
                                  "counter, saved before the code is shown).\nWith --secret, "
                                  "print the code for a secret (no vault needed). The secret is "
                                  "never\ntaken on the command line: use '--secret -' and type "
                                  "it, or pipe it in."),
                               entries, &vault_options, &argc, &argv)
      && parse_numbers (&options))
    status = options.secret_source != NULL
               ? secret_code (&options, argc)
               : vault_codes (&vault_options, argc, argv, cli_now (options.time), options.json);
  code_options_clear (&options);
  cli_vault_options_clear (&vault_options);
  return status;
}
