/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-aegis.c: importing Aegis vault exports. The files are built here as
 * Aegis' docs/vault.md describes them; the encrypted ones are sealed with
 * OpenSSL directly (scrypt + AES-256-GCM), not with entsec's own code.
 */

#include "config.h"

#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <entsec/entsec.h>

static const char password[] = "Aegis p\xc3\xa4ssword";

static const char plain_entries[] =
  "["
  "{\"type\":\"totp\",\"uuid\":\"1\",\"name\":\"alice@example.com\",\"issuer\":\"Example\","
  " \"icon\":null,\"note\":\"work laptop\",\"favorite\":true,"
  " \"info\":{\"secret\":\"JBSWY3DPEHPK3PXP\",\"algo\":\"SHA256\",\"digits\":8,\"period\":60}},"
  "{\"type\":\"hotp\",\"uuid\":\"2\",\"name\":\"bob\",\"issuer\":\"\","
  " \"info\":{\"secret\":\"GEZDGNBVGY3TQOJQ\",\"algo\":\"SHA1\",\"digits\":6,\"counter\":42}},"
  "{\"type\":\"steam\",\"uuid\":\"3\",\"name\":\"gamer\",\"issuer\":\"Steam\","
  " \"info\":{\"secret\":\"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\",\"algo\":\"SHA1\",\"digits\":5,"
  " \"period\":30}},"
  "{\"type\":\"yandex\",\"uuid\":\"4\",\"name\":\"ya\",\"issuer\":\"Yandex\","
  " \"info\":{\"secret\":\"JBSWY3DPEHPK3PXP\",\"algo\":\"SHA256\",\"digits\":8,\"period\":30,"
  " \"pin\":\"1234\"}},"
  "{\"type\":\"motp\",\"uuid\":\"5\",\"name\":\"m\",\"issuer\":\"\","
  " \"info\":{\"secret\":\"JBSWY3DPEHPK3PXP\",\"algo\":\"MD5\",\"digits\":6,\"period\":10}},"
  "{\"type\":\"totp\",\"uuid\":\"6\",\"name\":\"broken\",\"issuer\":\"Bad\","
  " \"info\":{\"secret\":\"not base32!\",\"algo\":\"SHA1\",\"digits\":6,\"period\":30}},"
  "{\"type\":\"totp\",\"uuid\":\"7\",\"name\":\"no info\",\"issuer\":\"Bad\"}"
  "]";

static char *
plain_vault (void)
{
  return g_strdup_printf ("{\"version\":1,\"header\":{\"slots\":null,\"params\":null},"
                          "\"db\":{\"version\":2,\"entries\":%s}}", plain_entries);
}

static GBytes *
bytes_take (char *text)
{
  return g_bytes_new_take (text, strlen (text));
}

static EntsecImportResult *
import_ok (GBytes     *data,
           const char *pass)
{
  g_autoptr (GError) error = NULL;
  EntsecImportResult *result =
    entsec_aegis_import_sync (data, pass, pass ? strlen (pass) : 0, NULL, &error);

  g_assert_no_error (error);
  g_assert_nonnull (result);
  return result;
}

static GError *
import_fails (GBytes     *data,
              const char *pass)
{
  GError *error = NULL;
  EntsecImportResult *result =
    entsec_aegis_import_sync (data, pass, pass ? strlen (pass) : 0, NULL, &error);

  g_assert_null (result);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  return error;
}

