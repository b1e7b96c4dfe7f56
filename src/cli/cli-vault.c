/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cli-vault.c: opening and unlocking the vault for every command, and the
 * commands about the vault itself: init, unlock-test, passwd, slots.
 * Passphrases and PINs come from a prompt, stdin or a file, never argv.
 */

#include "config.h"

#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli-private.h"

void
cli_vault_options_clear (CliVaultOptions *options)
{
  g_clear_pointer (&options->vault_path, g_free);
  g_clear_pointer (&options->profile, g_free);
  g_clear_pointer (&options->passphrase_file, g_free);
  g_clear_pointer (&options->recovery_key_file, g_free);
  g_clear_pointer (&options->pin_file, g_free);
}

static gboolean
profile_is_valid (const char *profile)
{
  if (profile[0] == '\0' || profile[0] == '.')
    return FALSE;
  for (const char *p = profile; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
        return FALSE;
    }
  return TRUE;
}

char *
cli_vault_path (const CliVaultOptions *options)
{
  if (options->vault_path != NULL)
    return g_strdup (options->vault_path);
  if (options->profile != NULL && !profile_is_valid (options->profile))
    {
      cli_print_error (_("--profile: use letters, digits, '-', '_' and '.' only"));
      return NULL;
    }
  return entsec_vault_default_path (options->profile);
}

int
cli_vault_exit_code (const GError *error)
{
  if (g_error_matches (error, ENTSEC_PASSPHRASE_ERROR, ENTSEC_PASSPHRASE_ERROR_WEAK))
    return CLI_EXIT_BAD_INPUT;
  if (error == NULL || error->domain != ENTSEC_VAULT_ERROR)
    return CLI_EXIT_FAILURE;
  switch (error->code)
    {
    case ENTSEC_VAULT_ERROR_BAD_PASSPHRASE:
    case ENTSEC_VAULT_ERROR_NEEDS_PASSPHRASE:
    case ENTSEC_VAULT_ERROR_IN_USE:
    case ENTSEC_VAULT_ERROR_LOCKED:
    case ENTSEC_VAULT_ERROR_ROLLBACK:
    case ENTSEC_VAULT_ERROR_PIN_LOCKED_OUT:
    case ENTSEC_VAULT_ERROR_OFFLINE:
    case ENTSEC_VAULT_ERROR_UNLOCK_DELAYED:
    case ENTSEC_VAULT_ERROR_UNLOCK_WIPED:
      return CLI_EXIT_AUTH;
    case ENTSEC_VAULT_ERROR_DUPLICATE:
    case ENTSEC_VAULT_ERROR_INVALID:
    case ENTSEC_VAULT_ERROR_NO_ACCOUNT:
      return CLI_EXIT_BAD_INPUT;
    default:
      return CLI_EXIT_FAILURE;
    }
}

int
cli_vault_report (const GError *error)
{
  cli_print_error ("%s", error->message);
  return cli_vault_exit_code (error);
}

/* The passphrase from --passphrase-file, or a prompt on a terminal. */
static char *
cli_vault_read_passphrase (const char *source,
                           const char *prompt,
                           GError    **error)
{
  if (source != NULL)
    return cli_read_secret (source, prompt, error);
  if (!isatty (STDIN_FILENO))
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NEEDS_PASSPHRASE,
                           _("A passphrase is needed: give --passphrase-file FILE "
                             "(or '-' for stdin)"));
      return NULL;
    }
  return cli_read_secret ("-", prompt, error);
}

static gboolean
unlock_with_passphrase (EntsecVault           *vault,
                        const CliVaultOptions *options,
                        GError               **error)
{
  char *passphrase = cli_vault_read_passphrase (options->passphrase_file,
                                                _("Vault passphrase: "), error);
  gboolean ok;

  if (passphrase == NULL)
    return FALSE;
  ok = entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase), NULL, error);
  entsec_secure_strfree (passphrase);
  return ok;
}

/* The recovery key 'slots add-recovery' printed, from --recovery-key-file or a prompt. */
static gboolean
unlock_with_recovery_key (EntsecVault *vault,
                          const char  *source,
                          GError     **error)
{
  char *key = cli_read_secret_option ("--recovery-key-file", source, _("Recovery key: "), error);
  gboolean ok;

  if (key == NULL)
    return FALSE;
  ok = entsec_vault_unlock_recovery_sync (vault, key, NULL, error);
  entsec_secure_strfree (key);
  return ok;
}

/* The quick-unlock PIN 'slots add-pin' set, from --pin-file or a prompt. */
static gboolean
unlock_with_pin (EntsecVault *vault,
                 const char  *source,
                 GError     **error)
{
  char *pin = cli_read_secret_option ("--pin-file", source, _("PIN: "), error);
  gboolean ok;

  if (pin == NULL)
    return FALSE;
  ok = entsec_vault_unlock_pin_sync (vault, pin, strlen (pin), NULL, NULL, error);
  entsec_secure_strfree (pin);
  return ok;
}

