/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-qr-scan.c: zbar over a grey image, escalating through image fixes until a code reads */

#define G_LOG_DOMAIN "entsec-qr"

#include "config.h"

#include <string.h>
#include <time.h>

#include "entsec-qr-decoders.h"
#include "entsec-qr-transform.h"

/* Images are loaded with their longer side at most this (photos shrink on load);
 * 2000 lets libjpeg decode a 4000 x 3000 photo at half size directly. */
#define LOAD_MAX_SIDE 2000
/* Above this many pixels only the first pass runs at full size. */
#define LARGE_PIXELS (1280 * 1024)

/*
 * The retries, cheapest and most often useful first; "a+b" applies a then b.
 * The order and the list come from bench/qr (see bench/README.md): each step
 * rescues images that the ones before it miss.
 */
static const char *const default_steps[] = {
  "plain",
  "invert",
  "pad",
  "invert+pad",
  "half",
  "unwarp",
  "double",
  "triple",
  "double+threshold",
  "half+threshold",
  "threshold",
  "sharpen",
  "quarter",
  NULL,
};

/*
 * The retries for images over LARGE_PIXELS, run at half size after the plain
 * and inverted passes at full size. Fewer: no image of that size in the
 * corpus needed any, and a large photo without a code must still answer
 * within 400 ms.
 */
static const char *const large_steps[] = {
  "pad",
  "unwarp",
  "threshold",
  NULL,
};

G_LOCK_DEFINE_STATIC (steps_override);
static char **steps_override;

/* The scanner's clock and time budget; tests and the bench change them. */
static EntsecQrClockFunc clock_override;
static guint budget_ms = ENTSEC_QR_BUDGET_MS;

/*
 * The CPU time of the decoding thread: the budget bounds the work done on
 * an image, so a machine busy with other programs reads the same images,
 * only later (the wall clock would cut the retries there).
 */
static gint64
thread_cpu_time (void)
{
  struct timespec now;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &now) != 0)
    return g_get_monotonic_time (); /* no per-thread clock: the same every call */
  return (gint64) now.tv_sec * G_USEC_PER_SEC + now.tv_nsec / 1000;
}

static gint64
clock_now (void)
{
  EntsecQrClockFunc clock = g_atomic_pointer_get (&clock_override);

  return clock != NULL ? clock () : thread_cpu_time ();
}

static void
budget_start (EntsecQrBudget *budget)
{
  guint ms = (guint) g_atomic_int_get (&budget_ms);

  budget->deadline = ms > 0 ? clock_now () + (gint64) ms * 1000 : G_MAXINT64;
  budget->gave_up = FALSE;
}

/**
 * entsec_qr_budget_allows:
 * @budget: (nullable): the time left for an image
 *
 * Whether the next stage, or the next rows of a long one, may run: always
 * with no @budget or no deadline. Once the deadline has passed the answer
 * stays no, without reading the clock again.
 *
 * Returns: %TRUE while there is time left.
 */
gboolean
entsec_qr_budget_allows (EntsecQrBudget *budget)
{
  if (budget == NULL || budget->deadline == G_MAXINT64)
    return TRUE;
  if (!budget->gave_up && clock_now () < budget->deadline)
    return TRUE;
  budget->gave_up = TRUE;
  return FALSE;
}

typedef EntsecQrGrey *(*TransformFunc) (const EntsecQrGrey *src);

static EntsecQrGrey *
transform_half (const EntsecQrGrey *src)
{
  return MIN (src->width, src->height) >= 200 ? entsec_qr_downscale (src, 2) : NULL;
}

static EntsecQrGrey *
transform_quarter (const EntsecQrGrey *src)
{
  return MIN (src->width, src->height) >= 400 ? entsec_qr_downscale (src, 4) : NULL;
}

/* Tiny crops and small screenshots: modules of one or two pixels. */
static EntsecQrGrey *
transform_double (const EntsecQrGrey *src)
{
  return MAX (src->width, src->height) <= 600 ? entsec_qr_upscale (src, 2) : NULL;
}

static EntsecQrGrey *
transform_triple (const EntsecQrGrey *src)
{
  return MAX (src->width, src->height) <= 300 ? entsec_qr_upscale (src, 3) : NULL;
}

