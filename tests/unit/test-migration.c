/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-migration.c: Google Authenticator exports (otpauth-migration://),
 * with payloads packed here by the generated protobuf-c code.
 */

#include "config.h"

#include <string.h>

#include <entsec/entsec.h>

#include "google-migration.pb-c.h"

typedef EntsecMigration__MigrationPayload Payload;
typedef EntsecMigration__MigrationPayload__OtpParameters Entry;

#define ALG(x) ENTSEC_MIGRATION__MIGRATION_PAYLOAD__ALGORITHM__ALGORITHM_##x
#define DIGITS(x) ENTSEC_MIGRATION__MIGRATION_PAYLOAD__DIGIT_COUNT__DIGIT_COUNT_##x
#define TYPE(x) ENTSEC_MIGRATION__MIGRATION_PAYLOAD__OTP_TYPE__OTP_TYPE_##x

/* RFC 4226's seed: the TOTP code at T = 59 is 94287082 (8 digits). */
static guint8 seed[] = "12345678901234567890";

static void
entry_init (Entry      *entry,
            const char *name,
            const char *issuer,
            guint8     *secret,
            gsize       secret_len)
{
  entsec_migration__migration_payload__otp_parameters__init (entry);
  entry->name = (char *) name;
  entry->issuer = (char *) issuer;
  entry->secret.data = secret;
  entry->secret.len = secret_len;
  entry->type = TYPE (TOTP);
  entry->algorithm = ALG (SHA1);
  entry->digits = DIGITS (SIX);
}

static char *
bytes_to_uri (const guint8 *data,
              gsize         len)
{
  g_autofree char *base64 = g_base64_encode (data, len);
  g_autofree char *escaped = g_uri_escape_string (base64, NULL, FALSE);

  return g_strconcat ("otpauth-migration://offline?data=", escaped, NULL);
}

static char *
payload_to_uri (Payload *payload)
{
  gsize len = entsec_migration__migration_payload__get_packed_size (payload);
  g_autofree guint8 *data = g_malloc (len + 1);

  entsec_migration__migration_payload__pack (payload, data);
  return bytes_to_uri (data, len);
}

/* A payload holding @n entries from @entries. */
static char *
entries_to_uri (Entry *entries,
                gsize  n)
{
  Payload payload;
  g_autofree Entry **pointers = g_new (Entry *, n + 1);

  entsec_migration__migration_payload__init (&payload);
  for (gsize i = 0; i < n; i++)
    pointers[i] = &entries[i];
  payload.otp_parameters = pointers;
  payload.n_otp_parameters = n;
  payload.version = 1;
  payload.batch_size = 1;
  return payload_to_uri (&payload);
}

static EntsecMigrationBatch *
parse_ok (const char *uri)
{
  g_autoptr (GError) error = NULL;
  EntsecMigrationBatch *batch = entsec_migration_parse (uri, &error);

  g_assert_no_error (error);
  g_assert_nonnull (batch);
  return batch;
}

static void
assert_rejected (const char        *uri,
                 EntsecOtpauthError code,
                 const char        *message_part)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecMigrationBatch) batch = entsec_migration_parse (uri, &error);

  g_assert_null (batch);
  g_assert_error (error, ENTSEC_OTPAUTH_ERROR, (int) code);
  g_test_message ("-> %s", error->message);
  g_assert_nonnull (strstr (error->message, message_part));
}

static void
test_single (void)
{
  Entry entry;
  g_autofree char *uri = NULL;
  g_autoptr (EntsecMigrationBatch) batch = NULL;
  EntsecAccount *account;
  char code[ENTSEC_OTP_CODE_SIZE];

  entry_init (&entry, "GitHub:octocat", "GitHub", seed, 20);
  uri = entries_to_uri (&entry, 1);
  batch = parse_ok (uri);
  g_assert_cmpuint (batch->accounts->len, ==, 1);
  g_assert_cmpuint (batch->errors->len, ==, 0);
  account = batch->accounts->pdata[0];
  g_assert_cmpint (account->type, ==, ENTSEC_ACCOUNT_TOTP);
  g_assert_cmpstr (account->issuer, ==, "GitHub");
  g_assert_cmpstr (account->label, ==, "octocat");
  g_assert_cmpuint (account->period, ==, 30);
  g_assert_cmpmem (account->secret, account->secret_len, seed, 20);
  g_assert_true (entsec_account_generate (account, 59, code, NULL));
  g_assert_cmpstr (code, ==, "287082");
}

