/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-cli-vault.c: entsec-cli's vault commands as a user runs them, inside
 * tests/keyring-session.sh (real gnome-keyring, throwaway HOME):
 *  - accounts survive restarts; duplicates are refused; exit codes;
 *  - a slot is never removed when the slot left could not open the vault;
 *  - the canary scan (ST-1/ST-2): unique secrets, labels and passphrases go
 *    through every operation (encrypted export and import included), then
 *    every file under HOME is searched for them in raw, Base32, hex, base64
 *    and UTF-16: zero hits. Two controls prove the scanner finds them: the
 *    same canaries written unencrypted by hand, and the plain URI export
 *    entsec-cli itself writes.
 */

#define _GNU_SOURCE /* memmem */
#include "config.h"

#include "cli-run.h"

#include <string.h>

#include <gio/gio.h>
#include <glib/gstdio.h>

#include <libsecret/secret.h>

#include <entsec/entsec.h>

#include "keyring-test-util.h"
#include "vault-test-util.h"

#define CANARY_SEED "CANARYSEEDAAAAAAAAAAAAAAAAAAAAAA"
#define CANARY_HOTP_SEED "CANARYHOTPSEEDBBBBBBBBBBBBBBBBBB"
#define CANARY_LABEL "canary-label-7f3a"
#define CANARY_ISSUER "canary-issuer-2b9d"
#define CANARY_HOTP_LABEL "canary-hotp-8a1f"
#define CANARY_GROUP "canary-group-5e1c"
#define CANARY_PASS "canary-pass-9c1e"
#define CANARY_NEW_PASS "canary-newpass-4d2a"
#define CANARY_PREF "canary-pref-3c7b"
#define CANARY_BACKUP_PASS "canary-backuppass-6f0e"
#define FAST_KDF "--kdf-memory", "8192", "--kdf-iterations", "1"

#define CLI_OK(input, ...) \
  G_STMT_START { \
    g_auto (CliRun) run_ = { 0 }; \
    run_cli (input, &run_, __VA_ARGS__, NULL); \
    if (run_.status != 0) \
      g_printerr ("%s", run_.err); \
    g_assert_cmpint (run_.status, ==, 0); \
  } G_STMT_END

/* ---- Restarts, duplicates --------------------------------------------------- */

static void
test_accounts_survive_restarts (void)
{
  g_auto (CliRun) run = { 0 };
  g_auto (CliRun) dup = { 0 };
  g_auto (CliRun) code = { 0 };

  CLI_OK (CANARY_PASS "\n", "init", "--profile", "restart", "--passphrase-file", "-", FAST_KDF);
  CLI_OK ("otpauth://totp/Example:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example"
          "&digits=8\n", "add", "--profile", "restart", "--uri", "-");
  run_cli ("otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example\n", &dup, "add",
           "--profile", "restart", "--uri", "-", NULL);
  g_assert_cmpint (dup.status, ==, 3); /* duplicate: refused, nothing overwritten */
  run_cli (NULL, &code, "code", "--profile", "restart", "alice", "--time", "59", NULL);
  g_assert_cmpint (code.status, ==, 0);
  g_assert_cmpstr (code.out, ==, "94287082\n"); /* RFC 6238: the original secret is kept */
  run_cli (NULL, &run, "list", "--profile", "restart", "--json", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "\"label\": \"alice\""));
  g_assert_null (strstr (run.out, "GEZDGNBV"));
}

static void
test_hotp_counter_across_runs (void)
{
  /* RFC 4226 Appendix D: each run shows the next code, never the same twice. */
  static const char *expected[] = { "755224\n", "287082\n", "359152\n" };
  g_autofree char *dir = g_dir_make_tmp ("cli-vault-pass-XXXXXX", NULL); /* outside HOME */
  g_autofree char *pass_file = g_build_filename (dir, "pass", NULL);

  g_assert_true (g_file_set_contents (pass_file, CANARY_PASS "\n", -1, NULL));
  CLI_OK (NULL, "init", "--profile", "hotp", "--no-keyring", "--passphrase-file",
          pass_file, FAST_KDF);
  CLI_OK ("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n", "add", "--profile", "hotp", "--passphrase-file",
          pass_file, "--label", "counter", "--type", "hotp", "--secret", "-");
  vt_remove_tree (dir);
  for (gsize i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_auto (CliRun) run = { 0 };

      run_cli (CANARY_PASS "\n", &run, "code", "--profile", "hotp", "--passphrase-file", "-",
               "counter", NULL);
      g_assert_cmpint (run.status, ==, 0);
      g_assert_cmpstr (run.out, ==, expected[i]);
    }
}

