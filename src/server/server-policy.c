/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-policy.c: policy settings. One table says every key, its type, its
 * range and its default; checking, defaults and merging all read it.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include "entsec-protocol.h"
#include "server-policy.h"

typedef enum
{
  KIND_BOOL,
  KIND_INT,
  KIND_CHOICE,
  KIND_LIST,
  KIND_VERSION,
} Kind;

typedef struct
{
  const char        *section;
  const char        *key;
  Kind               kind;
  gint64             min;
  gint64             max;
  const char *const *choices;
  const char        *fallback; /* the default, as JSON text */
} Setting;

static const char *const unlock_modes[] = { "none", "passphrase", "pin", NULL };
static const char *const after_attempts[] = { "delay", "wipe", NULL };
static const char *const algorithms[] = { "SHA1", "SHA256", "SHA512", NULL };
static const char *const matching[] = { "enter", "choose", "none", NULL };
static const char *const claims[] = { "machine_fp", "macs", "dmi", "os", NULL };
static const char *const mismatch_rules[] = { "warn", "lock", "wipe", NULL };

#define YEAR (365 * 24 * 3600)

static const Setting settings_table[] = {
  { "app_unlock", "required", KIND_CHOICE, 0, 0, unlock_modes, "\"passphrase\"" },
  { "app_unlock", "min_length", KIND_INT, 4, 128, NULL, "8" },
  { "app_unlock", "max_attempts", KIND_INT, 1, 100, NULL, "10" },
  { "app_unlock", "after_max_attempts", KIND_CHOICE, 0, 0, after_attempts, "\"delay\"" },
  { "app_unlock", "relock_after_idle", KIND_INT, 0, 86400, NULL, "300" },
  { "offline", "block_after", KIND_INT, 0, YEAR, NULL, "43200" },
  { "offline", "wipe_after", KIND_INT, 0, 10 * YEAR, NULL, "7776000" },
  { "tokens", "allow_manual_add", KIND_BOOL, 0, 0, NULL, "true" },
  { "tokens", "allow_qr_import", KIND_BOOL, 0, 0, NULL, "true" },
  { "tokens", "allow_migration_import", KIND_BOOL, 0, 0, NULL, "true" },
  { "tokens", "allow_export", KIND_BOOL, 0, 0, NULL, "false" },
  { "tokens", "allow_user_delete", KIND_BOOL, 0, 0, NULL, "true" },
  { "tokens", "allowed_algorithms", KIND_LIST, 1, 3, algorithms,
    "[\"SHA1\",\"SHA256\",\"SHA512\"]" },
  { "tokens", "min_digits", KIND_INT, 6, 8, NULL, "6" },
  { "clipboard", "allow_copy", KIND_BOOL, 0, 0, NULL, "true" },
  { "clipboard", "clear_after", KIND_INT, 0, 3600, NULL, "30" },
  { "push", "number_matching", KIND_CHOICE, 0, 0, matching, "\"enter\"" },
  { "push", "fraud_mute", KIND_INT, 0, 86400, NULL, "1200" },
  { "binding", "collect", KIND_LIST, 0, 4, claims, "[\"machine_fp\"]" },
  { "binding", "on_mismatch", KIND_CHOICE, 0, 0, mismatch_rules, "\"warn\"" },
  { "binding", "min_client_version", KIND_VERSION, 0, 0, NULL, "\"0\"" },
  { "device", "allow_user_unbind", KIND_BOOL, 0, 0, NULL, "true" },
  { "sync", "policy_refresh", KIND_INT, 60, 86400, NULL, "3600" },
  { "sync", "heartbeat", KIND_INT, 60, 86400, NULL, "3600" },
  { "sync", "events_wait", KIND_INT, 0, 30, NULL, "25" },
};

static const Setting *
find_setting (const char *section,
              const char *key)
{
  for (guint i = 0; i < G_N_ELEMENTS (settings_table); i++)
    {
      if (strcmp (settings_table[i].section, section) == 0
          && (key == NULL || strcmp (settings_table[i].key, key) == 0))
        return &settings_table[i];
    }
  return NULL;
}

