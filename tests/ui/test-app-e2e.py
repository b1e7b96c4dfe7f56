#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-app-e2e.py: the real app, driven through AT-SPI as a person would.

Runs under tests/ui/xvfb-session.sh (Xvfb, private D-Bus session with the
accessibility bus and a real gnome-keyring, throwaway HOME). First run with
a passphrase; an account added from a picture of the project's QR corpus
through the add dialog and the file chooser; the code shown compared with
oathtool's; Ctrl+L locks, the passphrase unlocks; search, and Enter copies
the code found, read back from the X clipboard (xclip); an account added by the real
entsec-cli appears without a restart; two Google Authenticator export links
opened at once over D-Bus list their accounts in one window with check boxes
(the account already there flagged and not added again); the details
page deletes an account
and the toast's "Undo" brings it back; and every interactive control met on
the way must have an accessible name. The details page shows the QR code
after the passphrase and hides it on leaving. The preferences set a quick
unlock PIN, which the next lock asks for first (a wrong one shows the
attempts left, the right one the codes). The preferences export an
encrypted backup, which a fresh profile (keyring only) imports: the same
code shows there.

GTK 4.8 reports positions relative to the window, so everything goes
through AT-SPI actions, text and the keyboard, never screen coordinates.
"""

import base64
import os
import re
import subprocess
import sys
import time
import urllib.parse

# The app keeps the tests' G_DEBUG=fatal-warnings; this process does not:
# the AT-SPI client library warns about GTK 4's missing cache interface.
APP_ENV = dict(os.environ)
os.environ.pop("G_DEBUG", None)

from dogtail.config import config  # noqa: E402

config.checkForA11y = False  # GTK 4 talks to AT-SPI whatever GSettings says
config.logDebugToFile = False
config.logDebugToStdOut = os.environ.get("ENTSEC_E2E_DEBUG") is not None
config.searchCutoffCount = 5
config.defaultDelay = 0.2
config.actionDelay = 0.2
config.typingDelay = 0.02

import pyatspi  # noqa: E402
from dogtail import predicate, rawinput, tree  # noqa: E402

APP = os.environ["ENTSEC_APP"]
APP_ID = "org.entsec.EnterpriseSecurity"
CLI = os.environ["ENTSEC_CLI"]
CLI_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
OATHTOOL = os.environ.get("OATHTOOL", "oathtool")
SOURCE_DIR = os.environ["ENTSEC_SOURCE_DIR"]
# The corpus lives beside the repository (../shared/corpus).
CORPUS = os.path.join(SOURCE_DIR, "..", "shared", "corpus", "qr", "synthetic", "clean")
IMAGE = os.path.realpath(os.path.join(CORPUS, "clean_01.png"))
PASSPHRASE = "correct horse battery staple"
NEW_PASSPHRASE = "velvet harbour juniper lantern"
BACKUP_PASSPHRASE = "amber quiver meadow tinsel"
PIN = "602817"
WRONG_PIN = "111111"
TIMEOUT = 60
BACKUP = os.path.join(os.environ["XDG_RUNTIME_DIR"], "accounts.entsec")

INTERACTIVE = {"push button", "toggle button", "check box", "radio button", "text",
               "password text", "combo box", "menu item", "slider", "spin button",
               "switch", "link", "entry"}
# GTK 4.8 names an unnamed widget after its (or a child's) type.
TYPE_NAME = re.compile(r"^(Gtk|Adw|Entsec)[A-Z]\w*$")
unnamed = {}


def fail(message):
    print("FAIL:", message, file=sys.stderr)
    shot = os.path.join(os.environ.get("ENTSEC_FAILURE_DIR", os.getcwd()), "test-app-e2e-failure.png")
    subprocess.run(["import", "-window", "root", shot], check=False)
    print("screen at the failure:", shot, file=sys.stderr)
    sys.exit(1)


def wait_for(what, fn, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = fn()
        except Exception:  # the tree changes under us while the app works
            result = None
        if result:
            return result
        time.sleep(0.2)
    fail("timed out waiting for " + what)


def states(node):
    return node.getState()


def audit(root):
    """Remember every interactive control without a usable accessible name."""
    def walk(node, path):
        try:
            role, name = node.roleName, node.name
            children = list(node.children)
        except Exception:
            return
        here = path + "/" + (name or role)
        # libadwaita 1.2's toast has an unnamed close button we cannot reach,
        # and AdwPreferencesWindow an unnamed search entry of its own (kept
        # in the tree with search-enabled off).
        toolkit = "/AdwToastWidget/" in here or (
            here.startswith("/Preferences/") and here.endswith("/GtkSearchEntry"))
        if role in INTERACTIVE and not toolkit and (not name.strip() or TYPE_NAME.match(name)):
            unnamed.setdefault(here, role)
        for child in children:
            walk(child, here)
    walk(root, "")


def find(root, name=None, role=None, sensitive=False):
    def look():
        for node in root.findChildren(predicate.GenericPredicate(name=name, roleName=role)):
            if not sensitive or states(node).contains(pyatspi.STATE_SENSITIVE):
                return node
        return None
    return wait_for("%s '%s'" % (role, name), look)


def button(root, label):
    """The push button showing @label (its name, or its label child's)."""
    def look():
        for node in root.findChildren(predicate.GenericPredicate(roleName="push button")):
            if node.name == label:
                return node
            for child in node.findChildren(predicate.GenericPredicate(name=label,
                                                                      roleName="label")):
                return node
        return None
    return wait_for("button '%s'" % label, look)


def click(node):
    node.doActionNamed("click")


def set_text(node, text):
    """Types @text into the field @node and waits until the field holds it. On a
    page GTK has just mapped, under load, a write can be lost (the field stays
    empty and the test would wait for what its next click was to bring); it is
    written again then, as a person would type again. A password field does not
    tell its text, so it is written once."""
    node.text = text
    if node.roleName == "password text":
        return

    def landed():
        query = node.queryText()
        if query.getText(0, query.characterCount) == text:
            return True
        node.text = text
        return False

    wait_for("the text %r in '%s'" % (text, node.name), landed)


def frame(app, title):
    return wait_for("window '%s'" % title,
                    lambda: next((w for w in app.children if w.name == title), None))


def shown_codes(window):
    """The codes on screen: labels of grouped digits ("123 456")."""
    return [n.name.replace(" ", "") for n in window.findChildren(
        predicate.GenericPredicate(roleName="label"))
        if re.fullmatch(r"\d{3} \d{3}", n.name or "")]


def expected_secret():
    if not os.path.isfile(os.path.join(CORPUS, "clean_01.txt")):
        fail("the QR corpus is not at %s: the test data lives in ../shared beside the "
             "checkout" % os.path.normpath(CORPUS))
    with open(os.path.join(CORPUS, "clean_01.txt"), encoding="utf-8") as f:
        payload = f.read().rstrip("\n")
    match = re.search(r"[?&]secret=([A-Z2-7]+)", payload)
    if not payload.startswith("otpauth://totp/") or not match:
        fail("clean_01.txt is not the TOTP payload this test expects: " + payload)
    return match.group(1)


def oathtool_codes(secret):
    """The code now and in the step before: the label may be a second old."""
    now = int(time.time())
    codes = set()
    for t in (now, now - 30):
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t))
        out = subprocess.run([OATHTOOL, "--totp", "-b", "-N", stamp + " UTC", secret],
                             check=True, capture_output=True, text=True).stdout
        codes.add(out.strip())
    return codes


