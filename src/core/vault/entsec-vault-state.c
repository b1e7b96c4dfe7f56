/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * entsec-vault-state.c: what a UI watches, and how the vault keeps up with
 * other programs.
 *
 * Two locks: the operation mutex serialises calls that talk to SQLite (and
 * may wait for another program's write for a few seconds); the state mutex
 * only guards a pointer to an immutable snapshot (locked, account
 * summaries, quarantined rows, slot table) that readers copy without
 * waiting. Every operation ends by publishing a new snapshot when it changed
 * the model; the change is announced on the vault's main context (the
 * thread-default context of whoever opened or created it).
 *
 * Another program's commit is noticed through PRAGMA data_version, checked
 * when an operation starts and again inside every write transaction, and,
 * for a UI that keeps the vault open, through a file monitor on the WAL.
 */

#define G_LOG_DOMAIN "entsec-vault"

#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "entsec-vault-private.h"

struct _VaultState
{
  gboolean               unlocked;
  GPtrArray             *summaries;   /* EntsecAccountSummary, sorted */
  guint64               *versions;    /* each summary's row version; NULL: not known */
  GPtrArray             *quarantined; /* EntsecVaultQuarantined */
  EntsecVaultSlotInfo   *slots;
  gsize                  n_slots;
};

static void
vault_state_clear (VaultState *state)
{
  g_clear_pointer (&state->summaries, g_ptr_array_unref);
  g_clear_pointer (&state->versions, g_free);
  g_clear_pointer (&state->quarantined, g_ptr_array_unref);
  g_clear_pointer (&state->slots, g_free);
}

VaultState *
vault_state_ref (VaultState *state)
{
  return g_atomic_rc_box_acquire (state);
}

void
vault_state_unref (VaultState *state)
{
  g_atomic_rc_box_release_full (state, (GDestroyNotify) vault_state_clear);
}

gint
vault_compare_accounts (gconstpointer a,
                        gconstpointer b)
{
  const EntsecAccount *x = *(EntsecAccount * const *) a;
  const EntsecAccount *y = *(EntsecAccount * const *) b;

  if (x->favourite != y->favourite)
    return x->favourite ? -1 : 1;
  if (x->position != y->position)
    return x->position < y->position ? -1 : 1;
  return x->id < y->id ? -1 : (x->id > y->id);
}

/* Where each account of @old is: id -> index, keyed by @ids (filled here). */
static GHashTable *
index_old (const VaultState *old,
           gint64          **ids)
{
  GHashTable *table = g_hash_table_new (g_int64_hash, g_int64_equal);

  *ids = g_new (gint64, MAX (old->summaries->len, 1));
  for (guint i = 0; i < old->summaries->len; i++)
    {
      (*ids)[i] = entsec_account_summary_get_id (g_ptr_array_index (old->summaries, i));
      g_hash_table_insert (table, &(*ids)[i], GUINT_TO_POINTER (i));
    }
  return table;
}

/*
 * The summary @old showed for @account when its row is still at @version
 * (the same object tells the accounts model the row did not change), or NULL.
 */
static EntsecAccountSummary *
reuse_summary (const VaultState    *old,
               GHashTable          *old_at,
               const EntsecAccount *account,
               guint64              version)
{
  gpointer at;

  if (old_at == NULL || !g_hash_table_lookup_extended (old_at, &account->id, NULL, &at)
      || old->versions[GPOINTER_TO_UINT (at)] != version)
    return NULL;
  return g_object_ref (g_ptr_array_index (old->summaries, GPOINTER_TO_UINT (at)));
}

/* @state's summaries in the vault's order, with their row versions when the format has them. */
static void
build_summaries (EntsecVault      *vault,
                 const VaultState *old,
                 VaultState       *state)
{
  g_autoptr (GPtrArray) sorted = g_ptr_array_copy (vault->accounts, NULL, NULL);
  g_autofree gint64 *old_ids = NULL;
  g_autoptr (GHashTable) old_at = NULL;

  /* The copy shares the accounts: it must not free them (it inherits the free func). */
  g_ptr_array_set_free_func (sorted, NULL);
  g_ptr_array_sort (sorted, vault_compare_accounts);
  state->summaries = g_ptr_array_new_full (sorted->len, g_object_unref);
  if (vault->index != NULL)
    state->versions = g_new0 (guint64, MAX (sorted->len, 1));
  if (state->versions != NULL && old != NULL && old->versions != NULL)
    old_at = index_old (old, &old_ids);
  for (guint i = 0; i < sorted->len; i++)
    {
      const EntsecAccount *account = g_ptr_array_index (sorted, i);
      EntsecAccountSummary *summary = NULL;
      guint64 version = 0;

      if (state->versions != NULL
          && vault_index_get_account (vault->index, account->id, &version))
        summary = reuse_summary (old, old_at, account, version);
      if (state->versions != NULL)
        state->versions[i] = version;
      if (summary == NULL)
        summary = entsec_account_summary_new_from_account (account);
      g_ptr_array_add (state->summaries, summary);
    }
}

