/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pam-entsec-config.c: pam_entsec's options, API key file and user map.
 *
 * Plain C and libc only: this runs inside sshd, sudo and login (see
 * pam_entsec.c for why the module does not link GLib).
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "pam-entsec-config.h"

#define MAP_LINE_MAX 512
#define MAP_USER_MAX 128
#define NAME_SHOWN_MAX 40

static void
set_error (char       *error,
           size_t      error_size,
           const char *format,
           ...) __attribute__ ((format (printf, 3, 4)));

static void
set_error (char       *error,
           size_t      error_size,
           const char *format,
           ...)
{
  va_list args;

  va_start (args, format);
  vsnprintf (error, error_size, format, args);
  va_end (args);
}

/* The name of an option (the part before '='), printable and cut, for a
 * message: never its value, which might be a secret put on the wrong line. */
static void
option_name (const char *arg,
             char        name[NAME_SHOWN_MAX + 1])
{
  size_t i;

  for (i = 0; i < NAME_SHOWN_MAX && arg[i] != '\0' && arg[i] != '='; i++)
    name[i] = arg[i] > 0x20 && arg[i] < 0x7f ? arg[i] : '?';
  name[i] = '\0';
}

static bool
parse_timeout (const char *value,
               unsigned   *timeout)
{
  char *end = NULL;
  unsigned long number;

  if (value[0] < '0' || value[0] > '9')
    return false;
  errno = 0;
  number = strtoul (value, &end, 10);
  if (errno != 0 || *end != '\0' || number < ENTSEC_PAM_TIMEOUT_MIN
      || number > ENTSEC_PAM_TIMEOUT_MAX)
    return false;
  *timeout = (unsigned) number;
  return true;
}

/* Two choices: @value is @first (false) or @second (true). */
static bool
parse_choice (const char *value,
              const char *first,
              const char *second,
              bool       *result)
{
  if (strcmp (value, first) == 0)
    *result = false;
  else if (strcmp (value, second) == 0)
    *result = true;
  else
    return false;
  return true;
}

/* Sets one option; false when the value is not one it takes. */
static bool
set_option (EntsecPamOptions *options,
            const char       *name,
            const char       *value)
{
  bool choice = false;

  if (strcmp (name, "server") == 0)
    options->server = value;
  else if (strcmp (name, "ca") == 0)
    options->ca_file = value;
  else if (strcmp (name, "pin") == 0)
    options->pin = value;
  else if (strcmp (name, "key_file") == 0)
    options->key_file = value;
  else if (strcmp (name, "user_map") == 0)
    options->user_map = value;
  else if (strcmp (name, "timeout") == 0)
    return parse_timeout (value, &options->timeout);
  else if (strcmp (name, "mode") == 0)
    {
      if (!parse_choice (value, "push", "totp", &choice))
        return false;
      options->mode = choice ? ENTSEC_PAM_MODE_TOTP : ENTSEC_PAM_MODE_PUSH;
    }
  else if (strcmp (name, "prompt") == 0)
    {
      if (!parse_choice (value, "none", "enter", &choice))
        return false;
      options->prompt = choice ? ENTSEC_PAM_PROMPT_ENTER : ENTSEC_PAM_PROMPT_NONE;
    }
  else if (strcmp (name, "offline") == 0)
    return parse_choice (value, "deny", "allow", &options->offline_allow);
  return value[0] != '\0';
}

static const char *const option_names[] = {
  "server", "ca", "pin", "key_file", "user_map", "timeout", "mode", "prompt", "offline", NULL
};

static int
option_index (const char *name)
{
  for (int i = 0; option_names[i] != NULL; i++)
    if (strcmp (option_names[i], name) == 0)
      return i;
  return -1;
}

static void
unknown_option (const char *name,
                char       *error,
                size_t      error_size)
{
  int len = snprintf (error, error_size, "unknown option \"%s\" (options are NAME=VALUE:", name);

  for (int i = 0; option_names[i] != NULL && len > 0 && (size_t) len < error_size; i++)
    len += snprintf (error + len, error_size - (size_t) len, " %s", option_names[i]);
  if (len > 0 && (size_t) len + 1 < error_size)
    snprintf (error + len, error_size - (size_t) len, ")");
}