static const struct
{
  const char   *name;
  TransformFunc transform;
} transforms[] = {
  { "invert", entsec_qr_invert },
  { "pad", entsec_qr_pad },
  { "half", transform_half },
  { "quarter", transform_quarter },
  { "double", transform_double },
  { "threshold", entsec_qr_threshold },
  { "sharpen", entsec_qr_sharpen },
  { "triple", transform_triple },
  { "unwarp", entsec_qr_unwarp },
  { "wolf", entsec_qr_wolf_threshold },
};

/* Maps of finder-pattern triples (two per triple) tried by the "finder" step, best first. */
#define FINDER_TRIES 4
/* The threshold window of the finder search is the shorter side over this:
 * codes fill much of a small image, and a small part of a large photo. */
#define FINDER_WINDOW 16
#define FINDER_WINDOW_LARGE 48

/* Regions of a shrunken photo read again at full size, most likely first. */
#define FULL_REGIONS 2
/* Only regions whose modules the shrinking left under this many pixels:
 * larger ones were there to be read at the loaded size. */
#define FULL_MODULE_MAX 2.5
/* The margin around a region, in loaded pixels: the code's quiet zone, and
 * its edge cells, which are only partly busy. */
#define FULL_MARGIN 24

/* libzbar's table; only reached once a decode's entry point has opened it. */
static const EntsecQrZbar *
zbar (void)
{
  return entsec_qr_zbar_get ();
}

static void
scanner_destroy (zbar_image_scanner_t *scanner)
{
  zbar ()->image_scanner_destroy (scanner);
}

