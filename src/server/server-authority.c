/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-authority.c: the tenant's authority key and its rotation chain.
 * Each rotation makes a new key whose public half the previous key signs
 * (a chain link), so that a device that pinned any earlier key can walk
 * to the current one and nothing else (docs/protocol.md section 8.16).
 * The private halves are in the database, sealed under token-seal.key,
 * which every instance on the database has: a rotation through one
 * instance reaches the others without copying files.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "server-authority.h"
#include "server-init.h"

/* The associated data of a sealed authority key: this and its thumbprint. */
#define SEAL_AAD_PREFIX "entsec-authority-key:"
/* A P-256 private key's DER is about 120 bytes. */
#define SEALED_KEY_MAX 512

void
entsec_authority_free (EntsecAuthority *authority)
{
  if (authority == NULL)
    return;
  EVP_PKEY_free (authority->key);
  g_free (authority->jkt);
  json_decref (authority->jwk);
  json_decref (authority->chain);
  g_free (authority);
}

/* The private key file of key @seq with thumbprint @jkt. */
static char *
key_path (const char *data_dir,
          guint       seq,
          const char *jkt)
{
  g_autofree char *file = seq == 1
                          ? g_strdup (ENTSEC_SERVER_AUTHORITY_KEY_FILE)
                          : g_strconcat (ENTSEC_AUTHORITY_KEY_FILE_PREFIX, jkt, ".pem", NULL);

  return g_build_filename (data_dir, file, NULL);
}

/* An authority from its private key; takes @key and @chain. */
static EntsecAuthority *
authority_new (EVP_PKEY *key,
               guint     seq,
               json_t   *chain,
               GError  **error)
{
  g_autoptr (EntsecAuthority) authority = g_new0 (EntsecAuthority, 1);

  authority->key = key;
  authority->seq = seq;
  authority->chain = chain;
  if (!entsec_ec_check_p256 (key, error))
    return NULL;
  authority->jkt = entsec_jwk_thumbprint (key, error);
  authority->jwk = authority->jkt != NULL ? entsec_jwk_export_json (key, error) : NULL;
  if (authority->jwk == NULL)
    return NULL;
  json_object_set_new (authority->jwk, "kid", json_string (authority->jkt));
  json_object_set_new (authority->jwk, "use", json_string ("sig"));
  json_object_set_new (authority->jwk, "alg", json_string ("ES256"));
  return g_steal_pointer (&authority);
}

/* The public JWK text stored for @authority. */
static char *
public_jwk_text (const EntsecAuthority *authority)
{
  return entsec_json_dump (authority->jwk);
}

/* What a sealed authority key is bound to: its thumbprint. */
static char *
seal_aad (const char *jkt)
{
  return g_strconcat (SEAL_AAD_PREFIX, jkt, NULL);
}

/* @key's private half (DER) sealed under token-seal.key. */
static GBytes *
seal_key (EntsecTokens *sealer,
          EVP_PKEY     *key,
          const char   *jkt,
          GError      **error)
{
  g_autofree char *aad = seal_aad (jkt);
  unsigned char *der = NULL;
  int len = i2d_PrivateKey (key, &der);
  GBytes *sealed;

  if (len <= 0)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CRYPTO,
                   "Cannot encode the authority key %s", jkt);
      return NULL;
    }
  sealed = entsec_tokens_seal (sealer, aad, der, (gsize) len, error);
  OPENSSL_clear_free (der, (size_t) len);
  return sealed;
}

/* The private key of @row, opened with token-seal.key. */
static EVP_PKEY *
open_key (EntsecTokens             *sealer,
          const EntsecAuthorityKey *row,
          GError                  **error)
{
  g_autofree char *aad = seal_aad (row->jkt);
  guint8 der[SEALED_KEY_MAX];
  const unsigned char *p = der;
  EVP_PKEY *key = NULL;
  gsize len = 0;

  if (entsec_tokens_unseal (sealer, aad, row->sealed_key, der, sizeof der, &len))
    key = d2i_AutoPrivateKey (NULL, &p, (long) len);
  OPENSSL_cleanse (der, sizeof der);
  if (key == NULL)
    g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG,
                 "The current authority key (seq %u) in the database does not open with %s: "
                 "every instance must have the same %s; copy it from the first instance's "
                 "data directory", row->seq, ENTSEC_TOKEN_KEY_FILE, ENTSEC_TOKEN_KEY_FILE);
  return key;
}

