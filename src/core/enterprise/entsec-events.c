/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-events.c: the device's events long-poll (docs/protocol.md 8.13),
 * its commands (8.8) carried out once and acknowledged, and sign-in
 * approvals (8.14) kept until answered or expired
 */

#include "config.h"

#define G_LOG_DOMAIN "entsec-events"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "entsec-base64url.h"
#include "entsec-enterprise-private.h"
#include "entsec-enterprise-sync.h"
#include "entsec-json.h"
#include "entsec-jws.h"

#define PUSH_TYP "entsec-push+jwt"
#define COMMAND_TYP "entsec-command+jwt"
/* Command ids remembered against a second delivery; the oldest go first. */
#define COMMANDS_DONE_MAX 256

void
entsec_approval_free (EntsecApproval *approval)
{
  if (approval == NULL)
    return;
  g_free (approval->challenge_id);
  g_free (approval->mode);
  g_free (approval->choices);
  g_free (approval->context_json);
  g_free (approval);
}

void
entsec_enterprise_event_free (EntsecEnterpriseEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->type);
  entsec_approval_free (event->approval);
  g_free (event->command_id);
  g_free (event->command);
  g_free (event->detail);
  g_free (event);
}

void
entsec_enterprise_events_free (EntsecEnterpriseEvents *events)
{
  if (events == NULL)
    return;
  g_clear_pointer (&events->events, g_ptr_array_unref);
  g_free (events);
}

/* ---- Stored state ----------------------------------------------------------- */

/* ---- Signed objects --------------------------------------------------------- */

json_t *
entsec_enterprise_verify_for_device (EntsecDeviceSession *session,
                                     const char          *jws,
                                     const char          *typ,
                                     const char          *what,
                                     GError             **error)
{
  g_autoptr (GBytes) data = NULL;
  g_autoptr (json_t) payload = NULL;
  const char *text;
  gsize len = 0;

  if (jws != NULL)
    data = entsec_jws_verify (jws, strlen (jws), entsec_device_session_get_authority (session),
                              typ, NULL);
  text = data != NULL ? g_bytes_get_data (data, &len) : NULL;
  if (text != NULL)
    payload = entsec_json_load_object (text, len, ENTSEC_JSON_MAX_BYTES, ENTSEC_JSON_MAX_DEPTH,
                                       what, NULL);
  if (payload == NULL)
    {
      g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_BAD_RESPONSE,
                   "A %s from the server is not signed by the pinned authority key: it was "
                   "ignored; tell your administrator if this happens again", what);
      return NULL;
    }
  if (g_strcmp0 (json_string_value (json_object_get (payload, "device_id")),
                 entsec_device_session_get_device_id (session)) != 0
      || g_strcmp0 (json_string_value (json_object_get (payload, "key_jkt")),
                    entsec_device_session_get_key_jkt (session)) != 0)
    {
      g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_BAD_RESPONSE,
                   "A %s from the server is for another device or key: it was ignored", what);
      return NULL;
    }
  return g_steal_pointer (&payload);
}

/* The approval a checked push payload asks for, or NULL when malformed. */
static EntsecApproval *
approval_of (json_t *payload)
{
  g_autoptr (EntsecApproval) approval = g_new0 (EntsecApproval, 1);
  json_t *matching = json_object_get (payload, "number_matching");
  json_t *context = json_object_get (payload, "context");
  json_t *choices = json_object_get (matching, "choices");
  const char *mode = json_string_value (json_object_get (matching, "mode"));

  if (json_string_value (json_object_get (payload, "challenge_id")) == NULL
      || !json_is_integer (json_object_get (payload, "exp"))
      || json_string_value (json_object_get (payload, "nonce")) == NULL
      || (g_strcmp0 (mode, "enter") != 0 && g_strcmp0 (mode, "choose") != 0
          && g_strcmp0 (mode, "none") != 0))
    return NULL;
  approval->challenge_id = g_strdup (json_string_value (json_object_get (payload,
                                                                         "challenge_id")));
  approval->issued_at = json_integer_value (json_object_get (payload, "iat"));
  approval->expires_at = json_integer_value (json_object_get (payload, "exp"));
  approval->mode = g_strdup (mode);
  approval->context_json = entsec_json_dump (json_is_object (context) ? context
                                                                      : json_object ());
  if (json_is_array (choices))
    {
      approval->choices = g_new0 (guint, json_array_size (choices) + 1);
      for (gsize i = 0; i < json_array_size (choices); i++)
        approval->choices[i] = (guint) json_integer_value (json_array_get (choices, i));
    }
  return g_steal_pointer (&approval);
}

