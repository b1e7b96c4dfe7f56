/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-approvals-bar.c: the sign-in requests waiting, under the window's pages */

#define G_LOG_DOMAIN "entsec-approvals-bar"

#include "config.h"

#include <glib/gi18n.h>

#include "entsec-approvals-bar.h"

struct _EntsecApprovalsBar
{
  GtkBox           parent_instance;

  GtkListBox      *list;
  EntsecApprovals *approvals;
};

G_DEFINE_FINAL_TYPE (EntsecApprovalsBar, entsec_approvals_bar, GTK_TYPE_BOX)

static GtkWidget *
make_row (const EntsecApproval *approval)
{
  g_autofree char *app_name = entsec_approval_dup_app_name (approval);
  g_autofree char *title = g_strdup_printf (_("Sign-in to %s"), app_name);
  g_autofree char *review = g_strdup_printf (_("Review the sign-in to %s"), app_name);
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *button = gtk_button_new_with_label (_("Review"));

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  /* High risk: no notification was sent, so the row says why it is here. */
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                               entsec_approval_is_high_risk (approval)
                                 ? _("Unusual sign-in: check it before answering")
                                 : _("Waiting for your answer"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "app.show-approval");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", approval->challenge_id);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, review,
                                  -1);
  gtk_widget_add_css_class (button, "suggested-action");
  /* Not the row's activatable widget: GTK 4.8 would add the row's title to the button's name. */
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
  return row;
}

static void
rebuild (EntsecApprovalsBar *self)
{
  GPtrArray *pending = self->approvals != NULL ? entsec_approvals_get_pending (self->approvals)
                                               : NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  for (guint i = 0; pending != NULL && i < pending->len; i++)
    gtk_list_box_append (self->list, make_row (g_ptr_array_index (pending, i)));
  gtk_widget_set_visible (GTK_WIDGET (self), pending != NULL && pending->len > 0);
}

void
entsec_approvals_bar_set_approvals (EntsecApprovalsBar *self,
                                    EntsecApprovals    *approvals)
{
  g_return_if_fail (ENTSEC_IS_APPROVALS_BAR (self));
  g_return_if_fail (approvals == NULL || ENTSEC_IS_APPROVALS (approvals));

  if (self->approvals != NULL)
    g_signal_handlers_disconnect_by_data (self->approvals, self);
  g_set_object (&self->approvals, approvals);
  if (approvals != NULL)
    g_signal_connect_object (approvals, "changed", G_CALLBACK (rebuild), self,
                             G_CONNECT_SWAPPED);
  rebuild (self);
}

static void
entsec_approvals_bar_dispose (GObject *object)
{
  EntsecApprovalsBar *self = ENTSEC_APPROVALS_BAR (object);

  if (self->approvals != NULL)
    g_signal_handlers_disconnect_by_data (self->approvals, self);
  g_clear_object (&self->approvals);

  G_OBJECT_CLASS (entsec_approvals_bar_parent_class)->dispose (object);
}

static void
entsec_approvals_bar_class_init (EntsecApprovalsBarClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = entsec_approvals_bar_dispose;
}

static void
entsec_approvals_bar_init (EntsecApprovalsBar *self)
{
  GtkWidget *list = gtk_list_box_new ();

  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_widget_add_css_class (GTK_WIDGET (self), "toolbar");
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Sign-in requests waiting"), -1);
  gtk_widget_set_margin_start (list, 6);
  gtk_widget_set_margin_end (list, 6);
  gtk_box_append (GTK_BOX (self), list);
  self->list = GTK_LIST_BOX (list);
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}
