/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-cli-add-image.c: `entsec-cli add --image` as a user runs it: many
 * pictures at once, a result per file, nothing half-added when one fails.
 */

#include "config.h"

#include <jansson.h>

#include "cli-run.h"

#define FAST_KDF "--kdf-memory", "8192", "--kdf-iterations", "1"

typedef struct
{
  char *dir;
  char *vault;
  char *pass;
} Fixture;

static char *
qr_data (const char *relative)
{
  return g_build_filename (g_getenv ("ENTSEC_TEST_DATA"), "qr", relative, NULL);
}

static void
fixture_set_up (Fixture      *f,
                gconstpointer data)
{
  g_auto (CliRun) init = { 0 };

  f->dir = g_dir_make_tmp ("entsec-add-image-XXXXXX", NULL);
  f->vault = g_build_filename (f->dir, "vault.db", NULL);
  f->pass = g_build_filename (f->dir, "pass", NULL);
  g_assert_true (g_file_set_contents (f->pass, "correct horse\n", -1, NULL));
  run_cli (NULL, &init, "init", "--vault", f->vault, "--no-keyring", "--passphrase-file", f->pass,
           FAST_KDF, NULL);
  g_assert_cmpint (init.status, ==, 0);
}

static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr (GFile) dir = g_file_new_for_path (f->dir);
  g_autoptr (GFileEnumerator) children =
    g_file_enumerate_children (dir, G_FILE_ATTRIBUTE_STANDARD_NAME, G_FILE_QUERY_INFO_NONE,
                               NULL, NULL);
  GFile *child;

  while (g_file_enumerator_iterate (children, NULL, &child, NULL, NULL) && child != NULL)
    g_file_delete (child, NULL, NULL);
  g_file_delete (dir, NULL, NULL);
  g_free (f->dir);
  g_free (f->vault);
  g_free (f->pass);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* "Issuer:label" of every stored account, sorted, as one string. */
static char *
stored_accounts (Fixture *f)
{
  g_auto (CliRun) list = { 0 };
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  json_t *root, *accounts, *account;
  size_t i;

  run_cli (NULL, &list, "list", "--vault", f->vault, "--passphrase-file", f->pass, "--json", NULL);
  g_assert_cmpint (list.status, ==, 0);
  root = json_loads (list.out, 0, NULL);
  g_assert_nonnull (root);
  accounts = json_object_get (root, "accounts");
  json_array_foreach (accounts, i, account)
    g_ptr_array_add (names,
                     g_strdup_printf ("%s:%s",
                                      json_string_value (json_object_get (account, "issuer")),
                                      json_string_value (json_object_get (account, "label"))));
  json_decref (root);
  g_ptr_array_sort (names, compare_strings);
  g_ptr_array_add (names, NULL);
  return g_strjoinv (",", (char **) names->pdata);
}

static void
test_many_images (Fixture      *f,
                  gconstpointer data)
{
  g_autofree char *clean = qr_data ("synthetic/clean/clean_01.png");
  g_autofree char *two = qr_data ("synthetic/two_codes/two_codes_02.png");
  g_autofree char *stored = NULL;
  g_auto (CliRun) add = { 0 };
  g_auto (CliRun) code = { 0 };

  run_cli (NULL, &add, "add", "--vault", f->vault, "--passphrase-file", f->pass, "--image", clean,
           two, NULL);
  g_assert_cmpint (add.status, ==, 0);
  g_assert_nonnull (strstr (add.out, "clean_01.png: 1 account\n"));
  g_assert_nonnull (strstr (add.out, "two_codes_02.png: 4 accounts\n"));

  /* clean_01 is ACME; two_codes_02 holds Proton plus a Google export of three. */
  stored = stored_accounts (f);
  g_assert_cmpstr (stored, ==, "ACME:alice@example.com,Cloudflare:ops+2fa@example.co.uk,"
                               "Dropbox:dave@example.net,GitHub:octocat,Proton:erin@proton.me");

  /* The secret came through intact: JBSWY3DPEHPK3PXP at t=59 is 996554 (Python's hmac agrees). */
  run_cli (NULL, &code, "code", "ACME", "--vault", f->vault, "--passphrase-file", f->pass,
           "--time", "59", NULL);
  g_assert_cmpint (code.status, ==, 0);
  g_assert_cmpstr (code.out, ==, "996554\n");
}

