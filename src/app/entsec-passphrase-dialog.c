/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-passphrase-dialog.c: change or add the vault's passphrase */

#define G_LOG_DOMAIN "entsec-passphrase-dialog"

#include "config.h"

#include <glib/gi18n.h>

#include "entsec-a11y.h"
#include "entsec-application.h"
#include "entsec-enterprise-state.h"
#include "entsec-passphrase-dialog.h"

struct _EntsecPassphraseDialog
{
  AdwWindow      parent_instance;

  GtkEditable   *current_row;
  GtkEditable   *new_row;
  GtkEditable   *confirm_row;
  GtkLevelBar   *strength_bar;
  GtkLabel      *hint_label;
  GtkWidget     *apply_button;
  GtkWidget     *spinner;
  GtkWidget     *cancel_button;
  GtkWidget     *why_label;

  EntsecVault   *vault;
  GCancellable  *cancellable;
  EntsecKdfParams kdf;
  gboolean       has_kdf;
  gboolean       changing;
  gboolean       busy;
  /* The policy demands a passphrase: no way out but adding one, at least this long. */
  gboolean       required;
  guint          min_length;
  gboolean       done;
};

G_DEFINE_FINAL_TYPE (EntsecPassphraseDialog, entsec_passphrase_dialog, ADW_TYPE_WINDOW)

enum
{
  SIGNAL_DONE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

char *
entsec_passphrase_problem (const char *passphrase,
                           const char *confirm,
                           guint      *score,
                           char      **note)
{
  g_autoptr (GError) error = NULL;
  guint strength = 0;
  char *problem = NULL;

  if (note != NULL)
    *note = NULL;
  if (passphrase == NULL || *passphrase == '\0')
    problem = g_strdup (_("Enter the new passphrase."));
  else if (g_utf8_strlen (passphrase, -1) < ENTSEC_MIN_PASSPHRASE_CHARS)
    problem = g_strdup_printf (_("A passphrase needs at least %d characters."),
                               ENTSEC_MIN_PASSPHRASE_CHARS);
  else if (!entsec_passphrase_check_strength (passphrase, &strength, &error)
           && g_error_matches (error, ENTSEC_PASSPHRASE_ERROR, ENTSEC_PASSPHRASE_ERROR_WEAK))
    /* libpwquality's reason, which names what to change. */
    problem = g_strdup_printf (_("Too easy to guess: %s. Add more words."), error->message);
  else if (g_strcmp0 (passphrase, confirm) != 0)
    problem = g_strdup (_("The two new passphrases differ."));
  /* Not rated (libpwquality missing): the length rule above is all that holds it back. */
  if (problem == NULL && error != NULL && note != NULL)
    /* Translators: %s says why the strength could not be checked and what to install (English). */
    *note = g_strdup_printf (_("%s. Only its length was checked; several unrelated words make a "
                               "strong passphrase."), error->message);
  if (score != NULL)
    *score = strength;
  return problem;
}

/* Why the dialog cannot apply yet, or NULL (and *@note); updates the strength bar. */
static char *
check_dialog (EntsecPassphraseDialog *self,
              char                  **note)
{
  guint score = 0;
  const char *passphrase = gtk_editable_get_text (self->new_row);
  char *problem = entsec_passphrase_problem (passphrase, gtk_editable_get_text (self->confirm_row),
                                             &score, note);

  gtk_level_bar_set_value (self->strength_bar, score);
  /* The policy's length first: the rule a person must follow, whatever else is wrong. */
  if (self->required && *passphrase != '\0'
      && (guint) g_utf8_strlen (passphrase, -1) < self->min_length)
    {
      g_free (problem);
      problem = g_strdup_printf (g_dngettext (NULL,
                                              "Your organization requires a passphrase of at "
                                              "least %u character.",
                                              "Your organization requires a passphrase of at "
                                              "least %u characters.", self->min_length),
                                 self->min_length);
    }
  if (problem == NULL && self->changing && *gtk_editable_get_text (self->current_row) == '\0')
    problem = g_strdup (_("Enter your current passphrase."));
  return problem;
}

static void
update_apply_button (EntsecPassphraseDialog *self)
{
  g_autofree char *note = NULL;
  g_autofree char *problem = check_dialog (self, &note);

  gtk_label_set_label (self->hint_label, problem != NULL ? problem : note != NULL ? note : "");
  gtk_widget_set_sensitive (self->apply_button, problem == NULL && !self->busy);
}

static void
set_busy (EntsecPassphraseDialog *self,
          gboolean                busy)
{
  self->busy = busy;
  gtk_widget_set_visible (self->spinner, busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->current_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->new_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->confirm_row), !busy);
  update_apply_button (self);
}

static void
fail (EntsecPassphraseDialog *self,
      const char             *message)
{
  set_busy (self, FALSE);
  gtk_label_set_label (self->hint_label, message);
}

