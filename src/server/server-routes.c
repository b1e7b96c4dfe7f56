/* SPDX-License-Identifier: GPL-3.0-or-later */
/* server-routes.c: the route table, discovery and health */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <netinet/in.h>
#include <string.h>

#include <microhttpd.h>

#include "server-handlers.h"
#include "server-proxy.h"

#define PATH_MAX_SEGMENTS 8

typedef struct
{
  const char   *method;
  const char   *pattern; /* "{}" stands for one non-empty segment */
  const char   *allow;   /* every method of this pattern, for 405 */
  EntsecHandler handler;
  gboolean      admin;
} Route;

static const Route routes[] = {
  { "GET", "/.well-known/entsec-configuration", "GET", entsec_handle_discovery, FALSE },
  { "GET", "/v1/health", "GET", entsec_handle_health, FALSE },
  { "POST", "/v1/enroll/start", "POST", entsec_handle_enroll_start, FALSE },
  { "POST", "/v1/enroll/verify", "POST", entsec_handle_enroll_verify, FALSE },
  { "POST", "/v1/admin/users", "GET, POST", entsec_handle_admin_user_create, TRUE },
  { "GET", "/v1/admin/users", "GET, POST", entsec_handle_admin_user_list, TRUE },
  { "GET", "/v1/admin/users/{}", "GET, DELETE", entsec_handle_admin_user_get, TRUE },
  { "DELETE", "/v1/admin/users/{}", "GET, DELETE", entsec_handle_admin_user_delete, TRUE },
  { "GET", "/v1/admin/audit", "GET", entsec_handle_admin_audit, TRUE },
  { "GET", "/v1/admin/status", "GET", entsec_handle_admin_status, TRUE },
  /* devices, policies (server-devices-http.c) */
  { "POST", "/v1/devices", "POST", entsec_handle_device_register, FALSE },
  { "GET", "/v1/devices/{}/policy", "GET", entsec_handle_device_policy, FALSE },
  { "GET", "/v1/devices/{}/events", "GET", entsec_handle_device_events, FALSE },
  { "POST", "/v1/devices/{}/status", "POST", entsec_handle_device_status, FALSE },
  { "POST", "/v1/devices/{}/op-challenge", "POST", entsec_handle_device_op_challenge, FALSE },
  { "POST", "/v1/devices/{}/unbind", "POST", entsec_handle_device_unbind, FALSE },
  { "GET", "/v1/admin/devices", "GET", entsec_handle_admin_device_list, TRUE },
  { "GET", "/v1/admin/devices/{}", "GET", entsec_handle_admin_device_get, TRUE },
  { "POST", "/v1/admin/devices/{}/revoke", "POST", entsec_handle_admin_device_revoke, TRUE },
  { "POST", "/v1/admin/devices/{}/activate", "POST", entsec_handle_admin_device_activate,
    TRUE },
  { "GET", "/v1/admin/policies/tenant", "GET, PUT", entsec_handle_admin_policy_get, TRUE },
  { "PUT", "/v1/admin/policies/tenant", "GET, PUT", entsec_handle_admin_policy_put, TRUE },
  { "GET", "/v1/admin/policies/users/{}", "GET, PUT", entsec_handle_admin_policy_get, TRUE },
  { "PUT", "/v1/admin/policies/users/{}", "GET, PUT", entsec_handle_admin_policy_put, TRUE },
  { "GET", "/v1/admin/policies/devices/{}", "GET, PUT", entsec_handle_admin_policy_get, TRUE },
  { "PUT", "/v1/admin/policies/devices/{}", "GET, PUT", entsec_handle_admin_policy_put, TRUE },
  { "POST", "/v1/admin/devices/{}/commands", "GET, POST", entsec_handle_admin_command_add,
    TRUE },
  { "GET", "/v1/admin/devices/{}/commands", "GET, POST", entsec_handle_admin_command_list,
    TRUE },
  { "POST", "/v1/devices/{}/commands/{}/ack", "POST", entsec_handle_device_command_ack, FALSE },
  { "POST", "/v1/challenges/{}/response", "POST", entsec_handle_challenge_response, FALSE },
  { "POST", "/v1/devices/{}/tokens/sync", "POST", entsec_handle_device_tokens_sync, FALSE },
  { "POST", "/v1/devices/{}/tokens/{}/ack", "POST", entsec_handle_device_token_ack, FALSE },
  /* entsec-admin (srv-admin) */
  { "POST", "/v1/admin/users/{}/disable", "POST", entsec_handle_admin_user_disable, TRUE },
  { "POST", "/v1/admin/users/{}/enable", "POST", entsec_handle_admin_user_enable, TRUE },
  { "POST", "/v1/admin/admins", "GET, POST", entsec_handle_admin_admin_create, TRUE },
  { "GET", "/v1/admin/admins", "GET, POST", entsec_handle_admin_admin_list, TRUE },
  /* relying parties, tokens, push transactions (server-rp.c) */
  { "POST", "/v1/admin/rps", "GET, POST", entsec_handle_admin_rp_create, TRUE },
  { "GET", "/v1/admin/rps", "GET, POST", entsec_handle_admin_rp_list, TRUE },
  { "DELETE", "/v1/admin/rps/{}", "DELETE", entsec_handle_admin_rp_delete, TRUE },
  { "POST", "/v1/admin/tokens", "GET, POST", entsec_handle_admin_token_create, TRUE },
  { "GET", "/v1/admin/tokens", "GET, POST", entsec_handle_admin_token_list, TRUE },
  { "GET", "/v1/admin/tokens/{}", "GET, DELETE", entsec_handle_admin_token_get, TRUE },
  { "DELETE", "/v1/admin/tokens/{}", "GET, DELETE", entsec_handle_admin_token_delete, TRUE },
  { "POST", "/v1/admin/tokens/{}/ack", "POST", entsec_handle_admin_token_ack, TRUE },
  { "POST", "/v1/admin/tokens/{}/reset", "POST", entsec_handle_admin_token_reset, TRUE },
  { "POST", "/v1/admin/tokens/{}/resync", "POST", entsec_handle_admin_token_resync, TRUE },
  { "POST", "/v1/auth/validate", "POST", entsec_handle_auth_validate, FALSE },
  { "POST", "/v1/auth/push", "POST", entsec_handle_auth_push, FALSE },
  { "GET", "/v1/auth/transactions/{}", "GET", entsec_handle_auth_transaction, FALSE },
  /* key rotation (server-authority-http.c, server-rekey.c) */
  { "GET", "/v1/admin/authority", "GET", entsec_handle_admin_authority_get, TRUE },
  { "POST", "/v1/admin/authority/rotate", "POST", entsec_handle_admin_authority_rotate, TRUE },
  { "POST", "/v1/devices/{}/keys/rotate", "POST", entsec_handle_device_rekey, FALSE },
  /* operations (server-ops-http.c): its own token check (metrics_token_file or admin) */
  { "GET", "/v1/metrics", "GET", entsec_handle_metrics, FALSE },
};