/* The checked payload of a stored or received push that has not expired at the session's time. */
static json_t *
verify_push (EntsecDeviceSession *session,
             const char          *jws,
             GError             **error)
{
  g_autoptr (json_t) payload = entsec_enterprise_verify_for_device (session, jws, PUSH_TYP,
                                                                    "sign-in request", error);

  if (payload == NULL)
    return NULL;
  if (json_integer_value (json_object_get (payload, "exp"))
      <= entsec_device_session_now (session))
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_ENROLLMENT_EXPIRED,
                           "This sign-in request has expired: start the sign-in again");
      return NULL;
    }
  return g_steal_pointer (&payload);
}

/* ---- Handling events -------------------------------------------------------- */

/* Store @pending without the pushes that expired (or no longer check out). */
static gboolean
store_pending (EntsecDeviceSession *session,
               json_t              *pending,
               GCancellable        *cancellable,
               GError             **error)
{
  const char *id;
  json_t *jws;
  void *tmp;

  json_object_foreach_safe (pending, tmp, id, jws)
    {
      g_autoptr (json_t) payload = verify_push (session, json_string_value (jws), NULL);

      if (payload == NULL)
        json_object_del (pending, id);
    }
  return entsec_device_session_store_state (session, ENTSEC_PREF_PENDING_PUSHES, pending,
                                            cancellable, error);
}

/* Drop @challenge_id from the pending pushes. */
static gboolean
forget_push (EntsecDeviceSession *session,
             json_t              *pending,
             const char          *challenge_id,
             GCancellable        *cancellable,
             GError             **error)
{
  json_object_del (pending, challenge_id);
  return store_pending (session, pending, cancellable, error);
}

static gboolean
handle_push (EntsecDeviceSession   *session,
             json_t                *data,
             EntsecEnterpriseEvent *event,
             GCancellable          *cancellable,
             GError               **error)
{
  const char *jws = json_string_value (json_object_get (data, "push"));
  g_autoptr (json_t) payload = NULL;
  g_autoptr (json_t) pending = NULL;
  g_autoptr (GError) local = NULL;

  payload = verify_push (session, jws, &local);
  event->approval = payload != NULL ? approval_of (payload) : NULL;
  if (event->approval == NULL)
    {
      event->detail = g_strdup (local != NULL ? local->message
                                              : "A malformed sign-in request was ignored");
      return TRUE;
    }
  pending = entsec_device_session_load_state (session, ENTSEC_PREF_PENDING_PUSHES, json_object (),
                                              cancellable, error);
  if (pending == NULL)
    return FALSE;
  json_object_set_new (pending, event->approval->challenge_id, json_string (jws));
  return store_pending (session, pending, cancellable, error);
}

/*
 * POST .../commands/{cid}/ack; a second acknowledgement (409) is no failure,
 * nor a command the server no longer knows (404): nothing is left to confirm.
 */
