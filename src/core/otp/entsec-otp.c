/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-otp.c: HOTP (RFC 4226), TOTP (RFC 6238) and Steam Guard codes */

#define G_LOG_DOMAIN "entsec-otp"

#include "config.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "entsec-core-private.h"

G_DEFINE_QUARK (entsec-otp-error-quark, entsec_otp_error)

/* Steam maps the truncated value onto this alphabet, five characters. */
static const char steam_alphabet[] = "23456789BCDFGHJKMNPQRTVWXY";

static const guint64 powers_of_ten[] = {
  1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL, 10000000ULL,
  100000000ULL, 1000000000ULL, 10000000000ULL,
};

const char *
entsec_otp_algorithm_to_string (EntsecOtpAlgorithm algorithm)
{
  switch (algorithm)
    {
    case ENTSEC_OTP_ALGORITHM_SHA1:
      return "SHA1";
    case ENTSEC_OTP_ALGORITHM_SHA256:
      return "SHA256";
    case ENTSEC_OTP_ALGORITHM_SHA512:
      return "SHA512";
    default:
      g_return_val_if_reached ("SHA1");
    }
}

gboolean
entsec_otp_algorithm_from_string (const char         *name,
                                  EntsecOtpAlgorithm *algorithm)
{
  static const struct { const char *name; EntsecOtpAlgorithm value; } names[] = {
    { "SHA1", ENTSEC_OTP_ALGORITHM_SHA1 },
    { "SHA256", ENTSEC_OTP_ALGORITHM_SHA256 },
    { "SHA512", ENTSEC_OTP_ALGORITHM_SHA512 },
  };

  g_return_val_if_fail (name != NULL, FALSE);

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      if (g_ascii_strcasecmp (name, names[i].name) == 0)
        {
          if (algorithm != NULL)
            *algorithm = names[i].value;
          return TRUE;
        }
    }
  return FALSE;
}

static const char *
digest_name (EntsecOtpAlgorithm algorithm)
{
  switch (algorithm)
    {
    case ENTSEC_OTP_ALGORITHM_SHA256:
      return OSSL_DIGEST_NAME_SHA2_256;
    case ENTSEC_OTP_ALGORITHM_SHA512:
      return OSSL_DIGEST_NAME_SHA2_512;
    case ENTSEC_OTP_ALGORITHM_SHA1:
    default:
      return OSSL_DIGEST_NAME_SHA1;
    }
}

/* HMAC(@key, big-endian @counter) through EVP_MAC into @mac (64 bytes). */
static gboolean
compute_hmac (EntsecOtpAlgorithm algorithm,
              const guint8      *key,
              gsize              key_len,
              guint64            counter,
              guint8             mac[EVP_MAX_MD_SIZE],
              gsize             *mac_len,
              GError           **error)
{
  g_autoptr (EVP_MAC) hmac = NULL;
  g_autoptr (EVP_MAC_CTX) ctx = NULL;
  guint8 message[8];
  OSSL_PARAM params[2];
  gboolean ok;

  for (int i = 7; i >= 0; i--)
    {
      message[i] = counter & 0xff;
      counter >>= 8;
    }

  params[0] = OSSL_PARAM_construct_utf8_string (OSSL_MAC_PARAM_DIGEST,
                                                (char *) digest_name (algorithm), 0);
  params[1] = OSSL_PARAM_construct_end ();

  hmac = EVP_MAC_fetch (NULL, OSSL_MAC_NAME_HMAC, NULL);
  if (hmac != NULL)
    ctx = EVP_MAC_CTX_new (hmac);
  ok = ctx != NULL
       && EVP_MAC_init (ctx, key, key_len, params) == 1
       && EVP_MAC_update (ctx, message, sizeof message) == 1
       && EVP_MAC_final (ctx, mac, mac_len, EVP_MAX_MD_SIZE) == 1;
  if (!ok)
    g_set_error (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_CRYPTO,
                 "Could not compute the code: the system's OpenSSL refused HMAC-%s",
                 entsec_otp_algorithm_to_string (algorithm));
  return ok;
}

/* RFC 4226 section 5.3 dynamic truncation: a 31-bit value. */
static guint32
dynamic_truncate (const guint8 *mac,
                  gsize         mac_len)
{
  guint offset = mac[mac_len - 1] & 0x0f;

  return ((guint32) (mac[offset] & 0x7f) << 24)
         | ((guint32) mac[offset + 1] << 16)
         | ((guint32) mac[offset + 2] << 8)
         | (guint32) mac[offset + 3];
}

