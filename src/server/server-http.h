/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-http.h: the HTTP side of entsec-server: the libmicrohttpd daemon,
 * requests and responses as the handlers see them, the router.
 */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "entsec-protocol.h"
#include "server-authority.h"
#include "server-config.h"
#include "server-enroll.h"
#include "server-events.h"
#include "server-log.h"
#include "server-metrics.h"
#include "server-nonce-window.h"
#include "server-storage.h"
#include "server-tokens.h"

G_BEGIN_DECLS

typedef struct _EntsecServer EntsecServer;

typedef struct _EntsecRequest  EntsecRequest;
typedef struct _EntsecResponse EntsecResponse;

/* What answers a request whose handler suspended it, once it is resumed. */
typedef void (*EntsecResumeFunc) (EntsecServer   *server,
                                  EntsecRequest  *request,
                                  EntsecResponse *response);

/**
 * EntsecRequest:
 * @method: "GET", "POST", ...
 * @path: the path without the query, percent-decoded
 * @target: the request target as the client sent it (path and raw query;
 *   what a signature's @target-uri covers)
 * @connection: (transfer none): libmicrohttpd's connection (headers, query)
 * @body: the request body (at most max_body bytes)
 * @too_large: the body was over max_body (and was not kept)
 * @admin: (nullable): the admin the bearer token belongs to, once checked
 * @resume: (nullable): set by a handler that suspended the connection
 *   (entsec_response_suspend()): called when it is resumed
 * @resume_data: (nullable): for @resume, freed with @resume_data_free
 * @resume_data_free: (nullable): frees @resume_data
 * @was_suspended: the connection was suspended (counted until it completes)
 * @route: the index of the route that matched (-1: none), for metrics and logs
 * @status: the status answered (0: none yet)
 * @started: g_get_monotonic_time() at the request line
 * @id: the request id (the access log and the X-Request-Id header)
 */
struct _EntsecRequest
{
  const char            *method;
  const char            *path;
  char                  *target;
  struct MHD_Connection *connection;
  GByteArray            *body;
  gboolean               too_large;
  EntsecAdmin           *admin;
  EntsecResumeFunc       resume;
  gpointer               resume_data;
  GDestroyNotify         resume_data_free;
  gboolean               was_suspended;
  int                    route;
  guint                  status;
  gint64                 started;
  char                   id[ENTSEC_SERVER_REQUEST_ID_SIZE];
};

/**
 * EntsecResponse:
 * @status: the HTTP status
 * @content_type: (nullable): "application/json" and so on
 * @body: (nullable): the body
 * @allow: (nullable): the Allow header for 405
 * @authenticate: (nullable): the WWW-Authenticate header for 401
 * @retry_after: (nullable): the Retry-After header
 * @etag: (nullable): the ETag header (freed with the response)
 * @suspended: the handler suspended the connection: nothing is sent now
 */
struct _EntsecResponse
{
  guint       status;
  const char *content_type;
  GBytes     *body;
  const char *allow;
  const char *authenticate;
  char       *retry_after;
  char       *etag;
  gboolean    suspended;
};

/* What a route's handler gets: @params holds the path's {placeholders} in order. */
typedef void (*EntsecHandler) (EntsecServer        *server,
                               EntsecRequest       *request,
                               const char *const   *params,
                               EntsecResponse      *response);

/* A JSON body ("application/json"); takes @json. */
void     entsec_response_json (EntsecResponse *response,
                               guint           status,
                               json_t         *json);
/* A problem document of @type; @detail must say nothing secret or enumerable. */
void     entsec_response_problem (EntsecResponse   *response,
                                  EntsecProblemType type,
                                  const char       *detail);
/* A problem with @status other than the type's own (405). */
void     entsec_response_problem_status (EntsecResponse   *response,
                                         EntsecProblemType type,
                                         guint             status,
                                         const char       *detail);
/* 500 internal problem for a storage @error; its message goes to the log only. */
void     entsec_response_storage_failed (EntsecResponse *response,
                                         const GError   *error);
/* Turns one storage row into its JSON object. */
typedef json_t *(*EntsecRowToJson) (gconstpointer row);
/* {"v":1,"<key>":[rows through @to_json]}, or entsec_response_storage_failed()
 * with @error when @rows is NULL. */
void     entsec_response_rows (EntsecResponse *response,
                               const char     *key,
                               GPtrArray      *rows,
                               EntsecRowToJson to_json,
                               const GError   *error);
/* An empty response (204). */
void     entsec_response_empty (EntsecResponse *response,
                                guint           status);
/* Send nothing now: the handler suspended @request's connection and set
 * @request->resume (and its data) to answer when it is resumed. */
void     entsec_response_suspend (EntsecResponse *response);

/* The request body as a JSON object (strict loader, max_body); answers 400 itself
 * and returns NULL when it is not one. */
json_t  *entsec_request_json (EntsecServer   *server,
                              EntsecRequest  *request,
                              EntsecResponse *response);
/* A query parameter (transfer none) (nullable). */
const char *entsec_request_query (EntsecRequest *request,
                                  const char    *name);
/* The page size of list routes without ?limit, and the largest ?limit. */
#define ENTSEC_LIST_DEFAULT 100
#define ENTSEC_LIST_MAX 1000
/* ?limit=N (1 to ENTSEC_LIST_MAX, ENTSEC_LIST_DEFAULT when absent) into
 * @limit; FALSE after answering 400. */
gboolean    entsec_request_list_limit (EntsecRequest  *request,
                                       guint          *limit,
                                       EntsecResponse *response);