static gboolean
ack_command (EntsecDeviceSession *session,
             const char          *command_id,
             const char          *result,
             GError             **error)
{
  g_autoptr (json_t) body = json_pack ("{s:i, s:s}", "v", 1, "result", result);
  g_autofree char *text = entsec_json_dump (body);
  g_autofree char *path = g_strconcat ("/commands/", command_id, "/ack", NULL);
  g_autoptr (EntsecHttpResponse) response = NULL;

  response = entsec_device_session_send (session, "POST", path, text, NULL, error);
  if (response == NULL)
    return FALSE;
  return response->status == 409 || response->status == 404
         || entsec_device_session_check (session, response, error);
}

/* The result ("done" or "failed") @command_id was carried out with, or NULL. */
static const char *
command_result (json_t     *done,
                const char *command_id)
{
  gsize i;
  json_t *item;

  json_array_foreach (done, i, item)
    if (g_strcmp0 (json_string_value (json_object_get (item, "id")), command_id) == 0)
      return json_string_value (json_object_get (item, "result"));
  return NULL;
}

static gboolean
remember_command (EntsecDeviceSession *session,
                  json_t              *done,
                  const char          *command_id,
                  gboolean             ok,
                  GCancellable        *cancellable,
                  GError             **error)
{
  json_array_append_new (done, json_pack ("{s:s, s:s}", "id", command_id,
                                          "result", ok ? "done" : "failed"));
  while (json_array_size (done) > COMMANDS_DONE_MAX)
    json_array_remove (done, 0);
  return entsec_device_session_store_state (session, ENTSEC_PREF_COMMANDS_DONE, done, cancellable,
                                            error);
}

/* Keep the acknowledgement of @command_id for entsec_enterprise_flush_acks(). */
static gboolean
queue_ack (EntsecDeviceSession *session,
           const char          *command_id,
           gboolean             done,
           GCancellable        *cancellable,
           GError             **error)
{
  g_autoptr (json_t) pending = entsec_device_session_load_state (session, ENTSEC_PREF_PENDING_ACKS,
                                                                 json_array (), cancellable,
                                                                 error);

  if (pending == NULL)
    return FALSE;
  if (command_result (pending, command_id) != NULL)
    return TRUE;
  json_array_append_new (pending, json_pack ("{s:s, s:s}", "id", command_id,
                                             "result", done ? "done" : "failed"));
  while (json_array_size (pending) > COMMANDS_DONE_MAX)
    json_array_remove (pending, 0);
  return entsec_device_session_store_state (session, ENTSEC_PREF_PENDING_ACKS, pending, cancellable,
                                            error);
}

gboolean
entsec_enterprise_flush_acks (EntsecDeviceSession *session,
                              GCancellable        *cancellable,
                              GError             **error)
{
  g_autoptr (json_t) pending = entsec_device_session_load_state (session, ENTSEC_PREF_PENDING_ACKS,
                                                                 json_array (), cancellable,
                                                                 error);
  g_autoptr (GError) local = NULL;

  if (pending == NULL)
    return FALSE;
  if (json_array_size (pending) == 0)
    return TRUE;
  while (json_array_size (pending) > 0)
    {
      json_t *item = json_array_get (pending, 0);
      const char *id = json_string_value (json_object_get (item, "id"));
      const char *result = json_string_value (json_object_get (item, "result"));

      if (id != NULL
          && !ack_command (session, id, g_strcmp0 (result, "done") == 0 ? "done" : "failed",
                           &local))
        break;
      json_array_remove (pending, 0);
    }
  if (!entsec_device_session_store_state (session, ENTSEC_PREF_PENDING_ACKS, pending, cancellable,
                                          error))
    return FALSE;
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  return TRUE;
}

/*
 * A policy or token change while the vault is locked: both are kept in the
 * vault's data, so the sync waits for the next poll with the vault unlocked.
 */
static gboolean
defer_sync (EntsecDeviceSession    *session,
            EntsecEnterpriseEvents *events,
            GCancellable           *cancellable,
            GError                **error)
{
  g_autoptr (json_t) due = json_true ();

  events->sync_due = TRUE;
  return entsec_device_session_store_state (session, ENTSEC_LOCKED_SYNC_DUE, due, cancellable,
                                            error);
}

