/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-otp.h: the HOTP/TOTP/Steam engine and Base32 */
#pragma once

#if !defined(ENTSEC_INSIDE) && !defined(ENTSEC_COMPILATION)
#error "Only <entsec/entsec.h> can be included directly."
#endif

#include <glib.h>

#include "entsec-macros.h"

G_BEGIN_DECLS

/**
 * EntsecOtpError:
 * @ENTSEC_OTP_ERROR_BASE32: text is not valid Base32; the message names the
 *   position and the character.
 * @ENTSEC_OTP_ERROR_PARAMETER: a parameter is out of range (digits, period,
 *   key length, a time before 1970).
 * @ENTSEC_OTP_ERROR_CRYPTO: the HMAC could not be computed (OpenSSL failure).
 *
 * Errors in the %ENTSEC_OTP_ERROR domain.
 */
typedef enum
{
  ENTSEC_OTP_ERROR_BASE32,
  ENTSEC_OTP_ERROR_PARAMETER,
  ENTSEC_OTP_ERROR_CRYPTO,
} EntsecOtpError;

#define ENTSEC_OTP_ERROR (entsec_otp_error_quark ())
/* Returns: the quark of the %ENTSEC_OTP_ERROR domain. */
ENTSEC_EXPORT
GQuark entsec_otp_error_quark (void);

typedef enum
{
  ENTSEC_OTP_ALGORITHM_SHA1,
  ENTSEC_OTP_ALGORITHM_SHA256,
  ENTSEC_OTP_ALGORITHM_SHA512,
} EntsecOtpAlgorithm;

#define ENTSEC_OTP_MIN_DIGITS 6
#define ENTSEC_OTP_MAX_DIGITS 10
#define ENTSEC_OTP_MIN_PERIOD 1
#define ENTSEC_OTP_MAX_PERIOD 300
#define ENTSEC_OTP_DEFAULT_PERIOD 30
#define ENTSEC_OTP_DEFAULT_DIGITS 6
#define ENTSEC_STEAM_DIGITS 5
/* Longest code plus the terminating NUL: size of the @code buffers below. */
#define ENTSEC_OTP_CODE_SIZE (ENTSEC_OTP_MAX_DIGITS + 1)

/* Returns: (transfer none): the name used in otpauth URIs ("SHA1", ...), a static string. */
ENTSEC_EXPORT
const char *entsec_otp_algorithm_to_string (EntsecOtpAlgorithm algorithm);
/*
 * @algorithm: (out) (optional): set only when @name (any case) is known.
 * Returns: FALSE for an unknown name, leaving @algorithm unset.
 */
ENTSEC_EXPORT
gboolean    entsec_otp_algorithm_from_string (const char         *name,
                                              EntsecOtpAlgorithm *algorithm)
  G_GNUC_WARN_UNUSED_RESULT;

/*
 * HOTP (RFC 4226) for @counter: @key (array length=key_len) gives @digits
 * decimal digits and a NUL in @code (out caller-allocates), left unset on error.
 */
ENTSEC_EXPORT
gboolean entsec_hotp (EntsecOtpAlgorithm algorithm,
                      const guint8      *key,
                      gsize              key_len,
                      guint64            counter,
                      guint              digits,
                      char               code[ENTSEC_OTP_CODE_SIZE],
                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * TOTP (RFC 6238) at Unix time @now (injected, never read from the clock
 * here); @key and @code as for entsec_hotp().
 */
ENTSEC_EXPORT
gboolean entsec_totp (EntsecOtpAlgorithm algorithm,
                      const guint8      *key,
                      gsize              key_len,
                      gint64             now,
                      guint              period,
                      guint              digits,
                      char               code[ENTSEC_OTP_CODE_SIZE],
                      GError           **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * Steam Guard: TOTP/SHA1/30 s mapped onto Steam's 26-character alphabet, 5
 * characters; @key and @code as for entsec_hotp().
 */
ENTSEC_EXPORT
gboolean entsec_steam (const guint8 *key,
                       gsize         key_len,
                       gint64        now,
                       char          code[ENTSEC_OTP_CODE_SIZE],
                       GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/* Seconds left (1..@period) before the TOTP code valid at @now changes; @period > 0. */
ENTSEC_EXPORT
guint entsec_totp_remaining (gint64 now,
                             guint  period);

/*
 * Base32 (RFC 4648) decoding that accepts lower case, spaces, hyphens and
 * missing padding; on error names the first bad character.
 * @out_len: (out): the length of the key.
 * Returns: (transfer full) (array length=out_len) (nullable): the key, or
 *   NULL with @error set; free with entsec_secure_free().
 */
ENTSEC_EXPORT
guint8 *entsec_base32_decode (const char *text,
                              gsize      *out_len,
                              GError    **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * Upper-case Base32 without padding of @data (array length=len).
 * Returns: (transfer full): the text; free with entsec_secure_strfree().
 */
ENTSEC_EXPORT
char *entsec_base32_encode (const guint8 *data,
                            gsize         len) G_GNUC_WARN_UNUSED_RESULT;

/* Wipe @len bytes at @data ((transfer full) (nullable)), then free it. */
ENTSEC_EXPORT
void entsec_secure_free (gpointer data,
                         gsize    len);

/* Wipe a NUL-terminated string @str ((transfer full) (nullable)), then free it. */
ENTSEC_EXPORT
void entsec_secure_strfree (char *str);

G_END_DECLS
