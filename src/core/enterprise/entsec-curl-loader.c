/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-curl-loader.c: libcurl opened on the first HTTPS call (GModule) */

#include "config.h"

#define G_LOG_DOMAIN "entsec-http"

#include <stddef.h>
#include <string.h>

#include <gmodule.h>
#include <entsec/entsec.h>

#include "entsec-curl-loader.h"

#define CURL_SONAME "libcurl.so.4"
#define SSL_SONAME "libssl.so.3"
/* CURLOPT_PROTOCOLS_STR came in 7.85; Debian 12 has 7.88 */
#define CURL_MIN_VERSION 0x075800

typedef struct
{
  const char *name;
  gsize offset;
} Symbol;

#define SYMBOL(name, field) { name, offsetof (EntsecCurl, field) }

static const Symbol curl_symbols[] = {
  SYMBOL ("curl_global_init", global_init),
  SYMBOL ("curl_version_info", version_info),
  SYMBOL ("curl_easy_init", easy_init),
  SYMBOL ("curl_easy_setopt", easy_setopt),
  SYMBOL ("curl_easy_getinfo", easy_getinfo),
  SYMBOL ("curl_easy_perform", easy_perform),
  SYMBOL ("curl_easy_cleanup", easy_cleanup),
  SYMBOL ("curl_easy_strerror", easy_strerror),
  SYMBOL ("curl_slist_append", slist_append),
  SYMBOL ("curl_slist_free_all", slist_free_all),
  SYMBOL ("curl_url", url),
  SYMBOL ("curl_url_set", url_set),
  SYMBOL ("curl_url_get", url_get),
  SYMBOL ("curl_url_cleanup", url_cleanup),
  SYMBOL ("curl_free", free),
  SYMBOL ("curl_getdate", getdate),
};

static const Symbol ssl_symbols[] = {
  SYMBOL ("SSL_CTX_set_cert_verify_callback", ssl_ctx_set_cert_verify_callback),
  SYMBOL ("SSL_CTX_set_msg_callback", ssl_ctx_set_msg_callback),
  SYMBOL ("SSL_CTX_ctrl", ssl_ctx_ctrl),
};

static EntsecCurl table;
static const char *curl_soname = CURL_SONAME;
static char *load_failure;

void
entsec_curl_set_soname_for_test (const char *soname)
{
  curl_soname = soname;
}

/* Opens @soname for good (its functions are kept in the table). */
static GModule *
open_library (const char  *soname,
              const char  *package,
              GError     **error)
{
  GModule *module = g_module_open (soname, G_MODULE_BIND_LAZY | G_MODULE_BIND_LOCAL);

  if (module == NULL)
    {
      g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_TLS,
                   "Connecting to a server needs %s, which cannot be loaded (%s): install "
                   "the %s package", soname, g_module_error (), package);
      return NULL;
    }
  g_module_make_resident (module);
  return module;
}

static gboolean
resolve (GModule       *module,
         const Symbol  *symbols,
         gsize          n_symbols,
         const char    *package,
         GError       **error)
{
  for (gsize i = 0; i < n_symbols; i++)
    {
      gpointer address = NULL;

      if (!g_module_symbol (module, symbols[i].name, &address) || address == NULL)
        {
          g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_TLS,
                       "%s has no %s: install the %s package of this system",
                       g_module_name (module), symbols[i].name, package);
          return FALSE;
        }
      memcpy ((char *) &table + symbols[i].offset, &address, sizeof address);
    }
  return TRUE;
}

static gboolean
load (GError **error)
{
  GModule *curl = open_library (curl_soname, "libcurl4", error);
  const curl_version_info_data *info;

  if (curl == NULL || !resolve (curl, curl_symbols, G_N_ELEMENTS (curl_symbols), "libcurl4", error))
    return FALSE;
  /* The certificate checks of entsec-http.c are OpenSSL callbacks on libcurl's SSL_CTX. */
  info = table.version_info (CURLVERSION_NOW);
  if (info->ssl_version == NULL || !g_str_has_prefix (info->ssl_version, "OpenSSL/")
      || info->version_num < CURL_MIN_VERSION)
    {
      g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_TLS,
                   "%s is libcurl %s with %s: entsec needs libcurl 7.88 or newer built "
                   "with OpenSSL (Debian's libcurl4 package)", curl_soname, info->version,
                   info->ssl_version != NULL ? info->ssl_version : "no TLS");
      return FALSE;
    }
  {
    GModule *ssl = open_library (SSL_SONAME, "libssl3", error);

    if (ssl == NULL || !resolve (ssl, ssl_symbols, G_N_ELEMENTS (ssl_symbols), "libssl3", error))
      return FALSE;
  }
  if (table.global_init (CURL_GLOBAL_DEFAULT) != CURLE_OK)
    {
      g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_TLS,
                   "%s could not be initialised (out of memory?)", curl_soname);
      return FALSE;
    }
  return TRUE;
}

const EntsecCurl *
entsec_curl_get (GError **error)
{
  static gsize loaded = 0;

  if (g_once_init_enter (&loaded))
    {
      g_autoptr (GError) failure = NULL;

      if (!load (&failure))
        load_failure = g_strdup (failure->message);
      g_once_init_leave (&loaded, 1);
    }
  if (load_failure != NULL)
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_TLS, load_failure);
      return NULL;
    }
  return &table;
}
