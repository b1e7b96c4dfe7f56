/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-bench-probe.h: timings for bench/app, inert unless asked for */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * Watches @window for bench/app/run-bench when the environment asks for it,
 * and does nothing otherwise. Lines go to stdout, "entsec-bench KEY ...",
 * times in microseconds of g_get_monotonic_time() (CLOCK_MONOTONIC):
 *
 * - ENTSEC_BENCH=1: "first-frame T RENDERER" after the window's first paint;
 *   when @list_view (a GtkListView or GtkGridView; nullable: a bare window has
 *   none) has a model, "codes-frame T N" after the first paint that shows it
 *   and "items N T" when its number of items changes.
 * - ENTSEC_BENCH_STALL=1 as well: a 5 ms timeout records the longest gap between
 *   its dispatches, the longest time the main loop did not run; "stall start US"
 *   covers the first frame to 1 s after the codes frame, and SIGUSR1 prints "stall mark US"
 *   for the time since the last report and starts again.
 * - ENTSEC_BENCH_SCROLL=PX as well: once the codes show, @list_view scrolls down by
 *   PX pixels a frame to the end; then "scroll FRAMES WORK50 WORK95 WORKMAX IVL50
 *   IVL95 IVLMAX HEIGHT": per frame the time from the frame clock's "before-paint" to
 *   its "after-paint" (the main thread's work for the frame) and between frames, and
 *   the list's height in pixels.
 */
void entsec_bench_probe_attach (GtkWindow *window,
                                GtkWidget *list_view);

/*
 * With ENTSEC_BENCH_STALL=1, confirms @dialog as soon as it is on screen, by
 * calling @confirm (@dialog) as its "Add" button would (the stall run imports
 * 100 Google Authenticator export links, each with its list of accounts to
 * check). Does nothing otherwise.
 */
void entsec_bench_probe_confirm (GtkWindow *dialog,
                                 void (*confirm) (GtkWindow *dialog));

/*
 * With ENTSEC_BENCH_MARKS=1, prints "entsec-bench mark T WHAT" (T as above): the
 * steps of a start for bench/app/timeline. The probe adds "realized" and, up to
 * the codes' frame, each frame's "before-paint", "layout" and "paint" (the
 * last two when GTK's own layout and paint of the window are done). Call it
 * from the main thread only.
 */
void entsec_bench_mark (const char *what);

G_END_DECLS