static gboolean
is_choice (const Setting *s,
           json_t        *value)
{
  return json_is_string (value) && g_strv_contains (s->choices, json_string_value (value));
}

static gboolean
is_list (const Setting *s,
         json_t        *value)
{
  size_t index;
  json_t *item;

  if (!json_is_array (value) || json_array_size (value) < (size_t) s->min
      || json_array_size (value) > (size_t) s->max)
    return FALSE;
  json_array_foreach (value, index, item)
    {
      for (size_t j = 0; j < index; j++)
        {
          if (json_equal (item, json_array_get (value, j)))
            return FALSE;
        }
      if (!is_choice (s, item))
        return FALSE;
    }
  return TRUE;
}

/* "1", "1.2" or "1.2.3", each part at most 5 digits. */
static gboolean
is_version (json_t *value)
{
  g_auto (GStrv) parts = NULL;
  guint n;

  if (!json_is_string (value))
    return FALSE;
  parts = g_strsplit (json_string_value (value), ".", 4);
  n = g_strv_length (parts);
  if (n < 1 || n > 3)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      gsize len = strlen (parts[i]);

      if (len == 0 || len > 5 || strspn (parts[i], "0123456789") != len)
        return FALSE;
    }
  return TRUE;
}

static gboolean
value_ok (const Setting *s,
          json_t        *value)
{
  switch (s->kind)
    {
    case KIND_BOOL:
      return json_is_boolean (value);
    case KIND_INT:
      return json_is_integer (value) && json_integer_value (value) >= s->min
             && json_integer_value (value) <= s->max;
    case KIND_CHOICE:
      return is_choice (s, value);
    case KIND_LIST:
      return is_list (s, value);
    case KIND_VERSION:
      return is_version (value);
    default:
      g_assert_not_reached ();
    }
}

static void
describe (const Setting *s,
          GError       **error)
{
  g_autofree char *choices = s->choices != NULL ? g_strjoinv ("\", \"", (char **) s->choices)
                                                : NULL;

  switch (s->kind)
    {
    case KIND_BOOL:
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                   "\"settings.%s.%s\" must be true or false", s->section, s->key);
      break;
    case KIND_INT:
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                   "\"settings.%s.%s\" must be an integer from %" G_GINT64_FORMAT " to %"
                   G_GINT64_FORMAT, s->section, s->key, s->min, s->max);
      break;
    case KIND_CHOICE:
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                   "\"settings.%s.%s\" must be one of \"%s\"", s->section, s->key, choices);
      break;
    case KIND_LIST:
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                   "\"settings.%s.%s\" must be a list of %" G_GINT64_FORMAT " to %"
                   G_GINT64_FORMAT " different values out of \"%s\"", s->section, s->key,
                   s->min, s->max, choices);
      break;
    case KIND_VERSION:
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                   "\"settings.%s.%s\" must be a version such as \"1.4\" or \"1.4.2\"",
                   s->section, s->key);
      break;
    default:
      g_assert_not_reached ();
    }
}

static gboolean
check_section (const char *section,
               json_t     *members,
               GError    **error)
{
  const char *key;
  json_t *value;

  if (!json_is_object (members))
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                   "\"settings.%s\" must be an object", section);
      return FALSE;
    }
  json_object_foreach (members, key, value)
    {
      const Setting *s = find_setting (section, key);

      if (s == NULL)
        {
          g_autofree char *safe = g_strescape (key, NULL);

          g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                       "Unknown setting \"settings.%s.%.60s\" (docs/protocol.md section 8.5 "
                       "lists them)", section, safe);
          return FALSE;
        }
      if (!value_ok (s, value))
        {
          describe (s, error);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
entsec_policy_check_settings (json_t  *settings,
                              GError **error)
{
  const char *section;
  json_t *members;

  if (!json_is_object (settings))
    {
      g_set_error_literal (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                           "\"settings\" must be an object of sections");
      return FALSE;
    }
  json_object_foreach (settings, section, members)
    {
      if (find_setting (section, NULL) == NULL)
        {
          g_autofree char *safe = g_strescape (section, NULL);

          g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_INVALID,
                       "Unknown section \"settings.%.60s\" (docs/protocol.md section 8.5 "
                       "lists them)", safe);
          return FALSE;
        }
      if (!check_section (section, members, error))
        return FALSE;
    }
  return TRUE;
}

