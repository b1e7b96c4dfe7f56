#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""devicetest.py: what the entsec-server tests of signed device calls share:
the client side of the request-signature profile (docs/protocol.md section
2) and JWS checks written with python3-cryptography, independently of
src/protocol, and a test case that enrolls users and registers devices."""

import base64
import hashlib
import json
import os
import secrets
import threading
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature, encode_dss_signature)

from servertest import Connection, ServerTestCase

POLL_TIMEOUT = 45  # seconds a test client waits for one poll (the server holds <= 30)
SETTLE_TIMEOUT = 60  # seconds to wait for polls to be parked; every wait is bounded
CLIENT_NONCE = "bm9uY2Utbm9uY2Utbm9uY2U"
CLAIMS = {"machine_fp": "fp-1", "macs": [{"if": "eth0", "kind": "ether", "mac_hmac": "h1"}],
          "os": {"id": "debian", "version": "12"}}


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwk_of(key):
    numbers = key.public_key().public_numbers()
    return {"kty": "EC", "crv": "P-256", "x": b64u(numbers.x.to_bytes(32, "big")),
            "y": b64u(numbers.y.to_bytes(32, "big"))}


def thumbprint(jwk):
    text = '{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}' % (jwk["x"], jwk["y"])
    return b64u(hashlib.sha256(text.encode()).digest())


def public_key_of(jwk):
    x = int.from_bytes(b64u_decode(jwk["x"]), "big")
    y = int.from_bytes(b64u_decode(jwk["y"]), "big")
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


def jws_payload(compact, jwk, typ):
    """Verifies an ES256 compact JWS with `jwk`; returns the payload object."""
    header, payload, signature = compact.split(".")
    head = json.loads(b64u_decode(header))
    assert head["alg"] == "ES256" and head["typ"] == typ, head
    raw = b64u_decode(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public_key_of(jwk).verify(der, (header + "." + payload).encode(), ec.ECDSA(hashes.SHA256()))
    return json.loads(b64u_decode(payload))


def sign_headers(key, keyid, method, uri, body, created=None, expires=None, nonce=None):
    """The profile's request signature: Content-Digest, Signature-Input, Signature."""
    created = int(time.time()) if created is None else created
    expires = created + 300 if expires is None else expires
    nonce = b64u(secrets.token_bytes(16)) if nonce is None else nonce
    headers = {}
    lines = ['"@method": %s' % method, '"@target-uri": %s' % uri]
    components = '"@method" "@target-uri"'
    if body is not None:
        digest = "sha-256=:%s:" % base64.b64encode(hashlib.sha256(body).digest()).decode()
        headers["Content-Digest"] = digest
        headers["Content-Type"] = "application/json"
        lines += ['"content-digest": %s' % digest, '"content-type": application/json']
        components += ' "content-digest" "content-type"'
    params = '(%s);created=%d;expires=%d;nonce="%s";keyid="%s";alg="ecdsa-p256-sha256"' % (
        components, created, expires, nonce, keyid)
    base = "\n".join(lines + ['"@signature-params": ' + params])
    r, s = decode_dss_signature(key.sign(base.encode(), ec.ECDSA(hashes.SHA256())))
    raw = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    headers["Signature-Input"] = "entsec=" + params
    headers["Signature"] = "entsec=:%s:" % base64.b64encode(raw).decode()
    return headers


class Device:
    def __init__(self, test, server, key, device_id, registration, policy):
        self.test, self.server, self.key = test, server, key
        self.id, self.registration, self.policy = device_id, registration, policy
        self.keyid = device_id + "#1"

    def signed(self, method, path, body=None, keyid=None, key=None, **sign):
        raw = json.dumps(body).encode() if body is not None else None
        headers = sign_headers(key or self.key, keyid or self.keyid, method,
                               self.test.issuer + path, raw, **sign)
        return self.test.send(method, path, raw, headers)

    def get_policy(self, **kw):
        return self.signed("GET", "/v1/devices/%s/policy" % self.id, **kw)


