/* SPDX-License-Identifier: GPL-3.0-or-later */
/* server-init.h: entsec-server --init, a new data directory */
#pragma once

#include <glib.h>
#include <openssl/evp.h>

#include "server-config.h"

G_BEGIN_DECLS

/* The files of a data directory. */
#define ENTSEC_SERVER_DB_FILE "entsec.db"
#define ENTSEC_SERVER_AUTHORITY_KEY_FILE "authority-key.pem"
#define ENTSEC_SERVER_CA_FILE "ca.pem"
#define ENTSEC_SERVER_CA_KEY_FILE "ca-key.pem"
#define ENTSEC_SERVER_CERT_FILE "server.pem"
#define ENTSEC_SERVER_KEY_FILE "server-key.pem"
#define ENTSEC_SERVER_ADMIN_TOKEN_FILE "admin-token"
#define ENTSEC_SERVER_OUTBOX_FILE "outbox.jsonl"

/**
 * EntsecServerInitResult:
 * @authority_jkt: RFC 7638 thumbprint of the tenant's authority key
 * @spki_pin: "sha256//" + base64 SHA-256 of the server key's SubjectPublicKeyInfo
 */
typedef struct
{
  char *authority_jkt;
  char *spki_pin;
} EntsecServerInitResult;

void entsec_server_init_result_free (EntsecServerInitResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecServerInitResult, entsec_server_init_result_free)

/*
 * Create the data directory of @config (mode 0700; an existing, non-empty
 * directory is refused with %ENTSEC_SERVER_ERROR_EXISTS) with the database,
 * the authority key, a local CA, a server certificate for @names (host
 * names and IP addresses; localhost, 127.0.0.1 and ::1 when NULL or empty)
 * and the first admin's token. Private files are 0600.
 * Returns: (transfer full) (nullable): what to print.
 */
EntsecServerInitResult *entsec_server_init (const EntsecServerConfig *config,
                                            const char *const        *names,
                                            GError                  **error);

/* "sha256//<base64>" for @key's public part. Free with g_free(). */
char     *entsec_server_spki_pin (EVP_PKEY *key);

/* Read a PEM private key from @path. (transfer full) (nullable) */
EVP_PKEY *entsec_server_read_private_key (const char *path,
                                          GError    **error);

/* Write @key as a new PEM file @path (mode 0600; an existing file is not
 * replaced), on disk before it returns. */
gboolean  entsec_server_write_private_key (EVP_PKEY   *key,
                                           const char *path,
                                           GError    **error);

G_END_DECLS
