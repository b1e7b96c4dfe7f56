/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-enterprise.h: the client's enterprise side (network errors, activation links) */
#pragma once

#if !defined(ENTSEC_INSIDE) && !defined(ENTSEC_COMPILATION)
#error "Only <entsec/entsec.h> can be included directly."
#endif

#include <gio/gio.h>

#include "entsec-macros.h"
#include "entsec-vault.h"

G_BEGIN_DECLS

/**
 * EntsecNetError:
 * @ENTSEC_NET_ERROR_INVALID_URL: the URL is not https://HOST[:PORT][/PATH]
 * @ENTSEC_NET_ERROR_RESOLVE: the server's host name does not resolve
 * @ENTSEC_NET_ERROR_CONNECT: nothing answers at the server's address and port
 * @ENTSEC_NET_ERROR_TIMEOUT: the server did not answer in time
 * @ENTSEC_NET_ERROR_UNTRUSTED: the certificate chain leads to no trusted CA (and no pin anchors it)
 * @ENTSEC_NET_ERROR_EXPIRED: the certificate expired or is not valid yet
 * @ENTSEC_NET_ERROR_WRONG_HOST: the certificate is for another host name
 * @ENTSEC_NET_ERROR_PIN_MISMATCH: the server's key matches none of the pins
 * @ENTSEC_NET_ERROR_TLS_VERSION: the server offers no TLS version from 1.2 up
 * @ENTSEC_NET_ERROR_TLS: any other TLS failure (a bad CA file, a broken handshake,
 *   libcurl missing or not built with OpenSSL)
 * @ENTSEC_NET_ERROR_REDIRECT: the server redirected to another origin
 * @ENTSEC_NET_ERROR_TOO_LARGE: the answer is over the size limit
 * @ENTSEC_NET_ERROR_BAD_RESPONSE: the answer is not what the protocol says
 * @ENTSEC_NET_ERROR_SERVER: the server refused or failed (a problem document with no code below)
 * @ENTSEC_NET_ERROR_RATE_LIMITED: too many attempts; the message says how long to wait
 * @ENTSEC_NET_ERROR_INVALID_CODE: the enrollment code is wrong or used up
 * @ENTSEC_NET_ERROR_ENROLLMENT_EXPIRED: the enrollment or token expired; start again
 * @ENTSEC_NET_ERROR_REVOKED: the server revoked, suspended or unbound this device
 * @ENTSEC_NET_ERROR_NOT_ENROLLED: this vault holds no enterprise registration
 * @ENTSEC_NET_ERROR_SIGNATURE: the server refused this device's request signature
 * @ENTSEC_NET_ERROR_CLOCK_SKEW: this computer's clock is more than 30 s off the server's
 * @ENTSEC_NET_ERROR_POLICY_INVALID: a policy not signed by the pinned authority key,
 *   not for this device or key, malformed, not valid yet or expired; the last good one stays
 * @ENTSEC_NET_ERROR_POLICY_ROLLBACK: a policy older than the one in force, or another
 *   policy under the same version; the last good one stays
 * @ENTSEC_NET_ERROR_CLIENT_TOO_OLD: the policy's `binding.min_client_version` is above
 *   this entsec's version: update entsec
 * @ENTSEC_NET_ERROR_FORBIDDEN: the policy does not allow what was asked (unbinding)
 * @ENTSEC_NET_ERROR_DEVICE_KEY_LOST: the device key was sealed under a key of the
 *   keyring, and the keyring no longer has it (the login keyring was reset or
 *   replaced): the device cannot sign; enroll it again (docs/security.md)
 *
 * Errors in the %ENTSEC_NET_ERROR domain; every message says what to do and
 * never holds a code, token or key.
 */
typedef enum
{
  ENTSEC_NET_ERROR_INVALID_URL,
  ENTSEC_NET_ERROR_RESOLVE,
  ENTSEC_NET_ERROR_CONNECT,
  ENTSEC_NET_ERROR_TIMEOUT,
  ENTSEC_NET_ERROR_UNTRUSTED,
  ENTSEC_NET_ERROR_EXPIRED,
  ENTSEC_NET_ERROR_WRONG_HOST,
  ENTSEC_NET_ERROR_PIN_MISMATCH,
  ENTSEC_NET_ERROR_TLS_VERSION,
  ENTSEC_NET_ERROR_TLS,
  ENTSEC_NET_ERROR_REDIRECT,
  ENTSEC_NET_ERROR_TOO_LARGE,
  ENTSEC_NET_ERROR_BAD_RESPONSE,
  ENTSEC_NET_ERROR_SERVER,
  ENTSEC_NET_ERROR_RATE_LIMITED,
  ENTSEC_NET_ERROR_INVALID_CODE,
  ENTSEC_NET_ERROR_ENROLLMENT_EXPIRED,
  ENTSEC_NET_ERROR_REVOKED,
  ENTSEC_NET_ERROR_NOT_ENROLLED,
  ENTSEC_NET_ERROR_SIGNATURE,
  ENTSEC_NET_ERROR_CLOCK_SKEW,
  ENTSEC_NET_ERROR_POLICY_INVALID,
  ENTSEC_NET_ERROR_POLICY_ROLLBACK,
  ENTSEC_NET_ERROR_CLIENT_TOO_OLD,
  ENTSEC_NET_ERROR_FORBIDDEN,
  ENTSEC_NET_ERROR_DEVICE_KEY_LOST,
} EntsecNetError;

