/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-admin.c: the command table and main() of entsec-admin */

#include "config.h"

#include <locale.h>
#include <string.h>

#include <curl/curl.h>

#include "admin-commands.h"

#define USER_COLUMNS "id,email,phone,name,disabled"
#define MAX_WORDS_ARGS 8

/* Each route is one line here: a route that changes is a one-line fix. */
static const AdminCommand commands[] = {
  { "users add", "(--email ADDRESS | --phone NUMBER) [--name NAME]", "Create a user",
    0, 0, "POST", "/v1/admin/users", ADMIN_AUTH_TOKEN, admin_body_user, NULL, NULL, NULL, NULL },
  { "users list", "[--limit N] [--after USER_ID]", "List users, by id",
    0, 0, "GET", "/v1/admin/users", ADMIN_AUTH_TOKEN, NULL, "users", USER_COLUMNS, NULL, NULL },
  { "users show", "USER_ID", "Show a user",
    1, 1, "GET", "/v1/admin/users/{}", ADMIN_AUTH_TOKEN, NULL, NULL, NULL, NULL, NULL },
  { "users disable", "USER_ID", "Disable a user (no enrollment)",
    1, 1, "POST", "/v1/admin/users/{}/disable", ADMIN_AUTH_TOKEN, NULL, NULL, NULL,
    "User disabled", NULL },
  { "users enable", "USER_ID", "Enable a disabled user",
    1, 1, "POST", "/v1/admin/users/{}/enable", ADMIN_AUTH_TOKEN, NULL, NULL, NULL,
    "User enabled", NULL },
  { "users delete", "USER_ID", "Delete a user",
    1, 1, "DELETE", "/v1/admin/users/{}", ADMIN_AUTH_TOKEN, NULL, NULL, NULL, "User deleted",
    NULL },
  { "users invite", "USER_ID [--qr FILE]", "Print an activation link; write its QR code PNG",
    1, 1, NULL, NULL, ADMIN_AUTH_TOKEN, NULL, NULL, NULL, NULL, admin_run_invite },
  { "admins add", "NAME", "Create an admin; prints their token once",
    1, 1, "POST", "/v1/admin/admins", ADMIN_AUTH_TOKEN, admin_body_name, NULL, NULL, NULL,
    NULL },
  { "admins list", "", "List admins (never their tokens)",
    0, 0, "GET", "/v1/admin/admins", ADMIN_AUTH_TOKEN, NULL, "admins", "id,name", NULL, NULL },
  { "audit tail", "[--limit N] [--after SEQ]", "Show the last entries of the audit log",
    0, 0, NULL, NULL, ADMIN_AUTH_TOKEN, NULL, "entries", "seq,time,actor,action,target", NULL,
    admin_run_audit_tail },
  { "status", "", "Show the server's figures (long-polls waiting, stored events)",
    0, 0, "GET", "/v1/admin/status", ADMIN_AUTH_TOKEN, NULL, NULL, NULL, NULL,
    admin_run_status },
  { "devices list", "[--user USER_ID] [--limit N] [--after DEVICE_ID]", "List devices, by id",
    0, 0, "GET", "/v1/admin/devices", ADMIN_AUTH_TOKEN, NULL, "devices",
    "id,user_id,state,created,last_seen", NULL, NULL },
  { "devices show", "DEVICE_ID", "Show a device",
    1, 1, "GET", "/v1/admin/devices/{}", ADMIN_AUTH_TOKEN, NULL, NULL, NULL, NULL, NULL },
  { "devices revoke", "DEVICE_ID", "Revoke a device",
    1, 1, "POST", "/v1/admin/devices/{}/revoke", ADMIN_AUTH_TOKEN, NULL, NULL, NULL,
    "Device revoked", NULL },
  { "devices activate", "DEVICE_ID", "Make a suspended device active again",
    1, 1, "POST", "/v1/admin/devices/{}/activate", ADMIN_AUTH_TOKEN, NULL, NULL, NULL,
    "Device active", NULL },
  { "devices wipe", "DEVICE_ID", "Tell a device to wipe its enterprise data",
    1, 1, "POST", "/v1/admin/devices/{}/commands", ADMIN_AUTH_TOKEN, admin_body_wipe, NULL,
    NULL, NULL, NULL },
  { "devices lock", "DEVICE_ID", "Tell a device to lock",
    1, 1, "POST", "/v1/admin/devices/{}/commands", ADMIN_AUTH_TOKEN, admin_body_lock, NULL,
    NULL, NULL, NULL },
  { "devices unlock", "DEVICE_ID", "Tell a device to unlock",
    1, 1, "POST", "/v1/admin/devices/{}/commands", ADMIN_AUTH_TOKEN, admin_body_unlock, NULL,
    NULL, NULL, NULL },
  { "devices refresh-policy", "DEVICE_ID", "Tell a device to fetch its policy now",
    1, 1, "POST", "/v1/admin/devices/{}/commands", ADMIN_AUTH_TOKEN, admin_body_refresh, NULL,
    NULL, NULL, NULL },
  { "devices commands", "DEVICE_ID", "List a device's commands, oldest first",
    1, 1, "GET", "/v1/admin/devices/{}/commands", ADMIN_AUTH_TOKEN, NULL, "commands",
    "id,type,state,created,acked,result", NULL, NULL },
  { "policies show", "tenant | user USER_ID | device DEVICE_ID", "Show a policy",
    1, 2, NULL, NULL, ADMIN_AUTH_TOKEN, NULL, NULL, NULL, NULL, admin_run_policy_show },
  { "policies set", "(tenant | user USER_ID | device DEVICE_ID) --file FILE",
    "Replace a policy with a JSON file",
    1, 2, NULL, NULL, ADMIN_AUTH_TOKEN, NULL, NULL, NULL, "Policy set", admin_run_policy_set },
  { "policies diff", "(tenant | user USER_ID | device DEVICE_ID) --file FILE",
    "Show what 'policies set' would change",
    1, 2, NULL, NULL, ADMIN_AUTH_TOKEN, NULL, NULL, NULL, NULL, admin_run_policy_diff },
  { "rp add", "NAME", "Create a relying party; prints its API key once",
    1, 1, "POST", "/v1/admin/rps", ADMIN_AUTH_TOKEN, admin_body_name, NULL, NULL, NULL, NULL },
  { "rp list", "", "List relying parties (never their keys)",
    0, 0, "GET", "/v1/admin/rps", ADMIN_AUTH_TOKEN, NULL, "rps", "id,name,created,revoked",
    NULL, NULL },
  { "rp revoke", "RP_ID", "Revoke a relying party's API key",
    1, 1, "DELETE", "/v1/admin/rps/{}", ADMIN_AUTH_TOKEN, NULL, NULL, NULL,
    "Relying party revoked", NULL },
  { "tokens provision", "USER_ID [--type totp|hotp] [--algorithm A] [--digits N] "
    "[--period S] [--issuer I] [--label L] [--qr FILE]",
    "Create a token; prints its seed once (otpauth URI, QR PNG)",
    1, 1, NULL, NULL, ADMIN_AUTH_TOKEN, NULL, NULL, NULL, NULL, admin_run_token_provision },
  { "tokens list", "[--user USER_ID]", "List tokens, oldest first (never a seed)",
    0, 0, "GET", "/v1/admin/tokens", ADMIN_AUTH_TOKEN, NULL, "tokens",
    "id,user,type,state,failures", NULL, NULL },
  { "tokens show", "TOKEN_ID", "Show a token",
    1, 1, "GET", "/v1/admin/tokens/{}", ADMIN_AUTH_TOKEN, NULL, NULL, NULL, NULL, NULL },
  { "tokens ack", "TOKEN_ID", "Activate a token with its current code, read from stdin",
    1, 1, NULL, NULL, ADMIN_AUTH_TOKEN, NULL, NULL, NULL, "Token active",
    admin_run_token_ack },
  { "tokens resync", "TOKEN_ID", "Resynchronise an HOTP token with two codes in a row from stdin",
    1, 1, NULL, NULL, ADMIN_AUTH_TOKEN, NULL, NULL, NULL, "Token resynchronised",
    admin_run_token_resync },
  { "tokens reset", "TOKEN_ID", "Clear a token's failure count and lockout",
    1, 1, "POST", "/v1/admin/tokens/{}/reset", ADMIN_AUTH_TOKEN, NULL, NULL, NULL,
    "Token reset", NULL },
  { "tokens revoke", "TOKEN_ID", "Revoke a token",
    1, 1, "DELETE", "/v1/admin/tokens/{}", ADMIN_AUTH_TOKEN, NULL, NULL, NULL, "Token revoked",
    NULL },
  { "authority show", "", "List the authority keys (current and retired), oldest first",
    0, 0, "GET", "/v1/admin/authority", ADMIN_AUTH_TOKEN, NULL, "keys",
    "seq,jkt,created,state", NULL, NULL },
  { "authority rotate", "", "Replace the authority key; devices follow the signed chain",
    0, 0, "POST", "/v1/admin/authority/rotate", ADMIN_AUTH_TOKEN, admin_body_v1, NULL, NULL,
    NULL, NULL },
  /* before "push": the first entry whose words match is taken */
  { "push status", "TRANSACTION_ID", "Show a sign-in approval's state (--api-key-file)",
    1, 1, "GET", "/v1/auth/transactions/{}", ADMIN_AUTH_API_KEY, NULL, NULL, NULL, NULL,
    NULL },
  { "push", "USER_ID|NAME [--number-matching enter|choose|none] [--app NAME] [--ip ADDRESS] "
    "[--browser TEXT] [--location PLACE]",
    "Start a sign-in approval (--api-key-file); prints the number",
    1, 1, "POST", "/v1/auth/push", ADMIN_AUTH_API_KEY, NULL, NULL, NULL, NULL,
    admin_run_push },
  { "validate", "USER_ID", "Check a code read from stdin (--api-key-file)",
    1, 1, NULL, "/v1/auth/validate", ADMIN_AUTH_API_KEY, NULL, NULL, NULL, NULL,
    admin_run_validate },
};

