/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-enroll.c: discovery, enrollment by code and device registration (docs/protocol.md 8.1-8.3) */

#include "config.h"

#define G_LOG_DOMAIN "entsec-enroll"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "entsec-base64url.h"
#include "entsec-core-private.h"
#include "entsec-device-claims.h"
#include "entsec-device-session.h"
#include "entsec-ec.h"
#include "entsec-enterprise-private.h"
#include "entsec-enterprise-sync.h"
#include "entsec-http.h"
#include "entsec-httpsig.h"
#include "entsec-json.h"
#include "entsec-jws.h"
#include "entsec-protocol.h"
#include "entsec-rotation.h"

#define NONCE_BYTES 32
#define CODE_MAX_CHARS 16
#define JWK_MAX_BYTES (4 * 1024)
/* The serialised enrollment in progress: its own size limit and version. */
#define SAVED_MAX_BYTES (16 * 1024)
#define SAVED_VERSION 1
#define SECONDS_MAX (7 * 24 * 3600)

/* What registration takes from a verified code; the token and challenge are
 * wiped. @collect is the claim groups the server asked for (its `collect`),
 * sent as HMACs under @tenant_salt (docs/privacy.md). */
typedef struct
{
  char               *token;
  char               *challenge;
  char               *user_name;
  GBytes             *tenant_salt;
  EntsecDeviceCollect collect;
} Verified;

static void
verified_clear (Verified *verified)
{
  g_clear_pointer (&verified->token, entsec_secure_strfree);
  g_clear_pointer (&verified->challenge, entsec_secure_strfree);
  g_clear_pointer (&verified->user_name, g_free);
  g_clear_pointer (&verified->tenant_salt, g_bytes_unref);
  verified->collect = 0;
}

struct _EntsecEnroller
{
  char *server;
  char *ca_file;
  char *pins;
  gboolean pin_is_anchor;
  char *pinned_jkt;

  /* from discovery */
  char *issuer;
  char *tenant;
  char *authority_jkt;
  char *authority_jwk;     /* JSON text */
  EVP_PKEY *authority_key;
  char *enroll_start;
  char *enroll_verify;
  char *devices;

  /* from the start */
  char *client_nonce;      /* wiped */
  char *enrollment_id;
  char *masked_address;
  char *channel;
  char *address;
  gint64 started_at;       /* Unix seconds */
  gint64 expires_in;
  gint64 resend_after;
  gint64 max_attempts;     /* 0: the server did not say */
  gint64 wrong_codes;      /* refused by the server since the start */
  gint64 retry_after;      /* of the last rate-limited answer, -1 none */
  char *discovered_jkt;    /* of a restored enrollment: discovery must give it again */

  /* from the verification, until registration */
  Verified verified;
  gboolean is_verified;
  EntsecDeviceClaims *claims;
  GPtrArray *shared;       /* EntsecDeviceShareItem */

  char *device_root;       /* claims read under it (tests); NULL: the real system */
};

void
entsec_enroller_free (EntsecEnroller *enrollment)
{
  if (enrollment == NULL)
    return;
  g_free (enrollment->server);
  g_free (enrollment->device_root);
  g_free (enrollment->ca_file);
  g_free (enrollment->pins);
  g_free (enrollment->pinned_jkt);
  g_free (enrollment->issuer);
  g_free (enrollment->tenant);
  g_free (enrollment->authority_jkt);
  g_free (enrollment->authority_jwk);
  EVP_PKEY_free (enrollment->authority_key);
  g_free (enrollment->enroll_start);
  g_free (enrollment->enroll_verify);
  g_free (enrollment->devices);
  entsec_secure_strfree (enrollment->client_nonce);
  g_free (enrollment->enrollment_id);
  g_free (enrollment->masked_address);
  g_free (enrollment->channel);
  g_free (enrollment->address);
  g_free (enrollment->discovered_jkt);
  verified_clear (&enrollment->verified);
  entsec_device_claims_free (enrollment->claims);
  g_clear_pointer (&enrollment->shared, g_ptr_array_unref);
  g_free (enrollment);
}

EntsecEnroller *
entsec_enroller_new (const EntsecEnrollerOptions *options,
                       GError                       **error)
{
  g_autoptr (EntsecEnroller) enrollment = g_new0 (EntsecEnroller, 1);

  g_return_val_if_fail (options != NULL && options->server != NULL, NULL);

  if (!g_str_has_prefix (options->server, "https://") || g_str_has_suffix (options->server, "/"))
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_INVALID_URL,
                           "The server address must be https://HOST or https://HOST:PORT, "
                           "with no trailing slash");
      return NULL;
    }
  if (options->pins != NULL && !entsec_http_pins_valid (options->pins, error))
    return NULL;
  enrollment->server = g_strdup (options->server);
  enrollment->ca_file = g_strdup (options->ca_file);
  enrollment->pins = g_strdup (options->pins);
  enrollment->pin_is_anchor = options->pin_is_anchor && options->pins != NULL;
  enrollment->pinned_jkt = g_strdup (options->authority_jkt);
  enrollment->retry_after = -1;
  return g_steal_pointer (&enrollment);
}

EntsecEnroller *
entsec_enroller_new_for_link (const EntsecActivationLink *link,
                                const char                 *ca_file,
                                GError                    **error)
{
  EntsecEnrollerOptions options = {
    .server = link->server,
    .ca_file = ca_file,
    .pins = link->pin,
    .pin_is_anchor = TRUE,
    .authority_jkt = link->jkt,
  };

  g_return_val_if_fail (link != NULL, NULL);
  return entsec_enroller_new (&options, error);
}

void
entsec_enroller_set_device_root (EntsecEnroller *enrollment,
                                 const char     *root)
{
  g_return_if_fail (enrollment != NULL);
  g_free (enrollment->device_root);
  enrollment->device_root = g_strdup (root);
}

const char *
entsec_enroller_get_masked_address (const EntsecEnroller *enrollment)
{
  g_return_val_if_fail (enrollment != NULL, NULL);
  return enrollment->masked_address;
}

static void
trust_of (const EntsecEnroller *enrollment,
          EntsecHttpTrust        *trust)
{
  memset (trust, 0, sizeof *trust);
  trust->ca_file = enrollment->ca_file;
  trust->pins = enrollment->pins;
  trust->pin_is_anchor = enrollment->pin_is_anchor;
}

