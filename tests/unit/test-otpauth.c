/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-otpauth.c: otpauth:// URIs: what is accepted, what is refused and why, round trips */

#include "config.h"

#include <string.h>

#include <entsec/entsec.h>

/* "1234567890..." in Base32, cut to 9, 10, 15, 16 and 20 bytes. */
#define SECRET_72 "GEZDGNBVGY3TQOI"
#define SECRET_80 "GEZDGNBVGY3TQOJQ"
#define SECRET_120 "GEZDGNBVGY3TQOJQGEZDGNBV"
#define SECRET_128 "GEZDGNBVGY3TQOJQGEZDGNBVGY"
#define SECRET_160 "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

typedef struct
{
  const char *uri;
  EntsecAccountType type;
  const char *issuer;
  const char *label;
  EntsecOtpAlgorithm algorithm;
  guint digits;
  guint period;
  guint64 counter;
  gsize secret_len;
  EntsecOtpauthWarnings warnings;
} Valid;

#define SHA1 ENTSEC_OTP_ALGORITHM_SHA1
#define SHA256 ENTSEC_OTP_ALGORITHM_SHA256
#define SHA512 ENTSEC_OTP_ALGORITHM_SHA512
#define TOTP ENTSEC_ACCOUNT_TOTP
#define HOTP ENTSEC_ACCOUNT_HOTP
#define STEAM ENTSEC_ACCOUNT_STEAM
#define SHORT ENTSEC_OTPAUTH_WARNING_SHORT_SECRET
#define MISMATCH ENTSEC_OTPAUTH_WARNING_ISSUER_MISMATCH

