/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-aegis-import.c: the Aegis export reader (JSON, slots, scrypt bounds,
 * entries). Whatever it returns must be valid accounts; failures must say why.
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include <entsec/entsec.h>

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static void
check_result (EntsecImportResult *result,
              GError             *error)
{
  if (result == NULL)
    {
      if (error == NULL || error->domain != ENTSEC_BACKUP_ERROR || error->message[0] == '\0')
        __builtin_trap ();
      g_error_free (error);
      return;
    }
  if (error != NULL)
    __builtin_trap ();
  for (guint i = 0; i < result->accounts->len; i++)
    {
      if (!entsec_account_validate (g_ptr_array_index (result->accounts, i), NULL))
        __builtin_trap ();
    }
  for (guint i = 0; i < result->errors->len; i++)
    {
      const GError *entry = g_ptr_array_index (result->errors, i);

      if (entry->code != ENTSEC_BACKUP_ERROR_ENTRY || !g_str_has_prefix (entry->message, "Entry "))
        __builtin_trap ();
    }
  entsec_import_result_free (result);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  GBytes *bytes = g_bytes_new (data, size);
  GError *error = NULL;
  gboolean encrypted = FALSE;
  EntsecImportResult *result;

  if (!entsec_aegis_is_encrypted (bytes, &encrypted, &error))
    g_clear_error (&error);
  result = entsec_aegis_import_sync (bytes, "fuzz", 4, NULL, &error);
  check_result (result, error);
  g_bytes_unref (bytes);
  return 0;
}
