/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-httpsig.c: RFC 9421 signatures, the general layer: reading
 * Signature-Input and Signature, the signature base (section 2.5), ECDSA
 * P-256 verification; and RFC 9530 Content-Digest.
 */

#define G_LOG_DOMAIN "entsec-protocol"

#include "config.h"

#include <string.h>

#include <openssl/crypto.h>

#include "protocol-private.h"

/* What a lower-case field name may hold (RFC 9110 tchar, no upper case). */
#define LOWER_TCHARS "abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~"

/* ---- Fields ------------------------------------------------------------------ */

static char *
trim_ows (const char *value)
{
  gsize start = strspn (value, " \t");
  gsize end = strlen (value);

  while (end > start && (value[end - 1] == ' ' || value[end - 1] == '\t'))
    end--;
  return g_strndup (value + start, end - start);
}

char *
entsec_http_message_get_field (const EntsecHttpMessage *message,
                               const char              *name)
{
  GString *combined = NULL;

  g_return_val_if_fail (message != NULL && name != NULL, NULL);

  for (guint i = 0; message->fields != NULL && message->fields[i] != NULL; i += 2)
    {
      g_autofree char *value = NULL;

      g_return_val_if_fail (message->fields[i + 1] != NULL, NULL);
      if (g_ascii_strcasecmp (message->fields[i], name) != 0)
        continue;
      value = trim_ows (message->fields[i + 1]);
      if (combined == NULL)
        combined = g_string_new (value);
      else
        g_string_append_printf (combined, ", %s", value);
    }
  return combined != NULL ? g_string_free (combined, FALSE) : NULL;
}

/* ---- Content-Digest ---------------------------------------------------------- */

static gboolean
digest (const char   *algorithm,
        const guint8 *body,
        gsize         len,
        guint8       *out,
        guint        *out_len)
{
  const EVP_MD *md = strcmp (algorithm, "sha-256") == 0 ? EVP_sha256 () : EVP_sha512 ();

  return EVP_Digest (body != NULL ? body : (const guint8 *) "", len, out, out_len, md,
                     NULL) == 1;
}

char *
entsec_content_digest (const guint8 *body,
                       gsize         len)
{
  guint8 sum[EVP_MAX_MD_SIZE];
  guint sum_len = 0;
  g_autofree char *b64 = NULL;

  g_return_val_if_fail (body != NULL || len == 0, NULL);

  if (!digest ("sha-256", body, len, sum, &sum_len))
    g_error ("SHA-256 is not available from OpenSSL");
  b64 = g_base64_encode (sum, sum_len);
  return g_strdup_printf ("sha-256=:%s:", b64);
}

/* Check one member of Content-Digest; *known is set when it is one we hash. */
static gboolean
check_digest_member (const EntsecSfMember *member,
                     const guint8         *body,
                     gsize                 len,
                     gboolean             *known,
                     GError              **error)
{
  guint8 sum[EVP_MAX_MD_SIZE];
  guint sum_len = 0;

  if (strcmp (member->key, "sha-256") != 0 && strcmp (member->key, "sha-512") != 0)
    return TRUE; /* RFC 9530: unknown algorithms are ignored */
  *known = TRUE;
  if (member->value->type != ENTSEC_SF_BYTES)
    {
      g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                   "Content-Digest's %s must be a byte sequence (:base64:)", member->key);
      return FALSE;
    }
  if (!digest (member->key, body, len, sum, &sum_len))
    return protocol_crypto_failed (error, "hashing the body");
  if (g_bytes_get_size (member->value->bytes) != sum_len
      || CRYPTO_memcmp (g_bytes_get_data (member->value->bytes, NULL), sum, sum_len) != 0)
    {
      g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_DIGEST,
                   "The body does not match its Content-Digest (%s): it was changed on the way",
                   member->key);
      return FALSE;
    }
  return TRUE;
}

gboolean
entsec_content_digest_check (const char   *field,
                             const guint8 *body,
                             gsize         len,
                             GError      **error)
{
  g_autoptr (GPtrArray) members = NULL;
  gboolean known = FALSE;

  g_return_val_if_fail (body != NULL || len == 0, FALSE);

  if (field == NULL)
    {
      g_set_error_literal (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                           "The message has a body but no Content-Digest field");
      return FALSE;
    }
  members = entsec_sf_parse_dictionary (field, strlen (field), "Content-Digest", error);
  if (members == NULL)
    return FALSE;
  for (guint i = 0; i < members->len; i++)
    {
      if (!check_digest_member (g_ptr_array_index (members, i), body, len, &known, error))
        return FALSE;
    }
  if (!known)
    {
      g_set_error_literal (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED,
                           "Content-Digest holds no sha-256 or sha-512 digest");
      return FALSE;
    }
  return TRUE;
}

/* ---- Signature-Input and Signature ------------------------------------------- */

