/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-vault-private.h: the vault's record codec, SQLite layer and keyring */
#pragma once

#include <sys/types.h>

#include <sqlite3.h>

#include <entsec/entsec.h>

#include "entsec-crypto.h"

G_BEGIN_DECLS

#define VAULT_ID_SIZE 16
#define KEK_SIZE 32
/* Unlock time the calibration aims at when no costs are given. */
#define DEFAULT_KDF_TARGET_MS 500
#define KEYRING_SLOT_ID_SIZE 16
/* PRAGMA application_id of every vault: "EnSV". */
#define VAULT_APPLICATION_ID 0x456e5356

/* At most this many key slots (more in a file: refused as damaged). */
#define VAULT_MAX_SLOTS 8
/* Argon2id work one unlock may do: sum over passphrase slots of KiB x passes (4 GiB x 1). */
#define VAULT_MAX_KDF_WORK (G_GUINT64_CONSTANT (4) * 1024 * 1024)

/*
 * The authenticated index (format 2): every live account id and preference
 * name id with its row version, the next account id and a generation that
 * every commit increments. Sealed under the DEK in vault.row_index.
 */
typedef struct
{
  guint64     generation;
  gint64      next_id;
  GHashTable *accounts; /* gint64 * -> guint64 * */
  GHashTable *prefs;    /* GBytes (name id) -> guint64 * */
} VaultIndex;

VaultIndex *vault_index_new (void);
VaultIndex *vault_index_copy (const VaultIndex *index);
void        vault_index_free (VaultIndex *index);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VaultIndex, vault_index_free)
/* The version listed for account @id; FALSE when it is not listed. */
gboolean    vault_index_get_account (const VaultIndex *index,
                                     gint64            id,
                                     guint64          *version);
void        vault_index_set_account (VaultIndex *index,
                                     gint64      id,
                                     guint64     version);
gboolean    vault_index_get_pref (const VaultIndex *index,
                                  const guint8     *name_id,
                                  guint64          *version);
void        vault_index_set_pref (VaultIndex   *index,
                                  const guint8 *name_id,
                                  guint64       version);
void        vault_index_remove_account (VaultIndex *index,
                                        gint64      id);
void        vault_index_remove_pref (VaultIndex   *index,
                                     const guint8 *name_id);
GBytes     *vault_index_seal (const VaultIndex *index,
                              const guint8      vault_id[VAULT_ID_SIZE],
                              const guint8     *dek,
                              GError          **error);
/* NULL (with @error) when the sealed index does not open or is malformed. */
VaultIndex *vault_index_open (const void   *sealed,
                              gsize         sealed_len,
                              const guint8  vault_id[VAULT_ID_SIZE],
                              const guint8 *dek,
                              GError      **error);

/* One row of the slot table, as stored. */
typedef struct
{
  gint64  id;
  guint32 type;
  GBytes *params;
  GBytes *wrapped;
  /* Keyring slots: its item was found and unwrapped the DEK this session. */
  gboolean known_good;
} VaultSlot;

void       vault_slot_free (VaultSlot *slot);
VaultSlot *vault_slot_copy (const VaultSlot *slot);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VaultSlot, vault_slot_free)

/* An immutable snapshot of what a UI shows (entsec-vault-state.c). */
typedef struct _VaultState VaultState;