def first_run(app, window, passphrase=PASSPHRASE):
    if passphrase:
        set_text(find(window, "Passphrase (optional)", "text"), passphrase)
        set_text(find(window, "Confirm Passphrase", "text"), passphrase)
    audit(window)
    click(wait_for("Start enabled",
                   lambda: (lambda b: b if states(b).contains(pyatspi.STATE_SENSITIVE) else None)(
                       button(window, "Start"))))
    # The codes page: its actions are enabled once the vault is open.
    return find(window, "Add Account", "push button", sensitive=True)


def add_from_picture(app, window):
    click(find(window, "Add Account", "push button", sensitive=True))
    dialog = frame(app, "Add Account")
    audit(dialog)
    click(button(dialog, "Choose Pictures…"))
    chooser = frame(app, "Choose Pictures of QR Codes")
    # Type the file's path, as a person can in GTK's file chooser.
    rawinput.keyCombo("<Control>l")
    location = wait_for("the location entry", lambda: next(
        (n for n in chooser.findChildren(predicate.GenericPredicate(roleName="text"))
         if states(n).contains(pyatspi.STATE_FOCUSED)), None))
    set_text(location, IMAGE)
    # Not audited: GTK 4.8's own file chooser (several unnamed controls of
    # its own); where xdg-desktop-portal runs, the portal's chooser replaces it.
    click(button(chooser, "Add"))
    result = find(dialog, "clean_01.png")
    del result
    wait_for("the result of clean_01.png", lambda: any(
        "Added ACME" in (n.name or "") for n in dialog.findChildren(
            predicate.GenericPredicate(roleName="label"))))
    dialog.doActionNamed("window.close")


