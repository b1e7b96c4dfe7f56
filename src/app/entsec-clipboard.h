/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-clipboard.h: copy a code, and take it back from the clipboard later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define ENTSEC_TYPE_CLIPBOARD_GUARD (entsec_clipboard_guard_get_type ())
G_DECLARE_FINAL_TYPE (EntsecClipboardGuard, entsec_clipboard_guard, ENTSEC, CLIPBOARD_GUARD,
                      GObject)

EntsecClipboardGuard *entsec_clipboard_guard_new (GdkClipboard *clipboard);

/* Put @text on the clipboard; clear it after @seconds (0: never) if the
 * clipboard still holds what we put there. */
void     entsec_clipboard_guard_copy (EntsecClipboardGuard *self,
                                      const char           *text,
                                      guint                 seconds);

/* Clear the clipboard now if it still holds our text (lock, quit). */
void     entsec_clipboard_guard_clear (EntsecClipboardGuard *self);

/* Whether the clipboard holds what we copied last. */
gboolean entsec_clipboard_guard_holds_ours (EntsecClipboardGuard *self);

G_END_DECLS
