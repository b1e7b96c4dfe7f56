/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-approval-dialog.c: one sign-in request: its signed context, the number, the answer */

#define G_LOG_DOMAIN "entsec-approval-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "entsec-application.h"
#include "entsec-approval-dialog.h"

struct _EntsecApprovalDialog
{
  AdwWindow        parent_instance;

  GtkLabel        *question_label;
  GtkLabel        *remaining_label;
  GtkListBox      *context_list;
  GtkLabel        *number_hint;
  GtkEntry        *number_entry;
  GtkLabel        *error_label;
  GtkButton       *approve_button;
  GtkButton       *deny_button;
  GtkButton       *not_me_button;

  EntsecApprovals *approvals;
  EntsecVault     *vault;
  char            *challenge_id;
  char            *mode;
  gint64           expires_at;
  GCancellable    *cancellable;
  guint            tick_id;
  gboolean         busy;
};

G_DEFINE_FINAL_TYPE (EntsecApprovalDialog, entsec_approval_dialog, ADW_TYPE_WINDOW)

enum
{
  FINISHED,
  UNLOCK_REQUESTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* A focused entry must see its focus leave before its window goes (GTK 4.8 warns). */
static void
close_now (EntsecApprovalDialog *self)
{
  gtk_window_set_focus (GTK_WINDOW (self), NULL);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
finish (EntsecApprovalDialog *self,
        const char           *message)
{
  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_signal_handlers_disconnect_by_data (self->approvals, self);
  g_signal_emit (self, signals[FINISHED], 0, message);
  close_now (self);
}

static gboolean
needs_number (EntsecApprovalDialog *self)
{
  return g_strcmp0 (self->mode, "none") != 0;
}

/* The number typed, 0 when none (the server's numbers are 10 to 99). */
static guint
typed_number (EntsecApprovalDialog *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->number_entry));
  guint64 number = 0;

  if (!g_ascii_string_to_unsigned (text, 10, 1, 999, &number, NULL))
    return 0;
  return (guint) number;
}

static void
update_buttons (EntsecApprovalDialog *self)
{
  gboolean ready = !needs_number (self) || typed_number (self) != 0;

  gtk_widget_set_sensitive (GTK_WIDGET (self->approve_button), !self->busy && ready);
  gtk_widget_set_sensitive (GTK_WIDGET (self->deny_button), !self->busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->not_me_button), !self->busy);
  /* Not insensitive: the entry keeps the focus while the answer is on its way. */
  gtk_editable_set_editable (GTK_EDITABLE (self->number_entry), !self->busy);
}

