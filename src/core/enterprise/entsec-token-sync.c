/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-token-sync.c: tokens the server provisioned for this device
 * (docs/protocol.md 5 and 8.15), received sealed to a key made for one
 * request, stored as managed accounts and acknowledged with their code.
 */

#include "config.h"

#define G_LOG_DOMAIN "entsec-tokens"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "entsec-base64url.h"
#include "entsec-core-private.h"
#include "entsec-ec.h"
#include "entsec-enterprise-private.h"
#include "entsec-enterprise-sync.h"
#include "entsec-json.h"
#include "entsec-jws.h"
#include "entsec-seal.h"

#define TOKENS_TYP "entsec-tokens+jwt"
#define MAX_TOKENS 100
#define TEXT_MAX_CHARS 256

/* One sync request's ephemeral key and nonce. */
typedef struct
{
  EVP_PKEY *esk;
  char *epk_jkt;
  guint8 nonce[ENTSEC_SEAL_MIN_NONCE];
  char *nonce_text;
} Request;

static void
request_clear (Request *request)
{
  /* OpenSSL clears the private scalar when the key is freed. */
  g_clear_pointer (&request->esk, EVP_PKEY_free);
  g_free (request->epk_jkt);
  g_free (request->nonce_text);
  OPENSSL_cleanse (request->nonce, sizeof request->nonce);
}

static char *
request_body (Request  *request,
              GError  **error)
{
  g_autoptr (json_t) epk = NULL;
  g_autoptr (json_t) body = NULL;

  request->esk = entsec_ec_generate (error);
  epk = request->esk != NULL ? entsec_jwk_export_json (request->esk, error) : NULL;
  request->epk_jkt = epk != NULL ? entsec_jwk_thumbprint (request->esk, error) : NULL;
  if (request->epk_jkt == NULL)
    return NULL;
  if (RAND_bytes (request->nonce, sizeof request->nonce) != 1)
    g_error ("The system's random number generator failed");
  request->nonce_text = entsec_base64url_encode (request->nonce, sizeof request->nonce);
  body = json_pack ("{s:i, s:O, s:s}", "v", 1, "epk", epk, "req_nonce", request->nonce_text);
  return entsec_json_dump (body);
}

static gboolean
tokens_invalid (GError    **error,
                const char *why)
{
  g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_BAD_RESPONSE,
               "The tokens the server sent were refused (%s): ask your administrator", why);
  return FALSE;
}

/* The checked payload of the answer's tokens JWS. */
static json_t *
verify_tokens (EntsecDeviceSession *session,
               const Request       *request,
               json_t              *answer,
               GError             **error)
{
  const char *jws = json_string_value (json_object_get (answer, "tokens"));
  g_autoptr (GBytes) data = NULL;
  g_autoptr (json_t) payload = NULL;
  const char *text;
  gsize len = 0;

  data = jws != NULL ? entsec_jws_verify (jws, strlen (jws),
                                          entsec_device_session_get_authority (session),
                                          TOKENS_TYP, NULL) : NULL;
  text = data != NULL ? g_bytes_get_data (data, &len) : NULL;
  payload = text != NULL ? entsec_json_load_object (text, len, ENTSEC_JSON_MAX_BYTES,
                                                    ENTSEC_JSON_MAX_DEPTH, "The tokens", NULL)
                         : NULL;
  if (payload == NULL)
    {
      tokens_invalid (error, "they are not signed by the pinned authority key");
      return NULL;
    }
  if (g_strcmp0 (json_string_value (json_object_get (payload, "iss")),
                 entsec_device_session_get_issuer (session)) != 0
      || g_strcmp0 (json_string_value (json_object_get (payload, "device_id")),
                    entsec_device_session_get_device_id (session)) != 0
      || g_strcmp0 (json_string_value (json_object_get (payload, "key_jkt")),
                    entsec_device_session_get_key_jkt (session)) != 0
      || g_strcmp0 (json_string_value (json_object_get (payload, "req_nonce")),
                    request->nonce_text) != 0
      || g_strcmp0 (json_string_value (json_object_get (payload, "epk_jkt")),
                    request->epk_jkt) != 0)
    {
      tokens_invalid (error, "they answer another device, key or request");
      return NULL;
    }
  if (!json_is_array (json_object_get (payload, "tokens"))
      || json_array_size (json_object_get (payload, "tokens")) > MAX_TOKENS
      || !json_is_object (json_object_get (payload, "spk")))
    {
      tokens_invalid (error, "the list of tokens or the server key is missing");
      return NULL;
    }
  return g_steal_pointer (&payload);
}

