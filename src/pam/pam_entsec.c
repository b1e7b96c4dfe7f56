/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pam_entsec.c: the PAM module (auth) that has entsec-server approve a
 * sign-in: a push to the user's phone with number matching, or a TOTP code,
 * through the server's relying party API (docs/protocol.md 8.10, 8.12).
 *
 * This module is loaded into sshd, sudo and login, so it links neither
 * libentsec nor GLib: libentsec's HTTP layer returns GLib types (GError,
 * GBytes) and the library brings GObject, SQLite and libsecret into the
 * host process; GLib cannot be unloaded (it is linked -z nodelete) and its
 * global state and worker threads would outlive a pam_end(). Here every
 * call is synchronous on the caller's thread, with one libcurl handle per
 * authentication, no threads, no signals, no global state and nothing
 * written to stdout: messages go through the PAM conversation, logs
 * through pam_syslog(), and neither ever holds a code, a number or a key.
 */

#include "config.h"

#include <errno.h>
#include <libintl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define PAM_SM_AUTH
#include <security/pam_ext.h>
#include <security/pam_modules.h>

#include "pam-entsec-config.h"
#include "pam-entsec-http.h"

#define _(text) dgettext (GETTEXT_PACKAGE, text)
/* the module is built with hidden visibility: only these two leave it */
#define ENTSEC_PAM_EXPORT __attribute__ ((visibility ("default")))

#define ERROR_MAX 512
#define POLL_INTERVAL_NS 500000000L
#define CALL_TIMEOUT 10
#define LAST_LOOK_TIMEOUT 5
#define CODE_MIN 6
#define CODE_MAX 10
#define CONTEXT_MAX 200
#define BODY_MAX 512
#define LOG_NAME_MAX 64

typedef struct
{
  pam_handle_t    *pamh;
  EntsecPamOptions options;
  EntsecPamClient  client;
  const char      *login;
  char            *user;     /* the entsec user */
  char             login_shown[LOG_NAME_MAX + 1]; /* for logs: printable, cut */
  char             user_shown[LOG_NAME_MAX + 1];
  bool             silent;   /* PAM_SILENT: no informational messages */
  struct timespec  deadline; /* CLOCK_MONOTONIC */
} Auth;

/* @name for a log line: printable ASCII (a login name may come from the
 * network, as with sshd), cut at LOG_NAME_MAX. */
static void
shown (const char *name,
       char        out[LOG_NAME_MAX + 1])
{
  size_t i;

  for (i = 0; i < LOG_NAME_MAX && name[i] != '\0'; i++)
    out[i] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
  out[i] = '\0';
}

/* Seconds left before the deadline, at most CALL_TIMEOUT; 0 when it passed. */
static long
call_timeout (const Auth *auth)
{
  struct timespec now;
  long left;

  clock_gettime (CLOCK_MONOTONIC, &now);
  left = (long) (auth->deadline.tv_sec - now.tv_sec);
  if (auth->deadline.tv_nsec > now.tv_nsec)
    left++;
  if (left <= 0)
    return 0;
  return left < CALL_TIMEOUT ? left : CALL_TIMEOUT;
}

/* An informational message; PAM_SILENT drops it. */
static void
inform (Auth       *auth,
        const char *text)
{
  if (!auth->silent)
    pam_info (auth->pamh, "%s", text);
}

/* A failed call: with offline=allow, a server that cannot be reached at
 * all lets the user in; a refused certificate never does. */
static int
network_failure (Auth         *auth,
                 EntsecPamNet  kind,
                 const char   *error)
{
  if (kind == ENTSEC_PAM_NET_UNREACHABLE && auth->options.offline_allow)
    {
      pam_syslog (auth->pamh, LOG_WARNING, "%s; offline=allow lets %s in without approval",
                  error, auth->login_shown);
      return PAM_SUCCESS;
    }
  pam_syslog (auth->pamh, LOG_ERR, "%s", error);
  inform (auth, kind == ENTSEC_PAM_NET_TLS
          ? _("The sign-in server's certificate was refused. Contact your administrator.")
          : _("The sign-in server cannot be reached. Try again later."));
  /* only "not reachable at all" is AUTHINFO_UNAVAIL, which a PAM line may
   * choose to ignore; a server that took the connection and failed is not */
  return kind == ENTSEC_PAM_NET_UNREACHABLE ? PAM_AUTHINFO_UNAVAIL : PAM_AUTH_ERR;
}

