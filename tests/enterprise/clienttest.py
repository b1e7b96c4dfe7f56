#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""clienttest.py: what the entsec-cli tests against the real entsec-server share."""

import http.server
import json
import os
import re
import select
import ssl
import subprocess
import threading

import servertest
from servertest import Connection

# A cheap Argon2id for test vaults: the KDF's cost is not under test here.
FAST_KDF = ["--kdf-memory", "8192", "--kdf-iterations", "1"]


def pass_file(tmp):
    """Writes the test vaults' passphrase to a file in tmp; returns its path."""
    path = os.path.join(tmp, "pass")
    with open(path, "w", encoding="utf-8") as f:
        f.write("correct horse battery staple 42\n")
    return path


class VaultCli:
    """For a ServerTestCase with self.vault and self.pass_file: the CLI on that vault
    (passphrase from the file, no keyring) and the admin API of self.server."""

    def cli(self, *args):
        return subprocess.run([os.environ["ENTSEC_CLI"], *args, "--vault", self.vault,
                               "--no-keyring", "--passphrase-file", self.pass_file],
                              capture_output=True, text=True, timeout=120, check=False)

    def cli_json(self, *args):
        result = self.cli(*args, "--json")
        self.assertEqual(result.returncode, 0, result.stderr)
        return json.loads(result.stdout)

    def admin(self, method, path, body=None, want=None):
        status, _, answer, _ = self.server.request(method, path, token=self.token, body=body)
        if want is not None:
            self.assertEqual(status, want, answer)
        return answer


def outbox_codes(data_dir):
    """The codes the server's outbox sender wrote, oldest first."""
    path = os.path.join(data_dir, "outbox.jsonl")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line)["code"] for line in f]


def enroll(cli, vault, pass_file, data_dir, *args, code_of=None, keyring=False):
    """Runs `cli enroll` (with the keyring only if @keyring); once it says the
    code is on its way, types code_of(code).

    Returns (exit status, stdout, stderr)."""
    proc = subprocess.Popen([cli, "enroll", "--vault", vault,
                             *([] if keyring else ["--no-keyring"]),
                             "--passphrase-file", pass_file, *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        err = ""
        while "on its way" not in err:
            ready, _, _ = select.select([proc.stderr], [], [], servertest.START_TIMEOUT)
            line = proc.stderr.readline() if ready else ""
            if not line:
                break
            err += line
        if "on its way" in err:
            # The outbox line is written before the server answers the start.
            code = outbox_codes(data_dir)[-1]
            proc.stdin.write((code_of or (lambda c: c))(code) + "\n")
            proc.stdin.flush()
        out, rest = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, out, err + rest


class Proxy:
    """TLS on loopback with the server's certificate, forwarding to the real server.

    `forge`, when set, maps the server's policy JWS to the one the client gets;
    `forge_events` the body of an events answer.
    `drop`, when set, is asked (method, path) of each request: the first one it
    accepts never reaches the server (the connection is closed, as a network
    failure would), then `drop` is cleared. `lose_answer(path)` true: the
    request reaches the server but its answer is lost (the connection closes).
    `seen` lists (method, path, request body, response body) of every request
    forwarded; `keyids` the keyid of every signed request, in order."""

    def __init__(self, data_dir):
        self.forge = None
        self.forge_events = None
        self.drop = None
        self.lose_answer = None
        self.seen = []
        self.keyids = []
        self.upstream = None
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def forward(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if proxy.drop is not None and proxy.drop(self.command, self.path):
                    proxy.drop = None
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                is_policy = self.path.endswith("/policy")
                keyid = re.search(r'keyid="([^"]+)"', self.headers.get("Signature-Input", ""))
                if keyid:
                    proxy.keyids.append(keyid.group(1))
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "connection")
                           and not (proxy.forge and is_policy and k.lower() == "if-none-match")}
                conn = Connection(proxy.upstream.port, proxy.upstream.context())
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                finally:
                    conn.close()
                proxy.seen.append((self.command, self.path, body, data))
                if proxy.forge and is_policy and resp.status == 200:
                    data = proxy.forge(data.decode()).encode()
                if proxy.forge_events and "/events" in self.path and resp.status == 200:
                    data = proxy.forge_events(data.decode()).encode()
                if proxy.lose_answer and proxy.lose_answer(self.path):
                    self.close_connection = True
                    return
                self.send_response(resp.status)
                for name in ("Content-Type", "ETag", "Retry-After", "WWW-Authenticate"):
                    if resp.getheader(name) is not None:
                        self.send_header(name, resp.getheader(name))
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = forward

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(data_dir, "server.pem"),
                            os.path.join(data_dir, "server-key.pem"))
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class Keyring:
    """The session's gnome-keyring (tests/keyring-session.sh) locked and unlocked
    through D-Bus, as a screen lock or a login would."""

    SERVICE = "org.freedesktop.secrets"
    PATH = "/org/freedesktop/secrets"
    # keyring-session.sh's throwaway password of the login keyring.
    PASSWORD = b"entsec-test-keyring"

    def __init__(self):
        from gi.repository import Gio  # python3-gi: only the keyring tests need it
        self.bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        self.collection = self.call("org.freedesktop.Secret.Service", "ReadAlias",
                                    "(s)", ("default",))[0]

    def call(self, interface, method, signature, args):
        from gi.repository import GLib
        return self.bus.call_sync(self.SERVICE, self.PATH, interface, method,
                                  GLib.Variant(signature, args), None, 0, 30000, None).unpack()

    def lock(self):
        """org.freedesktop.Secret.Service.Lock of the default collection."""
        self.call("org.freedesktop.Secret.Service", "Lock", "(ao)", ([self.collection],))

    def unlock(self):
        """Unlocked with its password, without a prompt (gnome-keyring's own call)."""
        from gi.repository import GLib
        session = self.call("org.freedesktop.Secret.Service", "OpenSession", "(sv)",
                            ("plain", GLib.Variant("s", "")))[1]
        self.call("org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
                  "UnlockWithMasterPassword", "(o(oayays))",
                  (self.collection, (session, b"", self.PASSWORD, "text/plain")))
