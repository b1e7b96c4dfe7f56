/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-device-drift.c: which claims changed since registration.
 *
 * The server only says "mismatch" (docs/protocol.md 8.6); this names the
 * fields, so the user and the admin can tell a new Wi-Fi card from a copied
 * vault.
 */
#define G_LOG_DOMAIN "entsec-device"

#include "config.h"

#include <string.h>

#include "entsec-device-claims.h"

static json_t *
parse_device (const char *text,
              const char *which,
              GError    **error)
{
  json_t *device = json_loads (text, JSON_REJECT_DUPLICATES, NULL);

  if (json_is_object (device))
    return device;
  json_decref (device);
  g_set_error (error, ENTSEC_DEVICE_ERROR, ENTSEC_DEVICE_ERROR_INVALID,
               "The %s device claims are not a JSON object; enroll this device again", which);
  return NULL;
}

static void compare_objects (const char *prefix,
                             json_t     *registered,
                             json_t     *current,
                             GPtrArray  *changed);

/* A `macs` entry's name for a report: its interface, else its position. */
static char *
mac_key (json_t *entry,
         gsize   index)
{
  const char *ifname = json_string_value (json_object_get (entry, "if"));

  return ifname != NULL ? g_strdup_printf ("macs[%s]", ifname)
                        : g_strdup_printf ("macs[#%" G_GSIZE_FORMAT "]", index);
}

static GHashTable *
macs_by_key (json_t *macs)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  size_t index;
  json_t *entry;

  json_array_foreach (macs, index, entry)
    g_hash_table_insert (table, mac_key (entry, index), entry);
  return table;
}

static void
compare_macs (json_t    *registered,
              json_t    *current,
              GPtrArray *changed)
{
  g_autoptr (GHashTable) before = macs_by_key (registered);
  g_autoptr (GHashTable) after = macs_by_key (current);
  GHashTableIter iter;
  const char *key;
  json_t *entry;

  g_hash_table_iter_init (&iter, before);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, (gpointer *) &entry))
    {
      json_t *now = g_hash_table_lookup (after, key);
      g_autofree char *prefix = g_strconcat (key, ".", NULL);

      if (now == NULL || !json_is_object (now) || !json_is_object (entry))
        {
          if (!json_equal (entry, now))
            g_ptr_array_add (changed, g_strdup (key));
        }
      else
        compare_objects (prefix, entry, now, changed);
    }
  g_hash_table_iter_init (&iter, after);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, NULL))
    {
      if (!g_hash_table_contains (before, key))
        g_ptr_array_add (changed, g_strdup (key));
    }
}

static void
compare_member (const char *path,
                json_t     *registered,
                json_t     *current,
                GPtrArray  *changed)
{
  g_autofree char *prefix = g_strconcat (path, ".", NULL);

  if (strcmp (path, "macs") == 0 && json_is_array (registered) && json_is_array (current))
    compare_macs (registered, current, changed);
  else if (json_is_object (registered) && json_is_object (current))
    compare_objects (prefix, registered, current, changed);
  else if (!json_equal (registered, current))
    g_ptr_array_add (changed, g_strdup (path));
}

static void
compare_objects (const char *prefix,
                 json_t     *registered,
                 json_t     *current,
                 GPtrArray  *changed)
{
  const char *key;
  json_t *value;

  json_object_foreach (registered, key, value)
    {
      g_autofree char *path = g_strconcat (prefix, key, NULL);
      json_t *now = json_object_get (current, key);

      if (now == NULL)
        g_ptr_array_add (changed, g_steal_pointer (&path));
      else
        compare_member (path, value, now, changed);
    }
  json_object_foreach (current, key, value)
    {
      if (json_object_get (registered, key) == NULL)
        g_ptr_array_add (changed, g_strconcat (prefix, key, NULL));
    }
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

char **
entsec_device_claims_compare (const char *registered,
                              const char *current,
                              GError    **error)
{
  g_autoptr (json_t) before = NULL;
  g_autoptr (json_t) after = NULL;
  g_autoptr (GPtrArray) changed = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (registered != NULL && current != NULL, NULL);
  before = parse_device (registered, "registered", error);
  if (before == NULL)
    return NULL;
  after = parse_device (current, "current", error);
  if (after == NULL)
    return NULL;
  compare_objects ("", before, after, changed);
  g_ptr_array_sort (changed, compare_strings);
  g_ptr_array_add (changed, NULL);
  return (char **) g_ptr_array_steal (changed, NULL);
}
