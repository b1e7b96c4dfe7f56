/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-account-row.c: issuer, label, the code in groups and its countdown */

#define G_LOG_DOMAIN "entsec-account-row"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "entsec-account-row.h"
#include "entsec-accounts-model.h"
#include "entsec-application.h"
#include "entsec-enterprise-state.h"
#include "entsec-monogram.h"

/* The next code shows in the last seconds of a period. */
#define NEXT_CODE_SECONDS 5

struct _EntsecAccountRow
{
  GtkWidget             parent_instance;

  EntsecMonogram       *monogram;
  GtkBox               *names_box;
  GtkLabel             *issuer_label;
  GtkLabel             *account_label;
  GtkLabel             *code_label;
  GtkLabel             *countdown_label;
  GtkButton            *star_button;
  GtkButton            *details_button;
  /* Made when the row first needs them (NULL until then): few rows show
   * them, and a screenful of rows is made for the first frame. */
  GtkLabel             *managed_label;
  GtkLabel             *next_label;
  GtkButton            *next_button;

  EntsecVault          *vault;
  EntsecAccountSummary *summary;
  GCancellable         *cancellable;
  /* A managed account's row follows the organization's name (0: not connected). */
  EntsecEnterpriseState *state;
  gulong                 state_handler;
  /* The TOTP step the code shown belongs to (-1: none), and whether a code
   * is being computed. */
  gint64                step;
  gboolean              pending;
  /* The same for the next period's code, near rollover. */
  gint64                next_step;
  gboolean              next_pending;
  /* "Hide codes until tapped", and whether this one was tapped. */
  gboolean              hide_codes;
  gboolean              revealed;
  /* Bumped at every bind and unbind: a result for an earlier binding is dropped. */
  guint                 generation;
  char                  code[ENTSEC_OTP_CODE_SIZE];
  char                  next_code[ENTSEC_OTP_CODE_SIZE];
};

G_DEFINE_FINAL_TYPE (EntsecAccountRow, entsec_account_row, GTK_TYPE_WIDGET)

typedef struct
{
  EntsecAccountRow *row;
  guint             generation;
  gboolean          next;
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

static gboolean
concealed (EntsecAccountRow *self)
{
  return self->hide_codes && !self->revealed;
}

/* What a label shows for @code: its groups, or dots in their place. */
static char *
shown_text (EntsecAccountRow *self,
            const char       *code)
{
  g_autofree char *grouped = entsec_format_code (code);
  GString *dots;

  if (!concealed (self))
    return g_steal_pointer (&grouped);
  dots = g_string_new (NULL);
  for (const char *p = grouped; *p != '\0'; p++)
    g_string_append (dots, *p == ' ' ? " " : "•");
  explicit_bzero (grouped, strlen (grouped));
  return g_string_free (dots, FALSE);
}

/* A label in the names' column, after @sibling. */
static GtkLabel *
add_names_label (EntsecAccountRow   *self,
                 GtkWidget          *sibling,
                 PangoEllipsizeMode  ellipsize,
                 const char        **classes)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), ellipsize);
  gtk_widget_set_css_classes (label, classes);
  gtk_box_insert_child_after (self->names_box, label, sibling);
  return GTK_LABEL (label);
}

/* "Managed by ORG", under the account's name. */
static GtkLabel *
ensure_managed_label (EntsecAccountRow *self)
{
  static const char *classes[] = { "caption", "accent", "entsec-managed", NULL };

  if (self->managed_label == NULL)
    self->managed_label = add_names_label (self, GTK_WIDGET (self->account_label),
                                           PANGO_ELLIPSIZE_END, classes);
  return self->managed_label;
}

/* The next period's code, under the code. */
static GtkLabel *
ensure_next_label (EntsecAccountRow *self)
{
  static const char *classes[] = { "entsec-dim", "caption", "entsec-next-code", NULL };

  if (self->next_label == NULL)
    self->next_label = add_names_label (self, GTK_WIDGET (self->code_label), PANGO_ELLIPSIZE_NONE,
                                        classes);
  return self->next_label;
}

static void
show_next_code (EntsecAccountRow *self)
{
  g_autofree char *text = NULL;
  g_autofree char *label = NULL;
  GtkLabel *next_label;

  if (self->next_code[0] == '\0')
    {
      if (self->next_label != NULL)
        gtk_widget_set_visible (GTK_WIDGET (self->next_label), FALSE);
      return;
    }
  next_label = ensure_next_label (self);
  text = shown_text (self, self->next_code);
  /* TRANSLATORS: the code after the one shown, near its end: "Next: 123 456" */
  label = g_strdup_printf (_("Next: %s"), text);
  gtk_label_set_label (next_label, label);
  gtk_widget_set_visible (GTK_WIDGET (next_label), TRUE);
}

