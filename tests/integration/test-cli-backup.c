/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-cli-backup.c: entsec-cli export and import as a user runs them, on
 * vaults in a throwaway directory (passphrase slots only, no keyring); also
 * the account commands that need such a vault (add --uri, edit, list) and
 * how passphrase files are read.
 */

#define _GNU_SOURCE /* posix_openpt, ptsname */

#include "config.h"

#include "cli-run.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include "vault-test-util.h"

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
test_export_never_overwrites_vault (void)
{
  g_autofree char *vault = make_vault ("self.db");
  g_autofree char *pass = tmp_path ("vault-pass");
  g_autofree char *bpass = write_tmp ("backup-pass", BACKUP_PASS "\n");
  g_autofree char *link = tmp_path ("self-link.db");
  g_autofree char *wal = g_strconcat (vault, "-wal", NULL);
  g_autofree char *lock = g_strconcat (vault, ".lock", NULL);
  g_autofree char *dotted = g_build_filename (tmp_dir, ".", "self.db", NULL);
  const char *const targets[] = { vault, dotted, link, wal, lock };

  g_assert_cmpint (symlink (vault, link), ==, 0);
  for (gsize i = 0; i < G_N_ELEMENTS (targets); i++)
    {
      g_auto (CliRun) export = { 0 };

      /* Refused even with --force: the vault (or its WAL, lock) is never the output. */
      run_cli (NULL, &export, "export", "--vault", vault, "--passphrase-file", pass,
               "--backup-passphrase-file", bpass, "--force", "-o", targets[i], NULL);
      g_assert_cmpint (export.status, ==, 2);
      g_assert_nonnull (strstr (export.err, "the vault itself"));
    }
  g_assert_cmpuint (count_accounts (vault), ==, 2);
  g_unlink (link);
}

