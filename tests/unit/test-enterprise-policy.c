/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-enterprise-policy.c: a policy JWS is taken only when the pinned
 * authority key signed it for this device and key and it is valid at the
 * session's clock; the policy in force reads back as typed decisions.
 * No network: the session is loaded from a vault set up as an enrollment
 * leaves it.
 */

#include "config.h"

#include <string.h>

#include "entsec-device-session.h"
#include "entsec-ec.h"
#include "entsec-enterprise-private.h"
#include "entsec-enterprise-sync.h"
#include "entsec-json.h"
#include "entsec-jws.h"
#include "enterprise-test-util.h"

/* A policy as the server makes it, at NOW, with export allowed. */
static json_t *
policy_payload (Fixture *f)
{
  return json_pack ("{s:i, s:s, s:s, s:s, s:s, s:i, s:i, s:i, s:i, s:s, s:{s:{s:b}, s:{s:i}}}",
                    "v", 1, "iss", ISSUER, "tenant", "default", "device_id", DEVICE_ID,
                    "key_jkt", f->key_jkt, "policy_version", 3, "iat", NOW, "nbf", NOW,
                    "exp", NOW + 7 * 86400, "device_state", "active",
                    "settings", "tokens", "allow_export", TRUE,
                    "clipboard", "clear_after", 45);
}

static char *
sign (EVP_PKEY   *key,
      json_t     *payload,
      const char *typ)
{
  g_autofree char *text = entsec_json_dump (payload);
  g_autoptr (GError) error = NULL;
  char *jws = entsec_jws_sign (key, typ, NULL, (const guint8 *) text, strlen (text), &error);

  g_assert_no_error (error);
  return jws;
}

/* Whether the session at @now takes @payload signed by @key as a policy. */
static void
assert_verdict (Fixture    *f,
                EVP_PKEY   *key,
                json_t     *payload,
                gint64      now,
                const char *refusal)
{
  g_autoptr (EntsecDeviceSession) session = NULL;
  g_autofree char *jws = sign (key, payload, "entsec-policy+jwt");
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) taken = NULL;

  session = entsec_device_session_new (f->vault, now, NULL, &error);
  g_assert_no_error (error);
  taken = entsec_policy_verify (session, jws, NULL, &error);
  if (refusal == NULL)
    {
      g_assert_no_error (error);
      g_assert_true (json_equal (taken, payload));
      return;
    }
  g_assert_null (taken);
  g_assert_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_POLICY_INVALID);
  g_assert_nonnull (strstr (error->message, refusal));
  g_assert_nonnull (strstr (error->message, "last good policy stays"));
}

static void
test_taken (Fixture      *f,
            gconstpointer data)
{
  g_autoptr (json_t) payload = policy_payload (f);

  assert_verdict (f, f->authority, payload, NOW + 60, NULL);
}

static void
test_other_key (Fixture      *f,
                gconstpointer data)
{
  g_autoptr (json_t) payload = policy_payload (f);
  g_autoptr (EVP_PKEY) other = entsec_ec_generate (NULL);

  assert_verdict (f, other, payload, NOW + 60, "not signed by the pinned authority key");
}

/* Another key named in "kid" (docs/protocol.md 8.16): without a chain from
 * the pinned key, or with one that does not lead there, it is refused. */
static void
test_other_kid_without_chain (Fixture      *f,
                              gconstpointer data)
{
  g_autoptr (json_t) payload = policy_payload (f);
  g_autoptr (EVP_PKEY) other = entsec_ec_generate (NULL);
  g_autofree char *other_jkt = entsec_jwk_thumbprint (other, NULL);
  g_autoptr (EntsecDeviceSession) session = NULL;
  g_autoptr (GError) error = NULL;
  const char *refusal = "changed without a chain from the key this device trusts";

  session = entsec_device_session_new (f->vault, NOW + 60, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *text = NULL;
      g_autofree char *jws = NULL;
      g_autoptr (EVP_PKEY) signer = NULL;
      g_autoptr (json_t) taken = NULL;

      if (i == 1)
        json_object_set_new (payload, "authority_chain", json_array ());
      text = entsec_json_dump (payload);
      jws = entsec_jws_sign (other, "entsec-policy+jwt", other_jkt, (const guint8 *) text,
                             strlen (text), NULL);
      taken = entsec_policy_verify (session, jws, &signer, &error);
      g_assert_null (taken);
      g_assert_null (signer);
      g_assert_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_POLICY_INVALID);
      g_assert_nonnull (strstr (error->message, refusal));
      g_clear_error (&error);
    }
}

static void
test_other_device_or_key (Fixture      *f,
                          gconstpointer data)
{
  g_autoptr (json_t) device = policy_payload (f);
  g_autoptr (json_t) key = policy_payload (f);
  g_autoptr (json_t) issuer = policy_payload (f);

  json_object_set_new (device, "device_id", json_string ("dev_other"));
  assert_verdict (f, f->authority, device, NOW + 60, "another device or key");
  json_object_set_new (key, "key_jkt", json_string ("AAAA"));
  assert_verdict (f, f->authority, key, NOW + 60, "another device or key");
  json_object_set_new (issuer, "iss", json_string ("https://evil.example.com"));
  assert_verdict (f, f->authority, issuer, NOW + 60, "another server");
}

static void
test_times (Fixture      *f,
            gconstpointer data)
{
  g_autoptr (json_t) payload = policy_payload (f);

  assert_verdict (f, f->authority, payload, NOW + 7 * 86400, "expired");
  assert_verdict (f, f->authority, payload, NOW - 31, "not valid yet");
  /* Up to 30 s early is a clock difference, not a policy from the future. */
  assert_verdict (f, f->authority, payload, NOW - 30, NULL);
}

