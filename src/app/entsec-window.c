/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-window.c: open the vault, then setup, unlock or the codes */

#define G_LOG_DOMAIN "entsec-window"

#include "config.h"

#include <glib/gi18n.h>
#include <entsec/entsec.h>

#include "entsec-account-page.h"
#include "entsec-account-row.h"
#include "entsec-accounts-model.h"
#include "entsec-add-dialog.h"
#include "entsec-approval-dialog.h"
#include "entsec-approvals-bar.h"
#include "entsec-bench-probe.h"
#include "entsec-clipboard.h"
#include "entsec-enroll-assistant.h"
#include "entsec-device-page.h"
#include "entsec-enterprise-state.h"
#include "entsec-lock-monitor.h"
#include "entsec-passphrase-dialog.h"
#include "entsec-pin-dialog.h"
#include "entsec-setup-page.h"
#include "entsec-unlock-page.h"
#include "entsec-vault-opening.h"
#include "entsec-window.h"
#include "entsec-wipe-notice.h"

#define DEFAULT_CLIPBOARD_SECONDS 30
#define DEFAULT_LOCK_SECONDS 300

struct _EntsecWindow
{
  AdwApplicationWindow  parent_instance;

  AdwToastOverlay      *toast_overlay;
  GtkStack             *main_stack;
  GtkMenuButton        *menu_button;
  GMenuModel           *primary_menu;
  AdwStatusPage        *loading_page;
  /* Made when first shown (not owned: the stack holds them). */
  EntsecSetupPage      *setup_page;
  EntsecUnlockPage     *unlock_page;
  AdwLeaflet           *leaflet;
  GtkWidget            *codes_box;
  GtkStack             *details_stack;
  /* Made when first shown (not owned: the details stack holds them). */
  EntsecAccountPage    *account_page;
  guint                 account_page_idle;
  EntsecDevicePage     *device_page;
  GtkSearchBar         *search_bar;
  GtkRevealer          *offline_revealer;
  GtkLabel             *offline_label;
  GtkWidget            *offline_button;
  GtkEditable          *search_entry;
  GtkStack             *codes_stack;
  AdwStatusPage        *empty_page;
  AdwStatusPage        *no_results_page;
  /* A grid of one column: GTK 4.8's GtkListView keeps up to 200 rows alive
   * (bound, styled, measured, ticking), a GtkGridView 30 rows a column. */
  GtkGridView          *list_view;
  EntsecApprovalsBar   *approvals_bar;
  /* The application's: the worker polls with our vault while we have one. */
  EntsecApprovals      *approvals;

  /* Cancels every call still running when the window goes. */
  GCancellable         *cancellable;
  EntsecVault          *vault;
  GListModel           *accounts;
  /* What the list shows of @accounts: only the first rows in the window's
   * first frame (grow_list()), all of them from the next on. */
  GtkSliceListModel    *shown;
  guint                 grow_id;
  gint64                grow_after_frame;
  /* The leaflet's fold animation, held back until it has been laid out once
   * (leaflet_mapped). */
  guint                 fold_duration;
  guint                 fold_id;
  gint64                fold_after_frame;
  gulong                fold_map_handler;
  /* The rows bound to an account now (not owned): the ones that tick. */
  GPtrArray            *rows;
  guint                 tick_id;
  EntsecClipboardGuard *clipboard;
  EntsecLockMonitor    *lock_monitor;
  EntsecAddDialog      *add_dialog;
  /* The sign-in request to open again once unlocked (approving needs it). */
  char                 *approval_after_unlock;
  EntsecApprovalDialog *approval_dialog;
  /* Files and links opened before the codes were shown (GFile). */
  GPtrArray            *pending_files;
  /* The codes wait for the policy's first read (what it requires to unlock). */
  gboolean              codes_wait_for_policy;
};

G_DEFINE_FINAL_TYPE (EntsecWindow, entsec_window, ADW_TYPE_APPLICATION_WINDOW)

static void show_codes (EntsecWindow *self);

static gboolean
showing_codes (EntsecWindow *self)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "codes") == 0;
}

static void
actions_update (EntsecWindow *self)
{
  gboolean codes = showing_codes (self);
  gboolean can_add = codes && self->vault != NULL && !entsec_vault_is_read_only (self->vault);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.add-account", can_add);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.paste", can_add);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.search", codes);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.lock", codes);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-device",
                                 codes && self->vault != NULL
                                 && entsec_enterprise_state_is_enrolled (
                                   entsec_enterprise_state_get (self->vault)));
}

static void
toast (EntsecWindow *self,
       const char   *title)
{
  AdwToast *toast = adw_toast_new (title);

  adw_toast_set_timeout (toast, 3);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/* ---- The ticking rows ---------------------------------------------------- */

static gboolean tick (gpointer user_data);

/* The next tick just after the next full second, so countdowns turn together. */
static void
schedule_tick (EntsecWindow *self)
{
  gint64 ms_into_second = (g_get_real_time () / 1000) % 1000;

  self->tick_id = g_timeout_add ((guint) (1000 - ms_into_second + 5), tick, self);
}

static gboolean
tick (gpointer user_data)
{
  EntsecWindow *self = ENTSEC_WINDOW (user_data);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  for (guint i = 0; i < self->rows->len; i++)
    entsec_account_row_tick (g_ptr_array_index (self->rows, i), now);
  schedule_tick (self);
  return G_SOURCE_REMOVE;
}

static void
stop_ticking (EntsecWindow *self)
{
  g_clear_handle_id (&self->tick_id, g_source_remove);
}

static gboolean
hide_codes_setting (EntsecWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  GSettings *settings = NULL;

  if (ENTSEC_IS_APPLICATION (app))
    settings = entsec_application_get_settings (ENTSEC_APPLICATION (app));
  return settings != NULL && g_settings_get_boolean (settings, "hide-codes");
}

static void
hide_codes_changed (EntsecWindow *self)
{
  gboolean hide = hide_codes_setting (self);

  for (guint i = 0; i < self->rows->len; i++)
    entsec_account_row_set_hide_codes (g_ptr_array_index (self->rows, i), hide);
}

static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  user_data)
{
  gtk_list_item_set_child (item, entsec_account_row_new ());
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *item,
          gpointer                  user_data)
{
  EntsecWindow *self = ENTSEC_WINDOW (user_data);
  EntsecAccountRow *row = ENTSEC_ACCOUNT_ROW (gtk_list_item_get_child (item));

  entsec_account_row_bind (row, self->vault, gtk_list_item_get_item (item), self->cancellable);
  entsec_account_row_set_hide_codes (row, hide_codes_setting (self));
  g_ptr_array_add (self->rows, row);
}

