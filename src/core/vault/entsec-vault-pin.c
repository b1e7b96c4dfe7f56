/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-vault-pin.c: the quick-unlock PIN slot.
 *
 * A PIN is short and guessable offline, so it never opens the file alone:
 *
 *   KEK = HMAC-SHA256(S, "entsec-vault pin slot v1" || Argon2id(PIN, salt))
 *
 * where S is 32 random bytes kept only in a keyring item of the PIN slot,
 * beside the count of wrong PINs in a row. An offline copy of the file is
 * then as hard to open as its other slots, and a PIN is only ever tried
 * through the keyring, which counts it BEFORE it is tried: after
 * ENTSEC_VAULT_PIN_MAX_ATTEMPTS wrong PINs S is deleted and the slot is dead
 * (the passphrase is required). The count lives in the keyring, not in the
 * file, so putting back an old copy of the file does not reset it.
 *
 * Slot params: 0x01 || keyring item id (16) || Argon2id params (as a
 * passphrase slot's). Keyring item: 0x01 || wrong PINs (1) || S (32).
 */

#define G_LOG_DOMAIN "entsec-vault"

#include "config.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "entsec-vault-private.h"

#define PIN_PARAMS_VERSION 1
#define PIN_PARAMS_HEAD (1 + KEYRING_SLOT_ID_SIZE)
#define PIN_ITEM_VERSION 1
#define PIN_SECRET_SIZE 32
#define PIN_ITEM_SIZE (2 + PIN_SECRET_SIZE)

static const char pin_info[] = "entsec-vault pin slot v1";

gboolean
entsec_vault_check_pin_format (const char *pin,
                               gsize       pin_len,
                               GError    **error)
{
  g_return_val_if_fail (pin != NULL || pin_len == 0, FALSE);
  if (pin_len < ENTSEC_VAULT_PIN_MIN_LENGTH || pin_len > ENTSEC_VAULT_PIN_MAX_LENGTH)
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID,
                   "A PIN has %d to %d digits", ENTSEC_VAULT_PIN_MIN_LENGTH,
                   ENTSEC_VAULT_PIN_MAX_LENGTH);
      return FALSE;
    }
  for (gsize i = 0; i < pin_len; i++)
    {
      if (!g_ascii_isdigit (pin[i]))
        {
          g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_INVALID,
                               "A PIN has digits (0-9) only");
          return FALSE;
        }
    }
  return TRUE;
}

/* ---- Slot params and the keyring item ---------------------------------------- */

const guint8 *
vault_pin_slot_uuid (const VaultSlot *slot)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (slot->params, &len);

  if (slot->type != ENTSEC_VAULT_SLOT_PIN || len <= PIN_PARAMS_HEAD
      || data[0] != PIN_PARAMS_VERSION)
    return NULL;
  return data + 1;
}

static gboolean
pin_slot_argon (const VaultSlot    *slot,
                EntsecArgon2Params *argon,
                GError            **error)
{
  g_autoptr (GBytes) kdf = NULL;

  if (vault_pin_slot_uuid (slot) == NULL)
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_CORRUPT,
                           "The PIN slot's parameters are malformed: the vault header is "
                           "damaged. Enter the passphrase instead");
      return FALSE;
    }
  kdf = g_bytes_new_from_bytes (slot->params, PIN_PARAMS_HEAD,
                                g_bytes_get_size (slot->params) - PIN_PARAMS_HEAD);
  return vault_kdf_params_decode (kdf, argon, error);
}

gboolean
vault_pin_slot_kdf (const VaultSlot    *slot,
                    EntsecArgon2Params *argon)
{
  return pin_slot_argon (slot, argon, NULL);
}

static GBytes *
pin_params_encode (const guint8              uuid[KEYRING_SLOT_ID_SIZE],
                   const EntsecArgon2Params *argon)
{
  g_autoptr (GBytes) kdf = vault_kdf_params_encode (argon);
  GByteArray *out = g_byte_array_new ();
  const guint8 version = PIN_PARAMS_VERSION;

  g_byte_array_append (out, &version, 1);
  g_byte_array_append (out, uuid, KEYRING_SLOT_ID_SIZE);
  g_byte_array_append (out, g_bytes_get_data (kdf, NULL), (guint) g_bytes_get_size (kdf));
  return g_byte_array_free_to_bytes (out);
}

