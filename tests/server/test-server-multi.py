#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-server-multi.py ENTSEC_SERVER: two real entsec-server instances on
one real PostgreSQL database (run under pg-cluster.sh, which starts a
throwaway cluster), joined as docs/server.md ("Several instances") says:
--init makes the first data directory, the second instance gets a copy of
it and the same database URL, both have the same public issuer.

A push started through one instance reaches a device long-polling the
other (LISTEN/NOTIFY); an authority key rotated through one signs what the
other serves at once, and a new instance joins without key files; a rate
limit counts requests to both; 20 concurrent
uses of one TOTP code spread over both give exactly one success; an instance killed with SIGKILL under load
loses no acknowledged push, command or enrollment: its devices poll the
other from their cursors and get everything; two instances started at once
on an empty key table sign with the one key 1 that got in. A replayed poll
is refused by the instance that answered it, a replayed heartbeat by the
other one too."""

import base64
import hashlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid

import servertest
from devicetest import (CLAIMS, CLIENT_NONCE, POLL_TIMEOUT, DeviceMixin, b64u_decode,
                        jws_payload, sign_headers)
from servertest import Connection, Server, hotp, run_init, step

ISSUER = "https://localhost"  # what a load balancer in front of both would be called
LOAD_TIMEOUT = 120  # seconds; every wait below is bounded


def header_of(compact):
    return json.loads(b64u_decode(compact.split(".")[0]))


def create_database():
    """A new database on the throwaway cluster; returns its URL."""
    name = "multi_" + uuid.uuid4().hex[:12]
    subprocess.run([os.path.join(os.environ["ENTSEC_PG_BINDIR"], "createdb"), name],
                   check=True, capture_output=True, timeout=60)
    return "postgresql://%s@/%s?host=%s" % (os.environ["PGUSER"], name, os.environ["PGHOST"])


class MultiTest(DeviceMixin, unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="entsec-multi-test-")
        self.conf = os.path.join(self.tmp, "server.conf")
        with open(self.conf, "w", encoding="utf-8") as f:
            f.write("database = %s\nissuer = %s\nrate_limit_address = 3\n"
                    % (create_database(), ISSUER))
        self.dir_a = os.path.join(self.tmp, "a")
        self.dir_b = os.path.join(self.tmp, "b")
        init = run_init(self.dir_a, "--config", self.conf)
        self.assertEqual(init.returncode, 0, init.stderr)
        # the second instance joins: a copy of the first one's data directory
        shutil.copytree(self.dir_a, self.dir_b)
        with open(os.path.join(self.dir_a, "admin-token"), encoding="ascii") as f:
            self.token = f.read().strip()
        env = dict(os.environ, ENTSEC_SERVER_ENROLL_RESEND_AFTER="0")
        self.a = Server(self.dir_a, ("--config", self.conf), env)
        self.b = Server(self.dir_b, ("--config", self.conf), env)
        self.use(self.a)
        status, _, disco, _ = self.a.request("GET", "/.well-known/entsec-configuration")
        self.assertEqual(status, 200, disco)
        self.issuer = disco["issuer"]
        self.assertEqual(self.issuer, ISSUER)
        self.authority = disco["authority_jwks"]["keys"][0]
        status, _, disco_b, _ = self.b.request("GET", "/.well-known/entsec-configuration")
        self.assertEqual(disco_b, disco)

    def tearDown(self):
        for server in (self.a, self.b):
            if server.proc.returncode != -signal.SIGKILL:
                self.assertEqual(server.stop(), 0, server.log)
        shutil.rmtree(self.tmp)

    def use(self, server):
        """The instance DeviceMixin's calls go to (enrollment reads its outbox)."""
        self.server = server
        self.data_dir = server.data_dir

    def poll_at(self, server, device, query, timeout=POLL_TIMEOUT):
        path = "/v1/devices/%s/events?%s" % (device.id, query)
        headers = sign_headers(device.key, device.keyid, "GET", self.issuer + path, None)
        conn = Connection(server.port, server.context(), server_name="localhost")
        conn.timeout = timeout
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            return resp.status, json.loads(resp.read() or b"null")
        finally:
            conn.close()

    def waiting_at(self, server):
        status, _, body, _ = server.request("GET", "/v1/admin/status", token=self.token)
        self.assertEqual(status, 200, body)
        return body["long_polls"]["waiting"]

    def wait_until_waiting_at(self, server, count):
        deadline = time.monotonic() + LOAD_TIMEOUT
        while self.waiting_at(server) != count:
            self.assertLess(time.monotonic(), deadline, "the polls were not parked")
            time.sleep(0.05)

    def rp_key(self):
        status, _, body, _ = self.a.request("POST", "/v1/admin/rps", {"v": 1, "name": "vpn"},
                                            token=self.token)
        self.assertEqual(status, 201, body)
        return body["api_key"]

    def test_push_through_one_reaches_poll_on_other(self):
        ann = self.register()
        key = self.rp_key()
        result = []
        started = time.monotonic()
        thread = threading.Thread(
            target=lambda: result.append(self.poll_at(self.b, ann, "wait=30&cursor=0")))
        thread.start()
        self.wait_until_waiting_at(self.b, 1)
        status, _, tx, _ = self.a.request(
            "POST", "/v1/auth/push",
            {"v": 1, "user": self.users["ann@example.com"], "context": {"app": "VPN"}},
            token=key)
        self.assertEqual(status, 201, tx)
        thread.join(POLL_TIMEOUT)
        status, body = result[0]
        self.assertEqual(status, 200, body)
        # woken by A's NOTIFY, not by the end of the 30 s hold (as test-server-events.py)
        self.assertLess(time.monotonic() - started, 25)
        [event] = body["events"]
        self.assertEqual((event["type"], event["data"]["challenge_id"]),
                         ("push", tx["transaction_id"]))
        payload = jws_payload(event["data"]["push"], self.authority, "entsec-push+jwt")
        self.assertEqual(payload["device_id"], ann.id)
        # answered through B, seen through A
        self.use(self.b)
        digest = base64.urlsafe_b64encode(
            hashlib.sha256(event["data"]["push"].encode()).digest()).rstrip(b"=").decode()
        status, _, got, _ = ann.signed(
            "POST", "/v1/challenges/%s/response" % tx["transaction_id"],
            {"v": 1, "nonce": payload["nonce"], "push_sha256": digest, "decision": "approve",
             "number": tx["number"]})
        self.assertEqual((status, got["state"]), (200, "approved"), got)
        status, _, got, _ = self.a.request("GET", "/v1/auth/transactions/" + tx["transaction_id"],
                                           token=key)
        self.assertEqual((status, got["state"]), (200, "approved"), got)

    def test_replays(self):
        """A poll's nonce stays in the memory of the instance that took it
        (docs/protocol.md 2.4): replayed there, it is refused; a
        state-changing request's goes to the database and is refused by
        the other instance too."""
        ann = self.register()
        path = "/v1/devices/%s/events?wait=0&cursor=0" % ann.id
        poll = sign_headers(ann.key, ann.keyid, "GET", self.issuer + path, None)
        self.use(self.a)
        status, _, body, _ = self.send("GET", path, None, poll)
        self.assertEqual(status, 200, body)
        status, _, body, _ = self.send("GET", path, None, poll)
        self.assertEqual((status, body["type"]), (401, servertest.PROBLEM + "invalid_signature"))
        path = "/v1/devices/%s/status" % ann.id
        raw = json.dumps({"v": 1, "device": CLAIMS}).encode()
        heartbeat = sign_headers(ann.key, ann.keyid, "POST", self.issuer + path, raw)
        status, _, body, _ = self.send("POST", path, raw, heartbeat)
        self.assertEqual(status, 200, body)
        self.use(self.b)
        status, _, body, _ = self.send("POST", path, raw, heartbeat)
        self.assertEqual((status, body["type"]), (401, servertest.PROBLEM + "invalid_signature"))
        self.assertIn("a replay", self.b.stop() == 0 and self.b.log)

    def test_rotation_through_one_is_used_by_other(self):
        ann = self.register()
        self.use(self.b)
        status, _, rotated, _ = self.a.request("POST", "/v1/admin/authority/rotate", {"v": 1},
                                               token=self.token)
        self.assertEqual(status, 201, rotated)
        # no file to copy: B signs with the new key at once, with the chain
        self.assertFalse(os.path.exists(os.path.join(self.dir_a, "authority-key-%s.pem"
                                                     % rotated["jkt"])))
        status, resp, _, data = ann.get_policy()
        self.assertEqual(status, 200, data)
        self.assertEqual(header_of(data.decode())["kid"], rotated["jkt"])
        policy = jws_payload(data.decode(), rotated["jwk"], "entsec-policy+jwt")
        self.assertEqual(policy["device_id"], ann.id)
        self.assertEqual(policy["authority_chain"], [rotated["link"]])
        with self.assertRaises(Exception):
            jws_payload(data.decode(), self.authority, "entsec-policy+jwt")
        status, _, disco, _ = self.b.request("GET", "/.well-known/entsec-configuration")
        self.assertEqual((disco["authority_seq"], disco["authority_jkt"]), (2, rotated["jkt"]))
        # a rotation through B continues the chain from key 2
        status, _, third, _ = self.b.request("POST", "/v1/admin/authority/rotate", {"v": 1},
                                             token=self.token)
        self.assertEqual(status, 201, third)
        self.assertEqual((third["seq"], third["previous_jkt"]), (3, rotated["jkt"]))
        status, _, disco, _ = self.a.request("GET", "/.well-known/entsec-configuration")
        self.assertEqual(disco["authority_chain"], [rotated["link"], third["link"]])
        # a new instance joins with token-seal.key and the TLS files, no authority key file
        dir_c = os.path.join(self.tmp, "c")
        shutil.copytree(self.dir_a, dir_c,
                        ignore=shutil.ignore_patterns("authority-key*.pem", "ca-key.pem",
                                                      "admin-token"))
        c = Server(dir_c, ("--config", self.conf), dict(os.environ))
        try:
            status, _, disco, _ = c.request("GET", "/.well-known/entsec-configuration")
            self.assertEqual((disco["authority_seq"], disco["authority_jkt"]),
                             (3, third["jkt"]))
        finally:
            self.assertEqual(c.stop(), 0, c.log)

    def test_rate_limit_shared(self):
        """rate_limit_address = 3: three starts an hour for one address, across both."""
        self.user("eve@example.com")
        statuses = []
        for i in range(6):
            server = (self.a, self.b)[i % 2]
            statuses.append(server.request(
                "POST", "/v1/enroll/start",
                {"v": 1, "channel": "email", "address": "eve@example.com",
                 "client_nonce": CLIENT_NONCE})[0])
        self.assertEqual(statuses, [202] * 3 + [429] * 3)

    def test_concurrent_uses_of_one_code_on_both(self):
        status, _, user, _ = self.a.request("POST", "/v1/admin/users",
                                            {"v": 1, "email": "ada@example.com"},
                                            token=self.token)
        self.assertEqual(status, 201, user)
        key = self.rp_key()
        status, _, token, _ = self.a.request("POST", "/v1/admin/tokens",
                                             {"v": 1, "user": user["id"], "type": "totp"},
                                             token=self.token)
        self.assertEqual(status, 201, token)
        status, _, body, _ = self.b.request("POST", "/v1/admin/tokens/%s/ack" % token["id"],
                                            {"v": 1, "code": hotp(token["secret"], step())},
                                            token=self.token)
        self.assertEqual(status, 204, body)
        code = hotp(token["secret"], step() + 1)
        barrier = threading.Barrier(20)
        statuses = []

        def use(server):
            barrier.wait(timeout=30)
            statuses.append(server.request("POST", "/v1/auth/validate",
                                           {"v": 1, "code": code, "token": token["id"]},
                                           token=key)[0])

        threads = [threading.Thread(target=use, args=(self.a if i % 2 else self.b,))
                   for i in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        self.assertEqual(sorted(statuses), [200] + [400] * 19)

    def test_kill_one_under_load_loses_nothing_acknowledged(self):
        emails = ("ann@example.com", "bob@example.com", "cat@example.com")
        devices = [self.register(email) for email in emails]
        email_of = {d.id: email for d, email in zip(devices, emails)}
        key = self.rp_key()
        # an enrollment A acknowledged (202, code sent) before it dies
        self.user("dan@example.com")
        status, _, started, _ = self.a.request(
            "POST", "/v1/enroll/start",
            {"v": 1, "channel": "email", "address": "dan@example.com",
             "client_nonce": CLIENT_NONCE})
        self.assertEqual(status, 202, started)
        stop = threading.Event()
        received = {d.id: [] for d in devices}
        errors = []

        def device_loop(device):
            """Polls A, then B once A is gone, always from its cursor."""
            servers, cursor = [self.a, self.b], 0
            try:
                while not stop.is_set():
                    try:
                        status, body = self.poll_at(servers[0], device,
                                                    "wait=5&cursor=%d" % cursor)
                    except (OSError, http.client.HTTPException):
                        servers.pop(0)  # the instance is gone: reconnect to the other
                        continue
                    if status != 200:
                        raise AssertionError((status, body))
                    received[device.id] += body["events"]
                    cursor = body["cursor"]
            except Exception as e:  # reported by the test thread
                errors.append(e)

        pollers = [threading.Thread(target=device_loop, args=(d,)) for d in devices]
        for t in pollers:
            t.start()
        self.wait_until_waiting_at(self.a, 3)
        commands, pushes = {d.id: [] for d in devices}, {}

        def command(server, device):
            """True when this instance acknowledged it (201)."""
            try:
                status, _, body, _ = server.request(
                    "POST", "/v1/admin/devices/%s/commands" % device.id,
                    {"v": 1, "type": "refresh_policy"}, token=self.token)
            except (OSError, http.client.HTTPException):
                return False
            self.assertEqual(status, 201, body)
            commands[device.id].append(body["id"])
            return True

        for i in range(30):
            device = devices[i % 3]
            if i == 12:
                # a push through each instance, then A dies mid-load
                for server, user in ((self.a, "ann@example.com"), (self.b, "bob@example.com")):
                    status, _, tx, _ = server.request(
                        "POST", "/v1/auth/push", {"v": 1, "user": self.users[user]}, token=key)
                    self.assertEqual(status, 201, tx)
                    pushes[tx["transaction_id"]] = user
                self.a.proc.kill()
                self.a.proc.wait(timeout=30)
            # like a load balancer: A first on even turns, the other when it is gone
            if not (i % 2 == 0 and command(self.a, device)):
                self.assertTrue(command(self.b, device))
        # every device polls B now; the rest of the load reaches it there
        self.wait_until_waiting_at(self.b, 3)
        status, _, tx, _ = self.b.request("POST", "/v1/auth/push",
                                          {"v": 1, "user": self.users["cat@example.com"]},
                                          token=key)
        self.assertEqual(status, 201, tx)
        pushes[tx["transaction_id"]] = "cat@example.com"
        # the enrollment A acknowledged completes on B (the code came through A's outbox)
        self.use(self.b)
        with open(os.path.join(self.dir_a, "outbox.jsonl"), encoding="utf-8") as f:
            code = [json.loads(line) for line in f][-1]["code"]
        status, _, verified, _ = self.b.request(
            "POST", "/v1/enroll/verify",
            {"v": 1, "enrollment_id": started["enrollment_id"], "code": code,
             "client_nonce": CLIENT_NONCE})
        self.assertEqual(status, 200, verified)
        _, result = self.register_raw(verified)
        self.assertEqual(result[0], 201, result[2])
        # bounded: until every acknowledged command and push has arrived
        deadline = time.monotonic() + LOAD_TIMEOUT
        while True:
            missing = []
            for d in devices:
                got = {e["data"].get("command_id") or e["data"].get("challenge_id")
                       for e in received[d.id]}
                wanted = set(commands[d.id]) | {t for t, u in pushes.items()
                                                if u == email_of[d.id]}
                missing += sorted(wanted - got)
            if not missing or time.monotonic() > deadline or errors:
                break
            time.sleep(0.1)
        stop.set()
        for t in pollers:
            t.join(POLL_TIMEOUT)
        self.assertEqual(errors, [])
        self.assertEqual(missing, [])
        self.assertEqual(sum(len(c) for c in commands.values()), 30)


class FirstStartTest(unittest.TestCase):
    """Two instances that start together on an empty key table both read no
    key and both store authority key 1: one gets it in, the other signs
    with that one (docs/server.md, "Several instances")."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="entsec-multi-test-")
        self.servers = []

    def tearDown(self):
        for server in self.servers:
            server.stop()
        shutil.rmtree(self.tmp)

    def psql(self, database):
        return subprocess.Popen(
            [os.path.join(os.environ["ENTSEC_PG_BINDIR"], "psql"), "-X", "-q", "-A", "-t",
             "-v", "ON_ERROR_STOP=1", "-d", database],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def waiting_for_lock(self, database):
        out = subprocess.run(
            [os.path.join(os.environ["ENTSEC_PG_BINDIR"], "psql"), "-X", "-A", "-t", "-d",
             database, "-c", "SELECT count(*) FROM pg_stat_activity WHERE datname = "
             "current_database() AND wait_event_type = 'Lock'"],
            check=True, capture_output=True, text=True, timeout=60)
        return int(out.stdout)

    def test_two_start_at_once_on_an_empty_key_table(self):
        url = create_database()
        database = urllib.parse.urlsplit(url).path.lstrip("/")
        conf = os.path.join(self.tmp, "server.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write("database = %s\nissuer = %s\n" % (url, ISSUER))
        dirs = [os.path.join(self.tmp, name) for name in ("a", "b")]
        init = run_init(dirs[0], "--config", conf)
        self.assertEqual(init.returncode, 0, init.stderr)
        shutil.copytree(dirs[0], dirs[1])
        # a lock that lets the key table be read but not written: both
        # instances read it empty, then both wait to store key 1, then go
        lock = self.psql(database)
        lock.stdin.write("BEGIN;\nLOCK TABLE authority_keys IN SHARE MODE;\n"
                         "SELECT 'locked';\n")
        lock.stdin.flush()
        self.assertEqual(lock.stdout.readline().strip(), "locked",
                         lock.poll() is not None and lock.stderr.read())
        results = {}

        def start(data_dir):
            try:
                results[data_dir] = Server(data_dir, ("--config", conf))
            except AssertionError as e:  # did not start: reported below
                results[data_dir] = e

        threads = [threading.Thread(target=start, args=(d,)) for d in dirs]
        for t in threads:
            t.start()
        deadline = time.monotonic() + LOAD_TIMEOUT
        while self.waiting_for_lock(database) < 2:
            self.assertLess(time.monotonic(), deadline, "the instances never stored a key")
            time.sleep(0.05)
        lock.communicate("COMMIT;\n", timeout=60)
        for t in threads:
            t.join(LOAD_TIMEOUT)
        self.servers = [r for r in results.values() if isinstance(r, Server)]
        for data_dir in dirs:
            self.assertIsInstance(results[data_dir], Server, str(results[data_dir]))
        keys = []
        for server in self.servers:
            status, _, disco, _ = server.request("GET", "/.well-known/entsec-configuration")
            self.assertEqual(status, 200, disco)
            keys.append(disco["authority_jwks"]["keys"])
        self.assertEqual(len(keys[0]), 1)
        self.assertEqual(keys[0], keys[1])
        logs = [server.stop() == 0 and server.log for server in self.servers]
        self.assertEqual(sum("stored authority key 1 first" in log for log in logs), 1, logs)


if __name__ == "__main__":
    # both instances share the database their config names, rather than one
    # of its own per data directory as servertest gives other suites
    os.environ.pop("ENTSEC_TEST_PG_HOST", None)
    servertest.main()
