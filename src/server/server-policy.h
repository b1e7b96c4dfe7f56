/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-policy.h: the settings of device policies: what an admin may write
 * (docs/protocol.md section 8.5), the built-in defaults, and the effective
 * settings of one device (device over user over tenant over defaults).
 */
#pragma once

#include <glib.h>
#include <jansson.h>

#include "server-storage.h"

G_BEGIN_DECLS

/* The policy scopes in storage. */
#define ENTSEC_POLICY_SCOPE_TENANT "tenant"

/*
 * TRUE when @settings is an object of known sections, each an object of
 * known keys with values of the right type and range; otherwise
 * %ENTSEC_SERVER_ERROR_INVALID naming the first wrong member
 * ("settings.tokens.min_digits") and what it must be.
 */
gboolean entsec_policy_check_settings (json_t  *settings,
                                       GError **error);

/* The built-in settings, every key present. Returns: (transfer full) */
json_t  *entsec_policy_defaults (void);

/*
 * The defaults overlaid, key by key, with what the admin wrote for the
 * tenant, then for @user_id, then for @device_id.
 * Returns: (transfer full) (nullable): the settings, or NULL with an error.
 */
json_t  *entsec_policy_effective (EntsecStorage *storage,
                                  const char    *user_id,
                                  const char    *device_id,
                                  GError       **error);

/*
 * Whether the client that reported @client (its "client" claims, nullable)
 * may be used under @settings: its "version" must be at least
 * binding.min_client_version, compared number by number ("1.10" > "1.9";
 * missing numbers are 0, anything after the numbers is ignored). A client
 * that reports no version passes only the minimum "0". Otherwise
 * %ENTSEC_SERVER_ERROR_CLIENT_TOO_OLD naming both versions.
 */
gboolean entsec_policy_check_client (json_t  *settings,
                                     json_t  *client,
                                     GError **error);

/* A setting of @settings ("binding", "on_mismatch"), borrowed. */
json_t  *entsec_policy_get (json_t     *settings,
                            const char *section,
                            const char *key);

G_END_DECLS
