/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-storage-pg.c: the PostgreSQL backend (libpq). A pool of
 * connections, each used by one call at a time; statements prepared once
 * per connection by name and kept; every value bound as a parameter.
 * Several servers may share the database: the calls that must happen
 * once (a code, a nonce, a TOTP step) rely on row locks, compare-and-set
 * UPDATEs and unique constraints, never on this process's memory.
 * The schema is versioned (schema_version) and migrated by --migrate.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include "server-storage-pg-private.h"

/* Parameters of one statement, at most. */
#define MAX_PARAMS 16
/* Runs of a transaction PostgreSQL aborted to break a deadlock or a
 * serialisation conflict, at most. */
#define MAX_TRIES 5

typedef struct
{
  EntsecStorage parent;
  char         *url;   /* may hold a password: never in a message */
  char         *where; /* "host H port P database D" */
  GMutex        lock;
  GCond         released;
  GPtrArray    *idle; /* connections no call holds */
  guint         open; /* connections open or opening */
  guint         max;
  EntsecPgListener *listener; /* (nullable): LISTEN entsec_events */
} PgStorage;

static void
notice_to_debug (void       *data,
                 const char *message)
{
  g_debug ("PostgreSQL: %s", message);
}

char *
entsec_pg_describe (const char *url)
{
  PQconninfoOption *options = PQconninfoParse (url, NULL);
  const char *host = NULL, *port = NULL, *dbname = NULL;
  char *text;

  for (PQconninfoOption *o = options; o != NULL && o->keyword != NULL; o++)
    {
      if (strcmp (o->keyword, "host") == 0)
        host = o->val;
      else if (strcmp (o->keyword, "port") == 0)
        port = o->val;
      else if (strcmp (o->keyword, "dbname") == 0)
        dbname = o->val;
    }
  text = g_strdup_printf ("host %s port %s database %s", host != NULL ? host : "(default)",
                          port != NULL ? port : "5432", dbname != NULL ? dbname : "(default)");
  PQconninfoFree (options);
  return text;
}

/* libpq's message without its trailing newline. */
static char *
pg_message (const char *message)
{
  return g_strchomp (g_strdup (message != NULL && message[0] != '\0' ? message : "no detail"));
}

PGconn *
entsec_pg_connect (const char *url,
                   GError    **error)
{
  /* defaults first: what the URL says comes later and overrides them */
  const char *const keywords[] = { "connect_timeout", "fallback_application_name", "dbname",
                                   NULL };
  const char *const values[] = { "10", "entsec-server", url, NULL };
  PGconn *pg = PQconnectdbParams (keywords, values, 1);
  g_autofree char *where = NULL;
  g_autofree char *message = NULL;

  if (pg != NULL && PQstatus (pg) == CONNECTION_OK)
    {
      PQsetNoticeProcessor (pg, notice_to_debug, NULL);
      return pg;
    }
  where = entsec_pg_describe (url);
  message = pg_message (pg != NULL ? PQerrorMessage (pg) : "out of memory");
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
               "Cannot connect to PostgreSQL at %s: %s (check the \"database\" setting and "
               "that the server runs)", where, message);
  PQfinish (pg);
  return NULL;
}

static void
conn_free (EntsecPgConn *conn)
{
  PQfinish (conn->pg);
  g_hash_table_unref (conn->prepared);
  g_free (conn);
}

static EntsecPgConn *
conn_open (PgStorage *self,
           GError   **error)
{
  PGconn *pg = entsec_pg_connect (self->url, error);
  EntsecPgConn *conn;

  if (pg == NULL)
    return NULL;
  conn = g_new0 (EntsecPgConn, 1);
  conn->pg = pg;
  conn->prepared = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  conn->where = self->where;
  return conn;
}

