#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# keyring-session.sh COMMAND [ARG...]: run COMMAND inside a private D-Bus
# session with a real, unlocked gnome-keyring (Secret Service), on the
# throwaway HOME and XDG dirs of isolated-home.sh, so the user's own keyring
# and data are never touched. Used as the WRAPPER of the keyring tests
# (tests/integration/CMakeLists.txt).
#
# The login keyring gets a fixed throwaway password: gnome-keyring 42 asks a
# (GUI) prompt before creating a keyring with an empty one, and there is no
# display here.
set -eu

here=$(cd "$(dirname "$0")" && pwd)

# isolated-home.sh sets HOME and XDG_* before dbus-run-session, so the
# services it activates inherit them.
exec "$here/isolated-home.sh" dbus-run-session -- sh -c '
  printf %s "entsec-test-keyring" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  # Ready when the Secret Service name is on the bus (not a timed wait).
  gdbus wait --session --timeout 30 org.freedesktop.secrets
  exec "$@"' keyring-session "$@"
