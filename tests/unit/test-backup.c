/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-backup.c: the entsec encrypted backup format, plain otpauth:// lists,
 * format detection and atomic file writes.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <jansson.h>

#include <entsec/entsec.h>

#include "entsec-crypto.h"

/* Cheap costs: the format is under test here, not Argon2id's strength. */
static const EntsecKdfParams cheap = { 8 * 1024, 1, 1 };
static const char passphrase[] = "canary-pass-9c1e";
/* "CANARYSEEDAAAAAAAAAAAAAAAAAAAAAA" decodes to these 20 bytes. */
static const char canary_base32[] = "CANARYSEEDAAAAAAAAAAAAAAAAAAAAAA";

static EntsecAccount *
make_account (EntsecAccountType type,
              const char       *issuer,
              const char       *label,
              const char       *base32)
{
  EntsecAccount *account = entsec_account_new ();
  gsize len = 0;
  guint8 *secret = entsec_base32_decode (base32, &len, NULL);

  g_assert_nonnull (secret);
  account->type = type;
  account->issuer = g_strdup (issuer);
  g_free (account->label);
  account->label = g_strdup (label);
  entsec_account_set_secret (account, secret, len);
  entsec_secure_free (secret, len);
  if (type == ENTSEC_ACCOUNT_STEAM)
    account->digits = ENTSEC_STEAM_DIGITS;
  return account;
}

static GPtrArray *
sample_accounts (void)
{
  GPtrArray *accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  EntsecAccount *totp = make_account (ENTSEC_ACCOUNT_TOTP, "Exämple Corp", "alice@example.com",
                                      canary_base32);
  EntsecAccount *hotp = make_account (ENTSEC_ACCOUNT_HOTP, NULL, "bob", "JBSWY3DPEHPK3PXPJBSWY3DP");

  totp->algorithm = ENTSEC_OTP_ALGORITHM_SHA256;
  totp->digits = 8;
  totp->period = 60;
  totp->favourite = TRUE;
  totp->group = g_strdup ("Work");
  totp->notes = g_strdup ("recovery codes are in the safe \xf0\x9f\x94\x90");
  totp->position = 3;
  hotp->counter = 42;
  hotp->algorithm = ENTSEC_OTP_ALGORITHM_SHA512;
  g_ptr_array_add (accounts, totp);
  g_ptr_array_add (accounts, hotp);
  g_ptr_array_add (accounts, make_account (ENTSEC_ACCOUNT_STEAM, "Steam", "gamer",
                                           "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"));
  return accounts;
}

static void
assert_accounts_equal (const EntsecAccount *a,
                       const EntsecAccount *b)
{
  g_assert_cmpint (a->type, ==, b->type);
  g_assert_cmpstr (a->issuer, ==, b->issuer);
  g_assert_cmpstr (a->label, ==, b->label);
  g_assert_cmpmem (a->secret, a->secret_len, b->secret, b->secret_len);
  g_assert_cmpint (a->algorithm, ==, b->algorithm);
  g_assert_cmpuint (a->digits, ==, b->digits);
  g_assert_cmpuint (a->period, ==, b->period);
  g_assert_cmpuint (a->counter, ==, b->counter);
  g_assert_cmpint (a->position, ==, b->position);
  g_assert_cmpint (a->favourite, ==, b->favourite);
  g_assert_cmpstr (a->group, ==, b->group);
  g_assert_cmpstr (a->notes, ==, b->notes);
}

