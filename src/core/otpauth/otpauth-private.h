/* SPDX-License-Identifier: GPL-3.0-or-later */
/* otpauth-private.h: helpers shared by the otpauth:// and otpauth-migration:// parsers */
#pragma once

#include "entsec-core-private.h"

G_BEGIN_DECLS

/* Longest label or issuer accepted, in bytes (as entsec_account_validate()). */
#define OTPAUTH_MAX_TEXT_BYTES 256
/* Longest secret accepted, in bytes (as entsec_account_validate()). */
#define OTPAUTH_MAX_SECRET_BYTES 1024
/* Under this many bytes a secret is accepted with a warning (RFC 4226 R6). */
#define OTPAUTH_GOOD_SECRET_BYTES 16
#define OTPAUTH_MIN_SECRET_BYTES 10

/*
 * Decode %XX escapes in @len bytes at @text; with @plus_is_space, '+' becomes
 * a space as in query strings. Fails on a bad escape or an escaped NUL; the
 * message names @what and the position. The result may hold any other byte.
 */
char *otpauth_percent_decode (const char *text,
                              gsize       len,
                              gboolean    plus_is_space,
                              const char *what,
                              GError    **error);

/* Check that @text (named @what) is short, valid UTF-8 and free of control characters. */
gboolean otpauth_check_text (const char *what,
                             const char *text,
                             GError    **error);

/*
 * Split a label "Issuer:account" on its first colon: *@issuer gets the
 * prefix (NULL when there is none or it is empty) and *@account the rest,
 * leading spaces dropped when a prefix was present.
 */
void otpauth_split_label (const char *label,
                          char      **issuer,
                          char      **account);

/* Secret length checks shared by both parsers (bounds above). */
gboolean otpauth_check_secret_length (gsize    secret_len,
                                      GError **error);

G_END_DECLS
