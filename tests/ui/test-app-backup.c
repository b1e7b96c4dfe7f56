/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-app-backup.c: the preferences' Backup group on real vault files and
 * real backup files, on a real display (xvfb-session.sh). The file choosers
 * are the desktop's; the tests start where they hand over a path. */

#include "config.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <entsec/entsec.h>

#include "entsec-application.h"
#include "entsec-backup-group.h"
#include "vault-test-util.h"

/* Cheap Argon2id costs: the test is about the group, not the KDF. */
static const EntsecKdfParams cheap_kdf = { 8 * 1024, 1, 1 };

#define VAULT_PASSPHRASE  "orchid-lantern-quarry-41"
#define BACKUP_PASSPHRASE "velvet-harbour-juniper-73"
/* tests/data/vault/README.md */
#define FIXTURE_BACKUP_PASSPHRASE "entsec fixture backup v1"

static const char *const uris[] = {
  "otpauth://totp/GitHub:alice?secret=JBSWY3DPEHPK3PXP&issuer=GitHub",
  "otpauth://hotp/Forge:bob?secret=GEZDGNBVGY3TQOJQ&issuer=Forge&counter=7",
};

typedef struct
{
  char              *dir;
  EntsecVault       *vault;   /* with a passphrase and the accounts of uris[] */
  EntsecVault       *fresh;   /* keyring only, empty */
  EntsecBackupGroup *group;
  EntsecBackupGroup *fresh_group;
  char              *toast;
} Fixture;

static void
keep_toast (Fixture    *f,
            const char *message)
{
  g_free (f->toast);
  f->toast = g_strdup (message);
}

static EntsecBackupGroup *
group_new (Fixture     *f,
           EntsecVault *vault)
{
  EntsecBackupGroup *group = g_object_ref_sink (g_object_new (ENTSEC_TYPE_BACKUP_GROUP, NULL));

  entsec_backup_group_set_vault (group, vault);
  entsec_backup_group_set_kdf (group, &cheap_kdf);
  g_signal_connect_swapped (group, "toast", G_CALLBACK (keep_toast), f);
  return group;
}

static void
fixture_set_up (Fixture      *f,
                gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) accounts = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  g_autofree char *path = NULL;
  g_autofree char *fresh_path = NULL;

  f->dir = g_dir_make_tmp ("entsec-app-backup-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (f->dir, "vault.db", NULL);
  f->vault = entsec_vault_create_sync (path, FALSE, VAULT_PASSPHRASE, strlen (VAULT_PASSPHRASE),
                                       &cheap_kdf, NULL, &error);
  g_assert_no_error (error);
  for (gsize i = 0; i < G_N_ELEMENTS (uris); i++)
    {
      g_ptr_array_add (accounts, entsec_otpauth_parse (uris[i], NULL, &error));
      g_assert_no_error (error);
    }
  g_assert_true (entsec_vault_add_accounts_sync (f->vault, accounts, ENTSEC_VAULT_ADD_NONE, NULL,
                                                 NULL, NULL, &error));
  g_assert_no_error (error);
  fresh_path = g_build_filename (f->dir, "fresh.db", NULL);
  f->fresh = entsec_vault_create_sync (fresh_path, TRUE, NULL, 0, &cheap_kdf, NULL, &error);
  g_assert_no_error (error);
  f->group = group_new (f, f->vault);
  f->fresh_group = group_new (f, f->fresh);
}

static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  g_clear_object (&f->group);
  g_clear_object (&f->fresh_group);
  g_clear_object (&f->vault);
  g_clear_object (&f->fresh);
  dir = g_dir_open (f->dir, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *file = g_build_filename (f->dir, name, NULL);

      g_unlink (file);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->toast);
}

/* Run the main loop until @group asks for something or is done. */
static AdwMessageDialog *
wait_for_prompt (EntsecBackupGroup *group)
{
  while (entsec_backup_group_get_busy (group) && entsec_backup_group_get_prompt (group) == NULL)
    g_main_context_iteration (NULL, TRUE);
  return entsec_backup_group_get_prompt (group);
}

static void
wait_until_done (EntsecBackupGroup *group)
{
  while (entsec_backup_group_get_busy (group))
    g_main_context_iteration (NULL, TRUE);
}

