/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-vault-attempts.c: an enterprise policy's limit on wrong unlocks
 * (app_unlock.max_attempts / after_max_attempts) against a real
 * gnome-keyring (tests/keyring-session.sh): the count kept in the file
 * across opens and reset by a right unlock, the delay schedule at an
 * injected clock, the wipe of the enterprise data (and the device key's
 * keyring item) and a wipe cut short, wrong PINs counted, and no limit
 * without a policy.
 */

#include "config.h"

#include <string.h>

#include <libsecret/secret.h>

#include <entsec/entsec.h>

#include "entsec-core-private.h"
#include "entsec-keyring-schema.h"
#include "vault-test-util.h"

extern guint vault_testing_fail_locked_row;

static const char passphrase[] = "attempts test passphrase";
static const char wrong[] = "not the passphrase";

typedef VtFixture Fixture;

/* The injected clock (Unix seconds). */
static gint64 now = 1000000;

static gint64
test_clock (gpointer user_data)
{
  return *(gint64 *) user_data;
}

static void
fixture_setup (Fixture      *f,
               gconstpointer data)
{
  vt_fixture_setup (f, data);
  now = 1000000;
}

#define fixture_teardown vt_fixture_teardown

static EntsecVault *
open_ok (const char *path)
{
  g_autoptr (GError) error = NULL;
  EntsecVault *vault = entsec_vault_open_sync (path, NULL, &error);

  g_assert_no_error (error);
  entsec_vault_set_clock (vault, test_clock, &now);
  return vault;
}

static gboolean
has_row (EntsecVault *vault,
         const char  *name)
{
  g_autoptr (GBytes) row = vt_locked_row (vault, name);

  return row != NULL;
}

static EntsecVaultUnlockLimit
limit_of (EntsecVault *vault)
{
  g_autoptr (GError) error = NULL;
  EntsecVaultUnlockLimit limit;

  g_assert_true (entsec_vault_get_unlock_limit_sync (vault, &limit, NULL, &error));
  g_assert_no_error (error);
  return limit;
}

/*
 * An enrolled-looking vault, closed: a personal and a managed account, an
 * enterprise and a personal preference, the sealed device row and, with
 * @max > 0, the unlock limit (@action).
 */
static void
make_vault (const char             *path,
            guint                   max,
            EntsecUnlockLimitAction action)
{
  g_autoptr (EntsecVault) vault = vt_create (path, passphrase);
  g_autoptr (EntsecAccount) managed = vt_account ("Corp", "ann", 2);
  g_autoptr (GBytes) sealed = g_bytes_new_static ("sealed", 6);
  g_autoptr (GError) error = NULL;

  vt_add (vault, "Personal", "me", 1);
  managed->managed_id = g_strdup ("tok_1");
  vt_add_account (vault, managed);
  vt_set_string (vault, "enterprise.device_id", "dev_1");
  vt_set_string (vault, "app.theme", "dark");
  g_assert_true (entsec_vault_set_locked_row_sync (vault, "enterprise.device", sealed, NULL,
                                                   &error));
  g_assert_no_error (error);
  if (max > 0)
    g_assert_true (entsec_vault_set_unlock_policy_sync (vault, max, action, NULL, &error));
  g_assert_no_error (error);
}

/* One unlock with @secret; its error (NULL when it opened). */
static GError *
try_unlock (EntsecVault *vault,
            const char  *secret)
{
  GError *error = NULL;

  if (entsec_vault_unlock_passphrase_sync (vault, secret, strlen (secret), NULL, &error))
    g_assert_no_error (error);
  return error;
}

static void
assert_wrong (EntsecVault *vault,
              gint         code)
{
  g_autoptr (GError) error = try_unlock (vault, wrong);

  g_assert_error (error, ENTSEC_VAULT_ERROR, code);
}

/* ---- No policy -------------------------------------------------------------- */