static void
test_export_existing_needs_force (void)
{
  g_autofree char *vault = make_vault ("force.db");
  g_autofree char *pass = tmp_path ("vault-pass");
  g_autofree char *bpass = write_tmp ("backup-pass", BACKUP_PASS "\n");
  g_autofree char *target = write_tmp ("precious.txt", "keep me\n");
  g_autofree char *contents = NULL;
  g_auto (CliRun) refused = { 0 };
  g_auto (CliRun) forced = { 0 };

  run_cli (NULL, &refused, "export", "--vault", vault, "--passphrase-file", pass,
           "--backup-passphrase-file", bpass, "-o", target, NULL);
  g_assert_cmpint (refused.status, ==, 2);
  g_assert_nonnull (strstr (refused.err, "--force"));
  g_assert_true (g_file_get_contents (target, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "keep me\n");
  run_cli (NULL, &forced, "export", "--vault", vault, "--passphrase-file", pass,
           "--backup-passphrase-file", bpass, "-o", target, "--force", NULL);
  g_assert_cmpint (forced.status, ==, 0);
  g_assert_true (file_contains (target, "ENTSECBK"));
}

/* Export with --force to @target: refused (exit 2), and @target is still what it was. */
static void
assert_export_refused (const char *vault,
                       const char *target)
{
  g_autofree char *pass = tmp_path ("vault-pass");
  g_autofree char *bpass = write_tmp ("backup-pass", BACKUP_PASS "\n");
  g_auto (CliRun) run = { 0 };

  run_cli (NULL, &run, "export", "--vault", vault, "--passphrase-file", pass,
           "--backup-passphrase-file", bpass, "--force", "-o", target, NULL);
  g_assert_cmpint (run.status, ==, 2);
  g_assert_nonnull (strstr (run.err, "only to a regular file"));
}

static void
test_export_only_to_regular_file (void)
{
  g_autofree char *vault = make_vault ("regular.db");
  g_autofree char *fifo = tmp_path ("backup-fifo");
  g_autofree char *target = write_tmp ("link-target.txt", "keep me\n");
  g_autofree char *link = tmp_path ("backup-link");
  g_autofree char *folder = tmp_path ("backup-folder");
  g_autofree char *null_copy = tmp_path ("null");
  g_autofree char *contents = NULL;
  struct stat st;

  /*
   * As root, --output /dev/null --force once replaced the system's /dev/null.
   * Root tests on a private copy of it, so a regression cannot break the machine;
   * other users cannot replace /dev/null anyway, and test the real one.
   */
  if (getuid () != 0 || mknod (null_copy, S_IFCHR | 0666, makedev (1, 3)) != 0)
    {
      g_free (null_copy);
      null_copy = g_strdup ("/dev/null");
    }
  assert_export_refused (vault, null_copy);
  g_assert_cmpint (lstat (null_copy, &st), ==, 0);
  g_assert_true (S_ISCHR (st.st_mode));

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  assert_export_refused (vault, fifo);
  g_assert_cmpint (lstat (fifo, &st), ==, 0);
  g_assert_true (S_ISFIFO (st.st_mode));

  g_assert_cmpint (symlink (target, link), ==, 0);
  assert_export_refused (vault, link);
  g_assert_cmpint (lstat (link, &st), ==, 0);
  g_assert_true (S_ISLNK (st.st_mode));
  g_assert_true (g_file_get_contents (target, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "keep me\n");

  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  assert_export_refused (vault, folder);
  g_assert_true (g_file_test (folder, G_FILE_TEST_IS_DIR));
  g_unlink (fifo);
  g_unlink (link);
  g_rmdir (folder);
  if (strcmp (null_copy, "/dev/null") != 0)
    g_unlink (null_copy);
}

/* The key 'slots add-recovery' printed: the line after the one that announces it. */
static char *
add_recovery_key (const char *vault)
{
  g_autofree char *pass = tmp_path ("vault-pass");
  g_auto (CliRun) add = { 0 };
  g_auto (GStrv) lines = NULL;

  run_cli (NULL, &add, "slots", "add-recovery", "--vault", vault, "--passphrase-file", pass, NULL);
  g_assert_cmpint (add.status, ==, 0);
  lines = g_strsplit (add.out, "\n", -1);
  for (gsize i = 0; lines[i] != NULL && lines[i + 1] != NULL; i++)
    {
      if (g_str_has_prefix (lines[i], "Recovery key"))
        return g_strdup (lines[i + 1]);
    }
  g_assert_not_reached ();
}

static void
test_recovery_key_unlocks (void)
{
  g_autofree char *vault = make_vault ("recovery.db");
  g_autofree char *pass = tmp_path ("vault-pass");
  g_autofree char *key = add_recovery_key (vault);
  g_autofree char *key_line = g_strconcat (key, "\n", NULL);
  g_autofree char *key_file = write_tmp ("recovery-key", key_line);
  g_autofree char *wrong = g_strdup (key_line);
  g_autofree char *wrong_file = NULL;
  g_auto (CliRun) list = { 0 };
  g_auto (CliRun) code = { 0 };
  g_auto (CliRun) refused = { 0 };
  g_auto (CliRun) both = { 0 };

  run_cli (NULL, &list, "list", "--vault", vault, "--recovery-key-file", key_file, NULL);
  g_assert_cmpint (list.status, ==, 0);
  g_assert_nonnull (strstr (list.out, "alice"));
  run_cli (key_line, &code, "code", "alice", "--time", "59", "--vault", vault,
           "--recovery-key-file", "-", NULL);
  g_assert_cmpint (code.status, ==, 0);
  g_assert_cmpstr (code.out, ==, "94287082\n");

  /* One letter changed: a wrong key, exit 4, the key never echoed. */
  wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
  wrong_file = write_tmp ("wrong-recovery-key", wrong);
  run_cli (NULL, &refused, "list", "--vault", vault, "--recovery-key-file", wrong_file, NULL);
  g_assert_cmpint (refused.status, ==, 4);
  g_assert_cmpstr (refused.out, ==, "");
  g_assert_null (strstr (refused.err, key + 1));
  run_cli (NULL, &both, "list", "--vault", vault, "--recovery-key-file", key_file,
           "--passphrase-file", pass, NULL);
  g_assert_cmpint (both.status, ==, 2);
}

/* A row that no longer decrypts is left out of an export: said, counted, exit 1. */
static void
test_export_names_left_out (void)
{
  g_autofree char *vault = make_vault ("left-out.db");
  g_autofree char *fresh = make_empty_vault ("left-out-fresh.db");
  g_autofree char *pass = tmp_path ("vault-pass");
  g_autofree char *bpass = write_tmp ("backup-pass", BACKUP_PASS "\n");
  g_autofree char *backup = tmp_path ("left-out.entsec");
  g_autoptr (GBytes) blob = vt_read_account_blob (vault, 1);
  gsize len = 0;
  guint8 *damaged = g_bytes_unref_to_data (g_bytes_ref (blob), &len);
  g_autoptr (GBytes) changed = NULL;
  g_auto (CliRun) export = { 0 };
  g_auto (CliRun) import = { 0 };

  damaged[len - 1] ^= 0x01; /* the GCM tag: alice (id 1) no longer decrypts */
  changed = g_bytes_new_take (damaged, len);
  vt_write_blob (vault, "UPDATE accounts SET data = ? WHERE id = ?", 1, changed);
  run_cli (NULL, &export, "export", "--vault", vault, "--passphrase-file", pass,
           "--backup-passphrase-file", bpass, "--output", backup, NULL);
  g_assert_cmpint (export.status, ==, 1);
  g_assert_nonnull (strstr (export.err, "Exported 1 account to "));
  g_assert_nonnull (strstr (export.err, "1 account was left out: it cannot be decrypted"));
  run_cli (NULL, &import, "import", "--vault", fresh, "--passphrase-file", pass,
           "--backup-passphrase-file", bpass, backup, NULL);
  g_assert_cmpint (import.status, ==, 0);
  g_assert_cmpuint (count_accounts (fresh), ==, 1);
}

/* QR code 1 of 2 of a Google Authenticator export (batch 78): Part One / carol, RFC seed. */
#define EXPORT_PART_1 \
  "otpauth-migration://offline?data=Ci0KFDEyMzQ1Njc4OTAxMjM0NTY3ODkwEgVjYXJvbBoIUGFydCBPbmUgASgB" \
  "MAIQARgCIAAoTg%3D%3D\n"

static void
test_add_part_of_export_warns (void)
{
  g_autofree char *vault = make_vault ("part.db");
  g_autofree char *pass = tmp_path ("vault-pass");
  g_autofree char *part = write_tmp ("part-1-of-2", EXPORT_PART_1);
  g_auto (CliRun) add = { 0 };

  run_cli (NULL, &add, "add", "--vault", vault, "--passphrase-file", pass, "--uri", part, NULL);
  g_assert_cmpint (add.status, ==, 0);
  g_assert_nonnull (strstr (add.out, "Part One (carol)"));
  g_assert_nonnull (strstr (add.err, "export (batch 78) has 2 QR codes; QR code 2 of it was not "
                                     "given"));
}

/* Files from editors that start UTF-8 with a byte order mark, and a secret over two lines. */
static void
test_bom_and_wrapped_secret_accepted (void)
{
  g_autofree char *vault = make_empty_vault ("bom.db");
  g_autofree char *pass = tmp_path ("vault-pass");
  g_autofree char *uris = write_tmp ("bom-uris", "\xef\xbb\xbfotpauth://totp/Bom:one?secret="
                                     "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Bom\n");
  g_autofree char *list = write_tmp ("bom-import", "\xef\xbb\xbfotpauth://totp/Bom:two?secret="
                                     "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Bom\n");
  g_autofree char *secret = write_tmp ("bom-secret", "\xef\xbb\xbfGEZDGNBVGY3TQOJQ\n"
                                       "GEZDGNBVGY3TQOJQ\n");
  g_auto (CliRun) add = { 0 };
  g_auto (CliRun) import = { 0 };
  g_auto (CliRun) manual = { 0 };
  g_auto (CliRun) code = { 0 };

  run_cli (NULL, &add, "add", "--vault", vault, "--passphrase-file", pass, "--uri", uris, NULL);
  g_assert_cmpint (add.status, ==, 0);
  run_cli (NULL, &import, "import", "--vault", vault, "--passphrase-file", pass, list, NULL);
  g_assert_cmpint (import.status, ==, 0);
  run_cli (NULL, &manual, "add", "--vault", vault, "--passphrase-file", pass, "--label", "wrapped",
           "--digits", "8", "--secret", secret, NULL);
  g_assert_cmpint (manual.status, ==, 0);
  g_assert_cmpuint (count_accounts (vault), ==, 3);
  run_cli (NULL, &code, "code", "wrapped", "--time", "59", "--vault", vault, "--passphrase-file",
           pass, NULL);
  g_assert_cmpstr (code.out, ==, "94287082\n"); /* RFC 6238: both lines, not the BOM */
}

/* add --uri names an over-long line by its real length and adds nothing (no cut piece). */
static void
test_add_long_line_real_length (void)
{
  g_autofree char *vault = make_empty_vault ("long-line.db");
  g_autofree char *pass = tmp_path ("vault-pass");
  g_autofree char *padding = g_strnfill (400000, 'A');
  g_autofree char *text = g_strconcat ("otpauth://totp/x?secret=", padding, "\n", NULL);
  g_autofree char *uris = write_tmp ("long-line", text);
  g_auto (CliRun) add = { 0 };

  run_cli (NULL, &add, "add", "--vault", vault, "--passphrase-file", pass, "--uri", uris, NULL);
  g_assert_cmpint (add.status, ==, 3);
  g_assert_nonnull (strstr (add.err, "line 1: the line is 400024 bytes long"));
  g_assert_null (strstr (add.err, "line 2"));
  g_assert_cmpuint (count_accounts (vault), ==, 0);
}

/* A name that is not UTF-8 is refused naming the option, not echoing its bytes. */
static void
test_non_utf8_name_named (void)
{
  g_autofree char *vault = make_empty_vault ("utf8.db");
  g_autofree char *pass = tmp_path ("vault-pass");
  g_autofree char *secret = write_tmp ("utf8-secret", "JBSWY3DPEHPK3PXP\n");
  g_auto (CliRun) label = { 0 };
  g_auto (CliRun) issuer = { 0 };

  run_cli (NULL, &label, "add", "--vault", vault, "--passphrase-file", pass, "--label",
           "bad\xffname", "--secret", secret, NULL);
  g_assert_cmpint (label.status, ==, 2);
  g_assert_nonnull (strstr (label.err, "the value of --label is not valid text"));
  run_cli (NULL, &issuer, "edit", "1", "--vault", vault, "--passphrase-file", pass, "--issuer",
           "\xfe", NULL);
  g_assert_cmpint (issuer.status, ==, 2);
  g_assert_nonnull (strstr (issuer.err, "the value of --issuer is not valid text"));
  g_assert_cmpuint (count_accounts (vault), ==, 0);
}

/* ---- Prompts on a terminal (a pseudo-terminal as stdin) ------------------- */

typedef struct
{
  int master;
  int slave;
  GSubprocess *process;
  GString *err;
} Terminal;

/* Run entsec-cli with a pseudo-terminal as stdin and stderr in a pipe. */
static void
terminal_run (Terminal          *t,
              const char *const *args)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;

  t->master = posix_openpt (O_RDWR | O_NOCTTY);
  g_assert_cmpint (t->master, >=, 0);
  g_assert_cmpint (grantpt (t->master), ==, 0);
  g_assert_cmpint (unlockpt (t->master), ==, 0);
  t->slave = open (ptsname (t->master), O_RDWR | O_NOCTTY);
  g_assert_cmpint (t->slave, >=, 0);
  t->err = g_string_new (NULL);
  g_ptr_array_add (argv, (char *) g_getenv ("ENTSEC_CLI"));
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                        | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_take_stdin_fd (launcher, dup (t->slave));
  t->process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
}

/* Read stderr until it holds @text; FALSE at its end (the program went on without asking). */
static gboolean
terminal_wait_for (Terminal   *t,
                   const char *text)
{
  GInputStream *stream = g_subprocess_get_stderr_pipe (t->process);
  char buffer[256];
  gssize n = 1;

  while (strstr (t->err->str, text) == NULL && n > 0)
    {
      n = g_input_stream_read (stream, buffer, sizeof buffer, NULL, NULL);
      if (n > 0)
        g_string_append_len (t->err, buffer, n);
    }
  return strstr (t->err->str, text) != NULL;
}

static gboolean
terminal_echo_on (Terminal *t)
{
  struct termios attrs;

  g_assert_cmpint (tcgetattr (t->slave, &attrs), ==, 0);
  return (attrs.c_lflag & ECHO) != 0;
}

/* After a prompt: wait (10 s at most) until the program has turned echo off to read. */
static void
terminal_wait_echo_off (Terminal *t)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (terminal_echo_on (t) && g_get_monotonic_time () < deadline)
    g_usleep (5 * 1000);
  g_assert_false (terminal_echo_on (t));
}

