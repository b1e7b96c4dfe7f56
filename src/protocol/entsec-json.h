/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-json.h: JSON as the protocol reads it: bounded size and nesting,
 * duplicate member names rejected, members looked up with messages that
 * name the member.
 */
#pragma once

#include <glib.h>
#include <jansson.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (json_t, json_decref)

/* Defaults for request and response bodies. */
#define ENTSEC_JSON_MAX_BYTES (256 * 1024)
#define ENTSEC_JSON_MAX_DEPTH 16

/*
 * Parse @len bytes of JSON into an object. Rejected, each with a message
 * that says what to change: more than @max_bytes, not UTF-8 JSON, trailing
 * data, a duplicate member name anywhere, objects or arrays nested deeper
 * than @max_depth (the top-level object is depth 1), a top level that is
 * not an object. @what names the document in messages ("The policy").
 * Returns: (transfer full) (nullable): the object; json_decref() it.
 */
json_t *entsec_json_load_object (const char *data,
                                 gsize       len,
                                 gsize       max_bytes,
                                 guint       max_depth,
                                 const char *what,
                                 GError    **error);

/*
 * Compact serialisation of @json, members in insertion order. Free with
 * g_free().
 */
char   *entsec_json_dump (const json_t *json);

/* Member @key of @object as a string (borrowed), or NULL with an error
 * naming @key when absent or not a string. */
const char *entsec_json_get_string (const json_t *object,
                                    const char   *key,
                                    GError      **error);

/* Member @key of @object as an integer into @out; FALSE with an error
 * naming @key when absent or not an integer. */
gboolean    entsec_json_get_int (const json_t *object,
                                 const char   *key,
                                 gint64       *out,
                                 GError      **error);

/* Member @key of @object as an object (borrowed), or NULL with an error. */
json_t     *entsec_json_get_object (const json_t *object,
                                    const char   *key,
                                    GError      **error);

G_END_DECLS
