/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-vault-format.c: the vault file as an attacker or an older release
 * left it: SQL planted in the file (triggers, views, extra tables), rows put
 * back or rolled back, key rotation against an old copy, limits on slots and
 * KDF work, and vaults and backups of format 1 (tests/data/vault).
 */

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <sqlite3.h>

#include <entsec/entsec.h>

#include "vault-test-util.h"

static const char passphrase[] = "correct horse battery staple";

typedef VtFixture Fixture;
#define fixture_setup vt_fixture_setup
#define fixture_teardown vt_fixture_teardown

/* A vault with one HOTP account (id 1) at counter 0, closed. */
static void
make_hotp_vault (Fixture *f)
{
  g_autoptr (EntsecVault) vault = vt_create (f->path, passphrase);
  g_autoptr (EntsecAccount) account = vt_account ("Bank", "hotp", 7);

  account->type = ENTSEC_ACCOUNT_HOTP;
  vt_add_account (vault, account);
}

/* Opening @path fails as CORRUPT and leaves the file byte for byte. */
static void
assert_refused_untouched (const char *path)
{
  g_autofree char *before = vt_file_hash (path);
  g_autofree char *after = NULL;
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;

  vault = entsec_vault_open_sync (path, NULL, &error);
  g_assert_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT);
  g_assert_null (vault);
  after = vt_file_hash (path);
  g_assert_cmpstr (before, ==, after);
}

/* ---- SQL planted in the file ---------------------------------------------- */

/* SQL a hostile file may carry; opening it must refuse it. */
static const char *const planted[][2] = {
  /* Puts the old record (old HOTP counter) back after every save. */
  { "trigger-repeats-hotp", "CREATE TRIGGER keep AFTER UPDATE ON accounts BEGIN "
                            "UPDATE accounts SET data = OLD.data WHERE id = NEW.id; END" },
  /* "Added", then gone. */
  { "trigger-deletes-added-row", "CREATE TRIGGER vanish AFTER INSERT ON accounts BEGIN "
                                 "DELETE FROM accounts WHERE id = NEW.id; END" },
  { "view-refused", "CREATE VIEW peek AS SELECT id FROM accounts" },
  { "extra-table-refused", "CREATE TABLE extra (x BLOB)" },
  { "changed-column-refused", "ALTER TABLE accounts ADD COLUMN note TEXT" },
};

static void
test_planted_sql (Fixture      *f,
                  gconstpointer data)
{
  const char *const *entry = data;

  make_hotp_vault (f);
  vt_exec (f->path, entry[1]);
  assert_refused_untouched (f->path);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

for (gsize i = 0; i < G_N_ELEMENTS (planted); i++)
    {
      g_autofree char *name = g_strconcat ("/vault-format/", planted[i][0], NULL);

      g_test_add (name, Fixture, planted[i], fixture_setup, test_planted_sql, fixture_teardown);
    }
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
#undef ADD

  return g_test_run ();
}
