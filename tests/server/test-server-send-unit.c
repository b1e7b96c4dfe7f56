/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-server-send-unit.c: the rate limiter with a moved clock, the
 * template filler and what the senders would put on the wire.
 */

#include "config.h"

#include <string.h>

#include <arpa/inet.h>
#include <jansson.h>

#include "entsec-protocol.h"
#include "server-config.h"
#include "server-private.h"
#include "server-ratelimit.h"
#include "server-sender.h"

#define T0 1800000000

static void
test_limiter_bucket (void)
{
  g_autoptr (EntsecRateLimiter) limiter = entsec_rate_limiter_new (100);
  gint64 retry = 0;

  for (guint i = 0; i < 3; i++)
    g_assert_true (entsec_rate_limiter_take (limiter, "ip:a", 3, 60, T0, &retry));
  g_assert_false (entsec_rate_limiter_take (limiter, "ip:a", 3, 60, T0, &retry));
  g_assert_cmpint (retry, ==, 20); /* one token every 60 / 3 seconds */
  g_assert_true (entsec_rate_limiter_take (limiter, "ip:b", 3, 60, T0, &retry));
  g_assert_false (entsec_rate_limiter_take (limiter, "ip:a", 3, 60, T0 + 19, &retry));
  g_assert_cmpint (retry, ==, 1);
  g_assert_true (entsec_rate_limiter_take (limiter, "ip:a", 3, 60, T0 + 20, &retry));
  g_assert_false (entsec_rate_limiter_take (limiter, "ip:a", 3, 60, T0 + 20, &retry));
  /* a long pause refills up to the limit, not beyond */
  for (guint i = 0; i < 3; i++)
    g_assert_true (entsec_rate_limiter_take (limiter, "ip:a", 3, 60, T0 + 100000, &retry));
  g_assert_false (entsec_rate_limiter_take (limiter, "ip:a", 3, 60, T0 + 100000, &retry));
}

static void
test_limiter_bounded (void)
{
  g_autoptr (EntsecRateLimiter) limiter = entsec_rate_limiter_new (100);
  gint64 retry = 0;

  g_assert_true (entsec_rate_limiter_take (limiter, "ip:busy", 1, 3600, T0, &retry));
  for (guint i = 0; i < 1000; i++)
    {
      g_autofree char *key = g_strdup_printf ("ip:%u", i);

      g_assert_true (entsec_rate_limiter_take (limiter, key, 2, 3600, T0 + 1, &retry));
      g_assert_cmpuint (entsec_rate_limiter_size (limiter), <=, 100);
    }
}

/* A full table forgets refilled buckets first: emptied ones keep limiting. */
static void
test_limiter_evicts_idle_first (void)
{
  g_autoptr (EntsecRateLimiter) limiter = entsec_rate_limiter_new (100);
  gint64 retry = 0;

  for (guint i = 0; i < 100; i++)
    {
      g_autofree char *key = g_strdup_printf (i % 2 == 0 ? "ip:busy%u" : "ip:idle%u", i);

      g_assert_true (entsec_rate_limiter_take (limiter, key, i % 2 == 0 ? 1 : 2,
                                               i % 2 == 0 ? 3600 : 60, T0, &retry));
    }
  g_assert_cmpuint (entsec_rate_limiter_size (limiter), ==, 100);
  /* two minutes later every idle bucket is full again; the busy ones are not */
  g_assert_true (entsec_rate_limiter_take (limiter, "ip:new", 1, 60, T0 + 120, &retry));
  g_assert_cmpuint (entsec_rate_limiter_size (limiter), ==, 51);
  for (guint i = 0; i < 100; i += 2)
    {
      g_autofree char *key = g_strdup_printf ("ip:busy%u", i);

      g_assert_false (entsec_rate_limiter_take (limiter, key, 1, 3600, T0 + 120, &retry));
    }
}

static gpointer
take_many (gpointer data)
{
  EntsecRateLimiter *limiter = data;
  gint64 retry = 0;
  guint taken = 0;

  for (guint i = 0; i < 1000; i++)
    taken += entsec_rate_limiter_take (limiter, "ip:shared", 500, 3600, T0, &retry);
  return GUINT_TO_POINTER (taken);
}

static void
test_limiter_threads (void)
{
  g_autoptr (EntsecRateLimiter) limiter = entsec_rate_limiter_new (100);
  GThread *threads[4];
  guint taken = 0;

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("take", take_many, limiter);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    taken += GPOINTER_TO_UINT (g_thread_join (threads[i]));
  g_assert_cmpuint (taken, ==, 500);
}

