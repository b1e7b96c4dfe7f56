/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-storage.h: the server's storage interface. One implementation per
 * backend (SQLite today, PostgreSQL later); request handling sees only
 * these calls, never SQL. Every call is safe from any thread.
 *
 * Lookups keep three outcomes apart: an error (FALSE / NULL with @error
 * set), not found (NULL or *found = FALSE without an error), found.
 */
#pragma once

#include <glib.h>

#include "server-private.h"

G_BEGIN_DECLS

#define ENTSEC_STORAGE_SCHEMA_VERSION 1

/**
 * EntsecUser:
 * @id: "usr_..."
 * @email: (nullable): normalised address
 * @phone: (nullable): E.164 number
 * @name: (nullable): display name
 * @disabled: the admin disabled the user
 * @created: Unix seconds
 */
typedef struct
{
  char    *id;
  char    *email;
  char    *phone;
  char    *name;
  gboolean disabled;
  gint64   created;
} EntsecUser;

void entsec_user_free (EntsecUser *user);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecUser, entsec_user_free)

/**
 * EntsecAdmin:
 * @id: "adm_..."
 * @name: who the audit log names
 * @token_sha256: SHA-256 of the admin's bearer token (the token is never stored)
 */
typedef struct
{
  char  *id;
  char  *name;
  guint8 token_sha256[ENTSEC_SERVER_DIGEST_SIZE];
} EntsecAdmin;

void entsec_admin_free (EntsecAdmin *admin);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecAdmin, entsec_admin_free)

/**
 * EntsecAuditEntry:
 * @seq: position in the log, from 1 (set by the storage)
 * @time: Unix seconds
 * @actor: who acted ("adm_...", or "system")
 * @action: what ("user.create", ...)
 * @target: (nullable): the object acted on ("usr_...")
 *
 * One line of the audit log. Never holds secrets or codes.
 */
typedef struct
{
  gint64 seq;
  gint64 time;
  char  *actor;
  char  *action;
  char  *target;
} EntsecAuditEntry;

void entsec_audit_entry_free (EntsecAuditEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecAuditEntry, entsec_audit_entry_free)

/**
 * EntsecEnrollmentState:
 * @ENTSEC_ENROLLMENT_PENDING: waiting for the code
 * @ENTSEC_ENROLLMENT_VERIFIED: the code was right (used once)
 * @ENTSEC_ENROLLMENT_BURNED: too many wrong codes
 * @ENTSEC_ENROLLMENT_REPLACED: a newer enrollment for the address replaced it
 */
typedef enum
{
  ENTSEC_ENROLLMENT_PENDING,
  ENTSEC_ENROLLMENT_VERIFIED,
  ENTSEC_ENROLLMENT_BURNED,
  ENTSEC_ENROLLMENT_REPLACED,
} EntsecEnrollmentState;

/**
 * EntsecEnrollment:
 * @id: "enr_..."
 * @channel: "email" or "sms"
 * @address: the normalised address it was started for
 * @user_id: (nullable): the user of that address; NULL when none (the
 *   enrollment then answers like any other and can never succeed)
 * @code_sha256: SHA-256 of "enrollment id:code"
 * @nonce_sha256: SHA-256 of the client's nonce
 * @created: @expires: Unix seconds
 * @attempts: wrong codes so far
 * @state: where it stands
 * @token_sha256: after success: SHA-256 of the enrollment token
 * @token_expires: after success: when the token expires
 * @challenge_sha256: after success: SHA-256 of the registration challenge
 */
typedef struct
{
  char                 *id;
  char                 *channel;
  char                 *address;
  char                 *user_id;
  guint8                code_sha256[ENTSEC_SERVER_DIGEST_SIZE];
  guint8                nonce_sha256[ENTSEC_SERVER_DIGEST_SIZE];
  gint64                created;
  gint64                expires;
  guint                 attempts;
  EntsecEnrollmentState state;
  guint8                token_sha256[ENTSEC_SERVER_DIGEST_SIZE];
  gint64                token_expires;
  guint8                challenge_sha256[ENTSEC_SERVER_DIGEST_SIZE];
} EntsecEnrollment;

void entsec_enrollment_free (EntsecEnrollment *enrollment);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecEnrollment, entsec_enrollment_free)

/**
 * EntsecDeviceState:
 * @ENTSEC_DEVICE_ACTIVE: in use
 * @ENTSEC_DEVICE_SUSPENDED: locked by a binding rule; signed calls other than
 *   the policy are refused until an admin acts
 * @ENTSEC_DEVICE_REVOKED: revoked by an admin (its policy says so, nothing else works)
 * @ENTSEC_DEVICE_UNBOUND: the user unbound it; nothing works any more
 */
typedef enum
{
  ENTSEC_DEVICE_ACTIVE,
  ENTSEC_DEVICE_SUSPENDED,
  ENTSEC_DEVICE_REVOKED,
  ENTSEC_DEVICE_UNBOUND,
} EntsecDeviceState;

/**
 * EntsecDevice:
 * @id: "dev_..."
 * @user_id: whose it is
 * @key_jwk: the device's public key (JWK text)
 * @key_jkt: its RFC 7638 thumbprint
 * @key_epoch: the key's number in "keyid" ("dev_...#1")
 * @state: where it stands
 * @claims: the binding claims of registration (JSON text: machine_fp,
 *   macs, dmi, os, client)
 * @created: @last_seen: Unix seconds
 * @mismatches: heartbeats whose claims differed from @claims
 * @policy_version: the version of the last policy compiled for it (0: none)
 * @policy_sha256: the digest of that policy's state and settings
 * @revision: counts the updates (compare-and-set in entsec_storage_device_update())
 */
