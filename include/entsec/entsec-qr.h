/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-qr.h: QR codes from image files (album pictures, screenshots, photos) */
#pragma once

#if !defined(ENTSEC_INSIDE) && !defined(ENTSEC_COMPILATION)
#error "Only <entsec/entsec.h> can be included directly."
#endif

#include <gio/gio.h>

#include "entsec-account.h"
#include "entsec-macros.h"
#include "entsec-otpauth.h"

G_BEGIN_DECLS

/**
 * EntsecQrError:
 * @ENTSEC_QR_ERROR_READ: the file cannot be opened or read, or a decoder (libzbar,
 *   the zxing-cpp module) cannot be loaded (the message names the package to install)
 * @ENTSEC_QR_ERROR_EMPTY: the file is empty
 * @ENTSEC_QR_ERROR_FORMAT: not an image in a format that can be read
 * @ENTSEC_QR_ERROR_CORRUPT: the image is truncated or damaged
 * @ENTSEC_QR_ERROR_TOO_LARGE: file size or pixel dimensions over the limits below
 * @ENTSEC_QR_ERROR_ANIMATED: an animation (animated GIF or WebP)
 * @ENTSEC_QR_ERROR_NO_CODE: the image holds no QR code that could be read
 * @ENTSEC_QR_ERROR_NOT_AUTHENTICATOR: QR codes were read, but none is an authenticator code
 * @ENTSEC_QR_ERROR_INVALID_CODE: an authenticator code that its parser rejects
 * @ENTSEC_QR_ERROR_GAVE_UP: no code was read before the work an image may take
 *   (a quarter of a second of CPU time) ran out, so not every way of reading
 *   it was tried (a large, busy photo)
 *
 * Errors in the %ENTSEC_QR_ERROR domain; every message says what to do.
 */
typedef enum
{
  ENTSEC_QR_ERROR_READ,
  ENTSEC_QR_ERROR_EMPTY,
  ENTSEC_QR_ERROR_FORMAT,
  ENTSEC_QR_ERROR_CORRUPT,
  ENTSEC_QR_ERROR_TOO_LARGE,
  ENTSEC_QR_ERROR_ANIMATED,
  ENTSEC_QR_ERROR_NO_CODE,
  ENTSEC_QR_ERROR_NOT_AUTHENTICATOR,
  ENTSEC_QR_ERROR_INVALID_CODE,
  ENTSEC_QR_ERROR_GAVE_UP,
} EntsecQrError;

#define ENTSEC_QR_ERROR (entsec_qr_error_quark ())
/* Returns: the quark of the %ENTSEC_QR_ERROR domain. */
ENTSEC_EXPORT
GQuark entsec_qr_error_quark (void);

/* Limits checked before any pixel is decoded (decompression bombs). Larger
 * photos within them are downscaled while loading, never refused. The pixel
 * limits hold for formats that must be decoded whole (PNG, GIF, BMP, TIFF,
 * WebP, progressive JPEG); a sequential JPEG is scaled down by up to 8 while
 * it is decoded, so it may have up to ENTSEC_QR_MAX_JPEG_SIDE pixels a side
 * (libjpeg's own limit) and 64 times ENTSEC_QR_MAX_PIXELS; SVG is rendered
 * at a bounded size whatever size it declares. */
#define ENTSEC_QR_MAX_FILE_BYTES (64 * 1024 * 1024)
#define ENTSEC_QR_MAX_SIDE 16384
#define ENTSEC_QR_MAX_PIXELS (64 * 1000 * 1000)
#define ENTSEC_QR_MAX_JPEG_SIDE 65500

/**
 * EntsecQrKind:
 * @ENTSEC_QR_KIND_OTPAUTH: an otpauth:// URI (one account)
 * @ENTSEC_QR_KIND_MIGRATION: an otpauth-migration:// export (Google Authenticator)
 * @ENTSEC_QR_KIND_ENROLLMENT: an entsec:// enrollment link (not supported yet)
 * @ENTSEC_QR_KIND_URL: a web address or another URI
 * @ENTSEC_QR_KIND_TEXT: plain text
 * @ENTSEC_QR_KIND_BINARY: bytes that are not text
 *
 * What one QR code holds.
 */
typedef enum
{
  ENTSEC_QR_KIND_OTPAUTH,
  ENTSEC_QR_KIND_MIGRATION,
  ENTSEC_QR_KIND_ENROLLMENT,
  ENTSEC_QR_KIND_URL,
  ENTSEC_QR_KIND_TEXT,
  ENTSEC_QR_KIND_BINARY,
} EntsecQrKind;

/**
 * EntsecQrCode:
 * @kind: what the code holds
 * @data: the payload bytes exactly as encoded (may hold a secret: wiped on free)
 * @text: the payload as UTF-8 text (converted from Shift_JIS and the like when
 *   needed), or %NULL for binary data; wiped on free
 * @accounts: (element-type EntsecAccount): the accounts it yields (otpauth and
 *   migration codes whose parser accepted them; empty otherwise)
 * @warnings: the otpauth parser's warnings for an otpauth code
 * @error: why this code yields no account (not an authenticator code, or the
 *   parser's error), %NULL when @accounts is the whole content
 * @entry_errors: (element-type GError) (nullable): migration entries that were
 *   rejected; %NULL for every other kind
 * @batch_size, @batch_index: for a migration export spread over several codes
 *
 * One QR code read from an image, classified.
 */
