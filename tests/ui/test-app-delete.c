/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-app-delete.c: "Delete All Local Data…" in personal mode, in the real
 * application and window (xvfb-session.sh: a real display, D-Bus session and
 * gnome-keyring; a throwaway HOME): the preferences offer it, the
 * confirmation says what goes, then the vault file and its keyring items
 * are gone, the settings are back to their defaults and the window shows
 * the first-run page.
 */

#include "config.h"

#include <adwaita.h>
#include <libsecret/secret.h>
#include <entsec/entsec.h>

#include "entsec-application.h"
#include "entsec-delete-data.h"
#include "entsec-window.h"

static const EntsecKdfParams cheap_kdf = { 8 * 1024, 1, 1 };

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

static guint
keyring_items (const char *id)
{
  g_autoptr (SecretService) service = secret_service_get_sync (SECRET_SERVICE_OPEN_SESSION, NULL,
                                                                NULL);
  g_autoptr (GHashTable) attributes = g_hash_table_new (g_str_hash, g_str_equal);
  GList *items;
  guint n;

  g_assert_nonnull (service);
  g_hash_table_insert (attributes, "vault", (gpointer) id);
  items = secret_service_search_sync (service, NULL, attributes, SECRET_SEARCH_ALL, NULL, NULL);
  n = g_list_length (items);
  g_list_free_full (items, g_object_unref);
  return n;
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
  g_autoptr (EntsecApplication) app = entsec_application_new ();
  g_autoptr (GError) error = NULL;
  EntsecWindow *window;
  GtkWindow *preferences;
  GtkWindow *confirm;
  GtkWidget *button;
  GSettings *settings;
  PageWait codes = { NULL, "codes" };
  PageWait setup = { NULL, "setup" };

  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  settings = entsec_application_get_settings (app);
  g_assert_nonnull (settings);
  g_settings_set_boolean (settings, "hide-codes", !g_settings_get_boolean (settings,
                                                                           "hide-codes"));
  g_assert_true (g_settings_get_user_value (settings, "hide-codes") != NULL);
  g_assert_cmpuint (keyring_items (id), >, 0);

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
  g_assert_cmpuint (keyring_items (id), ==, 0);
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
  g_assert_cmpuint (keyring_items (id), >, 0);
  gtk_window_destroy (GTK_WINDOW (parent));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/app/delete/cancel-keeps-everything", test_cancel_keeps_everything);
  g_test_add_func ("/app/delete/personal", test_delete_personal);
  return g_test_run ();
}