/* An answer other than the one expected: logged with the server's words. */
static int
unexpected_answer (Auth       *auth,
                   const char *call,
                   long        status,
                   json_t     *answer)
{
  char text[160];

  entsec_pam_problem_text (answer, text, sizeof text);
  if (status == 401)
    {
      pam_syslog (auth->pamh, LOG_ERR, "%s: the server refused the API key of key_file=%s",
                  call, auth->options.key_file);
      return PAM_SERVICE_ERR;
    }
  pam_syslog (auth->pamh, LOG_ERR, "%s for %s: HTTP %ld %s", call, auth->login_shown, status,
              text);
  return PAM_AUTH_ERR;
}

/* A printable, non-empty copy of @value for the push context, or NULL. */
static json_t *
context_string (const char *value)
{
  char copy[CONTEXT_MAX + 1];
  size_t n = 0;

  for (size_t i = 0; value != NULL && value[i] != '\0' && n < CONTEXT_MAX; i++)
    if (value[i] >= 0x20 && value[i] < 0x7f)
      copy[n++] = value[i];
  copy[n] = '\0';
  return n > 0 ? json_string (copy) : NULL;
}

static void
context_add (json_t     *context,
             const char *name,
             const char *value)
{
  json_t *string = context_string (value);

  if (string != NULL)
    json_object_set_new (context, name, string);
}

/* What the phone shows: the service, this host, the login and where from. */
static json_t *
push_context (Auth *auth)
{
  json_t *context = json_object ();
  const void *service = NULL, *rhost = NULL;
  char host[256] = "";

  pam_get_item (auth->pamh, PAM_SERVICE, &service);
  pam_get_item (auth->pamh, PAM_RHOST, &rhost);
  if (gethostname (host, sizeof host - 1) != 0)
    host[0] = '\0';
  context_add (context, "app", service);
  context_add (context, "host", host);
  context_add (context, "login", auth->login);
  context_add (context, "from", rhost);
  return context;
}

static bool
state_is (const char *state,
                 const char *expected)
{
  return state != NULL && strcmp (state, expected) == 0;
}

/* An id that is safe in a URL path: base64url characters, as the server makes them. */
static bool
is_transaction_id (const char *id)
{
  return id != NULL && strlen (id) <= 128 && entsec_pam_is_base64url (id, strlen (id));
}

/* Starts a push: its transaction id (malloc'd) and number (0: none). */
static int
start_push (Auth  *auth,
            char **tx_id,
            int   *number)
{
  json_t *request = json_pack ("{s:i,s:s,s:o,s:s}", "v", 1, "user", auth->user,
                               "context", push_context (auth), "number_matching", "enter");
  char *body = request != NULL ? json_dumps (request, JSON_COMPACT) : NULL;
  char error[ERROR_MAX];
  json_t *answer = NULL;
  long status = 0;
  EntsecPamNet kind;
  int result;

  json_decref (request);
  if (body == NULL)
    return PAM_BUF_ERR;
  kind = entsec_pam_client_call (&auth->client, "POST", "/v1/auth/push", body,
                                 call_timeout (auth), &status, &answer, error, sizeof error);
  free (body);
  if (kind != ENTSEC_PAM_NET_OK)
    return network_failure (auth, kind, error);
  if (status == 404)
    {
      pam_syslog (auth->pamh, LOG_NOTICE, "entsec-server has no enabled user %s (login %s)",
                  auth->user_shown, auth->login_shown);
      result = PAM_USER_UNKNOWN;
    }
  else if (status == 429)
    {
      inform (auth, _("Too many sign-in requests are waiting on your phone. Try again later."));
      result = unexpected_answer (auth, "push", status, answer);
    }
  else if (status != 201
           || !is_transaction_id (json_string_value (json_object_get (answer, "transaction_id"))))
    result = unexpected_answer (auth, "push", status, answer);
  else
    {
      *tx_id = strdup (json_string_value (json_object_get (answer, "transaction_id")));
      *number = (int) json_integer_value (json_object_get (answer, "number"));
      result = *tx_id != NULL ? PAM_SUCCESS : PAM_BUF_ERR;
      if (result == PAM_SUCCESS
          && state_is (json_string_value (json_object_get (answer, "state")), "muted"))
        result = PAM_IGNORE; /* told apart below: denied without asking the phone */
    }
  json_decref (answer);
  return result;
}

