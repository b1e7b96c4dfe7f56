/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-private.h: what the parts of entsec-server share: the error
 * domain, identifiers, address normalisation, digests and private files.
 */
#pragma once

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

#define ENTSEC_SERVER_ERROR (entsec_server_error_quark ())

/**
 * EntsecServerError:
 * @ENTSEC_SERVER_ERROR_CONFIG: the configuration or command line is wrong
 * @ENTSEC_SERVER_ERROR_EXISTS: the data directory is already initialised
 * @ENTSEC_SERVER_ERROR_IO: a file could not be read or written
 * @ENTSEC_SERVER_ERROR_STORAGE: the database failed
 * @ENTSEC_SERVER_ERROR_CONFLICT: a unique value (email, phone) is taken
 * @ENTSEC_SERVER_ERROR_INVALID: a request value is malformed
 * @ENTSEC_SERVER_ERROR_CRYPTO: key or certificate generation failed
 * @ENTSEC_SERVER_ERROR_INVALID_CODE: an enrollment code is wrong, used up or
 *   burned, or the enrollment is unknown (never told apart)
 * @ENTSEC_SERVER_ERROR_EXPIRED: the enrollment expired
 * @ENTSEC_SERVER_ERROR_RATE_LIMITED: too soon; retry later
 * @ENTSEC_SERVER_ERROR_LIMIT: a configured limit (devices per user) is reached
 * @ENTSEC_SERVER_ERROR_SIGNATURE: a request signature is missing, wrong, stale
 *   or replayed, or names an unknown device (never told apart to the client)
 * @ENTSEC_SERVER_ERROR_REVOKED: the device is revoked, suspended or unbound
 * @ENTSEC_SERVER_ERROR_FORBIDDEN: the policy does not allow this
 * @ENTSEC_SERVER_ERROR_NOT_FOUND: the object named in the request does not exist
 * @ENTSEC_SERVER_ERROR_CLIENT_TOO_OLD: the client's version is below the
 *   policy's binding.min_client_version
 *
 * Errors of entsec-server (domain %ENTSEC_SERVER_ERROR).
 */
typedef enum
{
  ENTSEC_SERVER_ERROR_CONFIG,
  ENTSEC_SERVER_ERROR_EXISTS,
  ENTSEC_SERVER_ERROR_IO,
  ENTSEC_SERVER_ERROR_STORAGE,
  ENTSEC_SERVER_ERROR_CONFLICT,
  ENTSEC_SERVER_ERROR_INVALID,
  ENTSEC_SERVER_ERROR_CRYPTO,
  ENTSEC_SERVER_ERROR_INVALID_CODE,
  ENTSEC_SERVER_ERROR_EXPIRED,
  ENTSEC_SERVER_ERROR_RATE_LIMITED,
  ENTSEC_SERVER_ERROR_LIMIT,
  ENTSEC_SERVER_ERROR_SIGNATURE,
  ENTSEC_SERVER_ERROR_REVOKED,
  ENTSEC_SERVER_ERROR_FORBIDDEN,
  ENTSEC_SERVER_ERROR_NOT_FOUND,
  ENTSEC_SERVER_ERROR_CLIENT_TOO_OLD,
} EntsecServerError;

GQuark    entsec_server_error_quark (void);

#define ENTSEC_SERVER_DIGEST_SIZE 32

/* "usr_" and so on followed by 128 random bits in base64url. Free with g_free(). */
char     *entsec_server_random_id (const char *prefix);

/* 256 random bits in base64url (a bearer secret). Wipe, then g_free(). */
char     *entsec_server_random_secret (void);

/* SHA-256 of @len bytes of @data into @digest. */
void      entsec_server_sha256 (const void *data,
                                gsize       len,
                                guint8      digest[ENTSEC_SERVER_DIGEST_SIZE]);

/*
 * An email address as stored: trimmed, lower case, one '@' with text on both
 * sides, printable ASCII, at most 254 bytes. NULL with
 * %ENTSEC_SERVER_ERROR_INVALID otherwise. Free with g_free().
 */
char     *entsec_server_normalize_email (const char *email,
                                         GError    **error);

/*
 * A phone number in E.164 ("+" and 8 to 15 digits, the first not 0) from
 * what people type: spaces, dots, dashes and parentheses are dropped and a
 * leading "00" becomes "+". A national number without a country code is
 * refused. Free with g_free().
 */
char     *entsec_server_normalize_phone (const char *phone,
                                         GError    **error);

/*
 * TRUE when every member of @body is "v" with the value 1 or one of @names
 * with a string value, and (with @all_required) every one of @names is
 * there; otherwise %ENTSEC_SERVER_ERROR_INVALID with @what ("a new user")
 * in a message that never echoes the request.
 */
gboolean  entsec_server_check_members (json_t            *body,
                                       const char *const *names,
                                       gboolean           all_required,
                                       const char        *what,
                                       GError           **error);

/*
 * The member checks of POST /v1/admin/tokens and POST /v1/auth/push
 * (server-rp.c), before any value is looked up. Errors:
 * %ENTSEC_SERVER_ERROR_INVALID saying what the body may hold.
 */
gboolean  entsec_server_check_token_body (json_t  *body,
                                          GError **error);
gboolean  entsec_server_check_push_body (json_t  *body,
                                         GError **error);

/* Sets %ENTSEC_SERVER_ERROR_INVALID with @message; always FALSE. */
gboolean  entsec_server_invalid (GError    **error,
                                 const char *message);

/* A display name: valid UTF-8, no control characters, 1 to 200 characters. */
gboolean  entsec_server_check_name (const char *name,
                                    GError    **error);

/*
 * Create @path with @len bytes of @data and mode 0600 (0644 when @is_public);
 * refuses to replace an existing file or to follow a link; data on disk
 * (fsync) before it returns.
 */
gboolean  entsec_server_write_file (const char *path,
                                    const void *data,
                                    gsize       len,
                                    gboolean    is_public,
                                    GError    **error);

G_END_DECLS