/*
 * Carry out @type (signed at @issued_at); wipe and lock are reported
 * through @events. A wipe of a locked vault destroys the device's
 * credentials now and leaves the rest to the next unlock (wipe_pending).
 */
static gboolean
run_command (EntsecDeviceSession    *session,
             const char             *type,
             gint64                  issued_at,
             EntsecEnterpriseEvents *events,
             GCancellable           *cancellable,
             GError                **error)
{
  gboolean changed = FALSE;
  gboolean wiped = FALSE;
  gboolean completed = FALSE;

  if (g_strcmp0 (type, "wipe") == 0)
    {
      events->wiped = entsec_enterprise_remote_wipe (session, issued_at, &completed, cancellable,
                                                     error);
      events->wipe_pending = events->wiped && !completed;
      return events->wiped;
    }
  if (g_strcmp0 (type, "lock") == 0)
    {
      /* Locked at the end of the poll, once the cursor is stored. */
      events->locked = TRUE;
      return TRUE;
    }
  if (g_strcmp0 (type, "refresh_policy") == 0)
    {
      if (!entsec_vault_is_unlocked (entsec_device_session_get_vault (session)))
        return defer_sync (session, events, cancellable, error);
      if (!entsec_policy_refresh (session, &changed, &wiped, cancellable, error))
        return FALSE;
      events->wiped = wiped;
      return TRUE;
    }
  /* "unlock": the server lifts its own lock; nothing is stored here. */
  return g_strcmp0 (type, "unlock") == 0;
}

static gboolean
handle_command (EntsecDeviceSession    *session,
                json_t                 *data,
                EntsecEnterpriseEvent  *event,
                EntsecEnterpriseEvents *events,
                GCancellable           *cancellable,
                GError                **error)
{
  const char *jws = json_string_value (json_object_get (data, "command"));
  g_autoptr (json_t) payload = NULL;
  g_autoptr (json_t) done_list = NULL;
  g_autoptr (GError) local = NULL;
  const char *previous;
  gboolean done;

  payload = entsec_enterprise_verify_for_device (session, jws, COMMAND_TYP, "command", &local);
  if (payload == NULL || json_string_value (json_object_get (payload, "command_id")) == NULL
      || json_string_value (json_object_get (payload, "type")) == NULL)
    {
      event->detail = g_strdup (local != NULL ? local->message
                                              : "A malformed command was ignored");
      return TRUE;
    }
  event->command_id = g_strdup (json_string_value (json_object_get (payload, "command_id")));
  event->command = g_strdup (json_string_value (json_object_get (payload, "type")));
  done_list = entsec_device_session_load_state (session, ENTSEC_PREF_COMMANDS_DONE, json_array (),
                                                cancellable, error);
  if (done_list == NULL)
    return FALSE;
  previous = command_result (done_list, event->command_id);
  /* Delivered again: not carried out twice, but acknowledged in case the
   * first acknowledgement was lost (the server then answers 409). */
  if (previous != NULL)
    {
      event->duplicate = TRUE;
      return ack_command (session, event->command_id,
                          g_strcmp0 (previous, "done") == 0 ? "done" : "failed", error);
    }
  done = run_command (session, event->command,
                      json_integer_value (json_object_get (payload, "iat")), events,
                      cancellable, &local);
  if (done && events->sync_due && g_strcmp0 (event->command, "refresh_policy") == 0)
    event->detail = g_strdup ("The vault is locked: the policy is fetched when it is unlocked");
  if (!done)
    event->detail = g_strdup (local != NULL ? local->message : "This command is unknown here");
  /* After a wipe nothing of the enterprise state may be written back; the key
   * still in memory signs the acknowledgement (docs/protocol.md 8.8). */
  if (events->wiped)
    {
      if (events->wipe_pending)
        event->detail = g_strdup ("The vault is locked: this device's key is destroyed; its "
                                  "enterprise accounts and settings are removed when it is "
                                  "next unlocked");
      return ack_command (session, event->command_id,
                          events->wipe_pending ? "credentials_wiped" : "done", error);
    }
  if (!remember_command (session, done_list, event->command_id, done, cancellable, error))
    return FALSE;
  g_clear_error (&local);
  if (ack_command (session, event->command_id, done ? "done" : "failed", &local))
    return TRUE;
  /* Carried out but not confirmed: the acknowledgement goes at the next contact. */
  g_info ("Command %s acknowledged later: %s", event->command_id, local->message);
  if (event->detail == NULL)
    event->detail = g_strdup ("Carried out; its acknowledgement did not reach the server and "
                              "is sent again at the next contact");
  return queue_ack (session, event->command_id, done, cancellable, error);
}

