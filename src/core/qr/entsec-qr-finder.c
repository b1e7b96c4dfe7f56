/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-qr-finder.c: find a code's three finder patterns and map the code back onto a square */

#define G_LOG_DOMAIN "entsec-qr"

#include "config.h"

#include <math.h>
#include <string.h>

#include "entsec-qr-transform.h"

/* At most this many finder candidates enter the search for triples (n^3/6 triples). */
#define MAX_CANDIDATES 16

typedef EntsecQrFinder Finder;

/*
 * The 1:1:3:1:1 dark-light-dark-light-dark ratio of a finder pattern, with
 * the tolerance zxing's detector uses: each one-module run within half a
 * module of the estimate, the centre within one and a half.
 */
static gboolean
finder_ratio (const guint runs[5])
{
  guint total = runs[0] + runs[1] + runs[2] + runs[3] + runs[4];
  double module, slack;

  if (total < 7)
    return FALSE;
  module = total / 7.0;
  slack = module / 2.0;
  return fabs (module - runs[0]) < slack && fabs (module - runs[1]) < slack
         && fabs (3 * module - runs[2]) < 3 * slack && fabs (module - runs[3]) < slack
         && fabs (module - runs[4]) < slack;
}

static inline gboolean
is_dark (const EntsecQrGrey *bin,
         int                 x,
         int                 y)
{
  return bin->pixels[(gsize) y * bin->width + x] == 0;
}

/* Count dark, light, dark runs from (@x, @y) along (@dx, @dy), at most @limit pixels. */
static void
count_runs (const EntsecQrGrey *bin,
            int                 x,
            int                 y,
            int                 dx,
            int                 dy,
            int                 limit,
            guint               runs[3])
{
  guint state = 0;

  for (int i = 0; i < limit; i++, x += dx, y += dy)
    {
      if (x < 0 || y < 0 || x >= (int) bin->width || y >= (int) bin->height)
        return;
      if (is_dark (bin, x, y) != (state != 1))
        {
          if (state == 2)
            return;
          state++;
        }
      runs[state]++;
    }
}

/* The five runs through the dark pixel (@x, @y) along (@dx, @dy), centre run third;
 * @offset receives the centre run's middle relative to (@x, @y). */
static void
five_runs (const EntsecQrGrey *bin,
           int                 x,
           int                 y,
           int                 dx,
           int                 dy,
           int                 limit,
           guint               runs[5],
           double             *offset)
{
  guint back[3] = { 0 }, fwd[3] = { 0 };

  count_runs (bin, x - dx, y - dy, -dx, -dy, limit, back);
  count_runs (bin, x, y, dx, dy, limit, fwd);
  runs[0] = back[2];
  runs[1] = back[1];
  runs[2] = back[0] + fwd[0];
  runs[3] = fwd[1];
  runs[4] = fwd[2];
  *offset = ((double) fwd[0] - 1 - back[0]) / 2.0;
}

/*
 * The five runs of a finder pattern through the dark pixel (@cx, @cy)
 * along (@dx, @dy); the offset of their centre from (@cx, @cy) along that
 * line, or NAN when the runs are no finder pattern.
 */
static double
cross_check (const EntsecQrGrey *bin,
             int                 cx,
             int                 cy,
             int                 dx,
             int                 dy,
             double              module,
             double             *size)
{
  guint runs[5];
  double offset;

  if (!is_dark (bin, cx, cy))
    return NAN;
  five_runs (bin, cx, cy, dx, dy, (int) (module * 10) + 4, runs, &offset);
  if (!finder_ratio (runs))
    return NAN;
  *size = (runs[0] + runs[1] + runs[2] + runs[3] + runs[4]) / 7.0;
  return offset;
}

/* Add the centre found at (@x, @y), merging it with a close candidate of similar size. */
static void
add_candidate (GArray *found,
               double  x,
               double  y,
               double  module)
{
  for (guint i = 0; i < found->len; i++)
    {
      Finder *f = &g_array_index (found, Finder, i);

      if (hypot (f->x - x, f->y - y) < 2 * MAX (f->module, module)
          && fabs (f->module - module) < MAX (f->module, module) / 2)
        {
          f->x = (f->x * f->votes + x) / (f->votes + 1);
          f->y = (f->y * f->votes + y) / (f->votes + 1);
          f->module = (f->module * f->votes + module) / (f->votes + 1);
          f->votes++;
          return;
        }
    }
  g_array_append_val (found, ((Finder) { x, y, module, 1 }));
}

