/* SPDX-License-Identifier: GPL-3.0-or-later */
/* server-push.c: push sign-in approvals with number matching, caps and the
 * not_me mute */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include <openssl/rand.h>

#include "server-push.h"

#define CONTEXT_NAME_MAX 32
#define UPDATE_ROUNDS 16

const char *
entsec_push_state_name (EntsecPushState state)
{
  switch (state)
    {
    case ENTSEC_PUSH_PENDING:
      return "pending";
    case ENTSEC_PUSH_APPROVED:
      return "approved";
    case ENTSEC_PUSH_DENIED:
      return "denied";
    case ENTSEC_PUSH_EXPIRED:
      return "expired";
    case ENTSEC_PUSH_MUTED:
    default:
      return "muted";
    }
}

static gboolean
context_name_ok (const char *name)
{
  gsize len = strlen (name);

  if (len == 0 || len > CONTEXT_NAME_MAX)
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    {
      if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '_')
        return FALSE;
    }
  return TRUE;
}

char *
entsec_push_check_context (json_t  *context,
                           GError **error)
{
  const char *key;
  json_t *value;

  if (context == NULL)
    return g_strdup ("{}");
  if (!json_is_object (context) || json_object_size (context) > ENTSEC_PUSH_CONTEXT_MAX)
    goto invalid;
  json_object_foreach (context, key, value)
    {
      if (!context_name_ok (key) || !json_is_string (value)
          || !entsec_server_check_name (json_string_value (value), NULL))
        goto invalid;
    }
  return json_dumps (context, JSON_COMPACT | JSON_SORT_KEYS);

invalid:
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
               "\"context\" must be an object of at most %d members named with lower-case "
               "letters, digits and \"_\" (up to %d), each a string of 1 to 200 characters "
               "without control characters", ENTSEC_PUSH_CONTEXT_MAX, CONTEXT_NAME_MAX);
  return NULL;
}

guint
entsec_push_random_number (void)
{
  guint8 byte;

  do
    {
      if (RAND_bytes (&byte, 1) != 1)
        g_error ("The system's random number generator failed");
    }
  while (byte >= 180); /* 180 = 2 * 90: no bias */
  return 10 + byte % 90;
}

EntsecPush *
entsec_push_start (EntsecStorage *storage,
                   const char    *rp_id,
                   const char    *user_id,
                   json_t        *context,
                   const char    *mode,
                   gint64         now,
                   gint64        *retry_after,
                   GError       **error)
{
  g_autoptr (EntsecPush) push = NULL;
  g_autoptr (EntsecUser) user = NULL;
  g_autofree char *text = NULL;

  *retry_after = 0;
  if (mode == NULL)
    mode = "enter";
  if (strcmp (mode, "enter") != 0 && strcmp (mode, "choose") != 0 && strcmp (mode, "none") != 0)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                   "\"number_matching\" must be \"enter\", \"choose\" or \"none\"");
      return NULL;
    }
  text = entsec_push_check_context (context, error);
  if (text == NULL)
    return NULL;
  user = entsec_storage_user_get (storage, user_id, error);
  if (user == NULL || user->disabled)
    {
      if (error == NULL || *error == NULL)
        g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE,
                     "There is no such enabled user");
      return NULL;
    }
  push = g_new0 (EntsecPush, 1);
  push->id = entsec_server_random_id ("ptx_");
  push->user_id = g_strdup (user_id);
  push->rp_id = g_strdup (rp_id);
  push->context = g_steal_pointer (&text);
  push->mode = g_strdup (mode);
  push->number = strcmp (mode, "none") == 0 ? 0 : entsec_push_random_number ();
  push->created = now;
  push->expires = now + ENTSEC_PUSH_LIFETIME;
  push->state = ENTSEC_PUSH_PENDING;
  if (!entsec_storage_push_start (storage, push, ENTSEC_PUSH_MAX_OPEN, retry_after, error))
    return NULL;
  entsec_storage_audit (storage, rp_id, push->state == ENTSEC_PUSH_MUTED ? "push.muted"
                                                                         : "push.start",
                        push->id, NULL);
  return g_steal_pointer (&push);
}

/* Marks @push expired when it is pending past its expiry (best effort: a
 * concurrent answer wins). */
static void
expire (EntsecStorage *storage,
        EntsecPush    *push,
        gint64         now)
{
  EntsecPush next;
  gboolean updated = FALSE;

  if (push->state != ENTSEC_PUSH_PENDING || now < push->expires)
    return;
  next = *push;
  next.state = ENTSEC_PUSH_EXPIRED;
  if (entsec_storage_push_update (storage, &next, push, &updated, NULL) && updated)
    push->state = ENTSEC_PUSH_EXPIRED;
}

