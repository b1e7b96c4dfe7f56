/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cli-backup.c: entsec-cli export and import. Backups are encrypted by
 * default (docs/backup-format.md); a plain otpauth:// list is written only
 * after the vault passphrase is typed again, with a warning. Imports add all
 * or nothing, and never overwrite an account that exists.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli-private.h"

typedef struct
{
  char    *format;
  char    *output;
  char    *backup_passphrase_file;
  gboolean skip_duplicates;
  gboolean skip_invalid;
  gboolean json;
  gboolean force;
} BackupOptions;

static void
backup_options_clear (BackupOptions *o)
{
  g_free (o->format);
  g_free (o->output);
  g_free (o->backup_passphrase_file);
}

static int
backup_exit_code (const GError *error)
{
  if (error->domain != ENTSEC_BACKUP_ERROR)
    return cli_vault_exit_code (error);
  switch (error->code)
    {
    case ENTSEC_BACKUP_ERROR_PASSPHRASE:
    case ENTSEC_BACKUP_ERROR_PASSPHRASE_REQUIRED:
      return CLI_EXIT_AUTH;
    case ENTSEC_BACKUP_ERROR_IO:
    case ENTSEC_BACKUP_ERROR_FAILED:
      return CLI_EXIT_FAILURE;
    default:
      return CLI_EXIT_BAD_INPUT;
    }
}

static int
backup_report (const char   *command,
               const GError *error)
{
  cli_print_error ("%s: %s", command, error->message);
  return backup_exit_code (error);
}

/* The passphrase of a backup being read, from @source or a prompt. */
static char *
read_backup_passphrase (const char *source,
                        const char *prompt,
                        GError    **error)
{
  if (source == NULL && !isatty (STDIN_FILENO))
    {
      g_set_error_literal (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_PASSPHRASE_REQUIRED,
                           _("A backup passphrase is needed: give --backup-passphrase-file FILE "
                             "(or '-' for stdin)"));
      return NULL;
    }
  return cli_read_secret_option ("--backup-passphrase-file", source != NULL ? source : "-", prompt,
                                 error);
}

/* ---- export --------------------------------------------------------------- */

static GBytes *
export_encrypted (GPtrArray           *accounts,
                  const BackupOptions *o,
                  GError             **error)
{
  GBytes *file = NULL;
  char *passphrase;
  gboolean ok;

  passphrase = cli_read_new_passphrase ("--backup-passphrase-file", o->backup_passphrase_file,
                                        _("Backup passphrase: "), error);
  if (passphrase == NULL)
    return NULL;
  ok = entsec_backup_export_sync (accounts, passphrase, strlen (passphrase), NULL, &file, NULL,
                                  error);
  entsec_secure_strfree (passphrase);
  return ok ? file : NULL;
}

static void
wipe_text (gpointer text)
{
  entsec_secure_strfree (text);
}

static GBytes *
export_plain (GPtrArray *accounts)
{
  char *text = entsec_backup_export_uris (accounts);

  return g_bytes_new_with_free_func (text, strlen (text), wipe_text, text);
}

static gboolean
write_output (const char *output,
              GBytes     *data,
              gboolean    binary,
              GError    **error)
{
  gsize len = 0;
  const char *bytes = g_bytes_get_data (data, &len);

  if (output != NULL && strcmp (output, "-") != 0)
    return entsec_backup_write_file_sync (output, data, NULL, error);
  if (binary && isatty (STDOUT_FILENO))
    {
      g_set_error_literal (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_IO,
                           _("The backup is binary: give --output FILE or redirect stdout"));
      return FALSE;
    }
  if ((len > 0 && fwrite (bytes, 1, len, stdout) != len) || fflush (stdout) != 0)
    {
      g_set_error_literal (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_IO,
                           _("Could not write the export to stdout"));
      return FALSE;
    }
  return TRUE;
}

