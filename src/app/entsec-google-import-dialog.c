/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-google-import-dialog.c: the accounts of an export, each with a check box */

#define G_LOG_DOMAIN "entsec-google-import"

#include "config.h"

#include <glib/gi18n.h>

#include "entsec-application.h"
#include "entsec-google-import-dialog.h"

/* One account of the export: what its row shows, whether it is checked. */
#define ENTSEC_TYPE_IMPORT_ITEM (entsec_import_item_get_type ())
G_DECLARE_FINAL_TYPE (EntsecImportItem, entsec_import_item, ENTSEC, IMPORT_ITEM, GObject)

struct _EntsecImportItem
{
  GObject         parent_instance;

  EntsecAccount  *account;
  gboolean        duplicate;
  gboolean        chosen;
  /* The check box of the row showing the item, while one is bound to it. */
  GtkCheckButton *check;
};

G_DEFINE_FINAL_TYPE (EntsecImportItem, entsec_import_item, G_TYPE_OBJECT)

static void
entsec_import_item_finalize (GObject *object)
{
  EntsecImportItem *self = ENTSEC_IMPORT_ITEM (object);

  g_clear_pointer (&self->account, entsec_account_free);

  G_OBJECT_CLASS (entsec_import_item_parent_class)->finalize (object);
}

static void
entsec_import_item_class_init (EntsecImportItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = entsec_import_item_finalize;
}

static void
entsec_import_item_init (EntsecImportItem *self)
{
}

struct _EntsecGoogleImportDialog
{
  AdwWindow             parent_instance;

  GtkLabel             *description;
  GtkGridView          *list_view;
  GtkWidget            *add_button;

  /* EntsecImportItem, one per account: a one-column grid shows them, so
   * only the rows on screen exist (an export of 1,000 accounts opens as fast
   * as one of 10). */
  GListStore           *items;
  guint                 n_chosen;
  gboolean              done;
};

G_DEFINE_FINAL_TYPE (EntsecGoogleImportDialog, entsec_google_import_dialog, ADW_TYPE_WINDOW)