/* Save S and the count of wrong PINs: a new item (@create), or the existing one updated. */
static gboolean
store_item (const guint8  vault_id[VAULT_ID_SIZE],
            const guint8  uuid[KEYRING_SLOT_ID_SIZE],
            const guint8 *secret,
            guint         failures,
            gboolean      create,
            GCancellable *cancellable,
            GError      **error)
{
  g_autoptr (EntsecSecureBytes) item = entsec_secure_bytes_new (PIN_ITEM_SIZE);

  item->data[0] = PIN_ITEM_VERSION;
  item->data[1] = (guint8) MIN (failures, 255);
  memcpy (item->data + 2, secret, PIN_SECRET_SIZE);
  if (create)
    return vault_keyring_pin_store (vault_id, uuid, item->data, item->len, cancellable, error);
  return vault_keyring_pin_update (vault_id, uuid, item->data, item->len, cancellable, error);
}

static gboolean
item_is_valid (const EntsecSecureBytes *item)
{
  return item->len == PIN_ITEM_SIZE && item->data[0] == PIN_ITEM_VERSION;
}

/* KEK = HMAC-SHA256(S, info || Argon2id(PIN)); runs Argon2id. */
static gboolean
pin_kek (const EntsecArgon2Params *argon,
         const char               *pin,
         gsize                     pin_len,
         const guint8             *secret,
         guint8                    kek[KEK_SIZE],
         GError                  **error)
{
  guint8 msg[sizeof pin_info - 1 + KEK_SIZE];
  unsigned int len = KEK_SIZE;
  gboolean ok;

  memcpy (msg, pin_info, sizeof pin_info - 1);
  ok = entsec_argon2id_derive (argon, pin, pin_len, msg + sizeof pin_info - 1, KEK_SIZE, error);
  if (ok && HMAC (EVP_sha256 (), secret, PIN_SECRET_SIZE, msg, sizeof msg, kek, &len) == NULL)
    {
      g_set_error_literal (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_IO,
                           "Cannot derive the PIN slot's key (OpenSSL's HMAC failed)");
      ok = FALSE;
    }
  OPENSSL_cleanse (msg, sizeof msg);
  return ok;
}

/* ---- Setting the PIN ----------------------------------------------------------- */

/* A new PIN slot: its item id, secret S, params and keys (Argon2id runs here). */
typedef struct
{
  guint8             uuid[KEYRING_SLOT_ID_SIZE];
  EntsecSecureBytes *secret;
  GBytes            *params;
  GBytes            *keys;
} PinSlot;

