/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-server-unit.c: the server library's parts without the network: the
 * config file and environment, address normalisation, the SQLite storage.
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "entsec-protocol.h"
#include "server-config.h"
#include "server-enroll.h"
#include "server-private.h"
#include "server-proxy.h"
#include "server-storage.h"
#include "storage-test.h"

static EntsecServerConfig *
parse_config (const char *text,
              GError    **error)
{
  g_autoptr (EntsecServerConfig) config = entsec_server_config_new ();

  if (!entsec_server_config_parse (config, text, strlen (text), "server.conf", error))
    return NULL;
  return g_steal_pointer (&config);
}

static void
test_config_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecServerConfig) config = parse_config (
    "# comment\n\n  listen = [::1]:9443\nmax_body=2048\ndata_dir = /srv/entsec\n", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (config->listen_host, ==, "::1");
  g_assert_cmpuint (config->listen_port, ==, 9443);
  g_assert_cmpuint (config->max_body, ==, 2048);
  g_assert_cmpstr (config->data_dir, ==, "/srv/entsec");
}

static void
assert_config_refused (const char *text,
                       const char *fragment)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecServerConfig) config = parse_config (text, &error);

  g_assert_null (config);
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, fragment));
}

static void
test_config_refused (void)
{
  assert_config_refused ("colour = blue\n", "Unknown setting \"colour\"");
  assert_config_refused ("listen\n", "line 1");
  assert_config_refused ("threads = 2\nthreads = 0\n", "line 2");
  assert_config_refused ("listen = localhost:80\n", "\"listen\"");
  assert_config_refused ("listen = 127.0.0.1:65536\n", "\"listen\"");
  assert_config_refused ("data_dir = relative/dir\n", "absolute path");
  assert_config_refused ("issuer = http://example.com\n", "\"issuer\"");
  assert_config_refused ("issuer = https://example.com/\n", "\"issuer\"");
  assert_config_refused ("tenant = a b\n", "\"tenant\"");
  assert_config_refused ("max_body = 1000000000\n", "\"max_body\"");
  assert_config_refused ("database = mysql://db.example.com/entsec\n", "\"database\"");
  assert_config_refused ("database_pool = 0\n", "\"database_pool\"");
  assert_config_refused ("trusted_proxies = 10.0.0.1/8\n", "\"10.0.0.1/8\" is not an address");
  assert_config_refused ("trusted_proxies = 127.0.0.1, nginx\n", "\"nginx\" is not an address");
  assert_config_refused ("trusted_proxies = 10.0.0.0/33\n", "\"trusted_proxies\"");
}

/* The client of @peer with @forwarded_for behind @proxies, as text. */
static char *
client_of (GPtrArray  *proxies,
           const char *peer,
           const char *forwarded_for)
{
  g_autoptr (GInetAddress) address = g_inet_address_new_from_string (peer);
  g_autoptr (GInetAddress) client = entsec_trusted_proxies_client (proxies, address,
                                                                   forwarded_for);

  return g_inet_address_to_string (client);
}

#define ASSERT_CLIENT(proxies, peer, forwarded, expected) \
  G_STMT_START { \
    g_autofree char *got = client_of (proxies, peer, forwarded); \
    g_assert_cmpstr (got, ==, expected); \
  } G_STMT_END

