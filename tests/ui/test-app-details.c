/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-app-details.c: issuer monograms (initials, colour, disc), the QR
 * texture of the details page and the page's template, on a real display
 * (xvfb-session.sh). */

#include "config.h"

#include <adwaita.h>
#include <string.h>
#include <entsec/entsec.h>

#include "entsec-account-page.h"
#include "entsec-application.h"
#include "entsec-monogram.h"
#include "entsec-preferences-window.h"
#include "entsec-qr-texture.h"
#include "frames-test-util.h"
#include "maps-test-util.h"

/* The first letter of the first two words, in upper case. */
static void
test_monogram_initials (void)
{
  const struct
  {
    const char *name;
    const char *initials;
  } cases[] = {
    { "ACME Corp", "AC" },
    { "github", "G" },
    { "  bob.smith@gmail.com", "BS" },
    { "Ärzte ohne Grenzen", "ÄO" },
    { "1Password", "1" },
    { "", "?" },
    { "--- !!", "?" },
    { NULL, "?" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *initials = entsec_monogram_initials (cases[i].name);

      g_assert_cmpstr (initials, ==, cases[i].initials);
    }
}

/* The colour depends on the name only, ignoring case, and spreads. */
static void
test_monogram_colour (void)
{
  const char *names[] = { "GitHub", "Google", "ACME", "Microsoft", "Amazon", "Dropbox",
                          "GitLab", "Proton", "Mastodon", "Steam", "Discord", "Reddit" };
  gboolean seen[ENTSEC_MONOGRAM_N_COLOURS] = { FALSE };
  guint distinct = 0;

  g_assert_cmpuint (entsec_monogram_colour ("GitHub"), ==, entsec_monogram_colour ("github"));
  g_assert_cmpuint (entsec_monogram_colour (NULL), ==, entsec_monogram_colour (""));
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      guint colour = entsec_monogram_colour (names[i]);

      g_assert_cmpuint (colour, <, ENTSEC_MONOGRAM_N_COLOURS);
      g_assert_cmpuint (colour, ==, entsec_monogram_colour (names[i]));
      if (!seen[colour])
        distinct++;
      seen[colour] = TRUE;
    }
  g_assert_cmpuint (distinct, >=, 4);
  /* FNV-1a of "github" is fixed: the colour never changes between runs. */
  g_assert_cmpuint (entsec_monogram_colour ("github"), ==, 0x22dc7932u % ENTSEC_MONOGRAM_N_COLOURS);
}

#define DISC_SIDE 40
/* More than GTK has node types. */
#define NODE_TYPES 64

static void
collect_node_types (GskRenderNode *node,
                    guint          counts[])
{
  GskRenderNodeType type = gsk_render_node_get_node_type (node);

  g_assert_cmpuint (type, <, NODE_TYPES);
  counts[type]++;
  switch (type)
    {
    case GSK_CONTAINER_NODE:
      for (guint i = 0; i < gsk_container_node_get_n_children (node); i++)
        collect_node_types (gsk_container_node_get_child (node, i), counts);
      break;
    case GSK_TRANSFORM_NODE:
      collect_node_types (gsk_transform_node_get_child (node), counts);
      break;
    default:
      break;
    }
}

/* @name's monogram, drawn at DISC_SIDE px square in a window, as a texture
 * (B G R A, DISC_SIDE * 4 bytes a row); @counts gets its node types. */
static guchar *
draw_monogram (const char *name,
               guint       counts[])
{
  GtkWidget *window = gtk_window_new ();
  GtkWidget *monogram = g_object_new (ENTSEC_TYPE_MONOGRAM, "halign", GTK_ALIGN_CENTER,
                                      "valign", GTK_ALIGN_CENTER, NULL);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  guchar *pixels = g_malloc0 (DISC_SIDE * DISC_SIDE * 4);

  gtk_widget_set_size_request (monogram, DISC_SIDE, DISC_SIDE);
  entsec_monogram_set_name (ENTSEC_MONOGRAM (monogram), name);
  gtk_window_set_child (GTK_WINDOW (window), monogram);
  gtk_window_present (GTK_WINDOW (window));
  ft_wait_frames (monogram, 1);
  g_assert_cmpint (gtk_widget_get_width (monogram), ==, DISC_SIDE);
  g_assert_cmpint (gtk_widget_get_height (monogram), ==, DISC_SIDE);

  GTK_WIDGET_GET_CLASS (monogram)->snapshot (monogram, snapshot);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  collect_node_types (node, counts);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, DISC_SIDE, DISC_SIDE));
  g_assert_cmpint (gdk_texture_get_width (texture), ==, DISC_SIDE);
  gdk_texture_download (texture, pixels, DISC_SIDE * 4);
  gtk_window_destroy (GTK_WINDOW (window));
  return pixels;
}

