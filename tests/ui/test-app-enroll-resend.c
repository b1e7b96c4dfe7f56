/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-app-enroll-resend.c: the enrollment assistant's "Send Again"
 * countdown by an injected clock, a resend the real server refuses with
 * 429 and Retry-After (the countdown starts again with the server's wait),
 * and Cancel, which forgets the enrollment kept in the vault before the
 * window closes. Run by test-app-enroll-resend.py, which starts
 * entsec-server over TLS on loopback and gives ENTSEC_TEST_LINK: an
 * activation link (server, pins) with an email address the server knows.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <adwaita.h>
#include <glib/gstdio.h>
#include <entsec/entsec.h>

#include "entsec-application.h"
#include "entsec-enroll-assistant.h"

/* Cheap Argon2id costs: the test is about the assistant, not the KDF. */
static const EntsecKdfParams cheap_kdf = { 8 * 1024, 1, 1 };

#define PASSPHRASE "orchid-lantern-quarry-41"

static gint64
fixed_clock (gpointer user_data)
{
  return *(gint64 *) user_data;
}

typedef gboolean (*Match) (GtkWidget *widget, gconstpointer data);

/* The first widget under @root (itself included) that @match takes. */
static GtkWidget *
find (GtkWidget    *root,
      Match         match,
      gconstpointer data)
{
  if (match (root, data))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find (child, match, data);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
is_button_labelled (GtkWidget    *widget,
                    gconstpointer prefix)
{
  const char *label = GTK_IS_BUTTON (widget) ? gtk_button_get_label (GTK_BUTTON (widget))
                                             : NULL;

  return label != NULL && g_str_has_prefix (label, prefix);
}

static gboolean
is_stack (GtkWidget    *widget,
          gconstpointer data)
{
  return GTK_IS_STACK (widget);
}

static gboolean
is_error_label (GtkWidget    *widget,
                gconstpointer data)
{
  return GTK_IS_LABEL (widget) && gtk_widget_has_css_class (widget, "error")
         && gtk_widget_get_visible (widget);
}

static GtkWidget *
must_find (GtkWidget    *root,
           Match         match,
           gconstpointer data)
{
  GtkWidget *found = find (root, match, data);

  if (found == NULL)
    g_error ("no widget matching \"%s\" in the assistant", data != NULL ? (char *) data : "");
  return found;
}

static void
click (GtkWidget *button)
{
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

/* A hang is a failure with a reason, not the test runner's timeout. */
static gboolean
watchdog (gpointer user_data)
{
  g_error ("still waiting for %s", (const char *) user_data);
  return G_SOURCE_REMOVE;
}

static void
wait_for_step (GtkWidget  *assistant,
               const char *step)
{
  GtkStack *stack = GTK_STACK (must_find (assistant, is_stack, NULL));
  guint guard = g_timeout_add_seconds (60, watchdog, (gpointer) step);

  while (g_strcmp0 (gtk_stack_get_visible_child_name (stack), step) != 0)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (guard);
}

static GtkWidget *
wait_for_error (GtkWidget *assistant)
{
  GtkWidget *label;
  guint guard = g_timeout_add_seconds (60, watchdog, (gpointer) "an error message");

  while ((label = find (assistant, is_error_label, NULL)) == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (guard);
  return label;
}

static char *
kept_enrollment (EntsecVault *vault)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GVariant) saved = entsec_vault_get_pref_sync (vault, ENTSEC_ENROLLMENT_PREF, NULL,
                                                           &error);

  g_assert_no_error (error);
  return saved != NULL ? g_variant_dup_string (saved, NULL) : NULL;
}

static void
assert_resend (GtkWidget  *button,
               const char *label,
               gboolean    sensitive)
{
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (button)), ==, label);
  g_assert_cmpint (gtk_widget_get_sensitive (button), ==, sensitive);
}

/* What the vault keeps at the moment the assistant goes. */
typedef struct
{
  EntsecVault *vault;
  gboolean     read;
  char        *kept;
} Closing;

static void
read_at_destroy (GtkWidget *assistant,
                 Closing   *closing)
{
  closing->kept = kept_enrollment (closing->vault);
  closing->read = TRUE;
}

static void
remove_dir (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (path, name, NULL);

      g_unlink (file);
    }
  g_rmdir (path);
}

