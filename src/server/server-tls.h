/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-tls.h: the server's certificate and key as GnuTLS credentials that
 * can be replaced while the server runs (SIGHUP). libmicrohttpd 0.9.75 has
 * no reload call; it asks MHD_OPTION_HTTPS_CERT_CALLBACK for the
 * credentials at each handshake, so a reload changes what new connections
 * get and leaves open ones alone.
 */
#pragma once

#include <glib.h>
#include <gnutls/abstract.h>

G_BEGIN_DECLS

typedef struct _EntsecTls EntsecTls;

/*
 * Load the PEM chain at @cert_path and the PEM key at @key_path. Errors:
 * %ENTSEC_SERVER_ERROR_IO (unreadable), %ENTSEC_SERVER_ERROR_CRYPTO (not a
 * certificate or key, or a key that is not the certificate's).
 * Returns: (transfer full) (nullable): free with entsec_tls_free().
 */
EntsecTls *entsec_tls_new (const char *cert_path,
                           const char *key_path,
                           GError    **error);

/* Read both files again; on any error the credentials in use stay. */
gboolean   entsec_tls_reload (EntsecTls *tls,
                              GError   **error);

/* The serial number of the certificate in use, in hex (for the log).
 * Returns: (transfer full): free with g_free(). */
char      *entsec_tls_serial (EntsecTls *tls);

/* When the certificate in use expires, Unix seconds (0: unknown). */
gint64     entsec_tls_expires (EntsecTls *tls);

/* Free, once no connection can use the credentials any more (after
 * MHD_stop_daemon()). */
void       entsec_tls_free (EntsecTls *tls);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecTls, entsec_tls_free)

/*
 * For MHD_OPTION_HTTPS_CERT_CALLBACK: answers with the credentials in use
 * of the EntsecTls that is the connection's socket context (set by the
 * server's MHD_OPTION_NOTIFY_CONNECTION callback when it starts).
 */
int        entsec_tls_retrieve (gnutls_session_t             session,
                                const gnutls_datum_t        *req_ca_dn,
                                int                          n_req_ca_dn,
                                const gnutls_pk_algorithm_t *pk_algos,
                                int                          n_pk_algos,
                                gnutls_pcert_st            **pcert,
                                unsigned int                *pcert_length,
                                gnutls_privkey_t            *key);

G_END_DECLS