static const guchar *
pixel_at (const guchar *pixels,
          int           x,
          int           y)
{
  return pixels + ((gsize) y * DISC_SIDE + (gsize) x) * 4;
}

/* The disc fills the widget, in one colour (a name's), with clear corners;
 * when a font has U+25CF it is text, not a clip or a shadow, which a software
 * GL compiles shaders of their own for. */
static void
test_monogram_disc (void)
{
  const char *first = "Northwind Mail";
  g_autofree char *other = NULL;
  guint counts[NODE_TYPES] = { 0 };
  guint other_counts[NODE_TYPES] = { 0 };
  g_autofree guchar *pixels = NULL;
  g_autofree guchar *other_pixels = NULL;
  /* 3 px in from each side: the renderer places a glyph to a pixel or so. */
  const int inside[][2] = { { DISC_SIDE / 2, 3 }, { 3, DISC_SIDE / 2 },
                            { DISC_SIDE - 4, DISC_SIDE / 2 }, { DISC_SIDE / 2, DISC_SIDE - 4 } };
  const int corners[][2] = { { 0, 0 }, { DISC_SIDE - 1, 0 }, { 0, DISC_SIDE - 1 },
                             { DISC_SIDE - 1, DISC_SIDE - 1 } };
  const guchar *disc;
  GtkWidget *probe = gtk_label_new (NULL);
  g_autoptr (PangoLayout) layout = gtk_widget_create_pango_layout (probe, "\xe2\x97\x8f");

  g_object_ref_sink (probe);
  for (guint i = 0; other == NULL; i++)
    {
      g_autofree char *name = g_strdup_printf ("Issuer %u", i);

      if (entsec_monogram_colour (name) != entsec_monogram_colour (first))
        other = g_steal_pointer (&name);
    }

  pixels = draw_monogram (first, counts);
  disc = pixel_at (pixels, inside[0][0], inside[0][1]);
  g_assert_cmpuint (disc[3], ==, 0xff);
  /* A colour, not the initials' white. */
  g_assert_cmpuint (MIN (MIN (disc[0], disc[1]), disc[2]), <, 0xc0);
  for (guint i = 1; i < G_N_ELEMENTS (inside); i++)
    {
      const guchar *p = pixel_at (pixels, inside[i][0], inside[i][1]);

      for (guint c = 0; c < 4; c++)
        g_assert_cmpint (ABS ((int) p[c] - (int) disc[c]), <=, 2);
    }
  for (guint i = 0; i < G_N_ELEMENTS (corners); i++)
    g_assert_cmpuint (pixel_at (pixels, corners[i][0], corners[i][1])[3], ==, 0);

  /* Another name's colour. */
  other_pixels = draw_monogram (other, other_counts);
  g_assert_cmpmem (pixel_at (other_pixels, 0, 0), 4, pixel_at (pixels, 0, 0), 4);
  g_assert_true (memcmp (pixel_at (other_pixels, inside[0][0], inside[0][1]), disc, 3) != 0);

  g_assert_cmpuint (counts[GSK_ROUNDED_CLIP_NODE] + counts[GSK_INSET_SHADOW_NODE]
                    + counts[GSK_OUTSET_SHADOW_NODE] + counts[GSK_BORDER_NODE], ==,
                    pango_layout_get_unknown_glyphs_count (layout) > 0 ? 1 : 0);
  if (pango_layout_get_unknown_glyphs_count (layout) > 0)
    g_test_skip ("No font here has U+25CF: the disc is the rounded clip");
  else
    g_assert_cmpuint (counts[GSK_TEXT_NODE], ==, 2);
  g_object_unref (probe);
}

