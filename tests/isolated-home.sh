#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# isolated-home.sh COMMAND [ARG...]: run COMMAND with a fresh, empty HOME and
# XDG dirs, removed afterwards, and no session bus: a test never sees the
# user's own vault, keyring or settings, nor what an earlier run left behind.
# Every test without a WRAPPER of its own runs under it (tests/CMakeLists.txt).
set -eu

tmp=$(mktemp -d "${TMPDIR:-/tmp}/entsec-test-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

HOME="$tmp/home"
XDG_DATA_HOME="$HOME/.local/share"
XDG_CONFIG_HOME="$HOME/.config"
XDG_CACHE_HOME="$HOME/.cache"
XDG_RUNTIME_DIR="$tmp/run"
export HOME XDG_DATA_HOME XDG_CONFIG_HOME XDG_CACHE_HOME XDG_RUNTIME_DIR
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$HOME" "$XDG_RUNTIME_DIR"
unset DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL SSH_AUTH_SOCK

status=0
"$@" || status=$?
exit "$status"