typedef struct
{
  char             *id;
  char             *user_id;
  char             *key_jwk;
  char             *key_jkt;
  guint             key_epoch;
  EntsecDeviceState state;
  char             *claims;
  gint64            created;
  gint64            last_seen;
  guint             mismatches;
  gint64            policy_version;
  guint8            policy_sha256[ENTSEC_SERVER_DIGEST_SIZE];
  gint64            revision;
} EntsecDevice;

void entsec_device_free (EntsecDevice *device);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecDevice, entsec_device_free)

/**
 * EntsecDeviceCommand:
 * @id: "cmd_..."
 * @device_id: the device it is for
 * @type: "wipe", "lock", "unlock" or "refresh_policy"
 * @actor: the admin who gave it
 * @created: Unix seconds
 * @acked: when the device acknowledged it; 0 while pending
 * @result: (nullable): what the device said ("done", "failed")
 */
typedef struct
{
  char  *id;
  char  *device_id;
  char  *type;
  char  *actor;
  gint64 created;
  gint64 acked;
  char  *result;
} EntsecDeviceCommand;

void entsec_device_command_free (EntsecDeviceCommand *command);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecDeviceCommand, entsec_device_command_free)

/**
 * EntsecDeviceEvent:
 * @seq: position among all events, from 1 (the long-poll cursor)
 * @device_id: the device it is for
 * @type: "policy", "command", ...
 * @body: JSON text
 * @created: Unix seconds
 */
typedef struct
{
  gint64 seq;
  char  *device_id;
  char  *type;
  char  *body;
  gint64 created;
} EntsecDeviceEvent;

void entsec_device_event_free (EntsecDeviceEvent *event);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecDeviceEvent, entsec_device_event_free)

typedef struct _EntsecStorageRow EntsecStorageRow;

/**
 * EntsecStorageRowOps:
 * @text: column @column as text (g_free()), NULL for SQL NULL
 * @integer: column @column as an integer, 0 for SQL NULL
 * @digest: a 32-byte column into @digest; zeros when NULL or of another
 *   length
 *
 * How a backend reads a column of a row, so that rows become structs in
 * one place (server-storage-devices.c) for both backends.
 */
typedef struct
{
  char   *(*text) (const EntsecStorageRow *row, int column);
  gint64  (*integer) (const EntsecStorageRow *row, int column);
  void    (*digest) (const EntsecStorageRow *row, int column, guint8 *digest);
} EntsecStorageRowOps;

/* A row of a backend's result: @data is its result (a PGresult, an
 * sqlite3_stmt on the row), @index the row's number in it. */
struct _EntsecStorageRow
{
  const EntsecStorageRowOps *ops;
  gconstpointer              data;
  int                        index;
};

/* The columns each backend selects for the rows below. */
#define ENTSEC_STORAGE_DEVICE_COLUMNS \
  "id, user_id, key_jwk, key_jkt, key_epoch, state, claims, created, last_seen, mismatches, " \
  "policy_version, policy_sha256, revision"
#define ENTSEC_STORAGE_EVENT_COLUMNS "seq, device_id, type, body, created"
#define ENTSEC_STORAGE_COMMAND_COLUMNS "id, device_id, type, actor, created, acked, result"

/* The rows of the device queries, in the column order of the macros above.
 * Returns: (transfer full): an EntsecDevice, EntsecDeviceEvent or
 *   EntsecDeviceCommand. */
gpointer entsec_storage_device_from_row (const EntsecStorageRow *row);
gpointer entsec_storage_device_event_from_row (const EntsecStorageRow *row);
gpointer entsec_storage_device_command_from_row (const EntsecStorageRow *row);

/**
 * EntsecCommandAck:
 * @ENTSEC_COMMAND_ACK_DONE: the command was pending and is acknowledged now
 * @ENTSEC_COMMAND_ACK_UNKNOWN: no such command for this device
 * @ENTSEC_COMMAND_ACK_ALREADY: it was acknowledged before
 */
typedef enum
{
  ENTSEC_COMMAND_ACK_DONE,
  ENTSEC_COMMAND_ACK_UNKNOWN,
  ENTSEC_COMMAND_ACK_ALREADY,
} EntsecCommandAck;

/* relying parties, tokens, push transactions (server-rp.c) */

/**
 * EntsecRp:
 * @id: "rp_..."
 * @name: what the admin called it (unique)
 * @key_sha256: SHA-256 of its API key (the key is never stored)
 * @created: Unix seconds
 * @revoked: when the admin revoked it (Unix seconds), 0 while it is valid
 */
typedef struct
{
  char  *id;
  char  *name;
  guint8 key_sha256[ENTSEC_SERVER_DIGEST_SIZE];
  gint64 created;
  gint64 revoked;
} EntsecRp;

void entsec_rp_free (EntsecRp *rp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecRp, entsec_rp_free)

/**
 * EntsecTokenState:
 * @ENTSEC_TOKEN_PENDING: made; waiting for the device to ack with a code
 * @ENTSEC_TOKEN_ACTIVE: acked; validates codes
 * @ENTSEC_TOKEN_REVOKED: revoked by an admin
 */
typedef enum
{
  ENTSEC_TOKEN_PENDING,
  ENTSEC_TOKEN_ACTIVE,
  ENTSEC_TOKEN_REVOKED,
} EntsecTokenState;

