#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# check-systemd-units.sh UNIT SERVER: `systemd-analyze verify` of the
# configured entsec-server.service (its ExecStart pointed at the SERVER just
# built; any warning fails), and `systemd-analyze security --offline=yes`
# with a threshold: exposure above 2.0 fails (docs/server.md has the score).
# Skips (77) only when systemd-analyze is missing.
set -eu
unit=$1
server=$2

if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIP: systemd-analyze is not installed (Debian: systemd)" >&2
  exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/entsec-units-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

sed "s|^ExecStart=[^ ]*|ExecStart=$server|" "$unit" > "$tmp/entsec-server.service"
grep -q "^ExecStart=$server " "$tmp/entsec-server.service" \
  || { echo "no ExecStart line to point at the build" >&2; exit 1; }
if ! systemd-analyze verify "$tmp/entsec-server.service" > "$tmp/verify.log" 2>&1 \
   || [ -s "$tmp/verify.log" ]; then
  echo "systemd-analyze verify complained:" >&2
  cat "$tmp/verify.log" >&2
  exit 1
fi
if ! systemd-analyze security --offline=yes --threshold=20 "$tmp/entsec-server.service" \
     > "$tmp/security.log" 2>&1; then
  cat "$tmp/security.log" >&2
  echo "the unit's exposure is above 2.0" >&2
  exit 1
fi
tail -n 1 "$tmp/security.log"
