/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-device-session.h: signed calls of an enrolled device to its server
 * (docs/protocol.md 8.4), not installed
 */
#pragma once

#include <jansson.h>
#include <openssl/evp.h>

#include <entsec/entsec.h>

#include "entsec-crypto.h"
#include "entsec-http.h"

G_BEGIN_DECLS

/* Beyond this many seconds between the server's Date and our clock, say so. */
#define ENTSEC_DEVICE_SESSION_MAX_SKEW 30

/* The enterprise state of an unlocked vault, ready to sign requests. */
typedef struct _EntsecDeviceSession EntsecDeviceSession;

/*
 * Load the server, trust, device id and key, and the authority key from
 * @vault: unlocked, or locked when the device key is in the keyring (see
 * ENTSEC_LOCKED_DEVICE; otherwise %ENTSEC_VAULT_ERROR_LOCKED). @now is the
 * time requests are signed with (Unix seconds; 0 reads the real clock at
 * each call).
 * Returns: (transfer full) (nullable): NULL with %ENTSEC_NET_ERROR_NOT_ENROLLED
 *   when the vault holds no registration; free with entsec_device_session_free().
 */
EntsecDeviceSession *entsec_device_session_new (EntsecVault   *vault,
                                                gint64         now,
                                                GCancellable  *cancellable,
                                                GError       **error);
void entsec_device_session_free (EntsecDeviceSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecDeviceSession, entsec_device_session_free)

/*
 * Where the device key lives (entsec-device-locked.c, docs/privacy.md):
 * with a keyring, sealed under a random device KEK held there, in the
 * vault's locked row ENTSEC_LOCKED_DEVICE (with what a session needs:
 * server, trust, device id, authority key, key epoch), so that a session
 * loads while the vault is locked; the events worker's state is kept in
 * locked rows too. Without a keyring, in the vault's preferences, and a
 * session needs the vault unlocked. An unlocked vault moves a key still in
 * its preferences to the locked row as soon as the keyring can take it.
 */
#define ENTSEC_LOCKED_DEVICE "enterprise.device"
/* The events worker's state: locked rows with a device KEK, preferences without. */
#define ENTSEC_WORKER_STATE_NAMES                                                     \
  ENTSEC_PREF_EVENTS_CURSOR, ENTSEC_PREF_PENDING_PUSHES, ENTSEC_PREF_COMMANDS_DONE,    \
  ENTSEC_PREF_PENDING_ACKS, ENTSEC_LOCKED_SYNC_DUE, ENTSEC_LOCKED_LAST_POLL

/**
 * EntsecKekOutcome:
 * @ENTSEC_KEK_FOUND: the keyring gave the device KEK (or took a new one)
 * @ENTSEC_KEK_NO_KEYRING: no Secret Service answers (or its search failed)
 * @ENTSEC_KEK_ITEM_LOCKED: the vault's KEK item exists but is locked
 * @ENTSEC_KEK_COLLECTION_LOCKED: no item, and the default collection is locked: none made
 * @ENTSEC_KEK_ABSENT: no item, and none was to be made
 * @ENTSEC_KEK_REFUSED: no item, and the keyring did not store a new one
 */
typedef enum
{
  ENTSEC_KEK_FOUND,
  ENTSEC_KEK_NO_KEYRING,
  ENTSEC_KEK_ITEM_LOCKED,
  ENTSEC_KEK_COLLECTION_LOCKED,
  ENTSEC_KEK_ABSENT,
  ENTSEC_KEK_REFUSED,
} EntsecKekOutcome;

/*
 * The device KEK of @vault from the keyring, made and stored when absent
 * and @create. Never prompts, never unlocks the keyring. *@outcome
 * (nullable) says how it went.
 * Returns: (transfer full) (nullable): NULL when the keyring is unreachable,
 *   locked or holds none; free with entsec_secure_bytes_free().
 */
EntsecSecureBytes *entsec_device_kek_get (EntsecVault      *vault,
                                          gboolean          create,
                                          EntsecKekOutcome *outcome);
/* (nullable): why the device key is not under a keyring KEK, for a person; NULL for FOUND. */
const char        *entsec_device_kek_problem (EntsecKekOutcome outcome);
/* Remove @vault's device KEK from the keyring (nothing when there is none). */
void               entsec_device_kek_clear (EntsecVault *vault);
/*
 * The locked row @name opened with @kek (AES-256-GCM, the vault id and
 * @name as associated data). Returns: (transfer full) (nullable): NULL
 * without @error when absent; free with entsec_secure_bytes_free().
 */
EntsecSecureBytes *entsec_device_locked_read (EntsecVault             *vault,
                                              const EntsecSecureBytes *kek,
                                              const char              *name,
                                              GCancellable            *cancellable,
                                              GError                 **error);
/* Seal @text (nullable: remove the row) under @kek into the locked row @name. */
gboolean           entsec_device_locked_write (EntsecVault             *vault,
                                               const EntsecSecureBytes *kek,
                                               const char              *name,
                                               const char              *text,
                                               GCancellable            *cancellable,
                                               GError                 **error);

/*
 * A wipe's part of the locked rows: the device key's row and the worker's
 * state's rows removed, then the device KEK from the keyring.
 */
gboolean     entsec_device_session_forget_locked (EntsecDeviceSession *session,
                                                  GCancellable        *cancellable,
                                                  GError             **error);
/* Whether the session's device key is sealed under the keyring's KEK (not in the prefs). */
gboolean     entsec_device_session_get_key_in_keyring (EntsecDeviceSession *session);
/* (nullable): why it is not (entsec_device_kek_problem()), NULL when it is. */
const char  *entsec_device_session_get_key_problem (EntsecDeviceSession *session);
/*
 * Whether @vault's device key was sealed under a keyring KEK that the
 * keyring (reachable, unlocked) no longer holds: the login keyring was reset
 * (docs/security.md). The enrollment cannot sign any more.
 */