static void
show_error (EntsecApprovalDialog *self,
            const char           *message)
{
  gtk_label_set_text (self->error_label, message);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

/* ---- The countdown ------------------------------------------------------- */

static gboolean tick (gpointer user_data);

static void
update_remaining (EntsecApprovalDialog *self)
{
  gint64 left = self->expires_at - entsec_approvals_now (self->approvals);
  g_autofree char *text = NULL;

  if (left <= 0)
    {
      finish (self, _("The sign-in request expired"));
      return;
    }
  text = g_strdup_printf (g_dngettext (NULL, "Answer within %u second",
                                       "Answer within %u seconds", (gulong) left),
                          (guint) left);
  gtk_label_set_text (self->remaining_label, text);
  self->tick_id = g_timeout_add_seconds (1, tick, self);
}

static gboolean
tick (gpointer user_data)
{
  EntsecApprovalDialog *self = user_data;

  self->tick_id = 0;
  update_remaining (self);
  return G_SOURCE_REMOVE;
}

/* The request left the list: expired (by the controller's clock) or answered elsewhere. */
static void
approvals_changed (EntsecApprovalDialog *self)
{
  if (self->busy || entsec_approvals_lookup (self->approvals, self->challenge_id) != NULL)
    return;
  finish (self, _("The sign-in request expired"));
}

/* ---- Answering ------------------------------------------------------------- */

static void
responded (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (EntsecApprovalDialog) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *state = NULL;

  state = entsec_approvals_respond_finish (ENTSEC_APPROVALS (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->busy = FALSE;
  if (state == NULL)
    {
      /* A wrong number: said plainly, and another try (the server counts them). */
      if (g_error_matches (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_INVALID_CODE))
        show_error (self, _("That is not the number the sign-in page shows. Check it and type "
                            "it again: a third wrong number denies the sign-in."));
      else
        show_error (self, error->message);
      update_buttons (self);
      if (entsec_approvals_lookup (self->approvals, self->challenge_id) == NULL)
        {
          gtk_widget_set_sensitive (GTK_WIDGET (self->approve_button), FALSE);
          gtk_widget_set_sensitive (GTK_WIDGET (self->deny_button), FALSE);
          gtk_widget_set_sensitive (GTK_WIDGET (self->not_me_button), FALSE);
          g_clear_handle_id (&self->tick_id, g_source_remove);
        }
      else
        gtk_widget_grab_focus (GTK_WIDGET (self->number_entry));
      return;
    }
  finish (self, g_str_equal (state, "approved") ? _("Sign-in approved") : _("Sign-in denied"));
}

static void
respond (EntsecApprovalDialog *self,
         gboolean              approve,
         EntsecDenyReason      reason)
{
  self->busy = TRUE;
  show_error (self, NULL);
  update_buttons (self);
  entsec_approvals_respond_async (self->approvals, approve ? self->vault : NULL,
                                  self->challenge_id, approve, typed_number (self), reason,
                                  self->cancellable, responded, g_object_ref (self));
}

static void
approve_clicked (EntsecApprovalDialog *self)
{
  g_autofree char *id = NULL;

  if (self->busy || (needs_number (self) && typed_number (self) == 0))
    return;
  if (self->vault == NULL || !entsec_vault_is_unlocked (self->vault))
    {
      /* Approving needs the person: the window asks for the unlock, then reopens this. */
      id = g_strdup (self->challenge_id);
      g_clear_handle_id (&self->tick_id, g_source_remove);
      g_signal_handlers_disconnect_by_data (self->approvals, self);
      g_signal_emit (self, signals[UNLOCK_REQUESTED], 0, id);
      close_now (self);
      return;
    }
  respond (self, TRUE, ENTSEC_DENY_REASON_DECLINED);
}

static void
deny_clicked (EntsecApprovalDialog *self)
{
  if (!self->busy)
    respond (self, FALSE, ENTSEC_DENY_REASON_DECLINED);
}

static void
not_me_clicked (EntsecApprovalDialog *self)
{
  if (!self->busy)
    respond (self, FALSE, ENTSEC_DENY_REASON_NOT_ME);
}

static void
number_changed (EntsecApprovalDialog *self)
{
  update_buttons (self);
}

/* Enter approves once a number is typed. */
static void
number_activated (EntsecApprovalDialog *self)
{
  approve_clicked (self);
}

/* ---- Showing the request ----------------------------------------------------- */

static void
add_context_row (EntsecApprovalDialog *self,
                 const char           *label,
                 const char           *value)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), label);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
  /* What the relying party wrote is text, not markup. */
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  gtk_list_box_append (self->context_list, row);
}

static void
show_approval (EntsecApprovalDialog *self,
               const EntsecApproval *approval)
{
  g_autoptr (GPtrArray) fields = entsec_approval_context_fields (approval);
  g_autofree char *app_name = entsec_approval_dup_app_name (approval);
  g_autofree char *question = g_strdup_printf (_("Are you signing in to %s?"), app_name);
  g_autoptr (GDateTime) issued = g_date_time_new_from_unix_local (approval->issued_at);
  g_autofree char *when = issued != NULL ? g_date_time_format (issued, "%X") : NULL;
  g_autoptr (GString) choices = g_string_new (NULL);

  gtk_label_set_text (self->question_label, question);
  for (guint i = 0; i < fields->len; i++)
    {
      EntsecApprovalField *field = g_ptr_array_index (fields, i);

      add_context_row (self, field->label, field->value);
    }
  if (when != NULL)
    add_context_row (self, _("Requested at"), when);
  self->mode = g_strdup (approval->mode);
  self->expires_at = approval->expires_at;
  for (gsize i = 0; approval->choices != NULL && approval->choices[i] != 0; i++)
    g_string_append_printf (choices, "%s%u", choices->len > 0 ? ", " : "", approval->choices[i]);
  if (g_strcmp0 (approval->mode, "choose") == 0)
    {
      g_autofree char *hint = g_strdup_printf (_("Type the number the sign-in page shows; it "
                                                 "is one of %s."), choices->str);

      gtk_label_set_text (self->number_hint, hint);
    }
  else if (needs_number (self))
    gtk_label_set_text (self->number_hint, _("Type the number the sign-in page shows."));
  gtk_widget_set_visible (GTK_WIDGET (self->number_hint), needs_number (self));
  gtk_widget_set_visible (GTK_WIDGET (self->number_entry), needs_number (self));
  update_buttons (self);
}

