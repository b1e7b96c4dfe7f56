/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-backup-uris.c: plain lists of otpauth:// URIs, one per line */

#define G_LOG_DOMAIN "entsec-backup"

#include "config.h"

#include <openssl/crypto.h>

#include "backup-private.h"

/* A line longer than this cannot be a URI we accept (migration URIs included). */
#define MAX_LINE_BYTES ENTSEC_MIGRATION_MAX_URI_BYTES

char *
entsec_backup_export_uris (GPtrArray *accounts)
{
  g_autoptr (GPtrArray) uris = g_ptr_array_new_with_free_func (
    (GDestroyNotify) entsec_secure_strfree);
  gsize total = 1;
  char *text;
  char *p;

  g_return_val_if_fail (accounts != NULL, NULL);

  for (guint i = 0; i < accounts->len; i++)
    {
      char *uri = entsec_otpauth_build (g_ptr_array_index (accounts, i));

      total += strlen (uri) + 1;
      g_ptr_array_add (uris, uri);
    }
  /* One allocation of the final size: no reallocations leave copies behind. */
  text = g_malloc (total);
  p = text;
  for (guint i = 0; i < uris->len; i++)
    {
      p = g_stpcpy (p, g_ptr_array_index (uris, i));
      *p++ = '\n';
    }
  *p = '\0';
  return text;
}

static gboolean
too_many (EntsecImportResult *result,
          GError            **error)
{
  if (result->accounts->len + result->errors->len <= ENTSEC_IMPORT_MAX_ENTRIES)
    return FALSE;
  g_set_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_LIMIT,
               "The file has more than %d entries; split it and import the parts",
               ENTSEC_IMPORT_MAX_ENTRIES);
  return TRUE;
}

static void
take_migration (EntsecImportResult   *result,
                EntsecMigrationBatch *batch,
                const char           *where)
{
  for (guint i = 0; i < batch->accounts->len; i++)
    {
      const EntsecAccount *account = g_ptr_array_index (batch->accounts, i);

      g_ptr_array_add (result->accounts, entsec_account_copy (account));
    }
  for (guint i = 0; i < batch->errors->len; i++)
    backup_add_entry_error (result->errors, where, g_ptr_array_index (batch->errors, i));
}

/* Parse one line (NUL-terminated, trimmed) into @result. */
static void
import_line (EntsecImportResult *result,
             const char         *line,
             guint               number)
{
  g_autofree char *where = g_strdup_printf ("Line %u", number);
  g_autoptr (GError) error = NULL;

  if (g_ascii_strncasecmp (line, "otpauth-migration:", 18) == 0)
    {
      g_autoptr (EntsecMigrationBatch) batch = entsec_migration_parse (line, &error);

      if (batch != NULL)
        take_migration (result, batch, where);
    }
  else
    {
      EntsecAccount *account = entsec_otpauth_parse (line, NULL, &error);

      if (account != NULL)
        g_ptr_array_add (result->accounts, account);
    }
  if (error != NULL)
    backup_add_entry_error (result->errors, where, error);
}

static void
import_span (EntsecImportResult *result,
             const char         *start,
             gsize               len,
             guint               number)
{
  char *line;

  while (len > 0 && g_ascii_isspace (start[len - 1]))
    len--;
  while (len > 0 && g_ascii_isspace (*start))
    {
      start++;
      len--;
    }
  if (len == 0 || *start == '#')
    return;
  if (len > MAX_LINE_BYTES || memchr (start, '\0', len) != NULL)
    {
      g_ptr_array_add (result->errors,
                       g_error_new (ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_ENTRY,
                                    "Line %u: not an otpauth:// URI (too long or binary)",
                                    number));
      return;
    }
  line = g_strndup (start, len);
  import_line (result, line, number);
  entsec_secure_free (line, len + 1);
}

EntsecImportResult *
entsec_backup_import_uris (GBytes  *data,
                           GError **error)
{
  g_autoptr (EntsecImportResult) result = backup_import_result_new ();
  gsize len = 0;
  const char *text;
  const char *end;
  guint number = 1;

  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  text = g_bytes_get_data (data, &len);
  if (len > ENTSEC_IMPORT_MAX_FILE_BYTES)
    {
      g_set_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_LIMIT,
                   "The file is larger than the %d MiB limit",
                   ENTSEC_IMPORT_MAX_FILE_BYTES / (1024 * 1024));
      return NULL;
    }
  /* An empty GBytes has no data pointer at all. */
  end = len > 0 ? text + len : text;
  for (const char *start = text; start < end; number++)
    {
      const char *newline = memchr (start, '\n', (gsize) (end - start));
      const char *stop = newline != NULL ? newline : end;

      import_span (result, start, (gsize) (stop - start), number);
      if (too_many (result, error))
        return NULL;
      start = stop + 1;
    }
  if (result->accounts->len == 0 && result->errors->len == 0)
    {
      g_set_error_literal (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_FORMAT,
                           "The file holds no otpauth:// lines");
      return NULL;
    }
  return g_steal_pointer (&result);
}
