/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test-vault-crash.c: the kill -9 loop (RL-1). A child process adds, edits,
 * deletes and advances HOTP counters; it announces each operation on a pipe
 * before starting it and acknowledges it after the commit returned. The
 * parent SIGKILLs the child at a random moment, then checks that the file
 * passes PRAGMA integrity_check, still unlocks, has no quarantined row, and
 * holds every acknowledged change (the one operation in flight may or may
 * not have happened, but not half of it). Passphrase changes are part of
 * the mix: afterwards exactly one of the old and the new passphrase opens.
 *
 * Iterations: ENTSEC_CRASH_ITERATIONS (default 200; bench/ runs 1,000).
 * No sleeping: the kill lands after a random number of acknowledgements
 * plus a random amount of busy work, so it hits every phase of a commit.
 */

#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <entsec/entsec.h>

#include "vault-test-util.h"

#define LABEL_SIZE 40

typedef enum
{
  OP_ADD = 'a',
  OP_EDIT = 'e',
  OP_DELETE = 'd',
  OP_HOTP = 'h',
  OP_PASSWD = 'p',
} Op;

/* One pipe message; smaller than PIPE_BUF, so each write is atomic. */
typedef struct
{
  char    kind; /* 'I' intent, 'A' acknowledged */
  char    op;
  gint64  id;
  guint64 counter;
  char    label[LABEL_SIZE];
} Message;

typedef struct
{
  char    label[LABEL_SIZE];
  guint64 counter;
} Expected;

/* Passphrase number @n: the vault starts with number 0. */
static char *
passphrase_for (guint64 n)
{
  return n == 0 ? g_strdup ("p") : g_strdup_printf ("pass-%" G_GUINT64_FORMAT, n);
}

/* ---- Child ---------------------------------------------------------------- */

static void
send (int            fd,
      const Message *message)
{
  if (write (fd, message, sizeof *message) != (ssize_t) sizeof *message)
    _exit (3);
}

static gint64
random_id (EntsecVault *vault,
           GRand       *rand)
{
  g_autoptr (GPtrArray) list = vt_list (vault);

  if (list->len == 0)
    return 0;
  return ((EntsecAccount *) g_ptr_array_index (list,
                                               g_rand_int_range (rand, 0, (gint32) list->len)))->id;
}

static gboolean
child_add (EntsecVault *vault,
           Message     *m,
           int          fd,
           guint        serial)
{
  g_autoptr (GPtrArray) batch =
    g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  EntsecAccount *account = vt_account ("Crash", NULL, (guint8) serial);

  g_snprintf (m->label, LABEL_SIZE, "acct-%d-%u", getpid (), serial);
  g_free (account->label);
  account->label = g_strdup (m->label);
  account->type = ENTSEC_ACCOUNT_HOTP;
  g_ptr_array_add (batch, account);
  send (fd, m);
  if (!vt_add_batch (vault, batch, ENTSEC_VAULT_ADD_NONE, NULL, NULL))
    return FALSE;
  m->id = account->id;
  return TRUE;
}

static gboolean
child_edit (EntsecVault *vault,
            Message     *m,
            int          fd,
            guint        serial)
{
  g_autoptr (EntsecAccount) account = entsec_vault_get_account_sync (vault, m->id, NULL, NULL);

  g_snprintf (m->label, LABEL_SIZE, "edit-%d-%u", getpid (), serial);
  m->counter = account->counter;
  send (fd, m);
  g_free (account->label);
  account->label = g_strdup (m->label);
  return entsec_vault_update_account_sync (vault, account, NULL, NULL);
}

static gboolean
child_hotp (EntsecVault *vault,
            Message     *m,
            int          fd)
{
  g_autoptr (EntsecAccount) account = entsec_vault_get_account_sync (vault, m->id, NULL, NULL);
  char code[ENTSEC_OTP_CODE_SIZE];

  g_strlcpy (m->label, account->label, LABEL_SIZE);
  m->counter = account->counter + 1;
  send (fd, m);
  return entsec_vault_compute_code_sync (vault, m->id, 0, code, NULL, NULL);
}

static gboolean
child_passwd (EntsecVault *vault,
              Message     *m,
              int          fd,
              GRand       *rand)
{
  g_autofree char *passphrase = NULL;

  m->id = 0;
  m->counter = (guint64) g_rand_int_range (rand, 1, 1000000);
  passphrase = passphrase_for (m->counter);
  send (fd, m);
  return entsec_vault_change_passphrase_sync (vault, passphrase, strlen (passphrase), &vt_fast_kdf,
                                              NULL, NULL);
}

