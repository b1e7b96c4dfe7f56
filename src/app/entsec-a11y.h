/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-a11y.h: accessible names libadwaita 1.2 leaves out */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* AdwPasswordEntryRow's show/hide button has no accessible name in
 * libadwaita 1.2: give it one. */
void entsec_a11y_name_peek_button (AdwPasswordEntryRow *row);

G_END_DECLS
