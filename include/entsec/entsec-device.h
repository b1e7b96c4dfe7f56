/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-device.h: the claims that bind an enrolled device to its hardware.
 *
 * entsec_device_claims_collect() reads what a user without root can read
 * (network cards, the machine id, DMI or device-tree names, the OS release,
 * the kernel, the host name); entsec_device_describe() turns it into the
 * `device` object of a registration or heartbeat (docs/protocol.md 8.3,
 * 8.6): every identifier as an HMAC-SHA256 under the tenant salt, raw values
 * only when the policy asks for them and the user agreed. docs/privacy.md
 * lists every field.
 */
#pragma once

#if !defined(ENTSEC_INSIDE) && !defined(ENTSEC_COMPILATION)
#error "Only <entsec/entsec.h> can be included directly."
#endif

#include <glib.h>

#include "entsec-macros.h"

G_BEGIN_DECLS

/**
 * EntsecDeviceError:
 * @ENTSEC_DEVICE_ERROR_INVALID: an argument is not usable: an empty tenant
 *   salt, an unknown claim name, claims JSON that is not a `device` object.
 *
 * Errors in the %ENTSEC_DEVICE_ERROR domain. Unreadable or malformed system
 * files are not errors: the claim is left out and the reason is listed by
 * entsec_device_claims_get_skipped().
 */
typedef enum
{
  ENTSEC_DEVICE_ERROR_INVALID,
} EntsecDeviceError;

#define ENTSEC_DEVICE_ERROR (entsec_device_error_quark ())
/* Returns: the quark of the %ENTSEC_DEVICE_ERROR domain. */
ENTSEC_EXPORT
GQuark entsec_device_error_quark (void);

/**
 * EntsecDeviceCollect:
 * @ENTSEC_DEVICE_COLLECT_MACHINE_FP: the app-specific machine id
 * @ENTSEC_DEVICE_COLLECT_MACS: permanent addresses of physical network cards
 * @ENTSEC_DEVICE_COLLECT_DMI: maker and model (DMI, or the device tree)
 * @ENTSEC_DEVICE_COLLECT_OS: OS name and version, kernel, host name
 *
 * The claim groups of the policy's `binding.collect` (docs/protocol.md 8.5).
 */
typedef enum
{
  ENTSEC_DEVICE_COLLECT_MACHINE_FP = 1 << 0,
  ENTSEC_DEVICE_COLLECT_MACS = 1 << 1,
  ENTSEC_DEVICE_COLLECT_DMI = 1 << 2,
  ENTSEC_DEVICE_COLLECT_OS = 1 << 3,
} EntsecDeviceCollect;

#define ENTSEC_DEVICE_COLLECT_ALL                                                                  \
  (ENTSEC_DEVICE_COLLECT_MACHINE_FP | ENTSEC_DEVICE_COLLECT_MACS | ENTSEC_DEVICE_COLLECT_DMI |     \
   ENTSEC_DEVICE_COLLECT_OS)

/**
 * EntsecDeviceRaw:
 * @ENTSEC_DEVICE_RAW_NONE: identifiers are sent as HMACs only
 * @ENTSEC_DEVICE_RAW_POLICY_ASKS: the policy asks for raw values
 * @ENTSEC_DEVICE_RAW_USER_AGREED: the user was told and agreed
 *
 * Raw values go out only when both flags are set.
 */
typedef enum
{
  ENTSEC_DEVICE_RAW_NONE = 0,
  ENTSEC_DEVICE_RAW_POLICY_ASKS = 1 << 0,
  ENTSEC_DEVICE_RAW_USER_AGREED = 1 << 1,
} EntsecDeviceRaw;

/**
 * entsec_device_collect_from_names:
 * @names: (array zero-terminated=1): claim names of `binding.collect`
 *   (`machine_fp`, `macs`, `dmi`, `os`)
 * @collect: (out): the groups
 * @error: %ENTSEC_DEVICE_ERROR_INVALID naming an unknown name
 *
 * Returns: %TRUE on success.
 */
ENTSEC_EXPORT
gboolean entsec_device_collect_from_names (const char * const *names,
                                           EntsecDeviceCollect *collect,
                                           GError            **error);

/**
 * EntsecDevicePermanentAddressFunc:
 * @ifname: an interface name, such as `wlan0`
 * @address: (out): the permanent (burnt-in) hardware address
 * @user_data: the data given with the function
 *
 * Returns: %TRUE when @ifname has a permanent address other than zero.
 */
typedef gboolean (*EntsecDevicePermanentAddressFunc) (const char *ifname,
                                                      guint8      address[6],
                                                      gpointer    user_data);

/* Where the claims are read from; tests point these at fake trees. */
typedef struct _EntsecDeviceSources EntsecDeviceSources;

/* Returns: (transfer full): the real system (/sys, /proc, /etc and the
 * ETHTOOL_GPERMADDR ioctl). Free with entsec_device_sources_free(). */
