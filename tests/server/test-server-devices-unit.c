/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-server-devices-unit.c: the device logic with a moved clock: the
 * request-nonce memory, the enrollment token's lifetime at registration, the
 * signature window against the server's time, op-challenge expiry, the
 * policy version, push delivery and expiry. Real SQLite in a temporary
 * directory, real keys.
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "entsec-protocol.h"
#include "server-authority.h"
#include "server-challenges.h"
#include "server-devices.h"
#include "server-init.h"
#include "server-private.h"
#include "server-policy.h"
#include "server-push.h"
#include "server-storage.h"
#include "server-tokens.h"
#include "storage-test.h"

#define T0 1767225600
#define ISSUER "https://auth.example.com"

typedef struct
{
  EntsecTestDb        db;
  EVP_PKEY           *authority;
  char               *authority_jkt;
  json_t             *authority_jwk;
  EntsecDeviceContext context;
  char               *token;
  char               *challenge;
} Fixture;

static void
add_verified_enrollment (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  EntsecUser user = { .id = "usr_a", .email = "a@example.com", .created = T0 };
  EntsecEnrollment e = { .id = "enr_a", .channel = "email", .address = "a@example.com",
                         .user_id = "usr_a", .created = T0, .expires = T0 + 600 };
  gint64 last = 0;
  gboolean updated = FALSE;

  g_assert_true (entsec_storage_user_create (f->db.storage, &user, &error));
  g_assert_true (entsec_storage_enrollment_start (f->db.storage, &e, 0, &last, &error));
  f->token = entsec_server_random_secret ();
  f->challenge = entsec_server_random_secret ();
  entsec_server_sha256 (f->token, strlen (f->token), e.token_sha256);
  entsec_server_sha256 (f->challenge, strlen (f->challenge), e.challenge_sha256);
  e.state = ENTSEC_ENROLLMENT_VERIFIED;
  e.token_expires = T0 + 600;
  g_assert_true (entsec_storage_enrollment_update (f->db.storage, &e, 0, &updated, &error));
  g_assert_no_error (error);
  g_assert_true (updated);
}

static void
setup (Fixture      *f,
       gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  entsec_test_db_setup (&f->db, "entsec-devices", TRUE);
  f->authority = entsec_ec_generate (&error);
  f->authority_jkt = entsec_jwk_thumbprint (f->authority, &error);
  f->authority_jwk = entsec_jwk_export_json (f->authority, &error);
  g_assert_no_error (error);
  f->context = (EntsecDeviceContext) {
    .storage = f->db.storage, .authority = f->authority, .authority_jkt = f->authority_jkt,
    .authority_jwk = f->authority_jwk, .issuer = ISSUER, .tenant = "default",
    .max_devices = 5,
  };
  add_verified_enrollment (f);
}

static void
teardown (Fixture      *f,
          gconstpointer data)
{
  EVP_PKEY_free (f->authority);
  g_free (f->authority_jkt);
  json_decref (f->authority_jwk);
  g_free (f->token);
  g_free (f->challenge);
  entsec_test_db_teardown (&f->db);
}

/* A registration body for @key, signed at @signed_at; the result is the answer. */
static json_t *
register_at (Fixture  *f,
             EVP_PKEY *key,
             gint64    signed_at,
             gint64    now,
             GError  **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *jkt = entsec_jwk_thumbprint (key, &local_error);
  g_autofree char *keyid = g_strconcat ("jkt:", jkt, NULL);
  g_autoptr (json_t) body = json_pack ("{s:i,s:s,s:s,s:o,s:{s:s}}", "v", 1,
                                       "enrollment_token", f->token,
                                       "registration_challenge", f->challenge,
                                       "device_key", entsec_jwk_export_json (key, &local_error),
                                       "device", "machine_fp", "fp");
  g_autofree char *text = entsec_json_dump (body);
  const char *fields[] = { "content-type", "application/json", NULL, NULL, NULL, NULL,
                           NULL, NULL, NULL };
  EntsecHttpMessage message = { .method = "POST", .target_uri = ISSUER "/v1/devices",
                                .fields = fields, .body = (const guint8 *) text,
                                .body_len = strlen (text) };
  g_autoptr (EntsecSignedFields) sig = entsec_httpsig_sign (&message, key, keyid, signed_at,
                                                            &local_error);

  g_assert_no_error (local_error);
  fields[2] = "content-digest";
  fields[3] = sig->content_digest;
  fields[4] = "signature-input";
  fields[5] = sig->signature_input;
  fields[6] = "signature";
  fields[7] = sig->signature;
  return entsec_device_register (&f->context, &message, body, now, error);
}

