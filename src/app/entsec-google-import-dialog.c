/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-google-import-dialog.c: the accounts of an export, each with a check box */

#define G_LOG_DOMAIN "entsec-google-import"

#include "config.h"

#include <glib/gi18n.h>

#include "entsec-application.h"
#include "entsec-google-import-dialog.h"

struct _EntsecGoogleImportDialog
{
  AdwWindow             parent_instance;

  AdwPreferencesGroup  *group;
  GtkWidget            *add_button;

  /* EntsecAccount copies, and for each a GtkCheckButton. */
  GPtrArray            *accounts;
  GPtrArray            *checks;
  gboolean              done;
};

G_DEFINE_FINAL_TYPE (EntsecGoogleImportDialog, entsec_google_import_dialog, ADW_TYPE_WINDOW)

enum
{
  SIGNAL_DONE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Issuer and label, case-folded: the vault's notion of the same account. */
static char *
identity_of (const char *issuer,
             const char *label)
{
  g_autofree char *folded_issuer = g_utf8_casefold (issuer != NULL ? issuer : "", -1);
  g_autofree char *folded_label = g_utf8_casefold (label != NULL ? label : "", -1);

  return g_strconcat (folded_issuer, "\x1f", folded_label, NULL);
}

static GtkCheckButton *
check_at (EntsecGoogleImportDialog *self,
          guint                     index)
{
  g_return_val_if_fail (index < self->checks->len, NULL);

  return g_ptr_array_index (self->checks, index);
}

static void
update_add_button (EntsecGoogleImportDialog *self)
{
  guint n_chosen = 0;

  for (guint i = 0; i < self->checks->len; i++)
    n_chosen += gtk_check_button_get_active (check_at (self, i)) ? 1 : 0;
  gtk_widget_set_sensitive (self->add_button, n_chosen > 0);
}

guint
entsec_google_import_dialog_get_n_accounts (EntsecGoogleImportDialog *self)
{
  g_return_val_if_fail (ENTSEC_IS_GOOGLE_IMPORT_DIALOG (self), 0);

  return self->accounts->len;
}

gboolean
entsec_google_import_dialog_is_duplicate (EntsecGoogleImportDialog *self,
                                          guint                     index)
{
  g_return_val_if_fail (ENTSEC_IS_GOOGLE_IMPORT_DIALOG (self), FALSE);
  g_return_val_if_fail (index < self->checks->len, FALSE);

  return !gtk_widget_get_sensitive (GTK_WIDGET (check_at (self, index)));
}

gboolean
entsec_google_import_dialog_get_chosen (EntsecGoogleImportDialog *self,
                                        guint                     index)
{
  g_return_val_if_fail (ENTSEC_IS_GOOGLE_IMPORT_DIALOG (self), FALSE);
  g_return_val_if_fail (index < self->checks->len, FALSE);

  return gtk_check_button_get_active (check_at (self, index));
}

void
entsec_google_import_dialog_set_chosen (EntsecGoogleImportDialog *self,
                                        guint                     index,
                                        gboolean                  chosen)
{
  g_return_if_fail (ENTSEC_IS_GOOGLE_IMPORT_DIALOG (self));
  g_return_if_fail (index < self->checks->len);

  if (entsec_google_import_dialog_is_duplicate (self, index))
    return;
  gtk_check_button_set_active (check_at (self, index), chosen);
}

GPtrArray *
entsec_google_import_dialog_dup_chosen (EntsecGoogleImportDialog *self)
{
  GPtrArray *chosen = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);

  g_return_val_if_fail (ENTSEC_IS_GOOGLE_IMPORT_DIALOG (self), chosen);

  for (guint i = 0; i < self->accounts->len; i++)
    if (gtk_check_button_get_active (check_at (self, i)))
      g_ptr_array_add (chosen, entsec_account_copy (g_ptr_array_index (self->accounts, i)));
  return chosen;
}

void
entsec_google_import_dialog_accept (EntsecGoogleImportDialog *self)
{
  g_autoptr (GPtrArray) chosen = NULL;

  g_return_if_fail (ENTSEC_IS_GOOGLE_IMPORT_DIALOG (self));

  if (self->done || !gtk_widget_get_sensitive (self->add_button))
    return;
  self->done = TRUE;
  chosen = entsec_google_import_dialog_dup_chosen (self);
  g_object_ref (self);
  g_signal_emit (self, signals[SIGNAL_DONE], 0, chosen);
  gtk_window_destroy (GTK_WINDOW (self));
  g_object_unref (self);
}

static gboolean
entsec_google_import_dialog_close_request (GtkWindow *window)
{
  EntsecGoogleImportDialog *self = ENTSEC_GOOGLE_IMPORT_DIALOG (window);

  if (!self->done)
    {
      self->done = TRUE;
      g_signal_emit (self, signals[SIGNAL_DONE], 0, NULL);
    }
  return GTK_WINDOW_CLASS (entsec_google_import_dialog_parent_class)->close_request (window);
}

