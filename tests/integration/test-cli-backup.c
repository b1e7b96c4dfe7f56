/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-cli-backup.c: entsec-cli export and import as a user runs them, on
 * vaults in a throwaway directory (passphrase slots only, no keyring).
 */

#include "config.h"

#include "cli-run.h"

#include <string.h>
#include <sys/stat.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#define CANARY_SEED "CANARYSEEDAAAAAAAAAAAAAAAAAAAAAA"
#define CANARY_LABEL "canary-label-7f3a"
#define VAULT_PASS "canary-pass-9c1e"
#define BACKUP_PASS "canary-backup-3e7b"
#define FAST_KDF "--kdf-memory", "8192", "--kdf-iterations", "1"

static char *tmp_dir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

/* A file holding @text (passphrases and inputs never go on argv). */
static char *
write_tmp (const char *name,
           const char *text)
{
  char *path = tmp_path (name);

  g_assert_true (g_file_set_contents (path, text, -1, NULL));
  return path;
}

/* A new vault with two accounts; the RFC 6238 seed makes "alice" checkable. */
static char *
make_vault (const char *name)
{
  g_autofree char *pass = write_tmp ("vault-pass", VAULT_PASS "\n");
  g_autofree char *uris = write_tmp ("seed-uris",
    "otpauth://totp/Example:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example"
    "&digits=8\n"
    "otpauth://hotp/" CANARY_LABEL "?secret=" CANARY_SEED "&counter=5\n");
  char *vault = tmp_path (name);
  g_auto (CliRun) init = { 0 };
  g_auto (CliRun) add = { 0 };

  run_cli (NULL, &init, "init", "--vault", vault, "--no-keyring", "--passphrase-file", pass,
           FAST_KDF, NULL);
  g_assert_cmpint (init.status, ==, 0);
  run_cli (NULL, &add, "add", "--vault", vault, "--passphrase-file", pass, "--uri", uris, NULL);
  g_assert_cmpint (add.status, ==, 0);
  return vault;
}

static char *
make_empty_vault (const char *name)
{
  g_autofree char *pass = write_tmp ("vault-pass", VAULT_PASS "\n");
  char *vault = tmp_path (name);
  g_auto (CliRun) init = { 0 };

  run_cli (NULL, &init, "init", "--vault", vault, "--no-keyring", "--passphrase-file", pass,
           FAST_KDF, NULL);
  g_assert_cmpint (init.status, ==, 0);
  return vault;
}

static guint
count_accounts (const char *vault)
{
  g_autofree char *pass = tmp_path ("vault-pass");
  g_auto (CliRun) list = { 0 };
  guint n = 0;

  run_cli (NULL, &list, "list", "--vault", vault, "--passphrase-file", pass, "--json", NULL);
  g_assert_cmpint (list.status, ==, 0);
  for (const char *p = list.out; (p = strstr (p, "\"label\"")) != NULL; p++)
    n++;
  return n;
}

