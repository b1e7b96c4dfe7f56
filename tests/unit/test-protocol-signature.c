/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-protocol-signature.c: RFC 9421 message signatures: the RFC's own
 * ecdsa-p256-sha256 example (Appendix B.2.4), the entsec profile's round
 * trips, tampering with each covered component, and the time window.
 */

#include "config.h"

#include <string.h>

#include "entsec-protocol.h"

/* RFC 9421 Appendix B.1.3, test-key-ecc-p256 (public and private JWK). */
static const char rfc9421_ecc_jwk[] =
  "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"test-key-ecc-p256\","
  "\"d\":\"UpuF81l-kOxbjf7T4mNSv0r5tN67Gim7rnf6EFpcYDs\","
  "\"x\":\"qIVYZVLCrPZHGHjP17CTW0_-D9Lfw0EkjqF7xB4FivA\","
  "\"y\":\"Mc4nN9LTDOBhfoUeg8Ye9WedFRhnZXZJA12Qp0zZ6F0\"}";

/* RFC 9421 Appendix B.2.4: the test-response message and its signature. */
static const char rfc9421_body[] = "{\"message\": \"good dog\"}";
static const char rfc9421_digest[] =
  "sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5a"
  "GgfLQ==:";
static const char rfc9421_input[] =
  "sig-b24=(\"@status\" \"content-type\" \"content-digest\" \"content-length\")"
  ";created=1618884473;keyid=\"test-key-ecc-p256\"";
static const char rfc9421_signature[] =
  "sig-b24=:wNmSUAhwb5LxtOtOpNa6W5xj067m5hFrj0XQ4fvpaCLx0NKocgPquLgyahnzDnDAUy5eCdlYUEkLIj+32oi"
  "asw==:";
static const char rfc9421_base[] =
  "\"@status\": 200\n"
  "\"content-type\": application/json\n"
  "\"content-digest\": sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX6"
  "9wWdXymyU0rjJuahq4l5aGgfLQ==:\n"
  "\"content-length\": 23\n"
  "\"@signature-params\": (\"@status\" \"content-type\" \"content-digest\" \"content-length\")"
  ";created=1618884473;keyid=\"test-key-ecc-p256\"";

static EVP_PKEY *
rfc9421_key (gboolean with_private)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) jwk = json_loads (rfc9421_ecc_jwk, 0, NULL);
  EVP_PKEY *key;

  if (!with_private)
    json_object_del (jwk, "d");
  key = entsec_jwk_import_json (jwk, with_private, &error);
  g_assert_no_error (error);
  return key;
}

static void
rfc9421_message (EntsecHttpMessage *message,
                 const char       **fields)
{
  const char *values[] = { "Date", "Tue, 20 Apr 2021 02:07:56 GMT",
                           "Content-Type", "application/json",
                           "Content-Digest", rfc9421_digest,
                           "Content-Length", "23",
                           "Signature-Input", rfc9421_input,
                           "Signature", rfc9421_signature,
                           NULL };

  memcpy (fields, values, sizeof values);
  *message = (EntsecHttpMessage) { NULL, NULL, 200, fields, (const guint8 *) rfc9421_body,
                                   strlen (rfc9421_body) };
}

static void
test_rfc9421_b24_base (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecHttpSignature) signature = NULL;
  g_autofree char *base = NULL;
  const char *fields[13];
  EntsecHttpMessage message;

  rfc9421_message (&message, fields);
  signature = entsec_http_signature_parse (&message, "sig-b24", &error);
  g_assert_no_error (error);
  g_assert_cmpint (signature->created, ==, 1618884473);
  g_assert_cmpint (signature->expires, ==, -1);
  g_assert_cmpstr (signature->keyid, ==, "test-key-ecc-p256");
  g_assert_cmpuint (g_bytes_get_size (signature->signature), ==, 64);
  base = entsec_http_signature_base (&message, signature, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (base, ==, rfc9421_base);
}

