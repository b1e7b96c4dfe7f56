/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-server-load: replays a file of HTTPS requests against entsec-server
 * over N keep-alive TLS connections (one thread and one libcurl handle each,
 * the server's CA verified) and reports the rate, latency percentiles, the
 * answers' statuses and the server's CPU time. See bench/README.md, "Server".
 *
 * Request file, one request a line, fields separated by tabs:
 *   GROUP METHOD PATH BEARER BODY
 * GROUP (a number) picks the connection (GROUP % N): requests of one group
 * run in file order on one connection. BEARER is "-" for none, BODY "-" for
 * none. The file may hold API keys: keep it 0600 and delete it after.
 */
#include "config.h"

#include <curl/curl.h>
#include <gio/gio.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct
{
  char *method;
  char *path;
  char *bearer;
  char *body;
} Request;

typedef struct
{
  GPtrArray *requests; /* Request*, borrowed */
  double *latencies;   /* seconds, one per request */
  guint statuses[600];
  guint failures;
  long connects;
  char error[CURL_ERROR_SIZE];
} Client;

static const char *opt_base;
static const char *opt_resolve;
static const char *opt_cafile;
static pthread_barrier_t start_barrier;

static size_t
discard_cb (char *ptr, size_t size, size_t nmemb, void *user_data)
{
  (void) ptr;
  (void) user_data;
  return size * nmemb;
}

static double
now_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static CURL *
client_handle (Client *client, struct curl_slist *resolve)
{
  CURL *curl = curl_easy_init ();

  curl_easy_setopt (curl, CURLOPT_CAINFO, opt_cafile);
  curl_easy_setopt (curl, CURLOPT_RESOLVE, resolve);
  curl_easy_setopt (curl, CURLOPT_HTTP_VERSION, (long) CURL_HTTP_VERSION_1_1);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, discard_cb);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, client->error);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  return curl;
}

static gboolean
perform (CURL *curl, Client *client, const Request *req)
{
  g_autofree char *url = g_strconcat (opt_base, req->path, NULL);
  g_autofree char *auth = NULL;
  struct curl_slist *headers = NULL;
  long status = 0;
  CURLcode rc;

  headers = curl_slist_append (headers, "Content-Type: application/json");
  if (strcmp (req->bearer, "-") != 0)
    {
      auth = g_strconcat ("Authorization: Bearer ", req->bearer, NULL);
      headers = curl_slist_append (headers, auth);
    }
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_CUSTOMREQUEST, req->method);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  if (strcmp (req->body, "-") != 0)
    curl_easy_setopt (curl, CURLOPT_POSTFIELDS, req->body);
  else
    curl_easy_setopt (curl, CURLOPT_HTTPGET, 1L);
  rc = curl_easy_perform (curl);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, NULL);
  curl_slist_free_all (headers);
  if (auth != NULL)
    OPENSSL_cleanse (auth, strlen (auth));
  if (rc != CURLE_OK)
    {
      client->failures++;
      return FALSE;
    }
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &status);
  if (status > 0 && status < 600)
    client->statuses[status]++;
  return TRUE;
}

static gpointer
client_run (gpointer data)
{
  Client *client = data;
  struct curl_slist *resolve = curl_slist_append (NULL, opt_resolve);
  CURL *curl = client_handle (client, resolve);
  Request warmup = { "GET", "/v1/health", "-", "-" };

  /* The TLS handshake happens here, before the clock starts. */
  if (!perform (curl, client, &warmup))
    g_printerr ("entsec-server-load: warm-up failed: %s\n", client->error);
  memset (client->statuses, 0, sizeof client->statuses);
  pthread_barrier_wait (&start_barrier);
  for (guint i = 0; i < client->requests->len; i++)
    {
      double t0 = now_seconds ();

      if (!perform (curl, client, g_ptr_array_index (client->requests, i)) &&
          client->failures == 1)
        g_printerr ("entsec-server-load: a request failed: %s\n", client->error);
      client->latencies[i] = now_seconds () - t0;
    }
  curl_easy_getinfo (curl, CURLINFO_NUM_CONNECTS, &client->connects);
  curl_easy_cleanup (curl);
  curl_slist_free_all (resolve);
  return NULL;
}

static double
server_cpu_seconds (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", pid);
  g_autofree char *text = NULL;
  g_auto (GStrv) fields = NULL;
  const char *after;

  if (pid == NULL || !g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  /* Fields after the command name (which may hold spaces): utime is the
   * 14th field of the line, the 12th after ") ". */
  after = strrchr (text, ')');
  if (after == NULL)
    return -1;
  fields = g_strsplit (after + 2, " ", 0);
  if (g_strv_length (fields) < 13)
    return -1;
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) /
         sysconf (_SC_CLK_TCK);
}

/* This tool's own CPU time: the clients share the machine with the server. */
static double
own_cpu_seconds (void)
{
  struct rusage ru;

  getrusage (RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
         ru.ru_stime.tv_usec / 1e6;
}

static gboolean
parse_line (char *line, guint n_clients, Client *clients, GError **error)
{
  g_auto (GStrv) f = g_strsplit (line, "\t", 5);
  Request *req;
  guint64 group;

  if (g_strv_length (f) != 5 || !g_ascii_string_to_unsigned (f[0], 10, 0, G_MAXUINT32,
                                                             &group, NULL) ||
      f[2][0] != '/')
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                   "Expected GROUP<tab>METHOD<tab>/PATH<tab>BEARER<tab>BODY");
      return FALSE;
    }
  req = g_new0 (Request, 1);
  req->method = g_strdup (f[1]);
  req->path = g_strdup (f[2]);
  req->bearer = g_strdup (f[3]);
  req->body = g_strdup (f[4]);
  g_ptr_array_add (clients[group % n_clients].requests, req);
  return TRUE;
}

