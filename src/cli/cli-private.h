/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cli-private.h: what the entsec-cli commands share */
#pragma once

/* PRId64 in translatable messages: xgettext knows it, not G_GINT64_FORMAT. */
#include <inttypes.h>
#include <stdio.h>

#include <gio/gio.h>
#include <glib/gi18n.h>

#include <entsec/entsec.h>

G_BEGIN_DECLS

/* Exit codes, documented in --help and entsec-cli(1). */
typedef enum
{
  CLI_EXIT_OK = 0,
  CLI_EXIT_FAILURE = 1,    /* the operation failed (I/O, keyring, crypto) */
  CLI_EXIT_USAGE = 2,      /* bad command line */
  CLI_EXIT_BAD_INPUT = 3,  /* input rejected: URI, secret, image, file format, weak or
                            * mismatched new passphrase */
  CLI_EXIT_AUTH = 4,       /* wrong passphrase or recovery key, vault locked or in use */
} CliExit;

typedef struct
{
  const char *name;
  const char *summary;
  int (*run) (int argc, char **argv);
} CliCommand;

int cli_cmd_code (int argc, char **argv);
int cli_cmd_parse (int argc, char **argv);
int cli_cmd_scan (int argc, char **argv);

int cli_cmd_init (int argc, char **argv);
int cli_cmd_unlock_test (int argc, char **argv);
int cli_cmd_add (int argc, char **argv);
int cli_cmd_list (int argc, char **argv);
int cli_cmd_edit (int argc, char **argv);
int cli_cmd_rm (int argc, char **argv);
int cli_cmd_passwd (int argc, char **argv);
int cli_cmd_slots (int argc, char **argv);
int cli_cmd_export (int argc, char **argv);
int cli_cmd_import (int argc, char **argv);
int cli_cmd_enroll (int argc, char **argv);
int cli_cmd_device (int argc, char **argv);
int cli_cmd_sync (int argc, char **argv);
int cli_cmd_policy (int argc, char **argv);
int cli_cmd_heartbeat (int argc, char **argv);
/* A heartbeat's outcome (entsec-cli heartbeat, watch): as text, or as a new JSON object. */
void           cli_print_heartbeat (const EntsecEnterpriseHeartbeat *heartbeat);
struct json_t *cli_heartbeat_to_json (const EntsecEnterpriseHeartbeat *heartbeat);
int cli_cmd_watch (int argc, char **argv);
/*
 * Print an enterprise error (network, policy, approval) and return its exit
 * code: 3 for input refused (not enrolled, a wrong number, an unknown or
 * expired request, a policy refused), 4 for trust, signature and clock, 1 else.
 */
int cli_enterprise_report (const GError *error);
int cli_cmd_approvals (int argc, char **argv);
int cli_cmd_status (int argc, char **argv);
int cli_cmd_unbind (int argc, char **argv);
int cli_cmd_delete_all_data (int argc, char **argv);
/*
 * Apply the enterprise offline grace at @now before codes are shown: past
 * its wipe limit the enterprise data is removed (said on stderr). FALSE
 * (and the exit status) only when that fails.
 */
gboolean cli_enterprise_offline_check (EntsecVault *vault,
                                       gint64       now,
                                       int         *exit_code);
/* --locked, for watch, approvals, approve, deny and status. */
#define LOCKED_OPTION(variable)                                                          \
  { "locked", 0, 0, G_OPTION_ARG_NONE, (variable),                                       \
    N_("Leave the vault locked: the device key sealed in the keyring signs (see "        \
       "'entsec-cli status'); approving still needs the vault unlocked"), NULL }
/*
 * "Your organisation wiped this device on DATE ..." for the remote wipe
 * recorded in @vault, or NULL when there is none (or it is not completed and
 * @completed_only). Free with g_free().
 */
char *cli_remote_wipe_notice (EntsecVault *vault,
                              gboolean     completed_only);
int cli_cmd_approve (int argc, char **argv);
int cli_cmd_deny (int argc, char **argv);

/* FALSE (and the exit status) when the enterprise policy in force forbids export. */
gboolean cli_policy_allows_export (EntsecVault *vault,
                                   int         *exit_code);

/* ---- The vault (cli-vault.c, cli-vault-accounts.c) ---- */

struct json_t;

/*
 * The options every vault command takes (--vault, --profile,
 * --passphrase-file, --recovery-key-file, --pin-file, --no-keyring).
 */
