#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Throughput and latency of entsec-server over keep-alive TLS on loopback.

Makes a fresh data dir with --init, writes a config whose per-IP, per-address
and per-user enrollment limits are raised to 100000 (all the load comes from
127.0.0.1, so the defaults would answer 429 after 60 requests a minute),
starts the server and replays one request file per phase with
entsec-server-load (CLIENTS keep-alive TLS connections, the server's CA
verified). Each phase prints: requests, rate, p50/p99/max latency, the
answers' statuses, new TLS connections, the server's CPU time; then this
script checks the statuses are the ones the phase expects.

    bench/server/run-server-bench.py build/release [--clients 32] [--users 2000]

Phases (see bench/README.md, "Server"):
  admin-create-user      POST /v1/admin/users (one SQLite write each)
  enroll-start-known     POST /v1/enroll/start for users' addresses: a code,
                         an enrollment row and an outbox.jsonl line each
  enroll-start-unknown   the same for addresses no user has (no outbox line)
  enroll-verify-wrong    4 wrong codes per enrollment of the known starts
  enroll-verify-right    the right code (from outbox.jsonl) once per enrollment
  validate-accepted      POST /v1/auth/validate with HOTP codes, each used once
                         (one token per connection, counters in order)
  validate-reused        each token's last 10 codes again: refused as reused
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import struct
import subprocess
import sys
import tempfile

from benchserver import BenchServer



def hotp(secret, counter, digits=6):
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10 ** digits).zfill(digits)


def nonce(i):
    return base64.urlsafe_b64encode(hashlib.sha256(b"bench%d" % i).digest()[:18]).decode()


class Admin:
    """One keep-alive TLS connection for the setup calls (not measured)."""

    def __init__(self, port, cafile, token):
        ctx = ssl.create_default_context(cafile=cafile)
        self.conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=30)
        self.token = token

    def call(self, method, path, body, token=None):
        self.conn.request(method, path, body=json.dumps(body),
                          headers={"Authorization": "Bearer " + (token or self.token),
                                   "Content-Type": "application/json"})
        resp = self.conn.getresponse()
        data = resp.read()
        return resp.status, (json.loads(data) if data else None)


