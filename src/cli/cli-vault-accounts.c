/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cli-vault-accounts.c: the vault's accounts on the command line: add (from
 * an otpauth:// URI, a file of URIs or flags), list, edit, rm, and the codes
 * of stored accounts. Every source of accounts ends in
 * cli_vault_add_accounts(): one transaction, all or nothing, duplicates
 * reported and never overwritten.
 */

#include "config.h"

#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "cli-private.h"

/* Room for the largest export plus surrounding white space (the buffer holds 2 more). */
#define MAX_URI_LINE (ENTSEC_MIGRATION_MAX_URI_BYTES + 1024)

/* ---- Adding --------------------------------------------------------------- */

int
cli_vault_add_accounts (EntsecVault *vault,
                        GPtrArray   *accounts,
                        gboolean     skip_duplicates,
                        gboolean     json)
{
  g_autoptr (GPtrArray) skipped = NULL;
  g_autoptr (GArray) ids = NULL;
  g_autoptr (GError) error = NULL;
  json_t *added, *dups;

  if (accounts->len == 0)
    {
      cli_print_error (_("add: no account was given"));
      return CLI_EXIT_BAD_INPUT;
    }
  if (!entsec_vault_add_accounts_sync (vault, accounts,
                                       skip_duplicates ? ENTSEC_VAULT_ADD_SKIP_DUPLICATES
                                                       : ENTSEC_VAULT_ADD_NONE,
                                       &ids, &skipped, NULL, &error))
    return cli_vault_report (error);
  added = json_array ();
  dups = json_array ();
  for (guint i = 0; i < ids->len; i++)
    {
      gint64 id = g_array_index (ids, gint64, i);
      g_autoptr (EntsecAccount) account = entsec_vault_get_account_sync (vault, id, NULL, NULL);
      g_autofree char *name = account != NULL ? entsec_account_dup_display_name (account) : NULL;

      json_array_append_new (added, json_pack ("{s:I, s:s?}", "id", (json_int_t) id, "name", name));
      if (!json)
        printf (_("Added %" PRId64 ": %s\n"), id, name != NULL ? name : "");
    }
  for (guint i = 0; i < skipped->len; i++)
    {
      g_autofree char *name = entsec_account_dup_display_name (g_ptr_array_index (skipped, i));

      json_array_append_new (dups, json_string (name));
      if (!json)
        cli_print_error (_("skipped %s: an account with that issuer and name exists already"),
                         name);
    }
  if (json)
    cli_vault_print_json (json_pack ("{s:o, s:o}", "added", added, "skipped", dups));
  else
    {
      json_decref (added);
      json_decref (dups);
    }
  return CLI_EXIT_OK;
}

/* One QR code of a Google Authenticator export spread over several. */
typedef struct
{
  gint id;
  gint size;
  gint index;
} ExportPart;

/* The part numbers (1-based) of batch @id that @parts lacks, "2, 3"; NULL when none. */
static char *
dup_missing_parts (GArray *parts,
                   gint    id,
                   gint    size)
{
  GString *missing = g_string_new (NULL);

  for (gint index = 0; index < size; index++)
    {
      gboolean seen = FALSE;

      for (guint i = 0; i < parts->len && !seen; i++)
        {
          ExportPart *part = &g_array_index (parts, ExportPart, i);

          seen = part->id == id && part->index == index;
        }
      if (!seen)
        g_string_append_printf (missing, "%s%d", missing->len > 0 ? ", " : "", index + 1);
    }
  return g_string_free (missing, missing->len == 0);
}

/* Warn about each multi-code export whose other QR codes were not given. */
static void
warn_missing_parts (GArray *parts)
{
  for (guint i = 0; i < parts->len; i++)
    {
      ExportPart *part = &g_array_index (parts, ExportPart, i);
      g_autofree char *missing = dup_missing_parts (parts, part->id, part->size);
      gboolean first = TRUE;

      for (guint j = 0; j < i; j++)
        first = first && g_array_index (parts, ExportPart, j).id != part->id;
      if (missing == NULL || !first)
        continue;
      cli_print_error (_("warning: the Google Authenticator export (batch %d) has %d QR codes; "
                         "QR code %s of it was not given, so its accounts were not added: add it "
                         "too"), part->id, part->size, missing);
    }
}

