#!/usr/bin/env bash
# Builds the Debian package and checks it the way a user would meet it: the .desktop entry and the
# AppStream metainfo validate, the package holds what it should, it installs with apt-get (which pulls in
# its Depends), the installed cmstudio-cli finds the bundled models under /usr/share/cmstudio/models and
# samples a grid, the installed GUI generates a grid offscreen, and purging the package leaves none of its
# files behind. A package installed before the script ran is purged first; none is left installed after.
#
#   scripts/check-package.sh [BUILD_DIR]     (default: build; configured with CMAKE_INSTALL_PREFIX=/usr)
#
# Exits non-zero, after listing every failed check, if anything is wrong.
set -euo pipefail
cd "$(dirname "$0")/.."
source_dir=$PWD
build=$(realpath "${1:-build}")
id=io.github.cmstudio.CMStudio
icon_sizes=(16 22 24 32 48 64 128 256)

failures=()
say() { echo "check-package: $*"; }
fail() { failures+=("$*"); echo "check-package: FAIL: $*" >&2; }
die() { echo "check-package: FAIL: $*" >&2; exit 1; }
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
apt_get() { $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -y -q "$@"; }
installed() { dpkg-query -W -f='${Status}' cmstudio 2>/dev/null | grep -q "install ok installed"; }

for tool in cmake cpack dpkg-deb dpkg-shlibdeps desktop-file-validate appstreamcli groff python3 timeout; do
  command -v "$tool" >/dev/null || die "'$tool' is missing; scripts/install-deps.sh installs it"
done
[ -f "$build/CMakeCache.txt" ] || die "$build is not a configured build directory (scripts/build.sh makes build/)"
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")
[ -n "$version" ] || die "no CMAKE_PROJECT_VERSION in $build/CMakeCache.txt"

tmp=$(mktemp -d)
we_installed=0
cleanup() {
  # Never leave the package installed, whatever failed.
  if [ "$we_installed" = 1 ] && installed; then
    say "removing the package after a failure"
    apt_get remove --purge cmstudio >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# PNG check: "W H STD" of an 8-bit grey/RGB(A) PNG (non-interlaced), or an error; stdlib only.
png_stats() {
  python3 - "$1" <<'EOF'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n": sys.exit("not a PNG file")
pos, idat, w = 8, b"", None
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8]); body = data[pos + 8:pos + 8 + n]; pos += 12 + n
    if kind == b"IHDR": w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT": idat += body
    elif kind == b"IEND": break
