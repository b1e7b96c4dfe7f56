/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-device-session.c: signed calls of an enrolled device (docs/protocol.md 8.4) */

#include "config.h"

#define G_LOG_DOMAIN "entsec-session"

#include <string.h>

#include <openssl/crypto.h>

#include "entsec-core-private.h"
#include "entsec-device-session.h"
#include "entsec-ec.h"
#include "entsec-enterprise-private.h"
#include "entsec-enterprise-sync.h"
#include "entsec-httpsig.h"
#include "entsec-json.h"
#include "entsec-protocol.h"

struct _EntsecDeviceSession
{
  EntsecVault *vault;
  gint64 now;           /* 0: the real clock */
  char *issuer;
  char *ca_file;
  char *pins;
  char *device_id;
  char *keyid;
  char *key_jkt;
  EVP_PKEY *key;
  gint64 key_epoch;
  EVP_PKEY *next_key;   /* a rekey's new key, until the server's answer is known */
  EVP_PKEY *authority;
  char *authority_jkt;
  gint64 skew;
  gboolean skew_known;
  EntsecSecureBytes *kek;   /* the device KEK: the key is in a locked row; NULL: in the prefs */
  EntsecKekOutcome kek_outcome;
  GCancellable *cancellable;  /* (nullable) of the session's creator: ends its calls too */
};

void
entsec_device_session_free (EntsecDeviceSession *session)
{
  if (session == NULL)
    return;
  g_clear_object (&session->vault);
  g_clear_object (&session->cancellable);
  g_free (session->issuer);
  g_free (session->ca_file);
  g_free (session->pins);
  g_free (session->device_id);
  g_free (session->keyid);
  g_free (session->key_jkt);
  EVP_PKEY_free (session->key);
  EVP_PKEY_free (session->next_key);
  EVP_PKEY_free (session->authority);
  g_free (session->authority_jkt);
  g_clear_pointer (&session->kek, entsec_secure_bytes_free);
  g_free (session);
}

char *
entsec_enterprise_pref_dup_string (EntsecVault  *vault,
                                   const char   *name,
                                   GCancellable *cancellable,
                                   GError      **error)
{
  g_autoptr (GVariant) value = entsec_vault_get_pref_sync (vault, name, cancellable, error);

  if (value == NULL || !g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    return NULL;
  return g_variant_dup_string (value, NULL);
}

gint64
entsec_enterprise_pref_get_int64 (EntsecVault  *vault,
                                  const char   *name,
                                  GCancellable *cancellable,
                                  GError      **error)
{
  g_autoptr (GVariant) value = entsec_vault_get_pref_sync (vault, name, cancellable, error);

  if (value == NULL || !g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
    return 0;
  return g_variant_get_int64 (value);
}

/*
 * A private device key, kept as a JWK in the byte-string preference @name;
 * NULL without @error when @optional and absent.
 */
static EVP_PKEY *
load_device_key (EntsecVault   *vault,
                 const char    *name,
                 gboolean       optional,
                 GCancellable  *cancellable,
                 GError       **error)
{
  g_autoptr (GVariant) value = NULL;
  g_autoptr (GError) local = NULL;
  const char *data;
  gsize len = 0;
  EVP_PKEY *key;

  value = entsec_vault_get_pref_sync (vault, name, cancellable, &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (value == NULL && optional)
    return NULL;
  if (value == NULL || !g_variant_is_of_type (value, G_VARIANT_TYPE_BYTESTRING))
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_NOT_ENROLLED,
                           "This vault's enterprise registration has no device key: "
                           "enroll it again");
      return NULL;
    }
  data = g_variant_get_fixed_array (value, &len, 1);
  key = entsec_jwk_import (data, len, TRUE, &local);
  if (key == NULL)
    g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_NOT_ENROLLED,
                 "This vault's device key cannot be read (%s): enroll it again", local->message);
  return key;
}

static gboolean
load_authority (EntsecDeviceSession *session,
                GCancellable        *cancellable,
                GError             **error)
{
  g_autofree char *jwk = NULL;
  g_autoptr (GError) local = NULL;

  jwk = entsec_enterprise_pref_dup_string (session->vault, ENTSEC_PREF_AUTHORITY_JWK,
                                           cancellable, &local);
  if (jwk != NULL)
    session->authority = entsec_jwk_import (jwk, strlen (jwk), FALSE, &local);
  if (session->authority == NULL)
    {
      if (local != NULL && local->domain != ENTSEC_PROTOCOL_ERROR)
        g_propagate_error (error, g_steal_pointer (&local));
      else
        g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_NOT_ENROLLED,
                             "This vault's enterprise registration has no valid authority key: "
                             "enroll it again");
      return FALSE;
    }
  session->authority_jkt = entsec_jwk_thumbprint (session->authority, error);
  return session->authority_jkt != NULL;
}