static void
assert_plain_entries (EntsecImportResult *result)
{
  const EntsecAccount *totp, *hotp, *steam;
  const GError *yandex;

  g_assert_cmpuint (result->accounts->len, ==, 3);
  g_assert_cmpuint (result->errors->len, ==, 4);
  totp = g_ptr_array_index (result->accounts, 0);
  hotp = g_ptr_array_index (result->accounts, 1);
  steam = g_ptr_array_index (result->accounts, 2);
  g_assert_cmpint (totp->type, ==, ENTSEC_ACCOUNT_TOTP);
  g_assert_cmpstr (totp->label, ==, "alice@example.com");
  g_assert_cmpstr (totp->issuer, ==, "Example");
  g_assert_cmpstr (totp->notes, ==, "work laptop");
  g_assert_true (totp->favourite);
  g_assert_cmpint (totp->algorithm, ==, ENTSEC_OTP_ALGORITHM_SHA256);
  g_assert_cmpuint (totp->digits, ==, 8);
  g_assert_cmpuint (totp->period, ==, 60);
  g_assert_cmpmem (totp->secret, totp->secret_len, "Hello!\xde\xad\xbe\xef", 10);
  g_assert_cmpint (hotp->type, ==, ENTSEC_ACCOUNT_HOTP);
  g_assert_null (hotp->issuer);
  g_assert_cmpuint (hotp->counter, ==, 42);
  g_assert_cmpmem (hotp->secret, hotp->secret_len, "1234567890", 10);
  g_assert_cmpint (steam->type, ==, ENTSEC_ACCOUNT_STEAM);
  g_assert_cmpuint (steam->digits, ==, ENTSEC_STEAM_DIGITS);
  yandex = g_ptr_array_index (result->errors, 0);
  g_assert_error ((GError *) yandex, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_ENTRY);
  g_assert_true (g_str_has_prefix (yandex->message, "Entry 4 (Yandex, ya): "));
  g_assert_nonnull (strstr (yandex->message, "yandex"));
  g_assert_true (g_str_has_prefix (((GError *) g_ptr_array_index (result->errors, 1))->message,
                                   "Entry 5 (m): "));
  g_assert_true (g_str_has_prefix (((GError *) g_ptr_array_index (result->errors, 2))->message,
                                   "Entry 6 (Bad, broken): "));
  g_assert_true (g_str_has_prefix (((GError *) g_ptr_array_index (result->errors, 3))->message,
                                   "Entry 7 (Bad, no info): "));
}

static void
test_plain (void)
{
  g_autoptr (GBytes) data = bytes_take (plain_vault ());
  g_autoptr (EntsecImportResult) result = import_ok (data, NULL);
  gboolean encrypted = TRUE;

  assert_plain_entries (result);
  g_assert_true (entsec_aegis_is_encrypted (data, &encrypted, NULL));
  g_assert_false (encrypted);
  g_assert_cmpint (entsec_import_detect_format (data), ==, ENTSEC_IMPORT_FORMAT_AEGIS);
}

static void
test_groups (void)
{
  /* Newer exports name groups by uuid in a list; older ones put the name in the entry. */
  g_autoptr (GBytes) data = bytes_take (g_strdup (
    "{\"version\":1,\"header\":{\"slots\":null,\"params\":null},\"db\":{\"version\":3,"
    "\"groups\":[{\"uuid\":\"g0\",\"name\":\"Home\"},{\"uuid\":\"g1\",\"name\":\"Work\"}],"
    "\"entries\":["
    "{\"type\":\"totp\",\"name\":\"a\",\"issuer\":\"X\",\"groups\":[\"g1\"],"
    " \"info\":{\"secret\":\"JBSWY3DPEHPK3PXP\"}},"
    "{\"type\":\"totp\",\"name\":\"b\",\"issuer\":\"X\",\"group\":\"Old\","
    " \"info\":{\"secret\":\"JBSWY3DPEHPK3PXP\"}},"
    "{\"type\":\"totp\",\"name\":\"c\",\"issuer\":\"X\",\"groups\":[\"missing\"],"
    " \"info\":{\"secret\":\"JBSWY3DPEHPK3PXP\"}},"
    "{\"type\":\"totp\",\"name\":\"d\",\"issuer\":\"X\",\"groups\":[\"g0\",\"g1\"],"
    " \"note\":\"kept\", \"info\":{\"secret\":\"JBSWY3DPEHPK3PXP\"}}]}}"));
  g_autoptr (EntsecImportResult) result = import_ok (data, NULL);

  g_assert_cmpuint (result->accounts->len, ==, 4);
  /* In two groups: both names kept (an account has one group), and the note. */
  g_assert_cmpstr (((EntsecAccount *) g_ptr_array_index (result->accounts, 3))->group, ==,
                   "Home, Work");
  g_assert_cmpstr (((EntsecAccount *) g_ptr_array_index (result->accounts, 3))->notes, ==, "kept");
  g_assert_cmpstr (((EntsecAccount *) g_ptr_array_index (result->accounts, 0))->group, ==, "Work");
  g_assert_cmpstr (((EntsecAccount *) g_ptr_array_index (result->accounts, 1))->group, ==, "Old");
  g_assert_null (((EntsecAccount *) g_ptr_array_index (result->accounts, 2))->group);
}

