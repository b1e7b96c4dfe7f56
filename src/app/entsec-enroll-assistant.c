/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-enroll-assistant.c: "Connect to My Organization": enroll this device */

#define G_LOG_DOMAIN "entsec-enroll-assistant"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "entsec-application.h"
#include "entsec-enroll-assistant.h"
#include "entsec-enroll-errors.h"
#include "entsec-enterprise-state.h"
#include "entsec-window.h"

#define PENDING_KEY "entsec-enroll-pending-link"
#define ASSISTANT_KEY "entsec-enroll-assistant"

struct _EntsecEnrollAssistant
{
  AdwWindow          parent_instance;

  GtkWidget         *cancel_button;
  GtkWidget         *spinner;
  GtkStack          *stack;
  GtkLabel          *message_label;
  GtkWidget         *open_image_button;
  GtkWidget         *paste_button;
  GtkEditable       *server_row;
  GtkWidget         *server_next_button;
  GtkLabel          *server_label;
  GtkToggleButton   *email_toggle;
  GtkToggleButton   *phone_toggle;
  AdwEntryRow       *address_row;
  GtkWidget         *send_button;
  GtkLabel          *sent_label;
  GtkEditable       *code_row;
  GtkButton         *resend_button;
  GtkWidget         *verify_button;
  AdwPreferencesGroup *shared_group;
  GtkWidget         *register_button;
  GtkWidget         *background_switch;

  EntsecVault       *vault;
  GCancellable      *cancellable;
  EntsecEnroller    *enroller;   /* used by one task at a time; freed in finalize */
  GPtrArray         *shared_rows;
  GtkFileChooserNative *chooser;
  gint64             resend_not_before;
  guint              tick_id;
  EntsecEventsClock  clock;      /* NULL: the real clock */
  gpointer           clock_data;
  gboolean           busy;
};

G_DEFINE_FINAL_TYPE (EntsecEnrollAssistant, entsec_enroll_assistant, ADW_TYPE_WINDOW)

/* Closed (or cancelled) while a call ran: its widgets are gone, nothing to show. */
static gboolean
closed (EntsecEnrollAssistant *self)
{
  return g_cancellable_is_cancelled (self->cancellable);
}

/* Unix seconds by the injected clock (tests), or the real one. */
static gint64
now_seconds (EntsecEnrollAssistant *self)
{
  gint64 now = self->clock != NULL ? self->clock (self->clock_data) : 0;

  return now > 0 ? now : g_get_real_time () / G_USEC_PER_SEC;
}

/* ---- Messages, busy state, buttons ---------------------------------------- */

static void
say (EntsecEnrollAssistant *self,
     const char            *text,
     gboolean               is_error)
{
  gtk_label_set_label (self->message_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), text != NULL && *text != '\0');
  if (is_error)
    gtk_widget_add_css_class (GTK_WIDGET (self->message_label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->message_label), "error");
}

static void
say_error (EntsecEnrollAssistant *self,
           const GError          *error)
{
  gint64 wait = self->enroller != NULL ? entsec_enroller_get_retry_after (self->enroller) : -1;
  int left = self->enroller != NULL ? entsec_enroller_get_attempts_left (self->enroller) : -1;
  g_autofree char *text = entsec_enroll_error_text (error, wait, left);

  if (text != NULL)
    say (self, text, TRUE);
}

static const char *
stripped (GtkEditable *editable,
          char       **copy)
{
  *copy = g_strstrip (g_strdup (gtk_editable_get_text (editable)));
  return *copy;
}