EntsecPgConn *
entsec_pg_acquire (EntsecStorage *storage,
                   GError       **error)
{
  PgStorage *self = (PgStorage *) storage;
  EntsecPgConn *conn = NULL;

  g_mutex_lock (&self->lock);
  while (self->idle->len == 0 && self->open >= self->max)
    g_cond_wait (&self->released, &self->lock);
  if (self->idle->len > 0)
    conn = g_ptr_array_steal_index_fast (self->idle, self->idle->len - 1);
  else
    self->open++;
  g_mutex_unlock (&self->lock);
  if (conn != NULL)
    return conn;
  conn = conn_open (self, error);
  if (conn == NULL)
    {
      g_mutex_lock (&self->lock);
      self->open--;
      g_cond_signal (&self->released);
      g_mutex_unlock (&self->lock);
    }
  return conn;
}

void
entsec_pg_release (EntsecStorage *storage,
                   EntsecPgConn  *conn)
{
  PgStorage *self = (PgStorage *) storage;
  gboolean broken = PQstatus (conn->pg) != CONNECTION_OK
                    || PQtransactionStatus (conn->pg) != PQTRANS_IDLE;

  if (broken)
    conn_free (conn);
  g_mutex_lock (&self->lock);
  if (broken)
    self->open--;
  else
    g_ptr_array_add (self->idle, conn);
  g_cond_signal (&self->released);
  g_mutex_unlock (&self->lock);
}

gboolean
entsec_pg_fail (EntsecPgConn   *conn,
                const PGresult *result,
                const char     *doing,
                GError        **error)
{
  const char *state = result != NULL ? PQresultErrorField (result, PG_DIAG_SQLSTATE) : NULL;
  const char *primary = result != NULL ? PQresultErrorField (result, PG_DIAG_MESSAGE_PRIMARY)
                                       : NULL;
  g_autofree char *message = pg_message (primary != NULL ? primary : PQerrorMessage (conn->pg));

  g_strlcpy (conn->sqlstate, state != NULL ? state : "", sizeof conn->sqlstate);
  if (g_strcmp0 (state, "23505") == 0)
    g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFLICT,
                 "Another record already has this value");
  else if (PQstatus (conn->pg) != CONNECTION_OK)
    g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
                 "Lost the connection to PostgreSQL at %s while %s: %s (the next request "
                 "connects again)", conn->where, doing, message);
  else
    g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
                 "The database failed while %s: %s", doing, message);
  return FALSE;
}

/* The name of @sql's statement on @conn, prepared on first use. */
static const char *
prepared_name (EntsecPgConn *conn,
               const char   *sql,
               const char   *doing,
               GError      **error)
{
  const char *name = g_hash_table_lookup (conn->prepared, sql);
  g_autofree char *new_name = NULL;
  g_autoptr (PGresult) result = NULL;

  if (name != NULL)
    return name;
  new_name = g_strdup_printf ("entsec_%u", g_hash_table_size (conn->prepared));
  result = PQprepare (conn->pg, new_name, sql, 0, NULL);
  if (PQresultStatus (result) != PGRES_COMMAND_OK)
    {
      entsec_pg_fail (conn, result, doing, error);
      return NULL;
    }
  name = new_name;
  g_hash_table_insert (conn->prepared, g_strdup (sql), g_steal_pointer (&new_name));
  return name;
}

typedef struct
{
  const char *values[MAX_PARAMS];
  int         lengths[MAX_PARAMS];
  int         formats[MAX_PARAMS];
  char       *owned[MAX_PARAMS];
  int         n;
} Params;

