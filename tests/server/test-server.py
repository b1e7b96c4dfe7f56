#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-server.py ENTSEC_SERVER: init, TLS, admin, enrollment and config of the
real entsec-server over real TLS on loopback (shared parts in servertest.py)."""

import json
import os
import ssl
import warnings
import stat
import subprocess

import servertest
from servertest import Connection, ServerTestCase, run_init, spki_pin

class InitTests(ServerTestCase):
    def test_files_and_modes(self):
        private = ["admin-token", "authority-key.pem", "ca-key.pem", "server-key.pem",
                   "entsec.db"]
        public = ["ca.pem", "server.pem"]
        self.assertEqual(stat.S_IMODE(os.stat(self.data_dir).st_mode), 0o700)
        for name in private:
            mode = stat.S_IMODE(os.stat(os.path.join(self.data_dir, name)).st_mode)
            self.assertEqual(mode, 0o600, name)
        for name in public:
            mode = stat.S_IMODE(os.stat(os.path.join(self.data_dir, name)).st_mode)
            self.assertEqual(mode, 0o644, name)
        self.assertEqual(len(self.token), 43)  # 256 bits of base64url
        pin = spki_pin(os.path.join(self.data_dir, "server.pem"))
        self.assertIn("server key SPKI pin: " + pin, self.init.stdout)
        self.assertNotIn(self.token, self.init.stdout + self.init.stderr)

    def test_second_init_refused(self):
        before = open(os.path.join(self.data_dir, "admin-token"), encoding="ascii").read()
        again = run_init(self.data_dir)
        self.assertEqual(again.returncode, 1)
        self.assertIn("not empty", again.stderr)
        after = open(os.path.join(self.data_dir, "admin-token"), encoding="ascii").read()
        self.assertEqual(before, after)

    def test_names_in_certificate(self):
        other = os.path.join(self.tmp, "other")
        result = run_init(other, "--name", "auth.example.test", "--name", "192.0.2.7")
        self.assertEqual(result.returncode, 0, result.stderr)
        text = subprocess.run(["openssl", "x509", "-in", os.path.join(other, "server.pem"),
                               "-noout", "-ext", "subjectAltName"],
                              capture_output=True, text=True, check=True).stdout
        self.assertIn("DNS:auth.example.test", text)
        self.assertIn("IP Address:192.0.2.7", text)
        self.assertNotIn("localhost", text)
        bad = run_init(os.path.join(self.tmp, "bad"), "--name", "a,DNS:evil")
        self.assertNotEqual(bad.returncode, 0)


class TlsTests(ServerTestCase):
    def test_health_and_discovery(self):
        server = self.start()
        status, resp, body, _ = server.request("GET", "/v1/health")
        self.assertEqual((status, body), (200, {"v": 1, "status": "ok"}))
        self.assertEqual(resp.getheader("Content-Type"), "application/json")
        status, _, body, _ = server.request("GET", "/.well-known/entsec-configuration")
        self.assertEqual(status, 200)
        self.assertEqual(body["issuer"], "https://localhost:%d" % server.port)
        self.assertIn("authority key thumbprint: " + body["authority_jkt"], self.init.stdout)
        self.assertEqual(body["authority_jwks"]["keys"][0]["kid"], body["authority_jkt"])
        self.assertNotIn("d", body["authority_jwks"]["keys"][0])
        paths = {"enroll_start": "/v1/enroll/start", "enroll_verify": "/v1/enroll/verify",
                 "devices": "/v1/devices", "health": "/v1/health",
                 "auth_validate": "/v1/auth/validate", "auth_push": "/v1/auth/push",
                 "auth_transactions": "/v1/auth/transactions"}
        self.assertEqual(body["endpoints"],
                         {name: body["issuer"] + path for name, path in paths.items()})
        # each one is served: a call without a body or key is refused, never 404
        for name, path in paths.items():
            method = "GET" if name == "health" else "POST"
            if name == "auth_transactions":
                method, path = "GET", path + "/ptx_x"
            status = server.request(method, path)[0]
            self.assertIn(status, (200, 400, 401), name)

    def test_wrong_host_name_refused(self):
        server = self.start()
        conn = Connection(server.port, server.context(), server_name="wrong.example")
        with self.assertRaises(ssl.SSLCertVerificationError):
            conn.request("GET", "/v1/health")
        conn.close()

    def test_tls_versions(self):
        server = self.start()
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            ctx = server.context(minimum_version=version, maximum_version=version)
            conn = Connection(server.port, ctx)
            conn.request("GET", "/v1/health")
            self.assertEqual(conn.getresponse().status, 200)
            self.assertEqual(conn.sock.version(), version.name.replace("_", "."))
            conn.close()
        # The client is willing to speak TLS 1.1 (security level 0) and sends its hello;
        # the server (GnuTLS) ends the handshake.
        ctx = server.context()
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_1
            ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        conn = Connection(server.port, ctx)
        with self.assertRaises(ssl.SSLError) as raised:
            conn.request("GET", "/v1/health")
        conn.close()
        message = str(raised.exception).upper()
        self.assertNotIn("NO_PROTOCOLS_AVAILABLE", message)  # not refused by the client itself
        self.assertTrue("EOF" in message or "PROTOCOL_VERSION" in message, message)

    def test_unknown_path_and_method(self):
        server = self.start()
        self.assertProblem(server.request("GET", "/v1/nothing"), 404, "not_found")
        result = server.request("DELETE", "/v1/health")
        self.assertProblem(result, 405, "invalid_request")
        self.assertEqual(result[1].getheader("Allow"), "GET")


class AdminTests(ServerTestCase):
    def test_token_required(self):
        server = self.start()
        result = server.request("GET", "/v1/admin/users")
        self.assertProblem(result, 401, "unauthorized")
        self.assertIn("Bearer", result[1].getheader("WWW-Authenticate"))
        self.assertProblem(server.request("GET", "/v1/admin/users", token="x" * 43),
                           401, "unauthorized")
        self.assertProblem(server.request("GET", "/v1/admin/users",
                                          headers={"Authorization": "Basic " + self.token}),
                           401, "unauthorized")
        self.assertProblem(server.request("POST", "/v1/admin/users", body={"email": "a@b.c"}),
                           401, "unauthorized")

    def test_users_happy_path(self):
        server = self.start()
        status, _, user, _ = server.request(
            "POST", "/v1/admin/users", token=self.token,
            body={"v": 1, "email": " Ann@Example.COM ", "phone": "0044 (20) 7946-0958",
                  "name": "Ann Example"})
        self.assertEqual(status, 201, user)
        self.assertTrue(user["id"].startswith("usr_"))
        self.assertEqual(user["email"], "ann@example.com")
        self.assertEqual(user["phone"], "+442079460958")
        self.assertFalse(user["disabled"])
        status, _, body, _ = server.request("POST", "/v1/admin/users", token=self.token,
                                            body={"phone": "+1 202 555 0123"})
        self.assertEqual(status, 201, body)
        status, _, got, _ = server.request("GET", "/v1/admin/users/" + user["id"],
                                           token=self.token)
        self.assertEqual((status, got), (200, user))
        status, _, listing, _ = server.request("GET", "/v1/admin/users", token=self.token)
        self.assertEqual(status, 200)
        self.assertEqual(len(listing["users"]), 2)
        status, _, listing, _ = server.request("GET", "/v1/admin/users?limit=1",
                                               token=self.token)
        self.assertEqual(len(listing["users"]), 1)
        status, _, _, data = server.request("DELETE", "/v1/admin/users/" + user["id"],
                                            token=self.token)
        self.assertEqual((status, data), (204, b""))
        self.assertProblem(server.request("GET", "/v1/admin/users/" + user["id"],
                                          token=self.token), 404, "not_found")
        self.assertProblem(server.request("DELETE", "/v1/admin/users/" + user["id"],
                                          token=self.token), 404, "not_found")
        status, _, audit, data = server.request("GET", "/v1/admin/audit", token=self.token)
        self.assertEqual(status, 200)
        actions = [(e["action"], e.get("target")) for e in audit["entries"]]
        self.assertIn(("user.create", user["id"]), actions)
        self.assertIn(("user.delete", user["id"]), actions)
        self.assertEqual(actions[0][0], "server.init")
        self.assertNotIn(self.token.encode(), data)

    def test_bad_requests(self):
        server = self.start()

        def create(body=None, raw=None):
            return server.request("POST", "/v1/admin/users", token=self.token, body=body,
                                  raw=raw)

        for body in ({}, {"name": "No Address"}, {"email": "not-an-address"},
                     {"phone": "020 7946 0958"}, {"phone": "+12"}, {"email": 5},
                     {"email": "a@b.c", "admin": True}, {"v": 2, "email": "a@b.c"},
                     {"email": "a@b.c", "name": "bell\u0007"}):
            self.assertProblem(create(body), 400, "invalid_request")
        for raw in (b"{", b"[]", b'{"email":"a@b.c","email":"d@e.f"}', b"\xff"):
            self.assertProblem(create(raw=raw), 400, "invalid_request")
        self.assertEqual(create({"email": "dup@example.com"})[0], 201)
        self.assertProblem(create({"email": "DUP@example.com"}), 409, "conflict")
        self.assertProblem(server.request("GET", "/v1/admin/users?limit=0", token=self.token),
                           400, "invalid_request")
        self.assertProblem(server.request("GET", "/v1/admin/audit?after=x", token=self.token),
                           400, "invalid_request")

    def test_body_size_cap(self):
        server = self.start()
        # A declared length over the cap is refused before the body is read: only the
        # headers are sent (sending the body too would race the server's early answer).
        conn = Connection(server.port, server.context())
        try:
            conn.putrequest("POST", "/v1/admin/users")
            conn.putheader("Authorization", "Bearer " + self.token)
            conn.putheader("Content-Type", "application/json")
            conn.putheader("Content-Length", str(64 * 1024 + 12))
            conn.endheaders()
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        self.assertProblem((resp.status, resp, json.loads(data), data), 413,
                           "payload_too_large")
        # Without a Content-Length (chunked), the cap holds while reading.
        chunks = iter([b"x" * 16384] * 8)
        result = server.request("POST", "/v1/admin/users", token=self.token, raw=chunks,
                                headers={"Transfer-Encoding": "chunked"}, chunked=True)
        self.assertProblem(result, 413, "payload_too_large")
        status, _, _, _ = server.request("GET", "/v1/health")
        self.assertEqual(status, 200)

    def test_storage_survives_restart(self):
        server = self.start()
        status, _, user, _ = server.request("POST", "/v1/admin/users", token=self.token,
                                            body={"email": "keep@example.com"})
        self.assertEqual(status, 201)
        self.assertEqual(server.stop(), 0)
        server = self.start()
        status, _, got, _ = server.request("GET", "/v1/admin/users/" + user["id"],
                                           token=self.token)
        self.assertEqual((status, got), (200, user))


NONCE = "bm9uY2Utbm9uY2Utbm9uY2U"


class EnrollTests(ServerTestCase):
    def add_user(self, server, **user):
        status, _, body, _ = server.request("POST", "/v1/admin/users", token=self.token,
                                            body=user)
        self.assertEqual(status, 201, body)
        return body

    def outbox(self):
        path = os.path.join(self.data_dir, "outbox.jsonl")
        if not os.path.exists(path):
            return []
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f]

    def start_enroll(self, server, address, channel="email"):
        return server.request("POST", "/v1/enroll/start",
                              body={"v": 1, "channel": channel, "address": address,
                                    "client_nonce": NONCE})

    def verify(self, server, enrollment_id, code):
        return server.request("POST", "/v1/enroll/verify",
                              body={"v": 1, "enrollment_id": enrollment_id, "code": code,
                                    "client_nonce": NONCE})

    def test_known_and_unknown_look_alike(self):
        server = self.start()
        user = self.add_user(server, email="ann@example.com", name="Ann")
        known = self.start_enroll(server, "ann@example.com")
        unknown = self.start_enroll(server, "anx@example.com")
        self.assertEqual(known[0], 202)
        self.assertEqual(unknown[0], 202)
        self.assertEqual(sorted(known[2]), sorted(unknown[2]))
        self.assertEqual(len(known[3]), len(unknown[3]))
        self.assertEqual(known[2]["masked_address"], "a***@example.com")
        self.assertEqual(known[2]["code_length"], 6)
        self.assertEqual(known[2]["max_attempts"], 5)
        sent = self.outbox()
        self.assertEqual(len(sent), 1)  # nothing goes to an unknown address
        self.assertEqual(sent[0]["to"], "ann@example.com")
        self.assertEqual(sent[0]["enrollment_id"], known[2]["enrollment_id"])
        code = sent[0]["code"]
        self.assertRegex(code, r"^[0-9]{6}$")
        status, _, body, _ = self.verify(server, known[2]["enrollment_id"], code)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["user"], {"id": user["id"], "name": "Ann"})
        self.assertEqual(body["collect"], ["machine_fp"])  # binding.collect's default
        for key in ("enrollment_token", "registration_challenge", "tenant_salt"):
            self.assertGreaterEqual(len(body[key]), 43)
        self.assertProblem(self.verify(server, known[2]["enrollment_id"], code),
                           400, "invalid_code")
        self.assertProblem(self.verify(server, unknown[2]["enrollment_id"], code),
                           400, "invalid_code")

    def test_code_in_log_only_with_dev(self):
        for dev, address in ((False, "plain@example.com"), (True, "dev@example.com")):
            server = self.start(*(["--dev"] if dev else []))
            self.add_user(server, email=address)
            self.assertEqual(self.start_enroll(server, address)[0], 202)
            code = self.outbox()[-1]["code"]
            self.assertEqual(server.stop(), 0)
            self.server = None
            self.assertEqual("code " + code in server.log, dev, server.log)

    def test_wrong_codes_burn(self):
        server = self.start()
        self.add_user(server, email="bob@example.com")
        enrollment = self.start_enroll(server, "bob@example.com")[2]["enrollment_id"]
        code = self.outbox()[0]["code"]
        wrong = "%06d" % ((int(code) + 1) % 1000000)
        for _ in range(5):
            self.assertProblem(self.verify(server, enrollment, wrong), 400, "invalid_code")
        self.assertProblem(self.verify(server, enrollment, code), 400, "invalid_code")

    def test_resend_delay(self):
        server = self.start()
        first = self.start_enroll(server, "nobody@example.com")
        self.assertEqual(first[0], 202)
        result = self.start_enroll(server, "NOBODY@example.com")
        self.assertProblem(result, 429, "rate_limited")
        self.assertTrue(1 <= int(result[1].getheader("Retry-After")) <= 60)
        self.assertProblem(server.request("POST", "/v1/enroll/start",
                                          body={"channel": "fax", "address": "x",
                                                "client_nonce": NONCE}),
                           400, "invalid_request")

    def test_concurrent_verify_one_success(self):
        import threading
        server = self.start()
        self.add_user(server, email="race@example.com")
        enrollment = self.start_enroll(server, "race@example.com")[2]["enrollment_id"]
        code = self.outbox()[0]["code"]
        statuses = []
        lock = threading.Lock()

        def attempt():
            status = self.verify(server, enrollment, code)[0]
            with lock:
                statuses.append(status)

        threads = [threading.Thread(target=attempt) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        self.assertEqual(len(statuses), 20)
        self.assertEqual(statuses.count(200), 1, statuses)
        self.assertEqual(statuses.count(400), 19, statuses)


class ConfigTests(ServerTestCase):
    def test_config_file_and_env(self):
        conf = os.path.join(self.tmp, "server.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write("# test\ntenant = acme\nissuer = https://auth.example.test\n"
                    "listen = 127.0.0.1:1\n")
        env = dict(os.environ, ENTSEC_SERVER_TENANT="acme-env")
        server = self.start("--config", conf, env=env)  # --listen beats the file
        _, _, body, _ = server.request("GET", "/.well-known/entsec-configuration")
        self.assertEqual(body["tenant"], "acme-env")
        self.assertEqual(body["issuer"], "https://auth.example.test")

    def test_bad_config_refused(self):
        conf = os.path.join(self.tmp, "server.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write("threads = 2\nno_such_key = 1\n")
        result = subprocess.run([servertest.SERVER, "--config", conf, "--data-dir", self.data_dir],
                                capture_output=True, text=True, timeout=30, check=False)
        self.assertEqual(result.returncode, 2)
        self.assertIn("line 2", result.stderr)
        self.assertIn("no_such_key", result.stderr)
        env = dict(os.environ, ENTSEC_SERVER_MAX_BODY="lots")
        result = subprocess.run([servertest.SERVER, "--data-dir", self.data_dir], env=env,
                                capture_output=True, text=True, timeout=30, check=False)
        self.assertEqual(result.returncode, 2)
        self.assertIn("ENTSEC_SERVER_MAX_BODY", result.stderr)

    def test_version_and_help(self):
        result = subprocess.run([servertest.SERVER, "--version"], capture_output=True, text=True,
                                timeout=30, check=True)
        self.assertTrue(result.stdout.startswith("entsec-server "))
        result = subprocess.run([servertest.SERVER, "--help"], capture_output=True, text=True,
                                timeout=30, check=True)
        for option in ("--config", "--data-dir", "--listen", "--init", "--name", "--dev"):
            self.assertIn(option, result.stdout)


if __name__ == "__main__":
    servertest.main()