/* Sign with @key (taking it) at @epoch from now on. */
static gboolean
use_key (EntsecDeviceSession *session,
         EVP_PKEY            *key,
         gint64               epoch,
         GError             **error)
{
  char *jkt = entsec_jwk_thumbprint (key, error);

  if (jkt == NULL)
    {
      EVP_PKEY_free (key);
      return FALSE;
    }
  EVP_PKEY_free (session->key);
  session->key = key;
  session->key_epoch = epoch;
  g_free (session->key_jkt);
  session->key_jkt = jkt;
  g_free (session->keyid);
  session->keyid = g_strdup_printf ("%s#%" G_GINT64_FORMAT, session->device_id, epoch);
  return TRUE;
}

/*
 * Sign with @key (taken) at @epoch; a pending key equal to it is dropped.
 * @failure (taken, nullable): an error met reading the rest, returned instead.
 */
static gboolean
adopt_keys (EntsecDeviceSession *session,
            EVP_PKEY            *key,
            gint64               epoch,
            GError              *failure,
            GError             **error)
{
  if (failure != NULL)
    {
      EVP_PKEY_free (key);
      g_propagate_error (error, failure);
      return FALSE;
    }
  if (!use_key (session, key, epoch, error))
    return FALSE;
  /* A rekey cut short after the key and epoch were stored: nothing pending. */
  if (session->next_key != NULL && EVP_PKEY_eq (session->next_key, session->key) == 1)
    g_clear_pointer (&session->next_key, EVP_PKEY_free);
  return TRUE;
}

/* The device key, its epoch (1 when none was stored) and a rekey's pending key. */
static gboolean
load_keys (EntsecDeviceSession *session,
           GCancellable        *cancellable,
           GError             **error)
{
  GError *local = NULL;
  EVP_PKEY *key = load_device_key (session->vault, ENTSEC_PREF_DEVICE_KEY, FALSE, cancellable,
                                   error);
  gint64 epoch;

  if (key == NULL)
    return FALSE;
  epoch = entsec_enterprise_pref_get_int64 (session->vault, ENTSEC_PREF_KEY_EPOCH, cancellable,
                                            &local);
  if (local == NULL)
    session->next_key = load_device_key (session->vault, ENTSEC_PREF_DEVICE_KEY_NEXT, TRUE,
                                         cancellable, &local);
  return adopt_keys (session, key, MAX (epoch, 1), local, error);
}

/* ---- The locked row (entsec-device-locked.c) ------------------------------- */

/* A private JWK member of the locked row, or NULL when absent and @optional. */
static EVP_PKEY *
snapshot_key (json_t      *snapshot,
              const char  *member,
              gboolean     optional,
              GError     **error)
{
  const char *jwk = json_string_value (json_object_get (snapshot, member));

  if (jwk == NULL && optional)
    return NULL;
  if (jwk == NULL)
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_NOT_ENROLLED,
                           "This device's sealed enterprise data has no device key: "
                           "enroll it again");
      return NULL;
    }
  return entsec_jwk_import (jwk, strlen (jwk), TRUE, error);
}

/* The locked row ENTSEC_LOCKED_DEVICE as JSON; NULL without @error when absent. */
static json_t *
read_snapshot (EntsecDeviceSession *session,
               GCancellable        *cancellable,
               GError             **error)
{
  EntsecSecureBytes *plain;
  json_t *snapshot;

  plain = entsec_device_locked_read (session->vault, session->kek, ENTSEC_LOCKED_DEVICE,
                                     cancellable, error);
  if (plain == NULL)
    return NULL;
  snapshot = json_loadb ((const char *) plain->data, plain->len, JSON_REJECT_DUPLICATES, NULL);
  entsec_secure_bytes_free (plain);
  if (json_is_object (snapshot) && json_integer_value (json_object_get (snapshot, "v")) == 1)
    return snapshot;
  json_decref (snapshot);
  g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_NOT_ENROLLED,
                       "This device's sealed enterprise data is not valid: enroll it again");
  return NULL;
}

/* The keys of the locked row @snapshot. */
static gboolean
snapshot_load_keys (EntsecDeviceSession *session,
                    json_t              *snapshot,
                    GError             **error)
{
  GError *local = NULL;
  EVP_PKEY *key = snapshot_key (snapshot, "key", FALSE, error);

  if (key == NULL)
    return FALSE;
  session->next_key = snapshot_key (snapshot, "key_next", TRUE, &local);
  return adopt_keys (session, key,
                     MAX (json_integer_value (json_object_get (snapshot, "key_epoch")), 1),
                     local, error);
}