struct _EntsecVault
{
  GObject            parent_instance;
  /* Serialises operations: held while a call talks to SQLite or changes the
   * model below, never while waiting for a person, a KDF or the keyring. */
  GMutex             mutex;
  /* Guards @state only: readers copy the pointer and never wait. */
  GMutex             state_mutex;
  VaultState        *state;
  GMainContext      *context;     /* where "changed" and notify:: are emitted */
  gint               busy;        /* atomic: tasks running */
  gint               announce_pending; /* atomic */
  gboolean           announced_locked; /* context only */
  gboolean           dirty;       /* the model changed: publish at the end of the operation */
  gint64             data_version; /* PRAGMA data_version when the model was loaded */
  int                read_only;   /* 0, or why it was opened read-only: SQLITE_READONLY, _FULL */
  char              *lock_reason; /* why the vault locked itself, or NULL */
  GListStore        *model;       /* context only; NULL until asked for */
  VaultState        *model_state; /* context only: the snapshot @model shows */
  GFileMonitor      *monitor;     /* context only */
  gboolean           monitor_refreshing;
  gboolean           monitor_again;
  char              *path;
  sqlite3           *db;
  guint8             vault_id[VAULT_ID_SIZE];
  /* Format work (entsec-vault-index.c, entsec-vault-upgrade.c). */
  gint64             format;      /* the file's format (user_version) */
  VaultIndex        *index;       /* as committed; NULL while locked */
  VaultIndex        *pending;     /* the open write transaction's copy */
  char              *upgrade_error; /* why a format-1 file could not be upgraded */
  /* The keyring's copy of the generation, read without the mutex before a keyring unlock. */
  guint64            keyring_generation;
  gboolean           keyring_generation_known;
  gboolean           keyring_jobs;  /* generation updates were queued (flushed at finalize) */
  GPtrArray         *slots;       /* VaultSlot, by id */
  EntsecSecureBytes *dek;         /* NULL while locked */
  EntsecSecureBytes *names_key;   /* keys the preference names; NULL while locked */
  GPtrArray         *accounts;    /* EntsecAccount, owned, wiped on lock */
  GPtrArray         *quarantined; /* EntsecVaultQuarantined */
  GHashTable        *prefs;       /* name -> EntsecSecureBytes (serialised GVariant) */
  gint               failed_unlocks; /* atomic */
  EntsecVaultClockFunc clock;     /* NULL: the real clock (entsec-vault-attempts.c) */
  gpointer           clock_data;
  dev_t              file_dev;    /* the file we opened: a replaced one is never written */
  ino_t              file_ino;
};

/* ---- entsec-vault-state.c --------------------------------------------------- */

/* The vault, its operation mutex held (see vault_op_begin()). */
typedef struct _VaultOp VaultOp;

/* Take the operation mutex and catch up with other programs' commits. */
VaultOp    *vault_op_begin (EntsecVault *vault);
/* Publish the model if it changed, then release the mutex. */
void        vault_op_end (VaultOp *op);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VaultOp, vault_op_end)

VaultState *vault_state_ref (VaultState *state);
void        vault_state_unref (VaultState *state);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VaultState, vault_state_unref)
VaultState *vault_dup_state (EntsecVault *vault);
void        vault_publish (EntsecVault *vault);
void        vault_publish_initial (EntsecVault *vault);
/* Reload when another connection committed (op mutex held). */
gboolean    vault_refresh (EntsecVault *vault,
                           gboolean    *changed,
                           GError     **error);
/* List order: favourites first, then by position, then id (GPtrArray of EntsecAccount *). */
gint        vault_compare_accounts (gconstpointer a,
                                    gconstpointer b);
/* A read transaction (one snapshot) unless one is open; TRUE when it started one. */
gboolean    vault_read_begin (EntsecVault *vault);
void        vault_read_end (EntsecVault *vault,
                            gboolean     started);
/* Remember the data version the model now reflects. */
void        vault_note_data_version (EntsecVault *vault);
/* A GTask on @vault that counts toward the "busy" property. */
GTask      *vault_task_new (EntsecVault        *vault,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data);
/* vault_task_new(), its source tag and (nullable) data, run in a worker thread. */
void        vault_task_run (EntsecVault        *vault,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data,
                            gpointer            source_tag,
                            gpointer            task_data,
                            GDestroyNotify      task_data_free,
                            GTaskThreadFunc     thread);
void        vault_state_init (EntsecVault *vault);
/* Change @store from @old's summaries to @new's with the fewest items-changed
 * (entsec-vault-model.c): a summary object both share is an unchanged row. */
void        vault_model_update (GListStore *store,
                                GPtrArray  *old,
                                GPtrArray  *new);
void        vault_state_finalize (EntsecVault *vault);
void        vault_set_context (EntsecVault  *vault,
                               GMainContext *context);

/* ---- entsec-vault.c, used by the other files ------------------------------- */

/* The slot table as EntsecVaultSlotInfo (terminated by a zeroed entry). */
EntsecVaultSlotInfo *vault_slot_infos (EntsecVault *vault,
                                       gsize       *n_slots);
/* Read the slot table again (another program changed it). */
gboolean vault_reload_slots (EntsecVault *vault,
                             GError     **error);