/* The parts of a running server the handlers use. */
EntsecStorage            *entsec_server_get_storage (EntsecServer *server);
const EntsecServerConfig *entsec_server_get_config (EntsecServer *server);
const char               *entsec_server_get_issuer (EntsecServer *server);
/* What enrollment needs (storage, sender, limits). (transfer none) */
const EntsecEnrollContext *entsec_server_get_enroll_context (EntsecServer *server);
/* Relying parties and tokens (server-tokens.h). (transfer none) */
EntsecTokens             *entsec_server_get_tokens (EntsecServer *server);
/* The tenant's current authority key and chain (server-authority.h).
 * (transfer none): valid until the server is freed, even after a rotation. */
const EntsecAuthority    *entsec_server_get_authority (EntsecServer *server);
/* entsec_authority_rotate() of the current authority (*@previous), which
 * the new one then replaces. Returns: (transfer none) (nullable): the new
 * authority. */
const EntsecAuthority    *entsec_server_rotate_authority (EntsecServer           *server,
                                                          gint64                  now,
                                                          const EntsecAuthority **previous,
                                                          GError                **error);
/* The events long-poll hub (server-events.h). (transfer none) */
EntsecEventHub           *entsec_server_get_event_hub (EntsecServer *server);
/* The replay window of this instance's long-polls (server-nonce-window.h). (transfer none) */
EntsecNonceWindow        *entsec_server_get_poll_nonces (EntsecServer *server);

/*
 * Load the keys and the database of @config's data dir and start listening.
 * Takes @config. Returns: (transfer full) (nullable): free with entsec_server_free().
 */
EntsecServer *entsec_server_start (EntsecServerConfig *config,
                                   GError            **error);
/* The port it listens on (the chosen one when the config said 0). */
guint16       entsec_server_get_port (EntsecServer *server);
/* Read the TLS certificate and key files again (SIGHUP): new connections
 * get the new ones, open ones keep theirs; on error the old ones stay. */
gboolean      entsec_server_reload_tls (EntsecServer *server,
                                        GError      **error);
/* Stop listening, finish running requests, free. */
void          entsec_server_free (EntsecServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecServer, entsec_server_free)

/* The routes (server-routes.c): find the handler for @method and @path.
 * Returns the handler or NULL; fills @params (free with g_strfreev) and, when
 * the path exists for other methods only, @allow. */
EntsecHandler entsec_server_route (const char  *method,
                                   const char  *path,
                                   gboolean    *admin_only,
                                   char      ***params,
                                   const char **allow);
/* entsec_server_route() that also tells which route matched (@route: its
 * index, -1 when none did), for the metrics. */
EntsecHandler entsec_server_route_find (const char  *method,
                                        const char  *path,
                                        gboolean    *admin_only,
                                        char      ***params,
                                        const char **allow,
                                        int         *route);
/* How many routes there are, and route @route's method and pattern ("{}"
 * for each variable segment). (transfer none): static strings. */
guint         entsec_server_route_count (void);
void          entsec_server_route_describe (guint        route,
                                            const char **method,
                                            const char **pattern);

/* Operations (server-ops-http.c): the counters of this server (transfer
 * none), and a cheap read of the database (health checks, metrics). */
EntsecMetrics *entsec_server_get_metrics (EntsecServer *server);
EntsecSender  *entsec_server_get_sender (EntsecServer *server);
/* When the TLS certificate in use expires, Unix seconds. */
gint64         entsec_server_get_tls_expiry (EntsecServer *server);
gboolean       entsec_server_storage_check (EntsecServer *server,
                                            GError      **error);

/*
 * Checks the request signature of registered device @device_id (NULL: the
 * device the signature's keyid names, for paths without one) (server-auth.c); on failure answers 401 invalid_signature or 403
 * device_revoked itself and returns NULL. Revoked and suspended devices pass
 * only with @allow_revoked (to fetch the policy that tells them).
 * Returns: (transfer full) (nullable): the device.
 */
EntsecDevice *entsec_server_authenticate_device (EntsecServer   *server,
                                                 EntsecRequest  *request,
                                                 const char     *device_id,
                                                 gboolean        allow_revoked,
                                                 EntsecResponse *response);
/* As entsec_server_authenticate_device() for the events long-poll of an
 * active device, a GET whose nonce goes to the instance's replay window
 * (entsec_server_get_poll_nonces()) instead of the database. */
EntsecDevice *entsec_server_authenticate_poll (EntsecServer   *server,
                                               EntsecRequest  *request,
                                               const char     *device_id,
                                               EntsecResponse *response);

/* Checks the bearer token; on failure answers 401 and returns FALSE. */
gboolean      entsec_server_authenticate_admin (EntsecServer   *server,
                                                EntsecRequest  *request,
                                                EntsecResponse *response);

/*
 * The device's ack of a pending token (server-rp.c): entsec_tokens_ack() at
 * @now, audited. For the device-facing endpoint.
 */
gboolean      entsec_server_token_ack (EntsecServer *server,
                                       const char   *token_id,
                                       const char   *otp,
                                       gint64        now,
                                       GError      **error);

/*
 * The device's answer to a push transaction (server-rp.c):
 * entsec_push_answer() (server-push.h) at @now. For the device-facing
 * endpoint.
 */
gboolean      entsec_server_push_answer (EntsecServer *server,
                                         const char   *tx_id,
                                         const char   *device_id,
                                         const char   *decision,
                                         guint         number,
                                         const char   *deny_reason,
                                         gint64        now,
                                         GError      **error);

G_END_DECLS
