/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-unlock-page.c: the quick-unlock PIN, passphrase, recovery key, or
 * the keyring again; under an enterprise policy, the wrong unlocks left, the
 * warning before the last one, the wait counted down, and why work accounts
 * went after the last one
 */

#define G_LOG_DOMAIN "entsec-unlock-page"

#include "config.h"

#include <glib/gi18n.h>

#include "entsec-a11y.h"
#include "entsec-application.h"
#include "entsec-pin-dialog.h"
#include "entsec-unlock-page.h"

struct _EntsecUnlockPage
{
  AdwBin         parent_instance;

  AdwStatusPage *status_page;
  GtkWidget     *secret_box;
  GtkEditable   *secret_row;
  GtkEntry      *pin_entry;
  GtkWidget     *use_passphrase_button;
  GtkLabel      *error_label;
  GtkLabel      *limit_label;
  GtkWidget     *unlock_button;
  GtkWidget     *spinner;

  EntsecVault   *vault;
  GCancellable  *cancellable;
  gboolean       has_passphrase;
  gboolean       has_recovery;
  gboolean       has_keyring;
  gboolean       has_pin;
  gboolean       pin_mode;    /* asking for the PIN, not the passphrase */
  gboolean       busy;
  gboolean       wiped;       /* a wrong unlock removed the work accounts */

  /* The policy's limit on wrong unlocks, as the vault last said. */
  EntsecVaultUnlockLimit limit;
  gint64               wait_until;  /* at the page's clock; 0: no wait */
  guint                countdown_id;
  EntsecVaultClockFunc clock;       /* NULL: the real clock */
  gpointer             clock_data;
};

G_DEFINE_FINAL_TYPE (EntsecUnlockPage, entsec_unlock_page, ADW_TYPE_BIN)

