/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-app-device.c: the device page, the "Managed by" badge and the policy
 * where it bites, on a vault enrolled with the real entsec-server over TLS.
 * test-app-device.py enrolls the vault, provisions a token, sets the policy
 * and runs this program once per phase (ENTSEC_TEST_PHASE):
 *   "allowed":   export allowed; the managed row's code is written to
 *                ENTSEC_TEST_CODE_FILE for the server to validate;
 *   "forbidden": export, typing in accounts and QR codes forbidden; then the
 *                device is unbound from the page;
 *   "passphrase": a second vault, enrolled at the default path with a policy
 *                that demands a passphrase of ENTSEC_TEST_MIN_LENGTH characters,
 *                left with the keyring alone: the real window hides the codes
 *                until one is added, the preferences refuse to remove it; then
 *                all local data is deleted from the device page (the server
 *                is told: test-app-device.py checks the device is unbound);
 *   "pin":       the same under a policy that demands a PIN of
 *                ENTSEC_TEST_MIN_LENGTH digits: the window hides the codes
 *                until a passphrase is added and then a PIN set, the
 *                preferences refuse to remove the PIN.
 * In both of the last two the codes page is never shown before the vault
 * has what the policy requires, not even for a moment.
 * ENTSEC_TEST_VAULT, ENTSEC_TEST_PASSPHRASE, ENTSEC_TEST_DEVICE_ID,
 * ENTSEC_TEST_TENANT and ENTSEC_TEST_USER describe the enrollment.
 */

#include "config.h"

#include <adwaita.h>
#include <entsec/entsec.h>

#include "entsec-account-page.h"
#include "entsec-account-row.h"
#include "entsec-add-dialog.h"
#include "entsec-application.h"
#include "entsec-backup-group.h"
#include "entsec-device-page.h"
#include "entsec-enterprise-state.h"
#include "entsec-passphrase-dialog.h"
#include "entsec-pin-dialog.h"
#include "entsec-preferences-window.h"
#include "entsec-window.h"

/* Another account than test-app-device.py's personal one. */
#define PERSONAL_LINK "otpauth://totp/Other:me?secret=GEZDGNBVGY3TQOJQ&issuer=Other"

static EntsecVault *vault;

static const char *
env (const char *name)
{
  const char *value = g_getenv (name);

  g_assert_nonnull (value);
  return value;
}

static gboolean
phase_is (const char *phase)
{
  return g_str_equal (env ("ENTSEC_TEST_PHASE"), phase);
}

static void
open_vault (void)
{
  g_autoptr (GError) error = NULL;
  const char *passphrase = env ("ENTSEC_TEST_PASSPHRASE");

  vault = entsec_vault_open_sync (env ("ENTSEC_TEST_VAULT"), NULL, &error);
  g_assert_no_error (error);
  g_assert_true (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase),
                                                      NULL, &error));
  g_assert_no_error (error);
}

/* The enterprise state once a read of the vault has ended. */
static EntsecEnterpriseState *
loaded_state (void)
{
  EntsecEnterpriseState *state = entsec_enterprise_state_get (vault);

  while (!entsec_enterprise_state_is_loaded (state))
    g_main_context_iteration (NULL, TRUE);
  return state;
}

static gboolean
await_flag (gpointer flag)
{
  return *(gboolean *) flag;
}

static void
set_flag (gboolean *flag)
{
  *flag = TRUE;
}

static void
spin_until (GSourceFunc done,
            gpointer    data)
{
  while (!done (data))
    g_main_context_iteration (NULL, TRUE);
}

typedef gboolean (*WidgetMatch) (GtkWidget  *widget,
                                 const char *text);

