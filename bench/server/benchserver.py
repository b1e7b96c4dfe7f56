#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""benchserver.py: what the server benchmarks share: a fresh data dir made
with --init, a config with the enrollment limits raised (every request of a
benchmark comes from 127.0.0.1, so the default 60 a minute per IP would
answer 429 almost at once) and a server started on a free loopback port."""

import os
import select
import subprocess

LIMIT = 100000  # rate_limit_ip, rate_limit_address and rate_limit_user


class BenchServer:
    def __init__(self, server_bin, tmp, settings):
        """Inits TMP/data and starts the server with `settings` ({key: value}) added."""
        self.data = os.path.join(tmp, "data")
        subprocess.run([server_bin, "--data-dir", self.data, "--init"], check=True,
                       capture_output=True)
        conf = os.path.join(tmp, "server.conf")
        with open(conf, "w", encoding="ascii") as f:
            f.write("# bench: all requests come from 127.0.0.1; enrollment limits raised\n")
            for key in ("rate_limit_ip", "rate_limit_address", "rate_limit_user"):
                f.write("%s = %d\n" % (key, LIMIT))
            for key, value in settings.items():
                f.write("%s = %s\n" % (key, value))
        self.log = open(os.path.join(tmp, "server.log"), "w", encoding="utf-8")
        self.proc = subprocess.Popen([server_bin, "--config", conf, "--data-dir", self.data,
                                      "--listen", "127.0.0.1:0"],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 30)
        line = self.proc.stdout.readline() if ready else ""
        if "listening on https://" not in line:
            self.stop()
            raise SystemExit("the server did not start; see " + self.log.name)
        self.port = int(line.rsplit(":", 1)[1])
        self.cafile = os.path.join(self.data, "ca.pem")
        with open(os.path.join(self.data, "admin-token"), encoding="ascii") as f:
            self.token = f.read().strip()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.wait(timeout=60)
        self.log.close()
