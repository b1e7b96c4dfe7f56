/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cli-scan.c: `entsec-cli scan FILE...`: what the QR codes in images hold,
 * one result per file, never a secret.
 */

#include "config.h"

#include <unistd.h>

#include <jansson.h>

#include "cli-private.h"

typedef struct
{
  gboolean json;
  gboolean progress;
  json_t  *files;
  guint    n_failed;     /* files that yielded no account (read errors included) */
  guint    n_io_failed;
} ScanReport;

/* The accounts the codes of @result hold, all codes together. */
static guint
count_accounts (const EntsecQrResult *result)
{
  guint n = 0;

  for (guint i = 0; i < result->codes->len; i++)
    n += ((EntsecQrCode *) result->codes->pdata[i])->accounts->len;
  return n;
}

static json_t *
code_to_json (const EntsecQrCode *code)
{
  json_t *accounts = json_array ();
  json_t *rejected = json_array ();
  json_t *object;

  for (guint i = 0; i < code->accounts->len; i++)
    json_array_append_new (accounts, cli_account_to_json (code->accounts->pdata[i]));
  for (guint i = 0; code->entry_errors != NULL && i < code->entry_errors->len; i++)
    json_array_append_new (rejected,
                           json_string (((GError *) code->entry_errors->pdata[i])->message));
  object = json_pack ("{s:s, s:I, s:o, s:o, s:o}", "kind", entsec_qr_kind_to_string (code->kind),
                      "bytes", (json_int_t) g_bytes_get_size (code->data),
                      "accounts", accounts, "rejected", rejected,
                      "error", code->error != NULL ? json_string (code->error->message)
                                                   : json_null ());
  if (code->kind == ENTSEC_QR_KIND_MIGRATION)
    {
      json_object_set_new (object, "batch_size", json_integer (code->batch_size));
      json_object_set_new (object, "batch_index", json_integer (code->batch_index));
    }
  return object;
}

static void
print_account (const EntsecAccount *account)
{
  g_autofree char *params = NULL;

  if (account->issuer != NULL)
    printf ("    %s: %s", account->issuer, account->label);
  else
    printf ("    %s", account->label);
  params = cli_account_dup_parameters (account);
  printf (" (%s)\n", params);
}

static void
print_code (const EntsecQrCode *code,
            guint               index)
{
  const char *kind = entsec_qr_kind_to_string (code->kind);
  guint n = code->accounts->len;

  /* Translators: the second %s is the kind of code, a keyword as in --json (otpauth, url…) */
  if (code->kind == ENTSEC_QR_KIND_MIGRATION && code->batch_size > 1)
    printf (g_dngettext (NULL, "  code %u: %s (QR code %d of %d of the export), %u account\n",
                         "  code %u: %s (QR code %d of %d of the export), %u accounts\n", n),
            index + 1, kind, code->batch_index + 1, code->batch_size, n);
  else
    printf (g_dngettext (NULL, "  code %u: %s, %u account\n", "  code %u: %s, %u accounts\n", n),
            index + 1, kind, n);
  for (guint i = 0; i < code->accounts->len; i++)
    print_account (code->accounts->pdata[i]);
  for (guint i = 0; code->entry_errors != NULL && i < code->entry_errors->len; i++)
    printf (_("    rejected: %s\n"), ((GError *) code->entry_errors->pdata[i])->message);
  if (code->error != NULL)
    printf ("    %s\n", code->error->message);
}

static void
report_result (ScanReport           *report,
               const char           *shown,
               const EntsecQrResult *result)
{
  json_t *codes;

  if (count_accounts (result) == 0)
    report->n_failed++;
  if (!report->json)
    {
      printf (g_dngettext (NULL, "%s: %u QR code\n", "%s: %u QR codes\n", result->codes->len),
              shown, result->codes->len);
      for (guint i = 0; i < result->codes->len; i++)
        print_code (result->codes->pdata[i], i);
      return;
    }
  codes = json_array ();
  for (guint i = 0; i < result->codes->len; i++)
    json_array_append_new (codes, code_to_json (result->codes->pdata[i]));
  json_array_append_new (report->files,
                         json_pack ("{s:s, s:i, s:i, s:s, s:o, s:n}", "file", shown,
                                    "width", (int) result->width, "height", (int) result->height,
                                    "step", result->step, "codes", codes, "error"));
}

static void
report_failure (ScanReport   *report,
                const char   *shown,
                const GError *error)
{
  report->n_failed++;
  if (g_error_matches (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_READ))
    report->n_io_failed++;
  if (!report->json)
    {
      cli_print_error ("%s: %s", shown, error->message);
      return;
    }
  json_array_append_new (report->files,
                         json_pack ("{s:s, s:[], s:s}", "file", shown, "codes", "error",
                                    error->message));
}

/* "Scanning 3/10: photo.jpg" on a terminal, overwritten in place; NULL clears it. */
static void
show_progress (const ScanReport *report,
               int               index,
               int               total,
               const char       *shown)
{
  if (!report->progress)
    return;
  if (shown != NULL)
    {
      fputs ("\r\033[K", stderr);
      fprintf (stderr, _("Scanning %d/%d: %s"), index, total, shown);
    }
  else
    fprintf (stderr, "\r\033[K");
  fflush (stderr);
}

static void
scan_file (ScanReport *report,
           const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecQrResult) result = entsec_qr_decode_file_sync (path, NULL, &error);
  g_autofree char *shown = g_filename_display_name (path);

  show_progress (report, 0, 0, NULL);
  if (result == NULL)
    report_failure (report, shown, error);
  else
    report_result (report, shown, result);
}

int
cli_cmd_scan (int    argc,
              char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the results as JSON"), NULL },
    { NULL }
  };
  ScanReport report = { 0 };

  if (!cli_parse_options ("scan", "IMAGE...",
                          N_("Show what the QR codes in images hold: accounts (never their "
                             "secrets), exports, or why a code is not an authenticator code.\n"
                             "Reads PNG, JPEG, GIF, BMP, TIFF, WebP and SVG pictures.\n"
                             "Exit status 0 when every image holds at least one account, 3 when "
                             "one holds none\n(no code, a web address, a rejected secret...), "
                             "1 when one cannot be read."),
                          entries, &argc, &argv))
    return CLI_EXIT_USAGE;
  if (argc < 2)
    {
      cli_print_error (_("scan: give one or more image files"));
      return CLI_EXIT_USAGE;
    }

  report.json = json;
  report.progress = !json && isatty (STDERR_FILENO) && argc > 2;
  report.files = json_array ();
  for (int i = 1; i < argc; i++)
    {
      g_autofree char *shown = g_filename_display_name (argv[i]);

      show_progress (&report, i, argc - 1, shown);
      scan_file (&report, argv[i]);
      fflush (stdout);
    }
  if (json)
    {
      json_t *root = json_pack ("{s:o}", "files", report.files);

      json_dumpf (root, stdout, JSON_INDENT (2));
      printf ("\n");
      json_decref (root);
    }
  else
    json_decref (report.files);

  if (report.n_io_failed > 0)
    return CLI_EXIT_FAILURE;
  return report.n_failed > 0 ? CLI_EXIT_BAD_INPUT : CLI_EXIT_OK;
}
