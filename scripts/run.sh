#!/usr/bin/env bash
# The first command: installs what CM Studio needs, builds it, and starts the desktop app `cmstudio` on
# the bundled default consistency model (trained by this project). Without a display it says so,
# generates once offscreen into out/ (as the package check does), and prints how to start the app.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
app=build/app/cmstudio
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "run: starting $app (the bundled model fashion-mnist-cd; Ctrl+Return generates)"
  exec "$app" "$@"
fi
mkdir -p out
echo "run: no display (neither DISPLAY nor WAYLAND_DISPLAY is set): generating once offscreen instead" >&2
# One batch of 16 through the app's real worker thread, one network evaluation each; then a grid with
# one row per class from the command-line tool.
QT_QPA_PLATFORM=offscreen "$app" --generate-and-quit out/app-grid.png
build/app/cmstudio-cli sample --overwrite -m fashion-mnist-cd --per-class 10 --zoom 3 -o out/classes.png
echo "run: wrote out/app-grid.png (the app, offscreen) and out/classes.png (a row per class), one step each"
echo "run: to start the app, run it on a machine with a display: $app"
echo "     (over SSH: ssh -X, or a virtual display: xvfb-run -a $app)"
