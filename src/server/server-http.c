/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-http.c: the libmicrohttpd daemon (epoll, a thread pool, TLS >= 1.2
 * through GnuTLS), request bodies with a cap, responses, the server's state.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <netdb.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "server-http.h"
#include "server-init.h"
#include "server-tls.h"

#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
/* How long shutdown waits for resumed long-polls to be answered, microseconds. */
#define SHUTDOWN_ANSWER_BOUND (5 * G_USEC_PER_SEC)
/* Descriptors beyond the connections: the database, its WAL, logs, epoll. */
#define SPARE_FILES 128

struct _EntsecServer
{
  EntsecServerConfig *config;
  EntsecStorage      *storage;
  GMutex              authority_lock;
  GPtrArray          *authorities; /* every EntsecAuthority of this run, the current last */
  char               *issuer;
  EntsecTls          *tls;
  struct MHD_Daemon  *daemon;
  guint16             port;
  EntsecSender       *sender;
  EntsecRateLimiter  *limiter;
  GBytes             *tenant_salt;
  EntsecEnrollContext enroll;
  EntsecTokens       *tokens;
  EntsecEventHub     *events;
  EntsecNonceWindow  *poll_nonces;
  GMutex              suspended_lock;
  GCond               suspended_done;
  guint               suspended;   /* requests suspended and not completed yet */
  /* operations (server-ops-http.c) */
  EntsecMetrics      *metrics;
  const char        **route_methods;
  const char        **route_patterns;
};

EntsecMetrics *
entsec_server_get_metrics (EntsecServer *server)
{
  return server->metrics;
}

EntsecSender *
entsec_server_get_sender (EntsecServer *server)
{
  return server->sender;
}

gint64
entsec_server_get_tls_expiry (EntsecServer *server)
{
  return entsec_tls_expires (server->tls);
}

EntsecTokens *
entsec_server_get_tokens (EntsecServer *server)
{
  return server->tokens;
}

const EntsecEnrollContext *
entsec_server_get_enroll_context (EntsecServer *server)
{
  return &server->enroll;
}

EntsecStorage *
entsec_server_get_storage (EntsecServer *server)
{
  return server->storage;
}

const EntsecServerConfig *
entsec_server_get_config (EntsecServer *server)
{
  return server->config;
}

const char *
entsec_server_get_issuer (EntsecServer *server)
{
  return server->issuer;
}

static const EntsecAuthority *
current_authority (EntsecServer *server)
{
  return g_ptr_array_index (server->authorities, server->authorities->len - 1);
}

/* With server->authority_lock held: take the newest key in the database
 * if it is newer than @seq (another instance rotated). */
static void
reload_authority (EntsecServer *server,
                  guint         head)
{
  g_autoptr (GError) error = NULL;
  EntsecAuthority *next;

  if (head <= current_authority (server)->seq)
    return;
  next = entsec_authority_load (server->storage, server->tokens, server->config->data_dir,
                                g_get_real_time () / G_USEC_PER_SEC, &error);
  if (next == NULL)
    {
      g_message ("Cannot load the authority key another instance made: %s", error->message);
      return;
    }
  g_message ("Now signing with authority key %u (%s), made by another instance", next->seq,
             next->jkt);
  g_ptr_array_add (server->authorities, next);
}

const EntsecAuthority *
entsec_server_get_authority (EntsecServer *server)
{
  g_autoptr (GError) error = NULL;
  const EntsecAuthority *authority;
  guint head = 0;

  g_mutex_lock (&server->authority_lock);
  authority = current_authority (server);
  g_mutex_unlock (&server->authority_lock);
  /* one indexed read (not under the lock): has another instance rotated? */
  if (!entsec_storage_is_shared (server->storage))
    return authority;
  if (!entsec_storage_authority_key_head (server->storage, &head, &error))
    {
      g_message ("Cannot check the current authority key: %s", error->message);
      return authority;
    }
  if (head <= authority->seq)
    return authority;
  g_mutex_lock (&server->authority_lock);
  reload_authority (server, head);
  authority = current_authority (server);
  g_mutex_unlock (&server->authority_lock);
  return authority;
}

