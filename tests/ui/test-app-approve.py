#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-app-approve.py: sign-in approvals and remote commands in the real app.

Under tests/ui/xvfb-session.sh (Xvfb, private session bus, real gnome-keyring),
against the real entsec-server (argv[1]) over TLS on loopback with the CA its
--init made: the vault is made and enrolled with entsec-cli (so the device key
is sealed in the keyring), then the app is started, left locked, and driven
through AT-SPI with the helpers of test-app-e2e.py.

Notifications go to notification-server.py, which owns org.gtk.Notifications
on the test's session bus (GLib's GNotification backend outside a sandbox
when that name has an owner) and logs each call; the test activates a
notification's default action as the shell would, with
org.freedesktop.Application.ActivateAction.

1. A push arrives while the app is locked: one notification, without the
   number; its action opens the dialog with the signed context; the number
   and Enter ask for the unlock first; after it the dialog is back, a wrong
   number shows the server's refusal, the right one approves (the relying
   party's API says "approved") and the notification is withdrawn.
2. A high-risk push shows in the app's list and raises no notification.
3. A push denied with "It Wasn't Me": the server records not_me and audits
   push.fraud_alert.
4. The high-risk push expires by the app's injected clock
   (ENTSEC_TEST_CLOCK_FILE): its open dialog closes and the list empties.
5. A lock command locks the open app, which says why.
6. A wipe command removes the managed account, keeps the personal one, and
   the window says what happened.
"""

import importlib.util
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "server"))
sys.path.insert(0, os.path.join(HERE, "..", "enterprise"))

_spec = importlib.util.spec_from_file_location("e2e", os.path.join(HERE, "test-app-e2e.py"))
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)

import clienttest  # noqa: E402
import servertest  # noqa: E402
from dogtail import predicate, rawinput  # noqa: E402

CLI = os.environ["ENTSEC_CLI"]
EMAIL = "ann@example.com"
PERSONAL = "otpauth://totp/Personal:me?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Personal"
VPN = {"app": "VPN", "ip": "192.0.2.7", "location": "Berlin, Germany",
       "browser": "Firefox 128 on Linux"}
fail, wait_for, find, button, click = e2e.fail, e2e.wait_for, e2e.find, e2e.button, e2e.click


class Setup:
    """The server with a user, a relying party, and a vault enrolled for that user."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.data_dir = os.path.join(tmp, "data")
        init = servertest.run_init(self.data_dir)
        if init.returncode != 0:
            fail("entsec-server --init: " + init.stderr)
        with open(os.path.join(self.data_dir, "admin-token"), encoding="ascii") as f:
            self.token = f.read().strip()
        self.server = servertest.Server(self.data_dir, ("--dev",),
                                        dict(os.environ, ENTSEC_SERVER_ENROLL_RESEND_AFTER="0"))
        self.user_id = self.admin("POST", "/v1/admin/users", {"email": EMAIL}, 201)["id"]
        self.rp_key = self.admin("POST", "/v1/admin/rps", {"v": 1, "name": "vpn"},
                                 201)["api_key"]
        self.pass_file = clienttest.pass_file(tmp)
        with open(self.pass_file, encoding="utf-8") as f:
            self.passphrase = f.read().strip()
        self.vault = os.path.join(os.environ["XDG_DATA_HOME"], "entsec", "default.db")
        os.makedirs(os.path.dirname(self.vault), exist_ok=True)
        self.cli("init", *clienttest.FAST_KDF)
        code, out, err = clienttest.enroll(
            CLI, self.vault, self.pass_file, self.data_dir,
            "--server", "https://localhost:%d" % self.server.port,
            "--ca", os.path.join(self.data_dir, "ca.pem"), "--email", EMAIL)
        if code != 0:
            fail("entsec-cli enroll: " + out + err)
        self.device_id = json.loads(self.cli("device", "--json"))["device_id"]
        subprocess.run([CLI, "add", "--vault", self.vault, "--uri", "-", "--no-keyring",
                        "--passphrase-file", self.pass_file], input=PERSONAL + "\n",
                       check=True, capture_output=True, text=True, timeout=60)
        self.admin("POST", "/v1/admin/tokens", {"v": 1, "user": self.user_id, "type": "totp",
                                                "issuer": "Example", "label": "ann"}, 201)
        if not json.loads(self.cli("sync", "--json"))["added"]:
            fail("the managed token was not synced")

    def cli(self, *args):
        result = subprocess.run([CLI, *args, "--vault", self.vault, "--no-keyring",
                                 "--passphrase-file", self.pass_file],
                                capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            fail("entsec-cli %s: %s" % (args[0], result.stderr))
        return result.stdout

    def admin(self, method, path, body=None, want=None):
        status, _, answer, _ = self.server.request(method, path, token=self.token, body=body)
        if want is not None and status != want:
            fail("%s %s: %s %s" % (method, path, status, answer))
        return answer

    def push(self, context):
        status, _, tx, _ = self.server.request("POST", "/v1/auth/push",
                                               {"v": 1, "user": self.user_id,
                                                "context": context}, token=self.rp_key)
        if status != 201:
            fail("push: %s %s" % (status, tx))
        return tx

    def transaction(self, tx):
        _, _, got, _ = self.server.request("GET", "/v1/auth/transactions/"
                                           + tx["transaction_id"], token=self.rp_key)
        return got

    def command(self, kind):
        self.admin("POST", "/v1/admin/devices/%s/commands" % self.device_id,
                   {"v": 1, "type": kind}, 201)


class Notifications:
    """notification-server.py on this session bus, and what it logged."""

    def __init__(self, tmp):
        self.log = os.path.join(tmp, "notifications.jsonl")
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "notification-server.py"),
                                      self.log], stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ready":
            fail("the notification server did not start")

    def calls(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log, encoding="utf-8") as f:
            return [json.loads(line) for line in f]

    def added(self, challenge_id):
        return [c for c in self.calls()
                if c["op"] == "add" and c["id"] == "approval-" + challenge_id]

    def removed(self, challenge_id):
        return [c for c in self.calls()
                if c["op"] == "remove" and c["id"] == "approval-" + challenge_id]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def activate_notification(notification):
    """What the shell does when the notification is clicked: its default action."""
    action = notification["default-action"]
    if not action.startswith("app."):
        fail("the default action is not the app's: " + action)
    target = notification["default-action-target"]
    subprocess.run(["gdbus", "call", "--session", "--dest", e2e.APP_ID,
                    "--object-path", "/" + e2e.APP_ID.replace(".", "/"),
                    "--method", "org.freedesktop.Application.ActivateAction",
                    action[len("app."):], "[<'%s'>]" % target, "{}"],
                   check=True, capture_output=True, timeout=30)