def check_code(window, secret):
    def matches():
        codes = shown_codes(window)
        return codes and set(codes) & oathtool_codes(secret)
    wait_for("the code of ACME to be oathtool's", matches, timeout=20)


def lock_and_unlock(window, passphrase=PASSPHRASE, pin_first=False):
    rawinput.keyCombo("<Control>l")
    if pin_first:
        click(button(window, "Use Passphrase Instead"))
    secret_row = find(window, "Passphrase", "text", sensitive=True)
    wait_for("no code on screen after locking", lambda: not shown_codes(window))
    audit(window)
    set_text(secret_row, passphrase)
    click(button(window, "Unlock"))
    find(window, "Add Account", "push button", sensitive=True)


def lock_and_unlock_pin(window):
    """After a lock the PIN is asked first: a wrong one says how many
    attempts are left, the right one shows the codes."""
    rawinput.keyCombo("<Control>l")
    pin_entry = find(window, "Quick unlock PIN", sensitive=True)
    wait_for("no code on screen after locking", lambda: not shown_codes(window))
    audit(window)
    set_text(pin_entry, WRONG_PIN)
    click(button(window, "Unlock"))
    find(window, "Wrong PIN. 4 attempts left before the passphrase is needed.", "label")
    set_text(pin_entry, PIN)
    click(button(window, "Unlock"))
    find(window, "Add Account", "push button", sensitive=True)


def copy_and_read_back(window, secret):
    """Ctrl+F, a name, Enter: the first account found is copied, and X11's
    CLIPBOARD holds its code (read back with xclip, as another program would).
    GTK 4.8 offers no AT-SPI action that activates a list row."""
    rawinput.keyCombo("<Control>f")
    # The search box has the focus; GTK 4.8 puts its editable text on an
    # unnamed inner node, so type as a person does.
    find(window, "Search accounts")
    audit(window)
    rawinput.typeText("no such account")
    find(window, "No Results", "label")
    rawinput.keyCombo("<Control>a")
    rawinput.typeText("acme")
    wait_for("ACME found again", lambda: shown_codes(window))
    rawinput.pressKey("Return")

    def clipboard():
        out = subprocess.run(["xclip", "-o", "-selection", "clipboard"], capture_output=True,
                             text=True, timeout=10, check=False).stdout.strip()
        return out in oathtool_codes(secret)
    wait_for("the code on the clipboard", clipboard, timeout=20)
    rawinput.keyCombo("<Control>f")


def add_with_cli(window):
    """The real entsec-cli writes while the app has the vault open."""
    subprocess.run([CLI, "add", "--issuer", "CliCorp", "--label", "carol", "--secret", "-",
                    "--passphrase-file", os.path.join(os.environ["XDG_RUNTIME_DIR"], "pass")],
                   input=CLI_SECRET + "\n", text=True, check=True, env=APP_ENV, timeout=60)
    find(window, "CliCorp", "label")


def protobuf_field(number, wire_type, payload):
    """One field of a protocol buffer: varint (wire type 0) or bytes (2)."""
    def varint(value):
        out = bytearray()
        while value > 0x7F:
            out.append(value & 0x7F | 0x80)
            value >>= 7
        return bytes(out) + bytes([value])
    key = varint(number << 3 | wire_type)
    return key + (varint(payload) if wire_type == 0 else varint(len(payload)) + payload)


