/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-storage-pg-devices.c: the PostgreSQL backend's devices, request
 * nonces, policies, op-challenges, device events, commands, deliveries,
 * user removal and key rotation. What guards each once-only rule across
 * servers sharing the database:
 * - a request nonce: the primary key (keyid, nonce) and INSERT ... ON
 *   CONFLICT DO NOTHING (one insert wins);
 * - an enrollment token at registration, and max_devices: SELECT ... FOR
 *   UPDATE of the enrollment and its user (registrations of one user run
 *   one after the other, each counting what the last one committed);
 * - an op-challenge: DELETE ... WHERE (one delete finds the row);
 * - a seed delivery: the primary key of token_deliveries;
 * - the events cursor: inserts under one lock, so seq rises in commit order.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include "server-storage-pg-private.h"


typedef struct
{
  const char *keyid;
  const char *nonce;
  gint64      now;
  gint64      keep_until;
  gboolean   *fresh;
} NonceRemember;

static gboolean
nonce_steps (EntsecPgConn *conn,
             gpointer      data,
             GError      **error)
{
  NonceRemember *n = data;
  gint64 changes = 0;

  *n->fresh = FALSE;
  if (!entsec_pg_run (conn, NULL, "DELETE FROM request_nonces WHERE keep_until < $1",
                      "pruning nonces", error, "i", n->now)
      || !entsec_pg_run (conn, &changes, "INSERT INTO request_nonces (keyid, nonce, keep_until) "
                                         "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                         "remembering a nonce", error, "tti", n->keyid, n->nonce,
                         n->keep_until))
    return FALSE;
  *n->fresh = changes == 1;
  return TRUE;
}

gboolean
entsec_pg_nonce_remember (EntsecStorage *storage,
                          const char    *keyid,
                          const char    *nonce,
                          gint64         now,
                          gint64         keep_until,
                          gboolean      *fresh,
                          GError       **error)
{
  NonceRemember data = { keyid, nonce, now, keep_until, fresh };
  gboolean ok = entsec_pg_transact (storage, nonce_steps, &data, error);

  *fresh = ok && *fresh;
  return ok;
}

typedef struct
{
  EntsecDevice *device;
  const guint8 *token_sha256;
  const guint8 *challenge_sha256;
  gint64        now;
  guint         max_devices;
} Register;

static gboolean
refuse (GError    **error,
        int         code,
        const char *message)
{
  g_set_error_literal (error, ENTSEC_SERVER_ERROR, code, message);
  return FALSE;
}

/* The enrollment of the token, locked with its user; NULL result rows when none. */
static PGresult *
lock_enrollment (EntsecPgConn *conn,
                 const guint8 *token_sha256,
                 GError      **error)
{
  return entsec_pg_exec (conn, "SELECT e.user_id, e.token_expires, e.challenge_sha256 "
                               "FROM enrollments e JOIN users u ON u.id = e.user_id "
                               "WHERE e.token_sha256 = $1 AND e.state = 1 AND NOT u.disabled "
                               "FOR UPDATE", "reading an enrollment", error, "d",
                         token_sha256);
}

static gboolean
register_steps (EntsecPgConn *conn,
                gpointer      data,
                GError      **error)
{
  Register *r = data;
  EntsecDevice *d = r->device;
  guint8 challenge[ENTSEC_SERVER_DIGEST_SIZE];
  g_autoptr (PGresult) found = lock_enrollment (conn, r->token_sha256, error);
  g_autoptr (PGresult) count = NULL;

  if (found == NULL)
    return FALSE;
  if (PQntuples (found) == 0 || !entsec_pg_digest (found, 0, 2, challenge)
      || memcmp (challenge, r->challenge_sha256, sizeof challenge) != 0)
    return refuse (error, ENTSEC_SERVER_ERROR_INVALID_CODE,
                   "The enrollment token or registration challenge is wrong or used; "
                   "enroll again");
  if (r->now >= entsec_pg_int (found, 0, 1))
    return refuse (error, ENTSEC_SERVER_ERROR_EXPIRED,
                   "The enrollment token expired; enroll again");
  count = entsec_pg_exec (conn, "SELECT count(*) FROM devices WHERE user_id = $1 "
                                "AND state IN (0, 1)", "counting devices", error, "t",
                          PQgetvalue (found, 0, 0));
  if (count == NULL)
    return FALSE;
  if (entsec_pg_int (count, 0, 0) >= r->max_devices)
    return refuse (error, ENTSEC_SERVER_ERROR_LIMIT,
                   "The user has as many devices as allowed; an admin must revoke one first");
  g_free (d->user_id);
  d->user_id = entsec_pg_text (found, 0, 0);
  return entsec_pg_run (conn, NULL, "UPDATE enrollments SET token_sha256 = NULL, "
                                    "challenge_sha256 = NULL WHERE token_sha256 = $1",
                        "using an enrollment token", error, "d", r->token_sha256)
         && entsec_pg_run (conn, NULL, "INSERT INTO devices (id, user_id, key_jwk, key_jkt, "
                                       "key_epoch, state, claims, created, last_seen) "
                                       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                           "adding a device", error, "ttttiitii", d->id, d->user_id,
                           d->key_jwk, d->key_jkt, (gint64) d->key_epoch, (gint64) d->state,
                           d->claims, d->created, d->last_seen);
}