static void
terminal_type (Terminal   *t,
               const char *line)
{
  g_assert_cmpint (write (t->master, line, strlen (line)), ==, (gssize) strlen (line));
}

static void
terminal_clear (Terminal *t)
{
  g_subprocess_wait (t->process, NULL, NULL);
  g_clear_object (&t->process);
  g_string_free (t->err, TRUE);
  close (t->slave);
  close (t->master);
}

/* Ctrl-C at a passphrase prompt: the terminal gets its echo back, exit 130, no vault. */
static void
test_interrupted_prompt_restores_echo (void)
{
  g_autofree char *vault = tmp_path ("interrupted.db");
  const char *args[] = { "init", "--vault", vault, "--no-keyring", FAST_KDF, NULL };
  Terminal t = { 0 };

  terminal_run (&t, args);
  g_assert_true (terminal_wait_for (&t, "New vault passphrase: "));
  terminal_wait_echo_off (&t);
  g_subprocess_send_signal (t.process, SIGINT);
  g_subprocess_wait (t.process, NULL, NULL);
  g_assert_true (g_subprocess_get_if_exited (t.process));
  g_assert_cmpint (g_subprocess_get_exit_status (t.process), ==, 130);
  g_assert_true (terminal_echo_on (&t));
  g_assert_false (g_file_test (vault, G_FILE_TEST_EXISTS));
  terminal_clear (&t);
}

