/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cli-run.c: run the real entsec-cli from a test, capture what it prints */

#include "config.h"

#include "cli-run.h"

void
cli_run_clear (CliRun *run)
{
  g_free (run->out);
  g_free (run->err);
}

void
run_cliv (const char        *input,
          CliRun            *run,
          const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;

  g_ptr_array_add (argv, (char *) g_getenv ("ENTSEC_CLI"));
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char *const *) argv->pdata,
                               G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                 | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input != NULL ? input : "", NULL, &run->out, &run->err,
                                 &error);
  g_assert_no_error (error);
  run->status = g_subprocess_get_exit_status (process);
  g_test_message ("exit %d; stderr: %s", run->status, run->err);
}

void
run_cli (const char *input,
         CliRun     *run,
         const char *first,
         ...)
{
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  va_list ap;

  va_start (ap, first);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (args, (char *) a);
  va_end (ap);
  g_ptr_array_add (args, NULL);
  run_cliv (input, run, (const char *const *) args->pdata);
}
