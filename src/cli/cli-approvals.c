/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cli-approvals.c: the enterprise events of an enrolled vault (watch) and
 * its sign-in approvals (approvals, approve, deny)
 */

#include "config.h"

#include <string.h>

#include <glib-unix.h>
#include <jansson.h>

#include "cli-private.h"

#define WATCH_WAIT_DEFAULT 25

static json_t *
approval_to_json (const EntsecApproval *approval)
{
  json_t *choices = json_array ();

  for (gsize i = 0; approval->choices != NULL && approval->choices[i] != 0; i++)
    json_array_append_new (choices, json_integer (approval->choices[i]));
  return json_pack ("{s:s, s:I, s:I, s:s, s:o, s:o}",
                    "challenge_id", approval->challenge_id,
                    "issued_at", (json_int_t) approval->issued_at,
                    "expires_at", (json_int_t) approval->expires_at,
                    "mode", approval->mode,
                    "choices", choices,
                    "context", json_loads (approval->context_json, 0, NULL));
}

static json_t *
event_to_json (const EntsecEnterpriseEvent *event)
{
  return json_pack ("{s:I, s:s, s:I, s:o?, s:s?, s:s?, s:b, s:s?}",
                    "seq", (json_int_t) event->seq,
                    "type", event->type,
                    "created", (json_int_t) event->created,
                    "approval", event->approval != NULL ? approval_to_json (event->approval)
                                                        : NULL,
                    "command_id", event->command_id,
                    "command", event->command,
                    "duplicate", event->duplicate,
                    "detail", event->detail);
}

/* One line per poll: its events, the new cursor, and whether it wiped or locked. */
static void
print_events_json (const EntsecEnterpriseEvents *events)
{
  json_t *list = json_array ();
  json_t *root;

  for (guint i = 0; i < events->events->len; i++)
    json_array_append_new (list, event_to_json (g_ptr_array_index (events->events, i)));
  root = json_pack ("{s:o, s:I, s:b, s:b, s:b, s:b}", "events", list,
                    "cursor", (json_int_t) events->cursor, "more", events->more,
                    "wiped", events->wiped, "wipe_pending", events->wipe_pending,
                    "locked", events->locked);
  json_dumpf (root, stdout, JSON_COMPACT);
  putchar ('\n');
  json_decref (root);
}

