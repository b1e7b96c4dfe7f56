/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-screenshot.c: the Screenshot portal's request and Response signal, over GDBus */

#define G_LOG_DOMAIN "entsec-screenshot"

#include "config.h"

#include <glib/gi18n.h>

#include "entsec-screenshot.h"

#ifdef GDK_WINDOWING_X11
#include <gdk/x11/gdkx.h>
#endif
#ifdef GDK_WINDOWING_WAYLAND
#include <gdk/wayland/gdkwayland.h>
#endif

#define PORTAL_NAME "org.freedesktop.portal.Desktop"
#define PORTAL_PATH "/org/freedesktop/portal/desktop"
#define SCREENSHOT_INTERFACE "org.freedesktop.portal.Screenshot"
#define REQUEST_INTERFACE "org.freedesktop.portal.Request"

static void
version_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GVariant) reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result,
                                                              NULL);

  g_task_return_boolean (task, reply != NULL);
}

static void
bus_for_version (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GDBusConnection) bus = g_bus_get_finish (result, NULL);

  if (bus == NULL)
    {
      g_task_return_boolean (task, FALSE);
      return;
    }
  g_dbus_connection_call (bus, PORTAL_NAME, PORTAL_PATH, "org.freedesktop.DBus.Properties", "Get",
                          g_variant_new ("(ss)", SCREENSHOT_INTERFACE, "version"),
                          G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, -1,
                          g_task_get_cancellable (task), version_read, g_object_ref (task));
}

void
entsec_screenshot_available_async (GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, entsec_screenshot_available_async);
  g_bus_get (G_BUS_TYPE_SESSION, cancellable, bus_for_version, task);
}

gboolean
entsec_screenshot_available_finish (GAsyncResult *result)
{
  return g_task_propagate_boolean (G_TASK (result), NULL);
}

/* One screenshot request: the bus, and the subscription to its Response. */
typedef struct
{
  GDBusConnection *bus;
  guint            subscription;
  char            *parent_window;
} Request;

static void
request_free (Request *request)
{
  if (request->subscription != 0)
    g_dbus_connection_signal_unsubscribe (request->bus, request->subscription);
  g_clear_object (&request->bus);
  g_free (request->parent_window);
  g_free (request);
}

static void
response_received (GDBusConnection *bus,
                   const char      *sender,
                   const char      *path,
                   const char      *interface,
                   const char      *signal,
                   GVariant        *parameters,
                   gpointer         user_data)
{
  GTask *task = user_data;
  Request *request = g_task_get_task_data (task);
  g_autoptr (GVariant) results = NULL;
  const char *uri = NULL;
  guint32 response;

  if (request->subscription == 0)
    return;
  g_dbus_connection_signal_unsubscribe (bus, request->subscription);
  request->subscription = 0;
  if (!g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(ua{sv})")))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                               _("The screenshot service gave an answer that cannot be read."));
      g_object_unref (task);
      return;
    }
  g_variant_get (parameters, "(u@a{sv})", &response, &results);
  if (response == 1)
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Screenshot cancelled."));
  else if (response != 0 || !g_variant_lookup (results, "uri", "&s", &uri))
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                             _("No screenshot was taken. Try again, or save a screenshot and "
                               "choose it with “Choose Pictures”."));
  else
    g_task_return_pointer (task, g_file_new_for_uri (uri), g_object_unref);
  g_object_unref (task);
}

static void
screenshot_called (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  Request *request = g_task_get_task_data (task);
  g_autoptr (GVariant) reply = NULL;
  g_autoptr (GError) error = NULL;

  reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), result, &error);
  if (reply != NULL || request->subscription == 0)
    return;
  /* No Response will come: the task ends here, with the reference the
   * subscription held. */
  g_dbus_connection_signal_unsubscribe (request->bus, request->subscription);
  request->subscription = 0;
  g_dbus_error_strip_remote_error (error);
  g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                           _("The screenshot service failed (%s). Save a screenshot and choose "
                             "it with “Choose Pictures”."),
                           error->message);
  g_object_unref (task);
}

