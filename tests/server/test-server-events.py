#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-server-events.py ENTSEC_SERVER: the events long-poll
(GET /v1/devices/{id}/events?wait=&cursor=, docs/protocol.md section 8.13) on
the real entsec-server over real TLS: pending events at once, a waiting poll
woken by a new event, an empty answer at the deadline, cursors, refusals,
200 polls waiting at once, and shutdown answering the waiting ones."""

import time

import servertest
from devicetest import POLL_TIMEOUT, DeviceTestCase, sign_headers


class EventTests(DeviceTestCase):
    def command(self, device, kind="lock"):
        status, _, body, _ = self.admin("POST", "/v1/admin/devices/%s/commands" % device.id,
                                        {"v": 1, "type": kind})
        self.assertEqual(status, 201, body)
        return body["id"]

    def test_pending_events_answered_at_once(self):
        self.boot()
        device = self.register()
        first, second = self.command(device, "lock"), self.command(device, "unlock")
        status, body = self.poll(device, "wait=30&cursor=0")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["v"], 1)
        self.assertFalse(body["more"])
        events = body["events"]
        self.assertEqual([e["type"] for e in events], ["command", "command"])
        self.assertEqual([e["data"]["command_id"] for e in events], [first, second])
        self.assertLess(events[0]["seq"], events[1]["seq"])
        self.assertEqual(body["cursor"], events[1]["seq"])
        # no cursor means from the start (nothing acknowledged yet)
        self.assertEqual(len(self.poll(device, "wait=0")[1]["events"]), 2)
        self.assertEqual(self.admin("GET", "/v1/admin/status")[2]["events"]["stored"], 2)
        # the cursor: only what came after it; what it acknowledges is deleted
        status, body = self.poll(device, "wait=0&cursor=%d" % events[0]["seq"])
        self.assertEqual([e["data"]["command_id"] for e in body["events"]], [second])
        kept = self.poll(device, "wait=0")[1]["events"]
        self.assertEqual([e["data"]["command_id"] for e in kept], [second])
        status, body = self.poll(device, "wait=0&cursor=%d" % events[1]["seq"])
        self.assertEqual((status, body["events"], body["cursor"]), (200, [], events[1]["seq"]))
        self.assertEqual(self.poll(device, "wait=0")[1]["events"], [])
        status, _, figures, _ = self.admin("GET", "/v1/admin/status")
        self.assertEqual(figures["events"], {"stored": 0, "oldest": None,
                                             "keep": 30 * 24 * 3600})

    def test_events_of_other_devices_not_shown(self):
        self.boot()
        ann, bob = self.register(), self.register("bob@example.com")
        self.command(bob)
        status, body = self.poll(ann, "wait=0&cursor=0")
        self.assertEqual((status, body["events"]), (200, []))
        # and the cursor stays where the device left it
        self.assertEqual(body["cursor"], 0)

    def test_event_wakes_waiting_poll(self):
        self.boot()
        device = self.register()
        started = time.monotonic()
        thread, result = self.poll_in_background(device, "wait=30&cursor=0")
        self.wait_until_waiting(1)
        command = self.command(device)
        thread.join(POLL_TIMEOUT)
        status, body = result[0]
        self.assertEqual(status, 200, body)
        self.assertEqual([e["data"]["command_id"] for e in body["events"]], [command])
        # answered by the event, not by the 30 s deadline
        self.assertLess(time.monotonic() - started, 25)
        self.assertEqual(self.waiting(), 0)

    def policy_types(self, device, cursor):
        status, body = self.poll(device, "wait=0&cursor=%d" % cursor)
        self.assertEqual(status, 200, body)
        return [e["type"] for e in body["events"]], body["cursor"]

    def test_policy_change_wakes_every_affected_device(self):
        """A tenant-wide policy reaches every active device (both waiting polls
        wake); a user's policy reaches that user's devices and no one else's."""
        self.boot()
        ann, ann2 = self.register(), self.register()
        bob = self.register("bob@example.com")
        cursors = {d.id: self.poll(d, "wait=0&cursor=0")[1]["cursor"] for d in (ann, ann2, bob)}
        polls = [self.poll_in_background(d, "wait=30&cursor=%d" % cursors[d.id])
                 for d in (ann, bob)]
        self.wait_until_waiting(2)
        status, _, body, _ = self.admin("PUT", "/v1/admin/policies/tenant",
                                        {"v": 1, "settings": {"clipboard": {"clear_after": 60}}})
        self.assertEqual(status, 204, body)
        for (thread, result), device in zip(polls, (ann, bob)):
            thread.join(POLL_TIMEOUT)
            status, body = result[0]
            self.assertEqual((status, [e["type"] for e in body["events"]]), (200, ["policy"]))
            cursors[device.id] = body["cursor"]
        types, cursors[ann2.id] = self.policy_types(ann2, cursors[ann2.id])
        self.assertEqual(types, ["policy"])
        # a user's policy: ann's two devices, not bob's
        user = self.users["ann@example.com"]
        status, _, body, _ = self.admin("PUT", "/v1/admin/policies/users/" + user,
                                        {"v": 1, "settings": {"clipboard": {"clear_after": 30}}})
        self.assertEqual(status, 204, body)
        self.assertEqual(self.policy_types(ann, cursors[ann.id])[0], ["policy"])
        self.assertEqual(self.policy_types(ann2, cursors[ann2.id])[0], ["policy"])
        self.assertEqual(self.policy_types(bob, cursors[bob.id])[0], [])

    def test_event_of_another_device_does_not_wake(self):
        self.boot()
        ann, bob = self.register(), self.register("bob@example.com")
        thread, result = self.poll_in_background(ann, "wait=2&cursor=0")
        self.wait_until_waiting(1)
        self.command(bob)
        thread.join(POLL_TIMEOUT)
        self.assertEqual(result[0], (200, {"v": 1, "events": [], "cursor": 0, "more": False}))

    def test_deadline_answers_empty(self):
        self.boot()
        device = self.register()
        self.command(device)
        cursor = self.poll(device, "wait=0")[1]["cursor"]
        status, body = self.poll(device, "wait=1&cursor=%d" % cursor, timeout=20)
        self.assertEqual((status, body["events"], body["cursor"]), (200, [], cursor))
        self.assertEqual(self.waiting(), 0)

    def test_bad_query_refused(self):
        self.boot()
        device = self.register()
        for query in ("wait=31", "wait=-1", "wait=abc", "wait=", "cursor=-1", "cursor=1x",
                      "cursor=99999999999999999999"):
            with self.subTest(query=query):
                status, body = self.poll(device, query)
                self.assertEqual(status, 400, body)
                self.assertEqual(body["type"], servertest.PROBLEM + "invalid_request")
                self.assertIn("from 0 to", body["detail"])

    def test_signature_covers_query(self):
        self.boot()
        device = self.register()
        # signed without the query, sent with it: refused
        path = "/v1/devices/%s/events" % device.id
        headers = sign_headers(device.key, device.keyid, "GET", self.issuer + path, None)
        self.assertProblem(self.send("GET", path + "?wait=0", None, headers), 401,
                           "invalid_signature")
        # signed with a different query: refused
        headers = sign_headers(device.key, device.keyid, "GET",
                               self.issuer + path + "?wait=1", None)
        self.assertProblem(self.send("GET", path + "?wait=0", None, headers), 401,
                           "invalid_signature")
        # another device's events: refused
        other = self.register("bob@example.com")
        headers = sign_headers(other.key, other.keyid, "GET",
                               self.issuer + path + "?wait=0", None)
        self.assertProblem(self.send("GET", path + "?wait=0", None, headers), 401,
                           "invalid_signature")

    def test_revoked_device_refused_and_told(self):
        self.boot()
        device = self.register()
        thread, result = self.poll_in_background(device, "wait=30&cursor=0")
        self.wait_until_waiting(1)
        self.assertEqual(self.admin("POST", "/v1/admin/devices/%s/revoke" % device.id)[0], 204)
        thread.join(POLL_TIMEOUT)
        status, body = result[0]
        self.assertEqual(status, 200, body)
        self.assertEqual([e["type"] for e in body["events"]], ["policy"])
        status, body = self.poll(device, "wait=0&cursor=%d" % body["cursor"])
        self.assertEqual(status, 403, body)
        self.assertEqual(body["type"], servertest.PROBLEM + "device_revoked")

    def test_many_waiting_polls(self):
        self.boot()
        devices = [self.register("user%d@example.com" % i) for i in range(4)]
        polls = [self.poll_in_background(devices[i % 4], "wait=30&cursor=0")
                 for i in range(200)]
        self.wait_until_waiting(200)
        started = time.monotonic()
        commands = [self.command(device) for device in devices]
        for i, (thread, result) in enumerate(polls):
            thread.join(POLL_TIMEOUT)
            status, body = result[0]
            self.assertEqual(status, 200, body)
            self.assertEqual([e["data"]["command_id"] for e in body["events"]],
                             [commands[i % 4]])
        # answered by the events, not by the 30 s deadline
        self.assertLess(time.monotonic() - started, 25)
        self.assertEqual(self.waiting(), 0)

    def test_shutdown_answers_waiting_polls(self):
        self.boot()
        device = self.register()
        polls = [self.poll_in_background(device, "wait=30&cursor=0") for _ in range(3)]
        self.wait_until_waiting(3)
        started = time.monotonic()
        self.assertEqual(self.server.stop(), 0, self.server.log)
        for thread, result in polls:
            thread.join(POLL_TIMEOUT)
            self.assertEqual(result[0], (200, {"v": 1, "events": [], "cursor": 0,
                                               "more": False}))
        self.assertLess(time.monotonic() - started, 25)


if __name__ == "__main__":
    servertest.main()
