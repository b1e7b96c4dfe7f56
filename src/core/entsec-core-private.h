/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-core-private.h: helpers shared by libentsec's sources, not installed */
#pragma once

#include <string.h>

#include <openssl/evp.h>

#include <entsec/entsec.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MAC, EVP_MAC_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_MAC_CTX, EVP_MAC_CTX_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EVP_CIPHER_CTX, EVP_CIPHER_CTX_free)

G_END_DECLS
