/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-backup-group.c: the preferences' Backup group. Exports are
 * encrypted with a backup passphrase (docs/backup-format.md) or, after a
 * warning, plain otpauth:// lines; both need the vault passphrase again when
 * the vault has one (else its recovery key, if it has one), as entsec-cli
 * export does. Imports add all or nothing
 * and skip the accounts the vault has already. */

#define G_LOG_DOMAIN "entsec-backup-group"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "entsec-a11y.h"
#include "entsec-application.h"
#include "entsec-backup-group.h"
#include "entsec-enterprise-state.h"
#include "entsec-passphrase-dialog.h"

struct _EntsecBackupGroup
{
  AdwPreferencesGroup parent_instance;

  GtkWidget          *export_row;
  GtkWidget          *import_row;
  GtkWidget          *plain_row;
  /* The rows' subtitles, shown again when the policy allows what they do. */
  char               *export_subtitle;
  char               *plain_subtitle;
  char               *import_subtitle;

  EntsecVault        *vault;
  GCancellable       *cancellable;
  AdwMessageDialog   *prompt;
  EntsecKdfParams     kdf;
  gboolean            has_kdf;
  gboolean            busy;
};

G_DEFINE_FINAL_TYPE (EntsecBackupGroup, entsec_backup_group, ADW_TYPE_PREFERENCES_GROUP)

enum
{
  PROP_0,
  PROP_BUSY,
  N_PROPS
};

enum
{
  SIGNAL_TOAST,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* One export or import, from the file chooser to the toast. */
typedef struct
{
  EntsecBackupGroup  *self;
  EntsecVault        *vault;
  char               *path;
  gboolean            import;
  gboolean            plain;
  EntsecImportFormat  format;
  gboolean            encrypted;
  GBytes             *data;
  EntsecImportResult *result;
  GPtrArray          *accounts;
  char               *vault_passphrase;
  gboolean            by_recovery_key;
  char               *secret;
} Job;

static void
job_free (Job *job)
{
  g_clear_object (&job->self);
  g_clear_object (&job->vault);
  g_free (job->path);
  g_clear_pointer (&job->data, g_bytes_unref);
  g_clear_pointer (&job->result, entsec_import_result_free);
  g_clear_pointer (&job->accounts, g_ptr_array_unref);
  g_clear_pointer (&job->vault_passphrase, entsec_secure_strfree);
  g_clear_pointer (&job->secret, entsec_secure_strfree);
  g_free (job);
}

/* An organization's policy greys a row out and says why in its subtitle
 * (and accessible description) instead of hiding it. */
static gboolean
explain_row (EntsecBackupGroup *self,
             GtkWidget         *row,
             const char        *subtitle,
             const char        *what)
{
  g_autofree char *reason = NULL;
  gboolean allowed = self->vault == NULL
                     || entsec_enterprise_state_allows (entsec_enterprise_state_get (self->vault),
                                                        what, &reason);

  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), allowed ? subtitle : reason);
  entsec_enterprise_explain_widget (row, allowed, reason);
  return allowed;
}

static void
update_rows (EntsecBackupGroup *self)
{
  gboolean usable = self->vault != NULL && !self->busy && entsec_vault_is_unlocked (self->vault);
  gboolean export = explain_row (self, self->export_row, self->export_subtitle, "export");
  gboolean import = explain_row (self, self->import_row, self->import_subtitle,
                                 "migration-import");

  explain_row (self, self->plain_row, self->plain_subtitle, "export");
  gtk_widget_set_visible (GTK_WIDGET (self), self->vault != NULL);
  gtk_widget_set_sensitive (self->export_row, usable && export);
  gtk_widget_set_sensitive (self->plain_row, usable && export);
  gtk_widget_set_sensitive (self->import_row,
                            usable && import && !entsec_vault_is_read_only (self->vault));
}

static void
set_busy (EntsecBackupGroup *self,
          gboolean           busy)
{
  self->busy = busy;
  update_rows (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BUSY]);
}

