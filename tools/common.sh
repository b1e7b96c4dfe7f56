# SPDX-License-Identifier: GPL-3.0-or-later
# Shared by tools/run and tools/check: find the tree, install what is missing.

set -euo pipefail

ENTSEC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ENTSEC_ROOT"

entsec_say () {
  printf '\033[1m==> %s\033[0m\n' "$*" >&2
}

# Those of the Debian packages given (or, without arguments, of those listed
# in tools/debian-packages.txt) that dpkg does not have.
entsec_missing_packages () {
  local pkg
  if [ $# -eq 0 ]; then
    sed -e 's/#.*//' -e '/^[[:space:]]*$/d' tools/debian-packages.txt
  else
    printf '%s\n' "$@"
  fi | while read -r pkg; do
    dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q '^install ok installed$' \
      || echo "$pkg"
  done
}

# entsec_install_dependencies [PACKAGE...]: install the packages given (by
# default tools/debian-packages.txt) that are missing, through sudo when not root.
entsec_install_dependencies () {
  local missing sudo=()
  missing=$(entsec_missing_packages "$@" | tr '\n' ' ')
  [ -n "${missing// /}" ] || return 0

  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "These Debian packages are missing: $missing" >&2
      echo "Install them as root (apt-get install $missing), or install sudo, then run this again." >&2
      exit 1
    fi
    sudo=(sudo)
  fi
  entsec_say "Installing missing packages: $missing"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # shellcheck disable=SC2086
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
}

entsec_build () {
  local preset=$1
  entsec_say "Configuring and building ($preset)"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$(nproc)"
}