/* The code as typed, without the spaces people put in: digits only, 4 to 16. */
static char *
typed_code (EntsecEnrollAssistant *self)
{
  const char *text = gtk_editable_get_text (self->code_row);
  GString *code = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    if (*p != ' ' && *p != '-')
      g_string_append_c (code, *p);
  for (const char *p = code->str; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      {
        entsec_secure_strfree (g_string_free (code, FALSE));
        return NULL;
      }
  if (code->len < 4 || code->len > 16)
    {
      entsec_secure_strfree (g_string_free (code, FALSE));
      return NULL;
    }
  return g_string_free (code, FALSE);
}

static void
update_resend (EntsecEnrollAssistant *self)
{
  gint64 left = self->resend_not_before - now_seconds (self);

  if (left > 0)
    {
      g_autofree char *wait = entsec_enroll_format_wait (left);
      /* TRANSLATORS: %s is a wait, such as "42 seconds" */
      g_autofree char *label = g_strdup_printf (_("Send Again in %s"), wait);

      gtk_button_set_label (self->resend_button, label);
      gtk_button_set_use_underline (self->resend_button, FALSE);
    }
  else
    {
      gtk_button_set_label (self->resend_button, _("Send _Again"));
      gtk_button_set_use_underline (self->resend_button, TRUE);
    }
  gtk_widget_set_sensitive (GTK_WIDGET (self->resend_button), left <= 0 && !self->busy);
}

static void
update_buttons (EntsecEnrollAssistant *self)
{
  g_autofree char *server = NULL;
  g_autofree char *address = NULL;
  g_autofree char *code = typed_code (self);

  gtk_widget_set_sensitive (self->server_next_button,
                            !self->busy && *stripped (self->server_row, &server) != '\0');
  gtk_widget_set_sensitive (self->send_button,
                            !self->busy
                            && *stripped (GTK_EDITABLE (self->address_row), &address) != '\0');
  gtk_widget_set_sensitive (self->verify_button, !self->busy && code != NULL);
  gtk_widget_set_sensitive (self->register_button, !self->busy);
  gtk_widget_set_sensitive (self->open_image_button, !self->busy);
  gtk_widget_set_sensitive (self->paste_button, !self->busy);
  update_resend (self);
  if (code != NULL)
    entsec_secure_strfree (g_steal_pointer (&code));
}

static void
set_busy (EntsecEnrollAssistant *self,
          gboolean               busy)
{
  self->busy = busy;
  gtk_widget_set_visible (self->spinner, busy);
  /* The entries stay sensitive: one made insensitive while it has the focus
   * keeps its cursor blinking without it (a GTK 4.8 warning); the buttons
   * and the entries' Enter check busy. */
  update_buttons (self);
}

static gboolean
tick (gpointer user_data)
{
  update_resend (ENTSEC_ENROLL_ASSISTANT (user_data));
  return G_SOURCE_CONTINUE;
}

static void
show_step (EntsecEnrollAssistant *self,
           const char            *name)
{
  gtk_stack_set_visible_child_name (self->stack, name);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  if (g_strcmp0 (name, "code") == 0)
    {
      self->tick_id = g_timeout_add_seconds (1, tick, self);
      gtk_widget_grab_focus (GTK_WIDGET (self->code_row));
    }
  else if (g_strcmp0 (name, "address") == 0)
    gtk_widget_grab_focus (GTK_WIDGET (self->address_row));
  update_buttons (self);
}

/* ---- The enrollment kept in the vault ----------------------------------------- */

/* What to show once the enrollment is kept: the step is shown only then, so
 * that whatever the person sees survives the app being closed. */
typedef struct
{
  EntsecEnrollAssistant *self;
  GError                *error;   /* to show, or NULL: the code step */
  char                  *notice;
} Kept;

static void
kept_free (Kept *kept)
{
  g_object_unref (kept->self);
  g_clear_error (&kept->error);
  g_free (kept->notice);
  g_free (kept);
}

static void show_code_step (EntsecEnrollAssistant *self);

static void
progress_written (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Kept *kept = user_data;
  EntsecEnrollAssistant *self = kept->self;
  g_autoptr (GError) error = NULL;
  gboolean ok = entsec_vault_set_pref_finish (ENTSEC_VAULT (source), result, &error);

  if (closed (self))
    {
      kept_free (kept);
      return;
    }
  set_busy (self, FALSE);
  if (!ok)
    say_error (self, error);
  else if (kept->error != NULL)
    say_error (self, kept->error);
  else
    {
      gtk_editable_set_text (self->code_row, "");
      show_code_step (self);
      say (self, kept->notice, FALSE);
    }
  kept_free (kept);
}

static void
progress_removed (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GError) error = NULL;

  if (!entsec_vault_remove_pref_finish (ENTSEC_VAULT (source), result, &error))
    g_warning ("The enrollment in progress was not removed: %s", error->message);
}

/* Keeps the started enrollment (never the code) so that it survives a
 * restart, then shows @error (taken) or the code step with @notice. */
static void
keep_progress (EntsecEnrollAssistant *self,
               GError                *error,
               const char            *notice)
{
  g_autofree char *saved = entsec_enroller_serialize (self->enroller);
  Kept *kept = g_new0 (Kept, 1);

  kept->self = g_object_ref (self);
  kept->error = error;
  kept->notice = g_strdup (notice);
  set_busy (self, TRUE);
  entsec_vault_set_pref_async (self->vault, ENTSEC_ENROLLMENT_PREF,
                               g_variant_new_string (saved), self->cancellable,
                               progress_written, kept);
}

