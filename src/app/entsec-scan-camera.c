/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-scan-camera.c: camera frames to the core's QR reader, off the main thread */

#define G_LOG_DOMAIN "entsec-scan-camera"

#include "config.h"

#include <glib/gi18n.h>
#include <stddef.h>
#include <string.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "entsec-lazy-symbols.h"
#include "entsec-scan-camera.h"

/*
 * GStreamer is opened on first use, not linked: a start that never shows the
 * camera maps none of it (gstreamer, gstbase, gstvideo, orc, libdw, ...).
 * The functions this file calls, with GStreamer's own prototypes.
 */
typedef struct
{
  __typeof__ (gst_init_check) *init_check;
  __typeof__ (gst_object_unref) *object_unref;
  __typeof__ (gst_object_ref_sink) *object_ref_sink;
  __typeof__ (gst_mini_object_unref) *mini_object_unref;
  __typeof__ (gst_sample_get_caps) *sample_get_caps;
  __typeof__ (gst_sample_get_buffer) *sample_get_buffer;
  __typeof__ (gst_message_parse_error) *message_parse_error;
  __typeof__ (gst_element_factory_find) *element_factory_find;
  __typeof__ (gst_parse_launch_full) *parse_launch_full;
  __typeof__ (gst_bin_get_type) *bin_get_type;
  __typeof__ (gst_bin_get_by_name) *bin_get_by_name;
  __typeof__ (gst_element_get_bus) *element_get_bus;
  __typeof__ (gst_element_set_state) *element_set_state;
  __typeof__ (gst_bus_add_watch) *bus_add_watch;
  __typeof__ (gst_bus_remove_watch) *bus_remove_watch;
  __typeof__ (gst_device_monitor_new) *device_monitor_new;
  __typeof__ (gst_device_monitor_add_filter) *device_monitor_add_filter;
  __typeof__ (gst_device_monitor_get_devices) *device_monitor_get_devices;
  __typeof__ (gst_app_sink_get_type) *app_sink_get_type;
  __typeof__ (gst_app_sink_pull_sample) *app_sink_pull_sample;
  __typeof__ (gst_app_sink_set_callbacks) *app_sink_set_callbacks;
  __typeof__ (gst_video_info_from_caps) *video_info_from_caps;
  __typeof__ (gst_video_frame_map) *video_frame_map;
  __typeof__ (gst_video_frame_unmap) *video_frame_unmap;
} Gst;

#define GST_SYMBOL(name) { "gst_" #name, offsetof (Gst, name) }

static const EntsecLazySymbol core_symbols[] = {
  GST_SYMBOL (init_check),
  GST_SYMBOL (object_unref),
  GST_SYMBOL (object_ref_sink),
  GST_SYMBOL (mini_object_unref),
  GST_SYMBOL (sample_get_caps),
  GST_SYMBOL (sample_get_buffer),
  GST_SYMBOL (message_parse_error),
  GST_SYMBOL (element_factory_find),
  GST_SYMBOL (parse_launch_full),
  GST_SYMBOL (bin_get_type),
  GST_SYMBOL (bin_get_by_name),
  GST_SYMBOL (element_get_bus),
  GST_SYMBOL (element_set_state),
  GST_SYMBOL (bus_add_watch),
  GST_SYMBOL (bus_remove_watch),
  GST_SYMBOL (device_monitor_new),
  GST_SYMBOL (device_monitor_add_filter),
  GST_SYMBOL (device_monitor_get_devices),
};

static const EntsecLazySymbol app_symbols[] = {
  GST_SYMBOL (app_sink_get_type),
  GST_SYMBOL (app_sink_pull_sample),
  GST_SYMBOL (app_sink_set_callbacks),
};

static const EntsecLazySymbol video_symbols[] = {
  GST_SYMBOL (video_info_from_caps),
  GST_SYMBOL (video_frame_map),
  GST_SYMBOL (video_frame_unmap),
};

/* GStreamer's core library (a test can replace it:
 * entsec_scan_camera_set_library_for_test()). */
static const char *gst_core_library = "libgstreamer-1.0.so.0";

static Gst gst;
/* Why GStreamer could not be opened (NULL when it was), for the error of _new(). */
static char *gst_failure;

void
entsec_scan_camera_set_library_for_test (const char *soname)
{
  gst_core_library = soname;
}

static void
load_gstreamer (void)
{
  static gsize loaded = 0;
  g_autoptr (GError) error = NULL;

  if (!g_once_init_enter (&loaded))
    return;
  if (!entsec_lazy_symbols_open (gst_core_library, core_symbols, G_N_ELEMENTS (core_symbols),
                                 &gst, &error)
      || !entsec_lazy_symbols_open ("libgstapp-1.0.so.0", app_symbols, G_N_ELEMENTS (app_symbols),
                                    &gst, &error)
      || !entsec_lazy_symbols_open ("libgstvideo-1.0.so.0", video_symbols,
                                    G_N_ELEMENTS (video_symbols), &gst, &error))
    gst_failure = g_strdup (error->message);
  g_once_init_leave (&loaded, 1);
}