/* ---- Encrypted vaults, sealed with OpenSSL here --------------------------- */

typedef struct
{
  guint64 n;
  guint64 r;
  guint64 p;
  gboolean corrupt_db_tag;
} VaultSpec;

static const VaultSpec cheap = { 1024, 8, 1, FALSE };

static char *
hex (const guint8 *data,
     gsize         len)
{
  GString *out = g_string_new (NULL);

  for (gsize i = 0; i < len; i++)
    g_string_append_printf (out, "%02x", data[i]);
  return g_string_free (out, FALSE);
}

/* AES-256-GCM, no associated data, as Aegis does it. */
static void
gcm_encrypt (const guint8 *key,
             const guint8 *nonce,
             const guint8 *plain,
             gsize         len,
             guint8       *out,
             guint8        tag[16])
{
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  int outl = 0, finl = 0;

  g_assert_cmpint (EVP_EncryptInit_ex (ctx, EVP_aes_256_gcm (), NULL, key, nonce), ==, 1);
  g_assert_cmpint (EVP_EncryptUpdate (ctx, out, &outl, plain, (int) len), ==, 1);
  g_assert_cmpint (EVP_EncryptFinal_ex (ctx, out + outl, &finl), ==, 1);
  g_assert_cmpint (EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_GET_TAG, 16, tag), ==, 1);
  EVP_CIPHER_CTX_free (ctx);
}

static char *
password_slot (const VaultSpec *spec,
               const char      *pass,
               const guint8     master[32])
{
  guint8 salt[32], kek[32], nonce[12], wrapped[32], tag[16];
  g_autofree char *salt_hex = NULL, *key_hex = NULL, *nonce_hex = NULL, *tag_hex = NULL;

  g_assert_cmpint (RAND_bytes (salt, sizeof salt), ==, 1);
  g_assert_cmpint (RAND_bytes (nonce, sizeof nonce), ==, 1);
  if (spec->n == cheap.n && spec->r == cheap.r && spec->p == cheap.p)
    g_assert_cmpint (EVP_PBE_scrypt (pass, strlen (pass), salt, sizeof salt, spec->n,
                                     spec->r, spec->p, 0, kek, sizeof kek), ==, 1);
  else
    memset (kek, 0, sizeof kek); /* costs the reader must refuse before deriving */
  gcm_encrypt (kek, nonce, master, 32, wrapped, tag);
  salt_hex = hex (salt, sizeof salt);
  key_hex = hex (wrapped, sizeof wrapped);
  nonce_hex = hex (nonce, sizeof nonce);
  tag_hex = hex (tag, sizeof tag);
  return g_strdup_printf ("{\"type\":1,\"uuid\":\"x\",\"key\":\"%s\",\"key_params\":"
                          "{\"nonce\":\"%s\",\"tag\":\"%s\"},\"n\":%" G_GUINT64_FORMAT ","
                          "\"r\":%" G_GUINT64_FORMAT ",\"p\":%" G_GUINT64_FORMAT ","
                          "\"salt\":\"%s\",\"repaired\":true,\"is_backup\":false}",
                          key_hex, nonce_hex, tag_hex, spec->n, spec->r, spec->p, salt_hex);
}

/* One password slot: its costs and the password it opens with. */
typedef struct
{
  VaultSpec   spec;
  const char *pass;
} SlotSpec;

/* Password slots for @slots, comma-separated. */
static char *
password_slots (const SlotSpec *slots,
                gsize           n_slots,
                const guint8    master[32])
{
  GString *out = g_string_new (NULL);

  for (gsize i = 0; i < n_slots; i++)
    {
      g_autofree char *slot = password_slot (&slots[i].spec, slots[i].pass, master);

      g_string_append_printf (out, "%s%s", i > 0 ? "," : "", slot);
    }
  return g_string_free (out, FALSE);
}