enum
{
  SIGNAL_DONE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Issuer and label, case-folded: the vault's notion of the same account. */
static char *
identity_of (const char *issuer,
             const char *label)
{
  g_autofree char *folded_issuer = g_utf8_casefold (issuer != NULL ? issuer : "", -1);
  g_autofree char *folded_label = g_utf8_casefold (label != NULL ? label : "", -1);

  return g_strconcat (folded_issuer, "\x1f", folded_label, NULL);
}

static EntsecImportItem *
item_at (EntsecGoogleImportDialog *self,
         guint                     index)
{
  g_autoptr (EntsecImportItem) item = g_list_model_get_item (G_LIST_MODEL (self->items), index);

  /* The store holds the item: a borrowed pointer. */
  return item;
}

static void
update_add_button (EntsecGoogleImportDialog *self)
{
  gtk_widget_set_sensitive (self->add_button, self->n_chosen > 0);
}

static void
item_set_chosen (EntsecGoogleImportDialog *self,
                 EntsecImportItem         *item,
                 gboolean                  chosen)
{
  if (item->duplicate || item->chosen == chosen)
    return;
  item->chosen = chosen;
  if (chosen)
    self->n_chosen++;
  else
    self->n_chosen--;
  if (item->check != NULL)
    gtk_check_button_set_active (item->check, chosen);
  update_add_button (self);
}

guint
entsec_google_import_dialog_get_n_accounts (EntsecGoogleImportDialog *self)
{
  g_return_val_if_fail (ENTSEC_IS_GOOGLE_IMPORT_DIALOG (self), 0);

  return g_list_model_get_n_items (G_LIST_MODEL (self->items));
}

gboolean
entsec_google_import_dialog_is_duplicate (EntsecGoogleImportDialog *self,
                                          guint                     index)
{
  g_return_val_if_fail (ENTSEC_IS_GOOGLE_IMPORT_DIALOG (self), FALSE);
  g_return_val_if_fail (index < entsec_google_import_dialog_get_n_accounts (self), FALSE);

  return item_at (self, index)->duplicate;
}

gboolean
entsec_google_import_dialog_get_chosen (EntsecGoogleImportDialog *self,
                                        guint                     index)
{
  g_return_val_if_fail (ENTSEC_IS_GOOGLE_IMPORT_DIALOG (self), FALSE);
  g_return_val_if_fail (index < entsec_google_import_dialog_get_n_accounts (self), FALSE);

  return item_at (self, index)->chosen;
}

void
entsec_google_import_dialog_set_chosen (EntsecGoogleImportDialog *self,
                                        guint                     index,
                                        gboolean                  chosen)
{
  g_return_if_fail (ENTSEC_IS_GOOGLE_IMPORT_DIALOG (self));
  g_return_if_fail (index < entsec_google_import_dialog_get_n_accounts (self));

  item_set_chosen (self, item_at (self, index), chosen);
}

GPtrArray *
entsec_google_import_dialog_dup_chosen (EntsecGoogleImportDialog *self)
{
  GPtrArray *chosen = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  guint n;

  g_return_val_if_fail (ENTSEC_IS_GOOGLE_IMPORT_DIALOG (self), chosen);

  n = entsec_google_import_dialog_get_n_accounts (self);
  for (guint i = 0; i < n; i++)
    {
      EntsecImportItem *item = item_at (self, i);

      if (item->chosen)
        g_ptr_array_add (chosen, entsec_account_copy (item->account));
    }
  return chosen;
}

void
entsec_google_import_dialog_accept (EntsecGoogleImportDialog *self)
{
  g_autoptr (GPtrArray) chosen = NULL;

  g_return_if_fail (ENTSEC_IS_GOOGLE_IMPORT_DIALOG (self));

  if (self->done || !gtk_widget_get_sensitive (self->add_button))
    return;
  self->done = TRUE;
  chosen = entsec_google_import_dialog_dup_chosen (self);
  g_object_ref (self);
  g_signal_emit (self, signals[SIGNAL_DONE], 0, chosen);
  gtk_window_destroy (GTK_WINDOW (self));
  g_object_unref (self);
}

static gboolean
entsec_google_import_dialog_close_request (GtkWindow *window)
{
  EntsecGoogleImportDialog *self = ENTSEC_GOOGLE_IMPORT_DIALOG (window);

  if (!self->done)
    {
      self->done = TRUE;
      g_signal_emit (self, signals[SIGNAL_DONE], 0, NULL);
    }
  return GTK_WINDOW_CLASS (entsec_google_import_dialog_parent_class)->close_request (window);
}

static void
cancel_clicked (EntsecGoogleImportDialog *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

static void
entsec_google_import_dialog_dispose (GObject *object)
{
  EntsecGoogleImportDialog *self = ENTSEC_GOOGLE_IMPORT_DIALOG (object);

  if (self->list_view != NULL)
    gtk_grid_view_set_model (self->list_view, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), ENTSEC_TYPE_GOOGLE_IMPORT_DIALOG);

  G_OBJECT_CLASS (entsec_google_import_dialog_parent_class)->dispose (object);
}

static void
entsec_google_import_dialog_finalize (GObject *object)
{
  EntsecGoogleImportDialog *self = ENTSEC_GOOGLE_IMPORT_DIALOG (object);

  g_clear_object (&self->items);

  G_OBJECT_CLASS (entsec_google_import_dialog_parent_class)->finalize (object);
}

static void row_activated (EntsecGoogleImportDialog *self,
                           guint                     position);

static void
entsec_google_import_dialog_class_init (EntsecGoogleImportDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  entsec_app_ensure_resources ();

  object_class->dispose = entsec_google_import_dialog_dispose;
  object_class->finalize = entsec_google_import_dialog_finalize;
  window_class->close_request = entsec_google_import_dialog_close_request;

  /* EntsecGoogleImportDialog::done: (chosen) the checked accounts, or NULL
   * when the dialog was closed without adding. */
  signals[SIGNAL_DONE] = g_signal_new ("done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1,
                                       G_TYPE_PTR_ARRAY | G_SIGNAL_TYPE_STATIC_SCOPE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/entsec/EnterpriseSecurity/entsec-google-import-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, EntsecGoogleImportDialog, description);
  gtk_widget_class_bind_template_child (widget_class, EntsecGoogleImportDialog, list_view);
  gtk_widget_class_bind_template_child (widget_class, EntsecGoogleImportDialog, add_button);
  gtk_widget_class_bind_template_callback (widget_class, cancel_clicked);
  gtk_widget_class_bind_template_callback (widget_class, row_activated);
  gtk_widget_class_bind_template_callback (widget_class, entsec_google_import_dialog_accept);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

/* A row: the check box, named after the account, then its issuer and
 * label; a duplicate's row is dimmed, its box unchecked and insensitive. */
static void
setup_row (GtkSignalListItemFactory *factory,
           GtkListItem              *list_item,
           gpointer                  user_data)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *check = gtk_check_button_new ();
  GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *subtitle = gtk_label_new (NULL);

  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (texts, GTK_ALIGN_CENTER);
  gtk_widget_set_hexpand (texts, TRUE);
  for (GtkWidget *label = title; label != NULL; label = label == title ? subtitle : NULL)
    {
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      gtk_box_append (GTK_BOX (texts), label);
    }
  gtk_widget_add_css_class (subtitle, "dim-label");
  gtk_widget_add_css_class (subtitle, "caption");
  gtk_box_append (GTK_BOX (box), check);
  gtk_box_append (GTK_BOX (box), texts);
  gtk_list_item_set_child (list_item, box);
}

static void
check_toggled (GtkCheckButton           *check,
               EntsecGoogleImportDialog *self)
{
  EntsecImportItem *item = g_object_get_data (G_OBJECT (check), "entsec-import-item");

  if (item != NULL)
    item_set_chosen (self, item, gtk_check_button_get_active (check));
}

static void
bind_row (GtkSignalListItemFactory *factory,
          GtkListItem              *list_item,
          gpointer                  user_data)
{
  EntsecGoogleImportDialog *self = ENTSEC_GOOGLE_IMPORT_DIALOG (user_data);
  EntsecImportItem *item = gtk_list_item_get_item (list_item);
  const EntsecAccount *account = item->account;
  GtkWidget *box = gtk_list_item_get_child (list_item);
  GtkWidget *check = gtk_widget_get_first_child (box);
  GtkWidget *title = gtk_widget_get_first_child (gtk_widget_get_next_sibling (check));
  GtkWidget *subtitle = gtk_widget_get_next_sibling (title);
  g_autofree char *name = entsec_account_dup_display_name (account);
  gboolean has_issuer = account->issuer != NULL && *account->issuer != '\0';
  g_autofree char *text = NULL;

  if (item->duplicate && has_issuer)
    text = g_strdup_printf (_("%s — already in your list"), account->label);
  else if (item->duplicate)
    text = g_strdup (_("Already in your list"));
  else if (has_issuer)
    text = g_strdup (account->label);
  gtk_label_set_text (GTK_LABEL (title), has_issuer ? account->issuer : account->label);
  gtk_label_set_text (GTK_LABEL (subtitle), text != NULL ? text : "");
  gtk_widget_set_visible (subtitle, text != NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (check), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), item->chosen);
  gtk_widget_set_sensitive (check, !item->duplicate);
  if (item->duplicate)
    gtk_widget_add_css_class (box, "dim-label");
  else
    gtk_widget_remove_css_class (box, "dim-label");
  item->check = GTK_CHECK_BUTTON (check);
  g_object_set_data (G_OBJECT (check), "entsec-import-item", item);
  g_signal_connect_object (check, "toggled", G_CALLBACK (check_toggled), self, 0);
}

