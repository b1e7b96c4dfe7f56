/* SPDX-License-Identifier: GPL-3.0-or-later */
/* admin-tokens.c: tokens provision and ack, validate: the calls that carry seeds or codes */

#include "config.h"

#include <string.h>

#include <openssl/crypto.h>

#include <entsec/entsec.h>

#include "admin-commands.h"

#define CODE_MAX_BYTES 16

/* One line of stdin, the code, into @code; FALSE after printing why. Wipe @code after use. */
static gboolean
read_code (const char *command,
           char        code[CODE_MAX_BYTES + 2])
{
  if (fgets (code, CODE_MAX_BYTES + 2, stdin) == NULL)
    code[0] = '\0';
  code[strcspn (code, "\r\n")] = '\0';
  if (code[0] != '\0' && strlen (code) <= CODE_MAX_BYTES)
    return TRUE;
  OPENSSL_cleanse (code, CODE_MAX_BYTES + 2);
  admin_print_error ("%s reads the code from stdin: one line of at most %d characters",
                     command, CODE_MAX_BYTES);
  return FALSE;
}

/*
 * POST {"v":1,"code"} (and "user": @user_id when given) to @path, the code
 * read from stdin for @what; the code never reaches argv.
 */
static int
post_code (const AdminOptions *options,
           const AdminCommand *command,
           const char         *what,
           const char         *path,
           const char         *user_id,
           AdminAuth           auth)
{
  char code[CODE_MAX_BYTES + 2] = "";
  g_autoptr (json_t) body = NULL;

  if (!read_code (what, code))
    return ADMIN_EXIT_REJECTED;
  body = json_pack ("{s:i,s:s}", "v", 1, "code", code);
  OPENSSL_cleanse (code, sizeof code);
  if (user_id != NULL)
    json_object_set_new (body, "user", json_string (user_id));
  return admin_call_and_print (options, command, "POST", path, body, auth);
}

/* validate USER_ID: checks the code on stdin with a relying party's API key. */
int
admin_run_validate (const AdminOptions *options,
                    const AdminCommand *command,
                    char              **args)
{
  return post_code (options, command, "validate", command->path, args[0], ADMIN_AUTH_API_KEY);
}