static void
print_usage (FILE *stream)
{
  fprintf (stream, "Usage: entsec-admin [OPTION...] COMMAND [ARGUMENT...]\n\n"
                   "Enterprise Security server administration over the admin API.\n\n"
                   "Commands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (stream, "  %-24s %s\n", commands[i].words, commands[i].summary);
  fprintf (stream,
           "\nOptions:\n"
           "  --server URL          the server (https://HOST:PORT)\n"
           "  --ca FILE             trust this CA for the server's certificate\n"
           "  --pin sha256//BASE64  also require this SPKI pin\n"
           "  --token-file FILE     the admin token (first line)\n"
           "  --api-key-file FILE   a relying party's API key (push, validate)\n"
           "  --config FILE         settings (default ~/.config/entsec/admin.conf, then\n"
           "                        /etc/entsec/admin.conf)\n"
           "  --json                print the server's JSON\n"
           "  --email, --phone, --name, --limit, --after, --user, --file, --qr, --type,\n"
           "  --algorithm, --digits, --period, --issuer, --label, --number-matching,\n"
           "  --app, --ip, --browser, --location:\n"
           "  see entsec-admin(1)\n\n"
           "Tokens and API keys are never read from the command line, only from files.\n\n"
           "Exit status:\n"
           "  0  success\n"
           "  1  the operation failed (network, server error, I/O)\n"
           "  2  bad command line or configuration\n"
           "  3  the server refused the input (invalid, not found, conflict,\n"
           "     forbidden), or an input file is malformed\n"
           "  4  the token or API key was refused, or the server's certificate or pin\n"
           "     is not trusted\n");
}

static void
options_clear (AdminOptions *options)
{
  g_free (options->config);
  g_free (options->server);
  g_free (options->ca);
  g_free (options->pin);
  g_free (options->token_file);
  g_free (options->api_key_file);
  g_free (options->email);
  g_free (options->phone);
  g_free (options->name);
  g_free (options->file);
  g_free (options->qr);
  g_free (options->after);
  g_free (options->user);
  g_free (options->type);
  g_free (options->algorithm);
  g_free (options->issuer);
  g_free (options->label);
  g_free (options->number_matching);
  g_free (options->app);
  g_free (options->ip);
  g_free (options->browser);
  g_free (options->location);
}

/* The command @args start with, and how many words it has; NULL when unknown. */
static const AdminCommand *
find_command (char **args,
              int    n_args,
              int   *n_words)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_auto (GStrv) words = g_strsplit (commands[i].words, " ", -1);
      int n = (int) g_strv_length (words);
      int j;

      if (n > n_args)
        continue;
      for (j = 0; j < n && strcmp (words[j], args[j]) == 0; j++)
        ;
      if (j == n)
        {
          *n_words = n;
          return &commands[i];
        }
    }
  return NULL;
}