def export_link(accounts):
    """Google Authenticator's export (MigrationPayload) of (issuer, name) TOTP accounts."""
    body = b""
    for issuer, name in accounts:
        entry = (protobuf_field(1, 2, os.urandom(20)) + protobuf_field(2, 2, name.encode())
                 + protobuf_field(3, 2, issuer.encode()) + protobuf_field(4, 0, 1)
                 + protobuf_field(5, 0, 1) + protobuf_field(6, 0, 2))
        body += protobuf_field(1, 2, entry)
    body += protobuf_field(2, 0, 1) + protobuf_field(3, 0, 1) + protobuf_field(4, 0, 0)
    data = base64.b64encode(body).decode("ascii")
    return "otpauth-migration://offline?data=" + urllib.parse.quote(data, safe="")


def open_on_bus(uris):
    """org.freedesktop.Application.Open, as a browser hands links over."""
    from gi.repository import Gio, GLib
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    bus.call_sync(APP_ID, "/" + APP_ID.replace(".", "/"), "org.freedesktop.Application", "Open",
                  GLib.Variant("(asa{sv})", (uris, {})), None, Gio.DBusCallFlags.NONE, 60000,
                  None)


def import_google_export(app, window):
    """Two export links opened at once: one list of their accounts with check
    boxes, all checked but the account entsec-cli added (flagged, it cannot be
    checked); the checked ones are added, the flagged one not again. (GTK 4.8
    gives a check box no AT-SPI action nor focus: unchecking is tested in C,
    test-app-add.)"""
    open_on_bus([export_link([("Exported", "ann@example.org"), ("CliCorp", "carol")]),
                 export_link([("Exported", "ben@example.org")])])
    chooser = frame(app, "Google Authenticator Export")
    audit(chooser)
    find(chooser, "The export holds 3 accounts. Add the checked ones.", "label")
    ann = find(chooser, "Exported (ann@example.org)", "check box")
    ben = find(chooser, "Exported (ben@example.org)", "check box")
    carol = find(chooser, "CliCorp (carol)", "check box")
    find(chooser, "carol — already in your list", "label")
    if not states(ann).contains(pyatspi.STATE_CHECKED) or not states(ben).contains(
            pyatspi.STATE_CHECKED):
        fail("the new accounts of the export are not checked")
    if states(carol).contains(pyatspi.STATE_CHECKED) or states(carol).contains(
            pyatspi.STATE_SENSITIVE):
        fail("the account already in the list can be added again")
    click(button(chooser, "Add"))
    find(window, "ann@example.org", "label")
    find(window, "ben@example.org", "label")
    carols = window.findChildren(predicate.GenericPredicate(name="carol", roleName="label"))
    if len(carols) != 1:
        fail("the account already in the list is shown %d times" % len(carols))


def qr_images(window):
    return [n for n in window.findChildren(predicate.GenericPredicate(
        name="QR code of this account")) if states(n).contains(pyatspi.STATE_VISIBLE)]


def show_qr(window):
    """The QR code shows only after the vault passphrase is typed again."""
    click(button(window, "Show QR Code"))
    set_text(find(window, "Vault Passphrase", sensitive=True), PASSPHRASE)
    audit(window)
    click(button(window, "Show QR Code"))
    wait_for("the QR code", lambda: qr_images(window))


def delete_and_undo(app, window):
    before = len(shown_codes(window))
    click(find(window, "Account details", "push button", sensitive=True))
    find(window, "Issuer", sensitive=True)
    audit(window)
    show_qr(window)
    click(button(window, "Delete Account"))
    def confirm_button():
        for dialog in app.children:
            for node in dialog.findChildren(predicate.GenericPredicate(roleName="push button")):
                if node.name in ("Delete", "_Delete") or node.findChildren(
                        predicate.GenericPredicate(name="Delete", roleName="label")):
                    return node
        return None
    click(wait_for("the confirmation", confirm_button))
    undo = button(window, "Undo")
    wait_for("one account fewer", lambda: len(shown_codes(window)) == before - 1)
    click(undo)
    wait_for("the account back", lambda: len(shown_codes(window)) == before)
    wait_for("the QR code hidden after leaving the page", lambda: not qr_images(window))


