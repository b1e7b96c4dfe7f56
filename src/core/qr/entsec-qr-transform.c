/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-qr-transform.c: the image fixes the scanner retries with (pad, scale, invert ...) */

#define G_LOG_DOMAIN "entsec-qr"

#include "config.h"

#include <math.h>
#include <string.h>

#include "entsec-qr-transform.h"

/* The unwarped square is at most this many pixels a side. */
#define UNWARP_MAX_SIDE 1200

static inline guint8
clamp_byte (int value)
{
  return (guint8) CLAMP (value, 0, 255);
}

EntsecQrGrey *
entsec_qr_invert (const EntsecQrGrey *src)
{
  EntsecQrGrey *out = entsec_qr_grey_new (src->width, src->height);
  gsize n = (gsize) src->width * src->height;

  for (gsize i = 0; i < n; i++)
    out->pixels[i] = 255 - src->pixels[i];
  return out;
}

/* A quiet zone around codes cropped to the picture's edge: zbar needs one. */
EntsecQrGrey *
entsec_qr_pad (const EntsecQrGrey *src)
{
  guint border = MAX (16, MIN (src->width, src->height) / 8);
  EntsecQrGrey *out = entsec_qr_grey_new (src->width + 2 * border, src->height + 2 * border);

  memset (out->pixels, 255, (gsize) out->width * out->height);
  for (guint y = 0; y < src->height; y++)
    memcpy (out->pixels + (gsize) (y + border) * out->width + border,
            src->pixels + (gsize) y * src->width, src->width);
  return out;
}

/* The mean of a box of pixels, for scaling down. */
static guint8
sample_box (const EntsecQrGrey *src,
            guint               x0,
            guint               y0,
            guint               x1,
            guint               y1)
{
  guint sum = 0;
  guint count = 0;

  for (guint y = y0; y < y1 && y < src->height; y++)
    for (guint x = x0; x < x1 && x < src->width; x++, count++)
      sum += src->pixels[(gsize) y * src->width + x];
  return count > 0 ? (guint8) (sum / count) : 255;
}

EntsecQrGrey *
entsec_qr_downscale (const EntsecQrGrey *src,
                     guint               factor)
{
  guint w = MAX (1, src->width / factor);
  guint h = MAX (1, src->height / factor);
  EntsecQrGrey *out = entsec_qr_grey_new (w, h);

  for (guint y = 0; y < h; y++)
    for (guint x = 0; x < w; x++)
      out->pixels[(gsize) y * w + x] =
        sample_box (src, x * factor, y * factor, (x + 1) * factor, (y + 1) * factor);
  return out;
}

static guint8
sample_bilinear (const EntsecQrGrey *src,
                 guint               fx,
                 guint               fy)
{
  guint x = MIN (fx >> 8, src->width - 1);
  guint y = MIN (fy >> 8, src->height - 1);
  guint x1 = MIN (x + 1, src->width - 1);
  guint y1 = MIN (y + 1, src->height - 1);
  guint ax = fx & 0xff;
  guint ay = fy & 0xff;
  const guint8 *row0 = src->pixels + (gsize) y * src->width;
  const guint8 *row1 = src->pixels + (gsize) y1 * src->width;
  guint top = row0[x] * (256 - ax) + row0[x1] * ax;
  guint bottom = row1[x] * (256 - ax) + row1[x1] * ax;

  return (guint8) ((top * (256 - ay) + bottom * ay) >> 16);
}

EntsecQrGrey *
entsec_qr_upscale (const EntsecQrGrey *src,
                   guint               factor)
{
  EntsecQrGrey *out = entsec_qr_grey_new (src->width * factor, src->height * factor);

  for (guint y = 0; y < out->height; y++)
    for (guint x = 0; x < out->width; x++)
      out->pixels[(gsize) y * out->width + x] =
        sample_bilinear (src, x * 256 / factor, y * 256 / factor);
  return out;
}

/* Summed-area table with one extra row and column of zeros; of the squared
 * pixels too into @squares (nullable). %NULL when @budget (nullable) runs out. */
