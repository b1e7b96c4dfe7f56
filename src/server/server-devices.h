/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-devices.h: registered devices: signed requests (docs/protocol.md
 * section 2), registration, compiled policies, heartbeats, op-challenges,
 * unbinding and revocation. No HTTP here: requests come in as
 * EntsecHttpMessage and the time as @now, so that tests can move the clock.
 */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "entsec-protocol.h"
#include "server-events.h"
#include "server-nonce-window.h"
#include "server-storage.h"

G_BEGIN_DECLS

/* Seconds a request nonce is remembered (longer than any signature lives). */
#define ENTSEC_DEVICE_NONCE_MEMORY 600
/* Seconds an op-challenge stays usable. */
#define ENTSEC_DEVICE_OP_CHALLENGE_LIFETIME 300
/* Seconds a policy JWS is valid (its "exp" - "iat"). */
#define ENTSEC_DEVICE_POLICY_LIFETIME (7 * 24 * 3600)
/* The default of max_devices_per_user. */
#define ENTSEC_DEVICE_DEFAULT_MAX 5

/**
 * EntsecDeviceContext:
 * @storage: (transfer none): where devices live
 * @authority: (transfer none): the tenant authority key that signs
 *   registrations, policies and receipts
 * @authority_jkt: its thumbprint (the JWS "kid")
 * @authority_jwk: (transfer none): its public JWK
 * @authority_chain: (transfer none) (nullable): the rotation chain links
 *   that lead to it (docs/protocol.md section 8.16); NULL as none
 * @issuer: the server's public base URL (also the start of every @target-uri)
 * @tenant: the tenant name
 * @max_devices: active or suspended devices a user may have
 * @events: (transfer none) (nullable): the long-poll hub that
 *   entsec_device_event_add() wakes
 * @read_nonces: (transfer none) (nullable): where the nonces of GET
 *   requests go when set (server-nonce-window.h, for the events
 *   long-poll); NULL: the storage's durable cache, as for every other call
 */
typedef struct
{
  EntsecStorage  *storage;
  EVP_PKEY       *authority;
  const char     *authority_jkt;
  json_t         *authority_jwk;
  json_t         *authority_chain;
  const char     *issuer;
  const char     *tenant;
  guint           max_devices;
  EntsecEventHub    *events;
  EntsecNonceWindow *read_nonces;
} EntsecDeviceContext;

/* "active", "suspended", "revoked", "unbound" */
const char   *entsec_device_state_name (EntsecDeviceState state);

/*
 * Verify a request that registered device @device_id signed (keyid
 * "<device_id>#<key_epoch>"; with @device_id NULL, for calls whose path
 * names no device, the device the keyid names), with its nonce remembered for
 * %ENTSEC_DEVICE_NONCE_MEMORY seconds (the nonce of a GET in
 * @context->read_nonces when that is set and has room). Errors: %ENTSEC_SERVER_ERROR_SIGNATURE
 * (missing, malformed, wrong key, stale, expired, digest, replayed, unknown
 * device; the message is for the log only), _REVOKED (unbound always;
 * revoked or suspended unless @allow_revoked; its user disabled or
 * deleted), _STORAGE.
 * Returns: (transfer full): the device.
 */
EntsecDevice *entsec_device_authenticate (const EntsecDeviceContext *context,
                                          const EntsecHttpMessage   *message,
                                          const char                *device_id,
                                          gboolean                   allow_revoked,
                                          gint64                     now,
                                          GError                   **error);

/*
 * The checks of a registration @body with no storage or key: its members,
 * "v", the token and challenge as strings, "device_key" an object, the
 * claims as below. Errors: %ENTSEC_SERVER_ERROR_INVALID naming what is wrong.
 */
gboolean      entsec_device_check_registration (json_t  *body,
                                                GError **error);

/*
 * The claims of a registration or heartbeat: @device (only "machine_fp",
 * "macs", "dmi", "os") and @client (nullable; an object of strings).
 * Errors: %ENTSEC_SERVER_ERROR_INVALID.
 */
gboolean      entsec_device_check_claims (json_t  *device,
                                          json_t  *client,
                                          GError **error);

/*
 * POST /v1/devices: @message signed by the new key (keyid "jkt:<thumbprint
 * of body.device_key>"), @body its parsed JSON. Errors: _INVALID (body),
 * _SIGNATURE, _INVALID_CODE (token or challenge wrong or used), _EXPIRED,
 * _LIMIT, _CONFLICT (key already registered), _STORAGE, _CRYPTO.
 * Returns: (transfer full): {"v":1,"device_id","registration","policy"}.
 */
json_t       *entsec_device_register (const EntsecDeviceContext *context,
                                      const EntsecHttpMessage   *message,
                                      json_t                    *body,
                                      gint64                     now,
                                      GError                   **error);

/*
 * What registration and rekeying answer for @device: its registration JWS
 * (typ "entsec-registration+jwt": {v, iss, tenant, device_id, key_jkt,
 * key_epoch, user_id, iat, authority_jwks, authority_chain, endpoints}) and
 * its policy. Returns: (transfer full): {"v":1,"device_id","key_epoch",
 * "registration","policy"}.
 */
json_t       *entsec_device_registration_answer (const EntsecDeviceContext *context,
                                                 const EntsecDevice        *device,
                                                 gint64                     now,
                                                 GError                   **error);

/*
 * The policy JWS of @device (re-read from storage), compiled from the
 * effective settings and its state. Its version rises by one whenever state
 * or settings differ from the last compiled ones; *version gets it.
 * Returns: (transfer full): the compact JWS; free with g_free().
 */
