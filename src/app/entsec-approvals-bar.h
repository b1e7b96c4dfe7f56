/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-approvals-bar.h: the sign-in requests waiting, under the window's pages */
#pragma once

#include <adwaita.h>

#include "entsec-approvals.h"

G_BEGIN_DECLS

#define ENTSEC_TYPE_APPROVALS_BAR (entsec_approvals_bar_get_type ())
G_DECLARE_FINAL_TYPE (EntsecApprovalsBar, entsec_approvals_bar, ENTSEC, APPROVALS_BAR, GtkBox)

/* A row per waiting request of @approvals (nullable: none), each with a
 * "Review" button that activates app.show-approval; hidden when none wait. */
void entsec_approvals_bar_set_approvals (EntsecApprovalsBar *self,
                                         EntsecApprovals    *approvals);

G_END_DECLS