/* A protocol breach by the server, in the error domain of the network. */
static void
set_bad_response (GError    **error,
                  const char *what,
                  GError     *cause)
{
  g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_BAD_RESPONSE,
               "The server's %s is not valid (%s): it may not be an entsec server, or "
               "another one than expected", what, cause != NULL ? cause->message : "");
}

/* Sends @body (nullable JSON) and returns the 2xx answer as a JSON object. */
static json_t *
call_json (EntsecEnroller         *enrollment,
           const char             *method,
           const char             *url,
           const char * const     *headers,
           const char             *body,
           const char             *what,
           GError                **error)
{
  g_autoptr (EntsecHttpResponse) response = NULL;
  g_autoptr (GBytes) payload = body != NULL ? g_bytes_new (body, strlen (body)) : NULL;
  g_autoptr (GError) local = NULL;
  const char *json_headers[] = { "Content-Type: application/json", "Accept: application/json",
                                 NULL };
  EntsecHttpTrust trust;
  json_t *object;
  gsize len = 0;
  const char *data;

  trust_of (enrollment, &trust);
  response = entsec_http_request (&trust, method, url, headers != NULL ? headers : json_headers,
                                  payload, error);
  if (response == NULL)
    return NULL;
  if (!entsec_http_response_check (response, &local))
    {
      /* The wait, for a countdown (the message says it too; 60 s as it does without one). */
      if (g_error_matches (local, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_RATE_LIMITED))
        enrollment->retry_after = response->retry_after >= 0 ? response->retry_after : 60;
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  data = g_bytes_get_data (response->body, &len);
  object = entsec_json_load_object (data, len, ENTSEC_JSON_MAX_BYTES, ENTSEC_JSON_MAX_DEPTH,
                                    what, &local);
  if (object == NULL)
    set_bad_response (error, what, local);
  return object;
}

static gboolean
read_endpoints (EntsecEnroller *enrollment,
                json_t           *endpoints,
                GError          **error)
{
  const char *start = entsec_json_get_string (endpoints, "enroll_start", error);
  const char *verify = start != NULL ? entsec_json_get_string (endpoints, "enroll_verify", error)
                                     : NULL;
  const char *devices = verify != NULL ? entsec_json_get_string (endpoints, "devices", error)
                                       : NULL;
  g_autofree char *prefix = g_strconcat (enrollment->issuer, "/", NULL);

  if (devices == NULL)
    return FALSE;
  /* Every call stays on the discovered origin. */
  if (!g_str_has_prefix (start, prefix) || !g_str_has_prefix (verify, prefix)
      || !g_str_has_prefix (devices, prefix))
    {
      g_set_error_literal (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                           "an endpoint is not on the issuer's origin");
      return FALSE;
    }
  enrollment->enroll_start = g_strdup (start);
  enrollment->enroll_verify = g_strdup (verify);
  enrollment->devices = g_strdup (devices);
  return TRUE;
}

/* Makes @key (taken over) the authority key this enrollment trusts. */
static gboolean
take_authority (EntsecEnroller *enrollment,
                EVP_PKEY       *key,
                GError        **error)
{
  g_autofree char *jkt = entsec_jwk_thumbprint (key, error);
  g_autofree char *jwk = jkt != NULL ? entsec_jwk_export (key, FALSE, error) : NULL;

  if (jwk == NULL)
    {
      EVP_PKEY_free (key);
      return FALSE;
    }
  g_free (enrollment->authority_jkt);
  g_free (enrollment->authority_jwk);
  EVP_PKEY_free (enrollment->authority_key);
  enrollment->authority_jkt = g_steal_pointer (&jkt);
  enrollment->authority_jwk = g_steal_pointer (&jwk);
  enrollment->authority_key = key;
  return TRUE;
}

/* Takes the authority key of discovery once its thumbprint checks out. */
static gboolean
read_authority (EntsecEnroller *enrollment,
                json_t           *disco,
                GError          **error)
{
  const char *jkt = entsec_json_get_string (disco, "authority_jkt", error);
  json_t *jwks = jkt != NULL ? entsec_json_get_object (disco, "authority_jwks", error) : NULL;
  json_t *keys = jwks != NULL ? json_object_get (jwks, "keys") : NULL;
  g_autoptr (EVP_PKEY) key = NULL;
  g_autofree char *computed = NULL;

  if (jwks == NULL)
    return FALSE;
  if (!json_is_array (keys) || json_array_size (keys) != 1)
    {
      g_set_error_literal (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                           "\"authority_jwks.keys\" must hold one key");
      return FALSE;
    }
  key = entsec_jwk_import_json (json_array_get (keys, 0), FALSE, error);
  computed = key != NULL ? entsec_jwk_thumbprint (key, error) : NULL;
  if (computed == NULL)
    return FALSE;
  if (g_strcmp0 (computed, jkt) != 0)
    {
      g_set_error_literal (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                           "\"authority_jkt\" is not the thumbprint of the authority key");
      return FALSE;
    }
  return take_authority (enrollment, g_steal_pointer (&key), error);
}

/*
 * An activation link's thumbprint that is not discovery's key: the walk of
 * discovery's "authority_chain" from it must reach that key (protocol.md
 * 8.1 and 8.16), so a link made before a rotation keeps working.
 */
static gboolean
chain_reaches_authority_from (EntsecEnroller *enrollment,
                              const char     *jkt,
                              json_t         *disco)
{
  g_autoptr (EVP_PKEY) reached = NULL;
  g_autofree char *reached_jkt = NULL;
  const char *tenant = json_string_value (json_object_get (disco, "tenant"));
  json_t *chain = json_object_get (disco, "authority_chain");

  if (tenant == NULL || !json_is_array (chain))
    return FALSE;
  reached = entsec_authority_chain_walk_jkt (jkt, chain, enrollment->issuer,
                                             tenant, NULL, NULL);
  reached_jkt = reached != NULL ? entsec_jwk_thumbprint (reached, NULL) : NULL;
  return g_strcmp0 (reached_jkt, enrollment->authority_jkt) == 0;
}

static gboolean
discover (EntsecEnroller *enrollment,
          GError          **error)
{
  g_autofree char *url = g_strconcat (enrollment->server, "/.well-known/entsec-configuration",
                                      NULL);
  g_autoptr (json_t) disco = NULL;
  g_autoptr (GError) local = NULL;
  const char *issuer;

  if (enrollment->authority_key != NULL)
    return TRUE;
  disco = call_json (enrollment, "GET", url, NULL, NULL, "discovery document", error);
  if (disco == NULL)
    return FALSE;
  issuer = entsec_json_get_string (disco, "issuer", &local);
  if (issuer != NULL && g_strcmp0 (issuer, enrollment->server) != 0)
    g_set_error (&local, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                 "its issuer is not the address it was fetched from");
  if (local == NULL)
    {
      enrollment->issuer = g_strdup (issuer);
      enrollment->tenant = g_strdup (json_string_value (json_object_get (disco, "tenant")));
    }
  if (local != NULL || !read_authority (enrollment, disco, &local)
      || !read_endpoints (enrollment, entsec_json_get_object (disco, "endpoints", &local), &local))
    {
      set_bad_response (error, "discovery document", local);
      return FALSE;
    }
  if (enrollment->discovered_jkt != NULL
      && g_strcmp0 (enrollment->discovered_jkt, enrollment->authority_jkt) != 0
      && !chain_reaches_authority_from (enrollment, enrollment->discovered_jkt, disco))
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_PIN_MISMATCH,
                           "The server's authority key changed since this enrollment started, "
                           "and not by a rotation: this is not the server you started with; "
                           "cancel and ask your administrator");
      return FALSE;
    }
  if (enrollment->pinned_jkt != NULL
      && g_strcmp0 (enrollment->pinned_jkt, enrollment->authority_jkt) != 0
      && !chain_reaches_authority_from (enrollment, enrollment->pinned_jkt, disco))
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_PIN_MISMATCH,
                           "The server's authority key is not the one of your activation link, "
                           "nor one its rotation chain leads to from it: this is not the server "
                           "you expect; ask your administrator");
      return FALSE;
    }
  return TRUE;
}