/**
 * EntsecToken:
 * @id: "tok_..."
 * @user_id: the user it belongs to
 * @type: "totp" or "hotp"
 * @algorithm: "SHA1", "SHA256" or "SHA512"
 * @digits: 6 to 10
 * @period: TOTP seconds per step (30 for HOTP, unused)
 * @issuer: @label: (nullable): what the authenticator shows
 * @sealed_seed: the seed under AES-256-GCM (nonce, ciphertext, tag)
 * @state: where it stands
 * @created: Unix seconds
 * @failures: consecutive wrong codes
 * @locked_until: no code is checked before this time (Unix seconds);
 *   G_MAXINT64 after 100 consecutive failures, until an admin resets it
 * @last_step: the last TOTP step or HOTP counter accepted, -1 for none
 */
typedef struct
{
  char            *id;
  char            *user_id;
  char            *type;
  char            *algorithm;
  guint            digits;
  guint            period;
  char            *issuer;
  char            *label;
  GBytes          *sealed_seed;
  EntsecTokenState state;
  gint64           created;
  guint            failures;
  gint64           locked_until;
  gint64           last_step;
} EntsecToken;

void entsec_token_free (EntsecToken *token);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecToken, entsec_token_free)

/**
 * EntsecPushState:
 * @ENTSEC_PUSH_PENDING: waiting for the device's answer
 * @ENTSEC_PUSH_APPROVED: the user approved (with the right number)
 * @ENTSEC_PUSH_DENIED: the user denied, or 3 wrong numbers closed it
 * @ENTSEC_PUSH_EXPIRED: no answer in time
 * @ENTSEC_PUSH_MUTED: started while the user's pushes were muted (not_me);
 *   never shown to the user
 */
typedef enum
{
  ENTSEC_PUSH_PENDING,
  ENTSEC_PUSH_APPROVED,
  ENTSEC_PUSH_DENIED,
  ENTSEC_PUSH_EXPIRED,
  ENTSEC_PUSH_MUTED,
} EntsecPushState;

/**
 * EntsecPush:
 * @id: "ptx_..."
 * @user_id: who is asked
 * @rp_id: the relying party that asked (only it may read the transaction)
 * @context: what the device shows, a JSON object as text
 * @mode: number matching: "enter", "choose" or "none"
 * @number: the number to match (10 to 99), 0 with mode "none"
 * @created: @expires: Unix seconds
 * @state: where it stands
 * @wrong_numbers: wrong numbers sent by the device so far
 * @flagged: closed by wrong numbers (a possible attack)
 * @device_id: (nullable): the device that answered
 * @deny_reason: (nullable): "not_me", "wrong_number", or the device's reason
 */
typedef struct
{
  char           *id;
  char           *user_id;
  char           *rp_id;
  char           *context;
  char           *mode;
  guint           number;
  gint64          created;
  gint64          expires;
  EntsecPushState state;
  guint           wrong_numbers;
  gboolean        flagged;
  char           *device_id;
  char           *deny_reason;
} EntsecPush;

void entsec_push_free (EntsecPush *push);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecPush, entsec_push_free)

/**
 * EntsecAuthorityKey:
 * @seq: its place in the rotation chain (1: the key --init made)
 * @jkt: its RFC 7638 thumbprint
 * @jwk: its public JWK (text)
 * @link: (nullable): the chain link JWS the previous key signed for it
 *   (docs/protocol.md section 8.16); NULL for @seq 1
 * @created: when it was made, Unix seconds
 * @sealed_key: (nullable): the private key (DER) sealed under
 *   token-seal.key (entsec_tokens_seal(), the thumbprint as associated
 *   data); NULL for a key of a database from before keys were stored, until
 *   its file is imported
 *
 * One authority key of the tenant: the public half, the chain and the
 * sealed private half, so that every instance on the database signs with
 * the current key.
 */
typedef struct
{
  guint   seq;
  char   *jkt;
  char   *jwk;
  char   *link;
  gint64  created;
  GBytes *sealed_key;
} EntsecAuthorityKey;

void entsec_authority_key_free (EntsecAuthorityKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecAuthorityKey, entsec_authority_key_free)

typedef struct _EntsecStorage EntsecStorage;

/**
 * EntsecStorageWakeFunc:
 * @device_id: (nullable): the device an event was stored for; NULL for
 *   every device (the storage may have missed some: they look again)
 * @data: what was given to entsec_storage_events_listen()
 *
 * Called on the storage's listening thread when any instance stored an event.
 */
typedef void (*EntsecStorageWakeFunc) (const char *device_id,
                                       gpointer    data);

