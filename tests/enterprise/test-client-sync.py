#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-client-sync.py: entsec-cli sync, policy and export against the real entsec-server.

The server runs over TLS on loopback (--dev, outbox sender); the client
reaches it through a small TLS proxy on loopback that holds the server's own
certificate and forwards every request unchanged, so the requests stay
signed end to end. Only where a test asks for it does the proxy hand the
client a forged policy in place of the server's: signed with the server's
authority key (rolled back, another device, expired, the same version with
other contents) or with another key, or altered after signing. A real
gnome-keyring (tests/keyring-session.sh) keeps the policy's high-water mark.
argv[1] is entsec-server; ENTSEC_CLI is the CLI.
"""

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))
import clienttest  # noqa: E402
import servertest  # noqa: E402
from devicetest import jwk_of, thumbprint  # noqa: E402
from servertest import ServerTestCase  # noqa: E402

CLI = os.environ["ENTSEC_CLI"]
FAST_KDF = clienttest.FAST_KDF
EMAIL = "ann@example.com"
SCHEMA = "org.entsec.EnterpriseSecurity.PolicyVersion"


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jws_payload(jws):
    return json.loads(unb64url(jws.split(".")[1]))


def sign_jws(key, payload, typ="entsec-policy+jwt", kid=None):
    """Compact ES256 JWS (r || s), as the protocol's signer makes it."""
    protected = {"alg": "ES256", "typ": typ}
    if kid is not None:
        protected["kid"] = kid
    header = b64url(json.dumps(protected, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    der = key.sign((header + "." + body).encode(), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    return header + "." + body + "." + b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


class SyncTests(ServerTestCase):
    def setUp(self):
        super().setUp()
        self.proxy = clienttest.Proxy(self.data_dir)
        self.base = "https://localhost:%d" % self.proxy.port
        env = dict(os.environ, ENTSEC_SERVER_ENROLL_RESEND_AFTER="0",
                   ENTSEC_SERVER_ISSUER=self.base)
        self.proxy.upstream = self.start("--dev", env=env)
        self.ca = os.path.join(self.data_dir, "ca.pem")
        status, _, body, _ = self.server.request("POST", "/v1/admin/users", token=self.token,
                                                 body={"email": EMAIL})
        self.assertEqual(status, 201, body)
        self.user_id = body["id"]
        with open(os.path.join(self.data_dir, "authority-key.pem"), "rb") as f:
            self.authority = serialization.load_pem_private_key(f.read(), None)
        self.pass_file = clienttest.pass_file(self.tmp)
        self.vault = os.path.join(self.tmp, "vault.db")
        result = self.cli("init", "--vault", self.vault, *FAST_KDF)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.enroll()
        self.device_id = self.cli_json("device")["device_id"]

    def tearDown(self):
        self.proxy.stop()
        super().tearDown()

    def cli(self, *args, stdin=None):
        return subprocess.run([CLI, *args, "--no-keyring", "--passphrase-file", self.pass_file],
                              input=stdin, capture_output=True, text=True, timeout=120,
                              check=False)

    def cli_json(self, *args):
        result = self.cli(*args, "--vault", self.vault, "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(result.stdout)

    def enroll(self):
        code, out, err = clienttest.enroll(CLI, self.vault, self.pass_file, self.data_dir,
                                           "--server", self.base, "--ca", self.ca,
                                           "--email", EMAIL)
        self.assertEqual(code, 0, out + err)

    def admin(self, method, path, body=None, want=None):
        status, _, answer, _ = self.server.request(method, path, token=self.token, body=body)
        if want is not None:
            self.assertEqual(status, want, answer)
        return answer

    def set_export(self, allowed):
        self.admin("PUT", "/v1/admin/policies/tenant",
                   {"v": 1, "settings": {"tokens": {"allow_export": allowed}}}, want=204)

    def sync(self, *args):
        return self.cli("sync", "--vault", self.vault, *args)

    def export(self):
        return self.cli("export", "--vault", self.vault, "--format", "uris")

    def add_personal(self):
        uri = "otpauth://totp/Personal:me?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Personal"
        result = self.cli("add", "--vault", self.vault, "--uri", "-", stdin=uri + "\n")
        self.assertEqual(result.returncode, 0, result.stderr)

    def keyring_items(self):
        """This device's policy-version items (their attribute: SHA-256 of server and id)."""
        device = hashlib.sha256((self.base + "\n" + self.device_id).encode()).hexdigest()
        out = subprocess.run(["gdbus", "call", "--session", "--dest", "org.freedesktop.secrets",
                              "--object-path", "/org/freedesktop/secrets", "--method",
                              "org.freedesktop.Secret.Service.SearchItems",
                              "{'xdg:schema': '%s', 'device': '%s'}" % (SCHEMA, device)],
                             capture_output=True, text=True, check=True, timeout=30).stdout
        return re.findall(r"/org/freedesktop/secrets/collection/\w+/\d+", out)

    def item_attributes(self, path):
        """The attributes of the keyring item at @path, as gdbus prints them."""
        return subprocess.run(["gdbus", "call", "--session", "--dest", "org.freedesktop.secrets",
                               "--object-path", path, "--method",
                               "org.freedesktop.DBus.Properties.Get",
                               "org.freedesktop.Secret.Item", "Attributes"],
                              capture_output=True, text=True, check=True, timeout=30).stdout

    # ---- policy and export --------------------------------------------------

    def test_policy_decides_export(self):
        first = self.cli_json("policy")
        self.assertFalse(first["allow_export"])  # the server's default
        result = self.export()
        self.assertEqual(result.returncode, 4, result.stderr)
        self.assertIn("does not allow exporting", result.stderr)

        self.set_export(True)
        result = self.sync()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("now in force", result.stdout)
        policy = self.cli_json("policy")
        self.assertGreater(policy["policy_version"], first["policy_version"])
        self.assertTrue(policy["settings"]["tokens"]["allow_export"])
        result = self.export()
        self.assertEqual(result.returncode, 0, result.stderr)

        self.set_export(False)
        result = self.sync()
        self.assertEqual(result.returncode, 0, result.stderr)
        result = self.export()
        self.assertEqual(result.returncode, 4, result.stderr)
        # Nothing new: the If-None-Match answer leaves the policy as it is.
        again = self.cli_json("sync")
        self.assertFalse(again["policy_changed"])
        self.assertEqual(again["policy_version"], self.cli_json("policy")["policy_version"])
        items = self.keyring_items()
        self.assertEqual(len(items), 1)
        # The vault's id hash too: the vault's own wipe (wrong unlocks) finds it by that.
        self.assertRegex(self.item_attributes(items[0]), r"'vault': '[0-9a-f]{64}'")

    # ---- forged policies ----------------------------------------------------

    def refused(self, forge, message):
        """The client refuses what forge makes of the server's policy; the last good stays."""
        before = self.cli_json("policy")
        self.proxy.forge = forge
        result = self.sync()
        self.proxy.forge = None
        self.assertEqual(result.returncode, 3, result.stdout + result.stderr)
        self.assertIn(message, result.stderr)
        after = self.cli_json("policy")
        self.assertEqual(after, before)
        self.assertEqual(self.export().returncode, 0)

    def resigned(self, change, key=None):
        def forge(jws):
            payload = jws_payload(jws)
            change(payload)
            return sign_jws(key or self.authority, payload)
        return forge

    def good_policy_with_export(self):
        self.set_export(True)
        self.assertEqual(self.sync().returncode, 0)
        return self.cli_json("policy")["policy_version"]

    def test_rolled_back_policy_refused(self):
        version = self.good_policy_with_export()
        self.refused(self.resigned(lambda p: p.update(policy_version=version - 1)), "older than")

    def test_same_version_other_contents_refused(self):
        self.good_policy_with_export()

        def change(payload):
            payload["settings"]["clipboard"]["clear_after"] = 5
        self.refused(self.resigned(change), "a different policy under")

    def test_foreign_signed_policy_refused(self):
        version = self.good_policy_with_export()
        other = ec.generate_private_key(ec.SECP256R1())
        self.refused(self.resigned(lambda p: p.update(policy_version=version + 1), key=other),
                     "not signed by the pinned authority key")

    def test_tampered_policy_refused(self):
        version = self.good_policy_with_export()

        def forge(jws):
            header, _, signature = jws.split(".")
            payload = jws_payload(jws)
            payload["policy_version"] = version + 1
            payload["settings"]["tokens"]["allow_export"] = False
            return ".".join([header, b64url(json.dumps(payload).encode()), signature])
        self.refused(forge, "not signed by the pinned authority key")

    def test_other_devices_policy_refused(self):
        version = self.good_policy_with_export()

        def change(payload):
            payload.update(policy_version=version + 1, device_id="dev_someone_else")
        self.refused(self.resigned(change), "for another device or key")

    def test_expired_policy_refused(self):
        version = self.good_policy_with_export()
        now = int(time.time())

        def change(payload):
            payload.update(policy_version=version + 1, iat=now - 100, nbf=now - 100, exp=now - 10)
        self.refused(self.resigned(change), "expired")

    def test_keyring_remembers_a_newer_policy_than_an_old_vault_copy(self):
        version = self.good_policy_with_export()
        with open(self.vault, "rb") as f:
            old_copy = f.read()
        self.set_export(False)
        self.assertEqual(self.sync().returncode, 0)
        self.assertEqual(self.cli_json("policy")["policy_version"], version + 1)
        with open(self.vault, "wb") as f:
            f.write(old_copy)
        # The vault alone would take version + 1 with export allowed; the keyring knows better.

        def change(payload):
            payload["settings"]["tokens"]["allow_export"] = True
        self.refused(self.resigned(change), "a different policy under")

    # ---- authority key rotation (protocol.md 8.16) -----------------------------

    def rotate(self):
        return self.admin("POST", "/v1/admin/authority/rotate", {"v": 1}, want=201)

    def test_rotation_pins_the_new_key(self):
        old_jkt = self.cli_json("device")["authority_jkt"]
        self.assertEqual(old_jkt, thumbprint(jwk_of(self.authority)))
        rotated = self.rotate()
        self.set_export(True)
        result = self.sync()
        self.assertEqual(result.returncode, 0, result.stderr)
        device = self.cli_json("device")
        self.assertEqual(device["authority_jkt"], rotated["jkt"])
        self.assertEqual(device["authority_trust"], "tofu")
        # The new policy's rules apply, and the stored copy checks out with the new pin.
        policy = self.cli_json("policy")
        self.assertTrue(policy["allow_export"])
        self.assertEqual(self.export().returncode, 0)
        # Tokens signed by the new key are taken in the same sync and the next.
        token = self.admin("POST", "/v1/admin/tokens",
                           {"v": 1, "user": self.user_id, "type": "totp", "issuer": "Example",
                            "label": "ann"}, want=201)
        synced = self.cli_json("sync")
        self.assertEqual(len(synced["added"]), 1, synced)
        self.assertNotIn(token["secret"], json.dumps(synced))

    def test_two_rotations_in_a_row(self):
        self.rotate()
        third = self.rotate()
        self.assertEqual(third["seq"], 3)
        result = self.sync()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.cli_json("device")["authority_jkt"], third["jkt"])
        # And once more from the key pinned now.
        fourth = self.rotate()
        self.assertEqual(self.sync().returncode, 0)
        self.assertEqual(self.cli_json("device")["authority_jkt"], fourth["jkt"])

    def test_forged_chain_refused(self):
        version = self.good_policy_with_export()
        pinned_jwk = jwk_of(self.authority)
        pinned_jkt = thumbprint(pinned_jwk)
        other = ec.generate_private_key(ec.SECP256R1())
        other_jwk = jwk_of(other)
        other_jkt = thumbprint(other_jwk)

        def forge(jws):
            payload = jws_payload(jws)
            link = {"v": 1, "iss": payload["iss"], "tenant": payload["tenant"], "seq": 2,
                    "prev_jkt": pinned_jkt, "prev_jwk": pinned_jwk, "jkt": other_jkt,
                    "jwk": dict(other_jwk, kid=other_jkt, use="sig", alg="ES256"),
                    "iat": payload["iat"]}
            # The link names the pinned key but is signed by the foreign one.
            payload.update(policy_version=version + 1,
                           authority_chain=[sign_jws(other, link, "entsec-rotation+jwt",
                                                     kid=pinned_jkt)])
            return sign_jws(other, payload, kid=other_jkt)
        self.refused(forge, "changed without a chain from the key this device trusts")
        self.assertEqual(self.cli_json("device")["authority_jkt"], pinned_jkt)

    def test_old_key_refused_after_rotation(self):
        old_jkt = thumbprint(jwk_of(self.authority))
        rotated = self.rotate()
        self.set_export(True)
        self.assertEqual(self.sync().returncode, 0)
        version = self.cli_json("policy")["policy_version"]

        def forge(jws):
            payload = jws_payload(jws)
            payload.update(policy_version=version + 1)
            return sign_jws(self.authority, payload, kid=old_jkt)
        self.refused(forge, "changed without a chain from the key this device trusts")
        self.assertEqual(self.cli_json("device")["authority_jkt"], rotated["jkt"])

    def test_push_and_command_signed_by_the_retired_key_refused(self):
        old_jkt = thumbprint(jwk_of(self.authority))
        rotated = self.rotate()
        self.assertEqual(self.sync().returncode, 0)
        self.assertEqual(self.cli_json("device")["authority_jkt"], rotated["jkt"])
        status, _, _, _ = self.server.request(
            "POST", "/v1/admin/devices/%s/commands" % self.device_id, token=self.token,
            body={"v": 1, "type": "lock"})
        self.assertEqual(status, 201)
        rp_key = self.admin("POST", "/v1/admin/rps", {"v": 1, "name": "vpn"},
                            want=201)["api_key"]
        status, _, tx, _ = self.server.request(
            "POST", "/v1/auth/push", {"v": 1, "user": self.user_id}, token=rp_key)
        self.assertEqual(status, 201, tx)

        def resign(jws):
            # The same object, signed by the key the rotation retired.
            return sign_jws(self.authority, jws_payload(jws), json.loads(
                unb64url(jws.split(".")[0]))["typ"], kid=old_jkt)

        def forge(body):
            answer = json.loads(body)
            for event in answer["events"]:
                for name in ("push", "command"):
                    if name in event["data"]:
                        event["data"][name] = resign(event["data"][name])
            return json.dumps(answer)
        self.proxy.forge_events = forge
        events = self.watch_events()
        self.proxy.forge_events = None
        refused = [e for e in events if e["type"] in ("push", "command")]
        self.assertEqual(sorted(e["type"] for e in refused), ["command", "push"], events)
        for event in refused:
            self.assertIsNone(event.get("approval"))
            self.assertIsNone(event.get("command_id"))
            self.assertIn("not signed by the pinned authority key", event["detail"])
        self.assertEqual(self.cli_json("approvals", "--vault", self.vault), [])
        # Neither carried out nor acknowledged: the lock is still pending on the server.
        commands = self.admin("GET", "/v1/admin/devices/%s/commands" % self.device_id,
                              want=200)["commands"]
        self.assertEqual([c["state"] for c in commands], ["pending"], commands)
        # A push as the server signs it (the new key) is taken.
        status, _, tx, _ = self.server.request(
            "POST", "/v1/auth/push", {"v": 1, "user": self.user_id}, token=rp_key)
        self.assertEqual(status, 201, tx)
        pushes = [e["approval"]["challenge_id"] for e in self.watch_events()
                  if e["type"] == "push"]
        self.assertEqual(pushes, [tx["transaction_id"]])

    def watch_events(self):
        result = self.cli("watch", "--vault", self.vault, "--once", "--wait", "0", "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        return [e for line in result.stdout.splitlines() for e in json.loads(line)["events"]]

    # ---- device rekey (docs/protocol.md 8.17) ----------------------------------

    def rekey(self):
        return self.cli("device", "rekey", "--vault", self.vault)

    def test_rekey_then_the_old_key_is_refused(self):
        old_copy = os.path.join(self.tmp, "vault-before-rekey.db")
        shutil.copyfile(self.vault, old_copy)
        version = self.cli_json("policy")["policy_version"]
        result = self.rekey()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("key epoch 2", result.stdout)
        self.assertEqual(self.cli_json("device")["key_epoch"], 2)
        # The answer's policy, bound to the new key, is in force.
        self.assertGreater(self.cli_json("policy")["policy_version"], version)
        self.proxy.keyids.clear()
        self.assertEqual(self.sync().returncode, 0)
        self.assertTrue(self.proxy.keyids, "no signed request")
        self.assertEqual(set(self.proxy.keyids), {self.device_id + "#2"})
        # A copy of the vault from before holds the old key at epoch 1: refused.
        result = self.cli("sync", "--vault", old_copy)
        self.assertEqual(result.returncode, 4, result.stderr)
        self.assertEqual(self.proxy.keyids[-1], self.device_id + "#1")
        # And once more: epoch 3.
        self.assertEqual(self.rekey().returncode, 0)
        self.assertEqual(self.cli_json("device")["key_epoch"], 3)

    def test_rekey_answer_lost_then_recovered(self):
        self.proxy.lose_answer = lambda path: path.endswith("/keys/rotate")
        result = self.rekey()
        self.proxy.lose_answer = None
        self.assertNotEqual(result.returncode, 0, result.stdout)
        # The server took the key; the vault still signs with the old one.
        device = self.cli_json("device")
        self.assertEqual(device["key_epoch"], 1)
        self.proxy.keyids.clear()
        result = self.sync()
        self.assertEqual(result.returncode, 0, result.stderr)
        # Refused at epoch 1, then the pending key is tried at 2 and kept.
        self.assertEqual(self.proxy.keyids[:2], [self.device_id + "#1", self.device_id + "#2"])
        self.assertEqual(set(self.proxy.keyids[2:]), {self.device_id + "#2"})
        self.assertEqual(self.cli_json("device")["key_epoch"], 2)
        self.proxy.keyids.clear()
        self.assertEqual(self.sync().returncode, 0)
        self.assertEqual(set(self.proxy.keyids), {self.device_id + "#2"})

    # ---- clock --------------------------------------------------------------

    def test_clock_skew_reported(self):
        result = self.sync("--time", str(int(time.time()) + 600))
        self.assertEqual(result.returncode, 4, result.stderr)
        self.assertIn("clock is", result.stderr)
        self.assertIn("timedatectl", result.stderr)

    # ---- tokens and revocation ------------------------------------------------

    def provision(self, issuer="Example", label="ann"):
        token = self.admin("POST", "/v1/admin/tokens",
                           {"v": 1, "user": self.user_id, "type": "totp", "issuer": issuer,
                            "label": label}, want=201)
        return token["id"], token["secret"]

    def test_provisioned_token_then_revocation(self):
        self.add_personal()
        token_id, secret = self.provision()
        # Named like the user's own account: kept apart, not lost.
        twin_id, _ = self.provision("Personal", "me")
        result = self.sync()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("Added managed account: Example (ann)", result.stdout)
        self.assertIn("Added managed account: Personal (me (managed))", result.stdout)
        self.assertEqual(result.stdout.count("Personal"), 1, result.stdout)
        self.assertEqual(self.admin("GET", "/v1/admin/tokens/" + twin_id, want=200)["state"],
                         "active")
        # The ack made the token active: the device held the right seed.
        self.assertEqual(self.admin("GET", "/v1/admin/tokens/" + token_id, want=200)["state"],
                         "active")
        now = int(time.time())
        codes = self.cli_json("code", "--time", str(now))["codes"]
        mine = [c for c in codes if c["name"].startswith("Example")]
        self.assertEqual(len(mine), 1, codes)
        expected = subprocess.run(["oathtool", "--totp", "-b", "--now",
                                   time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(now)),
                                   secret], capture_output=True, text=True, check=True).stdout
        self.assertEqual(mine[0]["code"], expected.strip())
        # A second sync brings nothing: a seed is sent once.
        self.assertEqual(self.cli_json("sync")["added"], [])
        self.assertEqual(len(self.keyring_items()), 1)

        self.admin("POST", "/v1/admin/devices/%s/revoke" % self.device_id, want=204)
        result = self.sync()
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("revoked", result.stdout)
        result = self.cli("device", "--vault", self.vault)
        self.assertEqual(result.returncode, 3, result.stderr)
        names = [c["name"].split()[0] for c in self.cli_json("code")["codes"]]
        self.assertEqual(names, ["Personal"])
        self.assertEqual(self.keyring_items(), [])
        # Canary: neither the seed nor the device id is left in the vault file.
        with open(self.vault, "rb") as f:
            data = f.read()
        seed = base64.b32decode(secret + "=" * (-len(secret) % 8))
        for canary in (seed, secret.encode(), self.device_id.encode()):
            self.assertNotIn(canary, data)


if __name__ == "__main__":
    servertest.main()