const EntsecAuthority *
entsec_server_rotate_authority (EntsecServer           *server,
                                gint64                  now,
                                const EntsecAuthority **previous,
                                GError                **error)
{
  const EntsecAuthority *current;
  EntsecAuthority *next;
  guint head = 0;

  /* held throughout: two rotations at once would fork the chain (the
   * database's unique seq refuses a second one from another instance) */
  g_mutex_lock (&server->authority_lock);
  if (entsec_storage_is_shared (server->storage)
      && entsec_storage_authority_key_head (server->storage, &head, NULL))
    reload_authority (server, head);
  current = current_authority (server);
  *previous = current;
  next = entsec_authority_rotate (server->storage, server->tokens, current, server->issuer,
                                  server->config->tenant, now, error);
  if (next != NULL)
    g_ptr_array_add (server->authorities, next);
  g_mutex_unlock (&server->authority_lock);
  return next;
}

EntsecEventHub *
entsec_server_get_event_hub (EntsecServer *server)
{
  return server->events;
}

EntsecNonceWindow *
entsec_server_get_poll_nonces (EntsecServer *server)
{
  return server->poll_nonces;
}

guint16
entsec_server_get_port (EntsecServer *server)
{
  return server->port;
}

void
entsec_response_json (EntsecResponse *response,
                      guint           status,
                      json_t         *json)
{
  char *text = entsec_json_dump (json);

  json_decref (json);
  response->status = status;
  response->content_type = "application/json";
  g_clear_pointer (&response->body, g_bytes_unref);
  response->body = g_bytes_new_take (text, strlen (text));
}

void
entsec_response_problem_status (EntsecResponse   *response,
                                EntsecProblemType type,
                                guint             status,
                                const char       *detail)
{
  g_autofree char *text = entsec_problem_to_json (type, detail);
  json_t *doc = json_loads (text, 0, NULL);

  g_assert (doc != NULL);
  json_object_set_new (doc, "status", json_integer (status));
  entsec_response_json (response, status, doc);
  response->content_type = ENTSEC_PROBLEM_CONTENT_TYPE;
}

void
entsec_response_problem (EntsecResponse   *response,
                         EntsecProblemType type,
                         const char       *detail)
{
  entsec_response_problem_status (response, type, entsec_problem_type_status (type), detail);
}

void
entsec_response_storage_failed (EntsecResponse *response,
                                const GError   *error)
{
  g_message ("Storage failed: %s", error->message);
  entsec_response_problem (response, ENTSEC_PROBLEM_INTERNAL, NULL);
}

void
entsec_response_rows (EntsecResponse *response,
                      const char     *key,
                      GPtrArray      *rows,
                      EntsecRowToJson to_json,
                      const GError   *error)
{
  json_t *list;

  if (rows == NULL)
    {
      entsec_response_storage_failed (response, error);
      return;
    }
  list = json_array ();
  for (guint i = 0; i < rows->len; i++)
    json_array_append_new (list, to_json (g_ptr_array_index (rows, i)));
  entsec_response_json (response, 200, json_pack ("{s:i,s:o}", "v", 1, key, list));
}

void
entsec_response_empty (EntsecResponse *response,
                       guint           status)
{
  response->status = status;
  response->content_type = NULL;
  g_clear_pointer (&response->body, g_bytes_unref);
}

void
entsec_response_suspend (EntsecResponse *response)
{
  entsec_response_empty (response, 0);
  response->suspended = TRUE;
}

json_t *
entsec_request_json (EntsecServer   *server,
                     EntsecRequest  *request,
                     EntsecResponse *response)
{
  g_autoptr (GError) error = NULL;
  json_t *json = entsec_json_load_object ((const char *) request->body->data, request->body->len,
                                          server->config->max_body, ENTSEC_JSON_MAX_DEPTH,
                                          "The request body", &error);

  if (json == NULL)
    entsec_response_problem (response, ENTSEC_PROBLEM_INVALID_REQUEST, error->message);
  return json;
}

const char *
entsec_request_query (EntsecRequest *request,
                      const char    *name)
{
  return MHD_lookup_connection_value (request->connection, MHD_GET_ARGUMENT_KIND, name);
}

gboolean
entsec_request_list_limit (EntsecRequest  *request,
                           guint          *limit,
                           EntsecResponse *response)
{
  const char *text = entsec_request_query (request, "limit");
  guint64 n = ENTSEC_LIST_DEFAULT;

  G_STATIC_ASSERT (ENTSEC_LIST_MAX == 1000);
  if (text != NULL && !g_ascii_string_to_unsigned (text, 10, 1, ENTSEC_LIST_MAX, &n, NULL))
    {
      entsec_response_problem (response, ENTSEC_PROBLEM_INVALID_REQUEST,
                               "\"limit\" must be a whole number from 1 to 1000");
      return FALSE;
    }
  *limit = (guint) n;
  return TRUE;
}