static void
test_trusted_proxies (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecServerConfig) config = parse_config (
    "trusted_proxies = 127.0.0.1, 10.0.0.0/8 fd00::/8\n", &error);
  g_autoptr (EntsecServerConfig) none = parse_config ("trusted_proxies =\n", &error);
  GPtrArray *proxies;

  g_assert_no_error (error);
  proxies = config->trusted_proxies;
  g_assert_cmpuint (proxies->len, ==, 3);
  g_assert_cmpuint (none->trusted_proxies->len, ==, 0);
  /* through one trusted proxy, and through two */
  ASSERT_CLIENT (proxies, "127.0.0.1", "192.0.2.7", "192.0.2.7");
  ASSERT_CLIENT (proxies, "10.1.2.3", "198.51.100.1, 10.9.9.9", "198.51.100.1");
  /* what a client wrote itself stays left of the address its proxy appended */
  ASSERT_CLIENT (proxies, "127.0.0.1", "203.0.113.66, 192.0.2.7", "192.0.2.7");
  /* several headers are one list, in order */
  ASSERT_CLIENT (proxies, "127.0.0.1", "203.0.113.66,192.0.2.7 ,10.0.0.5", "192.0.2.7");
  /* a peer that is no trusted proxy: its header is not read */
  ASSERT_CLIENT (proxies, "192.0.2.99", "203.0.113.66", "192.0.2.99");
  ASSERT_CLIENT (none->trusted_proxies, "127.0.0.1", "203.0.113.66", "127.0.0.1");
  /* no header, or every entry trusted */
  ASSERT_CLIENT (proxies, "127.0.0.1", NULL, "127.0.0.1");
  ASSERT_CLIENT (proxies, "127.0.0.1", "10.0.0.2, 10.0.0.1", "10.0.0.2");
  /* garbage ends the walk at the trusted hop to its right */
  ASSERT_CLIENT (proxies, "127.0.0.1", "192.0.2.7, unknown", "127.0.0.1");
  ASSERT_CLIENT (proxies, "127.0.0.1", "junk, 10.0.0.3", "10.0.0.3");
  ASSERT_CLIENT (proxies, "127.0.0.1", "", "127.0.0.1");
  /* IPv6, and IPv4-mapped peers (a server listening on ::) */
  ASSERT_CLIENT (proxies, "fd00::1", "2001:db8::5", "2001:db8::5");
  ASSERT_CLIENT (proxies, "::ffff:127.0.0.1", "192.0.2.7", "192.0.2.7");
  ASSERT_CLIENT (proxies, "::ffff:192.0.2.99", "203.0.113.66", "192.0.2.99");
  ASSERT_CLIENT (proxies, "127.0.0.1", "::ffff:192.0.2.8", "192.0.2.8");
}

/* A PostgreSQL URL is checked as libpq reads it; a refused one is not
 * quoted back (it may hold a password). */
static void
test_config_database (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecServerConfig) config = parse_config (
    "database = postgresql://entsec@db.example.com:5433/entsec?sslmode=verify-full\n"
    "database_pool = 8\n", &error);
  g_autoptr (EntsecServerConfig) bad = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (config->database, ==,
                   "postgresql://entsec@db.example.com:5433/entsec?sslmode=verify-full");
  g_assert_cmpuint (config->database_pool, ==, 8);
  bad = parse_config ("database = postgresql://entsec:hunter2@db.example.com/entsec?nope=1\n",
                      &error);
  g_assert_null (bad);
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG);
  g_assert_null (strstr (error->message, "hunter2"));
}

static void
test_config_env (void)
{
  g_autoptr (EntsecServerConfig) config = entsec_server_config_new ();
  g_autoptr (GError) error = NULL;
  char *env[] = { "ENTSEC_SERVER_TENANT=acme", "ENTSEC_SERVER_THREADS=4", "OTHER=1", NULL };
  char *bad_env[] = { "ENTSEC_SERVER_TIMEOUT=never", NULL };

  g_assert_true (entsec_server_config_load_env (config, env, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (config->tenant, ==, "acme");
  g_assert_cmpuint (config->threads, ==, 4);
  g_assert_false (entsec_server_config_load_env (config, bad_env, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "ENTSEC_SERVER_TIMEOUT"));
}

static void
assert_phone (const char *input,
              const char *expected)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *phone = entsec_server_normalize_phone (input, &error);

  if (expected == NULL)
    {
      g_assert_null (phone);
      g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID);
    }
  else
    {
      g_assert_no_error (error);
      g_assert_cmpstr (phone, ==, expected);
    }
}

