/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-qr-zbar.c: libzbar opened the first time a picture is decoded (GModule) */

#include "config.h"

#define G_LOG_DOMAIN "entsec-qr"

#include <stddef.h>

#include <entsec/entsec.h>

#include "entsec-lazy-symbols.h"
#include "entsec-qr-zbar.h"

#define ZBAR_SONAME "libzbar.so.0"

#define SYMBOL(name, field) { name, offsetof (EntsecQrZbar, field) }

static const EntsecLazySymbol zbar_symbols[] = {
  SYMBOL ("zbar_image_scanner_create", image_scanner_create),
  SYMBOL ("zbar_image_scanner_destroy", image_scanner_destroy),
  SYMBOL ("zbar_image_scanner_set_config", image_scanner_set_config),
  SYMBOL ("zbar_scan_image", scan_image),
  SYMBOL ("zbar_image_create", image_create),
  SYMBOL ("zbar_image_destroy", image_destroy),
  SYMBOL ("zbar_image_set_format", image_set_format),
  SYMBOL ("zbar_image_set_size", image_set_size),
  SYMBOL ("zbar_image_set_data", image_set_data),
  SYMBOL ("zbar_image_first_symbol", image_first_symbol),
  SYMBOL ("zbar_symbol_next", symbol_next),
  SYMBOL ("zbar_symbol_get_type", symbol_get_type),
  SYMBOL ("zbar_symbol_get_data", symbol_get_data),
  SYMBOL ("zbar_symbol_get_data_length", symbol_get_data_length),
};

static EntsecQrZbar table;
static const char *zbar_soname = ZBAR_SONAME;
static char *load_failure;

void
entsec_qr_zbar_set_soname_for_test (const char *soname)
{
  zbar_soname = soname;
}

const EntsecQrZbar *
entsec_qr_zbar_get (GError **error)
{
  static gsize loaded = 0;

  if (g_once_init_enter (&loaded))
    {
      g_autoptr (GError) failure = NULL;

      if (!entsec_lazy_symbols_open (zbar_soname, zbar_symbols, G_N_ELEMENTS (zbar_symbols),
                                     &table, &failure))
        load_failure = g_strdup_printf ("Reading QR codes needs %s: %s; install the libzbar0 "
                                        "package", zbar_soname, failure->message);
      g_once_init_leave (&loaded, 1);
    }
  if (load_failure != NULL)
    {
      g_set_error_literal (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_READ, load_failure);
      return NULL;
    }
  return &table;
}