/* Check the header tag with @dek. */
gboolean vault_verify_header (EntsecVault             *vault,
                              const EntsecSecureBytes *dek,
                              GError                 **error);
/* Forget the DEK and every decrypted value (no disk access). */
void     vault_lock_model (EntsecVault *vault);

/* Remember which file the path names now. */
void     vault_note_file (EntsecVault *vault);
/* Fails with REPLACED when the path no longer names the file we opened. */
gboolean vault_check_file (EntsecVault *vault,
                           GError     **error);
/* vault_check_file(), then BEGIN IMMEDIATE. */
gboolean vault_begin_write (EntsecVault *vault,
                            GError     **error);
/* Fails with LOCKED unless the vault is unlocked. */
gboolean vault_check_unlocked (EntsecVault *vault,
                               GError     **error);
/* Seal / open a column of a row (at @version) under the DEK. */
GBytes            *vault_seal_row (EntsecVault  *vault,
                                   const char   *table,
                                   const guint8 *row_key,
                                   gsize         row_key_len,
                                   guint64       version,
                                   const guint8 *plaintext,
                                   gsize         plaintext_len,
                                   GError      **error);
EntsecSecureBytes *vault_open_row (EntsecVault  *vault,
                                   const char   *table,
                                   const guint8 *row_key,
                                   gsize         row_key_len,
                                   guint64       version,
                                   const void   *sealed,
                                   gsize         sealed_len,
                                   GError      **error);
/*
 * Commit the write transaction together with the pending index (its
 * generation + 1, sealed under the current DEK); on success the pending
 * index becomes the index. Rolls back on failure.
 */
gboolean vault_commit (EntsecVault *vault,
                       GError     **error);
/* Read and open the index (format 2) under the DEK just unwrapped. */
gboolean vault_read_index (EntsecVault *vault,
                           GError     **error);
/*
 * Best effort, after an unlock with @slot (and its @kek, NULL for a keyring
 * slot): a slot still wrapped the format-1 way gets its key pair, so later
 * key rotations can re-wrap it. Nothing changes when that cannot be written.
 */
void     vault_renew_slot (EntsecVault     *vault,
                           const VaultSlot *slot,
                           const guint8    *kek);
/* Start the pending index of a transaction just begun. */
void     vault_index_begin (EntsecVault *vault);
/* In a transaction: the header tag for @slots under the current DEK. */
gboolean vault_write_header (EntsecVault *vault,
                             GPtrArray   *slots,
                             GError     **error);
/* In a transaction: wrap the current DEK for @slot (with its @keys) and save it. */
gboolean vault_slot_rewrap (EntsecVault *vault,
                            VaultSlot   *slot,
                            GBytes      *keys,
                            GError     **error);
/* Re-encrypt every loaded account and preference under the (new) DEK; in a transaction. */
gboolean vault_rewrite_rows (EntsecVault             *vault,
                             const EntsecSecureBytes *old_names_key,
                             GError                 **error);
/*
 * Format 1 -> 2, in one transaction, right after an unlock with @slot and
 * its @kek loaded every row: rows re-encrypted with versions, the index
 * built, the slots that can be converted converted.
 */
gboolean vault_upgrade (EntsecVault     *vault,
                        const VaultSlot *slot,
                        const guint8    *kek,
                        GError         **error);
/* The key that turns preference names into row keys. */
EntsecSecureBytes *vault_derive_names_key (const EntsecSecureBytes *dek);
/* Load every account and preference after the DEK is known. */
gboolean vault_load_rows (EntsecVault *vault,
                          GError     **error);
/* Drop the decrypted model (wiping it). */
void     vault_clear_rows (EntsecVault *vault);

/* ---- Locked rows (entsec-vault-locked.c), op mutex held ------------------ */

/* The locked row @name, or NULL (absent, or @error set). */
GBytes  *vault_read_locked_row (EntsecVault *vault,
                                const char  *name,
                                GError     **error);
/*
 * A failure-injection point for tests only, as vault_testing_fail_pref_row:
 * when above 0, the locked-row write that many from now fails (once).
 */
extern guint vault_testing_fail_locked_row;
/* In a write transaction: set (or with a NULL @data remove) the locked row @name. */
gboolean vault_write_locked_row (EntsecVault *vault,
                                 const char  *name,
                                 GBytes      *data,
                                 GError     **error);

/* ---- The unlock limit (entsec-vault-attempts.c) --------------------------- */