static gpointer
copy_quarantined (gconstpointer src,
                  gpointer      user_data)
{
  const EntsecVaultQuarantined *item = src;
  EntsecVaultQuarantined *copy = g_new0 (EntsecVaultQuarantined, 1);

  copy->id = item->id;
  copy->reason = g_strdup (item->reason);
  return copy;
}

static VaultState *
build_state (EntsecVault      *vault,
             const VaultState *old)
{
  VaultState *state = g_atomic_rc_box_new0 (VaultState);

  state->unlocked = vault->dek != NULL;
  build_summaries (vault, old, state);
  state->quarantined = g_ptr_array_copy (vault->quarantined, copy_quarantined, NULL);
  g_ptr_array_set_free_func (state->quarantined,
                             (GDestroyNotify) entsec_vault_quarantined_free);
  state->slots = vault_slot_infos (vault, &state->n_slots);
  return state;
}

VaultState *
vault_dup_state (EntsecVault *vault)
{
  VaultState *state;

  g_mutex_lock (&vault->state_mutex);
  state = vault_state_ref (vault->state);
  g_mutex_unlock (&vault->state_mutex);
  return state;
}

/* ---- Announcing changes on the main context ------------------------------ */

static gboolean
announce_cb (gpointer data)
{
  GWeakRef *weak = data;
  g_autoptr (EntsecVault) vault = g_weak_ref_get (weak);
  g_autoptr (VaultState) state = NULL;
  gboolean locked;

  if (vault == NULL)
    return G_SOURCE_REMOVE;
  g_atomic_int_set (&vault->announce_pending, 0);
  state = vault_dup_state (vault);
  locked = !state->unlocked;
  if (vault->model != NULL)
    {
      vault_model_update (vault->model, vault->model_state->summaries, state->summaries);
      vault_state_unref (vault->model_state);
      vault->model_state = vault_state_ref (state);
    }
  if (locked != vault->announced_locked)
    {
      vault->announced_locked = locked;
      g_object_notify (G_OBJECT (vault), "locked");
    }
  g_signal_emit_by_name (vault, "changed");
  return G_SOURCE_REMOVE;
}

static void
weak_ref_free (gpointer data)
{
  g_weak_ref_clear (data);
  g_free (data);
}

static gboolean vault_on_own_context (EntsecVault *vault);

static void
announce (EntsecVault *vault)
{
  GWeakRef *weak;

  if (!g_atomic_int_compare_and_exchange (&vault->announce_pending, 0, 1))
    return;
  weak = g_new0 (GWeakRef, 1);
  g_weak_ref_init (weak, vault);
  if (vault_on_own_context (vault))
    {
      /* The vault's own thread: at once when nothing else runs its context. */
      g_main_context_invoke_full (vault->context, G_PRIORITY_DEFAULT, announce_cb, weak,
                                  weak_ref_free);
    }
  else
    {
      /* Another thread (a worker, a GTask): never here, where the model
       * must not be touched, even when no one holds the context right now
       * (g_main_context_invoke would then run it in this thread). */
      g_autoptr (GSource) source = g_idle_source_new ();

      g_source_set_priority (source, G_PRIORITY_DEFAULT);
      g_source_set_callback (source, announce_cb, weak, weak_ref_free);
      g_source_set_static_name (source, "[entsec] vault announce");
      g_source_attach (source, vault->context);
    }
}

