#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""entsec-admin against the real entsec-server over real TLS on loopback.

argv[1] is entsec-server; $ENTSEC_ADMIN is the entsec-admin binary. Each
test makes its own data directory with --init and trusts the CA it wrote.
"""

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse

import servertest
from servertest import ServerTestCase

ADMIN = os.environ["ENTSEC_ADMIN"]


class AdminCliTest(ServerTestCase):
    def setUp(self):
        super().setUp()
        self.start()
        self.ca = os.path.join(self.data_dir, "ca.pem")
        self.token_file = os.path.join(self.data_dir, "admin-token")
        self.url = "https://localhost:%d" % self.server.port

    def admin(self, *args, server=None, ca=None, token_file=None, stdin=None, conn=True):
        argv = [ADMIN]
        if conn:
            argv += ["--server", server or self.url, "--ca", ca or self.ca,
                     "--token-file", token_file or self.token_file]
        argv += list(args)
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                                input=stdin, cwd=self.tmp, check=False)
        for stream in (result.stdout, result.stderr):
            self.assertNotIn(self.token, stream)
        return result

    def ok(self, *args, **kwargs):
        result = self.admin(*args, **kwargs)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout

    def add_user(self, *args):
        return json.loads(self.ok("--json", "users", "add", *args))

    def test_users_lifecycle_human_and_json(self):
        ann = self.add_user("--email", " Ann@Example.COM ", "--name", "Ann")
        self.assertEqual(ann["email"], "ann@example.com")
        bob = self.add_user("--phone", "0044 (20) 7946-0958")
        self.assertEqual(bob["phone"], "+442079460958")
        listing = self.ok("users", "list").splitlines()
        self.assertEqual(sorted(listing), sorted([
            "%s\tann@example.com\t-\tAnn\tfalse" % ann["id"],
            "%s\t-\t+442079460958\t-\tfalse" % bob["id"]]))
        self.assertIn("email: ann@example.com", self.ok("users", "show", ann["id"]))
        self.assertEqual(self.ok("users", "disable", ann["id"]).strip(), "User disabled")
        self.assertTrue(json.loads(self.ok("--json", "users", "show", ann["id"]))["disabled"])
        self.ok("users", "enable", ann["id"])
        self.assertFalse(json.loads(self.ok("--json", "users", "show", ann["id"]))["disabled"])
        self.assertEqual(self.ok("users", "delete", ann["id"]).strip(), "User deleted")
        gone = self.admin("users", "show", ann["id"])
        self.assertEqual(gone.returncode, 3)
        self.assertIn("There is no such user", gone.stderr)
        users = json.loads(self.ok("--json", "users", "list", "--limit", "1"))["users"]
        self.assertEqual([u["id"] for u in users], [bob["id"]])

    def test_addresses_compare_case_insensitively(self):
        self.add_user("--email", "carol@example.com")
        again = self.admin("users", "add", "--email", "CAROL@EXAMPLE.COM")
        self.assertEqual(again.returncode, 3)
        self.assertIn("Another user has this email address", again.stderr)
        bad = self.admin("users", "add", "--phone", "020 7946 0958")
        self.assertEqual(bad.returncode, 3)
        self.assertIn("international number", bad.stderr)

    def test_disabled_user_gets_no_code(self):
        user = self.add_user("--email", "dan@example.com")
        self.ok("users", "disable", user["id"])
        nonce = "n" * 22
        status, _, _, _ = self.server.request("POST", "/v1/enroll/start", body={
            "v": 1, "channel": "email", "address": "dan@example.com", "client_nonce": nonce})
        self.assertEqual(status, 202)
        outbox = os.path.join(self.data_dir, "outbox.jsonl")
        self.assertFalse(os.path.exists(outbox) and "dan@example.com" in open(outbox).read())

    def test_usage_errors(self):
        for args, text in ((["frobnicate"], "unknown command"),
                           (["users", "add"], "--email ADDRESS or --phone NUMBER"),
                           (["users", "show"], "usage: entsec-admin users show USER_ID"),
                           (["users", "list", "--token", "x"], "Unknown option --token"),
                           (["users", "list", "--limit", "0"], "--limit must be from 1")):
            result = self.admin(*args)
            self.assertEqual(result.returncode, 2, args)
            self.assertIn(text, result.stderr)
        plain = self.admin("users", "list", server="http://localhost:1")
        self.assertEqual(plain.returncode, 2)
        self.assertIn("https://", plain.stderr)
        nothing = self.admin("users", "list", conn=False)
        self.assertEqual(nothing.returncode, 2)
        self.assertIn("no server", nothing.stderr)
        self.assertIn("Exit status:", self.ok("--help", conn=False))

    def test_bad_token(self):
        wrong = os.path.join(self.tmp, "wrong-token")
        with open(wrong, "w", encoding="ascii") as f:
            f.write("not-the-token\n")
        result = self.admin("users", "list", token_file=wrong)
        self.assertEqual(result.returncode, 4)
        self.assertIn("--token-file", result.stderr)
        self.assertNotIn("not-the-token", result.stderr + result.stdout)
        missing = self.admin("users", "list", token_file=os.path.join(self.tmp, "none"))
        self.assertEqual(missing.returncode, 2)
        self.assertIn("cannot read --token-file", missing.stderr)

    def test_server_down(self):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        result = self.admin("users", "list", server="https://localhost:%d" % port)
        self.assertEqual(result.returncode, 1)
        self.assertIn("is the server running?", result.stderr)

    def test_wrong_ca_and_system_store_refused(self):
        other = os.path.join(self.tmp, "other")
        self.assertEqual(servertest.run_init(other).returncode, 0)
        result = self.admin("users", "list", ca=os.path.join(other, "ca.pem"))
        self.assertEqual(result.returncode, 4)
        self.assertIn("is not trusted", result.stderr)
        argv = [ADMIN, "--server", self.url, "--token-file", self.token_file, "users", "list"]
        system = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
        self.assertEqual(system.returncode, 4)
        self.assertIn("--ca FILE", system.stderr)

    def test_pin(self):
        pin = servertest.spki_pin(os.path.join(self.data_dir, "server.pem"))
        self.ok("--pin", pin, "users", "list")
        other = os.path.join(self.tmp, "other")
        self.assertEqual(servertest.run_init(other).returncode, 0)
        wrong = servertest.spki_pin(os.path.join(other, "server.pem"))
        result = self.admin("--pin", wrong, "users", "list")
        self.assertEqual(result.returncode, 4)
        self.assertIn("does not match the pin", result.stderr)
        bad = self.admin("--pin", "md5//abc", "users", "list")
        self.assertEqual(bad.returncode, 2)

    def test_config_file(self):
        conf = os.path.join(self.tmp, "admin.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.write("[entsec-admin]\nserver=%s\nca=%s\ntoken-file=%s\n"
                    % (self.url, self.ca, self.token_file))
        out = self.ok("--config", conf, "--json", "users", "list", conn=False)
        self.assertEqual(json.loads(out)["users"], [])
        xdg = os.path.join(os.environ.get("XDG_CONFIG_HOME", os.path.join(self.tmp, "cfg")))
        os.makedirs(os.path.join(xdg, "entsec"), exist_ok=True)
        shutil.copy(conf, os.path.join(xdg, "entsec", "admin.conf"))
        try:
            env_out = subprocess.run([ADMIN, "users", "list"], capture_output=True, text=True,
                                     timeout=60, check=False,
                                     env=dict(os.environ, XDG_CONFIG_HOME=xdg))
            self.assertEqual(env_out.returncode, 0, env_out.stderr)
        finally:
            os.remove(os.path.join(xdg, "entsec", "admin.conf"))
        missing = self.admin("--config", os.path.join(self.tmp, "nope.conf"), "users", "list",
                             conn=False)
        self.assertEqual(missing.returncode, 2)
        self.assertIn("cannot read the configuration", missing.stderr)

    def test_admins_add_token_shown_once_and_audited(self):
        created = json.loads(self.ok("--json", "admins", "add", "Eve Ops"))
        self.assertEqual(created["name"], "Eve Ops")
        token_file = os.path.join(self.tmp, "eve-token")
        with open(token_file, "w", encoding="ascii") as f:
            f.write(created["token"] + "\n")
        user = json.loads(self.ok("--json", "users", "add", "--email", "f@example.com",
                                  token_file=token_file))
        listing = self.ok("--json", "admins", "list")
        self.assertNotIn(created["token"], listing)
        self.assertEqual(sorted(a["name"] for a in json.loads(listing)["admins"]),
                         ["Eve Ops", "admin"])
        dup = self.admin("admins", "add", "Eve Ops")
        self.assertEqual(dup.returncode, 3)
        entries = json.loads(self.ok("--json", "audit", "tail", "--limit", "2"))["entries"]
        self.assertEqual([(e["action"], e["actor"], e["target"]) for e in entries],
                         [("admin.create", entries[0]["actor"], created["id"]),
                          ("user.create", created["id"], user["id"])])
        self.assertNotEqual(entries[0]["actor"], created["id"])
        human = self.ok("audit", "tail").splitlines()
        self.assertEqual(len(human), 3)
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(entries[1]["time"]))
        self.assertEqual(human[2], "%d\t%s\t%s\tuser.create\t%s"
                         % (entries[1]["seq"], when, created["id"], user["id"]))

    def test_invite_link_and_qr(self):
        user = self.add_user("--email", "gus@example.com")
        out = self.ok("users", "invite", user["id"], "--qr", "gus.png").splitlines()
        link = out[0]
        self.assertEqual(out[1], "QR code written to gus.png")
        parsed = urllib.parse.urlsplit(link)
        self.assertEqual((parsed.scheme, parsed.netloc), ("entsec", "enroll"))
        query = dict(urllib.parse.parse_qsl(parsed.query, strict_parsing=True))
        status, _, discovery, _ = self.server.request("GET", "/.well-known/entsec-configuration")
        self.assertEqual(status, 200)
        self.assertEqual(query, {
            "server": self.url, "tenant": "default", "jkt": discovery["authority_jkt"],
            "pin": servertest.spki_pin(os.path.join(self.data_dir, "server.pem")),
            "address": "gus@example.com"})
        scan = subprocess.run(["zbarimg", "--raw", "-q", os.path.join(self.tmp, "gus.png")],
                              capture_output=True, text=True, timeout=60, check=True)
        self.assertEqual(scan.stdout.strip(), link)
        as_json = json.loads(self.ok("--json", "users", "invite", user["id"]))
        self.assertEqual(as_json["link"], link)
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "invite-%s.png" % user["id"])))
        missing = self.admin("users", "invite", "usr_nobody")
        self.assertEqual(missing.returncode, 3)
        self.ok("users", "disable", user["id"])
        disabled = self.admin("users", "invite", user["id"], "--qr", "again.png")
        self.assertEqual(disabled.returncode, 3)
        self.assertIn("users enable", disabled.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "again.png")))

    def test_missing_endpoint_is_reported(self):
        result = self.admin("validate", "usr_x", "--api-key-file", self.token_file, stdin="")
        self.assertEqual(result.returncode, 3)
        self.assertIn("reads the code from stdin", result.stderr)
        no_key = self.admin("push", "usr_x")
        self.assertEqual(no_key.returncode, 2)
        self.assertIn("--api-key-file", no_key.stderr)


if __name__ == "__main__":
    servertest.main()