static GBytes *
encrypted_vault_with_slots (const VaultSpec *spec,
                            const SlotSpec  *slots,
                            gsize            n_slots)
{
  g_autofree char *content = g_strdup_printf ("{\"version\":2,\"entries\":%s}", plain_entries);
  gsize len = strlen (content);
  g_autofree guint8 *sealed = g_malloc (len);
  guint8 master[32], nonce[12], tag[16];
  g_autofree char *slot = NULL, *db = NULL, *nonce_hex = NULL, *tag_hex = NULL;

  g_assert_cmpint (RAND_bytes (master, sizeof master), ==, 1);
  g_assert_cmpint (RAND_bytes (nonce, sizeof nonce), ==, 1);
  gcm_encrypt (master, nonce, (const guint8 *) content, len, sealed, tag);
  if (spec->corrupt_db_tag)
    tag[0] ^= 0x01;
  slot = password_slots (slots, n_slots, master);
  db = g_base64_encode (sealed, len);
  nonce_hex = hex (nonce, sizeof nonce);
  tag_hex = hex (tag, sizeof tag);
  /* A biometric slot first: it cannot be used here and must be skipped. */
  return bytes_take (g_strdup_printf (
    "{\"version\":1,\"header\":{\"slots\":[{\"type\":2,\"uuid\":\"b\",\"key\":\"%s\","
    "\"key_params\":{\"nonce\":\"%s\",\"tag\":\"%s\"}},%s],"
    "\"params\":{\"nonce\":\"%s\",\"tag\":\"%s\"}},\"db\":\"%s\"}",
    tag_hex, nonce_hex, tag_hex, slot, nonce_hex, tag_hex, db));
}

static GBytes *
encrypted_vault (const VaultSpec *spec)
{
  SlotSpec slot = { *spec, password };

  return encrypted_vault_with_slots (spec, &slot, 1);
}

static void
test_encrypted (void)
{
  g_autoptr (GBytes) data = encrypted_vault (&cheap);
  g_autoptr (EntsecImportResult) result = NULL;
  gboolean encrypted = FALSE;

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  g_test_skip ("scrypt costs are clamped in fuzz builds");
  return;
#endif
  result = import_ok (data, password);
  assert_plain_entries (result);
  g_assert_true (entsec_aegis_is_encrypted (data, &encrypted, NULL));
  g_assert_true (encrypted);
}

static void
test_wrong_password (void)
{
  g_autoptr (GBytes) data = encrypted_vault (&cheap);
  g_autoptr (GError) wrong = import_fails (data, "Aegis passwort");
  g_autoptr (GError) missing = import_fails (data, NULL);

  g_assert_error (wrong, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_PASSPHRASE);
  g_assert_error (missing, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_PASSPHRASE_REQUIRED);
}

static void
test_damaged_contents (void)
{
  VaultSpec spec = cheap;
  g_autoptr (GBytes) data = NULL;
  g_autoptr (GError) error = NULL;

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  g_test_skip ("scrypt costs are clamped in fuzz builds");
  return;
#endif
  spec.corrupt_db_tag = TRUE;
  data = encrypted_vault (&spec);
  error = import_fails (data, password);
  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_CORRUPT);
}

static void
assert_costs_rejected (guint64 n,
                       guint64 r,
                       guint64 p)
{
  VaultSpec spec = { n, r, p, FALSE };
  g_autoptr (GBytes) data = encrypted_vault (&spec);
  g_autoptr (GError) error = import_fails (data, password);

  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_FORMAT);
}

static void
test_scrypt_bounds (void)
{
  /* 2^30 * 8 * 128 bytes = 1 TiB: refused before scrypt would try to allocate it. */
  assert_costs_rejected (G_GUINT64_CONSTANT (1) << 30, 8, 1);
  assert_costs_rejected (G_GUINT64_CONSTANT (1) << 20, 16, 1);
  assert_costs_rejected (1000, 8, 1);
  assert_costs_rejected (1, 8, 1);
  assert_costs_rejected (1024, 0, 1);
  assert_costs_rejected (1024, 8, 0);
  assert_costs_rejected (1024, 8, 1000);
}