static void
pin_slot_clear (PinSlot *slot)
{
  g_clear_pointer (&slot->secret, entsec_secure_bytes_free);
  g_clear_pointer (&slot->params, g_bytes_unref);
  g_clear_pointer (&slot->keys, g_bytes_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PinSlot, pin_slot_clear)

static gboolean
make_pin_slot (EntsecVault           *vault,
               const char            *pin,
               gsize                  pin_len,
               const EntsecKdfParams *kdf,
               PinSlot               *slot,
               GError               **error)
{
  g_autoptr (EntsecSecureBytes) kek = entsec_secure_bytes_new (KEK_SIZE);
  EntsecArgon2Params argon = { 0 };

  slot->secret = entsec_secure_bytes_new (PIN_SECRET_SIZE);
  if (!entsec_random_bytes (slot->uuid, sizeof slot->uuid, error)
      || !entsec_random_bytes (slot->secret->data, slot->secret->len, error)
      || !vault_kdf_from_public (kdf, &argon, error)
      || !pin_kek (&argon, pin, pin_len, slot->secret->data, kek->data, error))
    return FALSE;
  slot->params = pin_params_encode (slot->uuid, &argon);
  slot->keys = vault_slot_keys_new (vault->vault_id, ENTSEC_VAULT_SLOT_PIN, slot->params,
                                    kek->data, error);
  return slot->keys != NULL;
}

gboolean
entsec_vault_add_pin_slot_sync (EntsecVault           *vault,
                                const char            *passphrase,
                                gsize                  passphrase_len,
                                const char            *pin,
                                gsize                  pin_len,
                                const EntsecKdfParams *kdf,
                                GCancellable          *cancellable,
                                GError               **error)
{
  g_auto (PinSlot) slot = { { 0 }, NULL, NULL, NULL };
  g_autoptr (GPtrArray) removed = NULL;
  g_autoptr (GError) local_error = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (passphrase != NULL || passphrase_len == 0, FALSE);
  g_return_val_if_fail (pin != NULL || pin_len == 0, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  if (!entsec_vault_check_pin_format (pin, pin_len, error)
      || !vault_check_unlocked_now (vault, error)
      || !vault_passphrase_opens (vault, passphrase != NULL ? passphrase : "", passphrase_len,
                                  cancellable, error)
      || !make_pin_slot (vault, pin, pin_len, kdf, &slot, error))
    return FALSE;
  /* In the keyring before the slot is committed, so a committed slot always has its item. */
  if (!store_item (vault->vault_id, slot.uuid, slot.secret->data, 0, TRUE, cancellable,
                   &local_error))
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_KEYRING,
                   "Cannot store the PIN's key in the keyring (%s). A PIN needs a Secret "
                   "Service (e.g. gnome-keyring) that runs and is unlocked; nothing was changed",
                   local_error->message);
      return FALSE;
    }
  if (!vault_put_slot (vault, ENTSEC_VAULT_SLOT_PIN, slot.params, slot.keys, &removed, error))
    {
      vault_keyring_pin_clear (vault->vault_id, slot.uuid, NULL, NULL);
      return FALSE;
    }
  vault_clear_slot_items (vault, removed, NULL);
  return TRUE;
}

/* ---- Unlocking with the PIN ------------------------------------------------------ */

typedef struct
{
  const char *pin;
  gsize       pin_len;
  guint      *attempts_left;
} PinAttempt;

static void
set_locked_out (GError    **error,
                const char *why)
{
  g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_PIN_LOCKED_OUT,
               "%s: the PIN can no longer unlock this vault. Enter the passphrase; a new PIN "
               "can be set after that", why);
}

/*
 * The keyring item of PIN slot @uuid, checked: NULL with @error set when the
 * PIN cannot be tried (keyring locked or unreachable, item gone, no attempts
 * left: then the item is deleted).
 */
static EntsecSecureBytes *
usable_item (EntsecVault  *vault,
             const guint8 *uuid,
             GCancellable *cancellable,
             GError      **error)
{
  g_autoptr (EntsecSecureBytes) item = NULL;
  g_autoptr (GError) lookup_error = NULL;
  KeyringOutcome outcome;

  outcome = vault_keyring_pin_lookup (vault->vault_id, uuid, &item, cancellable, &lookup_error);
  if (outcome == KEYRING_NOT_FOUND)
    {
      set_locked_out (error, "The PIN's key is not in the keyring (too many wrong PINs, or it "
                             "was deleted)");
      return NULL;
    }
  if (outcome != KEYRING_FOUND)
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NEEDS_PASSPHRASE,
                   "Cannot use the PIN: %s. Enter the vault passphrase instead",
                   vault_keyring_problem (outcome));
      return NULL;
    }
  if (!item_is_valid (item) || item->data[1] >= ENTSEC_VAULT_PIN_MAX_ATTEMPTS)
    {
      vault_keyring_pin_clear (vault->vault_id, uuid, NULL, NULL);
      set_locked_out (error, "Too many wrong PINs");
      return NULL;
    }
  return g_steal_pointer (&item);
}

