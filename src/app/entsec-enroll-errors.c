/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-enroll-errors.c: what the enrollment assistant says when a step fails */

#define G_LOG_DOMAIN "entsec-enroll-errors"

#include "config.h"

#include <glib/gi18n.h>
#include <entsec/entsec.h>

#include "entsec-enroll-errors.h"

char *
entsec_enroll_format_wait (gint64 seconds)
{
  gint64 minutes;

  seconds = MAX (seconds, 1);
  if (seconds < 120)
    return g_strdup_printf (g_dngettext (NULL, "%d second", "%d seconds",
                                         (gulong) seconds), (int) seconds);
  minutes = (seconds + 59) / 60;
  return g_strdup_printf (g_dngettext (NULL, "%d minute", "%d minutes",
                                       (gulong) minutes), (int) minutes);
}

static char *
wrong_code_text (int attempts_left)
{
  if (attempts_left == 0)
    return g_strdup (_("This code is not right, and no attempts are left. Choose "
                       "“Send Again” to receive a new code."));
  if (attempts_left < 0)
    return g_strdup (_("This code is not right. Check the message you received and enter "
                       "the code again."));
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "This code is not right. %d attempt left.",
                                       "This code is not right. %d attempts left.",
                                       (gulong) attempts_left), attempts_left);
}

/* The sentence of a network error, or NULL for those that add the reason. */
static const char *
net_sentence (EntsecNetError code)
{
  switch (code)
    {
    case ENTSEC_NET_ERROR_INVALID_URL:
      return _("The server address must start with https:// and name only the server, "
               "such as https://auth.example.com.");
    case ENTSEC_NET_ERROR_RESOLVE:
      return _("The server’s name was not found. Check the address and that this device "
               "is online.");
    case ENTSEC_NET_ERROR_CONNECT:
      return _("Nothing answers at this address. Check the address, and that you are on "
               "your organization’s network.");
    case ENTSEC_NET_ERROR_TIMEOUT:
      return _("The server did not answer in time. Check that this device is online, then "
               "try again.");
    case ENTSEC_NET_ERROR_REDIRECT:
    case ENTSEC_NET_ERROR_TOO_LARGE:
    case ENTSEC_NET_ERROR_BAD_RESPONSE:
      return _("This server does not answer as an Enterprise Security server does. Check "
               "the address, or ask your administrator.");
    case ENTSEC_NET_ERROR_SERVER:
      return _("The server could not do this now. Try again later, or ask your "
               "administrator.");
    case ENTSEC_NET_ERROR_ENROLLMENT_EXPIRED:
      return _("The code has expired. Choose “Send Again” to receive a new one.");
    case ENTSEC_NET_ERROR_REVOKED:
      return _("Your organization blocked this device. Ask your administrator.");
    case ENTSEC_NET_ERROR_SIGNATURE:
    case ENTSEC_NET_ERROR_CLOCK_SKEW:
      return _("This device’s clock is wrong. Set the date and time, then try again.");
    case ENTSEC_NET_ERROR_CLIENT_TOO_OLD:
      return _("This version of Enterprise Security is older than your organization allows. "
               "Update it, then try again.");
    case ENTSEC_NET_ERROR_NOT_ENROLLED:
    case ENTSEC_NET_ERROR_POLICY_INVALID:
    case ENTSEC_NET_ERROR_POLICY_ROLLBACK:
    case ENTSEC_NET_ERROR_FORBIDDEN:
      return _("The server’s answer could not be used. Ask your administrator.");
    case ENTSEC_NET_ERROR_DEVICE_KEY_LOST:
      return _("This device’s key was lost with the login keyring. Connect to your "
               "organization again; your administrator can remove the old registration.");
    default:
      return NULL;
    }
}

/* Certificate and TLS failures: the sentence, then the library's reason. */
static const char *
tls_sentence (EntsecNetError code)
{
  switch (code)
    {
    case ENTSEC_NET_ERROR_UNTRUSTED:
      return _("This device does not trust the server’s certificate. Use the activation "
               "code or link your administrator gave you: it tells this device which "
               "server to trust.");
    case ENTSEC_NET_ERROR_EXPIRED:
      return _("The server’s certificate has expired or is not valid yet. Check this "
               "device’s date and time; if they are right, tell your administrator.");
    case ENTSEC_NET_ERROR_WRONG_HOST:
      return _("The server’s certificate is for another name than this address. Check the "
               "address.");
    case ENTSEC_NET_ERROR_PIN_MISMATCH:
      return _("This is not the server your activation code names. Do not continue; tell "
               "your administrator.");
    case ENTSEC_NET_ERROR_TLS_VERSION:
    case ENTSEC_NET_ERROR_TLS:
      return _("No secure connection to the server could be made.");
    default:
      return NULL;
    }
}

static char *
net_error_text (const GError *error,
                gint64        retry_after,
                int           attempts_left)
{
  const char *sentence;

  if (error->code == ENTSEC_NET_ERROR_INVALID_CODE)
    return wrong_code_text (attempts_left);
  if (error->code == ENTSEC_NET_ERROR_RATE_LIMITED)
    {
      g_autofree char *wait = entsec_enroll_format_wait (retry_after >= 0 ? retry_after : 60);

      /* TRANSLATORS: %s is a wait, such as "42 seconds" */
      return g_strdup_printf (_("Too many attempts. Try again in %s."), wait);
    }
  sentence = tls_sentence (error->code);
  if (sentence != NULL)
    return g_strdup_printf ("%s\n%s", sentence, error->message);
  sentence = net_sentence (error->code);
  return g_strdup (sentence != NULL ? sentence : error->message);
}

char *
entsec_enroll_error_text (const GError *error,
                          gint64        retry_after,
                          int           attempts_left)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return NULL;
  if (error->domain == ENTSEC_NET_ERROR)
    return net_error_text (error, retry_after, attempts_left);
  if (error->domain == ENTSEC_LINK_ERROR)
    /* TRANSLATORS: %s says what is wrong with the link (in English) */
    return g_strdup_printf (_("This is not a valid activation code: %s"), error->message);
  if (error->domain == ENTSEC_QR_ERROR)
    /* TRANSLATORS: %s is why the picture could not be read */
    return g_strdup_printf (_("No activation code was found in this picture: %s"),
                            error->message);
  if (error->domain == ENTSEC_VAULT_ERROR)
    /* TRANSLATORS: %s is why the vault could not be written */
    return g_strdup_printf (_("Your codes could not be saved: %s"), error->message);
  return g_strdup (error->message);
}
