/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-events.h: what the enterprise server tells an enrolled device
 * (docs/protocol.md 8.13-8.14): events, commands carried out, sign-in
 * approvals answered
 */
#pragma once

#if !defined(ENTSEC_INSIDE) && !defined(ENTSEC_COMPILATION)
#error "Only <entsec/entsec.h> can be included directly."
#endif

#include <gio/gio.h>

#include "entsec-macros.h"
#include "entsec-vault.h"

G_BEGIN_DECLS

/* The longest a poll may ask the server to hold it (docs/protocol.md 8.13). */
#define ENTSEC_EVENTS_MAX_WAIT 30

/**
 * EntsecApproval:
 * @challenge_id: the challenge ("ptx_...") to answer
 * @issued_at, @expires_at: the push's `iat` and `exp` (Unix seconds)
 * @mode: number matching: "enter", "choose" or "none"
 * @choices: (nullable): with "choose", the numbers to pick from, 0-terminated
 * @context_json: the relying party's signed context (a JSON object: app, ip, ...)
 *
 * A sign-in waiting for this device's answer, checked with the pinned
 * authority key; no secret.
 */
typedef struct
{
  char *challenge_id;
  gint64 issued_at;
  gint64 expires_at;
  char *mode;
  guint *choices;
  char *context_json;
} EntsecApproval;

ENTSEC_EXPORT
void entsec_approval_free (EntsecApproval *approval);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecApproval, entsec_approval_free)

/**
 * EntsecEnterpriseEvent:
 * @seq: the server's sequence number
 * @type: "push", "command", "policy", "tokens" (others are skipped)
 * @created: when the server recorded it (Unix seconds)
 * @approval: (nullable): a push: the approval it asks for
 * @command_id, @command: (nullable): a command and its type ("wipe", "lock", ...)
 * @duplicate: a command already carried out (delivered again): not repeated
 * @detail: (nullable): what handling it did, for a person to read
 *
 * One event of a poll, after it was handled.
 */
typedef struct
{
  gint64 seq;
  char *type;
  gint64 created;
  EntsecApproval *approval;
  char *command_id;
  char *command;
  gboolean duplicate;
  char *detail;
} EntsecEnterpriseEvent;

ENTSEC_EXPORT
void entsec_enterprise_event_free (EntsecEnterpriseEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecEnterpriseEvent, entsec_enterprise_event_free)

/**
 * EntsecEnterpriseEvents:
 * @events: (element-type EntsecEnterpriseEvent): the events handled, in order
 * @cursor: the cursor stored for the next poll
 * @more: the server holds more: poll again at once
 * @wiped: a wipe command removed the enterprise data (nothing follows it)
 * @locked: a lock command locked the vault
 * @sync_due: a policy or token change (or a refresh command) came while the vault was
 *   locked: it is synced at the first poll with the vault unlocked
 * @wipe_pending: a wipe command came while the vault was locked (@wiped is set
 *   too): the device key and the worker's state are destroyed, the managed
 *   accounts and enterprise settings are removed at the next unlock
 *   (entsec_enterprise_remote_wipe_get_sync())
 *
 * What one poll received and did.
 */
typedef struct
{
  GPtrArray *events;
  gint64 cursor;
  gboolean more;
  gboolean wiped;
  gboolean locked;
  gboolean sync_due;
  gboolean wipe_pending;
} EntsecEnterpriseEvents;

ENTSEC_EXPORT
void entsec_enterprise_events_free (EntsecEnterpriseEvents *events);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecEnterpriseEvents, entsec_enterprise_events_free)

/*
 * One long-poll step: GET .../events?wait=@wait&cursor= (@cursor, or the
 * stored one when negative), then each event handled: a push checked (pinned
 * authority key, device, key, expiry) and kept as a pending approval, a
 * command checked and carried out once (wipe, lock, unlock, refresh_policy)
 * then acknowledged, a policy or tokens event synced. The new cursor is
 * stored in @vault (unlocked) after that. @now: Unix seconds to sign and
 * check with (0: the real clock). Blocks up to @wait seconds.
 * Returns: (transfer full) (nullable): free with entsec_enterprise_events_free().
 */
ENTSEC_EXPORT
EntsecEnterpriseEvents *entsec_enterprise_events_poll_sync (EntsecVault   *vault,
                                                            gint64         cursor,
                                                            guint          wait,
                                                            gint64         now,
                                                            GCancellable  *cancellable,
                                                            GError       **error);

/*
 * The approvals waiting in @vault (unlocked) that have not expired at @now
 * (0: the real clock), oldest first.
 * Returns: (transfer full) (element-type EntsecApproval): never NULL without @error.
 */
ENTSEC_EXPORT
GPtrArray *entsec_enterprise_approvals_list_sync (EntsecVault   *vault,
                                                  gint64         now,
                                                  GCancellable  *cancellable,
                                                  GError       **error);

/**
 * EntsecDenyReason:
 * @ENTSEC_DENY_REASON_DECLINED: the user said no
 * @ENTSEC_DENY_REASON_NOT_ME: the user did not try to sign in (mutes pushes, alerts)
 * @ENTSEC_DENY_REASON_CANCELLED: dismissed without deciding
 * @ENTSEC_DENY_REASON_OTHER: another reason
 */
