/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-qr-zbar.h: libzbar opened the first time a picture is decoded, not
 * linked. libzbar brings libdbus-1, libsystemd, libv4l2 and their own
 * dependencies into every process that links it; a start that decodes no
 * picture maps none of them.
 */
#pragma once

#include <glib.h>
#include <zbar.h>

G_BEGIN_DECLS

/* What entsec-qr-scan.c calls, with zbar's own prototypes. */
typedef struct
{
  __typeof__ (zbar_image_scanner_create) *image_scanner_create;
  __typeof__ (zbar_image_scanner_destroy) *image_scanner_destroy;
  __typeof__ (zbar_image_scanner_set_config) *image_scanner_set_config;
  __typeof__ (zbar_scan_image) *scan_image;
  __typeof__ (zbar_image_create) *image_create;
  __typeof__ (zbar_image_destroy) *image_destroy;
  __typeof__ (zbar_image_set_format) *image_set_format;
  __typeof__ (zbar_image_set_size) *image_set_size;
  __typeof__ (zbar_image_set_data) *image_set_data;
  __typeof__ (zbar_image_first_symbol) *image_first_symbol;
  __typeof__ (zbar_symbol_next) *symbol_next;
  __typeof__ (zbar_symbol_get_type) *symbol_get_type;
  __typeof__ (zbar_symbol_get_data) *symbol_get_data;
  __typeof__ (zbar_symbol_get_data_length) *symbol_get_data_length;
} EntsecQrZbar;

/*
 * libzbar.so.0, opened once per process (any thread). Returns: (transfer
 * none) (nullable): the table, or NULL with an %ENTSEC_QR_ERROR_READ error
 * that names the missing library and its Debian package (libzbar0); a
 * failure is kept: later calls fail the same way.
 */
const EntsecQrZbar *entsec_qr_zbar_get (GError **error);

/* Tests only, before the first entsec_qr_zbar_get(): open @soname instead of libzbar.so.0. */
void entsec_qr_zbar_set_soname_for_test (const char *soname);

G_END_DECLS
