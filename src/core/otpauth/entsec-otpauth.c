/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-otpauth.c: otpauth://TYPE/LABEL?PARAMETERS (Google Key URI format
 * plus the common extensions), read and written.
 *
 * The URI is split by hand rather than with GUri: duplicate parameters must
 * be seen (GUri's parameter table keeps the last one), and every message
 * names the part and the position that is wrong.
 */

#define G_LOG_DOMAIN "entsec-otpauth"

#include "config.h"

#include <stddef.h>

#include "otpauth-private.h"

/* Generous for a key URI: a 1 KiB secret, two 256-byte names, an image URL. */
#define MAX_URI_BYTES (16 * 1024)
#define MAX_NUMBER_CHARS 20

/* The parameters entsec reads, percent-decoded; NULL when absent. */
typedef struct
{
  char *secret;
  char *issuer;
  char *algorithm;
  char *digits;
  char *period;
  char *counter;
  char *encoder;
} UriParams;

/* The pieces of a URI: type (lower case), label (decoded) and parameters. */
typedef struct
{
  char *type;
  char *label;
  UriParams params;
} UriParts;

static const struct
{
  const char *name;
  gsize offset;
} known_params[] = {
  { "secret", G_STRUCT_OFFSET (UriParams, secret) },
  { "issuer", G_STRUCT_OFFSET (UriParams, issuer) },
  { "algorithm", G_STRUCT_OFFSET (UriParams, algorithm) },
  { "digits", G_STRUCT_OFFSET (UriParams, digits) },
  { "period", G_STRUCT_OFFSET (UriParams, period) },
  { "counter", G_STRUCT_OFFSET (UriParams, counter) },
  { "encoder", G_STRUCT_OFFSET (UriParams, encoder) },
};

static void
uri_parts_clear (UriParts *parts)
{
  g_free (parts->type);
  g_free (parts->label);
  for (gsize i = 0; i < G_N_ELEMENTS (known_params); i++)
    entsec_secure_strfree (G_STRUCT_MEMBER (char *, &parts->params, known_params[i].offset));
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (UriParts, uri_parts_clear)

/* @value (untrusted) quoted for a message, made printable; a placeholder when empty or long. */
static char *
describe_value (const char *value,
                gsize       len)
{
  g_autofree char *shown = NULL;

  if (len == 0)
    return g_strdup ("(empty)");
  if (len > 24)
    return g_strdup ("(a long value)");
  shown = entsec_dup_printable (value, (gssize) len, 24);
  return g_strdup_printf ("'%s'", shown);
}

/* Move @src into @dest in the otpauth domain, keeping its message. */
static void
propagate_as (GError **dest,
              GError  *src,
              int      code)
{
  g_set_error_literal (dest, ENTSEC_OTPAUTH_ERROR, code, src->message);
  g_error_free (src);
}

/* Check "otpauth://" and return where the type starts. */
static const char *
skip_scheme (const char *uri,
             const char *end,
             GError    **error)
{
  const char *sep = g_strstr_len (uri, end - uri, "://");
  gsize len = sep != NULL ? (gsize) (sep - uri) : 0;

  if (len == 7 && g_ascii_strncasecmp (uri, "otpauth", 7) == 0)
    return sep + 3;
  if (len == 17 && g_ascii_strncasecmp (uri, "otpauth-migration", 17) == 0)
    g_set_error_literal (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_SCHEME,
                         "This is a Google Authenticator export (otpauth-migration://), "
                         "not a single account: import it as an export");
  else
    g_set_error_literal (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_SCHEME,
                         "This is not an authenticator QR code: the text does not start "
                         "with otpauth://");
  return NULL;
}

static gboolean
split_type (const char *start,
            gsize       len,
            UriParts   *parts,
            GError    **error)
{
  g_autofree char *shown = NULL;

  parts->type = g_ascii_strdown (start, (gssize) len);
  if (g_str_equal (parts->type, "totp") || g_str_equal (parts->type, "hotp")
      || g_str_equal (parts->type, "steam"))
    return TRUE;
  if (len == 0)
    {
      g_set_error_literal (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_TYPE,
                           "The URI has no code type: it should start with otpauth://totp/ "
                           "or otpauth://hotp/");
      return FALSE;
    }
  shown = describe_value (start, len);
  g_set_error (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_TYPE,
               "The code type %s is not supported: entsec reads totp, hotp and steam codes",
               shown);
  return FALSE;
}

static gboolean
store_param (UriParams  *params,
             const char *segment,
             gsize       len,
             GError    **error)
{
  const char *eq = memchr (segment, '=', len);
  gsize key_len = eq != NULL ? (gsize) (eq - segment) : len;
  g_autofree char *raw_key = otpauth_percent_decode (segment, key_len, TRUE, "parameter name",
                                                     error);
  g_autofree char *key = NULL;
  char **slot = NULL;

  if (raw_key == NULL)
    return FALSE;
  key = g_ascii_strdown (raw_key, -1);
  for (gsize i = 0; i < G_N_ELEMENTS (known_params); i++)
    {
      if (g_str_equal (key, known_params[i].name))
        slot = &G_STRUCT_MEMBER (char *, params, known_params[i].offset);
    }
  /* Unknown parameters (image, color, creator...) are ignored, undecoded. */
  if (slot == NULL)
    return TRUE;
  if (*slot != NULL)
    {
      g_set_error (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_PARAMETER,
                   "The parameter '%s' appears twice, so the URI is ambiguous; "
                   "ask the service for a new QR code", key);
      return FALSE;
    }
  if (eq == NULL)
    *slot = g_strdup ("");
  else
    *slot = otpauth_percent_decode (eq + 1, len - key_len - 1, TRUE, key, error);
  return *slot != NULL;
}

static gboolean
split_query (const char *query,
             const char *end,
             UriParams  *params,
             GError    **error)
{
  const char *p = query;

  while (p < end)
    {
      const char *amp = memchr (p, '&', end - p);
      const char *stop = amp != NULL ? amp : end;

      if (stop > p && !store_param (params, p, stop - p, error))
        return FALSE;
      p = stop + 1;
    }
  return TRUE;
}

/* Split @uri (surrounding white space ignored) into its type, label and parameters. */
static gboolean
split_uri (const char *uri,
           UriParts   *parts,
           GError    **error)
{
  const char *end = uri + strlen (uri);
  const char *type, *type_end, *label, *label_end;

  while (g_ascii_isspace (*uri))
    uri++;
  while (end > uri && g_ascii_isspace (end[-1]))
    end--;
  if (end - uri > MAX_URI_BYTES)
    {
      g_set_error (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_ENCODING,
                   "The URI is too long: %ld bytes, at most %d are accepted",
                   (long) (end - uri), MAX_URI_BYTES);
      return FALSE;
    }
  type = skip_scheme (uri, end, error);
  if (type == NULL)
    return FALSE;
  type_end = type;
  while (type_end < end && *type_end != '/' && *type_end != '?')
    type_end++;
  if (!split_type (type, type_end - type, parts, error))
    return FALSE;
  label = type_end < end && *type_end == '/' ? type_end + 1 : type_end;
  label_end = label;
  while (label_end < end && *label_end != '?')
    label_end++;
  /* In the path '+' is a plain character; only the query uses it for spaces. */
  parts->label = otpauth_percent_decode (label, label_end - label, FALSE, "account name", error);
  if (parts->label == NULL)
    return FALSE;
  return label_end == end || split_query (label_end + 1, end, &parts->params, error);
}

static gboolean
apply_names (const UriParts        *parts,
             EntsecAccount         *account,
             EntsecOtpauthWarnings *warnings,
             GError               **error)
{
  const char *param = parts->params.issuer;
  g_autofree char *prefix = NULL;

  g_free (account->label);
  otpauth_split_label (parts->label, &prefix, &account->label);
  if (param != NULL && param[0] != '\0')
    {
      account->issuer = g_strdup (param);
      if (prefix != NULL && !g_str_equal (prefix, param))
        *warnings |= ENTSEC_OTPAUTH_WARNING_ISSUER_MISMATCH;
    }
  else
    {
      account->issuer = g_steal_pointer (&prefix);
    }
  if (account->label[0] == '\0')
    {
      g_set_error_literal (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_LABEL,
                           "The URI has no account name (the part after otpauth://totp/)");
      return FALSE;
    }
  return otpauth_check_text ("account name", account->label, error)
         && otpauth_check_text ("issuer", account->issuer, error);
}

static gboolean
apply_secret (const UriParts        *parts,
              EntsecAccount         *account,
              EntsecOtpauthWarnings *warnings,
              GError               **error)
{
  const char *text = parts->params.secret;
  GError *local = NULL;

  if (text == NULL || text[0] == '\0')
    {
      g_set_error_literal (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_SECRET,
                           text == NULL ? "The URI has no secret parameter, so no codes can be "
                                          "made from it; ask the service for a new QR code"
                                        : "The URI's secret is empty; ask the service for a "
                                          "new QR code");
      return FALSE;
    }
  /* Base32 skips white space, but a line break encoded in a URI is damage, not wrapping. */
  for (const char *p = text; *p != '\0'; p++)
    {
      if (g_ascii_iscntrl (*p))
        {
          g_set_error_literal (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_SECRET,
                               "The URI's secret holds a control character (such as an encoded "
                               "line break); it is damaged: ask the service for a new QR code");
          return FALSE;
        }
    }
  account->secret = entsec_base32_decode (text, &account->secret_len, &local);
  if (account->secret == NULL)
    {
      propagate_as (error, local, ENTSEC_OTPAUTH_ERROR_SECRET);
      return FALSE;
    }
  if (!otpauth_check_secret_length (account->secret_len, error))
    return FALSE;
  if (account->secret_len < OTPAUTH_GOOD_SECRET_BYTES)
    *warnings |= ENTSEC_OTPAUTH_WARNING_SHORT_SECRET;
  return TRUE;
}

/* A decimal number from @min to @max: digits only, no sign, no spaces. */
static gboolean
parse_number (const char *name,
              const char *text,
              guint64     min,
              guint64     max,
              guint64    *value,
              GError    **error)
{
  gsize len = strlen (text);
  gboolean ok = len > 0 && len <= MAX_NUMBER_CHARS;
  g_autofree char *shown = NULL;

  for (gsize i = 0; ok && i < len; i++)
    ok = g_ascii_isdigit (text[i]);
  if (ok && g_ascii_string_to_unsigned (text, 10, min, max, value, NULL))
    return TRUE;
  shown = describe_value (text, len);
  g_set_error (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_PARAMETER,
               "The %s %s is not supported: it must be a whole number from %" G_GUINT64_FORMAT
               " to %" G_GUINT64_FORMAT, name, shown, min, max);
  return FALSE;
}

static gboolean
apply_algorithm (const char    *name,
                 EntsecAccount *account,
                 GError       **error)
{
  g_autofree char *shown = NULL;

  if (name == NULL || entsec_otp_algorithm_from_string (name, &account->algorithm))
    return TRUE;
  if (g_ascii_strcasecmp (name, "MD5") == 0)
    {
      g_set_error_literal (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_PARAMETER,
                           "The algorithm MD5 is not supported: it is no longer safe; "
                           "ask the service for a SHA1, SHA256 or SHA512 code");
      return FALSE;
    }
  shown = describe_value (name, strlen (name));
  g_set_error (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_PARAMETER,
               "The algorithm %s is not supported: use SHA1, SHA256 or SHA512", shown);
  return FALSE;
}

static gboolean
apply_numbers (const UriParams *params,
               EntsecAccount   *account,
               GError         **error)
{
  guint64 value;

  if (params->digits != NULL && account->type != ENTSEC_ACCOUNT_STEAM)
    {
      if (!parse_number ("number of digits", params->digits, ENTSEC_OTP_MIN_DIGITS,
                         ENTSEC_OTP_MAX_DIGITS, &value, error))
        return FALSE;
      account->digits = (guint) value;
    }
  if (params->period != NULL)
    {
      if (!parse_number ("period (seconds)", params->period, ENTSEC_OTP_MIN_PERIOD,
                         ENTSEC_OTP_MAX_PERIOD, &value, error))
        return FALSE;
      account->period = (guint) value;
    }
  if (params->counter == NULL && account->type == ENTSEC_ACCOUNT_HOTP)
    {
      g_set_error_literal (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_PARAMETER,
                           "This HOTP URI has no counter parameter, so the next code is "
                           "unknown; ask the service for a new QR code");
      return FALSE;
    }
  if (params->counter != NULL
      && !parse_number ("counter", params->counter, 0, G_MAXINT64, &account->counter, error))
    return FALSE;
  return apply_algorithm (params->algorithm, account, error);
}

static void
apply_type (const UriParts *parts,
            EntsecAccount  *account)
{
  gboolean steam_encoder = parts->params.encoder != NULL
                           && g_ascii_strcasecmp (parts->params.encoder, "steam") == 0;

  if (g_str_equal (parts->type, "hotp"))
    account->type = ENTSEC_ACCOUNT_HOTP;
  else if (g_str_equal (parts->type, "steam") || steam_encoder)
    account->type = ENTSEC_ACCOUNT_STEAM;
  else
    account->type = ENTSEC_ACCOUNT_TOTP;
  if (account->type == ENTSEC_ACCOUNT_STEAM)
    account->digits = ENTSEC_STEAM_DIGITS;
}

EntsecAccount *
entsec_otpauth_parse (const char            *uri,
                      EntsecOtpauthWarnings *warnings,
                      GError               **error)
{
  g_auto (UriParts) parts = { 0 };
  g_autoptr (EntsecAccount) account = NULL;
  EntsecOtpauthWarnings found = ENTSEC_OTPAUTH_WARNING_NONE;
  GError *local = NULL;

  g_return_val_if_fail (uri != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (warnings != NULL)
    *warnings = ENTSEC_OTPAUTH_WARNING_NONE;
  if (!split_uri (uri, &parts, error))
    return NULL;
  account = entsec_account_new ();
  apply_type (&parts, account);
  if (!apply_names (&parts, account, &found, error)
      || !apply_secret (&parts, account, &found, error)
      || !apply_numbers (&parts.params, account, error))
    return NULL;
  /* The same rules the vault applies; anything left is a parameter error. */
  if (!entsec_account_validate (account, &local))
    {
      propagate_as (error, local, ENTSEC_OTPAUTH_ERROR_PARAMETER);
      return NULL;
    }
  if (warnings != NULL)
    *warnings = found;
  return g_steal_pointer (&account);
}

static char *
escape (const char *text)
{
  return g_uri_escape_string (text, "@", FALSE);
}

/*
 * The label part. An issuer goes in front ("Issuer:account") when it reads
 * back the same; otherwise the label starts with ':' (an empty prefix, which
 * the parser takes as no issuer and after which it trims nothing), so names
 * with colons or leading spaces survive a round trip.
 */
static char *
build_label (const EntsecAccount *account)
{
  g_autofree char *label = escape (account->label);
  g_autofree char *issuer = NULL;
  gboolean has_issuer = account->issuer != NULL && account->issuer[0] != '\0';

  if (has_issuer && strchr (account->issuer, ':') == NULL && account->label[0] != ' ')
    {
      issuer = escape (account->issuer);
      return g_strdup_printf ("%s:%s", issuer, label);
    }
  if (has_issuer || strchr (account->label, ':') != NULL)
    return g_strdup_printf (":%s", label);
  return g_steal_pointer (&label);
}

/* Everything after the secret; defaults (SHA1, 6 digits, 30 s, counter 0) are left out. */
static char *
build_tail (const EntsecAccount *account)
{
  GString *tail = g_string_new (NULL);

  if (account->issuer != NULL && account->issuer[0] != '\0')
    {
      g_autofree char *issuer = escape (account->issuer);
      g_string_append_printf (tail, "&issuer=%s", issuer);
    }
  if (account->algorithm != ENTSEC_OTP_ALGORITHM_SHA1)
    g_string_append_printf (tail, "&algorithm=%s",
                            entsec_otp_algorithm_to_string (account->algorithm));
  if (account->digits != ENTSEC_OTP_DEFAULT_DIGITS && account->type != ENTSEC_ACCOUNT_STEAM)
    g_string_append_printf (tail, "&digits=%u", account->digits);
  if (account->period != ENTSEC_OTP_DEFAULT_PERIOD)
    g_string_append_printf (tail, "&period=%u", account->period);
  if (account->type == ENTSEC_ACCOUNT_HOTP || account->counter != 0)
    g_string_append_printf (tail, "&counter=%" G_GUINT64_FORMAT, account->counter);
  if (account->type == ENTSEC_ACCOUNT_STEAM)
    g_string_append (tail, "&encoder=steam");
  return g_string_free (tail, FALSE);
}

char *
entsec_otpauth_build (const EntsecAccount *account)
{
  g_autofree char *label = NULL;
  g_autofree char *head = NULL;
  g_autofree char *tail = NULL;
  char *secret, *uri;
  gsize head_len, secret_len, tail_len;

  g_return_val_if_fail (account != NULL, NULL);
  g_return_val_if_fail (account->label != NULL, NULL);

  label = build_label (account);
  /* Steam is written as TOTP with encoder=steam, which other apps understand. */
  head = g_strdup_printf ("otpauth://%s/%s?secret=",
                          account->type == ENTSEC_ACCOUNT_HOTP ? "hotp" : "totp", label);
  tail = build_tail (account);
  secret = entsec_base32_encode (account->secret, account->secret_len);
  head_len = strlen (head);
  secret_len = strlen (secret);
  tail_len = strlen (tail);
  /* Sized once, so no reallocation leaves a stray copy of the secret behind. */
  uri = g_malloc (head_len + secret_len + tail_len + 1);
  memcpy (uri, head, head_len);
  memcpy (uri + head_len, secret, secret_len);
  memcpy (uri + head_len + secret_len, tail, tail_len + 1);
  entsec_secure_strfree (secret);
  return uri;
}
