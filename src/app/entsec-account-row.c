/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-account-row.c: issuer, label, the code in groups and its countdown */

#define G_LOG_DOMAIN "entsec-account-row"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "entsec-account-row.h"
#include "entsec-accounts-model.h"
#include "entsec-application.h"

struct _EntsecAccountRow
{
  GtkWidget             parent_instance;

  GtkLabel             *issuer_label;
  GtkLabel             *account_label;
  GtkLabel             *code_label;
  GtkLabel             *countdown_label;
  GtkButton            *next_button;

  EntsecVault          *vault;
  EntsecAccountSummary *summary;
  GCancellable         *cancellable;
  /* The TOTP step the code shown belongs to (-1: none), and whether a code
   * is being computed. */
  gint64                step;
  gboolean              pending;
  /* Bumped at every bind and unbind: a result for an earlier binding is dropped. */
  guint                 generation;
  char                  code[ENTSEC_OTP_CODE_SIZE];
};

G_DEFINE_FINAL_TYPE (EntsecAccountRow, entsec_account_row, GTK_TYPE_WIDGET)

typedef struct
{
  EntsecAccountRow *row;
  guint             generation;
} CodeRequest;

static void
code_request_free (CodeRequest *request)
{
  g_object_unref (request->row);
  g_free (request);
}

static gboolean
is_hotp (EntsecAccountRow *self)
{
  return entsec_account_summary_get_kind (self->summary) == ENTSEC_ACCOUNT_HOTP;
}

static void
forget_code (EntsecAccountRow *self)
{
  explicit_bzero (self->code, sizeof self->code);
  gtk_label_set_label (self->code_label, is_hotp (self) ? "••• •••" : "");
}

static void
show_code (EntsecAccountRow *self,
           const char       *code)
{
  g_autofree char *grouped = entsec_format_code (code);

  g_strlcpy (self->code, code, sizeof self->code);
  gtk_label_set_label (self->code_label, grouped);
}

static void
code_computed (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  CodeRequest *request = user_data;
  EntsecAccountRow *self = request->row;
  g_autoptr (GError) error = NULL;
  char code[ENTSEC_OTP_CODE_SIZE] = { 0 };
  gboolean ok;

  ok = entsec_vault_compute_code_finish (ENTSEC_VAULT (source), result, code, &error);
  if (request->generation == self->generation)
    {
      self->pending = FALSE;
      gtk_widget_set_sensitive (GTK_WIDGET (self->next_button), TRUE);
      if (ok)
        show_code (self, code);
      else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          self->step = -1;
          gtk_label_set_label (self->code_label, _("No code"));
          gtk_widget_set_tooltip_text (GTK_WIDGET (self->code_label), error->message);
        }
    }
  explicit_bzero (code, sizeof code);
  code_request_free (request);
}

static void
request_code (EntsecAccountRow *self,
              gint64            now)
{
  CodeRequest *request = g_new0 (CodeRequest, 1);

  request->row = g_object_ref (self);
  request->generation = self->generation;
  self->pending = TRUE;
  entsec_vault_compute_code_async (self->vault, entsec_account_summary_get_id (self->summary),
                                   now, self->cancellable, code_computed, request);
}

static void
next_clicked (EntsecAccountRow *self)
{
  if (self->summary == NULL || self->pending)
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (self->next_button), FALSE);
  request_code (self, g_get_real_time () / G_USEC_PER_SEC);
}

static void
update_countdown (EntsecAccountRow *self,
                  gint64            now)
{
  guint period = entsec_account_summary_get_period (self->summary);
  guint left = entsec_totp_remaining (now, period);
  g_autofree char *text = g_strdup_printf ("%u", left);
  g_autofree char *description = g_strdup_printf (
    g_dngettext (NULL, "The code changes in %u second", "The code changes in %u seconds", left),
    left);

  gtk_label_set_label (self->countdown_label, text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->countdown_label),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description, -1);
  if (left <= 5)
    gtk_widget_add_css_class (GTK_WIDGET (self->countdown_label), "warning");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->countdown_label), "warning");
}