static void
passphrase_set (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (EntsecPassphraseDialog) self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean ok;

  if (self->changing)
    ok = entsec_vault_change_passphrase_finish (ENTSEC_VAULT (source), result, &error);
  else
    ok = entsec_vault_add_passphrase_slot_finish (ENTSEC_VAULT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (!ok)
    {
      fail (self, error->message);
      return;
    }
  gtk_editable_set_text (self->current_row, "");
  gtk_editable_set_text (self->new_row, "");
  gtk_editable_set_text (self->confirm_row, "");
  self->done = TRUE;
  g_signal_emit (self, signals[SIGNAL_DONE], 0,
                 self->changing ? _("Passphrase changed") : _("Passphrase added"));
  /* A focused entry must see its focus leave before its window goes (GTK 4.8
   * warns from the cursor's blink otherwise). */
  gtk_window_set_focus (GTK_WINDOW (self), NULL);
  gtk_window_close (GTK_WINDOW (self));
}

static void
set_passphrase (EntsecPassphraseDialog *self)
{
  const char *passphrase = gtk_editable_get_text (self->new_row);

  gtk_label_set_label (self->hint_label,
                       _("Measuring how hard to make the passphrase to guess…"));
  /* The passphrase is copied by the call. */
  if (self->changing)
    entsec_vault_change_passphrase_async (self->vault, passphrase, strlen (passphrase),
                                          self->has_kdf ? &self->kdf : NULL,
                                          self->cancellable, passphrase_set,
                                          g_object_ref (self));
  else
    entsec_vault_add_passphrase_slot_async (self->vault, passphrase, strlen (passphrase),
                                            self->has_kdf ? &self->kdf : NULL,
                                            self->cancellable, passphrase_set,
                                            g_object_ref (self));
}

static void
current_checked (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (EntsecPassphraseDialog) self = user_data;
  g_autoptr (EntsecVault) check = ENTSEC_VAULT (source);
  g_autoptr (GError) error = NULL;

  if (!entsec_vault_unlock_passphrase_finish (check, result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      if (g_error_matches (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE))
        fail (self, _("The current passphrase is wrong. Type it again; the passphrase was not changed."));
      else
        fail (self, error->message);
      return;
    }
  /* The copy was only a check: its keys are wiped as it goes. */
  set_passphrase (self);
}

static void
check_opened (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (EntsecPassphraseDialog) self = user_data;
  g_autoptr (GError) error = NULL;
  EntsecVault *check = entsec_vault_open_finish (result, &error);
  const char *current = gtk_editable_get_text (self->current_row);

  if (check == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, error->message);
      return;
    }
  /* The open vault is unlocked already, so the current passphrase is
   * checked on a second, locked copy of the same file. */
  entsec_vault_unlock_passphrase_async (check, current, strlen (current), self->cancellable,
                                        current_checked, g_object_ref (self));
}

static void
apply_clicked (EntsecPassphraseDialog *self)
{
  g_autofree char *problem = check_dialog (self, NULL);

  if (self->busy || problem != NULL)
    return;
  set_busy (self, TRUE);
  if (!self->changing)
    {
      set_passphrase (self);
      return;
    }
  gtk_label_set_label (self->hint_label, _("Checking the current passphrase…"));
  entsec_vault_open_async (entsec_vault_get_path (self->vault), self->cancellable, check_opened,
                           g_object_ref (self));
}

static gboolean
entsec_passphrase_dialog_close_request (GtkWindow *window)
{
  EntsecPassphraseDialog *self = ENTSEC_PASSPHRASE_DIALOG (window);

  /* Required by the policy: it stays until a passphrase is added. */
  if (self->required && !self->done)
    return TRUE;
  g_cancellable_cancel (self->cancellable);
  return GTK_WINDOW_CLASS (entsec_passphrase_dialog_parent_class)->close_request (window);
}

static void
entsec_passphrase_dialog_dispose (GObject *object)
{
  EntsecPassphraseDialog *self = ENTSEC_PASSPHRASE_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), ENTSEC_TYPE_PASSPHRASE_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->vault);

  G_OBJECT_CLASS (entsec_passphrase_dialog_parent_class)->dispose (object);
}

