/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-enroller-saved.c: an enrollment in progress kept across restarts
 * (entsec_enroller_serialize / _deserialize): what comes back, what is refused */

#include "config.h"

#include <string.h>

#include <entsec/entsec.h>

#define STARTED_AT 1700000000
#define SAVED(extra)                                                                             \
  "{\"v\":1,\"server\":\"https://auth.example.com:8443\",\"pins\":"                              \
  "\"sha256//r6N0eM6dJ6fv0vQ7LJ2ljXnWqn/0r+e8B3vPoZ0d1xk=\",\"pin_is_anchor\":true,"              \
  "\"authority_jkt\":\"NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs\",\"channel\":\"email\","     \
  "\"address\":\"ann@example.com\",\"masked_address\":\"a***@example.com\","                     \
  "\"enrollment_id\":\"enr_abc\",\"client_nonce\":\"bm9uY2Vub25jZW5vbmNlbm9uY2U\","              \
  "\"started_at\":1700000000,\"expires_in\":600,\"resend_after\":60,\"max_attempts\":5" extra "}"
#define GOOD SAVED (",\"wrong_codes\":2")

static void
check_restored (EntsecEnroller *enroller)
{
  g_assert_cmpstr (entsec_enroller_get_server (enroller), ==, "https://auth.example.com:8443");
  g_assert_cmpstr (entsec_enroller_get_channel (enroller), ==, "email");
  g_assert_cmpstr (entsec_enroller_get_address (enroller), ==, "ann@example.com");
  g_assert_cmpstr (entsec_enroller_get_masked_address (enroller), ==, "a***@example.com");
  g_assert_cmpint (entsec_enroller_get_expires_at (enroller), ==, STARTED_AT + 600);
  g_assert_cmpint (entsec_enroller_get_resend_at (enroller), ==, STARTED_AT + 60);
  g_assert_cmpint (entsec_enroller_get_attempts_left (enroller), ==, 3);
  g_assert_cmpint (entsec_enroller_get_retry_after (enroller), ==, -1);
  g_assert_null (entsec_enroller_get_shared (enroller));
}

/* Restored, written again and restored again: the same enrollment. */
static void
test_round_trip (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecEnroller) first = entsec_enroller_deserialize (GOOD, STARTED_AT + 10, &error);
  g_autoptr (EntsecEnroller) second = NULL;
  g_autofree char *text = NULL;
  g_autofree char *again = NULL;

  g_assert_no_error (error);
  check_restored (first);
  text = entsec_enroller_serialize (first);
  g_assert_null (strstr (text, "\"code\""));
  second = entsec_enroller_deserialize (text, STARTED_AT + 599, &error);
  g_assert_no_error (error);
  check_restored (second);
  again = entsec_enroller_serialize (second);
  g_assert_cmpstr (again, ==, text);
}

/* A restored enrollment whose code expired is refused as expired, not as broken. */
static void
test_expired (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecEnroller) enroller = entsec_enroller_deserialize (GOOD, STARTED_AT + 600,
                                                                     &error);

  g_assert_null (enroller);
  g_assert_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_ENROLLMENT_EXPIRED);
  g_assert_nonnull (strstr (error->message, "start again"));
}

/* A code refused five times of five leaves no attempt, never a negative count. */
static void
test_attempts_used_up (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecEnroller) enroller =
    entsec_enroller_deserialize (SAVED (",\"wrong_codes\":7"), STARTED_AT, &error);

  g_assert_no_error (error);
  g_assert_cmpint (entsec_enroller_get_attempts_left (enroller), ==, 0);
}

typedef struct
{
  const char *text;
  EntsecNetError code;
  const char *message_part;
} Refused;

static const Refused refused_cases[] = {
  { "not json", ENTSEC_NET_ERROR_BAD_RESPONSE, "not readable" },
  { "[1]", ENTSEC_NET_ERROR_BAD_RESPONSE, "not readable" },
  { SAVED ("") , ENTSEC_NET_ERROR_BAD_RESPONSE, "\"wrong_codes\"" },
  { SAVED (",\"wrong_codes\":-1"), ENTSEC_NET_ERROR_BAD_RESPONSE, "\"wrong_codes\"" },
  { SAVED (",\"wrong_codes\":\"1\""), ENTSEC_NET_ERROR_BAD_RESPONSE, "\"wrong_codes\"" },
  { "{\"v\":2,\"server\":\"https://a.example\",\"pin_is_anchor\":false}",
    ENTSEC_NET_ERROR_BAD_RESPONSE, "version 2" },
  { "{\"v\":1,\"pin_is_anchor\":false}", ENTSEC_NET_ERROR_BAD_RESPONSE, "\"server\"" },
  { "{\"v\":1,\"server\":\"http://a.example\",\"pin_is_anchor\":false}",
    ENTSEC_NET_ERROR_INVALID_URL, "https://" },
  { "{\"v\":1,\"server\":\"https://a.example\",\"pin_is_anchor\":false,\"channel\":\"fax\","
    "\"address\":\"1\",\"masked_address\":\"1\",\"enrollment_id\":\"enr_1\","
    "\"client_nonce\":\"n\",\"started_at\":1,\"expires_in\":1,\"resend_after\":1,"
    "\"max_attempts\":1,\"wrong_codes\":0}", ENTSEC_NET_ERROR_BAD_RESPONSE, "\"channel\"" },
};

static void
test_refused (gconstpointer data)
{
  const Refused *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecEnroller) enroller = entsec_enroller_deserialize (c->text, STARTED_AT, &error);

  g_assert_null (enroller);
  g_assert_error (error, ENTSEC_NET_ERROR, (gint) c->code);
  if (strstr (error->message, c->message_part) == NULL)
    g_error ("\"%s\" does not say \"%s\"", error->message, c->message_part);
}

/* A new enroller has no start: nothing to count down, no attempts to show. */
static void
test_not_started (void)
{
  EntsecEnrollerOptions options = { .server = "https://a.example" };
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecEnroller) enroller = entsec_enroller_new (&options, &error);

  g_assert_no_error (error);
  g_assert_cmpint (entsec_enroller_get_expires_at (enroller), ==, 0);
  g_assert_cmpint (entsec_enroller_get_resend_at (enroller), ==, 0);
  g_assert_cmpint (entsec_enroller_get_attempts_left (enroller), ==, -1);
  g_assert_null (entsec_enroller_get_channel (enroller));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/enroller-saved/round-trip", test_round_trip);
  g_test_add_func ("/enroller-saved/expired", test_expired);
  g_test_add_func ("/enroller-saved/attempts-used-up", test_attempts_used_up);
  g_test_add_func ("/enroller-saved/not-started", test_not_started);
  for (gsize i = 0; i < G_N_ELEMENTS (refused_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/enroller-saved/refused/%" G_GSIZE_FORMAT, i);

      g_test_add_data_func (path, &refused_cases[i], test_refused);
    }
  return g_test_run ();
}
