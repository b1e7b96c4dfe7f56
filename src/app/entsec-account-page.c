/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-account-page.c: one account's details: names, favourite, QR code, delete */

#define G_LOG_DOMAIN "entsec-account-page"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "entsec-a11y.h"
#include "entsec-account-page.h"
#include "entsec-application.h"
#include "entsec-enterprise-state.h"
#include "entsec-qr-texture.h"

#define QR_SCALE 6

struct _EntsecAccountPage
{
  GtkBox                parent_instance;

  AdwHeaderBar         *header_bar;
  GtkButton            *back_button;
  AdwWindowTitle       *window_title;
  GtkStack             *stack;
  AdwEntryRow          *issuer_row;
  AdwEntryRow          *label_row;
  AdwEntryRow          *group_row;
  GtkSwitch            *favourite_switch;
  GtkButton            *save_button;
  AdwPasswordEntryRow  *passphrase_row;
  GtkButton            *show_qr_button;
  GtkPicture           *qr_picture;
  GtkButton            *delete_button;
  GtkLabel             *managed_label;
  GtkLabel             *policy_label;

  EntsecVault          *vault;
  /* The vault's enterprise state, followed while an account is shown. */
  EntsecEnterpriseState *state;
  gulong                 state_handler;
  EntsecAccountSummary *summary;
  GCancellable         *cancellable;
  /* Bumped whenever the account shown changes or the QR code is hidden: a
   * result for an earlier one is dropped. */
  guint                 generation;
  gboolean              busy;
};

G_DEFINE_FINAL_TYPE (EntsecAccountPage, entsec_account_page, GTK_TYPE_BOX)

enum
{
  SIGNAL_TOAST,
  SIGNAL_CLOSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct _PageCall PageCall;

/* What to do with the account fetched (with its secret): takes @account and @call. */
typedef void (*AccountUse) (EntsecAccountPage *self,
                            EntsecAccount     *account,
                            PageCall          *call);

/* A call in flight for the page: dropped when the page moved on. */
struct _PageCall
{
  EntsecAccountPage *page;
  guint              generation;
  EntsecVault       *other;
  AccountUse         use;
};

static PageCall *
page_call_new (EntsecAccountPage *self)
{
  PageCall *call = g_new0 (PageCall, 1);

  call->page = g_object_ref (self);
  call->generation = self->generation;
  return call;
}

static void
page_call_free (PageCall *call)
{
  g_object_unref (call->page);
  g_clear_object (&call->other);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PageCall, page_call_free)

static gboolean
page_call_current (PageCall     *call,
                   const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  return call->generation == call->page->generation;
}

static void
emit_toast (EntsecAccountPage *self,
            AdwToast          *toast)
{
  g_signal_emit (self, signals[SIGNAL_TOAST], 0, toast);
  g_object_unref (toast);
}

static void
toast (EntsecAccountPage *self,
       const char        *title)
{
  AdwToast *toast = adw_toast_new (title);

  adw_toast_set_timeout (toast, 4);
  emit_toast (self, toast);
}

static const char *
text_or_null (AdwEntryRow *row)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (row));

  return *text != '\0' ? text : NULL;
}

static gboolean
changed (EntsecAccountPage *self)
{
  EntsecAccountSummary *s = self->summary;

  return g_strcmp0 (text_or_null (self->issuer_row), entsec_account_summary_get_issuer (s)) != 0
         || g_strcmp0 (gtk_editable_get_text (GTK_EDITABLE (self->label_row)),
                       entsec_account_summary_get_label (s)) != 0
         || g_strcmp0 (text_or_null (self->group_row), entsec_account_summary_get_group (s)) != 0
         || gtk_switch_get_active (self->favourite_switch)
              != entsec_account_summary_get_favourite (s);
}

/* A managed account: its badge, and delete and the QR code as the policy
 * allows, with the reason shown when it does not (not hidden). */
