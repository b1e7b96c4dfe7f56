/* SPDX-License-Identifier: GPL-3.0-or-later */
/* admin-commands.c: request bodies, output, and the commands that do more than one call */

#include "config.h"

#include <string.h>

#include <openssl/crypto.h>

#include "admin-commands.h"

#define AUDIT_PAGE 1000
#define AUDIT_TAIL_DEFAULT 20

/* ---- bodies ---- */

json_t *
admin_body_user (const AdminOptions *options,
                 char              **args)
{
  json_t *body = json_pack ("{s:i}", "v", 1);

  if (options->email != NULL)
    json_object_set_new (body, "email", json_string (options->email));
  if (options->phone != NULL)
    json_object_set_new (body, "phone", json_string (options->phone));
  if (options->name != NULL)
    json_object_set_new (body, "name", json_string (options->name));
  return body;
}

json_t *
admin_body_name (const AdminOptions *options,
                 char              **args)
{
  return json_pack ("{s:s}", "name", args[0]);
}

static json_t *
command_body (const char *type)
{
  return json_pack ("{s:i,s:s}", "v", 1, "type", type);
}

json_t *
admin_body_wipe (const AdminOptions *options,
                 char              **args)
{
  return command_body ("wipe");
}

json_t *
admin_body_lock (const AdminOptions *options,
                 char              **args)
{
  return command_body ("lock");
}

json_t *
admin_body_unlock (const AdminOptions *options,
                   char              **args)
{
  return command_body ("unlock");
}

json_t *
admin_body_refresh (const AdminOptions *options,
                    char              **args)
{
  return command_body ("refresh_policy");
}

json_t *
admin_body_v1 (const AdminOptions *options,
               char              **args)
{
  return json_pack ("{s:i}", "v", 1);
}

/* ---- output ---- */

static char *
value_text (json_t *value)
{
  if (value == NULL || json_is_null (value))
    return g_strdup ("-");
  if (json_is_string (value))
    return admin_printable (json_string_value (value));
  return json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* Unix seconds of the members that are times as ISO 8601 UTC, for a person. */
static char *
member_text (const char *name,
             json_t     *value)
{
  g_autoptr (GDateTime) time = NULL;

  static const char *const times[] = { "time", "created", "last_seen", "revoked", "acked",
                                        "locked_until", NULL };

  if (g_strv_contains (times, name) && json_is_integer (value))
    time = g_date_time_new_from_unix_utc (json_integer_value (value));
  if (time != NULL)
    return g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ");
  return value_text (value);
}

static void
print_row (json_t     *row,
           const char *columns)
{
  g_auto (GStrv) names = g_strsplit (columns, ",", -1);

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *text = member_text (names[i], json_object_get (row, names[i]));

      printf ("%s%s", i > 0 ? "\t" : "", text);
    }
  putchar ('\n');
}

static void
print_object (json_t *object)
{
  const char *key;
  json_t *value;

  json_object_foreach (object, key, value)
    {
      g_autofree char *safe_key = admin_printable (key);
      g_autofree char *text = NULL;

      if (strcmp (key, "v") == 0)
        continue;
      text = member_text (key, value);
      printf ("%s: %s\n", safe_key, text);
    }
}

void
admin_print_reply (const AdminOptions *options,
                   const AdminCommand *command,
                   json_t             *body)
{
  json_t *rows = command->list_key != NULL ? json_object_get (body, command->list_key) : NULL;
  size_t i;
  json_t *row;

  if (options->json)
    {
      g_autoptr (json_t) empty = json_object ();
      char *text = json_dumps (body != NULL ? body : empty, JSON_INDENT (2));

      printf ("%s\n", text);
      OPENSSL_cleanse (text, strlen (text)); /* it may hold a seed or a key */
      free (text);
      return;
    }
  if (body == NULL)
    printf ("%s\n", command->done != NULL ? command->done : "Done");
  else if (json_is_array (rows))
    json_array_foreach (rows, i, row)
      print_row (row, command->columns);
  else
    print_object (body);
}

int
admin_call_and_print (const AdminOptions *options,
                      const AdminCommand *command,
                      const char         *method,
                      const char         *path,
                      json_t             *body,
                      AdminAuth           auth)
{
  AdminReply reply = { 0 };
  int exit_code = admin_call (options, method, path, body, auth, FALSE, &reply);

  if (exit_code == ADMIN_EXIT_OK)
    admin_print_reply (options, command, reply.body);
  admin_reply_clear (&reply);
  return exit_code;
}

/* ---- commands of more than one call ---- */

int
admin_run_invite (const AdminOptions *options,
                  const AdminCommand *command,
                  char              **args)
{
  return admin_invite (options, args[0]);
}

