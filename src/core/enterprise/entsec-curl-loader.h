/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-curl-loader.h: libcurl (and the three libssl calls of the TLS
 * callback) opened on the first HTTPS call, not installed. libentsec does not
 * link them: a process that never talks to a server never maps libcurl's
 * tree (gnutls, krb5, ldap, ssh2, ...).
 */
#pragma once

#include <glib.h>
#include <curl/curl.h>
#include <openssl/ssl.h>

G_BEGIN_DECLS

/* What entsec-http.c calls, with curl's and OpenSSL's own prototypes. */
typedef struct
{
  __typeof__ (curl_global_init) *global_init;
  __typeof__ (curl_version_info) *version_info;
  __typeof__ (curl_easy_init) *easy_init;
  /* curl_easy_setopt and _getinfo are also type-checking macros (typecheck-gcc.h):
   * without parentheses, the names are the functions */
  __typeof__ (curl_easy_setopt) *easy_setopt;
  __typeof__ (curl_easy_getinfo) *easy_getinfo;
  __typeof__ (curl_easy_perform) *easy_perform;
  __typeof__ (curl_easy_cleanup) *easy_cleanup;
  __typeof__ (curl_easy_strerror) *easy_strerror;
  __typeof__ (curl_slist_append) *slist_append;
  __typeof__ (curl_slist_free_all) *slist_free_all;
  __typeof__ (curl_url) *url;
  __typeof__ (curl_url_set) *url_set;
  __typeof__ (curl_url_get) *url_get;
  __typeof__ (curl_url_cleanup) *url_cleanup;
  __typeof__ (curl_free) *free;
  __typeof__ (curl_getdate) *getdate;
  /* libssl.so.3, which libcurl's OpenSSL backend has loaded already */
  __typeof__ (SSL_CTX_set_cert_verify_callback) *ssl_ctx_set_cert_verify_callback;
  __typeof__ (SSL_CTX_set_msg_callback) *ssl_ctx_set_msg_callback;
  __typeof__ (SSL_CTX_ctrl) *ssl_ctx_ctrl;   /* behind SSL_CTX_set_msg_callback_arg() */
} EntsecCurl;

/*
 * libcurl.so.4, loaded and curl_global_init()ed once per process (any
 * thread). Returns: (transfer none) (nullable): the table, or NULL with an
 * %ENTSEC_NET_ERROR_TLS error that names the missing library and its Debian
 * package (libcurl4); a failure is kept: later calls fail the same way.
 */
const EntsecCurl *entsec_curl_get (GError **error);

/* Tests only, before the first entsec_curl_get(): open @soname instead of libcurl.so.4. */
void entsec_curl_set_soname_for_test (const char *soname);

G_END_DECLS
