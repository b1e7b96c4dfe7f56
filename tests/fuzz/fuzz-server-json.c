/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-server-json.c: the request bodies entsec-server reads from anyone,
 * through the checks it runs before any storage or key is touched: the
 * strict JSON loader, enroll start, device registration and heartbeat
 * claims, admin policies, tokens, and push (with its context). Each check either passes
 * or fails with ENTSEC_SERVER_ERROR_INVALID and a message; an address it
 * accepts is stored normalised, so normalising it again changes nothing.
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "server-devices.h"
#include "server-enroll.h"
#include "server-policy.h"
#include "server-private.h"
#include "server-push.h"

#define BODY_MAX_BYTES (64 * 1024) /* the server's default max_body */

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* A failed check has set an INVALID error with a message; a passed one none. */
static void
check_outcome (gboolean  ok,
               GError  **error)
{
  if (ok != (*error == NULL))
    __builtin_trap ();
  if (!ok
      && ((*error)->domain != ENTSEC_SERVER_ERROR || (*error)->code != ENTSEC_SERVER_ERROR_INVALID
          || (*error)->message[0] == '\0'))
    __builtin_trap ();
  g_clear_error (error);
}

static void
check_enroll_start (json_t *body)
{
  GError *error = NULL;
  g_autofree char *address = entsec_enroll_check_start (body, &error);
  const char *channel = json_string_value (json_object_get (body, "channel"));
  g_autofree char *again = NULL;

  check_outcome (address != NULL, &error);
  if (address == NULL)
    return;
  again = strcmp (channel, "email") == 0 ? entsec_server_normalize_email (address, NULL)
                                         : entsec_server_normalize_phone (address, NULL);
  if (g_strcmp0 (again, address) != 0)
    __builtin_trap ();
}

static void
check_devices (json_t *body)
{
  GError *error = NULL;

  check_outcome (entsec_device_check_registration (body, &error), &error);
  check_outcome (entsec_device_check_claims (json_object_get (body, "device"),
                                             json_object_get (body, "client"), &error),
                 &error);
}

static void
check_policy (json_t *body)
{
  GError *error = NULL;
  json_t *settings = json_object_get (body, "settings");

  check_outcome (entsec_policy_check_settings (settings != NULL ? settings : body, &error),
                 &error);
}

static void
check_push (json_t *body)
{
  GError *error = NULL;
  g_autofree char *context = NULL;

  check_outcome (entsec_server_check_push_body (body, &error), &error);
  context = entsec_push_check_context (json_object_get (body, "context"), &error);
  check_outcome (context != NULL, &error);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  GError *error = NULL;
  g_autoptr (json_t) body = entsec_json_load_object ((const char *) data, size, BODY_MAX_BYTES,
                                                     ENTSEC_JSON_MAX_DEPTH, "The body", &error);

  if (body == NULL)
    {
      if (error == NULL || error->message[0] == '\0')
        __builtin_trap ();
      g_clear_error (&error);
      return 0;
    }
  check_enroll_start (body);
  check_devices (body);
  check_policy (body);
  check_outcome (entsec_server_check_token_body (body, &error), &error);
  check_push (body);
  return 0;
}
