#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Idle events long-polls held by entsec-server, and push delivery latency.

Registers DEVICES devices the way a client does (a user each, enroll start,
the code from outbox.jsonl, verify, a signed POST /v1/devices with a new
P-256 key), then opens POLLS_PER_DEVICE signed `GET
/v1/devices/{id}/events?wait=30` polls per device, each on its own TLS
connection (the server parks several polls of one device alike), waits until
GET /v1/admin/status says they are all parked and reads the server's RSS.
Then a relying party starts PUSHES pushes one after another, each for
another user; the latency of one push is from sending POST /v1/auth/push to
receiving the first answer of a poll of that user's device (the poll answer
carrying the push event), so it includes the RP's round trip.

    bench/server/run-longpoll-bench.py build/release [--devices 500] [--polls-per-device 10]

The enrollment limits are raised in the config as in run-server-bench.py
(every request comes from 127.0.0.1). The signing helpers are those of the
tests (tests/server/devicetest.py, python3-cryptography).
"""

import argparse
import asyncio
import os
import resource
import shutil
import ssl
import sys
import tempfile
import time

from benchserver import BenchServer, Https, percentile, register_device, rss_kib, uptime
from devicetest import sign_headers  # noqa: E402 (benchserver puts tests/server on the path)

WAIT = 30  # the longest hold the protocol allows


class LongPollBench:
    def __init__(self, args):
        self.args = args
        self.server_bin = os.path.join(args.build, "src/server/entsec-server")
        self.tmp = tempfile.mkdtemp(prefix="entsec-longpoll-bench-")
        self.proc = None
        self.answers = {}  # device index -> asyncio.Event set at its first answer
        self.answered_at = {}
        self.statuses = {}

    def start(self):
        self.srv = BenchServer(self.server_bin, self.tmp,
                               {"max_connections": self.total() + 1000})
        self.proc, self.port, self.token = self.srv.proc, self.srv.port, self.srv.token
        self.data = self.srv.data
        self.ctx = ssl.create_default_context(cafile=self.srv.cafile)
        self.https = Https(self.port, self.ctx)
        status, disco = self.https.call("GET", "/.well-known/entsec-configuration")
        assert status == 200, disco
        self.issuer = disco["issuer"]

    def total(self):
        return self.args.devices * self.args.polls_per_device

    def register_all(self):
        t0 = time.monotonic()
        self.devices = []
        with open(os.path.join(self.data, "outbox.jsonl"), "a+", encoding="utf-8") as outbox:
            outbox.seek(0)
            for i in range(self.args.devices):
                self.devices.append(register_device(self.https, self.token, self.issuer,
                                                    "lp%06d@example.com" % i, outbox))
        print("registered %d devices in %.1f s (setup, not a figure)"
              % (len(self.devices), time.monotonic() - t0))

    async def poll(self, index):
        _, device_id, key = self.devices[index]
        path = "/v1/devices/%s/events?wait=%d&cursor=0" % (device_id, WAIT)
        async with self.handshakes:
            reader, writer = await asyncio.open_connection("127.0.0.1", self.port, ssl=self.ctx,
                                                           server_hostname="localhost")
        self.connected += 1
        await self.go.wait()
        headers = sign_headers(key, device_id + "#1", "GET", self.issuer + path, None)
        head = "".join("%s: %s\r\n" % kv for kv in headers.items())
        writer.write(("GET %s HTTP/1.1\r\nHost: localhost\r\n%s\r\n" % (path, head)).encode())
        await writer.drain()
        self.sent += 1
        status_line = await reader.readline()
        now = time.monotonic()
        status = int(status_line.split()[1]) if status_line else 0
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if index not in self.answered_at:
            self.answered_at[index] = now
            self.answers[index].set()
        writer.close()

    def waiting(self):
        status, body = self.https.call("GET", "/v1/admin/status", token=self.token)
        assert status == 200, body
        return body["long_polls"]["waiting"]

    async def run(self):
        total = self.total()
        self.sent = self.connected = 0
        self.go = asyncio.Event()
        self.handshakes = asyncio.Semaphore(100)  # within the server's listen backlog
        rss_before = rss_kib(self.proc.pid)
        self.answers = {i: asyncio.Event() for i in range(self.args.devices)}
        tasks = [asyncio.ensure_future(self.poll(i)) for i in range(self.args.devices)
                 for _ in range(self.args.polls_per_device)]
        # First every TLS connection, then every poll: the polls' 30 s start together.
        t0 = time.monotonic()
        while self.connected < total and time.monotonic() - t0 < 50:
            await asyncio.sleep(0.1)
        print("%d TLS connections open after %.1f s (setup)" % (self.connected,
                                                                time.monotonic() - t0))
        self.go.set()
        t0 = time.monotonic()
        while True:
            parked = await asyncio.to_thread(self.waiting)
            if parked >= total or time.monotonic() - t0 > WAIT - 10:
                break
            await asyncio.sleep(0.2)
        settle = time.monotonic() - t0
        rss_held = rss_kib(self.proc.pid)
        print("polls parked: %d of %d after %.1f s; server RSS before %d KiB, with the polls "
              "held %d KiB (%.1f KiB a poll)"
              % (parked, total, settle, rss_before, rss_held,
                 (rss_held - rss_before) / max(parked, 1)))
        status, rp = await asyncio.to_thread(self.https.call, "POST", "/v1/admin/rps",
                                             {"v": 1, "name": "bench"}, self.token)
        assert status == 201, rp
        latencies, missed = [], 0
        for k in range(min(self.args.pushes, self.args.devices)):
            user_id = self.devices[k][0]
            if self.answers[k].is_set():
                missed += 1
                continue
            t_push = time.monotonic()
            status, body = await asyncio.to_thread(
                self.https.call, "POST", "/v1/auth/push",
                {"v": 1, "user": user_id, "number_matching": "none"}, rp["api_key"])
            assert status == 201, body
            try:
                await asyncio.wait_for(self.answers[k].wait(), 10)
                latencies.append(self.answered_at[k] - t_push)
            except asyncio.TimeoutError:
                missed += 1
        if latencies:
            print("push delivery (RP push sent -> poll answer received), %d pushes: "
                  "p50 %.1f ms, p99 %.1f ms, max %.1f ms; %d missed (poll answered or "
                  "timed out before its push)"
                  % (len(latencies), 1e3 * percentile(latencies, 0.5),
                     1e3 * percentile(latencies, 0.99), 1e3 * max(latencies), missed))
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        print("poll answers by status before the end: %s; setup/RP connection reopened %d "
              "times" % (self.statuses, self.https.reconnects))

    def stop(self):
        if self.proc is not None:
            self.srv.stop()
            with open(self.srv.log.name, encoding="utf-8") as f:
                lines = f.read().splitlines()
            print("server log: %d lines; last: %s" % (len(lines), lines[-3:]))
        shutil.rmtree(self.tmp)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build", help="a build directory (Release: build/release)")
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--polls-per-device", type=int, default=10)
    parser.add_argument("--pushes", type=int, default=200)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.devices * args.polls_per_device + 100
    if hard != resource.RLIM_INFINITY and hard < need:
        parser.error("the open-file hard limit (%d) is below %d" % (hard, need))
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, need), hard))
    print("uptime before:", uptime())
    bench = LongPollBench(args)
    try:
        bench.start()
        bench.register_all()
        asyncio.run(bench.run())
    finally:
        bench.stop()
    print("uptime after:", uptime())
    return 0


if __name__ == "__main__":
    sys.exit(main())