static gboolean
handle_sync (EntsecDeviceSession    *session,
             EntsecEnterpriseEvent  *event,
             EntsecEnterpriseEvents *events,
             GCancellable           *cancellable,
             GError                **error)
{
  g_autoptr (GPtrArray) added = g_ptr_array_new_with_free_func (g_free);
  gboolean changed = FALSE;

  if (!entsec_vault_is_unlocked (entsec_device_session_get_vault (session)))
    {
      event->detail = g_strdup ("The vault is locked: synced when it is unlocked");
      return defer_sync (session, events, cancellable, error);
    }
  if (g_strcmp0 (event->type, "policy") == 0)
    {
      if (!entsec_policy_refresh (session, &changed, &events->wiped, cancellable, error))
        return FALSE;
      event->detail = g_strdup (events->wiped ? "This device was revoked: its enterprise data "
                                                "was removed"
                                              : changed ? "A new policy is in force"
                                                        : "The policy is unchanged");
      return TRUE;
    }
  if (!entsec_tokens_sync (session, added, cancellable, error))
    return FALSE;
  if (added->len > 0)
    {
      g_ptr_array_add (added, NULL);
      event->detail = g_strjoinv (", ", (char **) added->pdata);
    }
  return TRUE;
}

static gboolean
handle_event (EntsecDeviceSession    *session,
              json_t                 *item,
              EntsecEnterpriseEvents *events,
              GCancellable           *cancellable,
              GError                **error)
{
  g_autoptr (EntsecEnterpriseEvent) event = g_new0 (EntsecEnterpriseEvent, 1);
  json_t *data = json_object_get (item, "data");
  gboolean ok = TRUE;

  event->seq = json_integer_value (json_object_get (item, "seq"));
  event->type = g_strdup (json_string_value (json_object_get (item, "type")));
  event->created = json_integer_value (json_object_get (item, "created"));
  if (g_strcmp0 (event->type, "push") == 0)
    ok = handle_push (session, data, event, cancellable, error);
  else if (g_strcmp0 (event->type, "command") == 0)
    ok = handle_command (session, data, event, events, cancellable, error);
  else if (g_strcmp0 (event->type, "policy") == 0 || g_strcmp0 (event->type, "tokens") == 0)
    ok = handle_sync (session, event, events, cancellable, error);
  else
    return TRUE;
  if (ok)
    g_ptr_array_add (events->events, g_steal_pointer (&event));
  return ok;
}

/* ---- The poll --------------------------------------------------------------- */

