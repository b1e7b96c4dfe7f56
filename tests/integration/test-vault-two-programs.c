/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-vault-two-programs.c: the app and entsec-cli on one vault at once.
 *
 * This process keeps the vault open for the whole test (as the app does)
 * and, from a worker thread, takes HOTP codes and adds accounts in a loop;
 * meanwhile the main thread runs entsec-cli again and again: HOTP codes,
 * adds, lists. Nobody may fail with "in use", no write may be lost, and no
 * HOTP code may be handed out twice: the codes of both programs together are
 * exactly those of counters 0..N-1.
 */

#include "config.h"

#include <string.h>

#include "cli-run.h"
#include "vault-test-util.h"

/* The holder works until the CLI loop is done, and at least this often. */
#define HOLDER_MIN_ROUNDS 20
#define HOLDER_MAX_ROUNDS 5000
#define CLI_ROUNDS 12
/* RFC 4226 appendix D's key. */
#define HOTP_KEY "12345678901234567890"

static const char passphrase[] = "two programs test passphrase";

typedef struct
{
  EntsecVault *vault;
  gint64       hotp_id;
  GPtrArray   *codes;  /* char *, every HOTP code handed out, both programs */
  GMutex       lock;
  gint         stop;   /* atomic: the CLI loop is done */
  guint        holder_rounds;
  GError      *error;  /* the holder's first failure */
} Shared;

static void
note_code (Shared     *shared,
           const char *code)
{
  g_mutex_lock (&shared->lock);
  g_ptr_array_add (shared->codes, g_strdup (code));
  g_mutex_unlock (&shared->lock);
}

static gboolean
holder_round (Shared *shared,
              guint   round,
              GError **error)
{
  g_autoptr (GPtrArray) batch =
    g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  g_autoptr (GPtrArray) list = NULL;
  g_autofree char *label = g_strdup_printf ("holder-%u", round);
  char code[ENTSEC_OTP_CODE_SIZE];

  if (!entsec_vault_compute_code_sync (shared->vault, shared->hotp_id, 0, code, NULL, error))
    return FALSE;
  note_code (shared, code);
  g_ptr_array_add (batch, vt_account ("Holder", label, (guint8) round));
  if (!entsec_vault_add_accounts_sync (shared->vault, batch, ENTSEC_VAULT_ADD_NONE, NULL, NULL,
                                       NULL, error))
    return FALSE;
  list = entsec_vault_list_accounts (shared->vault);
  return list->len > 0;
}

static gpointer
holder_thread (gpointer data)
{
  Shared *shared = data;

  for (guint round = 0; shared->error == NULL; round++)
    {
      if (round >= HOLDER_MAX_ROUNDS
          || (round >= HOLDER_MIN_ROUNDS && g_atomic_int_get (&shared->stop)))
        break;
      if (holder_round (shared, round, &shared->error))
        shared->holder_rounds++;
    }
  return NULL;
}

static void
cli_round (Shared     *shared,
           const char *path,
           const char *pass_file,
           guint       round)
{
  g_autofree char *label = g_strdup_printf ("cli-%u", round);
  g_auto (CliRun) code = { 0 };
  g_auto (CliRun) add = { 0 };
  g_auto (CliRun) list = { 0 };

  run_cli (NULL, &code, "code", "--vault", path, "--passphrase-file", pass_file, "--no-keyring",
           "Counter:shared", NULL);
  g_assert_cmpint (code.status, ==, 0);
  g_strchomp (code.out);
  note_code (shared, code.out);
  run_cli ("JBSWY3DPEHPK3PXP\n", &add, "add", "--vault", path, "--passphrase-file", pass_file,
           "--no-keyring", "--issuer", "CLI", "--label", label, "--secret", "-", NULL);
  g_assert_cmpint (add.status, ==, 0);
  run_cli (NULL, &list, "list", "--vault", path, "--passphrase-file", pass_file, "--no-keyring",
           NULL);
  g_assert_cmpint (list.status, ==, 0);
  g_assert_nonnull (strstr (list.out, label));
}

