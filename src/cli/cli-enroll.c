/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cli-enroll.c: enroll this vault with an enterprise server, show the registration */

#include "config.h"

#include <string.h>

#include <jansson.h>

#include "cli-private.h"

typedef struct
{
  char *server;
  char *ca;
  char *pin;
  char *link;
  char *image;
  char *email;
  char *phone;
  char *code_file;
  char *device_root;
} EnrollOptions;

static void
enroll_options_clear (EnrollOptions *options)
{
  g_free (options->server);
  g_free (options->ca);
  g_free (options->pin);
  g_free (options->link);
  g_free (options->image);
  g_free (options->email);
  g_free (options->phone);
  g_free (options->code_file);
  g_free (options->device_root);
}

/* Exit codes of the enterprise errors (entsec-cli(1)). */
static int
enroll_exit_code (const GError *error)
{
  if (error->domain == ENTSEC_LINK_ERROR)
    return CLI_EXIT_BAD_INPUT;
  if (error->domain != ENTSEC_NET_ERROR)
    return cli_vault_exit_code (error);
  switch (error->code)
    {
    case ENTSEC_NET_ERROR_INVALID_URL:
      return CLI_EXIT_USAGE;
    case ENTSEC_NET_ERROR_INVALID_CODE:
    case ENTSEC_NET_ERROR_ENROLLMENT_EXPIRED:
    case ENTSEC_NET_ERROR_UNTRUSTED:
    case ENTSEC_NET_ERROR_EXPIRED:
    case ENTSEC_NET_ERROR_WRONG_HOST:
    case ENTSEC_NET_ERROR_PIN_MISMATCH:
    case ENTSEC_NET_ERROR_REVOKED:
    case ENTSEC_NET_ERROR_CLIENT_TOO_OLD:
      return CLI_EXIT_AUTH;
    default:
      return CLI_EXIT_FAILURE;
    }
}

static int
enroll_report (const GError *error)
{
  cli_print_error ("%s", error->message);
  return enroll_exit_code (error);
}

/* The enroller and the channel and address, from --link or from the other options. */
static EntsecEnroller *
enroller_of (const EnrollOptions  *options,
             const char          **channel,
             char                **address,
             GError              **error)
{
  g_autoptr (EntsecActivationLink) link = NULL;
  EntsecEnroller *enroller;
  EntsecEnrollerOptions enroller_options = {
    .server = options->server,
    .ca_file = options->ca,
    .pins = options->pin,
  };

  if (options->link == NULL)
    {
      *channel = options->email != NULL ? "email" : "sms";
      *address = g_strdup (options->email != NULL ? options->email : options->phone);
      return entsec_enroller_new (&enroller_options, error);
    }
  link = entsec_activation_link_parse (options->link, error);
  if (link == NULL)
    return NULL;
  enroller = entsec_enroller_new_for_link (link, options->ca, error);
  if (enroller != NULL)
    {
      *channel = entsec_activation_link_channel (link);
      *address = g_strdup (link->address);
    }
  return enroller;
}

/* --image: the activation link of the first activation QR code in the picture. */
static int
link_from_image (EnrollOptions *options)
{
  g_autoptr (EntsecQrResult) result = NULL;
  g_autoptr (GError) error = NULL;

  result = entsec_qr_decode_file_sync (options->image, NULL, &error);
  if (result == NULL)
    {
      cli_print_error (_("cannot read %s: %s"), options->image, error->message);
      return CLI_EXIT_BAD_INPUT;
    }
  for (guint i = 0; i < result->codes->len; i++)
    {
      const EntsecQrCode *code = g_ptr_array_index (result->codes, i);

      if (code->kind == ENTSEC_QR_KIND_ENROLLMENT && code->text != NULL)
        {
          options->link = g_strdup (code->text);
          return CLI_EXIT_OK;
        }
    }
  cli_print_error (_("%s holds no activation code (an entsec://enroll link): use the picture "
                     "your administrator gave you"), options->image);
  return CLI_EXIT_BAD_INPUT;
}