/* "app VPN, ip 192.0.2.7": the signed context, as the relying party gave it. */
static char *
context_text (const char *context_json)
{
  json_t *context = json_loads (context_json, 0, NULL);
  g_autoptr (GString) text = g_string_new (NULL);
  const char *key;
  json_t *value;

  json_object_foreach (context, key, value)
    g_string_append_printf (text, "%s%s %s", text->len > 0 ? ", " : "", key,
                            json_string_value (value) != NULL ? json_string_value (value) : "?");
  json_decref (context);
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static void
print_approval (const EntsecApproval *approval)
{
  g_autofree char *context = context_text (approval->context_json);
  g_autoptr (GDateTime) issued = g_date_time_new_from_unix_local (approval->issued_at);
  g_autofree char *when = issued != NULL ? g_date_time_format (issued, "%F %T") : NULL;

  printf (_("Sign-in request %s at %s: %s\n"), approval->challenge_id, when ? when : "?",
          context[0] != '\0' ? context : _("(no context)"));
  if (g_strcmp0 (approval->mode, "enter") == 0)
    printf (_("  type the number the sign-in screen shows: "
              "entsec-cli approve %s --number N\n"), approval->challenge_id);
  else if (g_strcmp0 (approval->mode, "choose") == 0)
    {
      printf (_("  pick the number the sign-in screen shows among:"));
      for (gsize i = 0; approval->choices != NULL && approval->choices[i] != 0; i++)
        printf (" %u", approval->choices[i]);
      printf (_("\n  then: entsec-cli approve %s --number N\n"), approval->challenge_id);
    }
  else
    printf (_("  approve with: entsec-cli approve %s\n"), approval->challenge_id);
  printf (_("  not you? entsec-cli deny %s --not-me\n"), approval->challenge_id);
}

static void
print_event (const EntsecEnterpriseEvent *event)
{
  if (event->approval != NULL)
    print_approval (event->approval);
  else if (event->command != NULL && event->duplicate)
    printf (_("Command %s (%s): already carried out, not repeated\n"), event->command,
            event->command_id);
  else if (event->command != NULL)
    printf (_("Command %s (%s): %s\n"), event->command, event->command_id,
            event->detail != NULL ? event->detail : _("done"));
  else if (g_strcmp0 (event->type, "tokens") == 0)
    printf (_("Tokens: %s\n"), event->detail != NULL ? event->detail : _("nothing new"));
  else if (event->detail != NULL)
    printf ("%s: %s\n", event->type, event->detail);
}

static void
print_events (const EntsecEnterpriseEvents *events,
              gboolean                      json)
{
  if (json)
    print_events_json (events);
  else
    for (guint i = 0; i < events->events->len; i++)
      print_event (g_ptr_array_index (events->events, i));
  if (!json && events->wipe_pending)
    printf (_("Your organisation wiped this device: its device key is destroyed; its enterprise "
              "accounts and settings are removed when the vault is next unlocked\n"));
  else if (!json && events->wiped)
    printf (_("The enterprise data of this vault was wiped\n"));
  if (!json && events->locked)
    printf (_("Your administrator locked this vault: unlock it again to go on\n"));
  fflush (stdout);
}

/* --once: poll until the server has nothing more. */
static int
watch_once (EntsecVault *vault,
            gint64       cursor,
            guint        wait,
            gint64       now,
            gboolean     json)
{
  for (;;)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (EntsecEnterpriseEvents) events = NULL;

      events = entsec_enterprise_events_poll_sync (vault, cursor, wait, now, NULL, &error);
      if (events == NULL)
        return cli_enterprise_report (error);
      cursor = -1;
      print_events (events, json);
      if (events->wiped || events->locked || !events->more)
        return CLI_EXIT_OK;
    }
}

typedef struct
{
  GMainLoop *loop;
  gboolean json;
  int status;
} Watch;

static void
on_heartbeat (EntsecEventsWorker              *worker,
              const EntsecEnterpriseHeartbeat *heartbeat,
              Watch                           *watch)
{
  json_t *root;

  if (!watch->json)
    {
      cli_print_heartbeat (heartbeat);
      return;
    }
  /* One line, like each poll's. */
  root = json_pack ("{s:o}", "heartbeat", cli_heartbeat_to_json (heartbeat));
  json_dumpf (root, stdout, JSON_COMPACT);
  putchar ('\n');
  fflush (stdout);
  json_decref (root);
}

static void
on_polled (EntsecEventsWorker           *worker,
           const EntsecEnterpriseEvents *events,
           Watch                        *watch)
{
  watch->status = CLI_EXIT_OK;
  print_events (events, watch->json);
}

static void
on_failed (EntsecEventsWorker *worker,
           const GError       *error,
           Watch              *watch)
{
  watch->status = cli_enterprise_report (error);
}

static void
on_stopped (EntsecEventsWorker *worker,
            Watch              *watch)
{
  g_main_loop_quit (watch->loop);
}

static gboolean
on_interrupt (gpointer data)
{
  Watch *watch = data;

  watch->status = CLI_EXIT_OK;
  g_main_loop_quit (watch->loop);
  /* Removed with the other one once the loop has ended. */
  return G_SOURCE_CONTINUE;
}

/*
 * The events worker until it stops or Ctrl-C: its exit status is that of the
 * last failure when a failure stopped it.
 */