/* Parse one line: an otpauth:// URI or an otpauth-migration:// export (noted in @parts). */
static gboolean
parse_uri_line (const char *line,
                GPtrArray  *accounts,
                GArray     *parts,
                GError    **error)
{
  EntsecAccount *account;

  if (g_str_has_prefix (line, "otpauth-migration:"))
    {
      EntsecMigrationBatch *batch = entsec_migration_parse (line, error);
      gboolean ok = batch != NULL && batch->errors->len == 0;

      if (batch != NULL && !ok)
        g_set_error (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_MIGRATION, "%s",
                     ((GError *) g_ptr_array_index (batch->errors, 0))->message);
      for (guint i = 0; ok && i < batch->accounts->len; i++)
        g_ptr_array_add (accounts, entsec_account_copy (g_ptr_array_index (batch->accounts, i)));
      if (ok && batch->batch_size > 1)
        g_array_append_val (parts, ((ExportPart) { batch->batch_id, batch->batch_size,
                                                   batch->batch_index }));
      if (batch != NULL)
        entsec_migration_batch_free (batch);
      return ok;
    }
  account = entsec_otpauth_parse (line, NULL, error);
  if (account == NULL)
    return FALSE;
  g_ptr_array_add (accounts, account);
  return TRUE;
}

/* Every non-empty line of @source ('-': stdin) as URIs; stops at the first bad one. */
static gboolean
read_uri_lines (const char *option,
                const char *source,
                GPtrArray  *accounts,
                GError    **error)
{
  gboolean from_stdin = strcmp (source, "-") == 0;
  FILE *stream = from_stdin ? stdin : fopen (source, "re");
  char *line = g_malloc0 (MAX_URI_LINE + 2);
  g_autoptr (GArray) parts = g_array_new (FALSE, FALSE, sizeof (ExportPart));
  gboolean ok = TRUE;
  guint number = 0;

  if (stream == NULL)
    {
      int saved = errno;

      g_free (line);
      /* Never @source: it may be the URI itself, given where a FILE belongs. */
      cli_set_open_error (error, option, saved);
      return FALSE;
    }
  setvbuf (stream, NULL, _IONBF, 0);
  while (ok && fgets (line, MAX_URI_LINE + 2, stream) != NULL)
    {
      g_autoptr (GError) line_error = NULL;
      gsize full_len = 0;
      const char *text;

      number++;
      if (cli_line_too_long (line, stream, MAX_URI_LINE, &full_len))
        {
          /* The whole line's length: a cut piece must not be parsed (nor its length shown). */
          g_set_error (error, ENTSEC_OTPAUTH_ERROR, ENTSEC_OTPAUTH_ERROR_ENCODING,
                       _("%s, line %u: the line is %zu bytes long, at most %d "
                         "are accepted; nothing was added"), from_stdin ? "stdin" : source, number,
                       full_len, MAX_URI_LINE);
          ok = FALSE;
          break;
        }
      g_strstrip (line);
      text = number == 1 ? cli_skip_bom (line) : line;
      if (text[0] == '\0' || text[0] == '#')
        continue;
      ok = parse_uri_line (text, accounts, parts, &line_error);
      if (!ok)
        g_set_error (error, ENTSEC_OTPAUTH_ERROR, line_error->code,
                     _("%s, line %u: %s; nothing was added"),
                     from_stdin ? "stdin" : source, number, line_error->message);
    }
  entsec_secure_free (line, MAX_URI_LINE + 2);
  if (!from_stdin)
    fclose (stream);
  if (ok)
    warn_missing_parts (parts);
  return ok;
}

typedef struct
{
  char *uri_source;
  char *from_file;
  char *secret_source;
  char *issuer;
  char *label;
  char *type;
  char *algorithm;
  char *group;
  int digits;
  int period;
  char *counter_text;
  gboolean favourite;
  gboolean skip_duplicates;
  gboolean json;
  gboolean images;
  char **image_files;
} AddOptions;

static void
add_options_clear (AddOptions *o)
{
  g_free (o->uri_source);
  g_free (o->from_file);
  g_free (o->secret_source);
  g_free (o->issuer);
  g_free (o->label);
  g_free (o->type);
  g_free (o->algorithm);
  g_free (o->group);
  g_free (o->counter_text);
  g_strfreev (o->image_files);
}

/* --issuer, --label and --group as UTF-8; FALSE after naming the one that is not text. */
static gboolean
names_are_text (const char *command,
                char      **issuer,
                char      **label,
                char      **group)
{
  g_autoptr (GError) error = NULL;

  if (cli_text_option ("--issuer", issuer, &error) && cli_text_option ("--label", label, &error)
      && cli_text_option ("--group", group, &error))
    return TRUE;
  cli_print_error ("%s: %s", command, error->message);
  return FALSE;
}

