/* SPDX-License-Identifier: GPL-3.0-or-later */
/* fuzz-base32.c: Base32 decoding, and encode/decode round trips */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include <entsec/entsec.h>

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* Whatever decodes must re-encode to text that decodes to the same bytes. */
static void
check_round_trip (const guint8 *key,
                  gsize         key_len)
{
  char *text = entsec_base32_encode (key, key_len);
  gsize again_len = 0;
  guint8 *again = entsec_base32_decode (text, &again_len, NULL);

  if (again == NULL || again_len != key_len || memcmp (again, key, key_len) != 0)
    __builtin_trap ();
  entsec_secure_free (again, again_len);
  entsec_secure_strfree (text);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  char *text = g_malloc (size + 1);
  GError *error = NULL;
  gsize key_len = 0;
  guint8 *key;

  if (size > 0)
    memcpy (text, data, size);
  text[size] = '\0';
  key = entsec_base32_decode (text, &key_len, &error);

  if (key != NULL)
    {
      if (error != NULL)
        __builtin_trap ();
      check_round_trip (key, key_len);
      entsec_secure_free (key, key_len);
    }
  else if (error == NULL || error->message[0] == '\0')
    {
      __builtin_trap ();
    }
  g_clear_error (&error);

  /* The raw bytes as a key must always survive a round trip. */
  if (size > 0)
    check_round_trip (data, size);
  g_free (text);
  return 0;
}