static bool
check_options (const EntsecPamOptions *options,
               char                   *error,
               size_t                  error_size)
{
  if (options->server == NULL || options->key_file == NULL)
    {
      set_error (error, error_size, "server= and key_file= are required");
      return false;
    }
  if (strncasecmp (options->server, "https://", 8) != 0 || options->server[8] == '\0'
      || strpbrk (options->server, " \t\r\n?#") != NULL)
    {
      set_error (error, error_size,
                 "server= must be an https:// URL, such as https://auth.example.com");
      return false;
    }
  if (options->pin != NULL && strncmp (options->pin, "sha256//", 8) != 0)
    {
      set_error (error, error_size, "pin= must be sha256//BASE64 (the server key's SHA-256)");
      return false;
    }
  /* the module runs in whatever directory sshd, sudo or login is in */
  if ((options->ca_file != NULL && options->ca_file[0] != '/') || options->key_file[0] != '/'
      || (options->user_map != NULL && options->user_map[0] != '/'))
    {
      set_error (error, error_size, "ca=, key_file= and user_map= must be absolute paths");
      return false;
    }
  return true;
}

bool
entsec_pam_options_parse (int               argc,
                          const char      **argv,
                          EntsecPamOptions *options,
                          char             *error,
                          size_t            error_size)
{
  char name[NAME_SHOWN_MAX + 1];
  bool seen[sizeof option_names / sizeof option_names[0]] = { false };

  memset (options, 0, sizeof *options);
  options->timeout = ENTSEC_PAM_TIMEOUT_DEFAULT;
  for (int i = 0; i < argc; i++)
    {
      const char *equals = strchr (argv[i], '=');
      int index;

      option_name (argv[i], name);
      index = option_index (name);
      if (equals == NULL || index < 0 || (size_t) (equals - argv[i]) != strlen (name))
        {
          unknown_option (name, error, error_size);
          return false;
        }
      if (seen[index])
        {
          set_error (error, error_size, "option \"%s\" is given twice", name);
          return false;
        }
      seen[index] = true;
      if (!set_option (options, name, equals + 1))
        {
          set_error (error, error_size, "option \"%s\" has a value it does not take "
                     "(see pam_entsec(8))", name);
          return false;
        }
    }
  return check_options (options, error, error_size);
}

/* A file only the effective uid (or root, when @root_ok) can change; with
 * @private, also one nobody else can read. */
static bool
check_owner (int         fd,
             const char *what,
             const char *path,
             bool        private,
             char       *error,
             size_t      error_size)
{
  struct stat st;
  mode_t forbidden = private ? (S_IRWXG | S_IRWXO) : (S_IWGRP | S_IWOTH);

  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      set_error (error, error_size, "%s %s is not a regular file", what, path);
      return false;
    }
  if (st.st_uid != geteuid () && (private || st.st_uid != 0))
    {
      set_error (error, error_size, "%s %s must be owned by %s", what, path,
                 private ? "the user the service runs as (root)" : "root");
      return false;
    }
  if ((st.st_mode & forbidden) != 0)
    {
      set_error (error, error_size, "%s %s must not be %s by group or others (chmod %s)",
                 what, path, private ? "accessible" : "writable", private ? "600" : "644");
      return false;
    }
  return true;
}

bool
entsec_pam_is_base64url (const char *text,
                         size_t      len)
{
  for (size_t i = 0; i < len; i++)
    if (!((text[i] >= 'A' && text[i] <= 'Z') || (text[i] >= 'a' && text[i] <= 'z')
          || (text[i] >= '0' && text[i] <= '9') || text[i] == '-' || text[i] == '_'))
      return false;
  return len > 0;
}

static bool
read_key_bytes (int     fd,
                char   *key,
                size_t *len)
{
  ssize_t got;

  *len = 0;
  do
    {
      got = read (fd, key + *len, ENTSEC_PAM_API_KEY_MAX + 2 - *len);
      if (got > 0)
        *len += (size_t) got;
    }
  while ((got > 0 || (got < 0 && errno == EINTR)) && *len < ENTSEC_PAM_API_KEY_MAX + 2);
  return got >= 0 || *len == ENTSEC_PAM_API_KEY_MAX + 2;
}

