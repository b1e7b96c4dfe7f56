/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-otpauth-migration.c: Google Authenticator exports. Input that starts
 * with "otpauth-migration:" is parsed as a URI; anything else is taken as the
 * raw protobuf payload and wrapped in a URI first, so the fuzzer reaches the
 * protobuf decoding without having to learn Base64. Every account that comes
 * out must be valid and survive an otpauth:// round trip.
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include <entsec/entsec.h>

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

#define PREFIX "otpauth-migration:"

static char *
wrap_payload (const uint8_t *data,
              size_t         size)
{
  char *base64 = g_base64_encode (data, size);
  char *escaped = g_uri_escape_string (base64, NULL, FALSE);
  char *uri = g_strconcat ("otpauth-migration://offline?data=", escaped, NULL);

  g_free (base64);
  g_free (escaped);
  return uri;
}

static void
check_account (const EntsecAccount *account)
{
  char *uri = entsec_otpauth_build (account);
  EntsecAccount *again = entsec_otpauth_parse (uri, NULL, NULL);

  if (!entsec_account_validate (account, NULL) || again == NULL
      || g_strcmp0 (again->label, account->label) != 0
      || g_strcmp0 (again->issuer, account->issuer) != 0
      || again->secret_len != account->secret_len || again->counter != account->counter)
    __builtin_trap ();
  entsec_account_free (again);
  entsec_secure_strfree (uri);
}

static void
check_batch (const EntsecMigrationBatch *batch)
{
  if (batch->accounts->len + batch->errors->len > ENTSEC_MIGRATION_MAX_ENTRIES)
    __builtin_trap ();
  for (guint i = 0; i < batch->accounts->len; i++)
    check_account (batch->accounts->pdata[i]);
  for (guint i = 0; i < batch->errors->len; i++)
    {
      const GError *error = batch->errors->pdata[i];

      if (error->domain != ENTSEC_OTPAUTH_ERROR || !g_str_has_prefix (error->message, "Entry "))
        __builtin_trap ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  char *uri;
  GError *error = NULL;
  EntsecMigrationBatch *batch;

  if (size >= strlen (PREFIX) && memcmp (data, PREFIX, strlen (PREFIX)) == 0)
    {
      uri = g_malloc (size + 1);
      memcpy (uri, data, size);
      uri[size] = '\0';
    }
  else
    {
      uri = wrap_payload (data, size);
    }
  batch = entsec_migration_parse (uri, &error);
  if (batch != NULL)
    check_batch (batch);
  else if (error == NULL || error->domain != ENTSEC_OTPAUTH_ERROR || error->message[0] == '\0')
    __builtin_trap ();
  g_clear_error (&error);
  entsec_migration_batch_free (batch);
  g_free (uri);
  return 0;
}
