/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-backup-import.c: the entsec backup reader. Each input is tried twice:
 * as a whole backup file (header parser, bounds, wrapping), and as the JSON
 * body of a correctly sealed backup (body parser, caps, account checks).
 * Both KDF calls go through entsec_argon2id_derive(), so they agree in fuzz
 * builds too, where its costs are clamped.
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include <entsec/entsec.h>

#include "entsec-crypto.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

#define PASSPHRASE "fuzz"

static const guint8 salt[16] = "entsec-fuzz-salt";

/* The header (prefix and wrapped key) every sealed body gets; built once. */
static GByteArray *header;
static guint8 body_key[32];

static void
build_header (void)
{
  EntsecArgon2Params kdf = { 8 * 1024, 1, 1, { 0 }, sizeof salt };
  const guint8 fixed[] = { 'E', 'N', 'T', 'S', 'E', 'C', 'B', 'K', 1, 1,
                           0, 0, 0x20, 0, 0, 0, 0, 1, 0, 0, 0, 1, sizeof salt };
  guint8 kek[32];
  GBytes *wrapped;

  memcpy (kdf.salt, salt, sizeof salt);
  memset (body_key, 0x42, sizeof body_key);
  header = g_byte_array_new ();
  g_byte_array_append (header, fixed, sizeof fixed);
  g_byte_array_append (header, salt, sizeof salt);
  if (!entsec_argon2id_derive (&kdf, PASSPHRASE, strlen (PASSPHRASE), kek, sizeof kek, NULL))
    __builtin_trap ();
  wrapped = entsec_aead_seal (kek, header->data, header->len, body_key, sizeof body_key, NULL);
  g_byte_array_append (header, g_bytes_get_data (wrapped, NULL), g_bytes_get_size (wrapped));
  g_bytes_unref (wrapped);
}

static GBytes *
seal_body (const uint8_t *data,
           size_t         size)
{
  GByteArray *file = g_byte_array_new ();
  GBytes *sealed;

  if (header == NULL)
    build_header ();
  g_byte_array_append (file, header->data, header->len);
  sealed = entsec_aead_seal (body_key, header->data, header->len, data, size, NULL);
  g_byte_array_append (file, g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed));
  g_bytes_unref (sealed);
  return g_byte_array_free_to_bytes (file);
}

/* Success returns valid accounts and no error; failure an error and nothing. */
static int
check_import (GBytes *file)
{
  GPtrArray *accounts = NULL;
  GError *error = NULL;
  int code = -1;

  if (entsec_backup_import_sync (file, PASSPHRASE, strlen (PASSPHRASE), &accounts, NULL, &error))
    {
      if (accounts == NULL || error != NULL)
        __builtin_trap ();
      for (guint i = 0; i < accounts->len; i++)
        {
          if (!entsec_account_validate (g_ptr_array_index (accounts, i), NULL))
            __builtin_trap ();
        }
      g_ptr_array_unref (accounts);
      return code;
    }
  if (accounts != NULL || error == NULL || error->domain != ENTSEC_BACKUP_ERROR)
    __builtin_trap ();
  code = error->code;
  g_error_free (error);
  return code;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  GBytes *raw = g_bytes_new (data, size);
  GBytes *sealed = seal_body (data, size);
  int code;

  entsec_import_detect_format (raw);
  check_import (raw);
  /* A correctly sealed body can only fail as damaged contents or over a limit. */
  code = check_import (sealed);
  if (code != -1 && code != ENTSEC_BACKUP_ERROR_CORRUPT && code != ENTSEC_BACKUP_ERROR_LIMIT)
    __builtin_trap ();
  g_bytes_unref (raw);
  g_bytes_unref (sealed);
  return 0;
}
