#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""notification-server.py LOG: a notification server on the session bus for the UI tests.

Owns org.gtk.Notifications, the interface GLib's GNotification uses outside a
sandbox when a server owns that name (as GNOME Shell does), and writes each
call to LOG as one line of JSON: {"op": "add", "app", "id", "notification"}
(the notification's dictionary, variants unpacked) or {"op": "remove", "app",
"id"}. Prints "ready" once the name is owned; runs until killed.
"""

import json
import sys

from gi.repository import Gio, GLib

INTERFACE = """
<node>
  <interface name="org.gtk.Notifications">
    <method name="AddNotification">
      <arg type="s" direction="in"/>
      <arg type="s" direction="in"/>
      <arg type="a{sv}" direction="in"/>
    </method>
    <method name="RemoveNotification">
      <arg type="s" direction="in"/>
      <arg type="s" direction="in"/>
    </method>
  </interface>
</node>
"""


def main():
    log = open(sys.argv[1], "a", encoding="utf-8")  # noqa: SIM115 (open for the process's life)
    node = Gio.DBusNodeInfo.new_for_xml(INTERFACE)
    loop = GLib.MainLoop()

    def on_call(connection, sender, path, interface, method, parameters, invocation):
        args = parameters.unpack()
        if method == "AddNotification":
            entry = {"op": "add", "app": args[0], "id": args[1], "notification": args[2]}
        else:
            entry = {"op": "remove", "app": args[0], "id": args[1]}
        log.write(json.dumps(entry, default=str) + "\n")
        log.flush()
        invocation.return_value(None)

    def on_bus(connection, name):
        connection.register_object("/org/gtk/Notifications", node.interfaces[0], on_call,
                                   None, None)

    def on_name(connection, name):
        print("ready", flush=True)

    def on_lost(connection, name):
        print("could not own org.gtk.Notifications", file=sys.stderr, flush=True)
        loop.quit()

    Gio.bus_own_name(Gio.BusType.SESSION, "org.gtk.Notifications",
                     Gio.BusNameOwnerFlags.NONE, on_bus, on_name, on_lost)
    loop.run()


if __name__ == "__main__":
    main()
