/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-crypto-lazy.c: libargon2 and libpwquality are opened on first use,
 * never before (entsec-crypto-loader.c); a missing one fails the key
 * derivation or the strength check with an error that says what to install,
 * and nothing weaker happens instead. Each case runs in a fresh process
 * (libraries stay loaded).
 */

#include "config.h"

#include <string.h>

#include <entsec/entsec.h>

#include "entsec-crypto-loader.h"
#include "entsec-crypto.h"
#include "maps-test-util.h"
#include "vault-test-util.h"

#define VAULT_ENV "ENTSEC_TEST_CRYPTO_LAZY_VAULT"

static const char passphrase[] = "correct horse battery staple";

/* Runs the calling case again in a fresh process; TRUE there. */
static gboolean
in_subprocess (void)
{
  if (g_test_subprocess ())
    return TRUE;
  g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  return FALSE;
}

static gboolean
derive (GError **error)
{
  EntsecArgon2Params params = { 0 };
  guint8 key[32];
  gboolean ok;

  g_assert_true (entsec_argon2id_params_init (&params, NULL));
  params.m_cost_kib = ENTSEC_ARGON2_MIN_M_COST_KIB;
  params.t_cost = 1;
  params.parallelism = 1;
  ok = entsec_argon2id_derive (&params, passphrase, strlen (passphrase), key, sizeof key, error);
  memset (key, 0, sizeof key);
  return ok;
}

/* Key derivation maps libargon2, and nothing of libpwquality. */
static void
test_argon2_loaded_on_first_use (void)
{
  g_autoptr (GError) error = NULL;

  if (!in_subprocess ())
    return;
  g_assert_false (mt_mapped ("libargon2"));
  g_assert_true (derive (&error));
  g_assert_no_error (error);
  g_assert_true (mt_mapped ("libargon2.so.1"));
  g_assert_false (mt_mapped ("libpwquality"));
  g_assert_false (mt_mapped ("libcrack"));
}

/* Rating a passphrase maps libpwquality (and its libcrack), and not libargon2. */
static void
test_pwquality_loaded_on_first_use (void)
{
  g_autoptr (GError) error = NULL;
  guint score = 0;

  if (!in_subprocess ())
    return;
  g_assert_false (mt_mapped ("libpwquality"));
  g_assert_false (mt_mapped ("libcrack"));
  g_assert_true (entsec_passphrase_check_strength ("violet-anchor-mosaic-47", &score, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (score, >, 0);
  g_assert_true (mt_mapped ("libpwquality.so.1"));
  g_assert_true (mt_mapped ("libcrack.so.2"));
  g_assert_false (mt_mapped ("libargon2"));
}

static void
assert_kdf_unavailable (const GError *error)
{
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "The key derivation (Argon2id) is unavailable"));
  g_assert_nonnull (strstr (error->message, "libargon2-entsec-test-absent.so.1"));
  g_assert_nonnull (strstr (error->message, "install the libargon2-1 package"));
  g_assert_null (strstr (error->message, passphrase));
}

/*
 * No libargon2: deriving, calibrating, making a passphrase vault and
 * unlocking one (made beforehand, with libargon2) all fail with what to
 * install; no file is left behind, nothing crashes.
 */
static void
test_argon2_missing (VtFixture    *f,
                     gconstpointer data)
{
  const char *made = g_getenv (VAULT_ENV);
  g_autofree char *path = NULL;
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (EntsecVault) other = NULL;
  EntsecArgon2Params params = { 0 };
  g_autoptr (GError) error = NULL;

  if (!g_test_subprocess ())
    {
      /* Open while the subprocess runs (clang warns of a g_autoptr never read). */
      EntsecVault *before = vt_create (f->path, passphrase);

      g_setenv (VAULT_ENV, f->path, TRUE);
      in_subprocess ();
      g_unsetenv (VAULT_ENV);
      g_object_unref (before);
      return;
    }
  entsec_argon2_set_soname_for_test ("libargon2-entsec-test-absent.so.1");
  for (guint i = 0; i < 2; i++)
    {
      g_clear_error (&error);
      g_assert_false (derive (&error));
      g_assert_error (error, ENTSEC_CRYPTO_ERROR, ENTSEC_CRYPTO_ERROR_FAILED);
      assert_kdf_unavailable (error);
    }
  g_clear_error (&error);
  g_assert_false (entsec_argon2id_calibrate (50, &params, &error));
  assert_kdf_unavailable (error);

  g_clear_error (&error);
  path = g_build_filename (f->dir, "new.db", NULL);
  other = entsec_vault_create_sync (path, FALSE, passphrase, strlen (passphrase), &vt_fast_kdf,
                                    NULL, &error);
  g_assert_null (other);
  assert_kdf_unavailable (error);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));

  g_clear_error (&error);
  g_assert_nonnull (made);
  vault = entsec_vault_open_sync (made, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase),
                                                       NULL, &error));
  assert_kdf_unavailable (error);
  g_assert_false (mt_mapped ("libargon2"));
}

/* No libpwquality: the strength cannot be rated, said with what to install; no crash. */
static void
test_pwquality_missing (void)
{
  if (!in_subprocess ())
    return;
  entsec_pwquality_set_soname_for_test ("libpwquality-entsec-test-absent.so.1");
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (GError) error = NULL;
      guint score = 7;

      g_assert_false (entsec_passphrase_check_strength ("violet-anchor-mosaic-47", &score, &error));
      g_assert_error (error, ENTSEC_PASSPHRASE_ERROR, ENTSEC_PASSPHRASE_ERROR_FAILED);
      g_assert_cmpuint (score, ==, 0);
      g_assert_nonnull (strstr (error->message, "The passphrase strength could not be checked"));
      g_assert_nonnull (strstr (error->message, "libpwquality-entsec-test-absent.so.1"));
      g_assert_nonnull (strstr (error->message, "install the libpwquality1 package"));
      g_assert_null (strstr (error->message, "violet"));
    }
  g_assert_false (mt_mapped ("libpwquality"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/crypto/lazy/argon2-loaded-on-first-use", test_argon2_loaded_on_first_use);
  g_test_add_func ("/crypto/lazy/pwquality-loaded-on-first-use",
                   test_pwquality_loaded_on_first_use);
  g_test_add ("/crypto/lazy/argon2-missing", VtFixture, NULL, vt_fixture_setup,
              test_argon2_missing, vt_fixture_teardown);
  g_test_add_func ("/crypto/lazy/pwquality-missing", test_pwquality_missing);
  return g_test_run ();
}