/* Unix seconds at the vault's clock (entsec_vault_set_clock()). */
gint64   vault_now (EntsecVault *vault);
/* Takes the op mutex: UNLOCK_DELAYED while the policy makes attempts wait. */
gboolean vault_check_unlock_wait (EntsecVault *vault,
                                  GError     **error);
/*
 * A wrong @what (its error already in @error, nullable) is counted, in the
 * file when a policy applies (op mutex taken here); @error then says what
 * it brought: the wait, or UNLOCK_WIPED when it wiped the enterprise data.
 */
void     vault_note_failed_unlock (EntsecVault *vault,
                                   const char  *what,
                                   GError     **error);
/* Op mutex held, after a right unlock: the stored count dropped. */
gboolean vault_reset_failed_unlocks (EntsecVault *vault,
                                     GError     **error);

/* ---- A remote wipe's rest (entsec-vault-wipe.c, entsec-vault-data.c) ----- */

/*
 * In a write transaction of an unlocked vault: delete the managed accounts
 * and every preference named ENTSEC_PREFIX_ENTERPRISE...; the model follows
 * with vault_forget_enterprise_rows() once committed.
 */
gboolean vault_delete_enterprise_rows (EntsecVault *vault,
                                       GError     **error);
/* In a write transaction: every enterprise locked row but @keep (nullable) removed. */
gboolean vault_delete_enterprise_locked_rows (EntsecVault *vault,
                                              const char  *keep,
                                              GError     **error);
/* Drop the managed accounts and enterprise preferences from the decrypted model. */
void     vault_forget_enterprise_rows (EntsecVault *vault);
/*
 * Op mutex held, the vault unlocked: when the locked row
 * ENTSEC_LOCKED_REMOTE_WIPE says a remote wipe is pending, remove the rest
 * of the enterprise data in one transaction (managed accounts, enterprise
 * preferences and locked rows) and mark the wipe completed at @now. Nothing
 * to do is success.
 */
gboolean vault_finish_remote_wipe (EntsecVault *vault,
                                   gint64       now,
                                   GError     **error);

/* ---- Codec (entsec-vault-codec.c) ---------------------------------------- */

/* Serialise @account's fields (not id/position), padded to 64 bytes. */
EntsecSecureBytes *vault_account_encode (const EntsecAccount *account);
/* The reverse; fails on any malformed field. @id and @position are set. */
EntsecAccount     *vault_account_decode (const guint8 *data,
                                         gsize         len,
                                         GError      **error);
/* Free an account after wiping every text field and the secret. */
void               vault_account_wipe_free (gpointer account);

/*
 * A failure-injection point for tests only: when above 0, the write of the
 * preference row that many rows from now fails (once), so that a test can
 * see a transaction cut short in its middle. Never set outside tests.
 */
extern guint vault_testing_fail_pref_row;
/* For tests only: when TRUE, entsec_vault_delete_sync() stops (once) after the file is set aside. */
extern gboolean vault_testing_fail_delete;

EntsecSecureBytes *vault_pref_encode (const char *name,
                                      GVariant   *value);
/* @name_out: wipe-free with entsec_secure_strfree(). */
GVariant          *vault_pref_decode (const guint8 *data,
                                      gsize         len,
                                      char        **name_out,
                                      GError      **error);

/* Associated data of a row's encrypted column (the version from format 2 on). */
GBytes *vault_row_aad (const guint8  vault_id[VAULT_ID_SIZE],
                       guint         format,
                       const char   *table,
                       const guint8 *row_key,
                       gsize         row_key_len,
                       guint64       version,
                       const char   *column);
/* Associated data of the sealed index. */
GBytes *vault_index_aad (const guint8 vault_id[VAULT_ID_SIZE]);
/* Associated data of a wrapped DEK: vault id, slot id, type and params. */
GBytes *vault_slot_aad (const guint8     vault_id[VAULT_ID_SIZE],
                        guint            format,
                        const VaultSlot *slot);
/* Associated data of a slot's sealed private key: vault id, type, params. */
GBytes *vault_slot_key_aad (const guint8 vault_id[VAULT_ID_SIZE],
                            guint32      type,
                            GBytes      *params);