static void
make_vault (Shared     *shared,
            const char *path)
{
  g_autoptr (EntsecAccount) hotp = vt_account ("Counter", "shared", 0);
  g_autoptr (GPtrArray) batch = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;

  shared->vault = entsec_vault_create_sync (path, FALSE, passphrase, strlen (passphrase),
                                            &vt_fast_kdf, NULL, &error);
  g_assert_no_error (error);
  entsec_account_set_secret (hotp, (const guint8 *) HOTP_KEY, strlen (HOTP_KEY));
  hotp->type = ENTSEC_ACCOUNT_HOTP;
  g_ptr_array_add (batch, hotp);
  g_assert_true (vt_add_batch (shared->vault, batch, ENTSEC_VAULT_ADD_NONE, NULL, &error));
  g_assert_no_error (error);
  shared->hotp_id = hotp->id;
}

/* Every code handed out is the code of one counter, each counter once: the
 * codes handed out equal, as a multiset, the codes of counters 0..N-1 (two
 * counters may share a 6-digit code: with this key 336 and 2205 do). */
static void
assert_codes_unique (GPtrArray *codes)
{
  g_autoptr (GHashTable) expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint64 counter = 0; counter < codes->len; counter++)
    {
      char code[ENTSEC_OTP_CODE_SIZE];
      guint times;

      g_assert_true (entsec_hotp (ENTSEC_OTP_ALGORITHM_SHA1, (const guint8 *) HOTP_KEY,
                                  strlen (HOTP_KEY), counter, 6, code, NULL));
      times = GPOINTER_TO_UINT (g_hash_table_lookup (expected, code));
      g_hash_table_insert (expected, g_strdup (code), GUINT_TO_POINTER (times + 1));
    }
  for (guint i = 0; i < codes->len; i++)
    {
      const char *code = g_ptr_array_index (codes, i);
      guint times = GPOINTER_TO_UINT (g_hash_table_lookup (expected, code));

      if (times == 0)
        g_error ("HOTP code %s was handed out more often than counters below %u have it",
                 code, codes->len);
      if (times == 1)
        g_hash_table_remove (expected, code);
      else
        g_hash_table_insert (expected, g_strdup (code), GUINT_TO_POINTER (times - 1));
    }
  g_assert_cmpuint (g_hash_table_size (expected), ==, 0);
}

static void
test_two_programs (void)
{
  g_autofree char *dir = g_dir_make_tmp ("entsec-two-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "shared.db", NULL);
  g_autofree char *pass_file = g_build_filename (dir, "pass", NULL);
  Shared shared = { 0 };
  GThread *holder;

  g_mutex_init (&shared.lock);
  shared.codes = g_ptr_array_new_with_free_func (g_free);
  g_assert_true (g_file_set_contents (pass_file, passphrase, -1, NULL));
  make_vault (&shared, path);

  holder = g_thread_new ("holder", holder_thread, &shared);
  for (guint round = 0; round < CLI_ROUNDS; round++)
    cli_round (&shared, path, pass_file, round);
  g_atomic_int_set (&shared.stop, 1);
  g_thread_join (holder);
  g_assert_no_error (shared.error);
  g_test_message ("holder rounds: %u, CLI rounds: %u", shared.holder_rounds, CLI_ROUNDS);

  g_assert_cmpuint (shared.codes->len, ==, shared.holder_rounds + CLI_ROUNDS);
  assert_codes_unique (shared.codes);
  /* No write lost: the holder reads every account, its own and the CLI's. */
  g_assert_true (entsec_vault_refresh_sync (shared.vault, NULL, NULL, NULL));
  g_assert_cmpuint (vt_count_accounts (shared.vault), ==, 1 + shared.holder_rounds + CLI_ROUNDS);

  g_clear_object (&shared.vault);
  g_ptr_array_unref (shared.codes);
  g_mutex_clear (&shared.lock);
  vt_remove_tree (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vault/two-programs", test_two_programs);
  return g_test_run ();
}
