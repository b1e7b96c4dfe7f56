/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * enterprise-test-util.h: what the enterprise unit tests share: a vault set
 * up as an enrollment leaves it (server, device id and key, authority key),
 * no network.
 */
#pragma once

#include <string.h>

#include "entsec-ec.h"
#include "entsec-enterprise-private.h"
#include "entsec-json.h"
#include "entsec-jws.h"
#include "vault-test-util.h"

#define ISSUER "https://auth.example.com"
#define DEVICE_ID "dev_7Hq3"
#define NOW 1767225600

typedef struct
{
  VtFixture base;
  EntsecVault *vault;
  EVP_PKEY *authority;
  char *key_jkt;
} Fixture;

#define set_string vt_set_string

static inline void
fixture_setup (Fixture      *f,
               gconstpointer data)
{
  g_autoptr (EVP_PKEY) device_key = entsec_ec_generate (NULL);
  g_autofree char *private_jwk = entsec_jwk_export (device_key, TRUE, NULL);
  g_autofree char *authority_jwk = NULL;
  g_autoptr (GError) error = NULL;

  vt_fixture_setup (&f->base, data);
  f->vault = vt_create (f->base.path, "correct horse battery staple 42");
  f->authority = entsec_ec_generate (NULL);
  authority_jwk = entsec_jwk_export (f->authority, FALSE, NULL);
  f->key_jkt = entsec_jwk_thumbprint (device_key, NULL);
  g_assert_true (entsec_vault_set_pref_sync (f->vault, ENTSEC_PREF_DEVICE_KEY,
                                             g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
                                                                        private_jwk,
                                                                        strlen (private_jwk), 1),
                                             NULL, &error));
  g_assert_no_error (error);
  set_string (f->vault, ENTSEC_PREF_SERVER, ISSUER);
  set_string (f->vault, ENTSEC_PREF_AUTHORITY_JWK, authority_jwk);
  set_string (f->vault, ENTSEC_PREF_DEVICE_ID, DEVICE_ID);
}

static inline void
fixture_teardown (Fixture      *f,
                  gconstpointer data)
{
  g_clear_object (&f->vault);
  EVP_PKEY_free (f->authority);
  g_free (f->key_jkt);
  vt_fixture_teardown (&f->base, data);
}
