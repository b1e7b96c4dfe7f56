/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-vault-pin.c: the quick-unlock PIN slot against a real gnome-keyring
 * (tests/keyring-session.sh): the wrong-PIN count kept in the keyring, the
 * lock-out, an old copy of the file that cannot reset the count, a PIN slot
 * useless without its keyring item, and no PIN without a passphrase.
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <libsecret/secret.h>

#include <entsec/entsec.h>

#include "entsec-crypto-loader.h"
#include "keyring-test-util.h"
#include "vault-test-util.h"

static const char passphrase[] = "pin test passphrase";
static const char pin[] = "480213";
static const char wrong[] = "999999";

/* The schema name the vault gives PIN items; attributes left out to match them all. */
static const SecretSchema any_pin_item = {
  "org.entsec.EnterpriseSecurity.VaultPin", SECRET_SCHEMA_NONE,
  { { "vault", SECRET_SCHEMA_ATTRIBUTE_STRING }, { NULL, 0 } },
  0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

static char *
vault_path (const char *name)
{
  g_autofree char *file = g_strconcat (name, ".db", NULL);

  return g_build_filename (g_get_user_data_dir (), "entsec", file, NULL);
}

static void
set_pin (EntsecVault *vault,
         const char  *new_pin)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (entsec_vault_add_pin_slot_sync (vault, passphrase, strlen (passphrase), new_pin,
                                                 strlen (new_pin), &vt_fast_kdf, NULL, &error));
  g_assert_no_error (error);
}

/* A vault (keyring slot when @keyring, always a passphrase) with one account and a PIN, closed. */
static void
create_with_pin (const char *path,
                 gboolean    keyring)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecVault) vault = entsec_vault_create_sync (path, keyring, passphrase,
                                                            strlen (passphrase), &vt_fast_kdf,
                                                            NULL, &error);

  g_assert_no_error (error);
  vt_add (vault, "Pin", "first", 1);
  set_pin (vault, pin);
}

static EntsecVault *
open_ok (const char *path)
{
  g_autoptr (GError) error = NULL;
  EntsecVault *vault = entsec_vault_open_sync (path, NULL, &error);

  g_assert_no_error (error);
  return vault;
}

static EntsecVaultPinStatus
pin_status (EntsecVault *vault,
            guint       *left)
{
  g_autoptr (GError) error = NULL;
  EntsecVaultPinStatus status = ENTSEC_VAULT_PIN_NONE;

  g_assert_true (entsec_vault_get_pin_status_sync (vault, &status, left, NULL, &error));
  g_assert_no_error (error);
  return status;
}

