/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-backup.c: the entsec encrypted backup file (docs/backup-format.md).
 * A random backup key encrypts the JSON body; a key derived from the
 * passphrase with Argon2id wraps the backup key; the header is the
 * associated data of both, so every header byte is authenticated.
 */

#define G_LOG_DOMAIN "entsec-backup"

#include "config.h"

#include "backup-private.h"
#include "entsec-crypto.h"

G_DEFINE_QUARK (entsec-backup-error-quark, entsec_backup_error)

#define MAGIC "ENTSECBK"
#define MAGIC_LEN 8
#define FORMAT_VERSION 1
#define KDF_ARGON2ID 1
/* magic, version, kdf, m, t, p, salt length */
#define FIXED_HEADER_LEN (MAGIC_LEN + 1 + 1 + 4 + 4 + 4 + 1)
#define WRAPPED_KEY_LEN (ENTSEC_AEAD_KEY_SIZE + ENTSEC_AEAD_OVERHEAD)
#define BODY_FORMAT "entsec-backup"

/* What the header says, after its bounds were checked. */
typedef struct
{
  EntsecArgon2Params kdf;
  gsize              prefix_len; /* bytes before the wrapped key */
  gsize              header_len; /* bytes before the body */
} BackupHeader;

static void
put_u32 (GByteArray *out,
         guint32     value)
{
  guint32 be = GUINT32_TO_BE (value);

  g_byte_array_append (out, (const guint8 *) &be, sizeof be);
}

static guint32
get_u32 (const guint8 *data)
{
  guint32 be;

  memcpy (&be, data, sizeof be);
  return GUINT32_FROM_BE (be);
}

/* Everything up to the wrapped key. */
static GByteArray *
build_header_prefix (const EntsecArgon2Params *kdf)
{
  GByteArray *out = g_byte_array_new ();
  const guint8 bytes[] = { FORMAT_VERSION, KDF_ARGON2ID };
  guint8 salt_len = (guint8) kdf->salt_len;

  g_byte_array_append (out, (const guint8 *) MAGIC, MAGIC_LEN);
  g_byte_array_append (out, bytes, sizeof bytes);
  put_u32 (out, kdf->m_cost_kib);
  put_u32 (out, kdf->t_cost);
  put_u32 (out, kdf->parallelism);
  g_byte_array_append (out, &salt_len, 1);
  g_byte_array_append (out, kdf->salt, kdf->salt_len);
  return out;
}

static gboolean
set_format_error (GError    **error,
                  const char *detail)
{
  g_set_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_FORMAT,
               "This is not a usable entsec backup: %s", detail);
  return FALSE;
}

static gboolean
check_magic_and_version (const guint8 *data,
                         gsize         len,
                         GError      **error)
{
  if (len < MAGIC_LEN || memcmp (data, MAGIC, MAGIC_LEN) != 0)
    return set_format_error (error, "it does not start with the entsec backup signature");
  if (len < FIXED_HEADER_LEN)
    return set_format_error (error, "the file is truncated");
  if (data[MAGIC_LEN] != FORMAT_VERSION)
    {
      g_set_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_VERSION,
                   "This backup uses format version %u; this version of entsec reads "
                   "version %u. Update entsec to restore it.", data[MAGIC_LEN], FORMAT_VERSION);
      return FALSE;
    }
  if (data[MAGIC_LEN + 1] != KDF_ARGON2ID)
    return set_format_error (error, "it names an unknown key derivation");
  return TRUE;
}

/* Bounds-check everything the header says before anything is derived or allocated. */
static gboolean
parse_header (const guint8 *data,
              gsize         len,
              BackupHeader *header,
              GError      **error)
{
  g_autoptr (GError) kdf_error = NULL;
  const guint8 *p;

  if (!check_magic_and_version (data, len, error))
    return FALSE;
  p = data + MAGIC_LEN + 2;
  memset (header, 0, sizeof *header);
  header->kdf.m_cost_kib = get_u32 (p);
  header->kdf.t_cost = get_u32 (p + 4);
  header->kdf.parallelism = get_u32 (p + 8);
  header->kdf.salt_len = p[12];
  if (header->kdf.salt_len > ENTSEC_ARGON2_MAX_SALT_SIZE
      || !entsec_argon2id_params_check (&header->kdf, &kdf_error))
    return set_format_error (error, kdf_error != NULL ? kdf_error->message
                                                      : "the salt length is out of range");
  header->prefix_len = FIXED_HEADER_LEN + header->kdf.salt_len;
  header->header_len = header->prefix_len + WRAPPED_KEY_LEN;
  if (len < header->header_len + ENTSEC_AEAD_OVERHEAD)
    return set_format_error (error, "the file is truncated");
  memcpy (header->kdf.salt, data + FIXED_HEADER_LEN, header->kdf.salt_len);
  return TRUE;
}

