/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-protocol.h: the wire format shared by the client and the server
 * (docs/protocol.md). Internal to the project, not installed. No I/O.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ENTSEC_PROTOCOL_ERROR (entsec_protocol_error_quark ())

/**
 * EntsecProtocolError:
 * @ENTSEC_PROTOCOL_ERROR_MALFORMED: the input does not follow the syntax
 *   (structured field, base64url, JSON, JWS, JWK); the message says where
 * @ENTSEC_PROTOCOL_ERROR_LIMIT: the input is larger or deeper than allowed
 * @ENTSEC_PROTOCOL_ERROR_UNSUPPORTED: well formed, but outside the profile
 *   (another algorithm, curve, component or parameter)
 * @ENTSEC_PROTOCOL_ERROR_KEY: a key is invalid (wrong curve, point not on
 *   the curve, private part not matching the public part)
 * @ENTSEC_PROTOCOL_ERROR_SIGNATURE: a signature does not verify
 * @ENTSEC_PROTOCOL_ERROR_DIGEST: Content-Digest does not match the body
 * @ENTSEC_PROTOCOL_ERROR_TIME: outside its validity window (created too
 *   far from now, past expires, lifetime too long)
 * @ENTSEC_PROTOCOL_ERROR_DECRYPT: sealed data does not open (wrong key,
 *   wrong context, or tampered)
 * @ENTSEC_PROTOCOL_ERROR_FAILED: the crypto library failed unexpectedly
 *
 * Errors of the protocol library (domain %ENTSEC_PROTOCOL_ERROR).
 */
typedef enum
{
  ENTSEC_PROTOCOL_ERROR_MALFORMED,
  ENTSEC_PROTOCOL_ERROR_LIMIT,
  ENTSEC_PROTOCOL_ERROR_UNSUPPORTED,
  ENTSEC_PROTOCOL_ERROR_KEY,
  ENTSEC_PROTOCOL_ERROR_SIGNATURE,
  ENTSEC_PROTOCOL_ERROR_DIGEST,
  ENTSEC_PROTOCOL_ERROR_TIME,
  ENTSEC_PROTOCOL_ERROR_DECRYPT,
  ENTSEC_PROTOCOL_ERROR_FAILED,
} EntsecProtocolError;

GQuark entsec_protocol_error_quark (void);

G_END_DECLS

#include "entsec-base64url.h"
#include "entsec-json.h"
#include "entsec-problem.h"
#include "entsec-sfv.h"
#include "entsec-ec.h"
#include "entsec-httpsig.h"
#include "entsec-jws.h"
#include "entsec-seal.h"
#include "entsec-rotation.h"
