#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-client-status.py: entsec-cli status, unbind and delete-all-data, the offline grace, command
acknowledgements sent again, and client_too_old, against the real entsec-server.

The server runs over TLS on loopback (--dev, outbox sender); the client reaches
it through clienttest.Proxy, which forwards every request unchanged, records
them (so the test sees the enrollment token and device key to look for after
an unbind), and drops one request where a test asks (a lost acknowledgement).
A real gnome-keyring (tests/keyring-session.sh) holds the policy's high-water
mark. Times are injected with --time; nothing sleeps.
argv[1] is entsec-server; ENTSEC_CLI is the CLI.
"""

import base64
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))
import clienttest  # noqa: E402
import servertest  # noqa: E402
from servertest import ServerTestCase  # noqa: E402

CLI = os.environ["ENTSEC_CLI"]
FAST_KDF = clienttest.FAST_KDF
EMAIL = "ann@example.com"
PERSONAL = "otpauth://totp/Personal:me?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Personal"


def pref_rows(path):
    """How many preference rows the vault file at path holds (read-only)."""
    with sqlite3.connect("file:" + path + "?mode=ro", uri=True) as db:
        return db.execute("SELECT count(*) FROM prefs").fetchone()[0]


class StatusTests(ServerTestCase):
    def setUp(self):
        super().setUp()
        self.proxy = clienttest.Proxy(self.data_dir)
        self.base = "https://localhost:%d" % self.proxy.port
        env = dict(os.environ, ENTSEC_SERVER_ENROLL_RESEND_AFTER="0",
                   ENTSEC_SERVER_ISSUER=self.base)
        self.proxy.upstream = self.start("--dev", env=env)
        self.ca = os.path.join(self.data_dir, "ca.pem")
        self.user_id = self.admin("POST", "/v1/admin/users", {"email": EMAIL}, want=201)["id"]
        self.pass_file = clienttest.pass_file(self.tmp)
        self.vault = self.new_vault("vault.db")
        self.assertEqual(self.enroll(self.vault, EMAIL), 0)
        self.device_id = self.cli_json("device")["device_id"]

    def tearDown(self):
        self.proxy.stop()
        super().tearDown()

    def new_vault(self, name):
        path = os.path.join(self.tmp, name)
        result = self.cli("init", *FAST_KDF, vault=path)
        self.assertEqual(result.returncode, 0, result.stderr)
        return path

    def enroll(self, vault, email):
        code, out, err = clienttest.enroll(CLI, vault, self.pass_file, self.data_dir,
                                           "--server", self.base, "--ca", self.ca,
                                           "--email", email)
        self.last_enroll = out + err
        return code

    def cli(self, *args, vault=None, stdin=None):
        return subprocess.run([CLI, *args, "--vault", vault or self.vault, "--no-keyring",
                               "--passphrase-file", self.pass_file],
                              input=stdin, capture_output=True, text=True, timeout=120,
                              check=False)

    def cli_json(self, *args, want=0):
        result = self.cli(*args, "--json")
        self.assertEqual(result.returncode, want, result.stderr)
        return json.loads(result.stdout)

    def admin(self, method, path, body=None, want=None):
        status, _, answer, _ = self.server.request(method, path, token=self.token, body=body)
        if want is not None:
            self.assertEqual(status, want, answer)
        return answer

    def set_policy(self, settings):
        self.admin("PUT", "/v1/admin/policies/tenant", {"v": 1, "settings": settings}, want=204)

    def provision(self):
        token = self.admin("POST", "/v1/admin/tokens",
                           {"v": 1, "user": self.user_id, "type": "totp", "issuer": "Example",
                            "label": "ann"}, want=201)
        self.assertEqual(len(self.cli_json("sync")["added"]), 1)
        return token

    def add_personal(self):
        result = self.cli("add", "--uri", "-", stdin=PERSONAL + "\n")
        self.assertEqual(result.returncode, 0, result.stderr)

    def codes(self, at):
        result = self.cli("code", "--json", "--time", str(at))
        return result, json.loads(result.stdout) if result.stdout else None

    def keyring_items(self):
        """This device's keyring items (secret-tool, as a user would look; the keyring
        outlives each test, so other tests' devices have theirs)."""
        device = hashlib.sha256((self.base + "\n" + self.device_id).encode()).hexdigest()
        out = subprocess.run(["secret-tool", "search", "--all", "device", device],
                             capture_output=True, text=True, timeout=30, check=False)
        return [line for line in (out.stdout + out.stderr).splitlines()
                if line.startswith("[/")]

    # ---- status -----------------------------------------------------------------

    def test_status_of_an_active_device(self):
        before = int(time.time())
        status = self.cli_json("status")
        self.assertEqual(status["server"], self.base)
        self.assertEqual(status["tenant"], "default")
        self.assertEqual(status["device_id"], self.device_id)
        self.assertEqual((status["state"], status["state_from_server"]), ("active", True))
        self.assertIsNone(status["contact_error"])
        self.assertEqual(status["policy_version"], self.cli_json("policy")["policy_version"])
        self.assertGreaterEqual(status["last_contact"], before - 1)
        # The registration was signed during setUp, before this test began.
        self.assertLessEqual(status["registered_at"], before)
        self.assertGreater(status["registered_at"], before - servertest.START_TIMEOUT - 120)
        self.assertEqual(status["last_sync"], 0)
        self.assertEqual(status["pending_approvals"], 0)
        self.assertLessEqual(abs(status["clock_skew"]), 5)
        self.assertEqual(status["offline"], "ok")
        # The server's defaults: 12 h to the block, 90 days to the wipe.
        self.assertEqual(status["offline_block_at"] - status["last_contact"], 43200)
        self.assertEqual(status["offline_wipe_at"] - status["last_contact"], 7776000)

        self.cli_json("sync")
        rp_key = self.admin("POST", "/v1/admin/rps", {"v": 1, "name": "vpn"}, want=201)["api_key"]
        code, _, tx, _ = self.server.request("POST", "/v1/auth/push",
                                             {"v": 1, "user": self.user_id}, token=rp_key)
        self.assertEqual(code, 201, tx)
        self.assertEqual(self.cli("watch", "--once", "--wait", "0").returncode, 0)
        status = self.cli_json("status")
        self.assertEqual(status["pending_approvals"], 1)
        self.assertGreaterEqual(status["last_sync"], before - 1)

        text = self.cli("status")
        self.assertEqual(text.returncode, 0, text.stderr)
        self.assertIn("active (as the server says now)", text.stdout)
        self.assertIn("Pending approvals: 1", text.stdout)

    def test_status_when_the_server_cannot_be_reached(self):
        self.proxy.stop()
        result = self.cli("status", "--json")
        self.assertEqual(result.returncode, 1, result.stderr)
        status = json.loads(result.stdout)
        self.assertFalse(status["state_from_server"])
        self.assertEqual(status["state"], "active")
        self.assertIsNotNone(status["contact_error"])
        self.assertIsNone(status["clock_skew"])
        self.assertIn("could not be reached", result.stderr)
        self.proxy = clienttest.Proxy(self.data_dir)  # for tearDown

    def test_status_of_a_revoked_device_and_a_vault_not_enrolled(self):
        self.admin("POST", "/v1/admin/devices/%s/revoke" % self.device_id, want=204)
        status = self.cli_json("status", want=4)
        self.assertEqual((status["state"], status["wiped"]), ("revoked", True))
        self.assertEqual(self.cli("status").returncode, 3)
        other = self.new_vault("other.db")
        result = self.cli("status", vault=other)
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertIn("not enrolled", result.stderr)

    # ---- unbind -----------------------------------------------------------------

    def secrets_sent(self):
        """The enrollment token, and the device key's public coordinates, as seen on the wire."""
        found = []
        for method, path, body, answer in self.proxy.seen:
            if path == "/v1/enroll/verify":
                found.append(json.loads(answer)["enrollment_token"].encode())
            if method == "POST" and path == "/v1/devices":
                key = json.loads(body)["device_key"]
                found += [base64.urlsafe_b64decode(key[c] + "=" * (-len(key[c]) % 4))
                          for c in ("x", "y")]
                found += [key["x"].encode(), key["y"].encode()]
        self.assertEqual(len(found), 5)
        return found

    def vault_bytes(self):
        data = b""
        for suffix in ("", "-wal", "-journal", "-shm"):
            if os.path.exists(self.vault + suffix):
                with open(self.vault + suffix, "rb") as f:
                    data += f.read()
        return data

    def test_unbind_leaves_no_enterprise_secret(self):
        self.add_personal()
        token = self.provision()
        self.assertEqual(len(self.keyring_items()), 1)
        canaries = self.secrets_sent()
        seed = base64.b32decode(token["secret"] + "=" * (-len(token["secret"]) % 8))
        canaries += [seed, token["secret"].encode(), self.device_id.encode()]

        refused = self.cli("unbind")
        self.assertEqual(refused.returncode, 2, refused.stderr)
        self.assertIn("--yes", refused.stderr)
        result = self.cli("unbind", "--yes")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Unbound: device " + self.device_id, result.stdout)
        receipt = result.stdout.splitlines()[1]
        payload = json.loads(base64.urlsafe_b64decode(receipt.split(".")[1] + "=="))
        self.assertEqual((payload["op"], payload["device_id"]), ("unbind", self.device_id))
        self.assertEqual(self.admin("GET", "/v1/admin/devices/" + self.device_id,
                                    want=200)["state"], "unbound")

        self.assertEqual(self.cli("device").returncode, 3)
        self.assertEqual(self.cli("status").returncode, 3)
        names = [c["name"].split()[0] for c in self.cli_json("code")["codes"]]
        self.assertEqual(names, ["Personal"])
        data = self.vault_bytes()
        for canary in canaries:
            self.assertNotIn(canary, data)
        self.assertEqual(self.keyring_items(), [])
        # Nothing of the enterprise side is left among the vault's preference rows.
        rows = pref_rows(self.vault)
        fresh = self.new_vault("fresh.db")
        self.assertEqual(self.cli("add", "--uri", "-", vault=fresh,
                                  stdin=PERSONAL + "\n").returncode, 0)
        self.assertEqual(rows, pref_rows(fresh))

    def test_unbind_refused_by_the_policy(self):
        self.set_policy({"device": {"allow_user_unbind": False}})
        self.assertEqual(self.cli("sync").returncode, 0)
        seen = len(self.proxy.seen)
        result = self.cli("unbind", "--yes")
        self.assertEqual(result.returncode, 4, result.stderr)
        self.assertIn("does not let you unbind", result.stderr)
        self.assertEqual(len(self.proxy.seen), seen)  # refused before any request
        self.assertEqual(self.cli_json("device")["device_id"], self.device_id)

    # ---- delete-all-data ------------------------------------------------------------

    def test_delete_all_data_unbinds_first(self):
        self.add_personal()
        self.provision()
        result = self.cli("delete-all-data", "--yes", "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        report = json.loads(result.stdout)
        self.assertEqual((report["enrolled"], report["unbound"], report["device_id"]),
                         (True, True, self.device_id))
        self.assertNotIn("server_problem", report)
        self.assertEqual(self.admin("GET", "/v1/admin/devices/" + self.device_id,
                                    want=200)["state"], "unbound")
        self.assertEqual(self.vault_bytes(), b"")
        self.assertEqual([f for f in os.listdir(self.tmp)
                          if f.startswith(os.path.basename(self.vault))], [])
        self.assertEqual(self.keyring_items(), [])

    def test_delete_all_data_when_the_server_cannot_be_told(self):
        self.set_policy({"device": {"allow_user_unbind": False}})
        self.assertEqual(self.cli("sync").returncode, 0)
        result = self.cli("delete-all-data", "--yes")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("does not let you unbind", result.stdout)
        self.assertIn("keeps this device until an administrator removes it", result.stdout)
        self.assertFalse(os.path.exists(self.vault))
        self.assertEqual(self.keyring_items(), [])
        self.assertEqual(self.admin("GET", "/v1/admin/devices/" + self.device_id,
                                    want=200)["state"], "active")

    # ---- offline grace ------------------------------------------------------------

    def test_offline_grace_blocks_then_wipes(self):
        self.set_policy({"offline": {"block_after": 3600, "wipe_after": 86400}})
        self.add_personal()
        self.provision()
        status = self.cli_json("status")
        contact = status["last_contact"]
        self.assertEqual(status["offline_block_at"], contact + 3600)
        self.assertEqual(status["offline_wipe_at"], contact + 86400)

        result, codes = self.codes(contact + 3599)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual([c["blocked"] for c in codes["codes"]], [False, False])
        result, codes = self.codes(contact + 3600)
        self.assertEqual(result.returncode, 0, result.stderr)
        blocked = {c["name"].split()[0]: (c["blocked"], c["code"]) for c in codes["codes"]}
        self.assertEqual(blocked["Example"], (True, None))
        self.assertFalse(blocked["Personal"][0])
        self.assertIsNotNone(blocked["Personal"][1])
        self.assertIn("Connect to the network and sync", result.stderr)
        one = self.cli("code", "Example", "--time", str(contact + 3600))
        self.assertEqual(one.returncode, 4, one.stderr)
        self.assertIn("blocked", one.stderr)
        status = self.cli_json("status", "--offline", "--time", str(contact + 3600), want=4)
        self.assertEqual(status["offline"], "blocked")

        # A contact renews the grace: the same moment gives codes again. (The
        # contact's time is injected, 20 s on, well within the server's 60 s.)
        self.assertEqual(self.cli("sync", "--time", str(contact + 20)).returncode, 0)
        renewed = self.cli_json("status", "--offline", "--time", str(contact + 20))
        self.assertEqual(renewed["last_contact"], contact + 20)
        renewed = renewed["last_contact"]
        result, codes = self.codes(contact + 3600)
        self.assertEqual([c["blocked"] for c in codes["codes"]], [False, False])

        # Past the wipe limit the enterprise data goes; personal accounts stay.
        result, codes = self.codes(renewed + 86400)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("were removed", result.stderr)
        self.assertEqual([c["name"].split()[0] for c in codes["codes"]], ["Personal"])
        self.assertEqual(self.cli("device").returncode, 3)
        self.assertEqual(self.keyring_items(), [])

    # ---- commands -----------------------------------------------------------------

    def commands(self):
        return self.admin("GET", "/v1/admin/devices/%s/commands" % self.device_id,
                          want=200)["commands"]

    def watch(self, *args):
        result = self.cli("watch", "--once", "--wait", "0", "--json", *args)
        self.assertEqual(result.returncode, 0, result.stderr)
        return [json.loads(line) for line in result.stdout.splitlines()]

    def test_lost_acknowledgement_sent_again_command_run_once(self):
        cid = self.admin("POST", "/v1/admin/devices/%s/commands" % self.device_id,
                         {"v": 1, "type": "lock"}, want=201)["id"]
        self.proxy.drop = lambda method, path: path.endswith("/commands/%s/ack" % cid)
        polls = self.watch()
        self.assertIsNone(self.proxy.drop, "the acknowledgement was never sent")
        self.assertTrue(polls[-1]["locked"], polls)
        self.assertNotEqual(self.commands()[0]["state"], "acked")
        # The next contact, whatever it is, acknowledges it.
        self.assertEqual(self.cli("sync").returncode, 0)
        self.assertEqual([(c["id"], c["state"], c["result"]) for c in self.commands()],
                         [(cid, "acked", "done")])
        acks = [p for m, p, _, _ in self.proxy.seen if p.endswith("/ack")]
        self.assertEqual(len(acks), 1)
        # Delivered again: acknowledged, not carried out a second time.
        again = self.watch("--cursor", "0")
        dups = [e for p in again for e in p["events"] if e["type"] == "command"]
        self.assertEqual([(e["command_id"], e["duplicate"]) for e in dups], [(cid, True)])
        self.assertFalse(again[-1]["locked"], again)

    # ---- what the server receives ----------------------------------------------

    def test_registration_claims_match_describe(self):
        self.set_policy({"binding": {"collect": ["machine_fp", "macs", "dmi", "os"]}})
        self.admin("POST", "/v1/admin/users", {"email": "carol@example.com"}, want=201)
        seen = len(self.proxy.seen)
        self.assertEqual(self.enroll(self.new_vault("carol.db"), "carol@example.com"), 0)
        exchanges = self.proxy.seen[seen:]
        verified = [json.loads(a) for _, p, _, a in exchanges if p == "/v1/enroll/verify"][0]
        self.assertEqual(verified["collect"], ["machine_fp", "macs", "dmi", "os"])
        sent = [json.loads(b) for m, p, b, _ in exchanges if (m, p) == ("POST", "/v1/devices")]
        registered = [json.loads(a) for m, p, _, a in exchanges
                      if (m, p) == ("POST", "/v1/devices")][0]
        described = subprocess.run([os.environ["ENTSEC_DESCRIBE_PROBE"],
                                    verified["tenant_salt"], ",".join(verified["collect"])],
                                   capture_output=True, text=True, check=True).stdout
        expected = json.loads(described)
        self.assertIn("machine_fp", expected)
        # On the wire, and as the server stored it (admin API), field for field.
        self.assertEqual(sent[0]["device"], expected)
        stored = self.admin("GET", "/v1/admin/devices/" + registered["device_id"], want=200)
        self.assertEqual(stored["claims"]["device"], expected)
        for field in ("machine_fp", "dmi", "os", "macs"):
            self.assertEqual(stored["claims"]["device"].get(field), expected.get(field), field)

    # ---- client_too_old -------------------------------------------------------------

    def test_client_too_old(self):
        self.set_policy({"binding": {"min_client_version": "99.1"}})
        self.admin("POST", "/v1/admin/users", {"email": "bob@example.com"}, want=201)
        vault = self.new_vault("bob.db")
        self.assertEqual(self.enroll(vault, "bob@example.com"), 4)
        self.assertIn("older than your organisation allows", self.last_enroll)
        self.assertIn("99.1", self.last_enroll)
        self.assertIn("update entsec", self.last_enroll)
        self.assertEqual(self.cli("device", vault=vault).returncode, 3)


if __name__ == "__main__":
    servertest.main()
