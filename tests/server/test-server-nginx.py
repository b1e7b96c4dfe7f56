#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-server-nginx.py ENTSEC_SERVER: data/examples/nginx-entsec.conf in
front of two real entsec-server instances: nginx accepts the example (only
addresses, names and paths changed for the test), checks the instances'
certificates against the --init CA, spreads requests over both, passes
signed device requests through unchanged, and tells the instances each
client's address (trusted_proxies) for rate_limit_ip. Exits 77 (skipped) without nginx."""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

import servertest
from devicetest import DeviceMixin
from servertest import Connection, Server, ServerTestCase, run_init

EXAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data",
                       "examples", "nginx-entsec.conf")
NGINX = shutil.which("nginx") or (os.path.exists("/usr/sbin/nginx") and "/usr/sbin/nginx")
BACKEND_NAME = "entsec-backend.internal"  # the example's proxy_ssl_name
RATE_LIMIT_IP = 4  # a minute per client address, in each instance's memory (SQLite)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Proxy(Server):
    """The client side of Server (request, context) pointed at nginx."""

    def __init__(self, data_dir, port):  # pylint: disable=super-init-not-called
        self.data_dir = data_dir
        self.port = port
        self.log = ""


class NginxTests(DeviceMixin, ServerTestCase):
    def setUp(self):
        self.tmp = None
        super().setUp()
        # the instances' certificate names the host nginx checks (and localhost,
        # which nginx's own certificate, the same file here, is for)
        shutil.rmtree(self.data_dir)
        self.init = run_init(self.data_dir, "--name", BACKEND_NAME, "--name", "localhost")
        self.assertEqual(self.init.returncode, 0, self.init.stderr)
        with open(os.path.join(self.data_dir, "admin-token"), encoding="ascii") as f:
            self.token = f.read().strip()
        self.port = free_port()
        env = dict(os.environ, ENTSEC_SERVER_ISSUER="https://localhost:%d" % self.port,
                   ENTSEC_SERVER_ENROLL_RESEND_AFTER="0",
                   ENTSEC_SERVER_TRUSTED_PROXIES="127.0.0.1",  # nginx, as the instances see it
                   ENTSEC_SERVER_RATE_LIMIT_IP=str(RATE_LIMIT_IP))
        # one after the other: the first start writes token-seal.key
        self.instances = [Server(self.data_dir, (), env) for _ in range(2)]
        self.nginx = self.start_nginx()
        self.server = Proxy(self.data_dir, self.port)
        status, _, disco, _ = self.server.request("GET", "/.well-known/entsec-configuration")
        self.assertEqual(status, 200, disco)
        self.issuer = disco["issuer"]
        self.authority = disco["authority_jwks"]["keys"][0]

    def tearDown(self):
        self.server = None
        if getattr(self, "nginx", None) is not None:
            self.nginx.terminate()
            self.nginx.communicate(timeout=servertest.START_TIMEOUT)
        for instance in getattr(self, "instances", []):
            self.assertEqual(instance.stop(), 0, instance.log)
        super().tearDown()

    def config(self):
        with open(EXAMPLE, encoding="utf-8") as f:
            text = f.read()
        first, second = (i.port for i in self.instances)
        swaps = [
            (r"server 10\.0\.0\.11:8443", "server 127.0.0.1:%d" % first),
            (r"server 10\.0\.0\.12:8443", "server 127.0.0.1:%d" % second),
            (r"listen 443 ssl http2;", "listen 127.0.0.1:%d ssl http2;" % self.port),
            (r"listen \[::\]:443 ssl http2;\n", ""),
            (r"server_name auth\.example\.com;", "server_name localhost;"),
            (r"/etc/ssl/auth\.example\.com/fullchain\.pem", self.path("server.pem")),
            (r"/etc/ssl/auth\.example\.com/privkey\.pem", self.path("server-key.pem")),
            (r"/etc/entsec/ca\.pem", self.path("ca.pem")),
        ]
        for pattern, replacement in swaps:
            text, count = re.subn(pattern, replacement, text)
            self.assertEqual(count, 1, "the example no longer has " + pattern)
        return text

    def path(self, name):
        return os.path.join(self.data_dir, name)

    def start_nginx(self):
        prefix = os.path.join(self.tmp, "nginx")
        os.mkdir(prefix)
        site = os.path.join(prefix, "entsec.conf")
        with open(site, "w", encoding="utf-8") as f:
            f.write(self.config())
        main = os.path.join(prefix, "nginx.conf")
        user = "user root;\n" if os.geteuid() == 0 else ""
        with open(main, "w", encoding="utf-8") as f:
            f.write("%sworker_processes 1;\nerror_log %s/error.log;\npid %s/nginx.pid;\n"
                    "events { worker_connections 256; }\n"
                    "http {\n access_log %s/access.log;\n client_body_temp_path %s/body;\n"
                    " proxy_temp_path %s/proxy;\n include %s;\n}\n"
                    % (user, prefix, prefix, prefix, prefix, prefix, site))
        check = subprocess.run([NGINX, "-t", "-p", prefix, "-c", main], capture_output=True,
                               text=True, timeout=30, check=False)
        self.assertEqual(check.returncode, 0, check.stderr)
        proc = subprocess.Popen([NGINX, "-p", prefix, "-c", main, "-g", "daemon off;"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + servertest.START_TIMEOUT
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return proc
            except OSError:
                self.assertIsNone(proc.poll(), "nginx did not start")
                self.assertLess(time.monotonic(), deadline, "nginx did not start in time")
                time.sleep(0.05)

    def test_nginx_accepts_the_example(self):
        # start_nginx() ran `nginx -t` on it; here: its timeouts fit the long-poll
        text = self.config()
        read = int(re.search(r"proxy_read_timeout (\d+)s;", text).group(1))
        self.assertGreater(read, 30)  # ENTSEC_EVENTS_WAIT_MAX

    def test_both_instances_answer_through_nginx(self):
        prefixes = set()
        for _ in range(8):
            status, resp, body, _ = self.server.request("GET", "/v1/health")
            self.assertEqual((status, body), (200, {"v": 1, "status": "ok"}))
            prefixes.add(resp.getheader("X-Request-Id").split("-")[0])
        # each process has its own request id prefix: both were used
        self.assertEqual(len(prefixes), 2, prefixes)
        self.assertEqual(self.issuer, "https://localhost:%d" % self.port)

    def test_signed_device_requests_pass_unchanged(self):
        device = self.register()
        for _ in range(4):  # whichever instance answers
            payload, _ = self.policy_of(device)
            self.assertEqual(payload["device_id"], device.id)
        status, body = self.poll(device, "wait=0&cursor=0")
        self.assertEqual(status, 200, body)

    def start_from(self, source, forwarded=None):
        """An enrollment start through nginx from the loopback address @source;
        returns the status and which instance answered (its request id prefix)."""
        self.sent = getattr(self, "sent", 0) + 1
        raw = json.dumps({"v": 1, "channel": "email", "address": "u%d@example.com" % self.sent,
                          "client_nonce": "bm9uY2Utbm9uY2Utbm9uY2U"}).encode()
        headers = {"Content-Type": "application/json"}
        if forwarded is not None:
            headers["X-Forwarded-For"] = forwarded
        conn = Connection(self.port, self.server.context(), source=source)
        try:
            conn.request("POST", "/v1/enroll/start", body=raw, headers=headers)
            resp = conn.getresponse()
            resp.read()
            return resp.status, resp.getheader("X-Request-Id").split("-")[0]
        finally:
            conn.close()

    def test_rate_limit_per_client_through_nginx(self):
        # one client until both instances refuse it (each counts in its own memory)
        refused_by = set()
        for _ in range(4 * RATE_LIMIT_IP):
            status, instance = self.start_from("127.0.0.2")
            self.assertIn(status, (202, 429))
            if status == 429:
                refused_by.add(instance)
            if len(refused_by) == 2:
                break
        self.assertEqual(len(refused_by), 2, "the client was never limited")
        # claiming another address changes nothing: nginx appends the real one
        self.assertEqual(self.start_from("127.0.0.2", "192.0.2.50")[0], 429)
        # another client behind the same nginx is not limited with it
        self.assertEqual(self.start_from("127.0.0.3")[0], 202)
        self.assertEqual(self.start_from("127.0.0.3", "127.0.0.2")[0], 202)

    def test_metrics_not_exposed(self):
        status = self.send("GET", "/v1/metrics", None,
                           {"Authorization": "Bearer " + self.token})[0]
        self.assertEqual(status, 404)
        # and the instances still serve it to a direct scrape
        direct = DeviceMixin.send.__get__(self)
        self.server = self.instances[0]
        self.assertEqual(direct("GET", "/v1/metrics", None,
                                {"Authorization": "Bearer " + self.token})[0], 200)


if __name__ == "__main__":
    if not NGINX:
        print("SKIP: nginx is not installed (Debian: nginx-light)", file=sys.stderr)
        sys.exit(77)
    servertest.main()
