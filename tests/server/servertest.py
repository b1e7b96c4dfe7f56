#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""servertest.py: what every entsec-server test over TLS shares.

Each test makes a data dir with --init, starts the server on 127.0.0.1 with
port 0 (it prints the port it got) and talks to it with verified TLS: the
CA is the ca.pem --init wrote, the host name is checked. No mocks.
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import select
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import unittest

SERVER = None  # set by main() from argv[1]
START_TIMEOUT = 20  # seconds; every wait below is bounded
PROBLEM = "tag:entsec.org,2026:problem:"


def hotp(secret, counter, digits=6, digest=hashlib.sha1):
    """RFC 4226 of a Base32 `secret`, as the admin API hands it out once."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10 ** digits).zfill(digits)


def step(period=30):
    """The current TOTP step: the server accepts the one before and after too."""
    return int(time.time()) // period


class Connection(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1, verifying the certificate for `server_name`; from
    the loopback address `source` (127.0.0.0/8) when given."""

    def __init__(self, port, context, server_name="localhost", source=None):
        super().__init__("127.0.0.1", port, context=context, timeout=10)
        self.server_name = server_name
        self.ssl_context = context
        self.source = source

    def connect(self):
        sock = socket.create_connection(("127.0.0.1", self.port), self.timeout,
                                        (self.source, 0) if self.source else None)
        self.sock = self.ssl_context.wrap_socket(sock, server_hostname=self.server_name)


def with_database(data_dir, env=None, create=False):
    """@env for a server of @data_dir: on PostgreSQL runs (pg-cluster.sh sets
    ENTSEC_TEST_PG_HOST) with ENTSEC_SERVER_DATABASE naming a database of
    that dir's own, made (empty) when @create; else @env as it is."""
    host = os.environ.get("ENTSEC_TEST_PG_HOST")
    if host is None:
        return env
    name = "t" + hashlib.sha256(os.path.abspath(data_dir).encode()).hexdigest()[:24]
    if create:
        made = subprocess.run([os.path.join(os.environ["ENTSEC_PG_BINDIR"], "createdb"), name],
                              capture_output=True, text=True, timeout=60, check=False)
        if made.returncode != 0 and "already exists" not in made.stderr:
            raise AssertionError("createdb failed: " + made.stderr)
    env = dict(os.environ if env is None else env)
    env["ENTSEC_SERVER_DATABASE"] = f"postgresql://{os.environ['PGUSER']}@/{name}?host={host}"
    return env


class Server:
    def __init__(self, data_dir, extra_args=(), env=None):
        self.data_dir = data_dir
        self.log = None
        self.proc = subprocess.Popen(
            [SERVER, "--data-dir", data_dir, "--listen", "127.0.0.1:0", *extra_args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=with_database(data_dir, env), text=True)
        self.port = self._read_port()

    def _read_port(self):
        ready, _, _ = select.select([self.proc.stdout], [], [], START_TIMEOUT)
        if not ready:
            self.stop()
            raise AssertionError("the server did not start in time")
        line = self.proc.stdout.readline()
        if "listening on https://" not in line:
            self.stop()
            raise AssertionError("the server did not start: " + self.log)
        return int(line.rsplit(":", 1)[1])

    def context(self, **versions):
        ctx = ssl.create_default_context(cafile=os.path.join(self.data_dir, "ca.pem"))
        for key, value in versions.items():
            setattr(ctx, key, value)
        return ctx

    def request(self, method, path, body=None, token=None, headers=None, raw=None,
                chunked=False):
        conn = Connection(self.port, self.context())
        hdrs = dict(headers or {})
        if token is not None:
            hdrs["Authorization"] = "Bearer " + token
        if body is not None:
            raw = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, path, body=raw, headers=hdrs, encode_chunked=chunked)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        parsed = json.loads(data) if data else None
        return resp.status, resp, parsed, data

    def stop(self):
        """Stops the server (SIGTERM); its log is then in self.log."""
        if self.log is not None:
            return self.proc.returncode
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            _, self.log = self.proc.communicate(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, self.log = self.proc.communicate(timeout=START_TIMEOUT)
        return self.proc.returncode


def run_init(data_dir, *args):
    return subprocess.run([SERVER, "--data-dir", data_dir, "--init", *args],
                          capture_output=True, text=True, timeout=60, check=False,
                          env=with_database(data_dir, create=True))


def spki_pin(cert_path):
    pubkey = subprocess.run(["openssl", "x509", "-in", cert_path, "-noout", "-pubkey"],
                            capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pubkey,
                         capture_output=True, check=True).stdout
    return "sha256//" + base64.b64encode(hashlib.sha256(der).digest()).decode()


class ServerTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="entsec-server-test-")
        self.data_dir = os.path.join(self.tmp, "data")
        self.init = run_init(self.data_dir)
        self.assertEqual(self.init.returncode, 0, self.init.stderr)
        # on PostgreSQL runs, no SQLite file: the server really uses the cluster
        self.assertEqual(os.path.exists(os.path.join(self.data_dir, "entsec.db")),
                         "ENTSEC_TEST_PG_HOST" not in os.environ)
        with open(os.path.join(self.data_dir, "admin-token"), encoding="ascii") as f:
            self.token = f.read().strip()
        self.server = None

    def tearDown(self):
        if self.server is not None:
            self.server.stop()
        shutil.rmtree(self.tmp)

    def start(self, *args, env=None):
        self.server = Server(self.data_dir, args, env)
        return self.server

    def assertProblem(self, result, status, code):
        got_status, resp, body, _ = result
        self.assertEqual(got_status, status, body)
        self.assertEqual(resp.getheader("Content-Type"), "application/problem+json")
        self.assertEqual(body["type"], PROBLEM + code)
        self.assertEqual(body["status"], status)
        self.assertEqual(body["v"], 1)


def main():
    """Runs the calling module's tests: argv[1] is the entsec-server binary."""
    global SERVER
    SERVER = os.path.abspath(sys.argv.pop(1))
    unittest.main(module="__main__", verbosity=2)
