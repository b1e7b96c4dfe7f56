#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-server-send.py ENTSEC_SERVER: enrollment codes through a real SMTP
sink (python3-aiosmtpd, STARTTLS with a certificate openssl makes here) and
a loopback HTTP sink for SMS, both driven by the real entsec-server."""

import email
import email.header
import email.policy
import email.utils
import http.server
import json
import os
import queue
import asyncio
import socket
import ssl
import statistics
import sys
import time
import subprocess
import threading
import urllib.parse

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

import servertest
from servertest import ServerTestCase

NONCE = "bm9uY2Utbm9uY2Utbm9uY2U"
WAIT = 30  # seconds; a bound on waiting for a delivery, never a timed assertion


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_cert(directory):
    key = os.path.join(directory, "sink-key.pem")
    cert = os.path.join(directory, "sink.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=sink",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


class SmtpSink:
    def __init__(self, cert, key, tls=True, password=None, delay=0, implicit=False):
        """tls: STARTTLS offered and required; implicit: TLS from the start (smtps)."""
        self.messages = queue.Queue()
        self.delay = delay
        self.logins = []
        ctx = None
        if tls or implicit:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(cert, key)
        kwargs = {}
        if password is not None:
            kwargs = {"authenticator": self.authenticate, "auth_required": True,
                      "auth_require_tls": True}
        if implicit:
            kwargs["ssl_context"] = ctx
            ctx, tls = None, False
        self.password = password
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port(),
                                     tls_context=ctx, require_starttls=tls, **kwargs)
        self.controller.start()
        self.port = self.controller.port

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login == b"mailer"
              and auth_data.password == self.password.encode())
        self.logins.append(ok)
        return AuthResult(success=ok)

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)  # a slow relay
        self.messages.put((envelope.mail_from, list(envelope.rcpt_tos),
                           envelope.original_content,
                           server.transport.get_extra_info("ssl_object") is not None))
        return "250 OK"

    def stop(self):
        self.controller.stop()


class SmsSink(http.server.BaseHTTPRequestHandler):
    answer = 200
    requests = None

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.requests.put((self.path, dict(self.headers), body))
        self.send_response(self.answer)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class SendTestCase(ServerTestCase):
    def setUp(self):
        super().setUp()
        self.cert, self.key = make_cert(self.tmp)
        self.sinks = []

    def tearDown(self):
        if self.server is not None:
            self.server.stop()
            self.server = None
        for sink in self.sinks:
            sink.stop()
        super().tearDown()

    def start_with(self, settings, *args):
        conf = os.path.join(self.tmp, "server.conf")
        with open(conf, "w", encoding="utf-8") as f:
            for key, value in settings.items():
                f.write("%s = %s\n" % (key, value))
        return self.start("--config", conf, *args)

    def refused(self, settings):
        """Runs the server with @settings; returns its stderr after checking it failed."""
        conf = os.path.join(self.tmp, "bad.conf")
        with open(conf, "w", encoding="utf-8") as f:
            f.writelines("%s = %s\n" % item for item in settings.items())
        result = subprocess.run([servertest.SERVER, "--config", conf, "--data-dir",
                                 self.data_dir, "--listen", "127.0.0.1:0"],
                                capture_output=True, text=True, timeout=60, check=False)
        self.assertNotEqual(result.returncode, 0)
        return result.stderr

    def add_user(self, server, **user):
        status, _, body, _ = server.request("POST", "/v1/admin/users", token=self.token,
                                            body=user)
        self.assertEqual(status, 201, body)
        return body

    def start_enroll(self, server, address, channel="email", language=None):
        body = {"v": 1, "channel": channel, "address": address, "client_nonce": NONCE}
        if language is not None:
            body["language"] = language
        return server.request("POST", "/v1/enroll/start", body=body)

    def verify(self, server, enrollment_id, code):
        return server.request("POST", "/v1/enroll/verify",
                              body={"v": 1, "enrollment_id": enrollment_id, "code": code,
                                    "client_nonce": NONCE})


class SmtpTestCase(SendTestCase):
    def smtp(self, tls=True, password=None, scheme="smtp", delay=0):
        sink = SmtpSink(self.cert, self.key, tls, password, delay, implicit=scheme == "smtps")
        self.sinks.append(sink)
        settings = {"email_sender": "smtp",
                    "smtp_url": "%s://127.0.0.1:%d" % (scheme, sink.port),
                    "smtp_from": "Auth@Example.com", "smtp_ca_file": self.cert}
        if password is not None:
            secret = os.path.join(self.tmp, "smtp-password")
            with open(secret, "w", encoding="utf-8") as f:
                f.write(password + "\n")
            settings.update(smtp_username="mailer", smtp_password_file=secret)
        return sink, settings

    def parse(self, raw):
        return email.message_from_bytes(raw, policy=email.policy.default)


class SmtpTests(SmtpTestCase):
    def test_email_delivered_over_starttls_with_auth(self):
        sink, settings = self.smtp(password="pa55-word-for-relay")
        server = self.start_with(settings)
        self.add_user(server, email="ann@example.com", name="Ann")
        unknown = self.start_enroll(server, "nobody@example.com", language="de")
        known = self.start_enroll(server, "ann@example.com", language="de")
        self.assertEqual((known[0], unknown[0]), (202, 202))
        mail_from, rcpt, raw, over_tls = sink.messages.get(timeout=WAIT)
        self.assertTrue(over_tls)
        self.assertEqual(sink.logins, [True])
        self.assertEqual((mail_from, rcpt), ("auth@example.com", ["ann@example.com"]))
        msg = self.parse(raw)
        self.assertEqual(msg["Subject"], "Ihr Anmeldecode")
        self.assertIn("=?UTF-8?B?", raw.decode("ascii"))  # RFC 2047 on the wire
        self.assertEqual(msg["To"], "ann@example.com")
        self.assertIsNotNone(email.utils.parsedate_to_datetime(msg["Date"]))
        self.assertRegex(msg["Message-ID"], r"^<[A-Za-z0-9_-]{22}@example\.com>$")
        text = msg.get_content()
        self.assertIn("Minuten gültig", text)
        code = text.split("\n\n")[1].strip()
        self.assertRegex(code, r"^[0-9]{6}$")
        status, _, body, _ = self.verify(server, known[2]["enrollment_id"], code)
        self.assertEqual(status, 200, body)
        self.assertEqual(server.stop(), 0)
        self.assertTrue(sink.messages.empty())  # nothing for the unknown address
        self.assertNotIn("pa55-word-for-relay", server.log)
        self.assertNotIn(code, server.log)
        self.assertFalse(os.path.exists(os.path.join(self.data_dir, "outbox.jsonl")))

    def test_bad_language_refused(self):
        _, settings = self.smtp()
        server = self.start_with(settings)
        for language in ("../../etc/passwd", "", "x" * 36, 7):
            result = self.start_enroll(server, "ann@example.com", language=language)
            self.assertProblem(result, 400, "invalid_request")
        self.assertEqual(self.start_enroll(server, "ann@example.com", language="pt-BR")[0], 202)

    def test_smtps(self):
        sink, settings = self.smtp(scheme="smtps")
        server = self.start_with(settings)
        self.add_user(server, email="ann@example.com")
        self.assertEqual(self.start_enroll(server, "ann@example.com")[0], 202)
        _, rcpt, raw, over_tls = sink.messages.get(timeout=WAIT)
        self.assertTrue(over_tls)
        self.assertEqual(rcpt, ["ann@example.com"])
        self.assertEqual(self.parse(raw)["Subject"], "Your enrollment code")

    def test_languages_and_fallback(self):
        sink, settings = self.smtp()
        server = self.start_with(settings)
        expected = {"zh-CN": "您的注册验证码", "de-AT": "Ihr Anmeldecode",
                    "fr": "Your enrollment code", None: "Your enrollment code"}
        for i, (language, subject) in enumerate(expected.items()):
            address = "user%d@example.com" % i
            self.add_user(server, email=address)
            self.assertEqual(self.start_enroll(server, address, language=language)[0], 202)
            _, rcpt, raw, _ = sink.messages.get(timeout=WAIT)
            self.assertEqual(rcpt, [address])
            self.assertEqual(self.parse(raw)["Subject"], subject, language)

    def with_template(self, settings, name, text):
        templates = os.path.join(self.tmp, "templates")
        os.mkdir(templates)
        with open(os.path.join(templates, name), "w", encoding="utf-8") as f:
            f.write(text)
        settings["templates_dir"] = templates

    def test_templates_dir_overrides(self):
        sink, settings = self.smtp()
        self.with_template(settings, "email-en.txt",
                           "Subject: ACME sign-in ✓\n\nCode {code} for {to}, {minutes} min.\n")
        server = self.start_with(settings)
        self.add_user(server, email="eve@example.com")
        self.start_enroll(server, "eve@example.com")
        msg = self.parse(sink.messages.get(timeout=WAIT)[2])
        self.assertEqual(msg["Subject"], "ACME sign-in ✓")
        self.assertRegex(msg.get_content(), r"^Code [0-9]{6} for eve@example.com, 10 min.\n$")

    def test_bad_template_refused_at_start(self):
        _, settings = self.smtp()
        self.with_template(settings, "email-de.txt", "Subject: x\n\n{kode}\n")
        stderr = self.refused(settings)
        self.assertIn("email-de.txt", stderr)
        self.assertIn("unknown placeholder", stderr)

    def test_relay_without_tls_gets_nothing(self):
        sink, settings = self.smtp(tls=False)
        server = self.start_with(settings)
        self.add_user(server, email="ann@example.com")
        self.assertEqual(self.start_enroll(server, "ann@example.com")[0], 202)
        self.assertEqual(server.stop(), 0)  # waits for the delivery attempt
        self.assertIn("was not delivered", server.log)
        self.assertTrue(sink.messages.empty())

    def test_untrusted_relay_certificate_refused(self):
        sink, settings = self.smtp()
        del settings["smtp_ca_file"]  # the system store does not know the sink
        server = self.start_with(settings)
        self.add_user(server, email="ann@example.com")
        self.assertEqual(self.start_enroll(server, "ann@example.com")[0], 202)
        self.assertEqual(server.stop(), 0)
        self.assertIn("was not delivered", server.log)
        self.assertTrue(sink.messages.empty())

    def test_missing_settings_refused(self):
        for settings, needle in (({"email_sender": "smtp"}, "smtp_url"),
                                 ({"email_sender": "smtp", "smtp_url": "smtp://127.0.0.1:25"},
                                  "smtp_from"),
                                 ({"smtp_url": "http://127.0.0.1"}, "smtp://"),
                                 ({"email_sender": "mailgun"}, "\"smtp\"")):
            self.assertIn(needle, self.refused(settings))


class EnumerationTests(SmtpTestCase):
    ROUNDS = 40

    @staticmethod
    def spread(samples):
        quartiles = statistics.quantiles(samples, n=4)
        return quartiles[2] - quartiles[0]

    def test_known_and_unknown_alike_in_time_and_size(self):
        """A slow relay (0.2 s a message) must not show in the answer to a known
        address: the medians of known and unknown differ by less than the
        spread of either (plus 2 ms, for when keep-alive makes the spread tiny).
        Sending on the request thread would add 0.2 s to every known request, far
        beyond that; noise moves the medians much less."""
        sink, settings = self.smtp(delay=0.2)
        settings.update(rate_limit_ip=100000, rate_limit_address=1000, rate_limit_user=1000,
                        enroll_resend_after=0)
        server = self.start_with(settings)
        self.add_user(server, email="ann@example.com")
        conn = servertest.Connection(server.port, server.context())
        times = {"ann@example.com": [], "anx@example.com": []}
        shapes = set()
        for i in range(self.ROUNDS):
            for address in (list(times) if i % 2 == 0 else reversed(list(times))):
                body = json.dumps({"v": 1, "channel": "email", "address": address,
                                   "client_nonce": NONCE})
                begin = time.perf_counter()
                conn.request("POST", "/v1/enroll/start", body=body,
                             headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                data = resp.read()
                times[address].append(time.perf_counter() - begin)
                shapes.add((resp.status, len(data), tuple(sorted(json.loads(data))),
                            tuple(sorted(k.lower() for k in resp.headers.keys()))))
        conn.close()
        print("medians known %.2f ms, unknown %.2f ms; spreads %.2f, %.2f ms" % tuple(
            1000 * f(t) for f, t in ((statistics.median, times["ann@example.com"]),
                                     (statistics.median, times["anx@example.com"]),
                                     (self.spread, times["ann@example.com"]),
                                     (self.spread, times["anx@example.com"]))),
              file=sys.stderr)
        self.assertEqual(len(shapes), 1, shapes)  # same status, size, fields, headers
        known, unknown = times.values()
        gap = abs(statistics.median(known) - statistics.median(unknown))
        self.assertLess(gap, min(self.spread(known), self.spread(unknown)) + 0.002,
                        "medians %.4f / %.4f s" % (statistics.median(known),
                                                   statistics.median(unknown)))
        self.assertLess(statistics.median(known), sink.delay)
        sink.messages.get(timeout=WAIT)  # and the codes do go out


class SmsTests(SendTestCase):
    def sms(self, answer=200, **extra):
        requests = queue.Queue()
        handler = type("Sink", (SmsSink,), {"answer": answer, "requests": requests})
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        httpd.stop = httpd.shutdown
        self.sinks.append(httpd)
        token = os.path.join(self.tmp, "sms-token")
        with open(token, "w", encoding="ascii") as f:
            f.write("gw-token-123\n")
        settings = {"sms_sender": "sms-http",
                    "sms_url": "http://127.0.0.1:%d/send" % httpd.server_address[1],
                    "sms_token_file": token, **extra}
        return requests, settings

    def test_sms_delivered_as_json(self):
        requests, settings = self.sms()
        server = self.start_with(settings)
        self.add_user(server, phone="+49 30 1234567")
        unknown = self.start_enroll(server, "+4930999999", channel="sms")
        known = self.start_enroll(server, "+49301234567", channel="sms")
        self.assertEqual((known[0], unknown[0]), (202, 202))
        path, headers, body = requests.get(timeout=WAIT)
        self.assertEqual(path, "/send")
        self.assertEqual(headers["Authorization"], "Bearer gw-token-123")
        self.assertEqual(headers["Content-Type"], "application/json")
        sent = json.loads(body)
        self.assertEqual(sent["to"], "+49301234567")
        status, _, answer, _ = self.verify(server, known[2]["enrollment_id"], sent["text"])
        self.assertEqual(status, 200, answer)
        self.assertEqual(server.stop(), 0)
        self.assertTrue(requests.empty())  # nothing for the unknown number
        self.assertNotIn("gw-token-123", server.log)

    def test_sms_as_form(self):
        requests, settings = self.sms(sms_content_type="form",
                                      sms_body="number={to}&message=Code: {code} ({minutes} min)")
        server = self.start_with(settings)
        self.add_user(server, phone="+4930123456")
        self.start_enroll(server, "+4930123456", channel="sms")
        _, headers, body = requests.get(timeout=WAIT)
        self.assertEqual(headers["Content-Type"], "application/x-www-form-urlencoded")
        form = urllib.parse.parse_qs(body.decode("ascii"), strict_parsing=True)
        self.assertEqual(form["number"], ["+4930123456"])
        self.assertRegex(form["message"][0], r"^Code: [0-9]{6} \(10 min\)$")

    def test_gateway_error_logged_without_code(self):
        requests, settings = self.sms(answer=503)
        server = self.start_with(settings)
        self.add_user(server, phone="+4930123456")
        result = self.start_enroll(server, "+4930123456", channel="sms")
        self.assertEqual(result[0], 202)
        code = json.loads(requests.get(timeout=WAIT)[2])["text"]
        self.assertEqual(server.stop(), 0)
        self.assertIn("answered HTTP 503", server.log)
        self.assertNotIn(code, server.log)

    def test_bad_sms_settings_refused(self):
        for settings, needle in (({"sms_sender": "sms-http"}, "sms_url"),
                                 ({"sms_url": "http://192.0.2.1/send"}, "loopback"),
                                 ({"sms_url": "ftp://127.0.0.1/"}, "https://"),
                                 ({"sms_sender": "sms-http", "sms_url": "https://gw.example",
                                   "sms_body": "{number}"}, "unknown placeholder"),
                                 ({"sms_sender": "sms-http", "sms_url": "https://gw.example",
                                   "sms_token_file": "/nonexistent/token"}, "sms_token_file")):
            self.assertIn(needle, self.refused(settings))


class RateLimitTests(SendTestCase):
    def start_from(self, server, source, forwarded):
        """An enrollment start from @source with X-Forwarded-For: @forwarded."""
        self.sent = getattr(self, "sent", 0) + 1
        raw = json.dumps({"v": 1, "channel": "email", "address": "u%d@example.com" % self.sent,
                          "client_nonce": NONCE}).encode()
        conn = servertest.Connection(server.port, server.context(), source=source)
        try:
            conn.request("POST", "/v1/enroll/start", body=raw,
                         headers={"Content-Type": "application/json",
                                  "X-Forwarded-For": forwarded})
            return conn.getresponse().status
        finally:
            conn.close()

    def assertLimited(self, result, most=None):
        """429 rate_limited with Retry-After from 1 to `most` seconds (one token's
        refill time; less when the server's clock moved on between requests)."""
        self.assertProblem(result, 429, "rate_limited")
        retry_after = int(result[1].getheader("Retry-After"))
        self.assertGreaterEqual(retry_after, 1)
        if most is not None:
            self.assertLessEqual(retry_after, most)
            self.assertGreater(retry_after, most / 2)

    def test_per_client_address(self):
        server = self.start_with({"rate_limit_ip": 3})
        self.assertEqual(self.start_enroll(server, "a@example.com")[0], 202)
        self.assertProblem(self.verify(server, "enr_unknown", "000000"), 400, "invalid_code")
        self.assertEqual(self.start_enroll(server, "b@example.com")[0], 202)
        self.assertLimited(self.start_enroll(server, "c@example.com"))
        self.assertLimited(self.verify(server, "enr_unknown", "000000"), most=20)  # 60 s / 3
        status, _, _, _ = server.request("GET", "/.well-known/entsec-configuration")
        self.assertEqual(status, 200)  # discovery is static and not limited

    def test_per_address_alike_for_known_and_unknown(self):
        server = self.start_with({"rate_limit_address": 2, "enroll_resend_after": 0})
        self.add_user(server, email="ann@example.com")
        for address in ("ann@example.com", "nobody@example.com"):
            for _ in range(2):
                self.assertEqual(self.start_enroll(server, address)[0], 202)
            # one address, any case; 3600 s / 2
            self.assertLimited(self.start_enroll(server, address.upper()), most=1800)
        self.assertEqual(self.start_enroll(server, "other@example.com")[0], 202)

    def test_per_user_across_channels(self):
        server = self.start_with({"rate_limit_user": 2, "enroll_resend_after": 0})
        self.add_user(server, email="ann@example.com", phone="+4930123456")
        self.assertEqual(self.start_enroll(server, "ann@example.com")[0], 202)
        self.assertEqual(self.start_enroll(server, "+4930123456", channel="sms")[0], 202)
        self.assertLimited(self.start_enroll(server, "ann@example.com"))

    def test_per_client_behind_trusted_proxy(self):
        """trusted_proxies: the client is the right-most address the proxy did not
        write itself; a header from any other peer is not read."""
        server = self.start_with({"rate_limit_ip": 2, "trusted_proxies": "127.0.0.1"})
        proxy, other = "127.0.0.1", "127.0.0.2"
        self.assertEqual([self.start_from(server, proxy, "192.0.2.1") for _ in range(3)],
                         [202, 202, 429])
        # another client behind the same proxy has a bucket of its own
        self.assertEqual(self.start_from(server, proxy, "192.0.2.2"), 202)
        # what a client wrote left of the address its proxy appended changes nothing
        self.assertEqual(self.start_from(server, proxy, "198.51.100.9, 192.0.2.1"), 429)
        # a peer that is not a trusted proxy is counted as itself, whatever it claims
        self.assertEqual([self.start_from(server, other, "192.0.2.%d" % i) for i in (3, 4, 5)],
                         [202, 202, 429])

    def test_forwarded_for_ignored_by_default(self):
        server = self.start_with({"rate_limit_ip": 2})
        self.assertEqual([self.start_from(server, "127.0.0.1", "192.0.2.%d" % i)
                          for i in (1, 2, 3)], [202, 202, 429])

    def test_bad_limits_refused(self):
        self.assertIn("rate_limit_ip", self.refused({"rate_limit_ip": 0}))
        self.assertIn("\"10.0.0.1/8\" is not an address",
                      self.refused({"trusted_proxies": "10.0.0.1/8"}))


if __name__ == "__main__":
    servertest.main()
