/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-monogram.c: an issuer's initials and colour, the icon of its row */

#define G_LOG_DOMAIN "entsec-monogram"

#include "config.h"

#include "entsec-monogram.h"

#define MAX_INITIALS 2

/* The disc: U+25CF BLACK CIRCLE. */
#define DISC "\xe2\x97\x8f"

/* The GNOME palette's middle shades. */
#define RGB(hex) { ((hex) >> 16) / 255.f, (((hex) >> 8) & 0xff) / 255.f, ((hex) & 0xff) / 255.f, 1.f }
static const GdkRGBA palette[ENTSEC_MONOGRAM_N_COLOURS] = {
  RGB (0x3584e4), RGB (0x2190a4), RGB (0x3a944a), RGB (0xc88800),
  RGB (0xed5b00), RGB (0xe62d42), RGB (0xd56199), RGB (0x9141ac),
};

struct _EntsecMonogram
{
  GtkWidget       parent_instance;

  char           *initials;
  guint           colour;
  /* Made when first drawn or measured, again when the widget's Pango context
   * changes (font, scale): a row is bound again at every scroll step, its
   * context stays. */
  guint           serial;
  PangoLayout    *initials_layout;
  PangoLayout    *disc_layout;
  PangoRectangle  disc_ink;
  gboolean        disc_checked;
};

G_DEFINE_FINAL_TYPE (EntsecMonogram, entsec_monogram, GTK_TYPE_WIDGET)

char *
entsec_monogram_initials (const char *name)
{
  GString *out = g_string_new (NULL);
  gboolean in_word = FALSE;
  guint count = 0;

  for (const char *p = name != NULL ? name : ""; *p != '\0' && count < MAX_INITIALS;
       p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      gboolean word_char = g_unichar_isalnum (c);

      if (word_char && !in_word)
        {
          g_string_append_unichar (out, g_unichar_toupper (c));
          count++;
        }
      in_word = word_char;
    }
  if (count == 0)
    g_string_append_c (out, '?');
  return g_string_free (out, FALSE);
}

guint
entsec_monogram_colour (const char *name)
{
  g_autofree char *folded = g_utf8_casefold (name != NULL ? name : "", -1);
  guint32 hash = 2166136261u;

  /* FNV-1a: stable across runs and platforms, unlike a seeded hash. */
  for (const guchar *p = (const guchar *) folded; *p != '\0'; p++)
    hash = (hash ^ *p) * 16777619u;
  return hash % ENTSEC_MONOGRAM_N_COLOURS;
}

/*
 * Why a glyph: the disc used to be a rounded background, then an inset
 * shadow. The GL renderer draws each of those with shaders of their own, and
 * with a software GL (llvmpipe, which phones without a GPU driver and Xvfb
 * use) each shader variant compiled for the list held about 1 MB
 * (bench/README.md, App). A glyph is drawn as the labels' text is, with
 * shaders the window has compiled anyway, by every renderer.
 */

/* Forgets the layouts if the widget's Pango context changed since they were made. */
static void
check_context (EntsecMonogram *self)
{
  guint serial = pango_context_get_serial (gtk_widget_get_pango_context (GTK_WIDGET (self)));

  if (serial == self->serial)
    return;
  self->serial = serial;
  g_clear_object (&self->initials_layout);
  g_clear_object (&self->disc_layout);
  self->disc_checked = FALSE;
}

static PangoLayout *
initials_layout (EntsecMonogram *self)
{
  check_context (self);
  if (self->initials_layout == NULL)
    self->initials_layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), self->initials);
  return self->initials_layout;
}

/* The disc's glyph in @self's font, and where its ink is (self->disc_ink);
 * NULL if the font and its fallbacks have no such glyph. The font is the
 * initials': a size of its own would cost a font lookup (fontconfig) at
 * start; the snapshot scales the glyph instead. */
static PangoLayout *
disc_layout (EntsecMonogram *self)
{
  check_context (self);
  if (self->disc_checked)
    return self->disc_layout;
  self->disc_checked = TRUE;
  self->disc_layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), DISC);
  pango_layout_get_extents (self->disc_layout, &self->disc_ink, NULL);
  if (pango_layout_get_unknown_glyphs_count (self->disc_layout) > 0 || self->disc_ink.height <= 0
      || self->disc_ink.width <= 0)
    g_clear_object (&self->disc_layout);
  return self->disc_layout;
}

