/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-storage-pg-rp.c: the PostgreSQL backend's relying parties,
 * tokens and push transactions. A TOTP step or HOTP counter is accepted
 * once across every server on the database: token_update is one
 * compare-and-set UPDATE (WHERE the stored state, failures, lock and
 * last_step still equal what the request read), which PostgreSQL applies
 * for one request and re-checks, after the first commits, for the others.
 * push_start locks the user's row, so the max_open check and the insert
 * of two servers cannot interleave.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include "server-storage-pg-private.h"

gboolean
entsec_pg_rp_create (EntsecStorage  *storage,
                     const EntsecRp *rp,
                     GError        **error)
{
  return entsec_pg_write (storage, NULL, "INSERT INTO rps (id, name, key_sha256, created) "
                                         "VALUES ($1, $2, $3, $4)", "adding a relying party",
                          error, "ttdi", rp->id, rp->name, rp->key_sha256, rp->created);
}

static gpointer
rp_from_row (const PGresult *result,
             int             row)
{
  EntsecRp *rp = g_new0 (EntsecRp, 1);

  rp->id = entsec_pg_text (result, row, 0);
  rp->name = entsec_pg_text (result, row, 1);
  /* The schema's CHECK keeps the length at 32. */
  entsec_pg_digest (result, row, 2, rp->key_sha256);
  rp->created = entsec_pg_int (result, row, 3);
  rp->revoked = entsec_pg_int (result, row, 4);
  return rp;
}

GPtrArray *
entsec_pg_rp_list (EntsecStorage *storage,
                   GError       **error)
{
  g_autoptr (PGresult) result = entsec_pg_query (storage, "SELECT id, name, key_sha256, "
                                                          "created, revoked FROM rps ORDER BY id",
                                                 "listing relying parties", error, "");

  if (result == NULL)
    return NULL;
  return entsec_pg_rows (result, rp_from_row, (GDestroyNotify) entsec_rp_free);
}

gboolean
entsec_pg_rp_revoke (EntsecStorage *storage,
                     const char    *id,
                     gint64         now,
                     gboolean      *found,
                     GError       **error)
{
  return entsec_pg_update (storage, found, "UPDATE rps SET revoked = $2 "
                                           "WHERE id = $1 AND revoked = 0",
                           "revoking a relying party", error, "ti", id, MAX (now, 1));
}

#define TOKEN_COLUMNS \
  "id, user_id, type, algorithm, digits, period, issuer, label, sealed_seed, state, " \
  "created, failures, locked_until, last_step"

gboolean
entsec_pg_token_create (EntsecStorage     *storage,
                        const EntsecToken *t,
                        GError           **error)
{
  return entsec_pg_write (storage, NULL, "INSERT INTO tokens (" TOKEN_COLUMNS ") VALUES ($1, "
                                         "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, "
                                         "$14)", "adding a token", error, "ttttiittyiiiii",
                          t->id, t->user_id, t->type, t->algorithm, (gint64) t->digits,
                          (gint64) t->period, t->issuer, t->label, t->sealed_seed,
                          (gint64) t->state, t->created, (gint64) t->failures, t->locked_until,
                          t->last_step);
}

static gpointer
token_from_row (const PGresult *result,
                int             row)
{
  EntsecToken *token = g_new0 (EntsecToken, 1);

  token->id = entsec_pg_text (result, row, 0);
  token->user_id = entsec_pg_text (result, row, 1);
  token->type = entsec_pg_text (result, row, 2);
  token->algorithm = entsec_pg_text (result, row, 3);
  token->digits = (guint) entsec_pg_int (result, row, 4);
  token->period = (guint) entsec_pg_int (result, row, 5);
  token->issuer = entsec_pg_text (result, row, 6);
  token->label = entsec_pg_text (result, row, 7);
  token->sealed_seed = entsec_pg_bytes (result, row, 8);
  if (token->sealed_seed == NULL)
    token->sealed_seed = g_bytes_new (NULL, 0);
  token->state = (EntsecTokenState) entsec_pg_int (result, row, 9);
  token->created = entsec_pg_int (result, row, 10);
  token->failures = (guint) entsec_pg_int (result, row, 11);
  token->locked_until = entsec_pg_int (result, row, 12);
  token->last_step = entsec_pg_int (result, row, 13);
  return token;
}

EntsecToken *
entsec_pg_token_get (EntsecStorage *storage,
                     const char    *id,
                     GError       **error)
{
  g_autoptr (PGresult) result = entsec_pg_query (storage, "SELECT " TOKEN_COLUMNS
                                                          " FROM tokens WHERE id = $1",
                                                 "reading a token", error, "t", id);

  if (result == NULL || PQntuples (result) == 0)
    return NULL;
  return token_from_row (result, 0);
}

GPtrArray *
entsec_pg_token_list (EntsecStorage *storage,
                      const char    *user_id,
                      GError       **error)
{
  g_autoptr (PGresult) result = entsec_pg_query (storage, "SELECT " TOKEN_COLUMNS " FROM tokens "
                                                          "WHERE $1::text IS NULL "
                                                          "OR user_id = $1 ORDER BY created, id",
                                                 "listing tokens", error, "t", user_id);

  if (result == NULL)
    return NULL;
  return entsec_pg_rows (result, token_from_row, (GDestroyNotify) entsec_token_free);
}

