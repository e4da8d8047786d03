#!/usr/bin/env bash
# Turns Debian's Noto Color Emoji font (package fonts-noto-color-emoji) into a folder of PNG files,
# the training set of the bundled colour model. The font stores each emoji as a 136x128 RGBA PNG in
# its CBDT table; we copy those PNG streams out byte for byte (the trainer composites transparency on
# white and resizes to 32x32 itself).
# Licence of the images: Noto Color Emoji, (c) 2013-2017 Google Inc., SIL Open Font License 1.1
# (see /usr/share/doc/fonts-noto-color-emoji/copyright; upstream artwork is Apache-2.0).
# Usage: scripts/make-emoji-folder.sh [output-dir]   (default: runs/noto-emoji)
set -euo pipefail
cd "$(dirname "$0")/.."
font=/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
out=${1:-runs/noto-emoji}
if [ ! -f "$font" ]; then
  echo "make-emoji-folder: $font is missing; install the package: apt-get install fonts-noto-color-emoji" >&2
  exit 1
fi
mkdir -p "$out"
/usr/bin/python3 - "$font" "$out" <<'EOF'
import os, struct, sys, zlib
font, out = sys.argv[1], sys.argv[2]
data = open(font, "rb").read()
signature = b"\x89PNG\r\n\x1a\n"
count, position = 0, 0
while True:
    start = data.find(signature, position)
    if start < 0:
        break
    # Walk the chunks so a stray signature-like byte run cannot cut an image short.
    cursor, ok = start + 8, False
    while cursor + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[cursor:cursor + 8])
        body_end = cursor + 8 + length
        if body_end + 4 > len(data):
            break
        (crc,) = struct.unpack(">I", data[body_end:body_end + 4])
        if zlib.crc32(data[cursor + 4:body_end]) & 0xFFFFFFFF != crc:
            break
        cursor = body_end + 4
        if kind == b"IEND":
            ok = True
            break
    if ok:
        name = os.path.join(out, "emoji-%04d.png" % count)
        tmp = name + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data[start:cursor])
        os.replace(tmp, name)
        count += 1
        position = cursor
    else:
        position = start + 8
print("%d emoji images written to %s" % (count, out))
EOF