static void
test_rfc9421_b24_verify (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecHttpSignature) signature = NULL;
  g_autoptr (EVP_PKEY) key = rfc9421_key (FALSE);
  const char *fields[13];
  EntsecHttpMessage message;

  rfc9421_message (&message, fields);
  signature = entsec_http_signature_parse (&message, "sig-b24", &error);
  g_assert_no_error (error);
  g_assert_true (entsec_http_signature_verify (&message, signature, key, &error));
  g_assert_no_error (error);
  /* The published digest is the body's SHA-512 (RFC 9530). */
  g_assert_true (entsec_content_digest_check (rfc9421_digest, message.body, message.body_len,
                                              &error));
  g_assert_no_error (error);

  /* A covered field changed: the same published signature no longer verifies. */
  fields[3] = "application/json; charset=utf-8";
  g_assert_false (entsec_http_signature_verify (&message, signature, key, &error));
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_SIGNATURE);
  g_clear_error (&error);
  fields[3] = "application/json";
  message.status = 201;
  g_assert_false (entsec_http_signature_verify (&message, signature, key, &error));
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_SIGNATURE);
}

/* ---- The profile ------------------------------------------------------------------ */

#define NOW G_GINT64_CONSTANT (1767225600)

static const char request_body[] = "{\"v\":1,\"decision\":\"approve\"}";
static const char request_uri[] = "https://auth.example.com/v1/challenges/ch_1/response";

typedef struct
{
  EVP_PKEY           *key;
  EntsecSignedFields *signed_fields;
  const char         *fields[11];
  EntsecHttpMessage   message;
} Signed;

static void
signed_clear (Signed *s)
{
  entsec_signed_fields_free (s->signed_fields);
  EVP_PKEY_free (s->key);
}

/* Sign a request (with a body unless @empty) and fill the received message. */
static void
sign_request (Signed  *s,
              gboolean empty)
{
  g_autoptr (GError) error = NULL;
  const char *unsigned_fields[] = { "Content-Type", "application/json", NULL };
  EntsecHttpMessage message = { "POST", request_uri, 0, unsigned_fields,
                                empty ? NULL : (const guint8 *) request_body,
                                empty ? 0 : strlen (request_body) };
  guint n = 0;

  s->key = entsec_ec_generate (&error);
  g_assert_no_error (error);
  s->signed_fields = entsec_httpsig_sign (&message, s->key, "dev_test#1", NOW, &error);
  g_assert_no_error (error);
  g_assert_nonnull (s->signed_fields);
  s->fields[n++] = "Content-Type";
  s->fields[n++] = "application/json";
  if (s->signed_fields->content_digest != NULL)
    {
      s->fields[n++] = "Content-Digest";
      s->fields[n++] = s->signed_fields->content_digest;
    }
  s->fields[n++] = "Signature-Input";
  s->fields[n++] = s->signed_fields->signature_input;
  s->fields[n++] = "Signature";
  s->fields[n++] = s->signed_fields->signature;
  s->fields[n] = NULL;
  s->message = message;
  s->message.fields = s->fields;
}

static void
assert_verifies (Signed *s,
                 gint64  now)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecHttpSignature) signature = entsec_httpsig_verify (&s->message, s->key, now,
                                                                     &error);

  g_assert_no_error (error);
  g_assert_nonnull (signature);
  g_assert_cmpstr (signature->keyid, ==, "dev_test#1");
  g_assert_cmpuint (strlen (signature->nonce), ==, 22);
}

static void
assert_rejected (Signed *s,
                 gint64  now,
                 int     code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecHttpSignature) signature = entsec_httpsig_verify (&s->message, s->key, now,
                                                                     &error);

  g_assert_null (signature);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, code);
  g_assert_cmpstr (error->message, !=, "");
}

static void
test_profile_round_trip (void)
{
  Signed s = { 0 };

  sign_request (&s, FALSE);
  g_assert_true (g_str_has_prefix (s.signed_fields->signature_input,
                                   "entsec=(\"@method\" \"@target-uri\" \"content-digest\" "
                                   "\"content-type\");created=1767225600;expires=1767225900;"
                                   "nonce=\""));
  g_assert_true (g_str_has_suffix (s.signed_fields->signature_input,
                                   "\";keyid=\"dev_test#1\";alg=\"ecdsa-p256-sha256\""));
  assert_verifies (&s, NOW);
  signed_clear (&s);
}

