/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-qr.c: images to classified QR payloads and accounts (the public side of entsec-qr.h) */

#define G_LOG_DOMAIN "entsec-qr"

#include "config.h"

#include <string.h>

#include "entsec-core-private.h"
#include "entsec-qr-private.h"

#define ENROLLMENT_SCHEME "entsec"
/* Longest host or scheme quoted in an error message, in characters. */
#define MAX_SHOWN_HOST 64

#define SWAP_ARRAYS(a, b) \
  G_STMT_START { GPtrArray *swap_tmp = (a); (a) = (b); (b) = swap_tmp; } G_STMT_END

static void
entsec_qr_code_free (EntsecQrCode *code)
{
  if (code == NULL)
    return;
  g_bytes_unref (code->data);
  entsec_secure_strfree (code->text);
  g_ptr_array_unref (code->accounts);
  g_clear_error (&code->error);
  g_clear_pointer (&code->entry_errors, g_ptr_array_unref);
  g_free (code);
}

void
entsec_qr_result_free (EntsecQrResult *result)
{
  if (result == NULL)
    return;
  g_ptr_array_unref (result->codes);
  g_free (result);
}

const char *
entsec_qr_kind_to_string (EntsecQrKind kind)
{
  switch (kind)
    {
    case ENTSEC_QR_KIND_OTPAUTH:
      return "otpauth";
    case ENTSEC_QR_KIND_MIGRATION:
      return "otpauth-migration";
    case ENTSEC_QR_KIND_ENROLLMENT:
      return "enrollment";
    case ENTSEC_QR_KIND_URL:
      return "url";
    case ENTSEC_QR_KIND_TEXT:
      return "text";
    case ENTSEC_QR_KIND_BINARY:
    default:
      return "binary";
    }
}

static gboolean
has_prefix_nocase (const char *text,
                   const char *prefix)
{
  return g_ascii_strncasecmp (text, prefix, strlen (prefix)) == 0;
}

/* Bytes that are not text: NUL and control bytes other than tab and line breaks. */
static gboolean
looks_binary (GBytes *data)
{
  gsize len;
  const guchar *p = g_bytes_get_data (data, &len);

  for (gsize i = 0; i < len; i++)
    {
      if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') || p[i] == 0x7f)
        return TRUE;
    }
  return FALSE;
}

static void
classify_otpauth (EntsecQrCode *code)
{
  EntsecAccount *account;

  code->kind = ENTSEC_QR_KIND_OTPAUTH;
  account = entsec_otpauth_parse (code->text, &code->warnings, &code->error);
  if (account != NULL)
    g_ptr_array_add (code->accounts, account);
}

static void
classify_migration (EntsecQrCode *code)
{
  g_autoptr (EntsecMigrationBatch) batch = NULL;

  code->kind = ENTSEC_QR_KIND_MIGRATION;
  batch = entsec_migration_parse (code->text, &code->error);
  if (batch == NULL)
    return;
  /* Swap the arrays: the batch frees what it is left holding. */
  SWAP_ARRAYS (code->accounts, batch->accounts);
  code->entry_errors = g_ptr_array_new ();
  SWAP_ARRAYS (code->entry_errors, batch->errors);
  code->batch_size = batch->batch_size;
  code->batch_index = batch->batch_index;
}

/* "a web address (example.com)", "a mailto: link", ...: never the whole payload. */
static char *
describe_uri (const char *text,
              const char *scheme)
{
  g_autoptr (GUri) uri = NULL;
  g_autofree char *host = NULL;

  if (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0)
    {
      host = entsec_dup_printable (scheme, -1, MAX_SHOWN_HOST);
      return g_strdup_printf ("a %s: link", host);
    }
  uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL)
    return g_strdup ("a web address");
  /* The host is percent-decoded: it may hold escape sequences or bidi overrides. */
  host = entsec_dup_printable (g_uri_get_host (uri), -1, MAX_SHOWN_HOST);
  return g_strdup_printf ("a web address (%s)", host);
}

static void
set_not_authenticator (EntsecQrCode *code,
                       const char   *what)
{
  g_set_error (&code->error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_NOT_AUTHENTICATOR,
               "This QR code is not an authenticator code; it contains %s", what);
}