static const Valid valid_cases[] = {
  /* Google's Key URI format examples. */
  { "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example",
    TOTP, "Example", "alice@google.com", SHA1, 6, 30, 0, 10, SHORT },
  { "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ"
    "&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30",
    TOTP, "ACME Co", "john.doe@email.com", SHA1, 6, 30, 0, 20, 0 },
  /* Issuer only in the label, with %3A and spaces after the colon. */
  { "otpauth://totp/GitHub%3A%20%20octocat?secret=" SECRET_160,
    TOTP, "GitHub", "octocat", SHA1, 6, 30, 0, 20, 0 },
  /* No issuer at all. */
  { "otpauth://totp/alice?secret=" SECRET_160, TOTP, NULL, "alice", SHA1, 6, 30, 0, 20, 0 },
  /* The parameter wins over the label prefix, with a warning. */
  { "otpauth://totp/Old%20Name:bob?secret=" SECRET_160 "&issuer=New%20Name",
    TOTP, "New Name", "bob", SHA1, 6, 30, 0, 20, MISMATCH },
  /* '+' is a space in the query, but a plain character in the label. */
  { "otpauth://totp/a+b?secret=" SECRET_160 "&issuer=Big+Corp",
    TOTP, "Big Corp", "a+b", SHA1, 6, 30, 0, 20, 0 },
  /* Scheme, type and parameter names in any case; algorithm in lower case. */
  { "OTPAUTH://TOTP/x?SECRET=" SECRET_160 "&Algorithm=sha256&Digits=8",
    TOTP, NULL, "x", SHA256, 8, 30, 0, 20, 0 },
  { "otpauth://totp/x?secret=" SECRET_160 "&algorithm=SHA512",
    TOTP, NULL, "x", SHA512, 6, 30, 0, 20, 0 },
  /* Lower-case, spaced and padded Base32. */
  { "otpauth://totp/x?secret=gezd%20gnbv%20gy3t%20qojq%20gezd%20gnbv%20gy3t%20qojq",
    TOTP, NULL, "x", SHA1, 6, 30, 0, 20, 0 },
  { "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY======",
    TOTP, NULL, "x", SHA1, 6, 30, 0, 16, 0 },
  /* Secret bounds: 80 bits accepted with a warning up to 127, none from 128. */
  { "otpauth://totp/x?secret=" SECRET_80, TOTP, NULL, "x", SHA1, 6, 30, 0, 10, SHORT },
  { "otpauth://totp/x?secret=" SECRET_120, TOTP, NULL, "x", SHA1, 6, 30, 0, 15, SHORT },
  { "otpauth://totp/x?secret=" SECRET_128, TOTP, NULL, "x", SHA1, 6, 30, 0, 16, 0 },
  /* Digits and period at their bounds. */
  { "otpauth://totp/x?secret=" SECRET_160 "&digits=6", TOTP, NULL, "x", SHA1, 6, 30, 0, 20, 0 },
  { "otpauth://totp/x?secret=" SECRET_160 "&digits=10", TOTP, NULL, "x", SHA1, 10, 30, 0, 20, 0 },
  { "otpauth://totp/x?secret=" SECRET_160 "&period=1", TOTP, NULL, "x", SHA1, 6, 1, 0, 20, 0 },
  { "otpauth://totp/x?secret=" SECRET_160 "&period=300", TOTP, NULL, "x", SHA1, 6, 300, 0, 20,
    0 },
  /* HOTP with its counter, up to 2^63-1. */
  { "otpauth://hotp/x?secret=" SECRET_160 "&counter=0", HOTP, NULL, "x", SHA1, 6, 30, 0, 20, 0 },
  { "otpauth://hotp/Bank:x?secret=" SECRET_160 "&counter=9223372036854775807",
    HOTP, "Bank", "x", SHA1, 6, 30, G_MAXINT64, 20, 0 },
  /* Steam: its own type, or TOTP with encoder=steam; always five characters. */
  { "otpauth://steam/Steam:gamer?secret=" SECRET_160, STEAM, "Steam", "gamer", SHA1, 5, 30, 0, 20,
    0 },
  { "otpauth://totp/Steam:gamer?secret=" SECRET_160 "&issuer=Steam&encoder=steam&digits=5",
    STEAM, "Steam", "gamer", SHA1, 5, 30, 0, 20, 0 },
  /* Unknown parameters are ignored, whatever they hold; empty pairs too. */
  { "otpauth://totp/x?secret=" SECRET_160 "&image=https%3A%2F%2Fexample.com%2Fx.png&color=%ZZ"
    "&&lock=true&", TOTP, NULL, "x", SHA1, 6, 30, 0, 20, 0 },
  /* UTF-8 in label and issuer; reserved characters escaped in the label. */
  { "otpauth://totp/B%C3%BCcher%20GmbH:j%C3%BCrgen%2F%3F%23%26?secret=" SECRET_160,
    TOTP, "Bücher GmbH", "jürgen/?#&", SHA1, 6, 30, 0, 20, 0 },
  { "otpauth://totp/%E6%97%A5%E6%9C%AC:%F0%9F%94%91?secret=" SECRET_160
    "&issuer=%E6%97%A5%E6%9C%AC", TOTP, "日本", "🔑", SHA1, 6, 30, 0, 20, 0 },
  /* Label with a second colon: only the first separates the issuer. */
  { "otpauth://totp/a:b:c?secret=" SECRET_160, TOTP, "a", "b:c", SHA1, 6, 30, 0, 20, 0 },
  /* Empty issuer prefix and empty issuer parameter mean no issuer. */
  { "otpauth://totp/:%20x?secret=" SECRET_160 "&issuer=", TOTP, NULL, " x", SHA1, 6, 30, 0, 20,
    0 },
  /* White space around the whole URI (a line read from a file) is dropped. */
  { "  otpauth://totp/x?secret=" SECRET_160 "\r\n", TOTP, NULL, "x", SHA1, 6, 30, 0, 20, 0 },
};

typedef struct
{
  const char *uri;
  EntsecOtpauthError code;
  const char *message_part;
} Invalid;

