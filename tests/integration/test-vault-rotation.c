/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-vault-rotation.c: the vault's keyring slot through key rotations,
 * whole-file rollback noticed through the generation kept in the keyring,
 * and a locked keyring reported as locked. Runs against a real
 * gnome-keyring (tests/keyring-session.sh).
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <libsecret/secret.h>

#include <entsec/entsec.h>

#include "keyring-test-util.h"
#include "vault-test-util.h"

static const char passphrase[] = "rotation test passphrase";
static const char new_passphrase[] = "rotation test passphrase, changed";

static char *
vault_path (const char *name)
{
  g_autofree char *file = g_strconcat (name, ".db", NULL);

  return g_build_filename (g_get_user_data_dir (), "entsec", file, NULL);
}

/* A keyring + passphrase vault with one account, closed. */
static void
create (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecVault) vault = entsec_vault_create_sync (path, TRUE, passphrase,
                                                            strlen (passphrase), &vt_fast_kdf,
                                                            NULL, &error);

  g_assert_no_error (error);
  vt_add (vault, "Keyring", "first", 1);
}

static EntsecVault *
keyring_unlock (const char *path,
                GError    **error)
{
  g_autoptr (EntsecVault) vault = entsec_vault_open_sync (path, NULL, error);

  if (vault == NULL || !entsec_vault_unlock_keyring_sync (vault, NULL, error))
    return NULL;
  return g_steal_pointer (&vault);
}

static EntsecVault *
keyring_unlock_ok (const char *path)
{
  g_autoptr (GError) error = NULL;
  EntsecVault *vault = keyring_unlock (path, &error);

  g_assert_no_error (error);
  return vault;
}

/* The keyring slot receives every new data key without any secret. */
static void
test_keyring_slot_survives_rotation (void)
{
  g_autofree char *path = vault_path ("survives");
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;

  create (path);
  vault = keyring_unlock_ok (path);
  vt_change_passphrase (vault, new_passphrase);
  vt_add (vault, "Keyring", "second", 2);
  g_clear_object (&vault);
  vault = keyring_unlock_ok (path);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 2);
  /* Passphrase slot 3 now (1 was replaced); the keyring slot is verified and stays. */
  g_assert_true (entsec_vault_remove_slot_sync (vault, 3, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&vault);
  vault = keyring_unlock_ok (path);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 2);
}

/* An old copy of the whole file put back is refused at a keyring unlock. */
static void
test_whole_file_rollback (void)
{
  g_autofree char *path = vault_path ("rollback");
  g_autofree char *old = vault_path ("rollback-old");
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;

  create (path);
  vt_copy_file (path, old);
  vault = keyring_unlock_ok (path);
  vt_add (vault, "Keyring", "later", 2);
  g_clear_object (&vault);
  vt_copy_file (old, path);
  before = vt_file_hash (path);
  vault = keyring_unlock (path, &error);
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_ROLLBACK);
  g_assert_null (vault);
  after = vt_file_hash (path);
  g_assert_cmpstr (before, ==, after);
  /* The way out: the passphrase accepts the restored file, then the keyring works again. */
  g_clear_error (&error);
  vault = entsec_vault_open_sync (path, NULL, &error);
  g_assert_true (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase), NULL,
                                                      &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);
  g_clear_object (&vault);
  vault = keyring_unlock_ok (path);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);
}

/* Last: the default collection stays locked afterwards (no prompt can unlock it). */
static void
test_locked_keyring_reported (void)
{
  g_autofree char *path = vault_path ("locked");
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;
  EntsecVaultKeyringStatus status = ENTSEC_VAULT_KEYRING_OK;

  create (path);
  vt_lock_default_collection ();
  vault = entsec_vault_open_sync (path, NULL, &error);
  g_assert_true (entsec_vault_check_keyring_slot_sync (vault, 2, &status, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, ENTSEC_VAULT_KEYRING_LOCKED);
  g_assert_true (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase), NULL,
                                                      &error));
  g_assert_false (entsec_vault_remove_slot_sync (vault, 1, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_LAST_SLOT);
  g_assert_nonnull (strstr (error->message, "locked"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  if (!vt_in_keyring_session ())
    return 1;
  g_test_add_func ("/vault-rotation/keyring-slot-survives-rotation",
                   test_keyring_slot_survives_rotation);
  g_test_add_func ("/vault-rotation/whole-file-rollback", test_whole_file_rollback);
  g_test_add_func ("/vault-rotation/locked-keyring-reported", test_locked_keyring_reported);
  return g_test_run ();
}