static void
test_profile_no_body (void)
{
  Signed s = { 0 };

  sign_request (&s, TRUE);
  g_assert_null (s.signed_fields->content_digest);
  g_assert_true (g_str_has_prefix (s.signed_fields->signature_input,
                                   "entsec=(\"@method\" \"@target-uri\");"));
  assert_verifies (&s, NOW);
  /* A body added on the way is not covered: rejected. */
  s.message.body = (const guint8 *) request_body;
  s.message.body_len = strlen (request_body);
  assert_rejected (&s, NOW, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED);
  signed_clear (&s);
}

static void
test_profile_response (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EVP_PKEY) key = entsec_ec_generate (NULL);
  g_autoptr (EntsecSignedFields) out = NULL;
  g_autoptr (EntsecHttpSignature) signature = NULL;
  const char *fields[] = { "Content-Type", "application/problem+json", NULL };
  EntsecHttpMessage message = { NULL, NULL, 409, fields, (const guint8 *) "{}", 2 };
  const char *received[9] = { "Content-Type", "application/problem+json", NULL };

  out = entsec_httpsig_sign (&message, key, "authority", NOW, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (out->signature_input,
                                   "entsec=(\"@status\" \"content-digest\" \"content-type\");"));
  received[2] = "content-digest";
  received[3] = out->content_digest;
  received[4] = "signature-input";
  received[5] = out->signature_input;
  received[6] = "signature";
  received[7] = out->signature;
  message.fields = received;
  signature = entsec_httpsig_verify (&message, key, NOW, &error);
  g_assert_no_error (error);
  g_clear_pointer (&signature, entsec_http_signature_free);
  message.status = 200;
  signature = entsec_httpsig_verify (&message, key, NOW, &error);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_SIGNATURE);
}

static void
test_tamper_method (void)
{
  Signed s = { 0 };

  sign_request (&s, FALSE);
  s.message.method = "PUT";
  assert_rejected (&s, NOW, ENTSEC_PROTOCOL_ERROR_SIGNATURE);
  signed_clear (&s);
}

static void
test_tamper_target_uri (void)
{
  Signed s = { 0 };

  sign_request (&s, FALSE);
  s.message.target_uri = "https://auth.example.com/v1/challenges/ch_2/response";
  assert_rejected (&s, NOW, ENTSEC_PROTOCOL_ERROR_SIGNATURE);
  signed_clear (&s);
}

static void
test_tamper_body (void)
{
  Signed s = { 0 };

  sign_request (&s, FALSE);
  s.message.body = (const guint8 *) "{\"v\":1,\"decision\":\"deny!!\"}";
  assert_rejected (&s, NOW, ENTSEC_PROTOCOL_ERROR_DIGEST);
  signed_clear (&s);
}

static void
test_tamper_content_digest (void)
{
  Signed s = { 0 };
  g_autofree char *digest = NULL;
  const char other_body[] = "{\"v\":1,\"decision\":\"deny\"}";

  sign_request (&s, FALSE);
  /* Body and digest replaced consistently: the signature catches it. */
  digest = entsec_content_digest ((const guint8 *) other_body, strlen (other_body));
  s.fields[3] = digest;
  s.message.body = (const guint8 *) other_body;
  s.message.body_len = strlen (other_body);
  assert_rejected (&s, NOW, ENTSEC_PROTOCOL_ERROR_SIGNATURE);
  signed_clear (&s);
}

static void
test_tamper_content_type (void)
{
  Signed s = { 0 };

  sign_request (&s, FALSE);
  s.fields[1] = "text/plain";
  assert_rejected (&s, NOW, ENTSEC_PROTOCOL_ERROR_SIGNATURE);
  signed_clear (&s);
}

static void
test_tamper_params (void)
{
  Signed s = { 0 };
  g_autofree char *input = NULL;
  g_autoptr (GString) changed = NULL;

  sign_request (&s, FALSE);
  /* Another keyid under the same signature: the parameters are signed too. */
  changed = g_string_new (s.signed_fields->signature_input);
  g_string_replace (changed, "dev_test#1", "dev_test#2", 1);
  input = g_string_free (g_steal_pointer (&changed), FALSE);
  s.fields[5] = input;
  assert_rejected (&s, NOW, ENTSEC_PROTOCOL_ERROR_SIGNATURE);
  signed_clear (&s);
}

