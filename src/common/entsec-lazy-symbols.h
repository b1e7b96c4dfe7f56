/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-lazy-symbols.h: a library's functions opened on first use (GModule) */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A function to look up, and where its address goes in the caller's table
 * (offsetof() of a member typed __typeof__ (the_function) *). */
typedef struct
{
  const char *name;
  gsize       offset;
} EntsecLazySymbol;

/*
 * Opens @library (a soname) for good, as a library not linked at build time
 * is opened, and writes the address of each of @symbols into @table at its
 * offset. Returns FALSE with @error (G_IO_ERROR_NOT_FOUND) naming the library
 * and why it could not be opened, or the function it lacks; @table may then
 * be partly written. Thread-safe as GModule is; callers open their tables
 * once (entsec_lazy_library_get(), or their own g_once where opening takes
 * more than one library's symbols).
 */
gboolean entsec_lazy_symbols_open (const char             *library,
                                   const EntsecLazySymbol *symbols,
                                   gsize                   n_symbols,
                                   gpointer                table,
                                   GError                **error);

/*
 * A library opened at most once, whichever thread asks first: a static
 * initialised with its soname (a test may change it before the first call),
 * its functions and their table. @opened and @failure are the opener's.
 */
typedef struct
{
  const char             *soname;
  const EntsecLazySymbol *symbols;
  gsize                   n_symbols;
  gpointer                table;
  gsize                   opened;
  char                   *failure;
} EntsecLazyLibrary;

/*
 * @library's table, opened by entsec_lazy_symbols_open() on the first call;
 * every later call answers as the first did: the table, or NULL with the
 * same G_IO_ERROR_NOT_FOUND error (the failure is kept, not retried).
 */
gpointer entsec_lazy_library_get (EntsecLazyLibrary *library,
                                  GError           **error);

G_END_DECLS
