#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-server-tls-reload.py ENTSEC_SERVER: SIGHUP makes the real
entsec-server read its certificate and key again. New connections get the
new certificate (another serial from the CA --init made), a keep-alive
connection opened before goes on working, a bad new pair is refused and the
old one stays in use."""

import datetime
import os
import signal
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import servertest
from servertest import Connection, ServerTestCase

SETTLE = 20  # seconds; a bound, never a pause


def serial_of(conn):
    der = conn.sock.getpeercert(binary_form=True)
    return x509.load_der_x509_certificate(der).serial_number


class ReloadTests(ServerTestCase):
    def write_pair(self, serial):
        """A new key and a certificate for localhost from the CA of --init."""
        with open(os.path.join(self.data_dir, "ca-key.pem"), "rb") as f:
            ca_key = serialization.load_pem_private_key(f.read(), None)
        with open(os.path.join(self.data_dir, "ca.pem"), "rb") as f:
            ca = x509.load_pem_x509_certificate(f.read())
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
                .issuer_name(ca.subject).public_key(key.public_key()).serial_number(serial)
                .not_valid_before(now - datetime.timedelta(minutes=1))
                .not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
                .sign(ca_key, hashes.SHA256()))
        self.replace("server-key.pem", key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        self.replace("server.pem", cert.public_bytes(serialization.Encoding.PEM))

    def replace(self, name, data):
        path = os.path.join(self.data_dir, name)
        with open(path + ".new", "wb") as f:
            f.write(data)
        os.replace(path + ".new", path)

    def connect(self):
        conn = Connection(self.server.port, self.server.context())
        conn.connect()
        return conn

    def get_health(self, conn):
        conn.request("GET", "/v1/health")
        resp = conn.getresponse()
        resp.read()
        return resp.status

    def wait_for_serial(self, serial):
        """New connections until one shows `serial` (bounded)."""
        deadline = time.monotonic() + SETTLE
        while True:
            conn = self.connect()
            try:
                if serial_of(conn) == serial:
                    return
            finally:
                conn.close()
            self.assertLess(time.monotonic(), deadline, "the new certificate was not used")
            time.sleep(0.05)

    def test_sighup_new_certificate_old_connection_lives(self):
        self.start()
        old = self.connect()
        old_serial = serial_of(old)
        self.assertEqual(self.get_health(old), 200)
        expiry = self.counter("entsec_tls_certificate_expiry_seconds")
        self.write_pair(0x5EC0DE)
        self.server.proc.send_signal(signal.SIGHUP)
        self.wait_for_serial(0x5EC0DE)
        # the new one expires in 30 days, the one of --init in 825
        self.assertLess(self.counter("entsec_tls_certificate_expiry_seconds"), expiry)
        # the keep-alive connection from before: same session, still served
        self.assertEqual(self.get_health(old), 200)
        self.assertEqual(serial_of(old), old_serial)
        old.close()
        self.assertNotEqual(old_serial, 0x5EC0DE)
        self.assertEqual(self.server.stop(), 0)
        self.assertIn("TLS certificate reloaded (serial 5ec0de)", self.server.log)

    def counter(self, name):
        """A value of GET /v1/metrics (admin token)."""
        conn = self.connect()
        try:
            conn.request("GET", "/v1/metrics", headers={"Authorization": "Bearer " + self.token})
            resp = conn.getresponse()
            text = resp.read().decode()
        finally:
            conn.close()
        self.assertEqual(resp.status, 200, text)
        [line] = [l for l in text.splitlines() if l.startswith(name + " ")]
        return float(line.split(" ")[1])

    def hup_and_wait(self, name, before):
        """SIGHUP, then (bounded) until counter `name` passed `before`."""
        self.server.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + SETTLE
        while self.counter(name) == before:
            self.assertLess(time.monotonic(), deadline, "the reload was not handled")
            time.sleep(0.05)

    def test_bad_pairs_are_refused_and_the_old_one_serves(self):
        self.start()
        conn = self.connect()
        serial = serial_of(conn)
        conn.close()
        with open(os.path.join(self.data_dir, "server.pem"), "rb") as f:
            cert = f.read()
        # a key that is not the certificate's
        self.write_pair(0xBAD)
        self.replace("server.pem", cert)
        self.hup_and_wait("entsec_tls_reload_failures_total", 0)
        # a file that is no certificate
        self.replace("server.pem", b"-----BEGIN CERTIFICATE-----\nnot one\n")
        self.hup_and_wait("entsec_tls_reload_failures_total", 1)
        self.assertEqual(self.counter("entsec_tls_reloads_total"), 0)
        for _ in range(3):
            conn = self.connect()
            self.assertEqual(serial_of(conn), serial)
            self.assertEqual(self.get_health(conn), 200)
            conn.close()
        # a good pair after them is taken
        self.write_pair(0x600D)
        self.hup_and_wait("entsec_tls_reloads_total", 0)
        self.wait_for_serial(0x600D)
        self.assertNotEqual(serial, 0x600D)
        self.assertEqual(self.server.stop(), 0)
        log = self.server.log
        self.assertIn("is not the key of the first certificate", log)
        self.assertIn("not a PEM certificate chain", log)
        self.assertEqual(log.count("TLS certificate not reloaded, the old one stays in use"), 2)


if __name__ == "__main__":
    servertest.main()
