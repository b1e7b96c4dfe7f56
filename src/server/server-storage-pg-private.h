/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-storage-pg-private.h: what the PostgreSQL backend's files share:
 * the connection pool, statements prepared once per connection, calls
 * with bound parameters, transactions, the error mapping and the schema
 * migrations. server-storage-pg.c owns the pool; the domain files
 * (server-storage-pg-users.c, -devices.c, -rp.c) take connections from it.
 *
 * Nothing here keeps state in the process that an exactly-once guarantee
 * depends on: several servers share one database, so every such guarantee
 * is a row lock, a compare-and-set UPDATE or a unique constraint.
 */
#pragma once

#include <libpq-fe.h>

#include "server-storage.h"

G_BEGIN_DECLS

/*
 * The schema, as an ordered list of migrations (server-storage-pg-schema.c):
 * migration i (from 0) brings a database from schema version i to i + 1.
 * Append new migrations at the end; never change one that shipped.
 * entsec_pg_schema_version() is their number, the version this build reads.
 */
extern const char *const entsec_pg_migrations[];
guint entsec_pg_schema_version (void);

/*
 * A new connection to @url (a postgresql:// URL or a libpq connection
 * string), outside the pool: for a dedicated LISTEN connection, say. Its
 * notices go to the debug log. NULL with %ENTSEC_SERVER_ERROR_STORAGE
 * naming the host and database (never the password) when it fails.
 * Returns: (transfer full) (nullable): close with PQfinish().
 */
PGconn   *entsec_pg_connect (const char *url,
                             GError    **error);

/* "host H port P database D" of @url for messages: never its password.
 * Returns: (transfer full) */
char     *entsec_pg_describe (const char *url);

/**
 * EntsecPgConn:
 * @pg: the connection
 * @prepared: the names of the statements prepared on it, by SQL text
 * @where: what messages call the server ("host H port P database D")
 * @sqlstate: the SQLSTATE of the last failure ("40001" ...), "" when none
 *
 * One pooled connection, used by one call at a time.
 */
typedef struct
{
  PGconn     *pg;
  GHashTable *prepared;
  const char *where;
  char        sqlstate[6]; /* of the last failure, "" when none */
} EntsecPgConn;

/* A connection of the pool (opened when none is idle and the pool is not
 * full; else waits for one); NULL with @error when none can be opened.
 * Give it back with entsec_pg_release(). */
EntsecPgConn *entsec_pg_acquire (EntsecStorage *storage,
                                 GError       **error);
/* Gives @conn back; a connection that broke is closed instead (the next
 * call opens a new one), as is one left inside a transaction. */
void          entsec_pg_release (EntsecStorage *storage,
                                 EntsecPgConn  *conn);

/*
 * Runs @sql (one statement, parameters $1, $2 ...), prepared on @conn
 * once and kept, with the values given by @types: 't' text (nullable),
 * 'i' gint64, 'b' bool (gboolean), 'd' a 32-byte digest (binary; NULL
 * binds SQL NULL), 'y' GBytes (binary). Results come as text.
 * Returns: (transfer full) (nullable): the result, or NULL with @error
 * (%ENTSEC_SERVER_ERROR_CONFLICT for a unique violation, else _STORAGE
 * described as happening while @doing). Free with PQclear().
 */
PGresult *entsec_pg_exec (EntsecPgConn *conn,
                          const char   *sql,
                          const char   *doing,
                          GError      **error,
                          const char   *types,
                          ...);
/* entsec_pg_exec() for a statement that returns no rows: TRUE or FALSE
 * with @error; *@changes (nullable): the rows it changed. */
gboolean  entsec_pg_run (EntsecPgConn *conn,
                         gint64       *changes,
                         const char   *sql,
                         const char   *doing,
                         GError      **error,
                         const char   *types,
                         ...);

/* BEGIN (READ COMMITTED: the locks each call takes are what serialise it),
 * COMMIT, ROLLBACK. entsec_pg_end() commits when @ok, else rolls back,
 * and returns @ok, or FALSE with @error when the commit failed. */
gboolean  entsec_pg_begin (EntsecPgConn *conn,
                           GError      **error);
gboolean  entsec_pg_end (EntsecPgConn *conn,
                         gboolean      ok,
                         GError      **error);

