/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * describe-probe.c: what entsec_device_describe() says this machine shares,
 * for the test that compares it with what the server received
 * (test-client-status.py). Arguments: the tenant salt (base64url, as the
 * enrollment answer gives it) and the claim names of its "collect"; prints
 * the `device` object. Exits 0, or 2 for bad arguments.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <entsec/entsec.h>

/* Base64url without padding, decoded; NULL when it is not. */
static GBytes *
decode_base64url (const char *text)
{
  g_autoptr (GString) standard = g_string_new (text);
  g_autofree guint8 *data = NULL;
  gsize len = 0;

  g_strdelimit (standard->str, "-", '+');
  g_strdelimit (standard->str, "_", '/');
  while (standard->len % 4 != 0)
    g_string_append_c (standard, '=');
  data = g_base64_decode (standard->str, &len);
  return len > 0 ? g_bytes_new (data, len) : NULL;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (GBytes) salt = NULL;
  g_auto (GStrv) names = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *device = NULL;
  g_autoptr (EntsecDeviceClaims) claims = NULL;
  EntsecDeviceCollect collect = 0;

  if (argc != 3)
    {
      fprintf (stderr, "usage: describe-probe TENANT_SALT NAME[,NAME...]\n");
      return 2;
    }
  salt = decode_base64url (argv[1]);
  names = g_strsplit (argv[2], ",", -1);
  if (salt == NULL || !entsec_device_collect_from_names ((const char * const *) names, &collect,
                                                         &error))
    {
      fprintf (stderr, "describe-probe: %s\n", error != NULL ? error->message : "bad salt");
      return 2;
    }
  claims = entsec_device_claims_collect (NULL);
  device = entsec_device_describe (claims, salt, collect, ENTSEC_DEVICE_RAW_NONE, NULL, &error);
  if (device == NULL)
    {
      fprintf (stderr, "describe-probe: %s\n", error->message);
      return 2;
    }
  printf ("%s\n", device);
  return 0;
}