static void
test_nonce_memory (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  gboolean fresh = FALSE;

  g_assert_true (entsec_storage_nonce_remember (f->db.storage, "dev_a#1", "n1", T0, T0 + 600,
                                                &fresh, &error));
  g_assert_true (fresh);
  g_assert_true (entsec_storage_nonce_remember (f->db.storage, "dev_a#1", "n1", T0 + 599,
                                                T0 + 1199, &fresh, &error));
  g_assert_false (fresh);
  /* another key may use the same nonce */
  g_assert_true (entsec_storage_nonce_remember (f->db.storage, "dev_b#1", "n1", T0 + 599,
                                                T0 + 1199, &fresh, &error));
  g_assert_true (fresh);
  /* past its time the row is pruned */
  g_assert_true (entsec_storage_nonce_remember (f->db.storage, "dev_a#1", "n1", T0 + 601,
                                                T0 + 1201, &fresh, &error));
  g_assert_no_error (error);
  g_assert_true (fresh);
}

static void
test_token_lifetime (Fixture      *f,
                     gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EVP_PKEY) key = entsec_ec_generate (&error);
  g_autoptr (json_t) late = register_at (f, key, T0 + 600, T0 + 600, &error);
  g_autoptr (json_t) in_time = NULL;

  g_assert_null (late);
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_EXPIRED);
  g_clear_error (&error);
  in_time = register_at (f, key, T0 + 599, T0 + 599, &error);
  g_assert_no_error (error);
  g_assert_nonnull (in_time);
}

static void
test_signature_window (Fixture      *f,
                       gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EVP_PKEY) key = entsec_ec_generate (&error);
  g_autoptr (json_t) stale = register_at (f, key, T0, T0 + 61, &error);
  g_autoptr (json_t) early = NULL;
  g_autoptr (json_t) fine = NULL;

  g_assert_null (stale);
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_SIGNATURE);
  g_clear_error (&error);
  early = register_at (f, key, T0 + 61, T0, &error);
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_SIGNATURE);
  g_clear_error (&error);
  fine = register_at (f, key, T0, T0 + 60, &error);
  g_assert_no_error (error);
  g_assert_nonnull (fine);
}

static EntsecDevice *
registered (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EVP_PKEY) key = entsec_ec_generate (&error);
  g_autoptr (json_t) answer = register_at (f, key, T0, T0, &error);
  EntsecDevice *device;

  g_assert_no_error (error);
  device = entsec_storage_device_get (f->db.storage,
                                      json_string_value (json_object_get (answer, "device_id")),
                                      &error);
  g_assert_no_error (error);
  g_assert_nonnull (device);
  return device;
}

/* Register a new device; its key into *@key. Returns: its keyid ("dev_...#1"). */
static char *
register_key (Fixture   *f,
              EVP_PKEY **key)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) answer = NULL;

  *key = entsec_ec_generate (&error);
  answer = register_at (f, *key, T0, T0, &error);
  g_assert_no_error (error);
  return g_strconcat (json_string_value (json_object_get (answer, "device_id")), "#1", NULL);
}

/* A request without a body signed by @key at @at (its fields borrow @sig). */
typedef struct
{
  const char         *fields[5];
  EntsecHttpMessage   message;
  EntsecSignedFields *sig;
} SignedRequest;

static void
sign_request (SignedRequest *r,
              EVP_PKEY      *key,
              const char    *keyid,
              const char    *method,
              const char    *target_uri,
              gint64         at)
{
  g_autoptr (GError) error = NULL;

  *r = (SignedRequest) { .message = { .method = method, .target_uri = target_uri } };
  r->message.fields = r->fields;
  r->sig = entsec_httpsig_sign (&r->message, key, keyid, at, &error);
  g_assert_no_error (error);
  r->fields[0] = "signature-input";
  r->fields[1] = r->sig->signature_input;
  r->fields[2] = "signature";
  r->fields[3] = r->sig->signature;
}

/* Whether @context takes @r as a request of @device_id at @now. */
static gboolean
accepted (const EntsecDeviceContext *context,
          const SignedRequest       *r,
          const char                *device_id,
          gint64                     now)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecDevice) device = entsec_device_authenticate (context, &r->message, device_id,
                                                                FALSE, now, &error);

  if (device == NULL)
    g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_SIGNATURE);
  return device != NULL;
}

static void
test_device_from_keyid (Fixture      *f,
                        gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EVP_PKEY) key = NULL;
  g_autofree char *keyid = register_key (f, &key);
  g_autofree char *id = g_strndup (keyid, strlen (keyid) - 2);
  g_autoptr (EntsecDevice) device = NULL;
  SignedRequest r;

  sign_request (&r, key, keyid, "GET", ISSUER "/v1/challenges/ch_a", T0);
  device = entsec_device_authenticate (&f->context, &r.message, NULL, FALSE, T0, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (device->id, ==, id);
  /* the same nonce again is a replay */
  g_assert_false (accepted (&f->context, &r, NULL, T0 + 1));
  entsec_signed_fields_free (r.sig);
}

/* Two instances on one database, each with its own poll window: a poll's
 * nonce stays in the memory of the instance that took it; a state-changing
 * request's is refused again by every instance (docs/protocol.md 2.4). */
