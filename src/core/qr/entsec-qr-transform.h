/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-qr-transform.h: image fixes for the scanner's retries; each returns a new image */
#pragma once

#include "entsec-qr-private.h"

G_BEGIN_DECLS

EntsecQrGrey *entsec_qr_invert (const EntsecQrGrey *src);
EntsecQrGrey *entsec_qr_pad (const EntsecQrGrey *src);
EntsecQrGrey *entsec_qr_downscale (const EntsecQrGrey *src,
                                   guint               factor);
EntsecQrGrey *entsec_qr_upscale (const EntsecQrGrey *src,
                                 guint               factor);
EntsecQrGrey *entsec_qr_threshold (const EntsecQrGrey *src);
EntsecQrGrey *entsec_qr_sharpen (const EntsecQrGrey *src);
EntsecQrGrey *entsec_qr_unwarp (const EntsecQrGrey *src);

G_END_DECLS