static GBytes *
export_sample (GPtrArray *accounts)
{
  g_autoptr (GError) error = NULL;
  GBytes *file = NULL;

  g_assert_true (entsec_backup_export_sync (accounts, passphrase, strlen (passphrase), &cheap,
                                            &file, NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (file);
  return file;
}

static gboolean
contains (GBytes     *bytes,
          const void *needle,
          gsize       n)
{
  gsize len = 0;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  for (gsize i = 0; i + n <= len; i++)
    {
      if (memcmp (data + i, needle, n) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
test_round_trip (void)
{
  g_autoptr (GPtrArray) accounts = sample_accounts ();
  g_autoptr (GBytes) file = export_sample (accounts);
  g_autoptr (GPtrArray) restored = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (entsec_backup_import_sync (file, passphrase, strlen (passphrase), &restored, NULL,
                                            &error));
  g_assert_no_error (error);
  g_assert_cmpuint (restored->len, ==, accounts->len);
  for (guint i = 0; i < accounts->len; i++)
    assert_accounts_equal (g_ptr_array_index (accounts, i), g_ptr_array_index (restored, i));
}

static void
test_no_plaintext_in_file (void)
{
  g_autoptr (GPtrArray) accounts = sample_accounts ();
  g_autoptr (GBytes) file = export_sample (accounts);
  const EntsecAccount *totp = g_ptr_array_index (accounts, 0);

  g_assert_true (contains (file, "ENTSECBK", 8));
  g_assert_false (contains (file, canary_base32, strlen (canary_base32)));
  g_assert_false (contains (file, totp->secret, totp->secret_len));
  g_assert_false (contains (file, "alice", 5));
  g_assert_false (contains (file, passphrase, strlen (passphrase)));
}

static void
test_empty_list (void)
{
  g_autoptr (GPtrArray) accounts = g_ptr_array_new ();
  g_autoptr (GBytes) file = export_sample (accounts);
  g_autoptr (GPtrArray) restored = NULL;

  g_assert_true (entsec_backup_import_sync (file, passphrase, strlen (passphrase), &restored, NULL,
                                            NULL));
  g_assert_cmpuint (restored->len, ==, 0);
}

static void
test_wrong_passphrase (void)
{
  g_autoptr (GPtrArray) accounts = sample_accounts ();
  g_autoptr (GBytes) file = export_sample (accounts);
  g_autoptr (GPtrArray) restored = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_false (entsec_backup_import_sync (file, "canary-pass-9c1f", 16, &restored, NULL,
                                             &error));
  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_PASSPHRASE);
  g_assert_null (restored);
  g_assert_null (strstr (error->message, "canary"));
  g_test_message ("%s", error->message);
}

static void
test_non_ascii_long_passphrase (void)
{
  static const char long_pass[] =
    "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln \xf0\x9f\x94\x91 \xe5\xaf\x86\xe7\xa0\x81 "
    "and a long tail to go over sixty-four bytes 0123456789";
  g_autoptr (GPtrArray) accounts = sample_accounts ();
  g_autoptr (GPtrArray) restored = NULL;
  g_autoptr (GBytes) file = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_cmpuint (strlen (long_pass), >, 64);
  g_assert_true (entsec_backup_export_sync (accounts, long_pass, strlen (long_pass), &cheap, &file,
                                            NULL, NULL));
  /* One byte short of the passphrase is a different passphrase. */
  g_assert_false (entsec_backup_import_sync (file, long_pass, strlen (long_pass) - 1, &restored,
                                             NULL, &error));
  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_PASSPHRASE);
  g_assert_true (entsec_backup_import_sync (file, long_pass, strlen (long_pass), &restored, NULL,
                                            NULL));
  g_assert_cmpuint (restored->len, ==, 3);
}

static void
test_every_byte_flipped (void)
{
  g_autoptr (GPtrArray) accounts = g_ptr_array_new_with_free_func (
    (GDestroyNotify) entsec_account_free);
  g_autoptr (GBytes) file = NULL;
  gsize len;
  g_autofree guint8 *copy = NULL;

  g_ptr_array_add (accounts, make_account (ENTSEC_ACCOUNT_TOTP, "I", "a", canary_base32));
  file = export_sample (accounts);
  len = g_bytes_get_size (file);
  copy = g_memdup2 (g_bytes_get_data (file, NULL), len);
  for (gsize i = 0; i < len; i++)
    {
      g_autoptr (GBytes) damaged = NULL;
      g_autoptr (GPtrArray) restored = NULL;
      g_autoptr (GError) error = NULL;

      copy[i] ^= 1u << (i % 8);
      damaged = g_bytes_new (copy, len);
      g_assert_false (entsec_backup_import_sync (damaged, passphrase, strlen (passphrase),
                                                 &restored, NULL, &error));
      g_assert_error (error, ENTSEC_BACKUP_ERROR, error->code);
      g_assert_null (restored);
      copy[i] ^= 1u << (i % 8);
    }
  /* The loop restored every byte: the same buffer imports again. */
  {
    g_autoptr (GBytes) intact = g_bytes_new (copy, len);
    g_autoptr (GPtrArray) restored = NULL;

    g_assert_true (entsec_backup_import_sync (intact, passphrase, strlen (passphrase), &restored,
                                              NULL, NULL));
    g_assert_cmpuint (restored->len, ==, 1);
  }
}

static void
test_truncated (void)
{
  g_autoptr (GPtrArray) accounts = sample_accounts ();
  g_autoptr (GBytes) file = export_sample (accounts);
  gsize len = g_bytes_get_size (file);

  /* Every length up to the wrapped key, then a few into the body. */
  for (gsize cut = 0; cut < len; cut += cut < 120 ? 1 : 37)
    {
      g_autoptr (GBytes) part = g_bytes_new_from_bytes (file, 0, cut);
      g_autoptr (GPtrArray) restored = NULL;
      g_autoptr (GError) error = NULL;

      g_assert_false (entsec_backup_import_sync (part, passphrase, strlen (passphrase), &restored,
                                                 NULL, &error));
      g_assert_nonnull (error);
      g_assert_null (restored);
    }
}

/* ---- Files built by hand from docs/backup-format.md ----------------------- */

typedef struct
{
  guint8 version;
  guint8 kdf;
  guint32 m_cost_kib;
  guint32 t_cost;
  guint32 parallelism;
  guint8 salt_len;
} Header;

static const Header good_header = { 1, 1, 8 * 1024, 1, 1, 16 };

static void
put_u32 (GByteArray *out,
         guint32     value)
{
  guint32 be = GUINT32_TO_BE (value);

  g_byte_array_append (out, (const guint8 *) &be, 4);
}

/* A file as the spec describes it, sealing @body (any bytes) with `passphrase`. */
static GBytes *
build_file (const Header *h,
            const char   *body)
{
  g_autoptr (GByteArray) file = g_byte_array_new ();
  EntsecArgon2Params kdf = { h->m_cost_kib, h->t_cost, h->parallelism, { 0 }, h->salt_len };
  guint8 kek[32], key[32];
  guint8 salt[255];
  g_autoptr (GBytes) wrapped = NULL;
  g_autoptr (GBytes) sealed = NULL;

  memset (salt, 0x5a, sizeof salt);
  memset (key, 0x17, sizeof key);
  g_byte_array_append (file, (const guint8 *) "ENTSECBK", 8);
  g_byte_array_append (file, &h->version, 1);
  g_byte_array_append (file, &h->kdf, 1);
  put_u32 (file, h->m_cost_kib);
  put_u32 (file, h->t_cost);
  put_u32 (file, h->parallelism);
  g_byte_array_append (file, &h->salt_len, 1);
  g_byte_array_append (file, salt, h->salt_len);
  memcpy (kdf.salt, salt, MIN (h->salt_len, sizeof kdf.salt));
  if (!entsec_argon2id_derive (&kdf, passphrase, strlen (passphrase), kek, 32, NULL))
    memset (kek, 0, sizeof kek); /* out of bounds: the reader must refuse before this matters */
  wrapped = entsec_aead_seal (kek, file->data, file->len, key, 32, NULL);
  g_byte_array_append (file, g_bytes_get_data (wrapped, NULL), g_bytes_get_size (wrapped));
  sealed = entsec_aead_seal (key, file->data, file->len, (const guint8 *) body, strlen (body),
                             NULL);
  g_byte_array_append (file, g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed));
  return g_byte_array_free_to_bytes (g_steal_pointer (&file));
}

static GError *
import_error (const Header *h,
              const char   *body)
{
  g_autoptr (GBytes) file = build_file (h, body);
  g_autoptr (GPtrArray) restored = NULL;
  GError *error = NULL;

  g_assert_false (entsec_backup_import_sync (file, passphrase, strlen (passphrase), &restored, NULL,
                                             &error));
  g_assert_null (restored);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  return error;
}

static void
test_spec_file_imports (void)
{
  g_autoptr (GBytes) file = build_file (&good_header,
    "{\"format\":\"entsec-backup\",\"version\":1,\"accounts\":[{\"type\":\"hotp\","
    "\"label\":\"spec\",\"secret\":\"JBSWY3DPEHPK3PXP\",\"counter\":7}]}");
  g_autoptr (GPtrArray) restored = NULL;
  g_autoptr (GError) error = NULL;
  const EntsecAccount *account;

  g_assert_true (entsec_backup_import_sync (file, passphrase, strlen (passphrase), &restored, NULL,
                                            &error));
  g_assert_no_error (error);
  g_assert_cmpuint (restored->len, ==, 1);
  account = g_ptr_array_index (restored, 0);
  g_assert_cmpint (account->type, ==, ENTSEC_ACCOUNT_HOTP);
  g_assert_cmpstr (account->label, ==, "spec");
  g_assert_cmpuint (account->counter, ==, 7);
  g_assert_cmpuint (account->digits, ==, 6);
  g_assert_null (account->issuer);
}

static void
test_bad_json_body (void)
{
  g_autoptr (GError) truncated = import_error (&good_header, "{\"format\":\"entsec-backup\",");
  g_autoptr (GError) not_list = import_error (&good_header, "{\"format\":\"entsec-backup\","
                                                            "\"accounts\":{}}");
  g_autoptr (GError) dup = import_error (&good_header, "{\"format\":\"x\",\"format\":\"y\"}");

  g_assert_error (truncated, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_CORRUPT);
  g_assert_error (not_list, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_CORRUPT);
  g_assert_error (dup, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_CORRUPT);
}

static void
test_deep_json_body (void)
{
  g_autoptr (GString) body = g_string_new ("{\"format\":\"entsec-backup\",\"accounts\":");
  g_autoptr (GError) error = NULL;

  for (int i = 0; i < 100000; i++)
    g_string_append_c (body, '[');
  error = import_error (&good_header, body->str);
  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_LIMIT);
}

static void
test_invalid_account_in_body (void)
{
  /* All or nothing: one bad account (7-bit secret) and nothing is returned. */
  g_autoptr (GError) error = import_error (&good_header,
    "{\"format\":\"entsec-backup\",\"accounts\":["
    "{\"type\":\"totp\",\"label\":\"ok\",\"secret\":\"JBSWY3DPEHPK3PXP\"},"
    "{\"type\":\"totp\",\"label\":\"short\",\"secret\":\"JB\"}]}");

  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_CORRUPT);
  g_assert_nonnull (strstr (error->message, "Account 2"));
}

