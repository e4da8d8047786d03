#!/usr/bin/env bash
# Renders the README's screenshots from the real app under Xvfb (an X server in memory, so real windows,
# fonts and styles): every view in English into docs/screenshots/, and in Simplified Chinese into
# docs/screenshots/zh_CN/. Uses the bundled models and the training logs in docs/logs/. No tokenizer is
# bundled yet: TOKENIZER=PATH (e.g. build/tokenizer-results/lo-one.safetensors, from
# scripts/make-tokenizer-results.sh, with its autoencoder and code generator beside it) adds the Compress
# view, at the app's smallest size 1024 x 700 (compress.png, compress-generate.png). No style model is
# bundled yet either: STYLE_MODEL=PATH (train-style --stage extractors) adds the Style view (style.png).
set -euo pipefail
cd "$(dirname "$0")/.."
app=${1:-build/app/cmstudio}
[ -x "$app" ] || { echo "render-screenshots: $app not built (run scripts/build.sh)" >&2; exit 1; }
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
# A private HOME: the tour never reads or changes the user's settings.
for language in en zh_CN; do
  out=docs/screenshots
  [ "$language" = en ] || out=docs/screenshots/$language
  mkdir -p "$out"
  HOME=$home XDG_CONFIG_HOME=$home/.config OMP_WAIT_POLICY=PASSIVE \
    CMSTUDIO_SCREENSHOT_TOKENIZER=${TOKENIZER:+$(realpath "$TOKENIZER")} \
    CMSTUDIO_SCREENSHOT_STYLE_MODEL=${STYLE_MODEL:+$(realpath "$STYLE_MODEL")} \
    xvfb-run -a -s "-screen 0 1600x1000x24 -dpi 96" "$app" --language "$language" --screenshots "$out"
done
