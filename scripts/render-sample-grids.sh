#!/usr/bin/env bash
# Renders the sample grids shown in the README from the bundled models into docs/ (seed 0 throughout,
# so the images are reproducible bit for bit on the same build).
set -euo pipefail
cd "$(dirname "$0")/.."
cli=build/app/cmstudio-cli
models=resources/models
mkdir -p docs
"$cli" sample --overwrite -m "$models/fashion-mnist-ect.safetensors" --per-class 10 --zoom 2 -o docs/fashion-mnist-ect-1step.png
# Two steps at the schedule each card records (the sigma search of docs/RESULTS.md).
"$cli" sample --overwrite -m "$models/fashion-mnist-ect.safetensors" --per-class 10 --zoom 2 --recommended -o docs/fashion-mnist-ect-2step.png
"$cli" sample --overwrite -m "$models/fashion-mnist-edm.safetensors" --per-class 10 --zoom 2 --sampler heun --points 18 \
  -o docs/fashion-mnist-edm-heun35.png
"$cli" sample --overwrite -m "$models/fashion-mnist-edm.safetensors" --per-class 10 --zoom 2 --sampler heun --points 1 \
  -o docs/fashion-mnist-edm-1nfe.png
for model in cd ict; do
  [ -f "$models/fashion-mnist-$model.safetensors" ] || continue
  "$cli" sample --overwrite -m "$models/fashion-mnist-$model.safetensors" --per-class 10 --zoom 2 -o docs/fashion-mnist-$model-1step.png
  "$cli" sample --overwrite -m "$models/fashion-mnist-$model.safetensors" --per-class 10 --zoom 2 --recommended \
    -o docs/fashion-mnist-$model-2step.png
done
# The colour models: 64 unconditional samples each.
"$cli" sample --overwrite -m "$models/noto-emoji-ect.safetensors" --n 64 --zoom 2 -o docs/noto-emoji-ect-1step.png
"$cli" sample --overwrite -m "$models/noto-emoji-ect.safetensors" --n 64 --zoom 2 --sigmas 80,0.8 -o docs/noto-emoji-ect-2step.png
"$cli" sample --overwrite -m "$models/noto-emoji-edm.safetensors" --n 64 --zoom 2 --sampler heun --points 18 \
  -o docs/noto-emoji-edm-heun35.png
