/* SPDX-License-Identifier: GPL-3.0-or-later */
/* server-tokens.c: relying parties' API keys, sealed token seeds, the ack
 * step and code validation with lockout */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <entsec/entsec.h>

#include "server-tokens.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_CIPHER_CTX, EVP_CIPHER_CTX_free)

#define SEAL_KEY_SIZE 32
#define SEAL_NONCE_SIZE 12
#define SEAL_TAG_SIZE 16
#define SEED_MAX_SIZE ENTSEC_TOKEN_SEED_MAX
/* Compare-and-set rounds before giving up on a token others keep changing. */
#define UPDATE_ROUNDS 16

struct _EntsecTokens
{
  EntsecStorage *storage;
  guint8         key[SEAL_KEY_SIZE];
};

gboolean
entsec_tokens_make_key (const char *data_dir,
                        GError    **error)
{
  g_autofree char *path = g_build_filename (data_dir, ENTSEC_TOKEN_KEY_FILE, NULL);
  guint8 key[SEAL_KEY_SIZE];
  gboolean ok;

  if (RAND_bytes (key, SEAL_KEY_SIZE) != 1)
    g_error ("The system's random number generator failed");
  ok = entsec_server_write_file (path, key, SEAL_KEY_SIZE, FALSE, error);
  OPENSSL_cleanse (key, SEAL_KEY_SIZE);
  return ok;
}

static gboolean
load_key (EntsecTokens *self,
          const char   *data_dir,
          GError      **error)
{
  g_autofree char *path = g_build_filename (data_dir, ENTSEC_TOKEN_KEY_FILE, NULL);
  g_autofree char *data = NULL;
  gsize len = 0;

  if (!g_file_test (path, G_FILE_TEST_EXISTS) && entsec_storage_is_shared (self->storage))
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG,
                   "%s is missing: every instance on a shared database seals token seeds "
                   "with the same key; copy it from the first instance's data directory "
                   "(docs/server.md, \"Several instances\")", path);
      return FALSE;
    }
  if (!g_file_test (path, G_FILE_TEST_EXISTS)
      && !entsec_tokens_make_key (data_dir, error))
    return FALSE;
  if (!g_file_get_contents (path, &data, &len, error))
    return FALSE;
  if (len != SEAL_KEY_SIZE)
    {
      OPENSSL_cleanse (data, len);
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG,
                   "%s must hold exactly %d bytes; restore it from the backup of the data "
                   "directory (without it no token seed can be read)", path, SEAL_KEY_SIZE);
      return FALSE;
    }
  memcpy (self->key, data, SEAL_KEY_SIZE);
  OPENSSL_cleanse (data, len);
  return TRUE;
}

EntsecTokens *
entsec_tokens_new (EntsecStorage *storage,
                   const char    *data_dir,
                   GError       **error)
{
  g_autoptr (EntsecTokens) self = g_new0 (EntsecTokens, 1);

  self->storage = storage;
  if (!load_key (self, data_dir, error))
    return NULL;
  return g_steal_pointer (&self);
}

void
entsec_tokens_free (EntsecTokens *tokens)
{
  if (tokens == NULL)
    return;
  OPENSSL_cleanse (tokens->key, SEAL_KEY_SIZE);
  g_free (tokens);
}

char *
entsec_tokens_rp_create (EntsecTokens *tokens,
                         const char   *name,
                         gint64        now,
                         EntsecRp    **rp,
                         GError      **error)
{
  g_autoptr (EntsecRp) made = g_new0 (EntsecRp, 1);
  char *key;

  if (!entsec_server_check_name (name, error))
    return NULL;
  key = entsec_server_random_secret ();
  made->id = entsec_server_random_id ("rp_");
  made->name = g_strdup (name);
  made->created = now;
  entsec_server_sha256 (key, strlen (key), made->key_sha256);
  if (!entsec_storage_rp_create (tokens->storage, made, error))
    {
      OPENSSL_cleanse (key, strlen (key));
      g_free (key);
      return NULL;
    }
  if (rp != NULL)
    *rp = g_steal_pointer (&made);
  return key;
}