void
entsec_account_row_tick (EntsecAccountRow *self,
                         gint64            now)
{
  gint64 step;

  g_return_if_fail (ENTSEC_IS_ACCOUNT_ROW (self));

  if (self->summary == NULL || is_hotp (self))
    return;
  update_countdown (self, now);
  step = now / MAX (entsec_account_summary_get_period (self->summary), 1);
  if (step != self->step && !self->pending)
    {
      self->step = step;
      request_code (self, now);
    }
}

static void
show_names (EntsecAccountRow *self)
{
  const char *issuer = entsec_account_summary_get_issuer (self->summary);
  const char *label = entsec_account_summary_get_label (self->summary);
  g_autofree char *name = entsec_account_summary_dup_display_name (self->summary);

  gtk_label_set_label (self->issuer_label, issuer != NULL ? issuer : label);
  gtk_label_set_label (self->account_label, issuer != NULL ? label : "");
  gtk_widget_set_visible (GTK_WIDGET (self->account_label), issuer != NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
}

void
entsec_account_row_bind (EntsecAccountRow     *self,
                         EntsecVault          *vault,
                         EntsecAccountSummary *summary,
                         GCancellable         *cancellable)
{
  g_return_if_fail (ENTSEC_IS_ACCOUNT_ROW (self));
  g_return_if_fail (ENTSEC_IS_VAULT (vault));
  g_return_if_fail (ENTSEC_IS_ACCOUNT_SUMMARY (summary));

  entsec_account_row_unbind (self);
  self->vault = g_object_ref (vault);
  self->summary = g_object_ref (summary);
  g_set_object (&self->cancellable, cancellable);
  show_names (self);
  forget_code (self);
  gtk_widget_set_visible (GTK_WIDGET (self->next_button), is_hotp (self));
  gtk_widget_set_visible (GTK_WIDGET (self->countdown_label), !is_hotp (self));
  entsec_account_row_tick (self, g_get_real_time () / G_USEC_PER_SEC);
}

void
entsec_account_row_unbind (EntsecAccountRow *self)
{
  g_return_if_fail (ENTSEC_IS_ACCOUNT_ROW (self));

  self->generation++;
  self->step = -1;
  self->pending = FALSE;
  explicit_bzero (self->code, sizeof self->code);
  gtk_label_set_label (self->code_label, "");
  gtk_widget_set_sensitive (GTK_WIDGET (self->next_button), TRUE);
  g_clear_object (&self->summary);
  g_clear_object (&self->vault);
  g_clear_object (&self->cancellable);
}

gint64
entsec_account_row_get_account_id (EntsecAccountRow *self)
{
  g_return_val_if_fail (ENTSEC_IS_ACCOUNT_ROW (self), 0);

  return self->summary != NULL ? entsec_account_summary_get_id (self->summary) : 0;
}

const char *
entsec_account_row_get_code (EntsecAccountRow *self)
{
  g_return_val_if_fail (ENTSEC_IS_ACCOUNT_ROW (self), NULL);

  return self->code[0] != '\0' ? self->code : NULL;
}

static void
entsec_account_row_dispose (GObject *object)
{
  EntsecAccountRow *self = ENTSEC_ACCOUNT_ROW (object);
  GtkWidget *child;

  entsec_account_row_unbind (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), ENTSEC_TYPE_ACCOUNT_ROW);
  /* The template's unnamed box is a child too. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (entsec_account_row_parent_class)->dispose (object);
}

static void
entsec_account_row_class_init (EntsecAccountRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  entsec_app_ensure_resources ();

  object_class->dispose = entsec_account_row_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/entsec/EnterpriseSecurity/entsec-account-row.ui");
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountRow, issuer_label);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountRow, account_label);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountRow, code_label);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountRow, countdown_label);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountRow, next_button);
  gtk_widget_class_bind_template_callback (widget_class, next_clicked);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "entsec-account-row");
}

static void
entsec_account_row_init (EntsecAccountRow *self)
{
  self->step = -1;
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                              12);
}

GtkWidget *
entsec_account_row_new (void)
{
  return g_object_new (ENTSEC_TYPE_ACCOUNT_ROW, NULL);
}
