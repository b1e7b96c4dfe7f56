/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-enroll.h: enrollment by a code sent to the user's email or phone
 * (POST /v1/enroll/start and /v1/enroll/verify, docs/server.md). No HTTP
 * here: the time comes in as @now so that tests can move the clock.
 */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "server-ratelimit.h"
#include "server-sender.h"
#include "server-storage.h"

G_BEGIN_DECLS

#define ENTSEC_ENROLL_TENANT_SALT "tenant_salt"
#define ENTSEC_ENROLL_CODE_LENGTH 6
#define ENTSEC_ENROLL_MAX_ATTEMPTS 5

/**
 * EntsecEnrollContext:
 * @storage: (transfer none): where enrollments live
 * @sender: (transfer none): how codes go out
 * @tenant_salt: (transfer none): the tenant's salt handed to verified devices
 * @code_lifetime: seconds a code stays valid
 * @resend_after: seconds before another code goes to the same address
 * @token_lifetime: seconds the enrollment token stays valid
 * @limiter: (transfer none) (nullable): rate limits; NULL means none
 * @rate_ip: requests a minute per client (start and verify together)
 * @rate_address: enrollments an hour per address
 * @rate_user: enrollments an hour per user (or, for no user, per address)
 */
typedef struct
{
  EntsecStorage *storage;
  EntsecSender  *sender;
  GBytes        *tenant_salt;
  gint64         code_lifetime;
  gint64         resend_after;
  gint64         token_lifetime;
  EntsecRateLimiter *limiter;
  guint          rate_ip;
  guint          rate_address;
  guint          rate_user;
} EntsecEnrollContext;

/*
 * Count one request from @client_key (entsec_rate_limit_client_key()) against
 * rate_ip. FALSE with %ENTSEC_SERVER_ERROR_RATE_LIMITED and *@retry_after
 * when it is over.
 */
gboolean entsec_enroll_limit_client (const EntsecEnrollContext *context,
                                     const char                *client_key,
                                     gint64                     now,
                                     gint64                    *retry_after,
                                     GError                   **error);

/*
 * Start an enrollment from the request @body. Unknown and known addresses
 * get the same answer; only a known, enabled user's address gets a code.
 * Errors: %ENTSEC_SERVER_ERROR_INVALID (the body), _RATE_LIMITED (with
 * *retry_after seconds), _STORAGE or _IO.
 * Returns: (transfer full): the 202 body.
 */
json_t *entsec_enroll_start (const EntsecEnrollContext *context,
                             json_t                    *body,
                             gint64                     now,
                             gint64                    *retry_after,
                             GError                   **error);

/*
 * Check a code. Errors: %ENTSEC_SERVER_ERROR_INVALID (the body),
 * _INVALID_CODE (wrong, used, burned after 5 wrong codes, replaced, or
 * unknown), _EXPIRED, _STORAGE.
 * Returns: (transfer full): the 200 body with the enrollment token.
 * @error must not be NULL (for both calls).
 */
json_t *entsec_enroll_verify (const EntsecEnrollContext *context,
                              json_t                    *body,
                              gint64                     now,
                              GError                   **error);

/*
 * The checks of a start's @body, with no storage or network: its members,
 * "language", the channel and address, and "client_nonce". Errors:
 * %ENTSEC_SERVER_ERROR_INVALID naming what is wrong (never echoing it).
 * Returns: (transfer full): the address as it is stored (normalised).
 */
char   *entsec_enroll_check_start (json_t  *body,
                                   GError **error);

/* "a***@example.com", "+44*********58": enough for the user to recognise. */
char   *entsec_enroll_mask_address (const char *channel,
                                    const char *address);

G_END_DECLS