/* TRUE when @path has the shape of @pattern; the "{}" segments go to @params. */
static gboolean
match_pattern (const char *pattern,
               const char *path,
               char     ***params)
{
  g_auto (GStrv) want = g_strsplit (pattern, "/", PATH_MAX_SEGMENTS + 1);
  g_auto (GStrv) have = g_strsplit (path, "/", PATH_MAX_SEGMENTS + 1);
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func (g_free);

  if (g_strv_length (want) != g_strv_length (have))
    return FALSE;
  for (guint i = 0; want[i] != NULL; i++)
    {
      if (strcmp (want[i], "{}") == 0 && have[i][0] != '\0')
        g_ptr_array_add (found, g_strdup (have[i]));
      else if (strcmp (want[i], have[i]) != 0)
        return FALSE;
    }
  g_ptr_array_add (found, NULL);
  *params = (char **) g_ptr_array_free (g_steal_pointer (&found), FALSE);
  return TRUE;
}

guint
entsec_server_route_count (void)
{
  return G_N_ELEMENTS (routes);
}

void
entsec_server_route_describe (guint        route,
                              const char **method,
                              const char **pattern)
{
  g_return_if_fail (route < G_N_ELEMENTS (routes));

  *method = routes[route].method;
  *pattern = routes[route].pattern;
}

EntsecHandler
entsec_server_route (const char  *method,
                     const char  *path,
                     gboolean    *admin_only,
                     char      ***params,
                     const char **allow)
{
  int route;

  return entsec_server_route_find (method, path, admin_only, params, allow, &route);
}

