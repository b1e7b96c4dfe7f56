/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-rotation.c: key rotation: the walk along the authority's chain of
 * signed links, and the new key's proof of possession when a device rekeys.
 */

#define G_LOG_DOMAIN "entsec-protocol"

#include "config.h"

#include <string.h>

#include "protocol-private.h"

#define PROOF_CONTEXT "entsec/v1/rekey"

/* Every link is a small JWS; a chain of more is not one this server made. */
#define CHAIN_MAX_LINKS 1000
#define LINK_MAX_BYTES 4096

/* Sets @error about link @index (counted from 1 in the message); always NULL. */
static EVP_PKEY *
chain_error (GError    **error,
             gint        code,
             guint       index,
             const char *what)
{
  g_set_error (error, ENTSEC_PROTOCOL_ERROR, code, "Authority chain link %u: %s", index + 1,
               what);
  return NULL;
}

/* The payload of link @text read without verifying it, only to find where
 * the walk starts (each link is verified before it is used). */
static json_t *
peek_payload (const char *text)
{
  return text != NULL ? entsec_jws_peek (text, 1, LINK_MAX_BYTES, "A chain link", NULL) : NULL;
}

/* The index of the link that leaves the key @jkt, or -1. */
static gssize
find_start (const json_t *chain,
            const char   *jkt)
{
  for (gsize i = 0; i < json_array_size (chain); i++)
    {
      g_autoptr (json_t) payload = peek_payload (json_string_value (json_array_get (chain, i)));
      const char *prev = json_string_value (json_object_get (payload, "prev_jkt"));

      if (prev != NULL && strcmp (prev, jkt) == 0)
        return (gssize) i;
    }
  return -1;
}

/* TRUE when the newest link of @chain names @jkt (or there is none). */
static gboolean
ends_at (const json_t *chain,
         const char   *jkt)
{
  gsize n = json_array_size (chain);
  g_autoptr (json_t) last = n > 0 ? peek_payload (json_string_value (json_array_get (chain,
                                                                                    n - 1)))
                                   : NULL;
  const char *named = json_string_value (json_object_get (last, "jkt"));

  return n == 0 || (named != NULL && strcmp (named, jkt) == 0);
}

/* TRUE when @jwk is a public key whose thumbprint is @jkt. */
static gboolean
names_key (const json_t *jwk,
           const char   *jkt)
{
  g_autoptr (EVP_PKEY) key = entsec_jwk_import_json (jwk, FALSE, NULL);
  g_autofree char *computed = key != NULL ? entsec_jwk_thumbprint (key, NULL) : NULL;

  return computed != NULL && strcmp (computed, jkt) == 0;
}

/* Check link @index against the key @current (thumbprint @current_jkt);
 * returns the key it names. */
static EVP_PKEY *
follow_link (const json_t *chain,
             guint         index,
             EVP_PKEY     *current,
             const char   *current_jkt,
             const char   *issuer,
             const char   *tenant,
             gint64       *seq,
             GError      **error)
{
  const char *text = json_string_value (json_array_get (chain, index));
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (json_t) link = NULL;
  g_autoptr (EVP_PKEY) next = NULL;
  g_autofree char *next_jkt = NULL;
  json_int_t link_seq;

  if (text == NULL)
    return chain_error (error, ENTSEC_PROTOCOL_ERROR_MALFORMED, index, "not a string");
  bytes = entsec_jws_verify (text, strlen (text), current, ENTSEC_ROTATION_TYP, &local_error);
  if (bytes == NULL)
    return chain_error (error, local_error->code, index, local_error->message);
  link = entsec_json_load_object (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                  LINK_MAX_BYTES, ENTSEC_JSON_MAX_DEPTH, "A chain link", error);
  if (link == NULL)
    return NULL;
  next = entsec_jwk_import_json (json_object_get (link, "jwk"), FALSE, &local_error);
  if (next == NULL)
    return chain_error (error, ENTSEC_PROTOCOL_ERROR_KEY, index, local_error->message);
  next_jkt = entsec_jwk_thumbprint (next, error);
  link_seq = json_integer_value (json_object_get (link, "seq"));
  if (next_jkt == NULL)
    return NULL;
  if (!names_key (json_object_get (link, "prev_jwk"), current_jkt))
    return chain_error (error, ENTSEC_PROTOCOL_ERROR_MALFORMED, index,
                        "\"prev_jwk\" is not the key that signed the link");
  if (g_strcmp0 (json_string_value (json_object_get (link, "prev_jkt")), current_jkt) != 0
      || g_strcmp0 (json_string_value (json_object_get (link, "jkt")), next_jkt) != 0
      || link_seq < 2 || (*seq > 0 && link_seq != *seq + 1))
    return chain_error (error, ENTSEC_PROTOCOL_ERROR_MALFORMED, index,
                        "\"prev_jkt\", \"jkt\" and \"seq\" do not continue the chain");
  if ((issuer != NULL && g_strcmp0 (json_string_value (json_object_get (link, "iss")), issuer) != 0)
      || (tenant != NULL
          && g_strcmp0 (json_string_value (json_object_get (link, "tenant")), tenant) != 0))
    return chain_error (error, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED, index,
                        "it was made for another issuer or tenant");
  *seq = link_seq;
  return g_steal_pointer (&next);
}

