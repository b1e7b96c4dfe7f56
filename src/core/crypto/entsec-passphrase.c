/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-passphrase.c: passphrase strength through libpwquality (opened on
 * first use), and the OpenSSL secure heap (the public side of the crypto module).
 */

#define G_LOG_DOMAIN "entsec-crypto"

#include "config.h"

#include <string.h>

#include <openssl/crypto.h>

#include "entsec-crypto-loader.h"
#include "entsec-crypto.h"

/* The smallest block the secure heap hands out (a power of two). */
#define SECURE_HEAP_MIN_BLOCK 16

G_DEFINE_QUARK (entsec-passphrase-error-quark, entsec_passphrase_error)

/* The settings every check uses: pwquality's defaults, then the system's file. */
static pwquality_settings_t *
load_settings (const EntsecPwquality *pwq,
               GError               **error)
{
  pwquality_settings_t *settings = pwq->default_settings ();
  void *aux = NULL;

  if (settings == NULL)
    {
      g_set_error_literal (error, ENTSEC_PASSPHRASE_ERROR, ENTSEC_PASSPHRASE_ERROR_FAILED,
                           "The passphrase strength could not be checked: out of memory");
      return NULL;
    }
  /* A missing or unreadable file leaves the defaults: not a reason to refuse. */
  pwq->read_config (settings, NULL, &aux);
  return settings;
}

/* Whether pwquality failed because cracklib's dictionary could not be read. */
static gboolean
dictionary_missing (int   result,
                    void *aux)
{
  return result == PWQ_ERROR_CRACKLIB_CHECK && aux != NULL
         && strstr ((const char *) aux, "error loading dictionary") != NULL;
}

gboolean
entsec_passphrase_check_strength_with_dict (const char *passphrase,
                                            const char *dict_path,
                                            guint      *score,
                                            GError    **error)
{
  const EntsecPwquality *pwq;
  pwquality_settings_t *settings;
  void *aux = NULL;
  char reason[PWQ_MAX_ERROR_MESSAGE_LEN];
  int result;

  if (score != NULL)
    *score = 0;
  pwq = entsec_pwquality_get (error);
  if (pwq == NULL)
    return FALSE;
  settings = load_settings (pwq, error);
  if (settings == NULL)
    return FALSE;
  if (dict_path != NULL)
    pwq->set_str_value (settings, PWQ_SETTING_DICT_PATH, dict_path);
  result = pwq->check (settings, passphrase, NULL, g_get_user_name (), &aux);
  /* No dictionary installed (cracklib-runtime missing): every passphrase
   * would "fail the dictionary check". Judge by the other rules instead. */
  if (dictionary_missing (result, aux))
    {
      g_debug ("cracklib's dictionary cannot be read; checking the passphrase without it");
      aux = NULL;
      pwq->set_int_value (settings, PWQ_SETTING_DICT_CHECK, 0);
      result = pwq->check (settings, passphrase, NULL, g_get_user_name (), &aux);
    }
  if (result < 0)
    {
      /* pwquality's reason names the rule, never the passphrase. */
      pwq->strerror_message (reason, sizeof reason, result, aux);
      g_set_error (error, ENTSEC_PASSPHRASE_ERROR, ENTSEC_PASSPHRASE_ERROR_WEAK,
                   "The passphrase is too weak: %s. Choose a longer one, for example several "
                   "unrelated words", reason);
    }
  else if (score != NULL)
    *score = (guint) MIN (result, 100);
  pwq->free_settings (settings);
  return result >= 0;
}

gboolean
entsec_passphrase_check_strength (const char *passphrase,
                                  guint      *score,
                                  GError    **error)
{
  g_return_val_if_fail (passphrase != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return entsec_passphrase_check_strength_with_dict (passphrase, NULL, score, error);
}

gboolean
entsec_init_secure_memory (GError **error)
{
  int result;

  if (CRYPTO_secure_malloc_initialized ())
    return TRUE;
  result = CRYPTO_secure_malloc_init (ENTSEC_SECURE_HEAP_BYTES, SECURE_HEAP_MIN_BLOCK);
  if (result == 1)
    return TRUE;
  g_set_error (error, ENTSEC_PASSPHRASE_ERROR, ENTSEC_PASSPHRASE_ERROR_MEMORY,
               result == 0 ? "The secure memory for keys could not be set up; they stay on the "
                             "normal heap (wiped after use)"
                           : "The secure memory for keys could not be locked (the locked-memory "
                             "limit, ulimit -l, is below %d KiB); it may be swapped out",
               ENTSEC_SECURE_HEAP_BYTES / 1024);
  return FALSE;
}
