/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-vault-delete.c: deleting a vault and everything of it, against a real
 * gnome-keyring (run by tests/keyring-session.sh on a throwaway HOME).
 * Nothing of the vault is left (files, keyring items found by its id), a
 * second vault beside it is untouched, and a deletion cut short is finished
 * by entsec_vault_finish_delete_sync().
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libsecret/secret.h>

#include <entsec/entsec.h>

#include "keyring-test-util.h"
#include "vault-test-util.h"

/* Failure injection of libentsec (entsec-vault-private.h). */
extern gboolean vault_testing_fail_delete;

static const char passphrase[] = "delete test passphrase";

/* The device key's protection item as the enterprise code stores it (entsec-device-locked.c). */
static const SecretSchema device_kek_schema = {
  "org.entsec.EnterpriseSecurity.DeviceKey",
  SECRET_SCHEMA_NONE,
  {
    { "vault", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
  0, NULL, NULL, NULL, NULL, NULL, NULL, NULL
};

static char *
vault_path (const char *name)
{
  g_autofree char *file = g_strconcat (name, ".db", NULL);

  return g_build_filename (g_get_user_data_dir (), "entsec", file, NULL);
}

/* A vault with a keyring slot, a passphrase, a PIN, an account and a device key item. */
static EntsecVault *
create_full (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *id = NULL;
  EntsecVault *vault = entsec_vault_create_sync (path, TRUE, passphrase, strlen (passphrase),
                                                 &vt_fast_kdf, NULL, &error);

  g_assert_no_error (error);
  vt_add (vault, "Delete", "user", 1);
  g_assert_true (entsec_vault_add_pin_slot_sync (vault, passphrase, strlen (passphrase), "2580",
                                                 4, &vt_fast_kdf, NULL, &error));
  g_assert_no_error (error);
  id = entsec_vault_dup_id (vault);
  g_assert_true (secret_password_store_sync (&device_kek_schema, SECRET_COLLECTION_DEFAULT,
                                             "test device key", "0123456789abcdef0123456789abcdef",
                                             NULL, &error, "vault", id, NULL));
  g_assert_no_error (error);
  return vault;
}

/* How many files in the vault folder start with the name of @path. */
static guint
count_files (const char *path)
{
  g_autofree char *dir_name = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autoptr (GDir) dir = g_dir_open (dir_name, 0, NULL);
  const char *name;
  guint n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    n += g_str_has_prefix (name, base);
  return n;
}

static void
assert_opens_with_keyring (const char *path,
                           guint       n_accounts)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecVault) vault = entsec_vault_open_sync (path, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (entsec_vault_unlock_keyring_sync (vault, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vt_count_accounts (vault), ==, n_accounts);
}

static void
assert_gone (const char *path,
             const char *id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecVault) vault = entsec_vault_open_sync (path, NULL, &error);

  g_assert_null (vault);
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NOT_FOUND);
  g_assert_cmpuint (count_files (path), ==, 0);
  g_assert_cmpuint (vt_count_vault_items (id), ==, 0);
}

static void
test_delete_everything (void)
{
  g_autofree char *path = vault_path ("gone");
  g_autofree char *other_path = vault_path ("other");
  g_autoptr (EntsecVault) other = create_full (other_path);
  g_autoptr (EntsecVault) vault = create_full (path);
  g_autofree char *id = entsec_vault_dup_id (vault);
  g_autofree char *other_id = entsec_vault_dup_id (other);
  g_autoptr (GError) error = NULL;
  guint other_items = vt_count_vault_items (other_id);

  /* Key, PIN, generation and device key items; the WAL and shared memory beside the file. */
  g_assert_cmpuint (vt_count_vault_items (id), ==, 4);
  g_assert_cmpuint (count_files (path), >=, 2);
  g_clear_object (&other);

  g_assert_true (entsec_vault_delete_sync (vault, NULL, &error));
  g_assert_no_error (error);
  assert_gone (path, id);

  /* The dead object refuses calls instead of touching anything. */
  g_assert_false (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase),
                                                       NULL, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);
  g_clear_object (&vault);
  assert_gone (path, id);

  g_assert_cmpuint (vt_count_vault_items (other_id), ==, other_items);
  assert_opens_with_keyring (other_path, 1);
}