/* The sync put off while the vault was locked, now that it is unlocked. */
static gboolean
sync_if_due (EntsecDeviceSession    *session,
             EntsecEnterpriseEvents *events,
             GCancellable           *cancellable,
             GError                **error)
{
  g_autoptr (GPtrArray) added = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (json_t) due = NULL;
  gboolean changed = FALSE;

  if (!entsec_vault_is_unlocked (entsec_device_session_get_vault (session)))
    return TRUE;
  due = entsec_device_session_load_state (session, ENTSEC_LOCKED_SYNC_DUE, json_null (),
                                          cancellable, error);
  if (due == NULL)
    return FALSE;
  if (!json_is_true (due))
    return TRUE;
  if (!entsec_policy_refresh (session, &changed, &events->wiped, cancellable, error))
    return FALSE;
  if (events->wiped)
    return TRUE;
  if (!entsec_tokens_sync (session, added, cancellable, error))
    return FALSE;
  return entsec_device_session_store_state (session, ENTSEC_LOCKED_SYNC_DUE, NULL, cancellable,
                                            error);
}

/* The server answered a poll: when, for the status of a locked vault. */
static gboolean
note_poll (EntsecDeviceSession *session,
           GCancellable        *cancellable,
           GError             **error)
{
  g_autoptr (json_t) now = json_integer (entsec_device_session_now (session));

  return entsec_device_session_store_state (session, ENTSEC_LOCKED_LAST_POLL, now, cancellable,
                                            error);
}

/* The cursor stored after the last poll (0 before the first). */
static gint64
stored_cursor (EntsecDeviceSession *session,
               GCancellable        *cancellable,
               GError             **error)
{
  g_autoptr (json_t) value = entsec_device_session_load_state (session, ENTSEC_PREF_EVENTS_CURSOR,
                                                               json_integer (0), cancellable,
                                                               error);

  return MAX (json_integer_value (value), 0);
}

/* The answer's events, checked for shape: {"v":1,"events":[...],"cursor":N,"more":B}. */
static json_t *
fetch_events (EntsecDeviceSession *session,
              gint64               cursor,
              guint                wait,
              GError             **error)
{
  g_autofree char *path = g_strdup_printf ("/events?wait=%u&cursor=%" G_GINT64_FORMAT, wait,
                                           cursor);
  g_autoptr (json_t) answer = entsec_device_session_call_json (session, "GET", path, NULL,
                                                               "events answer", error);
  json_t *list = json_object_get (answer, "events");

  if (answer == NULL)
    return NULL;
  if (!json_is_array (list) || !json_is_integer (json_object_get (answer, "cursor"))
      || json_integer_value (json_object_get (answer, "cursor")) < cursor)
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_BAD_RESPONSE,
                           "The server's events answer is not valid: it may not be an entsec "
                           "server, or a newer one; update entsec");
      return NULL;
    }
  return g_steal_pointer (&answer);
}

EntsecEnterpriseEvents *
entsec_enterprise_events_poll_sync (EntsecVault   *vault,
                                    gint64         cursor,
                                    guint          wait,
                                    gint64         now,
                                    GCancellable  *cancellable,
                                    GError       **error)
{
  g_autoptr (EntsecDeviceSession) session = NULL;
  g_autoptr (EntsecEnterpriseEvents) events = g_new0 (EntsecEnterpriseEvents, 1);
  g_autoptr (json_t) answer = NULL;
  g_autoptr (json_t) cursor_value = NULL;
  g_autoptr (GError) local = NULL;
  gsize i;
  json_t *item;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);
  g_return_val_if_fail (wait <= ENTSEC_EVENTS_MAX_WAIT, NULL);

  session = entsec_device_session_new (vault, now, cancellable, error);
  if (session == NULL)
    return NULL;
  if (cursor < 0)
    cursor = stored_cursor (session, cancellable, &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  events->events = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_enterprise_event_free);
  if (!sync_if_due (session, events, cancellable, error))
    return NULL;
  if (events->wiped)
    return g_steal_pointer (&events);
  /* Acknowledgements still owed go first; those that fail again wait for the next. */
  if (!entsec_enterprise_flush_acks (session, cancellable, &local))
    g_info ("Acknowledgements still not delivered: %s", local->message);
  g_clear_error (&local);
  answer = fetch_events (session, cursor, wait, error);
  if (answer == NULL)
    return NULL;
  if (!note_poll (session, cancellable, error))
    return NULL;
  events->cursor = json_integer_value (json_object_get (answer, "cursor"));
  events->more = json_is_true (json_object_get (answer, "more"));
  json_array_foreach (json_object_get (answer, "events"), i, item)
    {
      if (!handle_event (session, item, events, cancellable, error))
        return NULL;
      /* Nothing of the enterprise state is left to act on. */
      if (events->wiped)
        return g_steal_pointer (&events);
    }
  cursor_value = json_integer (events->cursor);
  if (!entsec_device_session_store_state (session, ENTSEC_PREF_EVENTS_CURSOR, cursor_value,
                                          cancellable, error))
    return NULL;
  if (events->locked)
    entsec_vault_lock_sync (vault);
  return g_steal_pointer (&events);
}

