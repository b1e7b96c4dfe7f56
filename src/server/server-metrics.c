/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-metrics.c: request and push counters as relaxed C11 atomics (a
 * scrape may see one request counted in _count and not yet in _sum; the
 * format allows that), rendered as Prometheus text.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <stdatomic.h>

#include "server-metrics.h"

/* Upper bounds of the latency buckets in microseconds; one more is +Inf. A
 * long-poll is held up to 30 s, hence the top ones. */
static const guint64 bucket_bounds[] = {
  1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
  1000000, 2500000, 5000000, 10000000, 30000000, 60000000,
};
#define N_BUCKETS (G_N_ELEMENTS (bucket_bounds) + 1)
#define N_CLASSES 5 /* 1xx to 5xx */

typedef struct
{
  atomic_uint_least64_t classes[N_CLASSES];
  atomic_uint_least64_t buckets[N_BUCKETS]; /* each bucket on its own; summed when shown */
  atomic_uint_least64_t sum_us;
} RouteStats;

struct _EntsecMetrics
{
  const char *const    *methods;
  const char *const    *patterns;
  guint                 n_routes;
  RouteStats           *routes;  /* n_routes + 1: the last for no route */
  atomic_uint_least64_t counters[ENTSEC_METRICS_N_COUNTERS];
  gint64                started;
};

EntsecMetrics *
entsec_metrics_new (const char *const *methods,
                    const char *const *patterns,
                    guint              n_routes,
                    gint64             started)
{
  EntsecMetrics *metrics = g_new0 (EntsecMetrics, 1);

  metrics->methods = methods;
  metrics->patterns = patterns;
  metrics->n_routes = n_routes;
  /* zeroed memory is a valid atomic zero on every platform GLib runs on */
  metrics->routes = g_new0 (RouteStats, n_routes + 1);
  metrics->started = started;
  return metrics;
}

void
entsec_metrics_free (EntsecMetrics *metrics)
{
  if (metrics == NULL)
    return;
  g_free (metrics->routes);
  g_free (metrics);
}

static guint
bucket_of (gint64 duration_us)
{
  guint i = 0;

  while (i < G_N_ELEMENTS (bucket_bounds) && (guint64) duration_us > bucket_bounds[i])
    i++;
  return i;
}

void
entsec_metrics_request (EntsecMetrics *metrics,
                        int            route,
                        guint          status,
                        gint64         duration_us)
{
  RouteStats *stats;

  g_return_if_fail (metrics != NULL);

  if (route < 0 || (guint) route >= metrics->n_routes)
    route = (int) metrics->n_routes;
  stats = &metrics->routes[route];
  duration_us = MAX (duration_us, 0);
  if (status >= 100 && status < 600)
    atomic_fetch_add_explicit (&stats->classes[status / 100 - 1], 1, memory_order_relaxed);
  atomic_fetch_add_explicit (&stats->buckets[bucket_of (duration_us)], 1, memory_order_relaxed);
  atomic_fetch_add_explicit (&stats->sum_us, (guint64) duration_us, memory_order_relaxed);
}

void
entsec_metrics_add (EntsecMetrics       *metrics,
                    EntsecMetricsCounter counter,
                    guint64              n)
{
  g_return_if_fail (metrics != NULL && counter < ENTSEC_METRICS_N_COUNTERS);

  atomic_fetch_add_explicit (&metrics->counters[counter], n, memory_order_relaxed);
}

guint64
entsec_metrics_get (EntsecMetrics       *metrics,
                    EntsecMetricsCounter counter)
{
  g_return_val_if_fail (metrics != NULL && counter < ENTSEC_METRICS_N_COUNTERS, 0);

  return atomic_load_explicit (&metrics->counters[counter], memory_order_relaxed);
}

static guint64
load (atomic_uint_least64_t *value)
{
  return atomic_load_explicit (value, memory_order_relaxed);
}

static void
header (GString    *out,
        const char *name,
        const char *type,
        const char *help)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The labels of route @i: patterns are ours, never a request's text. */
static void
route_labels (EntsecMetrics *metrics,
              guint          i,
              GString       *out)
{
  if (i < metrics->n_routes)
    g_string_append_printf (out, "method=\"%s\",route=\"%s\"", metrics->methods[i],
                            metrics->patterns[i]);
  else
    g_string_append (out, "method=\"other\",route=\"unmatched\"");
}

static void
render_requests (EntsecMetrics *metrics,
                 GString       *out)
{
  header (out, "entsec_http_requests_total", "counter",
          "HTTP requests answered, by route and status class.");
  for (guint i = 0; i <= metrics->n_routes; i++)
    for (guint c = 0; c < N_CLASSES; c++)
      {
        guint64 n = load (&metrics->routes[i].classes[c]);

        if (n == 0)
          continue;
        g_string_append (out, "entsec_http_requests_total{");
        route_labels (metrics, i, out);
        g_string_append_printf (out, ",code=\"%uxx\"} %" G_GUINT64_FORMAT "\n", c + 1, n);
      }
}