/* The operations a backend provides; see the entsec_storage_*() wrappers. */
typedef struct
{
  const char *name;
  void        (*close) (EntsecStorage *storage);
  gboolean    (*user_create) (EntsecStorage *storage, const EntsecUser *user, GError **error);
  EntsecUser *(*user_get) (EntsecStorage *storage, const char *id, GError **error);
  GPtrArray  *(*user_list) (EntsecStorage *storage, const char *after, guint limit,
                            GError **error);
  gboolean    (*user_delete) (EntsecStorage *storage, const char *id, gboolean *found,
                              GError **error);
  gboolean    (*admin_create) (EntsecStorage *storage, const EntsecAdmin *admin,
                               GError **error);
  GPtrArray  *(*admin_list) (EntsecStorage *storage, GError **error);
  gboolean    (*audit_append) (EntsecStorage *storage, const EntsecAuditEntry *entry,
                               GError **error);
  GPtrArray  *(*audit_list) (EntsecStorage *storage, gint64 after, guint limit,
                             GError **error);
  EntsecUser *(*user_find) (EntsecStorage *storage, const char *channel, const char *address,
                            GError **error);
  gboolean    (*setting_get) (EntsecStorage *storage, const char *key, GBytes **value,
                              GError **error);
  gboolean    (*setting_set) (EntsecStorage *storage, const char *key, GBytes *value,
                              GError **error);
  gboolean    (*enrollment_start) (EntsecStorage *storage, const EntsecEnrollment *enrollment,
                                   gint64 resend_after, gint64 *last_created, GError **error);
  EntsecEnrollment *(*enrollment_get) (EntsecStorage *storage, const char *id, GError **error);
  gboolean    (*enrollment_update) (EntsecStorage *storage, const EntsecEnrollment *enrollment,
                                    guint expected_attempts, gboolean *updated, GError **error);
  /* devices, nonces, policies, commands (server-devices.c) */
  gboolean    (*nonce_remember) (EntsecStorage *storage, const char *keyid, const char *nonce,
                                 gint64 now, gint64 keep_until, gboolean *fresh, GError **error);
  gboolean    (*device_register) (EntsecStorage *storage, EntsecDevice *device,
                                  const guint8 *token_sha256, const guint8 *challenge_sha256,
                                  gint64 now, guint max_devices, GError **error);
  EntsecDevice *(*device_get) (EntsecStorage *storage, const char *id, GError **error);
  GPtrArray  *(*device_list) (EntsecStorage *storage, const char *user_id, const char *after,
                              guint limit, GError **error);
  gboolean    (*device_update) (EntsecStorage *storage, const EntsecDevice *device,
                                gboolean *updated, GError **error);
  gboolean    (*policy_get) (EntsecStorage *storage, const char *scope, char **settings,
                             GError **error);
  gboolean    (*policy_set) (EntsecStorage *storage, const char *scope, const char *settings,
                             gint64 now, GError **error);
  gboolean    (*op_challenge_add) (EntsecStorage *storage, const guint8 *nonce_sha256,
                                   const char *device_id, const char *op, gint64 expires,
                                   GError **error);
  gboolean    (*op_challenge_use) (EntsecStorage *storage, const guint8 *nonce_sha256,
                                   const char *device_id, const char *op, gint64 now,
                                   gboolean *found, GError **error);
  gboolean    (*device_event_add) (EntsecStorage *storage, const char *device_id,
                                   const char *type, const char *body, gint64 now,
                                   GError **error);
  gboolean    (*command_add) (EntsecStorage *storage, const EntsecDeviceCommand *command,
                              const char *event_body, GError **error);
  gboolean    (*command_ack) (EntsecStorage *storage, const char *device_id,
                              const char *command_id, const char *result, gint64 now,
                              EntsecCommandAck *outcome, GError **error);
  GPtrArray  *(*command_list) (EntsecStorage *storage, const char *device_id, GError **error);
  GPtrArray  *(*device_event_list) (EntsecStorage *storage, const char *device_id,
                                    gint64 after, guint limit, GError **error);
  /* push deliveries to devices (server-challenges.c) */
  gboolean    (*push_delivery_add) (EntsecStorage *storage, const char *push_id,
                                    const char *device_id, const char *nonce,
                                    const guint8 *push_sha256, gint64 expires, GError **error);
  gboolean    (*push_delivery_get) (EntsecStorage *storage, const char *push_id,
                                    const char *device_id, char **nonce, guint8 *push_sha256,
                                    gboolean *found, GError **error);
  /* token seeds delivered to devices (server-sync.c) */
  gboolean    (*token_delivery_claim) (EntsecStorage *storage, const char *token_id,
                                       const char *device_id, gint64 now, gboolean *claimed,
                                       GError **error);
  gboolean    (*token_delivery_get) (EntsecStorage *storage, const char *token_id,
                                     char **device_id, GError **error);
  /* entsec-admin (srv-admin): disabling users */
  gboolean    (*user_set_disabled) (EntsecStorage *storage, const char *id, gboolean disabled,
                                    gboolean *found, GError **error);
  /* relying parties, tokens, push transactions (server-rp.c) */
  gboolean    (*rp_create) (EntsecStorage *storage, const EntsecRp *rp, GError **error);
  GPtrArray  *(*rp_list) (EntsecStorage *storage, GError **error);
  gboolean    (*rp_revoke) (EntsecStorage *storage, const char *id, gint64 now,
                            gboolean *found, GError **error);
  gboolean    (*token_create) (EntsecStorage *storage, const EntsecToken *token,
                               GError **error);
  EntsecToken *(*token_get) (EntsecStorage *storage, const char *id, GError **error);
  GPtrArray  *(*token_list) (EntsecStorage *storage, const char *user_id, GError **error);
  gboolean    (*token_update) (EntsecStorage *storage, const EntsecToken *token,
                               const EntsecToken *expected, gboolean *updated,
                               GError **error);
  gboolean    (*push_start) (EntsecStorage *storage, EntsecPush *push, guint max_open,
                             gint64 *retry_after, GError **error);
  EntsecPush *(*push_get) (EntsecStorage *storage, const char *id, GError **error);
  gboolean    (*push_update) (EntsecStorage *storage, const EntsecPush *push,
                              const EntsecPush *expected, gboolean *updated, GError **error);
  gboolean    (*push_mute) (EntsecStorage *storage, const char *user_id, gint64 until,
                            GError **error);
  /* srv-rest: deleting a user with what hangs on it */
  gboolean    (*user_remove) (EntsecStorage *storage, const char *user_id, GPtrArray **revoked,
                              gboolean *found, GError **error);
  gboolean    (*device_events_prune) (EntsecStorage *storage, const char *device_id,
                                      gint64 through, gint64 before, GError **error);
  gboolean    (*device_events_stats) (EntsecStorage *storage, gint64 *count, gint64 *oldest,
                                      GError **error);
  gboolean    (*enrollment_token_user) (EntsecStorage *storage, const guint8 *token_sha256,
                                        char **user_id, GError **error);
  /* key rotation (server-authority.c, server-rekey.c) */
  GPtrArray  *(*authority_key_list) (EntsecStorage *storage, GError **error);
  gboolean    (*authority_key_add) (EntsecStorage *storage, const EntsecAuthorityKey *key,
                                    GError **error);
  gboolean    (*authority_key_seal) (EntsecStorage *storage, guint seq, GBytes *sealed_key,
                                     GError **error);
  gboolean    (*authority_key_head) (EntsecStorage *storage, guint *seq, GError **error);
  gboolean    (*device_rekey) (EntsecStorage *storage, const EntsecDevice *device,
                               gboolean *updated, GError **error);
  /* several instances on one database (server-storage-shared.c) */
  gboolean    (*ratelimit_take) (EntsecStorage *storage, const char *key, guint limit,
                                 gint64 window, gint64 now, gboolean *allowed,
                                 gint64 *retry_after, GError **error);
  /* (nullable): a backend that one process alone uses has nothing to listen to */
  gboolean    (*events_listen) (EntsecStorage *storage, EntsecStorageWakeFunc wake,
                                gpointer data, GError **error);
  void        (*events_unlisten) (EntsecStorage *storage);
} EntsecStorageOps;

