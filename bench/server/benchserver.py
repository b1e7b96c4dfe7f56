#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""benchserver.py: what the server benchmarks share: a fresh data dir made
with --init, a config with the enrollment limits raised (every request of a
benchmark comes from 127.0.0.1, so the default 60 a minute per IP would
answer 429 almost at once) and a server started on a free loopback port;
one keep-alive HTTPS connection for setup calls, device registration by
the real flow, and the figures' helpers."""

import http.client
import json
import os
import select
import shutil
import ssl
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "tests", "server"))
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from devicetest import CLAIMS, jwk_of, sign_headers, thumbprint  # noqa: E402

LIMIT = 100000  # rate_limit_ip, rate_limit_address and rate_limit_user


class BenchServer:
    def __init__(self, server_bin, tmp, settings, join=None):
        """Inits TMP/data and starts the server with `settings` ({key: value}) added
        (`database` among them for PostgreSQL). With `join` (another BenchServer on
        the same database), copies its data dir instead, as a new instance joins."""
        self.data = os.path.join(tmp, "data")
        if join is None:
            init = [server_bin, "--data-dir", self.data, "--init"]
            if "database" in settings:
                init += ["--database", settings["database"]]
            subprocess.run(init, check=True, capture_output=True)
        else:
            shutil.copytree(join.data, self.data,
                            ignore=shutil.ignore_patterns("server.lock", "outbox.jsonl"))
        conf = os.path.join(tmp, "server.conf")
        with open(conf, "w", encoding="ascii") as f:
            f.write("# bench: all requests come from 127.0.0.1; enrollment limits raised\n")
            for key in ("rate_limit_ip", "rate_limit_address", "rate_limit_user"):
                f.write("%s = %d\n" % (key, LIMIT))
            for key, value in settings.items():
                f.write("%s = %s\n" % (key, value))
        self.log = open(os.path.join(tmp, "server.log"), "w", encoding="utf-8")
        self.proc = subprocess.Popen([server_bin, "--config", conf, "--data-dir", self.data,
                                      "--listen", "127.0.0.1:0"],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        line = self.proc.stdout.readline() if ready else ""
        if "listening on https://" not in line:
            self.stop()
            raise SystemExit("the server did not start; see " + self.log.name)
        self.port = int(line.rsplit(":", 1)[1])
        self.cafile = os.path.join(self.data, "ca.pem")
        with open(os.path.join(self.data, "admin-token"), encoding="ascii") as f:
            self.token = f.read().strip()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=60)
        self.log.close()


class Https:
    """One keep-alive TLS connection for setup calls and the RP's pushes."""

    def __init__(self, port, ctx):
        self.conn = http.client.HTTPSConnection("localhost", port, context=ctx, timeout=60)
        self.reconnects = 0

    def call(self, method, path, body=None, token=None, headers=None):
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        raw = body if isinstance(body, bytes) else (json.dumps(body).encode()
                                                     if body is not None else None)
        if raw is not None:
            hdrs.setdefault("Content-Type", "application/json")
        try:
            self.conn.request(method, path, body=raw, headers=hdrs)
            resp = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError, ssl.SSLEOFError):
            # The server closed the idle keep-alive connection: once more on a
            # new one (a push's time then includes the new handshake).
            self.reconnects += 1
            self.conn.close()
            self.conn.request(method, path, body=raw, headers=hdrs)
            resp = self.conn.getresponse()
        data = resp.read()
        return resp.status, (json.loads(data) if data else None)


def register_device(https, admin_token, issuer, email, outbox):
    """Registers a device the way a client does: a user, enroll start, the
    code from `outbox` (outbox.jsonl, open at its next line), verify, a signed
    POST /v1/devices with a new P-256 key. Returns (user id, device id, key)."""
    status, user = https.call("POST", "/v1/admin/users", {"v": 1, "email": email},
                              token=admin_token)
    assert status == 201, user
    client_nonce = "bench-nonce-" + email.split("@")[0]
    status, started = https.call("POST", "/v1/enroll/start",
                                 {"v": 1, "channel": "email", "address": email,
                                  "client_nonce": client_nonce})
    assert status == 202, started
    msg = json.loads(outbox.readline())
    assert msg["to"] == email, msg
    status, verified = https.call("POST", "/v1/enroll/verify",
                                  {"v": 1, "enrollment_id": started["enrollment_id"],
                                   "code": msg["code"], "client_nonce": client_nonce})
    assert status == 200, verified
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = jwk_of(key)
    raw = json.dumps({"v": 1, "enrollment_token": verified["enrollment_token"],
                      "registration_challenge": verified["registration_challenge"],
                      "device_key": jwk, "device": CLAIMS,
                      "client": {"name": "entsec-bench", "version": "0.1"}}).encode()
    headers = sign_headers(key, "jkt:" + thumbprint(jwk), "POST", issuer + "/v1/devices", raw)
    status, device = https.call("POST", "/v1/devices", raw, headers=headers)
    assert status == 201, device
    return user["id"], device["device_id"], key


def rss_kib(pid):
    with open("/proc/%d/status" % pid, encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1])
    return -1


def percentile(values, fraction):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * fraction))]


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
