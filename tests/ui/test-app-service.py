#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-app-service.py: the app started as the login autostart entry starts it.

`entsec --gapplication-service` (the Exec line of the autostart entry that
enrollment offers) must receive sign-in requests with no window shown, and
open one only when the person acts on a notification. Under
tests/ui/xvfb-session.sh, against the real entsec-server (argv[1]) over TLS,
with the vault enrolled by entsec-cli and left locked (the setup and the
notification server of test-app-approve.py), and "Run in Background" on, as
it is when that entry exists (GSettings' keyfile backend in the test's
throwaway XDG_CONFIG_HOME stands in for dconf):

1. Started as a service, the app shows no window, yet a push raises its
   notification (the events worker runs, with the vault locked).
2. The notification's action opens the request; the number asks for the
   unlock first, then approves (the relying party sees "approved").
3. With its windows closed the service keeps running: a second push raises
   a notification too.
"""

import importlib.util
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name, file):
    spec = importlib.util.spec_from_file_location(name, os.path.join(HERE, file))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


approve = _load("approve", "test-app-approve.py")
e2e = approve.e2e
servertest = approve.servertest
from dogtail import rawinput, tree  # noqa: E402

fail, wait_for, find = e2e.fail, e2e.wait_for, e2e.find


def visible_windows(pid):
    """The X windows of @pid that are mapped (xdotool exits 1 when there are none)."""
    result = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(pid)],
                            capture_output=True, text=True, timeout=30, check=False)
    return result.stdout.split()


def accessible_app(pid):
    return wait_for("the app on the accessibility bus",
                    lambda: next((a for a in tree.root.applications()
                                  if a.name == "entsec" and a.get_process_id() == pid), None))


def notified(notes, tx):
    added = wait_for("a notification for the push", lambda: notes.added(tx["transaction_id"]))
    return added[0]["notification"]


def main():
    servertest.SERVER = os.path.abspath(sys.argv[1])
    tmp = os.environ["XDG_RUNTIME_DIR"]
    setup = approve.Setup(tmp)
    notes = approve.Notifications(tmp)
    env = dict(e2e.APP_ENV, GSETTINGS_BACKEND="keyfile")
    subprocess.run(["gsettings", "set", e2e.APP_ID, "run-in-background", "true"], env=env,
                   check=True, timeout=30)
    process = subprocess.Popen([e2e.APP, "--gapplication-service"], env=env)
    try:
        tx = setup.push(approve.VPN)
        note = notified(notes, tx)
        if visible_windows(process.pid):
            fail("the service showed a window at start: %s" % visible_windows(process.pid))

        approve.activate_notification(note)
        app = accessible_app(process.pid)
        request = approve.dialog(app)
        find(request, "Number shown on the sign-in page", "text")
        rawinput.typeText(str(tx["number"]))
        rawinput.pressKey("Return")
        approve.gone(app, "Sign-in Request")
        if setup.transaction(tx)["state"] != "pending":
            fail("answered while locked")
        window = e2e.frame(app, "Enterprise Security")
        approve.unlock(window, setup.passphrase)
        approve.dialog(app)
        rawinput.typeText(str(tx["number"]))
        rawinput.pressKey("Return")
        approve.gone(app, "Sign-in Request")
        wait_for("the relying party to see the approval",
                 lambda: setup.transaction(tx)["state"] == "approved")

        window.doActionNamed("window.close")
        wait_for("the window to close", lambda: not visible_windows(process.pid))
        if process.poll() is not None:
            fail("the service ended when its window closed (exit %s)" % process.returncode)
        second = setup.push({"app": "Mail", "ip": "203.0.113.5"})
        notified(notes, second)
        if visible_windows(process.pid):
            fail("a push opened a window by itself")
        print("ok: started as a service without a window, a push notified while locked, its"
              " action opened the request, unlock first, approved; windows closed, the service"
              " still notifies")
    finally:
        if process.poll() is None:
            e2e.stop_app(process)
        notes.stop()
        setup.server.stop()


if __name__ == "__main__":
    main()