void
entsec_http_signature_free (EntsecHttpSignature *signature)
{
  if (signature == NULL)
    return;
  g_free (signature->label);
  g_clear_pointer (&signature->components, g_ptr_array_unref);
  entsec_sf_item_free (signature->params);
  g_free (signature->nonce);
  g_free (signature->keyid);
  g_free (signature->alg);
  g_clear_pointer (&signature->signature, g_bytes_unref);
  g_free (signature);
}

static gboolean
sig_error (GError    **error,
           int         code,
           const char *label,
           const char *message)
{
  g_autofree char *shown = protocol_printable (label, strlen (label));

  g_set_error (error, ENTSEC_PROTOCOL_ERROR, code, "The message signature \"%s\" is not usable: %s",
               shown, message);
  return FALSE;
}

/* The dictionary member @label of field @name, parsed. */
static EntsecSfItem *
signature_member (const EntsecHttpMessage *message,
                  const char              *name,
                  const char              *label,
                  GPtrArray              **dictionary,
                  GError                 **error)
{
  g_autofree char *value = entsec_http_message_get_field (message, name);
  g_autofree char *what = g_strdup_printf ("The %s field", name);
  EntsecSfItem *item;

  if (value == NULL)
    {
      g_autofree char *message_text = g_strdup_printf ("the message has no %s field", name);

      sig_error (error, ENTSEC_PROTOCOL_ERROR_MALFORMED, label, message_text);
      return NULL;
    }
  *dictionary = entsec_sf_parse_dictionary (value, strlen (value), what, error);
  if (*dictionary == NULL)
    return NULL;
  item = entsec_sf_dictionary_get (*dictionary, label);
  if (item == NULL)
    {
      g_autofree char *message_text = g_strdup_printf ("%s has no member with this label", what);

      sig_error (error, ENTSEC_PROTOCOL_ERROR_MALFORMED, label, message_text);
    }
  return item;
}

static gboolean
read_components (EntsecHttpSignature *signature,
                 GError             **error)
{
  GPtrArray *items = signature->params->items;

  signature->components = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < items->len; i++)
    {
      EntsecSfItem *item = g_ptr_array_index (items, i);

      if (item->type != ENTSEC_SF_STRING)
        return sig_error (error, ENTSEC_PROTOCOL_ERROR_MALFORMED, signature->label,
                          "a component identifier is not a string");
      if (item->params->len > 0)
        return sig_error (error, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED, signature->label,
                          "component parameters (;sf, ;key, ;bs, ;req, ;tr) are not supported");
      if (g_ptr_array_find_with_equal_func (signature->components, item->string, g_str_equal,
                                            NULL))
        return sig_error (error, ENTSEC_PROTOCOL_ERROR_MALFORMED, signature->label,
                          "a component is covered twice");
      g_ptr_array_add (signature->components, g_strdup (item->string));
    }
  return TRUE;
}

static gboolean
read_integer_param (EntsecHttpSignature *signature,
                    const char          *key,
                    gint64              *out,
                    GError             **error)
{
  EntsecSfItem *value = entsec_sf_item_get_param (signature->params, key);

  *out = -1;
  if (value == NULL)
    return TRUE;
  if (value->type != ENTSEC_SF_INTEGER || value->integer < 0)
    {
      g_autofree char *message = g_strdup_printf ("\"%s\" must be a non-negative integer", key);

      return sig_error (error, ENTSEC_PROTOCOL_ERROR_MALFORMED, signature->label, message);
    }
  *out = value->integer;
  return TRUE;
}

static gboolean
read_string_param (EntsecHttpSignature *signature,
                   const char          *key,
                   char               **out,
                   GError             **error)
{
  EntsecSfItem *value = entsec_sf_item_get_param (signature->params, key);

  if (value == NULL)
    return TRUE;
  if (value->type != ENTSEC_SF_STRING)
    {
      g_autofree char *message = g_strdup_printf ("\"%s\" must be a string", key);

      return sig_error (error, ENTSEC_PROTOCOL_ERROR_MALFORMED, signature->label, message);
    }
  *out = g_strdup (value->string);
  return TRUE;
}

static gboolean
read_params (EntsecHttpSignature *signature,
             GError             **error)
{
  return read_integer_param (signature, "created", &signature->created, error)
         && read_integer_param (signature, "expires", &signature->expires, error)
         && read_string_param (signature, "nonce", &signature->nonce, error)
         && read_string_param (signature, "keyid", &signature->keyid, error)
         && read_string_param (signature, "alg", &signature->alg, error);
}

/* Take the inner list out of the parsed dictionary into @signature. */
static gboolean
take_params (EntsecHttpSignature *signature,
             GPtrArray           *dictionary,
             GError             **error)
{
  for (guint i = 0; i < dictionary->len; i++)
    {
      EntsecSfMember *member = g_ptr_array_index (dictionary, i);

      if (strcmp (member->key, signature->label) != 0)
        continue;
      if (member->value->type != ENTSEC_SF_INNER_LIST)
        return sig_error (error, ENTSEC_PROTOCOL_ERROR_MALFORMED, signature->label,
                          "its Signature-Input member is not an inner list (\"(...)\")");
      signature->params = g_steal_pointer (&member->value);
      return TRUE;
    }
  g_assert_not_reached ();
}