static void
test_multiple (void)
{
  Entry entries[4];
  g_autofree char *uri = NULL;
  g_autoptr (EntsecMigrationBatch) batch = NULL;
  EntsecAccount *hotp, *sha256, *sha512, *plain;

  entry_init (&entries[0], "bank-token", "Bank", seed, 20);
  entries[0].type = TYPE (HOTP);
  entries[0].counter = 7;
  entry_init (&entries[1], "alice", "SHA Two", seed, 20);
  entries[1].algorithm = ALG (SHA256);
  entries[1].digits = DIGITS (EIGHT);
  entry_init (&entries[2], "bob", "SHA Five", seed, 20);
  entries[2].algorithm = ALG (SHA512);
  /* No issuer field: the name's prefix is used; unspecified enums get defaults. */
  entry_init (&entries[3], "Prefix Co: carol", "", seed, 16);
  entries[3].algorithm = ALG (UNSPECIFIED);
  entries[3].digits = DIGITS (UNSPECIFIED);
  entries[3].type = TYPE (UNSPECIFIED);
  uri = entries_to_uri (entries, 4);
  batch = parse_ok (uri);
  g_assert_cmpuint (batch->errors->len, ==, 0);
  g_assert_cmpuint (batch->accounts->len, ==, 4);
  hotp = batch->accounts->pdata[0];
  sha256 = batch->accounts->pdata[1];
  sha512 = batch->accounts->pdata[2];
  plain = batch->accounts->pdata[3];
  g_assert_cmpint (hotp->type, ==, ENTSEC_ACCOUNT_HOTP);
  g_assert_cmpuint (hotp->counter, ==, 7);
  g_assert_cmpint (sha256->algorithm, ==, ENTSEC_OTP_ALGORITHM_SHA256);
  g_assert_cmpuint (sha256->digits, ==, 8);
  g_assert_cmpint (sha512->algorithm, ==, ENTSEC_OTP_ALGORITHM_SHA512);
  g_assert_cmpuint (sha512->digits, ==, 6);
  g_assert_cmpint (plain->type, ==, ENTSEC_ACCOUNT_TOTP);
  g_assert_cmpint (plain->algorithm, ==, ENTSEC_OTP_ALGORITHM_SHA1);
  g_assert_cmpuint (plain->digits, ==, 6);
  g_assert_cmpstr (plain->issuer, ==, "Prefix Co");
  g_assert_cmpstr (plain->label, ==, "carol");
}

static void
assert_entry_error (EntsecMigrationBatch *batch,
                    guint                 index,
                    const char           *message)
{
  const GError *error = batch->errors->pdata[index];

  g_assert_true (error->domain == ENTSEC_OTPAUTH_ERROR);
  g_assert_cmpstr (error->message, ==, message);
}

