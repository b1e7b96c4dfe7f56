/* SPDX-License-Identifier: GPL-3.0-or-later */
/* server-config.c: defaults, the config file, environment overrides */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include <libpq-fe.h>

#include "server-config.h"
#include "server-private.h"
#include "server-proxy.h"

#define CONFIG_MAX_BYTES (64 * 1024)

EntsecServerConfig *
entsec_server_config_new (void)
{
  EntsecServerConfig *config = g_new0 (EntsecServerConfig, 1);

  config->data_dir = g_strdup ("/var/lib/entsec-server");
  config->listen_host = g_strdup ("127.0.0.1");
  config->listen_port = 8443;
  config->tenant = g_strdup ("default");
  config->threads = 16;
  config->max_connections = 10000;
  config->connection_memory = 64 * 1024;
  config->max_body = 64 * 1024;
  config->timeout = 60;
  config->code_lifetime = 600;
  config->resend_after = 60;
  config->max_devices = 5;
  config->email_sender = g_strdup ("outbox");
  config->sms_sender = g_strdup ("outbox");
  config->sender_timeout = 20;
  config->sms_body = g_strdup ("{\"to\":\"{to}\",\"text\":\"{code}\"}");
  config->sms_content_type = g_strdup ("json");
  config->rate_ip = 60;
  config->rate_address = 10;
  config->rate_user = 20;
  config->access_log = g_strdup ("auto");
  return config;
}

void
entsec_server_config_free (EntsecServerConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->data_dir);
  g_free (config->listen_host);
  g_free (config->issuer);
  g_free (config->tenant);
  g_free (config->tls_cert);
  g_free (config->tls_key);
  g_free (config->email_sender);
  g_free (config->sms_sender);
  g_free (config->smtp_url);
  g_free (config->smtp_from);
  g_free (config->smtp_username);
  g_free (config->smtp_password_file);
  g_free (config->smtp_ca_file);
  g_free (config->templates_dir);
  g_free (config->sms_url);
  g_free (config->sms_body);
  g_free (config->sms_content_type);
  g_free (config->sms_token_file);
  g_free (config->sms_ca_file);
  g_free (config->database);
  g_free (config->metrics_token_file);
  g_free (config->access_log);
  g_clear_pointer (&config->trusted_proxies, g_ptr_array_unref);
  g_free (config);
}

static gboolean
config_error (GError    **error,
              const char *key,
              const char *expected)
{
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG,
               "\"%s\" must be %s", key, expected);
  return FALSE;
}

static gboolean
parse_number (const char *key,
              const char *value,
              guint64     min,
              guint64     max,
              guint64    *out,
              GError    **error)
{
  g_autofree char *expected = g_strdup_printf ("a whole number from %" G_GUINT64_FORMAT
                                               " to %" G_GUINT64_FORMAT, min, max);

  if (!g_ascii_string_to_unsigned (value, 10, min, max, out, NULL))
    return config_error (error, key, expected);
  return TRUE;
}

/* "127.0.0.1:8443" or "[::1]:8443": a numeric address and a port. */
static gboolean
set_listen (EntsecServerConfig *config,
            const char         *value,
            GError            **error)
{
  g_autofree char *host = NULL;
  const char *colon = strrchr (value, ':');
  guint64 port;

  if (colon == NULL)
    return config_error (error, "listen", "ADDRESS:PORT, such as 0.0.0.0:8443 or [::]:8443");
  if (value[0] == '[' && colon > value && colon[-1] == ']')
    host = g_strndup (value + 1, (gsize) (colon - value) - 2);
  else
    host = g_strndup (value, (gsize) (colon - value));
  if (!g_hostname_is_ip_address (host) || strchr (host, '%') != NULL
      || !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL))
    return config_error (error, "listen", "ADDRESS:PORT, such as 0.0.0.0:8443 or [::]:8443");
  g_free (config->listen_host);
  config->listen_host = g_steal_pointer (&host);
  config->listen_port = (guint16) port;
  return TRUE;
}

static gboolean
set_issuer (EntsecServerConfig *config,
            const char         *value,
            GError            **error)
{
  if (!g_str_has_prefix (value, "https://") || strlen (value) <= strlen ("https://")
      || g_str_has_suffix (value, "/") || strpbrk (value, " \t\"\\?#") != NULL)
    return config_error (error, "issuer", "the server's public https:// URL without a "
                         "trailing slash, such as https://auth.example.com");
  g_free (config->issuer);
  config->issuer = g_strdup (value);
  return TRUE;
}

