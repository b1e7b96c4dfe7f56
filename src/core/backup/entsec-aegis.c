/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-aegis.c: import of Aegis vault exports, plain or encrypted.
 * Format (Aegis docs/vault.md): {"version":1, "header":{"slots", "params"},
 * "db"}. Encrypted: password slots (type 1) hold the master key wrapped
 * with AES-256-GCM under scrypt(password); "db" is Base64 of the content
 * encrypted with the master key, its nonce and tag in header.params.
 * Groups: an entry's "group" name (older exports) or its first "groups"
 * uuid, named in the content's "groups" list (newer exports).
 */

#define G_LOG_DOMAIN "entsec-backup"

#include "config.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "backup-private.h"
#include "entsec-crypto.h"

#define AEGIS_VERSION 1
#define AEGIS_SLOT_PASSWORD 1
#define MAX_SLOTS 64
#define MAX_GROUPS 1000
/* Longest name or type quoted in an error message, in characters. */
#define MAX_SHOWN_NAME 40
/* scrypt bounds: memory 128 * N * r at most 1 GiB, work N * r * p at most 2^24. */
#define SCRYPT_MAX_LOG2_N 20
#define SCRYPT_MAX_R 32
#define SCRYPT_MAX_P 16
#define SCRYPT_MAX_MEMORY (G_GUINT64_CONSTANT (1) << 30)
#define SCRYPT_MAX_WORK (G_GUINT64_CONSTANT (1) << 24)
/* Per import: Aegis makes one slot per password at N 2^15, r 8, p 1 (work 2^18). */
#define MAX_PASSWORD_SLOTS 4
#define SCRYPT_MAX_TOTAL_WORK (G_GUINT64_CONSTANT (1) << 24)
#define SALT_MIN 8
#define SALT_MAX 64

typedef struct
{
  guint64 n;
  guint64 r;
  guint64 p;
  guint8  salt[SALT_MAX];
  gsize   salt_len;
  guint8  sealed_key[ENTSEC_AEAD_KEY_SIZE + ENTSEC_AEAD_OVERHEAD];
} PasswordSlot;

static gboolean
format_error (GError    **error,
              const char *detail)
{
  g_set_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_FORMAT,
               "This is not a usable Aegis export: %s", detail);
  return FALSE;
}

/* Decode @text as exactly @min..@max bytes of hex into @out. */
static gboolean
hex_decode (const char *text,
            guint8     *out,
            gsize       min,
            gsize       max,
            gsize      *out_len)
{
  gsize len = text != NULL ? strlen (text) : 0;

  if (len % 2 != 0 || len / 2 < min || len / 2 > max)
    return FALSE;
  for (gsize i = 0; i < len / 2; i++)
    {
      int hi = g_ascii_xdigit_value (text[2 * i]);
      int lo = g_ascii_xdigit_value (text[2 * i + 1]);

      if (hi < 0 || lo < 0)
        return FALSE;
      out[i] = (guint8) (hi << 4 | lo);
    }
  if (out_len != NULL)
    *out_len = len / 2;
  return TRUE;
}

/* nonce || tag from a {"nonce", "tag"} object into @sealed's first and last bytes. */
static gboolean
read_nonce_tag (json_t *params,
                guint8 *sealed,
                gsize   sealed_len)
{
  const char *nonce = json_string_value (json_object_get (params, "nonce"));
  const char *tag = json_string_value (json_object_get (params, "tag"));

  return hex_decode (nonce, sealed, ENTSEC_AEAD_NONCE_SIZE, ENTSEC_AEAD_NONCE_SIZE, NULL)
         && hex_decode (tag, sealed + sealed_len - ENTSEC_AEAD_TAG_SIZE, ENTSEC_AEAD_TAG_SIZE,
                        ENTSEC_AEAD_TAG_SIZE, NULL);
}

static gboolean
scrypt_costs_ok (const PasswordSlot *slot)
{
  if (slot->n < 2 || slot->n > (G_GUINT64_CONSTANT (1) << SCRYPT_MAX_LOG2_N)
      || (slot->n & (slot->n - 1)) != 0)
    return FALSE;
  if (slot->r < 1 || slot->r > SCRYPT_MAX_R || slot->p < 1 || slot->p > SCRYPT_MAX_P)
    return FALSE;
  return 128 * slot->n * slot->r <= SCRYPT_MAX_MEMORY
         && slot->n * slot->r * slot->p <= SCRYPT_MAX_WORK;
}