static void
forget_progress (EntsecVault *vault)
{
  entsec_vault_remove_pref_async (vault, ENTSEC_ENROLLMENT_PREF, NULL, progress_removed, NULL);
}

/* ---- Step 1: where to enroll --------------------------------------------------- */

static void
show_address_step (EntsecEnrollAssistant *self,
                   const char            *channel,
                   const char            *address)
{
  g_autofree char *text = g_strdup_printf (_("Server: %s"),
                                           entsec_enroller_get_server (self->enroller));

  gtk_label_set_label (self->server_label, text);
  gtk_toggle_button_set_active (g_strcmp0 (channel, "sms") == 0 ? self->phone_toggle
                                : self->email_toggle, TRUE);
  gtk_editable_set_text (GTK_EDITABLE (self->address_row), address != NULL ? address : "");
  say (self, NULL, FALSE);
  show_step (self, "address");
}

static void
take_enroller (EntsecEnrollAssistant *self,
               EntsecEnroller        *enroller)
{
  g_return_if_fail (!self->busy);

  g_clear_pointer (&self->enroller, entsec_enroller_free);
  self->enroller = enroller;
}

void
entsec_enroll_assistant_use_link (EntsecEnrollAssistant *self,
                                  const char            *text)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecActivationLink) link = NULL;
  EntsecEnroller *enroller = NULL;

  g_return_if_fail (ENTSEC_IS_ENROLL_ASSISTANT (self));
  g_return_if_fail (text != NULL);

  if (self->busy)
    return;
  link = entsec_activation_link_parse (text, &error);
  if (link != NULL)
    enroller = entsec_enroller_new_for_link (link, NULL, &error);
  if (enroller == NULL)
    {
      show_step (self, "server");
      say_error (self, error);
      return;
    }
  take_enroller (self, enroller);
  show_address_step (self, entsec_activation_link_channel (link), link->address);
}

static void
server_next_clicked (EntsecEnrollAssistant *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *typed = NULL;
  g_autofree char *server = NULL;
  EntsecEnrollerOptions options = { NULL };
  EntsecEnroller *enroller;

  if (self->busy || *stripped (self->server_row, &typed) == '\0')
    return;
  /* "auth.example.com" means https://auth.example.com; http:// stays refused. */
  server = strstr (typed, "://") != NULL ? g_strdup (typed) : g_strconcat ("https://", typed, NULL);
  while (g_str_has_suffix (server, "/"))
    server[strlen (server) - 1] = '\0';
  options.server = server;
  enroller = entsec_enroller_new (&options, &error);
  if (enroller == NULL)
    {
      say_error (self, error);
      return;
    }
  take_enroller (self, enroller);
  show_address_step (self, "email", NULL);
}

/* The first entsec://enroll link of a QR result, or NULL. */
static const char *
enrollment_link_of (const EntsecQrResult *result)
{
  for (guint i = 0; i < result->codes->len; i++)
    {
      const EntsecQrCode *code = g_ptr_array_index (result->codes, i);

      if (code->kind == ENTSEC_QR_KIND_ENROLLMENT && code->text != NULL)
        return code->text;
    }
  return NULL;
}

static void
qr_decoded (EntsecEnrollAssistant *self,
            EntsecQrResult        *result,
            GError                *error)
{
  const char *link;

  set_busy (self, FALSE);
  if (result == NULL)
    {
      say_error (self, error);
      return;
    }
  link = enrollment_link_of (result);
  if (link == NULL)
    say (self, _("This picture holds a QR code, but not an activation code. Ask your "
                 "administrator for your activation code."), TRUE);
  else
    entsec_enroll_assistant_use_link (self, link);
}

static void
file_decoded (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (EntsecEnrollAssistant) self = user_data;
  g_autoptr (GError) error = NULL;
  EntsecQrResult *qr = entsec_qr_decode_file_finish (result, &error);

  if (!closed (self))
    qr_decoded (self, qr, error);
  entsec_qr_result_free (qr);
}

static void
bytes_decoded (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (EntsecEnrollAssistant) self = user_data;
  g_autoptr (GError) error = NULL;
  EntsecQrResult *qr = entsec_qr_decode_bytes_finish (result, &error);

  if (!closed (self))
    qr_decoded (self, qr, error);
  entsec_qr_result_free (qr);
}