static void
forget_next_code (EntsecAccountRow *self)
{
  explicit_bzero (self->next_code, sizeof self->next_code);
  self->next_step = -1;
  if (self->next_label == NULL)
    return;
  gtk_label_set_label (self->next_label, "");
  gtk_widget_set_visible (GTK_WIDGET (self->next_label), FALSE);
}

static void
forget_code (EntsecAccountRow *self)
{
  explicit_bzero (self->code, sizeof self->code);
  gtk_label_set_label (self->code_label, is_hotp (self) ? "••• •••" : "");
  forget_next_code (self);
}

static void
refresh_code_label (EntsecAccountRow *self)
{
  g_autofree char *text = NULL;

  if (self->code[0] == '\0')
    return;
  text = shown_text (self, self->code);
  gtk_label_set_label (self->code_label, text);
  show_next_code (self);
}

static void
show_code (EntsecAccountRow *self,
           const char       *code)
{
  g_strlcpy (self->code, code, sizeof self->code);
  refresh_code_label (self);
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
  if (request->generation == self->generation && request->next)
    {
      self->next_pending = FALSE;
      if (ok)
        {
          g_strlcpy (self->next_code, code, sizeof self->next_code);
          show_next_code (self);
        }
    }
  else if (request->generation == self->generation)
    {
      self->pending = FALSE;
      if (self->next_button != NULL)
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
              gint64            now,
              gboolean          next)
{
  CodeRequest *request = g_new0 (CodeRequest, 1);

  request->row = g_object_ref (self);
  request->generation = self->generation;
  request->next = next;
  if (next)
    self->next_pending = TRUE;
  else
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
  request_code (self, g_get_real_time () / G_USEC_PER_SEC, FALSE);
}

/* A counter (HOTP) account's button for its next code, after the countdown's
 * place. The tooltip is set before the button is in the row: on a visible
 * widget GTK 4.8 asks the X server where the pointer is. */
static GtkButton *
ensure_next_button (EntsecAccountRow *self)
{
  GtkWidget *button;

  if (self->next_button != NULL)
    return self->next_button;
  button = gtk_button_new_from_icon_name ("view-refresh-symbolic");
  gtk_widget_set_visible (button, FALSE);
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, _("Show the Next Code"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Next code"), -1);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_add_css_class (button, "circular");
  g_signal_connect_swapped (button, "clicked", G_CALLBACK (next_clicked), self);
  gtk_widget_insert_after (button, GTK_WIDGET (self), GTK_WIDGET (self->countdown_label));
  self->next_button = GTK_BUTTON (button);
  return self->next_button;
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
  guint period;

  g_return_if_fail (ENTSEC_IS_ACCOUNT_ROW (self));

  if (self->summary == NULL || is_hotp (self))
    return;
  update_countdown (self, now);
  period = MAX (entsec_account_summary_get_period (self->summary), 1);
  step = now / period;
  if (step != self->step && !self->pending)
    {
      self->step = step;
      forget_next_code (self);
      request_code (self, now, FALSE);
    }
  if (entsec_totp_remaining (now, period) <= NEXT_CODE_SECONDS && self->next_step != step + 1
      && !self->next_pending)
    {
      self->next_step = step + 1;
      request_code (self, now + period, TRUE);
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

static void
show_monogram (EntsecAccountRow *self)
{
  const char *issuer = entsec_account_summary_get_issuer (self->summary);
  g_autofree char *name = issuer != NULL ? NULL
                                         : entsec_account_summary_dup_display_name (self->summary);

  entsec_monogram_set_name (self->monogram, issuer != NULL ? issuer : name);
}

static const char *
star_label (EntsecAccountRow *self)
{
  return entsec_account_summary_get_favourite (self->summary) ? _("Remove from favourites")
                                                              : _("Add to favourites");
}

/* The star's tooltip, asked for when shown: gtk_widget_set_tooltip_text() on
 * a visible widget makes GTK 4.8 ask the X server where the pointer is, a
 * round trip at every bind (every row scrolled into view). */
static gboolean
query_star_tooltip (EntsecAccountRow *self,
                    int               x,
                    int               y,
                    gboolean          keyboard,
                    GtkTooltip       *tooltip)
{
  if (self->summary == NULL)
    return FALSE;
  gtk_tooltip_set_text (tooltip, star_label (self));
  return TRUE;
}

static void
show_favourite (EntsecAccountRow *self)
{
  gboolean favourite = entsec_account_summary_get_favourite (self->summary);

  gtk_button_set_icon_name (self->star_button, favourite ? "starred-symbolic"
                                                         : "non-starred-symbolic");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->star_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, star_label (self), -1);
}

static void
show_managed (EntsecAccountRow *self)
{
  g_autofree char *text = entsec_enterprise_state_dup_managed_by (self->state);

  gtk_label_set_label (self->managed_label, text);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text,
                                  -1);
}

/* A "Managed by ORG" badge on the accounts the organization provisioned. */
static void
bind_managed (EntsecAccountRow *self)
{
  gboolean managed = entsec_account_summary_get_managed (self->summary);

  if (!managed)
    {
      if (self->managed_label != NULL)
        gtk_widget_set_visible (GTK_WIDGET (self->managed_label), FALSE);
      gtk_accessible_reset_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
      return;
    }
  gtk_widget_set_visible (GTK_WIDGET (ensure_managed_label (self)), TRUE);
  self->state = g_object_ref (entsec_enterprise_state_get (self->vault));
  self->state_handler = g_signal_connect_swapped (self->state, "changed",
                                                  G_CALLBACK (show_managed), self);
  show_managed (self);
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
  show_monogram (self);
  show_favourite (self);
  bind_managed (self);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->star_button), "x",
                                    entsec_account_summary_get_id (summary));
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->details_button), "x",
                                    entsec_account_summary_get_id (summary));
  forget_code (self);
  if (is_hotp (self))
    gtk_widget_set_visible (GTK_WIDGET (ensure_next_button (self)), TRUE);
  else if (self->next_button != NULL)
    gtk_widget_set_visible (GTK_WIDGET (self->next_button), FALSE);
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
  self->next_pending = FALSE;
  self->revealed = FALSE;
  explicit_bzero (self->code, sizeof self->code);
  gtk_label_set_label (self->code_label, "");
  forget_next_code (self);
  if (self->next_button != NULL)
    gtk_widget_set_sensitive (GTK_WIDGET (self->next_button), TRUE);
  g_clear_signal_handler (&self->state_handler, self->state);
  g_clear_object (&self->state);
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