/* What a session needs while the vault is locked, as the locked row's text (wipe it). */
static char *
snapshot_text (EntsecDeviceSession *session,
               GError             **error)
{
  g_autofree char *authority = entsec_jwk_export (session->authority, FALSE, error);
  char *key = authority != NULL ? entsec_jwk_export (session->key, TRUE, error) : NULL;
  char *next = NULL;
  g_autoptr (json_t) snapshot = NULL;
  char *text = NULL;

  if (key != NULL && session->next_key != NULL)
    next = entsec_jwk_export (session->next_key, TRUE, error);
  if (key != NULL && (session->next_key == NULL || next != NULL))
    {
      snapshot = json_pack ("{s:i, s:s, s:s, s:s?, s:s?, s:s, s:I, s:s, s:s?}", "v", 1,
                            "device_id", session->device_id, "server", session->issuer,
                            "ca_file", session->ca_file, "pins", session->pins,
                            "authority", authority, "key_epoch", (json_int_t) session->key_epoch,
                            "key", key, "key_next", next);
      text = entsec_json_dump (snapshot);
    }
  entsec_secure_strfree (key);
  entsec_secure_strfree (next);
  return text;
}

/* Write the locked row from the session, unless it holds that already. */
static gboolean
save_snapshot (EntsecDeviceSession *session,
               GCancellable        *cancellable,
               GError             **error)
{
  char *text = snapshot_text (session, error);
  EntsecSecureBytes *stored = NULL;
  gboolean same;
  gboolean ok;

  if (text == NULL)
    return FALSE;
  stored = entsec_device_locked_read (session->vault, session->kek, ENTSEC_LOCKED_DEVICE,
                                      cancellable, NULL);
  same = stored != NULL && stored->len == strlen (text)
         && CRYPTO_memcmp (stored->data, text, stored->len) == 0;
  g_clear_pointer (&stored, entsec_secure_bytes_free);
  ok = same || entsec_device_locked_write (session->vault, session->kek, ENTSEC_LOCKED_DEVICE,
                                           text, cancellable, error);
  entsec_secure_strfree (text);
  return ok;
}

/* The events worker's state: in the preferences of a vault without a keyring, else locked rows. */
static const char *const state_names[] = { ENTSEC_WORKER_STATE_NAMES, NULL };

/*
 * An unlocked vault whose key is still in its preferences: the locked row
 * and the worker's state's rows first, then the preferences go in one
 * transaction (a run cut short in between does it again).
 */
static gboolean
move_to_locked_rows (EntsecDeviceSession *session,
                     GCancellable        *cancellable,
                     GError             **error)
{
  const char *names[] = { ENTSEC_PREF_DEVICE_KEY, ENTSEC_PREF_DEVICE_KEY_NEXT,
                          ENTSEC_WORKER_STATE_NAMES, NULL };
  GVariant *none[G_N_ELEMENTS (names)] = { NULL };
  EntsecSecureBytes *kek = g_steal_pointer (&session->kek);
  gboolean ok = TRUE;

  /* Read from the preferences (no KEK yet), written to the rows (with it). */
  for (gsize i = 0; ok && state_names[i] != NULL; i++)
    {
      g_autoptr (json_t) value = NULL;

      session->kek = NULL;
      value = entsec_device_session_load_state (session, state_names[i], json_null (),
                                                cancellable, error);
      session->kek = kek;
      ok = value != NULL
           && (json_is_null (value)
               || entsec_device_session_store_state (session, state_names[i], value,
                                                     cancellable, error));
    }
  session->kek = kek;
  if (!ok || !save_snapshot (session, cancellable, error)
      || !entsec_vault_set_prefs_sync (session->vault, names, none, cancellable, error))
    return FALSE;
  g_info ("This device's key is now sealed under its own key in the keyring");
  return TRUE;
}

/* Whether the locked row holds the device key (sealed under a KEK not at hand). */
static gboolean
sealed_elsewhere (EntsecDeviceSession *session,
                  GCancellable        *cancellable)
{
  g_autoptr (GBytes) row = entsec_vault_get_locked_row_sync (session->vault,
                                                             ENTSEC_LOCKED_DEVICE, cancellable,
                                                             NULL);

  return row != NULL;
}

/*
 * The device key is sealed under a KEK the keyring does not give: locked or
 * unreachable (try again later), or gone with a reset login keyring.
 */
static gboolean
sealed_key_unreachable (EntsecKekOutcome outcome,
                        GError         **error)
{
  if (outcome == ENTSEC_KEK_ABSENT)
    g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_DEVICE_KEY_LOST,
                         "This device's key was lost with the login keyring (it was reset or "
                         "replaced, and the key protecting the device key went with it): "
                         "enroll this device again with 'entsec-cli enroll'; the old "
                         "registration stays on the server until your administrator "
                         "revokes it");
  else
    g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_NOT_ENROLLED,
                 "This device's key is sealed under a key in the keyring, which cannot be "
                 "used now (%s): try again once it can",
                 entsec_device_kek_problem (outcome));
  return FALSE;
}