static void
chooser_response (EntsecEnrollAssistant *self,
                  int                    response)
{
  g_autoptr (GFile) file = NULL;
  g_autofree char *path = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (self->chooser));
  g_clear_object (&self->chooser);
  path = file != NULL ? g_file_get_path (file) : NULL;
  if (path == NULL)
    return;
  set_busy (self, TRUE);
  say (self, NULL, FALSE);
  entsec_qr_decode_file_async (path, self->cancellable, file_decoded, g_object_ref (self));
}

static void
open_image_clicked (EntsecEnrollAssistant *self)
{
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  if (self->busy || self->chooser != NULL)
    return;
  gtk_file_filter_set_name (filter, _("Pictures"));
  gtk_file_filter_add_pixbuf_formats (filter);
  self->chooser = gtk_file_chooser_native_new (_("Open Picture of Activation Code"),
                                               GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN,
                                               _("_Open"), _("_Cancel"));
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response), self,
                           G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
clipboard_text_read (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr (EntsecEnrollAssistant) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (source), result, &error);

  if (closed (self))
    return;
  set_busy (self, FALSE);
  if (text == NULL)
    say (self, _("The clipboard holds neither a picture nor text. Copy your activation code "
                 "or its link, then paste again."), TRUE);
  else
    entsec_enroll_assistant_use_link (self, text);
}

static void
clipboard_texture_read (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr (EntsecEnrollAssistant) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture = gdk_clipboard_read_texture_finish (GDK_CLIPBOARD (source),
                                                                      result, &error);
  g_autoptr (GBytes) png = NULL;

  if (closed (self))
    return;
  if (texture == NULL)
    {
      set_busy (self, FALSE);
      say_error (self, error);
      return;
    }
  png = gdk_texture_save_to_png_bytes (texture);
  entsec_qr_decode_bytes_async (png, self->cancellable, bytes_decoded, g_object_ref (self));
}

static void
paste_clicked (EntsecEnrollAssistant *self)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (GTK_WIDGET (self));
  GdkContentFormats *formats = gdk_clipboard_get_formats (clipboard);

  if (self->busy)
    return;
  say (self, NULL, FALSE);
  set_busy (self, TRUE);
  if (gdk_content_formats_contain_gtype (formats, GDK_TYPE_TEXTURE))
    gdk_clipboard_read_texture_async (clipboard, self->cancellable, clipboard_texture_read,
                                      g_object_ref (self));
  else
    gdk_clipboard_read_text_async (clipboard, self->cancellable, clipboard_text_read,
                                   g_object_ref (self));
}

/* ---- Step 2 and resends: a code sent ------------------------------------------------ */

static void
show_code_step (EntsecEnrollAssistant *self)
{
  g_autofree char *sent = NULL;

  /* TRANSLATORS: %s is the address as the server shows it, such as a***@example.com */
  sent = g_strdup_printf (_("If your organization knows this address, a code is on its way to "
                            "%s. Enter it here."),
                          entsec_enroller_get_masked_address (self->enroller));
  gtk_label_set_label (self->sent_label, sent);
  self->resend_not_before = entsec_enroller_get_resend_at (self->enroller);
  show_step (self, "code");
}

static void
started (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (EntsecEnrollAssistant) self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean ok = entsec_enroller_start_finish (self->enroller, result, &error);
  gboolean resend;

  if (closed (self))
    return;
  resend = g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), "code") == 0;
  set_busy (self, FALSE);
  if (!ok)
    {
      gint64 wait = entsec_enroller_get_retry_after (self->enroller);

      if (wait > 0 && resend)
        self->resend_not_before = MAX (self->resend_not_before, now_seconds (self) + wait);
      say_error (self, error);
      update_resend (self);
      return;
    }
  keep_progress (self, NULL,
                 resend ? _("A new code is on its way; the previous one no longer works.")
                        : NULL);
}

static void
start_enrollment (EntsecEnrollAssistant *self,
                  const char            *channel,
                  const char            *address)
{
  set_busy (self, TRUE);
  say (self, NULL, FALSE);
  entsec_enroller_start_async (self->enroller, channel, address, self->cancellable, started,
                               g_object_ref (self));
}

static void
channel_toggled (EntsecEnrollAssistant *self)
{
  gboolean phone = gtk_toggle_button_get_active (self->phone_toggle);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->address_row),
                                 phone ? _("Phone Number (+country code…)")
                                       : _("Email Address"));
  adw_entry_row_set_input_purpose (self->address_row, phone ? GTK_INPUT_PURPOSE_PHONE
                                                            : GTK_INPUT_PURPOSE_EMAIL);
}

