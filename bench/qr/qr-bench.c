/* SPDX-License-Identifier: GPL-3.0-or-later */
/* qr-bench.c: decode images in-process and report per-image time and payloads as JSON lines */

#include "config.h"

#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include "entsec-qr-private.h"

static char *
hex_of (const guint8 *data,
        gsize         len)
{
  GString *hex = g_string_sized_new (len * 2 + 1);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (hex, "%02x", data[i]);
  return g_string_free (hex, FALSE);
}

/* [{"hex": raw bytes, "text_hex": zbar's text when the bytes are not UTF-8}, ...] */
static void
print_payloads (GPtrArray *payloads)
{
  printf ("[");
  for (guint i = 0; payloads != NULL && i < payloads->len; i++)
    {
      EntsecQrPayload *payload = payloads->pdata[i];
      gsize len;
      const guint8 *data = g_bytes_get_data (payload->data, &len);
      g_autofree char *hex = hex_of (data, len);
      g_autofree char *text_hex = payload->text != NULL
                                    ? hex_of ((const guint8 *) payload->text,
                                              strlen (payload->text))
                                    : NULL;

      printf ("%s{\"hex\":\"%s\"", i > 0 ? "," : "", hex);
      if (text_hex != NULL)
        printf (",\"text_hex\":\"%s\"", text_hex);
      printf ("}");
    }
  printf ("]");
}

static void
print_json_string (const char *key,
                   const char *value)
{
  g_autofree char *escaped = g_strescape (value != NULL ? value : "", NULL);

  printf ("\"%s\":\"%s\"", key, escaped);
}

/* CPU time of the process so far (every thread), in milliseconds. */
static double
cpu_ms (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000.0
         + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1000.0;
}

/* CPU time of the calling thread, in milliseconds: the decoding thread's, which the
 * library's time budget counts (the inverted pass's thread is not). */
static double
thread_cpu_ms (void)
{
  struct timespec now;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &now) != 0)
    return 0;
  return now.tv_sec * 1000.0 + now.tv_nsec / 1000000.0;
}

/* The whole pipeline as the library runs it: read, load, scan. */
static void
bench_file (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) payloads = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  const char *step = NULL;
  gint64 start = g_get_monotonic_time ();
  double cpu_start = cpu_ms ();
  double thread_start = 0, thread_end = 0;

  if (g_file_get_contents (path, &contents, &len, &error))
    {
      thread_start = thread_cpu_ms ();
      payloads = entsec_qr_decode_payloads ((const guint8 *) contents, len, NULL, NULL, &step,
                                            NULL, &error);
      thread_end = thread_cpu_ms ();
    }
  printf ("{");
  print_json_string ("file", path);
  printf (",\"ms\":%.3f,\"cpu_ms\":%.1f,\"thread_cpu_ms\":%.1f,",
          (g_get_monotonic_time () - start) / 1000.0, cpu_ms () - cpu_start,
          thread_end - thread_start);
  print_json_string ("step", step);
  printf (",");
  print_json_string ("error", error != NULL ? error->message : NULL);
  printf (",\"gave_up\":%s,\"payloads\":",
          g_error_matches (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_GAVE_UP) ? "true" : "false");
  print_payloads (payloads);
  printf ("}\n");
  fflush (stdout);
}

/* Every step on its own, to see which images each one rescues. */
static void
bench_steps (const char  *path,
             char       **steps)
{
  g_autofree char *contents = NULL;
  g_autoptr (EntsecQrGrey) grey = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    return;
  grey = entsec_qr_load_grey ((const guint8 *) contents, len, 2048, NULL, NULL, NULL);
  printf ("{");
  print_json_string ("file", path);
  printf (",\"steps\":{");
  for (guint i = 0; grey != NULL && steps[i] != NULL; i++)
    {
      g_autoptr (GPtrArray) payloads = NULL;
      gint64 start = g_get_monotonic_time ();

      entsec_qr_set_steps_for_testing (steps[i]);
      payloads = entsec_qr_scan_grey (grey, NULL, NULL);
      printf ("%s\"%s\":{\"ms\":%.3f,\"payloads\":", i > 0 ? "," : "", steps[i],
              (g_get_monotonic_time () - start) / 1000.0);
      print_payloads (payloads);
      printf ("}");
    }
  printf ("}}\n");
  fflush (stdout);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *steps = NULL;
  g_autofree char *each = NULL;
  int budget_ms = -1;
  GOptionEntry entries[] = {
    { "budget-ms", 0, 0, G_OPTION_ARG_INT, &budget_ms,
      "CPU time an image may take (default " G_STRINGIFY (ENTSEC_QR_BUDGET_MS) "; 0: no limit)", "MS" },
    { "steps", 0, 0, G_OPTION_ARG_STRING, &steps, "Comma-separated pipeline steps", "LIST" },
    { "each-step", 0, 0, G_OPTION_ARG_STRING, &each, "Run each of LIST alone per image", "LIST" },
    { NULL }
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("IMAGE...");
  g_autoptr (GError) error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      fprintf (stderr, "qr-bench: %s\n", error->message);
      return 2;
    }
  if (steps != NULL)
    entsec_qr_set_steps_for_testing (steps);
  if (budget_ms >= 0)
    entsec_qr_set_budget_for_testing ((guint) budget_ms);
  for (int i = 1; i < argc; i++)
    {
      if (each != NULL)
        {
          g_auto (GStrv) list = g_strsplit (each, ",", -1);

          bench_steps (argv[i], list);
        }
      else
        bench_file (argv[i]);
    }
  return 0;
}
