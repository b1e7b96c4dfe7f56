#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-client-heartbeat.py: entsec-cli heartbeat and the events worker's heartbeat against
the real entsec-server over TLS on loopback (--dev, outbox sender), with fake devices.

The vault enrolls as the laptop of tests/data/sysfs (its claims read under that tree);
a heartbeat from the same tree matches, one from the phone's tree does not, and the
policy's binding.on_mismatch decides what follows: warn (reported, nothing else),
lock (the device suspended, the vault locked), wipe (the enterprise data removed).
argv[1] is entsec-server; ENTSEC_CLI is the CLI.
"""

import json
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))
import clienttest  # noqa: E402
import servertest  # noqa: E402
from servertest import ServerTestCase  # noqa: E402

CLI = os.environ["ENTSEC_CLI"]
FAST_KDF = clienttest.FAST_KDF
EMAIL = "ann@example.com"
DEVICES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "sysfs")
LAPTOP = os.path.join(DEVICES, "laptop")
PHONE = os.path.join(DEVICES, "phone")


class HeartbeatTests(clienttest.VaultCli, ServerTestCase):
    def setUp(self):
        super().setUp()
        env = dict(os.environ, ENTSEC_SERVER_ENROLL_RESEND_AFTER="0")
        self.server = self.start("--dev", env=env)
        self.base = "https://localhost:%d" % self.server.port
        self.ca = os.path.join(self.data_dir, "ca.pem")
        self.admin("POST", "/v1/admin/users", {"email": EMAIL}, want=201)
        # Registration sends the groups of the user's binding.collect.
        self.set_binding(collect=["machine_fp", "dmi"])
        self.pass_file = clienttest.pass_file(self.tmp)
        self.vault = os.path.join(self.tmp, "vault.db")
        result = self.cli("init", *FAST_KDF)
        self.assertEqual(result.returncode, 0, result.stderr)
        code, out, err = clienttest.enroll(CLI, self.vault, self.pass_file, self.data_dir,
                                           "--server", self.base, "--ca", self.ca,
                                           "--email", EMAIL, "--device-root", LAPTOP)
        self.assertEqual(code, 0, out + err)
        self.device_id = self.cli_json("device")["device_id"]

    def set_binding(self, **binding):
        self.admin("PUT", "/v1/admin/policies/tenant", {"v": 1, "settings": {"binding": binding}},
                   want=204)

    def heartbeat(self, root):
        return self.cli_json("heartbeat", "--device-root", root)

    def mismatches(self):
        device = self.admin("GET", "/v1/admin/devices/" + self.device_id, want=200)
        return device["mismatches"], device["state"]

    def test_same_device_matches(self):
        beat = self.heartbeat(LAPTOP)
        self.assertEqual((beat["binding"], beat["action"]), ("ok", "none"), beat)
        self.assertEqual(beat["drifted"], [])
        self.assertFalse(beat["locked"] or beat["wiped"])
        self.assertEqual(beat["interval"], 3600)
        self.assertEqual(self.mismatches(), (0, "active"))

    def test_warn_reports_what_changed(self):
        beat = self.heartbeat(PHONE)
        self.assertEqual((beat["binding"], beat["action"]), ("mismatch", "warn"), beat)
        self.assertIn("machine_fp", beat["drifted"])
        self.assertIn("dmi.product_name", beat["drifted"])
        self.assertFalse(beat["locked"] or beat["wiped"])
        self.assertEqual(self.mismatches(), (1, "active"))
        # Nothing else changed: the next heartbeat from the laptop matches again.
        self.assertEqual(self.heartbeat(LAPTOP)["binding"], "ok")
        result = self.cli("heartbeat", "--device-root", PHONE)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Changed since registration: machine_fp", result.stdout)

    def test_lock_suspends_and_locks(self):
        self.set_binding(on_mismatch="lock")
        beat = self.heartbeat(PHONE)
        self.assertEqual((beat["binding"], beat["action"]), ("mismatch", "lock"), beat)
        self.assertTrue(beat["locked"], beat)
        self.assertTrue(beat["policy_changed"], beat)
        self.assertFalse(beat["wiped"])
        self.assertEqual(self.mismatches(), (1, "suspended"))
        # The new policy (suspended) was stored before the vault locked.
        self.assertEqual(self.cli_json("device")["state"], "suspended")

    def test_wipe_removes_the_enterprise_data(self):
        self.set_binding(on_mismatch="wipe")
        beat = self.heartbeat(PHONE)
        self.assertEqual((beat["binding"], beat["action"]), ("mismatch", "wipe"), beat)
        self.assertTrue(beat["wiped"], beat)
        self.assertEqual(self.cli("device").returncode, 3)
        with open(self.vault, "rb") as f:
            self.assertNotIn(self.device_id.encode(), f.read())

    def test_worker_heartbeat_on_start_carries_out_lock(self):
        self.set_binding(on_mismatch="lock")
        # Without --once the worker runs until the lock stops it: no sleeping here.
        result = self.cli("watch", "--json", "--wait", "1", "--device-root", PHONE)
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        self.assertEqual(len(lines), 1, lines)
        beat = lines[0]["heartbeat"]
        self.assertEqual((beat["binding"], beat["action"], beat["locked"]),
                         ("mismatch", "lock", True), beat)
        self.assertEqual(self.mismatches(), (1, "suspended"))

    def test_worker_heartbeat_every_interval_of_its_clock(self):
        clock = os.path.join(self.tmp, "clock")
        start = 1_800_000_000
        with open(clock, "w", encoding="utf-8") as f:
            f.write(str(start))
        proc = subprocess.Popen([CLI, "watch", "--json", "--wait", "0", "--vault", self.vault,
                                 "--no-keyring", "--passphrase-file", self.pass_file,
                                 "--device-root", LAPTOP, "--clock-file", clock],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            def next_line():
                line = proc.stdout.readline()
                self.assertTrue(line, proc.stderr.read() if proc.poll() is not None else "")
                return json.loads(line)
            self.assertEqual(next_line()["heartbeat"]["binding"], "ok")
            # sync.heartbeat (3600 s) has not passed on the worker's clock: polls only.
            for _ in range(3):
                self.assertIn("events", next_line())
            with open(clock, "w", encoding="utf-8") as f:
                f.write(str(start + 3600))
            line = next_line()
            while "heartbeat" not in line:
                line = next_line()
            self.assertEqual(line["heartbeat"]["binding"], "ok")
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=60)
            self.assertEqual(proc.returncode, 0)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()


if __name__ == "__main__":
    servertest.main()