static void
image_destroy (zbar_image_t *image)
{
  zbar ()->image_destroy (image);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (zbar_image_scanner_t, scanner_destroy)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (zbar_image_t, image_destroy)

void
entsec_qr_payload_free (EntsecQrPayload *payload)
{
  if (payload == NULL)
    return;
  g_bytes_unref (payload->data);
  entsec_secure_strfree (payload->text);
  g_free (payload);
}

/* Payload bytes can hold a secret: they live in memory that is wiped on release. */
typedef struct
{
  gsize len;
  char  bytes[];
} WipedBuffer;

static void
wiped_buffer_free (gpointer data)
{
  WipedBuffer *buffer = data;

  entsec_secure_free (buffer, sizeof *buffer + buffer->len + 1);
}

static GBytes *
bytes_wiped_on_free (const char   *data,
                     unsigned int  len)
{
  WipedBuffer *buffer = g_malloc (sizeof *buffer + len + 1);

  buffer->len = len;
  memcpy (buffer->bytes, data, len);
  buffer->bytes[len] = '\0'; /* so the text of a payload can be read as a string */
  return g_bytes_new_with_free_func (buffer->bytes, len, wiped_buffer_free, buffer);
}

static zbar_image_scanner_t *
qr_scanner_new (gboolean binary)
{
  const EntsecQrZbar *lib = zbar ();
  zbar_image_scanner_t *scanner = lib->image_scanner_create ();

  lib->image_scanner_set_config (scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
  lib->image_scanner_set_config (scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
  /* Keep the exact bytes: no guessing of a character set. */
  lib->image_scanner_set_config (scanner, ZBAR_QRCODE, ZBAR_CFG_BINARY, binary ? 1 : 0);
  return scanner;
}

/* One zbar pass; the symbols as raw bytes (or zbar's text), NULL when none. */
static GPtrArray *
scan_once (const EntsecQrGrey *grey,
           gboolean            binary)
{
  const EntsecQrZbar *lib = zbar ();
  g_autoptr (zbar_image_scanner_t) scanner = qr_scanner_new (binary);
  g_autoptr (zbar_image_t) image = lib->image_create ();
  g_autoptr (GPtrArray) found = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  lib->image_set_format (image, zbar_fourcc ('Y', '8', '0', '0'));
  lib->image_set_size (image, grey->width, grey->height);
  lib->image_set_data (image, grey->pixels, (unsigned long) grey->width * grey->height, NULL);
  if (lib->scan_image (scanner, image) <= 0)
    return NULL;
  for (const zbar_symbol_t *symbol = lib->image_first_symbol (image); symbol != NULL;
       symbol = lib->symbol_next (symbol))
    {
      if (lib->symbol_get_type (symbol) == ZBAR_QRCODE)
        g_ptr_array_add (found, bytes_wiped_on_free (lib->symbol_get_data (symbol),
                                                     lib->symbol_get_data_length (symbol)));
    }
  return found->len > 0 ? g_steal_pointer (&found) : NULL;
}

static gboolean
is_utf8 (GBytes *bytes)
{
  gsize len;
  const char *data = g_bytes_get_data (bytes, &len);

  return g_utf8_validate_len (data, len, NULL);
}

/*
 * Text for bytes that are not UTF-8. Japanese codes are Shift_JIS in practice,
 * and CP932 (Windows-31J) keeps 0x5C a backslash where zbar's own guess
 * (SHIFT_JIS) turns it into a yen sign and reads half-width katakana as
 * kanji; anything else gets zbar's own rendering (ECI, Latin-1, ...).
 */
static char *
text_of (GBytes    *raw,
         GPtrArray *zbar_texts,
         guint      index)
{
  gsize len;
  const char *data = g_bytes_get_data (raw, &len);
  gsize read = 0;
  char *text = g_convert (data, (gssize) len, "UTF-8", "CP932", &read, NULL, NULL);

  if (text != NULL && read == len)
    return text;
  entsec_secure_strfree (text);
  if (zbar_texts == NULL || index >= zbar_texts->len)
    return NULL;
  return g_strdup (g_bytes_get_data (zbar_texts->pdata[index], NULL));
}

/* Pair raw bytes with a text rendering for payloads that are not UTF-8. */
static GPtrArray *
make_payloads (const EntsecQrGrey *grey,
               GPtrArray          *raw)
{
  g_autoptr (GPtrArray) texts = NULL;
  GPtrArray *payloads = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_qr_payload_free);

  for (guint i = 0; i < raw->len; i++)
    {
      EntsecQrPayload *payload = g_new0 (EntsecQrPayload, 1);

      payload->data = g_bytes_ref (raw->pdata[i]);
      if (!is_utf8 (payload->data))
        {
          /* Same image, same scanner settings but text mode: same symbols, same order. */
          if (texts == NULL)
            texts = scan_once (grey, FALSE);
          payload->text = text_of (payload->data,
                                   texts != NULL && texts->len == raw->len ? texts : NULL, i);
        }
      g_ptr_array_add (payloads, payload);
    }
  return payloads;
}

static TransformFunc
lookup_transform (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (transforms); i++)
    {
      if (strcmp (transforms[i].name, name) == 0)
        return transforms[i].transform;
    }
  return NULL;
}

/* Apply the chain "a+b+..." to @src; NULL when a link does not apply to this image. */
static EntsecQrGrey *
apply_chain (const EntsecQrGrey *src,
             const char         *chain)
{
  g_auto (GStrv) names = g_strsplit (chain, "+", -1);
  g_autoptr (EntsecQrGrey) current = NULL;

  for (guint i = 0; names[i] != NULL; i++)
    {
      TransformFunc transform = lookup_transform (names[i]);
      EntsecQrGrey *next;

      if (transform == NULL)
        continue; /* "plain" */
      next = transform (current != NULL ? current : src);
      if (next == NULL)
        return NULL;
      g_clear_pointer (&current, entsec_qr_grey_free);
      current = next;
    }
  return g_steal_pointer (&current);
}

/*
 * "finder", or "a+...+finder": the codes found by their finder patterns, each
 * mapped onto a square (entsec_qr_finder_warps), scanned in turn.
 */
static GPtrArray *
try_finder (const EntsecQrGrey *grey,
            const char         *chain,
            guint               divisor,
            EntsecQrBudget     *budget,
            guint              *candidates)
{
  g_autofree char *prefix = g_strndup (chain, strlen (chain) - strlen ("finder"));
  g_autoptr (EntsecQrGrey) fixed = NULL;
  g_autoptr (GPtrArray) warps = NULL;
  const EntsecQrGrey *image;

  if (prefix[0] != '\0')
    {
      prefix[strlen (prefix) - 1] = '\0'; /* the "+" */
      fixed = apply_chain (grey, prefix);
      if (fixed == NULL)
        return NULL;
    }
  image = fixed != NULL ? fixed : grey;
  warps = entsec_qr_finder_warps (image, MAX (8, MIN (image->width, image->height) / divisor),
                                  FINDER_TRIES, candidates, budget);
  /* The best map is always tried: the search, which costs the most, is paid for. */
  for (guint i = 0; i < warps->len && (i == 0 || entsec_qr_budget_allows (budget)); i++)
    {
      g_autoptr (GPtrArray) raw = scan_once (warps->pdata[i], TRUE);
      g_autoptr (EntsecQrGrey) sharp = NULL;

      if (raw != NULL)
        return make_payloads (warps->pdata[i], raw);
      /* A small code comes out of the map soft (each module was two or three
       * pixels): half a module's unsharp mask gives its edges back. */
      sharp = entsec_qr_unsharp (warps->pdata[i], ENTSEC_QR_WARP_MODULE_PX / 2);
      raw = scan_once (sharp, TRUE);
      if (raw != NULL)
        return make_payloads (sharp, raw);
    }
  return NULL;
}

/* Run one step; payloads or NULL. */
static GPtrArray *
try_step (const EntsecQrGrey *grey,
          const char         *chain,
          EntsecQrBudget     *budget)
{
  g_autoptr (EntsecQrGrey) fixed = NULL;
  const EntsecQrGrey *image = grey;
  g_autoptr (GPtrArray) raw = NULL;

  if (g_str_has_suffix (chain, "finder"))
    return try_finder (grey, chain, FINDER_WINDOW, budget, NULL);
  if (strcmp (chain, "plain") != 0)
    {
      fixed = apply_chain (grey, chain);
      /* A zbar pass on a large image is tens of ms: not after the deadline. */
      if (fixed == NULL || !entsec_qr_budget_allows (budget))
        return NULL;
      image = fixed;
    }
  raw = scan_once (image, TRUE);
  return raw != NULL ? make_payloads (image, raw) : NULL;
}

/* Each step in turn until one finds a code; @prefix names the image size for the report. */
static GPtrArray *
run_steps (const EntsecQrGrey *grey,
           const char *const  *list,
           const char         *prefix,
           const char        **step,
           GCancellable       *cancellable,
           EntsecQrBudget     *budget)
{
  g_auto (GStrv) steps = NULL;

  G_LOCK (steps_override);
  steps = g_strdupv (steps_override != NULL ? steps_override : (char **) list);
  G_UNLOCK (steps_override);

  /* A cancelled decode stops between steps (each is at most a few tens of
   * ms), and so does one out of time, except for the first pass. */
  for (guint i = 0; steps[i] != NULL && !g_cancellable_is_cancelled (cancellable); i++)
    {
      GPtrArray *payloads;

      if (strcmp (steps[i], "plain") != 0 && !entsec_qr_budget_allows (budget))
        break;
      payloads = try_step (grey, steps[i], budget);

      if (payloads != NULL)
        {
          g_autofree char *name = g_strconcat (prefix, steps[i], NULL);

          if (step != NULL)
            *step = g_intern_string (name);
          return payloads;
        }
    }
  return NULL;
}

typedef struct
{
  const EntsecQrGrey *grey;
  GPtrArray          *payloads;
} InvertJob;

static gpointer
invert_thread (gpointer data)
{
  InvertJob *job = data;

  job->payloads = try_step (job->grey, "invert", NULL);
  return NULL;
}

/*
 * The first pass and the dark-mode pass at full size, side by side on two
 * cores: on a large image each costs about as much as all the half-size
 * retries together. The plain pass wins when both read a code.
 */
static GPtrArray *
scan_plain_and_inverted (const EntsecQrGrey *grey,
                         const char        **step)
{
  InvertJob job = { .grey = grey };
  GThread *thread = g_thread_new ("entsec-qr-invert", invert_thread, &job);
  GPtrArray *payloads = try_step (grey, "plain", NULL);

  g_thread_join (thread);
  if (payloads != NULL)
    {
      g_clear_pointer (&job.payloads, g_ptr_array_unref);
      *step = g_intern_static_string ("plain");
      return payloads;
    }
  if (job.payloads != NULL)
    *step = g_intern_static_string ("invert");
  return job.payloads;
}

#ifdef ENTSEC_HAVE_ZXING
static void
zxing_found (const guint8 *bytes,
             gsize         len,
             const char   *text,
             gpointer      user_data)
{
  GPtrArray *payloads = user_data;
  EntsecQrPayload *payload = g_new0 (EntsecQrPayload, 1);

  payload->data = bytes_wiped_on_free ((const char *) bytes, (unsigned int) len);
  /* zxing knows the segment modes (Hanzi is GB 2312, Kanji Shift_JIS): its text stands. */
  if (!is_utf8 (payload->data))
    payload->text = g_strdup (text);
  g_ptr_array_add (payloads, payload);
}
#endif

/*
 * zxing-cpp's own scales (its tryDownscale: each layer a third of the one
 * before, box-averaged, while the longer side is over 500 px), made here and
 * read one layer a call, so that the budget is looked at between them.
 */
#define ZXING_LAYER_FACTOR 3
#define ZXING_LAYER_ABOVE  500

/*
 * The second decoder, zxing-cpp, on an image zbar and every retry gave up
 * on: it reads codes zbar cannot (perspective with a cut-off corner, the
 * Hanzi mode, a code around a code). Not built without libzxing-dev.
 */
static GPtrArray *
scan_zxing (const EntsecQrGrey *grey,
            const char        **step,
            GCancellable       *cancellable,
            EntsecQrBudget     *budget)
{
#ifdef ENTSEC_HAVE_ZXING
  g_autoptr (GPtrArray) payloads = NULL;
  g_autoptr (EntsecQrGrey) scaled = NULL;

  G_LOCK (steps_override);
  /* The bench's single-step runs measure zbar's steps alone. */
  if (steps_override != NULL && !g_strv_contains ((const char *const *) steps_override, "zxing"))
    {
      G_UNLOCK (steps_override);
      return NULL;
    }
  G_UNLOCK (steps_override);
  payloads = g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_qr_payload_free);
  for (const EntsecQrGrey *layer = grey;;)
    {
      g_autoptr (EntsecQrGrey) smaller = NULL;

      if (g_cancellable_is_cancelled (cancellable) || !entsec_qr_budget_allows (budget))
        return NULL;
      if (entsec_qr_zxing_get ()->scan (layer->pixels, layer->width, layer->height,
                                        zxing_found, payloads) > 0)
        break;
      if (MAX (layer->width, layer->height) <= ZXING_LAYER_ABOVE
          || MIN (layer->width, layer->height) < ZXING_LAYER_FACTOR)
        return NULL;
      smaller = entsec_qr_downscale (layer, ZXING_LAYER_FACTOR);
      g_clear_pointer (&scaled, entsec_qr_grey_free);
      scaled = g_steal_pointer (&smaller);
      layer = scaled;
    }
  if (step != NULL)
    *step = g_intern_static_string ("zxing");
  return g_steal_pointer (&payloads);
#else
  (void) budget;
  return NULL;
#endif
}

