#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-client-http.py: libentsec's HTTPS client (src/core/enterprise/entsec-http.c).

Through http-probe (a small C tool over entsec_http_request()), against the
real entsec-server on loopback and against openssl s_server holding
certificates made here at test time: each way TLS can go wrong is refused
with its own error. argv[1] is entsec-server; ENTSEC_HTTP_PROBE the tool.
"""

import datetime
import json
import os
import select
import socket
import ssl
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))
import servertest  # noqa: E402
from servertest import ServerTestCase, spki_pin  # noqa: E402

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

PROBE = os.environ["ENTSEC_HTTP_PROBE"]
DISCOVERY = "/.well-known/entsec-configuration"
# A pin of no key anyone holds: the SHA-256 of nothing.
OTHER_PIN = "sha256//47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="


def probe(*args):
    """Runs http-probe; returns (exit code, first line, the rest)."""
    result = subprocess.run([PROBE, *args], capture_output=True, text=True, timeout=90,
                            check=False)
    first, _, rest = result.stdout.partition("\n")
    return result.returncode, first, rest


class RealServerTests(ServerTestCase):
    """The real entsec-server: its CA from --init, its key's pin."""

    def setUp(self):
        super().setUp()
        self.server = self.start()
        self.ca = os.path.join(self.data_dir, "ca.pem")
        self.pin = spki_pin(os.path.join(self.data_dir, "server.pem"))
        self.base = "https://localhost:%d" % self.server.port

    def test_ca_file_trusted(self):
        code, first, rest = probe("--ca", self.ca, "GET", self.base + DISCOVERY)
        self.assertEqual((code, first), (0, "status 200"), rest)
        self.assertIn("authority key thumbprint: " + json.loads(rest)["authority_jkt"],
                      self.init.stdout)

    def test_system_store_does_not_trust_the_server(self):
        code, first, rest = probe("GET", self.base + DISCOVERY)
        self.assertEqual((code, first), (1, "error untrusted"), rest)
        self.assertIn("not trusted", rest)

    def test_pin_of_a_link_anchors_trust(self):
        code, first, rest = probe("--pin", self.pin, "--anchor", "GET", self.base + DISCOVERY)
        self.assertEqual((code, first), (0, "status 200"), rest)

    def test_anchor_pin_of_another_key_refused(self):
        code, first, rest = probe("--pin", OTHER_PIN, "--anchor", "GET", self.base + DISCOVERY)
        self.assertEqual((code, first), (1, "error pin-mismatch"), rest)

    def test_pin_on_top_of_the_ca(self):
        code, first, rest = probe("--ca", self.ca, "--pin", OTHER_PIN + ";" + self.pin,
                                  "GET", self.base + DISCOVERY)
        self.assertEqual((code, first), (0, "status 200"), rest)
        code, first, rest = probe("--ca", self.ca, "--pin", OTHER_PIN,
                                  "GET", self.base + DISCOVERY)
        self.assertEqual((code, first), (1, "error pin-mismatch"), rest)

    def test_name_that_does_not_resolve(self):
        # .invalid never resolves (RFC 6761).
        code, first, rest = probe("--ca", self.ca, "GET", "https://entsec.invalid/")
        self.assertEqual((code, first), (1, "error resolve"), rest)

    def test_size_limit(self):
        code, first, rest = probe("--ca", self.ca, "--max", "64", "GET", self.base + DISCOVERY)
        self.assertEqual((code, first), (1, "error too-large"), rest)
        self.assertIn("over 64 bytes", rest)

    def test_rate_limited_says_how_long_to_wait(self):
        body = json.dumps({"v": 1, "channel": "email", "address": "nobody@example.com",
                           "client_nonce": "A" * 22})
        code, first, rest = probe("--ca", self.ca, "--body", body, "POST",
                                  self.base + "/v1/enroll/start")
        self.assertEqual((code, first), (0, "status 202"), rest)
        code, first, rest = probe("--ca", self.ca, "--body", body, "POST",
                                  self.base + "/v1/enroll/start")
        self.assertEqual((code, first), (1, "error rate-limited"), rest)
        self.assertRegex(rest, r"try again in [1-9][0-9]* seconds?")

    def test_problem_type_kept_apart(self):
        body = json.dumps({"v": 1, "enrollment_id": "enr_nothing", "code": "123456",
                           "client_nonce": "A" * 22})
        code, first, rest = probe("--ca", self.ca, "--body", body, "POST",
                                  self.base + "/v1/enroll/verify")
        self.assertEqual((code, first), (1, "error invalid-code"), rest)
        self.assertNotIn("123456", rest)

    def test_plain_http_refused(self):
        code, first, rest = probe("GET", "http://localhost:%d/" % self.server.port)
        self.assertEqual((code, first), (1, "error invalid-url"), rest)

    def test_nothing_listening(self):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        code, first, rest = probe("--ca", self.ca, "GET", "https://127.0.0.1:%d/" % port)
        self.assertEqual((code, first), (1, "error connect"), rest)


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(path, data):
    with open(path, "wb") as f:
        f.write(data)
    return path


