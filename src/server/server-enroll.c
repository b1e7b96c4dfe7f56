/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-enroll.c: enrollment codes. Codes are uniform decimal digits from
 * the CSPRNG, stored only as SHA-256("enrollment id:code"), single use,
 * with an expiry, a resend delay and 5 attempts; every enrollment -- for a
 * known address or not -- is stored and answered alike.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "entsec-protocol.h"
#include "server-enroll.h"
#include "server-policy.h"

#define NONCE_MIN_BYTES 16
#define NONCE_MAX_BYTES 128
#define ID_MAX_BYTES 64
#define CODE_MAX_BYTES 32
#define UPDATE_TRIES 3

static gboolean
invalid (GError    **error,
         const char *message)
{
  g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID, message);
  return FALSE;
}

static gboolean
check_nonce (const char *nonce,
             GError    **error)
{
  gsize len = strlen (nonce);

  for (const char *p = nonce; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
        len = 0;
    }
  if (len < NONCE_MIN_BYTES || len > NONCE_MAX_BYTES)
    return invalid (error, "\"client_nonce\" must be 16 to 128 base64url characters");
  return TRUE;
}

static gboolean
check_required (json_t  *body,
                GError **error)
{
  if (json_object_get (body, "channel") == NULL || json_object_get (body, "address") == NULL
      || json_object_get (body, "client_nonce") == NULL)
    return invalid (error, "The request needs \"channel\", \"address\" and \"client_nonce\"");
  return TRUE;
}

/* Optional "language": a BCP 47 tag such as "de" or "zh-CN" (for the message's text). */
static gboolean
check_language (json_t  *body,
                GError **error)
{
  const char *language = json_string_value (json_object_get (body, "language"));
  gsize len = language != NULL ? strlen (language) : 1;

  for (const char *p = language; p != NULL && *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
        len = 0;
    }
  if (len < 1 || len > 35)
    return invalid (error, "\"language\" must be a language tag such as \"de\" or \"zh-CN\"");
  return TRUE;
}

static char *
random_code (void)
{
  char code[ENTSEC_ENROLL_CODE_LENGTH + 1] = { 0 };
  guint n = 0;

  while (n < ENTSEC_ENROLL_CODE_LENGTH)
    {
      guint8 byte;

      if (RAND_bytes (&byte, 1) != 1)
        g_error ("The system's random number generator failed");
      if (byte < 250) /* 250 = 25 * 10: no bias */
        code[n++] = (char) ('0' + byte % 10);
    }
  return g_strdup (code);
}

static void
code_digest (const char *enrollment_id,
             const char *code,
             guint8      digest[ENTSEC_SERVER_DIGEST_SIZE])
{
  g_autofree char *text = g_strconcat (enrollment_id, ":", code, NULL);

  entsec_server_sha256 (text, strlen (text), digest);
  OPENSSL_cleanse (text, strlen (text));
}

static char *
mask_email (const char *address)
{
  const char *at = strchr (address, '@');

  return g_strdup_printf ("%c***%s", address[0], at != NULL ? at : "");
}

static char *
mask_phone (const char *address)
{
  gsize len = strlen (address);
  g_autofree char *masked = g_strdup (address);

  for (gsize i = 3; i + 2 < len; i++)
    masked[i] = '*';
  return g_steal_pointer (&masked);
}

char *
entsec_enroll_mask_address (const char *channel,
                            const char *address)
{
  return strcmp (channel, "email") == 0 ? mask_email (address) : mask_phone (address);
}

static char *
normalize_address (const char *channel,
                   const char *address,
                   GError    **error)
{
  if (strcmp (channel, "email") == 0)
    return entsec_server_normalize_email (address, error);
  if (strcmp (channel, "sms") == 0)
    return entsec_server_normalize_phone (address, error);
  invalid (error, "\"channel\" must be \"email\" or \"sms\"");
  return NULL;
}

char *
entsec_enroll_check_start (json_t  *body,
                           GError **error)
{
  static const char *const members[] = { "channel", "address", "client_nonce", "language",
                                         NULL };
  g_autofree char *address = NULL;

  if (!entsec_server_check_members (body, members, FALSE, "The request", error)
      || !check_required (body, error) || !check_language (body, error))
    return NULL;
  address = normalize_address (json_string_value (json_object_get (body, "channel")),
                               json_string_value (json_object_get (body, "address")), error);
  if (address == NULL
      || !check_nonce (json_string_value (json_object_get (body, "client_nonce")), error))
    return NULL;
  return g_steal_pointer (&address);
}

