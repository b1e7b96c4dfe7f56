/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-curl-loader.c: libcurl opened on the first HTTPS call (GModule) */

#include "config.h"

#define G_LOG_DOMAIN "entsec-http"

#include <stddef.h>

#include <entsec/entsec.h>

#include "entsec-curl-loader.h"
#include "entsec-lazy-symbols.h"

#define CURL_SONAME "libcurl.so.4"
#define SSL_SONAME "libssl.so.3"
/* CURLOPT_PROTOCOLS_STR came in 7.85; Debian 12 has 7.88 */
#define CURL_MIN_VERSION 0x075800

#define SYMBOL(name, field) { name, offsetof (EntsecCurl, field) }

static const EntsecLazySymbol curl_symbols[] = {
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

static const EntsecLazySymbol ssl_symbols[] = {
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

/* @library's functions into the table, or an error saying what to install. */
static gboolean
open_library (const char             *library,
              const EntsecLazySymbol *symbols,
              gsize                   n_symbols,
              const char             *package,
              GError                **error)
{
  g_autoptr (GError) local = NULL;

  if (entsec_lazy_symbols_open (library, symbols, n_symbols, &table, &local))
    return TRUE;
  g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_TLS,
               "Connecting to a server needs %s: %s; install the %s package", library,
               local->message, package);
  return FALSE;
}

static gboolean
load (GError **error)
{
  const curl_version_info_data *info;

  if (!open_library (curl_soname, curl_symbols, G_N_ELEMENTS (curl_symbols), "libcurl4", error))
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
  if (!open_library (SSL_SONAME, ssl_symbols, G_N_ELEMENTS (ssl_symbols), "libssl3", error))
    return FALSE;
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
