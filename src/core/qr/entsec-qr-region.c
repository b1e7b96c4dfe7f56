/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-qr-region.c: where in a shrunken photo a small code may be, and that place at full size */

#define G_LOG_DOMAIN "entsec-qr"

#include "config.h"

#include <math.h>
#include <string.h>

#include "entsec-qr-transform.h"

/* The busy map's cell, in pixels of the loaded image. */
#define BLOCK 16
/*
 * A cell is busy when, against its own mean grey, both its rows and its
 * columns change between dark and light at least once every
 * 1 / BUSY_DENSITY pixels. A code's modules do so about once every two
 * modules (half of the neighbours differ), so this keeps codes of modules
 * up to about 4 px; a flat or smooth background changes far less often,
 * text mostly in one direction.
 */
#define BUSY_DENSITY 0.12
/*
 * The least standard deviation of grey in a cell of a code: dark modules on
 * light paper, half and half, 40 grey levels apart. Noise on a smooth
 * background changes colour as often, at a few levels.
 */
#define MIN_CONTRAST 20.0
/* The modules a code has a side, version 1 to 40. */
#define MIN_DIMENSION 21
#define MAX_DIMENSION 177

typedef struct
{
  guint     gw, gh;  /* cells a row, rows of cells */
  guint    *across;  /* dark-light changes along the rows of each cell */
  guint    *down;    /* and along its columns */
  gboolean *busy;
} BusyMap;

static void
busy_map_clear (BusyMap *map)
{
  g_free (map->across);
  g_free (map->down);
  g_free (map->busy);
}

/* Each cell's mean grey into @mean, and whether it has a code's contrast into @map->busy. */
static void
cell_statistics (BusyMap            *map,
                 const EntsecQrGrey *grey,
                 guint8             *mean)
{
  gsize cells = (gsize) map->gw * map->gh;
  g_autofree guint64 *sum = g_new0 (guint64, cells);
  g_autofree guint64 *squares = g_new0 (guint64, cells);
  g_autofree guint *count = g_new0 (guint, cells);

  for (guint y = 0; y < grey->height; y++)
    {
      const guint8 *row = grey->pixels + (gsize) y * grey->width;
      gsize first = (gsize) (y / BLOCK) * map->gw;

      for (guint x = 0; x < grey->width; x++)
        {
          sum[first + x / BLOCK] += row[x];
          squares[first + x / BLOCK] += (guint) row[x] * row[x];
          count[first + x / BLOCK]++;
        }
    }
  for (gsize i = 0; i < cells; i++)
    {
      double m = (double) sum[i] / count[i];

      mean[i] = (guint8) m;
      map->busy[i] = (double) squares[i] / count[i] - m * m >= MIN_CONTRAST * MIN_CONTRAST;
    }
}

/*
 * Count each cell's changes between dark and light (against the cell's
 * mean) in both directions; a cell stays busy when it has a code's
 * contrast and changes often enough both ways.
 */
static void
busy_map_fill (BusyMap            *map,
               const EntsecQrGrey *grey)
{
  g_autofree guint8 *mean = NULL;
  g_autofree guint8 *dark = g_malloc ((gsize) grey->width * 2);

  map->gw = (grey->width + BLOCK - 1) / BLOCK;
  map->gh = (grey->height + BLOCK - 1) / BLOCK;
  map->across = g_new0 (guint, (gsize) map->gw * map->gh);
  map->down = g_new0 (guint, (gsize) map->gw * map->gh);
  map->busy = g_new0 (gboolean, (gsize) map->gw * map->gh);
  mean = g_malloc ((gsize) map->gw * map->gh);
  cell_statistics (map, grey, mean);
  for (guint y = 0; y < grey->height; y++)
    {
      const guint8 *row = grey->pixels + (gsize) y * grey->width;
      const guint8 *level = mean + (gsize) (y / BLOCK) * map->gw;
      guint8 *now = dark + (gsize) (y % 2) * grey->width;
      const guint8 *above = dark + (gsize) ((y + 1) % 2) * grey->width;
      guint *across = map->across + (gsize) (y / BLOCK) * map->gw;
      guint *down = map->down + (gsize) (y / BLOCK) * map->gw;

      for (guint x = 0; x < grey->width; x++)
        now[x] = row[x] < level[x / BLOCK];
      for (guint x = 1; y > 0 && x < grey->width; x++)
        {
          across[x / BLOCK] += now[x] != now[x - 1];
          down[x / BLOCK] += now[x] != above[x];
        }
    }
  for (gsize i = 0; i < (gsize) map->gw * map->gh; i++)
    map->busy[i] = map->busy[i]
                   && MIN (map->across[i], map->down[i]) >= BUSY_DENSITY * BLOCK * BLOCK;
}

