#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-client-enroll.py: entsec-cli enroll and device against the real entsec-server.

The server runs over TLS on loopback with --dev and the outbox sender; the
admin adds a user through the admin API; the CLI enrolls a fresh vault by
email, reading the code the outbox received, and the server then lists the
device as active. argv[1] is entsec-server; ENTSEC_CLI is the CLI.
"""

import json
import os
import re
import subprocess
import sys
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))
import clienttest  # noqa: E402
import servertest  # noqa: E402
from servertest import ServerTestCase, spki_pin  # noqa: E402

CLI = os.environ["ENTSEC_CLI"]
FAST_KDF = clienttest.FAST_KDF
EMAIL = "ann@example.com"


class EnrollTests(ServerTestCase):
    def setUp(self):
        super().setUp()
        env = dict(os.environ, ENTSEC_SERVER_ENROLL_RESEND_AFTER="0")
        self.server = self.start("--dev", env=env)
        self.base = "https://localhost:%d" % self.server.port
        self.ca = os.path.join(self.data_dir, "ca.pem")
        status, _, body, _ = self.server.request("POST", "/v1/admin/users", token=self.token,
                                                 body={"email": EMAIL})
        self.assertEqual(status, 201, body)
        self.user_id = body["id"]
        self.jkt = re.search(r"authority key thumbprint: (\S+)", self.init.stdout).group(1)
        self.pass_file = clienttest.pass_file(self.tmp)
        self.vaults = 0

    def new_vault(self):
        self.vaults += 1
        vault = os.path.join(self.tmp, "vault%d.db" % self.vaults)
        result = self.cli("init", "--vault", vault, *FAST_KDF)
        self.assertEqual(result.returncode, 0, result.stderr)
        return vault

    def cli(self, *args, stdin=None):
        return subprocess.run([CLI, *args, "--no-keyring", "--passphrase-file", self.pass_file],
                              input=stdin, capture_output=True, text=True, timeout=120,
                              check=False)

    def outbox_codes(self):
        return clienttest.outbox_codes(self.data_dir)

    def enroll(self, vault, *args, code_of=None):
        return clienttest.enroll(CLI, vault, self.pass_file, self.data_dir, *args,
                                 code_of=code_of)

    def device_json(self, vault):
        result = self.cli("device", "--vault", vault, "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(result.stdout)

    def admin_devices(self):
        status, _, body, _ = self.server.request("GET", "/v1/admin/devices?user=" + self.user_id,
                                                 token=self.token)
        self.assertEqual(status, 200, body)
        return body["devices"]

    def test_enroll_by_email_with_the_ca(self):
        vault = self.new_vault()
        code, out, err = self.enroll(vault, "--server", self.base, "--ca", self.ca,
                                     "--email", EMAIL)
        self.assertEqual(code, 0, err)
        device = self.device_json(vault)
        self.assertIn("Enrolled: device %s at %s" % (device["device_id"], self.base), out)
        self.assertEqual(device["server"], self.base)
        self.assertEqual(device["authority_jkt"], self.jkt)
        self.assertEqual(device["authority_trust"], "tofu")
        self.assertEqual(device["state"], "active")
        self.assertGreaterEqual(device["policy_version"], 1)
        listed = {d["id"]: d for d in self.admin_devices()}
        self.assertEqual(listed[device["device_id"]]["state"], "active")
        # No code in what the CLI printed.
        self.assertNotIn(self.outbox_codes()[-1], out + err)
        # No keyring here: the device key stays in the vault's data, and status says what
        # that means; the events commands cannot run with the vault locked.
        result = self.cli("status", "--vault", vault, "--offline", "--json")
        self.assertEqual(json.loads(result.stdout)["device_key"], "vault", result.stderr)
        self.assertIn("only while the vault is unlocked",
                      self.cli("status", "--vault", vault, "--offline").stdout)
        result = subprocess.run([CLI, "watch", "--once", "--vault", vault, "--locked"],
                                stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=120, check=False)
        self.assertNotEqual(result.returncode, 0, result.stdout)
        self.assertIn("this device's key is not in the keyring", result.stderr)
        # A second enrollment of the same vault is refused before any network call.
        code, _, err = self.enroll(vault, "--server", self.base, "--ca", self.ca, "--email", EMAIL)
        self.assertEqual(code, 3, err)
        self.assertIn("enrolled already", err)

    def test_wrong_code_refused(self):
        vault = self.new_vault()
        code, out, err = self.enroll(vault, "--server", self.base, "--ca", self.ca,
                                     "--email", EMAIL,
                                     code_of=lambda c: "%06d" % ((int(c) + 1) % 1000000))
        self.assertEqual(code, 4, err)
        self.assertIn("check the code", err)
        result = self.cli("device", "--vault", vault)
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertIn("not enrolled", result.stderr)
        self.assertEqual(self.admin_devices(), [])

    def link(self, jkt=None):
        quote = lambda v: urllib.parse.quote(v, safe="")  # noqa: E731
        return ("entsec://enroll?server=%s&tenant=default&jkt=%s&pin=%s&address=%s" % (
            quote(self.base), quote(jkt or self.jkt),
            quote(spki_pin(os.path.join(self.data_dir, "server.pem"))), quote(EMAIL)))

    def test_enroll_by_link_without_a_ca(self):
        vault = self.new_vault()
        code, _, err = self.enroll(vault, "--link", self.link())
        self.assertEqual(code, 0, err)
        device = self.device_json(vault)
        self.assertEqual(device["authority_trust"], "pinned")
        self.assertEqual(device["authority_jkt"], self.jkt)

    def test_link_with_another_authority_refused(self):
        vault = self.new_vault()
        other = "A" * 43
        code, _, err = self.enroll(vault, "--link", self.link(jkt=other))
        self.assertEqual(code, 4, err)
        self.assertIn("not the one of your activation link", err)
        self.assertEqual(self.outbox_codes(), [])

    def test_link_made_before_a_rotation_still_enrolls(self):
        link = self.link()
        status, _, first, _ = self.server.request("POST", "/v1/admin/authority/rotate",
                                                  token=self.token, body={"v": 1})
        self.assertEqual(status, 201, first)
        status, _, second, _ = self.server.request("POST", "/v1/admin/authority/rotate",
                                                   token=self.token, body={"v": 1})
        self.assertEqual(status, 201, second)
        vault = self.new_vault()
        code, _, err = self.enroll(vault, "--link", link)
        self.assertEqual(code, 0, err)
        device = self.device_json(vault)
        self.assertEqual(device["authority_trust"], "pinned")
        self.assertEqual(device["authority_jkt"], second["jkt"])
        # A link to an unknown key is still refused once the chain exists.
        code, _, err = self.enroll(self.new_vault(), "--link", self.link(jkt="A" * 43))
        self.assertEqual(code, 4, err)
        self.assertIn("nor one its rotation chain leads to", err)

    def test_untrusted_server_without_ca(self):
        vault = self.new_vault()
        code, _, err = self.enroll(vault, "--server", self.base, "--email", EMAIL)
        self.assertEqual(code, 4, err)
        self.assertIn("not trusted", err)

    def test_bad_link_refused(self):
        vault = self.new_vault()
        code, _, err = self.enroll(vault, "--link", "entsec://enroll?server=x")
        self.assertEqual(code, 3, err)
        self.assertIn("no \"tenant\"", err)


# EntsecNetError codes (include/entsec/entsec-enterprise.h) the probe reports.
RATE_LIMITED = 14
INVALID_CODE = 15


class EnrollerStateTests(ServerTestCase):
    """What the app's assistant shows, from the enroller against the server's
    default resend_after (60 s): waits, attempts left, a saved enrollment."""

    link = EnrollTests.link
    outbox_codes = EnrollTests.outbox_codes

    def setUp(self):
        super().setUp()
        self.server = self.start("--dev")
        self.base = "https://localhost:%d" % self.server.port
        status, _, body, _ = self.server.request("POST", "/v1/admin/users", token=self.token,
                                                 body={"email": EMAIL})
        self.assertEqual(status, 201, body)
        self.jkt = re.search(r"authority key thumbprint: (\S+)", self.init.stdout).group(1)

    def test_waits_attempts_and_a_restored_enrollment(self):
        probe = subprocess.Popen([os.environ["ENTSEC_ENROLL_PROBE"], self.link()],
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

        def ask(command=None):
            if command is not None:
                probe.stdin.write(command + "\n")
                probe.stdin.flush()
            return json.loads(probe.stdout.readline())

        try:
            started = ask()
            self.assertTrue(started["ok"], started)
            self.assertEqual(started["masked"], "a***@example.com")
            self.assertEqual(started["attempts_left"], 5)
            self.assertTrue(0 < started["resend_in"] <= 60, started)
            self.assertTrue(started["resend_in"] < started["expires_in"], started)
            # At once again: the server's 429 and its Retry-After.
            again = ask("start")
            self.assertEqual((again["ok"], again["code"]), (False, RATE_LIMITED), again)
            self.assertTrue(0 < again["retry_after"] <= 60, again)
            code = self.outbox_codes()[-1]
            wrong = ask("verify %06d" % ((int(code) + 1) % 1000000))
            self.assertEqual((wrong["ok"], wrong["code"]), (False, INVALID_CODE), wrong)
            self.assertEqual(wrong["attempts_left"], 4)
            # Kept and restored (as across an app restart): the same enrollment.
            restored = ask("restore")
            self.assertTrue(restored["ok"], restored)
            self.assertEqual((restored["attempts_left"], restored["masked"]),
                             (4, "a***@example.com"))
            self.assertEqual(restored["retry_after"], -1)
            right = ask("verify " + code)
            self.assertTrue(right["ok"], right)
            self.assertGreaterEqual(right["shared"], 0)
        finally:
            probe.stdin.close()
            self.assertEqual(probe.wait(timeout=60), 0)
            probe.stdout.close()


if __name__ == "__main__":
    servertest.main()
