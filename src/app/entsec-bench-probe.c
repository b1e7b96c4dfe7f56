/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-bench-probe.c: first frame, stalls and scrolling for bench/app */

#define G_LOG_DOMAIN "entsec-bench-probe"

#include "config.h"

#include <glib-unix.h>
#include <signal.h>
#include <stdio.h>

#include "entsec-bench-probe.h"

#define STALL_PERIOD_MS 5
#define SCROLL_DELAY_MS 1000
#define START_SETTLE_MS 1000

typedef struct
{
  GtkWindow     *window;
  GtkWidget     *list_view;
  GListModel    *model;
  GdkFrameClock *clock;
  gulong         before_paint_id;
  gulong         after_paint_id;
  gboolean       first_frame_seen;
  gboolean       codes_frame_seen;

  gboolean       stall;
  guint          stall_id;
  guint          signal_id;
  gint64         last_dispatch;
  gint64         longest_gap;
  gint64         longest_gap_start;

  guint          scroll_px;
  guint          scroll_id;
  gboolean       scrolling;
  gint64         frame_start;
  gint64         last_frame_end;
  GArray        *work;
  GArray        *intervals;
} Probe;

static void
emit (const char *format,
      ...) G_GNUC_PRINTF (1, 2);

static void
emit (const char *format,
      ...)
{
  va_list args;

  fputs ("entsec-bench ", stdout);
  va_start (args, format);
  vfprintf (stdout, format, args);
  va_end (args);
  fputc ('\n', stdout);
  fflush (stdout);
}

void
entsec_bench_mark (const char *what)
{
  static int enabled = -1;

  if (enabled == -1)
    enabled = g_strcmp0 (g_getenv ("ENTSEC_BENCH_MARKS"), "1") == 0;
  if (enabled)
    emit ("mark %" G_GINT64_FORMAT " %s", g_get_monotonic_time (), what);
}

/* ---- Stalls ---------------------------------------------------------------- */

static void
stall_restart (Probe *probe)
{
  probe->last_dispatch = g_get_monotonic_time ();
  probe->longest_gap = 0;
  probe->longest_gap_start = probe->last_dispatch;
}

static gboolean
stall_tick (gpointer user_data)
{
  Probe *probe = user_data;
  gint64 now = g_get_monotonic_time ();

  if (now - probe->last_dispatch > probe->longest_gap)
    {
      probe->longest_gap = now - probe->last_dispatch;
      probe->longest_gap_start = probe->last_dispatch;
    }
  probe->last_dispatch = now;
  return G_SOURCE_CONTINUE;
}

static void
stall_report (Probe      *probe,
              const char *what)
{
  stall_tick (probe);
  /* The gap's start (CLOCK_MONOTONIC, µs): `perf record -k CLOCK_MONOTONIC`
   * samples of that time are what stalled. */
  emit ("stall %s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT, what, probe->longest_gap,
        probe->longest_gap_start);
  stall_restart (probe);
}

static gboolean
stall_mark (gpointer user_data)
{
  stall_report (user_data, "mark");
  return G_SOURCE_CONTINUE;
}

/* ---- Scrolling ------------------------------------------------------------- */

static gint64
percentile (GArray *sorted,
            guint   percent)
{
  if (sorted->len == 0)
    return 0;
  return g_array_index (sorted, gint64, (sorted->len - 1) * percent / 100);
}