/* A version 2 code (25 modules) with its quiet zone, @scale pixels a module,
 * black top-left finder on white. */
static void
test_qr_texture (void)
{
  g_autoptr (GdkTexture) texture = NULL;
  g_autofree guchar *pixels = NULL;
  int side;

  texture = entsec_qr_texture_new ("otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP", 4, NULL);
  g_assert_nonnull (texture);
  side = gdk_texture_get_width (texture);
  g_assert_cmpint (side, ==, gdk_texture_get_height (texture));
  g_assert_cmpint (side % 4, ==, 0);
  g_assert_cmpint (side / 4, >=, 21 + 8);
  pixels = g_malloc ((gsize) side * (gsize) side * 4);
  gdk_texture_download (texture, pixels, (gsize) side * 4);
  /* Quiet zone white, then the finder pattern's black corner (B G R A). */
  g_assert_cmpuint (pixels[0], ==, 0xff);
  g_assert_cmpuint (pixels[((gsize) 16 * side + 16) * 4], ==, 0x00);
  g_assert_cmpuint (pixels[((gsize) 16 * side + 16) * 4 + 3], ==, 0xff);
}

/* More than a QR code holds: no texture, an error that says so, no crash. */
static void
test_qr_texture_too_long (void)
{
  g_autofree char *text = g_strnfill (8000, 'x');
  g_autoptr (GError) error = NULL;

  g_assert_null (entsec_qr_texture_new (text, 4, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE);
}

/* libqrencode is mapped when the first code is drawn, not before (a fresh process). */
static void
test_qr_texture_lazy (void)
{
  g_autoptr (GdkTexture) texture = NULL;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }
  g_assert_false (mt_mapped ("libqrencode"));
  texture = entsec_qr_texture_new ("otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP", 4, NULL);
  g_assert_nonnull (texture);
  g_assert_true (mt_mapped ("libqrencode.so.4"));
}

/* No libqrencode: each code fails with what to install, nothing crashes. */
static void
test_qr_texture_missing_library (void)
{
  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }
  entsec_qr_texture_set_soname_for_test ("libqrencode-entsec-test-absent.so.4");
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_null (entsec_qr_texture_new ("otpauth://totp/ACME:alice?secret=JBSWY3DPEHPK3PXP", 4,
                                            &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
      g_assert_nonnull (strstr (error->message, "libqrencode-entsec-test-absent.so.4"));
      g_assert_nonnull (strstr (error->message, "libqrencode4"));
    }
  g_assert_false (mt_mapped ("libqrencode"));
}

/* The page builds from the GResource, shows nothing and has no secret. */
static void
test_account_page_template (void)
{
  EntsecAccountPage *page = g_object_new (ENTSEC_TYPE_ACCOUNT_PAGE, NULL);

  g_object_ref_sink (page);
  g_assert_cmpint (entsec_account_page_get_account_id (page), ==, 0);
  entsec_account_page_clear (page);
  entsec_account_page_set_show_back (page, TRUE);
  g_assert_finalize_object (page);
}

