/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-a11y.c: accessible names libadwaita 1.2 leaves out */

#define G_LOG_DOMAIN "entsec-a11y"

#include "config.h"

#include <glib/gi18n.h>

#include "entsec-a11y.h"

static void
name_unlabelled_buttons (GtkWidget  *widget,
                         const char *name)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_BUTTON (child) && gtk_button_get_label (GTK_BUTTON (child)) == NULL)
        gtk_accessible_update_property (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                        name, -1);
      name_unlabelled_buttons (child, name);
    }
}

void
entsec_a11y_name_peek_button (AdwPasswordEntryRow *row)
{
  g_return_if_fail (ADW_IS_PASSWORD_ENTRY_ROW (row));

  name_unlabelled_buttons (GTK_WIDGET (row), _("Show or Hide the Text"));
}