static char *
random_b64url (gsize bytes)
{
  guint8 raw[NONCE_BYTES];
  char *text;

  g_assert (bytes <= sizeof raw);
  if (RAND_bytes (raw, (int) bytes) != 1)
    g_error ("The system's random number generator failed");
  text = entsec_base64url_encode (raw, bytes);
  OPENSSL_cleanse (raw, sizeof raw);
  return text;
}

/* A count of seconds (or attempts) of the start's answer, @fallback when
 * absent; bounded so that no server makes a countdown run for years. */
static gint64
answer_seconds (json_t     *answer,
                const char *name,
                gint64      fallback)
{
  json_t *value = json_object_get (answer, name);

  if (!json_is_integer (value))
    return fallback;
  return CLAMP (json_integer_value (value), 0, SECONDS_MAX);
}

gboolean
entsec_enroller_start_sync (EntsecEnroller *enrollment,
                              const char       *channel,
                              const char       *address,
                              GCancellable     *cancellable,
                              GError          **error)
{
  g_autoptr (json_t) request = NULL;
  g_autoptr (json_t) answer = NULL;
  g_autoptr (GError) local = NULL;
  g_autofree char *body = NULL;
  char *nonce;
  const char *id;
  const char *masked;

  g_return_val_if_fail (enrollment != NULL, FALSE);
  g_return_val_if_fail (g_strcmp0 (channel, "email") == 0 || g_strcmp0 (channel, "sms") == 0,
                        FALSE);
  g_return_val_if_fail (address != NULL, FALSE);

  if (g_cancellable_set_error_if_cancelled (cancellable, error) || !discover (enrollment, error))
    return FALSE;
  /* The new nonce replaces the one of the enrollment in progress only when
   * the server takes the start: a refused one (429) leaves that enrollment
   * and its code usable. */
  nonce = random_b64url (NONCE_BYTES);
  request = json_pack ("{s:i, s:s, s:s, s:s}", "v", 1, "channel", channel, "address", address,
                       "client_nonce", nonce);
  body = entsec_json_dump (request);
  if (!g_cancellable_set_error_if_cancelled (cancellable, error))
    answer = call_json (enrollment, "POST", enrollment->enroll_start, NULL, body,
                        "enrollment answer", error);
  id = answer != NULL ? entsec_json_get_string (answer, "enrollment_id", &local) : NULL;
  masked = id != NULL ? entsec_json_get_string (answer, "masked_address", &local) : NULL;
  if (masked == NULL)
    {
      if (answer != NULL)
        set_bad_response (error, "enrollment answer", local);
      entsec_secure_strfree (nonce);
      return FALSE;
    }
  entsec_secure_strfree (enrollment->client_nonce);
  enrollment->client_nonce = nonce;
  g_free (enrollment->enrollment_id);
  enrollment->enrollment_id = g_strdup (id);
  g_free (enrollment->masked_address);
  enrollment->masked_address = entsec_dup_printable (masked, -1, 254);
  g_free (enrollment->channel);
  enrollment->channel = g_strdup (channel);
  g_free (enrollment->address);
  enrollment->address = g_strdup (address);
  enrollment->started_at = g_get_real_time () / G_USEC_PER_SEC;
  enrollment->expires_in = answer_seconds (answer, "expires_in", 600);
  enrollment->resend_after = answer_seconds (answer, "resend_after", 60);
  enrollment->max_attempts = answer_seconds (answer, "max_attempts", 0);
  enrollment->wrong_codes = 0;
  enrollment->retry_after = -1;
  return TRUE;
}