/* Keyring first (sets @by_keyring), then the passphrase; the recovery key or the PIN when given. */
static gboolean
unlock (EntsecVault           *vault,
        const CliVaultOptions *options,
        gboolean              *by_keyring,
        GError               **error)
{
  g_autoptr (GError) keyring_error = NULL;

  *by_keyring = FALSE;
  if (options->recovery_key_file != NULL)
    return unlock_with_recovery_key (vault, options->recovery_key_file, error);
  if (options->pin_file != NULL)
    return unlock_with_pin (vault, options->pin_file, error);
  if (options->passphrase_file == NULL && !options->no_keyring)
    {
      *by_keyring = entsec_vault_unlock_keyring_sync (vault, NULL, &keyring_error);
      if (*by_keyring)
        return TRUE;
      if (!g_error_matches (keyring_error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NEEDS_PASSPHRASE))
        {
          g_propagate_error (error, g_steal_pointer (&keyring_error));
          return FALSE;
        }
      if (!isatty (STDIN_FILENO))
        {
          /* Say why the keyring did not do, and how to give the passphrase. */
          g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NEEDS_PASSPHRASE,
                       _("%s (with --passphrase-file FILE, or '-' for stdin; or the recovery key "
                         "with --recovery-key-file)"), keyring_error->message);
          return FALSE;
        }
      cli_print_error ("%s", keyring_error->message);
    }
  return unlock_with_passphrase (vault, options, error);
}

/* The id of the vault's first slot of @type, or 0 when it has none (ids start at 1). */
static gint64
find_slot (EntsecVault        *vault,
           EntsecVaultSlotType type)
{
  gsize n = 0;
  g_autofree EntsecVaultSlotInfo *slots = entsec_vault_list_slots (vault, &n);

  for (gsize i = 0; i < n; i++)
    {
      if (slots[i].type == type)
        return slots[i].id;
    }
  return 0;
}

/* A PIN that can never work again leaves the vault file, and the user learns why. */
static void
drop_dead_pin (EntsecVault           *vault,
               const CliVaultOptions *options)
{
  g_autoptr (GError) error = NULL;
  gboolean removed = FALSE;

  if (options->no_keyring || entsec_vault_is_read_only (vault)
      || find_slot (vault, ENTSEC_VAULT_SLOT_PIN) == 0)
    return;
  if (!entsec_vault_remove_dead_pin_slot_sync (vault, &removed, NULL, &error))
    cli_print_error (_("The quick-unlock PIN no longer works, and removing it failed: %s"),
                     error->message);
  else if (removed)
    cli_print_error (_("The quick-unlock PIN no longer works (%d wrong PINs in a row, or its "
                       "keyring item is gone), so it was removed; set a new one with "
                       "'entsec-cli slots add-pin'"), ENTSEC_VAULT_PIN_MAX_ATTEMPTS);
}

static EntsecVault *
open_vault (const CliVaultOptions *options,
            gboolean              *by_keyring,
            int                   *exit_code)
{
  g_autofree char *path = NULL;
  g_autofree char *pending = NULL;
  g_autofree char *done = NULL;
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;

  *exit_code = CLI_EXIT_USAGE;
  if ((options->passphrase_file != NULL) + (options->recovery_key_file != NULL)
      + (options->pin_file != NULL) > 1)
    {
      cli_print_error (_("give one of --passphrase-file, --recovery-key-file and --pin-file"));
      return NULL;
    }
  path = cli_vault_path (options);
  if (path == NULL)
    return NULL;
  vault = entsec_vault_open_sync (path, NULL, &error);
  /* A remote wipe waiting for this unlock: said once it is done. */
  pending = vault != NULL ? cli_remote_wipe_notice (vault, FALSE) : NULL;
  if (vault == NULL || !unlock (vault, options, by_keyring, &error))
    {
      *exit_code = cli_vault_report (error);
      return NULL;
    }
  done = pending != NULL ? cli_remote_wipe_notice (vault, TRUE) : NULL;
  if (done != NULL && g_strcmp0 (done, pending) != 0)
    cli_print_error ("%s", done);
  drop_dead_pin (vault, options);
  *exit_code = CLI_EXIT_OK;
  return g_steal_pointer (&vault);
}

EntsecVault *
cli_vault_open (const CliVaultOptions *options,
                int                   *exit_code)
{
  gboolean by_keyring;

  return open_vault (options, &by_keyring, exit_code);
}

static gboolean
has_secret_slot (EntsecVault *vault)
{
  return find_slot (vault, ENTSEC_VAULT_SLOT_PASSPHRASE) != 0
         || find_slot (vault, ENTSEC_VAULT_SLOT_RECOVERY) != 0;
}

/* The passphrase, checked on a second vault object: the keyring's unlock proves nothing here. */
static gboolean
verify_passphrase (EntsecVault           *vault,
                   const CliVaultOptions *options,
                   GError               **error)
{
  g_autoptr (EntsecVault) check = NULL;

  if (!isatty (STDIN_FILENO))
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NEEDS_PASSPHRASE,
                           _("An export needs the vault passphrase (or the recovery key) even "
                             "when the keyring unlocks the vault: give --passphrase-file FILE or "
                             "--recovery-key-file FILE ('-': stdin)"));
      return FALSE;
    }
  check = entsec_vault_open_sync (entsec_vault_get_path (vault), NULL, error);
  return check != NULL && unlock_with_passphrase (check, options, error);
}