EntsecHandler
entsec_server_route_find (const char  *method,
                          const char  *path,
                          gboolean    *admin_only,
                          char      ***params,
                          const char **allow,
                          int         *route)
{
  *allow = NULL;
  *route = -1;
  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      g_auto (GStrv) found = NULL;

      if (!match_pattern (routes[i].pattern, path, &found))
        continue;
      *allow = routes[i].allow;
      if (strcmp (routes[i].method, method) != 0)
        continue;
      *admin_only = routes[i].admin;
      *params = g_steal_pointer (&found);
      *route = (int) i;
      return routes[i].handler;
    }
  return NULL;
}

static json_t *
endpoint (EntsecServer *server,
          const char   *path)
{
  g_autofree char *url = g_strconcat (entsec_server_get_issuer (server), path, NULL);

  return json_string (url);
}

void
entsec_handle_discovery (EntsecServer      *server,
                         EntsecRequest     *request,
                         const char *const *params,
                         EntsecResponse    *response)
{
  const EntsecAuthority *authority = entsec_server_get_authority (server);
  json_t *jwks = json_pack ("{s:[O]}", "keys", authority->jwk);
  json_t *endpoints = json_pack ("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}",
                                 "enroll_start", endpoint (server, "/v1/enroll/start"),
                                 "enroll_verify", endpoint (server, "/v1/enroll/verify"),
                                 "devices", endpoint (server, "/v1/devices"),
                                 "health", endpoint (server, "/v1/health"),
                                 "auth_validate", endpoint (server, "/v1/auth/validate"),
                                 "auth_push", endpoint (server, "/v1/auth/push"),
                                 "auth_transactions", endpoint (server, "/v1/auth/transactions"));

  entsec_response_json (response, 200,
                        json_pack ("{s:i,s:s,s:s,s:s,s:i,s:o,s:O,s:o}",
                                   "v", 1,
                                   "issuer", entsec_server_get_issuer (server),
                                   "tenant", entsec_server_get_config (server)->tenant,
                                   "authority_jkt", authority->jkt,
                                   "authority_seq", (int) authority->seq,
                                   "authority_jwks", jwks,
                                   "authority_chain", authority->chain,
                                   "endpoints", endpoints));
}

void
entsec_handle_health (EntsecServer      *server,
                      EntsecRequest     *request,
                      const char *const *params,
                      EntsecResponse    *response)
{
  g_autoptr (GError) error = NULL;

  if (!entsec_server_storage_check (server, &error))
    {
      g_message ("Health check: the database cannot be read: %s", error->message);
      entsec_response_json (response, 503, json_pack ("{s:i,s:s,s:s}", "v", 1,
                                                      "status", "unavailable",
                                                      "detail", "The database cannot be read"));
      return;
    }
  entsec_response_json (response, 200, json_pack ("{s:i,s:s}", "v", 1, "status", "ok"));
}

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* Maps an enrollment error to its problem; nothing secret is in the messages. */
static void
enroll_problem (EntsecResponse *response,
                const GError   *error,
                gint64          retry_after)
{
  if (error->domain != ENTSEC_SERVER_ERROR)
    entsec_response_problem (response, ENTSEC_PROBLEM_INTERNAL, NULL);
  else if (error->code == ENTSEC_SERVER_ERROR_INVALID)
    entsec_response_problem (response, ENTSEC_PROBLEM_INVALID_REQUEST, error->message);
  else if (error->code == ENTSEC_SERVER_ERROR_INVALID_CODE)
    entsec_response_problem (response, ENTSEC_PROBLEM_INVALID_CODE, error->message);
  else if (error->code == ENTSEC_SERVER_ERROR_EXPIRED)
    entsec_response_problem (response, ENTSEC_PROBLEM_EXPIRED, error->message);
  else if (error->code == ENTSEC_SERVER_ERROR_RATE_LIMITED)
    {
      entsec_response_problem (response, ENTSEC_PROBLEM_RATE_LIMITED,
                               "Wait before asking for another code");
      response->retry_after = g_strdup_printf ("%" G_GINT64_FORMAT, retry_after);
    }
  else
    {
      g_message ("Enrollment failed: %s", error->message);
      entsec_response_problem (response, ENTSEC_PROBLEM_INTERNAL, NULL);
    }
}