static int
watch_forever (EntsecVault *vault,
               guint        wait,
               const char  *device_root,
               const char  *clock_file,
               gboolean     json)
{
  g_autoptr (EntsecEventsWorker) worker = entsec_events_worker_new (vault, wait);
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Watch watch = { loop, json, CLI_EXIT_OK };
  guint interrupt = g_unix_signal_add (SIGINT, on_interrupt, &watch);
  guint terminate = g_unix_signal_add (SIGTERM, on_interrupt, &watch);

  entsec_events_worker_set_device_root (worker, device_root);
  if (clock_file != NULL)
    entsec_events_worker_set_clock (worker, entsec_events_clock_from_file, (gpointer) clock_file);
  g_signal_connect (worker, "heartbeat", G_CALLBACK (on_heartbeat), &watch);
  g_signal_connect (worker, "polled", G_CALLBACK (on_polled), &watch);
  g_signal_connect (worker, "failed", G_CALLBACK (on_failed), &watch);
  g_signal_connect (worker, "stopped", G_CALLBACK (on_stopped), &watch);
  entsec_events_worker_start (worker);
  g_main_loop_run (loop);
  g_signal_handlers_disconnect_by_data (worker, &watch);
  entsec_events_worker_stop (worker);
  g_source_remove (interrupt);
  g_source_remove (terminate);
  /* A poll in flight is not cut off: it ends within --wait seconds. */
  while (!entsec_events_worker_is_idle (worker))
    g_main_context_iteration (NULL, TRUE);
  return watch.status;
}

int
cli_cmd_watch (int    argc,
               char **argv)
{
  gboolean json = FALSE;
  gboolean once = FALSE;
  gboolean locked = FALSE;
  gint wait = WATCH_WAIT_DEFAULT;
  gint64 cursor = -1;
  gint64 time_option = -1;
  g_autofree char *device_root = NULL;
  g_autofree char *clock_file = NULL;
  GOptionEntry entries[] = {
    { "once", 0, 0, G_OPTION_ARG_NONE, &once,
      N_("Poll once (and again while the server has more), then stop"), NULL },
    { "wait", 0, 0, G_OPTION_ARG_INT, &wait,
      N_("Seconds the server may hold each poll, 0 to 30 (default 25)"), N_("SECONDS") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print each poll as one line of JSON"), NULL },
    LOCKED_OPTION (&locked),
    /* Hidden, for tests: the cursor to send instead of the stored one. */
    { "cursor", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64, &cursor, NULL, NULL },
    /* Hidden, for tests: sign and check with this Unix time instead of the clock. */
    { "time", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64, &time_option, NULL, NULL },
    /* Hidden, for tests: read the claims of heartbeats under DIR. */
    { "device-root", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &device_root, NULL, NULL },
    /* Hidden, for tests: schedule heartbeats by the Unix time written in FILE. */
    { "clock-file", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &clock_file, NULL, NULL },
    { NULL }
  };
  g_autoptr (EntsecVault) vault = NULL;
  int status;

  vault = cli_vault_parse_and_open_events ("watch", "",
                                           N_("Wait for what the enterprise server sends "
                                              "this device and print it as it comes:\nsign-in "
                                              "requests, commands (carried out and "
                                              "acknowledged), policy and token\nchanges "
                                              "(synced). Ctrl-C stops; events not yet handled "
                                              "come again next time."),
                                           entries, &locked, &argc, &argv, &status);
  if (vault == NULL)
    return status;
  if (wait < 0 || wait > ENTSEC_EVENTS_MAX_WAIT)
    {
      cli_print_error (_("watch: --wait takes 0 to 30 seconds"));
      return CLI_EXIT_USAGE;
    }
  if (once || cursor >= 0 || time_option > 0)
    return watch_once (vault, cursor, (guint) wait, time_option > 0 ? time_option : 0, json);
  return watch_forever (vault, (guint) wait, device_root, clock_file, json);
}

int
cli_cmd_approvals (int    argc,
                   char **argv)
{
  gboolean json = FALSE;
  gboolean locked = FALSE;
  gint64 time_option = -1;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the list as JSON"), NULL },
    LOCKED_OPTION (&locked),
    { "time", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64, &time_option, NULL, NULL },
    { NULL }
  };
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GPtrArray) list = NULL;
  g_autoptr (GError) error = NULL;
  json_t *array;
  int status;

  vault = cli_vault_parse_and_open_events ("approvals", "",
                                           N_("List the sign-in requests waiting for an "
                                              "answer from this device, with what the\nserver "
                                              "signed about them (application, address, time, "
                                              "number matching).\n'entsec-cli watch' receives "
                                              "them."),
                                           entries, &locked, &argc, &argv, &status);
  if (vault == NULL)
    return status;
  list = entsec_enterprise_approvals_list_sync (vault, time_option > 0 ? time_option : 0, NULL,
                                                &error);
  if (list == NULL)
    return cli_enterprise_report (error);
  if (json)
    {
      array = json_array ();
      for (guint i = 0; i < list->len; i++)
        json_array_append_new (array, approval_to_json (g_ptr_array_index (list, i)));
      cli_vault_print_json (array);
      return CLI_EXIT_OK;
    }
  for (guint i = 0; i < list->len; i++)
    print_approval (g_ptr_array_index (list, i));
  if (list->len == 0)
    printf (_("No sign-in request is waiting\n"));
  return CLI_EXIT_OK;
}