/* The end of @job: @message (nullable) as a toast. */
static void
job_finish (Job        *job,
            const char *message)
{
  EntsecBackupGroup *self = g_object_ref (job->self);

  job_free (job);
  set_busy (self, FALSE);
  if (message != NULL)
    g_signal_emit (self, signals[SIGNAL_TOAST], 0, message);
  g_object_unref (self);
}

/* FALSE (and @job freed quietly) when @error is a cancellation: the group went away. */
static gboolean
job_continues (Job          *job,
               const GError *error)
{
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return TRUE;
  job_free (job);
  return FALSE;
}

/* ---- Asking for passphrases ---------------------------------------------- */

typedef struct
{
  GtkEditable *vault_row;
  GtkEditable *secret_row;
  GtkEditable *confirm_row;
  GtkLevelBar *strength_bar;
  GtkLabel    *hint_label;
  const char  *missing;
  const char  *vault_missing;
  Job         *job;
  void       (*next) (Job *job);
} Prompt;

typedef void (*PromptNext) (Job *job);

static void
prompt_free (Prompt *prompt)
{
  g_clear_pointer (&prompt->job, job_free);
  g_free (prompt);
}

/* Why the prompt cannot go on yet, or NULL (and *@note, when the passphrase was not rated). */
static char *
prompt_problem (Prompt *prompt,
                char  **note)
{
  guint score = 0;
  char *problem = NULL;

  if (prompt->confirm_row != NULL)
    {
      problem = entsec_passphrase_problem (gtk_editable_get_text (prompt->secret_row),
                                           gtk_editable_get_text (prompt->confirm_row), &score,
                                           note);
      gtk_level_bar_set_value (prompt->strength_bar, score);
    }
  else if (prompt->secret_row != NULL && *gtk_editable_get_text (prompt->secret_row) == '\0')
    problem = g_strdup (prompt->missing);
  if (problem == NULL && prompt->vault_row != NULL
      && *gtk_editable_get_text (prompt->vault_row) == '\0')
    problem = g_strdup (prompt->vault_missing);
  return problem;
}

static void
prompt_update (AdwMessageDialog *dialog)
{
  Prompt *prompt = g_object_get_data (G_OBJECT (dialog), "entsec-prompt");
  g_autofree char *note = NULL;
  g_autofree char *problem = prompt_problem (prompt, &note);

  gtk_label_set_label (prompt->hint_label, problem != NULL ? problem : note != NULL ? note : "");
  adw_message_dialog_set_response_enabled (dialog, "go", problem == NULL);
}

static void
prompt_activated (AdwMessageDialog *dialog)
{
  Prompt *prompt = g_object_get_data (G_OBJECT (dialog), "entsec-prompt");
  g_autofree char *problem = prompt_problem (prompt, NULL);

  if (problem != NULL)
    return;
  adw_message_dialog_response (dialog, "go");
  gtk_window_close (GTK_WINDOW (dialog));
}

/* Empty @row at once (GtkEditable text cannot be wiped in place). */
static void
clear_text (GtkEditable *row)
{
  if (row != NULL)
    gtk_editable_set_text (row, "");
}

/* A copy of the row's text (free with entsec_secure_strfree()); the row is emptied. */
static char *
take_text (GtkEditable *row)
{
  char *text;

  if (row == NULL)
    return NULL;
  text = g_strdup (gtk_editable_get_text (row));
  clear_text (row);
  return text;
}

