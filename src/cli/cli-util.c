/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cli-util.c: option parsing, secret input and messages shared by the commands */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>

#include "cli-private.h"

/* Longest secret line accepted from stdin or a file. */
#define MAX_SECRET_LINE 4096
/* What some editors (Notepad) write at the start of a UTF-8 file. */
#define UTF8_BOM "\xef\xbb\xbf"

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
  /* The options' descriptions are marked for translation where they are declared. */
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (extra_entries != NULL)
    g_option_context_add_main_entries (context, extra_entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, argc, argv, &error))
    {
      cli_print_error (_("%s: %s (see 'entsec-cli %s --help')"), name, error->message, name);
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
                       _("No secret or passphrase was given: the input is empty"));
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

/* After a full buffer: TRUE when nothing but line breaks follows. */
static gboolean
only_newlines_left (FILE *stream)
{
  int next;

  do
    next = fgetc (stream);
  while (next == '\n' || next == '\r');
  return next == EOF;
}

static void
set_too_long_error (GError **error)
{
  g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID,
               _("The secret or passphrase is longer than %d bytes; nothing was read"),
               MAX_SECRET_LINE);
}

/* Drop a UTF-8 byte order mark (editors on Windows write one) at the start of @buffer. */
static gsize
drop_bom (char  *buffer,
          gsize  len)
{
  if (len < 3 || memcmp (buffer, UTF8_BOM, 3) != 0)
    return len;
  memmove (buffer, buffer + 3, len - 3);
  memset (buffer + len - 3, 0, 3);
  return len - 3;
}

/* Cut the trailing newline(s) of the @len bytes in @buffer; NULL (wiped) when nothing is left. */
static char *
finish_text (char    *buffer,
             gsize    len,
             GError **error)
{
  len = drop_bom (buffer, len);
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
      set_too_long_error (error);
      return NULL;
    }
  return finish_text (buffer, len, error);
}

/*
 * Read all of @stream (a secret wrapped over several lines, as base32(1)
 * writes it): the core's Base32 decoder skips the line breaks. Longer
 * input is refused, never cut.
 */
static char *
read_all (FILE    *stream,
          GError **error)
{
  char *buffer = g_malloc0 (MAX_SECRET_LINE + 1);
  gsize len = fread (buffer, 1, MAX_SECRET_LINE, stream);

  if (len == MAX_SECRET_LINE && !only_newlines_left (stream))
    {
      entsec_secure_free (buffer, MAX_SECRET_LINE + 1);
      set_too_long_error (error);
      return NULL;
    }
  if (memchr (buffer, '\0', len) != NULL)
    {
      entsec_secure_free (buffer, MAX_SECRET_LINE + 1);
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID,
                           _("The secret holds a NUL byte: it is not text"));
      return NULL;
    }
  buffer[len] = '\0';
  return finish_text (buffer, len, error);
}

/* The terminal settings to put back if a signal ends a prompt (see on_prompt_signal). */
static struct termios prompt_saved_termios;

/* Ctrl-C (or kill) at a prompt: echo back on, then leave as a shell expects (128 + SIGINT). */
static void
on_prompt_signal (int signum)
{
  (void) signum;
  tcsetattr (STDIN_FILENO, TCSAFLUSH, &prompt_saved_termios);
  (void) !write (STDERR_FILENO, "\n", 1);
  _exit (130);
}

static const int prompt_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP };

/* Catch (@catch TRUE) or stop catching the signals that could leave the echo off. */
static void
catch_prompt_signals (gboolean          catch,
                      struct sigaction *previous)
{
  struct sigaction action = { 0 };

  action.sa_handler = on_prompt_signal;
  sigemptyset (&action.sa_mask);
  for (gsize i = 0; i < G_N_ELEMENTS (prompt_signals); i++)
    {
      if (catch)
        sigaction (prompt_signals[i], &action, &previous[i]);
      else
        sigaction (prompt_signals[i], &previous[i], NULL);
    }
}

static char *
read_from_terminal (const char *prompt,
                    GError    **error)
{
  struct sigaction previous[G_N_ELEMENTS (prompt_signals)];
  struct termios quiet;
  gboolean restore;
  char *line;

  fputs (prompt, stderr);
  fflush (stderr);
  restore = tcgetattr (STDIN_FILENO, &prompt_saved_termios) == 0;
  if (restore)
    {
      catch_prompt_signals (TRUE, previous);
      quiet = prompt_saved_termios;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
    }
  line = read_line (stdin, error);
  if (restore)
    {
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &prompt_saved_termios);
      catch_prompt_signals (FALSE, previous);
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
               _("%s takes a FILE or '-' (stdin), not the value itself: the file could not be "
                 "opened (%s)"), option, g_strerror (saved_errno));
}