struct _EntsecStorage
{
  const EntsecStorageOps *ops;
};

/**
 * EntsecStorageMode:
 * @ENTSEC_STORAGE_OPEN: open a database whose schema is this server's
 *   version (an older one is refused: run --migrate; a newer one too)
 * @ENTSEC_STORAGE_CREATE: --init: SQLite makes a new file; PostgreSQL
 *   migrates the database first (it may be empty)
 * @ENTSEC_STORAGE_MIGRATE: --migrate: bring the schema to this version
 *
 * How entsec_storage_open() treats the database.
 */
typedef enum
{
  ENTSEC_STORAGE_OPEN,
  ENTSEC_STORAGE_CREATE,
  ENTSEC_STORAGE_MIGRATE,
} EntsecStorageMode;

/* Connections a PostgreSQL pool opens at most when none is configured. */
#define ENTSEC_STORAGE_POOL_DEFAULT 16

/*
 * The backend chooser: PostgreSQL when @database is a postgresql:// (or
 * postgres://) URL, else the SQLite file @sqlite_path. @pool_size: the
 * PostgreSQL connections at most (0: the default).
 * Returns: (transfer full) (nullable): close with entsec_storage_close().
 */
EntsecStorage *entsec_storage_open (const char       *database,
                                    const char       *sqlite_path,
                                    guint             pool_size,
                                    EntsecStorageMode mode,
                                    GError          **error);

/* Whether @database names a PostgreSQL database (a postgresql:// URL). */
gboolean       entsec_storage_is_postgresql (const char *database);

/*
 * Open the PostgreSQL database of @url (server-storage-pg.c) with a pool
 * of at most @pool_size connections (0: the default). The schema is
 * checked (or migrated first, as @mode says).
 * Returns: (transfer full) (nullable): close with entsec_storage_close().
 */
EntsecStorage *entsec_storage_pg_open (const char       *url,
                                       guint             pool_size,
                                       EntsecStorageMode mode,
                                       GError          **error);

/*
 * Open the SQLite database at @path. With @create a new database with the
 * current schema is made (the file must not exist); otherwise the file must
 * exist and carry a schema this version knows.
 * Returns: (transfer full) (nullable): close with entsec_storage_close().
 */
EntsecStorage *entsec_storage_sqlite_open (const char *path,
                                           gboolean    create,
                                           GError    **error);

void        entsec_storage_close (EntsecStorage *storage);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecStorage, entsec_storage_close)

/* %ENTSEC_SERVER_ERROR_CONFLICT when the email or phone is taken. */
gboolean    entsec_storage_user_create (EntsecStorage    *storage,
                                        const EntsecUser *user,
                                        GError          **error);
/* Returns: (transfer full) (nullable): the user, or NULL (error unset) when absent. */
EntsecUser *entsec_storage_user_get (EntsecStorage *storage,
                                     const char    *id,
                                     GError       **error);
/* Up to @limit users with ids after @after (nullable), by id.
 * Returns: (transfer full) (element-type EntsecUser): free with g_ptr_array_unref(). */
GPtrArray  *entsec_storage_user_list (EntsecStorage *storage,
                                      const char    *after,
                                      guint          limit,
                                      GError       **error);
/* Deletes the user row only; the admin API uses entsec_storage_user_remove(). */
gboolean    entsec_storage_user_delete (EntsecStorage *storage,
                                        const char    *id,
                                        gboolean      *found,
                                        GError       **error);
/*
 * In one transaction: delete user @user_id with their tokens (and their
 * deliveries), push transactions, mute and enrollments, and revoke their
 * active and suspended devices, dropping those devices' open op-challenges
 * and push deliveries. *revoked gets the ids of the devices revoked now
 * (element-type utf8, free with g_ptr_array_unref()); *found is FALSE,
 * error unset, when there is no such user (then nothing changes).
 */
gboolean    entsec_storage_user_remove (EntsecStorage *storage,
                                        const char    *user_id,
                                        GPtrArray    **revoked,
                                        gboolean      *found,
                                        GError       **error);
gboolean    entsec_storage_admin_create (EntsecStorage     *storage,
                                         const EntsecAdmin *admin,
                                         GError           **error);
