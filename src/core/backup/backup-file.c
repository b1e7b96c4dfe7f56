/* SPDX-License-Identifier: GPL-3.0-or-later */
/* backup-file.c: atomic 0600 writes, capped reads and format detection */

#define _GNU_SOURCE /* O_TMPFILE */
#define G_LOG_DOMAIN "entsec-backup"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "backup-private.h"
#include "entsec-crypto.h"

static gboolean
io_error (GError    **error,
          int         errsv,
          const char *what,
          const char *path)
{
  g_autofree char *display = g_filename_display_name (path);

  g_set_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_IO,
               "Could not %s \u201c%s\u201d: %s", what, display, g_strerror (errsv));
  return FALSE;
}

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         len)
{
  while (len > 0)
    {
      gssize n = write (fd, data, MIN (len, (gsize) G_MAXSSIZE));

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

/* Write and flush to disk; errno tells why on failure. */
static gboolean
write_and_sync (int     fd,
                GBytes *data)
{
  gsize len = 0;
  const guint8 *bytes = g_bytes_get_data (data, &len);

  return fchmod (fd, 0600) == 0 && write_all (fd, bytes, len) && fsync (fd) == 0;
}

static void
close_keep_errno (int fd)
{
  int errsv = errno;

  close (fd);
  errno = errsv;
}

/*
 * Linux: write into an unnamed file (O_TMPFILE) and give it the name @temp
 * only once it is complete and on disk, so a crash or kill -9 mid-write
 * leaves nothing behind: no partial file, no partial plaintext export.
 */
static gboolean
write_anonymous (const char *dir,
                 const char *temp,
                 GBytes     *data)
{
  char proc[64];
  gboolean ok;
  int fd;

#ifdef O_TMPFILE
  fd = open (dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
#else
  fd = -1;
#endif
  if (fd < 0)
    return FALSE;
  g_snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
  ok = write_and_sync (fd, data)
       && linkat (AT_FDCWD, proc, AT_FDCWD, temp, AT_SYMLINK_FOLLOW) == 0;
  close_keep_errno (fd);
  return ok;
}

/* Elsewhere (or without /proc): a named temporary file, removed on failure. */
static gboolean
write_named (char   *temp_template,
             GBytes *data)
{
  int fd = g_mkstemp_full (temp_template, O_WRONLY | O_CLOEXEC, 0600);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = write_and_sync (fd, data);
  if (close (fd) != 0)
    ok = FALSE;
  if (!ok)
    {
      int errsv = errno;

      g_unlink (temp_template);
      errno = errsv;
    }
  return ok;
}

/* So the rename itself survives a power cut. Some filesystems refuse: that is fine. */
static gboolean
sync_directory (const char *dir)
{
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  gboolean ok;

  if (fd < 0)
    return FALSE;
  ok = fsync (fd) == 0 || errno == EINVAL || errno == EROFS;
  close_keep_errno (fd);
  return ok;
}

/* A complete, synced copy of @data named next to @path: its name in *@temp. */
static gboolean
write_temp (const char *dir,
            const char *base,
            GBytes     *data,
            char      **temp)
{
  guint64 nonce = ((guint64) g_random_int () << 32) | g_random_int ();

  *temp = g_strdup_printf ("%s%c.%s.%016" G_GINT64_MODIFIER "x", dir, G_DIR_SEPARATOR, base,
                           nonce);
  if (write_anonymous (dir, *temp, data))
    return TRUE;
  g_free (*temp);
  *temp = g_strdup_printf ("%s%c.%s.XXXXXX", dir, G_DIR_SEPARATOR, base);
  return write_named (*temp, data);
}

gboolean
entsec_backup_write_file (const char *path,
                          GBytes     *data,
                          GError    **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *base = NULL;
  g_autofree char *temp = NULL;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (data != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  dir = g_path_get_dirname (path);
  base = g_path_get_basename (path);
  if (!write_temp (dir, base, data, &temp))
    return io_error (error, errno, "write", path);
  if (rename (temp, path) != 0)
    {
      int errsv = errno;

      g_unlink (temp);
      return io_error (error, errsv, "write", path);
    }
  if (!sync_directory (dir))
    return io_error (error, errno, "flush the folder of", path);
  return TRUE;
}

static gboolean
limit_error (GError    **error,
             const char *path)
{
  g_autofree char *display = g_filename_display_name (path);

  g_set_error (error, ENTSEC_BACKUP_ERROR, ENTSEC_BACKUP_ERROR_LIMIT,
               "\u201c%s\u201d is larger than the %d MiB an import may be; "
               "it is not an authenticator export", display,
               ENTSEC_IMPORT_MAX_FILE_BYTES / (1024 * 1024));
  return FALSE;
}

/* Twice @buffer's size (at most the cap plus one byte), holding its first @used bytes. */
static EntsecSecureBytes *
grow_buffer (EntsecSecureBytes *buffer,
             gsize              used)
{
  gsize capacity = MIN (buffer->len * 2, (gsize) ENTSEC_IMPORT_MAX_FILE_BYTES + 1);
  EntsecSecureBytes *bigger = entsec_secure_bytes_new (capacity);

  memcpy (bigger->data, buffer->data, used);
  entsec_secure_bytes_free (buffer);
  return bigger;
}

/*
 * Read at most the cap plus one byte, so a file that grows is still caught.
 * The file may hold secrets (a plain otpauth:// list): it is read straight
 * into a wiped-on-free buffer sized from fstat, with no stack copy, and a
 * buffer outgrown is wiped; the GBytes returned wipes it when released.
 */
static GBytes *
read_capped (int         fd,
             gsize       capacity,
             const char *path,
             GError    **error)
{
  g_autoptr (EntsecSecureBytes) buffer = entsec_secure_bytes_new (MAX (capacity, 1));
  const guint8 *data;
  gsize used = 0;

  for (;;)
    {
      gssize n;

      if (used == buffer->len)
        {
          if (used > ENTSEC_IMPORT_MAX_FILE_BYTES)
            {
              limit_error (error, path);
              return NULL;
            }
          buffer = grow_buffer (g_steal_pointer (&buffer), used);
        }
      n = read (fd, buffer->data + used, buffer->len - used);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          io_error (error, errno, "read", path);
          return NULL;
        }
      if (n == 0)
        break;
      used += (gsize) n;
    }
  data = buffer->data;
  return g_bytes_new_with_free_func (data, used, (GDestroyNotify) entsec_secure_bytes_free,
                                     g_steal_pointer (&buffer));
}

GBytes *
entsec_backup_read_file (const char *path,
                         GError    **error)
{
  struct stat st;
  gsize capacity = 64 * 1024;
  GBytes *bytes;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      io_error (error, errno, "open", path);
      return NULL;
    }
  if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode))
    {
      if (st.st_size > ENTSEC_IMPORT_MAX_FILE_BYTES)
        {
          close (fd);
          limit_error (error, path);
          return NULL;
        }
      /* One byte more than the size, to see the end of the file in one read. */
      capacity = (gsize) st.st_size + 1;
    }
  bytes = read_capped (fd, capacity, path, error);
  close (fd);
  return bytes;
}