typedef struct
{
  char    *vault_path;
  char    *profile;
  char    *passphrase_file;
  char    *recovery_key_file;
  char    *pin_file;
  gboolean no_keyring;
} CliVaultOptions;

/* cli_parse_options() plus the vault options. */
gboolean cli_vault_parse_options (const char      *name,
                                  const char      *parameter_string,
                                  const char      *description,
                                  GOptionEntry    *entries,
                                  CliVaultOptions *options,
                                  int             *argc,
                                  char          ***argv);
void     cli_vault_options_clear (CliVaultOptions *options);
/* The vault file the options name (NULL after printing an error). */
char    *cli_vault_path (const CliVaultOptions *options);
/*
 * Open and unlock the vault: keyring first, then the passphrase (from
 * --passphrase-file or a prompt). On failure prints why and sets @exit_code.
 */
EntsecVault *cli_vault_open (const CliVaultOptions *options,
                             int                   *exit_code);
/*
 * cli_vault_open() for an export: when the keyring unlocked a vault that
 * also has a passphrase or recovery slot, the passphrase is asked too and
 * checked on a second, fresh vault object (a keyring alone never exports).
 */
EntsecVault *cli_vault_open_for_export (const CliVaultOptions *options,
                                        int                   *exit_code);
/* TRUE (after printing why) when the vault options and @other_source both read stdin. */
gboolean     cli_vault_stdin_clash (const CliVaultOptions *options,
                                    const char            *other_source,
                                    const char            *command);
/*
 * A new passphrase (vault or backup) from @source, asked twice when typed on
 * a terminal; refused (exit 3) when empty, not UTF-8 or too weak
 * (entsec_passphrase_check_strength()). Free with entsec_secure_strfree().
 */
char        *cli_read_new_passphrase (const char *option,
                                      const char *source,
                                      const char *prompt,
                                      GError    **error);
/* Print @error and return the exit code it maps to. */
int  cli_vault_report (const GError *error);
int  cli_vault_exit_code (const GError *error);
/* Print @root (a json_t, stolen) indented, on stdout. */
/*
 * cli_vault_parse_options() then cli_vault_open(), for commands that need
 * nothing else from the vault options. NULL with @exit_code set on failure.
 */
EntsecVault *cli_vault_parse_and_open (const char   *name,
                                       const char   *parameter_string,
                                       const char   *description,
                                       GOptionEntry *entries,
                                       int          *argc,
                                       char       ***argv,
                                       int          *exit_code);
/*
 * The same for the enterprise events commands, whose @entries include
 * --locked (into @locked): then the vault is opened but not unlocked, and
 * the device key in the keyring signs.
 */
EntsecVault *cli_vault_parse_and_open_events (const char   *name,
                                              const char   *parameter_string,
                                              const char   *description,
                                              GOptionEntry *entries,
                                              gboolean     *locked,
                                              int          *argc,
                                              char       ***argv,
                                              int          *exit_code);

void cli_vault_print_json (struct json_t *root);
/*
 * THE way accounts get into the vault from the CLI, whatever their source
 * (URI, flags, file, image): one transaction, all or nothing; duplicates of
 * stored accounts are reported and never overwritten (with
 * @skip_duplicates they are left out and the rest is added). Sets each
 * added account's id. Returns the exit code.
 */
int  cli_vault_add_accounts (EntsecVault *vault,
                             GPtrArray   *accounts,
                             gboolean     skip_duplicates,
                             gboolean     json);
/*
 * add --image: decode every file in @files (NULL-terminated), print a result
 * per file (and a progress line on a terminal), append their accounts to
 * @accounts. FALSE, with a summary in @error, when any file failed: the
 * caller must add nothing.
 */
gboolean cli_collect_image_accounts (char     **files,
                                     gboolean   json,
                                     GPtrArray *accounts,
                                     GError   **error);

/*
 * The account @query names: an id, or a whole name ("issuer:label", the
 * label, the display name; the issuer alone too unless @whole_name), else
 * (unless @whole_name) a unique part of one. Several matches are an error
 * listing their ids.
 */
EntsecAccount *cli_vault_find_account (EntsecVault *vault,
                                       const char  *query,
                                       gboolean     whole_name,
                                       GError     **error);
