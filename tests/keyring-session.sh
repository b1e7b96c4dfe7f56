#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# keyring-session.sh COMMAND [ARG...]: run COMMAND inside a private D-Bus
# session with a real, unlocked gnome-keyring (Secret Service), on a
# throwaway HOME and XDG dirs, so the user's own keyring and data are never
# touched. Used as the WRAPPER of the keyring tests (tests/CMakeLists.txt).
#
# The login keyring gets a fixed throwaway password: gnome-keyring 42 asks a
# (GUI) prompt before creating a keyring with an empty one, and there is no
# display here.
set -eu

tmp=$(mktemp -d "${TMPDIR:-/tmp}/entsec-keyring-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# Set before dbus-run-session: services it activates inherit this environment.
HOME="$tmp/home"
XDG_DATA_HOME="$HOME/.local/share"
XDG_CONFIG_HOME="$HOME/.config"
XDG_CACHE_HOME="$HOME/.cache"
XDG_RUNTIME_DIR="$tmp/run"
export HOME XDG_DATA_HOME XDG_CONFIG_HOME XDG_CACHE_HOME XDG_RUNTIME_DIR
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$HOME" "$XDG_RUNTIME_DIR"
unset GNOME_KEYRING_CONTROL SSH_AUTH_SOCK

status=0
dbus-run-session -- sh -c '
  printf %s "entsec-test-keyring" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  # Ready when the Secret Service name is on the bus (not a timed wait).
  gdbus wait --session --timeout 30 org.freedesktop.secrets
  exec "$@"' keyring-session "$@" || status=$?
exit "$status"