static void
prompt_response (AdwMessageDialog *dialog,
                 const char       *response)
{
  Prompt *prompt = g_object_get_data (G_OBJECT (dialog), "entsec-prompt");
  Job *job = g_steal_pointer (&prompt->job);
  g_autofree char *problem = NULL;

  if (job == NULL)
    return;
  /* libadwaita 1.2's entry rows must not hold the focus while the dialog is destroyed. */
  gtk_window_set_focus (GTK_WINDOW (dialog), NULL);
  if (job->self->prompt == dialog)
    job->self->prompt = NULL;
  problem = prompt_problem (prompt, NULL);
  if (g_strcmp0 (response, "go") != 0 || problem != NULL)
    {
      clear_text (prompt->vault_row);
      clear_text (prompt->secret_row);
      clear_text (prompt->confirm_row);
      job_finish (job, NULL);
      return;
    }
  job->vault_passphrase = take_text (prompt->vault_row);
  job->secret = take_text (prompt->secret_row);
  clear_text (prompt->confirm_row);
  prompt->next (job);
}

static GtkEditable *
add_password_row (GtkWidget  *list,
                  const char *title,
                  const char *name)
{
  GtkWidget *row = adw_password_entry_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  gtk_widget_set_name (row, name);
  gtk_list_box_append (GTK_LIST_BOX (list), row);
  entsec_a11y_name_peek_button (ADW_PASSWORD_ENTRY_ROW (row));
  return GTK_EDITABLE (row);
}

/*
 * A dialog over the preferences asking for the vault passphrase (when
 * @vault_passphrase), a secret titled @secret_title (nullable), typed twice
 * and rated when @new_secret. "go" (labelled @go_label) is enabled once the
 * rows are complete; it hands @job to @next with the texts taken out.
 */
static void
prompt_show (Job        *job,
             const char *heading,
             const char *body,
             const char *go_label,
             gboolean    vault_passphrase,
             const char *secret_title,
             gboolean    new_secret,
             PromptNext  next)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (job->self));
  AdwMessageDialog *dialog;
  GtkWidget *box, *list;
  Prompt *prompt = g_new0 (Prompt, 1);

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root)
                                                                             : NULL,
                                                       heading, body));
  gtk_window_set_destroy_with_parent (GTK_WINDOW (dialog), TRUE);
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (list, "boxed-list");
  gtk_box_append (GTK_BOX (box), list);
  if (vault_passphrase)
    prompt->vault_row = add_password_row (list, job->by_recovery_key ? _("Recovery Key")
                                                                     : _("Vault Passphrase"),
                                          "vault-passphrase");
  if (secret_title != NULL)
    prompt->secret_row = add_password_row (list, secret_title, "secret");
  if (new_secret)
    {
      prompt->confirm_row = add_password_row (list, _("Confirm Backup Passphrase"), "confirm");
      prompt->strength_bar = GTK_LEVEL_BAR (gtk_level_bar_new_for_interval (0, 100));
      gtk_accessible_update_property (GTK_ACCESSIBLE (prompt->strength_bar),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Strength of the backup passphrase"), -1);
      gtk_box_append (GTK_BOX (box), GTK_WIDGET (prompt->strength_bar));
    }
  prompt->hint_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_widget_set_name (GTK_WIDGET (prompt->hint_label), "hint");
  gtk_label_set_wrap (prompt->hint_label, TRUE);
  gtk_label_set_xalign (prompt->hint_label, 0);
  gtk_widget_add_css_class (GTK_WIDGET (prompt->hint_label), "caption");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (prompt->hint_label));
  adw_message_dialog_set_extra_child (dialog, box);
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "go", go_label, NULL);
  adw_message_dialog_set_response_appearance (dialog, "go", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "go");
  adw_message_dialog_set_close_response (dialog, "cancel");
  prompt->missing = job->format == ENTSEC_IMPORT_FORMAT_AEGIS
                    ? _("Enter the password the Aegis export was made with.")
                    : _("Enter the passphrase the backup was made with.");
  prompt->vault_missing = job->by_recovery_key ? _("Enter the recovery key of your codes.")
                                               : _("Enter the vault passphrase.");
  prompt->job = job;
  prompt->next = next;
  g_object_set_data_full (G_OBJECT (dialog), "entsec-prompt", prompt,
                          (GDestroyNotify) prompt_free);
  for (GtkWidget *row = gtk_widget_get_first_child (list); row != NULL;
       row = gtk_widget_get_next_sibling (row))
    {
      g_signal_connect_object (row, "changed", G_CALLBACK (prompt_update), dialog,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (row, "entry-activated", G_CALLBACK (prompt_activated), dialog,
                               G_CONNECT_SWAPPED);
    }
  g_signal_connect (dialog, "response", G_CALLBACK (prompt_response), NULL);
  prompt_update (dialog);
  job->self->prompt = dialog;
  gtk_window_present (GTK_WINDOW (dialog));
}

