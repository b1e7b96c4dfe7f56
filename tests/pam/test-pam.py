#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-pam.py ENTSEC_SERVER PAM_ENTSEC_SO: the real pam_entsec.so under
pamtester (the Debian package) against the real entsec-server over TLS on
loopback, with the CA --init made. A device registered with the server's
own harness (tests/server/devicetest.py) answers the pushes as a phone
would, with the number pamtester printed, as a person would type it.

pamtester reads /etc/pam.d (Debian 12's Linux-PAM has pam_start_confdir(),
but pamtester calls pam_start()), so each test writes its own
/etc/pam.d/entsec-test-RANDOM and removes it: root only, skipped (77)
otherwise, and without pamtester. When nothing listens on /dev/log, the
test listens there itself for the module's pam_syslog() lines, to check
that no key, code or number reaches them.
"""

import importlib
import os
import re
import secrets
import select
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))

import servertest  # noqa: E402
from devlog import Syslog  # noqa: E402
from devicetest import DeviceTestCase  # noqa: E402
from servertest import hotp, spki_pin, step  # noqa: E402

# the module, not the class: unittest would run its tests here too
PUSH = importlib.import_module("test-server-push")
MODULE = None  # set in main from argv[2]
PAMTESTER = shutil.which("pamtester")
WAIT = 60  # seconds any read from pamtester may take; every wait is bounded
ANSWER_RE = re.compile(r"number (\d+)")
UNAVAILABLE = "Authentication service cannot retrieve authentication info"  # PAM_AUTHINFO_UNAVAIL


SYSLOG = None


class PamTests(DeviceTestCase):
    rp = PUSH.PushTests.rp
    pushes = PUSH.PushTests.pushes
    answer = PUSH.PushTests.answer

    def setUp(self):
        super().setUp()
        self.cursors = {}
        self.service = "entsec-test-" + secrets.token_hex(6)
        self.pam_file = os.path.join("/etc/pam.d", self.service)
        self.addCleanup(lambda: os.path.exists(self.pam_file) and os.unlink(self.pam_file))
        self.boot()
        self.key = self.rp()
        self.key_file = os.path.join(self.tmp, "rp.key")
        with open(os.open(self.key_file, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(self.key + "\n")
        self.ca = os.path.join(self.data_dir, "ca.pem")
        self.log_start = len(SYSLOG.lines) if SYSLOG else 0

    def tearDown(self):
        try:
            if SYSLOG is not None:
                self.assert_log_clean()
        finally:
            super().tearDown()  # the server stops even when the log check fails

    # the PAM service and pamtester

    def configure(self, *extra, ca=True, server=None, key_file=None):
        """Writes the service: pam_entsec.so with the test server and `extra` options."""
        options = ["server=" + (server or "https://localhost:%d" % self.server.port),
                   "key_file=" + (key_file or self.key_file)]
        if ca:
            options.append("ca=" + self.ca)
        with open(self.pam_file, "w", encoding="utf-8") as f:
            f.write("auth required %s %s\n" % (MODULE, " ".join(options + list(extra))))
            f.write("account required pam_permit.so\n")

    def pamtester(self, login):
        """pamtester authenticating `login`, its output line-buffered as on a terminal."""
        proc = subprocess.Popen(
            ["stdbuf", "-oL", PAMTESTER, "-v", self.service, login, "authenticate"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(self.end, proc)
        return proc

    @staticmethod
    def end(proc):
        """A pamtester a failed test left waiting is killed."""
        if proc.poll() is None:
            proc.kill()
        proc.communicate()

    def read_number(self, proc):
        """The number pamtester shows, read as a person would read it (messages
        come on stdout, prompts on stderr; read unbuffered, so select() sees all)."""
        seen = ""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout, proc.stderr], [], [], 1)
            for stream in ready:
                chunk = os.read(stream.fileno(), 4096).decode("utf-8", "replace")
                self.assertNotEqual(chunk, "", "pamtester ended without a number: " + seen)
                seen += chunk
            match = ANSWER_RE.search(seen)
            if match:
                self.shown = seen
                return int(match.group(1))
        self.fail("no number shown in time: " + seen)

    def finish(self, proc, stdin=None):
        out, err = proc.communicate(stdin, timeout=WAIT)
        return proc.returncode, out + err

    def authenticate(self, login, stdin=None):
        return self.finish(self.pamtester(login), stdin)

    def assertSucceeded(self, result):
        code, output = result
        self.assertEqual(code, 0, output)
        self.assertIn("successfully authenticated", output)

    def assertRefused(self, result, message):
        code, output = result
        self.assertNotEqual(code, 0, output)
        self.assertNotIn("successfully authenticated", output)
        self.assertIn(message, output)

    def assertLogged(self, text):
        """`text` in a line the module logged (bounded wait: syslog is a datagram away)."""
        if SYSLOG is None:
            return
        deadline = time.monotonic() + 10
        while not any(text in m for m in SYSLOG.messages()[self.log_start:]):
            self.assertLess(time.monotonic(), deadline, "not logged: %r in %r" % (
                text, SYSLOG.messages()[self.log_start:]))
            time.sleep(0.05)

    def assert_log_clean(self, *secret_values):
        messages = SYSLOG.messages()[self.log_start:]
        for value in (self.key,) + tuple(secret_values) + tuple(getattr(self, "secrets", ())):
            word = re.compile(r"(?<![\w])%s(?![\w])" % re.escape(str(value)))
            # the count only: the message must not carry the secret either
            self.assertEqual(len([m for m in messages if word.search(m)]), 0,
                             "a secret reached the log")

    def ann(self):
        device = self.register()
        return device, self.users["ann@example.com"]

    def push_for(self, proc, device):
        """The number pamtester showed and the push that reached `device`."""
        number = self.read_number(proc)
        self.secrets = getattr(self, "secrets", []) + [number]
        [(data, payload)] = self.pushes(device)
        return number, data, payload

    # push

    def test_push_approved(self):
        device, user = self.ann()
        self.configure("user_map=" + self.user_map("ann " + user))
        proc = self.pamtester("ann")
        number, data, payload = self.push_for(proc, device)
        self.assertEqual(payload["context"]["app"], self.service)
        self.assertEqual(payload["context"]["login"], "ann")
        self.assertEqual(payload["number_matching"]["mode"], "enter")
        self.assertEqual(self.answer(device, data, payload, number=number)[0], 200)
        self.assertSucceeded(self.finish(proc))
        self.assertLogged("sign-in of ann (entsec user %s) accepted" % user)

    def test_push_for_a_login_named_by_email_address(self):
        """The server takes a user's email address for the user: a map may name users
        that way, and without a map a login that is the address needs none."""
        device, user = self.ann()
        self.configure("user_map=" + self.user_map("ann Ann@example.com"))
        proc = self.pamtester("ann")
        number, data, payload = self.push_for(proc, device)
        self.assertEqual(self.answer(device, data, payload, number=number)[0], 200)
        self.assertSucceeded(self.finish(proc))
        self.configure()
        proc = self.pamtester("ann@example.com")
        number, data, payload = self.push_for(proc, device)
        self.assertEqual(self.answer(device, data, payload, number=number)[0], 200)
        self.assertSucceeded(self.finish(proc))

    def test_push_with_prompt_enter(self):
        """prompt=enter (for sshd): the number comes with a prompt; Enter, then the wait."""
        device, user = self.ann()
        self.configure("prompt=enter", "user_map=" + self.user_map("ann " + user))
        proc = self.pamtester("ann")
        number, data, payload = self.push_for(proc, device)
        self.assertEqual(self.answer(device, data, payload, number=number)[0], 200)
        self.assertIn("Press Enter once you have approved", self.shown)
        self.assertSucceeded(self.finish(proc, "\n"))

    def test_push_denied(self):
        device, user = self.ann()
        self.configure("user_map=" + self.user_map("ann " + user))
        proc = self.pamtester("ann")
        _, data, payload = self.push_for(proc, device)
        self.assertEqual(self.answer(device, data, payload, decision="deny")[0], 200)
        self.assertRefused(self.finish(proc), "The sign-in was denied on the phone.")
        self.assertLogged("sign-in of ann denied: declined")

    def test_push_muted_after_not_me(self):
        """"Not me" on the phone mutes the user: the next sign-in is refused at
        once, with no number and nothing sent to the phone."""
        device, user = self.ann()
        self.configure("user_map=" + self.user_map("ann " + user))
        proc = self.pamtester("ann")
        _, data, payload = self.push_for(proc, device)
        self.assertEqual(self.answer(device, data, payload, decision="deny",
                                     deny_reason="not_me")[0], 200)
        self.assertRefused(self.finish(proc), "The sign-in was denied on the phone.")
        code, output = self.authenticate("ann")
        self.assertRefused((code, output), "Sign-in requests to your phone are paused.")
        self.assertNotIn("number", output)
        self.assertEqual(self.pushes(device), [])

    def test_push_wrong_number(self):
        """The phone types another number: refused three times, then denied."""
        device, user = self.ann()
        self.configure("user_map=" + self.user_map("ann " + user))
        proc = self.pamtester("ann")
        number, data, payload = self.push_for(proc, device)
        wrong = 10 if number != 10 else 11
        for _ in range(3):
            self.assertEqual(self.answer(device, data, payload, number=wrong)[0], 400)
        self.assertRefused(self.finish(proc), "The number entered on the phone was wrong.")
        self.assertLogged("sign-in of ann denied: wrong_number")

    def test_push_timeout(self):
        """No answer within timeout= (its minimum, 5 s): refused, the push left unanswered."""
        device, user = self.ann()
        self.configure("timeout=5", "user_map=" + self.user_map("ann " + user))
        proc = self.pamtester("ann")
        self.push_for(proc, device)
        self.assertRefused(self.finish(proc), "No answer came from your phone in time.")
        self.assertLogged("no answer within timeout=5")

    # the server out of reach, and a server that is not the one expected

    def test_server_down_fails_closed(self):
        self.ann()
        url = "https://localhost:%d" % self.server.port
        self.assertEqual(self.server.stop(), 0, self.server.log)
        self.server = None
        self.configure(server=url)
        self.assertRefused(self.authenticate("ann"), "The sign-in server cannot be reached.")
        self.configure("offline=deny", server=url)
        result = self.authenticate("ann")
        self.assertRefused(result, "The sign-in server cannot be reached.")
        self.assertRefused(result, UNAVAILABLE)
        self.configure("offline=allow", server=url)
        self.assertSucceeded(self.authenticate("ann"))
        self.assertLogged("offline=allow lets ann in without approval")

    def test_silent_server_is_not_offline(self):
        """A listener that takes the connection and never answers: reached, so
        offline=allow does not let anyone in (the call times out after timeout=5)."""
        self.ann()
        silent = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(silent.close)
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the handshakes; nobody reads
        url = "https://localhost:%d" % silent.getsockname()[1]
        self.configure("offline=allow", "timeout=5", server=url)
        result = self.authenticate("ann")
        self.assertRefused(result, "The sign-in server cannot be reached.")
        # PAM_AUTH_ERR, not PAM_AUTHINFO_UNAVAIL, which a PAM line may ignore
        self.assertRefused(result, "pamtester: Authentication failure")
        self.assertLogged("the call to %s failed" % url)

    def test_bad_certificate_denied_even_offline_allow(self):
        device, user = self.ann()
        other_ca = self.make_ca()
        # another CA
        self.configure("offline=allow", "ca=" + other_ca, ca=False)
        self.assertRefused(self.authenticate("ann"), "certificate was refused")
        # the system's CAs (which do not know the test CA)
        self.configure("offline=allow", ca=False)
        self.assertRefused(self.authenticate("ann"), "certificate was refused")
        # a pin of another key, alone and with the right CA
        wrong_pin = spki_pin(other_ca)
        self.configure("offline=allow", "pin=" + wrong_pin, ca=False)
        self.assertRefused(self.authenticate("ann"), "certificate was refused")
        self.configure("offline=allow", "pin=" + wrong_pin)
        self.assertRefused(self.authenticate("ann"), "certificate was refused")
        self.assertEqual(self.pushes(device), [])
        # the server's own pin, without a CA: the pin is the anchor
        pin = spki_pin(os.path.join(self.data_dir, "server.pem"))
        self.configure("pin=" + pin, "user_map=" + self.user_map("ann " + user), ca=False)
        proc = self.pamtester("ann")
        number, data, payload = self.push_for(proc, device)
        self.assertEqual(self.answer(device, data, payload, number=number)[0], 200)
        self.assertSucceeded(self.finish(proc))

    # TOTP

    def test_totp_accepted_once(self):
        _, user = self.ann()
        token = self.admin_token(user)
        self.configure("mode=totp", "user_map=" + self.user_map("ann " + user))
        code = hotp(token["secret"], token["step"] + 1)
        self.secrets = [code, token["secret"]]
        self.assertSucceeded(self.authenticate("ann", code + "\n"))
        # the same code again: a replay
        self.assertRefused(self.authenticate("ann", code + "\n"), "The code is not valid.")
        # not a code at all: refused before the server is asked
        self.assertRefused(self.authenticate("ann", "12ab56\n"), "The code is not valid.")
        self.assertLogged("code of ann refused (HTTP 400)")

    def test_totp_lockout(self):
        """Wrong codes in a row lock the token (the server's rule): the module then
        says so and answers PAM_MAXTRIES, also for the right code."""
        _, user = self.ann()
        token = self.admin_token(user)
        self.configure("mode=totp", "user_map=" + self.user_map("ann " + user))
        valid = {hotp(token["secret"], s) for s in range(token["step"] - 2, token["step"] + 4)}
        wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in valid)
        for _ in range(5):
            self.assertRefused(self.authenticate("ann", wrong + "\n"), "The code is not valid.")
        right = hotp(token["secret"], token["step"] + 1)
        self.secrets = [right, wrong, token["secret"]]
        result = self.authenticate("ann", right + "\n")
        self.assertRefused(result, "Too many wrong codes. Try again later.")
        self.assertRefused(result, "Have exhausted maximum number of retries")

    # users

    def test_user_map(self):
        device, user = self.ann()
        mapping = self.user_map("# admins\n\nroot   %s  # ann's phone approves root\n" % user)
        self.configure("user_map=" + mapping)
        proc = self.pamtester("root")
        number, data, payload = self.push_for(proc, device)
        self.assertEqual(payload["context"]["login"], "root")
        self.assertEqual(self.answer(device, data, payload, number=number)[0], 200)
        self.assertSucceeded(self.finish(proc))
        # a login the map does not name (though it is an entsec user's id: a
        # map is not topped up with the login names), and one the server does not know
        self.configure("timeout=5", "user_map=" + mapping)
        self.assertRefused(self.authenticate(user), "User not known")
        self.assertLogged("login %s is not in user_map=%s" % (user, mapping))
        # a login name that would forge a log line (sshd passes on what the client sent)
        self.assertRefused(self.authenticate("eve\nsign-in of root accepted"), "User not known")
        self.assertLogged("login eve?sign-in of root accepted is not in user_map")
        self.configure()
        self.assertRefused(self.authenticate("ghost"), "User not known")
        self.assertLogged("entsec-server has no enabled user ghost (login ghost)")
        # a map others may change, and a malformed one: the service fails closed
        os.chmod(mapping, 0o664)
        self.configure("user_map=" + mapping)
        self.assertRefused(self.authenticate("root"), "Error in service module")
        self.assertLogged("must not be writable by group or others")
        bad = self.user_map("root %s extra\n" % user)
        self.configure("user_map=" + bad)
        self.assertRefused(self.authenticate("root"), "Error in service module")
        self.assertLogged("line 1: expected")
        self.assertEqual(self.pushes(device), [])

    # configuration

    def test_key_file_refused(self):
        device, user = self.ann()
        self.configure("user_map=" + self.user_map("ann " + user))
        for mode in (0o640, 0o604, 0o620):
            os.chmod(self.key_file, mode)
            self.assertRefused(self.authenticate("ann"), "Error in service module")
        self.assertLogged("must not be accessible by group or others")
        os.chmod(self.key_file, 0o600)
        os.chown(self.key_file, 65534, -1)
        self.assertRefused(self.authenticate("ann"), "Error in service module")
        self.assertLogged("must be owned by the user the service runs as")
        os.chown(self.key_file, 0, -1)
        link = os.path.join(self.tmp, "link.key")
        os.symlink(self.key_file, link)
        self.configure("user_map=" + self.user_map("ann " + user), key_file=link)
        self.assertRefused(self.authenticate("ann"), "Error in service module")
        # not a key (a header could be smuggled with a line break), an empty file
        for content in ("two\nlines\n", "key with spaces\n", "\n", ""):
            with open(self.key_file, "w", encoding="ascii") as f:
                f.write(content)
            self.configure("user_map=" + self.user_map("ann " + user))
            self.assertRefused(self.authenticate("ann"), "Error in service module")
        self.assertLogged("must hold the relying party's API key")
        # a wrong key: the server answers 401
        with open(self.key_file, "w", encoding="ascii") as f:
            f.write("A" * 43 + "\n")
        self.configure("user_map=" + self.user_map("ann " + user))
        self.assertRefused(self.authenticate("ann"), "Error in service module")
        self.assertLogged("the server refused the API key")
        self.assertEqual(self.pushes(device), [])

    def test_options_strict(self):
        device, user = self.ann()
        for extra, logged in (
                (["debug"], 'unknown option "debug"'),
                (["secret=" + self.key], 'unknown option "secret"'),
                (["mode=sms"], 'option "mode" has a value it does not take'),
                (["timeout=3"], 'option "timeout" has a value'),
                (["timeout=60", "timeout=30"], 'option "timeout" is given twice'),
                (["offline=yes"], 'option "offline" has a value')):
            with self.subTest(extra=extra):
                self.configure(*extra)
                self.assertRefused(self.authenticate("ann"), "Error in service module")
                self.assertLogged(logged)
        self.configure(server="http://localhost:%d" % self.server.port)
        self.assertRefused(self.authenticate("ann"), "Error in service module")
        self.assertLogged("server= must be an https:// URL")
        self.configure(key_file="rp.key")
        self.assertRefused(self.authenticate("ann"), "Error in service module")
        self.assertLogged("key_file= and user_map= must be absolute paths")
        self.assertEqual(self.pushes(device), [])

    # helpers

    def user_map(self, text):
        path = os.path.join(self.tmp, "map-%s" % secrets.token_hex(4))
        with open(path, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        os.chmod(path, 0o644)
        return path

    def admin_token(self, user):
        """An active TOTP token of `user`, acked with the code of the current step
        (so that step is used); returns it with that "step"."""
        now = step()
        status, _, token, _ = self.admin("POST", "/v1/admin/tokens",
                                         {"v": 1, "user": user, "type": "totp"})
        self.assertEqual(status, 201, token)
        status, _, body, _ = self.admin("POST", "/v1/admin/tokens/%s/ack" % token["id"],
                                        {"v": 1, "code": hotp(token["secret"], now)})
        self.assertEqual(status, 204, body)
        return dict(token, step=now)

    def make_ca(self):
        """Another CA, made now: its certificate (for ca=) and key."""
        cert = os.path.join(self.tmp, "other-ca.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-keyout",
                        os.path.join(self.tmp, "other-ca.key"), "-out", cert, "-days", "1",
                        "-subj", "/CN=Another test CA"], check=True, capture_output=True)
        return cert


def main():
    global MODULE, SYSLOG
    if PAMTESTER is None:
        print("SKIP: pamtester is missing (apt-get install pamtester)")
        sys.exit(77)
    if os.geteuid() != 0 or not os.access("/etc/pam.d", os.W_OK):
        print("SKIP: pamtester reads /etc/pam.d only; this test writes a service file "
              "there, so it runs as root")
        sys.exit(77)
    MODULE = os.path.abspath(sys.argv.pop(2))
    if not os.path.exists(Syslog.PATH):
        SYSLOG = Syslog()
    try:
        servertest.main()
    finally:
        if SYSLOG is not None:
            SYSLOG.close()


if __name__ == "__main__":
    main()