static gboolean
file_contains (const char *path,
               const char *needle)
{
  g_autofree char *contents = NULL;
  gsize len = 0;
  gsize n = strlen (needle);

  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  for (gsize i = 0; i + n <= len; i++)
    {
      if (memcmp (contents + i, needle, n) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
test_encrypted_round_trip (void)
{
  g_autofree char *vault = make_vault ("round.db");
  g_autofree char *fresh = make_empty_vault ("round-fresh.db");
  g_autofree char *pass = tmp_path ("vault-pass");
  g_autofree char *bpass = write_tmp ("backup-pass", BACKUP_PASS "\n");
  g_autofree char *backup = tmp_path ("round.entsec");
  g_auto (CliRun) export = { 0 };
  g_auto (CliRun) import = { 0 };
  g_auto (CliRun) code = { 0 };
  struct stat st;

  run_cli (NULL, &export, "export", "--vault", vault, "--passphrase-file", pass,
           "--backup-passphrase-file", bpass, "--output", backup, NULL);
  g_assert_cmpint (export.status, ==, 0);
  g_assert_cmpint (g_stat (backup, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 0777, ==, 0600);
  g_assert_true (file_contains (backup, "ENTSECBK"));
  g_assert_false (file_contains (backup, CANARY_SEED));
  g_assert_false (file_contains (backup, CANARY_LABEL));
  g_assert_false (file_contains (backup, BACKUP_PASS));

  run_cli (NULL, &import, "import", "--vault", fresh, "--passphrase-file", pass,
           "--backup-passphrase-file", bpass, backup, NULL);
  g_assert_cmpint (import.status, ==, 0);
  g_assert_cmpuint (count_accounts (fresh), ==, 2);
  run_cli (NULL, &code, "code", "--vault", fresh, "--passphrase-file", pass, "alice", "--time",
           "59", NULL);
  g_assert_cmpint (code.status, ==, 0);
  g_assert_cmpstr (code.out, ==, "94287082\n"); /* RFC 6238 Appendix B: the secret survived */
}

static void
test_wrong_backup_passphrase (void)
{
  g_autofree char *vault = make_vault ("wrong.db");
  g_autofree char *fresh = make_empty_vault ("wrong-fresh.db");
  g_autofree char *pass = tmp_path ("vault-pass");
  g_autofree char *bpass = write_tmp ("backup-pass", BACKUP_PASS "\n");
  g_autofree char *other = write_tmp ("other-pass", "not the passphrase\n");
  g_autofree char *backup = tmp_path ("wrong.entsec");
  g_auto (CliRun) export = { 0 };
  g_auto (CliRun) import = { 0 };

  run_cli (NULL, &export, "export", "--vault", vault, "--passphrase-file", pass,
           "--backup-passphrase-file", bpass, "-o", backup, NULL);
  g_assert_cmpint (export.status, ==, 0);
  run_cli (NULL, &import, "import", "--vault", fresh, "--passphrase-file", pass,
           "--backup-passphrase-file", other, backup, NULL);
  g_assert_cmpint (import.status, ==, 4);
  g_assert_nonnull (strstr (import.err, "Wrong passphrase"));
  g_assert_cmpuint (count_accounts (fresh), ==, 0);
}

static void
test_plain_export_needs_passphrase (void)
{
  g_autofree char *vault = make_vault ("plain.db");
  g_auto (CliRun) refused = { 0 };
  g_auto (CliRun) plain = { 0 };

  /* No passphrase given (stdin is not a terminal): refused, nothing printed. */
  run_cli (NULL, &refused, "export", "--vault", vault, "--format", "uris", NULL);
  g_assert_cmpint (refused.status, ==, 4);
  g_assert_cmpstr (refused.out, ==, "");
  run_cli (VAULT_PASS "\n", &plain, "export", "--vault", vault, "--format", "uris",
           "--passphrase-file", "-", NULL);
  g_assert_cmpint (plain.status, ==, 0);
  g_assert_nonnull (strstr (plain.err, "WARNING"));
  g_assert_nonnull (strstr (plain.out, "otpauth://hotp/" CANARY_LABEL "?secret=" CANARY_SEED));
}

static void
test_import_all_or_nothing (void)
{
  g_autofree char *vault = make_empty_vault ("nothing.db");
  g_autofree char *pass = tmp_path ("vault-pass");
  g_autofree char *list = write_tmp ("mixed.txt",
    "otpauth://totp/Good:one?secret=JBSWY3DPEHPK3PXP&issuer=Good\n"
    "otpauth://totp/bad?secret=JB\n"
    "otpauth://totp/Good:two?secret=GEZDGNBVGY3TQOJQ&issuer=Good\n");
  g_auto (CliRun) refused = { 0 };
  g_auto (CliRun) skipped = { 0 };

  run_cli (NULL, &refused, "import", "--vault", vault, "--passphrase-file", pass, list, NULL);
  g_assert_cmpint (refused.status, ==, 3);
  g_assert_nonnull (strstr (refused.err, "Line 2: "));
  g_assert_nonnull (strstr (refused.err, "nothing was imported"));
  g_assert_cmpuint (count_accounts (vault), ==, 0);
  run_cli (NULL, &skipped, "import", "--vault", vault, "--passphrase-file", pass, "--skip-invalid",
           list, NULL);
  g_assert_cmpint (skipped.status, ==, 0);
  g_assert_cmpuint (count_accounts (vault), ==, 2);
}

static void
test_import_duplicates (void)
{
  g_autofree char *vault = make_vault ("dups.db");
  g_autofree char *pass = tmp_path ("vault-pass");
  g_autofree char *list = write_tmp ("dups.txt",
    "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example\n"
    "otpauth://totp/New:carol?secret=JBSWY3DPEHPK3PXP&issuer=New\n");
  g_auto (CliRun) refused = { 0 };
  g_auto (CliRun) skipped = { 0 };
  g_auto (CliRun) code = { 0 };

  run_cli (NULL, &refused, "import", "--vault", vault, "--passphrase-file", pass, list, NULL);
  g_assert_cmpint (refused.status, ==, 3);
  g_assert_cmpuint (count_accounts (vault), ==, 2);
  run_cli (NULL, &skipped, "import", "--vault", vault, "--passphrase-file", pass,
           "--skip-duplicates", list, NULL);
  g_assert_cmpint (skipped.status, ==, 0);
  g_assert_nonnull (strstr (skipped.err, "skipped Example (alice)"));
  g_assert_cmpuint (count_accounts (vault), ==, 3);
  /* The existing alice kept her own secret. */
  run_cli (NULL, &code, "code", "--vault", vault, "--passphrase-file", pass, "alice", "--time",
           "59", NULL);
  g_assert_cmpstr (code.out, ==, "94287082\n");
}

static void
test_import_aegis (void)
{
  g_autofree char *vault = make_empty_vault ("aegis.db");
  g_autofree char *pass = tmp_path ("vault-pass");
  g_autofree char *aegis = write_tmp ("aegis.json",
    "{\"version\":1,\"header\":{\"slots\":null,\"params\":null},\"db\":{\"version\":2,"
    "\"entries\":[{\"type\":\"totp\",\"uuid\":\"1\",\"name\":\"dave\",\"issuer\":\"Aegis\","
    "\"info\":{\"secret\":\"GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\",\"algo\":\"SHA1\",\"digits\":8,"
    "\"period\":30}}]}}");
  g_auto (CliRun) import = { 0 };
  g_auto (CliRun) code = { 0 };

  run_cli (NULL, &import, "import", "--vault", vault, "--passphrase-file", pass, aegis, NULL);
  g_assert_cmpint (import.status, ==, 0);
  run_cli (NULL, &code, "code", "--vault", vault, "--passphrase-file", pass, "dave", "--time",
           "59", NULL);
  g_assert_cmpstr (code.out, ==, "94287082\n");
}

static void
test_failed_export_writes_nothing (void)
{
  g_autofree char *vault = make_vault ("nodir.db");
  g_autofree char *pass = tmp_path ("vault-pass");
  g_autofree char *bpass = write_tmp ("backup-pass", BACKUP_PASS "\n");
  g_autofree char *target = tmp_path ("no-such-dir/backup.entsec");
  g_auto (CliRun) export = { 0 };

  run_cli (NULL, &export, "export", "--vault", vault, "--passphrase-file", pass,
           "--backup-passphrase-file", bpass, "--output", target, NULL);
  g_assert_cmpint (export.status, ==, 1);
  g_assert_false (g_file_test (target, G_FILE_TEST_EXISTS));
}

static void
test_usage_errors (void)
{
  g_auto (CliRun) format = { 0 };
  g_auto (CliRun) no_file = { 0 };
  g_auto (CliRun) stdin_twice = { 0 };

  run_cli (NULL, &format, "export", "--format", "csv", NULL);
  g_assert_cmpint (format.status, ==, 2);
  run_cli (NULL, &no_file, "import", NULL);
  g_assert_cmpint (no_file.status, ==, 2);
  run_cli (NULL, &stdin_twice, "import", "--passphrase-file", "-", "--backup-passphrase-file", "-",
           "x", NULL);
  g_assert_cmpint (stdin_twice.status, ==, 2);
}

static void
remove_flat_dir (const char *dir)
{
  g_autoptr (GDir) handle = g_dir_open (dir, 0, NULL);

  if (handle == NULL)
    return;
  for (const char *name = g_dir_read_name (handle); name != NULL;
       name = g_dir_read_name (handle))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("entsec-cli-backup-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/cli-backup/encrypted-round-trip", test_encrypted_round_trip);
  g_test_add_func ("/cli-backup/wrong-backup-passphrase", test_wrong_backup_passphrase);
  g_test_add_func ("/cli-backup/plain-export-needs-passphrase", test_plain_export_needs_passphrase);
  g_test_add_func ("/cli-backup/import-all-or-nothing", test_import_all_or_nothing);
  g_test_add_func ("/cli-backup/import-duplicates", test_import_duplicates);
  g_test_add_func ("/cli-backup/import-aegis", test_import_aegis);
  g_test_add_func ("/cli-backup/failed-export-writes-nothing", test_failed_export_writes_nothing);
  g_test_add_func ("/cli-backup/usage-errors", test_usage_errors);
  status = g_test_run ();
  remove_flat_dir (tmp_dir);
  return status;
}
