#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# check-install.sh BUILD_DIR CC: install the build into a throwaway prefix,
# then build and run a program against libentsec found through pkg-config
# (entsec-1.pc), as a third party would.
set -eu
build=$1
cc=$2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/entsec-install-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
pc=$(find "$tmp/prefix" -name entsec-1.pc)
[ -n "$pc" ] || { echo "entsec-1.pc was not installed" >&2; exit 1; }
[ -f "$tmp/prefix/share/man/man1/entsec-cli.1" ] || { echo "the man page was not installed" >&2; exit 1; }
if [ -x "$tmp/prefix/bin/entsec" ]; then
  [ -f "$tmp/prefix/share/man/man1/entsec.1" ] || { echo "the man page entsec.1 was not installed" >&2; exit 1; }
fi
if [ -x "$tmp/prefix/sbin/entsec-server" ]; then
  for page in entsec-admin.1 entsec-server.1; do
    [ -f "$tmp/prefix/share/man/man1/$page" ] || { echo "the man page $page was not installed" >&2; exit 1; }
  done
fi

flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs entsec-1)
libdir=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --variable=libdir entsec-1)
# shellcheck disable=SC2086
"$cc" "$(dirname "$0")/install-consumer.c" -o "$tmp/consumer" $flags -Wl,-rpath,"$libdir"
out=$("$tmp/consumer")
case "$out" in
  *" 755224") echo "installed libentsec works: $out" ;;
  *) echo "unexpected output from the consumer: $out" >&2; exit 1 ;;
esac
"$tmp/prefix/bin/entsec-cli" --version