/* Bad entries are reported one by one and the good ones are all kept. */
static void
test_bad_among_good (void)
{
  Entry entries[7];
  g_autofree char *uri = NULL;
  g_autoptr (EntsecMigrationBatch) batch = NULL;

  entry_init (&entries[0], "one", "Good", seed, 20);
  entry_init (&entries[1], "legacy", "GitHub", seed, 20);
  entries[1].algorithm = ALG (MD5);
  entry_init (&entries[2], "two", "Good", seed, 20);
  entry_init (&entries[3], "tiny", "Short Co", seed, 9);
  entry_init (&entries[4], "", "Nameless", seed, 20);
  entry_init (&entries[5], "odd", "", seed, 20);
  entries[5].digits = 7;
  entry_init (&entries[6], "bad\ttab", "", seed, 20);
  uri = entries_to_uri (entries, 7);
  batch = parse_ok (uri);
  g_assert_cmpuint (batch->accounts->len, ==, 2);
  g_assert_cmpstr (((EntsecAccount *) batch->accounts->pdata[0])->label, ==, "one");
  g_assert_cmpstr (((EntsecAccount *) batch->accounts->pdata[1])->label, ==, "two");
  g_assert_cmpuint (batch->errors->len, ==, 5);
  assert_entry_error (batch, 0, "Entry 2 (GitHub): the algorithm MD5 is not supported: it is "
                                "no longer safe; move this account to SHA1, SHA256 or SHA512 at "
                                "the service");
  assert_entry_error (batch, 1, "Entry 4 (Short Co): the secret is too short to be safe: 72 bits, "
                                "at least 80 are needed; ask the service for a new one");
  assert_entry_error (batch, 2, "Entry 5 (Nameless): the entry has no account name");
  assert_entry_error (batch, 3, "Entry 6 (odd): the code length number 7 is unknown");
  /* A name with a control character is shown with it escaped. */
  assert_entry_error (batch, 4, "Entry 7 (bad\\x09tab): the account name contains a control "
                                "character (character 4)");
}

/* Terminal escapes and bidi overrides in a rejected entry's name never reach the message. */
static void
test_hostile_entry_names (void)
{
  Entry entries[2];
  g_autofree char *uri = NULL;
  g_autoptr (EntsecMigrationBatch) batch = NULL;
  const GError *error;

  entry_init (&entries[0], "x", "\x1b[31mEVIL\x1b[0m", seed, 9);
  entry_init (&entries[1], "y", "Bank\u202Egnp.exe", seed, 20);
  uri = entries_to_uri (entries, 2);
  batch = parse_ok (uri);
  g_assert_cmpuint (batch->accounts->len, ==, 0);
  g_assert_cmpuint (batch->errors->len, ==, 2);
  error = batch->errors->pdata[0];
  g_assert_null (strchr (error->message, '\x1b'));
  g_assert_true (g_str_has_prefix (error->message, "Entry 1 (\\x1B[31mEVIL\\x1B[0m): "));
  error = batch->errors->pdata[1];
  g_assert_null (strstr (error->message, "\u202E"));
  g_assert_true (g_str_has_prefix (error->message, "Entry 2 (Bank\uFFFDgnp.exe): "));
  g_assert_nonnull (strstr (error->message, "formatting character"));
}

static void
test_unknown_enums (void)
{
  Entry entries[3];
  g_autofree char *uri = NULL;
  g_autoptr (EntsecMigrationBatch) batch = NULL;

  entry_init (&entries[0], "a", "X", seed, 20);
  entries[0].algorithm = 9;
  entry_init (&entries[1], "b", "X", seed, 20);
  entries[1].type = 3;
  entry_init (&entries[2], "c", "X", seed, 20);
  entries[2].type = TYPE (HOTP);
  entries[2].counter = -1;
  uri = entries_to_uri (entries, 3);
  batch = parse_ok (uri);
  g_assert_cmpuint (batch->accounts->len, ==, 0);
  g_assert_cmpuint (batch->errors->len, ==, 3);
  assert_entry_error (batch, 0, "Entry 1 (X): the algorithm number 9 is unknown");
  assert_entry_error (batch, 1, "Entry 2 (X): the code type number 3 is unknown");
  assert_entry_error (batch, 2, "Entry 3 (X): the HOTP counter is negative");
}

static void
test_batch_fields (void)
{
  Entry entry;
  Entry *pointer = &entry;
  Payload payload;
  g_autofree char *uri = NULL;
  g_autoptr (EntsecMigrationBatch) batch = NULL;

  entry_init (&entry, "a", "X", seed, 20);
  entsec_migration__migration_payload__init (&payload);
  payload.otp_parameters = &pointer;
  payload.n_otp_parameters = 1;
  payload.version = 1;
  payload.batch_size = 3;
  payload.batch_index = 2;
  payload.batch_id = -1234567;
  uri = payload_to_uri (&payload);
  batch = parse_ok (uri);
  g_assert_cmpint (batch->version, ==, 1);
  g_assert_cmpint (batch->batch_size, ==, 3);
  g_assert_cmpint (batch->batch_index, ==, 2);
  g_assert_cmpint (batch->batch_id, ==, -1234567);
  g_assert_cmpuint (batch->accounts->len, ==, 1);
}

