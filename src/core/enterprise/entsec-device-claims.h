/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-device-claims.h: the claims as JSON, for the registration and heartbeat builders */
#pragma once

#include <jansson.h>

#include <entsec/entsec.h>

#include "entsec-json.h" /* src/protocol: jansson's g_autoptr and limits */

G_BEGIN_DECLS

/*
 * The `device` object of docs/protocol.md 8.3 and 8.6, which
 * entsec_device_describe() prints: a registration or heartbeat embeds this
 * object so what is sent is what the user was shown. @items (nullable)
 * receives an EntsecDeviceShareItem per value.
 * Returns: (transfer full): a new reference, or NULL with
 * %ENTSEC_DEVICE_ERROR_INVALID for an empty salt.
 */
json_t *entsec_device_claims_build (const EntsecDeviceClaims *claims,
                                    GBytes                   *tenant_salt,
                                    EntsecDeviceCollect       collect,
                                    EntsecDeviceRaw           raw,
                                    GPtrArray                *items,
                                    GError                  **error);

/* The systemd app id of entsec (sd_id128_get_machine_app_specific()). */
#define ENTSEC_DEVICE_APP_ID "02f69bd14a6f4740b9c48ba2ab0bb1fb"

G_END_DECLS
