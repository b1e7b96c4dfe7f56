/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-migration.c: Google Authenticator exports,
 * otpauth-migration://offline?data=<Base64 of a MigrationPayload protobuf>.
 *
 * The payload holds raw secrets and comes from a camera, so it is treated as
 * hostile: the URI size and the number of entries are capped before
 * decoding, protobuf-c allocates from a fixed budget, and every buffer that
 * held a secret is wiped. A bad entry becomes an error of its own and never
 * costs the good ones.
 */

#define G_LOG_DOMAIN "entsec-otpauth"

#include "config.h"

#include <stddef.h>

#include <openssl/crypto.h>

#include "google-migration.pb-c.h"
#include "otpauth-private.h"

typedef EntsecMigration__MigrationPayload Payload;
typedef EntsecMigration__MigrationPayload__OtpParameters Entry;

#define SCHEME "otpauth-migration://"
/* Far above what ENTSEC_MIGRATION_MAX_ENTRIES entries can need. */
#define ALLOC_BUDGET (4 * 1024 * 1024)
/* Longest entry name quoted in an error message, in characters. */
#define MAX_SHOWN_NAME 40
/* Google Authenticator splits an export into QR codes of about ten accounts each. */
#define MAX_BATCH_SIZE 1000

/* protobuf-c allocator: a byte budget, and every block wiped when freed. */
typedef struct
{
  gsize used;
} Budget;

typedef union
{
  gsize size;
  max_align_t align;
} BlockHeader;

static void *
budget_alloc (void  *data,
              size_t size)
{
  Budget *budget = data;
  BlockHeader *block;

  if (size > ALLOC_BUDGET || budget->used + size + sizeof *block > ALLOC_BUDGET)
    return NULL;
  block = g_try_malloc (sizeof *block + size);
  if (block == NULL)
    return NULL;
  block->size = size;
  budget->used += size + sizeof *block;
  return block + 1;
}

static void
budget_free (void *data,
             void *pointer)
{
  Budget *budget = data;
  BlockHeader *block;

  if (pointer == NULL)
    return;
  block = (BlockHeader *) pointer - 1;
  budget->used -= block->size + sizeof *block;
  entsec_secure_free (block, sizeof *block + block->size);
}

void
entsec_migration_batch_free (EntsecMigrationBatch *batch)
{
  if (batch == NULL)
    return;
  g_ptr_array_unref (batch->accounts);
  g_ptr_array_unref (batch->errors);
  g_free (batch);
}

static EntsecMigrationBatch *
batch_new (void)
{
  EntsecMigrationBatch *batch = g_new0 (EntsecMigrationBatch, 1);

  batch->accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  batch->errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  return batch;
}

static void
set_migration_error (GError    **error,
                     const char *message)
{
  g_set_error_literal (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_MIGRATION, message);
}

/* The percent-encoded value of the one "data" parameter in @query. */
static gboolean
find_data (const char  *query,
           const char **value,
           gsize       *len,
           GError     **error)
{
  *value = NULL;
  for (const char *p = query; *p != '\0';)
    {
      gsize seg = strcspn (p, "&");

      if (seg >= 5 && g_ascii_strncasecmp (p, "data=", 5) == 0)
        {
          if (*value != NULL)
            {
              set_migration_error (error, "The export has two data parameters, so it is "
                                          "ambiguous; scan the QR code again");
              return FALSE;
            }
          *value = p + 5;
          *len = seg - 5;
        }
      p += seg + (p[seg] == '&');
    }
  if (*value == NULL || *len == 0)
    {
      set_migration_error (error, "The export has no data: the QR code is incomplete; "
                                  "scan it again");
      return FALSE;
    }
  return TRUE;
}

/*
 * Standard Base64 as Google writes it, also URL-safe and without padding;
 * spaces and line breaks are skipped. Returns the decoded payload (wipe it).
 */