static gboolean
crypto_error (GError **error,
              GError  *cause)
{
  g_set_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_FAILED, "%s", cause->message);
  g_error_free (cause);
  return FALSE;
}

static EntsecSecureBytes *
derive_kek (const EntsecArgon2Params *kdf,
            const char               *passphrase,
            gsize                     passphrase_len,
            GError                  **error)
{
  g_autoptr (EntsecSecureBytes) kek = entsec_secure_bytes_new (ENTSEC_AEAD_KEY_SIZE);
  GError *cause = NULL;

  if (!entsec_argon2id_derive (kdf, passphrase, passphrase_len, kek->data, kek->len, &cause))
    {
      crypto_error (error, cause);
      return NULL;
    }
  return g_steal_pointer (&kek);
}

/* ---- Body (JSON) ---------------------------------------------------------- */

static json_t *
build_body (GPtrArray *accounts,
            GError   **error)
{
  g_autoptr (json_t) list = NULL;

  backup_json_init ();
  list = json_array ();
  for (guint i = 0; i < accounts->len; i++)
    {
      const EntsecAccount *account = g_ptr_array_index (accounts, i);
      g_autoptr (GError) cause = NULL;
      g_autofree char *name = NULL;

      if (!entsec_account_validate (account, &cause))
        {
          g_autofree char *display = entsec_account_dup_display_name (account);

          /* An invalid name may be why it fails: show it made safe. */
          name = entsec_dup_printable (display, -1, 80);
          g_set_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_ENTRY,
                       "Account %u (%s) cannot be backed up: %s", i + 1, name, cause->message);
          backup_json_wipe (list);
          return NULL;
        }
      json_array_append_new (list, backup_account_to_json (account));
    }
  return json_pack ("{s:s, s:i, s:o}", "format", BODY_FORMAT, "version", FORMAT_VERSION,
                    "accounts", g_steal_pointer (&list));
}

static EntsecSecureBytes *
dump_body (json_t *body)
{
  gsize size = json_dumpb (body, NULL, 0, JSON_COMPACT);
  EntsecSecureBytes *text = entsec_secure_bytes_new (size);

  json_dumpb (body, (char *) text->data, size, JSON_COMPACT);
  backup_json_wipe (body);
  return text;
}

static gboolean
read_body_entries (json_t     *list,
                   GPtrArray  *accounts,
                   GError    **error)
{
  json_t *entry;
  gsize i;

  if (json_array_size (list) > ENTSEC_IMPORT_MAX_ENTRIES)
    {
      g_set_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_LIMIT,
                   "The backup holds more than %d accounts", ENTSEC_IMPORT_MAX_ENTRIES);
      return FALSE;
    }
  json_array_foreach (list, i, entry)
    {
      g_autoptr (GError) cause = NULL;
      EntsecAccount *account = backup_account_from_json (entry, &cause);

      if (account == NULL)
        {
          g_set_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_CORRUPT,
                       "Account %" G_GSIZE_FORMAT " in the backup is invalid: %s", i + 1,
                       cause->message);
          return FALSE;
        }
      g_ptr_array_add (accounts, account);
    }
  return TRUE;
}

static GPtrArray *
parse_body (const EntsecSecureBytes *text,
            GError                 **error)
{
  g_autoptr (GPtrArray) accounts = NULL;
  json_t *body;
  json_t *list;
  const char *format = NULL;
  gboolean ok;

  body = backup_json_load (text->data, text->len, ENTSEC_BACKUP_ERROR_CORRUPT,
                           "The decrypted backup", error);
  if (body == NULL)
    return NULL;
  list = json_object_get (body, "accounts");
  ok = backup_json_get_string (body, "format", &format, NULL)
       && g_strcmp0 (format, BODY_FORMAT) == 0 && json_is_array (list);
  if (!ok)
    g_set_error_literal (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_CORRUPT,
                         "The backup's contents are not a list of accounts");
  accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  ok = ok && read_body_entries (list, accounts, error);
  backup_json_wipe (body);
  json_decref (body);
  return ok ? g_steal_pointer (&accounts) : NULL;
}

/* ---- Export --------------------------------------------------------------- */

static gboolean
init_kdf (const EntsecKdfParams *costs,
          EntsecArgon2Params    *kdf,
          GError               **error)
{
  GError *cause = NULL;

  if (!entsec_argon2id_params_init (kdf, &cause))
    return crypto_error (error, cause);
  if (costs != NULL)
    {
      kdf->m_cost_kib = costs->memory_kib;
      kdf->t_cost = costs->iterations;
      kdf->parallelism = costs->parallelism;
    }
  if (!entsec_argon2id_params_check (kdf, &cause))
    return crypto_error (error, cause);
  return TRUE;
}