/* A wrong PIN (already counted as the @failures-th): say how many are left. */
static void
wrong_pin (EntsecVault      *vault,
           const guint8     *uuid,
           guint             failures,
           const PinAttempt *attempt,
           GError          **error)
{
  guint left = failures < ENTSEC_VAULT_PIN_MAX_ATTEMPTS ? ENTSEC_VAULT_PIN_MAX_ATTEMPTS - failures
                                                        : 0;

  *attempt->attempts_left = left;
  if (left == 0)
    {
      vault_keyring_pin_clear (vault->vault_id, uuid, NULL, NULL);
      set_locked_out (error, "Wrong PIN, and that was the last attempt");
    }
  else
    g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_BAD_PASSPHRASE,
                 "Wrong PIN; %u attempt(s) left before the passphrase is required", left);
  /* A wrong PIN is a wrong unlock for a policy's limit too (docs/security.md). */
  vault_note_failed_unlock (vault, "PIN", error);
}

/*
 * Reading and raising the count is one step for this process: two threads
 * trying PINs at once must not both count from the same value.
 */
static GMutex count_mutex;

/* The usable item of PIN slot @uuid with its count raised by one, saved; NULL with @error. */
static EntsecSecureBytes *
count_attempt (EntsecVault  *vault,
               const guint8 *uuid,
               GCancellable *cancellable,
               GError      **error)
{
  g_autoptr (GMutexLocker) locker = NULL;
  g_autoptr (EntsecSecureBytes) item = NULL;
  g_autoptr (GError) store_error = NULL;

  locker = g_mutex_locker_new (&count_mutex);
  item = usable_item (vault, uuid, cancellable, error);
  if (item == NULL)
    return NULL;
  item->data[1]++;
  /* Counted before it is tried: killing the process mid-try does not save an attempt. */
  if (!store_item (vault->vault_id, uuid, item->data + 2, item->data[1], FALSE, cancellable,
                   &store_error))
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NEEDS_PASSPHRASE,
                   "Cannot count the PIN attempt in the keyring (%s). Enter the vault passphrase "
                   "instead", store_error->message);
      return NULL;
    }
  return g_steal_pointer (&item);
}

/* Count the attempt, then try the PIN on @slot: the DEK, or NULL with @error set. */
static EntsecSecureBytes *
try_pin_slot (EntsecVault        *vault,
              const VaultSlot    *slot,
              const PinAttempt   *attempt,
              EntsecSecureBytes **kek_out,
              GCancellable       *cancellable,
              GError            **error)
{
  g_autoptr (EntsecSecureBytes) item = NULL;
  g_autoptr (EntsecSecureBytes) kek = entsec_secure_bytes_new (KEK_SIZE);
  const guint8 *uuid = vault_pin_slot_uuid (slot);
  EntsecArgon2Params argon;
  EntsecSecureBytes *dek;

  /* Without libargon2 the PIN cannot be tried: no attempt is spent on it. */
  if (!pin_slot_argon (slot, &argon, error) || !entsec_argon2id_available (error))
    return NULL;
  item = count_attempt (vault, uuid, cancellable, error);
  if (item == NULL)
    return NULL;
  if (!pin_kek (&argon, attempt->pin, attempt->pin_len, item->data + 2, kek->data, error))
    return NULL;
  dek = vault_slot_unwrap (vault->vault_id, slot, kek->data);
  if (dek == NULL)
    {
      wrong_pin (vault, uuid, item->data[1], attempt, error);
      return NULL;
    }
  /* Best effort: a count left at one more is harmless, the next right PIN resets it. */
  store_item (vault->vault_id, uuid, item->data + 2, 0, FALSE, NULL, NULL);
  *attempt->attempts_left = ENTSEC_VAULT_PIN_MAX_ATTEMPTS;
  *kek_out = g_steal_pointer (&kek);
  return dek;
}

static EntsecSecureBytes *
derive_pin (EntsecVault        *vault,
            GPtrArray          *slots,
            gconstpointer       secret,
            gsize               secret_len,
            VaultSlot         **used,
            EntsecSecureBytes **kek_out,
            GCancellable       *cancellable,
            GError            **error)
{
  const PinAttempt *attempt = secret;
  VaultSlot *slot = g_ptr_array_index (slots, 0);
  EntsecSecureBytes *dek;

  /* One PIN slot at most (setting a PIN replaces the old one). */
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  dek = try_pin_slot (vault, slot, attempt, kek_out, cancellable, error);
  if (dek == NULL)
    return NULL;
  vault_read_keyring_generation (vault);
  *used = slot;
  return dek;
}