void
entsec_account_row_set_hide_codes (EntsecAccountRow *self,
                                   gboolean          hide_codes)
{
  g_return_if_fail (ENTSEC_IS_ACCOUNT_ROW (self));

  self->hide_codes = hide_codes;
  refresh_code_label (self);
}

gboolean
entsec_account_row_reveal (EntsecAccountRow *self)
{
  g_return_val_if_fail (ENTSEC_IS_ACCOUNT_ROW (self), FALSE);

  if (!concealed (self))
    return FALSE;
  self->revealed = TRUE;
  refresh_code_label (self);
  return TRUE;
}

static void
entsec_account_row_dispose (GObject *object)
{
  EntsecAccountRow *self = ENTSEC_ACCOUNT_ROW (object);
  GtkWidget *child;

  entsec_account_row_unbind (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), ENTSEC_TYPE_ACCOUNT_ROW);
  /* The parts made on demand go with the children they are in. */
  self->managed_label = NULL;
  self->next_label = NULL;
  self->next_button = NULL;
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

  g_type_ensure (ENTSEC_TYPE_MONOGRAM);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/entsec/EnterpriseSecurity/entsec-account-row.ui");
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountRow, monogram);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountRow, names_box);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountRow, issuer_label);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountRow, account_label);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountRow, code_label);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountRow, countdown_label);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountRow, star_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountRow, details_button);
  gtk_widget_class_bind_template_callback (widget_class, query_star_tooltip);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BOX_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "entsec-account-row");
}

static void
entsec_account_row_init (EntsecAccountRow *self)
{
  self->step = -1;
  self->next_step = -1;
  gtk_widget_init_template (GTK_WIDGET (self));
  /* Hidden in the template while its tooltip was set (entsec-account-row.ui). */
  gtk_widget_set_visible (GTK_WIDGET (self->details_button), TRUE);
  /* The target first: an action name without its "x" target warns. Binding
   * changes the target only. */
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->star_button), "x", (gint64) 0);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->star_button), "win.toggle-favourite");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->details_button), "x", (gint64) 0);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->details_button), "win.show-account");
  gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (gtk_widget_get_layout_manager (GTK_WIDGET (self))),
                              12);
}

GtkWidget *
entsec_account_row_new (void)
{
  return g_object_new (ENTSEC_TYPE_ACCOUNT_ROW, NULL);
}
