/* SPDX-License-Identifier: GPL-3.0-or-later */
/* server-main.h: entsec-server's command line (main.c only calls this) */
#pragma once

/* Runs entsec-server: 0 on a clean stop, 1 on failure, 2 on a usage error. */
int entsec_server_main (int    argc,
                        char **argv);
