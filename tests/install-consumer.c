/* SPDX-License-Identifier: GPL-3.0-or-later */
/* install-consumer.c: a program built against an installed libentsec through
 * pkg-config (entsec-1), as a third party would; tests/check-install.sh and
 * tools/package-test build it. Prints the library's version and the RFC 4226
 * code of count 0 ("755224"). */

#include <entsec/entsec.h>
#include <stdio.h>

int
main (void)
{
  char code[ENTSEC_OTP_CODE_SIZE];

  /* RFC 4226 Appendix D, count 0. */
  if (!entsec_hotp (ENTSEC_OTP_ALGORITHM_SHA1, (const guint8 *) "12345678901234567890", 20, 0, 6,
                    code, NULL))
    return 1;
  printf ("%s %s\n", entsec_get_version (), code);
  return 0;
}