#define ENTSEC_NET_ERROR (entsec_net_error_quark ())
/* Returns: the quark of the %ENTSEC_NET_ERROR domain. */
ENTSEC_EXPORT
GQuark entsec_net_error_quark (void);

/**
 * EntsecLinkError:
 * @ENTSEC_LINK_ERROR_SCHEME: not an entsec://enroll? link
 * @ENTSEC_LINK_ERROR_PARAMETER: a parameter is missing, repeated, unknown or out of order
 * @ENTSEC_LINK_ERROR_ENCODING: bad percent-encoding, or a value that is not UTF-8
 * @ENTSEC_LINK_ERROR_VALUE: a value breaks its rule (server not https, pin not sha256//...)
 *
 * Errors in the %ENTSEC_LINK_ERROR domain; every message names the parameter.
 */
typedef enum
{
  ENTSEC_LINK_ERROR_SCHEME,
  ENTSEC_LINK_ERROR_PARAMETER,
  ENTSEC_LINK_ERROR_ENCODING,
  ENTSEC_LINK_ERROR_VALUE,
} EntsecLinkError;

#define ENTSEC_LINK_ERROR (entsec_link_error_quark ())
/* Returns: the quark of the %ENTSEC_LINK_ERROR domain. */
ENTSEC_EXPORT
GQuark entsec_link_error_quark (void);

/**
 * EntsecActivationLink:
 * @server: the server's base URL, https://HOST[:PORT], no trailing slash
 * @tenant: the tenant name of discovery
 * @jkt: the RFC 7638 thumbprint of the authority key (43 base64url characters)
 * @pin: sha256// and the standard base64 SHA-256 of the server key's SPKI
 * @address: the user's email address or E.164 phone number
 *
 * An activation link (docs/protocol.md 8.9), decoded and checked.
 */
typedef struct
{
  char *server;
  char *tenant;
  char *jkt;
  char *pin;
  char *address;
} EntsecActivationLink;

/*
 * Parse an entsec://enroll? activation link (docs/protocol.md 8.9): the five
 * parameters in their order, each once, percent-decoded; white space around
 * the link is ignored.
 * Returns: (transfer full) (nullable): the link, or NULL with @error set
 *   (%ENTSEC_LINK_ERROR); free with entsec_activation_link_free().
 */
ENTSEC_EXPORT
EntsecActivationLink *entsec_activation_link_parse (const char  *link,
                                                    GError     **error) G_GNUC_WARN_UNUSED_RESULT;

/* Whether the link's address is an email address ("email") or a phone number ("sms"). */
ENTSEC_EXPORT
const char *entsec_activation_link_channel (const EntsecActivationLink *link);

/* Frees @link; NULL is ignored. */
ENTSEC_EXPORT
void entsec_activation_link_free (EntsecActivationLink *link);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecActivationLink, entsec_activation_link_free)

/* ---- Enrollment (docs/protocol.md 8.1-8.3) -------------------------------- */

/**
 * EntsecEnrollerOptions:
 * @server: the server's base URL, https://HOST[:PORT]
 * @ca_file: (nullable): PEM CA certificates to trust instead of the system store
 * @pins: (nullable): SPKI pins, "sha256//B64[;sha256//B64...]"
 * @pin_is_anchor: the pins stand in for a CA (an activation link's pin)
 * @authority_jkt: (nullable): the authority key's thumbprint received out of
 *   band; without it the key of the first discovery over verified TLS is
 *   trusted and recorded as such ("tofu")
 *
 * Where to enroll and how far to trust it; all borrowed, copied by
 * entsec_enroller_new().
 */
typedef struct
{
  const char *server;
  const char *ca_file;
  const char *pins;
  gboolean pin_is_anchor;
  const char *authority_jkt;
} EntsecEnrollerOptions;

/* One enrollment in progress: use it from one thread at a time. */
typedef struct _EntsecEnroller EntsecEnroller;

/*
 * Check @options (no network yet).
 * Returns: (transfer full) (nullable): free with entsec_enroller_free().
 */
ENTSEC_EXPORT
EntsecEnroller *entsec_enroller_new (const EntsecEnrollerOptions *options,
                                         GError                       **error);
/* The options an activation link carries (its pin is the trust anchor, its jkt pinned). */
ENTSEC_EXPORT
EntsecEnroller *entsec_enroller_new_for_link (const EntsecActivationLink *link,
                                                  const char                 *ca_file,
                                                  GError                    **error);
ENTSEC_EXPORT
void entsec_enroller_free (EntsecEnroller *enrollment);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecEnroller, entsec_enroller_free)

