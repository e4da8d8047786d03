#!/usr/bin/env bash
# Installs every Debian 12 package CM Studio needs to build, test, benchmark and package itself.
set -euo pipefail
packages=(
  build-essential cmake ninja-build ccache pkg-config git
  clang libclang-rt-14-dev                  # the libFuzzer targets (scripts/fuzz.sh): clang's fuzzer runtime
  libtorch-dev libopenblas0-openmp          # without OpenBLAS, torch falls back to the reference BLAS (~20x slower)
  libgloo-dev                               # the headers of c10d's Gloo process group (data-parallel training)
  qt6-base-dev qt6-tools-dev qt6-l10n-tools qt6-tools-dev-tools
  libopencv-dev nlohmann-json3-dev zlib1g-dev
  libqcustomplot-dev libqcustomplot2.1-qt6
  dataset-fashion-mnist fonts-noto-color-emoji   # the training data of the bundled models
  python3-torch python3-numpy               # the plain-PyTorch reference in bench/
  xvfb xauth imagemagick xdotool            # screenshots of the GUI; bench/gui-session.sh clicks with xdotool
  fonts-noto-cjk qt6-translations-l10n      # the Chinese UI: CJK glyphs, and Qt's own dialogs and buttons in zh_CN
  dpkg-dev desktop-file-utils appstream groff-base   # the Debian package and its checks (check-package.sh)
  qt6-image-formats-plugins                 # WebP in the GUI's image dialogs
  librsvg2-bin                              # packaging/render-icons.sh: the PNG icons from the SVG
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
