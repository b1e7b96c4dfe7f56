/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-jws.c: ES256 compact JWS through cjose. Everything cjose would
 * accept loosely (algorithm, base64url, header JSON) is checked here first.
 */

#define G_LOG_DOMAIN "entsec-protocol"

#include "config.h"

#include <string.h>

#include "protocol-private.h"

#define JWS_HEADER_MAX_BYTES 4096
#define JWS_HEADER_MAX_DEPTH 4

static char *
jws_export (cjose_jwk_t  *jwk,
            const char   *typ,
            const char   *kid,
            const guint8 *payload,
            gsize         payload_len)
{
  cjose_header_t *header = cjose_header_new (NULL);
  cjose_jws_t *jws = NULL;
  const char *compact = NULL;
  char *result = NULL;

  if (header != NULL && cjose_header_set (header, CJOSE_HDR_ALG, "ES256", NULL)
      && (typ == NULL || cjose_header_set (header, "typ", typ, NULL))
      && (kid == NULL || cjose_header_set (header, CJOSE_HDR_KID, kid, NULL)))
    jws = cjose_jws_sign (jwk, header, payload, payload_len, NULL);
  if (jws != NULL && cjose_jws_export (jws, &compact, NULL))
    result = g_strdup (compact);
  cjose_jws_release (jws);
  cjose_header_release (header);
  return result;
}

char *
entsec_jws_sign (EVP_PKEY     *key,
                 const char   *typ,
                 const char   *kid,
                 const guint8 *payload,
                 gsize         payload_len,
                 GError      **error)
{
  cjose_jwk_t *jwk;
  char *compact;

  g_return_val_if_fail (payload != NULL || payload_len == 0, NULL);

  jwk = protocol_cjose_jwk (key, TRUE, error);
  if (jwk == NULL)
    return NULL;
  compact = jws_export (jwk, typ, kid, payload, payload_len);
  cjose_jwk_release (jwk);
  if (compact == NULL)
    protocol_crypto_failed (error, "signing a JWS");
  return compact;
}

static gboolean
jws_malformed (GError    **error,
               const char *message)
{
  g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
               "The signed object (JWS) is malformed: %s", message);
  return FALSE;
}

static gboolean
split_compact (const char *compact,
               gsize       len,
               gsize       dots[2],
               GError    **error)
{
  guint count = 0;

  if (len > ENTSEC_JWS_MAX_BYTES)
    {
      g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_LIMIT,
                   "The signed object (JWS) is %" G_GSIZE_FORMAT " bytes, over the limit of %d",
                   len, ENTSEC_JWS_MAX_BYTES);
      return FALSE;
    }
  for (gsize i = 0; i < len; i++)
    {
      if (compact[i] != '.')
        continue;
      if (count == 2)
        return jws_malformed (error, "it has more than three parts");
      dots[count++] = i;
    }
  if (count != 2)
    return jws_malformed (error, "it does not have three parts separated by '.'");
  return TRUE;
}

