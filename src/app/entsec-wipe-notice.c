/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-wipe-notice.c: the notice of a remote wipe (docs/protocol.md 8.8),
 * with the same words whether the wipe arrived while the app ran or while
 * it was closed or locked (then the core finishes it at the next unlock and
 * the notice follows that unlock). Each wipe is told once: the vault keeps
 * which one was (ENTSEC_WIPE_NOTICE_PREF), and so does the vault object for
 * a wipe told while the vault was locked.
 */

#define G_LOG_DOMAIN "entsec-wipe-notice"

#include "config.h"

#include <glib/gi18n.h>

#include "entsec-wipe-notice.h"

#define NOTICED_KEY "entsec-wipe-noticed"

/* A later unlock removed the rest: more than this after the wipe arrived. */
#define LATER_SECONDS 60

static char *
format_day (gint64 seconds)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (seconds);
  g_autoptr (GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;

  /* TRANSLATORS: a date with the time, as in "5 March 2026, 14:02" (the codes of
   * g_date_time_format()). xgettext:no-c-format */
  return local != NULL ? g_date_time_format (local, _("%-d %B %Y, %H:%M")) : g_strdup ("?");
}

char *
entsec_wipe_notice_text (const EntsecRemoteWipe *wipe)
{
  g_autofree char *ordered = NULL;
  g_autofree char *completed = NULL;

  if (wipe == NULL)
    return g_strdup (_("Your organization wiped the accounts it manages from this device, and "
                       "this device is no longer enrolled. Your personal accounts are kept."));
  ordered = format_day (wipe->ordered_at > 0 ? wipe->ordered_at : wipe->received_at);
  if (wipe->reason == ENTSEC_WIPE_FAILED_UNLOCKS)
    return g_strdup_printf (_("On %s a wrong passphrase or PIN was entered as often as your "
                              "organization allows, so the accounts your organization manages "
                              "and its settings were removed, and this device is no longer "
                              "enrolled. Your personal accounts are kept; ask your "
                              "administrator to enroll this device again."), ordered);
  if (wipe->completed_at <= wipe->received_at + LATER_SECONDS)
    return g_strdup_printf (_("On %s an administrator of your organization ordered this device "
                              "wiped: the accounts your organization manages and its settings "
                              "were removed, and this device is no longer enrolled. Your "
                              "personal accounts are kept."), ordered);
  completed = format_day (wipe->completed_at);
  return g_strdup_printf (_("On %s an administrator of your organization ordered this device "
                            "wiped while the app was closed or locked: its key was destroyed at "
                            "once, and the accounts your organization manages and its settings "
                            "were removed when the app was unlocked on %s. This device is no "
                            "longer enrolled. Your personal accounts are kept."),
                          ordered, completed);
}

static void
present (GtkWindow              *window,
         const EntsecRemoteWipe *wipe)
{
  g_autofree char *body = entsec_wipe_notice_text (wipe);
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (window, _("Managed Accounts Removed"),
                                                       body));
  adw_message_dialog_add_response (dialog, "close", _("_Close"));
  adw_message_dialog_set_default_response (dialog, "close");
  gtk_window_present (GTK_WINDOW (dialog));
}

static gboolean
noticed_here (EntsecVault            *vault,
              const EntsecRemoteWipe *wipe)
{
  gint64 *noticed = g_object_get_data (G_OBJECT (vault), NOTICED_KEY);

  return noticed != NULL && *noticed == wipe->received_at;
}

/* Remember @wipe as told: on the object, and in the vault when it can be written. */
static void
mark_noticed (EntsecVault            *vault,
              const EntsecRemoteWipe *wipe)
{
  gint64 *noticed = g_new (gint64, 1);

  *noticed = wipe->received_at;
  g_object_set_data_full (G_OBJECT (vault), NOTICED_KEY, noticed, g_free);
  if (entsec_vault_is_unlocked (vault) && !entsec_vault_is_read_only (vault))
    entsec_vault_set_pref_async (vault, ENTSEC_WIPE_NOTICE_PREF,
                                 g_variant_new_int64 (wipe->received_at), NULL, NULL, NULL);
}

typedef struct
{
  GtkWindow        *window;
  gboolean          now;
  EntsecRemoteWipe *wipe;
} Notice;

static void
notice_free (Notice *notice)
{
  g_object_unref (notice->window);
  g_free (notice->wipe);
  g_free (notice);
}

static Notice *
notice_new (GtkWindow *window,
            gboolean   now)
{
  Notice *notice = g_new0 (Notice, 1);

  notice->window = g_object_ref (window);
  notice->now = now;
  return notice;
}

static void
pref_read (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Notice *notice = user_data;
  EntsecVault *vault = ENTSEC_VAULT (source);
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) value = entsec_vault_get_pref_finish (vault, result, &error);

  if (error == NULL
      && (value == NULL || !g_variant_is_of_type (value, G_VARIANT_TYPE_INT64)
          || g_variant_get_int64 (value) != notice->wipe->received_at)
      && !noticed_here (vault, notice->wipe))
    {
      present (notice->window, notice->wipe);
      mark_noticed (vault, notice->wipe);
    }
  notice_free (notice);
}

static void
wipe_read (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Notice *notice = user_data;
  EntsecVault *vault = ENTSEC_VAULT (source);
  g_autoptr (GError) error = NULL;

  notice->wipe = entsec_enterprise_remote_wipe_get_finish (vault, result, &error);
  if (notice->now)
    {
      if (notice->wipe == NULL || !noticed_here (vault, notice->wipe))
        present (notice->window, notice->wipe);
      if (notice->wipe != NULL)
        mark_noticed (vault, notice->wipe);
    }
  else if (notice->wipe != NULL && notice->wipe->completed_at != 0
           && !noticed_here (vault, notice->wipe))
    {
      entsec_vault_get_pref_async (vault, ENTSEC_WIPE_NOTICE_PREF, NULL, pref_read, notice);
      return;
    }
  notice_free (notice);
}

void
entsec_wipe_notice_show_now (GtkWindow   *window,
                             EntsecVault *vault)
{
  g_return_if_fail (GTK_IS_WINDOW (window));
  g_return_if_fail (vault == NULL || ENTSEC_IS_VAULT (vault));

  if (vault == NULL)
    present (window, NULL);
  else
    entsec_enterprise_remote_wipe_get_async (vault, NULL, wipe_read, notice_new (window, TRUE));
}

void
entsec_wipe_notice_after_unlock (GtkWindow    *window,
                                 EntsecVault  *vault,
                                 GCancellable *cancellable)
{
  g_return_if_fail (GTK_IS_WINDOW (window));
  g_return_if_fail (ENTSEC_IS_VAULT (vault));

  entsec_enterprise_remote_wipe_get_async (vault, cancellable, wipe_read,
                                           notice_new (window, FALSE));
}