EntsecRp *
entsec_tokens_rp_authenticate (EntsecTokens *tokens,
                               const char   *api_key,
                               GError      **error)
{
  g_autoptr (GPtrArray) rps = entsec_storage_rp_list (tokens->storage, error);
  guint8 digest[ENTSEC_SERVER_DIGEST_SIZE];
  guint found = G_MAXUINT;

  if (rps == NULL)
    return NULL;
  entsec_server_sha256 (api_key, strlen (api_key), digest);
  for (guint i = 0; i < rps->len; i++)
    {
      EntsecRp *rp = g_ptr_array_index (rps, i);

      if (CRYPTO_memcmp (rp->key_sha256, digest, ENTSEC_SERVER_DIGEST_SIZE) == 0
          && rp->revoked == 0)
        found = i;
    }
  return found == G_MAXUINT ? NULL : g_ptr_array_steal_index (rps, found);
}

GBytes *
entsec_tokens_seal (EntsecTokens *tokens,
                    const char   *aad,
                    const guint8 *data,
                    gsize         len,
                    GError      **error)
{
  g_autoptr (EVP_CIPHER_CTX) ctx = EVP_CIPHER_CTX_new ();
  guint8 *out = g_malloc (SEAL_NONCE_SIZE + len + SEAL_TAG_SIZE);
  int n = 0, m = 0;

  if (RAND_bytes (out, SEAL_NONCE_SIZE) != 1)
    g_error ("The system's random number generator failed");
  if (ctx == NULL
      || EVP_EncryptInit_ex (ctx, EVP_aes_256_gcm (), NULL, tokens->key, out) != 1
      || EVP_EncryptUpdate (ctx, NULL, &n, (const guint8 *) aad, (int) strlen (aad)) != 1
      || EVP_EncryptUpdate (ctx, out + SEAL_NONCE_SIZE, &n, data, (int) len) != 1
      || EVP_EncryptFinal_ex (ctx, out + SEAL_NONCE_SIZE + n, &m) != 1
      || EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_GET_TAG, SEAL_TAG_SIZE,
                              out + SEAL_NONCE_SIZE + len) != 1)
    {
      OPENSSL_cleanse (out, SEAL_NONCE_SIZE + len + SEAL_TAG_SIZE);
      g_free (out);
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CRYPTO,
                   "Sealing with %s failed", ENTSEC_TOKEN_KEY_FILE);
      return NULL;
    }
  return g_bytes_new_take (out, SEAL_NONCE_SIZE + len + SEAL_TAG_SIZE);
}

gboolean
entsec_tokens_unseal (EntsecTokens *tokens,
                      const char   *aad,
                      GBytes       *sealed,
                      guint8       *out,
                      gsize         out_size,
                      gsize        *len)
{
  g_autoptr (EVP_CIPHER_CTX) ctx = EVP_CIPHER_CTX_new ();
  gsize sealed_len;
  const guint8 *data = g_bytes_get_data (sealed, &sealed_len);
  int n = 0, m = 0;

  if (sealed_len <= SEAL_NONCE_SIZE + SEAL_TAG_SIZE
      || sealed_len > SEAL_NONCE_SIZE + SEAL_TAG_SIZE + out_size)
    return FALSE;
  *len = sealed_len - SEAL_NONCE_SIZE - SEAL_TAG_SIZE;
  if (ctx == NULL
      || EVP_DecryptInit_ex (ctx, EVP_aes_256_gcm (), NULL, tokens->key, data) != 1
      || EVP_DecryptUpdate (ctx, NULL, &n, (const guint8 *) aad, (int) strlen (aad)) != 1
      || EVP_DecryptUpdate (ctx, out, &n, data + SEAL_NONCE_SIZE, (int) *len) != 1
      || EVP_CIPHER_CTX_ctrl (ctx, EVP_CTRL_GCM_SET_TAG, SEAL_TAG_SIZE,
                              (void *) (data + SEAL_NONCE_SIZE + *len)) != 1
      || EVP_DecryptFinal_ex (ctx, out + n, &m) != 1)
    {
      OPENSSL_cleanse (out, out_size);
      return FALSE;
    }
  return TRUE;
}

