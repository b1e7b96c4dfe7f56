/* SPDX-License-Identifier: GPL-3.0-or-later */
/* admin-private.h: what the parts of entsec-admin share */
#pragma once

#include <stdio.h>

#include <gio/gio.h>
#include <jansson.h>

#include "entsec-json.h"

G_BEGIN_DECLS

/* Exit codes, documented in --help and entsec-admin(1). */
typedef enum
{
  ADMIN_EXIT_OK = 0,
  ADMIN_EXIT_FAILURE = 1,   /* network, server error, I/O */
  ADMIN_EXIT_USAGE = 2,     /* bad command line or configuration */
  ADMIN_EXIT_REJECTED = 3,  /* the server refused the input (invalid, not found, conflict,
                             * forbidden), or an input file is malformed */
  ADMIN_EXIT_AUTH = 4,      /* token or API key refused; server certificate or pin not trusted */
} AdminExit;

/* The options of every command, merged from the command line and the config file. */
typedef struct
{
  char    *config;
  char    *server;
  char    *ca;
  char    *pin;
  char    *token_file;
  char    *api_key_file;
  gboolean json;
  /* command options */
  char    *email;
  char    *phone;
  char    *name;
  char    *file;
  char    *qr;
  char    *after;
  char    *user;   /* devices list, tokens list */
  int      limit;
  /* tokens provision */
  char    *type;
  char    *algorithm;
  char    *issuer;
  char    *label;
  int      digits;
  int      period;
  /* push */
  char    *number_matching;
  char    *app;        /* the request's context, as the device shows it */
  char    *ip;
  char    *browser;
  char    *location;
} AdminOptions;

/* Which credential a call sends. */
typedef enum
{
  ADMIN_AUTH_NONE,
  ADMIN_AUTH_TOKEN,    /* the admin token (--token-file) */
  ADMIN_AUTH_API_KEY,  /* a relying party's API key (--api-key-file) */
} AdminAuth;

/* The answer to a call: the HTTP status and the JSON body (NULL when empty). */
typedef struct
{
  long    status;
  json_t *body;
  char   *peer_pin; /* with @want_pin: "sha256//..." of the server's key */
} AdminReply;

void admin_reply_clear (AdminReply *reply);

/* Print "entsec-admin: MESSAGE" on stderr. */
void admin_print_error (const char *format,
                        ...) G_GNUC_PRINTF (1, 2);

/* @text with control characters and invalid UTF-8 replaced: safe on a terminal. */
char *admin_printable (const char *text);

/*
 * Fill the connection options the command line left unset from the config
 * file (--config, else $XDG_CONFIG_HOME/entsec/admin.conf, else
 * /etc/entsec/admin.conf). FALSE after printing why (exit 2).
 */
gboolean admin_load_config (AdminOptions *options);

/*
 * One HTTPS call to --server + @path with verified TLS (>= 1.2; --ca,
 * --pin). @body (nullable) is sent as JSON. Returns the exit code: 0 for a
 * 2xx answer (then @reply holds it); otherwise the problem or the transport
 * error was printed.
 */
int admin_call (const AdminOptions *options,
                const char         *method,
                const char         *path,
                json_t             *body,
                AdminAuth           auth,
                gboolean            want_pin,
                AdminReply         *reply);

/* users invite: the activation link and its QR PNG. */
int admin_invite (const AdminOptions *options,
                  const char         *user_id);
/* The link for @server_url, @tenant, @jkt, @pin and @address. Free with g_free(). */
char *admin_invite_link (const char *server_url,
                         const char *tenant,
                         const char *jkt,
                         const char *pin,
                         const char *address);
/* Write @text as a QR code PNG to @path. */
gboolean admin_write_qr_png (const char *text,
                             const char *path,
                             GError    **error);

G_END_DECLS
