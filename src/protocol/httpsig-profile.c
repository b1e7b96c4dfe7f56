/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * httpsig-profile.c: the entsec profile of RFC 9421 (docs/protocol.md):
 * which components a message must cover, the required parameters, the
 * time window and the body digest.
 */

#define G_LOG_DOMAIN "entsec-protocol"

#include "config.h"

#include <string.h>

#include <openssl/rand.h>

#include "protocol-private.h"

void
entsec_signed_fields_free (EntsecSignedFields *fields)
{
  if (fields == NULL)
    return;
  g_free (fields->content_digest);
  g_free (fields->signature_input);
  g_free (fields->signature);
  g_free (fields);
}

/* The components the profile covers for @message, NULL-terminated. */
static const char *const *
profile_components (const EntsecHttpMessage *message)
{
  static const char *const request_body[] = { "@method", "@target-uri", "content-digest",
                                              "content-type", NULL };
  static const char *const request[] = { "@method", "@target-uri", NULL };
  static const char *const response_body[] = { "@status", "content-digest", "content-type",
                                               NULL };
  static const char *const response[] = { "@status", NULL };

  if (message->method != NULL)
    return message->body_len > 0 ? request_body : request;
  return message->body_len > 0 ? response_body : response;
}

static EntsecSfItem *
string_item (const char *text)
{
  EntsecSfItem *item = entsec_sf_item_new (ENTSEC_SF_STRING);

  item->string = g_strdup (text);
  return item;
}

static EntsecSfItem *
integer_item (gint64 value)
{
  EntsecSfItem *item = entsec_sf_item_new (ENTSEC_SF_INTEGER);

  item->integer = value;
  return item;
}

static char *
fresh_nonce (GError **error)
{
  guint8 bytes[ENTSEC_HTTPSIG_NONCE_BYTES];

  if (RAND_bytes (bytes, sizeof bytes) != 1)
    {
      protocol_crypto_failed (error, "drawing a random nonce");
      return NULL;
    }
  return entsec_base64url_encode (bytes, sizeof bytes);
}

/* The inner list with the profile's components and parameters. */
static EntsecHttpSignature *
new_signature (const EntsecHttpMessage *message,
               const char              *keyid,
               gint64                   now,
               GError                 **error)
{
  g_autoptr (EntsecHttpSignature) signature = g_new0 (EntsecHttpSignature, 1);
  const char *const *components = profile_components (message);
  EntsecSfItem *list;

  signature->nonce = fresh_nonce (error);
  if (signature->nonce == NULL)
    return NULL;
  signature->label = g_strdup (ENTSEC_HTTPSIG_LABEL);
  signature->components = g_ptr_array_new_with_free_func (g_free);
  signature->params = list = entsec_sf_item_new (ENTSEC_SF_INNER_LIST);
  list->items = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_sf_item_free);
  for (guint i = 0; components[i] != NULL; i++)
    {
      g_ptr_array_add (signature->components, g_strdup (components[i]));
      g_ptr_array_add (list->items, string_item (components[i]));
    }
  entsec_sf_item_add_param (list, "created", integer_item (now));
  entsec_sf_item_add_param (list, "expires", integer_item (now + ENTSEC_HTTPSIG_LIFETIME));
  entsec_sf_item_add_param (list, "nonce", string_item (signature->nonce));
  entsec_sf_item_add_param (list, "keyid", string_item (keyid));
  entsec_sf_item_add_param (list, "alg", string_item (ENTSEC_HTTPSIG_ALG));
  return g_steal_pointer (&signature);
}

/* @message's fields plus Content-Digest: @digest (borrowed strings). */
static const char **
fields_with_digest (const EntsecHttpMessage *message,
                    const char              *digest)
{
  GPtrArray *fields = g_ptr_array_new ();

  for (guint i = 0; message->fields != NULL && message->fields[i] != NULL; i++)
    g_ptr_array_add (fields, (gpointer) message->fields[i]);
  if (digest != NULL)
    {
      g_ptr_array_add (fields, (gpointer) "content-digest");
      g_ptr_array_add (fields, (gpointer) digest);
    }
  g_ptr_array_add (fields, NULL);
  return (const char **) g_ptr_array_free (fields, FALSE);
}

static gboolean
check_can_sign (const EntsecHttpMessage *message,
                GError                 **error)
{
  g_autofree char *digest = entsec_http_message_get_field (message, "content-digest");
  g_autofree char *type = entsec_http_message_get_field (message, "content-type");
  const char *problem = NULL;

  if (message->method == NULL && (message->status < 100 || message->status > 599))
    problem = "it is neither a request (method) nor a response (status)";
  else if (message->method != NULL && message->target_uri == NULL)
    problem = "a request needs its target URI";
  else if (digest != NULL)
    problem = "it already has a Content-Digest field; the digest is computed here";
  else if (message->body_len > 0 && type == NULL)
    problem = "a message with a body needs a Content-Type field";
  if (problem != NULL)
    {
      g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                   "The message cannot be signed: %s", problem);
      return FALSE;
    }
  return TRUE;
}

static char *
signature_field (const guint8 raw[ENTSEC_EC_SIGNATURE_SIZE])
{
  g_autofree char *b64 = g_base64_encode (raw, ENTSEC_EC_SIGNATURE_SIZE);

  return g_strdup_printf ("%s=:%s:", ENTSEC_HTTPSIG_LABEL, b64);
}