/* One random operation: intent, transaction, acknowledgement. */
static gboolean
child_step (EntsecVault *vault,
            GRand       *rand,
            int          fd,
            guint        serial)
{
  Message m = { .kind = 'I' };
  gint32 dice = g_rand_int_range (rand, 0, 100);
  gboolean ok;

  m.id = random_id (vault, rand);
  m.op = (m.id == 0 || dice < 40) ? OP_ADD : dice < 65 ? OP_EDIT : dice < 80 ? OP_DELETE
         : dice < 92 ? OP_HOTP : OP_PASSWD;
  if (m.op == OP_PASSWD)
    ok = child_passwd (vault, &m, fd, rand);
  else if (m.op == OP_ADD)
    ok = child_add (vault, &m, fd, serial);
  else if (m.op == OP_EDIT)
    ok = child_edit (vault, &m, fd, serial);
  else if (m.op == OP_HOTP)
    ok = child_hotp (vault, &m, fd);
  else
    {
      send (fd, &m);
      ok = entsec_vault_delete_account_sync (vault, m.id, NULL, NULL);
    }
  m.kind = 'A';
  if (ok)
    send (fd, &m);
  return ok;
}

static G_NORETURN void
run_child (const char *path,
           const char *key,
           guint32     seed,
           int         fd)
{
  g_autoptr (EntsecVault) vault = entsec_vault_open_sync (path, NULL, NULL);
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);

  if (vault == NULL || !entsec_vault_unlock_recovery_sync (vault, key, NULL, NULL))
    _exit (2);
  for (guint serial = 0;; serial++)
    {
      if (!child_step (vault, rand, fd, serial))
        _exit (4);
    }
}

/* ---- Parent --------------------------------------------------------------- */

typedef struct
{
  GHashTable *model;     /* id -> Expected */
  Message     in_flight; /* last intent without its acknowledgement */
  gboolean    pending;
  guint       acks;
  guint64     passphrase; /* number of the acknowledged passphrase */
  guint       passwd_in_flight; /* kills during a passphrase change */
} Model;

static void
apply (Model         *model,
       const Message *m)
{
  Expected *e;

  if (m->op == OP_PASSWD)
    {
      model->passphrase = m->counter;
      return;
    }
  if (m->op == OP_DELETE)
    {
      g_hash_table_remove (model->model, &m->id);
      return;
    }
  e = g_hash_table_lookup (model->model, &m->id);
  if (e == NULL)
    {
      gint64 *id = g_memdup2 (&m->id, sizeof m->id);

      e = g_new0 (Expected, 1);
      g_hash_table_insert (model->model, id, e);
    }
  g_strlcpy (e->label, m->label, LABEL_SIZE);
  e->counter = m->counter;
}

static void
receive (Model         *model,
         const Message *m)
{
  if (m->kind == 'I')
    {
      model->in_flight = *m;
      model->pending = TRUE;
      return;
    }
  apply (model, m);
  model->pending = FALSE;
  model->acks++;
}

/* Read messages until @target acknowledgements arrived or the pipe closed. */
static void
read_until (Model *model,
            int    fd,
            guint  target)
{
  Message m;

  while (model->acks < target)
    {
      ssize_t n = read (fd, &m, sizeof m);

      if (n == 0)
        return;
      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, ==, sizeof m);
      receive (model, &m);
    }
}

static void
assert_integrity (const char *path)
{
  sqlite3 *db = vt_db (path);
  sqlite3_stmt *stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "PRAGMA integrity_check", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 0), ==, "ok");
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

/* Is @a what the in-flight operation would have made of row @id? */
static gboolean
matches_in_flight (const Model         *model,
                   const EntsecAccount *a)
{
  const Message *m = &model->in_flight;

  if (!model->pending || m->op == OP_PASSWD || (m->op != OP_ADD && m->id != a->id))
    return FALSE;
  if (m->op == OP_ADD)
    return g_strcmp0 (a->label, m->label) == 0;
  if (m->op == OP_HOTP)
    return a->counter == m->counter;
  return m->op == OP_EDIT && g_strcmp0 (a->label, m->label) == 0;
}

static gboolean
passphrase_unlocks (const char *path,
                    guint64     n)
{
  g_autoptr (EntsecVault) vault = entsec_vault_open_sync (path, NULL, NULL);
  g_autofree char *passphrase = passphrase_for (n);

  g_assert_nonnull (vault);
  return entsec_vault_unlock_passphrase_sync (vault, passphrase, strlen (passphrase), NULL, NULL);
}

