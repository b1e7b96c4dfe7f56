/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-server-nonce-window-unit.c: the long-poll replay window of one
 * instance (server-nonce-window.h) with a moved clock: replays refused,
 * nonces forgotten past their time, the bounds per key and in all, and
 * what goes to the durable cache while a bound is reached.
 */

#include "config.h"

#include "server-nonce-window.h"

#define T0 1767225600

static void
test_replay (void)
{
  g_autoptr (EntsecNonceWindow) window = entsec_nonce_window_new (100, 4);

  g_assert_cmpint (entsec_nonce_window_check (window, "dev_a#1", "n1", T0 + 60, T0), ==,
                   ENTSEC_NONCE_FRESH);
  g_assert_cmpint (entsec_nonce_window_check (window, "dev_a#1", "n1", T0 + 60, T0 + 1), ==,
                   ENTSEC_NONCE_REPLAYED);
  /* another key may use the same nonce, and the key another one */
  g_assert_cmpint (entsec_nonce_window_check (window, "dev_b#1", "n1", T0 + 60, T0 + 1), ==,
                   ENTSEC_NONCE_FRESH);
  g_assert_cmpint (entsec_nonce_window_check (window, "dev_a#2", "n1", T0 + 60, T0 + 1), ==,
                   ENTSEC_NONCE_FRESH);
  g_assert_cmpint (entsec_nonce_window_check (window, "dev_a#1", "n2", T0 + 60, T0 + 1), ==,
                   ENTSEC_NONCE_FRESH);
  g_assert_cmpuint (entsec_nonce_window_size (window), ==, 4);
}

static void
test_expiry (void)
{
  g_autoptr (EntsecNonceWindow) window = entsec_nonce_window_new (100, 4);

  g_assert_cmpint (entsec_nonce_window_check (window, "dev_a#1", "n1", T0 + 60, T0), ==,
                   ENTSEC_NONCE_FRESH);
  g_assert_cmpint (entsec_nonce_window_check (window, "dev_b#1", "n1", T0 + 90, T0), ==,
                   ENTSEC_NONCE_FRESH);
  /* remembered through its last second */
  g_assert_cmpint (entsec_nonce_window_check (window, "dev_a#1", "n1", T0 + 60, T0 + 60), ==,
                   ENTSEC_NONCE_REPLAYED);
  g_assert_cmpuint (entsec_nonce_window_size (window), ==, 2);
  /* then forgotten (its signature is refused by then), the other one kept */
  g_assert_cmpint (entsec_nonce_window_check (window, "dev_c#1", "n1", T0 + 120, T0 + 61), ==,
                   ENTSEC_NONCE_FRESH);
  g_assert_cmpuint (entsec_nonce_window_size (window), ==, 2);
  g_assert_cmpint (entsec_nonce_window_check (window, "dev_b#1", "n1", T0 + 90, T0 + 61), ==,
                   ENTSEC_NONCE_REPLAYED);
  g_assert_cmpint (entsec_nonce_window_check (window, "dev_a#1", "n1", T0 + 121, T0 + 61), ==,
                   ENTSEC_NONCE_FRESH);
  /* past every time, nothing is left */
  g_assert_cmpint (entsec_nonce_window_check (window, "dev_d#1", "n1", T0 + 500, T0 + 200), ==,
                   ENTSEC_NONCE_FRESH);
  g_assert_cmpuint (entsec_nonce_window_size (window), ==, 1);
}

static void
test_bound_per_key (void)
{
  g_autoptr (EntsecNonceWindow) window = entsec_nonce_window_new (100, 3);

  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *nonce = g_strdup_printf ("n%u", i);

      g_assert_cmpint (entsec_nonce_window_check (window, "dev_a#1", nonce, T0 + 60 + i, T0),
                       ==, ENTSEC_NONCE_FRESH);
    }
  /* the fourth goes to the durable cache; other keys still have room */
  g_assert_cmpint (entsec_nonce_window_check (window, "dev_a#1", "n3", T0 + 100, T0), ==,
                   ENTSEC_NONCE_FULL);
  g_assert_cmpint (entsec_nonce_window_check (window, "dev_b#1", "n3", T0 + 60, T0), ==,
                   ENTSEC_NONCE_FRESH);
  /* those in memory are still refused here */
  g_assert_cmpint (entsec_nonce_window_check (window, "dev_a#1", "n0", T0 + 60, T0 + 1), ==,
                   ENTSEC_NONCE_REPLAYED);
  g_assert_cmpuint (entsec_nonce_window_size (window), ==, 4);
  /* room again once n0-n2 are forgotten; but n3, which only the durable
   * cache knows, may come again until T0 + 100: it must go there */
  g_assert_cmpint (entsec_nonce_window_check (window, "dev_a#1", "n3", T0 + 100, T0 + 70), ==,
                   ENTSEC_NONCE_FULL);
  g_assert_cmpint (entsec_nonce_window_check (window, "dev_a#1", "n4", T0 + 130, T0 + 70), ==,
                   ENTSEC_NONCE_FULL);
  g_assert_cmpuint (entsec_nonce_window_size (window), ==, 0);
  /* after the last time a nonce went there, memory again */
  g_assert_cmpint (entsec_nonce_window_check (window, "dev_a#1", "n5", T0 + 190, T0 + 131), ==,
                   ENTSEC_NONCE_FRESH);
  g_assert_cmpuint (entsec_nonce_window_size (window), ==, 1);
}

