/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-http-lazy.c: libcurl is opened on the first HTTPS call, never before
 * (entsec-curl-loader.c): a vault is made, opened and read without it; a
 * missing or non-OpenSSL libcurl fails the call with an error that says
 * what to install. Each case runs in a fresh process (libraries stay loaded).
 */

#include "config.h"

#include <string.h>

#include <gmodule.h>
#include <entsec/entsec.h>

#include "entsec-curl-loader.h"
#include "entsec-http.h"
#include "maps-test-util.h"
#include "vault-test-util.h"

static const char passphrase[] = "correct horse battery staple";

/* An https:// URL on loopback where nothing listens: the call fails after libcurl tried it. */
static char *
closed_port_url (void)
{
  g_autoptr (GSocketListener) listener = g_socket_listener_new ();
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;
  g_autoptr (GError) error = NULL;
  guint16 port;

  g_assert_true (g_socket_listener_add_address (listener, address, G_SOCKET_TYPE_STREAM,
                                                G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error));
  g_assert_no_error (error);
  port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_socket_listener_close (listener);
  return g_strdup_printf ("https://127.0.0.1:%u/.well-known/entsec-configuration", port);
}

static EntsecHttpResponse *
call (const char  *url,
      GError     **error)
{
  EntsecHttpTrust trust = { 0 };

  return entsec_http_request (&trust, "GET", url, NULL, NULL, error);
}

static void
use_a_vault (const char *path)
{
  g_autoptr (EntsecVault) vault = vt_create (path, passphrase);
  g_autoptr (EntsecAccount) account = vt_account ("Example", "alice@example.com", 1);
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;

  vt_add_account (vault, account);
  g_clear_object (&vault);
  vault = entsec_vault_open_sync (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase),
                                                      NULL, &error));
  g_assert_no_error (error);
  list = vt_list (vault);
  g_assert_cmpuint (list->len, ==, 1);
  vt_assert_account_equal (g_ptr_array_index (list, 0), account);
}

/* A personal user's work maps no libcurl, no libssl; the first call maps both. */
static void
test_loaded_on_first_call (VtFixture    *f,
                           gconstpointer data)
{
  g_autoptr (EntsecHttpResponse) response = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *url = NULL;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }
  g_assert_false (mt_mapped ("libcurl"));
  use_a_vault (f->path);
  g_assert_false (mt_mapped ("libcurl"));
  g_assert_false (mt_mapped ("libssl"));

  url = closed_port_url ();
  response = call (url, &error);
  g_assert_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_CONNECT);
  g_assert_null (response);
  g_assert_true (mt_mapped ("libcurl.so.4"));
  g_assert_true (mt_mapped ("libssl.so.3"));
}

/* No libcurl: each call fails with what to install, nothing crashes, vaults still work. */
static void
test_missing_library (VtFixture    *f,
                      gconstpointer data)
{
  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }
  entsec_curl_set_soname_for_test ("libcurl-entsec-test-absent.so.4");
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (EntsecHttpResponse) response = call ("https://127.0.0.1:1/", &error);

      g_assert_null (response);
      g_assert_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_TLS);
      g_assert_nonnull (strstr (error->message, "libcurl-entsec-test-absent.so.4"));
      g_assert_nonnull (strstr (error->message, "install the libcurl4 package"));
    }
  use_a_vault (f->path);
  g_assert_false (mt_mapped ("libcurl"));
}

/* A libcurl on another TLS library (GnuTLS): refused, as the certificate checks need OpenSSL. */
static void
test_not_openssl (VtFixture    *f,
                  gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecHttpResponse) response = NULL;

  if (!g_test_subprocess ())
    {
      GModule *gnutls_build = g_module_open ("libcurl-gnutls.so.4", G_MODULE_BIND_LAZY);

      if (gnutls_build == NULL)
        {
          g_test_skip ("libcurl3-gnutls is not installed");
          return;
        }
      g_module_close (gnutls_build);
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }
  entsec_curl_set_soname_for_test ("libcurl-gnutls.so.4");
  response = call ("https://127.0.0.1:1/", &error);
  g_assert_null (response);
  g_assert_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_TLS);
  g_assert_nonnull (strstr (error->message, "GnuTLS"));
  g_assert_nonnull (strstr (error->message, "built with OpenSSL (Debian's libcurl4 package)"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/http/lazy/loaded-on-first-call", VtFixture, NULL, vt_fixture_setup,
              test_loaded_on_first_call, vt_fixture_teardown);
  g_test_add ("/http/lazy/missing-library", VtFixture, NULL, vt_fixture_setup,
              test_missing_library, vt_fixture_teardown);
  g_test_add ("/http/lazy/not-openssl", VtFixture, NULL, vt_fixture_setup, test_not_openssl,
              vt_fixture_teardown);
  return g_test_run ();
}
