/* SPDX-License-Identifier: GPL-3.0-or-later */
/* admin-invite.c: users invite: the entsec://enroll activation link and its QR code */

#include "config.h"

#include <string.h>

#include <png.h>
#include <qrencode.h>

#include "admin-private.h"

#define QR_SCALE 8
#define QR_QUIET_ZONE 4

static void
append_param (GString    *link,
              const char *name,
              const char *value)
{
  g_autofree char *escaped = g_uri_escape_string (value, NULL, FALSE);

  g_string_append_printf (link, "%s%s=%s", link->str[link->len - 1] == '?' ? "" : "&", name,
                          escaped);
}

char *
admin_invite_link (const char *server_url,
                   const char *tenant,
                   const char *jkt,
                   const char *pin,
                   const char *address)
{
  GString *link = g_string_new ("entsec://enroll?");

  append_param (link, "server", server_url);
  append_param (link, "tenant", tenant);
  append_param (link, "jkt", jkt);
  append_param (link, "pin", pin);
  append_param (link, "address", address);
  return g_string_free (link, FALSE);
}

gboolean
admin_write_qr_png (const char *text,
                    const char *path,
                    GError    **error)
{
  QRcode *qr = QRcode_encodeString (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  png_image image = { .version = PNG_IMAGE_VERSION, .format = PNG_FORMAT_GRAY };
  g_autofree guint8 *pixels = NULL;
  guint side;
  int ok;

  if (qr == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "The link is too long for a QR code");
      return FALSE;
    }
  side = (qr->width + 2 * QR_QUIET_ZONE) * QR_SCALE;
  pixels = g_malloc (side * side);
  memset (pixels, 0xff, side * side);
  for (guint y = 0; y < side; y++)
    for (guint x = 0; x < side; x++)
      {
        int mx = (int) (x / QR_SCALE) - QR_QUIET_ZONE;
        int my = (int) (y / QR_SCALE) - QR_QUIET_ZONE;

        if (mx >= 0 && my >= 0 && mx < qr->width && my < qr->width
            && (qr->data[my * qr->width + mx] & 1))
          pixels[y * side + x] = 0;
      }
  QRcode_free (qr);
  image.width = side;
  image.height = side;
  ok = png_image_write_to_file (&image, path, 0, pixels, (png_int_32) side, NULL);
  if (!ok)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot write the QR code to %s: %s",
                   path, image.message);
      png_image_free (&image);
      return FALSE;
    }
  return TRUE;
}

static const char *
user_address (json_t *user)
{
  const char *email = json_string_value (json_object_get (user, "email"));

  return email != NULL ? email : json_string_value (json_object_get (user, "phone"));
}

/* The link from the user and the discovery document; prints and writes it. */
static int
emit_invitation (const AdminOptions *options,
                 const char         *user_id,
                 json_t             *user,
                 AdminReply         *discovery)
{
  const char *tenant = json_string_value (json_object_get (discovery->body, "tenant"));
  const char *jkt = json_string_value (json_object_get (discovery->body, "authority_jkt"));
  const char *address = user_address (user);
  g_autofree char *path = options->qr != NULL ? g_strdup (options->qr)
                                              : g_strdup_printf ("invite-%s.png", user_id);
  g_autofree char *link = NULL;
  g_autoptr (GError) error = NULL;

  if (json_is_true (json_object_get (user, "disabled")))
    {
      g_autofree char *safe_id = admin_printable (user_id);

      admin_print_error ("the user is disabled and could not enroll: 'entsec-admin users "
                         "enable %s' first", safe_id);
      return ADMIN_EXIT_REJECTED;
    }
  if (tenant == NULL || jkt == NULL || address == NULL || discovery->peer_pin == NULL)
    {
      admin_print_error ("the server's discovery document or certificate lacks what an "
                         "invitation needs (tenant, authority_jkt, its key)");
      return ADMIN_EXIT_FAILURE;
    }
  link = admin_invite_link (options->server, tenant, jkt, discovery->peer_pin, address);
  if (!admin_write_qr_png (link, path, &error))
    {
      admin_print_error ("%s", error->message);
      return ADMIN_EXIT_FAILURE;
    }
  if (options->json)
    {
      g_autoptr (json_t) out = json_pack ("{s:s,s:s}", "link", link, "qr_png", path);
      g_autofree char *text = json_dumps (out, JSON_INDENT (2));

      printf ("%s\n", text);
    }
  else
    {
      g_autofree char *safe = admin_printable (link);
      g_autofree char *safe_path = admin_printable (path);

      printf ("%s\nQR code written to %s\n", safe, safe_path);
    }
  return ADMIN_EXIT_OK;
}

int
admin_invite (const AdminOptions *options,
              const char         *user_id)
{
  g_autofree char *escaped = g_uri_escape_string (user_id, NULL, FALSE);
  g_autofree char *path = g_strconcat ("/v1/admin/users/", escaped, NULL);
  AdminReply user = { 0 };
  AdminReply discovery = { 0 };
  int exit_code;

  exit_code = admin_call (options, "GET", path, NULL, ADMIN_AUTH_TOKEN, FALSE, &user);
  if (exit_code == ADMIN_EXIT_OK)
    exit_code = admin_call (options, "GET", "/.well-known/entsec-configuration", NULL,
                            ADMIN_AUTH_NONE, TRUE, &discovery);
  if (exit_code == ADMIN_EXIT_OK)
    exit_code = emit_invitation (options, user_id, user.body, &discovery);
  admin_reply_clear (&user);
  admin_reply_clear (&discovery);
  return exit_code;
}