static void
render_route_histogram (EntsecMetrics *metrics,
                        guint          i,
                        GString       *out)
{
  const char *name = "entsec_http_request_duration_seconds";
  RouteStats *stats = &metrics->routes[i];
  guint64 total = 0;
  char le[G_ASCII_DTOSTR_BUF_SIZE];

  for (guint b = 0; b < N_BUCKETS; b++)
    total += load (&stats->buckets[b]);
  if (total == 0)
    return;
  total = 0;
  for (guint b = 0; b < N_BUCKETS; b++)
    {
      total += load (&stats->buckets[b]);
      if (b < G_N_ELEMENTS (bucket_bounds))
        g_ascii_formatd (le, sizeof le, "%g", (double) bucket_bounds[b] / G_USEC_PER_SEC);
      else
        g_strlcpy (le, "+Inf", sizeof le);
      g_string_append_printf (out, "%s_bucket{", name);
      route_labels (metrics, i, out);
      g_string_append_printf (out, ",le=\"%s\"} %" G_GUINT64_FORMAT "\n", le, total);
    }
  g_string_append_printf (out, "%s_sum{", name);
  route_labels (metrics, i, out);
  g_string_append_printf (out, "} %s\n",
                          g_ascii_formatd (le, sizeof le, "%.6f",
                                           (double) load (&stats->sum_us) / G_USEC_PER_SEC));
  g_string_append_printf (out, "%s_count{", name);
  route_labels (metrics, i, out);
  g_string_append_printf (out, "} %" G_GUINT64_FORMAT "\n", total);
}

static void
render_value (GString    *out,
              const char *name,
              const char *type,
              const char *help,
              gint64      value)
{
  header (out, name, type, help);
  g_string_append_printf (out, "%s %" G_GINT64_FORMAT "\n", name, value);
}

static void
render_counters (EntsecMetrics *metrics,
                 GString       *out)
{
  render_value (out, "entsec_pushes_started_total", "counter",
                "Push sign-ins relying parties started.",
                (gint64) load (&metrics->counters[ENTSEC_METRICS_PUSHES_STARTED]));
  render_value (out, "entsec_pushes_delivered_total", "counter",
                "Pushes queued for a device (one per device of the user).",
                (gint64) load (&metrics->counters[ENTSEC_METRICS_PUSHES_DELIVERED]));
  render_value (out, "entsec_pushes_answered_total", "counter",
                "Device answers to pushes that were accepted.",
                (gint64) load (&metrics->counters[ENTSEC_METRICS_PUSHES_ANSWERED]));
  render_value (out, "entsec_tls_reloads_total", "counter",
                "TLS certificate reloads (SIGHUP) that took effect.",
                (gint64) load (&metrics->counters[ENTSEC_METRICS_TLS_RELOADS]));
  render_value (out, "entsec_tls_reload_failures_total", "counter",
                "TLS certificate reloads refused; the log says why, the old pair stays.",
                (gint64) load (&metrics->counters[ENTSEC_METRICS_TLS_RELOAD_FAILURES]));
}

static void
render_gauges (EntsecMetrics             *metrics,
               const EntsecMetricsGauges *gauges,
               gint64                     now,
               GString                   *out)
{
  render_value (out, "entsec_long_polls_held", "gauge",
                "Event long-polls waiting on this instance.", gauges->long_polls);
  if (gauges->events_stored >= 0)
    render_value (out, "entsec_device_events_queued", "gauge",
                  "Device events stored and not yet acknowledged.", gauges->events_stored);
  render_value (out, "entsec_sender_queue_depth", "gauge",
                "Enrollment codes waiting for the email and SMS sender threads.",
                gauges->sender_queued);
  render_value (out, "entsec_storage_up", "gauge",
                "1 when a read of the database worked at this scrape.", gauges->storage_up);
  if (gauges->tls_expires > 0)
    render_value (out, "entsec_tls_certificate_expiry_seconds", "gauge",
                  "When the TLS certificate in use expires, Unix seconds.", gauges->tls_expires);
  render_value (out, "entsec_start_time_seconds", "gauge",
                "When this server started, Unix seconds.", metrics->started);
  render_value (out, "entsec_uptime_seconds", "gauge",
                "Seconds since this server started.", MAX (now - metrics->started, 0));
  header (out, "entsec_build_info", "gauge", "The version of this server (always 1).");
  g_string_append_printf (out, "entsec_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
}

char *
entsec_metrics_render (EntsecMetrics             *metrics,
                       const EntsecMetricsGauges *gauges,
                       gint64                     now)
{
  GString *out;

  g_return_val_if_fail (metrics != NULL && gauges != NULL, NULL);

  out = g_string_sized_new (8192);
  render_requests (metrics, out);
  header (out, "entsec_http_request_duration_seconds", "histogram",
          "From the request line to the end of the answer (long-polls include their hold).");
  for (guint i = 0; i <= metrics->n_routes; i++)
    render_route_histogram (metrics, i, out);
  render_counters (metrics, out);
  render_gauges (metrics, gauges, now, out);
  return g_string_free (out, FALSE);
}