static void
test_bad_line_adds_nothing (void)
{
  g_auto (CliRun) add = { 0 };
  g_auto (CliRun) list = { 0 };

  CLI_OK (CANARY_PASS "\n", "init", "--profile", "batch", "--passphrase-file", "-", FAST_KDF);
  run_cli ("otpauth://totp/One:a?secret=JBSWY3DPEHPK3PXP&issuer=One\n"
           "otpauth://totp/Two:b?secret=not-base32!&issuer=Two\n", &add,
           "add", "--profile", "batch", "--from-file", "-", NULL);
  g_assert_cmpint (add.status, ==, 3);
  g_assert_nonnull (strstr (add.err, "line 2"));
  run_cli (NULL, &list, "list", "--profile", "batch", "--json", NULL);
  g_assert_cmpint (list.status, ==, 0);
  g_assert_null (strstr (list.out, "\"label\""));
}

static void
test_last_slot_kept (void)
{
  g_auto (CliRun) run = { 0 };

  CLI_OK (CANARY_PASS "\n", "init", "--profile", "slots", "--no-keyring", "--passphrase-file", "-",
          FAST_KDF);
  run_cli (CANARY_PASS "\n", &run, "slots", "remove", "1", "--yes", "--profile", "slots",
           "--passphrase-file", "-", NULL);
  g_assert_cmpint (run.status, !=, 0);
  g_assert_nonnull (strstr (run.err, "only key slot"));
}

/* ---- delete-all-data ---------------------------------------------------------- */

static char *
vault_id_of (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecVault) vault = entsec_vault_open_sync (path, NULL, &error);

  g_assert_no_error (error);
  return entsec_vault_dup_id (vault);
}

static void
test_delete_all_data (void)
{
  g_autofree char *path = entsec_vault_default_path ("doomed");
  g_autofree char *kept = entsec_vault_default_path ("kept");
  g_autofree char *id = NULL;
  g_autofree char *kept_id = NULL;
  g_auto (CliRun) refused = { 0 };
  g_auto (CliRun) run = { 0 };
  g_auto (CliRun) again = { 0 };
  g_auto (CliRun) list = { 0 };

  CLI_OK (CANARY_PASS "\n", "init", "--profile", "doomed", "--passphrase-file", "-", FAST_KDF);
  CLI_OK (CANARY_PASS "\n", "init", "--profile", "kept", "--passphrase-file", "-", FAST_KDF);
  CLI_OK ("otpauth://totp/Kept:k?secret=JBSWY3DPEHPK3PXP&issuer=Kept\n", "add", "--profile",
          "kept", "--uri", "-");
  id = vault_id_of (path);
  kept_id = vault_id_of (kept);
  g_assert_cmpuint (vt_count_vault_items (id), >, 0);

  /* Without --yes nothing happens. */
  run_cli (NULL, &refused, "delete-all-data", "--profile", "doomed", NULL);
  g_assert_cmpint (refused.status, ==, 2);
  g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS));

  run_cli (NULL, &run, "delete-all-data", "--profile", "doomed", "--yes", "--json", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "\"deleted\": true"));
  g_assert_nonnull (strstr (run.out, "\"enrolled\": false"));
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (vt_count_vault_items (id), ==, 0);

  run_cli (NULL, &again, "delete-all-data", "--profile", "doomed", "--yes", NULL);
  g_assert_cmpint (again.status, ==, 0);
  g_assert_nonnull (strstr (again.out, "nothing to delete"));

  /* The other profile's vault and keys are untouched. */
  g_assert_cmpuint (vt_count_vault_items (kept_id), >, 0);
  run_cli (NULL, &list, "list", "--profile", "kept", "--json", NULL);
  g_assert_cmpint (list.status, ==, 0);
  g_assert_nonnull (strstr (list.out, "\"label\": \"k\""));
}

/* ---- The quick-unlock PIN ---------------------------------------------------- */

