#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# check-man-page.sh CLI MANPAGE: every command `CLI --help` lists has its own
# section in the man page, and the page has no section for a command that is
# gone, so entsec-cli(1) and entsec-admin(1) keep up with the code. A command
# may be several words ("users add"): in --help two spaces end it.
#
# check-man-page.sh --options PROGRAM MANPAGE: for a program without
# commands (entsec-server): every long option `PROGRAM --help` lists is an
# item of the page's OPTIONS section, and the section has no item for an
# option that is gone.
set -eu

# compare WHAT ENTRY LISTED DOCUMENTED: each line of LISTED (from --help) has
# an ENTRY in the page (DOCUMENTED) and the other way round; says what
# differs and exits 0 or 1.
compare () {
  what=$1 entry=$2 listed=$3 documented=$4 status=0
  [ -n "$listed" ] || { echo "no $what found in '$program --help'" >&2; exit 1; }
  while IFS= read -r c; do
    printf '%s\n' "$documented" | grep -qx -- "$c" \
      || { echo "man page: no $entry for '$c'" >&2; status=1; }
  done <<END
$listed
END
  while IFS= read -r s; do
    [ -z "$s" ] || printf '%s\n' "$listed" | grep -qx -- "$s" \
      || { echo "man page: '$s' is not one of the $what" >&2; status=1; }
  done <<END
$documented
END
  n=$(printf '%s\n' "$listed" | wc -l)
  if [ "$status" -eq 0 ]; then
    echo "$n $what, all documented" >&2
  else
    echo "$n $what; the man page $page does not match '$program --help' (see above)" >&2
  fi
  exit "$status"
}

if [ "$1" = "--options" ]; then
  program=$2
  page=$3
  options=$("$program" --help | sed -n 's/^  \(-[A-Za-z], \)\{0,1\}--\([a-z][a-z-]*\).*/--\2/p' \
    | sort -u)
  # The line after each .TP (or .TQ) of OPTIONS is the item's tag; \- is a hyphen.
  items=$(sed -n '/^\.SH OPTIONS$/,/^\.SH /p' "$page" | sed -n '/^\.T[PQ]$/{n;p;}' \
    | sed 's/\\-/-/g' | grep -o -- '--[a-z][a-z-]*' | sort -u)
  compare options item "$options" "$items"
fi

program=$1
page=$2
commands=$("$program" --help | sed -n '/^Commands:/,/^$/p' \
  | sed -n 's/^  \([a-z][a-z -]*[a-z]\)  .*/\1/p')
sections=$(sed -n 's/^\.SS \([a-z][a-z -]*\)$/\1/p' "$page")
compare commands section "$commands" "$sections"