/* '--passphrase-file -' on a terminal is typing: asked twice; two that differ exit 3. */
static void
test_typed_passphrase_asked_twice (void)
{
  g_autofree char *vault = tmp_path ("typed.db");
  const char *args[] = { "init", "--vault", vault, "--no-keyring", "--passphrase-file", "-",
                         FAST_KDF, NULL };
  Terminal t = { 0 };

  terminal_run (&t, args);
  g_assert_true (terminal_wait_for (&t, "New vault passphrase: "));
  terminal_wait_echo_off (&t);
  terminal_type (&t, VAULT_PASS "\n");
  g_assert_true (terminal_wait_for (&t, "Repeat the passphrase: "));
  terminal_wait_echo_off (&t);
  terminal_type (&t, BACKUP_PASS "\n");
  g_subprocess_wait (t.process, NULL, NULL);
  g_assert_cmpint (g_subprocess_get_exit_status (t.process), ==, 3);
  terminal_wait_for (&t, "\x01"); /* the rest of stderr */
  g_assert_nonnull (strstr (t.err->str, "The two passphrases differ"));
  g_assert_false (g_file_test (vault, G_FILE_TEST_EXISTS));
  terminal_clear (&t);
}

/* slots remove on a terminal asks; anything but yes removes nothing. */
static void
test_slot_removal_asks (void)
{
  g_autofree char *vault = make_vault ("ask.db");
  g_autofree char *pass = tmp_path ("vault-pass");
  const char *args[] = { "slots", "remove", "2", "--vault", vault, "--passphrase-file", pass,
                         NULL };
  g_auto (CliRun) list = { 0 };
  Terminal t = { 0 };

  g_free (add_recovery_key (vault)); /* slot 2 */
  terminal_run (&t, args);
  g_assert_true (terminal_wait_for (&t, "Remove slot 2? "));
  terminal_type (&t, "no\n");
  g_subprocess_wait (t.process, NULL, NULL);
  g_assert_cmpint (g_subprocess_get_exit_status (t.process), ==, 1);
  terminal_wait_for (&t, "\x01");
  g_assert_nonnull (strstr (t.err->str, "Nothing was removed"));
  terminal_clear (&t);
  run_cli (NULL, &list, "slots", "--vault", vault, "--passphrase-file", pass, NULL);
  g_assert_nonnull (strstr (list.out, "2  recovery"));
}