/* Key 1 of a database that has none yet: authority-key.pem as --init made it. */
static EntsecAuthority *
adopt_first_key (EntsecStorage *storage,
                 EntsecTokens  *sealer,
                 const char    *data_dir,
                 gint64         now,
                 GError       **error)
{
  g_autofree char *path = key_path (data_dir, 1, NULL);
  EVP_PKEY *key = entsec_server_read_private_key (path, error);
  g_autoptr (EntsecAuthority) authority = NULL;
  g_autofree char *jwk = NULL;
  g_autoptr (GBytes) sealed = NULL;
  EntsecAuthorityKey row = { .seq = 1, .created = now };

  if (key == NULL)
    return NULL;
  authority = authority_new (key, 1, json_array (), error);
  if (authority == NULL)
    return NULL;
  sealed = seal_key (sealer, authority->key, authority->jkt, error);
  if (sealed == NULL)
    return NULL;
  jwk = public_jwk_text (authority);
  row.jkt = authority->jkt;
  row.jwk = jwk;
  row.sealed_key = sealed;
  if (!entsec_storage_authority_key_add (storage, &row, error))
    return NULL;
  return g_steal_pointer (&authority);
}

/* A key of a database from before the keys were stored gets its file's
 * private half; a retired key whose file is gone stays without one. */
static gboolean
import_key_file (EntsecStorage      *storage,
                 EntsecTokens       *sealer,
                 const char         *data_dir,
                 EntsecAuthorityKey *row,
                 gboolean            current,
                 GError            **error)
{
  g_autofree char *path = key_path (data_dir, row->seq, row->jkt);
  g_autoptr (EVP_PKEY) key = NULL;
  g_autofree char *jkt = NULL;

  if (!g_file_test (path, G_FILE_TEST_EXISTS) && !current)
    return TRUE;
  key = entsec_server_read_private_key (path, NULL);
  if (key == NULL && !current)
    return TRUE; /* never used again: signing needs the current key only */
  if (key == NULL)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_IO,
                   "Cannot read %s, the current authority key (seq %u), which the database "
                   "does not hold yet; restore it from the backup of the data directory of "
                   "the instance that made it", path, row->seq);
      return FALSE;
    }
  jkt = entsec_jwk_thumbprint (key, error);
  if (jkt == NULL)
    return FALSE;
  if (strcmp (jkt, row->jkt) != 0)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG,
                   "%s is not the authority key the database names (%s); restore the key "
                   "file from the backup of this data directory", path, row->jkt);
      return FALSE;
    }
  row->sealed_key = seal_key (sealer, key, row->jkt, error);
  return row->sealed_key != NULL
         && entsec_storage_authority_key_seal (storage, row->seq, row->sealed_key, error);
}

/* The stored chain must lead from key 1 (@first) to @authority, as devices will check. */
static gboolean
check_chain (const EntsecAuthorityKey *first,
             const EntsecAuthority    *authority,
             GError                  **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (EVP_PKEY) start = entsec_jwk_import (first->jwk, strlen (first->jwk), FALSE,
                                                  &local_error);
  g_autoptr (EVP_PKEY) reached = start != NULL
                                 ? entsec_authority_chain_walk (start, authority->chain, NULL,
                                                                NULL, NULL, &local_error)
                                 : NULL;
  g_autofree char *jkt = reached != NULL ? entsec_jwk_thumbprint (reached, &local_error) : NULL;

  if (jkt != NULL && strcmp (jkt, authority->jkt) == 0)
    return TRUE;
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG,
               "The authority keys in the database do not form a chain from key 1 to the "
               "current key (%s); restore the database from a backup",
               local_error != NULL ? local_error->message : "it ends elsewhere");
  return FALSE;
}

/* The current authority of the keys stored (@keys, by seq, at least one). */
static EntsecAuthority *
load_stored (EntsecStorage *storage,
             EntsecTokens  *sealer,
             const char    *data_dir,
             GPtrArray     *keys,
             GError       **error)
{
  g_autoptr (EntsecAuthority) authority = NULL;
  EntsecAuthorityKey *last;
  json_t *chain;
  EVP_PKEY *key;

  for (guint i = 0; i < keys->len; i++)
    {
      EntsecAuthorityKey *row = g_ptr_array_index (keys, i);

      if (row->sealed_key == NULL
          && !import_key_file (storage, sealer, data_dir, row, i + 1 == keys->len, error))
        return NULL;
    }
  last = g_ptr_array_index (keys, keys->len - 1);
  key = open_key (sealer, last, error);
  if (key == NULL)
    return NULL;
  chain = json_array ();
  for (guint i = 0; i < keys->len; i++)
    {
      const EntsecAuthorityKey *row = g_ptr_array_index (keys, i);

      if (row->link != NULL)
        json_array_append_new (chain, json_string (row->link));
    }
  authority = authority_new (key, last->seq, chain, error);
  if (authority != NULL && strcmp (authority->jkt, last->jkt) != 0)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG,
                   "The sealed authority key %u is not the key the database names (%s); "
                   "restore the database from a backup", last->seq, last->jkt);
      return NULL;
    }
  if (authority == NULL
      || !check_chain (g_ptr_array_index (keys, 0), authority, error))
    return NULL;
  return g_steal_pointer (&authority);
}