struct _EntsecScanCamera
{
  GObject       parent_instance;

  GstElement   *pipeline;
  GMainContext *context;
  /* Set once a code was found or the reader stopped: later frames are dropped. */
  gint          done;
  /* What the last code that was no authenticator code held (main context only). */
  GError       *rejection;
};

G_DEFINE_FINAL_TYPE (EntsecScanCamera, entsec_scan_camera, G_TYPE_OBJECT)

enum
{
  SIGNAL_PREVIEW,
  SIGNAL_FOUND,
  SIGNAL_STOPPED,
  SIGNAL_REJECTED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* What the streaming thread hands to the main context. */
typedef struct
{
  EntsecScanCamera *self;
  GdkTexture       *preview;
  EntsecQrResult   *result;
  GError           *rejection;
  GError           *error;
} Report;

static void
report_free (Report *report)
{
  g_object_unref (report->self);
  g_clear_object (&report->preview);
  g_clear_pointer (&report->result, entsec_qr_result_free);
  g_clear_error (&report->rejection);
  g_clear_error (&report->error);
  g_free (report);
}

static gboolean
report_deliver (gpointer data)
{
  Report *report = data;
  EntsecScanCamera *self = report->self;

  if (report->preview != NULL)
    g_signal_emit (self, signals[SIGNAL_PREVIEW], 0, report->preview);
  /* Said once per kind of code, not for every frame that shows it. */
  if (report->rejection != NULL
      && (self->rejection == NULL
          || g_strcmp0 (self->rejection->message, report->rejection->message) != 0))
    {
      g_clear_error (&self->rejection);
      self->rejection = g_error_copy (report->rejection);
      g_signal_emit (self, signals[SIGNAL_REJECTED], 0, self->rejection);
    }
  if (report->result != NULL || report->error != NULL)
    entsec_scan_camera_stop (self);
  if (report->result != NULL)
    g_signal_emit (self, signals[SIGNAL_FOUND], 0, report->result);
  else if (g_error_matches (report->error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_NO_CODE)
           && self->rejection != NULL)
    /* The end of the video after codes that were no authenticator codes: say what they were. */
    g_signal_emit (self, signals[SIGNAL_STOPPED], 0, self->rejection);
  else if (report->error != NULL)
    g_signal_emit (self, signals[SIGNAL_STOPPED], 0, report->error);
  return G_SOURCE_REMOVE;
}

static void
post (EntsecScanCamera *self,
      Report           *report)
{
  g_autoptr (GSource) source = g_idle_source_new ();

  report->self = g_object_ref (self);
  /* A source, not g_main_context_invoke(): that would run it in this
   * streaming thread whenever no one holds the context at that moment. */
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, report_deliver, report, (GDestroyNotify) report_free);
  g_source_attach (source, self->context);
}

/* Whether @result holds an authenticator code (otpauth:// or an export). */
static gboolean
holds_authenticator_code (const EntsecQrResult *result)
{
  for (guint i = 0; i < result->codes->len; i++)
    {
      const EntsecQrCode *code = g_ptr_array_index (result->codes, i);

      if (code->kind == ENTSEC_QR_KIND_OTPAUTH || code->kind == ENTSEC_QR_KIND_MIGRATION)
        return TRUE;
    }
  return FALSE;
}

/* A grey frame as the RGB texture GDK 4.8 can show (it has no grey format). */
static GdkTexture *
preview_new (const guint8 *pixels,
             guint         width,
             guint         height,
             gsize         stride)
{
  gsize rgb_stride = (gsize) width * 3;
  guint8 *rgb = g_malloc (rgb_stride * height);
  g_autoptr (GBytes) bytes = NULL;

  for (guint y = 0; y < height; y++)
    for (guint x = 0; x < width; x++)
      memset (rgb + y * rgb_stride + x * 3, pixels[y * stride + x], 3);
  bytes = g_bytes_new_take (rgb, rgb_stride * height);
  return gdk_memory_texture_new ((int) width, (int) height, GDK_MEMORY_R8G8B8, bytes, rgb_stride);
}

