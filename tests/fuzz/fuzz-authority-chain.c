/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-authority-chain.c: the authority rotation chain walk (docs/protocol.md
 * section 8.16) over a document {"authority_chain":[...]}, from a fixed key
 * and from its thumbprint. A key comes back only without an error, a
 * refusal always with one, and both walks agree.
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "entsec-protocol.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* RFC 9421 Appendix B.1.3's test-key-ecc-p256 (public part): key 1 of the seeds. */
static const char pinned_jwk[] =
  "{\"kty\":\"EC\",\"crv\":\"P-256\","
  "\"x\":\"qIVYZVLCrPZHGHjP17CTW0_-D9Lfw0EkjqF7xB4FivA\","
  "\"y\":\"Mc4nN9LTDOBhfoUeg8Ye9WedFRhnZXZJA12Qp0zZ6F0\"}";
#define ISSUER "https://auth.example.com"

static EVP_PKEY *
pinned_key (void)
{
  static EVP_PKEY *key;

  if (key == NULL)
    key = entsec_jwk_import (pinned_jwk, strlen (pinned_jwk), FALSE, NULL);
  if (key == NULL)
    __builtin_trap ();
  return key;
}

/* The thumbprint of the key reached, or NULL after checking the error. */
static char *
reached (EVP_PKEY *key,
         GError   *error)
{
  char *jkt;

  if (key == NULL)
    {
      if (error == NULL || error->domain != ENTSEC_PROTOCOL_ERROR || error->message[0] == '\0')
        __builtin_trap ();
      g_error_free (error);
      return NULL;
    }
  if (error != NULL)
    __builtin_trap ();
  jkt = entsec_jwk_thumbprint (key, NULL);
  EVP_PKEY_free (key);
  return jkt;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr (json_t) doc = entsec_json_load_object ((const char *) data, size, 64 * 1024,
                                                    ENTSEC_JSON_MAX_DEPTH, "input", NULL);
  json_t *chain = json_object_get (doc, "authority_chain");
  g_autofree char *pinned_jkt = entsec_jwk_thumbprint (pinned_key (), NULL);
  GError *error = NULL;
  GError *error_jkt = NULL;
  g_autofree char *by_key = NULL;
  g_autofree char *by_jkt = NULL;
  EVP_PKEY *walked;

  if (chain == NULL)
    return 0;
  walked = entsec_authority_chain_walk (pinned_key (), chain, ISSUER, "default", NULL, &error);
  by_key = reached (walked, error);
  walked = entsec_authority_chain_walk_jkt (pinned_jkt, chain, ISSUER, "default", NULL,
                                            &error_jkt);
  by_jkt = reached (walked, error_jkt);
  /* a chain that leads from the key by its own links leads there from its thumbprint */
  if (by_jkt != NULL && (by_key == NULL || strcmp (by_key, by_jkt) != 0))
    __builtin_trap ();
  return 0;
}
