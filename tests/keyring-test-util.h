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