/* Up to 4 password slots are tried; a fifth is refused before any key is derived. */
static void
test_password_slot_count (void)
{
  SlotSpec slots[5];
  g_autoptr (GBytes) four = NULL;
  g_autoptr (GBytes) five = NULL;
  g_autoptr (EntsecImportResult) result = NULL;
  g_autoptr (GError) error = NULL;

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  g_test_skip ("scrypt costs are clamped in fuzz builds");
  return;
#endif
  for (gsize i = 0; i < G_N_ELEMENTS (slots); i++)
    slots[i] = (SlotSpec) { cheap, "another password" };
  /* The right password in the last slot tried. */
  slots[3].pass = password;
  four = encrypted_vault_with_slots (&cheap, slots, 4);
  result = import_ok (four, password);
  assert_plain_entries (result);
  slots[3].pass = "another password";
  slots[4].pass = password;
  five = encrypted_vault_with_slots (&cheap, slots, 5);
  error = import_fails (five, password);
  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_LIMIT);
  g_assert_nonnull (strstr (error->message, "more than 4 password slots"));
}

/* Slots each within bounds but costly together: refused before scrypt runs at all. */
static void
test_password_slots_total_work (void)
{
  /* N 2^17, r 8, p 16: 128 MiB, work 2^24, the most one slot may ask for. */
  const VaultSpec costly = { G_GUINT64_CONSTANT (1) << 17, 8, 16, FALSE };
  const SlotSpec slots[] = { { costly, password }, { costly, password } };
  g_autoptr (GBytes) data = encrypted_vault_with_slots (&cheap, slots, G_N_ELEMENTS (slots));
  g_autoptr (GError) error = import_fails (data, password);

  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_LIMIT);
  g_assert_nonnull (strstr (error->message, "2^24 in all"));
}

/* Names from the file reach the messages with escapes and bidi overrides made harmless. */
static void
test_hostile_entry_names (void)
{
  static const char text[] =
    "{\"version\":1,\"header\":{\"slots\":null,\"params\":null},\"db\":{\"version\":2,"
    "\"entries\":["
    "{\"type\":\"totp\",\"name\":\"\\u001b[31mEVIL\\u001b[0m\",\"issuer\":\"Bank\\u202egnp\","
    " \"info\":{\"secret\":\"JBSWY3DPEHPK3PXP\",\"algo\":\"SHA1\",\"digits\":6,\"period\":30}},"
    "{\"type\":\"\\u001b]0;title\\u0007\",\"name\":\"n\",\"issuer\":\"\","
    " \"info\":{\"secret\":\"JBSWY3DPEHPK3PXP\",\"algo\":\"SHA1\",\"digits\":6,\"period\":30}}"
    "]}}";
  g_autoptr (GBytes) data = g_bytes_new_static (text, strlen (text));
  g_autoptr (EntsecImportResult) result = import_ok (data, NULL);
  const GError *first, *second;

  g_assert_cmpuint (result->accounts->len, ==, 0);
  g_assert_cmpuint (result->errors->len, ==, 2);
  first = g_ptr_array_index (result->errors, 0);
  second = g_ptr_array_index (result->errors, 1);
  g_test_message ("%s", first->message);
  g_test_message ("%s", second->message);
  g_assert_true (g_str_has_prefix (first->message,
                                   "Entry 1 (Bank\uFFFDgnp, \\x1B[31mEVIL\\x1B[0m): "));
  for (guint i = 0; i < result->errors->len; i++)
    {
      const char *message = ((GError *) g_ptr_array_index (result->errors, i))->message;

      g_assert_null (strchr (message, '\x1b'));
      g_assert_null (strchr (message, '\x07'));
      g_assert_null (strstr (message, "\u202e"));
    }
  g_assert_nonnull (strstr (second->message, "the type \u201c\\x1B]0;title\\x07\u201d"));
}

static void
test_every_byte_of_plain_truncated (void)
{
  g_autofree char *text = plain_vault ();
  gsize len = strlen (text);

  for (gsize cut = 0; cut < len; cut++)
    {
      g_autoptr (GBytes) part = g_bytes_new (text, cut);
      g_autoptr (GError) error = NULL;
      EntsecImportResult *result = entsec_aegis_import_sync (part, NULL, 0, NULL, &error);

      g_assert_null (result);
      g_assert_nonnull (error);
    }
}

