#!/usr/bin/env bash
# A new user's session, measured: the real app on a virtual X display (Xvfb), fresh settings (a private
# HOME), real key presses and drags from xdotool. Prints the time from starting the process to its window
# on screen, and the app's peak memory (VmHWM) after a session that generates, opens a 4000 x 3000 photo
# in the editor and paints a mask on it with live inpainting. Screenshots go to $OUT (default: a temporary
# folder). Click-to-image and previews per second come from bench_gui (the same widgets, offscreen).
# Needs xvfb-run's Xvfb, xdotool and ImageMagick's import: apt-get install xvfb xdotool imagemagick.
set -euo pipefail
cd "$(dirname "$0")/.."
app=${APP:-build/app/cmstudio}
for tool in Xvfb xdotool import; do
  command -v $tool >/dev/null || { echo "gui-session: $tool is missing (apt-get install xvfb xdotool imagemagick)" >&2; exit 1; }
done
[ -x "$app" ] || { echo "gui-session: $app not built (scripts/build.sh)" >&2; exit 1; }
work=$(mktemp -d)
out=${OUT:-$work/shots}
mkdir -p "$out" "$work/home"
display=:$((90 + RANDOM % 100))
Xvfb $display -screen 0 1600x1000x24 -dpi 96 >/dev/null 2>&1 &
xvfb=$!
pid=
cleanup() { [ -n "$pid" ] && kill $pid 2>/dev/null; kill $xvfb 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export DISPLAY=$display
for i in $(seq 50); do xdotool getdisplaygeometry >/dev/null 2>&1 && break; sleep 0.1; done

# The photo a user opens: 4000 x 3000, a JPEG as cameras write.
convert -size 4000x3000 gradient:"#3070c0-#e0a040" -quality 90 "$work/photo.jpg"

ms() { date +%s%3N; }
start=$(ms)
HOME=$work/home XDG_CONFIG_HOME=$work/home/.config OMP_WAIT_POLICY=PASSIVE "$app" "$work/photo.jpg" \
  >"$work/app.log" 2>&1 &
pid=$!
window=$(xdotool search --sync --onlyvisible --name '^CM Studio$' | head -1)
shown=$(ms)
echo "process start to window on screen: $((shown - start)) ms"
sleep 2 # the model loads on the worker thread
read -r width height < <(xdotool getwindowgeometry "$window" | awk '/Geometry/ {split($2, s, "x"); print s[1], s[2]}')
echo "window: ${width} x ${height} (first start: 90% of the 1600 x 1000 screen)"
xdotool windowfocus "$window"
import -window root "$out/1-edit-photo.png"
xdotool key ctrl+1; sleep 0.3
xdotool key ctrl+Return; sleep 2
import -window root "$out/2-generated.png"
xdotool key ctrl+Return; sleep 2 # the same size again: the gallery stays
import -window root "$out/3-generated-again.png"
xdotool key ctrl+2; sleep 0.5
# A mask stroke across the middle of the canvas (the editor's centre column).
cx=$((width * 50 / 100)); cy=$((height * 45 / 100))
xdotool mousemove $((cx - 120)) $cy mousedown 1
for step in $(seq 0 4 240); do xdotool mousemove $((cx - 120 + step)) $cy; sleep 0.016; done
xdotool mouseup 1; sleep 1
import -window root "$out/4-mask-on-photo.png"
peak=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
rss=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
echo "memory: peak RSS $((peak / 1024)) MiB ($((peak * 1024 / 1000000)) MB), now $((rss / 1024)) MiB"
echo "screenshots: $out"
if [ -z "${OUT:-}" ]; then trap - EXIT; kill $pid; kill $xvfb; echo "(kept in $work)"; fi