static guint32 *
integral_images (const EntsecQrGrey *src,
                 guint64           **squares,
                 EntsecQrBudget     *budget)
{
  guint w = src->width + 1;
  g_autofree guint32 *sum = g_new0 (guint32, (gsize) w * (src->height + 1));
  g_autofree guint64 *sq = squares != NULL ? g_new0 (guint64, (gsize) w * (src->height + 1))
                                           : NULL;

  for (guint y = 0; y < src->height; y++)
    {
      guint32 row = 0;
      guint64 row2 = 0;

      if (y % ENTSEC_QR_BUDGET_ROWS == 0 && !entsec_qr_budget_allows (budget))
        return NULL;
      for (guint x = 0; x < src->width; x++)
        {
          guint64 v = src->pixels[(gsize) y * src->width + x];
          gsize i = (gsize) (y + 1) * w + x + 1;

          row += (guint32) v;
          sum[i] = sum[i - w] + row;
          if (sq != NULL)
            {
              row2 += v * v;
              sq[i] = sq[i - w] + row2;
            }
        }
    }
  if (squares != NULL)
    *squares = g_steal_pointer (&sq);
  return g_steal_pointer (&sum);
}

static guint32 *
integral_image (const EntsecQrGrey *src)
{
  return integral_images (src, NULL, NULL);
}

static guint
window_mean (const guint32 *sum,
             guint          stride,
             guint          x0,
             guint          y0,
             guint          x1,
             guint          y1)
{
  guint32 total = sum[(gsize) y1 * stride + x1] - sum[(gsize) y0 * stride + x1]
                  - sum[(gsize) y1 * stride + x0] + sum[(gsize) y0 * stride + x0];

  return total / ((x1 - x0) * (y1 - y0));
}

/* Black where a pixel is darker than its neighbourhood: uneven light and glare. */
EntsecQrGrey *
entsec_qr_threshold (const EntsecQrGrey *src)
{
  g_autofree guint32 *sum = integral_image (src);
  EntsecQrGrey *out = entsec_qr_grey_new (src->width, src->height);
  guint radius = MAX (8, MIN (src->width, src->height) / 16);
  guint stride = src->width + 1;

  for (guint y = 0; y < src->height; y++)
    for (guint x = 0; x < src->width; x++)
      {
        guint x0 = x > radius ? x - radius : 0;
        guint y0 = y > radius ? y - radius : 0;
        guint x1 = MIN (x + radius + 1, src->width);
        guint y1 = MIN (y + radius + 1, src->height);
        guint mean = window_mean (sum, stride, x0, y0, x1, y1);
        gsize i = (gsize) y * src->width + x;

        out->pixels[i] = (guint) src->pixels[i] + 4 < mean ? 0 : 255;
      }
  return out;
}

/* An image's integral images and the radius of the windows read from them. */
typedef struct
{
  const EntsecQrGrey *src;
  const guint32      *sum;
  const guint64      *squares;
  guint               radius;
} Windows;

/* The local mean and standard deviation in a box of the radius around (@x, @y). */
static void
window_stats (const Windows *w,
              guint          x,
              guint          y,
              double        *mean,
              double        *deviation)
{
  const EntsecQrGrey *src = w->src;
  const guint32 *sum = w->sum;
  const guint64 *squares = w->squares;
  guint radius = w->radius;
  guint stride = src->width + 1;
  guint x0 = x > radius ? x - radius : 0;
  guint y0 = y > radius ? y - radius : 0;
  guint x1 = MIN (x + radius + 1, src->width);
  guint y1 = MIN (y + radius + 1, src->height);
  double n = (double) (x1 - x0) * (y1 - y0);
  guint32 total = sum[(gsize) y1 * stride + x1] - sum[(gsize) y0 * stride + x1]
                  - sum[(gsize) y1 * stride + x0] + sum[(gsize) y0 * stride + x0];
  guint64 total2 = squares[(gsize) y1 * stride + x1] - squares[(gsize) y0 * stride + x1]
                   - squares[(gsize) y1 * stride + x0] + squares[(gsize) y0 * stride + x0];

  *mean = total / n;
  *deviation = sqrt (MAX (0.0, total2 / n - *mean * *mean));
}

/*
 * One row of Wolf's threshold, t = m - k (1 - s / s_max) (m - g_min), or
 * t = m when @max_deviation is 0 (a flat image). No square root per pixel:
 * with d = k (m - g_min) and a = p - m + d, p < t is a < (d / s_max) s,
 * true when a < 0 and otherwise a^2 < (d / s_max)^2 s^2, where s^2 is what
 * the integral images give.
 */