/* approve and deny: send the answer, say what the server made of it. */
static int
respond (EntsecVault      *vault,
         const char       *challenge_id,
         gboolean          approve,
         gint64            number,
         EntsecDenyReason  reason,
         gint64            time_option)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *state = NULL;

  if (!entsec_enterprise_approval_respond_sync (vault, challenge_id, approve,
                                                (guint) MAX (number, 0), reason,
                                                time_option > 0 ? time_option : 0, &state,
                                                NULL, &error))
    return cli_enterprise_report (error);
  printf (_("Sign-in request %s: %s\n"), challenge_id, state != NULL ? state : "?");
  return CLI_EXIT_OK;
}

int
cli_cmd_approve (int    argc,
                 char **argv)
{
  gint64 number = -1;
  gint64 time_option = -1;
  gboolean locked = FALSE;
  GOptionEntry entries[] = {
    { "number", 'n', 0, G_OPTION_ARG_INT64, &number,
      N_("The number the sign-in screen shows (10 to 99)"), N_("N") },
    LOCKED_OPTION (&locked),
    { "time", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64, &time_option, NULL, NULL },
    { NULL }
  };
  g_autoptr (EntsecVault) vault = NULL;
  int status;

  vault = cli_vault_parse_and_open_events ("approve", "ID [--number N]",
                                           N_("Approve the sign-in request ID ('entsec-cli "
                                              "approvals' lists them) with the number\nits "
                                              "sign-in screen shows; three wrong numbers close "
                                              "the request."),
                                           entries, &locked, &argc, &argv, &status);
  if (vault == NULL)
    return status;
  if (argc != 2 || (number != -1 && (number < 0 || number > 999)))
    {
      cli_print_error (_("approve: name one request ID, with --number N (0 to 999) when the "
                         "sign-in screen shows a number"));
      return CLI_EXIT_USAGE;
    }
  return respond (vault, argv[1], TRUE, number, ENTSEC_DENY_REASON_DECLINED, time_option);
}

int
cli_cmd_deny (int    argc,
              char **argv)
{
  gboolean not_me = FALSE;
  gint64 time_option = -1;
  gboolean locked = FALSE;
  GOptionEntry entries[] = {
    { "not-me", 0, 0, G_OPTION_ARG_NONE, &not_me,
      N_("You did not try to sign in: mutes sign-in requests for 20 minutes and alerts "
         "your administrator"), NULL },
    LOCKED_OPTION (&locked),
    { "time", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_INT64, &time_option, NULL, NULL },
    { NULL }
  };
  g_autoptr (EntsecVault) vault = NULL;
  int status;

  vault = cli_vault_parse_and_open_events ("deny", "ID [--not-me]",
                                           N_("Refuse the sign-in request ID ('entsec-cli "
                                              "approvals' lists them)."),
                                           entries, &locked, &argc, &argv, &status);
  if (vault == NULL)
    return status;
  if (argc != 2)
    {
      cli_print_error (_("deny: name one request ID"));
      return CLI_EXIT_USAGE;
    }
  return respond (vault, argv[1], FALSE, -1,
                  not_me ? ENTSEC_DENY_REASON_NOT_ME : ENTSEC_DENY_REASON_DECLINED,
                  time_option);
}