static void
test_poll_nonces (Fixture      *f,
                  gconstpointer data)
{
  g_autoptr (EVP_PKEY) key = NULL;
  g_autofree char *keyid = register_key (f, &key);
  g_autofree char *id = g_strndup (keyid, strlen (keyid) - 2);
  g_autofree char *poll_uri = g_strconcat (ISSUER "/v1/devices/", id, "/events?wait=25", NULL);
  g_autofree char *status_uri = g_strconcat (ISSUER "/v1/devices/", id, "/status", NULL);
  g_autoptr (EntsecNonceWindow) window_a = entsec_nonce_window_new (100, 4);
  g_autoptr (EntsecNonceWindow) window_b = entsec_nonce_window_new (100, 4);
  EntsecDeviceContext a = f->context, b = f->context;
  SignedRequest poll, status;

  a.read_nonces = window_a;
  b.read_nonces = window_b;
  sign_request (&poll, key, keyid, "GET", poll_uri, T0);
  g_assert_true (accepted (&a, &poll, id, T0));
  g_assert_cmpuint (entsec_nonce_window_size (window_a), ==, 1);
  g_assert_false (accepted (&a, &poll, id, T0 + 1));
  /* the database never saw it: another instance takes it once (harmless:
   * a poll changes nothing), then refuses it too */
  g_assert_true (accepted (&b, &poll, id, T0 + 1));
  g_assert_false (accepted (&b, &poll, id, T0 + 2));
  /* past the second a window keeps it to, its signature is refused anyway */
  g_assert_false (accepted (&a, &poll, id, T0 + ENTSEC_HTTPSIG_MAX_SKEW + 1));
  /* a POST's nonce goes to the database, whatever window there is */
  sign_request (&status, key, keyid, "POST", status_uri, T0 + 2);
  g_assert_true (accepted (&a, &status, id, T0 + 2));
  g_assert_cmpuint (entsec_nonce_window_size (window_a), ==, 1);
  g_assert_false (accepted (&b, &status, id, T0 + 3));
  g_assert_false (accepted (&a, &status, id, T0 + 3));
  entsec_signed_fields_free (poll.sig);
  entsec_signed_fields_free (status.sig);
}

static void
test_op_challenge_expiry (Fixture      *f,
                          gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecDevice) device = registered (f);
  g_autoptr (json_t) request = json_pack ("{s:i,s:s}", "v", 1, "op", "unbind");
  g_autoptr (json_t) late = entsec_device_op_challenge (&f->context, device, request, T0, &error);
  g_autoptr (json_t) fresh = entsec_device_op_challenge (&f->context, device, request, T0 + 10,
                                                         &error);
  g_autoptr (json_t) late_body = json_pack ("{s:i,s:O}", "v", 1, "nonce",
                                            json_object_get (late, "nonce"));
  g_autoptr (json_t) fresh_body = json_pack ("{s:i,s:O}", "v", 1, "nonce",
                                             json_object_get (fresh, "nonce"));
  g_autoptr (json_t) refused = NULL;
  g_autoptr (json_t) receipt = NULL;

  g_assert_no_error (error);
  refused = entsec_device_unbind (&f->context, device, late_body,
                                  T0 + ENTSEC_DEVICE_OP_CHALLENGE_LIFETIME, &error);
  g_assert_null (refused);
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID);
  g_clear_error (&error);
  receipt = entsec_device_unbind (&f->context, device, fresh_body,
                                  T0 + 10 + ENTSEC_DEVICE_OP_CHALLENGE_LIFETIME - 1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (json_object_get (receipt, "receipt"));
}

/* A rekey body for @device with a fresh key (in *@key) and the nonce of @challenge. */
static json_t *
rekey_body (const EntsecDevice *device,
            json_t             *challenge,
            EVP_PKEY          **key)
{
  g_autoptr (GError) error = NULL;
  const char *nonce = json_string_value (json_object_get (challenge, "nonce"));
  g_autofree char *jkt = NULL;
  g_autofree char *proof = NULL;

  *key = entsec_ec_generate (&error);
  jkt = entsec_jwk_thumbprint (*key, &error);
  proof = entsec_rekey_proof_sign (*key, device->id, nonce, device->key_jkt, jkt, &error);
  g_assert_no_error (error);
  return json_pack ("{s:i,s:s,s:o,s:s}", "v", 1, "nonce", nonce,
                    "new_key", entsec_jwk_export_json (*key, &error), "proof", proof);
}