/* Replace the snapshot readers see (op mutex held). */
static void
swap_state (EntsecVault *vault)
{
  /* Only operations replace the snapshot, and this one holds the op mutex. */
  VaultState *state = build_state (vault, vault->state);
  VaultState *old;

  g_mutex_lock (&vault->state_mutex);
  old = vault->state;
  vault->state = state;
  g_mutex_unlock (&vault->state_mutex);
  g_clear_pointer (&old, vault_state_unref);
  vault->dirty = FALSE;
}

void
vault_publish (EntsecVault *vault)
{
  swap_state (vault);
  announce (vault);
}

/* The first snapshot, before anyone holds the vault: nothing to announce. */
void
vault_publish_initial (EntsecVault *vault)
{
  swap_state (vault);
  vault->announced_locked = vault->dek == NULL;
}

/* ---- Operations ----------------------------------------------------------- */

static gboolean
query_data_version (EntsecVault *vault,
                    gint64      *version)
{
  sqlite3_stmt *stmt = NULL;
  gboolean ok = FALSE;

  if (sqlite3_prepare_v2 (vault->db, "PRAGMA data_version", -1, &stmt, NULL) == SQLITE_OK
      && sqlite3_step (stmt) == SQLITE_ROW)
    {
      *version = sqlite3_column_int64 (stmt, 0);
      ok = TRUE;
    }
  sqlite3_finalize (stmt);
  return ok;
}

void
vault_note_data_version (EntsecVault *vault)
{
  gint64 version;

  if (vault->db != NULL && query_data_version (vault, &version))
    vault->data_version = version;
}

/*
 * Another program committed: re-read the slot table and, when unlocked, the
 * rows. If its key slots no longer match our data key (the passphrase was
 * changed or a slot removed there, which rotates the key), the vault locks
 * itself and says why.
 */
static gboolean
reload (EntsecVault *vault,
        GError     **error)
{
  /* Another program may have upgraded the file's format meanwhile. */
  vault->format = vault_db_format (vault->db);
  if (!vault_reload_slots (vault, error))
    return FALSE;
  vault->dirty = TRUE;
  if (vault->dek == NULL)
    return TRUE;
  if (!vault_verify_header (vault, vault->dek, NULL)
      || (vault->format >= 2 && !vault_read_index (vault, NULL)))
    {
      vault_lock_model (vault);
      g_free (vault->lock_reason);
      vault->lock_reason = g_strdup ("The vault's keys were changed by another program (a "
                                     "passphrase change or a removed slot); unlock it again");
      return vault_check_unlocked (vault, error);
    }
  return vault_load_rows (vault, error);
}

gboolean
vault_read_begin (EntsecVault *vault)
{
  if (!sqlite3_get_autocommit (vault->db))
    return FALSE;
  return sqlite3_exec (vault->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
}

void
vault_read_end (EntsecVault *vault,
                gboolean     started)
{
  if (started)
    sqlite3_exec (vault->db, "COMMIT", NULL, NULL, NULL);
}

gboolean
vault_refresh (EntsecVault *vault,
               gboolean    *changed,
               GError     **error)
{
  gint64 version;
  gboolean started, ok;

  if (changed != NULL)
    *changed = FALSE;
  if (vault->db == NULL || !query_data_version (vault, &version)
      || version == vault->data_version)
    return TRUE;
  if (changed != NULL)
    *changed = TRUE;
  /* Slots, index and rows from one snapshot: another commit may land between
   * two reads otherwise, and rows newer than their index would not load. */
  started = vault_read_begin (vault);
  query_data_version (vault, &version);
  vault->data_version = version;
  ok = reload (vault, error);
  vault_read_end (vault, started);
  return ok;
}

VaultOp *
vault_op_begin (EntsecVault *vault)
{
  g_mutex_lock (&vault->mutex);
  /* A failed refresh shows up again in the operation itself. */
  vault_refresh (vault, NULL, NULL);
  return (VaultOp *) vault;
}

void
vault_op_end (VaultOp *op)
{
  EntsecVault *vault = (EntsecVault *) op;

  if (vault->dirty)
    vault_publish (vault);
  g_mutex_unlock (&vault->mutex);
}

/* ---- Busy ---------------------------------------------------------------- */

static void
task_completed_cb (GTask      *task,
                   GParamSpec *pspec,
                   gpointer    user_data)
{
  EntsecVault *vault = g_task_get_source_object (task);

  if (g_atomic_int_dec_and_test (&vault->busy))
    g_object_notify (G_OBJECT (vault), "busy");
}

GTask *
vault_task_new (EntsecVault        *vault,
                GCancellable       *cancellable,
                GAsyncReadyCallback callback,
                gpointer            user_data)
{
  GTask *task = g_task_new (vault, cancellable, callback, user_data);

  /* The count goes up and down on the caller's context: "busy" is notified there. */
  if (g_atomic_int_add (&vault->busy, 1) == 0)
    g_object_notify (G_OBJECT (vault), "busy");
  g_signal_connect (task, "notify::completed", G_CALLBACK (task_completed_cb), NULL);
  return task;
}

void
vault_task_run (EntsecVault        *vault,
                GCancellable       *cancellable,
                GAsyncReadyCallback callback,
                gpointer            user_data,
                gpointer            source_tag,
                gpointer            task_data,
                GDestroyNotify      task_data_free,
                GTaskThreadFunc     thread)
{
  g_autoptr (GTask) task = vault_task_new (vault, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  if (task_data != NULL)
    g_task_set_task_data (task, task_data, task_data_free);
  g_task_run_in_thread (task, thread);
}

/* ---- Public: state ---------------------------------------------------------- */

gboolean
entsec_vault_is_unlocked (EntsecVault *vault)
{
  g_autoptr (VaultState) state = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  state = vault_dup_state (vault);
  return state->unlocked;
}

gboolean
entsec_vault_is_busy (EntsecVault *vault)
{
  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  return g_atomic_int_get (&vault->busy) > 0;
}

gboolean
entsec_vault_is_read_only (EntsecVault *vault)
{
  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  return vault->read_only != 0;
}

guint
entsec_vault_get_failed_unlocks (EntsecVault *vault)
{
  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), 0);
  return (guint) g_atomic_int_get (&vault->failed_unlocks);
}