gboolean     entsec_device_key_lost (EntsecVault  *vault,
                                     GCancellable *cancellable);
/*
 * The events worker's state @name (a JSON value): in a locked row when the
 * key is in the keyring, else in the preference @name. @empty (taken) when
 * absent. Returns: (transfer full) (nullable): NULL with @error set.
 */
json_t      *entsec_device_session_load_state (EntsecDeviceSession *session,
                                               const char          *name,
                                               json_t              *empty,
                                               GCancellable        *cancellable,
                                               GError             **error);
/* Store @value (borrowed; NULL removes it) as the state @name, where _load_state() reads it. */
gboolean     entsec_device_session_store_state (EntsecDeviceSession *session,
                                                const char          *name,
                                                json_t              *value,
                                                GCancellable        *cancellable,
                                                GError             **error);

/* (transfer none): the vault the session was loaded from. */
EntsecVault *entsec_device_session_get_vault (EntsecDeviceSession *session);
/* (transfer none): the issuer, the device id, the device key's thumbprint. */
const char  *entsec_device_session_get_issuer (EntsecDeviceSession *session);
const char  *entsec_device_session_get_device_id (EntsecDeviceSession *session);
const char  *entsec_device_session_get_key_jkt (EntsecDeviceSession *session);
/* The device key's epoch (1 at registration, + 1 per rekey) and (transfer none) the key. */
gint64       entsec_device_session_get_key_epoch (EntsecDeviceSession *session);
EVP_PKEY    *entsec_device_session_get_key (EntsecDeviceSession *session);
/* Store the private @key as a JWK in the vault preference @name. */
gboolean     entsec_device_session_store_key (EVP_PKEY     *key,
                                              EntsecVault  *vault,
                                              const char   *name,
                                              GCancellable *cancellable,
                                              GError      **error);
/*
 * A rekey (docs/protocol.md 8.17) keeps @new_key in the vault as pending
 * before it asks the server, so that a lost answer can be recovered: while
 * a key is pending, a request refused with 401 asks (GET .../policy signed
 * by the pending key at the next epoch) whether the server took it, and if
 * so stores it and sends the request again with it.
 */
gboolean     entsec_device_session_begin_rekey (EntsecDeviceSession *session,
                                                EVP_PKEY            *new_key,
                                                GCancellable        *cancellable,
                                                GError             **error);
/*
 * The server's answer is known: @taken stores the pending key and the next
 * epoch and signs with them from now on; otherwise the pending key is
 * dropped and the current one stays.
 */
gboolean     entsec_device_session_end_rekey (EntsecDeviceSession *session,
                                              gboolean             taken,
                                              GCancellable        *cancellable,
                                              GError             **error);
/* (transfer none): the pinned authority public key. */
EVP_PKEY    *entsec_device_session_get_authority (EntsecDeviceSession *session);
/* (transfer none): its RFC 7638 thumbprint. */
const char  *entsec_device_session_get_authority_jkt (EntsecDeviceSession *session);
/*
 * Pin @key (reached along the rotation chain, docs/protocol.md 8.16): the
 * vault's authority key and thumbprint, and the session's from now on.
 */
gboolean     entsec_device_session_pin_authority (EntsecDeviceSession *session,
                                                  EVP_PKEY            *key,
                                                  GCancellable        *cancellable,
                                                  GError             **error);
/* Take @key (pinned in the vault already) as the session's authority key. */
void         entsec_device_session_adopt_authority (EntsecDeviceSession *session,
                                                    EVP_PKEY            *key);
/* The time requests are signed with (the injected one, or the real clock). */
gint64       entsec_device_session_now (EntsecDeviceSession *session);

/*
 * Sign and send @method to "<issuer>/v1/devices/<id><@path>" (or to
 * "<issuer><@path>" when @path starts with "/v1/") with @body
 * (nullable JSON text) and the extra header lines @headers (nullable,
 * NULL-terminated). The answer comes back whatever its status; its Date
 * updates the measured skew. NULL with an %ENTSEC_NET_ERROR error for a
 * transport failure.
 */
EntsecHttpResponse *entsec_device_session_send (EntsecDeviceSession *session,
                                                const char          *method,
                                                const char          *path,
                                                const char          *body,
                                                const char * const  *headers,
                                                GError             **error);

/*
 * TRUE for a 2xx answer; otherwise FALSE with the %ENTSEC_NET_ERROR its
 * problem maps to, or %ENTSEC_NET_ERROR_CLOCK_SKEW when the server refused
 * the signature and the clocks are more than 30 s apart.
 */
gboolean entsec_device_session_check (EntsecDeviceSession      *session,
                                      const EntsecHttpResponse *response,
                                      GError                  **error);

/* As _send() then _check(), the 2xx body parsed as a JSON object. */
json_t *entsec_device_session_call_json (EntsecDeviceSession *session,
                                         const char          *method,
                                         const char          *path,
                                         const char          *body,
                                         const char          *what,
                                         GError             **error);

/*
 * The last answer's Date minus our clock, in seconds (0 before any answer
 * with a Date). Returns: (transfer full) (nullable): a warning saying what a
 * skew over ENTSEC_DEVICE_SESSION_MAX_SKEW breaks and how to fix it, or NULL.
 */
gint64 entsec_device_session_get_skew (EntsecDeviceSession *session);
/* Whether an answer with a Date came, so the skew was measured. */
gboolean entsec_device_session_get_skew_known (EntsecDeviceSession *session);
char  *entsec_device_session_dup_clock_warning (EntsecDeviceSession *session);

G_END_DECLS
