/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-tls-anchor.h: the pin-as-anchor rule of a TLS chain check, OpenSSL
 * only (no GLib), shared by libentsec's HTTP layer and pam_entsec.so.
 */

#pragma once

#include <openssl/x509_vfy.h>

/*
 * An X509_STORE_CTX verify callback for a connection whose anchor is a
 * pinned key, checked elsewhere: a chain no CA vouches for is fine; every
 * other check (validity dates, signatures, host name) stays.
 */
static inline int
entsec_tls_forgive_untrusted (int             ok,
                              X509_STORE_CTX *ctx)
{
  switch (X509_STORE_CTX_get_error (ctx))
    {
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
      X509_STORE_CTX_set_error (ctx, X509_V_OK);
      return 1;
    default:
      return ok;
    }
}