/* The steps of one transaction, on @conn inside it; they set their
 * outputs afresh each time (a transaction may run again). */
typedef gboolean (*EntsecPgSteps) (EntsecPgConn *conn,
                                   gpointer      data,
                                   GError      **error);
/* A call of one transaction: acquire, BEGIN, @steps, COMMIT (ROLLBACK when
 * they fail), release; run again, up to 5 times, when PostgreSQL broke a
 * deadlock or a serialisation conflict by aborting it. */
gboolean  entsec_pg_transact (EntsecStorage *storage,
                              EntsecPgSteps  steps,
                              gpointer       data,
                              GError       **error);

/* Inside a transaction: wait for the lock named @key, held until the
 * transaction ends, in every process on the database (an advisory lock). */
gboolean  entsec_pg_lock (EntsecPgConn *conn,
                          const char   *key,
                          GError      **error);

/* Sets @error from @result (NULL: from the connection) as entsec_pg_exec()
 * does; returns FALSE. */
gboolean  entsec_pg_fail (EntsecPgConn   *conn,
                          const PGresult *result,
                          const char     *doing,
                          GError        **error);

/* Column values of a text-format result. */
char     *entsec_pg_text (const PGresult *result,
                          int             row,
                          int             column);
gint64    entsec_pg_int (const PGresult *result,
                         int             row,
                         int             column);
gboolean  entsec_pg_bool (const PGresult *result,
                          int             row,
                          int             column);
/* A bytea column; NULL for SQL NULL. (transfer full) */
GBytes   *entsec_pg_bytes (const PGresult *result,
                           int             row,
                           int             column);
/* A 32-byte bytea into @digest; zeros when NULL or of another length.
 * Returns whether it was 32 bytes. */
gboolean  entsec_pg_digest (const PGresult *result,
                            int             row,
                            int             column,
                            guint8         *digest);

/* A call of one statement: acquire, entsec_pg_exec(), release. */
PGresult *entsec_pg_query (EntsecStorage *storage,
                           const char    *sql,
                           const char    *doing,
                           GError       **error,
                           const char    *types,
                           ...);
/* A call of one statement that writes: *@changes (nullable) rows changed. */
gboolean  entsec_pg_write (EntsecStorage *storage,
                           gint64        *changes,
                           const char    *sql,
                           const char    *doing,
                           GError       **error,
                           const char    *types,
                           ...);
/* A compare-and-set UPDATE of one statement: *@updated when it changed a row. */
gboolean  entsec_pg_update (EntsecStorage *storage,
                            gboolean      *updated,
                            const char    *sql,
                            const char    *doing,
                            GError       **error,
                            const char    *types,
                            ...);
/* Every row of @result through @from_row. (transfer full) */
GPtrArray *entsec_pg_rows (PGresult       *result,
                           gpointer      (*from_row) (const PGresult *result, int row),
                           GDestroyNotify  free_func);
/* The same with a backend-neutral @from_row (server-storage.h). */
GPtrArray *entsec_pg_storage_rows (PGresult       *result,
                                   gpointer      (*from_row) (const EntsecStorageRow *row),
                                   GDestroyNotify  free_func);
/* Row @index of @result as a backend-neutral row, valid while @result is. */
void       entsec_pg_row (const PGresult   *result,
                          int               index,
                          EntsecStorageRow *row);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)

/* users, admins, audit, settings, enrollments (server-storage-pg-users.c) */
gboolean          entsec_pg_user_create (EntsecStorage *storage, const EntsecUser *user,
                                         GError **error);
EntsecUser       *entsec_pg_user_get (EntsecStorage *storage, const char *id, GError **error);
GPtrArray        *entsec_pg_user_list (EntsecStorage *storage, const char *after, guint limit,
                                       GError **error);
gboolean          entsec_pg_user_delete (EntsecStorage *storage, const char *id, gboolean *found,
                                         GError **error);
gboolean          entsec_pg_user_set_disabled (EntsecStorage *storage, const char *id,
                                               gboolean disabled, gboolean *found,
                                               GError **error);
gboolean          entsec_pg_admin_create (EntsecStorage *storage, const EntsecAdmin *admin,
                                          GError **error);