static void
params_add (Params    *p,
            char       type,
            va_list   *args)
{
  int i = p->n++;
  const guint8 *digest;
  GBytes *bytes;
  gsize len = 0;

  g_assert (i < MAX_PARAMS);
  switch (type)
    {
    case 't':
      p->values[i] = va_arg (*args, const char *);
      break;
    case 'i':
      p->values[i] = p->owned[i] = g_strdup_printf ("%" G_GINT64_FORMAT, va_arg (*args, gint64));
      break;
    case 'b':
      p->values[i] = va_arg (*args, gboolean) ? "t" : "f";
      break;
    case 'd':
      digest = va_arg (*args, const guint8 *);
      p->values[i] = (const char *) digest;
      p->lengths[i] = ENTSEC_SERVER_DIGEST_SIZE;
      p->formats[i] = 1;
      break;
    case 'y':
      bytes = va_arg (*args, GBytes *);
      p->values[i] = bytes != NULL ? g_bytes_get_data (bytes, &len) : NULL;
      if (bytes != NULL && p->values[i] == NULL)
        p->values[i] = ""; /* empty, not NULL */
      p->lengths[i] = (int) len;
      p->formats[i] = 1;
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
params_clear (Params *p)
{
  for (int i = 0; i < p->n; i++)
    g_free (p->owned[i]);
}

static PGresult *
exec_va (EntsecPgConn *conn,
         const char   *sql,
         const char   *doing,
         GError      **error,
         const char   *types,
         va_list      *args)
{
  const char *name = prepared_name (conn, sql, doing, error);
  Params params = { 0 };
  PGresult *result;
  ExecStatusType status;

  if (name == NULL)
    return NULL;
  for (const char *t = types; *t != '\0'; t++)
    params_add (&params, *t, args);
  result = PQexecPrepared (conn->pg, name, params.n, params.values, params.lengths,
                           params.formats, 0);
  params_clear (&params);
  status = PQresultStatus (result);
  if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK)
    return result;
  entsec_pg_fail (conn, result, doing, error);
  PQclear (result);
  return NULL;
}

/* @sql on @conn, or on a connection of @storage's pool when @conn is NULL. */
static PGresult *
call_va (EntsecStorage *storage,
         EntsecPgConn  *conn,
         const char    *sql,
         const char    *doing,
         GError       **error,
         const char    *types,
         va_list       *args)
{
  EntsecPgConn *pooled = conn == NULL ? entsec_pg_acquire (storage, error) : NULL;
  PGresult *result;

  if (conn == NULL && pooled == NULL)
    return NULL;
  result = exec_va (conn != NULL ? conn : pooled, sql, doing, error, types, args);
  if (pooled != NULL)
    entsec_pg_release (storage, pooled);
  return result;
}

/* Whether @result (freed here) is there; the rows it changed in *@changes
 * when @changes is not NULL. */
static gboolean
written (PGresult *result,
         gint64   *changes)
{
  const char *tuples = result != NULL ? PQcmdTuples (result) : "";
  gboolean ok = result != NULL;

  if (changes != NULL)
    *changes = tuples[0] != '\0' ? g_ascii_strtoll (tuples, NULL, 10) : 0;
  PQclear (result);
  return ok;
}

/* @result = call_va (@storage, @conn, ...) with the arguments after "types". */
#define CALL_VARIADIC(result, storage, conn) \
  G_STMT_START { \
    va_list args; \
    va_start (args, types); \
    result = call_va (storage, conn, sql, doing, error, types, &args); \
    va_end (args); \
  } G_STMT_END

PGresult *
entsec_pg_exec (EntsecPgConn *conn,
                const char   *sql,
                const char   *doing,
                GError      **error,
                const char   *types,
                ...)
{
  PGresult *result;

  CALL_VARIADIC (result, NULL, conn);
  return result;
}

gboolean
entsec_pg_run (EntsecPgConn *conn,
               gint64       *changes,
               const char   *sql,
               const char   *doing,
               GError      **error,
               const char   *types,
               ...)
{
  PGresult *result;

  CALL_VARIADIC (result, NULL, conn);
  return written (result, changes);
}

PGresult *
entsec_pg_query (EntsecStorage *storage,
                 const char    *sql,
                 const char    *doing,
                 GError       **error,
                 const char    *types,
                 ...)
{
  PGresult *result;

  CALL_VARIADIC (result, storage, NULL);
  return result;
}

gboolean
entsec_pg_write (EntsecStorage *storage,
                 gint64        *changes,
                 const char    *sql,
                 const char    *doing,
                 GError       **error,
                 const char    *types,
                 ...)
{
  PGresult *result;

  CALL_VARIADIC (result, storage, NULL);
  return written (result, changes);
}

gboolean
entsec_pg_update (EntsecStorage *storage,
                  gboolean      *updated,
                  const char    *sql,
                  const char    *doing,
                  GError       **error,
                  const char    *types,
                  ...)
{
  PGresult *result;
  gint64 changes = 0;
  gboolean ok;

  CALL_VARIADIC (result, storage, NULL);
  ok = written (result, &changes);
  *updated = ok && changes > 0;
  return ok;
}

/* Runs @sql, which may be several statements without parameters. */
static gboolean
exec_simple (EntsecPgConn *conn,
             const char   *sql,
             const char   *doing,
             GError      **error)
{
  g_autoptr (PGresult) result = PQexec (conn->pg, sql);
  ExecStatusType status = PQresultStatus (result);

  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
    return TRUE;
  return entsec_pg_fail (conn, result, doing, error);
}

gboolean
entsec_pg_begin (EntsecPgConn *conn,
                 GError      **error)
{
  conn->sqlstate[0] = '\0';
  return exec_simple (conn, "BEGIN ISOLATION LEVEL READ COMMITTED", "beginning a transaction",
                      error);
}

gboolean
entsec_pg_end (EntsecPgConn *conn,
               gboolean      ok,
               GError      **error)
{
  g_autoptr (PGresult) result = NULL;

  if (ok)
    return exec_simple (conn, "COMMIT", "committing a transaction", error);
  if (PQstatus (conn->pg) == CONNECTION_OK)
    result = PQexec (conn->pg, "ROLLBACK");
  return FALSE;
}

/* Whether PostgreSQL aborted the transaction to break a deadlock or a
 * serialisation conflict: running it again may succeed. */
static gboolean
may_retry (const EntsecPgConn *conn)
{
  return strcmp (conn->sqlstate, "40001") == 0 || strcmp (conn->sqlstate, "40P01") == 0;
}

gboolean
entsec_pg_transact (EntsecStorage *storage,
                    EntsecPgSteps  steps,
                    gpointer       data,
                    GError       **error)
{
  EntsecPgConn *conn = entsec_pg_acquire (storage, error);
  gboolean ok = FALSE;

  if (conn == NULL)
    return FALSE;
  for (guint tries = 1; tries <= MAX_TRIES; tries++)
    {
      g_autoptr (GError) local = NULL;

      ok = entsec_pg_begin (conn, &local) && steps (conn, data, &local);
      ok = entsec_pg_end (conn, ok, ok ? &local : NULL);
      if (ok || !may_retry (conn) || tries == MAX_TRIES)
        {
          if (!ok)
            g_propagate_error (error, g_steal_pointer (&local));
          break;
        }
    }
  entsec_pg_release (storage, conn);
  return ok;
}

gboolean
entsec_pg_lock (EntsecPgConn *conn,
                const char   *key,
                GError      **error)
{
  return entsec_pg_run (conn, NULL, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                        "taking a lock", error, "t", key);
}

char *
entsec_pg_text (const PGresult *result,
                int             row,
                int             column)
{
  if (PQgetisnull (result, row, column))
    return NULL;
  return g_strdup (PQgetvalue (result, row, column));
}

gint64
entsec_pg_int (const PGresult *result,
               int             row,
               int             column)
{
  if (PQgetisnull (result, row, column))
    return 0;
  return g_ascii_strtoll (PQgetvalue (result, row, column), NULL, 10);
}

gboolean
entsec_pg_bool (const PGresult *result,
                int             row,
                int             column)
{
  return !PQgetisnull (result, row, column) && PQgetvalue (result, row, column)[0] == 't';
}

GBytes *
entsec_pg_bytes (const PGresult *result,
                 int             row,
                 int             column)
{
  size_t len = 0;
  unsigned char *data;
  GBytes *bytes;

  if (PQgetisnull (result, row, column))
    return NULL;
  data = PQunescapeBytea ((const unsigned char *) PQgetvalue (result, row, column), &len);
  if (data == NULL)
    return NULL;
  bytes = g_bytes_new (data, len);
  PQfreemem (data);
  return bytes;
}

gboolean
entsec_pg_digest (const PGresult *result,
                  int             row,
                  int             column,
                  guint8         *digest)
{
  g_autoptr (GBytes) bytes = entsec_pg_bytes (result, row, column);
  gboolean ok = bytes != NULL && g_bytes_get_size (bytes) == ENTSEC_SERVER_DIGEST_SIZE;

  if (ok)
    memcpy (digest, g_bytes_get_data (bytes, NULL), ENTSEC_SERVER_DIGEST_SIZE);
  else
    memset (digest, 0, ENTSEC_SERVER_DIGEST_SIZE);
  return ok;
}

static char *
row_text (const EntsecStorageRow *row,
          int                     column)
{
  return entsec_pg_text (row->data, row->index, column);
}

static gint64
row_integer (const EntsecStorageRow *row,
             int                     column)
{
  return entsec_pg_int (row->data, row->index, column);
}

static void
row_digest (const EntsecStorageRow *row,
            int                     column,
            guint8                 *digest)
{
  entsec_pg_digest (row->data, row->index, column, digest);
}

static const EntsecStorageRowOps row_ops = { row_text, row_integer, row_digest };

void
entsec_pg_row (const PGresult   *result,
               int               index,
               EntsecStorageRow *row)
{
  *row = (EntsecStorageRow) { &row_ops, result, index };
}

/* Every row through @from_row (the backend's) or @neutral (server-storage.h's). */
static GPtrArray *
collect (PGresult       *result,
         gpointer      (*from_row) (const PGresult *result, int row),
         gpointer      (*neutral) (const EntsecStorageRow *row),
         GDestroyNotify  free_func)
{
  GPtrArray *rows = g_ptr_array_new_with_free_func (free_func);
  int n = PQntuples (result);

  for (int i = 0; i < n; i++)
    {
      EntsecStorageRow row;

      entsec_pg_row (result, i, &row);
      g_ptr_array_add (rows, neutral != NULL ? neutral (&row) : from_row (result, i));
    }
  return rows;
}

GPtrArray *
entsec_pg_rows (PGresult       *result,
                gpointer      (*from_row) (const PGresult *result, int row),
                GDestroyNotify  free_func)
{
  return collect (result, from_row, NULL, free_func);
}

GPtrArray *
entsec_pg_storage_rows (PGresult       *result,
                        gpointer      (*from_row) (const EntsecStorageRow *row),
                        GDestroyNotify  free_func)
{
  return collect (result, NULL, from_row, free_func);
}

static void
pg_close (EntsecStorage *storage)
{
  PgStorage *self = (PgStorage *) storage;

  g_clear_pointer (&self->listener, entsec_pg_listener_free);
  /* every call has given its connection back by now */
  g_ptr_array_unref (self->idle);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->released);
  g_free (self->url);
  g_free (self->where);
  g_free (self);
}