static const Invalid invalid_cases[] = {
  { "", ENTSEC_OTPAUTH_ERROR_SCHEME, "otpauth://" },
  { "https://example.com/?secret=" SECRET_160, ENTSEC_OTPAUTH_ERROR_SCHEME, "otpauth://" },
  { "otpauth:/totp/x?secret=" SECRET_160, ENTSEC_OTPAUTH_ERROR_SCHEME, "otpauth://" },
  { "otpauth-migration://offline?data=AAAA", ENTSEC_OTPAUTH_ERROR_SCHEME, "export" },
  { "otpauth://?secret=" SECRET_160, ENTSEC_OTPAUTH_ERROR_TYPE, "no code type" },
  { "otpauth://motp/x?secret=" SECRET_160, ENTSEC_OTPAUTH_ERROR_TYPE, "'motp' is not supported" },
  { "otpauth://daypassword/x?secret=" SECRET_160, ENTSEC_OTPAUTH_ERROR_TYPE, "daypassword" },
  /* Secret missing, empty, not Base32, too short, cut off. */
  { "otpauth://totp/x", ENTSEC_OTPAUTH_ERROR_SECRET, "no secret" },
  { "otpauth://totp/x?issuer=a", ENTSEC_OTPAUTH_ERROR_SECRET, "no secret" },
  { "otpauth://totp/x?secret=", ENTSEC_OTPAUTH_ERROR_SECRET, "empty" },
  { "otpauth://totp/x?secret=JBSWY1DPEHPK3PXP", ENTSEC_OTPAUTH_ERROR_SECRET,
    "not valid Base32 (character 6: '1')" },
  { "otpauth://totp/x?secret=" SECRET_72, ENTSEC_OTPAUTH_ERROR_SECRET, "72 bits" },
  { "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQG", ENTSEC_OTPAUTH_ERROR_SECRET, "whole number" },
  /* Numbers just outside their bounds, or not numbers. */
  { "otpauth://totp/x?secret=" SECRET_160 "&digits=5", ENTSEC_OTPAUTH_ERROR_PARAMETER,
    "digits '5'" },
  { "otpauth://totp/x?secret=" SECRET_160 "&digits=11", ENTSEC_OTPAUTH_ERROR_PARAMETER,
    "from 6 to 10" },
  { "otpauth://totp/x?secret=" SECRET_160 "&digits=", ENTSEC_OTPAUTH_ERROR_PARAMETER, "(empty)" },
  { "otpauth://totp/x?secret=" SECRET_160 "&digits=+8", ENTSEC_OTPAUTH_ERROR_PARAMETER, "digits" },
  { "otpauth://totp/x?secret=" SECRET_160 "&digits=-6", ENTSEC_OTPAUTH_ERROR_PARAMETER, "digits" },
  { "otpauth://totp/x?secret=" SECRET_160 "&digits=6.0", ENTSEC_OTPAUTH_ERROR_PARAMETER,
    "digits" },
  { "otpauth://totp/x?secret=" SECRET_160 "&period=0", ENTSEC_OTPAUTH_ERROR_PARAMETER,
    "period (seconds) '0'" },
  { "otpauth://totp/x?secret=" SECRET_160 "&period=301", ENTSEC_OTPAUTH_ERROR_PARAMETER,
    "from 1 to 300" },
  { "otpauth://totp/x?secret=" SECRET_160 "&period=0x1e", ENTSEC_OTPAUTH_ERROR_PARAMETER,
    "period" },
  { "otpauth://hotp/x?secret=" SECRET_160, ENTSEC_OTPAUTH_ERROR_PARAMETER, "no counter" },
  { "otpauth://hotp/x?secret=" SECRET_160 "&counter=9223372036854775808",
    ENTSEC_OTPAUTH_ERROR_PARAMETER, "9223372036854775807" },
  { "otpauth://hotp/x?secret=" SECRET_160 "&counter=999999999999999999999999999999",
    ENTSEC_OTPAUTH_ERROR_PARAMETER, "counter (a long value)" },
  { "otpauth://hotp/x?secret=" SECRET_160 "&counter=-1", ENTSEC_OTPAUTH_ERROR_PARAMETER,
    "counter '-1'" },
  /* Algorithms. */
  { "otpauth://totp/x?secret=" SECRET_160 "&algorithm=MD5", ENTSEC_OTPAUTH_ERROR_PARAMETER,
    "MD5 is not supported" },
  { "otpauth://totp/x?secret=" SECRET_160 "&algorithm=SHA224", ENTSEC_OTPAUTH_ERROR_PARAMETER,
    "'SHA224' is not supported" },
  { "otpauth://totp/x?secret=" SECRET_160 "&algorithm=", ENTSEC_OTPAUTH_ERROR_PARAMETER,
    "algorithm (empty)" },
  /* Duplicates, also under another case. */
  { "otpauth://totp/x?secret=" SECRET_160 "&secret=" SECRET_128, ENTSEC_OTPAUTH_ERROR_PARAMETER,
    "'secret' appears twice" },
  { "otpauth://totp/x?secret=" SECRET_160 "&issuer=a&ISSUER=b", ENTSEC_OTPAUTH_ERROR_PARAMETER,
    "'issuer' appears twice" },
  { "otpauth://totp/x?digits=6&secret=" SECRET_160 "&digits=6", ENTSEC_OTPAUTH_ERROR_PARAMETER,
    "'digits' appears twice" },
  /* Percent-encoding. */
  { "otpauth://totp/a%2?secret=" SECRET_160, ENTSEC_OTPAUTH_ERROR_ENCODING,
    "account name has a broken %-escape at character 2" },
  { "otpauth://totp/a%?secret=" SECRET_160, ENTSEC_OTPAUTH_ERROR_ENCODING, "broken %-escape" },
  { "otpauth://totp/a%G1?secret=" SECRET_160, ENTSEC_OTPAUTH_ERROR_ENCODING, "broken %-escape" },
  { "otpauth://totp/a%00b?secret=" SECRET_160, ENTSEC_OTPAUTH_ERROR_ENCODING, "%00" },
  { "otpauth://totp/x?secret=" SECRET_160 "&issuer=a%00", ENTSEC_OTPAUTH_ERROR_ENCODING,
    "issuer contains %00" },
  { "otpauth://totp/x?secret=" SECRET_160 "&issuer=%4", ENTSEC_OTPAUTH_ERROR_ENCODING,
    "issuer has a broken" },
  { "otpauth://totp/x?sec%ret=" SECRET_160, ENTSEC_OTPAUTH_ERROR_ENCODING, "parameter name" },
  /* Labels: missing, not UTF-8, control characters. */
  { "otpauth://totp/?secret=" SECRET_160, ENTSEC_OTPAUTH_ERROR_LABEL, "no account name" },
  { "otpauth://totp?secret=" SECRET_160, ENTSEC_OTPAUTH_ERROR_LABEL, "no account name" },
  { "otpauth://totp/Issuer:?secret=" SECRET_160, ENTSEC_OTPAUTH_ERROR_LABEL, "no account name" },
  { "otpauth://totp/%FFx?secret=" SECRET_160, ENTSEC_OTPAUTH_ERROR_LABEL,
    "account name is not valid UTF-8" },
  { "otpauth://totp/x?secret=" SECRET_160 "&issuer=%C3", ENTSEC_OTPAUTH_ERROR_LABEL,
    "issuer is not valid UTF-8" },
  { "otpauth://totp/a%0Ab?secret=" SECRET_160, ENTSEC_OTPAUTH_ERROR_LABEL,
    "control character (character 2)" },
  { "otpauth://totp/x?secret=" SECRET_160 "&issuer=a%7F", ENTSEC_OTPAUTH_ERROR_LABEL,
    "issuer contains a control character" },
  { "otpauth://totp/x%C2%85?secret=" SECRET_160, ENTSEC_OTPAUTH_ERROR_LABEL, "control" },
  /* Bidi overrides and zero-width characters would let a name pass for another. */
  { "otpauth://totp/Bank%E2%80%AEgnp?secret=" SECRET_160, ENTSEC_OTPAUTH_ERROR_LABEL,
    "account name contains an invisible formatting character" },
  { "otpauth://totp/x?secret=" SECRET_160 "&issuer=Pay%E2%81%A7Pal", ENTSEC_OTPAUTH_ERROR_LABEL,
    "issuer contains an invisible formatting character" },
  { "otpauth://totp/Goo%E2%80%8Bgle:x?secret=" SECRET_160, ENTSEC_OTPAUTH_ERROR_LABEL,
    "invisible formatting character" },
  /* Values quoted in messages have terminal escapes and bidi overrides made harmless. */
  { "otpauth://totp/x?secret=" SECRET_160 "&algorithm=%1B%5B31mRED", ENTSEC_OTPAUTH_ERROR_PARAMETER,
    "algorithm '\\x1B[31mRED' is not supported" },
  { "otpauth://totp/x?secret=" SECRET_160 "&digits=%E2%80%AE6", ENTSEC_OTPAUTH_ERROR_PARAMETER,
    "digits '\uFFFD6'" },
  { "otpauth://t%1Bp/x?secret=" SECRET_160, ENTSEC_OTPAUTH_ERROR_TYPE, "'t%1Bp'" },
};

