/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-app-local-data.c: in the real application and window (xvfb-session.sh:
 * a real display, D-Bus session and gnome-keyring; a throwaway HOME):
 *  - "Delete All Local Data…" in personal mode: the preferences offer it, the
 *    confirmation says what goes, then the vault file and its keyring items
 *    are gone, the settings are back to their defaults and the window shows
 *    the first-run page; a deletion cut short is finished at the next start;
 *  - a remote wipe that arrived while the app was closed (its record as the
 *    events worker writes it, in the vault's locked rows) is finished by the
 *    unlock, and the window says what happened, when and why, once.
 */

#include "config.h"

#include <adwaita.h>
#include <libsecret/secret.h>
#include <entsec/entsec.h>

#include "entsec-application.h"
#include "entsec-delete-data.h"
#include "entsec-window.h"
#include "entsec-wipe-notice.h"
#include "keyring-test-util.h"

static const EntsecKdfParams cheap_kdf = { 8 * 1024, 1, 1 };

/* Failure injection of libentsec (entsec-vault-private.h). */
extern gboolean vault_testing_fail_delete;

/* One application per process (its name on the session bus), registered in main(). */
static EntsecApplication *app;

static void
spin_until (GSourceFunc done,
            gpointer    data)
{
  while (!done (data))
    g_main_context_iteration (NULL, TRUE);
}

static GtkStack *
main_stack (EntsecWindow *window)
{
  return GTK_STACK (gtk_widget_get_template_child (GTK_WIDGET (window), ENTSEC_TYPE_WINDOW,
                                                   "main_stack"));
}

typedef struct
{
  EntsecWindow *window;
  const char   *page;
} PageWait;

static gboolean
page_shown (gpointer data)
{
  PageWait *wait = data;

  return g_strcmp0 (gtk_stack_get_visible_child_name (main_stack (wait->window)), wait->page)
         == 0;
}

/* The first toplevel of @type (and, for a message dialog, with @heading). */
static GtkWindow *
find_toplevel (GType       type,
               const char *heading)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (!G_TYPE_CHECK_INSTANCE_TYPE (window, type))
        continue;
      if (heading == NULL
          || g_strcmp0 (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (window)), heading)
               == 0)
        return window;
    }
  return NULL;
}

typedef struct
{
  GType       type;
  const char *heading;
} ToplevelWait;

static gboolean
toplevel_shown (gpointer data)
{
  ToplevelWait *wait = data;

  return find_toplevel (wait->type, wait->heading) != NULL;
}

static GtkWindow *
await_toplevel (GType       type,
                const char *heading)
{
  ToplevelWait wait = { type, heading };

  spin_until (toplevel_shown, &wait);
  return find_toplevel (type, heading);
}

static gboolean
is_button_labelled (GtkWidget  *widget,
                    const char *label)
{
  return GTK_IS_BUTTON (widget)
         && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0;
}

static GtkWidget *
find_button (GtkWidget  *root,
             const char *label)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = is_button_labelled (child, label) ? child : find_button (child, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* A keyring-only vault at the default path with one account; its id hash. */
static char *
make_vault (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecVault) vault = entsec_vault_create_sync (path, TRUE, NULL, 0, &cheap_kdf, NULL,
                                                            &error);
  g_autoptr (EntsecAccount) account = NULL;
  g_autoptr (GPtrArray) batch = g_ptr_array_new ();

  g_assert_no_error (error);
  account = entsec_otpauth_parse ("otpauth://totp/Mine:me?secret=JBSWY3DPEHPK3PXP&issuer=Mine",
                                  NULL, &error);
  g_assert_no_error (error);
  g_ptr_array_add (batch, account);
  g_assert_true (entsec_vault_add_accounts_sync (vault, batch, ENTSEC_VAULT_ADD_NONE, NULL, NULL,
                                                 NULL, &error));
  g_assert_no_error (error);
  return entsec_vault_dup_id (vault);
}

