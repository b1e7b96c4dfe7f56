/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-events.c: the sign-in approvals kept from polls are listed only when
 * the pinned authority key signed them for this device and key and they have
 * not expired at the injected clock; the events worker's backoff, and its
 * stop on an error another poll cannot mend. No network.
 */

#include "config.h"

#include <string.h>

#include "enterprise-test-util.h"

/* A push for challenge @id signed by @key for @device and @jkt, expiring at @exp. */
static char *
push_jws (EVP_PKEY   *key,
          const char *id,
          const char *device,
          const char *jkt,
          gint64      exp)
{
  g_autoptr (json_t) payload = json_pack ("{s:i, s:s, s:s, s:s, s:s, s:s, s:I, s:I, "
                                          "s:{s:s, s:s}, s:{s:s, s:i}}",
                                          "v", 1, "iss", ISSUER, "challenge_id", id,
                                          "device_id", device, "key_jkt", jkt,
                                          "nonce", "bm9uY2Vub25jZW5vbmNl",
                                          "iat", (json_int_t) exp - 60, "exp", (json_int_t) exp,
                                          "context", "app", "VPN", "ip", "192.0.2.7",
                                          "number_matching", "mode", "enter", "digits", 2);
  g_autofree char *text = entsec_json_dump (payload);

  return entsec_jws_sign (key, "entsec-push+jwt", NULL, (const guint8 *) text, strlen (text),
                          NULL);
}

/* Keep @jws (taken) as the pending push @id. */
static void
add_pending (json_t     *pending,
             const char *id,
             char       *jws)
{
  json_object_set_new (pending, id, json_string (jws));
  g_free (jws);
}

static void
test_only_checked_unexpired_listed (Fixture      *f,
                                    gconstpointer data)
{
  g_autoptr (EVP_PKEY) other = entsec_ec_generate (NULL);
  g_autoptr (json_t) pending = json_object ();
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = NULL;
  EntsecApproval *approval;

  add_pending (pending, "ptx_good",
               push_jws (f->authority, "ptx_good", DEVICE_ID, f->key_jkt, NOW + 30));
  add_pending (pending, "ptx_expired",
               push_jws (f->authority, "ptx_expired", DEVICE_ID, f->key_jkt, NOW));
  add_pending (pending, "ptx_foreign",
               push_jws (other, "ptx_foreign", DEVICE_ID, f->key_jkt, NOW + 30));
  add_pending (pending, "ptx_other_device",
               push_jws (f->authority, "ptx_other_device", "dev_other", f->key_jkt, NOW + 30));
  add_pending (pending, "ptx_other_key",
               push_jws (f->authority, "ptx_other_key", DEVICE_ID, "AAAA", NOW + 30));
  text = entsec_json_dump (pending);
  set_string (f->vault, ENTSEC_PREF_PENDING_PUSHES, text);

  list = entsec_enterprise_approvals_list_sync (f->vault, NOW, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 1);
  approval = g_ptr_array_index (list, 0);
  g_assert_cmpstr (approval->challenge_id, ==, "ptx_good");
  g_assert_cmpstr (approval->mode, ==, "enter");
  g_assert_cmpint (approval->expires_at, ==, NOW + 30);
  g_assert_cmpstr (approval->context_json, ==, "{\"app\":\"VPN\",\"ip\":\"192.0.2.7\"}");
  g_clear_pointer (&list, g_ptr_array_unref);

  /* At its expiry it is gone too. */
  list = entsec_enterprise_approvals_list_sync (f->vault, NOW + 30, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 0);
}