static gboolean
set_tenant (EntsecServerConfig *config,
            const char         *value,
            GError            **error)
{
  gsize len = strlen (value);

  if (len == 0 || len > 64)
    return config_error (error, "tenant", "1 to 64 letters, digits, '-' or '_'");
  for (const char *p = value; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
        return config_error (error, "tenant", "1 to 64 letters, digits, '-' or '_'");
    }
  g_free (config->tenant);
  config->tenant = g_strdup (value);
  return TRUE;
}

static gboolean
set_path (char      **field,
          const char *key,
          const char *value,
          GError    **error)
{
  if (!g_path_is_absolute (value))
    return config_error (error, key, "an absolute path");
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static gboolean
set_number (EntsecServerConfig *config,
            const char         *key,
            const char         *value,
            GError            **error)
{
  guint64 n;

  if (strcmp (key, "threads") == 0 && parse_number (key, value, 1, 64, &n, error))
    config->threads = (guint) n;
  else if (strcmp (key, "max_connections") == 0
           && parse_number (key, value, 16, 1000000, &n, error))
    config->max_connections = (guint) n;
  else if (strcmp (key, "connection_memory") == 0
           && parse_number (key, value, 8 * 1024, 16 * 1024 * 1024, &n, error))
    config->connection_memory = (gsize) n;
  else if (strcmp (key, "max_body") == 0 && parse_number (key, value, 1024, 256 * 1024, &n, error))
    config->max_body = (gsize) n;
  else if (strcmp (key, "timeout") == 0 && parse_number (key, value, 5, 3600, &n, error))
    config->timeout = (guint) n;
  else if (strcmp (key, "enroll_code_lifetime") == 0
           && parse_number (key, value, 60, 86400, &n, error))
    config->code_lifetime = (guint) n;
  else if (strcmp (key, "enroll_resend_after") == 0
           && parse_number (key, value, 0, 3600, &n, error))
    config->resend_after = (guint) n;
  else if (strcmp (key, "max_devices_per_user") == 0
           && parse_number (key, value, 1, 1000, &n, error))
    config->max_devices = (guint) n;
  else if (strcmp (key, "sender_timeout") == 0 && parse_number (key, value, 1, 300, &n, error))
    config->sender_timeout = (guint) n;
  else if (strcmp (key, "rate_limit_ip") == 0 && parse_number (key, value, 1, 100000, &n, error))
    config->rate_ip = (guint) n;
  else if (strcmp (key, "rate_limit_address") == 0
           && parse_number (key, value, 1, 100000, &n, error))
    config->rate_address = (guint) n;
  else if (strcmp (key, "rate_limit_user") == 0
           && parse_number (key, value, 1, 100000, &n, error))
    config->rate_user = (guint) n;
  else if (strcmp (key, "database_pool") == 0 && parse_number (key, value, 1, 1000, &n, error))
    config->database_pool = (guint) n;
  else
    return FALSE;
  return TRUE;
}

static gboolean
set_choice (char              **field,
            const char         *key,
            const char         *value,
            const char *const  *choices,
            const char         *expected,
            GError            **error)
{
  if (!g_strv_contains (choices, value))
    return config_error (error, key, expected);
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static gboolean
is_loopback_host (const char *host)
{
  return g_str_has_prefix (host, "127.") || strcmp (host, "[::1]") == 0
         || strcmp (host, "localhost") == 0;
}

/* @schemes: the allowed "scheme://" prefixes; http:// only to loopback. */
static gboolean
set_url (char              **field,
         const char         *key,
         const char         *value,
         const char *const  *schemes,
         const char         *expected,
         GError            **error)
{
  g_autoptr (GUri) uri = g_uri_parse (value, G_URI_FLAGS_NONE, NULL);
  const char *scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  const char *host = uri != NULL ? g_uri_get_host (uri) : NULL;
  g_autofree char *bracketed = NULL;

  if (scheme == NULL || host == NULL || host[0] == '\0' || !g_strv_contains (schemes, scheme)
      || g_uri_get_userinfo (uri) != NULL || strpbrk (value, " \t\r\n") != NULL)
    return config_error (error, key, expected);
  bracketed = strchr (host, ':') != NULL ? g_strdup_printf ("[%s]", host) : g_strdup (host);
  if (strcmp (scheme, "http") == 0 && !is_loopback_host (bracketed))
    return config_error (error, key, "https:// (http:// only to a loopback address)");
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

/* A postgresql:// URL libpq can parse. libpq's reason is left out: it may
 * quote a piece of the URL, which may hold a password. */
static gboolean
set_database (EntsecServerConfig *config,
              const char         *value,
              GError            **error)
{
  PQconninfoOption *options = NULL;
  char *message = NULL;

  if (g_str_has_prefix (value, "postgresql://") || g_str_has_prefix (value, "postgres://"))
    options = PQconninfoParse (value, &message);
  PQfreemem (message);
  if (options == NULL)
    return config_error (error, "database", "a postgresql://USER@HOST[:PORT]/DATABASE URL "
                         "(docs/server.md, \"PostgreSQL\"); leave it out for the SQLite "
                         "file in data_dir");
  PQconninfoFree (options);
  g_free (config->database);
  config->database = g_strdup (value);
  return TRUE;
}

static gboolean
set_from (EntsecServerConfig *config,
          const char         *value,
          GError            **error)
{
  g_autofree char *email = entsec_server_normalize_email (value, NULL);

  if (email == NULL)
    return config_error (error, "smtp_from", "an email address such as auth@example.com");
  g_free (config->smtp_from);
  config->smtp_from = g_steal_pointer (&email);
  return TRUE;
}

static gboolean
set_text (char      **field,
          const char *key,
          const char *value,
          gsize       max,
          GError    **error)
{
  if (value[0] == '\0' || strlen (value) > max)
    return config_error (error, key, "non-empty text of at most 1024 bytes");
  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

/* The keys of the senders; FALSE without @error when @key is none of them. */
static gboolean
set_sender_key (EntsecServerConfig *config,
                const char         *key,
                const char         *value,
                gboolean           *known,
                GError            **error)
{
  static const char *const email_senders[] = { "outbox", "smtp", NULL };
  static const char *const sms_senders[] = { "outbox", "sms-http", NULL };
  static const char *const types[] = { "json", "form", NULL };
  static const char *const smtp_schemes[] = { "smtp", "smtps", NULL };
  static const char *const http_schemes[] = { "https", "http", NULL };
  struct { const char *key; char **field; } paths[] = {
    { "smtp_password_file", &config->smtp_password_file },
    { "smtp_ca_file", &config->smtp_ca_file },
    { "templates_dir", &config->templates_dir },
    { "sms_token_file", &config->sms_token_file },
    { "sms_ca_file", &config->sms_ca_file },
  };

  *known = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      if (strcmp (key, paths[i].key) == 0)
        return set_path (paths[i].field, key, value, error);
    }
  if (strcmp (key, "email_sender") == 0)
    return set_choice (&config->email_sender, key, value, email_senders,
                       "\"outbox\" or \"smtp\"", error);
  if (strcmp (key, "sms_sender") == 0)
    return set_choice (&config->sms_sender, key, value, sms_senders,
                       "\"outbox\" or \"sms-http\"", error);
  if (strcmp (key, "sms_content_type") == 0)
    return set_choice (&config->sms_content_type, key, value, types,
                       "\"json\" or \"form\"", error);
  if (strcmp (key, "smtp_url") == 0)
    return set_url (&config->smtp_url, key, value, smtp_schemes,
                    "smtp://HOST[:PORT] (STARTTLS) or smtps://HOST[:PORT]", error);
  if (strcmp (key, "sms_url") == 0)
    return set_url (&config->sms_url, key, value, http_schemes,
                    "the gateway's https:// URL", error);
  if (strcmp (key, "smtp_from") == 0)
    return set_from (config, value, error);
  if (strcmp (key, "smtp_username") == 0)
    return set_text (&config->smtp_username, key, value, 1024, error);
  if (strcmp (key, "sms_body") == 0)
    return set_text (&config->sms_body, key, value, 1024, error);
  *known = FALSE;
  return FALSE;
}

static gboolean
set_trusted_proxies (EntsecServerConfig *config,
                     const char         *value,
                     GError            **error)
{
  GPtrArray *proxies = entsec_trusted_proxies_parse (value, error);

  if (proxies == NULL)
    return FALSE;
  g_clear_pointer (&config->trusted_proxies, g_ptr_array_unref);
  config->trusted_proxies = proxies;
  return TRUE;
}

/* The keys of operations; FALSE without @error when @key is none of them. */
static gboolean
set_ops_key (EntsecServerConfig *config,
             const char         *key,
             const char         *value,
             gboolean           *known,
             GError            **error)
{
  static const char *const access_logs[] = { "auto", "on", "off", NULL };

  *known = TRUE;
  if (strcmp (key, "metrics_token_file") == 0)
    return set_path (&config->metrics_token_file, key, value, error);
  if (strcmp (key, "access_log") == 0)
    return set_choice (&config->access_log, key, value, access_logs,
                       "\"auto\" (on when logging to the journal), \"on\" or \"off\"", error);
  if (strcmp (key, "trusted_proxies") == 0)
    return set_trusted_proxies (config, value, error);
  *known = FALSE;
  return FALSE;
}

static const char *const config_keys[] = {
  "data_dir", "listen", "issuer", "tenant", "tls_cert", "tls_key",
  "threads", "max_connections", "connection_memory", "max_body", "timeout",
  "enroll_code_lifetime", "enroll_resend_after", "max_devices_per_user",
  /* senders and rate limits */
  "email_sender", "sms_sender", "sender_timeout", "smtp_url", "smtp_from", "smtp_username",
  "smtp_password_file", "smtp_ca_file", "templates_dir", "sms_url", "sms_body",
  "sms_content_type", "sms_token_file", "sms_ca_file", "rate_limit_ip", "rate_limit_address",
  "rate_limit_user",
  /* storage */
  "database", "database_pool",
  /* operations */
  "metrics_token_file", "access_log", "trusted_proxies", NULL,
};

const char *const *
entsec_server_config_keys (void)
{
  return config_keys;
}

gboolean
entsec_server_config_set (EntsecServerConfig *config,
                          const char         *key,
                          const char         *value,
                          GError            **error)
{
  gboolean known = FALSE;
  gboolean ok;

  if (strcmp (key, "data_dir") == 0)
    return set_path (&config->data_dir, key, value, error);
  if (strcmp (key, "tls_cert") == 0)
    return set_path (&config->tls_cert, key, value, error);
  if (strcmp (key, "tls_key") == 0)
    return set_path (&config->tls_key, key, value, error);
  if (strcmp (key, "listen") == 0)
    return set_listen (config, value, error);
  if (strcmp (key, "issuer") == 0)
    return set_issuer (config, value, error);
  if (strcmp (key, "tenant") == 0)
    return set_tenant (config, value, error);
  if (strcmp (key, "database") == 0)
    return set_database (config, value, error);
  ok = set_sender_key (config, key, value, &known, error);
  if (known)
    return ok;
  ok = set_ops_key (config, key, value, &known, error);
  if (known)
    return ok;
  if (g_strv_contains (config_keys, key))
    return set_number (config, key, value, error);
  g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG,
               "Unknown setting \"%s\" (docs/server.md lists them)", key);
  return FALSE;
}

static gboolean
parse_line (EntsecServerConfig *config,
            char               *line,
            GError            **error)
{
  char *eq;

  g_strstrip (line);
  if (line[0] == '\0' || line[0] == '#')
    return TRUE;
  eq = strchr (line, '=');
  if (eq == NULL)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG,
                   "Expected \"key = value\"");
      return FALSE;
    }
  *eq = '\0';
  return entsec_server_config_set (config, g_strstrip (line), g_strstrip (eq + 1), error);
}