static void
bus_for_screenshot (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  GTask *task = user_data;
  Request *request = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;
  g_autofree char *sender = NULL;
  g_autofree char *token = NULL;
  g_autofree char *handle = NULL;
  GVariantBuilder options;

  request->bus = g_bus_get_finish (result, &error);
  if (request->bus == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  /* The request's object path is known before the call: subscribe first,
   * so that a quick Response is never missed. */
  sender = g_strdelimit (g_strdup (g_dbus_connection_get_unique_name (request->bus) + 1), ".",
                         '_');
  token = g_strdup_printf ("entsec%08x", g_random_int ());
  handle = g_strdup_printf (PORTAL_PATH "/request/%s/%s", sender, token);
  request->subscription = g_dbus_connection_signal_subscribe (request->bus, PORTAL_NAME,
                                                              REQUEST_INTERFACE, "Response",
                                                              handle, NULL,
                                                              G_DBUS_SIGNAL_FLAGS_NONE,
                                                              response_received, task, NULL);
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "handle_token", g_variant_new_string (token));
  g_variant_builder_add (&options, "{sv}", "interactive", g_variant_new_boolean (TRUE));
  g_dbus_connection_call (request->bus, PORTAL_NAME, PORTAL_PATH, SCREENSHOT_INTERFACE,
                          "Screenshot",
                          g_variant_new ("(sa{sv})", request->parent_window, &options),
                          G_VARIANT_TYPE ("(o)"), G_DBUS_CALL_FLAGS_NONE, G_MAXINT,
                          g_task_get_cancellable (task), screenshot_called, g_object_ref (task));
}

void
entsec_screenshot_take_async (const char         *parent_window,
                              GCancellable       *cancellable,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  GTask *task = g_task_new (NULL, cancellable, callback, user_data);
  Request *request = g_new0 (Request, 1);

  request->parent_window = g_strdup (parent_window != NULL ? parent_window : "");
  g_task_set_source_tag (task, entsec_screenshot_take_async);
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);
  g_bus_get (G_BUS_TYPE_SESSION, cancellable, bus_for_screenshot, task);
}

GFile *
entsec_screenshot_take_finish (GAsyncResult *result,
                               GError      **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---- The parent window's identifier ---- */

#ifdef GDK_WINDOWING_WAYLAND
static void
wayland_exported (GdkToplevel *toplevel,
                  const char  *handle,
                  gpointer     user_data)
{
  g_task_return_pointer (G_TASK (user_data), g_strconcat ("wayland:", handle, NULL), g_free);
}
#endif

void
entsec_screenshot_parent_async (GtkWindow          *window,
                                GCancellable       *cancellable,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  GdkSurface *surface;

  g_return_if_fail (GTK_IS_WINDOW (window));

  task = g_task_new (window, cancellable, callback, user_data);
  g_task_set_source_tag (task, entsec_screenshot_parent_async);
  surface = gtk_native_get_surface (GTK_NATIVE (window));
#ifdef GDK_WINDOWING_X11
  if (surface != NULL && GDK_IS_X11_SURFACE (surface))
    {
      g_task_return_pointer (task, g_strdup_printf ("x11:%lx", gdk_x11_surface_get_xid (surface)),
                             g_free);
      return;
    }
#endif
#ifdef GDK_WINDOWING_WAYLAND
  if (surface != NULL && GDK_IS_WAYLAND_TOPLEVEL (surface))
    {
      /* GDK holds this reference until the handle is unexported; not when it refuses. */
      GTask *held = g_object_ref (task);

      if (gdk_wayland_toplevel_export_handle (GDK_TOPLEVEL (surface), wayland_exported, held,
                                              g_object_unref))
        return;
      g_object_unref (held);
    }
#endif
  g_task_return_pointer (task, g_strdup (""), g_free);
}

char *
entsec_screenshot_parent_finish (GAsyncResult *result)
{
  g_return_val_if_fail (G_IS_TASK (result), NULL);

  return g_task_propagate_pointer (G_TASK (result), NULL);
}

void
entsec_screenshot_parent_unexport (GtkWindow  *window,
                                   const char *identifier)
{
  GdkSurface *surface;

  g_return_if_fail (GTK_IS_WINDOW (window));
  g_return_if_fail (identifier != NULL);

  surface = gtk_native_get_surface (GTK_NATIVE (window));
  if (!g_str_has_prefix (identifier, "wayland:") || surface == NULL)
    return;
#ifdef GDK_WINDOWING_WAYLAND
  if (GDK_IS_WAYLAND_TOPLEVEL (surface))
    gdk_wayland_toplevel_unexport_handle (GDK_TOPLEVEL (surface));
#endif
}
