/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-account.c: the account record shared by the parsers, the vault and the UI */

#define G_LOG_DOMAIN "entsec-account"

#include "config.h"

#include "entsec-core-private.h"

G_DEFINE_BOXED_TYPE (EntsecAccount, entsec_account, entsec_account_copy, entsec_account_free)

/* RFC 4226 R6 asks for 128 bits; anything under 80 is refused outright. */
#define MIN_SECRET_BYTES 10
#define MAX_SECRET_BYTES 1024
#define MAX_TEXT_BYTES 256

EntsecAccount *
entsec_account_new (void)
{
  EntsecAccount *account = g_new0 (EntsecAccount, 1);

  account->type = ENTSEC_ACCOUNT_TOTP;
  account->label = g_strdup ("");
  account->algorithm = ENTSEC_OTP_ALGORITHM_SHA1;
  account->digits = ENTSEC_OTP_DEFAULT_DIGITS;
  account->period = ENTSEC_OTP_DEFAULT_PERIOD;
  return account;
}

EntsecAccount *
entsec_account_copy (const EntsecAccount *account)
{
  EntsecAccount *copy;

  g_return_val_if_fail (account != NULL, NULL);

  copy = g_memdup2 (account, sizeof *account);
  copy->issuer = g_strdup (account->issuer);
  copy->label = g_strdup (account->label);
  copy->group = g_strdup (account->group);
  copy->notes = g_strdup (account->notes);
  copy->managed_id = g_strdup (account->managed_id);
  copy->secret = g_memdup2 (account->secret, account->secret_len);
  return copy;
}

void
entsec_account_free (EntsecAccount *account)
{
  if (account == NULL)
    return;
  entsec_secure_free (account->secret, account->secret_len);
  g_free (account->issuer);
  g_free (account->label);
  g_free (account->group);
  g_free (account->notes);
  g_free (account->managed_id);
  g_free (account);
}

void
entsec_account_set_secret (EntsecAccount *account,
                           const guint8  *secret,
                           gsize          secret_len)
{
  g_return_if_fail (account != NULL);
  g_return_if_fail (secret != NULL || secret_len == 0);

  entsec_secure_free (account->secret, account->secret_len);
  account->secret = g_memdup2 (secret, secret_len);
  account->secret_len = secret_len;
}

static gboolean
validate_text (const char *what,
               const char *text,
               GError    **error)
{
  if (text == NULL)
    return TRUE;
  if (strlen (text) > MAX_TEXT_BYTES)
    {
      g_set_error (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_PARAMETER,
                   "The %s is longer than %d bytes", what, MAX_TEXT_BYTES);
      return FALSE;
    }
  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_PARAMETER,
                   "The %s is not valid UTF-8 text", what);
      return FALSE;
    }
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iscntrl (c))
        {
          g_set_error (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_PARAMETER,
                       "The %s contains a control character", what);
          return FALSE;
        }
      if (entsec_unichar_is_deceptive (c))
        {
          g_set_error (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_PARAMETER,
                       "The %s contains an invisible formatting character (U+%04X, such as "
                       "a text direction override); remove it", what, (guint) c);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
validate_numbers (const EntsecAccount *account,
                  GError             **error)
{
  guint min_digits = ENTSEC_OTP_MIN_DIGITS;

  if (account->type == ENTSEC_ACCOUNT_STEAM)
    min_digits = ENTSEC_STEAM_DIGITS;
  if (account->digits < min_digits || account->digits > ENTSEC_OTP_MAX_DIGITS)
    {
      g_set_error (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_PARAMETER,
                   "Codes must have %u to %d digits, not %u",
                   min_digits, ENTSEC_OTP_MAX_DIGITS, account->digits);
      return FALSE;
    }
  if (account->type != ENTSEC_ACCOUNT_HOTP
      && (account->period < ENTSEC_OTP_MIN_PERIOD || account->period > ENTSEC_OTP_MAX_PERIOD))
    {
      g_set_error (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_PARAMETER,
                   "The code period must be %d to %d seconds, not %u",
                   ENTSEC_OTP_MIN_PERIOD, ENTSEC_OTP_MAX_PERIOD, account->period);
      return FALSE;
    }
  if (account->counter > G_MAXINT64)
    {
      g_set_error_literal (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_PARAMETER,
                           "The counter is larger than 9223372036854775807");
      return FALSE;
    }
  return TRUE;
}

gboolean
entsec_account_validate (const EntsecAccount *account,
                         GError             **error)
{
  g_return_val_if_fail (account != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (account->secret_len < MIN_SECRET_BYTES)
    {
      g_set_error (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_PARAMETER,
                   "The secret is too short: %" G_GSIZE_FORMAT " bits, at least %d are needed",
                   account->secret_len * 8, MIN_SECRET_BYTES * 8);
      return FALSE;
    }
  if (account->secret_len > MAX_SECRET_BYTES)
    {
      g_set_error (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_PARAMETER,
                   "The secret is too long: at most %d bytes are accepted", MAX_SECRET_BYTES);
      return FALSE;
    }
  if (account->label == NULL || account->label[0] == '\0')
    {
      g_set_error_literal (error, ENTSEC_OTP_ERROR, ENTSEC_OTP_ERROR_PARAMETER,
                           "The account has no name");
      return FALSE;
    }
  return validate_numbers (account, error)
         && validate_text ("account name", account->label, error)
         && validate_text ("issuer", account->issuer, error)
         && validate_text ("group", account->group, error);
}

gboolean
entsec_account_generate (const EntsecAccount *account,
                         gint64               now,
                         char                 code[ENTSEC_OTP_CODE_SIZE],
                         GError             **error)
{
  g_return_val_if_fail (account != NULL, FALSE);
  g_return_val_if_fail (code != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  switch (account->type)
    {
    case ENTSEC_ACCOUNT_HOTP:
      return entsec_hotp (account->algorithm, account->secret, account->secret_len,
                          account->counter, account->digits, code, error);
    case ENTSEC_ACCOUNT_STEAM:
      return entsec_steam (account->secret, account->secret_len, now, code, error);
    case ENTSEC_ACCOUNT_TOTP:
    default:
      return entsec_totp (account->algorithm, account->secret, account->secret_len, now,
                          account->period, account->digits, code, error);
    }
}

char *
entsec_account_dup_display_name (const EntsecAccount *account)
{
  g_return_val_if_fail (account != NULL, NULL);

  if (account->issuer != NULL && account->issuer[0] != '\0')
    return g_strdup_printf ("%s (%s)", account->issuer, account->label);
  return g_strdup (account->label);
}

const char *
entsec_account_type_to_string (EntsecAccountType type)
{
  switch (type)
    {
    case ENTSEC_ACCOUNT_HOTP:
      return "hotp";
    case ENTSEC_ACCOUNT_STEAM:
      return "steam";
    case ENTSEC_ACCOUNT_TOTP:
    default:
      return "totp";
    }
}