static void
classify_other (EntsecQrCode *code)
{
  g_autofree char *scheme = NULL;
  g_autofree char *what = NULL;

  if (code->text == NULL)
    {
      code->kind = ENTSEC_QR_KIND_BINARY;
      set_not_authenticator (code, "binary data");
      return;
    }
  scheme = g_uri_parse_scheme (code->text);
  if (scheme != NULL && g_ascii_strcasecmp (scheme, ENROLLMENT_SCHEME) == 0)
    {
      code->kind = ENTSEC_QR_KIND_ENROLLMENT;
      g_set_error (&code->error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_NOT_AUTHENTICATOR,
                   "This is an Enterprise Security enrollment code; enrolling from a picture "
                   "is not supported yet");
      return;
    }
  code->kind = scheme != NULL ? ENTSEC_QR_KIND_URL : ENTSEC_QR_KIND_TEXT;
  what = scheme != NULL ? describe_uri (code->text, scheme) : g_strdup ("text");
  set_not_authenticator (code, what);
}

/* Classify one payload; its bytes are untrusted and go through the parsers' limits. */
static EntsecQrCode *
classify (EntsecQrPayload *payload)
{
  EntsecQrCode *code = g_new0 (EntsecQrCode, 1);
  gsize len;
  const char *data = g_bytes_get_data (payload->data, &len);

  code->data = g_bytes_ref (payload->data);
  code->accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  /* The payload buffer is NUL-terminated (see entsec-qr-scan.c). */
  if (looks_binary (code->data))
    code->text = NULL;
  else if (g_utf8_validate_len (data, len, NULL))
    code->text = g_strndup (data, len);
  else
    code->text = g_strdup (payload->text);

  if (code->text != NULL && has_prefix_nocase (code->text, "otpauth://"))
    classify_otpauth (code);
  else if (code->text != NULL && has_prefix_nocase (code->text, "otpauth-migration://"))
    classify_migration (code);
  else
    classify_other (code);
  return code;
}

/* The classified codes of @payloads (element-type EntsecQrPayload). */
static EntsecQrResult *
result_new (GPtrArray  *payloads,
            guint       width,
            guint       height,
            const char *step)
{
  EntsecQrResult *result = g_new0 (EntsecQrResult, 1);

  result->codes = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_qr_code_free);
  result->width = width;
  result->height = height;
  result->step = step;
  for (guint i = 0; i < payloads->len; i++)
    g_ptr_array_add (result->codes, classify (payloads->pdata[i]));
  return result;
}

EntsecQrResult *
entsec_qr_decode_bytes_sync (const guint8 *data,
                             gsize         len,
                             GCancellable *cancellable,
                             GError      **error)
{
  g_autoptr (GPtrArray) payloads = NULL;
  guint width = 0, height = 0;
  const char *step = NULL;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  payloads = entsec_qr_decode_payloads (data, len, &width, &height, &step, cancellable, error);
  if (payloads == NULL)
    return NULL;
  return result_new (payloads, width, height, step);
}

EntsecQrResult *
entsec_qr_decode_grey_sync (const guint8 *pixels,
                            guint         width,
                            guint         height,
                            gsize         stride,
                            GCancellable *cancellable,
                            GError      **error)
{
  g_autoptr (GPtrArray) payloads = NULL;
  const char *step = NULL;

  g_return_val_if_fail (pixels != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  payloads = entsec_qr_decode_frame_payloads (pixels, width, height, stride, &step, cancellable,
                                              error);
  if (payloads == NULL)
    return NULL;
  return result_new (payloads, width, height, step);
}

/* Always NULL, so a failed read returns in one line. */
static GBytes *
read_error (const char *reason,
            GError    **error)
{
  g_set_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_READ, "Cannot read the image: %s", reason);
  return NULL;
}

/*
 * The whole file, refused before reading when it is over the size cap or not
 * a regular file (a FIFO or a device would never end). Read, not mapped: a
 * mapped file that shrinks meanwhile would crash the process.
 */
static GBytes *
read_bounded (const char *path,
              GError    **error)
{
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFileInfo) info = NULL;
  g_autoptr (GFileInputStream) stream = NULL;
  g_autoptr (GError) local_error = NULL;
  GBytes *bytes;

  stream = g_file_read (file, NULL, &local_error);
  if (stream != NULL)
    info = g_file_input_stream_query_info (stream, G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                                           G_FILE_ATTRIBUTE_STANDARD_TYPE, NULL, &local_error);
  if (info == NULL)
    return read_error (local_error->message, error);
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    return read_error ("it is not a regular file", error);
  if (g_file_info_get_size (info) > ENTSEC_QR_MAX_FILE_BYTES)
    {
      g_set_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_TOO_LARGE,
                   "The file is over %u MiB, too large for a picture of a QR code; "
                   "crop or shrink it", ENTSEC_QR_MAX_FILE_BYTES / (1024 * 1024));
      return NULL;
    }
  /* One byte over the cap, so a file that grew meanwhile is still caught. */
  bytes = g_input_stream_read_bytes (G_INPUT_STREAM (stream), ENTSEC_QR_MAX_FILE_BYTES + 1, NULL,
                                     &local_error);
  if (bytes == NULL)
    return read_error (local_error->message, error);
  return bytes;
}