static void
test_malformed (Fixture      *f,
                gconstpointer data)
{
  g_autoptr (json_t) no_settings = policy_payload (f);
  g_autoptr (json_t) version = policy_payload (f);

  json_object_del (no_settings, "settings");
  assert_verdict (f, f->authority, no_settings, NOW + 60, "lacks a member");
  json_object_set_new (version, "policy_version", json_integer (0));
  assert_verdict (f, f->authority, version, NOW + 60, "lacks a member");
}

static void
test_typed_decisions (Fixture      *f,
                      gconstpointer data)
{
  g_autoptr (json_t) payload = policy_payload (f);
  g_autofree char *jws = sign (f->authority, payload, "entsec-policy+jwt");
  g_autoptr (EntsecEnterprisePolicy) policy = NULL;
  g_autoptr (GError) error = NULL;

  set_string (f->vault, ENTSEC_PREF_POLICY, jws);
  policy = entsec_enterprise_policy_load_sync (f->vault, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (policy->version, ==, 3);
  g_assert_cmpint (policy->expires_at, ==, NOW + 7 * 86400);
  g_assert_cmpstr (policy->device_state, ==, "active");
  g_assert_true (policy->allow_export);
  g_assert_cmpuint (policy->clipboard_clear_after, ==, 45);
  /* What the policy leaves out reads as the server's defaults. */
  g_assert_cmpint (policy->unlock_required, ==, ENTSEC_UNLOCK_REQUIRED_PASSPHRASE);
  g_assert_cmpuint (policy->max_attempts, ==, 10);
  g_assert_true (policy->allow_manual_add);
}

/*
 * A policy taken keeps its unlock limit where a locked vault reads it
 * (docs/security.md "Wrong unlocks"); wiping the enterprise data drops it.
 */
static void
test_unlock_limit_kept (Fixture      *f,
                        gconstpointer data)
{
  g_autoptr (json_t) payload = policy_payload (f);
  g_autoptr (EntsecDeviceSession) session = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *jws = NULL;
  EntsecVaultUnlockLimit limit;
  gboolean changed = FALSE, wiped = FALSE;

  json_object_set_new (json_object_get (payload, "settings"), "app_unlock",
                       json_pack ("{s:i, s:s}", "max_attempts", 4, "after_max_attempts", "wipe"));
  jws = sign (f->authority, payload, "entsec-policy+jwt");
  session = entsec_device_session_new (f->vault, NOW + 60, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (entsec_vault_get_unlock_limit_sync (f->vault, &limit, NULL, &error));
  g_assert_cmpint (limit.action, ==, ENTSEC_UNLOCK_LIMIT_NONE);
  g_assert_true (entsec_policy_take (session, jws, &changed, &wiped, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (entsec_vault_get_unlock_limit_sync (f->vault, &limit, NULL, &error));
  g_assert_cmpint (limit.action, ==, ENTSEC_UNLOCK_LIMIT_WIPE);
  g_assert_cmpuint (limit.max_attempts, ==, 4);
  g_assert_cmpuint (limit.attempts_left, ==, 4);
  g_assert_true (entsec_enterprise_wipe (session, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (entsec_vault_get_unlock_limit_sync (f->vault, &limit, NULL, &error));
  g_assert_cmpint (limit.action, ==, ENTSEC_UNLOCK_LIMIT_NONE);
}

static void
test_stored_policy_of_another_key (Fixture      *f,
                                   gconstpointer data)
{
  g_autoptr (json_t) payload = policy_payload (f);
  g_autoptr (EVP_PKEY) other = entsec_ec_generate (NULL);
  g_autofree char *jws = sign (other, payload, "entsec-policy+jwt");
  g_autoptr (EntsecEnterprisePolicy) policy = NULL;
  g_autoptr (GError) error = NULL;

  set_string (f->vault, ENTSEC_PREF_POLICY, jws);
  policy = entsec_enterprise_policy_load_sync (f->vault, NULL, &error);
  g_assert_null (policy);
  g_assert_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_POLICY_INVALID);
}

static void
on_synced (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  GError **error = user_data;

  g_assert_null (entsec_enterprise_sync_finish (ENTSEC_VAULT (source), result, error));
}

static void
test_not_enrolled (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecEnterprisePolicy) policy = NULL;

  g_assert_true (entsec_vault_remove_pref_sync (f->vault, ENTSEC_PREF_DEVICE_ID, NULL, &error));
  policy = entsec_enterprise_policy_load_sync (f->vault, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (policy);
  entsec_enterprise_sync_async (f->vault, 0, NULL, on_synced, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_NOT_ENROLLED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/enterprise-policy/taken", test_taken);
  ADD ("/enterprise-policy/other-key", test_other_key);
  ADD ("/enterprise-policy/other-kid-without-chain", test_other_kid_without_chain);
  ADD ("/enterprise-policy/other-device-or-key", test_other_device_or_key);
  ADD ("/enterprise-policy/times", test_times);
  ADD ("/enterprise-policy/malformed", test_malformed);
  ADD ("/enterprise-policy/typed-decisions", test_typed_decisions);
  ADD ("/enterprise-policy/stored-policy-of-another-key", test_stored_policy_of_another_key);
  ADD ("/enterprise-policy/not-enrolled", test_not_enrolled);
  ADD ("/enterprise-policy/unlock-limit-kept", test_unlock_limit_kept);
  return g_test_run ();
}