static void
test_newer_version (void)
{
  Header h = good_header;
  g_autoptr (GError) error = NULL;

  h.version = 2;
  error = import_error (&h, "{}");
  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_VERSION);
}

static void
assert_header_rejected (guint32 m,
                        guint32 t,
                        guint32 p,
                        guint8  salt_len)
{
  Header h = { 1, 1, m, t, p, salt_len };
  g_autoptr (GError) error = import_error (&h, "{}");

  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_FORMAT);
}

static void
test_header_bounds (void)
{
  /* 64 GiB and UINT32_MAX: refused before Argon2id would allocate anything. */
  assert_header_rejected (64u * 1024 * 1024, 1, 1, 16);
  assert_header_rejected (G_MAXUINT32, 1, 1, 16);
  assert_header_rejected (1024, 1, 1, 16);
  assert_header_rejected (8192, 0, 1, 16);
  assert_header_rejected (8192, 1000, 1, 16);
  assert_header_rejected (8192, 1, 0, 16);
  assert_header_rejected (8192, 1, 64, 16);
  assert_header_rejected (8192, 1, 1, 4);
  assert_header_rejected (8192, 1, 1, 200);
}

static void
test_not_a_backup (void)
{
  g_autoptr (GBytes) text = g_bytes_new_static ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP", 40);
  g_autoptr (GPtrArray) restored = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_false (entsec_backup_import_sync (text, passphrase, strlen (passphrase), &restored, NULL,
                                             &error));
  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_FORMAT);
}

