/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-uri-list.c: plain otpauth:// lists. Good lines must come back as valid
 * accounts, bad ones as errors naming their line; the list exported from the
 * good accounts must import again without errors.
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include <entsec/entsec.h>

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static void
check_reexport (GPtrArray *accounts)
{
  char *text = entsec_backup_export_uris (accounts);
  GBytes *bytes = g_bytes_new (text, strlen (text));
  EntsecImportResult *again = entsec_backup_import_uris (bytes, NULL);

  if (accounts->len > 0
      && (again == NULL || again->errors->len != 0 || again->accounts->len != accounts->len))
    __builtin_trap ();
  entsec_import_result_free (again);
  g_bytes_unref (bytes);
  entsec_secure_strfree (text);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  GBytes *bytes = g_bytes_new (data, size);
  GError *error = NULL;
  EntsecImportResult *result = entsec_backup_import_uris (bytes, &error);

  if (result == NULL)
    {
      if (error == NULL || error->domain != ENTSEC_BACKUP_ERROR)
        __builtin_trap ();
      g_error_free (error);
    }
  else
    {
      for (guint i = 0; i < result->errors->len; i++)
        {
          const GError *line = g_ptr_array_index (result->errors, i);

          if (!g_str_has_prefix (line->message, "Line "))
            __builtin_trap ();
        }
      check_reexport (result->accounts);
      entsec_import_result_free (result);
    }
  g_bytes_unref (bytes);
  return 0;
}
