/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-preferences-window.c: lock timeout, clipboard, hidden codes, style,
 * and the vault's key slots (passphrase, quick-unlock PIN, recovery key) */

#define G_LOG_DOMAIN "entsec-preferences-window"

#include "config.h"

#include <glib/gi18n.h>

#include "entsec-application.h"
#include "entsec-backup-group.h"
#include "entsec-delete-data.h"
#include "entsec-enterprise-state.h"
#include "entsec-passphrase-dialog.h"
#include "entsec-pin-dialog.h"
#include "entsec-preferences-window.h"

#define SECONDS_PER_MINUTE 60

struct _EntsecPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GtkAdjustment        *lock_minutes;
  GtkAdjustment        *clipboard_seconds;
  AdwActionRow         *clipboard_row;
  GtkWidget            *clipboard_spin;
  /* The row's subtitle, and whether an organization's policy fixes the delay now. */
  char                 *clipboard_subtitle;
  gboolean              clipboard_fixed;
  GtkSwitch            *hide_codes_switch;
  AdwPreferencesGroup  *organization_group;
  AdwPreferencesGroup  *delete_group;
  GtkSwitch            *background_switch;
  AdwComboRow          *style_row;
  AdwPreferencesGroup  *security_group;
  GtkWidget            *always_ask_row;
  GtkSwitch            *always_ask_switch;
  AdwActionRow         *passphrase_row;
  GtkButton            *passphrase_button;
  GtkWidget            *remove_passphrase_row;
  AdwActionRow         *pin_row;
  GtkButton            *pin_button;
  GtkWidget            *remove_pin_button;
  GtkWidget            *recovery_row;
  EntsecBackupGroup    *backup_group;

  GSettings            *settings;
  EntsecVault          *vault;
  GCancellable         *cancellable;
  gboolean              busy;
};

G_DEFINE_FINAL_TYPE (EntsecPreferencesWindow, entsec_preferences_window,
                     ADW_TYPE_PREFERENCES_WINDOW)

/* The row's order; the setting's values. */
static const char *const styles[] = { "system", "light", "dark" };

AdwColorScheme
entsec_preferences_color_scheme (const char *style)
{
  if (g_strcmp0 (style, "light") == 0)
    return ADW_COLOR_SCHEME_FORCE_LIGHT;
  if (g_strcmp0 (style, "dark") == 0)
    return ADW_COLOR_SCHEME_FORCE_DARK;
  return ADW_COLOR_SCHEME_DEFAULT;
}

/* lock-timeout is in seconds; people think of it in minutes. */
static gboolean
minutes_from_seconds (GValue   *value,
                      GVariant *variant,
                      gpointer  user_data)
{
  g_value_set_double (value, (double) ((g_variant_get_uint32 (variant) + SECONDS_PER_MINUTE - 1)
                                       / SECONDS_PER_MINUTE));
  return TRUE;
}

static GVariant *
seconds_from_minutes (const GValue       *value,
                      const GVariantType *type,
                      gpointer            user_data)
{
  return g_variant_new_uint32 ((guint32) g_value_get_double (value) * SECONDS_PER_MINUTE);
}

static gboolean
style_to_row (GValue   *value,
              GVariant *variant,
              gpointer  user_data)
{
  const char *style = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (styles); i++)
    if (g_strcmp0 (style, styles[i]) == 0)
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  g_value_set_uint (value, 0);
  return TRUE;
}

static GVariant *
style_from_row (const GValue       *value,
                const GVariantType *type,
                gpointer            user_data)
{
  guint selected = g_value_get_uint (value);

  return g_variant_new_string (selected < G_N_ELEMENTS (styles) ? styles[selected] : styles[0]);
}

