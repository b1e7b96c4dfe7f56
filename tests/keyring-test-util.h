/* SPDX-License-Identifier: GPL-3.0-or-later */
/* keyring-test-util.h: what the tests on a real gnome-keyring share (needs libsecret). */
#pragma once

#include <libsecret/secret.h>

/* Lock the default collection (it stays locked: no prompt can unlock it here). */
static inline void
vt_lock_default_collection (void)
{
  g_autoptr (SecretService) service = secret_service_get_sync (SECRET_SERVICE_LOAD_COLLECTIONS,
                                                                NULL, NULL);
  g_autoptr (SecretCollection) collection = NULL;
  g_autoptr (GError) error = NULL;
  GList *objects;

  collection = secret_collection_for_alias_sync (service, SECRET_COLLECTION_DEFAULT,
                                                 SECRET_COLLECTION_NONE, NULL, &error);
  g_assert_no_error (error);
  objects = g_list_append (NULL, collection);
  secret_service_lock_sync (service, objects, NULL, NULL, &error);
  g_list_free (objects);
  g_assert_no_error (error);
  g_assert_true (secret_collection_get_locked (collection));
}

/* How many keyring items, of any schema and locked or not, name the vault
 * whose id hash is @id (entsec_vault_dup_id()) in their "vault" attribute. */
static inline guint
vt_count_vault_items (const char *id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SecretService) service = secret_service_get_sync (SECRET_SERVICE_OPEN_SESSION, NULL,
                                                                &error);
  g_autoptr (GHashTable) attributes = g_hash_table_new (g_str_hash, g_str_equal);
  GList *items;
  guint n;

  g_assert_no_error (error);
  g_hash_table_insert (attributes, "vault", (gpointer) id);
  items = secret_service_search_sync (service, NULL, attributes, SECRET_SEARCH_ALL, NULL, &error);
  g_assert_no_error (error);
  n = g_list_length (items);
  g_list_free_full (items, g_object_unref);
  return n;
}