static EntsecRequest *
request_new (const char *target)
{
  EntsecRequest *request = g_new0 (EntsecRequest, 1);

  request->target = g_strdup (target);
  request->body = g_byte_array_new ();
  request->route = -1;
  request->started = g_get_monotonic_time ();
  entsec_server_log_request_id (request->id);
  return request;
}

static void
request_free (EntsecRequest *request)
{
  if (request->resume_data_free != NULL)
    request->resume_data_free (request->resume_data);
  g_free (request->target);
  g_byte_array_unref (request->body);
  entsec_admin_free (request->admin);
  g_free (request);
}

static enum MHD_Result
send_response (struct MHD_Connection *connection,
               EntsecRequest         *request,
               EntsecResponse        *r)
{
  gsize len = 0;
  const void *data = r->body != NULL ? g_bytes_get_data (r->body, &len) : NULL;
  struct MHD_Response *mhd = MHD_create_response_from_buffer (len, (void *) data,
                                                              MHD_RESPMEM_MUST_COPY);
  enum MHD_Result ret;

  if (r->content_type != NULL)
    MHD_add_response_header (mhd, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
  if (r->allow != NULL)
    MHD_add_response_header (mhd, MHD_HTTP_HEADER_ALLOW, r->allow);
  if (r->authenticate != NULL)
    MHD_add_response_header (mhd, MHD_HTTP_HEADER_WWW_AUTHENTICATE, r->authenticate);
  if (r->retry_after != NULL)
    MHD_add_response_header (mhd, MHD_HTTP_HEADER_RETRY_AFTER, r->retry_after);
  if (r->etag != NULL)
    MHD_add_response_header (mhd, MHD_HTTP_HEADER_ETAG, r->etag);
  MHD_add_response_header (mhd, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  MHD_add_response_header (mhd, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header (mhd, "X-Request-Id", request->id);
  request->status = r->status;
  ret = MHD_queue_response (connection, r->status, mhd);
  MHD_destroy_response (mhd);
  g_clear_pointer (&r->body, g_bytes_unref);
  g_clear_pointer (&r->retry_after, g_free);
  g_clear_pointer (&r->etag, g_free);
  return ret;
}

static void
dispatch (EntsecServer   *server,
          EntsecRequest  *request,
          EntsecResponse *response)
{
  g_auto (GStrv) params = NULL;
  const char *allow = NULL;
  gboolean admin_only = FALSE;
  EntsecHandler handler;

  if (request->too_large)
    {
      entsec_response_problem (response, ENTSEC_PROBLEM_PAYLOAD_TOO_LARGE,
                               "The request body is over the server's limit");
      return;
    }
  handler = entsec_server_route_find (request->method, request->path, &admin_only, &params,
                                      &allow, &request->route);
  if (handler == NULL && allow != NULL)
    {
      entsec_response_problem_status (response, ENTSEC_PROBLEM_INVALID_REQUEST,
                                      MHD_HTTP_METHOD_NOT_ALLOWED,
                                      "This method is not allowed here; see Allow");
      response->allow = allow;
    }
  else if (handler == NULL)
    entsec_response_problem (response, ENTSEC_PROBLEM_NOT_FOUND, "There is no such endpoint");
  else if (!admin_only || entsec_server_authenticate_admin (server, request, response))
    handler (server, request, (const char *const *) params, response);
}

/* A declared body over the cap is refused before it is read. */
static gboolean
declared_too_large (EntsecServer          *server,
                    struct MHD_Connection *connection)
{
  const char *value = MHD_lookup_connection_value (connection, MHD_HEADER_KIND,
                                                   MHD_HTTP_HEADER_CONTENT_LENGTH);
  guint64 len;

  return value != NULL
         && (!g_ascii_string_to_unsigned (value, 10, 0, G_MAXUINT64, &len, NULL)
             || len > server->config->max_body);
}

static enum MHD_Result
on_request (void                  *cls,
            struct MHD_Connection *connection,
            const char            *url,
            const char            *method,
            const char            *version,
            const char            *upload_data,
            size_t                *upload_data_size,
            void                 **req_cls)
{
  EntsecServer *server = cls;
  EntsecRequest *request = *req_cls;
  EntsecResponse response = { 0 };

  if (request == NULL)
    {
      request = request_new (NULL);
      *req_cls = request;
    }
  if (request->resume != NULL)
    {
      EntsecResumeFunc resume = g_steal_pointer (&request->resume);

      resume (server, request, &response);
      return send_response (connection, request, &response);
    }
  if (request->method == NULL)
    {
      request->method = method;
      request->path = url;
      request->connection = connection;
      request->too_large = declared_too_large (server, connection);
      if (!request->too_large)
        return MHD_YES;
    }
  else if (*upload_data_size > 0)
    {
      if (request->body->len + *upload_data_size > server->config->max_body)
        request->too_large = TRUE;
      else if (!request->too_large)
        g_byte_array_append (request->body, (const guint8 *) upload_data,
                             (guint) *upload_data_size);
      *upload_data_size = 0;
      return MHD_YES;
    }
  dispatch (server, request, &response);
  if (response.suspended)
    {
      g_mutex_lock (&server->suspended_lock);
      server->suspended++;
      g_mutex_unlock (&server->suspended_lock);
      request->was_suspended = TRUE;
      return MHD_YES;
    }
  return send_response (connection, request, &response);
}

/* Called with the request line, before the headers: keeps the target as sent. */
static void *
on_uri (void                  *cls,
        const char            *uri,
        struct MHD_Connection *connection)
{
  return request_new (uri);
}

/* Count and log a request that is done (answered, or given up). */
static void
finish_request (EntsecServer  *server,
                EntsecRequest *request)
{
  gint64 duration = g_get_monotonic_time () - request->started;
  gboolean routed = request->route >= 0;

  entsec_metrics_request (server->metrics, request->route, request->status, duration);
  entsec_server_log_access (routed ? server->route_methods[request->route] : NULL,
                            routed ? server->route_patterns[request->route] : NULL,
                            request->status, duration, request->id);
}

static void
on_completed (void                            *cls,
              struct MHD_Connection           *connection,
              void                           **req_cls,
              enum MHD_RequestTerminationCode  code)
{
  EntsecServer *server = cls;
  EntsecRequest *request = *req_cls;

  if (request != NULL && request->was_suspended)
    {
      g_mutex_lock (&server->suspended_lock);
      server->suspended--;
      g_cond_broadcast (&server->suspended_done);
      g_mutex_unlock (&server->suspended_lock);
    }
  if (request != NULL && request->method != NULL)
    finish_request (server, request);
  g_clear_pointer ((EntsecRequest **) req_cls, request_free);
}

/* Resume every suspended request (MHD must not stop with any) and give them
 * a bounded moment to be answered, so that a waiting poll gets its empty
 * answer rather than a closed connection. */
static void
answer_suspended (EntsecServer *server)
{
  gint64 bound = g_get_monotonic_time () + SHUTDOWN_ANSWER_BOUND;

  entsec_event_hub_shutdown (server->events);
  g_mutex_lock (&server->suspended_lock);
  while (server->suspended > 0
         && g_cond_wait_until (&server->suspended_done, &server->suspended_lock, bound))
    ;
  g_mutex_unlock (&server->suspended_lock);
}

G_GNUC_PRINTF (2, 0)
static void
on_mhd_log (void       *cls,
            const char *format,
            va_list     args)
{
  g_autofree char *text = g_strdup_vprintf (format, args);

  g_message ("libmicrohttpd: %s", g_strchomp (text));
}

static gboolean
load_tls (EntsecServer *server,
          GError      **error)
{
  g_autofree char *cert_path = entsec_server_config_path (server->config,
                                                          ENTSEC_SERVER_CERT_FILE);
  g_autofree char *key_path = entsec_server_config_path (server->config, ENTSEC_SERVER_KEY_FILE);

  server->tls = entsec_tls_new (cert_path, key_path, error);
  if (server->tls == NULL)
    {
      g_prefix_error (error, "The server's TLS certificate (run entsec-server --init first?): ");
      return FALSE;
    }
  return TRUE;
}

gboolean
entsec_server_reload_tls (EntsecServer *server,
                          GError      **error)
{
  g_autofree char *serial = NULL;

  if (!entsec_tls_reload (server->tls, error))
    {
      entsec_metrics_add (server->metrics, ENTSEC_METRICS_TLS_RELOAD_FAILURES, 1);
      return FALSE;
    }
  entsec_metrics_add (server->metrics, ENTSEC_METRICS_TLS_RELOADS, 1);
  serial = entsec_tls_serial (server->tls);
  g_message ("TLS certificate reloaded (serial %s); new connections use it", serial);
  return TRUE;
}

/* Each connection knows the credentials to hand out at its handshake. */
static void
on_connection (void                              *cls,
               struct MHD_Connection             *connection,
               void                             **socket_context,
               enum MHD_ConnectionNotificationCode code)
{
  EntsecServer *server = cls;

  if (code == MHD_CONNECTION_NOTIFY_STARTED)
    *socket_context = server->tls;
}

/* The current authority key and its chain (server-authority.c). */
static gboolean
load_authority (EntsecServer *server,
                GError      **error)
{
  EntsecAuthority *authority = entsec_authority_load (server->storage, server->tokens,
                                                      server->config->data_dir,
                                                      g_get_real_time () / G_USEC_PER_SEC,
                                                      error);

  if (authority == NULL)
    return FALSE;
  g_ptr_array_add (server->authorities, authority);
  return TRUE;
}

static gboolean
open_storage (EntsecServer *server,
              GError      **error)
{
  g_autofree char *path = entsec_server_config_path (server->config, ENTSEC_SERVER_DB_FILE);
  const EntsecServerConfig *config = server->config;

  server->storage = entsec_storage_open (config->database, path,
                                         config->database_pool > 0 ? config->database_pool
                                                                   : config->threads,
                                         ENTSEC_STORAGE_OPEN, error);
  return server->storage != NULL;
}

static gboolean
setup_enrollment (EntsecServer *server,
                  GError      **error)
{
  g_autofree char *outbox = entsec_server_config_path (server->config,
                                                       ENTSEC_SERVER_OUTBOX_FILE);

  if (!entsec_storage_setting_get (server->storage, ENTSEC_ENROLL_TENANT_SALT,
                                   &server->tenant_salt, error))
    return FALSE;
  if (server->tenant_salt == NULL)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
                   "The database has no tenant salt (made by entsec-server --init)");
      return FALSE;
    }
  server->sender = entsec_sender_new_from_config (server->config, outbox, error);
  if (server->sender == NULL)
    return FALSE;
  server->enroll = (EntsecEnrollContext) {
    .storage = server->storage,
    .sender = server->sender,
    .tenant_salt = server->tenant_salt,
    .code_lifetime = server->config->code_lifetime,
    .resend_after = server->config->resend_after,
    .token_lifetime = 600,
    .limiter = server->limiter = entsec_rate_limiter_new (ENTSEC_RATE_LIMIT_MAX_KEYS),
    .rate_ip = server->config->rate_ip,
    .rate_address = server->config->rate_address,
    .rate_user = server->config->rate_user,
  };
  /* one process alone on SQLite: the buckets in memory decide exactly, and a
   * database write for each limited request would cost 40% of enrollment
   * throughput (bench/README.md); several instances share the database's */
  if (entsec_storage_is_shared (server->storage))
    entsec_rate_limiter_set_storage (server->limiter, server->storage);
  if (server->config->dev)
    g_message ("Development mode: codes the outbox sender writes go to the log");
  return TRUE;
}

/* Enough descriptors for every connection; fewer connections when the hard limit is low. */
static void
raise_file_limit (EntsecServerConfig *config)
{
  struct rlimit limit;
  rlim_t wanted = (rlim_t) config->max_connections + SPARE_FILES;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= wanted)
    return;
  limit.rlim_cur = MIN (wanted, limit.rlim_max);
  if (setrlimit (RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur < wanted)
    {
      getrlimit (RLIMIT_NOFILE, &limit);
      config->max_connections = limit.rlim_cur > 2 * SPARE_FILES
                                ? (guint) (limit.rlim_cur - SPARE_FILES) : SPARE_FILES;
      g_message ("The open-file limit allows %u connections (max_connections lowered)",
                 config->max_connections);
    }
}

static gboolean
resolve_listen (const EntsecServerConfig *config,
                struct sockaddr_storage  *addr,
                GError                  **error)
{
  struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
                            .ai_socktype = SOCK_STREAM };
  struct addrinfo *found = NULL;
  g_autofree char *port = g_strdup_printf ("%u", config->listen_port);

  if (getaddrinfo (config->listen_host, port, &hints, &found) != 0 || found == NULL
      || found->ai_addrlen > sizeof *addr)
    {
      if (found != NULL)
        freeaddrinfo (found);
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG,
                   "\"listen\" is not an address this host can use");
      return FALSE;
    }
  memcpy (addr, found->ai_addr, found->ai_addrlen);
  freeaddrinfo (found);
  return TRUE;
}

