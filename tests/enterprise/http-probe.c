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

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return "cancelled";
  if (error->domain != ENTSEC_NET_ERROR || error->code < 0
      || (gsize) error->code >= G_N_ELEMENTS (nicks))
    return "other-domain";
  return nicks[error->code];
}

static gpointer
cancel_later (gpointer data)
{
  GCancellable *cancellable = data;
  guint ms = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (cancellable), "after"));

  /* As a person quitting the app while the call waits for its answer. */
  g_usleep ((gulong) ms * 1000);
  g_cancellable_cancel (cancellable);
  return NULL;
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
  gint cancel_after = -1;
  gint timeout = 0;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GThread) canceller = NULL;
  GOptionEntry entries[] = {
    { "ca", 0, 0, G_OPTION_ARG_FILENAME, &ca, "CA file", "FILE" },
    { "pin", 0, 0, G_OPTION_ARG_STRING, &pins, "SPKI pins", "PINS" },
    { "anchor", 0, 0, G_OPTION_ARG_NONE, &anchor, "the pin stands in for a CA", NULL },
    { "max", 0, 0, G_OPTION_ARG_INT64, &max_response, "size limit", "BYTES" },
    { "body", 0, 0, G_OPTION_ARG_STRING, &body, "JSON body to send", "JSON" },
    { "cancel-after", 0, 0, G_OPTION_ARG_INT, &cancel_after, "cancel the call after MS", "MS" },
    { "timeout", 0, 0, G_OPTION_ARG_INT, &timeout, "the call's total timeout", "SECONDS" },
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
  trust.total_timeout = (guint) MAX (timeout, 0);
  if (cancel_after >= 0)
    {
      trust.cancellable = cancellable;
      g_object_set_data (G_OBJECT (cancellable), "after", GUINT_TO_POINTER ((guint) cancel_after));
      canceller = g_thread_new ("canceller", cancel_later, cancellable);
    }
  if (body != NULL)
    payload = g_bytes_new (body, strlen (body));
  response = entsec_http_request (&trust, argv[1], argv[2], body != NULL ? headers : NULL,
                                  payload, &error);
  if (canceller != NULL)
    g_thread_join (g_steal_pointer (&canceller));
  if (response == NULL || !entsec_http_response_check (response, &error))
    {
      printf ("error %s\n%s\n", nick_of (error), error->message);
      return 1;
    }
  printf ("status %ld\n", response->status);
  fwrite (g_bytes_get_data (response->body, NULL), 1, g_bytes_get_size (response->body), stdout);
  return 0;
}