static gboolean
set_type (EntsecAccount *account,
          const char    *type,
          GError       **error)
{
  if (type == NULL || g_ascii_strcasecmp (type, "totp") == 0)
    account->type = ENTSEC_ACCOUNT_TOTP;
  else if (g_ascii_strcasecmp (type, "hotp") == 0)
    account->type = ENTSEC_ACCOUNT_HOTP;
  else if (g_ascii_strcasecmp (type, "steam") == 0)
    account->type = ENTSEC_ACCOUNT_STEAM;
  else
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("Unknown --type '%s': use totp, hotp or steam"), type);
      return FALSE;
    }
  return TRUE;
}

static EntsecAccount *
account_from_flags (const AddOptions *o,
                    GError          **error)
{
  g_autoptr (EntsecAccount) account = entsec_account_new ();
  gint64 counter = 0;
  char *text;

  if (o->label == NULL || o->secret_source == NULL)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("A manual account needs --label and --secret FILE|-"));
      return NULL;
    }
  if (!set_type (account, o->type, error))
    return NULL;
  if (o->algorithm != NULL && !entsec_otp_algorithm_from_string (o->algorithm, &account->algorithm))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("Unknown --algorithm '%s': use SHA1, SHA256 or SHA512"), o->algorithm);
      return NULL;
    }
  account->issuer = g_strdup (o->issuer);
  g_free (account->label);
  account->label = g_strdup (o->label);
  account->group = g_strdup (o->group);
  account->favourite = o->favourite;
  account->digits = account->type == ENTSEC_ACCOUNT_STEAM ? ENTSEC_STEAM_DIGITS : (guint) o->digits;
  account->period = (guint) o->period;
  if (!cli_parse_number ("--counter", o->counter_text, &counter, error))
    return NULL;
  account->counter = (guint64) counter;
  text = cli_read_secret_text ("--secret", o->secret_source, "Secret (Base32): ", error);
  if (text == NULL)
    return NULL;
  account->secret = entsec_base32_decode (text, &account->secret_len, error);
  entsec_secure_strfree (text);
  return account->secret != NULL ? g_steal_pointer (&account) : NULL;
}

/* The accounts the options describe, from exactly one source. */
static GPtrArray *
collect_accounts (const AddOptions *o,
                  GError          **error)
{
  g_autoptr (GPtrArray) accounts =
    g_ptr_array_new_with_free_func ((GDestroyNotify) entsec_account_free);
  guint sources = (o->uri_source != NULL) + (o->from_file != NULL) + (o->secret_source != NULL)
                  + (o->images != FALSE);
  guint n_files = o->image_files != NULL ? g_strv_length (o->image_files) : 0;

  if (!o->images && n_files > 0)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("Arguments are read only as image files, after --image: use "
                             "'entsec-cli add --image IMAGE...'"));
      return NULL;
    }
  if (sources != 1)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("Give exactly one of --uri FILE|-, --from-file FILE|-, "
                             "--image IMAGE... or --label with --secret FILE|-"));
      return NULL;
    }
  if (o->images && n_files == 0)
    {
      g_set_error_literal (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                           _("--image needs at least one image file"));
      return NULL;
    }
  if (o->images)
    {
      if (!cli_collect_image_accounts (o->image_files, o->json, accounts, error))
        return NULL;
    }
  else if (o->secret_source != NULL)
    {
      EntsecAccount *account = account_from_flags (o, error);

      if (account == NULL)
        return NULL;
      g_ptr_array_add (accounts, account);
    }
  else if (!read_uri_lines (o->uri_source != NULL ? "--uri" : "--from-file",
                            o->uri_source != NULL ? o->uri_source : o->from_file, accounts, error))
    return NULL;
  return g_steal_pointer (&accounts);
}

static const char *
stdin_source (const AddOptions *o)
{
  if (g_strcmp0 (o->uri_source, "-") == 0 || g_strcmp0 (o->from_file, "-") == 0
      || g_strcmp0 (o->secret_source, "-") == 0)
    return "-";
  return NULL;
}