def preferences(app):
    """Preferences (Ctrl+,) opens and every control in it has a name. GTK 4.8
    offers no AT-SPI action on a GtkSwitch (a "check box" here), so the
    hide-codes switch itself is covered by the C tests, not toggled here."""
    rawinput.keyCombo("<Control>comma")
    prefs = frame(app, "Preferences")
    find(prefs, "Minutes before the codes lock", "spin button")
    audit(prefs)
    change_passphrase(app, prefs)
    set_pin(app, prefs)
    export_backup(app, prefs)
    prefs.doActionNamed("window.close")


def fill_dialog(app, prefs, opener, title, fields, apply):
    """Open dialog @title with button @opener, type @fields (row -> text),
    press @apply; it closes once the vault has what was asked."""
    click(button(prefs, opener))
    dialog = frame(app, title)
    audit(dialog)
    for row, text in fields:
        set_text(find(dialog, row, "text"), text)
    click(button(dialog, apply))
    wait_for("the dialog '%s' closed" % title,
             lambda: not any(w.name == title for w in app.children))


def change_passphrase(app, prefs):
    """Security: change the passphrase (the current one, the new one twice)."""
    fill_dialog(app, prefs, "Change…", "Change Passphrase",
                [("Current Passphrase", PASSPHRASE), ("New Passphrase", NEW_PASSPHRASE),
                 ("Confirm New Passphrase", NEW_PASSPHRASE)], "Change")


def set_pin(app, prefs):
    """Security: a quick unlock PIN (the passphrase, then the PIN twice)."""
    fill_dialog(app, prefs, "Set…", "Quick Unlock PIN",
                [("Passphrase", NEW_PASSPHRASE), ("New PIN", PIN), ("Confirm New PIN", PIN)],
                "Set PIN")


def chooser_path(app, title, path, accept, location=False):
    """Type @path into GTK's own file chooser (no portal here) and accept."""
    chooser = frame(app, title)
    if location:
        rawinput.keyCombo("<Control>l")
    entry = wait_for("the file name entry", lambda: next(
        (n for n in chooser.findChildren(predicate.GenericPredicate(roleName="text"))
         if states(n).contains(pyatspi.STATE_FOCUSED)), None))
    set_text(entry, path)
    click(button(chooser, accept))


def prompt_with(app, row):
    """The message dialog that holds a passphrase row named @row."""
    return wait_for("the dialog asking for '%s'" % row, lambda: next(
        (w for w in app.children if w.findChildren(
            predicate.GenericPredicate(name=row, roleName="text"))), None))


def export_backup(app, prefs):
    """Backup: an encrypted export asks the vault passphrase again and a new
    backup passphrase twice, then says how many accounts it wrote."""
    click(button(prefs, "Export Encrypted Backup…"))
    chooser_path(app, "Save the Encrypted Backup", BACKUP, "Save")
    prompt = prompt_with(app, "Confirm Backup Passphrase")
    audit(prompt)
    set_text(find(prompt, "Vault Passphrase", "text"), NEW_PASSPHRASE)
    set_text(find(prompt, "Backup Passphrase", "text"), BACKUP_PASSPHRASE)
    set_text(find(prompt, "Confirm Backup Passphrase", "text"), BACKUP_PASSPHRASE)
    click(wait_for("Export enabled", lambda: (
        lambda b: b if states(b).contains(pyatspi.STATE_SENSITIVE) else None)(
            button(prompt, "Export"))))
    find(prefs, "Exported 4 accounts", "label")
    if os.stat(BACKUP).st_mode & 0o777 != 0o600:
        fail("the backup is not mode 0600")


def import_backup(app):
    """A fresh profile imports the backup with its passphrase."""
    rawinput.keyCombo("<Control>comma")
    prefs = frame(app, "Preferences")
    click(button(prefs, "Import Backup…"))
    chooser_path(app, "Import Accounts", BACKUP, "Open", location=True)
    prompt = prompt_with(app, "Backup Passphrase")
    audit(prompt)
    set_text(find(prompt, "Backup Passphrase", "text"), BACKUP_PASSPHRASE)
    click(button(prompt, "Import"))
    find(prefs, "Added 4 accounts", "label")
    prefs.doActionNamed("window.close")


