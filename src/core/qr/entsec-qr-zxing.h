/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-qr-zxing.h: zxing-cpp as a second QR decoder, behind a C interface */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* One symbol: its raw bytes, and zxing's UTF-8 rendering of them (ECI or guessed charset). */
typedef void (*EntsecQrZxingFound) (const guint8 *bytes,
                                    gsize         len,
                                    const char   *text,
                                    gpointer      user_data);

/*
 * Look for QR codes in an 8-bit grey image of @width x @height pixels (rows
 * packed) with zxing-cpp, trying harder, at this size only (the caller reads
 * smaller copies, as zxing's tryDownscale would, one call each);
 * @found is called once per code read. Returns how many were read. The
 * decoder's own copies of the payloads are wiped before it returns.
 */
guint entsec_qr_zxing_scan (const guint8      *pixels,
                            guint              width,
                            guint              height,
                            EntsecQrZxingFound found,
                            gpointer           user_data);

G_END_DECLS