/* The `collect` names and the tenant salt of a verification answer. */
static gboolean
read_binding (json_t    *answer,
              Verified  *verified,
              GError   **error)
{
  json_t *names = json_object_get (answer, "collect");
  json_t *salt = json_object_get (answer, "tenant_salt");
  g_autoptr (GPtrArray) list = g_ptr_array_new ();
  g_autoptr (GError) local = NULL;
  gsize i;
  json_t *name;

  if (!json_is_array (names) || !json_is_string (salt))
    {
      g_set_error_literal (&local, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_BAD_RESPONSE,
                           "\"collect\" must be a list and \"tenant_salt\" a string");
      set_bad_response (error, "verification answer", local);
      return FALSE;
    }
  json_array_foreach (names, i, name)
    {
      if (!json_is_string (name))
        {
          g_set_error_literal (&local, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_BAD_RESPONSE,
                               "\"collect\" must list claim names");
          set_bad_response (error, "verification answer", local);
          return FALSE;
        }
      g_ptr_array_add (list, (gpointer) json_string_value (name));
    }
  g_ptr_array_add (list, NULL);
  if (!entsec_device_collect_from_names ((const char *const *) list->pdata, &verified->collect,
                                         &local))
    {
      set_bad_response (error, "verification answer", local);
      return FALSE;
    }
  verified->tenant_salt = entsec_base64url_decode (json_string_value (salt), -1, "tenant_salt",
                                                   &local);
  if (verified->tenant_salt == NULL)
    {
      set_bad_response (error, "verification answer", local);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_code (const char  *code,
            GError     **error)
{
  gsize len = strlen (code);
  gboolean ok = len >= 4 && len <= CODE_MAX_CHARS;

  for (const char *p = code; ok && *p != '\0'; p++)
    ok = g_ascii_isdigit (*p);
  if (!ok)
    g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_INVALID_CODE,
                 "The code must be the 4 to %d digits of the message you received", CODE_MAX_CHARS);
  return ok;
}

static gboolean
verify_code (EntsecEnroller *enrollment,
             const char       *code,
             Verified         *verified,
             GError          **error)
{
  g_autoptr (json_t) request = NULL;
  g_autoptr (json_t) answer = NULL;
  g_autoptr (GError) local = NULL;
  char *body;
  const char *token, *challenge;
  json_t *user;

  request = json_pack ("{s:i, s:s, s:s, s:s}", "v", 1, "enrollment_id",
                       enrollment->enrollment_id, "code", code,
                       "client_nonce", enrollment->client_nonce);
  body = entsec_json_dump (request);
  g_clear_pointer (&request, json_decref);
  answer = call_json (enrollment, "POST", enrollment->enroll_verify, NULL, body,
                      "verification answer", error);
  entsec_secure_strfree (body);
  if (answer == NULL)
    return FALSE;
  token = entsec_json_get_string (answer, "enrollment_token", &local);
  challenge = token != NULL ? entsec_json_get_string (answer, "registration_challenge", &local)
                            : NULL;
  if (challenge == NULL)
    {
      set_bad_response (error, "verification answer", local);
      return FALSE;
    }
  if (!read_binding (answer, verified, error))
    return FALSE;
  verified->token = g_strdup (token);
  verified->challenge = g_strdup (challenge);
  user = json_object_get (answer, "user");
  if (json_is_string (json_object_get (user, "name")))
    verified->user_name = entsec_dup_printable (json_string_value (json_object_get (user, "name")),
                                                -1, 256);
  return TRUE;
}

/* The registration request, signed by @key (docs/protocol.md 8.3). */
static char **
registration_headers (EntsecEnroller *enrollment,
                      EVP_PKEY         *key,
                      const char       *jkt,
                      const char       *body,
                      GError          **error)
{
  const char *fields[] = { "Content-Type", "application/json", NULL };
  g_autofree char *target = g_strconcat (enrollment->issuer, "/v1/devices", NULL);
  g_autofree char *keyid = g_strconcat ("jkt:", jkt, NULL);
  g_autoptr (EntsecSignedFields) signed_fields = NULL;
  EntsecHttpMessage message = {
    .method = "POST",
    .target_uri = target,
    .fields = fields,
    .body = (const guint8 *) body,
    .body_len = strlen (body),
  };
  char **headers;

  signed_fields = entsec_httpsig_sign (&message, key, keyid,
                                       g_get_real_time () / G_USEC_PER_SEC, error);
  if (signed_fields == NULL)
    return NULL;
  headers = g_new0 (char *, 6);
  headers[0] = g_strdup ("Content-Type: application/json");
  headers[1] = g_strdup ("Accept: application/json");
  headers[2] = g_strconcat ("Content-Digest: ", signed_fields->content_digest, NULL);
  headers[3] = g_strconcat ("Signature-Input: ", signed_fields->signature_input, NULL);
  headers[4] = g_strconcat ("Signature: ", signed_fields->signature, NULL);
  return headers;
}

/* The registration body; *@claims_text gets its "device" member, kept for heartbeats. */
static char *
registration_body (EntsecEnroller *enrollment,
                   const Verified *verified,
                   EVP_PKEY       *key,
                   char          **claims_text,
                   GError        **error)
{
  g_autoptr (json_t) jwk = entsec_jwk_export_json (key, error);
  g_autoptr (json_t) claims = NULL;
  g_autoptr (json_t) request = NULL;

  if (jwk == NULL)
    return NULL;
  /* Only the groups the server asked for, as HMACs: no raw values before
   * a policy asks for them and the user agreed (docs/privacy.md). The
   * claims read at the verification: what the user was shown is sent. */
  claims = entsec_device_claims_build (enrollment->claims, verified->tenant_salt,
                                       verified->collect, ENTSEC_DEVICE_RAW_NONE, NULL, error);
  if (claims == NULL)
    return NULL;
  *claims_text = entsec_json_dump (claims);
  request = json_pack ("{s:i, s:s, s:s, s:O, s:O, s:{s:s, s:s}}", "v", 1,
                       "enrollment_token", verified->token,
                       "registration_challenge", verified->challenge,
                       "device_key", jwk, "device", claims,
                       "client", "name", PACKAGE_NAME, "version", PACKAGE_VERSION);
  return entsec_json_dump (request);
}

/* The payload of @jws (authority-signed, of type @typ) about this device and key. */
static json_t *
check_signed (EntsecEnroller *enrollment,
              const char       *jws,
              const char       *typ,
              const char       *device_id,
              const char       *jkt,
              GError          **error)
{
  g_autoptr (GBytes) payload = NULL;
  g_autoptr (json_t) object = NULL;
  g_autoptr (GError) local = NULL;
  g_autoptr (EVP_PKEY) key = NULL;
  gsize len = 0;
  const char *data;

  /* A rotation between discovery and now: the chain leads on from discovery's key. */
  key = entsec_authority_key_for (enrollment->authority_key, enrollment->authority_jkt, jws,
                                  enrollment->issuer, enrollment->tenant, &local);
  payload = key != NULL ? entsec_jws_verify (jws, strlen (jws), key, typ, &local) : NULL;
  data = payload != NULL ? g_bytes_get_data (payload, &len) : NULL;
  object = data != NULL ? entsec_json_load_object (data, len, ENTSEC_JSON_MAX_BYTES,
                                                   ENTSEC_JSON_MAX_DEPTH, typ, &local) : NULL;
  if (object != NULL
      && (g_strcmp0 (json_string_value (json_object_get (object, "iss")), enrollment->issuer) != 0
          || g_strcmp0 (json_string_value (json_object_get (object, "device_id")), device_id) != 0
          || g_strcmp0 (json_string_value (json_object_get (object, "key_jkt")), jkt) != 0))
    {
      g_set_error (&local, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                   "it is for another issuer, device or key");
      g_clear_pointer (&object, json_decref);
    }
  if (object != NULL && key != enrollment->authority_key
      && !take_authority (enrollment, g_steal_pointer (&key), &local))
    g_clear_pointer (&object, json_decref);
  if (object == NULL)
    {
      g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_BAD_RESPONSE,
                   "The server's %s is not signed by its authority key or not for this device "
                   "(%s): ask your administrator", typ, local->message);
      return NULL;
    }
  return g_steal_pointer (&object);
}