static void
update_policy (EntsecAccountPage *self)
{
  gboolean managed = self->summary != NULL && entsec_account_summary_get_managed (self->summary);
  g_autofree char *managed_by = NULL;
  g_autofree char *no_delete = NULL;
  g_autofree char *no_export = NULL;
  gboolean can_delete = !managed || entsec_enterprise_state_allows (self->state, "delete",
                                                                    &no_delete);
  gboolean can_export = !managed || entsec_enterprise_state_allows (self->state, "export",
                                                                    &no_export);
  g_autofree char *reasons = g_strjoin (" ", no_delete != NULL ? no_delete : "",
                                        no_export != NULL ? no_export : "", NULL);

  if (managed)
    managed_by = entsec_enterprise_state_dup_managed_by (self->state);
  gtk_label_set_label (self->managed_label, managed_by);
  gtk_widget_set_visible (GTK_WIDGET (self->managed_label), managed);
  entsec_enterprise_explain_widget (self->delete_button, can_delete, no_delete);
  entsec_enterprise_explain_widget (self->show_qr_button, can_export, no_export);
  gtk_widget_set_sensitive (GTK_WIDGET (self->passphrase_row), can_export);
  gtk_label_set_label (self->policy_label, g_strstrip (reasons));
  gtk_widget_set_visible (GTK_WIDGET (self->policy_label), !can_delete || !can_export);
}

static void
update_sensitivity (EntsecAccountPage *self)
{
  gboolean writable = self->vault != NULL && !entsec_vault_is_read_only (self->vault);
  gboolean named = text_or_null (self->label_row) != NULL;

  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button),
                            self->summary != NULL && writable && !self->busy && named
                            && changed (self));
  update_policy (self);
  if (self->busy)
    {
      gtk_widget_set_sensitive (GTK_WIDGET (self->delete_button), FALSE);
      gtk_widget_set_sensitive (GTK_WIDGET (self->show_qr_button), FALSE);
    }
  if (!writable)
    gtk_widget_set_sensitive (GTK_WIDGET (self->delete_button), FALSE);
  if (named)
    gtk_widget_remove_css_class (GTK_WIDGET (self->label_row), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->label_row), "error");
}

static void
fields_changed (EntsecAccountPage *self)
{
  if (self->summary != NULL)
    update_sensitivity (self);
}

static void
set_busy (EntsecAccountPage *self,
          gboolean           busy)
{
  self->busy = busy;
  update_sensitivity (self);
}

static void
fail (EntsecAccountPage *self,
      const GError      *error)
{
  set_busy (self, FALSE);
  toast (self, error->message);
}

static void
account_fetched (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (PageCall) call = user_data;
  g_autoptr (GError) error = NULL;
  EntsecAccount *account = entsec_vault_get_account_finish (ENTSEC_VAULT (source), result, &error);

  if (!page_call_current (call, error))
    entsec_account_free (account);
  else if (account == NULL)
    fail (call->page, error);
  else
    {
      /* Read before the call is handed on: argument order is unspecified. */
      AccountUse use = call->use;
      EntsecAccountPage *self = call->page;

      use (self, account, g_steal_pointer (&call));
    }
}

/* The account shown, with its secret, for @use only; the page stays busy. */
static void
fetch_account (EntsecAccountPage *self,
               AccountUse         use)
{
  PageCall *call = page_call_new (self);

  call->use = use;
  set_busy (self, TRUE);
  entsec_vault_get_account_async (self->vault, entsec_account_summary_get_id (self->summary),
                                  self->cancellable, account_fetched, call);
}

static void
back_clicked (EntsecAccountPage *self)
{
  g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
}

/* ---- Saving -------------------------------------------------------------- */

static void
account_updated (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (PageCall) call = user_data;
  g_autoptr (GError) error = NULL;
  gboolean ok = entsec_vault_update_account_finish (ENTSEC_VAULT (source), result, &error);

  if (!page_call_current (call, error))
    return;
  /* DUPLICATE says which account has the name already. */
  if (!ok)
    fail (call->page, error);
  else
    {
      set_busy (call->page, FALSE);
      toast (call->page, _("Changes saved"));
    }
}

/* @account is a copy fetched for this change: the secret goes with it. */
static void
apply_fields (EntsecAccountPage *self,
              EntsecAccount     *account)
{
  g_free (account->issuer);
  account->issuer = g_strdup (text_or_null (self->issuer_row));
  g_free (account->label);
  account->label = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->label_row)));
  g_free (account->group);
  account->group = g_strdup (text_or_null (self->group_row));
  account->favourite = gtk_switch_get_active (self->favourite_switch);
}

static void
save_fetched (EntsecAccountPage *self,
              EntsecAccount     *account,
              PageCall          *call)
{
  apply_fields (self, account);
  entsec_vault_update_account_async (self->vault, account, self->cancellable, account_updated,
                                     call);
  entsec_account_free (account);
}