/* Page through the log from --after, keeping the last --limit entries. */
int
admin_run_audit_tail (const AdminOptions *options,
                      const AdminCommand *command,
                      char              **args)
{
  g_autoptr (json_t) kept = json_array ();
  g_autoptr (json_t) out = NULL;
  const char *after = options->after != NULL ? options->after : "0";
  g_autofree char *cursor = g_strdup (after);
  guint limit = options->limit > 0 ? (guint) options->limit : AUDIT_TAIL_DEFAULT;

  for (;;)
    {
      g_autofree char *path = g_strdup_printf ("/v1/admin/audit?limit=%d&after=%s", AUDIT_PAGE,
                                               cursor);
      AdminReply reply = { 0 };
      json_t *entries;
      int exit_code = admin_call (options, "GET", path, NULL, ADMIN_AUTH_TOKEN, FALSE, &reply);
      size_t n;

      if (exit_code != ADMIN_EXIT_OK)
        return exit_code;
      entries = json_object_get (reply.body, "entries");
      n = json_array_size (entries);
      json_array_extend (kept, entries);
      while (json_array_size (kept) > limit)
        json_array_remove (kept, 0);
      if (n > 0)
        {
          g_free (cursor);
          cursor = g_strdup_printf ("%" JSON_INTEGER_FORMAT,
                                    json_integer_value (json_object_get (
                                      json_array_get (entries, n - 1), "seq")));
        }
      admin_reply_clear (&reply);
      if (n < AUDIT_PAGE)
        break;
    }
  out = json_pack ("{s:i,s:O}", "v", 1, "entries", kept);
  admin_print_reply (options, command, out);
  return ADMIN_EXIT_OK;
}

/* tenant | user ID | device ID -> the policy's path; NULL after printing why. */
static char *
policy_path (char **args)
{
  guint n = g_strv_length (args);

  if (n == 1 && strcmp (args[0], "tenant") == 0)
    return g_strdup ("/v1/admin/policies/tenant");
  if (n == 2 && (strcmp (args[0], "user") == 0 || strcmp (args[0], "device") == 0))
    {
      g_autofree char *escaped = g_uri_escape_string (args[1], NULL, FALSE);

      return g_strdup_printf ("/v1/admin/policies/%ss/%s", args[0], escaped);
    }
  admin_print_error ("a policy is named by 'tenant', 'user USER_ID' or 'device DEVICE_ID'");
  return NULL;
}

/* The "settings" of a policy document: {"v":1,"settings":{...}}, as policies show --json prints. */
static json_t *
policy_settings (json_t *document)
{
  const char *key;
  json_t *value;

  json_object_foreach (document, key, value)
    {
      if (strcmp (key, "v") != 0 && strcmp (key, "scope") != 0 && strcmp (key, "settings") != 0)
        return NULL;
    }
  value = json_object_get (document, "settings");
  return json_is_object (value) ? json_incref (value) : NULL;
}

/* The settings of the policy document in --file; NULL after printing why. */
static json_t *
load_policy_file (const AdminOptions *options)
{
  g_autofree char *data = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (json_t) root = NULL;
  gsize len = 0;
  json_t *settings;

  if (options->file == NULL)
    {
      admin_print_error ("give the policy as a JSON file with --file FILE");
      return NULL;
    }
  if (!g_file_get_contents (options->file, &data, &len, &error))
    {
      admin_print_error ("%s", error->message);
      return NULL;
    }
  root = entsec_json_load_object (data, len, ENTSEC_JSON_MAX_BYTES, ENTSEC_JSON_MAX_DEPTH,
                                  "The policy file", &error);
  if (root == NULL)
    {
      g_autofree char *text = admin_printable (error->message);

      admin_print_error ("%s", text);
      return NULL;
    }
  settings = policy_settings (root);
  if (settings == NULL)
    admin_print_error ("the policy file must be {\"v\":1,\"settings\":{...}} (as 'policies "
                       "show --json' prints it, \"scope\" allowed), with nothing else");
  return settings;
}

/* Every scalar (and array) of @value under its dotted path, into @flat. */
static void
flatten (json_t     *value,
         const char *prefix,
         GTree      *flat)
{
  const char *key;
  json_t *member;

  if (!json_is_object (value))
    {
      g_tree_insert (flat, g_strdup (prefix), json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY));
      return;
    }
  json_object_foreach (value, key, member)
    {
      g_autofree char *path = prefix[0] != '\0' ? g_strconcat (prefix, ".", key, NULL)
                                                : g_strdup (key);

      flatten (member, path, flat);
    }
}

static gint
compare_keys (gconstpointer a,
              gconstpointer b,
              gpointer      user_data)
{
  return strcmp (a, b);
}

static gboolean
print_setting (gpointer key,
               gpointer value,
               gpointer user_data)
{
  g_autofree char *safe_key = admin_printable (key);
  g_autofree char *safe_value = admin_printable (value);

  printf ("%s: %s\n", safe_key, safe_value);
  return FALSE;
}

/* @object as one "path.to.member: value" line per scalar, sorted, without "v". */
static void
print_flat (json_t *object)
{
  g_autoptr (GTree) flat = g_tree_new_full (compare_keys, NULL, g_free, free);
  g_autoptr (json_t) copy = json_deep_copy (object);

  json_object_del (copy, "v");
  flatten (copy, "", flat);
  g_tree_foreach (flat, print_setting, NULL);
}

