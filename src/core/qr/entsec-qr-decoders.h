/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-qr-decoders.h: libzbar, and the zxing-cpp module where it is built,
 * opened the first time a picture is decoded, not linked. libzbar brings
 * libdbus-1, libsystemd, libv4l2 and their own dependencies into every
 * process that links it, zxing-cpp libZXing and the C++ runtime; a start
 * that decodes no picture maps none of them.
 */
#pragma once

#include <glib.h>
#include <zbar.h>

#include "entsec-qr-zxing.h"

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

/* The zxing-cpp module's one entry point (entsec-qr-zxing.cpp). */
typedef struct
{
  __typeof__ (entsec_qr_zxing_scan) *scan;
} EntsecQrZxing;

/*
 * Open libzbar.so.0 and, where it is built, the zxing-cpp module, once per
 * process (any thread). Returns FALSE with an %ENTSEC_QR_ERROR_READ error
 * that names what is missing and the Debian package to install (libzbar0,
 * libentsec0); a failure is kept: later calls fail the same way. The
 * module is ENTSEC_QR_MODULEDIR/entsec-qr-zxing.so, or in the directory
 * $ENTSEC_QR_MODULE_DIR names (the build tree's, for the tests).
 */
gboolean entsec_qr_decoders_open (GError **error);

/* Returns: (transfer none): the tables, once entsec_qr_decoders_open() succeeded; else NULL. */
const EntsecQrZbar  *entsec_qr_zbar_get (void);
const EntsecQrZxing *entsec_qr_zxing_get (void);

/* Tests only, before the first decode: open @soname instead of libzbar.so.0. */
void entsec_qr_zbar_set_soname_for_test (const char *soname);

G_END_DECLS
