/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-jws.h: JWS compact serialisation (RFC 7515) with ES256 only, for
 * every security-relevant object the server sends (policy, push, command,
 * registration, tokens, receipts).
 */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <openssl/evp.h>

G_BEGIN_DECLS

/* Longest compact JWS accepted. */
#define ENTSEC_JWS_MAX_BYTES (512 * 1024)

/*
 * Sign @payload (exact bytes; never re-serialised) with @key as ES256.
 * The protected header is {"alg":"ES256"} plus "typ" and "kid" when not
 * NULL. Returns: (transfer full): the compact JWS; free with g_free().
 */
char   *entsec_jws_sign (EVP_PKEY     *key,
                         const char   *typ,
                         const char   *kid,
                         const guint8 *payload,
                         gsize         payload_len,
                         GError      **error);

/*
 * Verify compact JWS @compact with @key. Rejected before any crypto: more
 * than ENTSEC_JWS_MAX_BYTES, not three parts, bad base64url, a header that
 * is not strict JSON, "alg" other than "ES256" ("none" included), a "crit"
 * member, a signature that is not 64 bytes. When @expected_typ is not NULL
 * the header's "typ" must equal it.
 * Returns: (transfer full): the payload bytes, or NULL with an error.
 */
GBytes *entsec_jws_verify (const char *compact,
                           gsize       len,
                           EVP_PKEY   *key,
                           const char *expected_typ,
                           GError    **error);

/*
 * Part @part (0: the protected header, 1: the payload) of compact JWS
 * @compact (at most @max_bytes) as a JSON object, NOT verified: only to
 * find the key that verifies it (its "kid", a rotation chain), or to read
 * back an object verified before. @what names it in errors.
 * Returns: (transfer full) (nullable): NULL with
 *   %ENTSEC_PROTOCOL_ERROR_MALFORMED.
 */
json_t *entsec_jws_peek (const char *compact,
                         guint       part,
                         gsize       max_bytes,
                         const char *what,
                         GError    **error);

G_END_DECLS