class Pki:
    """A CA and leaf certificates made at test time, written as PEM files."""

    def __init__(self, directory, name):
        self.dir = directory
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name))
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(days=1))
                     .not_valid_after(now + datetime.timedelta(days=30))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                     .sign(self.key, hashes.SHA256()))
        self.ca_file = _write(os.path.join(directory, name + "-ca.pem"),
                              self.cert.public_bytes(serialization.Encoding.PEM))

    def leaf(self, label, host="localhost", days_from=-1, days_to=30, self_signed=False):
        """Writes LABEL.pem and LABEL-key.pem; returns (cert path, key path)."""
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        issuer_key, issuer = (key, _name(host)) if self_signed else (self.key, self.cert.subject)
        cert = (x509.CertificateBuilder().subject_name(_name(host)).issuer_name(issuer)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now + datetime.timedelta(days=days_from))
                .not_valid_after(now + datetime.timedelta(days=days_to))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
                .sign(issuer_key, hashes.SHA256()))
        key_pem = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        return (_write(os.path.join(self.dir, label + ".pem"),
                       cert.public_bytes(serialization.Encoding.PEM)),
                _write(os.path.join(self.dir, label + "-key.pem"), key_pem))


class OpensslServer:
    """openssl s_server on 127.0.0.1 with one certificate; stopped by stop()."""

    def __init__(self, cwd, cert, key, *extra):
        self.proc = subprocess.Popen(
            ["openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", cert, "-key", key,
             "-naccept", "1", *extra],
            cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
        # Read the raw pipe: a buffered reader could hold the ACCEPT line
        # while select() waits for more.
        seen = b""
        while b"ACCEPT " not in seen or not seen.split(b"ACCEPT ", 1)[1].count(b"\n"):
            ready, _, _ = select.select([self.proc.stdout], [], [], servertest.START_TIMEOUT)
            chunk = os.read(self.proc.stdout.fileno(), 4096) if ready else b""
            if not chunk:
                self.stop()
                raise AssertionError("openssl s_server did not start: " + seen.decode())
            seen += chunk
        self.port = int(seen.split(b"ACCEPT ", 1)[1].split(b"\n", 1)[0].rsplit(b":", 1)[1])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
        self.proc.communicate(timeout=servertest.START_TIMEOUT)


class SilentServer:
    """A TLS server on 127.0.0.1 that reads one request and never answers,
    as a server holding a long-poll does; stopped by stop()."""

    def __init__(self, cert, key):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._serve, args=(context,), daemon=True)
        self.thread.start()

    def _serve(self, context):
        try:
            conn, _ = self.listener.accept()
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(65536)
                self.done.wait(servertest.START_TIMEOUT * 4)
        except OSError:
            pass

    def stop(self):
        self.done.set()
        self.listener.close()
        self.thread.join()


