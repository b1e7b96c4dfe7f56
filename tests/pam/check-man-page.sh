#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# check-man-page.sh CONFIG_C MANPAGE: the options pam_entsec parses (the
# option_names array of src/pam/pam-entsec-config.c, which its "unknown
# option" message lists too) are the items of the man page's OPTIONS
# section, no more and no fewer; and groff reads the page without a warning.
set -eu

source=$1
page=$2
parsed=$(sed -n '/option_names\[\] = {/,/NULL/p' "$source" | grep -o '"[a-z_]*"' | tr -d '"' \
  | sort -u)
# The line after each .TP of OPTIONS is the item's tag: .BI name= VALUE or .BR name=a | b
items=$(sed -n '/^\.SH OPTIONS$/,/^\.SH /p' "$page" | sed -n '/^\.TP$/{n;p;}' \
  | sed -n 's/^\.B[IR]* \([a-z_]*\)=.*/\1/p' | sort -u)
[ -n "$parsed" ] || { echo "no options found in $source" >&2; exit 1; }
if [ "$parsed" != "$items" ]; then
  echo "the options of $source and the OPTIONS of $page differ:" >&2
  printf 'parsed:\n%s\ndocumented:\n%s\n' "$parsed" "$items" >&2
  exit 1
fi
# groff as man --warnings runs it (-wmac), without needing man-db.
warnings=$(LC_ALL=C.UTF-8 groff -t -man -Tutf8 -wmac -z "$page" 2>&1 >/dev/null)
if [ -n "$warnings" ]; then
  printf '%s\n' "$warnings" >&2
  exit 1
fi
echo "$(printf '%s\n' "$parsed" | wc -l) options, all documented" >&2