enum
{
  SIGNAL_UNLOCKED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gint64
page_now (EntsecUnlockPage *self)
{
  return self->clock != NULL ? self->clock (self->clock_data)
                             : g_get_real_time () / G_USEC_PER_SEC;
}

static gint64
wait_left (EntsecUnlockPage *self)
{
  return self->wait_until > 0 ? MAX (self->wait_until - page_now (self), 0) : 0;
}

static void
set_busy (EntsecUnlockPage *self,
          gboolean          busy)
{
  self->busy = busy;
  gtk_widget_set_visible (self->spinner, busy);
  gtk_widget_set_sensitive (self->unlock_button, !busy && wait_left (self) == 0);
  /* Read-only, not insensitive: GTK 4.8 loses the focus-out of a focused entry made
   * insensitive (a warning, fatal in the tests). */
  gtk_editable_set_editable (self->secret_row, !busy);
  gtk_editable_set_editable (GTK_EDITABLE (self->pin_entry), !busy);
  gtk_widget_set_sensitive (self->use_passphrase_button, !busy);
}

static void
show_error (EntsecUnlockPage *self,
            const char       *message)
{
  gtk_label_set_label (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

static GtkWidget *
secret_widget (EntsecUnlockPage *self)
{
  return self->pin_mode ? GTK_WIDGET (self->pin_entry) : GTK_WIDGET (self->secret_row);
}

/* Ask for the PIN (@pin) or for the passphrase: one entry shown, the other emptied. */
static void
set_pin_mode (EntsecUnlockPage *self,
              gboolean          pin)
{
  self->pin_mode = pin;
  gtk_editable_set_text (GTK_EDITABLE (self->pin_entry), "");
  gtk_editable_set_text (self->secret_row, "");
  /* The new entry takes the focus before the old one is hidden. */
  gtk_widget_set_visible (GTK_WIDGET (self->pin_entry), TRUE);
  gtk_widget_set_visible (self->secret_box, self->has_passphrase || self->has_recovery);
  gtk_widget_grab_focus (secret_widget (self));
  gtk_widget_set_visible (GTK_WIDGET (self->pin_entry), pin);
  gtk_widget_set_visible (self->use_passphrase_button, pin);
  gtk_widget_set_visible (self->secret_box, !pin && (self->has_passphrase || self->has_recovery));
  if (pin)
    adw_status_page_set_description (self->status_page,
                                     _("Enter your quick unlock PIN to show your codes."));
}

/* The PIN cannot be used (any more): the passphrase, and @why. */
static void
fall_back_to_passphrase (EntsecUnlockPage *self,
                         const char       *why)
{
  set_pin_mode (self, FALSE);
  adw_status_page_set_description (self->status_page,
                                   _("Enter your passphrase to show your codes."));
  show_error (self, why);
}

static const char *
locked_out_message (void)
{
  return _("Too many wrong PINs: the quick unlock PIN is off. Enter your passphrase; you can "
           "set a new PIN in Preferences.");
}

/* At the start the page cannot tell a used-up PIN from one whose keyring item is gone. */
static const char *
dead_pin_message (void)
{
  return _("The quick unlock PIN no longer works: it was entered wrong too many times, or its "
           "key is no longer in your keyring. Enter your passphrase; you can then set a new "
           "PIN.");
}

/* ---- A PIN that can never work again ---- */

static void
new_pin_done (EntsecUnlockPage *self,
              const char       *message)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (message));
}

static void
dead_pin_answered (EntsecUnlockPage *self,
                   const char       *response)
{
  EntsecPinDialog *dialog;

  if (g_strcmp0 (response, "set") != 0 || self->vault == NULL
      || !entsec_vault_is_unlocked (self->vault))
    return;
  dialog = entsec_pin_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                  self->vault);
  g_signal_connect_object (dialog, "done", G_CALLBACK (new_pin_done), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* The dead PIN slot is gone from the vault: why, and a new PIN offered. */
static void
offer_new_pin (EntsecUnlockPage *self)
{
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                   _("Quick Unlock PIN Turned Off"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("The PIN was entered wrong %d times in a row, or its key is "
                                    "no longer in your keyring, so it can never unlock your "
                                    "codes again and was removed. Set a new PIN to unlock "
                                    "quickly again."),
                                  ENTSEC_VAULT_PIN_MAX_ATTEMPTS);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "later", _("_Not Now"),
                                    "set", _("_Set New PIN"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "set",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "set");
  g_signal_connect_object (dialog, "response", G_CALLBACK (dead_pin_answered), self,
                           G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
dead_pin_checked (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (EntsecUnlockPage) self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean removed = FALSE;

  if (!entsec_vault_remove_dead_pin_slot_finish (ENTSEC_VAULT (source), result, &removed, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("The dead PIN slot could not be removed: %s", error->message);
      return;
    }
  if (removed)
    {
      self->has_pin = FALSE;
      offer_new_pin (self);
    }
}

/* ---- The policy's limit on wrong unlocks ---- */

/* "30 seconds", "2 minutes", "1 hour" (rounded up). */
static char *
format_wait (gint64 seconds)
{
  int n;

  if (seconds < 120)
    {
      n = (int) seconds;
      return g_strdup_printf (ngettext ("%d second", "%d seconds", n), n);
    }
  if (seconds < 7200)
    {
      n = (int) ((seconds + 59) / 60);
      return g_strdup_printf (ngettext ("%d minute", "%d minutes", n), n);
    }
  n = (int) ((seconds + 3599) / 3600);
  return g_strdup_printf (ngettext ("%d hour", "%d hours", n), n);
}

/* What the limit means now, or NULL: nothing to say (no policy, no wrong unlock yet). */
static char *
limit_message (EntsecUnlockPage *self)
{
  const EntsecVaultUnlockLimit *limit = &self->limit;
  g_autofree char *wait = NULL;
  gint64 left = wait_left (self);

  if (limit->action == ENTSEC_UNLOCK_LIMIT_NONE)
    return NULL;
  if (left > 0)
    {
      wait = format_wait (left);
      return g_strdup_printf (_("Too many wrong attempts. You can try again in %s."), wait);
    }
  if (limit->failed == 0)
    return NULL;
  if (limit->action == ENTSEC_UNLOCK_LIMIT_WIPE)
    {
      if (limit->attempts_left <= 1)
        return g_strdup (_("One more wrong attempt removes this device’s work accounts."));
      return g_strdup_printf (ngettext ("%u attempt left before this device’s work accounts are "
                                        "removed.",
                                        "%u attempts left before this device’s work accounts are "
                                        "removed.", limit->attempts_left),
                              limit->attempts_left);
    }
  if (limit->attempts_left > 1 || limit->next_wait == 0)
    return g_strdup_printf (ngettext ("%u attempt left before you have to wait.",
                                      "%u attempts left before you have to wait.",
                                      limit->attempts_left),
                            limit->attempts_left);
  wait = format_wait (limit->next_wait);
  return g_strdup_printf (_("One more wrong attempt and you will have to wait %s."), wait);
}

static void
show_limit (EntsecUnlockPage *self)
{
  g_autofree char *message = self->wiped ? NULL : limit_message (self);

  gtk_label_set_label (self->limit_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->limit_label), message != NULL);
  gtk_widget_set_sensitive (self->unlock_button, !self->busy && wait_left (self) == 0);
}

static void read_limit (EntsecUnlockPage *self);

static void
stop_countdown (EntsecUnlockPage *self)
{
  g_clear_handle_id (&self->countdown_id, g_source_remove);
}

gboolean
entsec_unlock_page_update_countdown (EntsecUnlockPage *self)
{
  g_return_val_if_fail (ENTSEC_IS_UNLOCK_PAGE (self), G_SOURCE_REMOVE);

  show_limit (self);
  if (wait_left (self) > 0)
    return G_SOURCE_CONTINUE;
  /* Over: what the next wrong one brings, as the vault says it now. (Removing
   * the source from its own callback is allowed; a test calls this directly.) */
  stop_countdown (self);
  self->wait_until = 0;
  read_limit (self);
  return G_SOURCE_REMOVE;
}

static gboolean
countdown_tick (gpointer user_data)
{
  return entsec_unlock_page_update_countdown (user_data);
}

static void
limit_read (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (EntsecUnlockPage) self = user_data;
  g_autoptr (GError) error = NULL;
  EntsecVaultUnlockLimit limit;

  if (!entsec_vault_get_unlock_limit_finish (ENTSEC_VAULT (source), result, &limit, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_info ("The unlock limit cannot be read: %s", error->message);
      return;
    }
  self->limit = limit;
  stop_countdown (self);
  self->wait_until = limit.wait > 0 ? page_now (self) + limit.wait : 0;
  if (limit.wait > 0)
    self->countdown_id = g_timeout_add_seconds (1, countdown_tick, self);
  show_limit (self);
}

static void
read_limit (EntsecUnlockPage *self)
{
  if (self->vault != NULL)
    entsec_vault_get_unlock_limit_async (self->vault, self->cancellable, limit_read,
                                         g_object_ref (self));
}

/* The last wrong unlock the policy allows removed the work accounts: say what and why. */
static void
show_wiped (EntsecUnlockPage *self)
{
  g_autofree char *why = NULL;
  guint max = self->limit.max_attempts;

  self->wiped = TRUE;
  if (max > 0)
    why = g_strdup_printf (ngettext ("A wrong passphrase or PIN was entered %u time in a row, "
                                     "which is as often as your organisation allows. This "
                                     "device’s work accounts, its work settings and its "
                                     "enrollment were removed. Your personal accounts are kept: "
                                     "unlock to see them, and ask your administrator to enroll "
                                     "this device again.",
                                     "A wrong passphrase or PIN was entered %u times in a row, "
                                     "which is as often as your organisation allows. This "
                                     "device’s work accounts, its work settings and its "
                                     "enrollment were removed. Your personal accounts are kept: "
                                     "unlock to see them, and ask your administrator to enroll "
                                     "this device again.", max), max);
  else
    why = g_strdup (_("A wrong passphrase or PIN was entered as often as your organisation "
                      "allows. This device’s work accounts, its work settings and its "
                      "enrollment were removed. Your personal accounts are kept: unlock to see "
                      "them, and ask your administrator to enroll this device again."));
  adw_status_page_set_title (self->status_page, _("Work Accounts Removed"));
  adw_status_page_set_description (self->status_page, why);
  show_error (self, NULL);
  self->limit = (EntsecVaultUnlockLimit) { 0 };
  show_limit (self);
}

/* After the unlock that follows a wipe: the page is back to normal; the
 * window's wipe notice (entsec-wipe-notice.c) says once what went and why,
 * as it does for a wipe made by another program or before a restart. */
static void
forget_wiped (EntsecUnlockPage *self)
{
  self->wiped = FALSE;
  adw_status_page_set_title (self->status_page, _("Locked"));
}

/*
 * A failed unlock the policy has something to say about: TRUE when it was
 * handled here (a wipe, a wait); otherwise the limit is read again for the
 * attempts left.
 */
static gboolean
limit_failure (EntsecUnlockPage *self,
               GError           *error)
{
  if (g_error_matches (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_UNLOCK_WIPED))
    {
      show_wiped (self);
      gtk_widget_grab_focus (secret_widget (self));
      return TRUE;
    }
  read_limit (self);
  if (g_error_matches (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_UNLOCK_DELAYED))
    {
      show_error (self, NULL);
      return TRUE;
    }
  return FALSE;
}

/* Every unlock ends here: the typed text is dropped whatever happened. */
static void
unlock_done (EntsecUnlockPage *self,
             gboolean          ok,
             GError           *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE);
  gtk_editable_set_text (self->secret_row, "");
  gtk_editable_set_text (GTK_EDITABLE (self->pin_entry), "");
  if (!ok)
    {
      if (!limit_failure (self, error))
        show_error (self, error->message);
      gtk_widget_grab_focus (secret_widget (self));
      return;
    }
  show_error (self, NULL);
  stop_countdown (self);
  if (self->wiped)
    forget_wiped (self);
  /* Unlocked another way while there is a PIN: it may be dead (lock-out, or
   * its keyring item gone); only now, with the data key, can it be removed. */
  if (self->has_pin && !self->pin_mode && !entsec_vault_is_read_only (self->vault))
    entsec_vault_remove_dead_pin_slot_async (self->vault, self->cancellable, dead_pin_checked,
                                             g_object_ref (self));
  g_signal_emit (self, signals[SIGNAL_UNLOCKED], 0);
}

static void
recovery_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (EntsecUnlockPage) self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean ok = entsec_vault_unlock_recovery_finish (ENTSEC_VAULT (source), result, &error);

  unlock_done (self, ok, error);
}

static void
passphrase_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (EntsecUnlockPage) self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean ok = entsec_vault_unlock_passphrase_finish (ENTSEC_VAULT (source), result, &error);

  /* The same text may be the recovery key. */
  if (!ok && self->has_recovery
      && g_error_matches (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE))
    {
      entsec_vault_unlock_recovery_async (self->vault, gtk_editable_get_text (self->secret_row),
                                          self->cancellable, recovery_done, g_object_ref (self));
      return;
    }
  unlock_done (self, ok, error);
}

static void
pin_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (EntsecUnlockPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *message = NULL;
  guint left = 0;
  gboolean ok = entsec_vault_unlock_pin_finish (ENTSEC_VAULT (source), result, &left, &error);

  if (ok || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      unlock_done (self, ok, error);
      return;
    }
  set_busy (self, FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->pin_entry), "");
  if (limit_failure (self, error))
    return;
  if (g_error_matches (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_PIN_LOCKED_OUT))
    fall_back_to_passphrase (self, locked_out_message ());
  else if (g_error_matches (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NEEDS_PASSPHRASE))
    fall_back_to_passphrase (self, _("The keyring cannot be used right now, so neither can the "
                                     "PIN. Enter your passphrase."));
  else
    {
      if (g_error_matches (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE))
        message = g_strdup_printf (ngettext ("Wrong PIN. %u attempt left before the passphrase "
                                             "is needed.",
                                             "Wrong PIN. %u attempts left before the passphrase "
                                             "is needed.", left), left);
      else if (g_error_matches (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID))
        message = g_strdup_printf (_("A PIN has %d to %d digits."), ENTSEC_VAULT_PIN_MIN_LENGTH,
                                   ENTSEC_VAULT_PIN_MAX_LENGTH);
      show_error (self, message != NULL ? message : error->message);
      gtk_widget_grab_focus (GTK_WIDGET (self->pin_entry));
    }
}

static void
keyring_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (EntsecUnlockPage) self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean ok = entsec_vault_unlock_keyring_finish (ENTSEC_VAULT (source), result, &error);

