/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-sfv.c: RFC 8941 dictionaries, inner lists, items and parameters
 * (section 4.2 parsing, section 4.1 serialisation). Strict where the RFC
 * lets later members win: a repeated dictionary key or parameter is an
 * error, since in a signature field it can only be a mistake or an attack.
 */

#define G_LOG_DOMAIN "entsec-protocol"

#include "config.h"

#include <string.h>

#include "protocol-private.h"

#define SF_MAX_INTEGER_DIGITS 15

typedef struct
{
  const char *text;
  gsize       len;
  gsize       pos;
  const char *what;
  GError    **error;
} Parser;

EntsecSfItem *
entsec_sf_item_new (EntsecSfType type)
{
  EntsecSfItem *item = g_new0 (EntsecSfItem, 1);

  item->type = type;
  item->params = g_ptr_array_new ();
  return item;
}

static void
member_free (gpointer data)
{
  EntsecSfMember *member = data;

  g_free (member->key);
  entsec_sf_item_free (member->value);
  g_free (member);
}

/* The value under @key in a list of EntsecSfMember, or NULL. */
static EntsecSfItem *
members_get (GPtrArray  *members,
             const char *key)
{
  for (guint i = 0; i < members->len; i++)
    {
      EntsecSfMember *member = g_ptr_array_index (members, i);

      if (strcmp (member->key, key) == 0)
        return member->value;
    }
  return NULL;
}

void
entsec_sf_item_free (EntsecSfItem *item)
{
  if (item == NULL)
    return;
  g_free (item->string);
  g_clear_pointer (&item->bytes, g_bytes_unref);
  if (item->items != NULL)
    g_ptr_array_unref (item->items);
  g_ptr_array_set_free_func (item->params, member_free);
  g_ptr_array_unref (item->params);
  g_free (item);
}

void
entsec_sf_item_add_param (EntsecSfItem *item,
                          const char   *key,
                          EntsecSfItem *value)
{
  EntsecSfParam *param = g_new0 (EntsecSfParam, 1);

  param->key = g_strdup (key);
  param->value = value;
  g_ptr_array_add (item->params, param);
}

EntsecSfItem *
entsec_sf_item_get_param (const EntsecSfItem *item,
                          const char         *key)
{
  return members_get (item->params, key);
}

EntsecSfItem *
entsec_sf_dictionary_get (GPtrArray  *dictionary,
                          const char *key)
{
  return members_get (dictionary, key);
}

/* ---- Parsing -------------------------------------------------------------- */

static gboolean
fail (Parser     *p,
      const char *expected)
{
  if (p->pos >= p->len)
    g_set_error (p->error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                 "%s is not a valid structured field: %s expected at the end", p->what,
                 expected);
  else
    g_set_error (p->error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                 "%s is not a valid structured field: %s expected at position %" G_GSIZE_FORMAT
                 ", found '%c'", p->what, expected, p->pos + 1,
                 g_ascii_isprint (p->text[p->pos]) ? p->text[p->pos] : '?');
  return FALSE;
}

static int
peek (const Parser *p)
{
  return p->pos < p->len ? (guchar) p->text[p->pos] : -1;
}

static void
skip_sp (Parser *p)
{
  while (peek (p) == ' ')
    p->pos++;
}

static void
skip_ows (Parser *p)
{
  while (peek (p) == ' ' || peek (p) == '\t')
    p->pos++;
}

static gboolean
is_lcalpha (int c)
{
  return c >= 'a' && c <= 'z';
}

static char *
parse_key (Parser *p)
{
  gsize start = p->pos;
  int c = peek (p);

  if (!is_lcalpha (c) && c != '*')
    {
      fail (p, "a key (lower-case letter or '*')");
      return NULL;
    }
  for (c = peek (p); is_lcalpha (c) || g_ascii_isdigit (c) || (c != -1 && strchr ("_-.*", c));
       c = peek (p))
    p->pos++;
  return g_strndup (p->text + start, p->pos - start);
}

static EntsecSfItem *
parse_integer (Parser *p)
{
  g_autoptr (EntsecSfItem) item = entsec_sf_item_new (ENTSEC_SF_INTEGER);
  gboolean negative = FALSE;
  guint digits = 0;

  if (peek (p) == '-')
    {
      negative = TRUE;
      p->pos++;
    }
  if (!g_ascii_isdigit (peek (p)))
    {
      fail (p, "a digit");
      return NULL;
    }
  for (; g_ascii_isdigit (peek (p)); p->pos++, digits++)
    {
      if (digits == SF_MAX_INTEGER_DIGITS)
        {
          fail (p, "at most 15 digits");
          return NULL;
        }
      item->integer = item->integer * 10 + (peek (p) - '0');
    }
  if (peek (p) == '.')
    {
      fail (p, "an integer (decimals are not used here)");
      return NULL;
    }
  if (negative)
    item->integer = -item->integer;
  return g_steal_pointer (&item);
}

