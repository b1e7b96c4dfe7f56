#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-client-events.py: entsec-cli watch, approvals, approve and deny against the real
entsec-server over TLS on loopback (--dev, outbox sender): a relying party starts pushes
that the CLI receives on its events long-poll and answers with the number (right, wrong
three times, deny --not-me); admin commands (lock, wipe) are carried out and acknowledged
once, even when the same command is delivered again. With the device key sealed under
its own key in the real gnome-keyring (tests/keyring-session.sh), the worker receives
pushes and carries out commands with the vault locked, while approving needs it
unlocked. argv[1] is entsec-server; ENTSEC_CLI is the CLI.
"""

import hashlib
import json
import os
import signal
import sqlite3
import struct
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


class EventsTests(clienttest.VaultCli, ServerTestCase):
    def setUp(self):
        super().setUp()
        env = dict(os.environ, ENTSEC_SERVER_ENROLL_RESEND_AFTER="0")
        self.server = self.start("--dev", env=env)
        self.base = "https://localhost:%d" % self.server.port
        self.ca = os.path.join(self.data_dir, "ca.pem")
        user = self.admin("POST", "/v1/admin/users", {"email": EMAIL}, want=201)
        self.user_id = user["id"]
        self.rp_key = self.admin("POST", "/v1/admin/rps", {"v": 1, "name": "vpn"},
                                 want=201)["api_key"]
        self.pass_file = clienttest.pass_file(self.tmp)
        self.vault = os.path.join(self.tmp, "vault.db")
        result = self.cli("init", *FAST_KDF)
        self.assertEqual(result.returncode, 0, result.stderr)
        code, out, err = clienttest.enroll(CLI, self.vault, self.pass_file, self.data_dir,
                                           "--server", self.base, "--ca", self.ca,
                                           "--email", EMAIL)
        self.assertEqual(code, 0, out + err)
        self.device_id = self.cli_json("device")["device_id"]

    def watch(self, *args):
        """One `watch --once --wait 0`: the events of each poll, flattened."""
        result = self.cli("watch", "--once", "--wait", "0", "--json", *args)
        self.assertEqual(result.returncode, 0, result.stderr)
        polls = [json.loads(line) for line in result.stdout.splitlines()]
        self.assertTrue(polls, result.stdout)
        return polls

    def push(self, mode=None):
        body = {"v": 1, "user": self.user_id, "context": {"app": "VPN", "ip": "192.0.2.7"}}
        if mode is not None:
            body["number_matching"] = mode
        status, _, tx, _ = self.server.request("POST", "/v1/auth/push", body, token=self.rp_key)
        self.assertEqual(status, 201, tx)
        return tx

    def transaction(self, tx):
        status, _, got, _ = self.server.request(
            "GET", "/v1/auth/transactions/" + tx["transaction_id"], token=self.rp_key)
        self.assertEqual(status, 200, got)
        return got

    def received_push(self, tx):
        events = [e for poll in self.watch() for e in poll["events"]]
        pushes = [e["approval"] for e in events if e["type"] == "push"]
        self.assertEqual([p["challenge_id"] for p in pushes], [tx["transaction_id"]], events)
        return pushes[0]

    def command(self, kind):
        return self.admin("POST", "/v1/admin/devices/%s/commands" % self.device_id,
                          {"v": 1, "type": kind}, want=201)["id"]

    def commands(self):
        return self.admin("GET", "/v1/admin/devices/%s/commands" % self.device_id,
                          want=200)["commands"]

    # ---- approvals ------------------------------------------------------------

    def test_approve_with_the_right_number(self):
        tx = self.push()
        approval = self.received_push(tx)
        self.assertEqual(approval["mode"], "enter")
        self.assertEqual(approval["context"], {"app": "VPN", "ip": "192.0.2.7"})
        self.assertNotIn(str(tx["number"]), json.dumps(approval["choices"]))
        listed = self.cli_json("approvals")
        self.assertEqual([a["challenge_id"] for a in listed], [tx["transaction_id"]])
        human = self.cli("approvals")
        self.assertIn("app VPN, ip 192.0.2.7", human.stdout)
        # No number: refused here, none of the three tries spent.
        for _ in range(3):
            result = self.cli("approve", tx["transaction_id"])
            self.assertEqual(result.returncode, 3, result.stderr)
            self.assertIn("needs the number", result.stderr)
        self.assertEqual(self.transaction(tx)["state"], "pending")
        result = self.cli("approve", tx["transaction_id"], "--number", str(tx["number"]))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("approved", result.stdout)
        self.assertEqual(self.transaction(tx)["state"], "approved")
        self.assertEqual(self.cli_json("approvals"), [])

    def test_three_wrong_numbers_close_the_request(self):
        tx = self.push()
        self.received_push(tx)
        wrong = 10 if tx["number"] != 10 else 11
        for attempt in range(3):
            result = self.cli("approve", tx["transaction_id"], "--number", str(wrong))
            self.assertEqual(result.returncode, 3, (attempt, result.stdout, result.stderr))
        got = self.transaction(tx)
        self.assertEqual((got["state"], got.get("deny_reason"), got.get("flagged")),
                         ("denied", "wrong_number", True))
        # Closed: the right number no longer approves it.
        result = self.cli("approve", tx["transaction_id"], "--number", str(tx["number"]))
        self.assertNotEqual(result.returncode, 0, result.stdout)
        self.assertEqual(self.transaction(tx)["state"], "denied")

    def test_deny_not_me_mutes_the_next_push(self):
        tx = self.push()
        self.received_push(tx)
        result = self.cli("deny", tx["transaction_id"], "--not-me")
        self.assertEqual(result.returncode, 0, result.stderr)
        got = self.transaction(tx)
        self.assertEqual((got["state"], got.get("deny_reason")), ("denied", "not_me"))
        muted = self.push()
        self.assertEqual(muted["state"], "muted")
        events = [e for poll in self.watch() for e in poll["events"]]
        self.assertEqual([e for e in events if e["type"] == "push"], [])

    def test_choose_mode_lists_the_choices(self):
        tx = self.push("choose")
        approval = self.received_push(tx)
        self.assertEqual(approval["mode"], "choose")
        self.assertEqual(len(approval["choices"]), 3)
        self.assertIn(tx["number"], approval["choices"])
        human = self.cli("approvals")
        self.assertIn(" ".join(str(n) for n in approval["choices"]), human.stdout)
        outside = next(n for n in range(10, 100) if n not in approval["choices"])
        result = self.cli("approve", tx["transaction_id"], "--number", str(outside))
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertEqual(self.transaction(tx)["state"], "pending")
        result = self.cli("approve", tx["transaction_id"], "--number", str(tx["number"]))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.transaction(tx)["state"], "approved")

    def test_policy_and_tokens_events_synced(self):
        self.admin("PUT", "/v1/admin/policies/tenant",
                   {"v": 1, "settings": {"tokens": {"allow_export": True}}}, want=204)
        self.admin("POST", "/v1/admin/tokens",
                   {"v": 1, "user": self.user_id, "type": "totp", "issuer": "Example",
                    "label": "ann"}, want=201)
        events = [e for poll in self.watch() for e in poll["events"]]
        self.assertIn(("policy", "A new policy is in force"),
                      [(e["type"], e.get("detail")) for e in events])
        tokens = [e for e in events if e["type"] == "tokens"]
        self.assertEqual([e.get("detail") for e in tokens], ["Example (ann)"])
        self.assertTrue(self.cli_json("policy")["allow_export"])

    def test_unknown_request_refused(self):
        result = self.cli("approve", "ptx_unknown", "--number", "42")
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertIn("entsec-cli approvals", result.stderr)

    # ---- commands -------------------------------------------------------------

    def test_watch_prints_a_push_as_it_comes_and_stops_on_ctrl_c(self):
        tx = self.push()
        proc = subprocess.Popen([CLI, "watch", "--json", "--wait", "5", "--vault", self.vault,
                                 "--no-keyring", "--passphrase-file", self.pass_file],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            seen = []
            while not seen:
                line = proc.stdout.readline()
                self.assertTrue(line, proc.stderr.read() if proc.poll() is not None else "")
                # A heartbeat's line comes first, then one line per poll.
                seen = [e["approval"]["challenge_id"] for e in json.loads(line).get("events", [])
                        if e["type"] == "push"]
            self.assertEqual(seen, [tx["transaction_id"]])
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=60)
            self.assertEqual(proc.returncode, 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        self.assertEqual([a["challenge_id"] for a in self.cli_json("approvals")],
                         [tx["transaction_id"]])

    def test_lock_acknowledged_and_carried_out(self):
        cid = self.command("lock")
        # Without --once the events worker runs until the lock stops it.
        result = self.cli("watch", "--json", "--wait", "1")
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        # The worker's heartbeat on start: this device is the one registered.
        self.assertEqual(lines[0]["heartbeat"]["binding"], "ok", lines[0])
        polls = lines[1:]
        self.assertTrue(polls[-1]["locked"], polls)
        done = [e for poll in polls for e in poll["events"] if e["type"] == "command"]
        self.assertEqual([(e["command_id"], e["command"], e["duplicate"]) for e in done],
                         [(cid, "lock", False)])
        self.assertEqual([(c["id"], c["state"], c["result"]) for c in self.commands()],
                         [(cid, "acked", "done")])

    def test_command_delivered_twice_carried_out_once(self):
        cid = self.command("lock")
        first = self.watch()
        self.assertTrue(first[-1]["locked"], first)
        # The server forgets events only once a later poll names their cursor:
        # asking again from 0 delivers the same command a second time.
        again = self.watch("--cursor", "0")
        dups = [e for p in again for e in p["events"] if e["type"] == "command"]
        self.assertEqual([(e["command_id"], e["duplicate"]) for e in dups], [(cid, True)])
        self.assertFalse(again[-1]["locked"], again)
        self.assertEqual([(c["id"], c["state"]) for c in self.commands()], [(cid, "acked")])

    def test_wipe_leaves_no_enterprise_secret(self):
        token = self.managed_and_personal()
        cid = self.command("wipe")
        polls = self.watch()
        self.assertTrue(polls[-1]["wiped"], polls)
        self.assertEqual([(c["id"], c["state"], c["result"]) for c in self.commands()],
                         [(cid, "acked", "done")])
        self.assertEqual(self.cli("device").returncode, 3)
        names = [c["name"].split()[0] for c in self.cli_json("code")["codes"]]
        self.assertEqual(names, ["Personal"])
        self.canary_scan(self.device_id, token["id"])
        # The device key's own key left the keyring, its sealed rows the vault; the
        # notice of the wipe (times only) stays until the device is enrolled again.
        self.assertEqual(self.device_kek_items(), [])
        self.assertEqual(self.locked_rows(), ["enterprise.remote_wipe"])
        self.assertIn("Your organisation wiped this device on", self.cli("status").stderr)

    # ---- the device key in the keyring: the worker with the vault locked ----------

    def cli_locked(self, *args):
        """The CLI with the vault left locked: no passphrase, nothing on stdin."""
        return subprocess.run([CLI, *args, "--vault", self.vault, "--locked"],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=120, check=False)

    def watch_locked(self):
        result = self.cli_locked("watch", "--once", "--wait", "0", "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        return [e for line in result.stdout.splitlines() for e in json.loads(line)["events"]]

    def vault_id_hash(self):
        with sqlite3.connect("file:%s?mode=ro" % self.vault, uri=True) as db:
            (vault_id,) = db.execute("SELECT vault_id FROM vault").fetchone()
        return hashlib.sha256(vault_id).hexdigest()

    def locked_rows(self):
        with sqlite3.connect("file:%s?mode=ro" % self.vault, uri=True) as db:
            return sorted(name for (name,) in db.execute("SELECT name FROM locked_rows"))

    def sealed_rows(self):
        """The locked rows but the unlock limit's, which are plain and kept with or without a keyring."""
        return [name for name in self.locked_rows()
                if name not in ("enterprise.unlock_policy", "enterprise.failed_unlocks")]

    def device_kek_items(self):
        """This vault's device key items as secret-tool shows them: {field: value} each."""
        out = subprocess.run(["secret-tool", "search", "--all",
                              "xdg:schema", "org.entsec.EnterpriseSecurity.DeviceKey",
                              "vault", self.vault_id_hash()],
                             capture_output=True, timeout=30, check=False)
        items = []
        # The secret is binary: only the other lines are read as text.
        for line in (out.stdout + out.stderr).decode(errors="replace").splitlines():
            if line.startswith("[/"):
                items.append({})
            elif " = " in line and items:
                key, value = line.split(" = ", 1)
                items[-1][key] = value
        return items

    def test_device_key_sealed_under_a_keyring_key(self):
        self.assertEqual(self.cli_json("status")["device_key"], "keyring")
        self.assertIn("Device key:        sealed under its own key in the keyring",
                      self.cli("status").stdout)
        self.assertIn("enterprise.device", self.locked_rows())
        items = self.device_kek_items()
        self.assertEqual(len(items), 1, items)
        item = items[0]
        # Named without a secret: a fixed label, the vault id's hash.
        self.assertEqual(item["label"], "Enterprise Security device key protection")
        self.assertEqual(item["attribute.vault"], self.vault_id_hash())
        self.assertEqual(sorted(k for k in item if k.startswith("attribute.")),
                         ["attribute.vault"])
        self.assertNotIn(self.device_id, json.dumps(item))

    def test_worker_runs_with_the_vault_locked(self):
        tx = self.push()
        events = self.watch_locked()
        pushes = [e["approval"]["challenge_id"] for e in events if e["type"] == "push"]
        self.assertEqual(pushes, [tx["transaction_id"]], events)
        listed = json.loads(self.cli_locked("approvals", "--json").stdout)
        self.assertEqual([a["challenge_id"] for a in listed], [tx["transaction_id"]])
        # Approving needs the user: refused while the vault is locked, nothing sent.
        result = self.cli_locked("approve", tx["transaction_id"], "--number", str(tx["number"]))
        self.assertNotEqual(result.returncode, 0, result.stdout)
        self.assertIn("Approving a sign-in needs the vault unlocked", result.stderr)
        self.assertEqual(self.transaction(tx)["state"], "pending")
        cid = self.command("lock")
        done = [e for e in self.watch_locked() if e["type"] == "command"]
        self.assertEqual([(e["command_id"], e["command"]) for e in done], [(cid, "lock")])
        self.assertEqual([(c["id"], c["state"], c["result"]) for c in self.commands()],
                         [(cid, "acked", "done")])
        # Unlocked, the request is answered.
        result = self.cli("approve", tx["transaction_id"], "--number", str(tx["number"]))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.transaction(tx)["state"], "approved")

    def test_refresh_while_locked_syncs_at_the_next_unlock(self):
        self.admin("PUT", "/v1/admin/policies/tenant",
                   {"v": 1, "settings": {"tokens": {"allow_export": True}}}, want=204)
        cid = self.command("refresh_policy")
        events = self.watch_locked()
        done = [e for e in events if e["type"] == "command"]
        self.assertEqual([(e["command_id"], e["command"]) for e in done],
                         [(cid, "refresh_policy")])
        self.assertIn("fetched when it is unlocked", done[0]["detail"])
        self.assertEqual([(c["id"], c["state"]) for c in self.commands()], [(cid, "acked")])
        # The policy lives in the vault's data: not taken while it is locked.
        self.assertFalse(self.cli_json("policy")["allow_export"])
        self.watch()
        self.assertTrue(self.cli_json("policy")["allow_export"])

    def test_key_in_the_vault_moves_to_the_keyring_at_the_next_unlock(self):
        # A device enrolled with no keyring reachable (as before device KEKs existed).
        no_keyring = dict(os.environ, DBUS_SESSION_BUS_ADDRESS="unix:path=/nonexistent")
        self.vault = os.path.join(self.tmp, "vault2.db")
        self.assertEqual(self.cli("init", *FAST_KDF).returncode, 0)
        saved = os.environ.copy()
        try:
            os.environ.clear()
            os.environ.update(no_keyring)
            code, out, err = clienttest.enroll(CLI, self.vault, self.pass_file, self.data_dir,
                                               "--server", self.base, "--ca", self.ca,
                                               "--email", EMAIL)
            self.assertEqual(code, 0, out + err)
            self.assertEqual(self.cli_json("status")["device_key"], "vault")
            self.watch()
        finally:
            os.environ.clear()
            os.environ.update(saved)
        self.assertEqual(self.sealed_rows(), [])
        self.assertEqual(self.device_kek_items(), [])
        # The first unlock with the keyring moves the key and the cursor.
        self.assertEqual(self.cli_json("status")["device_key"], "keyring")
        self.assertEqual(self.sealed_rows(), ["enterprise.device", "enterprise.events_cursor",
                                              "enterprise.last_poll"])
        self.assertEqual(len(self.device_kek_items()), 1)
        tx = self.push()
        pushes = [e["approval"]["challenge_id"] for e in self.watch_locked() if e["type"] == "push"]
        self.assertEqual(pushes, [tx["transaction_id"]])

    # ---- a wipe that arrives while the vault is locked (a lost phone) -------------

    def managed_and_personal(self):
        """A personal account and a managed one; returns the managed token."""
        uri = "otpauth://totp/Personal:me?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Personal"
        subprocess.run([CLI, "add", "--vault", self.vault, "--uri", "-", "--no-keyring",
                        "--passphrase-file", self.pass_file], input=uri + "\n", check=True,
                       capture_output=True, text=True, timeout=60)
        token = self.admin("POST", "/v1/admin/tokens",
                           {"v": 1, "user": self.user_id, "type": "totp", "issuer": "Example",
                            "label": "ann"}, want=201)
        self.assertTrue(self.cli_json("sync")["added"])
        return token

    def canary_scan(self, *canaries):
        for path in (self.vault, self.vault + "-wal"):
            if os.path.exists(path):
                with open(path, "rb") as f:
                    data = f.read()
                for canary in canaries:
                    self.assertNotIn(canary.encode(), data, path)

    def test_wipe_while_locked_destroys_the_key_now_and_the_rest_at_unlock(self):
        token = self.managed_and_personal()
        cid = self.command("wipe")
        result = self.cli_locked("watch", "--once", "--wait", "0", "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        polls = [json.loads(line) for line in result.stdout.splitlines()]
        self.assertTrue(polls[-1]["wiped"] and polls[-1]["wipe_pending"], polls)
        done = [e for p in polls for e in p["events"] if e["type"] == "command"]
        self.assertIn("removed when it is next unlocked", done[0]["detail"])
        # What needs no data key is gone at once: the keyring's key, the sealed rows.
        self.assertEqual(self.device_kek_items(), [])
        self.assertEqual(self.locked_rows(), ["enterprise.remote_wipe"])
        # The server has the acknowledgement: credentials destroyed, the rest pending.
        self.assertEqual([(c["id"], c["state"], c["result"]) for c in self.commands()],
                         [(cid, "acked", "credentials_wiped")])
        # Locked, the status says so, with the date.
        result = self.cli_locked("status", "--json")
        self.assertEqual(result.returncode, 3, result.stderr)
        status = json.loads(result.stdout)
        self.assertEqual(status["state"], "wiped")
        self.assertEqual(status["remote_wipe"]["completed_at"], 0)
        self.assertIn("removed when the vault is next unlocked", status["message"])
        # The next unlock removes the managed account before any code is shown.
        result = self.cli("code", "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stderr, r"Your organisation wiped this device on \d{4}-\d\d-\d\d: "
                                        r"its enterprise accounts and settings were removed")
        names = [c["name"].split()[0] for c in json.loads(result.stdout)["codes"]]
        self.assertEqual(names, ["Personal"])
        self.assertEqual(self.cli("device").returncode, 3)
        self.canary_scan(self.device_id, token["id"])
        # Said once at the unlock that did it; the status keeps saying it.
        self.assertNotIn("wiped this device", self.cli("code").stderr)
        status = self.cli("status", "--json")
        self.assertGreater(json.loads(status.stdout)["remote_wipe"]["completed_at"], 0)

    def test_wrong_unlocks_wipe_the_enterprise_data(self):
        """app_unlock.after_max_attempts "wipe": the wrong unlock that reaches the limit
        wipes as a remote wipe does, in a process of its own; personal accounts stay."""
        self.admin("PUT", "/v1/admin/policies/tenant",
                   {"v": 1, "settings": {"app_unlock": {"max_attempts": 2,
                                                        "after_max_attempts": "wipe"}}},
                   want=204)
        token = self.managed_and_personal()
        self.assertIn("enterprise.unlock_policy", self.locked_rows())
        self.assertEqual(len(self.device_kek_items()), 1)
        wrong = os.path.join(self.tmp, "wrong-passphrase")
        with open(wrong, "w", encoding="utf-8") as f:
            f.write("not the passphrase\n")

        def code_with_the_wrong_passphrase():
            return subprocess.run([CLI, "code", "--vault", self.vault, "--no-keyring",
                                   "--passphrase-file", wrong],
                                  capture_output=True, text=True, timeout=120, check=False)

        first = code_with_the_wrong_passphrase()
        self.assertEqual(first.returncode, 4, first.stderr)
        self.assertEqual(self.locked_rows(), ["enterprise.device", "enterprise.failed_unlocks",
                                              "enterprise.unlock_policy"])
        second = code_with_the_wrong_passphrase()
        self.assertEqual(second.returncode, 4, second.stderr)
        self.assertIn("2 wrong unlocks in a row is your organisation's limit", second.stderr)
        # At once: the device key's row, its keyring key and the limit itself.
        self.assertEqual(self.device_kek_items(), [])
        self.assertEqual(self.locked_rows(), ["enterprise.remote_wipe"])
        status = json.loads(self.cli_locked("status", "--json").stdout)
        self.assertEqual((status["state"], status["remote_wipe"]["reason"]),
                         ("wiped", "failed_unlocks"))
        # The right passphrase: the rest goes before any code is shown.
        result = self.cli("code", "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stderr, r"Too many wrong unlocks on \d{4}-\d\d-\d\d: .* "
                                        r"enterprise accounts and settings were removed")
        names = [c["name"].split()[0] for c in json.loads(result.stdout)["codes"]]
        self.assertEqual(names, ["Personal"])
        self.canary_scan(self.device_id, token["id"])

    def test_wipe_cut_short_resumes_at_the_next_start(self):
        self.managed_and_personal()
        self.assertEqual(len(self.device_kek_items()), 1)
        # A run killed after its one transaction (the record written, the sealed rows
        # gone) and before the keyring's key was removed.
        record = struct.pack("<qqq", 1764547200, 1764547201, 0)
        with sqlite3.connect(self.vault) as db:
            db.execute("DELETE FROM locked_rows")
            db.execute("INSERT INTO locked_rows (name, data) VALUES (?, ?)",
                       ("enterprise.remote_wipe", record))
        result = self.cli_locked("watch", "--once", "--wait", "0")
        self.assertEqual(result.returncode, 3, result.stdout)
        self.assertIn("Your organisation wiped this device on 2025-12-01", result.stderr)
        self.assertEqual(self.device_kek_items(), [])
        # The vault busy at the unlock (another program writing): the wipe cannot be
        # done, so nothing is shown; once it can, it is done first.
        blocker = sqlite3.connect(self.vault, isolation_level=None)
        try:
            blocker.execute("BEGIN IMMEDIATE")
            result = self.cli("code", "--json")
            self.assertNotEqual(result.returncode, 0, result.stdout)
            self.assertNotIn("Personal", result.stdout)
            self.assertIn("cannot be removed now", result.stderr)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        result = self.cli("code", "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        names = [c["name"].split()[0] for c in json.loads(result.stdout)["codes"]]
        self.assertEqual(names, ["Personal"])
        self.assertIn("wiped this device on 2025-12-01", result.stderr)

    # ---- the login keyring locked, or reset ------------------------------------

    def enroll_again(self):
        code, out, err = clienttest.enroll(CLI, self.vault, self.pass_file, self.data_dir,
                                           "--server", self.base, "--ca", self.ca,
                                           "--email", EMAIL)
        self.assertEqual(code, 0, out + err)
        return err

    def test_last_contact_of_the_locked_worker_in_the_status(self):
        before = int(time.time())
        self.watch_locked()
        result = self.cli_locked("status", "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        status = json.loads(result.stdout)
        self.assertTrue(status["vault_locked"], status)
        self.assertGreaterEqual(status["last_contact"], before)
        self.assertEqual(status["device_key"], "keyring")
        text = self.cli_locked("status").stdout
        self.assertIn("The vault is locked: unlock it to see the policy", text)
        self.assertNotIn("Last contact:      never", text)
        # Unlocked, the status offers the later of the policy fetch and the poll.
        unlocked = self.cli_json("status", "--offline")
        self.assertFalse(unlocked["vault_locked"])
        self.assertGreaterEqual(unlocked["last_contact"], status["last_contact"])

    def test_enrolled_with_the_login_keyring_locked(self):
        self.vault = os.path.join(self.tmp, "vault2.db")
        self.assertEqual(self.cli("init", *FAST_KDF).returncode, 0)
        keyring = clienttest.Keyring()
        keyring.lock()
        try:
            self.enroll_again()
            # No key protection made in a locked collection (that would prompt).
            status = self.cli_json("status")
            self.assertEqual(status["device_key"], "vault")
            self.assertIn("the login keyring is locked", status["device_key_problem"])
            self.assertIn("Device key:        in the vault (the login keyring is locked",
                          self.cli("status").stdout)
            self.assertEqual(self.sealed_rows(), [])
            tx = self.push()
            self.assertEqual(self.received_push(tx)["challenge_id"], tx["transaction_id"])
        finally:
            keyring.unlock()
        # The first unlock with the keyring open moves the key there.
        self.assertEqual(self.cli_json("status")["device_key"], "keyring")
        self.assertEqual(len(self.device_kek_items()), 1)
        # Locked again: the sealed key is not replaced, and the error says why.
        keyring.lock()
        try:
            result = self.cli_locked("watch", "--once", "--wait", "0")
            self.assertNotEqual(result.returncode, 0, result.stdout)
            self.assertIn("not in the keyring (none is reachable, or it is locked)",
                          result.stderr)
            result = self.cli("status")
            self.assertEqual(result.returncode, 3, result.stdout)
            self.assertIn("the keyring holding this device's key protection is locked",
                          result.stderr)
        finally:
            keyring.unlock()
        self.assertEqual(len(self.device_kek_items()), 1)
        self.assertEqual(self.cli_json("status")["device_key"], "keyring")

    def test_login_keyring_reset_then_enrolled_again(self):
        token = self.managed_and_personal()
        old_device = self.device_id
        subprocess.run(["secret-tool", "clear", "xdg:schema",
                        "org.entsec.EnterpriseSecurity.DeviceKey", "vault", self.vault_id_hash()],
                       check=True, timeout=30)
        result = self.cli("status", "--json")
        self.assertEqual(result.returncode, 4, result.stderr)
        status = json.loads(result.stdout)
        self.assertEqual(status["state"], "key_lost")
        self.assertIn("lost with the login keyring", status["message"])
        self.assertIn("enroll this device again", self.cli("status").stderr)
        # No new key protection is made for rows it could never open.
        self.assertEqual(self.device_kek_items(), [])
        self.assertTrue(self.cli_json("device")["key_lost"])
        err = self.enroll_again()
        self.assertIn("the old device (%s) stays on the server" % old_device, err)
        device = self.cli_json("device")
        self.assertNotEqual(device["device_id"], old_device)
        self.assertFalse(device["key_lost"])
        self.assertEqual(self.cli_json("status")["device_key"], "keyring")
        names = [c["name"].split()[0] for c in self.cli_json("code")["codes"]]
        self.assertEqual(names, ["Personal"])
        self.canary_scan(old_device, token["id"])
        # The server keeps the old device for the administrator to revoke.
        devices = self.admin("GET", "/v1/admin/devices?user=" + self.user_id, want=200)
        self.assertIn(old_device, [d["id"] for d in devices["devices"]])
        # A working enrollment is not replaced.
        code, out, err = clienttest.enroll(CLI, self.vault, self.pass_file, self.data_dir,
                                           "--server", self.base, "--ca", self.ca,
                                           "--email", EMAIL)
        self.assertEqual(code, 3, out + err)
        self.assertIn("enrolled already", err)

    def test_unbind_removes_the_device_key_everywhere(self):
        self.assertEqual(len(self.device_kek_items()), 1)
        result = self.cli("unbind", "--yes")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.device_kek_items(), [])
        self.assertEqual(self.locked_rows(), [])
        result = self.cli_locked("watch", "--once", "--wait", "0")
        self.assertNotEqual(result.returncode, 0, result.stdout)


if __name__ == "__main__":
    servertest.main()
