#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# check-man-page.sh CLI MANPAGE: every command `CLI --help` lists has its own
# section in the man page, and the page has no section for a command that is
# gone, so entsec-cli(1) and entsec-admin(1) keep up with the code. A command
# may be several words ("users add"): in --help two spaces end it.
set -eu
cli=$1
page=$2

commands=$("$cli" --help | sed -n '/^Commands:/,/^$/p' \
  | sed -n 's/^  \([a-z][a-z -]*[a-z]\)  .*/\1/p')
sections=$(sed -n 's/^\.SS \([a-z][a-z -]*\)$/\1/p' "$page")
[ -n "$commands" ] || { echo "no commands found in '$cli --help'" >&2; exit 1; }

status=0
while IFS= read -r c; do
  printf '%s\n' "$sections" | grep -qx "$c" || { echo "man page: no section for '$c'" >&2; status=1; }
done <<END
$commands
END
while IFS= read -r s; do
  printf '%s\n' "$commands" | grep -qx "$s" || { echo "man page: '$s' is not a command" >&2; status=1; }
done <<END
$sections
END
n=$(printf '%s\n' "$commands" | wc -l)
if [ "$status" -eq 0 ]; then
  echo "$n commands, all documented" >&2
else
  echo "$n commands; the man page $page does not match '$cli --help' (see above)" >&2
fi
exit "$status"