/* zbar, the finder step, then zxing-cpp on @crop, a region read again at full size: each is
 * a few milliseconds on a crop. */
static GPtrArray *
scan_crop (const EntsecQrGrey *crop,
           const char        **step,
           GCancellable       *cancellable,
           EntsecQrBudget     *budget)
{
  GPtrArray *payloads = try_step (crop, "plain", NULL);
  const char *ignored;

  if (payloads != NULL)
    {
      *step = g_intern_static_string ("large:full");
      return payloads;
    }
  if (!entsec_qr_budget_allows (budget))
    return NULL;
  payloads = try_finder (crop, "finder", FINDER_WINDOW, budget, NULL);
  if (payloads != NULL)
    {
      *step = g_intern_static_string ("large:full+finder");
      return payloads;
    }
  payloads = scan_zxing (crop, &ignored, cancellable, budget);
  if (payloads != NULL)
    *step = g_intern_static_string ("large:full+zxing");
  return payloads;
}

/*
 * A small code in a photo that was shrunk while loading: its modules came
 * out under two or three pixels, too few for zbar. The places of @grey
 * with a code's contrast that change between dark and light as often as a
 * code's modules do, with modules that small, are read again from the file
 * at full size, each within the budget.
 */
static GPtrArray *
scan_full_resolution (const EntsecQrGrey   *grey,
                      const EntsecQrSource *source,
                      const char          **step,
                      GCancellable         *cancellable,
                      EntsecQrBudget       *budget)
{
  g_autoptr (GArray) regions = NULL;

  /* Only a sequential JPEG is shrunk while loading, and only it can give a region alone. */
  if (source == NULL || !source->jpeg
      || MAX (source->width, source->height) < 3 * MAX (grey->width, grey->height) / 2)
    return NULL;
  regions = entsec_qr_busy_regions (grey, FULL_REGIONS);
  for (guint i = 0; i < regions->len; i++)
    {
      const EntsecQrRegion *region = &g_array_index (regions, EntsecQrRegion, i);
      g_autoptr (EntsecQrGrey) crop = NULL;
      GPtrArray *payloads;

      if (region->module >= FULL_MODULE_MAX)
        continue;
      if (g_cancellable_is_cancelled (cancellable) || !entsec_qr_budget_allows (budget))
        return NULL;
      crop = entsec_qr_load_source_region (source, grey, region, FULL_MARGIN, budget);
      if (crop == NULL)
        continue;
      payloads = scan_crop (crop, step, cancellable, budget);
      if (payloads != NULL)
        return payloads;
    }
  return NULL;
}

