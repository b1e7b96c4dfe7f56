/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-authority.c: which authority key verifies a JWS the server sent,
 * the client rule of docs/protocol.md 8.16 (a new key is taken only along
 * the rotation chain from the pinned one).
 */

#include "config.h"

#define G_LOG_DOMAIN "entsec-authority"

#include <string.h>

#include "entsec-ec.h"
#include "entsec-enterprise-private.h"
#include "entsec-json.h"
#include "entsec-jws.h"
#include "entsec-protocol.h"
#include "entsec-rotation.h"

EVP_PKEY *
entsec_authority_key_for (EVP_PKEY   *pinned,
                          const char *pinned_jkt,
                          const char *jws,
                          const char *issuer,
                          const char *tenant,
                          GError    **error)
{
  g_autoptr (json_t) header = NULL;
  g_autoptr (json_t) payload = NULL;
  g_autoptr (EVP_PKEY) reached = NULL;
  g_autofree char *reached_jkt = NULL;
  json_t *chain;
  const char *kid;

  g_return_val_if_fail (pinned != NULL && pinned_jkt != NULL, NULL);
  g_return_val_if_fail (jws != NULL && issuer != NULL, NULL);

  header = entsec_jws_peek (jws, 0, ENTSEC_JWS_MAX_BYTES, "The JWS header", error);
  if (header == NULL)
    return NULL;
  kid = json_string_value (json_object_get (header, "kid"));
  if (kid == NULL || strcmp (kid, pinned_jkt) == 0)
    {
      /* Verified with the pinned key, or refused by that check. */
      EVP_PKEY_up_ref (pinned);
      return pinned;
    }
  payload = entsec_jws_peek (jws, 1, ENTSEC_JWS_MAX_BYTES, "The JWS payload", error);
  if (payload == NULL)
    return NULL;
  chain = json_object_get (payload, "authority_chain");
  if (tenant == NULL)
    tenant = json_string_value (json_object_get (payload, "tenant"));
  if (!json_is_array (chain) || tenant == NULL)
    {
      g_set_error_literal (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                           "it names another authority key and carries no \"authority_chain\" "
                           "or \"tenant\"");
      return NULL;
    }
  reached = entsec_authority_chain_walk (pinned, chain, issuer, tenant, NULL, error);
  reached_jkt = reached != NULL ? entsec_jwk_thumbprint (reached, error) : NULL;
  if (reached_jkt == NULL)
    return NULL;
  if (g_strcmp0 (reached_jkt, kid) != 0)
    {
      g_set_error_literal (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_KEY,
                           "its key is not the newest one the chain leads to from the pinned key");
      return NULL;
    }
  return g_steal_pointer (&reached);
}
