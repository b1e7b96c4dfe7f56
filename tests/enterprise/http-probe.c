/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * http-probe.c: one call through libentsec's HTTPS client, for the TLS tests
 * (test-client-http.py). Prints "status N" and the body, or "error NICK" and
 * the message; exits 0 on a 2xx answer, 1 on an error.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "entsec-http.h"

static const char *
nick_of (const GError *error)
{
  static const char * const nicks[] = {
    "invalid-url", "resolve", "connect", "timeout", "untrusted", "expired", "wrong-host",
    "pin-mismatch", "tls-version", "tls", "redirect", "too-large", "bad-response", "server",
    "rate-limited", "invalid-code", "enrollment-expired", "revoked",
  };

  if (error->domain != ENTSEC_NET_ERROR || error->code < 0
      || (gsize) error->code >= G_N_ELEMENTS (nicks))
    return "other-domain";
  return nicks[error->code];
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *ca = NULL;
  g_autofree char *pins = NULL;
  g_autofree char *body = NULL;
  gboolean anchor = FALSE;
  gint64 max_response = 0;
  GOptionEntry entries[] = {
    { "ca", 0, 0, G_OPTION_ARG_FILENAME, &ca, "CA file", "FILE" },
    { "pin", 0, 0, G_OPTION_ARG_STRING, &pins, "SPKI pins", "PINS" },
    { "anchor", 0, 0, G_OPTION_ARG_NONE, &anchor, "the pin stands in for a CA", NULL },
    { "max", 0, 0, G_OPTION_ARG_INT64, &max_response, "size limit", "BYTES" },
    { "body", 0, 0, G_OPTION_ARG_STRING, &body, "JSON body to send", "JSON" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("METHOD URL");
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecHttpResponse) response = NULL;
  g_autoptr (GBytes) payload = NULL;
  const char *headers[] = { "Content-Type: application/json", NULL };
  EntsecHttpTrust trust = { 0 };

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 3)
    {
      fprintf (stderr, "usage: http-probe [--ca FILE] [--pin PINS [--anchor]] METHOD URL\n");
      return 2;
    }
  trust.ca_file = ca;
  trust.pins = pins;
  trust.pin_is_anchor = anchor;
  trust.max_response = (gsize) max_response;
  if (body != NULL)
    payload = g_bytes_new (body, strlen (body));
  response = entsec_http_request (&trust, argv[1], argv[2], body != NULL ? headers : NULL,
                                  payload, &error);
  if (response == NULL || !entsec_http_response_check (response, &error))
    {
      printf ("error %s\n%s\n", nick_of (error), error->message);
      return 1;
    }
  printf ("status %ld\n", response->status);
  fwrite (g_bytes_get_data (response->body, NULL), 1, g_bytes_get_size (response->body), stdout);
  return 0;
}