/* A row run pattern ending before @end: confirm it across the column and the row again. */
static void
check_row_pattern (const EntsecQrGrey *bin,
                   const guint         runs[5],
                   guint               end,
                   guint               y,
                   GArray             *found)
{
  double module = (runs[0] + runs[1] + runs[2] + runs[3] + runs[4]) / 7.0;
  double cx = end - runs[4] - runs[3] - runs[2] / 2.0;
  double vsize = 0, hsize = 0;
  double dy = cross_check (bin, (int) cx, (int) y, 0, 1, module, &vsize);
  double cy, dx;

  if (isnan (dy) || fabs (vsize - module) > module / 2)
    return;
  cy = y + dy;
  dx = cross_check (bin, (int) cx, (int) cy, 1, 0, module, &hsize);
  if (isnan (dx) || fabs (hsize - module) > module / 2)
    return;
  add_candidate (found, (int) cx + dx, cy, (module + vsize + hsize) / 3);
}

/**
 * entsec_qr_find_finders:
 * @bin: a black-and-white image (0 is dark)
 * @budget: (nullable): the time left, looked at every ENTSEC_QR_BUDGET_ROWS rows
 *
 * The centres of the finder patterns in @bin: rows scanned for 1:1:3:1:1
 * runs, each confirmed across its column and its row again, close ones merged.
 *
 * Returns: (transfer full) (nullable) (element-type EntsecQrFinder): the
 * candidates, or %NULL when @budget ran out before the last row.
 */
GArray *
entsec_qr_find_finders (const EntsecQrGrey *bin,
                        EntsecQrBudget     *budget)
{
  g_autoptr (GArray) found = g_array_new (FALSE, FALSE, sizeof (Finder));

  for (guint y = 0; y < bin->height; y++)
    {
      const guint8 *row = bin->pixels + (gsize) y * bin->width;
      guint runs[5] = { 0 };
      guint state = 0; /* index of the run being counted; even runs are dark */

      if (y % ENTSEC_QR_BUDGET_ROWS == 0 && !entsec_qr_budget_allows (budget))
        return NULL;

      for (guint x = 0; x < bin->width; x++)
        {
          gboolean dark = row[x] == 0;

          if (state == 0 && runs[0] == 0 && !dark)
            continue;
          if (dark == (state % 2 == 0))
            {
              runs[state]++;
              continue;
            }
          if (state < 4)
            {
              runs[++state] = 1;
              continue;
            }
          /* The fifth run ended at x: check it, then slide by two runs. */
          if (finder_ratio (runs))
            check_row_pattern (bin, runs, x, y, found);
          runs[0] = runs[2];
          runs[1] = runs[3];
          runs[2] = runs[4];
          runs[3] = 1;
          runs[4] = 0;
          state = 3;
        }
    }
  return g_steal_pointer (&found);
}

static int
compare_votes (gconstpointer a,
               gconstpointer b)
{
  const Finder *fa = a, *fb = b;

  return (int) fb->votes - (int) fa->votes;
}

/* A finder triple, the top-left (right-angle) corner first, then top-right, bottom-left. */
typedef struct
{
  Finder corner[3];
  guint  dimension; /* modules a side */
  double score;     /* lower is better */
} Triple;

/* Score @a, @b, @c as a code's corners with the right angle at @a; FALSE when they are not. */
static gboolean
score_triple (const Finder *a,
              const Finder *b,
              const Finder *c,
              Triple       *out)
{
  double abx = b->x - a->x, aby = b->y - a->y, acx = c->x - a->x, acy = c->y - a->y;
  double ab = hypot (abx, aby), ac = hypot (acx, acy);
  double cosine = (abx * acx + aby * acy) / (ab * ac);
  double module = (a->module + b->module + c->module) / 3;
  double modules, cross = abx * acy - aby * acx;
  int dimension;

  /* Perspective bends the right angle and stretches one leg; beyond this it is no code. */
  if (!(ab > 0 && ac > 0) || fabs (cosine) > 0.5 || MAX (ab, ac) > 2 * MIN (ab, ac))
    return FALSE;
  for (guint i = 0; i < 3; i++)
    {
      const Finder *f = i == 0 ? a : i == 1 ? b : c;

      if (f->module > 2 * module || f->module < module / 2)
        return FALSE;
    }
  /* Each leg in the module size of its own ends: perspective changes it along the code. */
  modules = (ab / ((a->module + b->module) / 2) + ac / ((a->module + c->module) / 2)) / 2 + 7;
  /* The side of a code is 17 + 4 * version modules, version 1 to 40. */
  dimension = 17 + 4 * (int) lround ((modules - 17) / 4);
  if (dimension < 21 || dimension > 177)
    return FALSE;
  out->corner[0] = *a;
  /* Top-right then bottom-left, clockwise in image coordinates (y grows down). */
  out->corner[1] = cross > 0 ? *b : *c;
  out->corner[2] = cross > 0 ? *c : *b;
  out->dimension = (guint) dimension;
  out->score = fabs (cosine) + fabs (ab - ac) / MAX (ab, ac)
               + fabs (modules - dimension) / 4 - 0.02 * MIN (a->votes + b->votes + c->votes, 30);
  return TRUE;
}

