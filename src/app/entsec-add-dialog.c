/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-add-dialog.c: pictures (QR codes), links and the manual form */

#define G_LOG_DOMAIN "entsec-add-dialog"

#include "config.h"

#include <glib/gi18n.h>
#include <string.h>

#include "entsec-a11y.h"
#include "entsec-add-dialog.h"
#include "entsec-application.h"
#include "entsec-bench-probe.h"
#include "entsec-enterprise-state.h"
#include "entsec-google-import-dialog.h"
#include "entsec-scan-camera.h"
#include "entsec-screenshot.h"

struct _EntsecAddDialog
{
  AdwWindow             parent_instance;

  AdwToastOverlay      *toast_overlay;
  GtkListBox           *results_box;
  GtkEditable          *link_row;
  GtkEditable          *issuer_row;
  GtkEditable          *label_row;
  GtkEditable          *secret_row;
  GtkLabel             *manual_error;
  GtkWidget            *manual_add_button;
  AdwPreferencesGroup  *pictures_group;
  AdwPreferencesGroup  *manual_group;
  /* The groups' descriptions, shown again when the policy allows what they do. */
  char                 *pictures_description;
  char                 *manual_description;
  GtkWidget            *camera_button;
  GtkWidget            *screen_button;
  GtkWidget            *camera_box;
  GtkPicture           *camera_preview;
  GtkLabel             *camera_hint;
  /* The identifier the Screenshot portal was given (an exported handle on Wayland). */
  char                 *screen_parent;

  EntsecVault          *vault;
  GCancellable         *cancellable;
  GtkFileChooserNative *chooser;
  /* Pictures waiting to be read, one at a time (Picture). */
  GQueue                files;
  gboolean              reading;
  /* The accounts of the exports among the pictures read so far
   * (EntsecAccount) and their pictures' names: one list to choose from
   * once the last picture is read. */
  GPtrArray            *export_accounts;
  GPtrArray            *export_sources;
  EntsecScanCamera     *camera;
  /* Quiet: not shown until the person is needed (see
   * entsec_add_dialog_set_quiet()); the requests under way, counted. */
  gboolean              quiet;
  guint                 n_requests;
  guint                 finish_id;
};

G_DEFINE_FINAL_TYPE (EntsecAddDialog, entsec_add_dialog, ADW_TYPE_WINDOW)

enum
{
  SIGNAL_ACCOUNTS_ADDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* What an add is for: the row that reports it, whether the dialog
 * closes once it worked (link and manual form), and whether it reads a
 * queued picture (the next one is read when it is over). */
typedef struct
{
  EntsecAddDialog *dialog;
  char            *source;
  gboolean         close_on_success;
  gboolean         queued;
} AddRequest;

static void finish_quietly_later (EntsecAddDialog *self);

static void
add_request_free (AddRequest *request)
{
  request->dialog->n_requests--;
  finish_quietly_later (request->dialog);
  g_object_unref (request->dialog);
  g_free (request->source);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (AddRequest, add_request_free)

/* A picture waiting to be read: a file, or image bytes (a pasted or
 * dropped picture) with the name its result row shows. */
typedef struct
{
  GFile  *file;
  GBytes *bytes;
  char   *name;
} Picture;

static void
picture_free (Picture *picture)
{
  g_clear_object (&picture->file);
  g_clear_pointer (&picture->bytes, g_bytes_unref);
  g_free (picture->name);
  g_free (picture);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Picture, picture_free)

static void read_next_file (EntsecAddDialog *self);
static void request_over (AddRequest *request);

static gboolean
shown (EntsecAddDialog *self)
{
  return gtk_widget_get_visible (GTK_WIDGET (self));
}

/* A quiet dialog shows itself when the person is needed. */
static void
show_if_quiet (EntsecAddDialog *self)
{
  if (self->quiet && !shown (self))
    gtk_window_present (GTK_WINDOW (self));
}

static gboolean
finish_quietly (gpointer user_data)
{
  EntsecAddDialog *self = user_data;

  self->finish_id = 0;
  if (self->quiet && !shown (self) && self->n_requests == 0 && !self->reading
      && g_queue_is_empty (&self->files) && self->export_accounts == NULL)
    gtk_window_destroy (GTK_WINDOW (self));
  return G_SOURCE_REMOVE;
}

/* A quiet dialog that was never needed goes once its work is over (its
 * window, which would have been a new toplevel, never made). */
static void
finish_quietly_later (EntsecAddDialog *self)
{
  if (self->quiet && self->finish_id == 0)
    self->finish_id = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, finish_quietly,
                                       g_object_ref (self), g_object_unref);
}

void
entsec_add_dialog_set_quiet (EntsecAddDialog *self,
                             gboolean         quiet)
{
  g_return_if_fail (ENTSEC_IS_ADD_DIALOG (self));

  self->quiet = quiet;
  finish_quietly_later (self);
}
static AddRequest *add_request_copy (const AddRequest *request);
static AddRequest *add_request_new (EntsecAddDialog *self,
                                    const char      *source,
                                    gboolean         close_on_success);

static void
report (EntsecAddDialog *self,
        const char      *source,
        const char      *message,
        gboolean         ok)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *icon = gtk_image_new_from_icon_name (ok ? "emblem-ok-symbolic"
                                                     : "dialog-warning-symbolic");