static gboolean
pg_events_listen (EntsecStorage        *storage,
                  EntsecStorageWakeFunc wake,
                  gpointer              data,
                  GError              **error)
{
  PgStorage *self = (PgStorage *) storage;

  g_return_val_if_fail (self->listener == NULL, FALSE);

  self->listener = entsec_pg_listener_new (self->url, wake, data, error);
  return self->listener != NULL;
}

static void
pg_events_unlisten (EntsecStorage *storage)
{
  g_clear_pointer (&((PgStorage *) storage)->listener, entsec_pg_listener_free);
}

static const EntsecStorageOps pg_ops = {
  .name = "postgresql",
  .close = pg_close,
  .user_create = entsec_pg_user_create,
  .user_get = entsec_pg_user_get,
  .user_list = entsec_pg_user_list,
  .user_delete = entsec_pg_user_delete,
  .admin_create = entsec_pg_admin_create,
  .admin_list = entsec_pg_admin_list,
  .audit_append = entsec_pg_audit_append,
  .audit_list = entsec_pg_audit_list,
  .user_find = entsec_pg_user_find,
  .setting_get = entsec_pg_setting_get,
  .setting_set = entsec_pg_setting_set,
  .enrollment_start = entsec_pg_enrollment_start,
  .enrollment_get = entsec_pg_enrollment_get,
  .enrollment_update = entsec_pg_enrollment_update,
  .nonce_remember = entsec_pg_nonce_remember,
  .device_register = entsec_pg_device_register,
  .device_get = entsec_pg_device_get,
  .device_list = entsec_pg_device_list,
  .device_update = entsec_pg_device_update,
  .policy_get = entsec_pg_policy_get,
  .policy_set = entsec_pg_policy_set,
  .op_challenge_add = entsec_pg_op_challenge_add,
  .op_challenge_use = entsec_pg_op_challenge_use,
  .device_event_add = entsec_pg_device_event_add,
  .command_add = entsec_pg_command_add,
  .command_ack = entsec_pg_command_ack,
  .command_list = entsec_pg_command_list,
  .device_event_list = entsec_pg_device_event_list,
  .push_delivery_add = entsec_pg_push_delivery_add,
  .push_delivery_get = entsec_pg_push_delivery_get,
  .token_delivery_claim = entsec_pg_token_delivery_claim,
  .token_delivery_get = entsec_pg_token_delivery_get,
  .user_set_disabled = entsec_pg_user_set_disabled,
  .rp_create = entsec_pg_rp_create,
  .rp_list = entsec_pg_rp_list,
  .rp_revoke = entsec_pg_rp_revoke,
  .token_create = entsec_pg_token_create,
  .token_get = entsec_pg_token_get,
  .token_list = entsec_pg_token_list,
  .token_update = entsec_pg_token_update,
  .push_start = entsec_pg_push_start,
  .push_get = entsec_pg_push_get,
  .push_update = entsec_pg_push_update,
  .push_mute = entsec_pg_push_mute,
  .user_remove = entsec_pg_user_remove,
  .device_events_prune = entsec_pg_device_events_prune,
  .device_events_stats = entsec_pg_device_events_stats,
  .enrollment_token_user = entsec_pg_enrollment_token_user,
  .authority_key_list = entsec_pg_authority_key_list,
  .authority_key_add = entsec_pg_authority_key_add,
  .authority_key_seal = entsec_pg_authority_key_seal,
  .authority_key_head = entsec_pg_authority_key_head,
  .device_rekey = entsec_pg_device_rekey,
  /* several instances (server-storage-pg-ratelimit.c, server-storage-pg-listen.c) */
  .ratelimit_take = entsec_pg_ratelimit_take,
  .events_listen = pg_events_listen,
  .events_unlisten = pg_events_unlisten,
};