static int
compare_gint64 (gconstpointer a,
                gconstpointer b)
{
  gint64 x = *(const gint64 *) a;
  gint64 y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
scroll_report (Probe  *probe,
               double  height)
{
  g_array_sort (probe->work, compare_gint64);
  g_array_sort (probe->intervals, compare_gint64);
  emit ("scroll %u %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
        " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %.0f",
        probe->work->len, percentile (probe->work, 50), percentile (probe->work, 95),
        percentile (probe->work, 100), percentile (probe->intervals, 50),
        percentile (probe->intervals, 95), percentile (probe->intervals, 100), height);
}

static gboolean
scroll_step (GtkWidget     *widget,
             GdkFrameClock *clock,
             gpointer       user_data)
{
  Probe *probe = user_data;
  GtkAdjustment *adjustment = gtk_scrollable_get_vadjustment (GTK_SCROLLABLE (widget));
  double end = gtk_adjustment_get_upper (adjustment) - gtk_adjustment_get_page_size (adjustment);
  double value = gtk_adjustment_get_value (adjustment);

  if (value >= end)
    {
      probe->scrolling = FALSE;
      scroll_report (probe, gtk_adjustment_get_upper (adjustment));
      return G_SOURCE_REMOVE;
    }
  gtk_adjustment_set_value (adjustment, MIN (value + probe->scroll_px, end));
  return G_SOURCE_CONTINUE;
}

static gboolean
scroll_start (gpointer user_data)
{
  Probe *probe = user_data;

  probe->scroll_id = 0;
  probe->scrolling = TRUE;
  probe->last_frame_end = 0;
  gtk_widget_add_tick_callback (GTK_WIDGET (probe->list_view), scroll_step, probe, NULL);
  return G_SOURCE_REMOVE;
}

static void
stall_start_done (gpointer user_data)
{
  stall_report (user_data, "start");
}

/* ---- Frames and items ------------------------------------------------------ */

static void
before_paint (GdkFrameClock *clock,
              Probe         *probe)
{
  probe->frame_start = g_get_monotonic_time ();
  if (!probe->codes_frame_seen)
    entsec_bench_mark ("before-paint");
}

/* Connected after GTK's own handlers: the window's layout (allocation,
 * list rows made) is done at "layout", its snapshot and render at "paint". */
static void
layout_done (GdkFrameClock *clock,
             Probe         *probe)
{
  if (!probe->codes_frame_seen)
    entsec_bench_mark ("layout");
}

static void
paint_done (GdkFrameClock *clock,
            Probe         *probe)
{
  if (!probe->codes_frame_seen)
    entsec_bench_mark ("paint");
}

static void
record_scroll_frame (Probe *probe,
                     gint64 now)
{
  gint64 work = now - probe->frame_start;
  gint64 interval = now - probe->last_frame_end;

  g_array_append_val (probe->work, work);
  /* The first frame's interval would count the wait before scrolling. */
  if (probe->last_frame_end != 0)
    g_array_append_val (probe->intervals, interval);
  probe->last_frame_end = now;
}

static void
codes_frame (Probe *probe,
             gint64 now)
{
  probe->codes_frame_seen = TRUE;
  emit ("codes-frame %" G_GINT64_FORMAT " %u", now, g_list_model_get_n_items (probe->model));
  /* The start's work after its first frame: the rest of the list's rows,
   * reads and checks the window starts once the codes show. */
  if (probe->stall)
    g_timeout_add_once (START_SETTLE_MS, stall_start_done, probe);
  if (probe->scroll_px > 0 && g_list_model_get_n_items (probe->model) > 0)
    probe->scroll_id = g_timeout_add (SCROLL_DELAY_MS, scroll_start, probe);
}

static void
after_paint (GdkFrameClock *clock,
             Probe         *probe)
{
  gint64 now = g_get_monotonic_time ();

  if (!probe->first_frame_seen)
    {
      GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (probe->window));

      probe->first_frame_seen = TRUE;
      emit ("first-frame %" G_GINT64_FORMAT " %s", now,
            renderer != NULL ? G_OBJECT_TYPE_NAME (renderer) : "none");
      if (probe->stall)
        stall_restart (probe);
    }
  if (!probe->codes_frame_seen && probe->model != NULL)
    codes_frame (probe, now);
  if (probe->scrolling)
    record_scroll_frame (probe, now);
}

static void
items_changed (Probe *probe)
{
  emit ("items %u %" G_GINT64_FORMAT, g_list_model_get_n_items (probe->model),
        g_get_monotonic_time ());
}

static void
model_changed (Probe *probe)
{
  if (probe->model != NULL)
    g_signal_handlers_disconnect_by_data (probe->model, probe);
  g_clear_object (&probe->model);
  g_object_get (probe->list_view, "model", &probe->model, NULL);
  if (probe->model != NULL)
    g_signal_connect_swapped (probe->model, "items-changed", G_CALLBACK (items_changed), probe);
}

