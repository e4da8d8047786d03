#!/usr/bin/env bash
# The main job: install what CM Studio needs, build it, and generate a grid of Fashion-MNIST images in
# one network evaluation from the bundled consistency model (trained by this project).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
mkdir -p out
model=resources/models/fashion-mnist-cm.safetensors
build/app/cmstudio-cli info "$model"
# One row per class (T-shirt/top ... Ankle boot), ten seeds each, one network evaluation per image.
for class in 0 1 2 3 4 5 6 7 8 9; do
  build/app/cmstudio-cli sample -m "$model" --class "$class" --n 10 --seed 0 --columns 10 -o "out/class-$class.png"
done
build/app/cmstudio-cli sample -m "$model" --n 100 --seed 0 --columns 10 --zoom 3 -o out/samples.png
echo "wrote out/samples.png (100 unconditional one-step samples) and out/class-*.png"
