#!/usr/bin/env bash
# The Style view's bundled reference swatches (resources/style-swatches/*.png): eight 32x32 renders of the
# style world (core/style_world.h), training styles on training garments, drawn by cmstudio-cli style-data
# with a fixed seed, so the same build and data make the same files.
# Usage: scripts/make-style-swatches.sh [BUILD_DIR] [EMOJI_DIR]   (defaults: build, runs/noto-emoji)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
emoji=${2:-runs/noto-emoji}
[ -d "$emoji" ] || { echo "make-style-swatches: $emoji is missing; run scripts/make-emoji-folder.sh" >&2; exit 1; }
out=resources/style-swatches
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build"/app/cmstudio-cli style-data -o "$tmp/grid.png" --n 8 --seed 19 --emoji "$emoji" --save-each "$tmp/each" >/dev/null
mkdir -p "$out"
rm -f "$out"/*.png
for file in "$tmp"/each/render-*.png; do
  cp "$file" "$out/swatch-$(basename "$file" .png | sed 's/render-//').png"
done
ls "$out"
