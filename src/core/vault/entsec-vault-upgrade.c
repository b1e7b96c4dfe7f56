/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-vault-upgrade.c: a vault of format 1 becomes format 2 right after
 * its first successful unlock, in ONE transaction: the new columns, every
 * loaded account and preference re-encrypted with its row version, the
 * index built, the slots whose key is at hand converted to format-2 slots
 * (the one that unlocked, and keyring slots whose item is found), the
 * header sealed again and user_version set to 2. A crash leaves format 1 or
 * format 2, never a mix. The DEK stays the same (this is no rotation).
 *
 * A slot that cannot be converted now (a recovery slot when the passphrase
 * unlocked) keeps its format-1 wrapping; it still opens the vault, and the
 * first unlock with it converts it (vault_renew_slot). Until then a key
 * rotation refuses (entsec-vault-slots.c).
 */

#define G_LOG_DOMAIN "entsec-vault"

#include "config.h"

#include "entsec-vault-private.h"

/* The KEK of @slot if it is at hand: @kek for the slot that unlocked, or the keyring's. */
static EntsecSecureBytes *
slot_kek (EntsecVault     *vault,
          const VaultSlot *slot,
          const VaultSlot *unlocked,
          const guint8    *kek)
{
  EntsecSecureBytes *found = NULL;

  if (kek != NULL && slot->id == unlocked->id)
    return entsec_secure_bytes_new_copy (kek, KEK_SIZE);
  if (slot->type != ENTSEC_VAULT_SLOT_KEYRING
      || g_bytes_get_size (slot->params) != KEYRING_SLOT_ID_SIZE)
    return NULL;
  if (vault_keyring_lookup (vault->vault_id, g_bytes_get_data (slot->params, NULL), &found, NULL,
                            NULL) != KEYRING_FOUND)
    return NULL;
  return found;
}

/* Give @slot a key pair (its KEK is @slot_key) and the DEK wrapped to it; in a transaction. */
static gboolean
convert_slot (EntsecVault             *vault,
              VaultSlot               *slot,
              const EntsecSecureBytes *slot_key,
              GError                 **error)
{
  g_autoptr (EntsecSecureBytes) check = NULL;
  g_autoptr (GBytes) keys = NULL;

  /* Only a key proved to open this slot is used for it. */
  if (slot_key->len != KEK_SIZE)
    return TRUE;
  check = vault_slot_unwrap (vault->vault_id, slot, slot_key->data);
  if (check == NULL)
    return TRUE;
  keys = vault_slot_keys_new (vault->vault_id, slot->type, slot->params, slot_key->data, error);
  return keys != NULL && vault_slot_rewrap (vault, slot, keys, error);
}

static gboolean
convert_slots (EntsecVault     *vault,
               const VaultSlot *unlocked,
               const guint8    *kek,
               GError         **error)
{
  for (guint i = 0; i < vault->slots->len; i++)
    {
      VaultSlot *slot = g_ptr_array_index (vault->slots, i);
      g_autoptr (EntsecSecureBytes) slot_key = slot_kek (vault, slot, unlocked, kek);

      if (slot_key != NULL && !convert_slot (vault, slot, slot_key, error))
        return FALSE;
    }
  return TRUE;
}

/* Quarantined rows stay byte for byte; the index lists them at version 0. */
static void
list_quarantined (EntsecVault *vault)
{
  for (guint i = 0; i < vault->quarantined->len; i++)
    {
      EntsecVaultQuarantined *item = g_ptr_array_index (vault->quarantined, i);

      vault_index_set_account (vault->pending, item->id, 0);
    }
}

/* Format 2 -> 3 adds tables only: the rows and slots stay as they are. */
static gboolean
upgrade_tables (EntsecVault *vault,
                GError     **error)
{
  gint64 from = vault->format;

  if (!vault_check_file (vault, error) || !vault_db_begin (vault->db, error))
    return FALSE;
  vault_index_begin (vault);
  vault->format = ENTSEC_VAULT_FORMAT_VERSION;
  if (vault_db_upgrade_schema (vault->db, from, error) && vault_commit (vault, error))
    return TRUE;
  vault_db_rollback (vault->db);
  vault->format = from;
  g_clear_pointer (&vault->pending, vault_index_free);
  return FALSE;
}

gboolean
vault_upgrade (EntsecVault     *vault,
               const VaultSlot *slot,
               const guint8    *kek,
               GError         **error)
{
  g_autoptr (GPtrArray) slots = g_ptr_array_ref (vault->slots);
  g_autoptr (GPtrArray) saved = NULL;
  gint64 from = vault->format;

  g_return_val_if_fail (from >= 1 && from < ENTSEC_VAULT_FORMAT_VERSION, FALSE);
  if (from >= 2)
    return upgrade_tables (vault, error);
  if (!vault_check_file (vault, error) || !vault_db_begin (vault->db, error))
    return FALSE;
  /* Slot rows are rewritten in place; keep the old values to restore on failure. */
  saved = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  for (guint i = 0; i < slots->len; i++)
    g_ptr_array_add (saved, g_bytes_ref (((VaultSlot *) g_ptr_array_index (slots, i))->wrapped));
  vault_index_begin (vault);
  vault->format = ENTSEC_VAULT_FORMAT_VERSION;
  list_quarantined (vault);
  if (vault_db_upgrade_schema (vault->db, from, error)
      && vault_rewrite_rows (vault, vault->names_key, error)
      && convert_slots (vault, slot, kek, error)
      && vault_write_header (vault, slots, error) && vault_commit (vault, error))
    return TRUE;
  vault_db_rollback (vault->db);
  vault->format = from;
  g_clear_pointer (&vault->pending, vault_index_free);
  for (guint i = 0; i < slots->len; i++)
    {
      VaultSlot *s = g_ptr_array_index (slots, i);

      g_bytes_unref (s->wrapped);
      s->wrapped = g_bytes_ref (g_ptr_array_index (saved, i));
    }
  return FALSE;
}

void
vault_renew_slot (EntsecVault     *vault,
                  const VaultSlot *unlocked,
                  const guint8    *kek)
{
  g_autoptr (EntsecSecureBytes) slot_key = NULL;
  g_autoptr (GBytes) keys = vault_slot_get_keys (unlocked);
  g_autoptr (GBytes) saved = NULL;
  VaultSlot *slot = NULL;

  for (guint i = 0; i < vault->slots->len && slot == NULL; i++)
    {
      if (((VaultSlot *) g_ptr_array_index (vault->slots, i))->id == unlocked->id)
        slot = g_ptr_array_index (vault->slots, i);
    }
  if (keys != NULL || slot == NULL || vault->format < ENTSEC_VAULT_FORMAT_VERSION)
    return;
  slot_key = slot_kek (vault, slot, unlocked, kek);
  if (slot_key == NULL || !vault_begin_write (vault, NULL))
    return;
  saved = g_bytes_ref (slot->wrapped);
  if (convert_slot (vault, slot, slot_key, NULL) && vault_write_header (vault, vault->slots, NULL)
      && vault_commit (vault, NULL))
    return;
  vault_db_rollback (vault->db);
  g_bytes_unref (slot->wrapped);
  slot->wrapped = g_steal_pointer (&saved);
}