static void
window_realized (Probe *probe)
{
  probe->clock = gtk_widget_get_frame_clock (GTK_WIDGET (probe->window));
  entsec_bench_mark ("realized");
  g_signal_connect (probe->clock, "layout", G_CALLBACK (layout_done), probe);
  g_signal_connect (probe->clock, "paint", G_CALLBACK (paint_done), probe);
  probe->before_paint_id = g_signal_connect (probe->clock, "before-paint",
                                             G_CALLBACK (before_paint), probe);
  probe->after_paint_id = g_signal_connect (probe->clock, "after-paint",
                                            G_CALLBACK (after_paint), probe);
}

static void
window_unrealized (Probe *probe)
{
  g_clear_signal_handler (&probe->before_paint_id, probe->clock);
  g_clear_signal_handler (&probe->after_paint_id, probe->clock);
  probe->clock = NULL;
}

static void
probe_free (Probe *probe)
{
  g_clear_handle_id (&probe->stall_id, g_source_remove);
  g_clear_handle_id (&probe->signal_id, g_source_remove);
  g_clear_handle_id (&probe->scroll_id, g_source_remove);
  if (probe->model != NULL)
    g_signal_handlers_disconnect_by_data (probe->model, probe);
  g_clear_object (&probe->model);
  g_array_unref (probe->work);
  g_array_unref (probe->intervals);
  g_free (probe);
}

void
entsec_bench_probe_attach (GtkWindow *window,
                           GtkWidget *list_view)
{
  const char *scroll = g_getenv ("ENTSEC_BENCH_SCROLL");
  Probe *probe;

  g_return_if_fail (GTK_IS_WINDOW (window));
  g_return_if_fail (list_view == NULL || GTK_IS_SCROLLABLE (list_view));

  if (g_strcmp0 (g_getenv ("ENTSEC_BENCH"), "1") != 0)
    return;
  probe = g_new0 (Probe, 1);
  probe->window = window;
  probe->list_view = list_view;
  probe->work = g_array_new (FALSE, FALSE, sizeof (gint64));
  probe->intervals = g_array_new (FALSE, FALSE, sizeof (gint64));
  probe->stall = g_strcmp0 (g_getenv ("ENTSEC_BENCH_STALL"), "1") == 0;
  probe->scroll_px = scroll != NULL && list_view != NULL ? (guint) g_ascii_strtoull (scroll, NULL, 10) : 0;
  g_object_set_data_full (G_OBJECT (window), "entsec-bench-probe", probe,
                          (GDestroyNotify) probe_free);
  g_signal_connect_swapped (window, "realize", G_CALLBACK (window_realized), probe);
  g_signal_connect_swapped (window, "unrealize", G_CALLBACK (window_unrealized), probe);
  if (list_view != NULL)
    g_signal_connect_swapped (list_view, "notify::model", G_CALLBACK (model_changed), probe);
  if (probe->stall)
    {
      stall_restart (probe);
      probe->stall_id = g_timeout_add (STALL_PERIOD_MS, stall_tick, probe);
      probe->signal_id = g_unix_signal_add (SIGUSR1, stall_mark, probe);
    }
}

/* ---- Dialogs a person would confirm ------------------------------------------ */

typedef struct
{
  GtkWindow *dialog;
  void (*confirm) (GtkWindow *dialog);
} Confirm;

static gboolean
confirm_now (gpointer user_data)
{
  Confirm *confirm = user_data;

  confirm->confirm (confirm->dialog);
  g_object_unref (confirm->dialog);
  g_free (confirm);
  return G_SOURCE_REMOVE;
}

static void
dialog_mapped (GtkWindow *dialog,
               gpointer   confirm_func)
{
  Confirm *confirm = g_new0 (Confirm, 1);

  g_signal_handlers_disconnect_by_func (dialog, dialog_mapped, confirm_func);
  confirm->dialog = g_object_ref (dialog);
  confirm->confirm = (void (*) (GtkWindow *)) confirm_func;
  g_idle_add (confirm_now, confirm);
}

void
entsec_bench_probe_confirm (GtkWindow *dialog,
                            void (*confirm) (GtkWindow *dialog))
{
  g_return_if_fail (GTK_IS_WINDOW (dialog));
  g_return_if_fail (confirm != NULL);

  if (g_strcmp0 (g_getenv ("ENTSEC_BENCH"), "1") != 0
      || g_strcmp0 (g_getenv ("ENTSEC_BENCH_STALL"), "1") != 0)
    return;
  g_signal_connect (dialog, "map", G_CALLBACK (dialog_mapped), (gpointer) confirm);
}