/* rm takes an id or a whole name, never a part of one; a shared name lists the ids. */
static void
test_rm_exact_names_only (void)
{
  g_autofree char *vault = make_vault ("rm.db");
  g_autofree char *pass = tmp_path ("vault-pass");
  g_autofree char *other = write_tmp ("other-alice",
                                      "otpauth://totp/Other:alice?secret=JBSWY3DPEHPK3PXP"
                                      "&issuer=Other\n");
  g_auto (CliRun) add = { 0 };
  g_auto (CliRun) part = { 0 };
  g_auto (CliRun) shared = { 0 };
  g_auto (CliRun) whole = { 0 };

  run_cli (NULL, &add, "add", "--vault", vault, "--passphrase-file", pass, "--uri", other, NULL);
  g_assert_cmpint (add.status, ==, 0);
  run_cli (NULL, &part, "rm", "ali", "--yes", "--vault", vault, "--passphrase-file", pass, NULL);
  g_assert_cmpint (part.status, ==, 3);
  g_assert_nonnull (strstr (part.err, "No account matches 'ali'"));
  g_assert_cmpuint (count_accounts (vault), ==, 3);
  run_cli (NULL, &shared, "rm", "alice", "--yes", "--vault", vault, "--passphrase-file", pass,
           NULL);
  g_assert_cmpint (shared.status, ==, 3);
  g_assert_nonnull (strstr (shared.err, "'alice' matches 2 accounts: 1 (Example (alice)), "));
  g_assert_nonnull (strstr (shared.err, " (Other (alice)); give the id of one"));
  g_assert_cmpuint (count_accounts (vault), ==, 3);
  run_cli (NULL, &whole, "rm", "Other:alice", "--yes", "--vault", vault, "--passphrase-file", pass,
           NULL);
  g_assert_cmpint (whole.status, ==, 0);
  g_assert_nonnull (strstr (whole.out, "Deleted 3: Other (alice)"));
  g_assert_cmpuint (count_accounts (vault), ==, 2);
}

