/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-setup-page.h: first run: what we keep, then create the vault */
#pragma once

#include <adwaita.h>
#include <entsec/entsec.h>

G_BEGIN_DECLS

#define ENTSEC_TYPE_SETUP_PAGE (entsec_setup_page_get_type ())
G_DECLARE_FINAL_TYPE (EntsecSetupPage, entsec_setup_page, ENTSEC, SETUP_PAGE, AdwBin)

/* Create the vault at @path when the person confirms; emits "created" with
 * the new, unlocked vault. @cancellable: the window's. */
void entsec_setup_page_prepare (EntsecSetupPage *self,
                                const char      *path,
                                GCancellable    *cancellable);

G_END_DECLS
