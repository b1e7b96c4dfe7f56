#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# pg-cluster.sh COMMAND [ARG...]: run COMMAND next to a throwaway PostgreSQL
# cluster (Debian's postgresql-15 binaries: initdb + pg_ctl in a new temp
# dir, listening on a Unix socket in that dir only, no TCP), then stop and
# delete the cluster, whether COMMAND passed or failed. No server installed
# beforehand is used. initdb refuses root, so as root (CI) the cluster runs
# as the unprivileged user "nobody", which owns the dir.
#
# COMMAND sees PGHOST (the socket dir), PGUSER (a superuser of the cluster,
# trust authentication on the socket) and PGDATABASE=postgres, which libpq
# and the client tools (createdb) pick up, and ENTSEC_TEST_PG_HOST (the
# same dir) that tells the storage tests to use PostgreSQL.
#
# ENTSEC_PG_SETTINGS replaces the cluster's settings (postgres -c options);
# the default turns fsync off, which a benchmark of durable writes must not.
set -eu

bindir=${ENTSEC_PG_BINDIR:-/usr/lib/postgresql/15/bin}
for tool in initdb pg_ctl; do
  if [ ! -x "$bindir/$tool" ]; then
    echo "pg-cluster.sh: $bindir/$tool is missing: install postgresql-15" >&2
    exit 1
  fi
done

tmp=$(mktemp -d /tmp/entsec-pg-XXXXXX)
as_owner=""
if [ "$(id -u)" = 0 ]; then
  chown nobody "$tmp"
  as_owner="setpriv --reuid=nobody --regid=nogroup --clear-groups --"
fi

cleanup() {
  if [ -f "$tmp/data/postmaster.pid" ]; then
    $as_owner "$bindir/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! $as_owner "$bindir/initdb" -D "$tmp/data" -U entsec -A trust -E UTF8 --locale=C.UTF-8 \
     --no-sync >"$tmp/initdb.log" 2>&1; then
  cat "$tmp/initdb.log" >&2
  exit 1
fi
# fsync off: a test cluster needs no durability, and the disk is shared
settings=${ENTSEC_PG_SETTINGS:--c fsync=off -c synchronous_commit=off -c max_connections=300}
if ! $as_owner "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 60 \
     -o "-c listen_addresses= -k $tmp $settings" start >/dev/null; then
  cat "$tmp/server.log" >&2
  exit 1
fi

PGHOST=$tmp
PGUSER=entsec
PGDATABASE=postgres
ENTSEC_TEST_PG_HOST=$tmp
ENTSEC_PG_BINDIR=$bindir
export PGHOST PGUSER PGDATABASE ENTSEC_TEST_PG_HOST ENTSEC_PG_BINDIR
status=0
"$@" || status=$?
exit "$status"