int
cli_cmd_add (int    argc,
             char **argv)
{
  CliVaultOptions options = { 0 };
  AddOptions o = { .digits = ENTSEC_OTP_DEFAULT_DIGITS, .period = ENTSEC_OTP_DEFAULT_PERIOD };
  GOptionEntry entries[] = {
    { "uri", 'u', 0, G_OPTION_ARG_FILENAME, &o.uri_source,
      N_("Read otpauth:// (or otpauth-migration://) URIs from FILE, one a line ('-': stdin)"),
      "FILE" },
    { "from-file", 'f', 0, G_OPTION_ARG_FILENAME, &o.from_file,
      N_("Same as --uri: a file of URIs, one a line"), "FILE" },
    { "secret", 's', 0, G_OPTION_ARG_FILENAME, &o.secret_source,
      N_("Manual entry: read the Base32 secret from FILE ('-': stdin)"), "FILE" },
    { "label", 'l', 0, G_OPTION_ARG_FILENAME, &o.label, N_("Manual entry: account name"), "NAME" },
    { "issuer", 'i', 0, G_OPTION_ARG_FILENAME, &o.issuer,
      N_("Manual entry: service name"), "NAME" },
    { "type", 0, 0, G_OPTION_ARG_STRING, &o.type, N_("totp (default), hotp or steam"), "TYPE" },
    { "algorithm", 'a', 0, G_OPTION_ARG_STRING, &o.algorithm,
      N_("SHA1 (default), SHA256, SHA512"), "HASH" },
    { "digits", 'd', 0, G_OPTION_ARG_INT, &o.digits, N_("Code length, 6-10 (default 6)"), "N" },
    { "period", 'p', 0, G_OPTION_ARG_INT, &o.period,
      N_("TOTP step in seconds (default 30)"), "SECONDS" },
    { "counter", 'c', 0, G_OPTION_ARG_STRING, &o.counter_text,
      N_("HOTP: the next counter (default 0)"), "N" },
    { "group", 'g', 0, G_OPTION_ARG_FILENAME, &o.group, N_("Put the account in GROUP"), "GROUP" },
    { "favourite", 0, 0, G_OPTION_ARG_NONE, &o.favourite, N_("Pin the account to the top"), NULL },
    { "skip-duplicates", 0, 0, G_OPTION_ARG_NONE, &o.skip_duplicates,
      N_("Add the others when some already exist (default: add nothing)"), NULL },
    { "image", 0, 0, G_OPTION_ARG_NONE, &o.images,
      N_("Add the accounts of the QR codes in the IMAGE files that follow the options"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &o.json, N_("Print the result as JSON"), NULL },
    { G_OPTION_REMAINING, 0, 0, G_OPTION_ARG_FILENAME_ARRAY, &o.image_files, NULL, NULL },
    { NULL }
  };
  g_autoptr (GPtrArray) accounts = NULL;
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GError) error = NULL;
  int status = CLI_EXIT_USAGE;

  if (!cli_vault_parse_options ("add", "[--image IMAGE...]",
                                N_("Add accounts to the vault, all or nothing: an account whose "
                                   "issuer and name exist already\nis never overwritten. Secrets "
                                   "and URIs are read from files or stdin, never the command "
                                   "line."),
                                entries, &options, &argc, &argv))
    goto out;
  if (cli_vault_stdin_clash (&options, stdin_source (&o), "add")
      || !names_are_text ("add", &o.issuer, &o.label, &o.group))
    goto out;
  accounts = collect_accounts (&o, &error);
  if (accounts == NULL)
    {
      cli_print_error ("add: %s", error->message);
      status = error->domain == G_OPTION_ERROR ? CLI_EXIT_USAGE : CLI_EXIT_BAD_INPUT;
      goto out;
    }
  vault = cli_vault_open (&options, &status);
  if (vault != NULL)
    status = cli_vault_add_accounts (vault, accounts, o.skip_duplicates, o.json);

out:
  add_options_clear (&o);
  cli_vault_options_clear (&options);
  return status;
}

/* ---- Finding an account --------------------------------------------------- */

typedef enum
{
  MATCH_PART,   /* a part of a name or issuer (code, edit) */
  MATCH_EXACT,  /* a whole name, "issuer:label", label or issuer */
  MATCH_NAME,   /* a whole name, "issuer:label" or label: never the issuer alone (rm) */
} MatchKind;

