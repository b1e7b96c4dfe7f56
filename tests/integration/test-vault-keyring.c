/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-vault-keyring.c: the keyring slot against a real gnome-keyring (run
 * by tests/keyring-session.sh on a throwaway HOME). A keyring whose item is
 * gone, which is locked or which cannot be reached never changes the file
 * and never makes a new key; the passphrase still opens the vault.
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <libsecret/secret.h>

#include <entsec/entsec.h>

#include "keyring-test-util.h"
#include "vault-test-util.h"

#define SCHEMA_NAME "org.entsec.EnterpriseSecurity.VaultKey"

static const char passphrase[] = "keyring test passphrase";

static char *
vault_path (const char *name)
{
  g_autofree char *file = g_strconcat (name, ".db", NULL);

  return g_build_filename (g_get_user_data_dir (), "entsec", file, NULL);
}

static EntsecVault *
create (const char *path,
        gboolean    with_passphrase)
{
  g_autoptr (GError) error = NULL;
  EntsecVault *vault = entsec_vault_create_sync (path, TRUE, with_passphrase ? passphrase : NULL,
                                                 with_passphrase ? strlen (passphrase) : 0,
                                                 &vt_fast_kdf, NULL, &error);

  g_assert_no_error (error);
  vt_add (vault, "Keyring", "user", 1);
  return vault;
}

/* Every item of our schema in the keyring (unlocked or not). */
static GList *
our_items (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SecretService) service = secret_service_get_sync (SECRET_SERVICE_OPEN_SESSION, NULL,
                                                                &error);
  g_autoptr (GHashTable) attributes = g_hash_table_new (g_str_hash, g_str_equal);
  GList *items;

  g_assert_no_error (error);
  g_hash_table_insert (attributes, "xdg:schema", SCHEMA_NAME);
  items = secret_service_search_sync (service, NULL, attributes, SECRET_SEARCH_ALL, NULL, &error);
  g_assert_no_error (error);
  return items;
}

static guint
count_items (void)
{
  GList *items = our_items ();
  guint n = g_list_length (items);

  g_list_free_full (items, g_object_unref);
  return n;
}

static void
delete_items (void)
{
  GList *items = our_items ();

  for (GList *l = items; l != NULL; l = l->next)
    g_assert_true (secret_item_delete_sync (l->data, NULL, NULL));
  g_list_free_full (items, g_object_unref);
}

/* Open @path and unlock with the keyring; returns the error. */
static GError *
keyring_unlock_error (const char *path,
                      EntsecVault **vault_out)
{
  GError *error = NULL;
  EntsecVault *vault = entsec_vault_open_sync (path, NULL, &error);

  g_assert_no_error (error);
  entsec_vault_unlock_keyring_sync (vault, NULL, &error);
  *vault_out = vault;
  return error;
}

static void
test_keyring_unlocks (void)
{
  g_autofree char *path = vault_path ("unlocks");
  g_autoptr (EntsecVault) vault = create (path, FALSE);
  g_autoptr (GError) error = NULL;
  GList *items;

  g_clear_object (&vault);
  vault = entsec_vault_open_sync (path, NULL, &error);
  g_assert_true (entsec_vault_unlock_keyring_sync (vault, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);

  /* The item names the vault; no secret in its label or attributes. */
  items = our_items ();
  g_assert_cmpuint (g_list_length (items), ==, 1);
  {
    g_autofree char *label = secret_item_get_label (items->data);
    g_autoptr (GHashTable) attributes = secret_item_get_attributes (items->data);

    g_assert_cmpstr (label, ==, "Enterprise Security vault key");
    g_assert_cmpuint (g_hash_table_size (attributes), ==, 3); /* vault, slot, xdg:schema */
    g_assert_true (g_hash_table_contains (attributes, "vault"));
    g_assert_true (g_hash_table_contains (attributes, "slot"));
  }
  g_list_free_full (items, g_object_unref);
  delete_items ();
}

static void
test_item_deleted_needs_passphrase (void)
{
  g_autofree char *path = vault_path ("deleted");
  g_autoptr (EntsecVault) vault = create (path, TRUE);
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  g_clear_object (&vault);
  delete_items ();
  before = vt_file_hash (path);
  error = keyring_unlock_error (path, &vault);
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NEEDS_PASSPHRASE);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 0);
  g_clear_object (&vault);
  after = vt_file_hash (path);
  g_assert_cmpstr (before, ==, after);
  g_assert_cmpuint (count_items (), ==, 0); /* no new key was made */

  vault = entsec_vault_open_sync (path, NULL, NULL);
  g_clear_error (&error);
  g_assert_true (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase), NULL,
                                                      &error));
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);
}