/* A wrong PIN: BAD_PASSPHRASE with @expect_left attempts left. */
static void
try_wrong (EntsecVault *vault,
           guint        expect_left)
{
  g_autoptr (GError) error = NULL;
  guint left = 99;

  g_assert_false (entsec_vault_unlock_pin_sync (vault, wrong, strlen (wrong), &left, NULL,
                                                &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  g_assert_null (strstr (error->message, wrong));
  g_assert_cmpuint (left, ==, expect_left);
  g_assert_false (entsec_vault_is_unlocked (vault));
}

static gboolean
has_pin_slot (EntsecVault *vault)
{
  gsize n = 0;
  g_autofree EntsecVaultSlotInfo *slots = entsec_vault_list_slots (vault, &n);

  for (gsize i = 0; i < n; i++)
    {
      if (slots[i].type == ENTSEC_VAULT_SLOT_PIN)
        return TRUE;
    }
  return FALSE;
}

static void
test_pin_unlocks (void)
{
  g_autofree char *path = vault_path ("unlocks");
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;
  guint left = 0;

  create_with_pin (path, FALSE);
  vault = open_ok (path);
  g_assert_true (has_pin_slot (vault));
  g_assert_cmpint (pin_status (vault, &left), ==, ENTSEC_VAULT_PIN_READY);
  g_assert_cmpuint (left, ==, ENTSEC_VAULT_PIN_MAX_ATTEMPTS);
  g_assert_true (entsec_vault_unlock_pin_sync (vault, pin, strlen (pin), &left, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);
}

/* entsec_vault_remove_dead_pin_slot_sync(), asserting whether it removed a slot. */
static void
remove_dead_pin (EntsecVault *vault,
                 gboolean     expected)
{
  g_autoptr (GError) error = NULL;
  gboolean removed = !expected;

  g_assert_true (entsec_vault_remove_dead_pin_slot_sync (vault, &removed, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (removed, ==, expected);
}

/* Five wrong PINs in a row kill the PIN; the passphrase still opens the vault. */
static void
test_five_wrong_pins_lock_out (void)
{
  g_autofree char *path = vault_path ("lockout");
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;
  guint left = 99;

  create_with_pin (path, FALSE);
  vault = open_ok (path);
  for (guint i = 1; i < ENTSEC_VAULT_PIN_MAX_ATTEMPTS; i++)
    try_wrong (vault, ENTSEC_VAULT_PIN_MAX_ATTEMPTS - i);
  g_assert_false (entsec_vault_unlock_pin_sync (vault, wrong, strlen (wrong), &left, NULL,
                                                &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_PIN_LOCKED_OUT);
  g_assert_cmpuint (left, ==, 0);
  g_clear_error (&error);
  g_assert_cmpint (pin_status (vault, &left), ==, ENTSEC_VAULT_PIN_LOCKED_OUT);
  /* Even the right PIN is refused now. */
  g_assert_false (entsec_vault_unlock_pin_sync (vault, pin, strlen (pin), NULL, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_PIN_LOCKED_OUT);
  g_clear_error (&error);
  g_assert_true (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase), NULL,
                                                      &error));
  g_assert_no_error (error);
  /* The dead slot leaves the file once the vault is open, and only then. */
  remove_dead_pin (vault, TRUE);
  g_assert_false (has_pin_slot (vault));
  g_assert_cmpint (pin_status (vault, &left), ==, ENTSEC_VAULT_PIN_NONE);
  /* A new PIN can be set after that; a live one stays. */
  set_pin (vault, "1234");
  g_assert_cmpint (pin_status (vault, &left), ==, ENTSEC_VAULT_PIN_READY);
  remove_dead_pin (vault, FALSE);
  g_assert_true (has_pin_slot (vault));
}

/* A right PIN resets the count. */
static void
test_right_pin_resets_count (void)
{
  g_autofree char *path = vault_path ("reset");
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;
  guint left = 0;

  create_with_pin (path, FALSE);
  vault = open_ok (path);
  for (guint i = 1; i < ENTSEC_VAULT_PIN_MAX_ATTEMPTS; i++)
    try_wrong (vault, ENTSEC_VAULT_PIN_MAX_ATTEMPTS - i);
  g_assert_true (entsec_vault_unlock_pin_sync (vault, pin, strlen (pin), &left, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (left, ==, ENTSEC_VAULT_PIN_MAX_ATTEMPTS);
  entsec_vault_lock_sync (vault);
  for (guint i = 1; i < ENTSEC_VAULT_PIN_MAX_ATTEMPTS; i++)
    try_wrong (vault, ENTSEC_VAULT_PIN_MAX_ATTEMPTS - i);
  g_assert_cmpint (pin_status (vault, &left), ==, ENTSEC_VAULT_PIN_READY);
  g_assert_cmpuint (left, ==, 1);
}

/* The count is in the keyring: an old copy of the file put back does not reset it. */
static void
test_old_file_keeps_count (void)
{
  g_autofree char *path = vault_path ("oldcopy");
  g_autofree char *old = vault_path ("oldcopy-saved");
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;
  guint left = 0;

  create_with_pin (path, FALSE);
  vt_copy_file (path, old);
  vault = open_ok (path);
  try_wrong (vault, 4);
  try_wrong (vault, 3);
  g_clear_object (&vault);
  vt_copy_file (old, path);
  vault = open_ok (path);
  g_assert_cmpint (pin_status (vault, &left), ==, ENTSEC_VAULT_PIN_READY);
  g_assert_cmpuint (left, ==, 3);
  try_wrong (vault, 2);
  try_wrong (vault, 1);
  g_assert_false (entsec_vault_unlock_pin_sync (vault, wrong, strlen (wrong), NULL, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_PIN_LOCKED_OUT);
  g_clear_error (&error);
  g_clear_object (&vault);
  vt_copy_file (old, path);
  vault = open_ok (path);
  g_assert_false (entsec_vault_unlock_pin_sync (vault, pin, strlen (pin), NULL, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_PIN_LOCKED_OUT);
}

/* The PIN alone opens nothing: without the keyring item the slot is dead. */
static void
test_useless_without_keyring_item (void)
{
  g_autofree char *path = vault_path ("noitem");
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GHashTable) attributes = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GError) error = NULL;
  gboolean removed = TRUE;

  create_with_pin (path, FALSE);
  g_assert_true (secret_password_clearv_sync (&any_pin_item, attributes, NULL, &error));
  g_assert_no_error (error);
  vault = open_ok (path);
  g_assert_cmpint (pin_status (vault, NULL), ==, ENTSEC_VAULT_PIN_LOCKED_OUT);
  g_assert_false (entsec_vault_unlock_pin_sync (vault, pin, strlen (pin), NULL, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_PIN_LOCKED_OUT);
  g_assert_false (entsec_vault_is_unlocked (vault));
  g_clear_error (&error);
  /* Locked, nothing can be removed; after the passphrase the dead slot goes. */
  g_assert_false (entsec_vault_remove_dead_pin_slot_sync (vault, &removed, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_LOCKED);
  g_assert_false (removed);
  g_clear_error (&error);
  g_assert_true (has_pin_slot (vault));
  g_assert_true (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase), NULL,
                                                      &error));
  g_assert_no_error (error);
  remove_dead_pin (vault, TRUE);
  g_clear_object (&vault);
  vault = open_ok (path);
  g_assert_false (has_pin_slot (vault));
}

/* Like a keyring unlock, the PIN does not vouch for an old copy of the whole file. */
static void
test_pin_refuses_rollback (void)
{
  g_autofree char *path = vault_path ("rollback");
  g_autofree char *old = vault_path ("rollback-saved");
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;

  create_with_pin (path, FALSE);
  vt_copy_file (path, old);
  vault = open_ok (path);
  g_assert_true (entsec_vault_unlock_pin_sync (vault, pin, strlen (pin), NULL, NULL, &error));
  vt_add (vault, "Pin", "later", 2);
  g_clear_object (&vault);
  vt_copy_file (old, path);
  vault = open_ok (path);
  g_assert_false (entsec_vault_unlock_pin_sync (vault, pin, strlen (pin), NULL, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_ROLLBACK);
}

/* A PIN only beside a passphrase, given the passphrase, in digits of the right length. */
static void
test_pin_needs_passphrase (void)
{
  g_autofree char *path = vault_path ("needs");
  g_autofree char *keyring_only = vault_path ("keyring-only");
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;
  const char *bad[] = { "123", "1234567890123", "12a4", "12 34", "" };

  vault = entsec_vault_create_sync (keyring_only, TRUE, NULL, 0, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (entsec_vault_add_pin_slot_sync (vault, "", 0, pin, strlen (pin), &vt_fast_kdf,
                                                  NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NO_SLOT);
  g_clear_error (&error);
  g_clear_object (&vault);

  vault = vt_create (path, passphrase);
  g_assert_false (entsec_vault_add_pin_slot_sync (vault, "not it", 6, pin, strlen (pin),
                                                  &vt_fast_kdf, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  g_clear_error (&error);
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_assert_false (entsec_vault_add_pin_slot_sync (vault, passphrase, strlen (passphrase),
                                                      bad[i], strlen (bad[i]), &vt_fast_kdf, NULL,
                                                      &error));
      g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID);
      g_clear_error (&error);
    }
  g_assert_false (has_pin_slot (vault));
  entsec_vault_lock_sync (vault);
  g_assert_false (entsec_vault_add_pin_slot_sync (vault, passphrase, strlen (passphrase), pin,
                                                  strlen (pin), &vt_fast_kdf, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_LOCKED);
}

/* Removing the passphrase removes the PIN; setting a PIN again replaces the old one. */
static void
test_pin_goes_with_passphrase (void)
{
  g_autofree char *path = vault_path ("removed");
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;
  gsize n = 0;
  g_autofree EntsecVaultSlotInfo *slots = NULL;
  gint64 passphrase_id = 0;

  create_with_pin (path, TRUE);
  vault = open_ok (path);
  g_assert_true (entsec_vault_unlock_keyring_sync (vault, NULL, &error));
  g_assert_no_error (error);
  set_pin (vault, "24680");
  slots = entsec_vault_list_slots (vault, &n);
  g_assert_cmpuint (n, ==, 3);
  for (gsize i = 0; i < n; i++)
    {
      if (slots[i].type == ENTSEC_VAULT_SLOT_PASSPHRASE)
        passphrase_id = slots[i].id;
    }
  entsec_vault_lock_sync (vault);
  try_wrong (vault, 4);
  g_assert_false (entsec_vault_unlock_pin_sync (vault, pin, strlen (pin), NULL, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE);
  g_clear_error (&error);
  g_assert_true (entsec_vault_unlock_pin_sync (vault, "24680", 5, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (entsec_vault_remove_slot_sync (vault, passphrase_id, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (has_pin_slot (vault));
  g_assert_cmpint (pin_status (vault, NULL), ==, ENTSEC_VAULT_PIN_NONE);
  g_clear_object (&vault);
  vault = open_ok (path);
  g_assert_false (has_pin_slot (vault));
  g_assert_true (entsec_vault_unlock_keyring_sync (vault, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);
}

static void
count_finished (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  guint *finished = user_data;
  g_autoptr (GError) error = NULL;

  g_assert_false (entsec_vault_unlock_pin_finish (ENTSEC_VAULT (source), result, NULL, &error));
  g_assert_nonnull (error);
  (*finished)++;
}

/* Attempts made at once in one process are each counted: five at once lock the PIN out. */
static void
test_concurrent_attempts_all_counted (void)
{
  g_autofree char *path = vault_path ("concurrent");
  g_autoptr (EntsecVault) vault = NULL;
  guint finished = 0;

  create_with_pin (path, FALSE);
  vault = open_ok (path);
  for (guint i = 0; i < ENTSEC_VAULT_PIN_MAX_ATTEMPTS; i++)
    entsec_vault_unlock_pin_async (vault, wrong, strlen (wrong), NULL, count_finished, &finished);
  while (finished < ENTSEC_VAULT_PIN_MAX_ATTEMPTS)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (pin_status (vault, NULL), ==, ENTSEC_VAULT_PIN_LOCKED_OUT);
}

/* Last: the default collection stays locked afterwards (no prompt can unlock it). */
static void
test_locked_keyring_asks_passphrase (void)
{
  g_autofree char *path = vault_path ("locked");
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;
  guint left = 0;

  create_with_pin (path, FALSE);
  vt_lock_default_collection ();
  vault = open_ok (path);
  g_assert_cmpint (pin_status (vault, &left), ==, ENTSEC_VAULT_PIN_UNAVAILABLE);
  g_assert_false (entsec_vault_unlock_pin_sync (vault, pin, strlen (pin), NULL, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NEEDS_PASSPHRASE);
}

/*
 * Without libargon2 a PIN cannot be tried: each try fails saying the key
 * derivation is unavailable, and none of them uses up an attempt (a fresh
 * process, so that libargon2 is not loaded yet).
 */
static void
test_kdf_unavailable_spends_no_attempt (void)
{
  g_autofree char *path = vault_path ("kdf-unavailable");
  g_autoptr (EntsecVault) vault = NULL;
  guint left = 0;

  if (!g_test_subprocess ())
    {
      create_with_pin (path, FALSE);
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      vault = open_ok (path);
      g_assert_cmpint (pin_status (vault, &left), ==, ENTSEC_VAULT_PIN_READY);
      g_assert_cmpuint (left, ==, ENTSEC_VAULT_PIN_MAX_ATTEMPTS);
      return;
    }
  entsec_argon2_set_soname_for_test ("libargon2-entsec-test-absent.so.1");
  vault = open_ok (path);
  for (guint i = 0; i <= ENTSEC_VAULT_PIN_MAX_ATTEMPTS; i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_false (entsec_vault_unlock_pin_sync (vault, pin, strlen (pin), &left, NULL,
                                                    &error));
      g_assert_error (error, ENTSEC_CRYPTO_ERROR, ENTSEC_CRYPTO_ERROR_FAILED);
      g_assert_nonnull (strstr (error->message, "install the libargon2-1 package"));
    }
  g_assert_cmpint (pin_status (vault, &left), ==, ENTSEC_VAULT_PIN_READY);
  g_assert_cmpuint (left, ==, ENTSEC_VAULT_PIN_MAX_ATTEMPTS);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  if (!vt_in_keyring_session ())
    return 1;
  g_test_add_func ("/vault-pin/unlocks", test_pin_unlocks);
  g_test_add_func ("/vault-pin/five-wrong-pins-lock-out", test_five_wrong_pins_lock_out);
  g_test_add_func ("/vault-pin/right-pin-resets-count", test_right_pin_resets_count);
  g_test_add_func ("/vault-pin/old-file-keeps-count", test_old_file_keeps_count);
  g_test_add_func ("/vault-pin/useless-without-keyring-item", test_useless_without_keyring_item);
  g_test_add_func ("/vault-pin/refuses-rollback", test_pin_refuses_rollback);
  g_test_add_func ("/vault-pin/needs-passphrase", test_pin_needs_passphrase);
  g_test_add_func ("/vault-pin/goes-with-passphrase", test_pin_goes_with_passphrase);
  g_test_add_func ("/vault-pin/concurrent-attempts-all-counted",
                   test_concurrent_attempts_all_counted);
  g_test_add_func ("/vault-pin/kdf-unavailable-spends-no-attempt",
                   test_kdf_unavailable_spends_no_attempt);
  /* Last: it leaves the keyring locked. */
  g_test_add_func ("/vault-pin/locked-keyring-asks-passphrase",
                   test_locked_keyring_asks_passphrase);
  return g_test_run ();
}
