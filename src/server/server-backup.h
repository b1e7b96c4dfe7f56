/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-backup.h: entsec-server --backup and --restore of the SQLite
 * database, and the data directory lock that keeps a restore and a running
 * server apart (a server holds it shared, a restore alone).
 */
#pragma once

#include <glib.h>

#include "server-config.h"

G_BEGIN_DECLS

/* The lock file in the data directory (0600, empty). */
#define ENTSEC_SERVER_LOCK_FILE "server.lock"

/*
 * Take the lock of @data_dir, shared (a server: several may run) or
 * @exclusive (a restore), without waiting. Errors: %ENTSEC_SERVER_ERROR_IO;
 * %ENTSEC_SERVER_ERROR_EXISTS when the other kind holds it. Returns: the
 * descriptor that holds it (close it to let go), or -1.
 */
int       entsec_server_lock_data_dir (const char *data_dir,
                                       gboolean    exclusive,
                                       GError    **error);

/*
 * A consistent copy of the database of @config's data dir at @file, made
 * with SQLite's online backup while servers keep running: written to a
 * temporary file beside @file (0600), checked, synced, renamed over @file.
 * Errors: %ENTSEC_SERVER_ERROR_IO, %ENTSEC_SERVER_ERROR_STORAGE.
 */
gboolean  entsec_server_backup (const EntsecServerConfig *config,
                                const char               *file,
                                GError                  **error);

/*
 * Replace the database of @config's data dir by the backup @file, with no
 * server running on it: @file is copied to a temporary file in the data
 * dir, opened by the storage code (which refuses a schema it does not know)
 * and checked to be an entsec database, and only then renamed over the old
 * one. Errors: %ENTSEC_SERVER_ERROR_EXISTS (a server runs),
 * %ENTSEC_SERVER_ERROR_INVALID (not an entsec database this version can
 * use), %ENTSEC_SERVER_ERROR_IO, %ENTSEC_SERVER_ERROR_STORAGE.
 */
gboolean  entsec_server_restore (const EntsecServerConfig *config,
                                 const char               *file,
                                 GError                  **error);

G_END_DECLS