  if (!ok)
    show_if_quiet (self);
  g_autofree char *title = g_markup_escape_text (source, -1);
  g_autofree char *subtitle = g_markup_escape_text (message, -1);

  gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  ok ? _("Added") : _("Not added"), -1);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), icon);
  gtk_widget_add_css_class (icon, ok ? "success" : "warning");
  gtk_list_box_append (self->results_box, row);
  gtk_widget_set_visible (GTK_WIDGET (self->results_box), TRUE);
}

/* ---- The organization's policy ---------------------------------------------- */

/* Whether the policy refuses @what ("qr-import", "migration-import",
 * "manual-add"); the refusal is reported for @source (nullable: not reported). */
static gboolean
refused (EntsecAddDialog *self,
         const char      *what,
         const char      *source)
{
  g_autofree char *reason = NULL;

  if (entsec_enterprise_state_allows (entsec_enterprise_state_get (self->vault), what, &reason))
    return FALSE;
  if (source != NULL)
    report (self, source, reason, FALSE);
  return TRUE;
}

/* A group the policy closes says why in its description, insensitive (not hidden). */
static void
explain_group (AdwPreferencesGroup *group,
               const char          *description,
               gboolean             allowed,
               const char          *reason)
{
  adw_preferences_group_set_description (group, allowed ? description : reason);
  entsec_enterprise_explain_widget (group, allowed, reason);
}

static void manual_changed (EntsecAddDialog *self);

static void
policy_changed (EntsecAddDialog *self)
{
  EntsecEnterpriseState *state = entsec_enterprise_state_get (self->vault);
  g_autofree char *no_qr = NULL;
  g_autofree char *no_manual = NULL;
  /* Pictures hold QR codes or exports: closed only when neither may be added
   * (an export refused alone is reported when read). */
  gboolean qr = entsec_enterprise_state_allows (state, "qr-import", &no_qr);
  gboolean pictures = qr || entsec_enterprise_state_allows (state, "migration-import", NULL);
  gboolean manual = entsec_enterprise_state_allows (state, "manual-add", &no_manual);

  explain_group (self->pictures_group, self->pictures_description, pictures, no_qr);
  explain_group (self->manual_group, self->manual_description, manual, no_manual);
  manual_changed (self);
}

/* "Added ACME (alice@example.com)", "Added 3 accounts", and the duplicates. */
static char *
describe_added (GArray    *added_ids,
                GPtrArray *accounts,
                GPtrArray *skipped)
{
  GString *text = g_string_new (NULL);

  if (added_ids->len == 1 && accounts->len == 1)
    {
      g_autofree char *name = entsec_account_dup_display_name (g_ptr_array_index (accounts, 0));

      g_string_printf (text, _("Added %s"), name);
    }
  else if (added_ids->len > 0)
    g_string_printf (text, g_dngettext (NULL, "Added %u account", "Added %u accounts",
                                        added_ids->len),
                     added_ids->len);
  for (guint i = 0; skipped != NULL && i < skipped->len; i++)
    {
      g_autofree char *name = entsec_account_dup_display_name (g_ptr_array_index (skipped, i));

      if (text->len > 0)
        g_string_append (text, "\n");
      g_string_append_printf (text, _("Already in your list: %s"), name);
    }
  return g_string_free (text, FALSE);
}

typedef struct
{
  AddRequest *request;
  GPtrArray  *accounts;
} AddJob;