/* Codes of every TOTP/Steam account, or of the one @query names (HOTP advances). */
int  cli_vault_print_codes (EntsecVault *vault,
                            const char  *query,
                            gint64       now,
                            gboolean     json);

/* Parse @entries for command @name; prints the error and returns FALSE on bad usage. */
/* The same with a second table of options (e.g. the vault's), or NULL. */
gboolean cli_parse_options_with (const char         *name,
                                 const char         *parameter_string,
                                 const char         *description,
                                 GOptionEntry       *entries,
                                 const GOptionEntry *extra_entries,
                                 int                *argc,
                                 char             ***argv);

gboolean cli_parse_options (const char   *name,
                            const char   *parameter_string,
                            const char   *description,
                            GOptionEntry *entries,
                            int          *argc,
                            char       ***argv);

/*
 * Read a secret value named by @source: "-" reads one line from stdin
 * (without echo on a terminal, after printing @prompt), anything else is a
 * file whose first line is taken. The trailing newline is dropped; an empty
 * line and a line over 4096 bytes are refused (ENTSEC_VAULT_ERROR_INVALID).
 * A file that cannot be opened is reported as --passphrase-file's (never
 * naming @source). Free with entsec_secure_strfree().
 */
char *cli_read_secret (const char *source,
                       const char *prompt,
                       GError    **error);
/* The same, naming @option ("--secret") when the file cannot be opened (never @source). */
char *cli_read_secret_option (const char *option,
                              const char *source,
                              const char *prompt,
                              GError    **error);
/*
 * A Base32 secret named by @source (--secret): the whole input, so a secret
 * wrapped over several lines is read whole (the line breaks stay in; the
 * Base32 decoder skips them). A terminal prompt reads one line.
 */
char *cli_read_secret_text (const char *option,
                            const char *source,
                            const char *prompt,
                            GError    **error);
/*
 * Set @error for a FILE of option @option that could not be opened: says the
 * option takes a FILE or '-', never repeats the argument (it may be a secret).
 */
void  cli_set_open_error (GError     **error,
                          const char  *option,
                          int          saved_errno);

/*
 * Ask again on stdin after @repeat_prompt and compare with @first (a secret
 * just typed): returns @first when both match; otherwise wipes it, returns
 * NULL and sets @error to @domain, @code, @mismatch_message.
 */
char *cli_confirm_secret (char       *first,
                          const char *repeat_prompt,
                          GQuark      domain,
                          int         code,
                          const char *mismatch_message,
                          GError    **error);

/* An account without its secret: type, issuer, label, algorithm, digits,
 * period or counter, secret_bits. */
struct json_t *cli_account_to_json (const EntsecAccount *account);

/* "totp, SHA256, 6 digits, every 60 s" (or "counter N" for HOTP). */
char *cli_account_dup_parameters (const EntsecAccount *account);

/* Print "entsec-cli: MESSAGE" on stderr. */
void cli_print_error (const char *format,
                      ...) G_GNUC_PRINTF (1, 2);

/*
 * Parse the value @text of @option (a counter, a Unix time) into @value:
 * digits only, 0 to G_MAXINT64. @text NULL (option not given) leaves @value
 * alone. A G_OPTION_ERROR (exit 2) names the option and the value.
 */
gboolean cli_parse_number (const char *option,
                           const char *text,
                           gint64     *value,
                           GError    **error);

/*
 * A name option read as raw bytes (G_OPTION_ARG_FILENAME, so GOption does
 * not fail with a bare "Invalid byte sequence"): @value converted to UTF-8
 * in place, or a G_OPTION_ERROR naming @option, never the bytes.
 */
gboolean cli_text_option (const char *option,
                          char      **value,
                          GError    **error);
/* Read and drop the rest of the current line of @stream; returns how many bytes it held. */
gsize cli_skip_line (FILE *stream);
/*
 * After fgets() of @line (buffer of @max + 2) from @stream: TRUE when the line
 * is longer than @max bytes; then its rest is dropped and its real length,
 * newline excluded, is in @full_len (so messages never report a cut length).
 */
gboolean cli_line_too_long (const char *line,
                            FILE       *stream,
                            gsize       max,
                            gsize      *full_len);
/* @text past a UTF-8 byte order mark at its start (a file's first line), if any. */
const char *cli_skip_bom (const char *text);

/* The clock the CLI injects into core: --time when given, else the system's. */
gint64 cli_now (gint64 time_option);

G_END_DECLS