EntsecVault *
cli_vault_open_for_export (const CliVaultOptions *options,
                           int                   *exit_code)
{
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;
  gboolean by_keyring = FALSE;

  vault = open_vault (options, &by_keyring, exit_code);
  if (vault == NULL || !by_keyring || !has_secret_slot (vault))
    return g_steal_pointer (&vault);
  if (!verify_passphrase (vault, options, &error))
    {
      *exit_code = cli_vault_report (error);
      return NULL;
    }
  return g_steal_pointer (&vault);
}

gboolean
cli_vault_stdin_clash (const CliVaultOptions *options,
                       const char            *other_source,
                       const char            *command)
{
  if (g_strcmp0 (other_source, "-") != 0
      || (g_strcmp0 (options->passphrase_file, "-") != 0
          && g_strcmp0 (options->recovery_key_file, "-") != 0
          && g_strcmp0 (options->pin_file, "-") != 0))
    return FALSE;
  cli_print_error (_("%s: only one input can come from stdin: give the other in a FILE"), command);
  return TRUE;
}

gboolean
cli_vault_parse_options (const char      *name,
                         const char      *parameter_string,
                         const char      *description,
                         GOptionEntry    *entries,
                         CliVaultOptions *options,
                         int             *argc,
                         char          ***argv)
{
  GOptionEntry vault_entries[] = {
    { "vault", 0, 0, G_OPTION_ARG_FILENAME, &options->vault_path,
      N_("The vault file (default: $XDG_DATA_HOME/entsec/PROFILE.db)"), "PATH" },
    { "profile", 0, 0, G_OPTION_ARG_STRING, &options->profile,
      N_("Use the vault of profile NAME (default: default)"), "NAME" },
    { "passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &options->passphrase_file,
      N_("Read the vault passphrase from FILE ('-': stdin)"), "FILE" },
    { "recovery-key-file", 0, 0, G_OPTION_ARG_FILENAME, &options->recovery_key_file,
      N_("Unlock with the recovery key from FILE ('-': stdin, asked on a terminal)"), "FILE" },
    { "pin-file", 0, 0, G_OPTION_ARG_FILENAME, &options->pin_file,
      N_("Unlock with the quick-unlock PIN from FILE ('-': stdin, asked on a terminal)"), "FILE" },
    { "no-keyring", 0, 0, G_OPTION_ARG_NONE, &options->no_keyring,
      N_("Do not use the keyring: ask for the passphrase"), NULL },
    { NULL }
  };

  return cli_parse_options_with (name, parameter_string, description, entries, vault_entries,
                                 argc, argv);
}

EntsecVault *
cli_vault_parse_and_open (const char   *name,
                          const char   *parameter_string,
                          const char   *description,
                          GOptionEntry *entries,
                          int          *argc,
                          char       ***argv,
                          int          *exit_code)
{
  gboolean locked = FALSE;

  return cli_vault_parse_and_open_events (name, parameter_string, description, entries, &locked,
                                          argc, argv, exit_code);
}

EntsecVault *
cli_vault_parse_and_open_events (const char   *name,
                                 const char   *parameter_string,
                                 const char   *description,
                                 GOptionEntry *entries,
                                 gboolean     *locked,
                                 int          *argc,
                                 char       ***argv,
                                 int          *exit_code)
{
  CliVaultOptions options = { 0 };
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  EntsecVault *vault = NULL;

  *exit_code = CLI_EXIT_USAGE;
  if (!cli_vault_parse_options (name, parameter_string, description, entries, &options, argc,
                                argv))
    ;
  else if (!*locked)
    vault = cli_vault_open (&options, exit_code);
  else if ((path = cli_vault_path (&options)) != NULL)
    {
      vault = entsec_vault_open_sync (path, NULL, &error);
      *exit_code = vault != NULL ? CLI_EXIT_OK : cli_vault_report (error);
    }
  cli_vault_options_clear (&options);
  return vault;
}

void
cli_vault_print_json (json_t *root)
{
  /* json_dumpf, not json_dumps + free(): jansson may use its own allocator (core/backup). */
  json_dumpf (root, stdout, JSON_INDENT (2) | JSON_SORT_KEYS);
  putchar ('\n');
  json_decref (root);
}

/* ---- init ----------------------------------------------------------------- */

typedef struct
{
  gboolean no_passphrase;
  int kdf_memory;
  int kdf_iterations;
  int kdf_parallelism;
} InitOptions;

static gboolean
check_new_passphrase (const char *passphrase,
                      GError    **error)
{
  if (passphrase[0] == '\0' || !g_utf8_validate (passphrase, -1, NULL))
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID,
                           _("The passphrase must be non-empty UTF-8 text"));
      return FALSE;
    }
  return entsec_passphrase_check_strength (passphrase, NULL, error);
}