static gboolean
start_daemon (EntsecServer *server,
              GError      **error)
{
  EntsecServerConfig *config = server->config;
  struct sockaddr_storage addr = { 0 };
  unsigned int flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TLS | MHD_USE_ERROR_LOG
                       | MHD_ALLOW_SUSPEND_RESUME;
  const union MHD_DaemonInfo *info;

  if (!resolve_listen (config, &addr, error))
    return FALSE;
  if (addr.ss_family == AF_INET6)
    flags |= MHD_USE_IPv6;
  raise_file_limit (config);
  server->daemon = MHD_start_daemon (
    flags, config->listen_port, NULL, NULL, on_request, server,
    MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, server, /* first, so that it sees everything */
    MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
    MHD_OPTION_NOTIFY_CONNECTION, on_connection, server,
    MHD_OPTION_HTTPS_CERT_CALLBACK, entsec_tls_retrieve,
    MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int) config->threads,
    MHD_OPTION_CONNECTION_LIMIT, (unsigned int) config->max_connections,
    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t) config->connection_memory,
    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) config->timeout,
    MHD_OPTION_NOTIFY_COMPLETED, on_completed, server,
    MHD_OPTION_URI_LOG_CALLBACK, on_uri, server,
    MHD_OPTION_END);
  info = server->daemon != NULL ? MHD_get_daemon_info (server->daemon,
                                                       MHD_DAEMON_INFO_BIND_PORT) : NULL;
  if (info == NULL)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG,
                   "Cannot listen on %s port %u (in use, or the TLS files are not valid)",
                   config->listen_host, config->listen_port);
      return FALSE;
    }
  server->port = info->port;
  return TRUE;
}