/* The first widget under @root (depth first) that @match accepts with @text. */
static GtkWidget *
find_widget (GtkWidget   *root,
             WidgetMatch  match,
             const char  *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = match (child, text) ? child : find_widget (child, match, text);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
is_row_titled (GtkWidget  *widget,
               const char *title)
{
  return ADW_IS_ACTION_ROW (widget)
         && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

/* A visible label whose text starts with @prefix. */
static gboolean
is_label_starting (GtkWidget  *widget,
                   const char *prefix)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_visible (widget)
         && g_str_has_prefix (gtk_label_get_label (GTK_LABEL (widget)), prefix);
}

/* A button labelled @label (its mnemonic included). */
static gboolean
is_button_labelled (GtkWidget  *widget,
                    const char *label)
{
  return GTK_IS_BUTTON (widget)
         && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0;
}

static AdwActionRow *
find_row (GtkWidget  *root,
          const char *title)
{
  return (AdwActionRow *) find_widget (root, is_row_titled, title);
}

static const char *
row_subtitle (GtkWidget  *root,
              const char *title)
{
  AdwActionRow *row = find_row (root, title);

  g_assert_nonnull (row);
  return adw_action_row_get_subtitle (row);
}

static GtkLabel *
find_label (GtkWidget  *root,
            const char *prefix)
{
  return (GtkLabel *) find_widget (root, is_label_starting, prefix);
}

static GtkWidget *
find_button (GtkWidget  *root,
             const char *label)
{
  return find_widget (root, is_button_labelled, label);
}

static EntsecAccountSummary *
find_summary (gboolean managed)
{
  GListModel *model = entsec_vault_get_accounts_model (vault);

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr (EntsecAccountSummary) summary = g_list_model_get_item (model, i);

      if (entsec_account_summary_get_managed (summary) == managed)
        return g_steal_pointer (&summary);
    }
  return NULL;
}

static EntsecDevicePage *
shown_device_page (gboolean *closed)
{
  EntsecDevicePage *page = g_object_ref_sink (g_object_new (ENTSEC_TYPE_DEVICE_PAGE, NULL));
  gboolean loaded = FALSE;
  GtkWidget *window = gtk_window_new ();

  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (page));
  g_signal_connect_swapped (page, "loaded", G_CALLBACK (set_flag), &loaded);
  if (closed != NULL)
    g_signal_connect_swapped (page, "closed", G_CALLBACK (set_flag), closed);
  entsec_device_page_show (page, vault, NULL);
  spin_until (await_flag, &loaded);
  return page;
}

/* The page shows the registration, and exactly what describe() says is sent. */
static void
test_device_page (void)
{
  g_autoptr (EntsecDevicePage) page = shown_device_page (NULL);
  GtkWidget *root = GTK_WIDGET (page);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) items = NULL;
  g_autofree char *sent = entsec_enterprise_describe_sync (vault, NULL, &items, NULL, &error);
  g_autoptr (EntsecEnterprisePolicy) policy = NULL;
  g_autofree char *version = NULL;

  g_assert_no_error (error);
  policy = entsec_enterprise_policy_load_sync (vault, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (policy);
  g_assert_cmpstr (row_subtitle (root, "Organization"), ==, env ("ENTSEC_TEST_TENANT"));
  g_assert_cmpstr (row_subtitle (root, "User"), ==, env ("ENTSEC_TEST_USER"));
  g_assert_cmpstr (row_subtitle (root, "Device ID"), ==, env ("ENTSEC_TEST_DEVICE_ID"));
  g_assert_cmpstr (row_subtitle (root, "State"), ==, "Active");
  g_assert_cmpstr (row_subtitle (root, "Enrolled"), !=, "Not known");
  g_assert_cmpstr (row_subtitle (root, "Last Contact"), !=, "Never");
  /* Exactly the JSON a heartbeat sends, and one row per claim. */
  g_assert_nonnull (find_label (root, sent));
  g_assert_cmpuint (items->len, >, 0);
  for (guint i = 0; i < items->len; i++)
    {
      EntsecDeviceShareItem *item = g_ptr_array_index (items, i);
      const char *subtitle = row_subtitle (root, item->label);

      g_assert_true (g_str_has_prefix (subtitle, item->value));
      g_assert_nonnull (strstr (subtitle, item->field));
    }
  /* The policy in force, each setting in words and as the policy holds it. */
  version = g_strdup_printf ("Version %" G_GINT64_FORMAT ",", policy->version);
  g_assert_nonnull (find_label (root, version));
  g_assert_nonnull (strstr (row_subtitle (root, "Exporting Accounts"),
                            policy->allow_export ? "tokens.allow_export: true"
                                                 : "tokens.allow_export: false"));
  g_assert_true (g_str_has_prefix (row_subtitle (root, "Exporting Accounts"),
                                   policy->allow_export ? "Allowed" : "Not allowed"));
}