EntsecAuthority *
entsec_authority_load (EntsecStorage *storage,
                       EntsecTokens  *sealer,
                       const char    *data_dir,
                       gint64         now,
                       GError       **error)
{
  g_autoptr (GPtrArray) keys = entsec_storage_authority_key_list (storage, error);
  g_autoptr (GError) local_error = NULL;
  EntsecAuthority *authority;

  if (keys == NULL)
    return NULL;
  if (keys->len > 0)
    return load_stored (storage, sealer, data_dir, keys, error);
  authority = adopt_first_key (storage, sealer, data_dir, now, &local_error);
  if (authority != NULL)
    return authority;
  if (!g_error_matches (local_error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFLICT))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  /* instances started together on an empty key table: the primary key let
   * one store key 1; every other signs with that one */
  g_clear_pointer (&keys, g_ptr_array_unref);
  keys = entsec_storage_authority_key_list (storage, error);
  if (keys == NULL)
    return NULL;
  if (keys->len == 0)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  g_message ("Another instance stored authority key 1 first; signing with it");
  return load_stored (storage, sealer, data_dir, keys, error);
}

/* The chain link @current signs for @next. */
static char *
sign_link (const EntsecAuthority *current,
           const EntsecAuthority *next,
           const char            *issuer,
           const char            *tenant,
           gint64                 now,
           GError               **error)
{
  g_autoptr (json_t) payload = json_pack ("{s:i,s:s,s:s,s:i,s:s,s:O,s:s,s:O,s:I}",
                                          "v", 1, "iss", issuer, "tenant", tenant,
                                          "seq", (int) next->seq, "prev_jkt", current->jkt,
                                          "prev_jwk", current->jwk, "jkt", next->jkt,
                                          "jwk", next->jwk, "iat", (json_int_t) now);
  g_autofree char *text = entsec_json_dump (payload);

  return entsec_jws_sign (current->key, ENTSEC_ROTATION_TYP, current->jkt,
                          (const guint8 *) text, strlen (text), error);
}

EntsecAuthority *
entsec_authority_rotate (EntsecStorage         *storage,
                         EntsecTokens          *sealer,
                         const EntsecAuthority *current,
                         const char            *issuer,
                         const char            *tenant,
                         gint64                 now,
                         GError               **error)
{
  EVP_PKEY *key = entsec_ec_generate (error);
  g_autoptr (EntsecAuthority) next = NULL;
  g_autoptr (GBytes) sealed = NULL;
  g_autofree char *link = NULL;
  g_autofree char *jwk = NULL;
  EntsecAuthorityKey row = { .seq = current->seq + 1, .created = now };

  if (key == NULL)
    return NULL;
  next = authority_new (key, current->seq + 1, json_copy (current->chain), error);
  if (next == NULL)
    return NULL;
  link = sign_link (current, next, issuer, tenant, now, error);
  sealed = link != NULL ? seal_key (sealer, next->key, next->jkt, error) : NULL;
  if (sealed == NULL)
    return NULL;
  jwk = public_jwk_text (next);
  row.jkt = next->jkt;
  row.jwk = jwk;
  row.link = link;
  row.sealed_key = sealed;
  if (!entsec_storage_authority_key_add (storage, &row, error))
    return NULL;
  json_array_append_new (next->chain, json_string (link));
  return g_steal_pointer (&next);
}

json_t *
entsec_authority_history (EntsecStorage         *storage,
                          const EntsecAuthority *current,
                          GError               **error)
{
  g_autoptr (GPtrArray) keys = entsec_storage_authority_key_list (storage, error);
  json_t *list;

  if (keys == NULL)
    return NULL;
  list = json_array ();
  for (guint i = 0; i < keys->len; i++)
    {
      const EntsecAuthorityKey *row = g_ptr_array_index (keys, i);

      json_array_append_new (list, json_pack ("{s:i,s:s,s:I,s:s}", "seq", (int) row->seq,
                                              "jkt", row->jkt,
                                              "created", (json_int_t) row->created,
                                              "state", row->seq == current->seq
                                                       ? "current" : "retired"));
    }
  return json_pack ("{s:i,s:{s:i,s:s},s:o,s:O}", "v", 1,
                    "current", "seq", (int) current->seq, "jkt", current->jkt,
                    "keys", list, "chain", current->chain);
}