static void
accounts_added (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  AddJob *job = user_data;
  g_autoptr (AddRequest) request = job->request;
  g_autoptr (GPtrArray) accounts = job->accounts;
  EntsecAddDialog *self = request->dialog;
  g_autoptr (GArray) added_ids = NULL;
  g_autoptr (GPtrArray) skipped = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *message = NULL;

  g_free (job);
  if (g_cancellable_is_cancelled (self->cancellable))
    {
      entsec_vault_add_accounts_finish (ENTSEC_VAULT (source), result, NULL, NULL, NULL);
      return;
    }
  if (!entsec_vault_add_accounts_finish (ENTSEC_VAULT (source), result, &added_ids, &skipped,
                                         &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        report (self, request->source, error->message, FALSE);
      request_over (request);
      return;
    }
  message = describe_added (added_ids, accounts, skipped);
  report (self, request->source, message, added_ids->len > 0);
  if (added_ids->len > 0)
    g_signal_emit (self, signals[SIGNAL_ACCOUNTS_ADDED], 0, added_ids->len);
  if (request->close_on_success && added_ids->len > 0)
    gtk_window_destroy (GTK_WINDOW (self));
  else
    request_over (request);
}

/* Takes @request and @accounts. */
static void
add_accounts (EntsecAddDialog *self,
              AddRequest      *request,
              GPtrArray       *accounts)
{
  AddJob *job = g_new0 (AddJob, 1);

  job->request = request;
  job->accounts = accounts;
  entsec_vault_add_accounts_async (self->vault, accounts, ENTSEC_VAULT_ADD_SKIP_DUPLICATES,
                                   self->cancellable, accounts_added, job);
}

static void
export_chosen (EntsecGoogleImportDialog *chooser,
               GPtrArray                *chosen,
               AddRequest               *request)
{
  EntsecAddDialog *self = request->dialog;

  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (chosen == NULL && self->quiet && !shown (self))
    return;
  if (chosen == NULL)
    {
      report (self, request->source, _("Nothing added: the list of accounts was closed."), FALSE);
      request_over (request);
      return;
    }
  add_accounts (self, add_request_copy (request), g_ptr_array_ref (chosen));
}

static void
export_request_free (gpointer  data,
                     GClosure *closure)
{
  add_request_free (data);
}

static void
confirm_export (GtkWindow *chooser)
{
  entsec_google_import_dialog_accept (ENTSEC_GOOGLE_IMPORT_DIALOG (chooser));
}

/* A Google Authenticator export: the person checks the accounts to add
 * first. Takes @request; @accounts is copied. */
static void
choose_from_export (EntsecAddDialog *self,
                    AddRequest      *request,
                    GPtrArray       *accounts)
{
  g_autoptr (GPtrArray) existing = entsec_vault_list_accounts (self->vault);
  /* A quiet dialog stays hidden: the list goes over the window it is for. */
  GtkWindow *parent = shown (self) ? GTK_WINDOW (self) : gtk_window_get_transient_for (GTK_WINDOW (self));
  EntsecGoogleImportDialog *chooser = entsec_google_import_dialog_new (parent, accounts, existing);

  g_signal_connect_data (chooser, "done", G_CALLBACK (export_chosen), request,
                         export_request_free, 0);
  entsec_bench_probe_confirm (GTK_WINDOW (chooser), confirm_export);
  gtk_window_present (GTK_WINDOW (chooser));
}

static gboolean
is_export (const EntsecQrResult *qr)
{
  for (guint i = 0; i < qr->codes->len; i++)
    {
      const EntsecQrCode *code = g_ptr_array_index (qr->codes, i);

      if (code->kind == ENTSEC_QR_KIND_MIGRATION)
        return TRUE;
    }
  return FALSE;
}

static AddRequest *
add_request_new (EntsecAddDialog *self,
                 const char      *source,
                 gboolean         close_on_success)
{
  AddRequest *request = g_new0 (AddRequest, 1);

  self->n_requests++;
  request->dialog = g_object_ref (self);
  request->source = g_strdup (source);
  request->close_on_success = close_on_success;
  return request;
}

static AddRequest *
add_request_copy (const AddRequest *request)
{
  AddRequest *copy = add_request_new (request->dialog, request->source, request->close_on_success);

  copy->queued = request->queued;
  return copy;
}

static AddRequest *
queued_request_new (EntsecAddDialog *self,
                    const char      *source)
{
  AddRequest *request = add_request_new (self, source, FALSE);

  request->queued = TRUE;
  return request;
}

/* @request is over, whatever its outcome: read the next picture after a picture. */
static void
request_over (AddRequest *request)
{
  if (request->queued)
    read_next_file (request->dialog);
}

/* An export among the pictures being read: its accounts wait to be listed
 * with those of the other exports. Takes @accounts. */
static void
collect_export (EntsecAddDialog *self,
                const char      *source,
                GPtrArray       *accounts)
{
  if (self->export_accounts == NULL)
    {
      self->export_accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
      self->export_sources = g_ptr_array_new_with_free_func (g_free);
    }
  g_ptr_array_extend_and_steal (self->export_accounts, accounts);
  g_ptr_array_add (self->export_sources, g_strdup (source));
}

/* The last picture is read: the exports among them, one list. */
static void
choose_from_collected (EntsecAddDialog *self)
{
  g_autoptr (GPtrArray) accounts = g_steal_pointer (&self->export_accounts);
  g_autoptr (GPtrArray) sources = g_steal_pointer (&self->export_sources);
  g_autofree char *source = NULL;

  if (accounts == NULL)
    return;
  if (sources->len == 1)
    source = g_strdup (g_ptr_array_index (sources, 0));
  else
    source = g_strdup_printf (g_dngettext (NULL, "%u picture", "%u pictures", sources->len),
                              sources->len);
  choose_from_export (self, add_request_new (self, source, FALSE), accounts);
}

/* What a picture held: its accounts are added (after the person chose
 * among those of the exports of all the pictures queued), or the row says
 * why not. Takes @request and
 * @error. */
static void
picture_read (AddRequest     *request,
              EntsecQrResult *qr,
              GError         *error)
{
  EntsecAddDialog *self = request->dialog;
  g_autoptr (GPtrArray) accounts = NULL;

  if (g_cancellable_is_cancelled (self->cancellable))
    {
      add_request_free (request);
      g_clear_error (&error);
      return;
    }
  if (qr != NULL)
    accounts = entsec_qr_result_get_accounts (qr, &error);
  if (accounts != NULL
      && refused (self, is_export (qr) ? "migration-import" : "qr-import", request->source))
    {
      request_over (request);
      add_request_free (request);
      return;
    }
  if (accounts == NULL)
    {
      report (self, request->source, error->message, FALSE);
      g_error_free (error);
      request_over (request);
      add_request_free (request);
      return;
    }
  if (is_export (qr) && request->queued)
    {
      collect_export (self, request->source, g_steal_pointer (&accounts));
      request_over (request);
      add_request_free (request);
    }
  else if (is_export (qr))
    choose_from_export (self, request, accounts);
  else
    add_accounts (self, request, g_steal_pointer (&accounts));
}

static void
file_decoded (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  GError *error = NULL;
  g_autoptr (EntsecQrResult) qr = entsec_qr_decode_file_finish (result, &error);

  picture_read (user_data, qr, error);
}

static void
bytes_decoded (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  GError *error = NULL;
  g_autoptr (EntsecQrResult) qr = entsec_qr_decode_bytes_finish (result, &error);

  picture_read (user_data, qr, error);
}

static void
read_next_file (EntsecAddDialog *self)
{
  g_autoptr (Picture) picture = g_queue_pop_head (&self->files);
  g_autofree char *path = NULL;

  self->reading = picture != NULL;
  if (picture == NULL)
    {
      choose_from_collected (self);
      return;
    }
  if (picture->bytes != NULL)
    {
      entsec_qr_decode_bytes_async (picture->bytes, self->cancellable, bytes_decoded,
                                    queued_request_new (self, picture->name));
      return;
    }
  path = g_file_get_path (picture->file);
  if (path == NULL)
    {
      report (self, picture->name, _("Only pictures saved on this device can be read."), FALSE);
      read_next_file (self);
      return;
    }
  entsec_qr_decode_file_async (path, self->cancellable, file_decoded,
                               queued_request_new (self, picture->name));
}

static void
queue_picture (EntsecAddDialog *self,
               Picture         *picture)
{
  g_queue_push_tail (&self->files, picture);
  if (!self->reading)
    read_next_file (self);
}

void
entsec_add_dialog_add_image_bytes (EntsecAddDialog *self,
                                   GBytes          *bytes,
                                   const char      *name)
{
  Picture *picture;

  g_return_if_fail (ENTSEC_IS_ADD_DIALOG (self));
  g_return_if_fail (bytes != NULL);
  g_return_if_fail (name != NULL);

  picture = g_new0 (Picture, 1);
  picture->bytes = g_bytes_ref (bytes);
  picture->name = g_strdup (name);
  queue_picture (self, picture);
}

void
entsec_add_dialog_add_texture (EntsecAddDialog *self,
                               GdkTexture      *texture,
                               const char      *name)
{
  g_autoptr (GBytes) png = NULL;

  g_return_if_fail (ENTSEC_IS_ADD_DIALOG (self));
  g_return_if_fail (GDK_IS_TEXTURE (texture));

  /* PNG is lossless and one of the formats the QR reader knows. */
  png = gdk_texture_save_to_png_bytes (texture);
  entsec_add_dialog_add_image_bytes (self, png, name);
}

void
entsec_add_dialog_add_files (EntsecAddDialog *self,
                             GFile          **files,
                             guint            n_files)
{
  g_return_if_fail (ENTSEC_IS_ADD_DIALOG (self));

  for (guint i = 0; i < n_files; i++)
    {
      Picture *picture = g_new0 (Picture, 1);

      picture->file = g_object_ref (files[i]);
      picture->name = g_file_get_basename (files[i]);
      g_queue_push_tail (&self->files, picture);
    }
  if (!self->reading)
    read_next_file (self);
}

static void
chooser_response (EntsecAddDialog *self,
                  int              response)
{
  g_autoptr (GListModel) files = NULL;
  g_autoptr (GPtrArray) array = g_ptr_array_new_with_free_func (g_object_unref);

  if (response == GTK_RESPONSE_ACCEPT)
    files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (self->chooser));
  for (guint i = 0; files != NULL && i < g_list_model_get_n_items (files); i++)
    g_ptr_array_add (array, g_list_model_get_item (files, i));
  g_clear_object (&self->chooser);
  entsec_add_dialog_add_files (self, (GFile **) array->pdata, array->len);
}