def start_app(env):
    process = subprocess.Popen([APP], env=env)
    app = wait_for("the app on the accessibility bus",
                   lambda: next((a for a in tree.root.applications()
                                 if a.name == "entsec" and a.get_process_id() == process.pid),
                                None))
    return process, app


def stop_app(process):
    process.terminate()
    process.wait(timeout=10)


def dialog_with(app, heading):
    """The window of @app that shows the label @heading (a message dialog's)."""
    def look():
        for w in app.children:
            # The main window's tree lists its dialogs too: the dialog's own window.
            if w.name in ("Enterprise Security", "Preferences"):
                continue
            if w.findChildren(predicate.GenericPredicate(name=heading, roleName="label")):
                return w
        return None
    return wait_for("the dialog '%s'" % heading, look)


def delete_all_data(app, window, vault):
    """Preferences > Delete All Local Data: the confirmation says what goes, then
    the vault file is gone and the first-run page is back."""
    rawinput.keyCombo("<Control>comma")

    def delete_button():
        # The Preferences window just opened (one closed before may linger in the tree).
        for w in app.children:
            if w.name != "Preferences":
                continue
            for node in w.findChildren(predicate.GenericPredicate(roleName="push button")):
                # Its name, then its label's text ("Delete…").
                if (node.name or "").startswith("Delete All Local Data"):
                    return node
        return None
    click(wait_for("button 'Delete All Local Data'", delete_button))
    confirm = dialog_with(app, "Delete All Local Data?")
    audit(confirm)
    click(button(confirm, "Delete All Data"))
    done = dialog_with(app, "All Local Data Deleted")
    audit(done)
    click(button(done, "Close"))
    button(window, "Start")
    wait_for("the vault file gone", lambda: not os.path.exists(vault) or None)


def main():
    secret = expected_secret()
    with open(os.path.join(os.environ["XDG_RUNTIME_DIR"], "pass"), "w", encoding="utf-8") as f:
        f.write(PASSPHRASE)
    process, app = start_app(APP_ENV)
    try:
        window = frame(app, "Enterprise Security")
        first_run(app, window)
        audit(window)
        add_from_picture(app, window)
        check_code(window, secret)
        lock_and_unlock(window)
        check_code(window, secret)
        copy_and_read_back(window, secret)
        add_with_cli(window)
        import_google_export(app, window)
        delete_and_undo(app, window)
        check_code(window, secret)
        preferences(app)
        audit(window)
        # A PIN was set in the preferences: it is asked first after a lock.
        lock_and_unlock_pin(window)
        check_code(window, secret)
        # The passphrase changed in the preferences: the new one unlocks.
        lock_and_unlock(window, NEW_PASSPHRASE, pin_first=True)
        check_code(window, secret)
        stop_app(process)
        # A fresh profile: another data folder, the keyring alone.
        fresh_env = dict(APP_ENV, XDG_DATA_HOME=os.path.join(os.environ["HOME"], "fresh-data"))
        process, app = start_app(fresh_env)
        window = frame(app, "Enterprise Security")
        first_run(app, window, passphrase=None)
        import_backup(app)
        check_code(window, secret)
        find(window, "CliCorp", "label")
        delete_all_data(app, window, os.path.join(fresh_env["XDG_DATA_HOME"], "entsec",
                                                  "default.db"))
        if unnamed:
            fail("interactive controls without an accessible name:\n  "
                 + "\n  ".join("%s (%s)" % (path, role) for path, role in sorted(unnamed.items())))
        screenshot = os.environ.get("ENTSEC_SCREENSHOT")
        if screenshot:
            subprocess.run(["import", "-window", "root", screenshot], check=False)
        print("ok: first run, add from picture, code == oathtool, lock, unlock, copy, search,"
              " entsec-cli add seen live, Google export links in one list (duplicate flagged),"
              " delete and undo, preferences, passphrase changed and used,"
              " quick unlock PIN set, wrong PIN's attempts left shown, PIN unlocks,"
              " encrypted backup exported and imported into a fresh profile,"
              " all local data deleted")
    finally:
        if process.poll() is None:
            stop_app(process)


if __name__ == "__main__":
    main()