  unlock_done (self, ok, error);
}

static void
unlock_clicked (EntsecUnlockPage *self)
{
  const char *secret = gtk_editable_get_text (self->secret_row);

  if (self->busy || self->vault == NULL || wait_left (self) > 0)
    return;
  if (self->pin_mode)
    {
      secret = gtk_editable_get_text (GTK_EDITABLE (self->pin_entry));
      if (*secret == '\0')
        return;
      set_busy (self, TRUE);
      /* The PIN is copied by the call (and wiped after use). */
      entsec_vault_unlock_pin_async (self->vault, secret, strlen (secret), self->cancellable,
                                     pin_done, g_object_ref (self));
      return;
    }
  if (!self->has_passphrase && !self->has_recovery)
    {
      set_busy (self, TRUE);
      entsec_vault_unlock_keyring_async (self->vault, self->cancellable, keyring_done,
                                         g_object_ref (self));
      return;
    }
  if (*secret == '\0')
    return;
  set_busy (self, TRUE);
  if (self->has_passphrase)
    entsec_vault_unlock_passphrase_async (self->vault, secret, strlen (secret), self->cancellable,
                                          passphrase_done, g_object_ref (self));
  else
    entsec_vault_unlock_recovery_async (self->vault, secret, self->cancellable, recovery_done,
                                        g_object_ref (self));
}