static void
test_rekey_challenge_expiry (Fixture      *f,
                             gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecDevice) device = registered (f);
  g_autoptr (json_t) request = json_pack ("{s:i,s:s}", "v", 1, "op", "rekey");
  g_autoptr (json_t) late = entsec_device_op_challenge (&f->context, device, request, T0, &error);
  g_autoptr (json_t) fresh = entsec_device_op_challenge (&f->context, device, request, T0 + 10,
                                                         &error);
  g_autoptr (EVP_PKEY) late_key = NULL;
  g_autoptr (EVP_PKEY) fresh_key = NULL;
  g_autoptr (json_t) late_body = rekey_body (device, late, &late_key);
  g_autoptr (json_t) fresh_body = rekey_body (device, fresh, &fresh_key);
  g_autoptr (json_t) refused = NULL;
  g_autoptr (json_t) answer = NULL;
  g_autoptr (EntsecDevice) stored = NULL;
  g_autofree char *fresh_jkt = entsec_jwk_thumbprint (fresh_key, &error);

  g_assert_no_error (error);
  refused = entsec_device_rekey (&f->context, device, late_body,
                                 T0 + ENTSEC_DEVICE_OP_CHALLENGE_LIFETIME, &error);
  g_assert_null (refused);
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID);
  g_clear_error (&error);
  answer = entsec_device_rekey (&f->context, device, fresh_body,
                                T0 + 10 + ENTSEC_DEVICE_OP_CHALLENGE_LIFETIME - 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_integer_value (json_object_get (answer, "key_epoch")), ==, 2);
  stored = entsec_storage_device_get (f->db.storage, device->id, &error);
  g_assert_cmpuint (stored->key_epoch, ==, 2);
  g_assert_cmpstr (stored->key_jkt, ==, fresh_jkt);
}

static gint64
policy_version (Fixture    *f,
                const char *device_id)
{
  g_autoptr (GError) error = NULL;
  gint64 version = 0;
  g_autofree char *jws = entsec_device_policy (&f->context, device_id, T0, &version, &error);
  g_autoptr (GBytes) payload = NULL;
  g_autoptr (json_t) policy = NULL;

  g_assert_no_error (error);
  payload = entsec_jws_verify (jws, strlen (jws), f->authority, "entsec-policy+jwt", &error);
  g_assert_no_error (error);
  policy = json_loadb (g_bytes_get_data (payload, NULL), g_bytes_get_size (payload), 0, NULL);
  g_assert_cmpint (json_integer_value (json_object_get (policy, "policy_version")), ==, version);
  return version;
}

static void
test_policy_version (Fixture      *f,
                     gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecDevice) device = registered (f);
  gboolean found = FALSE;

  g_assert_cmpint (policy_version (f, device->id), ==, 1);
  g_assert_cmpint (policy_version (f, device->id), ==, 1);
  g_assert_true (entsec_storage_policy_set (f->db.storage, "tenant",
                                            "{\"tokens\":{\"min_digits\":7}}", T0, &error));
  g_assert_cmpint (policy_version (f, device->id), ==, 2);
  /* the same settings written again are no change */
  g_assert_true (entsec_storage_policy_set (f->db.storage, "tenant",
                                            "{\"tokens\":{\"min_digits\":7}}", T0, &error));
  g_assert_cmpint (policy_version (f, device->id), ==, 2);
  g_assert_true (entsec_device_set_state (&f->context, device->id, ENTSEC_DEVICE_REVOKED,
                                          &found, &error));
  g_assert_true (found);
  g_assert_cmpint (policy_version (f, device->id), ==, 3);
  g_assert_false (entsec_device_set_state (&f->context, "dev_none", ENTSEC_DEVICE_REVOKED,
                                           &found, &error));
  g_assert_no_error (error);
  g_assert_false (found);
}

/* Every key file of @dir goes; returns how many there were. */
static guint
remove_key_files (const char *dir)
{
  g_autoptr (GDir) listing = g_dir_open (dir, 0, NULL);
  const char *name;
  guint count = 0;

  while ((name = g_dir_read_name (listing)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_str_has_suffix (name, ".pem") || g_str_has_suffix (name, ".key"))
        {
          g_unlink (path);
          count += g_str_has_suffix (name, ".pem") ? 1 : 0;
        }
    }
  return count;
}

/* A seal key (token-seal.key) of its own in @dir. */
static EntsecTokens *
sealer_in (Fixture    *f,
           const char *dir)
{
  g_autoptr (GError) error = NULL;
  EntsecTokens *sealer;

  g_assert_true (entsec_tokens_make_key (dir, &error));
  sealer = entsec_tokens_new (f->db.storage, dir, &error);
  g_assert_no_error (error);
  return sealer;
}

/* Key 1 as a database from before the private keys were stored has it:
 * the public half in the database, the private half a file. */
static void
add_unsealed_first_key (Fixture *f)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (f->db.dir, "authority-key.pem", NULL);
  g_autofree char *jwk = entsec_json_dump (f->authority_jwk);
  EntsecAuthorityKey row = { .seq = 1, .jkt = f->authority_jkt, .jwk = jwk, .created = T0 };

  g_assert_true (entsec_server_write_private_key (f->authority, path, &error));
  g_assert_true (entsec_storage_authority_key_add (f->db.storage, &row, &error));
  g_assert_no_error (error);
}

