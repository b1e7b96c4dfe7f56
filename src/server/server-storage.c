/* SPDX-License-Identifier: GPL-3.0-or-later */
/* server-storage.c: the backend-independent half of the storage interface */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include "server-storage.h"

void
entsec_user_free (EntsecUser *user)
{
  if (user == NULL)
    return;
  g_free (user->id);
  g_free (user->email);
  g_free (user->phone);
  g_free (user->name);
  g_free (user);
}

void
entsec_admin_free (EntsecAdmin *admin)
{
  if (admin == NULL)
    return;
  g_free (admin->id);
  g_free (admin->name);
  g_free (admin);
}

void
entsec_audit_entry_free (EntsecAuditEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->actor);
  g_free (entry->action);
  g_free (entry->target);
  g_free (entry);
}

void
entsec_enrollment_free (EntsecEnrollment *enrollment)
{
  if (enrollment == NULL)
    return;
  g_free (enrollment->id);
  g_free (enrollment->channel);
  g_free (enrollment->address);
  g_free (enrollment->user_id);
  g_free (enrollment);
}

gboolean
entsec_storage_is_postgresql (const char *database)
{
  return database != NULL
         && (g_str_has_prefix (database, "postgresql://")
             || g_str_has_prefix (database, "postgres://"));
}

static EntsecStorage *
sqlite_open (const char       *path,
             EntsecStorageMode mode,
             GError          **error)
{
  if (mode != ENTSEC_STORAGE_CREATE && !g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
                   "There is no database at %s (run entsec-server --init first?)", path);
      return NULL;
    }
  /* Opening brings an SQLite database up to date: --migrate has nothing more to do. */
  return entsec_storage_sqlite_open (path, mode == ENTSEC_STORAGE_CREATE, error);
}

EntsecStorage *
entsec_storage_open (const char       *database,
                     const char       *sqlite_path,
                     guint             pool_size,
                     EntsecStorageMode mode,
                     GError          **error)
{
  if (entsec_storage_is_postgresql (database))
    return entsec_storage_pg_open (database, pool_size, mode, error);
  return sqlite_open (sqlite_path, mode, error);
}

void
entsec_storage_close (EntsecStorage *storage)
{
  if (storage != NULL)
    storage->ops->close (storage);
}

gboolean
entsec_storage_user_create (EntsecStorage    *storage,
                            const EntsecUser *user,
                            GError          **error)
{
  g_return_val_if_fail (user != NULL && user->id != NULL, FALSE);
  return storage->ops->user_create (storage, user, error);
}

EntsecUser *
entsec_storage_user_get (EntsecStorage *storage,
                         const char    *id,
                         GError       **error)
{
  return storage->ops->user_get (storage, id, error);
}

GPtrArray *
entsec_storage_user_list (EntsecStorage *storage,
                          const char    *after,
                          guint          limit,
                          GError       **error)
{
  return storage->ops->user_list (storage, after, limit, error);
}

gboolean
entsec_storage_user_delete (EntsecStorage *storage,
                            const char    *id,
                            gboolean      *found,
                            GError       **error)
{
  return storage->ops->user_delete (storage, id, found, error);
}

gboolean
entsec_storage_user_remove (EntsecStorage *storage,
                            const char    *user_id,
                            GPtrArray    **revoked,
                            gboolean      *found,
                            GError       **error)
{
  g_return_val_if_fail (user_id != NULL && revoked != NULL && found != NULL, FALSE);
  return storage->ops->user_remove (storage, user_id, revoked, found, error);
}

gboolean
entsec_storage_user_set_disabled (EntsecStorage *storage,
                                  const char    *id,
                                  gboolean       disabled,
                                  gboolean      *found,
                                  GError       **error)
{
  return storage->ops->user_set_disabled (storage, id, disabled, found, error);
}

gboolean
entsec_storage_admin_create (EntsecStorage     *storage,
                             const EntsecAdmin *admin,
                             GError           **error)
{
  return storage->ops->admin_create (storage, admin, error);
}

GPtrArray *
entsec_storage_admin_list (EntsecStorage *storage,
                           GError       **error)
{
  return storage->ops->admin_list (storage, error);
}

gboolean
entsec_storage_audit_append (EntsecStorage          *storage,
                             const EntsecAuditEntry *entry,
                             GError                **error)
{
  return storage->ops->audit_append (storage, entry, error);
}

GPtrArray *
entsec_storage_audit_list (EntsecStorage *storage,
                           gint64         after,
                           guint          limit,
                           GError       **error)
{
  return storage->ops->audit_list (storage, after, limit, error);
}

EntsecUser *
entsec_storage_user_find (EntsecStorage *storage,
                          const char    *channel,
                          const char    *address,
                          GError       **error)
{
  return storage->ops->user_find (storage, channel, address, error);
}

gboolean
entsec_storage_setting_get (EntsecStorage *storage,
                            const char    *key,
                            GBytes       **value,
                            GError       **error)
{
  return storage->ops->setting_get (storage, key, value, error);
}

gboolean
entsec_storage_setting_set (EntsecStorage *storage,
                            const char    *key,
                            GBytes        *value,
                            GError       **error)
{
  return storage->ops->setting_set (storage, key, value, error);
}

gboolean
entsec_storage_enrollment_start (EntsecStorage          *storage,
                                 const EntsecEnrollment *enrollment,
                                 gint64                  resend_after,
                                 gint64                 *last_created,
                                 GError                **error)
{
  return storage->ops->enrollment_start (storage, enrollment, resend_after, last_created, error);
}

EntsecEnrollment *
entsec_storage_enrollment_get (EntsecStorage *storage,
                               const char    *id,
                               GError       **error)
{
  return storage->ops->enrollment_get (storage, id, error);
}

gboolean
entsec_storage_enrollment_update (EntsecStorage          *storage,
                                  const EntsecEnrollment *enrollment,
                                  guint                   expected_attempts,
                                  gboolean               *updated,
                                  GError                **error)
{
  return storage->ops->enrollment_update (storage, enrollment, expected_attempts, updated,
                                          error);
}

gboolean
entsec_storage_audit (EntsecStorage *storage,
                      const char    *actor,
                      const char    *action,
                      const char    *target,
                      GError       **error)
{
  EntsecAuditEntry entry = {
    .time = g_get_real_time () / G_USEC_PER_SEC,
    .actor = (char *) actor,
    .action = (char *) action,
    .target = (char *) target,
  };

  if (entsec_storage_audit_append (storage, &entry, error))
    return TRUE;
  g_warning ("The audit log could not record %s", action);
  return FALSE;
}