GPtrArray *
entsec_vault_list_accounts (EntsecVault *vault)
{
  g_autoptr (VaultState) state = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);
  state = vault_dup_state (vault);
  return g_ptr_array_copy (state->summaries, (GCopyFunc) (void (*) (void)) g_object_ref, NULL);
}

GPtrArray *
entsec_vault_list_quarantined (EntsecVault *vault)
{
  g_autoptr (VaultState) state = NULL;
  GPtrArray *list;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);
  state = vault_dup_state (vault);
  list = g_ptr_array_copy (state->quarantined, copy_quarantined, NULL);
  g_ptr_array_set_free_func (list, (GDestroyNotify) entsec_vault_quarantined_free);
  return list;
}

EntsecVaultSlotInfo *
entsec_vault_list_slots (EntsecVault *vault,
                         gsize       *n_slots)
{
  g_autoptr (VaultState) state = NULL;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);
  state = vault_dup_state (vault);
  if (n_slots != NULL)
    *n_slots = state->n_slots;
  return g_memdup2 (state->slots, (state->n_slots + 1) * sizeof (EntsecVaultSlotInfo));
}

/* ---- Public: refresh and the list model ----------------------------------- */

gboolean
entsec_vault_refresh_sync (EntsecVault  *vault,
                           gboolean     *changed,
                           GCancellable *cancellable,
                           GError      **error)
{
  g_autoptr (VaultOp) op = NULL;
  gboolean any = FALSE;

  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), FALSE);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  g_mutex_lock (&vault->mutex);
  op = (VaultOp *) vault;
  if (!vault_refresh (vault, &any, error))
    return FALSE;
  if (changed != NULL)
    *changed = any;
  return TRUE;
}

static void
refresh_thread (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  GError *error = NULL;
  gboolean changed = FALSE;

  if (entsec_vault_refresh_sync (source, &changed, cancellable, &error))
    g_task_return_boolean (task, changed);
  else
    g_task_return_error (task, error);
}

void
entsec_vault_refresh_async (EntsecVault        *vault,
                            GCancellable       *cancellable,
                            GAsyncReadyCallback callback,
                            gpointer            user_data)
{
  g_return_if_fail (ENTSEC_IS_VAULT (vault));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));
  vault_task_run (vault, cancellable, callback, user_data, entsec_vault_refresh_async, NULL, NULL,
                  refresh_thread);
}