/* An unlocked vault: the preferences, and the key from them or from the locked row. */
static gboolean
load_unlocked (EntsecDeviceSession *session,
               GCancellable        *cancellable,
               GError             **error)
{
  g_autoptr (GVariant) in_prefs = NULL;
  g_autoptr (json_t) snapshot = NULL;
  GError *local = NULL;

  gboolean sealed;

  in_prefs = entsec_vault_get_pref_sync (session->vault, ENTSEC_PREF_DEVICE_KEY, cancellable,
                                         &local);
  sealed = local == NULL && in_prefs == NULL && sealed_elsewhere (session, cancellable);
  /* No new KEK while rows sealed under another one exist: they could never open. */
  if (local == NULL)
    session->kek = entsec_device_kek_get (session->vault, !sealed, &session->kek_outcome);
  if (local == NULL && in_prefs == NULL && session->kek != NULL)
    snapshot = read_snapshot (session, cancellable, &local);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  if (sealed && session->kek == NULL)
    return sealed_key_unreachable (session->kek_outcome, error);
  if (snapshot != NULL ? !snapshot_load_keys (session, snapshot, error)
                       : !load_keys (session, cancellable, error))
    return FALSE;
  if (!load_authority (session, cancellable, error))
    return FALSE;
  if (session->kek == NULL)
    return TRUE;
  return in_prefs != NULL ? move_to_locked_rows (session, cancellable, error)
                          : save_snapshot (session, cancellable, error);
}

/* A locked vault: everything from the locked row, which needs the keyring's KEK. */
static gboolean
load_locked (EntsecDeviceSession *session,
             GCancellable        *cancellable,
             GError             **error)
{
  g_autoptr (json_t) snapshot = NULL;
  const char *authority;

  session->kek = entsec_device_kek_get (session->vault, FALSE, &session->kek_outcome);
  if (session->kek != NULL)
    snapshot = read_snapshot (session, cancellable, error);
  if (snapshot == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_LOCKED,
                             "The vault is locked, and this device's key is not in the keyring "
                             "(none is reachable, or it is locked): unlock the vault");
      return FALSE;
    }
  session->device_id = g_strdup (json_string_value (json_object_get (snapshot, "device_id")));
  session->issuer = g_strdup (json_string_value (json_object_get (snapshot, "server")));
  session->ca_file = g_strdup (json_string_value (json_object_get (snapshot, "ca_file")));
  session->pins = g_strdup (json_string_value (json_object_get (snapshot, "pins")));
  authority = json_string_value (json_object_get (snapshot, "authority"));
  if (session->device_id == NULL || session->issuer == NULL || authority == NULL)
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_NOT_ENROLLED,
                           "This device's sealed enterprise data is not complete: "
                           "enroll it again");
      return FALSE;
    }
  session->authority = entsec_jwk_import (authority, strlen (authority), FALSE, error);
  if (session->authority == NULL)
    return FALSE;
  session->authority_jkt = entsec_jwk_thumbprint (session->authority, error);
  return session->authority_jkt != NULL && snapshot_load_keys (session, snapshot, error);
}

EntsecDeviceSession *
entsec_device_session_new (EntsecVault   *vault,
                           gint64         now,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_autoptr (EntsecDeviceSession) session = g_new0 (EntsecDeviceSession, 1);
  GError *local = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);

  session->vault = g_object_ref (vault);
  session->now = now;
  g_set_object (&session->cancellable, cancellable);
  if (!entsec_enterprise_remote_wipe_check (vault, cancellable, error))
    return NULL;
  if (!entsec_vault_is_unlocked (vault))
    return load_locked (session, cancellable, error) ? g_steal_pointer (&session) : NULL;
  session->device_id = entsec_enterprise_pref_dup_string (vault, ENTSEC_PREF_DEVICE_ID,
                                                          cancellable, &local);
  if (session->device_id == NULL)
    {
      if (local != NULL)
        g_propagate_error (error, local);
      else
        g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_NOT_ENROLLED,
                             "This vault is not enrolled: enroll it with an enterprise server "
                             "first");
      return NULL;
    }
  session->issuer = entsec_enterprise_pref_dup_string (vault, ENTSEC_PREF_SERVER, cancellable,
                                                       &local);
  if (local == NULL)
    session->ca_file = entsec_enterprise_pref_dup_string (vault, ENTSEC_PREF_CA_FILE,
                                                          cancellable, &local);
  if (local == NULL)
    session->pins = entsec_enterprise_pref_dup_string (vault, ENTSEC_PREF_PINS, cancellable,
                                                       &local);
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return NULL;
    }
  if (session->issuer == NULL)
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_NOT_ENROLLED,
                           "This vault's enterprise registration has no server: enroll it again");
      return NULL;
    }
  if (!load_unlocked (session, cancellable, error))
    return NULL;
  return g_steal_pointer (&session);
}

