/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-rotation.h: key rotation (docs/protocol.md sections 8.16 and
 * 8.17): the walk along the authority's rotation chain from a pinned key,
 * and the proof of possession of a device's new key when it rekeys.
 */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <openssl/evp.h>

G_BEGIN_DECLS

/* The JWS "typ" of an authority rotation chain link. */
#define ENTSEC_ROTATION_TYP "entsec-rotation+jwt"

/*
 * Follow the authority rotation chain @chain (a JSON array of link JWS
 * strings, oldest first) from @pinned, the public key a client trusts: from
 * the link whose "prev_jkt" is @pinned's thumbprint on, each link must
 * verify with the key reached so far (typ %ENTSEC_ROTATION_TYP), name that
 * key in "prev_jkt" and "prev_jwk", carry a "jwk" whose thumbprint is its "jkt", a "seq"
 * one more than the previous link's, and @issuer and @tenant (a client
 * always gives both; NULL skips the check, for the server's own look at
 * its stored chain, whose issuer may have moved). When @pinned
 * is already the newest key (no link leaves it and the chain is empty or
 * ends at it) the answer is @pinned itself.
 * Errors: %ENTSEC_PROTOCOL_ERROR_MALFORMED (a link or its payload),
 * _SIGNATURE (a link does not verify), _KEY, _UNSUPPORTED (the chain does
 * not lead from @pinned, or names another issuer or tenant).
 * Returns: (transfer full): the newest key reached; *@seq (nullable) gets
 * its "seq" (0 when @pinned was returned).
 */
EVP_PKEY *entsec_authority_chain_walk (EVP_PKEY     *pinned,
                                       const json_t *chain,
                                       const char   *issuer,
                                       const char   *tenant,
                                       guint        *seq,
                                       GError      **error);

/*
 * The same walk for a client that pinned only a thumbprint (an activation
 * link's "jkt"): the link that leaves @pinned_jkt carries the key in
 * "prev_jwk", taken only when its thumbprint is @pinned_jkt. Call it when
 * @pinned_jkt is not the current key's thumbprint (there is then no link
 * leaving it). Errors: those of entsec_authority_chain_walk(), and
 * %ENTSEC_PROTOCOL_ERROR_KEY when "prev_jwk" is not the pinned key.
 * Returns: (transfer full): the newest key reached.
 */
EVP_PKEY *entsec_authority_chain_walk_jkt (const char   *pinned_jkt,
                                           const json_t *chain,
                                           const char   *issuer,
                                           const char   *tenant,
                                           guint        *seq,
                                           GError      **error);

/*
 * The bytes the new key signs:
 * "entsec/v1/rekey|" device_id "|" nonce "|" old_jkt "|" new_jkt.
 * Every part must be non-empty and free of "|".
 * Returns: (transfer full): the text, or NULL with
 * %ENTSEC_PROTOCOL_ERROR_MALFORMED naming the part. Free with g_free().
 */
char     *entsec_rekey_proof_input (const char *device_id,
                                    const char *nonce,
                                    const char *old_jkt,
                                    const char *new_jkt,
                                    GError    **error);

/* The proof: base64url of the raw r||s ES256 signature of @new_key over
 * entsec_rekey_proof_input(). (transfer full): free with g_free(). */
char     *entsec_rekey_proof_sign (EVP_PKEY   *new_key,
                                   const char *device_id,
                                   const char *nonce,
                                   const char *old_jkt,
                                   const char *new_jkt,
                                   GError    **error);

/* TRUE when @proof is such a signature by @new_key; otherwise
 * %ENTSEC_PROTOCOL_ERROR_MALFORMED (not 64 bytes of base64url) or _SIGNATURE. */
gboolean  entsec_rekey_proof_verify (EVP_PKEY   *new_key,
                                     const char *proof,
                                     const char *device_id,
                                     const char *nonce,
                                     const char *old_jkt,
                                     const char *new_jkt,
                                     GError    **error);

G_END_DECLS
