#!/usr/bin/env bash
# Issue 19's comparison: trains the style world's feature network, the prompt base and the style classifier
# once, then the four methods on the same data, base and budget, measures each with `cmstudio-cli
# eval-style` on held-out styles and garments, and writes the style section of docs/RESULTS.md (between its
# style markers, scripts/style_results.py) and one grid per method (docs/style-eval-METHOD.png). Every stage
# and measurement is cached in $WORK (weights are not committed): re-running continues where it stopped.
#
# The methods (train-style --stage extractors):
#   deadiff          --extractor dual   --placement disentangled --tasks paired          (DEADiff as built)
#   single-encoder   --extractor single --placement everywhere   --tasks reconstruction  (IP-Adapter kind)
#   everywhere       --extractor dual   --placement everywhere   --tasks paired          (no disentangled placement)
#   reconstruction   --extractor dual   --placement disentangled --tasks reconstruction  (reconstruction only)
#
# The default budget is the smoke budget this shared 2-core machine allows in about 10 CPU-minutes (the
# tiny base); the table says which budget it was made at. The full budget (the small base on the full world):
#   SIZE=small BASE_STEPS=4000 BASE_BATCH=32 EXT_STEPS=3000 EXT_BATCH=30 FEATURE_RENDERS=8192 FEATURE_EPOCHS=4 \
#   CLASSIFIER_RENDERS=16384 CLASSIFIER_EPOCHS=6 QUERIES=16 QFORMER_WIDTH=64 QFORMER_LAYERS=2 N_EVAL=500 \
#   SAMPLING_STEPS=18 WORK=build/style-results-full scripts/make-style-results.sh
# Environment: those variables, THREADS, WORK, CMSTUDIO_CLI, EMOJI (the emoji folder).
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=${CMSTUDIO_CLI:-build/app/cmstudio-cli}
WORK=${WORK:-build/style-results}
EMOJI=${EMOJI:-runs/noto-emoji}
SIZE=${SIZE:-tiny}
BASE_STEPS=${BASE_STEPS:-400}
BASE_BATCH=${BASE_BATCH:-16}
EXT_STEPS=${EXT_STEPS:-200}
EXT_BATCH=${EXT_BATCH:-12}
FEATURE_RENDERS=${FEATURE_RENDERS:-2048}
FEATURE_EPOCHS=${FEATURE_EPOCHS:-2}
CLASSIFIER_RENDERS=${CLASSIFIER_RENDERS:-6144}
CLASSIFIER_EPOCHS=${CLASSIFIER_EPOCHS:-3}
QUERIES=${QUERIES:-16}
QFORMER_WIDTH=${QFORMER_WIDTH:-32}
QFORMER_LAYERS=${QFORMER_LAYERS:-1}
N_EVAL=${N_EVAL:-96}
SAMPLING_STEPS=${SAMPLING_STEPS:-8}
THREADS=${THREADS:-1}
export CMSTUDIO_PRECISION=${CMSTUDIO_PRECISION:-fp32}
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive} # spinning OpenMP workers slow a loaded machine 10x
mkdir -p "$WORK"
[ -x "$CLI" ] || { echo "build the CLI first (scripts/build.sh)" >&2; exit 1; }
[ -d "$EMOJI" ] || scripts/make-emoji-folder.sh "$EMOJI"

run() { echo "+ $*" >&2; nice -n 10 "$@"; }
# train OUT ARGS...: trains unless OUT is done (an interrupted extractor or base run resumes from its checkpoint).
train() {
  local out=$1; shift
  [ -f "$out.done" ] && return 0
  if [ -f "$out.ckpt" ]; then run "$CLI" "$@" -o "$out" --resume; else run "$CLI" "$@" -o "$out" --overwrite; fi
  touch "$out.done"
}
COMMON="--emoji $EMOJI --threads $THREADS --seed 0"
# The features and the classifier have no checkpoint: they train again from the start if interrupted.
[ -f "$WORK/features.safetensors" ] ||
  run "$CLI" train-style --stage features $COMMON --renders "$FEATURE_RENDERS" --epochs "$FEATURE_EPOCHS" \
    -o "$WORK/features.safetensors"
[ -f "$WORK/style-classifier.safetensors" ] ||
  run "$CLI" train-style --stage style-classifier $COMMON --renders "$CLASSIFIER_RENDERS" \
    --epochs "$CLASSIFIER_EPOCHS" -o "$WORK/style-classifier.safetensors"
train "$WORK/base.safetensors" train-style --stage base --size "$SIZE" $COMMON --steps "$BASE_STEPS" \
  --batch "$BASE_BATCH" --lr 2e-3 --ema 0.99 --log-every 20 --checkpoint-every 100

declare -A VARIANT=(
  [deadiff]="--extractor dual --placement disentangled --tasks paired"
  [single-encoder]="--extractor single --placement everywhere --tasks reconstruction"
  [everywhere]="--extractor dual --placement everywhere --tasks paired"
  [reconstruction]="--extractor dual --placement disentangled --tasks reconstruction"
)
for method in deadiff single-encoder everywhere reconstruction; do
  # shellcheck disable=SC2086  # the variant's flags are words
  train "$WORK/$method.safetensors" train-style --stage extractors ${VARIANT[$method]} $COMMON \
    --base "$WORK/base.safetensors" --features "$WORK/features.safetensors" --queries "$QUERIES" \
    --qformer-width "$QFORMER_WIDTH" --qformer-layers "$QFORMER_LAYERS" --steps "$EXT_STEPS" --batch "$EXT_BATCH" \
    --lr 2e-3 --ema 0.9 --log-every 20 --checkpoint-every 100
  if [ ! -s "$WORK/$method.json" ]; then
    run "$CLI" eval-style -m "$WORK/$method.safetensors" --classifier "$WORK/style-classifier.safetensors" \
      --emoji "$EMOJI" --n "$N_EVAL" --seed 1 --steps "$SAMPLING_STEPS" --json \
      --grid "docs/style-eval-$method.png" --overwrite > "$WORK/$method.json.tmp"
    mv "$WORK/$method.json.tmp" "$WORK/$method.json"
  fi
done
BUDGET="size $SIZE; base $BASE_STEPS steps of $BASE_BATCH; extractors $EXT_STEPS steps of $EXT_BATCH (Q-Formers \
$QUERIES queries, width $QFORMER_WIDTH, $QFORMER_LAYERS layer); feature network $FEATURE_RENDERS renders x \
$FEATURE_EPOCHS epochs; style classifier $CLASSIFIER_RENDERS renders x $CLASSIFIER_EPOCHS epochs; $N_EVAL cases; \
Heun $SAMPLING_STEPS points" WORK="$WORK" python3 scripts/style_results.py
