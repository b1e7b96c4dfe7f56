/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-vault.h: the encrypted store of accounts and preferences.
 *
 * One SQLite file per profile. Every sensitive value is AES-256-GCM under a
 * random data key (DEK); the DEK is wrapped by key slots (Secret Service
 * keyring, passphrase through Argon2id, recovery key). See docs/security.md.
 *
 * Threads: an EntsecVault may be used from any thread. Calls that touch the
 * file (every _sync call) are serialised by an internal mutex and never hold
 * it while waiting for a person, a KDF or the keyring. What a UI shows is
 * read without waiting: entsec_vault_is_unlocked(), entsec_vault_is_busy(),
 * entsec_vault_list_accounts(), entsec_vault_list_slots(), the "locked" and
 * "busy" properties and the accounts model, all notified on the main
 * context of the thread that opened or created the vault. The UI calls the
 * _async variants; the CLI and tests may call _sync.
 *
 * Several programs may have one vault open at once (the app and
 * entsec-cli): readers never wait, writers wait for each other (a few
 * seconds at most), and a change made by one is read by the others before
 * their next write, at their next call, or at once where a file monitor
 * runs (entsec_vault_get_accounts_model()).
 */
#pragma once

#if !defined(ENTSEC_INSIDE) && !defined(ENTSEC_COMPILATION)
#error "Only <entsec/entsec.h> can be included directly."
#endif

#include <gio/gio.h>

#include "entsec-account.h"
#include "entsec-macros.h"

G_BEGIN_DECLS

/**
 * EntsecVaultError:
 * @ENTSEC_VAULT_ERROR_NOT_FOUND: there is no vault at that path (run init)
 * @ENTSEC_VAULT_ERROR_EXISTS: create: a file exists at that path already
 * @ENTSEC_VAULT_ERROR_IN_USE: another program kept the vault busy writing for
 *   more than a few seconds; nothing was changed, retry
 * @ENTSEC_VAULT_ERROR_CORRUPT: the file is damaged or was tampered with; it
 *   was not modified
 * @ENTSEC_VAULT_ERROR_VERSION: the file was written by a newer entsec
 * @ENTSEC_VAULT_ERROR_BAD_PASSPHRASE: wrong passphrase, recovery key or PIN
 *   (for a PIN the message says how many attempts are left)
 * @ENTSEC_VAULT_ERROR_NEEDS_PASSPHRASE: the keyring slot cannot be used
 *   (keyring missing, locked, unreachable, or its item was deleted) and the
 *   vault has a passphrase slot: ask for the passphrase
 * @ENTSEC_VAULT_ERROR_KEYRING: the keyring cannot be used and there is no
 *   passphrase slot; the message names the problem and the fix
 * @ENTSEC_VAULT_ERROR_NO_SLOT: the vault has no slot of the kind asked for
 * @ENTSEC_VAULT_ERROR_LAST_SLOT: removing this slot would leave no slot that
 *   is known to open the vault (none at all, or only keyring slots whose
 *   keyring cannot be used right now); nothing was changed
 * @ENTSEC_VAULT_ERROR_LOCKED: the vault must be unlocked first (also when it
 *   locked itself because another program changed its keys)
 * @ENTSEC_VAULT_ERROR_DUPLICATE: an account with the same issuer and label
 *   exists; nothing was written
 * @ENTSEC_VAULT_ERROR_NO_ACCOUNT: no account (or preference) with that id/name
 * @ENTSEC_VAULT_ERROR_IO: the disk refused the write (full, read-only,
 *   permissions) or the file cannot be read (permission denied); nothing was
 *   changed
 * @ENTSEC_VAULT_ERROR_INVALID: an argument was rejected (invalid account,
 *   preference of another type, bad KDF parameters)
 * @ENTSEC_VAULT_ERROR_REPLACED: the vault file was moved, replaced or deleted
 *   while open; nothing was written (reopen it)
 * @ENTSEC_VAULT_ERROR_ROLLBACK: keyring unlock: the file is older than the
 *   state the keyring last saw (an old copy was put back); nothing was loaded.
 *   Unlocking with the passphrase or recovery key accepts the file
 * @ENTSEC_VAULT_ERROR_PIN_LOCKED_OUT: the PIN cannot unlock the vault any
 *   more (too many wrong PINs, or its keyring key is gone): ask for the
 *   passphrase, then a new PIN may be set
 * @ENTSEC_VAULT_ERROR_OFFLINE: the code of a managed (enterprise) account is
 *   blocked: the device has not reached its enterprise server for longer than
 *   the policy's `offline.block_after`; a sync unblocks it
 * @ENTSEC_VAULT_ERROR_UNLOCK_DELAYED: an enterprise policy's
 *   `app_unlock.max_attempts` was reached: no passphrase, recovery key or PIN
 *   is tried until the wait the message names has passed (it was not counted)
 * @ENTSEC_VAULT_ERROR_UNLOCK_WIPED: a wrong passphrase, recovery key or PIN
 *   reached the policy's `app_unlock.max_attempts` with `after_max_attempts`
 *   "wipe": this device's enterprise data was wiped (personal accounts stay)
 *
 * Errors in the %ENTSEC_VAULT_ERROR domain. Messages never contain secrets.
 */
typedef enum
{
  ENTSEC_VAULT_ERROR_NOT_FOUND,
  ENTSEC_VAULT_ERROR_EXISTS,
  ENTSEC_VAULT_ERROR_IN_USE,
  ENTSEC_VAULT_ERROR_CORRUPT,
  ENTSEC_VAULT_ERROR_VERSION,
  ENTSEC_VAULT_ERROR_BAD_PASSPHRASE,
  ENTSEC_VAULT_ERROR_NEEDS_PASSPHRASE,
  ENTSEC_VAULT_ERROR_KEYRING,
  ENTSEC_VAULT_ERROR_NO_SLOT,
  ENTSEC_VAULT_ERROR_LAST_SLOT,
  ENTSEC_VAULT_ERROR_LOCKED,
  ENTSEC_VAULT_ERROR_DUPLICATE,
  ENTSEC_VAULT_ERROR_NO_ACCOUNT,
  ENTSEC_VAULT_ERROR_IO,
  ENTSEC_VAULT_ERROR_INVALID,
  ENTSEC_VAULT_ERROR_REPLACED,
  ENTSEC_VAULT_ERROR_ROLLBACK,
  ENTSEC_VAULT_ERROR_PIN_LOCKED_OUT,
  ENTSEC_VAULT_ERROR_OFFLINE,
  ENTSEC_VAULT_ERROR_UNLOCK_DELAYED,
  ENTSEC_VAULT_ERROR_UNLOCK_WIPED,
} EntsecVaultError;