/* ---- Export ------------------------------------------------------------------ */

static void
export_written (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Job *job = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) quarantined = NULL;
  g_autofree char *exported = NULL;
  g_autofree char *message = NULL;

  if (!entsec_backup_write_file_finish (result, &error))
    {
      if (job_continues (job, error))
        job_finish (job, error->message);
      return;
    }
  exported = g_strdup_printf (g_dngettext (NULL, "Exported %u account", "Exported %u accounts",
                                           job->accounts->len),
                              job->accounts->len);
  /* As entsec-cli export says: accounts that cannot be decrypted are not in the file. */
  quarantined = entsec_vault_list_quarantined (job->vault);
  if (quarantined->len == 0)
    message = g_steal_pointer (&exported);
  else
    /* Translators: "Exported 3 accounts; 1 could not be decrypted and was left out" */
    message = g_strdup_printf (g_dngettext (NULL, "%s; %u could not be decrypted and was left out",
                                            "%s; %u could not be decrypted and were left out",
                                            quarantined->len),
                               exported, quarantined->len);
  job_finish (job, message);
}

static void
export_write (Job    *job,
              GBytes *data)
{
  entsec_backup_write_file_async (job->path, data, job->self->cancellable, export_written, job);
}

static void
export_encrypted (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Job *job = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) data = entsec_backup_export_finish (result, &error);

  if (data == NULL)
    {
      if (job_continues (job, error))
        job_finish (job, error->message);
      return;
    }
  export_write (job, data);
}

static void
wipe_text (gpointer text)
{
  entsec_secure_strfree (text);
}

static void
export_collected (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Job *job = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) data = NULL;
  char *text;

  job->accounts = g_task_propagate_pointer (G_TASK (result), &error);
  if (job->accounts == NULL)
    {
      if (job_continues (job, error))
        job_finish (job, error->message);
      return;
    }
  if (!job->plain)
    {
      entsec_backup_export_async (job->accounts, job->secret, strlen (job->secret),
                                  job->self->has_kdf ? &job->self->kdf : NULL,
                                  job->self->cancellable, export_encrypted, job);
      return;
    }
  text = entsec_backup_export_uris (job->accounts);
  data = g_bytes_new_with_free_func (text, strlen (text), wipe_text, text);
  export_write (job, data);
}

static void
collect_worker (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  Job *job = task_data;
  GError *error = NULL;
  GPtrArray *accounts = entsec_vault_export_accounts_sync (job->vault, cancellable, &error);

  if (accounts == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, accounts, (GDestroyNotify) g_ptr_array_unref);
}

/* Every account with its secret, read off the main thread (the vault may catch up on disk). */
static void
export_collect (Job *job)
{
  g_autoptr (GTask) task = g_task_new (NULL, job->self->cancellable, export_collected, job);

  g_task_set_task_data (task, job, NULL);
  g_task_run_in_thread (task, collect_worker);
}

static void
vault_passphrase_checked (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  Job *job = user_data;
  g_autoptr (EntsecVault) check = ENTSEC_VAULT (source);
  g_autoptr (GError) error = NULL;
  gboolean ok = job->by_recovery_key
                ? entsec_vault_unlock_recovery_finish (check, result, &error)
                : entsec_vault_unlock_passphrase_finish (check, result, &error);

  if (ok)
    export_collect (job);
  else if (!job_continues (job, error))
    return;
  else if (!g_error_matches (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE))
    job_finish (job, error->message);
  else if (job->by_recovery_key)
    job_finish (job, _("The recovery key is wrong: nothing was exported. Try again."));
  else
    job_finish (job, _("The vault passphrase is wrong: nothing was exported. Try again."));
}

