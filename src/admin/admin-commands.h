/* SPDX-License-Identifier: GPL-3.0-or-later */
/* admin-commands.h: the command table's entry type and the commands' parts */
#pragma once

#include "admin-private.h"

G_BEGIN_DECLS

typedef struct _AdminCommand AdminCommand;

typedef json_t *(*AdminBodyFunc) (const AdminOptions *options, char **args);
typedef int (*AdminRunFunc) (const AdminOptions *options, const AdminCommand *command,
                             char **args);

/*
 * One command: most are one call, "{}" in @path standing for the first
 * argument; @run replaces the call for those that do more.
 */
struct _AdminCommand
{
  const char   *words;     /* "users add" */
  const char   *usage;     /* the arguments, for --help */
  const char   *summary;
  int           min_args;
  int           max_args;
  const char   *method;
  const char   *path;
  AdminAuth     auth;
  AdminBodyFunc body;      /* nullable: no body */
  const char   *list_key;  /* nullable: the member holding the rows of a list */
  const char   *columns;   /* the members printed per row */
  const char   *done;      /* printed after an empty answer */
  AdminRunFunc  run;       /* nullable: one call as above */
};

json_t *admin_body_user (const AdminOptions *options, char **args);
json_t *admin_body_name (const AdminOptions *options, char **args);
json_t *admin_body_wipe (const AdminOptions *options, char **args);
json_t *admin_body_lock (const AdminOptions *options, char **args);
json_t *admin_body_unlock (const AdminOptions *options, char **args);
json_t *admin_body_refresh (const AdminOptions *options, char **args);
/* {"v":1}: a POST that needs nothing else */
json_t *admin_body_v1 (const AdminOptions *options, char **args);

/* Print an answer: with --json as the server sent it, otherwise for a person. */
void admin_print_reply (const AdminOptions *options,
                        const AdminCommand *command,
                        json_t             *body);
/* admin_call() then admin_print_reply(); returns the exit code. */
int admin_call_and_print (const AdminOptions *options,
                          const AdminCommand *command,
                          const char         *method,
                          const char         *path,
                          json_t             *body,
                          AdminAuth           auth);
gboolean admin_print_diff (json_t *current,
                           json_t *wanted);

int admin_run_invite (const AdminOptions *options, const AdminCommand *command, char **args);
int admin_run_audit_tail (const AdminOptions *options, const AdminCommand *command,
                          char **args);
/* status: the server's figures, one "section.figure: value" line each */
int admin_run_status (const AdminOptions *options, const AdminCommand *command, char **args);
int admin_run_policy_show (const AdminOptions *options, const AdminCommand *command,
                           char **args);
int admin_run_policy_set (const AdminOptions *options, const AdminCommand *command,
                          char **args);
int admin_run_policy_diff (const AdminOptions *options, const AdminCommand *command,
                           char **args);
/* admin-tokens.c: the calls that carry a seed or a code */
int admin_run_validate (const AdminOptions *options, const AdminCommand *command,
                        char **args);
int admin_run_token_ack (const AdminOptions *options, const AdminCommand *command,
                         char **args);
int admin_run_token_resync (const AdminOptions *options, const AdminCommand *command,
                            char **args);
int admin_run_token_provision (const AdminOptions *options, const AdminCommand *command,
                               char **args);
/* admin-push.c: push USER (an id, or a name looked up with the admin token) */
int admin_run_push (const AdminOptions *options, const AdminCommand *command, char **args);

G_END_DECLS