static void
unbind_row (GtkSignalListItemFactory *factory,
            GtkListItem              *item,
            gpointer                  user_data)
{
  EntsecWindow *self = ENTSEC_WINDOW (user_data);
  EntsecAccountRow *row = ENTSEC_ACCOUNT_ROW (gtk_list_item_get_child (item));

  g_ptr_array_remove_fast (self->rows, row);
  entsec_account_row_unbind (row);
}

/* ---- Copying ----------------------------------------------------------------- */

static EntsecAccountRow *
find_row (EntsecWindow *self,
          gint64        id)
{
  for (guint i = 0; i < self->rows->len; i++)
    if (entsec_account_row_get_account_id (g_ptr_array_index (self->rows, i)) == id)
      return g_ptr_array_index (self->rows, i);
  return NULL;
}

static guint
clipboard_seconds (EntsecWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  const EntsecEnterprisePolicy *policy = entsec_enterprise_state_get_policy (
    entsec_enterprise_state_get (self->vault));

  /* An organization's policy fixes the delay (the preference shows it). */
  if (policy != NULL)
    return policy->clipboard_clear_after;

  if (!ENTSEC_IS_APPLICATION (app))
    return DEFAULT_CLIPBOARD_SECONDS;
  return entsec_application_get_uint_setting (ENTSEC_APPLICATION (app), "clipboard-clear-seconds",
                                              DEFAULT_CLIPBOARD_SECONDS);
}

static void
row_activated (EntsecWindow *self,
               guint         position)
{
  g_autoptr (EntsecAccountSummary) summary = g_list_model_get_item (self->accounts, position);
  EntsecAccountRow *row;
  const char *code;
  guint seconds = clipboard_seconds (self);
  g_autofree char *message = NULL;

  if (summary == NULL)
    return;
  row = find_row (self, entsec_account_summary_get_id (summary));
  /* With "hide codes until tapped", the first tap shows the code. */
  if (row != NULL && entsec_account_row_reveal (row))
    return;
  if (!entsec_enterprise_state_allows (entsec_enterprise_state_get (self->vault), "copy",
                                       &message))
    {
      toast (self, message);
      return;
    }
  code = row != NULL ? entsec_account_row_get_code (row) : NULL;
  if (code == NULL)
    {
      toast (self, _("No code to copy yet"));
      return;
    }
  entsec_clipboard_guard_copy (self->clipboard, code, seconds);
  if (seconds > 0)
    message = g_strdup_printf (g_dngettext (NULL, "Code copied; cleared from the clipboard in %u second",
                                            "Code copied; cleared from the clipboard in %u seconds",
                                            seconds),
                               seconds);
  toast (self, message != NULL ? message : _("Code copied"));
}

EntsecVault *
entsec_window_get_vault (EntsecWindow *self)
{
  g_return_val_if_fail (ENTSEC_IS_WINDOW (self), NULL);

  return self->vault;
}

void
entsec_window_clear_clipboard (EntsecWindow *self)
{
  g_return_if_fail (ENTSEC_IS_WINDOW (self));

  entsec_clipboard_guard_clear (self->clipboard);
}

/* ---- Search and the empty states ----------------------------------------- */

static void
update_codes_stack (EntsecWindow *self)
{
  const char *search = gtk_editable_get_text (self->search_entry);
  const char *page = "list";

  if (self->accounts != NULL && g_list_model_get_n_items (self->accounts) == 0)
    page = *search != '\0' ? "no-results" : "empty";
  /* Their icons only once shown: see entsec-window.ui. */
  if (g_str_equal (page, "empty"))
    adw_status_page_set_icon_name (self->empty_page, "org.entsec.EnterpriseSecurity-symbolic");
  else if (g_str_equal (page, "no-results"))
    adw_status_page_set_icon_name (self->no_results_page, "system-search-symbolic");
  gtk_stack_set_visible_child_name (self->codes_stack, page);
}

static void
search_changed (EntsecWindow *self)
{
  if (self->accounts == NULL)
    return;
  entsec_accounts_model_set_search (self->accounts, gtk_editable_get_text (self->search_entry));
  update_codes_stack (self);
}

/* Enter in the search copies the first account found. */
static void
search_activate (EntsecWindow *self)
{
  if (self->accounts != NULL && g_list_model_get_n_items (self->accounts) > 0)
    row_activated (self, 0);
}

/* ---- Pages ------------------------------------------------------------------- */

static void
show_page (EntsecWindow *self,
           const char   *name)
{
  /* A focused entry on the page that goes must see its focus leave first. */
  gtk_window_set_focus (GTK_WINDOW (self), NULL);
  /* Not from the loading page with the stack's crossfade: at the start that
   * would draw both pages, into offscreen textures, for its 200 ms, the codes
   * at first all but transparent. */
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "loading") == 0)
    gtk_stack_set_visible_child_full (self->main_stack, name, GTK_STACK_TRANSITION_TYPE_NONE);
  else
    gtk_stack_set_visible_child_name (self->main_stack, name);
  actions_update (self);
}

static void
show_error (EntsecWindow *self,
            const char   *title,
            const char   *message)
{
  adw_status_page_set_title (self->loading_page, title);
  adw_status_page_set_description (self->loading_page, message);
  adw_status_page_set_icon_name (self->loading_page, "dialog-error-symbolic");
  show_page (self, "loading");
}

static void
close_add_dialog (EntsecWindow *self)
{
  if (self->add_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->add_dialog));
}

static void account_page_toast (EntsecWindow *self,
                                AdwToast     *toast);
static void account_page_closed (EntsecWindow *self);

/* The account page, made the first time the details pane shows: an account
 * opened, or the leaflet unfolded into two panes. A narrow window's folded
 * leaflet builds, measures, maps and lays out its hidden pane as well, which
 * cost every start about 13 ms before its first frame. */
static EntsecAccountPage *
ensure_account_page (EntsecWindow *self)
{
  if (self->account_page == NULL)
    {
      self->account_page = g_object_new (ENTSEC_TYPE_ACCOUNT_PAGE, NULL);
      g_signal_connect_object (self->account_page, "toast", G_CALLBACK (account_page_toast), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->account_page, "closed", G_CALLBACK (account_page_closed),
                               self, G_CONNECT_SWAPPED);
      entsec_account_page_set_show_back (self->account_page,
                                         adw_leaflet_get_folded (self->leaflet));
      gtk_stack_add_named (self->details_stack, GTK_WIDGET (self->account_page), "account");
    }
  return self->account_page;
}

static void
show_account_page (EntsecWindow *self)
{
  ensure_account_page (self);
  gtk_stack_set_visible_child_name (self->details_stack, "account");
}