static void
test_authority_rotation (Fixture      *f,
                         gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *other_dir = g_dir_make_tmp ("entsec-other-seal-XXXXXX", NULL);
  g_autoptr (EntsecTokens) sealer = sealer_in (f, f->db.dir);
  g_autoptr (EntsecTokens) other = sealer_in (f, other_dir);
  g_autoptr (EntsecAuthority) first = NULL;
  g_autoptr (EntsecAuthority) second = NULL;
  g_autoptr (EntsecAuthority) again = NULL;
  g_autoptr (EntsecAuthority) refused = NULL;
  g_autoptr (GPtrArray) keys = NULL;
  g_autoptr (GBytes) payload = NULL;
  g_autoptr (json_t) link = NULL;
  g_autoptr (EntsecDevice) device = registered (f);
  const char *text;

  g_assert_cmpint (policy_version (f, device->id), ==, 1);
  add_unsealed_first_key (f);
  first = entsec_authority_load (f->db.storage, sealer, f->db.dir, T0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (first->seq, ==, 1);
  g_assert_cmpstr (first->jkt, ==, f->authority_jkt);
  g_assert_cmpuint (json_array_size (first->chain), ==, 0);
  /* the key file was imported: the database holds the key, sealed */
  keys = entsec_storage_authority_key_list (f->db.storage, &error);
  g_assert_no_error (error);
  g_assert_nonnull (((EntsecAuthorityKey *) g_ptr_array_index (keys, 0))->sealed_key);
  g_assert_cmpuint (remove_key_files (f->db.dir), ==, 1);
  second = entsec_authority_rotate (f->db.storage, sealer, first, ISSUER, "default", T0 + 5,
                                    &error);
  g_assert_no_error (error);
  g_assert_cmpuint (second->seq, ==, 2);
  g_assert_cmpuint (json_array_size (second->chain), ==, 1);
  g_assert_cmpuint (remove_key_files (f->db.dir), ==, 0); /* no file: the key is in the database */
  /* the link is the old key's signature over the new key */
  text = json_string_value (json_array_get (second->chain, 0));
  payload = entsec_jws_verify (text, strlen (text), f->authority, ENTSEC_ROTATION_TYP, &error);
  g_assert_no_error (error);
  link = json_loadb (g_bytes_get_data (payload, NULL), g_bytes_get_size (payload), 0, NULL);
  g_assert_cmpstr (json_string_value (json_object_get (link, "prev_jkt")), ==, first->jkt);
  g_assert_cmpstr (json_string_value (json_object_get (link, "jkt")), ==, second->jkt);
  g_assert_cmpint (json_integer_value (json_object_get (link, "iat")), ==, T0 + 5);
  /* a second rotation from the retired key forks nothing */
  refused = entsec_authority_rotate (f->db.storage, sealer, first, ISSUER, "default", T0 + 6,
                                     &error);
  g_assert_null (refused);
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFLICT);
  g_clear_error (&error);
  /* another seal key opens nothing */
  g_assert_null (entsec_authority_load (f->db.storage, other, f->db.dir, T0 + 7, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "does not open with token-seal.key"));
  g_clear_error (&error);
  /* another instance, with the same seal key and no key file, signs with key 2 */
  again = entsec_authority_load (f->db.storage, sealer, other_dir, T0 + 7, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->seq, ==, 2);
  g_assert_cmpstr (again->jkt, ==, second->jkt);
  g_assert_true (json_equal (again->chain, second->chain));
  /* a policy signed by the new key is a new version */
  EVP_PKEY_free (f->authority);
  f->authority = EVP_PKEY_dup (again->key);
  f->context.authority = f->authority;
  f->context.authority_jkt = again->jkt;
  g_assert_cmpint (policy_version (f, device->id), ==, 2);
  remove_key_files (f->db.dir);
  remove_key_files (other_dir);
  g_rmdir (other_dir);
}

/* The current key neither in the database nor in a file: refused, saying which file. */
static void
test_authority_missing (Fixture      *f,
                        gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecTokens) sealer = sealer_in (f, f->db.dir);

  add_unsealed_first_key (f);
  remove_key_files (f->db.dir);
  g_assert_null (entsec_authority_load (f->db.storage, sealer, f->db.dir, T0, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "authority-key.pem, the current authority key"));
  remove_key_files (f->db.dir);
}

static void
test_events (Fixture      *f,
             gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecDevice) device = registered (f);
  g_autoptr (json_t) request = json_pack ("{s:i,s:s}", "v", 1, "type", "wipe");
  g_autoptr (json_t) command = entsec_device_command_add (&f->context, device->id, "adm_a",
                                                          request, T0 + 5, &error);
  g_autoptr (json_t) note = json_pack ("{s:i}", "v", 1);
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (GPtrArray) later = NULL;
  g_autoptr (json_t) body = NULL;
  EntsecDeviceEvent *first, *second;

  g_assert_no_error (error);
  g_assert_true (entsec_device_event_add (&f->context, device->id, "policy", note, T0 + 6,
                                          &error));
  events = entsec_storage_device_event_list (f->db.storage, device->id, 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 2);
  first = g_ptr_array_index (events, 0);
  second = g_ptr_array_index (events, 1);
  g_assert_cmpstr (first->type, ==, "command");
  g_assert_cmpint (first->created, ==, T0 + 5);
  body = json_loads (first->body, 0, NULL);
  g_assert_cmpstr (json_string_value (json_object_get (body, "command_id")), ==,
                   json_string_value (json_object_get (command, "id")));
  g_assert_cmpstr (second->type, ==, "policy");
  later = entsec_storage_device_event_list (f->db.storage, device->id, first->seq, 10, &error);
  g_assert_cmpuint (later->len, ==, 1);
  g_assert_cmpint (((EntsecDeviceEvent *) g_ptr_array_index (later, 0))->seq, ==, second->seq);
}