static void
save_clicked (EntsecAccountPage *self)
{
  if (self->summary != NULL && !self->busy)
    fetch_account (self, save_fetched);
}

/* ---- Deleting, and undoing it -------------------------------------------- */

static void
account_readded (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (GError) error = NULL;

  if (!entsec_vault_add_accounts_finish (ENTSEC_VAULT (source), result, NULL, NULL, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("The deleted account could not be restored: %s", error->message);
}

/* The toast holds the deleted account (with its secret) until it goes. */
static void
undo_clicked (AdwToast *toast,
              gpointer  user_data)
{
  EntsecVault *vault = g_object_get_data (G_OBJECT (toast), "vault");
  EntsecAccount *account = g_object_get_data (G_OBJECT (toast), "account");
  GCancellable *cancellable = g_object_get_data (G_OBJECT (toast), "cancellable");
  g_autoptr (GPtrArray) accounts = g_ptr_array_new ();

  if (vault == NULL || account == NULL)
    return;
  account->id = 0;
  g_ptr_array_add (accounts, account);
  entsec_vault_add_accounts_async (vault, accounts, ENTSEC_VAULT_ADD_NONE, cancellable,
                                   account_readded, NULL);
}

static void
toast_dismissed (AdwToast *toast)
{
  /* Wipes the secret now rather than when the last reference goes. */
  g_object_set_data (G_OBJECT (toast), "account", NULL);
}

typedef struct
{
  EntsecAccountPage *page;
  EntsecVault       *vault;
  GCancellable      *cancellable;
  EntsecAccount     *account;
  gint64             id;
} DeleteCall;

static void
delete_call_free (DeleteCall *call)
{
  g_object_unref (call->page);
  g_object_unref (call->vault);
  g_clear_object (&call->cancellable);
  entsec_account_free (call->account);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DeleteCall, delete_call_free)

/* The page may show nothing by now (the list changed first): the call has
 * the vault and the cancellable. */
static AdwToast *
undo_toast (DeleteCall *call)
{
  EntsecAccount *account = g_steal_pointer (&call->account);
  g_autofree char *name = entsec_account_dup_display_name (account);
  g_autofree char *title = g_strdup_printf (_("“%s” deleted"), name);
  AdwToast *toast = adw_toast_new (title);

  adw_toast_set_button_label (toast, _("_Undo"));
  adw_toast_set_timeout (toast, 8);
  g_object_set_data_full (G_OBJECT (toast), "account", account,
                          (GDestroyNotify) entsec_account_free);
  g_object_set_data_full (G_OBJECT (toast), "vault", g_object_ref (call->vault), g_object_unref);
  if (call->cancellable != NULL)
    g_object_set_data_full (G_OBJECT (toast), "cancellable", g_object_ref (call->cancellable),
                            g_object_unref);
  g_signal_connect (toast, "button-clicked", G_CALLBACK (undo_clicked), NULL);
  g_signal_connect (toast, "dismissed", G_CALLBACK (toast_dismissed), NULL);
  return toast;
}

static void
account_deleted (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (DeleteCall) call = user_data;
  EntsecAccountPage *self = call->page;
  g_autoptr (GError) error = NULL;

  if (!entsec_vault_delete_account_finish (ENTSEC_VAULT (source), result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        fail (self, error);
      return;
    }
  set_busy (self, FALSE);
  emit_toast (self, undo_toast (call));
  if (entsec_account_page_get_account_id (self) == call->id)
    {
      entsec_account_page_clear (self);
      g_signal_emit (self, signals[SIGNAL_CLOSED], 0);
    }
}

/* The copy kept for "Undo" is fetched first: once deleted, it is gone. */
static void
delete_fetched (EntsecAccountPage *self,
                EntsecAccount     *account,
                PageCall          *page_call)
{
  DeleteCall *call = g_new0 (DeleteCall, 1);

  call->page = g_object_ref (self);
  call->vault = g_object_ref (self->vault);
  call->cancellable = self->cancellable != NULL ? g_object_ref (self->cancellable) : NULL;
  call->account = account;
  call->id = account->id;
  entsec_vault_delete_account_async (call->vault, account->id, call->cancellable,
                                     account_deleted, call);
  page_call_free (page_call);
}

static void
delete_response (AdwMessageDialog  *dialog,
                 const char        *response,
                 EntsecAccountPage *self)
{
  if (g_strcmp0 (response, "delete") == 0 && self->summary != NULL && !self->busy)
    fetch_account (self, delete_fetched);
}

static void
delete_clicked (EntsecAccountPage *self)
{
  g_autofree char *name = NULL;
  GtkWidget *dialog;

  if (self->summary == NULL)
    return;
  name = entsec_account_summary_dup_display_name (self->summary);
  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                   _("Delete Account?"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("Codes for “%s” will no longer be shown here. Keep another "
                                    "way to sign in to it before you delete it."),
                                  name);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "delete", _("_Delete"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (delete_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- The QR code ---------------------------------------------------------- */

static void
wipe_passphrase (EntsecAccountPage *self)
{
  /* GtkEditable text cannot be wiped in place: replace it at once. */
  gtk_editable_set_text (GTK_EDITABLE (self->passphrase_row), "");
}

static void
qr_fetched (EntsecAccountPage *self,
            EntsecAccount     *account,
            PageCall          *call)
{
  g_autoptr (GdkTexture) texture = NULL;
  g_autoptr (GError) error = NULL;
  char *uri = entsec_otpauth_build (account);

  entsec_account_free (account);
  page_call_free (call);
  texture = entsec_qr_texture_new (uri, QR_SCALE, &error);
  explicit_bzero (uri, strlen (uri));
  g_free (uri);
  if (texture == NULL)
    /* Too long for a QR code, or libqrencode missing: the toast says which. */
    fail (self, error);
  else
    set_busy (self, FALSE);
  gtk_picture_set_paintable (self->qr_picture, GDK_PAINTABLE (texture));
  gtk_widget_set_visible (GTK_WIDGET (self->qr_picture), texture != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->show_qr_button), texture == NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->passphrase_row), FALSE);
}

static void
other_locked (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  entsec_vault_lock_finish (ENTSEC_VAULT (source), result, NULL);
}

static void
passphrase_checked (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr (PageCall) call = user_data;
  EntsecAccountPage *self = call->page;
  g_autoptr (GError) error = NULL;
  gboolean ok = entsec_vault_unlock_passphrase_finish (ENTSEC_VAULT (source), result, &error);

  /* The second vault only proved the passphrase: its keys go at once. */
  if (ok)
    entsec_vault_lock_async (ENTSEC_VAULT (source), NULL, other_locked, NULL);
  if (!page_call_current (call, error))
    return;
  wipe_passphrase (self);
  if (!ok)
    {
      fail (self, error);
      gtk_widget_grab_focus (GTK_WIDGET (self->passphrase_row));
      return;
    }
  fetch_account (self, qr_fetched);
}

static void
other_opened (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (PageCall) call = user_data;
  EntsecAccountPage *self = call->page;
  g_autoptr (GError) error = NULL;
  const char *passphrase;
  EntsecVault *other;

  call->other = entsec_vault_open_finish (result, &error);
  if (!page_call_current (call, error))
    return;
  if (call->other == NULL)
    {
      fail (self, error);
      return;
    }
  passphrase = gtk_editable_get_text (GTK_EDITABLE (self->passphrase_row));
  other = call->other;
  entsec_vault_unlock_passphrase_async (other, passphrase, strlen (passphrase),
                                        self->cancellable, passphrase_checked,
                                        g_steal_pointer (&call));
}

/* With a passphrase slot, the QR code needs the passphrase again; it is
 * checked as the CLI does, by a second vault object on the same file. */
static void
show_qr_clicked (EntsecAccountPage *self)
{
  if (self->summary == NULL || self->busy)
    return;
  if (!entsec_app_vault_has_slot (self->vault, ENTSEC_VAULT_SLOT_PASSPHRASE))
    {
      fetch_account (self, qr_fetched);
      return;
    }
  if (!gtk_widget_get_visible (GTK_WIDGET (self->passphrase_row))
      || *gtk_editable_get_text (GTK_EDITABLE (self->passphrase_row)) == '\0')
    {
      gtk_widget_set_visible (GTK_WIDGET (self->passphrase_row), TRUE);
      gtk_widget_grab_focus (GTK_WIDGET (self->passphrase_row));
      return;
    }
  set_busy (self, TRUE);
  entsec_vault_open_async (entsec_vault_get_path (self->vault), self->cancellable, other_opened,
                           page_call_new (self));
}

void
entsec_account_page_hide_qr (EntsecAccountPage *self)
{
  g_return_if_fail (ENTSEC_IS_ACCOUNT_PAGE (self));

  self->generation++;
  self->busy = FALSE;
  gtk_picture_set_paintable (self->qr_picture, NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->qr_picture), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->show_qr_button), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->passphrase_row), FALSE);
  wipe_passphrase (self);
}

/* ---- Public --------------------------------------------------------------- */

static void
set_text (AdwEntryRow *row,
          const char  *text)
{
  gtk_editable_set_text (GTK_EDITABLE (row), text != NULL ? text : "");
}

static void
show_fields (EntsecAccountPage *self)
{
  EntsecAccountSummary *summary = self->summary;
  g_autofree char *name = entsec_account_summary_dup_display_name (summary);

  adw_window_title_set_subtitle (self->window_title, name);
  set_text (self->issuer_row, entsec_account_summary_get_issuer (summary));
  set_text (self->label_row, entsec_account_summary_get_label (summary));
  set_text (self->group_row, entsec_account_summary_get_group (summary));
  gtk_switch_set_active (self->favourite_switch, entsec_account_summary_get_favourite (summary));
}

void
entsec_account_page_show_account (EntsecAccountPage    *self,
                                  EntsecVault          *vault,
                                  EntsecAccountSummary *summary,
                                  GCancellable         *cancellable)
{
  g_return_if_fail (ENTSEC_IS_ACCOUNT_PAGE (self));
  g_return_if_fail (ENTSEC_IS_VAULT (vault));
  g_return_if_fail (ENTSEC_IS_ACCOUNT_SUMMARY (summary));

  entsec_account_page_clear (self);
  g_set_object (&self->vault, vault);
  g_set_object (&self->summary, summary);
  g_set_object (&self->cancellable, cancellable);
  self->state = g_object_ref (entsec_enterprise_state_get (vault));
  self->state_handler = g_signal_connect_swapped (self->state, "changed",
                                                  G_CALLBACK (update_sensitivity), self);
  show_fields (self);
  gtk_stack_set_visible_child_name (self->stack, "account");
  update_sensitivity (self);
}

void
entsec_account_page_refresh (EntsecAccountPage    *self,
                             EntsecAccountSummary *summary)
{
  g_return_if_fail (ENTSEC_IS_ACCOUNT_PAGE (self));
  g_return_if_fail (ENTSEC_IS_ACCOUNT_SUMMARY (summary));

  if (self->summary == NULL || self->summary == summary
      || entsec_account_summary_get_id (summary) != entsec_account_summary_get_id (self->summary))
    return;
  /* What the person is typing stays; untouched fields follow the vault. */
  if (!changed (self))
    {
      g_set_object (&self->summary, summary);
      show_fields (self);
    }
  else
    g_set_object (&self->summary, summary);
  update_sensitivity (self);
}

/* Whether the "no account" page is on screen: a folded leaflet keeps its hidden pane mapped. */
static gboolean
none_page_on_screen (GtkWidget *page)
{
  GtkWidget *leaflet = gtk_widget_get_ancestor (page, ADW_TYPE_LEAFLET);
  GtkWidget *visible;

  if (!gtk_widget_get_mapped (page))
    return FALSE;
  if (leaflet == NULL || !adw_leaflet_get_folded (ADW_LEAFLET (leaflet)))
    return TRUE;
  visible = adw_leaflet_get_visible_child (ADW_LEAFLET (leaflet));
  return visible != NULL && gtk_widget_is_ancestor (page, visible);
}

/* The page's icon once it is on screen; until then the leaflet's changes are watched. */
static void
none_page_check (AdwStatusPage *page)
{
  GtkWidget *leaflet = gtk_widget_get_ancestor (GTK_WIDGET (page), ADW_TYPE_LEAFLET);

  if (leaflet != NULL)
    g_signal_handlers_disconnect_by_func (leaflet, none_page_check, page);
  if (adw_status_page_get_icon_name (page) != NULL)
    return;
  if (none_page_on_screen (GTK_WIDGET (page)))
    {
      adw_status_page_set_icon_name (page, "org.entsec.EnterpriseSecurity-symbolic");
      return;
    }
  if (leaflet == NULL)
    return;
  g_signal_connect_object (leaflet, "notify::folded", G_CALLBACK (none_page_check), page,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (leaflet, "notify::visible-child", G_CALLBACK (none_page_check), page,
                           G_CONNECT_SWAPPED);
}

/* After the first frame that laid the page out: the leaflet has folded or not by then. */
static void
none_page_painted (AdwStatusPage *page,
                   GdkFrameClock *clock)
{
  g_signal_handlers_disconnect_by_func (clock, none_page_painted, page);
  none_page_check (page);
}

/*
 * The "no account" page gets its icon only once it is on screen (see
 * entsec-account-page.ui). A leaflet maps both panes when the window is
 * mapped, unfolded until its first layout, and keeps the hidden pane of a
 * narrow window mapped, so mapping alone does not say the page is shown.
 */
static void
none_page_mapped (AdwStatusPage *page)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (page));

  if (clock == NULL || adw_status_page_get_icon_name (page) != NULL)
    return;
  g_signal_handlers_disconnect_by_func (clock, none_page_painted, page);
  g_signal_connect_object (clock, "after-paint", G_CALLBACK (none_page_painted), page,
                           G_CONNECT_SWAPPED);
}