/* Refuse an --output that is part of the vault, or an existing file without --force. */
static gboolean
check_output (const char *vault_path,
              const char *output,
              gboolean    force)
{
  struct stat st;

  if (output == NULL || strcmp (output, "-") == 0)
    return TRUE;
  if (entsec_vault_path_is_vault_file (vault_path, output))
    {
      cli_print_error (_("export: --output names the vault itself (or one of its files); "
                         "write the backup somewhere else"));
      return FALSE;
    }
  if (lstat (output, &st) == 0 && !S_ISREG (st.st_mode))
    {
      cli_print_error (_("export: --output names a device, FIFO, socket, folder or symbolic link; "
                         "a backup is written only to a regular file (--force does not change "
                         "that)"));
      return FALSE;
    }
  if (!force && g_file_test (output, G_FILE_TEST_EXISTS))
    {
      cli_print_error (_("export: --output names a file that exists already; give --force to "
                         "replace it, or choose another name"));
      return FALSE;
    }
  return TRUE;
}

/*
 * Quarantined rows (they failed to decrypt) cannot be exported: say how
 * many were left out and exit 1, so a backup script notices the backup is
 * not the whole vault.
 */
static int
report_left_out (EntsecVault *vault)
{
  g_autoptr (GPtrArray) quarantined = entsec_vault_list_quarantined (vault);
  guint n = quarantined->len;

  if (n == 0)
    return CLI_EXIT_OK;
  cli_print_error (g_dngettext (NULL,
                                "export: %u account was left out: it cannot be decrypted (it is "
                                "quarantined; 'entsec-cli list' shows why). The export holds "
                                "the others",
                                "export: %u accounts were left out: they cannot be decrypted "
                                "(they are quarantined; 'entsec-cli list' shows why). The export "
                                "holds the others", n),
                   n);
  return CLI_EXIT_FAILURE;
}

static int
run_export (const CliVaultOptions *options,
            const BackupOptions   *o)
{
  gboolean plain = g_strcmp0 (o->format, "uris") == 0;
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GPtrArray) accounts = NULL;
  g_autoptr (GBytes) data = NULL;
  g_autoptr (GError) error = NULL;
  int status = CLI_EXIT_OK;
  g_autofree char *vault_path = cli_vault_path (options);

  if (vault_path == NULL)
    return CLI_EXIT_USAGE;
  if (!check_output (vault_path, o->output, o->force))
    return CLI_EXIT_USAGE;
  if (plain)
    cli_print_error (_("WARNING: a plain export holds every secret UNENCRYPTED; anyone who "
                       "reads it can make your codes. Prefer --format entsec."));
  vault = cli_vault_open_for_export (options, &status);
  if (vault == NULL || !cli_policy_allows_export (vault, &status))
    return status;
  accounts = entsec_vault_export_accounts_sync (vault, NULL, &error);
  if (accounts == NULL)
    return backup_report ("export", error);
  data = plain ? export_plain (accounts) : export_encrypted (accounts, o, &error);
  if (data == NULL || !write_output (o->output, data, !plain, &error))
    return backup_report ("export", error);
  if (o->output != NULL)
    /* Translators: the %s is the file the backup was written to */
    fprintf (stderr, g_dngettext (NULL, "Exported %u account to %s\n",
                                  "Exported %u accounts to %s\n", accounts->len),
             accounts->len, o->output);
  else
    fprintf (stderr, g_dngettext (NULL, "Exported %u account\n", "Exported %u accounts\n",
                                  accounts->len),
             accounts->len);
  return report_left_out (vault);
}

