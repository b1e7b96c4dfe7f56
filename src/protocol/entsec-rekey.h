/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-rekey.h: the proof of possession of a device's new key when it
 * rekeys (docs/protocol.md section 8.17), and the "typ" of authority
 * rotation links (section 8.16).
 */
#pragma once

#include <glib.h>
#include <openssl/evp.h>

G_BEGIN_DECLS

/* The JWS "typ" of an authority rotation chain link. */
#define ENTSEC_ROTATION_TYP "entsec-rotation+jwt"

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