static void
assert_valid (const Valid *c)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecAccount) account = NULL;
  EntsecOtpauthWarnings warnings = 0xff;

  g_test_message ("%s", c->uri);
  account = entsec_otpauth_parse (c->uri, &warnings, &error);
  g_assert_no_error (error);
  g_assert_nonnull (account);
  g_assert_cmpint (account->type, ==, c->type);
  g_assert_cmpstr (account->issuer, ==, c->issuer);
  g_assert_cmpstr (account->label, ==, c->label);
  g_assert_cmpint (account->algorithm, ==, c->algorithm);
  g_assert_cmpuint (account->digits, ==, c->digits);
  g_assert_cmpuint (account->period, ==, c->period);
  g_assert_cmpuint (account->counter, ==, c->counter);
  g_assert_cmpuint (account->secret_len, ==, c->secret_len);
  g_assert_cmpint (warnings, ==, c->warnings);
  g_assert_true (entsec_account_validate (account, NULL));
}

static void
test_valid (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (valid_cases); i++)
    assert_valid (&valid_cases[i]);
}

static void
assert_invalid (const char        *uri,
                EntsecOtpauthError code,
                const char        *message_part)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecAccount) account = NULL;
  EntsecOtpauthWarnings warnings = 0xff;

  g_test_message ("%s", uri);
  account = entsec_otpauth_parse (uri, &warnings, &error);
  g_assert_null (account);
  g_assert_error (error, ENTSEC_OTPAUTH_ERROR, (int) code);
  g_test_message ("-> %s", error->message);
  g_assert_nonnull (strstr (error->message, message_part));
  g_assert_cmpint (warnings, ==, 0);
  /* Nothing that could drive a terminal or reorder the text reaches a message. */
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  for (const char *p = error->message; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      g_assert_false (g_unichar_iscntrl (c) || g_unichar_type (c) == G_UNICODE_FORMAT);
    }
}

