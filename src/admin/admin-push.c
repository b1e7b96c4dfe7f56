/* SPDX-License-Identifier: GPL-3.0-or-later */
/* admin-push.c: push: a sign-in request for a user named by id or by name, with its context */

#include "config.h"

#include <string.h>

#include "admin-commands.h"

#define USERS_PAGE 1000

/* Whether @user is the one @wanted names: its name, or its email address. */
static gboolean
user_matches (json_t     *user,
              const char *wanted)
{
  const char *name = json_string_value (json_object_get (user, "name"));
  const char *email = json_string_value (json_object_get (user, "email"));

  return g_strcmp0 (name, wanted) == 0
         || (email != NULL && g_ascii_strcasecmp (email, wanted) == 0);
}

/*
 * The ids of the users whose name (or email address) is @wanted, read page
 * by page through the admin API (--token-file) into @ids. Returns the exit
 * code; the problem was printed.
 */
static int
find_users (const AdminOptions *options,
            const char         *wanted,
            GPtrArray          *ids)
{
  g_autofree char *after = NULL;

  for (;;)
    {
      g_autofree char *escaped = after != NULL ? g_uri_escape_string (after, NULL, FALSE) : NULL;
      g_autofree char *path = g_strdup_printf ("/v1/admin/users?limit=%d%s%s", USERS_PAGE,
                                               escaped != NULL ? "&after=" : "",
                                               escaped != NULL ? escaped : "");
      AdminReply reply = { 0 };
      json_t *users;
      json_t *user;
      size_t i;
      size_t n;
      int exit_code = admin_call (options, "GET", path, NULL, ADMIN_AUTH_TOKEN, FALSE, &reply);

      if (exit_code != ADMIN_EXIT_OK)
        return exit_code;
      users = json_object_get (reply.body, "users");
      n = json_array_size (users);
      json_array_foreach (users, i, user)
        {
          const char *id = json_string_value (json_object_get (user, "id"));

          if (id != NULL && user_matches (user, wanted))
            g_ptr_array_add (ids, g_strdup (id));
        }
      /* The next page starts after the last user of this one. */
      g_free (after);
      after = g_strdup (json_string_value (json_object_get (json_array_get (users, n - 1),
                                                            "id")));
      admin_reply_clear (&reply);
      if (n < USERS_PAGE || after == NULL)
        return ADMIN_EXIT_OK;
    }
}

/*
 * The user id @user stands for: itself when it is an id ("usr_..."),
 * otherwise the one user with that name or email address. NULL (with
 * *exit_code set) after printing why.
 */
static char *
resolve_user (const AdminOptions *options,
              const char         *user,
              int                *exit_code)
{
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *safe = admin_printable (user);

  if (g_str_has_prefix (user, "usr_"))
    return g_strdup (user);
  if (options->token_file == NULL)
    {
      admin_print_error ("push finds the user named '%s' through the admin API: give "
                         "--token-file too, or the user's id (usr_...)", safe);
      *exit_code = ADMIN_EXIT_USAGE;
      return NULL;
    }
  *exit_code = find_users (options, user, ids);
  if (*exit_code != ADMIN_EXIT_OK)
    return NULL;
  if (ids->len == 1)
    return g_strdup (g_ptr_array_index (ids, 0));
  *exit_code = ADMIN_EXIT_REJECTED;
  if (ids->len == 0)
    {
      admin_print_error ("no user is named '%s' or has that email address "
                         "('entsec-admin users list' shows them)", safe);
      return NULL;
    }
  g_ptr_array_add (ids, NULL);
  {
    g_autofree char *joined = g_strjoinv (", ", (char **) ids->pdata);

    admin_print_error ("%u users are named '%s' (%s): give the user's id instead",
                       ids->len - 1, safe, joined);
  }
  return NULL;
}

/* The request's "context": what the device shows about the sign-in. */
static json_t *
push_context (const AdminOptions *options)
{
  const char *names[] = { "app", "ip", "browser", "location" };
  const char *values[] = { options->app, options->ip, options->browser, options->location };
  json_t *context = json_object ();

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (values[i] != NULL)
      json_object_set_new (context, names[i], json_string (values[i]));
  if (json_object_size (context) == 0)
    g_clear_pointer (&context, json_decref);
  return context;
}

/* push USER: POST /v1/auth/push with the relying party's API key. */
int
admin_run_push (const AdminOptions *options,
                const AdminCommand *command,
                char              **args)
{
  int exit_code = ADMIN_EXIT_OK;
  g_autofree char *user_id = resolve_user (options, args[0], &exit_code);
  g_autoptr (json_t) body = NULL;
  json_t *context;

  if (user_id == NULL)
    return exit_code;
  body = json_pack ("{s:i,s:s}", "v", 1, "user", user_id);
  if (options->number_matching != NULL)
    json_object_set_new (body, "number_matching", json_string (options->number_matching));
  context = push_context (options);
  if (context != NULL)
    json_object_set_new (body, "context", context);
  return admin_call_and_print (options, command, command->method, command->path, body,
                               command->auth);
}
