/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-httpsig.h: HTTP Message Signatures (RFC 9421) with
 * ecdsa-p256-sha256, and Content-Digest (RFC 9530). Two layers: the
 * general one (signature base, sign, verify for any supported component
 * list) and the entsec profile on top (fixed components, required
 * parameters, time window, digest of the body).
 */
#pragma once

#include <glib.h>
#include <openssl/evp.h>

#include "entsec-sfv.h"

G_BEGIN_DECLS

#define ENTSEC_HTTPSIG_ALG "ecdsa-p256-sha256"
/* The label of the profile's signature in Signature-Input and Signature. */
#define ENTSEC_HTTPSIG_LABEL "entsec"
/* Profile defaults (PROTOCOL.md, "Limits"). */
#define ENTSEC_HTTPSIG_MAX_SKEW 60
#define ENTSEC_HTTPSIG_LIFETIME 300
/* Random bytes in a nonce (base64url: 22 characters). */
#define ENTSEC_HTTPSIG_NONCE_BYTES 16

/**
 * EntsecHttpMessage:
 * @method: request method ("POST"); NULL for a response
 * @target_uri: the absolute request URI; NULL for a response
 * @status: response status (100..599); 0 for a request
 * @fields: NULL-terminated name, value, name, value... (names in any case;
 *   a name given twice is combined as RFC 9110 does, with ", ")
 * @body: the exact body bytes (NULL when @body_len is 0)
 * @body_len: their count
 *
 * What the signature code reads from a message; all borrowed.
 */
typedef struct
{
  const char         *method;
  const char         *target_uri;
  guint               status;
  const char *const  *fields;
  const guint8       *body;
  gsize               body_len;
} EntsecHttpMessage;

/**
 * EntsecHttpSignature:
 * @label: the dictionary key it came under
 * @components: (element-type utf8): component identifiers, in order
 * @params: the inner list as parsed (components and parameters), which
 *   serialises to the "@signature-params" line
 * @created, @expires: the parameters, or -1 when absent
 * @nonce, @keyid, @alg: the parameters, or NULL when absent
 * @signature: the decoded Signature value
 *
 * One signature read from a message's Signature-Input and Signature fields.
 */
typedef struct
{
  char         *label;
  GPtrArray    *components;
  EntsecSfItem *params;
  gint64        created;
  gint64        expires;
  char         *nonce;
  char         *keyid;
  char         *alg;
  GBytes       *signature;
} EntsecHttpSignature;

void entsec_http_signature_free (EntsecHttpSignature *signature);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecHttpSignature, entsec_http_signature_free)

/* The value of field @name in @message (combined, trimmed), or NULL. */
char *entsec_http_message_get_field (const EntsecHttpMessage *message,
                                     const char              *name);

/* "sha-256=:<base64>:" for @body (RFC 9530). Free with g_free(). */
char *entsec_content_digest (const guint8 *body,
                             gsize         len);

/*
 * Check a Content-Digest field value against @body. sha-256 and sha-512
 * are understood; the value must hold at least one of them and every one
 * of them given must match. Otherwise %ENTSEC_PROTOCOL_ERROR_DIGEST (or
 * MALFORMED / UNSUPPORTED).
 */
gboolean entsec_content_digest_check (const char   *field,
                                      const guint8 *body,
                                      gsize         len,
                                      GError      **error);

/*
 * Read the signature labelled @label from @message's Signature-Input and
 * Signature fields. Component identifiers must be strings without
 * parameters; the parameters must have their RFC 9421 types.
 * Returns: (transfer full): the signature, or NULL with an error.
 */
EntsecHttpSignature *entsec_http_signature_parse (const EntsecHttpMessage *message,
                                                  const char              *label,
                                                  GError                 **error);

/*
 * The signature base (RFC 9421 section 2.5) of @signature's components over
 * @message, "@signature-params" last, no trailing newline. Understood
 * components: "@method", "@target-uri", "@status" and header fields.
 * Free with g_free().
 */
char    *entsec_http_signature_base (const EntsecHttpMessage   *message,
                                     const EntsecHttpSignature *signature,
                                     GError                   **error);

/* Verify @signature over @message with @key (ECDSA P-256, SHA-256): the
 * general layer, with no profile rule applied. */
gboolean entsec_http_signature_verify (const EntsecHttpMessage   *message,
                                       const EntsecHttpSignature *signature,
                                       EVP_PKEY                  *key,
                                       GError                   **error);

/**
 * EntsecSignedFields:
 * @content_digest: the Content-Digest value, or NULL (no body)
 * @signature_input: the Signature-Input value
 * @signature: the Signature value
 *
 * The fields the profile adds to a message it signs.
 */
typedef struct
{
  char *content_digest;
  char *signature_input;
  char *signature;
} EntsecSignedFields;

void entsec_signed_fields_free (EntsecSignedFields *fields);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecSignedFields, entsec_signed_fields_free)

/*
 * Sign @message with the profile: a request with a body covers "@method"
 * "@target-uri" "content-digest" "content-type"; without a body "@method"
 * "@target-uri"; a response "@status" "content-digest" "content-type".
 * Parameters: created=@now, expires=@now+ENTSEC_HTTPSIG_LIFETIME, a fresh
 * nonce, keyid=@keyid, alg. A body needs a Content-Type field in @message;
 * the Content-Digest is computed here (@message must not carry one).
 */
EntsecSignedFields *entsec_httpsig_sign (const EntsecHttpMessage *message,
                                         EVP_PKEY                *key,
                                         const char              *keyid,
                                         gint64                   now,
                                         GError                 **error);

/*
 * Verify @message against the profile, at time @now: the "entsec"
 * signature's components must be exactly those entsec_httpsig_sign() uses,
 * with created, expires, nonce, keyid and alg="ecdsa-p256-sha256" and no
 * other parameter; |now - created| <= ENTSEC_HTTPSIG_MAX_SKEW; now <=
 * expires; created < expires <= created + ENTSEC_HTTPSIG_LIFETIME; the
 * Content-Digest matches the body; the signature verifies with @key.
 * Replayed nonces are the caller's to reject (the nonce is in the result).
 * Returns: (transfer full): the verified signature, or NULL with an error.
 */
EntsecHttpSignature *entsec_httpsig_verify (const EntsecHttpMessage *message,
                                            EVP_PKEY                *key,
                                            gint64                   now,
                                            GError                 **error);

G_END_DECLS
