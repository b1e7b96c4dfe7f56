/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-app-approvals.c: the sign-in requests' controller: the signed context
 * as the dialog shows it, high risk, expiry by an injected clock, and the
 * autostart entry of "run-in-background". */

#include "config.h"

#include <glib/gstdio.h>

#include <adwaita.h>
#include <entsec/entsec.h>

#include "entsec-application.h"
#include "entsec-approvals.h"

static EntsecApproval *
approval_new (const char *id,
              gint64      expires_at,
              const char *context_json)
{
  EntsecApproval *approval = g_new0 (EntsecApproval, 1);

  approval->challenge_id = g_strdup (id);
  approval->issued_at = expires_at - 60;
  approval->expires_at = expires_at;
  approval->mode = g_strdup ("enter");
  approval->context_json = g_strdup (context_json);
  return approval;
}

static GPtrArray *
list_of (EntsecApproval *first,
         ...)
{
  GPtrArray *list = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_approval_free);
  va_list args;

  va_start (args, first);
  for (EntsecApproval *a = first; a != NULL; a = va_arg (args, EntsecApproval *))
    g_ptr_array_add (list, a);
  va_end (args);
  return list;
}

static char *
fields_text (const EntsecApproval *approval)
{
  g_autoptr (GPtrArray) fields = entsec_approval_context_fields (approval);
  g_autoptr (GString) text = g_string_new (NULL);

  for (guint i = 0; i < fields->len; i++)
    {
      EntsecApprovalField *field = g_ptr_array_index (fields, i);

      g_string_append_printf (text, "%s%s=%s", i > 0 ? "|" : "", field->label, field->value);
    }
  return g_string_free (g_steal_pointer (&text), FALSE);
}

/* Known members first under a person's words, in a fixed order; others under their names. */
static void
test_context_fields (void)
{
  g_autoptr (EntsecApproval) approval = NULL;
  g_autofree char *text = NULL;
  g_autofree char *name = NULL;

  approval = approval_new ("ptx_1", 100,
                           "{\"team\":\"Ops\",\"ip\":\"192.0.2.7\",\"browser\":\"Firefox\","
                           "\"app\":\"VPN\",\"location\":\"Berlin\",\"risk\":\"normal\","
                           "\"count\":3}");
  text = fields_text (approval);
  g_assert_cmpstr (text, ==, "Application=VPN|Approximate place=Berlin|IP address=192.0.2.7|"
                             "Browser=Firefox|team=Ops");
  g_assert_false (entsec_approval_is_high_risk (approval));
  name = entsec_approval_dup_app_name (approval);
  g_assert_cmpstr (name, ==, "VPN");
}

/* "risk": "high" shows, and marks the request as one that raises no notification. */
static void
test_high_risk (void)
{
  g_autoptr (EntsecApproval) approval = approval_new ("ptx_1", 100,
                                                      "{\"app\":\"Payroll\",\"risk\":\"high\"}");
  g_autofree char *text = fields_text (approval);

  g_assert_cmpstr (text, ==, "Application=Payroll|Risk=high");
  g_assert_true (entsec_approval_is_high_risk (approval));
}

/* A context that is not a JSON object shows nothing and names no application. */
static void
test_bad_context (void)
{
  const char *contexts[] = { "[1,2]", "not json", "\"VPN\"", "" };

  for (gsize i = 0; i < G_N_ELEMENTS (contexts); i++)
    {
      g_autoptr (EntsecApproval) approval = approval_new ("ptx_1", 100, contexts[i]);
      g_autoptr (GPtrArray) fields = entsec_approval_context_fields (approval);
      g_autofree char *name = entsec_approval_dup_app_name (approval);

      g_assert_cmpuint (fields->len, ==, 0);
      g_assert_false (entsec_approval_is_high_risk (approval));
      g_assert_cmpstr (name, ==, "an application of your organization");
    }
}

static gint64
fixed_clock (gpointer user_data)
{
  return *(gint64 *) user_data;
}

static void
count_changed (EntsecApprovals *approvals,
               guint           *count)
{
  (*count)++;
}