int
cli_cmd_export (int    argc,
                char **argv)
{
  CliVaultOptions options = { 0 };
  BackupOptions o = { 0 };
  GOptionEntry entries[] = {
    { "format", 'F', 0, G_OPTION_ARG_STRING, &o.format,
      N_("entsec (encrypted, default) or uris (plain otpauth:// lines)"), "FORMAT" },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o.output,
      N_("Write to FILE, a new or regular file (mode 0600, atomically; default: stdout)"),
      "FILE" },
    { "force", 0, 0, G_OPTION_ARG_NONE, &o.force,
      N_("Replace the regular --output FILE when it exists (never the vault, a device or a link)"),
      NULL },
    { "backup-passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &o.backup_passphrase_file,
      N_("Read the backup passphrase from FILE ('-': stdin; default: asked twice)"), "FILE" },
    { NULL }
  };
  int status = CLI_EXIT_USAGE;

  if (!cli_vault_parse_options ("export", "",
                                N_("Export every account of the vault: an encrypted backup "
                                   "(Argon2id + AES-256-GCM) by default,\nor with --format uris "
                                   "a plain list. Either needs the vault passphrase (or recovery "
                                   "key)\nwhen the vault has one, even when the keyring unlocks "
                                   "it. Quarantined accounts\nare left out, said, and make the "
                                   "exit status 1."),
                                entries, &options, &argc, &argv))
    goto out;
  if (argc > 1)
    cli_print_error (_("export: unexpected argument '%s'"), argv[1]);
  else if (o.format != NULL && strcmp (o.format, "entsec") != 0 && strcmp (o.format, "uris") != 0)
    cli_print_error (_("export: unknown --format '%s': use entsec or uris"), o.format);
  else if (!cli_vault_stdin_clash (&options, o.backup_passphrase_file, "export"))
    status = run_export (&options, &o);

out:
  backup_options_clear (&o);
  cli_vault_options_clear (&options);
  return status;
}

/* ---- import --------------------------------------------------------------- */

static gboolean
parse_format (const char         *name,
              EntsecImportFormat *format)
{
  static const struct { const char *name; EntsecImportFormat format; } names[] = {
    { "entsec", ENTSEC_IMPORT_FORMAT_ENTSEC },
    { "uris", ENTSEC_IMPORT_FORMAT_URIS },
    { "aegis", ENTSEC_IMPORT_FORMAT_AEGIS },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      if (strcmp (name, names[i].name) == 0)
        {
          *format = names[i].format;
          return TRUE;
        }
    }
  return FALSE;
}

static EntsecImportResult *
import_entsec (GBytes              *data,
               const BackupOptions *o,
               GError             **error)
{
  EntsecImportResult *result;
  GPtrArray *accounts = NULL;
  char *passphrase;
  gboolean ok;

  passphrase = read_backup_passphrase (o->backup_passphrase_file, _("Backup passphrase: "), error);
  if (passphrase == NULL)
    return NULL;
  ok = entsec_backup_import_sync (data, passphrase, strlen (passphrase), &accounts, NULL, error);
  entsec_secure_strfree (passphrase);
  if (!ok)
    return NULL;
  result = g_new0 (EntsecImportResult, 1);
  result->accounts = accounts;
  result->errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  return result;
}

static EntsecImportResult *
import_aegis (GBytes              *data,
              const BackupOptions *o,
              GError             **error)
{
  EntsecImportResult *result;
  gboolean encrypted = FALSE;
  char *password;

  if (!entsec_aegis_is_encrypted (data, &encrypted, error))
    return NULL;
  if (!encrypted)
    return entsec_aegis_import_sync (data, NULL, 0, NULL, error);
  password = read_backup_passphrase (o->backup_passphrase_file, _("Aegis password: "), error);
  if (password == NULL)
    return NULL;
  result = entsec_aegis_import_sync (data, password, strlen (password), NULL, error);
  entsec_secure_strfree (password);
  return result;
}

static EntsecImportResult *
read_import (const char          *path,
             const BackupOptions *o,
             GError             **error)
{
  g_autoptr (GBytes) data = entsec_backup_read_file_sync (path, NULL, error);
  EntsecImportFormat format = ENTSEC_IMPORT_FORMAT_UNKNOWN;

  if (data == NULL)
    return NULL;
  if (o->format != NULL)
    parse_format (o->format, &format);
  else
    format = entsec_import_detect_format (data);
  switch (format)
    {
    case ENTSEC_IMPORT_FORMAT_ENTSEC:
      return import_entsec (data, o, error);
    case ENTSEC_IMPORT_FORMAT_URIS:
      return entsec_backup_import_uris (data, error);
    case ENTSEC_IMPORT_FORMAT_AEGIS:
      return import_aegis (data, o, error);
    case ENTSEC_IMPORT_FORMAT_UNKNOWN:
    default:
      g_set_error_literal (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_FORMAT,
                           _("The file is not an entsec backup, an otpauth:// list or an Aegis "
                             "export; if it is one of them, say which with --format"));
      return NULL;
    }
}

