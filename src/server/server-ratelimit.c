/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-ratelimit.c: token buckets per key in a bounded hash table, in
 * front of the buckets the storage shares between instances
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <math.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "server-ratelimit.h"

typedef EntsecRateBucket Bucket;

struct _EntsecRateLimiter
{
  GMutex         lock;
  GHashTable    *buckets; /* key -> Bucket */
  guint          max_keys;
  EntsecStorage *storage; /* (nullable): the shared buckets */
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

void
entsec_rate_limiter_set_storage (EntsecRateLimiter *limiter,
                                 EntsecStorage     *storage)
{
  g_return_if_fail (limiter != NULL);

  limiter->storage = storage;
}

static double
refilled (const Bucket *bucket,
          gint64        now)
{
  double elapsed = (double) MAX (0, now - bucket->updated);

  return MIN (bucket->limit, bucket->tokens + elapsed * bucket->rate);
}

gboolean
entsec_rate_bucket_take (EntsecRateBucket *bucket,
                         gboolean          fresh,
                         guint             limit,
                         gint64            window,
                         gint64            now,
                         gint64           *retry_after)
{
  gboolean allowed;

  g_return_val_if_fail (limit > 0 && window > 0, TRUE);

  bucket->tokens = fresh ? limit : refilled (bucket, now);
  bucket->limit = limit;
  bucket->rate = (double) limit / (double) window;
  bucket->updated = now;
  allowed = bucket->tokens >= 1.0;
  if (allowed)
    bucket->tokens -= 1.0;
  else
    *retry_after = MAX (1, (gint64) ceil ((1.0 - bucket->tokens) / bucket->rate));
  return allowed;
}

gint64
entsec_rate_bucket_full_at (const EntsecRateBucket *bucket)
{
  return bucket->updated + (gint64) ceil ((bucket->limit - bucket->tokens) / bucket->rate);
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
  gboolean allowed, fresh = FALSE;

  g_return_val_if_fail (limit > 0 && window > 0, TRUE);
  g_mutex_lock (&limiter->lock);
  bucket = g_hash_table_lookup (limiter->buckets, key);
  if (bucket == NULL)
    {
      if (g_hash_table_size (limiter->buckets) >= limiter->max_keys)
        evict (limiter, now);
      bucket = g_new0 (Bucket, 1);
      g_hash_table_insert (limiter->buckets, g_strdup (key), bucket);
      fresh = TRUE;
    }
  allowed = entsec_rate_bucket_take (bucket, fresh, limit, window, now, retry_after);
  g_mutex_unlock (&limiter->lock);
  return allowed;
}

/* The shared bucket refused (or failed) after the front one gave a token:
 * the front one gets it back, so that it never counts more than the shared. */
static void
give_back (EntsecRateLimiter *limiter,
           const char        *key)
{
  Bucket *bucket;

  g_mutex_lock (&limiter->lock);
  bucket = g_hash_table_lookup (limiter->buckets, key);
  if (bucket != NULL)
    bucket->tokens = MIN (bucket->limit, bucket->tokens + 1.0);
  g_mutex_unlock (&limiter->lock);
}

gboolean
entsec_rate_limiter_check (EntsecRateLimiter *limiter,
                           const char        *key,
                           guint              limit,
                           gint64             window,
                           gint64             now,
                           gboolean          *allowed,
                           gint64            *retry_after,
                           GError           **error)
{
  g_return_val_if_fail (limiter != NULL && key != NULL && allowed != NULL, FALSE);

  *allowed = entsec_rate_limiter_take (limiter, key, limit, window, now, retry_after);
  if (!*allowed || limiter->storage == NULL)
    return TRUE;
  if (!entsec_storage_ratelimit_take (limiter->storage, key, limit, window, now, allowed,
                                      retry_after, error))
    {
      give_back (limiter, key);
      return FALSE;
    }
  if (!*allowed)
    give_back (limiter, key);
  return TRUE;
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
