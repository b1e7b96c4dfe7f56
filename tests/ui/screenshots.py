#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""screenshots.py [--enterprise] OUT_DIR: the README's and the metainfo's screenshots, made
by the real app in Xvfb (run under tests/ui/xvfb-session.sh, screen 1400x900).

A demo vault of made-up accounts (fictional companies, secrets generated
here, keyring slot only) is shown light and dark (ADW_DEBUG_COLOR_SCHEME, as
a desktop preference would) at 360x720 (a phone: the codes alone) and
1280x800 (two panes, an account's details open beside the codes). Writes
OUT_DIR/{narrow,wide}-{light,dark}.png and checks what it wrote: the sizes,
and a dark picture darker than its light one. ENTSEC_APP and ENTSEC_CLI name
the programs. ctest runs it as the test "screenshots"; to update the
committed copies:

    ctest --test-dir build/dev -R '^screenshots$'
    cp build/dev/tests/ui/screenshots/*.png data/screenshots/
    optipng -quiet -o7 -strip all data/screenshots/*.png

With --enterprise (the test "screenshots-enterprise") it makes the
enterprise scenes instead (ENTERPRISE_SCENES: the enrollment assistant, a
sign-in approval, the device page; light, 360x720 and 1280x800, as
OUT_DIR/SCENE-{narrow,wide}-light.png), against the demo server of the
README's "Try the whole system on one machine" (tools/demo-server --no-app,
ENTSEC_DEMO and ENTSEC_BUILD_DIR), each only when the app holds the text of
its page (the templates are compiled into it); from then on the scene must
work. The vault is enrolled with entsec-cli and the code the demo printed.
"""

import base64
import os
import queue
import re
import subprocess
import sys
import threading
import time

# The app keeps the tests' G_DEBUG=fatal-warnings; this process does not (the
# AT-SPI client library warns about GTK 4's missing cache interface).
APP_ENV = dict(os.environ)
os.environ.pop("G_DEBUG", None)

from dogtail.config import config  # noqa: E402

config.checkForA11y = False
config.logDebugToFile = False
config.logDebugToStdOut = False
config.searchCutoffCount = 5
config.defaultDelay = 0.2
config.actionDelay = 0.2

import pyatspi  # noqa: E402
from dogtail import predicate, tree  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "enterprise"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "server"))
import demotest  # noqa: E402

APP = os.environ["ENTSEC_APP"]
CLI = os.environ["ENTSEC_CLI"]
TIMEOUT = 60
SIZES = {"narrow": (360, 720), "wide": (1280, 800)}
# Without a compositor (Xvfb) libadwaita draws a 5 px resize frame around the
# window ("solid-csd"); a phone or a desktop session has none, so the X
# window is made that much larger and the frame cut off.
FRAME = 5
# Fictional companies; no real service's name or secret.
DEMO = [("Northwind Mail", "alex.doe@northwind.example"),
        ("Contoso VPN", "adoe"),
        ("Fabrikam HR", "alex.doe"),
        ("Tailspin Cloud", "alex@tailspin.example"),
        ("Wingtip Git", "alexdoe"),
        ("Adatum Bank", "alex.doe@mail.example")]
# The README's enterprise scenes: (file stem, the text whose presence in the
# app turns the scene on, how it is reached, the accessible name of the
# control that shows it is on screen). How, step by step: ("click", NAME) activates the
# control named NAME, ("click-prefix", TEXT) the first control whose name
# starts with TEXT, ("push",) sends a sign-in request from the demo,
# ("action", "app.NAME") activates an application action over D-Bus and
# ("menu", NAME) opens the main menu with F10 and chooses the item NAME. The names come
# from issue [8]; set them to the app's own when its enterprise pages land.
ENTERPRISE_SCENES = [
    ("enroll", "Open Picture of Activation Code", [("action", "app.enroll")],
     "Open Picture of Activation Code…"),
    ("approval", "It Wasn’t Me", [("push",), ("click-prefix", "Review the sign-in")],
     "It Wasn’t Me"),
    ("device", "What This Device Shares", [("menu", "Device")],
     "What This Device Shares"),
]


def fail(message):
    print("FAIL:", message, file=sys.stderr)
    shot = os.path.join(sys.argv[-1], "screenshots-failure.png")
    subprocess.run(["import", "-window", "root", shot], check=False)
    print("screen at the failure:", shot, file=sys.stderr)
    sys.exit(1)


def wait_for(what, fn, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = fn()
        except Exception:  # the accessibility tree changes while the app works
            result = None
        if result:
            return result
        time.sleep(0.2)
    fail("timed out waiting for " + what)


def gnome_window_buttons():
    """GNOME's and Phosh's title bar buttons (close only), in the throwaway
    XDG_CONFIG_HOME: GTK's own default adds minimise and maximise, and the
    three take the app 10 px over 360 px."""
    folder = os.path.join(os.environ["XDG_CONFIG_HOME"], "gtk-4.0")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "settings.ini"), "w", encoding="utf-8") as f:
        f.write("[Settings]\ngtk-decoration-layout=appmenu:close\n")


def make_demo_vault():
    lines = []
    for issuer, label in DEMO:
        secret = base64.b32encode(os.urandom(20)).decode("ascii").rstrip("=")
        lines.append("otpauth://totp/%s:%s?secret=%s&issuer=%s"
                     % (issuer.replace(" ", "%20"), label.replace("@", "%40"), secret,
                        issuer.replace(" ", "%20")))
    # The keyring opens it at start; the passphrase beside it is what the demo
    # organization's policy (app_unlock.required: passphrase, the default)
    # asks for once the device is enrolled, so the enterprise scenes show the
    # codes, not that request.
    pass_file = os.path.join(os.environ["XDG_RUNTIME_DIR"], "screenshots-pass")
    with open(pass_file, "w", encoding="utf-8") as f:
        f.write("correct horse battery staple screenshots\n")
    subprocess.run([CLI, "init", "--passphrase-file", pass_file, "--kdf-memory", "8192",
                    "--kdf-iterations", "1"], env=APP_ENV, check=True,
                   stdout=subprocess.DEVNULL)
    subprocess.run([CLI, "add", "--uri", "-"], env=APP_ENV, check=True, text=True,
                   input="\n".join(lines) + "\n", stdout=subprocess.DEVNULL)
    subprocess.run([CLI, "edit", "--favourite", DEMO[0][1]], env=APP_ENV, check=True,
                   stdout=subprocess.DEVNULL)


class App:
    """The app, with the bench probe on to say when the codes are painted."""

    def __init__(self, scheme):
        env = dict(APP_ENV, ENTSEC_BENCH="1", ADW_DEBUG_COLOR_SCHEME="prefer-" + scheme)
        self.lines = queue.Queue()
        self.process = subprocess.Popen([APP], env=env, stdout=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, daemon=True).start()
        wait_for("the codes on screen", self._codes_painted)
        # This process's node: one of an app quit before may still be listed.
        node = wait_for("the app on the accessibility bus", lambda: next(
            (a for a in tree.root.applications()
             if a.name == "entsec" and a.get_process_id() == self.process.pid), None))
        self.window = wait_for("its window", lambda: next(
            (w for w in node.children if w.name == "Enterprise Security"), None))
        self.node = node
        self.xid = wait_for("its X window", lambda: subprocess.run(
            ["xdotool", "search", "--name", "^Enterprise Security$"], capture_output=True,
            text=True, check=False).stdout.split()[-1])

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line.split())

    def _codes_painted(self):
        while not self.lines.empty():
            words = self.lines.get()
            if words[:2] == ["entsec-bench", "codes-frame"]:
                if words[3] != str(len(DEMO)):
                    fail("the codes page shows %s accounts, not %d" % (words[3], len(DEMO)))
                return True
        return False

    def resize(self, size):
        outer = (size[0] + 2 * FRAME, size[1] + 2 * FRAME)
        subprocess.run(["xdotool", "windowsize", self.xid, str(outer[0]), str(outer[1])],
                       check=True)
        wait_for("the window at %dx%d" % outer, lambda: self.geometry() == outer)
        self.size = size

    def geometry(self):
        out = subprocess.run(["xdotool", "getwindowgeometry", "--shell", self.xid],
                             capture_output=True, text=True, check=True).stdout
        values = dict(line.split("=", 1) for line in out.split())
        return int(values["WIDTH"]), int(values["HEIGHT"])

    def open_details(self):
        button = wait_for("an account's details button", lambda: self.window.findChild(
            predicate.GenericPredicate(name="Account details", roleName="push button"),
            retry=False))
        button.doActionNamed("click")
        # GTK 4.8 reports "visible", never "showing".
        wait_for("the details pane", lambda: any(
            node.getState().contains(pyatspi.STATE_VISIBLE) for node in
            self.window.findChildren(predicate.GenericPredicate(name="Delete Account"))))

    def shoot(self, path):
        # The pane's slide and the row's countdown have run by then.
        time.sleep(1.0)
        subprocess.run(["import", "-window", self.xid, "-crop",
                        "%dx%d+%d+%d" % (self.size + (FRAME, FRAME)), "+repage", path], check=True)

    def find(self, name):
        """The control named @name (any case, mnemonics ignored) in any of the app's
        windows, or None."""
        wanted = name.lower()
        return self.node.findChild(
            lambda node: (node.name or "").replace("_", "").lower() == wanted,
            debugName=name, retry=False, requireResult=False)

    def find_prefix(self, text):
        """The first control whose name starts with @text (any case), or None."""
        wanted = text.lower()
        return self.node.findChild(
            lambda node: (node.name or "").replace("_", "").lower().startswith(wanted),
            debugName=text, retry=False, requireResult=False)

    def activate_app_action(self, action):
        """Activates app.NAME over D-Bus (org.freedesktop.Application), as a
        notification's button or another program would."""
        subprocess.run(["gdbus", "call", "--session", "--dest", "org.entsec.EnterpriseSecurity",
                        "--object-path", "/org/entsec/EnterpriseSecurity",
                        "--method", "org.freedesktop.Application.ActivateAction",
                        action.split(".", 1)[1], "[]", "{}"], check=True,
                       stdout=subprocess.DEVNULL)

    def show_window_of(self, node):
        """Makes the window holding @node (the main one, a dialog, the preferences)
        the one resize() and shoot() act on."""
        while node.parent is not None and node.parent.roleName != "application":
            node = node.parent
        self.xid = wait_for("the X window " + node.name, lambda: subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", "^%s$" % re.escape(node.name)],
            capture_output=True, text=True, check=False).stdout.split()[-1])

    def quit(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def image_info(path):
    out = subprocess.run(["identify", "-format", "%w %h %[fx:mean]", path], capture_output=True,
                         text=True, check=True).stdout.split()
    return (int(out[0]), int(out[1])), float(out[2])


def check(out_dir):
    for name, size in SIZES.items():
        means = {}
        for scheme in ("light", "dark"):
            got, means[scheme] = image_info(os.path.join(out_dir, "%s-%s.png" % (name, scheme)))
            if got != size:
                fail("%s-%s.png is %dx%d, not %dx%d" % ((name, scheme) + got + size))
        if not means["dark"] < means["light"] - 0.2:
            fail("%s-dark.png (mean %.2f) is not darker than %s-light.png (mean %.2f)"
                 % (name, means["dark"], name, means["light"]))


def app_texts():
    """The app's text, lower case, mnemonics removed: its templates are compiled in."""
    with open(APP, "rb") as f:
        return f.read().replace(b"_", b"").decode("utf-8", errors="ignore").lower()


def enroll_with_cli(demo):
    """Enrolls the demo vault (keyring slot) with the activation link; the code is
    the one the demo printed, handed over through a FIFO once the CLI asks for it."""
    fifo = os.path.join(os.environ["XDG_RUNTIME_DIR"], "enroll-code")
    os.mkfifo(fifo, 0o600)
    proc = subprocess.Popen([CLI, "enroll", "--link", demo.link, "--code-file", fifo],
                            env=APP_ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        code = demo.code("email")
        with open(fifo, "w", encoding="ascii") as f:
            f.write(code + "\n")
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    if proc.returncode != 0:
        fail("entsec-cli enroll failed: " + out + err)


def run_step(app, step, demo):
    if step[0] == "click":
        control = wait_for("the control " + step[1], lambda: app.find(step[1]))
        control.doActionNamed("click")
    elif step[0] == "click-prefix":
        control = wait_for("a control named " + step[1] + "...",
                           lambda: app.find_prefix(step[1]))
        control.doActionNamed("click")
    elif step[0] == "push":
        demo.push()
    elif step[0] == "menu":
        subprocess.run(["xdotool", "key", "--window", app.xid, "F10"], check=True)
        item = wait_for("the menu item " + step[1], lambda: app.node.findChild(
            predicate.GenericPredicate(name=step[1], roleName="menu item"),
            retry=False, requireResult=False))
        item.doActionNamed("click")
    else:
        app.activate_app_action(step[1])


def shoot_scene(app, out_dir, stem, how, shown, demo):
    for step in how:
        run_step(app, step, demo)
    app.show_window_of(wait_for("the control " + shown, lambda: app.find(shown)))
    for name, size in SIZES.items():
        path = os.path.join(out_dir, "%s-%s-light.png" % (stem, name))
        app.resize(size)
        app.shoot(path)
        got, _ = image_info(path)
        if got != size:
            fail("%s is %dx%d, not %dx%d" % ((path,) + got + size))


def enterprise_scenes(out_dir):
    texts = app_texts()
    scenes = []
    for scene in ENTERPRISE_SCENES:
        if scene[1].lower() in texts:
            scenes.append(scene)
        else:
            print("skipped: the %s scene (the app has no \"%s\" yet)" % scene[:2])
    if not scenes:
        return
    make_demo_vault()
    # A notification server on the session bus, as on a desktop: without one
    # GLib warns, and the app runs with fatal warnings.
    notes = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "notification-server.py"),
        os.path.join(os.environ["XDG_RUNTIME_DIR"], "notifications.jsonl")],
        stdout=subprocess.PIPE, text=True)
    if notes.stdout.readline().strip() != "ready":
        fail("the notification server did not start")
    demo = demotest.Demo(os.environ["ENTSEC_DEMO"], os.environ["ENTSEC_BUILD_DIR"])
    enrolled = False
    try:
        for stem, _, how, shown in scenes:
            if stem != "enroll" and not enrolled:
                enroll_with_cli(demo)
                enrolled = True
            app = App("light")
            try:
                shoot_scene(app, out_dir, stem, how, shown, demo)
            finally:
                app.quit()
            print("ok: the %s scene in %s" % (stem, out_dir))
    finally:
        demo.stop()
        notes.kill()
        notes.wait()


def main():
    out_dir = sys.argv[-1]
    os.makedirs(out_dir, exist_ok=True)
    gnome_window_buttons()
    if sys.argv[1] == "--enterprise":
        enterprise_scenes(out_dir)
        return
    make_demo_vault()
    for scheme in ("light", "dark"):
        app = App(scheme)
        try:
            app.resize(SIZES["narrow"])
            app.shoot(os.path.join(out_dir, "narrow-%s.png" % scheme))
            app.resize(SIZES["wide"])
            app.open_details()
            app.shoot(os.path.join(out_dir, "wide-%s.png" % scheme))
        finally:
            app.quit()
    check(out_dir)
    print("ok: narrow and wide, light and dark, in", out_dir)


if __name__ == "__main__":
    main()