/* The seed of @token into @seed (SEED_MAX_SIZE bytes); wipe it after use. */
gboolean
entsec_tokens_open_seed (EntsecTokens      *self,
                         const EntsecToken *token,
                         guint8            *seed,
                         gsize             *len,
                         GError           **error)
{
  if (entsec_tokens_unseal (self, token->id, token->sealed_seed, seed, SEED_MAX_SIZE, len))
    return TRUE;
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CRYPTO,
               "The seed of token %s does not open with %s; was the key file replaced?",
               token->id, ENTSEC_TOKEN_KEY_FILE);
  return FALSE;
}

static gsize
seed_size (EntsecOtpAlgorithm algorithm)
{
  switch (algorithm)
    {
    case ENTSEC_OTP_ALGORITHM_SHA256:
      return 32;
    case ENTSEC_OTP_ALGORITHM_SHA512:
      return 64;
    case ENTSEC_OTP_ALGORITHM_SHA1:
    default:
      return 20;
    }
}

static gboolean
check_parameters (const char         *type,
                  const char         *algorithm,
                  guint               digits,
                  guint               period,
                  EntsecOtpAlgorithm *parsed,
                  GError            **error)
{
  const char *problem = NULL;

  if (g_strcmp0 (type, "totp") != 0 && g_strcmp0 (type, "hotp") != 0)
    problem = "\"type\" must be \"totp\" or \"hotp\"";
  else if (!entsec_otp_algorithm_from_string (algorithm, parsed))
    problem = "\"algorithm\" must be \"SHA1\", \"SHA256\" or \"SHA512\"";
  else if (digits < ENTSEC_OTP_MIN_DIGITS || digits > ENTSEC_OTP_MAX_DIGITS)
    problem = "\"digits\" must be a whole number from 6 to 10";
  else if (period < ENTSEC_OTP_MIN_PERIOD || period > ENTSEC_OTP_MAX_PERIOD)
    problem = "\"period\" must be a whole number of seconds from 1 to 300";
  if (problem != NULL)
    g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID, problem);
  return problem == NULL;
}

EntsecToken *
entsec_tokens_create (EntsecTokens *tokens,
                      const char   *user_id,
                      const char   *type,
                      const char   *algorithm,
                      guint         digits,
                      guint         period,
                      const char   *issuer,
                      const char   *label,
                      gint64        now,
                      char        **secret,
                      GError      **error)
{
  g_autoptr (EntsecToken) token = NULL;
  EntsecOtpAlgorithm parsed = ENTSEC_OTP_ALGORITHM_SHA1;
  guint8 seed[SEED_MAX_SIZE];
  gsize len;

  if (algorithm == NULL)
    algorithm = "SHA1";
  if (!check_parameters (type, algorithm, digits, period, &parsed, error)
      || (issuer != NULL && !entsec_server_check_name (issuer, error))
      || (label != NULL && !entsec_server_check_name (label, error)))
    return NULL;
  len = seed_size (parsed);
  if (RAND_bytes (seed, (int) len) != 1)
    g_error ("The system's random number generator failed");
  token = g_new0 (EntsecToken, 1);
  token->id = entsec_server_random_id ("tok_");
  token->user_id = g_strdup (user_id);
  token->type = g_strdup (type);
  token->algorithm = g_strdup (entsec_otp_algorithm_to_string (parsed));
  token->digits = digits;
  token->period = period;
  token->issuer = g_strdup (issuer);
  token->label = g_strdup (label);
  token->state = ENTSEC_TOKEN_PENDING;
  token->created = now;
  token->last_step = -1;
  token->sealed_seed = entsec_tokens_seal (tokens, token->id, seed, len, error);
  if (token->sealed_seed == NULL || !entsec_storage_token_create (tokens->storage, token, error))
    {
      OPENSSL_cleanse (seed, sizeof seed);
      return NULL;
    }
  *secret = entsec_base32_encode (seed, len);
  OPENSSL_cleanse (seed, sizeof seed);
  return g_steal_pointer (&token);
}

