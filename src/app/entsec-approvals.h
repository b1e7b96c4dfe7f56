/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-approvals.h: the app's side of the enterprise events: the events
 * worker, the sign-in requests waiting for an answer, their notifications,
 * and the commands the worker carried out
 */
#pragma once

#include <gio/gio.h>

#include <entsec/entsec.h>

G_BEGIN_DECLS

#define ENTSEC_TYPE_APPROVALS (entsec_approvals_get_type ())
G_DECLARE_FINAL_TYPE (EntsecApprovals, entsec_approvals, ENTSEC, APPROVALS, GObject)

/*
 * The controller of @app (nullable: no notifications, for tests). Without a
 * window it opens its own handle on the vault, left locked: the device key
 * sealed in the keyring signs the polls. Signals, on the main context:
 *
 * - "changed": the list of waiting requests changed;
 * - "carried-out" (const char *command): the worker carried out the
 *   organization's "lock" or "wipe".
 *
 * Returns: (transfer full): free with g_object_unref().
 */
EntsecApprovals *entsec_approvals_new (GApplication *app);

/* The Unix time the controller reads: the injected clock's (tests), or the real one. */
gint64 entsec_approvals_now (EntsecApprovals *self);

/* Tests: read the time from @clock (NULL: the real clock); the worker schedules by it too. */
void entsec_approvals_set_clock (EntsecApprovals   *self,
                                 EntsecEventsClock  clock,
                                 gpointer           user_data);

/*
 * (Re)start: open the vault at @path (NULL: the default one) if not open
 * yet, read the requests waiting, and run the events worker. A vault that
 * is not enrolled leaves the worker stopped until the next start (after
 * #EntsecApplication::enterprise-changed).
 */
void entsec_approvals_start (EntsecApprovals *self,
                             const char      *path);

/*
 * Poll with @vault (the window's: unlocked while its codes show, so a wipe
 * or a policy is applied at once), or with the controller's own, left
 * locked, when @vault is NULL (the window went).
 */
void entsec_approvals_set_vault (EntsecApprovals *self,
                                 EntsecVault     *vault);

/* Stop the worker and let go of every vault object (its file is about to be
 * deleted); entsec_approvals_start() or _set_vault() opens one again. */
void entsec_approvals_forget_vault (EntsecApprovals *self);

/* Stop the worker (its poll in flight ends in the background). */
void entsec_approvals_stop (EntsecApprovals *self);

/* Whether no worker thread is left (the main context must run for this to turn TRUE). */
gboolean entsec_approvals_is_idle (EntsecApprovals *self);

/* Whether the vault is enrolled, as far as the worker found out (TRUE until it
 * finds no registration, or after a wipe). */
gboolean entsec_approvals_is_enrolled (EntsecApprovals *self);

/* Whether the worker polls now. */
gboolean entsec_approvals_is_running (EntsecApprovals *self);

/*
 * Returns: (transfer none) (element-type EntsecApproval): the requests
 * waiting and not expired, oldest first.
 */
GPtrArray *entsec_approvals_get_pending (EntsecApprovals *self);

/* Returns: (transfer none) (nullable): the waiting request @challenge_id. */
const EntsecApproval *entsec_approvals_lookup (EntsecApprovals *self,
                                               const char      *challenge_id);

/*
 * Replace the list with @pending (transfer full, element-type
 * EntsecApproval): a notification goes out for each new normal-risk
 * request, the ones that left or expired are withdrawn. The worker's polls
 * call it; so may tests.
 */
void entsec_approvals_set_pending (EntsecApprovals *self,
                                   GPtrArray       *pending);

/* Drop the requests expired at entsec_approvals_now() (done every second while any wait). */
void entsec_approvals_expire (EntsecApprovals *self);

/*
 * Answer @challenge_id in a thread: approve with @number, or deny with
 * @reason. Approving signs with @vault, which must be unlocked (the
 * window's); denying may use the controller's own (@vault NULL).
 */
void entsec_approvals_respond_async (EntsecApprovals     *self,
                                     EntsecVault         *vault,
                                     const char          *challenge_id,
                                     gboolean             approve,
                                     guint                number,
                                     EntsecDenyReason     reason,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
/* Returns: the server's state ("approved", "denied"), or NULL with @error; free with g_free(). */
char *entsec_approvals_respond_finish (EntsecApprovals  *self,
                                       GAsyncResult     *result,
                                       GError          **error);

/* Whether the relying party marked @approval high-risk (context "risk": "high"): no notification. */
gboolean entsec_approval_is_high_risk (const EntsecApproval *approval);

/* Returns: (transfer full): the application the request is for ("VPN"), or a generic name. */
char *entsec_approval_dup_app_name (const EntsecApproval *approval);

/**
 * EntsecApprovalField:
 * @label: what the value is, for a person ("Application", "Approximate place")
 * @value: the value, as the relying party signed it
 *
 * One line of a request's signed context, as the approval dialog shows it.
 */
typedef struct
{
  char *label;
  char *value;
} EntsecApprovalField;

/*
 * The context of @approval as labelled lines: the known members first
 * (application, place, IP address, browser, time), then the others under
 * their own names; "risk" only when high. Members that are not strings are
 * left out.
 * Returns: (transfer full) (element-type EntsecApprovalField): never NULL.
 */
GPtrArray *entsec_approval_context_fields (const EntsecApproval *approval);

/* The notification id of a request: "approval-" and its challenge id. Free with g_free(). */
char *entsec_approval_notification_id (const char *challenge_id);

G_END_DECLS