/* The number on the screen, to type on the phone. With prompt=enter it
 * comes with a prompt, because sshd shows messages only with a prompt. */
static int
show_number (Auth *auth,
             int   number)
{
  char text[256];
  char *response = NULL;
  int result;

  if (number > 0)
    snprintf (text, sizeof text, _("Approve the sign-in on your phone: number %d"), number);
  else
    snprintf (text, sizeof text, "%s", _("Approve the sign-in on your phone"));
  if (auth->options.prompt == ENTSEC_PAM_PROMPT_NONE)
    {
      /* not inform(): without the number the user cannot approve */
      result = pam_info (auth->pamh, "%s", text);
      return result == PAM_SUCCESS ? PAM_SUCCESS : PAM_CONV_ERR;
    }
  result = pam_prompt (auth->pamh, PAM_PROMPT_ECHO_ON, &response, "%s\n%s", text,
                       _("Press Enter once you have approved: "));
  free (response);
  return result == PAM_SUCCESS ? PAM_SUCCESS : PAM_CONV_ERR;
}

/* A transaction's final state as a PAM result; PAM_INCOMPLETE while pending. */
static int
final_state (Auth   *auth,
             json_t *answer)
{
  const char *state = json_string_value (json_object_get (answer, "state"));
  const char *reason = json_string_value (json_object_get (answer, "deny_reason"));
  char state_shown[LOG_NAME_MAX + 1], reason_shown[LOG_NAME_MAX + 1];

  if (state == NULL || strcmp (state, "pending") == 0)
    return PAM_INCOMPLETE;
  if (strcmp (state, "approved") == 0)
    return PAM_SUCCESS;
  if (strcmp (state, "denied") == 0 && reason != NULL && strcmp (reason, "wrong_number") == 0)
    inform (auth, _("The number entered on the phone was wrong. The sign-in is refused."));
  else if (strcmp (state, "denied") == 0)
    inform (auth, _("The sign-in was denied on the phone."));
  else
    inform (auth, _("The sign-in request expired."));
  shown (state, state_shown);
  shown (reason != NULL ? reason : "", reason_shown);
  pam_syslog (auth->pamh, LOG_NOTICE, "sign-in of %s %s%s%s", auth->login_shown, state_shown,
              reason != NULL ? ": " : "", reason_shown);
  return PAM_AUTH_ERR;
}

static void
pause_between_polls (void)
{
  struct timespec wait = { 0, POLL_INTERVAL_NS };

  while (nanosleep (&wait, &wait) != 0 && errno == EINTR)
    ;
}

