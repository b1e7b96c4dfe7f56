/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-server-ops-unit.c: the parts of operations on their own: what the
 * log writer removes, request ids, the metrics' counting and text, the TLS
 * credentials that SIGHUP reloads (on the files --init makes).
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "server-init.h"
#include "server-log.h"
#include "server-metrics.h"
#include "server-private.h"
#include "server-tls.h"

static void
test_redact (void)
{
  struct { const char *in; const char *out; } cases[] = {
    { "RCPT to <Ann.Lee+x@mail.example.com> refused", "RCPT to <[email]> refused" },
    { "gateway: +4915112345678 unknown", "gateway: [phone] unknown" },
    { "two: a@b.org and +12025550123.", "two: [email] and [phone]." },
    { "Enrollment enr_abc: the sms code was not delivered: timeout after 20 s",
      "Enrollment enr_abc: the sms code was not delivered: timeout after 20 s" },
    { "max_connections lowered to 1000000", "max_connections lowered to 1000000" },
    { "not an address: user@localhost", "not an address: user@localhost" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = entsec_server_log_redact (cases[i].in);

      g_assert_cmpstr (got, ==, cases[i].out);
    }
}

static void
test_request_ids (void)
{
  char a[ENTSEC_SERVER_REQUEST_ID_SIZE], b[ENTSEC_SERVER_REQUEST_ID_SIZE];
  g_autoptr (GRegex) shape = g_regex_new ("^[0-9a-f]{8}-[0-9a-f]{8}$", 0, 0, NULL);

  entsec_server_log_request_id (a);
  entsec_server_log_request_id (b);
  g_assert_true (g_regex_match (shape, a, 0, NULL));
  g_assert_true (g_regex_match (shape, b, 0, NULL));
  g_assert_cmpstr (a, !=, b);
  /* the same run: the same prefix */
  g_assert_cmpint (memcmp (a, b, 8), ==, 0);
}

static void
test_access_switch (void)
{
  entsec_server_log_set_access ("on");
  g_assert_true (entsec_server_log_access_enabled ());
  entsec_server_log_set_access ("off");
  g_assert_false (entsec_server_log_access_enabled ());
  entsec_server_log_set_access ("auto");
  g_assert_cmpint (entsec_server_log_access_enabled (), ==, entsec_server_log_to_journal ());
}

static const char *const methods[] = { "GET", "POST" };
static const char *const patterns[] = { "/v1/health", "/v1/devices/{}/status" };

static void
test_metrics_counts (void)
{
  g_autoptr (EntsecMetrics) metrics = entsec_metrics_new (methods, patterns, 2, 1000);
  EntsecMetricsGauges gauges = { .long_polls = 7, .events_stored = 3, .storage_up = TRUE };
  g_autofree char *text = NULL;

  entsec_metrics_request (metrics, 0, 200, 900);        /* 0.9 ms: the first bucket */
  entsec_metrics_request (metrics, 0, 204, 3000);       /* 3 ms */
  entsec_metrics_request (metrics, 1, 401, 70000000);   /* 70 s: +Inf only */
  entsec_metrics_request (metrics, -1, 404, 100);       /* no route */
  entsec_metrics_request (metrics, 9, 0, 100);          /* out of range, nothing answered */
  entsec_metrics_add (metrics, ENTSEC_METRICS_PUSHES_DELIVERED, 3);
  text = entsec_metrics_render (metrics, &gauges, 1060);
  g_assert_nonnull (strstr (text, "entsec_http_requests_total{method=\"GET\","
                                  "route=\"/v1/health\",code=\"2xx\"} 2\n"));
  g_assert_nonnull (strstr (text, "entsec_http_requests_total{method=\"POST\","
                                  "route=\"/v1/devices/{}/status\",code=\"4xx\"} 1\n"));
  g_assert_nonnull (strstr (text, "entsec_http_requests_total{method=\"other\","
                                  "route=\"unmatched\",code=\"4xx\"} 1\n"));
  g_assert_nonnull (strstr (text, "route=\"/v1/health\",le=\"0.001\"} 1\n"));
  g_assert_nonnull (strstr (text, "route=\"/v1/health\",le=\"0.005\"} 2\n"));
  g_assert_nonnull (strstr (text, "route=\"/v1/devices/{}/status\",le=\"60\"} 0\n"));
  g_assert_nonnull (strstr (text, "route=\"/v1/devices/{}/status\",le=\"+Inf\"} 1\n"));
  g_assert_nonnull (strstr (text, "entsec_http_request_duration_seconds_sum{method=\"GET\","
                                  "route=\"/v1/health\"} 0.003900\n"));
  /* the unmatched ones: the one with a status and the one without */
  g_assert_nonnull (strstr (text, "entsec_http_request_duration_seconds_count{method=\"other\","
                                  "route=\"unmatched\"} 2\n"));
  g_assert_nonnull (strstr (text, "entsec_pushes_delivered_total 3\n"));
  g_assert_nonnull (strstr (text, "entsec_long_polls_held 7\n"));
  g_assert_nonnull (strstr (text, "entsec_device_events_queued 3\n"));
  g_assert_nonnull (strstr (text, "entsec_uptime_seconds 60\n"));
  g_assert_nonnull (strstr (text, "entsec_build_info{version=\"" PACKAGE_VERSION "\"} 1\n"));
  /* a route without requests has no series */
  g_assert_null (strstr (text, "code=\"5xx\""));
  g_assert_true (g_str_has_suffix (text, "\n"));
}

static void
test_metrics_unknown_gauges (void)
{
  g_autoptr (EntsecMetrics) metrics = entsec_metrics_new (methods, patterns, 2, 1000);
  EntsecMetricsGauges gauges = { .events_stored = -1 };
  g_autofree char *text = entsec_metrics_render (metrics, &gauges, 1000);

  g_assert_null (strstr (text, "entsec_device_events_queued"));
  g_assert_null (strstr (text, "entsec_tls_certificate_expiry_seconds"));
  g_assert_nonnull (strstr (text, "entsec_storage_up 0\n"));
}

typedef struct
{
  char *dir;
} TlsFixture;

static char *
data_file (TlsFixture *f,
           const char *name)
{
  return g_build_filename (f->dir, "data", name, NULL);
}

static void
tls_setup (TlsFixture   *f,
           gconstpointer data)
{
  g_autoptr (EntsecServerConfig) config = entsec_server_config_new ();
  g_autoptr (EntsecServerInitResult) result = NULL;
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("entsec-tls-XXXXXX", NULL);
  g_free (config->data_dir);
  config->data_dir = g_build_filename (f->dir, "data", NULL);
  result = entsec_server_init (config, NULL, &error);
  g_assert_no_error (error);
}

static void
tls_teardown (TlsFixture   *f,
              gconstpointer data)
{
  g_autofree char *data_dir = g_build_filename (f->dir, "data", NULL);
  g_autoptr (GDir) dir = g_dir_open (data_dir, 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (data_dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (data_dir);
  g_rmdir (f->dir);
  g_free (f->dir);
}

static void
replace_file (const char *path,
              const char *text)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

static void
test_tls_load_and_reload (TlsFixture   *f,
                          gconstpointer data)
{
  g_autofree char *cert = data_file (f, "server.pem");
  g_autofree char *key = data_file (f, "server-key.pem");
  g_autofree char *ca = data_file (f, "ca.pem");
  g_autofree char *ca_key = data_file (f, "ca-key.pem");
  g_autofree char *other_key = data_file (f, "authority-key.pem");
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecTls) tls = entsec_tls_new (cert, key, &error);
  g_autofree char *serial = NULL, *after = NULL, *ca_serial = NULL;
  g_autofree char *ca_text = NULL, *ca_key_text = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  g_assert_no_error (error);
  serial = entsec_tls_serial (tls);
  g_assert_cmpuint (strlen (serial), >, 0);
  g_assert_cmpint (entsec_tls_expires (tls), >, now + 800 * 86400); /* 825 days */
  /* a key that is not the certificate's: refused, the old pair stays */
  g_assert_null (entsec_tls_new (cert, other_key, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CRYPTO);
  g_assert_nonnull (strstr (error->message, "is not the key of the first certificate"));
  g_clear_error (&error);
  /* the CA's pair in place of the server's: taken, another serial */
  g_assert_true (g_file_get_contents (ca, &ca_text, NULL, NULL));
  g_assert_true (g_file_get_contents (ca_key, &ca_key_text, NULL, NULL));
  replace_file (cert, "not a certificate");
  g_assert_false (entsec_tls_reload (tls, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CRYPTO);
  g_assert_nonnull (strstr (error->message, "not a PEM certificate chain"));
  g_clear_error (&error);
  after = entsec_tls_serial (tls);
  g_assert_cmpstr (after, ==, serial);
  replace_file (cert, ca_text);
  replace_file (key, ca_key_text);
  g_assert_true (entsec_tls_reload (tls, &error));
  g_assert_no_error (error);
  ca_serial = entsec_tls_serial (tls);
  g_assert_cmpstr (ca_serial, !=, serial);
  g_unlink (key);
  g_assert_false (entsec_tls_reload (tls, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_IO);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  entsec_server_log_init ();
  g_test_add_func ("/server/log/redact", test_redact);
  g_test_add_func ("/server/log/request-ids", test_request_ids);
  g_test_add_func ("/server/log/access-switch", test_access_switch);
  g_test_add_func ("/server/metrics/counts", test_metrics_counts);
  g_test_add_func ("/server/metrics/unknown-gauges", test_metrics_unknown_gauges);
  g_test_add ("/server/tls/load-and-reload", TlsFixture, NULL, tls_setup,
              test_tls_load_and_reload, tls_teardown);
  return g_test_run ();
}
