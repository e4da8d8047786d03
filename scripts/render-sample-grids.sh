#!/usr/bin/env bash
# Renders the sample grids shown in the README from the bundled models into docs/ (seed 0 throughout,
# so the images are reproducible bit for bit on the same build).
set -euo pipefail
cd "$(dirname "$0")/.."
cli=build/app/cmstudio-cli
models=resources/models
mkdir -p docs
"$cli" sample -m "$models/fashion-mnist-ect.safetensors" --per-class 10 --zoom 2 -o docs/fashion-mnist-ect-1step.png
"$cli" sample -m "$models/fashion-mnist-ect.safetensors" --per-class 10 --zoom 2 --sigmas 80,0.8 -o docs/fashion-mnist-ect-2step.png
"$cli" sample -m "$models/fashion-mnist-edm.safetensors" --per-class 10 --zoom 2 --sampler heun --points 18 \
  -o docs/fashion-mnist-edm-heun35.png
"$cli" sample -m "$models/fashion-mnist-edm.safetensors" --per-class 10 --zoom 2 --sampler heun --points 1 \
  -o docs/fashion-mnist-edm-1nfe.png