#define ENTSEC_VAULT_ERROR (entsec_vault_error_quark ())
ENTSEC_EXPORT
GQuark entsec_vault_error_quark (void);

/*
 * The file format this library writes (PRAGMA user_version). Format 3 adds
 * the locked rows (entsec_vault_set_locked_row_sync()); its encryption is
 * that of format 2.
 */
#define ENTSEC_VAULT_FORMAT_VERSION 3
/* Length of a recovery key in bytes (shown to the user as Base32). */
#define ENTSEC_VAULT_RECOVERY_KEY_SIZE 32

typedef enum
{
  ENTSEC_VAULT_SLOT_KEYRING = 1,
  ENTSEC_VAULT_SLOT_PASSPHRASE = 2,
  ENTSEC_VAULT_SLOT_RECOVERY = 3,
  ENTSEC_VAULT_SLOT_PIN = 4,
} EntsecVaultSlotType;

/*
 * A quick-unlock PIN: ASCII digits only, this many of them. The minimum is
 * what a future policy may raise; the attempts are wrong PINs in a row
 * before the PIN slot is destroyed and the passphrase is required.
 */
#define ENTSEC_VAULT_PIN_MIN_LENGTH 4
#define ENTSEC_VAULT_PIN_MAX_LENGTH 12
#define ENTSEC_VAULT_PIN_MAX_ATTEMPTS 5

/**
 * EntsecVaultSlotInfo:
 * @id: slot id (for entsec_vault_remove_slot_sync())
 * @type: what unlocks it
 * @kdf: passphrase and PIN slots: the stored Argon2id costs; zero otherwise
 *
 * What the slot table says, readable while the vault is locked.
 */
typedef struct
{
  gint64               id;
  EntsecVaultSlotType  type;
  EntsecKdfParams kdf;
} EntsecVaultSlotInfo;

/**
 * EntsecVaultQuarantined:
 * @id: the account row that failed to load
 * @reason: why (never contains secret data)
 *
 * An account row that did not decrypt or validate. The row is preserved in
 * the file, untouched, and the other accounts load normally.
 */
typedef struct
{
  gint64 id;
  char  *reason;
} EntsecVaultQuarantined;

ENTSEC_EXPORT
void entsec_vault_quarantined_free (EntsecVaultQuarantined *item);

/**
 * EntsecVaultAddFlags:
 * @ENTSEC_VAULT_ADD_NONE: any duplicate fails the whole batch (nothing added)
 * @ENTSEC_VAULT_ADD_SKIP_DUPLICATES: duplicates are left out and reported,
 *   the others are added (still in one transaction)
 */
typedef enum
{
  ENTSEC_VAULT_ADD_NONE = 0,
  ENTSEC_VAULT_ADD_SKIP_DUPLICATES = 1 << 0,
} EntsecVaultAddFlags;

#define ENTSEC_TYPE_VAULT (entsec_vault_get_type ())
/* Exported explicitly; G_DECLARE_FINAL_TYPE below repeats this declaration. */
ENTSEC_EXPORT
GType entsec_vault_get_type (void);
G_DECLARE_FINAL_TYPE (EntsecVault, entsec_vault, ENTSEC, VAULT, GObject)

/* ---- Paths and process hardening ---------------------------------------- */

/* $XDG_DATA_HOME/entsec/PROFILE.db ("default" when @profile is NULL). */
ENTSEC_EXPORT
char *entsec_vault_default_path (const char *profile);

/*
 * Whether writing @path would replace the vault at @vault_path or one of the
 * files SQLite keeps beside it (-wal, -shm, -journal, .lock): the same file
 * when @path exists, else the same path once folders and links are resolved.
 * Exports check this before they write. Never waits on more than stat().
 */
ENTSEC_EXPORT
gboolean entsec_vault_path_is_vault_file (const char *vault_path,
                                          const char *path);

/* prctl(PR_SET_DUMPABLE, 0) and RLIMIT_CORE 0; call at startup. */
ENTSEC_EXPORT
gboolean entsec_vault_harden_process (GError **error);

/* Costs that take about @target_ms here (blocks about that long). */
ENTSEC_EXPORT
gboolean entsec_vault_calibrate_kdf_sync (guint            target_ms,
                                          EntsecKdfParams *params,
                                          GError         **error);
ENTSEC_EXPORT
void     entsec_vault_calibrate_kdf_async (guint               target_ms,
                                           GCancellable       *cancellable,
                                           GAsyncReadyCallback callback,
                                           gpointer            user_data);
ENTSEC_EXPORT
gboolean entsec_vault_calibrate_kdf_finish (GAsyncResult    *result,
                                            EntsecKdfParams *params,
                                            GError         **error);

/* ---- Create, open, unlock, lock ----------------------------------------- */

/*
 * Create a new vault at @path (parent dir made 0700, file 0600) with a fresh
 * DEK and the slots asked for: a keyring slot when @use_keyring, a
 * passphrase slot when @passphrase is not NULL (@kdf NULL = calibrate to
 * ~500 ms). At least one is required. The vault reports changes on the
 * calling thread's main context.
 * @passphrase: (nullable) (array length=passphrase_len): copied, not kept.
 * @kdf: (nullable): Argon2id costs.
 * Returns: (transfer full) (nullable): the vault, unlocked; free with
 *   g_object_unref() (the last unref closes the file).
 */
ENTSEC_EXPORT
EntsecVault *entsec_vault_create_sync (const char            *path,
                                       gboolean               use_keyring,
                                       const char            *passphrase,
                                       gsize                  passphrase_len,
                                       const EntsecKdfParams *kdf,
                                       GCancellable          *cancellable,
                                       GError               **error) G_GNUC_WARN_UNUSED_RESULT;

/* entsec_vault_create_sync() in a worker thread (KDF calibration, keyring); the
 * passphrase and @kdf are copied. The vault reports changes on the context
 * this is called on. _finish: (transfer full) (nullable). */