static void
check_copy_opened (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Job *job = user_data;
  g_autoptr (GError) error = NULL;
  EntsecVault *check = entsec_vault_open_finish (result, &error);

  if (check == NULL)
    {
      if (job_continues (job, error))
        job_finish (job, error->message);
      return;
    }
  /* The open vault is unlocked already: the passphrase is checked on a
   * second, locked copy of the same file (its keys are wiped as it goes). */
  if (job->by_recovery_key)
    entsec_vault_unlock_recovery_async (check, job->vault_passphrase, job->self->cancellable,
                                        vault_passphrase_checked, job);
  else
    entsec_vault_unlock_passphrase_async (check, job->vault_passphrase,
                                          strlen (job->vault_passphrase), job->self->cancellable,
                                          vault_passphrase_checked, job);
}

static void
export_prompted (Job *job)
{
  if (job->vault_passphrase == NULL)
    {
      export_collect (job);
      return;
    }
  entsec_vault_open_async (entsec_vault_get_path (job->vault), job->self->cancellable,
                           check_copy_opened, job);
}

static Job *
job_new (EntsecBackupGroup *self,
         const char        *path)
{
  Job *job = g_new0 (Job, 1);

  job->self = g_object_ref (self);
  job->vault = g_object_ref (self->vault);
  job->path = g_strdup (path);
  set_busy (self, TRUE);
  return job;
}

void
entsec_backup_group_export_file (EntsecBackupGroup *self,
                                 const char        *path,
                                 gboolean           plain)
{
  gboolean ask_vault;
  Job *job;

  g_return_if_fail (ENTSEC_IS_BACKUP_GROUP (self));
  g_return_if_fail (path != NULL);

  if (self->vault == NULL || self->busy)
    return;
  if (entsec_vault_path_is_vault_file (entsec_vault_get_path (self->vault), path))
    {
      g_signal_emit (self, signals[SIGNAL_TOAST], 0,
                     _("That file holds your codes themselves: save the backup under another "
                       "name"));
      return;
    }
  job = job_new (self, path);
  job->plain = plain;
  /* Like entsec-cli export: the passphrase, or the recovery key when that is the only
   * secret slot; a keyring-only vault exports with the keyring alone. */
  ask_vault = entsec_app_vault_has_slot (self->vault, ENTSEC_VAULT_SLOT_PASSPHRASE);
  job->by_recovery_key = !ask_vault
                         && entsec_app_vault_has_slot (self->vault, ENTSEC_VAULT_SLOT_RECOVERY);
  ask_vault |= job->by_recovery_key;
  if (plain)
    prompt_show (job, _("Export Unencrypted?"),
                 _("The file will hold every secret in plain text: anyone who reads it can "
                   "make your codes. Keep it off shared folders and delete it when done. "
                   "An encrypted backup is safer."),
                 _("_Export Unencrypted"), ask_vault, NULL, FALSE, export_prompted);
  else
    prompt_show (job, _("Encrypt the Backup"),
                 _("Choose a passphrase for this backup. It is needed to import the backup "
                   "and cannot be recovered."),
                 _("_Export"), ask_vault, _("Backup Passphrase"), TRUE, export_prompted);
  if (plain && !ask_vault)
    adw_message_dialog_set_response_appearance (self->prompt, "go", ADW_RESPONSE_DESTRUCTIVE);
}

/* ---- Import ------------------------------------------------------------------ */