/* "/v1/admin/users/{}" with @arg, escaped, for "{}". */
static char *
expand_path (const char *pattern,
             const char *arg)
{
  const char *slot = strstr (pattern, "{}");
  g_autofree char *escaped = NULL;

  if (slot == NULL)
    return g_strdup (pattern);
  escaped = g_uri_escape_string (arg, NULL, FALSE);
  return g_strdup_printf ("%.*s%s%s", (int) (slot - pattern), pattern, escaped, slot + 2);
}

/* @path with the paging options of a list as its query. */
static char *
list_path (const char         *base,
           const AdminOptions *options)
{
  g_autoptr (GString) path = g_string_new (base);
  const char *names[] = { "after", "user" };
  const char *values[] = { options->after, options->user };

  if (options->limit > 0)
    g_string_append_printf (path, "?limit=%d", options->limit);
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *escaped = NULL;

      if (values[i] == NULL)
        continue;
      escaped = g_uri_escape_string (values[i], NULL, FALSE);
      g_string_append_printf (path, "%c%s=%s", strchr (path->str, '?') != NULL ? '&' : '?',
                              names[i], escaped);
    }
  return g_string_free (g_steal_pointer (&path), FALSE);
}

static int
run_call (const AdminOptions *options,
          const AdminCommand *command,
          char              **args)
{
  g_autofree char *base = expand_path (command->path, args[0]);
  g_autofree char *path = command->list_key != NULL ? list_path (base, options)
                                                    : g_strdup (base);
  g_autoptr (json_t) body = command->body != NULL ? command->body (options, args) : NULL;

  return admin_call_and_print (options, command, command->method, path, body, command->auth);
}