static void
test_invalid (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (invalid_cases); i++)
    assert_invalid (invalid_cases[i].uri, invalid_cases[i].code, invalid_cases[i].message_part);
}

/* No message ever repeats the secret, whatever went wrong. */
static void
test_secret_not_in_messages (void)
{
  static const char *uris[] = {
    "otpauth://totp/x?secret=JBSWY1DPEHPK3PXP",
    "otpauth://totp/x?secret=JBSWY3DPEHPK3PXPJBSWY3DP&secret=JBSWY3DPEHPK3PXPJBSWY3DP",
    "otpauth://totp/x?secret=JBSWY3DP%zz",
    "otpauth://totp/x?secret=JBSWY3DP",
    "otpauth://totp/x?secret=JBSWY3DPEHPK3PXPJ",
    "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP%0A",
  };

  for (gsize i = 0; i < G_N_ELEMENTS (uris); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_null (entsec_otpauth_parse (uris[i], NULL, &error));
      g_assert_nonnull (error);
      g_assert_null (strstr (error->message, "JBSWY3DP"));
    }
}

/* A string of @len bytes of @c, spliced into a URI as @prefix + text + @suffix. */
static char *
uri_with (const char *prefix,
          char        c,
          gsize       len,
          const char *suffix)
{
  g_autofree char *text = g_strnfill (len, c);

  return g_strconcat (prefix, text, suffix, NULL);
}