static GtkWidget *
find_named (GtkWidget  *widget,
            const char *name)
{
  if (g_strcmp0 (gtk_widget_get_name (widget), name) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_named (child, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static void
set_row (AdwMessageDialog *prompt,
         const char       *name,
         const char       *text)
{
  GtkWidget *row = find_named (GTK_WIDGET (prompt), name);

  g_assert_nonnull (row);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
}

static void
respond (AdwMessageDialog *prompt,
         const char       *response)
{
  g_object_ref (prompt);
  adw_message_dialog_response (prompt, response);
  gtk_window_close (GTK_WINDOW (prompt));
  g_object_unref (prompt);
}

/* Type @text into the prompt's row @row and go on; returns once the group is done. */
static void
answer (EntsecBackupGroup *group,
        const char        *row,
        const char        *text)
{
  AdwMessageDialog *prompt = wait_for_prompt (group);

  g_assert_nonnull (prompt);
  set_row (prompt, row, text);
  respond (prompt, "go");
  wait_until_done (group);
}

/* The vault's accounts as otpauth:// lines (secrets included), in list order. */
static char *
vault_uris (EntsecVault *vault)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) accounts = entsec_vault_export_accounts_sync (vault, NULL, &error);

  g_assert_no_error (error);
  return entsec_backup_export_uris (accounts);
}

static guint
n_accounts (EntsecVault *vault)
{
  g_autoptr (GPtrArray) accounts = entsec_vault_list_accounts (vault);

  return accounts->len;
}

static char *
export_encrypted (Fixture *f)
{
  char *path = g_build_filename (f->dir, "backup.entsec", NULL);
  AdwMessageDialog *prompt;
  GStatBuf st;

  entsec_backup_group_export_file (f->group, path, FALSE);
  prompt = wait_for_prompt (f->group);
  g_assert_nonnull (prompt);
  /* A weak or differing backup passphrase cannot be used. */
  set_row (prompt, "vault-passphrase", VAULT_PASSPHRASE);
  set_row (prompt, "secret", "password1");
  set_row (prompt, "confirm", "password1");
  g_assert_false (adw_message_dialog_get_response_enabled (prompt, "go"));
  set_row (prompt, "secret", BACKUP_PASSPHRASE);
  g_assert_false (adw_message_dialog_get_response_enabled (prompt, "go"));
  set_row (prompt, "confirm", BACKUP_PASSPHRASE);
  g_assert_true (adw_message_dialog_get_response_enabled (prompt, "go"));
  respond (prompt, "go");
  wait_until_done (f->group);
  g_assert_cmpstr (f->toast, ==, "Exported 2 accounts");
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  return path;
}

/* Export, then import into a fresh vault: a wrong backup passphrase adds
 * nothing and says so; the right one brings the same accounts; again, they
 * are all skipped as duplicates. */
static void
test_round_trip (Fixture      *f,
                 gconstpointer data)
{
  g_autofree char *path = export_encrypted (f);
  g_autofree char *want = vault_uris (f->vault);
  g_autofree char *got = NULL;
  AdwMessageDialog *prompt;

  entsec_backup_group_import_file (f->fresh_group, path);
  prompt = wait_for_prompt (f->fresh_group);
  g_assert_nonnull (prompt);
  g_assert_null (find_named (GTK_WIDGET (prompt), "confirm"));
  g_assert_false (adw_message_dialog_get_response_enabled (prompt, "go"));
  set_row (prompt, "secret", BACKUP_PASSPHRASE "x");
  respond (prompt, "go");
  wait_until_done (f->fresh_group);
  g_assert_nonnull (strstr (f->toast, "backup passphrase is wrong"));
  g_assert_cmpuint (n_accounts (f->fresh), ==, 0);

  entsec_backup_group_import_file (f->fresh_group, path);
  answer (f->fresh_group, "secret", BACKUP_PASSPHRASE);
  g_assert_cmpstr (f->toast, ==, "Added 2 accounts");
  got = vault_uris (f->fresh);
  g_assert_cmpstr (got, ==, want);

  entsec_backup_group_import_file (f->fresh_group, path);
  answer (f->fresh_group, "secret", BACKUP_PASSPHRASE);
  g_assert_cmpstr (f->toast, ==, "Added 0 accounts, skipped 2 duplicates");
  g_assert_cmpuint (n_accounts (f->fresh), ==, 2);
}

/* Cancelling the prompt writes nothing and says nothing. */
static void
test_cancel (Fixture      *f,
             gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "cancelled.entsec", NULL);
  AdwMessageDialog *prompt;

  entsec_backup_group_export_file (f->group, path, FALSE);
  prompt = wait_for_prompt (f->group);
  set_row (prompt, "secret", BACKUP_PASSPHRASE);
  respond (prompt, "cancel");
  wait_until_done (f->group);
  g_assert_null (f->toast);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* Plain text needs the vault passphrase again (a wrong one writes nothing);
 * its lines import into a fresh vault. */
static void
test_plain (Fixture      *f,
            gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "plain.txt", NULL);
  g_autofree char *want = vault_uris (f->vault);
  g_autofree char *contents = NULL;
  g_autofree char *got = NULL;
  AdwMessageDialog *prompt;

  entsec_backup_group_export_file (f->group, path, TRUE);
  prompt = wait_for_prompt (f->group);
  g_assert_null (find_named (GTK_WIDGET (prompt), "secret"));
  g_assert_nonnull (strstr (adw_message_dialog_get_body (prompt), "plain text"));
  g_assert_false (adw_message_dialog_get_response_enabled (prompt, "go"));
  set_row (prompt, "vault-passphrase", "not-the-passphrase-at-all");
  respond (prompt, "go");
  wait_until_done (f->group);
  g_assert_nonnull (strstr (f->toast, "wrong"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  entsec_backup_group_export_file (f->group, path, TRUE);
  answer (f->group, "vault-passphrase", VAULT_PASSPHRASE);
  g_assert_cmpstr (f->toast, ==, "Exported 2 accounts");
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, want);

  /* A plain list needs no passphrase. */
  entsec_backup_group_import_file (f->fresh_group, path);
  g_assert_null (wait_for_prompt (f->fresh_group));
  g_assert_cmpstr (f->toast, ==, "Added 2 accounts");
  got = vault_uris (f->fresh);
  g_assert_cmpstr (got, ==, want);
}

/* One bad line: nothing is added, and the line is named. */
static void
test_plain_bad_line (Fixture      *f,
                     gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "list.txt", NULL);
  g_autofree char *text = g_strdup_printf ("%s\notpauth://totp/Broken?secret=!!\n", uris[0]);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  entsec_backup_group_import_file (f->fresh_group, path);
  g_assert_null (wait_for_prompt (f->fresh_group));
  g_assert_nonnull (strstr (f->toast, "nothing was imported"));
  g_assert_nonnull (strstr (f->toast, "2"));
  g_assert_cmpuint (n_accounts (f->fresh), ==, 0);
}

