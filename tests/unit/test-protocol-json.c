/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-protocol-json.c: strict JSON loading, RFC 9457 problem documents,
 * the structured-field parser and strict base64url.
 */

#include "config.h"

#include <string.h>

#include "entsec-protocol.h"

static json_t *
load (const char *text,
      GError    **error)
{
  return entsec_json_load_object (text, strlen (text), 1024, 3, "The request", error);
}

static void
assert_load_fails (const char *text,
                   int         code,
                   const char *fragment)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) json = load (text, &error);

  g_assert_null (json);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, code);
  g_assert_nonnull (strstr (error->message, fragment));
}

static void
test_json_limits (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) json = load ("{\"a\":{\"b\":[1]}}", &error);
  g_autofree char *big = g_strnfill (1025, ' ');

  /* Depth 3 is the limit given: accepted. */
  g_assert_no_error (error);
  g_assert_nonnull (json);
  assert_load_fails ("{\"a\":{\"b\":[[1]]}}", ENTSEC_PROTOCOL_ERROR_LIMIT, "deeper than 3");
  big[0] = '{';
  big[1] = '}';
  assert_load_fails (big, ENTSEC_PROTOCOL_ERROR_LIMIT, "1025 bytes");
  assert_load_fails ("{\"a\":1,\"a\":2}", ENTSEC_PROTOCOL_ERROR_MALFORMED, "duplicate");
  assert_load_fails ("{\"x\":{\"a\":1,\"a\":1}}", ENTSEC_PROTOCOL_ERROR_MALFORMED, "duplicate");
  assert_load_fails ("{} {}", ENTSEC_PROTOCOL_ERROR_MALFORMED, "not valid JSON");
  assert_load_fails ("[1]", ENTSEC_PROTOCOL_ERROR_MALFORMED, "must be a JSON object");
  assert_load_fails ("{\"a\":\"\xff\"}", ENTSEC_PROTOCOL_ERROR_MALFORMED, "not valid JSON");
  assert_load_fails ("{\"a\":\"\\u0000\"}", ENTSEC_PROTOCOL_ERROR_MALFORMED, "not valid JSON");
}

static void
test_json_members (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) json = load ("{\"s\":\"x\",\"i\":7,\"o\":{}}", &error);
  gint64 i = 0;

  g_assert_no_error (error);
  g_assert_cmpstr (entsec_json_get_string (json, "s", &error), ==, "x");
  g_assert_true (entsec_json_get_int (json, "i", &i, &error));
  g_assert_cmpint (i, ==, 7);
  g_assert_nonnull (entsec_json_get_object (json, "o", &error));
  g_assert_no_error (error);
  g_assert_null (entsec_json_get_string (json, "i", &error));
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED);
  g_assert_nonnull (strstr (error->message, "\"i\" must be a string"));
  g_clear_error (&error);
  g_assert_false (entsec_json_get_int (json, "missing", &i, &error));
  g_assert_nonnull (strstr (error->message, "\"missing\" is missing"));
}

static void
test_problem_round_trip (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = entsec_problem_to_json (ENTSEC_PROBLEM_RATE_LIMITED, "Retry in 60 s");
  g_autoptr (EntsecProblem) problem = entsec_problem_parse (text, strlen (text), &error);

  g_assert_no_error (error);
  g_assert_cmpint (problem->type, ==, ENTSEC_PROBLEM_RATE_LIMITED);
  g_assert_cmpstr (problem->type_uri, ==, ENTSEC_PROBLEM_TYPE_PREFIX "rate_limited");
  g_assert_cmpuint (problem->status, ==, 429);
  g_assert_cmpstr (problem->detail, ==, "Retry in 60 s");
  g_assert_nonnull (problem->title);
}

static void
test_problem_types (void)
{
  /* Every type has a distinct code that maps back to it, and a status. */
  for (int t = ENTSEC_PROBLEM_INVALID_REQUEST; t <= ENTSEC_PROBLEM_INTERNAL; t++)
    {
      g_autofree char *uri = g_strconcat (ENTSEC_PROBLEM_TYPE_PREFIX,
                                          entsec_problem_type_code (t), NULL);

      g_assert_cmpint (entsec_problem_type_from_uri (uri), ==, t);
      g_assert_cmpuint (entsec_problem_type_status (t), >=, 400);
    }
  g_assert_cmpstr (entsec_problem_type_code (ENTSEC_PROBLEM_INVALID_SIGNATURE), ==,
                   "invalid_signature");
  g_assert_cmpstr (entsec_problem_type_code (ENTSEC_PROBLEM_POLICY_ROLLBACK), ==,
                   "policy_rollback");
  g_assert_null (entsec_problem_type_code (ENTSEC_PROBLEM_UNKNOWN));
  g_assert_cmpint (entsec_problem_type_from_uri ("https://example.com/x"), ==,
                   ENTSEC_PROBLEM_UNKNOWN);
}

static void
test_problem_parse (void)
{
  g_autoptr (GError) error = NULL;
  const char blank[] = "{\"title\":\"Nope\",\"status\":503}";
  const char bad_status[] = "{\"type\":\"x\",\"status\":\"500\"}";
  g_autoptr (EntsecProblem) problem = entsec_problem_parse (blank, strlen (blank), &error);

  g_assert_no_error (error);
  g_assert_cmpstr (problem->type_uri, ==, "about:blank");
  g_assert_cmpint (problem->type, ==, ENTSEC_PROBLEM_UNKNOWN);
  g_assert_cmpuint (problem->status, ==, 503);
  g_clear_pointer (&problem, entsec_problem_free);
  problem = entsec_problem_parse (bad_status, strlen (bad_status), &error);
  g_assert_null (problem);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED);
}

