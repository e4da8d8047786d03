#!/usr/bin/env bash
# Renders the README's before/after example of each zero-shot edit from the bundled models into
# docs/edits/: held-out Fashion-MNIST test images for inpainting, 4x super-resolution, stroke-guided
# editing and denoising; an emoji for colorization; and an interpolation strip. Every step is the
# command-line tool with a fixed seed, so the pictures are reproducible.
set -euo pipefail
cd "$(dirname "$0")/.."
cli=${CLI:-build/app/cmstudio-cli}
grey=resources/models/fashion-mnist-ect.safetensors
colour=resources/models/noto-emoji-ect.safetensors
out=docs/edits
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

# Panels side by side, each enlarged with whole pixels, captioned.
panels() { # OUT CAPTION1 IMAGE1 CAPTION2 IMAGE2 ... (any number of captioned images)
  local target=$1; shift
  local args=() count=$(($# / 2))
  while (($#)); do args+=(-label "$1" "$2"); shift 2; done
  montage "${args[@]}" -filter point -geometry 112x112+6+4 -tile "${count}x1" -font DejaVu-Sans -pointsize 13 -background white "$target"
}

python3 scripts/fashion_mnist_png.py test 17,42,96,123 "$tmp"

# Inpainting: the central 14x14 square of a test image.
convert -size 28x28 xc:black -fill white -draw "rectangle 7,7,20,20" "$tmp/mask.png"
convert "$tmp/test-17.png" -fill gray50 -draw "rectangle 7,7,20,20" "$tmp/inpaint-input.png"
"$cli" edit inpaint -m "$grey" --image "$tmp/test-17.png" --mask "$tmp/mask.png" --seed 1 -o "$tmp/inpaint.png"
panels "$out/inpaint.png" original "$tmp/test-17.png" "input (grey = mask)" "$tmp/inpaint-input.png" inpainted "$tmp/inpaint.png"

# 4x super-resolution: the 7x7 patch means (a box filter over 4x4 patches) back to 28x28.
convert "$tmp/test-42.png" -filter box -resize 7x7 "$tmp/low.png"
"$cli" edit superres -m "$grey" --image "$tmp/low.png" --factor 4 --seed 1 -o "$tmp/superres.png"
panels "$out/superres.png" original "$tmp/test-42.png" "7x7 input" "$tmp/low.png" "4x super-resolved" "$tmp/superres.png"

# Stroke-guided editing: a rough painting (7x7 blocks, three grey levels) turned into an image.
convert "$tmp/test-96.png" -filter box -resize 7x7 -posterize 3 -filter point -resize 28x28 "$tmp/stroke-input.png"
"$cli" edit stroke -m "$grey" --image "$tmp/stroke-input.png" --seed 1 -o "$tmp/stroke.png"
panels "$out/stroke.png" "reference" "$tmp/test-96.png" "stroke painting" "$tmp/stroke-input.png" "edited" "$tmp/stroke.png"

# Denoising at sigma 0.5 (noise added by the tool, seeded).
"$cli" edit denoise -m "$grey" --image "$tmp/test-123.png" --add-noise 0.5 --seed 1 -o "$tmp/denoise.png"
panels "$out/denoise.png" original "$tmp/test-123.png" "noisy (σ 0.5)" "$tmp/denoise-input.png" denoised "$tmp/denoise.png"

# Colorization: an emoji in grey (the model keeps its luminance exactly and invents the chroma), taken
# from the emoji folder scripts/make-emoji-folder.sh extracts (EMOJI_DIR). The default, emoji 1199 (an
# owl), is one of the every-10th emoji the held-out test model never saw (the bundled model saw all).
[ -f "$colour" ] || { echo "render-edit-examples: $colour is missing" >&2; exit 1; }
emoji_dir=${EMOJI_DIR:-$tmp/emoji-folder}
[ -d "$emoji_dir" ] || scripts/make-emoji-folder.sh "$emoji_dir" >/dev/null
emoji_source=$emoji_dir/emoji-${EMOJI_INDEX:-1199}.png
held_out_model=tests/models/noto-emoji-heldout-ect.safetensors
convert "$emoji_source" -background white -flatten -resize 32x32^ -gravity center -extent 32x32 "$tmp/emoji.png"
convert "$tmp/emoji.png" -colorspace gray -type Grayscale "$tmp/emoji-grey.png"
"$cli" edit colorize -m "$colour" --image "$tmp/emoji-grey.png" --seed 1 -o "$tmp/colorize.png"
"$cli" edit colorize -m "$held_out_model" --image "$tmp/emoji-grey.png" --seed 1 -o "$tmp/colorize-held-out.png"
panels "$out/colorize.png" original "$tmp/emoji.png" "grey input" "$tmp/emoji-grey.png" "bundled model" \
  "$tmp/colorize.png" "held-out model" "$tmp/colorize-held-out.png"

# Interpolation between the one-step samples of seeds 3 and 8 (class 0, T-shirt/top).
"$cli" interpolate -m "$grey" --seed-a 3 --seed-b 8 --frames 8 --class 0 --zoom 3 -o "$out/interpolate.png" --frames-dir "$tmp/frames" --overwrite
echo "render-edit-examples: wrote $out/{inpaint,superres,stroke,denoise,colorize,interpolate}.png"
