/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-base64url.h: strict base64url (RFC 4648 section 5, no padding) */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* @len bytes as base64url without padding. Free with g_free(). */
char   *entsec_base64url_encode (const guint8 *data,
                                 gsize         len);

/*
 * Decode @text (@len bytes, or up to its NUL when -1). Only the canonical
 * form is accepted: the base64url alphabet, no padding, no white space, and
 * unused trailing bits zero. @what names the value in the error message.
 * Returns: (transfer full): the bytes, or NULL with %ENTSEC_PROTOCOL_ERROR_MALFORMED.
 */
GBytes *entsec_base64url_decode (const char *text,
                                 gssize      len,
                                 const char *what,
                                 GError    **error);

/*
 * The same for standard base64 with padding (RFC 4648 section 4), as
 * structured-field byte sequences and Content-Digest carry it.
 */
GBytes *entsec_base64_decode_strict (const char *text,
                                     gssize      len,
                                     const char *what,
                                     GError    **error);

G_END_DECLS