static void
bind_settings (EntsecPreferencesWindow *self)
{
  g_settings_bind_with_mapping (self->settings, "lock-timeout", self->lock_minutes, "value",
                                G_SETTINGS_BIND_DEFAULT, minutes_from_seconds,
                                seconds_from_minutes, NULL, NULL);
  g_settings_bind (self->settings, "clipboard-clear-seconds", self->clipboard_seconds, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "hide-codes", self->hide_codes_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (self->settings, "style", self->style_row, "selected",
                                G_SETTINGS_BIND_DEFAULT, style_to_row, style_from_row, NULL,
                                NULL);
  g_settings_bind (self->settings, "always-ask-passphrase", self->always_ask_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "run-in-background", self->background_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
}

void
entsec_preferences_window_set_enrolled (EntsecPreferencesWindow *self,
                                        gboolean                 enrolled)
{
  g_return_if_fail (ENTSEC_IS_PREFERENCES_WINDOW (self));

  gtk_widget_set_visible (GTK_WIDGET (self->organization_group), enrolled);
}

static void
delete_clicked (EntsecPreferencesWindow *self)
{
  if (self->vault == NULL || !entsec_vault_is_unlocked (self->vault))
    return;
  entsec_delete_data_confirm (GTK_WIDGET (self), self->vault, FALSE);
}

/* ---- Security: the vault's key slots ------------------------------------- */

typedef struct
{
  gboolean keyring;
  gboolean passphrase;
  gboolean recovery;
  gboolean pin;
} SlotKinds;

static SlotKinds
slot_kinds (EntsecVault *vault)
{
  SlotKinds kinds = {
    entsec_app_vault_has_slot (vault, ENTSEC_VAULT_SLOT_KEYRING),
    entsec_app_vault_has_slot (vault, ENTSEC_VAULT_SLOT_PASSPHRASE),
    entsec_app_vault_has_slot (vault, ENTSEC_VAULT_SLOT_RECOVERY),
    entsec_app_vault_has_slot (vault, ENTSEC_VAULT_SLOT_PIN),
  };

  return kinds;
}

const char *
entsec_preferences_lock_model (gboolean has_keyring,
                               gboolean has_passphrase,
                               gboolean has_pin)
{
  if (has_passphrase && has_pin && has_keyring)
    return _("Your codes are protected by a passphrase. After a lock, your quick unlock PIN "
             "opens them; after 5 wrong PINs in a row only the passphrase does. The keyring "
             "opens them only at the first start of a login session, unless you choose to "
             "always be asked.");
  if (has_passphrase && has_pin)
    return _("Your codes are protected by a passphrase. Every start and every unlock after a "
             "lock asks for your quick unlock PIN; after 5 wrong PINs in a row only the "
             "passphrase opens them.");
  if (has_passphrase && has_keyring)
    return _("Your codes are protected by a passphrase. After a lock, unlocking asks for it. "
             "The keyring opens them only at the first start of a login session, unless you "
             "choose to always be asked.");
  if (has_passphrase)
    return _("Your codes are protected by a passphrase. Every start and every unlock after a "
             "lock asks for it.");
  if (has_keyring)
    return _("Your codes are protected by your login keyring only. Locking hides them and wipes "
             "their keys from memory; unlocking is one click. Add a passphrase to be asked for "
             "it instead.");
  return _("Your codes open with the recovery key only. Add a passphrase to unlock them more "
           "easily.");
}

/* A PIN slot may be dead (too many wrong PINs): say so, and that a new one fixes it. */
static void
pin_status_known (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (EntsecPreferencesWindow) self = user_data;
  EntsecVaultPinStatus status = ENTSEC_VAULT_PIN_NONE;

  if (entsec_vault_get_pin_status_finish (ENTSEC_VAULT (source), result, &status, NULL, NULL)
      && status == ENTSEC_VAULT_PIN_LOCKED_OUT)
    adw_action_row_set_subtitle (self->pin_row,
                                 _("Turned off after too many wrong PINs; set a new one"));
}

/* Why the PIN cannot be removed (the policy demands one), or NULL. */
static const char *
pin_kept_reason (EntsecPreferencesWindow *self)
{
  if (self->vault == NULL || !entsec_pin_dialog_policy_requires (self->vault, NULL))
    return NULL;
  return _("Your organization’s policy requires a PIN to unlock this app, so it cannot be "
           "removed.");
}

/* The PIN goes with the passphrase: shown only when there is one. */
static void
update_pin_row (EntsecPreferencesWindow *self,
                SlotKinds                kinds,
                gboolean                 usable)
{
  const char *kept = pin_kept_reason (self);

  gtk_widget_set_visible (GTK_WIDGET (self->pin_row), kinds.passphrase);
  gtk_widget_set_sensitive (GTK_WIDGET (self->pin_row), usable);
  entsec_enterprise_explain_widget (self->remove_pin_button, kept == NULL, kept);
  adw_action_row_set_subtitle (self->pin_row,
                               !kinds.pin ? _("Unlock with a few digits instead of the passphrase")
                               : kept != NULL
                               ? kept
                               : _("Unlocks your codes after a lock; 5 wrong PINs turn it off"));
  gtk_button_set_label (self->pin_button, kinds.pin ? _("_Change…") : _("_Set…"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->pin_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  kinds.pin ? _("Change the quick unlock PIN")
                                            : _("Set a quick unlock PIN"), -1);
  gtk_widget_set_visible (self->remove_pin_button, kinds.pin);
  if (kinds.pin)
    entsec_vault_get_pin_status_async (self->vault, self->cancellable, pin_status_known,
                                       g_object_ref (self));
}

/* Why the passphrase cannot be removed (the policy demands one), or NULL. */
static const char *
passphrase_kept_reason (EntsecPreferencesWindow *self)
{
  if (self->vault == NULL
      || !entsec_enterprise_state_requires_passphrase (entsec_enterprise_state_get (self->vault),
                                                       NULL))
    return NULL;
  return _("Your organization’s policy requires a passphrase to unlock this app, so it cannot "
           "be removed.");
}

static void
update_remove_passphrase (EntsecPreferencesWindow *self,
                          gboolean                 usable)
{
  const char *reason = passphrase_kept_reason (self);

  entsec_enterprise_explain_widget (self->remove_passphrase_row, reason == NULL, reason);
  gtk_widget_set_sensitive (self->remove_passphrase_row, usable && reason == NULL);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->remove_passphrase_row),
                               reason != NULL ? reason
                                              : _("Only the keyring or the recovery key will "
                                                  "open your codes"));
}

/* Rows sensitive and worded for the vault as it is now. */
static void
update_security (EntsecPreferencesWindow *self)
{
  gboolean usable;
  SlotKinds kinds;

  gtk_widget_set_visible (GTK_WIDGET (self->security_group), self->vault != NULL);
  /* Enrolled, the device page offers it beside unbinding (one place per mode).
   * Deleting needs the codes unlocked: the one who can see them may delete them. */
  gtk_widget_set_visible (GTK_WIDGET (self->delete_group),
                          self->vault != NULL
                          && !entsec_enterprise_state_is_enrolled (
                            entsec_enterprise_state_get (self->vault)));
  gtk_widget_set_sensitive (GTK_WIDGET (self->delete_group),
                            self->vault != NULL && !self->busy
                            && entsec_vault_is_unlocked (self->vault));
  if (self->vault == NULL)
    return;
  kinds = slot_kinds (self->vault);
  usable = !self->busy && entsec_vault_is_unlocked (self->vault)
           && !entsec_vault_is_read_only (self->vault);
  if (!entsec_vault_is_unlocked (self->vault))
    adw_preferences_group_set_description (
      self->security_group, _("Unlock your codes to change how they are unlocked."));
  else
    adw_preferences_group_set_description (
      self->security_group,
      entsec_preferences_lock_model (kinds.keyring, kinds.passphrase, kinds.pin));
  gtk_widget_set_sensitive (self->always_ask_row, kinds.passphrase);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->passphrase_row),
                                 kinds.passphrase ? _("Passphrase") : _("No Passphrase"));
  adw_action_row_set_subtitle (self->passphrase_row,
                               kinds.passphrase
                               ? _("Choose a new one; the old one stops working")
                               : _("Ask for a passphrase when your codes are unlocked"));
  gtk_button_set_label (self->passphrase_button, kinds.passphrase ? _("_Change…")
                                                                  : _("_Add…"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->passphrase_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  kinds.passphrase ? _("Change the passphrase")
                                                   : _("Add a passphrase"), -1);
  gtk_widget_set_sensitive (GTK_WIDGET (self->passphrase_row), usable);
  gtk_widget_set_visible (self->remove_passphrase_row, kinds.passphrase);
  update_remove_passphrase (self, usable);
  gtk_widget_set_sensitive (self->recovery_row, usable);
  update_pin_row (self, kinds, usable);
}