/* The first AdwStatusPage under @widget, depth first. */
static AdwStatusPage *
find_status_page (GtkWidget *widget)
{
  if (ADW_IS_STATUS_PAGE (widget))
    return ADW_STATUS_PAGE (widget);
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      AdwStatusPage *found = find_status_page (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The "no account" page gets its icon (an SVG, so librsvg) only once it is on screen. */
static void
test_account_page_icon_when_shown (void)
{
  EntsecAccountPage *page = g_object_new (ENTSEC_TYPE_ACCOUNT_PAGE, NULL);
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  AdwStatusPage *none = find_status_page (GTK_WIDGET (page));

  g_assert_nonnull (none);
  g_assert_null (adw_status_page_get_icon_name (none));
  gtk_window_set_child (window, GTK_WIDGET (page));
  gtk_window_present (window);
  ft_wait_frames (GTK_WIDGET (window), 2);
  g_assert_cmpstr (adw_status_page_get_icon_name (none), ==,
                   "org.entsec.EnterpriseSecurity-symbolic");
  gtk_window_destroy (window);
}

/* In a narrow window's folded leaflet, behind the list, the page is not shown (though
 * the leaflet maps it with the window, and keeps it mapped for a while after it folds):
 * no icon until the leaflet turns to it. */
static void
test_account_page_icon_folded (void)
{
  EntsecAccountPage *page = g_object_new (ENTSEC_TYPE_ACCOUNT_PAGE, NULL);
  GtkWidget *list = adw_status_page_new ();
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  AdwLeaflet *leaflet = ADW_LEAFLET (adw_leaflet_new ());
  AdwStatusPage *none = find_status_page (GTK_WIDGET (page));

  gtk_widget_set_size_request (list, 360, -1);
  gtk_widget_set_size_request (GTK_WIDGET (page), 360, -1);
  adw_leaflet_append (leaflet, list);
  adw_leaflet_append (leaflet, GTK_WIDGET (page));
  adw_leaflet_set_visible_child (leaflet, list);
  gtk_window_set_child (window, GTK_WIDGET (leaflet));
  gtk_window_set_default_size (window, 400, 600);
  gtk_window_present (window);
  ft_wait_frames (GTK_WIDGET (window), 3);
  g_assert_true (adw_leaflet_get_folded (leaflet));
  g_assert_null (adw_status_page_get_icon_name (none));

  adw_leaflet_set_visible_child (leaflet, GTK_WIDGET (page));
  ft_wait_frames (GTK_WIDGET (window), 1);
  g_assert_cmpstr (adw_status_page_get_icon_name (none), ==,
                   "org.entsec.EnterpriseSecurity-symbolic");
  gtk_window_destroy (window);
}

/* The style setting's values, and anything else, as a colour scheme. */
static void
test_preferences_style (void)
{
  g_assert_cmpint (entsec_preferences_color_scheme ("system"), ==, ADW_COLOR_SCHEME_DEFAULT);
  g_assert_cmpint (entsec_preferences_color_scheme ("light"), ==, ADW_COLOR_SCHEME_FORCE_LIGHT);
  g_assert_cmpint (entsec_preferences_color_scheme ("dark"), ==, ADW_COLOR_SCHEME_FORCE_DARK);
  g_assert_cmpint (entsec_preferences_color_scheme (NULL), ==, ADW_COLOR_SCHEME_DEFAULT);
}

/* The window binds every setting (the memory backend: nothing is kept);
 * the minutes shown round the seconds up, and a change writes seconds. */
static void
test_preferences_window (void)
{
  g_autoptr (GSettings) settings = g_settings_new (ENTSEC_APP_ID);
  EntsecPreferencesWindow *window;

  g_settings_set_uint (settings, "lock-timeout", 90);
  window = entsec_preferences_window_new (NULL, settings);
  g_assert_true (ENTSEC_IS_PREFERENCES_WINDOW (window));
  g_settings_set_string (settings, "style", "dark");
  g_settings_set_boolean (settings, "hide-codes", TRUE);
  gtk_window_destroy (GTK_WINDOW (window));
  g_assert_cmpuint (g_settings_get_uint (settings, "lock-timeout"), ==, 90);
  g_assert_true (g_settings_get_boolean (settings, "hide-codes"));
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  entsec_app_ensure_resources ();

  g_test_add_func ("/app/monogram/initials", test_monogram_initials);
  g_test_add_func ("/app/monogram/colour", test_monogram_colour);
  g_test_add_func ("/app/monogram/disc", test_monogram_disc);
  g_test_add_func ("/app/qr-texture/code", test_qr_texture);
  g_test_add_func ("/app/qr-texture/too-long", test_qr_texture_too_long);
  g_test_add_func ("/app/qr-texture/lazy", test_qr_texture_lazy);
  g_test_add_func ("/app/qr-texture/missing-library", test_qr_texture_missing_library);
  g_test_add_func ("/app/account-page/template", test_account_page_template);
  g_test_add_func ("/app/account-page/icon-when-shown", test_account_page_icon_when_shown);
  g_test_add_func ("/app/account-page/icon-folded", test_account_page_icon_folded);
  g_test_add_func ("/app/preferences/style", test_preferences_style);
  g_test_add_func ("/app/preferences/window", test_preferences_window);
  return g_test_run ();
}