static void
choose_clicked (EntsecAddDialog *self)
{
  GtkFileFilter *filter = gtk_file_filter_new ();

  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Choose Pictures of QR Codes"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Add"), NULL);
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (self->chooser), TRUE);
  gtk_file_filter_set_name (filter, _("Pictures"));
  gtk_file_filter_add_pixbuf_formats (filter);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  g_object_unref (filter);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* The accounts of a pasted link, or NULL with @error set. */
static GPtrArray *
accounts_from_link (const char *text,
                    gboolean   *export,
                    GError    **error)
{
  g_autoptr (EntsecMigrationBatch) batch = NULL;
  GPtrArray *accounts;
  EntsecAccount *account;

  while (g_ascii_isspace (*text))
    text++;
  *export = g_ascii_strncasecmp (text, "otpauth-migration:", strlen ("otpauth-migration:")) == 0;
  if (g_ascii_strncasecmp (text, "otpauth-migration:", strlen ("otpauth-migration:")) == 0)
    {
      batch = entsec_migration_parse (text, error);
      if (batch == NULL)
        return NULL;
      if (batch->errors->len > 0)
        {
          g_propagate_error (error, g_error_copy (g_ptr_array_index (batch->errors, 0)));
          return NULL;
        }
      return g_ptr_array_ref (batch->accounts);
    }
  account = entsec_otpauth_parse (text, NULL, error);
  if (account == NULL)
    return NULL;
  accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  g_ptr_array_add (accounts, account);
  return accounts;
}