/* The account for one token of the list, without its seed yet. */
static EntsecAccount *
account_of (json_t  *token,
            GError **error)
{
  g_autoptr (EntsecAccount) account = entsec_account_new ();
  const char *type = json_string_value (json_object_get (token, "type"));
  const char *algorithm = json_string_value (json_object_get (token, "algorithm"));
  json_t *digits = json_object_get (token, "digits");
  json_t *period = json_object_get (token, "period");
  json_t *issuer = json_object_get (token, "issuer");
  json_t *label = json_object_get (token, "label");

  if ((g_strcmp0 (type, "totp") != 0 && g_strcmp0 (type, "hotp") != 0)
      || algorithm == NULL || !entsec_otp_algorithm_from_string (algorithm, &account->algorithm)
      || !json_is_integer (digits) || json_integer_value (digits) < 6
      || json_integer_value (digits) > ENTSEC_OTP_MAX_DIGITS
      || (g_strcmp0 (type, "totp") == 0
          && (!json_is_integer (period) || json_integer_value (period) < 1
              || json_integer_value (period) > 300))
      || !json_is_string (json_object_get (token, "id")))
    {
      tokens_invalid (error, "a token has a missing or wrong type, algorithm, digits or period");
      return NULL;
    }
  account->type = g_strcmp0 (type, "totp") == 0 ? ENTSEC_ACCOUNT_TOTP : ENTSEC_ACCOUNT_HOTP;
  account->digits = (guint) json_integer_value (digits);
  if (account->type == ENTSEC_ACCOUNT_TOTP)
    account->period = (guint) json_integer_value (period);
  if (json_is_string (issuer))
    account->issuer = entsec_dup_printable (json_string_value (issuer), -1, TEXT_MAX_CHARS);
  g_free (account->label);
  account->label = entsec_dup_printable (json_is_string (label) ? json_string_value (label)
                                         : json_string_value (json_object_get (token, "id")),
                                         -1, TEXT_MAX_CHARS);
  account->managed_id = g_strdup (json_string_value (json_object_get (token, "id")));
  return g_steal_pointer (&account);
}

/* Opens the token's seed into @account. */
static gboolean
open_seed (EntsecDeviceSession *session,
           const Request       *request,
           EVP_PKEY            *spk,
           json_t              *token,
           EntsecAccount       *account,
           GError             **error)
{
  json_t *rev = json_object_get (token, "rev");
  g_autoptr (EntsecSealedSeed) sealed = NULL;
  g_autoptr (GBytes) seed = NULL;
  EntsecSealContext context = {
    .device_id = entsec_device_session_get_device_id (session),
    .token_id = account->managed_id,
    .req_nonce = request->nonce,
    .req_nonce_len = sizeof request->nonce,
  };
  gsize len = 0;
  const guint8 *data;

  if (!json_is_integer (rev) || json_integer_value (rev) < 1)
    return tokens_invalid (error, "a token has no valid revision");
  context.rev = (guint64) json_integer_value (rev);
  sealed = entsec_sealed_seed_from_json (json_object_get (token, "seed"), NULL);
  seed = sealed != NULL ? entsec_seal_open (request->esk, spk, &context, sealed, NULL) : NULL;
  if (seed == NULL)
    return tokens_invalid (error, "a seed does not open with this request's key");
  data = g_bytes_get_data (seed, &len);
  entsec_account_set_secret (account, data, len);
  return TRUE;
}