/* A file under @dir holding @text and a newline (PINs and passphrases never go in argv). */
static char *
secret_file (const char *dir,
             const char *name,
             const char *text)
{
  char *path = g_build_filename (dir, name, NULL);
  g_autofree char *line = g_strconcat (text, "\n", NULL);

  g_assert_true (g_file_set_contents (path, line, -1, NULL));
  return path;
}

/*
 * 'slots add-pin' sets a PIN beside the passphrase (asked for then), the
 * PIN unlocks through --pin-file, five wrong PINs in a row kill it (even
 * the right one fails then), the next unlock removes it and says so, and
 * 'slots remove-pin' removes a live one. A keyring-only vault gets no PIN; a PIN of the wrong form is
 * refused before anything is written.
 */
static void
test_pin_slot (void)
{
  g_autofree char *dir = g_dir_make_tmp ("cli-vault-pin-XXXXXX", NULL); /* outside HOME */
  g_autofree char *pass = secret_file (dir, "pass", CANARY_PASS);
  g_autofree char *pin = secret_file (dir, "pin", "20461");
  g_autofree char *wrong = secret_file (dir, "wrong", "99999");
  g_autofree char *letters = secret_file (dir, "letters", "12a45");
  g_auto (CliRun) added = { 0 };
  g_auto (CliRun) both = { 0 };
  g_auto (CliRun) bad_form = { 0 };
  g_auto (CliRun) dead = { 0 };
  g_auto (CliRun) list = { 0 };
  g_auto (CliRun) dropped = { 0 };
  g_auto (CliRun) removed = { 0 };
  g_auto (CliRun) removed_live = { 0 };
  g_auto (CliRun) no_passphrase = { 0 };

  CLI_OK (NULL, "init", "--profile", "pin", "--passphrase-file", pass, FAST_KDF);
  run_cli (NULL, &bad_form, "slots", "add-pin", "--profile", "pin", "--passphrase-file", pass,
           "--new-pin-file", letters, NULL);
  g_assert_cmpint (bad_form.status, ==, 3);
  g_assert_nonnull (strstr (bad_form.err, "digits (0-9) only"));
  run_cli (NULL, &added, "slots", "add-pin", "--profile", "pin", "--passphrase-file", pass,
           "--new-pin-file", pin, NULL);
  g_assert_cmpint (added.status, ==, 0);
  g_assert_nonnull (strstr (added.out, "3  pin (5 attempts left)\n"));
  CLI_OK (NULL, "unlock-test", "--profile", "pin", "--no-keyring", "--pin-file", pin);
  run_cli (NULL, &both, "unlock-test", "--profile", "pin", "--pin-file", pin, "--passphrase-file",
           pass, NULL);
  g_assert_cmpint (both.status, ==, 2);

  for (int left = 4; left >= 0; left--)
    {
      g_auto (CliRun) run = { 0 };
      g_autofree char *expected = g_strdup_printf ("%d attempt(s) left", left);

      run_cli (NULL, &run, "unlock-test", "--profile", "pin", "--pin-file", wrong, NULL);
      g_assert_cmpint (run.status, ==, 4);
      g_assert_nonnull (strstr (run.err, left > 0 ? expected : "that was the last attempt"));
    }
  run_cli (NULL, &dead, "unlock-test", "--profile", "pin", "--pin-file", pin, NULL);
  g_assert_cmpint (dead.status, ==, 4);
  g_assert_nonnull (strstr (dead.err, "Enter the passphrase"));
  /* --no-keyring cannot tell a dead PIN: listed, not checked. */
  run_cli (NULL, &list, "slots", "--profile", "pin", "--no-keyring", "--passphrase-file", pass,
           NULL);
  g_assert_cmpint (list.status, ==, 0);
  g_assert_nonnull (strstr (list.out, "3  pin (not checked"));
  /* The next unlock removes the dead PIN and says why. */
  run_cli (NULL, &dropped, "slots", "--profile", "pin", NULL);
  g_assert_cmpint (dropped.status, ==, 0);
  g_assert_nonnull (strstr (dropped.err, "no longer works (5 wrong PINs in a row"));
  g_assert_nonnull (strstr (dropped.err, "slots add-pin"));
  g_assert_null (strstr (dropped.out, "pin"));
  run_cli (NULL, &removed, "slots", "remove-pin", "--profile", "pin", "--passphrase-file", pass,
           NULL);
  g_assert_cmpint (removed.status, !=, 0);
  g_assert_nonnull (strstr (removed.err, "no PIN to remove"));
  /* A live PIN is listed with its attempts, and removed on request. */
  CLI_OK (NULL, "slots", "add-pin", "--profile", "pin", "--passphrase-file", pass, "--new-pin-file",
          pin);
  run_cli (NULL, &removed_live, "slots", "remove-pin", "--profile", "pin", NULL);
  g_assert_cmpint (removed_live.status, ==, 0);
  g_assert_null (strstr (removed_live.out, "pin"));
  g_assert_cmpstr (removed_live.err, ==, "");

  CLI_OK (NULL, "init", "--profile", "pin-keyring-only", "--no-passphrase");
  run_cli (NULL, &no_passphrase, "slots", "add-pin", "--profile", "pin-keyring-only",
           "--new-pin-file", pin, NULL);
  g_assert_cmpint (no_passphrase.status, !=, 0);
  g_assert_nonnull (strstr (no_passphrase.err, "only goes beside a passphrase"));
  vt_remove_tree (dir);
}