gboolean
entsec_vault_unlock_pin_sync (EntsecVault  *vault,
                              const char   *pin,
                              gsize         pin_len,
                              guint        *attempts_left,
                              GCancellable *cancellable,
                              GError      **error)
{
  guint left = 0;
  PinAttempt attempt = { pin, pin_len, &left };
  gboolean ok;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (pin != NULL || pin_len == 0, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);
  /* A PIN of the wrong form can never be right: refused without using an attempt. */
  ok = entsec_vault_check_pin_format (pin, pin_len, error)
       && vault_unlock_with (vault, ENTSEC_VAULT_SLOT_PIN, "PIN", derive_pin, &attempt, 0,
                             cancellable, error);
  if (attempts_left != NULL)
    *attempts_left = left;
  return ok;
}

/* ---- Status ------------------------------------------------------------------- */

/* A copy of the vault's PIN slot, or NULL (op mutex taken here). */
static VaultSlot *
copy_pin_slot (EntsecVault *vault)
{
  G_GNUC_UNUSED g_autoptr (VaultOp) op = vault_op_begin (vault);

  for (guint i = 0; i < vault->slots->len; i++)
    {
      VaultSlot *slot = g_ptr_array_index (vault->slots, i);

      if (slot->type == ENTSEC_VAULT_SLOT_PIN)
        return vault_slot_copy (slot);
    }
  return NULL;
}