gint64
entsec_device_session_get_key_epoch (EntsecDeviceSession *session)
{
  return session->key_epoch;
}

EVP_PKEY *
entsec_device_session_get_key (EntsecDeviceSession *session)
{
  return session->key;
}

/* The private JWK of @key as a byte-string preference value that wipes its copy. */
static GVariant *
private_key_value (EVP_PKEY *key,
                   GError  **error)
{
  char *jwk = entsec_jwk_export (key, TRUE, error);

  if (jwk == NULL)
    return NULL;
  return g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING, jwk, strlen (jwk), TRUE,
                                  (GDestroyNotify) entsec_secure_strfree, jwk);
}

gboolean
entsec_device_session_store_key (EVP_PKEY     *key,
                                 EntsecVault  *vault,
                                 const char   *name,
                                 GCancellable *cancellable,
                                 GError      **error)
{
  GVariant *value = private_key_value (key, error);

  return value != NULL && entsec_vault_set_pref_sync (vault, name, value, cancellable, error);
}

gboolean
entsec_device_session_begin_rekey (EntsecDeviceSession *session,
                                   EVP_PKEY            *new_key,
                                   GCancellable        *cancellable,
                                   GError             **error)
{
  EVP_PKEY *previous = session->next_key;

  if (session->kek != NULL)
    {
      EVP_PKEY_up_ref (new_key);
      session->next_key = new_key;
      if (!save_snapshot (session, cancellable, error))
        {
          session->next_key = previous;
          EVP_PKEY_free (new_key);
          return FALSE;
        }
      EVP_PKEY_free (previous);
      return TRUE;
    }
  if (!entsec_device_session_store_key (new_key, session->vault, ENTSEC_PREF_DEVICE_KEY_NEXT,
                                        cancellable, error))
    return FALSE;
  EVP_PKEY_up_ref (new_key);
  EVP_PKEY_free (session->next_key);
  session->next_key = new_key;
  return TRUE;
}

/*
 * end_rekey() with the key in the locked row: one row holds the key, the
 * epoch and the pending key, so it changes at once; the epoch preference
 * follows when the vault is unlocked.
 */
static gboolean
end_rekey_locked (EntsecDeviceSession *session,
                  EVP_PKEY            *next,
                  gboolean             taken,
                  GCancellable        *cancellable,
                  GError             **error)
{
  EVP_PKEY *old_key = session->key;
  gint64 old_epoch = session->key_epoch;

  if (!taken)
    {
      EVP_PKEY_free (next);
      return save_snapshot (session, cancellable, error);
    }
  EVP_PKEY_up_ref (old_key);
  if (!use_key (session, next, old_epoch + 1, error))
    {
      EVP_PKEY_free (old_key);
      return FALSE;
    }
  if (!save_snapshot (session, cancellable, error))
    {
      EVP_PKEY_up_ref (session->key);
      session->next_key = session->key;
      use_key (session, old_key, old_epoch, NULL);
      return FALSE;
    }
  EVP_PKEY_free (old_key);
  return !entsec_vault_is_unlocked (session->vault)
         || entsec_vault_set_pref_sync (session->vault, ENTSEC_PREF_KEY_EPOCH,
                                        g_variant_new_int64 (session->key_epoch), cancellable,
                                        error);
}

gboolean
entsec_device_session_end_rekey (EntsecDeviceSession *session,
                                 gboolean             taken,
                                 GCancellable        *cancellable,
                                 GError             **error)
{
  EVP_PKEY *next = g_steal_pointer (&session->next_key);

  g_return_val_if_fail (!taken || next != NULL, FALSE);

  if (session->kek != NULL)
    return end_rekey_locked (session, next, taken, cancellable, error);

  /* The key, then its epoch: until the pending key is gone, a run cut short in
   * between is recovered like a lost answer (the next key tried on a 401). */
  if (taken
      && (!entsec_device_session_store_key (next, session->vault, ENTSEC_PREF_DEVICE_KEY,
                                            cancellable, error)
          || !entsec_vault_set_pref_sync (session->vault, ENTSEC_PREF_KEY_EPOCH,
                                          g_variant_new_int64 (session->key_epoch + 1),
                                          cancellable, error)))
    {
      session->next_key = next;
      return FALSE;
    }
  if (taken && !use_key (session, next, session->key_epoch + 1, error))
    return FALSE;
  if (!taken)
    EVP_PKEY_free (next);
  return entsec_vault_remove_pref_sync (session->vault, ENTSEC_PREF_DEVICE_KEY_NEXT, cancellable,
                                        error);
}