static void
test_client_key (void)
{
  struct sockaddr_in v4 = { .sin_family = AF_INET };
  struct sockaddr_in6 v6 = { .sin6_family = AF_INET6 };
  struct sockaddr_in6 v6b = { .sin6_family = AF_INET6 };
  g_autofree char *k4 = NULL, *k6 = NULL, *k6b = NULL, *none = NULL;

  inet_pton (AF_INET, "192.0.2.7", &v4.sin_addr);
  inet_pton (AF_INET6, "2001:db8:1:2:aaaa::1", &v6.sin6_addr);
  inet_pton (AF_INET6, "2001:db8:1:2:bbbb::9", &v6b.sin6_addr);
  k4 = entsec_rate_limit_client_key ((struct sockaddr *) &v4);
  k6 = entsec_rate_limit_client_key ((struct sockaddr *) &v6);
  k6b = entsec_rate_limit_client_key ((struct sockaddr *) &v6b);
  none = entsec_rate_limit_client_key (NULL);
  g_assert_cmpstr (k4, ==, "ip:192.0.2.7");
  g_assert_cmpstr (k6, ==, "ip:2001:db8:1:2::");
  g_assert_cmpstr (k6, ==, k6b); /* one /64, one client */
  g_assert_cmpstr (none, ==, "ip:unknown");
}

static const char *const names[] = { "to", "code", "minutes", NULL };

static void
test_fill (void)
{
  const char *values[] = { "+4930123", "012345", "10", NULL };
  g_autoptr (GError) error = NULL;
  g_autofree char *json = entsec_sender_fill ("{\"to\":\"{to}\",\"m\":\"{code} {minutes}\"}",
                                              names, values, NULL, "sms_body", &error);
  g_autofree char *bad = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (json, ==, "{\"to\":\"+4930123\",\"m\":\"012345 10\"}");
  bad = entsec_sender_fill ("x {number}", names, values, NULL, "sms_body", &error);
  g_assert_null (bad);
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "sms_body"));
}

static EntsecSender *
sms_sender (const char *content_type,
            const char *body)
{
  g_autoptr (EntsecServerConfig) config = entsec_server_config_new ();
  g_autoptr (GError) error = NULL;
  EntsecSender *sender;

  g_assert_true (entsec_server_config_set (config, "sms_url", "https://gw.example/send", NULL));
  g_assert_true (entsec_server_config_set (config, "sms_content_type", content_type, NULL));
  g_assert_true (entsec_server_config_set (config, "sms_body", body, NULL));
  sender = entsec_sender_sms_http_new (config, &error);
  g_assert_no_error (error);
  return sender;
}

/* Values are escaped for the body's type (the address is what a client typed). */
static void
test_sms_escaping (void)
{
  g_autoptr (EntsecSender) json = sms_sender ("json", "{\"to\":\"{to}\",\"text\":\"{code}\"}");
  g_autoptr (EntsecSender) form = sms_sender ("form", "to={to}&text={code}");
  EntsecCodeMessage m = { "sms", "a\"b\\c&d=e\n", "123456", "enr_x", T0 + 600, 600, NULL };
  g_autofree char *json_body = entsec_sender_sms_http_body (json, &m);
  g_autofree char *form_body = entsec_sender_sms_http_body (form, &m);
  g_autoptr (json_t) parsed = json_loads (json_body, 0, NULL);

  g_assert_nonnull (parsed);
  g_assert_cmpstr (json_string_value (json_object_get (parsed, "to")), ==, m.address);
  g_assert_cmpstr (json_string_value (json_object_get (parsed, "text")), ==, "123456");
  g_assert_cmpstr (form_body, ==, "to=a%22b%5Cc%26d%3De%0A&text=123456");
}

/* RFC 5322 headers; a long UTF-8 subject split into RFC 2047 words of at most 75. */
static void
test_smtp_message (void)
{
  g_autoptr (EntsecServerConfig) config = entsec_server_config_new ();
  g_autoptr (EntsecSender) sender = NULL;
  g_autoptr (GError) error = NULL;
  EntsecCodeMessage m = { "email", "ann@example.com", "654321", "enr_x", T0 + 600, 600,
                          "zh-CN" };
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;

  g_assert_true (entsec_server_config_set (config, "smtp_url", "smtps://relay.example", NULL));
  g_assert_true (entsec_server_config_set (config, "smtp_from", "auth@example.com", NULL));
  sender = entsec_sender_smtp_new (config, &error);
  g_assert_no_error (error);
  text = entsec_sender_smtp_message (sender, &m, T0);
  g_assert_true (g_str_has_prefix (text, "From: <auth@example.com>\r\nTo: <ann@example.com>\r\n"
                                         "Subject: =?UTF-8?B?"));
  g_assert_nonnull (strstr (text, "\r\nDate: Fri, 15 Jan 2027 08:00:00 +0000\r\n"));
  g_assert_nonnull (strstr (text, "@example.com>\r\n"));
  g_assert_null (strstr (text, "654321")); /* the body is base64 */
  lines = g_strsplit (text, "\r\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    g_assert_cmpuint (strlen (lines[i]), <=, 78);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/server/ratelimit/bucket", test_limiter_bucket);
  g_test_add_func ("/server/ratelimit/bounded", test_limiter_bounded);
  g_test_add_func ("/server/ratelimit/evicts-idle-first", test_limiter_evicts_idle_first);
  g_test_add_func ("/server/ratelimit/threads", test_limiter_threads);
  g_test_add_func ("/server/ratelimit/client-key", test_client_key);
  g_test_add_func ("/server/sender/fill", test_fill);
  g_test_add_func ("/server/sender/sms-escaping", test_sms_escaping);
  g_test_add_func ("/server/sender/smtp-message", test_smtp_message);
  return g_test_run ();
}