/* RL-4: exactly the acknowledged passphrase opens, or the one being set when killed. */
static void
verify_passphrase (Model      *model,
                   const char *path)
{
  gboolean in_flight = model->pending && model->in_flight.op == OP_PASSWD;

  model->passwd_in_flight += in_flight;
  if (passphrase_unlocks (path, model->passphrase))
    {
      if (in_flight)
        g_assert_false (passphrase_unlocks (path, model->in_flight.counter));
      return;
    }
  g_assert_true (in_flight);
  g_assert_true (passphrase_unlocks (path, model->in_flight.counter));
  model->passphrase = model->in_flight.counter;
}

/* Check the vault against the model, then adopt what the in-flight op did. */
static void
verify (Model      *model,
        const char *path,
        const char *key)
{
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GPtrArray) quarantined = NULL;
  g_autoptr (GError) error = NULL;
  guint found = 0;

  assert_integrity (path);
  verify_passphrase (model, path);
  vault = entsec_vault_open_sync (path, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (entsec_vault_unlock_recovery_sync (vault, key, NULL, &error));
  list = vt_list (vault);
  quarantined = entsec_vault_list_quarantined (vault);
  g_assert_cmpuint (quarantined->len, ==, 0);
  for (guint i = 0; i < list->len; i++)
    {
      EntsecAccount *a = g_ptr_array_index (list, i);
      Expected *e = g_hash_table_lookup (model->model, &a->id);
      Message adopt = { .kind = 'A', .id = a->id, .counter = a->counter };

      if (e != NULL && strcmp (e->label, a->label) == 0 && e->counter == a->counter)
        {
          found++;
          continue;
        }
      /* Anything else must be exactly the one operation that was in flight. */
      g_assert_true (matches_in_flight (model, a));
      found++;
      g_strlcpy (adopt.label, a->label, LABEL_SIZE);
      apply (model, &adopt);
    }
  if (found < g_hash_table_size (model->model))
    {
      /* A missing row may only be the in-flight delete. */
      g_assert_true (model->pending && model->in_flight.op == OP_DELETE);
      g_assert_cmpuint (found + 1, ==, g_hash_table_size (model->model));
      g_hash_table_remove (model->model, &model->in_flight.id);
    }
  model->pending = FALSE;
}

static void
one_iteration (Model      *model,
               const char *path,
               const char *key,
               GRand      *rand)
{
  int fds[2];
  pid_t pid;
  int status;
  guint target;
  volatile guint spin = 0;

  g_assert_cmpint (pipe (fds), ==, 0);
  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      close (fds[0]);
      run_child (path, key, g_rand_int (rand), fds[1]);
    }
  close (fds[1]);
  model->acks = 0;
  target = (guint) g_rand_int_range (rand, 0, 12);
  read_until (model, fds[0], target);
  for (guint i = g_rand_int_range (rand, 0, 200000); i > 0; i--)
    spin++;
  kill (pid, SIGKILL);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  /* Acknowledgements written before the kill count too. */
  read_until (model, fds[0], G_MAXUINT);
  close (fds[0]);
  g_assert_true (WIFSIGNALED (status) && WTERMSIG (status) == SIGKILL);
  verify (model, path, key);
}

static void
test_kill_loop (void)
{
  g_autofree char *dir = g_dir_make_tmp ("test-vault-crash-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "crash.db", NULL);
  const char *env = g_getenv ("ENTSEC_CRASH_ITERATIONS");
  guint iterations = env != NULL ? (guint) g_ascii_strtoull (env, NULL, 10) : 200;
  g_autoptr (GRand) rand = g_rand_new ();
  g_autoptr (EntsecVault) vault = NULL;
  g_autofree char *key = NULL;
  Model model = { 0 };

  model.model = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  vault = entsec_vault_create_sync (path, FALSE, "p", 1, &vt_fast_kdf, NULL, NULL);
  key = entsec_vault_add_recovery_slot_sync (vault, NULL, NULL);
  g_assert_nonnull (key);
  g_clear_object (&vault);
  for (guint i = 0; i < iterations; i++)
    one_iteration (&model, path, key, rand);
  g_test_message ("%u kills (%u during a passphrase change); %u accounts at the end", iterations,
                  model.passwd_in_flight, g_hash_table_size (model.model));
  g_hash_table_unref (model.model);
  vt_remove_tree (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/vault-crash/kill-loop", test_kill_loop);
  return g_test_run ();
}
