/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-sync.h: server-provisioned tokens reach the device: a "tokens"
 * event when an admin makes one, the sync that seals each new seed to the
 * request's ephemeral key (docs/protocol.md sections 5 and 8.15), and the
 * device's ack. No HTTP here; the time comes in as @now.
 */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "server-devices.h"
#include "server-tokens.h"

G_BEGIN_DECLS

/* The token revision sealed seeds are bound to (tokens are not re-keyed yet). */
#define ENTSEC_SYNC_TOKEN_REV 1

/* Queue a "tokens" event ({"v":1,"token_id"}) for every active device of
 * @user_id. */
gboolean entsec_sync_notify (const EntsecDeviceContext *context,
                             const char                *user_id,
                             const char                *token_id,
                             gint64                     now,
                             GError                   **error);

/*
 * @device's sync request @body ({"v":1,"epk":JWK,"req_nonce":base64url of
 * 16 to 64 bytes}): every pending token of its user not delivered before is
 * claimed for this device (a seed goes out once, to one device) and sealed
 * to epk. Errors: _INVALID (body, key), _STORAGE, _CRYPTO.
 * Returns: (transfer full): {"v":1,"tokens":JWS} where the JWS (typ
 * "entsec-tokens+jwt") holds {v, iss, tenant, device_id, key_jkt, iat,
 * req_nonce, epk_jkt, spk, tokens[{id, type, algorithm, digits, period,
 * issuer, label, rev, seed{iv,ct,tag}}]}.
 */
json_t  *entsec_sync_tokens (const EntsecDeviceContext *context,
                             EntsecTokens              *tokens,
                             const EntsecDevice        *device,
                             json_t                    *body,
                             gint64                     now,
                             GError                   **error);

/*
 * The OTP of @device's ack body ({"v":1,"otp":"123456"}) for @token_id,
 * once the token is known to have gone to @device. Errors: _INVALID (body),
 * _NOT_FOUND (not delivered to this device).
 * Returns: (transfer none): the otp inside @body.
 */
const char *entsec_sync_ack_otp (const EntsecDeviceContext *context,
                                 const EntsecDevice        *device,
                                 const char                *token_id,
                                 json_t                    *body,
                                 GError                   **error);

G_END_DECLS