static void
test_phone (void)
{
  assert_phone ("+44 20 7946 0958", "+442079460958");
  assert_phone ("0044 (20) 7946-0958", "+442079460958");
  assert_phone ("+1.202.555.0123", "+12025550123");
  assert_phone ("020 7946 0958", NULL);     /* no country code */
  assert_phone ("+0 20 7946 0958", NULL);   /* country codes do not start with 0 */
  assert_phone ("+1234567", NULL);          /* too short */
  assert_phone ("+1234567890123456", NULL); /* 16 digits */
  assert_phone ("+44 20 7946 0958 ext 2", NULL);
  assert_phone ("", NULL);
}

static void
test_email_and_name (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *email = entsec_server_normalize_email (" Ann@Example.COM ", &error);
  g_autofree char *long_name = g_strnfill (201, 'a');

  g_assert_cmpstr (email, ==, "ann@example.com");
  for (guint i = 0; i < 4; i++)
    {
      const char *bad[] = { "no-at", "@example.com", "a@b@c", "a b@example.com" };
      g_autofree char *none = entsec_server_normalize_email (bad[i], NULL);

      g_assert_null (none);
    }
  g_assert_true (entsec_server_check_name ("Zoë Example", NULL));
  g_assert_false (entsec_server_check_name ("", NULL));
  g_assert_false (entsec_server_check_name ("tab\there", NULL));
  g_assert_false (entsec_server_check_name (long_name, NULL));
  g_assert_false (entsec_server_check_name ("\xff", NULL));
}

typedef EntsecTestDb StorageFixture;

static void
storage_setup (StorageFixture *f,
               gconstpointer   data)
{
  entsec_test_db_setup (f, "entsec-storage", FALSE);
}

static void
storage_teardown (StorageFixture *f,
                  gconstpointer   data)
{
  entsec_test_db_teardown (f);
}

static void
add_user (EntsecStorage *storage,
          const char    *id,
          const char    *email,
          const char    *phone)
{
  g_autoptr (GError) error = NULL;
  EntsecUser user = { .id = (char *) id, .email = (char *) email, .phone = (char *) phone,
                      .name = (char *) "Someone", .created = 1700000000 };

  g_assert_true (entsec_storage_user_create (storage, &user, &error));
  g_assert_no_error (error);
}

static void
test_storage_users (StorageFixture *f,
                    gconstpointer   data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecStorage) storage = entsec_test_storage_open (f->path, TRUE, &error);
  g_autoptr (EntsecUser) user = NULL;
  g_autoptr (GPtrArray) users = NULL;
  EntsecUser twin = { .id = (char *) "usr_c", .email = (char *) "a@example.com", .created = 1 };
  gboolean found = FALSE;

  g_assert_no_error (error);
  add_user (storage, "usr_a", "a@example.com", NULL);
  add_user (storage, "usr_b", NULL, "+442079460958");
  g_assert_false (entsec_storage_user_create (storage, &twin, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFLICT);
  g_clear_error (&error);

  user = entsec_storage_user_get (storage, "usr_b", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user->phone, ==, "+442079460958");
  g_assert_null (user->email);
  g_assert_null (entsec_storage_user_get (storage, "usr_zz", &error));
  g_assert_no_error (error);

  users = entsec_storage_user_list (storage, "usr_a", 10, &error);
  g_assert_cmpuint (users->len, ==, 1);
  g_assert_true (entsec_storage_user_delete (storage, "usr_a", &found, &error));
  g_assert_true (found);
  g_assert_true (entsec_storage_user_delete (storage, "usr_a", &found, &error));
  g_assert_false (found);
}

/* entsec-admin's users disable/enable: a disabled user is never found for enrollment. */
static void
test_storage_disable (StorageFixture *f,
                      gconstpointer   data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecStorage) storage = entsec_test_storage_open (f->path, TRUE, &error);
  g_autoptr (EntsecUser) found_user = NULL;
  g_autoptr (EntsecUser) user = NULL;
  gboolean found = FALSE;

  g_assert_no_error (error);
  add_user (storage, "usr_a", "a@example.com", NULL);
  g_assert_true (entsec_storage_user_set_disabled (storage, "usr_a", TRUE, &found, &error));
  g_assert_true (found);
  g_assert_null (entsec_storage_user_find (storage, "email", "a@example.com", &error));
  g_assert_no_error (error);
  user = entsec_storage_user_get (storage, "usr_a", &error);
  g_assert_true (user->disabled);
  g_assert_true (entsec_storage_user_set_disabled (storage, "usr_a", FALSE, &found, &error));
  found_user = entsec_storage_user_find (storage, "email", "a@example.com", &error);
  g_assert_nonnull (found_user);
  g_assert_false (found_user->disabled);
  g_assert_true (entsec_storage_user_set_disabled (storage, "usr_zz", TRUE, &found, &error));
  g_assert_no_error (error);
  g_assert_false (found);
}

