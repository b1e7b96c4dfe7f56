/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-authority.h: the tenant's authority key and its rotation chain
 * (docs/protocol.md section 8.16). No HTTP here: the time comes in as @now.
 */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "entsec-protocol.h"
#include "server-storage.h"
#include "server-tokens.h"

G_BEGIN_DECLS

/* The private key file of an authority key made by a rotation before the
 * keys were stored in the database: "authority-key-<jkt>.pem" (the first
 * one is authority-key.pem); imported at start when the database lacks it. */
#define ENTSEC_AUTHORITY_KEY_FILE_PREFIX "authority-key-"

/**
 * EntsecAuthority:
 * @seq: the key's place in the chain (1: the key --init made)
 * @key: the private key that signs every JWS
 * @jkt: its RFC 7638 thumbprint (the JWS "kid")
 * @jwk: its public JWK with "kid", "use" and "alg"
 * @chain: the links (JWS strings) from key 1 to this one, oldest first;
 *   empty before the first rotation
 *
 * The authority as it stands; never changed once made (a rotation makes
 * a new one).
 */
typedef struct
{
  guint     seq;
  EVP_PKEY *key;
  char     *jkt;
  json_t   *jwk;
  json_t   *chain;
} EntsecAuthority;

void entsec_authority_free (EntsecAuthority *authority);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecAuthority, entsec_authority_free)

/*
 * The current authority: the newest key in @storage, its private half
 * opened with @sealer's key (token-seal.key). A database without keys
 * (new, or made before rotation existed) gets @data_dir/authority-key.pem
 * as key 1; a key stored without its private half (a database from before
 * they were stored) gets it from its file in @data_dir, if there.
 * Errors: _IO (the current key is not in the database and its file is
 * missing or unreadable), _CRYPTO, _STORAGE, _CONFIG (a key file does not
 * match the database, the stored key does not open with @sealer, the chain
 * is broken).
 * Returns: (transfer full): free with entsec_authority_free().
 */
EntsecAuthority *entsec_authority_load (EntsecStorage *storage,
                                        EntsecTokens  *sealer,
                                        const char    *data_dir,
                                        gint64         now,
                                        GError       **error);

/*
 * Make the next authority key: a new P-256 key, sealed by @sealer, and
 * the chain link that @current signs for it ({v, iss, tenant, seq,
 * prev_jkt, jkt, jwk, iat}, typ "entsec-rotation+jwt", kid @current's
 * thumbprint), both stored in one row. @current stays valid (its holder may still be
 * signing with it). Errors: _CONFLICT (another rotation stored this seq
 * first), _CRYPTO, _STORAGE; nothing is stored then.
 * Returns: (transfer full): the new authority.
 */
EntsecAuthority *entsec_authority_rotate (EntsecStorage         *storage,
                                          EntsecTokens          *sealer,
                                          const EntsecAuthority *current,
                                          const char            *issuer,
                                          const char            *tenant,
                                          gint64                 now,
                                          GError               **error);

/*
 * What `entsec-admin authority show` prints: {"v":1,"current":{"seq","jkt"},
 * "keys":[{"seq","jkt","created","state":"current"|"retired"}],"chain":[JWS]}.
 * Returns: (transfer full) (nullable): NULL with a storage error.
 */
json_t          *entsec_authority_history (EntsecStorage         *storage,
                                           const EntsecAuthority *current,
                                           GError               **error);

G_END_DECLS