static void
test_bound_in_all (void)
{
  g_autoptr (EntsecNonceWindow) window = entsec_nonce_window_new (4, 2);

  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *keyid = g_strdup_printf ("dev_%u#1", i);

      g_assert_cmpint (entsec_nonce_window_check (window, keyid, "n", T0 + 60, T0), ==,
                       ENTSEC_NONCE_FRESH);
    }
  g_assert_cmpint (entsec_nonce_window_check (window, "dev_9#1", "n", T0 + 90, T0), ==,
                   ENTSEC_NONCE_FULL);
  g_assert_cmpint (entsec_nonce_window_check (window, "dev_0#1", "n", T0 + 60, T0), ==,
                   ENTSEC_NONCE_REPLAYED);
  g_assert_cmpuint (entsec_nonce_window_size (window), ==, 4);
  /* the four forgotten, but dev_9's nonce may come again until T0 + 90 */
  g_assert_cmpint (entsec_nonce_window_check (window, "dev_8#1", "n", T0 + 120, T0 + 61), ==,
                   ENTSEC_NONCE_FULL);
  g_assert_cmpuint (entsec_nonce_window_size (window), ==, 0);
  g_assert_cmpint (entsec_nonce_window_check (window, "dev_8#1", "m", T0 + 180, T0 + 121), ==,
                   ENTSEC_NONCE_FRESH);
}

/* The nonce device @device sent at @second. */
static char *
nonce_at (gint64 second,
          guint  device)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT "-%u", second, device);
}

static char *
keyid_at (gint64 second,
          guint  device)
{
  return g_strdup_printf ("dev_%u#1", (guint) (second + device) % 1000);
}

/* Many devices polling over an hour: memory never passes the bound, and a
 * nonce kept in memory is refused again up to its last second. */
static void
test_bounded_memory (void)
{
  g_autoptr (EntsecNonceWindow) window = entsec_nonce_window_new (500, 4);
  g_autoptr (GArray) kept = g_array_new (FALSE, TRUE, sizeof (gboolean));
  guint fresh = 0, full = 0;

  for (gint64 now = T0; now < T0 + 3600; now++)
    {
      for (guint device = 0; device < 20; device++)
        {
          g_autofree char *keyid = keyid_at (now, device);
          g_autofree char *nonce = nonce_at (now, device);
          EntsecNonceCheck check = entsec_nonce_window_check (window, keyid, nonce, now + 60,
                                                              now);

          g_assert_cmpint (check, !=, ENTSEC_NONCE_REPLAYED);
          fresh += check == ENTSEC_NONCE_FRESH;
          full += check == ENTSEC_NONCE_FULL;
          if (device == 0)
            g_array_append_val (kept, (gboolean) { check == ENTSEC_NONCE_FRESH });
          g_assert_cmpuint (entsec_nonce_window_size (window), <=, 500);
        }
      if (now - 60 >= T0 && g_array_index (kept, gboolean, now - 60 - T0))
        {
          g_autofree char *keyid = keyid_at (now - 60, 0);
          g_autofree char *nonce = nonce_at (now - 60, 0);

          g_assert_cmpint (entsec_nonce_window_check (window, keyid, nonce, now, now), ==,
                           ENTSEC_NONCE_REPLAYED);
        }
    }
  /* 20 a second for 61 s is more than 500: some went to the durable cache */
  g_assert_cmpuint (fresh, >, 0);
  g_assert_cmpuint (full, >, 0);
  g_assert_cmpuint (fresh + full, ==, 3600 * 20);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/server/nonce-window/replay", test_replay);
  g_test_add_func ("/server/nonce-window/expiry", test_expiry);
  g_test_add_func ("/server/nonce-window/bound-per-key", test_bound_per_key);
  g_test_add_func ("/server/nonce-window/bound-in-all", test_bound_in_all);
  g_test_add_func ("/server/nonce-window/bounded-memory", test_bounded_memory);
  return g_test_run ();
}