static void
test_wrong_key (void)
{
  Signed s = { 0 };

  sign_request (&s, FALSE);
  EVP_PKEY_free (s.key);
  s.key = entsec_ec_generate (NULL);
  assert_rejected (&s, NOW, ENTSEC_PROTOCOL_ERROR_SIGNATURE);
  signed_clear (&s);
}

static void
test_time_window (void)
{
  Signed s = { 0 };

  sign_request (&s, FALSE);
  assert_verifies (&s, NOW + ENTSEC_HTTPSIG_MAX_SKEW);
  assert_verifies (&s, NOW - ENTSEC_HTTPSIG_MAX_SKEW);
  /* Created too long ago, or too far in the future for this clock. */
  assert_rejected (&s, NOW + ENTSEC_HTTPSIG_MAX_SKEW + 1, ENTSEC_PROTOCOL_ERROR_TIME);
  assert_rejected (&s, NOW - ENTSEC_HTTPSIG_MAX_SKEW - 1, ENTSEC_PROTOCOL_ERROR_TIME);
  signed_clear (&s);
}

/* Sign params by hand with @created and @expires, then verify at @now. */
static void
check_window_params (gint64 created,
                     gint64 expires,
                     gint64 now,
                     int    expected_code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EVP_PKEY) key = entsec_ec_generate (NULL);
  g_autoptr (EntsecHttpSignature) signature = NULL;
  g_autofree char *input = g_strdup_printf ("entsec=(\"@method\" \"@target-uri\");created=%"
                                            G_GINT64_FORMAT ";expires=%" G_GINT64_FORMAT
                                            ";nonce=\"n\";keyid=\"k\";alg=\"ecdsa-p256-sha256\"",
                                            created, expires);
  g_autofree char *base = NULL;
  g_autofree char *b64 = NULL;
  g_autofree char *sig_field = NULL;
  const char *fields[] = { "Signature-Input", input, "Signature", "entsec=:AA==:", NULL };
  EntsecHttpMessage message = { "GET", request_uri, 0, fields, NULL, 0 };
  guint8 raw[ENTSEC_EC_SIGNATURE_SIZE];

  signature = entsec_http_signature_parse (&message, "entsec", &error);
  g_assert_no_error (error);
  base = entsec_http_signature_base (&message, signature, &error);
  g_assert_no_error (error);
  g_assert_true (entsec_ec_sign (key, (const guint8 *) base, strlen (base), raw, &error));
  b64 = g_base64_encode (raw, sizeof raw);
  sig_field = g_strdup_printf ("entsec=:%s:", b64);
  fields[3] = sig_field;
  g_clear_pointer (&signature, entsec_http_signature_free);
  signature = entsec_httpsig_verify (&message, key, now, &error);
  if (expected_code < 0)
    g_assert_no_error (error);
  else
    g_assert_error (error, ENTSEC_PROTOCOL_ERROR, expected_code);
}

static void
test_expires (void)
{
  /* Valid as signed: proves the helper's signature is right. */
  check_window_params (NOW, NOW + 30, NOW + 30, -1);
  /* Past expires, though created is within the skew. */
  check_window_params (NOW, NOW + 30, NOW + 31, ENTSEC_PROTOCOL_ERROR_TIME);
  /* A lifetime over 300 s, or expires not after created. */
  check_window_params (NOW, NOW + ENTSEC_HTTPSIG_LIFETIME + 1, NOW,
                       ENTSEC_PROTOCOL_ERROR_TIME);
  check_window_params (NOW, NOW, NOW, ENTSEC_PROTOCOL_ERROR_TIME);
}

static void
assert_input_rejected (const char *input,
                       int         code)
{
  g_autoptr (GError) error = NULL;
  const char *fields[] = { "Signature-Input", input, "Signature", "entsec=:AA==:", NULL };
  EntsecHttpMessage message = { "GET", request_uri, 0, fields, NULL, 0 };
  g_autoptr (EVP_PKEY) key = entsec_ec_generate (NULL);
  g_autoptr (EntsecHttpSignature) signature = entsec_httpsig_verify (&message, key, NOW, &error);

  g_assert_null (signature);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, code);
}