static void
cancel_clicked (EntsecGoogleImportDialog *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

static void
entsec_google_import_dialog_dispose (GObject *object)
{
  EntsecGoogleImportDialog *self = ENTSEC_GOOGLE_IMPORT_DIALOG (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), ENTSEC_TYPE_GOOGLE_IMPORT_DIALOG);
  g_clear_pointer (&self->checks, g_ptr_array_unref);

  G_OBJECT_CLASS (entsec_google_import_dialog_parent_class)->dispose (object);
}

static void
entsec_google_import_dialog_finalize (GObject *object)
{
  EntsecGoogleImportDialog *self = ENTSEC_GOOGLE_IMPORT_DIALOG (object);

  g_clear_pointer (&self->accounts, g_ptr_array_unref);

  G_OBJECT_CLASS (entsec_google_import_dialog_parent_class)->finalize (object);
}

static void
entsec_google_import_dialog_class_init (EntsecGoogleImportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  entsec_app_ensure_resources ();

  object_class->dispose = entsec_google_import_dialog_dispose;
  object_class->finalize = entsec_google_import_dialog_finalize;
  window_class->close_request = entsec_google_import_dialog_close_request;

  /* EntsecGoogleImportDialog::done: (chosen) the checked accounts, or NULL
   * when the dialog was closed without adding. */
  signals[SIGNAL_DONE] = g_signal_new ("done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1,
                                       G_TYPE_PTR_ARRAY | G_SIGNAL_TYPE_STATIC_SCOPE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/entsec/EnterpriseSecurity/entsec-google-import-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, EntsecGoogleImportDialog, group);
  gtk_widget_class_bind_template_child (widget_class, EntsecGoogleImportDialog, add_button);
  gtk_widget_class_bind_template_callback (widget_class, cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, entsec_google_import_dialog_accept);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
entsec_google_import_dialog_init (EntsecGoogleImportDialog *self)
{
  self->accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  self->checks = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
}

/* A row with its check box; @duplicate rows are flagged and cannot be checked. */
static void
append_row (EntsecGoogleImportDialog *self,
            const EntsecAccount      *account,
            gboolean                  duplicate)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *check = gtk_check_button_new ();
  g_autofree char *name = entsec_account_dup_display_name (account);
  gboolean has_issuer = account->issuer != NULL && *account->issuer != '\0';
  g_autofree char *title = g_markup_escape_text (has_issuer ? account->issuer : account->label, -1);
  g_autofree char *label = g_markup_escape_text (account->label, -1);
  g_autofree char *subtitle = NULL;

  if (duplicate && has_issuer)
    subtitle = g_strdup_printf (_("%s — already in your list"), label);
  else if (duplicate)
    subtitle = g_strdup (_("Already in your list"));
  else if (has_issuer)
    subtitle = g_steal_pointer (&label);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), !duplicate);
  gtk_widget_set_sensitive (check, !duplicate);
  if (duplicate)
    gtk_widget_add_css_class (row, "dim-label");
  else
    {
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      /* The row made its title label the box too: "ACME (alice) ACME" to a screen reader. */
      gtk_accessible_reset_relation (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
    }
  g_signal_connect_object (check, "toggled", G_CALLBACK (update_add_button), self,
                           G_CONNECT_SWAPPED);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
  adw_preferences_group_add (self->group, row);
  g_ptr_array_add (self->accounts, entsec_account_copy (account));
  g_ptr_array_add (self->checks, check);
}

EntsecGoogleImportDialog *
entsec_google_import_dialog_new (GtkWindow *parent,
                                 GPtrArray *accounts,
                                 GPtrArray *existing)
{
  EntsecGoogleImportDialog *self;
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *description = NULL;

  g_return_val_if_fail (accounts != NULL, NULL);

  self = g_object_new (ENTSEC_TYPE_GOOGLE_IMPORT_DIALOG, "transient-for", parent,
                       "destroy-with-parent", TRUE, NULL);
  for (guint i = 0; existing != NULL && i < existing->len; i++)
    {
      EntsecAccountSummary *summary = g_ptr_array_index (existing, i);

      g_hash_table_add (seen, identity_of (entsec_account_summary_get_issuer (summary),
                                           entsec_account_summary_get_label (summary)));
    }
  for (guint i = 0; i < accounts->len; i++)
    {
      const EntsecAccount *account = g_ptr_array_index (accounts, i);

      append_row (self, account,
                  !g_hash_table_add (seen, identity_of (account->issuer, account->label)));
    }
  description = g_strdup_printf (g_dngettext (NULL, "The export holds %u account. Add the checked ones.",
                                              "The export holds %u accounts. Add the checked ones.",
                                              accounts->len),
                                 accounts->len);
  adw_preferences_group_set_description (self->group, description);
  update_add_button (self);
  return self;
}
