/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-challenges.c: push challenges to devices and their answers. Each
 * delivery gets its own nonce; the answer must echo it and the digest of
 * the exact JWS the device was sent, so that an answer cannot be moved to
 * another challenge, device or push.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "server-challenges.h"
#include "server-private.h"
#include "server-push.h"

/* Devices one user may have at most (max_devices_per_user's upper bound). */
#define USER_DEVICES_MAX 1000

/* 0 to @n - 1, uniformly, from the CSPRNG. */
static guint
random_below (guint n)
{
  guint32 value;

  do
    {
      if (RAND_bytes ((guint8 *) &value, sizeof value) != 1)
        g_error ("The system's random number generator failed");
    }
  while (value >= G_MAXUINT32 - G_MAXUINT32 % n);
  return value % n;
}

/* The right number among decoys, each different, in random order. */
static json_t *
choices (guint number)
{
  guint picked[ENTSEC_PUSH_CHOICES] = { number };
  guint right = random_below (ENTSEC_PUSH_CHOICES);
  json_t *list = json_array ();

  for (guint i = 1; i < ENTSEC_PUSH_CHOICES; i++)
    {
      gboolean taken = TRUE;

      while (taken)
        {
          picked[i] = entsec_push_random_number ();
          taken = FALSE;
          for (guint j = 0; j < i; j++)
            taken = taken || picked[j] == picked[i];
        }
    }
  /* the right one (picked[0]) goes to position @right */
  picked[0] = picked[right];
  picked[right] = number;
  for (guint i = 0; i < ENTSEC_PUSH_CHOICES; i++)
    json_array_append_new (list, json_integer (picked[i]));
  return list;
}

static json_t *
number_matching (const EntsecPush *push)
{
  json_t *json = json_pack ("{s:s}", "mode", push->mode);

  if (strcmp (push->mode, "none") != 0)
    json_object_set_new (json, "digits", json_integer (2));
  if (strcmp (push->mode, "choose") == 0)
    json_object_set_new (json, "choices", choices (push->number));
  return json;
}

static char *
push_jws (const EntsecDeviceContext *context,
          const EntsecPush          *push,
          const EntsecDevice        *device,
          const char                *nonce,
          gint64                     now,
          GError                   **error)
{
  json_t *shown = json_loads (push->context, 0, NULL);
  g_autoptr (json_t) payload = NULL;
  g_autofree char *text = NULL;

  payload = json_pack ("{s:i,s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:o,s:o}", "v", 1,
                       "iss", context->issuer, "tenant", context->tenant,
                       "challenge_id", push->id, "device_id", device->id,
                       "key_jkt", device->key_jkt, "nonce", nonce, "iat", (json_int_t) now,
                       "exp", (json_int_t) push->expires,
                       "context", shown != NULL ? shown : json_object (),
                       "number_matching", number_matching (push));
  text = entsec_json_dump (payload);
  return entsec_jws_sign (context->authority, "entsec-push+jwt", context->authority_jkt,
                          (const guint8 *) text, strlen (text), error);
}

static gboolean
deliver_one (const EntsecDeviceContext *context,
             const EntsecPush          *push,
             const EntsecDevice        *device,
             gint64                     now,
             GError                   **error)
{
  g_autofree char *nonce = entsec_server_random_id ("");
  g_autofree char *jws = push_jws (context, push, device, nonce, now, error);
  guint8 digest[ENTSEC_SERVER_DIGEST_SIZE];
  g_autoptr (json_t) event = NULL;

  if (jws == NULL)
    return FALSE;
  entsec_server_sha256 (jws, strlen (jws), digest);
  if (!entsec_storage_push_delivery_add (context->storage, push->id, device->id, nonce, digest,
                                         push->expires, error))
    return FALSE;
  event = json_pack ("{s:i,s:s,s:s}", "v", 1, "challenge_id", push->id, "push", jws);
  return entsec_device_event_add (context, device->id, "push", event, now, error);
}

gboolean
entsec_push_deliver (const EntsecDeviceContext *context,
                     const EntsecPush          *push,
                     gint64                     now,
                     guint                     *delivered,
                     GError                   **error)
{
  g_autoptr (GPtrArray) devices = NULL;
  guint count = 0;

  g_return_val_if_fail (context != NULL && push != NULL, FALSE);

  if (delivered != NULL)
    *delivered = 0;
  if (push->state != ENTSEC_PUSH_PENDING)
    return TRUE;
  devices = entsec_storage_device_list (context->storage, push->user_id, NULL, USER_DEVICES_MAX,
                                        error);
  if (devices == NULL)
    return FALSE;
  for (guint i = 0; i < devices->len; i++)
    {
      const EntsecDevice *device = g_ptr_array_index (devices, i);

      if (device->state != ENTSEC_DEVICE_ACTIVE)
        continue;
      if (!deliver_one (context, push, device, now, error))
        return FALSE;
      count++;
    }
  if (delivered != NULL)
    *delivered = count;
  return TRUE;
}

