/* SPDX-License-Identifier: GPL-3.0-or-later */
/* entsec-version.c: the library's own version, for "about" and bug reports */

#include "config.h"

#include "entsec-core-private.h"

const char *
entsec_get_version (void)
{
  return PACKAGE_VERSION;
}
