/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-storage-pg-users.c: the PostgreSQL backend's users, admins,
 * audit log, settings and enrollments. An enrollment code is used once
 * across every server on the database: its compare-and-set UPDATE
 * (WHERE state = pending AND attempts = expected) changes the row for
 * one request only; the others find it changed.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include "server-storage-pg-private.h"

#define USER_COLUMNS "id, email, phone, name, disabled, created"

gboolean
entsec_pg_user_create (EntsecStorage    *storage,
                       const EntsecUser *user,
                       GError          **error)
{
  return entsec_pg_write (storage, NULL, "INSERT INTO users (" USER_COLUMNS ") "
                                         "VALUES ($1, $2, $3, $4, $5, $6)", "adding a user",
                          error, "ttttbi", user->id, user->email, user->phone, user->name,
                          user->disabled, user->created);
}

static gpointer
user_from_row (const PGresult *result,
               int             row)
{
  EntsecUser *user = g_new0 (EntsecUser, 1);

  user->id = entsec_pg_text (result, row, 0);
  user->email = entsec_pg_text (result, row, 1);
  user->phone = entsec_pg_text (result, row, 2);
  user->name = entsec_pg_text (result, row, 3);
  user->disabled = entsec_pg_bool (result, row, 4);
  user->created = entsec_pg_int (result, row, 5);
  return user;
}

/* The first row of @sql with @text bound to $1; NULL (error unset) when none. */
static gpointer
read_one (EntsecStorage *storage,
          const char    *sql,
          const char    *text,
          gpointer     (*from_row) (const PGresult *result, int row),
          const char    *doing,
          GError       **error)
{
  g_autoptr (PGresult) result = entsec_pg_query (storage, sql, doing, error, "t", text);

  if (result == NULL || PQntuples (result) == 0)
    return NULL;
  return from_row (result, 0);
}

EntsecUser *
entsec_pg_user_get (EntsecStorage *storage,
                    const char    *id,
                    GError       **error)
{
  return read_one (storage, "SELECT " USER_COLUMNS " FROM users WHERE id = $1", id,
                   user_from_row, "reading a user", error);
}

GPtrArray *
entsec_pg_user_list (EntsecStorage *storage,
                     const char    *after,
                     guint          limit,
                     GError       **error)
{
  g_autoptr (PGresult) result = entsec_pg_query (storage, "SELECT " USER_COLUMNS " FROM users "
                                                          "WHERE id > $1 ORDER BY id LIMIT $2",
                                                 "listing users", error, "ti",
                                                 after != NULL ? after : "", (gint64) limit);

  if (result == NULL)
    return NULL;
  return entsec_pg_rows (result, user_from_row, (GDestroyNotify) entsec_user_free);
}

gboolean
entsec_pg_user_delete (EntsecStorage *storage,
                       const char    *id,
                       gboolean      *found,
                       GError       **error)
{
  return entsec_pg_update (storage, found, "DELETE FROM users WHERE id = $1",
                           "deleting a user", error, "t", id);
}

gboolean
entsec_pg_user_set_disabled (EntsecStorage *storage,
                             const char    *id,
                             gboolean       disabled,
                             gboolean      *found,
                             GError       **error)
{
  return entsec_pg_update (storage, found, "UPDATE users SET disabled = $2 WHERE id = $1",
                           "disabling or enabling a user", error, "tb", id, disabled);
}

EntsecUser *
entsec_pg_user_find (EntsecStorage *storage,
                     const char    *channel,
                     const char    *address,
                     GError       **error)
{
  const char *sql = strcmp (channel, "email") == 0
                    ? "SELECT " USER_COLUMNS " FROM users WHERE email = $1 AND NOT disabled"
                    : "SELECT " USER_COLUMNS " FROM users WHERE phone = $1 AND NOT disabled";

  return read_one (storage, sql, address, user_from_row, "looking up an address", error);
}

gboolean
entsec_pg_admin_create (EntsecStorage     *storage,
                        const EntsecAdmin *admin,
                        GError           **error)
{
  return entsec_pg_write (storage, NULL, "INSERT INTO admins (id, name, token_sha256) "
                                         "VALUES ($1, $2, $3)", "adding an admin", error,
                          "ttd", admin->id, admin->name, admin->token_sha256);
}

static gpointer
admin_from_row (const PGresult *result,
                int             row)
{
  EntsecAdmin *admin = g_new0 (EntsecAdmin, 1);

  admin->id = entsec_pg_text (result, row, 0);
  admin->name = entsec_pg_text (result, row, 1);
  /* The schema's CHECK keeps the length at 32. */
  entsec_pg_digest (result, row, 2, admin->token_sha256);
  return admin;
}