static void
test_export_rejects_invalid_account (void)
{
  g_autoptr (GPtrArray) accounts = sample_accounts ();
  g_autoptr (GBytes) file = NULL;
  g_autoptr (GError) error = NULL;
  EntsecAccount *bad = g_ptr_array_index (accounts, 1);

  bad->digits = 99;
  g_assert_false (entsec_backup_export_sync (accounts, passphrase, strlen (passphrase), &cheap,
                                             &file, NULL, &error));
  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_ENTRY);
  g_assert_nonnull (strstr (error->message, "Account 2 (bob)"));
  g_assert_null (file);
}

static void
test_export_rejects_bad_costs (void)
{
  static const EntsecKdfParams huge = { 64u * 1024 * 1024, 1, 1 };
  g_autoptr (GPtrArray) accounts = sample_accounts ();
  g_autoptr (GBytes) file = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_false (entsec_backup_export_sync (accounts, passphrase, strlen (passphrase), &huge,
                                             &file, NULL, &error));
  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_FAILED);
  g_assert_null (file);
}

/* ---- Plain otpauth:// lists ----------------------------------------------- */

static void
test_uris_round_trip (void)
{
  g_autoptr (GPtrArray) accounts = sample_accounts ();
  char *text = entsec_backup_export_uris (accounts);
  g_autoptr (GBytes) bytes = g_bytes_new (text, strlen (text));
  g_autoptr (EntsecImportResult) result = NULL;
  g_autoptr (GError) error = NULL;

  result = entsec_backup_import_uris (bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->errors->len, ==, 0);
  g_assert_cmpuint (result->accounts->len, ==, accounts->len);
  for (guint i = 0; i < accounts->len; i++)
    {
      const EntsecAccount *a = g_ptr_array_index (accounts, i);
      const EntsecAccount *b = g_ptr_array_index (result->accounts, i);

      g_assert_cmpint (a->type, ==, b->type);
      g_assert_cmpstr (a->label, ==, b->label);
      g_assert_cmpstr (a->issuer, ==, b->issuer);
      g_assert_cmpmem (a->secret, a->secret_len, b->secret, b->secret_len);
      g_assert_cmpuint (a->counter, ==, b->counter);
      g_assert_cmpuint (a->digits, ==, b->digits);
    }
  entsec_secure_strfree (text);
}

