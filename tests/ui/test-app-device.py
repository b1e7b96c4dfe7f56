#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-app-device.py: the app's device page, managed badge and export policy on a
vault enrolled with the real entsec-server.

The server runs over TLS on loopback (--dev, outbox sender) with the CA its
--init made; entsec-cli enrolls a vault by email, adds a personal account and
syncs the token the admin provisions. Then the widget test test-app-device
(C, on the real display of xvfb-session.sh) runs twice on that vault: with a
policy that allows export (the row's code is validated at the server's RP
API), and after the admin forbids export, typing in accounts and QR codes and
the CLI fetched that policy (the controls are insensitive with the reason, a
link is refused with it; the test then unbinds
from the device page, and the server must show the device unbound). A second
vault, enrolled at the app's default path under a policy that demands a
passphrase, is left with the keyring alone: the window asks for one before any
code, then Delete All Local Data on the device page unbinds it at the server. A
third, under a policy that demands a PIN, left with the keyring alone too: the
window asks for a passphrase, then a PIN of the policy's length, before any code.
argv[1] is entsec-server; ENTSEC_CLI the CLI, ENTSEC_DEVICE_TEST the widget test.
"""

import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "server"))
sys.path.insert(0, os.path.join(HERE, "..", "enterprise"))
import clienttest  # noqa: E402
import servertest  # noqa: E402
from servertest import ServerTestCase  # noqa: E402

CLI = os.environ["ENTSEC_CLI"]
WIDGET_TEST = os.environ["ENTSEC_DEVICE_TEST"]
EMAIL = "ann@example.com"
PERSONAL = "otpauth://totp/Personal:me?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Personal"


class DeviceTests(clienttest.VaultCli, ServerTestCase):
    def setUp(self):
        super().setUp()
        self.start("--dev")
        self.base = "https://localhost:%d" % self.server.port
        self.ca = os.path.join(self.data_dir, "ca.pem")
        self.user_id = self.admin("POST", "/v1/admin/users", {"email": EMAIL, "name": "Ann Lee"},
                                  want=201)["id"]
        self.pass_file = clienttest.pass_file(self.tmp)
        self.vault = self.vault_path()
        result = subprocess.run([CLI, "init", *clienttest.FAST_KDF, "--vault", self.vault,
                                 "--no-keyring", "--passphrase-file", self.pass_file],
                                capture_output=True, text=True, timeout=120, check=False)
        self.assertEqual(result.returncode, 0, result.stderr)
        code, out, err = clienttest.enroll(CLI, self.vault, self.pass_file, self.data_dir,
                                           "--server", self.base, "--ca", self.ca,
                                           "--email", EMAIL)
        self.assertEqual(code, 0, out + err)

    def vault_path(self):
        return os.path.join(self.tmp, "vault.db")

    def set_policy(self, settings):
        self.admin("PUT", "/v1/admin/policies/tenant", {"v": 1, "settings": settings}, want=204)

    def widget_test(self, phase, status):
        with open(self.pass_file, encoding="utf-8") as f:
            passphrase = f.read().strip()
        env = dict(os.environ, ENTSEC_TEST_PHASE=phase, ENTSEC_TEST_VAULT=self.vault,
                   ENTSEC_TEST_PASSPHRASE=passphrase, ENTSEC_TEST_DEVICE_ID=status["device_id"],
                   ENTSEC_TEST_TENANT=status["tenant"], ENTSEC_TEST_USER=status["user"],
                   ENTSEC_TEST_CODE_FILE=os.path.join(self.tmp, "code"))
        try:
            result = subprocess.run([WIDGET_TEST, "--verbose"], env=env, capture_output=True,
                                    text=True, timeout=120, check=False)
        except subprocess.TimeoutExpired as timeout:
            self.fail("test-app-device %s hung: %s%s" % (phase, timeout.stdout, timeout.stderr))
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def validate(self, token_id, code):
        rp = self.admin("POST", "/v1/admin/rps", {"v": 1, "name": "portal"}, want=201)
        status, _, body, _ = self.server.request("POST", "/v1/auth/validate",
                                                 {"v": 1, "token": token_id, "code": code},
                                                 token=rp["api_key"])
        return status, body

    def personal_and_managed(self):
        """A personal account, then a policy allowing export and a provisioned
        TOTP token, synced. Returns the token (with its secret) and the step
        whose code acknowledged it (the server takes that code once)."""
        added = subprocess.run([CLI, "add", "--uri", "-", "--vault", self.vault, "--no-keyring",
                                "--passphrase-file", self.pass_file], input=PERSONAL + "\n",
                               capture_output=True, text=True, timeout=120, check=False)
        self.assertEqual(added.returncode, 0, added.stderr)
        self.set_policy({"tokens": {"allow_export": True}})
        token = self.admin("POST", "/v1/admin/tokens",
                           {"v": 1, "user": self.user_id, "type": "totp", "issuer": "Example",
                            "label": "ann"}, want=201)
        acked_step = servertest.step()
        self.assertEqual(len(self.cli_json("sync")["added"]), 1)
        return token, acked_step

    def test_device_page_badge_export_and_unbind(self):
        token, _ = self.personal_and_managed()
        status = self.cli_json("status")
        device_id = status["device_id"]
        self.assertEqual(status["user"], "Ann Lee")

        self.widget_test("allowed", status)
        with open(os.path.join(self.tmp, "code"), encoding="ascii") as f:
            code = f.read().strip()
        self.assertRegex(code, r"^[0-9]{6}$")
        answer, body = self.validate(token["id"], code)
        self.assertEqual(answer, 200, body)

        self.set_policy({"tokens": {"allow_export": False, "allow_manual_add": False,
                                    "allow_qr_import": False}})
        self.assertTrue(self.cli_json("sync")["policy_changed"])
        self.assertFalse(self.cli_json("policy")["allow_export"])
        self.widget_test("forbidden", status)
        self.assertEqual(self.admin("GET", "/v1/admin/devices/" + device_id,
                                    want=200)["state"], "unbound")
        names = [c["name"].split()[0] for c in self.cli_json("code")["codes"]]
        self.assertEqual(names, ["Personal"])

    def enroll_default_vault(self, email, name):
        """A vault at the app's default path (removed after the test, whatever
        happens), enrolled as another user: the server limits how often one
        address enrolls. Returns the CLI's status."""
        self.vault = os.path.join(os.environ["XDG_DATA_HOME"], "entsec", "default.db")
        os.makedirs(os.path.dirname(self.vault), exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            self.addCleanup(lambda path: os.path.exists(path) and os.remove(path),
                            self.vault + suffix)
        result = subprocess.run([CLI, "init", *clienttest.FAST_KDF, "--vault", self.vault,
                                 "--no-keyring", "--passphrase-file", self.pass_file],
                                capture_output=True, text=True, timeout=120, check=False)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.admin("POST", "/v1/admin/users", {"email": email, "name": name}, want=201)
        code, out, err = clienttest.enroll(CLI, self.vault, self.pass_file, self.data_dir,
                                           "--server", self.base, "--ca", self.ca,
                                           "--email", email)
        self.assertEqual(code, 0, out + err)
        return self.cli_json("status")

    def test_required_passphrase_then_delete_all_data(self):
        self.set_policy({"app_unlock": {"required": "passphrase", "min_length": 14}})
        status = self.enroll_default_vault("bob@example.com", "Bob Roe")
        self.assertEqual(status["user"], "Bob Roe")
        os.environ["ENTSEC_TEST_MIN_LENGTH"] = "14"
        self.widget_test("passphrase", status)
        self.assertFalse(os.path.exists(self.vault))
        self.assertEqual(self.admin("GET", "/v1/admin/devices/" + status["device_id"],
                                    want=200)["state"], "unbound")

    def test_required_pin(self):
        self.set_policy({"app_unlock": {"required": "pin", "min_length": 6}})
        status = self.enroll_default_vault("cat@example.com", "Cat Poe")
        os.environ["ENTSEC_TEST_MIN_LENGTH"] = "6"
        self.widget_test("pin", status)


if __name__ == "__main__":
    servertest.main()