static void
wolf_row (const Windows *w,
          guint          y,
          double         max_deviation,
          guint          darkest,
          guint8        *out)
{
  const double k = 0.5;
  guint width = w->src->width, stride = width + 1, radius = w->radius;
  guint y0 = y > radius ? y - radius : 0;
  guint y1 = MIN (y + radius + 1, w->src->height);
  const guint32 *s0 = w->sum + (gsize) y0 * stride, *s1 = w->sum + (gsize) y1 * stride;
  const guint64 *q0 = w->squares + (gsize) y0 * stride, *q1 = w->squares + (gsize) y1 * stride;
  const guint8 *row = w->src->pixels + (gsize) y * width;

  for (guint x = 0; x < width; x++)
    {
      guint x0 = x > radius ? x - radius : 0;
      guint x1 = MIN (x + radius + 1, width);
      double per_pixel = 1.0 / ((double) (x1 - x0) * (y1 - y0));
      double mean = (s1[x1] - s0[x1] - s1[x0] + s0[x0]) * per_pixel;
      double variance, d, a, b;

      if (max_deviation <= 0)
        {
          out[x] = row[x] < mean ? 0 : 255;
          continue;
        }
      variance = (double) (q1[x1] - q0[x1] - q1[x0] + q0[x0]) * per_pixel - mean * mean;
      d = k * (mean - darkest);
      a = row[x] - mean + d;
      b = d / max_deviation;
      out[x] = a < 0 || a * a < b * b * MAX (0.0, variance) ? 0 : 255;
    }
}

/**
 * entsec_qr_wolf_threshold:
 * @src: a grey image
 *
 * Black and white by Wolf and Jolion's local threshold (a Sauvola variant
 * normalised by the image's own darkest grey and largest local contrast):
 * t = m - k (1 - s / s_max) (m - g_min), from the mean m and deviation s of
 * a window an eighth of the shorter side wide, with integral images. It
 * follows uneven light and keeps low-contrast codes, where one global level
 * or a fixed offset from the local mean loses them.
 *
 * Returns: (transfer full): 0 (dark) or 255 per pixel.
 */
EntsecQrGrey *
entsec_qr_wolf_threshold (const EntsecQrGrey *src)
{
  return entsec_qr_wolf_threshold_radius (src, MAX (8, MIN (src->width, src->height) / 16), NULL);
}

/*
 * The same with a window of 2 @radius + 1 pixels: a few modules of the codes
 * looked for. %NULL when @budget (nullable) runs out on the way: it is
 * looked at every ENTSEC_QR_BUDGET_ROWS rows (about 40 ms on a 2000 x 1500
 * photo in all).
 */
EntsecQrGrey *
entsec_qr_wolf_threshold_radius (const EntsecQrGrey *src,
                                 guint               radius,
                                 EntsecQrBudget     *budget)
{
  g_autofree guint64 *squares = NULL;
  g_autofree guint32 *sum = NULL;
  g_autoptr (EntsecQrGrey) out = NULL;
  gsize n = (gsize) src->width * src->height;
  Windows windows = { src, NULL, NULL, radius };
  double max_deviation = 0;
  guint darkest = 255;

  sum = integral_images (src, &squares, budget);
  if (sum == NULL)
    return NULL;
  windows.sum = sum;
  windows.squares = squares;
  out = entsec_qr_grey_new (src->width, src->height);
  for (gsize i = 0; i < n; i++)
    darkest = MIN (darkest, src->pixels[i]);
  /* The largest local contrast, sampled on a grid of half windows. */
  for (guint y = 0; y < src->height; y += MAX (1, radius / 2))
    for (guint x = 0; x < src->width; x += MAX (1, radius / 2))
      {
        double mean, deviation;

        window_stats (&windows, x, y, &mean, &deviation);
        max_deviation = MAX (max_deviation, deviation);
      }
  for (guint y = 0; y < src->height; y++)
    {
      if (y % ENTSEC_QR_BUDGET_ROWS == 0 && !entsec_qr_budget_allows (budget))
        return NULL;
      wolf_row (&windows, y, max_deviation, darkest, out->pixels + (gsize) y * src->width);
    }
  return g_steal_pointer (&out);
}

/**
 * entsec_qr_unsharp:
 * @src: a grey image
 * @radius: of the box blur subtracted, in pixels (about half a module)
 *
 * Unsharp mask, 2 p - mean: gives back some edge to blurred modules.
 *
 * Returns: (transfer full): the sharpened image.
 */