/* Print the rejected entries; FALSE (nothing imported) unless --skip-invalid. */
static gboolean
report_rejected (const EntsecImportResult *result,
                 gboolean                  skip_invalid)
{
  for (guint i = 0; i < result->errors->len; i++)
    cli_print_error ("import: %s", ((GError *) g_ptr_array_index (result->errors, i))->message);
  if (result->errors->len == 0 || skip_invalid)
    return TRUE;
  cli_print_error (g_dngettext (NULL,
                                "import: %u entry could not be read; nothing was imported (fix "
                                "the file, or give --skip-invalid to import the other %u)",
                                "import: %u entries could not be read; nothing was imported (fix "
                                "the file, or give --skip-invalid to import the other %u)",
                                result->errors->len),
                   result->errors->len, result->accounts->len);
  return FALSE;
}

static int
run_import (const CliVaultOptions *options,
            const BackupOptions   *o,
            const char            *path)
{
  g_autoptr (EntsecImportResult) result = NULL;
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  /* The vault first: a wrong vault passphrase costs no backup key derivation. */
  vault = cli_vault_open (options, &status);
  if (vault == NULL)
    return status;
  result = read_import (path, o, &error);
  if (result == NULL)
    return backup_report ("import", error);
  if (!report_rejected (result, o->skip_invalid))
    return CLI_EXIT_BAD_INPUT;
  if (result->accounts->len == 0)
    {
      fprintf (stderr, _("Nothing to import\n"));
      return result->errors->len > 0 ? CLI_EXIT_BAD_INPUT : CLI_EXIT_OK;
    }
  return cli_vault_add_accounts (vault, result->accounts, o->skip_duplicates, o->json);
}

int
cli_cmd_import (int    argc,
                char **argv)
{
  CliVaultOptions options = { 0 };
  BackupOptions o = { 0 };
  EntsecImportFormat format;
  GOptionEntry entries[] = {
    { "format", 'F', 0, G_OPTION_ARG_STRING, &o.format,
      N_("entsec, uris or aegis (default: detected from the file)"), "FORMAT" },
    { "backup-passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &o.backup_passphrase_file,
      N_("Read the backup (or Aegis) passphrase from FILE ('-': stdin; default: asked)"), "FILE" },
    { "skip-duplicates", 0, 0, G_OPTION_ARG_NONE, &o.skip_duplicates,
      N_("Add the others when some already exist (default: add nothing)"), NULL },
    { "skip-invalid", 0, 0, G_OPTION_ARG_NONE, &o.skip_invalid,
      N_("Add the readable entries when some cannot be read (default: add nothing)"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &o.json, N_("Print the result as JSON"), NULL },
    { NULL }
  };
  int status = CLI_EXIT_USAGE;

  if (!cli_vault_parse_options ("import", "FILE",
                                N_("Import the accounts of an entsec backup, an otpauth:// list "
                                   "or an Aegis export (plain\nor encrypted) into the vault: all "
                                   "or nothing; an existing account is never overwritten."),
                                entries, &options, &argc, &argv))
    goto out;
  if (argc != 2)
    cli_print_error (_("import: give exactly one FILE (see 'entsec-cli import --help')"));
  else if (o.format != NULL && !parse_format (o.format, &format))
    cli_print_error (_("import: unknown --format '%s': use entsec, uris or aegis"), o.format);
  else if (!cli_vault_stdin_clash (&options, o.backup_passphrase_file, "import"))
    status = run_import (&options, &o, argv[1]);

out:
  backup_options_clear (&o);
  cli_vault_options_clear (&options);
  return status;
}
