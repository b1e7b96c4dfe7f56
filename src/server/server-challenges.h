/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-challenges.h: push challenges on the device side: the push JWS
 * queued as a "push" event for each active device of the user, and the
 * device's signed answer checked against what it was sent (docs/protocol.md
 * section 8.14). No HTTP here; the time comes in as @now.
 */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "server-devices.h"
#include "server-storage.h"

G_BEGIN_DECLS

/* Numbers shown in "choose" mode, the right one among them. */
#define ENTSEC_PUSH_CHOICES 3

/*
 * Queue a "push" event ({"v":1,"challenge_id","push":JWS}) for every active
 * device of @push's user and remember each delivery's nonce and JWS digest.
 * A muted or closed transaction goes nowhere. The JWS (typ
 * "entsec-push+jwt") carries {v, iss, tenant, challenge_id, device_id,
 * key_jkt, nonce, iat, exp, context, number_matching{mode, digits[,
 * choices]}}; the number itself only in "choose" mode, among decoys.
 * *@delivered (nullable) gets the number of devices.
 */
gboolean entsec_push_deliver (const EntsecDeviceContext *context,
                              const EntsecPush          *push,
                              gint64                     now,
                              guint                     *delivered,
                              GError                   **error);

/*
 * @device answers challenge @challenge_id with @body ({"v":1, "nonce",
 * "push_sha256", "decision": "approve"|"deny", "number", "deny_reason"}):
 * the nonce and the base64url SHA-256 of the push JWS must be those sent to
 * this device; then entsec_push_answer(). Errors: _INVALID (body, or nonce
 * or digest not those sent), _NOT_FOUND (no such challenge for this
 * device), and those of entsec_push_answer() (_INVALID_CODE: wrong number,
 * _EXPIRED, _CONFLICT).
 * Returns: (transfer full): {"v":1,"challenge_id","state"}.
 */
json_t  *entsec_push_respond (const EntsecDeviceContext *context,
                              const EntsecDevice        *device,
                              const char                *challenge_id,
                              json_t                    *body,
                              gint64                     now,
                              GError                   **error);

G_END_DECLS
