/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-ops-http.c: what operators' tools ask a running server: GET
 * /v1/metrics (Prometheus text) behind a bearer token, and the cheap
 * database read that /v1/health and the metrics share.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

#include "server-handlers.h"
#include "server-sender.h"

gboolean
entsec_server_storage_check (EntsecServer *server,
                             GError      **error)
{
  g_autoptr (GBytes) salt = NULL;

  /* one row by primary key: what every enrollment reads anyway */
  if (!entsec_storage_setting_get (entsec_server_get_storage (server),
                                   ENTSEC_ENROLL_TENANT_SALT, &salt, error))
    return FALSE;
  if (salt == NULL)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
                   "The database has no tenant salt (is it the one --init made?)");
      return FALSE;
    }
  return TRUE;
}

/* The bearer token equals the first line of metrics_token_file. */
static gboolean
is_metrics_token (EntsecServer  *server,
                  EntsecRequest *request)
{
  const EntsecServerConfig *config = entsec_server_get_config (server);
  const char *header = MHD_lookup_connection_value (request->connection, MHD_HEADER_KIND,
                                                    MHD_HTTP_HEADER_AUTHORIZATION);
  guint8 want[ENTSEC_SERVER_DIGEST_SIZE], have[ENTSEC_SERVER_DIGEST_SIZE];
  g_autoptr (GError) error = NULL;
  char *token;

  if (config->metrics_token_file == NULL || header == NULL
      || g_ascii_strncasecmp (header, "Bearer ", 7) != 0)
    return FALSE;
  /* read at each scrape, so that a new token needs no restart */
  token = entsec_sender_read_secret (config->metrics_token_file, "metrics_token_file", &error);
  if (token == NULL)
    {
      g_message ("Metrics: %s", error->message);
      return FALSE;
    }
  entsec_server_sha256 (token, strlen (token), want);
  OPENSSL_cleanse (token, strlen (token));
  g_free (token);
  entsec_server_sha256 (header + 7, strlen (header + 7), have);
  return CRYPTO_memcmp (want, have, sizeof want) == 0;
}

void
entsec_handle_metrics (EntsecServer      *server,
                       EntsecRequest     *request,
                       const char *const *params,
                       EntsecResponse    *response)
{
  g_autoptr (GError) error = NULL;
  EntsecMetricsGauges gauges = { 0 };
  gint64 oldest = 0;
  char *text;

  if (!is_metrics_token (server, request)
      && !entsec_server_authenticate_admin (server, request, response))
    return;
  gauges.long_polls = entsec_event_hub_count (entsec_server_get_event_hub (server));
  gauges.sender_queued = entsec_sender_queued (entsec_server_get_sender (server));
  gauges.tls_expires = entsec_server_get_tls_expiry (server);
  gauges.storage_up = entsec_server_storage_check (server, NULL);
  if (!entsec_storage_device_events_stats (entsec_server_get_storage (server),
                                           &gauges.events_stored, &oldest, &error))
    {
      g_message ("Metrics: cannot count the device events: %s", error->message);
      gauges.events_stored = -1;
    }
  text = entsec_metrics_render (entsec_server_get_metrics (server), &gauges,
                                g_get_real_time () / G_USEC_PER_SEC);
  response->status = 200;
  response->content_type = ENTSEC_METRICS_CONTENT_TYPE;
  response->body = g_bytes_new_take (text, strlen (text));
}
