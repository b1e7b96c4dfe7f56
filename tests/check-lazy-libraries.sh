#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# check-lazy-libraries.sh READELF FILE...: none of the programs and libraries
# a personal user starts names libcurl, libssl, GStreamer, libzbar, zxing-cpp
# (libZXing), libargon2, libpwquality (with libcrack) or libqrencode as
# NEEDED. They are opened when first used
# (src/core/enterprise/entsec-curl-loader.c, src/app/entsec-scan-camera.c,
# src/core/qr/entsec-qr-decoders.c, src/core/crypto/entsec-crypto-loader.c,
# src/app/entsec-qr-texture.c), so a process that never talks to a server,
# opens the camera, decodes a picture, derives a key from a passphrase, rates
# one or draws a QR code never maps them.
set -eu
readelf=$1
shift

status=0
for file in "$@"; do
  needed=$("$readelf" -d "$file" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
  [ -n "$needed" ] || { echo "$file: no NEEDED entries read (not a dynamic ELF file?)" >&2; exit 1; }
  eager=$(printf '%s\n' "$needed" \
    | grep -E '^lib(curl|ssl|gst|zbar|ZXing|argon2|pwquality|crack|qrencode)' || true)
  if [ -n "$eager" ]; then
    echo "$file links what it should open on first use:" >&2
    printf '%s\n' "$eager" | sed 's/^/  /' >&2
    status=1
  fi
done
exit $status