static void
accounts_added (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Job *job = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GArray) ids = NULL;
  g_autoptr (GPtrArray) skipped = NULL;
  g_autofree char *added_text = NULL;
  g_autofree char *message = NULL;

  if (!entsec_vault_add_accounts_finish (ENTSEC_VAULT (source), result, &ids, &skipped, &error))
    {
      if (job_continues (job, error))
        job_finish (job, error->message);
      return;
    }
  added_text = g_strdup_printf (g_dngettext (NULL, "Added %u account", "Added %u accounts",
                                             ids->len),
                                ids->len);
  if (skipped == NULL || skipped->len == 0)
    message = g_steal_pointer (&added_text);
  else
    /* Translators: "Added 3 accounts, skipped 2 duplicates" */
    message = g_strdup_printf (g_dngettext (NULL, "%s, skipped %u duplicate",
                                            "%s, skipped %u duplicates", skipped->len),
                               added_text, skipped->len);
  job_finish (job, message);
}

/* All or nothing: any unreadable entry leaves the vault as it was. */
static void
import_add (Job *job)
{
  EntsecImportResult *result = job->result;
  g_autofree char *message = NULL;

  if (result->errors->len > 0)
    {
      message = g_strdup_printf (
        g_dngettext (NULL, "%u entry could not be read, so nothing was imported: %s",
                     "%u entries could not be read, so nothing was imported: %s",
                     result->errors->len),
        result->errors->len, ((GError *) g_ptr_array_index (result->errors, 0))->message);
      job_finish (job, message);
      return;
    }
  if (result->accounts->len == 0)
    {
      job_finish (job, _("The file holds no accounts"));
      return;
    }
  entsec_vault_add_accounts_async (job->vault, result->accounts, ENTSEC_VAULT_ADD_SKIP_DUPLICATES,
                                   job->self->cancellable, accounts_added, job);
}

/* The message for a failed decryption: a wrong passphrase said as such. */
static void
import_failed (Job          *job,
               const GError *error)
{
  if (!g_error_matches (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_PASSPHRASE))
    job_finish (job, error->message);
  else if (job->format == ENTSEC_IMPORT_FORMAT_AEGIS)
    job_finish (job, _("The Aegis password is wrong, or the file is damaged: nothing was "
                       "imported. Try again with the password of the export."));
  else
    job_finish (job, _("The backup passphrase is wrong, or the file is damaged: nothing was "
                       "imported. Try again with the passphrase the backup was made with."));
}

static void
backup_decrypted (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Job *job = user_data;
  g_autoptr (GError) error = NULL;
  GPtrArray *accounts = entsec_backup_import_finish (result, &error);

  if (accounts == NULL)
    {
      if (job_continues (job, error))
        import_failed (job, error);
      return;
    }
  job->result = g_new0 (EntsecImportResult, 1);
  job->result->accounts = accounts;
  job->result->errors = g_ptr_array_new_with_free_func ((GDestroyNotify) g_error_free);
  import_add (job);
}

static void
aegis_decrypted (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Job *job = user_data;
  g_autoptr (GError) error = NULL;

  job->result = entsec_aegis_import_finish (result, &error);
  if (job->result != NULL)
    import_add (job);
  else if (job_continues (job, error))
    import_failed (job, error);
}

static void
import_prompted (Job *job)
{
  if (job->format == ENTSEC_IMPORT_FORMAT_AEGIS)
    entsec_aegis_import_async (job->data, job->secret, strlen (job->secret),
                               job->self->cancellable, aegis_decrypted, job);
  else
    entsec_backup_import_async (job->data, job->secret, strlen (job->secret),
                                job->self->cancellable, backup_decrypted, job);
}