/* The header as authenticated: format, vault id and the whole slot table. */
GBytes *vault_header_aad (const guint8 vault_id[VAULT_ID_SIZE],
                          guint        format,
                          GPtrArray   *slots);
/* At most VAULT_MAX_SLOTS slots and VAULT_MAX_KDF_WORK; CORRUPT otherwise. */
gboolean vault_check_slot_table (GPtrArray *slots,
                                 GError   **error);

/* ---- Slot keys (entsec-vault-wrap.c) ------------------------------------- */

/*
 * Format 2 slots: each slot has an X25519 key pair; the private key is
 * sealed under the slot's KEK, and the DEK is sealed to the public key
 * (ephemeral X25519 + HMAC-SHA256 + AES-256-GCM), so the DEK can be
 * re-wrapped for every slot without any slot's secret.
 */
/* A new key pair for a slot of @type/@params, its private key sealed under @kek. */
GBytes            *vault_slot_keys_new (const guint8  vault_id[VAULT_ID_SIZE],
                                        guint32       type,
                                        GBytes       *params,
                                        const guint8 *kek,
                                        GError      **error);
/* The slot's wrapped column: its keys (@keys) and @dek sealed to its public key. */
GBytes            *vault_slot_wrap (const guint8     vault_id[VAULT_ID_SIZE],
                                    const VaultSlot *slot,
                                    GBytes          *keys,
                                    const guint8    *dek,
                                    GError         **error);
/* The keys part of a format-2 slot (NULL for a slot of format 1). */
GBytes            *vault_slot_get_keys (const VaultSlot *slot);
/* The DEK from @slot with @kek (format-1 and format-2 slots); NULL if wrong. */
EntsecSecureBytes *vault_slot_unwrap (const guint8     vault_id[VAULT_ID_SIZE],
                                      const VaultSlot *slot,
                                      const guint8    *kek);

/* Passphrase slot params: version, costs, salt. Parsing checks bounds. */
GBytes  *vault_kdf_params_encode (const EntsecArgon2Params *params);
gboolean vault_kdf_params_decode (GBytes             *bytes,
                                  EntsecArgon2Params *params,
                                  GError            **error);

/* ---- SQLite (entsec-vault-db.c) ------------------------------------------ */

/* How long a write waits for another program's write to finish. */
#define VAULT_BUSY_TIMEOUT_MS 5000

/* Make @db's writes wait up to VAULT_BUSY_TIMEOUT_MS for another writer
 * (@wait TRUE), retrying every millisecond, or not wait at all. */
void     vault_db_set_busy_wait (sqlite3 *db,
                                 gboolean wait);

/* Map an SQLite failure onto ENTSEC_VAULT_ERROR; @what says what was tried. */
void     vault_db_set_error (sqlite3    *db,
                             int         rc,
                             const char *what,
                             GError    **error);
gboolean vault_db_exec (sqlite3    *db,
                        const char *sql,
                        GError    **error);
/* Prepare @sql or set an error. */
sqlite3_stmt *vault_db_prepare (sqlite3    *db,
                                const char *sql,
                                GError    **error);
/* Step a statement that returns no row; resets it. */
gboolean vault_db_step_done (sqlite3      *db,
                             sqlite3_stmt *stmt,
                             const char   *what,
                             GError      **error);
gboolean vault_db_begin (sqlite3 *db,
                         GError **error);
gboolean vault_db_commit (sqlite3 *db,
                          GError **error);
void     vault_db_rollback (sqlite3 *db);

/* Run the SQL that makes the tables of format @version (a new file, or in memory). */
gboolean vault_db_schema_sql (sqlite3 *db,
                              gint64   version);
/* Create the schema (ENTSEC_VAULT_FORMAT_VERSION) in a new, empty file. */
gboolean vault_db_create_schema (sqlite3 *db,
                                 GError **error);
/*
 * Open an existing vault file without writing to it: checks the
 * application id, the format version and the structure (quick_check).
 * Opens read-only when the file or its folder cannot be written, or the disk
 * is full, so codes can still be read there: *@read_only is then why
 * (SQLITE_READONLY or SQLITE_FULL), 0 otherwise.
 */
sqlite3 *vault_db_open_existing (const char *path,
                                 int        *read_only,
                                 GError    **error);