static gboolean
read_slot (json_t       *json,
           PasswordSlot *slot,
           GError      **error)
{
  json_int_t n = json_integer_value (json_object_get (json, "n"));
  json_int_t r = json_integer_value (json_object_get (json, "r"));
  json_int_t p = json_integer_value (json_object_get (json, "p"));
  const char *salt = json_string_value (json_object_get (json, "salt"));
  const char *key = json_string_value (json_object_get (json, "key"));

  slot->n = n > 0 ? (guint64) n : 0;
  slot->r = r > 0 ? (guint64) r : 0;
  slot->p = p > 0 ? (guint64) p : 0;
  if (!scrypt_costs_ok (slot))
    return format_error (error, "a password slot asks for scrypt costs out of range "
                                "(N a power of two up to 2^20, r up to 32, p up to 16, "
                                "at most 1 GiB)");
  if (!hex_decode (salt, slot->salt, SALT_MIN, SALT_MAX, &slot->salt_len)
      || !hex_decode (key, slot->sealed_key + ENTSEC_AEAD_NONCE_SIZE, ENTSEC_AEAD_KEY_SIZE,
                      ENTSEC_AEAD_KEY_SIZE, NULL)
      || !read_nonce_tag (json_object_get (json, "key_params"), slot->sealed_key,
                          sizeof slot->sealed_key))
    return format_error (error, "a password slot has a malformed salt, key or nonce");
  return TRUE;
}

static gboolean
derive_scrypt (const PasswordSlot *slot,
               const char         *password,
               gsize               password_len,
               guint8              key[ENTSEC_AEAD_KEY_SIZE])
{
  guint64 n = slot->n;
  guint64 r = slot->r;
  guint64 p = slot->p;

#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  /* The bounds were checked above; fuzzers just must not spend 1 GiB per input. */
  n = 2;
  r = 1;
  p = 1;
#endif
  return EVP_PBE_scrypt (password, password_len, slot->salt, slot->salt_len, n, r, p,
                         SCRYPT_MAX_MEMORY + 1024 * 1024, key, ENTSEC_AEAD_KEY_SIZE) == 1;
}

/* Try @password on one slot; NULL when it does not fit. */
static EntsecSecureBytes *
try_slot (const PasswordSlot *slot,
          const char         *password,
          gsize               password_len)
{
  g_autoptr (EntsecSecureBytes) kek = entsec_secure_bytes_new (ENTSEC_AEAD_KEY_SIZE);

  if (!derive_scrypt (slot, password, password_len, kek->data))
    return NULL;
  return entsec_aead_open (kek->data, NULL, 0, slot->sealed_key, sizeof slot->sealed_key, NULL);
}

static gboolean
limit_error (GError    **error,
             const char *detail)
{
  g_set_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_LIMIT,
               "This Aegis export cannot be opened: %s", detail);
  return FALSE;
}

/*
 * Read every password slot before deriving any key: a hostile file must
 * not make the import run scrypt dozens of times. At most
 * MAX_PASSWORD_SLOTS are accepted, with SCRYPT_MAX_TOTAL_WORK in all.
 */
static gboolean
read_password_slots (json_t       *slots,
                     PasswordSlot  out[MAX_PASSWORD_SLOTS],
                     guint        *n_out,
                     GError      **error)
{
  json_t *json;
  gsize i;
  guint n = 0;
  guint64 work = 0;

  if (json_array_size (slots) > MAX_SLOTS)
    return format_error (error, "it has too many key slots");
  json_array_foreach (slots, i, json)
    {
      if (json_integer_value (json_object_get (json, "type")) != AEGIS_SLOT_PASSWORD)
        continue;
      if (n == MAX_PASSWORD_SLOTS)
        return limit_error (error, "it has more than 4 password slots, and at most 4 are "
                                   "tried (Aegis itself makes one per password)");
      if (!read_slot (json, &out[n], error))
        return FALSE;
      work += out[n].n * out[n].r * out[n].p;
      n++;
    }
  if (work > SCRYPT_MAX_TOTAL_WORK)
    return limit_error (error, "its password slots together ask for more key derivation "
                               "work (scrypt N × r × p) than one import may take, 2^24 in all");
  *n_out = n;
  return TRUE;
}

