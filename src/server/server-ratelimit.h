/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-ratelimit.h: a token bucket per key ("ip:...", "address:...",
 * "user:..."), thread-safe. The buckets in memory, with a bound on the
 * number of keys, stand in front of the buckets in the storage, which
 * every instance of the server shares and which survive a restart
 * (docs/server.md, "Rate limits"). The time comes in as @now so that tests
 * can move the clock.
 */
#pragma once

#include <glib.h>
#include <sys/socket.h>

#include "server-storage.h"

G_BEGIN_DECLS

/* The server's bound: some 100 bytes a key, so about 10 MB at most. */
#define ENTSEC_RATE_LIMIT_MAX_KEYS 100000

typedef struct _EntsecRateLimiter EntsecRateLimiter;

/**
 * EntsecRateBucket:
 * @tokens: what is left at @updated
 * @rate: tokens a second
 * @limit: the most it holds
 * @updated: Unix seconds
 *
 * One token bucket, as the limiter and the storage backends keep it.
 */
typedef struct
{
  double tokens;
  double rate;
  double limit;
  gint64 updated;
} EntsecRateBucket;

/*
 * Take one token from @bucket (a new, full one when @fresh), which holds
 * @limit tokens refilled evenly over @window seconds, at @now; its limit
 * and rate become these. FALSE when it is empty: then *@retry_after is the
 * whole seconds (at least 1) until the next token.
 */
gboolean entsec_rate_bucket_take (EntsecRateBucket *bucket,
                                  gboolean          fresh,
                                  guint             limit,
                                  gint64            window,
                                  gint64            now,
                                  gint64           *retry_after);

/* When @bucket is full again (Unix seconds): forgetting it then changes nothing. */
gint64   entsec_rate_bucket_full_at (const EntsecRateBucket *bucket);

/* At most @max_keys buckets; beyond that, idle then arbitrary ones are dropped. */
EntsecRateLimiter *entsec_rate_limiter_new (guint max_keys);
void               entsec_rate_limiter_free (EntsecRateLimiter *limiter);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecRateLimiter, entsec_rate_limiter_free)

/*
 * Share the buckets through @storage (transfer none; it must outlive the
 * limiter): entsec_rate_limiter_check() then takes a token from the bucket
 * in memory and, when that allows, from the storage's
 * (entsec_storage_ratelimit_take()). The one in memory counts only what
 * the shared one granted, so it refuses only what the shared one would
 * refuse too, and saves the storage a write for each refused request.
 */
void     entsec_rate_limiter_set_storage (EntsecRateLimiter *limiter,
                                          EntsecStorage     *storage);

/*
 * Take one token from @key's bucket in memory only, which holds @limit
 * tokens and refills them evenly over @window seconds. FALSE when it is
 * empty; then *@retry_after is the whole seconds (at least 1) until the
 * next token. @now is Unix seconds.
 */
gboolean entsec_rate_limiter_take (EntsecRateLimiter *limiter,
                                   const char        *key,
                                   guint              limit,
                                   gint64             window,
                                   gint64             now,
                                   gint64            *retry_after);

/*
 * Take one token from @key's bucket, in memory and then in the storage
 * when one is set: *@allowed, and when FALSE *@retry_after as above.
 * FALSE with @error (nothing taken) when the storage fails.
 */
gboolean entsec_rate_limiter_check (EntsecRateLimiter *limiter,
                                    const char        *key,
                                    guint              limit,
                                    gint64             window,
                                    gint64             now,
                                    gboolean          *allowed,
                                    gint64            *retry_after,
                                    GError           **error);

/* "ip:192.0.2.7", or "ip:2001:db8:1:2::" for any address of that IPv6 /64. */
char    *entsec_rate_limit_client_key (const struct sockaddr *address);

/* The number of keys held (for tests). */
guint    entsec_rate_limiter_size (EntsecRateLimiter *limiter);

G_END_DECLS