/* The vault's files under XDG_DATA_HOME/entsec for @profile, with @suffix. */
static char *
profile_file (const char *profile,
              const char *suffix)
{
  g_autofree char *file = g_strconcat (profile, ".db", suffix, NULL);

  return g_build_filename (g_get_user_data_dir (), "entsec", file, NULL);
}

/*
 * A vault restored from a copy made before its keyring slot was removed: the
 * keyring item is gone. 'slots' says so, and removing the passphrase slot
 * (which would lock the user out) is refused; the vault still opens.
 */
static void
test_remove_refused_keyring_item_missing (void)
{
  g_autofree char *db = profile_file ("lockout", "");
  g_autofree char *copy = profile_file ("lockout", ".copy");
  g_auto (CliRun) list = { 0 };
  g_auto (CliRun) missing = { 0 };
  g_auto (CliRun) json = { 0 };
  g_auto (CliRun) removal = { 0 };
  g_auto (CliRun) unchecked = { 0 };
  g_auto (CliRun) unconfirmed = { 0 };

  CLI_OK (CANARY_PASS "\n", "init", "--profile", "lockout", "--passphrase-file", "-", FAST_KDF);
  run_cli (NULL, &list, "slots", "--profile", "lockout", NULL);
  g_assert_cmpint (list.status, ==, 0);
  g_assert_nonnull (strstr (list.out, "2  keyring\n")); /* works: no remark */
  vt_copy_file (db, copy);
  /* Off a terminal, removal needs --yes: refused before anything is asked or changed. */
  run_cli (NULL, &unconfirmed, "slots", "remove", "2", "--profile", "lockout", NULL);
  g_assert_cmpint (unconfirmed.status, ==, 2);
  g_assert_nonnull (strstr (unconfirmed.err, "confirm with --yes"));
  CLI_OK (NULL, "unlock-test", "--profile", "lockout"); /* the keyring slot still works */
  CLI_OK (NULL, "slots", "remove", "2", "--yes", "--profile", "lockout"); /* deletes the item */
  g_assert_cmpint (g_rename (copy, db), ==, 0);

  run_cli (CANARY_PASS "\n", &missing, "slots", "--profile", "lockout", "--passphrase-file", "-",
           NULL);
  g_assert_cmpint (missing.status, ==, 0);
  g_assert_nonnull (strstr (missing.out, "2  keyring (item missing: run 'slots add-keyring'"));
  run_cli (CANARY_PASS "\n", &json, "slots", "--json", "--profile", "lockout", "--passphrase-file",
           "-", NULL);
  g_assert_nonnull (strstr (json.out, "\"keyring\": \"item-missing\""));
  run_cli (CANARY_PASS "\n", &removal, "slots", "remove", "1", "--yes", "--profile", "lockout",
           "--passphrase-file", "-", NULL);
  g_assert_cmpint (removal.status, !=, 0);
  g_assert_nonnull (strstr (removal.err, "cannot be unlocked right now"));
  CLI_OK (CANARY_PASS "\n", "unlock-test", "--profile", "lockout", "--passphrase-file", "-");
  /* --no-keyring: the keyring is not asked, and the list says so. */
  run_cli (CANARY_PASS "\n", &unchecked, "slots", "--no-keyring", "--profile", "lockout",
           "--passphrase-file", "-", NULL);
  g_assert_nonnull (strstr (unchecked.out, "2  keyring (not checked: --no-keyring)\n"));
}