/*
 * Large photos and phone screenshots: two passes at full size, the other
 * retries at half size, so that an image without a code still answers
 * within the time budget.
 */
static GPtrArray *
scan_large (const EntsecQrGrey   *grey,
            const EntsecQrSource *source,
            const char          **step,
            GCancellable         *cancellable,
            EntsecQrBudget       *budget)
{
  g_autoptr (EntsecQrGrey) half = NULL;
  const char *found_by = NULL;
  GPtrArray *payloads;
  guint candidates = 0;

  payloads = scan_plain_and_inverted (grey, &found_by);
  if (payloads != NULL || g_cancellable_is_cancelled (cancellable))
    {
      if (step != NULL)
        *step = found_by;
      return payloads;
    }
  /* A small code in a photo shrunk while loading: read again at full size
   * where the loaded image looks like one (about 15 ms to find, 5-20 ms a
   * region), before the finder search (about 50 ms) that the time budget
   * would otherwise leave it no room after. */
  payloads = scan_full_resolution (grey, source, &found_by, cancellable, budget);
  if (payloads == NULL && !g_cancellable_is_cancelled (cancellable)
      && entsec_qr_budget_allows (budget))
    {
      /* A code of two or three pixels a module, too few at half size: its
       * finder patterns find it, and give its scale. */
      payloads = try_finder (grey, "finder", FINDER_WINDOW_LARGE, budget, &candidates);
      found_by = "large:finder";
    }
  if (payloads != NULL)
    {
      if (step != NULL)
        *step = g_intern_string (found_by);
      return payloads;
    }
  /* zbar locates a code by the same 1:1:3:1:1 finder patterns, under a
   * coarser threshold than the search's local one: where the search saw
   * fewer than the three every code has, the half-size retries have
   * nothing to lock on to (they read none of those photos in the corpus
   * or the synthetic sets), and cost a photo without a code 100 ms. */
  if (candidates < 3)
    return NULL;
  half = entsec_qr_downscale (grey, 2);
  return run_steps (half, large_steps, "large:half+", step, cancellable, budget);
}