static void
read_slots (EntsecUnlockPage *self)
{
  self->has_passphrase = entsec_app_vault_has_slot (self->vault, ENTSEC_VAULT_SLOT_PASSPHRASE);
  self->has_recovery = entsec_app_vault_has_slot (self->vault, ENTSEC_VAULT_SLOT_RECOVERY);
  self->has_keyring = entsec_app_vault_has_slot (self->vault, ENTSEC_VAULT_SLOT_KEYRING);
  /* A PIN slot never stands alone; the passphrase is the way out. */
  self->has_pin = self->has_passphrase
                  && entsec_app_vault_has_slot (self->vault, ENTSEC_VAULT_SLOT_PIN);
}

static void
use_passphrase_clicked (EntsecUnlockPage *self)
{
  if (self->busy)
    return;
  fall_back_to_passphrase (self, NULL);
}

/* Whether the PIN can be tried, and how often: asked once the page is up. */
static void
pin_status_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (EntsecUnlockPage) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *message = NULL;
  EntsecVaultPinStatus status = ENTSEC_VAULT_PIN_NONE;
  guint left = 0;

  if (!entsec_vault_get_pin_status_finish (ENTSEC_VAULT (source), result, &status, &left, &error)
      || !self->pin_mode || self->busy)
    return;
  if (status == ENTSEC_VAULT_PIN_LOCKED_OUT)
    fall_back_to_passphrase (self, dead_pin_message ());
  else if (status == ENTSEC_VAULT_PIN_UNAVAILABLE)
    fall_back_to_passphrase (self, _("The keyring is locked or missing, so the PIN cannot be "
                                     "used. Enter your passphrase."));
  else if (status == ENTSEC_VAULT_PIN_READY && left < ENTSEC_VAULT_PIN_MAX_ATTEMPTS)
    {
      message = g_strdup_printf (ngettext ("%u PIN attempt left before the passphrase is "
                                           "needed.",
                                           "%u PIN attempts left before the passphrase is "
                                           "needed.", left), left);
      show_error (self, message);
    }
}