void
entsec_account_page_clear (EntsecAccountPage *self)
{
  g_return_if_fail (ENTSEC_IS_ACCOUNT_PAGE (self));

  entsec_account_page_hide_qr (self);
  g_clear_signal_handler (&self->state_handler, self->state);
  g_clear_object (&self->state);
  g_clear_object (&self->summary);
  g_clear_object (&self->vault);
  g_clear_object (&self->cancellable);
  adw_window_title_set_subtitle (self->window_title, NULL);
  gtk_stack_set_visible_child_name (self->stack, "none");
}

gint64
entsec_account_page_get_account_id (EntsecAccountPage *self)
{
  g_return_val_if_fail (ENTSEC_IS_ACCOUNT_PAGE (self), 0);

  return self->summary != NULL ? entsec_account_summary_get_id (self->summary) : 0;
}

void
entsec_account_page_set_show_back (EntsecAccountPage *self,
                                   gboolean           show_back)
{
  g_return_if_fail (ENTSEC_IS_ACCOUNT_PAGE (self));

  gtk_widget_set_visible (GTK_WIDGET (self->back_button), show_back);
  /* Side by side, the list's header bar has the window buttons at the start. */
  adw_header_bar_set_show_start_title_buttons (self->header_bar, show_back);
}

static void
entsec_account_page_dispose (GObject *object)
{
  EntsecAccountPage *self = ENTSEC_ACCOUNT_PAGE (object);

  g_clear_signal_handler (&self->state_handler, self->state);
  g_clear_object (&self->state);
  g_clear_object (&self->summary);
  g_clear_object (&self->vault);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), ENTSEC_TYPE_ACCOUNT_PAGE);

  G_OBJECT_CLASS (entsec_account_page_parent_class)->dispose (object);
}

