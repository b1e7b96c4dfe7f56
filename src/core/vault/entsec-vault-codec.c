/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-vault-codec.c: the plaintext inside each encrypted blob, and the
 * associated data that binds a blob to its vault, table, row and column.
 *
 * A record is a version byte then fields: tag (1 byte), length (4 bytes,
 * big-endian), value. Unknown tags are skipped (room for later fields), a
 * field running past the end fails. Account records are padded to a
 * multiple of 64 bytes so blob sizes say little about label lengths.
 */

#define G_LOG_DOMAIN "entsec-vault"

#include "config.h"

#include <string.h>

#include "entsec-vault-private.h"

#define RECORD_VERSION 1
#define RECORD_PAD 64
#define FIELD_HEADER 5
#define MAX_FIELD_LEN (1024 * 1024)

enum
{
  TAG_TYPE = 1,
  TAG_ISSUER,
  TAG_LABEL,
  TAG_SECRET,
  TAG_ALGORITHM,
  TAG_DIGITS,
  TAG_PERIOD,
  TAG_COUNTER,
  TAG_FAVOURITE,
  TAG_GROUP,
  TAG_NOTES,
  TAG_MANAGED_ID,
  TAG_PREF_NAME = 32,
  TAG_PREF_VALUE,
  TAG_PAD = 255,
};

typedef struct
{
  guint8 *data;
  gsize   len;
  gsize   pos;
} Cursor;

static void
put_be (guint8 *out,
        guint64 value,
        guint   n)
{
  for (guint i = 0; i < n; i++)
    out[i] = (guint8) (value >> (8 * (n - 1 - i)));
}

static guint64
get_be (const guint8 *in,
        guint         n)
{
  guint64 value = 0;

  for (guint i = 0; i < n; i++)
    value = (value << 8) | in[i];
  return value;
}

static void
put_field (Cursor       *c,
           guint8        tag,
           const void   *value,
           gsize         len)
{
  if (c->data != NULL)
    {
      c->data[c->pos] = tag;
      put_be (c->data + c->pos + 1, len, 4);
      if (len > 0)
        memcpy (c->data + c->pos + FIELD_HEADER, value, len);
    }
  c->pos += FIELD_HEADER + len;
}

static void
put_uint (Cursor *c,
          guint8  tag,
          guint64 value,
          guint   n)
{
  guint8 buf[8];

  put_be (buf, value, n);
  put_field (c, tag, buf, n);
}

static void
put_text (Cursor     *c,
          guint8      tag,
          const char *text)
{
  if (text != NULL)
    put_field (c, tag, text, strlen (text));
}

static void
put_account (Cursor              *c,
             const EntsecAccount *a)
{
  if (c->data != NULL)
    c->data[0] = RECORD_VERSION;
  c->pos = 1;
  put_uint (c, TAG_TYPE, a->type, 4);
  put_text (c, TAG_ISSUER, a->issuer);
  put_text (c, TAG_LABEL, a->label);
  put_field (c, TAG_SECRET, a->secret, a->secret_len);
  put_uint (c, TAG_ALGORITHM, a->algorithm, 4);
  put_uint (c, TAG_DIGITS, a->digits, 4);
  put_uint (c, TAG_PERIOD, a->period, 4);
  put_uint (c, TAG_COUNTER, a->counter, 8);
  put_uint (c, TAG_FAVOURITE, a->favourite ? 1 : 0, 1);
  put_text (c, TAG_GROUP, a->group);
  put_text (c, TAG_NOTES, a->notes);
  put_text (c, TAG_MANAGED_ID, a->managed_id);
}

EntsecSecureBytes *
vault_account_encode (const EntsecAccount *account)
{
  Cursor c = { NULL, 0, 0 };
  EntsecSecureBytes *out;
  gsize padded;

  put_account (&c, account);
  padded = ((c.pos + FIELD_HEADER) / RECORD_PAD + 1) * RECORD_PAD;
  out = entsec_secure_bytes_new (padded);
  c.data = out->data;
  put_account (&c, account);
  /* The zero-filled pad field takes the rest. */
  out->data[c.pos] = TAG_PAD;
  put_be (out->data + c.pos + 1, padded - c.pos - FIELD_HEADER, 4);
  return out;
}