/* Every X-Forwarded-For value, in order, joined as one list. */
static enum MHD_Result
collect_forwarded (void               *cls,
                   enum MHD_ValueKind  kind,
                   const char         *key,
                   const char         *value)
{
  GString *list = cls;

  if (g_ascii_strcasecmp (key, "X-Forwarded-For") == 0 && value != NULL)
    g_string_append_printf (list, "%s%s", list->len > 0 ? "," : "", value);
  return MHD_YES;
}

/* The rate limit key of the request's client: its peer, or the address
 * trusted proxies name (trusted_proxies, server-proxy.c). */
static char *
client_key (EntsecServer  *server,
            EntsecRequest *request)
{
  GPtrArray *proxies = entsec_server_get_config (server)->trusted_proxies;
  const union MHD_ConnectionInfo *info =
    MHD_get_connection_info (request->connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  g_autoptr (GSocketAddress) peer = NULL;
  g_autoptr (GInetAddress) client = NULL;
  g_autoptr (GSocketAddress) native = NULL;
  g_autoptr (GString) forwarded = NULL;
  struct sockaddr_storage storage;

  if (info == NULL || proxies == NULL || proxies->len == 0)
    return entsec_rate_limit_client_key (info != NULL ? info->client_addr : NULL);
  peer = g_socket_address_new_from_native (info->client_addr,
                                           info->client_addr->sa_family == AF_INET6
                                           ? sizeof (struct sockaddr_in6)
                                           : sizeof (struct sockaddr_in));
  if (!G_IS_INET_SOCKET_ADDRESS (peer))
    return entsec_rate_limit_client_key (info->client_addr);
  forwarded = g_string_new (NULL);
  MHD_get_connection_values (request->connection, MHD_HEADER_KIND, collect_forwarded, forwarded);
  client = entsec_trusted_proxies_client (proxies, g_inet_socket_address_get_address (
                                            G_INET_SOCKET_ADDRESS (peer)),
                                          forwarded->len > 0 ? forwarded->str : NULL);
  native = g_inet_socket_address_new (client, 0);
  if (!g_socket_address_to_native (native, &storage, sizeof storage, NULL))
    return entsec_rate_limit_client_key (info->client_addr);
  return entsec_rate_limit_client_key ((struct sockaddr *) &storage);
}

/* rate_limit_ip for the unauthenticated enrollment endpoints; FALSE once answered 429. */
static gboolean
client_allowed (EntsecServer   *server,
                EntsecRequest  *request,
                EntsecResponse *response,
                gint64          now)
{
  g_autofree char *key = client_key (server, request);
  g_autoptr (GError) error = NULL;
  gint64 retry_after = 0;

  if (entsec_enroll_limit_client (entsec_server_get_enroll_context (server), key, now,
                                  &retry_after, &error))
    return TRUE;
  enroll_problem (response, error, retry_after);
  return FALSE;
}

void
entsec_handle_enroll_start (EntsecServer      *server,
                            EntsecRequest     *request,
                            const char *const *params,
                            EntsecResponse    *response)
{
  g_autoptr (json_t) body = NULL;
  g_autoptr (GError) error = NULL;
  gint64 retry_after = 0;
  json_t *answer;

  if (!client_allowed (server, request, response, now_seconds ()))
    return;
  body = entsec_request_json (server, request, response);
  if (body == NULL)
    return;
  answer = entsec_enroll_start (entsec_server_get_enroll_context (server), body, now_seconds (),
                                &retry_after, &error);
  if (answer == NULL)
    enroll_problem (response, error, retry_after);
  else
    entsec_response_json (response, 202, answer);
}

void
entsec_handle_enroll_verify (EntsecServer      *server,
                             EntsecRequest     *request,
                             const char *const *params,
                             EntsecResponse    *response)
{
  g_autoptr (json_t) body = NULL;
  g_autoptr (GError) error = NULL;
  json_t *answer;

  if (!client_allowed (server, request, response, now_seconds ()))
    return;
  body = entsec_request_json (server, request, response);
  if (body == NULL)
    return;
  answer = entsec_enroll_verify (entsec_server_get_enroll_context (server), body,
                                 now_seconds (), &error);
  if (answer == NULL)
    enroll_problem (response, error, 0);
  else
    entsec_response_json (response, 200, answer);
}
