/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cli-add-image.c: the accounts of QR images for `entsec-cli add --image`.
 * Every file is decoded before anything is added, so one unreadable image
 * leaves the vault as it was.
 */

#include "config.h"

#include <unistd.h>

#include <jansson.h>

#include "cli-private.h"

/* "[2/5] photo.jpg" on one terminal line, rewritten in place. */
static void
show_progress (gboolean    on_terminal,
               guint       index,
               guint       total,
               const char *path)
{
  g_autofree char *name = NULL;

  if (!on_terminal)
    return;
  name = g_path_get_basename (path);
  fputs ("\r\033[K", stderr);
  fprintf (stderr, _("[%u/%u] Reading %s…"), index + 1, total, name);
  fflush (stderr);
}

static void
clear_progress (gboolean on_terminal)
{
  if (on_terminal)
    fputs ("\r\033[K", stderr);
}

/* One file's line: what it yields, or why it yields nothing. */
static void
report_file (const char      *path,
             const GPtrArray *found,
             const GError    *error,
             json_t          *files)
{
  json_t *entry = json_pack ("{s:s}", "file", path);

  if (found != NULL)
    {
      json_t *names = json_array ();

      for (guint i = 0; i < found->len; i++)
        {
          g_autofree char *name = entsec_account_dup_display_name (g_ptr_array_index (found, i));
          json_array_append_new (names, json_string (name));
        }
      json_object_set_new (entry, "accounts", names);
    }
  else
    {
      json_object_set_new (entry, "error", json_string (error->message));
    }
  json_array_append_new (files, entry);
}

static void
print_file_results (json_t *files)
{
  size_t i;
  json_t *entry;

  json_array_foreach (files, i, entry)
    {
      const char *path = json_string_value (json_object_get (entry, "file"));
      json_t *names = json_object_get (entry, "accounts");

      if (names == NULL)
        {
          cli_print_error ("%s: %s", path,
                           json_string_value (json_object_get (entry, "error")));
          continue;
        }
      printf (g_dngettext (NULL, "%s: %zu account\n", "%s: %zu accounts\n",
                           json_array_size (names)),
              path, json_array_size (names));
    }
}

gboolean
cli_collect_image_accounts (char     **files,
                            gboolean   json,
                            GPtrArray *accounts,
                            GError   **error)
{
  gboolean on_terminal = !json && isatty (STDERR_FILENO);
  guint total = g_strv_length (files);
  json_t *results = json_array ();
  guint n_failed = 0;

  for (guint i = 0; i < total; i++)
    {
      g_autoptr (GError) file_error = NULL;
      g_autoptr (GPtrArray) found = NULL;

      show_progress (on_terminal, i, total, files[i]);
      found = entsec_qr_accounts_from_file_sync (files[i], NULL, &file_error);
      report_file (files[i], found, file_error, results);
      if (found == NULL)
        {
          n_failed++;
          continue;
        }
      for (guint k = 0; k < found->len; k++)
        g_ptr_array_add (accounts, entsec_account_copy (g_ptr_array_index (found, k)));
    }
  clear_progress (on_terminal);

  if (json && n_failed > 0)
    cli_vault_print_json (json_pack ("{s:o, s:o}", "files", results, "added", json_array ()));
  else if (json)
    json_decref (results);
  else
    {
      print_file_results (results);
      json_decref (results);
    }
  if (n_failed > 0)
    g_set_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_NO_CODE,
                 g_dngettext (NULL, "%u of %u image could not be used; nothing was added",
                              "%u of %u images could not be used; nothing was added", total),
                 n_failed, total);
  return n_failed == 0;
}
