/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-proxy.h: the client address of a request that came through
 * trusted reverse proxies (the trusted_proxies setting and the
 * X-Forwarded-For header), for the per-address rate limit.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * Parse @value, the trusted_proxies setting: addresses and networks
 * (ADDRESS/BITS, host bits zero) separated by commas or spaces, IPv4 or
 * IPv6; "" is an empty list (X-Forwarded-For is then never read).
 * %ENTSEC_SERVER_ERROR_CONFIG names the entry that is neither.
 * Returns: (transfer full) (element-type GInetAddressMask) (nullable):
 *   free with g_ptr_array_unref().
 */
GPtrArray    *entsec_trusted_proxies_parse (const char *value,
                                            GError    **error);

/*
 * The client a request from @peer came from. When @peer is in @proxies,
 * the right-most entry of @forwarded_for (the X-Forwarded-For values, in
 * order, joined by commas; nullable) that is not in @proxies, since each
 * trusted proxy appends the address it was reached from and only those
 * appended by trusted proxies can be believed; when every entry is
 * trusted, the left-most; when an entry is not an address, the trusted
 * one to its right (or @peer). Otherwise @peer: a header from an
 * untrusted peer is never read. IPv4-mapped IPv6 addresses count as IPv4.
 * Returns: (transfer full): unref with g_object_unref().
 */
GInetAddress *entsec_trusted_proxies_client (GPtrArray    *proxies,
                                             GInetAddress *peer,
                                             const char   *forwarded_for);

G_END_DECLS