static gboolean
matches (const EntsecAccount *account,
         const char          *query,
         MatchKind            kind)
{
  g_autofree char *display = entsec_account_dup_display_name (account);
  g_autofree char *pair = g_strdup_printf ("%s:%s", account->issuer != NULL ? account->issuer : "",
                                           account->label);
  const char *forms[] = { display, pair, account->label,
                          kind == MATCH_NAME ? NULL : account->issuer };
  g_autofree char *want = g_utf8_casefold (query, -1);

  for (gsize i = 0; i < G_N_ELEMENTS (forms); i++)
    {
      g_autofree char *form = forms[i] != NULL ? g_utf8_casefold (forms[i], -1) : NULL;

      if (form != NULL
          && (kind == MATCH_PART ? strstr (form, want) != NULL : strcmp (form, want) == 0))
        return TRUE;
    }
  return FALSE;
}

static GPtrArray *
find_matches (GPtrArray  *accounts,
              const char *query,
              MatchKind   kind)
{
  GPtrArray *found = g_ptr_array_new ();

  for (guint i = 0; i < accounts->len; i++)
    {
      if (matches (g_ptr_array_index (accounts, i), query, kind))
        g_ptr_array_add (found, g_ptr_array_index (accounts, i));
    }
  return found;
}

/* "3 (GitHub (alice)), 7 (GitHub (bob))": the candidates, by id. */
static char *
dup_candidates (GPtrArray *found)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < found->len; i++)
    {
      const EntsecAccount *account = g_ptr_array_index (found, i);
      g_autofree char *name = entsec_account_dup_display_name (account);

      g_string_append_printf (text, "%s%" G_GINT64_FORMAT " (%s)", i > 0 ? ", " : "", account->id,
                              name);
    }
  return g_string_free (text, FALSE);
}

static void
set_not_found_error (GPtrArray  *found,
                     const char *query,
                     GError    **error)
{
  g_autofree char *candidates = NULL;

  if (found->len == 0)
    {
      g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NO_ACCOUNT,
                   _("No account matches '%s' (see 'entsec-cli list')"), query);
      return;
    }
  candidates = dup_candidates (found);
  /* found->len >= 2 here, but languages differ in their plural forms. */
  g_set_error (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_NO_ACCOUNT,
               g_dngettext (NULL, "'%s' matches %u account: %s; give the id of one",
                            "'%s' matches %u accounts: %s; give the id of one", found->len),
               query, found->len, candidates);
}

EntsecAccount *
cli_vault_find_account (EntsecVault *vault,
                        const char  *query,
                        gboolean     whole_name,
                        GError     **error)
{
  g_autoptr (GPtrArray) accounts = entsec_vault_export_accounts_sync (vault, NULL, error);
  g_autoptr (GPtrArray) found = NULL;
  char *end = NULL;
  gint64 id = g_ascii_strtoll (query, &end, 10);

  if (end != query && *end == '\0')
    return entsec_vault_get_account_sync (vault, id, NULL, error);
  if (accounts == NULL)
    return NULL;
  found = find_matches (accounts, query, whole_name ? MATCH_NAME : MATCH_EXACT);
  if (found->len == 0 && !whole_name)
    {
      g_ptr_array_unref (found);
      found = find_matches (accounts, query, MATCH_PART);
    }
  if (found->len == 1)
    return entsec_account_copy (g_ptr_array_index (found, 0));
  set_not_found_error (found, query, error);
  return NULL;
}

/* ---- list ----------------------------------------------------------------- */

static json_t *
account_json (const EntsecAccount *a)
{
  json_t *object = cli_account_to_json (a);

  json_object_set_new (object, "id", json_integer ((json_int_t) a->id));
  json_object_set_new (object, "favourite", json_boolean (a->favourite));
  json_object_set_new (object, "group", a->group != NULL ? json_string (a->group) : json_null ());
  return object;
}

#define NAME_COLUMNS 40

/* Terminal columns @text takes: wide (CJK) characters two, combining marks none. */
static gsize
display_width (const char *text)
{
  gsize width = 0;

  if (!g_utf8_validate (text, -1, NULL))
    return strlen (text);
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iszerowidth (c))
        continue;
      width += g_unichar_iswide (c) ? 2 : 1;
    }
  return width;
}

static void
print_account_line (const EntsecAccount *a)
{
  g_autofree char *name = entsec_account_dup_display_name (a);
  gsize width = display_width (name);
  int pad = width < NAME_COLUMNS ? (int) (NAME_COLUMNS - width) : 0;

  /* Padded by display width, not bytes (printf's %-40s), so columns line up. */
  if (a->group != NULL)
    /* Translators: id, pin mark, name, padding (keep %*s), type (totp, hotp, steam), group */
    printf (_("%4" PRId64 " %s %s%*s %-5s  group: %s\n"), a->id, a->favourite ? "*" : " ", name,
            pad, "", entsec_account_type_to_string (a->type), a->group);
  else
    printf ("%4" G_GINT64_FORMAT " %s %s%*s %-5s\n", a->id, a->favourite ? "*" : " ", name, pad,
            "", entsec_account_type_to_string (a->type));
}