gboolean
entsec_pg_device_register (EntsecStorage *storage,
                           EntsecDevice  *device,
                           const guint8  *token_sha256,
                           const guint8  *challenge_sha256,
                           gint64         now,
                           guint          max_devices,
                           GError       **error)
{
  Register data = { device, token_sha256, challenge_sha256, now, max_devices };

  return entsec_pg_transact (storage, register_steps, &data, error);
}

EntsecDevice *
entsec_pg_device_get (EntsecStorage *storage,
                      const char    *id,
                      GError       **error)
{
  g_autoptr (PGresult) result = entsec_pg_query (storage, "SELECT " ENTSEC_STORAGE_DEVICE_COLUMNS
                                                          " FROM devices WHERE id = $1",
                                                 "reading a device", error, "t", id);

  EntsecStorageRow row;

  if (result == NULL || PQntuples (result) == 0)
    return NULL;
  entsec_pg_row (result, 0, &row);
  return entsec_storage_device_from_row (&row);
}

GPtrArray *
entsec_pg_device_list (EntsecStorage *storage,
                       const char    *user_id,
                       const char    *after,
                       guint          limit,
                       GError       **error)
{
  g_autoptr (PGresult) result = NULL;

  result = entsec_pg_query (storage, "SELECT " ENTSEC_STORAGE_DEVICE_COLUMNS " FROM devices "
                                     "WHERE ($1::text IS NULL OR user_id = $1) AND id > $2 "
                                     "ORDER BY id LIMIT $3", "listing devices", error, "tti",
                            user_id, after != NULL ? after : "", (gint64) limit);
  if (result == NULL)
    return NULL;
  return entsec_pg_storage_rows (result, entsec_storage_device_from_row,
                                 (GDestroyNotify) entsec_device_free);
}

gboolean
entsec_pg_device_update (EntsecStorage      *storage,
                         const EntsecDevice *d,
                         gboolean           *updated,
                         GError            **error)
{
  return entsec_pg_update (storage, updated,
                           "UPDATE devices SET state = $2, last_seen = $3, mismatches = $4, "
                           "policy_version = $5, policy_sha256 = $6, "
                           "revision = revision + 1 WHERE id = $1 AND revision = $7",
                           "updating a device", error, "tiiiidi", d->id, (gint64) d->state,
                           d->last_seen, (gint64) d->mismatches, d->policy_version,
                           d->policy_sha256, d->revision);
}

gboolean
entsec_pg_policy_get (EntsecStorage *storage,
                      const char    *scope,
                      char         **settings,
                      GError       **error)
{
  g_autoptr (PGresult) result = entsec_pg_query (storage, "SELECT settings FROM policies "
                                                          "WHERE scope = $1",
                                                 "reading a policy", error, "t", scope);

  *settings = NULL;
  if (result == NULL)
    return FALSE;
  if (PQntuples (result) > 0)
    *settings = entsec_pg_text (result, 0, 0);
  return TRUE;
}

gboolean
entsec_pg_policy_set (EntsecStorage *storage,
                      const char    *scope,
                      const char    *settings,
                      gint64         now,
                      GError       **error)
{
  return entsec_pg_write (storage, NULL, "INSERT INTO policies (scope, settings, updated) "
                                         "VALUES ($1, $2, $3) ON CONFLICT (scope) DO UPDATE "
                                         "SET settings = excluded.settings, "
                                         "updated = excluded.updated",
                          "storing a policy", error, "tti", scope, settings, now);
}