static gboolean
set_string (EntsecVault  *vault,
            const char   *name,
            const char   *value,
            GCancellable *cancellable,
            GError      **error)
{
  if (value == NULL)
    return entsec_vault_remove_pref_sync (vault, name, cancellable, error);
  return entsec_vault_set_pref_sync (vault, name, g_variant_new_string (value), cancellable,
                                     error);
}

/* Everything but the device id, which is written last: its presence means "enrolled". */
static gboolean
store_state (EntsecEnroller *enrollment,
             EntsecVault      *vault,
             EVP_PKEY         *key,
             const Verified   *verified,
             const char       *claims,
             json_t           *answer,
             json_t           *policy,
             GCancellable     *cancellable,
             GError          **error)
{
  gsize salt_len = 0;
  const guint8 *salt = g_bytes_get_data (verified->tenant_salt, &salt_len);
  g_autofree char *salt_text = entsec_base64url_encode (salt, salt_len);

  return entsec_device_session_store_key (key, vault, ENTSEC_PREF_DEVICE_KEY, cancellable, error)
         && entsec_vault_set_pref_sync (vault, ENTSEC_PREF_KEY_EPOCH, g_variant_new_int64 (1),
                                        cancellable, error)
         && entsec_vault_remove_pref_sync (vault, ENTSEC_PREF_DEVICE_KEY_NEXT, cancellable, error)
         && set_string (vault, ENTSEC_PREF_TENANT_SALT, salt_text, cancellable, error)
         && set_string (vault, ENTSEC_PREF_CLAIMS, claims, cancellable, error)
         && set_string (vault, ENTSEC_PREF_SERVER, enrollment->issuer, cancellable, error)
         && set_string (vault, ENTSEC_PREF_CA_FILE, enrollment->ca_file, cancellable, error)
         && set_string (vault, ENTSEC_PREF_PINS, enrollment->pins, cancellable, error)
         && set_string (vault, ENTSEC_PREF_USER_NAME, verified->user_name, cancellable, error)
         && set_string (vault, ENTSEC_PREF_AUTHORITY_JWK, enrollment->authority_jwk, cancellable,
                        error)
         && set_string (vault, ENTSEC_PREF_AUTHORITY_JKT, enrollment->authority_jkt, cancellable,
                        error)
         && set_string (vault, ENTSEC_PREF_AUTHORITY_TRUST,
                        enrollment->pinned_jkt != NULL ? "pinned" : "tofu", cancellable, error)
         && set_string (vault, ENTSEC_PREF_REGISTRATION,
                        json_string_value (json_object_get (answer, "registration")),
                        cancellable, error)
         && set_string (vault, ENTSEC_PREF_POLICY,
                        json_string_value (json_object_get (answer, "policy")), cancellable, error)
         && entsec_vault_set_pref_sync (vault, ENTSEC_PREF_POLICY_VERSION,
                                        g_variant_new_int64 (json_integer_value (
                                          json_object_get (policy, "policy_version"))),
                                        cancellable, error)
         && set_string (vault, ENTSEC_PREF_DEVICE_STATE,
                        json_string_value (json_object_get (policy, "device_state")),
                        cancellable, error);
}

static gboolean
register_device (EntsecEnroller *enrollment,
                 EntsecVault      *vault,
                 const Verified   *verified,
                 GCancellable     *cancellable,
                 GError          **error)
{
  g_autoptr (EVP_PKEY) key = entsec_ec_generate (error);
  g_autofree char *jkt = key != NULL ? entsec_jwk_thumbprint (key, error) : NULL;
  g_autofree char *claims = NULL;
  g_autofree char *body = jkt != NULL ? registration_body (enrollment, verified, key, &claims,
                                                           error)
                                      : NULL;
  g_auto (GStrv) headers = body != NULL ? registration_headers (enrollment, key, jkt, body, error)
                                        : NULL;
  g_autoptr (json_t) answer = NULL;
  g_autoptr (json_t) registration = NULL;
  g_autoptr (json_t) policy = NULL;
  g_autoptr (GError) local = NULL;
  const char *device_id;

  if (headers == NULL || g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  answer = call_json (enrollment, "POST", enrollment->devices, (const char * const *) headers,
                      body, "registration answer", error);
  if (answer == NULL)
    return FALSE;
  device_id = entsec_json_get_string (answer, "device_id", &local);
  if (device_id == NULL || !json_is_string (json_object_get (answer, "registration"))
      || !json_is_string (json_object_get (answer, "policy")))
    {
      set_bad_response (error, "registration answer", local);
      return FALSE;
    }
  registration = check_signed (enrollment,
                               json_string_value (json_object_get (answer, "registration")),
                               "entsec-registration+jwt", device_id, jkt, error);
  policy = registration != NULL
           ? check_signed (enrollment, json_string_value (json_object_get (answer, "policy")),
                           "entsec-policy+jwt", device_id, jkt, error)
           : NULL;
  if (policy == NULL)
    return FALSE;
  if (!json_is_integer (json_object_get (policy, "policy_version"))
      || json_integer_value (json_object_get (policy, "policy_version")) < 1)
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_BAD_RESPONSE,
                           "The server's first policy has no valid \"policy_version\"");
      return FALSE;
    }
  /* Nothing of a stale enrollment (or of a wipe's notice) outlives the new one. */
  return entsec_vault_remove_enterprise_data_sync (vault, error)
         && store_state (enrollment, vault, key, verified, claims, answer, policy, cancellable,
                         error)
         && set_string (vault, ENTSEC_PREF_DEVICE_ID, device_id, cancellable, error)
         && entsec_enterprise_keep_unlock_limit (vault, policy, cancellable, error)
         && entsec_enterprise_note_contact (vault, 0, cancellable, error);
}

/* A vault enrolled already is refused, unless its device key was lost with the keyring. */
static gboolean
check_not_enrolled (EntsecVault   *vault,
                    GCancellable  *cancellable,
                    GError       **error)
{
  g_autoptr (EntsecEnterpriseDevice) device = NULL;
  g_autoptr (GError) local = NULL;

  device = entsec_enterprise_device_load_sync (vault, cancellable, &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (device == NULL || device->key_lost)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
               "This vault is enrolled already (device %s at %s): unbind it first",
               device->device_id, device->server);
  return FALSE;
}

