/* SPDX-License-Identifier: GPL-3.0-or-later */
/* server-ratelimit.c: token buckets per key in a bounded hash table */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <math.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "server-ratelimit.h"

typedef struct
{
  double tokens;  /* what is left at @updated */
  double rate;    /* tokens a second */
  double limit;
  gint64 updated; /* Unix seconds */
} Bucket;

struct _EntsecRateLimiter
{
  GMutex      lock;
  GHashTable *buckets; /* key -> Bucket */
  guint       max_keys;
};

EntsecRateLimiter *
entsec_rate_limiter_new (guint max_keys)
{
  EntsecRateLimiter *limiter = g_new0 (EntsecRateLimiter, 1);

  g_mutex_init (&limiter->lock);
  limiter->buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  limiter->max_keys = MAX (max_keys, 16);
  return limiter;
}

void
entsec_rate_limiter_free (EntsecRateLimiter *limiter)
{
  if (limiter == NULL)
    return;
  g_hash_table_destroy (limiter->buckets);
  g_mutex_clear (&limiter->lock);
  g_free (limiter);
}

static double
refilled (const Bucket *bucket,
          gint64        now)
{
  double elapsed = (double) MAX (0, now - bucket->updated);

  return MIN (bucket->limit, bucket->tokens + elapsed * bucket->rate);
}

/*
 * Full buckets go first (forgetting them changes nothing); if that frees
 * less than a tenth, arbitrary ones until it does: a flood of new keys
 * costs amortised constant time and memory stays bounded.
 */
static void
evict (EntsecRateLimiter *limiter,
       gint64             now)
{
  guint target = limiter->max_keys - limiter->max_keys / 10;
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, limiter->buckets);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      if (refilled (value, now) >= ((Bucket *) value)->limit)
        g_hash_table_iter_remove (&iter);
    }
  g_hash_table_iter_init (&iter, limiter->buckets);
  while (g_hash_table_size (limiter->buckets) > target
         && g_hash_table_iter_next (&iter, NULL, NULL))
    g_hash_table_iter_remove (&iter);
}

gboolean
entsec_rate_limiter_take (EntsecRateLimiter *limiter,
                          const char        *key,
                          guint              limit,
                          gint64             window,
                          gint64             now,
                          gint64            *retry_after)
{
  Bucket *bucket;
  gboolean allowed;

  g_return_val_if_fail (limit > 0 && window > 0, TRUE);
  g_mutex_lock (&limiter->lock);
  bucket = g_hash_table_lookup (limiter->buckets, key);
  if (bucket == NULL)
    {
      if (g_hash_table_size (limiter->buckets) >= limiter->max_keys)
        evict (limiter, now);
      bucket = g_new0 (Bucket, 1);
      bucket->tokens = limit;
      g_hash_table_insert (limiter->buckets, g_strdup (key), bucket);
    }
  else
    bucket->tokens = refilled (bucket, now);
  bucket->limit = limit;
  bucket->rate = (double) limit / (double) window;
  bucket->updated = now;
  allowed = bucket->tokens >= 1.0;
  if (allowed)
    bucket->tokens -= 1.0;
  else
    *retry_after = MAX (1, (gint64) ceil ((1.0 - bucket->tokens) / bucket->rate));
  g_mutex_unlock (&limiter->lock);
  return allowed;
}

guint
entsec_rate_limiter_size (EntsecRateLimiter *limiter)
{
  guint size;

  g_mutex_lock (&limiter->lock);
  size = g_hash_table_size (limiter->buckets);
  g_mutex_unlock (&limiter->lock);
  return size;
}

/* IPv4 addresses alone; IPv6 by their /64, which one client usually holds whole. */
char *
entsec_rate_limit_client_key (const struct sockaddr *address)
{
  char text[INET6_ADDRSTRLEN] = "unknown";

  if (address != NULL && address->sa_family == AF_INET)
    inet_ntop (AF_INET, &((const struct sockaddr_in *) address)->sin_addr, text, sizeof text);
  else if (address != NULL && address->sa_family == AF_INET6)
    {
      struct in6_addr prefix = ((const struct sockaddr_in6 *) address)->sin6_addr;

      if (!IN6_IS_ADDR_V4MAPPED (&prefix))
        memset (prefix.s6_addr + 8, 0, 8);
      inet_ntop (AF_INET6, &prefix, text, sizeof text);
    }
  return g_strconcat ("ip:", text, NULL);
}
