/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-preferences-window.c: lock timeout, clipboard, hidden codes, style */

#define G_LOG_DOMAIN "entsec-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "entsec-application.h"
#include "entsec-preferences-window.h"

#define SECONDS_PER_MINUTE 60

struct _EntsecPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GtkAdjustment        *lock_minutes;
  GtkAdjustment        *clipboard_seconds;
  GtkSwitch            *hide_codes_switch;
  AdwComboRow          *style_row;

  GSettings            *settings;
};

G_DEFINE_FINAL_TYPE (EntsecPreferencesWindow, entsec_preferences_window,
                     ADW_TYPE_PREFERENCES_WINDOW)

/* The row's order; the setting's values. */
static const char *const styles[] = { "system", "light", "dark" };

AdwColorScheme
entsec_preferences_color_scheme (const char *style)
{
  if (g_strcmp0 (style, "light") == 0)
    return ADW_COLOR_SCHEME_FORCE_LIGHT;
  if (g_strcmp0 (style, "dark") == 0)
    return ADW_COLOR_SCHEME_FORCE_DARK;
  return ADW_COLOR_SCHEME_DEFAULT;
}

/* lock-timeout is in seconds; people think of it in minutes. */
static gboolean
minutes_from_seconds (GValue   *value,
                      GVariant *variant,
                      gpointer  user_data)
{
  g_value_set_double (value, (double) ((g_variant_get_uint32 (variant) + SECONDS_PER_MINUTE - 1)
                                       / SECONDS_PER_MINUTE));
  return TRUE;
}

static GVariant *
seconds_from_minutes (const GValue       *value,
                      const GVariantType *type,
                      gpointer            user_data)
{
  return g_variant_new_uint32 ((guint32) g_value_get_double (value) * SECONDS_PER_MINUTE);
}

static gboolean
style_to_row (GValue   *value,
              GVariant *variant,
              gpointer  user_data)
{
  const char *style = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (styles); i++)
    if (g_strcmp0 (style, styles[i]) == 0)
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  g_value_set_uint (value, 0);
  return TRUE;
}

static GVariant *
style_from_row (const GValue       *value,
                const GVariantType *type,
                gpointer            user_data)
{
  guint selected = g_value_get_uint (value);

  return g_variant_new_string (selected < G_N_ELEMENTS (styles) ? styles[selected] : styles[0]);
}

static void
bind_settings (EntsecPreferencesWindow *self)
{
  g_settings_bind_with_mapping (self->settings, "lock-timeout", self->lock_minutes, "value",
                                G_SETTINGS_BIND_DEFAULT, minutes_from_seconds,
                                seconds_from_minutes, NULL, NULL);
  g_settings_bind (self->settings, "clipboard-clear-seconds", self->clipboard_seconds, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "hide-codes", self->hide_codes_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "style", self->style_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, style_to_row, style_from_row, NULL,
                                NULL);
}

static void
entsec_preferences_window_dispose (GObject *object)
{
  EntsecPreferencesWindow *self = ENTSEC_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), ENTSEC_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (entsec_preferences_window_parent_class)->dispose (object);
}

static void
entsec_preferences_window_class_init (EntsecPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  entsec_app_ensure_resources ();

  object_class->dispose = entsec_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (
    widget_class, "/org/entsec/EnterpriseSecurity/entsec-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow, lock_minutes);
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow, clipboard_seconds);
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow, hide_codes_switch);
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow, style_row);
}

static void
entsec_preferences_window_init (EntsecPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

EntsecPreferencesWindow *
entsec_preferences_window_new (GtkWindow *parent,
                               GSettings *settings)
{
  EntsecPreferencesWindow *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (ENTSEC_TYPE_PREFERENCES_WINDOW, "transient-for", parent, "modal", TRUE,
                       NULL);
  self->settings = g_object_ref (settings);
  bind_settings (self);
  return self;
}
