/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-clipboard.c: copied codes leave the clipboard after a while */

#define G_LOG_DOMAIN "entsec-clipboard"

#include "config.h"

#include "entsec-clipboard.h"

struct _EntsecClipboardGuard
{
  GObject             parent_instance;

  GdkClipboard       *clipboard;
  /* What we put there: the clipboard holds our code while it holds this
   * provider. Another program's copy replaces it. */
  GdkContentProvider *provider;
  guint               clear_id;
};

G_DEFINE_FINAL_TYPE (EntsecClipboardGuard, entsec_clipboard_guard, G_TYPE_OBJECT)

gboolean
entsec_clipboard_guard_holds_ours (EntsecClipboardGuard *self)
{
  g_return_val_if_fail (ENTSEC_IS_CLIPBOARD_GUARD (self), FALSE);

  return self->provider != NULL && gdk_clipboard_get_content (self->clipboard) == self->provider;
}

void
entsec_clipboard_guard_clear (EntsecClipboardGuard *self)
{
  g_return_if_fail (ENTSEC_IS_CLIPBOARD_GUARD (self));

  g_clear_handle_id (&self->clear_id, g_source_remove);
  if (entsec_clipboard_guard_holds_ours (self))
    gdk_clipboard_set_content (self->clipboard, NULL);
  g_clear_object (&self->provider);
}

static gboolean
clear_timeout (gpointer user_data)
{
  EntsecClipboardGuard *self = ENTSEC_CLIPBOARD_GUARD (user_data);

  self->clear_id = 0;
  entsec_clipboard_guard_clear (self);
  return G_SOURCE_REMOVE;
}

void
entsec_clipboard_guard_copy (EntsecClipboardGuard *self,
                             const char           *text,
                             guint                 seconds)
{
  g_autoptr (GBytes) bytes = NULL;

  g_return_if_fail (ENTSEC_IS_CLIPBOARD_GUARD (self));
  g_return_if_fail (text != NULL);

  entsec_clipboard_guard_clear (self);
  bytes = g_bytes_new (text, strlen (text));
  self->provider = gdk_content_provider_new_for_bytes ("text/plain;charset=utf-8", bytes);
  gdk_clipboard_set_content (self->clipboard, self->provider);
  if (seconds > 0)
    self->clear_id = g_timeout_add_seconds (seconds, clear_timeout, self);
}

static void
entsec_clipboard_guard_dispose (GObject *object)
{
  EntsecClipboardGuard *self = ENTSEC_CLIPBOARD_GUARD (object);

  if (self->clipboard != NULL)
    entsec_clipboard_guard_clear (self);
  g_clear_object (&self->clipboard);

  G_OBJECT_CLASS (entsec_clipboard_guard_parent_class)->dispose (object);
}

static void
entsec_clipboard_guard_class_init (EntsecClipboardGuardClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = entsec_clipboard_guard_dispose;
}

static void
entsec_clipboard_guard_init (EntsecClipboardGuard *self)
{
}

EntsecClipboardGuard *
entsec_clipboard_guard_new (GdkClipboard *clipboard)
{
  EntsecClipboardGuard *self;

  g_return_val_if_fail (GDK_IS_CLIPBOARD (clipboard), NULL);

  self = g_object_new (ENTSEC_TYPE_CLIPBOARD_GUARD, NULL);
  self->clipboard = g_object_ref (clipboard);
  return self;
}
