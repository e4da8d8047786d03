#!/usr/bin/env bash
# The main job: install what CM Studio needs, build it, and generate a grid of Fashion-MNIST images in
# one network evaluation from the bundled consistency model (trained by this project).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
mkdir -p out
model=resources/models/fashion-mnist-ect.safetensors
build/app/cmstudio-cli info "$model"
# One row per class (T-shirt/top ... Ankle boot), ten seeds each; then 100 unconditional samples.
# Every image is one network evaluation.
build/app/cmstudio-cli sample --overwrite -m "$model" --per-class 10 --zoom 3 -o out/classes.png
build/app/cmstudio-cli sample --overwrite -m "$model" --n 100 --columns 10 --zoom 3 -o out/samples.png
echo "wrote out/classes.png (a row per class) and out/samples.png (unconditional), one step each"