def labels(root):
    return [n.name for n in root.findChildren(predicate.GenericPredicate(roleName="label"))]


def dialog(app):
    return e2e.frame(app, "Sign-in Request")


def gone(app, title):
    wait_for("window '%s' to close" % title,
             lambda: all(w.name != title for w in app.children))


def unlock(window, passphrase):
    entry = find(window, "Passphrase", "text", sensitive=True)
    e2e.set_text(entry, passphrase)
    click(button(window, "Unlock"))
    find(window, "Add Account", "push button", sensitive=True)


def approve_after_unlock(setup, notes, app, window):
    tx = setup.push(VPN)
    added = wait_for("a notification for the push", lambda: notes.added(tx["transaction_id"]))
    note = added[0]["notification"]
    text = note.get("title", "") + " " + note.get("body", "")
    if str(tx["number"]) in text or any(ch.isdigit() for ch in text):
        fail("the notification shows a number: " + text)
    activate_notification(note)
    request = dialog(app)
    shown = labels(request)
    for value in VPN.values():
        if value not in shown:
            fail("the dialog does not show %r: %s" % (value, shown))
    wait_for("the seconds left", lambda: any("Answer within" in n for n in labels(request)))
    e2e.audit(request)
    # Keyboard only (the dialog opens with the focus in the number entry): the
    # number, then Enter; locked, it asks for the unlock first.
    find(request, "Number shown on the sign-in page", "text")
    rawinput.typeText(str(tx["number"]))
    rawinput.pressKey("Return")
    gone(app, "Sign-in Request")
    if setup.transaction(tx)["state"] != "pending":
        fail("answered while locked")
    unlock(window, setup.passphrase)
    request = dialog(app)
    wrong = 10 if tx["number"] != 10 else 11
    entry = find(request, "Number shown on the sign-in page", "text")
    rawinput.typeText(str(wrong))
    rawinput.pressKey("Return")
    find(request, "That is not the number the sign-in page shows. Check it and type it "
         "again: a third wrong number denies the sign-in.", "label")
    # The entry has the focus back: the right number replaces the wrong one.
    e2e.set_text(entry, "")
    rawinput.typeText(str(tx["number"]))
    rawinput.pressKey("Return")
    gone(app, "Sign-in Request")
    wait_for("the relying party to see the approval",
             lambda: setup.transaction(tx)["state"] == "approved")
    wait_for("the notification withdrawn", lambda: notes.removed(tx["transaction_id"]))


