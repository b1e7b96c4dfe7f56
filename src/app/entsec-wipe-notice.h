/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-wipe-notice.h: what the app says after a remote wipe, and when */
#pragma once

#include <adwaita.h>

#include <entsec/entsec.h>

G_BEGIN_DECLS

/* The vault preference (an int64) that keeps which wipe was shown: its @received_at. */
#define ENTSEC_WIPE_NOTICE_PREF "app.remote_wipe_noticed"

/*
 * What happened and why, for @wipe (nullable: a wipe with no record, such
 * as a revocation found by a sync): who ordered it, when, what went and
 * what stays. The one wording of every wipe notice.
 * Returns: (transfer full): free with g_free().
 */
char *entsec_wipe_notice_text (const EntsecRemoteWipe *wipe);

/* A wipe was just carried out while the app runs: say so over @window
 * (with its record read from @vault, nullable). */
void entsec_wipe_notice_show_now (GtkWindow   *window,
                                  EntsecVault *vault);

/* @vault was just unlocked: a wipe that was finished then (it arrived while
 * the app was closed or locked) is said over @window, once per wipe. */
void entsec_wipe_notice_after_unlock (GtkWindow    *window,
                                      EntsecVault  *vault,
                                      GCancellable *cancellable);

G_END_DECLS