static void
set_busy (EntsecPreferencesWindow *self,
          gboolean                 busy)
{
  self->busy = busy;
  update_security (self);
}

static void
toast (EntsecPreferencesWindow *self,
       const char              *message)
{
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (message));
}

static void
passphrase_done (EntsecPreferencesWindow *self,
                 const char              *message)
{
  update_security (self);
  toast (self, message);
}

static void
passphrase_clicked (EntsecPreferencesWindow *self)
{
  EntsecPassphraseDialog *dialog;

  if (self->vault == NULL || self->busy)
    return;
  dialog = entsec_passphrase_dialog_new (GTK_WINDOW (self), self->vault);
  g_signal_connect_object (dialog, "done", G_CALLBACK (passphrase_done), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* The ids of the slots of @type, terminated by 0 (ids start at 1). */
static GArray *
slot_ids (EntsecVault        *vault,
          EntsecVaultSlotType type)
{
  g_autofree EntsecVaultSlotInfo *slots = NULL;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint64));
  gsize n_slots = 0;

  slots = entsec_vault_list_slots (vault, &n_slots);
  for (gsize i = 0; i < n_slots; i++)
    if (slots[i].type == type)
      g_array_append_val (ids, slots[i].id);
  return ids;
}

static void
passphrase_removed (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr (EntsecPreferencesWindow) self = user_data;
  g_autoptr (GError) error = NULL;

  gboolean ok = entsec_vault_remove_slot_finish (ENTSEC_VAULT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  if (ok)
    toast (self, _("Passphrase removed"));
  else if (g_error_matches (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_LAST_SLOT))
    toast (self, _("The passphrase is the only sure way to open your codes: "
                   "make a recovery key first, then remove it"));
  else
    toast (self, error->message);
}

static void
remove_passphrase_response (EntsecPreferencesWindow *self,
                            const char              *response)
{
  g_autoptr (GArray) ids = NULL;

  if (g_strcmp0 (response, "remove") != 0 || self->vault == NULL || self->busy)
    return;
  ids = slot_ids (self->vault, ENTSEC_VAULT_SLOT_PASSPHRASE);
  if (ids->len == 0)
    return;
  set_busy (self, TRUE);
  /* One passphrase slot: change_passphrase replaces them all by one. */
  entsec_vault_remove_slot_async (self->vault, g_array_index (ids, gint64, 0), self->cancellable,
                                  passphrase_removed, g_object_ref (self));
}

/* "Cancel" or "Remove" (destructive); @response gets the answer. */
static void
confirm_removal (EntsecPreferencesWindow *self,
                 const char              *heading,
                 const char              *body,
                 GCallback                response)
{
  AdwMessageDialog *dialog;

  if (self->vault == NULL || self->busy)
    return;
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), heading, body));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "remove", _("_Remove"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "remove", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", response, self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
remove_passphrase_clicked (EntsecPreferencesWindow *self)
{
  const char *reason = passphrase_kept_reason (self);

  if (reason != NULL)
    {
      toast (self, reason);
      return;
    }
  confirm_removal (self, _("Remove the Passphrase?"),
                   _("Your codes will open with the keyring or the recovery key alone. Anyone "
                     "who can use your session can then see them after a lock."),
                   G_CALLBACK (remove_passphrase_response));
}

/* ---- Quick-unlock PIN ---------------------------------------------------------- */

static void
pin_clicked (EntsecPreferencesWindow *self)
{
  EntsecPinDialog *dialog;

  if (self->vault == NULL || self->busy)
    return;
  dialog = entsec_pin_dialog_new (GTK_WINDOW (self), self->vault);
  g_signal_connect_object (dialog, "done", G_CALLBACK (passphrase_done), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
pin_removed (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (EntsecPreferencesWindow) self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean ok = entsec_vault_remove_slot_finish (ENTSEC_VAULT (source), result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  toast (self, ok ? _("Quick unlock PIN removed") : error->message);
}

static void
remove_pin_response (EntsecPreferencesWindow *self,
                     const char              *response)
{
  g_autoptr (GArray) ids = NULL;

  if (g_strcmp0 (response, "remove") != 0 || self->vault == NULL || self->busy
      || pin_kept_reason (self) != NULL)
    return;
  ids = slot_ids (self->vault, ENTSEC_VAULT_SLOT_PIN);
  if (ids->len == 0)
    return;
  set_busy (self, TRUE);
  entsec_vault_remove_slot_async (self->vault, g_array_index (ids, gint64, 0), self->cancellable,
                                  pin_removed, g_object_ref (self));
}

static void
remove_pin_clicked (EntsecPreferencesWindow *self)
{
  confirm_removal (self, _("Remove the Quick Unlock PIN?"),
                   _("After a lock, your codes will open with the passphrase again."),
                   G_CALLBACK (remove_pin_response));
}

/* ---- Recovery key ------------------------------------------------------------ */

static void
recovery_key_saved (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr (EntsecPreferencesWindow) self = user_data;
  g_autoptr (GError) error = NULL;

  if (entsec_backup_write_file_finish (result, &error))
    toast (self, _("Recovery key saved"));
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    toast (self, error->message);
}

static void
save_chooser_response (GtkNativeDialog *chooser,
                       int              response,
                       gpointer         user_data)
{
  GtkWidget *key_dialog = user_data;
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (key_dialog));
  EntsecPreferencesWindow *self = ENTSEC_IS_PREFERENCES_WINDOW (parent)
                                  ? ENTSEC_PREFERENCES_WINDOW (parent) : NULL;
  const char *key = g_object_get_data (G_OBJECT (key_dialog), "entsec-recovery-key");
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autoptr (GBytes) data = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    path = g_file_get_path (file);
  if (self == NULL)
    ; /* The preferences went away meanwhile: nothing to save for. */
  else if (path != NULL && key != NULL)
    {
      /* Written 0600 by the core's atomic writer. */
      data = g_bytes_new_with_free_func (g_strdup_printf ("%s\n", key), strlen (key) + 1,
                                         (GDestroyNotify) entsec_secure_strfree, NULL);
      entsec_backup_write_file_async (path, data, self->cancellable, recovery_key_saved,
                                      g_object_ref (self));
    }
  else if (file != NULL)
    toast (self, _("Choose a folder on this computer to save the recovery key in"));
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  g_object_unref (key_dialog);
}

static void
save_recovery_key (GtkWidget *key_dialog)
{
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Save the Recovery Key"), GTK_WINDOW (key_dialog),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser),
                                     _("enterprise-security-recovery-key.txt"));
  g_signal_connect (chooser, "response", G_CALLBACK (save_chooser_response),
                    g_object_ref (key_dialog));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
copy_recovery_key (GtkWidget *key_dialog)
{
  const char *key = g_object_get_data (G_OBJECT (key_dialog), "entsec-recovery-key");
  GtkWindow *self = gtk_window_get_transient_for (GTK_WINDOW (key_dialog));

  gdk_clipboard_set_text (gtk_widget_get_clipboard (key_dialog), key);
  toast (ENTSEC_PREFERENCES_WINDOW (self), _("Recovery key copied"));
}

/* The key, shown once: a label to select, Copy and Save to File. */
static void
show_recovery_key (EntsecPreferencesWindow *self,
                   char                    *key)
{
  AdwMessageDialog *dialog;
  GtkWidget *box, *label, *buttons, *copy, *save;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (
    GTK_WINDOW (self), _("Your New Recovery Key"),
    _("Write it down or save it somewhere away from this device. It is shown only now; "
      "the old recovery key no longer works.")));
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  g_object_set_data_full (G_OBJECT (dialog), "entsec-recovery-key", key,
                          (GDestroyNotify) entsec_secure_strfree);
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  label = gtk_label_new (key);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "monospace");
  gtk_accessible_update_property (GTK_ACCESSIBLE (label), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Recovery key"), -1);
  buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  gtk_widget_set_halign (buttons, GTK_ALIGN_CENTER);
  copy = gtk_button_new_with_mnemonic (_("_Copy"));
  save = gtk_button_new_with_mnemonic (_("_Save to File…"));
  g_signal_connect_swapped (copy, "clicked", G_CALLBACK (copy_recovery_key), dialog);
  g_signal_connect_swapped (save, "clicked", G_CALLBACK (save_recovery_key), dialog);
  gtk_box_append (GTK_BOX (buttons), copy);
  gtk_box_append (GTK_BOX (buttons), save);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), buttons);
  adw_message_dialog_set_extra_child (dialog, box);
  adw_message_dialog_add_response (dialog, "done", _("_Done"));
  gtk_window_present (GTK_WINDOW (dialog));
}