gboolean
entsec_pg_op_challenge_add (EntsecStorage *storage,
                            const guint8  *nonce_sha256,
                            const char    *device_id,
                            const char    *op,
                            gint64         expires,
                            GError       **error)
{
  return entsec_pg_write (storage, NULL, "INSERT INTO op_challenges (nonce_sha256, device_id, "
                                         "op, expires) VALUES ($1, $2, $3, $4)",
                          "storing an op-challenge", error, "dtti", nonce_sha256, device_id,
                          op, expires);
}

gboolean
entsec_pg_op_challenge_use (EntsecStorage *storage,
                            const guint8  *nonce_sha256,
                            const char    *device_id,
                            const char    *op,
                            gint64         now,
                            gboolean      *found,
                            GError       **error)
{
  EntsecPgConn *conn = entsec_pg_acquire (storage, error);
  gint64 changes = 0;
  gboolean ok;

  *found = FALSE;
  if (conn == NULL)
    return FALSE;
  /* one statement each: the delete that finds the row is the one use */
  ok = entsec_pg_run (conn, &changes, "DELETE FROM op_challenges WHERE nonce_sha256 = $1 "
                                      "AND device_id = $2 AND op = $3 AND expires > $4",
                      "using an op-challenge", error, "dtti", nonce_sha256, device_id, op, now)
       && entsec_pg_run (conn, NULL, "DELETE FROM op_challenges WHERE expires <= $1",
                         "pruning op-challenges", error, "i", now);
  entsec_pg_release (storage, conn);
  *found = ok && changes == 1;
  return ok;
}

typedef struct
{
  const char *device_id;
  const char *type;
  const char *body;
  gint64      now;
} EventAdd;

/* Under one lock for every server: seq is taken and committed in the
 * same order, so a long-poll at cursor N never misses an event N - 1
 * that committed after it read N. The NOTIFY goes out at the commit, to
 * the instance that holds the device's long-poll
 * (server-storage-pg-listen.c). */
static gboolean
event_add_steps (EntsecPgConn *conn,
                 gpointer      data,
                 GError      **error)
{
  EventAdd *e = data;
  g_autoptr (PGresult) notified = NULL;

  if (!entsec_pg_lock (conn, "entsec device events", error)
      || !entsec_pg_run (conn, NULL, "INSERT INTO device_events (device_id, type, body, "
                                     "created) VALUES ($1, $2, $3, $4)",
                         "recording a device event", error, "ttti", e->device_id, e->type,
                         e->body, e->now))
    return FALSE;
  notified = entsec_pg_exec (conn, "SELECT pg_notify ('entsec_events', $1)",
                             "telling the other instances of a device event", error, "t",
                             e->device_id);
  return notified != NULL;
}

gboolean
entsec_pg_device_event_add (EntsecStorage *storage,
                            const char    *device_id,
                            const char    *type,
                            const char    *body,
                            gint64         now,
                            GError       **error)
{
  EventAdd data = { device_id, type, body, now };

  return entsec_pg_transact (storage, event_add_steps, &data, error);
}

GPtrArray *
entsec_pg_device_event_list (EntsecStorage *storage,
                             const char    *device_id,
                             gint64         after,
                             guint          limit,
                             GError       **error)
{
  g_autoptr (PGresult) result = NULL;

  result = entsec_pg_query (storage, "SELECT " ENTSEC_STORAGE_EVENT_COLUMNS " "
                                     "FROM device_events WHERE device_id = $1 AND seq > $2 "
                                     "ORDER BY seq LIMIT $3", "listing device events", error,
                            "tii", device_id, after, (gint64) limit);
  if (result == NULL)
    return NULL;
  return entsec_pg_storage_rows (result, entsec_storage_device_event_from_row,
                                 (GDestroyNotify) entsec_device_event_free);
}

gboolean
entsec_pg_device_events_prune (EntsecStorage *storage,
                               const char    *device_id,
                               gint64         through,
                               gint64         before,
                               GError       **error)
{
  EntsecPgConn *conn = entsec_pg_acquire (storage, error);
  gboolean ok = TRUE;

  if (conn == NULL)
    return FALSE;
  if (device_id != NULL)
    ok = entsec_pg_run (conn, NULL, "DELETE FROM device_events WHERE device_id = $1 "
                                    "AND seq <= $2", "pruning acknowledged device events",
                        error, "ti", device_id, through);
  ok = ok && entsec_pg_run (conn, NULL, "DELETE FROM device_events WHERE created < $1",
                            "pruning old device events", error, "i", before);
  entsec_pg_release (storage, conn);
  return ok;
}