static void
test_delete_personal (void)
{
  g_autofree char *path = entsec_vault_default_path (NULL);
  g_autofree char *id = make_vault (path);
  EntsecWindow *window;
  GtkWindow *preferences;
  GtkWindow *confirm;
  GtkWidget *button;
  GSettings *settings;
  PageWait codes = { NULL, "codes" };
  PageWait setup = { NULL, "setup" };

  settings = entsec_application_get_settings (app);
  g_assert_nonnull (settings);
  g_settings_set_boolean (settings, "hide-codes", !g_settings_get_boolean (settings,
                                                                           "hide-codes"));
  g_assert_true (g_settings_get_user_value (settings, "hide-codes") != NULL);
  g_assert_cmpuint (vt_count_vault_items (id), >, 0);

  window = entsec_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  codes.window = setup.window = window;
  spin_until (page_shown, &codes);

  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  preferences = await_toplevel (ADW_TYPE_PREFERENCES_WINDOW, NULL);
  button = find_button (GTK_WIDGET (preferences), "_Delete…");
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
  confirm = await_toplevel (ADW_TYPE_MESSAGE_DIALOG, "Delete All Local Data?");
  g_assert_cmpstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (confirm)), ==,
                   entsec_delete_data_confirm_text (FALSE));
  g_assert_cmpstr (adw_message_dialog_get_default_response (ADW_MESSAGE_DIALOG (confirm)), ==,
                   "cancel");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (confirm), "delete");

  await_toplevel (ADW_TYPE_MESSAGE_DIALOG, "All Local Data Deleted");
  spin_until (page_shown, &setup);
  g_assert_null (find_toplevel (ADW_TYPE_PREFERENCES_WINDOW, NULL));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (vt_count_vault_items (id), ==, 0);
  g_assert_null (g_settings_get_user_value (settings, "hide-codes"));
  g_assert_null (entsec_window_get_vault (window));

  gtk_window_destroy (GTK_WINDOW (window));
}

/* Cancel deletes nothing. */
static void
test_cancel_keeps_everything (void)
{
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "entsec", "kept.db", NULL);
  g_autofree char *id = make_vault (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecVault) vault = entsec_vault_open_sync (path, NULL, &error);
  GtkWidget *parent = gtk_window_new ();
  GtkWindow *confirm;

  g_assert_no_error (error);
  gtk_window_present (GTK_WINDOW (parent));
  entsec_delete_data_confirm (parent, vault, TRUE);
  confirm = await_toplevel (ADW_TYPE_MESSAGE_DIALOG, "Delete All Local Data?");
  g_assert_cmpstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (confirm)), ==,
                   entsec_delete_data_confirm_text (TRUE));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (confirm), "cancel");
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (vt_count_vault_items (id), >, 0);
  gtk_window_destroy (GTK_WINDOW (parent));
}

static void
leftovers_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  gint *finished = user_data;
  g_autoptr (GError) error = NULL;
  guint n = 0;

  g_assert_true (entsec_delete_data_finish_leftovers_finish (result, &n, &error));
  g_assert_no_error (error);
  *finished = (gint) n;
}

static gboolean
int_set (gpointer data)
{
  return *(gint *) data >= 0;
}

/* A deletion cut short after the file was set aside: the app's start finishes it. */
static void
test_leftovers_finished (void)
{
  g_autofree char *path = g_build_filename (g_get_user_data_dir (), "entsec", "cut.db", NULL);
  g_autofree char *id = make_vault (path);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecVault) vault = entsec_vault_open_sync (path, NULL, &error);
  g_autoptr (GDir) listing = NULL;
  const char *name;
  gint finished = -1;

  g_assert_no_error (error);
  vault_testing_fail_delete = TRUE;
  g_assert_false (entsec_vault_delete_sync (vault, NULL, &error));
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IO);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (vt_count_vault_items (id), >, 0);

  entsec_delete_data_finish_leftovers_async (path, NULL, leftovers_done, &finished);
  spin_until (int_set, &finished);
  g_assert_cmpint (finished, ==, 1);
  g_assert_cmpuint (vt_count_vault_items (id), ==, 0);
  listing = g_dir_open (dir, 0, NULL);
  while (listing != NULL && (name = g_dir_read_name (listing)) != NULL)
    g_assert_false (g_str_has_prefix (name, "cut.db"));
}

/* The record entsec-remote-wipe.c writes when a wipe arrives with the vault
 * locked; @reason >= 0: the four-member record of a wipe after too many
 * wrong unlocks (EntsecWipeReason). */
static void
write_wipe_record_for (const char *path,
                       gint64      ordered_at,
                       gint64      received_at,
                       gint        reason)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecVault) vault = entsec_vault_open_sync (path, NULL, &error);
  g_autoptr (GVariant) record = g_variant_ref_sink (
    reason < 0 ? g_variant_new ("(xxx)", ordered_at, received_at, (gint64) 0)
               : g_variant_new ("(xxxx)", ordered_at, received_at, (gint64) 0, (gint64) reason));
  g_autoptr (GBytes) row = g_variant_get_data_as_bytes (record);

  g_assert_no_error (error);
  g_assert_true (entsec_vault_set_locked_row_sync (vault, "enterprise.remote_wipe", row, NULL,
                                                   &error));
  g_assert_no_error (error);
}

static void
write_wipe_record (const char *path,
                   gint64      ordered_at,
                   gint64      received_at)
{
  write_wipe_record_for (path, ordered_at, received_at, -1);
}

typedef struct
{
  const char *path;
  gint64      received_at;
} PrefWait;

static gboolean
noticed_pref_is (gpointer data)
{
  PrefWait *wait = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecVault) vault = entsec_vault_open_sync (wait->path, NULL, &error);

  g_assert_no_error (error);
  g_assert_true (entsec_vault_unlock_keyring_sync (vault, NULL, &error));
  return entsec_vault_get_int_sync (vault, ENTSEC_WIPE_NOTICE_PREF, 0, NULL) == wait->received_at;
}