gboolean
entsec_server_config_parse (EntsecServerConfig *config,
                            const char         *text,
                            gsize               len,
                            const char         *origin,
                            GError            **error)
{
  g_auto (GStrv) lines = NULL;
  g_autofree char *copy = NULL;

  if (len > CONFIG_MAX_BYTES || memchr (text, '\0', len) != NULL
      || !g_utf8_validate_len (text, len, NULL))
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG,
                   "%s: not a text file of at most %d KiB", origin, CONFIG_MAX_BYTES / 1024);
      return FALSE;
    }
  copy = g_strndup (text, len);
  lines = g_strsplit (copy, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (!parse_line (config, lines[i], error))
        {
          g_prefix_error (error, "%s, line %u: ", origin, i + 1);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
entsec_server_config_load_file (EntsecServerConfig *config,
                                const char         *path,
                                gboolean            optional,
                                GError            **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autofree char *text = NULL;
  gsize len = 0;

  if (!g_file_get_contents (path, &text, &len, &local_error))
    {
      if (optional && g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFIG,
                   "Cannot read the configuration: %s", local_error->message);
      return FALSE;
    }
  return entsec_server_config_parse (config, text, len, path, error);
}

gboolean
entsec_server_config_load_env (EntsecServerConfig *config,
                               char              **envp,
                               GError            **error)
{
  for (guint i = 0; config_keys[i] != NULL; i++)
    {
      g_autofree char *upper = g_ascii_strup (config_keys[i], -1);
      g_autofree char *name = g_strconcat ("ENTSEC_SERVER_", upper, NULL);
      const char *value = g_environ_getenv (envp, name);

      if (value != NULL && !entsec_server_config_set (config, config_keys[i], value, error))
        {
          g_prefix_error (error, "%s: ", name);
          return FALSE;
        }
    }
  return TRUE;
}

char *
entsec_server_config_path (const EntsecServerConfig *config,
                           const char               *file)
{
  if (strcmp (file, "server.pem") == 0 && config->tls_cert != NULL)
    return g_strdup (config->tls_cert);
  if (strcmp (file, "server-key.pem") == 0 && config->tls_key != NULL)
    return g_strdup (config->tls_key);
  return g_build_filename (config->data_dir, file, NULL);
}