bool
entsec_pam_read_api_key (const char *path,
                         char        key[ENTSEC_PAM_API_KEY_MAX + 1],
                         char       *error,
                         size_t      error_size)
{
  char buffer[ENTSEC_PAM_API_KEY_MAX + 2];
  size_t len = 0;
  bool ok = false;
  int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);

  if (fd < 0)
    {
      set_error (error, error_size, "cannot open the key file %s: %s", path, strerror (errno));
      return false;
    }
  if (!check_owner (fd, "the key file", path, true, error, error_size))
    goto out;
  if (!read_key_bytes (fd, buffer, &len))
    {
      set_error (error, error_size, "cannot read the key file %s: %s", path, strerror (errno));
      goto out;
    }
  if (len > 0 && buffer[len - 1] == '\n')
    len--;
  ok = len <= ENTSEC_PAM_API_KEY_MAX && entsec_pam_is_base64url (buffer, len);
  if (!ok)
    set_error (error, error_size, "the key file %s must hold the relying party's API key "
               "(base64url, as entsec-admin rps add printed it) on one line", path);
  else
    {
      memcpy (key, buffer, len);
      key[len] = '\0';
    }
out:
  OPENSSL_cleanse (buffer, sizeof buffer);
  close (fd);
  return ok;
}

static bool
is_map_user (const char *user)
{
  size_t len = strlen (user);

  if (len == 0 || len > MAP_USER_MAX)
    return false;
  for (size_t i = 0; i < len; i++)
    if (user[i] <= 0x20 || user[i] >= 0x7f)
      return false;
  return true;
}

/* One line of the map: empty/comment (*login NULL), or "login user". */
static bool
split_map_line (char  *line,
                char **login,
                char **user)
{
  char *rest = NULL;

  *login = NULL;
  *user = NULL;
  line[strcspn (line, "#\r\n")] = '\0';
  *login = strtok_r (line, " \t", &rest);
  if (*login == NULL)
    return true;
  *user = strtok_r (NULL, " \t", &rest);
  return *user != NULL && strtok_r (NULL, " \t", &rest) == NULL && is_map_user (*user);
}

/* Looks @login up in the open map @file: the user (malloc'd), or NULL. */
static char *
find_in_map (FILE       *file,
             const char *path,
             const char *login,
             bool       *unknown,
             char       *error,
             size_t      error_size)
{
  char line[MAP_LINE_MAX];
  unsigned number = 0;
  char *found = NULL;

  while (fgets (line, sizeof line, file) != NULL)
    {
      char *name, *user;

      number++;
      if (strchr (line, '\n') == NULL && !feof (file))
        {
          set_error (error, error_size, "%s line %u is too long", path, number);
          free (found);
          return NULL;
        }
      if (!split_map_line (line, &name, &user))
        {
          set_error (error, error_size, "%s line %u: expected \"LOGIN ENTSEC-USER\" "
                     "(a comment starts with #)", path, number);
          free (found);
          return NULL;
        }
      if (name != NULL && found == NULL && strcmp (name, login) == 0)
        found = strdup (user);
    }
  *unknown = found != NULL ? false : !ferror (file);
  if (found == NULL && ferror (file))
    set_error (error, error_size, "cannot read the user map %s", path);
  return found;
}

char *
entsec_pam_map_user (const char *map_path,
                     const char *login,
                     bool       *unknown,
                     char       *error,
                     size_t      error_size)
{
  FILE *file;
  char *user;
  int fd;

  *unknown = false;
  if (map_path == NULL)
    return strdup (login);
  fd = open (map_path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    {
      set_error (error, error_size, "cannot open the user map %s: %s", map_path,
                 strerror (errno));
      return NULL;
    }
  /* Whoever can write the map can have root approved on their own phone. */
  if (!check_owner (fd, "the user map", map_path, false, error, error_size)
      || (file = fdopen (fd, "r")) == NULL)
    {
      close (fd);
      return NULL;
    }
  user = find_in_map (file, map_path, login, unknown, error, error_size);
  fclose (file);
  return user;
}