char *
cli_read_new_passphrase (const char *option,
                         const char *source,
                         const char *prompt,
                         GError    **error)
{
  gboolean typed = (source == NULL || strcmp (source, "-") == 0) && isatty (STDIN_FILENO);
  char *passphrase;

  if (source == NULL && !typed)
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NEEDS_PASSPHRASE,
                   _("A new passphrase is needed: give %s FILE (or '-' for stdin)"), option);
      return NULL;
    }
  passphrase = cli_read_secret_option (option, source != NULL ? source : "-", prompt, error);
  /* Typed without echo: a typo would lock the vault or the backup for good. */
  if (passphrase != NULL && typed)
    passphrase = cli_confirm_secret (passphrase, _("Repeat the passphrase: "), ENTSEC_VAULT_ERROR,
                                     ENTSEC_VAULT_ERROR_INVALID,
                                     _("The two passphrases differ; nothing was changed"), error);
  if (passphrase != NULL && !check_new_passphrase (passphrase, error))
    g_clear_pointer (&passphrase, entsec_secure_strfree);
  return passphrase;
}

static const EntsecKdfParams *
cli_vault_kdf (int              memory,
               int              iterations,
               int              parallelism,
               EntsecKdfParams *out)
{
  if (memory <= 0 && iterations <= 0 && parallelism <= 0)
    return NULL; /* calibrate */
  out->memory_kib = memory > 0 ? (guint32) memory : 64 * 1024;
  out->iterations = iterations > 0 ? (guint32) iterations : 3;
  out->parallelism = parallelism > 0 ? (guint32) parallelism : 1;
  return out;
}

static int
run_init (const CliVaultOptions *options,
          const InitOptions     *init)
{
  g_autofree char *path = cli_vault_path (options);
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;
  EntsecKdfParams kdf;
  char *passphrase = NULL;

  if (path == NULL)
    return CLI_EXIT_USAGE;
  if (init->no_passphrase && options->no_keyring)
    {
      cli_print_error (_("init: a vault needs the keyring, a passphrase, or both"));
      return CLI_EXIT_USAGE;
    }
  if (!init->no_passphrase)
    {
      passphrase = cli_read_new_passphrase ("--passphrase-file", options->passphrase_file,
                                            _("New vault passphrase: "), &error);
      if (passphrase == NULL)
        return cli_vault_report (error);
    }
  vault = entsec_vault_create_sync (path, !options->no_keyring, passphrase,
                                    passphrase != NULL ? strlen (passphrase) : 0,
                                    cli_vault_kdf (init->kdf_memory, init->kdf_iterations,
                                                   init->kdf_parallelism, &kdf),
                                    NULL, &error);
  entsec_secure_strfree (passphrase);
  if (vault == NULL)
    return cli_vault_report (error);
  if (options->no_keyring)
    printf (_("Created the vault %s (unlocks with: the passphrase)\n"), path);
  else if (init->no_passphrase)
    printf (_("Created the vault %s (unlocks with: the keyring)\n"), path);
  else
    printf (_("Created the vault %s (unlocks with: the keyring or the passphrase)\n"), path);
  return CLI_EXIT_OK;
}

int
cli_cmd_init (int    argc,
              char **argv)
{
  CliVaultOptions options = { 0 };
  InitOptions init = { 0 };
  GOptionEntry entries[] = {
    { "no-passphrase", 0, 0, G_OPTION_ARG_NONE, &init.no_passphrase,
      N_("Keyring only: no passphrase slot (the vault is lost with the keyring)"), NULL },
    { "kdf-memory", 0, 0, G_OPTION_ARG_INT, &init.kdf_memory,
      N_("Argon2id memory in KiB (default: calibrated to ~0.5 s)"), "KIB" },
    { "kdf-iterations", 0, 0, G_OPTION_ARG_INT, &init.kdf_iterations, N_("Argon2id passes"), "N" },
    { "kdf-parallelism", 0, 0, G_OPTION_ARG_INT, &init.kdf_parallelism,
      N_("Argon2id lanes"), "N" },
    { NULL }
  };
  int status;

  if (!cli_vault_parse_options ("init", "",
                                N_("Create an encrypted vault. It unlocks with the keyring "
                                   "(Secret Service) and a passphrase\nunless --no-keyring or "
                                   "--no-passphrase is given."),
                                entries, &options, &argc, &argv))
    {
      cli_vault_options_clear (&options);
      return CLI_EXIT_USAGE;
    }
  status = argc > 1 ? CLI_EXIT_USAGE : run_init (&options, &init);
  if (argc > 1)
    cli_print_error (_("init: unexpected argument '%s'"), argv[1]);
  cli_vault_options_clear (&options);
  return status;
}

/* ---- unlock-test ---------------------------------------------------------- */