static gboolean
read_signature_value (const EntsecHttpMessage *message,
                      EntsecHttpSignature     *signature,
                      GError                 **error)
{
  g_autoptr (GPtrArray) dictionary = NULL;
  EntsecSfItem *item = signature_member (message, "Signature", signature->label, &dictionary,
                                         error);

  if (item == NULL)
    return FALSE;
  if (item->type != ENTSEC_SF_BYTES)
    return sig_error (error, ENTSEC_PROTOCOL_ERROR_MALFORMED, signature->label,
                      "its Signature member is not a byte sequence (\":...:\")");
  signature->signature = g_bytes_ref (item->bytes);
  return TRUE;
}

EntsecHttpSignature *
entsec_http_signature_parse (const EntsecHttpMessage *message,
                             const char              *label,
                             GError                 **error)
{
  g_autoptr (EntsecHttpSignature) signature = g_new0 (EntsecHttpSignature, 1);
  g_autoptr (GPtrArray) dictionary = NULL;

  g_return_val_if_fail (message != NULL && label != NULL, NULL);

  signature->label = g_strdup (label);
  if (signature_member (message, "Signature-Input", label, &dictionary, error) == NULL
      || !take_params (signature, dictionary, error) || !read_components (signature, error)
      || !read_params (signature, error) || !read_signature_value (message, signature, error))
    return NULL;
  return g_steal_pointer (&signature);
}

/* ---- Signature base ------------------------------------------------------------ */

static char *
component_value (const EntsecHttpMessage *message,
                 const char              *name,
                 GError                 **error)
{
  g_autofree char *problem = NULL;
  char *value = NULL;

  if (strcmp (name, "@method") == 0 && message->method != NULL)
    return g_strdup (message->method);
  if (strcmp (name, "@target-uri") == 0 && message->target_uri != NULL)
    return g_strdup (message->target_uri);
  if (strcmp (name, "@status") == 0 && message->status >= 100 && message->status <= 599)
    return g_strdup_printf ("%03u", message->status);
  if (name[0] == '@')
    problem = g_strdup_printf ("the component \"%s\" is not supported or does not apply to "
                               "this message", name);
  else if (strspn (name, LOWER_TCHARS) != strlen (name))
    problem = g_strdup_printf ("the component \"%s\" is not a lower-case field name", name);
  else if ((value = entsec_http_message_get_field (message, name)) == NULL)
    problem = g_strdup_printf ("the message has no \"%s\" field, which the signature covers",
                               name);
  if (problem != NULL)
    {
      g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                   "The signature base cannot be built: %s", problem);
      return NULL;
    }
  return value;
}

static gboolean
append_component (GString                 *base,
                  const EntsecHttpMessage *message,
                  const char              *name,
                  GError                 **error)
{
  g_autofree char *value = component_value (message, name, error);

  if (value == NULL)
    return FALSE;
  if (strpbrk (value, "\r\n") != NULL)
    {
      g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                   "The signature base cannot be built: \"%s\" holds a line break", name);
      return FALSE;
    }
  g_string_append_printf (base, "\"%s\": %s\n", name, value);
  return TRUE;
}

char *
entsec_http_signature_base (const EntsecHttpMessage   *message,
                            const EntsecHttpSignature *signature,
                            GError                   **error)
{
  g_autoptr (GString) base = g_string_new (NULL);
  g_autofree char *params = NULL;

  g_return_val_if_fail (message != NULL && signature != NULL, NULL);

  for (guint i = 0; i < signature->components->len; i++)
    {
      if (!append_component (base, message, g_ptr_array_index (signature->components, i), error))
        return NULL;
    }
  params = entsec_sf_serialize_item (signature->params);
  g_string_append_printf (base, "\"@signature-params\": %s", params);
  return g_string_free (g_steal_pointer (&base), FALSE);
}

gboolean
entsec_http_signature_verify (const EntsecHttpMessage   *message,
                              const EntsecHttpSignature *signature,
                              EVP_PKEY                  *key,
                              GError                   **error)
{
  g_autofree char *base = NULL;

  g_return_val_if_fail (message != NULL && signature != NULL, FALSE);

  if (signature->alg != NULL && strcmp (signature->alg, ENTSEC_HTTPSIG_ALG) != 0)
    return sig_error (error, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED, signature->label,
                      "its algorithm is not ecdsa-p256-sha256");
  base = entsec_http_signature_base (message, signature, error);
  if (base == NULL)
    return FALSE;
  return entsec_ec_verify (key, (const guint8 *) base, strlen (base),
                           g_bytes_get_data (signature->signature, NULL),
                           g_bytes_get_size (signature->signature), error);
}
