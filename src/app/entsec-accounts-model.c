/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-accounts-model.c: the filtered, sorted list of account summaries */

#define G_LOG_DOMAIN "entsec-accounts-model"

#include "config.h"

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

static GtkSorter *
numeric_sorter (const char  *property,
                GtkSortType  order)
{
  GtkExpression *expression =
    gtk_property_expression_new (ENTSEC_TYPE_ACCOUNT_SUMMARY, NULL, property);
  GtkNumericSorter *sorter = gtk_numeric_sorter_new (expression);

  gtk_numeric_sorter_set_sort_order (sorter, order);
  return GTK_SORTER (sorter);
}

/*
 * Favourites first, then the person's order, the name and the id. Sorters of
 * properties, not a comparison function: the sort model computes each
 * summary's keys (the name's collation key) once when it arrives, instead of
 * a g_utf8_collate() of two fresh display names in every comparison.
 */
static GtkSorter *
accounts_sorter (void)
{
  GtkMultiSorter *sorter = gtk_multi_sorter_new ();
  GtkStringSorter *by_name = gtk_string_sorter_new (
    gtk_property_expression_new (ENTSEC_TYPE_ACCOUNT_SUMMARY, NULL, "display-name"));

  /* Case matters as in g_utf8_collate(): "ACME" and "acme" keep their order. */
  gtk_string_sorter_set_ignore_case (by_name, FALSE);
  gtk_multi_sorter_append (sorter, numeric_sorter ("favourite", GTK_SORT_DESCENDING));
  gtk_multi_sorter_append (sorter, numeric_sorter ("position", GTK_SORT_ASCENDING));
  gtk_multi_sorter_append (sorter, GTK_SORTER (by_name));
  gtk_multi_sorter_append (sorter, numeric_sorter ("id", GTK_SORT_ASCENDING));
  return GTK_SORTER (sorter);
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