GPtrArray        *entsec_pg_admin_list (EntsecStorage *storage, GError **error);
gboolean          entsec_pg_audit_append (EntsecStorage *storage, const EntsecAuditEntry *entry,
                                          GError **error);
GPtrArray        *entsec_pg_audit_list (EntsecStorage *storage, gint64 after, guint limit,
                                        GError **error);
EntsecUser       *entsec_pg_user_find (EntsecStorage *storage, const char *channel,
                                       const char *address, GError **error);
gboolean          entsec_pg_setting_get (EntsecStorage *storage, const char *key, GBytes **value,
                                         GError **error);
gboolean          entsec_pg_setting_set (EntsecStorage *storage, const char *key, GBytes *value,
                                         GError **error);
gboolean          entsec_pg_enrollment_start (EntsecStorage *storage,
                                              const EntsecEnrollment *enrollment,
                                              gint64 resend_after, gint64 *last_created,
                                              GError **error);
EntsecEnrollment *entsec_pg_enrollment_get (EntsecStorage *storage, const char *id,
                                            GError **error);
gboolean          entsec_pg_enrollment_update (EntsecStorage *storage,
                                               const EntsecEnrollment *enrollment,
                                               guint expected_attempts, gboolean *updated,
                                               GError **error);
gboolean          entsec_pg_enrollment_token_user (EntsecStorage *storage,
                                                   const guint8 *token_sha256, char **user_id,
                                                   GError **error);

/* devices, nonces, policies, commands, events (server-storage-pg-devices.c) */
gboolean      entsec_pg_nonce_remember (EntsecStorage *storage, const char *keyid,
                                        const char *nonce, gint64 now, gint64 keep_until,
                                        gboolean *fresh, GError **error);
gboolean      entsec_pg_device_register (EntsecStorage *storage, EntsecDevice *device,
                                         const guint8 *token_sha256,
                                         const guint8 *challenge_sha256, gint64 now,
                                         guint max_devices, GError **error);
EntsecDevice *entsec_pg_device_get (EntsecStorage *storage, const char *id, GError **error);
GPtrArray    *entsec_pg_device_list (EntsecStorage *storage, const char *user_id,
                                     const char *after, guint limit, GError **error);
gboolean      entsec_pg_device_update (EntsecStorage *storage, const EntsecDevice *device,
                                       gboolean *updated, GError **error);
gboolean      entsec_pg_policy_get (EntsecStorage *storage, const char *scope, char **settings,
                                    GError **error);
gboolean      entsec_pg_policy_set (EntsecStorage *storage, const char *scope,
                                    const char *settings, gint64 now, GError **error);
gboolean      entsec_pg_op_challenge_add (EntsecStorage *storage, const guint8 *nonce_sha256,
                                          const char *device_id, const char *op, gint64 expires,
                                          GError **error);
gboolean      entsec_pg_op_challenge_use (EntsecStorage *storage, const guint8 *nonce_sha256,
                                          const char *device_id, const char *op, gint64 now,
                                          gboolean *found, GError **error);
gboolean      entsec_pg_device_event_add (EntsecStorage *storage, const char *device_id,
                                          const char *type, const char *body, gint64 now,
                                          GError **error);
GPtrArray    *entsec_pg_device_event_list (EntsecStorage *storage, const char *device_id,
                                           gint64 after, guint limit, GError **error);
gboolean      entsec_pg_device_events_prune (EntsecStorage *storage, const char *device_id,
                                             gint64 through, gint64 before, GError **error);
gboolean      entsec_pg_device_events_stats (EntsecStorage *storage, gint64 *count,
                                             gint64 *oldest, GError **error);
gboolean      entsec_pg_command_add (EntsecStorage *storage, const EntsecDeviceCommand *command,
                                     const char *event_body, GError **error);
gboolean      entsec_pg_command_ack (EntsecStorage *storage, const char *device_id,
                                     const char *command_id, const char *result, gint64 now,
                                     EntsecCommandAck *outcome, GError **error);
GPtrArray    *entsec_pg_command_list (EntsecStorage *storage, const char *device_id,
                                      GError **error);