/* tokens ack TOKEN_ID: the token's current code, from stdin, activates it. */
int
admin_run_token_ack (const AdminOptions *options,
                     const AdminCommand *command,
                     char              **args)
{
  g_autofree char *escaped = g_uri_escape_string (args[0], NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/v1/admin/tokens/%s/ack", escaped);

  return post_code (options, command, "tokens ack", path, NULL, ADMIN_AUTH_TOKEN);
}

/* tokens resync TOKEN_ID: two HOTP codes in a row, one per line of stdin. */
int
admin_run_token_resync (const AdminOptions *options,
                        const AdminCommand *command,
                        char              **args)
{
  g_autofree char *escaped = g_uri_escape_string (args[0], NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/v1/admin/tokens/%s/resync", escaped);
  char code[CODE_MAX_BYTES + 2] = "";
  char next_code[CODE_MAX_BYTES + 2] = "";
  g_autoptr (json_t) body = NULL;

  if (!read_code ("tokens resync", code) || !read_code ("tokens resync", next_code))
    {
      OPENSSL_cleanse (code, sizeof code);
      return ADMIN_EXIT_REJECTED;
    }
  body = json_pack ("{s:i,s:s,s:s}", "v", 1, "code", code, "next_code", next_code);
  OPENSSL_cleanse (code, sizeof code);
  OPENSSL_cleanse (next_code, sizeof next_code);
  return admin_call_and_print (options, command, "POST", path, body, ADMIN_AUTH_TOKEN);
}

/* The body of tokens provision; the server checks the values and names a wrong one. */
static json_t *
provision_body (const AdminOptions *options,
                const char         *user_id)
{
  json_t *body = json_pack ("{s:i,s:s,s:s}", "v", 1, "user", user_id,
                            "type", options->type != NULL ? options->type : "totp");

  if (options->algorithm != NULL)
    json_object_set_new (body, "algorithm", json_string (options->algorithm));
  if (options->digits > 0)
    json_object_set_new (body, "digits", json_integer (options->digits));
  if (options->period > 0)
    json_object_set_new (body, "period", json_integer (options->period));
  if (options->issuer != NULL)
    json_object_set_new (body, "issuer", json_string (options->issuer));
  if (options->label != NULL)
    json_object_set_new (body, "label", json_string (options->label));
  return body;
}

static const char *
member_string (json_t     *token,
               const char *name)
{
  return json_string_value (json_object_get (token, name));
}

/*
 * The otpauth:// URI of the token the server created (@token holds "secret"),
 * labelled with its label or else the user's id. NULL after printing why.
 * Free with entsec_secure_strfree().
 */
static char *
token_uri (json_t *token)
{
  g_autoptr (EntsecAccount) account = entsec_account_new ();
  g_autoptr (GError) error = NULL;
  const char *label = member_string (token, "label");
  const char *algorithm = member_string (token, "algorithm");
  const char *secret = member_string (token, "secret");
  guint8 *seed;
  gsize seed_len = 0;

  if (secret == NULL || algorithm == NULL
      || !entsec_otp_algorithm_from_string (algorithm, &account->algorithm))
    {
      admin_print_error ("the server's answer lacks the token's secret or algorithm");
      return NULL;
    }
  seed = entsec_base32_decode (secret, &seed_len, &error);
  if (seed == NULL)
    {
      admin_print_error ("the server sent a secret that is not Base32");
      return NULL;
    }
  entsec_account_set_secret (account, seed, seed_len);
  entsec_secure_free (seed, seed_len);
  account->type = g_strcmp0 (member_string (token, "type"), "hotp") == 0 ? ENTSEC_ACCOUNT_HOTP
                                                                          : ENTSEC_ACCOUNT_TOTP;
  account->issuer = g_strdup (member_string (token, "issuer"));
  g_free (account->label);
  account->label = g_strdup (label != NULL ? label : member_string (token, "user"));
  account->digits = (guint) json_integer_value (json_object_get (token, "digits"));
  account->period = (guint) json_integer_value (json_object_get (token, "period"));
  return entsec_otpauth_build (account);
}

/* Overwrite a member that holds the seed ("secret", "uri") before it is freed. */
static void
wipe_member (json_t     *token,
             const char *name)
{
  const char *text = member_string (token, name);

  if (text != NULL)
    OPENSSL_cleanse ((char *) text, strlen (text));
}

static int
print_provisioned (const AdminOptions *options,
                   const AdminCommand *command,
                   json_t             *token,
                   const char         *uri)
{
  g_autoptr (GError) error = NULL;

  if (options->qr != NULL && !admin_write_qr_png (uri, options->qr, &error))
    {
      admin_print_error ("the token was created, but its QR code could not be written (%s): "
                         "revoke it with 'tokens revoke TOKEN_ID' and provision another",
                         error->message);
      return ADMIN_EXIT_FAILURE;
    }
  if (options->json)
    {
      json_object_set_new (token, "uri", json_string (uri));
      admin_print_reply (options, command, token);
      wipe_member (token, "uri");
      json_object_del (token, "uri");
    }
  else
    {
      g_autoptr (json_t) shown = json_deep_copy (token);

      json_object_del (shown, "secret");
      admin_print_reply (options, command, shown);
      printf ("uri: %s\n", uri);
    }
  if (options->qr != NULL)
    printf ("QR code written to %s\n", options->qr);
  fflush (stdout);
  return ADMIN_EXIT_OK;
}

/* tokens provision USER_ID: creates the token and prints its seed once, as an otpauth URI. */
int
admin_run_token_provision (const AdminOptions *options,
                           const AdminCommand *command,
                           char              **args)
{
  g_autoptr (json_t) body = provision_body (options, args[0]);
  AdminReply reply = { 0 };
  char *uri;
  int exit_code;

  exit_code = admin_call (options, "POST", "/v1/admin/tokens", body, ADMIN_AUTH_TOKEN, FALSE,
                          &reply);
  if (exit_code != ADMIN_EXIT_OK)
    return exit_code;
  uri = token_uri (reply.body);
  if (uri == NULL)
    exit_code = ADMIN_EXIT_FAILURE;
  else
    exit_code = print_provisioned (options, command, reply.body, uri);
  wipe_member (reply.body, "secret");
  entsec_secure_strfree (uri);
  admin_reply_clear (&reply);
  return exit_code;
}
