/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-screenshot.h: "Scan from Screen" through xdg-desktop-portal's Screenshot interface */
#pragma once

#include <gio/gio.h>

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

G_END_DECLS