static void
test_bad_files (void)
{
  static const struct
  {
    const char *text;
    int code;
  } cases[] = {
    { "not json", ENTSEC_BACKUP_ERROR_FORMAT },
    { "[]", ENTSEC_BACKUP_ERROR_FORMAT },
    { "{\"version\":1}", ENTSEC_BACKUP_ERROR_FORMAT },
    { "{\"version\":2,\"header\":{\"slots\":null},\"db\":{}}", ENTSEC_BACKUP_ERROR_VERSION },
    { "{\"version\":1,\"header\":{\"slots\":null},\"db\":{\"entries\":{}}}",
      ENTSEC_BACKUP_ERROR_FORMAT },
    { "{\"version\":1,\"header\":{\"slots\":null},\"db\":\"c2VjcmV0\"}",
      ENTSEC_BACKUP_ERROR_FORMAT },
    { "{\"version\":1,\"header\":{\"slots\":[]},\"db\":\"c2VjcmV0\"}",
      ENTSEC_BACKUP_ERROR_FORMAT },
    { "{\"version\":1,\"header\":{\"slots\":[{\"type\":1,\"n\":1024,\"r\":8,\"p\":1,"
      "\"salt\":\"zz\",\"key\":\"00\"}]},\"db\":\"\"}", ENTSEC_BACKUP_ERROR_FORMAT },
    { "{\"version\":1,\"version\":1,\"header\":{},\"db\":{}}", ENTSEC_BACKUP_ERROR_FORMAT },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GBytes) data = g_bytes_new_static (cases[i].text, strlen (cases[i].text));
      g_autoptr (GError) error = import_fails (data, password);

      g_assert_error (error, ENTSEC_BACKUP_ERROR, cases[i].code);
    }
}

static void
test_deep_nesting (void)
{
  g_autoptr (GString) text = g_string_new ("{\"version\":1,\"header\":{\"slots\":null},\"db\":");
  g_autoptr (GBytes) data = NULL;
  g_autoptr (GError) error = NULL;

  for (int i = 0; i < 5000; i++)
    g_string_append (text, "{\"a\":");
  data = g_string_free_to_bytes (g_steal_pointer (&text));
  error = import_fails (data, NULL);
  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_LIMIT);
}

static void
test_too_many_entries (void)
{
  g_autoptr (GString) text = g_string_new ("{\"version\":1,\"header\":{\"slots\":null},"
                                           "\"db\":{\"version\":2,\"entries\":[");
  g_autoptr (GBytes) data = NULL;
  g_autoptr (GError) error = NULL;

  for (int i = 0; i <= ENTSEC_IMPORT_MAX_ENTRIES; i++)
    g_string_append (text, i == 0 ? "{}" : ",{}");
  g_string_append (text, "]}}");
  data = g_string_free_to_bytes (g_steal_pointer (&text));
  error = import_fails (data, NULL);
  g_assert_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_LIMIT);
}

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static void
test_async (void)
{
  g_autoptr (GBytes) data = bytes_take (plain_vault ());
  g_autoptr (EntsecImportResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *done = NULL;

  entsec_aegis_import_async (data, NULL, 0, NULL, store_result, &done);
  while (done == NULL)
    g_main_context_iteration (NULL, TRUE);
  result = entsec_aegis_import_finish (done, &error);
  g_assert_no_error (error);
  assert_plain_entries (result);
  g_object_unref (done);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/aegis/plain", test_plain);
  g_test_add_func ("/aegis/groups", test_groups);
  g_test_add_func ("/aegis/encrypted", test_encrypted);
  g_test_add_func ("/aegis/wrong-password", test_wrong_password);
  g_test_add_func ("/aegis/damaged-contents", test_damaged_contents);
  g_test_add_func ("/aegis/scrypt-bounds", test_scrypt_bounds);
  g_test_add_func ("/aegis/password-slot-count", test_password_slot_count);
  g_test_add_func ("/aegis/password-slots-total-work", test_password_slots_total_work);
  g_test_add_func ("/aegis/hostile-entry-names", test_hostile_entry_names);
  g_test_add_func ("/aegis/truncated", test_every_byte_of_plain_truncated);
  g_test_add_func ("/aegis/bad-files", test_bad_files);
  g_test_add_func ("/aegis/deep-nesting", test_deep_nesting);
  g_test_add_func ("/aegis/too-many-entries", test_too_many_entries);
  g_test_add_func ("/aegis/async", test_async);
  return g_test_run ();
}