static gboolean
check_enroll_options (const EnrollOptions *options)
{
  gboolean from_link = options->link != NULL || options->image != NULL;

  if (options->image != NULL && options->link != NULL)
    cli_print_error (_("give either --image FILE or --link LINK, not both"));
  else if (from_link && (options->server != NULL || options->pin != NULL
                         || options->email != NULL || options->phone != NULL))
    cli_print_error (_("--link and --image give the server, pin and address: use them without "
                       "--server, --pin, --email and --phone"));
  else if (!from_link && options->server == NULL)
    cli_print_error (_("give --server URL (or --link LINK or --image FILE from your "
                       "administrator)"));
  else if (!from_link && (options->email == NULL) == (options->phone == NULL))
    cli_print_error (_("give one of --email ADDRESS and --phone NUMBER"));
  else
    return TRUE;
  return FALSE;
}

static int
run_enroll (EntsecVault         *vault,
            const EnrollOptions *options)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (EntsecEnroller) enroller = NULL;
  g_autoptr (EntsecEnterpriseDevice) device = NULL;
  g_autofree char *address = NULL;
  const char *channel = NULL;
  char *code;
  gboolean ok;

  device = entsec_enterprise_device_load_sync (vault, NULL, &error);
  if (device != NULL && !device->key_lost)
    {
      cli_print_error (_("this vault is enrolled already (device %s at %s)"), device->device_id,
                       device->server);
      return CLI_EXIT_BAD_INPUT;
    }
  if (device != NULL)
    fprintf (stderr, _("This device's key was lost with the login keyring: enrolling again. "
                       "The old enterprise accounts and settings are removed here once the new "
                       "registration is in hand; the old device (%s) stays on the server until "
                       "your administrator revokes it.\n"), device->device_id);
  g_clear_pointer (&device, entsec_enterprise_device_free);
  enroller = error == NULL ? enroller_of (options, &channel, &address, &error) : NULL;
  if (enroller == NULL)
    return enroll_report (error);
  entsec_enroller_set_device_root (enroller, options->device_root);
  if (!entsec_enroller_start_sync (enroller, channel, address, NULL, &error))
    return enroll_report (error);
  fprintf (stderr, _("If the server knows this address, a code is on its way to %s.\n"),
           entsec_enroller_get_masked_address (enroller));
  code = cli_read_secret_option ("--code-file", options->code_file != NULL ? options->code_file
                                 : "-", _("Code: "), &error);
  if (code == NULL)
    return enroll_report (error);
  g_strstrip (code);
  ok = entsec_enroller_complete_sync (enroller, vault, code, NULL, &error);
  entsec_secure_strfree (code);
  if (!ok)
    return enroll_report (error);
  device = entsec_enterprise_device_load_sync (vault, NULL, &error);
  if (device == NULL)
    return error != NULL ? enroll_report (error) : CLI_EXIT_FAILURE;
  printf (_("Enrolled: device %s at %s\n"), device->device_id, device->server);
  return CLI_EXIT_OK;
}

int
cli_cmd_enroll (int    argc,
                char **argv)
{
  EnrollOptions options = { NULL };
  GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_STRING, &options.server,
      N_("The enterprise server, https://HOST[:PORT]"), N_("URL") },
    { "ca", 0, 0, G_OPTION_ARG_FILENAME, &options.ca,
      N_("Trust the CA certificates in FILE (PEM) for the server"), N_("FILE") },
    { "pin", 0, 0, G_OPTION_ARG_STRING, &options.pin,
      N_("Also require the server key to match one of these pins (sha256//...;...)"),
      N_("PINS") },
    { "email", 0, 0, G_OPTION_ARG_STRING, &options.email,
      N_("Receive the code by email at ADDRESS"), N_("ADDRESS") },
    { "phone", 0, 0, G_OPTION_ARG_STRING, &options.phone,
      N_("Receive the code by SMS at NUMBER (E.164, +...)"), N_("NUMBER") },
    { "link", 0, 0, G_OPTION_ARG_STRING, &options.link,
      N_("Enroll with an activation link (entsec://enroll?...)"), N_("LINK") },
    { "image", 0, 0, G_OPTION_ARG_FILENAME, &options.image,
      N_("Enroll with the activation QR code in a picture"), N_("FILE") },
    { "code-file", 0, 0, G_OPTION_ARG_FILENAME, &options.code_file,
      N_("Read the code from FILE ('-' or absent: prompt)"), N_("FILE") },
    /* Hidden, for tests: read the device claims under DIR (sys/, proc/, etc/). */
    { "device-root", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &options.device_root, NULL,
      NULL },
    { NULL }
  };
  g_autoptr (EntsecVault) vault = NULL;
  int status;

  vault = cli_vault_parse_and_open ("enroll", "",
                                    N_("Enroll this vault with an enterprise server: a code is "
                                       "sent to your address, then the device is registered."),
                                    entries, &argc, &argv, &status);
  if (vault != NULL)
    {
      if (!check_enroll_options (&options))
        status = CLI_EXIT_USAGE;
      else if (options.image == NULL || (status = link_from_image (&options)) == CLI_EXIT_OK)
        status = run_enroll (vault, &options);
    }
  enroll_options_clear (&options);
  return status;
}

