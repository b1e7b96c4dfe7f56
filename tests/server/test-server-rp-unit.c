/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-server-rp-unit.c: relying party keys, sealed token seeds, the ack
 * step and code validation on a real SQLite database, the clock moved by
 * passing @now (no sleeping).
 */

#define _GNU_SOURCE /* memmem */
#include "config.h"

#include <string.h>
#include <sys/stat.h>

#include <glib/gstdio.h>

#include <entsec/entsec.h>

#include "server-http.h"
#include "server-init.h"
#include "server-private.h"
#include "server-push.h"
#include "server-storage.h"
#include "storage-test.h"
#include "server-tokens.h"

/* A fixed moment: step 56666666 of 30 s starts here. */
#define T0 ((gint64) 1699999980)

typedef struct
{
  char          *dir;
  char          *db;
  EntsecStorage *storage;
  EntsecTokens  *tokens;
  char          *user_id;
} Fixture;

static void
open_all (Fixture *f,
          gboolean create)
{
  g_autoptr (GError) error = NULL;

  g_autofree char *key_path = g_build_filename (f->dir, ENTSEC_TOKEN_KEY_FILE, NULL);

  f->storage = entsec_test_storage_open (f->db, create, &error);
  g_assert_no_error (error);
  /* a shared database makes no key at start: --init does */
  if (entsec_test_storage_is_pg () && !g_file_test (key_path, G_FILE_TEST_EXISTS))
    {
      g_assert_false (entsec_tokens_new (f->storage, f->dir, &error));
      g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG);
      g_clear_error (&error);
      g_assert_true (entsec_tokens_make_key (f->dir, &error));
    }
  f->tokens = entsec_tokens_new (f->storage, f->dir, &error);
  g_assert_no_error (error);
}

static void
close_all (Fixture *f)
{
  g_clear_pointer (&f->tokens, entsec_tokens_free);
  g_clear_pointer (&f->storage, entsec_storage_close);
}

static void
fixture_set_up (Fixture      *f,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  EntsecUser user = { .id = "usr_ada", .email = "ada@example.com", .created = T0 };

  f->dir = g_dir_make_tmp ("entsec-rp-unit-XXXXXX", &error);
  g_assert_no_error (error);
  f->db = g_build_filename (f->dir, "entsec.db", NULL);
  open_all (f, TRUE);
  g_assert_true (entsec_storage_user_create (f->storage, &user, &error));
  g_assert_no_error (error);
  f->user_id = g_strdup (user.id);
}

/* Removes @path and the files in it (the data dirs here have no subdirectories). */
static void
remove_dir (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (path, name, NULL);

      g_assert_cmpint (g_unlink (file), ==, 0);
    }
  g_assert_cmpint (g_rmdir (path), ==, 0);
}

static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data)
{
  close_all (f);
  remove_dir (f->dir);
  g_free (f->dir);
  g_free (f->db);
  g_free (f->user_id);
}

/* The code of @secret (Base32) at HOTP counter @counter. */
static char *
code_at (const char *secret,
         guint64     counter,
         guint       digits)
{
  g_autoptr (GError) error = NULL;
  char code[ENTSEC_OTP_CODE_SIZE];
  gsize len = 0;
  guint8 *key = entsec_base32_decode (secret, &len, &error);

  g_assert_no_error (error);
  g_assert_true (entsec_hotp (ENTSEC_OTP_ALGORITHM_SHA1, key, len, counter, digits, code,
                              &error));
  entsec_secure_free (key, len);
  return g_strdup (code);
}

static char *
totp_at (const char *secret,
         gint64      now)
{
  return code_at (secret, (guint64) (now / 30), 6);
}

/* A pending TOTP token; its secret in *secret. */
static EntsecToken *
new_token (Fixture    *f,
           const char *type,
           char      **secret)
{
  g_autoptr (GError) error = NULL;
  EntsecToken *token = entsec_tokens_create (f->tokens, f->user_id, type, NULL, 6, 30,
                                             "Example", "ada", T0, secret, &error);

  g_assert_no_error (error);
  g_assert_nonnull (token);
  return token;
}

/* An active TOTP token, acked at T0 (so T0's step is used). */
static EntsecToken *
active_token (Fixture *f,
              char   **secret)
{
  g_autoptr (GError) error = NULL;
  EntsecToken *token = new_token (f, "totp", secret);
  g_autofree char *code = totp_at (*secret, T0);
  gint64 retry = 0;

  g_assert_true (entsec_tokens_ack (f->tokens, token->id, code, T0, &retry, &error));
  g_assert_no_error (error);
  return token;
}

static guint
token_failures (Fixture    *f,
                const char *token_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecToken) token = entsec_storage_token_get (f->storage, token_id, &error);

  g_assert_no_error (error);
  return token->failures;
}