static EntsecSecureBytes *
unlock_master_key (json_t     *slots,
                   const char *password,
                   gsize       password_len,
                   GError    **error)
{
  PasswordSlot slot[MAX_PASSWORD_SLOTS] = { 0 };
  guint tried = 0;

  if (!read_password_slots (slots, slot, &tried, error))
    return NULL;
  for (guint i = 0; i < tried; i++)
    {
      EntsecSecureBytes *key = try_slot (&slot[i], password, password_len);

      if (key != NULL && key->len == ENTSEC_AEAD_KEY_SIZE)
        return key;
      entsec_secure_bytes_free (key);
    }
  if (tried == 0)
    format_error (error, "it has no password slot (biometric slots cannot be used here)");
  else
    g_set_error_literal (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_PASSPHRASE,
                         "Wrong password for this Aegis export");
  return NULL;
}

static EntsecSecureBytes *
decrypt_db (json_t                  *root,
            const EntsecSecureBytes *key,
            GError                 **error)
{
  const char *db = json_string_value (json_object_get (root, "db"));
  json_t *params = json_object_get (json_object_get (root, "header"), "params");
  g_autofree guint8 *sealed = NULL;
  g_autofree guint8 *ciphertext = NULL;
  EntsecSecureBytes *content;
  gsize len = 0;

  ciphertext = g_base64_decode (db, &len);
  sealed = g_malloc (len + ENTSEC_AEAD_OVERHEAD);
  memcpy (sealed + ENTSEC_AEAD_NONCE_SIZE, ciphertext, len);
  if (!read_nonce_tag (params, sealed, len + ENTSEC_AEAD_OVERHEAD))
    {
      format_error (error, "the nonce or tag of its contents is malformed");
      return NULL;
    }
  content = entsec_aead_open (key->data, NULL, 0, sealed, len + ENTSEC_AEAD_OVERHEAD, NULL);
  if (content == NULL)
    g_set_error_literal (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_CORRUPT,
                         "The password is right but the export's contents are damaged");
  return content;
}

/* ---- Entries -------------------------------------------------------------- */

static gboolean
entry_error (GError    **error,
             const char *detail)
{
  g_set_error_literal (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_ENTRY, detail);
  return FALSE;
}

static gboolean
read_entry_type (json_t        *entry,
                 EntsecAccount *account,
                 GError       **error)
{
  const char *type = json_string_value (json_object_get (entry, "type"));

  if (g_strcmp0 (type, "totp") == 0)
    account->type = ENTSEC_ACCOUNT_TOTP;
  else if (g_strcmp0 (type, "hotp") == 0)
    account->type = ENTSEC_ACCOUNT_HOTP;
  else if (g_strcmp0 (type, "steam") == 0)
    {
      account->type = ENTSEC_ACCOUNT_STEAM;
      account->digits = ENTSEC_STEAM_DIGITS;
    }
  else
    {
      g_autofree char *shown = entsec_dup_printable (type != NULL ? type : "?", -1,
                                                     MAX_SHOWN_NAME);

      g_set_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_ENTRY,
                   "the type \u201c%s\u201d is not supported (only totp, hotp and steam)",
                   shown);
      return FALSE;
    }
  return TRUE;
}

static gboolean
read_entry_texts (json_t        *entry,
                  EntsecAccount *account,
                  GError       **error)
{
  const char *name = NULL, *issuer = NULL, *note = NULL;
  json_t *favorite = json_object_get (entry, "favorite");

  if (!backup_json_get_string (entry, "name", &name, error)
      || !backup_json_get_string (entry, "issuer", &issuer, error)
      || !backup_json_get_string (entry, "note", &note, error))
    return FALSE;
  /* Aegis allows an empty name; the issuer then names the account. */
  if (name == NULL || name[0] == '\0')
    name = issuer != NULL ? issuer : "";
  g_free (account->label);
  account->label = g_strdup (name);
  account->issuer = issuer != NULL && issuer[0] != '\0' ? g_strdup (issuer) : NULL;
  account->notes = note != NULL && note[0] != '\0' ? g_strdup (note) : NULL;
  account->favourite = json_is_true (favorite);
  return TRUE;
}

