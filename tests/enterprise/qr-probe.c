/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * qr-probe.c: the activation links the QR codes of a picture hold, read by
 * libentsec's own decoder (entsec_qr_decode_file_sync), one a line, for the
 * test of the demo's activation QR code (test-demo.py). Argument: the
 * picture. Exits 0 when it printed at least one link, 1 when the picture
 * holds none or cannot be read (saying why), 2 for bad arguments.
 */

#include "config.h"

#include <stdio.h>

#include <entsec/entsec.h>

int
main (int    argc,
      char **argv)
{
  g_autoptr (EntsecQrResult) result = NULL;
  g_autoptr (GError) error = NULL;
  guint found = 0;

  if (argc != 2)
    {
      fprintf (stderr, "usage: qr-probe PICTURE\n");
      return 2;
    }
  result = entsec_qr_decode_file_sync (argv[1], NULL, &error);
  if (result == NULL)
    {
      fprintf (stderr, "qr-probe: %s\n", error->message);
      return 1;
    }
  for (guint i = 0; i < result->codes->len; i++)
    {
      const EntsecQrCode *code = g_ptr_array_index (result->codes, i);

      if (code->kind == ENTSEC_QR_KIND_ENROLLMENT && code->text != NULL)
        {
          printf ("%s\n", code->text);
          found++;
        }
    }
  if (found == 0)
    fprintf (stderr, "qr-probe: %s holds no activation link\n", argv[1]);
  return found > 0 ? 0 : 1;
}
