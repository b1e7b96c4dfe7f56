/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-lazy-symbols.c: a library's functions opened on first use (GModule) */

#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <gmodule.h>

#include "entsec-lazy-symbols.h"

gboolean
entsec_lazy_symbols_open (const char             *library,
                          const EntsecLazySymbol *symbols,
                          gsize                   n_symbols,
                          gpointer                table,
                          GError                **error)
{
  /* The library's own GModule when it is open already (libcurl opens libssl). */
  GModule *module = g_module_open (library, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);

  if (module == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s cannot be loaded (%s)", library,
                   g_module_error ());
      return FALSE;
    }
  /* Opened for good: the table keeps its functions. */
  g_module_make_resident (module);
  for (gsize i = 0; i < n_symbols; i++)
    {
      gpointer address = NULL;

      if (!g_module_symbol (module, symbols[i].name, &address) || address == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s has no %s", library,
                       symbols[i].name);
          return FALSE;
        }
      memcpy ((char *) table + symbols[i].offset, &address, sizeof address);
    }
  return TRUE;
}

gpointer
entsec_lazy_library_get (EntsecLazyLibrary *library,
                         GError           **error)
{
  if (g_once_init_enter (&library->opened))
    {
      g_autoptr (GError) local = NULL;

      if (!entsec_lazy_symbols_open (library->soname, library->symbols, library->n_symbols,
                                     library->table, &local))
        library->failure = g_strdup (local->message);
      g_once_init_leave (&library->opened, 1);
    }
  if (library->failure != NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, library->failure);
      return NULL;
    }
  return library->table;
}