static EntsecEnrollment *
new_enrollment (const EntsecEnrollContext *context,
                json_t                    *body,
                gint64                     now,
                char                     **code,
                GError                   **error)
{
  g_autoptr (EntsecEnrollment) e = g_new0 (EntsecEnrollment, 1);
  g_autoptr (EntsecUser) user = NULL;
  const char *nonce = json_string_value (json_object_get (body, "client_nonce"));

  e->address = entsec_enroll_check_start (body, error);
  if (e->address == NULL)
    return NULL;
  e->channel = g_strdup (json_string_value (json_object_get (body, "channel")));
  user = entsec_storage_user_find (context->storage, e->channel, e->address, error);
  if (user == NULL && error != NULL && *error != NULL)
    return NULL;
  e->id = entsec_server_random_id ("enr_");
  e->user_id = user != NULL ? g_strdup (user->id) : NULL;
  *code = random_code ();
  code_digest (e->id, *code, e->code_sha256);
  entsec_server_sha256 (nonce, strlen (nonce), e->nonce_sha256);
  e->created = now;
  e->expires = now + context->code_lifetime;
  return g_steal_pointer (&e);
}

static json_t *
start_answer (const EntsecEnrollContext *context,
              const EntsecEnrollment    *e)
{
  g_autofree char *masked = entsec_enroll_mask_address (e->channel, e->address);

  return json_pack ("{s:i,s:s,s:s,s:i,s:I,s:I,s:i}", "v", 1, "enrollment_id", e->id,
                    "masked_address", masked, "code_length", ENTSEC_ENROLL_CODE_LENGTH,
                    "expires_in", (json_int_t) context->code_lifetime,
                    "resend_after", (json_int_t) context->resend_after,
                    "max_attempts", ENTSEC_ENROLL_MAX_ATTEMPTS);
}

static gboolean
rate_limited (const EntsecEnrollContext *context,
              const char                *key,
              guint                      limit,
              gint64                     window,
              gint64                     now,
              gint64                    *retry_after,
              GError                   **error)
{
  if (context->limiter == NULL
      || entsec_rate_limiter_take (context->limiter, key, limit, window, now, retry_after))
    return FALSE;
  g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_RATE_LIMITED,
                       "Too many requests; wait before trying again");
  return TRUE;
}

gboolean
entsec_enroll_limit_client (const EntsecEnrollContext *context,
                            const char                *client_key,
                            gint64                     now,
                            gint64                    *retry_after,
                            GError                   **error)
{
  return !rate_limited (context, client_key, context->rate_ip, 60, now, retry_after, error);
}

/* Per address and per user; an unknown address counts as its own user, like a known one. */
static gboolean
enrollment_limited (const EntsecEnrollContext *context,
                    const EntsecEnrollment    *e,
                    gint64                     now,
                    gint64                    *retry_after,
                    GError                   **error)
{
  g_autofree char *address = g_strconcat ("address:", e->channel, ":", e->address, NULL);
  g_autofree char *user = e->user_id != NULL ? g_strconcat ("user:", e->user_id, NULL)
                                             : g_strconcat ("user:", address, NULL);

  return rate_limited (context, address, context->rate_address, 3600, now, retry_after, error)
         || rate_limited (context, user, context->rate_user, 3600, now, retry_after, error);
}

json_t *
entsec_enroll_start (const EntsecEnrollContext *context,
                     json_t                    *body,
                     gint64                     now,
                     gint64                    *retry_after,
                     GError                   **error)
{
  g_autofree char *code = NULL;
  g_autoptr (EntsecEnrollment) e = new_enrollment (context, body, now, &code, error);
  gint64 last = 0;
  gboolean sent = TRUE;

  if (e == NULL)
    return NULL;
  if (enrollment_limited (context, e, now, retry_after, error))
    {
      OPENSSL_cleanse (code, strlen (code));
      return NULL;
    }
  if (!entsec_storage_enrollment_start (context->storage, e, context->resend_after, &last,
                                        error))
    {
      *retry_after = MAX (1, last + context->resend_after - now);
      OPENSSL_cleanse (code, strlen (code));
      return NULL;
    }
  if (e->user_id != NULL)
    {
      EntsecCodeMessage message = {
        e->channel, e->address, code, e->id, e->expires, context->code_lifetime,
        json_string_value (json_object_get (body, "language")),
      };

      sent = entsec_sender_send (context->sender, &message, error);
    }
  OPENSSL_cleanse (code, strlen (code));
  entsec_storage_audit (context->storage, "anonymous", "enroll.start", e->id, NULL);
  return sent ? start_answer (context, e) : NULL;
}

static gboolean
code_matches (const EntsecEnrollment *e,
              const char             *code,
              const char             *nonce)
{
  guint8 digest[ENTSEC_SERVER_DIGEST_SIZE];
  guint8 nonce_digest[ENTSEC_SERVER_DIGEST_SIZE];
  int differ;

  code_digest (e->id, code, digest);
  entsec_server_sha256 (nonce, strlen (nonce), nonce_digest);
  differ = CRYPTO_memcmp (digest, e->code_sha256, sizeof digest)
           | CRYPTO_memcmp (nonce_digest, e->nonce_sha256, sizeof nonce_digest);
  return differ == 0 && e->user_id != NULL;
}

static gboolean
invalid_code (GError **error)
{
  g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE,
                       "The code is wrong or no longer valid");
  return FALSE;
}

/*
 * One try at recording the attempt: read, judge, compare-and-set. *retry is
 * set when another request changed the enrollment in between.
 */