EntsecQrGrey *
entsec_qr_unsharp (const EntsecQrGrey *src,
                   guint               radius)
{
  g_autofree guint32 *sum = integral_image (src);
  EntsecQrGrey *out = entsec_qr_grey_new (src->width, src->height);
  guint stride = src->width + 1;

  for (guint y = 0; y < src->height; y++)
    for (guint x = 0; x < src->width; x++)
      {
        guint mean = window_mean (sum, stride, x > radius ? x - radius : 0,
                                  y > radius ? y - radius : 0, MIN (x + radius + 1, src->width),
                                  MIN (y + radius + 1, src->height));
        gsize i = (gsize) y * src->width + x;

        out->pixels[i] = clamp_byte (2 * (int) src->pixels[i] - (int) mean);
      }
  return out;
}

/* Unsharp mask with a 3x3 box blur: for blurred photos. */
EntsecQrGrey *
entsec_qr_sharpen (const EntsecQrGrey *src)
{
  return entsec_qr_unsharp (src, 1);
}

/* Otsu's global threshold: the grey level that best splits dark from light. */
static guint
otsu_threshold (const EntsecQrGrey *src)
{
  gsize histogram[256] = { 0 };
  gsize n = (gsize) src->width * src->height;
  double total = 0, below = 0, best = -1;
  gsize count_below = 0;
  guint threshold = 128;

  for (gsize i = 0; i < n; i++)
    histogram[src->pixels[i]]++;
  for (guint v = 0; v < 256; v++)
    total += (double) v * histogram[v];
  for (guint v = 0; v < 256; v++)
    {
      double w0, w1, between;

      count_below += histogram[v];
      below += (double) v * histogram[v];
      if (count_below == 0 || count_below == n)
        continue;
      w0 = (double) count_below;
      w1 = (double) (n - count_below);
      between = w0 * w1 * (below / w0 - (total - below) / w1) * (below / w0 - (total - below) / w1);
      if (between > best)
        {
          best = between;
          threshold = v;
        }
    }
  return threshold;
}

/* Corners of the dark region: the extremes along both diagonals (TL, TR, BR, BL). */
static gboolean
dark_corners (const EntsecQrGrey *src,
              double              corners[4][2])
{
  guint threshold = otsu_threshold (src);
  long best[4] = { G_MAXLONG, G_MINLONG, G_MINLONG, G_MINLONG };
  gsize dark = 0;

  for (guint y = 0; y < src->height; y++)
    for (guint x = 0; x < src->width; x++)
      {
        long score[4] = { (long) x + y, (long) x - y, (long) x + y, (long) y - x };

        if (src->pixels[(gsize) y * src->width + x] > threshold)
          continue;
        dark++;
        for (guint k = 0; k < 4; k++)
          {
            if (k == 0 ? score[k] < best[k] : score[k] > best[k])
              {
                best[k] = score[k];
                corners[k][0] = x;
                corners[k][1] = y;
              }
          }
      }
  return dark > 64;
}

static double
distance (const double a[2],
          const double b[2])
{
  return hypot (a[0] - b[0], a[1] - b[1]);
}

/* Heckbert's square-to-quad projective map: (u, v) in [0,1]^2 to the quad. */
typedef struct
{
  double a, b, c, d, e, f, g, h;
} Homography;

static gboolean
square_to_quad (const double q[4][2],
                Homography  *m)
{
  double dx1 = q[1][0] - q[2][0], dx2 = q[3][0] - q[2][0];
  double dx3 = q[0][0] - q[1][0] + q[2][0] - q[3][0];
  double dy1 = q[1][1] - q[2][1], dy2 = q[3][1] - q[2][1];
  double dy3 = q[0][1] - q[1][1] + q[2][1] - q[3][1];
  double det = dx1 * dy2 - dx2 * dy1;

  if (fabs (det) < 1e-9)
    return FALSE;
  m->g = (dx3 * dy2 - dx2 * dy3) / det;
  m->h = (dx1 * dy3 - dx3 * dy1) / det;
  m->a = q[1][0] - q[0][0] + m->g * q[1][0];
  m->b = q[3][0] - q[0][0] + m->h * q[3][0];
  m->c = q[0][0];
  m->d = q[1][1] - q[0][1] + m->g * q[1][1];
  m->e = q[3][1] - q[0][1] + m->h * q[3][1];
  m->f = q[0][1];
  return TRUE;
}

