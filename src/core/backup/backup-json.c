/* SPDX-License-Identifier: GPL-3.0-or-later */
/* backup-json.c: capped JSON loading and the backup body's account entries */

#define G_LOG_DOMAIN "entsec-backup"

#include "config.h"

#include <malloc.h>
#include <stdlib.h>

#include <openssl/crypto.h>

#include "backup-private.h"

/*
 * jansson keeps its own copies of what it parses and dumps (string values,
 * the lexer's buffers), secrets included, and frees them without wiping.
 * This free wipes each block first, sized by glibc's malloc_usable_size().
 *
 * This is PROCESS-WIDE: json_set_alloc_funcs() changes jansson for every
 * user in the process (entsec-cli's --json output, and cjose, which frees
 * jansson's output with free() and hands jansson blocks it malloc()ed).
 * The blocks are plain malloc() blocks, so either side may free them; the
 * switch happens from a constructor, before main(), and backup_json_init()
 * (g_once) repeats it harmlessly at each entry point in case the
 * constructor did not run (a static link that drops it).
 */
static void *
wiping_malloc (size_t size)
{
  return malloc (size);
}

static void
wiping_free (void *ptr)
{
  if (ptr == NULL)
    return;
  OPENSSL_cleanse (ptr, malloc_usable_size (ptr));
  free (ptr);
}

void
backup_json_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      json_set_alloc_funcs (wiping_malloc, wiping_free);
      g_once_init_leave (&done, 1);
    }
}

__attribute__ ((constructor)) static void
backup_json_constructor (void)
{
  backup_json_init ();
}

/* Nesting of objects and arrays, counted outside strings, before jansson sees it. */
static gboolean
depth_within (const guint8 *data,
              gsize         len,
              guint         max_depth)
{
  guint depth = 0;
  gboolean in_string = FALSE;
  gboolean escaped = FALSE;

  for (gsize i = 0; i < len; i++)
    {
      guint8 c = data[i];

      if (in_string)
        {
          if (escaped)
            escaped = FALSE;
          else if (c == '\\')
            escaped = TRUE;
          else if (c == '"')
            in_string = FALSE;
        }
      else if (c == '"')
        in_string = TRUE;
      else if (c == '{' || c == '[')
        depth++;
      else if ((c == '}' || c == ']') && depth > 0)
        depth--;
      if (depth > max_depth)
        return FALSE;
    }
  return TRUE;
}

json_t *
backup_json_load (const guint8 *data,
                  gsize         len,
                  int           code,
                  const char   *what,
                  GError      **error)
{
  json_error_t json_error;
  json_t *json;

  if (len > ENTSEC_IMPORT_MAX_FILE_BYTES)
    {
      g_set_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_LIMIT,
                   "%s is larger than the %d MiB limit", what,
                   ENTSEC_IMPORT_MAX_FILE_BYTES / (1024 * 1024));
      return NULL;
    }
  if (!depth_within (data, len, ENTSEC_IMPORT_MAX_JSON_DEPTH))
    {
      g_set_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_LIMIT,
                   "%s nests JSON deeper than %d levels; it is not a file this program "
                   "can read", what, ENTSEC_IMPORT_MAX_JSON_DEPTH);
      return NULL;
    }
  backup_json_init ();
  json = json_loadb ((const char *) data, len, JSON_REJECT_DUPLICATES, &json_error);
  if (json == NULL)
    {
      /* jansson quotes the text "near" the error: it comes from the file. */
      g_autofree char *shown = entsec_dup_printable (json_error.text, -1, 120);

      g_set_error (error, ENTSEC_BACKUP_ERROR, code,
                   "%s is not valid JSON (line %d, column %d: %s)", what, json_error.line,
                   json_error.column, shown);
    }
  return json;
}

void
backup_json_wipe (json_t *json)
{
  const char *key;
  json_t *value;
  gsize index;

  if (json_is_string (json))
    OPENSSL_cleanse ((char *) json_string_value (json), json_string_length (json));
  else if (json_is_array (json))
    json_array_foreach (json, index, value)
      backup_json_wipe (value);
  else if (json_is_object (json))
    json_object_foreach (json, key, value)
      backup_json_wipe (value);
}

static json_t *
nullable_string (const char *text)
{
  return text != NULL ? json_string (text) : json_null ();
}

json_t *
backup_account_to_json (const EntsecAccount *account)
{
  g_autofree char *secret = entsec_base32_encode (account->secret, account->secret_len);
  json_t *entry;

  backup_json_init ();
  entry = json_pack ("{s:s, s:o, s:s, s:s, s:s, s:i, s:i, s:I, s:i, s:b, s:o, s:o}",
                     "type", entsec_account_type_to_string (account->type),
                     "issuer", nullable_string (account->issuer),
                     "label", account->label,
                     "secret", secret,
                     "algorithm", entsec_otp_algorithm_to_string (account->algorithm),
                     "digits", (int) account->digits,
                     "period", (int) account->period,
                     "counter", (json_int_t) account->counter,
                     "position", account->position,
                     "favourite", account->favourite,
                     "group", nullable_string (account->group),
                     "notes", nullable_string (account->notes));
  OPENSSL_cleanse (secret, strlen (secret));
  return entry;
}

static gboolean
member_error (const char *key,
              const char *expected,
              GError    **error)
{
  g_set_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_ENTRY,
               "\"%s\" must be %s", key, expected);
  return FALSE;
}