/*
 * The keyring unlocks the vault, yet an export (encrypted or plain) asks for
 * the passphrase: a keyring alone never takes every secret out. A wrong one
 * is refused; a keyring-only vault has nothing more to ask.
 */
static void
test_export_needs_passphrase_with_keyring (void)
{
  g_autofree char *dir = g_dir_make_tmp ("cli-vault-export-XXXXXX", NULL);
  g_autofree char *pass = g_build_filename (dir, "pass", NULL);
  g_autofree char *wrong = g_build_filename (dir, "wrong", NULL);
  g_autofree char *backup_pass = g_build_filename (dir, "backup-pass", NULL);
  const char *formats[] = { "entsec", "uris" };

  g_assert_true (g_file_set_contents (pass, CANARY_PASS "\n", -1, NULL));
  g_assert_true (g_file_set_contents (wrong, CANARY_NEW_PASS "\n", -1, NULL));
  g_assert_true (g_file_set_contents (backup_pass, CANARY_BACKUP_PASS "\n", -1, NULL));
  CLI_OK (CANARY_PASS "\n", "init", "--profile", "reauth", "--passphrase-file", "-", FAST_KDF);
  CLI_OK ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP\n", "add", "--profile", "reauth", "--uri",
          "-");
  for (gsize i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_auto (CliRun) keyring_only = { 0 };
      g_auto (CliRun) wrong_pass = { 0 };
      g_auto (CliRun) with_pass = { 0 };

      run_cli (NULL, &keyring_only, "export", "--profile", "reauth", "--format", formats[i],
               "--backup-passphrase-file", backup_pass, "-o", "-", NULL);
      g_assert_cmpint (keyring_only.status, ==, 4);
      g_assert_cmpstr (keyring_only.out, ==, "");
      g_assert_nonnull (strstr (keyring_only.err, "even when the keyring unlocks the vault"));
      run_cli (NULL, &wrong_pass, "export", "--profile", "reauth", "--format", formats[i],
               "--backup-passphrase-file", backup_pass, "--passphrase-file", wrong, "-o", "-",
               NULL);
      g_assert_cmpint (wrong_pass.status, ==, 4);
      g_assert_cmpstr (wrong_pass.out, ==, "");
      run_cli (NULL, &with_pass, "export", "--profile", "reauth", "--format", formats[i],
               "--backup-passphrase-file", backup_pass, "--passphrase-file", pass, "-o", "-",
               NULL);
      g_assert_cmpint (with_pass.status, ==, 0);
      g_assert_cmpstr (with_pass.out, !=, "");
    }
  vt_remove_tree (dir);
}

/* The shared option reads right for init too (where there is no keyring to skip yet). */
static void
test_passphrase_option_text (void)
{
  g_auto (CliRun) run = { 0 };

  run_cli (NULL, &run, "init", "--help", NULL);
  g_assert_cmpint (run.status, ==, 0);
  g_assert_nonnull (strstr (run.out, "Read the vault passphrase from FILE ('-': stdin)\n"));
  g_assert_null (strstr (run.out, "instead of the keyring"));
}

static void
test_wrong_passphrase_exit_code (void)
{
  g_auto (CliRun) run = { 0 };

  CLI_OK (CANARY_PASS "\n", "init", "--profile", "wrong", "--no-keyring", "--passphrase-file", "-",
          FAST_KDF);
  run_cli ("not it\n", &run, "unlock-test", "--profile", "wrong", "--passphrase-file", "-", NULL);
  g_assert_cmpint (run.status, ==, 4);
  g_assert_nonnull (strstr (run.err, "Wrong passphrase"));
}

/* ---- Canary scan ---------------------------------------------------------- */

typedef struct
{
  const char *name;
  GBytes     *needle;
} Needle;

static void
needle_clear (gpointer data)
{
  Needle *n = data;

  g_bytes_unref (n->needle);
}

static void
add_needle (GArray     *needles,
            const char *name,
            const void *data,
            gsize       len)
{
  Needle n = { name, g_bytes_new (data, len) };

  g_array_append_val (needles, n);
}