static const char *
secret_title (EntsecUnlockPage *self)
{
  if (self->has_passphrase && self->has_recovery)
    return _("Passphrase or Recovery Key");
  if (self->has_passphrase)
    return _("Passphrase");
  return _("Recovery Key");
}

void
entsec_unlock_page_prepare (EntsecUnlockPage *self,
                            EntsecVault      *vault,
                            const char       *reason,
                            GCancellable     *cancellable)
{
  gboolean asks_secret;

  g_return_if_fail (ENTSEC_IS_UNLOCK_PAGE (self));
  g_return_if_fail (ENTSEC_IS_VAULT (vault));

  g_set_object (&self->vault, vault);
  g_set_object (&self->cancellable, cancellable);
  stop_countdown (self);
  self->wait_until = 0;
  self->limit = (EntsecVaultUnlockLimit) { 0 };
  read_slots (self);
  asks_secret = self->has_passphrase || self->has_recovery;
  set_busy (self, FALSE);
  show_error (self, NULL);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->secret_row), secret_title (self));
  set_pin_mode (self, self->has_pin);
  /* In PIN mode set_pin_mode() has said what to enter. */
  if (reason != NULL)
    adw_status_page_set_description (self->status_page, reason);
  else if (!self->has_pin)
    adw_status_page_set_description (self->status_page,
                                     asks_secret ? _("Enter your passphrase to show your codes.")
                                                 : _("Your keyring opens your codes again."));
  if (self->has_pin)
    entsec_vault_get_pin_status_async (vault, cancellable, pin_status_done, g_object_ref (self));
  show_limit (self);
  read_limit (self);
}

