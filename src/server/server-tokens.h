/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-tokens.h: relying parties and server-side OTP tokens: API keys,
 * seeds sealed at rest, the ack-by-OTP step and code validation with
 * lockout. No HTTP here: the time comes in as @now so that tests can move
 * the clock.
 */
#pragma once

#include <glib.h>

#include "server-storage.h"

G_BEGIN_DECLS

/* Wrong codes in a row before the first lockout, and the hard stop. */
#define ENTSEC_TOKEN_FREE_FAILURES 5
#define ENTSEC_TOKEN_MAX_FAILURES 100
/* The first lockout, doubled with every further wrong code, at most the cap. */
#define ENTSEC_TOKEN_LOCKOUT_FIRST 30
#define ENTSEC_TOKEN_LOCKOUT_MAX 3600
/* HOTP: counters accepted after the last one used. */
#define ENTSEC_TOKEN_HOTP_WINDOW 10
/* HOTP: counters an admin's resync searches after the last one used. */
#define ENTSEC_TOKEN_HOTP_RESYNC_WINDOW 1000
/* The file in the data dir with the key that seals token seeds. */
#define ENTSEC_TOKEN_KEY_FILE "token-seal.key"

typedef struct _EntsecTokens EntsecTokens;

/*
 * The token service over @storage (borrowed; must outlive it). Loads the
 * seal key from @data_dir/token-seal.key. When it is absent a database
 * only this process uses gets a new one (entsec_tokens_make_key()); a
 * shared one (entsec_storage_is_shared()) is refused with
 * %ENTSEC_SERVER_ERROR_CONFIG, since every instance must seal with the
 * same key: it is copied from the first instance's data directory.
 * Returns: (transfer full) (nullable): free with entsec_tokens_free().
 */
EntsecTokens *entsec_tokens_new (EntsecStorage *storage,
                                 const char    *data_dir,
                                 GError       **error);
void          entsec_tokens_free (EntsecTokens *tokens);
/* Write a new seal key, 32 random bytes, to @data_dir/token-seal.key
 * (mode 0600; an existing file is never replaced): --init does. */
gboolean      entsec_tokens_make_key (const char *data_dir,
                                      GError    **error);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecTokens, entsec_tokens_free)

/*
 * @data sealed under the seal key: nonce || AES-256-GCM(@data) || tag, with
 * @aad (what the value belongs to, e.g. a token id) as associated data so
 * that a sealed value cannot be moved to another row.
 * Returns: (transfer full) (nullable): NULL with %ENTSEC_SERVER_ERROR_CRYPTO.
 */
GBytes       *entsec_tokens_seal (EntsecTokens *tokens,
                                  const char   *aad,
                                  const guint8 *data,
                                  gsize         len,
                                  GError      **error);
/*
 * Open @sealed (entsec_tokens_seal() with the same @aad) into @out, at most
 * @out_size bytes, its length in *@len. FALSE (and @out wiped) when it was
 * sealed with another key, for another @aad, altered or too long. Wipe @out
 * after use.
 */
gboolean      entsec_tokens_unseal (EntsecTokens *tokens,
                                    const char   *aad,
                                    GBytes       *sealed,
                                    guint8       *out,
                                    gsize         out_size,
                                    gsize        *len);

/*
 * A new relying party @name (checked) made at @now; returns its API key
 * (256 bits, base64url), the only time it exists: wipe, then g_free().
 * %ENTSEC_SERVER_ERROR_CONFLICT when the name is taken.
 */
char         *entsec_tokens_rp_create (EntsecTokens *tokens,
                                       const char   *name,
                                       gint64        now,
                                       EntsecRp    **rp,
                                       GError      **error);
/* The valid (not revoked) RP whose key is @api_key, every digest compared in
 * constant time. Returns: (transfer full) (nullable): NULL, error unset, when none. */
EntsecRp     *entsec_tokens_rp_authenticate (EntsecTokens *tokens,
                                             const char   *api_key,
                                             GError      **error);

/*
 * A new pending token for @user_id: @type "totp" or "hotp", @algorithm
 * "SHA1" (default when NULL), "SHA256" or "SHA512", @digits 6 to 10,
 * @period 1 to 300 (TOTP). The seed (20, 32 or 64 random bytes) is sealed
 * before it is stored; *@secret gets it in Base32 for the device, the only
 * time it leaves the server (free with entsec_secure_strfree()).
 */