/* Proves the device holds the seed: POST .../tokens/{tid}/ack with the current code. */
static gboolean
ack_token (EntsecDeviceSession *session,
           const EntsecAccount *account,
           const char          *code,
           GError             **error)
{
  g_autoptr (json_t) body = json_pack ("{s:i, s:s}", "v", 1, "otp", code);
  g_autofree char *text = entsec_json_dump (body);
  g_autofree char *path = g_strconcat ("/tokens/", account->managed_id, "/ack", NULL);
  g_autoptr (json_t) answer = NULL;

  answer = entsec_device_session_call_json (session, "POST", path, text, "token answer", error);
  OPENSSL_cleanse (text, strlen (text));
  return answer != NULL;
}

/*
 * Adds the one account of @batch. A seed comes only once, so a name the
 * user's own accounts already have does not make it lost: the managed one
 * is then called "<label> (managed)".
 */
static gboolean
add_account (EntsecVault  *vault,
             GPtrArray    *batch,
             GCancellable *cancellable,
             GError      **error)
{
  EntsecAccount *account = g_ptr_array_index (batch, 0);
  g_autoptr (GError) local = NULL;
  char *renamed;

  if (entsec_vault_add_accounts_sync (vault, batch, ENTSEC_VAULT_ADD_NONE, NULL, NULL,
                                      cancellable, &local))
    return TRUE;
  if (!g_error_matches (local, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_DUPLICATE))
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  renamed = g_strconcat (account->label, " (managed)", NULL);
  g_free (account->label);
  account->label = renamed;
  return entsec_vault_add_accounts_sync (vault, batch, ENTSEC_VAULT_ADD_NONE, NULL, NULL,
                                         cancellable, error);
}

/* Stores @account (HOTP: past the counter its ack uses), then acknowledges it. */
static gboolean
store_and_ack (EntsecDeviceSession *session,
               EntsecAccount       *account,
               GCancellable        *cancellable,
               GError             **error)
{
  g_autoptr (GPtrArray) batch = g_ptr_array_new ();
  char code[ENTSEC_OTP_CODE_SIZE];
  gboolean ok;

  if (!entsec_account_generate (account, entsec_device_session_now (session), code, error))
    return FALSE;
  if (account->type == ENTSEC_ACCOUNT_HOTP)
    account->counter++;
  g_ptr_array_add (batch, account);
  ok = add_account (entsec_device_session_get_vault (session), batch, cancellable, error)
       && ack_token (session, account, code, error);
  OPENSSL_cleanse (code, sizeof code);
  return ok;
}

static gboolean
take_tokens (EntsecDeviceSession *session,
             const Request       *request,
             json_t              *payload,
             GPtrArray           *added,
             GCancellable        *cancellable,
             GError             **error)
{
  g_autoptr (EVP_PKEY) spk = entsec_jwk_import_json (json_object_get (payload, "spk"), FALSE,
                                                     NULL);
  json_t *token;
  gsize i;

  if (spk == NULL)
    return tokens_invalid (error, "the server's key is not a P-256 public key");
  json_array_foreach (json_object_get (payload, "tokens"), i, token)
    {
      g_autoptr (EntsecAccount) account = account_of (token, error);

      if (account == NULL || !open_seed (session, request, spk, token, account, error)
          || !store_and_ack (session, account, cancellable, error))
        return FALSE;
      g_ptr_array_add (added, entsec_account_dup_display_name (account));
    }
  return TRUE;
}

gboolean
entsec_tokens_sync (EntsecDeviceSession *session,
                    GPtrArray           *added,
                    GCancellable        *cancellable,
                    GError             **error)
{
  Request request = { NULL };
  g_autofree char *body = request_body (&request, error);
  g_autoptr (json_t) answer = NULL;
  g_autoptr (json_t) payload = NULL;
  gboolean ok = FALSE;

  if (body != NULL && !g_cancellable_set_error_if_cancelled (cancellable, error))
    answer = entsec_device_session_call_json (session, "POST", "/tokens/sync", body,
                                              "token list", error);
  if (answer != NULL)
    payload = verify_tokens (session, &request, answer, error);
  if (payload != NULL)
    ok = take_tokens (session, &request, payload, added, cancellable, error);
  request_clear (&request);
  return ok;
}
