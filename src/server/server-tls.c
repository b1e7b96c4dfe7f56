/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-tls.c: certificate and key loaded with GnuTLS (libmicrohttpd's TLS
 * in Debian), swapped under a lock at reload. Every set ever loaded stays
 * until the end: a handshake that got one may still use it, and a reload is
 * rare enough that keeping a few KiB each time costs nothing.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include <gnutls/x509.h>
#include <microhttpd.h>
#include <openssl/crypto.h>

#include "server-private.h"
#include "server-tls.h"

/* Certificates in a chain file, at most. */
#define CHAIN_MAX 16

typedef struct
{
  gnutls_pcert_st  certs[CHAIN_MAX];
  unsigned int     n_certs;
  gnutls_privkey_t key;
  char            *serial;  /* hex */
  gint64           expires; /* Unix seconds */
} Credentials;

struct _EntsecTls
{
  char        *cert_path;
  char        *key_path;
  GMutex       lock;
  Credentials *current;
  GPtrArray   *loaded; /* every Credentials, the current one last */
};

static void
credentials_free (Credentials *creds)
{
  for (unsigned int i = 0; i < creds->n_certs; i++)
    gnutls_pcert_deinit (&creds->certs[i]);
  if (creds->key != NULL)
    gnutls_privkey_deinit (creds->key);
  g_free (creds->serial);
  g_free (creds);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Credentials, credentials_free)

static gboolean
crypto_error (GError    **error,
              const char *path,
              const char *what,
              int         code)
{
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CRYPTO,
               "%s: %s (%s)", path, what, gnutls_strerror (code));
  return FALSE;
}

/* The DER of a public key, to compare the key with the certificate's. */
static gboolean
pubkey_der (gnutls_pubkey_t  pubkey,
            gnutls_datum_t  *der)
{
  return gnutls_pubkey_export2 (pubkey, GNUTLS_X509_FMT_DER, der) == 0;
}

static gboolean
key_matches (Credentials *creds)
{
  gnutls_pubkey_t from_key = NULL;
  gnutls_datum_t a = { NULL, 0 }, b = { NULL, 0 };
  gboolean same = FALSE;

  if (gnutls_pubkey_init (&from_key) == 0
      && gnutls_pubkey_import_privkey (from_key, creds->key, 0, 0) == 0
      && pubkey_der (from_key, &a) && pubkey_der (creds->certs[0].pubkey, &b))
    same = a.size == b.size && CRYPTO_memcmp (a.data, b.data, a.size) == 0;
  gnutls_free (a.data);
  gnutls_free (b.data);
  if (from_key != NULL)
    gnutls_pubkey_deinit (from_key);
  return same;
}

static gboolean
load_key (Credentials *creds,
          const char  *path,
          GError     **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *pem = NULL;
  gsize len = 0;
  gnutls_datum_t data;
  int code;

  if (!g_file_get_contents (path, &pem, &len, &local_error))
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_IO,
                   "Cannot read the TLS key: %s", local_error->message);
      return FALSE;
    }
  data = (gnutls_datum_t) { (unsigned char *) pem, (unsigned int) len };
  code = gnutls_privkey_init (&creds->key);
  if (code == 0)
    code = gnutls_privkey_import_x509_raw (creds->key, &data, GNUTLS_X509_FMT_PEM, NULL, 0);
  OPENSSL_cleanse (pem, len);
  if (code != 0)
    return crypto_error (error, path, "not a PEM private key without a passphrase", code);
  return TRUE;
}

/* The serial number (hex) and expiry of the first certificate, for the log
 * and the metrics. */
static void
describe (Credentials *creds)
{
  gnutls_x509_crt_t crt = NULL;
  guint8 serial[64];
  size_t len = sizeof serial;
  GString *hex = g_string_new (NULL);

  if (gnutls_x509_crt_init (&crt) == 0
      && gnutls_x509_crt_import (crt, &creds->certs[0].cert, GNUTLS_X509_FMT_DER) == 0)
    {
      if (gnutls_x509_crt_get_serial (crt, serial, &len) == 0)
        for (size_t i = 0; i < len; i++)
          g_string_append_printf (hex, "%02x", serial[i]);
      creds->expires = MAX (gnutls_x509_crt_get_expiration_time (crt), 0);
    }
  if (crt != NULL)
    gnutls_x509_crt_deinit (crt);
  creds->serial = g_string_free (hex, FALSE);
}