gint64
entsec_tokens_locked_until (guint  failures,
                            gint64 now)
{
  gint64 window = ENTSEC_TOKEN_LOCKOUT_FIRST;

  if (failures >= ENTSEC_TOKEN_MAX_FAILURES)
    return G_MAXINT64;
  if (failures < ENTSEC_TOKEN_FREE_FAILURES)
    return 0;
  for (guint i = ENTSEC_TOKEN_FREE_FAILURES; i < failures && window < ENTSEC_TOKEN_LOCKOUT_MAX; i++)
    window *= 2;
  return now + MIN (window, ENTSEC_TOKEN_LOCKOUT_MAX);
}

static gboolean
code_format_ok (const char *code)
{
  gsize len = strlen (code);

  if (len < ENTSEC_OTP_MIN_DIGITS || len > ENTSEC_OTP_MAX_DIGITS)
    return FALSE;
  for (const char *p = code; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
    }
  return TRUE;
}

static gboolean
same_code (const char *expect,
           const char *code)
{
  return strlen (expect) == strlen (code) && CRYPTO_memcmp (expect, code, strlen (code)) == 0;
}

/* @token's algorithm and unsealed seed (wipe @seed after use). */
static gboolean
token_key (EntsecTokens       *self,
           const EntsecToken  *token,
           EntsecOtpAlgorithm *algorithm,
           guint8             *seed,
           gsize              *len,
           GError            **error)
{
  if (!entsec_otp_algorithm_from_string (token->algorithm, algorithm))
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
                   "Token %s has an unknown algorithm", token->id);
      return FALSE;
    }
  return entsec_tokens_open_seed (self, token, seed, len, error);
}

/* What @code matched: its step or counter, -1 when nothing, -2 when only
 * an already used one; FALSE on a crypto failure. */
static gboolean
find_step (EntsecTokens      *self,
           const EntsecToken *token,
           const char        *code,
           gint64             now,
           gint64            *step,
           GError           **error)
{
  EntsecOtpAlgorithm algorithm = ENTSEC_OTP_ALGORITHM_SHA1;
  guint8 seed[SEED_MAX_SIZE];
  gboolean totp = strcmp (token->type, "totp") == 0;
  gint64 first, last;
  gsize len = 0;
  gboolean ok = TRUE;

  *step = -1;
  if (!token_key (self, token, &algorithm, seed, &len, error))
    return FALSE;
  if (totp)
    {
      first = now / token->period - 1;
      last = now / token->period + 1;
    }
  else
    {
      first = MAX (token->last_step - ENTSEC_TOKEN_HOTP_WINDOW, 0);
      last = token->last_step + ENTSEC_TOKEN_HOTP_WINDOW;
    }
  for (gint64 s = MAX (first, 0); ok && s <= last; s++)
    {
      char expect[ENTSEC_OTP_CODE_SIZE];

      ok = entsec_hotp (algorithm, seed, len, (guint64) s, token->digits, expect, error);
      if (ok && same_code (expect, code))
        *step = s > token->last_step ? s : (*step == -1 ? -2 : *step);
      OPENSSL_cleanse (expect, sizeof expect);
    }
  OPENSSL_cleanse (seed, sizeof seed);
  return ok;
}

/* One token, compare-and-set until the stored row holds still. */
static gboolean
check_token (EntsecTokens    *self,
             const char      *token_id,
             EntsecTokenState want,
             const char      *code,
             gint64           now,
             gint64          *retry_after,
             GError         **error)
{
  for (guint round = 0; round < UPDATE_ROUNDS; round++)
    {
      g_autoptr (EntsecToken) token = entsec_storage_token_get (self->storage, token_id, error);
      EntsecToken next;
      gboolean updated = FALSE;
      gint64 step;

      if (token == NULL && error != NULL && *error != NULL)
        return FALSE;
      if (token == NULL || token->state != want)
        {
          g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE,
                       "The code is wrong or was already used");
          return FALSE;
        }
      if (now < token->locked_until)
        {
          *retry_after = token->locked_until == G_MAXINT64 ? 0 : token->locked_until - now;
          g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_RATE_LIMITED,
                       token->locked_until == G_MAXINT64
                       ? "Too many wrong codes; an admin must reset the token"
                       : "Too many wrong codes; wait before trying again");
          return FALSE;
        }
      if (!find_step (self, token, code, now, &step, error))
        return FALSE;
      if (step == -2)
        {
          g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE,
                       "The code is wrong or was already used");
          return FALSE;
        }
      next = *token;
      if (step >= 0)
        {
          next.state = ENTSEC_TOKEN_ACTIVE;
          next.failures = 0;
          next.locked_until = 0;
          next.last_step = step;
        }
      else
        {
          next.failures = MIN (token->failures + 1, ENTSEC_TOKEN_MAX_FAILURES);
          next.locked_until = entsec_tokens_locked_until (next.failures, now);
        }
      if (!entsec_storage_token_update (self->storage, &next, token, &updated, error))
        return FALSE;
      if (!updated)
        continue;
      if (step >= 0)
        return TRUE;
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE,
                   "The code is wrong or was already used");
      return FALSE;
    }
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
               "Token %s kept changing; giving up", token_id);
  return FALSE;
}