/* A plain Aegis export (tests/data/aegis), like entsec-cli import's test. */
static void
test_aegis (Fixture      *f,
            gconstpointer data)
{
  g_autofree char *path = g_build_filename (g_getenv ("ENTSEC_TEST_DATA"), "aegis", "plain.json",
                                            NULL);
  g_autofree char *got = NULL;

  entsec_backup_group_import_file (f->fresh_group, path);
  g_assert_null (wait_for_prompt (f->fresh_group));
  g_assert_cmpstr (f->toast, ==, "Added 2 accounts");
  got = vault_uris (f->fresh);
  g_assert_nonnull (strstr (got, "otpauth://totp/Aegis:dave?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                                 "&issuer=Aegis&digits=8"));
  g_assert_nonnull (strstr (got, "otpauth://hotp/Forge:erin?"));
}

/* The backup of format 1 made by the previous release (tests/data/vault). */
static void
test_v1_backup (Fixture      *f,
                gconstpointer data)
{
  g_autofree char *path = g_build_filename (g_getenv ("ENTSEC_TEST_DATA"), "vault",
                                            "v1-backup.entsec", NULL);

  entsec_backup_group_import_file (f->fresh_group, path);
  answer (f->fresh_group, "secret", FIXTURE_BACKUP_PASSPHRASE);
  g_assert_cmpstr (f->toast, ==, "Added 3 accounts");
  g_assert_cmpuint (n_accounts (f->fresh), ==, 3);
}

/* A keyring vault with a recovery key: the export asks for that key, as
 * entsec-cli export does; a wrong one writes nothing. */
static void
test_recovery_key (Fixture      *f,
                   gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "fresh.txt", NULL);
  g_autoptr (GError) error = NULL;
  char *key = entsec_vault_add_recovery_slot_sync (f->fresh, NULL, &error);

  g_assert_no_error (error);
  entsec_backup_group_export_file (f->fresh_group, path, TRUE);
  answer (f->fresh_group, "vault-passphrase", "AAAA-BBBB-CCCC-DDDD");
  g_assert_nonnull (strstr (f->toast, "recovery key is wrong"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  entsec_backup_group_export_file (f->fresh_group, path, TRUE);
  answer (f->fresh_group, "vault-passphrase", key);
  entsec_secure_strfree (key);
  g_assert_cmpstr (f->toast, ==, "Exported 0 accounts");
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));
}

/* Accounts that cannot be decrypted are left out of an export, and the
 * toast says how many, as entsec-cli export does. */
static void
test_quarantined_left_out (Fixture      *f,
                           gconstpointer data)
{
  g_autofree char *vault_path = g_strdup (entsec_vault_get_path (f->vault));
  g_autofree char *path = g_build_filename (f->dir, "partial.txt", NULL);
  g_autoptr (GPtrArray) accounts = entsec_vault_list_accounts (f->vault);
  g_autoptr (GError) error = NULL;
  gint64 a = entsec_account_summary_get_id (g_ptr_array_index (accounts, 0));
  gint64 b = entsec_account_summary_get_id (g_ptr_array_index (accounts, 1));

  entsec_backup_group_set_vault (f->group, NULL);
  g_clear_object (&f->vault);
  /* Blobs bound to another row's id no longer decrypt. */
  vt_swap_account_blobs (vault_path, a, b);
  f->vault = entsec_vault_open_sync (vault_path, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (entsec_vault_unlock_passphrase_sync (f->vault, VAULT_PASSPHRASE,
                                                      strlen (VAULT_PASSPHRASE), NULL, &error));
  g_assert_no_error (error);
  vt_add (f->vault, "Third", "carol", 21);
  entsec_backup_group_set_vault (f->group, f->vault);

  entsec_backup_group_export_file (f->group, path, TRUE);
  answer (f->group, "vault-passphrase", VAULT_PASSPHRASE);
  g_assert_cmpstr (f->toast, ==, "Exported 1 account; 2 could not be decrypted and were left out");
}

/* Neither the vault file nor a stranger's file format is taken. */
static void
test_refusals (Fixture      *f,
               gconstpointer data)
{
  g_autofree char *wal = g_strconcat (entsec_vault_get_path (f->vault), "-wal", NULL);
  g_autofree char *other = g_build_filename (f->dir, "notes.txt", NULL);

  entsec_backup_group_export_file (f->group, entsec_vault_get_path (f->vault), FALSE);
  g_assert_null (entsec_backup_group_get_prompt (f->group));
  g_assert_nonnull (strstr (f->toast, "another name"));
  g_clear_pointer (&f->toast, g_free);
  entsec_backup_group_export_file (f->group, wal, TRUE);
  g_assert_nonnull (f->toast);
  g_assert_false (entsec_backup_group_get_busy (f->group));

  g_assert_true (g_file_set_contents (other, "shopping: milk, eggs\n", -1, NULL));
  entsec_backup_group_import_file (f->fresh_group, other);
  g_assert_null (wait_for_prompt (f->fresh_group));
  g_assert_nonnull (strstr (f->toast, "Aegis export"));
  g_assert_cmpuint (n_accounts (f->fresh), ==, 0);
}

/* The rows follow the lock. */
static void
test_locked (Fixture      *f,
             gconstpointer data)
{
  GtkWidget *row = (GtkWidget *) gtk_widget_get_template_child (GTK_WIDGET (f->group),
                                                                ENTSEC_TYPE_BACKUP_GROUP,
                                                  "export_row");

  g_assert_true (gtk_widget_get_sensitive (row));
  entsec_vault_lock_sync (f->vault);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_assert_false (gtk_widget_get_sensitive (row));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  entsec_app_ensure_resources ();
  g_assert_nonnull (g_getenv ("ENTSEC_TEST_DATA"));

#define ADD(path, func) \
  g_test_add ("/app/backup/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("round-trip", test_round_trip);
  ADD ("cancel", test_cancel);
  ADD ("plain", test_plain);
  ADD ("plain-bad-line", test_plain_bad_line);
  ADD ("aegis", test_aegis);
  ADD ("v1-backup", test_v1_backup);
  ADD ("recovery-key", test_recovery_key);
  ADD ("quarantined-left-out", test_quarantined_left_out);
  ADD ("refusals", test_refusals);
  ADD ("locked", test_locked);
#undef ADD
  return g_test_run ();
}