static void
hide_codes (EntsecWindow *self)
{
  stop_ticking (self);
  if (self->lock_monitor != NULL)
    entsec_lock_monitor_pause (self->lock_monitor);
  close_add_dialog (self);
  entsec_clipboard_guard_clear (self->clipboard);
  if (self->account_page != NULL)
    entsec_account_page_clear (self->account_page);
  if (self->device_page != NULL)
    entsec_device_page_clear (self->device_page);
  if (self->device_page != NULL
      && gtk_stack_get_visible_child (self->details_stack) == GTK_WIDGET (self->device_page))
    show_account_page (self);
  adw_leaflet_set_visible_child (self->leaflet, self->codes_box);
  gtk_grid_view_set_model (self->list_view, NULL);
  if (self->grow_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->list_view), self->grow_id);
  self->grow_id = 0;
  g_clear_object (&self->shown);
  g_clear_object (&self->accounts);
  gtk_search_bar_set_search_mode (self->search_bar, FALSE);
  gtk_editable_set_text (self->search_entry, "");
}

static void setup_created        (EntsecWindow *self,
                                  EntsecVault  *vault);
static void unlock_page_unlocked (EntsecWindow *self);

/* The setup and unlock pages, built the first time one is shown: a start
 * that goes straight to the codes never pays for them. */
static EntsecSetupPage *
ensure_setup_page (EntsecWindow *self)
{
  if (self->setup_page == NULL)
    {
      self->setup_page = g_object_new (ENTSEC_TYPE_SETUP_PAGE, NULL);
      g_signal_connect_object (self->setup_page, "created", G_CALLBACK (setup_created), self,
                               G_CONNECT_SWAPPED);
      gtk_stack_add_named (self->main_stack, GTK_WIDGET (self->setup_page), "setup");
    }
  return self->setup_page;
}

static EntsecUnlockPage *
ensure_unlock_page (EntsecWindow *self)
{
  if (self->unlock_page == NULL)
    {
      self->unlock_page = g_object_new (ENTSEC_TYPE_UNLOCK_PAGE, NULL);
      g_signal_connect_object (self->unlock_page, "unlocked", G_CALLBACK (unlock_page_unlocked),
                               self, G_CONNECT_SWAPPED);
      gtk_stack_add_named (self->main_stack, GTK_WIDGET (self->unlock_page), "unlock");
    }
  return self->unlock_page;
}

static void
show_unlock (EntsecWindow *self,
             const char   *reason)
{
  hide_codes (self);
  entsec_unlock_page_prepare (ensure_unlock_page (self), self->vault, reason, self->cancellable);
  show_page (self, "unlock");
}

static void
vault_locked_changed (EntsecWindow *self)
{
  /* The vault locks itself when another program changed its keys. */
  if (!entsec_vault_is_unlocked (self->vault) && showing_codes (self))
    show_unlock (self, _("Your codes were locked because the way to unlock them was changed."));
}

static EntsecApprovals *get_approvals (EntsecWindow *self);

static void
close_device_page (EntsecWindow *self)
{
  if (self->device_page != NULL)
    entsec_device_page_clear (self->device_page);
  show_account_page (self);
  adw_leaflet_set_visible_child (self->leaflet, self->codes_box);
}

/* The offline grace: a banner before the codes of the organization's
 * accounts are blocked, and while they are. */
static void
update_offline_banner (EntsecWindow          *self,
                       EntsecEnterpriseState *state)
{
  g_autofree char *text = entsec_enterprise_state_dup_offline_warning (
    state, g_get_real_time () / G_USEC_PER_SEC);

  if (text != NULL)
    gtk_label_set_label (self->offline_label, text);
  gtk_revealer_set_reveal_child (self->offline_revealer, text != NULL);
}