/* Returns: (transfer full) (element-type EntsecAdmin): every admin. */
GPtrArray  *entsec_storage_admin_list (EntsecStorage *storage,
                                       GError       **error);
/* Appends @entry (its @seq is ignored). */
gboolean    entsec_storage_audit_append (EntsecStorage          *storage,
                                         const EntsecAuditEntry *entry,
                                         GError                **error);
/* Up to @limit entries with seq > @after, oldest first.
 * Returns: (transfer full) (element-type EntsecAuditEntry) */
GPtrArray  *entsec_storage_audit_list (EntsecStorage *storage,
                                       gint64         after,
                                       guint          limit,
                                       GError       **error);

/*
 * The enabled user whose "email" or "phone" (@channel "email" or "sms") is
 * @address (normalised). Returns: (transfer full) (nullable): NULL, error
 * unset, when there is none.
 */
EntsecUser *entsec_storage_user_find (EntsecStorage *storage,
                                      const char    *channel,
                                      const char    *address,
                                      GError       **error);

/* A tenant-wide value (the tenant salt); *value is NULL when unset. */
gboolean    entsec_storage_setting_get (EntsecStorage *storage,
                                        const char    *key,
                                        GBytes       **value,
                                        GError       **error);
gboolean    entsec_storage_setting_set (EntsecStorage *storage,
                                        const char    *key,
                                        GBytes        *value,
                                        GError       **error);

/*
 * Store a new pending enrollment and mark the pending ones for the same
 * channel and address replaced, in one transaction, unless one of them was
 * created less than @resend_after seconds before @enrollment->created: then
 * nothing changes, *last_created says when that one was made, and the
 * error is %ENTSEC_SERVER_ERROR_RATE_LIMITED.
 */
gboolean    entsec_storage_enrollment_start (EntsecStorage          *storage,
                                             const EntsecEnrollment *enrollment,
                                             gint64                  resend_after,
                                             gint64                 *last_created,
                                             GError                **error);
/* Returns: (transfer full) (nullable): NULL, error unset, when unknown. */
EntsecEnrollment *entsec_storage_enrollment_get (EntsecStorage *storage,
                                                 const char    *id,
                                                 GError       **error);
/*
 * Compare and set: store @enrollment's attempts, state and token only if the
 * stored one is still pending with @expected_attempts; *updated says
 * whether it was (FALSE: another request got there first).
 */
gboolean    entsec_storage_enrollment_update (EntsecStorage          *storage,
                                              const EntsecEnrollment *enrollment,
                                              guint                   expected_attempts,
                                              gboolean               *updated,
                                              GError                **error);

/* Set whether user @id is disabled (a disabled user cannot enroll); *found
 * is FALSE, error unset, when there is no such user. */
gboolean    entsec_storage_user_set_disabled (EntsecStorage *storage,
                                              const char    *id,
                                              gboolean       disabled,
                                              gboolean      *found,
                                              GError       **error);

/* A convenience: append one entry stamped with the current time; failures are
 * logged and returned. */
gboolean    entsec_storage_audit (EntsecStorage *storage,
                                  const char    *actor,
                                  const char    *action,
                                  const char    *target,
                                  GError       **error);

/* devices, nonces, policies, commands (server-storage-devices.c) */

/*
 * Remember that @keyid used @nonce, until @keep_until; rows past their time
 * are pruned first (at @now). *fresh is FALSE when the pair was already
 * there (a replay).
 */
gboolean      entsec_storage_nonce_remember (EntsecStorage *storage,
                                             const char    *keyid,
                                             const char    *nonce,
                                             gint64         now,
                                             gint64         keep_until,
                                             gboolean      *fresh,
                                             GError       **error);
/*
 * In one transaction: use up the verified enrollment whose token and
 * registration challenge have these digests (%ENTSEC_SERVER_ERROR_INVALID_CODE
 * when there is none or the challenge differs, _EXPIRED past its time), check
 * that its user, still enabled, has fewer than @max_devices active or
 * suspended devices (_LIMIT), and store @device for that user (its @user_id
 * is ignored and set from the enrollment). Nothing changes on failure.
 */
gboolean      entsec_storage_device_register (EntsecStorage      *storage,
                                              EntsecDevice       *device,
                                              const guint8       *token_sha256,
                                              const guint8       *challenge_sha256,
                                              gint64              now,
                                              guint               max_devices,
                                              GError            **error);
/* Returns: (transfer full) (nullable): NULL, error unset, when unknown. */
EntsecDevice *entsec_storage_device_get (EntsecStorage *storage,
                                         const char    *id,
                                         GError       **error);
/* Up to @limit devices (of @user_id when not NULL) with ids after @after, by id.
 * Returns: (transfer full) (element-type EntsecDevice) */
GPtrArray    *entsec_storage_device_list (EntsecStorage *storage,
                                          const char    *user_id,
                                          const char    *after,
                                          guint          limit,
                                          GError       **error);
/*
 * Compare and set: store @device's state, last_seen, mismatches and policy
 * version and digest, and raise its revision by one, if the stored revision
 * is still @device->revision; *updated says whether it was (FALSE: another
 * request changed the device first; read it again).
 */
gboolean      entsec_storage_device_update (EntsecStorage      *storage,
                                            const EntsecDevice *device,
                                            gboolean           *updated,
                                            GError            **error);
/* The settings (JSON text) an admin wrote for @scope ("tenant", "user:ID",
 * "device:ID"); *settings is NULL when none. */
gboolean      entsec_storage_policy_get (EntsecStorage *storage,
                                         const char    *scope,
                                         char         **settings,
                                         GError       **error);