static void
append_disc (EntsecMonogram *self,
             GtkSnapshot    *snapshot,
             int             width,
             int             height)
{
  const GdkRGBA *colour = &palette[self->colour];
  int diameter = MIN (width, height);
  PangoLayout *layout = disc_layout (self);

  if (layout != NULL)
    {
      const PangoRectangle *ink = &self->disc_ink;
      float scale = (float) diameter * PANGO_SCALE / MAX (ink->width, ink->height);

      /* The ink's centre on the widget's, the ink's larger side the diameter. */
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (width / 2.f, height / 2.f));
      gtk_snapshot_scale (snapshot, scale, scale);
      gtk_snapshot_translate (snapshot,
                              &GRAPHENE_POINT_INIT (-(ink->x + ink->width / 2.f) / PANGO_SCALE,
                                                    -(ink->y + ink->height / 2.f) / PANGO_SCALE));
      gtk_snapshot_append_layout (snapshot, layout, colour);
      gtk_snapshot_restore (snapshot);
    }
  else
    {
      /* No font has the glyph: a rounded clip, drawn with shaders of its own. */
      GskRoundedRect disc;

      gsk_rounded_rect_init_from_rect (&disc,
                                       &GRAPHENE_RECT_INIT ((width - diameter) / 2.f,
                                                            (height - diameter) / 2.f,
                                                            diameter, diameter),
                                       diameter / 2.f);
      gtk_snapshot_push_rounded_clip (snapshot, &disc);
      gtk_snapshot_append_color (snapshot, colour, &disc.bounds);
      gtk_snapshot_pop (snapshot);
    }
}

static void
entsec_monogram_snapshot (GtkWidget   *widget,
                          GtkSnapshot *snapshot)
{
  EntsecMonogram *self = ENTSEC_MONOGRAM (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  PangoLayout *initials;
  PangoRectangle logical;
  GdkRGBA colour;

  if (width <= 0 || height <= 0)
    return;
  append_disc (self, snapshot, width, height);

  initials = initials_layout (self);
  pango_layout_get_pixel_extents (initials, NULL, &logical);
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &colour);
  G_GNUC_END_IGNORE_DEPRECATIONS
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot,
                          &GRAPHENE_POINT_INIT ((width - logical.width) / 2.f - logical.x,
                                                (height - logical.height) / 2.f - logical.y));
  gtk_snapshot_append_layout (snapshot, initials, &colour);
  gtk_snapshot_restore (snapshot);
}

/* The initials' size; CSS (min-width, min-height) makes room for the disc. */
static void
entsec_monogram_measure (GtkWidget      *widget,
                         GtkOrientation  orientation,
                         int             for_size,
                         int            *minimum,
                         int            *natural,
                         int            *minimum_baseline,
                         int            *natural_baseline)
{
  EntsecMonogram *self = ENTSEC_MONOGRAM (widget);
  int width, height;

  pango_layout_get_pixel_size (initials_layout (self), &width, &height);
  *minimum = *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? width : height;
}

static void
entsec_monogram_finalize (GObject *object)
{
  EntsecMonogram *self = ENTSEC_MONOGRAM (object);

  g_free (self->initials);
  g_clear_object (&self->initials_layout);
  g_clear_object (&self->disc_layout);
  G_OBJECT_CLASS (entsec_monogram_parent_class)->finalize (object);
}

static void
entsec_monogram_class_init (EntsecMonogramClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = entsec_monogram_finalize;
  widget_class->measure = entsec_monogram_measure;
  widget_class->snapshot = entsec_monogram_snapshot;
  gtk_widget_class_set_css_name (widget_class, "entsec-monogram");
  /* The row's accessible name says whose code it is. */
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_PRESENTATION);
}

static void
entsec_monogram_init (EntsecMonogram *self)
{
  self->initials = g_strdup ("?");
}

void
entsec_monogram_set_name (EntsecMonogram *self,
                          const char     *name)
{
  g_autofree char *initials = NULL;
  guint colour;

  g_return_if_fail (ENTSEC_IS_MONOGRAM (self));

  initials = entsec_monogram_initials (name);
  colour = entsec_monogram_colour (name);
  if (g_strcmp0 (initials, self->initials) != 0)
    {
      g_free (self->initials);
      self->initials = g_steal_pointer (&initials);
      if (self->initials_layout != NULL)
        pango_layout_set_text (self->initials_layout, self->initials, -1);
      gtk_widget_queue_resize (GTK_WIDGET (self));
    }
  else if (colour != self->colour)
    gtk_widget_queue_draw (GTK_WIDGET (self));
  self->colour = colour;
}
