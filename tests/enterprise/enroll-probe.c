/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * enroll-probe.c: the enroller's state an app shows, against a real server
 * (test-client-enroll.py). Argument: an activation link. Starts an
 * enrollment, then reads lines from stdin, one command each:
 *   start          start again at once (the server rate-limits it)
 *   verify CODE    verify CODE
 *   restore        serialise the enrollment, and go on with the restored copy
 * and prints one JSON line after each: ok, the error code, attempts_left,
 * retry_after, resend_in and expires_in (from now), shared (the number of
 * values the registration would send, after a verify). Exits 0, or 2 for
 * bad arguments.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <entsec/entsec.h>

static void
report (EntsecEnroller *enroller,
        gboolean        ok,
        const GError   *error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  GPtrArray *shared = entsec_enroller_get_shared (enroller);

  printf ("{\"ok\":%s,\"code\":%d,\"attempts_left\":%d,\"retry_after\":%" G_GINT64_FORMAT
          ",\"resend_in\":%" G_GINT64_FORMAT ",\"expires_in\":%" G_GINT64_FORMAT
          ",\"shared\":%d,\"masked\":\"%s\"}\n",
          ok ? "true" : "false", error != NULL ? error->code : -1,
          entsec_enroller_get_attempts_left (enroller), entsec_enroller_get_retry_after (enroller),
          entsec_enroller_get_resend_at (enroller) - now,
          entsec_enroller_get_expires_at (enroller) - now,
          shared != NULL ? (int) shared->len : -1,
          entsec_enroller_get_masked_address (enroller) != NULL
          ? entsec_enroller_get_masked_address (enroller) : "");
  fflush (stdout);
}

static gboolean
run (EntsecEnroller **enroller,
     const char      *line,
     const char      *channel,
     const char      *address,
     GError         **error)
{
  if (strcmp (line, "start") == 0)
    return entsec_enroller_start_sync (*enroller, channel, address, NULL, error);
  if (g_str_has_prefix (line, "verify "))
    return entsec_enroller_verify_sync (*enroller, line + strlen ("verify "), NULL, error);
  if (strcmp (line, "restore") == 0)
    {
      g_autofree char *saved = entsec_enroller_serialize (*enroller);
      EntsecEnroller *restored = entsec_enroller_deserialize (saved,
                                                              g_get_real_time () / G_USEC_PER_SEC,
                                                              error);

      if (restored == NULL)
        return FALSE;
      entsec_enroller_free (*enroller);
      *enroller = restored;
      return TRUE;
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "unknown command %s", line);
  return FALSE;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (EntsecActivationLink) link = NULL;
  g_autoptr (GError) error = NULL;
  EntsecEnroller *enroller;
  char line[256];
  gboolean ok;

  link = argc == 2 ? entsec_activation_link_parse (argv[1], &error) : NULL;
  enroller = link != NULL ? entsec_enroller_new_for_link (link, NULL, &error) : NULL;
  if (enroller == NULL)
    {
      fprintf (stderr, "usage: enroll-probe LINK (%s)\n", error != NULL ? error->message : "");
      return 2;
    }
  ok = entsec_enroller_start_sync (enroller, entsec_activation_link_channel (link),
                                   link->address, NULL, &error);
  report (enroller, ok, error);
  while (fgets (line, sizeof line, stdin) != NULL)
    {
      g_clear_error (&error);
      g_strchomp (line);
      ok = run (&enroller, line, entsec_activation_link_channel (link), link->address, &error);
      report (enroller, ok, error);
    }
  entsec_enroller_free (enroller);
  return 0;
}