/* The connected busy cells from @start (cleared as they are taken), as a region. */
static EntsecQrRegion
take_component (BusyMap *map,
                guint    start)
{
  g_autoptr (GArray) stack = g_array_new (FALSE, FALSE, sizeof (guint));
  guint x0 = G_MAXUINT, y0 = G_MAXUINT, x1 = 0, y1 = 0, cells = 0;
  guint64 changes = 0;
  EntsecQrRegion region = { 0 };

  map->busy[start] = FALSE;
  g_array_append_val (stack, start);
  while (stack->len > 0)
    {
      guint i = g_array_index (stack, guint, stack->len - 1);
      guint cx = i % map->gw, cy = i / map->gw;
      const int near[4][2] = { { -1, 0 }, { 1, 0 }, { 0, -1 }, { 0, 1 } };

      g_array_set_size (stack, stack->len - 1);
      x0 = MIN (x0, cx);
      y0 = MIN (y0, cy);
      x1 = MAX (x1, cx);
      y1 = MAX (y1, cy);
      cells++;
      changes += map->across[i] + map->down[i];
      for (guint k = 0; k < 4; k++)
        {
          int nx = (int) cx + near[k][0], ny = (int) cy + near[k][1];
          guint n;

          if (nx < 0 || ny < 0 || nx >= (int) map->gw || ny >= (int) map->gh)
            continue;
          n = (guint) ny * map->gw + (guint) nx;
          if (map->busy[n])
            {
              map->busy[n] = FALSE;
              g_array_append_val (stack, n);
            }
        }
    }
  region.x = x0 * BLOCK;
  region.y = y0 * BLOCK;
  region.width = (x1 - x0 + 1) * BLOCK;
  region.height = (y1 - y0 + 1) * BLOCK;
  /* Neighbouring modules differ half the time: a change every two modules each way. */
  region.module = changes > 0 ? (double) cells * BLOCK * BLOCK / changes : 0;
  return region;
}

/* Whether @r can be one code: about square, and a plausible number of modules a side. */
static gboolean
code_shaped (const EntsecQrRegion *r)
{
  guint longer = MAX (r->width, r->height), shorter = MIN (r->width, r->height);

  return r->module > 0 && longer <= 2 * shorter && longer >= 2 * BLOCK
         && longer / r->module >= MIN_DIMENSION / 2 && shorter / r->module <= MAX_DIMENSION + 16;
}

/* The standard deviation of @grey's pixels inside @r. */
static double
contrast_in (const EntsecQrGrey   *grey,
             const EntsecQrRegion *r)
{
  guint x1 = MIN (grey->width, r->x + r->width), y1 = MIN (grey->height, r->y + r->height);
  guint64 sum = 0, squares = 0, n = (guint64) (x1 - r->x) * (y1 - r->y);
  double mean;

  for (guint y = r->y; y < y1; y++)
    {
      const guint8 *row = grey->pixels + (gsize) y * grey->width;

      for (guint x = r->x; x < x1; x++)
        {
          sum += row[x];
          squares += (guint) row[x] * row[x];
        }
    }
  mean = (double) sum / n;
  return sqrt (MAX (0.0, (double) squares / n - mean * mean));
}

static int
compare_contrast (gconstpointer a,
                  gconstpointer b)
{
  const EntsecQrRegion *ra = a, *rb = b;

  return ra->contrast > rb->contrast ? -1 : ra->contrast < rb->contrast;
}

/**
 * entsec_qr_busy_regions:
 * @grey: a grey image
 * @max: at most this many regions
 *
 * The places of @grey that look like a code: connected cells of 16 x 16
 * pixels of a code's contrast whose rows and columns both change often
 * between darker and lighter than the cell's mean, about square and of a
 * plausible number of modules a side (two passes over the pixels, about
 * 14 ms of CPU for a 2000 x 1500 image). The module size of each comes
 * from how often its colours change (neighbouring modules differ half the
 * time), which is the image's own measure of the code's scale.
 *
 * Returns: (transfer full) (element-type EntsecQrRegion): the regions, most
 * contrast first.
 */