/* A secret from @source: one line, or (@whole) everything up to the end of the input. */
static char *
read_secret (const char *option,
             const char *source,
             const char *prompt,
             gboolean    whole,
             GError    **error)
{
  FILE *file;
  char *text;

  g_return_val_if_fail (source != NULL, NULL);

  if (g_strcmp0 (source, "-") == 0)
    {
      setvbuf (stdin, NULL, _IONBF, 0);
      if (isatty (STDIN_FILENO) && prompt != NULL)
        return read_from_terminal (prompt, error);
      return whole ? read_all (stdin, error) : read_line (stdin, error);
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
  text = whole ? read_all (file, error) : read_line (file, error);
  fclose (file);
  return text;
}

char *
cli_read_secret_option (const char *option,
                        const char *source,
                        const char *prompt,
                        GError    **error)
{
  return read_secret (option, source, prompt, FALSE, error);
}

char *
cli_read_secret_text (const char *option,
                      const char *source,
                      const char *prompt,
                      GError    **error)
{
  return read_secret (option, source, prompt, TRUE, error);
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

gboolean
cli_parse_number (const char *option,
                  const char *text,
                  gint64     *value,
                  GError    **error)
{
  guint64 parsed = 0;
  gboolean ok;

  if (text == NULL)
    return TRUE;
  /*
   * Digits only: no sign, no exponent, no white space, nothing past
   * G_MAXINT64. Parsed by hand: g_ascii_string_to_unsigned() reads errno,
   * which the first use of the C locale can leave set, and then refused a
   * plain "1" now and then.
   */
  ok = text[0] != '\0';
  for (const char *p = text; ok && *p != '\0'; p++)
    {
      guint digit = (guint) (*p - '0');

      ok = g_ascii_isdigit (*p) && parsed <= ((guint64) G_MAXINT64 - digit) / 10;
      if (ok)
        parsed = parsed * 10 + digit;
    }
  if (!ok)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("%s takes a whole number from 0 to %" PRId64 ", not '%s'"), option,
                   G_MAXINT64, text);
      return FALSE;
    }
  *value = (gint64) parsed;
  return TRUE;
}

gboolean
cli_text_option (const char *option,
                 char      **value,
                 GError    **error)
{
  char *text;

  if (*value == NULL)
    return TRUE;
  /* UTF-8 whatever the locale says (a C locale often carries it), else the locale's encoding. */
  if (g_utf8_validate (*value, -1, NULL))
    text = g_strdup (*value);
  else
    text = g_get_charset (NULL) ? NULL : g_locale_to_utf8 (*value, -1, NULL, NULL, NULL);
  if (text == NULL)
    {
      /* The field, never its bytes: they are not text a terminal can show. */
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("the value of %s is not valid text in this system's encoding (UTF-8 "
                     "expected); type the name again"), option);
      return FALSE;
    }
  g_free (*value);
  *value = text;
  return TRUE;
}

gsize
cli_skip_line (FILE *stream)
{
  gsize skipped = 0;
  int c;

  while ((c = getc (stream)) != EOF && c != '\n')
    skipped++;
  return skipped;
}

gboolean
cli_line_too_long (const char *line,
                   FILE       *stream,
                   gsize       max,
                   gsize      *full_len)
{
  gsize len = strlen (line);

  if (len <= max || line[len - 1] == '\n')
    return FALSE;
  *full_len = len + cli_skip_line (stream);
  return TRUE;
}

const char *
cli_skip_bom (const char *text)
{
  return g_str_has_prefix (text, UTF8_BOM) ? text + strlen (UTF8_BOM) : text;
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
  const char *type = entsec_account_type_to_string (account->type);
  const char *algorithm = entsec_otp_algorithm_to_string (account->algorithm);

  /* Translators: type and hash (totp, SHA1) stay as they are; digits are 6 to 10 */
  if (account->type == ENTSEC_ACCOUNT_HOTP)
    return g_strdup_printf (_("%s, %s, %u digits, counter %" PRIu64), type, algorithm,
                            account->digits, account->counter);
  /* Translators: type and hash (totp, SHA1) stay as they are; digits are 6 to 10; s: seconds */
  return g_strdup_printf (_("%s, %s, %u digits, every %u s"), type, algorithm, account->digits,
                          account->period);
}