gboolean
entsec_device_session_forget_locked (EntsecDeviceSession *session,
                                     GCancellable        *cancellable,
                                     GError             **error)
{
  if (!entsec_vault_set_locked_row_sync (session->vault, ENTSEC_LOCKED_DEVICE, NULL, cancellable,
                                         error))
    return FALSE;
  for (gsize i = 0; state_names[i] != NULL; i++)
    if (!entsec_vault_set_locked_row_sync (session->vault, state_names[i], NULL, cancellable,
                                           error))
      return FALSE;
  entsec_device_kek_clear (session->vault);
  g_clear_pointer (&session->kek, entsec_secure_bytes_free);
  return TRUE;
}

gboolean
entsec_device_session_get_key_in_keyring (EntsecDeviceSession *session)
{
  return session->kek != NULL;
}

gboolean
entsec_device_key_lost (EntsecVault  *vault,
                        GCancellable *cancellable)
{
  g_autoptr (GVariant) in_prefs = NULL;
  g_autoptr (GBytes) row = NULL;
  g_autoptr (GError) local = NULL;
  EntsecKekOutcome outcome = ENTSEC_KEK_NO_KEYRING;

  in_prefs = entsec_vault_get_pref_sync (vault, ENTSEC_PREF_DEVICE_KEY, cancellable, &local);
  if (in_prefs != NULL || local != NULL)
    return FALSE;
  row = entsec_vault_get_locked_row_sync (vault, ENTSEC_LOCKED_DEVICE, cancellable, NULL);
  if (row == NULL)
    return FALSE;
  entsec_secure_bytes_free (entsec_device_kek_get (vault, FALSE, &outcome));
  return outcome == ENTSEC_KEK_ABSENT;
}

const char *
entsec_device_session_get_key_problem (EntsecDeviceSession *session)
{
  return session->kek != NULL ? NULL : entsec_device_kek_problem (session->kek_outcome);
}