/* Append the wrapped backup key and the sealed body to @file (the prefix). */
static gboolean
seal_into (GByteArray              *file,
           const EntsecSecureBytes *kek,
           const EntsecSecureBytes *text,
           GError                 **error)
{
  g_autoptr (EntsecSecureBytes) key = entsec_secure_bytes_new (ENTSEC_AEAD_KEY_SIZE);
  g_autoptr (GBytes) wrapped = NULL;
  g_autoptr (GBytes) sealed = NULL;
  GError *cause = NULL;

  if (!entsec_random_bytes (key->data, key->len, &cause))
    return crypto_error (error, cause);
  wrapped = entsec_aead_seal (kek->data, file->data, file->len, key->data, key->len, &cause);
  if (wrapped == NULL)
    return crypto_error (error, cause);
  g_byte_array_append (file, g_bytes_get_data (wrapped, NULL), g_bytes_get_size (wrapped));
  sealed = entsec_aead_seal (key->data, file->data, file->len, text->data, text->len, &cause);
  if (sealed == NULL)
    return crypto_error (error, cause);
  g_byte_array_append (file, g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed));
  return TRUE;
}

gboolean
entsec_backup_export_sync (GPtrArray             *accounts,
                           const char            *passphrase,
                           gsize                  passphrase_len,
                           const EntsecKdfParams *kdf,
                           GBytes               **out,
                           GCancellable          *cancellable,
                           GError               **error)
{
  g_autoptr (EntsecSecureBytes) text = NULL;
  g_autoptr (EntsecSecureBytes) kek = NULL;
  g_autoptr (GByteArray) file = NULL;
  EntsecArgon2Params params;
  json_t *body;

  g_return_val_if_fail (accounts != NULL, FALSE);
  g_return_val_if_fail (passphrase != NULL || passphrase_len == 0, FALSE);
  g_return_val_if_fail (out != NULL && *out == NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (!init_kdf (kdf, &params, error))
    return FALSE;
  body = build_body (accounts, error);
  if (body == NULL)
    return FALSE;
  text = dump_body (body);
  json_decref (body);
  kek = derive_kek (&params, passphrase, passphrase_len, error);
  if (kek == NULL)
    return FALSE;
  file = build_header_prefix (&params);
  if (!seal_into (file, kek, text, error))
    return FALSE;
  *out = g_byte_array_free_to_bytes (g_steal_pointer (&file));
  return TRUE;
}

/* ---- Import --------------------------------------------------------------- */

static EntsecSecureBytes *
unwrap_key (const guint8       *data,
            const BackupHeader *header,
            const char         *passphrase,
            gsize               passphrase_len,
            GError            **error)
{
  g_autoptr (EntsecSecureBytes) kek = NULL;
  EntsecSecureBytes *key;

  kek = derive_kek (&header->kdf, passphrase, passphrase_len, error);
  if (kek == NULL)
    return NULL;
  key = entsec_aead_open (kek->data, data, header->prefix_len, data + header->prefix_len,
                          WRAPPED_KEY_LEN, NULL);
  if (key == NULL || key->len != ENTSEC_AEAD_KEY_SIZE)
    {
      entsec_secure_bytes_free (key);
      g_set_error_literal (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_PASSPHRASE,
                           "Wrong passphrase for this backup (or its header is damaged)");
      return NULL;
    }
  return key;
}

static EntsecSecureBytes *
open_body (const guint8            *data,
           gsize                    len,
           const BackupHeader      *header,
           const EntsecSecureBytes *key,
           GError                 **error)
{
  EntsecSecureBytes *text;

  text = entsec_aead_open (key->data, data, header->header_len, data + header->header_len,
                           len - header->header_len, NULL);
  if (text == NULL)
    g_set_error_literal (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_CORRUPT,
                         "The passphrase is right but the backup's contents are damaged or "
                         "were altered; nothing was restored");
  return text;
}

gboolean
entsec_backup_import_sync (GBytes       *data,
                           const char   *passphrase,
                           gsize         passphrase_len,
                           GPtrArray   **accounts,
                           GCancellable *cancellable,
                           GError      **error)
{
  g_autoptr (EntsecSecureBytes) key = NULL;
  g_autoptr (EntsecSecureBytes) text = NULL;
  BackupHeader header;
  gsize len = 0;
  const guint8 *bytes;

  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail (passphrase != NULL || passphrase_len == 0, FALSE);
  g_return_val_if_fail (accounts != NULL && *accounts == NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  bytes = g_bytes_get_data (data, &len);
  if (len > ENTSEC_IMPORT_MAX_FILE_BYTES)
    {
      g_set_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_LIMIT,
                   "The backup is larger than the %d MiB limit",
                   ENTSEC_IMPORT_MAX_FILE_BYTES / (1024 * 1024));
      return FALSE;
    }
  if (!parse_header (bytes, len, &header, error))
    return FALSE;
  key = unwrap_key (bytes, &header, passphrase, passphrase_len, error);
  if (key == NULL)
    return FALSE;
  text = open_body (bytes, len, &header, key, error);
  if (text == NULL)
    return FALSE;
  *accounts = parse_body (text, error);
  return *accounts != NULL;
}
