/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * vault-bench.c: what the vault costs (bench/README.md, "Vault").
 *  1. open + unlock + decrypt N accounts, KDF excluded (a recovery-key slot
 *     unwraps the data key with one AES-GCM open): median of R runs;
 *  2. Argon2id unlock at the calibrated parameters, and at a few candidate
 *     parameter sets for phone-class CPUs.
 *
 * Usage: entsec-vault-bench [ACCOUNTS [RUNS]]   (default 10000 accounts, 20 runs)
 */

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include <entsec/entsec.h>

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static EntsecAccount *
make_account (guint i)
{
  EntsecAccount *account = entsec_account_new ();
  guint8 secret[20];

  for (guint j = 0; j < sizeof secret; j++)
    secret[j] = (guint8) (i * 7 + j);
  entsec_account_set_secret (account, secret, sizeof secret);
  account->issuer = g_strdup_printf ("Issuer %u", i % 97);
  g_free (account->label);
  account->label = g_strdup_printf ("user%u@example.com", i);
  return account;
}

static void
remove_vault (const char *path)
{
  const char *suffixes[] = { "", "-wal", "-shm", ".lock" };

  for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);
      g_unlink (file);
    }
}

static void
bench_open (const char *dir,
            guint       n_accounts,
            guint       runs)
{
  static const EntsecKdfParams cheap = { 8 * 1024, 1, 1 };
  g_autofree char *path = g_build_filename (dir, "bench.db", NULL);
  g_autoptr (EntsecVault) vault = entsec_vault_create_sync (path, FALSE, "x", 1, &cheap, NULL,
                                                            NULL);
  g_autoptr (GPtrArray) batch =
    g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  g_autofree char *key = entsec_vault_add_recovery_slot_sync (vault, NULL, NULL);
  g_autofree double *ms = g_new0 (double, runs);
  gint64 start;
  struct stat st;

  for (guint i = 0; i < n_accounts; i++)
    g_ptr_array_add (batch, make_account (i));
  start = g_get_monotonic_time ();
  if (!entsec_vault_add_accounts_sync (vault, batch, ENTSEC_VAULT_ADD_NONE, NULL, NULL, NULL, NULL))
    g_error ("cannot fill the vault");
  printf ("add %u accounts in one transaction: %.1f ms\n", n_accounts,
          (g_get_monotonic_time () - start) / 1000.0);
  g_clear_object (&vault);
  g_stat (path, &st);
  printf ("file size: %.1f KiB (%.0f bytes/account)\n", st.st_size / 1024.0,
          (double) st.st_size / n_accounts);

  for (guint r = 0; r < runs; r++)
    {
      g_autoptr (GError) error = NULL;

      start = g_get_monotonic_time ();
      vault = entsec_vault_open_sync (path, NULL, &error);
      if (vault == NULL || !entsec_vault_unlock_recovery_sync (vault, key, NULL, &error))
        g_error ("%s", error->message);
      ms[r] = (g_get_monotonic_time () - start) / 1000.0;
      g_clear_object (&vault);
    }
  qsort (ms, runs, sizeof *ms, compare_doubles);
  printf ("open + unlock + decrypt %u accounts (no KDF): median %.1f ms, min %.1f, max %.1f "
          "(%u runs)\n", n_accounts, ms[runs / 2], ms[0], ms[runs - 1], runs);
  remove_vault (path);
}

static double
time_unlock (const char            *dir,
             const EntsecKdfParams *kdf)
{
  g_autofree char *path = g_build_filename (dir, "kdf.db", NULL);
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;
  gint64 start;
  double ms;

  vault = entsec_vault_create_sync (path, FALSE, "bench passphrase", 16, kdf, NULL, &error);
  if (vault == NULL)
    g_error ("%s", error->message);
  g_clear_object (&vault);
  vault = entsec_vault_open_sync (path, NULL, NULL);
  start = g_get_monotonic_time ();
  if (!entsec_vault_unlock_passphrase_sync (vault, "bench passphrase", 16, NULL, &error))
    g_error ("%s", error->message);
  ms = (g_get_monotonic_time () - start) / 1000.0;
  g_clear_object (&vault);
  remove_vault (path);
  return ms;
}

static void
bench_kdf (const char *dir)
{
  static const EntsecKdfParams candidates[] = {
    { 19 * 1024, 2, 1 },  /* OWASP floor */
    { 32 * 1024, 2, 2 },
    { 64 * 1024, 1, 4 },
    { 64 * 1024, 3, 4 },  /* RFC 9106 second option */
  };
  EntsecKdfParams calibrated;
  g_autoptr (GError) error = NULL;
  gint64 start = g_get_monotonic_time ();

  if (!entsec_vault_calibrate_kdf_sync (500, &calibrated, &error))
    g_error ("%s", error->message);
  printf ("calibration (target 500 ms) took %.0f ms: %u KiB, %u passes, %u lanes\n",
          (g_get_monotonic_time () - start) / 1000.0, calibrated.memory_kib, calibrated.iterations,
          calibrated.parallelism);
  printf ("Argon2id unlock at the calibrated parameters: %.0f ms\n",
          time_unlock (dir, &calibrated));
  for (gsize i = 0; i < G_N_ELEMENTS (candidates); i++)
    printf ("Argon2id unlock at %u KiB, %u passes, %u lanes: %.0f ms\n", candidates[i].memory_kib,
            candidates[i].iterations, candidates[i].parallelism, time_unlock (dir, &candidates[i]));
}

int
main (int    argc,
      char **argv)
{
  guint n_accounts = argc > 1 ? (guint) atoi (argv[1]) : 10000;
  guint runs = argc > 2 ? (guint) atoi (argv[2]) : 20;
  g_autofree char *dir = g_dir_make_tmp ("entsec-vault-bench-XXXXXX", NULL);

  if (n_accounts == 0 || runs == 0)
    {
      fprintf (stderr, "Usage: %s [ACCOUNTS [RUNS]]\n", argv[0]);
      return 2;
    }
  bench_open (dir, n_accounts, runs);
  bench_kdf (dir);
  g_rmdir (dir);
  return 0;
}