ENTSEC_EXPORT
EntsecDeviceSources *entsec_device_sources_new (void) G_GNUC_WARN_UNUSED_RESULT;
/* Frees @self (nullable). */
ENTSEC_EXPORT
void entsec_device_sources_free (EntsecDeviceSources *self);
/* The sysfs root (default /sys). */
ENTSEC_EXPORT
void entsec_device_sources_set_sysfs_root (EntsecDeviceSources *self,
                                           const char          *root);
/* The procfs root (default /proc), for the kernel release and host name. */
ENTSEC_EXPORT
void entsec_device_sources_set_proc_root (EntsecDeviceSources *self,
                                          const char          *root);
/* The /etc root, for machine-id and os-release. */
ENTSEC_EXPORT
void entsec_device_sources_set_etc_root (EntsecDeviceSources *self,
                                         const char          *root);
/* The device tree (default: firmware/devicetree/base under the sysfs root). */
ENTSEC_EXPORT
void entsec_device_sources_set_devicetree_root (EntsecDeviceSources *self,
                                                const char          *root);
/* Where permanent addresses come from; NULL: none (sysfs only). */
ENTSEC_EXPORT
void entsec_device_sources_set_permanent_address_func (EntsecDeviceSources             *self,
                                                       EntsecDevicePermanentAddressFunc func,
                                                       gpointer                         user_data);

/* The claims read from one device: raw values, kept in memory only. */
typedef struct _EntsecDeviceClaims EntsecDeviceClaims;

/**
 * entsec_device_claims_collect:
 * @sources: (nullable): where to read; NULL for the real system
 *
 * Reads every claim it can; blocks on small file reads (call it off the
 * main thread in an app).
 *
 * Returns: (transfer full): the claims. Free with entsec_device_claims_free().
 */
ENTSEC_EXPORT
EntsecDeviceClaims *entsec_device_claims_collect (const EntsecDeviceSources *sources)
  G_GNUC_WARN_UNUSED_RESULT;
/* Frees @self (nullable), wiping its values. */
ENTSEC_EXPORT
void entsec_device_claims_free (EntsecDeviceClaims *self);

/**
 * entsec_device_claims_get_skipped:
 * @self: the claims
 *
 * Returns: (transfer none) (array zero-terminated=1): what was left out and
 *   why, one sentence each (`docker0: virtual interface (no device link)`).
 */
ENTSEC_EXPORT
const char * const *entsec_device_claims_get_skipped (const EntsecDeviceClaims *self);

/**
 * EntsecDeviceShareItem:
 * @field: the member sent (`machine_fp`, `macs[wlan0]`, `dmi.sys_vendor`)
 * @label: what it is, for a person
 * @value: the value on this device (shown to its user, never sent unless @raw_sent)
 * @raw_sent: %TRUE when the raw value goes out next to its HMAC
 *
 * One line of the "What this device shares" page.
 */
typedef struct
{
  char    *field;
  char    *label;
  char    *value;
  gboolean raw_sent;
} EntsecDeviceShareItem;

/* Frees @item (nullable). */
ENTSEC_EXPORT
void entsec_device_share_item_free (EntsecDeviceShareItem *item);

/**
 * entsec_device_describe:
 * @claims: the claims
 * @tenant_salt: (transfer none): the tenant salt of the enrollment (decoded)
 * @collect: which groups the policy collects
 * @raw: raw values go out only with both flags
 * @items: (out) (optional) (transfer full) (element-type EntsecDeviceShareItem):
 *   the same, for a person
 * @error: %ENTSEC_DEVICE_ERROR_INVALID for an empty salt
 *
 * Returns: (transfer full) (nullable): exactly the `device` JSON object a
 *   registration or heartbeat sends (compact, sorted keys). Free with g_free().
 */
ENTSEC_EXPORT
char *entsec_device_describe (const EntsecDeviceClaims *claims,
                              GBytes                   *tenant_salt,
                              EntsecDeviceCollect       collect,
                              EntsecDeviceRaw           raw,
                              GPtrArray               **items,
                              GError                  **error) G_GNUC_WARN_UNUSED_RESULT;

/**
 * entsec_device_claims_compare:
 * @registered: the `device` JSON sent at registration
 * @current: the `device` JSON of now
 * @error: %ENTSEC_DEVICE_ERROR_INVALID when either is not a `device` object
 *
 * Returns: (transfer full) (nullable): the fields that differ, sorted
 *   (`dmi.product_name`, `macs[eth0]` for a card added or removed,
 *   `macs[eth0].mac_hmac`); empty when nothing drifted. Free with g_strfreev().
 */
ENTSEC_EXPORT
char **entsec_device_claims_compare (const char *registered,
                                     const char *current,
                                     GError    **error) G_GNUC_WARN_UNUSED_RESULT;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecDeviceSources, entsec_device_sources_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecDeviceClaims, entsec_device_claims_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecDeviceShareItem, entsec_device_share_item_free)

G_END_DECLS