/* otpauth-migration:// with one TOTP entry "alice" / "Example", secret "1234567890". */
static char *
migration_line (void)
{
  static const guint8 entry[] = {
    0x0a, 10, '1', '2', '3', '4', '5', '6', '7', '8', '9', '0',
    0x12, 5, 'a', 'l', 'i', 'c', 'e',
    0x1a, 7, 'E', 'x', 'a', 'm', 'p', 'l', 'e',
    0x20, 1, 0x28, 1, 0x30, 2,
  };
  g_autoptr (GByteArray) payload = g_byte_array_new ();
  const guint8 head[] = { 0x0a, sizeof entry };
  const guint8 tail[] = { 0x10, 1, 0x18, 1 };
  g_autofree char *base64 = NULL;
  g_autofree char *escaped = NULL;

  g_byte_array_append (payload, head, sizeof head);
  g_byte_array_append (payload, entry, sizeof entry);
  g_byte_array_append (payload, tail, sizeof tail);
  base64 = g_base64_encode (payload->data, payload->len);
  escaped = g_uri_escape_string (base64, NULL, FALSE);
  return g_strconcat ("otpauth-migration://offline?data=", escaped, NULL);
}

static void
test_uris_keeps_good_lines (void)
{
  g_autofree char *migration = migration_line ();
  g_autofree char *text = g_strconcat (
    "# exported by hand\r\n"
    "otpauth://totp/GitHub:me?secret=JBSWY3DPEHPK3PXP&issuer=GitHub\r\n"
    "\n"
    "this is not a uri\n"
    "otpauth://totp/short?secret=JB\n"
    "   ", migration, "   \n"
    "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=5", NULL);
  g_autoptr (GBytes) bytes = g_bytes_new (text, strlen (text));
  g_autoptr (EntsecImportResult) result = NULL;
  g_autoptr (GError) error = NULL;
  const GError *line4, *line5;

  result = entsec_backup_import_uris (bytes, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->accounts->len, ==, 3);
  g_assert_cmpstr (((EntsecAccount *) g_ptr_array_index (result->accounts, 0))->issuer, ==,
                   "GitHub");
  g_assert_cmpstr (((EntsecAccount *) g_ptr_array_index (result->accounts, 1))->label, ==,
                   "alice");
  g_assert_cmpuint (((EntsecAccount *) g_ptr_array_index (result->accounts, 2))->counter, ==, 5);
  g_assert_cmpuint (result->errors->len, ==, 2);
  line4 = g_ptr_array_index (result->errors, 0);
  line5 = g_ptr_array_index (result->errors, 1);
  g_assert_error ((GError *) line4, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_ENTRY);
  g_assert_true (g_str_has_prefix (line4->message, "Line 4: "));
  g_assert_true (g_str_has_prefix (line5->message, "Line 5: "));
}

static void
test_uris_nothing_usable (void)
{
  g_autoptr (GBytes) bytes = g_bytes_new_static ("\n# only a comment\n\n", 19);
  g_autoptr (GError) error = NULL;

  g_assert_null (entsec_backup_import_uris (bytes, &error));
  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_FORMAT);
}

static void
test_uris_too_many_lines (void)
{
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;

  for (int i = 0; i <= ENTSEC_IMPORT_MAX_ENTRIES; i++)
    g_string_append (text, "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP\n");
  bytes = g_string_free_to_bytes (g_steal_pointer (&text));
  g_assert_null (entsec_backup_import_uris (bytes, &error));
  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_LIMIT);
}

/* ---- Detection ------------------------------------------------------------ */

static void
test_detect_format (void)
{
  static const struct
  {
    const char *text;
    EntsecImportFormat format;
  } cases[] = {
    { "ENTSECBK\x01\x01", ENTSEC_IMPORT_FORMAT_ENTSEC },
    { "otpauth://totp/x?secret=A", ENTSEC_IMPORT_FORMAT_URIS },
    { "\xef\xbb\xbf# comment\n\nOTPAUTH-MIGRATION://offline?data=", ENTSEC_IMPORT_FORMAT_URIS },
    { "  {\"version\": 1, \"header\": {}}", ENTSEC_IMPORT_FORMAT_AEGIS },
    { "hello", ENTSEC_IMPORT_FORMAT_UNKNOWN },
    { "", ENTSEC_IMPORT_FORMAT_UNKNOWN },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GBytes) bytes = g_bytes_new_static (cases[i].text, strlen (cases[i].text));

      g_assert_cmpint (entsec_import_detect_format (bytes), ==, cases[i].format);
    }
}

/* ---- Files ---------------------------------------------------------------- */

static char *
make_temp_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("entsec-backup-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static guint
count_entries (const char *dir)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (g_dir_read_name (handle) != NULL)
    n++;
  return n;
}