/* Polls the transaction until it is decided or the deadline passes. */
static int
wait_for_answer (Auth       *auth,
                 const char *tx_id)
{
  char path[256], error[ERROR_MAX];

  snprintf (path, sizeof path, "/v1/auth/transactions/%s", tx_id);
  for (unsigned polls = 0;; polls++)
    {
      json_t *answer = NULL;
      long status = 0;
      EntsecPamNet kind;
      int result;
      long timeout = call_timeout (auth);

      if (timeout == 0 && polls > 0)
        break;
      /* after a prompt=enter that took the whole time: one last look */
      if (timeout == 0)
        timeout = LAST_LOOK_TIMEOUT;
      kind = entsec_pam_client_call (&auth->client, "GET", path, NULL, timeout, &status,
                                     &answer, error, sizeof error);
      if (kind != ENTSEC_PAM_NET_OK)
        {
          /* reached once already: never "offline" now */
          pam_syslog (auth->pamh, LOG_ERR, "%s", error);
          return PAM_AUTH_ERR;
        }
      result = status == 200 ? final_state (auth, answer)
                             : unexpected_answer (auth, "transaction", status, answer);
      json_decref (answer);
      if (result != PAM_INCOMPLETE)
        return result;
      pause_between_polls ();
    }
  inform (auth, _("No answer came from your phone in time. The sign-in is refused."));
  pam_syslog (auth->pamh, LOG_NOTICE, "sign-in of %s: no answer within timeout=%u",
              auth->login_shown,
              auth->options.timeout);
  return PAM_AUTH_ERR;
}

static int
run_push (Auth *auth)
{
  char *tx_id = NULL;
  int number = 0;
  int result = start_push (auth, &tx_id, &number);

  if (result == PAM_IGNORE)
    {
      pam_syslog (auth->pamh, LOG_NOTICE, "sign-in of %s refused: the user's sign-in "
                  "requests are muted after a \"not me\" answer", auth->login_shown);
      inform (auth, _("Sign-in requests to your phone are paused. Try again later."));
      result = PAM_AUTH_ERR;
    }
  else if (result == PAM_SUCCESS && tx_id != NULL)
    {
      result = show_number (auth, number);
      number = 0;
      if (result == PAM_SUCCESS)
        result = wait_for_answer (auth, tx_id);
    }
  free (tx_id);
  return result;
}

/* The validate body with @code, into @body (wiped by the caller); the code
 * is digits only, so it needs no escaping. */
static bool
validate_body (const Auth *auth,
               const char *code,
               char        body[BODY_MAX])
{
  json_t *rest = json_pack ("{s:i,s:s}", "v", 1, "user", auth->user);
  char *text = rest != NULL ? json_dumps (rest, JSON_COMPACT) : NULL;
  bool ok = text != NULL && text[0] == '{'
            && (size_t) snprintf (body, BODY_MAX, "{\"code\":\"%s\",%s", code, text + 1)
               < BODY_MAX;

  json_decref (rest);
  free (text);
  return ok;
}

static bool
is_code (const char *code)
{
  size_t len = strlen (code);

  if (len < CODE_MIN || len > CODE_MAX)
    return false;
  for (size_t i = 0; i < len; i++)
    if (code[i] < '0' || code[i] > '9')
      return false;
  return true;
}

static int
validate_answer (Auth   *auth,
                 long    status,
                 json_t *answer)
{
  if (status == 200 && json_string_value (json_object_get (answer, "result")) != NULL
      && strcmp (json_string_value (json_object_get (answer, "result")), "valid") == 0)
    return PAM_SUCCESS;
  if (status == 400 || status == 429 || status == 403)
    {
      inform (auth, status == 400 ? _("The code is not valid.")
                                  : _("Too many wrong codes. Try again later."));
      pam_syslog (auth->pamh, LOG_NOTICE, "code of %s refused (HTTP %ld)", auth->login_shown,
                  status);
      return status == 400 ? PAM_AUTH_ERR : PAM_MAXTRIES;
    }
  return unexpected_answer (auth, "validate", status, answer);
}