static void
test_item_deleted_keyring_only (void)
{
  g_autofree char *path = vault_path ("keyring-only");
  g_autoptr (EntsecVault) vault = create (path, FALSE);
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  g_clear_object (&vault);
  delete_items ();
  before = vt_file_hash (path);
  error = keyring_unlock_error (path, &vault);
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_KEYRING);
  g_assert_nonnull (strstr (error->message, "keyring"));
  g_clear_object (&vault);
  after = vt_file_hash (path);
  g_assert_cmpstr (before, ==, after);
  g_assert_cmpuint (count_items (), ==, 0);
}

static void
test_slot_add_remove (void)
{
  g_autofree char *path = vault_path ("slots");
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree EntsecVaultSlotInfo *slots = NULL;
  gsize n = 0;

  vault = entsec_vault_create_sync (path, FALSE, passphrase, strlen (passphrase), &vt_fast_kdf,
                                    NULL, &error);
  g_assert_no_error (error);
  g_assert_true (entsec_vault_add_keyring_slot_sync (vault, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_items (), ==, 1);
  slots = entsec_vault_list_slots (vault, &n);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpint (slots[1].type, ==, ENTSEC_VAULT_SLOT_KEYRING);
  g_clear_object (&vault);

  vault = entsec_vault_open_sync (path, NULL, &error);
  g_assert_true (entsec_vault_unlock_keyring_sync (vault, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (entsec_vault_remove_slot_sync (vault, slots[1].id, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_items (), ==, 0);
}

/* Slot ids of create (path, TRUE): the passphrase slot first, then the keyring slot. */
#define PASSPHRASE_SLOT 1
#define KEYRING_SLOT 2

static EntsecVault *
open_with_passphrase (const char *path)
{
  g_autoptr (GError) error = NULL;
  EntsecVault *vault = entsec_vault_open_sync (path, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase), NULL,
                                                      &error));
  g_assert_no_error (error);
  return vault;
}

static gsize
count_slots (EntsecVault *vault)
{
  g_autofree EntsecVaultSlotInfo *slots = NULL;
  gsize n = 0;

  slots = entsec_vault_list_slots (vault, &n);
  return n;
}

/*
 * The keyring item is gone and the vault was opened with the passphrase:
 * removing the passphrase slot would lock the user out, so it is refused.
 * Once a new keyring slot is added (it works: just stored), it is allowed.
 */
static void
test_remove_refused_item_deleted (void)
{
  g_autofree char *path = vault_path ("remove-refused");
  g_autoptr (EntsecVault) vault = create (path, TRUE);
  g_autoptr (GError) error = NULL;
  EntsecVaultKeyringStatus status = ENTSEC_VAULT_KEYRING_OK;

  g_clear_object (&vault);
  delete_items ();
  vault = open_with_passphrase (path);
  g_assert_true (entsec_vault_check_keyring_slot_sync (vault, KEYRING_SLOT, &status, NULL, &error));
  g_assert_cmpint (status, ==, ENTSEC_VAULT_KEYRING_ITEM_MISSING);
  g_assert_false (entsec_vault_remove_slot_sync (vault, PASSPHRASE_SLOT, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_LAST_SLOT);
  g_assert_nonnull (strstr (error->message, "cannot be unlocked right now"));
  g_assert_nonnull (strstr (error->message, "not in the keyring"));
  g_clear_error (&error);
  g_assert_cmpuint (count_slots (vault), ==, 2);
  g_clear_object (&vault);

  /* Still opens with the passphrase; fix the keyring, then the removal is fine. */
  vault = open_with_passphrase (path);
  g_assert_true (entsec_vault_add_keyring_slot_sync (vault, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (entsec_vault_remove_slot_sync (vault, PASSPHRASE_SLOT, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (entsec_vault_remove_slot_sync (vault, KEYRING_SLOT, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_slots (vault), ==, 1);
  g_clear_object (&vault);
  g_assert_null (keyring_unlock_error (path, &vault));
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);
  delete_items ();
}

/* Unlocked with the passphrase, keyring fine: the keyring slot is verified on the spot. */
static void
test_remove_allowed_keyring_verified (void)
{
  g_autofree char *path = vault_path ("remove-verified");
  g_autoptr (EntsecVault) vault = create (path, TRUE);
  g_autoptr (GError) error = NULL;

  g_clear_object (&vault);
  vault = open_with_passphrase (path);
  g_assert_true (entsec_vault_remove_slot_sync (vault, PASSPHRASE_SLOT, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&vault);
  g_assert_null (keyring_unlock_error (path, &vault));
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);
  delete_items ();
}

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GAsyncResult **out = user_data;

  *out = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return g_steal_pointer (slot);
}

/* The keyring calls the UI makes, through their _async/_finish pairs. */
static void
test_async_keyring_slot (void)
{
  g_autofree char *path = vault_path ("async");
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *pending = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  EntsecVaultKeyringStatus status = ENTSEC_VAULT_KEYRING_MISMATCH;

  vault = entsec_vault_create_sync (path, FALSE, passphrase, strlen (passphrase), &vt_fast_kdf,
                                    NULL, &error);
  g_assert_no_error (error);
  entsec_vault_add_keyring_slot_async (vault, NULL, store_result, &pending);
  result = wait_for (&pending);
  g_assert_true (entsec_vault_add_keyring_slot_finish (vault, result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_items (), ==, 1);
  g_clear_object (&result);
  entsec_vault_check_keyring_slot_async (vault, KEYRING_SLOT, NULL, store_result, &pending);
  result = wait_for (&pending);
  g_assert_true (entsec_vault_check_keyring_slot_finish (vault, result, &status, &error));
  g_assert_cmpint (status, ==, ENTSEC_VAULT_KEYRING_OK);
  g_clear_object (&result);
  entsec_vault_check_keyring_slot_async (vault, PASSPHRASE_SLOT, NULL, store_result, &pending);
  result = wait_for (&pending);
  g_assert_false (entsec_vault_check_keyring_slot_finish (vault, result, &status, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NO_SLOT);
  g_clear_error (&error);
  g_clear_object (&result);
  entsec_vault_remove_slot_async (vault, KEYRING_SLOT, NULL, store_result, &pending);
  result = wait_for (&pending);
  g_assert_true (entsec_vault_remove_slot_finish (vault, result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_items (), ==, 0); /* the removed slot's item is gone too */
}

/* Runs in a child whose DBUS_SESSION_BUS_ADDRESS points at nothing. */
static void
test_no_dbus_child (void)
{
  const char *path = g_getenv ("VT_VAULT_PATH");
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;

  error = keyring_unlock_error (path, &vault);
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NEEDS_PASSPHRASE);
  g_clear_error (&error);
  g_assert_true (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase), NULL,
                                                      &error));
  g_assert_no_error (error);
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);

  /* The keyring slot is reported unreachable, and cannot vouch for a removal. */
  {
    EntsecVaultKeyringStatus status = ENTSEC_VAULT_KEYRING_OK;

    g_assert_true (entsec_vault_check_keyring_slot_sync (vault, KEYRING_SLOT, &status, NULL,
                                                         &error));
    g_assert_cmpint (status, ==, ENTSEC_VAULT_KEYRING_UNREACHABLE);
  }
  g_assert_false (entsec_vault_remove_slot_sync (vault, PASSPHRASE_SLOT, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_LAST_SLOT);
  g_assert_nonnull (strstr (error->message, "no Secret Service is reachable"));
  g_clear_error (&error);
  /* Adding a keyring slot fails; the message names the ways to do without. */
  g_assert_false (entsec_vault_add_keyring_slot_sync (vault, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_KEYRING);
  g_assert_nonnull (strstr (error->message, "--no-keyring"));
  g_assert_nonnull (strstr (error->message, "slots add-passphrase"));
  entsec_vault_lock_sync (vault);
}

static void
test_no_dbus (void)
{
  g_autofree char *path = vault_path ("no-dbus");
  g_autoptr (EntsecVault) vault = create (path, TRUE);
  g_autofree char *saved = g_strdup (g_getenv ("DBUS_SESSION_BUS_ADDRESS"));
  g_autofree char *dead = g_strdup_printf ("unix:path=%s/no-such-bus", g_get_tmp_dir ());
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  g_clear_object (&vault);
  before = vt_file_hash (path);
  g_setenv ("VT_VAULT_PATH", path, TRUE);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", dead, TRUE);
  g_test_trap_subprocess ("/vault-keyring/no-dbus/subprocess", 0, G_TEST_SUBPROCESS_DEFAULT);
  g_setenv ("DBUS_SESSION_BUS_ADDRESS", saved, TRUE);
  g_test_trap_assert_passed ();
  /* The child's failed keyring attempt wrote nothing before the passphrase. */
  after = vt_file_hash (path);
  g_assert_cmpstr (before, ==, after);
  delete_items ();
}

/* Last: the default collection stays locked afterwards (no prompt can unlock it). */
static void
test_locked_keyring (void)
{
  g_autofree char *path = vault_path ("locked");
  g_autoptr (EntsecVault) vault = create (path, TRUE);
  g_autoptr (GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;

  g_clear_object (&vault);
  vt_lock_default_collection ();

  before = vt_file_hash (path);
  error = keyring_unlock_error (path, &vault);
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NEEDS_PASSPHRASE);
  g_assert_nonnull (strstr (error->message, "locked"));
  g_clear_object (&vault);
  after = vt_file_hash (path);
  g_assert_cmpstr (before, ==, after);

  vault = entsec_vault_open_sync (path, NULL, NULL);
  g_clear_error (&error);
  g_assert_true (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase), NULL,
                                                      &error));
  g_assert_cmpuint (vt_count_accounts (vault), ==, 1);

  /* A locked keyring cannot vouch for its slot: the passphrase slot stays. */
  g_assert_false (entsec_vault_remove_slot_sync (vault, PASSPHRASE_SLOT, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_LAST_SLOT);
  g_assert_nonnull (strstr (error->message, "the keyring is locked"));
  g_assert_cmpuint (count_slots (vault), ==, 2);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  if (!vt_in_keyring_session ())
    return 1;
  g_test_add_func ("/vault-keyring/unlocks", test_keyring_unlocks);
  g_test_add_func ("/vault-keyring/item-deleted-needs-passphrase",
                   test_item_deleted_needs_passphrase);
  g_test_add_func ("/vault-keyring/item-deleted-keyring-only", test_item_deleted_keyring_only);
  g_test_add_func ("/vault-keyring/slot-add-remove", test_slot_add_remove);
  g_test_add_func ("/vault-keyring/remove-refused-item-deleted", test_remove_refused_item_deleted);
  g_test_add_func ("/vault-keyring/remove-allowed-keyring-verified",
                   test_remove_allowed_keyring_verified);
  g_test_add_func ("/vault-keyring/async-keyring-slot", test_async_keyring_slot);
  g_test_add_func ("/vault-keyring/no-dbus", test_no_dbus);
  g_test_add_func ("/vault-keyring/no-dbus/subprocess", test_no_dbus_child);
  g_test_add_func ("/vault-keyring/zz-locked", test_locked_keyring);
  return g_test_run ();
}