/* Reads this device's claims and what of them the server's `collect` sends. */
static gboolean
read_shared (EntsecEnroller *enrollment,
             GError        **error)
{
  g_autoptr (EntsecDeviceSources) sources = NULL;
  g_autoptr (GPtrArray) items = g_ptr_array_new_with_free_func (
    (GDestroyNotify) entsec_device_share_item_free);
  g_autoptr (json_t) claims = NULL;

  sources = entsec_enterprise_device_sources (enrollment->device_root);
  entsec_device_claims_free (enrollment->claims);
  enrollment->claims = entsec_device_claims_collect (sources);
  claims = entsec_device_claims_build (enrollment->claims, enrollment->verified.tenant_salt,
                                       enrollment->verified.collect, ENTSEC_DEVICE_RAW_NONE,
                                       items, error);
  if (claims == NULL)
    return FALSE;
  g_clear_pointer (&enrollment->shared, g_ptr_array_unref);
  enrollment->shared = g_steal_pointer (&items);
  return TRUE;
}

gboolean
entsec_enroller_verify_sync (EntsecEnroller *enrollment,
                             const char     *code,
                             GCancellable   *cancellable,
                             GError        **error)
{
  g_autoptr (GError) local = NULL;

  g_return_val_if_fail (enrollment != NULL, FALSE);
  g_return_val_if_fail (code != NULL, FALSE);

  if (enrollment->enrollment_id == NULL)
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_ENROLLMENT_EXPIRED,
                           "No enrollment was started: start one to receive a code");
      return FALSE;
    }
  if (enrollment->is_verified)
    return TRUE;
  if (!check_code (code, error) || g_cancellable_set_error_if_cancelled (cancellable, error)
      || !discover (enrollment, error))
    return FALSE;
  verified_clear (&enrollment->verified);
  if (!verify_code (enrollment, code, &enrollment->verified, &local))
    {
      /* A refusal of the server's (not of the format above) uses up an attempt. */
      if (g_error_matches (local, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_INVALID_CODE))
        enrollment->wrong_codes++;
      verified_clear (&enrollment->verified);
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (!read_shared (enrollment, error))
    {
      verified_clear (&enrollment->verified);
      return FALSE;
    }
  enrollment->is_verified = TRUE;
  return TRUE;
}

gboolean
entsec_enroller_register_sync (EntsecEnroller *enrollment,
                               EntsecVault    *vault,
                               GCancellable   *cancellable,
                               GError        **error)
{
  gboolean ok;

  g_return_val_if_fail (enrollment != NULL, FALSE);
  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);

  if (!enrollment->is_verified)
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_ENROLLMENT_EXPIRED,
                           "The code was not verified yet: enter the code you received first");
      return FALSE;
    }
  if (!check_not_enrolled (vault, cancellable, error))
    return FALSE;
  ok = register_device (enrollment, vault, &enrollment->verified, cancellable, error);
  /* The token and challenge are single use: the next try starts over. */
  verified_clear (&enrollment->verified);
  enrollment->is_verified = FALSE;
  return ok;
}

gboolean
entsec_enroller_complete_sync (EntsecEnroller *enrollment,
                                 EntsecVault      *vault,
                                 const char       *code,
                                 GCancellable     *cancellable,
                                 GError          **error)
{
  g_return_val_if_fail (enrollment != NULL, FALSE);
  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (code != NULL, FALSE);

  return entsec_enroller_verify_sync (enrollment, code, cancellable, error)
         && entsec_enroller_register_sync (enrollment, vault, cancellable, error);
}

/* ---- _async: the blocking calls in a worker thread ---- */

/*
 * EntsecEnroller is no GObject: the task has no source object and carries
 * the enrollment in its data; the caller keeps it alive until _finish.
 */
typedef struct
{
  EntsecEnroller *enrollment;
  EntsecVault *vault;
  char *channel;
  char *address;
  char *code;
} TaskData;

static void
task_data_free (gpointer data)
{
  TaskData *task_data = data;

  g_clear_object (&task_data->vault);
  g_free (task_data->channel);
  g_free (task_data->address);
  entsec_secure_strfree (task_data->code);
  g_free (task_data);
}