gboolean
entsec_pg_token_update (EntsecStorage     *storage,
                        const EntsecToken *token,
                        const EntsecToken *expected,
                        gboolean          *updated,
                        GError           **error)
{
  return entsec_pg_update (storage, updated,
                           "UPDATE tokens SET state = $2, failures = $3, locked_until = $4, "
                           "last_step = $5 WHERE id = $1 AND state = $6 AND failures = $7 "
                           "AND locked_until = $8 AND last_step = $9", "updating a token",
                           error, "tiiiiiiii", expected->id, (gint64) token->state,
                           (gint64) token->failures, token->locked_until, token->last_step,
                           (gint64) expected->state, (gint64) expected->failures,
                           expected->locked_until, expected->last_step);
}

typedef struct
{
  EntsecPush     *push;
  EntsecPushState state; /* the state the caller gave */
  guint           max_open;
  gint64         *retry_after;
} PushStart;

static gboolean
push_start_steps (EntsecPgConn *conn,
                  gpointer      data,
                  GError      **error)
{
  PushStart *s = data;
  EntsecPush *push = s->push;
  g_autoptr (PGresult) user = NULL;
  g_autoptr (PGresult) open = NULL;

  *s->retry_after = 0;
  push->state = s->state;
  /* the user's row lock: one push start per user at a time, on every server */
  user = entsec_pg_exec (conn, "SELECT coalesce((SELECT mute_until FROM push_mutes "
                               "WHERE user_id = $1), 0) FROM users WHERE id = $1 FOR UPDATE",
                         "starting a push", error, "t", push->user_id);
  if (user == NULL)
    return FALSE;
  open = entsec_pg_exec (conn, "SELECT count(*), min(expires) FROM push_transactions "
                               "WHERE user_id = $1 AND state = 0 AND expires > $2",
                         "starting a push", error, "ti", push->user_id, push->created);
  if (open == NULL)
    return FALSE;
  if (PQntuples (user) > 0 && entsec_pg_int (user, 0, 0) > push->created)
    push->state = ENTSEC_PUSH_MUTED;
  else if (entsec_pg_int (open, 0, 0) >= s->max_open)
    {
      *s->retry_after = MAX (entsec_pg_int (open, 0, 1) - push->created, 1);
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_RATE_LIMITED,
                   "The user already has %u sign-in requests waiting", s->max_open);
      return FALSE;
    }
  return entsec_pg_run (conn, NULL, "INSERT INTO push_transactions (id, user_id, rp_id, "
                                    "context, mode, number, created, expires, state) "
                                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                        "starting a push", error, "tttttiiii", push->id, push->user_id,
                        push->rp_id, push->context, push->mode, (gint64) push->number,
                        push->created, push->expires, (gint64) push->state);
}

gboolean
entsec_pg_push_start (EntsecStorage *storage,
                      EntsecPush    *push,
                      guint          max_open,
                      gint64        *retry_after,
                      GError       **error)
{
  PushStart data = { push, push->state, max_open, retry_after };

  *retry_after = 0;
  return entsec_pg_transact (storage, push_start_steps, &data, error);
}

static gpointer
push_from_row (const PGresult *result,
               int             row)
{
  EntsecPush *push = g_new0 (EntsecPush, 1);

  push->id = entsec_pg_text (result, row, 0);
  push->user_id = entsec_pg_text (result, row, 1);
  push->rp_id = entsec_pg_text (result, row, 2);
  push->context = entsec_pg_text (result, row, 3);
  push->mode = entsec_pg_text (result, row, 4);
  push->number = (guint) entsec_pg_int (result, row, 5);
  push->created = entsec_pg_int (result, row, 6);
  push->expires = entsec_pg_int (result, row, 7);
  push->state = (EntsecPushState) entsec_pg_int (result, row, 8);
  push->wrong_numbers = (guint) entsec_pg_int (result, row, 9);
  push->flagged = entsec_pg_bool (result, row, 10);
  push->device_id = entsec_pg_text (result, row, 11);
  push->deny_reason = entsec_pg_text (result, row, 12);
  return push;
}

EntsecPush *
entsec_pg_push_get (EntsecStorage *storage,
                    const char    *id,
                    GError       **error)
{
  g_autoptr (PGresult) result = entsec_pg_query (storage, "SELECT id, user_id, rp_id, context, "
                                                          "mode, number, created, expires, "
                                                          "state, wrong_numbers, flagged, "
                                                          "device_id, deny_reason "
                                                          "FROM push_transactions WHERE id = $1",
                                                 "reading a push", error, "t", id);

  if (result == NULL || PQntuples (result) == 0)
    return NULL;
  return push_from_row (result, 0);
}

gboolean
entsec_pg_push_update (EntsecStorage    *storage,
                       const EntsecPush *push,
                       const EntsecPush *expected,
                       gboolean         *updated,
                       GError          **error)
{
  return entsec_pg_update (storage, updated,
                           "UPDATE push_transactions SET state = $2, wrong_numbers = $3, "
                           "flagged = $4, device_id = $5, deny_reason = $6 "
                           "WHERE id = $1 AND state = $7 AND wrong_numbers = $8",
                           "updating a push", error, "tiibttii", expected->id,
                           (gint64) push->state, (gint64) push->wrong_numbers,
                           push->flagged, push->device_id, push->deny_reason,
                           (gint64) expected->state, (gint64) expected->wrong_numbers);
}

gboolean
entsec_pg_push_mute (EntsecStorage *storage,
                     const char    *user_id,
                     gint64         until,
                     GError       **error)
{
  return entsec_pg_write (storage, NULL, "INSERT INTO push_mutes (user_id, mute_until) "
                                         "VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE "
                                         "SET mute_until = greatest(push_mutes.mute_until, "
                                         "excluded.mute_until)", "muting pushes", error, "ti",
                          user_id, until);
}
