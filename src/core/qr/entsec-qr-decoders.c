/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-qr-decoders.c: libzbar and the zxing-cpp module opened on the first decode (GModule) */

/* secure_getenv() */
#define _GNU_SOURCE

#include "config.h"

#define G_LOG_DOMAIN "entsec-qr"

#include <stddef.h>
#include <stdlib.h>

#include <entsec/entsec.h>

#include "entsec-lazy-symbols.h"
#include "entsec-qr-decoders.h"

#define ZBAR_SONAME "libzbar.so.0"
#define ZXING_MODULE "entsec-qr-zxing.so"

#define SYMBOL(type, name, field) { name, offsetof (type, field) }

static const EntsecLazySymbol zbar_symbols[] = {
  SYMBOL (EntsecQrZbar, "zbar_image_scanner_create", image_scanner_create),
  SYMBOL (EntsecQrZbar, "zbar_image_scanner_destroy", image_scanner_destroy),
  SYMBOL (EntsecQrZbar, "zbar_image_scanner_set_config", image_scanner_set_config),
  SYMBOL (EntsecQrZbar, "zbar_scan_image", scan_image),
  SYMBOL (EntsecQrZbar, "zbar_image_create", image_create),
  SYMBOL (EntsecQrZbar, "zbar_image_destroy", image_destroy),
  SYMBOL (EntsecQrZbar, "zbar_image_set_format", image_set_format),
  SYMBOL (EntsecQrZbar, "zbar_image_set_size", image_set_size),
  SYMBOL (EntsecQrZbar, "zbar_image_set_data", image_set_data),
  SYMBOL (EntsecQrZbar, "zbar_image_first_symbol", image_first_symbol),
  SYMBOL (EntsecQrZbar, "zbar_symbol_next", symbol_next),
  SYMBOL (EntsecQrZbar, "zbar_symbol_get_type", symbol_get_type),
  SYMBOL (EntsecQrZbar, "zbar_symbol_get_data", symbol_get_data),
  SYMBOL (EntsecQrZbar, "zbar_symbol_get_data_length", symbol_get_data_length),
};

#ifdef ENTSEC_HAVE_ZXING
static const EntsecLazySymbol zxing_symbols[] = {
  SYMBOL (EntsecQrZxing, "entsec_qr_zxing_scan", scan),
};
#endif

static EntsecQrZbar zbar_table;
static EntsecQrZxing zxing_table;
static const char *zbar_soname = ZBAR_SONAME;
static gsize opened;
static char *open_failure;

void
entsec_qr_zbar_set_soname_for_test (const char *soname)
{
  zbar_soname = soname;
}

/* @library's functions into @table, or the sentence to give every decode from now on. */
static char *
open_library (const char             *what,
              const char             *library,
              const EntsecLazySymbol *symbols,
              gsize                   n_symbols,
              gpointer                table,
              const char             *package)
{
  g_autoptr (GError) error = NULL;

  if (entsec_lazy_symbols_open (library, symbols, n_symbols, table, &error))
    return NULL;
  return g_strdup_printf ("Reading QR codes needs %s: %s; install the %s package", what,
                          error->message, package);
}

static char *
open_all (void)
{
  char *failure = open_library ("libzbar", zbar_soname, zbar_symbols, G_N_ELEMENTS (zbar_symbols),
                                &zbar_table, "libzbar0");
#ifdef ENTSEC_HAVE_ZXING
  /* Not in a set-user-ID or otherwise secure-execution process: the
   * variable chooses code to load. */
  const char *dir = secure_getenv ("ENTSEC_QR_MODULE_DIR");
  g_autofree char *module = g_build_filename (dir != NULL ? dir : ENTSEC_QR_MODULEDIR,
                                              ZXING_MODULE, NULL);

  if (failure == NULL)
    failure = open_library ("entsec's zxing-cpp module", module, zxing_symbols,
                            G_N_ELEMENTS (zxing_symbols), &zxing_table, "libentsec0");
#endif
  return failure;
}

gboolean
entsec_qr_decoders_open (GError **error)
{
  if (g_once_init_enter (&opened))
    {
      open_failure = open_all ();
      g_once_init_leave (&opened, 1);
    }
  if (open_failure != NULL)
    {
      g_set_error_literal (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_READ, open_failure);
      return FALSE;
    }
  return TRUE;
}

const EntsecQrZbar *
entsec_qr_zbar_get (void)
{
  return entsec_qr_decoders_open (NULL) ? &zbar_table : NULL;
}

const EntsecQrZxing *
entsec_qr_zxing_get (void)
{
  return entsec_qr_decoders_open (NULL) ? &zxing_table : NULL;
}