static EntsecSfItem *
parse_string (Parser *p)
{
  g_autoptr (GString) value = g_string_new (NULL);
  g_autoptr (EntsecSfItem) item = entsec_sf_item_new (ENTSEC_SF_STRING);

  for (p->pos++; p->pos < p->len; p->pos++)
    {
      int c = peek (p);

      if (c == '"')
        {
          p->pos++;
          item->string = g_string_free (g_steal_pointer (&value), FALSE);
          return g_steal_pointer (&item);
        }
      if (c == '\\')
        {
          p->pos++;
          c = peek (p);
          if (c != '"' && c != '\\')
            {
              fail (p, "'\"' or '\\' after a backslash");
              return NULL;
            }
        }
      else if (c < 0x20 || c > 0x7e)
        {
          fail (p, "printable ASCII in a string");
          return NULL;
        }
      g_string_append_c (value, (char) c);
    }
  fail (p, "a closing '\"'");
  return NULL;
}

static EntsecSfItem *
parse_token (Parser *p)
{
  EntsecSfItem *item = entsec_sf_item_new (ENTSEC_SF_TOKEN);
  gsize start = p->pos;
  int c;

  for (c = peek (p); c != -1 && (g_ascii_isalnum (c) || strchr ("!#$%&'*+-.^_`|~:/", c));
       c = peek (p))
    p->pos++;
  item->string = g_strndup (p->text + start, p->pos - start);
  return item;
}

static EntsecSfItem *
parse_bytes (Parser *p)
{
  g_autoptr (EntsecSfItem) item = entsec_sf_item_new (ENTSEC_SF_BYTES);
  gsize start = ++p->pos;
  const char *end = memchr (p->text + start, ':', p->len - start);

  if (end == NULL)
    {
      p->pos = p->len;
      fail (p, "a closing ':' of a byte sequence");
      return NULL;
    }
  item->bytes = entsec_base64_decode_strict (p->text + start, end - (p->text + start), p->what,
                                             p->error);
  if (item->bytes == NULL)
    return NULL;
  p->pos = end - p->text + 1;
  return g_steal_pointer (&item);
}

static EntsecSfItem *
parse_boolean (Parser *p)
{
  EntsecSfItem *item;

  p->pos++;
  if (peek (p) != '0' && peek (p) != '1')
    {
      fail (p, "'0' or '1' after '?'");
      return NULL;
    }
  item = entsec_sf_item_new (ENTSEC_SF_BOOLEAN);
  item->boolean = peek (p) == '1';
  p->pos++;
  return item;
}

static EntsecSfItem *
parse_bare_item (Parser *p)
{
  int c = peek (p);

  if (c == '-' || g_ascii_isdigit (c))
    return parse_integer (p);
  if (c == '"')
    return parse_string (p);
  if (c == '*' || g_ascii_isalpha (c))
    return parse_token (p);
  if (c == ':')
    return parse_bytes (p);
  if (c == '?')
    return parse_boolean (p);
  fail (p, "an item (integer, string, token, byte sequence or boolean)");
  return NULL;
}

static gboolean
parse_params (Parser       *p,
              EntsecSfItem *item)
{
  while (peek (p) == ';')
    {
      g_autofree char *key = NULL;
      EntsecSfItem *value;

      p->pos++;
      skip_sp (p);
      key = parse_key (p);
      if (key == NULL)
        return FALSE;
      if (entsec_sf_item_get_param (item, key) != NULL)
        {
          g_set_error (p->error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                       "%s is not valid: the parameter \"%s\" is given twice", p->what, key);
          return FALSE;
        }
      if (peek (p) == '=')
        {
          p->pos++;
          value = parse_bare_item (p);
          if (value == NULL)
            return FALSE;
        }
      else
        {
          value = entsec_sf_item_new (ENTSEC_SF_BOOLEAN);
          value->boolean = TRUE;
        }
      entsec_sf_item_add_param (item, key, value);
    }
  return TRUE;
}

static EntsecSfItem *
parse_item (Parser *p)
{
  g_autoptr (EntsecSfItem) item = parse_bare_item (p);

  if (item == NULL || !parse_params (p, item))
    return NULL;
  return g_steal_pointer (&item);
}

static EntsecSfItem *
parse_inner_list (Parser *p)
{
  g_autoptr (EntsecSfItem) list = entsec_sf_item_new (ENTSEC_SF_INNER_LIST);

  list->items = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_sf_item_free);
  p->pos++;
  for (;;)
    {
      EntsecSfItem *item;

      skip_sp (p);
      if (peek (p) == ')')
        {
          p->pos++;
          return parse_params (p, list) ? g_steal_pointer (&list) : NULL;
        }
      item = parse_item (p);
      if (item == NULL)
        return NULL;
      g_ptr_array_add (list->items, item);
      if (peek (p) != ' ' && peek (p) != ')')
        {
          fail (p, "' ' or ')' in an inner list");
          return NULL;
        }
    }
}

