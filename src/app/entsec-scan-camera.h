/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-scan-camera.h: QR codes from a camera (or any GStreamer video source) */
#pragma once

#include <gtk/gtk.h>
#include <entsec/entsec.h>

G_BEGIN_DECLS

#define ENTSEC_TYPE_SCAN_CAMERA (entsec_scan_camera_get_type ())
G_DECLARE_FINAL_TYPE (EntsecScanCamera, entsec_scan_camera, ENTSEC, SCAN_CAMERA, GObject)

/* Frames decoded a second at most: a camera feeds the next frame anyway. */
#define ENTSEC_SCAN_CAMERA_RATE 5

/*
 * A reader of the frames of @source, a gst-launch description of a video
 * source (NULL: pipewiresrc when PipeWire's plugin is installed, else
 * v4l2src; tests give "filesrc location=... ! decodebin"). The frames go,
 * as GRAY8 at ENTSEC_SCAN_CAMERA_RATE a second, to
 * entsec_qr_decode_grey_sync() on GStreamer's streaming thread, never the
 * main one. Signals, on the main context of the caller:
 *  - "preview" (GdkTexture *): a frame to show, as often as frames are read;
 *  - "found" (gpointer EntsecQrResult, transfer none): the first frame that
 *    holds an authenticator code (otpauth:// or a Google export); reading stops;
 *  - "rejected" (GError *error): a frame holds a QR code that is not an
 *    authenticator code (a web link, Wi-Fi, text): NOT_AUTHENTICATOR saying
 *    what it holds, as for a picture; once per kind of code; reading goes on;
 *  - "stopped" (GError *error): the source ended or failed before a code
 *    was found (error says which; at the end of a video after a rejected
 *    code, that code's NOT_AUTHENTICATOR).
 * Returns: (transfer full) (nullable): the reader, or NULL with @error set
 *   when GStreamer or the source's plugin is missing.
 */
EntsecScanCamera *entsec_scan_camera_new (const char *source,
                                          GError    **error);

/* Start reading frames. */
gboolean entsec_scan_camera_start (EntsecScanCamera *self,
                                   GError          **error);

/* Stop reading frames (no signal follows). */
void     entsec_scan_camera_stop (EntsecScanCamera *self);

/*
 * Whether a camera is attached (GstDeviceMonitor, class Video/Source), in
 * a worker thread. _finish: TRUE when there is at least one.
 */
void     entsec_scan_camera_detect_async (GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
gboolean entsec_scan_camera_detect_finish (GAsyncResult *result);

/*
 * GStreamer is opened on the first _detect_async() or _new(); when it cannot
 * be, no camera is detected and _new() fails saying what to install. Tests
 * only, before that: open @soname instead of libgstreamer-1.0.so.0.
 */
void     entsec_scan_camera_set_library_for_test (const char *soname);

G_END_DECLS
