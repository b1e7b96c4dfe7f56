/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-vault-model.c: bring the accounts model from one snapshot to the
 * next with as few items-changed as it takes.
 *
 * A snapshot reuses the summary object of every account whose row version
 * did not change (see build_summaries() in entsec-vault-state.c), so "the
 * same object" means "unchanged" here, and the walk below only has to find
 * removals, insertions and moves by account id. Replacing the whole list
 * instead made a list view rebind every row and a sort model re-sort every
 * account on each change, for 1,000 accounts a stall of a second.
 */

#define G_LOG_DOMAIN "entsec-vault"

#include "config.h"

#include "entsec-vault-private.h"

/* The changes to the store not applied yet: one contiguous splice. */
typedef struct
{
  GListStore *store;
  guint       position; /* where the run starts: every item before it is final */
  guint       removed;
  GPtrArray  *added;    /* borrowed summaries */
} Run;

static void
run_flush (Run *run)
{
  if (run->removed == 0 && run->added->len == 0)
    return;
  g_list_store_splice (run->store, run->position, run->removed, run->added->pdata,
                       run->added->len);
  run->position += run->added->len;
  run->removed = 0;
  g_ptr_array_set_size (run->added, 0);
}

/* Ids of @list's summaries, and a table from each id to its index + 1. */
static GHashTable *
index_by_id (GPtrArray *list,
             gint64   **ids)
{
  GHashTable *table = g_hash_table_new (g_int64_hash, g_int64_equal);

  *ids = g_new (gint64, MAX (list->len, 1));
  for (guint i = 0; i < list->len; i++)
    {
      (*ids)[i] = entsec_account_summary_get_id (g_ptr_array_index (list, i));
      g_hash_table_insert (table, &(*ids)[i], GUINT_TO_POINTER (i + 1));
    }
  return table;
}

/* The index of @id in a table from index_by_id(), or -1. */
static gint64
lookup (GHashTable *table,
        gint64      id)
{
  return (gint64) GPOINTER_TO_UINT (g_hash_table_lookup (table, &id)) - 1;
}

typedef enum
{
  STEP_KEEP,
  STEP_REPLACE,
  STEP_REMOVE,
  STEP_INSERT,
} Step;

/*
 * Old item @i and new item @j differ in id. Drop the old one when it is gone
 * or comes later in the new list than the new one does in the old: a single
 * move then costs one removal and one insertion whichever way it goes.
 */
static Step
choose_step (GHashTable *old_at,
             GHashTable *new_at,
             guint       i,
             guint       j,
             gint64      old_id,
             gint64      new_id)
{
  gint64 in_new = lookup (new_at, old_id);
  gint64 in_old = lookup (old_at, new_id);

  if (in_new < 0)
    return STEP_REMOVE;
  if (in_old < (gint64) i)
    return STEP_INSERT;
  return in_old - i < in_new - j ? STEP_REMOVE : STEP_INSERT;
}

void
vault_model_update (GListStore *store,
                    GPtrArray  *old,
                    GPtrArray  *new)
{
  g_autofree gint64 *old_ids = NULL;
  g_autofree gint64 *new_ids = NULL;
  g_autoptr (GHashTable) old_at = index_by_id (old, &old_ids);
  g_autoptr (GHashTable) new_at = index_by_id (new, &new_ids);
  /* Ids inserted before their old place was reached: removed when it is. */
  g_autoptr (GHashTable) moved_up = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autoptr (GPtrArray) added = g_ptr_array_new ();
  Run run = { store, 0, 0, added };
  guint i = 0, j = 0;

  g_assert (g_list_model_get_n_items (G_LIST_MODEL (store)) == old->len);
  while (i < old->len || j < new->len)
    {
      Step step;

      if (i < old->len && g_hash_table_contains (moved_up, &old_ids[i]))
        step = STEP_REMOVE;
      else if (i == old->len)
        step = STEP_INSERT;
      else if (j == new->len)
        step = STEP_REMOVE;
      else if (old_ids[i] == new_ids[j])
        step = g_ptr_array_index (old, i) == g_ptr_array_index (new, j) ? STEP_KEEP : STEP_REPLACE;
      else
        step = choose_step (old_at, new_at, i, j, old_ids[i], new_ids[j]);

      if (step == STEP_KEEP)
        {
          run_flush (&run);
          run.position++;
        }
      if (step == STEP_REPLACE || step == STEP_REMOVE)
        run.removed++;
      if (step == STEP_REPLACE || step == STEP_INSERT)
        g_ptr_array_add (run.added, g_ptr_array_index (new, j));
      if (step == STEP_INSERT && i < old->len && lookup (old_at, new_ids[j]) >= (gint64) i)
        g_hash_table_add (moved_up, &new_ids[j]);
      i += step != STEP_INSERT;
      j += step != STEP_REMOVE;
    }
  run_flush (&run);
}
