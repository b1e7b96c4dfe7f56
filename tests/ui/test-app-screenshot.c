/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-app-screenshot.c: "Scan from Screen" against a Screenshot portal
 * served here on the test's private session bus (xvfb-session.sh). */

#include "config.h"

#include <adwaita.h>
#include <entsec/entsec.h>
#include <gdk/x11/gdkx.h>

#include "entsec-add-dialog.h"
#include "entsec-qr-texture.h"
#include "entsec-screenshot.h"
#include "../vault-test-util.h"

static const char portal_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.portal.Screenshot'>"
  "    <method name='Screenshot'>"
  "      <arg type='s' name='parent_window' direction='in'/>"
  "      <arg type='a{sv}' name='options' direction='in'/>"
  "      <arg type='o' name='handle' direction='out'/>"
  "    </method>"
  "    <property name='version' type='u' access='read'/>"
  "  </interface>"
  "</node>";

/* The fake portal: what it answers and what it was asked. */
typedef struct
{
  char     *picture_uri;
  guint32   response;
  gboolean  interactive;
  guint     calls;
  char     *parent;
} Portal;

static void
portal_call (GDBusConnection       *bus,
             const char            *sender,
             const char            *path,
             const char            *interface,
             const char            *method,
             GVariant              *parameters,
             GDBusMethodInvocation *invocation,
             gpointer               user_data)
{
  Portal *portal = user_data;
  g_autoptr (GVariant) options = NULL;
  g_autofree char *sender_part = g_strdelimit (g_strdup (sender + 1), ".", '_');
  g_autofree char *handle = NULL;
  GVariantBuilder results;
  const char *parent = NULL;
  const char *token = NULL;

  g_variant_get (parameters, "(&s@a{sv})", &parent, &options);
  g_assert_true (g_variant_lookup (options, "handle_token", "&s", &token));
  portal->interactive = FALSE;
  g_variant_lookup (options, "interactive", "b", &portal->interactive);
  portal->calls++;
  g_free (portal->parent);
  portal->parent = g_strdup (parent);
  if (portal->response == 3)
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.portal.Error.Failed",
                                                  "no screen to capture");
      return;
    }
  handle = g_strdup_printf ("/org/freedesktop/portal/desktop/request/%s/%s", sender_part, token);
  g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", handle));
  g_variant_builder_init (&results, G_VARIANT_TYPE_VARDICT);
  if (portal->response == 0)
    g_variant_builder_add (&results, "{sv}", "uri", g_variant_new_string (portal->picture_uri));
  g_dbus_connection_emit_signal (bus, sender, handle, "org.freedesktop.portal.Request", "Response",
                                 g_variant_new ("(ua{sv})", portal->response, &results), NULL);
}

static GVariant *
portal_property (GDBusConnection *bus,
                 const char      *sender,
                 const char      *path,
                 const char      *interface,
                 const char      *property,
                 GError         **error,
                 gpointer         user_data)
{
  return g_variant_new_uint32 (1);
}

static const GDBusInterfaceVTable portal_vtable = { portal_call, portal_property, NULL, { 0 } };