static void
test_one_bad_file_adds_nothing (Fixture      *f,
                                gconstpointer data)
{
  g_autofree char *clean = qr_data ("synthetic/clean/clean_01.png");
  g_autofree char *web = qr_data ("bad/web-address.png");
  g_autofree char *text = qr_data ("bad/text.png");
  g_autofree char *stored = NULL;
  g_auto (CliRun) add = { 0 };

  run_cli (NULL, &add, "add", "--vault", f->vault, "--passphrase-file", f->pass, "--image", clean,
           web, text, NULL);
  g_assert_cmpint (add.status, ==, 3);
  g_assert_nonnull (strstr (add.out, "clean_01.png: 1 account\n"));
  g_assert_nonnull (strstr (add.err, "web-address.png: This QR code is not an authenticator code"));
  g_assert_nonnull (strstr (add.err, "text.png: This file is not an image"));
  g_assert_nonnull (strstr (add.err, "2 of 3 images could not be used; nothing was added"));
  stored = stored_accounts (f);
  g_assert_cmpstr (stored, ==, "");
}

static void
test_duplicate_in_batch_adds_nothing (Fixture      *f,
                                      gconstpointer data)
{
  /* The photo holds the Cloudflare account that two_codes_02's export holds too. */
  g_autofree char *photo = qr_data ("synthetic/photo_4000x3000/photo_4000x3000_06.jpg");
  g_autofree char *two = qr_data ("synthetic/two_codes/two_codes_02.png");
  g_autofree char *stored = NULL;
  g_auto (CliRun) add = { 0 };

  run_cli (NULL, &add, "add", "--vault", f->vault, "--passphrase-file", f->pass, "--image", photo,
           two, NULL);
  g_assert_cmpint (add.status, !=, 0);
  g_assert_nonnull (strstr (add.err, "Cloudflare"));
  stored = stored_accounts (f);
  g_assert_cmpstr (stored, ==, "");
}

static void
test_usage (Fixture      *f,
            gconstpointer data)
{
  g_autofree char *clean = qr_data ("synthetic/clean/clean_01.png");
  g_auto (CliRun) no_files = { 0 };
  g_auto (CliRun) stray = { 0 };

  run_cli (NULL, &no_files, "add", "--vault", f->vault, "--passphrase-file", f->pass, "--image",
           NULL);
  g_assert_cmpint (no_files.status, ==, 2);
  g_assert_nonnull (strstr (no_files.err, "--image needs at least one image file"));
  run_cli (NULL, &stray, "add", "--vault", f->vault, "--passphrase-file", f->pass, clean, NULL);
  g_assert_cmpint (stray.status, ==, 2);
  g_assert_nonnull (strstr (stray.err, "use 'entsec-cli add --image IMAGE...'"));
}

static void
test_help_names_image (Fixture      *f,
                       gconstpointer data)
{
  g_auto (CliRun) help = { 0 };
  g_auto (CliRun) summary = { 0 };

  /* The usage line says images come after --image, and nothing else. */
  run_cli (NULL, &help, "add", "--help", NULL);
  g_assert_cmpint (help.status, ==, 0);
  g_assert_nonnull (strstr (help.out, "] [--image IMAGE...]\n"));
  g_assert_null (strstr (help.out, "[IMAGE...]"));
  run_cli (NULL, &summary, "--help", NULL);
  g_assert_nonnull (strstr (summary.out, "--image"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/cli/add-image/many", Fixture, NULL, fixture_set_up, test_many_images,
              fixture_tear_down);
  g_test_add ("/cli/add-image/one-bad-file", Fixture, NULL, fixture_set_up,
              test_one_bad_file_adds_nothing, fixture_tear_down);
  g_test_add ("/cli/add-image/duplicate-in-batch", Fixture, NULL, fixture_set_up,
              test_duplicate_in_batch_adds_nothing, fixture_tear_down);
  g_test_add ("/cli/add-image/usage", Fixture, NULL, fixture_set_up, test_usage,
              fixture_tear_down);
  g_test_add ("/cli/add-image/help-names-image", Fixture, NULL, fixture_set_up,
              test_help_names_image, fixture_tear_down);

  return g_test_run ();
}