void
entsec_unlock_page_set_clock (EntsecUnlockPage    *self,
                              EntsecVaultClockFunc clock,
                              gpointer             user_data)
{
  g_return_if_fail (ENTSEC_IS_UNLOCK_PAGE (self));

  self->clock = clock;
  self->clock_data = user_data;
}

static void
entsec_unlock_page_dispose (GObject *object)
{
  EntsecUnlockPage *self = ENTSEC_UNLOCK_PAGE (object);

  stop_countdown (self);
  gtk_widget_dispose_template (GTK_WIDGET (self), ENTSEC_TYPE_UNLOCK_PAGE);
  g_clear_object (&self->vault);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (entsec_unlock_page_parent_class)->dispose (object);
}

static void
entsec_unlock_page_class_init (EntsecUnlockPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  entsec_app_ensure_resources ();

  object_class->dispose = entsec_unlock_page_dispose;

  /* EntsecUnlockPage::unlocked: the vault is open. */
  signals[SIGNAL_UNLOCKED] = g_signal_new ("unlocked", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/entsec/EnterpriseSecurity/entsec-unlock-page.ui");
  gtk_widget_class_bind_template_child (widget_class, EntsecUnlockPage, status_page);
  gtk_widget_class_bind_template_child (widget_class, EntsecUnlockPage, secret_box);
  gtk_widget_class_bind_template_child (widget_class, EntsecUnlockPage, secret_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecUnlockPage, pin_entry);
  gtk_widget_class_bind_template_child (widget_class, EntsecUnlockPage, use_passphrase_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecUnlockPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, EntsecUnlockPage, limit_label);
  gtk_widget_class_bind_template_child (widget_class, EntsecUnlockPage, unlock_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecUnlockPage, spinner);
  gtk_widget_class_bind_template_callback (widget_class, unlock_clicked);
  gtk_widget_class_bind_template_callback (widget_class, use_passphrase_clicked);
}

static void
entsec_unlock_page_init (EntsecUnlockPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  entsec_a11y_name_peek_button (ADW_PASSWORD_ENTRY_ROW (self->secret_row));
}
