/* SPDX-License-Identifier: GPL-3.0-or-later */
/* main.c: entsec-server; everything else is in entsec-server-lib */

#include "config.h"

#include "server-main.h"

int
main (int    argc,
      char **argv)
{
  return entsec_server_main (argc, argv);
}