/* Next field of @c: FALSE at the end; sets @error when malformed. */
static gboolean
next_field (Cursor        *c,
            guint8        *tag,
            const guint8 **value,
            gsize         *len,
            GError       **error)
{
  guint64 n;

  if (c->pos == c->len)
    return FALSE;
  if (c->len - c->pos < FIELD_HEADER)
    goto bad;
  n = get_be (c->data + c->pos + 1, 4);
  if (n > MAX_FIELD_LEN || n > c->len - c->pos - FIELD_HEADER)
    goto bad;
  *tag = c->data[c->pos];
  *value = c->data + c->pos + FIELD_HEADER;
  *len = (gsize) n;
  c->pos += FIELD_HEADER + (gsize) n;
  return TRUE;

bad:
  g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT,
                       "A record is malformed (a field runs past its end)");
  return FALSE;
}

static char *
dup_text (const guint8 *value,
          gsize         len)
{
  char *text = g_malloc (len + 1);

  memcpy (text, value, len);
  text[len] = '\0';
  return text;
}

static gboolean
set_uint (guint64      *out,
          const guint8 *value,
          gsize         len,
          gsize         want)
{
  if (len != want)
    return FALSE;
  *out = get_be (value, (guint) len);
  return TRUE;
}

static void
replace_text (char        **slot,
              const guint8 *value,
              gsize         len)
{
  entsec_secure_strfree (*slot);
  *slot = dup_text (value, len);
}

/* Apply one field to @a; FALSE when its size is wrong. */
static gboolean
apply_account_field (EntsecAccount *a,
                     guint8         tag,
                     const guint8  *value,
                     gsize          len)
{
  guint64 n = 0;

  switch (tag)
    {
    case TAG_TYPE:
      if (!set_uint (&n, value, len, 4) || n > ENTSEC_ACCOUNT_STEAM)
        return FALSE;
      a->type = (EntsecAccountType) n;
      return TRUE;
    case TAG_ISSUER:
      replace_text (&a->issuer, value, len);
      return TRUE;
    case TAG_LABEL:
      replace_text (&a->label, value, len);
      return TRUE;
    case TAG_GROUP:
      replace_text (&a->group, value, len);
      return TRUE;
    case TAG_NOTES:
      replace_text (&a->notes, value, len);
      return TRUE;
    case TAG_MANAGED_ID:
      replace_text (&a->managed_id, value, len);
      return TRUE;
    case TAG_SECRET:
      entsec_account_set_secret (a, value, len);
      return TRUE;
    case TAG_ALGORITHM:
      if (!set_uint (&n, value, len, 4) || n > ENTSEC_OTP_ALGORITHM_SHA512)
        return FALSE;
      a->algorithm = (EntsecOtpAlgorithm) n;
      return TRUE;
    case TAG_DIGITS:
      if (!set_uint (&n, value, len, 4))
        return FALSE;
      a->digits = (guint) n;
      return TRUE;
    case TAG_PERIOD:
      if (!set_uint (&n, value, len, 4))
        return FALSE;
      a->period = (guint) n;
      return TRUE;
    case TAG_COUNTER:
      return set_uint (&a->counter, value, len, 8);
    case TAG_FAVOURITE:
      if (!set_uint (&n, value, len, 1))
        return FALSE;
      a->favourite = n != 0;
      return TRUE;
    default:
      return TRUE;
    }
}