/* zbar and its retries on @grey; NULL when they find nothing. */
static GPtrArray *
scan_zbar (const EntsecQrGrey   *grey,
           const EntsecQrSource *source,
           const char          **step,
           GCancellable         *cancellable,
           EntsecQrBudget       *budget)
{
  if ((gsize) grey->width * grey->height <= LARGE_PIXELS)
    return run_steps (grey, default_steps, "", step, cancellable, budget);
  return scan_large (grey, source, step, cancellable, budget);
}

/* The whole pipeline on @grey, loaded from @source (nullable: a frame, or the bench's image). */
static GPtrArray *
scan_grey_within (const EntsecQrGrey   *grey,
                  const EntsecQrSource *source,
                  const char          **step,
                  GCancellable         *cancellable,
                  EntsecQrBudget       *budget)
{
  GPtrArray *payloads = scan_zbar (grey, source, step, cancellable, budget);

  /* Not on large photos: it read none that zbar missed there, and at
   * 2000 x 1500 it would cost a photo without a code 60-130 ms more. */
  if (payloads != NULL || (gsize) grey->width * grey->height > LARGE_PIXELS)
    return payloads;
  return scan_zxing (grey, step, cancellable, budget);
}

GPtrArray *
entsec_qr_scan_grey (const EntsecQrGrey *grey,
                     const char        **step,
                     GCancellable       *cancellable)
{
  EntsecQrBudget budget;

  /* No decoder: nothing can be read (the entry points below say why). */
  if (!entsec_qr_decoders_open (NULL))
    return NULL;
  budget_start (&budget);
  return scan_grey_within (grey, NULL, step, cancellable, &budget);
}