static void
add_encodings (GArray       *needles,
               const char   *name,
               const guint8 *data,
               gsize         len,
               gboolean      text)
{
  g_autofree char *b32 = entsec_base32_encode (data, len);
  g_autofree char *b32_lower = g_ascii_strdown (b32, -1);
  g_autofree char *hex = g_malloc0 (len * 2 + 1);
  g_autofree char *hex_upper = NULL;
  g_autofree char *b64 = g_base64_encode (data, len);

  for (gsize i = 0; i < len; i++)
    g_snprintf (hex + 2 * i, 3, "%02x", data[i]);
  hex_upper = g_ascii_strup (hex, -1);
  add_needle (needles, name, data, len);
  add_needle (needles, name, b32, strlen (b32));
  add_needle (needles, name, b32_lower, strlen (b32_lower));
  add_needle (needles, name, hex, strlen (hex));
  add_needle (needles, name, hex_upper, strlen (hex_upper));
  /* Base64 without the padding, which depends on what follows. */
  add_needle (needles, name, b64, strlen (b64) - (len % 3 == 0 ? 0 : 3 - len % 3));
  if (text)
    {
      g_autofree gunichar2 *utf16 = g_utf8_to_utf16 ((const char *) data, (glong) len,
                                                     NULL, NULL, NULL);

      add_needle (needles, name, utf16, len * 2);
    }
}

static GArray *
canary_needles (void)
{
  const char *texts[] = { CANARY_LABEL, CANARY_ISSUER, CANARY_HOTP_LABEL, CANARY_GROUP, CANARY_PASS,
                          CANARY_NEW_PASS, CANARY_PREF, CANARY_BACKUP_PASS };
  const char *seeds[] = { CANARY_SEED, CANARY_HOTP_SEED };
  GArray *needles = g_array_new (FALSE, TRUE, sizeof (Needle));

  g_array_set_clear_func (needles, needle_clear);
  for (gsize i = 0; i < G_N_ELEMENTS (texts); i++)
    add_encodings (needles, texts[i], (const guint8 *) texts[i], strlen (texts[i]), TRUE);
  for (gsize i = 0; i < G_N_ELEMENTS (seeds); i++)
    {
      gsize len = 0;
      g_autofree guint8 *raw = entsec_base32_decode (seeds[i], &len, NULL);

      add_encodings (needles, seeds[i], raw, len, FALSE);
    }
  return needles;
}

/* Search every regular file under @dir; returns the hits as "file: canary". */
static void
scan_tree (const char *dir,
           GArray     *needles,
           GPtrArray  *hits)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  if (d == NULL)
    return;
  for (name = g_dir_read_name (d); name != NULL; name = g_dir_read_name (d))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize len = 0;

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        {
          scan_tree (path, needles, hits);
          continue;
        }
      if (!g_file_get_contents (path, &contents, &len, NULL))
        continue;
      for (guint i = 0; i < needles->len; i++)
        {
          Needle *n = &g_array_index (needles, Needle, i);
          gsize nlen;
          const void *ndata = g_bytes_get_data (n->needle, &nlen);

          if (memmem (contents, len, ndata, nlen) != NULL)
            g_ptr_array_add (hits, g_strdup_printf ("%s: %s (needle %u)", path, n->name, i));
        }
    }
}

/* Preferences have no command yet: set them through the library, like the app will. */
static void
set_canary_prefs (void)
{
  g_autofree char *path = entsec_vault_default_path (NULL);
  g_autoptr (EntsecVault) vault = entsec_vault_open_sync (path, NULL, NULL);
  g_autoptr (GBytes) blob = g_bytes_new_static (CANARY_PREF, strlen (CANARY_PREF));
  g_autoptr (GError) error = NULL;

  g_assert_true (entsec_vault_unlock_passphrase_sync (vault, CANARY_NEW_PASS,
                                                      strlen (CANARY_NEW_PASS), NULL, &error));
  g_assert_true (entsec_vault_set_string_sync (vault, "server-url", "https://" CANARY_PREF,
                                               &error));
  g_assert_true (entsec_vault_set_blob_sync (vault, "pinned-keys", blob, &error));
  g_assert_true (entsec_vault_set_string_sync (vault, CANARY_PREF, "name as canary", &error));
  g_assert_true (entsec_vault_remove_pref_sync (vault, "server-url", NULL, &error));
  g_assert_no_error (error);
  entsec_vault_lock_sync (vault);
}

