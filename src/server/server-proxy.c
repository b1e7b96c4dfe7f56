/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-proxy.c: the client address behind trusted reverse proxies.
 * Addresses and networks are GLib's (GInetAddress, GInetAddressMask).
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include "server-private.h"
#include "server-proxy.h"

/* X-Forwarded-For entries looked at, right to left; a longer chain ends there. */
#define FORWARDED_MAX 32

/* @address, or the IPv4 address an IPv4-mapped IPv6 one stands for. */
static GInetAddress *
plain_address (GInetAddress *address)
{
  const guint8 *bytes = g_inet_address_to_bytes (address);
  static const guint8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6
      && memcmp (bytes, mapped, sizeof mapped) == 0)
    return g_inet_address_new_from_bytes (bytes + 12, G_SOCKET_FAMILY_IPV4);
  return g_object_ref (address);
}

GPtrArray *
entsec_trusted_proxies_parse (const char *value,
                              GError    **error)
{
  g_autoptr (GPtrArray) proxies = g_ptr_array_new_with_free_func (g_object_unref);
  g_auto (GStrv) entries = g_strsplit_set (value, ", \t", -1);

  for (guint i = 0; entries[i] != NULL; i++)
    {
      g_autoptr (GInetAddressMask) mask = NULL;

      if (entries[i][0] == '\0')
        continue;
      mask = g_inet_address_mask_new_from_string (entries[i], NULL);
      if (mask == NULL)
        {
          g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG,
                       "\"trusted_proxies\": \"%s\" is not an address or a network "
                       "(ADDRESS/BITS with the host bits zero, e.g. 10.0.0.0/8 or fd00::/8)",
                       entries[i]);
          return NULL;
        }
      g_ptr_array_add (proxies, g_steal_pointer (&mask));
    }
  return g_steal_pointer (&proxies);
}

static gboolean
is_trusted (GPtrArray    *proxies,
            GInetAddress *address)
{
  for (guint i = 0; i < proxies->len; i++)
    {
      if (g_inet_address_mask_matches (g_ptr_array_index (proxies, i), address))
        return TRUE;
    }
  return FALSE;
}

GInetAddress *
entsec_trusted_proxies_client (GPtrArray    *proxies,
                               GInetAddress *peer,
                               const char   *forwarded_for)
{
  g_autoptr (GInetAddress) client = plain_address (peer);
  g_auto (GStrv) entries = NULL;
  guint n;

  if (proxies == NULL || forwarded_for == NULL || !is_trusted (proxies, client))
    return g_steal_pointer (&client);
  entries = g_strsplit (forwarded_for, ",", -1);
  n = g_strv_length (entries);
  for (guint i = n; i > 0 && n - i < FORWARDED_MAX; i--)
    {
      g_autoptr (GInetAddress) parsed = g_inet_address_new_from_string (g_strstrip (entries[i - 1]));

      if (parsed == NULL)
        break; /* not an address: the trusted hop to its right is all we know */
      g_clear_object (&client);
      client = plain_address (parsed);
      if (!is_trusted (proxies, client))
        break;
    }
  return g_steal_pointer (&client);
}