typedef struct
{
  EntsecPreferencesWindow *self;
  GArray                  *old_ids;
} ReplaceRecovery;

static void
replace_recovery_free (ReplaceRecovery *replace)
{
  g_object_unref (replace->self);
  g_array_unref (replace->old_ids);
  g_free (replace);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ReplaceRecovery, replace_recovery_free)

static void remove_next_old_key (ReplaceRecovery *replace);

static void
old_key_removed (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (ReplaceRecovery) replace = user_data;
  g_autoptr (GError) error = NULL;

  if (!entsec_vault_remove_slot_finish (ENTSEC_VAULT (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_busy (replace->self, FALSE);
      toast (replace->self, error->message);
      return;
    }
  remove_next_old_key (g_steal_pointer (&replace));
}

static void
remove_next_old_key (ReplaceRecovery *replace)
{
  EntsecPreferencesWindow *self = replace->self;
  gint64 id;

  if (replace->old_ids->len == 0)
    {
      set_busy (self, FALSE);
      replace_recovery_free (replace);
      return;
    }
  id = g_array_index (replace->old_ids, gint64, 0);
  g_array_remove_index (replace->old_ids, 0);
  entsec_vault_remove_slot_async (self->vault, id, self->cancellable, old_key_removed, replace);
}

static void
recovery_added (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (ReplaceRecovery) replace = user_data;
  g_autoptr (GError) error = NULL;
  char *key = entsec_vault_add_recovery_slot_finish (ENTSEC_VAULT (source), result, &error);

  if (key == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      set_busy (replace->self, FALSE);
      toast (replace->self, error->message);
      return;
    }
  show_recovery_key (replace->self, key);
  /* The new key works: now the old ones go. */
  remove_next_old_key (g_steal_pointer (&replace));
}

static void
recovery_response (EntsecPreferencesWindow *self,
                   const char              *response)
{
  ReplaceRecovery *replace;

  if (g_strcmp0 (response, "new") != 0 || self->vault == NULL || self->busy)
    return;
  replace = g_new0 (ReplaceRecovery, 1);
  replace->self = g_object_ref (self);
  replace->old_ids = slot_ids (self->vault, ENTSEC_VAULT_SLOT_RECOVERY);
  set_busy (self, TRUE);
  entsec_vault_add_recovery_slot_async (self->vault, self->cancellable, recovery_added, replace);
}

static void
recovery_clicked (EntsecPreferencesWindow *self)
{
  AdwMessageDialog *dialog;

  if (self->vault == NULL || self->busy)
    return;
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (
    GTK_WINDOW (self), _("Make a New Recovery Key?"),
    slot_kinds (self->vault).recovery
    ? _("The new key replaces the old one, which stops working. The new key is shown once.")
    : _("The key opens your codes when the passphrase is forgotten or the keyring is lost. "
        "It is shown once.")));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "new", _("_Make Key"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "new", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "new");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (recovery_response), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static char *
clipboard_reason (const EntsecEnterprisePolicy *policy)
{
  if (!policy->allow_copy)
    return g_strdup (_("Your organization’s policy does not allow copying codes."));
  if (policy->clipboard_clear_after == 0)
    return g_strdup (_("Set by your organization’s policy: copied codes stay until the codes "
                       "lock."));
  return g_strdup_printf (g_dngettext (NULL,
                                       "Set by your organization’s policy: %u second.",
                                       "Set by your organization’s policy: %u seconds.",
                                       policy->clipboard_clear_after),
                          policy->clipboard_clear_after);
}

/* An organization's policy fixes the clipboard delay: the row shows its
 * value, insensitive, and says why; without a policy the setting comes back. */
static void
update_clipboard (EntsecPreferencesWindow *self)
{
  const EntsecEnterprisePolicy *policy = NULL;
  g_autofree char *reason = NULL;

  if (self->vault != NULL)
    policy = entsec_enterprise_state_get_policy (entsec_enterprise_state_get (self->vault));
  if (policy != NULL)
    {
      if (self->settings != NULL && !self->clipboard_fixed)
        g_settings_unbind (self->clipboard_seconds, "value");
      self->clipboard_fixed = TRUE;
      /* The policy's range (to an hour) is wider than the setting's. */
      gtk_adjustment_set_upper (self->clipboard_seconds,
                                MAX (gtk_adjustment_get_upper (self->clipboard_seconds),
                                     policy->clipboard_clear_after));
      gtk_adjustment_set_value (self->clipboard_seconds, policy->clipboard_clear_after);
      reason = clipboard_reason (policy);
      adw_action_row_set_subtitle (self->clipboard_row, reason);
      entsec_enterprise_explain_widget (self->clipboard_spin, FALSE, reason);
      return;
    }
  if (!self->clipboard_fixed)
    return;
  self->clipboard_fixed = FALSE;
  adw_action_row_set_subtitle (self->clipboard_row, self->clipboard_subtitle);
  entsec_enterprise_explain_widget (self->clipboard_spin, TRUE, NULL);
  if (self->settings != NULL)
    g_settings_bind (self->settings, "clipboard-clear-seconds", self->clipboard_seconds, "value",
                     G_SETTINGS_BIND_DEFAULT);
}

void
entsec_preferences_window_set_vault (EntsecPreferencesWindow *self,
                                     EntsecVault             *vault)
{
  g_return_if_fail (ENTSEC_IS_PREFERENCES_WINDOW (self));
  g_return_if_fail (vault == NULL || ENTSEC_IS_VAULT (vault));

  if (self->vault != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->vault, self);
      g_signal_handlers_disconnect_by_data (entsec_enterprise_state_get (self->vault), self);
    }
  g_set_object (&self->vault, vault);
  if (vault != NULL)
    {
      g_signal_connect_object (vault, "notify::locked", G_CALLBACK (update_security), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (entsec_enterprise_state_get (vault), "changed",
                               G_CALLBACK (update_clipboard), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (entsec_enterprise_state_get (vault), "changed",
                               G_CALLBACK (update_security), self, G_CONNECT_SWAPPED);
    }
  entsec_backup_group_set_vault (self->backup_group, vault);
  update_security (self);
  update_clipboard (self);
}

static void
entsec_preferences_window_dispose (GObject *object)
{
  EntsecPreferencesWindow *self = ENTSEC_PREFERENCES_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  if (self->vault != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->vault, self);
      g_signal_handlers_disconnect_by_data (entsec_enterprise_state_get (self->vault), self);
    }
  g_clear_object (&self->vault);
  g_clear_object (&self->settings);
  g_clear_pointer (&self->clipboard_subtitle, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), ENTSEC_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (entsec_preferences_window_parent_class)->dispose (object);
}

static void
entsec_preferences_window_class_init (EntsecPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  entsec_app_ensure_resources ();
  g_type_ensure (ENTSEC_TYPE_BACKUP_GROUP);

  object_class->dispose = entsec_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (
    widget_class, "/org/entsec/EnterpriseSecurity/entsec-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow, lock_minutes);
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow, clipboard_seconds);
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow, clipboard_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow, clipboard_spin);
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow, hide_codes_switch);
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow,
                                        organization_group);
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow, background_switch);
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow, style_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow, delete_group);
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow, security_group);
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow, always_ask_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow, always_ask_switch);
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow, passphrase_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow, passphrase_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow,
                                        remove_passphrase_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow, pin_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow, pin_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow, remove_pin_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow, recovery_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecPreferencesWindow, backup_group);
  gtk_widget_class_bind_template_callback (widget_class, toast);
  gtk_widget_class_bind_template_callback (widget_class, passphrase_clicked);
  gtk_widget_class_bind_template_callback (widget_class, remove_passphrase_clicked);
  gtk_widget_class_bind_template_callback (widget_class, pin_clicked);
  gtk_widget_class_bind_template_callback (widget_class, remove_pin_clicked);
  gtk_widget_class_bind_template_callback (widget_class, recovery_clicked);
  gtk_widget_class_bind_template_callback (widget_class, delete_clicked);
}

static void
entsec_preferences_window_init (EntsecPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->clipboard_subtitle = g_strdup (adw_action_row_get_subtitle (self->clipboard_row));
  update_security (self);
}

EntsecPreferencesWindow *
entsec_preferences_window_new (GtkWindow *parent,
                               GSettings *settings)
{
  EntsecPreferencesWindow *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (ENTSEC_TYPE_PREFERENCES_WINDOW, "transient-for", parent, "modal", TRUE,
                       NULL);
  self->settings = g_object_ref (settings);
  bind_settings (self);
  return self;
}