/*
 * An encrypted export to a file under HOME, imported into a second vault:
 * the scan then covers the backup file and the second vault too. (The plain
 * '--format uris' export holds the secrets by design; it is not part of the
 * zero-hit scan, it is the control in test_canary_scan.)
 */
static void
export_and_import (void)
{
  g_autofree char *backup = g_build_filename (g_get_home_dir (), "canary-backup.entsec", NULL);
  g_autofree char *dir = g_dir_make_tmp ("cli-vault-pass-XXXXXX", NULL); /* outside HOME */
  g_autofree char *pass_file = g_build_filename (dir, "pass", NULL);
  g_auto (CliRun) list = { 0 };

  /* The keyring unlocks the vault, but an export needs the passphrase too. */
  g_assert_true (g_file_set_contents (pass_file, CANARY_PASS "\n", -1, NULL));
  CLI_OK (CANARY_BACKUP_PASS "\n", "export", "--output", backup, "--backup-passphrase-file", "-",
          "--passphrase-file", pass_file);
  vt_remove_tree (dir);
  g_assert_true (g_file_test (backup, G_FILE_TEST_IS_REGULAR));
  CLI_OK (CANARY_PASS "\n", "init", "--profile", "second", "--passphrase-file", "-", FAST_KDF);
  CLI_OK (CANARY_BACKUP_PASS "\n", "import", "--profile", "second", backup,
          "--backup-passphrase-file", "-");
  run_cli (NULL, &list, "list", "--profile", "second", "--json", NULL);
  g_assert_cmpint (list.status, ==, 0);
  g_assert_nonnull (strstr (list.out, CANARY_LABEL)); /* the import really happened */
  g_assert_nonnull (strstr (list.out, CANARY_HOTP_LABEL));
}

static void
every_operation (void)
{
  g_autofree char *uri = g_strdup_printf ("otpauth://totp/%s:%s?secret=%s&issuer=%s\n",
                                          CANARY_ISSUER, CANARY_LABEL, CANARY_SEED, CANARY_ISSUER);
  g_auto (CliRun) recovery = { 0 };

  CLI_OK (CANARY_PASS "\n", "init", "--passphrase-file", "-", FAST_KDF);
  CLI_OK (uri, "add", "--uri", "-");
  CLI_OK (CANARY_HOTP_SEED "\n", "add", "--label", CANARY_HOTP_LABEL, "--issuer", CANARY_ISSUER,
          "--type", "hotp", "--secret", "-");
  CLI_OK (NULL, "edit", CANARY_LABEL, "--group", CANARY_GROUP, "--favourite");
  CLI_OK (NULL, "code", CANARY_HOTP_LABEL);
  CLI_OK (NULL, "code", CANARY_HOTP_LABEL);
  CLI_OK (NULL, "code");
  CLI_OK (NULL, "list", "--json");
  export_and_import ();
  CLI_OK (CANARY_NEW_PASS "\n", "passwd", "--new-passphrase-file", "-", FAST_KDF);
  run_cli (NULL, &recovery, "slots", "add-recovery", NULL);
  g_assert_cmpint (recovery.status, ==, 0);
  CLI_OK (NULL, "rm", CANARY_HOTP_LABEL, "--yes");
  CLI_OK (CANARY_NEW_PASS "\n", "unlock-test", "--no-keyring", "--passphrase-file", "-");
  set_canary_prefs ();
}

static gboolean
hits_name (GPtrArray  *hits,
           const char *name)
{
  g_autofree char *needle = g_strdup_printf (": %s (", name);

  for (guint i = 0; i < hits->len; i++)
    {
      if (strstr (g_ptr_array_index (hits, i), needle) != NULL)
        return TRUE;
    }
  return FALSE;
}

/*
 * Control on a file entsec-cli writes: the plain URI export (outside HOME)
 * holds the TOTP secret (as Base32), its label and issuer, and the scanner
 * must find each. A broken scanner (wrong encodings, no recursion, bad
 * search) fails here.
 */