/* On GStreamer's streaming thread: one frame, decoded here. */
static void
read_frame (EntsecScanCamera *self,
            GstVideoFrame    *frame)
{
  Report *report = g_new0 (Report, 1);
  g_autoptr (GError) error = NULL;

  report->preview = preview_new (GST_VIDEO_FRAME_PLANE_DATA (frame, 0),
                                 GST_VIDEO_FRAME_WIDTH (frame), GST_VIDEO_FRAME_HEIGHT (frame),
                                 GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0));
  report->result = entsec_qr_decode_grey_sync (GST_VIDEO_FRAME_PLANE_DATA (frame, 0),
                                               GST_VIDEO_FRAME_WIDTH (frame),
                                               GST_VIDEO_FRAME_HEIGHT (frame),
                                               GST_VIDEO_FRAME_PLANE_STRIDE (frame, 0), NULL,
                                               &error);
  if (report->result != NULL && !holds_authenticator_code (report->result))
    {
      /* Only to learn why (the same message as for a picture): it yields no account. */
      GPtrArray *none = entsec_qr_result_get_accounts (report->result, &report->rejection);

      g_clear_pointer (&none, g_ptr_array_unref);
      g_clear_pointer (&report->result, entsec_qr_result_free);
    }
  if (report->result != NULL)
    g_atomic_int_set (&self->done, TRUE);
  post (self, report);
}

static GstFlowReturn
new_sample (GstAppSink *sink,
            gpointer    user_data)
{
  EntsecScanCamera *self = user_data;
  GstSample *sample = gst.app_sink_pull_sample (sink);
  GstVideoInfo info;
  GstVideoFrame frame;

  if (sample == NULL)
    return GST_FLOW_OK;
  if (!g_atomic_int_get (&self->done)
      && gst.video_info_from_caps (&info, gst.sample_get_caps (sample))
      && gst.video_frame_map (&frame, &info, gst.sample_get_buffer (sample), GST_MAP_READ))
    {
      read_frame (self, &frame);
      gst.video_frame_unmap (&frame);
    }
  gst.mini_object_unref (GST_MINI_OBJECT_CAST (sample));
  return GST_FLOW_OK;
}

/* The bus, on the main context: the end of a file, or a failed source. */
static gboolean
bus_message (GstBus     *bus,
             GstMessage *message,
             gpointer    user_data)
{
  EntsecScanCamera *self = user_data;
  g_autoptr (GSource) idle = NULL;
  Report *report;

  if (GST_MESSAGE_TYPE (message) != GST_MESSAGE_EOS
      && GST_MESSAGE_TYPE (message) != GST_MESSAGE_ERROR)
    return G_SOURCE_CONTINUE;
  if (!g_atomic_int_compare_and_exchange (&self->done, FALSE, TRUE))
    return G_SOURCE_CONTINUE;
  report = g_new0 (Report, 1);
  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_EOS)
    report->error = g_error_new_literal (ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_NO_CODE,
                                         _("The video ended before a QR code could be read."));
  else
    {
      g_autoptr (GError) error = NULL;

      gst.message_parse_error (message, &error, NULL);
      report->error = g_error_new (ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_READ,
                                   _("The camera cannot be read (%s). Close other apps that use "
                                     "it and try again."),
                                   error->message);
    }
  report->self = g_object_ref (self);
  /* Frames posted before the end are shown first: a code in the last frame wins. */
  idle = g_idle_source_new ();
  g_source_set_priority (idle, G_PRIORITY_LOW);
  g_source_set_callback (idle, report_deliver, report, (GDestroyNotify) report_free);
  g_source_attach (idle, self->context);
  return G_SOURCE_CONTINUE;
}

static const char *
default_source (void)
{
  GstElementFactory *pipewire = gst.element_factory_find ("pipewiresrc");

  if (pipewire == NULL)
    return "v4l2src";
  gst.object_unref (pipewire);
  return "pipewiresrc";
}

EntsecScanCamera *
entsec_scan_camera_new (const char *source,
                        GError    **error)
{
  g_autoptr (EntsecScanCamera) self = NULL;
  g_autofree char *description = NULL;
  GstElement *sink;
  GstBus *bus;
  GstAppSinkCallbacks callbacks = { 0 };
  GError *parse_error = NULL;

  load_gstreamer ();
  if (gst_failure != NULL)
    {
      g_set_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_READ,
                   _("The camera cannot be used (%s). Install GStreamer's “good” plugins and "
                     "PipeWire's GStreamer plugin."),
                   gst_failure);
      return NULL;
    }
  if (!gst.init_check (NULL, NULL, error))
    return NULL;
  self = g_object_new (ENTSEC_TYPE_SCAN_CAMERA, NULL);
  description = g_strdup_printf ("%s ! videoconvert ! videoscale ! videorate drop-only=true "
                                 "max-rate=%d ! video/x-raw,format=GRAY8 ! appsink name=sink "
                                 "max-buffers=1 drop=true sync=false",
                                 source != NULL ? source : default_source (),
                                 ENTSEC_SCAN_CAMERA_RATE);
  self->pipeline = gst.parse_launch_full (description, NULL, GST_PARSE_FLAG_FATAL_ERRORS,
                                          &parse_error);
  if (self->pipeline == NULL)
    {
      g_set_error (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_READ,
                   _("The camera cannot be used (%s). Install GStreamer's “good” plugins and "
                     "PipeWire's GStreamer plugin."),
                   parse_error->message);
      g_error_free (parse_error);
      return NULL;
    }
  gst.object_ref_sink (self->pipeline);
  /* GST_BIN() and GST_APP_SINK(), with the _get_type() functions of the table */
  sink = gst.bin_get_by_name (G_TYPE_CHECK_INSTANCE_CAST (self->pipeline, gst.bin_get_type (),
                                                          GstBin), "sink");
  callbacks.new_sample = new_sample;
  gst.app_sink_set_callbacks (G_TYPE_CHECK_INSTANCE_CAST (sink, gst.app_sink_get_type (),
                                                          GstAppSink), &callbacks, self, NULL);
  gst.object_unref (sink);
  bus = gst.element_get_bus (self->pipeline);
  gst.bus_add_watch (bus, bus_message, self);
  gst.object_unref (bus);
  return g_steal_pointer (&self);
}

