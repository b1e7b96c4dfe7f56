/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-metrics.h: counters of a running server (requests by route and
 * status class, latencies, pushes) kept with relaxed atomics, no lock on the
 * request path, and their Prometheus text exposition (version 0.0.4). Labels
 * name routes as patterns ("/v1/devices/{}/events"): never an id, an email
 * or anything a request carried.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _EntsecMetrics EntsecMetrics;

/* The Content-Type of entsec_metrics_render()'s text. */
#define ENTSEC_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/**
 * EntsecMetricsCounter:
 * @ENTSEC_METRICS_PUSHES_STARTED: a relying party started a push sign-in
 * @ENTSEC_METRICS_PUSHES_DELIVERED: a push was queued for one device
 * @ENTSEC_METRICS_PUSHES_ANSWERED: a device's answer to a push was accepted
 * @ENTSEC_METRICS_TLS_RELOADS: the TLS certificate was reloaded (SIGHUP)
 * @ENTSEC_METRICS_TLS_RELOAD_FAILURES: a reload was refused (the old pair stayed)
 *
 * The event counters besides requests.
 */
typedef enum
{
  ENTSEC_METRICS_PUSHES_STARTED,
  ENTSEC_METRICS_PUSHES_DELIVERED,
  ENTSEC_METRICS_PUSHES_ANSWERED,
  ENTSEC_METRICS_TLS_RELOADS,
  ENTSEC_METRICS_TLS_RELOAD_FAILURES,
  ENTSEC_METRICS_N_COUNTERS,
} EntsecMetricsCounter;

/**
 * EntsecMetricsGauges:
 * @long_polls: event long-polls held now
 * @events_stored: device events waiting in storage (-1: storage failed)
 * @sender_queued: enrollment codes waiting for the sender threads
 * @storage_up: the last cheap storage read worked
 * @tls_expires: when the certificate in use expires, Unix seconds (0: unknown)
 *
 * What the server reads at scrape time.
 */
typedef struct
{
  guint    long_polls;
  gint64   events_stored;
  guint    sender_queued;
  gboolean storage_up;
  gint64   tls_expires;
} EntsecMetricsGauges;

/*
 * Counters for @n_routes routes, route i being @methods[i] ("GET") on
 * @patterns[i] ("/v1/health"; both transfer none, static), and one more for
 * requests that matched none. @started: Unix seconds of the server's start.
 * Returns: (transfer full): free with entsec_metrics_free().
 */
EntsecMetrics *entsec_metrics_new (const char *const *methods,
                                   const char *const *patterns,
                                   guint              n_routes,
                                   gint64             started);
void           entsec_metrics_free (EntsecMetrics *metrics);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecMetrics, entsec_metrics_free)

/* One finished request: @route from entsec_server_route_find() (-1 or out
 * of range: no route), @status 0 when nothing was answered, @duration_us
 * from the request line to the end of the answer. */
void           entsec_metrics_request (EntsecMetrics *metrics,
                                       int            route,
                                       guint          status,
                                       gint64         duration_us);

/* Add @n to @counter. */
void           entsec_metrics_add (EntsecMetrics       *metrics,
                                   EntsecMetricsCounter counter,
                                   guint64              n);

/* The value of @counter (for tests). */
guint64        entsec_metrics_get (EntsecMetrics       *metrics,
                                   EntsecMetricsCounter counter);

/*
 * Everything in the Prometheus text format at @now (Unix seconds), with
 * @gauges. Returns: (transfer full): free with g_free().
 */
char          *entsec_metrics_render (EntsecMetrics             *metrics,
                                      const EntsecMetricsGauges *gauges,
                                      gint64                     now);

G_END_DECLS