GPtrArray *
entsec_pg_admin_list (EntsecStorage *storage,
                      GError       **error)
{
  g_autoptr (PGresult) result = entsec_pg_query (storage, "SELECT id, name, token_sha256 "
                                                          "FROM admins ORDER BY id",
                                                 "listing admins", error, "");

  if (result == NULL)
    return NULL;
  return entsec_pg_rows (result, admin_from_row, (GDestroyNotify) entsec_admin_free);
}

typedef struct
{
  const EntsecAuditEntry *entry;
} AuditAppend;

/* Under a lock, so that seq rises in commit order: a reader paging by
 * seq never skips an entry that commits late. */
static gboolean
audit_append_steps (EntsecPgConn *conn,
                    gpointer      data,
                    GError      **error)
{
  const EntsecAuditEntry *entry = ((AuditAppend *) data)->entry;

  return entsec_pg_lock (conn, "entsec audit", error)
         && entsec_pg_run (conn, NULL, "INSERT INTO audit (time, actor, action, target) "
                                       "VALUES ($1, $2, $3, $4)", "writing the audit log",
                           error, "ittt", entry->time, entry->actor, entry->action,
                           entry->target);
}

gboolean
entsec_pg_audit_append (EntsecStorage          *storage,
                        const EntsecAuditEntry *entry,
                        GError                **error)
{
  AuditAppend data = { entry };

  return entsec_pg_transact (storage, audit_append_steps, &data, error);
}

static gpointer
audit_from_row (const PGresult *result,
                int             row)
{
  EntsecAuditEntry *entry = g_new0 (EntsecAuditEntry, 1);

  entry->seq = entsec_pg_int (result, row, 0);
  entry->time = entsec_pg_int (result, row, 1);
  entry->actor = entsec_pg_text (result, row, 2);
  entry->action = entsec_pg_text (result, row, 3);
  entry->target = entsec_pg_text (result, row, 4);
  return entry;
}

GPtrArray *
entsec_pg_audit_list (EntsecStorage *storage,
                      gint64         after,
                      guint          limit,
                      GError       **error)
{
  g_autoptr (PGresult) result = entsec_pg_query (storage, "SELECT seq, time, actor, action, "
                                                          "target FROM audit WHERE seq > $1 "
                                                          "ORDER BY seq LIMIT $2",
                                                 "reading the audit log", error, "ii", after,
                                                 (gint64) limit);

  if (result == NULL)
    return NULL;
  return entsec_pg_rows (result, audit_from_row, (GDestroyNotify) entsec_audit_entry_free);
}

gboolean
entsec_pg_setting_get (EntsecStorage *storage,
                       const char    *key,
                       GBytes       **value,
                       GError       **error)
{
  g_autoptr (PGresult) result = entsec_pg_query (storage, "SELECT value FROM settings "
                                                          "WHERE key = $1",
                                                 "reading a setting", error, "t", key);

  *value = NULL;
  if (result == NULL)
    return FALSE;
  if (PQntuples (result) > 0)
    *value = entsec_pg_bytes (result, 0, 0);
  return TRUE;
}

gboolean
entsec_pg_setting_set (EntsecStorage *storage,
                       const char    *key,
                       GBytes        *value,
                       GError       **error)
{
  return entsec_pg_write (storage, NULL, "INSERT INTO settings (key, value) VALUES ($1, $2) "
                                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                          "writing a setting", error, "ty", key, value);
}

typedef struct
{
  const EntsecEnrollment *enrollment;
  gint64                  resend_after;
  gint64                 *last_created;
} EnrollmentStart;

/* Under a lock on the channel and address, so that two servers starting
 * enrollments for one address at once cannot both pass the resend check. */