typedef enum
{
  ENTSEC_DENY_REASON_DECLINED,
  ENTSEC_DENY_REASON_NOT_ME,
  ENTSEC_DENY_REASON_CANCELLED,
  ENTSEC_DENY_REASON_OTHER,
} EntsecDenyReason;

/*
 * Answer the pending approval @challenge_id (POST /v1/challenges/{id}/response
 * with its nonce and push_sha256): approve with @number (ignored in "none"
 * mode), or deny with @deny_reason. No number (0) where one is needed, or
 * one not among the choices, is G_IO_ERROR_INVALID_ARGUMENT, sent nowhere;
 * an unknown @challenge_id G_IO_ERROR_NOT_FOUND. A wrong number is
 * %ENTSEC_NET_ERROR_INVALID_CODE (the third closes the challenge). An answer
 * the server took, or a challenge closed or expired, leaves the list.
 * *@state (nullable) gets "approved" or "denied".
 */
ENTSEC_EXPORT
gboolean entsec_enterprise_approval_respond_sync (EntsecVault      *vault,
                                                  const char       *challenge_id,
                                                  gboolean          approve,
                                                  guint             number,
                                                  EntsecDenyReason  deny_reason,
                                                  gint64            now,
                                                  char            **state,
                                                  GCancellable     *cancellable,
                                                  GError          **error);

/* ---- The events worker ------------------------------------------------------ */

#define ENTSEC_TYPE_EVENTS_WORKER (entsec_events_worker_get_type ())
/* Exported explicitly; G_DECLARE_FINAL_TYPE below repeats this declaration. */
ENTSEC_EXPORT
GType entsec_events_worker_get_type (void);
G_DECLARE_FINAL_TYPE (EntsecEventsWorker, entsec_events_worker, ENTSEC, EVENTS_WORKER, GObject)

/*
 * A worker that long-polls in a thread of its own, one
 * entsec_enterprise_events_poll_sync() after the other, for the app. Its
 * signals come on the main context that was the thread default at
 * entsec_events_worker_start():
 *
 * - "polled" (const EntsecEnterpriseEvents *, transfer none): a poll's events,
 *   already handled;
 * - "failed" (const GError *): a poll failed; the next one comes after a
 *   backoff from 1 s doubling to 60 s, with +-25 % jitter;
 * - "heartbeat" (const EntsecEnterpriseHeartbeat *, transfer none): a
 *   heartbeat (docs/protocol.md 8.6) was sent, at start and then every
 *   `sync.heartbeat` seconds of the policy, and its rule carried out; a
 *   failed one comes as "failed" and is tried again 5 minutes later (or
 *   stops the worker as a poll's failure would);
 * - "stopped": the worker stopped (entsec_events_worker_stop(), a wipe or a
 *   lock, by a command or a heartbeat's binding rule, or an error another
 *   poll cannot mend: not enrolled, revoked, untrusted server, vault locked).
 *
 * The "running" property says whether it polls. @wait: seconds each poll may
 * be held, 0 to ENTSEC_EVENTS_MAX_WAIT.
 * Returns: (transfer full): free with g_object_unref().
 */
ENTSEC_EXPORT
EntsecEventsWorker *entsec_events_worker_new (EntsecVault *vault,
                                              guint        wait);
/* The Unix time an injected clock reads (tests); 0 or less: the real clock's. */
typedef gint64 (*EntsecEventsClock) (gpointer user_data);
/*
 * Before the start: read the claims of heartbeats under @root (nullable: the
 * real system; see entsec_enroller_set_device_root()), and schedule the
 * heartbeats by @clock (NULL: the real clock; requests are always signed
 * with the real clock). @clock is called in the worker's thread.
 */
/*
 * An #EntsecEventsClock for tests (entsec-cli watch --clock-file, the app's
 * ENTSEC_TEST_CLOCK_FILE): the Unix time written in the file whose path is
 * @user_data, 0 (the real clock) when the file cannot be read.
 */
ENTSEC_EXPORT
gint64 entsec_events_clock_from_file (gpointer user_data);
ENTSEC_EXPORT
void entsec_events_worker_set_device_root (EntsecEventsWorker *worker,
                                           const char         *root);
ENTSEC_EXPORT
void entsec_events_worker_set_clock (EntsecEventsWorker *worker,
                                     EntsecEventsClock   clock,
                                     gpointer            user_data);
/* Start polling (nothing when it already runs). */
ENTSEC_EXPORT
void entsec_events_worker_start (EntsecEventsWorker *worker);
/*
 * Stop: no signal but "stopped" comes after this; a poll in flight is
 * dropped (its events come again, the cursor was not stored).
 */
ENTSEC_EXPORT
void entsec_events_worker_stop (EntsecEventsWorker *worker);
/*
 * Whether no thread of the worker is left (a stopped worker's thread ends
 * when its poll in flight returns, within the wait); the main context must
 * run for this to turn TRUE. A program that exits waits for it.
 */
ENTSEC_EXPORT
gboolean entsec_events_worker_is_idle (EntsecEventsWorker *worker);
/* Whether the worker polls. */
ENTSEC_EXPORT
gboolean entsec_events_worker_get_running (EntsecEventsWorker *worker);

/*
 * The wait in milliseconds after @failures (>= 1) failed polls in a row:
 * 1 s doubling up to 60 s, then scaled by @jitter (0.75 to 1.25).
 */
ENTSEC_EXPORT
guint entsec_events_backoff_ms (guint   failures,
                                gdouble jitter);

G_END_DECLS