static gboolean
row_has_code (gpointer row)
{
  return entsec_account_row_get_code (row) != NULL;
}

/* The provisioned account's row says who manages it; a personal one does not. */
static void
test_managed_badge (void)
{
  g_autoptr (EntsecAccountSummary) managed = find_summary (TRUE);
  g_autoptr (EntsecAccountSummary) personal = find_summary (FALSE);
  EntsecAccountRow *row = ENTSEC_ACCOUNT_ROW (g_object_ref_sink (entsec_account_row_new ()));
  EntsecAccountRow *other = ENTSEC_ACCOUNT_ROW (g_object_ref_sink (entsec_account_row_new ()));
  g_autofree char *badge = g_strdup_printf ("Managed by %s", env ("ENTSEC_TEST_TENANT"));
  g_autofree char *first = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (managed);
  g_assert_nonnull (personal);
  loaded_state ();
  entsec_account_row_bind (row, vault, managed, NULL);
  entsec_account_row_bind (other, vault, personal, NULL);
  g_assert_nonnull (find_label (GTK_WIDGET (row), badge));
  g_assert_null (find_label (GTK_WIDGET (other), "Managed by"));
  if (phase_is ("allowed"))
    {
      /* The code the row shows, for the server's RP API (test-app-device.py).
       * The sync acknowledged the token with this step's code, so the server
       * would refuse it again: the row is ticked at the next step. */
      spin_until (row_has_code, row);
      first = g_strdup (entsec_account_row_get_code (row));
      entsec_account_row_tick (row, g_get_real_time () / G_USEC_PER_SEC
                                      + entsec_account_summary_get_period (managed));
      /* Two steps share a code once in a million. */
      while (g_strcmp0 (entsec_account_row_get_code (row), first) == 0)
        g_main_context_iteration (NULL, TRUE);
      g_assert_true (g_file_set_contents (env ("ENTSEC_TEST_CODE_FILE"),
                                          entsec_account_row_get_code (row), -1, &error));
      g_assert_no_error (error);
    }
  entsec_account_row_unbind (row);
  entsec_account_row_unbind (other);
  g_object_unref (row);
  g_object_unref (other);
}

/* Export in the Backup preferences and the managed account's QR code follow the policy. */
static void
test_export_policy (void)
{
  gboolean allowed = phase_is ("allowed");
  EntsecBackupGroup *group = g_object_ref_sink (g_object_new (ENTSEC_TYPE_BACKUP_GROUP, NULL));
  EntsecAccountPage *page = g_object_ref_sink (g_object_new (ENTSEC_TYPE_ACCOUNT_PAGE, NULL));
  g_autoptr (EntsecAccountSummary) managed = find_summary (TRUE);
  g_autoptr (EntsecAccountSummary) personal = find_summary (FALSE);
  const char *reason = "Your organization’s policy does not allow exporting accounts.";
  AdwActionRow *export_row;
  GtkWidget *qr_button;

  g_assert_cmpint (entsec_enterprise_state_get_policy (loaded_state ())->allow_export, ==,
                   allowed);
  entsec_backup_group_set_vault (group, vault);
  export_row = find_row (GTK_WIDGET (group), "Encrypted Backup");
  g_assert_nonnull (export_row);
  g_assert_cmpint (gtk_widget_get_sensitive (GTK_WIDGET (export_row)), ==, allowed);
  if (allowed)
    g_assert_cmpstr (adw_action_row_get_subtitle (export_row), !=, reason);
  else
    {
      g_assert_cmpstr (adw_action_row_get_subtitle (export_row), ==, reason);
      g_assert_cmpstr (gtk_widget_get_tooltip_text (GTK_WIDGET (export_row)), ==, reason);
    }

  entsec_account_page_show_account (page, vault, managed, NULL);
  g_assert_nonnull (find_label (GTK_WIDGET (page), "Managed by"));
  qr_button = find_button (GTK_WIDGET (page), "Show _QR Code");
  g_assert_nonnull (qr_button);
  g_assert_cmpint (gtk_widget_get_sensitive (qr_button), ==, allowed);
  g_assert_cmpint (find_label (GTK_WIDGET (page), reason) != NULL, ==, !allowed);
  /* A personal account's QR code is the user's own. */
  entsec_account_page_show_account (page, vault, personal, NULL);
  g_assert_true (gtk_widget_get_sensitive (qr_button));
  g_assert_null (find_label (GTK_WIDGET (page), "Managed by"));

  entsec_account_page_clear (page);
  entsec_backup_group_set_vault (group, NULL);
  g_object_unref (page);
  g_object_unref (group);
}

