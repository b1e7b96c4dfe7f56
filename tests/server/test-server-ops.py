#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-server-ops.py ENTSEC_SERVER: what operators use on the real
entsec-server over real TLS: GET /v1/metrics (Prometheus text, parsed
strictly here) and GET /v1/health with a database that cannot be read."""

import base64
import hashlib
import json
import math
import os
import re
import signal
import socket

import servertest
from devicetest import POLL_TIMEOUT, DeviceTestCase, jws_payload

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"(?:,|$)')
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def parse_metrics(text):
    """The text exposition format 0.0.4 into {(name, frozenset(labels)): value};
    raises AssertionError on anything malformed."""
    types, samples = {}, {}
    assert text.endswith("\n"), "the text must end with a newline"
    for line in text.splitlines():
        if line.startswith("# HELP "):
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in TYPES and name not in types, line
            types[name] = kind
            continue
        match = SAMPLE.match(line)
        assert match, "not a sample line: " + line
        name, labels_text, value = match.groups()
        family = re.sub(r"_(bucket|sum|count|total)$", "", name)
        assert name in types or family in types, "no TYPE before " + name
        labels = {}
        if labels_text:
            consumed = "".join(m.group(0) for m in LABEL.finditer(labels_text))
            assert consumed == labels_text, "bad labels: " + line
            labels = dict(LABEL.findall(labels_text))
        key = (name, frozenset(labels.items()))
        assert key not in samples, "a sample twice: " + line
        samples[key] = math.inf if value == "+Inf" else float(value)
    return types, samples


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())), 0.0)


def b64u_sha256(text):
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()


class MetricsTests(DeviceTestCase):
    def metrics(self, token):
        headers = {"Authorization": "Bearer " + token} if token is not None else {}
        return self.send("GET", "/v1/metrics", None, headers)

    def scrape(self, token=None):
        status, resp, _, data = self.metrics(token or self.token)
        self.assertEqual(status, 200, data)
        self.assertEqual(resp.getheader("Content-Type"),
                         "text/plain; version=0.0.4; charset=utf-8")
        text = data.decode()
        types, samples = parse_metrics(text)
        self.check_histograms(types, samples)
        return text, samples

    def check_histograms(self, types, samples):
        """Buckets never fall, +Inf equals _count."""
        for name, kind in types.items():
            if kind != "histogram":
                continue
            series = {}
            for (sample, labels), number in samples.items():
                if sample == name + "_bucket":
                    rest = frozenset(kv for kv in labels if kv[0] != "le")
                    le = float(dict(labels)["le"])
                    series.setdefault(rest, []).append((le, number))
            for rest, buckets in series.items():
                counts = [n for _, n in sorted(buckets)]
                self.assertEqual(counts, sorted(counts), rest)
                self.assertEqual(counts[-1], samples[(name + "_count", rest)], rest)

    def test_token_required(self):
        self.boot()
        self.assertProblem(self.metrics(None), 401, "unauthorized")
        self.assertProblem(self.metrics("not-a-token"), 401, "unauthorized")

    def test_metrics_token_file(self):
        path = os.path.join(self.tmp, "metrics-token")
        with open(path, "w", encoding="ascii") as f:
            f.write("scrape-secret-1\n")
        self.boot(env=dict(os.environ, ENTSEC_SERVER_METRICS_TOKEN_FILE=path))
        self.scrape(token="scrape-secret-1")
        self.assertProblem(self.metrics("scrape-secret-2"), 401, "unauthorized")
        # read at each scrape: a new token works without a restart
        with open(path, "w", encoding="ascii") as f:
            f.write("scrape-secret-2\n")
        self.scrape(token="scrape-secret-2")

    def test_requests_counted_by_route_and_class(self):
        self.boot()
        _, before = self.scrape()
        for _ in range(3):
            self.assertEqual(self.server.request("GET", "/v1/health")[0], 200)
        self.assertEqual(self.server.request("GET", "/v1/no/such/thing")[0], 404)
        self.assertEqual(self.server.request("GET", "/v1/admin/users")[0], 401)
        text, after = self.scrape()
        health = {"method": "GET", "route": "/v1/health"}
        self.assertEqual(value(after, "entsec_http_requests_total", code="2xx", **health)
                         - value(before, "entsec_http_requests_total", code="2xx", **health), 3)
        self.assertEqual(value(after, "entsec_http_request_duration_seconds_count", **health)
                         - value(before, "entsec_http_request_duration_seconds_count", **health),
                         3)
        self.assertGreater(value(after, "entsec_http_request_duration_seconds_sum", **health), 0)
        self.assertEqual(value(after, "entsec_http_requests_total", method="other",
                               route="unmatched", code="4xx"), 1)
        self.assertEqual(value(after, "entsec_http_requests_total", method="GET",
                               route="/v1/admin/users", code="4xx"), 1)
        self.assertEqual(value(after, "entsec_storage_up"), 1)
        self.assertGreaterEqual(value(after, "entsec_uptime_seconds"), 0)
        self.assertIn('entsec_build_info{version="', text)
        # what a client sent never becomes a label
        self.assertNotIn("/no/such", text)

    def test_pushes_long_polls_and_queue(self):
        self.boot()
        status, _, rp, _ = self.admin("POST", "/v1/admin/rps", {"v": 1, "name": "vpn"})
        self.assertEqual(status, 201, rp)
        ann = self.register()
        thread, result = self.poll_in_background(ann, "wait=30&cursor=0")
        self.wait_until_waiting(1)
        text, samples = self.scrape()
        self.assertEqual(value(samples, "entsec_long_polls_held"), 1)
        self.assertEqual(value(samples, "entsec_pushes_started_total"), 0)
        status, _, tx, _ = self.server.request(
            "POST", "/v1/auth/push", {"v": 1, "user": self.users["ann@example.com"]},
            token=rp["api_key"])
        self.assertEqual(status, 201, tx)
        thread.join(POLL_TIMEOUT)
        status, body = result[0]
        self.assertEqual(status, 200, body)
        [event] = body["events"]
        text, samples = self.scrape()
        self.assertEqual(value(samples, "entsec_long_polls_held"), 0)
        self.assertEqual(value(samples, "entsec_pushes_started_total"), 1)
        self.assertEqual(value(samples, "entsec_pushes_delivered_total"), 1)
        self.assertEqual(value(samples, "entsec_pushes_answered_total"), 0)
        # the push event waits until the device's cursor acknowledges it
        self.assertGreaterEqual(value(samples, "entsec_device_events_queued"), 1)
        events = {"method": "GET", "route": "/v1/devices/{}/events"}
        self.assertEqual(value(samples, "entsec_http_request_duration_seconds_count", **events),
                         1)
        data = event["data"]
        payload = jws_payload(data["push"], self.authority, "entsec-push+jwt")
        status, _, got, _ = ann.signed(
            "POST", "/v1/challenges/%s/response" % data["challenge_id"],
            {"v": 1, "nonce": payload["nonce"], "push_sha256": b64u_sha256(data["push"]),
             "decision": "approve", "number": tx["number"]})
        self.assertEqual(status, 200, got)
        text, samples = self.scrape()
        self.assertEqual(value(samples, "entsec_pushes_answered_total"), 1)
        self.assertEqual(value(samples, "entsec_sender_queue_depth"), 0)
        # no ids or addresses in the labels
        for secret in (ann.id, self.users["ann@example.com"], "ann@example.com",
                       tx["transaction_id"], rp["api_key"], self.token):
            self.assertNotIn(secret, text)


ACCESS = re.compile(r"^entsec-server-INFO: \d\d:\d\d:\d\d\.\d{3}: access: "
                    r"(GET|POST|PUT|DELETE|other) (/\S*|unmatched) (\d{3}) (\d+\.\d{3}) ms "
                    r"id=([0-9a-f]{8}-[0-9a-f]{8})$")


class LogTests(DeviceTestCase):
    def test_access_log_has_fields_and_no_secrets(self):
        self.boot(env=dict(os.environ, ENTSEC_SERVER_ACCESS_LOG="on"))
        status, resp, _, _ = self.server.request("GET", "/v1/health")
        health_id = resp.getheader("X-Request-Id")
        self.assertRegex(health_id, r"^[0-9a-f]{8}-[0-9a-f]{8}$")
        verified = self.enroll("carol@example.com")
        with open(os.path.join(self.data_dir, "outbox.jsonl"), encoding="utf-8") as f:
            code = [json.loads(line) for line in f][-1]["code"]
        key, (status, _, body, _) = self.register_raw(verified)
        self.assertEqual(status, 201, body)
        status, _, rp, _ = self.admin("POST", "/v1/admin/rps", {"v": 1, "name": "vpn"})
        self.assertEqual(status, 201, rp)
        status, _, tx, _ = self.server.request(
            "POST", "/v1/auth/push", {"v": 1, "user": self.users["carol@example.com"]},
            token=rp["api_key"])
        self.assertEqual(status, 201, tx)
        self.server.request("GET", "/v1/admin/users/usr_nobody?x=ann@example.com",
                            token="wrong-token")
        self.assertEqual(self.server.stop(), 0)
        log = self.server.log
        entries = [ACCESS.match(line) for line in log.splitlines() if ": access: " in line]
        self.assertTrue(entries and all(entries), log)
        seen = {(m.group(1), m.group(2), m.group(3)): m.group(5) for m in entries}
        self.assertEqual(seen[("GET", "/v1/health", "200")], health_id)
        for want in [("POST", "/v1/enroll/verify", "200"), ("POST", "/v1/devices", "201"),
                     ("POST", "/v1/auth/push", "201"), ("GET", "/v1/admin/users/{}", "401")]:
            self.assertIn(want, seen)
        for secret in (code, verified["enrollment_token"], self.token, rp["api_key"],
                       body["device_id"], self.users["carol@example.com"], "carol@example.com",
                       "ann@example.com", "wrong-token", "usr_nobody"):
            self.assertNotIn(secret, log)
        self.server = None

    def test_no_access_log_by_default_off_the_journal(self):
        env = dict(os.environ)
        env.pop("JOURNAL_STREAM", None)
        self.boot(env=env)
        self.assertEqual(self.server.request("GET", "/v1/health")[0], 200)
        self.assertEqual(self.server.stop(), 0)
        self.assertNotIn(": access: ", self.server.log)
        self.server = None


class SystemdNotifyTests(DeviceTestCase):
    """sd_notify(3) to NOTIFY_SOCKET as systemd would read it (Type=notify)."""

    def test_ready_reloading_stopping(self):
        path = os.path.join(self.tmp, "notify.sock")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(servertest.START_TIMEOUT)
        try:
            self.boot(env=dict(os.environ, NOTIFY_SOCKET=path))
            self.assertEqual(sock.recv(4096).decode(),
                             "READY=1\nSTATUS=Listening on port %d" % self.server.port)
            self.server.proc.send_signal(signal.SIGHUP)
            self.assertEqual(sock.recv(4096).decode(), "RELOADING=1")
            self.assertEqual(sock.recv(4096).decode(), "READY=1")
            self.server.proc.send_signal(signal.SIGTERM)
            self.assertEqual(sock.recv(4096).decode(), "STOPPING=1")
        finally:
            sock.close()


class HealthTests(DeviceTestCase):
    def test_unreadable_database_is_503(self):
        path = os.path.join(self.tmp, "metrics-token")
        with open(path, "w", encoding="ascii") as f:
            f.write("scrape-secret\n")
        self.boot(env=dict(os.environ, ENTSEC_SERVER_METRICS_TOKEN_FILE=path))
        status, _, body, _ = self.server.request("GET", "/v1/health")
        self.assertEqual((status, body), (200, {"v": 1, "status": "ok"}))
        # the database, its WAL and the WAL index overwritten in place: the
        # next read transaction cannot make sense of them
        for name in ("entsec.db", "entsec.db-wal", "entsec.db-shm"):
            full = os.path.join(self.data_dir, name)
            if os.path.exists(full):
                with open(full, "r+b") as f:
                    f.write(b"garbage!" * 4096)
        status, _, body, _ = self.server.request("GET", "/v1/health")
        self.assertEqual(status, 503, body)
        self.assertEqual(body["status"], "unavailable")
        status, _, _, data = MetricsTests.metrics(self, "scrape-secret")
        self.assertEqual(status, 200, data)
        _, samples = parse_metrics(data.decode())
        self.assertEqual(value(samples, "entsec_storage_up"), 0)
        self.assertNotIn(("entsec_device_events_queued", frozenset()), samples)
        self.server.stop()
        self.server = None  # it may not exit cleanly on a broken database


if __name__ == "__main__":
    servertest.main()
