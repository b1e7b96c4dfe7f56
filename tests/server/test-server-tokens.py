#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-server-tokens.py ENTSEC_SERVER: server-provisioned tokens reach the
device on the real entsec-server over real TLS (docs/protocol.md sections 5
and 8.15): the admin provisions a token, the device's long-poll gets a
tokens event, the signed sync with a fresh epk returns the seed sealed to
it, opened here with python3-cryptography (ECDH, HKDF-SHA256, AES-256-GCM:
independent of src/protocol), the ack with the current code activates the
token and a relying party validates a code from that seed."""

import base64
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

import servertest
from devicetest import (POLL_TIMEOUT, DeviceTestCase, b64u, b64u_decode, jwk_of, jws_payload,
                        public_key_of, thumbprint)
from servertest import hotp, step


def open_seed(esk, epk_jwk, spk_jwk, nonce, device_id, token_id, rev, sealed):
    """Section 5 of docs/protocol.md, the client side."""
    z = esk.exchange(ec.ECDH(), public_key_of(spk_jwk))
    aad = ("entsec/v1/seed|%s|%s|%d" % (device_id, token_id, rev)).encode()
    info = aad + ("|%s|%s" % (thumbprint(epk_jwk), thumbprint(spk_jwk))).encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=nonce, info=info).derive(z)
    iv, ct, tag = (b64u_decode(sealed[k]) for k in ("iv", "ct", "tag"))
    return AESGCM(key).decrypt(iv, ct + tag, aad)


class TokenTests(DeviceTestCase):
    def provision(self, user, **extra):
        status, _, body, _ = self.admin("POST", "/v1/admin/tokens",
                                        {"v": 1, "user": user, "type": "totp", **extra})
        self.assertEqual(status, 201, body)
        return body

    def sync(self, device, esk=None, nonce=None, **extra):
        esk = esk or ec.generate_private_key(ec.SECP256R1())
        nonce = nonce or secrets.token_bytes(16)
        body = {"v": 1, "epk": jwk_of(esk), "req_nonce": b64u(nonce), **extra}
        status, _, got, _ = device.signed("POST", "/v1/devices/%s/tokens/sync" % device.id, body)
        return status, got, esk, nonce

    def synced(self, device):
        """A sync that must work: (payload, esk, nonce)."""
        status, got, esk, nonce = self.sync(device)
        self.assertEqual(status, 200, got)
        payload = jws_payload(got["tokens"], self.authority, "entsec-tokens+jwt")
        self.assertEqual((payload["device_id"], payload["req_nonce"]), (device.id, b64u(nonce)))
        self.assertEqual(payload["epk_jkt"], thumbprint(jwk_of(esk)))
        return payload, esk, nonce

    def ack(self, device, token_id, otp):
        return device.signed("POST", "/v1/devices/%s/tokens/%s/ack" % (device.id, token_id),
                             {"v": 1, "otp": otp})

    def test_provision_sync_ack_validate(self):
        self.boot()
        ann = self.register()
        user = self.users["ann@example.com"]
        thread, result = self.poll_in_background(ann, "wait=30&cursor=0")
        self.wait_until_waiting(1)
        created = self.provision(user, issuer="Example", label="ann")
        thread.join(POLL_TIMEOUT)
        status, body = result[0]
        self.assertEqual(status, 200, body)
        self.assertEqual([(e["type"], e["data"]["token_id"]) for e in body["events"]],
                         [("tokens", created["id"])])
        payload, esk, nonce = self.synced(ann)
        [token] = payload["tokens"]
        self.assertEqual((token["id"], token["type"], token["digits"], token["period"],
                          token["issuer"], token["label"], token["rev"]),
                         (created["id"], "totp", 6, 30, "Example", "ann", 1))
        self.assertNotIn("secret", token)
        seed = open_seed(esk, jwk_of(esk), payload["spk"], nonce, ann.id, token["id"],
                         token["rev"], token["seed"])
        # the very seed the admin was shown
        self.assertEqual(base64.b32encode(seed).decode().rstrip("="), created["secret"])
        # bound to its context: another device id does not open it
        with self.assertRaises(InvalidTag):
            open_seed(esk, jwk_of(esk), payload["spk"], nonce, "dev_other", token["id"],
                      token["rev"], token["seed"])
        # never sent twice
        again, _, _ = self.synced(ann)
        self.assertEqual(again["tokens"], [])
        # the ack proves receipt: a wrong code first, then the current one
        secret = base64.b32encode(seed).decode()
        now = step()
        wrong = next(c for c in ("000000", "111111", "222222")
                     if c not in {hotp(secret, s) for s in range(now - 2, now + 3)})
        self.assertProblem(self.ack(ann, token["id"], wrong), 400, "invalid_code")
        status, _, got, _ = self.ack(ann, token["id"], hotp(secret, step()))
        self.assertEqual((status, got["state"]), (200, "active"), got)
        status, _, shown, _ = self.admin("GET", "/v1/admin/tokens/" + token["id"])
        self.assertEqual(shown["state"], "active")
        # a relying party validates the next step's code from that seed
        status, _, rp, _ = self.admin("POST", "/v1/admin/rps", {"v": 1, "name": "vpn"})
        status, _, valid, _ = self.server.request(
            "POST", "/v1/auth/validate",
            {"v": 1, "user": user, "code": hotp(secret, step() + 1)}, token=rp["api_key"])
        self.assertEqual((status, valid["token"]), (200, token["id"]), valid)

    def test_seed_goes_to_one_device_only(self):
        self.boot()
        ann, ann2 = self.register(), self.register()
        bob = self.register("bob@example.com")
        created = self.provision(self.users["ann@example.com"])
        self.assertEqual(len(self.poll(ann2, "wait=0")[1]["events"]), 1)
        self.assertEqual(self.poll(bob, "wait=0")[1]["events"], [])
        first, _, _ = self.synced(ann2)
        self.assertEqual([t["id"] for t in first["tokens"]], [created["id"]])
        self.assertEqual(self.synced(ann)[0]["tokens"], [])
        self.assertEqual(self.synced(bob)[0]["tokens"], [])
        # only the device that got it may ack it
        self.assertProblem(self.ack(ann, created["id"], "123456"), 404, "not_found")
        self.assertProblem(self.ack(bob, created["id"], "123456"), 404, "not_found")

    def test_bad_sync_and_ack_requests(self):
        self.boot()
        ann = self.register()
        self.provision(self.users["ann@example.com"])
        key = ec.generate_private_key(ec.SECP256R1())
        for extra in ({"req_nonce": b64u(b"short")}, {"req_nonce": "!!"},
                      {"epk": {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}},
                      {"epk": "not a key"}, {"colour": "red"},
                      {"epk": dict(jwk_of(key), d=b64u(b"\1" * 32))}):
            with self.subTest(extra=extra):
                status, got, _, _ = self.sync(ann, **extra)
                self.assertEqual(status, 400, got)
                self.assertEqual(got["type"], servertest.PROBLEM + "invalid_request")
        # nothing was handed out by the refused requests
        payload, _, _ = self.synced(ann)
        self.assertEqual(len(payload["tokens"]), 1)
        token_id = payload["tokens"][0]["id"]
        for body in ({"v": 1}, {"v": 1, "otp": 123456}, {"v": 1, "otp": "1", "x": "y"}):
            with self.subTest(body=body):
                result = ann.signed("POST", "/v1/devices/%s/tokens/%s/ack" % (ann.id, token_id),
                                    body)
                self.assertProblem(result, 400, "invalid_request")
        # a revoked device gets nothing
        self.provision(self.users["ann@example.com"])
        self.admin("POST", "/v1/admin/devices/%s/revoke" % ann.id)
        status, got, _, _ = self.sync(ann)
        self.assertEqual((status, got["type"]), (403, servertest.PROBLEM + "device_revoked"))


if __name__ == "__main__":
    servertest.main()