GArray *
entsec_qr_busy_regions (const EntsecQrGrey *grey,
                        guint               max)
{
  GArray *regions = g_array_new (FALSE, FALSE, sizeof (EntsecQrRegion));
  BusyMap map;

  busy_map_fill (&map, grey);
  for (guint i = 0; i < map.gw * map.gh; i++)
    {
      EntsecQrRegion region;

      if (!map.busy[i])
        continue;
      region = take_component (&map, i);
      if (!code_shaped (&region))
        continue;
      region.contrast = contrast_in (grey, &region);
      if (region.contrast >= MIN_CONTRAST)
        g_array_append_val (regions, region);
    }
  busy_map_clear (&map);
  g_array_sort (regions, compare_contrast);
  if (regions->len > max)
    g_array_set_size (regions, max);
  return regions;
}

/*
 * The stored pixel under the upright pixel (@x, @y), for an image stored
 * @width x @height: the inverse of what EXIF @orientation does to show it.
 */
static void
stored_point (guint   orientation,
              guint   width,
              guint   height,
              double  x,
              double  y,
              double *sx,
              double *sy)
{
  gboolean turned = orientation >= 5;
  double u = turned ? y : x, v = turned ? x : y;

  /* Orientations 5 to 8 swap the axes, then each orientation flips one or both. */
  *sx = orientation == 2 || orientation == 3 || orientation == 7 || orientation == 8 ? width - u
                                                                                       : u;
  *sy = orientation == 3 || orientation == 4 || orientation == 6 || orientation == 7 ? height - v
                                                                                       : v;
}

/**
 * entsec_qr_load_source_region:
 * @source: the file @grey was loaded from
 * @grey: the image as loaded (upright, maybe shrunk)
 * @region: a region of @grey
 * @margin: widen @region by this many of @grey's pixels on every side
 * @budget: (nullable): the time left for the image
 *
 * @region of @grey read again from @source at the file's full resolution,
 * as the file stores it: the EXIF orientation is not applied, as a decoder
 * reads a code turned or mirrored (zbar and zxing-cpp both do).
 *
 * Returns: (transfer full) (nullable): the region, or %NULL when @source
 * cannot give one (not a sequential JPEG, damaged, or not shrunk at all)
 * or @budget ran out while it was read.
 */
EntsecQrGrey *
entsec_qr_load_source_region (const EntsecQrSource *source,
                              const EntsecQrGrey   *grey,
                              const EntsecQrRegion *region,
                              guint                 margin,
                              EntsecQrBudget       *budget)
{
  gboolean turned = source->orientation >= 5;
  double upright_w = turned ? source->height : source->width;
  double upright_h = turned ? source->width : source->height;
  double scale_x = upright_w / grey->width, scale_y = upright_h / grey->height;
  double x0 = MAX (0.0, (double) region->x - margin) * scale_x;
  double y0 = MAX (0.0, (double) region->y - margin) * scale_y;
  double x1 = MIN ((double) grey->width, (double) region->x + region->width + margin) * scale_x;
  double y1 = MIN ((double) grey->height, (double) region->y + region->height + margin) * scale_y;
  double ax, ay, bx, by;
  guint left, top, right, bottom;

  if (!source->jpeg || scale_x < 1.5)
    return NULL;
  stored_point (source->orientation, source->width, source->height, x0, y0, &ax, &ay);
  stored_point (source->orientation, source->width, source->height, x1, y1, &bx, &by);
  left = (guint) CLAMP (MIN (ax, bx), 0, source->width);
  top = (guint) CLAMP (MIN (ay, by), 0, source->height);
  right = (guint) CLAMP (MAX (ax, bx), 0, source->width);
  bottom = (guint) CLAMP (MAX (ay, by), 0, source->height);
  if (right <= left || bottom <= top)
    return NULL;
  return entsec_qr_load_jpeg_region (source->data, source->len, left, top, right - left,
                                     bottom - top, budget);
}