/*
 * Discovery (checked against the pinned thumbprint, if any), then
 * POST /v1/enroll/start: the server sends a code to @address over
 * @channel ("email" or "sms"). Blocking: the UI calls the _async form.
 */
ENTSEC_EXPORT
gboolean entsec_enroller_start_sync (EntsecEnroller *enrollment,
                                       const char       *channel,
                                       const char       *address,
                                       GCancellable     *cancellable,
                                       GError          **error);
ENTSEC_EXPORT
void     entsec_enroller_start_async (EntsecEnroller    *enrollment,
                                        const char          *channel,
                                        const char          *address,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
ENTSEC_EXPORT
gboolean entsec_enroller_start_finish (EntsecEnroller  *enrollment,
                                         GAsyncResult      *result,
                                         GError           **error);

/*
 * Read this device's claims under @root (its sys/, proc/ and etc/, no
 * permanent-address ioctl) instead of the real system; for tests with fake
 * devices. NULL: the real system.
 */
ENTSEC_EXPORT
void entsec_enroller_set_device_root (EntsecEnroller *enrollment,
                                      const char     *root);
/* (transfer none) (nullable): the address as the server shows it, after a start. */
ENTSEC_EXPORT
const char *entsec_enroller_get_masked_address (const EntsecEnroller *enrollment);

/*
 * With the code the user received: verify it, make the device key (P-256),
 * register the device (signed with keyid "jkt:<thumbprint>"), check the
 * registration and first policy JWS with the authority key, and store the
 * enterprise state in @vault (unlocked), encrypted like its other values.
 * A wrong code is %ENTSEC_NET_ERROR_INVALID_CODE. The code is wiped. A vault
 * enrolled already is refused (%G_IO_ERROR_EXISTS) unless its device key was
 * lost with the login keyring (`key_lost`): then the old enterprise data is
 * removed here once the new registration is in hand (the old device stays
 * on the server for the administrator to revoke).
 */
ENTSEC_EXPORT
gboolean entsec_enroller_complete_sync (EntsecEnroller *enrollment,
                                          EntsecVault      *vault,
                                          const char       *code,
                                          GCancellable     *cancellable,
                                          GError          **error);
ENTSEC_EXPORT
void     entsec_enroller_complete_async (EntsecEnroller    *enrollment,
                                           EntsecVault         *vault,
                                           const char          *code,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
ENTSEC_EXPORT
gboolean entsec_enroller_complete_finish (EntsecEnroller  *enrollment,
                                            GAsyncResult      *result,
                                            GError           **error);

/*
 * The two halves of entsec_enroller_complete_sync(), for an app that shows
 * what the device shares before it registers. Verify: the code (wiped; a
 * refusal by the server uses up one attempt, see
 * entsec_enroller_get_attempts_left()), then this device's claims are read
 * for entsec_enroller_get_shared(). Register: the device key, the
 * registration and the enterprise state in @vault, as complete does, with
 * the claims read at the verification; the verification is used up either
 * way (a failed registration starts over with a new code).
 */
ENTSEC_EXPORT
gboolean entsec_enroller_verify_sync (EntsecEnroller *enrollment,
                                      const char     *code,
                                      GCancellable   *cancellable,
                                      GError        **error);
ENTSEC_EXPORT
void     entsec_enroller_verify_async (EntsecEnroller      *enrollment,
                                       const char          *code,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
ENTSEC_EXPORT
gboolean entsec_enroller_verify_finish (EntsecEnroller  *enrollment,
                                        GAsyncResult    *result,
                                        GError         **error);
ENTSEC_EXPORT
gboolean entsec_enroller_register_sync (EntsecEnroller *enrollment,
                                        EntsecVault    *vault,
                                        GCancellable   *cancellable,
                                        GError        **error);
ENTSEC_EXPORT
void     entsec_enroller_register_async (EntsecEnroller      *enrollment,
                                         EntsecVault         *vault,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data);
ENTSEC_EXPORT
gboolean entsec_enroller_register_finish (EntsecEnroller  *enrollment,
                                          GAsyncResult    *result,
                                          GError         **error);

/* (transfer none): the server's base URL as given. */
ENTSEC_EXPORT
const char *entsec_enroller_get_server (const EntsecEnroller *enrollment);
/* (transfer none) (nullable): "email" or "sms", and the address, after a start. */
ENTSEC_EXPORT
const char *entsec_enroller_get_channel (const EntsecEnroller *enrollment);
ENTSEC_EXPORT
const char *entsec_enroller_get_address (const EntsecEnroller *enrollment);
/* Unix seconds after which the code is refused (the start's `expires_in`); 0 before a start. */
ENTSEC_EXPORT
gint64 entsec_enroller_get_expires_at (const EntsecEnroller *enrollment);
/* Unix seconds from which a new code may be asked for (the start's
 * `resend_after`); 0 before a start. */
ENTSEC_EXPORT
gint64 entsec_enroller_get_resend_at (const EntsecEnroller *enrollment);
/* The start's `max_attempts` less the codes the server refused since; -1
 * when the server did not say or before a start. */
ENTSEC_EXPORT
int entsec_enroller_get_attempts_left (const EntsecEnroller *enrollment);
/* The seconds the last %ENTSEC_NET_ERROR_RATE_LIMITED answer asked to wait
 * (its Retry-After), -1 when no call was rate limited since the start. */
ENTSEC_EXPORT
gint64 entsec_enroller_get_retry_after (const EntsecEnroller *enrollment);
/*
 * After a verification: what the registration will send, one
 * #EntsecDeviceShareItem per value (as entsec_device_describe() gives).
 * Returns: (transfer none) (nullable) (element-type EntsecDeviceShareItem):
 *   NULL before the verification.
 */
ENTSEC_EXPORT
GPtrArray *entsec_enroller_get_shared (const EntsecEnroller *enrollment);

/* The vault preference (a string) where an app keeps entsec_enroller_serialize()
 * so that an enrollment survives a restart; remove it when done or cancelled. */
#define ENTSEC_ENROLLMENT_PREF "enterprise.enrollment_in_progress"

/*
 * A started enrollment as JSON, to be kept encrypted (the vault's
 * preferences): server, trust options, channel, address, the server's
 * enrollment id, the start's client nonce, times and attempts; never a
 * code, token or key. Verification state is not kept.
 * Returns: (transfer full): free with g_free().
 */
ENTSEC_EXPORT
char *entsec_enroller_serialize (const EntsecEnroller *enrollment) G_GNUC_WARN_UNUSED_RESULT;
/*
 * The enrollment entsec_enroller_serialize() wrote, ready for a verify;
 * discovery runs again and must find the same authority key (or one its
 * rotation chain leads to).
 * Returns: (transfer full) (nullable): NULL with %ENTSEC_NET_ERROR_ENROLLMENT_EXPIRED
 *   when its code expired at @now (Unix seconds), %ENTSEC_NET_ERROR_BAD_RESPONSE
 *   when @text is not a saved enrollment.
 */
ENTSEC_EXPORT
EntsecEnroller *entsec_enroller_deserialize (const char  *text,
                                             gint64       now,
                                             GError     **error) G_GNUC_WARN_UNUSED_RESULT;

/**
 * EntsecEnterpriseDevice:
 * @server: the server's base URL (the issuer)
 * @device_id: the server's id of this device
 * @user_name: (nullable): the user's name as the server gave it
 * @authority_jkt: the authority key's thumbprint
 * @authority_trust: "pinned" (from a link or option) or "tofu" (first discovery)
 * @policy_version: the high-water mark of the policies accepted
 * @device_state: the state the last policy gave ("active", "suspended", ...)
 * @key_epoch: the device key's epoch: 1 at enrollment, one more per rekey
 * @key_lost: the device key was sealed under a key of the login keyring that
 *   is gone (the keyring was reset): the device cannot sign; enrolling again
 *   replaces this registration (%ENTSEC_NET_ERROR_DEVICE_KEY_LOST)
 *
 * The registration as stored in the vault; no key material.
 */
typedef struct
{
  char  *server;
  char  *device_id;
  char  *user_name;
  char  *authority_jkt;
  char  *authority_trust;
  gint64 policy_version;
  char  *device_state;
  gint64 key_epoch;
  gboolean key_lost;
} EntsecEnterpriseDevice;

/*
 * The registration stored in @vault (unlocked).
 * Returns: (transfer full) (nullable): NULL without @error when this vault
 *   is not enrolled; free with entsec_enterprise_device_free().
 */
ENTSEC_EXPORT
EntsecEnterpriseDevice *entsec_enterprise_device_load_sync (EntsecVault   *vault,
                                                            GCancellable  *cancellable,
                                                            GError       **error);
ENTSEC_EXPORT
void entsec_enterprise_device_free (EntsecEnterpriseDevice *device);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecEnterpriseDevice, entsec_enterprise_device_free)

/*
 * Replace this device's key (docs/protocol.md 8.17): a new P-256 key, an
 * op-challenge for "rekey", the new key's proof, then the new key and epoch
 * stored with the registration and the policy bound to the new key. The old
 * key is kept until a verified answer arrives; when the answer is lost the
 * new key stays pending and the next signed request that gets 401 asks the
 * server whether it took it. @vault must be unlocked; @now as for
 * entsec_enterprise_sync_sync().
 * Returns: the new key epoch, or 0 with @error (the server's refusal, as
 *   %ENTSEC_NET_ERROR, leaves the old key in use).
 */
ENTSEC_EXPORT
gint64 entsec_enterprise_device_rekey_sync (EntsecVault   *vault,
                                            gint64         now,
                                            GCancellable  *cancellable,
                                            GError       **error);
ENTSEC_EXPORT
void   entsec_enterprise_device_rekey_async (EntsecVault         *vault,
                                             gint64               now,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
ENTSEC_EXPORT
gint64 entsec_enterprise_device_rekey_finish (EntsecVault   *vault,
                                              GAsyncResult  *result,
                                              GError       **error);

/* ---- Heartbeat (docs/protocol.md 8.6) ---------------------------------------- */

/**
 * EntsecEnterpriseHeartbeat:
 * @binding: the server's comparison of the claims with the registration's:
 *   "ok" or "mismatch"
 * @action: the policy's `binding.on_mismatch` as the server applied it:
 *   "none", "warn", "lock" (the device suspended) or "wipe" (revoked)
 * @drifted: the claim fields that differ from those sent at registration
 *   (`dmi.product_name`, `macs[wlan0]`), empty when none
 * @policy_version: the server's policy version for this device
 * @policy_changed: a newer policy was fetched and came in force
 * @locked: the rule locked the vault
 * @wiped: the rule (or a revoking policy) removed the enterprise data
 * @interval: seconds until the next heartbeat is due (`sync.heartbeat`)
 * @clock_warning: (nullable): the clocks are more than 30 s apart
 *
 * One heartbeat and what it changed.
 */
typedef struct
{
  char    *binding;
  char    *action;
  char   **drifted;
  gint64   policy_version;
  gboolean policy_changed;
  gboolean locked;
  gboolean wiped;
  gint64   interval;
  char    *clock_warning;
} EntsecEnterpriseHeartbeat;

/*
 * Send this device's claims of now (the groups of the policy's
 * `binding.collect`, as HMACs under the tenant salt, read under
 * @device_root (nullable: the real system), see
 * entsec_enroller_set_device_root()) and compare them with the
 * registration's; the server's rule is carried out: "wipe" removes the
 * enterprise data, "lock" locks @vault after the newer policy (the device
 * suspended) is stored. @vault must be unlocked; @now as for
 * entsec_enterprise_sync_sync(). A vault enrolled before the claims were
 * kept fails with %G_IO_ERROR_NOT_SUPPORTED.
 * Returns: (transfer full) (nullable): free with entsec_enterprise_heartbeat_free().
 */
ENTSEC_EXPORT
EntsecEnterpriseHeartbeat *entsec_enterprise_heartbeat_sync (EntsecVault   *vault,
                                                             const char    *device_root,
                                                             gint64         now,
                                                             GCancellable  *cancellable,
                                                             GError       **error);
ENTSEC_EXPORT
void entsec_enterprise_heartbeat_async (EntsecVault         *vault,
                                        const char          *device_root,
                                        gint64               now,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
ENTSEC_EXPORT
EntsecEnterpriseHeartbeat *entsec_enterprise_heartbeat_finish (EntsecVault   *vault,
                                                               GAsyncResult  *result,
                                                               GError       **error);
ENTSEC_EXPORT
void entsec_enterprise_heartbeat_free (EntsecEnterpriseHeartbeat *heartbeat);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecEnterpriseHeartbeat, entsec_enterprise_heartbeat_free)

/*
 * What this device's heartbeats send now (docs/protocol.md 8.6): the groups
 * of the policy's `binding.collect` as HMACs under the tenant salt, read
 * under @device_root (nullable: the real system). No network; @vault
 * unlocked; blocks on small file reads (an app calls it in a thread).
 * @items: (out) (optional) (transfer full) (element-type EntsecDeviceShareItem):
 *   the same for a person, as entsec_device_describe() gives it
 * Returns: (transfer full) (nullable): the `device` JSON object (compact,
 *   sorted keys), or NULL with %ENTSEC_NET_ERROR_NOT_ENROLLED or
 *   %ENTSEC_VAULT_ERROR_LOCKED; free with g_free().
 */
ENTSEC_EXPORT
char *entsec_enterprise_describe_sync (EntsecVault   *vault,
                                       const char    *device_root,
                                       GPtrArray    **items,
                                       GCancellable  *cancellable,
                                       GError       **error) G_GNUC_WARN_UNUSED_RESULT;

/* ---- Policy and sync (docs/protocol.md 8.5, 8.15) -------------------------- */

/**
 * EntsecUnlockRequired:
 * @ENTSEC_UNLOCK_REQUIRED_NONE: the app may open without unlocking
 * @ENTSEC_UNLOCK_REQUIRED_PASSPHRASE: a passphrase unlocks the app
 * @ENTSEC_UNLOCK_REQUIRED_PIN: a PIN unlocks the app
 *
 * The policy's `app_unlock.required`.
 */
typedef enum
{
  ENTSEC_UNLOCK_REQUIRED_NONE,
  ENTSEC_UNLOCK_REQUIRED_PASSPHRASE,
  ENTSEC_UNLOCK_REQUIRED_PIN,
} EntsecUnlockRequired;

/**
 * EntsecEnterprisePolicy:
 * @version: the policy's `policy_version`
 * @issued_at, @not_before, @expires_at: its `iat`, `nbf` and `exp` (Unix seconds)
 * @device_state: "active", "suspended", "revoked" or "unbound"
 * @unlock_required: `app_unlock.required`
 * @min_pin_length: `app_unlock.min_length`, shortest passphrase or PIN
 * @max_attempts: `app_unlock.max_attempts`
 * @wipe_after_max_attempts: `app_unlock.after_max_attempts` is "wipe" (else "delay")
 * @relock_after_idle: `app_unlock.relock_after_idle`, seconds
 * @offline_block_after, @offline_wipe_after: `offline.*`, seconds
 * @allow_manual_add, @allow_qr_import, @allow_migration_import, @allow_export,
 *   @allow_user_delete: `tokens.*`
 * @min_digits: `tokens.min_digits`
 * @allow_copy: `clipboard.allow_copy`
 * @clipboard_clear_after: `clipboard.clear_after`, seconds (0: never)
 * @allow_user_unbind: `device.allow_user_unbind`
 * @policy_refresh: `sync.policy_refresh`, seconds
 * @settings_json: every setting as the policy holds it (a JSON object), for display
 *
 * The decisions of the policy in force, typed; the server's defaults fill
 * in every setting (docs/protocol.md 8.5).
 */
typedef struct
{
  gint64 version;
  gint64 issued_at;
  gint64 not_before;
  gint64 expires_at;
  char *device_state;
  EntsecUnlockRequired unlock_required;
  guint min_pin_length;
  guint max_attempts;
  gboolean wipe_after_max_attempts;
  guint relock_after_idle;
  gint64 offline_block_after;
  gint64 offline_wipe_after;
  gboolean allow_manual_add;
  gboolean allow_qr_import;
  gboolean allow_migration_import;
  gboolean allow_export;
  gboolean allow_user_delete;
  guint min_digits;
  gboolean allow_copy;
  guint clipboard_clear_after;
  gboolean allow_user_unbind;
  guint policy_refresh;
  char *settings_json;
} EntsecEnterprisePolicy;

/*
 * The policy in force in @vault (unlocked), checked again with the pinned
 * authority key.
 * Returns: (transfer full) (nullable): NULL without @error when the vault is
 *   not enrolled; free with entsec_enterprise_policy_free().
 */
ENTSEC_EXPORT
EntsecEnterprisePolicy *entsec_enterprise_policy_load_sync (EntsecVault   *vault,
                                                            GCancellable  *cancellable,
                                                            GError       **error);
ENTSEC_EXPORT
void entsec_enterprise_policy_free (EntsecEnterprisePolicy *policy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecEnterprisePolicy, entsec_enterprise_policy_free)

/**
 * EntsecEnterpriseSync:
 * @old_policy_version: the version in force before the sync
 * @policy_version: the version in force after it
 * @policy_changed: a newer policy came in force
 * @device_state: (nullable): the state the policy in force gives
 * @wiped: the server revoked this device: its enterprise data is gone
 * @added: (element-type utf8): the display names of the managed accounts added
 * @clock_warning: (nullable): the clocks are more than 30 s apart: what it
 *   breaks and how to fix it
 *
 * What one sync changed; personal accounts never appear here.
 */
typedef struct
{
  gint64 old_policy_version;
  gint64 policy_version;
  gboolean policy_changed;
  char *device_state;
  gboolean wiped;
  GPtrArray *added;
  char *clock_warning;
} EntsecEnterpriseSync;

/*
 * Fetch and check the policy, then receive the tokens provisioned for this
 * device (stored as managed accounts and acknowledged with their current
 * code). @now: the time to sign and check with, Unix seconds (0: the real
 * clock). A rejected policy fails with %ENTSEC_NET_ERROR_POLICY_INVALID or
 * %ENTSEC_NET_ERROR_POLICY_ROLLBACK and the last good one stays in force.
 * Returns: (transfer full) (nullable): free with entsec_enterprise_sync_free().
 */
ENTSEC_EXPORT
EntsecEnterpriseSync *entsec_enterprise_sync_sync (EntsecVault   *vault,
                                                   gint64         now,
                                                   GCancellable  *cancellable,
                                                   GError       **error);
ENTSEC_EXPORT
void     entsec_enterprise_sync_async (EntsecVault         *vault,
                                       gint64               now,
                                       GCancellable        *cancellable,
                                       GAsyncReadyCallback  callback,
                                       gpointer             user_data);
ENTSEC_EXPORT
EntsecEnterpriseSync *entsec_enterprise_sync_finish (EntsecVault   *vault,
                                                     GAsyncResult  *result,
                                                     GError       **error);
ENTSEC_EXPORT
void entsec_enterprise_sync_free (EntsecEnterpriseSync *sync);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecEnterpriseSync, entsec_enterprise_sync_free)

/* ---- Offline grace, status and unbinding (docs/protocol.md 8.5, 8.7) ------- */

/**
 * EntsecOfflineState:
 * @ENTSEC_OFFLINE_OK: the server was reached recently enough (or the vault is not enrolled)
 * @ENTSEC_OFFLINE_BLOCKED: out of touch longer than `offline.block_after`: the
 *   codes of managed accounts are refused (%ENTSEC_VAULT_ERROR_OFFLINE) until a sync
 * @ENTSEC_OFFLINE_WIPED: out of touch longer than `offline.wipe_after`: the
 *   enterprise data was removed
 *
 * Where a device stands in its offline grace, counted from the last time a
 * policy was fetched (or found unchanged) from its server.
 */
typedef enum
{
  ENTSEC_OFFLINE_OK,
  ENTSEC_OFFLINE_BLOCKED,
  ENTSEC_OFFLINE_WIPED,
} EntsecOfflineState;

/*
 * Apply the offline grace at @now (Unix seconds, 0: the real clock): past
 * `offline.wipe_after` the enterprise data is removed, as for a revoked
 * device. No network. *@state gets where the device stands.
 */
ENTSEC_EXPORT
gboolean entsec_enterprise_offline_check_sync (EntsecVault        *vault,
                                               gint64              now,
                                               EntsecOfflineState *state,
                                               GCancellable       *cancellable,
                                               GError            **error);

/**
 * EntsecEnterpriseStatus:
 * @server, @tenant, @device_id: the registration
 * @user_name: (nullable): the user's name as the server gave it
 * @state: "active", "suspended", "revoked" or "unbound"
 * @state_from_server: @state is the server's answer now (else the stored policy's)
 * @contact_error: (nullable): why the server could not be asked
 * @wiped: the server revoked the device during this call: its enterprise data is gone
 * @policy_version, @policy_expires_at: the policy in force
 * @last_contact: the server's last answer (0: never): a policy fetched or found
 *   unchanged, or an events poll (the worker's, kept with its state, so known
 *   while the vault is locked)
 * @last_sync: when the last full sync (policy and tokens) ended (0: never)
 * @pending_approvals: sign-in requests waiting for an answer
 * @skew: the server's clock minus ours, in seconds (with @skew_known)
 * @clock_warning: (nullable): the clocks are more than 30 s apart: what it breaks
 * @offline: where the device stands in its offline grace
 * @offline_block_at, @offline_wipe_at: when codes get blocked and the data wiped (0: never)
 * @key_in_keyring: the device key is sealed under its own key in the keyring, so the
 *   events worker runs while the vault is locked; FALSE: the keyring is not available,
 *   the key is in the vault's data and the worker needs the vault unlocked
 * @key_problem: (nullable): without @key_in_keyring, why (no keyring reachable,
 *   the keyring locked so no key protection was made, ...) and what to do
 * @vault_locked: the vault was locked: only what needs no data key is filled
 *   in (registration, device key, @last_contact, @pending_approvals); the
 *   server is not asked, the policy and offline grace are not read
 * @registered_at: when the server signed the registration in force (enrollment, or
 *   the last rekey); 0: not known
 *
 * What `entsec-cli status` shows.
 */
typedef struct
{
  char *server;
  char *tenant;
  char *device_id;
  char *user_name;
  char *state;
  gboolean state_from_server;
  char *contact_error;
  gboolean wiped;
  gint64 policy_version;
  gint64 policy_expires_at;
  gint64 last_contact;
  gint64 last_sync;
  guint pending_approvals;
  gboolean skew_known;
  gint64 skew;
  char *clock_warning;
  EntsecOfflineState offline;
  gint64 offline_block_at;
  gint64 offline_wipe_at;
  gboolean key_in_keyring;
  char *key_problem;
  gboolean vault_locked;
  gint64 registered_at;
} EntsecEnterpriseStatus;

/*
 * The device's status at @now (0: the real clock). With @contact the server
 * is asked for the policy (its state; a contact that renews the offline
 * grace; a revoked device is wiped); a server that cannot be reached is no
 * error (@contact_error says why). The offline grace is then applied. A
 * locked @vault (its device key in the keyring) gives what it can without
 * the data key (@vault_locked).
 * Returns: (transfer full) (nullable): NULL with %ENTSEC_NET_ERROR_NOT_ENROLLED
 *   when the vault is not enrolled (or was wiped: see
 *   entsec_enterprise_remote_wipe_get_sync()), %ENTSEC_NET_ERROR_DEVICE_KEY_LOST
 *   when its device key went with the login keyring; free with
 *   entsec_enterprise_status_free().
 */
ENTSEC_EXPORT
EntsecEnterpriseStatus *entsec_enterprise_status_sync (EntsecVault   *vault,
                                                       gint64         now,
                                                       gboolean       contact,
                                                       GCancellable  *cancellable,
                                                       GError       **error);
ENTSEC_EXPORT
void entsec_enterprise_status_free (EntsecEnterpriseStatus *status);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecEnterpriseStatus, entsec_enterprise_status_free)

/**
 * EntsecRemoteWipe:
 * @ordered_at: when the server signed the wipe command (its `iat`, Unix seconds)
 * @received_at: when this device carried out its first part (this device's clock)
 * @completed_at: when the rest was removed, 0 while it waits for the next unlock
 *
 * A wipe the enterprise server ordered (docs/protocol.md 8.8). The device
 * key, the keyring's key protecting it and the events worker's state are
 * destroyed at once, locked or not; the managed accounts and enterprise
 * settings are under the vault's data key, so a wipe that arrives while the
 * vault is locked removes them at the next unlock, before any account is
 * loaded. What the app and `entsec-cli` show: "Your organisation wiped this
 * device on DATE". Kept until the device is enrolled again.
 *
 * The same record, with @reason %ENTSEC_WIPE_FAILED_UNLOCKS and @ordered_at
 * 0, stands for the wipe a policy's `app_unlock.after_max_attempts` "wipe"
 * carries out at the last wrong unlock it allows (docs/security.md).
 */
typedef enum
{
  ENTSEC_WIPE_ORDERED,
  ENTSEC_WIPE_FAILED_UNLOCKS,
} EntsecWipeReason;

typedef struct
{
  gint64           ordered_at;
  gint64           received_at;
  gint64           completed_at;
  EntsecWipeReason reason;
} EntsecRemoteWipe;

/*
 * The remote wipe recorded in @vault, locked or not (no secret: a plain row).
 * Returns: (transfer full) (nullable): NULL without @error when there was
 *   none; free with g_free().
 */
ENTSEC_EXPORT
EntsecRemoteWipe *entsec_enterprise_remote_wipe_get_sync (EntsecVault   *vault,
                                                          GCancellable  *cancellable,
                                                          GError       **error);
/* The same in a worker thread, for the app (NULL without error: none). */
ENTSEC_EXPORT
void              entsec_enterprise_remote_wipe_get_async (EntsecVault         *vault,
                                                           GCancellable        *cancellable,
                                                           GAsyncReadyCallback  callback,
                                                           gpointer             user_data);
ENTSEC_EXPORT
EntsecRemoteWipe *entsec_enterprise_remote_wipe_get_finish (EntsecVault   *vault,
                                                            GAsyncResult  *result,
                                                            GError       **error);

/**
 * EntsecUnbindReceipt:
 * @server, @device_id: the registration that was given up
 * @issued_at: the receipt's `iat`
 * @receipt: the receipt JWS as the server signed it (no secret)
 *
 * The server's signed word that this device is unbound.
 */
typedef struct
{
  char *server;
  char *device_id;
  gint64 issued_at;
  char *receipt;
} EntsecUnbindReceipt;

/*
 * Unbind this device (docs/protocol.md 8.7): an op-challenge for "unbind",
 * then POST .../unbind with its nonce; the receipt is checked with the
 * pinned authority key, then the enterprise data is removed (managed
 * accounts, device key, policy, preferences, the keyring's items); personal
 * accounts stay. A policy without `device.allow_user_unbind` is
 * %ENTSEC_NET_ERROR_FORBIDDEN, asked of nobody. @now: 0 for the real clock.
 * Returns: (transfer full) (nullable): free with entsec_unbind_receipt_free().
 */
ENTSEC_EXPORT
EntsecUnbindReceipt *entsec_enterprise_unbind_sync (EntsecVault   *vault,
                                                    gint64         now,
                                                    GCancellable  *cancellable,
                                                    GError       **error);
ENTSEC_EXPORT
void entsec_unbind_receipt_free (EntsecUnbindReceipt *receipt);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecUnbindReceipt, entsec_unbind_receipt_free)