/* The offline grace's banner text, at injected times around its last quarter. */
static void
test_offline_warning (void)
{
  EntsecEnterpriseState *state = loaded_state ();
  const EntsecEnterprisePolicy *policy = entsec_enterprise_state_get_policy (state);
  gint64 block_at = 0;
  g_autofree char *early = NULL;
  g_autofree char *late = NULL;

  g_assert_cmpint (entsec_enterprise_state_get_offline (state, &block_at), ==, ENTSEC_OFFLINE_OK);
  g_assert_cmpint (block_at, >, 0);
  early = entsec_enterprise_state_dup_offline_warning (state, block_at
                                                                - policy->offline_block_after / 2);
  late = entsec_enterprise_state_dup_offline_warning (state, block_at
                                                               - policy->offline_block_after / 8);
  g_assert_null (early);
  g_assert_nonnull (late);
  g_assert_true (g_str_has_prefix (late, "This device has not reached your organization"));
}

static gboolean
is_group_titled (GtkWidget  *widget,
                 const char *title)
{
  return ADW_IS_PREFERENCES_GROUP (widget)
         && g_strcmp0 (adw_preferences_group_get_title (ADW_PREFERENCES_GROUP (widget)), title)
              == 0;
}

/* The add dialog: typing in accounts and links follow the policy. */
static void
test_add_policy (void)
{
  gboolean allowed = phase_is ("allowed");
  EntsecAddDialog *dialog = entsec_add_dialog_new (NULL, vault);
  const char *no_manual = "Your organization’s policy does not allow typing in accounts.";
  const char *no_qr = "Your organization’s policy does not allow adding accounts from QR codes.";
  GtkWidget *manual;
  const char *description;
  AdwActionRow *report;
  guint before = g_list_model_get_n_items (entsec_vault_get_accounts_model (vault));

  loaded_state ();
  manual = find_widget (GTK_WIDGET (dialog), is_group_titled, "Enter by Hand");
  g_assert_nonnull (manual);
  g_assert_cmpint (gtk_widget_get_sensitive (manual), ==, allowed);
  description = adw_preferences_group_get_description (ADW_PREFERENCES_GROUP (manual));
  g_assert_cmpint (g_strcmp0 (description, no_manual) == 0, ==, !allowed);
  if (!allowed)
    {
      /* A link is refused with the reason, and nothing is added. */
      entsec_add_dialog_add_link (dialog, PERSONAL_LINK);
      report = find_row (GTK_WIDGET (dialog), "Link");
      g_assert_nonnull (report);
      g_assert_cmpstr (adw_action_row_get_subtitle (report), ==, no_qr);
      g_assert_cmpuint (g_list_model_get_n_items (entsec_vault_get_accounts_model (vault)), ==,
                        before);
    }
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static gboolean
dialog_shown (gpointer out)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GObject) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        {
          *(AdwMessageDialog **) out = ADW_MESSAGE_DIALOG (window);
          return TRUE;
        }
    }
  return FALSE;
}

static void
keep_toast (EntsecDevicePage *page,
            AdwToast         *toast,
            char            **title)
{
  g_free (*title);
  *title = g_strdup (adw_toast_get_title (toast));
}