gboolean      entsec_pg_push_delivery_add (EntsecStorage *storage, const char *push_id,
                                           const char *device_id, const char *nonce,
                                           const guint8 *push_sha256, gint64 expires,
                                           GError **error);
gboolean      entsec_pg_push_delivery_get (EntsecStorage *storage, const char *push_id,
                                           const char *device_id, char **nonce,
                                           guint8 *push_sha256, gboolean *found,
                                           GError **error);
gboolean      entsec_pg_token_delivery_claim (EntsecStorage *storage, const char *token_id,
                                              const char *device_id, gint64 now,
                                              gboolean *claimed, GError **error);
gboolean      entsec_pg_token_delivery_get (EntsecStorage *storage, const char *token_id,
                                            char **device_id, GError **error);
gboolean      entsec_pg_user_remove (EntsecStorage *storage, const char *user_id,
                                     GPtrArray **revoked, gboolean *found, GError **error);
GPtrArray    *entsec_pg_authority_key_list (EntsecStorage *storage, GError **error);
gboolean      entsec_pg_authority_key_add (EntsecStorage *storage, const EntsecAuthorityKey *key,
                                           GError **error);
gboolean      entsec_pg_authority_key_seal (EntsecStorage *storage, guint seq, GBytes *sealed_key,
                                            GError **error);
gboolean      entsec_pg_authority_key_head (EntsecStorage *storage, guint *seq, GError **error);
gboolean      entsec_pg_device_rekey (EntsecStorage *storage, const EntsecDevice *device,
                                      gboolean *updated, GError **error);

/* relying parties, tokens, push transactions (server-storage-pg-rp.c) */
gboolean     entsec_pg_rp_create (EntsecStorage *storage, const EntsecRp *rp, GError **error);
GPtrArray   *entsec_pg_rp_list (EntsecStorage *storage, GError **error);
gboolean     entsec_pg_rp_revoke (EntsecStorage *storage, const char *id, gint64 now,
                                  gboolean *found, GError **error);
gboolean     entsec_pg_token_create (EntsecStorage *storage, const EntsecToken *token,
                                     GError **error);
EntsecToken *entsec_pg_token_get (EntsecStorage *storage, const char *id, GError **error);
GPtrArray   *entsec_pg_token_list (EntsecStorage *storage, const char *user_id, GError **error);
gboolean     entsec_pg_token_update (EntsecStorage *storage, const EntsecToken *token,
                                     const EntsecToken *expected, gboolean *updated,
                                     GError **error);
gboolean     entsec_pg_push_start (EntsecStorage *storage, EntsecPush *push, guint max_open,
                                   gint64 *retry_after, GError **error);
EntsecPush  *entsec_pg_push_get (EntsecStorage *storage, const char *id, GError **error);
gboolean     entsec_pg_push_update (EntsecStorage *storage, const EntsecPush *push,
                                    const EntsecPush *expected, gboolean *updated,
                                    GError **error);
gboolean     entsec_pg_push_mute (EntsecStorage *storage, const char *user_id, gint64 until,
                                  GError **error);

/* rate limits (server-storage-pg-ratelimit.c) */
gboolean     entsec_pg_ratelimit_take (EntsecStorage *storage, const char *key, guint limit,
                                       gint64 window, gint64 now, gboolean *allowed,
                                       gint64 *retry_after, GError **error);

/*
 * The wake-ups of the events long-poll (server-storage-pg-listen.c): a
 * connection of its own to @url, outside the pool, LISTENs on channel
 * "entsec_events" (whose payload is a device id; entsec_pg_device_event_add()
 * sends it in the event's transaction) on a thread that calls @wake with
 * each device id, and with NULL once it listens again after a lost
 * connection (opened again with backoff, 1 s to 30 s). The first LISTEN
 * is done before this returns: NULL with @error when it fails.
 * Returns: (transfer full) (nullable): stop with entsec_pg_listener_free().
 */
typedef struct _EntsecPgListener EntsecPgListener;

EntsecPgListener *entsec_pg_listener_new (const char           *url,
                                          EntsecStorageWakeFunc wake,
                                          gpointer              data,
                                          GError              **error);
/* Stops the thread (@wake is not called once this returns) and frees. */
void              entsec_pg_listener_free (EntsecPgListener *listener);

G_END_DECLS
