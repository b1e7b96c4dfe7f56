/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-protocol-json.c: strict JSON loading (size, depth, duplicates),
 * problem documents and sealed seeds ({"iv","ct","tag"}). Failures must
 * say why; what loads must respect the limits.
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "entsec-protocol.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

static void
check_error (GError **error)
{
  if (*error == NULL || (*error)->domain != ENTSEC_PROTOCOL_ERROR || (*error)->message[0] == '\0')
    __builtin_trap ();
  g_clear_error (error);
}

static void
check_sealed (const json_t *json)
{
  GError *error = NULL;
  g_autoptr (EntsecSealedSeed) sealed = entsec_sealed_seed_from_json (json, &error);
  g_autoptr (json_t) again = NULL;
  g_autoptr (EntsecSealedSeed) sealed_again = NULL;

  if (sealed == NULL)
    {
      check_error (&error);
      return;
    }
  /* What was read writes back to the same values. */
  again = entsec_sealed_seed_to_json (sealed);
  sealed_again = entsec_sealed_seed_from_json (again, NULL);
  if (sealed_again == NULL || !g_bytes_equal (sealed->ct, sealed_again->ct)
      || memcmp (sealed->iv, sealed_again->iv, sizeof sealed->iv) != 0
      || memcmp (sealed->tag, sealed_again->tag, sizeof sealed->tag) != 0)
    __builtin_trap ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  GError *error = NULL;
  g_autoptr (json_t) json = entsec_json_load_object ((const char *) data, size, 64 * 1024, 8,
                                                     "The body", &error);
  g_autoptr (EntsecProblem) problem = NULL;

  if (json == NULL)
    check_error (&error);
  else
    check_sealed (json);
  problem = entsec_problem_parse ((const char *) data, size, &error);
  if (problem == NULL)
    check_error (&error);
  else if (problem->type_uri == NULL
           || (problem->type != ENTSEC_PROBLEM_UNKNOWN
               && !g_str_has_prefix (problem->type_uri, ENTSEC_PROBLEM_TYPE_PREFIX)))
    __builtin_trap ();
  return 0;
}