static void
test_wipe_notice_after_unlock (void)
{
  g_autofree char *path = entsec_vault_default_path (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree EntsecRemoteWipe *wipe = NULL;
  g_autofree char *expected = NULL;
  gint64 received_at = g_get_real_time () / G_USEC_PER_SEC - 3600;
  PageWait codes = { NULL, "codes" };
  PrefWait noticed = { path, received_at };
  EntsecWindow *window;
  GtkWindow *dialog;

  g_free (make_vault (path));
  write_wipe_record (path, received_at - 10, received_at);
  window = entsec_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  codes.window = window;
  spin_until (page_shown, &codes);

  dialog = await_toplevel (ADW_TYPE_MESSAGE_DIALOG, "Managed Accounts Removed");
  wipe = entsec_enterprise_remote_wipe_get_sync (entsec_window_get_vault (window), NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (wipe);
  /* The unlock finished it, and the notice says when it was ordered and finished. */
  g_assert_cmpint (wipe->completed_at, >, received_at);
  expected = entsec_wipe_notice_text (wipe);
  g_assert_cmpstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)), ==, expected);
  g_assert_nonnull (strstr (expected, "while the app was closed or locked"));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "close");
  /* Told once: the vault keeps which wipe was told. */
  spin_until (noticed_pref_is, &noticed);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* A wipe after too many wrong unlocks (made by this app, the CLI, or before
 * a restart) is told once after the unlock that finishes it, in its own
 * words: no administrator ordered it. */
static void
test_wipe_notice_for_failed_unlocks (void)
{
  g_autofree char *path = entsec_vault_default_path (NULL);
  g_autoptr (GError) error = NULL;
  g_autofree EntsecRemoteWipe *wipe = NULL;
  g_autofree char *expected = NULL;
  gint64 received_at;
  PageWait codes = { NULL, "codes" };
  PrefWait noticed = { path, 0 };
  EntsecWindow *window;
  GtkWindow *dialog;

  /* The vault the test before left. */
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autoptr (EntsecVault) old = entsec_vault_open_sync (path, NULL, &error);

      g_assert_no_error (error);
      g_assert_true (entsec_vault_delete_sync (old, NULL, &error));
      g_assert_no_error (error);
    }
  g_free (make_vault (path));
  received_at = g_get_real_time () / G_USEC_PER_SEC - 3600;
  noticed.received_at = received_at;
  write_wipe_record_for (path, 0, received_at, ENTSEC_WIPE_FAILED_UNLOCKS);
  window = entsec_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  codes.window = window;
  spin_until (page_shown, &codes);

  dialog = await_toplevel (ADW_TYPE_MESSAGE_DIALOG, "Managed Accounts Removed");
  wipe = entsec_enterprise_remote_wipe_get_sync (entsec_window_get_vault (window), NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (wipe);
  g_assert_cmpint (wipe->reason, ==, ENTSEC_WIPE_FAILED_UNLOCKS);
  expected = entsec_wipe_notice_text (wipe);
  g_assert_cmpstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)), ==, expected);
  g_assert_nonnull (strstr (expected, "a wrong passphrase or PIN was entered as often as"));
  g_assert_null (strstr (expected, "administrator of your organization ordered"));
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), "close");
  gtk_window_destroy (dialog);
  spin_until (noticed_pref_is, &noticed);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Without a record (a revocation found by a sync) the notice says what it knows. */
static void
test_wipe_notice_text (void)
{
  EntsecRemoteWipe at_once = { 1767225600, 1767225605, 1767225605 };
  g_autofree char *none = entsec_wipe_notice_text (NULL);
  g_autofree char *now = entsec_wipe_notice_text (&at_once);

  g_assert_true (g_str_has_prefix (none, "Your organization wiped the accounts it manages"));
  g_assert_true (g_str_has_prefix (now, "On "));
  g_assert_nonnull (strstr (now, "an administrator of your organization ordered this device "
                                 "wiped: "));
  g_assert_null (strstr (now, "while the app was closed"));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr (GError) error = NULL;
  int status;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  app = entsec_application_new ();
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);

  g_test_add_func ("/app/delete/cancel-keeps-everything", test_cancel_keeps_everything);
  g_test_add_func ("/app/delete/personal", test_delete_personal);
  g_test_add_func ("/app/delete/leftovers-finished", test_leftovers_finished);
  g_test_add_func ("/app/wipe-notice/text", test_wipe_notice_text);
  g_test_add_func ("/app/wipe-notice/after-unlock", test_wipe_notice_after_unlock);
  g_test_add_func ("/app/wipe-notice/failed-unlocks", test_wipe_notice_for_failed_unlocks);
  status = g_test_run ();
  g_clear_object (&app);
  return status;
}