static int
run_totp (Auth *auth)
{
  char *code = NULL;
  char body[BODY_MAX];
  char error[ERROR_MAX];
  json_t *answer = NULL;
  long status = 0;
  EntsecPamNet kind;
  int result = pam_prompt (auth->pamh, PAM_PROMPT_ECHO_OFF, &code, "%s",
                           _("Code from your authenticator: "));

  if (result != PAM_SUCCESS || code == NULL)
    return PAM_CONV_ERR;
  if (!is_code (code) || !validate_body (auth, code, body))
    {
      inform (auth, _("The code is not valid."));
      OPENSSL_cleanse (code, strlen (code));
      free (code);
      return PAM_AUTH_ERR;
    }
  OPENSSL_cleanse (code, strlen (code));
  free (code);
  kind = entsec_pam_client_call (&auth->client, "POST", "/v1/auth/validate", body,
                                 call_timeout (auth), &status, &answer, error, sizeof error);
  OPENSSL_cleanse (body, sizeof body);
  result = kind == ENTSEC_PAM_NET_OK ? validate_answer (auth, status, answer)
                                     : network_failure (auth, kind, error);
  json_decref (answer);
  return result;
}

/* Options, login, entsec user and API key; PAM_SUCCESS when all are there. */
static int
prepare (Auth        *auth,
         int          argc,
         const char **argv)
{
  char error[ERROR_MAX];
  char key[ENTSEC_PAM_API_KEY_MAX + 1];
  bool unknown = false;
  bool ok;
  int result;

  if (!entsec_pam_options_parse (argc, argv, &auth->options, error, sizeof error))
    {
      pam_syslog (auth->pamh, LOG_ERR, "%s", error);
      return PAM_SERVICE_ERR;
    }
  result = pam_get_user (auth->pamh, &auth->login, NULL);
  if (result != PAM_SUCCESS || auth->login == NULL || auth->login[0] == '\0')
    return result != PAM_SUCCESS ? result : PAM_USER_UNKNOWN;
  shown (auth->login, auth->login_shown);
  auth->user = entsec_pam_map_user (auth->options.user_map, auth->login, &unknown, error,
                                    sizeof error);
  if (auth->user != NULL)
    shown (auth->user, auth->user_shown);
  if (auth->user == NULL && unknown)
    {
      pam_syslog (auth->pamh, LOG_NOTICE, "login %s is not in user_map=%s", auth->login_shown,
                  auth->options.user_map);
      return PAM_USER_UNKNOWN;
    }
  if (auth->user == NULL)
    {
      pam_syslog (auth->pamh, LOG_ERR, "%s", error);
      return PAM_SERVICE_ERR;
    }
  ok = entsec_pam_read_api_key (auth->options.key_file, key, error, sizeof error)
       && entsec_pam_client_init (&auth->client, &auth->options, key, error, sizeof error);
  OPENSSL_cleanse (key, sizeof key);
  if (!ok)
    {
      pam_syslog (auth->pamh, LOG_ERR, "%s", error);
      return PAM_SERVICE_ERR;
    }
  return PAM_SUCCESS;
}

ENTSEC_PAM_EXPORT PAM_EXTERN int
pam_sm_authenticate (pam_handle_t *pamh,
                     int           flags,
                     int           argc,
                     const char  **argv)
{
  Auth auth = { .pamh = pamh, .silent = (flags & PAM_SILENT) != 0 };
  int result;

  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  result = prepare (&auth, argc, argv);
  if (result == PAM_SUCCESS)
    {
      clock_gettime (CLOCK_MONOTONIC, &auth.deadline);
      auth.deadline.tv_sec += auth.options.timeout;
      result = auth.options.mode == ENTSEC_PAM_MODE_TOTP ? run_totp (&auth) : run_push (&auth);
      if (result == PAM_SUCCESS)
        pam_syslog (pamh, LOG_INFO, "sign-in of %s (entsec user %s) accepted",
                    auth.login_shown, auth.user_shown);
    }
  entsec_pam_client_clear (&auth.client);
  free (auth.user);
  return result;
}

ENTSEC_PAM_EXPORT PAM_EXTERN int
pam_sm_setcred (pam_handle_t *pamh,
                int           flags,
                int           argc,
                const char  **argv)
{
  return PAM_SUCCESS;
}