class Bench:
    def __init__(self, args):
        self.args = args
        self.server_bin = os.path.join(args.build, "src/server/entsec-server")
        self.load_bin = os.path.join(args.build, "bench/server/entsec-server-load")
        self.tmp = tempfile.mkdtemp(prefix="entsec-server-bench-")
        self.proc = None
        self.perf = None
        self.port = None
        self.ok = True

    def start(self):
        settings = {"threads": self.args.threads} if self.args.threads else {}
        self.srv = BenchServer(self.server_bin, self.tmp, settings)
        self.proc, self.port, self.token = self.srv.proc, self.srv.port, self.srv.token
        self.data = self.srv.data
        self.admin = Admin(self.port, self.srv.cafile, self.token)
        if self.args.perf:
            self.perf = subprocess.Popen(["perf"] + self.args.perf.split()
                                         + ["-p", str(self.proc.pid)])

    def phase(self, label, lines, expect):
        """Runs one request file; `expect` is {status: count} the answers must match."""
        path = os.path.join(self.tmp, label + ".req")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            for group, method, target, bearer, body in lines:
                f.write("%d\t%s\t%s\t%s\t%s\n" % (group, method, target, bearer or "-",
                                                  json.dumps(body) if body else "-"))
        out = subprocess.run([self.load_bin, label, str(self.port),
                              os.path.join(self.data, "ca.pem"), path, str(self.args.clients),
                              str(self.proc.pid), "localhost"],
                             capture_output=True, text=True, check=False)
        os.unlink(path)
        sys.stdout.write(out.stdout)
        sys.stderr.write(out.stderr)
        got = dict((int(s), int(n)) for s, n in
                   re.findall(r"(\d{3}):(\d+)", out.stdout.split("statuses=")[-1]
                              .split(" ")[0]))
        if out.returncode != 0 or got != expect:
            print("  UNEXPECTED: wanted statuses %s, got %s" % (expect, got))
            self.ok = False

    def users(self, n):
        lines = [(i, "POST", "/v1/admin/users", self.token,
                  {"v": 1, "email": "bench%06d@example.com" % i}) for i in range(n)]
        self.phase("admin-create-user", lines, {201: n})

    def enroll(self, n):
        known = [(i, "POST", "/v1/enroll/start", None,
                  {"v": 1, "channel": "email", "address": "bench%06d@example.com" % i,
                   "client_nonce": nonce(i)}) for i in range(n)]
        self.phase("enroll-start-known", known, {202: n})
        unknown = [(i, "POST", "/v1/enroll/start", None,
                    {"v": 1, "channel": "email", "address": "nouser%05d@example.com" % i,
                     "client_nonce": nonce(i)}) for i in range(n)]
        self.phase("enroll-start-unknown", unknown, {202: n})
        codes = {}
        with open(os.path.join(self.data, "outbox.jsonl"), encoding="utf-8") as f:
            for line in f:
                msg = json.loads(line)
                codes[msg["to"]] = (msg["enrollment_id"], msg["code"])
        if len(codes) != n:
            print("  UNEXPECTED: %d codes in the outbox for %d starts" % (len(codes), n))
            self.ok = False
        wrong, right = [], []
        for i in range(n):
            enr, code = codes["bench%06d@example.com" % i]
            for k in range(1, 5):
                bad = "%06d" % ((int(code) + k) % 1000000)
                wrong.append((i, "POST", "/v1/enroll/verify", None,
                              {"v": 1, "enrollment_id": enr, "code": bad,
                               "client_nonce": nonce(i)}))
            right.append((i, "POST", "/v1/enroll/verify", None,
                          {"v": 1, "enrollment_id": enr, "code": code,
                           "client_nonce": nonce(i)}))
        self.phase("enroll-verify-wrong", wrong, {400: 4 * n})
        self.phase("enroll-verify-right", right, {200: n})

    def validate(self, n_tokens, per_token):
        status, rp = self.admin.call("POST", "/v1/admin/rps", {"v": 1, "name": "bench"})
        assert status == 201, rp
        lines = []
        for t in range(n_tokens):
            status, user = self.admin.call("POST", "/v1/admin/users",
                                           {"v": 1, "email": "tok%04d@example.com" % t})
            assert status == 201, user
            status, token = self.admin.call("POST", "/v1/admin/tokens",
                                            {"v": 1, "user": user["id"], "type": "hotp"})
            assert status == 201, token
            status, body = self.admin.call("POST", "/v1/admin/tokens/%s/ack" % token["id"],
                                           {"v": 1, "code": hotp(token["secret"], 1)})
            assert status == 204, body
            for counter in range(2, 2 + per_token):
                lines.append((t, "POST", "/v1/auth/validate", rp["api_key"],
                              {"v": 1, "code": hotp(token["secret"], counter),
                               "token": token["id"]}))
        n = len(lines)
        self.phase("validate-accepted", lines, {200: n})
        # Codes inside the window that were used already: refused without counting
        # against the token. (Older ones fall outside the HOTP window and count as
        # wrong codes, which locks the token: a different path, not measured here.)
        reused = [(g, m, p, k, dict(b, code=lines[g * per_token + per_token - 1 - i % 10]
                                    [4]["code"]))
                  for i, (g, m, p, k, b) in enumerate(lines)]
        self.phase("validate-reused", reused, {400: n})

    def stop(self):
        if self.perf is not None:
            self.perf.send_signal(signal.SIGINT)
            self.perf.wait(timeout=120)
        rss = ""
        with open("/proc/%d/status" % self.proc.pid, encoding="ascii") as f:
            rss = " ".join(l.split(None, 1)[1].strip().replace(" ", "") for l in f
                           if l.startswith(("VmRSS", "VmHWM")))
        print("server RSS now / peak: %s" % rss)
        self.srv.stop()
        shutil.rmtree(self.tmp)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build", help="a build directory (Release: build/release)")
    parser.add_argument("--clients", type=int, default=32, help="keep-alive connections")
    parser.add_argument("--threads", type=int, help="the server's `threads` (default: its own)")
    parser.add_argument("--users", type=int, default=2000, help="enrollments per phase")
    parser.add_argument("--tokens", type=int, default=64, help="HOTP tokens to validate")
    parser.add_argument("--codes", type=int, default=150, help="codes per token")
    parser.add_argument("--perf", metavar="ARGS",
                        help="run `perf ARGS -p SERVER_PID` during the phases, e.g. "
                        "\"record -g -o perf.data\" or \"stat -e ... -o stat.txt\"")
    args = parser.parse_args()
    if args.tokens < args.clients:
        parser.error("--tokens must be at least --clients (one token per connection)")
    print("uptime before:", subprocess.run(["uptime"], capture_output=True, text=True)
          .stdout.strip())
    bench = Bench(args)
    try:
        bench.start()
        bench.users(args.users)
        bench.enroll(args.users)
        bench.validate(args.tokens, args.codes)
    finally:
        if bench.proc is not None:
            bench.stop()
    print("uptime after:", subprocess.run(["uptime"], capture_output=True, text=True)
          .stdout.strip())
    return 0 if bench.ok else 1


if __name__ == "__main__":
    sys.exit(main())