static void
control_plain_export (GArray *needles)
{
  g_autofree char *dir = g_dir_make_tmp ("canary-plain-XXXXXX", NULL);
  g_autofree char *sub = g_build_filename (dir, "sub", NULL);
  g_autofree char *plain = g_build_filename (sub, "plain.txt", NULL);
  g_autoptr (GPtrArray) hits = g_ptr_array_new_with_free_func (g_free);

  g_assert_cmpint (g_mkdir (sub, 0700), ==, 0);
  CLI_OK (CANARY_NEW_PASS "\n", "export", "--format", "uris", "--output", plain,
          "--passphrase-file", "-");
  scan_tree (dir, needles, hits);
  vt_remove_tree (dir);
  g_assert_true (hits_name (hits, CANARY_SEED));
  g_assert_true (hits_name (hits, CANARY_LABEL));
  g_assert_true (hits_name (hits, CANARY_ISSUER));
}

static void
test_canary_scan (void)
{
  g_autoptr (GArray) needles = canary_needles ();
  g_autoptr (GPtrArray) hits = g_ptr_array_new_with_free_func (g_free);

  every_operation ();
  scan_tree (g_get_home_dir (), needles, hits);
  for (guint i = 0; i < hits->len; i++)
    g_printerr ("canary found: %s\n", (char *) g_ptr_array_index (hits, i));
  g_assert_cmpuint (hits->len, ==, 0);
  control_plain_export (needles);
}

/*
 * Control: the same canaries written without encryption (a plain SQLite file
 * with WAL, and each encoding in a text file) are all found, so a zero above
 * means something.
 */
static void
test_canary_control (void)
{
  g_autofree char *dir = g_dir_make_tmp ("canary-control-XXXXXX", NULL);
  g_autofree char *db_path = g_build_filename (dir, "plain.db", NULL);
  g_autoptr (GArray) needles = canary_needles ();
  g_autoptr (GPtrArray) hits = g_ptr_array_new_with_free_func (g_free);
  GString *encodings = g_string_new (NULL);
  g_autofree char *text_path = g_build_filename (dir, "encodings.txt", NULL);
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "PRAGMA journal_mode=WAL; CREATE TABLE t (v BLOB);", NULL,
                                 NULL, NULL), ==, SQLITE_OK);
  for (guint i = 0; i < needles->len; i++)
    {
      GBytes *needle = g_array_index (needles, Needle, i).needle;
      sqlite3_stmt *stmt = NULL;

      sqlite3_prepare_v2 (db, "INSERT INTO t VALUES (?)", -1, &stmt, NULL);
      sqlite3_bind_blob (stmt, 1, g_bytes_get_data (needle, NULL), (int) g_bytes_get_size (needle),
                         SQLITE_STATIC);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
      sqlite3_finalize (stmt);
      g_string_append_len (encodings, g_bytes_get_data (needle, NULL),
                           (gssize) g_bytes_get_size (needle));
      g_string_append_c (encodings, '\n');
    }
  /* Leave the connection open: the rows sit in the -wal file, as a live vault's would. */
  g_assert_true (g_file_set_contents (text_path, encodings->str, (gssize) encodings->len, NULL));
  scan_tree (dir, needles, hits);
  /* Every needle at least in the text file and once in the database or its WAL. */
  g_assert_cmpuint (hits->len, >=, 2 * needles->len);
  sqlite3_close (db);
  g_string_free (encodings, TRUE);
  vt_remove_tree (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  if (!vt_in_keyring_session ())
    return 1;
  g_test_add_func ("/cli-vault/accounts-survive-restarts", test_accounts_survive_restarts);
  g_test_add_func ("/cli-vault/wrong-passphrase-exit-code", test_wrong_passphrase_exit_code);
  g_test_add_func ("/cli-vault/hotp-counter-across-runs", test_hotp_counter_across_runs);
  g_test_add_func ("/cli-vault/bad-line-adds-nothing", test_bad_line_adds_nothing);
  g_test_add_func ("/cli-vault/last-slot-kept", test_last_slot_kept);
  g_test_add_func ("/cli-vault/pin-slot", test_pin_slot);
  g_test_add_func ("/cli-vault/delete-all-data", test_delete_all_data);
  g_test_add_func ("/cli-vault/remove-refused-keyring-item-missing",
                   test_remove_refused_keyring_item_missing);
  g_test_add_func ("/cli-vault/passphrase-option-text", test_passphrase_option_text);
  g_test_add_func ("/cli-vault/export-needs-passphrase-with-keyring",
                   test_export_needs_passphrase_with_keyring);
  g_test_add_func ("/cli-vault/canary-control", test_canary_control);
  g_test_add_func ("/cli-vault/canary-scan", test_canary_scan);
  return g_test_run ();
}