/* A new passphrase pwquality calls too weak is refused with its reason (exit 3). */
static void
test_weak_passphrase_refused (void)
{
  g_autofree char *vault = make_vault ("weak.db");
  g_autofree char *pass = tmp_path ("vault-pass");
  g_autofree char *weak = write_tmp ("weak-pass", "qwertyuiop\n");
  g_autofree char *new_vault = tmp_path ("weak-new.db");
  g_autofree char *backup = tmp_path ("weak.entsec");
  g_auto (CliRun) init = { 0 };
  g_auto (CliRun) passwd = { 0 };
  g_auto (CliRun) slot = { 0 };
  g_auto (CliRun) export = { 0 };
  g_auto (CliRun) still = { 0 };

  run_cli (NULL, &init, "init", "--vault", new_vault, "--no-keyring", "--passphrase-file", weak,
           FAST_KDF, NULL);
  g_assert_cmpint (init.status, ==, 3);
  g_assert_nonnull (strstr (init.err, "too weak: "));
  g_assert_null (strstr (init.err, "qwertyuiop"));
  g_assert_false (g_file_test (new_vault, G_FILE_TEST_EXISTS));
  run_cli (NULL, &passwd, "passwd", "--vault", vault, "--passphrase-file", pass,
           "--new-passphrase-file", weak, FAST_KDF, NULL);
  g_assert_cmpint (passwd.status, ==, 3);
  run_cli (NULL, &slot, "slots", "add-passphrase", "--vault", vault, "--passphrase-file", pass,
           "--new-passphrase-file", weak, NULL);
  g_assert_cmpint (slot.status, ==, 3);
  run_cli (NULL, &export, "export", "--vault", vault, "--passphrase-file", pass,
           "--backup-passphrase-file", weak, "-o", backup, NULL);
  g_assert_cmpint (export.status, ==, 3);
  g_assert_nonnull (strstr (export.err, "too weak: "));
  g_assert_false (g_file_test (backup, G_FILE_TEST_EXISTS));
  /* The old passphrase still opens the vault: nothing was changed. */
  run_cli (NULL, &still, "unlock-test", "--vault", vault, "--passphrase-file", pass, NULL);
  g_assert_cmpint (still.status, ==, 0);
}

