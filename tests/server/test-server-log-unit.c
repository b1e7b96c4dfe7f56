/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-server-log-unit.c: what the log writer removes, request ids */

#include "config.h"

#include <string.h>

#include "server-log.h"

static void
test_redact (void)
{
  struct { const char *in; const char *out; } cases[] = {
    { "RCPT to <Ann.Lee+x@mail.example.com> refused", "RCPT to <[email]> refused" },
    { "gateway: +4915112345678 unknown", "gateway: [phone] unknown" },
    { "two: a@b.org and +12025550123.", "two: [email] and [phone]." },
    { "Enrollment enr_abc: the sms code was not delivered: timeout after 20 s",
      "Enrollment enr_abc: the sms code was not delivered: timeout after 20 s" },
    { "max_connections lowered to 1000000", "max_connections lowered to 1000000" },
    { "not an address: user@localhost", "not an address: user@localhost" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = entsec_server_log_redact (cases[i].in);

      g_assert_cmpstr (got, ==, cases[i].out);
    }
}

static void
test_request_ids (void)
{
  char a[ENTSEC_SERVER_REQUEST_ID_SIZE], b[ENTSEC_SERVER_REQUEST_ID_SIZE];
  g_autoptr (GRegex) shape = g_regex_new ("^[0-9a-f]{8}-[0-9a-f]{8}$", 0, 0, NULL);

  entsec_server_log_request_id (a);
  entsec_server_log_request_id (b);
  g_assert_true (g_regex_match (shape, a, 0, NULL));
  g_assert_true (g_regex_match (shape, b, 0, NULL));
  g_assert_cmpstr (a, !=, b);
  /* the same run: the same prefix */
  g_assert_cmpint (memcmp (a, b, 8), ==, 0);
}

static void
test_access_switch (void)
{
  entsec_server_log_set_access ("on");
  g_assert_true (entsec_server_log_access_enabled ());
  entsec_server_log_set_access ("off");
  g_assert_false (entsec_server_log_access_enabled ());
  entsec_server_log_set_access ("auto");
  g_assert_cmpint (entsec_server_log_access_enabled (), ==, entsec_server_log_to_journal ());
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  entsec_server_log_init ();
  g_test_add_func ("/server/log/redact", test_redact);
  g_test_add_func ("/server/log/request-ids", test_request_ids);
  g_test_add_func ("/server/log/access-switch", test_access_switch);
  return g_test_run ();
}
