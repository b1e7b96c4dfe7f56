/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cli-run.c: run the real entsec-cli from a test, capture what it prints */

/* memfd_create() */
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli-run.h"

void
cli_run_clear (CliRun *run)
{
  g_free (run->out);
  g_free (run->err);
}

/*
 * @input in an anonymous memory file, read from its start: the CLI's stdin.
 * Not a pipe: a CLI that refuses its arguments exits before reading its
 * input, and writing a pipe it closed failed the test with EPIPE (GSubprocess
 * reports it) whenever the CLI was quick enough.
 */
static int
input_fd (const char *input)
{
  int fd = memfd_create ("entsec-cli-test-input", MFD_CLOEXEC);
  gsize left = strlen (input);

  g_assert_cmpint (fd, >=, 0);
  while (left > 0)
    {
      ssize_t n = write (fd, input, left);

      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, >, 0);
      input += n;
      left -= (gsize) n;
    }
  g_assert_cmpint (lseek (fd, 0, SEEK_SET), ==, 0);
  return fd;
}

void
run_cliv (const char        *input,
          CliRun            *run,
          const char *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) process = NULL;
  g_autoptr (GError) error = NULL;

  g_ptr_array_add (argv, (char *) g_getenv ("ENTSEC_CLI"));
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_take_stdin_fd (launcher, input_fd (input != NULL ? input : ""));
  process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, &run->out, &run->err, &error);
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