static gboolean
read_entry_info (json_t        *info,
                 EntsecAccount *account,
                 GError       **error)
{
  const char *secret = NULL, *algo = NULL;
  json_int_t digits = account->digits, period = account->period, counter = 0;
  g_autofree guint8 *key = NULL;
  gsize key_len = 0;

  if (!json_is_object (info))
    return entry_error (error, "it has no \"info\" object");
  if (!backup_json_get_string (info, "secret", &secret, error)
      || !backup_json_get_string (info, "algo", &algo, error)
      || !backup_json_get_int (info, "digits", &digits, error)
      || !backup_json_get_int (info, "period", &period, error)
      || !backup_json_get_int (info, "counter", &counter, error))
    return FALSE;
  if (algo != NULL && !entsec_otp_algorithm_from_string (algo, &account->algorithm))
    return entry_error (error, "its algorithm is not SHA1, SHA256 or SHA512");
  if (digits < 0 || digits > G_MAXINT || period < 0 || period > G_MAXINT || counter < 0)
    return entry_error (error, "its digits, period or counter are out of range");
  if (account->type != ENTSEC_ACCOUNT_STEAM)
    account->digits = (guint) digits;
  account->period = (guint) period;
  account->counter = (guint64) counter;
  key = entsec_base32_decode (secret != NULL ? secret : "", &key_len, error);
  if (key == NULL)
    return FALSE;
  entsec_account_set_secret (account, key, key_len);
  OPENSSL_cleanse (key, key_len);
  return TRUE;
}

/* "group" (older exports), or the name of the entry's first "groups" uuid (newer). */
static const char *
entry_group (json_t *entry,
             json_t *groups)
{
  const char *group = json_string_value (json_object_get (entry, "group"));
  const char *uuid = json_string_value (json_array_get (json_object_get (entry, "groups"), 0));
  json_t *item;
  gsize i;

  if (group != NULL && group[0] != '\0')
    return group;
  if (uuid == NULL || json_array_size (groups) > MAX_GROUPS)
    return NULL;
  json_array_foreach (groups, i, item)
    {
      if (g_strcmp0 (json_string_value (json_object_get (item, "uuid")), uuid) == 0)
        return json_string_value (json_object_get (item, "name"));
    }
  return NULL;
}

static EntsecAccount *
read_entry (json_t  *entry,
            json_t  *groups,
            GError **error)
{
  g_autoptr (EntsecAccount) account = entsec_account_new ();
  const char *group;

  if (!json_is_object (entry))
    {
      entry_error (error, "it is not a JSON object");
      return NULL;
    }
  if (!read_entry_type (entry, account, error)
      || !read_entry_texts (entry, account, error)
      || !read_entry_info (json_object_get (entry, "info"), account, error))
    return NULL;
  group = entry_group (entry, groups);
  account->group = group != NULL && group[0] != '\0' ? g_strdup (group) : NULL;
  if (!entsec_account_validate (account, error))
    return NULL;
  return g_steal_pointer (&account);
}

static char *
entry_name (json_t *entry,
            gsize   index)
{
  const char *name = json_string_value (json_object_get (entry, "name"));
  const char *issuer = json_string_value (json_object_get (entry, "issuer"));
  g_autofree char *shown_name = entsec_dup_printable (name, -1, MAX_SHOWN_NAME);
  g_autofree char *shown_issuer = entsec_dup_printable (issuer, -1, MAX_SHOWN_NAME);

  /* The names come from the file: never put their raw bytes into a message. */
  if (issuer != NULL && issuer[0] != '\0' && name != NULL)
    return g_strdup_printf ("Entry %" G_GSIZE_FORMAT " (%s, %s)", index + 1, shown_issuer,
                            shown_name);
  if (name != NULL)
    return g_strdup_printf ("Entry %" G_GSIZE_FORMAT " (%s)", index + 1, shown_name);
  return g_strdup_printf ("Entry %" G_GSIZE_FORMAT, index + 1);
}