gboolean
entsec_pg_device_events_stats (EntsecStorage *storage,
                               gint64        *count,
                               gint64        *oldest,
                               GError       **error)
{
  g_autoptr (PGresult) result = entsec_pg_query (storage, "SELECT count(*), min(created) "
                                                          "FROM device_events",
                                                 "counting device events", error, "");

  *count = 0;
  *oldest = 0;
  if (result == NULL)
    return FALSE;
  *count = entsec_pg_int (result, 0, 0);
  *oldest = entsec_pg_int (result, 0, 1); /* NULL, no rows: 0 */
  return TRUE;
}

typedef struct
{
  const EntsecDeviceCommand *command;
  EventAdd                   event;
} CommandAdd;

/* The event and the command in one transaction: a command that is refused
 * (a taken id) leaves no event, and a crash leaves both or neither. */
static gboolean
command_add_steps (EntsecPgConn *conn,
                   gpointer      data,
                   GError      **error)
{
  CommandAdd *a = data;
  const EntsecDeviceCommand *c = a->command;

  return event_add_steps (conn, &a->event, error)
         && entsec_pg_run (conn, NULL, "INSERT INTO device_commands (id, device_id, type, "
                                       "actor, created) VALUES ($1, $2, $3, $4, $5)",
                           "storing a command", error, "tttti", c->id, c->device_id, c->type,
                           c->actor, c->created);
}

gboolean
entsec_pg_command_add (EntsecStorage             *storage,
                       const EntsecDeviceCommand *c,
                       const char                *event_body,
                       GError                   **error)
{
  CommandAdd data = { c, { c->device_id, "command", event_body, c->created } };

  return entsec_pg_transact (storage, command_add_steps, &data, error);
}

gboolean
entsec_pg_command_ack (EntsecStorage    *storage,
                       const char       *device_id,
                       const char       *command_id,
                       const char       *result,
                       gint64            now,
                       EntsecCommandAck *outcome,
                       GError          **error)
{
  EntsecPgConn *conn = entsec_pg_acquire (storage, error);
  g_autoptr (PGresult) exists = NULL;
  gint64 changes = 0;
  gboolean ok;

  *outcome = ENTSEC_COMMAND_ACK_DONE;
  if (conn == NULL)
    return FALSE;
  ok = entsec_pg_run (conn, &changes, "UPDATE device_commands SET acked = $1, result = $2 "
                                      "WHERE id = $3 AND device_id = $4 AND acked = 0",
                      "acknowledging a command", error, "ittt", now, result, command_id,
                      device_id);
  if (ok && changes == 0)
    {
      exists = entsec_pg_exec (conn, "SELECT 1 FROM device_commands WHERE id = $1 "
                                     "AND device_id = $2", "reading a command", error, "tt",
                               command_id, device_id);
      ok = exists != NULL;
      *outcome = ok && PQntuples (exists) > 0 ? ENTSEC_COMMAND_ACK_ALREADY
                                              : ENTSEC_COMMAND_ACK_UNKNOWN;
    }
  entsec_pg_release (storage, conn);
  return ok;
}

GPtrArray *
entsec_pg_command_list (EntsecStorage *storage,
                        const char    *device_id,
                        GError       **error)
{
  g_autoptr (PGresult) result = NULL;

  result = entsec_pg_query (storage, "SELECT " ENTSEC_STORAGE_COMMAND_COLUMNS " "
                                     "FROM device_commands WHERE device_id = $1 "
                                     "ORDER BY created, id", "listing commands", error, "t",
                            device_id);
  if (result == NULL)
    return NULL;
  return entsec_pg_storage_rows (result, entsec_storage_device_command_from_row,
                                 (GDestroyNotify) entsec_device_command_free);
}

