/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-signature-input.c: the structured-field parser and the RFC 9421
 * Signature-Input reader. Whatever parses must serialise to text that
 * parses back to the same serialisation; failures must say why.
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "entsec-protocol.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static void
check_error (GError *error)
{
  if (error == NULL || error->domain != ENTSEC_PROTOCOL_ERROR || error->message[0] == '\0')
    __builtin_trap ();
}

/* Serialising a parsed member and parsing that again is a fixed point. */
static void
check_canonical (const EntsecSfMember *member)
{
  g_autofree char *value = entsec_sf_serialize_item (member->value);
  g_autofree char *field = g_strdup_printf ("%s=%s", member->key, value);
  g_autoptr (GPtrArray) again = NULL;
  g_autofree char *value_again = NULL;
  EntsecSfMember *first;

  /* A serialised field can outgrow the limit (escapes, padding): skip it. */
  if (strlen (field) > ENTSEC_SF_MAX_BYTES)
    return;
  again = entsec_sf_parse_dictionary (field, strlen (field), "again", NULL);
  if (again == NULL || again->len != 1)
    __builtin_trap ();
  first = g_ptr_array_index (again, 0);
  value_again = entsec_sf_serialize_item (first->value);
  if (strcmp (value, value_again) != 0)
    __builtin_trap ();
}

/* The first member as a signature over a fixed message. */
static void
check_signature (const char *field,
                 const char *label)
{
  const char *fields[] = { "Content-Type", "application/json", "Signature-Input", field,
                           "Signature", NULL, NULL };
  g_autofree char *signature_field = g_strdup_printf ("%s=:AA==:", label);
  EntsecHttpMessage message = { "POST", "https://example.com/v1", 200, fields, NULL, 0 };
  GError *error = NULL;
  g_autoptr (EntsecHttpSignature) signature = NULL;
  g_autofree char *base = NULL;

  fields[5] = signature_field;
  signature = entsec_http_signature_parse (&message, label, &error);
  if (signature == NULL)
    {
      check_error (error);
      g_error_free (error);
      return;
    }
  base = entsec_http_signature_base (&message, signature, &error);
  if (base == NULL)
    check_error (error);
  else if (strstr (base, "\"@signature-params\": (") == NULL)
    __builtin_trap ();
  g_clear_error (&error);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  GError *error = NULL;
  g_autoptr (GPtrArray) dictionary = entsec_sf_parse_dictionary ((const char *) data, size,
                                                                 "The field", &error);

  if (dictionary == NULL)
    {
      check_error (error);
      g_error_free (error);
      return 0;
    }
  for (guint i = 0; i < dictionary->len; i++)
    check_canonical (g_ptr_array_index (dictionary, i));
  /* Field values are text: the NUL-free prefix is what a server would see. */
  if (strlen (text) == size)
    check_signature (text, ((EntsecSfMember *) g_ptr_array_index (dictionary, 0))->key);
  return 0;
}