static void
test_text_bounds (void)
{
  g_autofree char *label_256 = uri_with ("otpauth://totp/", 'a', 256, "?secret=" SECRET_160);
  g_autofree char *label_257 = uri_with ("otpauth://totp/", 'a', 257, "?secret=" SECRET_160);
  g_autofree char *issuer_256 = uri_with ("otpauth://totp/x?secret=" SECRET_160 "&issuer=", 'b',
                                          256, "");
  g_autofree char *issuer_257 = uri_with ("otpauth://totp/x?secret=" SECRET_160 "&issuer=", 'b',
                                          257, "");
  g_autoptr (EntsecAccount) a = NULL;
  g_autoptr (EntsecAccount) b = NULL;

  a = entsec_otpauth_parse (label_256, NULL, NULL);
  g_assert_nonnull (a);
  g_assert_cmpuint (strlen (a->label), ==, 256);
  assert_invalid (label_257, ENTSEC_OTPAUTH_ERROR_LABEL, "account name is too long: 257 bytes");
  b = entsec_otpauth_parse (issuer_256, NULL, NULL);
  g_assert_nonnull (b);
  g_assert_cmpuint (strlen (b->issuer), ==, 256);
  assert_invalid (issuer_257, ENTSEC_OTPAUTH_ERROR_LABEL, "issuer is too long: 257 bytes");
}

static void
test_secret_bounds (void)
{
  guint8 key[1025];
  g_autofree char *b32_1024 = NULL;
  g_autofree char *b32_1025 = NULL;
  g_autofree char *ok = NULL;
  g_autofree char *too_long = NULL;
  g_autoptr (EntsecAccount) account = NULL;

  memset (key, 0x5a, sizeof key);
  b32_1024 = entsec_base32_encode (key, 1024);
  b32_1025 = entsec_base32_encode (key, 1025);
  ok = g_strconcat ("otpauth://totp/x?secret=", b32_1024, NULL);
  too_long = g_strconcat ("otpauth://totp/x?secret=", b32_1025, NULL);
  account = entsec_otpauth_parse (ok, NULL, NULL);
  g_assert_nonnull (account);
  g_assert_cmpuint (account->secret_len, ==, 1024);
  assert_invalid (too_long, ENTSEC_OTPAUTH_ERROR_SECRET, "too long");
}

static void
test_uri_too_long (void)
{
  g_autofree char *uri = uri_with ("otpauth://totp/x?secret=" SECRET_160 "&image=", 'x',
                                   20 * 1024, "");

  assert_invalid (uri, ENTSEC_OTPAUTH_ERROR_ENCODING, "too long");
}

/* The secret decodes to the RFC 4226 seed, so the account makes the RFC's codes. */
static void
test_parsed_account_generates (void)
{
  g_autoptr (EntsecAccount) account = NULL;
  char code[ENTSEC_OTP_CODE_SIZE];

  account = entsec_otpauth_parse ("otpauth://hotp/x?secret=" SECRET_160 "&counter=1", NULL, NULL);
  g_assert_nonnull (account);
  g_assert_true (entsec_account_generate (account, 0, code, NULL));
  g_assert_cmpstr (code, ==, "287082");
}

static void
test_build_canonical (void)
{
  g_autoptr (EntsecAccount) account = entsec_account_new ();
  g_autoptr (EntsecAccount) hotp = NULL;
  char *uri;

  account->issuer = g_strdup ("ACME Co");
  g_free (account->label);
  account->label = g_strdup ("john.doe@email.com");
  account->secret = entsec_base32_decode ("HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ",
                                          &account->secret_len, NULL);
  uri = entsec_otpauth_build (account);
  g_assert_cmpstr (uri, ==, "otpauth://totp/ACME%20Co:john.doe@email.com"
                            "?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co");
  entsec_secure_strfree (uri);

  hotp = entsec_account_copy (account);
  hotp->type = ENTSEC_ACCOUNT_HOTP;
  hotp->algorithm = ENTSEC_OTP_ALGORITHM_SHA256;
  hotp->digits = 8;
  hotp->counter = 42;
  g_free (hotp->issuer);
  hotp->issuer = g_strdup ("A:B");
  uri = entsec_otpauth_build (hotp);
  g_assert_cmpstr (uri, ==, "otpauth://hotp/:john.doe@email.com"
                            "?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=A%3AB"
                            "&algorithm=SHA256&digits=8&counter=42");
  entsec_secure_strfree (uri);
}