EntsecAccount *
vault_account_decode (const guint8 *data,
                      gsize         len,
                      GError      **error)
{
  g_autoptr (EntsecAccount) account = entsec_account_new ();
  Cursor c = { (guint8 *) data, len, 1 };
  const guint8 *value;
  gsize value_len;
  guint8 tag;

  if (len < 1 || data[0] != RECORD_VERSION)
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_VERSION,
                   "An account record has an unknown version; a newer entsec wrote it");
      return NULL;
    }
  while (next_field (&c, &tag, &value, &value_len, error))
    {
      if (!apply_account_field (account, tag, value, value_len))
        {
          vault_account_wipe_free (g_steal_pointer (&account));
          g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT,
                       "An account record has a malformed field (%u)", tag);
          return NULL;
        }
    }
  if ((error != NULL && *error != NULL) || !entsec_account_validate (account, error))
    {
      vault_account_wipe_free (g_steal_pointer (&account));
      return NULL;
    }
  return g_steal_pointer (&account);
}

void
vault_account_wipe_free (gpointer data)
{
  EntsecAccount *account = data;

  if (account == NULL)
    return;
  entsec_secure_strfree (g_steal_pointer (&account->issuer));
  entsec_secure_strfree (g_steal_pointer (&account->label));
  entsec_secure_strfree (g_steal_pointer (&account->group));
  entsec_secure_strfree (g_steal_pointer (&account->notes));
  entsec_secure_strfree (g_steal_pointer (&account->managed_id));
  entsec_account_free (account);
}

/* ---- Preferences ---------------------------------------------------------- */

static void
put_pref (Cursor     *c,
          const char *name,
          GVariant   *value)
{
  gsize size = g_variant_get_size (value);
  const char *type = g_variant_get_type_string (value);
  gsize type_len = strlen (type);

  if (c->data != NULL)
    c->data[0] = RECORD_VERSION;
  c->pos = 1;
  put_text (c, TAG_PREF_NAME, name);
  if (c->data != NULL)
    {
      /* Value field: type string, NUL, then the serialised GVariant. */
      c->data[c->pos] = TAG_PREF_VALUE;
      put_be (c->data + c->pos + 1, type_len + 1 + size, 4);
      memcpy (c->data + c->pos + FIELD_HEADER, type, type_len + 1);
      g_variant_store (value, c->data + c->pos + FIELD_HEADER + type_len + 1);
    }
  c->pos += FIELD_HEADER + type_len + 1 + size;
}

EntsecSecureBytes *
vault_pref_encode (const char *name,
                   GVariant   *value)
{
  Cursor c = { NULL, 0, 0 };
  EntsecSecureBytes *out;

  put_pref (&c, name, value);
  out = entsec_secure_bytes_new (c.pos);
  c.data = out->data;
  put_pref (&c, name, value);
  return out;
}

static GVariant *
decode_pref_value (const guint8 *value,
                   gsize         len)
{
  const guint8 *nul = memchr (value, '\0', len);
  const char *type = (const char *) value;
  g_autoptr (GBytes) bytes = NULL;
  GVariant *variant;

  if (nul == NULL)
    return NULL;
  if (strcmp (type, "s") != 0 && strcmp (type, "x") != 0 && strcmp (type, "b") != 0
      && strcmp (type, "ay") != 0)
    return NULL;
  bytes = g_bytes_new (nul + 1, len - (gsize) (nul + 1 - value));
  variant = g_variant_new_from_bytes (G_VARIANT_TYPE (type), bytes, FALSE);
  if (!g_variant_is_normal_form (variant))
    {
      g_variant_unref (g_variant_ref_sink (variant));
      return NULL;
    }
  return g_variant_ref_sink (variant);
}

