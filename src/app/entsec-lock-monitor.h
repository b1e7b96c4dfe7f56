/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-lock-monitor.h: when the codes should lock: idle, suspend, screensaver */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define ENTSEC_TYPE_LOCK_MONITOR (entsec_lock_monitor_get_type ())
G_DECLARE_FINAL_TYPE (EntsecLockMonitor, entsec_lock_monitor, ENTSEC, LOCK_MONITOR, GObject)

/* Returns: the time now in microseconds (monotonic); tests inject their own. */
typedef gint64 (*EntsecLockClock) (gpointer user_data);

/*
 * Emits "lock-requested" after "timeout" seconds without
 * entsec_lock_monitor_note_activity() (0: never), and when logind announces
 * a suspend (PrepareForSleep) or a screensaver (org.freedesktop.ScreenSaver,
 * org.gnome.ScreenSaver) turns on. Buses and services that are absent are
 * tolerated. Nothing is watched before entsec_lock_monitor_start().
 * Returns: (transfer full): the monitor.
 */
EntsecLockMonitor *entsec_lock_monitor_new          (void);

/* Subscribe to the D-Bus signals (asynchronously; cancelled by @cancellable)
 * and run the idle timer. */
void               entsec_lock_monitor_start        (EntsecLockMonitor *self,
                                                     GCancellable      *cancellable);

/* Stop the idle timer (the codes are locked already); start() runs it again. */
void               entsec_lock_monitor_pause        (EntsecLockMonitor *self);

/* The person did something: the idle time starts again. */
void               entsec_lock_monitor_note_activity (EntsecLockMonitor *self);

/* Check the idle time now (what the timer does); emits "lock-requested"
 * once the timeout has passed. Returns: whether it did. */
gboolean           entsec_lock_monitor_check        (EntsecLockMonitor *self);

/* Replace the clock (tests); NULL restores g_get_monotonic_time(). */
void               entsec_lock_monitor_set_clock    (EntsecLockMonitor *self,
                                                     EntsecLockClock    clock,
                                                     gpointer           user_data);

/* Seconds of inactivity before "lock-requested"; 0: never. */
void               entsec_lock_monitor_set_timeout  (EntsecLockMonitor *self,
                                                     guint              seconds);
guint              entsec_lock_monitor_get_timeout  (EntsecLockMonitor *self);

G_END_DECLS