static void
assert_same_account (const EntsecAccount *a,
                     const EntsecAccount *b)
{
  g_assert_cmpint (a->type, ==, b->type);
  g_assert_cmpstr (a->issuer, ==, b->issuer);
  g_assert_cmpstr (a->label, ==, b->label);
  g_assert_cmpint (a->algorithm, ==, b->algorithm);
  g_assert_cmpuint (a->digits, ==, b->digits);
  g_assert_cmpuint (a->period, ==, b->period);
  g_assert_cmpuint (a->counter, ==, b->counter);
  g_assert_cmpmem (a->secret, a->secret_len, b->secret, b->secret_len);
}

/* Text from characters that URIs and labels treat specially, plus UTF-8. */
static char *
random_text (gboolean may_be_empty)
{
  static const char *pieces[] = {
    "a", "Z", "0", " ", ":", "%", "+", "&", "=", "?", "#", "/", "@", "~", "-", ".", "_", "'",
    "\"", "%3A", "%20", "é", "ß", "日本", "🔑", "\u00a0", "Ω",
  };
  GString *text = g_string_new (NULL);
  int len = g_test_rand_int_range (may_be_empty ? 0 : 1, 12);

  for (int i = 0; i < len; i++)
    g_string_append (text, pieces[g_test_rand_int_range (0, G_N_ELEMENTS (pieces))]);
  return g_string_free (text, FALSE);
}

static EntsecAccount *
random_account (void)
{
  EntsecAccount *account = entsec_account_new ();
  gsize secret_len = (gsize) g_test_rand_int_range (10, 65);
  g_autofree guint8 *secret = g_malloc (secret_len);

  account->type = (EntsecAccountType) g_test_rand_int_range (0, 3);
  g_free (account->label);
  account->label = random_text (FALSE);
  if (g_test_rand_bit ())
    account->issuer = random_text (FALSE);
  account->algorithm = (EntsecOtpAlgorithm) g_test_rand_int_range (0, 3);
  account->digits = account->type == ENTSEC_ACCOUNT_STEAM ? 5 : g_test_rand_int_range (6, 11);
  account->period = g_test_rand_bit () ? 30 : g_test_rand_int_range (1, 301);
  if (g_test_rand_bit ())
    account->counter = ((guint64) g_test_rand_int () << 32 | (guint32) g_test_rand_int ())
                       & G_MAXINT64;
  for (gsize i = 0; i < secret_len; i++)
    secret[i] = (guint8) g_test_rand_int_range (0, 256);
  entsec_account_set_secret (account, secret, secret_len);
  return account;
}

static void
test_round_trip (void)
{
  for (int i = 0; i < 2000; i++)
    {
      g_autoptr (EntsecAccount) account = random_account ();
      g_autoptr (EntsecAccount) parsed = NULL;
      g_autoptr (GError) error = NULL;
      char *uri = entsec_otpauth_build (account);

      parsed = entsec_otpauth_parse (uri, NULL, &error);
      if (error != NULL)
        g_test_message ("%s", uri);
      g_assert_no_error (error);
      assert_same_account (account, parsed);
      entsec_secure_strfree (uri);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/otpauth/valid", test_valid);
  g_test_add_func ("/otpauth/invalid", test_invalid);
  g_test_add_func ("/otpauth/secret-not-in-messages", test_secret_not_in_messages);
  g_test_add_func ("/otpauth/text-bounds", test_text_bounds);
  g_test_add_func ("/otpauth/secret-bounds", test_secret_bounds);
  g_test_add_func ("/otpauth/uri-too-long", test_uri_too_long);
  g_test_add_func ("/otpauth/generates", test_parsed_account_generates);
  g_test_add_func ("/otpauth/build-canonical", test_build_canonical);
  g_test_add_func ("/otpauth/round-trip", test_round_trip);

  return g_test_run ();
}
