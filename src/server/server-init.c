/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-init.c: entsec-server --init. Keys come from OpenSSL 3 (EVP_PKEY,
 * P-256), certificates from its X509 builder: a local CA that signs the
 * server certificate, so that clients can be given ca.pem or an SPKI pin.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "entsec-protocol.h"
#include "server-enroll.h"
#include "server-init.h"
#include "server-tokens.h"
#include "server-private.h"
#include "server-storage.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (X509, X509_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BIO, BIO_free)

#define CA_DAYS (10 * 365)
#define SERVER_DAYS 825
#define SERIAL_BYTES 16
#define NAME_MAX_BYTES 253

static const char *const default_names[] = { "localhost", "127.0.0.1", "::1", NULL };

void
entsec_server_init_result_free (EntsecServerInitResult *result)
{
  if (result == NULL)
    return;
  g_free (result->authority_jkt);
  g_free (result->spki_pin);
  g_free (result);
}

static gboolean
crypto_fail (GError    **error,
             const char *doing)
{
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CRYPTO,
               "OpenSSL failed while %s", doing);
  return FALSE;
}

/* A DNS name (letters, digits, '-', '.') or an IP address. */
static gboolean
check_name (const char *name,
            GError    **error)
{
  gsize len = strlen (name);

  if (g_hostname_is_ip_address (name) && strchr (name, '%') == NULL)
    return TRUE;
  for (const char *p = name; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '-' && *p != '.')
        len = 0;
    }
  if (len == 0 || len > NAME_MAX_BYTES || name[0] == '.' || name[0] == '-')
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG,
                   "--name must be a host name (letters, digits, '-', '.') or an IP address");
      return FALSE;
    }
  return TRUE;
}

/* "DNS:localhost,IP:127.0.0.1,...": the names were checked, so no ',' can sneak in. */
static char *
subject_alt_names (const char *const *names)
{
  g_autoptr (GString) san = g_string_new (NULL);

  for (guint i = 0; names[i] != NULL; i++)
    g_string_append_printf (san, "%s%s:%s", i == 0 ? "" : ",",
                            g_hostname_is_ip_address (names[i]) ? "IP" : "DNS", names[i]);
  return g_string_free (g_steal_pointer (&san), FALSE);
}

static gboolean
set_serial (X509 *cert)
{
  guint8 bytes[SERIAL_BYTES];
  BIGNUM *bn;
  gboolean ok;

  if (RAND_bytes (bytes, sizeof bytes) != 1)
    return FALSE;
  bytes[0] &= 0x7f; /* positive */
  bytes[0] |= 0x01; /* and of full length */
  bn = BN_bin2bn (bytes, sizeof bytes, NULL);
  ok = bn != NULL && BN_to_ASN1_INTEGER (bn, X509_get_serialNumber (cert)) != NULL;
  BN_free (bn);
  return ok;
}

static gboolean
set_subject (X509       *cert,
             const char *common_name)
{
  X509_NAME *name = X509_get_subject_name (cert);

  return X509_NAME_add_entry_by_txt (name, "O", MBSTRING_UTF8,
                                     (const guint8 *) "entsec", -1, -1, 0) == 1
         && X509_NAME_add_entry_by_txt (name, "CN", MBSTRING_UTF8,
                                        (const guint8 *) common_name, -1, -1, 0) == 1;
}

static gboolean
add_extension (X509       *cert,
               X509       *issuer,
               int         nid,
               const char *value)
{
  X509V3_CTX ctx;
  X509_EXTENSION *ext;
  gboolean ok;

  X509V3_set_ctx (&ctx, issuer, cert, NULL, NULL, 0);
  ext = X509V3_EXT_conf_nid (NULL, &ctx, nid, value);
  ok = ext != NULL && X509_add_ext (cert, ext, -1) == 1;
  X509_EXTENSION_free (ext);
  return ok;
}

/* A certificate for @key named @common_name, valid for @days from an hour ago. */
static X509 *
new_cert (EVP_PKEY   *key,
          const char *common_name,
          long        days)
{
  g_autoptr (X509) cert = X509_new ();

  if (cert == NULL || X509_set_version (cert, X509_VERSION_3) != 1 || !set_serial (cert)
      || X509_gmtime_adj (X509_getm_notBefore (cert), -3600) == NULL
      || X509_time_adj_ex (X509_getm_notAfter (cert), (int) days, 0, NULL) == NULL
      || !set_subject (cert, common_name) || X509_set_pubkey (cert, key) != 1)
    return NULL;
  return g_steal_pointer (&cert);
}

