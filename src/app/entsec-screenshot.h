/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-screenshot.h: "Scan from Screen" through xdg-desktop-portal's Screenshot interface */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * Whether org.freedesktop.portal.Screenshot answers on the session bus (its
 * "version" property is read). _finish: TRUE when it does.
 */
void     entsec_screenshot_available_async (GCancellable       *cancellable,
                                            GAsyncReadyCallback callback,
                                            gpointer            user_data);
gboolean entsec_screenshot_available_finish (GAsyncResult *result);

/*
 * Ask the portal for an interactive screenshot (the person picks the area
 * or window); @parent_window is the portal's parent window identifier ("" for
 * none). _finish: (transfer full) (nullable): the picture file, or NULL
 * with G_IO_ERROR_CANCELLED when the person cancelled, or another error.
 */
void   entsec_screenshot_take_async (const char         *parent_window,
                                     GCancellable       *cancellable,
                                     GAsyncReadyCallback callback,
                                     gpointer            user_data);
GFile *entsec_screenshot_take_finish (GAsyncResult *result,
                                      GError      **error);

/*
 * The portal's identifier of @window, so that its dialog is modal to it:
 * "x11:XID" (hexadecimal) on X11, "wayland:HANDLE" on Wayland once the
 * toplevel's handle is exported (xdg-foreign), "" when @window has no
 * surface yet or on another backend. _finish: (transfer full): never NULL.
 * Once the portal has answered, entsec_screenshot_parent_unexport() with
 * the identifier ends a Wayland export (nothing to do otherwise).
 */
void  entsec_screenshot_parent_async (GtkWindow          *window,
                                      GCancellable       *cancellable,
                                      GAsyncReadyCallback callback,
                                      gpointer            user_data);
char *entsec_screenshot_parent_finish (GAsyncResult *result);
void  entsec_screenshot_parent_unexport (GtkWindow  *window,
                                         const char *identifier);

G_END_DECLS
