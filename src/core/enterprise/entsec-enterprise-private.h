/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-enterprise-private.h: what the enterprise sources share, not installed */
#pragma once

#include <entsec/entsec.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "entsec-core-private.h"

G_BEGIN_DECLS

/*
 * The vault preferences holding the enterprise state (encrypted like every
 * preference). The device key is a private JWK under PREF_DEVICE_KEY until
 * the keyring takes a KEK of its own; it then moves to a locked row with the
 * events worker's state (entsec-device-session.h, ENTSEC_LOCKED_DEVICE).
 */
#define ENTSEC_PREF_SERVER "enterprise.server"
#define ENTSEC_PREF_CA_FILE "enterprise.ca_file"
#define ENTSEC_PREF_PINS "enterprise.pins"
#define ENTSEC_PREF_DEVICE_ID "enterprise.device_id"
#define ENTSEC_PREF_DEVICE_KEY "enterprise.device_key"
/* The device key's epoch (absent: 1) and a rekey's new key until its answer is known (8.17). */
#define ENTSEC_PREF_KEY_EPOCH "enterprise.key_epoch"
#define ENTSEC_PREF_DEVICE_KEY_NEXT "enterprise.device_key_next"
#define ENTSEC_PREF_USER_NAME "enterprise.user_name"
/* The tenant salt (base64url) and the "device" claims sent at registration, for heartbeats. */
#define ENTSEC_PREF_TENANT_SALT "enterprise.tenant_salt"
#define ENTSEC_PREF_CLAIMS "enterprise.claims"
#define ENTSEC_PREF_AUTHORITY_JWK "enterprise.authority_jwk"
#define ENTSEC_PREF_AUTHORITY_JKT "enterprise.authority_jkt"
#define ENTSEC_PREF_AUTHORITY_TRUST "enterprise.authority_trust"
#define ENTSEC_PREF_REGISTRATION "enterprise.registration"
#define ENTSEC_PREF_POLICY "enterprise.policy"
#define ENTSEC_PREF_POLICY_VERSION "enterprise.policy_version"
#define ENTSEC_PREF_DEVICE_STATE "enterprise.device_state"
/* entsec-events.c: the events cursor, pushes awaiting an answer, commands carried out. */
#define ENTSEC_PREF_EVENTS_CURSOR "enterprise.events_cursor"
#define ENTSEC_PREF_PENDING_PUSHES "enterprise.pending_pushes"
#define ENTSEC_PREF_COMMANDS_DONE "enterprise.commands_done"
/* Acknowledgements of commands carried out that did not reach the server yet. */
#define ENTSEC_PREF_PENDING_ACKS "enterprise.pending_acks"
/* A locked row only: a sync put off while the vault was locked (entsec-events.c). */
#define ENTSEC_LOCKED_SYNC_DUE "enterprise.sync_due"
/*
 * When the events worker last had an answer from the server (int64 Unix
 * seconds), kept with the worker's state (a locked row with a device KEK),
 * so that the status of a locked vault shows it.
 */
#define ENTSEC_LOCKED_LAST_POLL "enterprise.last_poll"
/*
 * entsec-enterprise-status.c: the last full sync, and when enterprise data is
 * wiped for want of contact (ENTSEC_PREF_LAST_CONTACT and
 * ENTSEC_PREF_OFFLINE_BLOCK_AT are in entsec-core-private.h: the vault reads them).
 */
#define ENTSEC_PREF_LAST_SYNC "enterprise.last_sync"
#define ENTSEC_PREF_OFFLINE_WIPE_AT "enterprise.offline_wipe_at"

/* Every preference above: what a wipe removes. */
#define ENTSEC_PREFS_ENTERPRISE                                                          \
  { ENTSEC_PREF_DEVICE_ID, ENTSEC_PREF_SERVER, ENTSEC_PREF_CA_FILE, ENTSEC_PREF_PINS,    \
    ENTSEC_PREF_DEVICE_KEY, ENTSEC_PREF_USER_NAME, ENTSEC_PREF_AUTHORITY_JWK,            \
    ENTSEC_PREF_AUTHORITY_JKT, ENTSEC_PREF_AUTHORITY_TRUST, ENTSEC_PREF_REGISTRATION,    \
    ENTSEC_PREF_POLICY, ENTSEC_PREF_POLICY_VERSION, ENTSEC_PREF_DEVICE_STATE,            \
    ENTSEC_PREF_EVENTS_CURSOR, ENTSEC_PREF_PENDING_PUSHES, ENTSEC_PREF_COMMANDS_DONE,    \
    ENTSEC_PREF_KEY_EPOCH, ENTSEC_PREF_DEVICE_KEY_NEXT, ENTSEC_PREF_TENANT_SALT,         \
    ENTSEC_PREF_CLAIMS, ENTSEC_PREF_PENDING_ACKS, ENTSEC_PREF_LAST_SYNC,                 \
    ENTSEC_PREF_LAST_CONTACT, ENTSEC_PREF_OFFLINE_BLOCK_AT, ENTSEC_PREF_OFFLINE_WIPE_AT, \
    ENTSEC_LOCKED_LAST_POLL, NULL }

/*
 * A Secret Service connection of our own, not libsecret's shared one: the
 * vault's keyring thread may be setting that up at the same time, which it
 * does not survive. NULL (logged for @purpose) when there is no keyring.
 */
struct _SecretService *entsec_enterprise_keyring_open (const char *purpose);
/*
 * Whether @service's default collection exists and is unlocked: storing
 * there then asks nobody. Storing into a locked one would prompt (and with
 * no display, libsecret fails its task with no error).
 */
gboolean entsec_enterprise_keyring_default_open (struct _SecretService *service);

/*
 * The string preference @name of @vault, or NULL (absent, of another type,
 * or with @error set). Free with g_free().
 */
char  *entsec_enterprise_pref_dup_string (EntsecVault  *vault,
                                          const char   *name,
                                          GCancellable *cancellable,
                                          GError      **error);
/* The int64 preference @name of @vault, or 0 (absent, another type, or @error set). */
gint64 entsec_enterprise_pref_get_int64 (EntsecVault  *vault,
                                         const char   *name,
                                         GCancellable *cancellable,
                                         GError      **error);

/*
 * Where the claims are read: NULL (the real system) for a NULL @root,
 * otherwise @root's sys/, proc/ and etc/ with no permanent-address source.
 * Returns: (transfer full) (nullable): free with entsec_device_sources_free().
 */
EntsecDeviceSources *entsec_enterprise_device_sources (const char *root);

/*
 * The authority key to verify @jws with (docs/protocol.md 8.16): @pinned
 * (thumbprint @pinned_jkt) when the JWS's "kid" is absent or names it;
 * otherwise the key reached by walking the payload's "authority_chain"
 * from @pinned with @issuer and @tenant (NULL: the payload's "tenant"),
 * which must be the one "kid" names. The JWS itself is not verified here.
 * An object signed by a key older than @pinned is refused: no link leaves
 * the newest key.
 * Returns: (transfer full) (nullable): the key, or NULL with an
 *   %ENTSEC_PROTOCOL_ERROR saying why the chain does not reach "kid".
 */
EVP_PKEY *entsec_authority_key_for (EVP_PKEY   *pinned,
                                    const char *pinned_jkt,
                                    const char *jws,
                                    const char *issuer,
                                    const char *tenant,
                                    GError    **error);

G_END_DECLS
