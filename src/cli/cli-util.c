/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cli-util.c: option parsing, secret input and messages shared by the commands */

#include "config.h"

#include <errno.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>

#include "cli-private.h"

/* Longest secret line accepted from stdin or a file. */
#define MAX_SECRET_LINE 4096

void
cli_print_error (const char *format,
                 ...)
{
  va_list args;

  va_start (args, format);
  fputs ("entsec-cli: ", stderr);
  vfprintf (stderr, format, args);
  fputc ('\n', stderr);
  va_end (args);
}

gboolean
cli_parse_options_with (const char         *name,
                        const char         *parameter_string,
                        const char         *description,
                        GOptionEntry       *entries,
                        const GOptionEntry *extra_entries,
                        int                *argc,
                        char             ***argv)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *prgname = g_strdup_printf ("entsec-cli %s", name);

  /* --help then reads "entsec-cli NAME [OPTION…] PARAMETERS". */
  g_set_prgname (prgname);
  context = g_option_context_new (parameter_string);
  g_option_context_set_summary (context, description);
  g_option_context_add_main_entries (context, entries, NULL);
  if (extra_entries != NULL)
    g_option_context_add_main_entries (context, extra_entries, NULL);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      cli_print_error ("%s: %s (see 'entsec-cli %s --help')", name, error->message, name);
      return FALSE;
    }
  return TRUE;
}

gboolean
cli_parse_options (const char   *name,
                   const char   *parameter_string,
                   const char   *description,
                   GOptionEntry *entries,
                   int          *argc,
                   char       ***argv)
{
  return cli_parse_options_with (name, parameter_string, description, entries, NULL, argc, argv);
}

/* The input is empty: the same error (exit 3) for an empty file and a bare newline. */
static void
set_empty_error (GError **error)
{
  g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID,
                       "No secret or passphrase was given: the input is empty");
}

/* After a full buffer without a newline: TRUE when the line ends here (newline or EOF). */
static gboolean
line_ends_here (FILE *stream)
{
  int next = fgetc (stream);

  if (next == '\r')
    next = fgetc (stream);
  return next == EOF || next == '\n';
}

/* Read one line from @stream into a wiped buffer; a longer line is refused, never cut. */
static char *
read_line (FILE    *stream,
           GError **error)
{
  char *buffer = g_malloc0 (MAX_SECRET_LINE + 1);
  gsize len = 0;

  if (fgets (buffer, MAX_SECRET_LINE + 1, stream) != NULL)
    len = strlen (buffer);
  if (len == MAX_SECRET_LINE && buffer[len - 1] != '\n' && !line_ends_here (stream))
    {
      entsec_secure_free (buffer, MAX_SECRET_LINE + 1);
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID,
                   "The secret or passphrase is longer than %d bytes; nothing was read",
                   MAX_SECRET_LINE);
      return NULL;
    }
  while (len > 0 && (buffer[len - 1] == '\n' || buffer[len - 1] == '\r'))
    buffer[--len] = '\0';
  if (len == 0)
    {
      entsec_secure_free (buffer, MAX_SECRET_LINE + 1);
      set_empty_error (error);
      return NULL;
    }
  return buffer;
}

static char *
read_from_terminal (const char *prompt,
                    GError    **error)
{
  struct termios saved, quiet;
  gboolean restore;
  char *line;

  fputs (prompt, stderr);
  fflush (stderr);
  restore = tcgetattr (STDIN_FILENO, &saved) == 0;
  if (restore)
    {
      quiet = saved;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
    }
  line = read_line (stdin, error);
  if (restore)
    {
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
      fputc ('\n', stderr);
    }
  return line;
}

void
cli_set_open_error (GError     **error,
                    const char  *option,
                    int          saved_errno)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               "%s takes a FILE or '-' (stdin), not the value itself: the file could not be "
               "opened (%s)", option, g_strerror (saved_errno));
}

char *
cli_read_secret_option (const char *option,
                        const char *source,
                        const char *prompt,
                        GError    **error)
{
  FILE *file;
  char *line;

  g_return_val_if_fail (source != NULL, NULL);

  if (g_strcmp0 (source, "-") == 0)
    {
      setvbuf (stdin, NULL, _IONBF, 0);
      if (isatty (STDIN_FILENO) && prompt != NULL)
        return read_from_terminal (prompt, error);
      return read_line (stdin, error);
    }

  file = fopen (source, "re");
  if (file == NULL)
    {
      /* Never the argument: it may be the secret itself, typed in the wrong place. */
      cli_set_open_error (error, option, errno);
      return NULL;
    }
  /* Unbuffered, so no copy of the secret is left in a stdio buffer. */
  setvbuf (file, NULL, _IONBF, 0);
  line = read_line (file, error);
  fclose (file);
  return line;
}

char *
cli_read_secret (const char *source,
                 const char *prompt,
                 GError    **error)
{
  /* The vault's passphrase options call this; the others name themselves. */
  return cli_read_secret_option ("--passphrase-file (or --new-passphrase-file)", source, prompt,
                                 error);
}

char *
cli_confirm_secret (char       *first,
                    const char *repeat_prompt,
                    GQuark      domain,
                    int         code,
                    const char *mismatch_message,
                    GError    **error)
{
  char *second = cli_read_secret ("-", repeat_prompt, error);
  gboolean same;

  if (second == NULL)
    {
      entsec_secure_strfree (first);
      return NULL;
    }
  same = strcmp (first, second) == 0;
  entsec_secure_strfree (second);
  if (!same)
    {
      entsec_secure_strfree (first);
      g_set_error_literal (error, domain, code, mismatch_message);
      return NULL;
    }
  return first;
}

gint64
cli_now (gint64 time_option)
{
  if (time_option >= 0)
    return time_option;
  return g_get_real_time () / G_USEC_PER_SEC;
}

json_t *
cli_account_to_json (const EntsecAccount *account)
{
  json_t *object = json_pack ("{s:s, s:o, s:s, s:s, s:i, s:I}",
                              "type", entsec_account_type_to_string (account->type),
                              "issuer", account->issuer != NULL ? json_string (account->issuer)
                                                                : json_null (),
                              "label", account->label,
                              "algorithm", entsec_otp_algorithm_to_string (account->algorithm),
                              "digits", (int) account->digits,
                              "secret_bits", (json_int_t) account->secret_len * 8);

  if (account->type == ENTSEC_ACCOUNT_HOTP)
    json_object_set_new (object, "counter", json_integer ((json_int_t) account->counter));
  else
    json_object_set_new (object, "period", json_integer (account->period));
  return object;
}

char *
cli_account_dup_parameters (const EntsecAccount *account)
{
  g_autofree char *moving = NULL;

  if (account->type == ENTSEC_ACCOUNT_HOTP)
    moving = g_strdup_printf ("counter %" G_GUINT64_FORMAT, account->counter);
  else
    moving = g_strdup_printf ("every %u s", account->period);
  return g_strdup_printf ("%s, %s, %u digits, %s", entsec_account_type_to_string (account->type),
                          entsec_otp_algorithm_to_string (account->algorithm), account->digits,
                          moving);
}