static gboolean
check_code_format (const char *code,
                   GError    **error)
{
  if (code_format_ok (code))
    return TRUE;
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
               "\"code\" must be 6 to 10 digits");
  return FALSE;
}

gboolean
entsec_tokens_ack (EntsecTokens *tokens,
                   const char   *token_id,
                   const char   *otp,
                   gint64        now,
                   gint64       *retry_after,
                   GError      **error)
{
  return check_code_format (otp, error)
         && check_token (tokens, token_id, ENTSEC_TOKEN_PENDING, otp, now, retry_after, error);
}

gboolean
entsec_tokens_validate (EntsecTokens *tokens,
                        const char   *user_id,
                        const char   *token_id,
                        const char   *code,
                        gint64        now,
                        gint64       *retry_after,
                        char        **used_token,
                        GError      **error)
{
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) last = NULL;
  gint64 wait = G_MAXINT64;

  *retry_after = 0;
  if (!check_code_format (code, error))
    return FALSE;
  if (token_id != NULL)
    {
      if (!check_token (tokens, token_id, ENTSEC_TOKEN_ACTIVE, code, now, retry_after, error))
        return FALSE;
      *used_token = g_strdup (token_id);
      return TRUE;
    }
  list = entsec_storage_token_list (tokens->storage, user_id, error);
  if (list == NULL)
    return FALSE;
  for (guint i = 0; i < list->len; i++)
    {
      EntsecToken *token = g_ptr_array_index (list, i);
      g_autoptr (GError) local = NULL;
      gint64 one = 0;

      if (token->state != ENTSEC_TOKEN_ACTIVE)
        continue;
      if (check_token (tokens, token->id, ENTSEC_TOKEN_ACTIVE, code, now, &one, &local))
        {
          *used_token = g_strdup (token->id);
          return TRUE;
        }
      /* A wrong code anywhere wins over lockouts; among lockouts the shortest. */
      if (!g_error_matches (local, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_RATE_LIMITED))
        wait = -1;
      else if (wait == -1)
        continue;
      else if (one > 0)
        wait = MIN (wait, one);
      g_clear_error (&last);
      last = g_steal_pointer (&local);
    }
  if (last == NULL)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE,
                   "The code is wrong or was already used");
      return FALSE;
    }
  if (wait != -1)
    *retry_after = wait == G_MAXINT64 ? 0 : wait;
  g_propagate_error (error, g_steal_pointer (&last));
  return FALSE;
}

/* Sets the state (revoke) or clears the lockout (reset) by compare and set. */
static gboolean
change_token (EntsecTokens *self,
              const char   *token_id,
              gboolean      revoke,
              gboolean     *found,
              GError      **error)
{
  *found = FALSE;
  for (guint round = 0; round < UPDATE_ROUNDS; round++)
    {
      g_autoptr (EntsecToken) token = entsec_storage_token_get (self->storage, token_id, error);
      EntsecToken next;
      gboolean updated = FALSE;

      if (token == NULL)
        return error == NULL || *error == NULL;
      if (token->state == ENTSEC_TOKEN_REVOKED)
        return TRUE;
      next = *token;
      if (revoke)
        next.state = ENTSEC_TOKEN_REVOKED;
      else
        {
          next.failures = 0;
          next.locked_until = 0;
        }
      if (!entsec_storage_token_update (self->storage, &next, token, &updated, error))
        return FALSE;
      if (updated)
        {
          *found = TRUE;
          return TRUE;
        }
    }
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
               "Token %s kept changing; giving up", token_id);
  return FALSE;
}