static void
send_clicked (EntsecEnrollAssistant *self)
{
  g_autofree char *address = NULL;
  gboolean phone = gtk_toggle_button_get_active (self->phone_toggle);

  if (self->busy || self->enroller == NULL
      || *stripped (GTK_EDITABLE (self->address_row), &address) == '\0')
    return;
  if (!phone && strchr (address, '@') == NULL)
    say (self, _("An email address has an @, such as ann@example.com."), TRUE);
  else if (phone && address[0] != '+')
    say (self, _("Enter the phone number with its country code, such as +49 151 2345678."),
         TRUE);
  else
    start_enrollment (self, phone ? "sms" : "email", address);
}

static void
resend_clicked (EntsecEnrollAssistant *self)
{
  g_autofree char *channel = NULL;
  g_autofree char *address = NULL;

  if (self->busy || self->enroller == NULL || now_seconds (self) < self->resend_not_before)
    return;
  channel = g_strdup (entsec_enroller_get_channel (self->enroller));
  address = g_strdup (entsec_enroller_get_address (self->enroller));
  start_enrollment (self, channel, address);
}

/* ---- Step 3: the code, then what the device shares ------------------------------ */

static GtkWidget *
wrapped_label (const char *text,
               const char *css_class)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  /* Values such as a machine id have no spaces: break them anywhere at 360 px. */
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_selectable (GTK_LABEL (label), FALSE);
  if (css_class != NULL)
    gtk_widget_add_css_class (label, css_class);
  return label;
}

/* One value the device shares: what it is, and its value on this device. */
static GtkWidget *
shared_row (const EntsecDeviceShareItem *item)
{
  GtkWidget *row = adw_preferences_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), item->label);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_margin_top (box, 9);
  gtk_widget_set_margin_bottom (box, 9);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_box_append (GTK_BOX (box), wrapped_label (item->label, NULL));
  gtk_box_append (GTK_BOX (box), wrapped_label (item->value != NULL ? item->value : "",
                                                "dim-label"));
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  return row;
}

static void
show_summary (EntsecEnrollAssistant *self)
{
  GPtrArray *items = entsec_enroller_get_shared (self->enroller);

  for (guint i = 0; i < self->shared_rows->len; i++)
    adw_preferences_group_remove (self->shared_group, g_ptr_array_index (self->shared_rows, i));
  g_ptr_array_set_size (self->shared_rows, 0);
  for (guint i = 0; items != NULL && i < items->len; i++)
    {
      const EntsecDeviceShareItem *item = g_ptr_array_index (items, i);
      GtkWidget *row = shared_row (item);

      adw_preferences_group_add (self->shared_group, row);
      g_ptr_array_add (self->shared_rows, row);
    }
  if (self->shared_rows->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                     _("Nothing about this device besides its own key"));
      adw_preferences_group_add (self->shared_group, row);
      g_ptr_array_add (self->shared_rows, row);
    }
  say (self, NULL, FALSE);
  show_step (self, "summary");
}

static void
verified (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (EntsecEnrollAssistant) self = user_data;
  g_autoptr (GError) error = NULL;
  gboolean ok = entsec_enroller_verify_finish (self->enroller, result, &error);

  if (closed (self))
    return;
  set_busy (self, FALSE);
  if (!ok)
    {
      /* The attempts left are kept before they are shown. */
      if (g_error_matches (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_INVALID_CODE))
        keep_progress (self, g_steal_pointer (&error), NULL);
      else
        say_error (self, error);
      return;
    }
  gtk_editable_set_text (self->code_row, "");
  show_summary (self);
}

static void
verify_clicked (EntsecEnrollAssistant *self)
{
  char *code;

  if (self->busy || self->enroller == NULL)
    return;
  code = typed_code (self);
  if (code == NULL)
    {
      say (self, _("Enter the code’s digits as the message shows them."), TRUE);
      return;
    }
  set_busy (self, TRUE);
  say (self, NULL, FALSE);
  entsec_enroller_verify_async (self->enroller, code, self->cancellable, verified,
                                g_object_ref (self));
  entsec_secure_strfree (code);
}

/* ---- Step 4: registration --------------------------------------------------------- */

