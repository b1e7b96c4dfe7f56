/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pam-entsec-config.h: pam_entsec's options, its API key file and its user map */

#pragma once

#include <stdbool.h>
#include <stddef.h>

#define ENTSEC_PAM_TIMEOUT_DEFAULT 60
#define ENTSEC_PAM_TIMEOUT_MIN 5
#define ENTSEC_PAM_TIMEOUT_MAX 600
#define ENTSEC_PAM_API_KEY_MAX 256
#define ENTSEC_PAM_ERROR_MAX 256

typedef enum
{
  ENTSEC_PAM_MODE_PUSH,
  ENTSEC_PAM_MODE_TOTP,
} EntsecPamMode;

typedef enum
{
  ENTSEC_PAM_PROMPT_NONE,  /* the number as an info message only */
  ENTSEC_PAM_PROMPT_ENTER, /* the number with a prompt (sshd shows info only with a prompt) */
} EntsecPamPrompt;

/* The options of one PAM line; the strings point into argv. */
typedef struct
{
  const char     *server;   /* https://host[:port], no trailing path */
  const char     *ca_file;  /* nullable: the system's CAs */
  const char     *pin;      /* nullable: "sha256//BASE64" */
  const char     *key_file;
  const char     *user_map; /* nullable: the login name is the entsec user */
  unsigned        timeout;  /* seconds, the whole wait for an answer */
  EntsecPamMode   mode;
  EntsecPamPrompt prompt;
  bool            offline_allow;
} EntsecPamOptions;

/*
 * Parses the module arguments strictly: an unknown or repeated option, a
 * missing value or a missing server= or key_file= is an error. On failure
 * returns false with a message in @error (never a secret: option values
 * are not copied, only names).
 */
bool entsec_pam_options_parse (int               argc,
                               const char      **argv,
                               EntsecPamOptions *options,
                               char             *error,
                               size_t            error_size);

/*
 * Reads the API key from @path into @key (at most ENTSEC_PAM_API_KEY_MAX
 * bytes, NUL-terminated, one trailing newline dropped). The file must be a
 * regular file owned by the effective uid with no group or other
 * permissions. Wipe @key with OPENSSL_cleanse() after use.
 */
bool entsec_pam_read_api_key (const char *path,
                              char        key[ENTSEC_PAM_API_KEY_MAX + 1],
                              char       *error,
                              size_t      error_size);

/*
 * The entsec user of login @login: from @map_path ("login entsec-user"
 * lines, '#' comments, blank lines), or @login itself when @map_path is
 * NULL. Returns the user (free with free()) or NULL: *unknown is true when
 * the map has no line for @login, false (with @error) when the map cannot
 * be read or is malformed.
 */
char *entsec_pam_map_user (const char *map_path,
                           const char *login,
                           bool       *unknown,
                           char       *error,
                           size_t      error_size);

/* True when @len (> 0) bytes of @text are base64url characters (API keys,
 * ids the server makes). */
bool entsec_pam_is_base64url (const char *text,
                              size_t      len);