static Credentials *
load (const char *cert_path,
      const char *key_path,
      GError    **error)
{
  g_autoptr (Credentials) creds = g_new0 (Credentials, 1);
  g_autoptr (GError) local_error = NULL;
  g_autofree char *pem = NULL;
  gsize len = 0;
  gnutls_datum_t data;
  int code;

  if (!g_file_get_contents (cert_path, &pem, &len, &local_error))
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_IO,
                   "Cannot read the TLS certificate: %s", local_error->message);
      return NULL;
    }
  data = (gnutls_datum_t) { (unsigned char *) pem, (unsigned int) len };
  creds->n_certs = CHAIN_MAX;
  code = gnutls_pcert_list_import_x509_raw (creds->certs, &creds->n_certs, &data,
                                            GNUTLS_X509_FMT_PEM, 0);
  if (code != 0 || creds->n_certs == 0)
    {
      creds->n_certs = 0;
      crypto_error (error, cert_path, "not a PEM certificate chain of at most 16 certificates",
                    code);
      return NULL;
    }
  if (!load_key (creds, key_path, error))
    return NULL;
  if (!key_matches (creds))
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CRYPTO,
                   "%s is not the key of the first certificate in %s", key_path, cert_path);
      return NULL;
    }
  describe (creds);
  return g_steal_pointer (&creds);
}

EntsecTls *
entsec_tls_new (const char *cert_path,
                const char *key_path,
                GError    **error)
{
  EntsecTls *tls;
  Credentials *creds = load (cert_path, key_path, error);

  if (creds == NULL)
    return NULL;
  tls = g_new0 (EntsecTls, 1);
  tls->cert_path = g_strdup (cert_path);
  tls->key_path = g_strdup (key_path);
  g_mutex_init (&tls->lock);
  tls->loaded = g_ptr_array_new_with_free_func ((GDestroyNotify) credentials_free);
  g_ptr_array_add (tls->loaded, creds);
  tls->current = creds;
  return tls;
}

gboolean
entsec_tls_reload (EntsecTls *tls,
                   GError   **error)
{
  Credentials *creds;

  g_return_val_if_fail (tls != NULL, FALSE);

  creds = load (tls->cert_path, tls->key_path, error);
  if (creds == NULL)
    return FALSE;
  g_mutex_lock (&tls->lock);
  g_ptr_array_add (tls->loaded, creds);
  tls->current = creds;
  g_mutex_unlock (&tls->lock);
  return TRUE;
}

char *
entsec_tls_serial (EntsecTls *tls)
{
  char *serial;

  g_mutex_lock (&tls->lock);
  serial = g_strdup (tls->current->serial);
  g_mutex_unlock (&tls->lock);
  return serial;
}

gint64
entsec_tls_expires (EntsecTls *tls)
{
  gint64 expires;

  g_mutex_lock (&tls->lock);
  expires = tls->current->expires;
  g_mutex_unlock (&tls->lock);
  return expires;
}

void
entsec_tls_free (EntsecTls *tls)
{
  if (tls == NULL)
    return;
  g_ptr_array_unref (tls->loaded);
  g_mutex_clear (&tls->lock);
  g_free (tls->cert_path);
  g_free (tls->key_path);
  g_free (tls);
}

int
entsec_tls_retrieve (gnutls_session_t             session,
                     const gnutls_datum_t        *req_ca_dn,
                     int                          n_req_ca_dn,
                     const gnutls_pk_algorithm_t *pk_algos,
                     int                          n_pk_algos,
                     gnutls_pcert_st            **pcert,
                     unsigned int                *pcert_length,
                     gnutls_privkey_t            *key)
{
  struct MHD_Connection *connection = gnutls_session_get_ptr (session);
  const union MHD_ConnectionInfo *info = connection != NULL
    ? MHD_get_connection_info (connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT) : NULL;
  EntsecTls *tls = info != NULL ? info->socket_context : NULL;

  if (tls == NULL)
    return -1;
  g_mutex_lock (&tls->lock);
  *pcert = tls->current->certs;
  *pcert_length = tls->current->n_certs;
  *key = tls->current->key;
  g_mutex_unlock (&tls->lock);
  return 0;
}