static void
setup_metrics (EntsecServer *server)
{
  guint n = entsec_server_route_count ();

  server->route_methods = g_new0 (const char *, n);
  server->route_patterns = g_new0 (const char *, n);
  for (guint i = 0; i < n; i++)
    entsec_server_route_describe (i, &server->route_methods[i], &server->route_patterns[i]);
  server->metrics = entsec_metrics_new (server->route_methods, server->route_patterns, n,
                                        g_get_real_time () / G_USEC_PER_SEC);
}

EntsecServer *
entsec_server_start (EntsecServerConfig *config,
                     GError            **error)
{
  g_autoptr (EntsecServer) server = g_new0 (EntsecServer, 1);

  server->config = config;
  server->events = entsec_event_hub_new ();
  server->poll_nonces = entsec_nonce_window_new (ENTSEC_NONCE_WINDOW_MAX_NONCES,
                                                 ENTSEC_NONCE_WINDOW_MAX_PER_KEY);
  g_mutex_init (&server->suspended_lock);
  g_cond_init (&server->suspended_done);
  g_mutex_init (&server->authority_lock);
  server->authorities = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_authority_free);
  setup_metrics (server);
  if (!load_tls (server, error) || !open_storage (server, error)
      || !entsec_event_hub_listen (server->events, server->storage, error)
      || (server->tokens = entsec_tokens_new (server->storage, config->data_dir, error)) == NULL
      || !load_authority (server, error) || !setup_enrollment (server, error)
      || !start_daemon (server, error))
    return NULL;
  server->issuer = config->issuer != NULL
                   ? g_strdup (config->issuer)
                   : g_strdup_printf ("https://localhost:%u", server->port);
  return g_steal_pointer (&server);
}

void
entsec_server_free (EntsecServer *server)
{
  if (server == NULL)
    return;
  if (server->daemon != NULL)
    {
      answer_suspended (server);
      MHD_stop_daemon (server->daemon);
    }
  entsec_event_hub_free (server->events);
  entsec_nonce_window_free (server->poll_nonces);
  entsec_metrics_free (server->metrics);
  g_free (server->route_methods);
  g_free (server->route_patterns);
  g_cond_clear (&server->suspended_done);
  g_mutex_clear (&server->suspended_lock);
  entsec_tokens_free (server->tokens);
  entsec_storage_close (server->storage);
  entsec_sender_free (server->sender);
  entsec_rate_limiter_free (server->limiter);
  g_clear_pointer (&server->tenant_salt, g_bytes_unref);
  g_ptr_array_unref (server->authorities);
  g_mutex_clear (&server->authority_lock);
  g_free (server->issuer);
  entsec_tls_free (server->tls);
  entsec_server_config_free (server->config);
  g_free (server);
}