static void
test_storage_reopen (StorageFixture *f,
                     gconstpointer   data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecStorage) storage = entsec_test_storage_open (f->path, TRUE, &error);
  g_autoptr (GPtrArray) admins = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  EntsecAdmin admin = { .id = (char *) "adm_1", .name = (char *) "admin" };

  memset (admin.token_sha256, 0xa5, sizeof admin.token_sha256);
  g_assert_true (entsec_storage_admin_create (storage, &admin, &error));
  g_assert_true (entsec_storage_audit (storage, "adm_1", "user.create", "usr_a", &error));
  g_assert_true (entsec_storage_audit (storage, "adm_1", "user.delete", NULL, &error));
  g_clear_pointer (&storage, entsec_storage_close);

  g_assert_null (entsec_test_storage_open (f->path, TRUE, &error));
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_EXISTS);
  g_clear_error (&error);
  storage = entsec_test_storage_open (f->path, FALSE, &error);
  g_assert_no_error (error);
  admins = entsec_storage_admin_list (storage, &error);
  g_assert_cmpuint (admins->len, ==, 1);
  g_assert_cmpmem (((EntsecAdmin *) admins->pdata[0])->token_sha256, 32,
                   admin.token_sha256, 32);
  entries = entsec_storage_audit_list (storage, 1, 10, &error);
  g_assert_cmpuint (entries->len, ==, 1);
  g_assert_cmpstr (((EntsecAuditEntry *) entries->pdata[0])->action, ==, "user.delete");
  g_assert_null (((EntsecAuditEntry *) entries->pdata[0])->target);
}

static void
test_storage_missing (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecStorage) storage = entsec_test_storage_open ("/nonexistent/entsec.db",
                                                                FALSE, &error);

  g_assert_null (storage);
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE);
}

/* Enrollment against a real database and a real outbox file, with a clock
 * the test sets. */
typedef struct
{
  StorageFixture       store;
  EntsecStorage       *storage;
  EntsecSender        *sender;
  GBytes              *salt;
  char                *outbox;
  EntsecEnrollContext  context;
} EnrollFixture;

#define T0 1800000000
#define NONCE "bm9uY2Utbm9uY2Utbm9uY2U"

static void
enroll_setup (EnrollFixture *f,
              gconstpointer  data)
{
  storage_setup (&f->store, data);
  f->storage = entsec_test_storage_open (f->store.path, TRUE, NULL);
  g_assert_nonnull (f->storage);
  add_user (f->storage, "usr_known", "known@example.com", "+442079460958");
  f->outbox = g_build_filename (f->store.dir, "outbox.jsonl", NULL);
  f->sender = entsec_sender_outbox_new (f->outbox, FALSE);
  f->salt = g_bytes_new_static ("0123456789abcdef0123456789abcdef", 32);
  f->context = (EntsecEnrollContext) { f->storage, f->sender, f->salt, 600, 60, 600 };
}

static void
enroll_teardown (EnrollFixture *f,
                 gconstpointer  data)
{
  entsec_storage_close (f->storage);
  entsec_sender_free (f->sender);
  g_bytes_unref (f->salt);
  g_unlink (f->outbox);
  g_free (f->outbox);
  storage_teardown (&f->store, data);
}