gboolean      entsec_storage_policy_set (EntsecStorage *storage,
                                         const char    *scope,
                                         const char    *settings,
                                         gint64         now,
                                         GError       **error);
/* A single-use nonce for @op on @device_id, valid until @expires. */
gboolean      entsec_storage_op_challenge_add (EntsecStorage *storage,
                                               const guint8  *nonce_sha256,
                                               const char    *device_id,
                                               const char    *op,
                                               gint64         expires,
                                               GError       **error);
/* Use up the nonce; *found is TRUE only for an unexpired one of this device and op. */
gboolean      entsec_storage_op_challenge_use (EntsecStorage *storage,
                                               const guint8  *nonce_sha256,
                                               const char    *device_id,
                                               const char    *op,
                                               gint64         now,
                                               gboolean      *found,
                                               GError       **error);
/* Record a pending event ("policy", "command", ...) with @body (JSON text)
 * for the events long-poll to serve. */
gboolean      entsec_storage_device_event_add (EntsecStorage *storage,
                                               const char    *device_id,
                                               const char    *type,
                                               const char    *body,
                                               gint64         now,
                                               GError       **error);
/* Up to @limit events of @device_id with seq > @after, oldest first.
 * Returns: (transfer full) (element-type EntsecDeviceEvent) */
GPtrArray    *entsec_storage_device_event_list (EntsecStorage *storage,
                                                const char    *device_id,
                                                gint64         after,
                                                guint          limit,
                                                GError       **error);
/* Seconds a device event is kept when its device does not acknowledge it (30 days). */
#define ENTSEC_STORAGE_EVENT_KEEP (30 * 24 * 3600)

/*
 * Delete the events of @device_id (nullable: none) with seq <= @through
 * (the device acknowledged them with its cursor), and the events of every
 * device created before @before (Unix seconds).
 */
gboolean      entsec_storage_device_events_prune (EntsecStorage *storage,
                                                  const char    *device_id,
                                                  gint64         through,
                                                  gint64         before,
                                                  GError       **error);
/* How many device events are stored, and when the oldest was made (0: none). */
gboolean      entsec_storage_device_events_stats (EntsecStorage *storage,
                                                  gint64        *count,
                                                  gint64        *oldest,
                                                  GError       **error);
/* The enabled user of the verified enrollment whose token has this digest;
 * *user_id is NULL, error unset, when there is none (free with g_free()). */
gboolean      entsec_storage_enrollment_token_user (EntsecStorage *storage,
                                                    const guint8  *token_sha256,
                                                    char         **user_id,
                                                    GError       **error);
/* Seconds a push delivery is kept past its push's expiry. */
#define ENTSEC_STORAGE_PUSH_KEEP 3600

/* Remember that push @push_id went to @device_id with @nonce and the SHA-256
 * of its JWS, until @expires (older deliveries are pruned as it goes). */
gboolean      entsec_storage_push_delivery_add (EntsecStorage *storage,
                                                const char    *push_id,
                                                const char    *device_id,
                                                const char    *nonce,
                                                const guint8  *push_sha256,
                                                gint64         expires,
                                                GError       **error);
/* The delivery of @push_id to @device_id: *found, and then *nonce (g_free())
 * and the 32 bytes of @push_sha256. */
gboolean      entsec_storage_push_delivery_get (EntsecStorage *storage,
                                                const char    *push_id,
                                                const char    *device_id,
                                                char         **nonce,
                                                guint8        *push_sha256,
                                                gboolean      *found,
                                                GError       **error);
/* Claim @token_id's seed for @device_id at @now: *claimed is TRUE only the
 * first time for a token (a seed is delivered once, to one device). */
gboolean      entsec_storage_token_delivery_claim (EntsecStorage *storage,
                                                   const char    *token_id,
                                                   const char    *device_id,
                                                   gint64         now,
                                                   gboolean      *claimed,
                                                   GError       **error);
/* The device @token_id's seed went to: *device_id (g_free()), NULL when none. */
gboolean      entsec_storage_token_delivery_get (EntsecStorage *storage,
                                                 const char    *token_id,
                                                 char         **device_id,
                                                 GError       **error);
/* Store a new pending command (its @acked and @result are ignored) and,
 * in the same transaction, its "command" device event with @event_body
 * (JSON text) at @command->created: a crash leaves both or neither. The
 * caller wakes the device's long-polls (entsec_device_event_add() does
 * for other events). */
gboolean      entsec_storage_command_add (EntsecStorage             *storage,
                                          const EntsecDeviceCommand *command,
                                          const char                *event_body,
                                          GError                   **error);
/* Acknowledge @command_id of @device_id with @result; *outcome says how it went. */
gboolean      entsec_storage_command_ack (EntsecStorage    *storage,
                                          const char       *device_id,
                                          const char       *command_id,
                                          const char       *result,
                                          gint64            now,
                                          EntsecCommandAck *outcome,
                                          GError          **error);
/* Every command of @device_id, oldest first.
 * Returns: (transfer full) (element-type EntsecDeviceCommand) */
GPtrArray    *entsec_storage_command_list (EntsecStorage *storage,
                                           const char    *device_id,
                                           GError       **error);
/* relying parties, tokens, push transactions (server-rp.c) */

/* %ENTSEC_SERVER_ERROR_CONFLICT when the name is taken. */
gboolean    entsec_storage_rp_create (EntsecStorage  *storage,
                                      const EntsecRp *rp,
                                      GError        **error);
/* Returns: (transfer full) (element-type EntsecRp): every RP, revoked ones too, by id. */
GPtrArray  *entsec_storage_rp_list (EntsecStorage *storage,
                                    GError       **error);
