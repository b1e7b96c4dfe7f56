/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-push.h: push sign-in approvals with number matching: the RP
 * starts one, the user's device answers, the RP polls. No HTTP here: the
 * time comes in as @now so that tests can move the clock.
 */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "server-storage.h"

G_BEGIN_DECLS

#define ENTSEC_PUSH_LIFETIME 60      /* seconds a transaction waits for the answer */
#define ENTSEC_PUSH_MAX_OPEN 3       /* pending transactions per user */
#define ENTSEC_PUSH_MUTE 1200        /* seconds of silence after "not_me" */
#define ENTSEC_PUSH_MAX_WRONG 3      /* wrong numbers that close and flag one */
#define ENTSEC_PUSH_CONTEXT_MAX 8    /* members of the context object */

/* A number to match: 10 to 99, uniformly, from the CSPRNG. */
guint       entsec_push_random_number (void);

/* "pending", "approved", "denied", "expired" or "muted". */
const char *entsec_push_state_name (EntsecPushState state);

/*
 * A push's @context (nullable) as the rules below want it. Errors:
 * %ENTSEC_SERVER_ERROR_INVALID. Returns: (transfer full): the context as
 * compact JSON text with sorted keys ("{}" for none); free with g_free().
 */
char       *entsec_push_check_context (json_t  *context,
                                       GError **error);

/*
 * A new transaction of @rp_id for the enabled user @user_id at @now.
 * @context: (nullable): a JSON object of at most 8 string members (names
 * of lower-case letters, digits and "_", values 1 to 200 characters of
 * text) for the device to show; @mode: (nullable) "enter" (default),
 * "choose" or "none". While the user is muted it is stored muted (and
 * never shown). Errors: %ENTSEC_SERVER_ERROR_INVALID (bad context or mode),
 * %ENTSEC_SERVER_ERROR_RATE_LIMITED with *@retry_after (3 already pending),
 * %ENTSEC_SERVER_ERROR_INVALID_CODE (no such enabled user).
 */
EntsecPush *entsec_push_start (EntsecStorage *storage,
                               const char    *rp_id,
                               const char    *user_id,
                               json_t        *context,
                               const char    *mode,
                               gint64         now,
                               gint64        *retry_after,
                               GError       **error);

/* The transaction @tx_id of @rp_id as it stands at @now (a pending one past
 * its expiry is marked expired). Returns: (transfer full) (nullable): NULL,
 * error unset, when unknown or another RP's. */
EntsecPush *entsec_push_poll (EntsecStorage *storage,
                              const char    *tx_id,
                              const char    *rp_id,
                              gint64         now,
                              GError       **error);

/*
 * The device's answer: @decision "approve" (with @number, the number the
 * user entered or chose; ignored in mode "none") or "deny" with
 * @deny_reason NULL, "declined", "not_me", "cancelled" or "other". A
 * wrong number counts; the third closes the transaction as denied and
 * flagged ("wrong_number", audited "push.flagged"). "not_me" denies, mutes
 * the user's pushes for 20 minutes and audits "push.fraud_alert". Errors:
 * %ENTSEC_SERVER_ERROR_INVALID (bad decision or reason),
 * %ENTSEC_SERVER_ERROR_INVALID_CODE (wrong number, unknown transaction),
 * %ENTSEC_SERVER_ERROR_EXPIRED, %ENTSEC_SERVER_ERROR_CONFLICT (answered or
 * closed already).
 */
gboolean    entsec_push_answer (EntsecStorage *storage,
                                const char    *tx_id,
                                const char    *device_id,
                                const char    *decision,
                                guint          number,
                                const char    *deny_reason,
                                gint64         now,
                                GError       **error);

G_END_DECLS
