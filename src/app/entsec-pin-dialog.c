/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-pin-dialog.c: set or change the quick-unlock PIN */

#define G_LOG_DOMAIN "entsec-pin-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "entsec-a11y.h"
#include "entsec-application.h"
#include "entsec-enterprise-state.h"
#include "entsec-passphrase-dialog.h"
#include "entsec-pin-dialog.h"

struct _EntsecPinDialog
{
  AdwWindow       parent_instance;

  GtkEditable    *passphrase_row;
  GtkEditable    *pin_row;
  GtkEditable    *confirm_row;
  GtkLabel       *hint_label;
  GtkWidget      *apply_button;
  GtkWidget      *spinner;
  GtkWidget      *cancel_button;
  GtkWidget      *why_label;

  EntsecVault    *vault;
  GCancellable   *cancellable;
  EntsecKdfParams kdf;
  gboolean        has_kdf;
  gboolean        busy;
  gboolean        required;
  guint           min_length;
  gboolean        done;
};

G_DEFINE_FINAL_TYPE (EntsecPinDialog, entsec_pin_dialog, ADW_TYPE_WINDOW)

enum
{
  SIGNAL_DONE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

char *
entsec_pin_problem (const char *pin,
                    const char *confirm)
{
  if (pin == NULL || *pin == '\0')
    return g_strdup (_("Enter the new PIN."));
  if (!entsec_vault_check_pin_format (pin, strlen (pin), NULL))
    return g_strdup_printf (_("A PIN has %d to %d digits, and digits only."),
                            ENTSEC_VAULT_PIN_MIN_LENGTH, ENTSEC_VAULT_PIN_MAX_LENGTH);
  if (g_strcmp0 (pin, confirm) != 0)
    return g_strdup (_("The two PINs differ."));
  return NULL;
}

static char *
check_dialog (EntsecPinDialog *self)
{
  const char *pin = gtk_editable_get_text (self->pin_row);
  char *problem = entsec_pin_problem (pin, gtk_editable_get_text (self->confirm_row));

  /* The policy's length first: the format's reason would not name it. */
  if (self->required && *pin != '\0' && strlen (pin) < self->min_length)
    {
      g_free (problem);
      problem = g_strdup_printf (g_dngettext (NULL,
                                              "Your organization requires a PIN of at least %u "
                                              "digit.",
                                              "Your organization requires a PIN of at least %u "
                                              "digits.", self->min_length),
                                 self->min_length);
    }
  if (problem == NULL && *gtk_editable_get_text (self->passphrase_row) == '\0')
    problem = g_strdup (_("Enter your passphrase."));
  return problem;
}

static void
update_apply_button (EntsecPinDialog *self)
{
  g_autofree char *problem = check_dialog (self);

  gtk_label_set_label (self->hint_label, problem != NULL ? problem : "");
  gtk_widget_set_sensitive (self->apply_button, problem == NULL && !self->busy);
}

static void
set_busy (EntsecPinDialog *self,
          gboolean         busy)
{
  self->busy = busy;
  gtk_widget_set_visible (self->spinner, busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->passphrase_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->pin_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->confirm_row), !busy);
  update_apply_button (self);
}

static void
clear_entries (EntsecPinDialog *self)
{
  gtk_editable_set_text (self->passphrase_row, "");
  gtk_editable_set_text (self->pin_row, "");
  gtk_editable_set_text (self->confirm_row, "");
}

static void
pin_set (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (EntsecPinDialog) self = user_data;
  g_autoptr (GError) error = NULL;

  if (entsec_vault_add_pin_slot_finish (ENTSEC_VAULT (source), result, &error))
    {
      clear_entries (self);
      self->done = TRUE;
      g_signal_emit (self, signals[SIGNAL_DONE], 0, _("Quick unlock PIN set"));
      gtk_window_close (GTK_WINDOW (self));
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  if (g_error_matches (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE))
    {
      gtk_editable_set_text (self->passphrase_row, "");
      gtk_label_set_label (self->hint_label,
                           _("The passphrase is wrong. Type it again; the PIN was not set."));
      gtk_widget_grab_focus (GTK_WIDGET (self->passphrase_row));
    }
  else
    gtk_label_set_label (self->hint_label, error->message);
}

static void
apply_clicked (EntsecPinDialog *self)
{
  g_autofree char *problem = check_dialog (self);
  const char *passphrase = gtk_editable_get_text (self->passphrase_row);
  const char *pin = gtk_editable_get_text (self->pin_row);

  if (self->busy || problem != NULL)
    return;
  set_busy (self, TRUE);
  gtk_label_set_label (self->hint_label, _("Checking the passphrase and setting the PIN…"));
  /* Both are copied by the call (and wiped after use). */
  entsec_vault_add_pin_slot_async (self->vault, passphrase, strlen (passphrase), pin,
                                   strlen (pin), self->has_kdf ? &self->kdf : NULL,
                                   self->cancellable, pin_set, g_object_ref (self));
}

static gboolean
entsec_pin_dialog_close_request (GtkWindow *window)
{
  EntsecPinDialog *self = ENTSEC_PIN_DIALOG (window);

  if (self->required && !self->done)
    return TRUE;
  g_cancellable_cancel (self->cancellable);
  return GTK_WINDOW_CLASS (entsec_pin_dialog_parent_class)->close_request (window);
}

static void
entsec_pin_dialog_dispose (GObject *object)
{
  EntsecPinDialog *self = ENTSEC_PIN_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), ENTSEC_TYPE_PIN_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->vault);

  G_OBJECT_CLASS (entsec_pin_dialog_parent_class)->dispose (object);
}