/* "Link", or "3 links": the source of what @n_links links held. */
static char *
links_source (guint n_links)
{
  if (n_links == 1)
    return g_strdup (_("Link"));
  return g_strdup_printf (g_dngettext (NULL, "%u link", "%u links", n_links), n_links);
}

void
entsec_add_dialog_add_links (EntsecAddDialog   *self,
                             const char *const *uris,
                             guint              n_uris)
{
  g_autoptr (GPtrArray) plain = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  g_autoptr (GPtrArray) exported = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  guint n_plain = 0;
  guint n_exports = 0;

  g_return_if_fail (ENTSEC_IS_ADD_DIALOG (self));
  g_return_if_fail (uris != NULL || n_uris == 0);

  for (guint i = 0; i < n_uris; i++)
    {
      g_autoptr (GError) error = NULL;
      gboolean export = FALSE;
      GPtrArray *accounts = accounts_from_link (uris[i], &export, &error);

      if (accounts == NULL)
        {
          report (self, _("Link"), error->message, FALSE);
          continue;
        }
      if (refused (self, export ? "migration-import" : "qr-import", _("Link")))
        {
          g_ptr_array_unref (accounts);
          continue;
        }
      g_ptr_array_extend_and_steal (export ? exported : plain, accounts);
      if (export)
        n_exports++;
      else
        n_plain++;
    }
  /* The dialog closes after a link only when nothing else is left to choose. */
  if (exported->len > 0)
    {
      g_autofree char *source = links_source (n_exports);

      choose_from_export (self, add_request_new (self, source, plain->len == 0), exported);
    }
  if (plain->len > 0)
    {
      g_autofree char *source = links_source (n_plain);

      add_accounts (self, add_request_new (self, source, exported->len == 0),
                    g_steal_pointer (&plain));
    }
}

void
entsec_add_dialog_add_link (EntsecAddDialog *self,
                            const char      *uri)
{
  g_return_if_fail (ENTSEC_IS_ADD_DIALOG (self));
  g_return_if_fail (uri != NULL);

  entsec_add_dialog_add_links (self, &uri, 1);
}

static gboolean
looks_like_link (const char *text)
{
  while (g_ascii_isspace (*text))
    text++;
  return g_ascii_strncasecmp (text, "otpauth:", strlen ("otpauth:")) == 0
         || g_ascii_strncasecmp (text, "otpauth-migration:", strlen ("otpauth-migration:")) == 0;
}

