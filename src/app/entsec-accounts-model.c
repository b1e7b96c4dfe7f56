/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-accounts-model.c: the filtered, sorted list of account summaries */

#define G_LOG_DOMAIN "entsec-accounts-model"

#include "config.h"

#include <string.h>

#include <entsec/entsec.h>

#include "entsec-accounts-model.h"

/* The text a search matches: issuer, label and group. */
static char *
search_text (EntsecAccountSummary *summary)
{
  const char *issuer = entsec_account_summary_get_issuer (summary);
  const char *group = entsec_account_summary_get_group (summary);

  return g_strjoin (" ", issuer != NULL ? issuer : "", entsec_account_summary_get_label (summary),
                    group != NULL ? group : "", NULL);
}

static int
compare_summaries (gconstpointer a,
                   gconstpointer b,
                   gpointer      user_data)
{
  EntsecAccountSummary *x = ENTSEC_ACCOUNT_SUMMARY ((gpointer) a);
  EntsecAccountSummary *y = ENTSEC_ACCOUNT_SUMMARY ((gpointer) b);
  gboolean x_favourite = entsec_account_summary_get_favourite (x);
  gboolean y_favourite = entsec_account_summary_get_favourite (y);
  int x_position = entsec_account_summary_get_position (x);
  int y_position = entsec_account_summary_get_position (y);
  gint64 x_id = entsec_account_summary_get_id (x);
  gint64 y_id = entsec_account_summary_get_id (y);
  int by_name;

  if (x_favourite != y_favourite)
    return x_favourite ? -1 : 1;
  if (x_position != y_position)
    return x_position < y_position ? -1 : 1;
  by_name = strcmp (entsec_account_summary_get_sort_key (x),
                    entsec_account_summary_get_sort_key (y));
  if (by_name != 0)
    return by_name < 0 ? -1 : 1;
  return (x_id > y_id) - (x_id < y_id);
}

/*
 * Favourites first, then the person's order, the name and the id. The name
 * compares by the collation key the vault made with each summary, in its
 * worker: property sorters would make every key on the main thread when the
 * list is first shown (7 ms of a start with 1,000 accounts), and
 * g_utf8_collate() in each comparison would make two each time.
 */
static GtkSorter *
accounts_sorter (void)
{
  return GTK_SORTER (gtk_custom_sorter_new (compare_summaries, NULL, NULL));
}

GListModel *
entsec_accounts_model_new (GListModel *accounts)
{
  GtkExpression *expression;
  GtkStringFilter *filter;
  GtkFilterListModel *filtered;

  g_return_val_if_fail (G_IS_LIST_MODEL (accounts), NULL);

  expression = gtk_cclosure_expression_new (G_TYPE_STRING, NULL, 0, NULL,
                                            G_CALLBACK (search_text), NULL, NULL);
  filter = gtk_string_filter_new (expression);
  gtk_string_filter_set_ignore_case (filter, TRUE);
  gtk_string_filter_set_match_mode (filter, GTK_STRING_FILTER_MATCH_MODE_SUBSTRING);
  filtered = gtk_filter_list_model_new (g_object_ref (accounts), GTK_FILTER (filter));
  return G_LIST_MODEL (gtk_sort_list_model_new (G_LIST_MODEL (filtered), accounts_sorter ()));
}

void
entsec_accounts_model_set_search (GListModel *model,
                                  const char *text)
{
  GListModel *filtered;
  GtkFilter *filter;

  g_return_if_fail (GTK_IS_SORT_LIST_MODEL (model));

  filtered = gtk_sort_list_model_get_model (GTK_SORT_LIST_MODEL (model));
  filter = gtk_filter_list_model_get_filter (GTK_FILTER_LIST_MODEL (filtered));
  gtk_string_filter_set_search (GTK_STRING_FILTER (filter),
                                text != NULL && *text != '\0' ? text : NULL);
}

/* The sizes of the groups for a code of @len characters. */
static guint
group_size (gsize len)
{
  if (len <= 5)
    return (guint) len;
  if (len == 8)
    return 4;
  return 3;
}

char *
entsec_format_code (const char *code)
{
  GString *out;
  gsize len;
  guint size;

  g_return_val_if_fail (code != NULL, NULL);

  len = strlen (code);
  size = group_size (len);
  out = g_string_sized_new (len + len / 3 + 1);
  for (gsize i = 0; i < len; i++)
    {
      /* The last group takes a lone leftover digit ("123 4567", "123 456 7890"). */
      if (i > 0 && i % size == 0 && len - i >= 2)
        g_string_append_c (out, ' ');
      g_string_append_c (out, code[i]);
    }
  return g_string_free (out, FALSE);
}