int
cli_cmd_unlock_test (int    argc,
                     char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the result as JSON"), NULL },
    { NULL }
  };
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GPtrArray) accounts = NULL;
  g_autoptr (GPtrArray) quarantined = NULL;
  int status;

  vault = cli_vault_parse_and_open ("unlock-test", "",
                                    N_("Check that the vault opens and unlocks; print what it "
                                       "holds."),
                                    entries, &argc, &argv, &status);
  if (vault == NULL)
    return status;
  accounts = entsec_vault_list_accounts (vault);
  quarantined = entsec_vault_list_quarantined (vault);
  if (json)
    cli_vault_print_json (json_pack ("{s:b, s:i, s:i}", "unlocked", 1,
                                     "accounts", (int) accounts->len,
                                     "quarantined", (int) quarantined->len));
  else
    printf (g_dngettext (NULL, "Unlocked: %u account, %u quarantined\n",
                         "Unlocked: %u accounts, %u quarantined\n", accounts->len),
            accounts->len, quarantined->len);
  return CLI_EXIT_OK;
}

/* ---- passwd --------------------------------------------------------------- */

int
cli_cmd_passwd (int    argc,
                char **argv)
{
  CliVaultOptions options = { 0 };
  char *new_source = NULL;
  InitOptions init = { 0 };
  GOptionEntry entries[] = {
    { "new-passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &new_source,
      N_("Read the new passphrase from FILE ('-': stdin)"), "FILE" },
    { "kdf-memory", 0, 0, G_OPTION_ARG_INT, &init.kdf_memory,
      N_("Argon2id memory in KiB"), "KIB" },
    { "kdf-iterations", 0, 0, G_OPTION_ARG_INT, &init.kdf_iterations, N_("Argon2id passes"), "N" },
    { "kdf-parallelism", 0, 0, G_OPTION_ARG_INT, &init.kdf_parallelism,
      N_("Argon2id lanes"), "N" },
    { NULL }
  };
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;
  EntsecKdfParams kdf;
  char *passphrase = NULL;
  int status;

  if (!cli_vault_parse_options ("passwd", "",
                                N_("Set a new vault passphrase (or add one). Only the data key is "
                                   "rewrapped; the old passphrase stops working."),
                                entries, &options, &argc, &argv))
    {
      cli_vault_options_clear (&options);
      g_free (new_source);
      return CLI_EXIT_USAGE;
    }
  if (cli_vault_stdin_clash (&options, new_source, "passwd"))
    {
      status = CLI_EXIT_USAGE;
      goto out;
    }
  vault = cli_vault_open (&options, &status);
  if (vault == NULL)
    goto out;
  passphrase = cli_read_new_passphrase ("--new-passphrase-file", new_source,
                                        _("New vault passphrase: "), &error);
  if (passphrase == NULL
      || !entsec_vault_change_passphrase_sync (vault, passphrase, strlen (passphrase),
                                               cli_vault_kdf (init.kdf_memory, init.kdf_iterations,
                                                              init.kdf_parallelism, &kdf),
                                               NULL, &error))
    status = cli_vault_report (error);
  else
    printf (_("The vault passphrase was changed\n"));
  entsec_secure_strfree (passphrase);

out:
  cli_vault_options_clear (&options);
  g_free (new_source);
  return status;
}

/* ---- slots ---------------------------------------------------------------- */

static const char *
slot_type_name (EntsecVaultSlotType type)
{
  switch (type)
    {
    case ENTSEC_VAULT_SLOT_KEYRING: return "keyring";
    case ENTSEC_VAULT_SLOT_PASSPHRASE: return "passphrase";
    case ENTSEC_VAULT_SLOT_RECOVERY: return "recovery";
    case ENTSEC_VAULT_SLOT_PIN: return "pin";
    default: return "unknown";
    }
}

/* Whether keyring slot @id works now: NULL when it does, else the problem and the fix. */
static const char *
keyring_slot_problem (EntsecVault *vault,
                      gint64       id,
                      const char **json_status)
{
  EntsecVaultKeyringStatus status = ENTSEC_VAULT_KEYRING_UNREACHABLE;

  entsec_vault_check_keyring_slot_sync (vault, id, &status, NULL, NULL);
  switch (status)
    {
    case ENTSEC_VAULT_KEYRING_OK:
      *json_status = "ok";
      return NULL;
    case ENTSEC_VAULT_KEYRING_ITEM_MISSING:
      *json_status = "item-missing";
      return _("item missing: run 'slots add-keyring', then 'slots remove' this one");
    case ENTSEC_VAULT_KEYRING_LOCKED:
      *json_status = "locked";
      return _("keyring locked: unlock it to use this slot");
    case ENTSEC_VAULT_KEYRING_MISMATCH:
      *json_status = "mismatch";
      return _("the keyring's key does not match: run 'slots add-keyring', then 'slots remove' "
               "this one");
    case ENTSEC_VAULT_KEYRING_UNREACHABLE:
    default:
      *json_status = "unreachable";
      return _("keyring unreachable: start gnome-keyring (or another Secret Service)");
    }
}