static gboolean
validate (Fixture    *f,
          const char *code,
          gint64      now,
          gint64     *retry,
          GError    **error)
{
  g_autofree char *used = NULL;
  gint64 ignored = 0;

  return entsec_tokens_validate (f->tokens, f->user_id, NULL, code, now,
                                 retry != NULL ? retry : &ignored, &used, error);
}

static void
test_rp_keys (Fixture      *f,
              gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecRp) rp = NULL;
  g_autoptr (EntsecRp) found = NULL;
  g_autoptr (EntsecRp) none = NULL;
  g_autoptr (GPtrArray) rps = NULL;
  g_autofree char *key = entsec_tokens_rp_create (f->tokens, "portal", T0, &rp, &error);
  g_autofree char *again = NULL;
  g_autoptr (GBytes) raw = NULL;
  guint8 digest[ENTSEC_SERVER_DIGEST_SIZE];
  gboolean revoked = FALSE;

  g_assert_no_error (error);
  raw = entsec_base64url_decode (key, -1, "the API key", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (raw), >=, 32);
  /* Stored as its SHA-256 only. */
  entsec_server_sha256 (key, strlen (key), digest);
  rps = entsec_storage_rp_list (f->storage, &error);
  g_assert_cmpuint (rps->len, ==, 1);
  g_assert_cmpmem (((EntsecRp *) rps->pdata[0])->key_sha256, 32, digest, 32);
  found = entsec_tokens_rp_authenticate (f->tokens, key, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (found->id, ==, rp->id);
  key[0] = key[0] == 'A' ? 'B' : 'A';
  none = entsec_tokens_rp_authenticate (f->tokens, key, &error);
  g_assert_no_error (error);
  g_assert_null (none);
  again = entsec_tokens_rp_create (f->tokens, "portal", T0, NULL, &error);
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFLICT);
  g_assert_null (again);
  g_clear_error (&error);
  g_assert_true (entsec_storage_rp_revoke (f->storage, rp->id, T0, &revoked, &error));
  g_assert_true (revoked);
  g_assert_true (entsec_storage_rp_revoke (f->storage, rp->id, T0, &revoked, &error));
  g_assert_false (revoked);
}

