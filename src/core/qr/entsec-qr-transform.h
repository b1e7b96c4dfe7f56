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
EntsecQrGrey *entsec_qr_unsharp (const EntsecQrGrey *src,
                                guint               radius);
EntsecQrGrey *entsec_qr_unwarp (const EntsecQrGrey *src);
EntsecQrGrey *entsec_qr_wolf_threshold (const EntsecQrGrey *src);
EntsecQrGrey *entsec_qr_wolf_threshold_radius (const EntsecQrGrey *src,
                                               guint               radius,
                                               EntsecQrBudget     *budget);
EntsecQrGrey *entsec_qr_warp_quad (const EntsecQrGrey *src,
                                   const double        from[4][2],
                                   const double        to[4][2],
                                   double              lo,
                                   double              hi,
                                   guint               side);

/* Pixels per module in the square entsec_qr_finder_warps() maps a code onto. */
#define ENTSEC_QR_WARP_MODULE_PX 4

/* Finder-pattern centres in a black-and-white image (element-type EntsecQrFinder). */
typedef struct
{
  double x, y;   /* centre */
  double module; /* module size in pixels */
  guint  votes;  /* scan lines that confirmed it */
} EntsecQrFinder;

GArray    *entsec_qr_find_finders (const EntsecQrGrey *bin,
                                   EntsecQrBudget     *budget);
GPtrArray *entsec_qr_finder_warps (const EntsecQrGrey *src,
                                   guint               radius,
                                   guint               max,
                                   guint              *candidates,
                                   EntsecQrBudget     *budget);

/* A rectangle of an image that may hold a code (entsec_qr_busy_regions()). */
typedef struct
{
  guint  x, y, width, height;
  double module;   /* estimated module size in pixels */
  double contrast; /* standard deviation of the grey inside */
} EntsecQrRegion;

/* Where a code may be in @grey, found by cell statistics (element-type EntsecQrRegion). */
GArray       *entsec_qr_busy_regions (const EntsecQrGrey *grey,
                                      guint               max);
/* @region of @grey read again from the JPEG @grey was shrunk from, at full size. */
EntsecQrGrey *entsec_qr_load_source_region (const EntsecQrSource *source,
                                            const EntsecQrGrey   *grey,
                                            const EntsecQrRegion *region,
                                            guint                 margin,
                                            EntsecQrBudget       *budget);

G_END_DECLS