gboolean
entsec_add_dialog_add_value (EntsecAddDialog *self,
                             const GValue    *value)
{
  g_return_val_if_fail (ENTSEC_IS_ADD_DIALOG (self), FALSE);
  g_return_val_if_fail (G_IS_VALUE (value), FALSE);

  if (G_VALUE_HOLDS (value, GDK_TYPE_TEXTURE) && g_value_get_object (value) != NULL)
    {
      entsec_add_dialog_add_texture (self, g_value_get_object (value), _("Pasted picture"));
      return TRUE;
    }
  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    {
      g_autoptr (GPtrArray) pictures = g_ptr_array_new ();
      g_autoptr (GPtrArray) links = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_secure_strfree);

      for (GSList *l = g_value_get_boxed (value); l != NULL; l = l->next)
        {
          char *uri = g_file_get_uri (l->data);

          if (looks_like_link (uri))
            g_ptr_array_add (links, uri);
          else
            {
              g_ptr_array_add (pictures, l->data);
              entsec_secure_strfree (uri);
            }
        }
      entsec_add_dialog_add_links (self, (const char *const *) links->pdata, links->len);
      entsec_add_dialog_add_files (self, (GFile **) pictures->pdata, pictures->len);
      return TRUE;
    }
  if (G_VALUE_HOLDS_STRING (value) && g_value_get_string (value) != NULL)
    {
      if (!looks_like_link (g_value_get_string (value)))
        {
          report (self, _("Pasted text"),
                  _("This is not an otpauth:// link. Copy the link or the picture of the QR code "
                    "the service showed you, then paste again."),
                  FALSE);
          return FALSE;
        }
      entsec_add_dialog_add_link (self, g_value_get_string (value));
      return TRUE;
    }
  report (self, _("Pasted content"),
          _("Only pictures, picture files and otpauth:// links can be added."), FALSE);
  return FALSE;
}

static void
clipboard_read (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (EntsecAddDialog) self = user_data;
  g_autoptr (GError) error = NULL;
  const GValue *value = gdk_clipboard_read_value_finish (GDK_CLIPBOARD (source), result, &error);

  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (value == NULL)
    {
      report (self, _("Clipboard"), error->message, FALSE);
      return;
    }
  entsec_add_dialog_add_value (self, value);
}

void
entsec_add_dialog_paste (EntsecAddDialog *self,
                         GdkClipboard    *clipboard)
{
  GdkContentFormats *formats;
  const GType types[] = { GDK_TYPE_TEXTURE, GDK_TYPE_FILE_LIST, G_TYPE_STRING };

  g_return_if_fail (ENTSEC_IS_ADD_DIALOG (self));
  g_return_if_fail (GDK_IS_CLIPBOARD (clipboard));

  formats = gdk_clipboard_get_formats (clipboard);
  for (gsize i = 0; i < G_N_ELEMENTS (types); i++)
    if (gdk_content_formats_contain_gtype (formats, types[i]))
      {
        gdk_clipboard_read_value_async (clipboard, types[i], G_PRIORITY_DEFAULT, self->cancellable,
                                        clipboard_read, g_object_ref (self));
        return;
      }
  report (self, _("Clipboard"),
          _("The clipboard holds no picture and no link. Copy the QR code or its otpauth:// "
            "link, then paste again."),
          FALSE);
}

/* ---- Scan with Camera ---- */

static void
camera_over (EntsecAddDialog *self)
{
  gtk_widget_set_visible (self->camera_box, FALSE);
  gtk_picture_set_paintable (self->camera_preview, NULL);
  if (self->camera != NULL)
    entsec_scan_camera_stop (self->camera);
  g_clear_object (&self->camera);
}

static void
camera_preview (EntsecAddDialog *self,
                GdkTexture      *frame)
{
  gtk_picture_set_paintable (self->camera_preview, GDK_PAINTABLE (frame));
}

static void
camera_found (EntsecAddDialog *self,
              EntsecQrResult  *result)
{
  camera_over (self);
  picture_read (add_request_new (self, _("Camera"), FALSE), result, NULL);
}

/* A code that is no authenticator code in view: say what it is, keep reading. */
static void
camera_rejected (EntsecAddDialog *self,
                 const GError    *error)
{
  /* Translators: %s says what the code in view holds, e.g. "This QR code is not an
   * authenticator code; it contains a web address (example.com)" */
  g_autofree char *hint = g_strdup_printf (_("%s. Hold the QR code of the account in front of "
                                             "the camera."),
                                           error->message);

  gtk_label_set_label (self->camera_hint, hint);
  gtk_widget_add_css_class (GTK_WIDGET (self->camera_hint), "warning");
}

static void
camera_stopped (EntsecAddDialog *self,
                const GError    *error)
{
  camera_over (self);
  report (self, _("Camera"), error->message, FALSE);
}