gboolean
entsec_pg_push_delivery_add (EntsecStorage *storage,
                             const char    *push_id,
                             const char    *device_id,
                             const char    *nonce,
                             const guint8  *push_sha256,
                             gint64         expires,
                             GError       **error)
{
  EntsecPgConn *conn = entsec_pg_acquire (storage, error);
  gboolean ok;

  if (conn == NULL)
    return FALSE;
  ok = entsec_pg_run (conn, NULL, "DELETE FROM push_deliveries WHERE expires < $1",
                      "pruning push deliveries", error, "i",
                      expires - ENTSEC_STORAGE_PUSH_KEEP)
       && entsec_pg_run (conn, NULL, "INSERT INTO push_deliveries (push_id, device_id, nonce, "
                                     "push_sha256, expires) VALUES ($1, $2, $3, $4, $5)",
                         "recording a push delivery", error, "tttdi", push_id, device_id,
                         nonce, push_sha256, expires);
  entsec_pg_release (storage, conn);
  return ok;
}

gboolean
entsec_pg_push_delivery_get (EntsecStorage *storage,
                             const char    *push_id,
                             const char    *device_id,
                             char         **nonce,
                             guint8        *push_sha256,
                             gboolean      *found,
                             GError       **error)
{
  g_autoptr (PGresult) result = entsec_pg_query (storage, "SELECT nonce, push_sha256 "
                                                          "FROM push_deliveries "
                                                          "WHERE push_id = $1 AND device_id = $2",
                                                 "reading a push delivery", error, "tt",
                                                 push_id, device_id);

  *found = FALSE;
  if (result == NULL)
    return FALSE;
  if (PQntuples (result) > 0 && entsec_pg_digest (result, 0, 1, push_sha256))
    {
      *nonce = entsec_pg_text (result, 0, 0);
      *found = TRUE;
    }
  return TRUE;
}

gboolean
entsec_pg_token_delivery_claim (EntsecStorage *storage,
                                const char    *token_id,
                                const char    *device_id,
                                gint64         now,
                                gboolean      *claimed,
                                GError       **error)
{
  return entsec_pg_update (storage, claimed,
                           "INSERT INTO token_deliveries (token_id, device_id, delivered) "
                           "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                           "recording a token delivery", error, "tti", token_id,
                           device_id, now);
}

gboolean
entsec_pg_token_delivery_get (EntsecStorage *storage,
                              const char    *token_id,
                              char         **device_id,
                              GError       **error)
{
  g_autoptr (PGresult) result = entsec_pg_query (storage, "SELECT device_id FROM "
                                                          "token_deliveries WHERE token_id = $1",
                                                 "reading a token delivery", error, "t",
                                                 token_id);

  *device_id = NULL;
  if (result == NULL)
    return FALSE;
  if (PQntuples (result) > 0)
    *device_id = entsec_pg_text (result, 0, 0);
  return TRUE;
}

static gpointer
text_from_row (const PGresult *result,
               int             row)
{
  return entsec_pg_text (result, row, 0);
}

typedef struct
{
  const char *user_id;
  GPtrArray **revoked;
  gboolean   *found;
} UserRemove;

static gboolean
user_remove_steps (EntsecPgConn *conn,
                   gpointer      data,
                   GError      **error)
{
  UserRemove *u = data;
  g_autoptr (PGresult) devices = NULL;
  gint64 deleted = 0;

  g_clear_pointer (u->revoked, g_ptr_array_unref);
  *u->found = FALSE;
  devices = entsec_pg_exec (conn, "SELECT id FROM devices WHERE user_id = $1 "
                                  "AND state IN (0, 1) ORDER BY id FOR UPDATE",
                            "listing a user's devices", error, "t", u->user_id);
  if (devices == NULL)
    return FALSE;
  *u->revoked = entsec_pg_rows (devices, text_from_row, g_free);
  /* tokens, push transactions and mutes go with the user (ON DELETE CASCADE);
   * what refers to them or to the devices by id goes here */
  if (!entsec_pg_run (conn, NULL, "DELETE FROM token_deliveries WHERE token_id IN "
                                  "(SELECT id FROM tokens WHERE user_id = $1)",
                      "removing token deliveries", error, "t", u->user_id)
      || !entsec_pg_run (conn, &deleted, "DELETE FROM users WHERE id = $1", "deleting a user",
                         error, "t", u->user_id))
    return FALSE;
  *u->found = deleted > 0;
  if (!*u->found)
    {
      g_ptr_array_set_size (*u->revoked, 0);
      return TRUE;
    }
  return entsec_pg_run (conn, NULL, "UPDATE devices SET state = 2, revision = revision + 1 "
                                    "WHERE user_id = $1 AND state IN (0, 1)",
                        "revoking a user's devices", error, "t", u->user_id)
         && entsec_pg_run (conn, NULL, "DELETE FROM op_challenges WHERE device_id IN "
                                       "(SELECT id FROM devices WHERE user_id = $1)",
                           "removing op-challenges", error, "t", u->user_id)
         && entsec_pg_run (conn, NULL, "DELETE FROM push_deliveries WHERE device_id IN "
                                       "(SELECT id FROM devices WHERE user_id = $1)",
                           "removing push deliveries", error, "t", u->user_id)
         && entsec_pg_run (conn, NULL, "DELETE FROM enrollments WHERE user_id = $1",
                           "removing enrollments", error, "t", u->user_id);
}

