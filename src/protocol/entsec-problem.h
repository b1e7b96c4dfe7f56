/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-problem.h: RFC 9457 problem documents (application/problem+json)
 * with the protocol's stable type codes.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ENTSEC_PROBLEM_CONTENT_TYPE "application/problem+json"
/* Prefix of every type URI (RFC 4151 tag: never dereferenced); the code follows. */
#define ENTSEC_PROBLEM_TYPE_PREFIX "tag:entsec.org,2026:problem:"

/**
 * EntsecProblemType:
 * @ENTSEC_PROBLEM_UNKNOWN: a type this version does not know (parsing only)
 * @ENTSEC_PROBLEM_INVALID_REQUEST: the body or parameters are malformed (400)
 * @ENTSEC_PROBLEM_INVALID_CODE: the enrollment code is wrong or used up (400)
 * @ENTSEC_PROBLEM_EXPIRED: the enrollment or token expired (410)
 * @ENTSEC_PROBLEM_RATE_LIMITED: too many attempts; see Retry-After (429)
 * @ENTSEC_PROBLEM_INVALID_SIGNATURE: the request signature is missing, wrong,
 *   stale or replayed (401)
 * @ENTSEC_PROBLEM_UNAUTHORIZED: API key or admin token missing or wrong (401)
 * @ENTSEC_PROBLEM_FORBIDDEN: authenticated, but not allowed (403)
 * @ENTSEC_PROBLEM_NOT_FOUND: no such resource (404)
 * @ENTSEC_PROBLEM_CONFLICT: the state changed; retry after refreshing (409)
 * @ENTSEC_PROBLEM_POLICY_ROLLBACK: a policy older than the one in force (409)
 * @ENTSEC_PROBLEM_DEVICE_REVOKED: the device was revoked by the admin (403)
 * @ENTSEC_PROBLEM_DEVICE_LIMIT: the user has too many devices (409)
 * @ENTSEC_PROBLEM_UNSUPPORTED_VERSION: "v" or the path version unknown (400)
 * @ENTSEC_PROBLEM_PAYLOAD_TOO_LARGE: the body is over the limit (413)
 * @ENTSEC_PROBLEM_CLIENT_TOO_OLD: the client is older than the policy's
 *   binding.min_client_version; update it (403)
 * @ENTSEC_PROBLEM_INTERNAL: the server failed; nothing was changed (500)
 *
 * The stable problem types. The code (entsec_problem_type_code()) and the
 * URI never change once released; new types are only added.
 */
typedef enum
{
  ENTSEC_PROBLEM_UNKNOWN,
  ENTSEC_PROBLEM_INVALID_REQUEST,
  ENTSEC_PROBLEM_INVALID_CODE,
  ENTSEC_PROBLEM_EXPIRED,
  ENTSEC_PROBLEM_RATE_LIMITED,
  ENTSEC_PROBLEM_INVALID_SIGNATURE,
  ENTSEC_PROBLEM_UNAUTHORIZED,
  ENTSEC_PROBLEM_FORBIDDEN,
  ENTSEC_PROBLEM_NOT_FOUND,
  ENTSEC_PROBLEM_CONFLICT,
  ENTSEC_PROBLEM_POLICY_ROLLBACK,
  ENTSEC_PROBLEM_DEVICE_REVOKED,
  ENTSEC_PROBLEM_DEVICE_LIMIT,
  ENTSEC_PROBLEM_UNSUPPORTED_VERSION,
  ENTSEC_PROBLEM_PAYLOAD_TOO_LARGE,
  ENTSEC_PROBLEM_CLIENT_TOO_OLD,
  ENTSEC_PROBLEM_INTERNAL,
} EntsecProblemType;

/* "invalid_code" and so on; NULL for ENTSEC_PROBLEM_UNKNOWN. */
const char       *entsec_problem_type_code (EntsecProblemType type);
/* The HTTP status that goes with @type (0 for ENTSEC_PROBLEM_UNKNOWN). */
guint             entsec_problem_type_status (EntsecProblemType type);
/* The type for @uri (a full type URI), or ENTSEC_PROBLEM_UNKNOWN. */
EntsecProblemType entsec_problem_type_from_uri (const char *uri);

/**
 * EntsecProblem:
 * @type: the known type, or ENTSEC_PROBLEM_UNKNOWN
 * @type_uri: the "type" member as received
 * @status: the "status" member (0 when absent)
 * @title: the "title" member (nullable)
 * @detail: the "detail" member (nullable)
 *
 * A parsed problem document. Strings come from the peer: make them
 * printable before showing or logging them.
 */
typedef struct
{
  EntsecProblemType type;
  char             *type_uri;
  guint             status;
  char             *title;
  char             *detail;
} EntsecProblem;

void entsec_problem_free (EntsecProblem *problem);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecProblem, entsec_problem_free)

/*
 * The problem document for @type: {"v":1,"type":URI,"title":...,"status":N}
 * plus "detail" when @detail is not NULL. @detail must not hold secrets or
 * say whether an account exists. Free with g_free().
 */
char          *entsec_problem_to_json (EntsecProblemType type,
                                       const char       *detail);

/* Parse a problem document (size and depth limited, strict JSON). */
EntsecProblem *entsec_problem_parse (const char *data,
                                     gsize       len,
                                     GError    **error);

G_END_DECLS