class DeviceMixin:
    """Users, enrollment by email, registered devices and their calls, for a
    ServerTestCase: needs self.server, self.token, self.data_dir and
    self.issuer and self.authority (discovery's); keeps its users in
    self.users."""

    def send(self, method, path, raw, headers):
        """Like Server.request, but a body that is not JSON (a JWS) is kept as bytes."""
        conn = Connection(self.server.port, self.server.context())
        try:
            conn.request(method, path, body=raw, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        is_json = (resp.getheader("Content-Type") or "").endswith("json")
        return resp.status, resp, json.loads(data) if is_json and data else None, data

    def admin_api(self, method, path, body=None):
        return self.server.request(method, path, token=self.token, body=body)

    def user(self, email):
        self.users = getattr(self, "users", {})
        if email not in self.users:
            status, _, body, _ = self.admin_api("POST", "/v1/admin/users", {"email": email})
            self.assertEqual(status, 201, body)
            self.users[email] = body["id"]
        return self.users[email]

    def enroll(self, email="ann@example.com"):
        self.user(email)
        status, _, body, _ = self.server.request(
            "POST", "/v1/enroll/start",
            body={"v": 1, "channel": "email", "address": email, "client_nonce": CLIENT_NONCE})
        self.assertEqual(status, 202, body)
        with open(os.path.join(self.data_dir, "outbox.jsonl"), encoding="utf-8") as f:
            code = [json.loads(line) for line in f][-1]["code"]
        status, _, verified, _ = self.server.request(
            "POST", "/v1/enroll/verify",
            body={"v": 1, "enrollment_id": body["enrollment_id"], "code": code,
                  "client_nonce": CLIENT_NONCE})
        self.assertEqual(status, 200, verified)
        return verified

    def register_raw(self, verified, key=None, sign_key=None, keyid=None, claims=None,
                     **body_extra):
        key = key or ec.generate_private_key(ec.SECP256R1())
        jwk = jwk_of(key)
        body = {"v": 1, "enrollment_token": verified["enrollment_token"],
                "registration_challenge": verified["registration_challenge"],
                "device_key": jwk, "device": claims or CLAIMS,
                "client": {"name": "entsec", "version": "0.1"}}
        body.update(body_extra)
        raw = json.dumps(body).encode()
        headers = sign_headers(sign_key or key, keyid or "jkt:" + thumbprint(jwk), "POST",
                               self.issuer + "/v1/devices", raw)
        return key, self.send("POST", "/v1/devices", raw, headers)

    def register(self, email="ann@example.com", **kw):
        key, result = self.register_raw(self.enroll(email), **kw)
        status, _, body, _ = result
        self.assertEqual(status, 201, body)
        return Device(self, self.server, key, body["device_id"], body["registration"],
                      body["policy"])

    def policy_of(self, device, expect_status=200):
        status, resp, body, data = device.get_policy()
        self.assertEqual(status, expect_status, body)
        self.assertEqual(resp.getheader("Content-Type"), "application/jose")
        return jws_payload(data.decode(), self.authority, "entsec-policy+jwt"), resp

    # the events long-poll (docs/protocol.md section 8.13)

    def poll(self, device, query, timeout=POLL_TIMEOUT):
        """One signed poll; returns (status, body)."""
        path = "/v1/devices/%s/events?%s" % (device.id, query)
        headers = sign_headers(device.key, device.keyid, "GET", self.issuer + path, None)
        conn = Connection(self.server.port, self.server.context())
        conn.timeout = timeout
        try:
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        return resp.status, json.loads(data) if data else None

    def poll_in_background(self, device, query):
        """Starts a poll on a thread; returns (thread, result list)."""
        result = []
        thread = threading.Thread(target=lambda: result.append(self.poll(device, query)))
        thread.start()
        return thread, result

    def waiting(self):
        status, _, body, _ = self.admin_api("GET", "/v1/admin/status")
        self.assertEqual(status, 200, body)
        return body["long_polls"]["waiting"]

    def wait_until_waiting(self, count):
        """Bounded: until `count` polls are parked in the server."""
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while self.waiting() != count:
            self.assertLess(time.monotonic(), deadline, "the polls were not parked")
            time.sleep(0.05)


class DeviceTestCase(DeviceMixin, ServerTestCase):
    """A server booted with boot(), users, enrollment by email, registered devices."""

    def admin(self, method, path, body=None):
        """The admin API with the bootstrap admin token."""
        return self.admin_api(method, path, body)

    def setUp(self):
        super().setUp()
        self.users = {}

    def tearDown(self):
        # a clean exit (also: no leak or error report under ASan)
        if self.server is not None:
            self.assertEqual(self.server.stop(), 0, self.server.log)
        super().tearDown()

    def boot(self, *args, env=None):
        env = dict(env or os.environ, ENTSEC_SERVER_ENROLL_RESEND_AFTER="0")
        server = self.start(*args, env=env)
        status, _, disco, _ = server.request("GET", "/.well-known/entsec-configuration")
        self.assertEqual(status, 200)
        self.issuer = disco["issuer"]
        self.authority = disco["authority_jwks"]["keys"][0]
        return server