/* entsec-cli device rekey: a new device key, the old one refused from then on. */
static int
device_rekey (EntsecVault *vault,
              gboolean     json)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *epoch_text = NULL;
  gint64 epoch = entsec_enterprise_device_rekey_sync (vault, 0, NULL, &error);

  if (epoch == 0)
    return cli_enterprise_report (error);
  if (json)
    {
      cli_vault_print_json (json_pack ("{s:I}", "key_epoch", (json_int_t) epoch));
      return CLI_EXIT_OK;
    }
  epoch_text = g_strdup_printf ("%" G_GINT64_FORMAT, epoch);
  printf (_("The device key was replaced (key epoch %s); the old key no longer works\n"),
          epoch_text);
  return CLI_EXIT_OK;
}

int
cli_cmd_device (int    argc,
                char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the registration as JSON"), NULL },
    { NULL }
  };
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (EntsecEnterpriseDevice) device = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *version = NULL;
  g_autofree char *epoch = NULL;
  int status;

  vault = cli_vault_parse_and_open ("device", "[rekey]",
                                    N_("Show this vault's enterprise registration; 'rekey' "
                                       "replaces the device key\n(the server confirms it "
                                       "before the old key is dropped)."),
                                    entries, &argc, &argv, &status);
  if (vault == NULL)
    return status;
  if (argc == 2 && strcmp (argv[1], "rekey") == 0)
    return device_rekey (vault, json);
  if (argc > 1)
    {
      cli_print_error (_("device: unknown action '%s' (see 'entsec-cli device --help')"),
                       argv[1]);
      return CLI_EXIT_USAGE;
    }
  device = entsec_enterprise_device_load_sync (vault, NULL, &error);
  if (device == NULL && error != NULL)
    return enroll_report (error);
  if (device == NULL)
    {
      cli_print_error (_("this vault is not enrolled; enroll it with 'entsec-cli enroll'"));
      return CLI_EXIT_BAD_INPUT;
    }
  if (json)
    {
      cli_vault_print_json (json_pack ("{s:s, s:s, s:s?, s:s, s:s, s:I, s:s?, s:I, s:b}",
                                       "device_id", device->device_id,
                                       "server", device->server,
                                       "user", device->user_name,
                                       "authority_jkt", device->authority_jkt,
                                       "authority_trust", device->authority_trust,
                                       "policy_version", (json_int_t) device->policy_version,
                                       "state", device->device_state,
                                       "key_epoch", (json_int_t) device->key_epoch,
                                       "key_lost", device->key_lost));
      return CLI_EXIT_OK;
    }
  printf (_("Device:          %s\n"), device->device_id);
  printf (_("Server:          %s\n"), device->server);
  if (device->user_name != NULL)
    printf (_("User:            %s\n"), device->user_name);
  printf (_("State:           %s\n"), device->device_state != NULL ? device->device_state : "?");
  version = g_strdup_printf ("%" G_GINT64_FORMAT, device->policy_version);
  printf (_("Policy version:  %s\n"), version);
  epoch = g_strdup_printf ("%" G_GINT64_FORMAT, device->key_epoch);
  printf (_("Key epoch:       %s\n"), epoch);
  printf (_("Authority key:   %s (%s)\n"), device->authority_jkt,
          g_strcmp0 (device->authority_trust, "pinned") == 0
          ? _("pinned") : _("trusted on first use"));
  if (device->key_lost)
    printf (_("Device key:      lost with the login keyring: enroll this device again\n"));
  return CLI_EXIT_OK;
}
