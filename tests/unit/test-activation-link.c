/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test-activation-link.c: entsec://enroll? links (docs/protocol.md 8.9): accepted, refused and why */

#include "config.h"

#include <string.h>

#include <entsec/entsec.h>

#define JKT "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
#define PIN_B64 "r6N0eM6dJ6fv0vQ7LJ2ljXnWqn/0r+e8B3vPoZ0d1xk="
#define PIN_ENC "sha256%2F%2Fr6N0eM6dJ6fv0vQ7LJ2ljXnWqn%2F0r%2Be8B3vPoZ0d1xk%3D"
#define SERVER_ENC "https%3A%2F%2Fauth.example.com%3A8443"
#define LINK_HEAD "entsec://enroll?server=" SERVER_ENC "&tenant=default&jkt=" JKT "&pin=" PIN_ENC
#define GOOD_LINK LINK_HEAD "&address=alice%40example.com"

static void
test_valid_email (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecActivationLink) link = entsec_activation_link_parse ("  " GOOD_LINK "\n",
                                                                        &error);

  g_assert_no_error (error);
  g_assert_cmpstr (link->server, ==, "https://auth.example.com:8443");
  g_assert_cmpstr (link->tenant, ==, "default");
  g_assert_cmpstr (link->jkt, ==, JKT);
  g_assert_cmpstr (link->pin, ==, "sha256//" PIN_B64);
  g_assert_cmpstr (link->address, ==, "alice@example.com");
  g_assert_cmpstr (entsec_activation_link_channel (link), ==, "email");
}

static void
test_valid_phone (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecActivationLink) link =
    entsec_activation_link_parse (LINK_HEAD "&address=%2B4915112345678", &error);

  g_assert_no_error (error);
  g_assert_cmpstr (link->address, ==, "+4915112345678");
  g_assert_cmpstr (entsec_activation_link_channel (link), ==, "sms");
}

typedef struct
{
  const char *link;
  EntsecLinkError code;
  const char *message_part;
} Refused;

static const Refused refused_cases[] = {
  { "https://auth.example.com/enroll?server=x", ENTSEC_LINK_ERROR_SCHEME, "entsec://enroll?" },
  { "entsec://other?server=" SERVER_ENC, ENTSEC_LINK_ERROR_SCHEME, "entsec://enroll?" },
  { "entsec://enrollx?server=" SERVER_ENC, ENTSEC_LINK_ERROR_SCHEME, "entsec://enroll?" },
  { GOOD_LINK "#frag", ENTSEC_LINK_ERROR_SCHEME, "fragment" },
  { "entsec://enroll?server=" SERVER_ENC "&tenant=default&jkt=" JKT "&pin=" PIN_ENC,
    ENTSEC_LINK_ERROR_PARAMETER, "no \"address\"" },
  { "entsec://enroll?tenant=default&server=" SERVER_ENC "&jkt=" JKT "&pin=" PIN_ENC
    "&address=a%40b.c", ENTSEC_LINK_ERROR_PARAMETER, "\"server\" as parameter 1" },
  { "entsec://enroll?server=" SERVER_ENC "&server=" SERVER_ENC "&tenant=default&jkt=" JKT
    "&pin=" PIN_ENC "&address=a%40b.c", ENTSEC_LINK_ERROR_PARAMETER, "\"tenant\" as parameter 2" },
  { GOOD_LINK "&extra=1", ENTSEC_LINK_ERROR_PARAMETER, "after \"address\"" },
  { GOOD_LINK "&address=b%40c.d", ENTSEC_LINK_ERROR_PARAMETER, "after \"address\"" },
  { "entsec://enroll?server=&tenant=default&jkt=" JKT "&pin=" PIN_ENC "&address=a%40b.c",
    ENTSEC_LINK_ERROR_PARAMETER, "\"server\" is empty" },
  { LINK_HEAD "&address=a%4", ENTSEC_LINK_ERROR_ENCODING, "\"address\"" },
  { LINK_HEAD "&address=a%00b", ENTSEC_LINK_ERROR_ENCODING, "\"address\"" },
  { LINK_HEAD "&address=a%FF%40b.c", ENTSEC_LINK_ERROR_ENCODING, "not UTF-8" },
  { "entsec://enroll?server=http%3A%2F%2Fauth.example.com&tenant=default&jkt=" JKT "&pin="
    PIN_ENC "&address=a%40b.c", ENTSEC_LINK_ERROR_VALUE, "https://HOST" },
  { "entsec://enroll?server=https%3A%2F%2Fauth.example.com%2F&tenant=default&jkt=" JKT
    "&pin=" PIN_ENC "&address=a%40b.c", ENTSEC_LINK_ERROR_VALUE, "trailing slash" },
  { "entsec://enroll?server=" SERVER_ENC "&tenant=a%20b&jkt=" JKT "&pin=" PIN_ENC
    "&address=a%40b.c", ENTSEC_LINK_ERROR_VALUE, "\"tenant\"" },
  { "entsec://enroll?server=" SERVER_ENC "&tenant=default&jkt=abc&pin=" PIN_ENC
    "&address=a%40b.c", ENTSEC_LINK_ERROR_VALUE, "\"jkt\"" },
  { "entsec://enroll?server=" SERVER_ENC "&tenant=default&jkt=" JKT
    "&pin=sha1%2F%2F" PIN_B64 "&address=a%40b.c", ENTSEC_LINK_ERROR_VALUE, "\"pin\"" },
  /* '+' is not percent-encoded: it stays '+' (RFC 3986), so this is still valid base64... */
  { "entsec://enroll?server=" SERVER_ENC "&tenant=default&jkt=" JKT
    "&pin=sha256%2F%2Fshort%3D&address=a%40b.c", ENTSEC_LINK_ERROR_VALUE, "44 base64" },
  { "entsec://enroll?server=" SERVER_ENC "&tenant=default&jkt=" JKT "&pin=" PIN_ENC "%3B"
    PIN_ENC "&address=a%40b.c", ENTSEC_LINK_ERROR_VALUE, "\"pin\"" },
  { LINK_HEAD "&address=4915112345678", ENTSEC_LINK_ERROR_VALUE, "E.164" },
  { LINK_HEAD "&address=%2B49151x2345678", ENTSEC_LINK_ERROR_VALUE, "E.164" },
  { LINK_HEAD "&address=%40example.com", ENTSEC_LINK_ERROR_VALUE, "email address" },
  { LINK_HEAD "&address=a%40b%40c", ENTSEC_LINK_ERROR_VALUE, "email address" },
};

static void
test_refused (gconstpointer data)
{
  const Refused *c = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecActivationLink) link = entsec_activation_link_parse (c->link, &error);

  g_assert_null (link);
  g_assert_error (error, ENTSEC_LINK_ERROR, (gint) c->code);
  if (strstr (error->message, c->message_part) == NULL)
    g_error ("\"%s\" does not say \"%s\"", error->message, c->message_part);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/activation-link/valid/email", test_valid_email);
  g_test_add_func ("/activation-link/valid/phone", test_valid_phone);
  for (gsize i = 0; i < G_N_ELEMENTS (refused_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/activation-link/refused/%" G_GSIZE_FORMAT, i);

      g_test_add_data_func (path, &refused_cases[i], test_refused);
    }
  return g_test_run ();
}