class OpensslTlsMatrix(ServerTestCase):
    """Certificates and servers that must be refused, each with its own error."""

    def setUp(self):
        super().setUp()
        self.pki = Pki(self.tmp, "test")
        self.other = Pki(self.tmp, "other")
        self.openssl = None

    def tearDown(self):
        if self.openssl is not None:
            self.openssl.stop()
        super().tearDown()

    def serve(self, leaf, *extra):
        self.openssl = OpensslServer(self.tmp, leaf[0], leaf[1], *extra)
        return "https://localhost:%d/" % self.openssl.port

    def assertRefused(self, url, nick, *args, says=None):
        code, first, rest = probe(*args, "GET", url)
        self.assertEqual((code, first), (1, "error " + nick), rest)
        if says is not None:
            self.assertIn(says, rest)

    def test_control_a_good_certificate_is_accepted(self):
        url = self.serve(self.pki.leaf("good"), "-www")
        code, first, rest = probe("--ca", self.pki.ca_file, "GET", url)
        self.assertEqual((code, first), (0, "status 200"), rest)

    def silent(self):
        server = SilentServer(*self.pki.leaf("good"))
        self.addCleanup(server.stop)
        return "https://localhost:%d/" % server.port

    def test_a_call_waiting_for_its_answer_is_cancelled(self):
        url = self.silent()
        code, first, rest = probe("--ca", self.pki.ca_file, "--timeout", "30",
                                  "--cancel-after", "300", "GET", url)
        self.assertEqual((code, first), (1, "error cancelled"), rest)
        self.assertIn("was cancelled", rest)

    def test_control_the_silent_server_holds_the_call_until_its_timeout(self):
        url = self.silent()
        code, first, rest = probe("--ca", self.pki.ca_file, "--timeout", "2", "GET", url)
        self.assertEqual((code, first), (1, "error timeout"), rest)

    def test_self_signed(self):
        url = self.serve(self.pki.leaf("self", self_signed=True), "-www")
        self.assertRefused(url, "untrusted", "--ca", self.pki.ca_file, says="not trusted")

    def test_self_signed_anchored_by_its_pin(self):
        leaf = self.pki.leaf("self", self_signed=True)
        url = self.serve(leaf, "-www")
        code, first, rest = probe("--pin", spki_pin(leaf[0]), "--anchor", "GET", url)
        self.assertEqual((code, first), (0, "status 200"), rest)

    def test_expired(self):
        url = self.serve(self.pki.leaf("expired", days_from=-30, days_to=-1), "-www")
        self.assertRefused(url, "expired", "--ca", self.pki.ca_file, says="has expired")

    def test_expired_even_with_an_anchor_pin(self):
        leaf = self.pki.leaf("expired", days_from=-30, days_to=-1, self_signed=True)
        url = self.serve(leaf, "-www")
        self.assertRefused(url, "expired", "--pin", spki_pin(leaf[0]), "--anchor")

    def test_not_yet_valid(self):
        url = self.serve(self.pki.leaf("future", days_from=2, days_to=30), "-www")
        self.assertRefused(url, "expired", "--ca", self.pki.ca_file, says="not valid yet")

    def test_wrong_host(self):
        url = self.serve(self.pki.leaf("elsewhere", host="elsewhere.example"), "-www")
        self.assertRefused(url, "wrong-host", "--ca", self.pki.ca_file, says="another host")

    def test_wrong_host_with_an_anchor_pin(self):
        leaf = self.pki.leaf("elsewhere", host="elsewhere.example", self_signed=True)
        url = self.serve(leaf, "-www")
        self.assertRefused(url, "wrong-host", "--pin", spki_pin(leaf[0]), "--anchor")

    def test_unknown_ca(self):
        url = self.serve(self.other.leaf("unknown"), "-www")
        self.assertRefused(url, "untrusted", "--ca", self.pki.ca_file, says="not trusted")

    def test_pin_mismatch(self):
        url = self.serve(self.pki.leaf("good"), "-www")
        self.assertRefused(url, "pin-mismatch", "--ca", self.pki.ca_file, "--pin", OTHER_PIN,
                           says="not the server you expect")

    def test_tls_1_1_server(self):
        url = self.serve(self.pki.leaf("good"), "-www", "-tls1_1",
                         "-cipher", "DEFAULT@SECLEVEL=0")
        self.assertRefused(url, "tls-version", "--ca", self.pki.ca_file, says="TLS 1.2")

    def test_redirect_to_another_origin(self):
        with open(os.path.join(self.tmp, "moved"), "w", encoding="ascii") as f:
            f.write("HTTP/1.0 302 Found\r\nLocation: https://elsewhere.example/\r\n"
                    "Content-Length: 0\r\n\r\n")
        url = self.serve(self.pki.leaf("good"), "-HTTP") + "moved"
        self.assertRefused(url, "redirect", "--ca", self.pki.ca_file, says="redirected")


if __name__ == "__main__":
    servertest.main()