gboolean
entsec_pg_user_remove (EntsecStorage *storage,
                       const char    *user_id,
                       GPtrArray    **revoked,
                       gboolean      *found,
                       GError       **error)
{
  UserRemove data = { user_id, revoked, found };
  gboolean ok;

  *revoked = NULL;
  *found = FALSE;
  ok = entsec_pg_transact (storage, user_remove_steps, &data, error);
  if (!ok)
    {
      g_clear_pointer (revoked, g_ptr_array_unref);
      *found = FALSE;
    }
  return ok;
}

static gpointer
authority_key_from_row (const PGresult *result,
                        int             row)
{
  EntsecAuthorityKey *key = g_new0 (EntsecAuthorityKey, 1);

  key->seq = (guint) entsec_pg_int (result, row, 0);
  key->jkt = entsec_pg_text (result, row, 1);
  key->jwk = entsec_pg_text (result, row, 2);
  key->link = entsec_pg_text (result, row, 3);
  key->created = entsec_pg_int (result, row, 4);
  key->sealed_key = entsec_pg_bytes (result, row, 5);
  return key;
}

GPtrArray *
entsec_pg_authority_key_list (EntsecStorage *storage,
                              GError       **error)
{
  g_autoptr (PGresult) result = entsec_pg_query (storage, "SELECT seq, jkt, jwk, link, created, "
                                                          "sealed_key FROM authority_keys "
                                                          "ORDER BY seq",
                                                 "listing the authority keys", error, "");

  if (result == NULL)
    return NULL;
  return entsec_pg_rows (result, authority_key_from_row,
                         (GDestroyNotify) entsec_authority_key_free);
}

gboolean
entsec_pg_authority_key_add (EntsecStorage            *storage,
                             const EntsecAuthorityKey *key,
                             GError                  **error)
{
  /* two rotations at once: the primary key on seq lets one in (CONFLICT for the other) */
  return entsec_pg_write (storage, NULL, "INSERT INTO authority_keys (seq, jkt, jwk, link, "
                                         "created, sealed_key) VALUES ($1, $2, $3, $4, $5, $6)",
                          "storing an authority key", error, "itttiy", (gint64) key->seq,
                          key->jkt, key->jwk, key->link, key->created, key->sealed_key);
}

gboolean
entsec_pg_authority_key_seal (EntsecStorage *storage,
                              guint          seq,
                              GBytes        *sealed_key,
                              GError       **error)
{
  /* two instances importing at once: the first one's stays */
  return entsec_pg_write (storage, NULL, "UPDATE authority_keys SET sealed_key = $2 "
                                         "WHERE seq = $1 AND sealed_key IS NULL",
                          "storing an authority key", error, "iy", (gint64) seq, sealed_key);
}

gboolean
entsec_pg_authority_key_head (EntsecStorage *storage,
                              guint         *seq,
                              GError       **error)
{
  g_autoptr (PGresult) result = entsec_pg_query (storage, "SELECT coalesce(max(seq), 0) "
                                                          "FROM authority_keys",
                                                 "reading the current authority key", error,
                                                 "");

  *seq = result != NULL ? (guint) entsec_pg_int (result, 0, 0) : 0;
  return result != NULL;
}

gboolean
entsec_pg_device_rekey (EntsecStorage      *storage,
                        const EntsecDevice *device,
                        gboolean           *updated,
                        GError            **error)
{
  return entsec_pg_update (storage, updated, "UPDATE devices SET key_jwk = $2, "
                                             "key_jkt = $3, key_epoch = $4, "
                                             "revision = revision + 1 "
                                             "WHERE id = $1 AND revision = $5",
                           "storing a device's new key", error, "tttii", device->id,
                           device->key_jwk, device->key_jkt, (gint64) device->key_epoch,
                           device->revision);
}