gboolean
backup_json_get_string (json_t      *object,
                        const char  *key,
                        const char **value,
                        GError     **error)
{
  json_t *member = json_object_get (object, key);

  *value = NULL;
  if (member == NULL || json_is_null (member))
    return TRUE;
  if (!json_is_string (member))
    return member_error (key, "text", error);
  *value = json_string_value (member);
  return TRUE;
}

gboolean
backup_json_get_int (json_t      *object,
                     const char  *key,
                     json_int_t  *value,
                     GError     **error)
{
  json_t *member = json_object_get (object, key);

  if (member == NULL)
    return TRUE;
  if (!json_is_integer (member))
    return member_error (key, "a whole number", error);
  *value = json_integer_value (member);
  return TRUE;
}

static gboolean
get_uint (json_t     *object,
          const char *key,
          guint      *value,
          GError    **error)
{
  json_int_t number = *value;

  if (!backup_json_get_int (object, key, &number, error))
    return FALSE;
  if (number < 0 || number > G_MAXINT)
    return member_error (key, "a small positive number", error);
  *value = (guint) number;
  return TRUE;
}

static gboolean
read_type (json_t        *entry,
           EntsecAccount *account,
           GError       **error)
{
  const char *type = NULL;

  if (!backup_json_get_string (entry, "type", &type, error))
    return FALSE;
  if (g_strcmp0 (type, "totp") == 0)
    account->type = ENTSEC_ACCOUNT_TOTP;
  else if (g_strcmp0 (type, "hotp") == 0)
    account->type = ENTSEC_ACCOUNT_HOTP;
  else if (g_strcmp0 (type, "steam") == 0)
    account->type = ENTSEC_ACCOUNT_STEAM;
  else
    return member_error ("type", "\"totp\", \"hotp\" or \"steam\"", error);
  return TRUE;
}

static gboolean
read_texts (json_t        *entry,
            EntsecAccount *account,
            GError       **error)
{
  const char *label = NULL, *issuer = NULL, *group = NULL, *notes = NULL;

  if (!backup_json_get_string (entry, "label", &label, error)
      || !backup_json_get_string (entry, "issuer", &issuer, error)
      || !backup_json_get_string (entry, "group", &group, error)
      || !backup_json_get_string (entry, "notes", &notes, error))
    return FALSE;
  if (label == NULL)
    return member_error ("label", "present", error);
  g_free (account->label);
  account->label = g_strdup (label);
  account->issuer = g_strdup (issuer);
  account->group = g_strdup (group);
  account->notes = g_strdup (notes);
  return TRUE;
}

static gboolean
read_secret (json_t        *entry,
             EntsecAccount *account,
             GError       **error)
{
  const char *text = NULL;
  guint8 *secret;
  gsize len = 0;

  if (!backup_json_get_string (entry, "secret", &text, error))
    return FALSE;
  if (text == NULL)
    return member_error ("secret", "present", error);
  secret = entsec_base32_decode (text, &len, error);
  if (secret == NULL)
    return FALSE;
  entsec_account_set_secret (account, secret, len);
  entsec_secure_free (secret, len);
  return TRUE;
}

static gboolean
read_numbers (json_t        *entry,
              EntsecAccount *account,
              GError       **error)
{
  const char *algorithm = NULL;
  json_int_t counter = 0;
  json_int_t position = 0;
  json_t *favourite = json_object_get (entry, "favourite");

  if (!backup_json_get_string (entry, "algorithm", &algorithm, error)
      || !get_uint (entry, "digits", &account->digits, error)
      || !get_uint (entry, "period", &account->period, error)
      || !backup_json_get_int (entry, "counter", &counter, error)
      || !backup_json_get_int (entry, "position", &position, error))
    return FALSE;
  if (algorithm != NULL && !entsec_otp_algorithm_from_string (algorithm, &account->algorithm))
    return member_error ("algorithm", "SHA1, SHA256 or SHA512", error);
  if (counter < 0)
    return member_error ("counter", "zero or more", error);
  if (position < G_MININT || position > G_MAXINT)
    return member_error ("position", "a small number", error);
  if (favourite != NULL && !json_is_boolean (favourite))
    return member_error ("favourite", "true or false", error);
  account->counter = (guint64) counter;
  account->position = (gint) position;
  account->favourite = json_is_true (favourite);
  return TRUE;
}

EntsecAccount *
backup_account_from_json (json_t  *entry,
                          GError **error)
{
  g_autoptr (EntsecAccount) account = entsec_account_new ();

  if (!json_is_object (entry))
    {
      g_set_error_literal (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_ENTRY,
                           "the entry is not a JSON object");
      return NULL;
    }
  if (!read_type (entry, account, error)
      || !read_texts (entry, account, error)
      || !read_secret (entry, account, error)
      || !read_numbers (entry, account, error)
      || !entsec_account_validate (account, error))
    return NULL;
  return g_steal_pointer (&account);
}

EntsecImportResult *
backup_import_result_new (void)
{
  EntsecImportResult *result = g_new0 (EntsecImportResult, 1);

  result->accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  result->errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  return result;
}

void
entsec_import_result_free (EntsecImportResult *result)
{
  if (result == NULL)
    return;
  g_ptr_array_unref (result->accounts);
  g_ptr_array_unref (result->errors);
  g_free (result);
}

void
backup_add_entry_error (GPtrArray    *errors,
                        const char   *prefix,
                        const GError *cause)
{
  g_ptr_array_add (errors, g_error_new (ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_ENTRY,
                                        "%s: %s", prefix, cause->message));
}
