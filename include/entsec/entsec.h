/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec.h: the one header of libentsec */
#pragma once

#define ENTSEC_INSIDE
#include "entsec-macros.h"
#include "entsec-version.h"
#include "entsec-secure.h"
#include "entsec-otp.h"
#include "entsec-crypto-error.h"
#include "entsec-passphrase.h"
#include "entsec-account.h"
#include "entsec-account-summary.h"
#include "entsec-otpauth.h"
#include "entsec-qr.h"
#include "entsec-vault.h"
#include "entsec-backup.h"
#include "entsec-device.h"
#include "entsec-enterprise.h"
#include "entsec-events.h"
#undef ENTSEC_INSIDE