static void
camera_clicked (EntsecAddDialog *self)
{
  g_autoptr (GError) error = NULL;

  if (self->camera != NULL)
    return;
  self->camera = entsec_scan_camera_new (NULL, &error);
  if (self->camera != NULL)
    {
      g_signal_connect_object (self->camera, "preview", G_CALLBACK (camera_preview), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->camera, "found", G_CALLBACK (camera_found), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->camera, "stopped", G_CALLBACK (camera_stopped), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (self->camera, "rejected", G_CALLBACK (camera_rejected), self,
                               G_CONNECT_SWAPPED);
    }
  if (self->camera == NULL || !entsec_scan_camera_start (self->camera, &error))
    {
      camera_over (self);
      report (self, _("Camera"), error->message, FALSE);
      return;
    }
  gtk_label_set_label (self->camera_hint, _("Hold the QR code in front of the camera."));
  gtk_widget_remove_css_class (GTK_WIDGET (self->camera_hint), "warning");
  gtk_widget_set_visible (self->camera_box, TRUE);
}

static void
camera_detected (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (EntsecAddDialog) self = user_data;

  if (entsec_scan_camera_detect_finish (result) && !g_cancellable_is_cancelled (self->cancellable))
    gtk_widget_set_visible (self->camera_button, TRUE);
}

/* ---- Scan from Screen ---- */

static void
screenshot_taken (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (EntsecAddDialog) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GFile) file = entsec_screenshot_take_finish (result, &error);

  if (self->screen_parent != NULL)
    entsec_screenshot_parent_unexport (GTK_WINDOW (self), self->screen_parent);
  g_clear_pointer (&self->screen_parent, g_free);
  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  gtk_widget_set_sensitive (self->screen_button, TRUE);
  if (file != NULL)
    entsec_add_dialog_add_files (self, &file, 1);
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    report (self, _("Screen"), error->message, FALSE);
}

/* This window's identifier is known: the portal's dialog is modal to it. */
static void
screen_parent_known (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr (EntsecAddDialog) self = user_data;

  self->screen_parent = entsec_screenshot_parent_finish (result);
  entsec_screenshot_take_async (self->screen_parent, self->cancellable, screenshot_taken,
                                g_object_ref (self));
}

static void
screen_clicked (EntsecAddDialog *self)
{
  gtk_widget_set_sensitive (self->screen_button, FALSE);
  entsec_screenshot_parent_async (GTK_WINDOW (self), self->cancellable, screen_parent_known,
                                  g_object_ref (self));
}

static void
screenshot_available (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr (EntsecAddDialog) self = user_data;

  if (entsec_screenshot_available_finish (result) && !g_cancellable_is_cancelled (self->cancellable))
    gtk_widget_set_visible (self->screen_button, TRUE);
}

static void
paste_clicked (EntsecAddDialog *self)
{
  entsec_add_dialog_paste (self, gtk_widget_get_clipboard (GTK_WIDGET (self)));
}

static void
link_applied (EntsecAddDialog *self)
{
  const char *text = gtk_editable_get_text (self->link_row);

  if (*text == '\0')
    return;
  entsec_add_dialog_add_link (self, text);
  /* The link holds the secret: it leaves the entry at once. */
  gtk_editable_set_text (self->link_row, "");
}

/* The account the form describes, or NULL with @error set. */
static EntsecAccount *
account_from_form (EntsecAddDialog *self,
                   GError         **error)
{
  g_autoptr (EntsecAccount) account = entsec_account_new ();
  const char *issuer = gtk_editable_get_text (self->issuer_row);
  guint8 *secret;
  gsize secret_len = 0;

  g_free (account->label);
  account->label = g_strstrip (g_strdup (gtk_editable_get_text (self->label_row)));
  account->issuer = *issuer != '\0' ? g_strstrip (g_strdup (issuer)) : NULL;
  secret = entsec_base32_decode (gtk_editable_get_text (self->secret_row), &secret_len, error);
  if (secret == NULL)
    return NULL;
  entsec_account_set_secret (account, secret, secret_len);
  entsec_secure_free (secret, secret_len);
  if (!entsec_account_validate (account, error))
    return NULL;
  return g_steal_pointer (&account);
}

static void
manual_changed (EntsecAddDialog *self)
{
  gboolean complete = *gtk_editable_get_text (self->label_row) != '\0'
                      && *gtk_editable_get_text (self->secret_row) != '\0';

  gtk_widget_set_sensitive (self->manual_add_button, complete && !refused (self, "manual-add",
                                                                           NULL));
  gtk_widget_set_visible (GTK_WIDGET (self->manual_error), FALSE);
}

static void
manual_add_clicked (EntsecAddDialog *self)
{
  g_autoptr (GError) error = NULL;
  EntsecAccount *account;
  GPtrArray *accounts;

  if (!gtk_widget_get_sensitive (self->manual_add_button))
    return;
  account = account_from_form (self, &error);
  if (account == NULL)
    {
      gtk_label_set_label (self->manual_error, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->manual_error), TRUE);
      return;
    }
  gtk_editable_set_text (self->secret_row, "");
  accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  g_ptr_array_add (accounts, account);
  add_accounts (self, add_request_new (self, _("Entered by hand"), TRUE), accounts);
}