/* That @device_id's stored events have the seqs @expected ("1,2,3"). */
static void
assert_event_seqs (Fixture    *f,
                   const char *device_id,
                   const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) events = entsec_storage_device_event_list (f->db.storage, device_id, 0,
                                                                   100, &error);
  g_autoptr (GString) text = g_string_new (NULL);

  g_assert_no_error (error);
  for (guint i = 0; i < events->len; i++)
    g_string_append_printf (text, "%s%" G_GINT64_FORMAT, i > 0 ? "," : "",
                            ((EntsecDeviceEvent *) g_ptr_array_index (events, i))->seq);
  g_assert_cmpstr (text->str, ==, expected);
}

/* Acknowledged events go at the device's next poll; unacknowledged ones
 * after ENTSEC_STORAGE_EVENT_KEEP, pruned when a later event is written. */
static void
test_events_pruned (Fixture      *f,
                    gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) note = json_pack ("{s:i}", "v", 1);
  gint64 count = -1, oldest = -1;

  for (int i = 0; i < 3; i++)
    g_assert_true (entsec_device_event_add (&f->context, "dev_a", "policy", note, T0 + i,
                                            &error));
  g_assert_true (entsec_device_event_add (&f->context, "dev_b", "policy", note, T0 + 3,
                                          &error));
  g_assert_no_error (error);
  g_assert_true (entsec_storage_device_events_stats (f->db.storage, &count, &oldest, &error));
  g_assert_cmpint (count, ==, 4);
  g_assert_cmpint (oldest, ==, T0);
  /* dev_a acknowledges through its second event: only the third stays; dev_b keeps its own */
  g_assert_true (entsec_storage_device_events_prune (f->db.storage, "dev_a", 2, T0, &error));
  g_assert_no_error (error);
  assert_event_seqs (f, "dev_a", "3");
  assert_event_seqs (f, "dev_b", "4");
  /* one second short of the retention nothing else goes ... */
  g_assert_true (entsec_device_event_add (&f->context, "dev_b", "policy", note,
                                          T0 + 2 + ENTSEC_STORAGE_EVENT_KEEP, &error));
  assert_event_seqs (f, "dev_a", "3");
  /* ... past it, the unacknowledged events of both devices go */
  g_assert_true (entsec_device_event_add (&f->context, "dev_b", "policy", note,
                                          T0 + 4 + ENTSEC_STORAGE_EVENT_KEEP, &error));
  g_assert_no_error (error);
  assert_event_seqs (f, "dev_a", "");
  assert_event_seqs (f, "dev_b", "5,6");
  g_assert_true (entsec_storage_device_events_stats (f->db.storage, &count, &oldest, &error));
  g_assert_cmpint (count, ==, 2);
  g_assert_cmpint (oldest, ==, T0 + 2 + ENTSEC_STORAGE_EVENT_KEEP);
}

static void
on_woken (gpointer data)
{
  (*(guint *) data)++;
}

static void
on_parked (gpointer data)
{
}

/* The push event of @device_id's last event: its data, and the push JWS's payload. */
static json_t *
last_push (Fixture    *f,
           const char *device_id,
           json_t    **payload)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) events = entsec_storage_device_event_list (f->db.storage, device_id, 0,
                                                                   100, &error);
  EntsecDeviceEvent *event;
  json_t *data;
  g_auto (GStrv) parts = NULL;
  g_autoptr (GBytes) text = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (events->len, >, 0);
  event = g_ptr_array_index (events, events->len - 1);
  g_assert_cmpstr (event->type, ==, "push");
  data = json_loads (event->body, 0, NULL);
  parts = g_strsplit (json_string_value (json_object_get (data, "push")), ".", 4);
  g_assert_cmpuint (g_strv_length (parts), ==, 3);
  text = entsec_base64url_decode (parts[1], -1, "payload", &error);
  g_assert_no_error (error);
  *payload = json_loadb (g_bytes_get_data (text, NULL), g_bytes_get_size (text), 0, NULL);
  return data;
}

/* An answer to the push in @data / @payload: the nonce and JWS digest it was sent. */
static json_t *
push_answer (json_t *data,
             json_t *payload,
             guint   number)
{
  const char *jws = json_string_value (json_object_get (data, "push"));
  guint8 digest[ENTSEC_SERVER_DIGEST_SIZE];
  g_autofree char *digest_text = NULL;

  entsec_server_sha256 (jws, strlen (jws), digest);
  digest_text = entsec_base64url_encode (digest, sizeof digest);
  return json_pack ("{s:i,s:O,s:s,s:s,s:i}", "v", 1, "nonce", json_object_get (payload, "nonce"),
                    "push_sha256", digest_text, "decision", "approve", "number", (int) number);
}

/* A push is delivered as an event that wakes the device's waiting poll; the
 * answer comes too late past "exp" (the clock moved, not waited for). */