int
cli_cmd_list (int    argc,
              char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the accounts as JSON"), NULL },
    { NULL }
  };
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (GPtrArray) accounts = NULL;
  g_autoptr (GPtrArray) quarantined = NULL;
  json_t *list, *bad;
  int status;

  vault = cli_vault_parse_and_open ("list", "",
                                    N_("List the vault's accounts (never their secrets)."),
                                    entries, &argc, &argv, &status);
  if (vault == NULL)
    return status;
  /* Every field of each account but its secret is printed. */
  accounts = entsec_vault_export_accounts_sync (vault, NULL, NULL);
  if (accounts == NULL)
    accounts = g_ptr_array_new ();
  quarantined = entsec_vault_list_quarantined (vault);
  if (!json && accounts->len == 0 && quarantined->len == 0)
    cli_print_error (_("the vault holds no accounts yet; add some with 'entsec-cli add'"));
  list = json_array ();
  bad = json_array ();
  for (guint i = 0; i < accounts->len; i++)
    {
      if (json)
        json_array_append_new (list, account_json (g_ptr_array_index (accounts, i)));
      else
        print_account_line (g_ptr_array_index (accounts, i));
    }
  for (guint i = 0; i < quarantined->len; i++)
    {
      EntsecVaultQuarantined *q = g_ptr_array_index (quarantined, i);

      if (json)
        json_array_append_new (bad, json_pack ("{s:I, s:s}", "id", (json_int_t) q->id, "reason",
                                               q->reason));
      else
        printf (_("%4" PRId64 " ! quarantined: %s\n"), q->id, q->reason);
    }
  if (json)
    cli_vault_print_json (json_pack ("{s:o, s:o}", "accounts", list, "quarantined", bad));
  else
    {
      json_decref (list);
      json_decref (bad);
    }
  return CLI_EXIT_OK;
}

/* ---- rm ------------------------------------------------------------------- */

static gboolean
is_quarantined (EntsecVault *vault,
                const char  *query)
{
  g_autoptr (GPtrArray) quarantined = entsec_vault_list_quarantined (vault);
  char *end = NULL;
  gint64 id = g_ascii_strtoll (query, &end, 10);

  if (end == query || *end != '\0')
    return FALSE;
  for (guint i = 0; i < quarantined->len; i++)
    {
      if (((EntsecVaultQuarantined *) g_ptr_array_index (quarantined, i))->id == id)
        return TRUE;
    }
  return FALSE;
}

int
cli_cmd_rm (int    argc,
            char **argv)
{
  CliVaultOptions options = { 0 };
  gboolean yes = FALSE;
  GOptionEntry entries[] = {
    { "yes", 'y', 0, G_OPTION_ARG_NONE, &yes,
      N_("Confirm: the account and its secret are gone for good"), NULL },
    { NULL }
  };
  g_autoptr (EntsecVault) vault = NULL;
  g_autoptr (EntsecAccount) account = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  int status;

  if (!cli_vault_parse_options ("rm", "ACCOUNT --yes",
                                N_("Delete an account: ACCOUNT is its id, or its whole name as "
                                   "'issuer:label' or the label;\nnever a part of a name. A name "
                                   "several accounts share is refused, listing their ids."),
                                entries, &options, &argc, &argv))
    {
      cli_vault_options_clear (&options);
      return CLI_EXIT_USAGE;
    }
  if (argc != 2 || !yes)
    {
      cli_print_error (_("rm: name one ACCOUNT (id or name) and confirm with --yes"));
      cli_vault_options_clear (&options);
      return CLI_EXIT_USAGE;
    }
  vault = cli_vault_open (&options, &status);
  cli_vault_options_clear (&options);
  if (vault == NULL)
    return status;
  account = cli_vault_find_account (vault, argv[1], TRUE, &error);
  if (account == NULL && is_quarantined (vault, argv[1]))
    {
      /* A quarantined row has no readable name: its id deletes it. */
      g_clear_error (&error);
      if (!entsec_vault_delete_account_sync (vault, g_ascii_strtoll (argv[1], NULL, 10),
                                             NULL, &error))
        return cli_vault_report (error);
      printf (_("Deleted the quarantined row %s\n"), argv[1]);
      return CLI_EXIT_OK;
    }
  if (account == NULL || !entsec_vault_delete_account_sync (vault, account->id, NULL, &error))
    return cli_vault_report (error);
  name = entsec_account_dup_display_name (account);
  printf (_("Deleted %" PRId64 ": %s\n"), account->id, name);
  return CLI_EXIT_OK;
}