/* Starts an enrollment at @now; returns its id (and the JSON text in @text). */
static char *
start (EnrollFixture *f,
       const char    *channel,
       const char    *address,
       gint64         now,
       char         **text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) body = json_pack ("{s:i,s:s,s:s,s:s}", "v", 1, "channel", channel,
                                       "address", address, "client_nonce", NONCE);
  gint64 retry_after = 0;
  g_autoptr (json_t) answer = entsec_enroll_start (&f->context, body, now, &retry_after,
                                                   &error);

  g_assert_no_error (error);
  if (text != NULL)
    *text = entsec_json_dump (answer);
  return g_strdup (json_string_value (json_object_get (answer, "enrollment_id")));
}

/* The code of the last outbox line, which must be for @id. */
static char *
last_code (EnrollFixture *f,
           const char    *id)
{
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (json_t) line = NULL;
  guint n;

  g_assert_true (g_file_get_contents (f->outbox, &text, NULL, NULL));
  lines = g_strsplit (text, "\n", -1);
  n = g_strv_length (lines);
  g_assert_cmpuint (n, >=, 2);
  line = json_loads (lines[n - 2], 0, NULL);
  g_assert_cmpstr (json_string_value (json_object_get (line, "enrollment_id")), ==, id);
  return g_strdup (json_string_value (json_object_get (line, "code")));
}

static json_t *
verify (EnrollFixture *f,
        const char    *id,
        const char    *code,
        gint64         now,
        GError       **error)
{
  g_autoptr (json_t) body = json_pack ("{s:s,s:s,s:s}", "enrollment_id", id, "code", code,
                                       "client_nonce", NONCE);

  return entsec_enroll_verify (&f->context, body, now, error);
}

static void
assert_verify_fails (EnrollFixture *f,
                     const char    *id,
                     const char    *code,
                     gint64         now,
                     int            error_code)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) answer = verify (f, id, code, now, &error);

  g_assert_null (answer);
  g_assert_error (error, ENTSEC_SERVER_ERROR, error_code);
}

static void
test_enroll_once (EnrollFixture *f,
                  gconstpointer  data)
{
  g_autofree char *id = start (f, "email", "Known@Example.com", T0, NULL);
  g_autofree char *code = last_code (f, id);
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) answer = verify (f, id, code, T0 + 30, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (strlen (code), ==, ENTSEC_ENROLL_CODE_LENGTH);
  g_assert_cmpstr (json_string_value (json_object_get (json_object_get (answer, "user"), "id")),
                   ==, "usr_known");
  g_assert_cmpuint (strlen (json_string_value (json_object_get (answer, "enrollment_token"))),
                    ==, 43);
  /* single use */
  assert_verify_fails (f, id, code, T0 + 31, ENTSEC_SERVER_ERROR_INVALID_CODE);
}

static void
test_enroll_burns (EnrollFixture *f,
                   gconstpointer  data)
{
  g_autofree char *id = start (f, "sms", "+44 20 7946 0958", T0, NULL);
  g_autofree char *code = last_code (f, id);
  g_autofree char *wrong = g_strdup (code);

  wrong[0] = wrong[0] == '9' ? '0' : (char) (wrong[0] + 1);
  for (guint i = 0; i < ENTSEC_ENROLL_MAX_ATTEMPTS; i++)
    assert_verify_fails (f, id, wrong, T0 + i, ENTSEC_SERVER_ERROR_INVALID_CODE);
  assert_verify_fails (f, id, code, T0 + 10, ENTSEC_SERVER_ERROR_INVALID_CODE);
}

static void
test_enroll_expires (EnrollFixture *f,
                     gconstpointer  data)
{
  g_autofree char *id = start (f, "email", "known@example.com", T0, NULL);
  g_autofree char *code = last_code (f, id);

  assert_verify_fails (f, id, code, T0 + 600, ENTSEC_SERVER_ERROR_EXPIRED);
}

