/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-jws.c: compact JWS verification against a fixed key, and the same
 * bytes as a JWK. A payload comes back only without an error, a failure
 * always with one; every imported JWK must export and re-import to the same
 * thumbprint.
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "entsec-protocol.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* RFC 9449's example key (the DPoP proof in the corpus is signed with it). */
static const char rfc9449_jwk[] =
  "{\"kty\":\"EC\",\"x\":\"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs\","
  "\"y\":\"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA\",\"crv\":\"P-256\"}";

static EVP_PKEY *
fixed_key (void)
{
  static EVP_PKEY *key;

  if (key == NULL)
    key = entsec_jwk_import (rfc9449_jwk, strlen (rfc9449_jwk), FALSE, NULL);
  if (key == NULL)
    __builtin_trap ();
  return key;
}

static void
check_error (GError *error)
{
  if (error == NULL || error->domain != ENTSEC_PROTOCOL_ERROR || error->message[0] == '\0')
    __builtin_trap ();
  g_error_free (error);
}

static void
check_jws (const uint8_t *data,
           size_t         size)
{
  GError *error = NULL;
  g_autoptr (GBytes) payload = entsec_jws_verify ((const char *) data, size, fixed_key (), NULL,
                                                  &error);

  if (payload == NULL)
    check_error (error);
  else if (error != NULL)
    __builtin_trap ();
}

static void
check_jwk (const uint8_t *data,
           size_t         size)
{
  GError *error = NULL;
  g_autoptr (EVP_PKEY) key = entsec_jwk_import ((const char *) data, size, TRUE, &error);
  g_autofree char *jkt = NULL;
  g_autofree char *exported = NULL;
  g_autofree char *jkt_again = NULL;
  g_autoptr (EVP_PKEY) again = NULL;

  if (key == NULL)
    {
      check_error (error);
      return;
    }
  jkt = entsec_jwk_thumbprint (key, NULL);
  exported = entsec_jwk_export (key, FALSE, NULL);
  if (jkt == NULL || exported == NULL)
    __builtin_trap ();
  again = entsec_jwk_import (exported, strlen (exported), FALSE, NULL);
  jkt_again = again != NULL ? entsec_jwk_thumbprint (again, NULL) : NULL;
  if (jkt_again == NULL || strcmp (jkt, jkt_again) != 0)
    __builtin_trap ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  check_jws (data, size);
  check_jwk (data, size);
  return 0;
}
