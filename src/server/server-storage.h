/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-storage.h: the server's storage interface. One implementation per
 * backend (SQLite today, PostgreSQL later); request handling sees only
 * these calls, never SQL. Every call is safe from any thread.
 *
 * Lookups keep three outcomes apart: an error (FALSE / NULL with @error
 * set), not found (NULL or *found = FALSE without an error), found.
 */
#pragma once

#include <glib.h>

#include "server-private.h"

G_BEGIN_DECLS

#define ENTSEC_STORAGE_SCHEMA_VERSION 1

/**
 * EntsecUser:
 * @id: "usr_..."
 * @email: (nullable): normalised address
 * @phone: (nullable): E.164 number
 * @name: (nullable): display name
 * @disabled: the admin disabled the user
 * @created: Unix seconds
 */
typedef struct
{
  char    *id;
  char    *email;
  char    *phone;
  char    *name;
  gboolean disabled;
  gint64   created;
} EntsecUser;

void entsec_user_free (EntsecUser *user);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecUser, entsec_user_free)

/**
 * EntsecAdmin:
 * @id: "adm_..."
 * @name: who the audit log names
 * @token_sha256: SHA-256 of the admin's bearer token (the token is never stored)
 */
typedef struct
{
  char  *id;
  char  *name;
  guint8 token_sha256[ENTSEC_SERVER_DIGEST_SIZE];
} EntsecAdmin;

void entsec_admin_free (EntsecAdmin *admin);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecAdmin, entsec_admin_free)

/**
 * EntsecAuditEntry:
 * @seq: position in the log, from 1 (set by the storage)
 * @time: Unix seconds
 * @actor: who acted ("adm_...", or "system")
 * @action: what ("user.create", ...)
 * @target: (nullable): the object acted on ("usr_...")
 *
 * One line of the audit log. Never holds secrets or codes.
 */
typedef struct
{
  gint64 seq;
  gint64 time;
  char  *actor;
  char  *action;
  char  *target;
} EntsecAuditEntry;

void entsec_audit_entry_free (EntsecAuditEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecAuditEntry, entsec_audit_entry_free)

typedef struct _EntsecStorage EntsecStorage;

/* The operations a backend provides; see the entsec_storage_*() wrappers. */
typedef struct
{
  const char *name;
  void        (*close) (EntsecStorage *storage);
  gboolean    (*user_create) (EntsecStorage *storage, const EntsecUser *user, GError **error);
  EntsecUser *(*user_get) (EntsecStorage *storage, const char *id, GError **error);
  GPtrArray  *(*user_list) (EntsecStorage *storage, const char *after, guint limit,
                            GError **error);
  gboolean    (*user_delete) (EntsecStorage *storage, const char *id, gboolean *found,
                              GError **error);
  gboolean    (*admin_create) (EntsecStorage *storage, const EntsecAdmin *admin,
                               GError **error);
  GPtrArray  *(*admin_list) (EntsecStorage *storage, GError **error);
  gboolean    (*audit_append) (EntsecStorage *storage, const EntsecAuditEntry *entry,
                               GError **error);
  GPtrArray  *(*audit_list) (EntsecStorage *storage, gint64 after, guint limit,
                             GError **error);
} EntsecStorageOps;

struct _EntsecStorage
{
  const EntsecStorageOps *ops;
};

/*
 * Open the SQLite database at @path. With @create a new database with the
 * current schema is made (the file must not exist); otherwise the file must
 * exist and carry a schema this version knows.
 * Returns: (transfer full) (nullable): close with entsec_storage_close().
 */
EntsecStorage *entsec_storage_sqlite_open (const char *path,
                                           gboolean    create,
                                           GError    **error);

void        entsec_storage_close (EntsecStorage *storage);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecStorage, entsec_storage_close)

/* %ENTSEC_SERVER_ERROR_CONFLICT when the email or phone is taken. */
gboolean    entsec_storage_user_create (EntsecStorage    *storage,
                                        const EntsecUser *user,
                                        GError          **error);
/* Returns: (transfer full) (nullable): the user, or NULL (error unset) when absent. */
EntsecUser *entsec_storage_user_get (EntsecStorage *storage,
                                     const char    *id,
                                     GError       **error);
/* Up to @limit users with ids after @after (nullable), by id.
 * Returns: (transfer full) (element-type EntsecUser): free with g_ptr_array_unref(). */
GPtrArray  *entsec_storage_user_list (EntsecStorage *storage,
                                      const char    *after,
                                      guint          limit,
                                      GError       **error);
gboolean    entsec_storage_user_delete (EntsecStorage *storage,
                                        const char    *id,
                                        gboolean      *found,
                                        GError       **error);
gboolean    entsec_storage_admin_create (EntsecStorage     *storage,
                                         const EntsecAdmin *admin,
                                         GError           **error);
/* Returns: (transfer full) (element-type EntsecAdmin): every admin. */
GPtrArray  *entsec_storage_admin_list (EntsecStorage *storage,
                                       GError       **error);
/* Appends @entry (its @seq is ignored). */
gboolean    entsec_storage_audit_append (EntsecStorage          *storage,
                                         const EntsecAuditEntry *entry,
                                         GError                **error);
/* Up to @limit entries with seq > @after, oldest first.
 * Returns: (transfer full) (element-type EntsecAuditEntry) */
GPtrArray  *entsec_storage_audit_list (EntsecStorage *storage,
                                       gint64         after,
                                       guint          limit,
                                       GError       **error);

/* A convenience: append one entry stamped with the current time; failures are
 * logged and returned. */
gboolean    entsec_storage_audit (EntsecStorage *storage,
                                  const char    *actor,
                                  const char    *action,
                                  const char    *target,
                                  GError       **error);

G_END_DECLS