static const char *const answer_members[] = {
  "v", "nonce", "push_sha256", "decision", "number", "deny_reason", NULL,
};

/* The members' types; *number gets "number" (0 when absent). */
static gboolean
check_answer_body (json_t  *body,
                   guint   *number,
                   GError **error)
{
  const char *key;
  json_t *value;
  json_t *given = json_object_get (body, "number");

  json_object_foreach (body, key, value)
    {
      if (!g_strv_contains (answer_members, key))
        {
          g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                       "A push answer has only v, nonce, push_sha256, decision, number "
                       "and deny_reason");
          return FALSE;
        }
    }
  if (!json_is_string (json_object_get (body, "nonce"))
      || !json_is_string (json_object_get (body, "push_sha256"))
      || !json_is_string (json_object_get (body, "decision"))
      || (given != NULL && !json_is_integer (given))
      || (json_object_get (body, "deny_reason") != NULL
          && !json_is_string (json_object_get (body, "deny_reason")))
      || (json_object_get (body, "v") != NULL
          && json_integer_value (json_object_get (body, "v")) != 1))
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                   "A push answer needs the strings nonce, push_sha256 and decision, "
                   "\"number\" as an integer and \"deny_reason\" as a string when given");
      return FALSE;
    }
  if (given != NULL && (json_integer_value (given) < 0 || json_integer_value (given) > 99))
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                   "\"number\" must be the two-digit number of the sign-in screen");
      return FALSE;
    }
  *number = given != NULL ? (guint) json_integer_value (given) : 0;
  return TRUE;
}

/* TRUE when @nonce and @push_sha256 (base64url) are those sent. */
static gboolean
matches_delivery (const char   *nonce,
                  const char   *push_sha256,
                  const char   *sent_nonce,
                  const guint8 *sent_digest)
{
  g_autofree char *digest = entsec_base64url_encode (sent_digest, ENTSEC_SERVER_DIGEST_SIZE);
  gboolean nonce_ok = strlen (nonce) == strlen (sent_nonce)
                      && CRYPTO_memcmp (nonce, sent_nonce, strlen (nonce)) == 0;
  gboolean digest_ok = strlen (push_sha256) == strlen (digest)
                       && CRYPTO_memcmp (push_sha256, digest, strlen (digest)) == 0;

  return nonce_ok && digest_ok;
}

json_t *
entsec_push_respond (const EntsecDeviceContext *context,
                     const EntsecDevice        *device,
                     const char                *challenge_id,
                     json_t                    *body,
                     gint64                     now,
                     GError                   **error)
{
  g_autofree char *sent_nonce = NULL;
  g_autoptr (EntsecPush) push = NULL;
  guint8 sent_digest[ENTSEC_SERVER_DIGEST_SIZE];
  gboolean found = FALSE;
  guint number = 0;

  g_return_val_if_fail (context != NULL && device != NULL && challenge_id != NULL, NULL);

  if (!check_answer_body (body, &number, error)
      || !entsec_storage_push_delivery_get (context->storage, challenge_id, device->id,
                                            &sent_nonce, sent_digest, &found, error))
    return NULL;
  if (!found)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_NOT_FOUND,
                   "This device was sent no such sign-in request");
      return NULL;
    }
  if (!matches_delivery (json_string_value (json_object_get (body, "nonce")),
                         json_string_value (json_object_get (body, "push_sha256")),
                         sent_nonce, sent_digest))
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                   "The nonce or push_sha256 is not that of the push this device was sent");
      return NULL;
    }
  if (!entsec_push_answer (context->storage, challenge_id, device->id,
                           json_string_value (json_object_get (body, "decision")), number,
                           json_string_value (json_object_get (body, "deny_reason")), now,
                           error))
    return NULL;
  push = entsec_storage_push_get (context->storage, challenge_id, error);
  if (push == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
                     "The answered sign-in request is gone");
      return NULL;
    }
  return json_pack ("{s:i,s:s,s:s}", "v", 1, "challenge_id", challenge_id,
                    "state", entsec_push_state_name (push->state));
}