EntsecSignedFields *
entsec_httpsig_sign (const EntsecHttpMessage *message,
                     EVP_PKEY                *key,
                     const char              *keyid,
                     gint64                   now,
                     GError                 **error)
{
  g_autoptr (EntsecSignedFields) out = g_new0 (EntsecSignedFields, 1);
  g_autoptr (EntsecHttpSignature) signature = NULL;
  g_autofree const char **fields = NULL;
  g_autofree char *base = NULL;
  g_autofree char *params = NULL;
  EntsecHttpMessage signed_message;
  guint8 raw[ENTSEC_EC_SIGNATURE_SIZE];

  g_return_val_if_fail (message != NULL && keyid != NULL, NULL);
  g_return_val_if_fail (message->body != NULL || message->body_len == 0, NULL);

  if (!check_can_sign (message, error) || !entsec_ec_check_p256 (key, error))
    return NULL;
  signature = new_signature (message, keyid, now, error);
  if (signature == NULL)
    return NULL;
  if (message->body_len > 0)
    out->content_digest = entsec_content_digest (message->body, message->body_len);
  fields = fields_with_digest (message, out->content_digest);
  signed_message = *message;
  signed_message.fields = fields;
  base = entsec_http_signature_base (&signed_message, signature, error);
  if (base == NULL || !entsec_ec_sign (key, (const guint8 *) base, strlen (base), raw, error))
    return NULL;
  params = entsec_sf_serialize_item (signature->params);
  out->signature_input = g_strdup_printf ("%s=%s", ENTSEC_HTTPSIG_LABEL, params);
  out->signature = signature_field (raw);
  return g_steal_pointer (&out);
}

/* ---- Verification ------------------------------------------------------------- */

static gboolean
profile_error (GError    **error,
               int         code,
               const char *message)
{
  g_set_error (error, ENTSEC_PROTOCOL_ERROR, code,
               "The request signature does not follow the entsec profile: %s", message);
  return FALSE;
}

static gboolean
check_components (const EntsecHttpMessage   *message,
                  const EntsecHttpSignature *signature,
                  GError                   **error)
{
  const char *const *expected = profile_components (message);
  guint n = g_strv_length ((char **) expected);

  if (signature->components->len != n)
    return profile_error (error, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED,
                          "it does not cover exactly the required components");
  for (guint i = 0; i < n; i++)
    {
      if (strcmp (g_ptr_array_index (signature->components, i), expected[i]) != 0)
        return profile_error (error, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED,
                              "it does not cover exactly the required components, in order");
    }
  return TRUE;
}

static gboolean
check_params (const EntsecHttpSignature *signature,
              GError                   **error)
{
  static const char *const allowed[] = { "created", "expires", "nonce", "keyid", "alg", NULL };
  GPtrArray *params = signature->params->params;

  for (guint i = 0; i < params->len; i++)
    {
      const EntsecSfParam *param = g_ptr_array_index (params, i);

      if (!g_strv_contains (allowed, param->key))
        return profile_error (error, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED,
                              "it has a parameter other than created, expires, nonce, keyid "
                              "and alg");
    }
  if (signature->created < 0 || signature->expires < 0 || signature->nonce == NULL
      || signature->nonce[0] == '\0' || signature->keyid == NULL || signature->alg == NULL)
    return profile_error (error, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                          "created, expires, nonce, keyid and alg are all required");
  if (strcmp (signature->alg, ENTSEC_HTTPSIG_ALG) != 0)
    return profile_error (error, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED,
                          "alg must be \"ecdsa-p256-sha256\"");
  return TRUE;
}

static gboolean
check_window (const EntsecHttpSignature *signature,
              gint64                     now,
              GError                   **error)
{
  const char *problem = NULL;

  if (signature->created > now + ENTSEC_HTTPSIG_MAX_SKEW)
    problem = "it was created in the future; check the device's clock";
  else if (signature->created < now - ENTSEC_HTTPSIG_MAX_SKEW)
    problem = "it was created more than 60 seconds ago; check the device's clock";
  else if (now > signature->expires)
    problem = "it has expired";
  else if (signature->expires <= signature->created
           || signature->expires - signature->created > ENTSEC_HTTPSIG_LIFETIME)
    problem = "its lifetime (expires - created) is not between 1 and 300 seconds";
  if (problem != NULL)
    return profile_error (error, ENTSEC_PROTOCOL_ERROR_TIME, problem);
  return TRUE;
}

static gboolean
check_digest (const EntsecHttpMessage *message,
              GError                 **error)
{
  g_autofree char *digest = entsec_http_message_get_field (message, "content-digest");

  if (message->body_len == 0)
    return TRUE;
  return entsec_content_digest_check (digest, message->body, message->body_len, error);
}

EntsecHttpSignature *
entsec_httpsig_verify (const EntsecHttpMessage *message,
                       EVP_PKEY                *key,
                       gint64                   now,
                       GError                 **error)
{
  g_autoptr (EntsecHttpSignature) signature = NULL;

  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (message->body != NULL || message->body_len == 0, NULL);

  signature = entsec_http_signature_parse (message, ENTSEC_HTTPSIG_LABEL, error);
  if (signature == NULL || !check_components (message, signature, error)
      || !check_params (signature, error) || !check_window (signature, now, error)
      || !check_digest (message, error)
      || !entsec_http_signature_verify (message, signature, key, error))
    return NULL;
  return g_steal_pointer (&signature);
}