static guint8 *
decode_base64 (const char *text,
               gsize      *out_len,
               GError    **error)
{
  gsize len = strlen (text);
  char *clean = g_malloc (len + 4);
  gsize n = 0, padding = 0, bad = 0;
  guint8 *out = NULL;

  for (gsize i = 0; i < len && bad == 0; i++)
    {
      char c = text[i];

      if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
        continue;
      if (c == '=')
        padding++;
      else if (padding > 0 || !(g_ascii_isalnum (c) || strchr ("+/-_", c) != NULL))
        bad = i + 1;
      else
        clean[n++] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
  if (bad > 0)
    g_set_error (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_ENCODING,
                 "The export's data is not valid Base64 (character %" G_GSIZE_FORMAT
                 "); scan the QR code again", bad);
  else if (n == 0 || n % 4 == 1 || padding > 2)
    g_set_error_literal (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_ENCODING,
                         "The export's data is cut short (its Base64 length is impossible); "
                         "scan the QR code again");
  else
    {
      while (n % 4 != 0)
        clean[n++] = '=';
      clean[n] = '\0';
      out = g_base64_decode (clean, out_len);
    }
  entsec_secure_free (clean, len + 4);
  return out;
}

/* Read a varint at *@p; FALSE when it runs past @end or is too long. */
static gboolean
read_varint (const guint8 **p,
             const guint8  *end,
             guint64       *value)
{
  *value = 0;
  for (guint shift = 0; shift < 64 && *p < end; shift += 7)
    {
      guint8 byte = *(*p)++;

      *value |= (guint64) (byte & 0x7f) << shift;
      if ((byte & 0x80) == 0)
        return TRUE;
    }
  return FALSE;
}

/*
 * Count the top-level otp_parameters fields without decoding them, so an
 * export with too many entries is refused before anything is allocated.
 * Stops quietly at anything malformed: protobuf-c reports that.
 */
static gsize
count_entries (const guint8 *data,
               gsize         len)
{
  const guint8 *p = data, *end = data + len;
  gsize count = 0;
  guint64 key, skip;

  while (p < end && read_varint (&p, end, &key))
    {
      switch (key & 7)
        {
        case 0:
          if (!read_varint (&p, end, &skip))
            return count;
          skip = 0;
          break;
        case 1:
          skip = 8;
          break;
        case 2:
          if (!read_varint (&p, end, &skip))
            return count;
          break;
        case 5:
          skip = 4;
          break;
        default:
          return count;
        }
      if (skip > (guint64) (end - p))
        return count;
      if (key == ((1 << 3) | 2))
        count++;
      p += skip;
    }
  return count;
}

/* "The account name is..." becomes "the account name is..." after "Entry 3 (X): ". */
static void
add_entry_error (EntsecMigrationBatch *batch,
                 gsize                 index,
                 const Entry          *entry,
                 GError               *cause)
{
  const char *name = entry->issuer != NULL && entry->issuer[0] != '\0' ? entry->issuer
                                                                       : entry->name;
  g_autofree char *message = g_strdup (cause->message);
  g_autofree char *shown = NULL;
  GError *error;

  if (g_ascii_isupper (message[0]) && g_ascii_islower (message[1]))
    message[0] = g_ascii_tolower (message[0]);
  if (name != NULL && name[0] != '\0')
    shown = entsec_dup_printable (name, -1, MAX_SHOWN_NAME);
  if (shown != NULL)
    error = g_error_new (ENTSEC_OTPAUTH_ERROR, cause->code, "Entry %" G_GSIZE_FORMAT " (%s): %s",
                         index + 1, shown, message);
  else
    error = g_error_new (ENTSEC_OTPAUTH_ERROR, cause->code, "Entry %" G_GSIZE_FORMAT ": %s",
                         index + 1, message);
  g_ptr_array_add (batch->errors, error);
  g_error_free (cause);
}

static gboolean
entry_names (const Entry   *entry,
             EntsecAccount *account,
             GError       **error)
{
  g_autofree char *prefix = NULL;

  g_free (account->label);
  otpauth_split_label (entry->name != NULL ? entry->name : "", &prefix, &account->label);
  if (entry->issuer != NULL && entry->issuer[0] != '\0')
    account->issuer = g_strdup (entry->issuer);
  else
    account->issuer = g_steal_pointer (&prefix);
  if (account->label[0] == '\0')
    {
      g_set_error_literal (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_LABEL,
                           "the entry has no account name");
      return FALSE;
    }
  return otpauth_check_text ("account name", account->label, error)
         && otpauth_check_text ("issuer", account->issuer, error);
}

static gboolean
entry_algorithm (const Entry   *entry,
                 EntsecAccount *account,
                 GError       **error)
{
  switch ((int) entry->algorithm)
    {
    case ENTSEC_MIGRATION__MIGRATION_PAYLOAD__ALGORITHM__ALGORITHM_UNSPECIFIED:
    case ENTSEC_MIGRATION__MIGRATION_PAYLOAD__ALGORITHM__ALGORITHM_SHA1:
      account->algorithm = ENTSEC_OTP_ALGORITHM_SHA1;
      return TRUE;
    case ENTSEC_MIGRATION__MIGRATION_PAYLOAD__ALGORITHM__ALGORITHM_SHA256:
      account->algorithm = ENTSEC_OTP_ALGORITHM_SHA256;
      return TRUE;
    case ENTSEC_MIGRATION__MIGRATION_PAYLOAD__ALGORITHM__ALGORITHM_SHA512:
      account->algorithm = ENTSEC_OTP_ALGORITHM_SHA512;
      return TRUE;
    case ENTSEC_MIGRATION__MIGRATION_PAYLOAD__ALGORITHM__ALGORITHM_MD5:
      g_set_error_literal (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_PARAMETER,
                           "the algorithm MD5 is not supported: it is no longer safe; "
                           "move this account to SHA1, SHA256 or SHA512 at the service");
      return FALSE;
    default:
      g_set_error (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_PARAMETER,
                   "the algorithm number %d is unknown", (int) entry->algorithm);
      return FALSE;
    }
}

static gboolean
entry_kind (const Entry   *entry,
            EntsecAccount *account,
            GError       **error)
{
  switch ((int) entry->digits)
    {
    case ENTSEC_MIGRATION__MIGRATION_PAYLOAD__DIGIT_COUNT__DIGIT_COUNT_UNSPECIFIED:
    case ENTSEC_MIGRATION__MIGRATION_PAYLOAD__DIGIT_COUNT__DIGIT_COUNT_SIX:
      account->digits = 6;
      break;
    case ENTSEC_MIGRATION__MIGRATION_PAYLOAD__DIGIT_COUNT__DIGIT_COUNT_EIGHT:
      account->digits = 8;
      break;
    default:
      g_set_error (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_PARAMETER,
                   "the code length number %d is unknown", (int) entry->digits);
      return FALSE;
    }
  switch ((int) entry->type)
    {
    case ENTSEC_MIGRATION__MIGRATION_PAYLOAD__OTP_TYPE__OTP_TYPE_UNSPECIFIED:
    case ENTSEC_MIGRATION__MIGRATION_PAYLOAD__OTP_TYPE__OTP_TYPE_TOTP:
      account->type = ENTSEC_ACCOUNT_TOTP;
      return TRUE;
    case ENTSEC_MIGRATION__MIGRATION_PAYLOAD__OTP_TYPE__OTP_TYPE_HOTP:
      account->type = ENTSEC_ACCOUNT_HOTP;
      if (entry->counter >= 0)
        {
          account->counter = (guint64) entry->counter;
          return TRUE;
        }
      g_set_error_literal (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_PARAMETER,
                           "the HOTP counter is negative");
      return FALSE;
    default:
      g_set_error (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_TYPE,
                   "the code type number %d is unknown", (int) entry->type);
      return FALSE;
    }
}

/* One entry as an account; the export has no period field, so TOTP uses 30 s. */
static EntsecAccount *
account_from_entry (const Entry *entry,
                    GError     **error)
{
  g_autoptr (EntsecAccount) account = entsec_account_new ();
  GError *local = NULL;

  if (!entry_names (entry, account, error) || !entry_algorithm (entry, account, error)
      || !entry_kind (entry, account, error)
      || !otpauth_check_secret_length (entry->secret.len, error))
    return NULL;
  entsec_account_set_secret (account, entry->secret.data, entry->secret.len);
  if (!entsec_account_validate (account, &local))
    {
      g_set_error_literal (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_PARAMETER,
                           local->message);
      g_error_free (local);
      return NULL;
    }
  return g_steal_pointer (&account);
}

static EntsecMigrationBatch *
batch_from_payload (const Payload *payload)
{
  EntsecMigrationBatch *batch = batch_new ();

  batch->version = payload->version;
  batch->batch_size = payload->batch_size;
  batch->batch_index = payload->batch_index;
  batch->batch_id = payload->batch_id;
  for (gsize i = 0; i < payload->n_otp_parameters; i++)
    {
      GError *cause = NULL;
      EntsecAccount *account = account_from_entry (payload->otp_parameters[i], &cause);

      if (account != NULL)
        g_ptr_array_add (batch->accounts, account);
      else
        add_entry_error (batch, i, payload->otp_parameters[i], cause);
    }
  return batch;
}

/* An export spans batch_size QR codes (0 in old exports: one); this is number batch_index. */
static gboolean
check_batch_numbers (const Payload *payload,
                     GError       **error)
{
  gint size = payload->batch_size;
  gint index = payload->batch_index;

  if (size < 0 || size > MAX_BATCH_SIZE)
    {
      g_set_error (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_MIGRATION,
                   "The export claims to span %d QR codes, which is not possible (at most %d); "
                   "the QR code is damaged or was not made by Google Authenticator",
                   size, MAX_BATCH_SIZE);
      return FALSE;
    }
  if (index < 0 || index >= MAX (size, 1))
    {
      g_set_error (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_MIGRATION,
                   "The export says it is QR code %" G_GINT64_FORMAT " of %d, which is not "
                   "possible; the QR code is damaged or was not made by Google Authenticator",
                   (gint64) index + 1, MAX (size, 1));
      return FALSE;
    }
  return TRUE;
}

static EntsecMigrationBatch *
batch_from_bytes (const guint8 *data,
                  gsize         len,
                  GError      **error)
{
  Budget budget = { 0 };
  ProtobufCAllocator allocator = { budget_alloc, budget_free, &budget };
  Payload *payload;
  EntsecMigrationBatch *batch;

  if (count_entries (data, len) > ENTSEC_MIGRATION_MAX_ENTRIES)
    {
      g_set_error (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_MIGRATION,
                   "The export holds more than %d accounts, more than entsec accepts "
                   "from one QR code", ENTSEC_MIGRATION_MAX_ENTRIES);
      return NULL;
    }
  payload = entsec_migration__migration_payload__unpack (&allocator, len, data);
  if (payload == NULL)
    {
      set_migration_error (error, "The export is damaged or incomplete and could not be "
                                  "read; scan the QR code again");
      return NULL;
    }
  batch = check_batch_numbers (payload, error) ? batch_from_payload (payload) : NULL;
  entsec_migration__migration_payload__free_unpacked (payload, &allocator);
  return batch;
}

/* Check the scheme and return the query after '?'. */
static const char *
find_query (const char *uri,
            GError    **error)
{
  const char *query;

  if (g_ascii_strncasecmp (uri, SCHEME, strlen (SCHEME)) != 0)
    {
      set_migration_error (error, g_ascii_strncasecmp (uri, "otpauth://", 10) == 0
                                    ? "This is a single account (otpauth://), not a Google "
                                      "Authenticator export"
                                    : "This is not a Google Authenticator export: the text "
                                      "does not start with otpauth-migration://");
      return NULL;
    }
  query = strchr (uri, '?');
  if (query == NULL)
    set_migration_error (error, "The export has no data: the QR code is incomplete; "
                                "scan it again");
  return query != NULL ? query + 1 : NULL;
}

EntsecMigrationBatch *
entsec_migration_parse (const char *uri,
                        GError    **error)
{
  g_autofree char *text = NULL;
  const char *query, *value;
  gsize value_len = 0, len = 0;
  guint8 *data;
  EntsecMigrationBatch *batch;

  g_return_val_if_fail (uri != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (strlen (uri) > ENTSEC_MIGRATION_MAX_URI_BYTES)
    {
      g_set_error (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_MIGRATION,
                   "The export is too large: at most %d bytes are accepted from one QR code",
                   ENTSEC_MIGRATION_MAX_URI_BYTES);
      return NULL;
    }
  while (g_ascii_isspace (*uri))
    uri++;
  query = find_query (uri, error);
  if (query == NULL || !find_data (query, &value, &value_len, error))
    return NULL;
  /* '+' is a Base64 letter here, never a space. */
  text = otpauth_percent_decode (value, value_len, FALSE, "export data", error);
  if (text == NULL)
    return NULL;
  data = decode_base64 (text, &len, error);
  OPENSSL_cleanse (text, strlen (text));
  if (data == NULL)
    return NULL;
  batch = batch_from_bytes (data, len, error);
  entsec_secure_free (data, len);
  return batch;
}
