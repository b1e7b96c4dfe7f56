/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-storage-sqlite-private.h: what the SQLite backend's files share.
 * server-storage-sqlite.c owns the connection; the device calls live in
 * server-storage-sqlite-devices.c and run their SQL under the same lock.
 */
#pragma once

#include <sqlite3.h>

#include "server-storage.h"

G_BEGIN_DECLS

/* The tables of server-storage-sqlite-devices.c, part of schema version 1. */
extern const char entsec_sqlite_devices_schema[];

/* Takes the connection's lock and returns the connection; give it back
 * with entsec_sqlite_unlock(). */
sqlite3 *entsec_sqlite_lock (EntsecStorage *storage);
void     entsec_sqlite_unlock (EntsecStorage *storage);

/* devices, nonces, policies, commands (server-storage-sqlite-devices.c) */
gboolean      entsec_sqlite_nonce_remember (EntsecStorage *storage, const char *keyid,
                                            const char *nonce, gint64 now, gint64 keep_until,
                                            gboolean *fresh, GError **error);
gboolean      entsec_sqlite_device_register (EntsecStorage *storage, EntsecDevice *device,
                                             const guint8 *token_sha256,
                                             const guint8 *challenge_sha256, gint64 now,
                                             guint max_devices, GError **error);
EntsecDevice *entsec_sqlite_device_get (EntsecStorage *storage, const char *id, GError **error);
GPtrArray    *entsec_sqlite_device_list (EntsecStorage *storage, const char *user_id,
                                         const char *after, guint limit, GError **error);
gboolean      entsec_sqlite_device_update (EntsecStorage *storage, const EntsecDevice *device,
                                           gboolean *updated, GError **error);
gboolean      entsec_sqlite_policy_get (EntsecStorage *storage, const char *scope,
                                        char **settings, GError **error);
gboolean      entsec_sqlite_policy_set (EntsecStorage *storage, const char *scope,
                                        const char *settings, gint64 now, GError **error);
gboolean      entsec_sqlite_op_challenge_add (EntsecStorage *storage, const guint8 *nonce_sha256,
                                              const char *device_id, const char *op,
                                              gint64 expires, GError **error);
gboolean      entsec_sqlite_op_challenge_use (EntsecStorage *storage, const guint8 *nonce_sha256,
                                              const char *device_id, const char *op, gint64 now,
                                              gboolean *found, GError **error);
gboolean      entsec_sqlite_device_event_add (EntsecStorage *storage, const char *device_id,
                                              const char *type, const char *body, gint64 now,
                                              GError **error);
gboolean      entsec_sqlite_command_add (EntsecStorage *storage,
                                         const EntsecDeviceCommand *command, GError **error);
gboolean      entsec_sqlite_command_ack (EntsecStorage *storage, const char *device_id,
                                         const char *command_id, const char *result, gint64 now,
                                         EntsecCommandAck *outcome, GError **error);
GPtrArray    *entsec_sqlite_command_list (EntsecStorage *storage, const char *device_id,
                                          GError **error);
GPtrArray    *entsec_sqlite_device_event_list (EntsecStorage *storage, const char *device_id,
                                               gint64 after, guint limit, GError **error);

G_END_DECLS