gboolean
entsec_scan_camera_start (EntsecScanCamera *self,
                          GError          **error)
{
  g_return_val_if_fail (ENTSEC_IS_SCAN_CAMERA (self), FALSE);

  g_atomic_int_set (&self->done, FALSE);
  if (gst.element_set_state (self->pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE)
    {
      g_set_error_literal (error, ENTSEC_QR_ERROR, ENTSEC_QR_ERROR_READ,
                           _("The camera cannot be started. Close other apps that use it and "
                             "try again."));
      gst.element_set_state (self->pipeline, GST_STATE_NULL);
      return FALSE;
    }
  return TRUE;
}

void
entsec_scan_camera_stop (EntsecScanCamera *self)
{
  g_return_if_fail (ENTSEC_IS_SCAN_CAMERA (self));

  g_atomic_int_set (&self->done, TRUE);
  gst.element_set_state (self->pipeline, GST_STATE_NULL);
}

static void
detect_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GstDeviceMonitor *monitor;
  GList *devices;
  gboolean found;

  /* Without GStreamer, no camera can be used: the same as none attached. */
  load_gstreamer ();
  if (gst_failure != NULL || !gst.init_check (NULL, NULL, NULL))
    {
      g_task_return_boolean (task, FALSE);
      return;
    }
  monitor = gst.device_monitor_new ();
  gst.device_monitor_add_filter (monitor, "Video/Source", NULL);
  devices = gst.device_monitor_get_devices (monitor);
  found = devices != NULL;
  g_list_free_full (devices, gst.object_unref);
  gst.object_unref (monitor);
  g_task_return_boolean (task, found);
}

void
entsec_scan_camera_detect_async (GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, entsec_scan_camera_detect_async);
  g_task_run_in_thread (task, detect_thread);
}

gboolean
entsec_scan_camera_detect_finish (GAsyncResult *result)
{
  return g_task_propagate_boolean (G_TASK (result), NULL);
}

static void
entsec_scan_camera_dispose (GObject *object)
{
  EntsecScanCamera *self = ENTSEC_SCAN_CAMERA (object);

  if (self->pipeline != NULL)
    {
      GstBus *bus = gst.element_get_bus (self->pipeline);

      gst.element_set_state (self->pipeline, GST_STATE_NULL);
      gst.bus_remove_watch (bus);
      gst.object_unref (bus);
    }
  g_clear_pointer (&self->pipeline, gst.object_unref);

  G_OBJECT_CLASS (entsec_scan_camera_parent_class)->dispose (object);
}

static void
entsec_scan_camera_finalize (GObject *object)
{
  EntsecScanCamera *self = ENTSEC_SCAN_CAMERA (object);

  g_main_context_unref (self->context);
  g_clear_error (&self->rejection);

  G_OBJECT_CLASS (entsec_scan_camera_parent_class)->finalize (object);
}

static void
entsec_scan_camera_class_init (EntsecScanCameraClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = entsec_scan_camera_dispose;
  object_class->finalize = entsec_scan_camera_finalize;

  signals[SIGNAL_PREVIEW] = g_signal_new ("preview", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, GDK_TYPE_TEXTURE);
  signals[SIGNAL_FOUND] = g_signal_new ("found", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
  signals[SIGNAL_STOPPED] = g_signal_new ("stopped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                          0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[SIGNAL_REJECTED] = g_signal_new ("rejected", G_TYPE_FROM_CLASS (klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                                           G_TYPE_ERROR);
}

static void
entsec_scan_camera_init (EntsecScanCamera *self)
{
  self->context = g_main_context_ref_thread_default ();
}