/* Unbind from the page: confirmed, the server told, the enterprise data gone. */
static void
test_unbind (void)
{
  gboolean closed = FALSE;
  g_autoptr (EntsecDevicePage) page = shown_device_page (&closed);
  GtkWidget *unbind = find_button (GTK_WIDGET (page), "_Unbind");
  AdwMessageDialog *dialog = NULL;
  g_autoptr (EntsecAccountSummary) managed = NULL;
  g_autoptr (EntsecAccountSummary) personal = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecEnterpriseDevice) device = NULL;
  g_autofree char *toast = NULL;

  g_assert_nonnull (unbind);
  g_assert_true (gtk_widget_get_sensitive (unbind));
  g_signal_emit_by_name (unbind, "clicked");
  spin_until (dialog_shown, &dialog);
  g_signal_connect (page, "toast", G_CALLBACK (keep_toast), &toast);
  adw_message_dialog_response (dialog, "unbind");
  /* A refusal comes as a toast. */
  while (!closed && toast == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (toast, ==, "This device was unbound; your own accounts stay");
  g_assert_true (closed);
  device = entsec_enterprise_device_load_sync (vault, NULL, &error);
  g_assert_no_error (error);
  g_assert_null (device);
  managed = find_summary (TRUE);
  personal = find_summary (FALSE);
  g_assert_null (managed);
  g_assert_nonnull (personal);
}

/* ---- Phase "passphrase" -------------------------------------------------- */

static const EntsecKdfParams cheap_kdf = { 8 * 1024, 1, 1 };

/* Template child @name of @widget, an instance of @type. */
static GtkWidget *
child_of (gpointer    widget,
          GType       type,
          const char *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (widget), type, name));
}

/* The vault of the phase with a keyring slot in place of its passphrase. */
static void
keyring_instead_of_passphrase (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree EntsecVaultSlotInfo *slots = NULL;
  gsize n_slots = 0;

  g_assert_true (entsec_vault_add_keyring_slot_sync (vault, NULL, &error));
  g_assert_no_error (error);
  slots = entsec_vault_list_slots (vault, &n_slots);
  for (gsize i = 0; i < n_slots; i++)
    if (slots[i].type == ENTSEC_VAULT_SLOT_PASSPHRASE)
      {
        g_assert_true (entsec_vault_remove_slot_sync (vault, slots[i].id, NULL, &error));
        g_assert_no_error (error);
      }
  g_clear_object (&vault);
}

/* The slot the policy of the phase requires; set when the codes page was
 * made visible while the window's vault lacked it. */
static EntsecVaultSlotType required_slot;
static gboolean codes_too_early;
/* The type of the required dialog a test waits for. */
static GType awaited_dialog;

static void
main_child_changed (GtkStack     *stack,
                    GParamSpec   *pspec,
                    EntsecWindow *window)
{
  EntsecVault *shown = entsec_window_get_vault (window);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (stack), "codes") == 0
      && (shown == NULL || !entsec_app_vault_has_slot (shown, required_slot)))
    codes_too_early = TRUE;
}

