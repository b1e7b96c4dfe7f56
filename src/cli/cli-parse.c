/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cli-parse.c: `entsec-cli parse`: show what otpauth:// and
 * otpauth-migration:// URIs hold, without the secrets. URIs come from
 * stdin or files, one a line, so they need not appear on the command line.
 */

#include "config.h"

#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "cli-private.h"

/* Room for the largest export plus surrounding white space and the newline. */
#define MAX_LINE (ENTSEC_MIGRATION_MAX_URI_BYTES + 1024)
#define MIGRATION_SCHEME "otpauth-migration:"
/* Exports carry no warnings of their own: the URI parser's 128-bit advice, applied here. */
#define RECOMMENDED_SECRET_BYTES 16

typedef struct
{
  gboolean json;
  json_t *accounts;
  json_t *errors;
  json_t *exports;
  guint n_inputs;
  guint n_rejected;
} Report;

static const struct
{
  EntsecOtpauthWarnings flag;
  const char *id;
  const char *text;
} warning_texts[] = {
  { ENTSEC_OTPAUTH_WARNING_SHORT_SECRET, "short-secret",
    N_("the secret is shorter than the recommended 128 bits") },
  { ENTSEC_OTPAUTH_WARNING_ISSUER_MISMATCH, "issuer-mismatch",
    N_("the issuer in the label differs from the issuer parameter; the parameter was used") },
};

static void
report_error (Report     *report,
              const char *source,
              int         entry,
              const char *message)
{
  report->n_rejected++;
  if (!report->json)
    {
      cli_print_error ("%s: %s", source, message);
      return;
    }
  json_array_append_new (report->errors,
                         json_pack ("{s:s, s:o, s:s}", "input", source, "entry",
                                    entry > 0 ? json_integer (entry) : json_null (),
                                    "message", message));
}

static json_t *
account_to_json (const char            *source,
                 const EntsecAccount   *account,
                 EntsecOtpauthWarnings  warnings)
{
  json_t *object = cli_account_to_json (account);
  json_t *list = json_array ();

  json_object_set_new (object, "input", json_string (source));
  for (gsize i = 0; i < G_N_ELEMENTS (warning_texts); i++)
    {
      if (warnings & warning_texts[i].flag)
        json_array_append_new (list, json_string (warning_texts[i].id));
    }
  json_object_set_new (object, "warnings", list);
  return object;
}

static void
print_account (const EntsecAccount  *account,
               EntsecOtpauthWarnings warnings)
{
  g_autofree char *params = NULL;

  if (account->issuer != NULL)
    printf ("%s: %s\n", account->issuer, account->label);
  else
    printf ("%s\n", account->label);
  params = cli_account_dup_parameters (account);
  printf (_("  %s, %zu-bit secret\n"), params, account->secret_len * 8);
  for (gsize i = 0; i < G_N_ELEMENTS (warning_texts); i++)
    {
      if (warnings & warning_texts[i].flag)
        printf (_("  warning: %s\n"), _(warning_texts[i].text));
    }
}

static void
report_account (Report               *report,
                const char           *source,
                const EntsecAccount  *account,
                EntsecOtpauthWarnings warnings)
{
  if (report->json)
    json_array_append_new (report->accounts, account_to_json (source, account, warnings));
  else
    print_account (account, warnings);
}

static void
report_export (Report                     *report,
               const char                 *source,
               const EntsecMigrationBatch *batch)
{
  if (report->json)
    {
      json_array_append_new (report->exports,
                             json_pack ("{s:s, s:i, s:i, s:i, s:i, s:i, s:i}", "input", source,
                                        "version", batch->version, "batch_size", batch->batch_size,
                                        "batch_index", batch->batch_index,
                                        "batch_id", batch->batch_id,
                                        "accounts", (int) batch->accounts->len,
                                        "rejected", (int) batch->errors->len));
      return;
    }
  printf (g_dngettext (NULL,
                       "# Google Authenticator export (%s): QR code %d of %d, batch %d: "
                       "%u account, %u rejected\n",
                       "# Google Authenticator export (%s): QR code %d of %d, batch %d: "
                       "%u accounts, %u rejected\n", batch->accounts->len),
          source, batch->batch_index + 1, MAX (batch->batch_size, 1), batch->batch_id,
          batch->accounts->len, batch->errors->len);
}

static void
handle_migration (Report     *report,
                  const char *source,
                  const char *uri)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecMigrationBatch) batch = entsec_migration_parse (uri, &error);

  if (batch == NULL)
    {
      report_error (report, source, 0, error->message);
      return;
    }
  report_export (report, source, batch);
  for (guint i = 0; i < batch->accounts->len; i++)
    {
      const EntsecAccount *account = batch->accounts->pdata[i];
      EntsecOtpauthWarnings warnings = account->secret_len < RECOMMENDED_SECRET_BYTES
                                         ? ENTSEC_OTPAUTH_WARNING_SHORT_SECRET
                                         : ENTSEC_OTPAUTH_WARNING_NONE;

      report_account (report, source, account, warnings);
    }
  for (guint i = 0; i < batch->errors->len; i++)
    {
      const GError *entry_error = batch->errors->pdata[i];
      int entry = 0;

      /* The entry number is the one in the message ("Entry 3 (...): ..."). */
      sscanf (entry_error->message, "Entry %d", &entry);
      report_error (report, source, entry, entry_error->message);
    }
}