EntsecToken  *entsec_tokens_create (EntsecTokens *tokens,
                                    const char   *user_id,
                                    const char   *type,
                                    const char   *algorithm,
                                    guint         digits,
                                    guint         period,
                                    const char   *issuer,
                                    const char   *label,
                                    gint64        now,
                                    char        **secret,
                                    GError      **error);

/*
 * The ack-by-OTP step: a pending token becomes active when @otp is its
 * current code (TOTP within one step, HOTP within the window); that step is
 * then used. Errors: %ENTSEC_SERVER_ERROR_INVALID_CODE (wrong code, unknown
 * or not pending), %ENTSEC_SERVER_ERROR_RATE_LIMITED (locked out; see
 * entsec_tokens_validate()).
 */
gboolean      entsec_tokens_ack (EntsecTokens *tokens,
                                 const char   *token_id,
                                 const char   *otp,
                                 gint64        now,
                                 gint64       *retry_after,
                                 GError      **error);

/*
 * Checks @code against the active token @token_id, or, with @token_id
 * NULL, each active token of @user_id. TOTP accepts the steps before, at
 * and after @now, HOTP the window after the last counter used; a step or
 * counter is accepted once (atomically, whatever runs at the same time)
 * and never one older than the last accepted. Each wrong code counts; from
 * the ENTSEC_TOKEN_FREE_FAILURES-th on the token is locked out for a
 * window that doubles, and after ENTSEC_TOKEN_MAX_FAILURES in a row until
 * an admin resets it. A reused code is refused without counting.
 * On success *@used_token names the token that matched.
 * Errors: %ENTSEC_SERVER_ERROR_INVALID (the code is not 6 to 10 digits),
 * %ENTSEC_SERVER_ERROR_INVALID_CODE, %ENTSEC_SERVER_ERROR_RATE_LIMITED with
 * *@retry_after in seconds (0: until an admin resets the token).
 */
gboolean      entsec_tokens_validate (EntsecTokens *tokens,
                                      const char   *user_id,
                                      const char   *token_id,
                                      const char   *code,
                                      gint64        now,
                                      gint64       *retry_after,
                                      char        **used_token,
                                      GError      **error);

/* Revoke (any state) or reset the lockout of (clears failures) a token;
 * *found is FALSE when it is unknown (or already revoked). */
gboolean      entsec_tokens_revoke (EntsecTokens *tokens,
                                    const char   *token_id,
                                    gboolean     *found,
                                    GError      **error);
gboolean      entsec_tokens_reset (EntsecTokens *tokens,
                                   const char   *token_id,
                                   gboolean     *found,
                                   GError      **error);

/*
 * An admin resynchronises the active HOTP token @token_id whose counter ran
 * past the look-ahead window: @code and @next_code must be the codes of two
 * consecutive counters among the ENTSEC_TOKEN_HOTP_RESYNC_WINDOW after the
 * last one used; the second becomes the last one used and the failure
 * count and lockout are cleared. A failed resync does not count as a wrong
 * code. *found is FALSE when the token is unknown or revoked. Errors:
 * %ENTSEC_SERVER_ERROR_INVALID (not 6 to 10 digits, not an active HOTP
 * token), %ENTSEC_SERVER_ERROR_INVALID_CODE (no such pair).
 */
gboolean      entsec_tokens_resync (EntsecTokens *tokens,
                                    const char   *token_id,
                                    const char   *code,
                                    const char   *next_code,
                                    gboolean     *found,
                                    GError      **error);

/* The most bytes a seed has. */
#define ENTSEC_TOKEN_SEED_MAX 64

/* @token's seed, unsealed, into @seed (ENTSEC_TOKEN_SEED_MAX bytes), its
 * length in *@len: for sealing it to a device. Wipe @seed after use. */
gboolean      entsec_tokens_open_seed (EntsecTokens      *tokens,
                                       const EntsecToken *token,
                                       guint8            *seed,
                                       gsize             *len,
                                       GError           **error);

/* The lockout after @failures wrong codes in a row, from @now. */
gint64        entsec_tokens_locked_until (guint  failures,
                                          gint64 now);

G_END_DECLS