/* A window on the default vault, watched from before it is shown. */
static EntsecWindow *
watched_window (EntsecApplication  *app,
                EntsecVaultSlotType slot)
{
  g_autoptr (GError) error = NULL;
  EntsecWindow *window;

  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  window = entsec_window_new (app);
  required_slot = slot;
  codes_too_early = FALSE;
  g_signal_connect (gtk_widget_get_template_child (GTK_WIDGET (window), ENTSEC_TYPE_WINDOW,
                                                   "main_stack"),
                    "notify::visible-child", G_CALLBACK (main_child_changed), window);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static GtkWindow *
toplevel_of_type (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr (GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }
  return NULL;
}

/* The awaited required dialog is up over the hidden codes. */
static gboolean
required_dialog_up (gpointer window)
{
  GtkStack *stack = GTK_STACK (child_of (window, ENTSEC_TYPE_WINDOW, "main_stack"));

  return g_strcmp0 (gtk_stack_get_visible_child_name (stack), "loading") == 0
         && toplevel_of_type (awaited_dialog) != NULL;
}

/* The required dialog of @type over the hidden codes, which never showed
 * (not before the policy was read either); it stays until done. */
static GtkWindow *
await_required_dialog (EntsecWindow *window,
                       GType         type)
{
  GtkWindow *dialog;

  awaited_dialog = type;
  spin_until (required_dialog_up, window);
  g_assert_false (codes_too_early);
  dialog = toplevel_of_type (type);
  g_assert_nonnull (dialog);
  /* Xvfb has no window manager: the main window, mapped last, may take the
   * X focus from the dialog, and GTK 4.8 leaves its entry's cursor blinking
   * then (a warning). The test types without the focus. */
  gtk_window_set_focus (dialog, NULL);
  return dialog;
}

static gboolean
codes_shown (gpointer window)
{
  GtkStack *stack = GTK_STACK (child_of (window, ENTSEC_TYPE_WINDOW,
                                                              "main_stack"));

  return g_strcmp0 (gtk_stack_get_visible_child_name (stack), "codes") == 0;
}

static GtkEditable *
dialog_row (GtkWindow  *dialog,
            const char *name)
{
  return GTK_EDITABLE (child_of (dialog,
                                                      ENTSEC_TYPE_PASSPHRASE_DIALOG, name));
}

static void
type_new_passphrase (GtkWindow  *dialog,
                     const char *passphrase)
{
  gtk_editable_set_text (dialog_row (dialog, "new_row"), passphrase);
  gtk_editable_set_text (dialog_row (dialog, "confirm_row"), passphrase);
}

static const char *
dialog_hint (GtkWindow *dialog)
{
  return gtk_label_get_label (GTK_LABEL (child_of (
    GTK_WIDGET (dialog), ENTSEC_TYPE_PASSPHRASE_DIALOG, "hint_label")));
}

#define ADDED_PASSPHRASE "velvet-harbour-juniper-73-orchid"

/* The required dialog: no way out, the policy's length, then a passphrase added. */
static void
add_required_passphrase (GtkWindow *dialog)
{
  guint min_length = (guint) g_ascii_strtoull (env ("ENTSEC_TEST_MIN_LENGTH"), NULL, 10);
  g_autofree char *too_short = g_strnfill (min_length - 1, 'q');
  g_autofree char *rule = g_strdup_printf ("Your organization requires a passphrase of at least "
                                           "%u characters.", min_length);
  GtkWidget *apply = child_of (dialog,
                                                    ENTSEC_TYPE_PASSPHRASE_DIALOG, "apply_button");

  g_assert_false (gtk_widget_get_visible (child_of (
    GTK_WIDGET (dialog), ENTSEC_TYPE_PASSPHRASE_DIALOG, "cancel_button")));
  gtk_window_close (dialog);
  g_assert_true (toplevel_of_type (ENTSEC_TYPE_PASSPHRASE_DIALOG) == dialog);
  type_new_passphrase (dialog, too_short);
  g_assert_cmpstr (dialog_hint (dialog), ==, rule);
  g_assert_false (gtk_widget_get_sensitive (apply));
  entsec_passphrase_dialog_set_kdf (ENTSEC_PASSPHRASE_DIALOG (dialog), &cheap_kdf);
  type_new_passphrase (dialog, ADDED_PASSPHRASE);
  g_assert_true (gtk_widget_get_sensitive (apply));
  g_signal_emit_by_name (apply, "clicked");
}

static void
assert_passphrase_kept (EntsecWindow *window,
                        EntsecVault  *shown)
{
  EntsecApplication *app = ENTSEC_APPLICATION (gtk_window_get_application (GTK_WINDOW (window)));
  EntsecPreferencesWindow *preferences;
  GtkWidget *row;

  preferences = entsec_preferences_window_new (GTK_WINDOW (window),
                                               entsec_application_get_settings (app));
  entsec_preferences_window_set_enrolled (preferences, TRUE);
  entsec_preferences_window_set_vault (preferences, shown);
  row = child_of (preferences, ENTSEC_TYPE_PREFERENCES_WINDOW,
                                       "remove_passphrase_row");
  g_assert_true (gtk_widget_get_visible (row));
  g_assert_false (gtk_widget_get_sensitive (row));
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), ==,
                   "Your organization’s policy requires a passphrase to unlock this app, so it "
                   "cannot be removed.");
  gtk_window_destroy (GTK_WINDOW (preferences));
}

/* The window's device page: built the first time win.show-device shows it. */
static GtkWidget *
window_device_page (gpointer window)
{
  GtkStack *details = GTK_STACK (child_of (window, ENTSEC_TYPE_WINDOW, "details_stack"));

  return gtk_stack_get_child_by_name (details, "device");
}

static gboolean
device_page_loaded (gpointer window)
{
  GtkWidget *page = window_device_page (window);
  GtkStack *stack;

  if (page == NULL)
    return FALSE;
  stack = GTK_STACK (child_of (page, ENTSEC_TYPE_DEVICE_PAGE, "stack"));
  return g_strcmp0 (gtk_stack_get_visible_child_name (stack), "device") == 0;
}

