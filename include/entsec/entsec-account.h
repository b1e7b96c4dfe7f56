/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-account.h: one OTP account, as parsed, stored and shown */
#pragma once

#if !defined(ENTSEC_INSIDE) && !defined(ENTSEC_COMPILATION)
#error "Only <entsec/entsec.h> can be included directly."
#endif

#include <glib-object.h>

#include "entsec-macros.h"
#include "entsec-otp.h"

G_BEGIN_DECLS

typedef enum
{
  ENTSEC_ACCOUNT_TOTP,
  ENTSEC_ACCOUNT_HOTP,
  ENTSEC_ACCOUNT_STEAM,
} EntsecAccountType;

/**
 * EntsecAccount:
 * @id: row id in the vault, 0 while the account is not stored
 * @type: TOTP, HOTP or Steam
 * @issuer: (nullable): service name, UTF-8
 * @label: account name, UTF-8, never NULL
 * @secret: raw key bytes; wiped when the account is freed
 * @secret_len: length of @secret
 * @algorithm: HMAC hash
 * @digits: code length (Steam: 5)
 * @period: TOTP step in seconds
 * @counter: HOTP counter: the counter of the next code to show
 * @position: sort order in the list (vault)
 * @favourite: pinned to the top (vault)
 * @group: (nullable): user-chosen group name (vault)
 * @notes: (nullable): free text (vault)
 * @managed_id: (nullable): the enterprise server's token id when the server
 *   provisioned this account (a managed account, wiped with the enterprise
 *   data and never reported as personal); NULL for the user's own accounts
 *
 * A plain boxed struct: copy with entsec_account_copy(), free with
 * entsec_account_free(), which wipes the secret.
 */
typedef struct
{
  gint64             id;
  EntsecAccountType  type;
  char              *issuer;
  char              *label;
  guint8            *secret;
  gsize              secret_len;
  EntsecOtpAlgorithm algorithm;
  guint              digits;
  guint              period;
  guint64            counter;
  gint               position;
  gboolean           favourite;
  char              *group;
  char              *notes;
  char              *managed_id;
} EntsecAccount;

#define ENTSEC_TYPE_ACCOUNT (entsec_account_get_type ())
/* Returns: the boxed GType of #EntsecAccount. */
ENTSEC_EXPORT
GType entsec_account_get_type (void) G_GNUC_CONST;

/*
 * A TOTP/SHA1/6-digit/30 s account with an empty label and no secret.
 * Returns: (transfer full): free with entsec_account_free().
 */
ENTSEC_EXPORT
EntsecAccount *entsec_account_new (void) G_GNUC_WARN_UNUSED_RESULT;
/* Returns: (transfer full): a deep copy of @account; free with entsec_account_free(). */
ENTSEC_EXPORT
EntsecAccount *entsec_account_copy (const EntsecAccount *account) G_GNUC_WARN_UNUSED_RESULT;
/* Wipe the secret and free @account ((transfer full) (nullable)). */
ENTSEC_EXPORT
void           entsec_account_free (EntsecAccount *account);

/*
 * Replace the secret with a copy of @secret ((transfer none) (array
 * length=secret_len), NULL only when empty); the old one is wiped.
 */
ENTSEC_EXPORT
void entsec_account_set_secret (EntsecAccount *account,
                                const guint8  *secret,
                                gsize          secret_len);

/* Check digits, period, algorithm, key length and text fields. Returns: FALSE with @error set. */
ENTSEC_EXPORT
gboolean entsec_account_validate (const EntsecAccount *account,
                                  GError             **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * The code to show at @now (TOTP, Steam) or for @account->counter (HOTP;
 * the caller persists counter + 1 before showing it, see the vault), in
 * @code (out caller-allocates); FALSE with @error set and @code unset.
 */
ENTSEC_EXPORT
gboolean entsec_account_generate (const EntsecAccount *account,
                                  gint64               now,
                                  char                 code[ENTSEC_OTP_CODE_SIZE],
                                  GError             **error) G_GNUC_WARN_UNUSED_RESULT;

/*
 * "Issuer (label)" or just the label: for lists and messages.
 * Returns: (transfer full): free with g_free().
 */
ENTSEC_EXPORT
char *entsec_account_dup_display_name (const EntsecAccount *account) G_GNUC_WARN_UNUSED_RESULT;

/* Returns: (transfer none): "totp", "hotp" or "steam", a static string. */
ENTSEC_EXPORT
const char *entsec_account_type_to_string (EntsecAccountType type);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (EntsecAccount, entsec_account_free)

G_END_DECLS