/* @check FALSE (--no-keyring): the keyring is not asked at all. */
static void
print_keyring_slot (EntsecVault *vault,
                    gint64       id,
                    gboolean     check,
                    json_t      *item,
                    gboolean     json)
{
  const char *json_status = "not-checked";
  const char *problem = _("not checked: --no-keyring");

  if (check)
    problem = keyring_slot_problem (vault, id, &json_status);

  json_object_set_new (item, "keyring", json_string (json_status));
  if (json)
    return;
  if (problem != NULL)
    /* Translators: a slot of 'entsec-cli slots list': its id, what it is, its problem */
    printf (_("%" PRId64 "  keyring (%s)\n"), id, problem);
  else
    printf (_("%" PRId64 "  keyring\n"), id);
}

/* A PIN slot and whether the PIN works now (the keyring holds its key and its count). */
static void
print_pin_slot (EntsecVault *vault,
                gint64       id,
                gboolean     check,
                json_t      *item,
                gboolean     json)
{
  EntsecVaultPinStatus status = ENTSEC_VAULT_PIN_UNAVAILABLE;
  const char *json_status = "not-checked";
  guint left = 0;

  if (check)
    entsec_vault_get_pin_status_sync (vault, &status, &left, NULL, NULL);
  if (check && status == ENTSEC_VAULT_PIN_READY)
    json_status = "ready";
  else if (check)
    json_status = status == ENTSEC_VAULT_PIN_LOCKED_OUT ? "locked-out" : "unavailable";
  json_object_set_new (item, "pin", json_string (json_status));
  json_object_set_new (item, "attempts_left", json_integer (left));
  if (json)
    return;
  if (!check)
    printf (_("%" PRId64 "  pin (not checked: --no-keyring)\n"), id);
  else if (status == ENTSEC_VAULT_PIN_READY)
    /* Translators: a slot of 'entsec-cli slots list': its id, then the wrong PINs it still takes */
    printf (g_dngettext (NULL, "%" PRId64 "  pin (%u attempt left)\n",
                         "%" PRId64 "  pin (%u attempts left)\n", left), id, left);
  else if (status == ENTSEC_VAULT_PIN_LOCKED_OUT)
    printf (_("%" PRId64 "  pin (locked out after too many wrong PINs, or its keyring item is "
              "gone: run 'slots add-pin' to set a new one)\n"), id);
  else
    printf (_("%" PRId64 "  pin (keyring locked or unreachable: the PIN cannot be used now)\n"),
            id);
}

static int
print_slots (EntsecVault *vault,
             gboolean     check_keyring,
             gboolean     json)
{
  gsize n = 0;
  g_autofree EntsecVaultSlotInfo *slots = entsec_vault_list_slots (vault, &n);
  json_t *list = json_array ();

  for (gsize i = 0; i < n; i++)
    {
      json_t *item = json_pack ("{s:I, s:s}", "id", (json_int_t) slots[i].id, "type",
                                slot_type_name (slots[i].type));

      if (slots[i].type == ENTSEC_VAULT_SLOT_KEYRING)
        {
          print_keyring_slot (vault, slots[i].id, check_keyring, item, json);
          json_array_append_new (list, item);
          continue;
        }

      if (slots[i].type == ENTSEC_VAULT_SLOT_PASSPHRASE)
        json_object_set_new (item, "kdf",
                             json_pack ("{s:s, s:i, s:i, s:i}", "algorithm", "argon2id",
                                        "memory_kib", (int) slots[i].kdf.memory_kib, "iterations",
                                        (int) slots[i].kdf.iterations, "parallelism",
                                        (int) slots[i].kdf.parallelism));
      if (!json && slots[i].type == ENTSEC_VAULT_SLOT_PASSPHRASE)
        printf (_("%" PRId64 "  passphrase (Argon2id, %u KiB, %u passes, %u lanes)\n"),
                slots[i].id, slots[i].kdf.memory_kib, slots[i].kdf.iterations,
                slots[i].kdf.parallelism);
      else if (!json && slots[i].type == ENTSEC_VAULT_SLOT_RECOVERY)
        /* Translators: a slot of 'entsec-cli slots list': its id, then what it is */
        printf (_("%" PRId64 "  recovery\n"), slots[i].id);
      else if (slots[i].type == ENTSEC_VAULT_SLOT_PIN)
        print_pin_slot (vault, slots[i].id, check_keyring, item, json);
      else if (!json)
        printf ("%" G_GINT64_FORMAT "  %s\n", slots[i].id, slot_type_name (slots[i].type));
      json_array_append_new (list, item);
    }
  if (json)
    cli_vault_print_json (json_pack ("{s:o}", "slots", list));
  else
    json_decref (list);
  return CLI_EXIT_OK;
}

typedef struct
{
  char    *new_source;
  char    *new_pin_source;
  gboolean json;
  gboolean yes;
} SlotsOptions;