static void
registered (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (EntsecEnrollAssistant) self = user_data;
  g_autoptr (GError) error = NULL;
  GApplication *app = g_application_get_default ();
  gboolean ok = entsec_enroller_register_finish (self->enroller, result, &error);

  /* Registered, even if the window closed meanwhile: the vault is enrolled. */
  if (ok)
    {
      forget_progress (self->vault);
      if (ENTSEC_IS_APPLICATION (app))
        entsec_application_enterprise_changed (ENTSEC_APPLICATION (app));
    }
  if (closed (self))
    return;
  set_busy (self, FALSE);
  if (!ok)
    {
      /* The verification is used up: a new code starts over. */
      show_code_step (self);
      self->resend_not_before = 0;
      say_error (self, error);
      update_resend (self);
      return;
    }
  gtk_widget_set_visible (self->cancel_button, FALSE);
  show_step (self, "done");
}

static void
register_clicked (EntsecEnrollAssistant *self)
{
  if (self->busy || self->enroller == NULL)
    return;
  set_busy (self, TRUE);
  say (self, NULL, FALSE);
  entsec_enroller_register_async (self->enroller, self->vault, self->cancellable, registered,
                                  g_object_ref (self));
}

static void
done_clicked (EntsecEnrollAssistant *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

static void
cancel_forgotten (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (EntsecEnrollAssistant) self = user_data;

  progress_removed (source, result, NULL);
  if (!gtk_widget_in_destruction (GTK_WIDGET (self)))
    gtk_window_close (GTK_WINDOW (self));
}

/* Cancel, unlike closing the window (or quitting), forgets the enrollment;
 * the window closes once it is forgotten, so that a quit right after Cancel
 * cannot bring it back at the next start. The protocol has no call to
 * cancel it at the server (docs/protocol.md 8.2): its code expires there,
 * and a new start replaces it. */
static void
cancel_clicked (EntsecEnrollAssistant *self)
{
  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  g_cancellable_cancel (self->cancellable);
  if (self->enroller == NULL || entsec_enroller_get_expires_at (self->enroller) == 0)
    {
      gtk_window_close (GTK_WINDOW (self));
      return;
    }
  set_busy (self, TRUE);
  entsec_vault_remove_pref_async (self->vault, ENTSEC_ENROLLMENT_PREF, NULL, cancel_forgotten,
                                  g_object_ref (self));
}

/* ---- Life cycle ------------------------------------------------------------------------ */

static void
entsec_enroll_assistant_dispose (GObject *object)
{
  EntsecEnrollAssistant *self = ENTSEC_ENROLL_ASSISTANT (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->tick_id, g_source_remove);
  if (self->chooser != NULL)
    gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
  g_clear_object (&self->chooser);
  gtk_widget_dispose_template (GTK_WIDGET (self), ENTSEC_TYPE_ENROLL_ASSISTANT);

  G_OBJECT_CLASS (entsec_enroll_assistant_parent_class)->dispose (object);
}

static void
entsec_enroll_assistant_finalize (GObject *object)
{
  EntsecEnrollAssistant *self = ENTSEC_ENROLL_ASSISTANT (object);

  /* Every task holds a reference: none uses the enroller any more. */
  g_clear_pointer (&self->enroller, entsec_enroller_free);
  g_clear_pointer (&self->shared_rows, g_ptr_array_unref);
  g_clear_object (&self->vault);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (entsec_enroll_assistant_parent_class)->finalize (object);
}

static void
entsec_enroll_assistant_class_init (EntsecEnrollAssistantClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  entsec_app_ensure_resources ();

  object_class->dispose = entsec_enroll_assistant_dispose;
  object_class->finalize = entsec_enroll_assistant_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/entsec/EnterpriseSecurity/"
                                               "entsec-enroll-assistant.ui");
  gtk_widget_class_bind_template_child (widget_class, EntsecEnrollAssistant, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecEnrollAssistant, spinner);
  gtk_widget_class_bind_template_child (widget_class, EntsecEnrollAssistant, stack);
  gtk_widget_class_bind_template_child (widget_class, EntsecEnrollAssistant, message_label);
  gtk_widget_class_bind_template_child (widget_class, EntsecEnrollAssistant, open_image_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecEnrollAssistant, paste_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecEnrollAssistant, server_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecEnrollAssistant, server_next_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecEnrollAssistant, server_label);
  gtk_widget_class_bind_template_child (widget_class, EntsecEnrollAssistant, email_toggle);
  gtk_widget_class_bind_template_child (widget_class, EntsecEnrollAssistant, phone_toggle);
  gtk_widget_class_bind_template_child (widget_class, EntsecEnrollAssistant, address_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecEnrollAssistant, send_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecEnrollAssistant, sent_label);
  gtk_widget_class_bind_template_child (widget_class, EntsecEnrollAssistant, code_row);
  gtk_widget_class_bind_template_child (widget_class, EntsecEnrollAssistant, resend_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecEnrollAssistant, verify_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecEnrollAssistant, shared_group);
  gtk_widget_class_bind_template_child (widget_class, EntsecEnrollAssistant, register_button);
  gtk_widget_class_bind_template_child (widget_class, EntsecEnrollAssistant, background_switch);
  gtk_widget_class_bind_template_callback (widget_class, cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, open_image_clicked);
  gtk_widget_class_bind_template_callback (widget_class, paste_clicked);
  gtk_widget_class_bind_template_callback (widget_class, update_buttons);
  gtk_widget_class_bind_template_callback (widget_class, server_next_clicked);
  gtk_widget_class_bind_template_callback (widget_class, channel_toggled);
  gtk_widget_class_bind_template_callback (widget_class, send_clicked);
  gtk_widget_class_bind_template_callback (widget_class, resend_clicked);
  gtk_widget_class_bind_template_callback (widget_class, verify_clicked);
  gtk_widget_class_bind_template_callback (widget_class, register_clicked);
  gtk_widget_class_bind_template_callback (widget_class, done_clicked);
}