static char *
batch_uri (gint size,
           gint index)
{
  Entry entry;
  Entry *pointer = &entry;
  Payload payload;

  entry_init (&entry, "a", "X", seed, 20);
  entsec_migration__migration_payload__init (&payload);
  payload.otp_parameters = &pointer;
  payload.n_otp_parameters = 1;
  payload.version = 1;
  payload.batch_size = size;
  payload.batch_index = index;
  return payload_to_uri (&payload);
}

/* "QR code 10 of 5", negative numbers and absurd sizes are refused. */
static void
test_bad_batch_numbers (void)
{
  static const struct
  {
    gint size;
    gint index;
    const char *message_part;
  } cases[] = {
    { 5, 9, "QR code 10 of 5" },
    { 5, 5, "QR code 6 of 5" },
    { 3, -1, "QR code 0 of 3" },
    { 1, G_MAXINT32, "QR code 2147483648 of 1" },
    { 0, 1, "QR code 2 of 1" },
    { -2, 0, "span -2 QR codes" },
    { 1001, 0, "span 1001 QR codes" },
    { G_MAXINT32, 3, "span 2147483647 QR codes" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *uri = batch_uri (cases[i].size, cases[i].index);

      assert_rejected (uri, ENTSEC_OTPAUTH_ERROR_MIGRATION, cases[i].message_part);
    }
  /* The edges that are fine: an old export without numbers, the last of 1000. */
  for (gint i = 0; i < 2; i++)
    {
      g_autofree char *uri = batch_uri (i == 0 ? 0 : 1000, i == 0 ? 0 : 999);
      g_autoptr (EntsecMigrationBatch) batch = parse_ok (uri);

      g_assert_cmpuint (batch->accounts->len, ==, 1);
    }
}

static char *
many_entries_uri (gsize n)
{
  g_autofree Entry *entries = g_new (Entry, n);
  char *uri;

  for (gsize i = 0; i < n; i++)
    entry_init (&entries[i], "a", "", seed, 10);
  uri = entries_to_uri (entries, n);
  return uri;
}

static void
test_entry_cap (void)
{
  g_autofree char *at_cap = many_entries_uri (ENTSEC_MIGRATION_MAX_ENTRIES);
  g_autofree char *over_cap = many_entries_uri (ENTSEC_MIGRATION_MAX_ENTRIES + 1);
  g_autoptr (EntsecMigrationBatch) batch = NULL;

  g_assert_cmpuint (strlen (at_cap), <=, ENTSEC_MIGRATION_MAX_URI_BYTES);
  batch = parse_ok (at_cap);
  g_assert_cmpuint (batch->accounts->len, ==, ENTSEC_MIGRATION_MAX_ENTRIES);
  assert_rejected (over_cap, ENTSEC_OTPAUTH_ERROR_MIGRATION, "more than 1000 accounts");
}

static void
test_size_cap (void)
{
  g_autofree char *padding = g_strnfill (ENTSEC_MIGRATION_MAX_URI_BYTES, 'A');
  g_autofree char *uri = g_strconcat ("otpauth-migration://offline?data=", padding, NULL);

  assert_rejected (uri, ENTSEC_OTPAUTH_ERROR_MIGRATION, "too large");
}

static void
test_truncated (void)
{
  Entry entry;
  Entry *pointer = &entry;
  Payload payload;
  guint8 data[256];
  gsize len;

  entry_init (&entry, "GitHub:octocat", "GitHub", seed, 20);
  entsec_migration__migration_payload__init (&payload);
  payload.otp_parameters = &pointer;
  payload.n_otp_parameters = 1;
  len = entsec_migration__migration_payload__pack (&payload, data);
  /* Cut anywhere inside the entry: the whole export is refused, nothing half-read. */
  for (gsize cut = 1; cut < len; cut++)
    {
      g_autofree char *uri = bytes_to_uri (data, cut);

      assert_rejected (uri, ENTSEC_OTPAUTH_ERROR_MIGRATION, "damaged or incomplete");
    }
}

static void
test_bad_uris (void)
{
  assert_rejected ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP", ENTSEC_OTPAUTH_ERROR_MIGRATION,
                   "single account");
  assert_rejected ("https://example.com/?data=AAAA", ENTSEC_OTPAUTH_ERROR_MIGRATION,
                   "not a Google Authenticator export");
  assert_rejected ("otpauth-migration://offline", ENTSEC_OTPAUTH_ERROR_MIGRATION, "no data");
  assert_rejected ("otpauth-migration://offline?data=", ENTSEC_OTPAUTH_ERROR_MIGRATION,
                   "no data");
  assert_rejected ("otpauth-migration://offline?data=AAAA&data=AAAA",
                   ENTSEC_OTPAUTH_ERROR_MIGRATION, "two data");
  assert_rejected ("otpauth-migration://offline?data=CgA*", ENTSEC_OTPAUTH_ERROR_ENCODING,
                   "not valid Base64 (character 4)");
  assert_rejected ("otpauth-migration://offline?data=AA%3D%3DAA", ENTSEC_OTPAUTH_ERROR_ENCODING,
                   "not valid Base64");
  assert_rejected ("otpauth-migration://offline?data=CgAKA", ENTSEC_OTPAUTH_ERROR_ENCODING,
                   "cut short");
  assert_rejected ("otpauth-migration://offline?data=%ZZ", ENTSEC_OTPAUTH_ERROR_ENCODING,
                   "export data has a broken %-escape");
  /* Valid Base64, but not a protobuf message (wire type 7). */
  assert_rejected ("otpauth-migration://offline?data=%2F%2F%2F%2F", ENTSEC_OTPAUTH_ERROR_MIGRATION,
                   "damaged");
}