GVariant *
vault_pref_decode (const guint8 *data,
                   gsize         len,
                   char        **name_out,
                   GError      **error)
{
  Cursor c = { (guint8 *) data, len, 1 };
  g_autoptr (GVariant) result = NULL;
  char *name = NULL;
  const guint8 *value;
  gsize value_len;
  guint8 tag;

  if (len < 1 || data[0] != RECORD_VERSION)
    goto bad;
  while (next_field (&c, &tag, &value, &value_len, error))
    {
      if (tag == TAG_PREF_NAME && name == NULL)
        name = dup_text (value, value_len);
      else if (tag == TAG_PREF_VALUE && result == NULL)
        result = decode_pref_value (value, value_len);
    }
  if (error != NULL && *error != NULL)
    {
      entsec_secure_strfree (name);
      return NULL;
    }
  if (name == NULL || result == NULL || !g_utf8_validate (name, -1, NULL))
    {
      entsec_secure_strfree (name);
      goto bad;
    }
  *name_out = name;
  return g_steal_pointer (&result);

bad:
  g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT,
                       "A preference record is malformed");
  return NULL;
}

/* ---- Associated data ------------------------------------------------------ */

static void
append_be (GByteArray *out,
           guint64     value,
           guint       n)
{
  guint8 buf[8];

  put_be (buf, value, n);
  g_byte_array_append (out, buf, n);
}

static void
append_string (GByteArray *out,
               const char *text)
{
  g_byte_array_append (out, (const guint8 *) text, (guint) strlen (text) + 1);
}

static void
append_bytes (GByteArray *out,
              GBytes     *bytes)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  append_be (out, len, 4);
  if (len > 0)
    g_byte_array_append (out, data, (guint) len);
}

/* Every associated data starts with what it binds to: a label, the format, the vault. */
static GByteArray *
aad_new (const char   *label,
         guint         format,
         const guint8 *vault_id)
{
  GByteArray *out = g_byte_array_new ();

  append_string (out, label);
  /* Format 3 added a table and kept format 2's encryption, associated data included. */
  append_be (out, MIN (format, 2), 4);
  g_byte_array_append (out, vault_id, VAULT_ID_SIZE);
  return out;
}

GBytes *
vault_row_aad (const guint8  vault_id[VAULT_ID_SIZE],
               guint         format,
               const char   *table,
               const guint8 *row_key,
               gsize         row_key_len,
               guint64       version,
               const char   *column)
{
  GByteArray *out = aad_new ("entsec-vault-row", format, vault_id);
  append_string (out, table);
  append_be (out, row_key_len, 4);
  g_byte_array_append (out, row_key, (guint) row_key_len);
  /* Format 1 had no row versions. */
  if (format >= 2)
    append_be (out, version, 8);
  append_string (out, column);
  return g_byte_array_free_to_bytes (out);
}

GBytes *
vault_index_aad (const guint8 vault_id[VAULT_ID_SIZE])
{
  GByteArray *out = aad_new ("entsec-vault-index", ENTSEC_VAULT_FORMAT_VERSION, vault_id);
  return g_byte_array_free_to_bytes (out);
}

static void
append_slot (GByteArray      *out,
             const VaultSlot *slot,
             gboolean         with_wrapped)
{
  append_be (out, (guint64) slot->id, 8);
  append_be (out, slot->type, 4);
  append_bytes (out, slot->params);
  if (with_wrapped)
    append_bytes (out, slot->wrapped);
}

GBytes *
vault_slot_aad (const guint8     vault_id[VAULT_ID_SIZE],
                guint            format,
                const VaultSlot *slot)
{
  GByteArray *out = aad_new ("entsec-vault-slot", format, vault_id);
  append_slot (out, slot, FALSE);
  return g_byte_array_free_to_bytes (out);
}

GBytes *
vault_slot_key_aad (const guint8 vault_id[VAULT_ID_SIZE],
                    guint32      type,
                    GBytes      *params)
{
  GByteArray *out = aad_new ("entsec-vault-slot-key", ENTSEC_VAULT_FORMAT_VERSION, vault_id);
  append_be (out, type, 4);
  append_bytes (out, params);
  return g_byte_array_free_to_bytes (out);
}

GBytes *
vault_header_aad (const guint8 vault_id[VAULT_ID_SIZE],
                  guint        format,
                  GPtrArray   *slots)
{
  GByteArray *out = aad_new ("entsec-vault-header", format, vault_id);
  append_be (out, slots->len, 4);
  for (guint i = 0; i < slots->len; i++)
    append_slot (out, g_ptr_array_index (slots, i), TRUE);
  return g_byte_array_free_to_bytes (out);
}