static gboolean
load_requests (const char *file, guint n_clients, Client *clients, GError **error)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents (file, &text, NULL, error))
    return FALSE;
  lines = g_strsplit (text, "\n", 0);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr (GError) local = NULL;

      if (lines[i][0] == '\0')
        continue;
      if (!parse_line (lines[i], n_clients, clients, &local))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s:%u: %s", file, i + 1,
                       local->message);
          return FALSE;
        }
    }
  OPENSSL_cleanse (text, strlen (text));
  return TRUE;
}

static void
request_free (gpointer data)
{
  Request *req = data;

  /* The bearer may be an RP's API key or an admin token. */
  OPENSSL_cleanse (req->bearer, strlen (req->bearer));
  g_free (req->method);
  g_free (req->path);
  g_free (req->bearer);
  g_free (req->body);
  g_free (req);
}

static int
compare_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static void
report (const char *label,
        Client     *clients,
        guint       n_clients,
        double      wall,
        double      cpu,
        double      own_cpu)
{
  g_autoptr (GArray) all = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GString) statuses = g_string_new (NULL);
  guint failures = 0;
  long connects = 0;

  for (guint c = 0; c < n_clients; c++)
    {
      g_array_append_vals (all, clients[c].latencies, clients[c].requests->len);
      failures += clients[c].failures;
      connects += clients[c].connects;
    }
  g_array_sort (all, compare_double);
  for (guint s = 100; s < 600; s++)
    {
      guint n = 0;

      for (guint c = 0; c < n_clients; c++)
        n += clients[c].statuses[s];
      if (n > 0)
        g_string_append_printf (statuses, "%s%u:%u", statuses->len ? "," : "", s, n);
    }
  if (all->len == 0)
    return;
  g_print ("%s: requests=%u clients=%u seconds=%.2f rate=%.0f/s "
           "p50_ms=%.2f p99_ms=%.2f max_ms=%.2f statuses=%s failures=%u "
           "reconnects=%ld server_cpu_s=%.2f server_cpu_pct=%.0f load_cpu_pct=%.0f\n",
           label, all->len, n_clients, wall, all->len / wall,
           g_array_index (all, double, all->len / 2) * 1e3,
           g_array_index (all, double, (guint) (all->len * 0.99)) * 1e3,
           g_array_index (all, double, all->len - 1) * 1e3, statuses->str, failures, connects,
           cpu, cpu >= 0 ? 100 * cpu / wall : -1, 100 * own_cpu / wall);
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree Client *clients = NULL;
  g_autofree GThread **threads = NULL;
  g_autofree char *resolve = NULL;
  g_autofree char *base = NULL;
  guint64 n_clients = 0, port = 0;
  double t0, wall, cpu0, own0;

  if (argc != 8 || !g_ascii_string_to_unsigned (argv[2], 10, 1, 65535, &port, NULL) ||
      !g_ascii_string_to_unsigned (argv[5], 10, 1, 4096, &n_clients, NULL))
    {
      g_printerr ("Usage: entsec-server-load LABEL PORT CA_FILE REQUEST_FILE CLIENTS "
                  "SERVER_PID DATA_HOST\n"
                  "  PORT 1-65535, CLIENTS 1-4096; connects to 127.0.0.1:PORT and checks\n"
                  "  the certificate for DATA_HOST (\"localhost\") against CA_FILE.\n");
      return 2;
    }
  curl_global_init (CURL_GLOBAL_DEFAULT);
  opt_cafile = argv[3];
  base = g_strdup_printf ("https://%s:%u", argv[7], (guint) port);
  opt_base = base;
  resolve = g_strdup_printf ("%s:%u:127.0.0.1", argv[7], (guint) port);
  opt_resolve = resolve;
  clients = g_new0 (Client, n_clients);
  threads = g_new0 (GThread *, n_clients);
  for (guint c = 0; c < n_clients; c++)
    clients[c].requests = g_ptr_array_new_with_free_func (request_free);
  if (!load_requests (argv[4], n_clients, clients, &error))
    {
      g_printerr ("entsec-server-load: cannot read the requests: %s\n", error->message);
      return 1;
    }
  pthread_barrier_init (&start_barrier, NULL, n_clients + 1);
  for (guint c = 0; c < n_clients; c++)
    {
      clients[c].latencies = g_new0 (double, clients[c].requests->len + 1);
      threads[c] = g_thread_new ("load", client_run, &clients[c]);
    }
  pthread_barrier_wait (&start_barrier);
  t0 = now_seconds ();
  own0 = own_cpu_seconds ();
  cpu0 = server_cpu_seconds (argv[6]);
  for (guint c = 0; c < n_clients; c++)
    g_thread_join (threads[c]);
  wall = now_seconds () - t0;
  report (argv[1], clients, n_clients, wall, cpu0 < 0 ? -1 : server_cpu_seconds (argv[6]) - cpu0,
          own_cpu_seconds () - own0);
  for (guint c = 0; c < n_clients; c++)
    {
      g_ptr_array_unref (clients[c].requests);
      g_free (clients[c].latencies);
    }
  curl_global_cleanup ();
  return 0;
}
