/* SPDX-License-Identifier: GPL-3.0-or-later */
/* maps-test-util.h: which shared libraries this process has mapped (/proc/self/maps) */
#pragma once

#include <string.h>

#include <glib.h>

/* Whether a library whose file name starts with @prefix is mapped in this process. */
static inline gboolean
mt_mapped (const char *prefix)
{
  g_autofree char *maps = NULL;
  g_autofree char *needle = g_strconcat ("/", prefix, NULL);

  g_assert_true (g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL));
  return strstr (maps, needle) != NULL;
}