/* The first line that is neither blank nor a '#' comment starts with @prefix. */
static gboolean
first_line_starts_with (const char *text,
                        gsize       len,
                        const char *prefix)
{
  gsize i = 0;
  gsize n = strlen (prefix);

  while (i < len)
    {
      while (i < len && g_ascii_isspace (text[i]))
        i++;
      if (i < len && text[i] != '#')
        return len - i >= n && g_ascii_strncasecmp (text + i, prefix, n) == 0;
      while (i < len && text[i] != '\n')
        i++;
    }
  return FALSE;
}

EntsecImportFormat
entsec_import_detect_format (GBytes *data)
{
  gsize len = 0;
  const char *text;

  g_return_val_if_fail (data != NULL, ENTSEC_IMPORT_FORMAT_UNKNOWN);

  text = g_bytes_get_data (data, &len);
  if (len >= 8 && memcmp (text, "ENTSECBK", 8) == 0)
    return ENTSEC_IMPORT_FORMAT_ENTSEC;
  if (len >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0)
    {
      text += 3;
      len -= 3;
    }
  if (first_line_starts_with (text, len, "otpauth"))
    return ENTSEC_IMPORT_FORMAT_URIS;
  if (first_line_starts_with (text, len, "{"))
    return ENTSEC_IMPORT_FORMAT_AEGIS;
  return ENTSEC_IMPORT_FORMAT_UNKNOWN;
}