/* Requests leave by the injected clock: at the update, and at a later expiry check. */
static void
test_expiry (void)
{
  g_autoptr (EntsecApprovals) approvals = entsec_approvals_new (NULL);
  gint64 now = 1000;
  guint changed = 0;
  GPtrArray *pending;

  entsec_approvals_set_clock (approvals, fixed_clock, &now);
  g_signal_connect (approvals, "changed", G_CALLBACK (count_changed), &changed);
  entsec_approvals_set_pending (approvals,
                                list_of (approval_new ("ptx_old", 1000, "{}"),
                                         approval_new ("ptx_a", 1030, "{\"app\":\"A\"}"),
                                         approval_new ("ptx_b", 1060, "{\"app\":\"B\"}"), NULL));
  pending = entsec_approvals_get_pending (approvals);
  g_assert_cmpuint (changed, ==, 1);
  g_assert_cmpuint (pending->len, ==, 2);
  g_assert_null (entsec_approvals_lookup (approvals, "ptx_old"));
  g_assert_nonnull (entsec_approvals_lookup (approvals, "ptx_a"));

  /* Nothing expired: no change told. */
  entsec_approvals_expire (approvals);
  g_assert_cmpuint (changed, ==, 1);

  now = 1030;
  entsec_approvals_expire (approvals);
  g_assert_cmpuint (changed, ==, 2);
  pending = entsec_approvals_get_pending (approvals);
  g_assert_cmpuint (pending->len, ==, 1);
  g_assert_cmpstr (((EntsecApproval *) g_ptr_array_index (pending, 0))->challenge_id, ==,
                   "ptx_b");

  now = 5000;
  entsec_approvals_expire (approvals);
  g_assert_cmpuint (entsec_approvals_get_pending (approvals)->len, ==, 0);
  g_assert_cmpuint (changed, ==, 3);
}

static void
test_notification_id (void)
{
  g_autofree char *id = entsec_approval_notification_id ("ptx_abc");

  g_assert_cmpstr (id, ==, "approval-ptx_abc");
}

/* "Run in background" writes an autostart entry that starts the service, and removes it. */
static void
test_autostart (void)
{
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "autostart",
                                            ENTSEC_APP_ID ".desktop", NULL);
  g_autoptr (GKeyFile) entry = g_key_file_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *exec = NULL;

  g_assert_true (entsec_app_write_autostart (TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (g_key_file_load_from_file (entry, path, G_KEY_FILE_NONE, &error));
  g_assert_no_error (error);
  exec = g_key_file_get_string (entry, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_EXEC,
                                &error);
  g_assert_cmpstr (exec, ==, "entsec --gapplication-service");
  g_assert_true (entsec_app_write_autostart (FALSE, &error));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  /* Removing what is not there is no error. */
  g_assert_true (entsec_app_write_autostart (FALSE, &error));
  g_assert_no_error (error);
}

static gboolean
file_exists_is (const char *path,
                gboolean    wanted)
{
  return g_file_test (path, G_FILE_TEST_EXISTS) == wanted;
}

/* The application acts on the setting: the entry follows "run-in-background". */
static void
test_run_in_background (void)
{
  g_autoptr (EntsecApplication) app = entsec_application_new ();
  g_autofree char *path = g_build_filename (g_get_user_config_dir (), "autostart",
                                            ENTSEC_APP_ID ".desktop", NULL);
  g_autoptr (GError) error = NULL;
  GSettings *settings;

  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  settings = entsec_application_get_settings (app);
  g_assert_nonnull (settings);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_settings_set_boolean (settings, "run-in-background", TRUE);
  while (!file_exists_is (path, TRUE))
    g_main_context_iteration (NULL, TRUE);
  g_settings_set_boolean (settings, "run-in-background", FALSE);
  while (!file_exists_is (path, FALSE))
    g_main_context_iteration (NULL, TRUE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/approvals/context-fields", test_context_fields);
  g_test_add_func ("/approvals/high-risk", test_high_risk);
  g_test_add_func ("/approvals/bad-context", test_bad_context);
  g_test_add_func ("/approvals/expiry", test_expiry);
  g_test_add_func ("/approvals/notification-id", test_notification_id);
  g_test_add_func ("/approvals/autostart", test_autostart);
  g_test_add_func ("/approvals/run-in-background", test_run_in_background);
  return g_test_run ();
}
