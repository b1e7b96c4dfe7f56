#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-server-push.py ENTSEC_SERVER: push sign-in with number matching end
to end on the real entsec-server over real TLS (docs/protocol.md section
8.14): a relying party starts a push, the user's devices get it on their
events long-poll as a JWS checked with python3-cryptography, a device
answers with its signed response, the relying party sees the outcome.
Wrong numbers, not_me, answers bound to their delivery."""

import base64
import hashlib

import servertest
from devicetest import POLL_TIMEOUT, DeviceTestCase, jwk_of, jws_payload, thumbprint


def b64u_sha256(text):
    return base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()


class PushTests(DeviceTestCase):
    def setUp(self):
        super().setUp()
        self.cursors = {}

    def rp(self):
        status, _, body, _ = self.admin("POST", "/v1/admin/rps", {"v": 1, "name": "vpn"})
        self.assertEqual(status, 201, body)
        return body["api_key"]

    def start_push(self, key, user, mode=None):
        body = {"v": 1, "user": user, "context": {"app": "VPN", "ip": "192.0.2.7"}}
        if mode is not None:
            body["number_matching"] = mode
        status, _, tx, _ = self.server.request("POST", "/v1/auth/push", body, token=key)
        self.assertEqual(status, 201, tx)
        return tx

    def transaction(self, key, tx):
        status, _, got, _ = self.server.request(
            "GET", "/v1/auth/transactions/" + tx["transaction_id"], token=key)
        self.assertEqual(status, 200, got)
        return got

    def pushes(self, device):
        """The push events that came since the last look: [(event data, JWS payload)]."""
        status, body = self.poll(device, "wait=0&cursor=%d" % self.cursors.get(device.id, 0))
        self.assertEqual(status, 200, body)
        self.cursors[device.id] = body["cursor"]
        return [(e["data"], jws_payload(e["data"]["push"], self.authority, "entsec-push+jwt"))
                for e in body["events"] if e["type"] == "push"]

    def answer(self, device, data, payload, **fields):
        body = {"v": 1, "nonce": payload["nonce"], "push_sha256": b64u_sha256(data["push"]),
                "decision": "approve"}
        body.update(fields)
        return device.signed("POST", "/v1/challenges/%s/response" % data["challenge_id"], body)

    def test_push_reaches_waiting_poll_and_approves(self):
        self.boot()
        key = self.rp()
        ann = self.register()
        ann2 = self.register()
        bob = self.register("bob@example.com")
        thread, result = self.poll_in_background(ann, "wait=30&cursor=0")
        self.wait_until_waiting(1)
        tx = self.start_push(key, self.users["ann@example.com"])
        thread.join(POLL_TIMEOUT)
        status, body = result[0]
        self.assertEqual(status, 200, body)
        [event] = body["events"]
        self.assertEqual(event["type"], "push")
        self.assertEqual(event["data"]["challenge_id"], tx["transaction_id"])
        payload = jws_payload(event["data"]["push"], self.authority, "entsec-push+jwt")
        self.assertEqual((payload["challenge_id"], payload["device_id"], payload["iss"]),
                         (tx["transaction_id"], ann.id, self.issuer))
        self.assertEqual(payload["key_jkt"], thumbprint(jwk_of(ann.key)))
        self.assertEqual(payload["exp"] - payload["iat"], 60)
        self.assertEqual(payload["context"], {"app": "VPN", "ip": "192.0.2.7"})
        # "enter": the number is on the sign-in screen only, never in the push
        self.assertEqual(payload["number_matching"], {"mode": "enter", "digits": 2})
        self.assertNotIn("number", payload)
        # the user's other device got its own push (own nonce); bob's none
        [(data2, payload2)] = self.pushes(ann2)
        self.assertEqual(payload2["device_id"], ann2.id)
        self.assertNotEqual(payload2["nonce"], payload["nonce"])
        self.assertEqual(self.pushes(bob), [])
        status, _, got, _ = self.answer(ann, event["data"], payload, number=tx["number"])
        self.assertEqual((status, got["state"]), (200, "approved"), got)
        got = self.transaction(key, tx)
        self.assertEqual(got["state"], "approved")
        # answered once
        self.assertProblem(self.answer(ann2, data2, payload2, number=tx["number"]), 409,
                           "conflict")

    def test_wrong_number_three_times_closes(self):
        self.boot()
        key = self.rp()
        ann = self.register()
        tx = self.start_push(key, self.users["ann@example.com"])
        [(data, payload)] = self.pushes(ann)
        wrong = 10 if tx["number"] != 10 else 11
        for _ in range(2):
            self.assertProblem(self.answer(ann, data, payload, number=wrong), 400, "invalid_code")
            self.assertEqual(self.transaction(key, tx)["state"], "pending")
        self.assertProblem(self.answer(ann, data, payload, number=wrong), 400, "invalid_code")
        got = self.transaction(key, tx)
        self.assertEqual((got["state"], got["deny_reason"], got["flagged"]),
                         ("denied", "wrong_number", True))
        # closed: the right number comes too late
        self.assertProblem(self.answer(ann, data, payload, number=tx["number"]), 409,
                           "conflict")

    def test_not_me_mutes(self):
        self.boot()
        key = self.rp()
        ann = self.register()
        user = self.users["ann@example.com"]
        tx = self.start_push(key, user)
        [(data, payload)] = self.pushes(ann)
        status, _, got, _ = self.answer(ann, data, payload, decision="deny", deny_reason="not_me")
        self.assertEqual((status, got["state"]), (200, "denied"), got)
        got = self.transaction(key, tx)
        self.assertEqual((got["state"], got["deny_reason"]), ("denied", "not_me"))
        # muted: the next push is stored muted and reaches no device
        muted = self.start_push(key, user)
        self.assertEqual(muted["state"], "muted")
        self.assertEqual(self.pushes(ann), [])

    def test_deny_reasons(self):
        """Each documented reason is kept for the relying party; only not_me mutes;
        anything else is refused and leaves the challenge open."""
        self.boot()
        key = self.rp()
        ann = self.register()
        user = self.users["ann@example.com"]
        for bad in ({"deny_reason": "nope"}, {"deny_reason": "NOT_ME"},
                    {"deny_reason": "declined", "decision": "approve"}):
            with self.subTest(bad=bad):
                tx = self.start_push(key, user)
                [(data, payload)] = self.pushes(ann)
                fields = dict({"decision": "deny"}, **bad)
                self.assertProblem(self.answer(ann, data, payload, **fields), 400,
                                   "invalid_request")
                self.assertEqual(self.transaction(key, tx)["state"], "pending")
                self.assertEqual(self.answer(ann, data, payload, decision="deny")[0], 200)
        tx = self.start_push(key, user)
        for reason in ("declined", None, "cancelled", "other", "not_me"):
            with self.subTest(reason=reason):
                [(data, payload)] = self.pushes(ann)
                fields = {"decision": "deny"}
                if reason is not None:
                    fields["deny_reason"] = reason
                status, _, got, _ = self.answer(ann, data, payload, **fields)
                self.assertEqual((status, got["state"]), (200, "denied"), got)
                got = self.transaction(key, tx)
                self.assertEqual((got["state"], got["deny_reason"]),
                                 ("denied", reason or "declined"))
                # only not_me (the last) mutes the next push
                tx = self.start_push(key, user)
                self.assertEqual(tx["state"], "muted" if reason == "not_me" else "pending")

    def test_choose_mode_and_none(self):
        self.boot()
        key = self.rp()
        ann = self.register()
        tx = self.start_push(key, self.users["ann@example.com"], "choose")
        [(data, payload)] = self.pushes(ann)
        matching = payload["number_matching"]
        self.assertEqual((matching["mode"], matching["digits"]), ("choose", 2))
        self.assertEqual(len(set(matching["choices"])), 3)
        self.assertIn(tx["number"], matching["choices"])
        self.assertTrue(all(10 <= n <= 99 for n in matching["choices"]))
        self.assertEqual(self.answer(ann, data, payload, number=tx["number"])[0], 200)
        tx = self.start_push(key, self.users["ann@example.com"], "none")
        [(data, payload)] = self.pushes(ann)
        self.assertEqual(payload["number_matching"], {"mode": "none"})
        self.assertEqual(self.answer(ann, data, payload)[0], 200)
        self.assertEqual(self.transaction(key, tx)["state"], "approved")

    def test_answer_bound_to_its_delivery(self):
        self.boot()
        key = self.rp()
        ann, ann2 = self.register(), self.register()
        bob = self.register("bob@example.com")
        tx = self.start_push(key, self.users["ann@example.com"])
        [(data, payload)] = self.pushes(ann)
        [(data2, payload2)] = self.pushes(ann2)
        number = tx["number"]
        # another device's nonce or push, a device that was not sent it, no such challenge
        self.assertProblem(self.answer(ann, data, dict(payload, nonce=payload2["nonce"]),
                                       number=number), 400, "invalid_request")
        self.assertProblem(self.answer(ann, data2, payload, number=number), 400,
                           "invalid_request")
        self.assertProblem(self.answer(bob, data, payload, number=number), 404, "not_found")
        self.assertProblem(self.answer(ann, dict(data, challenge_id="ptx_nothing"), payload,
                                       number=number), 404, "not_found")
        for bad in ({"number": "42"}, {"decision": "maybe"}, {"deny_reason": 1},
                    {"extra": "x"}, {"number": 100}):
            with self.subTest(bad=bad):
                self.assertProblem(self.answer(ann, data, payload, **bad), 400,
                                   "invalid_request")
        # unsigned
        self.assertProblem(self.server.request(
            "POST", "/v1/challenges/%s/response" % tx["transaction_id"],
            body={"v": 1}), 401, "invalid_signature")
        self.assertEqual(self.transaction(key, tx)["state"], "pending")
        # a revoked device is refused and gets no further pushes
        self.admin("POST", "/v1/admin/devices/%s/revoke" % ann2.id)
        self.assertProblem(self.answer(ann2, data2, payload2, number=number), 403,
                           "device_revoked")
        self.start_push(key, self.users["ann@example.com"])
        self.assertEqual(len(self.pushes(ann)), 1)
        self.assertEqual(self.admin("GET", "/v1/admin/devices/%s" % ann2.id)[2]["state"],
                         "revoked")


if __name__ == "__main__":
    servertest.main()
