/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cli-run.h: run the real entsec-cli ($ENTSEC_CLI) from a test */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct
{
  int status;  /* exit status */
  char *out;   /* everything on stdout */
  char *err;   /* everything on stderr */
} CliRun;

void cli_run_clear (CliRun *run);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (CliRun, cli_run_clear)

/*
 * Run entsec-cli with the NULL-terminated arguments, @input (may be NULL) on
 * its stdin; fill @run. The exit status and stderr go to the test log.
 */
void run_cli (const char *input,
              CliRun     *run,
              const char *first,
              ...) G_GNUC_NULL_TERMINATED;

/* As run_cli() with the arguments in a NULL-terminated vector. */
void run_cliv (const char        *input,
               CliRun            *run,
               const char *const *args);

G_END_DECLS
