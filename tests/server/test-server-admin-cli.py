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
from devicetest import CLAIMS, DeviceMixin, b64u_decode
from servertest import ServerTestCase, hotp, step

ADMIN = os.environ["ENTSEC_ADMIN"]


class AdminCliTest(DeviceMixin, ServerTestCase):
    def setUp(self):
        super().setUp()
        self.users = {}
        self.start()
        self.issuer = self.server.request("GET", "/.well-known/entsec-configuration")[2]["issuer"]
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

    def test_codes_only_from_stdin_and_keys_only_from_files(self):
        result = self.admin("validate", "usr_x", "--api-key-file", self.token_file, stdin="")
        self.assertEqual(result.returncode, 3)
        self.assertIn("reads the code from stdin", result.stderr)
        long_code = self.admin("tokens", "ack", "tok_x", stdin="1" * 17 + "\n")
        self.assertEqual(long_code.returncode, 3)
        self.assertIn("at most 16 characters", long_code.stderr)
        no_key = self.admin("push", "usr_x")
        self.assertEqual(no_key.returncode, 2)
        self.assertIn("--api-key-file", no_key.stderr)

    def refused(self, code, text, *args, **kwargs):
        result = self.admin(*args, **kwargs)
        self.assertEqual(result.returncode, code, result.stderr)
        self.assertIn(text, result.stderr)
        return result

    def write(self, name, data):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(data if isinstance(data, str) else json.dumps(data))
        return path

    def test_devices(self):
        device = self.register("ann@example.com")
        user = self.users["ann@example.com"]
        shown = json.loads(self.ok("--json", "devices", "show", device.id))
        self.assertEqual((shown["user_id"], shown["state"]), (user, "active"))
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(shown["created"]))
        self.assertEqual(self.ok("devices", "list").splitlines(), [
            "%s\t%s\tactive\t%s\t%s" % (device.id, user, when,
                                       time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                     time.gmtime(shown["last_seen"])))])
        self.assertIn("state: active", self.ok("devices", "show", device.id))
        other = self.register("al@example.com")
        self.assertEqual(len(self.ok("devices", "list").splitlines()), 2)
        self.assertEqual([d["id"] for d in json.loads(self.ok("--json", "devices", "list",
                                                              "--user", user))["devices"]],
                         [device.id])
        self.assertEqual(self.ok("devices", "list", "--user", self.users["al@example.com"])
                         .split("\t")[0], other.id)
        self.refused(2, "--user filters only", "users", "list", "--user", user)
        lock = self.ok("devices", "lock", device.id).splitlines()
        self.assertIn("type: lock", lock)
        self.assertIn("state: pending", lock)
        for command, kind in (("unlock", "unlock"), ("refresh-policy", "refresh_policy"),
                              ("wipe", "wipe")):
            queued = json.loads(self.ok("--json", "devices", command, device.id))
            self.assertEqual((queued["type"], queued["state"]), (kind, "pending"))
        listed = self.ok("devices", "commands", device.id).splitlines()
        # oldest first, by second: one second may hold them all
        self.assertEqual(sorted(line.split("\t")[1] for line in listed),
                         ["lock", "refresh_policy", "unlock", "wipe"])
        # a heartbeat from elsewhere under a "lock" rule suspends; activate lifts it
        rule = {"settings": {"binding": {"on_mismatch": "lock"}}}
        self.ok("policies", "set", "tenant", "--file", self.write("lock.json", rule))
        moved = dict(CLAIMS, machine_fp="fp-other")
        status, _, body, _ = device.signed("POST", "/v1/devices/%s/status" % device.id,
                                           {"v": 1, "device": moved})
        self.assertEqual((status, body["action"]), (200, "lock"))
        self.assertEqual(json.loads(self.ok("--json", "devices", "show", device.id))["state"],
                         "suspended")
        self.assertEqual(self.ok("devices", "activate", device.id).strip(), "Device active")
        self.assertEqual(json.loads(self.ok("--json", "devices", "show", device.id))["state"],
                         "active")
        self.assertEqual(self.ok("devices", "revoke", device.id).strip(), "Device revoked")
        self.assertEqual(json.loads(self.ok("--json", "devices", "show", device.id))["state"],
                         "revoked")
        self.refused(3, "HTTP 409", "devices", "activate", device.id)
        # the user unbinds the other device: commands for it are forbidden (403), exit 3
        base = "/v1/devices/%s/" % other.id
        nonce = other.signed("POST", base + "op-challenge", {"v": 1, "op": "unbind"})[2]["nonce"]
        self.assertEqual(other.signed("POST", base + "unbind", {"v": 1, "nonce": nonce})[0], 200)
        self.refused(3, "HTTP 403", "devices", "wipe", other.id)
        self.refused(3, "HTTP 404", "devices", "show", "dev_nobody")
        self.refused(3, "HTTP 404", "devices", "lock", "dev_nobody")

    def test_status_human_and_json(self):
        self.assertEqual(self.ok("status").splitlines(), [
            "events.keep: 2592000", "events.oldest: null", "events.stored: 0",
            "long_polls.waiting: 0"])
        device = self.register("ann@example.com")
        thread, result = self.poll_in_background(device, "wait=30&cursor=0")
        self.wait_until_waiting(1)
        self.assertIn("long_polls.waiting: 1", self.ok("status").splitlines())
        self.ok("devices", "lock", device.id)  # wakes the poll
        thread.join(60)
        self.assertEqual(result[0][0], 200)
        figures = json.loads(self.ok("--json", "status"))
        self.assertEqual((figures["v"], figures["long_polls"]), (1, {"waiting": 0}))
        self.assertEqual(figures["events"]["stored"], 1)
        self.assertIsInstance(figures["events"]["oldest"], int)
        self.refused(2, "usage: entsec-admin status", "status", "extra")
        self.assertIn("status", self.ok("--help", conn=False))

    def test_policies(self):
        device = self.register("bo@example.com")
        user = self.users["bo@example.com"]
        self.assertEqual(self.ok("policies", "show", "tenant"), "scope: tenant\n")
        wanted = self.write("p.json", {"v": 1, "settings": {
            "clipboard": {"clear_after": 15}, "tokens": {"allowed_algorithms": ["SHA256"]}}})
        self.assertEqual(self.ok("policies", "diff", "tenant", "--file", wanted),
                         "+ clipboard.clear_after: 15\n"
                         "+ tokens.allowed_algorithms: [\"SHA256\"]\n")
        self.assertTrue(json.loads(self.ok("--json", "policies", "diff", "tenant",
                                           "--file", wanted))["differs"])
        self.assertEqual(self.ok("policies", "set", "tenant", "--file", wanted).strip(),
                         "Policy set")
        self.assertEqual(self.ok("policies", "show", "tenant"),
                         "scope: tenant\nclipboard.clear_after: 15\n"
                         "tokens.allowed_algorithms: [\"SHA256\"]\n")
        self.assertEqual(self.ok("policies", "diff", "tenant", "--file", wanted),
                         "No difference\n")
        # what show --json prints is what set takes
        shown = self.ok("--json", "policies", "show", "tenant")
        changed = json.loads(shown)
        changed["settings"]["clipboard"]["clear_after"] = 20
        changed_file = self.write("changed.json", changed)
        self.assertEqual(self.ok("policies", "diff", "tenant", "--file", changed_file),
                         "- clipboard.clear_after: 15\n+ clipboard.clear_after: 20\n")
        for scope in (["user", user], ["device", device.id]):
            self.ok("policies", "set", *scope, "--file", changed_file)
            again = json.loads(self.ok("--json", "policies", "show", *scope))
            self.assertEqual(again["scope"], "%s:%s" % tuple(scope))
            self.assertEqual(again["settings"]["clipboard"]["clear_after"], 20)
        bad_value = self.write("bad.json", {"settings": {"tokens": {"min_digits": 4}}})
        self.refused(3, "min_digits", "policies", "set", "tenant", "--file", bad_value)
        no_settings = self.write("flat.json", {"clipboard": {"clear_after": 1}})
        self.refused(3, "must be {\"v\":1,\"settings\"", "policies", "diff", "tenant",
                     "--file", no_settings)
        self.refused(3, "The policy file", "policies", "set", "tenant",
                     "--file", self.write("broken.json", "{"))
        self.refused(2, "'tenant', 'user USER_ID'", "policies", "show", "group", "x")
        self.refused(3, "HTTP 404", "policies", "show", "user", "usr_nobody")
        self.assertEqual(json.loads(self.ok("--json", "policies", "show", "tenant"))["settings"],
                         json.loads(shown)["settings"])

    def add_rp(self, name):
        created = json.loads(self.ok("--json", "rp", "add", name))
        return created, self.write("key-" + name, created["api_key"] + "\n")

    def test_rp_tokens_and_validate(self):
        human = self.ok("rp", "add", "vpn").splitlines()
        key = [line for line in human if line.startswith("api_key: ")][0][len("api_key: "):]
        self.assertGreaterEqual(len(key), 43)
        portal, portal_key = self.add_rp("portal")
        listing = self.ok("rp", "list")
        self.assertNotIn(key, listing)
        self.assertNotIn(portal["api_key"], listing)
        when = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(portal["created"]))
        self.assertIn("%s\tportal\t%s\t-" % (portal["id"], when), listing.splitlines())
        user = self.add_user("--email", "cy@example.com")["id"]
        out = self.ok("tokens", "provision", user, "--issuer", "ACME Corp", "--label", "cy",
                      "--qr", "tok.png").splitlines()
        self.assertEqual(out[-1], "QR code written to tok.png")
        uri = [line for line in out if line.startswith("uri: ")][0][len("uri: "):]
        parsed = urllib.parse.urlsplit(uri)
        self.assertEqual((parsed.scheme, parsed.netloc, parsed.path),
                         ("otpauth", "totp", "/ACME%20Corp:cy"))
        query = dict(urllib.parse.parse_qsl(parsed.query))
        secret = query["secret"]
        self.assertEqual(query["issuer"], "ACME Corp")
        self.assertNotIn("secret: ", "\n".join(out))
        scan = subprocess.run(["zbarimg", "--raw", "-q", os.path.join(self.tmp, "tok.png")],
                              capture_output=True, text=True, timeout=60, check=True)
        self.assertEqual(scan.stdout.strip(), uri)
        token = [line.split("\t") for line in self.ok("tokens", "list").splitlines()]
        self.assertEqual(len(token), 1)
        token_id = token[0][0]
        self.assertEqual(token[0][1:], [user, "totp", "pending", "0"])
        self.assertNotIn(secret, self.ok("--json", "tokens", "show", token_id))
        # a pending token validates nothing; the ack step activates it
        self.refused(3, "HTTP 400", "validate", user, "--api-key-file", portal_key,
                     stdin=hotp(secret, step()) + "\n")
        self.refused(3, "HTTP 400", "tokens", "ack", token_id, stdin="12345\n")
        self.assertEqual(self.ok("tokens", "ack", token_id, stdin=hotp(secret, step()) + "\n")
                         .strip(), "Token active")
        self.assertEqual(json.loads(self.ok("--json", "tokens", "show", token_id))["state"],
                         "active")
        code = hotp(secret, step() + 1) + "\n"
        valid = self.ok("validate", user, "--api-key-file", portal_key, stdin=code)
        self.assertEqual(valid.splitlines(), ["result: valid", "token: " + token_id])
        self.refused(3, "HTTP 400", "validate", user, "--api-key-file", portal_key, stdin=code)
        # failures count until an admin resets them
        wrong = "%06d\n" % ((int(hotp(secret, step())) + 500000) % 1000000)
        self.refused(3, "HTTP 400", "validate", user, "--api-key-file", portal_key, stdin=wrong)
        self.assertEqual(json.loads(self.ok("--json", "tokens", "show", token_id))["failures"], 1)
        self.assertEqual(self.ok("tokens", "reset", token_id).strip(), "Token reset")
        self.assertEqual(json.loads(self.ok("--json", "tokens", "show", token_id))["failures"], 0)
        self.assertEqual(self.ok("tokens", "revoke", token_id).strip(), "Token revoked")
        self.assertEqual(json.loads(self.ok("--json", "tokens", "show", token_id))["state"],
                         "revoked")
        self.assertEqual(self.ok("rp", "revoke", portal["id"]).strip(), "Relying party revoked")
        self.refused(4, "HTTP 401", "validate", user, "--api-key-file", portal_key, stdin=code)
        self.refused(3, "HTTP 404", "rp", "revoke", "rp_nobody")

    def test_tokens_provision_json_and_options(self):
        user = self.add_user("--email", "di@example.com")["id"]
        created = json.loads(self.ok("--json", "tokens", "provision", user, "--type", "hotp",
                                     "--algorithm", "SHA256", "--digits", "8"))
        self.assertEqual((created["type"], created["algorithm"], created["digits"]),
                         ("hotp", "SHA256", 8))
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(created["uri"]).query))
        self.assertEqual((query["secret"], query["algorithm"], query["digits"], query["counter"]),
                         (created["secret"], "SHA256", "8", "0"))
        self.refused(3, "period", "tokens", "provision", user, "--period", "301")
        self.refused(3, "HTTP 404", "tokens", "provision", "usr_nobody")
        other = self.add_user("--email", "fi@example.com")["id"]
        self.ok("tokens", "provision", other)
        self.assertEqual(len(json.loads(self.ok("--json", "tokens", "list"))["tokens"]), 2)
        mine = json.loads(self.ok("--json", "tokens", "list", "--user", user))["tokens"]
        self.assertEqual([tok["id"] for tok in mine], [created["id"]])

    def test_hotp_resync(self):
        """An HOTP token pressed past the look-ahead window: the code counts as
        wrong; two codes in a row on stdin resynchronise it."""
        _, key_file = self.add_rp("vpn")
        user = self.add_user("--email", "hu@example.com")["id"]
        created = json.loads(self.ok("--json", "tokens", "provision", user, "--type", "hotp"))
        secret, token_id = created["secret"], created["id"]
        self.ok("tokens", "ack", token_id, stdin=hotp(secret, 0) + "\n")
        drifted = hotp(secret, 40) + "\n"
        self.refused(3, "HTTP 400", "validate", user, "--api-key-file", key_file, stdin=drifted)
        self.assertEqual(json.loads(self.ok("--json", "tokens", "show", token_id))["failures"], 1)
        self.refused(3, "not codes in a row", "tokens", "resync", token_id,
                     stdin=hotp(secret, 40) + "\n" + hotp(secret, 42) + "\n")
        self.refused(3, "reads the code from stdin", "tokens", "resync", token_id,
                     stdin=hotp(secret, 40) + "\n")
        self.assertEqual(self.ok("tokens", "resync", token_id,
                                 stdin=hotp(secret, 40) + "\n" + hotp(secret, 41) + "\n").strip(),
                         "Token resynchronised")
        shown = json.loads(self.ok("--json", "tokens", "show", token_id))
        self.assertEqual(shown["failures"], 0)
        valid = self.ok("validate", user, "--api-key-file", key_file,
                        stdin=hotp(secret, 42) + "\n")
        self.assertIn("result: valid", valid.splitlines())
        actions = json.loads(self.ok("--json", "audit", "tail"))["entries"]
        self.assertIn(("token.resync", token_id), [(e["action"], e.get("target")) for e in actions])

    def test_push(self):
        _, key_file = self.add_rp("vpn")
        _, other_key = self.add_rp("portal")
        user = self.add_user("--email", "ed@example.com")["id"]
        out = self.ok("push", user, "--api-key-file", key_file).splitlines()
        fields = dict(line.split(": ", 1) for line in out)
        self.assertTrue(fields["transaction_id"].startswith("ptx_"))
        self.assertTrue(10 <= int(fields["number"]) <= 99)
        self.assertEqual(fields["state"], "pending")
        status = json.loads(self.ok("--json", "push", "status", fields["transaction_id"],
                                    "--api-key-file", key_file))
        self.assertEqual((status["transaction_id"], status["state"], status["number"]),
                         (fields["transaction_id"], "pending", int(fields["number"])))
        self.refused(3, "HTTP 404", "push", "status", fields["transaction_id"],
                     "--api-key-file", other_key)
        silent = json.loads(self.ok("--json", "push", user, "--number-matching", "none",
                                    "--api-key-file", key_file))
        self.assertNotIn("number", silent)
        self.refused(3, "HTTP 400", "push", user, "--number-matching", "guess",
                     "--api-key-file", key_file)
        self.refused(3, "HTTP 404", "push", "usr_nobody", "--api-key-file", key_file)
        self.refused(4, "HTTP 401", "push", user, "--api-key-file", self.token_file)

    def test_push_by_name_with_context(self):
        """A name (or email address) instead of the id, looked up with the
        admin token; the context reaches the device in the push."""
        _, key_file = self.add_rp("vpn")
        device = self.register("ann@example.com")
        ann = self.users["ann@example.com"]
        self.ok("users", "add", "--email", "ann2@example.com", "--name", "Twin")
        self.ok("users", "add", "--email", "ann3@example.com", "--name", "Twin")
        self.users["dee@example.com"] = self.add_user("--email", "dee@example.com", "--name",
                                                      "demo-user")["id"]
        dee = self.register("dee@example.com")
        # Unknown and ambiguous names are refused with the reason, nothing sent.
        self.refused(3, "no user is named 'nobody'", "push", "nobody", "--api-key-file",
                     key_file)
        twins = self.refused(3, "2 users are named 'Twin'", "push", "Twin",
                             "--api-key-file", key_file)
        self.assertIn("give the user's id", twins.stderr)
        # A name needs the admin token to be looked up.
        no_token = self.admin("--server", self.url, "--ca", self.ca, "push", "demo-user",
                              "--api-key-file", key_file, conn=False)
        self.assertEqual(no_token.returncode, 2, no_token.stderr)
        self.assertIn("--token-file", no_token.stderr)
        out = self.ok("--json", "push", "demo-user", "--api-key-file", key_file,
                      "--app", "Demo portal", "--ip", "192.0.2.7", "--browser", "Firefox 128",
                      "--location", "Berlin, Germany")
        tx = json.loads(out)["transaction_id"]
        status, body = self.poll(dee, "wait=0&cursor=0")
        self.assertEqual(status, 200, body)
        [push] = [e["data"] for e in body["events"] if e["type"] == "push"]
        self.assertEqual(push["challenge_id"], tx)
        payload = json.loads(b64u_decode(push["push"].split(".")[1]))
        self.assertEqual(payload["context"], {"app": "Demo portal", "ip": "192.0.2.7",
                                              "browser": "Firefox 128",
                                              "location": "Berlin, Germany"})
        # By email address, and the id still works; no context, none sent.
        self.ok("push", "ANN@example.com", "--api-key-file", key_file)
        self.ok("push", ann, "--api-key-file", key_file)
        status, body = self.poll(device, "wait=0&cursor=0")
        self.assertEqual(status, 200, body)
        pushes = [json.loads(b64u_decode(e["data"]["push"].split(".")[1]))
                  for e in body["events"] if e["type"] == "push"]
        self.assertEqual(len(pushes), 2)
        self.assertEqual([p.get("context", {}) for p in pushes], [{}, {}])


if __name__ == "__main__":
    servertest.main()