/* ---- edit ----------------------------------------------------------------- */

typedef struct
{
  char *issuer;
  char *label;
  char *group;
  gboolean favourite;
  gboolean no_favourite;
  gboolean no_group;
  gint64 counter;
} EditOptions;

/* --counter not given (any negative value the user gives is refused). */
#define NO_COUNTER G_MININT64

static void
apply_edits (EntsecAccount     *account,
             const EditOptions *e)
{
  if (e->issuer != NULL)
    {
      g_free (account->issuer);
      account->issuer = e->issuer[0] != '\0' ? g_strdup (e->issuer) : NULL;
    }
  if (e->label != NULL)
    {
      g_free (account->label);
      account->label = g_strdup (e->label);
    }
  if (e->group != NULL || e->no_group)
    {
      g_free (account->group);
      account->group = e->no_group ? NULL : g_strdup (e->group);
    }
  if (e->favourite || e->no_favourite)
    account->favourite = e->favourite;
  if (e->counter != NO_COUNTER)
    account->counter = (guint64) e->counter;
}

/* Why the command line cannot be right whatever the account, or NULL. */
static const char *
edit_usage_error (const EditOptions *e,
                  int                argc)
{
  if (argc != 2)
    return _("name one ACCOUNT (id or name)");
  if (e->favourite && e->no_favourite)
    return _("give --favourite or --no-favourite, not both");
  if (e->group != NULL && e->no_group)
    return _("give --group or --no-group, not both");
  if (e->counter != NO_COUNTER && e->counter < 0)
    return _("--counter takes a number of 0 or more");
  if (e->issuer == NULL && e->label == NULL && e->group == NULL && !e->no_group && !e->favourite
      && !e->no_favourite && e->counter == NO_COUNTER)
    return _("Nothing to change: give --issuer, --label, --group, --no-group, --favourite, "
             "--no-favourite or --counter");
  return NULL;
}

/* Apply @e to the account @query names and save it; returns the exit code. */
static int
edit_account (EntsecVault       *vault,
              const char        *query,
              const EditOptions *e)
{
  g_autoptr (EntsecAccount) account = NULL;
  g_autoptr (GError) error = NULL;

  account = cli_vault_find_account (vault, query, FALSE, &error);
  if (account == NULL)
    return cli_vault_report (error);
  if (e->counter != NO_COUNTER && account->type != ENTSEC_ACCOUNT_HOTP)
    {
      cli_print_error (_("edit: --counter applies to HOTP accounts only; this one is %s; nothing "
                         "was changed"), entsec_account_type_to_string (account->type));
      return CLI_EXIT_USAGE;
    }
  apply_edits (account, e);
  if (!entsec_vault_update_account_sync (vault, account, NULL, &error))
    return cli_vault_report (error);
  printf (_("Saved %" PRId64 "\n"), account->id);
  return CLI_EXIT_OK;
}

