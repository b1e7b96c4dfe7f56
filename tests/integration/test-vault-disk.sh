#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# test-vault-disk.sh ENTSEC_CLI: codes can be read from a vault on a full
# disk and on a read-only file system; writes there fail with a message that
# says why, and lose nothing. Runs in a private mount namespace (a small
# tmpfs that can be filled and remounted read-only) and as an unprivileged
# user where one exists (root ignores file modes). Exit 77 (skipped) where
# mount namespaces are refused.
set -eu

cli=$1

if [ "${2:-}" != "--inside" ]; then
  if ! unshare -m true 2>/dev/null; then
    echo "SKIP: this system refuses private mount namespaces (unshare -m)"
    exit 77
  fi
  exec unshare -m sh "$0" "$cli" --inside
fi

fail () { echo "FAIL: $*" >&2; exit 1; }

mnt=$(mktemp -d "${TMPDIR:-/tmp}/entsec-disk-XXXXXX")
mount -t tmpfs -o size=2m,mode=0755 tmpfs "$mnt"
# Messages go outside the tmpfs, which is filled below.
err=$(mktemp "${TMPDIR:-/tmp}/entsec-disk-err-XXXXXX")
trap 'umount "$mnt" 2>/dev/null; rm -rf "$mnt" "$err"' EXIT INT TERM

# The CLI runs as nobody when possible, so file modes count as for a user.
user=$(id -u nobody 2>/dev/null || echo "")
run () {
  if [ -n "$user" ]; then
    setpriv --reuid="$user" --regid="$user" --clear-groups \
      env HOME="$mnt/home" XDG_DATA_HOME="$mnt/home" "$cli" "$@"
  else
    HOME="$mnt/home" XDG_DATA_HOME="$mnt/home" "$cli" "$@"
  fi
}
mkdir -p "$mnt/home" "$mnt/v"
[ -n "$user" ] && chown "$user" "$mnt/home" "$mnt/v"
pass=$mnt/home/pass
printf 'disk test passphrase' > "$pass"
[ -n "$user" ] && chown "$user" "$pass"
vault=$mnt/v/vault.db
opts="--vault $vault --passphrase-file $pass --no-keyring"

# RFC 4226/6238's key: TOTP at t=59 gives 287082, HOTP counter 0 gives 755224.
key=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ
run init $opts --kdf-memory 8192 --kdf-iterations 1 >/dev/null
printf 'otpauth://totp/Ex:alice?secret=%s&issuer=Ex\notpauth://hotp/Ex:counter?secret=%s&issuer=Ex&counter=0\n' \
  "$key" "$key" | run add $opts --uri - >/dev/null

# ---- A full disk ----
dd if=/dev/zero of="$mnt/fill" bs=16k 2>/dev/null || true
code=$(run code $opts alice --time 59) || fail "code on a full disk"
[ "$code" = 287082 ] || fail "code on a full disk: $code"
run list $opts >/dev/null || fail "list on a full disk"
if printf 'otpauth://totp/Ex:bob?secret=%s\n' "$key" | run add $opts --uri - 2>"$err"; then
  echo "note: the disk still had room for a page; the add went through"
else
  grep -q "full" "$err" || fail "add on a full disk: $(cat "$err")"
fi
rm -f "$mnt/fill"
run list $opts | grep -q alice || fail "alice lost after the full disk"
code=$(run code $opts counter) || fail "HOTP code after the full disk"
[ "$code" = 755224 ] || fail "first HOTP code: $code"

# ---- A read-only file system ----
mount -o remount,ro "$mnt"
code=$(run code $opts alice --time 59) || fail "code on a read-only file system"
[ "$code" = 287082 ] || fail "code on a read-only file system: $code"
run list $opts | grep -q counter || fail "list on a read-only file system"
if run code $opts counter 2>"$err" >/dev/null; then
  fail "an HOTP code was shown although its counter cannot be saved"
fi
grep -q "HOTP" "$err" || fail "HOTP on a read-only file system: $(cat "$err")"
if printf 'otpauth://totp/Ex:carol?secret=%s\n' "$key" | run add $opts --uri - 2>"$err"; then
  fail "add succeeded on a read-only file system"
fi
grep -q "read-only" "$err" || fail "add on a read-only file system: $(cat "$err")"
mount -o remount,rw "$mnt"
code=$(run code $opts counter) || fail "HOTP code after the read-only mount"
[ "$code" = 287082 ] || fail "the read-only refusal used up a counter: $code"

# ---- A read-only -shm left behind, and a vault of another user ----
if [ -n "$user" ]; then
  : > "$vault-shm"
  chown "$user" "$vault-shm"
  chmod 0400 "$vault-shm"
  printf 'otpauth://totp/Ex:dave?secret=%s\n' "$key" | run add $opts --uri - >/dev/null \
    || fail "a read-only -shm blocked a write"
  cp "$vault" "$mnt/root.db"
  chmod 0600 "$mnt/root.db"
  if run list --vault "$mnt/root.db" --passphrase-file "$pass" --no-keyring 2>"$err"; then
    fail "another user's vault opened"
  fi
  grep -qi "permission denied" "$err" || fail "other user's vault: $(cat "$err")"
fi
if run list --vault "$mnt/v" --passphrase-file "$pass" --no-keyring 2>"$err"; then
  fail "a folder opened as a vault"
fi
grep -q "is a folder" "$err" || fail "folder as vault: $(cat "$err")"