static void
store_result (GObject       *source,
              GAsyncResult  *result,
              gpointer       user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static gboolean
available (void)
{
  g_autoptr (GAsyncResult) result = NULL;

  entsec_screenshot_available_async (NULL, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return entsec_screenshot_available_finish (result);
}

static GFile *
take (GError **error)
{
  g_autoptr (GAsyncResult) result = NULL;

  entsec_screenshot_take_async ("", NULL, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return entsec_screenshot_take_finish (result, error);
}

static void
name_acquired (GDBusConnection *bus,
               const char      *name,
               gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

static GtkWidget *
find_button (GtkWidget  *widget,
             const char *label)
{
  if (GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button (child, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
count_added (EntsecAddDialog *dialog,
             guint            count,
             guint           *added)
{
  *added += count;
}

/* The portal identifier of @window, as the X server knows it. */
static char *
window_identifier (GtkWindow *window)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));

  g_assert_true (GDK_IS_X11_SURFACE (surface));
  return g_strdup_printf ("x11:%lx", (unsigned long) gdk_x11_surface_get_xid (surface));
}

static char *
parent_of (GtkWindow *window)
{
  g_autoptr (GAsyncResult) result = NULL;

  entsec_screenshot_parent_async (window, NULL, store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  return entsec_screenshot_parent_finish (result);
}

/* On X11 (Xvfb) a shown window is "x11:" and its XID in hexadecimal, the
 * form xdg-desktop-portal parses; a window not shown yet has none. */
static void
test_parent_identifier (void)
{
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  g_autofree char *hidden = parent_of (window);
  g_autofree char *shown = NULL;
  g_autofree char *expected = NULL;
  char *end = NULL;

  g_assert_cmpstr (hidden, ==, "");
  gtk_window_present (window);
  shown = parent_of (window);
  expected = window_identifier (window);
  g_assert_cmpstr (shown, ==, expected);
  g_assert_true (g_str_has_prefix (shown, "x11:"));
  g_assert_cmpuint (g_ascii_strtoull (shown + 4, &end, 16), ==,
                    gdk_x11_surface_get_xid (gtk_native_get_surface (GTK_NATIVE (window))));
  g_assert_cmpstr (end, ==, "");
  entsec_screenshot_parent_unexport (window, shown);
  gtk_window_destroy (window);
}

/* No portal: the item stays hidden. The portal: an interactive request,
 * the picture it answers read like a chosen picture; a cancel is quiet. */
static void
test_screenshot_portal (void)
{
  g_autofree char *dir = g_dir_make_tmp ("entsec-screen-XXXXXX", NULL);
  g_autofree char *png = g_build_filename (dir, "Screenshot.png", NULL);
  g_autoptr (GdkTexture) texture = entsec_qr_texture_new ("otpauth://totp/ACME:grace?secret=JBSWY3DPEHPK3PXP&issuer=ACME", 4, NULL);
  g_autoptr (GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr (GDBusNodeInfo) node = g_dbus_node_info_new_for_xml (portal_xml, NULL);
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GFile) file = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *path = NULL;
  EntsecAddDialog *dialog;
  GtkWidget *button;
  Portal portal = { NULL, 0, FALSE, 0, NULL };
  gboolean owned = FALSE;
  guint registration, owner;
  guint added = 0;
  g_autofree char *expected_parent = NULL;

  g_assert_nonnull (bus);
  g_assert_false (available ());

  g_assert_true (gdk_texture_save_to_png (texture, png));
  portal.picture_uri = g_filename_to_uri (png, NULL, NULL);
  registration = g_dbus_connection_register_object (bus, "/org/freedesktop/portal/desktop",
                                                    node->interfaces[0], &portal_vtable, &portal,
                                                    NULL, &error);
  g_assert_no_error (error);
  owner = g_bus_own_name_on_connection (bus, "org.freedesktop.portal.Desktop",
                                        G_BUS_NAME_OWNER_FLAGS_NONE, name_acquired, NULL, &owned,
                                        NULL);
  while (!owned)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (available ());

  file = take (&error);
  g_assert_no_error (error);
  path = g_file_get_path (file);
  g_assert_cmpstr (path, ==, png);
  g_assert_true (portal.interactive);
  g_assert_cmpstr (portal.parent, ==, "");
  g_clear_object (&file);

  portal.response = 1;
  file = take (&error);
  g_assert_null (file);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  portal.response = 2;
  file = take (&error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "Choose Pictures"));
  g_clear_error (&error);
  portal.response = 3;
  file = take (&error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "no screen to capture"));
  g_clear_error (&error);

  /* The dialog shows the item, and a screenshot adds its account. */
  portal.response = 0;
  g_free (path);
  path = g_build_filename (dir, "vault.db", NULL);
  vault = entsec_vault_create_sync (path, FALSE, "correct horse", 13, &vt_fast_kdf, NULL, &error);
  g_assert_no_error (error);
  dialog = entsec_add_dialog_new (NULL, vault);
  gtk_window_present (GTK_WINDOW (dialog));
  g_signal_connect (dialog, "accounts-added", G_CALLBACK (count_added), &added);
  button = find_button (GTK_WIDGET (dialog), "Scan from _Screen");
  g_assert_nonnull (button);
  while (!gtk_widget_get_visible (button))
    g_main_context_iteration (NULL, TRUE);
  g_signal_emit_by_name (button, "clicked");
  while (added == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (portal.calls, ==, 5);
  /* The portal was told which window it is for: its dialog is modal to ours. */
  expected_parent = window_identifier (GTK_WINDOW (dialog));
  g_assert_cmpstr (portal.parent, ==, expected_parent);
  gtk_window_destroy (GTK_WINDOW (dialog));

  g_bus_unown_name (owner);
  g_dbus_connection_unregister_object (bus, registration);
  g_free (portal.picture_uri);
  g_free (portal.parent);
  g_clear_object (&vault);
  vt_remove_tree (dir);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/app/screenshot/portal", test_screenshot_portal);
  g_test_add_func ("/app/screenshot/parent-identifier", test_parent_identifier);
  return g_test_run ();
}