static void
remove_tree (const char *dir)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);

  for (const char *name = g_dir_read_name (handle); name != NULL;
       name = g_dir_read_name (handle))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_assert_cmpint (g_unlink (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
test_write_file_mode_and_replace (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "backup.entsec", NULL);
  g_autoptr (GBytes) first = g_bytes_new_static ("first", 5);
  g_autoptr (GBytes) second = g_bytes_new_static ("second!", 7);
  g_autoptr (GBytes) read = NULL;
  mode_t old_umask = umask (0);
  struct stat st;

  g_assert_true (entsec_backup_write_file_sync (path, first, NULL, NULL));
  umask (old_umask);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (entsec_backup_write_file_sync (path, second, NULL, NULL));
  read = entsec_backup_read_file_sync (path, NULL, NULL);
  g_assert_true (g_bytes_equal (read, second));
  g_assert_cmpuint (count_entries (dir), ==, 1);
  remove_tree (dir);
}

/* Runs in a child: the file size limit makes the temporary file's write fail. */
static void
write_over_size_limit (const char *path)
{
  g_autoptr (GBytes) big = g_bytes_new_take (g_malloc0 (64 * 1024), 64 * 1024);
  struct rlimit limit = { 1024, 1024 };
  g_autoptr (GError) error = NULL;

  signal (SIGXFSZ, SIG_IGN);
  g_assert_cmpint (setrlimit (RLIMIT_FSIZE, &limit), ==, 0);
  g_assert_false (entsec_backup_write_file_sync (path, big, NULL, &error));
  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_IO);
  g_printerr ("%s\n", error->message);
}

static void
test_failed_write_keeps_old_file (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "backup.entsec", NULL);
  g_autoptr (GBytes) old = g_bytes_new_static ("the old backup", 14);
  g_autoptr (GBytes) read = NULL;

  g_assert_true (entsec_backup_write_file_sync (path, old, NULL, NULL));
  if (g_test_subprocess ())
    return;
  g_setenv ("ENTSEC_TEST_PATH", path, TRUE);
  g_test_trap_subprocess ("/backup/file/failed-write-child", 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stderr ("*File too large*");
  read = entsec_backup_read_file_sync (path, NULL, NULL);
  g_assert_true (g_bytes_equal (read, old));
  g_assert_cmpuint (count_entries (dir), ==, 1);
  remove_tree (dir);
}

static void
test_failed_write_child (void)
{
  if (!g_test_subprocess ())
    {
      g_test_skip ("only runs as the child of /backup/file/failed-write-keeps-old");
      return;
    }
  write_over_size_limit (g_getenv ("ENTSEC_TEST_PATH"));
}

static void
test_failed_rename_keeps_old_target (void)
{
  /* The target is a non-empty directory: rename fails, the temporary file goes away. */
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *target = g_build_filename (dir, "taken", NULL);
  g_autofree char *inside = g_build_filename (target, "keep", NULL);
  g_autoptr (GBytes) data = g_bytes_new_static ("new", 3);
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_mkdir (target, 0700), ==, 0);
  g_assert_true (g_file_set_contents (inside, "kept", -1, NULL));
  g_assert_false (entsec_backup_write_file_sync (target, data, NULL, &error));
  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_IO);
  g_assert_true (g_file_test (inside, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (count_entries (dir), ==, 1);
  g_assert_cmpint (g_unlink (inside), ==, 0);
  g_assert_cmpint (g_rmdir (target), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

/* A symbolic link (or device, FIFO) is never replaced nor written through. */
static void
test_write_file_refuses_symlink (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *target = g_build_filename (dir, "target", NULL);
  g_autofree char *link = g_build_filename (dir, "link", NULL);
  g_autofree char *contents = NULL;
  g_autoptr (GBytes) data = g_bytes_new_static ("new", 3);
  g_autoptr (GError) error = NULL;

  g_assert_true (g_file_set_contents (target, "kept", -1, NULL));
  g_assert_cmpint (symlink (target, link), ==, 0);
  g_assert_false (entsec_backup_write_file_sync (link, data, NULL, &error));
  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
  g_assert_true (g_file_test (link, G_FILE_TEST_IS_SYMLINK));
  g_assert_true (g_file_get_contents (target, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "kept");
  g_assert_cmpuint (count_entries (dir), ==, 2);
  g_unlink (link);
  g_unlink (target);
  g_rmdir (dir);
}

static void
test_read_file_cap (void)
{
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "huge", NULL);
  g_autoptr (GError) error = NULL;
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, ENTSEC_IMPORT_MAX_FILE_BYTES + 1), ==, 0);
  close (fd);
  g_assert_null (entsec_backup_read_file_sync (path, NULL, &error));
  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_LIMIT);
  remove_tree (dir);
}

typedef struct
{
  char *path;
  gsize len;
} FifoWriter;

/* Write @len bytes of a pattern into the FIFO, stopping when the reader goes away. */
static gpointer
fifo_writer (gpointer data)
{
  FifoWriter *writer = data;
  int fd = open (writer->path, O_WRONLY | O_CLOEXEC);
  guint8 block[4096];
  gsize done = 0;

  g_assert_cmpint (fd, >=, 0);
  while (done < writer->len)
    {
      gsize n = MIN (sizeof block, writer->len - done);
      gssize written;

      for (gsize i = 0; i < n; i++)
        block[i] = (guint8) ((done + i) * 7);
      written = write (fd, block, n);
      if (written < 0)
        break; /* EPIPE: the reader stopped at its cap */
      done += (gsize) written;
    }
  close (fd);
  return NULL;
}