static void
offline_checked (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (EntsecWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *message = entsec_enterprise_check_now_finish (result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  gtk_widget_set_sensitive (self->offline_button, TRUE);
  toast (self, message != NULL ? message : error->message);
}

static void
offline_check_clicked (EntsecWindow *self)
{
  if (self->vault == NULL || !showing_codes (self))
    return;
  gtk_widget_set_sensitive (self->offline_button, FALSE);
  entsec_enterprise_check_now (self->vault, self->cancellable, offline_checked,
                               g_object_ref (self));
}

static void
required_passphrase_added (EntsecWindow *self,
                           const char   *message)
{
  show_codes (self);
  toast (self, message);
}

/* The policy demands a passphrase, or a PIN beside it, that the vault lacks
 * (enrolled by the assistant or the CLI without one): no codes until it is
 * added. Nor before the policy is first read: they would show for a moment. */
static gboolean
block_for_passphrase (EntsecWindow *self)
{
  const char *title = _("Opening Your Codes…");
  const char *description = NULL;
  const char *icon = NULL;

  if (self->vault == NULL)
    return FALSE;
  self->codes_wait_for_policy =
    !entsec_enterprise_state_is_loaded (entsec_enterprise_state_get (self->vault));
  if (self->codes_wait_for_policy)
    ;
  else if (entsec_passphrase_dialog_require (GTK_WINDOW (self), self->vault,
                                             G_CALLBACK (required_passphrase_added), self))
    {
      title = _("A Passphrase Is Required");
      description = _("Your organization’s policy requires a passphrase to unlock this app. "
                      "Add one to see your codes.");
      icon = "dialog-password-symbolic";
    }
  else if (entsec_pin_dialog_require (GTK_WINDOW (self), self->vault,
                                      G_CALLBACK (required_passphrase_added), self))
    {
      title = _("A PIN Is Required");
      description = _("Your organization’s policy requires a PIN to unlock this app. Set one "
                      "to see your codes.");
      icon = "dialog-password-symbolic";
    }
  else
    return FALSE;
  /* Before hiding them: a focused entry must see its focus leave first. */
  gtk_window_set_focus (GTK_WINDOW (self), NULL);
  hide_codes (self);
  adw_status_page_set_title (self->loading_page, title);
  adw_status_page_set_description (self->loading_page, description);
  adw_status_page_set_icon_name (self->loading_page, icon);
  show_page (self, "loading");
  return TRUE;
}

/* Enrolled, unbound, a new policy: the menu item and the banner follow; an
 * unbound device has no device page to show. */
static void
enterprise_state_changed (EntsecWindow *self)
{
  EntsecEnterpriseState *state = entsec_enterprise_state_get (self->vault);
  gboolean enrolled = entsec_enterprise_state_is_enrolled (state);
  gboolean showing = g_strcmp0 (gtk_stack_get_visible_child_name (self->details_stack),
                                "device") == 0;

  actions_update (self);
  update_offline_banner (self, state);
  if (showing && !enrolled)
    close_device_page (self);
  if (self->codes_wait_for_policy && entsec_vault_is_unlocked (self->vault)
      && g_strcmp0 (gtk_stack_get_visible_child_name (self->main_stack), "loading") == 0)
    show_codes (self);
  else if (showing_codes (self))
    block_for_passphrase (self);
}

static void
adopt_vault (EntsecWindow *self,
             EntsecVault  *vault)
{
  if (self->vault == vault)
    return;
  if (self->vault != NULL)
    g_signal_handlers_disconnect_by_data (self->vault, self);
  g_set_object (&self->vault, vault);
  g_signal_connect_object (vault, "notify::locked", G_CALLBACK (vault_locked_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (entsec_enterprise_state_get (vault), "changed",
                           G_CALLBACK (enterprise_state_changed), self, G_CONNECT_SWAPPED);
  if (get_approvals (self) != NULL)
    entsec_approvals_set_vault (get_approvals (self), vault);
}

static void open_dialog_with (EntsecWindow *self,
                              GFile       **files,
                              guint         n_files);

/* ---- The details pane ---------------------------------------------------- */

static EntsecAccountSummary *
find_summary (EntsecWindow *self,
              gint64        id)
{
  GListModel *all = entsec_vault_get_accounts_model (self->vault);
  guint n = g_list_model_get_n_items (all);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (EntsecAccountSummary) summary = g_list_model_get_item (all, i);

      if (entsec_account_summary_get_id (summary) == id)
        return g_steal_pointer (&summary);
    }
  return NULL;
}

/* The account shown in the details changed, maybe in another program. */
static void
accounts_changed (EntsecWindow *self)
{
  gint64 id = self->account_page != NULL
                ? entsec_account_page_get_account_id (self->account_page) : 0;
  g_autoptr (EntsecAccountSummary) summary = NULL;

  if (id == 0)
    return;
  summary = find_summary (self, id);
  if (summary != NULL)
    {
      entsec_account_page_refresh (self->account_page, summary);
      return;
    }
  entsec_account_page_clear (self->account_page);
  adw_leaflet_set_visible_child (self->leaflet, self->codes_box);
}

static void
account_page_toast (EntsecWindow *self,
                    AdwToast     *toast)
{
  adw_toast_overlay_add_toast (self->toast_overlay, g_object_ref (toast));
}

static void
account_page_closed (EntsecWindow *self)
{
  entsec_account_page_hide_qr (self->account_page);
  adw_leaflet_set_visible_child (self->leaflet, self->codes_box);
  gtk_widget_grab_focus (GTK_WIDGET (self->list_view));
}

static void
device_page_closed (EntsecWindow *self)
{
  close_device_page (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->list_view));
}

static gboolean
account_page_idle (gpointer user_data)
{
  EntsecWindow *self = user_data;

  self->account_page_idle = 0;
  if (!adw_leaflet_get_folded (self->leaflet)
      && gtk_stack_get_visible_child (self->details_stack) == NULL)
    show_account_page (self);
  return G_SOURCE_REMOVE;
}

/* An unfolded leaflet shows the details pane: the account page (its "no
 * account" state at first) unless the device page is there. */
static void
account_page_if_unfolded (EntsecWindow *self)
{
  if (!adw_leaflet_get_folded (self->leaflet) && self->account_page == NULL
      && self->account_page_idle == 0)
    self->account_page_idle = g_idle_add (account_page_idle, self);
}

/* For a tick callback that waits for a frame to be laid out: FALSE until the
 * frame after the one of its first tick, which *@first_frame records (-1
 * before it). */
static gboolean
next_frame_came (gint64        *first_frame,
                 GdkFrameClock *clock)
{
  gint64 frame = gdk_frame_clock_get_frame_counter (clock);

  if (*first_frame < 0)
    {
      *first_frame = frame;
      return FALSE;
    }
  return frame > *first_frame;
}

/* The leaflet folds or not at its first layout, with no animation: the
 * fold's animation is for a window being resized, and at its first layout
 * it would redraw the whole window for a quarter of a second (13 frames
 * with a software GL; bench/README.md, App). The duration comes back once
 * the leaflet has been laid out, the frame after the one it was mapped in. */
static gboolean
leaflet_laid_out (GtkWidget     *leaflet,
                  GdkFrameClock *clock,
                  gpointer       user_data)
{
  EntsecWindow *self = user_data;

  if (!next_frame_came (&self->fold_after_frame, clock))
    return G_SOURCE_CONTINUE;
  self->fold_id = 0;
  adw_leaflet_set_mode_transition_duration (self->leaflet, self->fold_duration);
  g_clear_signal_handler (&self->fold_map_handler, self->leaflet);
  return G_SOURCE_REMOVE;
}

static void
leaflet_mapped (EntsecWindow *self)
{
  if (self->fold_id != 0)
    return;
  self->fold_after_frame = -1;
  self->fold_id = gtk_widget_add_tick_callback (GTK_WIDGET (self->leaflet), leaflet_laid_out,
                                                self, NULL);
}

static void
leaflet_folded_changed (EntsecWindow *self)
{
  /* Notified while the template is built, before the leaflet is bound. */
  if (self->leaflet == NULL)
    return;
  if (self->account_page != NULL)
    entsec_account_page_set_show_back (self->account_page, adw_leaflet_get_folded (self->leaflet));
  if (self->device_page != NULL)
    entsec_device_page_set_show_back (self->device_page, adw_leaflet_get_folded (self->leaflet));
  /* Notified while the leaflet is allocated: the page is shown after that. */
  if (gtk_widget_get_mapped (GTK_WIDGET (self)))
    account_page_if_unfolded (self);
}

/* Leaving the details on a phone hides the QR code. */
static void
leaflet_child_changed (EntsecWindow *self)
{
  if (self->account_page != NULL && adw_leaflet_get_folded (self->leaflet)
      && adw_leaflet_get_visible_child (self->leaflet) == self->codes_box)
    entsec_account_page_hide_qr (self->account_page);
}

static void
show_account_activated (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  EntsecWindow *self = ENTSEC_WINDOW (widget);
  g_autoptr (EntsecAccountSummary) summary = NULL;

  if (!showing_codes (self))
    return;
  summary = find_summary (self, g_variant_get_int64 (parameter));
  if (summary == NULL)
    return;
  entsec_account_page_show_account (ensure_account_page (self), self->vault, summary,
                                    self->cancellable);
  if (self->device_page != NULL)
    entsec_device_page_clear (self->device_page);
  show_account_page (self);
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->details_stack));
}