static void
test_enroll_resend (EnrollFixture *f,
                    gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *first = start (f, "email", "known@example.com", T0, NULL);
  g_autofree char *first_code = last_code (f, first);
  g_autoptr (json_t) body = json_pack ("{s:s,s:s,s:s}", "channel", "email",
                                       "address", "known@example.com", "client_nonce", NONCE);
  gint64 retry_after = 0;
  g_autoptr (json_t) refused = entsec_enroll_start (&f->context, body, T0 + 10, &retry_after,
                                                    &error);
  g_autofree char *second = NULL;

  g_assert_null (refused);
  g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_RATE_LIMITED);
  g_assert_cmpint (retry_after, ==, 50);
  second = start (f, "email", "known@example.com", T0 + 60, NULL);
  g_assert_cmpstr (second, !=, first);
  /* the new code replaces the old one */
  assert_verify_fails (f, first, first_code, T0 + 61, ENTSEC_SERVER_ERROR_INVALID_CODE);
}

static void
test_enroll_unknown_same_answer (EnrollFixture *f,
                                 gconstpointer  data)
{
  g_autofree char *known_text = NULL;
  g_autofree char *unknown_text = NULL;
  g_autofree char *known = start (f, "email", "known@example.com", T0, &known_text);
  g_autofree char *outbox_before = NULL;
  g_autofree char *outbox_after = NULL;
  g_autofree char *unknown = NULL;

  g_assert_true (g_file_get_contents (f->outbox, &outbox_before, NULL, NULL));
  unknown = start (f, "email", "kn0wn@example.com", T0, &unknown_text);
  g_assert_true (g_file_get_contents (f->outbox, &outbox_after, NULL, NULL));
  g_assert_cmpstr (outbox_before, ==, outbox_after); /* nothing sent */
  g_assert_cmpuint (strlen (known), ==, strlen (unknown));
  g_assert_cmpuint (strlen (known_text), ==, strlen (unknown_text));
  g_assert_cmpstr (strstr (known_text, "masked_address"), ==,
                   strstr (unknown_text, "masked_address"));
  for (guint i = 0; i < ENTSEC_ENROLL_MAX_ATTEMPTS; i++)
    assert_verify_fails (f, unknown, "123456", T0 + i, ENTSEC_SERVER_ERROR_INVALID_CODE);
  assert_verify_fails (f, "enr_nonexistent", "123456", T0, ENTSEC_SERVER_ERROR_INVALID_CODE);
}

static void
test_enroll_bad_requests (EnrollFixture *f,
                          gconstpointer  data)
{
  const char *bodies[] = {
    "{}",
    "{\"channel\":\"fax\",\"address\":\"a@b.c\",\"client_nonce\":\"" NONCE "\"}",
    "{\"channel\":\"sms\",\"address\":\"a@b.c\",\"client_nonce\":\"" NONCE "\"}",
    "{\"channel\":\"email\",\"address\":\"a@b.c\",\"client_nonce\":\"short\"}",
    "{\"channel\":\"email\",\"address\":\"a@b.c\",\"client_nonce\":\"" NONCE "\","
    "\"extra\":1}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (json_t) body = json_loads (bodies[i], 0, NULL);
      gint64 retry_after = 0;
      g_autoptr (json_t) answer = entsec_enroll_start (&f->context, body, T0, &retry_after,
                                                       &error);

      g_assert_null (answer);
      g_assert_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID);
    }
}

static void
test_mask (void)
{
  g_autofree char *email = entsec_enroll_mask_address ("email", "ann@example.com");
  g_autofree char *phone = entsec_enroll_mask_address ("sms", "+442079460958");

  g_assert_cmpstr (email, ==, "a***@example.com");
  g_assert_cmpstr (phone, ==, "+44********58");
}

#define WRITERS       8
#define WRITES_EACH   40

typedef struct
{
  EntsecStorage *storage;
  guint          writer;
  guint          created;   /* users this writer added */
  guint          conflicts; /* refused as taken */
} Writer;

/* Half of the addresses are shared by writers 2k and 2k + 1, so that calls
 * which fail on a unique value sit in the same transactions as calls that
 * succeed. */
