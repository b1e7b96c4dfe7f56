/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-crypto-loader.h: libargon2 and libpwquality opened on first use
 * (GModule), so a process that never derives a key from a passphrase nor
 * rates one never maps them (nor libpwquality's libcrack).
 */
#pragma once

#include <argon2.h>
#include <glib.h>
#include <pwquality.h>

G_BEGIN_DECLS

typedef struct
{
  __typeof__ (argon2id_hash_raw) *id_hash_raw;
  __typeof__ (argon2_error_message) *error_message;
} EntsecArgon2;

typedef struct
{
  __typeof__ (pwquality_default_settings) *default_settings;
  __typeof__ (pwquality_free_settings) *free_settings;
  __typeof__ (pwquality_read_config) *read_config;
  __typeof__ (pwquality_set_int_value) *set_int_value;
  __typeof__ (pwquality_set_str_value) *set_str_value;
  __typeof__ (pwquality_check) *check;
  __typeof__ (pwquality_strerror) *strerror_message;
} EntsecPwquality;

/*
 * libargon2's functions, opened on the first call (thread-safe), or NULL
 * with %ENTSEC_CRYPTO_ERROR_FAILED saying the key derivation is unavailable
 * and which package to install. A failure is kept: later calls fail alike.
 */
const EntsecArgon2 *entsec_argon2_get (GError **error);

/* libpwquality's, alike, or NULL with %ENTSEC_PASSPHRASE_ERROR_FAILED. */
const EntsecPwquality *entsec_pwquality_get (GError **error);

/* Tests: the sonames opened instead (a missing one); before the first call only. */
void entsec_argon2_set_soname_for_test (const char *soname);
void entsec_pwquality_set_soname_for_test (const char *soname);

G_END_DECLS