ENTSEC_EXPORT
void         entsec_vault_create_async (const char            *path,
                                        gboolean               use_keyring,
                                        const char            *passphrase,
                                        gsize                  passphrase_len,
                                        const EntsecKdfParams *kdf,
                                        GCancellable          *cancellable,
                                        GAsyncReadyCallback    callback,
                                        gpointer               user_data);
ENTSEC_EXPORT
EntsecVault *entsec_vault_create_finish (GAsyncResult *result,
                                         GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * Open the vault at @path, locked: checks the file's structure and reads
 * the slot table. Never writes to the file. Opens read-only when the file,
 * its folder or the file system cannot be written (entsec_vault_is_read_only():
 * codes can be read, nothing saved). The vault reports changes on the
 * calling thread's main context (_async: the context _async was called on).
 * Returns: (transfer full): the vault, or NULL with @error set.
 */
ENTSEC_EXPORT
EntsecVault *entsec_vault_open_sync (const char   *path,
                                     GCancellable *cancellable,
                                     GError      **error) G_GNUC_WARN_UNUSED_RESULT;
ENTSEC_EXPORT
void         entsec_vault_open_async (const char         *path,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
ENTSEC_EXPORT
EntsecVault *entsec_vault_open_finish (GAsyncResult *result,
                                       GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * Unlock with the keyring slot. A missing/locked/unreachable keyring fails
 * with NEEDS_PASSPHRASE (passphrase slot exists) or KEYRING; the file is
 * never written and no key is created.
 */
ENTSEC_EXPORT
gboolean entsec_vault_unlock_keyring_sync (EntsecVault  *vault,
                                           GCancellable *cancellable,
                                           GError      **error);
ENTSEC_EXPORT
void     entsec_vault_unlock_keyring_async (EntsecVault        *vault,
                                            GCancellable       *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer            user_data);
ENTSEC_EXPORT
gboolean entsec_vault_unlock_keyring_finish (EntsecVault  *vault,
                                             GAsyncResult *result,
                                             GError      **error);

/* Unlock with the passphrase (UTF-8 bytes as given, no terminator). */
ENTSEC_EXPORT
gboolean entsec_vault_unlock_passphrase_sync (EntsecVault  *vault,
                                              const char   *passphrase,
                                              gsize         passphrase_len,
                                              GCancellable *cancellable,
                                              GError      **error);
/* The passphrase is copied (and wiped after use). */
ENTSEC_EXPORT
void     entsec_vault_unlock_passphrase_async (EntsecVault        *vault,
                                               const char         *passphrase,
                                               gsize               passphrase_len,
                                               GCancellable       *cancellable,
                                               GAsyncReadyCallback callback,
                                               gpointer            user_data);
ENTSEC_EXPORT
gboolean entsec_vault_unlock_passphrase_finish (EntsecVault  *vault,
                                                GAsyncResult *result,
                                                GError      **error);

/* Unlock with a recovery key (its Base32 text, spaces and dashes ignored). */
ENTSEC_EXPORT
gboolean entsec_vault_unlock_recovery_sync (EntsecVault  *vault,
                                            const char   *recovery_key,
                                            GCancellable *cancellable,
                                            GError      **error);
/* The key text is copied (and wiped after use). */
ENTSEC_EXPORT
void     entsec_vault_unlock_recovery_async (EntsecVault        *vault,
                                             const char         *recovery_key,
                                             GCancellable       *cancellable,
                                             GAsyncReadyCallback callback,
                                             gpointer            user_data);
ENTSEC_EXPORT
gboolean entsec_vault_unlock_recovery_finish (EntsecVault  *vault,
                                              GAsyncResult *result,
                                              GError      **error);

/* Wrong passphrases/recovery keys given to this vault object so far. */
ENTSEC_EXPORT
guint entsec_vault_get_failed_unlocks (EntsecVault *vault);

/**
 * EntsecUnlockLimitAction:
 * @ENTSEC_UNLOCK_LIMIT_NONE: no enterprise policy limits wrong unlocks
 * @ENTSEC_UNLOCK_LIMIT_DELAY: from the limit on, each wrong unlock makes the
 *   next one wait (ENTSEC_UNLOCK_DELAY_FIRST seconds, doubling, at most
 *   ENTSEC_UNLOCK_DELAY_MAX)
 * @ENTSEC_UNLOCK_LIMIT_WIPE: the wrong unlock that reaches the limit wipes
 *   this device's enterprise data (as a remote wipe does)
 *
 * What an enterprise policy's `app_unlock.after_max_attempts` does
 * (docs/security.md, "Wrong unlocks").
 */
typedef enum
{
  ENTSEC_UNLOCK_LIMIT_NONE,
  ENTSEC_UNLOCK_LIMIT_DELAY,
  ENTSEC_UNLOCK_LIMIT_WIPE,
} EntsecUnlockLimitAction;

/* The delay schedule: the first wait, in seconds, and its cap. */
#define ENTSEC_UNLOCK_DELAY_FIRST 30
#define ENTSEC_UNLOCK_DELAY_MAX 3600

/**
 * EntsecVaultUnlockLimit:
 * @action: what the limit does, %ENTSEC_UNLOCK_LIMIT_NONE without a policy
 * @max_attempts: the policy's `app_unlock.max_attempts` (0 without one)
 * @failed: wrong unlocks since the last right one, as stored in the vault
 * @attempts_left: wrong unlocks left before @action (0 once reached)
 * @wait: seconds before the next attempt is tried (0: now)
 * @next_wait: %ENTSEC_UNLOCK_LIMIT_DELAY: the wait the next wrong unlock
 *   brings, 0 when it brings none
 *
 * The unlock limit of a vault, read while it is locked.
 */
typedef struct
{
  EntsecUnlockLimitAction action;
  guint                   max_attempts;
  guint                   failed;
  guint                   attempts_left;
  gint64                  wait;
  gint64                  next_wait;
} EntsecVaultUnlockLimit;

/*
 * The unlock limit of @vault (a read of its plain rows, locked or not; no
 * limit in a vault without an enterprise policy) at the vault's clock.
 */
ENTSEC_EXPORT
gboolean entsec_vault_get_unlock_limit_sync (EntsecVault            *vault,
                                             EntsecVaultUnlockLimit *limit,
                                             GCancellable           *cancellable,
                                             GError                **error);
ENTSEC_EXPORT
void     entsec_vault_get_unlock_limit_async (EntsecVault        *vault,
                                              GCancellable       *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer            user_data);
ENTSEC_EXPORT
gboolean entsec_vault_get_unlock_limit_finish (EntsecVault            *vault,
                                               GAsyncResult           *result,
                                               EntsecVaultUnlockLimit *limit,
                                               GError                **error);

/* Unix seconds, for tests that move time. */
typedef gint64 (*EntsecVaultClockFunc) (gpointer user_data);
/*
 * The clock the unlock limit reads (NULL: the real one); @user_data must
 * outlive the vault or the next call. For tests.
 */
ENTSEC_EXPORT
void entsec_vault_set_clock (EntsecVault         *vault,
                             EntsecVaultClockFunc clock,
                             gpointer             user_data);

/* Never waits (the "locked" property is its opposite, notified on the main context). */
ENTSEC_EXPORT
gboolean entsec_vault_is_unlocked (EntsecVault *vault);
/* An _async call on this vault is running (the "busy" property). Never waits. */
ENTSEC_EXPORT
gboolean entsec_vault_is_busy (EntsecVault *vault);
/* Opened read-only: reading works, every change fails with IO. Never waits. */
ENTSEC_EXPORT
gboolean entsec_vault_is_read_only (EntsecVault *vault);

/*
 * Read what another program committed since this vault last looked (every
 * call does this itself; a UI calls it when told the file changed).
 * *@changed: whether anything was read. If the other program changed the
 * vault's keys (new passphrase, removed slot) the vault locks itself.
 */
ENTSEC_EXPORT
gboolean entsec_vault_refresh_sync (EntsecVault  *vault,
                                    gboolean     *changed,
                                    GCancellable *cancellable,
                                    GError      **error);
ENTSEC_EXPORT
void     entsec_vault_refresh_async (EntsecVault        *vault,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
ENTSEC_EXPORT
gboolean entsec_vault_refresh_finish (EntsecVault  *vault,
                                      GAsyncResult *result,
                                      gboolean     *changed,
                                      GError      **error);

/*
 * Wipe the DEK and every decrypted value from memory and checkpoint the WAL
 * into the file (best effort: never waits for another program's readers).
 * The vault stays open (and locked) until the last unref.
 */
ENTSEC_EXPORT
void entsec_vault_lock_sync (EntsecVault *vault);
/* entsec_vault_lock_sync() in a worker thread (the checkpoint syncs the disk); not cancellable. */
ENTSEC_EXPORT
void     entsec_vault_lock_async (EntsecVault        *vault,
                                  GCancellable       *cancellable,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data);
ENTSEC_EXPORT
gboolean entsec_vault_lock_finish (EntsecVault  *vault,
                                   GAsyncResult *result,
                                   GError      **error);

ENTSEC_EXPORT
const char *entsec_vault_get_path (EntsecVault *vault);
/*
 * A stable name of this vault (hex SHA-256 of its random id), for keyring
 * items and associated data that must not fit another vault.
 * Returns: (transfer full): free with g_free().
 */
ENTSEC_EXPORT
char *entsec_vault_dup_id (EntsecVault *vault);

/*
 * Locked rows (format 3): bytes other parts of entsec keep in the vault file
 * and read or write while the vault is locked, such as the device key sealed
 * under a key of the keyring. The vault stores them as given, outside its
 * encryption and its index: the caller seals them and binds them to the
 * vault (entsec_vault_dup_id()). @name: 1 to 64 printable ASCII characters.
 * Returns: (transfer full) (nullable): the row's bytes; NULL without @error
 *   when there is no such row (or the file predates format 3).
 */
ENTSEC_EXPORT
GBytes  *entsec_vault_get_locked_row_sync (EntsecVault  *vault,
                                           const char   *name,
                                           GCancellable *cancellable,
                                           GError      **error);
/*
 * Write the locked row @name (@data NULL: remove it) in its own transaction,
 * locked or not. A file older than format 3 fails with
 * %ENTSEC_VAULT_ERROR_LOCKED until an unlock has upgraded it.
 */
ENTSEC_EXPORT
gboolean entsec_vault_set_locked_row_sync (EntsecVault  *vault,
                                           const char   *name,
                                           GBytes       *data,
                                           GCancellable *cancellable,
                                           GError      **error);
/*
 * Write the locked rows @names (NULL-terminated) to @values (a NULL value
 * removes its row) in one transaction, locked or not: all of them or none.
 */
ENTSEC_EXPORT
gboolean entsec_vault_set_locked_rows_sync (EntsecVault        *vault,
                                            const char * const *names,
                                            GBytes            **values,
                                            GCancellable       *cancellable,
                                            GError            **error);

/* ---- Deleting --------------------------------------------------------------- */

/*
 * Delete @vault and everything of it on this computer: the file (with
 * SQLite's -wal, -shm and -journal files) and its keyring items (the
 * keyring slot's key, the PIN's secret, the generation, the device key's
 * protection). Backup files exported elsewhere are not touched. The vault
 * is locked and closed first; afterwards @vault is dead (its calls fail).
 * The file is set aside before anything else goes, so a deletion cut short
 * leaves nothing that opens; entsec_vault_finish_delete_sync() finishes it.
 * Errors: IN_USE, IO (nothing deleted yet, or the rest could not be
 * deleted), KEYRING (the file is gone, its keyring items are not: the
 * keyring is locked or cannot be reached). Once the file is set aside
 * @cancellable is no longer looked at.
 */
ENTSEC_EXPORT
gboolean entsec_vault_delete_sync (EntsecVault  *vault,
                                   GCancellable *cancellable,
                                   GError      **error);
ENTSEC_EXPORT
void     entsec_vault_delete_async (EntsecVault        *vault,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            user_data);
ENTSEC_EXPORT
gboolean entsec_vault_delete_finish (EntsecVault  *vault,
                                     GAsyncResult *result,
                                     GError      **error);

/*
 * Finish the deletions of vaults once at @path that were cut short: the
 * keyring items and files they left. Works with no vault at @path (a new
 * one there is not touched). @n_finished: (out) (optional): how many.
 * KEYRING when the keyring is locked or cannot be reached (run it again
 * where it can).
 */
ENTSEC_EXPORT
gboolean entsec_vault_finish_delete_sync (const char   *path,
                                          guint        *n_finished,
                                          GCancellable *cancellable,
                                          GError      **error);

/* ---- Accounts ------------------------------------------------------------- */

/*
 * The accounts as a list shows them, without secrets: favourites first,
 * then by position. Empty while locked. Never waits.
 * Returns: (transfer container) (element-type EntsecAccountSummary): free
 *   with g_ptr_array_unref().
 */
ENTSEC_EXPORT
GPtrArray *entsec_vault_list_accounts (EntsecVault *vault) G_GNUC_WARN_UNUSED_RESULT;

/*
 * The same list as a GListModel kept up to date on the vault's main context
 * (also with changes made by other programs: a file monitor watches the
 * vault). Call on that context only.
 * Returns: (transfer none): the model, owned by @vault.
 */
ENTSEC_EXPORT
GListModel *entsec_vault_get_accounts_model (EntsecVault *vault);

/*
 * Account @id with its secret: for editing, export and showing its QR code
 * only (a list uses summaries; a code comes from entsec_vault_compute_code_sync()).
 * Returns: (transfer full) (nullable): the account (free with
 *   entsec_account_free(), which wipes the secret), or NULL with NO_ACCOUNT / LOCKED.
 */
ENTSEC_EXPORT
EntsecAccount *entsec_vault_get_account_sync (EntsecVault  *vault,
                                              gint64        id,
                                              GCancellable *cancellable,
                                              GError      **error) G_GNUC_WARN_UNUSED_RESULT;
ENTSEC_EXPORT
void           entsec_vault_get_account_async (EntsecVault        *vault,
                                               gint64              id,
                                               GCancellable       *cancellable,
                                               GAsyncReadyCallback callback,
                                               gpointer            user_data);
/* Returns: (transfer full) (nullable): as entsec_vault_get_account_sync(). */
ENTSEC_EXPORT
EntsecAccount *entsec_vault_get_account_finish (EntsecVault  *vault,
                                                GAsyncResult *result,
                                                GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * Every account with its secret, in list order: for export only.
 * Returns: (transfer full) (element-type EntsecAccount) (nullable): free
 *   with g_ptr_array_unref() (wipes the secrets); NULL with LOCKED.
 */
ENTSEC_EXPORT
GPtrArray *entsec_vault_export_accounts_sync (EntsecVault  *vault,
                                              GCancellable *cancellable,
                                              GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * Rows that did not load. Never waits.
 * Returns: (transfer full) (element-type EntsecVaultQuarantined): copies.
 */
ENTSEC_EXPORT
GPtrArray *entsec_vault_list_quarantined (EntsecVault *vault) G_GNUC_WARN_UNUSED_RESULT;

/*
 * Add @accounts ((transfer none) (element-type EntsecAccount), not
 * modified) in one transaction: all or nothing. Every account is validated
 * first. A duplicate issuer+label (against the vault as it is at the time of
 * the write, or within the batch) fails the whole batch with DUPLICATE
 * unless %ENTSEC_VAULT_ADD_SKIP_DUPLICATES, which leaves them out.
 * @added_ids: (out) (optional) (transfer full) (element-type gint64): the new
 *   ids, in the order of the accounts added.
 * @skipped: (out) (optional) (transfer full) (element-type EntsecAccount):
 *   copies of the duplicates left out.
 */
ENTSEC_EXPORT
gboolean entsec_vault_add_accounts_sync (EntsecVault        *vault,
                                         GPtrArray          *accounts,
                                         EntsecVaultAddFlags flags,
                                         GArray            **added_ids,
                                         GPtrArray         **skipped,
                                         GCancellable       *cancellable,
                                         GError            **error);
ENTSEC_EXPORT
void     entsec_vault_add_accounts_async (EntsecVault        *vault,
                                          GPtrArray          *accounts,
                                          EntsecVaultAddFlags flags,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
/* @accounts is copied. @added_ids and @skipped as for the _sync call. */
ENTSEC_EXPORT
gboolean entsec_vault_add_accounts_finish (EntsecVault  *vault,
                                          GAsyncResult *result,
                                          GArray      **added_ids,
                                          GPtrArray   **skipped,
                                          GError      **error);

/*
 * Replace the stored account with the id @account->id (every field,
 * including favourite, group, notes, position and counter). A new
 * issuer+label that another account has fails with DUPLICATE.
 */
ENTSEC_EXPORT
gboolean entsec_vault_update_account_sync (EntsecVault         *vault,
                                           const EntsecAccount *account,
                                           GCancellable        *cancellable,
                                           GError             **error);

/* The account is copied. */
ENTSEC_EXPORT
void     entsec_vault_update_account_async (EntsecVault         *vault,
                                            const EntsecAccount *account,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
ENTSEC_EXPORT
gboolean entsec_vault_update_account_finish (EntsecVault  *vault,
                                             GAsyncResult *result,
                                             GError      **error);

/* Delete account @id (or a quarantined row @id). */
ENTSEC_EXPORT
gboolean entsec_vault_delete_account_sync (EntsecVault  *vault,
                                           gint64        id,
                                           GCancellable *cancellable,
                                           GError      **error);
ENTSEC_EXPORT
void     entsec_vault_delete_account_async (EntsecVault        *vault,
                                            gint64              id,
                                            GCancellable       *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer            user_data);
ENTSEC_EXPORT
gboolean entsec_vault_delete_account_finish (EntsecVault  *vault,
                                             GAsyncResult *result,
                                             GError      **error);

/* Give the accounts @ids[0..n_ids-1] positions 0..n_ids-1, in one transaction. */
ENTSEC_EXPORT
gboolean entsec_vault_reorder_sync (EntsecVault  *vault,
                                    const gint64 *ids,
                                    gsize         n_ids,
                                    GCancellable *cancellable,
                                    GError      **error);
/* @ids is copied. */
ENTSEC_EXPORT
void     entsec_vault_reorder_async (EntsecVault        *vault,
                                     const gint64       *ids,
                                     gsize               n_ids,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
ENTSEC_EXPORT
gboolean entsec_vault_reorder_finish (EntsecVault  *vault,
                                      GAsyncResult *result,
                                      GError      **error);

/*
 * The code of account @id: for TOTP and Steam the one valid at @now (Unix
 * seconds), for HOTP the next one, whose incremented counter is committed to
 * disk BEFORE the code is returned (in the same write that read the counter,
 * so no two programs ever show the same code). @code gets
 * ENTSEC_OTP_CODE_SIZE bytes (NUL-terminated); wipe it after use. A managed
 * account past its offline grace (the enterprise side keeps the limit in the
 * preference "enterprise.offline_block_at") is %ENTSEC_VAULT_ERROR_OFFLINE.
 */
ENTSEC_EXPORT
gboolean entsec_vault_compute_code_sync (EntsecVault  *vault,
                                         gint64        id,
                                         gint64        now,
                                         char          code[ENTSEC_OTP_CODE_SIZE],
                                         GCancellable *cancellable,
                                         GError      **error) G_GNUC_WARN_UNUSED_RESULT;
ENTSEC_EXPORT
void     entsec_vault_compute_code_async (EntsecVault        *vault,
                                          gint64              id,
                                          gint64              now,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
ENTSEC_EXPORT
gboolean entsec_vault_compute_code_finish (EntsecVault  *vault,
                                           GAsyncResult *result,
                                           char          code[ENTSEC_OTP_CODE_SIZE],
                                           GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/* ---- Encrypted preferences ------------------------------------------------ */

/*
 * Typed key-value preferences; names and values are both encrypted. @value
 * must be of type "s", "x" (int64), "b" or "ay" (blob). Setting replaces.
 */
ENTSEC_EXPORT
gboolean  entsec_vault_set_pref_sync (EntsecVault  *vault,
                                      const char   *name,
                                      GVariant     *value,
                                      GCancellable *cancellable,
                                      GError      **error);
/*
 * Returns: (transfer full) (nullable): the value, or NULL when not set (no
 *   error) or on error (LOCKED).
 */
ENTSEC_EXPORT
GVariant *entsec_vault_get_pref_sync (EntsecVault  *vault,
                                      const char   *name,
                                      GCancellable *cancellable,
                                      GError      **error);
ENTSEC_EXPORT
gboolean  entsec_vault_remove_pref_sync (EntsecVault  *vault,
                                         const char   *name,
                                         GCancellable *cancellable,
                                         GError      **error);
/*
 * Set (or, for a NULL value, remove) the preferences @names[i] to
 * @values[i] in one transaction: all or none (several values that belong
 * together, such as a policy and its version). @names is NULL-terminated;
 * @values has as many entries, floating ones are sunk. Every value is
 * checked before anything is written.
 */
ENTSEC_EXPORT
gboolean  entsec_vault_set_prefs_sync (EntsecVault        *vault,
                                       const char * const *names,
                                       GVariant          **values,
                                       GCancellable       *cancellable,
                                       GError            **error);

/*
 * The three above in a worker thread (the UI must not wait for the vault's
 * mutex or the disk). @name is copied; a floating @value is sunk.
 */
ENTSEC_EXPORT
void      entsec_vault_set_pref_async (EntsecVault        *vault,
                                       const char         *name,
                                       GVariant           *value,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
ENTSEC_EXPORT
gboolean  entsec_vault_set_pref_finish (EntsecVault  *vault,
                                        GAsyncResult *result,
                                        GError      **error);
ENTSEC_EXPORT
void      entsec_vault_get_pref_async (EntsecVault        *vault,
                                       const char         *name,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
/* Returns: (transfer full) (nullable): as entsec_vault_get_pref_sync(). */
ENTSEC_EXPORT
GVariant *entsec_vault_get_pref_finish (EntsecVault  *vault,
                                        GAsyncResult *result,
                                        GError      **error);
ENTSEC_EXPORT
void      entsec_vault_remove_pref_async (EntsecVault        *vault,
                                          const char         *name,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
ENTSEC_EXPORT
gboolean  entsec_vault_remove_pref_finish (EntsecVault  *vault,
                                           GAsyncResult *result,
                                           GError      **error);

/* Typed conveniences over the _sync calls above (they block; the UI uses the _async ones). */
ENTSEC_EXPORT
gboolean entsec_vault_set_string_sync (EntsecVault *vault,
                                       const char  *name,
                                       const char  *value,
                                       GError     **error);
ENTSEC_EXPORT
gboolean entsec_vault_set_int_sync (EntsecVault *vault,
                                    const char  *name,
                                    gint64       value,
                                    GError     **error);
ENTSEC_EXPORT
gboolean entsec_vault_set_boolean_sync (EntsecVault *vault,
                                        const char  *name,
                                        gboolean     value,
                                        GError     **error);
ENTSEC_EXPORT
gboolean entsec_vault_set_blob_sync (EntsecVault *vault,
                                     const char  *name,
                                     GBytes      *value,
                                     GError     **error);
/*
 * NULL / @fallback when not set (no error); an error (INVALID) when of
 * another type. Returns: (transfer full) (nullable) for strings and blobs.
 */
ENTSEC_EXPORT
char    *entsec_vault_get_string_sync (EntsecVault *vault,
                                       const char  *name,
                                       GError     **error);
ENTSEC_EXPORT
gint64   entsec_vault_get_int_sync (EntsecVault *vault,
                                    const char  *name,
                                    gint64       fallback,
                                    GError     **error);
ENTSEC_EXPORT
gboolean entsec_vault_get_boolean_sync (EntsecVault *vault,
                                        const char  *name,
                                        gboolean     fallback,
                                        GError     **error);
ENTSEC_EXPORT
GBytes  *entsec_vault_get_blob_sync (EntsecVault *vault,
                                     const char  *name,
                                     GError     **error);

/* ---- Key slots ------------------------------------------------------------ */

/*
 * The slot table (readable while locked; never waits).
 * Returns: (transfer full) (array length=n_slots): terminated by a zeroed
 *   entry; free with g_free().
 */
ENTSEC_EXPORT
EntsecVaultSlotInfo *entsec_vault_list_slots (EntsecVault *vault,
                                              gsize       *n_slots);

/* Add a keyring slot: a new random KEK stored in the Secret Service first. */
ENTSEC_EXPORT
gboolean entsec_vault_add_keyring_slot_sync (EntsecVault  *vault,
                                             GCancellable *cancellable,
                                             GError      **error);
ENTSEC_EXPORT
void     entsec_vault_add_keyring_slot_async (EntsecVault        *vault,
                                              GCancellable       *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer            user_data);
ENTSEC_EXPORT
gboolean entsec_vault_add_keyring_slot_finish (EntsecVault  *vault,
                                               GAsyncResult *result,
                                               GError      **error);

/* Add a passphrase slot (@kdf NULL = calibrate). */
ENTSEC_EXPORT
gboolean entsec_vault_add_passphrase_slot_sync (EntsecVault           *vault,
                                                const char            *passphrase,
                                                gsize                  passphrase_len,
                                                const EntsecKdfParams *kdf,
                                                GCancellable          *cancellable,
                                                GError               **error);
/* The passphrase and @kdf are copied. */
ENTSEC_EXPORT
void     entsec_vault_add_passphrase_slot_async (EntsecVault           *vault,
                                                 const char            *passphrase,
                                                 gsize                  passphrase_len,
                                                 const EntsecKdfParams *kdf,
                                                 GCancellable          *cancellable,
                                                 GAsyncReadyCallback    callback,
                                                 gpointer               user_data);
ENTSEC_EXPORT
gboolean entsec_vault_add_passphrase_slot_finish (EntsecVault  *vault,
                                                  GAsyncResult *result,
                                                  GError      **error);

/*
 * Add a recovery slot; returns the recovery key as Base32 text in groups
 * (show it once; free with entsec_secure_strfree()).
 */
ENTSEC_EXPORT
char *entsec_vault_add_recovery_slot_sync (EntsecVault  *vault,
                                           GCancellable *cancellable,
                                           GError      **error);
ENTSEC_EXPORT
void  entsec_vault_add_recovery_slot_async (EntsecVault        *vault,
                                            GCancellable       *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer            user_data);
/* The recovery key as above (free with entsec_secure_strfree()). */
ENTSEC_EXPORT
char *entsec_vault_add_recovery_slot_finish (EntsecVault  *vault,
                                             GAsyncResult *result,
                                             GError      **error);

/*
 * Replace every passphrase slot by one for @passphrase (or add one), and
 * rotate the data key: a fresh DEK, every other slot re-wrapped, every row
 * re-encrypted, in one transaction. The old passphrase (even with an old
 * copy of the file) opens nothing written from now on. Fails with INVALID
 * when a slot made by a format-1 vault remains (remove and re-add it first).
 */
ENTSEC_EXPORT
gboolean entsec_vault_change_passphrase_sync (EntsecVault           *vault,
                                              const char            *passphrase,
                                              gsize                  passphrase_len,
                                              const EntsecKdfParams *kdf,
                                              GCancellable          *cancellable,
                                              GError               **error);
/* The passphrase and @kdf are copied. */
ENTSEC_EXPORT
void     entsec_vault_change_passphrase_async (EntsecVault           *vault,
                                               const char            *passphrase,
                                               gsize                  passphrase_len,
                                               const EntsecKdfParams *kdf,
                                               GCancellable          *cancellable,
                                               GAsyncReadyCallback    callback,
                                               gpointer               user_data);
ENTSEC_EXPORT
gboolean entsec_vault_change_passphrase_finish (EntsecVault  *vault,
                                                GAsyncResult *result,
                                                GError      **error);

/*
 * Remove slot @slot_id and rotate the data key as above, so the removed
 * slot's secret opens nothing written from now on. Fails with LAST_SLOT
 * unless a remaining slot is known to work: a passphrase or recovery slot,
 * or a keyring slot that unlocked the vault this session or whose keyring
 * item is found and opens it now (looked up here, never prompting). A
 * removed keyring or PIN slot's item is deleted from the keyring. Removing
 * the last passphrase slot removes the PIN slot with it (same transaction).
 */
ENTSEC_EXPORT
gboolean entsec_vault_remove_slot_sync (EntsecVault  *vault,
                                        gint64        slot_id,
                                        GCancellable *cancellable,
                                        GError      **error);
ENTSEC_EXPORT
void     entsec_vault_remove_slot_async (EntsecVault        *vault,
                                         gint64              slot_id,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
ENTSEC_EXPORT
gboolean entsec_vault_remove_slot_finish (EntsecVault  *vault,
                                          GAsyncResult *result,
                                          GError      **error);

/**
 * EntsecVaultKeyringStatus:
 * @ENTSEC_VAULT_KEYRING_OK: the slot's keyring item is there and opens the vault
 * @ENTSEC_VAULT_KEYRING_ITEM_MISSING: the item is gone (deleted, or another
 *   user's keyring): add a new keyring slot, then remove this one
 * @ENTSEC_VAULT_KEYRING_LOCKED: the keyring is locked
 * @ENTSEC_VAULT_KEYRING_UNREACHABLE: no Secret Service answers (no D-Bus
 *   session, no gnome-keyring)
 * @ENTSEC_VAULT_KEYRING_MISMATCH: an item was found but does not open the slot
 *
 * Whether a keyring slot works right now.
 */
typedef enum
{
  ENTSEC_VAULT_KEYRING_OK,
  ENTSEC_VAULT_KEYRING_ITEM_MISSING,
  ENTSEC_VAULT_KEYRING_LOCKED,
  ENTSEC_VAULT_KEYRING_UNREACHABLE,
  ENTSEC_VAULT_KEYRING_MISMATCH,
} EntsecVaultKeyringStatus;

/*
 * Check keyring slot @slot_id (works while locked; never prompts, never
 * writes): OK at once when it unlocked the vault this session, else its item
 * is looked up. FALSE with NO_SLOT when there is no such keyring slot.
 */
ENTSEC_EXPORT
gboolean entsec_vault_check_keyring_slot_sync (EntsecVault              *vault,
                                               gint64                    slot_id,
                                               EntsecVaultKeyringStatus *status,
                                               GCancellable             *cancellable,
                                               GError                  **error);
ENTSEC_EXPORT
void     entsec_vault_check_keyring_slot_async (EntsecVault        *vault,
                                                gint64              slot_id,
                                                GCancellable       *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer            user_data);
ENTSEC_EXPORT
gboolean entsec_vault_check_keyring_slot_finish (EntsecVault              *vault,
                                                 GAsyncResult             *result,
                                                 EntsecVaultKeyringStatus *status,
                                                 GError                  **error);

/* ---- Quick-unlock PIN ------------------------------------------------------ */

/**
 * EntsecVaultPinStatus:
 * @ENTSEC_VAULT_PIN_NONE: the vault has no PIN slot
 * @ENTSEC_VAULT_PIN_READY: the PIN can be tried (attempts left > 0)
 * @ENTSEC_VAULT_PIN_LOCKED_OUT: too many wrong PINs (or its keyring key is
 *   gone): the PIN is dead, the passphrase is required
 * @ENTSEC_VAULT_PIN_UNAVAILABLE: the keyring is locked or unreachable, so the
 *   PIN cannot be used now: ask for the passphrase
 *
 * Whether a PIN can unlock the vault right now.
 */
typedef enum
{
  ENTSEC_VAULT_PIN_NONE,
  ENTSEC_VAULT_PIN_READY,
  ENTSEC_VAULT_PIN_LOCKED_OUT,
  ENTSEC_VAULT_PIN_UNAVAILABLE,
} EntsecVaultPinStatus;

/*
 * Whether @pin (@pin_len bytes) is a valid PIN: ASCII digits only,
 * ENTSEC_VAULT_PIN_MIN_LENGTH..ENTSEC_VAULT_PIN_MAX_LENGTH of them. INVALID
 * otherwise (the message never repeats the PIN). Never waits.
 */
ENTSEC_EXPORT
gboolean entsec_vault_check_pin_format (const char *pin,
                                        gsize       pin_len,
                                        GError    **error);

/*
 * Set the quick-unlock PIN: a PIN slot whose key needs both the PIN
 * (Argon2id, @kdf NULL = calibrate) and a random secret kept only in the
 * keyring, which also counts wrong PINs. Needs the vault unlocked, a
 * passphrase slot, and @passphrase to open it (BAD_PASSPHRASE otherwise);
 * NO_SLOT without a passphrase slot, KEYRING when the keyring cannot store
 * the secret. A PIN set before is replaced (the data key is rotated).
 * Remove the PIN with entsec_vault_remove_slot_sync(); removing the last
 * passphrase slot removes the PIN slot too.
 */
ENTSEC_EXPORT
gboolean entsec_vault_add_pin_slot_sync (EntsecVault           *vault,
                                         const char            *passphrase,
                                         gsize                  passphrase_len,
                                         const char            *pin,
                                         gsize                  pin_len,
                                         const EntsecKdfParams *kdf,
                                         GCancellable          *cancellable,
                                         GError               **error);
/* The passphrase, the PIN and @kdf are copied (and the secrets wiped after use). */
ENTSEC_EXPORT
void     entsec_vault_add_pin_slot_async (EntsecVault           *vault,
                                          const char            *passphrase,
                                          gsize                  passphrase_len,
                                          const char            *pin,
                                          gsize                  pin_len,
                                          const EntsecKdfParams *kdf,
                                          GCancellable          *cancellable,
                                          GAsyncReadyCallback    callback,
                                          gpointer               user_data);
ENTSEC_EXPORT
gboolean entsec_vault_add_pin_slot_finish (EntsecVault  *vault,
                                           GAsyncResult *result,
                                           GError      **error);

/*
 * Unlock with the PIN. The attempt is counted in the keyring before the
 * PIN is tried; a right PIN resets the count. Errors: BAD_PASSPHRASE (wrong
 * PIN, attempts left in *@attempts_left), PIN_LOCKED_OUT (that was the last
 * attempt, or there were none left: the PIN slot's keyring secret is
 * destroyed), NEEDS_PASSPHRASE (keyring locked or unreachable), NO_SLOT.
 * Like a keyring unlock, an old copy of the file put back fails with ROLLBACK.
 * @attempts_left: (out) (optional): attempts left after this one (0 when
 *   unknown or locked out).
 */
ENTSEC_EXPORT
gboolean entsec_vault_unlock_pin_sync (EntsecVault  *vault,
                                       const char   *pin,
                                       gsize         pin_len,
                                       guint        *attempts_left,
                                       GCancellable *cancellable,
                                       GError      **error);
/* The PIN is copied (and wiped after use). */
ENTSEC_EXPORT
void     entsec_vault_unlock_pin_async (EntsecVault        *vault,
                                        const char         *pin,
                                        gsize               pin_len,
                                        GCancellable       *cancellable,
                                        GAsyncReadyCallback callback,
                                        gpointer            user_data);
ENTSEC_EXPORT
gboolean entsec_vault_unlock_pin_finish (EntsecVault  *vault,
                                         GAsyncResult *result,
                                         guint        *attempts_left,
                                         GError      **error);

/*
 * Whether the PIN can be used now and how many attempts are left (works
 * while locked; asks the keyring, never prompts, never writes).
 * @attempts_left: (out) (optional): 0 unless READY.
 */
ENTSEC_EXPORT
gboolean entsec_vault_get_pin_status_sync (EntsecVault          *vault,
                                           EntsecVaultPinStatus *status,
                                           guint                *attempts_left,
                                           GCancellable         *cancellable,
                                           GError              **error);
ENTSEC_EXPORT
void     entsec_vault_get_pin_status_async (EntsecVault        *vault,
                                            GCancellable       *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer            user_data);
ENTSEC_EXPORT
gboolean entsec_vault_get_pin_status_finish (EntsecVault          *vault,
                                             GAsyncResult         *result,
                                             EntsecVaultPinStatus *status,
                                             guint                *attempts_left,
                                             GError              **error);

/*
 * Remove the PIN slot if it can never unlock again: its keyring item is gone
 * (deleted after ENTSEC_VAULT_PIN_MAX_ATTEMPTS wrong PINs in a row, or by
 * hand) or used up. Needs the vault unlocked (the removal rotates the data
 * key like entsec_vault_remove_slot_sync()); a locked or unreachable keyring
 * leaves the slot alone. Call it after an unlock by another slot, then offer
 * a new PIN. *@removed says whether a slot was removed.
 */
ENTSEC_EXPORT
gboolean entsec_vault_remove_dead_pin_slot_sync (EntsecVault  *vault,
                                                 gboolean     *removed,
                                                 GCancellable *cancellable,
                                                 GError      **error);
ENTSEC_EXPORT
void     entsec_vault_remove_dead_pin_slot_async (EntsecVault        *vault,
                                                  GCancellable       *cancellable,
                                                  GAsyncReadyCallback callback,
                                                  gpointer            user_data);
ENTSEC_EXPORT
gboolean entsec_vault_remove_dead_pin_slot_finish (EntsecVault  *vault,
                                                   GAsyncResult *result,
                                                   gboolean     *removed,
                                                   GError      **error);

G_END_DECLS
