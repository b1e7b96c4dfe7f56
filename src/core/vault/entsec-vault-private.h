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

void vault_slot_free (VaultSlot *slot);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VaultSlot, vault_slot_free)

struct _EntsecVault
{
  GObject            parent_instance;
  GMutex             mutex;
  char              *path;
  sqlite3           *db;
  int                lock_fd;
  guint8             vault_id[VAULT_ID_SIZE];
  GPtrArray         *slots;       /* VaultSlot, by id */
  EntsecSecureBytes *dek;         /* NULL while locked */
  EntsecSecureBytes *names_key;   /* keys the preference names; NULL while locked */
  GPtrArray         *accounts;    /* EntsecAccount, owned, wiped on lock */
  GPtrArray         *quarantined; /* EntsecVaultQuarantined */
  GHashTable        *prefs;       /* name -> EntsecSecureBytes (serialised GVariant) */
  guint              failed_unlocks;
  dev_t              file_dev;    /* the file we opened: a replaced one is never written */
  ino_t              file_ino;
};

/* ---- entsec-vault.c, used by entsec-vault-data.c -------------------------- */

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
/* Seal / open a column of a row under the DEK. */
GBytes            *vault_seal_row (EntsecVault  *vault,
                                   const char   *table,
                                   const guint8 *row_key,
                                   gsize         row_key_len,
                                   const guint8 *plaintext,
                                   gsize         plaintext_len,
                                   GError      **error);
EntsecSecureBytes *vault_open_row (EntsecVault  *vault,
                                   const char   *table,
                                   const guint8 *row_key,
                                   gsize         row_key_len,
                                   const void   *sealed,
                                   gsize         sealed_len,
                                   GError      **error);
/* The key that turns preference names into row keys. */
EntsecSecureBytes *vault_derive_names_key (const EntsecSecureBytes *dek);
/* Load every account and preference after the DEK is known. */
gboolean vault_load_rows (EntsecVault *vault,
                          GError     **error);
/* Drop the decrypted model (wiping it). */
void     vault_clear_rows (EntsecVault *vault);

/* ---- Codec (entsec-vault-codec.c) ---------------------------------------- */

/* Serialise @account's fields (not id/position), padded to 64 bytes. */
EntsecSecureBytes *vault_account_encode (const EntsecAccount *account);
/* The reverse; fails on any malformed field. @id and @position are set. */
EntsecAccount     *vault_account_decode (const guint8 *data,
                                         gsize         len,
                                         GError      **error);
/* Free an account after wiping every text field and the secret. */
void               vault_account_wipe_free (gpointer account);

EntsecSecureBytes *vault_pref_encode (const char *name,
                                      GVariant   *value);
/* @name_out: wipe-free with entsec_secure_strfree(). */
GVariant          *vault_pref_decode (const guint8 *data,
                                      gsize         len,
                                      char        **name_out,
                                      GError      **error);

/* Associated data of a row's encrypted column. */
GBytes *vault_row_aad (const guint8  vault_id[VAULT_ID_SIZE],
                       const char   *table,
                       const guint8 *row_key,
                       gsize         row_key_len,
                       const char   *column);
/* Associated data of a wrapped DEK: vault id, slot id, type and params. */
GBytes *vault_slot_aad (const guint8     vault_id[VAULT_ID_SIZE],
                        const VaultSlot *slot);
/* The header as authenticated: format, vault id and the whole slot table. */
GBytes *vault_header_aad (const guint8 vault_id[VAULT_ID_SIZE],
                          GPtrArray   *slots);

/* Passphrase slot params: version, costs, salt. Parsing checks bounds. */
GBytes  *vault_kdf_params_encode (const EntsecArgon2Params *params);
gboolean vault_kdf_params_decode (GBytes             *bytes,
                                  EntsecArgon2Params *params,
                                  GError            **error);

/* ---- SQLite (entsec-vault-db.c) ------------------------------------------ */

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
 */
sqlite3 *vault_db_open_existing (const char *path,
                                 GError    **error);
/* Upgrade the schema to ENTSEC_VAULT_FORMAT_VERSION (after a successful unlock only). */
gboolean vault_db_migrate (sqlite3 *db,
                           GError **error);
/* Create @path (0600, parent 0700) and open it. */
sqlite3 *vault_db_create (const char *path,
                          GError    **error);
/* Take the single-writer lock (flock on PATH.lock); returns the fd or -1. */
int      vault_db_lock_file (const char *path,
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

G_END_DECLS