gboolean
entsec_tokens_revoke (EntsecTokens *tokens,
                      const char   *token_id,
                      gboolean     *found,
                      GError      **error)
{
  return change_token (tokens, token_id, TRUE, found, error);
}

gboolean
entsec_tokens_reset (EntsecTokens *tokens,
                     const char   *token_id,
                     gboolean     *found,
                     GError      **error)
{
  return change_token (tokens, token_id, FALSE, found, error);
}

/* The counter of @next_code when it and @code are the codes of two
 * consecutive counters in the resync window; -1 when they are not. */
static gboolean
find_pair (EntsecTokens      *self,
           const EntsecToken *token,
           const char        *code,
           const char        *next_code,
           gint64            *counter,
           GError           **error)
{
  EntsecOtpAlgorithm algorithm = ENTSEC_OTP_ALGORITHM_SHA1;
  guint8 seed[SEED_MAX_SIZE];
  char codes[2][ENTSEC_OTP_CODE_SIZE] = { { 0 } };
  gint64 first = token->last_step + 1;
  gsize len = 0;
  gboolean ok;

  *counter = -1;
  if (!token_key (self, token, &algorithm, seed, &len, error))
    return FALSE;
  ok = entsec_hotp (algorithm, seed, len, (guint64) first, token->digits, codes[0], error);
  for (gint64 s = first + 1; ok && *counter < 0 && s <= first + ENTSEC_TOKEN_HOTP_RESYNC_WINDOW;
       s++)
    {
      char *previous = codes[(s - first + 1) % 2];
      char *current = codes[(s - first) % 2];

      ok = entsec_hotp (algorithm, seed, len, (guint64) s, token->digits, current, error);
      if (ok && same_code (previous, code) && same_code (current, next_code))
        *counter = s;
    }
  OPENSSL_cleanse (codes, sizeof codes);
  OPENSSL_cleanse (seed, sizeof seed);
  return ok;
}

/* One compare-and-set try of a resync; *done is FALSE when the row changed meanwhile. */
static gboolean
resync_once (EntsecTokens *self,
             const char   *token_id,
             const char   *code,
             const char   *next_code,
             gboolean     *found,
             gboolean     *done,
             GError      **error)
{
  g_autoptr (EntsecToken) token = entsec_storage_token_get (self->storage, token_id, error);
  EntsecToken next;
  gint64 counter = -1;

  *found = token != NULL && token->state != ENTSEC_TOKEN_REVOKED;
  *done = !*found;
  if (!*found)
    return error == NULL || *error == NULL;
  if (token->state != ENTSEC_TOKEN_ACTIVE || strcmp (token->type, "hotp") != 0)
    {
      g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                           "Only an active HOTP token can be resynchronised (a TOTP token "
                           "follows the clock; a pending one is acked first)");
      return FALSE;
    }
  if (!find_pair (self, token, code, next_code, &counter, error))
    return FALSE;
  if (counter < 0)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE,
                   "The two codes are not codes in a row among the next %d of this token; "
                   "generate two new codes one after the other and try again",
                   ENTSEC_TOKEN_HOTP_RESYNC_WINDOW);
      return FALSE;
    }
  next = *token;
  next.last_step = counter;
  next.failures = 0;
  next.locked_until = 0;
  return entsec_storage_token_update (self->storage, &next, token, done, error);
}

gboolean
entsec_tokens_resync (EntsecTokens *tokens,
                      const char   *token_id,
                      const char   *code,
                      const char   *next_code,
                      gboolean     *found,
                      GError      **error)
{
  gboolean done = FALSE;

  *found = FALSE;
  if (!check_code_format (code, error) || !check_code_format (next_code, error))
    return FALSE;
  for (guint round = 0; round < UPDATE_ROUNDS; round++)
    {
      if (!resync_once (tokens, token_id, code, next_code, found, &done, error))
        return FALSE;
      if (done)
        return TRUE;
    }
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
               "Token %s kept changing; giving up", token_id);
  return FALSE;
}
