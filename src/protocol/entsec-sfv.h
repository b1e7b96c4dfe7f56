/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-sfv.h: the part of RFC 8941 structured fields that message
 * signatures need: dictionaries whose members are inner lists or bare items,
 * with parameters. Strict: no decimals, no duplicate keys.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Longest field value parsed. */
#define ENTSEC_SF_MAX_BYTES 8192

typedef enum
{
  ENTSEC_SF_INTEGER,
  ENTSEC_SF_STRING,
  ENTSEC_SF_TOKEN,
  ENTSEC_SF_BYTES,
  ENTSEC_SF_BOOLEAN,
  ENTSEC_SF_INNER_LIST,
} EntsecSfType;

typedef struct _EntsecSfItem EntsecSfItem;

/**
 * EntsecSfMember:
 * @key: the dictionary key or parameter name
 * @value: an item or an inner list (a bare item for a parameter)
 *
 * A dictionary member, and (as EntsecSfParam) a parameter.
 */
typedef struct
{
  char         *key;
  EntsecSfItem *value;
} EntsecSfMember;

typedef EntsecSfMember EntsecSfParam;

/**
 * EntsecSfItem:
 * @type: which member below holds the value
 * @integer: %ENTSEC_SF_INTEGER
 * @string: %ENTSEC_SF_STRING or %ENTSEC_SF_TOKEN
 * @bytes: %ENTSEC_SF_BYTES
 * @boolean: %ENTSEC_SF_BOOLEAN
 * @items: %ENTSEC_SF_INNER_LIST: the EntsecSfItem members
 * @params: the EntsecSfParam list, in order (never NULL)
 */
struct _EntsecSfItem
{
  EntsecSfType type;
  gint64       integer;
  char        *string;
  GBytes      *bytes;
  gboolean     boolean;
  GPtrArray   *items;
  GPtrArray   *params;
};

EntsecSfItem *entsec_sf_item_new (EntsecSfType type);
void          entsec_sf_item_free (EntsecSfItem *item);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecSfItem, entsec_sf_item_free)

/* Add parameter @key with @value (taken) to @item. */
void          entsec_sf_item_add_param (EntsecSfItem *item,
                                        const char   *key,
                                        EntsecSfItem *value);
/* The value of parameter @key, or NULL. (transfer none) */
EntsecSfItem *entsec_sf_item_get_param (const EntsecSfItem *item,
                                        const char         *key);

/*
 * Parse a dictionary field value. Returns a GPtrArray of EntsecSfMember in
 * field order (free with g_ptr_array_unref()), or NULL with
 * %ENTSEC_PROTOCOL_ERROR_MALFORMED (the message gives the byte offset and
 * what was expected) or %ENTSEC_PROTOCOL_ERROR_LIMIT. @what names the field.
 */
GPtrArray    *entsec_sf_parse_dictionary (const char *text,
                                          gsize       len,
                                          const char *what,
                                          GError    **error);

/* The member @key of a parsed dictionary, or NULL. (transfer none) */
EntsecSfItem *entsec_sf_dictionary_get (GPtrArray  *dictionary,
                                        const char *key);

/*
 * The canonical serialisation (RFC 8941 section 4.1) of @item with its
 * parameters: an inner list or a bare item. Free with g_free().
 */
char         *entsec_sf_serialize_item (const EntsecSfItem *item);

G_END_DECLS