void
entsec_qr_set_clock_for_testing (EntsecQrClockFunc clock)
{
  g_atomic_pointer_set (&clock_override, clock);
}

void
entsec_qr_set_budget_for_testing (guint ms)
{
  g_atomic_int_set (&budget_ms, ms);
}

void
entsec_qr_set_steps_for_testing (const char *names)
{
  G_LOCK (steps_override);
  g_clear_pointer (&steps_override, g_strfreev);
  if (names != NULL)
    steps_override = g_strsplit (names, ",", -1);
  G_UNLOCK (steps_override);
}

/* The pipeline on @grey; NO_CODE (or CANCELLED, GAVE_UP) when it finds nothing. */
static GPtrArray *
scan_or_fail (const EntsecQrGrey   *grey,
              const EntsecQrSource *source,
              const char          **step,
              GCancellable         *cancellable,
              EntsecQrBudget       *budget,
              GError              **error)
{
  GPtrArray *payloads = scan_grey_within (grey, source, step, cancellable, budget);

  if (payloads == NULL && g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  if (payloads == NULL && budget->gave_up)
    g_set_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_GAVE_UP,
                 "No QR code was read before the %u ms of work an image may take ran out; "
                 "crop the picture to the code, or take the photo closer, and try again",
                 (guint) g_atomic_int_get (&budget_ms));
  else if (payloads == NULL)
    g_set_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_NO_CODE,
                 "No QR code could be read in this image; crop it to the code, make sure "
                 "the code is sharp and whole, and try again");
  return payloads;
}

GPtrArray *
entsec_qr_decode_payloads (const guint8 *data,
                           gsize         len,
                           guint        *width,
                           guint        *height,
                           const char  **step,
                           GCancellable *cancellable,
                           GError      **error)
{
  g_autoptr (EntsecQrGrey) grey = NULL;
  EntsecQrSource source;
  EntsecQrBudget budget;

  /* The decoders are opened on the first decode, outside the image's budget. */
  if (!entsec_qr_decoders_open (error))
    return NULL;
  /* The budget counts the load: a photo's JPEG decode is a fifth of its time. */
  budget_start (&budget);
  grey = entsec_qr_load_grey_source (data, len, LOAD_MAX_SIDE, &source, error);
  if (grey == NULL)
    return NULL;
  if (width != NULL)
    *width = source.width;
  if (height != NULL)
    *height = source.height;
  return scan_or_fail (grey, &source, step, cancellable, &budget, error);
}

GPtrArray *
entsec_qr_decode_frame_payloads (const guint8 *pixels,
                                 guint         width,
                                 guint         height,
                                 gsize         stride,
                                 const char  **step,
                                 GCancellable *cancellable,
                                 GError      **error)
{
  g_autoptr (EntsecQrGrey) grey = NULL;
  EntsecQrBudget budget;

  if (!entsec_qr_decoders_open (error))
    return NULL;
  budget_start (&budget);
  if (width == 0 || height == 0 || stride < width)
    {
      g_set_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_FORMAT,
                   "A video frame of %u×%u pixels with rows of %" G_GSIZE_FORMAT " bytes cannot "
                   "be read; the camera must deliver 8-bit grey (GRAY8) frames",
                   width, height, stride);
      return NULL;
    }
  if (width > ENTSEC_QR_MAX_SIDE || height > ENTSEC_QR_MAX_SIDE
      || (guint64) width * height > ENTSEC_QR_MAX_PIXELS)
    {
      g_set_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_TOO_LARGE,
                   "A video frame of %u×%u pixels is larger than the %u megapixels allowed; "
                   "choose a lower camera resolution",
                   width, height, ENTSEC_QR_MAX_PIXELS / 1000000);
      return NULL;
    }
  grey = entsec_qr_grey_new (width, height);
  for (guint y = 0; y < height; y++)
    memcpy (grey->pixels + (gsize) y * width, pixels + (gsize) y * stride, width);
  return scan_or_fail (grey, NULL, step, cancellable, &budget, error);
}