char         *entsec_device_policy (const EntsecDeviceContext *context,
                                    const char                *device_id,
                                    gint64                     now,
                                    gint64                    *version,
                                    GError                   **error);

/* Set @device_id's state (revoke or reactivate by an admin, suspend, unbind);
 * FALSE with *found FALSE when there is no such device, %ENTSEC_SERVER_ERROR_CONFLICT
 * when the change is not allowed (unbound is final, revoked only becomes
 * unbound). */
gboolean      entsec_device_set_state (const EntsecDeviceContext *context,
                                       const char                *device_id,
                                       EntsecDeviceState          state,
                                       gboolean                  *found,
                                       GError                   **error);

/*
 * A heartbeat's claims @body ({"v":1,"device":{...},"client":{...}})
 * compared with those of registration. A mismatch is counted and the
 * policy's binding.on_mismatch applied: "warn" changes nothing, "lock"
 * suspends the device, "wipe" revokes it.
 * Returns: (transfer full): {"v":1,"binding":"ok"|"mismatch","action":...,"policy_version"}.
 */
json_t       *entsec_device_status (const EntsecDeviceContext *context,
                                    EntsecDevice              *device,
                                    json_t                    *body,
                                    gint64                     now,
                                    GError                   **error);

/* A single-use nonce for @op ("unbind", "rekey", "transfer", "export").
 * Returns: (transfer full): {"v":1,"op","nonce","expires_in"}. */
json_t       *entsec_device_op_challenge (const EntsecDeviceContext *context,
                                          EntsecDevice              *device,
                                          json_t                    *body,
                                          gint64                     now,
                                          GError                   **error);

/*
 * Unbind @device with an op-challenge nonce for "unbind" in @body
 * ({"v":1,"nonce":...}). Errors: _INVALID (no such unused nonce),
 * _FORBIDDEN (the policy's device.allow_user_unbind is false).
 * Returns: (transfer full): {"v":1,"receipt": JWS of {v, iss, tenant,
 * device_id, key_jkt, op, iat}}.
 */
json_t       *entsec_device_unbind (const EntsecDeviceContext *context,
                                    EntsecDevice              *device,
                                    json_t                    *body,
                                    gint64                     now,
                                    GError                   **error);

/*
 * Replace @device's key (server-rekey.c) from @body ({"v":1,"nonce",
 * "new_key","proof"}): the nonce an op-challenge for "rekey", the proof
 * entsec_rekey_proof_verify() by the new key. The key epoch rises by one,
 * so the old keyid is refused from then on. Errors: _INVALID (body, key,
 * proof, no such unused nonce), _CONFLICT (the key is another device's, or
 * the device was rekeyed meanwhile), _STORAGE, _CRYPTO.
 * Returns: (transfer full): {"v":1,"device_id","key_epoch","registration","policy"}.
 */
json_t       *entsec_device_rekey (const EntsecDeviceContext *context,
                                   EntsecDevice              *device,
                                   json_t                    *body,
                                   gint64                     now,
                                   GError                   **error);

/* Record an event for @device_id's events long-poll ("policy", "command", ...)
 * and wake the device's waiting polls; events of any device older than
 * %ENTSEC_STORAGE_EVENT_KEEP before @now are pruned on the way. */
gboolean      entsec_device_event_add (const EntsecDeviceContext *context,
                                       const char                *device_id,
                                       const char                *type,
                                       json_t                    *body,
                                       gint64                     now,
                                       GError                   **error);

/*
 * An admin's (@actor's) command for @device_id from @body
 * ({"v":1,"type":"wipe"|"lock"|"unlock"|"refresh_policy"}): stored
 * pending, and recorded as a "command" event carrying the command JWS
 * (typ "entsec-command+jwt": {v, iss, tenant, device_id, key_jkt,
 * command_id, type, iat}). Errors: _INVALID, _NOT_FOUND (no such device),
 * _REVOKED (unbound).
 * Returns: (transfer full): {"v":1,"id","type","state":"pending","command":JWS}.
 */
json_t       *entsec_device_command_add (const EntsecDeviceContext *context,
                                         const char                *device_id,
                                         const char                *actor,
                                         json_t                    *body,
                                         gint64                     now,
                                         GError                   **error);

/*
 * Queue @command (pending, of @device) again as a "command" event, its JWS
 * signed by @context's authority key: after a rotation (8.16), for a device
 * that has moved to the new key. The command id stays the same.
 */
gboolean      entsec_device_command_reissue (const EntsecDeviceContext *context,
                                             const EntsecDevice        *device,
                                             const EntsecDeviceCommand *command,
                                             gint64                     now,
                                             GError                   **error);

/*
 * @device acknowledges @command_id with @body ({"v":1,"result":"done"|"failed"}).
 * Errors: _INVALID, _NOT_FOUND (not this device's command), _CONFLICT
 * (acknowledged before). Returns: (transfer full): the command as the admin sees it.
 */
json_t       *entsec_device_command_ack (const EntsecDeviceContext *context,
                                         EntsecDevice              *device,
                                         const char                *command_id,
                                         json_t                    *body,
                                         gint64                     now,
                                         GError                   **error);

/* The admin's view of a command. (transfer full) */
json_t       *entsec_device_command_to_json (const EntsecDeviceCommand *command);

/* The admin's view of @device (no key material but the public JWK). (transfer full) */
json_t       *entsec_device_to_json (const EntsecDevice *device);

G_END_DECLS