/* Fill @side x @side pixels of @out (from @border on) with the quad @m maps the square onto. */
static void
warp_square (const EntsecQrGrey *src,
             const Homography   *m,
             guint               side,
             guint               border,
             EntsecQrGrey       *out)
{
  for (guint y = 0; y < side; y++)
    for (guint x = 0; x < side; x++)
      {
        double u = (x + 0.5) / side, v = (y + 0.5) / side;
        double w = m->g * u + m->h * v + 1;
        double sx = (m->a * u + m->b * v + m->c) / w, sy = (m->d * u + m->e * v + m->f) / w;

        /* Written so that NaN fails too. */
        if (!(w > 1e-9 && sx >= 0 && sy >= 0 && sx < src->width && sy < src->height))
          continue;
        out->pixels[(gsize) (y + border) * out->width + x + border] =
          sample_bilinear (src, (guint) (sx * 256), (guint) (sy * 256));
      }
}

/* The inverse of @m as a 3x3 matrix (row-major), up to scale: its adjugate. */
static void
homography_adjugate (const Homography *m,
                     double            inv[9])
{
  inv[0] = m->e - m->f * m->h;
  inv[1] = m->c * m->h - m->b;
  inv[2] = m->b * m->f - m->c * m->e;
  inv[3] = m->f * m->g - m->d;
  inv[4] = m->a - m->c * m->g;
  inv[5] = m->c * m->d - m->a * m->f;
  inv[6] = m->d * m->h - m->e * m->g;
  inv[7] = m->b * m->g - m->a * m->h;
  inv[8] = m->a * m->e - m->b * m->d;
}

/**
 * entsec_qr_warp_quad:
 * @src: a grey image
 * @from: four points of a plane (a code's module coordinates)
 * @to: where those four points are in @src
 * @lo: the plane coordinate of the output's first pixel edge, on both axes
 * @hi: the plane coordinate of its last pixel edge
 * @side: the output's side in pixels
 *
 * Sample the square [@lo, @hi]^2 of the plane, through the projective map
 * that takes @from onto @to, into a @side x @side image; outside @src stays
 * white.
 *
 * Returns: (transfer full) (nullable): the image, or NULL when a quad is degenerate.
 */
EntsecQrGrey *
entsec_qr_warp_quad (const EntsecQrGrey *src,
                     const double        from[4][2],
                     const double        to[4][2],
                     double              lo,
                     double              hi,
                     guint               side)
{
  Homography plane, m;
  double inv[9];
  EntsecQrGrey *out;

  if (side == 0 || side > 4 * UNWARP_MAX_SIDE || !square_to_quad (from, &plane)
      || !square_to_quad (to, &m))
    return NULL;
  homography_adjugate (&plane, inv);
  out = entsec_qr_grey_new (side, side);
  memset (out->pixels, 255, (gsize) side * side);
  for (guint y = 0; y < side; y++)
    for (guint x = 0; x < side; x++)
      {
        double px = lo + (hi - lo) * (x + 0.5) / side, py = lo + (hi - lo) * (y + 0.5) / side;
        double pw = inv[6] * px + inv[7] * py + inv[8];
        double u = (inv[0] * px + inv[1] * py + inv[2]) / pw;
        double v = (inv[3] * px + inv[4] * py + inv[5]) / pw;
        double w = m.g * u + m.h * v + 1;
        double sx = (m.a * u + m.b * v + m.c) / w, sy = (m.d * u + m.e * v + m.f) / w;

        /* Written so that NaN fails too. */
        if (!(w > 1e-9 && sx >= 0 && sy >= 0 && sx < src->width && sy < src->height))
          continue;
        out->pixels[(gsize) y * side + x] =
          sample_bilinear (src, (guint) (sx * 256), (guint) (sy * 256));
      }
  return out;
}

/*
 * Perspective, zbar's weak point: find the dark region's four corners and
 * map that quadrilateral back onto a square with a quiet zone around it.
 */
EntsecQrGrey *
entsec_qr_unwarp (const EntsecQrGrey *src)
{
  double q[4][2];
  Homography m;
  double longest;
  guint side, border;
  EntsecQrGrey *out;

  if (!dark_corners (src, q) || !square_to_quad (q, &m))
    return NULL;
  longest = MAX (MAX (distance (q[0], q[1]), distance (q[1], q[2])),
                 MAX (distance (q[2], q[3]), distance (q[3], q[0])));
  if (!(longest >= 21))
    return NULL;
  /* Large codes have large modules: a smaller square reads as well. */
  side = (guint) MIN (longest, UNWARP_MAX_SIDE);
  border = side / 8;
  out = entsec_qr_grey_new (side + 2 * border, side + 2 * border);
  memset (out->pixels, 255, (gsize) out->width * out->height);
  warp_square (src, &m, side, border, out);
  return out;
}
