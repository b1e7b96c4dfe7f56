/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-accounts-model.h: what the codes list shows, and how */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/*
 * The list the codes page shows over @accounts (a model of
 * EntsecAccountSummary, the vault's accounts model): filtered by the search
 * text (issuer, label and group, ignoring case), favourites first, then by
 * position, then by name.
 * Returns: (transfer full): the model.
 */
GListModel *entsec_accounts_model_new (GListModel *accounts);

/* Show only the accounts matching @text (NULL or "" shows all). */
void        entsec_accounts_model_set_search (GListModel *model,
                                              const char *text);

/*
 * @code in groups a person reads at a glance: "123 456", "1234 5678",
 * "123 456 789"; five characters and fewer (Steam) stay whole.
 * Returns: (transfer full): the grouped text; free with g_free().
 */
char       *entsec_format_code (const char *code);

G_END_DECLS