static gboolean
enrollment_start_steps (EntsecPgConn *conn,
                        gpointer      data,
                        GError      **error)
{
  EnrollmentStart *s = data;
  const EntsecEnrollment *e = s->enrollment;
  const char *doing = "starting an enrollment";
  g_autofree char *key = g_strdup_printf ("entsec enroll %s:%s", e->channel, e->address);
  g_autoptr (PGresult) last = NULL;

  *s->last_created = 0;
  if (!entsec_pg_lock (conn, key, error))
    return FALSE;
  last = entsec_pg_exec (conn, "SELECT max(created) FROM enrollments "
                               "WHERE channel = $1 AND address = $2", doing, error, "tt",
                         e->channel, e->address);
  if (last == NULL)
    return FALSE;
  *s->last_created = entsec_pg_int (last, 0, 0);
  if (!PQgetisnull (last, 0, 0) && e->created - *s->last_created < s->resend_after)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_RATE_LIMITED,
                   "A code was sent to this address moments ago");
      return FALSE;
    }
  return entsec_pg_run (conn, NULL, "UPDATE enrollments SET state = 3 "
                                    "WHERE channel = $1 AND address = $2 AND state = 0",
                        doing, error, "tt", e->channel, e->address)
         && entsec_pg_run (conn, NULL, "INSERT INTO enrollments (id, channel, address, user_id, "
                                       "code_sha256, nonce_sha256, created, expires) "
                                       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", doing, error,
                           "ttttddii", e->id, e->channel, e->address, e->user_id,
                           e->code_sha256, e->nonce_sha256, e->created, e->expires);
}

gboolean
entsec_pg_enrollment_start (EntsecStorage          *storage,
                            const EntsecEnrollment *enrollment,
                            gint64                  resend_after,
                            gint64                 *last_created,
                            GError                **error)
{
  EnrollmentStart data = { enrollment, resend_after, last_created };

  *last_created = 0;
  return entsec_pg_transact (storage, enrollment_start_steps, &data, error);
}

static gpointer
enrollment_from_row (const PGresult *result,
                     int             row)
{
  EntsecEnrollment *e = g_new0 (EntsecEnrollment, 1);

  e->id = entsec_pg_text (result, row, 0);
  e->channel = entsec_pg_text (result, row, 1);
  e->address = entsec_pg_text (result, row, 2);
  e->user_id = entsec_pg_text (result, row, 3);
  entsec_pg_digest (result, row, 4, e->code_sha256);
  entsec_pg_digest (result, row, 5, e->nonce_sha256);
  e->created = entsec_pg_int (result, row, 6);
  e->expires = entsec_pg_int (result, row, 7);
  e->attempts = (guint) entsec_pg_int (result, row, 8);
  e->state = (EntsecEnrollmentState) entsec_pg_int (result, row, 9);
  entsec_pg_digest (result, row, 10, e->token_sha256);
  e->token_expires = entsec_pg_int (result, row, 11);
  entsec_pg_digest (result, row, 12, e->challenge_sha256);
  return e;
}

EntsecEnrollment *
entsec_pg_enrollment_get (EntsecStorage *storage,
                          const char    *id,
                          GError       **error)
{
  return read_one (storage, "SELECT id, channel, address, user_id, code_sha256, nonce_sha256, "
                            "created, expires, attempts, state, token_sha256, token_expires, "
                            "challenge_sha256 FROM enrollments WHERE id = $1",
                   id, enrollment_from_row, "reading an enrollment", error);
}

gboolean
entsec_pg_enrollment_update (EntsecStorage          *storage,
                             const EntsecEnrollment *e,
                             guint                   expected_attempts,
                             gboolean               *updated,
                             GError                **error)
{
  gboolean verified = e->state == ENTSEC_ENROLLMENT_VERIFIED;

  return entsec_pg_update (storage, updated, "UPDATE enrollments SET attempts = $2, state = $3, "
                                             "token_sha256 = $4, token_expires = $5, "
                                             "challenge_sha256 = $6 "
                                             "WHERE id = $1 AND state = 0 AND attempts = $7",
                           "updating an enrollment", error, "tiididi", e->id,
                           (gint64) e->attempts, (gint64) e->state,
                           verified ? e->token_sha256 : NULL, verified ? e->token_expires : 0,
                           verified ? e->challenge_sha256 : NULL, (gint64) expected_attempts);
}

gboolean
entsec_pg_enrollment_token_user (EntsecStorage *storage,
                                 const guint8  *token_sha256,
                                 char         **user_id,
                                 GError       **error)
{
  g_autoptr (PGresult) result = entsec_pg_query (storage, "SELECT e.user_id FROM enrollments e "
                                                          "JOIN users u ON u.id = e.user_id "
                                                          "WHERE e.token_sha256 = $1 "
                                                          "AND e.state = 1 AND NOT u.disabled "
                                                          "AND length(e.challenge_sha256) = 32",
                                                 "reading an enrollment", error, "d",
                                                 token_sha256);

  *user_id = NULL;
  if (result == NULL)
    return FALSE;
  if (PQntuples (result) > 0)
    *user_id = entsec_pg_text (result, 0, 0);
  return TRUE;
}
