/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-otpauth.h: otpauth:// URIs and Google Authenticator exports */
#pragma once

#if !defined(ENTSEC_INSIDE) && !defined(ENTSEC_COMPILATION)
#error "Only <entsec/entsec.h> can be included directly."
#endif

#include "entsec-account.h"
#include "entsec-macros.h"

G_BEGIN_DECLS

/**
 * EntsecOtpauthError:
 * @ENTSEC_OTPAUTH_ERROR_SCHEME: not an otpauth:// (or otpauth-migration://) URI
 * @ENTSEC_OTPAUTH_ERROR_TYPE: a type other than totp/hotp (steam is mapped)
 * @ENTSEC_OTPAUTH_ERROR_SECRET: the secret is missing, not Base32 or too short
 * @ENTSEC_OTPAUTH_ERROR_PARAMETER: algorithm, digits, period or counter out of range
 * @ENTSEC_OTPAUTH_ERROR_LABEL: label or issuer badly encoded, too long or with control characters
 * @ENTSEC_OTPAUTH_ERROR_ENCODING: bad percent-encoding or Base64
 * @ENTSEC_OTPAUTH_ERROR_MIGRATION: the export's protobuf is malformed or over the limits
 *
 * Errors in the %ENTSEC_OTPAUTH_ERROR domain; every message says what to fix.
 */
typedef enum
{
  ENTSEC_OTPAUTH_ERROR_SCHEME,
  ENTSEC_OTPAUTH_ERROR_TYPE,
  ENTSEC_OTPAUTH_ERROR_SECRET,
  ENTSEC_OTPAUTH_ERROR_PARAMETER,
  ENTSEC_OTPAUTH_ERROR_LABEL,
  ENTSEC_OTPAUTH_ERROR_ENCODING,
  ENTSEC_OTPAUTH_ERROR_MIGRATION,
} EntsecOtpauthError;

#define ENTSEC_OTPAUTH_ERROR (entsec_otpauth_error_quark ())
/* Returns: the quark of the %ENTSEC_OTPAUTH_ERROR domain. */
ENTSEC_EXPORT
GQuark entsec_otpauth_error_quark (void);

/* Things worth telling the user that do not stop the account being added. */
typedef enum
{
  ENTSEC_OTPAUTH_WARNING_NONE = 0,
  ENTSEC_OTPAUTH_WARNING_SHORT_SECRET = 1 << 0,    /* under 128 bits */
  ENTSEC_OTPAUTH_WARNING_ISSUER_MISMATCH = 1 << 1, /* label prefix != issuer parameter */
} EntsecOtpauthWarnings;

/*
 * Parse one otpauth:// URI (Google Key URI format; totp, hotp, and steam as
 * a type or as encoder=steam) into a validated account. White space around
 * the URI is ignored, unknown parameters too; duplicates are refused. The
 * issuer parameter wins over the label's "Issuer:" prefix; an empty issuer is
 * no issuer.
 * @warnings: (out) (optional): set only on success.
 * Returns: (transfer full) (nullable): the account, or NULL with @error set;
 *   free with entsec_account_free().
 */
ENTSEC_EXPORT
EntsecAccount *entsec_otpauth_parse (const char            *uri,
                                     EntsecOtpauthWarnings *warnings,
                                     GError               **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * The otpauth:// URI of @account. Parsing the result gives an identical account.
 * Canonical form: otpauth://totp|hotp/Issuer:label?secret=BASE32&issuer=...
 * with names percent-encoded, then algorithm, digits, period and counter only
 * when they differ from SHA1, 6, 30 and 0 (HOTP always has its counter);
 * Steam is written as totp with encoder=steam. The label starts with ':'
 * instead of "Issuer:" when the issuer has a colon, the label a leading space,
 * or the label a colon and there is no issuer.
 * Returns: (transfer full): the URI, which holds the secret: free with
 *   entsec_secure_strfree().
 */
ENTSEC_EXPORT
char *entsec_otpauth_build (const EntsecAccount *account) G_GNUC_WARN_UNUSED_RESULT;

/**
 * EntsecMigrationBatch:
 * @accounts: (element-type EntsecAccount): the entries that were valid
 * @errors: (element-type GError): one error per rejected entry; the message
 *   names the entry ("Entry 3 (GitHub): ...")
 * @version, @batch_size, @batch_index, @batch_id: as in the export; a
 *   batch_size above 1 means the export spans several QR codes
 *
 * The result of reading one otpauth-migration:// URI.
 */
typedef struct
{
  GPtrArray *accounts;
  GPtrArray *errors;
  gint       version;
  gint       batch_size;
  gint       batch_index;
  gint       batch_id;
} EntsecMigrationBatch;

/* Caps on what one export may hold. */
#define ENTSEC_MIGRATION_MAX_URI_BYTES (64 * 1024)
#define ENTSEC_MIGRATION_MAX_ENTRIES 1000

/*
 * Parse a Google Authenticator export (Base64 standard or URL-safe, padded
 * or not). Fails only when the payload as a whole is unusable (scheme, size,
 * encoding, protobuf, more than ENTSEC_MIGRATION_MAX_ENTRIES entries); bad
 * entries land in @errors and never drop good ones. TOTP entries get a
 * 30-second period (the export has no period field).
 * Returns: (transfer full) (nullable): the batch, or NULL with @error set;
 *   free with entsec_migration_batch_free().
 */
ENTSEC_EXPORT
EntsecMigrationBatch *entsec_migration_parse (const char *uri,
                                              GError    **error) G_GNUC_WARN_UNUSED_RESULT;
/* Free @batch ((transfer full) (nullable)), its accounts (secrets wiped) and errors. */
ENTSEC_EXPORT
void                  entsec_migration_batch_free (EntsecMigrationBatch *batch);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecMigrationBatch, entsec_migration_batch_free)

G_END_DECLS