/* ---- Passphrase slot parameters ------------------------------------------- */

#define KDF_PARAMS_VERSION 1
#define KDF_PARAMS_FIXED (1 + 4 * 3 + 1)

GBytes *
vault_kdf_params_encode (const EntsecArgon2Params *params)
{
  guint8 buf[KDF_PARAMS_FIXED + ENTSEC_ARGON2_MAX_SALT_SIZE];

  buf[0] = KDF_PARAMS_VERSION;
  put_be (buf + 1, params->m_cost_kib, 4);
  put_be (buf + 5, params->t_cost, 4);
  put_be (buf + 9, params->parallelism, 4);
  buf[13] = (guint8) params->salt_len;
  memcpy (buf + KDF_PARAMS_FIXED, params->salt, params->salt_len);
  return g_bytes_new (buf, KDF_PARAMS_FIXED + params->salt_len);
}

gboolean
vault_kdf_params_decode (GBytes             *bytes,
                         EntsecArgon2Params *params,
                         GError            **error)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (bytes, &len);

  memset (params, 0, sizeof *params);
  if (len < KDF_PARAMS_FIXED || data[0] != KDF_PARAMS_VERSION
      || data[13] > ENTSEC_ARGON2_MAX_SALT_SIZE
      || len != (gsize) KDF_PARAMS_FIXED + data[13])
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT,
                           "A passphrase slot's parameters are malformed: "
                           "the vault header is damaged");
      return FALSE;
    }
  params->m_cost_kib = (guint32) get_be (data + 1, 4);
  params->t_cost = (guint32) get_be (data + 5, 4);
  params->parallelism = (guint32) get_be (data + 9, 4);
  params->salt_len = data[13];
  memcpy (params->salt, data + KDF_PARAMS_FIXED, params->salt_len);
  if (!entsec_argon2id_params_check (params, NULL))
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT,
                   "A passphrase slot asks for Argon2id costs out of bounds "
                   "(%u KiB, %u passes, %u lanes): the vault header is damaged or hostile",
                   params->m_cost_kib, params->t_cost, params->parallelism);
      return FALSE;
    }
  return TRUE;
}

/* Sum over the passphrase slots of memory x passes: the Argon2id work of one unlock. */
static gboolean
kdf_work (GPtrArray *slots,
          guint64   *work,
          GError   **error)
{
  *work = 0;
  for (guint i = 0; i < slots->len; i++)
    {
      VaultSlot *slot = g_ptr_array_index (slots, i);
      EntsecArgon2Params argon;

      if (slot->type != ENTSEC_VAULT_SLOT_PASSPHRASE)
        continue;
      if (!vault_kdf_params_decode (slot->params, &argon, error))
        return FALSE;
      *work += (guint64) argon.m_cost_kib * argon.t_cost;
    }
  return TRUE;
}

gboolean
vault_check_slot_table (GPtrArray *slots,
                        GError   **error)
{
  guint64 work = 0;

  if (slots->len > VAULT_MAX_SLOTS)
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT,
                   "The vault lists %u key slots, more than the %d entsec allows: the vault "
                   "header is damaged or hostile; the file was not modified", slots->len,
                   VAULT_MAX_SLOTS);
      return FALSE;
    }
  if (!kdf_work (slots, &work, error))
    return FALSE;
  if (work > VAULT_MAX_KDF_WORK)
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT,
                   "The vault's passphrase slots ask for more key-derivation work than entsec "
                   "allows for one unlock (%" G_GUINT64_FORMAT " MiB-passes, at most %"
                   G_GUINT64_FORMAT "): the vault header is damaged or hostile; the file was "
                   "not modified", work / 1024, (guint64) VAULT_MAX_KDF_WORK / 1024);
      return FALSE;
    }
  return TRUE;
}