gboolean
entsec_vault_refresh_finish (EntsecVault  *vault,
                             GAsyncResult *result,
                             gboolean     *changed,
                             GError      **error)
{
  g_autoptr (GError) local_error = NULL;
  gboolean value;

  g_return_val_if_fail (g_task_is_valid (result, vault), FALSE);
  value = g_task_propagate_boolean (G_TASK (result), &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (changed != NULL)
    *changed = value;
  return TRUE;
}

static void
monitor_refresh_done (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  EntsecVault *vault = ENTSEC_VAULT (source);
  g_autoptr (GError) error = NULL;

  vault->monitor_refreshing = FALSE;
  if (!entsec_vault_refresh_finish (vault, result, NULL, &error))
    g_debug ("Reading another program's change failed: %s", error->message);
  if (vault->monitor_again)
    {
      vault->monitor_again = FALSE;
      vault->monitor_refreshing = TRUE;
      entsec_vault_refresh_async (vault, NULL, monitor_refresh_done, NULL);
    }
}

static void
wal_changed_cb (GFileMonitor     *monitor,
                GFile            *file,
                GFile            *other,
                GFileMonitorEvent event,
                gpointer          user_data)
{
  EntsecVault *vault = user_data;

  if (event != G_FILE_MONITOR_EVENT_CHANGES_DONE_HINT && event != G_FILE_MONITOR_EVENT_CHANGED
      && event != G_FILE_MONITOR_EVENT_CREATED)
    return;
  if (vault->monitor_refreshing)
    {
      vault->monitor_again = TRUE;
      return;
    }
  vault->monitor_refreshing = TRUE;
  entsec_vault_refresh_async (vault, NULL, monitor_refresh_done, NULL);
}

static void
start_monitor (EntsecVault *vault)
{
  g_autofree char *wal_path = g_strconcat (vault->path, "-wal", NULL);
  g_autoptr (GFile) wal = g_file_new_for_path (wal_path);
  g_autoptr (GError) error = NULL;

  vault->monitor = g_file_monitor_file (wal, G_FILE_MONITOR_NONE, NULL, &error);
  if (vault->monitor == NULL)
    {
      g_debug ("Changes made by other programs will show on the next operation only: %s",
               error->message);
      return;
    }
  g_signal_connect (vault->monitor, "changed", G_CALLBACK (wal_changed_cb), vault);
}

/* The model and the monitor live on the vault's context and nowhere else. */
static gboolean
vault_on_own_context (EntsecVault *vault)
{
  GMainContext *here = g_main_context_get_thread_default ();

  return (here != NULL ? here : g_main_context_default ()) == vault->context;
}

GListModel *
entsec_vault_get_accounts_model (EntsecVault *vault)
{
  g_return_val_if_fail (ENTSEC_IS_VAULT (vault), NULL);
  g_return_val_if_fail (vault_on_own_context (vault), NULL);
  if (vault->model != NULL)
    return G_LIST_MODEL (vault->model);
  vault->model = g_list_store_new (ENTSEC_TYPE_ACCOUNT_SUMMARY);
  vault->model_state = vault_dup_state (vault);
  g_list_store_splice (vault->model, 0, 0, vault->model_state->summaries->pdata,
                       vault->model_state->summaries->len);
  start_monitor (vault);
  return G_LIST_MODEL (vault->model);
}

/* ---- GObject ---------------------------------------------------------------- */

void
vault_state_init (EntsecVault *vault)
{
  g_mutex_init (&vault->state_mutex);
  vault->context = g_main_context_ref_thread_default ();
  vault->state = build_state (vault, NULL);
  vault->announced_locked = TRUE;
}

void
vault_state_finalize (EntsecVault *vault)
{
  if (vault->monitor != NULL)
    {
      g_signal_handlers_disconnect_by_data (vault->monitor, vault);
      g_file_monitor_cancel (vault->monitor);
      g_clear_object (&vault->monitor);
    }
  g_clear_object (&vault->model);
  g_clear_pointer (&vault->model_state, vault_state_unref);
  g_clear_pointer (&vault->state, vault_state_unref);
  g_clear_pointer (&vault->context, g_main_context_unref);
  g_free (vault->lock_reason);
  g_mutex_clear (&vault->state_mutex);
}

void
vault_set_context (EntsecVault  *vault,
                   GMainContext *context)
{
  GMainContext *old = vault->context;

  vault->context = g_main_context_ref (context);
  g_main_context_unref (old);
}
