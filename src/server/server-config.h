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
  /* senders and rate limits (server-sender*.c, server-ratelimit.c) */
  char    *email_sender;     /* email_sender: "outbox" or "smtp" */
  char    *sms_sender;       /* sms_sender: "outbox" or "sms-http" */
  guint    sender_timeout;   /* sender_timeout (seconds for one delivery, all included) */
  char    *smtp_url;         /* smtp_url: smtp://HOST[:PORT] (STARTTLS required) or smtps:// */
  char    *smtp_from;        /* smtp_from: the From address */
  char    *smtp_username;    /* smtp_username: AUTH user; NULL means no AUTH */
  char    *smtp_password_file; /* smtp_password_file: the AUTH password (first line) */
  char    *smtp_ca_file;     /* smtp_ca_file: CA for the relay; NULL means the system store */
  char    *templates_dir;    /* templates_dir: email-LANG.txt overriding the built-in texts */
  char    *sms_url;          /* sms_url: the gateway (https://, or http:// to loopback) */
  char    *sms_body;         /* sms_body: the body template ({to}, {code}, {minutes}) */
  char    *sms_content_type; /* sms_content_type: "json" or "form" */
  char    *sms_token_file;   /* sms_token_file: a bearer token (first line); NULL means none */
  char    *sms_ca_file;      /* sms_ca_file: CA for the gateway; NULL means the system store */
  guint    rate_ip;          /* rate_limit_ip: requests a minute per client address */
  guint    rate_address;     /* rate_limit_address: enrollment starts an hour per address */
  guint    rate_user;        /* rate_limit_user: code attempts an hour per enrollment's user */
  GPtrArray *trusted_proxies; /* trusted_proxies (element-type GInetAddressMask); empty: none */
  /* storage (server-storage.c) */
  char    *database;         /* database: a postgresql:// URL; NULL means DATA_DIR/entsec.db */
  guint    database_pool;    /* database_pool: PostgreSQL connections at most; 0 means threads */
  /* operations (server-ops-http.c, server-log.c) */
  char    *metrics_token_file; /* metrics_token_file: a bearer token for GET /v1/metrics */
  char    *access_log;       /* access_log: "auto" (to the journal only), "on" or "off" */
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
