/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-setup-page.c: first run, the privacy notice and entsec_vault_create_async() */

#define G_LOG_DOMAIN "entsec-setup-page"

#include "config.h"

#include <glib/gi18n.h>

#include "entsec-a11y.h"
#include "entsec-application.h"
#include "entsec-passphrase-dialog.h"
#include "entsec-setup-page.h"

struct _EntsecSetupPage
{
  AdwBin        parent_instance;

  GtkSwitch    *keyring_switch;
  GtkEditable  *passphrase_row;
  GtkEditable  *confirm_row;
  GtkLevelBar  *strength_bar;
  GtkLabel     *hint_label;
  GtkWidget    *create_button;
  GtkWidget    *spinner;

  char         *path;
  GCancellable *cancellable;
  gboolean      busy;
};

G_DEFINE_FINAL_TYPE (EntsecSetupPage, entsec_setup_page, ADW_TYPE_BIN)

enum
{
  SIGNAL_CREATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/*
 * Why the choice cannot be used yet, or NULL (and *@note, when the passphrase
 * was not rated); updates the strength bar. An
 * optional passphrase, once typed, meets the checks of the preferences'
 * passphrase dialog (entsec_passphrase_problem()).
 */
static char *
check_choice (EntsecSetupPage *self,
              char           **note)
{
  const char *passphrase = gtk_editable_get_text (self->passphrase_row);
  const char *confirm = gtk_editable_get_text (self->confirm_row);
  guint score = 0;
  char *problem = NULL;

  if (*passphrase != '\0')
    problem = entsec_passphrase_problem (passphrase, confirm, &score, note);
  else if (!gtk_switch_get_active (self->keyring_switch))
    problem = g_strdup (_("Choose the keyring, a passphrase, or both."));
  gtk_level_bar_set_value (self->strength_bar, score);
  gtk_widget_set_visible (GTK_WIDGET (self->strength_bar), *passphrase != '\0');
  return problem;
}

static void
update_create_button (EntsecSetupPage *self)
{
  g_autofree char *note = NULL;
  g_autofree char *problem = check_choice (self, &note);

  gtk_label_set_label (self->hint_label, problem != NULL ? problem : note != NULL ? note : "");
  gtk_widget_set_sensitive (self->create_button, problem == NULL && !self->busy);
}

static void
set_busy (EntsecSetupPage *self,
          gboolean         busy)
{
  self->busy = busy;
  gtk_widget_set_visible (self->spinner, busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->passphrase_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->confirm_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->keyring_switch), !busy);
  update_create_button (self);
}

static void
vault_created (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (EntsecSetupPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecVault) vault = entsec_vault_create_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  if (vault == NULL)
    {
      gtk_label_set_label (self->hint_label, error->message);
      return;
    }
  gtk_editable_set_text (self->passphrase_row, "");
  gtk_editable_set_text (self->confirm_row, "");
  g_signal_emit (self, signals[SIGNAL_CREATED], 0, vault);
}

static void
create_clicked (EntsecSetupPage *self)
{
  const char *passphrase = gtk_editable_get_text (self->passphrase_row);
  g_autofree char *problem = check_choice (self, NULL);

  if (self->busy || self->path == NULL || problem != NULL)
    return;
  set_busy (self, TRUE);
  gtk_label_set_label (self->hint_label, *passphrase != '\0'
                       ? _("Measuring how hard to make the passphrase to guess…") : "");
  /* The passphrase is copied by the call; the rows are emptied once it is done. */
  entsec_vault_create_async (self->path, gtk_switch_get_active (self->keyring_switch),
                             *passphrase != '\0' ? passphrase : NULL, strlen (passphrase), NULL,
                             self->cancellable, vault_created, g_object_ref (self));
}

void
entsec_setup_page_prepare (EntsecSetupPage *self,
                           const char      *path,
                           GCancellable    *cancellable)
{
  g_return_if_fail (ENTSEC_IS_SETUP_PAGE (self));
  g_return_if_fail (path != NULL);

  g_free (self->path);
  self->path = g_strdup (path);
  g_set_object (&self->cancellable, cancellable);
  update_create_button (self);
}

static void
entsec_setup_page_dispose (GObject *object)
{
  EntsecSetupPage *self = ENTSEC_SETUP_PAGE (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), ENTSEC_TYPE_SETUP_PAGE);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (entsec_setup_page_parent_class)->dispose (object);
}

static void
entsec_setup_page_class_init (EntsecSetupPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  entsec_app_ensure_resources ();

  object_class->dispose = entsec_setup_page_dispose;

  /* EntsecSetupPage::created: (vault) the new vault, unlocked. */
  signals[SIGNAL_CREATED] = g_signal_new ("created", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, ENTSEC_TYPE_VAULT);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/entsec/EnterpriseSecurity/entsec-setup-page.ui");
  gtk_widget_class_bind_template_child (widget_class, EntsecSetupPage, keyring_switch);
  gtk_widget_class_bind_template_child (widget_class, EntsecSetupPage, passphrase_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecSetupPage, confirm_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecSetupPage, strength_bar);
  gtk_widget_class_bind_template_child (widget_class, EntsecSetupPage, hint_label);
  gtk_widget_class_bind_template_child (widget_class, EntsecSetupPage, create_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecSetupPage, spinner);
  gtk_widget_class_bind_template_callback (widget_class, update_create_button);
  gtk_widget_class_bind_template_callback (widget_class, create_clicked);
}

static void
entsec_setup_page_init (EntsecSetupPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  entsec_a11y_name_peek_button (ADW_PASSWORD_ENTRY_ROW (self->passphrase_row));
  entsec_a11y_name_peek_button (ADW_PASSWORD_ENTRY_ROW (self->confirm_row));
}