const char *
entsec_approval_dialog_get_challenge_id (EntsecApprovalDialog *self)
{
  g_return_val_if_fail (ENTSEC_IS_APPROVAL_DIALOG (self), NULL);

  return self->challenge_id;
}

/* ---- Life cycle -------------------------------------------------------------- */

static void
entsec_approval_dialog_dispose (GObject *object)
{
  EntsecApprovalDialog *self = ENTSEC_APPROVAL_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  if (self->approvals != NULL)
    g_signal_handlers_disconnect_by_data (self->approvals, self);
  g_clear_object (&self->approvals);
  g_clear_object (&self->vault);
  gtk_widget_dispose_template (GTK_WIDGET (self), ENTSEC_TYPE_APPROVAL_DIALOG);

  G_OBJECT_CLASS (entsec_approval_dialog_parent_class)->dispose (object);
}

static void
entsec_approval_dialog_finalize (GObject *object)
{
  EntsecApprovalDialog *self = ENTSEC_APPROVAL_DIALOG (object);

  g_clear_object (&self->cancellable);
  g_free (self->challenge_id);
  g_free (self->mode);

  G_OBJECT_CLASS (entsec_approval_dialog_parent_class)->finalize (object);
}

static void
entsec_approval_dialog_class_init (EntsecApprovalDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  entsec_app_ensure_resources ();

  object_class->dispose = entsec_approval_dialog_dispose;
  object_class->finalize = entsec_approval_dialog_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/entsec/EnterpriseSecurity/"
                                               "entsec-approval-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, EntsecApprovalDialog, question_label);
  gtk_widget_class_bind_template_child (widget_class, EntsecApprovalDialog, remaining_label);
  gtk_widget_class_bind_template_child (widget_class, EntsecApprovalDialog, context_list);
  gtk_widget_class_bind_template_child (widget_class, EntsecApprovalDialog, number_hint);
  gtk_widget_class_bind_template_child (widget_class, EntsecApprovalDialog, number_entry);
  gtk_widget_class_bind_template_child (widget_class, EntsecApprovalDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, EntsecApprovalDialog, approve_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecApprovalDialog, deny_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecApprovalDialog, not_me_button);
  gtk_widget_class_bind_template_callback (widget_class, number_changed);
  gtk_widget_class_bind_template_callback (widget_class, number_activated);
  gtk_widget_class_bind_template_callback (widget_class, approve_clicked);
  gtk_widget_class_bind_template_callback (widget_class, deny_clicked);
  gtk_widget_class_bind_template_callback (widget_class, not_me_clicked);
  /* Escape closes without answering; the request stays in the list. */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);

  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[UNLOCK_REQUESTED] = g_signal_new ("unlock-requested", G_TYPE_FROM_CLASS (klass),
                                            G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE,
                                            1, G_TYPE_STRING);
}

static void
entsec_approval_dialog_init (EntsecApprovalDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

EntsecApprovalDialog *
entsec_approval_dialog_new (GtkWindow       *parent,
                            EntsecApprovals *approvals,
                            EntsecVault     *vault,
                            const char      *challenge_id)
{
  EntsecApprovalDialog *self;
  const EntsecApproval *approval;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (ENTSEC_IS_APPROVALS (approvals), NULL);
  g_return_val_if_fail (vault == NULL || ENTSEC_IS_VAULT (vault), NULL);
  g_return_val_if_fail (challenge_id != NULL, NULL);

  self = g_object_new (ENTSEC_TYPE_APPROVAL_DIALOG, "transient-for", parent, NULL);
  self->approvals = g_object_ref (approvals);
  self->vault = vault != NULL ? g_object_ref (vault) : NULL;
  self->challenge_id = g_strdup (challenge_id);
  approval = entsec_approvals_lookup (approvals, challenge_id);
  if (approval != NULL)
    show_approval (self, approval);
  g_signal_connect_object (approvals, "changed", G_CALLBACK (approvals_changed), self,
                           G_CONNECT_SWAPPED);
  update_remaining (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->number_entry));
  return self;
}
