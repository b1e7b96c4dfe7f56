#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-server-devices.py ENTSEC_SERVER: device registration, signed requests
(RFC 9421 profile of docs/protocol.md section 2), policies, revocation,
heartbeats and unbinding on the real entsec-server over real TLS. The client
side of the profile is written with python3-cryptography, independently
of src/protocol (devicetest.py), so that both ends are checked against the
document."""

import json
import os
import secrets
import time

from cryptography.hazmat.primitives.asymmetric import ec

import servertest
from devicetest import (CLAIMS, POLL_TIMEOUT, DeviceTestCase, b64u, jwk_of, jws_payload,
                        sign_headers, thumbprint)


class DeviceTests(DeviceTestCase):
    # 1. registration

    def test_register(self):
        self.boot()
        device = self.register()
        reg = jws_payload(device.registration, self.authority, "entsec-registration+jwt")
        self.assertEqual(reg["device_id"], device.id)
        self.assertTrue(device.id.startswith("dev_"))
        self.assertEqual(reg["key_jkt"], thumbprint(jwk_of(device.key)))
        self.assertEqual(reg["user_id"], self.users["ann@example.com"])
        self.assertEqual(reg["authority_jwks"]["keys"][0]["kid"], self.authority["kid"])
        self.assertEqual(reg["endpoints"]["policy"],
                         self.issuer + "/v1/devices/%s/policy" % device.id)
        policy = jws_payload(device.policy, self.authority, "entsec-policy+jwt")
        self.assertEqual(policy["device_id"], device.id)
        self.assertEqual(policy["policy_version"], 1)
        self.assertEqual(policy["device_state"], "active")
        self.assertEqual(policy["exp"] - policy["iat"], 7 * 24 * 3600)
        status, _, shown, _ = self.admin("GET", "/v1/admin/devices/" + device.id)
        self.assertEqual(status, 200)
        self.assertEqual(shown["claims"]["device"], CLAIMS)
        self.assertEqual(shown["state"], "active")
        status, _, audit, _ = self.admin("GET", "/v1/admin/audit")
        self.assertIn(("device.register", device.id),
                      [(e["action"], e["target"]) for e in audit["entries"]])

    def test_enrollment_token_single_use_and_checked(self):
        self.boot()
        verified = self.enroll()
        wrong = dict(verified, registration_challenge=b64u(secrets.token_bytes(32)))
        self.assertProblem(self.register_raw(wrong)[1], 400, "invalid_code")
        forged = dict(verified, enrollment_token=b64u(secrets.token_bytes(32)))
        self.assertProblem(self.register_raw(forged)[1], 400, "invalid_code")
        self.assertEqual(self.register_raw(verified)[1][0], 201)
        self.assertProblem(self.register_raw(verified)[1], 400, "invalid_code")

    def test_register_needs_proof_of_possession(self):
        self.boot()
        verified = self.enroll()
        other = ec.generate_private_key(ec.SECP256R1())
        self.assertProblem(self.register_raw(verified, sign_key=other)[1],
                           401, "invalid_signature")
        self.assertProblem(self.register_raw(verified, keyid="jkt:" + thumbprint(jwk_of(other)),
                                             sign_key=other)[1], 401, "invalid_signature")
        # the failed attempts did not use the token up
        self.assertEqual(self.register_raw(verified)[1][0], 201)

    def test_register_rejects_bad_claims_and_keys(self):
        self.boot()
        verified = self.enroll()
        result = self.register_raw(verified, claims={"serial": "x"})[1]
        self.assertProblem(result, 400, "invalid_request")
        self.assertIn("machine_fp", result[2]["detail"])
        result = self.register_raw(verified, colour="blue")[1]
        self.assertProblem(result, 400, "invalid_request")
        self.assertEqual(self.register_raw(verified)[1][0], 201)

    def test_device_limit(self):
        env = dict(os.environ, ENTSEC_SERVER_MAX_DEVICES_PER_USER="2")
        self.boot(env=env)
        first = self.register()
        self.register()
        self.assertProblem(self.register_raw(self.enroll())[1], 409, "device_limit")
        self.register("bob@example.com")  # per user
        self.assertEqual(self.admin("POST", "/v1/admin/devices/%s/revoke" % first.id)[0], 204)
        self.register()  # a revoked device no longer counts

    # 2. signed requests

    def test_signed_policy_etag(self):
        self.boot()
        device = self.register()
        policy, resp = self.policy_of(device)
        self.assertEqual(policy["policy_version"], 1)
        etag = resp.getheader("ETag")
        self.assertEqual(etag, '"p1"')
        status, resp, _, data = device.get_policy()
        self.assertEqual(status, 200)
        status, resp, _, data = self.send_if_none_match(device, etag)
        self.assertEqual(status, 304)
        self.assertEqual(data, b"")
        self.assertEqual(self.send_if_none_match(device, '"p0"')[0], 200)

    def send_if_none_match(self, device, etag):
        path = "/v1/devices/%s/policy" % device.id
        headers = sign_headers(device.key, device.keyid, "GET", self.issuer + path, None)
        headers["If-None-Match"] = etag
        return self.send("GET", path, None, headers)

    def test_replayed_request(self):
        self.boot()
        device = self.register()
        path = "/v1/devices/%s/policy" % device.id
        headers = sign_headers(device.key, device.keyid, "GET", self.issuer + path, None)
        self.assertEqual(self.send("GET", path, None, headers)[0], 200)
        self.assertProblem(self.send("GET", path, None, headers), 401, "invalid_signature")
        self.assertIn("replay", self.server.stop() == 0 and self.server.log)

    def test_refused_signatures(self):
        self.boot()
        device = self.register()
        other = self.register("bob@example.com")
        now = int(time.time())
        cases = {
            "another key": dict(key=other.key),
            "another device's keyid": dict(keyid=other.keyid, key=other.key),
            "unknown device": dict(keyid="dev_nobody#1"),
            "old key epoch": dict(keyid=device.id + "#2"),
            "created too early": dict(created=now - 120),
            "created in the future": dict(created=now + 120),
            "expired": dict(created=now - 50, expires=now - 5),
            "lifetime over 300 s": dict(created=now, expires=now + 301),
        }
        for name, sign in cases.items():
            with self.subTest(name):
                self.assertProblem(device.get_policy(**sign), 401, "invalid_signature")
        # the request path names the device the key must belong to
        path = "/v1/devices/%s/policy" % other.id
        headers = sign_headers(device.key, device.keyid, "GET", self.issuer + path, None)
        self.assertProblem(self.send("GET", path, None, headers), 401, "invalid_signature")
        self.assertEqual(device.get_policy()[0], 200)

    def test_body_must_match_digest(self):
        self.boot()
        device = self.register()
        path = "/v1/devices/%s/status" % device.id
        raw = json.dumps({"v": 1, "device": CLAIMS}).encode()
        headers = sign_headers(device.key, device.keyid, "POST", self.issuer + path, raw)
        tampered = raw.replace(b"fp-1", b"fp-2")
        self.assertProblem(self.send("POST", path, tampered, headers), 401, "invalid_signature")
        self.assertEqual(self.send("POST", path, raw, headers)[0], 200)

    def test_missing_signature(self):
        self.boot()
        device = self.register()
        result = self.server.request("GET", "/v1/devices/%s/policy" % device.id)
        self.assertProblem(result, 401, "invalid_signature")

    # 3. policies

    def put_policy(self, scope, settings):
        return self.admin("PUT", "/v1/admin/policies/" + scope, {"v": 1, "settings": settings})

    def test_policy_precedence_and_version(self):
        self.boot()
        device = self.register()
        other = self.register("bob@example.com")
        user = self.users["ann@example.com"]
        self.assertEqual(self.put_policy("tenant", {"clipboard": {"clear_after": 60},
                                                    "tokens": {"min_digits": 8}})[0], 204)
        policy, _ = self.policy_of(device)
        self.assertEqual(policy["settings"]["clipboard"]["clear_after"], 60)
        self.assertEqual(policy["policy_version"], 2)
        self.assertEqual(self.put_policy("users/" + user, {"clipboard": {"clear_after": 45}})[0],
                         204)
        self.assertEqual(self.put_policy("devices/" + device.id,
                                         {"clipboard": {"clear_after": 15}})[0], 204)
        policy, _ = self.policy_of(device)
        self.assertEqual(policy["settings"]["clipboard"]["clear_after"], 15)
        self.assertEqual(policy["settings"]["tokens"]["min_digits"], 8)
        self.assertEqual(policy["settings"]["clipboard"]["allow_copy"], True)  # default
        self.assertEqual(policy["policy_version"], 3)
        again, _ = self.policy_of(device)
        self.assertEqual(again["policy_version"], 3)  # unchanged: same version
        bob, _ = self.policy_of(other)
        self.assertEqual(bob["settings"]["clipboard"]["clear_after"], 60)
        self.put_policy("devices/" + device.id, {})
        policy, _ = self.policy_of(device)
        self.assertEqual(policy["settings"]["clipboard"]["clear_after"], 45)
        self.assertEqual(policy["policy_version"], 4)  # a change back is a new version
        status, _, stored, _ = self.admin("GET", "/v1/admin/policies/users/" + user)
        self.assertEqual(stored["settings"], {"clipboard": {"clear_after": 45}})

    def test_min_client_version(self):
        """binding.min_client_version is enforced where the client reports its
        version: at registration (tenant and user policies) and at heartbeats."""
        self.boot()
        user = self.user("ann@example.com")
        self.assertEqual(self.put_policy("users/" + user,
                                         {"binding": {"min_client_version": "1.9"}})[0], 204)
        verified = self.enroll()
        for client in ({"name": "entsec", "version": "0.1"},
                       {"name": "entsec", "version": "1.8.9"}, {"name": "entsec"}):
            with self.subTest(client=client):
                _, result = self.register_raw(verified, client=client)
                self.assertProblem(result, 403, "client_too_old")
                self.assertIn("1.9 or later", result[2]["detail"])
        # the refused attempts left the enrollment token usable; 1.10 > 1.9
        _, result = self.register_raw(verified, client={"name": "entsec", "version": "1.10"})
        self.assertEqual(result[0], 201, result[2])
        # bob has no user policy: the tenant's minimum "0" lets anything in
        bob = self.register("bob@example.com", client={"name": "entsec", "version": "0.1"})
        path = "/v1/devices/%s/status" % bob.id
        ok = {"v": 1, "device": CLAIMS, "client": {"name": "entsec", "version": "0.1"}}
        self.assertEqual(bob.signed("POST", path, ok)[0], 200)
        # raised for the tenant: bob's next heartbeat with 0.1 is refused, 2.0 passes
        self.assertEqual(self.put_policy("tenant", {"binding": {"min_client_version": "1.2"}})[0],
                         204)
        result = bob.signed("POST", path, ok)
        self.assertProblem(result, 403, "client_too_old")
        self.assertIn("version 0.1", result[2]["detail"])
        self.assertProblem(bob.signed("POST", path, {"v": 1, "device": CLAIMS}), 403,
                           "client_too_old")
        newer = dict(ok, client={"name": "entsec", "version": "2.0~beta1"})
        self.assertEqual(bob.signed("POST", path, newer)[0], 200)
        same = dict(ok, client={"name": "entsec", "version": "1.2"})
        self.assertEqual(bob.signed("POST", path, same)[0], 200)

    def test_policy_validation(self):
        self.boot()
        cases = [
            ({"colour": {"x": 1}}, "Unknown section \"settings.colour\""),
            ({"tokens": {"colour": 1}}, "Unknown setting \"settings.tokens.colour\""),
            ({"tokens": {"min_digits": 5}}, "\"settings.tokens.min_digits\" must be an integer "
                                            "from 6 to 8"),
            ({"tokens": {"allow_export": "yes"}}, "must be true or false"),
            ({"push": {"number_matching": "maybe"}}, "must be one of"),
            ({"tokens": {"allowed_algorithms": ["SHA1", "SHA1"]}}, "different values"),
            ({"binding": {"min_client_version": "1.x"}}, "must be a version"),
            ([], "\"settings\" must be an object"),
        ]
        for settings, message in cases:
            with self.subTest(message):
                result = self.put_policy("tenant", settings)
                self.assertProblem(result, 400, "invalid_request")
                self.assertIn(message, result[2]["detail"])
        self.assertProblem(self.put_policy("users/usr_nobody", {}), 404, "not_found")
        self.assertProblem(self.server.request("PUT", "/v1/admin/policies/tenant",
                                               body={"v": 1, "settings": {}}), 401,
                           "unauthorized")

    # 4. revoke, heartbeat, op-challenge, unbind

    def test_revoked_device(self):
        self.boot()
        device = self.register()
        self.assertProblem(self.admin("POST", "/v1/admin/devices/dev_nobody/revoke"), 404,
                           "not_found")
        self.assertEqual(self.admin("POST", "/v1/admin/devices/%s/revoke" % device.id)[0], 204)
        policy, _ = self.policy_of(device)
        self.assertEqual(policy["device_state"], "revoked")
        self.assertEqual(policy["policy_version"], 2)
        result = device.signed("POST", "/v1/devices/%s/status" % device.id,
                               {"v": 1, "device": CLAIMS})
        self.assertProblem(result, 403, "device_revoked")
        result = device.signed("POST", "/v1/devices/%s/op-challenge" % device.id,
                               {"v": 1, "op": "unbind"})
        self.assertProblem(result, 403, "device_revoked")
        # revocation is not undone by reactivating
        self.assertProblem(self.admin("POST", "/v1/admin/devices/%s/activate" % device.id), 409,
                           "conflict")
        self.assertEqual(self.admin("POST", "/v1/admin/devices/%s/revoke" % device.id)[0], 204)

    def test_device_of_deleted_user(self):
        """Deleting a user revokes their devices and removes their tokens in the
        same step; a waiting poll wakes; the audit log names each device."""
        self.boot()
        device = self.register()
        second = self.register()
        bob = self.register("bob@example.com")
        self.assertEqual(device.get_policy()[0], 200)
        user = self.users["ann@example.com"]
        status, _, token, _ = self.admin("POST", "/v1/admin/tokens",
                                         {"v": 1, "user": user, "type": "totp"})
        self.assertEqual(status, 201, token)
        status, body = self.poll(second, "wait=0&cursor=0")
        cursor = body["cursor"]
        thread, result = self.poll_in_background(second, "wait=30&cursor=%d" % cursor)
        self.wait_until_waiting(1)
        self.assertEqual(self.admin("DELETE", "/v1/admin/users/" + user)[0], 204)
        thread.join(POLL_TIMEOUT)
        status, body = result[0]
        self.assertEqual((status, [e["type"] for e in body["events"]]), (200, ["policy"]))
        self.assertProblem(device.get_policy(), 403, "device_revoked")
        self.assertProblem(second.signed("POST", "/v1/devices/%s/status" % second.id,
                                         {"v": 1, "device": CLAIMS}), 403, "device_revoked")
        for d in (device, second):
            self.assertEqual(self.admin("GET", "/v1/admin/devices/" + d.id)[2]["state"],
                             "revoked")
        self.assertEqual(self.admin("GET", "/v1/admin/devices/" + bob.id)[2]["state"], "active")
        self.assertEqual(bob.get_policy()[0], 200)
        self.assertProblem(self.admin("GET", "/v1/admin/tokens/" + token["id"]), 404,
                           "not_found")
        entries = self.admin("GET", "/v1/admin/audit")[2]["entries"]
        actions = [(e["action"], e.get("target")) for e in entries]
        self.assertIn(("user.delete", user), actions)
        revoked = [t for a, t in actions if a == "device.revoke"]
        self.assertEqual(sorted(revoked), sorted([device.id, second.id]))
        # the id is gone: a second delete finds nothing
        self.assertProblem(self.admin("DELETE", "/v1/admin/users/" + user), 404, "not_found")

    def test_heartbeat_mismatch_rule(self):
        self.boot()
        device = self.register()
        path = "/v1/devices/%s/status" % device.id
        status, _, body, _ = device.signed("POST", path, {"v": 1, "device": CLAIMS})
        self.assertEqual((status, body["binding"], body["action"]), (200, "ok", "none"))
        moved = dict(CLAIMS, machine_fp="fp-other")
        status, _, body, _ = device.signed("POST", path, {"v": 1, "device": moved})
        self.assertEqual((status, body["binding"], body["action"]), (200, "mismatch", "warn"))
        self.put_policy("tenant", {"binding": {"on_mismatch": "lock"}})
        status, _, body, _ = device.signed("POST", path, {"v": 1, "device": moved})
        self.assertEqual((status, body["action"]), (200, "lock"))
        self.assertProblem(device.signed("POST", path, {"v": 1, "device": CLAIMS}), 403,
                           "device_revoked")
        policy, _ = self.policy_of(device)
        self.assertEqual(policy["device_state"], "suspended")
        shown = self.admin("GET", "/v1/admin/devices/" + device.id)[2]
        self.assertEqual(shown["mismatches"], 2)
        # an admin lifts the suspension
        self.assertEqual(self.admin("POST", "/v1/admin/devices/%s/activate" % device.id)[0], 204)
        self.put_policy("tenant", {})
        self.assertEqual(device.signed("POST", path, {"v": 1, "device": CLAIMS})[0], 200)
        self.assertEqual(self.policy_of(device)[0]["device_state"], "active")

    def test_unbind_needs_op_challenge(self):
        self.boot()
        device = self.register()
        base = "/v1/devices/%s/" % device.id
        result = device.signed("POST", base + "unbind", {"v": 1, "nonce": "made-up"})
        self.assertProblem(result, 400, "invalid_request")
        status, _, rekey, _ = device.signed("POST", base + "op-challenge", {"v": 1, "op": "rekey"})
        self.assertEqual(status, 200)
        result = device.signed("POST", base + "unbind", {"v": 1, "nonce": rekey["nonce"]})
        self.assertProblem(result, 400, "invalid_request")  # a nonce for another op
        status, _, challenge, _ = device.signed("POST", base + "op-challenge",
                                                {"v": 1, "op": "unbind"})
        self.assertEqual((status, challenge["op"], challenge["expires_in"]), (200, "unbind", 300))
        status, _, body, _ = device.signed("POST", base + "unbind",
                                           {"v": 1, "nonce": challenge["nonce"]})
        self.assertEqual(status, 200, body)
        receipt = jws_payload(body["receipt"], self.authority, "entsec-receipt+jwt")
        self.assertEqual((receipt["device_id"], receipt["op"]), (device.id, "unbind"))
        self.assertProblem(device.get_policy(), 403, "device_revoked")
        self.assertEqual(self.admin("GET", "/v1/admin/devices/" + device.id)[2]["state"],
                         "unbound")
        self.assertProblem(self.admin("POST", "/v1/admin/devices/%s/revoke" % device.id), 409,
                           "conflict")  # unbound is final

    def test_unbind_forbidden_by_policy(self):
        self.boot()
        device = self.register()
        self.put_policy("tenant", {"device": {"allow_user_unbind": False}})
        base = "/v1/devices/%s/" % device.id
        challenge = device.signed("POST", base + "op-challenge", {"v": 1, "op": "unbind"})[2]
        result = device.signed("POST", base + "unbind", {"v": 1, "nonce": challenge["nonce"]})
        self.assertProblem(result, 403, "forbidden")

    def test_admin_device_list(self):
        self.boot()
        ann = self.register()
        bob = self.register("bob@example.com")
        status, _, body, _ = self.admin("GET", "/v1/admin/devices")
        self.assertEqual(sorted(d["id"] for d in body["devices"]), sorted([ann.id, bob.id]))
        status, _, body, _ = self.admin("GET", "/v1/admin/devices?user=" +
                                        self.users["bob@example.com"])
        self.assertEqual([d["id"] for d in body["devices"]], [bob.id])
        self.assertProblem(self.admin("GET", "/v1/admin/devices/dev_nobody"), 404, "not_found")

    # 5. commands

    def test_commands(self):
        self.boot()
        device = self.register()
        base = "/v1/admin/devices/%s/commands" % device.id
        self.assertProblem(self.admin("POST", base, {"v": 1, "type": "format"}), 400,
                           "invalid_request")
        self.assertProblem(self.admin("POST", "/v1/admin/devices/dev_nobody/commands",
                                      {"v": 1, "type": "lock"}), 404, "not_found")
        status, _, command, _ = self.admin("POST", base, {"v": 1, "type": "lock"})
        self.assertEqual((status, command["state"]), (201, "pending"), command)
        signed = jws_payload(command["command"], self.authority, "entsec-command+jwt")
        self.assertEqual((signed["device_id"], signed["command_id"], signed["type"]),
                         (device.id, command["id"], "lock"))
        ack = "/v1/devices/%s/commands/%s/ack" % (device.id, command["id"])
        other = self.register("bob@example.com")
        result = other.signed("POST", "/v1/devices/%s/commands/%s/ack" % (other.id,
                                                                        command["id"]),
                              {"v": 1, "result": "done"})
        self.assertProblem(result, 404, "not_found")  # not bob's command
        self.assertProblem(device.signed("POST", ack, {"v": 1, "result": "maybe"}), 400,
                           "invalid_request")
        # "credentials_wiped" (a locked device's wipe, docs/protocol.md 8.8) answers a wipe only
        self.assertProblem(device.signed("POST", ack, {"v": 1, "result": "credentials_wiped"}),
                           400, "invalid_request")
        status, _, body, _ = device.signed("POST", ack, {"v": 1, "result": "done"})
        self.assertEqual((status, body["state"], body["result"]), (200, "acked", "done"), body)
        self.assertProblem(device.signed("POST", ack, {"v": 1, "result": "done"}), 409,
                           "conflict")
        listed = self.admin("GET", base)[2]["commands"]
        self.assertEqual([(c["id"], c["state"]) for c in listed], [(command["id"], "acked")])
        # a revoked device can still acknowledge its wipe, done in part while locked
        wipe = self.admin("POST", base, {"v": 1, "type": "wipe"})[2]
        self.admin("POST", "/v1/admin/devices/%s/revoke" % device.id)
        status, _, body, _ = device.signed(
            "POST", "/v1/devices/%s/commands/%s/ack" % (device.id, wipe["id"]),
            {"v": 1, "result": "credentials_wiped"})
        self.assertEqual((status, body["result"]), (200, "credentials_wiped"), body)

    def test_state_survives_restart(self):
        self.boot()
        device = self.register()
        path = "/v1/devices/%s/policy" % device.id
        headers = sign_headers(device.key, device.keyid, "GET", self.issuer + path, None)
        self.assertEqual(self.send("GET", path, None, headers)[0], 200)
        self.put_policy("tenant", {"push": {"number_matching": "choose"}})
        self.server.stop()
        server = self.boot()
        self.assertEqual(self.issuer, "https://localhost:%d" % server.port)
        # the issuer (and so the target URI) follows the new port; the nonce is remembered
        headers = sign_headers(device.key, device.keyid, "GET", self.issuer + path, None,
                               nonce=headers["Signature-Input"].split('nonce="')[1][:22])
        self.assertProblem(self.send("GET", path, None, headers), 401, "invalid_signature")
        policy, _ = self.policy_of(device)
        self.assertEqual(policy["settings"]["push"]["number_matching"], "choose")
        self.assertEqual(policy["policy_version"], 2)


if __name__ == "__main__":
    servertest.main()