/* The file's format (PRAGMA user_version), -1 when unreadable. */
gint64   vault_db_format (sqlite3 *db);
/* Inside a transaction: the tables of format @from -> the current one, and user_version. */
gboolean vault_db_upgrade_schema (sqlite3 *db,
                                  gint64   from,
                                  GError **error);
/* Create @path (0600, parent 0700) and open it. */
sqlite3 *vault_db_create (const char *path,
                          GError    **error);

/* ---- Keyring (entsec-vault-keyring.c) ------------------------------------ */

typedef enum
{
  KEYRING_FOUND,
  KEYRING_NOT_FOUND,
  KEYRING_LOCKED,
  KEYRING_UNREACHABLE,
  KEYRING_MISMATCH, /* an item was found but its key does not open the slot */
} KeyringOutcome;

/*
 * Look up the KEK of keyring slot @slot_uuid of vault @vault_id without ever
 * prompting or unlocking. On KEYRING_FOUND *@kek is set; on
 * KEYRING_UNREACHABLE @error says why.
 */
KeyringOutcome vault_keyring_lookup (const guint8        vault_id[VAULT_ID_SIZE],
                                     const guint8        slot_uuid[KEYRING_SLOT_ID_SIZE],
                                     EntsecSecureBytes **kek,
                                     GCancellable       *cancellable,
                                     GError            **error);
gboolean       vault_keyring_store (const guint8  vault_id[VAULT_ID_SIZE],
                                    const guint8  slot_uuid[KEYRING_SLOT_ID_SIZE],
                                    const guint8 *kek,
                                    gsize         kek_len,
                                    GCancellable *cancellable,
                                    GError      **error);
gboolean       vault_keyring_clear (const guint8  vault_id[VAULT_ID_SIZE],
                                    const guint8  slot_uuid[KEYRING_SLOT_ID_SIZE],
                                    GCancellable *cancellable,
                                    GError      **error);

/*
 * A PIN slot's item (its secret and wrong-PIN count, entsec-vault-pin.c),
 * looked up, stored (replacing) and removed like a key item above.
 */
KeyringOutcome vault_keyring_pin_lookup (const guint8        vault_id[VAULT_ID_SIZE],
                                         const guint8        slot_uuid[KEYRING_SLOT_ID_SIZE],
                                         EntsecSecureBytes **item,
                                         GCancellable       *cancellable,
                                         GError            **error);
gboolean       vault_keyring_pin_store (const guint8  vault_id[VAULT_ID_SIZE],
                                        const guint8  slot_uuid[KEYRING_SLOT_ID_SIZE],
                                        const guint8 *item,
                                        gsize         item_len,
                                        GCancellable *cancellable,
                                        GError      **error);
/* Change an existing, unlocked PIN item's secret (gnome-keyring warns on a replacing store). */
gboolean       vault_keyring_pin_update (const guint8  vault_id[VAULT_ID_SIZE],
                                         const guint8  slot_uuid[KEYRING_SLOT_ID_SIZE],
                                         const guint8 *item,
                                         gsize         item_len,
                                         GCancellable *cancellable,
                                         GError      **error);
gboolean       vault_keyring_pin_clear (const guint8  vault_id[VAULT_ID_SIZE],
                                        const guint8  slot_uuid[KEYRING_SLOT_ID_SIZE],
                                        GCancellable *cancellable,
                                        GError      **error);

/* The generation kept in the keyring for vault @vault_id (never prompts). */
KeyringOutcome vault_keyring_get_generation (const guint8 vault_id[VAULT_ID_SIZE],
                                             guint64     *generation);
/*
 * Raise the kept generation to @generation (or set it, @lower_too), creating
 * the item only while the vault's key item is unlocked. Best effort, blocks.
 */
void           vault_keyring_put_generation (const guint8 vault_id[VAULT_ID_SIZE],
                                             guint64      generation,
                                             gboolean     lower_too);
/* vault_keyring_put_generation() in a background thread; flush waits for all. */
void           vault_keyring_note_generation (const guint8 vault_id[VAULT_ID_SIZE],
                                              guint64      generation,
                                              gboolean     lower_too);
void           vault_keyring_flush (void);
/*
 * Delete every item of entsec's schemas whose "vault" attribute is
 * @vault_hash (entsec_vault_dup_id()): the vault key, PIN and generation
 * items, the device key's protection. KEYRING when one is locked, or when
 * the keyring cannot be reached and @required.
 */