static GBytes *
read_through_fifo (gsize    len,
                   GError **error)
{
  g_autofree char *dir = make_temp_dir ();
  FifoWriter writer = { g_build_filename (dir, "fifo", NULL), len };
  GThread *thread;
  GBytes *bytes;

  g_assert_cmpint (mkfifo (writer.path, 0600), ==, 0);
  thread = g_thread_new ("fifo-writer", fifo_writer, &writer);
  bytes = entsec_backup_read_file_sync (writer.path, NULL, error);
  g_thread_join (thread);
  g_free (writer.path);
  remove_tree (dir);
  return bytes;
}

/* A pipe has no size to read ahead: the buffer grows (and the cap still holds). */
static void
test_read_file_pipe (void)
{
  gsize len = 300 * 1024 + 17;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  const guint8 *data;

  signal (SIGPIPE, SIG_IGN);
  bytes = read_through_fifo (len, NULL);
  g_assert_nonnull (bytes);
  g_assert_cmpuint (g_bytes_get_size (bytes), ==, len);
  data = g_bytes_get_data (bytes, NULL);
  for (gsize i = 0; i < len; i++)
    g_assert_cmpuint (data[i], ==, (guint8) (i * 7));
  g_assert_null (read_through_fifo (ENTSEC_IMPORT_MAX_FILE_BYTES + 4096, &error));
  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_LIMIT);
}

/*
 * jansson holds copies of decrypted secrets: the backup module makes it
 * allocate through functions that wipe each block when it is freed.
 */
static void
test_json_allocators (void)
{
  json_malloc_t json_malloc = NULL;
  json_free_t json_free = NULL;
  guint8 *block;

  /* Installed before main() ran, before any jansson use in the process. */
  json_get_alloc_funcs (&json_malloc, &json_free);
  g_assert_true (json_malloc != NULL && json_malloc != malloc);
  g_assert_true (json_free != NULL && json_free != free);
  block = json_malloc (33);
  g_assert_nonnull (block);
  memset (block, 0xa5, 33);
  json_free (block);
  json_free (NULL);
}

/* 8 MiB, so a write is still in progress when the child is killed. */
static GBytes *
big_payload (void)
{
  gsize len = 8 * 1024 * 1024;
  guint8 *data = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    data[i] = (guint8) (i * 31 + i / 4096);
  return g_bytes_new_take (data, len);
}

/* The child: write the same payload to ENTSEC_TEST_KILL_PATH forever, one line per write. */
static void
test_kill_child (void)
{
  const char *path = g_getenv ("ENTSEC_TEST_KILL_PATH");
  g_autoptr (GBytes) data = NULL;

  if (path == NULL)
    {
      g_test_skip ("only runs as the child of /backup/file/kill-during-write");
      return;
    }
  data = big_payload ();
  for (;;)
    {
      g_assert_true (entsec_backup_write_file_sync (path, data, NULL, NULL));
      fputs ("written\n", stdout);
      fflush (stdout);
    }
}

static void
assert_every_file_complete (const char *dir,
                            GBytes     *data)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);

  for (const char *name = g_dir_read_name (handle); name != NULL;
       name = g_dir_read_name (handle))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autoptr (GBytes) read = entsec_backup_read_file_sync (path, NULL, NULL);

      g_assert_nonnull (read);
      g_assert_true (g_bytes_equal (read, data));
    }
}

static void
test_kill_during_write (void)
{
  /* ST-5(c): after kill -9 mid-write, every file present is complete (no partial export). */
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "killed.entsec", NULL);
  g_autoptr (GBytes) data = big_payload ();

  for (int i = 0; i < 8; i++)
    {
      g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
        G_SUBPROCESS_FLAGS_STDOUT_PIPE);
      g_autoptr (GSubprocess) child = NULL;
      g_autoptr (GDataInputStream) lines = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *line = NULL;

      g_subprocess_launcher_setenv (launcher, "ENTSEC_TEST_KILL_PATH", path, TRUE);
      child = g_subprocess_launcher_spawn (launcher, &error, "/proc/self/exe", "-p",
                                           "/backup/file/kill-child", NULL);
      g_assert_no_error (error);
      lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (child));
      /* Skip GTest's own output up to the first completed write, then kill at once. */
      do
        {
          g_free (line);
          line = g_data_input_stream_read_line (lines, NULL, NULL, &error);
          g_assert_no_error (error);
          g_assert_nonnull (line);
        }
      while (strcmp (line, "written") != 0);
      g_subprocess_force_exit (child);
      g_assert_true (g_subprocess_wait (child, NULL, NULL));
      g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
      assert_every_file_complete (dir, data);
    }
  remove_tree (dir);
}

