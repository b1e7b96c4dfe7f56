#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""demotest.py: tools/demo-server --no-app for the tests that need the demo
(test-demo.py, tests/ui/screenshots.py): started, its printed lines read as
they come, stopped with SIGTERM as Ctrl-C or the app's exit would."""

import os
import re
import select
import signal
import subprocess

TIMEOUT = 20  # seconds without a line from the demo before giving up


class Demo:
    """tools/demo-server --no-app BUILD_DIR, up and ready. Attributes, from what
    it printed: state, port, user_id, qr, link, push_line (the entsec-admin
    push command line, by the user's name, with a context), env_file."""

    def __init__(self, script, build_dir):
        self.proc = subprocess.Popen([script, "--no-app", build_dir], stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines = []
        self._pending = ""
        try:
            self.state = self.read_until(r"^==> Demo state .*: (/\S+)$").group(1)
            self.port = int(self.read_until(r"listening on https://localhost:(\d+) ").group(1))
            self.user_id = self.read_until(r"user demo-user \(.*\): (usr_\S+)$").group(1)
            self.qr = self.read_until(r"^==> Activation QR code: (/\S+)$").group(1)
            self.link = self.read_until(r"^Activation link: (entsec://enroll\?\S+)$").group(1)
            self.push_line = self.read_until(
                r"^\s+(\S*entsec-admin .* push demo-user .*)$").group(1)
            self.env_file = self.read_until(r"source (/\S+/demo\.env)$").group(1)
            self.read_until(r"^==> The server runs until you stop it")
        except BaseException:
            self.stop()
            raise

    def next_line(self):
        """The next line printed, or "" after TIMEOUT seconds without one or at the end.
        Reads the pipe itself: select() on a buffered file object misses the
        lines already in its buffer (several lines written at once)."""
        while "\n" not in self._pending:
            ready, _, _ = select.select([self.proc.stdout], [], [], TIMEOUT)
            chunk = os.read(self.proc.stdout.fileno(), 65536) if ready else b""
            if not chunk:
                line, self._pending = self._pending, ""
                return line
            self._pending += chunk.decode("utf-8", errors="replace")
        line, self._pending = self._pending.split("\n", 1)
        return line + "\n"

    def read_until(self, pattern):
        """The first match of @pattern in the next lines printed; fails after TIMEOUT
        seconds without a line, or when the demo stops."""
        while True:
            line = self.next_line()
            if not line:
                raise AssertionError("the demo printed no line matching %r; it printed:\n%s%s"
                                     % (pattern, "".join(self.lines), self.stop()[1]))
            self.lines.append(line)
            match = re.search(pattern, line)
            if match:
                return match

    def code(self, channel="email"):
        """The next code the demo prints from its outbox for @channel."""
        return self.read_until(r"^outbox: \S+ %s to \S+: code (\d{6}) " % channel).group(1)

    def push(self):
        """Runs the printed push line; returns (transaction id, number)."""
        pushed = subprocess.run(["bash", "-c", self.push_line], capture_output=True, text=True,
                                timeout=60, check=False)
        if pushed.returncode != 0:
            raise AssertionError("the printed push line failed: " + pushed.stderr)
        return (re.search(r"^transaction_id: (ptx_\S+)$", pushed.stdout, re.M).group(1),
                re.search(r"^number: (\d+)$", pushed.stdout, re.M).group(1))

    def stop(self):
        """SIGTERM; returns (exit status, stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            _, err = self.proc.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        return self.proc.returncode, (err or b"").decode("utf-8", errors="replace")