/* The schema version the database has: 0 when it has none. */
static gboolean
read_version (EntsecPgConn *conn,
              gint64       *version,
              GError      **error)
{
  g_autoptr (PGresult) result = NULL;

  result = entsec_pg_exec (conn, "SELECT to_regclass('schema_version') IS NOT NULL",
                           "reading the schema version", error, "");
  if (result == NULL)
    return FALSE;
  *version = 0;
  if (!entsec_pg_bool (result, 0, 0))
    return TRUE;
  g_clear_pointer (&result, PQclear);
  result = entsec_pg_exec (conn, "SELECT coalesce(max(version), 0) FROM schema_version",
                           "reading the schema version", error, "");
  if (result != NULL)
    *version = entsec_pg_int (result, 0, 0);
  return result != NULL;
}

static gboolean
refuse_newer (EntsecPgConn *conn,
              gint64        version,
              GError      **error)
{
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
               "The database at %s has schema version %" G_GINT64_FORMAT ", newer than the %u "
               "this entsec-server knows: a newer entsec-server migrated it; run that version "
               "(or restore a backup made before the upgrade)", conn->where, version,
               entsec_pg_schema_version ());
  return FALSE;
}

/* The steps of --migrate: under a lock, so that two servers migrating at
 * once apply each migration once. */
