/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-secure.h: secrets in memory: OpenSSL's secure heap, where keys and
 * decrypted secrets live, and the frees that wipe what libentsec hands out.
 */
#pragma once

#if !defined(ENTSEC_INSIDE) && !defined(ENTSEC_COMPILATION)
#error "Only <entsec/entsec.h> can be included directly."
#endif

#include <glib.h>

#include "entsec-macros.h"

G_BEGIN_DECLS

/**
 * entsec_init_secure_memory:
 * @error: (nullable): %ENTSEC_PASSPHRASE_ERROR_MEMORY when the heap could
 *   not be set up, or is set up but not locked in memory (RLIMIT_MEMLOCK)
 *
 * Sets up OpenSSL's secure heap (ENTSEC_SECURE_HEAP_BYTES, mlock'd and left
 * out of core dumps), where libentsec keeps data keys, derived keys and
 * decrypted secrets. Call it first thing in main(), before any thread is
 * started; a second call does nothing. On failure libentsec still works,
 * with those buffers on the normal heap (wiped when freed all the same).
 *
 * Returns: %TRUE when the secure heap is in place and locked
 */
ENTSEC_EXPORT
gboolean entsec_init_secure_memory (GError **error);

/* Size of the secure heap entsec_init_secure_memory() sets up. */
#define ENTSEC_SECURE_HEAP_BYTES (256 * 1024)

/* Wipe @len bytes at @data ((transfer full) (nullable)), then free it. */
ENTSEC_EXPORT
void entsec_secure_free (gpointer data,
                         gsize    len);

/* Wipe a NUL-terminated string @str ((transfer full) (nullable)), then free it. */
ENTSEC_EXPORT
void entsec_secure_strfree (char *str);

G_END_DECLS