/* ---- Off the main thread -------------------------------------------------- */

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
test_async_round_trip (void)
{
  g_autoptr (GPtrArray) accounts = sample_accounts ();
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "async.entsec", NULL);
  GAsyncResult *exported = NULL, *written = NULL, *imported = NULL;
  g_autoptr (GBytes) file = NULL;
  g_autoptr (GBytes) read = NULL;
  g_autoptr (GPtrArray) restored = NULL;
  g_autoptr (GError) error = NULL;
  char *pass = g_strdup (passphrase);

  /* The passphrase is copied: the caller may wipe its own at once. */
  entsec_backup_export_async (accounts, pass, strlen (pass), &cheap, NULL, store_result,
                              &exported);
  entsec_secure_strfree (pass);
  file = entsec_backup_export_finish (wait_for (&exported), &error);
  g_assert_no_error (error);
  entsec_backup_write_file_async (path, file, NULL, store_result, &written);
  g_assert_true (entsec_backup_write_file_finish (wait_for (&written), &error));
  read = entsec_backup_read_file_sync (path, NULL, &error);
  g_assert_no_error (error);
  entsec_backup_import_async (read, passphrase, strlen (passphrase), NULL, store_result,
                              &imported);
  restored = entsec_backup_import_finish (wait_for (&imported), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (restored->len, ==, accounts->len);
  assert_accounts_equal (g_ptr_array_index (accounts, 0), g_ptr_array_index (restored, 0));
  g_object_unref (exported);
  g_object_unref (written);
  g_object_unref (imported);
  remove_tree (dir);
}

static void
test_async_wrong_passphrase (void)
{
  g_autoptr (GPtrArray) accounts = sample_accounts ();
  g_autoptr (GBytes) file = export_sample (accounts);
  GAsyncResult *imported = NULL;
  g_autoptr (GError) error = NULL;

  entsec_backup_import_async (file, "nope", 4, NULL, store_result, &imported);
  g_assert_null (entsec_backup_import_finish (wait_for (&imported), &error));
  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_PASSPHRASE);
  g_object_unref (imported);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/backup/round-trip", test_round_trip);
  g_test_add_func ("/backup/no-plaintext", test_no_plaintext_in_file);
  g_test_add_func ("/backup/empty", test_empty_list);
  g_test_add_func ("/backup/wrong-passphrase", test_wrong_passphrase);
  g_test_add_func ("/backup/non-ascii-long-passphrase", test_non_ascii_long_passphrase);
  g_test_add_func ("/backup/every-byte-flipped", test_every_byte_flipped);
  g_test_add_func ("/backup/truncated", test_truncated);
  g_test_add_func ("/backup/spec/imports", test_spec_file_imports);
  g_test_add_func ("/backup/spec/bad-json", test_bad_json_body);
  g_test_add_func ("/backup/spec/deep-json", test_deep_json_body);
  g_test_add_func ("/backup/spec/invalid-account", test_invalid_account_in_body);
  g_test_add_func ("/backup/spec/newer-version", test_newer_version);
  g_test_add_func ("/backup/spec/header-bounds", test_header_bounds);
  g_test_add_func ("/backup/not-a-backup", test_not_a_backup);
  g_test_add_func ("/backup/export/invalid-account", test_export_rejects_invalid_account);
  g_test_add_func ("/backup/export/bad-costs", test_export_rejects_bad_costs);
  g_test_add_func ("/backup/uris/round-trip", test_uris_round_trip);
  g_test_add_func ("/backup/uris/keeps-good-lines", test_uris_keeps_good_lines);
  g_test_add_func ("/backup/uris/nothing-usable", test_uris_nothing_usable);
  g_test_add_func ("/backup/uris/too-many-lines", test_uris_too_many_lines);
  g_test_add_func ("/backup/detect", test_detect_format);
  g_test_add_func ("/backup/file/mode-and-replace", test_write_file_mode_and_replace);
  g_test_add_func ("/backup/file/failed-write-keeps-old", test_failed_write_keeps_old_file);
  g_test_add_func ("/backup/file/failed-write-child", test_failed_write_child);
  g_test_add_func ("/backup/file/failed-rename", test_failed_rename_keeps_old_target);
  g_test_add_func ("/backup/file/refuses-symlink", test_write_file_refuses_symlink);
  g_test_add_func ("/backup/file/read-cap", test_read_file_cap);
  g_test_add_func ("/backup/file/read-pipe", test_read_file_pipe);
  g_test_add_func ("/backup/json-allocators", test_json_allocators);
  g_test_add_func ("/backup/file/kill-during-write", test_kill_during_write);
  g_test_add_func ("/backup/file/kill-child", test_kill_child);
  g_test_add_func ("/backup/async/round-trip", test_async_round_trip);
  g_test_add_func ("/backup/async/wrong-passphrase", test_async_wrong_passphrase);
  return g_test_run ();
}