static gboolean
migrate_steps (EntsecPgConn *conn,
               gpointer      data,
               GError      **error)
{
  guint *applied = data;
  gint64 version = 0;

  *applied = 0;
  if (!entsec_pg_lock (conn, "entsec schema", error)
      || !exec_simple (conn, "CREATE TABLE IF NOT EXISTS schema_version ("
                             "  version INTEGER PRIMARY KEY,"
                             "  applied BIGINT NOT NULL)", "creating schema_version", error)
      || !read_version (conn, &version, error))
    return FALSE;
  if (version > entsec_pg_schema_version ())
    return refuse_newer (conn, version, error);
  for (guint i = (guint) version; i < entsec_pg_schema_version (); i++)
    {
      g_autofree char *doing = g_strdup_printf ("migrating the schema to version %u", i + 1);

      if (!exec_simple (conn, entsec_pg_migrations[i], doing, error)
          || !entsec_pg_run (conn, NULL, "INSERT INTO schema_version (version, applied) "
                                         "VALUES ($1, extract(epoch FROM now())::bigint)",
                             doing, error, "i", (gint64) i + 1))
        return FALSE;
      (*applied)++;
    }
  return TRUE;
}

static gboolean
check_version (EntsecPgConn *conn,
               GError      **error)
{
  gint64 version = 0;

  if (!read_version (conn, &version, error))
    return FALSE;
  if (version > entsec_pg_schema_version ())
    return refuse_newer (conn, version, error);
  if (version == 0)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
                   "The database at %s has no entsec schema: run entsec-server --migrate, "
                   "then --init for a new tenant", conn->where);
      return FALSE;
    }
  if (version < entsec_pg_schema_version ())
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
                   "The database at %s has schema version %" G_GINT64_FORMAT "; this "
                   "entsec-server needs version %u: stop every instance and run "
                   "entsec-server --migrate (back the database up first)", conn->where,
                   version, entsec_pg_schema_version ());
      return FALSE;
    }
  return TRUE;
}