static void
entsec_enroll_assistant_init (EntsecEnrollAssistant *self)
{
  GApplication *app = g_application_get_default ();
  GSettings *settings = ENTSEC_IS_APPLICATION (app)
                        ? entsec_application_get_settings (ENTSEC_APPLICATION (app)) : NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  self->shared_rows = g_ptr_array_new ();
  channel_toggled (self);
  if (settings != NULL)
    g_settings_bind (settings, "run-in-background", self->background_switch, "active",
                     G_SETTINGS_BIND_DEFAULT);
  else
    gtk_widget_set_sensitive (self->background_switch, FALSE);
  update_buttons (self);
}

EntsecEnrollAssistant *
entsec_enroll_assistant_new (GtkWindow   *parent,
                             EntsecVault *vault)
{
  EntsecEnrollAssistant *self;

  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);
  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);

  self = g_object_new (ENTSEC_TYPE_ENROLL_ASSISTANT, "transient-for", parent, NULL);
  self->vault = g_object_ref (vault);
  /* On a phone, no wider or taller than the window it covers. */
  if (parent != NULL && gtk_widget_get_width (GTK_WIDGET (parent)) > 0)
    gtk_window_set_default_size (GTK_WINDOW (self),
                                 MIN (480, gtk_widget_get_width (GTK_WIDGET (parent))),
                                 MIN (640, gtk_widget_get_height (GTK_WIDGET (parent))));
  return self;
}

void
entsec_enroll_assistant_set_clock (EntsecEnrollAssistant *self,
                                   EntsecEventsClock      clock,
                                   gpointer               user_data)
{
  g_return_if_fail (ENTSEC_IS_ENROLL_ASSISTANT (self));

  self->clock = clock;
  self->clock_data = user_data;
  update_resend (self);
}

void
entsec_enroll_assistant_resume (EntsecEnrollAssistant *self,
                                EntsecEnroller        *enroller)
{
  g_return_if_fail (ENTSEC_IS_ENROLL_ASSISTANT (self));
  g_return_if_fail (enroller != NULL);

  take_enroller (self, enroller);
  show_code_step (self);
  say (self, NULL, FALSE);
}

/* ---- The way in: the window, the app's action, links opened by others ---------- */

gboolean
entsec_enroll_is_link (GFile *file)
{
  g_return_val_if_fail (G_IS_FILE (file), FALSE);

  return g_file_has_uri_scheme (file, "entsec");
}

static void
assistant_gone (GtkWindow *window)
{
  g_object_set_data (G_OBJECT (window), ASSISTANT_KEY, NULL);
}

/* The window's assistant, made when needed. */
static EntsecEnrollAssistant *
assistant_of (GtkWindow   *window,
              EntsecVault *vault)
{
  EntsecEnrollAssistant *self = g_object_get_data (G_OBJECT (window), ASSISTANT_KEY);

  if (self != NULL)
    return self;
  self = entsec_enroll_assistant_new (window, vault);
  /* Cleared when the assistant goes (a weak reference through the data). */
  g_object_set_data (G_OBJECT (window), ASSISTANT_KEY, self);
  g_signal_connect_object (self, "destroy", G_CALLBACK (assistant_gone), window,
                           G_CONNECT_SWAPPED);
  return self;
}