int
admin_run_status (const AdminOptions *options,
                  const AdminCommand *command,
                  char              **args)
{
  AdminReply reply = { 0 };
  int exit_code = admin_call (options, command->method, command->path, NULL, command->auth,
                              FALSE, &reply);

  if (exit_code == ADMIN_EXIT_OK && (options->json || !json_is_object (reply.body)))
    admin_print_reply (options, command, reply.body);
  else if (exit_code == ADMIN_EXIT_OK)
    print_flat (reply.body);
  admin_reply_clear (&reply);
  return exit_code;
}

/* policies show for a person: the scope, then one "section.key: value" line per setting. */
static void
print_policy (json_t *policy)
{
  g_autoptr (GTree) flat = g_tree_new_full (compare_keys, NULL, g_free, free);
  g_autofree char *scope = admin_printable (json_string_value (json_object_get (policy,
                                                                                 "scope")));

  printf ("scope: %s\n", scope);
  flatten (json_object_get (policy, "settings"), "", flat);
  g_tree_foreach (flat, print_setting, NULL);
}

int
admin_run_policy_show (const AdminOptions *options,
                       const AdminCommand *command,
                       char              **args)
{
  g_autofree char *path = policy_path (args);
  AdminReply reply = { 0 };
  int exit_code;

  if (path == NULL)
    return ADMIN_EXIT_USAGE;
  exit_code = admin_call (options, "GET", path, NULL, ADMIN_AUTH_TOKEN, FALSE, &reply);
  if (exit_code == ADMIN_EXIT_OK && options->json)
    admin_print_reply (options, command, reply.body);
  else if (exit_code == ADMIN_EXIT_OK)
    print_policy (reply.body);
  admin_reply_clear (&reply);
  return exit_code;
}

int
admin_run_policy_set (const AdminOptions *options,
                      const AdminCommand *command,
                      char              **args)
{
  g_autofree char *path = policy_path (args);
  g_autoptr (json_t) settings = NULL;
  g_autoptr (json_t) body = NULL;

  if (path == NULL)
    return ADMIN_EXIT_USAGE;
  settings = load_policy_file (options);
  if (settings == NULL)
    return ADMIN_EXIT_REJECTED;
  body = json_pack ("{s:i,s:O}", "v", 1, "settings", settings);
  return admin_call_and_print (options, command, "PUT", path, body, ADMIN_AUTH_TOKEN);
}

typedef struct
{
  GTree      *other;
  const char *sign;
} DiffSide;

/* Print the entry of one side when the other side lacks it or has another value. */
static gboolean
print_changed (gpointer key,
               gpointer value,
               gpointer user_data)
{
  const DiffSide *side = user_data;
  const char *other_value = g_tree_lookup (side->other, key);

  if (other_value == NULL || strcmp (other_value, value) != 0)
    {
      g_autofree char *safe_key = admin_printable (key);
      g_autofree char *safe_value = admin_printable (value);

      printf ("%s %s: %s\n", side->sign, safe_key, safe_value);
    }
  return FALSE;
}

/* Print "- path: old" / "+ path: new" for every value that differs; TRUE if any. */
gboolean
admin_print_diff (json_t *current,
                  json_t *wanted)
{
  g_autoptr (GTree) old_values = g_tree_new_full (compare_keys, NULL, g_free, free);
  g_autoptr (GTree) new_values = g_tree_new_full (compare_keys, NULL, g_free, free);
  DiffSide removed = { new_values, "-" };
  DiffSide added = { old_values, "+" };

  flatten (current, "", old_values);
  flatten (wanted, "", new_values);
  g_tree_foreach (old_values, print_changed, &removed);
  g_tree_foreach (new_values, print_changed, &added);
  return !json_equal (current, wanted);
}

/* With --json {"v":1,"differs","current","wanted"}, else the lines of admin_print_diff(). */
static void
print_policy_diff (const AdminOptions *options,
                   json_t             *current,
                   json_t             *wanted)
{
  g_autoptr (json_t) out = NULL;
  g_autofree char *text = NULL;

  if (!options->json)
    {
      if (!admin_print_diff (current, wanted))
        printf ("No difference\n");
      return;
    }
  out = json_pack ("{s:i,s:b,s:O?,s:O}", "v", 1, "differs", !json_equal (current, wanted),
                   "current", current, "wanted", wanted);
  text = json_dumps (out, JSON_INDENT (2));
  printf ("%s\n", text);
}

int
admin_run_policy_diff (const AdminOptions *options,
                       const AdminCommand *command,
                       char              **args)
{
  g_autofree char *path = policy_path (args);
  g_autoptr (json_t) wanted = NULL;
  AdminReply reply = { 0 };
  int exit_code;

  if (path == NULL)
    return ADMIN_EXIT_USAGE;
  wanted = load_policy_file (options);
  if (wanted == NULL)
    return ADMIN_EXIT_REJECTED;
  exit_code = admin_call (options, "GET", path, NULL, ADMIN_AUTH_TOKEN, FALSE, &reply);
  if (exit_code == ADMIN_EXIT_OK)
    print_policy_diff (options, json_object_get (reply.body, "settings"), wanted);
  admin_reply_clear (&reply);
  return exit_code;
}