/* ---- Approvals -------------------------------------------------------------- */

static gint
approval_compare (gconstpointer a,
                  gconstpointer b)
{
  const EntsecApproval *x = *(EntsecApproval * const *) a;
  const EntsecApproval *y = *(EntsecApproval * const *) b;

  return (x->issued_at > y->issued_at) - (x->issued_at < y->issued_at);
}

GPtrArray *
entsec_enterprise_approvals_list_sync (EntsecVault   *vault,
                                       gint64         now,
                                       GCancellable  *cancellable,
                                       GError       **error)
{
  g_autoptr (EntsecDeviceSession) session = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (json_t) pending = NULL;
  const char *id;
  json_t *jws;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);

  session = entsec_device_session_new (vault, now, cancellable, error);
  if (session == NULL)
    return NULL;
  pending = entsec_device_session_load_state (session, ENTSEC_PREF_PENDING_PUSHES, json_object (),
                                              cancellable, error);
  if (pending == NULL)
    return NULL;
  list = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_approval_free);
  json_object_foreach (pending, id, jws)
    {
      g_autoptr (json_t) payload = verify_push (session, json_string_value (jws), NULL);
      EntsecApproval *approval = payload != NULL ? approval_of (payload) : NULL;

      if (approval != NULL)
        g_ptr_array_add (list, approval);
    }
  g_ptr_array_sort (list, approval_compare);
  return g_steal_pointer (&list);
}

static const char *
deny_reason_name (EntsecDenyReason reason)
{
  switch (reason)
    {
    case ENTSEC_DENY_REASON_NOT_ME:
      return "not_me";
    case ENTSEC_DENY_REASON_CANCELLED:
      return "cancelled";
    case ENTSEC_DENY_REASON_OTHER:
      return "other";
    case ENTSEC_DENY_REASON_DECLINED:
    default:
      return "declined";
    }
}

/* The response body: the push's nonce and the SHA-256 of its exact text. */
static char *
response_body (const char       *jws,
               json_t           *payload,
               gboolean          approve,
               guint             number,
               EntsecDenyReason  deny_reason)
{
  guint8 digest[SHA256_DIGEST_LENGTH];
  g_autofree char *push_sha256 = NULL;
  g_autoptr (json_t) body = NULL;
  const char *mode = json_string_value (json_object_get (json_object_get (payload,
                                                                          "number_matching"),
                                                         "mode"));

  SHA256 ((const guint8 *) jws, strlen (jws), digest);
  push_sha256 = entsec_base64url_encode (digest, sizeof digest);
  body = json_pack ("{s:i, s:s, s:s, s:s}", "v", 1,
                    "nonce", json_string_value (json_object_get (payload, "nonce")),
                    "push_sha256", push_sha256, "decision", approve ? "approve" : "deny");
  if (approve && g_strcmp0 (mode, "none") != 0)
    json_object_set_new (body, "number", json_integer (number));
  if (!approve)
    json_object_set_new (body, "deny_reason", json_string (deny_reason_name (deny_reason)));
  return entsec_json_dump (body);
}