static void
start_thread (GTask        *task,
              gpointer      source,
              gpointer      data,
              GCancellable *cancellable)
{
  TaskData *task_data = data;
  GError *error = NULL;

  if (entsec_enroller_start_sync (task_data->enrollment, task_data->channel,
                                    task_data->address, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
complete_thread (GTask        *task,
                 gpointer      source,
                 gpointer      data,
                 GCancellable *cancellable)
{
  TaskData *task_data = data;
  GError *error = NULL;

  if (entsec_enroller_complete_sync (task_data->enrollment, task_data->vault, task_data->code,
                                       cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
verify_thread (GTask        *task,
               gpointer      source,
               gpointer      data,
               GCancellable *cancellable)
{
  TaskData *task_data = data;
  GError *error = NULL;

  if (entsec_enroller_verify_sync (task_data->enrollment, task_data->code, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
register_thread (GTask        *task,
                 gpointer      source,
                 gpointer      data,
                 GCancellable *cancellable)
{
  TaskData *task_data = data;
  GError *error = NULL;

  if (entsec_enroller_register_sync (task_data->enrollment, task_data->vault, cancellable,
                                     &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
run_task (TaskData            *task_data,
          gpointer             tag,
          GTaskThreadFunc      thread,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, tag);
  g_task_set_task_data (task, task_data, task_data_free);
  g_task_run_in_thread (task, thread);
}

static gboolean
finish_task (EntsecEnroller *enrollment,
             GAsyncResult     *result,
             gpointer          tag,
             GError          **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tag, FALSE);
  g_return_val_if_fail (((TaskData *) g_task_get_task_data (G_TASK (result)))->enrollment
                        == enrollment, FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
entsec_enroller_start_async (EntsecEnroller    *enrollment,
                               const char          *channel,
                               const char          *address,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  TaskData *task_data = g_new0 (TaskData, 1);

  g_return_if_fail (enrollment != NULL && channel != NULL && address != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  task_data->enrollment = enrollment;
  task_data->channel = g_strdup (channel);
  task_data->address = g_strdup (address);
  run_task (task_data, entsec_enroller_start_async, start_thread, cancellable, callback,
            user_data);
}

gboolean
entsec_enroller_start_finish (EntsecEnroller  *enrollment,
                                GAsyncResult      *result,
                                GError           **error)
{
  return finish_task (enrollment, result, entsec_enroller_start_async, error);
}

void
entsec_enroller_complete_async (EntsecEnroller    *enrollment,
                                  EntsecVault         *vault,
                                  const char          *code,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  TaskData *task_data = g_new0 (TaskData, 1);

  g_return_if_fail (enrollment != NULL && ENTSEC_IS_VAULT (vault) && code != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  task_data->enrollment = enrollment;
  task_data->vault = g_object_ref (vault);
  task_data->code = g_strdup (code);
  run_task (task_data, entsec_enroller_complete_async, complete_thread, cancellable, callback,
            user_data);
}

gboolean
entsec_enroller_complete_finish (EntsecEnroller  *enrollment,
                                   GAsyncResult      *result,
                                   GError           **error)
{
  return finish_task (enrollment, result, entsec_enroller_complete_async, error);
}

void
entsec_enroller_verify_async (EntsecEnroller      *enrollment,
                              const char          *code,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  TaskData *task_data;

  g_return_if_fail (enrollment != NULL && code != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  task_data = g_new0 (TaskData, 1);
  task_data->enrollment = enrollment;
  task_data->code = g_strdup (code);
  run_task (task_data, entsec_enroller_verify_async, verify_thread, cancellable, callback,
            user_data);
}

gboolean
entsec_enroller_verify_finish (EntsecEnroller  *enrollment,
                               GAsyncResult    *result,
                               GError         **error)
{
  return finish_task (enrollment, result, entsec_enroller_verify_async, error);
}

void
entsec_enroller_register_async (EntsecEnroller      *enrollment,
                                EntsecVault         *vault,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  TaskData *task_data;

  g_return_if_fail (enrollment != NULL && ENTSEC_IS_VAULT (vault));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  task_data = g_new0 (TaskData, 1);
  task_data->enrollment = enrollment;
  task_data->vault = g_object_ref (vault);
  run_task (task_data, entsec_enroller_register_async, register_thread, cancellable, callback,
            user_data);
}

gboolean
entsec_enroller_register_finish (EntsecEnroller  *enrollment,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  return finish_task (enrollment, result, entsec_enroller_register_async, error);
}

/* ---- What the assistant shows, and the enrollment kept across restarts ---- */

const char *
entsec_enroller_get_server (const EntsecEnroller *enrollment)
{
  g_return_val_if_fail (enrollment != NULL, NULL);
  return enrollment->server;
}

const char *
entsec_enroller_get_channel (const EntsecEnroller *enrollment)
{
  g_return_val_if_fail (enrollment != NULL, NULL);
  return enrollment->channel;
}

const char *
entsec_enroller_get_address (const EntsecEnroller *enrollment)
{
  g_return_val_if_fail (enrollment != NULL, NULL);
  return enrollment->address;
}

gint64
entsec_enroller_get_expires_at (const EntsecEnroller *enrollment)
{
  g_return_val_if_fail (enrollment != NULL, 0);
  return enrollment->enrollment_id != NULL ? enrollment->started_at + enrollment->expires_in : 0;
}

gint64
entsec_enroller_get_resend_at (const EntsecEnroller *enrollment)
{
  g_return_val_if_fail (enrollment != NULL, 0);
  return enrollment->enrollment_id != NULL ? enrollment->started_at + enrollment->resend_after
                                           : 0;
}

int
entsec_enroller_get_attempts_left (const EntsecEnroller *enrollment)
{
  g_return_val_if_fail (enrollment != NULL, -1);
  if (enrollment->enrollment_id == NULL || enrollment->max_attempts == 0)
    return -1;
  return (int) MAX (enrollment->max_attempts - enrollment->wrong_codes, 0);
}

gint64
entsec_enroller_get_retry_after (const EntsecEnroller *enrollment)
{
  g_return_val_if_fail (enrollment != NULL, -1);
  return enrollment->retry_after;
}

GPtrArray *
entsec_enroller_get_shared (const EntsecEnroller *enrollment)
{
  g_return_val_if_fail (enrollment != NULL, NULL);
  return enrollment->is_verified ? enrollment->shared : NULL;
}

char *
entsec_enroller_serialize (const EntsecEnroller *enrollment)
{
  g_autoptr (json_t) saved = NULL;

  g_return_val_if_fail (enrollment != NULL, NULL);
  g_return_val_if_fail (enrollment->enrollment_id != NULL, NULL);

  saved = json_pack ("{s:i, s:s, s:s?, s:s?, s:b, s:s?, s:s?, s:s, s:s, s:s, s:s, s:s, "
                     "s:I, s:I, s:I, s:I, s:I}",
                     "v", SAVED_VERSION, "server", enrollment->server,
                     "ca_file", enrollment->ca_file, "pins", enrollment->pins,
                     "pin_is_anchor", enrollment->pin_is_anchor,
                     "authority_jkt", enrollment->pinned_jkt,
                     "discovered_jkt", enrollment->authority_jkt != NULL
                     ? enrollment->authority_jkt : enrollment->discovered_jkt,
                     "channel", enrollment->channel, "address", enrollment->address,
                     "masked_address", enrollment->masked_address,
                     "enrollment_id", enrollment->enrollment_id,
                     "client_nonce", enrollment->client_nonce,
                     "started_at", (json_int_t) enrollment->started_at,
                     "expires_in", (json_int_t) enrollment->expires_in,
                     "resend_after", (json_int_t) enrollment->resend_after,
                     "max_attempts", (json_int_t) enrollment->max_attempts,
                     "wrong_codes", (json_int_t) enrollment->wrong_codes);
  return entsec_json_dump (saved);
}

/* An optional string member of a saved enrollment, checked and copied. */
static gboolean
saved_string (json_t      *saved,
              const char  *name,
              gboolean     required,
              char       **out,
              GError     **error)
{
  json_t *value = json_object_get (saved, name);

  if ((value == NULL || json_is_null (value)) && !required)
    return TRUE;
  if (!json_is_string (value) || json_string_length (value) == 0
      || json_string_length (value) > 2048)
    {
      g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_BAD_RESPONSE,
                   "The saved enrollment's \"%s\" is missing or not a short string: "
                   "cancel it and start again", name);
      return FALSE;
    }
  *out = g_strdup (json_string_value (value));
  return TRUE;
}

static gboolean
saved_count (json_t      *saved,
             const char  *name,
             gint64       max,
             gint64      *out,
             GError     **error)
{
  json_t *value = json_object_get (saved, name);

  if (!json_is_integer (value) || json_integer_value (value) < 0
      || json_integer_value (value) > max)
    {
      g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_BAD_RESPONSE,
                   "The saved enrollment's \"%s\" is missing or out of range: "
                   "cancel it and start again", name);
      return FALSE;
    }
  *out = json_integer_value (value);
  return TRUE;
}

/* Takes the members of @saved, checked, into @enrollment (whose server is set). */
static gboolean
read_saved (EntsecEnroller *enrollment,
            json_t         *saved,
            GError        **error)
{
  gint64 version = 0;

  if (!saved_count (saved, "v", G_MAXINT, &version, error))
    return FALSE;
  if (version != SAVED_VERSION)
    {
      g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_BAD_RESPONSE,
                   "The saved enrollment is of version %" G_GINT64_FORMAT ", not %d: "
                   "cancel it and start again", version, SAVED_VERSION);
      return FALSE;
    }
  return saved_string (saved, "discovered_jkt", FALSE, &enrollment->discovered_jkt, error)
         && saved_string (saved, "channel", TRUE, &enrollment->channel, error)
         && saved_string (saved, "address", TRUE, &enrollment->address, error)
         && saved_string (saved, "masked_address", TRUE, &enrollment->masked_address, error)
         && saved_string (saved, "enrollment_id", TRUE, &enrollment->enrollment_id, error)
         && saved_string (saved, "client_nonce", TRUE, &enrollment->client_nonce, error)
         && saved_count (saved, "started_at", G_MAXINT64 / 2, &enrollment->started_at, error)
         && saved_count (saved, "expires_in", SECONDS_MAX, &enrollment->expires_in, error)
         && saved_count (saved, "resend_after", SECONDS_MAX, &enrollment->resend_after, error)
         && saved_count (saved, "max_attempts", SECONDS_MAX, &enrollment->max_attempts, error)
         && saved_count (saved, "wrong_codes", SECONDS_MAX, &enrollment->wrong_codes, error);
}

EntsecEnroller *
entsec_enroller_deserialize (const char  *text,
                             gint64       now,
                             GError     **error)
{
  g_autoptr (json_t) saved = NULL;
  g_autoptr (EntsecEnroller) enrollment = NULL;
  g_autoptr (GError) local = NULL;
  json_t *anchor;
  EntsecEnrollerOptions options = { NULL };

  g_return_val_if_fail (text != NULL, NULL);

  saved = entsec_json_load_object (text, strlen (text), SAVED_MAX_BYTES, 2, "saved enrollment",
                                   &local);
  if (saved == NULL)
    {
      g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_BAD_RESPONSE,
                   "The saved enrollment is not readable (%s): cancel it and start again",
                   local->message);
      return NULL;
    }
  anchor = json_object_get (saved, "pin_is_anchor");
  options.server = json_string_value (json_object_get (saved, "server"));
  options.ca_file = json_string_value (json_object_get (saved, "ca_file"));
  options.pins = json_string_value (json_object_get (saved, "pins"));
  options.pin_is_anchor = json_is_true (anchor);
  options.authority_jkt = json_string_value (json_object_get (saved, "authority_jkt"));
  if (options.server == NULL || !json_is_boolean (anchor))
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_BAD_RESPONSE,
                           "The saved enrollment has no \"server\" or \"pin_is_anchor\": "
                           "cancel it and start again");
      return NULL;
    }
  enrollment = entsec_enroller_new (&options, error);
  if (enrollment == NULL || !read_saved (enrollment, saved, error))
    return NULL;
  if (g_strcmp0 (enrollment->channel, "email") != 0 && g_strcmp0 (enrollment->channel, "sms") != 0)
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_BAD_RESPONSE,
                           "The saved enrollment's \"channel\" is neither \"email\" nor "
                           "\"sms\": cancel it and start again");
      return NULL;
    }
  if (now >= entsec_enroller_get_expires_at (enrollment))
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_ENROLLMENT_EXPIRED,
                           "The code sent for this enrollment has expired: start again to get "
                           "a new one");
      return NULL;
    }
  return g_steal_pointer (&enrollment);
}

/* ---- The stored registration ---- */

void
entsec_enterprise_device_free (EntsecEnterpriseDevice *device)
{
  if (device == NULL)
    return;
  g_free (device->server);
  g_free (device->device_id);
  g_free (device->user_name);
  g_free (device->authority_jkt);
  g_free (device->authority_trust);
  g_free (device->device_state);
  g_free (device);
}

EntsecEnterpriseDevice *
entsec_enterprise_device_load_sync (EntsecVault   *vault,
                                    GCancellable  *cancellable,
                                    GError       **error)
{
  g_autoptr (EntsecEnterpriseDevice) device = g_new0 (EntsecEnterpriseDevice, 1);
  GError *local = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);

  device->device_id = entsec_enterprise_pref_dup_string (vault, ENTSEC_PREF_DEVICE_ID,
                                                         cancellable, &local);
  if (device->device_id == NULL)
    {
      if (local != NULL)
        g_propagate_error (error, local);
      return NULL;
    }
  device->server = entsec_enterprise_pref_dup_string (vault, ENTSEC_PREF_SERVER, cancellable,
                                                      &local);
  if (local == NULL)
    device->user_name = entsec_enterprise_pref_dup_string (vault, ENTSEC_PREF_USER_NAME,
                                                           cancellable, &local);
  if (local == NULL)
    device->authority_jkt = entsec_enterprise_pref_dup_string (vault, ENTSEC_PREF_AUTHORITY_JKT,
                                                               cancellable, &local);
  if (local == NULL)
    device->authority_trust = entsec_enterprise_pref_dup_string (vault,
                                                                 ENTSEC_PREF_AUTHORITY_TRUST,
                                                                 cancellable, &local);
  if (local == NULL)
    device->device_state = entsec_enterprise_pref_dup_string (vault, ENTSEC_PREF_DEVICE_STATE,
                                                              cancellable, &local);
  if (local == NULL)
    device->policy_version = entsec_enterprise_pref_get_int64 (vault, ENTSEC_PREF_POLICY_VERSION,
                                                               cancellable, &local);
  if (local == NULL)
    device->key_epoch = MAX (entsec_enterprise_pref_get_int64 (vault, ENTSEC_PREF_KEY_EPOCH,
                                                               cancellable, &local), 1);
  if (local == NULL)
    device->key_lost = entsec_device_key_lost (vault, cancellable);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return NULL;
    }
  return g_steal_pointer (&device);
}