static gboolean
check_key (gsize    key_len,
           GError **error)
{
  if (key_len == 0)
    {
      g_set_error_literal (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_PARAMETER,
                           "The account has no secret key");
      return FALSE;
    }
  return TRUE;
}

static gboolean
truncated_value (EntsecOtpAlgorithm algorithm,
                 const guint8      *key,
                 gsize              key_len,
                 guint64            counter,
                 guint32           *value,
                 GError           **error)
{
  guint8 mac[EVP_MAX_MD_SIZE];
  gsize mac_len = 0;

  if (!check_key (key_len, error))
    return FALSE;
  if (!compute_hmac (algorithm, key, key_len, counter, mac, &mac_len, error))
    return FALSE;
  *value = dynamic_truncate (mac, mac_len);
  OPENSSL_cleanse (mac, sizeof mac);
  return TRUE;
}

gboolean
entsec_hotp (EntsecOtpAlgorithm algorithm,
             const guint8      *key,
             gsize              key_len,
             guint64            counter,
             guint              digits,
             char               code[ENTSEC_OTP_CODE_SIZE],
             GError           **error)
{
  guint32 value;

  g_return_val_if_fail (key != NULL || key_len == 0, FALSE);
  g_return_val_if_fail (code != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (digits < ENTSEC_OTP_MIN_DIGITS || digits > ENTSEC_OTP_MAX_DIGITS)
    {
      g_set_error (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_PARAMETER,
                   "Codes must have %d to %d digits, not %u",
                   ENTSEC_OTP_MIN_DIGITS, ENTSEC_OTP_MAX_DIGITS, digits);
      return FALSE;
    }
  if (!truncated_value (algorithm, key, key_len, counter, &value, error))
    return FALSE;

  g_snprintf (code, ENTSEC_OTP_CODE_SIZE, "%0*" G_GUINT64_FORMAT,
              (int) digits, (guint64) value % powers_of_ten[digits]);
  return TRUE;
}

static gboolean
time_step (gint64   now,
           guint    period,
           guint64 *step,
           GError **error)
{
  if (period < ENTSEC_OTP_MIN_PERIOD || period > ENTSEC_OTP_MAX_PERIOD)
    {
      g_set_error (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_PARAMETER,
                   "The code period must be %d to %d seconds, not %u",
                   ENTSEC_OTP_MIN_PERIOD, ENTSEC_OTP_MAX_PERIOD, period);
      return FALSE;
    }
  if (now < 0)
    {
      g_set_error_literal (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_PARAMETER,
                           "The clock is set before 1970; set the system time to compute codes");
      return FALSE;
    }
  *step = (guint64) now / period;
  return TRUE;
}

gboolean
entsec_totp (EntsecOtpAlgorithm algorithm,
             const guint8      *key,
             gsize              key_len,
             gint64             now,
             guint              period,
             guint              digits,
             char               code[ENTSEC_OTP_CODE_SIZE],
             GError           **error)
{
  guint64 step;

  g_return_val_if_fail (key != NULL || key_len == 0, FALSE);
  g_return_val_if_fail (code != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!time_step (now, period, &step, error))
    return FALSE;
  return entsec_hotp (algorithm, key, key_len, step, digits, code, error);
}

gboolean
entsec_steam (const guint8 *key,
              gsize         key_len,
              gint64        now,
              char          code[ENTSEC_OTP_CODE_SIZE],
              GError      **error)
{
  const guint base = sizeof steam_alphabet - 1;
  guint64 step;
  guint32 value;

  g_return_val_if_fail (key != NULL || key_len == 0, FALSE);
  g_return_val_if_fail (code != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!time_step (now, ENTSEC_OTP_DEFAULT_PERIOD, &step, error))
    return FALSE;
  if (!truncated_value (ENTSEC_OTP_ALGORITHM_SHA1, key, key_len, step, &value, error))
    return FALSE;

  for (guint i = 0; i < ENTSEC_STEAM_DIGITS; i++)
    {
      code[i] = steam_alphabet[value % base];
      value /= base;
    }
  code[ENTSEC_STEAM_DIGITS] = '\0';
  return TRUE;
}

guint
entsec_totp_remaining (gint64 now,
                       guint  period)
{
  g_return_val_if_fail (period > 0, 0);

  if (now < 0)
    return period;
  return period - (guint) ((guint64) now % period);
}

void
entsec_secure_free (gpointer data,
                    gsize    len)
{
  if (data == NULL)
    return;
  OPENSSL_cleanse (data, len);
  g_free (data);
}

void
entsec_secure_strfree (char *str)
{
  if (str == NULL)
    return;
  entsec_secure_free (str, strlen (str));
}
