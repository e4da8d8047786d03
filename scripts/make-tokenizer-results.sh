#!/usr/bin/env bash
# Trains FlowMo tokenizers and their baselines at both bit rates (Lo 55 bits, Hi 176 bits; Fashion-MNIST
# 28 x 28; the stages are scripts/train-tokenizers.sh's, at this script's budget) and writes the tokenizer section of docs/RESULTS.md (between its tokenizer markers), with the
# paper's three claims as measured. Every stage and every measurement is cached in $WORK (weights are
# not committed): re-running continues where it stopped.
#
# The default budget is the small one this shared 2-core machine allows (about 15 CPU-minutes in all);
# the table says which budget it was made at. A full run sets the step counts, e.g.
#   STEPS_1A=100000 STEPS_1B=2000 STEPS_ONE=20000 STEPS_AE=100000 STEPS_GEN=20000 N_EVAL=10000 \
#   scripts/make-tokenizer-results.sh
# Environment: STEPS_1A STEPS_1B STEPS_ONE STEPS_AE STEPS_GEN (steps per stage), BATCH, N_EVAL (held-out
# images per row, from test image 0), N_SELECT (stage-1B selection images, from test image 9000), N_CODEC
# (images for the JPEG/WebP rows), N_GEN (stage-2 images), THREADS, WORK, CMSTUDIO_CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=${CMSTUDIO_CLI:-build/app/cmstudio-cli}
WORK=${WORK:-build/tokenizer-results}
STEPS_1A=${STEPS_1A:-400}
STEPS_1B=${STEPS_1B:-30}
STEPS_ONE=${STEPS_ONE:-150}
STEPS_AE=${STEPS_AE:-400}
STEPS_GEN=${STEPS_GEN:-500}
BATCH=${BATCH:-32}
N_EVAL=${N_EVAL:-300}
N_SELECT=${N_SELECT:-100}
N_CODEC=${N_CODEC:-100}
N_GEN=${N_GEN:-300}
THREADS=${THREADS:-1}
export CMSTUDIO_PRECISION=${CMSTUDIO_PRECISION:-fp32}
mkdir -p "$WORK"
[ -x "$CLI" ] || { echo "build the CLI first (scripts/build.sh)" >&2; exit 1; }

run() { echo "+ $*" >&2; nice -n 10 "$@"; }
# measure NAME ARGS...: one JSON line cached in $WORK/NAME.json, labelled with the row name.
measure() {
  local name=$1; shift
  [ -s "$WORK/$name.json" ] && return 0
  local line
  line=$(run "$CLI" "$@")
  echo "{\"row\":\"$name\",${line#\{}" > "$WORK/$name.json"
}

# Every stage at this budget, by the training script (cached and resumable there).
STEPS_1A=$STEPS_1A STEPS_1B=$STEPS_1B STEPS_ONE=$STEPS_ONE STEPS_AE=$STEPS_AE STEPS_GEN=$STEPS_GEN BATCH=$BATCH \
  N_SELECT=$N_SELECT THREADS=$THREADS CMSTUDIO_CLI=$CLI scripts/train-tokenizers.sh "$WORK"
for rate in lo hi; do
  w=$WORK/$rate
  E="tokenize eval --data fashion-mnist --n $N_EVAL --seed 0"
  measure "$rate-1a" $E -m "$w-1a.safetensors"
  measure "$rate-1a-rho1" $E -m "$w-1a.safetensors" --rho 1
  measure "$rate-1b" $E -m "$w-1b-best.safetensors"
  measure "$rate-1b-rho1" $E -m "$w-1b-best.safetensors" --rho 1
  measure "$rate-one-1" $E -m "$w-one.safetensors" --steps 1
  measure "$rate-one-2" $E -m "$w-one.safetensors" --steps 2
  measure "$rate-euler-1" $E -m "$w-1b-best.safetensors" --steps 1
  measure "$rate-ae" $E -m "$w-ae.safetensors"
  measure "$rate-kmeans" $E --baseline kmeans --bits $rate --train-n 5000
  for steps in 1 0; do
    [ -s "$WORK/$rate-gen-$steps.json" ] && continue
    line=$(run "$CLI" tokenize generate -m "$w-one.safetensors" --generator "$w-gen.safetensors" --class all \
      --n "$N_GEN" --steps $steps --seed 0 --fd 10000 -o "$w-gen-$steps.png" --overwrite)
    echo "{\"row\":\"$rate-gen-$steps\",${line#\{}" > "$WORK/$rate-gen-$steps.json"
  done
done
measure mean tokenize eval --data fashion-mnist --n "$N_EVAL" --baseline mean --train-n 5000
measure jpeg tokenize eval --data fashion-mnist --n "$N_CODEC" --baseline jpeg
measure webp tokenize eval --data fashion-mnist --n "$N_CODEC" --baseline webp

BUDGET="STEPS_1A=$STEPS_1A STEPS_1B=$STEPS_1B STEPS_ONE=$STEPS_ONE STEPS_AE=$STEPS_AE STEPS_GEN=$STEPS_GEN BATCH=$BATCH N_EVAL=$N_EVAL" \
WORK="$WORK" N_GEN="$N_GEN" exec /usr/bin/python3 scripts/tokenizer_results.py