static void
handle_uri (Report     *report,
            const char *source,
            const char *uri)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecAccount) account = NULL;
  EntsecOtpauthWarnings warnings = ENTSEC_OTPAUTH_WARNING_NONE;

  report->n_inputs++;
  if (g_ascii_strncasecmp (uri, MIGRATION_SCHEME, strlen (MIGRATION_SCHEME)) == 0)
    {
      handle_migration (report, source, uri);
      return;
    }
  account = entsec_otpauth_parse (uri, &warnings, &error);
  if (account == NULL)
    report_error (report, source, 0, error->message);
  else
    report_account (report, source, account, warnings);
}

/* Each non-empty line of @stream that is not a '#' comment is a URI. */
static void
read_lines (Report     *report,
            FILE       *stream,
            const char *name)
{
  char *line = g_malloc (MAX_LINE + 2);

  for (guint number = 1; fgets (line, MAX_LINE + 2, stream) != NULL; number++)
    {
      g_autofree char *source = g_strdup_printf ("%s:%u", name, number);
      gsize full_len = 0;
      const char *text;

      if (cli_line_too_long (line, stream, MAX_LINE, &full_len))
        {
          g_autofree char *message = g_strdup_printf (_("the line is %zu bytes long, too long "
                                                        "to be a QR code's text (at most %d)"),
                                                      full_len, MAX_LINE);

          report->n_inputs++;
          report_error (report, source, 0, message);
          continue;
        }
      g_strstrip (line);
      text = number == 1 ? cli_skip_bom (line) : line;
      if (text[0] != '\0' && text[0] != '#')
        handle_uri (report, source, text);
    }
  entsec_secure_free (line, MAX_LINE + 2);
}

static gboolean
read_file (Report     *report,
           const char *path)
{
  FILE *file = fopen (path, "re");
  g_autofree char *shown = g_filename_display_name (path);

  if (file == NULL)
    {
      g_autoptr (GError) error = NULL;

      /* Never the argument: it may be a URI given where a FILE belongs. */
      cli_set_open_error (&error, "--file", errno);
      cli_print_error ("parse: %s", error->message);
      return FALSE;
    }
  /* Unbuffered, so no copy of a secret is left in a stdio buffer. */
  setvbuf (file, NULL, _IONBF, 0);
  read_lines (report, file, shown);
  fclose (file);
  return TRUE;
}

static void
read_stdin (Report *report)
{
  setvbuf (stdin, NULL, _IONBF, 0);
  read_lines (report, stdin, "stdin");
}

static void
print_json (Report *report)
{
  json_t *root = json_pack ("{s:O, s:O, s:O}", "accounts", report->accounts, "exports",
                            report->exports, "errors", report->errors);

  /* json_dumpf, not json_dumps + free(): jansson may use its own allocator (core/backup). */
  json_dumpf (root, stdout, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
  printf ("\n");
  json_decref (root);
}

/* TRUE (after saying why) when an argument looks like a URI rather than a FILE. */
static gboolean
uri_in_arguments (int    argc,
                  char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      if (strstr (argv[i], "://") != NULL || g_ascii_strncasecmp (argv[i], "otpauth", 7) == 0)
        {
          /* Never the argument itself: it holds a secret. */
          cli_print_error (_("parse: argument %d looks like a URI; URIs hold secrets that other "
                             "users can see in the process list, so they are read only from "
                             "stdin or files: 'entsec-cli parse < FILE', or give the FILE"), i);
          return TRUE;
        }
    }
  return FALSE;
}

/* Read every input; FALSE when a file could not be opened. */
static gboolean
read_inputs (Report      *report,
             int          argc,
             char       **argv,
             char *const *files)
{
  gboolean ok = TRUE;

  for (gsize i = 0; files != NULL && files[i] != NULL; i++)
    ok = read_file (report, files[i]) && ok;
  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "-"))
        read_stdin (report);
      else
        ok = read_file (report, argv[i]) && ok;
    }
  if (argc < 2 && (files == NULL || files[0] == NULL))
    read_stdin (report);
  return ok;
}

int
cli_cmd_parse (int    argc,
               char **argv)
{
  gboolean json = FALSE;
  g_auto (GStrv) files = NULL;
  GOptionEntry entries[] = {
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json, N_("Print JSON instead of text"), NULL },
    { "file", 'f', 0, G_OPTION_ARG_FILENAME_ARRAY, &files,
      N_("Read URIs from FILE, one a line (may be repeated)"), "FILE" },
    { NULL }
  };
  Report report = { 0 };
  gboolean read_ok;

  if (!cli_parse_options ("parse", "[FILE...|-]",
                          N_("Show what otpauth:// and otpauth-migration:// URIs hold: type, "
                             "issuer, account, algorithm, digits, period or counter and the "
                             "secret's length, never the secret.\nURIs are read from each FILE, "
                             "or from stdin ('-', or no FILE), one a line; never from the "
                             "command line, where other users could see their secrets in the "
                             "process list."),
                          entries, &argc, &argv)
      || uri_in_arguments (argc, argv))
    return CLI_EXIT_USAGE;

  report.json = json;
  report.accounts = json_array ();
  report.errors = json_array ();
  report.exports = json_array ();
  read_ok = read_inputs (&report, argc, argv, files);
  if (report.json)
    print_json (&report);
  json_decref (report.accounts);
  json_decref (report.errors);
  json_decref (report.exports);

  if (!read_ok)
    return CLI_EXIT_FAILURE;
  if (report.n_inputs == 0)
    {
      cli_print_error (_("parse: no URI was found in the input"));
      return CLI_EXIT_BAD_INPUT;
    }
  return report.n_rejected > 0 ? CLI_EXIT_BAD_INPUT : CLI_EXIT_OK;
}
