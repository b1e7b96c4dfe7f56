#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""test-app-device-e2e.py: the real app on a device enrolled with the real
entsec-server over TLS, driven through AT-SPI as a person would.

The server and the enrollment are test-app-device.py's (entsec-cli enrolls by
email, a personal account is added, the admin provisions a TOTP token that
a sync stores); the vault is the app's default one. The app unlocks it with
the passphrase, shows the provisioned account with its "Managed by" badge
and a code the server's RP API accepts, opens the device page from the main
menu; the admin forbids export, Check Now fetches that policy and the
Backup export in the preferences is insensitive with its reason; Unbind on
the device page (confirmed) leaves the personal account and the server shows
the device unbound. The helpers are test-app-e2e.py's.
Runs under xvfb-session.sh; argv[1] is entsec-server.
"""

import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name):
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"),
                                                  os.path.join(HERE, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


device = load("test-app-device")
e2e = load("test-app-e2e")
servertest = device.servertest
find, button, click, set_text = e2e.find, e2e.button, e2e.click, e2e.set_text


class DeviceAppTests(device.DeviceTests):
    # The widget test's own case runs in test-app-device.
    test_device_page_badge_export_and_unbind = None
    test_required_passphrase_then_delete_all_data = None
    test_required_pin = None

    def vault_path(self):
        # The app opens the default vault: $XDG_DATA_HOME/entsec/default.db.
        path = os.path.join(os.environ["XDG_DATA_HOME"], "entsec", "default.db")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.unlink(path + suffix)
        return path

    def managed_code_validates(self, window, token, acked_step):
        """The managed account's code on screen is the token's; once the step the
        sync acknowledged is over, the server's RP API accepts it."""
        def fresh():
            now = servertest.step()
            code = servertest.hotp(token["secret"], now)
            return code if now > acked_step and code in e2e.shown_codes(window) else None
        code = e2e.wait_for("a fresh code of the managed account", fresh, timeout=45)
        answer, body = self.validate(token["id"], code)
        self.assertEqual(answer, 200, body)

    def open_device_page(self, window):
        # F10 opens the primary menu, as for a person at the keyboard.
        e2e.rawinput.pressKey("F10")
        click(find(window, "Device", "menu item"))
        return find(window, "What This Device Shares")

    def export_greyed(self, app):
        e2e.rawinput.keyCombo("<Control>comma")
        prefs = e2e.frame(app, "Preferences")
        reason = "Your organization’s policy does not allow exporting accounts."
        row = find(prefs, "Encrypted Backup")
        e2e.wait_for("the export row insensitive",
                     lambda: not e2e.states(row).contains(e2e.pyatspi.STATE_SENSITIVE))
        find(prefs, reason, "label")
        e2e.audit(prefs)
        prefs.doActionNamed("window.close")

    def unbind(self, app, window):
        click(button(window, "Unbind"))
        dialog = e2e.wait_for("the confirmation", lambda: next(
            (w for w in app.children if w.name != "Enterprise Security"), None))
        e2e.audit(dialog)
        click(button(dialog, "Unbind"))

    def test_app_on_enrolled_device(self):
        token, acked_step = self.personal_and_managed()
        device_id = self.cli_json("status")["device_id"]
        with open(self.pass_file, encoding="utf-8") as f:
            passphrase = f.read().strip()

        process, app = e2e.start_app(e2e.APP_ENV)
        try:
            window = e2e.frame(app, "Enterprise Security")
            set_text(find(window, "Passphrase", "text", sensitive=True), passphrase)
            click(button(window, "Unlock"))
            find(window, "Add Account", "push button", sensitive=True)
            find(window, "Managed by default", "label")
            self.managed_code_validates(window, token, acked_step)

            self.open_device_page(window)
            find(window, device_id, "label")
            find(window, "Ann Lee", "label")
            e2e.audit(window)
            self.set_policy({"tokens": {"allow_export": False}})
            click(button(window, "Check Now"))
            # The page shows the new policy (the toast may be gone before it is seen).
            e2e.wait_for("the new policy on the device page", lambda: any(
                (n.name or "").endswith("tokens.allow_export: false")
                for n in window.findChildren(e2e.predicate.GenericPredicate(roleName="label"))))
            self.export_greyed(app)

            # The device page is still the one shown.
            self.unbind(app, window)
            e2e.wait_for("the managed account gone", lambda: not any(
                "Managed by" in (n.name or "") for n in window.findChildren(
                    e2e.predicate.GenericPredicate(roleName="label"))))
            find(window, "Personal", "label")
            self.assertEqual(self.admin("GET", "/v1/admin/devices/" + device_id,
                                        want=200)["state"], "unbound")
            if e2e.unnamed:
                self.fail("interactive controls without an accessible name:\n  " + "\n  ".join(
                    "%s (%s)" % (path, role) for path, role in sorted(e2e.unnamed.items())))
        finally:
            if process.poll() is None:
                e2e.stop_app(process)


if __name__ == "__main__":
    servertest.main()
