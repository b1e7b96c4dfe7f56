#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-app-enroll.py ENTSEC_SERVER: the enrollment assistant, driven through
AT-SPI against the real entsec-server.

Runs under tests/ui/xvfb-session.sh (Xvfb, private D-Bus session, a real
gnome-keyring). The server runs over TLS on loopback (the certificates its
--init makes) and sends codes by email through a real SMTP sink
(python3-aiosmtpd, STARTTLS) and by SMS through a loopback HTTP sink (its
sms-http sender). Every way in is taken: the typed address of the server,
which this device does not trust, is refused with the reason; the picture
of the activation QR code that `entsec-admin users invite --qr` writes,
chosen in GTK's file chooser, leads to the phone number, whose code (read
from the SMS sink, the number masked on screen) is accepted before Cancel;
the app started again does not come back to that enrollment. The same
picture on the X clipboard (xclip, image/png) is pasted. The activation link
reaches the app over D-Bus Open, as a browser hands it over; the assistant
sends the code by email, a wrong code shows the attempts left, the app is
closed at the code step and started again (the assistant comes back at that
step), the right code read from the sink shows what the device shares, which
is accepted. Then entsec-cli status on the same vault and the server's admin
API both see the device enrolled. ENTSEC_ADMIN is entsec-admin.
"""

import email
import email.policy
import http.server
import importlib.util
import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "server"))


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The app test's AT-SPI helpers and the server tests' SMTP sink, reused.
e2e = load("app_e2e", os.path.join(HERE, "test-app-e2e.py"))
send = load("server_send", os.path.join(HERE, "..", "server", "test-server-send.py"))
import servertest  # noqa: E402

import pyatspi  # noqa: E402

EMAIL = "ann@example.com"
PHONE = "+49 30 1234567"
PHONE_E164 = "+49301234567"
TITLE = "Connect to Your Organization"
WAIT = 30


def start_server(tmp):
    data_dir = os.path.join(tmp, "data")
    init = servertest.run_init(data_dir)
    if init.returncode != 0:
        e2e.fail("entsec-server --init failed: " + init.stderr)
    cert, key = send.make_cert(tmp)
    sink = send.SmtpSink(cert, key)
    sms = sms_sink()
    conf = os.path.join(tmp, "server.conf")
    with open(conf, "w", encoding="utf-8") as f:
        f.write("email_sender = smtp\nsmtp_url = smtp://127.0.0.1:%d\n"
                "smtp_from = auth@example.com\nsmtp_ca_file = %s\n"
                "sms_sender = sms-http\nsms_url = http://127.0.0.1:%d/send\n"
                % (sink.port, cert, sms.server_address[1]))
    server = servertest.Server(data_dir, ["--config", conf])
    with open(os.path.join(data_dir, "admin-token"), encoding="ascii") as f:
        token = f.read().strip()
    jkt = re.search(r"authority key thumbprint: (\S+)", init.stdout).group(1)
    return server, sink, sms, token, jkt, data_dir


def sms_sink():
    """The SMS gateway: the server's sms-http sender POSTs each code here."""
    handler = type("Sink", (send.SmsSink,), {"answer": 200, "requests": queue.Queue()})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.requests = handler.requests
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd


def admin(server, token, method, path, body=None, want=200):
    status, _, answer, _ = server.request(method, path, token=token, body=body)
    if status != want:
        e2e.fail("%s %s answered %d: %s" % (method, path, status, answer))
    return answer


def activation_link(server, jkt, data_dir):
    quote = lambda v: urllib.parse.quote(v, safe="")  # noqa: E731
    pin = servertest.spki_pin(os.path.join(data_dir, "server.pem"))
    return "entsec://enroll?server=%s&tenant=default&jkt=%s&pin=%s&address=%s" % (
        quote("https://localhost:%d" % server.port), quote(jkt), quote(pin), quote(EMAIL))