/* ---- Structured fields -------------------------------------------------------------- */

static GPtrArray *
parse_sf (const char *text,
          GError    **error)
{
  return entsec_sf_parse_dictionary (text, strlen (text), "The field", error);
}

static void
test_sf_round_trip (void)
{
  g_autoptr (GError) error = NULL;
  const char text[] = "a=(\"x\" \"y\\\\\\\"z\");n=-12;t=tok/en:1;b=:AQID:;f;g=?0, b=?1, "
                      "c=:/w==:;p=\"q\"";
  g_autoptr (GPtrArray) dict = parse_sf (text, &error);
  g_autofree char *a = NULL;
  g_autofree char *c = NULL;
  EntsecSfItem *item;

  g_assert_no_error (error);
  g_assert_cmpuint (dict->len, ==, 3);
  item = entsec_sf_dictionary_get (dict, "a");
  g_assert_cmpint (item->type, ==, ENTSEC_SF_INNER_LIST);
  g_assert_cmpstr (((EntsecSfItem *) g_ptr_array_index (item->items, 1))->string, ==, "y\\\"z");
  g_assert_cmpint (entsec_sf_item_get_param (item, "n")->integer, ==, -12);
  g_assert_cmpstr (entsec_sf_item_get_param (item, "t")->string, ==, "tok/en:1");
  g_assert_cmpuint (g_bytes_get_size (entsec_sf_item_get_param (item, "b")->bytes), ==, 3);
  a = entsec_sf_serialize_item (item);
  g_assert_cmpstr (a, ==, "(\"x\" \"y\\\\\\\"z\");n=-12;t=tok/en:1;b=:AQID:;f;g=?0");
  g_assert_true (entsec_sf_dictionary_get (dict, "b")->boolean);
  c = entsec_sf_serialize_item (entsec_sf_dictionary_get (dict, "c"));
  g_assert_cmpstr (c, ==, ":/w==:;p=\"q\"");
}

static void
assert_sf_fails (const char *text,
                 const char *fragment)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) dict = parse_sf (text, &error);

  g_assert_null (dict);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED);
  if (strstr (error->message, fragment) == NULL)
    g_error ("\"%s\": message \"%s\" lacks \"%s\"", text, error->message, fragment);
}

static void
test_sf_rejects (void)
{
  assert_sf_fails ("", "at least one member");
  assert_sf_fails ("a=1,", "a member after ','");
  assert_sf_fails ("a=1;;", "a key");
  assert_sf_fails ("A=1", "a key");
  assert_sf_fails ("a=1 b=2", "',' between members");
  assert_sf_fails ("a=1, a=2", "given twice");
  assert_sf_fails ("a=1;p;p", "given twice");
  assert_sf_fails ("a=1.5", "decimals");
  assert_sf_fails ("a=1234567890123456", "15 digits");
  assert_sf_fails ("a=\"open", "closing '\"'");
  assert_sf_fails ("a=\"bad\\n\"", "after a backslash");
  assert_sf_fails ("a=\"tab\there\"", "printable ASCII");
  assert_sf_fails ("a=:AQID", "closing ':'");
  assert_sf_fails ("a=:AQI:", "base64");
  assert_sf_fails ("a=:AQ-D:", "base64");
  assert_sf_fails ("a=(1 2", "' ' or ')' in an inner list expected at the end");
  assert_sf_fails ("a=(1\t2)", "' ' or ')'");
  assert_sf_fails ("a=?2", "'0' or '1'");
  assert_sf_fails ("a=@", "an item");
  assert_sf_fails ("a=-", "a digit");
}

static void
test_sf_limit (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text = g_strnfill (ENTSEC_SF_MAX_BYTES + 1, 'a');
  g_autoptr (GPtrArray) dict = parse_sf (text, &error);

  g_assert_null (dict);
  g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_LIMIT);
}

static void
test_base64url (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = entsec_base64url_decode ("_-8", -1, "x", &error);
  g_autofree char *text = NULL;
  const char *bad[] = { "_-8=", "/+8", "A", "AB=C", "AB C", "AR", NULL };

  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "\xff\xef", 2);
  text = entsec_base64url_encode ((const guint8 *) "\xff\xef", 2);
  g_assert_cmpstr (text, ==, "_-8");
  for (guint i = 0; bad[i] != NULL; i++)
    {
      g_autoptr (GBytes) none = entsec_base64url_decode (bad[i], -1, "The value", &error);

      g_assert_null (none);
      g_assert_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED);
      g_assert_true (g_str_has_prefix (error->message, "The value is not valid base64url"));
      g_clear_error (&error);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/protocol/json/limits", test_json_limits);
  g_test_add_func ("/protocol/json/members", test_json_members);
  g_test_add_func ("/protocol/json/problem-round-trip", test_problem_round_trip);
  g_test_add_func ("/protocol/json/problem-types", test_problem_types);
  g_test_add_func ("/protocol/json/problem-parse", test_problem_parse);
  g_test_add_func ("/protocol/json/sf-round-trip", test_sf_round_trip);
  g_test_add_func ("/protocol/json/sf-rejects", test_sf_rejects);
  g_test_add_func ("/protocol/json/sf-limit", test_sf_limit);
  g_test_add_func ("/protocol/json/base64url", test_base64url);
  return g_test_run ();
}