static gboolean
open_schema (EntsecStorage    *storage,
             EntsecStorageMode mode,
             GError          **error)
{
  PgStorage *self = (PgStorage *) storage;
  EntsecPgConn *conn;
  guint applied = 0;
  gboolean ok;

  if (mode != ENTSEC_STORAGE_OPEN
      && !entsec_pg_transact (storage, migrate_steps, &applied, error))
    return FALSE;
  if (applied > 0)
    g_message ("Migrated the database at %s to schema version %u", self->where,
               entsec_pg_schema_version ());
  conn = entsec_pg_acquire (storage, error);
  if (conn == NULL)
    return FALSE;
  ok = check_version (conn, error);
  entsec_pg_release (storage, conn);
  return ok;
}

EntsecStorage *
entsec_storage_pg_open (const char       *url,
                        guint             pool_size,
                        EntsecStorageMode mode,
                        GError          **error)
{
  g_autoptr (EntsecStorage) storage = NULL;
  PgStorage *self = g_new0 (PgStorage, 1);

  self->parent.ops = &pg_ops;
  self->url = g_strdup (url);
  self->where = entsec_pg_describe (url);
  g_mutex_init (&self->lock);
  g_cond_init (&self->released);
  self->idle = g_ptr_array_new_with_free_func ((GDestroyNotify) conn_free);
  self->max = pool_size > 0 ? pool_size : ENTSEC_STORAGE_POOL_DEFAULT;
  storage = &self->parent;
  if (!open_schema (storage, mode, error))
    return NULL;
  return g_steal_pointer (&storage);
}
