#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Two entsec-server instances on one PostgreSQL against one on SQLite.

The benchmark of the production setup (docs/server.md, "Several
instances"), in one run, for each system in turn: DEVICES registered
devices, POLLS of them holding a signed events long-poll each (spread over
the instances; each poll is sent again on its keep-alive connection when
it answers, so they stay held), push delivery latency (an RP starts a push
for the user of a device whose poll is held -> that poll answers with the
push event, end to end), then validate throughput (HOTP codes through
POST /v1/auth/validate with entsec-server-load, one load process per
instance at once) while the polls stay held.

Devices are seeded, not enrolled one by one: one device is registered by
the real flow (enroll start, the code from outbox.jsonl, verify, signed
POST /v1/devices); its users and devices rows are the template for the
others, each with a new P-256 key, id, user and address, inserted by SQL
(SQLite: one transaction; PostgreSQL: COPY). Every seeded device is a
registration the server accepts signatures from: the polls are signed with
the seeded keys.

Run under tests/server/pg-cluster.sh, which starts the PostgreSQL cluster
(ENTSEC_PG_SETTINGS gives its settings; bench/README.md has the ones used):

    tests/server/pg-cluster.sh bench/server/run-fleet-bench.py build/release

--smoke runs tiny numbers (the `bench-fleet-smoke` ctest case).
"""

import argparse
import asyncio
import csv
import io
import json
import os
import re
import resource
import secrets
import shutil
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import time

from benchserver import (BenchServer, Https, percentile, register_device, rss_kib,
                         uptime, LIMIT)
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
# benchserver put tests/server on the path
from devicetest import b64u, jwk_of, sign_headers, thumbprint  # noqa: E402
from servertest import hotp  # noqa: E402

WAIT = 30  # the longest hold the protocol allows


class Fleet:
    """The seeded users and devices, the same ids and keys for every system."""

    def __init__(self, n):
        t0 = time.monotonic()
        self.users, self.devices, self.keys = [], [], []
        for i in range(n):
            key = ec.generate_private_key(ec.SECP256R1())
            self.keys.append(key)
            self.users.append(("usr_" + b64u(secrets.token_bytes(16)),
                               "fleet%06d@example.com" % i))
            self.devices.append("dev_" + b64u(secrets.token_bytes(16)))
        print("generated %d P-256 keys in %.1f s (setup)" % (n, time.monotonic() - t0))

    def rows(self, template_user, template_device):
        """Yields (user row, device row) dicts made from the templates."""
        jwk_text = template_device["key_jwk"]
        compact = json.dumps(json.loads(jwk_text), separators=(",", ":"))
        if compact != jwk_text:
            raise SystemExit("the template's key_jwk is not compact JSON: update the seeding")
        for i, key in enumerate(self.keys):
            jwk = jwk_of(key)
            user = dict(template_user, id=self.users[i][0], email=self.users[i][1])
            device = dict(template_device, id=self.devices[i], user_id=self.users[i][0],
                          key_jwk=json.dumps(dict(json.loads(jwk_text), x=jwk["x"], y=jwk["y"]),
                                             separators=(",", ":")),
                          key_jkt=thumbprint(jwk))
            yield user, device


def psql(database, sql, stdin=None):
    out = subprocess.run([os.path.join(os.environ["ENTSEC_PG_BINDIR"], "psql"), "-X", "-q", "-A", "-t",
                          "-v", "ON_ERROR_STOP=1", "-d", database, "-c", sql],
                         input=stdin, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit("psql failed: " + out.stderr)
    return out.stdout


class System:
    """One system under test: its instances and how to seed its database."""

    def __init__(self, label, server_bin, tmp, instances, args, pg_db=None):
        self.label, self.pg_db = label, pg_db
        # one public issuer for all instances, as behind a proxy: the signed URI
        settings = {"max_connections": args.polls + 1000, "issuer": "https://localhost"}
        if args.threads:
            settings["threads"] = args.threads
        if pg_db is not None:
            settings["database"] = "postgresql://%s@/%s?host=%s" % (
                os.environ["PGUSER"], pg_db, os.environ["PGHOST"])
        self.instances = []
        for k in range(instances):
            where = os.path.join(tmp, "%s-%d" % (label, k))
            os.mkdir(where)
            join = self.instances[0] if self.instances else None
            self.instances.append(BenchServer(server_bin, where, settings, join=join))
        first = self.instances[0]
        self.token = first.token
        self.ctx = ssl.create_default_context(cafile=first.cafile)
        self.https = [Https(srv.port, self.ctx) for srv in self.instances]
        status, disco = self.https[0].call("GET", "/.well-known/entsec-configuration")
        assert status == 200, disco
        self.issuer = disco["issuer"]

    def template(self):
        with open(os.path.join(self.instances[0].data, "outbox.jsonl"), "a+",
                  encoding="utf-8") as outbox:
            outbox.seek(0)
            _, device_id, _ = register_device(self.https[0], self.token, self.issuer,
                                              "template@example.com", outbox)
        if self.pg_db is None:
            return self._sqlite_rows(device_id)
        return self._pg_rows(device_id)

    def _sqlite_rows(self, device_id):
        db = sqlite3.connect(os.path.join(self.instances[0].data, "entsec.db"))
        db.row_factory = sqlite3.Row
        device = dict(db.execute("SELECT * FROM devices WHERE id = ?", (device_id,)).fetchone())
        user = dict(db.execute("SELECT * FROM users WHERE id = ?",
                               (device["user_id"],)).fetchone())
        db.close()
        return user, device

    def _pg_rows(self, device_id):
        def one(table, row_id):
            text = psql(self.pg_db, "COPY (SELECT * FROM %s WHERE id = '%s') TO STDOUT "
                        "WITH (FORMAT csv, HEADER)" % (table, row_id))
            return next(csv.DictReader(io.StringIO(text)))
        device = one("devices", device_id)
        return one("users", device["user_id"]), device

    def seed(self, fleet):
        t0 = time.monotonic()
        user0, device0 = self.template()
        self.key_epoch = int(device0["key_epoch"])
        rows = list(fleet.rows(user0, device0))
        if self.pg_db is None:
            db = sqlite3.connect(os.path.join(self.instances[0].data, "entsec.db"), timeout=60)
            with db:
                for table, index in (("users", 0), ("devices", 1)):
                    cols = list(rows[0][index])
                    db.executemany("INSERT INTO %s (%s) VALUES (%s)"
                                   % (table, ",".join(cols), ",".join("?" * len(cols))),
                                   [[r[index][c] for c in cols] for r in rows])
            db.close()
        else:
            for table, index in (("users", 0), ("devices", 1)):
                cols = list(rows[0][index])
                text = io.StringIO()
                writer = csv.writer(text)
                for r in rows:
                    writer.writerow(["" if r[index][c] is None else r[index][c] for c in cols])
                # CSV: an empty unquoted field is NULL, as the template's NULLs were read
                psql(self.pg_db, "COPY %s (%s) FROM STDIN WITH (FORMAT csv)"
                     % (table, ",".join(cols)), stdin=text.getvalue())
        print("[%s] seeded %d users and devices in %.1f s (setup)"
              % (self.label, len(rows), time.monotonic() - t0))

    def waiting(self):
        total = 0
        for https in self.https:
            status, body = https.call("GET", "/v1/admin/status", token=self.token)
            assert status == 200, body
            total += body["long_polls"]["waiting"]
        return total

    def stop(self):
        for srv in self.instances:
            srv.stop()


class Polls:
    """POLLS held long-polls, device i on instance i % instances."""

    def __init__(self, system, fleet, n, park_timeout):
        self.system, self.fleet, self.n = system, fleet, n
        self.park_timeout = park_timeout
        self.pushed = {}  # device index -> (asyncio.Event, time of the push event)
        self.held = set()  # device indexes whose poll is sent and not answered
        self.statuses = {}
        self.errors = 0
        self.connected = 0
        self.stopping = False
        self.parking = True  # False once park() is over: no new connections then

    async def hold(self, i, handshakes):
        srv = self.system.instances[i % len(self.system.instances)]
        device_id = self.fleet.devices[i]
        keyid = "%s#%d" % (device_id, self.system.key_epoch)
        async with handshakes:
            if not self.parking:
                return  # the later phases measure the polls held, not handshakes
            reader, writer = await asyncio.open_connection("127.0.0.1", srv.port,
                                                           ssl=self.system.ctx,
                                                           server_hostname="localhost")
        self.connected += 1
        cursor = 0
        try:
            while not self.stopping:
                path = "/v1/devices/%s/events?wait=%d&cursor=%d" % (device_id, WAIT, cursor)
                headers = sign_headers(self.fleet.keys[i], keyid, "GET",
                                       self.system.issuer + path, None)
                head = "".join("%s: %s\r\n" % kv for kv in headers.items())
                writer.write(("GET %s HTTP/1.1\r\nHost: localhost\r\n%s\r\n"
                              % (path, head)).encode())
                await writer.drain()
                self.held.add(i)
                status, body = await read_response(reader)
                now = time.monotonic()
                self.held.discard(i)
                self.statuses[status] = self.statuses.get(status, 0) + 1
                if status != 200:
                    self.errors += 1
                    if self.errors == 1:
                        print("[%s] a poll answered %d: %s"
                              % (self.system.label, status, body.decode(errors="replace")))
                    return
                answer = json.loads(body)
                if i in self.pushed and any(e["type"] == "push" for e in answer["events"]):
                    event, _ = self.pushed[i]
                    if not event.is_set():
                        self.pushed[i] = (event, now)
                        event.set()
                cursor = answer["cursor"]
        finally:
            self.held.discard(i)
            writer.close()

    async def park(self):
        handshakes = asyncio.Semaphore(100)  # within the server's listen backlog
        self.tasks = [asyncio.ensure_future(self.hold(i, handshakes)) for i in range(self.n)]
        t0 = time.monotonic()
        parked, shown = 0, t0
        while time.monotonic() - t0 < self.park_timeout:
            await asyncio.sleep(0.5)
            parked = await asyncio.to_thread(self.system.waiting)
            if parked >= self.n or self.errors:
                break
            if time.monotonic() - shown >= 60:
                shown = time.monotonic()
                print("[%s]   %d TLS connections, %d polls held after %.0f s"
                      % (self.system.label, self.connected, parked, shown - t0), flush=True)
        self.parking = False
        rss = [rss_kib(srv.proc.pid) for srv in self.system.instances]
        print("[%s] polls held: %d of %d after %.1f s (%d TLS connections open); server RSS "
              "%s MiB" % (self.system.label, parked, self.n, time.monotonic() - t0,
                          self.connected, " + ".join("%.0f" % (r / 1024) for r in rss)))
        return parked

    async def push(self, count, rp_key):
        """Pushes one at a time, instance (k // 2) % instances starting push k, each
        to the user of the next device with a held poll (device i polls instance
        i % instances, so about half the pushes cross instances). Returns (latencies same instance, latencies
        cross instance, missed)."""
        same, cross, missed = [], [], 0
        n_inst = len(self.system.instances)
        candidates = iter(range(self.n))
        for k in range(count):
            i = next((c for c in candidates if c in self.held), None)
            if i is None:
                missed += 1
                continue
            self.pushed[i] = (asyncio.Event(), None)
            t_push = time.monotonic()
            status, body = await asyncio.to_thread(
                self.system.https[(k // 2) % n_inst].call, "POST", "/v1/auth/push",
                {"v": 1, "user": self.fleet.users[i][0], "number_matching": "none"}, rp_key)
            assert status == 201, body
            try:
                await asyncio.wait_for(self.pushed[i][0].wait(), 10)
            except asyncio.TimeoutError:
                missed += 1
                continue
            latency = self.pushed[i][1] - t_push
            (same if (k // 2) % n_inst == i % n_inst else cross).append(latency)
            if (k + 1) % 50 == 0:
                print("[%s]   %d pushes delivered, %d missed" % (self.system.label,
                                                                len(same) + len(cross), missed),
                      flush=True)
        return same, cross, missed

    async def stop(self):
        self.stopping = True
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    if length is None:
        raise SystemExit("a poll answer without Content-Length: " + lines[0])
    return status, await reader.readexactly(length)


def validate(system, build, tmp, tokens, codes, clients):
    """Makes `tokens` HOTP tokens and replays `codes` new codes of each through
    POST /v1/auth/validate, one entsec-server-load per instance at once."""
    https, token = system.https[0], system.token
    status, rp = https.call("POST", "/v1/admin/rps", {"v": 1, "name": "fleet-validate"},
                            token=token)
    assert status == 201, rp
    n_inst = len(system.instances)
    files = [[] for _ in range(n_inst)]
    for t in range(tokens):
        status, user = https.call("POST", "/v1/admin/users",
                                  {"v": 1, "email": "tok%04d@example.com" % t}, token=token)
        assert status == 201, user
        status, tok = https.call("POST", "/v1/admin/tokens",
                                 {"v": 1, "user": user["id"], "type": "hotp"}, token=token)
        assert status == 201, tok
        status, body = https.call("POST", "/v1/admin/tokens/%s/ack" % tok["id"],
                                  {"v": 1, "code": hotp(tok["secret"], 1)}, token=token)
        assert status == 204, body
        for counter in range(2, 2 + codes):
            body = {"v": 1, "code": hotp(tok["secret"], counter), "token": tok["id"]}
            files[t % n_inst].append("%d\tPOST\t/v1/auth/validate\t%s\t%s\n"
                                     % (t // n_inst, rp["api_key"], json.dumps(body)))
    procs = []
    for k, lines in enumerate(files):
        path = os.path.join(tmp, "%s-validate-%d.req" % (system.label, k))
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.writelines(lines)
        srv = system.instances[k]
        procs.append((path, subprocess.Popen(
            [os.path.join(build, "bench/server/entsec-server-load"),
             "%s-validate-%d" % (system.label, k), str(srv.port), srv.cafile, path,
             str(max(1, clients // n_inst)), str(srv.proc.pid), "localhost"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
    total_rate, ok = 0.0, True
    for k, (path, proc) in enumerate(procs):
        out, err = proc.communicate(timeout=600)
        os.unlink(path)
        sys.stdout.write("  " + out)
        sys.stderr.write(err)
        rate = re.search(r"rate=(\d+)/s", out)
        statuses = re.search(r"statuses=(\S+)", out)
        want = "200:%d" % len(files[k])
        if proc.returncode != 0 or rate is None or statuses is None or statuses.group(1) != want:
            print("  UNEXPECTED: wanted statuses %s" % want)
            ok = False
        else:
            total_rate += float(rate.group(1))
    print("[%s] validate: %.0f codes/s over %d instance(s) (sum of the concurrent runs)"
          % (system.label, total_rate, n_inst))
    return ok


def ms(values, fraction):
    return 1e3 * percentile(values, fraction) if values else float("nan")


async def exercise(system, fleet, args, tmp):
    polls = Polls(system, fleet, args.polls, args.park_timeout)
    ok = True
    try:
        parked = await polls.park()
        ok = parked >= args.polls and polls.errors == 0
        status, rp = await asyncio.to_thread(system.https[0].call, "POST", "/v1/admin/rps",
                                             {"v": 1, "name": "fleet-push"}, system.token)
        assert status == 201, rp
        same, cross, missed = await polls.push(args.pushes, rp["api_key"])
        both = same + cross
        print("[%s] push delivery, %d pushes (RP push sent -> held poll answered with it): "
              "p50 %.1f ms, p99 %.1f ms, max %.1f ms; %d missed"
              % (system.label, len(both), ms(both, 0.5), ms(both, 0.99),
                 1e3 * max(both) if both else float("nan"), missed))
        if cross:
            print("[%s]   started on the poll's instance: %d, p50 %.1f / p99 %.1f ms; on the "
                  "other (LISTEN/NOTIFY): %d, p50 %.1f / p99 %.1f ms"
                  % (system.label, len(same), ms(same, 0.5), ms(same, 0.99), len(cross),
                     ms(cross, 0.5), ms(cross, 0.99)))
        ok = ok and missed == 0 and len(both) == args.pushes
        ok = await asyncio.to_thread(validate, system, args.build, tmp, args.tokens,
                                     args.codes, args.clients) and ok
        held = await asyncio.to_thread(system.waiting)
        print("[%s] polls held after the validate run: %d; poll answers by status: %s"
              % (system.label, held, polls.statuses))
    finally:
        await polls.stop()
    return ok and polls.errors == 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build", help="a build directory (Release: build/release)")
    parser.add_argument("--devices", type=int, default=50000, help="registered devices")
    parser.add_argument("--polls", type=int, default=10000, help="held long-polls")
    parser.add_argument("--pushes", type=int, default=500)
    parser.add_argument("--tokens", type=int, default=64, help="HOTP tokens to validate")
    parser.add_argument("--codes", type=int, default=100, help="codes per token")
    parser.add_argument("--clients", type=int, default=32, help="validate connections in all")
    parser.add_argument("--park-timeout", type=float, default=300,
                        help="seconds to get every poll held (then the run goes on, failed)")
    parser.add_argument("--threads", type=int,
                        help="every instance's `threads` (default: its own; database_pool "
                        "follows it)")
    parser.add_argument("--systems", default="sqlite,pg",
                        help="which to run: sqlite (1 instance), pg (2 instances)")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny numbers: 200 devices, 40 polls, 10 pushes, 4 x 5 codes")
    args = parser.parse_args()
    if args.smoke:
        args.devices, args.polls, args.pushes = 200, 40, 10
        args.tokens, args.codes, args.clients = 4, 5, 4
    if not 0 < args.polls <= args.devices or args.pushes > args.polls:
        parser.error("need 0 < --polls <= --devices and --pushes <= --polls")
    systems = args.systems.split(",")
    if "pg" in systems and "ENTSEC_PG_BINDIR" not in os.environ:
        parser.error("run under tests/server/pg-cluster.sh for the pg system")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.polls + 1000
    if hard != resource.RLIM_INFINITY and hard < need:
        parser.error("the open-file hard limit (%d) is below %d" % (hard, need))
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, need), hard))
    print("uptime before:", uptime())
    print("enrollment limits raised to %d in every instance's config (one client address)"
          % LIMIT)
    server_bin = os.path.join(args.build, "src/server/entsec-server")
    tmp = tempfile.mkdtemp(prefix="entsec-fleet-bench-")
    fleet = Fleet(args.devices)
    ok = True
    try:
        for label in systems:
            pg_db = None
            if label == "pg":
                pg_db = "fleet_bench"
                subprocess.run([os.path.join(os.environ["ENTSEC_PG_BINDIR"], "createdb"),
                                pg_db], check=True)
                print("[pg] PostgreSQL settings: " + psql(
                    pg_db, "SELECT string_agg(name || '=' || setting, ' ' ORDER BY name) FROM "
                    "pg_settings WHERE name IN ('fsync', 'synchronous_commit', "
                    "'max_connections', 'shared_buffers', 'max_wal_size', 'full_page_writes', "
                    "'wal_level')").strip().splitlines()[-1])
            elif label != "sqlite":
                parser.error("unknown system %s" % label)
            system = System(label, server_bin, tmp, 2 if label == "pg" else 1, args, pg_db)
            try:
                system.seed(fleet)
                ok = asyncio.run(exercise(system, fleet, args, tmp)) and ok
                if pg_db is not None:
                    print("[pg] server connections to PostgreSQL at the end: " + psql(
                        pg_db, "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                        "current_database()").split()[-1])
            finally:
                system.stop()
            print("uptime:", uptime())
    finally:
        shutil.rmtree(tmp)
    print("RESULT: %s" % ("ok" if ok else "UNEXPECTED answers or missed pushes (above)"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
