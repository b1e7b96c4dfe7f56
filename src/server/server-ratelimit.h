/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-ratelimit.h: an in-memory token bucket per key ("ip:...",
 * "address:...", "user:..."), thread-safe, with a bound on the number of
 * keys. Counters do not survive a restart (docs/server.md says why that is
 * enough). The time comes in as @now so that tests can move the clock.
 */
#pragma once

#include <glib.h>
#include <sys/socket.h>

G_BEGIN_DECLS

/* The server's bound: some 100 bytes a key, so about 10 MB at most. */
#define ENTSEC_RATE_LIMIT_MAX_KEYS 100000

typedef struct _EntsecRateLimiter EntsecRateLimiter;

/* At most @max_keys buckets; beyond that, idle then arbitrary ones are dropped. */
EntsecRateLimiter *entsec_rate_limiter_new (guint max_keys);
void               entsec_rate_limiter_free (EntsecRateLimiter *limiter);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecRateLimiter, entsec_rate_limiter_free)

/*
 * Take one token from @key's bucket, which holds @limit tokens and refills
 * them evenly over @window seconds. FALSE when it is empty; then
 * *@retry_after is the whole seconds (at least 1) until the next token.
 * @now is Unix seconds.
 */
gboolean entsec_rate_limiter_take (EntsecRateLimiter *limiter,
                                   const char        *key,
                                   guint              limit,
                                   gint64             window,
                                   gint64             now,
                                   gint64            *retry_after);

/* "ip:192.0.2.7", or "ip:2001:db8:1:2::" for any address of that IPv6 /64. */
char    *entsec_rate_limit_client_key (const struct sockaddr *address);

/* The number of keys held (for tests). */
guint    entsec_rate_limiter_size (EntsecRateLimiter *limiter);

G_END_DECLS