static X509 *
make_ca (EVP_PKEY   *ca_key,
         const char *tenant,
         GError    **error)
{
  g_autofree char *cn = g_strdup_printf ("entsec %s local CA", tenant);
  g_autoptr (X509) cert = new_cert (ca_key, cn, CA_DAYS);

  if (cert == NULL || X509_set_issuer_name (cert, X509_get_subject_name (cert)) != 1
      || !add_extension (cert, cert, NID_basic_constraints, "critical,CA:TRUE,pathlen:0")
      || !add_extension (cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign")
      || !add_extension (cert, cert, NID_subject_key_identifier, "hash")
      || X509_sign (cert, ca_key, EVP_sha256 ()) <= 0)
    {
      crypto_fail (error, "making the CA certificate");
      return NULL;
    }
  return g_steal_pointer (&cert);
}

static X509 *
make_server_cert (EVP_PKEY          *key,
                  X509              *ca,
                  EVP_PKEY          *ca_key,
                  const char *const *names,
                  GError           **error)
{
  g_autofree char *san = subject_alt_names (names);
  g_autoptr (X509) cert = new_cert (key, names[0], SERVER_DAYS);

  if (cert == NULL || X509_set_issuer_name (cert, X509_get_subject_name (ca)) != 1
      || !add_extension (cert, ca, NID_basic_constraints, "critical,CA:FALSE")
      || !add_extension (cert, ca, NID_key_usage, "critical,digitalSignature")
      || !add_extension (cert, ca, NID_ext_key_usage, "serverAuth")
      || !add_extension (cert, ca, NID_subject_alt_name, san)
      || !add_extension (cert, ca, NID_subject_key_identifier, "hash")
      || !add_extension (cert, ca, NID_authority_key_identifier, "keyid:always")
      || X509_sign (cert, ca_key, EVP_sha256 ()) <= 0)
    {
      crypto_fail (error, "making the server certificate");
      return NULL;
    }
  return g_steal_pointer (&cert);
}

/* Writes what @bio holds to @path (0600 unless @is_public). */
static gboolean
write_bio (BIO        *bio,
           const char *path,
           gboolean    is_public,
           GError    **error)
{
  char *data = NULL;
  long len = BIO_get_mem_data (bio, &data);

  if (len <= 0)
    return crypto_fail (error, "encoding a PEM file");
  return entsec_server_write_file (path, data, (gsize) len, is_public, error);
}

static gboolean
write_key (EVP_PKEY   *key,
           const char *dir,
           const char *file,
           GError    **error)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autoptr (BIO) bio = BIO_new (BIO_s_secmem ());

  if (bio == NULL || PEM_write_bio_PrivateKey (bio, key, NULL, NULL, 0, NULL, NULL) != 1)
    return crypto_fail (error, "encoding a private key");
  return write_bio (bio, path, FALSE, error);
}

static gboolean
write_cert (X509       *cert,
            const char *dir,
            const char *file,
            GError    **error)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autoptr (BIO) bio = BIO_new (BIO_s_mem ());

  if (bio == NULL || PEM_write_bio_X509 (bio, cert) != 1)
    return crypto_fail (error, "encoding a certificate");
  return write_bio (bio, path, TRUE, error);
}

gboolean
entsec_server_write_private_key (EVP_PKEY   *key,
                                 const char *path,
                                 GError    **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *file = g_path_get_basename (path);

  return write_key (key, dir, file, error);
}

char *
entsec_server_spki_pin (EVP_PKEY *key)
{
  guint8 digest[ENTSEC_SERVER_DIGEST_SIZE];
  unsigned char *der = NULL;
  g_autofree char *b64 = NULL;
  int len = i2d_PUBKEY (key, &der);

  if (len <= 0)
    return NULL;
  entsec_server_sha256 (der, (gsize) len, digest);
  OPENSSL_free (der);
  b64 = g_base64_encode (digest, sizeof digest);
  return g_strconcat ("sha256//", b64, NULL);
}

EVP_PKEY *
entsec_server_read_private_key (const char *path,
                                GError    **error)
{
  g_autoptr (BIO) bio = BIO_new_file (path, "r");
  EVP_PKEY *key = NULL;

  if (bio != NULL)
    key = PEM_read_bio_PrivateKey (bio, NULL, NULL, NULL);
  if (key == NULL)
    g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_IO,
                 "Cannot read the private key %s (run entsec-server --init first?)", path);
  return key;
}

/* The directory must be new or empty; it is made 0700. */
static gboolean
prepare_dir (const char *dir,
             GError    **error)
{
  g_autoptr (GDir) listing = NULL;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_IO,
                   "Cannot create the data directory %s: %s", dir, g_strerror (saved_errno));
      return FALSE;
    }
  listing = g_dir_open (dir, 0, NULL);
  if (listing != NULL && g_dir_read_name (listing) != NULL)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_EXISTS,
                   "The data directory %s is not empty; --init never overwrites it", dir);
      return FALSE;
    }
  if (listing == NULL || chmod (dir, 0700) != 0)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_IO,
                   "Cannot use the data directory %s", dir);
      return FALSE;
    }
  return TRUE;
}

