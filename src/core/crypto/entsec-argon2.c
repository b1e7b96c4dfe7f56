/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-argon2.c: Argon2id through libargon2 (opened on first use), with bounds and calibration */

#define G_LOG_DOMAIN "entsec-crypto"

#include "config.h"

#include <openssl/crypto.h>

#include "entsec-core-private.h"
#include "entsec-crypto-loader.h"
#include "entsec-crypto.h"

#define MIN_OUT_LEN 4
#define MAX_OUT_LEN 1024
/* Calibration never goes below this memory, nor above the ceiling. */
#define CALIBRATE_MIN_M_COST_KIB (16 * 1024)
#define CALIBRATE_MAX_M_COST_KIB (256 * 1024)

static gboolean
check_range (const char *what,
             guint64     value,
             guint64     min,
             guint64     max,
             const char *unit,
             GError    **error)
{
  if (value >= min && value <= max)
    return TRUE;
  g_set_error (error, ENTSEC_CRYPTO_ERROR, ENTSEC_CRYPTO_ERROR_PARAMETER,
               "The key derivation's %s (%" G_GUINT64_FORMAT "%s) is outside the accepted "
               "%" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT "%s; the file may be damaged "
               "or was not made by entsec",
               what, value, unit, min, max, unit);
  return FALSE;
}

gboolean
entsec_argon2id_params_check (const EntsecArgon2Params *params,
                              GError                  **error)
{
  g_return_val_if_fail (params != NULL, FALSE);

  return check_range ("memory cost", params->m_cost_kib, ENTSEC_ARGON2_MIN_M_COST_KIB,
                      ENTSEC_ARGON2_MAX_M_COST_KIB, " KiB", error)
         && check_range ("number of passes", params->t_cost, ENTSEC_ARGON2_MIN_T_COST,
                         ENTSEC_ARGON2_MAX_T_COST, "", error)
         && check_range ("number of lanes", params->parallelism, ENTSEC_ARGON2_MIN_PARALLELISM,
                         ENTSEC_ARGON2_MAX_PARALLELISM, "", error)
         && check_range ("salt length", params->salt_len, ENTSEC_ARGON2_MIN_SALT_SIZE,
                         ENTSEC_ARGON2_MAX_SALT_SIZE, " bytes", error);
}

gboolean
entsec_argon2id_params_init (EntsecArgon2Params *params,
                             GError            **error)
{
  g_return_val_if_fail (params != NULL, FALSE);

  memset (params, 0, sizeof *params);
  params->m_cost_kib = ENTSEC_ARGON2_DEFAULT_M_COST_KIB;
  params->t_cost = ENTSEC_ARGON2_DEFAULT_T_COST;
  params->parallelism = ENTSEC_ARGON2_DEFAULT_PARALLELISM;
  params->salt_len = ENTSEC_ARGON2_SALT_SIZE;
  return entsec_random_bytes (params->salt, params->salt_len, error);
}

static gboolean
argon2_failed (const EntsecArgon2 *argon2,
               int                 status,
               GError            **error)
{
  if (status == ARGON2_MEMORY_ALLOCATION_ERROR)
    g_set_error_literal (error, ENTSEC_CRYPTO_ERROR, ENTSEC_CRYPTO_ERROR_MEMORY,
                         "Not enough memory to derive the key from the passphrase; "
                         "close other programs and try again");
  else
    g_set_error (error, ENTSEC_CRYPTO_ERROR, ENTSEC_CRYPTO_ERROR_FAILED,
                 "Deriving the key from the passphrase failed (Argon2: %s)",
                 argon2->error_message (status));
  return FALSE;
}

gboolean
entsec_argon2id_available (GError **error)
{
  return entsec_argon2_get (error) != NULL;
}

gboolean
entsec_argon2id_derive (const EntsecArgon2Params *params,
                        const char               *passphrase,
                        gsize                     passphrase_len,
                        guint8                   *out,
                        gsize                     out_len,
                        GError                  **error)
{
  const EntsecArgon2 *argon2;
  guint32 m_cost;
  guint32 t_cost;
  int status;

  g_return_val_if_fail (params != NULL, FALSE);
  g_return_val_if_fail (passphrase != NULL || passphrase_len == 0, FALSE);
  g_return_val_if_fail (out != NULL, FALSE);
  g_return_val_if_fail (out_len >= MIN_OUT_LEN && out_len <= MAX_OUT_LEN, FALSE);

  if (!entsec_argon2id_params_check (params, error)
      || !check_range ("passphrase length", passphrase_len, 0, G_MAXUINT32, " bytes", error))
    return FALSE;
  argon2 = entsec_argon2_get (error);
  if (argon2 == NULL)
    return FALSE;
  m_cost = params->m_cost_kib;
  t_cost = params->t_cost;
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  /* Fuzzers still pass the bounds check above, but must not spend 1 GiB per input. */
  m_cost = 8 * ENTSEC_ARGON2_MAX_PARALLELISM;
  t_cost = 1;
#endif
  status = argon2->id_hash_raw (t_cost, m_cost, params->parallelism, passphrase,
                                passphrase_len, params->salt, params->salt_len, out, out_len);
  if (status != ARGON2_OK)
    {
      OPENSSL_cleanse (out, out_len);
      return argon2_failed (argon2, status, error);
    }
  return TRUE;
}

/* Milliseconds one derivation with @params takes here. */
static gboolean
measure (const EntsecArgon2Params *params,
         double                   *ms,
         GError                  **error)
{
  static const char probe[] = "entsec calibration";
  guint8 key[32];
  gint64 start = g_get_monotonic_time ();

  if (!entsec_argon2id_derive (params, probe, sizeof probe - 1, key, sizeof key, error))
    return FALSE;
  *ms = MAX ((g_get_monotonic_time () - start) / 1000.0, 0.1);
  OPENSSL_cleanse (key, sizeof key);
  return TRUE;
}

/*
 * @ratio = target / one pass at 64 MiB. Under 1: shrink memory, one pass.
 * Above: grow memory first (up to 4x), then add passes.
 */
static void
scale_costs (EntsecArgon2Params *params,
             double              ratio)
{
  double m_scale = CLAMP (ratio / 3.0, 1.0, 4.0);
  double passes = ratio / m_scale;

  if (ratio < 1.0)
    {
      m_scale = ratio;
      passes = 1.0;
    }
  params->m_cost_kib = (guint32) CLAMP (params->m_cost_kib * m_scale,
                                        CALIBRATE_MIN_M_COST_KIB, CALIBRATE_MAX_M_COST_KIB);
  params->t_cost = (guint32) CLAMP (passes + 0.5, ENTSEC_ARGON2_MIN_T_COST,
                                    ENTSEC_ARGON2_MAX_T_COST);
}

gboolean
entsec_argon2id_calibrate (guint               target_ms,
                           EntsecArgon2Params *params,
                           GError            **error)
{
  double ms = 0;

  g_return_val_if_fail (params != NULL, FALSE);
  g_return_val_if_fail (target_ms > 0, FALSE);

  if (!entsec_argon2id_params_init (params, error))
    return FALSE;
  params->parallelism = CLAMP (g_get_num_processors (), 1, ENTSEC_ARGON2_DEFAULT_PARALLELISM);
  params->t_cost = 1;
  if (!measure (params, &ms, error))
    return FALSE;
  scale_costs (params, target_ms / ms);
  g_debug ("Argon2id calibrated to m=%u KiB t=%u p=%u (one pass at 64 MiB: %.0f ms)",
           params->m_cost_kib, params->t_cost, params->parallelism, ms);
  return TRUE;
}