/*
 * A number the request can take: given unless the mode is "none", one of the
 * choices in "choose" mode. Refused here, it costs none of the three tries.
 */
static gboolean
number_fits (json_t  *payload,
             guint    number,
             GError **error)
{
  json_t *matching = json_object_get (payload, "number_matching");
  const char *mode = json_string_value (json_object_get (matching, "mode"));
  json_t *choice;
  gsize i;

  if (g_strcmp0 (mode, "none") == 0)
    return TRUE;
  if (number == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "This sign-in request needs the number its sign-in screen shows");
      return FALSE;
    }
  if (g_strcmp0 (mode, "choose") != 0)
    return TRUE;
  json_array_foreach (json_object_get (matching, "choices"), i, choice)
    if (json_integer_value (choice) == (json_int_t) number)
      return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "%u is not one of the numbers this sign-in request offers: pick the one its "
               "sign-in screen shows", number);
  return FALSE;
}

gboolean
entsec_enterprise_approval_respond_sync (EntsecVault      *vault,
                                         const char       *challenge_id,
                                         gboolean          approve,
                                         guint             number,
                                         EntsecDenyReason  deny_reason,
                                         gint64            now,
                                         char            **state,
                                         GCancellable     *cancellable,
                                         GError          **error)
{
  g_autoptr (EntsecDeviceSession) session = NULL;
  g_autoptr (json_t) pending = NULL;
  g_autoptr (json_t) payload = NULL;
  g_autoptr (EntsecHttpResponse) response = NULL;
  g_autoptr (json_t) answer = NULL;
  g_autofree char *body = NULL;
  g_autofree char *path = NULL;
  const char *jws;
  const char *data;
  gsize len = 0;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (challenge_id != NULL, FALSE);

  /* The events worker may sign with the vault locked; approving needs the user. */
  if (approve && !entsec_vault_is_unlocked (vault))
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_LOCKED,
                           "Approving a sign-in needs the vault unlocked: unlock it, then "
                           "approve the request again");
      return FALSE;
    }
  session = entsec_device_session_new (vault, now, cancellable, error);
  if (session == NULL)
    return FALSE;
  pending = entsec_device_session_load_state (session, ENTSEC_PREF_PENDING_PUSHES, json_object (),
                                              cancellable, error);
  if (pending == NULL)
    return FALSE;
  jws = json_string_value (json_object_get (pending, challenge_id));
  if (jws == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "No sign-in request '%s' is waiting on this device: see "
                   "'entsec-cli approvals' (run 'entsec-cli watch' to receive new ones)",
                   challenge_id);
      return FALSE;
    }
  payload = verify_push (session, jws, error);
  if (payload == NULL)
    {
      forget_push (session, pending, challenge_id, cancellable, NULL);
      return FALSE;
    }
  if (approve && !number_fits (payload, number, error))
    return FALSE;
  body = response_body (jws, payload, approve, number, deny_reason);
  path = g_strconcat ("/v1/challenges/", challenge_id, "/response", NULL);
  response = entsec_device_session_send (session, "POST", path, body, NULL, error);
  if (response == NULL)
    return FALSE;
  /* Answered, closed (409), unknown (404) or expired (410): nothing left to answer. */
  if ((response->status >= 200 && response->status < 300) || response->status == 404
      || response->status == 409 || response->status == 410)
    if (!forget_push (session, pending, challenge_id, cancellable, error))
      return FALSE;
  if (!entsec_device_session_check (session, response, error))
    return FALSE;
  data = g_bytes_get_data (response->body, &len);
  answer = entsec_json_load_object (data, len, ENTSEC_JSON_MAX_BYTES, ENTSEC_JSON_MAX_DEPTH,
                                    "challenge answer", NULL);
  if (state != NULL)
    *state = g_strdup (json_string_value (json_object_get (answer, "state")));
  return TRUE;
}
