/* SPDX-License-Identifier: GPL-3.0-or-later */
/* server-handlers.h: the endpoints, one function each (server-routes.c routes them) */
#pragma once

#include "server-http.h"

G_BEGIN_DECLS

/* GET /.well-known/entsec-configuration, GET /v1/health (server-routes.c) */
void entsec_handle_discovery (EntsecServer *server, EntsecRequest *request,
                              const char *const *params, EntsecResponse *response);
void entsec_handle_health (EntsecServer *server, EntsecRequest *request,
                           const char *const *params, EntsecResponse *response);

/* POST /v1/enroll/start and /v1/enroll/verify (server-routes.c) */
void entsec_handle_enroll_start (EntsecServer *server, EntsecRequest *request,
                                 const char *const *params, EntsecResponse *response);
void entsec_handle_enroll_verify (EntsecServer *server, EntsecRequest *request,
                                  const char *const *params, EntsecResponse *response);

/* /v1/admin/... (server-admin.c); the router checked the admin token first. */
void entsec_handle_admin_user_create (EntsecServer *server, EntsecRequest *request,
                                      const char *const *params, EntsecResponse *response);
void entsec_handle_admin_user_list (EntsecServer *server, EntsecRequest *request,
                                    const char *const *params, EntsecResponse *response);
void entsec_handle_admin_user_get (EntsecServer *server, EntsecRequest *request,
                                   const char *const *params, EntsecResponse *response);
void entsec_handle_admin_user_delete (EntsecServer *server, EntsecRequest *request,
                                      const char *const *params, EntsecResponse *response);
void entsec_handle_admin_audit (EntsecServer *server, EntsecRequest *request,
                                const char *const *params, EntsecResponse *response);

/* relying parties, tokens, push transactions (server-rp.c): the admin side
 * (the router checked the admin token) and /v1/auth/... (they check the
 * relying party's API key themselves) */
void entsec_handle_admin_rp_create (EntsecServer *server, EntsecRequest *request,
                                    const char *const *params, EntsecResponse *response);
void entsec_handle_admin_rp_list (EntsecServer *server, EntsecRequest *request,
                                  const char *const *params, EntsecResponse *response);
void entsec_handle_admin_rp_delete (EntsecServer *server, EntsecRequest *request,
                                    const char *const *params, EntsecResponse *response);
void entsec_handle_admin_token_create (EntsecServer *server, EntsecRequest *request,
                                       const char *const *params, EntsecResponse *response);
void entsec_handle_admin_token_list (EntsecServer *server, EntsecRequest *request,
                                     const char *const *params, EntsecResponse *response);
void entsec_handle_admin_token_get (EntsecServer *server, EntsecRequest *request,
                                    const char *const *params, EntsecResponse *response);
void entsec_handle_admin_token_delete (EntsecServer *server, EntsecRequest *request,
                                       const char *const *params, EntsecResponse *response);
void entsec_handle_admin_token_reset (EntsecServer *server, EntsecRequest *request,
                                      const char *const *params, EntsecResponse *response);
void entsec_handle_admin_token_ack (EntsecServer *server, EntsecRequest *request,
                                    const char *const *params, EntsecResponse *response);
void entsec_handle_auth_validate (EntsecServer *server, EntsecRequest *request,
                                  const char *const *params, EntsecResponse *response);
void entsec_handle_auth_push (EntsecServer *server, EntsecRequest *request,
                              const char *const *params, EntsecResponse *response);
void entsec_handle_auth_transaction (EntsecServer *server, EntsecRequest *request,
                                     const char *const *params, EntsecResponse *response);

G_END_DECLS