static void
test_profile_rules (void)
{
  /* Missing nonce. */
  assert_input_rejected ("entsec=(\"@method\" \"@target-uri\");created=1767225600;"
                         "expires=1767225660;keyid=\"k\";alg=\"ecdsa-p256-sha256\"",
                         ENTSEC_PROTOCOL_ERROR_MALFORMED);
  /* Another algorithm. */
  assert_input_rejected ("entsec=(\"@method\" \"@target-uri\");created=1767225600;"
                         "expires=1767225660;nonce=\"n\";keyid=\"k\";alg=\"ed25519\"",
                         ENTSEC_PROTOCOL_ERROR_UNSUPPORTED);
  /* An extra parameter. */
  assert_input_rejected ("entsec=(\"@method\" \"@target-uri\");created=1767225600;"
                         "expires=1767225660;nonce=\"n\";keyid=\"k\";alg=\"ecdsa-p256-sha256\";"
                         "tag=\"x\"", ENTSEC_PROTOCOL_ERROR_UNSUPPORTED);
  /* Too few components. */
  assert_input_rejected ("entsec=(\"@method\");created=1767225600;expires=1767225660;"
                         "nonce=\"n\";keyid=\"k\";alg=\"ecdsa-p256-sha256\"",
                         ENTSEC_PROTOCOL_ERROR_UNSUPPORTED);
  /* Component parameters. */
  assert_input_rejected ("entsec=(\"@method\";req \"@target-uri\");created=1767225600",
                         ENTSEC_PROTOCOL_ERROR_UNSUPPORTED);
  /* created of the wrong type; another label only. */
  assert_input_rejected ("entsec=(\"@method\" \"@target-uri\");created=\"1767225600\"",
                         ENTSEC_PROTOCOL_ERROR_MALFORMED);
  assert_input_rejected ("sig1=(\"@method\" \"@target-uri\")", ENTSEC_PROTOCOL_ERROR_MALFORMED);
  assert_input_rejected ("entsec=:AA==:", ENTSEC_PROTOCOL_ERROR_MALFORMED);
}

static void
test_content_digest (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *digest = entsec_content_digest ((const guint8 *) "{\"hello\": \"world\"}", 18);

  /* RFC 9530 section 2 (and RFC 9421 section 2.1): sha-256 of {"hello": "world"}. */
  g_assert_cmpstr (digest, ==, "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
  g_assert_false (entsec_content_digest_check ("md5=:AAAA:", (const guint8 *) "x", 1, &error));
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_UNSUPPORTED);
  g_clear_error (&error);
  g_assert_false (entsec_content_digest_check ("sha-256=\"abc\"", (const guint8 *) "x", 1,
                                               &error));
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/protocol/signature/rfc9421-b24-base", test_rfc9421_b24_base);
  g_test_add_func ("/protocol/signature/rfc9421-b24-verify", test_rfc9421_b24_verify);
  g_test_add_func ("/protocol/signature/round-trip", test_profile_round_trip);
  g_test_add_func ("/protocol/signature/no-body", test_profile_no_body);
  g_test_add_func ("/protocol/signature/response", test_profile_response);
  g_test_add_func ("/protocol/signature/tamper-method", test_tamper_method);
  g_test_add_func ("/protocol/signature/tamper-target-uri", test_tamper_target_uri);
  g_test_add_func ("/protocol/signature/tamper-body", test_tamper_body);
  g_test_add_func ("/protocol/signature/tamper-content-digest", test_tamper_content_digest);
  g_test_add_func ("/protocol/signature/tamper-content-type", test_tamper_content_type);
  g_test_add_func ("/protocol/signature/tamper-params", test_tamper_params);
  g_test_add_func ("/protocol/signature/wrong-key", test_wrong_key);
  g_test_add_func ("/protocol/signature/time-window", test_time_window);
  g_test_add_func ("/protocol/signature/expires", test_expires);
  g_test_add_func ("/protocol/signature/profile-rules", test_profile_rules);
  g_test_add_func ("/protocol/signature/content-digest", test_content_digest);
  return g_test_run ();
}