static int
compare_score (gconstpointer a,
               gconstpointer b)
{
  const Triple *ta = a, *tb = b;

  return ta->score < tb->score ? -1 : ta->score > tb->score;
}

/* Every plausible triple of @finders, best first. */
static GArray *
find_triples (GArray *finders)
{
  GArray *triples = g_array_new (FALSE, FALSE, sizeof (Triple));
  guint n = MIN (finders->len, MAX_CANDIDATES);

  g_array_sort (finders, compare_votes);
  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < n; j++)
      for (guint k = j + 1; k < n; k++)
        {
          Triple t;

          if (i == j || i == k)
            continue;
          if (score_triple (&g_array_index (finders, Finder, i),
                            &g_array_index (finders, Finder, j),
                            &g_array_index (finders, Finder, k), &t))
            g_array_append_val (triples, t);
        }
  g_array_sort (triples, compare_score);
  return triples;
}

/* A light ring, dark centre, light ring, each about @module, with dark beyond. */
static gboolean
alignment_runs (const guint runs[5],
                double      module)
{
  for (guint i = 1; i <= 3; i++)
    {
      if (fabs (runs[i] - module) > module / 2 + 0.5)
        return FALSE;
    }
  return runs[0] > 0 && runs[4] > 0;
}

/*
 * The whole 5 x 5 module pattern around (@cx, @cy), modules @mx wide and
 * @my high: a dark ring, a light ring, a dark centre, at most two modules
 * off. Data modules make light-dark-light runs often; this whole shape
 * rarely.
 */
static gboolean
alignment_grid (const EntsecQrGrey *bin,
                double              cx,
                double              cy,
                double              mx,
                double              my)
{
  guint wrong = 0;

  for (int j = -2; j <= 2; j++)
    for (int i = -2; i <= 2; i++)
      {
        int x = (int) floor (cx + i * mx), y = (int) floor (cy + j * my);
        gboolean ring = MAX (ABS (i), ABS (j)) == 1;

        if (x < 0 || y < 0 || x >= (int) bin->width || y >= (int) bin->height
            || is_dark (bin, x, y) == ring)
          wrong++;
      }
  return wrong <= 2;
}

/*
 * The bottom-right alignment pattern of a code of version 2 or more: the
 * dark module in a light ring in a dark ring nearest to where the three
 * finder patterns put it (zxing's estimate, searched a few modules around).
 */
static gboolean
find_alignment (const EntsecQrGrey *bin,
                const Triple       *t,
                double              where[2])
{
  const Finder *tl = &t->corner[0], *tr = &t->corner[1], *bl = &t->corner[2];
  double module = (tl->module + tr->module + bl->module) / 3;
  double correction = 1 - 3.0 / (t->dimension - 7);
  double ex = tl->x + correction * (tr->x - tl->x + bl->x - tl->x);
  double ey = tl->y + correction * (tr->y - tl->y + bl->y - tl->y);
  int radius = (int) (8 * module) + 2;
  int limit = (int) (3 * module) + 3;
  double best = G_MAXDOUBLE;

  for (int y = MAX (0, (int) ey - radius); y < MIN ((int) bin->height, (int) ey + radius); y++)
    for (int x = MAX (0, (int) ex - radius); x < MIN ((int) bin->width, (int) ex + radius); x++)
      {
        guint h[5], v[5];
        double ox, oy, d, cx, cy;

        if (!is_dark (bin, x, y))
          continue;
        five_runs (bin, x, y, 1, 0, limit, h, &ox);
        if (!alignment_runs (h, module))
          continue;
        five_runs (bin, x, y, 0, 1, limit, v, &oy);
        if (!alignment_runs (v, module))
          continue;
        cx = x + ox + 0.5;
        cy = y + oy + 0.5;
        if (!alignment_grid (bin, cx, cy, (h[1] + h[2] + h[3]) / 3.0, (v[1] + v[2] + v[3]) / 3.0))
          continue;
        d = hypot (cx - ex, cy - ey);
        if (d < best)
          {
            best = d;
            where[0] = cx;
            where[1] = cy;
          }
      }
  return best < G_MAXDOUBLE;
}