static void
entsec_account_page_class_init (EntsecAccountPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  entsec_app_ensure_resources ();

  object_class->dispose = entsec_account_page_dispose;

  /* A message for the window's toast overlay; a handler keeping it refs it. */
  signals[SIGNAL_TOAST] = g_signal_new ("toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                        0, NULL, NULL, NULL, G_TYPE_NONE, 1, ADW_TYPE_TOAST);
  /* The page has nothing more to show: go back to the list. */
  signals[SIGNAL_CLOSED] = g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                         0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (
    widget_class, "/org/entsec/EnterpriseSecurity/entsec-account-page.ui");
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountPage, header_bar);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountPage, back_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountPage, window_title);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountPage, stack);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountPage, issuer_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountPage, label_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountPage, group_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountPage, favourite_switch);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountPage, save_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountPage, passphrase_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountPage, show_qr_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountPage, qr_picture);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountPage, delete_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountPage, managed_label);
  gtk_widget_class_bind_template_child (widget_class, EntsecAccountPage, policy_label);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked);
  gtk_widget_class_bind_template_callback (widget_class, fields_changed);
  gtk_widget_class_bind_template_callback (widget_class, save_clicked);
  gtk_widget_class_bind_template_callback (widget_class, show_qr_clicked);
  gtk_widget_class_bind_template_callback (widget_class, delete_clicked);
  gtk_widget_class_bind_template_callback (widget_class, none_page_mapped);
}

static void
entsec_account_page_init (EntsecAccountPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_set_visible (GTK_WIDGET (self->passphrase_row), FALSE);
  entsec_a11y_name_peek_button (self->passphrase_row);
}