static gboolean
setup_shown (gpointer window)
{
  GtkStack *stack = GTK_STACK (child_of (window, ENTSEC_TYPE_WINDOW,
                                                              "main_stack"));

  return g_strcmp0 (gtk_stack_get_visible_child_name (stack), "setup") == 0;
}

static gboolean
result_shown (gpointer out)
{
  AdwMessageDialog *dialog = NULL;

  if (!dialog_shown (&dialog)
      || g_strcmp0 (adw_message_dialog_get_heading (dialog), "Delete All Local Data?") == 0)
    return FALSE;
  *(AdwMessageDialog **) out = dialog;
  return TRUE;
}

/* Delete All Local Data from the window's device page: the first-run page follows. */
static void
delete_from_device_page (EntsecWindow *window)
{
  AdwMessageDialog *dialog = NULL;
  GtkWidget *button;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.show-device", NULL));
  spin_until (device_page_loaded, window);
  button = find_button (window_device_page (window), "_Delete…");
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
  spin_until (dialog_shown, &dialog);
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "Delete All Local Data?");
  adw_message_dialog_response (dialog, "delete");
  /* A button would close it; the call alone does not. */
  gtk_window_destroy (GTK_WINDOW (dialog));
  spin_until (result_shown, &dialog);
  /* The server was told (test-app-device.py checks it says unbound). */
  g_assert_cmpstr (adw_message_dialog_get_heading (dialog), ==, "All Local Data Deleted");
  g_assert_cmpstr (adw_message_dialog_get_body (dialog), ==,
                   "This device was unbound and all its local data was deleted");
  spin_until (setup_shown, window);
  g_assert_false (g_file_test (env ("ENTSEC_TEST_VAULT"), G_FILE_TEST_EXISTS));
}

static void
test_required_passphrase (void)
{
  g_autoptr (EntsecApplication) app = entsec_application_new ();
  g_autoptr (EntsecVault) shown = NULL;
  EntsecWindow *window;
  GtkWindow *dialog;

  keyring_instead_of_passphrase ();
  window = watched_window (app, ENTSEC_VAULT_SLOT_PASSPHRASE);
  dialog = await_required_dialog (window, ENTSEC_TYPE_PASSPHRASE_DIALOG);
  add_required_passphrase (dialog);
  spin_until (codes_shown, window);
  g_assert_false (codes_too_early);
  shown = g_object_ref (entsec_window_get_vault (window));
  g_assert_true (entsec_app_vault_has_slot (shown, ENTSEC_VAULT_SLOT_PASSPHRASE));
  assert_passphrase_kept (window, shown);
  g_clear_object (&shown);
  delete_from_device_page (window);
  /* The first-run page's entry has the focus: let it go before the window does. */
  gtk_window_set_focus (GTK_WINDOW (window), NULL);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* ---- Phase "pin" ---------------------------------------------------------- */

static void
type_new_pin (GtkWindow  *dialog,
              const char *pin)
{
  gtk_editable_set_text (GTK_EDITABLE (child_of (dialog, ENTSEC_TYPE_PIN_DIALOG, "pin_row")), pin);
  gtk_editable_set_text (GTK_EDITABLE (child_of (dialog, ENTSEC_TYPE_PIN_DIALOG, "confirm_row")),
                         pin);
}

/* The required dialog: no way out, the policy's length, then a PIN set. */
static void
set_required_pin (GtkWindow *dialog)
{
  const char *passphrase = ADDED_PASSPHRASE;
  guint min_length = (guint) g_ascii_strtoull (env ("ENTSEC_TEST_MIN_LENGTH"), NULL, 10);
  g_autofree char *too_short = g_strnfill (min_length - 1, '7');
  g_autofree char *long_enough = g_strnfill (min_length, '7');
  g_autofree char *rule = g_strdup_printf ("Your organization requires a PIN of at least %u "
                                           "digits.", min_length);
  GtkWidget *apply = child_of (dialog, ENTSEC_TYPE_PIN_DIALOG, "apply_button");
  GtkLabel *hint = GTK_LABEL (child_of (dialog, ENTSEC_TYPE_PIN_DIALOG, "hint_label"));

  g_assert_false (gtk_widget_get_visible (child_of (dialog, ENTSEC_TYPE_PIN_DIALOG,
                                                    "cancel_button")));
  g_assert_true (gtk_widget_get_visible (child_of (dialog, ENTSEC_TYPE_PIN_DIALOG,
                                                   "why_label")));
  gtk_window_close (dialog);
  g_assert_true (toplevel_of_type (ENTSEC_TYPE_PIN_DIALOG) == dialog);
  gtk_editable_set_text (GTK_EDITABLE (child_of (dialog, ENTSEC_TYPE_PIN_DIALOG,
                                                 "passphrase_row")), passphrase);
  type_new_pin (dialog, too_short);
  g_assert_cmpstr (gtk_label_get_label (hint), ==, rule);
  g_assert_false (gtk_widget_get_sensitive (apply));
  entsec_pin_dialog_set_kdf (ENTSEC_PIN_DIALOG (dialog), &cheap_kdf);
  type_new_pin (dialog, long_enough);
  g_assert_true (gtk_widget_get_sensitive (apply));
  g_signal_emit_by_name (apply, "clicked");
}

static void
assert_pin_kept (EntsecWindow *window,
                 EntsecVault  *shown)
{
  EntsecApplication *app = ENTSEC_APPLICATION (gtk_window_get_application (GTK_WINDOW (window)));
  const char *reason = "Your organization’s policy requires a PIN to unlock this app, so it "
                       "cannot be removed.";
  EntsecPreferencesWindow *preferences;
  GtkWidget *button;

  preferences = entsec_preferences_window_new (GTK_WINDOW (window),
                                               entsec_application_get_settings (app));
  entsec_preferences_window_set_enrolled (preferences, TRUE);
  entsec_preferences_window_set_vault (preferences, shown);
  button = child_of (preferences, ENTSEC_TYPE_PREFERENCES_WINDOW, "remove_pin_button");
  g_assert_true (gtk_widget_get_visible (button));
  g_assert_false (gtk_widget_get_sensitive (button));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (button), ==, reason);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (child_of (
                     preferences, ENTSEC_TYPE_PREFERENCES_WINDOW, "pin_row"))), ==, reason);
  gtk_window_destroy (GTK_WINDOW (preferences));
}

