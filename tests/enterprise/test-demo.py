#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-demo.py DEMO_SCRIPT BUILD_DIR: the README's "Try the whole system on
one machine", with entsec-cli in the app's place.

tools/demo-server --no-app (what `tools/run --with-server` runs once it has
built) starts entsec-server on loopback with the demo organization and user;
its activation QR code is read with libentsec's decoder (qr-probe) and must
hold the link it printed; a fresh vault enrolls with `entsec-cli enroll
--link`, typing the code the demo printed from its outbox; the push command
line it printed (by the user's name, with a context) starts a sign-in
request, which the vault receives with that context and `entsec-cli approve`
approves with the number; `push status` through the env file it wrote says
approved. Stopping the demo stops the server and removes its state, and the
keyring items of the demo's app vault (in the real gnome-keyring of
tests/keyring-session.sh), not those of another vault. ENTSEC_CLI and
ENTSEC_QR_PROBE name the programs.
"""

import hashlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))
import clienttest  # noqa: E402
import demotest  # noqa: E402

DEMO = BUILD_DIR = None  # set from argv
CLI = os.environ["ENTSEC_CLI"]
QR_PROBE = os.environ["ENTSEC_QR_PROBE"]


class DemoTests(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="entsec-demo-test-")
        self.demo = demotest.Demo(DEMO, BUILD_DIR)
        self.pass_file = clienttest.pass_file(self.tmp)
        self.vault = os.path.join(self.tmp, "vault.db")

    def tearDown(self):
        self.demo.stop()
        shutil.rmtree(self.tmp)

    def cli(self, *args):
        return subprocess.run([CLI, *args, "--vault", self.vault, "--no-keyring",
                               "--passphrase-file", self.pass_file],
                              capture_output=True, text=True, timeout=120, check=False)

    def printed_code(self, outbox_code):
        """The code the demo printed from its outbox (the one the server wrote)."""
        printed = self.demo.code("email")
        self.codes = (printed, outbox_code)
        return printed

    def test_walkthrough_enroll_then_approve_a_push(self):
        # The activation QR code holds the printed link.
        decoded = subprocess.run([QR_PROBE, self.demo.qr], capture_output=True, text=True,
                                 timeout=60, check=False)
        self.assertEqual(decoded.returncode, 0, decoded.stderr)
        self.assertEqual(decoded.stdout.splitlines(), [self.demo.link])
        self.assertIn("tenant=demo&", self.demo.link)

        # Enroll a fresh vault with it, typing the code the demo printed.
        result = self.cli("init", *clienttest.FAST_KDF)
        self.assertEqual(result.returncode, 0, result.stderr)
        # A picture without an activation code is refused and says why.
        other = os.path.join(os.environ["ENTSEC_SOURCE_DIR"], "tests", "data", "qr", "formats")
        pictures = [os.path.join(other, f) for f in sorted(os.listdir(other))
                    if f.endswith(".png")]
        self.assertTrue(pictures)
        refused = self.cli("enroll", "--image", pictures[0], "--code-file", "/dev/null")
        self.assertEqual(refused.returncode, 3, refused.stdout + refused.stderr)
        self.assertIn("holds no activation code", refused.stderr)
        # `enroll --image` reads the link from the activation QR code itself.
        code, out, err = clienttest.enroll(CLI, self.vault, self.pass_file,
                                           os.path.join(self.demo.state, "server"),
                                           "--image", self.demo.qr,
                                           code_of=self.printed_code)
        self.assertEqual(code, 0, out + err)
        self.assertEqual(self.codes[0], self.codes[1])
        device = json.loads(self.cli("device", "--json").stdout)
        self.assertEqual(device["server"], "https://localhost:%d" % self.demo.port)

        # The printed push line starts a sign-in request for the demo user.
        tx, number = self.demo.push()

        # The device receives it and approves it with the number.
        result = self.cli("watch", "--once", "--wait", "0")
        self.assertEqual(result.returncode, 0, result.stderr)
        listed = json.loads(self.cli("approvals", "--json").stdout)
        self.assertEqual([a["challenge_id"] for a in listed], [tx])
        # The context the printed line gave: what the app shows besides the time.
        self.assertEqual(listed[0]["context"], {
            "app": "Demo portal", "ip": "192.0.2.10", "browser": "Firefox on Linux",
            "location": "Berlin, Germany"})
        result = self.cli("approve", tx, "--number", number)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("approved", result.stdout)

        # The server says so, asked through the env file the demo wrote.
        status = subprocess.run(["bash", "-c", 'source "$0" && entsec-admin push status "$1"',
                                 self.demo.env_file, tx],
                                capture_output=True, text=True, timeout=60, check=False)
        self.assertEqual(status.returncode, 0, status.stderr)
        self.assertIn("state: approved", status.stdout)

    def test_stopping_the_demo_stops_the_server_and_removes_its_state(self):
        self.assertTrue(os.path.isfile(os.path.join(self.demo.state, "server", "ca.pem")))
        socket.create_connection(("127.0.0.1", self.demo.port), demotest.TIMEOUT).close()
        status, err = self.demo.stop()
        self.assertEqual(status, 128 + signal.SIGTERM, err)
        self.assertFalse(os.path.exists(self.demo.state))
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", self.demo.port), demotest.TIMEOUT)


    def keyring_items(self, **attributes):
        """The keyring items with @attributes (their attribute lines)."""
        argv = ["secret-tool", "search", "--all"]
        for name, value in attributes.items():
            argv += [name, value]
        found = subprocess.run(argv, capture_output=True, timeout=60, check=False)
        # Secrets are printed too, some binary: only the attribute lines count.
        return [line for line in (found.stdout + found.stderr).decode(
            "utf-8", errors="replace").splitlines() if line.startswith("attribute.")]

    def init_with_keyring(self, vault):
        made = subprocess.run([CLI, "init", "--vault", vault, "--passphrase-file",
                               self.pass_file, *clienttest.FAST_KDF], capture_output=True,
                              text=True, timeout=120, check=False)
        self.assertEqual(made.returncode, 0, made.stderr)

    @staticmethod
    def keyring_name(vault):
        """The "vault" attribute of a vault's keyring items: SHA-256 of its id."""
        with sqlite3.connect("file:%s?mode=ro" % vault, uri=True) as db:
            return hashlib.sha256(db.execute("SELECT vault_id FROM vault").fetchone()[0]
                                  ).hexdigest()

    def test_stopping_the_demo_forgets_its_vaults_keyring_items(self):
        # Another vault of the same user, with its keyring slot: left alone.
        self.init_with_keyring(self.vault)
        # The demo app's vault (where the app would make it), enrolled with
        # the keyring as the app does.
        app_vault = os.path.join(self.demo.state, "data", "entsec", "default.db")
        os.makedirs(os.path.dirname(app_vault))
        self.init_with_keyring(app_vault)
        code, out, err = clienttest.enroll(CLI, app_vault, self.pass_file,
                                           os.path.join(self.demo.state, "server"),
                                           "--link", self.demo.link, keyring=True,
                                           code_of=self.printed_code)
        self.assertEqual(code, 0, out + err)
        demo_name = self.keyring_name(app_vault)
        demo_items = self.keyring_items(vault=demo_name)
        own_items = self.keyring_items(vault=self.keyring_name(self.vault))
        # The policy's high-water mark, named by the hash of issuer and device
        # (kept once the device has received a policy of version 1 or later).
        policy_file = os.path.join(self.tmp, "policy.json")
        with open(policy_file, "w", encoding="utf-8") as f:
            json.dump({"settings": {}}, f)
        subprocess.run(["bash", "-c", 'source "$0" && entsec-admin policies set tenant --file "$1"',
                        self.demo.env_file, policy_file], capture_output=True, text=True,
                       timeout=60, check=True)
        subprocess.run([CLI, "watch", "--once", "--wait", "0", "--vault", app_vault,
                        "--passphrase-file", self.pass_file], capture_output=True, text=True,
                       timeout=120, check=True)
        policy = {"xdg:schema": "org.entsec.EnterpriseSecurity.PolicyVersion"}
        device = json.loads(subprocess.run(
            [CLI, "device", "--json", "--vault", app_vault, "--passphrase-file", self.pass_file],
            capture_output=True, text=True, timeout=120, check=True).stdout)["device_id"]
        # Named by the vault too, whose wipe after wrong unlocks removes it.
        self.assertEqual(sorted(self.keyring_items(**policy)), [
            "attribute.device = " + hashlib.sha256(
                ("https://localhost:%d\n%s" % (self.demo.port, device)).encode()).hexdigest(),
            "attribute.vault = " + demo_name])
        self.assertTrue(demo_items)
        self.assertTrue(own_items)

        status, err = self.demo.stop()
        self.assertEqual(status, 128 + signal.SIGTERM, err)
        self.assertEqual(self.keyring_items(vault=self.keyring_name(self.vault)), own_items)
        self.assertFalse(os.path.exists(self.demo.state))
        # The demo's items are gone (its vault went with the state directory).
        self.assertEqual(self.keyring_items(vault=demo_name), [])
        self.assertEqual(self.keyring_items(**policy), [])


class RunHelpTests(unittest.TestCase):
    def test_run_help_lists_the_demo(self):
        run = os.path.join(os.environ["ENTSEC_SOURCE_DIR"], "tools", "run")
        result = subprocess.run([run, "--help"], capture_output=True, text=True, timeout=60,
                                check=False)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("tools/run --with-server", result.stdout)


if __name__ == "__main__":
    DEMO = os.path.abspath(sys.argv.pop(1))
    BUILD_DIR = os.path.abspath(sys.argv.pop(1))
    unittest.main(verbosity=2)