static void
test_seed_sealed (Fixture      *f,
                  gconstpointer data)
{
  g_autofree char *secret = NULL;
  g_autoptr (EntsecToken) token = new_token (f, "totp", &secret);
  g_autoptr (GError) error = NULL;
  g_autofree char *key_path = g_build_filename (f->dir, ENTSEC_TOKEN_KEY_FILE, NULL);
  g_autoptr (GBytes) db = NULL;
  g_autofree guint8 *seed = NULL;
  gsize db_len = 0, seed_len = 0;
  gconstpointer db_data;
  struct stat st;

  g_assert_cmpstr (token->algorithm, ==, "SHA1");
  g_assert_cmpint (token->state, ==, ENTSEC_TOKEN_PENDING);
  g_assert_cmpint (g_stat (key_path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_cmpint (st.st_size, ==, 32);
  seed = entsec_base32_decode (secret, &seed_len, &error);
  g_assert_cmpuint (seed_len, ==, 20);
  /* The seed is nowhere in the database. */
  close_all (f);
  db = entsec_test_storage_token_bytes (f->db);
  db_data = g_bytes_get_data (db, &db_len);
  g_assert_cmpuint (db_len, >, seed_len);
  g_assert_null (memmem (db_data, db_len, seed, seed_len));
  entsec_secure_free (g_steal_pointer (&seed), seed_len);
  /* Another key opens nothing. */
  g_assert_cmpint (g_unlink (key_path), ==, 0);
  open_all (f, FALSE);
  {
    g_autofree char *code = totp_at (secret, T0);
    gint64 retry = 0;

    g_assert_false (entsec_tokens_ack (f->tokens, token->id, code, T0, &retry, &error));
    g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CRYPTO);
  }
}

static void
test_ack (Fixture      *f,
          gconstpointer data)
{
  g_autofree char *secret = NULL;
  g_autoptr (EntsecToken) token = new_token (f, "totp", &secret);
  g_autoptr (EntsecToken) stored = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *far = totp_at (secret, T0 + 90);
  g_autofree char *now = totp_at (secret, T0 + 31);
  gint64 retry = 0;

  /* Not active yet: validation refuses even the right code. */
  g_assert_false (validate (f, now, T0 + 31, NULL, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE);
  g_clear_error (&error);
  g_assert_false (entsec_tokens_ack (f->tokens, token->id, far, T0, &retry, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE);
  g_clear_error (&error);
  g_assert_false (entsec_tokens_ack (f->tokens, token->id, "12a456", T0, &retry, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID);
  g_clear_error (&error);
  /* One step after T0 is within reach. */
  g_assert_true (entsec_tokens_ack (f->tokens, token->id, now, T0, &retry, &error));
  g_assert_no_error (error);
  stored = entsec_storage_token_get (f->storage, token->id, &error);
  g_assert_cmpint (stored->state, ==, ENTSEC_TOKEN_ACTIVE);
  g_assert_cmpint (stored->failures, ==, 0);
  /* Acked once only; the ack's step is used. */
  g_assert_false (entsec_tokens_ack (f->tokens, token->id, now, T0, &retry, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE);
  g_clear_error (&error);
  g_assert_false (validate (f, now, T0 + 31, NULL, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE);
}

static void
test_server_token_ack (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("entsec-rp-server-XXXXXX", &error);
  g_autofree char *text = g_strdup_printf ("listen = 127.0.0.1:0\ndata_dir = %s\n", dir);
  g_autoptr (EntsecServerConfig) init_config = entsec_server_config_new ();
  EntsecServerConfig *config = entsec_server_config_new ();
  g_autoptr (EntsecServerInitResult) result = NULL;
  g_autoptr (EntsecServer) server = NULL;
  g_autoptr (EntsecToken) token = NULL;
  g_autoptr (EntsecToken) stored = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *wrong = NULL;
  g_autofree char *right = NULL;
  EntsecUser user = { .id = "usr_bob", .phone = "+442079460958", .created = T0 };

  g_assert_no_error (error);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
  g_assert_true (entsec_server_config_parse (init_config, text, strlen (text), "t", &error));
  g_assert_true (entsec_server_config_parse (config, text, strlen (text), "t", &error));
  result = entsec_server_init (init_config, NULL, &error);
  g_assert_no_error (error);
  server = entsec_server_start (config, &error);
  g_assert_no_error (error);
  g_assert_true (entsec_storage_user_create (entsec_server_get_storage (server), &user, &error));
  token = entsec_tokens_create (entsec_server_get_tokens (server), user.id, "totp", "SHA256",
                                8, 60, NULL, NULL, T0, &secret, &error);
  g_assert_no_error (error);
  {
    gsize len = 0;
    guint8 *key = entsec_base32_decode (secret, &len, &error);
    char code[ENTSEC_OTP_CODE_SIZE];

    g_assert_cmpuint (len, ==, 32);
    g_assert_true (entsec_totp (ENTSEC_OTP_ALGORITHM_SHA256, key, len, T0, 60, 8, code,
                                &error));
    right = g_strdup (code);
    g_assert_true (entsec_totp (ENTSEC_OTP_ALGORITHM_SHA256, key, len, T0 + 600, 60, 8,
                                code, &error));
    wrong = g_strdup (code);
    entsec_secure_free (key, len);
  }
  g_assert_false (entsec_server_token_ack (server, token->id, wrong, T0, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE);
  g_clear_error (&error);
  g_assert_true (entsec_server_token_ack (server, token->id, right, T0, &error));
  g_assert_no_error (error);
  stored = entsec_storage_token_get (entsec_server_get_storage (server), token->id, &error);
  g_assert_cmpint (stored->state, ==, ENTSEC_TOKEN_ACTIVE);
  g_assert_cmpint (stored->failures, ==, 0);
  /* The push answer through the server, as the device endpoint will call it. */
  {
    gint64 retry = 0;
    g_autoptr (EntsecPush) push = entsec_push_start (entsec_server_get_storage (server), "rp_x",
                                                     user.id, NULL, "none", T0, &retry, &error);

    g_assert_no_error (error);
    g_assert_true (entsec_server_push_answer (server, push->id, "dev_1", "approve", 0, NULL,
                                              T0 + 1, &error));
    g_assert_no_error (error);
    g_assert_false (entsec_server_push_answer (server, push->id, "dev_1", "deny", 0, "not_me",
                                               T0 + 2, &error));
    g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFLICT);
    g_clear_error (&error);
  }
  g_clear_pointer (&server, entsec_server_free);
  remove_dir (dir);
}

static void
test_validate_once (Fixture      *f,
                    gconstpointer data)
{
  g_autofree char *secret = NULL;
  g_autoptr (EntsecToken) token = active_token (f, &secret);
  g_autoptr (GError) error = NULL;
  g_autofree char *next = totp_at (secret, T0 + 30);
  g_autofree char *later = totp_at (secret, T0 + 60);
  g_autofree char *two_ahead = totp_at (secret, T0 + 120);
  g_autofree char *used = NULL;
  gint64 retry = 0;

  /* Two steps away: refused (and counted). */
  g_assert_false (validate (f, two_ahead, T0 + 30, NULL, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE);
  g_clear_error (&error);
  /* One step ahead of the clock: accepted, by token id too. */
  g_assert_true (entsec_tokens_validate (f->tokens, NULL, token->id, next, T0, &retry, &used,
                                         &error));
  g_assert_no_error (error);
  g_assert_cmpstr (used, ==, token->id);
  /* Once only, also a moment later. */
  g_assert_false (validate (f, next, T0 + 40, NULL, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE);
  g_clear_error (&error);
  /* One step behind the clock: accepted; then the older one is refused. */
  g_assert_true (validate (f, later, T0 + 90, NULL, &error));
  g_assert_no_error (error);
  {
    g_autoptr (EntsecToken) stored = entsec_storage_token_get (f->storage, token->id, &error);

    g_assert_cmpint (stored->last_step, ==, (T0 + 60) / 30);
    /* The success reset the failure count. */
    g_assert_cmpint (stored->failures, ==, 0);
  }
}

static void
test_lockout_backoff (Fixture      *f,
                      gconstpointer data)
{
  g_autofree char *secret = NULL;
  g_autoptr (EntsecToken) token = active_token (f, &secret);
  g_autoptr (GError) error = NULL;
  g_autofree char *good = totp_at (secret, T0 + 30);
  const char *wrong = NULL;
  gint64 now = T0 + 30;
  gint64 retry = 0;

  /* Validated by user below: the token must exist and be active. */
  g_assert_nonnull (token);

  /* A code valid at none of the steps near T0 + 30. */
  for (const char *const *c = (const char *const[]){ "000000", "111111", "222222", NULL };
       *c != NULL && wrong == NULL; c++)
    {
      gboolean taken = FALSE;

      for (gint64 s = -1; s <= 1; s++)
        {
          g_autofree char *valid = totp_at (secret, now + s * 30);

          taken = taken || strcmp (valid, *c) == 0;
        }
      if (!taken)
        wrong = *c;
    }
  g_assert_nonnull (wrong);
  for (guint i = 1; i < ENTSEC_TOKEN_FREE_FAILURES; i++)
    {
      g_assert_false (validate (f, wrong, now, &retry, &error));
      g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE);
      g_clear_error (&error);
    }
  /* The fifth wrong code locks for 30 s: even the right code waits. */
  g_assert_false (validate (f, wrong, now, &retry, &error));
  g_clear_error (&error);
  g_assert_false (validate (f, good, now + 29, &retry, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_RATE_LIMITED);
  g_assert_cmpint (retry, ==, 1);
  g_clear_error (&error);
  /* The state is in the database: a new process sees the same lockout. */
  close_all (f);
  open_all (f, FALSE);
  g_assert_false (validate (f, good, now + 10, &retry, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_RATE_LIMITED);
  g_assert_cmpint (retry, ==, 20);
  g_clear_error (&error);
  /* After the window, a sixth wrong code locks twice as long. */
  now += 30;
  g_assert_false (validate (f, wrong, now, &retry, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE);
  g_clear_error (&error);
  g_assert_false (validate (f, good, now, &retry, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_RATE_LIMITED);
  g_assert_cmpint (retry, ==, 60);
  g_clear_error (&error);
  /* The policy: none before 5, doubling, capped, hard stop at 100. */
  g_assert_cmpint (entsec_tokens_locked_until (4, T0), ==, 0);
  g_assert_cmpint (entsec_tokens_locked_until (5, T0), ==, T0 + 30);
  g_assert_cmpint (entsec_tokens_locked_until (7, T0), ==, T0 + 120);
  g_assert_cmpint (entsec_tokens_locked_until (99, T0), ==, T0 + ENTSEC_TOKEN_LOCKOUT_MAX);
  g_assert_cmpint (entsec_tokens_locked_until (100, T0), ==, G_MAXINT64);
}

static void
test_hard_stop_and_reset (Fixture      *f,
                          gconstpointer data)
{
  g_autofree char *secret = NULL;
  g_autoptr (EntsecToken) token = active_token (f, &secret);
  g_autoptr (GError) error = NULL;
  g_autofree char *good = NULL;
  gint64 now = T0 + 30;
  gint64 retry = 0;
  guint failures = 0;
  gboolean found = FALSE;

  /* Wrong codes, each tried once the previous lockout is over. */
  while (failures < ENTSEC_TOKEN_MAX_FAILURES)
    {
      g_autoptr (EntsecToken) stored = entsec_storage_token_get (f->storage, token->id, &error);

      now = MAX (now + 1, stored->locked_until);
      /* Eight digits never match a six-digit token. */
      g_assert_false (validate (f, "99999999", now, &retry, &error));
      g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE);
      g_clear_error (&error);
      failures++;
    }
  now += 365 * 24 * 3600;
  good = totp_at (secret, now);
  g_assert_false (validate (f, good, now, &retry, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_RATE_LIMITED);
  g_assert_cmpint (retry, ==, 0);
  g_clear_error (&error);
  g_assert_true (entsec_tokens_reset (f->tokens, token->id, &found, &error));
  g_assert_true (found);
  g_assert_true (validate (f, good, now, &retry, &error));
  g_assert_no_error (error);
  /* Revoked: nothing validates any more. */
  g_assert_true (entsec_tokens_revoke (f->tokens, token->id, &found, &error));
  g_assert_true (found);
  g_clear_pointer (&good, g_free);
  good = totp_at (secret, now + 30);
  g_assert_false (validate (f, good, now + 30, &retry, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE);
}

static void
test_hotp_window (Fixture      *f,
                  gconstpointer data)
{
  g_autofree char *secret = NULL;
  g_autoptr (EntsecToken) token = new_token (f, "hotp", &secret);
  g_autoptr (GError) error = NULL;
  g_autofree char *c0 = code_at (secret, 0, 6);
  g_autofree char *c5 = code_at (secret, 5, 6);
  g_autofree char *c3 = code_at (secret, 3, 6);
  g_autofree char *c30 = code_at (secret, 30, 6);
  gint64 retry = 0;

  g_assert_true (entsec_tokens_ack (f->tokens, token->id, c0, T0, &retry, &error));
  g_assert_no_error (error);
  /* Past the look-ahead window: refused and counted like a wrong code. */
  g_assert_false (validate (f, c30, T0, NULL, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE);
  g_clear_error (&error);
  g_assert_cmpuint (token_failures (f, token->id), ==, 1);
  g_assert_true (validate (f, c5, T0, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (token_failures (f, token->id), ==, 0);
  /* Counters up to the last one used are gone; reusing one is not counted. */
  g_assert_false (validate (f, c3, T0, NULL, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE);
  g_assert_cmpuint (token_failures (f, token->id), ==, 0);
}

/* An admin brings back an HOTP token whose counter ran past the window. */
static void
test_hotp_resync (Fixture      *f,
                  gconstpointer data)
{
  g_autofree char *secret = NULL;
  g_autoptr (EntsecToken) token = new_token (f, "hotp", &secret);
  g_autoptr (EntsecToken) stored = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *c0 = code_at (secret, 0, 6);
  g_autofree char *c50 = code_at (secret, 50, 6);
  g_autofree char *c51 = code_at (secret, 51, 6);
  g_autofree char *c52 = code_at (secret, 52, 6);
  g_autofree char *c53 = code_at (secret, 53, 6);
  g_autofree char *far = code_at (secret, 1 + ENTSEC_TOKEN_HOTP_RESYNC_WINDOW, 6);
  g_autofree char *farther = code_at (secret, 2 + ENTSEC_TOKEN_HOTP_RESYNC_WINDOW, 6);
  gint64 retry = 0;
  gboolean found = FALSE;

  g_assert_true (entsec_tokens_ack (f->tokens, token->id, c0, T0, &retry, &error));
  for (guint i = 0; i < ENTSEC_TOKEN_FREE_FAILURES; i++)
    {
      g_assert_false (validate (f, c50, T0, NULL, &error));
      g_clear_error (&error);
    }
  g_assert_false (validate (f, c53, T0, NULL, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_RATE_LIMITED);
  g_clear_error (&error);
  /* not in a row, or beyond the resync window: refused, not counted */
  g_assert_false (entsec_tokens_resync (f->tokens, token->id, c50, c52, &found, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE);
  g_clear_error (&error);
  g_assert_false (entsec_tokens_resync (f->tokens, token->id, far, farther, &found, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE);
  g_clear_error (&error);
  g_assert_false (entsec_tokens_resync (f->tokens, token->id, c50, "12ab56", &found, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_cmpuint (token_failures (f, token->id), ==, ENTSEC_TOKEN_FREE_FAILURES);
  /* two in a row: the second is the last used; failures and lockout cleared */
  g_assert_true (entsec_tokens_resync (f->tokens, token->id, c50, c51, &found, &error));
  g_assert_no_error (error);
  g_assert_true (found);
  stored = entsec_storage_token_get (f->storage, token->id, &error);
  g_assert_cmpint (stored->last_step, ==, 51);
  g_assert_cmpuint (stored->failures, ==, 0);
  g_assert_cmpint (stored->locked_until, ==, 0);
  g_assert_false (validate (f, c51, T0, NULL, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE);
  g_clear_error (&error);
  g_assert_true (validate (f, c53, T0, NULL, &error));
  g_assert_no_error (error);
  /* unknown; and a TOTP token follows the clock */
  g_assert_true (entsec_tokens_resync (f->tokens, "tok_none", c50, c51, &found, &error));
  g_assert_false (found);
  g_clear_pointer (&token, entsec_token_free);
  g_clear_pointer (&secret, g_free);
  token = active_token (f, &secret);
  g_assert_false (entsec_tokens_resync (f->tokens, token->id, c50, c51, &found, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID);
}

#define RACERS 20

typedef struct
{
  Fixture      *f;
  const char   *code;
  gint          successes;
  EntsecTokens *other;   /* (nullable): a second handle on the database */
  gint          started; /* atomic: which of the two handles the next racer takes */
} Race;

static gpointer
race_one (gpointer data)
{
  Race *race = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *used = NULL;
  gint64 retry = 0;
  gboolean odd = g_atomic_int_add (&race->started, 1) % 2 == 1;
  EntsecTokens *tokens = odd && race->other != NULL ? race->other : race->f->tokens;

  /* a start line: the racers go together, not one after the other */
  while (g_atomic_int_get (&race->started) < RACERS)
    g_thread_yield ();
  if (entsec_tokens_validate (tokens, race->f->user_id, NULL, race->code, T0 + 30, &retry,
                              &used, &error))
    g_atomic_int_inc (&race->successes);
  else
    g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE);
  return NULL;
}

/* RACERS requests at once with @code; @other (nullable) takes every other
 * one. Returns how many succeeded. */
static gint
race (Fixture      *f,
      const char   *code,
      EntsecTokens *other)
{
  Race race = { f, code, 0, other, 0 };

  entsec_test_run_threads (RACERS, race_one, &race);
  return race.successes;
}

static void
test_concurrent_once (Fixture      *f,
                      gconstpointer data)
{
  g_autofree char *secret = NULL;
  g_autoptr (EntsecToken) token = active_token (f, &secret);
  g_autofree char *code = totp_at (secret, T0 + 30);

  g_assert_nonnull (token);
  g_assert_cmpint (race (f, code, NULL), ==, 1);
}

/* As above, half of the requests through a second storage handle (its own
 * connections, as another server on the database has): still one success. */
static void
test_concurrent_once_two_handles (Fixture      *f,
                                  gconstpointer data)
{
  g_autofree char *secret = NULL;
  g_autoptr (EntsecToken) token = active_token (f, &secret);
  g_autofree char *code = totp_at (secret, T0 + 30);
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecStorage) storage = entsec_test_storage_open (f->db, FALSE, &error);
  EntsecTokens *other = NULL;

  g_assert_nonnull (token);
  g_assert_no_error (error);
  other = entsec_tokens_new (storage, f->dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (race (f, code, other), ==, 1);
  entsec_tokens_free (other);
}

static void
test_bad_parameters (Fixture      *f,
                     gconstpointer data)
{
  struct
  {
    const char *type, *algorithm;
    guint       digits, period;
    const char *fragment;
  } cases[] = {
    { "sms", NULL, 6, 30, "\"type\"" },
    { "totp", "MD5", 6, 30, "\"algorithm\"" },
    { "totp", NULL, 5, 30, "\"digits\"" },
    { "totp", NULL, 11, 30, "\"digits\"" },
    { "totp", NULL, 6, 0, "\"period\"" },
    { "totp", NULL, 6, 301, "\"period\"" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *secret = NULL;
      g_autoptr (EntsecToken) token = entsec_tokens_create (f->tokens, f->user_id, cases[i].type,
                                                            cases[i].algorithm, cases[i].digits,
                                                            cases[i].period, NULL, NULL, T0,
                                                            &secret, &error);

      g_assert_null (token);
      g_assert_null (secret);
      g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, cases[i].fragment));
    }
}

static EntsecPush *
start_push (Fixture    *f,
            const char *mode,
            gint64      now)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) context = json_pack ("{s:s,s:s}", "app", "VPN", "ip", "192.0.2.7");
  gint64 retry = 0;
  EntsecPush *push = entsec_push_start (f->storage, "rp_one", f->user_id, context, mode, now,
                                        &retry, &error);

  g_assert_no_error (error);
  return push;
}

static gboolean
audited (Fixture    *f,
         const char *action,
         const char *target)
{
  g_autoptr (GPtrArray) entries = entsec_storage_audit_list (f->storage, 0, 1000, NULL);
  gboolean found = FALSE;

  for (guint i = 0; i < entries->len; i++)
    {
      EntsecAuditEntry *entry = g_ptr_array_index (entries, i);

      found = found || (strcmp (entry->action, action) == 0
                        && g_strcmp0 (entry->target, target) == 0);
    }
  return found;
}

#define PUSH_RACERS 12

typedef struct
{
  EntsecStorage *storages[2];
  const char    *user_id;
  gint           started;
  gint           stored;
  gint           limited;
} PushRace;

static gpointer
push_one (gpointer data)
{
  PushRace *race = data;
  gint i = g_atomic_int_add (&race->started, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecPush) push = NULL;
  gint64 retry = 0;

  while (g_atomic_int_get (&race->started) < PUSH_RACERS)
    g_thread_yield ();
  push = entsec_push_start (race->storages[i % 2], "rp_one", race->user_id, NULL, NULL, T0,
                            &retry, &error);
  if (push != NULL)
    g_atomic_int_inc (&race->stored);
  else if (g_error_matches (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_RATE_LIMITED))
    g_atomic_int_inc (&race->limited);
  return NULL;
}

/* Push starts for one user race through two storage handles (as two
 * servers on one database): the cap of open transactions still holds. */
static void
test_push_cap_race (Fixture      *f,
                    gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecStorage) other = entsec_test_storage_open (f->db, FALSE, &error);
  PushRace race = { .storages = { f->storage, other }, .user_id = f->user_id };

  g_assert_no_error (error);
  entsec_test_run_threads (PUSH_RACERS, push_one, &race);
  g_assert_cmpint (race.stored, ==, 3);
  g_assert_cmpint (race.limited, ==, PUSH_RACERS - 3);
}

static void
test_push_start_and_caps (Fixture      *f,
                          gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecPush) a = start_push (f, NULL, T0);
  g_autoptr (EntsecPush) b = start_push (f, "choose", T0 + 10);
  g_autoptr (EntsecPush) c = start_push (f, "none", T0 + 20);
  g_autoptr (EntsecPush) d = NULL;
  g_autoptr (EntsecPush) e = NULL;
  g_autoptr (EntsecPush) polled = NULL;
  g_autoptr (EntsecPush) other = NULL;
  g_autoptr (json_t) bad = json_pack ("{s:i}", "app", 1);
  gint64 retry = 0;

  g_assert_cmpstr (a->mode, ==, "enter");
  g_assert_cmpuint (a->number, >=, 10);
  g_assert_cmpuint (a->number, <=, 99);
  g_assert_cmpuint (c->number, ==, 0);
  g_assert_cmpstr (a->context, ==, "{\"app\":\"VPN\",\"ip\":\"192.0.2.7\"}");
  g_assert_true (audited (f, "push.start", a->id));
  /* A fourth while three are pending: refused until the first expires. */
  d = entsec_push_start (f->storage, "rp_one", f->user_id, NULL, NULL, T0 + 30, &retry, &error);
  g_assert_null (d);
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_RATE_LIMITED);
  g_assert_cmpint (retry, ==, 30);
  g_clear_error (&error);
  e = start_push (f, NULL, T0 + ENTSEC_PUSH_LIFETIME);
  g_assert_cmpint (e->state, ==, ENTSEC_PUSH_PENDING);
  /* Polled after its expiry, the first is expired; another RP sees nothing. */
  polled = entsec_push_poll (f->storage, a->id, "rp_one", T0 + ENTSEC_PUSH_LIFETIME, &error);
  g_assert_cmpint (polled->state, ==, ENTSEC_PUSH_EXPIRED);
  other = entsec_push_poll (f->storage, b->id, "rp_two", T0, &error);
  g_assert_no_error (error);
  g_assert_null (other);
  /* Refused input. */
  g_assert_null (entsec_push_start (f->storage, "rp_one", f->user_id, bad, NULL, T0, &retry,
                                    &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (entsec_push_start (f->storage, "rp_one", f->user_id, NULL, "guess", T0, &retry,
                                    &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_null (entsec_push_start (f->storage, "rp_one", "usr_nobody", NULL, NULL, T0, &retry,
                                    &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE);
}

static void
test_push_answers (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecPush) ok = start_push (f, NULL, T0);
  g_autoptr (EntsecPush) late = start_push (f, NULL, T0);
  g_autoptr (EntsecPush) polled = NULL;
  guint wrong = ok->number == 99 ? 98 : ok->number + 1;

  g_assert_false (entsec_push_answer (f->storage, ok->id, "dev_1", "approve", wrong, NULL,
                                      T0 + 5, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE);
  g_clear_error (&error);
  g_assert_true (entsec_push_answer (f->storage, ok->id, "dev_1", "approve", ok->number, NULL,
                                     T0 + 6, &error));
  g_assert_no_error (error);
  polled = entsec_push_poll (f->storage, ok->id, "rp_one", T0 + 7, &error);
  g_assert_cmpint (polled->state, ==, ENTSEC_PUSH_APPROVED);
  g_assert_cmpstr (polled->device_id, ==, "dev_1");
  g_assert_false (entsec_push_answer (f->storage, ok->id, "dev_1", "approve", ok->number, NULL,
                                      T0 + 8, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_false (entsec_push_answer (f->storage, late->id, "dev_1", "approve", late->number,
                                      NULL, T0 + ENTSEC_PUSH_LIFETIME, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_EXPIRED);
  g_clear_error (&error);
  g_assert_false (entsec_push_answer (f->storage, late->id, "dev_1", "maybe", 0, NULL, T0,
                                      &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID);
}

static void
test_push_wrong_numbers_flag (Fixture      *f,
                              gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecPush) push = start_push (f, "choose", T0);
  g_autoptr (EntsecPush) polled = NULL;
  guint wrong = push->number == 10 ? 11 : push->number - 1;

  for (guint i = 0; i < ENTSEC_PUSH_MAX_WRONG; i++)
    {
      g_assert_false (entsec_push_answer (f->storage, push->id, "dev_1", "approve", wrong, NULL,
                                          T0 + 1, &error));
      g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE);
      g_clear_error (&error);
    }
  polled = entsec_push_poll (f->storage, push->id, "rp_one", T0 + 2, &error);
  g_assert_cmpint (polled->state, ==, ENTSEC_PUSH_DENIED);
  g_assert_true (polled->flagged);
  g_assert_cmpstr (polled->deny_reason, ==, "wrong_number");
  g_assert_true (audited (f, "push.flagged", push->id));
  /* Closed: the right number no longer helps. */
  g_assert_false (entsec_push_answer (f->storage, push->id, "dev_1", "approve", push->number,
                                      NULL, T0 + 3, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFLICT);
}

static void
test_push_not_me_mutes (Fixture      *f,
                        gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecPush) push = start_push (f, NULL, T0);
  g_autoptr (EntsecPush) muted = NULL;
  g_autoptr (EntsecPush) still = NULL;
  g_autoptr (EntsecPush) again = NULL;
  g_autoptr (EntsecPush) polled = NULL;

  g_assert_true (entsec_push_answer (f->storage, push->id, "dev_1", "deny", 0, "not_me", T0 + 5,
                                     &error));
  g_assert_no_error (error);
  polled = entsec_push_poll (f->storage, push->id, "rp_one", T0 + 6, &error);
  g_assert_cmpint (polled->state, ==, ENTSEC_PUSH_DENIED);
  g_assert_cmpstr (polled->deny_reason, ==, "not_me");
  g_assert_true (audited (f, "push.fraud_alert", f->user_id));
  muted = start_push (f, NULL, T0 + 10);
  g_assert_cmpint (muted->state, ==, ENTSEC_PUSH_MUTED);
  g_assert_true (audited (f, "push.muted", muted->id));
  /* The mute is stored: a reopened database keeps it. */
  close_all (f);
  open_all (f, FALSE);
  still = start_push (f, NULL, T0 + 5 + ENTSEC_PUSH_MUTE - 1);
  g_assert_cmpint (still->state, ==, ENTSEC_PUSH_MUTED);
  again = start_push (f, NULL, T0 + 5 + ENTSEC_PUSH_MUTE);
  g_assert_cmpint (again->state, ==, ENTSEC_PUSH_PENDING);
}

/* The compare and set the single use rests on: an update against a stale
 * copy (another request moved last_step or the failures) changes nothing. */
static void
test_token_compare_and_set (Fixture      *f,
                            gconstpointer data)
{
  g_autofree char *secret = NULL;
  g_autoptr (EntsecToken) token = active_token (f, &secret);
  g_autoptr (EntsecToken) stale = entsec_storage_token_get (f->storage, token->id, NULL);
  g_autoptr (GError) error = NULL;
  EntsecToken next = *stale;
  gboolean updated = FALSE;

  next.last_step = stale->last_step + 1;
  g_assert_true (entsec_storage_token_update (f->storage, &next, stale, &updated, &error));
  g_assert_true (updated);
  next.last_step = stale->last_step + 2;
  g_assert_true (entsec_storage_token_update (f->storage, &next, stale, &updated, &error));
  g_assert_false (updated);
  next = *stale;
  next.last_step = stale->last_step + 1;
  next.failures = 1;
  g_assert_true (entsec_storage_token_update (f->storage, &next, stale, &updated, &error));
  g_assert_false (updated);
}

static void
test_push_compare_and_set (Fixture      *f,
                           gconstpointer data)
{
  g_autoptr (EntsecPush) push = start_push (f, NULL, T0);
  g_autoptr (GError) error = NULL;
  EntsecPush next = *push;
  gboolean updated = FALSE;

  next.wrong_numbers = 1;
  g_assert_true (entsec_storage_push_update (f->storage, &next, push, &updated, &error));
  g_assert_true (updated);
  next.wrong_numbers = 0;
  next.state = ENTSEC_PUSH_APPROVED;
  g_assert_true (entsec_storage_push_update (f->storage, &next, push, &updated, &error));
  g_assert_false (updated);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add ("/server-rp/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("rp-keys", test_rp_keys);
  ADD ("seed-sealed", test_seed_sealed);
  ADD ("ack", test_ack);
  ADD ("validate-once", test_validate_once);
  ADD ("lockout-backoff", test_lockout_backoff);
  ADD ("hard-stop-and-reset", test_hard_stop_and_reset);
  ADD ("hotp-window", test_hotp_window);
  ADD ("hotp-resync", test_hotp_resync);
  ADD ("concurrent-once", test_concurrent_once);
  ADD ("concurrent-once-two-handles", test_concurrent_once_two_handles);
  ADD ("bad-parameters", test_bad_parameters);
  ADD ("push-start-and-caps", test_push_start_and_caps);
  ADD ("push-cap-race", test_push_cap_race);
  ADD ("push-answers", test_push_answers);
  ADD ("push-wrong-numbers-flag", test_push_wrong_numbers_flag);
  ADD ("push-not-me-mutes", test_push_not_me_mutes);
  ADD ("token-compare-and-set", test_token_compare_and_set);
  ADD ("push-compare-and-set", test_push_compare_and_set);
#undef ADD
  g_test_add_func ("/server-rp/server-token-ack", test_server_token_ack);
  return g_test_run ();
}
