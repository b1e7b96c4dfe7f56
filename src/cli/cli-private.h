/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cli-private.h: what the entsec-cli commands share */
#pragma once

#include <stdio.h>

#include <gio/gio.h>

#include <entsec/entsec.h>

G_BEGIN_DECLS

/* Exit codes, documented in --help and entsec-cli(1). */
typedef enum
{
  CLI_EXIT_OK = 0,
  CLI_EXIT_FAILURE = 1,    /* the operation failed (I/O, keyring, crypto) */
  CLI_EXIT_USAGE = 2,      /* bad command line */
  CLI_EXIT_BAD_INPUT = 3,  /* input rejected: URI, secret, image, file format */
  CLI_EXIT_AUTH = 4,       /* wrong passphrase, vault locked or in use */
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

/* Parse @entries for command @name; prints the error and returns FALSE on bad usage. */
gboolean cli_parse_options (const char   *name,
                            const char   *parameter_string,
                            const char   *description,
                            GOptionEntry *entries,
                            int          *argc,
                            char       ***argv);

/*
 * Read a secret value named by @source: "-" reads one line from stdin
 * (without echo on a terminal, after printing @prompt), anything else is a
 * file whose first line is taken. The trailing newline is dropped. Free with
 * entsec_secure_strfree().
 */
char *cli_read_secret (const char *source,
                       const char *prompt,
                       GError    **error);

/* Print "entsec-cli: MESSAGE" on stderr. */
void cli_print_error (const char *format,
                      ...) G_GNUC_PRINTF (1, 2);

/* The clock the CLI injects into core: --time when given, else the system's. */
gint64 cli_now (gint64 time_option);

G_END_DECLS
