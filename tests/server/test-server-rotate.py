#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-server-rotate.py ENTSEC_SERVER: key rotation on the real entsec-server
over real TLS (docs/protocol.md sections 8.16 and 8.17): the authority key's
rotation chain, walked from an old pin with python3-cryptography as an
independent verifier, and a device replacing its own key (rekey)."""

import hashlib
import json
import os
import sqlite3
import subprocess

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import servertest
from devicetest import DeviceTestCase, b64u, b64u_decode, jwk_of, jws_payload, thumbprint

ROTATION_TYP = "entsec-rotation+jwt"


def header_of(compact):
    return json.loads(b64u_decode(compact.split(".")[0]))


def walk(pinned, chain, issuer, tenant):
    """What a client does: follow the links from the pinned JWK, each one
    verified with the key pinned so far; returns the last JWK. Links before
    the pinned key are skipped; a chain that never reaches it fails."""
    pinned_jkt = thumbprint(pinned)
    start = None
    for i, link in enumerate(chain):
        if header_of(link)["kid"] == pinned_jkt:
            start = i
    if start is None:
        assert any(json.loads(b64u_decode(link.split(".")[1]))["jkt"] == pinned_jkt
                   for link in chain), "the chain does not lead from the pinned key"
        # pinned key is the newest of the chain
        return pinned
    current = pinned
    for link in chain[start:]:
        payload = jws_payload(link, current, ROTATION_TYP)
        assert header_of(link)["kid"] == thumbprint(current)
        assert payload["prev_jkt"] == thumbprint(current), payload
        assert thumbprint(payload["prev_jwk"]) == thumbprint(current), payload
        assert payload["jkt"] == thumbprint(payload["jwk"]), payload
        assert payload["iss"] == issuer and payload["tenant"] == tenant, payload
        current = payload["jwk"]
    return current


class RotateTests(DeviceTestCase):
    def rotate(self):
        status, _, body, _ = self.admin("POST", "/v1/admin/authority/rotate", {"v": 1})
        self.assertEqual(status, 201, body)
        return body

    def discovery(self):
        status, _, disco, _ = self.server.request("GET", "/.well-known/entsec-configuration")
        self.assertEqual(status, 200)
        return disco

    # 1. authority key rotation

    def test_chain_leads_from_old_pin_to_new_key(self):
        self.boot()
        old = self.authority
        disco = self.discovery()
        self.assertEqual(disco["authority_chain"], [])
        self.assertEqual(disco["authority_seq"], 1)
        rotated = self.rotate()
        self.assertEqual(rotated["seq"], 2)
        self.assertEqual(rotated["previous_jkt"], thumbprint(old))
        self.assertNotEqual(rotated["jkt"], thumbprint(old))
        disco = self.discovery()
        self.assertEqual(disco["authority_jkt"], rotated["jkt"])
        self.assertEqual(disco["authority_seq"], 2)
        self.assertEqual(disco["authority_chain"], [rotated["link"]])
        new = disco["authority_jwks"]["keys"][0]
        self.assertEqual(thumbprint(new), rotated["jkt"])
        # the link verifies with the old key only, and names the new one
        link = jws_payload(rotated["link"], old, ROTATION_TYP)
        self.assertEqual((link["v"], link["seq"]), (1, 2))
        self.assertEqual(header_of(rotated["link"])["kid"], thumbprint(old))
        self.assertEqual(walk(old, disco["authority_chain"], self.issuer, "default"), new)
        with self.assertRaises(InvalidSignature):
            jws_payload(rotated["link"], new, ROTATION_TYP)
        # a device that holds only the old thumbprint (an activation link) finds
        # the old key in the link, as that thumbprint
        self.assertEqual(thumbprint(link["prev_jwk"]), thumbprint(old))
        self.assertEqual(walk(link["prev_jwk"], disco["authority_chain"], self.issuer,
                              "default"), new)
        stranger = jwk_of(ec.generate_private_key(ec.SECP256R1()))
        with self.assertRaises(AssertionError):
            walk(stranger, disco["authority_chain"], self.issuer, "default")
        # the new private key is in the database, sealed, not a file
        self.assertFalse(os.path.exists(os.path.join(self.data_dir,
                                                     "authority-key-%s.pem" % rotated["jkt"])))
        with sqlite3.connect(os.path.join(self.data_dir, "entsec.db")) as db:
            sealed = db.execute("SELECT sealed_key FROM authority_keys WHERE seq = 2").fetchone()
        self.assertGreater(len(sealed[0]), 100)
        # only an admin rotates, with a body of nothing but "v"
        self.assertProblem(self.server.request("POST", "/v1/admin/authority/rotate",
                                               body={"v": 1}), 401, "unauthorized")
        self.assertProblem(self.admin("POST", "/v1/admin/authority/rotate", {"v": 1, "x": 1}),
                           400, "invalid_request")
        self.assertEqual(self.discovery()["authority_seq"], 2)
        status, _, audit, _ = self.admin("GET", "/v1/admin/audit")
        self.assertIn(("authority.rotate", rotated["jkt"]),
                      [(e["action"], e["target"]) for e in audit["entries"]])

    def test_policy_after_rotation_is_signed_by_new_key(self):
        self.boot()
        old = self.authority
        device = self.register()
        before, _ = self.policy_of(device)
        status, _, lock, _ = self.admin("POST", "/v1/admin/devices/%s/commands" % device.id,
                                        {"v": 1, "type": "lock"})
        self.assertEqual(status, 201, lock)
        rotated = self.rotate()
        # the device is told to fetch its policy, and gets its pending command
        # again, signed by the new key, after the one the old key signed
        status, events = self.poll(device, "wait=0&cursor=0")
        self.assertEqual(status, 200, events)
        types = [e["type"] for e in events["events"]]
        self.assertEqual(types, ["command", "policy", "command"])
        commands = [e["data"] for e in events["events"] if e["type"] == "command"]
        self.assertEqual([c["command_id"] for c in commands], [lock["id"]] * 2)
        self.assertEqual([header_of(c["command"])["kid"] for c in commands],
                         [thumbprint(old), rotated["jkt"]])
        again = jws_payload(commands[1]["command"], walk(old, [rotated["link"]], self.issuer,
                                                         "default"), "entsec-command+jwt")
        self.assertEqual((again["command_id"], again["type"]), (lock["id"], "lock"))
        status, _, _, data = device.get_policy()
        self.assertEqual(status, 200)
        jws = data.decode()
        self.assertEqual(header_of(jws)["kid"], rotated["jkt"])
        with self.assertRaises(InvalidSignature):
            jws_payload(jws, old, "entsec-policy+jwt")
        # a device that pinned the old key reaches the signer through the chain inside
        unverified = json.loads(b64u_decode(jws.split(".")[1]))
        new = walk(old, unverified["authority_chain"], self.issuer, "default")
        policy = jws_payload(jws, new, "entsec-policy+jwt")
        self.assertGreater(policy["policy_version"], before["policy_version"])
        # a device enrolled now gets the new key and the chain in its registration
        second = self.register("bob@example.com")
        reg = jws_payload(second.registration, new, "entsec-registration+jwt")
        self.assertEqual(reg["authority_jwks"]["keys"][0]["kid"], rotated["jkt"])
        self.assertEqual(reg["authority_chain"], [rotated["link"]])

    def test_push_started_before_rotation_still_answers(self):
        self.boot()
        old = self.authority
        device = self.register()
        status, _, rp, _ = self.admin("POST", "/v1/admin/rps", {"v": 1, "name": "vpn"})
        self.assertEqual(status, 201, rp)
        status, _, tx, _ = self.server.request(
            "POST", "/v1/auth/push", {"v": 1, "user": self.users["ann@example.com"],
                                      "number_matching": "none"}, token=rp["api_key"])
        self.assertEqual(status, 201, tx)
        self.rotate()
        # queued before the policy event, signed by the key the device still pins
        status, events = self.poll(device, "wait=0&cursor=0")
        self.assertEqual([e["type"] for e in events["events"]], ["push", "policy"])
        data = events["events"][0]["data"]
        push = jws_payload(data["push"], old, "entsec-push+jwt")
        body = {"v": 1, "nonce": push["nonce"], "decision": "approve",
                "push_sha256": b64u(hashlib.sha256(data["push"].encode()).digest())}
        status, _, answer, _ = device.signed(
            "POST", "/v1/challenges/%s/response" % data["challenge_id"], body)
        self.assertEqual(status, 200, answer)
        self.assertEqual(answer["state"], "approved")

    def test_two_rotations_chain_and_survive_restart(self):
        self.boot()
        first = self.authority
        device = self.register()
        self.rotate()
        second = self.discovery()["authority_jwks"]["keys"][0]
        third = self.rotate()
        chain = self.discovery()["authority_chain"]
        self.assertEqual(len(chain), 2)
        self.assertEqual(thumbprint(walk(first, chain, self.issuer, "default")), third["jkt"])
        self.assertEqual(thumbprint(walk(second, chain, self.issuer, "default")), third["jkt"])
        self.server.stop()
        self.boot()
        disco = self.discovery()
        self.assertEqual(disco["authority_jkt"], third["jkt"])
        self.assertEqual(disco["authority_chain"], chain)
        policy, _ = self.policy_of(device)  # self.authority is discovery's current key
        self.assertEqual(policy["device_id"], device.id)
        status, _, shown, _ = self.admin("GET", "/v1/admin/authority")
        self.assertEqual(status, 200, shown)
        self.assertEqual([(k["seq"], k["state"]) for k in shown["keys"]],
                         [(1, "retired"), (2, "retired"), (3, "current")])
        self.assertEqual(shown["keys"][0]["jkt"], thumbprint(first))
        self.assertEqual(shown["current"], {"seq": 3, "jkt": third["jkt"]})

    def test_key_of_old_data_directory_is_imported(self):
        self.boot()
        rotated = self.rotate()
        self.server.stop()
        # the sealed key opens with token-seal.key (AES-256-GCM, nonce first,
        # the thumbprint bound as associated data), read independently here
        path = os.path.join(self.data_dir, "authority-key-%s.pem" % rotated["jkt"])
        with sqlite3.connect(os.path.join(self.data_dir, "entsec.db")) as db:
            sealed = db.execute("SELECT sealed_key FROM authority_keys WHERE seq = 2").fetchone()[0]
            # as a server from before the keys were stored left it: the
            # private halves are files only
            db.execute("UPDATE authority_keys SET sealed_key = NULL")
        with open(os.path.join(self.data_dir, "token-seal.key"), "rb") as f:
            seal = AESGCM(f.read())
        aad = ("entsec-authority-key:" + rotated["jkt"]).encode()
        with self.assertRaises(InvalidTag):
            seal.decrypt(sealed[:12], sealed[12:], b"entsec-authority-key:other")
        key = serialization.load_der_private_key(seal.decrypt(sealed[:12], sealed[12:], aad),
                                                 None)
        self.assertEqual(thumbprint(jwk_of(key)), rotated["jkt"])
        with self.assertRaises(AssertionError) as refused:
            self.start()
        self.assertIn("authority-key-%s.pem, the current authority key" % rotated["jkt"],
                      str(refused.exception))
        self.server = None
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        self.start()
        self.assertEqual(self.discovery()["authority_jkt"], rotated["jkt"])
        self.server.stop()
        self.server = None
        os.remove(path)  # imported: no longer needed
        self.start()
        self.assertEqual(self.discovery()["authority_jkt"], rotated["jkt"])

    def test_other_seal_key_is_refused_at_start(self):
        self.boot()
        self.rotate()
        self.server.stop()
        with open(os.path.join(self.data_dir, "token-seal.key"), "wb") as f:
            f.write(os.urandom(32))
        with self.assertRaises(AssertionError) as refused:
            self.start()
        self.assertIn("does not open with token-seal.key", str(refused.exception))
        self.server = None

    def test_broken_chain_is_refused_at_start(self):
        self.boot()
        rotated = self.rotate()
        self.server.stop()
        header, payload, signature = rotated["link"].split(".")
        forged = ".".join((header, payload, signature[:-2] + ("AA" if signature[-2:] != "AA"
                                                              else "BA")))
        with sqlite3.connect(os.path.join(self.data_dir, "entsec.db")) as db:
            db.execute("UPDATE authority_keys SET link = ? WHERE seq = 2", (forged,))
        with self.assertRaises(AssertionError) as refused:
            self.start()
        self.assertIn("do not form a chain", str(refused.exception))
        self.server = None

    def test_admin_cli_rotate_and_show(self):
        self.boot()
        token_file = os.path.join(self.tmp, "token")
        with open(token_file, "w", encoding="ascii") as f:
            f.write(self.token + "\n")
        base = [os.environ["ENTSEC_ADMIN"], "--server", self.issuer, "--ca",
                os.path.join(self.data_dir, "ca.pem"), "--token-file", token_file]
        done = subprocess.run(base + ["--json", "authority", "rotate"], capture_output=True,
                              text=True, timeout=60, check=False)
        self.assertEqual(done.returncode, 0, done.stderr)
        rotated = json.loads(done.stdout)
        self.assertEqual(rotated["seq"], 2)
        done = subprocess.run(base + ["authority", "show"], capture_output=True, text=True,
                              timeout=60, check=False)
        self.assertEqual(done.returncode, 0, done.stderr)
        rows = [line.split("\t") for line in done.stdout.splitlines()]
        self.assertEqual([(r[0], r[1], r[3]) for r in rows],
                         [("1", thumbprint(self.authority), "retired"),
                          ("2", rotated["jkt"], "current")])
        # an activation link made now carries the new thumbprint
        user = self.user("ann@example.com")
        done = subprocess.run(base + ["users", "invite", user], capture_output=True, text=True,
                              timeout=60, check=False, cwd=self.tmp)  # it writes a QR PNG
        self.assertEqual(done.returncode, 0, done.stderr)
        self.assertIn("jkt=" + rotated["jkt"], done.stdout)

    # 2. device key rotation (rekey)

    def op_nonce(self, device, op="rekey"):
        status, _, body, _ = device.signed("POST", "/v1/devices/%s/op-challenge" % device.id,
                                           {"v": 1, "op": op})
        self.assertEqual(status, 200, body)
        return body["nonce"]

    def rekey_body(self, device, nonce, new_key, proof_key=None, proof_text=None):
        new_jwk = jwk_of(new_key)
        text = proof_text or "entsec/v1/rekey|%s|%s|%s|%s" % (
            device.id, nonce, thumbprint(jwk_of(device.key)), thumbprint(new_jwk))
        r, s = decode_dss_signature((proof_key or new_key).sign(text.encode(),
                                                               ec.ECDSA(hashes.SHA256())))
        return {"v": 1, "nonce": nonce, "new_key": new_jwk,
                "proof": b64u(r.to_bytes(32, "big") + s.to_bytes(32, "big"))}

    def rekey(self, device, body):
        return device.signed("POST", "/v1/devices/%s/keys/rotate" % device.id, body)

    def test_rekey(self):
        self.boot()
        device = self.register()
        before, _ = self.policy_of(device)
        old_key, old_keyid = device.key, device.keyid
        new_key = ec.generate_private_key(ec.SECP256R1())
        status, _, body, _ = self.rekey(device, self.rekey_body(device, self.op_nonce(device),
                                                                new_key))
        self.assertEqual(status, 200, body)
        self.assertEqual((body["device_id"], body["key_epoch"]), (device.id, 2))
        reg = jws_payload(body["registration"], self.authority, "entsec-registration+jwt")
        self.assertEqual(reg["key_jkt"], thumbprint(jwk_of(new_key)))
        self.assertEqual(reg["key_epoch"], 2)
        policy = jws_payload(body["policy"], self.authority, "entsec-policy+jwt")
        self.assertEqual(policy["key_jkt"], thumbprint(jwk_of(new_key)))
        self.assertGreater(policy["policy_version"], before["policy_version"])
        # the new key works as "#2"; the old key and the old keyid do not
        device.key, device.keyid = new_key, device.id + "#2"
        fetched, _ = self.policy_of(device)
        self.assertEqual(fetched["key_jkt"], thumbprint(jwk_of(new_key)))
        self.assertProblem(device.get_policy(key=old_key, keyid=old_keyid), 401,
                           "invalid_signature")
        self.assertProblem(device.get_policy(key=new_key, keyid=old_keyid), 401,
                           "invalid_signature")
        self.assertProblem(device.get_policy(key=old_key), 401, "invalid_signature")
        status, _, shown, _ = self.admin("GET", "/v1/admin/devices/" + device.id)
        self.assertEqual((shown["key_epoch"], shown["key_jkt"]),
                         (2, thumbprint(jwk_of(new_key))))
        status, _, audit, _ = self.admin("GET", "/v1/admin/audit")
        self.assertIn(("device.rekey", device.id),
                      [(e["action"], e["target"]) for e in audit["entries"]])
        # the log (never the client) says why the old keyid failed
        self.assertEqual(self.server.stop(), 0)
        self.assertIn("the keyid names a key this device replaced (rekeyed)", self.server.log)

    def test_rekey_needs_rekey_challenge_and_proof(self):
        self.boot()
        device = self.register()
        new_key = ec.generate_private_key(ec.SECP256R1())
        # no challenge, a made-up one, one for another operation
        body = self.rekey_body(device, "made-up", new_key)
        self.assertProblem(self.rekey(device, body), 400, "invalid_request")
        del body["nonce"]
        self.assertProblem(self.rekey(device, body), 400, "invalid_request")
        unbind = self.op_nonce(device, "unbind")
        self.assertProblem(self.rekey(device, self.rekey_body(device, unbind, new_key)), 400,
                           "invalid_request")
        # a proof by another key, over other bytes, or by the old key
        nonce = self.op_nonce(device)
        other = ec.generate_private_key(ec.SECP256R1())
        for bad in (self.rekey_body(device, nonce, new_key, proof_key=other),
                    self.rekey_body(device, nonce, new_key, proof_text="entsec/v1/rekey|x"),
                    self.rekey_body(device, nonce, new_key, proof_key=device.key)):
            result = self.rekey(device, bad)
            self.assertProblem(result, 400, "invalid_request")
            self.assertIn("proof", result[2]["detail"])
        # the same key again is no rekey
        self.assertProblem(self.rekey(device, self.rekey_body(device, nonce, device.key)), 400,
                           "invalid_request")
        # refused attempts used nothing up: the challenge still works, once
        self.assertEqual(self.rekey(device, self.rekey_body(device, nonce, new_key))[0], 200)
        device.key, device.keyid = new_key, device.id + "#2"
        newer = ec.generate_private_key(ec.SECP256R1())
        self.assertProblem(self.rekey(device, self.rekey_body(device, nonce, newer)), 400,
                           "invalid_request")

    def test_rekey_foreign_attempts_fail(self):
        self.boot()
        ann = self.register()
        bob = self.register("bob@example.com")
        new_key = ec.generate_private_key(ec.SECP256R1())
        # bob's challenge is not ann's
        bob_nonce = self.op_nonce(bob)
        self.assertProblem(self.rekey(ann, self.rekey_body(ann, bob_nonce, new_key)), 400,
                           "invalid_request")
        # ann cannot rekey bob's device with her key
        body = self.rekey_body(bob, bob_nonce, new_key)
        result = ann.signed("POST", "/v1/devices/%s/keys/rotate" % bob.id, body)
        self.assertProblem(result, 401, "invalid_signature")
        # nor take bob's key as her new one
        self.assertProblem(self.rekey(ann, self.rekey_body(ann, self.op_nonce(ann), bob.key)),
                           409, "conflict")
        # a revoked device cannot rekey
        status, _, _, _ = self.admin("POST", "/v1/admin/devices/%s/revoke" % bob.id)
        self.assertEqual(status, 204)
        self.assertProblem(self.rekey(bob, self.rekey_body(bob, bob_nonce, new_key)), 403,
                           "device_revoked")


if __name__ == "__main__":
    servertest.main()