static void
test_push_delivery_and_expiry (Fixture      *f,
                               gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecDevice) device = registered (f);
  g_autoptr (EntsecEventHub) hub = entsec_event_hub_new ();
  static const EntsecEventWaiterFuncs funcs = { on_parked, on_woken };
  g_autoptr (EntsecPush) push = NULL;
  g_autoptr (EntsecPush) second = NULL;
  g_autoptr (json_t) event = NULL;
  g_autoptr (json_t) payload = NULL;
  g_autoptr (json_t) answer = NULL;
  g_autoptr (json_t) late = NULL;
  g_autoptr (json_t) body = NULL;
  gint64 retry_after = 0;
  guint delivered = 0, woken = 0;

  f->context.events = hub;
  g_assert_true (entsec_event_hub_wait (hub, device->id, G_MAXINT64,
                                        entsec_event_hub_generation (hub), &funcs, &woken));
  push = entsec_push_start (f->db.storage, "rp_a", "usr_a", NULL, "enter", T0, &retry_after,
                            &error);
  g_assert_no_error (error);
  g_assert_true (entsec_push_deliver (&f->context, push, T0, &delivered, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (delivered, ==, 1);
  g_assert_cmpuint (woken, ==, 1);
  event = last_push (f, device->id, &payload);
  g_assert_cmpstr (json_string_value (json_object_get (payload, "challenge_id")), ==, push->id);
  g_assert_cmpint (json_integer_value (json_object_get (payload, "exp")), ==, T0 + 60);
  g_assert_null (json_object_get (json_object_get (payload, "number_matching"), "choices"));

  body = push_answer (event, payload, push->number);
  late = entsec_push_respond (&f->context, device, push->id, body, T0 + 61, &error);
  g_assert_null (late);
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_EXPIRED);
  g_clear_error (&error);

  /* in time, the same answer is taken */
  second = entsec_push_start (f->db.storage, "rp_a", "usr_a", NULL, "enter", T0 + 100,
                              &retry_after, &error);
  g_assert_true (entsec_push_deliver (&f->context, second, T0 + 100, &delivered, &error));
  json_decref (event);
  json_decref (payload);
  json_decref (body);
  event = last_push (f, device->id, &payload);
  body = push_answer (event, payload, second->number);
  answer = entsec_push_respond (&f->context, device, second->id, body, T0 + 159, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_string_value (json_object_get (answer, "state")), ==, "approved");
  f->context.events = NULL;
}

static void
test_settings_defaults_valid (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) defaults = entsec_policy_defaults ();

  g_assert_true (entsec_policy_check_settings (defaults, &error));
  g_assert_no_error (error);
}

/* A value taken already is a conflict (409 to a client), not a database
 * failure (500), and the refused call leaves nothing behind. */
