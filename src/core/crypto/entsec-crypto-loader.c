/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-crypto-loader.c: libargon2 and libpwquality opened on first use (GModule) */

#define G_LOG_DOMAIN "entsec-crypto"

#include "config.h"

#include <stddef.h>

#include <entsec/entsec.h>

#include "entsec-crypto-loader.h"
#include "entsec-lazy-symbols.h"

#define ARGON2_SYMBOL(name, field) { name, offsetof (EntsecArgon2, field) }
#define PWQUALITY_SYMBOL(name, field) { name, offsetof (EntsecPwquality, field) }

static const EntsecLazySymbol argon2_symbols[] = {
  ARGON2_SYMBOL ("argon2id_hash_raw", id_hash_raw),
  ARGON2_SYMBOL ("argon2_error_message", error_message),
};

static const EntsecLazySymbol pwquality_symbols[] = {
  PWQUALITY_SYMBOL ("pwquality_default_settings", default_settings),
  PWQUALITY_SYMBOL ("pwquality_free_settings", free_settings),
  PWQUALITY_SYMBOL ("pwquality_read_config", read_config),
  PWQUALITY_SYMBOL ("pwquality_set_int_value", set_int_value),
  PWQUALITY_SYMBOL ("pwquality_set_str_value", set_str_value),
  PWQUALITY_SYMBOL ("pwquality_check", check),
  PWQUALITY_SYMBOL ("pwquality_strerror", strerror_message),
};

/* One library: what it is for and its package, for the error; its opening. */
typedef struct
{
  const char        *package;
  const char        *unavailable;
  EntsecLazyLibrary  lazy;
} Library;

static EntsecArgon2 argon2;
static EntsecPwquality pwquality;

static Library argon2_library = {
  .package = "libargon2-1",
  .unavailable = "The key derivation (Argon2id) is unavailable",
  .lazy = { .soname = "libargon2.so.1", .symbols = argon2_symbols,
            .n_symbols = G_N_ELEMENTS (argon2_symbols), .table = &argon2 },
};

static Library pwquality_library = {
  .package = "libpwquality1",
  .unavailable = "The passphrase strength could not be checked",
  .lazy = { .soname = "libpwquality.so.1", .symbols = pwquality_symbols,
            .n_symbols = G_N_ELEMENTS (pwquality_symbols), .table = &pwquality },
};

/* @library's table, opened on the first call; or an error naming the package. */
static gconstpointer
library_get (Library *library,
             GQuark   domain,
             int      code,
             GError **error)
{
  g_autoptr (GError) local = NULL;
  gconstpointer table = entsec_lazy_library_get (&library->lazy, &local);

  if (table == NULL)
    g_set_error (error, domain, code, "%s: %s; install the %s package", library->unavailable,
                 local->message, library->package);
  return table;
}

const EntsecArgon2 *
entsec_argon2_get (GError **error)
{
  return library_get (&argon2_library, ENTSEC_CRYPTO_ERROR, ENTSEC_CRYPTO_ERROR_FAILED, error);
}

const EntsecPwquality *
entsec_pwquality_get (GError **error)
{
  return library_get (&pwquality_library, ENTSEC_PASSPHRASE_ERROR,
                      ENTSEC_PASSPHRASE_ERROR_FAILED, error);
}

void
entsec_argon2_set_soname_for_test (const char *soname)
{
  argon2_library.lazy.soname = soname;
}

void
entsec_pwquality_set_soname_for_test (const char *soname)
{
  pwquality_library.lazy.soname = soname;
}