/* The device page, built the first time it is shown: most starts never show it. */
static EntsecDevicePage *
ensure_device_page (EntsecWindow *self)
{
  if (self->device_page == NULL)
    {
      self->device_page = g_object_new (ENTSEC_TYPE_DEVICE_PAGE, NULL);
      g_signal_connect_object (self->device_page, "toast", G_CALLBACK (account_page_toast), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->device_page, "closed", G_CALLBACK (device_page_closed), self,
                               G_CONNECT_SWAPPED);
      entsec_device_page_set_show_back (self->device_page, adw_leaflet_get_folded (self->leaflet));
      gtk_stack_add_named (self->details_stack, GTK_WIDGET (self->device_page), "device");
    }
  return self->device_page;
}

static void
show_device_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  EntsecWindow *self = ENTSEC_WINDOW (widget);

  if (!showing_codes (self))
    return;
  if (self->account_page != NULL)
    entsec_account_page_clear (self->account_page);
  entsec_device_page_show (ensure_device_page (self), self->vault, self->cancellable);
  gtk_stack_set_visible_child_name (self->details_stack, "device");
  adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->details_stack));
}

static void
favourite_updated (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (EntsecWindow) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!entsec_vault_update_account_finish (ENTSEC_VAULT (source), result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    toast (self, error->message);
}

static void
account_fetched_for_favourite (GObject      *source,
                               GAsyncResult *result,
                               gpointer      user_data)
{
  g_autoptr (EntsecWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  EntsecAccount *account = entsec_vault_get_account_finish (ENTSEC_VAULT (source), result, &error);

  if (account == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast (self, error->message);
      return;
    }
  account->favourite = !account->favourite;
  entsec_vault_update_account_async (ENTSEC_VAULT (source), account, self->cancellable,
                                     favourite_updated, g_object_ref (self));
  entsec_account_free (account);
}

static void
toggle_favourite_activated (GtkWidget  *widget,
                            const char *action_name,
                            GVariant   *parameter)
{
  EntsecWindow *self = ENTSEC_WINDOW (widget);

  if (!showing_codes (self) || entsec_vault_is_read_only (self->vault))
    return;
  entsec_vault_get_account_async (self->vault, g_variant_get_int64 (parameter), self->cancellable,
                                  account_fetched_for_favourite, g_object_ref (self));
}

/* The smallest a row can be, and the number of rows a frame of @height
 * pixels can show at most. */
#define ROW_MIN_HEIGHT 56

static guint
rows_for_height (int height)
{
  return (guint) MAX (height, 1) / ROW_MIN_HEIGHT + 2;
}

/* The list grows to every account in the frame after the first one drawn
 * with the codes: the list views make and bind a row for each of up to 33
 * items, whatever fits, and in the first frame that work delays the codes. */
static gboolean
grow_list (GtkWidget     *widget,
           GdkFrameClock *clock,
           gpointer       user_data)
{
  EntsecWindow *self = user_data;

  if (!next_frame_came (&self->grow_after_frame, clock))
    return G_SOURCE_CONTINUE;
  self->grow_id = 0;
  gtk_slice_list_model_set_size (self->shown, G_MAXUINT);
  /* Laid out once: a leaflet that did not fold was never notified. */
  account_page_if_unfolded (self);
  return G_SOURCE_REMOVE;
}

static void
show_codes (EntsecWindow *self)
{
  GtkSelectionModel *selection;
  guint first_rows = G_MAXUINT;

  if (block_for_passphrase (self))
    return;
  self->accounts = entsec_accounts_model_new (entsec_vault_get_accounts_model (self->vault));
  g_signal_connect_object (self->accounts, "items-changed", G_CALLBACK (update_codes_stack), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (entsec_vault_get_accounts_model (self->vault), "items-changed",
                           G_CALLBACK (accounts_changed), self, G_CONNECT_SWAPPED);
  /* Not drawn yet (a start): its first frame needs no more rows than fit. */
  if (!gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      int width = 0, height = 0;

      /* GTK 4.8 needs both pointers. */
      gtk_window_get_default_size (GTK_WINDOW (self), &width, &height);
      first_rows = rows_for_height (height > 0 ? height : 1080);
    }
  self->shown = gtk_slice_list_model_new (g_object_ref (self->accounts), 0, first_rows);
  selection = GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->shown))));
  gtk_grid_view_set_model (self->list_view, selection);
  g_object_unref (selection);
  if (first_rows != G_MAXUINT)
    {
      self->grow_after_frame = -1;
      self->grow_id = gtk_widget_add_tick_callback (GTK_WIDGET (self->list_view), grow_list, self,
                                                    NULL);
    }
  else
    account_page_if_unfolded (self);
  update_codes_stack (self);
  show_page (self, "codes");
  gtk_widget_grab_focus (GTK_WIDGET (self->list_view));
  stop_ticking (self);
  schedule_tick (self);
  entsec_lock_monitor_start (self->lock_monitor, self->cancellable);
  entsec_enroll_window_ready (GTK_WINDOW (self), self->vault);
  entsec_wipe_notice_after_unlock (GTK_WINDOW (self), self->vault, self->cancellable);
  if (self->approval_after_unlock != NULL)
    {
      g_autofree char *id = g_steal_pointer (&self->approval_after_unlock);

      entsec_window_show_approval (self, id);
    }
  if (self->pending_files->len > 0)
    {
      g_autoptr (GPtrArray) files = g_steal_pointer (&self->pending_files);

      self->pending_files = g_ptr_array_new_with_free_func (g_object_unref);
      open_dialog_with (self, (GFile **) files->pdata, files->len);
    }
}

static void
setup_created (EntsecWindow *self,
               EntsecVault  *vault)
{
  adopt_vault (self, vault);
  show_codes (self);
}

static void
unlock_page_unlocked (EntsecWindow *self)
{
  show_codes (self);
}

/* Where the opened vault leads: the first run, an error, the unlock page or the codes. */
static void
vault_ready (EntsecWindow      *self,
             EntsecVaultOpened *opened)
{
  g_autofree char *path = NULL;

  entsec_bench_mark ("vault-ready");
  if (g_error_matches (opened->error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NOT_FOUND))
    {
      path = entsec_vault_default_path (NULL);
      entsec_setup_page_prepare (ensure_setup_page (self), path, self->cancellable);
      show_page (self, "setup");
      return;
    }
  if (opened->vault == NULL)
    {
      show_error (self, _("Your Codes Cannot Be Opened"), opened->error->message);
      return;
    }
  /* Read in the worker, so the policy is known before the codes show. When
   * that read failed, the state reads again (and says why) as it is made. */
  if (opened->enterprise != NULL)
    entsec_enterprise_state_get_read (opened->vault, g_steal_pointer (&opened->enterprise));
  adopt_vault (self, opened->vault);
  /* The keyring opens the vault at the start of a session only; after a
   * lock the unlock page asks again. "Always ask" leaves the keyring out
   * when there is a passphrase to ask for (the opening's choice). */
  if (entsec_vault_is_unlocked (opened->vault))
    show_codes (self);
  else
    show_unlock (self, opened->keyring_error != NULL ? opened->keyring_error->message : NULL);
}