static void
entsec_pin_dialog_class_init (EntsecPinDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  entsec_app_ensure_resources ();

  object_class->dispose = entsec_pin_dialog_dispose;
  window_class->close_request = entsec_pin_dialog_close_request;

  /* EntsecPinDialog::done: (message) what to tell in a toast. */
  signals[SIGNAL_DONE] = g_signal_new ("done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (
    widget_class, "/org/entsec/EnterpriseSecurity/entsec-pin-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, EntsecPinDialog, passphrase_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecPinDialog, pin_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecPinDialog, confirm_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecPinDialog, hint_label);
  gtk_widget_class_bind_template_child (widget_class, EntsecPinDialog, apply_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecPinDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, EntsecPinDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecPinDialog, why_label);
  gtk_widget_class_bind_template_callback (widget_class, update_apply_button);
  gtk_widget_class_bind_template_callback (widget_class, apply_clicked);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
entsec_pin_dialog_init (EntsecPinDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  entsec_a11y_name_peek_button (ADW_PASSWORD_ENTRY_ROW (self->passphrase_row));
  entsec_a11y_name_peek_button (ADW_PASSWORD_ENTRY_ROW (self->pin_row));
  entsec_a11y_name_peek_button (ADW_PASSWORD_ENTRY_ROW (self->confirm_row));
}

EntsecPinDialog *
entsec_pin_dialog_new (GtkWindow   *parent,
                       EntsecVault *vault)
{
  EntsecPinDialog *self;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);

  self = g_object_new (ENTSEC_TYPE_PIN_DIALOG, "transient-for", parent, "modal", TRUE, NULL);
  self->vault = g_object_ref (vault);
  update_apply_button (self);
  return self;
}

void
entsec_pin_dialog_set_kdf (EntsecPinDialog       *self,
                           const EntsecKdfParams *kdf)
{
  g_return_if_fail (ENTSEC_IS_PIN_DIALOG (self));

  self->has_kdf = kdf != NULL;
  if (kdf != NULL)
    self->kdf = *kdf;
}

gboolean
entsec_pin_dialog_policy_requires (EntsecVault *vault,
                                   guint       *min_length)
{
  const EntsecEnterprisePolicy *policy;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);

  policy = entsec_enterprise_state_get_policy (entsec_enterprise_state_get (vault));
  if (min_length != NULL)
    *min_length = policy != NULL ? CLAMP (policy->min_pin_length, ENTSEC_VAULT_PIN_MIN_LENGTH,
                                          ENTSEC_VAULT_PIN_MAX_LENGTH)
                                 : 0;
  return policy != NULL && policy->unlock_required == ENTSEC_UNLOCK_REQUIRED_PIN;
}

void
entsec_pin_dialog_set_required (EntsecPinDialog *self,
                                guint            min_length)
{
  g_return_if_fail (ENTSEC_IS_PIN_DIALOG (self));

  self->required = TRUE;
  self->min_length = min_length;
  gtk_widget_set_visible (self->cancel_button, FALSE);
  gtk_widget_set_visible (self->why_label, TRUE);
  update_apply_button (self);
}

#define REQUIRED_KEY "entsec-pin-required"

gboolean
entsec_pin_dialog_require (GtkWindow   *parent,
                           EntsecVault *vault,
                           GCallback    on_done,
                           gpointer     data)
{
  EntsecPinDialog *self;
  guint min_length = 0;

  g_return_val_if_fail (GTK_IS_WINDOW (parent), FALSE);
  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);

  /* The passphrase comes first (the PIN needs it); an existing PIN is kept
   * whatever its length, which is not known. */
  if (!entsec_pin_dialog_policy_requires (vault, &min_length)
      || !entsec_app_vault_has_slot (vault, ENTSEC_VAULT_SLOT_PASSPHRASE)
      || entsec_app_vault_has_slot (vault, ENTSEC_VAULT_SLOT_PIN))
    return FALSE;
  if (entsec_required_dialog_is_up (parent, REQUIRED_KEY))
    return TRUE;
  self = entsec_pin_dialog_new (parent, vault);
  entsec_pin_dialog_set_required (self, min_length);
  entsec_required_dialog_present (parent, REQUIRED_KEY, GTK_WINDOW (self), on_done, data);
  return TRUE;
}