/* URL-safe Base64 without padding, and unescaped '+' and '/', read the same. */
static void
test_base64_variants (void)
{
  Entry entry;
  Entry *pointer = &entry;
  Payload payload;
  guint8 data[256];
  gsize len;
  g_autofree char *base64 = NULL;
  g_autofree char *url_safe = NULL;
  g_autofree char *raw = NULL;
  g_autoptr (EntsecMigrationBatch) a = NULL;
  g_autoptr (EntsecMigrationBatch) b = NULL;
  /* Chosen so that the Base64 holds '+', '/' and '=' padding. */
  guint8 secret[20] = { 0xef, 0xff, 0xfb, 0xef, 0xff, 0xfb, 0xef, 0xff, 0xfb, 0xef, 0xff, 0xfb,
                        0xef, 0xff, 0xfb, 0xef, 0xff, 0xfb, 0xef, 0xff };

  entry_init (&entry, "ab", "X", secret, sizeof secret);
  entsec_migration__migration_payload__init (&payload);
  payload.otp_parameters = &pointer;
  payload.n_otp_parameters = 1;
  len = entsec_migration__migration_payload__pack (&payload, data);
  base64 = g_base64_encode (data, len);
  g_assert_nonnull (strchr (base64, '+'));
  g_assert_nonnull (strchr (base64, '/'));
  g_assert_nonnull (strchr (base64, '='));
  url_safe = g_strconcat ("otpauth-migration://offline?data=", base64, NULL);
  /* Only the data: the scheme has slashes of its own. */
  g_strdelimit (strchr (url_safe, '=') + 1, "+", '-');
  g_strdelimit (strchr (url_safe, '=') + 1, "/", '_');
  while (g_str_has_suffix (url_safe, "="))
    url_safe[strlen (url_safe) - 1] = '\0';
  raw = g_strconcat ("otpauth-migration://offline?data=", base64, NULL);
  a = parse_ok (url_safe);
  b = parse_ok (raw);
  g_assert_cmpuint (a->accounts->len, ==, 1);
  g_assert_cmpuint (b->accounts->len, ==, 1);
  g_assert_cmpmem (((EntsecAccount *) a->accounts->pdata[0])->secret, 20, secret, 20);
  g_assert_cmpmem (((EntsecAccount *) b->accounts->pdata[0])->secret, 20, secret, 20);
}