/* Read, detect and (when no password is needed) parse: no KDF here. */
static void
read_worker (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  Job *job = task_data;
  GError *error = NULL;

  job->data = entsec_backup_read_file_sync (job->path, cancellable, &error);
  if (job->data != NULL)
    job->format = entsec_import_detect_format (job->data);
  if (job->data == NULL)
    ;
  else if (job->format == ENTSEC_IMPORT_FORMAT_URIS)
    job->result = entsec_backup_import_uris (job->data, &error);
  else if (job->format == ENTSEC_IMPORT_FORMAT_AEGIS
           && entsec_aegis_is_encrypted (job->data, &job->encrypted, &error)
           && !job->encrypted)
    job->result = entsec_aegis_import_sync (job->data, NULL, 0, cancellable, &error);
  else if (job->format == ENTSEC_IMPORT_FORMAT_UNKNOWN)
    g_set_error_literal (&error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_FORMAT,
                         _("The file is not an Enterprise Security backup, a list of otpauth:// "
                           "links or an Aegis export. Choose one of those."));
  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
import_read (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Job *job = user_data;
  g_autoptr (GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (job_continues (job, error))
        job_finish (job, error->message);
      return;
    }
  if (job->result != NULL)
    import_add (job);
  else if (job->format == ENTSEC_IMPORT_FORMAT_AEGIS)
    prompt_show (job, _("Encrypted Aegis Export"),
                 _("Enter the password this export was made with in Aegis."), _("_Import"),
                 FALSE, _("Aegis Password"), FALSE, import_prompted);
  else
    prompt_show (job, _("Encrypted Backup"),
                 _("Enter the passphrase this backup was made with."), _("_Import"), FALSE,
                 _("Backup Passphrase"), FALSE, import_prompted);
}

void
entsec_backup_group_import_file (EntsecBackupGroup *self,
                                 const char        *path)
{
  g_autoptr (GTask) task = NULL;
  Job *job;

  g_return_if_fail (ENTSEC_IS_BACKUP_GROUP (self));
  g_return_if_fail (path != NULL);

  if (self->vault == NULL || self->busy)
    return;
  job = job_new (self, path);
  job->import = TRUE;
  task = g_task_new (NULL, self->cancellable, import_read, job);
  g_task_set_task_data (task, job, NULL);
  g_task_run_in_thread (task, read_worker);
}

/* ---- File choosers ------------------------------------------------------------ */

static void
chooser_response (GtkNativeDialog *chooser,
                  int              response,
                  gpointer         user_data)
{
  g_autoptr (EntsecBackupGroup) self = user_data;
  const char *kind = g_object_get_data (G_OBJECT (chooser), "entsec-kind");
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    path = g_file_get_path (file);
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  if (file == NULL)
    return;
  if (path == NULL)
    g_signal_emit (self, signals[SIGNAL_TOAST], 0,
                   _("Choose a file on this computer"));
  else if (g_strcmp0 (kind, "import") == 0)
    entsec_backup_group_import_file (self, path);
  else
    entsec_backup_group_export_file (self, path, g_strcmp0 (kind, "plain") == 0);
}

static void
choose_file (EntsecBackupGroup *self,
             const char        *kind,
             const char        *title,
             const char        *accept,
             const char        *name)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *chooser;

  if (self->vault == NULL || self->busy)
    return;
  chooser = gtk_file_chooser_native_new (title, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                         name != NULL ? GTK_FILE_CHOOSER_ACTION_SAVE
                                                      : GTK_FILE_CHOOSER_ACTION_OPEN,
                                         accept, _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  if (name != NULL)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_object_set_data (G_OBJECT (chooser), "entsec-kind", (gpointer) kind);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_response), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
export_clicked (EntsecBackupGroup *self)
{
  choose_file (self, "export", _("Save the Encrypted Backup"), _("_Save"),
               _("enterprise-security-backup.entsec"));
}

static void
plain_clicked (EntsecBackupGroup *self)
{
  choose_file (self, "plain", _("Save the Unencrypted Export"), _("_Save"),
               _("enterprise-security-accounts.txt"));
}

static void
import_clicked (EntsecBackupGroup *self)
{
  choose_file (self, "import", _("Import Accounts"), _("_Open"), NULL);
}

/* ---- The object -------------------------------------------------------------- */

void
entsec_backup_group_set_vault (EntsecBackupGroup *self,
                               EntsecVault       *vault)
{
  g_return_if_fail (ENTSEC_IS_BACKUP_GROUP (self));
  g_return_if_fail (vault == NULL || ENTSEC_IS_VAULT (vault));

  if (self->vault != NULL)
    g_signal_handlers_disconnect_by_data (self->vault, self);
  if (self->vault != NULL)
    g_signal_handlers_disconnect_by_data (entsec_enterprise_state_get (self->vault), self);
  g_set_object (&self->vault, vault);
  if (vault != NULL)
    {
      g_signal_connect_object (vault, "notify::locked", G_CALLBACK (update_rows), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (entsec_enterprise_state_get (vault), "changed",
                               G_CALLBACK (update_rows), self, G_CONNECT_SWAPPED);
    }
  update_rows (self);
}

void
entsec_backup_group_set_kdf (EntsecBackupGroup     *self,
                             const EntsecKdfParams *kdf)
{
  g_return_if_fail (ENTSEC_IS_BACKUP_GROUP (self));

  self->has_kdf = kdf != NULL;
  if (kdf != NULL)
    self->kdf = *kdf;
}

AdwMessageDialog *
entsec_backup_group_get_prompt (EntsecBackupGroup *self)
{
  g_return_val_if_fail (ENTSEC_IS_BACKUP_GROUP (self), NULL);

  return self->prompt;
}

gboolean
entsec_backup_group_get_busy (EntsecBackupGroup *self)
{
  g_return_val_if_fail (ENTSEC_IS_BACKUP_GROUP (self), FALSE);

  return self->busy;
}

static void
entsec_backup_group_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  EntsecBackupGroup *self = ENTSEC_BACKUP_GROUP (object);

  switch (prop_id)
    {
    case PROP_BUSY:
      g_value_set_boolean (value, self->busy);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
entsec_backup_group_dispose (GObject *object)
{
  EntsecBackupGroup *self = ENTSEC_BACKUP_GROUP (object);

  g_cancellable_cancel (self->cancellable);
  if (self->prompt != NULL)
    gtk_window_destroy (GTK_WINDOW (g_steal_pointer (&self->prompt)));
  if (self->vault != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->vault, self);
      g_signal_handlers_disconnect_by_data (entsec_enterprise_state_get (self->vault), self);
    }
  g_clear_object (&self->vault);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->export_subtitle, g_free);
  g_clear_pointer (&self->plain_subtitle, g_free);
  g_clear_pointer (&self->import_subtitle, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), ENTSEC_TYPE_BACKUP_GROUP);

  G_OBJECT_CLASS (entsec_backup_group_parent_class)->dispose (object);
}