/* Whether app.enroll is enabled: FALSE once the vault is known to be enrolled. */
static gboolean
enroll_offered (GtkWindow *window)
{
  GtkApplication *app = gtk_window_get_application (window);
  GAction *action = app != NULL ? g_action_map_lookup_action (G_ACTION_MAP (app), "enroll")
                                : NULL;

  return action == NULL || g_action_get_enabled (action);
}

/* An activation link opened on an enrolled device: say why nothing happens. */
static void
already_enrolled (GtkWindow *window)
{
  GtkWidget *dialog = adw_message_dialog_new (window, _("Already Connected"),
                                              _("This device is connected to an organization "
                                                "already. Unbind it on the device page before "
                                                "connecting it again."));

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

void
entsec_enroll_open (GtkWindow  *window,
                    const char *link)
{
  EntsecVault *vault;
  EntsecEnrollAssistant *self;

  g_return_if_fail (ENTSEC_IS_WINDOW (window));

  vault = entsec_window_get_vault (ENTSEC_WINDOW (window));
  if (vault == NULL || !entsec_vault_is_unlocked (vault))
    {
      g_object_set_data_full (G_OBJECT (window), PENDING_KEY, g_strdup (link != NULL ? link : ""),
                              g_free);
      return;
    }
  if (!enroll_offered (window))
    {
      already_enrolled (window);
      return;
    }
  self = assistant_of (window, vault);
  if (link != NULL && *link != '\0')
    entsec_enroll_assistant_use_link (self, link);
  gtk_window_present (GTK_WINDOW (self));
}

/* ---- app.enroll: only while the vault is not enrolled ---- */

/* The state as last read: enrolled or not (a vault not read yet leaves the action as it is). */
static void
enroll_action_follow (EntsecEnterpriseState *state,
                      GApplication          *app)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (app), "enroll");

  if (G_IS_SIMPLE_ACTION (action) && entsec_enterprise_state_is_loaded (state))
    g_simple_action_set_enabled (G_SIMPLE_ACTION (action),
                                 !entsec_enterprise_state_is_enrolled (state));
}

#define FOLLOWED_KEY "entsec-enroll-action-followed"

void
entsec_enroll_update_action (GApplication *app,
                             EntsecVault  *vault)
{
  EntsecEnterpriseState *state;

  g_return_if_fail (G_IS_APPLICATION (app));
  g_return_if_fail (ENTSEC_IS_VAULT (vault));

  /* The state reads the vault at each unlock and each enterprise change: no read of our own. */
  state = entsec_enterprise_state_get (vault);
  if (g_object_get_data (G_OBJECT (state), FOLLOWED_KEY) != app)
    {
      g_object_set_data (G_OBJECT (state), FOLLOWED_KEY, app);
      g_signal_connect_object (state, "changed", G_CALLBACK (enroll_action_follow), app, 0);
    }
  enroll_action_follow (state, app);
}

/* ---- The enrollment kept from the last run ---- */

static void
saved_read (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GtkWindow) window = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) saved = entsec_vault_get_pref_finish (ENTSEC_VAULT (source), result,
                                                             &error);
  EntsecEnroller *enroller;
  EntsecEnrollAssistant *self;

  if (saved == NULL || !g_variant_is_of_type (saved, G_VARIANT_TYPE_STRING)
      || gtk_widget_in_destruction (GTK_WIDGET (window)))
    return;
  self = assistant_of (window, ENTSEC_VAULT (source));
  enroller = entsec_enroller_deserialize (g_variant_get_string (saved, NULL),
                                          now_seconds (self), &error);
  if (enroller != NULL)
    entsec_enroll_assistant_resume (self, enroller);
  else
    {
      /* Expired or unreadable: say so once, then forget it. */
      forget_progress (ENTSEC_VAULT (source));
      say_error (self, error);
    }
  gtk_window_present (GTK_WINDOW (self));
}

void
entsec_enroll_window_ready (GtkWindow   *window,
                            EntsecVault *vault)
{
  g_autofree char *pending = NULL;

  g_return_if_fail (ENTSEC_IS_WINDOW (window));
  g_return_if_fail (ENTSEC_IS_VAULT (vault));

  entsec_enroll_update_action (G_APPLICATION (gtk_window_get_application (window)), vault);
  pending = g_object_steal_data (G_OBJECT (window), PENDING_KEY);
  if (pending != NULL)
    entsec_enroll_open (window, pending);
  else if (g_object_get_data (G_OBJECT (window), ASSISTANT_KEY) == NULL)
    entsec_vault_get_pref_async (vault, ENTSEC_ENROLLMENT_PREF, NULL, saved_read,
                                 g_object_ref (window));
}