def invite_picture(server, token, data_dir, tmp, user_id):
    """The activation QR code `entsec-admin users invite --qr` writes, as an
    administrator hands it out."""
    token_file = os.path.join(tmp, "admin-token")
    with open(token_file, "w", encoding="ascii") as f:
        f.write(token + "\n")
    picture = os.path.join(tmp, "activation-qr.png")
    result = subprocess.run([os.environ["ENTSEC_ADMIN"], "--server",
                             "https://localhost:%d" % server.port, "--ca",
                             os.path.join(data_dir, "ca.pem"), "--token-file", token_file,
                             "users", "invite", user_id, "--qr", picture],
                            capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0 or not os.path.getsize(picture):
        e2e.fail("entsec-admin users invite: " + result.stderr)
    return picture


def sms_code(sms):
    """The code of the next SMS the gateway receives, and its number."""
    _, _, body = sms.requests.get(timeout=WAIT)
    sent = json.loads(body)
    if sent["to"] != PHONE_E164 or not re.fullmatch(r"[0-9]{6}", sent["text"]):
        e2e.fail("the SMS went to %s with %r" % (sent["to"], sent["text"]))
    return sent["text"]


def code_from(sink):
    """The code of the next email the sink receives (its second paragraph)."""
    _, rcpt, raw, _ = sink.messages.get(timeout=WAIT)
    if rcpt != [EMAIL]:
        e2e.fail("the code went to %s" % rcpt)
    text = email.message_from_bytes(raw, policy=email.policy.default).get_content()
    code = text.split("\n\n")[1].strip()
    if not re.fullmatch(r"[0-9]{6}", code):
        e2e.fail("no code in the email: " + text)
    return code


def label_matching(root, pattern):
    def look():
        for node in root.findChildren(e2e.predicate.GenericPredicate(roleName="label")):
            if re.search(pattern, node.name or ""):
                return node
        return None
    return e2e.wait_for("a label matching /%s/" % pattern, look)


def button_matching(root, pattern):
    """The push button whose label matches (it changes as a countdown runs)."""
    def look():
        for node in root.findChildren(e2e.predicate.GenericPredicate(roleName="push button")):
            names = [node.name] + [c.name for c in node.findChildren(
                e2e.predicate.GenericPredicate(roleName="label"))]
            if any(re.search(pattern, n or "") for n in names):
                return node
        return None
    return e2e.wait_for("a button matching /%s/" % pattern, look)


def control_named(root, name):
    """The control (not a label, not its row) whose name holds @name."""
    seen = []

    def look():
        seen[:] = []
        for node in root.findChildren(lambda n: n.roleName in e2e.INTERACTIVE):
            seen.append((node.roleName, node.name))
            # GTK 4.8 joins the row's title and the switch's own label.
            if name in (node.name or ""):
                return node
        return None
    try:
        return e2e.wait_for("a control named '%s'" % name, look)
    except SystemExit:
        print("controls seen:", seen, file=sys.stderr)
        raise


def shot(name):
    """The screen at a step, for a person checking the 360 px layout."""
    out = os.environ.get("ENTSEC_ENROLL_SHOTS")
    if out:
        os.makedirs(out, exist_ok=True)
        subprocess.run(["import", "-window", "root", os.path.join(out, name + ".png")],
                       check=False)


def typed_address_untrusted(app, window, server):
    """The typed-address route to a server whose CA the system does not trust:
    the certificate error says so and why; Cancel closes the assistant."""
    e2e.click(e2e.button(window, "Connect to My Organization…"))
    assistant = e2e.frame(app, TITLE)
    e2e.audit(assistant)
    e2e.set_text(e2e.find(assistant, "Server Address", "text"), "localhost:%d" % server.port)
    e2e.click(e2e.button(assistant, "Continue"))
    # The address step shown (it empties the field): typed sooner, into the
    # field of the page not shown yet, the address was lost under load.
    label_matching(assistant, r"^Server: https://localhost:%d$" % server.port)
    e2e.set_text(e2e.find(assistant, "Email Address", "text", sensitive=True), EMAIL)
    e2e.click(e2e.button(assistant, "Send Code"))
    label_matching(assistant, r"^This device does not trust the server’s certificate\..*\n\S")
    shot("0-untrusted")
    e2e.click(e2e.button(assistant, "Cancel"))
    e2e.wait_for("the assistant closed", lambda: TITLE not in [w.name for w in app.children])


def text_of(node):
    """A text field's text (GTK 4.8 gives nothing for GetText's end offset -1)."""
    text = node.queryText()
    return text.getText(0, text.characterCount)


def address_step_from_link(assistant, server):
    """The address step the activation code leads to: its server, the address."""
    label_matching(assistant, r"^Server: https://localhost:%d$" % server.port)
    address = e2e.find(assistant, "Email Address", "text")
    e2e.wait_for("the link's address in the address step", lambda: text_of(address) == EMAIL)
    return address


def phone_by_picture(app, window, server, sms, picture):
    """The picture route: the activation QR code chosen in the file chooser,
    then the phone; the SMS's code is accepted, then Cancel forgets it all."""
    e2e.click(e2e.button(window, "Connect to My Organization…"))
    assistant = e2e.frame(app, TITLE)
    e2e.click(e2e.button(assistant, "Open Picture of Activation Code…"))
    e2e.chooser_path(app, "Open Picture of Activation Code", picture, "Open", location=True)
    address_step_from_link(assistant, server)
    # A push button in GTK 4.8's accessibility tree, pressed or not.
    e2e.click(e2e.button(assistant, "Phone"))
    e2e.set_text(e2e.find(assistant, "Phone Number (+country code…)", "text"), PHONE)
    e2e.audit(assistant)
    e2e.click(e2e.button(assistant, "Send Code"))
    # The number as the server masks it: the country code and the last two digits.
    label_matching(assistant, r"a code is on its way to \+49\*{7}67\. ")
    shot("1-phone-code")
    e2e.set_text(e2e.find(assistant, "Code", "text", sensitive=True), sms_code(sms))
    e2e.click(e2e.button(assistant, "Verify"))
    e2e.find(assistant, "What This Device Shares", "label")
    e2e.click(e2e.button(assistant, "Cancel"))
    e2e.wait_for("the assistant closed", lambda: TITLE not in [w.name for w in app.children])


def starts_afresh(process):
    """After Cancel the app, started again, offers the first step, not the code."""
    e2e.stop_app(process)
    process, app = e2e.start_app(e2e.APP_ENV)
    window = e2e.frame(app, "Enterprise Security")
    connect = e2e.wait_for("Connect offered", lambda: (lambda b: b if e2e.states(b).contains(
        pyatspi.STATE_SENSITIVE) else None)(e2e.button(window, "Connect to My Organization…")))
    if TITLE in [w.name for w in app.children]:
        e2e.fail("the cancelled enrollment came back")
    e2e.click(connect)
    assistant = e2e.frame(app, TITLE)
    e2e.find(assistant, "Server Address", "text")
    if any("on its way" in (n.name or "") and e2e.states(n).contains(pyatspi.STATE_SHOWING)
           for n in assistant.findChildren(e2e.predicate.GenericPredicate(roleName="label"))):
        e2e.fail("the assistant shows the cancelled enrollment's code step")
    return process, app, window, assistant


def paste_picture(app, assistant, server, picture):
    """The clipboard route: the QR code's PNG on the X clipboard, as an image
    viewer's Copy puts it there, then Paste."""
    owner = subprocess.Popen(["xclip", "-quiet", "-selection", "clipboard", "-t", "image/png",
                              "-i", picture], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        e2e.click(e2e.button(assistant, "Paste Activation Code"))
        address_step_from_link(assistant, server)
    finally:
        owner.terminate()
        owner.wait(timeout=10)
    e2e.click(e2e.button(assistant, "Cancel"))
    e2e.wait_for("the assistant closed", lambda: TITLE not in [w.name for w in app.children])


def send_code(app, link):
    """The link over D-Bus Open: the address step, prefilled from it; Send Code."""
    e2e.open_on_bus([link])
    assistant = e2e.frame(app, TITLE)
    # Prefilled from the link: the sink checks that the code goes to EMAIL.
    e2e.find(assistant, "Email Address", "text")
    e2e.audit(assistant)
    shot("1-address")
    e2e.click(e2e.button(assistant, "Send Code"))
    label_matching(assistant, r"a code is on its way to a\*+@example\.com")
    return assistant


def wrong_code_first(assistant, code):
    wrong = "%06d" % ((int(code) + 1) % 1000000)
    e2e.set_text(e2e.find(assistant, "Code", "text", sensitive=True), wrong)
    e2e.click(e2e.button(assistant, "Verify"))
    e2e.find(assistant, "This code is not right. 4 attempts left.", "label")
    # The server allows a new code only after resend_after (60 s): a countdown.
    shot("2-wrong-code")
    resend = button_matching(assistant, r"^Send Again in \d+ seconds?$")
    if e2e.states(resend).contains(pyatspi.STATE_SENSITIVE):
        e2e.fail("Send Again is offered before the server allows it")
    e2e.audit(assistant)


def right_code_and_accept(assistant, code):
    e2e.set_text(e2e.find(assistant, "Code", "text", sensitive=True), code)
    e2e.click(e2e.button(assistant, "Verify"))
    e2e.find(assistant, "What This Device Shares", "label")
    e2e.audit(assistant)
    shot("3-summary")
    e2e.click(e2e.button(assistant, "Accept and Register This Device"))
    e2e.find(assistant, "This Device Is Connected", "label")
    shot("4-done")
    switch = control_named(assistant, "Receive Sign-In Requests in the Background")
    if e2e.states(switch).contains(pyatspi.STATE_CHECKED):
        e2e.fail("background sign-in requests are on before the person chose them")
    e2e.audit(assistant)
    e2e.click(e2e.button(assistant, "Done"))


def check_enrolled(server, token):
    result = subprocess.run([e2e.CLI, "device", "--json", "--passphrase-file",
                             os.path.join(os.environ["XDG_RUNTIME_DIR"], "pass")],
                            capture_output=True, text=True, env=e2e.APP_ENV, timeout=60,
                            check=False)
    if result.returncode != 0:
        e2e.fail("entsec-cli device: " + result.stderr)
    device = __import__("json").loads(result.stdout)
    status = subprocess.run([e2e.CLI, "status", "--passphrase-file",
                             os.path.join(os.environ["XDG_RUNTIME_DIR"], "pass")],
                            capture_output=True, text=True, env=e2e.APP_ENV, timeout=60,
                            check=False)
    if status.returncode != 0 or device["device_id"] not in status.stdout:
        e2e.fail("entsec-cli status does not show the device: " + status.stdout + status.stderr)
    users = admin(server, token, "GET", "/v1/admin/users")["users"]
    user = next(u for u in users if u.get("email") == EMAIL)
    devices = admin(server, token, "GET", "/v1/admin/devices?user=" + user["id"])["devices"]
    if [d["id"] for d in devices] != [device["device_id"]]:
        e2e.fail("the server lists %s, the vault holds %s" % (devices, device["device_id"]))
    return device


def main():
    servertest.SERVER = os.path.abspath(sys.argv[1])
    tmp = tempfile.mkdtemp(prefix="entsec-app-enroll-")
    server, sink, sms, token, jkt, data_dir = start_server(tmp)
    process = None
    try:
        user = admin(server, token, "POST", "/v1/admin/users",
                     {"email": EMAIL, "phone": PHONE, "name": "Ann"}, 201)
        picture = invite_picture(server, token, data_dir, tmp, user["id"])
        with open(os.path.join(os.environ["XDG_RUNTIME_DIR"], "pass"), "w",
                  encoding="utf-8") as f:
            f.write(e2e.PASSPHRASE)
        process, app = e2e.start_app(e2e.APP_ENV)
        window = e2e.frame(app, "Enterprise Security")
        e2e.first_run(app, window)
        e2e.wait_for("Connect offered to a vault not enrolled", lambda: e2e.states(
            e2e.button(window, "Connect to My Organization…")).contains(
                pyatspi.STATE_SENSITIVE))
        typed_address_untrusted(app, window, server)
        phone_by_picture(app, window, server, sms, picture)
        process, app, window, assistant = starts_afresh(process)
        paste_picture(app, assistant, server, picture)
        assistant = send_code(app, activation_link(server, jkt, data_dir))
        code = code_from(sink)
        wrong_code_first(assistant, code)
        # Closed at the code step: the next start comes back to it.
        e2e.stop_app(process)
        process, app = e2e.start_app(e2e.APP_ENV)
        assistant = e2e.frame(app, TITLE)
        label_matching(assistant, r"a code is on its way to a\*+@example\.com")
        right_code_and_accept(assistant, code)
        device = check_enrolled(server, token)
        window = e2e.frame(app, "Enterprise Security")
        e2e.wait_for("no Connect button once enrolled", lambda: not e2e.states(
            e2e.button(window, "Connect to My Organization…")).contains(
                pyatspi.STATE_SENSITIVE))
        e2e.audit(window)
        if e2e.unnamed:
            e2e.fail("interactive controls without an accessible name:\n  " + "\n  ".join(
                "%s (%s)" % (path, role) for path, role in sorted(e2e.unnamed.items())))
        print("ok: a typed address of an untrusted server refused with the reason; the "
              "invite's QR picture through the file chooser, the phone's code from the SMS "
              "sink accepted, Cancel, and the app started again offers the first step; the "
              "picture pasted from the X clipboard; link over D-Bus Open, code sent by email "
              "(SMTP sink), wrong code shows "
              "4 attempts left and the resend countdown, app closed and reopened at the code "
              "step, right code, shared details accepted, device %s enrolled (entsec-cli "
              "status, admin API)" % device["device_id"])
    finally:
        if process is not None and process.poll() is None:
            e2e.stop_app(process)
        server.stop()
        sink.stop()
        sms.shutdown()


if __name__ == "__main__":
    main()