/*
 * Map the code of @t onto a square of ENTSEC_QR_WARP_MODULE_PX pixels a module with a
 * four-module quiet zone. The finder centres sit 3.5 modules in from three
 * corners; the fourth point is the alignment pattern (6.5 modules in) where
 * one is found, else the parallelogram's corner, which leaves the
 * perspective there for zbar's own sampling.
 */
static EntsecQrGrey *
warp_triple (const EntsecQrGrey *src,
             const EntsecQrGrey *bin,
             const Triple       *t,
             gboolean            alignment)
{
  double dim = t->dimension;
  double to[4][2] = {
    { t->corner[0].x + 0.5, t->corner[0].y + 0.5 },
    { t->corner[1].x + 0.5, t->corner[1].y + 0.5 },
    { 0, 0 },
    { t->corner[2].x + 0.5, t->corner[2].y + 0.5 },
  };
  double from[4][2] = { { 3.5, 3.5 }, { dim - 3.5, 3.5 }, { dim - 3.5, dim - 3.5 },
                        { 3.5, dim - 3.5 } };
  guint side = (t->dimension + 8) * ENTSEC_QR_WARP_MODULE_PX;

  if (alignment)
    {
      if (t->dimension <= 21 || !find_alignment (bin, t, to[2]))
        return NULL;
      from[2][0] = dim - 6.5;
      from[2][1] = dim - 6.5;
    }
  else
    {
      to[2][0] = to[1][0] + to[3][0] - to[0][0];
      to[2][1] = to[1][1] + to[3][1] - to[0][1];
    }
  return entsec_qr_warp_quad (src, from, to, -4, dim + 4, side);
}

/**
 * entsec_qr_finder_warps:
 * @src: a grey image
 * @radius: of the threshold's window (entsec_qr_wolf_threshold_radius())
 * @max: at most this many images
 * @candidates: (out) (optional): receives how many finder patterns were found
 * @budget: (nullable): the time left for the image
 *
 * Look for finder-pattern triples in @src (binarised with
 * entsec_qr_wolf_threshold_radius()) and map each plausible one, best first, onto
 * a square with a quiet zone: perspective and clutter around the code are
 * gone, and the modules are ENTSEC_QR_WARP_MODULE_PX pixels whatever their size in
 * @src, which is scale selection from the image's own finder patterns.
 *
 * The threshold and the search look at @budget every few rows and the maps
 * are made only while it lasts: out of time, the search gives no image (and
 * no candidates), never a map from half an image's patterns.
 *
 * Returns: (transfer full) (element-type EntsecQrGrey): the images, maybe none.
 */
GPtrArray *
entsec_qr_finder_warps (const EntsecQrGrey *src,
                        guint               radius,
                        guint               max,
                        guint              *candidates,
                        EntsecQrBudget     *budget)
{
  GPtrArray *images = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_qr_grey_free);
  g_autoptr (EntsecQrGrey) bin = entsec_qr_wolf_threshold_radius (src, radius, budget);
  g_autoptr (GArray) finders = bin != NULL ? entsec_qr_find_finders (bin, budget) : NULL;
  g_autoptr (GArray) triples = NULL;

  if (candidates != NULL)
    *candidates = finders != NULL ? finders->len : 0;
  if (finders == NULL)
    return images;
  triples = find_triples (finders);

  /* The alignment pattern's map first: it takes out the perspective the
   * parallelogram leaves, when the search finds the right pattern. */
  for (guint i = 0; i < triples->len && images->len < max; i++)
    for (guint j = 0; j < 2 && images->len < max; j++)
      {
        EntsecQrGrey *warped;

        /* The best triple's first map is made whatever the time: the search,
         * which costs the most, is paid for (and try_finder() scans it). */
        if ((i > 0 || j > 0) && !entsec_qr_budget_allows (budget))
          return images;
        warped = warp_triple (src, bin, &g_array_index (triples, Triple, i), j == 0);

        if (warped != NULL)
          g_ptr_array_add (images, warped);
      }
  return images;
}