static EntsecEnrollment *
attempt_once (const EntsecEnrollContext *context,
              const char                *id,
              const char                *code,
              const char                *nonce,
              gint64                     now,
              char                     **token,
              char                     **challenge,
              gboolean                  *retry,
              GError                   **error)
{
  g_autoptr (EntsecEnrollment) e = entsec_storage_enrollment_get (context->storage, id, error);
  g_autofree char *new_token = NULL;
  g_autofree char *new_challenge = NULL;
  guint expected;
  gboolean updated = FALSE;

  *retry = FALSE;
  if (e == NULL && *error != NULL)
    return NULL;
  if (e == NULL || e->state != ENTSEC_ENROLLMENT_PENDING)
    {
      invalid_code (error);
      return NULL;
    }
  if (now >= e->expires)
    {
      g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_EXPIRED,
                           "The code expired; start again");
      return NULL;
    }
  expected = e->attempts;
  if (code_matches (e, code, nonce))
    {
      new_token = entsec_server_random_secret ();
      new_challenge = entsec_server_random_secret ();
      entsec_server_sha256 (new_token, strlen (new_token), e->token_sha256);
      entsec_server_sha256 (new_challenge, strlen (new_challenge), e->challenge_sha256);
      e->token_expires = now + context->token_lifetime;
      e->state = ENTSEC_ENROLLMENT_VERIFIED;
    }
  else if (++e->attempts >= ENTSEC_ENROLL_MAX_ATTEMPTS)
    e->state = ENTSEC_ENROLLMENT_BURNED;
  if (!entsec_storage_enrollment_update (context->storage, e, expected, &updated, error))
    return NULL;
  *retry = !updated;
  if (!updated)
    return NULL;
  *token = g_steal_pointer (&new_token);
  *challenge = g_steal_pointer (&new_challenge);
  return g_steal_pointer (&e);
}

/*
 * The verification answer; "collect" is the binding.collect of the user's
 * policy (tenant's, then user's: the device has none yet), the claims its
 * registration is to carry.
 */
static json_t *
verify_answer (const EntsecEnrollContext *context,
               const EntsecUser          *user,
               const char                *token,
               const char                *challenge,
               GError                   **error)
{
  gsize salt_len = 0;
  const guint8 *salt = g_bytes_get_data (context->tenant_salt, &salt_len);
  g_autofree char *salt_text = entsec_base64url_encode (salt, salt_len);
  g_autoptr (json_t) settings = entsec_policy_effective (context->storage, user->id, "", error);
  json_t *who;

  if (settings == NULL)
    return NULL;
  who = json_pack ("{s:s}", "id", user->id);
  if (user->name != NULL)
    json_object_set_new (who, "name", json_string (user->name));
  return json_pack ("{s:i,s:s,s:s,s:s,s:O,s:o}", "v", 1, "enrollment_token", token,
                    "registration_challenge", challenge, "tenant_salt", salt_text,
                    "collect", entsec_policy_get (settings, "binding", "collect"), "user", who);
}

json_t *
entsec_enroll_verify (const EntsecEnrollContext *context,
                      json_t                    *body,
                      gint64                     now,
                      GError                   **error)
{
  static const char *const members[] = { "enrollment_id", "code", "client_nonce", NULL };
  g_autoptr (EntsecEnrollment) e = NULL;
  g_autoptr (EntsecUser) user = NULL;
  g_autofree char *token = NULL;
  g_autofree char *challenge = NULL;
  const char *id, *code, *nonce;
  gboolean retry = TRUE;

  if (!entsec_server_check_members (body, members, TRUE, "The request", error))
    return NULL;
  id = json_string_value (json_object_get (body, "enrollment_id"));
  code = json_string_value (json_object_get (body, "code"));
  nonce = json_string_value (json_object_get (body, "client_nonce"));
  if (strlen (id) > ID_MAX_BYTES || strlen (code) > CODE_MAX_BYTES
      || strlen (nonce) > NONCE_MAX_BYTES)
    {
      invalid_code (error);
      return NULL;
    }
  for (guint i = 0; i < UPDATE_TRIES && e == NULL && retry; i++)
    e = attempt_once (context, id, code, nonce, now, &token, &challenge, &retry, error);
  if (e == NULL && retry)
    invalid_code (error);
  if (e == NULL)
    return NULL;
  if (e->state != ENTSEC_ENROLLMENT_VERIFIED)
    {
      entsec_storage_audit (context->storage, "anonymous",
                            e->state == ENTSEC_ENROLLMENT_BURNED ? "enroll.burned"
                                                                 : "enroll.wrong_code",
                            e->id, NULL);
      invalid_code (error);
      return NULL;
    }
  user = entsec_storage_user_get (context->storage, e->user_id, error);
  if (user == NULL && *error == NULL)
    invalid_code (error); /* the user was deleted meanwhile */
  if (user == NULL)
    return NULL;
  entsec_storage_audit (context->storage, user->id, "enroll.verify", e->id, NULL);
  return verify_answer (context, user, token, challenge, error);
}