static EntsecSfItem *
parse_member_value (Parser *p)
{
  EntsecSfItem *value;

  if (peek (p) != '=')
    {
      value = entsec_sf_item_new (ENTSEC_SF_BOOLEAN);
      value->boolean = TRUE;
      if (!parse_params (p, value))
        g_clear_pointer (&value, entsec_sf_item_free);
      return value;
    }
  p->pos++;
  return peek (p) == '(' ? parse_inner_list (p) : parse_item (p);
}

static gboolean
parse_member (Parser    *p,
              GPtrArray *dictionary)
{
  g_autofree char *key = parse_key (p);
  EntsecSfMember *member;
  EntsecSfItem *value;

  if (key == NULL)
    return FALSE;
  if (entsec_sf_dictionary_get (dictionary, key) != NULL)
    {
      g_set_error (p->error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_MALFORMED,
                   "%s is not valid: the key \"%s\" is given twice", p->what, key);
      return FALSE;
    }
  value = parse_member_value (p);
  if (value == NULL)
    return FALSE;
  member = g_new0 (EntsecSfMember, 1);
  member->key = g_steal_pointer (&key);
  member->value = value;
  g_ptr_array_add (dictionary, member);
  return TRUE;
}

GPtrArray *
entsec_sf_parse_dictionary (const char *text,
                            gsize       len,
                            const char *what,
                            GError    **error)
{
  g_autoptr (GPtrArray) dictionary = g_ptr_array_new_with_free_func (member_free);
  Parser p = { text, len, 0, what, error };

  g_return_val_if_fail (text != NULL || len == 0, NULL);

  if (len > ENTSEC_SF_MAX_BYTES)
    {
      g_set_error (error, ENTSEC_PROTOCOL_ERROR, ENTSEC_PROTOCOL_ERROR_LIMIT,
                   "%s is longer than %d bytes", what, ENTSEC_SF_MAX_BYTES);
      return NULL;
    }
  skip_sp (&p);
  while (p.pos < p.len)
    {
      if (!parse_member (&p, dictionary))
        return NULL;
      skip_ows (&p);
      if (p.pos == p.len)
        break;
      if (peek (&p) != ',')
        {
          fail (&p, "',' between members");
          return NULL;
        }
      p.pos++;
      skip_ows (&p);
      if (p.pos == p.len)
        {
          fail (&p, "a member after ','");
          return NULL;
        }
    }
  if (dictionary->len == 0)
    {
      fail (&p, "at least one member");
      return NULL;
    }
  return g_steal_pointer (&dictionary);
}

/* ---- Serialising ---------------------------------------------------------- */

static void
append_bare_item (GString            *out,
                  const EntsecSfItem *item)
{
  g_autofree char *b64 = NULL;

  switch (item->type)
    {
    case ENTSEC_SF_INTEGER:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, item->integer);
      break;
    case ENTSEC_SF_STRING:
      g_string_append_c (out, '"');
      for (const char *c = item->string; *c != '\0'; c++)
        {
          if (*c == '"' || *c == '\\')
            g_string_append_c (out, '\\');
          g_string_append_c (out, *c);
        }
      g_string_append_c (out, '"');
      break;
    case ENTSEC_SF_TOKEN:
      g_string_append (out, item->string);
      break;
    case ENTSEC_SF_BYTES:
      b64 = g_base64_encode (g_bytes_get_data (item->bytes, NULL),
                             g_bytes_get_size (item->bytes));
      g_string_append_printf (out, ":%s:", b64);
      break;
    case ENTSEC_SF_BOOLEAN:
      g_string_append (out, item->boolean ? "?1" : "?0");
      break;
    case ENTSEC_SF_INNER_LIST:
    default:
      g_assert_not_reached ();
    }
}

static void
append_params (GString            *out,
               const EntsecSfItem *item)
{
  for (guint i = 0; i < item->params->len; i++)
    {
      const EntsecSfParam *param = g_ptr_array_index (item->params, i);

      g_string_append_printf (out, ";%s", param->key);
      if (param->value->type == ENTSEC_SF_BOOLEAN && param->value->boolean)
        continue;
      g_string_append_c (out, '=');
      append_bare_item (out, param->value);
    }
}

static void
append_item (GString            *out,
             const EntsecSfItem *item)
{
  if (item->type == ENTSEC_SF_INNER_LIST)
    {
      g_string_append_c (out, '(');
      for (guint i = 0; i < item->items->len; i++)
        {
          if (i > 0)
            g_string_append_c (out, ' ');
          append_item (out, g_ptr_array_index (item->items, i));
        }
      g_string_append_c (out, ')');
    }
  else
    append_bare_item (out, item);
  append_params (out, item);
}

char *
entsec_sf_serialize_item (const EntsecSfItem *item)
{
  GString *out = g_string_new (NULL);

  g_return_val_if_fail (item != NULL, NULL);

  append_item (out, item);
  return g_string_free (out, FALSE);
}