/* On a terminal, ask before removing slot @id; elsewhere --yes was checked already. */
static gboolean
confirm_removal (gint64              id,
                 const SlotsOptions *o)
{
  char answer[16] = "";

  if (o->yes)
    return TRUE;
  /* Translators: the answer stays 'yes' (or 'y') in every language */
  fprintf (stderr, _("Remove slot %" PRId64 "? It will no longer unlock the vault. "
                     "Type 'yes' to confirm: "), id);
  fflush (stderr);
  if (fgets (answer, sizeof answer, stdin) == NULL)
    return FALSE;
  g_strstrip (answer);
  return g_ascii_strcasecmp (answer, "yes") == 0 || g_ascii_strcasecmp (answer, "y") == 0;
}

static gboolean
remove_slot (EntsecVault        *vault,
             const char         *id_text,
             const SlotsOptions *o,
             GError            **error)
{
  gint64 id = 0;

  if (!cli_parse_number ("slots remove ID", id_text, &id, error))
    return FALSE;
  if (!confirm_removal (id, o))
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           _("Nothing was removed: not confirmed"));
      return FALSE;
    }
  return entsec_vault_remove_slot_sync (vault, id, NULL, error);
}

static gboolean
add_passphrase_slot (EntsecVault *vault,
                     const char  *source,
                     GError     **error)
{
  char *passphrase = cli_read_new_passphrase ("--new-passphrase-file", source,
                                              _("New vault passphrase: "), error);
  gboolean ok = passphrase != NULL
                && entsec_vault_add_passphrase_slot_sync (vault, passphrase, strlen (passphrase),
                                                          NULL, NULL, error);

  entsec_secure_strfree (passphrase);
  return ok;
}

static gboolean
add_recovery_slot (EntsecVault *vault,
                   GError     **error)
{
  char *key = entsec_vault_add_recovery_slot_sync (vault, NULL, error);

  if (key == NULL)
    return FALSE;
  printf (_("Recovery key (write it down; it is not shown again; unlock with it through "
            "--recovery-key-file):\n%s\n"), key);
  entsec_secure_strfree (key);
  return TRUE;
}

static gboolean
remove_pin_slot (EntsecVault *vault,
                 GError     **error)
{
  gint64 id = find_slot (vault, ENTSEC_VAULT_SLOT_PIN);

  if (id == 0)
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NO_SLOT,
                           _("The vault has no PIN to remove"));
      return FALSE;
    }
  return entsec_vault_remove_slot_sync (vault, id, NULL, error);
}

static int
run_slots_action (EntsecVault        *vault,
                  int                 argc,
                  char              **argv,
                  const SlotsOptions *o,
                  gboolean            check_keyring)
{
  g_autoptr (GError) error = NULL;
  const char *action = argc > 1 ? argv[1] : "list";
  gboolean ok = TRUE;

  if (strcmp (action, "list") == 0)
    return print_slots (vault, check_keyring, o->json);
  if (strcmp (action, "add-keyring") == 0)
    ok = entsec_vault_add_keyring_slot_sync (vault, NULL, &error);
  else if (strcmp (action, "add-passphrase") == 0)
    ok = add_passphrase_slot (vault, o->new_source, &error);
  else if (strcmp (action, "add-recovery") == 0)
    ok = add_recovery_slot (vault, &error);
  else if (strcmp (action, "remove") == 0 && argc == 3)
    ok = remove_slot (vault, argv[2], o, &error);
  else if (strcmp (action, "remove-pin") == 0 && argc == 2)
    ok = remove_pin_slot (vault, &error);
  else
    {
      cli_print_error (_("slots: use list, add-keyring, add-passphrase, add-recovery, add-pin, "
                         "remove ID or remove-pin"));
      return CLI_EXIT_USAGE;
    }
  if (!ok && error->domain == G_OPTION_ERROR)
    {
      cli_print_error ("slots: %s", error->message);
      return error->code == G_OPTION_ERROR_FAILED ? CLI_EXIT_FAILURE : CLI_EXIT_USAGE;
    }
  if (!ok)
    return cli_vault_report (error);
  return print_slots (vault, check_keyring, o->json);
}

/* A new PIN from --new-pin-file, or typed twice on a terminal; its form checked. */
static char *
read_new_pin (const char *source,
              GError    **error)
{
  gboolean typed = (source == NULL || strcmp (source, "-") == 0) && isatty (STDIN_FILENO);
  char *pin;

  if (source == NULL && !typed)
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID,
                           _("A new PIN is needed: give --new-pin-file FILE (or '-' for stdin)"));
      return NULL;
    }
  pin = cli_read_secret_option ("--new-pin-file", source != NULL ? source : "-",
                                _("New PIN (digits only): "), error);
  if (pin != NULL && typed)
    pin = cli_confirm_secret (pin, _("Repeat the PIN: "), ENTSEC_VAULT_ERROR,
                              ENTSEC_VAULT_ERROR_INVALID,
                              _("The two PINs differ; nothing was changed"), error);
  if (pin != NULL && !entsec_vault_check_pin_format (pin, strlen (pin), error))
    g_clear_pointer (&pin, entsec_secure_strfree);
  return pin;
}

/*
 * 'slots add-pin': a PIN goes only beside a passphrase and is set with it,
 * so the vault is unlocked here with the passphrase itself (never the
 * keyring), which is then handed on to wrap the PIN slot.
 */