static gboolean
read_entries (json_t              *content,
              EntsecImportResult  *result,
              GError             **error)
{
  json_t *entries = json_object_get (content, "entries");
  json_t *entry;
  gsize i;

  if (!json_is_object (content) || !json_is_array (entries))
    return format_error (error, "its contents have no list of entries");
  if (json_array_size (entries) > ENTSEC_IMPORT_MAX_ENTRIES)
    {
      g_set_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_LIMIT,
                   "The export holds more than %d entries", ENTSEC_IMPORT_MAX_ENTRIES);
      return FALSE;
    }
  json_array_foreach (entries, i, entry)
    {
      g_autoptr (GError) cause = NULL;
      EntsecAccount *account = read_entry (entry, json_object_get (content, "groups"), &cause);
      g_autofree char *where = NULL;

      if (account != NULL)
        {
          g_ptr_array_add (result->accounts, account);
          continue;
        }
      where = entry_name (entry, i);
      backup_add_entry_error (result->errors, where, cause);
    }
  return TRUE;
}

/* ---- Top level ------------------------------------------------------------ */

static json_t *
load_root (GBytes  *data,
           GError **error)
{
  gsize len = 0;
  const guint8 *bytes = g_bytes_get_data (data, &len);
  json_t *root;
  json_int_t version;

  root = backup_json_load (bytes, len, ENTSEC_BACKUP_ERROR_FORMAT, "The Aegis export", error);
  if (root == NULL)
    return NULL;
  version = json_integer_value (json_object_get (root, "version"));
  if (!json_is_object (root) || !json_is_object (json_object_get (root, "header"))
      || json_object_get (root, "db") == NULL)
    format_error (error, "it lacks the version, header or db of an Aegis vault");
  else if (version != AEGIS_VERSION)
    g_set_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_VERSION,
                 "This Aegis export has version %" JSON_INTEGER_FORMAT "; only version %d "
                 "can be read", version, AEGIS_VERSION);
  else
    return root;
  json_decref (root);
  return NULL;
}

static gboolean
root_is_encrypted (json_t *root)
{
  return !json_is_null (json_object_get (json_object_get (root, "header"), "slots"));
}

gboolean
entsec_aegis_is_encrypted (GBytes   *data,
                           gboolean *encrypted,
                           GError  **error)
{
  g_autoptr (json_t) root = NULL;

  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail (encrypted != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  root = load_root (data, error);
  if (root == NULL)
    return FALSE;
  *encrypted = root_is_encrypted (root);
  backup_json_wipe (root);
  return TRUE;
}

static json_t *
load_encrypted_content (json_t     *root,
                        const char *password,
                        gsize       password_len,
                        GError    **error)
{
  json_t *slots = json_object_get (json_object_get (root, "header"), "slots");
  g_autoptr (EntsecSecureBytes) key = NULL;
  g_autoptr (EntsecSecureBytes) text = NULL;

  if (password == NULL)
    {
      g_set_error_literal (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_PASSPHRASE_REQUIRED,
                           "This Aegis export is encrypted: give its password");
      return NULL;
    }
  if (!json_is_array (slots) || !json_is_string (json_object_get (root, "db")))
    {
      format_error (error, "its key slots or encrypted contents are malformed");
      return NULL;
    }
  key = unlock_master_key (slots, password, password_len, error);
  if (key == NULL)
    return NULL;
  text = decrypt_db (root, key, error);
  if (text == NULL)
    return NULL;
  return backup_json_load (text->data, text->len, ENTSEC_BACKUP_ERROR_CORRUPT,
                           "The decrypted Aegis export", error);
}

EntsecImportResult *
entsec_aegis_import (GBytes     *data,
                     const char *password,
                     gsize       password_len,
                     GError    **error)
{
  g_autoptr (EntsecImportResult) result = backup_import_result_new ();
  g_autoptr (json_t) root = NULL;
  g_autoptr (json_t) content = NULL;
  gboolean ok;

  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (password != NULL || password_len == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  root = load_root (data, error);
  if (root == NULL)
    return NULL;
  if (root_is_encrypted (root))
    content = load_encrypted_content (root, password, password_len, error);
  else
    content = json_incref (json_object_get (root, "db"));
  ok = content != NULL && read_entries (content, result, error);
  backup_json_wipe (content);
  backup_json_wipe (root);
  return ok ? g_steal_pointer (&result) : NULL;
}