/*
 * An export in the shape Google Authenticator writes, encoded by hand here
 * (not by protobuf-c): three TOTP entries "TestN:testN@exampleN.com" with
 * the 10-byte secret "Hello!" DE AD BE EF, version 1, batch 0 of 1.
 */
static void
test_sample_export (void)
{
  static const char uri[] =
    "otpauth-migration://offline?data="
    "CjMKCkhlbGxvId6tvu8SGFRlc3QxOnRlc3QxQGV4YW1wbGUxLmNvbRoFVGVzdDEgASgBMAIKMwoKSGVsbG8h3q2%2B"
    "7xIYVGVzdDI6dGVzdDJAZXhhbXBsZTIuY29tGgVUZXN0MiABKAEwAgozCgpIZWxsbyHerb7vEhhUZXN0Mzp0ZXN0M0Bl"
    "eGFtcGxlMy5jb20aBVRlc3QzIAEoATACEAEYASAAKI3ohIgE";
  static const guint8 secret[] = "Hello!\xde\xad\xbe\xef";
  g_autoptr (EntsecMigrationBatch) batch = parse_ok (uri);

  g_assert_cmpuint (batch->accounts->len, ==, 3);
  g_assert_cmpuint (batch->errors->len, ==, 0);
  g_assert_cmpint (batch->version, ==, 1);
  g_assert_cmpint (batch->batch_size, ==, 1);
  g_assert_cmpint (batch->batch_index, ==, 0);
  g_assert_cmpint (batch->batch_id, ==, 1090597901);
  for (guint i = 0; i < 3; i++)
    {
      EntsecAccount *account = batch->accounts->pdata[i];
      g_autofree char *issuer = g_strdup_printf ("Test%u", i + 1);
      g_autofree char *label = g_strdup_printf ("test%u@example%u.com", i + 1, i + 1);

      g_assert_cmpstr (account->issuer, ==, issuer);
      g_assert_cmpstr (account->label, ==, label);
      g_assert_cmpmem (account->secret, account->secret_len, secret, 10);
    }
}

static void
test_empty_export (void)
{
  Payload payload;
  g_autofree char *uri = NULL;
  g_autoptr (EntsecMigrationBatch) batch = NULL;

  entsec_migration__migration_payload__init (&payload);
  payload.version = 1;
  uri = payload_to_uri (&payload);
  batch = parse_ok (uri);
  g_assert_cmpuint (batch->accounts->len, ==, 0);
  g_assert_cmpuint (batch->errors->len, ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/migration/single", test_single);
  g_test_add_func ("/migration/multiple", test_multiple);
  g_test_add_func ("/migration/bad-among-good", test_bad_among_good);
  g_test_add_func ("/migration/unknown-enums", test_unknown_enums);
  g_test_add_func ("/migration/batch-fields", test_batch_fields);
  g_test_add_func ("/migration/bad-batch-numbers", test_bad_batch_numbers);
  g_test_add_func ("/migration/hostile-entry-names", test_hostile_entry_names);
  g_test_add_func ("/migration/entry-cap", test_entry_cap);
  g_test_add_func ("/migration/size-cap", test_size_cap);
  g_test_add_func ("/migration/truncated", test_truncated);
  g_test_add_func ("/migration/bad-uris", test_bad_uris);
  g_test_add_func ("/migration/base64-variants", test_base64_variants);
  g_test_add_func ("/migration/sample-export", test_sample_export);
  g_test_add_func ("/migration/empty-export", test_empty_export);

  return g_test_run ();
}