static void
entsec_passphrase_dialog_class_init (EntsecPassphraseDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  entsec_app_ensure_resources ();

  object_class->dispose = entsec_passphrase_dialog_dispose;
  window_class->close_request = entsec_passphrase_dialog_close_request;

  /* EntsecPassphraseDialog::done: (message) what to tell in a toast. */
  signals[SIGNAL_DONE] = g_signal_new ("done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (
    widget_class, "/org/entsec/EnterpriseSecurity/entsec-passphrase-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, EntsecPassphraseDialog, current_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecPassphraseDialog, new_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecPassphraseDialog, confirm_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecPassphraseDialog, strength_bar);
  gtk_widget_class_bind_template_child (widget_class, EntsecPassphraseDialog, hint_label);
  gtk_widget_class_bind_template_child (widget_class, EntsecPassphraseDialog, apply_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecPassphraseDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, EntsecPassphraseDialog, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecPassphraseDialog, why_label);
  gtk_widget_class_bind_template_callback (widget_class, update_apply_button);
  gtk_widget_class_bind_template_callback (widget_class, apply_clicked);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
entsec_passphrase_dialog_init (EntsecPassphraseDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  entsec_a11y_name_peek_button (ADW_PASSWORD_ENTRY_ROW (self->current_row));
  entsec_a11y_name_peek_button (ADW_PASSWORD_ENTRY_ROW (self->new_row));
  entsec_a11y_name_peek_button (ADW_PASSWORD_ENTRY_ROW (self->confirm_row));
}

EntsecPassphraseDialog *
entsec_passphrase_dialog_new (GtkWindow   *parent,
                              EntsecVault *vault)
{
  EntsecPassphraseDialog *self;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);

  self = g_object_new (ENTSEC_TYPE_PASSPHRASE_DIALOG, "transient-for", parent, "modal", TRUE,
                       NULL);
  self->vault = g_object_ref (vault);
  self->changing = entsec_app_vault_has_slot (vault, ENTSEC_VAULT_SLOT_PASSPHRASE);
  gtk_window_set_title (GTK_WINDOW (self), self->changing ? _("Change Passphrase")
                                                          : _("Add a Passphrase"));
  gtk_button_set_label (GTK_BUTTON (self->apply_button), self->changing ? _("_Change")
                                                                        : _("_Add"));
  gtk_widget_set_visible (GTK_WIDGET (self->current_row), self->changing);
  update_apply_button (self);
  return self;
}

void
entsec_passphrase_dialog_set_kdf (EntsecPassphraseDialog *self,
                                  const EntsecKdfParams  *kdf)
{
  g_return_if_fail (ENTSEC_IS_PASSPHRASE_DIALOG (self));

  self->has_kdf = kdf != NULL;
  if (kdf != NULL)
    self->kdf = *kdf;
}

void
entsec_passphrase_dialog_set_required (EntsecPassphraseDialog *self,
                                       guint                   min_length)
{
  g_return_if_fail (ENTSEC_IS_PASSPHRASE_DIALOG (self));

  self->required = TRUE;
  self->min_length = min_length;
  gtk_widget_set_visible (self->cancel_button, FALSE);
  gtk_widget_set_visible (self->why_label, TRUE);
  update_apply_button (self);
}

#define REQUIRED_KEY "entsec-passphrase-required"

/* @dialog went: @parent may get another one under its key. */
static void
required_gone (GtkWindow *parent,
               GtkWidget *dialog)
{
  g_object_set_data (G_OBJECT (parent), g_object_get_data (G_OBJECT (dialog), "required-key"),
                     NULL);
}

gboolean
entsec_required_dialog_is_up (GtkWindow  *parent,
                              const char *key)
{
  g_return_val_if_fail (GTK_IS_WINDOW (parent), FALSE);

  return g_object_get_data (G_OBJECT (parent), key) != NULL;
}

void
entsec_required_dialog_present (GtkWindow  *parent,
                                const char *key,
                                GtkWindow  *dialog,
                                GCallback   on_done,
                                gpointer    data)
{
  g_return_if_fail (GTK_IS_WINDOW (parent));
  g_return_if_fail (GTK_IS_WINDOW (dialog));

  g_object_set_data (G_OBJECT (parent), key, dialog);
  g_object_set_data (G_OBJECT (dialog), "required-key", (gpointer) key);
  gtk_window_set_destroy_with_parent (dialog, TRUE);
  g_signal_connect_object (dialog, "destroy", G_CALLBACK (required_gone), parent,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (dialog, "done", on_done, data, G_CONNECT_SWAPPED);
  gtk_window_present (dialog);
}

gboolean
entsec_passphrase_dialog_require (GtkWindow   *parent,
                                  EntsecVault *vault,
                                  GCallback    on_done,
                                  gpointer     data)
{
  EntsecPassphraseDialog *self;
  guint min_length = 0;

  g_return_val_if_fail (GTK_IS_WINDOW (parent), FALSE);
  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);

  /* An existing passphrase is kept whatever its length: its length is not known. */
  if (!entsec_enterprise_state_requires_passphrase (entsec_enterprise_state_get (vault),
                                                    &min_length)
      || entsec_app_vault_has_slot (vault, ENTSEC_VAULT_SLOT_PASSPHRASE))
    return FALSE;
  if (entsec_required_dialog_is_up (parent, REQUIRED_KEY))
    return TRUE;
  self = entsec_passphrase_dialog_new (parent, vault);
  entsec_passphrase_dialog_set_required (self, min_length);
  entsec_required_dialog_present (parent, REQUIRED_KEY, GTK_WINDOW (self), on_done, data);
  return TRUE;
}