static void
test_unique_conflict (Fixture      *f,
                      gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) commands = NULL;
  g_autoptr (GPtrArray) events = NULL;
  EntsecDeviceCommand command = { .id = (char *) "cmd_1", .device_id = (char *) "dev_1",
                                  .type = (char *) "wipe", .actor = (char *) "adm_1",
                                  .created = T0 };
  EntsecDeviceCommand twin = command;
  guint8 nonce[ENTSEC_SERVER_DIGEST_SIZE] = { 7 };

  g_assert_true (entsec_storage_command_add (f->db.storage, &command, "{\"n\":1}", &error));
  g_assert_no_error (error);
  twin.type = (char *) "lock";
  g_assert_false (entsec_storage_command_add (f->db.storage, &twin, "{\"n\":2}", &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFLICT);
  g_clear_error (&error);
  commands = entsec_storage_command_list (f->db.storage, "dev_1", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (commands->len, ==, 1);
  g_assert_cmpstr (((EntsecDeviceCommand *) commands->pdata[0])->type, ==, "wipe");
  /* the command and its event are one transaction: the refused twin's event
   * (stored first in it) was rolled back with it */
  events = entsec_storage_device_event_list (f->db.storage, "dev_1", 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (events->len, ==, 1);
  g_assert_cmpstr (((EntsecDeviceEvent *) events->pdata[0])->type, ==, "command");
  g_assert_cmpstr (((EntsecDeviceEvent *) events->pdata[0])->body, ==, "{\"n\":1}");

  g_assert_true (entsec_storage_op_challenge_add (f->db.storage, nonce, "dev_1", "rekey", T0 + 60,
                                                  &error));
  g_assert_false (entsec_storage_op_challenge_add (f->db.storage, nonce, "dev_1", "rekey", T0 + 60,
                                                   &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFLICT);
}

#define REGISTER_TOKENS 8
#define REGISTER_MAX 3

typedef struct
{
  EntsecStorage *storages[2];
  guint8         tokens[REGISTER_TOKENS][ENTSEC_SERVER_DIGEST_SIZE];
  guint8         challenges[REGISTER_TOKENS][ENTSEC_SERVER_DIGEST_SIZE];
  gint           started;
  gint           registered;
  gint           refused;
} RegisterRace;

/* One registration: racer i uses token i / 2, so each token is tried twice. */
static gpointer
register_one (gpointer data)
{
  RegisterRace *race = data;
  gint i = g_atomic_int_add (&race->started, 1);
  g_autofree char *id = g_strdup_printf ("dev_race%d", i);
  g_autofree char *jkt = g_strdup_printf ("jkt-race-%d", i);
  EntsecDevice device = { .id = id, .key_jwk = (char *) "{}", .key_jkt = jkt, .key_epoch = 1,
                          .claims = (char *) "{}", .created = T0, .last_seen = T0 };
  g_autoptr (GError) error = NULL;

  while (g_atomic_int_get (&race->started) < 2 * REGISTER_TOKENS)
    g_thread_yield ();
  if (entsec_storage_device_register (race->storages[i % 2], &device, race->tokens[i / 2],
                                      race->challenges[i / 2], T0 + 1, REGISTER_MAX, &error))
    g_atomic_int_inc (&race->registered);
  else if (g_error_matches (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_LIMIT)
           || g_error_matches (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID_CODE))
    g_atomic_int_inc (&race->refused);
  g_free (device.user_id);
  return NULL;
}

/* Registrations of one user race through two storage handles (as two
 * servers on one database): each enrollment token is used once and the
 * user ends with max_devices_per_user devices, not more. */
static void
test_register_race (Fixture      *f,
                    gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecStorage) other = entsec_test_storage_open (f->db.path, FALSE, &error);
  g_autoptr (GPtrArray) devices = NULL;
  RegisterRace race = { .storages = { f->db.storage, other } };

  g_assert_no_error (error);
  for (guint i = 0; i < REGISTER_TOKENS; i++)
    {
      g_autofree char *id = g_strdup_printf ("enr_race%u", i);
      EntsecEnrollment e = { .id = id, .channel = "email", .address = "a@example.com",
                             .user_id = "usr_a", .created = T0, .expires = T0 + 600 };
      gint64 last = 0;
      gboolean updated = FALSE;

      g_assert_true (entsec_storage_enrollment_start (f->db.storage, &e, 0, &last, &error));
      memset (e.token_sha256, (int) i + 1, sizeof e.token_sha256);
      memset (e.challenge_sha256, (int) i + 101, sizeof e.challenge_sha256);
      memcpy (race.tokens[i], e.token_sha256, sizeof e.token_sha256);
      memcpy (race.challenges[i], e.challenge_sha256, sizeof e.challenge_sha256);
      e.state = ENTSEC_ENROLLMENT_VERIFIED;
      e.token_expires = T0 + 600;
      g_assert_true (entsec_storage_enrollment_update (f->db.storage, &e, 0, &updated, &error));
      g_assert_true (updated);
    }
  entsec_test_run_threads (2 * REGISTER_TOKENS, register_one, &race);
  g_assert_cmpint (race.registered, ==, REGISTER_MAX);
  g_assert_cmpint (race.refused, ==, 2 * REGISTER_TOKENS - REGISTER_MAX);
  devices = entsec_storage_device_list (f->db.storage, "usr_a", NULL, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (devices->len, ==, REGISTER_MAX);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/server/devices/nonce-memory", Fixture, NULL, setup, test_nonce_memory, teardown);
  g_test_add ("/server/devices/token-lifetime", Fixture, NULL, setup, test_token_lifetime,
              teardown);
  g_test_add ("/server/devices/signature-window", Fixture, NULL, setup, test_signature_window,
              teardown);
  g_test_add ("/server/devices/device-from-keyid", Fixture, NULL, setup, test_device_from_keyid,
              teardown);
  g_test_add ("/server/devices/poll-nonces", Fixture, NULL, setup, test_poll_nonces, teardown);
  g_test_add ("/server/devices/op-challenge-expiry", Fixture, NULL, setup,
              test_op_challenge_expiry, teardown);
  g_test_add ("/server/devices/policy-version", Fixture, NULL, setup, test_policy_version,
              teardown);
  g_test_add ("/server/devices/rekey-challenge-expiry", Fixture, NULL, setup,
              test_rekey_challenge_expiry, teardown);
  g_test_add ("/server/devices/authority-rotation", Fixture, NULL, setup,
              test_authority_rotation, teardown);
  g_test_add ("/server/devices/authority-missing", Fixture, NULL, setup,
              test_authority_missing, teardown);
  g_test_add ("/server/devices/events", Fixture, NULL, setup, test_events, teardown);
  g_test_add ("/server/devices/events-pruned", Fixture, NULL, setup, test_events_pruned,
              teardown);
  g_test_add ("/server/devices/push-delivery-and-expiry", Fixture, NULL, setup,
              test_push_delivery_and_expiry, teardown);
  g_test_add ("/server/devices/unique-conflict", Fixture, NULL, setup, test_unique_conflict,
              teardown);
  g_test_add ("/server/devices/register-race", Fixture, NULL, setup, test_register_race,
              teardown);
  g_test_add_func ("/server/devices/settings-defaults", test_settings_defaults_valid);
  return g_test_run ();
}
