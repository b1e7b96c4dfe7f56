#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# check-exports.sh NM LIBENTSEC INCLUDE_DIR: the shared library exports
# exactly the functions declared in the public headers (INCLUDE_DIR/*.h),
# no internal helper, and no declared function is missing (ENTSEC_EXPORT).
set -eu
nm=$1
lib=$2
include=$3

tmp=$(mktemp -d "${TMPDIR:-/tmp}/entsec-exports-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# Declared: every "entsec_name (" outside comments and preprocessor lines
# (where function names are only called), plus the _get_type functions of
# G_DECLARE_*_TYPE.
for h in "$include"/*.h; do
  perl -0777 -pe 's{/\*.*?\*/}{ }gs; s{//[^\n]*}{}g; s{^[ \t]*#(?:[^\n]*\\\n)*[^\n]*}{}mg' "$h"
done | perl -0777 -ne '
  while (/\b(entsec_\w+)\s*\(/g) { print "$1\n" }
  while (/\bG_DECLARE_\w+_TYPE\s*\(\s*\w+\s*,\s*(\w+)/g) { print "$1_get_type\n" }' \
  | sort -u > "$tmp/declared"

# Exported, minus the markers older linkers add to every shared object.
"$nm" -D --defined-only "$lib" | awk 'NF >= 3 { print $3 }' \
  | grep -vxE '_init|_fini|_edata|_end|__bss_start' | sort -u > "$tmp/exported"

[ -s "$tmp/declared" ] || { echo "no function declarations found in $include" >&2; exit 1; }

status=0
missing=$(comm -23 "$tmp/declared" "$tmp/exported")
extra=$(comm -13 "$tmp/declared" "$tmp/exported")
if [ -n "$missing" ]; then
  echo "declared in $include but not exported (ENTSEC_EXPORT missing?):" >&2
  printf '%s\n' "$missing" | sed 's/^/  /' >&2
  status=1
fi
if [ -n "$extra" ]; then
  echo "exported but not declared in a public header (make it static or hidden):" >&2
  printf '%s\n' "$extra" | sed 's/^/  /' >&2
  status=1
fi
echo "$(wc -l < "$tmp/declared") functions declared, $(wc -l < "$tmp/exported") symbols exported" >&2
exit "$status"