/* Marks the RP revoked at @now; *found is FALSE when it is unknown or already revoked. */
gboolean    entsec_storage_rp_revoke (EntsecStorage *storage,
                                      const char    *id,
                                      gint64         now,
                                      gboolean      *found,
                                      GError       **error);
gboolean    entsec_storage_token_create (EntsecStorage     *storage,
                                         const EntsecToken *token,
                                         GError           **error);
/* Returns: (transfer full) (nullable): NULL, error unset, when unknown. */
EntsecToken *entsec_storage_token_get (EntsecStorage *storage,
                                       const char    *id,
                                       GError       **error);
/* The tokens of @user_id (nullable: every token), oldest first.
 * Returns: (transfer full) (element-type EntsecToken) */
GPtrArray  *entsec_storage_token_list (EntsecStorage *storage,
                                       const char    *user_id,
                                       GError       **error);
/*
 * Compare and set: store @token's state, failures, locked_until and
 * last_step only while the stored ones still equal @expected's (same id);
 * *updated says whether they did (FALSE: another request got there first).
 * This is what makes a code acceptable once under concurrent requests.
 */
gboolean    entsec_storage_token_update (EntsecStorage     *storage,
                                         const EntsecToken *token,
                                         const EntsecToken *expected,
                                         gboolean          *updated,
                                         GError           **error);

/*
 * In one transaction: when @push->user_id's pushes are muted past
 * @push->created, store @push in state muted; otherwise, when the user has
 * @max_open pending unexpired transactions, store nothing and fail with
 * %ENTSEC_SERVER_ERROR_RATE_LIMITED (*@retry_after: seconds until the
 * first of them expires); otherwise store it pending.
 */
gboolean    entsec_storage_push_start (EntsecStorage *storage,
                                       EntsecPush    *push,
                                       guint          max_open,
                                       gint64        *retry_after,
                                       GError       **error);
/* Returns: (transfer full) (nullable): NULL, error unset, when unknown. */
EntsecPush *entsec_storage_push_get (EntsecStorage *storage,
                                     const char    *id,
                                     GError       **error);
/* Compare and set: @push's state, wrong_numbers, flagged, device_id and
 * deny_reason, only while the stored state and wrong_numbers are @expected's. */
gboolean    entsec_storage_push_update (EntsecStorage    *storage,
                                        const EntsecPush *push,
                                        const EntsecPush *expected,
                                        gboolean         *updated,
                                        GError          **error);
/* Mute @user_id's pushes until @until (never shortening a longer mute). */
gboolean    entsec_storage_push_mute (EntsecStorage *storage,
                                      const char    *user_id,
                                      gint64         until,
                                      GError       **error);

/* key rotation (server-storage-rotate.c) */

/* Every authority key, by @seq.
 * Returns: (transfer full) (element-type EntsecAuthorityKey) */
GPtrArray  *entsec_storage_authority_key_list (EntsecStorage *storage,
                                               GError       **error);
/* Store @key; %ENTSEC_SERVER_ERROR_CONFLICT when its seq or jkt is taken
 * (another rotation got there first). */
gboolean    entsec_storage_authority_key_add (EntsecStorage            *storage,
                                              const EntsecAuthorityKey *key,
                                              GError                  **error);
/* Store the sealed private half of key @seq, imported from its file, unless
 * the row has one already (another instance imported it first). */
gboolean    entsec_storage_authority_key_seal (EntsecStorage *storage,
                                               guint          seq,
                                               GBytes        *sealed_key,
                                               GError       **error);
/* The seq of the newest authority key into *@seq (0 when there is none):
 * one indexed read, cheap enough to check before signing. */
gboolean    entsec_storage_authority_key_head (EntsecStorage *storage,
                                               guint         *seq,
                                               GError       **error);
/*
 * Compare and set: store @device's key_jwk, key_jkt and key_epoch, and
 * raise its revision by one, if the stored revision is still
 * @device->revision; *updated says whether it was.
 * %ENTSEC_SERVER_ERROR_CONFLICT when another device has this key.
 */
gboolean    entsec_storage_device_rekey (EntsecStorage      *storage,
                                         const EntsecDevice *device,
                                         gboolean           *updated,
                                         GError            **error);

/* several instances on one database (server-storage-shared.c) */

/*
 * Take one token from the shared bucket @key, which holds @limit tokens
 * refilled evenly over @window seconds, at @now (entsec_rate_bucket_take()
 * in one atomic step for every instance); *@allowed, and when FALSE
 * *@retry_after seconds until the next token. Buckets full again are
 * pruned as it goes.
 */
gboolean    entsec_storage_ratelimit_take (EntsecStorage *storage,
                                           const char    *key,
                                           guint          limit,
                                           gint64         window,
                                           gint64         now,
                                           gboolean      *allowed,
                                           gint64        *retry_after,
                                           GError       **error);
/*
 * Call @wake (on a thread of the storage's) whenever any instance sharing
 * the database stores a device event, until entsec_storage_events_unlisten().
 * A backend that only this process uses listens to nothing and returns TRUE:
 * the process wakes its own waiters (entsec_device_event_add()).
 */
gboolean    entsec_storage_events_listen (EntsecStorage        *storage,
                                          EntsecStorageWakeFunc wake,
                                          gpointer              data,
                                          GError              **error);
/* Whether other processes may share the database (PostgreSQL), which is
 * when entsec_storage_events_listen() has something to listen to. */
gboolean    entsec_storage_is_shared (EntsecStorage *storage);
/* Stop listening; @wake is not called any more once it returns. */
void        entsec_storage_events_unlisten (EntsecStorage *storage);

G_END_DECLS
