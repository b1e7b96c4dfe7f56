/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-qr-image.c: image bytes -> gdk-pixbuf -> grey -> zbar (every retry
 * step) -> payload classification and the otpauth parsers. Whatever decodes
 * must hold at least one code with its bytes; whatever fails must say why.
 * Run with a small -max_len (tools/fuzz uses the corpus' sizes, about 4 KiB).
 */

#include "config.h"

#include <stdint.h>

#include "entsec-qr-private.h"

/* Keep one input under a second: a 4 KiB PNG may declare 16384 x 4096 pixels. */
#define FUZZ_MAX_PIXELS (512 * 512)

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);
int LLVMFuzzerInitialize (int    *argc,
                          char ***argv);

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  entsec_qr_set_max_pixels_for_testing (FUZZ_MAX_PIXELS);
  return 0;
}

static void
check_result (const EntsecQrResult *result)
{
  if (result->codes->len == 0 || result->step == NULL)
    __builtin_trap ();
  for (guint i = 0; i < result->codes->len; i++)
    {
      const EntsecQrCode *code = result->codes->pdata[i];

      /* A code gives accounts, or says why not; never neither. */
      if (code->data == NULL || (code->accounts->len == 0 && code->error == NULL))
        __builtin_trap ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  GError *error = NULL;
  EntsecQrResult *result = entsec_qr_decode_bytes_sync (data, size, NULL, &error);

  if (result == NULL)
    {
      if (error == NULL || error->domain != ENTSEC_QR_ERROR || error->message[0] == '\0')
        __builtin_trap ();
      g_error_free (error);
      return 0;
    }
  check_result (result);
  entsec_qr_result_free (result);
  return 0;
}
