/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-backup.h: encrypted backups, plain otpauth:// lists and Aegis
 * imports. These work on arrays of EntsecAccount, independent of the vault.
 * The entsec backup format is specified in docs/backup-format.md.
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
 * EntsecBackupError:
 * @ENTSEC_BACKUP_ERROR_FORMAT: not a file of the expected format, or
 *   malformed (truncated, bad JSON, parameters out of range)
 * @ENTSEC_BACKUP_ERROR_VERSION: written by a newer version of the format
 * @ENTSEC_BACKUP_ERROR_PASSPHRASE: the passphrase (or Aegis password) is
 *   wrong, or the part of the file it protects is damaged
 * @ENTSEC_BACKUP_ERROR_PASSPHRASE_REQUIRED: the file is encrypted and no
 *   passphrase was given
 * @ENTSEC_BACKUP_ERROR_CORRUPT: the passphrase was right but the contents
 *   do not verify or do not parse: the file was damaged or altered
 * @ENTSEC_BACKUP_ERROR_LIMIT: the file is over a size limit (bytes,
 *   entries, nesting); the message names the limit
 * @ENTSEC_BACKUP_ERROR_ENTRY: one entry was rejected (only in the @errors
 *   of an #EntsecImportResult; the message names the entry or line)
 * @ENTSEC_BACKUP_ERROR_IO: the file could not be written; an existing file
 *   at that path was left as it was
 * @ENTSEC_BACKUP_ERROR_FAILED: encryption or key derivation failed
 *
 * Errors in the %ENTSEC_BACKUP_ERROR domain. Messages never contain secrets.
 */
typedef enum
{
  ENTSEC_BACKUP_ERROR_FORMAT,
  ENTSEC_BACKUP_ERROR_VERSION,
  ENTSEC_BACKUP_ERROR_PASSPHRASE,
  ENTSEC_BACKUP_ERROR_PASSPHRASE_REQUIRED,
  ENTSEC_BACKUP_ERROR_CORRUPT,
  ENTSEC_BACKUP_ERROR_LIMIT,
  ENTSEC_BACKUP_ERROR_ENTRY,
  ENTSEC_BACKUP_ERROR_IO,
  ENTSEC_BACKUP_ERROR_FAILED,
} EntsecBackupError;

#define ENTSEC_BACKUP_ERROR (entsec_backup_error_quark ())
/* Returns: the quark of the %ENTSEC_BACKUP_ERROR domain. */
ENTSEC_EXPORT
GQuark entsec_backup_error_quark (void);

/* Caps every importer applies before parsing. */
#define ENTSEC_IMPORT_MAX_FILE_BYTES (32 * 1024 * 1024)
#define ENTSEC_IMPORT_MAX_ENTRIES 10000
#define ENTSEC_IMPORT_MAX_JSON_DEPTH 32

/**
 * EntsecImportFormat:
 * @ENTSEC_IMPORT_FORMAT_UNKNOWN: none of the below
 * @ENTSEC_IMPORT_FORMAT_ENTSEC: an entsec encrypted backup
 * @ENTSEC_IMPORT_FORMAT_URIS: text with otpauth:// or otpauth-migration:// lines
 * @ENTSEC_IMPORT_FORMAT_AEGIS: an Aegis vault export (JSON)
 */
typedef enum
{
  ENTSEC_IMPORT_FORMAT_UNKNOWN,
  ENTSEC_IMPORT_FORMAT_ENTSEC,
  ENTSEC_IMPORT_FORMAT_URIS,
  ENTSEC_IMPORT_FORMAT_AEGIS,
} EntsecImportFormat;

/**
 * EntsecImportResult:
 * @accounts: (element-type EntsecAccount): the entries that were valid
 * @errors: (element-type GError): one %ENTSEC_BACKUP_ERROR_ENTRY per
 *   rejected entry, naming it ("Line 3: ...", "Entry 2 (GitHub): ...")
 *
 * What an import that keeps the good entries found.
 */
typedef struct
{
  GPtrArray *accounts;
  GPtrArray *errors;
} EntsecImportResult;

/* Free @result ((transfer full) (nullable)), its accounts (secrets wiped) and errors. */
ENTSEC_EXPORT
void entsec_import_result_free (EntsecImportResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecImportResult, entsec_import_result_free)

/* Guess the format of @data ((transfer none)) from its first bytes (no parsing, no KDF). */
ENTSEC_EXPORT
EntsecImportFormat entsec_import_detect_format (GBytes *data);

/* ---- entsec encrypted backups ------------------------------------------- */

/*
 * Encrypt @accounts ((transfer none) (element-type EntsecAccount)) into a
 * backup protected by @passphrase (@passphrase_len UTF-8 bytes as given; NULL
 * only when empty). @kdf: (nullable): NULL = Argon2id 64 MiB, 3 passes, 4
 * lanes. Every account is validated first. Blocks for the key derivation.
 * @out: (out) (transfer full): the file's bytes (*@out must be NULL on
 *   entry), set only on success; free with g_bytes_unref().
 */
ENTSEC_EXPORT
gboolean entsec_backup_export_sync (GPtrArray             *accounts,
                                    const char            *passphrase,
                                    gsize                  passphrase_len,
                                    const EntsecKdfParams *kdf,
                                    GBytes               **out,
                                    GCancellable          *cancellable,
                                    GError               **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * Decrypt a backup. All or nothing: on any error (wrong passphrase gives
 * %ENTSEC_BACKUP_ERROR_PASSPHRASE, damage gives FORMAT or CORRUPT) *@accounts
 * is left NULL. Header parameters are bounds-checked before any allocation.
 * @accounts: (out) (transfer full) (element-type EntsecAccount): *@accounts
 *   must be NULL on entry; free with g_ptr_array_unref().
 */
ENTSEC_EXPORT
gboolean entsec_backup_import_sync (GBytes       *data,
                                    const char   *passphrase,
                                    gsize         passphrase_len,
                                    GPtrArray   **accounts,
                                    GCancellable *cancellable,
                                    GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/* ---- Plain otpauth:// lists (UNENCRYPTED) -------------------------------- */

/*
 * One otpauth:// URI per line for @accounts ((element-type EntsecAccount)).
 * Returns: (transfer full): contains every secret: free with entsec_secure_strfree().
 */
ENTSEC_EXPORT
char *entsec_backup_export_uris (GPtrArray *accounts) G_GNUC_WARN_UNUSED_RESULT;

/*
 * Read text with one otpauth:// or otpauth-migration:// URI per line (blank
 * lines and lines starting with '#' are skipped). Bad lines become errors
 * naming the line; good ones are kept. Fails only on a whole-file problem.
 * Returns: (transfer full) (nullable): free with entsec_import_result_free().
 */
ENTSEC_EXPORT
EntsecImportResult *entsec_backup_import_uris (GBytes  *data,
                                               GError **error) G_GNUC_WARN_UNUSED_RESULT;

/* ---- Aegis ---------------------------------------------------------------- */

/*
 * Whether an Aegis export is encrypted (needs a password), or an error if it is not Aegis.
 * @encrypted: (out): set only on success.
 */
ENTSEC_EXPORT
gboolean entsec_aegis_is_encrypted (GBytes   *data,
                                    gboolean *encrypted,
                                    GError  **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * Read an Aegis vault export, plain or encrypted (@password: (nullable),
 * @password_len UTF-8 bytes; NULL for a plain one). totp, hotp and steam
 * entries are kept; other types (yandex, motp) and invalid entries become errors.
 * Returns: (transfer full) (nullable): free with entsec_import_result_free().
 */
ENTSEC_EXPORT
EntsecImportResult *entsec_aegis_import_sync (GBytes       *data,
                                              const char   *password,
                                              gsize         password_len,
                                              GCancellable *cancellable,
                                              GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/* ---- Files ---------------------------------------------------------------- */

/*
 * Write @data to @path atomically, mode 0600: an unnamed file (O_TMPFILE)
 * in the same directory is written and fsynced, named, renamed over @path,
 * then the directory is fsynced. If writing fails, @path is untouched and
 * no temporary file remains, even after kill -9; if only the final
 * directory fsync fails, @path already holds the new data but the error
 * says the disk did not confirm it. An existing @path that is not a regular
 * file (a device such as /dev/null, a FIFO, a folder, a symbolic link) is
 * refused with %ENTSEC_BACKUP_ERROR_IO and left as it was.
 */
ENTSEC_EXPORT
gboolean entsec_backup_write_file_sync (const char   *path,
                                        GBytes       *data,
                                        GCancellable *cancellable,
                                        GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * Read a file to import, refusing more than ENTSEC_IMPORT_MAX_FILE_BYTES.
 * Returns: (transfer full) (nullable): the contents (wiped when freed); free
 *   with g_bytes_unref().
 */
ENTSEC_EXPORT
GBytes *entsec_backup_read_file_sync (const char   *path,
                                      GCancellable *cancellable,
                                      GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/* ---- Off the main thread -------------------------------------------------- */

/*
 * entsec_backup_export_sync() in a worker thread (the key derivation takes about
 * a second). @accounts and @passphrase are copied; the passphrase copy is
 * wiped. @kdf: (nullable). @cancellable: (nullable).
 */
ENTSEC_EXPORT
void    entsec_backup_export_async (GPtrArray             *accounts,
                                    const char            *passphrase,
                                    gsize                  passphrase_len,
                                    const EntsecKdfParams *kdf,
                                    GCancellable          *cancellable,
                                    GAsyncReadyCallback    callback,
                                    gpointer               user_data);
/* Returns: (transfer full) (nullable): the file's bytes; free with g_bytes_unref(). */
ENTSEC_EXPORT
GBytes *entsec_backup_export_finish (GAsyncResult *result,
                                     GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/* entsec_backup_import_sync() in a worker thread (@data referenced, @passphrase copied). */
ENTSEC_EXPORT
void       entsec_backup_import_async (GBytes             *data,
                                       const char         *passphrase,
                                       gsize               passphrase_len,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
/*
 * Returns: (transfer full) (element-type EntsecAccount) (nullable): the
 *   accounts; free with g_ptr_array_unref().
 */
ENTSEC_EXPORT
GPtrArray *entsec_backup_import_finish (GAsyncResult *result,
                                        GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/* entsec_aegis_import_sync() in a worker thread (@password: (nullable), copied). */
ENTSEC_EXPORT
void                entsec_aegis_import_async (GBytes             *data,
                                               const char         *password,
                                               gsize               password_len,
                                               GCancellable       *cancellable,
                                               GAsyncReadyCallback callback,
                                               gpointer            user_data);
/* Returns: (transfer full) (nullable): free with entsec_import_result_free(). */
ENTSEC_EXPORT
EntsecImportResult *entsec_aegis_import_finish (GAsyncResult *result,
                                                GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/* entsec_backup_write_file_sync() in a worker thread (fsync can block). */
ENTSEC_EXPORT
void     entsec_backup_write_file_async (const char         *path,
                                         GBytes             *data,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data);
/* Returns: FALSE with @error set when the file was not written (or not confirmed). */
ENTSEC_EXPORT
gboolean entsec_backup_write_file_finish (GAsyncResult *result,
                                          GError      **error) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
