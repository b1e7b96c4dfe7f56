/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-config.h: entsec-server's settings. Each comes from, in rising
 * precedence: its default, the config file (key = value), the environment
 * (ENTSEC_SERVER_<KEY>), the command line. docs/server.md lists every key.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ENTSEC_SERVER_DEFAULT_CONFIG "/etc/entsec/server.conf"

typedef struct
{
  char    *data_dir;         /* data_dir */
  char    *listen_host;      /* listen (host part, numeric) */
  guint16  listen_port;      /* listen (port part; 0 picks a free port) */
  char    *issuer;           /* issuer: public base URL; NULL means https://localhost:PORT */
  char    *tenant;           /* tenant */
  char    *tls_cert;         /* tls_cert: NULL means DATA_DIR/server.pem */
  char    *tls_key;          /* tls_key: NULL means DATA_DIR/server-key.pem */
  guint    threads;          /* threads */
  guint    max_connections;  /* max_connections */
  gsize    connection_memory; /* connection_memory (bytes) */
  gsize    max_body;         /* max_body (bytes) */
  guint    timeout;          /* timeout (seconds of idle before a connection is closed) */
  guint    code_lifetime;    /* enroll_code_lifetime (seconds) */
  guint    resend_after;     /* enroll_resend_after (seconds) */
  guint    max_devices;      /* max_devices_per_user */
  gboolean dev;              /* --dev only: development conveniences */
} EntsecServerConfig;

/* The defaults. Free with entsec_server_config_free(). */
EntsecServerConfig *entsec_server_config_new (void);
void                entsec_server_config_free (EntsecServerConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecServerConfig, entsec_server_config_free)

/*
 * Set @key (as in the file: "max_body") to @value, checked.
 * %ENTSEC_SERVER_ERROR_CONFIG names the key and says what is expected.
 */
gboolean entsec_server_config_set (EntsecServerConfig *config,
                                   const char         *key,
                                   const char         *value,
                                   GError            **error);

/* Apply @len bytes of config file text; @origin names it in errors. */
gboolean entsec_server_config_parse (EntsecServerConfig *config,
                                     const char         *text,
                                     gsize               len,
                                     const char         *origin,
                                     GError            **error);

/* Read and apply the file at @path. A missing file is an error unless
 * @optional. */
gboolean entsec_server_config_load_file (EntsecServerConfig *config,
                                         const char         *path,
                                         gboolean            optional,
                                         GError            **error);

/* Apply ENTSEC_SERVER_<KEY> for every known key found in @envp. */
gboolean entsec_server_config_load_env (EntsecServerConfig *config,
                                        char              **envp,
                                        GError            **error);

/* The names of every key, NULL-terminated. (transfer none) */
const char *const *entsec_server_config_keys (void);

/* Paths derived from the data dir. Free with g_free(). */
char *entsec_server_config_path (const EntsecServerConfig *config,
                                 const char               *file);

G_END_DECLS