static gpointer
write_users (gpointer data)
{
  Writer *w = data;

  for (guint i = 0; i < WRITES_EACH; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *id = g_strdup_printf ("usr_%u_%u", w->writer, i);
      g_autofree char *email = i % 2 == 0
                               ? g_strdup_printf ("own%u-%u@example.com", w->writer, i)
                               : g_strdup_printf ("pair%u-%u@example.com", w->writer / 2, i);
      EntsecUser user = { .id = id, .email = email, .created = 1700000000 };

      if (entsec_storage_user_create (w->storage, &user, &error))
        w->created++;
      else if (g_error_matches (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFLICT))
        w->conflicts++;
      else
        g_error ("unexpected: %s", error->message);
      g_assert_true (entsec_storage_audit (w->storage, "system", "test", id, NULL));
    }
  return NULL;
}

/* Writers on several threads share transactions (group commit): every
 * call that returned success is there after a reopen, every refused call
 * left nothing behind and undid nothing of the others. */
static void
test_storage_concurrent_writes (StorageFixture *f,
                                gconstpointer   data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecStorage) storage = entsec_test_storage_open (f->path, TRUE, &error);
  g_autoptr (GPtrArray) users = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  Writer writers[WRITERS] = { 0 };
  GThread *threads[WRITERS];
  guint created = 0, conflicts = 0;

  g_assert_no_error (error);
  for (guint i = 0; i < WRITERS; i++)
    {
      writers[i] = (Writer) { .storage = storage, .writer = i };
      threads[i] = g_thread_new ("writer", write_users, &writers[i]);
    }
  for (guint i = 0; i < WRITERS; i++)
    {
      g_thread_join (threads[i]);
      created += writers[i].created;
      conflicts += writers[i].conflicts;
    }
  /* Each shared address is taken by exactly one of its two writers. */
  g_assert_cmpuint (created, ==, WRITERS * WRITES_EACH / 2 + WRITERS * WRITES_EACH / 4);
  g_assert_cmpuint (conflicts, ==, WRITERS * WRITES_EACH / 4);

  g_clear_pointer (&storage, entsec_storage_close);
  storage = entsec_test_storage_open (f->path, FALSE, &error);
  g_assert_no_error (error);
  users = entsec_storage_user_list (storage, NULL, 10000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (users->len, ==, created);
  entries = entsec_storage_audit_list (storage, 0, 10000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, WRITERS * WRITES_EACH);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/server/config/file", test_config_file);
  g_test_add_func ("/server/config/refused", test_config_refused);
  g_test_add_func ("/server/config/env", test_config_env);
  g_test_add_func ("/server/config/database", test_config_database);
  g_test_add_func ("/server/config/trusted-proxies", test_trusted_proxies);
  g_test_add_func ("/server/phone", test_phone);
  g_test_add_func ("/server/email-and-name", test_email_and_name);
  g_test_add ("/server/storage/users", StorageFixture, NULL, storage_setup,
              test_storage_users, storage_teardown);
  g_test_add ("/server/storage/disable", StorageFixture, NULL, storage_setup,
              test_storage_disable, storage_teardown);
  g_test_add ("/server/storage/reopen", StorageFixture, NULL, storage_setup,
              test_storage_reopen, storage_teardown);
  g_test_add ("/server/storage/concurrent-writes", StorageFixture, NULL, storage_setup,
              test_storage_concurrent_writes, storage_teardown);
  g_test_add_func ("/server/storage/missing", test_storage_missing);
  g_test_add_func ("/server/enroll/mask", test_mask);
#define ADD_ENROLL(path, func) \
  g_test_add (path, EnrollFixture, NULL, enroll_setup, func, enroll_teardown)
  ADD_ENROLL ("/server/enroll/once", test_enroll_once);
  ADD_ENROLL ("/server/enroll/burns", test_enroll_burns);
  ADD_ENROLL ("/server/enroll/expires", test_enroll_expires);
  ADD_ENROLL ("/server/enroll/resend", test_enroll_resend);
  ADD_ENROLL ("/server/enroll/unknown-same-answer", test_enroll_unknown_same_answer);
  ADD_ENROLL ("/server/enroll/bad-requests", test_enroll_bad_requests);
  return g_test_run ();
}
