#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""entsec-server's relying party API and server-side tokens over real TLS:
API keys, token provisioning with the ack step, code validation (once per
step, also under 20 concurrent requests), lockout, state across restarts.

Codes are computed here from the secret the admin API hands out once
(RFC 6238 with hmac), at the current time: the server accepts the steps
before and after its own, so no test depends on when it runs.
"""

import base64
import threading

import servertest
from servertest import ServerTestCase, hotp, step


class RpTest(ServerTestCase):
    def admin(self, method, path, body=None):
        return self.server.request(method, path, body, token=self.token)

    def add_rp(self, name="portal"):
        status, _, body, _ = self.admin("POST", "/v1/admin/rps", {"v": 1, "name": name})
        self.assertEqual(status, 201, body)
        return body

    def add_user(self, email="ada@example.com"):
        status, _, body, _ = self.admin("POST", "/v1/admin/users", {"v": 1, "email": email})
        self.assertEqual(status, 201, body)
        return body["id"]

    def add_token(self, user, **extra):
        status, _, body, _ = self.admin("POST", "/v1/admin/tokens",
                                        {"v": 1, "user": user, "type": "totp", **extra})
        self.assertEqual(status, 201, body)
        return body

    def active_token(self, user):
        """A token acked with the code of the current step (that step is then used)."""
        token = self.add_token(user)
        status, _, body, _ = self.admin("POST", "/v1/admin/tokens/%s/ack" % token["id"],
                                        {"v": 1, "code": hotp(token["secret"], step())})
        self.assertEqual(status, 204, body)
        return token

    def validate(self, key, code, user=None, token=None):
        body = {"v": 1, "code": code}
        if user is not None:
            body["user"] = user
        if token is not None:
            body["token"] = token
        return self.server.request("POST", "/v1/auth/validate", body, token=key)

    def wrong_code(self, secret):
        now = step()
        valid = {hotp(secret, s) for s in range(now - 2, now + 3)}
        return next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)

    def audit_text(self):
        status, _, body, raw = self.admin("GET", "/v1/admin/audit?limit=1000")
        self.assertEqual(status, 200)
        return body, raw.decode()

    def test_rp_key_shown_once_and_checked(self):
        self.start()
        rp = self.add_rp()
        key = rp["api_key"]
        self.assertTrue(rp["id"].startswith("rp_"))
        self.assertGreaterEqual(len(base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))), 32)
        status, _, listed, raw = self.admin("GET", "/v1/admin/rps")
        self.assertEqual(status, 200)
        self.assertEqual([r["id"] for r in listed["rps"]], [rp["id"]])
        self.assertNotIn(key, raw.decode())
        self.assertNotIn("api_key", listed["rps"][0])
        self.assertProblem(self.add_rp_raw("portal"), 409, "conflict")
        self.assertProblem(self.add_rp_raw(""), 400, "invalid_request")
        user = self.add_user()
        # No key, a wrong key, the admin token: all 401 before anything else.
        self.assertProblem(self.server.request("POST", "/v1/auth/validate",
                                               {"v": 1, "user": user, "code": "123456"}),
                           401, "unauthorized")
        self.assertProblem(self.validate(key[:-2] + "AA", "123456", user=user), 401,
                           "unauthorized")
        self.assertProblem(self.validate(self.token, "123456", user=user), 401, "unauthorized")
        # The right key reaches the check (no token yet: invalid_code).
        self.assertProblem(self.validate(key, "123456", user=user), 400, "invalid_code")
        self.assertEqual(self.admin("DELETE", "/v1/admin/rps/" + rp["id"])[0], 204)
        self.assertProblem(self.admin("DELETE", "/v1/admin/rps/" + rp["id"]), 404, "not_found")
        self.assertProblem(self.validate(key, "123456", user=user), 401, "unauthorized")
        _, raw = self.audit_text()
        self.assertIn("rp.create", raw)
        self.assertIn("rp.revoke", raw)
        self.assertNotIn(key, raw)

    def add_rp_raw(self, name):
        return self.admin("POST", "/v1/admin/rps", {"v": 1, "name": name})

    def test_token_provisioning_and_ack(self):
        self.start()
        user = self.add_user()
        key = self.add_rp()["api_key"]
        token = self.add_token(user, issuer="Example", label="ada")
        self.assertEqual(token["state"], "pending")
        self.assertGreaterEqual(len(base64.b32decode(token["secret"] + "=" *
                                                     (-len(token["secret"]) % 8))), 20)
        status, _, got, raw = self.admin("GET", "/v1/admin/tokens/" + token["id"])
        self.assertEqual(status, 200)
        self.assertNotIn("secret", got)
        self.assertNotIn(token["secret"], raw.decode())
        # A pending token validates nothing, even with the right code.
        self.assertProblem(self.validate(key, hotp(token["secret"], step()), user=user), 400,
                           "invalid_code")
        self.assertProblem(self.admin("POST", "/v1/admin/tokens/%s/ack" % token["id"],
                                      {"v": 1, "code": self.wrong_code(token["secret"])}),
                           400, "invalid_code")
        self.assertProblem(self.admin("POST", "/v1/admin/tokens/%s/ack" % token["id"],
                                      {"v": 1, "code": "12ab56"}), 400, "invalid_request")
        status, _, _, _ = self.admin("POST", "/v1/admin/tokens/%s/ack" % token["id"],
                                     {"v": 1, "code": hotp(token["secret"], step())})
        self.assertEqual(status, 204)
        status, _, listed, _ = self.admin("GET", "/v1/admin/tokens?user=" + user)
        self.assertEqual([(t["id"], t["state"]) for t in listed["tokens"]],
                         [(token["id"], "active")])
        # Refused parameters, with the rule in the message.
        for bad in ({"type": "sms"}, {"type": "totp", "digits": 5},
                    {"type": "totp", "period": 0}, {"type": "totp", "algorithm": "MD5"},
                    {"type": "totp", "colour": "red"}):
            result = self.admin("POST", "/v1/admin/tokens", {"v": 1, "user": user, **bad})
            self.assertProblem(result, 400, "invalid_request")
        self.assertProblem(self.admin("POST", "/v1/admin/tokens",
                                      {"v": 1, "user": "usr_nobody", "type": "totp"}),
                           404, "not_found")

    def test_code_accepted_once(self):
        self.start()
        user = self.add_user()
        key = self.add_rp()["api_key"]
        token = self.active_token(user)
        code = hotp(token["secret"], step() + 1)
        status, _, body, _ = self.validate(key, code, user=user)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["token"], token["id"])
        self.assertProblem(self.validate(key, code, user=user), 400, "invalid_code")
        self.assertProblem(self.validate(key, code, token=token["id"]), 400, "invalid_code")
        entries, _ = self.audit_text()
        ok = [e for e in entries["entries"] if e["action"] == "auth.validate.ok"]
        self.assertEqual([e.get("target") for e in ok], [token["id"]])
        self.assertFalse(any(code in (e.get("target") or "") for e in entries["entries"]))

    def test_concurrent_uses_of_one_code(self):
        self.start()
        user = self.add_user()
        key = self.add_rp()["api_key"]
        token = self.active_token(user)
        code = hotp(token["secret"], step() + 1)
        barrier = threading.Barrier(20)
        statuses = []

        def use():
            barrier.wait(timeout=30)
            statuses.append(self.validate(key, code, token=token["id"])[0])

        threads = [threading.Thread(target=use) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        self.assertEqual(sorted(statuses), [200] + [400] * 19)

    def test_lockout_survives_restart_and_admin_reset(self):
        server = self.start()
        user = self.add_user()
        key = self.add_rp()["api_key"]
        token = self.active_token(user)
        good = hotp(token["secret"], step() + 1)
        wrong = self.wrong_code(token["secret"])
        for _ in range(5):
            self.assertProblem(self.validate(key, wrong, user=user), 400, "invalid_code")
        locked = self.validate(key, good, user=user)
        self.assertProblem(locked, 429, "rate_limited")
        self.assertGreater(int(locked[1].getheader("Retry-After")), 0)
        server.stop()
        self.start()
        self.assertProblem(self.validate(key, good, user=user), 429, "rate_limited")
        status, _, got, _ = self.admin("GET", "/v1/admin/tokens/" + token["id"])
        self.assertEqual(got["failures"], 5)
        self.assertIn("locked_until", got)
        self.assertEqual(self.admin("POST", "/v1/admin/tokens/%s/reset" % token["id"])[0], 204)
        status, _, body, _ = self.validate(key, good, user=user)
        self.assertEqual(status, 200, body)
        _, raw = self.audit_text()
        self.assertIn("auth.validate.locked", raw)
        self.assertIn("token.reset", raw)

    def test_used_step_survives_restart(self):
        server = self.start()
        user = self.add_user()
        key = self.add_rp()["api_key"]
        token = self.active_token(user)
        code = hotp(token["secret"], step() + 1)
        self.assertEqual(self.validate(key, code, user=user)[0], 200)
        server.stop()
        self.start()
        self.assertProblem(self.validate(key, code, user=user), 400, "invalid_code")

    def test_revoked_token_and_bad_requests(self):
        self.start()
        user = self.add_user()
        key = self.add_rp()["api_key"]
        token = self.active_token(user)
        for bad in ({"v": 1, "code": "123456"},
                    {"v": 1, "code": "123456", "user": user, "token": token["id"]},
                    {"v": 1, "user": user},
                    {"v": 1, "user": user, "code": 123456},
                    {"v": 1, "user": user, "code": "12345"}):
            self.assertProblem(self.server.request("POST", "/v1/auth/validate", bad, token=key),
                               400, "invalid_request")
        self.assertEqual(self.admin("DELETE", "/v1/admin/tokens/" + token["id"])[0], 204)
        self.assertProblem(self.admin("DELETE", "/v1/admin/tokens/" + token["id"]), 404,
                           "not_found")
        self.assertProblem(self.validate(key, hotp(token["secret"], step() + 1), user=user),
                           400, "invalid_code")

    def test_user_named_by_email_address(self):
        self.start()
        user = self.add_user("Ada@Example.com")
        self.add_user("bob@example.com")
        key = self.add_rp()["api_key"]
        token = self.active_token(user)
        # Validate: the address (any case, spaces trimmed) stands for the user.
        code = hotp(token["secret"], step() + 1)
        status, _, body, _ = self.validate(key, code, user=" ADA@example.COM ")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["token"], token["id"])
        # Another user's address, or one nobody has: refused as a wrong code is.
        self.assertProblem(self.validate(key, hotp(token["secret"], step() - 1),
                                         user="bob@example.com"), 400, "invalid_code")
        self.assertProblem(self.validate(key, hotp(token["secret"], step() - 1),
                                         user="nobody@example.com"), 400, "invalid_code")
        # Push: the transactions are the user's: two by address and one by id
        # fill the user's three pending ones, so a fourth by id is refused.
        for who in ("ada@example.com", "Ada@example.com", user):
            status, _, got, _ = self.server.request("POST", "/v1/auth/push",
                                                    {"v": 1, "user": who}, token=key)
            self.assertEqual(status, 201, got)
        self.assertProblem(self.server.request("POST", "/v1/auth/push",
                                               {"v": 1, "user": user}, token=key),
                           429, "rate_limited")
        self.assertProblem(self.server.request("POST", "/v1/auth/push",
                                               {"v": 1, "user": "nobody@example.com"},
                                               token=key), 404, "not_found")
        # A disabled user's address is unknown too.
        status, _, got, _ = self.admin("POST", "/v1/admin/users/%s/disable" % user, {"v": 1})
        self.assertIn(status, (200, 204), got)
        self.assertProblem(self.server.request("POST", "/v1/auth/push",
                                               {"v": 1, "user": "ada@example.com"},
                                               token=key), 404, "not_found")

    def test_push_start_poll_and_cap(self):
        self.start()
        user = self.add_user()
        key = self.add_rp()["api_key"]
        other = self.add_rp("other")["api_key"]
        body = {"v": 1, "user": user, "context": {"app": "VPN", "ip": "192.0.2.7"}}
        self.assertProblem(self.server.request("POST", "/v1/auth/push", body), 401,
                           "unauthorized")
        started = []
        for _ in range(3):
            status, _, got, _ = self.server.request("POST", "/v1/auth/push", body, token=key)
            self.assertEqual(status, 201, got)
            self.assertEqual(got["state"], "pending")
            self.assertTrue(10 <= got["number"] <= 99)
            self.assertTrue(0 < got["expires_in"] <= 60)
            started.append(got["transaction_id"])
        self.assertEqual(len(set(started)), 3)
        fourth = self.server.request("POST", "/v1/auth/push", body, token=key)
        self.assertProblem(fourth, 429, "rate_limited")
        self.assertTrue(0 < int(fourth[1].getheader("Retry-After")) <= 60)
        status, _, got, _ = self.server.request("GET", "/v1/auth/transactions/" + started[0],
                                                token=key)
        self.assertEqual(status, 200, got)
        self.assertEqual((got["transaction_id"], got["state"]), (started[0], "pending"))
        self.assertProblem(self.server.request("GET", "/v1/auth/transactions/" + started[0],
                                               token=other), 404, "not_found")
        self.assertProblem(self.server.request("GET", "/v1/auth/transactions/ptx_nothing",
                                               token=key), 404, "not_found")
        status, _, got, _ = self.server.request("POST", "/v1/auth/push",
                                                {"v": 1, "user": self.add_user("b@example.com"),
                                                 "number_matching": "none"}, token=key)
        self.assertEqual(status, 201, got)
        self.assertNotIn("number", got)
        for bad in ({"v": 1, "user": user, "context": {"App": "x"}},
                    {"v": 1, "user": user, "context": {"app": 1}},
                    {"v": 1, "user": user, "context": "VPN"},
                    {"v": 1, "user": user, "number_matching": "guess"},
                    {"v": 1, "context": {}}):
            self.assertProblem(self.server.request("POST", "/v1/auth/push", bad, token=key),
                               400, "invalid_request")
        self.assertProblem(self.server.request("POST", "/v1/auth/push",
                                               {"v": 1, "user": "usr_nobody"}, token=key),
                           404, "not_found")
        entries, _ = self.audit_text()
        self.assertEqual(sum(e["action"] == "push.start" for e in entries["entries"]), 4)


if __name__ == "__main__":
    servertest.main()
