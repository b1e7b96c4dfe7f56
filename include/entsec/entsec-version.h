/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-version.h: which libentsec is loaded */
#pragma once

#if !defined(ENTSEC_INSIDE) && !defined(ENTSEC_COMPILATION)
#error "Only <entsec/entsec.h> can be included directly."
#endif

#include <glib.h>

#include "entsec-macros.h"

G_BEGIN_DECLS

/* Returns: (transfer none): the version of the loaded library, "MAJOR.MINOR.MICRO". */
ENTSEC_EXPORT
const char *entsec_get_version (void);

G_END_DECLS