/* ---- Deleting all local data -------------------------------------------------- */

/**
 * EntsecDeleteReport:
 * @was_enrolled: the vault was enrolled with an enterprise server
 * @server, @device_id: (nullable): its registration, when enrolled
 * @unbound: the server confirmed the unbind with a signed receipt
 * @server_problem: (nullable): enrolled and not @unbound: why the server was
 *   not told (unreachable, the policy forbids unbinding, ...); it keeps the
 *   device until an administrator removes it
 *
 * What entsec_enterprise_delete_all_data_sync() did besides deleting.
 */
typedef struct
{
  gboolean was_enrolled;
  char *server;
  char *device_id;
  gboolean unbound;
  char *server_problem;
} EntsecDeleteReport;

/*
 * Delete all local data of @vault: an enrolled device is unbound first when
 * the server can be reached and allows it (with @vault unlocked; a locked
 * vault does not ask the server), then everything goes whatever the server
 * said: the vault file with every account (personal ones too), its settings,
 * the enrollment in progress and the device key, and the keyring's items
 * (entsec_vault_delete_sync()). @now: 0 for the real clock. A cancel before
 * the file is set aside deletes nothing.
 * Returns: (transfer full) (nullable): free with entsec_delete_report_free().
 */
ENTSEC_EXPORT
EntsecDeleteReport *entsec_enterprise_delete_all_data_sync (EntsecVault   *vault,
                                                            gint64         now,
                                                            GCancellable  *cancellable,
                                                            GError       **error);
ENTSEC_EXPORT
void entsec_enterprise_delete_all_data_async (EntsecVault         *vault,
                                              gint64               now,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
/* Returns: (transfer full) (nullable): as entsec_enterprise_delete_all_data_sync(). */
ENTSEC_EXPORT
EntsecDeleteReport *entsec_enterprise_delete_all_data_finish (EntsecVault   *vault,
                                                              GAsyncResult  *result,
                                                              GError       **error);
ENTSEC_EXPORT
void entsec_delete_report_free (EntsecDeleteReport *report);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecDeleteReport, entsec_delete_report_free)

G_END_DECLS
