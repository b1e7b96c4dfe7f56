/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-activation-link.c: entsec://enroll? activation links (docs/protocol.md 8.9) */

#include "config.h"

#include <string.h>

#include "entsec-core-private.h"
#include "entsec-http.h"

#define LINK_PREFIX "entsec://enroll?"
#define LINK_MAX_BYTES 4096
#define JKT_LEN 43
#define VALUE_SHOWN_CHARS 60

G_DEFINE_QUARK (entsec-link-error-quark, entsec_link_error)

static const char * const parameters[] = { "server", "tenant", "jkt", "pin", "address" };

void
entsec_activation_link_free (EntsecActivationLink *link)
{
  if (link == NULL)
    return;
  g_free (link->server);
  g_free (link->tenant);
  g_free (link->jkt);
  g_free (link->pin);
  g_free (link->address);
  g_free (link);
}

const char *
entsec_activation_link_channel (const EntsecActivationLink *link)
{
  g_return_val_if_fail (link != NULL && link->address != NULL, NULL);
  return strchr (link->address, '@') != NULL ? "email" : "sms";
}

/* RFC 3986 percent-decoding ('+' stays '+'); NULL on a bad escape, NUL or non-UTF-8. */
static char *
percent_decode (const char *text,
                gsize       len)
{
  GString *out = g_string_sized_new (len);

  for (gsize i = 0; i < len; i++)
    {
      int hi, lo;

      if (text[i] != '%')
        {
          g_string_append_c (out, text[i]);
          continue;
        }
      hi = i + 2 < len ? g_ascii_xdigit_value (text[i + 1]) : -1;
      lo = i + 2 < len ? g_ascii_xdigit_value (text[i + 2]) : -1;
      if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
        {
          g_string_free (out, TRUE);
          return NULL;
        }
      g_string_append_c (out, (char) (hi * 16 + lo));
      i += 2;
    }
  if (!g_utf8_validate (out->str, out->len, NULL))
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

static gboolean
check_server (const char  *server,
              GError     **error)
{
  g_autoptr (GUri) uri = g_uri_parse (server, G_URI_FLAGS_NONE, NULL);

  if (uri == NULL || g_strcmp0 (g_uri_get_scheme (uri), "https") != 0
      || g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0'
      || g_uri_get_userinfo (uri) != NULL || g_uri_get_path (uri)[0] != '\0'
      || g_uri_get_query (uri) != NULL || g_uri_get_fragment (uri) != NULL)
    {
      g_set_error_literal (error, ENTSEC_LINK_ERROR, ENTSEC_LINK_ERROR_VALUE,
                           "The link's \"server\" must be https://HOST or https://HOST:PORT "
                           "with no path or trailing slash: ask your administrator for a "
                           "new link");
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_tenant (const char  *tenant,
              GError     **error)
{
  gsize len = strlen (tenant);

  for (const char *p = tenant; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      len = 0;
  if (len == 0 || len > 64)
    {
      g_set_error_literal (error, ENTSEC_LINK_ERROR, ENTSEC_LINK_ERROR_VALUE,
                           "The link's \"tenant\" must be 1 to 64 letters, digits, '-', '_' "
                           "or '.'");
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_jkt (const char  *jkt,
           GError     **error)
{
  gboolean ok = strlen (jkt) == JKT_LEN;

  for (const char *p = jkt; ok && *p != '\0'; p++)
    ok = g_ascii_isalnum (*p) || *p == '-' || *p == '_';
  if (!ok)
    g_set_error (error, ENTSEC_LINK_ERROR, ENTSEC_LINK_ERROR_VALUE,
                 "The link's \"jkt\" must be the authority key's thumbprint: %d base64url "
                 "characters", JKT_LEN);
  return ok;
}

static gboolean
check_pin (const char  *pin,
           GError     **error)
{
  if (strchr (pin, ';') != NULL || !entsec_http_pins_valid (pin, NULL))
    {
      g_set_error_literal (error, ENTSEC_LINK_ERROR, ENTSEC_LINK_ERROR_VALUE,
                           "The link's \"pin\" must be sha256// followed by 44 base64 "
                           "characters (the SHA-256 of the server key)");
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_address (const char  *address,
               GError     **error)
{
  gsize len = strlen (address);
  gboolean ok;

  if (strchr (address, '@') != NULL)
    {
      const char *at = strchr (address, '@');

      ok = len <= 254 && at != address && at[1] != '\0' && strchr (at + 1, '@') == NULL;
      for (const char *p = address; ok && *p != '\0'; p++)
        ok = (guchar) *p > ' ' && *p != 0x7f;
    }
  else
    {
      ok = len >= 8 && len <= 16 && address[0] == '+' && address[1] >= '1' && address[1] <= '9';
      for (const char *p = address + 1; ok && *p != '\0'; p++)
        ok = g_ascii_isdigit (*p);
    }
  if (!ok)
    g_set_error_literal (error, ENTSEC_LINK_ERROR, ENTSEC_LINK_ERROR_VALUE,
                         "The link's \"address\" must be an email address or a phone "
                         "number in E.164 form (+ and 7 to 15 digits)");
  return ok;
}

/* Splits "name=value" number @index and checks the name; the decoded value or NULL. */
static char *
take_parameter (const char  *pair,
                gsize        len,
                guint        index,
                GError     **error)
{
  const char *eq = memchr (pair, '=', len);
  const char *name = parameters[index];
  char *value;

  if (eq == NULL || (gsize) (eq - pair) != strlen (name) || strncmp (pair, name, eq - pair) != 0)
    {
      g_autofree char *got = entsec_dup_printable (pair, eq != NULL ? eq - pair : (gssize) len,
                                                   VALUE_SHOWN_CHARS);

      g_set_error (error, ENTSEC_LINK_ERROR, ENTSEC_LINK_ERROR_PARAMETER,
                   "The link must have \"%s\" as parameter %u, not \"%s\" (server, tenant, "
                   "jkt, pin and address, each once, in this order)", name, index + 1, got);
      return NULL;
    }
  value = percent_decode (eq + 1, len - (eq + 1 - pair));
  if (value == NULL)
    g_set_error (error, ENTSEC_LINK_ERROR, ENTSEC_LINK_ERROR_ENCODING,
                 "The link's \"%s\" is badly percent-encoded or not UTF-8", name);
  else if (value[0] == '\0')
    {
      g_set_error (error, ENTSEC_LINK_ERROR, ENTSEC_LINK_ERROR_PARAMETER,
                   "The link's \"%s\" is empty", name);
      g_clear_pointer (&value, g_free);
    }
  return value;
}

static gboolean
split_query (const char   *query,
             char        **values,
             GError      **error)
{
  const char *p = query;

  for (guint i = 0; i < G_N_ELEMENTS (parameters); i++)
    {
      gsize len = strcspn (p, "&");

      if (len == 0 && p[0] == '\0')
        {
          g_set_error (error, ENTSEC_LINK_ERROR, ENTSEC_LINK_ERROR_PARAMETER,
                       "The link has no \"%s\": it must give server, tenant, jkt, pin and "
                       "address", parameters[i]);
          return FALSE;
        }
      values[i] = take_parameter (p, len, i, error);
      if (values[i] == NULL)
        return FALSE;
      p += len;
      if (*p == '&')
        p++;
      else if (i + 1 < G_N_ELEMENTS (parameters))
        p = "";
    }
  if (*p != '\0')
    {
      g_set_error_literal (error, ENTSEC_LINK_ERROR, ENTSEC_LINK_ERROR_PARAMETER,
                           "The link has parameters after \"address\": it must give server, "
                           "tenant, jkt, pin and address, each once");
      return FALSE;
    }
  return TRUE;
}

EntsecActivationLink *
entsec_activation_link_parse (const char  *link,
                              GError     **error)
{
  g_autoptr (EntsecActivationLink) parsed = NULL;
  g_autofree char *text = NULL;
  char *values[G_N_ELEMENTS (parameters)] = { NULL };
  gboolean ok;

  g_return_val_if_fail (link != NULL, NULL);

  text = g_strstrip (g_strdup (link));
  if (strlen (text) > LINK_MAX_BYTES
      || g_ascii_strncasecmp (text, LINK_PREFIX, strlen (LINK_PREFIX)) != 0
      || strncmp (text + strlen ("entsec://"), "enroll?", strlen ("enroll?")) != 0
      || strchr (text, '#') != NULL)
    {
      g_set_error_literal (error, ENTSEC_LINK_ERROR, ENTSEC_LINK_ERROR_SCHEME,
                           "This is not an activation link: it must start with "
                           "entsec://enroll? (and have no #fragment)");
      return NULL;
    }
  ok = split_query (text + strlen (LINK_PREFIX), values, error);
  parsed = g_new0 (EntsecActivationLink, 1);
  parsed->server = values[0];
  parsed->tenant = values[1];
  parsed->jkt = values[2];
  parsed->pin = values[3];
  parsed->address = values[4];
  if (!ok || !check_server (parsed->server, error) || !check_tenant (parsed->tenant, error)
      || !check_jkt (parsed->jkt, error) || !check_pin (parsed->pin, error)
      || !check_address (parsed->address, error))
    return NULL;
  return g_steal_pointer (&parsed);
}