static gboolean
check_alg (const json_t *header,
           GError      **error)
{
  g_autoptr (GError) local = NULL;
  const char *alg = entsec_json_get_string (header, "alg", &local);

  if (alg == NULL)
    return jws_malformed (error, local->message);
  if (strcmp (alg, "ES256") != 0)
    {
      g_autofree char *shown = protocol_printable (alg, strlen (alg));

      g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED,
                   "The signed object uses the algorithm \"%s\"; only ES256 is accepted", shown);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_typ (const json_t *header,
           const char   *expected_typ,
           GError      **error)
{
  json_t *typ = json_object_get (header, "typ");

  if (expected_typ == NULL)
    return TRUE;
  if (!json_is_string (typ) || strcmp (json_string_value (typ), expected_typ) != 0)
    {
      g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED,
                   "The signed object is not a \"%s\" (its header has another \"typ\")",
                   expected_typ);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_header (const char *text,
              gsize       len,
              const char *expected_typ,
              GError    **error)
{
  g_autoptr (GBytes) bytes = entsec_base64url_decode (text, (gssize) len, "The JWS header", error);
  g_autoptr (json_t) header = NULL;

  if (bytes == NULL)
    return FALSE;
  header = entsec_json_load_object (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                    JWS_HEADER_MAX_BYTES, JWS_HEADER_MAX_DEPTH,
                                    "The JWS header", error);
  if (header == NULL || !check_alg (header, error) || !check_typ (header, expected_typ, error))
    return FALSE;
  if (json_object_get (header, "crit") != NULL)
    {
      g_set_error_literal (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED,
                           "The signed object lists critical extensions (\"crit\"), which this "
                           "version does not understand");
      return FALSE;
    }
  return TRUE;
}

/* The payload and signature parts must be strict base64url too; the
 * signature exactly 64 bytes (r||s). */
static gboolean
check_parts (const char  *compact,
             gsize        len,
             const gsize  dots[2],
             GError     **error)
{
  g_autoptr (GBytes) payload = entsec_base64url_decode (compact + dots[0] + 1,
                                                        (gssize) (dots[1] - dots[0] - 1),
                                                        "The JWS payload", error);
  g_autoptr (GBytes) signature = NULL;

  if (payload == NULL)
    return FALSE;
  signature = entsec_base64url_decode (compact + dots[1] + 1, (gssize) (len - dots[1] - 1),
                                       "The JWS signature", error);
  if (signature == NULL)
    return FALSE;
  if (g_bytes_get_size (signature) != ENTSEC_EC_SIGNATURE_SIZE)
    return jws_malformed (error, "an ES256 signature is 64 bytes");
  return TRUE;
}

static GBytes *
cjose_verify (const char *compact,
              gsize       len,
              EVP_PKEY   *key,
              GError    **error)
{
  cjose_jwk_t *jwk = protocol_cjose_jwk (key, FALSE, error);
  cjose_jws_t *jws = NULL;
  uint8_t *plain = NULL;
  size_t plain_len = 0;
  GBytes *payload = NULL;

  if (jwk == NULL)
    return NULL;
  jws = cjose_jws_import (compact, len, NULL);
  if (jws == NULL)
    jws_malformed (error, "cjose could not read it");
  else if (!cjose_jws_verify (jws, jwk, NULL))
    g_set_error_literal (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_SIGNATURE,
                         "The signed object's signature does not verify with the pinned key: "
                         "it was changed or signed by another key");
  else if (!cjose_jws_get_plaintext (jws, &plain, &plain_len, NULL))
    protocol_crypto_failed (error, "reading the JWS payload");
  else
    payload = g_bytes_new (plain, plain_len);
  cjose_jws_release (jws);
  cjose_jwk_release (jwk);
  return payload;
}

GBytes *
entsec_jws_verify (const char *compact,
                   gsize       len,
                   EVP_PKEY   *key,
                   const char *expected_typ,
                   GError    **error)
{
  gsize dots[2] = { 0, 0 };

  g_return_val_if_fail (compact != NULL || len == 0, NULL);

  if (!split_compact (compact, len, dots, error)
      || !check_header (compact, dots[0], expected_typ, error)
      || !check_parts (compact, len, dots, error))
    return NULL;
  return cjose_verify (compact, len, key, error);
}

json_t *
entsec_jws_peek (const char *compact,
                 guint       part,
                 gsize       max_bytes,
                 const char *what,
                 GError    **error)
{
  g_auto (GStrv) parts = NULL;
  g_autoptr (GBytes) bytes = NULL;

  g_return_val_if_fail (compact != NULL && part < 2, NULL);

  if (strlen (compact) > max_bytes || g_strv_length (parts = g_strsplit (compact, ".", 4)) != 3)
    {
      g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                   "%s is not a compact JWS of at most %" G_GSIZE_FORMAT " bytes", what,
                   max_bytes);
      return NULL;
    }
  bytes = entsec_base64url_decode (parts[part], -1, what, error);
  if (bytes == NULL)
    return NULL;
  return entsec_json_load_object (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                  max_bytes, ENTSEC_JSON_MAX_DEPTH, what, error);
}