static void
unbind_row (GtkSignalListItemFactory *factory,
            GtkListItem              *list_item,
            gpointer                  user_data)
{
  EntsecImportItem *item = gtk_list_item_get_item (list_item);
  GtkWidget *check = gtk_widget_get_first_child (gtk_list_item_get_child (list_item));

  g_signal_handlers_disconnect_by_func (check, check_toggled, user_data);
  g_object_set_data (G_OBJECT (check), "entsec-import-item", NULL);
  if (item != NULL && item->check == GTK_CHECK_BUTTON (check))
    item->check = NULL;
}

/* A click or Enter on a row toggles its account. */
static void
row_activated (EntsecGoogleImportDialog *self,
               guint                     position)
{
  EntsecImportItem *item;

  if (position >= entsec_google_import_dialog_get_n_accounts (self))
    return;
  item = item_at (self, position);
  item_set_chosen (self, item, !item->chosen);
}

static void
entsec_google_import_dialog_init (EntsecGoogleImportDialog *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  g_autoptr (GtkNoSelection) selection = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->items = g_list_store_new (ENTSEC_TYPE_IMPORT_ITEM);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (unbind_row), self);
  gtk_grid_view_set_factory (self->list_view, factory);
  g_object_unref (factory);
  selection = gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->items)));
  gtk_grid_view_set_model (self->list_view, GTK_SELECTION_MODEL (selection));
}

EntsecGoogleImportDialog *
entsec_google_import_dialog_new (GtkWindow *parent,
                                 GPtrArray *accounts,
                                 GPtrArray *existing)
{
  EntsecGoogleImportDialog *self;
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GPtrArray) items = NULL;
  g_autofree char *description = NULL;

  g_return_val_if_fail (accounts != NULL, NULL);

  self = g_object_new (ENTSEC_TYPE_GOOGLE_IMPORT_DIALOG, "transient-for", parent,
                       "destroy-with-parent", TRUE, NULL);
  for (guint i = 0; existing != NULL && i < existing->len; i++)
    {
      EntsecAccountSummary *summary = g_ptr_array_index (existing, i);

      g_hash_table_add (seen, identity_of (entsec_account_summary_get_issuer (summary),
                                           entsec_account_summary_get_label (summary)));
    }
  items = g_ptr_array_new_full (accounts->len, g_object_unref);
  for (guint i = 0; i < accounts->len; i++)
    {
      const EntsecAccount *account = g_ptr_array_index (accounts, i);
      EntsecImportItem *item = g_object_new (ENTSEC_TYPE_IMPORT_ITEM, NULL);

      item->account = entsec_account_copy (account);
      item->duplicate = !g_hash_table_add (seen, identity_of (account->issuer, account->label));
      item->chosen = !item->duplicate;
      self->n_chosen += item->chosen ? 1 : 0;
      g_ptr_array_add (items, item);
    }
  g_list_store_splice (self->items, 0, 0, items->pdata, items->len);
  description = g_strdup_printf (g_dngettext (NULL, "The export holds %u account. Add the checked ones.",
                                              "The export holds %u accounts. Add the checked ones.",
                                              accounts->len),
                                 accounts->len);
  gtk_label_set_text (self->description, description);
  update_add_button (self);
  return self;
}