static void
test_countdown_retry_after_and_cancel (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("entsec-app-enroll-resend-XXXXXX", &error);
  g_autofree char *path = g_build_filename (dir, "vault.db", NULL);
  g_autoptr (EntsecVault) vault = NULL;
  g_autofree char *saved = NULL;
  g_autoptr (EntsecEnroller) kept = NULL;
  g_autofree char *wait_label = NULL;
  GtkWidget *assistant;
  GtkWidget *resend;
  GtkWidget *message;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 resend_at;
  guint64 wait = 0;
  const char *text;
  guint guard;
  Closing closing = { NULL };

  g_assert_no_error (error);
  vault = entsec_vault_create_sync (path, FALSE, PASSPHRASE, strlen (PASSPHRASE), &cheap_kdf,
                                    NULL, &error);
  g_assert_no_error (error);
  assistant = GTK_WIDGET (entsec_enroll_assistant_new (NULL, vault));
  entsec_enroll_assistant_set_clock (ENTSEC_ENROLL_ASSISTANT (assistant), fixed_clock, &now);
  gtk_window_present (GTK_WINDOW (assistant));

  /* The link's address step, prefilled; the code is sent and the enrollment kept. */
  entsec_enroll_assistant_use_link (ENTSEC_ENROLL_ASSISTANT (assistant),
                                    g_getenv ("ENTSEC_TEST_LINK"));
  click (must_find (assistant, is_button_labelled, "_Send Code"));
  wait_for_step (assistant, "code");
  saved = kept_enrollment (vault);
  g_assert_nonnull (saved);
  kept = entsec_enroller_deserialize (saved, now, &error);
  g_assert_no_error (error);
  resend_at = entsec_enroller_get_resend_at (kept);
  g_assert_cmpint (resend_at, >, now + 30);

  /* The countdown, by the injected clock. */
  resend = must_find (assistant, is_button_labelled, "Send Again in ");
  now = resend_at - 30;
  entsec_enroll_assistant_set_clock (ENTSEC_ENROLL_ASSISTANT (assistant), fixed_clock, &now);
  assert_resend (resend, "Send Again in 30 seconds", FALSE);
  now = resend_at - 1;
  entsec_enroll_assistant_set_clock (ENTSEC_ENROLL_ASSISTANT (assistant), fixed_clock, &now);
  assert_resend (resend, "Send Again in 1 second", FALSE);
  now = resend_at;
  entsec_enroll_assistant_set_clock (ENTSEC_ENROLL_ASSISTANT (assistant), fixed_clock, &now);
  assert_resend (resend, "Send _Again", TRUE);

  /* The server's own clock says it is too early: 429 with Retry-After, and
   * the countdown starts again from the server's wait. */
  click (resend);
  message = wait_for_error (assistant);
  text = gtk_label_get_label (GTK_LABEL (message));
  g_assert_true (g_str_has_prefix (text, "Too many attempts. Try again in "));
  g_assert_cmpint (sscanf (text, "Too many attempts. Try again in %" G_GUINT64_FORMAT, &wait),
                   ==, 1);
  g_assert_cmpuint (wait, >=, 1);
  g_assert_cmpuint (wait, <=, 60);
  wait_label = g_strdup_printf (wait == 1 ? "Send Again in %" G_GUINT64_FORMAT " second"
                                          : "Send Again in %" G_GUINT64_FORMAT " seconds", wait);
  assert_resend (resend, wait_label, FALSE);
  now = resend_at + (gint64) wait;
  entsec_enroll_assistant_set_clock (ENTSEC_ENROLL_ASSISTANT (assistant), fixed_clock, &now);
  assert_resend (resend, "Send _Again", TRUE);

  /* Cancel forgets the kept enrollment (closing the window would keep it),
   * then closes the window: once it is gone, so is the enrollment. */
  g_clear_pointer (&saved, g_free);
  saved = kept_enrollment (vault);
  g_assert_nonnull (saved);
  g_object_add_weak_pointer (G_OBJECT (assistant), (gpointer *) &assistant);
  g_signal_connect (assistant, "destroy", G_CALLBACK (read_at_destroy), &closing);
  closing.vault = vault;
  click (must_find (assistant, is_button_labelled, "_Cancel"));
  guard = g_timeout_add_seconds (60, watchdog, (gpointer) "the assistant to close");
  while (assistant != NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (guard);
  g_assert_true (closing.read);
  g_assert_null (closing.kept);

  g_free (closing.kept);
  g_clear_object (&vault);
  remove_dir (dir);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  entsec_app_ensure_resources ();

  g_test_add_func ("/app/enroll/resend-countdown-retry-after-cancel",
                   test_countdown_retry_after_and_cancel);
  return g_test_run ();
}
