/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-core-private.h: helpers shared by libentsec's sources, not installed */
#pragma once

#include <string.h>

#include <openssl/evp.h>

#include <entsec/entsec.h>

G_BEGIN_DECLS

/*
 * The vault preferences the enterprise side writes and the vault reads: the
 * last time the enterprise server was reached (a policy refreshed), and the
 * time from which the codes of managed accounts are blocked (that time plus
 * the policy's offline.block_after). Both Unix seconds (int64).
 */
#define ENTSEC_PREF_LAST_CONTACT "enterprise.last_contact"
#define ENTSEC_PREF_OFFLINE_BLOCK_AT "enterprise.offline_block_at"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MAC, EVP_MAC_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MAC_CTX, EVP_MAC_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_CIPHER_CTX, EVP_CIPHER_CTX_free)

/*
 * A copy of untrusted @text (@length bytes, or up to its NUL when -1) that is
 * safe in an error message: control bytes and invalid UTF-8 become "\xNN";
 * format (bidi overrides, zero-width), unassigned, private-use and other
 * non-printable characters become U+FFFD; more than @max_chars characters
 * end in an ellipsis. NULL gives "". Free with g_free().
 */
/*
 * TRUE for invisible formatting characters (Unicode Cf) that can make a name
 * read as another one: bidi embeddings, overrides, isolates and marks,
 * zero-width spaces. The joiners (U+200C, U+200D) that emoji sequences and
 * several scripts need, the soft hyphen and emoji tag characters pass.
 */
gboolean entsec_unichar_is_deceptive (gunichar c);

char *entsec_dup_printable (const char *text,
                            gssize      length,
                            gsize       max_chars);

G_END_DECLS