static void
vault_waited (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (EntsecWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecVaultOpened) opened = entsec_vault_opening_wait_finish (
    ENTSEC_VAULT_OPENING (source), result, &error);

  if (opened != NULL)
    vault_ready (self, opened);
}

static gboolean
always_ask_passphrase (EntsecWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  GSettings *settings = NULL;

  if (ENTSEC_IS_APPLICATION (app))
    settings = entsec_application_get_settings (ENTSEC_APPLICATION (app));
  return settings != NULL && g_settings_get_boolean (settings, "always-ask-passphrase");
}

/* @opening (nullable, transfer full): one started before the window was made. */
static void
open_vault_with (EntsecWindow       *self,
                 EntsecVaultOpening *opening)
{
  g_autoptr (EntsecVaultOpened) opened = NULL;

  if (opening == NULL)
    {
      g_autofree char *path = entsec_vault_default_path (NULL);

      opening = entsec_vault_opening_new (path, always_ask_passphrase (self));
    }
  opened = entsec_vault_opening_take (opening);
  if (opened != NULL)
    vault_ready (self, opened);
  else
    {
      show_page (self, "loading");
      entsec_vault_opening_wait_async (opening, self->cancellable, vault_waited,
                                       g_object_ref (self));
    }
  g_object_unref (opening);
}

void
entsec_window_close_vault (EntsecWindow *self,
                           const char   *status)
{
  g_return_if_fail (ENTSEC_IS_WINDOW (self));

  hide_codes (self);
  if (self->approval_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->approval_dialog));
  if (self->vault != NULL)
    g_signal_handlers_disconnect_by_data (entsec_enterprise_state_get (self->vault), self);
  if (self->vault != NULL)
    g_signal_handlers_disconnect_by_data (self->vault, self);
  g_clear_object (&self->vault);
  adw_status_page_set_title (self->loading_page, status);
  adw_status_page_set_description (self->loading_page, NULL);
  adw_status_page_set_icon_name (self->loading_page, NULL);
  show_page (self, "loading");
}

void
entsec_window_reopen_vault (EntsecWindow *self,
                            const char   *message)
{
  g_return_if_fail (ENTSEC_IS_WINDOW (self));

  if (self->vault != NULL)
    entsec_window_close_vault (self, "");
  open_vault_with (self, NULL);
  if (message != NULL)
    toast (self, message);
}

/* ---- Actions ----------------------------------------------------------------- */

static void
vault_lock_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  EntsecWindow *self = user_data;

  /* Nothing to report: the unlock page is up already, the keys are gone. */
  entsec_vault_lock_finish (ENTSEC_VAULT (source), result, NULL);
  g_object_unref (self);
}

/* Ctrl+L, idle, suspend, the screensaver: hides the codes, takes our code
 * back from the clipboard (hide_codes) and wipes the keys. */
static void
lock_codes (EntsecWindow *self)
{
  if (!showing_codes (self))
    return;
  show_unlock (self, NULL);
  /* Wipes the keys and every decrypted value; the page waits for "locked". */
  entsec_vault_lock_async (self->vault, NULL, vault_lock_done, g_object_ref (self));
}

/* ---- Sign-in requests and the organization's commands ---------------------- */

static EntsecApprovals *
get_approvals (EntsecWindow *self)
{
  return self->approvals;
}

static void
approval_finished (EntsecWindow *self,
                   const char   *message)
{
  toast (self, message);
}

static void
approval_unlock_requested (EntsecWindow *self,
                           const char   *challenge_id)
{
  g_free (self->approval_after_unlock);
  self->approval_after_unlock = g_strdup (challenge_id);
  if (showing_codes (self))
    lock_codes (self);
  toast (self, _("Unlock to approve the sign-in"));
}

void
entsec_window_show_approval (EntsecWindow *self,
                             const char   *challenge_id)
{
  EntsecApprovals *approvals;
  EntsecVault *vault;

  g_return_if_fail (ENTSEC_IS_WINDOW (self));
  g_return_if_fail (challenge_id != NULL);

  approvals = get_approvals (self);
  if (approvals == NULL || entsec_approvals_lookup (approvals, challenge_id) == NULL)
    {
      toast (self, _("This sign-in request is no longer waiting"));
      return;
    }
  if (self->approval_dialog != NULL)
    {
      if (g_str_equal (entsec_approval_dialog_get_challenge_id (self->approval_dialog),
                       challenge_id))
        {
          gtk_window_present (GTK_WINDOW (self->approval_dialog));
          return;
        }
      gtk_window_destroy (GTK_WINDOW (self->approval_dialog));
    }
  /* Approving signs with the window's vault, once the person unlocked it. */
  vault = self->vault != NULL && showing_codes (self) ? self->vault : NULL;
  self->approval_dialog = entsec_approval_dialog_new (GTK_WINDOW (self), approvals, vault,
                                                      challenge_id);
  g_object_add_weak_pointer (G_OBJECT (self->approval_dialog),
                             (gpointer *) &self->approval_dialog);
  g_signal_connect_object (self->approval_dialog, "finished", G_CALLBACK (approval_finished),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->approval_dialog, "unlock-requested",
                           G_CALLBACK (approval_unlock_requested), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (self->approval_dialog));
}

void
entsec_window_command_carried_out (EntsecWindow *self,
                                   const char   *command)
{
  g_return_if_fail (ENTSEC_IS_WINDOW (self));
  g_return_if_fail (command != NULL);

  if (g_str_equal (command, "wipe"))
    {
      entsec_wipe_notice_show_now (GTK_WINDOW (self), self->vault);
      return;
    }
  if (!g_str_equal (command, "lock"))
    return;
  if (self->approval_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->approval_dialog));
  if (showing_codes (self) || (self->unlock_page != NULL
                               && gtk_stack_get_visible_child (self->main_stack)
                                    == GTK_WIDGET (self->unlock_page)))
    show_unlock (self, _("Your organization locked this app. Unlock it to go on."));
  if (entsec_vault_is_unlocked (self->vault))
    entsec_vault_lock_async (self->vault, NULL, vault_lock_done, g_object_ref (self));
  toast (self, _("Your organization locked this app"));
}

