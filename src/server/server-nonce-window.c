/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * server-nonce-window.c: the in-memory replay window of read-only
 * requests. A hash table from keyid to the digests of its nonces; a
 * sweep drops what is past its time once the earliest time has passed,
 * so at most once a second, and then nothing remembered is stale.
 */

#define G_LOG_DOMAIN "entsec-server"

#include "config.h"

#include <string.h>

#include "server-nonce-window.h"
#include "server-private.h"

typedef struct
{
  guint8 digest[ENTSEC_SERVER_DIGEST_SIZE];
  gint64 forget_after;
} Entry;

/* The nonces of one keyid. */
typedef struct
{
  GArray *entries;     /* of Entry */
  gint64  full_until;  /* nonces of this key went to the durable cache until then */
} Key;

struct _EntsecNonceWindow
{
  GMutex      lock;
  GHashTable *keys;        /* keyid -> Key */
  guint       max_nonces;
  guint       max_per_key;
  guint       size;
  gint64      full_until;  /* as Key's, for the bound in all; 0: never */
  gint64      next_expiry; /* the earliest time that ends above; G_MAXINT64: none */
};

static void
key_free (gpointer data)
{
  Key *key = data;

  g_array_unref (key->entries);
  g_free (key);
}

EntsecNonceWindow *
entsec_nonce_window_new (guint max_nonces,
                         guint max_per_key)
{
  EntsecNonceWindow *window;

  g_return_val_if_fail (max_nonces > 0 && max_per_key > 0, NULL);
  window = g_new0 (EntsecNonceWindow, 1);
  g_mutex_init (&window->lock);
  window->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, key_free);
  window->max_nonces = max_nonces;
  window->max_per_key = max_per_key;
  window->next_expiry = G_MAXINT64;
  return window;
}

void
entsec_nonce_window_free (EntsecNonceWindow *window)
{
  if (window == NULL)
    return;
  g_hash_table_unref (window->keys);
  g_mutex_clear (&window->lock);
  g_free (window);
}

/* Drop the entries of @key past their time; returns the earliest time of
 * what is left, G_MAXINT64 when nothing is. */
static gint64
drop_stale (Key   *key,
            gint64 now,
            guint *dropped)
{
  gint64 earliest = key->full_until >= now ? key->full_until : G_MAXINT64;

  for (guint i = key->entries->len; i > 0; i--)
    {
      const Entry *entry = &g_array_index (key->entries, Entry, i - 1);

      if (entry->forget_after < now)
        {
          g_array_remove_index_fast (key->entries, i - 1);
          (*dropped)++;
        }
      else
        earliest = MIN (earliest, entry->forget_after);
    }
  return earliest;
}

/* With the lock held: forget every nonce past its time. */
static void
sweep (EntsecNonceWindow *window,
       gint64             now)
{
  GHashTableIter iter;
  gpointer value;
  guint dropped = 0;
  gint64 earliest = window->full_until >= now ? window->full_until : G_MAXINT64;

  g_hash_table_iter_init (&iter, window->keys);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      gint64 key_earliest = drop_stale (value, now, &dropped);

      if (key_earliest == G_MAXINT64)
        g_hash_table_iter_remove (&iter);
      earliest = MIN (earliest, key_earliest);
    }
  window->size -= dropped;
  window->next_expiry = earliest;
}

static gboolean
contains (GArray       *entries,
          const guint8 *digest)
{
  for (guint i = 0; i < entries->len; i++)
    {
      if (memcmp (g_array_index (entries, Entry, i).digest, digest,
                  ENTSEC_SERVER_DIGEST_SIZE) == 0)
        return TRUE;
    }
  return FALSE;
}

/*
 * With the lock held. A nonce that went to the durable cache may be
 * replayed until its forget_after; until the last such time, a nonce not
 * found here goes there too, so that the durable cache can refuse it.
 */
static EntsecNonceCheck
check_locked (EntsecNonceWindow *window,
              const char        *keyid,
              const Entry       *entry,
              gint64             now)
{
  Key *key;

  if (now > window->next_expiry)
    sweep (window, now);
  key = g_hash_table_lookup (window->keys, keyid);
  if (key != NULL && contains (key->entries, entry->digest))
    return ENTSEC_NONCE_REPLAYED;
  window->next_expiry = MIN (window->next_expiry, entry->forget_after);
  if (window->size >= window->max_nonces || window->full_until >= now)
    {
      window->full_until = MAX (window->full_until, entry->forget_after);
      return ENTSEC_NONCE_FULL;
    }
  if (key == NULL)
    {
      key = g_new0 (Key, 1);
      key->entries = g_array_sized_new (FALSE, FALSE, sizeof (Entry), 2);
      g_hash_table_insert (window->keys, g_strdup (keyid), key);
    }
  if (key->entries->len >= window->max_per_key || key->full_until >= now)
    {
      key->full_until = MAX (key->full_until, entry->forget_after);
      return ENTSEC_NONCE_FULL;
    }
  g_array_append_vals (key->entries, entry, 1);
  window->size++;
  return ENTSEC_NONCE_FRESH;
}

EntsecNonceCheck
entsec_nonce_window_check (EntsecNonceWindow *window,
                           const char        *keyid,
                           const char        *nonce,
                           gint64             forget_after,
                           gint64             now)
{
  Entry entry = { .forget_after = forget_after };
  EntsecNonceCheck check;

  g_return_val_if_fail (window != NULL && keyid != NULL && nonce != NULL,
                        ENTSEC_NONCE_FULL);
  /* a digest: the nonce's length is the client's choice, the memory's is not */
  entsec_server_sha256 (nonce, strlen (nonce), entry.digest);
  g_mutex_lock (&window->lock);
  check = check_locked (window, keyid, &entry, now);
  g_mutex_unlock (&window->lock);
  return check;
}

guint
entsec_nonce_window_size (EntsecNonceWindow *window)
{
  guint size;

  g_return_val_if_fail (window != NULL, 0);
  g_mutex_lock (&window->lock);
  size = window->size;
  g_mutex_unlock (&window->lock);
  return size;
}