EntsecQrResult *
entsec_qr_decode_file_sync (const char   *path,
                            GCancellable *cancellable,
                            GError      **error)
{
  g_autoptr (GBytes) bytes = NULL;
  gsize len;
  const guint8 *data;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  bytes = read_bounded (path, error);
  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &len);
  return entsec_qr_decode_bytes_sync (data != NULL ? data : (const guint8 *) "", len, cancellable,
                                      error);
}

static void
decode_file_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  GError *error = NULL;
  EntsecQrResult *result = entsec_qr_decode_file_sync (task_data, cancellable, &error);

  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) entsec_qr_result_free);
}

void
entsec_qr_decode_file_async (const char         *path,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (path != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, entsec_qr_decode_file_async);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, decode_file_thread);
}

EntsecQrResult *
entsec_qr_decode_file_finish (GAsyncResult *result,
                              GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == entsec_qr_decode_file_async,
                        NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
decode_bytes_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  GError *error = NULL;
  gsize len;
  const guint8 *data = g_bytes_get_data (task_data, &len);
  EntsecQrResult *result = NULL;

  if (!g_cancellable_set_error_if_cancelled (cancellable, &error))
    result = entsec_qr_decode_bytes_sync (data != NULL ? data : (const guint8 *) "", len,
                                          cancellable, &error);
  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) entsec_qr_result_free);
}

void
entsec_qr_decode_bytes_async (GBytes             *bytes,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (bytes != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, entsec_qr_decode_bytes_async);
  g_task_set_task_data (task, g_bytes_ref (bytes), (GDestroyNotify) g_bytes_unref);
  g_task_run_in_thread (task, decode_bytes_thread);
}

EntsecQrResult *
entsec_qr_decode_bytes_finish (GAsyncResult *result,
                               GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == entsec_qr_decode_bytes_async,
                        NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The error that keeps @code's accounts out, or NULL when all of them are good. */
static gboolean
check_authenticator_code (const EntsecQrCode *code,
                          GError            **error)
{
  if (code->error != NULL)
    {
      g_set_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_INVALID_CODE,
                   "The QR code holds an authenticator code that cannot be added: %s",
                   code->error->message);
      return FALSE;
    }
  if (code->entry_errors != NULL && code->entry_errors->len > 0)
    {
      const GError *first = code->entry_errors->pdata[0];

      g_set_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_INVALID_CODE,
                   "%u of the %u accounts in this export cannot be added, so none were: %s",
                   code->entry_errors->len, code->entry_errors->len + code->accounts->len,
                   first->message);
      return FALSE;
    }
  return TRUE;
}

GPtrArray *
entsec_qr_result_get_accounts (const EntsecQrResult *result,
                               GError              **error)
{
  g_autoptr (GPtrArray) accounts = NULL;

  g_return_val_if_fail (result != NULL, NULL);
  /* A result always holds a code: decoding fails instead of returning none. */
  g_return_val_if_fail (result->codes != NULL && result->codes->len > 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  for (guint i = 0; i < result->codes->len; i++)
    {
      const EntsecQrCode *code = result->codes->pdata[i];

      if (code->kind != ENTSEC_QR_KIND_OTPAUTH && code->kind != ENTSEC_QR_KIND_MIGRATION)
        continue;
      if (!check_authenticator_code (code, error))
        return NULL;
      for (guint j = 0; j < code->accounts->len; j++)
        g_ptr_array_add (accounts, entsec_account_copy (code->accounts->pdata[j]));
    }
  if (accounts->len == 0)
    {
      const EntsecQrCode *first = result->codes->pdata[0];

      g_set_error_literal (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_NOT_AUTHENTICATOR,
                           first->error != NULL ? first->error->message
                                                : "This QR code holds no account");
      return NULL;
    }
  return g_steal_pointer (&accounts);
}

GPtrArray *
entsec_qr_accounts_from_file_sync (const char   *path,
                                   GCancellable *cancellable,
                                   GError      **error)
{
  g_autoptr (EntsecQrResult) result = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  result = entsec_qr_decode_file_sync (path, cancellable, error);
  if (result == NULL)
    return NULL;
  return entsec_qr_result_get_accounts (result, error);
}