static void
entsec_add_dialog_dispose (GObject *object)
{
  EntsecAddDialog *self = ENTSEC_ADD_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  self->quiet = FALSE;
  g_clear_handle_id (&self->finish_id, g_source_remove);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  g_queue_clear_full (&self->files, (GDestroyNotify) picture_free);
  g_clear_pointer (&self->export_accounts, g_ptr_array_unref);
  g_clear_pointer (&self->export_sources, g_ptr_array_unref);
  g_clear_object (&self->camera);
  gtk_widget_dispose_template (GTK_WIDGET (self), ENTSEC_TYPE_ADD_DIALOG);
  g_clear_object (&self->vault);

  G_OBJECT_CLASS (entsec_add_dialog_parent_class)->dispose (object);
}

static void
entsec_add_dialog_finalize (GObject *object)
{
  EntsecAddDialog *self = ENTSEC_ADD_DIALOG (object);

  g_clear_object (&self->cancellable);
  g_free (self->screen_parent);
  g_free (self->pictures_description);
  g_free (self->manual_description);

  G_OBJECT_CLASS (entsec_add_dialog_parent_class)->finalize (object);
}

static void
entsec_add_dialog_class_init (EntsecAddDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  entsec_app_ensure_resources ();

  object_class->dispose = entsec_add_dialog_dispose;
  object_class->finalize = entsec_add_dialog_finalize;

  /* EntsecAddDialog::accounts-added: (count) accounts were added to the vault. */
  signals[SIGNAL_ACCOUNTS_ADDED] = g_signal_new ("accounts-added", G_TYPE_FROM_CLASS (klass),
                                                 G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                                 G_TYPE_NONE, 1, G_TYPE_UINT);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/entsec/EnterpriseSecurity/entsec-add-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, EntsecAddDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, EntsecAddDialog, results_box);
  gtk_widget_class_bind_template_child (widget_class, EntsecAddDialog, link_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecAddDialog, issuer_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecAddDialog, label_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecAddDialog, secret_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecAddDialog, manual_error);
  gtk_widget_class_bind_template_child (widget_class, EntsecAddDialog, manual_add_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecAddDialog, pictures_group);
  gtk_widget_class_bind_template_child (widget_class, EntsecAddDialog, manual_group);
  gtk_widget_class_bind_template_child (widget_class, EntsecAddDialog, camera_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecAddDialog, screen_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecAddDialog, camera_box);
  gtk_widget_class_bind_template_child (widget_class, EntsecAddDialog, camera_preview);
  gtk_widget_class_bind_template_child (widget_class, EntsecAddDialog, camera_hint);
  gtk_widget_class_bind_template_callback (widget_class, choose_clicked);
  gtk_widget_class_bind_template_callback (widget_class, paste_clicked);
  gtk_widget_class_bind_template_callback (widget_class, camera_clicked);
  gtk_widget_class_bind_template_callback (widget_class, screen_clicked);
  gtk_widget_class_bind_template_callback (widget_class, camera_over);
  gtk_widget_class_bind_template_callback (widget_class, link_applied);
  gtk_widget_class_bind_template_callback (widget_class, manual_changed);
  gtk_widget_class_bind_template_callback (widget_class, manual_add_clicked);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
entsec_add_dialog_init (EntsecAddDialog *self)
{
  self->cancellable = g_cancellable_new ();
  g_queue_init (&self->files);
  gtk_widget_init_template (GTK_WIDGET (self));
  entsec_a11y_name_peek_button (ADW_PASSWORD_ENTRY_ROW (self->link_row));
  entsec_a11y_name_peek_button (ADW_PASSWORD_ENTRY_ROW (self->secret_row));
  /* "Scan with Camera" shows once a camera is found. */
  entsec_scan_camera_detect_async (self->cancellable, camera_detected, g_object_ref (self));
  /* "Scan from Screen" shows when the desktop has the Screenshot portal. */
  entsec_screenshot_available_async (self->cancellable, screenshot_available, g_object_ref (self));
}

EntsecAddDialog *
entsec_add_dialog_new (GtkWindow   *parent,
                       EntsecVault *vault)
{
  EntsecAddDialog *self;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);

  self = g_object_new (ENTSEC_TYPE_ADD_DIALOG, "transient-for", parent, NULL);
  self->vault = g_object_ref (vault);
  self->pictures_description = g_strdup (
    adw_preferences_group_get_description (self->pictures_group));
  self->manual_description = g_strdup (adw_preferences_group_get_description (self->manual_group));
  g_signal_connect_object (entsec_enterprise_state_get (vault), "changed",
                           G_CALLBACK (policy_changed), self, G_CONNECT_SWAPPED);
  policy_changed (self);
  return self;
}
