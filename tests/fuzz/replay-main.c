/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * replay-main.c: feed files to a libFuzzer harness without libFuzzer, so the
 * committed corpus runs as a plain test in every build.
 *
 *   replay-NAME PATH...   (a PATH is a file or a directory of files)
 *
 * Fails when no input was found: an empty corpus would test nothing.
 */

#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);
int LLVMFuzzerInitialize (int    *argc,
                          char ***argv) __attribute__ ((weak));

static gboolean
replay_file (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  guint8 *copy;

  if (!g_file_get_contents (path, &contents, &len, &error))
    {
      fprintf (stderr, "replay: %s\n", error->message);
      return FALSE;
    }
  /* An exact-size heap copy, so ASan sees reads past the end of the input. */
  copy = g_malloc (len > 0 ? len : 1);
  memcpy (copy, contents, len);
  LLVMFuzzerTestOneInput (copy, len);
  g_free (copy);
  return TRUE;
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* Replay every regular file in @dir in name order; returns how many, or -1. */
static int
replay_directory (const char *dir)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) handle = g_dir_open (dir, 0, &error);
  g_autoptr (GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (handle == NULL)
    {
      fprintf (stderr, "replay: %s\n", error->message);
      return -1;
    }
  for (name = g_dir_read_name (handle); name != NULL; name = g_dir_read_name (handle))
    {
      char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (paths, path);
      else
        g_free (path);
    }
  g_ptr_array_sort (paths, compare_names);
  for (guint i = 0; i < paths->len; i++)
    {
      if (!replay_file (paths->pdata[i]))
        return -1;
    }
  return (int) paths->len;
}

int
main (int    argc,
      char **argv)
{
  int total = 0;

  if (argc < 2)
    {
      fprintf (stderr, "Usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
      return 2;
    }
  if (LLVMFuzzerInitialize != NULL)
    LLVMFuzzerInitialize (&argc, &argv);

  /* The empty input is always worth one run. */
  LLVMFuzzerTestOneInput ((const uint8_t *) "", 0);
  for (int i = 1; i < argc; i++)
    {
      int n = 1;

      if (g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        n = replay_directory (argv[i]);
      else if (!replay_file (argv[i]))
        n = -1;
      if (n < 0)
        return 1;
      total += n;
    }
  if (total == 0)
    {
      fprintf (stderr, "replay: no inputs found\n");
      return 1;
    }
  printf ("replay: %d inputs ran cleanly\n", total);
  return 0;
}
