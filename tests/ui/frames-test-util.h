/* SPDX-License-Identifier: GPL-3.0-or-later */
/* frames-test-util.h: waiting for a window's frames in the app's UI tests */
#pragma once

#include <gtk/gtk.h>

static inline void
ft_count_frame (GdkFrameClock *clock,
                guint         *frames)
{
  (void) clock;
  (*frames)++;
}

/* Run the main loop until @widget's window has painted @count more frames. */
static inline void
ft_wait_frames (GtkWidget *widget,
                guint      count)
{
  GdkFrameClock *clock;
  guint frames = 0;
  gulong handler;

  while ((clock = gtk_widget_get_frame_clock (widget)) == NULL)
    g_main_context_iteration (NULL, TRUE);
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (ft_count_frame), &frames);
  while (frames < count)
    {
      gtk_widget_queue_draw (widget);
      g_main_context_iteration (NULL, TRUE);
    }
  g_signal_handler_disconnect (clock, handler);
}