static void
test_required_pin (void)
{
  g_autoptr (EntsecApplication) app = entsec_application_new ();
  g_autoptr (EntsecVault) shown = NULL;
  EntsecWindow *window;
  GtkWindow *dialog;

  /* The passphrase first (the PIN needs it), then the PIN. */
  keyring_instead_of_passphrase ();
  window = watched_window (app, ENTSEC_VAULT_SLOT_PIN);
  dialog = await_required_dialog (window, ENTSEC_TYPE_PASSPHRASE_DIALOG);
  g_assert_null (toplevel_of_type (ENTSEC_TYPE_PIN_DIALOG));
  add_required_passphrase (dialog);
  dialog = await_required_dialog (window, ENTSEC_TYPE_PIN_DIALOG);
  set_required_pin (dialog);
  spin_until (codes_shown, window);
  g_assert_false (codes_too_early);
  shown = g_object_ref (entsec_window_get_vault (window));
  g_assert_true (entsec_app_vault_has_slot (shown, ENTSEC_VAULT_SLOT_PIN));
  assert_pin_kept (window, shown);
  g_clear_object (&shown);
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  int status;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  entsec_app_ensure_resources ();
  if (phase_is ("passphrase"))
    {
      open_vault ();
      g_test_add_func ("/app/device/required-passphrase", test_required_passphrase);
      return g_test_run ();
    }
  if (phase_is ("pin"))
    {
      open_vault ();
      g_test_add_func ("/app/device/required-pin", test_required_pin);
      return g_test_run ();
    }
  open_vault ();

  g_test_add_func ("/app/device/page", test_device_page);
  g_test_add_func ("/app/device/managed-badge", test_managed_badge);
  g_test_add_func ("/app/device/export-policy", test_export_policy);
  g_test_add_func ("/app/device/add-policy", test_add_policy);
  g_test_add_func ("/app/device/offline-warning", test_offline_warning);
  if (phase_is ("forbidden"))
    g_test_add_func ("/app/device/unbind", test_unbind);
  status = g_test_run ();
  g_clear_object (&vault);
  return status;
}
