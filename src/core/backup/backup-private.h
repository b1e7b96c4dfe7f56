/* SPDX-License-Identifier: GPL-3.0-or-later */
/* backup-private.h: what the backup module's files share (not installed) */
#pragma once

#include <jansson.h>

#include "entsec-core-private.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (json_t, json_decref)

/*
 * Make jansson wipe every block it frees (once, process-wide; also done by a
 * constructor before main()). Call before any jansson use in this module.
 */
void backup_json_init (void);

/*
 * Parse @len bytes of JSON after checking size, nesting depth and UTF-8;
 * duplicate keys are rejected. Errors use @code and start with @what.
 */
json_t *backup_json_load (const guint8 *data,
                          gsize         len,
                          int           code,
                          const char   *what,
                          GError      **error);

/* Overwrite every string value and key in @json with zeros (before freeing). */
void backup_json_wipe (json_t *json);

/* The entsec backup body entry for @account (secret in Base32). */
json_t *backup_account_to_json (const EntsecAccount *account);

/* Read a body entry back; validated. */
EntsecAccount *backup_account_from_json (json_t  *entry,
                                         GError **error);

/* Optional member @key of @object: NULL when absent or JSON null; error if not a string. */
gboolean backup_json_get_string (json_t      *object,
                                 const char  *key,
                                 const char **value,
                                 GError     **error);
/* Optional integer member: @value untouched when absent. */
gboolean backup_json_get_int (json_t      *object,
                              const char  *key,
                              json_int_t  *value,
                              GError     **error);

EntsecImportResult *backup_import_result_new (void);

/* Append an ENTSEC_BACKUP_ERROR_ENTRY "@prefix: @cause's message" to @errors. */
void backup_add_entry_error (GPtrArray    *errors,
                             const char   *prefix,
                             const GError *cause);

G_END_DECLS