/* 256 random bits, handed to devices for hashing identifiers (PROTOCOL.md). */
static gboolean
create_tenant_salt (EntsecStorage *storage,
                    GError       **error)
{
  guint8 salt[32];
  g_autoptr (GBytes) bytes = NULL;

  if (RAND_bytes (salt, sizeof salt) != 1)
    return crypto_fail (error, "making the tenant salt");
  bytes = g_bytes_new (salt, sizeof salt);
  return entsec_storage_setting_set (storage, ENTSEC_ENROLL_TENANT_SALT, bytes, error);
}

/* A shared (PostgreSQL) database may hold a tenant already: --init never
 * makes a second one in it. */
static gboolean
check_no_tenant (EntsecStorage *storage,
                 GError       **error)
{
  g_autoptr (GBytes) salt = NULL;

  if (!entsec_storage_setting_get (storage, ENTSEC_ENROLL_TENANT_SALT, &salt, error))
    return FALSE;
  if (salt == NULL)
    return TRUE;
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_EXISTS,
               "The database already holds a tenant; --init never makes a second one. To add "
               "an instance, copy the first instance's data directory (docs/server.md)");
  return FALSE;
}

/* The first admin, named "admin": its token in a 0600 file, its digest in the database. */
static gboolean
create_admin (EntsecStorage *storage,
              const char    *dir,
              GError       **error)
{
  g_autofree char *path = g_build_filename (dir, ENTSEC_SERVER_ADMIN_TOKEN_FILE, NULL);
  g_autofree char *token = entsec_server_random_secret ();
  g_autofree char *line = g_strconcat (token, "\n", NULL);
  g_autofree char *id = entsec_server_random_id ("adm_");
  EntsecAdmin admin = { .id = id, .name = (char *) "admin" };
  gboolean ok;

  entsec_server_sha256 (token, strlen (token), admin.token_sha256);
  ok = entsec_server_write_file (path, line, strlen (line), FALSE, error)
       && create_tenant_salt (storage, error)
       && entsec_storage_admin_create (storage, &admin, error)
       && entsec_storage_audit (storage, "system", "server.init", id, error);
  OPENSSL_cleanse (token, strlen (token));
  OPENSSL_cleanse (line, strlen (line));
  return ok;
}

static gboolean
create_tls (const char        *dir,
            const char        *tenant,
            const char *const *names,
            char             **spki_pin,
            GError           **error)
{
  g_autoptr (EVP_PKEY) ca_key = entsec_ec_generate (error);
  g_autoptr (EVP_PKEY) server_key = ca_key != NULL ? entsec_ec_generate (error) : NULL;
  g_autoptr (X509) ca = server_key != NULL ? make_ca (ca_key, tenant, error) : NULL;
  g_autoptr (X509) cert = NULL;

  if (ca == NULL)
    return FALSE;
  cert = make_server_cert (server_key, ca, ca_key, names, error);
  if (cert == NULL || !write_key (ca_key, dir, ENTSEC_SERVER_CA_KEY_FILE, error)
      || !write_cert (ca, dir, ENTSEC_SERVER_CA_FILE, error)
      || !write_key (server_key, dir, ENTSEC_SERVER_KEY_FILE, error)
      || !write_cert (cert, dir, ENTSEC_SERVER_CERT_FILE, error))
    return FALSE;
  *spki_pin = entsec_server_spki_pin (server_key);
  return *spki_pin != NULL || crypto_fail (error, "hashing the server key");
}

EntsecServerInitResult *
entsec_server_init (const EntsecServerConfig *config,
                    const char *const        *names,
                    GError                  **error)
{
  g_autoptr (EntsecServerInitResult) result = g_new0 (EntsecServerInitResult, 1);
  g_autoptr (EVP_PKEY) authority = NULL;
  g_autoptr (EntsecStorage) storage = NULL;
  g_autofree char *db_path = NULL;
  const char *dir = config->data_dir;

  if (names == NULL || names[0] == NULL)
    names = default_names;
  for (guint i = 0; names[i] != NULL; i++)
    {
      if (!check_name (names[i], error))
        return NULL;
    }
  if (!prepare_dir (dir, error))
    return NULL;
  db_path = g_build_filename (dir, ENTSEC_SERVER_DB_FILE, NULL);
  storage = entsec_storage_open (config->database, db_path, 1, ENTSEC_STORAGE_CREATE, error);
  if (storage == NULL || !check_no_tenant (storage, error))
    return NULL;
  authority = entsec_ec_generate (error);
  if (authority == NULL || !write_key (authority, dir, ENTSEC_SERVER_AUTHORITY_KEY_FILE, error))
    return NULL;
  result->authority_jkt = entsec_jwk_thumbprint (authority, error);
  if (result->authority_jkt == NULL
      || !create_tls (dir, config->tenant, names, &result->spki_pin, error))
    return NULL;
  if (!create_admin (storage, dir, error) || !entsec_tokens_make_key (dir, error))
    return NULL;
  return g_steal_pointer (&result);
}