EntsecPush *
entsec_push_poll (EntsecStorage *storage,
                  const char    *tx_id,
                  const char    *rp_id,
                  gint64         now,
                  GError       **error)
{
  g_autoptr (EntsecPush) push = entsec_storage_push_get (storage, tx_id, error);

  if (push == NULL || strcmp (push->rp_id, rp_id) != 0)
    return NULL;
  expire (storage, push, now);
  return g_steal_pointer (&push);
}

/* The reasons a device may give for "deny" (docs/protocol.md section 8.14):
 * the design's not_me, cancelled and other, and declined, the plain "no". */
static const char *const deny_reasons[] = { "declined", "not_me", "cancelled", "other", NULL };

static gboolean
check_answer (const char *decision,
              const char *deny_reason,
              GError    **error)
{
  if (g_strcmp0 (decision, "approve") == 0 && deny_reason == NULL)
    return TRUE;
  if (g_strcmp0 (decision, "deny") == 0
      && (deny_reason == NULL || g_strv_contains (deny_reasons, deny_reason)))
    return TRUE;
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
               "The answer is \"approve\" (with the number, no reason) or \"deny\" with "
               "the reason \"declined\", \"not_me\", \"cancelled\" or \"other\"");
  return FALSE;
}

gboolean
entsec_push_answer (EntsecStorage *storage,
                    const char    *tx_id,
                    const char    *device_id,
                    const char    *decision,
                    guint          number,
                    const char    *deny_reason,
                    gint64         now,
                    GError       **error)
{
  gboolean approve = g_strcmp0 (decision, "approve") == 0;
  const char *actor = device_id != NULL ? device_id : "device";

  if (!check_answer (decision, deny_reason, error))
    return FALSE;
  for (guint round = 0; round < UPDATE_ROUNDS; round++)
    {
      g_autoptr (EntsecPush) push = entsec_storage_push_get (storage, tx_id, error);
      gboolean right, updated = FALSE;
      EntsecPush next;

      if (push == NULL)
        {
          if (error == NULL || *error == NULL)
            g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE,
                         "There is no such sign-in request");
          return FALSE;
        }
      expire (storage, push, now);
      if (push->state == ENTSEC_PUSH_EXPIRED)
        {
          g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_EXPIRED,
                       "The sign-in request expired");
          return FALSE;
        }
      if (push->state != ENTSEC_PUSH_PENDING)
        {
          g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFLICT,
                       "The sign-in request was already answered or closed");
          return FALSE;
        }
      right = !approve || strcmp (push->mode, "none") == 0 || number == push->number;
      next = *push;
      next.device_id = (char *) device_id;
      if (approve && right)
        next.state = ENTSEC_PUSH_APPROVED;
      else if (approve)
        {
          next.wrong_numbers = push->wrong_numbers + 1;
          if (next.wrong_numbers >= ENTSEC_PUSH_MAX_WRONG)
            {
              next.state = ENTSEC_PUSH_DENIED;
              next.flagged = TRUE;
              next.deny_reason = "wrong_number";
            }
        }
      else
        {
          next.state = ENTSEC_PUSH_DENIED;
          next.deny_reason = (char *) (deny_reason != NULL ? deny_reason : "declined");
        }
      if (!entsec_storage_push_update (storage, &next, push, &updated, error))
        return FALSE;
      if (!updated)
        continue;
      if (!approve && strcmp (next.deny_reason, "not_me") == 0)
        {
          if (!entsec_storage_push_mute (storage, push->user_id, now + ENTSEC_PUSH_MUTE, error))
            return FALSE;
          entsec_storage_audit (storage, actor, "push.fraud_alert", push->user_id, NULL);
        }
      entsec_storage_audit (storage, actor,
                            next.state == ENTSEC_PUSH_APPROVED ? "push.approve"
                            : next.flagged ? "push.flagged"
                            : next.state == ENTSEC_PUSH_DENIED ? "push.deny"
                            : "push.wrong_number", push->id, NULL);
      if (approve && !right)
        {
          g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE,
                       next.flagged ? "Wrong number; the sign-in request is closed"
                                    : "Wrong number; look at the sign-in screen again");
          return FALSE;
        }
      return TRUE;
    }
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
               "Sign-in request %s kept changing; giving up", tx_id);
  return FALSE;
}
