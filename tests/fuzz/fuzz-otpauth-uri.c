/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-otpauth-uri.c: otpauth:// parsing. Whatever parses must build back to
 * a URI that parses to the identical account; whatever fails must say why.
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include <entsec/entsec.h>

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static gboolean
same_account (const EntsecAccount *a,
              const EntsecAccount *b)
{
  return a->type == b->type && g_strcmp0 (a->issuer, b->issuer) == 0
         && g_strcmp0 (a->label, b->label) == 0 && a->algorithm == b->algorithm
         && a->digits == b->digits && a->period == b->period && a->counter == b->counter
         && a->secret_len == b->secret_len && memcmp (a->secret, b->secret, a->secret_len) == 0;
}

static void
check_round_trip (const EntsecAccount *account)
{
  char *uri = entsec_otpauth_build (account);
  GError *error = NULL;
  EntsecAccount *again = entsec_otpauth_parse (uri, NULL, &error);

  if (again == NULL || !same_account (account, again))
    __builtin_trap ();
  if (!entsec_account_validate (again, NULL))
    __builtin_trap ();
  entsec_account_free (again);
  entsec_secure_strfree (uri);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  char *text = g_malloc (size + 1);
  GError *error = NULL;
  EntsecOtpauthWarnings warnings = ENTSEC_OTPAUTH_WARNING_NONE;
  EntsecAccount *account;

  if (size > 0)
    memcpy (text, data, size);
  text[size] = '\0';
  account = entsec_otpauth_parse (text, &warnings, &error);
  if (account != NULL)
    {
      if (error != NULL)
        __builtin_trap ();
      check_round_trip (account);
      entsec_account_free (account);
    }
  else if (error == NULL || error->domain != ENTSEC_OTPAUTH_ERROR || error->message[0] == '\0'
           || warnings != ENTSEC_OTPAUTH_WARNING_NONE)
    {
      __builtin_trap ();
    }
  g_clear_error (&error);
  g_free (text);
  return 0;
}