gboolean
entsec_vault_get_pin_status_sync (EntsecVault          *vault,
                                  EntsecVaultPinStatus *status,
                                  guint                *attempts_left,
                                  GCancellable         *cancellable,
                                  GError              **error)
{
  g_autoptr (VaultSlot) slot = NULL;
  g_autoptr (EntsecSecureBytes) item = NULL;
  const guint8 *uuid;
  KeyringOutcome outcome;
  guint left = 0;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (status != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  slot = copy_pin_slot (vault);
  uuid = slot != NULL ? vault_pin_slot_uuid (slot) : NULL;
  *status = slot == NULL ? ENTSEC_VAULT_PIN_NONE : ENTSEC_VAULT_PIN_LOCKED_OUT;
  if (uuid != NULL)
    {
      /* The D-Bus lookup runs on the copy, without the mutex. */
      outcome = vault_keyring_pin_lookup (vault->vault_id, uuid, &item, cancellable, NULL);
      if (outcome == KEYRING_LOCKED || outcome == KEYRING_UNREACHABLE)
        *status = ENTSEC_VAULT_PIN_UNAVAILABLE;
      else if (outcome == KEYRING_FOUND && item_is_valid (item)
               && item->data[1] < ENTSEC_VAULT_PIN_MAX_ATTEMPTS)
        {
          *status = ENTSEC_VAULT_PIN_READY;
          left = ENTSEC_VAULT_PIN_MAX_ATTEMPTS - item->data[1];
        }
    }
  if (attempts_left != NULL)
    *attempts_left = left;
  return TRUE;
}

/* ---- A dead PIN slot ------------------------------------------------------------ */

/* Whether PIN slot @slot can never unlock again: its keyring item is gone or used up. */
static gboolean
pin_slot_is_dead (EntsecVault     *vault,
                  const VaultSlot *slot,
                  GCancellable    *cancellable)
{
  g_autoptr (EntsecSecureBytes) item = NULL;
  const guint8 *uuid = vault_pin_slot_uuid (slot);
  KeyringOutcome outcome;

  if (uuid == NULL)
    return TRUE;
  outcome = vault_keyring_pin_lookup (vault->vault_id, uuid, &item, cancellable, NULL);
  if (outcome == KEYRING_NOT_FOUND)
    return TRUE;
  /* A locked or unreachable keyring says nothing about the PIN: it may work again later. */
  return outcome == KEYRING_FOUND
         && (!item_is_valid (item) || item->data[1] >= ENTSEC_VAULT_PIN_MAX_ATTEMPTS);
}

gboolean
entsec_vault_remove_dead_pin_slot_sync (EntsecVault  *vault,
                                        gboolean     *removed,
                                        GCancellable *cancellable,
                                        GError      **error)
{
  g_autoptr (VaultSlot) slot = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  g_return_val_if_fail (removed != NULL, FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  *removed = FALSE;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  slot = copy_pin_slot (vault);
  /* The D-Bus lookup runs on the copy, without the mutex. */
  if (slot == NULL || !pin_slot_is_dead (vault, slot, cancellable))
    return TRUE;
  if (!entsec_vault_remove_slot_sync (vault, slot->id, cancellable, error))
    return FALSE;
  *removed = TRUE;
  return TRUE;
}

/* ---- Async -------------------------------------------------------------------- */

typedef struct
{
  EntsecSecureBytes   *passphrase;
  EntsecSecureBytes   *pin;
  EntsecKdfParams      kdf;
  gboolean             has_kdf;
  guint                attempts_left;
  EntsecVaultPinStatus status;
  gboolean             removed;
} PinTaskData;

static void
pin_task_data_free (PinTaskData *data)
{
  g_clear_pointer (&data->passphrase, entsec_secure_bytes_free);
  g_clear_pointer (&data->pin, entsec_secure_bytes_free);
  g_free (data);
}

static PinTaskData *
pin_task_data_new (const char *passphrase,
                   gsize       passphrase_len,
                   const char *pin,
                   gsize       pin_len)
{
  PinTaskData *data = g_new0 (PinTaskData, 1);

  if (passphrase != NULL)
    data->passphrase = entsec_secure_bytes_new_copy ((const guint8 *) passphrase, passphrase_len);
  if (pin != NULL)
    data->pin = entsec_secure_bytes_new_copy ((const guint8 *) pin, pin_len);
  return data;
}

static void
return_boolean (GTask   *task,
                gboolean ok,
                GError  *error)
{
  if (ok)
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

/* The task's data once it succeeded; NULL with @error set when it failed. */
static PinTaskData *
pin_task_propagate (GAsyncResult *result,
                    GError      **error)
{
  if (!g_task_propagate_boolean (G_TASK (result), error))
    return NULL;
  return g_task_get_task_data (G_TASK (result));
}

static void
add_pin_thread (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  PinTaskData *d = task_data;
  GError *error = NULL;
  gboolean ok;

  ok = entsec_vault_add_pin_slot_sync (source, (const char *) d->passphrase->data,
                                       d->passphrase->len, (const char *) d->pin->data,
                                       d->pin->len, d->has_kdf ? &d->kdf : NULL, cancellable,
                                       &error);
  return_boolean (task, ok, error);
}

void
entsec_vault_add_pin_slot_async (EntsecVault           *vault,
                                 const char            *passphrase,
                                 gsize                  passphrase_len,
                                 const char            *pin,
                                 gsize                  pin_len,
                                 const EntsecKdfParams *kdf,
                                 GCancellable          *cancellable,
                                 GAsyncReadyCallback    callback,
                                 gpointer               user_data)
{
  PinTaskData *data;

  g_return_if_fail (ENTSEC_IS_VAULT (vault));
  g_return_if_fail (passphrase != NULL || passphrase_len == 0);
  g_return_if_fail (pin != NULL || pin_len == 0);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  data = pin_task_data_new (passphrase != NULL ? passphrase : "", passphrase_len,
                            pin != NULL ? pin : "", pin_len);
  data->has_kdf = kdf != NULL;
  if (kdf != NULL)
    data->kdf = *kdf;
  vault_task_run (vault, cancellable, callback, user_data, entsec_vault_add_pin_slot_async, data,
                  (GDestroyNotify) pin_task_data_free, add_pin_thread);
}

gboolean
entsec_vault_add_pin_slot_finish (EntsecVault  *vault,
                                  GAsyncResult *result,
                                  GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, vault), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
unlock_pin_thread (GTask        *task,
                   gpointer      source,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  PinTaskData *d = task_data;
  GError *error = NULL;
  gboolean ok;

  ok = entsec_vault_unlock_pin_sync (source, (const char *) d->pin->data, d->pin->len,
                                     &d->attempts_left, cancellable, &error);
  return_boolean (task, ok, error);
}

void
entsec_vault_unlock_pin_async (EntsecVault        *vault,
                               const char         *pin,
                               gsize               pin_len,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  g_return_if_fail (ENTSEC_IS_VAULT (vault));
  g_return_if_fail (pin != NULL || pin_len == 0);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  vault_task_run (vault, cancellable, callback, user_data, entsec_vault_unlock_pin_async,
                  pin_task_data_new (NULL, 0, pin != NULL ? pin : "", pin_len),
                  (GDestroyNotify) pin_task_data_free, unlock_pin_thread);
}

gboolean
entsec_vault_unlock_pin_finish (EntsecVault  *vault,
                                GAsyncResult *result,
                                guint        *attempts_left,
                                GError      **error)
{
  PinTaskData *d;

  g_return_val_if_fail (g_task_is_valid (result, vault), FALSE);
  d = g_task_get_task_data (G_TASK (result));
  if (attempts_left != NULL)
    *attempts_left = d->attempts_left;
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
pin_status_thread (GTask        *task,
                   gpointer      source,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  PinTaskData *d = task_data;
  GError *error = NULL;
  gboolean ok;

  ok = entsec_vault_get_pin_status_sync (source, &d->status, &d->attempts_left, cancellable,
                                         &error);
  return_boolean (task, ok, error);
}

void
entsec_vault_get_pin_status_async (EntsecVault        *vault,
                                   GCancellable       *cancellable,
                                   GAsyncReadyCallback callback,
                                   gpointer            user_data)
{
  g_return_if_fail (ENTSEC_IS_VAULT (vault));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  vault_task_run (vault, cancellable, callback, user_data, entsec_vault_get_pin_status_async,
                  pin_task_data_new (NULL, 0, NULL, 0), (GDestroyNotify) pin_task_data_free,
                  pin_status_thread);
}

gboolean
entsec_vault_get_pin_status_finish (EntsecVault          *vault,
                                    GAsyncResult         *result,
                                    EntsecVaultPinStatus *status,
                                    guint                *attempts_left,
                                    GError              **error)
{
  PinTaskData *d;

  g_return_val_if_fail (g_task_is_valid (result, vault), FALSE);
  g_return_val_if_fail (status != NULL, FALSE);
  d = pin_task_propagate (result, error);
  if (d == NULL)
    return FALSE;
  *status = d->status;
  if (attempts_left != NULL)
    *attempts_left = d->attempts_left;
  return TRUE;
}

static void
remove_dead_pin_thread (GTask        *task,
                        gpointer      source,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  PinTaskData *d = task_data;
  GError *error = NULL;
  gboolean ok;

  ok = entsec_vault_remove_dead_pin_slot_sync (source, &d->removed, cancellable, &error);
  return_boolean (task, ok, error);
}

void
entsec_vault_remove_dead_pin_slot_async (EntsecVault        *vault,
                                         GCancellable       *cancellable,
                                         GAsyncReadyCallback callback,
                                         gpointer            user_data)
{
  g_return_if_fail (ENTSEC_IS_VAULT (vault));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  vault_task_run (vault, cancellable, callback, user_data,
                  entsec_vault_remove_dead_pin_slot_async, pin_task_data_new (NULL, 0, NULL, 0),
                  (GDestroyNotify) pin_task_data_free, remove_dead_pin_thread);
}

gboolean
entsec_vault_remove_dead_pin_slot_finish (EntsecVault  *vault,
                                          GAsyncResult *result,
                                          gboolean     *removed,
                                          GError      **error)
{
  PinTaskData *d;

  g_return_val_if_fail (g_task_is_valid (result, vault), FALSE);
  g_return_val_if_fail (removed != NULL, FALSE);
  d = pin_task_propagate (result, error);
  *removed = d != NULL && d->removed;
  return d != NULL;
}