/* The preference @name as JSON: an int64 one as an integer, a string one parsed. */
static json_t *
load_state_pref (EntsecVault  *vault,
                 const char   *name,
                 GCancellable *cancellable,
                 GError      **error)
{
  g_autoptr (GVariant) value = entsec_vault_get_pref_sync (vault, name, cancellable, error);

  if (value != NULL && g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
    return json_integer (g_variant_get_int64 (value));
  if (value != NULL && g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    return json_loads (g_variant_get_string (value, NULL), JSON_DECODE_ANY, NULL);
  return NULL;
}

json_t *
entsec_device_session_load_state (EntsecDeviceSession *session,
                                  const char          *name,
                                  json_t              *empty,
                                  GCancellable        *cancellable,
                                  GError             **error)
{
  g_autoptr (GError) local = NULL;
  json_t *value = NULL;

  if (session->kek != NULL)
    {
      EntsecSecureBytes *plain = entsec_device_locked_read (session->vault, session->kek, name,
                                                            cancellable, &local);

      if (plain != NULL)
        value = json_loadb ((const char *) plain->data, plain->len, JSON_DECODE_ANY, NULL);
      g_clear_pointer (&plain, entsec_secure_bytes_free);
    }
  else
    value = load_state_pref (session->vault, name, cancellable, &local);
  if (local != NULL)
    {
      json_decref (value);
      json_decref (empty);
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  /* Absent or unreadable: as when nothing was stored. */
  if (value == NULL || (!json_is_null (empty) && json_typeof (value) != json_typeof (empty)))
    {
      json_decref (value);
      return empty;
    }
  json_decref (empty);
  return value;
}

gboolean
entsec_device_session_store_state (EntsecDeviceSession *session,
                                   const char          *name,
                                   json_t              *value,
                                   GCancellable        *cancellable,
                                   GError             **error)
{
  g_autofree char *text = NULL;

  if (value == NULL)
    return session->kek != NULL
           ? entsec_device_locked_write (session->vault, session->kek, name, NULL, cancellable,
                                         error)
           : entsec_vault_remove_pref_sync (session->vault, name, cancellable, error);
  if (session->kek == NULL && json_is_integer (value))
    return entsec_vault_set_pref_sync (session->vault, name,
                                       g_variant_new_int64 (json_integer_value (value)),
                                       cancellable, error);
  text = json_dumps (value, JSON_COMPACT | JSON_ENCODE_ANY);
  if (session->kek != NULL)
    return entsec_device_locked_write (session->vault, session->kek, name, text, cancellable,
                                       error);
  return entsec_vault_set_pref_sync (session->vault, name, g_variant_new_string (text),
                                     cancellable, error);
}

EntsecVault *
entsec_device_session_get_vault (EntsecDeviceSession *session)
{
  return session->vault;
}

const char *
entsec_device_session_get_issuer (EntsecDeviceSession *session)
{
  return session->issuer;
}

const char *
entsec_device_session_get_device_id (EntsecDeviceSession *session)
{
  return session->device_id;
}

const char *
entsec_device_session_get_key_jkt (EntsecDeviceSession *session)
{
  return session->key_jkt;
}

EVP_PKEY *
entsec_device_session_get_authority (EntsecDeviceSession *session)
{
  return session->authority;
}

const char *
entsec_device_session_get_authority_jkt (EntsecDeviceSession *session)
{
  return session->authority_jkt;
}

gboolean
entsec_device_session_pin_authority (EntsecDeviceSession *session,
                                     EVP_PKEY            *key,
                                     GCancellable        *cancellable,
                                     GError             **error)
{
  g_autofree char *jkt = entsec_jwk_thumbprint (key, error);
  g_autofree char *jwk = jkt != NULL ? entsec_jwk_export (key, FALSE, error) : NULL;

  if (jwk == NULL
      || !entsec_vault_set_pref_sync (session->vault, ENTSEC_PREF_AUTHORITY_JWK,
                                      g_variant_new_string (jwk), cancellable, error)
      || !entsec_vault_set_pref_sync (session->vault, ENTSEC_PREF_AUTHORITY_JKT,
                                      g_variant_new_string (jkt), cancellable, error))
    return FALSE;
  g_info ("Pinned the server's new authority key %s", jkt);
  entsec_device_session_adopt_authority (session, key);
  return session->kek == NULL || save_snapshot (session, cancellable, error);
}

void
entsec_device_session_adopt_authority (EntsecDeviceSession *session,
                                       EVP_PKEY            *key)
{
  g_autofree char *jkt = entsec_jwk_thumbprint (key, NULL);

  EVP_PKEY_up_ref (key);
  EVP_PKEY_free (session->authority);
  session->authority = key;
  g_free (session->authority_jkt);
  session->authority_jkt = g_steal_pointer (&jkt);
}

gint64
entsec_device_session_now (EntsecDeviceSession *session)
{
  return session->now != 0 ? session->now : g_get_real_time () / G_USEC_PER_SEC;
}

gint64
entsec_device_session_get_skew (EntsecDeviceSession *session)
{
  return session->skew;
}

gboolean
entsec_device_session_get_skew_known (EntsecDeviceSession *session)
{
  return session->skew_known;
}

/* The request's header lines: the extra ones, then the signature's. */
static char **
signed_headers (EVP_PKEY            *key,
                const char          *keyid,
                gint64               now,
                const char          *method,
                const char          *url,
                const char          *body,
                const char * const  *extra,
                GError             **error)
{
  const char *fields[] = { "Content-Type", "application/json", NULL };
  g_autoptr (EntsecSignedFields) signed_fields = NULL;
  g_autoptr (GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  EntsecHttpMessage message = {
    .method = method,
    .target_uri = url,
    .fields = body != NULL ? fields : NULL,
    .body = (const guint8 *) body,
    .body_len = body != NULL ? strlen (body) : 0,
  };

  signed_fields = entsec_httpsig_sign (&message, key, keyid, now, error);
  if (signed_fields == NULL)
    return NULL;
  for (gsize i = 0; extra != NULL && extra[i] != NULL; i++)
    g_ptr_array_add (lines, g_strdup (extra[i]));
  g_ptr_array_add (lines, g_strdup ("Accept: application/json, application/jose"));
  if (body != NULL)
    {
      g_ptr_array_add (lines, g_strdup ("Content-Type: application/json"));
      g_ptr_array_add (lines, g_strconcat ("Content-Digest: ", signed_fields->content_digest,
                                           NULL));
    }
  g_ptr_array_add (lines, g_strconcat ("Signature-Input: ", signed_fields->signature_input,
                                       NULL));
  g_ptr_array_add (lines, g_strconcat ("Signature: ", signed_fields->signature, NULL));
  g_ptr_array_add (lines, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&lines), FALSE);
}

/* One request signed with @key as @keyid. */
static EntsecHttpResponse *
send_signed (EntsecDeviceSession *session,
             EVP_PKEY            *key,
             const char          *keyid,
             const char          *method,
             const char          *path,
             const char          *body,
             const char * const  *headers,
             GError             **error)
{
  g_autofree char *url = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GBytes) payload = NULL;
  EntsecHttpResponse *response;
  EntsecHttpTrust trust = {
    .ca_file = session->ca_file,
    .pins = session->pins,
    /* Without a CA file the pins (from an activation link) are the anchor. */
    .pin_is_anchor = session->pins != NULL && session->ca_file == NULL,
    .cancellable = session->cancellable,
  };

  if (g_str_has_prefix (path, "/v1/"))
    url = g_strconcat (session->issuer, path, NULL);
  else
    url = g_strconcat (session->issuer, "/v1/devices/", session->device_id, path, NULL);
  lines = signed_headers (key, keyid, entsec_device_session_now (session), method, url, body,
                          headers, error);
  if (lines == NULL)
    return NULL;
  payload = body != NULL ? g_bytes_new (body, strlen (body)) : NULL;
  response = entsec_http_request (&trust, method, url, (const char * const *) lines, payload,
                                  error);
  if (response != NULL && response->date >= 0)
    {
      session->skew = response->date - entsec_device_session_now (session);
      session->skew_known = TRUE;
    }
  return response;
}

/*
 * After a 401 while a rekey's answer is unknown (docs/protocol.md 8.17):
 * whether the server took the new key, asked with a signed GET .../policy
 * at the next epoch. If so the new key and epoch are stored and used.
 */
static gboolean
adopt_next_key (EntsecDeviceSession *session,
                GError             **error)
{
  g_autofree char *keyid = g_strdup_printf ("%s#%" G_GINT64_FORMAT, session->device_id,
                                            session->key_epoch + 1);
  g_autoptr (EntsecHttpResponse) probe = NULL;

  probe = send_signed (session, session->next_key, keyid, "GET", "/policy", NULL, NULL, NULL);
  if (probe == NULL || (probe->status != 200 && probe->status != 304))
    return FALSE;
  g_info ("The server holds this device's new key: a rekey whose answer was lost took place");
  return entsec_device_session_end_rekey (session, TRUE, NULL, error);
}

EntsecHttpResponse *
entsec_device_session_send (EntsecDeviceSession *session,
                            const char          *method,
                            const char          *path,
                            const char          *body,
                            const char * const  *headers,
                            GError             **error)
{
  EntsecHttpResponse *response;

  g_return_val_if_fail (session != NULL && method != NULL && path != NULL, NULL);

  response = send_signed (session, session->key, session->keyid, method, path, body, headers,
                          error);
  if (response == NULL || response->status != 401 || session->next_key == NULL
      || !adopt_next_key (session, NULL))
    return response;
  entsec_http_response_free (response);
  return send_signed (session, session->key, session->keyid, method, path, body, headers, error);
}

char *
entsec_device_session_dup_clock_warning (EntsecDeviceSession *session)
{
  gint64 skew = session->skew;

  if (ABS (skew) <= ENTSEC_DEVICE_SESSION_MAX_SKEW)
    return NULL;
  return g_strdup_printf ("This computer's clock is %" G_GINT64_FORMAT " seconds %s the server's: "
                          "codes will be refused and the server will refuse this device's "
                          "signed requests. Set the clock right (turn on automatic time, "
                          "e.g. 'timedatectl set-ntp true')",
                          ABS (skew), skew > 0 ? "behind" : "ahead of");
}

gboolean
entsec_device_session_check (EntsecDeviceSession      *session,
                             const EntsecHttpResponse *response,
                             GError                  **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree char *warning = NULL;

  if (entsec_http_response_check (response, &local))
    return TRUE;
  warning = entsec_device_session_dup_clock_warning (session);
  if (g_error_matches (local, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_SIGNATURE) && warning != NULL)
    {
      g_set_error_literal (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_CLOCK_SKEW, warning);
      return FALSE;
    }
  g_propagate_error (error, g_steal_pointer (&local));
  return FALSE;
}

json_t *
entsec_device_session_call_json (EntsecDeviceSession *session,
                                 const char          *method,
                                 const char          *path,
                                 const char          *body,
                                 const char          *what,
                                 GError             **error)
{
  g_autoptr (EntsecHttpResponse) response = NULL;
  g_autoptr (GError) local = NULL;
  json_t *object;
  const char *data;
  gsize len = 0;

  response = entsec_device_session_send (session, method, path, body, NULL, error);
  if (response == NULL || !entsec_device_session_check (session, response, error))
    return NULL;
  data = g_bytes_get_data (response->body, &len);
  object = entsec_json_load_object (data, len, ENTSEC_JSON_MAX_BYTES, ENTSEC_JSON_MAX_DEPTH,
                                    what, &local);
  if (object == NULL)
    g_set_error (error, ENTSEC_NET_ERROR, ENTSEC_NET_ERROR_BAD_RESPONSE,
                 "The server's %s is not valid (%s): it may not be an entsec server",
                 what, local->message);
  return object;
}
