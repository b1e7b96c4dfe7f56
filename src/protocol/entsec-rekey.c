/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-rekey.c: the new key's proof of possession when a device rekeys */

#define G_LOG_DOMAIN "entsec-protocol"

#include "config.h"

#include <string.h>

#include "protocol-private.h"

#define PROOF_CONTEXT "entsec/v1/rekey"

static gboolean
part_ok (const char *value,
         const char *name,
         GError    **error)
{
  if (value != NULL && value[0] != '\0' && strchr (value, '|') == NULL)
    return TRUE;
  g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
               "The rekey proof's %s must be a non-empty string without \"|\"", name);
  return FALSE;
}

char *
entsec_rekey_proof_input (const char *device_id,
                          const char *nonce,
                          const char *old_jkt,
                          const char *new_jkt,
                          GError    **error)
{
  if (!part_ok (device_id, "device id", error) || !part_ok (nonce, "nonce", error)
      || !part_ok (old_jkt, "old key thumbprint", error)
      || !part_ok (new_jkt, "new key thumbprint", error))
    return NULL;
  return g_strjoin ("|", PROOF_CONTEXT, device_id, nonce, old_jkt, new_jkt, NULL);
}

char *
entsec_rekey_proof_sign (EVP_PKEY   *new_key,
                         const char *device_id,
                         const char *nonce,
                         const char *old_jkt,
                         const char *new_jkt,
                         GError    **error)
{
  g_autofree char *input = entsec_rekey_proof_input (device_id, nonce, old_jkt, new_jkt, error);
  guint8 signature[ENTSEC_EC_SIGNATURE_SIZE];

  if (input == NULL
      || !entsec_ec_sign (new_key, (const guint8 *) input, strlen (input), signature, error))
    return NULL;
  return entsec_base64url_encode (signature, sizeof signature);
}

gboolean
entsec_rekey_proof_verify (EVP_PKEY   *new_key,
                           const char *proof,
                           const char *device_id,
                           const char *nonce,
                           const char *old_jkt,
                           const char *new_jkt,
                           GError    **error)
{
  g_autofree char *input = entsec_rekey_proof_input (device_id, nonce, old_jkt, new_jkt, error);
  g_autoptr (GBytes) signature = NULL;
  gsize len = 0;
  const guint8 *bytes;

  if (input == NULL)
    return FALSE;
  signature = entsec_base64url_decode (proof, -1, "The rekey proof", error);
  if (signature == NULL)
    return FALSE;
  bytes = g_bytes_get_data (signature, &len);
  if (len != ENTSEC_EC_SIGNATURE_SIZE)
    {
      g_set_error_literal (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                           "The rekey proof must be a 64-byte ES256 signature (r||s)");
      return FALSE;
    }
  return entsec_ec_verify (new_key, (const guint8 *) input, strlen (input), bytes, len, error);
}