if w is None or depth != 8 or interlace or ctype not in (0, 2, 4, 6): sys.exit("unsupported PNG layout")
bpp = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]; stride = w * bpp
raw = zlib.decompress(idat); prev = bytearray(stride); pixels = bytearray()
for y in range(h):
    f = raw[y * (stride + 1)]; row = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = row[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
        if f == 1: row[i] = (row[i] + a) & 255
        elif f == 2: row[i] = (row[i] + b) & 255
        elif f == 3: row[i] = (row[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    pixels += row; prev = row
mean = sum(pixels) / len(pixels)
print(w, h, round((sum((v - mean) ** 2 for v in pixels) / len(pixels)) ** 0.5, 2))
EOF
}
# check_grid FILE WHAT MIN_SIDE: a readable PNG at least MIN_SIDE pixels wide and high, not one flat colour.
check_grid() {
  local stats
  [ -s "$1" ] || { fail "$2: $1 was not written"; return; }
  stats=$(png_stats "$1" 2>&1) || { fail "$2: $1 is not a readable PNG ($stats)"; return; }
  read -r w h std <<<"$stats"
  if ((w < $3 || h < $3)); then fail "$2: $1 is ${w}x${h}, expected at least $3x$3"; return; fi
  python3 -c "import sys; sys.exit(0 if float('$std') > 10 else 1)" ||
    { fail "$2: $1 is almost flat (pixel std $std): not a grid of samples"; return; }
  say "$2: $1 is a ${w}x${h} PNG, pixel std $std"
}

# --- build -----------------------------------------------------------------------------------------
[ "$prefix" = /usr ] || say "note: $build has CMAKE_INSTALL_PREFIX=$prefix; the package installs to /usr regardless"
say "building the package in $build (version $version)"
rm -f "$build"/cmstudio_*.deb
if ! nice cmake --build "$build" --target package >"$tmp/package.log" 2>&1; then
  tail -n 40 "$tmp/package.log" >&2
  die "building the package failed (full log above, last 40 lines)"
fi
grep -i "warning" "$tmp/package.log" | grep -iv "dpkg-shlibdeps: warning: .*useless dependency" | sed 's/^/  /' || true
debs=("$build"/cmstudio_*.deb)
[ ${#debs[@]} = 1 ] && [ -f "${debs[0]}" ] || die "expected one $build/cmstudio_*.deb, found: ${debs[*]}"
deb=${debs[0]}
say "built $deb ($(du -h "$deb" | cut -f1))"

# --- the package's control fields and contents, before installing ---------------------------------
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = cmstudio ] || fail "Package is '$(field Package)', expected cmstudio"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', expected the project version $version"
[ "$(field Section)" = graphics ] || fail "Section is '$(field Section)', expected graphics"
[ -n "$(field Maintainer)" ] || fail "no Maintainer field"
depends=$(field Depends)
say "Depends: $depends"
for needed in libtorch libqt6core6 libqt6widgets6 libopencv-core "libopenblas0-openmp | libopenblas0" qt6-image-formats-plugins; do
  [[ "$depends" == *"$needed"* ]] || fail "Depends lacks '$needed' (dpkg-shlibdeps or Packaging.cmake)"
done

dpkg-deb -x "$deb" "$tmp/root"
root=$tmp/root/usr
expect=(bin/cmstudio-cli bin/cmstudio
        "share/applications/$id.desktop" "share/metainfo/$id.metainfo.xml"
        "share/icons/hicolor/scalable/apps/$id.svg"
        share/man/man1/cmstudio-cli.1.gz share/man/man1/cmstudio.1.gz share/doc/cmstudio/copyright)
for size in "${icon_sizes[@]}"; do expect+=("share/icons/hicolor/${size}x${size}/apps/$id.png"); done
for model in "$source_dir"/resources/models/*.safetensors; do
  expect+=("share/cmstudio/models/$(basename "$model")")
  cmp -s "$model" "$root/share/cmstudio/models/$(basename "$model")" ||
    fail "share/cmstudio/models/$(basename "$model") differs from resources/models/ or is missing"
done
swatches=("$source_dir"/resources/style-swatches/*.png)
[ -e "${swatches[0]}" ] || fail "resources/style-swatches/ has no PNG (scripts/make-style-swatches.sh makes them)"
for swatch in "${swatches[@]}"; do
  expect+=("share/cmstudio/style-swatches/$(basename "$swatch")")
  cmp -s "$swatch" "$root/share/cmstudio/style-swatches/$(basename "$swatch")" ||
    fail "share/cmstudio/style-swatches/$(basename "$swatch") differs from resources/style-swatches/ or is missing"
done
for file in "${expect[@]}"; do
  [ -e "$root/$file" ] || fail "the package lacks /usr/$file"
done
[ -e "$root/bin/cmstudio" ] ||
  fail "no /usr/bin/cmstudio in the package: the GUI target 'cmstudio' is not built or app/CMakeLists.txt has no install(TARGETS cmstudio RUNTIME DESTINATION bin)"

desktop=$root/share/applications/$id.desktop
if out=$(desktop-file-validate "$desktop" 2>&1); then
  say "desktop-file-validate: valid${out:+ (${out//$'\n'/; })}"
else
  fail "desktop-file-validate: $out"
fi
grep -qx "Exec=cmstudio %F" "$desktop" || fail "$id.desktop: Exec is not 'cmstudio %F'"
grep -qx "Icon=$id" "$desktop" || fail "$id.desktop: Icon is not $id"
metainfo=$root/share/metainfo/$id.metainfo.xml
if out=$(appstreamcli validate --no-net --pedantic "$metainfo" 2>&1); then
  say "appstreamcli validate --no-net --pedantic: ${out//$'\n'/ }"
else
  fail "appstreamcli validate: $out"
fi
first_release=$(grep -o '<release version="[^"]*"' "$metainfo" | head -n 1 | cut -d'"' -f2)
[ "$first_release" = "$version" ] || fail "$id.metainfo.xml: newest release is '$first_release', expected $version"
for size in "${icon_sizes[@]}"; do
  png=$root/share/icons/hicolor/${size}x${size}/apps/$id.png
  [ -f "$png" ] || continue
  stats=$(png_stats "$png" 2>&1) || { fail "$png: $stats"; continue; }
  read -r w h _ <<<"$stats"
  [ "$w $h" = "$size $size" ] || fail "icon ${size}x${size} is ${w}x${h}"
done
for page in "$root"/share/man/man1/*.1.gz; do
  warnings=$(zcat "$page" | groff -man -Tutf8 -ww -z 2>&1) || fail "$(basename "$page"): groff failed: $warnings"
  [ -z "$warnings" ] || fail "$(basename "$page"): groff warnings: $warnings"
  ! zgrep -q "@PROJECT_VERSION@" "$page" || fail "$(basename "$page"): version not filled in"
done

# --- install ---------------------------------------------------------------------------------------
if installed; then
  say "cmstudio $(dpkg-query -W -f='${Version}' cmstudio) was already installed; purging it first"
  apt_get remove --purge cmstudio >"$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log" >&2; die "could not remove the installed cmstudio"; }
fi
say "installing $deb with apt-get (which installs its Depends)"
we_installed=1
apt_get install --no-install-recommends "$deb" >"$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log" >&2; die "apt-get install $deb failed"; }
installed || die "apt-get install succeeded but dpkg does not list cmstudio as installed"
dpkg -L cmstudio >"$tmp/files"
# Only files and symbolic links: directories such as /usr/share/icons/hicolor/16x16/apps are shared.
while read -r path; do
  if [ -f "$path" ] || [ -L "$path" ]; then echo "$path"; fi
done <"$tmp/files" >"$tmp/owned"
say "installed: $(wc -l <"$tmp/owned") files"

missing_libs=$(ldd /usr/bin/cmstudio-cli $([ -x /usr/bin/cmstudio ] && echo /usr/bin/cmstudio) 2>&1 | grep "not found" || true)
[ -z "$missing_libs" ] || fail "unresolved libraries after installing: $missing_libs"
blas=$(ldd /usr/bin/cmstudio-cli | awk '$1 == "libblas.so.3" { print $3 }')
blas_real=$(readlink -f "$blas")
say "libblas.so.3 -> $blas_real"
[[ "$blas_real" != */blas/libblas.so.3* ]] || fail "libblas.so.3 is the reference BLAS ($blas_real): ~20x slower; OpenBLAS should have come with the package"

# The binaries also know the source tree's models folder (core/model_locator.h), which exists here but
# not on a user's machine. Run the installed programs with it hidden behind an empty tmpfs in a private
# mount namespace, so they can only find the installed models; that needs root and unshare.
hidden_models=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build/CMakeCache.txt")/resources/models
if [ "$(id -u)" = 0 ] && [ -d "$hidden_models" ] && unshare -m true 2>/dev/null; then
  isolated() { unshare -m sh -c 'mount -t tmpfs -o ro,size=64k cmstudio-check "$0" && exec "$@"' "$hidden_models" "$@"; }
  say "the installed programs run with $hidden_models hidden"
else
  isolated() { "$@"; }
  say "note: $hidden_models stays visible (hiding it needs root and unshare); the order of the search is still checked"
fi

# From an empty folder and without CMSTUDIO_MODELS_DIR, a bare model name must resolve to the
# installed models.
cd "$tmp"
unset CMSTUDIO_MODELS_DIR
if info=$(isolated timeout 300 /usr/bin/cmstudio-cli info fashion-mnist-ect 2>&1); then
  located=$(head -n 1 <<<"$info")
  [ "$located" = /usr/share/cmstudio/models/fashion-mnist-ect.safetensors ] ||
    fail "cmstudio-cli info fashion-mnist-ect found '$located', not the installed model"
  say "cmstudio-cli info fashion-mnist-ect -> $located"
else
  fail "cmstudio-cli info fashion-mnist-ect: $info"
fi
searched=$(isolated /usr/bin/cmstudio-cli info no-such-model 2>&1 || true)
[[ "$searched" == *"searched: /usr/share/cmstudio/models"* ]] ||
  fail "the installed cmstudio-cli does not search /usr/share/cmstudio/models first: $searched"

say "sampling with the installed cmstudio-cli"
if out=$(isolated timeout 600 /usr/bin/cmstudio-cli sample -m fashion-mnist-ect -n 4 --seed 1 -o "$tmp/s.png" 2>&1); then
  say "cmstudio-cli: $(tail -n 1 <<<"$out")"
  check_grid "$tmp/s.png" "cmstudio-cli sample" 56
else
  fail "cmstudio-cli sample exited with $?: $out"
fi

say "generating with the installed GUI (offscreen)"
if [ -x /usr/bin/cmstudio ]; then
  # A private HOME: the check neither reads nor changes the user's settings.
  mkdir -p "$tmp/home"
  if out=$(isolated env HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" XDG_CACHE_HOME="$tmp/home/.cache" \
           XDG_DATA_HOME="$tmp/home/.local/share" QT_QPA_PLATFORM=offscreen \
           timeout 600 /usr/bin/cmstudio --generate-and-quit "$tmp/gui.png" 2>&1); then
    say "cmstudio: $(tail -n 1 <<<"$out")"
    check_grid "$tmp/gui.png" "cmstudio --generate-and-quit" 28
  else
    status=$?
    fail "cmstudio --generate-and-quit exited with $status: $(tail -n 20 <<<"$out")"
  fi
else
  fail "/usr/bin/cmstudio is not installed, so the GUI could not be checked"
fi
cd "$source_dir"

# --- remove ----------------------------------------------------------------------------------------
say "purging the package"
apt_get remove --purge cmstudio >"$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log" >&2; die "apt-get remove --purge cmstudio failed"; }
we_installed=0
! installed || fail "cmstudio is still installed after apt-get remove --purge"
! dpkg-query -W -f='${Status}' cmstudio 2>/dev/null | grep -q "config-files" || fail "cmstudio left config files"
left=$(while read -r path; do [ -e "$path" ] || [ -L "$path" ] && echo "$path"; done <"$tmp/owned" || true)
[ -z "$left" ] || fail "files of the package remain after purging: $left"
for dir in /usr/share/cmstudio /usr/share/doc/cmstudio; do
  [ ! -e "$dir" ] || fail "$dir remains after purging"
done

if ((${#failures[@]})); then
  echo "check-package: ${#failures[@]} check(s) failed:" >&2
  printf '  - %s\n' "${failures[@]}" >&2
  exit 1
fi
say "all checks passed ($deb)"
