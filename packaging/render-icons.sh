#!/usr/bin/env bash
# Renders the hicolor PNG icons from the one SVG (packaging/icons/hicolor/scalable/apps/), so only the SVG
# is ever edited by hand. Needs rsvg-convert (Debian: librsvg2-bin, installed by scripts/install-deps.sh).
# The PNGs are committed; rerun this after changing the SVG.
set -euo pipefail
cd "$(dirname "$0")/icons/hicolor"
id=io.github.cmstudio.CMStudio
command -v rsvg-convert >/dev/null || { echo "render-icons.sh: rsvg-convert is missing (apt-get install librsvg2-bin)" >&2; exit 1; }
for size in 16 22 24 32 48 64 128 256; do
  mkdir -p "${size}x${size}/apps"
  rsvg-convert --width "$size" --height "$size" --keep-aspect-ratio \
    --output "${size}x${size}/apps/$id.png" "scalable/apps/$id.svg"
  echo "${size}x${size}/apps/$id.png"
done
