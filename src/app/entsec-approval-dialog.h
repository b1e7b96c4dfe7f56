/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-approval-dialog.h: one sign-in request: its signed context, the number, the answer */
#pragma once

#include <adwaita.h>

#include "entsec-approvals.h"

G_BEGIN_DECLS

#define ENTSEC_TYPE_APPROVAL_DIALOG (entsec_approval_dialog_get_type ())
G_DECLARE_FINAL_TYPE (EntsecApprovalDialog, entsec_approval_dialog, ENTSEC, APPROVAL_DIALOG,
                      AdwWindow)

/*
 * The dialog for the waiting request @challenge_id of @approvals, over
 * @parent. Approving signs with @vault (nullable: the window's, when it is
 * unlocked). Signals:
 *
 * - "finished" (const char *message): it closed after an answer or the
 *   request's expiry; @message says which, for a toast;
 * - "unlock-requested" (const char *challenge_id): Approve was pressed while
 *   @vault is locked: the dialog closed, the window asks for the unlock and
 *   opens it again.
 *
 * Escape closes it without answering.
 */
EntsecApprovalDialog *entsec_approval_dialog_new (GtkWindow       *parent,
                                                  EntsecApprovals *approvals,
                                                  EntsecVault     *vault,
                                                  const char      *challenge_id);

/* (transfer none): the challenge id it shows. */
const char *entsec_approval_dialog_get_challenge_id (EntsecApprovalDialog *self);

G_END_DECLS