typedef struct
{
  EntsecQrKind           kind;
  GBytes                *data;
  char                  *text;
  GPtrArray             *accounts;
  EntsecOtpauthWarnings  warnings;
  GError                *error;
  GPtrArray             *entry_errors;
  gint                   batch_size;
  gint                   batch_index;
} EntsecQrCode;

/**
 * EntsecQrResult:
 * @codes: (element-type EntsecQrCode): every code found, at least one
 * @width, @height: the image's size in pixels as stored in the file
 * @step: the pipeline step that found the codes (a static string, for
 *   diagnostics and the benchmark)
 *
 * What one image holds.
 */
typedef struct
{
  GPtrArray  *codes;
  guint       width;
  guint       height;
  const char *step;
} EntsecQrResult;

/*
 * Decode every QR code in an image held in memory, @data (array length=len)
 * (PNG, JPEG, GIF, BMP, TIFF, WebP or SVG, told apart by their first bytes; no
 * other gdk-pixbuf loader sees the data) and classify each payload.
 * Returns: (transfer full) (nullable): the codes, or NULL with an
 *   %ENTSEC_QR_ERROR when the image cannot be read or holds no code
 *   (%ENTSEC_QR_ERROR_GAVE_UP when the work an image may take ran out
 *   first); free with entsec_qr_result_free().
 */
ENTSEC_EXPORT
EntsecQrResult *entsec_qr_decode_bytes_sync (const guint8 *data,
                                             gsize         len,
                                             GCancellable *cancellable,
                                             GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * Decode every QR code in one raw 8-bit grey frame (GRAY8, a camera's or a
 * video's): @pixels (array) holds @height rows of @stride bytes, of which
 * the first @width are pixels. Fails with %ENTSEC_QR_ERROR_FORMAT on a bad
 * geometry, %ENTSEC_QR_ERROR_TOO_LARGE over the limits above and
 * %ENTSEC_QR_ERROR_NO_CODE when the frame holds no code. Blocking: call it
 * off the main thread, at a limited frame rate.
 * Returns: (transfer full) (nullable): as entsec_qr_decode_bytes_sync().
 */
ENTSEC_EXPORT
EntsecQrResult *entsec_qr_decode_grey_sync (const guint8 *pixels,
                                            guint         width,
                                            guint         height,
                                            gsize         stride,
                                            GCancellable *cancellable,
                                            GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * As entsec_qr_decode_bytes_sync(), for a file; blocking (see the _async pair).
 * @cancellable: (nullable). Returns: (transfer full) (nullable): as above.
 */
ENTSEC_EXPORT
EntsecQrResult *entsec_qr_decode_file_sync (const char   *path,
                                            GCancellable *cancellable,
                                            GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * Decode @path (copied) in a worker thread; @callback runs in the caller's
 * main context. @cancellable: (nullable).
 */
ENTSEC_EXPORT
void            entsec_qr_decode_file_async (const char         *path,
                                             GCancellable       *cancellable,
                                             GAsyncReadyCallback callback,
                                             gpointer            user_data);
/* Returns: (transfer full) (nullable): free with entsec_qr_result_free(). */
ENTSEC_EXPORT
EntsecQrResult *entsec_qr_decode_file_finish (GAsyncResult *result,
                                              GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * As entsec_qr_decode_bytes_sync() on @bytes ((transfer none), a reference is
 * kept until the task ends), in a worker thread. @cancellable: (nullable).
 */
ENTSEC_EXPORT
void            entsec_qr_decode_bytes_async (GBytes             *bytes,
                                              GCancellable       *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer            user_data);
/* Returns: (transfer full) (nullable): free with entsec_qr_result_free(). */
ENTSEC_EXPORT
EntsecQrResult *entsec_qr_decode_bytes_finish (GAsyncResult *result,
                                               GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/* Free @result ((transfer full) (nullable)) and every code in it. */
ENTSEC_EXPORT
void entsec_qr_result_free (EntsecQrResult *result);

/*
 * All the accounts of @result as new copies, for adding them in one go.
 * Strict, so that nothing is half-added: fails with
 * %ENTSEC_QR_ERROR_INVALID_CODE when an authenticator code (or an entry of a
 * migration export) was rejected, and with
 * %ENTSEC_QR_ERROR_NOT_AUTHENTICATOR when no code holds an account. Codes
 * that are not authenticator codes beside good ones are skipped.
 * Returns: (transfer full) (element-type EntsecAccount) (nullable): free with
 *   g_ptr_array_unref().
 */
ENTSEC_EXPORT
GPtrArray *entsec_qr_result_get_accounts (const EntsecQrResult *result,
                                          GError              **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * One image file to its accounts, or one precise error for the file: the
 * call `entsec-cli add --image` makes per file. @cancellable: (nullable).
 * Returns: (transfer full) (element-type EntsecAccount) (nullable): free with
 *   g_ptr_array_unref().
 */
ENTSEC_EXPORT
GPtrArray *entsec_qr_accounts_from_file_sync (const char   *path,
                                              GCancellable *cancellable,
                                              GError      **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * A stable lower-case name for @kind ("otpauth", "otpauth-migration", "url", ...).
 * Returns: (transfer none): a static string.
 */
ENTSEC_EXPORT
const char *entsec_qr_kind_to_string (EntsecQrKind kind);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecQrResult, entsec_qr_result_free)

G_END_DECLS
