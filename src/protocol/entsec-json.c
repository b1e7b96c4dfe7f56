/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-json.c: strict, bounded JSON loading and member access */

#define G_LOG_DOMAIN "entsec-protocol"

#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "protocol-private.h"

/*
 * Depth of the parsed tree (a scalar is 0, an empty object 1). jansson
 * itself refuses more than 2048 levels while parsing, so this recursion is
 * bounded; it stops early once @limit is passed.
 */
static guint
tree_depth (json_t *json,
            guint   limit)
{
  guint deepest = 0;
  const char *key;
  json_t *child;
  gsize index;

  if (!json_is_object (json) && !json_is_array (json))
    return 0;
  if (limit == 0)
    return 1; /* deeper than allowed; no need to look further */
  if (json_is_object (json))
    {
      json_object_foreach (json, key, child)
        deepest = MAX (deepest, tree_depth (child, limit - 1));
    }
  else if (json_is_array (json))
    {
      json_array_foreach (json, index, child)
        deepest = MAX (deepest, tree_depth (child, limit - 1));
    }
  return deepest + 1;
}

static gboolean
check_limits (const json_t *json,
              guint         max_depth,
              const char   *what,
              GError      **error)
{
  if (!json_is_object (json))
    {
      g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                   "%s must be a JSON object ({...})", what);
      return FALSE;
    }
  if (tree_depth ((json_t *) json, max_depth) > max_depth)
    {
      g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_LIMIT,
                   "%s nests objects and arrays deeper than %u levels; flatten it", what,
                   max_depth);
      return FALSE;
    }
  return TRUE;
}

json_t *
entsec_json_load_object (const char *data,
                         gsize       len,
                         gsize       max_bytes,
                         guint       max_depth,
                         const char *what,
                         GError    **error)
{
  g_autoptr (json_t) json = NULL;
  json_error_t json_error;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (what != NULL, NULL);

  if (len > max_bytes)
    {
      g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_LIMIT,
                   "%s is %" G_GSIZE_FORMAT " bytes, more than the limit of %" G_GSIZE_FORMAT
                   " bytes", what, len, max_bytes);
      return NULL;
    }
  json = json_loadb (data != NULL ? data : "", len, JSON_REJECT_DUPLICATES, &json_error);
  if (json == NULL)
    {
      g_autofree char *shown = protocol_printable (json_error.text, strlen (json_error.text));

      g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                   "%s is not valid JSON (line %d, column %d: %s)", what, json_error.line,
                   json_error.column, shown);
      return NULL;
    }
  if (!check_limits (json, max_depth, what, error))
    return NULL;
  return g_steal_pointer (&json);
}

char *
entsec_json_dump (const json_t *json)
{
  char *text = json_dumps (json, JSON_COMPACT | JSON_PRESERVE_ORDER);
  char *copy = g_strdup (text);
  json_free_t jansson_free = NULL;

  /* With jansson's allocator, which a program may have replaced
   * (src/core/backup wipes through json_set_alloc_funcs()). */
  json_get_alloc_funcs (NULL, &jansson_free);
  jansson_free (text);
  return copy;
}

static json_t *
get_member (const json_t *object,
            const char   *key,
            const char   *kind,
            gboolean (*is_kind) (const json_t *),
            GError      **error)
{
  json_t *value = json_object_get (object, key);

  if (value == NULL)
    {
      g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                   "The member \"%s\" is missing", key);
      return NULL;
    }
  if (!is_kind (value))
    {
      g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                   "The member \"%s\" must be %s", key, kind);
      return NULL;
    }
  return value;
}

static gboolean
is_string (const json_t *json)
{
  return json_is_string (json);
}

static gboolean
is_integer (const json_t *json)
{
  return json_is_integer (json);
}

static gboolean
is_object (const json_t *json)
{
  return json_is_object (json);
}

const char *
entsec_json_get_string (const json_t *object,
                        const char   *key,
                        GError      **error)
{
  json_t *value = get_member (object, key, "a string", is_string, error);

  return value != NULL ? json_string_value (value) : NULL;
}

gboolean
entsec_json_get_int (const json_t *object,
                     const char   *key,
                     gint64       *out,
                     GError      **error)
{
  json_t *value = get_member (object, key, "an integer", is_integer, error);

  if (value == NULL)
    return FALSE;
  *out = json_integer_value (value);
  return TRUE;
}

json_t *
entsec_json_get_object (const json_t *object,
                        const char   *key,
                        GError      **error)
{
  return get_member (object, key, "an object ({...})", is_object, error);
}
