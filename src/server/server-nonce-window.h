/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-nonce-window.h: the nonces of the read-only requests this
 * instance accepted (the events long-poll), in memory, for as long as
 * their signatures could be accepted again. A replay to this instance is
 * refused without a database write; state-changing requests keep the
 * durable replay cache every instance shares (entsec_storage_nonce_remember(),
 * docs/protocol.md section 2.4). Bounded per key and in all: when a bound
 * is reached the caller falls back to the durable cache, so the window
 * never accepts what the durable cache would refuse within this instance.
 * Thread-safe; the time comes in as @now so that tests can move the clock.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The server's bounds: a device polls every 25-30 s and a nonce stays at
 * most 2 x ENTSEC_HTTPSIG_MAX_SKEW seconds, so a few per key; some 40
 * bytes a nonce and 100 a key, so under 20 MB in all. */
#define ENTSEC_NONCE_WINDOW_MAX_NONCES 262144
#define ENTSEC_NONCE_WINDOW_MAX_PER_KEY 16

/**
 * EntsecNonceCheck:
 * @ENTSEC_NONCE_FRESH: not seen; it is remembered now
 * @ENTSEC_NONCE_REPLAYED: seen before and still remembered: refuse the request
 * @ENTSEC_NONCE_FULL: not seen here, and the window is full (for this key
 *   or in all) or was when a nonce that may be replayed still went to the
 *   durable cache: nothing was remembered; use the durable cache instead
 */
typedef enum
{
  ENTSEC_NONCE_FRESH,
  ENTSEC_NONCE_REPLAYED,
  ENTSEC_NONCE_FULL,
} EntsecNonceCheck;

typedef struct _EntsecNonceWindow EntsecNonceWindow;

/* At most @max_nonces nonces in all and @max_per_key for one key. */
EntsecNonceWindow *entsec_nonce_window_new (guint max_nonces,
                                            guint max_per_key);
void               entsec_nonce_window_free (EntsecNonceWindow *window);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecNonceWindow, entsec_nonce_window_free)

/*
 * Check @nonce of @keyid (the signature's keyid, "dev_...#1") at @now and
 * remember it until @forget_after (Unix seconds: the last second its
 * signature is accepted, min(expires, created + ENTSEC_HTTPSIG_MAX_SKEW)).
 * Nonces past their time are forgotten as it goes.
 */
EntsecNonceCheck   entsec_nonce_window_check (EntsecNonceWindow *window,
                                              const char        *keyid,
                                              const char        *nonce,
                                              gint64             forget_after,
                                              gint64             now);

/* How many nonces it remembers (past their time or not yet forgotten). */
guint              entsec_nonce_window_size (EntsecNonceWindow *window);

G_END_DECLS