static void
lock_activated (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  lock_codes (ENTSEC_WINDOW (widget));
}

/* Any input to the window counts as use; the event goes on unchanged. */
static gboolean
input_seen (GtkEventControllerLegacy *controller,
            GdkEvent                 *event,
            EntsecWindow             *self)
{
  entsec_lock_monitor_note_activity (self->lock_monitor);
  return GDK_EVENT_PROPAGATE;
}

static void
watch_input (EntsecWindow *self)
{
  GtkEventController *controller = gtk_event_controller_legacy_new ();

  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect (controller, "event", G_CALLBACK (input_seen), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
  self->lock_monitor = entsec_lock_monitor_new ();
  entsec_lock_monitor_set_timeout (self->lock_monitor, DEFAULT_LOCK_SECONDS);
  g_signal_connect_object (self->lock_monitor, "lock-requested", G_CALLBACK (lock_codes), self,
                           G_CONNECT_SWAPPED);
}

static void
search_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  EntsecWindow *self = ENTSEC_WINDOW (widget);
  gboolean on = !gtk_search_bar_get_search_mode (self->search_bar);

  gtk_search_bar_set_search_mode (self->search_bar, on);
  if (on)
    gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
accounts_added (EntsecWindow *self,
                guint         count)
{
  g_autofree char *message = g_strdup_printf (g_dngettext (NULL, "%u account added",
                                                           "%u accounts added", count),
                                              count);

  toast (self, message);
}

/* The add dialog, made if needed but not shown. */
static EntsecAddDialog *
get_add_dialog (EntsecWindow *self)
{
  if (self->add_dialog == NULL)
    {
      self->add_dialog = entsec_add_dialog_new (GTK_WINDOW (self), self->vault);
      g_object_add_weak_pointer (G_OBJECT (self->add_dialog), (gpointer *) &self->add_dialog);
      g_signal_connect_object (self->add_dialog, "accounts-added", G_CALLBACK (accounts_added),
                               self, G_CONNECT_SWAPPED);
    }
  return self->add_dialog;
}

static EntsecAddDialog *
ensure_add_dialog (EntsecWindow *self)
{
  EntsecAddDialog *dialog = get_add_dialog (self);

  gtk_window_present (GTK_WINDOW (dialog));
  return dialog;
}

static void
add_account_activated (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  ensure_add_dialog (ENTSEC_WINDOW (widget));
}

static gboolean
is_link (GFile *file)
{
  return g_file_has_uri_scheme (file, "otpauth") || g_file_has_uri_scheme (file, "otpauth-migration");
}

static void
open_dialog_with (EntsecWindow *self,
                  GFile       **files,
                  guint         n_files)
{
  gboolean made = self->add_dialog == NULL;
  /* A new dialog stays hidden unless something needs the person: the
   * toast says what was added. */
  EntsecAddDialog *dialog = get_add_dialog (self);
  g_autoptr (GPtrArray) pictures = g_ptr_array_new ();
  g_autoptr (GPtrArray) links = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_secure_strfree);

  for (guint i = 0; i < n_files; i++)
    {
      if (is_link (files[i]))
        g_ptr_array_add (links, g_file_get_uri (files[i]));
      else
        g_ptr_array_add (pictures, files[i]);
    }
  if (made)
    entsec_add_dialog_set_quiet (dialog, TRUE);
  else if (gtk_widget_get_visible (GTK_WIDGET (dialog)))
    gtk_window_present (GTK_WINDOW (dialog));
  /* All the export links of one Open in one list to choose from, not a window each. */
  entsec_add_dialog_add_links (dialog, (const char *const *) links->pdata, links->len);
  entsec_add_dialog_add_files (dialog, (GFile **) pictures->pdata, pictures->len);
}

void
entsec_window_open_files (EntsecWindow *self,
                          GFile       **files,
                          guint         n_files)
{
  g_return_if_fail (ENTSEC_IS_WINDOW (self));

  if (showing_codes (self) && !entsec_vault_is_read_only (self->vault))
    {
      open_dialog_with (self, files, n_files);
      return;
    }
  for (guint i = 0; i < n_files; i++)
    g_ptr_array_add (self->pending_files, g_object_ref (files[i]));
  toast (self, _("Unlock your codes to add the accounts"));
}

/* Ctrl+V on the codes page: a copied picture or link goes to the add dialog. */
static void
paste_activated (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  entsec_add_dialog_paste (ensure_add_dialog (ENTSEC_WINDOW (widget)),
                           gtk_widget_get_clipboard (widget));
}

/* Picture files and links dropped on the window, as if opened; a picture
 * or a link dragged from another app, into the add dialog. */
static gboolean
window_drop (EntsecWindow *self,
             const GValue *value)
{
  g_autoptr (GPtrArray) files = g_ptr_array_new ();

  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      for (GSList *l = g_value_get_boxed (value); l != NULL; l = l->next)
        g_ptr_array_add (files, l->data);
      entsec_window_open_files (self, (GFile **) files->pdata, files->len);
      return TRUE;
    }
  if (!gtk_widget_is_sensitive (GTK_WIDGET (self)) || !showing_codes (self)
      || entsec_vault_is_read_only (self->vault))
    {
      toast (self, _("Unlock your codes to add the accounts"));
      return FALSE;
    }
  return entsec_add_dialog_add_value (ensure_add_dialog (self), value);
}

static void
setup_drop (EntsecWindow *self)
{
  GtkDropTarget *target = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  GType types[] = { GDK_TYPE_FILE_LIST, GDK_TYPE_TEXTURE, G_TYPE_STRING };

  gtk_drop_target_set_gtypes (target, types, G_N_ELEMENTS (types));
  g_signal_connect_object (target, "drop", G_CALLBACK (window_drop), self, G_CONNECT_SWAPPED);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));
}

/* ---- Life cycle -------------------------------------------------------------- */