int
cli_cmd_edit (int    argc,
              char **argv)
{
  CliVaultOptions options = { 0 };
  EditOptions e = { .counter = NO_COUNTER };
  GOptionEntry entries[] = {
    { "issuer", 'i', 0, G_OPTION_ARG_FILENAME, &e.issuer,
      N_("New service name ('' removes it)"), "NAME" },
    { "label", 'l', 0, G_OPTION_ARG_FILENAME, &e.label, N_("New account name"), "NAME" },
    { "group", 'g', 0, G_OPTION_ARG_FILENAME, &e.group, N_("Move to GROUP"), "GROUP" },
    { "no-group", 0, 0, G_OPTION_ARG_NONE, &e.no_group, N_("Take out of its group"), NULL },
    { "favourite", 0, 0, G_OPTION_ARG_NONE, &e.favourite, N_("Pin to the top"), NULL },
    { "no-favourite", 0, 0, G_OPTION_ARG_NONE, &e.no_favourite, N_("Unpin"), NULL },
    { "counter", 'c', 0, G_OPTION_ARG_INT64, &e.counter,
      N_("HOTP only: set the next counter (0 or more)"), "N" },
    { NULL }
  };
  g_autoptr (EntsecVault) vault = NULL;
  const char *usage;
  int status = CLI_EXIT_USAGE;

  if (!cli_vault_parse_options ("edit", "ACCOUNT [OPTION...]",
                                N_("Change an account's name, issuer, group, pin or HOTP counter. "
                                   "A name another account has is refused."),
                                entries, &options, &argc, &argv)
      || !names_are_text ("edit", &e.issuer, &e.label, &e.group))
    goto out;
  usage = edit_usage_error (&e, argc);
  if (usage != NULL)
    {
      cli_print_error (_("edit: %s (see 'entsec-cli edit --help')"), usage);
      goto out;
    }
  vault = cli_vault_open (&options, &status);
  if (vault != NULL)
    status = edit_account (vault, argv[1], &e);

out:
  g_free (e.issuer);
  g_free (e.label);
  g_free (e.group);
  cli_vault_options_clear (&options);
  return status;
}

/* ---- codes ---------------------------------------------------------------- */

/* Codes are computed inside the vault (HOTP: its counter is saved first). */
static gboolean
code_for (EntsecVault         *vault,
          const EntsecAccount *account,
          gint64               now,
          char                 code[ENTSEC_OTP_CODE_SIZE],
          GError             **error)
{
  return entsec_vault_compute_code_sync (vault, account->id, now, code, NULL, error);
}

static int
print_one_code (EntsecVault *vault,
                const char  *query,
                gint64       now,
                gboolean     json)
{
  g_autoptr (EntsecAccount) account = NULL;
  g_autoptr (GError) error = NULL;
  char code[ENTSEC_OTP_CODE_SIZE];

  account = cli_vault_find_account (vault, query, FALSE, &error);
  if (account == NULL || !code_for (vault, account, now, code, &error))
    return cli_vault_report (error);
  if (json)
    cli_vault_print_json (json_pack ("{s:I, s:s}", "id", (json_int_t) account->id, "code", code));
  else
    printf ("%s\n", code);
  return CLI_EXIT_OK;
}

int
cli_vault_print_codes (EntsecVault *vault,
                       const char  *query,
                       gint64       now,
                       gboolean     json)
{
  g_autoptr (GPtrArray) accounts = NULL;
  g_autofree char *blocked_reason = NULL;
  json_t *list;

  if (query != NULL)
    return print_one_code (vault, query, now, json);
  accounts = entsec_vault_list_accounts (vault);
  if (!json && accounts->len == 0)
    cli_print_error (_("the vault holds no accounts yet; add some with 'entsec-cli add'"));
  list = json_array ();
  for (guint i = 0; i < accounts->len; i++)
    {
      EntsecAccountSummary *account = g_ptr_array_index (accounts, i);
      gint64 id = entsec_account_summary_get_id (account);
      g_autofree char *name = entsec_account_summary_dup_display_name (account);
      char code[ENTSEC_OTP_CODE_SIZE] = "";

      g_autoptr (GError) error = NULL;
      gboolean blocked;

      /* HOTP advances its counter; only when asked for by name. */
      if (entsec_account_summary_get_kind (account) != ENTSEC_ACCOUNT_HOTP
          && !entsec_vault_compute_code_sync (vault, id, now, code, NULL, &error)
          && !g_error_matches (error, ENTSEC_VAULT_ERROR, ENTSEC_VAULT_ERROR_OFFLINE))
        continue;
      blocked = error != NULL;
      /* Said once: every blocked account has the same reason. */
      if (blocked && blocked_reason == NULL)
        blocked_reason = g_strdup (error->message);
      if (json)
        json_array_append_new (list, json_pack ("{s:I, s:s, s:o, s:b}", "id", (json_int_t) id,
                                                "name", name,
                                                "code", code[0] != '\0' ? json_string (code)
                                                                        : json_null (),
                                                "blocked", blocked));
      else
        printf ("%4" G_GINT64_FORMAT "  %-10s %s\n", id,
                blocked ? _("(blocked)") : code[0] != '\0' ? code : "(hotp)", name);
    }
  if (blocked_reason != NULL)
    cli_print_error ("%s", blocked_reason);
  if (json)
    cli_vault_print_json (json_pack ("{s:o}", "codes", list));
  else
    json_decref (list);
  return CLI_EXIT_OK;
}
