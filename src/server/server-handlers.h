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

/* GET /v1/metrics (server-ops-http.c) */
void entsec_handle_metrics (EntsecServer *server, EntsecRequest *request,
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

/* Devices (server-devices-http.c): POST /v1/devices, signed /v1/devices/{id}/... */
void entsec_handle_device_register (EntsecServer *server, EntsecRequest *request,
                                    const char *const *params, EntsecResponse *response);
void entsec_handle_device_policy (EntsecServer *server, EntsecRequest *request,
                                  const char *const *params, EntsecResponse *response);
void entsec_handle_device_status (EntsecServer *server, EntsecRequest *request,
                                  const char *const *params, EntsecResponse *response);
void entsec_handle_device_op_challenge (EntsecServer *server, EntsecRequest *request,
                                        const char *const *params, EntsecResponse *response);
void entsec_handle_device_unbind (EntsecServer *server, EntsecRequest *request,
                                  const char *const *params, EntsecResponse *response);
/* POST /v1/challenges/{id}/response: a device answers a push (server-devices-http.c) */
void entsec_handle_challenge_response (EntsecServer *server, EntsecRequest *request,
                                       const char *const *params, EntsecResponse *response);
/* POST /v1/devices/{id}/tokens/sync and .../tokens/{tid}/ack (server-devices-http.c) */
void entsec_handle_device_tokens_sync (EntsecServer *server, EntsecRequest *request,
                                       const char *const *params, EntsecResponse *response);
void entsec_handle_device_token_ack (EntsecServer *server, EntsecRequest *request,
                                     const char *const *params, EntsecResponse *response);
/* GET /v1/devices/{id}/events, the long-poll (server-events-http.c) */
void entsec_handle_device_events (EntsecServer *server, EntsecRequest *request,
                                  const char *const *params, EntsecResponse *response);
/* GET /v1/admin/status: the long-polls waiting now (server-events-http.c) */
void entsec_handle_admin_status (EntsecServer *server, EntsecRequest *request,
                                 const char *const *params, EntsecResponse *response);
/* /v1/admin/devices... and /v1/admin/policies/... (server-devices-http.c) */
void entsec_handle_admin_device_list (EntsecServer *server, EntsecRequest *request,
                                      const char *const *params, EntsecResponse *response);
void entsec_handle_admin_device_get (EntsecServer *server, EntsecRequest *request,
                                     const char *const *params, EntsecResponse *response);
void entsec_handle_admin_device_revoke (EntsecServer *server, EntsecRequest *request,
                                        const char *const *params, EntsecResponse *response);
void entsec_handle_admin_device_activate (EntsecServer *server, EntsecRequest *request,
                                          const char *const *params, EntsecResponse *response);
void entsec_handle_admin_policy_get (EntsecServer *server, EntsecRequest *request,
                                     const char *const *params, EntsecResponse *response);
void entsec_handle_admin_policy_put (EntsecServer *server, EntsecRequest *request,
                                     const char *const *params, EntsecResponse *response);
/* Commands: POST /v1/admin/devices/{id}/commands (+ GET), signed .../commands/{cid}/ack */
void entsec_handle_admin_command_add (EntsecServer *server, EntsecRequest *request,
                                      const char *const *params, EntsecResponse *response);
void entsec_handle_admin_command_list (EntsecServer *server, EntsecRequest *request,
                                       const char *const *params, EntsecResponse *response);
void entsec_handle_device_command_ack (EntsecServer *server, EntsecRequest *request,
                                       const char *const *params, EntsecResponse *response);
/* entsec-admin's additions (server-admin-accounts.c) */
void entsec_handle_admin_user_disable (EntsecServer *server, EntsecRequest *request,
                                       const char *const *params, EntsecResponse *response);
void entsec_handle_admin_user_enable (EntsecServer *server, EntsecRequest *request,
                                      const char *const *params, EntsecResponse *response);
void entsec_handle_admin_admin_create (EntsecServer *server, EntsecRequest *request,
                                       const char *const *params, EntsecResponse *response);
void entsec_handle_admin_admin_list (EntsecServer *server, EntsecRequest *request,
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
void entsec_handle_admin_token_resync (EntsecServer *server, EntsecRequest *request,
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

/* Key rotation: the authority key (server-authority-http.c) and a device's
 * own key (server-devices-http.c). */
void entsec_handle_admin_authority_get (EntsecServer *server, EntsecRequest *request,
                                        const char *const *params, EntsecResponse *response);
void entsec_handle_admin_authority_rotate (EntsecServer *server, EntsecRequest *request,
                                           const char *const *params,
                                           EntsecResponse *response);
void entsec_handle_device_rekey (EntsecServer *server, EntsecRequest *request,
                                 const char *const *params, EntsecResponse *response);

G_END_DECLS