gboolean       vault_keyring_clear_vault (const char   *vault_hash,
                                          gboolean      required,
                                          GCancellable *cancellable,
                                          GError      **error);
/*
 * At unlock, after the index was read: a keyring unlock of a file older than
 * the generation the keyring kept fails with ROLLBACK; a passphrase or
 * recovery unlock accepts the file's generation (the way out after a restore).
 */
gboolean       vault_check_generation (EntsecVault     *vault,
                                       const VaultSlot *slot,
                                       GError         **error);

/* In entsec-vault.c: */
/*
 * Whether keyring slot @slot is known to work: it unlocked this session, or
 * its item is looked up now and unwraps the slot (then @slot->known_good is
 * set). Otherwise *@outcome says why not. Never prompts, never writes.
 */
gboolean    vault_keyring_slot_works (EntsecVault    *vault,
                                      VaultSlot      *slot,
                                      GCancellable   *cancellable,
                                      KeyringOutcome *outcome);
/* What is wrong with the keyring, for a user ("the keyring is locked; ..."). */
const char *vault_keyring_problem (KeyringOutcome outcome);

/* Find the DEK for one kind of secret outside the mutex (see vault_unlock_with()). */
typedef EntsecSecureBytes *(*VaultDeriveFunc) (EntsecVault        *vault,
                                               GPtrArray          *slots,
                                               gconstpointer       secret,
                                               gsize               secret_len,
                                               VaultSlot         **used,
                                               EntsecSecureBytes **kek,
                                               GCancellable       *cancellable,
                                               GError            **error);
/*
 * Unlock with the slots of @type: copies them, runs @derive on the copies
 * without the mutex, then adopts the DEK if the slot is unchanged. A NULL
 * from @derive without an error is a wrong secret (BAD_PASSPHRASE, @what).
 */
gboolean    vault_unlock_with (EntsecVault    *vault,
                               guint32         type,
                               const char     *what,
                               VaultDeriveFunc derive,
                               gconstpointer   secret,
                               gsize           secret_len,
                               GCancellable   *cancellable,
                               GError        **error);
/* Whether @passphrase opens one of the vault's passphrase slots (Argon2id; no mutex held). */
gboolean    vault_passphrase_opens (EntsecVault  *vault,
                                    const char   *passphrase,
                                    gsize         passphrase_len,
                                    GCancellable *cancellable,
                                    GError      **error);
/* Read the keyring's copy of the generation for the rollback check (no mutex held). */
void        vault_read_keyring_generation (EntsecVault *vault);

/* ---- Slots (entsec-vault-slots.c), for entsec-vault-pin.c ------------------ */

/* LOCKED unless unlocked; read without waiting for a KDF (the flag may change after). */
gboolean    vault_check_unlocked_now (EntsecVault *vault,
                                      GError     **error);

/*
 * Argon2id costs from the public form (@kdf NULL: calibrated to
 * DEFAULT_KDF_TARGET_MS); INVALID when out of bounds.
 */
gboolean    vault_kdf_from_public (const EntsecKdfParams *kdf,
                                   EntsecArgon2Params    *argon,
                                   GError               **error);
/*
 * Make slots of @type be exactly one new slot (@params, its sealed @keys):
 * added (the DEK only wrapped) when the vault has none of @type, else the old
 * ones replaced and the DEK rotated, in one transaction. *@removed gets
 * copies of the replaced slots. Takes the mutex; the vault must be unlocked.
 */
gboolean    vault_put_slot (EntsecVault *vault,
                            guint32      type,
                            GBytes      *params,
                            GBytes      *keys,
                            GPtrArray  **removed,
                            GError     **error);

/* Remove the keyring items of keyring and PIN slots in @removed (best effort). */
void        vault_clear_slot_items (EntsecVault  *vault,
                                    GPtrArray    *removed,
                                    GCancellable *cancellable);

/* ---- PIN slots (entsec-vault-pin.c) --------------------------------------- */

/* The keyring item id in a PIN slot's params; NULL when malformed. */
const guint8 *vault_pin_slot_uuid (const VaultSlot *slot);
/* Its Argon2id costs, for the slot list; FALSE when malformed. */
gboolean      vault_pin_slot_kdf (const VaultSlot    *slot,
                                  EntsecArgon2Params *argon);

G_END_DECLS