/* users add's own checks: an address, and not two; --user only where a list takes it. */
static gboolean
check_user_options (const AdminCommand *command,
                    const AdminOptions *options)
{
  if (options->user != NULL && strstr (command->usage, "--user") == NULL)
    {
      admin_print_error ("--user filters only devices list and tokens list");
      return FALSE;
    }
  if (command->body != admin_body_user || options->email != NULL || options->phone != NULL)
    return TRUE;
  admin_print_error ("users add needs --email ADDRESS or --phone NUMBER (or both)");
  return FALSE;
}

static int
run (AdminOptions *options,
     int           argc,
     char        **argv)
{
  const AdminCommand *command;
  int n_words = 0;
  int n_args;

  if (argc < 2)
    {
      print_usage (stderr);
      return ADMIN_EXIT_USAGE;
    }
  command = find_command (argv + 1, argc - 1, &n_words);
  if (command == NULL)
    {
      g_autofree char *safe = admin_printable (argv[1]);

      admin_print_error ("unknown command '%s' (see 'entsec-admin --help')", safe);
      return ADMIN_EXIT_USAGE;
    }
  n_args = argc - 1 - n_words;
  if (n_args < command->min_args || n_args > command->max_args)
    {
      admin_print_error ("usage: entsec-admin %s %s", command->words, command->usage);
      return ADMIN_EXIT_USAGE;
    }
  if (!check_user_options (command, options) || !admin_load_config (options))
    return ADMIN_EXIT_USAGE;
  if (command->run != NULL)
    return command->run (options, command, argv + 1 + n_words);
  return run_call (options, command, argv + 1 + n_words);
}

