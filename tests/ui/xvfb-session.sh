#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# xvfb-session.sh COMMAND [ARG...]: run COMMAND as a person's session would,
# headless and throwaway: an Xvfb server on a free display, a private D-Bus
# session (the accessibility bus is activated in it on demand, so AT-SPI
# clients such as dogtail see the app), a real, unlocked gnome-keyring, and
# the fresh HOME and XDG dirs of isolated-home.sh. The UI tests run under it
# (tests/ui/CMakeLists.txt); ENTSEC_XVFB_SCREEN sets the screen (WxHxDEPTH).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
self="$here/xvfb-session.sh"

case "${ENTSEC_XVFB_STAGE:-}" in
  "")
    # 1. A fresh HOME and XDG dirs, no session bus of the caller's.
    ENTSEC_XVFB_STAGE=display exec "$here/../isolated-home.sh" "$self" "$@"
    ;;
  display)
    # 2. Xvfb picks a free display and writes its number to the fifo.
    fifo="$XDG_RUNTIME_DIR/xvfb-display"
    mkfifo "$fifo"
    Xvfb -displayfd 3 -screen 0 "${ENTSEC_XVFB_SCREEN:-1280x800x24}" -nolisten tcp -noreset \
      -auth /dev/null 3>"$fifo" 2>"$XDG_RUNTIME_DIR/xvfb.log" &
    xvfb=$!
    trap 'kill "$xvfb" 2>/dev/null || true' EXIT INT TERM
    read -r display <"$fifo"
    DISPLAY=":$display"
    GDK_BACKEND=x11
    export DISPLAY GDK_BACKEND
    unset WAYLAND_DISPLAY
    status=0
    ENTSEC_XVFB_STAGE=bus dbus-run-session -- "$self" "$@" || status=$?
    exit "$status"
    ;;
  bus)
    # 3. Inside the private session bus: the keyring, then the command.
    printf %s "entsec-test-keyring" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    gdbus wait --session --timeout 30 org.freedesktop.secrets
    unset ENTSEC_XVFB_STAGE
    exec "$@"
    ;;
esac