/* Personal mode: any number of wrong unlocks, nothing written, the right one opens. */
static void
test_no_policy_no_limit (Fixture      *f,
                         gconstpointer data)
{
  g_autoptr (EntsecVault) vault = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  EntsecVaultUnlockLimit limit;

  make_vault (f->path, 0, ENTSEC_UNLOCK_LIMIT_NONE);
  vault = open_ok (f->path);
  before = vt_file_hash (f->path);
  for (guint i = 0; i < 15; i++)
    assert_wrong (vault, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  after = vt_file_hash (f->path);
  g_assert_cmpstr (before, ==, after);
  g_assert_cmpuint (entsec_vault_get_failed_unlocks (vault), ==, 15);
  limit = limit_of (vault);
  g_assert_cmpint (limit.action, ==, ENTSEC_UNLOCK_LIMIT_NONE);
  g_assert_cmpuint (limit.attempts_left, ==, 0);
  g_assert_null (try_unlock (vault, passphrase));
  g_assert_cmpuint (vt_count_accounts (vault), ==, 2);
}

/* ---- The count -------------------------------------------------------------- */

/* Wrong unlocks are counted in the file: a new process sees them; a right one resets them. */
static void
test_count_persists_and_resets (Fixture      *f,
                                gconstpointer data)
{
  g_autoptr (EntsecVault) vault = NULL;
  EntsecVaultUnlockLimit limit;

  make_vault (f->path, 5, ENTSEC_UNLOCK_LIMIT_DELAY);
  vault = open_ok (f->path);
  assert_wrong (vault, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  assert_wrong (vault, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  g_clear_object (&vault);
  vault = open_ok (f->path);
  limit = limit_of (vault);
  g_assert_cmpint (limit.action, ==, ENTSEC_UNLOCK_LIMIT_DELAY);
  g_assert_cmpuint (limit.max_attempts, ==, 5);
  g_assert_cmpuint (limit.failed, ==, 2);
  g_assert_cmpuint (limit.attempts_left, ==, 3);
  g_assert_cmpint (limit.wait, ==, 0);
  g_assert_null (try_unlock (vault, passphrase));
  g_clear_object (&vault);
  vault = open_ok (f->path);
  limit = limit_of (vault);
  g_assert_cmpuint (limit.failed, ==, 0);
  g_assert_cmpuint (limit.attempts_left, ==, 5);
  g_assert_false (has_row (vault, ENTSEC_LOCKED_FAILED_UNLOCKS));
}

/* ---- Delay ------------------------------------------------------------------ */

static void
on_limit (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  EntsecVaultUnlockLimit *limit = user_data;
  g_autoptr (GError) error = NULL;

  g_assert_true (entsec_vault_get_unlock_limit_finish (ENTSEC_VAULT (source), result, limit,
                                                       &error));
  g_assert_no_error (error);
}

static EntsecVaultUnlockLimit
limit_async (EntsecVault *vault)
{
  EntsecVaultUnlockLimit limit = { .max_attempts = G_MAXUINT };

  entsec_vault_get_unlock_limit_async (vault, NULL, on_limit, &limit);
  while (limit.max_attempts == G_MAXUINT)
    g_main_context_iteration (NULL, TRUE);
  return limit;
}

/*
 * Past the limit each attempt waits: 30 s after the limit's wrong unlock,
 * doubling after each further one, at most an hour. An attempt in the wait
 * (even the right passphrase) is refused and not counted; a clock set back
 * never lengthens the wait.
 */
static void
test_delay_schedule (Fixture      *f,
                     gconstpointer data)
{
  static const gint64 schedule[] = { 30, 60, 120, 240, 480, 960, 1920, 3600, 3600 };
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;
  EntsecVaultUnlockLimit limit;

  make_vault (f->path, 3, ENTSEC_UNLOCK_LIMIT_DELAY);
  vault = open_ok (f->path);
  assert_wrong (vault, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  limit = limit_of (vault);
  g_assert_cmpint (limit.next_wait, ==, 0);
  assert_wrong (vault, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  limit = limit_async (vault);
  g_assert_cmpuint (limit.attempts_left, ==, 1);
  g_assert_cmpint (limit.next_wait, ==, 30);
  for (gsize i = 0; i < G_N_ELEMENTS (schedule); i++)
    {
      error = try_unlock (vault, wrong);
      g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
      g_assert_nonnull (strstr (error->message, "wait"));
      g_clear_error (&error);
      limit = limit_of (vault);
      g_assert_cmpuint (limit.failed, ==, 3 + i);
      g_assert_cmpuint (limit.attempts_left, ==, 0);
      g_assert_cmpint (limit.wait, ==, schedule[i]);
      now += schedule[i] - 1;
      error = try_unlock (vault, passphrase);
      g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_UNLOCK_DELAYED);
      g_clear_error (&error);
      g_assert_cmpuint (limit_of (vault).failed, ==, 3 + i);
      g_assert_cmpint (limit_of (vault).wait, ==, 1);
      now += 1;
    }
  /* The clock set back an hour: the wait left is at most the wait. */
  assert_wrong (vault, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  now -= 3600;
  g_assert_cmpint (limit_of (vault).wait, ==, 3600);
  now += 2 * 3600;
  g_assert_null (try_unlock (vault, passphrase));
  g_assert_cmpuint (limit_of (vault).failed, ==, 0);
}

/* ---- Wipe ------------------------------------------------------------------- */

static GHashTable *
kek_attributes (EntsecVault *vault)
{
  GHashTable *attributes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);

  g_hash_table_insert (attributes, "vault", entsec_vault_dup_id (vault));
  return attributes;
}

static void
store_device_kek (EntsecVault *vault)
{
  g_autoptr (GHashTable) attributes = kek_attributes (vault);
  g_autoptr (SecretValue) value = secret_value_new ("0123456789abcdef0123456789abcdef", 32,
                                                    "application/octet-stream");
  g_autoptr (GError) error = NULL;

  g_assert_true (secret_password_storev_binary_sync (&entsec_device_kek_schema, attributes,
                                                     SECRET_COLLECTION_DEFAULT, "test kek",
                                                     value, NULL, &error));
  g_assert_no_error (error);
}

static gboolean
device_kek_stored (EntsecVault *vault)
{
  g_autoptr (GHashTable) attributes = kek_attributes (vault);
  g_autoptr (GError) error = NULL;
  g_autolist (SecretItem) items = NULL;

  items = secret_password_searchv_sync (&entsec_device_kek_schema, attributes,
                                        SECRET_SEARCH_ALL, NULL, &error);
  g_assert_no_error (error);
  return items != NULL;
}

/* A policy version in the keyring as entsec-policy.c keeps it, for the vault
 * whose id's hash is @vault_hash. */
static void
store_policy_version (const char *vault_hash)
{
  g_autoptr (GHashTable) attributes = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (SecretValue) value = secret_value_new ("7", -1, "text/plain");
  g_autoptr (GError) error = NULL;

  g_hash_table_insert (attributes, "device", "test-device");
  g_hash_table_insert (attributes, "vault", (gpointer) vault_hash);
  g_assert_true (secret_password_storev_binary_sync (&entsec_policy_version_schema, attributes,
                                                     SECRET_COLLECTION_DEFAULT, "test version",
                                                     value, NULL, &error));
  g_assert_no_error (error);
}

static gboolean
policy_version_stored (const char *vault_hash)
{
  g_autoptr (GHashTable) attributes = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GError) error = NULL;
  g_autolist (SecretItem) items = NULL;

  g_hash_table_insert (attributes, "vault", (gpointer) vault_hash);
  items = secret_password_searchv_sync (&entsec_policy_version_schema, attributes,
                                        SECRET_SEARCH_ALL, NULL, &error);
  g_assert_no_error (error);
  return items != NULL;
}

/* The wipe record of @vault (asserted present). */
static EntsecRemoteWipe
wipe_record (EntsecVault *vault)
{
  g_autoptr (GBytes) row = vt_locked_row (vault, ENTSEC_LOCKED_REMOTE_WIPE);
  EntsecRemoteWipe wipe = { 0 };

  g_assert_nonnull (row);
  g_assert_true (entsec_remote_wipe_decode (row, &wipe));
  return wipe;
}

/*
 * The wrong unlock that reaches the limit wipes the enterprise data as a
 * remote wipe does: at once the device row, the keyring's device KEK and
 * copy of the policy version (another vault's stays) and the limit itself; at the next (right) unlock the managed account and the
 * enterprise preferences. Personal accounts and settings stay.
 */
static void
test_wipe_at_limit (Fixture      *f,
                    gconstpointer data)
{
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GVariant) kept = NULL;
  g_autoptr (GVariant) gone = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *vault_hash = NULL;
  EntsecVaultUnlockLimit limit;
  EntsecRemoteWipe wipe;

  make_vault (f->path, 3, ENTSEC_UNLOCK_LIMIT_WIPE);
  vault = open_ok (f->path);
  vault_hash = entsec_vault_dup_id (vault);
  store_device_kek (vault);
  store_policy_version (vault_hash);
  store_policy_version ("another vault");
  assert_wrong (vault, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  assert_wrong (vault, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  limit = limit_of (vault);
  g_assert_cmpint (limit.action, ==, ENTSEC_UNLOCK_LIMIT_WIPE);
  g_assert_cmpuint (limit.attempts_left, ==, 1);
  g_assert_true (has_row (vault, "enterprise.device"));
  g_assert_true (device_kek_stored (vault));
  g_assert_true (policy_version_stored (vault_hash));
  assert_wrong (vault, ENTSEC_VAULT_ERROR_UNLOCK_WIPED);
  g_assert_false (policy_version_stored (vault_hash));
  g_assert_true (policy_version_stored ("another vault"));
  g_assert_false (has_row (vault, "enterprise.device"));
  g_assert_false (has_row (vault, ENTSEC_LOCKED_UNLOCK_POLICY));
  g_assert_false (has_row (vault, ENTSEC_LOCKED_FAILED_UNLOCKS));
  g_assert_false (device_kek_stored (vault));
  wipe = wipe_record (vault);
  g_assert_cmpint (wipe.reason, ==, ENTSEC_WIPE_FAILED_UNLOCKS);
  g_assert_cmpint (wipe.received_at, ==, now);
  g_assert_cmpint (wipe.completed_at, ==, 0);
  /* No policy left: a wrong unlock is only wrong now. */
  g_assert_cmpint (limit_of (vault).action, ==, ENTSEC_UNLOCK_LIMIT_NONE);
  assert_wrong (vault, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  /* A new process, the right passphrase: the rest goes before anything is shown. */
  g_clear_object (&vault);
  vault = open_ok (f->path);
  now += 10;
  g_assert_null (try_unlock (vault, passphrase));
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);
  gone = entsec_vault_get_pref_sync (vault, "enterprise.device_id", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (gone);
  kept = entsec_vault_get_pref_sync (vault, "app.theme", NULL, &error);
  g_assert_nonnull (kept);
  wipe = wipe_record (vault);
  g_assert_cmpint (wipe.reason, ==, ENTSEC_WIPE_FAILED_UNLOCKS);
  g_assert_cmpint (wipe.completed_at, ==, now);
}

/*
 * A wipe whose write fails in its middle (after the other rows were
 * deleted, at the record) leaves everything as it was: the device row, the
 * count, the keyring item; the attempt is reported wrong, and uncounted.
 */
static void
test_wipe_cut_short (Fixture      *f,
                     gconstpointer data)
{
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;

  make_vault (f->path, 2, ENTSEC_UNLOCK_LIMIT_WIPE);
  vault = open_ok (f->path);
  store_device_kek (vault);
  assert_wrong (vault, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  /* The wipe's one write (the other rows deleted first) fails at its record. */
  vault_testing_fail_locked_row = 1;
  error = try_unlock (vault, wrong);
  g_assert_cmpuint (vault_testing_fail_locked_row, ==, 0);
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  g_assert_nonnull (strstr (error->message, "could not be counted"));
  g_assert_true (has_row (vault, "enterprise.device"));
  g_assert_true (has_row (vault, ENTSEC_LOCKED_UNLOCK_POLICY));
  g_assert_false (has_row (vault, ENTSEC_LOCKED_REMOTE_WIPE));
  g_assert_cmpuint (limit_of (vault).failed, ==, 1);
  g_assert_true (device_kek_stored (vault));
  assert_wrong (vault, ENTSEC_VAULT_ERROR_UNLOCK_WIPED);
  g_assert_false (has_row (vault, "enterprise.device"));
}

/* ---- The PIN ---------------------------------------------------------------- */

/*
 * A wrong PIN is a wrong unlock for the limit too (besides the PIN's own
 * five); in the wait the PIN is not tried, so its own count stays.
 */
static void
test_wrong_pins_count (Fixture      *f,
                       gconstpointer data)
{
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;
  EntsecVaultPinStatus status;
  guint left = 0;

  make_vault (f->path, 3, ENTSEC_UNLOCK_LIMIT_DELAY);
  vault = open_ok (f->path);
  g_assert_null (try_unlock (vault, passphrase));
  g_assert_true (entsec_vault_add_pin_slot_sync (vault, passphrase, strlen (passphrase), "4821",
                                                 4, &vt_fast_kdf, NULL, &error));
  g_assert_no_error (error);
  entsec_vault_lock_sync (vault);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_false (entsec_vault_unlock_pin_sync (vault, "0000", 4, &left, NULL, &error));
      g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
      g_clear_error (&error);
    }
  g_assert_cmpuint (limit_of (vault).failed, ==, 2);
  assert_wrong (vault, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  g_assert_cmpint (limit_of (vault).wait, ==, 30);
  g_assert_false (entsec_vault_unlock_pin_sync (vault, "4821", 4, &left, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_UNLOCK_DELAYED);
  g_clear_error (&error);
  g_assert_true (entsec_vault_get_pin_status_sync (vault, &status, &left, NULL, &error));
  g_assert_cmpint (status, ==, ENTSEC_VAULT_PIN_READY);
  g_assert_cmpuint (left, ==, ENTSEC_VAULT_PIN_MAX_ATTEMPTS - 2);
  now += 30;
  g_assert_true (entsec_vault_unlock_pin_sync (vault, "4821", 4, &left, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (limit_of (vault).failed, ==, 0);
}

/*
 * A well-formed wrong recovery key counts; text that is no recovery key at
 * all (a wrong passphrase the app tries as one too) does not, so that one
 * typed guess is one wrong unlock.
 */
static void
test_recovery_key_counting (Fixture      *f,
                            gconstpointer data)
{
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;
  char *key = NULL;
  char shaped[53];

  make_vault (f->path, 5, ENTSEC_UNLOCK_LIMIT_DELAY);
  vault = open_ok (f->path);
  g_assert_null (try_unlock (vault, passphrase));
  key = entsec_vault_add_recovery_slot_sync (vault, NULL, &error);
  g_assert_no_error (error);
  entsec_vault_lock_sync (vault);
  g_assert_false (entsec_vault_unlock_recovery_sync (vault, wrong, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  g_clear_error (&error);
  g_assert_cmpuint (limit_of (vault).failed, ==, 0);
  memset (shaped, 'A', 52);
  shaped[52] = '\0';
  g_assert_false (entsec_vault_unlock_recovery_sync (vault, shaped, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  g_clear_error (&error);
  g_assert_cmpuint (limit_of (vault).failed, ==, 1);
  g_assert_true (entsec_vault_unlock_recovery_sync (vault, key, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (limit_of (vault).failed, ==, 0);
  entsec_secure_strfree (key);
}

/* ---- The policy row ---------------------------------------------------------- */

/* A new policy keeps the count; no policy drops it; the same policy writes nothing. */
static void
test_policy_row (Fixture      *f,
                 gconstpointer data)
{
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  make_vault (f->path, 5, ENTSEC_UNLOCK_LIMIT_DELAY);
  vault = open_ok (f->path);
  assert_wrong (vault, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  g_assert_true (entsec_vault_set_unlock_policy_sync (vault, 4, ENTSEC_UNLOCK_LIMIT_WIPE, NULL,
                                                      &error));
  g_assert_cmpuint (limit_of (vault).failed, ==, 1);
  g_assert_cmpuint (limit_of (vault).attempts_left, ==, 3);
  g_assert_cmpint (limit_of (vault).action, ==, ENTSEC_UNLOCK_LIMIT_WIPE);
  before = vt_file_hash (f->path);
  g_assert_true (entsec_vault_set_unlock_policy_sync (vault, 4, ENTSEC_UNLOCK_LIMIT_WIPE, NULL,
                                                      &error));
  after = vt_file_hash (f->path);
  g_assert_cmpstr (before, ==, after);
  g_assert_true (entsec_vault_set_unlock_policy_sync (vault, 0, ENTSEC_UNLOCK_LIMIT_NONE, NULL,
                                                      &error));
  g_assert_no_error (error);
  g_assert_false (has_row (vault, ENTSEC_LOCKED_UNLOCK_POLICY));
  g_assert_false (has_row (vault, ENTSEC_LOCKED_FAILED_UNLOCKS));
  g_assert_cmpint (limit_of (vault).action, ==, ENTSEC_UNLOCK_LIMIT_NONE);
}

/*
 * Rows that do not parse (another program, a damaged file): a policy row
 * is the documented default (10, delay), so a limit stays; a count is 0.
 */
static void
test_malformed_rows (Fixture      *f,
                     gconstpointer data)
{
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GBytes) junk = g_bytes_new_static ("junk", 4);
  g_autoptr (GError) error = NULL;
  const char *names[] = { ENTSEC_LOCKED_UNLOCK_POLICY, ENTSEC_LOCKED_FAILED_UNLOCKS, NULL };
  GBytes *values[] = { junk, junk, NULL };
  EntsecVaultUnlockLimit limit;

  make_vault (f->path, 3, ENTSEC_UNLOCK_LIMIT_WIPE);
  vault = open_ok (f->path);
  g_assert_true (entsec_vault_set_locked_rows_sync (vault, names, values, NULL, &error));
  g_assert_no_error (error);
  limit = limit_of (vault);
  g_assert_cmpint (limit.action, ==, ENTSEC_UNLOCK_LIMIT_DELAY);
  g_assert_cmpuint (limit.max_attempts, ==, 10);
  g_assert_cmpuint (limit.failed, ==, 0);
  assert_wrong (vault, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  g_assert_cmpuint (limit_of (vault).failed, ==, 1);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  if (!vt_in_keyring_session ())
    return 1;
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/vault-attempts/no-policy-no-limit", test_no_policy_no_limit);
  ADD ("/vault-attempts/count-persists-and-resets", test_count_persists_and_resets);
  ADD ("/vault-attempts/delay-schedule", test_delay_schedule);
  ADD ("/vault-attempts/wipe-at-limit", test_wipe_at_limit);
  ADD ("/vault-attempts/wipe-cut-short", test_wipe_cut_short);
  ADD ("/vault-attempts/wrong-pins-count", test_wrong_pins_count);
  ADD ("/vault-attempts/recovery-key-counting", test_recovery_key_counting);
  ADD ("/vault-attempts/policy-row", test_policy_row);
  ADD ("/vault-attempts/malformed-rows", test_malformed_rows);
  return g_test_run ();
}
