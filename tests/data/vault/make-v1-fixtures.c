/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * make-v1-fixtures.c: writes the committed vault and backup fixtures of
 * tests/data/vault/ (see README.md there). Built only on demand
 * (`cmake --build --preset dev --target make-v1-fixtures`) and run once, by
 * hand, with the code of the format the fixtures stand for:
 *
 *   make-v1-fixtures OUTDIR
 *
 * It prints the recovery key, which the README records. Running it again
 * makes new random keys, so the README must be updated with it.
 */

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include <entsec/entsec.h>

#define VAULT_PASSPHRASE "entsec fixture passphrase v1"
#define BACKUP_PASSPHRASE "entsec fixture backup v1"

static const EntsecVaultKdfParams cheap_kdf = { 8 * 1024, 1, 1 };

static EntsecAccount *
make_account (EntsecAccountType type,
              const char       *issuer,
              const char       *label,
              guint8            seed)
{
  EntsecAccount *account = entsec_account_new ();
  guint8 secret[20];

  for (guint i = 0; i < sizeof secret; i++)
    secret[i] = (guint8) (seed * 31 + i);
  entsec_account_set_secret (account, secret, sizeof secret);
  account->type = type;
  account->issuer = g_strdup (issuer);
  g_free (account->label);
  account->label = g_strdup (label);
  if (type == ENTSEC_ACCOUNT_STEAM)
    account->digits = 5;
  if (type == ENTSEC_ACCOUNT_HOTP)
    account->counter = 5;
  return account;
}

static gboolean
fill (EntsecVault *vault,
      GError     **error)
{
  g_autoptr (GPtrArray) batch = NULL;
  g_autoptr (GBytes) blob = g_bytes_new_static ("\x00\x01\x02\xff", 4);

  batch = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  g_ptr_array_add (batch, make_account (ENTSEC_ACCOUNT_TOTP, "Example", "alice@example.com", 1));
  g_ptr_array_add (batch, make_account (ENTSEC_ACCOUNT_HOTP, "Counter", "bob@example.com", 2));
  g_ptr_array_add (batch, make_account (ENTSEC_ACCOUNT_STEAM, "Steam", "carol", 3));
  return entsec_vault_add_accounts_sync (vault, batch, ENTSEC_VAULT_ADD_NONE, NULL, NULL, error)
         && entsec_vault_set_string (vault, "fixture.string", "hello", error)
         && entsec_vault_set_int (vault, "fixture.int", -42, error)
         && entsec_vault_set_boolean (vault, "fixture.boolean", TRUE, error)
         && entsec_vault_set_blob (vault, "fixture.blob", blob, error);
}

static gboolean
write_backup (EntsecVault *vault,
              const char  *path,
              GError     **error)
{
  g_autoptr (GPtrArray) accounts = entsec_vault_list_accounts (vault);
  EntsecBackupKdfParams kdf = { 8 * 1024, 1, 1 };
  g_autoptr (GBytes) data = NULL;

  return entsec_backup_export (accounts, BACKUP_PASSPHRASE, strlen (BACKUP_PASSPHRASE), &kdf,
                               &data, error)
         && entsec_backup_write_file (path, data, error);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecVault) vault = NULL;
  g_autofree char *db = NULL;
  g_autofree char *backup = NULL;
  g_autofree char *lock = NULL;
  char *recovery = NULL;

  if (argc != 2)
    {
      fprintf (stderr, "usage: %s OUTDIR\n", argv[0]);
      return 2;
    }
  db = g_build_filename (argv[1], "v1-passphrase.db", NULL);
  backup = g_build_filename (argv[1], "v1-backup.entsec", NULL);
  lock = g_strconcat (db, ".lock", NULL);
  vault = entsec_vault_create_sync (db, FALSE, VAULT_PASSPHRASE, strlen (VAULT_PASSPHRASE),
                                    &cheap_kdf, NULL, &error);
  if (vault != NULL)
    recovery = entsec_vault_add_recovery_slot_sync (vault, NULL, &error);
  if (recovery == NULL || !fill (vault, &error) || !write_backup (vault, backup, &error))
    {
      fprintf (stderr, "make-v1-fixtures: %s\n", error->message);
      return 1;
    }
  printf ("recovery key: %s\n", recovery);
  entsec_secure_strfree (recovery);
  /* Lock checkpoints the WAL; the last close removes -wal and -shm. */
  entsec_vault_lock (vault);
  g_clear_object (&vault);
  g_unlink (lock);
  return 0;
}
