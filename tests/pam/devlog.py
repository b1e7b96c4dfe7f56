# SPDX-License-Identifier: GPL-3.0-or-later
"""devlog.py: a listener on /dev/log, for where nothing else listens (a
chroot, a container): keeps the lines pam_syslog() sends, so that the tests
can check what pam_entsec logs. test-pam.py and tools/pam-e2e.py use it."""

import os
import socket
import threading


class Syslog:
    """A datagram listener on /dev/log (when nothing else is), keeping every line."""

    PATH = "/dev/log"

    def __init__(self):
        self.lines = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.PATH)
        os.chmod(self.PATH, 0o666)  # as a syslog daemon's: any process may log
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                return
            if not data:
                return
            self.lines.append(data.decode("utf-8", "replace"))

    def messages(self):
        """The message part of each line (after "pam_entsec(SERVICE:auth): ")."""
        return [line.split("): ", 1)[-1] for line in self.lines]

    def close(self):
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        os.unlink(self.PATH)