int
main (int    argc,
      char **argv)
{
  AdminOptions options = { .limit = -1 };
  GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_STRING, &options.server, NULL, NULL },
    { "ca", 0, 0, G_OPTION_ARG_FILENAME, &options.ca, NULL, NULL },
    { "pin", 0, 0, G_OPTION_ARG_STRING, &options.pin, NULL, NULL },
    { "token-file", 0, 0, G_OPTION_ARG_FILENAME, &options.token_file, NULL, NULL },
    { "api-key-file", 0, 0, G_OPTION_ARG_FILENAME, &options.api_key_file, NULL, NULL },
    { "config", 0, 0, G_OPTION_ARG_FILENAME, &options.config, NULL, NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &options.json, NULL, NULL },
    { "email", 0, 0, G_OPTION_ARG_STRING, &options.email, NULL, NULL },
    { "phone", 0, 0, G_OPTION_ARG_STRING, &options.phone, NULL, NULL },
    { "name", 0, 0, G_OPTION_ARG_STRING, &options.name, NULL, NULL },
    { "file", 0, 0, G_OPTION_ARG_FILENAME, &options.file, NULL, NULL },
    { "qr", 0, 0, G_OPTION_ARG_FILENAME, &options.qr, NULL, NULL },
    { "type", 0, 0, G_OPTION_ARG_STRING, &options.type, NULL, NULL },
    { "algorithm", 0, 0, G_OPTION_ARG_STRING, &options.algorithm, NULL, NULL },
    { "digits", 0, 0, G_OPTION_ARG_INT, &options.digits, NULL, NULL },
    { "period", 0, 0, G_OPTION_ARG_INT, &options.period, NULL, NULL },
    { "issuer", 0, 0, G_OPTION_ARG_STRING, &options.issuer, NULL, NULL },
    { "label", 0, 0, G_OPTION_ARG_STRING, &options.label, NULL, NULL },
    { "number-matching", 0, 0, G_OPTION_ARG_STRING, &options.number_matching, NULL, NULL },
    { "app", 0, 0, G_OPTION_ARG_STRING, &options.app, NULL, NULL },
    { "ip", 0, 0, G_OPTION_ARG_STRING, &options.ip, NULL, NULL },
    { "browser", 0, 0, G_OPTION_ARG_STRING, &options.browser, NULL, NULL },
    { "location", 0, 0, G_OPTION_ARG_STRING, &options.location, NULL, NULL },
    { "after", 0, 0, G_OPTION_ARG_STRING, &options.after, NULL, NULL },
    { "user", 0, 0, G_OPTION_ARG_STRING, &options.user, NULL, NULL },
    { "limit", 0, 0, G_OPTION_ARG_INT, &options.limit, NULL, NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new (NULL);
  g_autoptr (GError) error = NULL;
  int exit_code;

  setlocale (LC_ALL, "");
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--help") == 0 || strcmp (argv[i], "-h") == 0)
        {
          print_usage (stdout);
          return ADMIN_EXIT_OK;
        }
      if (strcmp (argv[i], "--version") == 0)
        {
          printf ("entsec-admin %s\n", PACKAGE_VERSION);
          return ADMIN_EXIT_OK;
        }
    }
  g_option_context_set_help_enabled (context, FALSE);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      admin_print_error ("%s (see 'entsec-admin --help')", error->message);
      options_clear (&options);
      return ADMIN_EXIT_USAGE;
    }
  if (options.limit != -1 && (options.limit < 1 || options.limit > 1000))
    {
      admin_print_error ("--limit must be from 1 to 1000");
      options_clear (&options);
      return ADMIN_EXIT_USAGE;
    }
  curl_global_init (CURL_GLOBAL_DEFAULT);
  exit_code = run (&options, argc, argv);
  curl_global_cleanup ();
  options_clear (&options);
  return exit_code;
}
