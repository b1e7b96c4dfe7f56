#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-app-enroll-resend.py: the enrollment assistant's "Send Again"
countdown and Cancel against the real entsec-server.

The server runs over TLS on loopback (the certificates its --init made;
codes to its outbox); a user has the email address of an activation link
that pins the server's key and authority key. The widget test
test-app-enroll-resend (C, on the real display of xvfb-session.sh) sends
the code, steps its injected clock through the countdown, asks for a new
code before the server allows one (429 with Retry-After) and cancels.
argv[1] is entsec-server; ENTSEC_ENROLL_RESEND_TEST the widget test.
"""

import os
import re
import subprocess
import sys
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "server"))
import servertest  # noqa: E402
from servertest import ServerTestCase  # noqa: E402

WIDGET_TEST = os.environ["ENTSEC_ENROLL_RESEND_TEST"]
EMAIL = "ann@example.com"


def activation_link(port, jkt, data_dir, address):
    quote = lambda v: urllib.parse.quote(v, safe="")  # noqa: E731
    pin = servertest.spki_pin(os.path.join(data_dir, "server.pem"))
    return "entsec://enroll?server=%s&tenant=default&jkt=%s&pin=%s&address=%s" % (
        quote("https://localhost:%d" % port), quote(jkt), quote(pin), quote(address))


class ResendTests(ServerTestCase):
    def test_countdown_retry_after_and_cancel(self):
        self.start()
        status, _, body, _ = self.server.request("POST", "/v1/admin/users", token=self.token,
                                                 body={"email": EMAIL})
        self.assertEqual(status, 201, body)
        jkt = re.search(r"authority key thumbprint: (\S+)", self.init.stdout).group(1)
        env = dict(os.environ, ENTSEC_TEST_LINK=activation_link(
            self.server.port, jkt, self.data_dir, EMAIL))
        result = subprocess.run([WIDGET_TEST], env=env, capture_output=True, text=True,
                                timeout=240, check=False)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        # The code went out once: the resend was refused before any was sent.
        with open(os.path.join(self.data_dir, "outbox.jsonl"), encoding="utf-8") as f:
            self.assertEqual(len(f.readlines()), 1)


if __name__ == "__main__":
    servertest.main()