static void
vt_add_refused (EntsecVault *vault)
{
  g_autoptr (GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  g_autoptr (GError) error = NULL;

  g_ptr_array_add (batch, vt_account ("Late", "write", 1));
  g_assert_false (vt_add_batch (vault, batch, ENTSEC_VAULT_ADD_NONE, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_REPLACED);
}

/* A new vault made where one was deleted is not harmed when the old object goes. */
static void
test_new_vault_in_its_place (void)
{
  g_autofree char *path = vault_path ("replaced");
  g_autoptr (EntsecVault) vault = create_full (path);
  g_autoptr (EntsecVault) fresh = NULL;
  g_autoptr (GError) error = NULL;
  /* A second object on the same file (another window, the events worker) stays open. */
  g_autoptr (EntsecVault) second = entsec_vault_open_sync (path, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (entsec_vault_unlock_keyring_sync (second, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (entsec_vault_delete_sync (vault, NULL, &error));
  g_assert_no_error (error);
  fresh = entsec_vault_create_sync (path, TRUE, NULL, 0, &vt_fast_kdf, NULL, &error);
  g_assert_no_error (error);
  vt_add (fresh, "Fresh", "one", 1);
  vt_add (fresh, "Fresh", "two", 2);
  g_clear_object (&vault);
  /* The second object's writes are refused; closing it leaves the new vault's WAL alone. */
  vt_add_refused (second);
  g_clear_object (&second);
  assert_opens_with_keyring (path, 2);
  g_clear_object (&fresh);
  assert_opens_with_keyring (path, 2);
}

static void
test_interrupted_then_finished (void)
{
  g_autofree char *path = vault_path ("interrupted");
  g_autofree char *other_path = vault_path ("beside");
  g_autoptr (EntsecVault) other = create_full (other_path);
  g_autoptr (EntsecVault) vault = create_full (path);
  g_autofree char *id = entsec_vault_dup_id (vault);
  g_autoptr (GError) error = NULL;
  guint n = 0;

  g_clear_object (&other);
  vault_testing_fail_delete = TRUE;
  g_assert_false (entsec_vault_delete_sync (vault, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IO);
  g_clear_error (&error);
  g_clear_object (&vault);

  /* Cut short: nothing opens as the vault any more, the keys are still there. */
  vault = entsec_vault_open_sync (path, NULL, &error);
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpuint (count_files (path), ==, 1);
  g_assert_cmpuint (vt_count_vault_items (id), ==, 4);

  g_assert_true (entsec_vault_finish_delete_sync (path, &n, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 1);
  assert_gone (path, id);
  /* Nothing left to finish the second time. */
  g_assert_true (entsec_vault_finish_delete_sync (path, &n, NULL, &error));
  g_assert_cmpuint (n, ==, 0);
  assert_opens_with_keyring (other_path, 1);
}

static void
delete_done (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  GError **error = user_data;

  g_assert_true (entsec_vault_delete_finish (ENTSEC_VAULT (source), result, error));
}

static void
test_delete_async (void)
{
  g_autofree char *path = vault_path ("async");
  g_autoptr (EntsecVault) vault = create_full (path);
  g_autofree char *id = entsec_vault_dup_id (vault);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  GError *error = NULL;

  entsec_vault_delete_async (vault, cancellable, delete_done, &error);
  while (entsec_vault_is_busy (vault))
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (error);
  g_clear_object (&vault);
  assert_gone (path, id);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  if (!vt_in_keyring_session ())
    return 1;
  g_test_add_func ("/vault-delete/everything", test_delete_everything);
  g_test_add_func ("/vault-delete/new-vault-in-its-place", test_new_vault_in_its_place);
  g_test_add_func ("/vault-delete/interrupted-then-finished", test_interrupted_then_finished);
  g_test_add_func ("/vault-delete/async", test_delete_async);
  return g_test_run ();
}
