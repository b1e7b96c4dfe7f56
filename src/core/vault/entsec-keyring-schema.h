/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-keyring-schema.h: keyring items the vault and the enterprise side
 * both handle, not installed
 */
#pragma once

#include <libsecret/secret.h>

G_BEGIN_DECLS

/*
 * The device KEK (entsec-device-locked.c): made and read by the enterprise
 * side, removed by the vault too when a wrong unlock wipes the enterprise
 * data (entsec-vault-attempts.c). Its attribute "vault" is the vault id's hash.
 */
extern const SecretSchema entsec_device_kek_schema;

/*
 * The keyring's copy of the policy version (entsec-policy.c): looked up by
 * its attribute "device" (a hash of issuer and device id), and also carrying
 * "vault" (the vault id's hash, as above) so that the vault's wipe after too
 * many wrong unlocks, which cannot read the device id, removes it too.
 */
extern const SecretSchema entsec_policy_version_schema;

G_END_DECLS
