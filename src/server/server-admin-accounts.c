/* SPDX-License-Identifier: GPL-3.0-or-later */
/* server-admin-accounts.c: the admin API for entsec-admin: disabling users, more admins */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include <openssl/crypto.h>

#include "server-handlers.h"

static void
set_disabled (EntsecServer      *server,
              EntsecRequest     *request,
              const char        *user_id,
              gboolean           disabled,
              EntsecResponse    *response)
{
  EntsecStorage *storage = entsec_server_get_storage (server);
  g_autoptr (GError) error = NULL;
  gboolean found = FALSE;

  if (!entsec_storage_user_set_disabled (storage, user_id, disabled, &found, &error))
    entsec_response_storage_failed (response, error);
  else if (!found)
    entsec_response_problem (response, ENTSEC_PROBLEM_NOT_FOUND, "There is no such user");
  else
    {
      entsec_storage_audit (storage, request->admin->id,
                            disabled ? "user.disable" : "user.enable", user_id, NULL);
      entsec_response_empty (response, 204);
    }
}

void
entsec_handle_admin_user_disable (EntsecServer      *server,
                                  EntsecRequest     *request,
                                  const char *const *params,
                                  EntsecResponse    *response)
{
  set_disabled (server, request, params[0], TRUE, response);
}

void
entsec_handle_admin_user_enable (EntsecServer      *server,
                                 EntsecRequest     *request,
                                 const char *const *params,
                                 EntsecResponse    *response)
{
  set_disabled (server, request, params[0], FALSE, response);
}

static const char *const admin_members[] = { "name", NULL };

/* The answer to a new admin: the token, shown this once. */
static json_t *
new_admin_json (const EntsecAdmin *admin,
                const char        *token)
{
  return json_pack ("{s:i,s:s,s:s,s:s}", "v", 1, "id", admin->id, "name", admin->name,
                    "token", token);
}

void
entsec_handle_admin_admin_create (EntsecServer      *server,
                                  EntsecRequest     *request,
                                  const char *const *params,
                                  EntsecResponse    *response)
{
  EntsecStorage *storage = entsec_server_get_storage (server);
  g_autoptr (json_t) body = entsec_request_json (server, request, response);
  g_autoptr (GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *token = NULL;
  EntsecAdmin admin = { 0 };

  if (body == NULL)
    return;
  if (!entsec_server_check_members (body, admin_members, TRUE, "A new admin", &error)
      || !entsec_server_check_name (json_string_value (json_object_get (body, "name")),
                                    &error))
    {
      entsec_response_problem (response, ENTSEC_PROBLEM_INVALID_REQUEST, error->message);
      return;
    }
  id = entsec_server_random_id ("adm_");
  token = entsec_server_random_secret ();
  admin.id = id;
  admin.name = (char *) json_string_value (json_object_get (body, "name"));
  entsec_server_sha256 (token, strlen (token), admin.token_sha256);
  if (!entsec_storage_admin_create (storage, &admin, &error))
    {
      if (g_error_matches (error, ENTSEC_SERVER_ERROR, ENTSEC_SERVER_ERROR_CONFLICT))
        entsec_response_problem (response, ENTSEC_PROBLEM_CONFLICT,
                                 "Another admin has this name");
      else
        entsec_response_storage_failed (response, error);
    }
  else
    {
      entsec_storage_audit (storage, request->admin->id, "admin.create", id, NULL);
      entsec_response_json (response, 201, new_admin_json (&admin, token));
    }
  OPENSSL_cleanse (token, strlen (token));
}

/* An admin without its token digest. */
static json_t *
admin_to_json (gconstpointer row)
{
  const EntsecAdmin *admin = row;

  return json_pack ("{s:s,s:s}", "id", admin->id, "name", admin->name);
}

void
entsec_handle_admin_admin_list (EntsecServer      *server,
                                EntsecRequest     *request,
                                const char *const *params,
                                EntsecResponse    *response)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) admins = entsec_storage_admin_list (entsec_server_get_storage (server),
                                                            &error);

  entsec_response_rows (response, "admins", admins, admin_to_json, error);
}