static void
entsec_window_dispose (GObject *object)
{
  EntsecWindow *self = ENTSEC_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  stop_ticking (self);
  g_clear_handle_id (&self->account_page_idle, g_source_remove);
  if (self->clipboard != NULL)
    entsec_clipboard_guard_clear (self->clipboard);
  close_add_dialog (self);
  if (self->approval_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->approval_dialog));
  if (self->list_view != NULL)
    gtk_grid_view_set_model (self->list_view, NULL);
  if (self->list_view != NULL && self->grow_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->list_view), self->grow_id);
  self->grow_id = 0;
  if (self->leaflet != NULL && self->fold_id != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self->leaflet), self->fold_id);
  self->fold_id = 0;
  g_clear_object (&self->shown);
  g_clear_object (&self->accounts);
  g_clear_object (&self->clipboard);
  g_clear_object (&self->lock_monitor);
  /* The controller goes back to its own handle, locked: ours wipes its keys as it goes. */
  if (self->vault != NULL && get_approvals (self) != NULL)
    entsec_approvals_set_vault (get_approvals (self), NULL);
  g_clear_object (&self->vault);
  g_clear_object (&self->approvals);
  g_clear_pointer (&self->pending_files, g_ptr_array_unref);
  /* The stack disposes of them with the template. */
  self->account_page = NULL;
  self->device_page = NULL;
  gtk_widget_dispose_template (GTK_WIDGET (self), ENTSEC_TYPE_WINDOW);

  G_OBJECT_CLASS (entsec_window_parent_class)->dispose (object);
}

static void
entsec_window_finalize (GObject *object)
{
  EntsecWindow *self = ENTSEC_WINDOW (object);

  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_object (&self->cancellable);
  g_free (self->approval_after_unlock);

  G_OBJECT_CLASS (entsec_window_parent_class)->finalize (object);
}

static void
entsec_window_class_init (EntsecWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  entsec_app_ensure_resources ();
  g_type_ensure (ENTSEC_TYPE_ACCOUNT_PAGE);
  g_type_ensure (ENTSEC_TYPE_DEVICE_PAGE);
  g_type_ensure (ENTSEC_TYPE_APPROVALS_BAR);

  object_class->dispose = entsec_window_dispose;
  object_class->finalize = entsec_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/entsec/EnterpriseSecurity/entsec-window.ui");
  gtk_widget_class_bind_template_child (widget_class, EntsecWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, EntsecWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, EntsecWindow, menu_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecWindow, primary_menu);
  gtk_widget_class_bind_template_child (widget_class, EntsecWindow, loading_page);
  gtk_widget_class_bind_template_child (widget_class, EntsecWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, EntsecWindow, codes_box);
  gtk_widget_class_bind_template_child (widget_class, EntsecWindow, details_stack);
  gtk_widget_class_bind_template_child (widget_class, EntsecWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, EntsecWindow, offline_revealer);
  gtk_widget_class_bind_template_child (widget_class, EntsecWindow, offline_label);
  gtk_widget_class_bind_template_child (widget_class, EntsecWindow, offline_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, EntsecWindow, codes_stack);
  gtk_widget_class_bind_template_child (widget_class, EntsecWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, EntsecWindow, no_results_page);
  gtk_widget_class_bind_template_child (widget_class, EntsecWindow, list_view);
  gtk_widget_class_bind_template_child (widget_class, EntsecWindow, approvals_bar);
  gtk_widget_class_bind_template_callback (widget_class, search_changed);
  gtk_widget_class_bind_template_callback (widget_class, search_activate);
  gtk_widget_class_bind_template_callback (widget_class, row_activated);
  gtk_widget_class_bind_template_callback (widget_class, offline_check_clicked);
  gtk_widget_class_bind_template_callback (widget_class, leaflet_folded_changed);
  gtk_widget_class_bind_template_callback (widget_class, leaflet_child_changed);

  gtk_widget_class_install_action (widget_class, "win.add-account", NULL, add_account_activated);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_activated);
  gtk_widget_class_install_action (widget_class, "win.paste", NULL, paste_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_v, GDK_CONTROL_MASK, "win.paste", NULL);
  gtk_widget_class_install_action (widget_class, "win.lock", NULL, lock_activated);
  gtk_widget_class_install_action (widget_class, "win.show-account", "x", show_account_activated);
  gtk_widget_class_install_action (widget_class, "win.show-device", NULL, show_device_activated);
  gtk_widget_class_install_action (widget_class, "win.toggle-favourite", "x",
                                   toggle_favourite_activated);
}

/* The main menu's popover is made when the menu is first opened (a click or
 * F10), not with the window: it is a dozen widgets no start needs. */
static void
open_primary_menu (GtkMenuButton *button,
                   gpointer       user_data)
{
  EntsecWindow *self = user_data;

  gtk_menu_button_set_menu_model (button, self->primary_menu);
}

static void
setup_list (EntsecWindow *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row), self);
  gtk_grid_view_set_factory (self->list_view, factory);
  g_object_unref (factory);
}

static void
entsec_window_init (EntsecWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  entsec_bench_mark ("window-template");

  self->cancellable = g_cancellable_new ();
  self->rows = g_ptr_array_new ();
  self->pending_files = g_ptr_array_new_with_free_func (g_object_unref);
  self->clipboard = entsec_clipboard_guard_new (gtk_widget_get_clipboard (GTK_WIDGET (self)));
  watch_input (self);
  setup_list (self);
  setup_drop (self);
  gtk_menu_button_set_create_popup_func (self->menu_button, open_primary_menu, self, NULL);
  gtk_search_bar_set_key_capture_widget (self->search_bar, self->codes_box);
  self->fold_duration = adw_leaflet_get_mode_transition_duration (self->leaflet);
  adw_leaflet_set_mode_transition_duration (self->leaflet, 0);
  self->fold_map_handler = g_signal_connect_swapped (self->leaflet, "map",
                                                    G_CALLBACK (leaflet_mapped), self);
  leaflet_folded_changed (self);
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.add-account", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.search", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.paste", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.lock", FALSE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-device", FALSE);
  entsec_bench_probe_attach (GTK_WINDOW (self), GTK_WIDGET (self->list_view));
}

EntsecWindow *
entsec_window_new (EntsecApplication *app)
{
  return entsec_window_new_opened (app,
                                   app != NULL ? entsec_application_take_vault_opening (app) : NULL);
}

EntsecWindow *
entsec_window_new_opened (EntsecApplication  *app,
                          EntsecVaultOpening *opening)
{
  EntsecWindow *self = g_object_new (ENTSEC_TYPE_WINDOW, "application", app, NULL);
  GSettings *settings = app != NULL ? entsec_application_get_settings (app) : NULL;

  if (app != NULL && entsec_application_get_approvals (app) != NULL)
    {
      self->approvals = g_object_ref (entsec_application_get_approvals (app));
      entsec_approvals_bar_set_approvals (self->approvals_bar, self->approvals);
    }
  if (settings != NULL)
    {
      g_signal_connect_object (settings, "changed::hide-codes", G_CALLBACK (hide_codes_changed),
                               self, G_CONNECT_SWAPPED);
      g_settings_bind (settings, "lock-timeout", self->lock_monitor, "timeout",
                       G_SETTINGS_BIND_GET);
    }
  open_vault_with (self, opening);
  return self;
}