static void
test_unknown_request_refused (Fixture      *f,
                              gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  g_assert_false (entsec_enterprise_approval_respond_sync (f->vault, "ptx_none", TRUE, 42,
                                                           ENTSEC_DENY_REASON_DECLINED, NOW,
                                                           NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_nonnull (strstr (error->message, "entsec-cli approvals"));
}

static void
test_backoff (void)
{
  static const guint expected[] = { 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000 };

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpuint (entsec_events_backoff_ms (i + 1, 1.0), ==, expected[i]);
  g_assert_cmpuint (entsec_events_backoff_ms (1000, 1.0), ==, 60000);
  g_assert_cmpuint (entsec_events_backoff_ms (1, 0.75), ==, 750);
  g_assert_cmpuint (entsec_events_backoff_ms (7, 1.25), ==, 75000);
  /* Jitter out of range is clamped. */
  g_assert_cmpuint (entsec_events_backoff_ms (1, 9.0), ==, 1250);
}

static void
on_failed (EntsecEventsWorker *worker,
           const GError       *error,
           GError            **copy)
{
  g_assert_null (*copy);
  *copy = g_error_copy (error);
}

static void
on_stopped (EntsecEventsWorker *worker,
            gboolean           *stopped)
{
  *stopped = TRUE;
}

static void
test_worker_stops_when_not_enrolled (Fixture      *f,
                                     gconstpointer data)
{
  g_autoptr (EntsecEventsWorker) worker = NULL;
  g_autoptr (GError) error = NULL;
  gboolean stopped = FALSE;

  g_assert_true (entsec_vault_remove_pref_sync (f->vault, ENTSEC_PREF_DEVICE_ID, NULL, &error));
  g_assert_no_error (error);
  worker = entsec_events_worker_new (f->vault, 0);
  g_signal_connect (worker, "failed", G_CALLBACK (on_failed), &error);
  g_signal_connect (worker, "stopped", G_CALLBACK (on_stopped), &stopped);
  entsec_events_worker_start (worker);
  g_assert_true (entsec_events_worker_get_running (worker));
  while (!stopped)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_NOT_ENROLLED);
  g_assert_false (entsec_events_worker_get_running (worker));
}

static void
on_remote_wipe (GObject      *source,
                GAsyncResult *result,
                gpointer      data)
{
  EntsecRemoteWipe **wipe = data;
  g_autoptr (GError) error = NULL;

  *wipe = entsec_enterprise_remote_wipe_get_finish (ENTSEC_VAULT (source), result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (*wipe);
}

static EntsecRemoteWipe *
remote_wipe_of (EntsecVault *vault)
{
  EntsecRemoteWipe *wipe = NULL;

  entsec_enterprise_remote_wipe_get_async (vault, NULL, on_remote_wipe, &wipe);
  while (wipe == NULL)
    g_main_context_iteration (NULL, TRUE);
  return wipe;
}

/*
 * Another program carried out a wipe's first part while this one held the
 * vault unlocked: the next enterprise call here removes the rest, then finds
 * the vault not enrolled; the record says when, through the _async call.
 */
static void
test_remote_wipe_finished_by_the_next_call (Fixture      *f,
                                            gconstpointer data)
{
  EntsecRemoteWipe pending = { 1000, 2000, 0 };
  g_autoptr (GBytes) record = entsec_remote_wipe_encode (&pending);
  g_autofree EntsecRemoteWipe *before = NULL;
  g_autofree EntsecRemoteWipe *after = NULL;
  g_autoptr (GPtrArray) approvals = NULL;
  g_autoptr (GVariant) device_id = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_true (entsec_vault_set_locked_row_sync (f->vault, ENTSEC_LOCKED_REMOTE_WIPE, record,
                                                   NULL, &error));
  g_assert_no_error (error);
  before = remote_wipe_of (f->vault);
  g_assert_cmpint (before->ordered_at, ==, 1000);
  g_assert_cmpint (before->completed_at, ==, 0);
  approvals = entsec_enterprise_approvals_list_sync (f->vault, 0, NULL, &error);
  g_assert_null (approvals);
  g_assert_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_NOT_ENROLLED);
  g_clear_error (&error);
  device_id = entsec_vault_get_pref_sync (f->vault, ENTSEC_PREF_DEVICE_ID, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (device_id);
  after = remote_wipe_of (f->vault);
  g_assert_cmpint (after->received_at, ==, 2000);
  g_assert_cmpint (after->completed_at, >, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  ADD ("/events/only-checked-unexpired-listed", test_only_checked_unexpired_listed);
  ADD ("/events/unknown-request-refused", test_unknown_request_refused);
  ADD ("/events/worker-stops-when-not-enrolled", test_worker_stops_when_not_enrolled);
  ADD ("/events/remote-wipe-finished-by-the-next-call",
       test_remote_wipe_finished_by_the_next_call);
  g_test_add_func ("/events/backoff", test_backoff);
  return g_test_run ();
}