EVP_PKEY *
entsec_authority_chain_walk (EVP_PKEY     *pinned,
                             const json_t *chain,
                             const char   *issuer,
                             const char   *tenant,
                             guint        *seq,
                             GError      **error)
{
  g_autofree char *jkt = entsec_jwk_thumbprint (pinned, error);
  g_autoptr (EVP_PKEY) current = NULL;
  gint64 reached = 0;
  gssize start;

  if (jkt == NULL)
    return NULL;
  if (!json_is_array (chain) || json_array_size (chain) > CHAIN_MAX_LINKS)
    {
      g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                   "The authority chain must be a list of at most %d links", CHAIN_MAX_LINKS);
      return NULL;
    }
  start = find_start (chain, jkt);
  if (start < 0 && ends_at (chain, jkt))
    {
      if (seq != NULL)
        *seq = 0;
      return EVP_PKEY_dup (pinned);
    }
  if (start < 0)
    {
      g_set_error_literal (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED,
                           "The authority chain does not lead from the pinned key; the server "
                           "is not the one this device enrolled with");
      return NULL;
    }
  current = EVP_PKEY_dup (pinned);
  for (gsize i = (gsize) start; i < json_array_size (chain); i++)
    {
      g_autofree char *current_jkt = entsec_jwk_thumbprint (current, error);
      EVP_PKEY *next = current_jkt != NULL
                       ? follow_link (chain, (guint) i, current, current_jkt, issuer, tenant,
                                      &reached, error)
                       : NULL;

      if (next == NULL)
        return NULL;
      EVP_PKEY_free (current);
      current = next;
    }
  if (seq != NULL)
    *seq = (guint) reached;
  return g_steal_pointer (&current);
}

EVP_PKEY *
entsec_authority_chain_walk_jkt (const char   *pinned_jkt,
                                 const json_t *chain,
                                 const char   *issuer,
                                 const char   *tenant,
                                 guint        *seq,
                                 GError      **error)
{
  gssize start = find_start (chain, pinned_jkt);
  g_autoptr (json_t) first = start >= 0
                             ? peek_payload (json_string_value (json_array_get (chain, start)))
                             : NULL;
  g_autoptr (EVP_PKEY) pinned = NULL;

  if (first == NULL)
    {
      g_set_error_literal (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED,
                           "The authority chain does not lead from the pinned key; the server "
                           "is not the one this device enrolled with");
      return NULL;
    }
  pinned = entsec_jwk_import_json (json_object_get (first, "prev_jwk"), FALSE, NULL);
  if (pinned == NULL || !names_key (json_object_get (first, "prev_jwk"), pinned_jkt))
    {
      g_set_error_literal (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_KEY,
                           "The authority chain's first link does not carry the pinned key");
      return NULL;
    }
  return entsec_authority_chain_walk (pinned, chain, issuer, tenant, seq, error);
}

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