static void
test_secret_options_not_echoed (void)
{
  g_autofree char *vault = make_vault ("echo.db");
  g_autofree char *pass = tmp_path ("vault-pass");
  g_auto (CliRun) uri = { 0 };
  g_auto (CliRun) vault_pass = { 0 };
  g_auto (CliRun) backup_pass = { 0 };

  run_cli (NULL, &uri, "add", "--vault", vault, "--passphrase-file", pass, "--uri",
           "otpauth://totp/x?secret=" CANARY_SEED, NULL);
  g_assert_cmpint (uri.status, ==, 3);
  g_assert_nonnull (strstr (uri.err, "--uri takes a FILE or '-' (stdin), not the value itself"));
  g_assert_null (strstr (uri.err, CANARY_SEED));
  run_cli (NULL, &vault_pass, "list", "--vault", vault, "--passphrase-file", VAULT_PASS, NULL);
  g_assert_cmpint (vault_pass.status, ==, 1);
  g_assert_nonnull (strstr (vault_pass.err, "--passphrase-file (or --new-passphrase-file) takes a "
                                            "FILE"));
  g_assert_null (strstr (vault_pass.err, VAULT_PASS));
  run_cli (NULL, &backup_pass, "export", "--vault", vault, "--passphrase-file", pass,
           "--backup-passphrase-file", BACKUP_PASS, "-o", "-", NULL);
  g_assert_cmpint (backup_pass.status, ==, 1);
  g_assert_nonnull (strstr (backup_pass.err, "--backup-passphrase-file takes a FILE"));
  g_assert_null (strstr (backup_pass.err, BACKUP_PASS));
}

static void
test_empty_passphrase_file (void)
{
  g_autofree char *vault = make_empty_vault ("empty-pass.db");
  g_autofree char *empty = write_tmp ("empty-pass", "");
  g_autofree char *newline = write_tmp ("newline-pass", "\n");
  g_auto (CliRun) from_empty = { 0 };
  g_auto (CliRun) from_newline = { 0 };

  run_cli (NULL, &from_empty, "list", "--vault", vault, "--passphrase-file", empty, NULL);
  run_cli (NULL, &from_newline, "list", "--vault", vault, "--passphrase-file", newline, NULL);
  g_assert_cmpint (from_empty.status, ==, 3);
  g_assert_cmpint (from_newline.status, ==, 3);
  g_assert_nonnull (strstr (from_empty.err, "the input is empty"));
  g_assert_cmpstr (from_empty.err, ==, from_newline.err);
}

static void
test_long_passphrase_refused (void)
{
  g_autofree char *vault = make_empty_vault ("long-pass.db");
  g_autofree char *head = g_strnfill (4096, 'p');
  g_autofree char *text = g_strconcat (head, "tail\n", NULL);
  g_autofree char *file = write_tmp ("long-pass", text);
  g_auto (CliRun) run = { 0 };

  run_cli (NULL, &run, "list", "--vault", vault, "--passphrase-file", file, NULL);
  g_assert_cmpint (run.status, ==, 3);
  g_assert_nonnull (strstr (run.err, "longer than 4096 bytes"));
}

/* Run `edit` on the vault made by make_vault() with the arguments after the account. */
static void
run_edit (CliRun     *run,
          const char *vault,
          const char *account,
          const char *first,
          const char *second)
{
  g_autofree char *pass = tmp_path ("vault-pass");

  run_cli (NULL, run, "edit", "--vault", vault, "--passphrase-file", pass, account, first, second,
           NULL);
}

static void
test_edit_refuses_what_it_cannot_do (void)
{
  g_autofree char *vault = make_vault ("edit.db");
  g_auto (CliRun) totp_counter = { 0 };
  g_auto (CliRun) negative = { 0 };
  g_auto (CliRun) nothing = { 0 };
  g_auto (CliRun) both = { 0 };
  g_auto (CliRun) hotp_counter = { 0 };

  run_edit (&totp_counter, vault, "alice", "--counter", "5");
  g_assert_cmpint (totp_counter.status, ==, 2);
  g_assert_nonnull (strstr (totp_counter.err, "HOTP accounts only"));
  g_assert_cmpstr (totp_counter.out, ==, "");
  run_edit (&negative, vault, CANARY_LABEL, "--counter", "-5");
  g_assert_cmpint (negative.status, ==, 2);
  g_assert_nonnull (strstr (negative.err, "0 or more"));
  run_edit (&nothing, vault, "alice", NULL, NULL);
  g_assert_cmpint (nothing.status, ==, 2);
  g_assert_nonnull (strstr (nothing.err, "Nothing to change"));
  run_edit (&both, vault, "alice", "--favourite", "--no-favourite");
  g_assert_cmpint (both.status, ==, 2);
  g_assert_nonnull (strstr (both.err, "not both"));
  run_edit (&hotp_counter, vault, CANARY_LABEL, "--counter", "9");
  g_assert_cmpint (hotp_counter.status, ==, 0);
  g_assert_nonnull (strstr (hotp_counter.out, "Saved"));
}

