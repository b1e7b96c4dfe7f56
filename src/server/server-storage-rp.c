/* SPDX-License-Identifier: GPL-3.0-or-later */
/* server-storage-rp.c: the backend-independent half of the relying party
 * and token storage calls */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include "server-storage.h"

void
entsec_rp_free (EntsecRp *rp)
{
  if (rp == NULL)
    return;
  g_free (rp->id);
  g_free (rp->name);
  g_free (rp);
}

void
entsec_token_free (EntsecToken *token)
{
  if (token == NULL)
    return;
  g_free (token->id);
  g_free (token->user_id);
  g_free (token->type);
  g_free (token->algorithm);
  g_free (token->issuer);
  g_free (token->label);
  g_clear_pointer (&token->sealed_seed, g_bytes_unref);
  g_free (token);
}

void
entsec_push_free (EntsecPush *push)
{
  if (push == NULL)
    return;
  g_free (push->id);
  g_free (push->user_id);
  g_free (push->rp_id);
  g_free (push->context);
  g_free (push->mode);
  g_free (push->device_id);
  g_free (push->deny_reason);
  g_free (push);
}

gboolean
entsec_storage_rp_create (EntsecStorage  *storage,
                          const EntsecRp *rp,
                          GError        **error)
{
  return storage->ops->rp_create (storage, rp, error);
}

GPtrArray *
entsec_storage_rp_list (EntsecStorage *storage,
                        GError       **error)
{
  return storage->ops->rp_list (storage, error);
}

gboolean
entsec_storage_rp_revoke (EntsecStorage *storage,
                          const char    *id,
                          gint64         now,
                          gboolean      *found,
                          GError       **error)
{
  return storage->ops->rp_revoke (storage, id, now, found, error);
}

gboolean
entsec_storage_token_create (EntsecStorage     *storage,
                             const EntsecToken *token,
                             GError           **error)
{
  g_return_val_if_fail (token != NULL && token->sealed_seed != NULL, FALSE);
  return storage->ops->token_create (storage, token, error);
}

EntsecToken *
entsec_storage_token_get (EntsecStorage *storage,
                          const char    *id,
                          GError       **error)
{
  return storage->ops->token_get (storage, id, error);
}

GPtrArray *
entsec_storage_token_list (EntsecStorage *storage,
                           const char    *user_id,
                           GError       **error)
{
  return storage->ops->token_list (storage, user_id, error);
}

gboolean
entsec_storage_token_update (EntsecStorage     *storage,
                             const EntsecToken *token,
                             const EntsecToken *expected,
                             gboolean          *updated,
                             GError           **error)
{
  return storage->ops->token_update (storage, token, expected, updated, error);
}

gboolean
entsec_storage_push_start (EntsecStorage *storage,
                           EntsecPush    *push,
                           guint          max_open,
                           gint64        *retry_after,
                           GError       **error)
{
  return storage->ops->push_start (storage, push, max_open, retry_after, error);
}

EntsecPush *
entsec_storage_push_get (EntsecStorage *storage,
                         const char    *id,
                         GError       **error)
{
  return storage->ops->push_get (storage, id, error);
}

gboolean
entsec_storage_push_update (EntsecStorage    *storage,
                            const EntsecPush *push,
                            const EntsecPush *expected,
                            gboolean         *updated,
                            GError          **error)
{
  return storage->ops->push_update (storage, push, expected, updated, error);
}

gboolean
entsec_storage_push_mute (EntsecStorage *storage,
                          const char    *user_id,
                          gint64         until,
                          GError       **error)
{
  return storage->ops->push_mute (storage, user_id, until, error);
}