static void
entsec_backup_group_class_init (EntsecBackupGroupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  entsec_app_ensure_resources ();

  object_class->get_property = entsec_backup_group_get_property;
  object_class->dispose = entsec_backup_group_dispose;

  properties[PROP_BUSY] = g_param_spec_boolean ("busy", NULL, NULL, FALSE,
                                                G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* EntsecBackupGroup::toast: (message) the outcome of an export or import. */
  signals[SIGNAL_TOAST] = g_signal_new ("toast", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (
    widget_class, "/org/entsec/EnterpriseSecurity/entsec-backup-group.ui");
  gtk_widget_class_bind_template_child (widget_class, EntsecBackupGroup, export_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecBackupGroup, import_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecBackupGroup, plain_row);
  gtk_widget_class_bind_template_callback (widget_class, export_clicked);
  gtk_widget_class_bind_template_callback (widget_class, import_clicked);
  gtk_widget_class_bind_template_callback (widget_class, plain_clicked);
}

static char *
dup_subtitle (GtkWidget *row)
{
  return g_strdup (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)));
}

static void
entsec_backup_group_init (EntsecBackupGroup *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->export_subtitle = dup_subtitle (self->export_row);
  self->plain_subtitle = dup_subtitle (self->plain_row);
  self->import_subtitle = dup_subtitle (self->import_row);
  update_rows (self);
}