def review(window, app_name):
    click(find(window, "Review the sign-in to " + app_name, "push button"))


def main():
    servertest.SERVER = os.path.abspath(sys.argv[1])
    tmp = os.environ["XDG_RUNTIME_DIR"]
    clock_file = os.path.join(tmp, "clock")
    setup = Setup(tmp)
    notes = Notifications(tmp)
    env = dict(e2e.APP_ENV, ENTSEC_TEST_CLOCK_FILE=clock_file)
    process, app = e2e.start_app(env)
    try:
        window = e2e.frame(app, "Enterprise Security")
        find(window, "Passphrase", "text", sensitive=True)
        approve_after_unlock(setup, notes, app, window)

        risky = setup.push({"app": "Payroll", "ip": "198.51.100.9", "risk": "high"})
        find(window, "Review the sign-in to Payroll", "push button")
        if notes.added(risky["transaction_id"]):
            fail("a high-risk push raised a notification")

        fraud = setup.push({"app": "Mail", "ip": "203.0.113.5"})
        wait_for("a notification for the third push",
                 lambda: notes.added(fraud["transaction_id"]))
        # Escape closes the dialog without answering.
        review(window, "Mail")
        find(dialog(app), "Number shown on the sign-in page", "text")
        rawinput.pressKey("Escape")
        gone(app, "Sign-in Request")
        if setup.transaction(fraud)["state"] != "pending":
            fail("Escape answered the request")
        review(window, "Mail")
        click(button(dialog(app), "It Wasn’t Me"))
        gone(app, "Sign-in Request")
        got = wait_for("the server to record the fraud report",
                       lambda: (lambda t: t if t["state"] == "denied" else None)(
                           setup.transaction(fraud)))
        if got.get("deny_reason") != "not_me":
            fail("denied, but not as fraud: %s" % got)
        audit_log = setup.admin("GET", "/v1/admin/audit?limit=1000", want=200)["entries"]
        if "push.fraud_alert" not in [e["action"] for e in audit_log]:
            fail("no push.fraud_alert in the audit log")

        # The high-risk push expires by the app's clock: its dialog closes, the list empties.
        review(window, "Payroll")
        dialog(app)
        with open(clock_file, "w", encoding="ascii") as f:
            f.write(str(int(time.time()) + 3600))
        gone(app, "Sign-in Request")
        find(window, "The sign-in request expired", "label")
        wait_for("the expired request to leave the list",
                 lambda: not window.findChildren(predicate.GenericPredicate(
                     name="Review the sign-in to Payroll", roleName="push button")))
        os.unlink(clock_file)

        setup.command("lock")
        find(window, "Your organization locked this app. Unlock it to go on.", "label")
        wait_for("no code on screen after the lock", lambda: not e2e.shown_codes(window))
        unlock(window, setup.passphrase)

        # Enrolled: the preferences offer "Run in Background".
        rawinput.keyCombo("<Control>comma")
        prefs = e2e.frame(app, "Preferences")
        # (GTK 4.8 names the switch after its label and its row's title.)
        find(prefs, "Run in Background", "label")
        e2e.audit(prefs)
        prefs.doActionNamed("window.close")
        gone(app, "Preferences")

        find(window, "Example", "label")
        setup.command("wipe")
        wiped = wait_for("the window that says what the wipe did",
                         lambda: next((w for w in app.children if w.findChildren(
                             predicate.GenericPredicate(name="Managed Accounts Removed",
                                                        roleName="label"))), None))
        click(button(wiped, "Close"))
        wait_for("the managed account to go",
                 lambda: not window.findChildren(predicate.GenericPredicate(
                     name="Example", roleName="label")))
        find(window, "Personal", "label")
        e2e.audit(window)
        if e2e.unnamed:
            fail("interactive controls without an accessible name:\n  "
                 + "\n  ".join("%s (%s)" % (p, r) for p, r in sorted(e2e.unnamed.items())))
        print("ok: push while locked (notification without the number, its action opens the"
              " dialog with the context, unlock first, wrong number refused, approved,"
              " notification withdrawn), high-risk push without notification, fraud report"
              " recorded, expiry by the app's clock, remote lock, remote wipe")
    finally:
        if process.poll() is None:
            e2e.stop_app(process)
        notes.stop()
        setup.server.stop()


if __name__ == "__main__":
    main()
