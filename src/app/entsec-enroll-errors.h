/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-enroll-errors.h: what the enrollment assistant says when a step fails */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * A sentence a person can act on for @error of an enrollment step
 * (%ENTSEC_NET_ERROR, %ENTSEC_LINK_ERROR, %ENTSEC_QR_ERROR or a vault
 * error), translated. @retry_after: the wait of a rate-limited answer in
 * seconds (-1: unknown); @attempts_left: after a wrong code (-1: unknown).
 * Certificate and TLS failures add the library's own reason on a second
 * line, so that "not trusted" says why.
 * Returns: (transfer full) (nullable): NULL for a cancelled call (nothing to
 *   say); free with g_free().
 */
char *entsec_enroll_error_text (const GError *error,
                                gint64        retry_after,
                                int           attempts_left);

/* "42 seconds", "3 minutes": a wait, rounded up to whole minutes from two
 * minutes on. Returns: (transfer full): free with g_free(). */
char *entsec_enroll_format_wait (gint64 seconds);

G_END_DECLS