/* The column where the type ("totp"/"hotp") starts on the line that names @name. */
static glong
type_column (const char *out,
             const char *name)
{
  const char *line = strstr (out, name);
  const char *type;

  g_assert_nonnull (line);
  while (line > out && line[-1] != '\n')
    line--;
  type = strstr (line, "totp");
  g_assert_nonnull (type);
  return g_utf8_strlen (line, type - line);
}

static void
test_list_aligns_wide_names (void)
{
  g_autofree char *vault = make_empty_vault ("wide.db");
  g_autofree char *pass = tmp_path ("vault-pass");
  g_autofree char *uris = write_tmp ("wide-uris",
    "otpauth://totp/plain?secret=JBSWY3DPEHPK3PXP\n"
    "otpauth://totp/%C3%A9t%C3%A9?secret=JBSWY3DPEHPK3PXP\n"
    "otpauth://totp/%E6%97%A5%E6%9C%AC?secret=JBSWY3DPEHPK3PXP\n");
  g_auto (CliRun) add = { 0 };
  g_auto (CliRun) list = { 0 };

  run_cli (NULL, &add, "add", "--vault", vault, "--passphrase-file", pass, "--uri", uris, NULL);
  g_assert_cmpint (add.status, ==, 0);
  run_cli (NULL, &list, "list", "--vault", vault, "--passphrase-file", pass, NULL);
  g_assert_cmpint (list.status, ==, 0);
  /* "été" is 3 columns in 5 bytes; "日本" 4 columns (two wide characters) in 6 bytes. */
  g_assert_cmpint (type_column (list.out, "été"), ==, type_column (list.out, "plain"));
  g_assert_cmpint (type_column (list.out, "日本") + 2, ==, type_column (list.out, "plain"));
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
  g_test_add_func ("/cli-backup/export-never-overwrites-vault", test_export_never_overwrites_vault);
  g_test_add_func ("/cli-backup/export-existing-needs-force", test_export_existing_needs_force);
  g_test_add_func ("/cli-backup/secret-options-not-echoed", test_secret_options_not_echoed);
  g_test_add_func ("/cli-backup/recovery-key-unlocks", test_recovery_key_unlocks);
  g_test_add_func ("/cli-backup/weak-passphrase-refused", test_weak_passphrase_refused);
  g_test_add_func ("/cli-backup/rm-exact-names-only", test_rm_exact_names_only);
  g_test_add_func ("/cli-backup/export-names-left-out", test_export_names_left_out);
  g_test_add_func ("/cli-backup/interrupted-prompt-restores-echo",
                   test_interrupted_prompt_restores_echo);
  g_test_add_func ("/cli-backup/typed-passphrase-asked-twice", test_typed_passphrase_asked_twice);
  g_test_add_func ("/cli-backup/slot-removal-asks", test_slot_removal_asks);
  g_test_add_func ("/cli-backup/non-utf8-name-named", test_non_utf8_name_named);
  g_test_add_func ("/cli-backup/add-long-line-real-length", test_add_long_line_real_length);
  g_test_add_func ("/cli-backup/add-part-of-export-warns", test_add_part_of_export_warns);
  g_test_add_func ("/cli-backup/bom-and-wrapped-secret", test_bom_and_wrapped_secret_accepted);
  g_test_add_func ("/cli-backup/export-only-to-regular-file", test_export_only_to_regular_file);
  g_test_add_func ("/cli-backup/empty-passphrase-file", test_empty_passphrase_file);
  g_test_add_func ("/cli-backup/long-passphrase-refused", test_long_passphrase_refused);
  g_test_add_func ("/cli-backup/edit-refuses", test_edit_refuses_what_it_cannot_do);
  g_test_add_func ("/cli-backup/list-aligns-wide-names", test_list_aligns_wide_names);
  status = g_test_run ();
  remove_flat_dir (tmp_dir);
  return status;
}