json_t *
entsec_policy_defaults (void)
{
  json_t *settings = json_object ();

  for (guint i = 0; i < G_N_ELEMENTS (settings_table); i++)
    {
      const Setting *s = &settings_table[i];
      json_t *section = json_object_get (settings, s->section);
      json_t *value = json_loads (s->fallback, JSON_DECODE_ANY, NULL);

      g_assert (value != NULL && value_ok (s, value));
      if (section == NULL)
        {
          section = json_object ();
          json_object_set_new (settings, s->section, section);
        }
      json_object_set_new (section, s->key, value);
    }
  return settings;
}

/* Overlay the stored settings of @scope on @settings. */
static gboolean
overlay (json_t        *settings,
         EntsecStorage *storage,
         const char    *scope,
         GError       **error)
{
  g_autofree char *text = NULL;
  g_autoptr (json_t) stored = NULL;
  const char *section, *key;
  json_t *members, *value;

  if (!entsec_storage_policy_get (storage, scope, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  stored = json_loads (text, JSON_REJECT_DUPLICATES, NULL);
  if (stored == NULL)
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_STORAGE,
                   "The stored policy of %s is not JSON", scope);
      return FALSE;
    }
  json_object_foreach (stored, section, members)
    {
      json_object_foreach (members, key, value)
        json_object_set (json_object_get (settings, section), key, value);
    }
  return TRUE;
}

json_t *
entsec_policy_effective (EntsecStorage *storage,
                         const char    *user_id,
                         const char    *device_id,
                         GError       **error)
{
  g_autoptr (json_t) settings = entsec_policy_defaults ();
  g_autofree char *user_scope = g_strconcat ("user:", user_id, NULL);
  g_autofree char *device_scope = g_strconcat ("device:", device_id, NULL);

  if (!overlay (settings, storage, ENTSEC_POLICY_SCOPE_TENANT, error)
      || !overlay (settings, storage, user_scope, error)
      || !overlay (settings, storage, device_scope, error))
    return NULL;
  return g_steal_pointer (&settings);
}

/* The first three numbers of @text ("1.4.2", "1.4", "0.1.0~beta1"); FALSE
 * when it does not start with a digit. */
static gboolean
parse_version (const char *text,
               guint64     numbers[3])
{
  const char *p = text;

  numbers[0] = numbers[1] = numbers[2] = 0;
  if (p == NULL || !g_ascii_isdigit (*p))
    return FALSE;
  for (guint i = 0; i < 3 && g_ascii_isdigit (*p); i++)
    {
      char *end = NULL;

      numbers[i] = g_ascii_strtoull (p, &end, 10);
      p = *end == '.' ? end + 1 : end;
    }
  return TRUE;
}

gboolean
entsec_policy_check_client (json_t  *settings,
                            json_t  *client,
                            GError **error)
{
  const char *minimum = json_string_value (entsec_policy_get (settings, "binding",
                                                              "min_client_version"));
  const char *version = json_string_value (json_object_get (client, "version"));
  guint64 need[3], have[3];

  if (!parse_version (minimum, need) || (need[0] == 0 && need[1] == 0 && need[2] == 0))
    return TRUE;
  if (!parse_version (version, have))
    {
      g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CLIENT_TOO_OLD,
                   "This app does not report its version (\"client\": {\"version\"}); the "
                   "policy requires version %s or later: update the app", minimum);
      return FALSE;
    }
  for (guint i = 0; i < 3; i++)
    {
      if (have[i] != need[i])
        {
          if (have[i] > need[i])
            return TRUE;
          g_set_error (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CLIENT_TOO_OLD,
                       "This app is version %s; the policy requires version %s or later: "
                       "update the app", version, minimum);
          return FALSE;
        }
    }
  return TRUE;
}

json_t *
entsec_policy_get (json_t     *settings,
                   const char *section,
                   const char *key)
{
  return json_object_get (json_object_get (settings, section), key);
}