static gboolean
add_pin_slot (EntsecVault           *vault,
              const CliVaultOptions *options,
              const SlotsOptions    *o,
              GError               **error)
{
  char *passphrase = NULL;
  char *pin = NULL;
  gboolean ok = FALSE;

  if (find_slot (vault, ENTSEC_VAULT_SLOT_PASSPHRASE) == 0)
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NO_SLOT,
                           _("A PIN only goes beside a passphrase, which it never replaces: add "
                             "one first with 'entsec-cli slots add-passphrase'"));
      return FALSE;
    }
  passphrase = cli_vault_read_passphrase (options->passphrase_file, _("Vault passphrase: "),
                                          error);
  if (passphrase != NULL
      && entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase), NULL, error))
    pin = read_new_pin (o->new_pin_source, error);
  if (pin != NULL)
    ok = entsec_vault_add_pin_slot_sync (vault, passphrase, strlen (passphrase), pin, strlen (pin),
                                         NULL, NULL, error);
  entsec_secure_strfree (passphrase);
  entsec_secure_strfree (pin);
  if (ok && !o->json)
    printf (_("The PIN is set: it unlocks the vault (--pin-file) until %d wrong PINs in a row; "
              "then only the passphrase does\n"), ENTSEC_VAULT_PIN_MAX_ATTEMPTS);
  return ok;
}

static int
run_add_pin (const CliVaultOptions *options,
             const SlotsOptions    *o)
{
  g_autofree char *path = NULL;
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;

  if (options->recovery_key_file != NULL || options->pin_file != NULL)
    {
      cli_print_error (_("slots add-pin: the PIN is set with the vault passphrase: give "
                         "--passphrase-file FILE, or type it"));
      return CLI_EXIT_USAGE;
    }
  path = cli_vault_path (options);
  if (path == NULL)
    return CLI_EXIT_USAGE;
  vault = entsec_vault_open_sync (path, NULL, &error);
  if (vault == NULL || !add_pin_slot (vault, options, o, &error))
    return cli_vault_report (error);
  return print_slots (vault, !options->no_keyring, o->json);
}

/* 'slots remove' off a terminal needs --yes: say so before any passphrase is asked. */
static gboolean
removal_unconfirmable (int                 argc,
                       char              **argv,
                       const SlotsOptions *o)
{
  if (argc < 2 || strcmp (argv[1], "remove") != 0 || o->yes || isatty (STDIN_FILENO))
    return FALSE;
  cli_print_error (_("slots remove: confirm with --yes (stdin is not a terminal, so it cannot "
                     "ask); the slot will no longer unlock the vault"));
  return TRUE;
}

int
cli_cmd_slots (int    argc,
               char **argv)
{
  CliVaultOptions options = { 0 };
  SlotsOptions o = { 0 };
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &o.json, N_("Print the slot table as JSON"), NULL },
    { "new-passphrase-file", 0, 0, G_OPTION_ARG_FILENAME, &o.new_source,
      N_("add-passphrase: read it from FILE ('-': stdin; asked twice on a terminal)"), "FILE" },
    { "new-pin-file", 0, 0, G_OPTION_ARG_FILENAME, &o.new_pin_source,
      N_("add-pin: read the new PIN from FILE ('-': stdin; asked twice on a terminal)"), "FILE" },
    { "yes", 'y', 0, G_OPTION_ARG_NONE, &o.yes,
      N_("remove: do not ask for confirmation (needed when stdin is not a terminal)"), NULL },
    { NULL }
  };
  g_autoptr (EntsecVault) vault = NULL;
  int status = CLI_EXIT_USAGE;

  if (!cli_vault_parse_options ("slots",
                                "[list | add-keyring | add-passphrase | add-recovery | add-pin | "
                                "remove ID | remove-pin]",
                                N_("Show or change what unlocks the vault. There is always at "
                                   "least one slot, and a slot is\nremoved only while another "
                                   "one is known to open the vault; removing one asks "
                                   "first\n(--yes skips that). The list marks a keyring slot the "
                                   "keyring cannot serve now\n(item missing, locked, "
                                   "unreachable). add-pin sets a quick-unlock PIN beside the\n"
                                   "passphrase (asked for here); 5 wrong PINs in a row and only "
                                   "the passphrase unlocks."),
                                entries, &options, &argc, &argv)
      || removal_unconfirmable (argc, argv, &o)
      || cli_vault_stdin_clash (&options, o.new_source, "slots")
      || cli_vault_stdin_clash (&options, o.new_pin_source, "slots"))
    goto out;
  if (argc == 2 && strcmp (argv[1], "add-pin") == 0)
    {
      status = run_add_pin (&options, &o);
      goto out;
    }
  vault = cli_vault_open (&options, &status);
  if (vault != NULL)
    status = run_slots_action (vault, argc, argv, &o, !options.no_keyring);

out:
  cli_vault_options_clear (&options);
  g_free (o.new_source);
  g_free (o.new_pin_source);
  return status;
}
