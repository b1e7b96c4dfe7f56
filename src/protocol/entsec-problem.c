/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-problem.c: RFC 9457 problem documents with stable type codes */

#define G_LOG_DOMAIN "entsec-protocol"

#include "config.h"

#include <string.h>

#include "protocol-private.h"

/* Problem documents are small; anything bigger is not one of ours. */
#define PROBLEM_MAX_BYTES (16 * 1024)
#define PROBLEM_MAX_DEPTH 4

typedef struct
{
  const char *code;
  guint       status;
  const char *title;
} ProblemInfo;

/* Indexed by EntsecProblemType; codes and titles never change once released. */
static const ProblemInfo problems[] = {
  [ENTSEC_PROBLEM_UNKNOWN] = { NULL, 0, NULL },
  [ENTSEC_PROBLEM_INVALID_REQUEST] = { "invalid_request", 400, "The request is malformed" },
  [ENTSEC_PROBLEM_INVALID_CODE] = { "invalid_code", 400, "The code is not valid" },
  [ENTSEC_PROBLEM_EXPIRED] = { "expired", 410, "This has expired; start again" },
  [ENTSEC_PROBLEM_RATE_LIMITED] = { "rate_limited", 429, "Too many attempts; wait and retry" },
  [ENTSEC_PROBLEM_INVALID_SIGNATURE] = { "invalid_signature", 401,
                                         "The request signature is not valid" },
  [ENTSEC_PROBLEM_UNAUTHORIZED] = { "unauthorized", 401, "Credentials are missing or wrong" },
  [ENTSEC_PROBLEM_FORBIDDEN] = { "forbidden", 403, "This is not allowed" },
  [ENTSEC_PROBLEM_NOT_FOUND] = { "not_found", 404, "Not found" },
  [ENTSEC_PROBLEM_CONFLICT] = { "conflict", 409, "The state changed; refresh and retry" },
  [ENTSEC_PROBLEM_POLICY_ROLLBACK] = { "policy_rollback", 409,
                                       "The policy is older than the one in force" },
  [ENTSEC_PROBLEM_DEVICE_REVOKED] = { "device_revoked", 403, "This device was revoked" },
  [ENTSEC_PROBLEM_DEVICE_LIMIT] = { "device_limit", 409, "Too many devices for this user" },
  [ENTSEC_PROBLEM_UNSUPPORTED_VERSION] = { "unsupported_version", 400,
                                           "This protocol version is not supported" },
  [ENTSEC_PROBLEM_PAYLOAD_TOO_LARGE] = { "payload_too_large", 413, "The request is too large" },
  [ENTSEC_PROBLEM_CLIENT_TOO_OLD] = { "client_too_old", 403,
                                     "This app is too old for the server's policy; update it" },
  [ENTSEC_PROBLEM_INTERNAL] = { "internal", 500, "The server failed; nothing was changed" },
};

G_STATIC_ASSERT (G_N_ELEMENTS (problems) == ENTSEC_PROBLEM_INTERNAL + 1);

static const ProblemInfo *
problem_info (EntsecProblemType type)
{
  if ((guint) type >= G_N_ELEMENTS (problems))
    return &problems[ENTSEC_PROBLEM_UNKNOWN];
  return &problems[type];
}

const char *
entsec_problem_type_code (EntsecProblemType type)
{
  return problem_info (type)->code;
}

guint
entsec_problem_type_status (EntsecProblemType type)
{
  return problem_info (type)->status;
}

EntsecProblemType
entsec_problem_type_from_uri (const char *uri)
{
  const char *code;

  if (uri == NULL || !g_str_has_prefix (uri, ENTSEC_PROBLEM_TYPE_PREFIX))
    return ENTSEC_PROBLEM_UNKNOWN;
  code = uri + strlen (ENTSEC_PROBLEM_TYPE_PREFIX);
  for (guint i = ENTSEC_PROBLEM_UNKNOWN + 1; i < G_N_ELEMENTS (problems); i++)
    {
      if (strcmp (code, problems[i].code) == 0)
        return (EntsecProblemType) i;
    }
  return ENTSEC_PROBLEM_UNKNOWN;
}

char *
entsec_problem_to_json (EntsecProblemType type,
                        const char       *detail)
{
  const ProblemInfo *info = problem_info (type);
  g_autofree char *uri = NULL;
  g_autoptr (json_t) json = NULL;

  g_return_val_if_fail (info->code != NULL, NULL);

  uri = g_strconcat (ENTSEC_PROBLEM_TYPE_PREFIX, info->code, NULL);
  json = json_pack ("{s:i, s:s, s:s, s:i}", "v", 1, "type", uri, "title", info->title, "status",
                    (int) info->status);
  if (detail != NULL)
    json_object_set_new (json, "detail", json_string (detail));
  return entsec_json_dump (json);
}

void
entsec_problem_free (EntsecProblem *problem)
{
  if (problem == NULL)
    return;
  g_free (problem->type_uri);
  g_free (problem->title);
  g_free (problem->detail);
  g_free (problem);
}

/* An optional string member: absent is fine, another type is not. */
static gboolean
optional_string (const json_t *json,
                 const char   *key,
                 char        **out,
                 GError      **error)
{
  json_t *value = json_object_get (json, key);

  if (value == NULL)
    return TRUE;
  if (!json_is_string (value))
    {
      g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                   "The problem document's \"%s\" must be a string", key);
      return FALSE;
    }
  *out = g_strdup (json_string_value (value));
  return TRUE;
}

static gboolean
read_status (const json_t  *json,
             EntsecProblem *problem,
             GError       **error)
{
  json_t *value = json_object_get (json, "status");

  if (value == NULL)
    return TRUE;
  if (!json_is_integer (value) || json_integer_value (value) < 100
      || json_integer_value (value) > 599)
    {
      g_set_error_literal (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                           "The problem document's \"status\" must be an HTTP status (100-599)");
      return FALSE;
    }
  problem->status = (guint) json_integer_value (value);
  return TRUE;
}

EntsecProblem *
entsec_problem_parse (const char *data,
                      gsize       len,
                      GError    **error)
{
  g_autoptr (json_t) json = entsec_json_load_object (data, len, PROBLEM_MAX_BYTES,
                                                     PROBLEM_MAX_DEPTH, "The problem document",
                                                     error);
  g_autoptr (EntsecProblem) problem = NULL;

  if (json == NULL)
    return NULL;
  problem = g_new0 (EntsecProblem, 1);
  /* RFC 9457 section 3.1.1: an absent type means "about:blank". */
  problem->type_uri = g_strdup ("about:blank");
  if (json_object_get (json, "type") != NULL)
    g_clear_pointer (&problem->type_uri, g_free);
  if (!optional_string (json, "type", &problem->type_uri, error)
      || !optional_string (json, "title", &problem->title, error)
      || !optional_string (json, "detail", &problem->detail, error)
      || !read_status (json, problem, error))
    return NULL;
  problem->type = entsec_problem_type_from_uri (problem->type_uri);
  return g_steal_pointer (&problem);
}
