#!/usr/bin/env bash
# Trains issue 18's FlowMo tokenizers on Fashion-MNIST (28 x 28) at both bit rates (Lo 55 bits, Hi 176 bits),
# each with everything that goes with it: stage 1A (mode matching), stage 1B (mode seeking, the checkpoint of
# lowest held-out FD kept as RATE-1b-best), the one-step decoder distilled from RATE-1b-best, the
# deterministic-autoencoder baseline at the same bits, and the stage-2 code generator of the distilled
# tokenizer's codes. One command, resumable: run it again after an interruption (Ctrl-C saves a checkpoint)
# and the stage that was running continues from its checkpoint; finished stages (RATE-*.safetensors.done)
# are skipped. scripts/make-tokenizer-results.sh trains through this script at its small budget and then
# measures; pointed at the same WORK it measures what this script trained.
# Usage: scripts/train-tokenizers.sh [work-dir]   (default: $WORK, else build/tokenizer-full)
#
# The default budget is the full run. Seconds per step measured here on 2 December 2026 (2 cores shared
# with four other sessions, one thread, fp32, the sizes below; each stage's CSV `seconds` over 20 steps at
# both rates), and what the default steps then take per bit rate on that loaded machine (an idle one is
# about 3x faster: 1A ran at 0.25 s/step unloaded last session):
#   1A              batch 32                 0.69-0.81 s/step x 20,000 steps = about 4.2 h
#   1B              batch 16, 8-step chain   1.8 s/step (last session, 2,000 steps) x 2,000 = about 1 h, and 3
#                   held-out selections of 300 images (about 30 s each; 20 images took 2 s here)
#   one-step        batch 32, distillation   0.62-0.80 s/step x 5,000 steps = about 1 h
#   autoencoder     batch 32                 0.64-0.70 s/step x 20,000 steps = about 3.7 h
#   code generator  batch 128                0.049 s/step x 20,000 steps = about 16 min, after 40 s encoding
#                                            its 20,000 training images
# So about 10 h per rate, 20 h for both, at one thread beside other work. The tiny run that proved this
# script (20 steps a stage, both rates, and a stopped-and-resumed 1A) took 4.5 min.
# Each stage prints its seconds when it ends; each CSV log (OUT.csv) has the run's total in `seconds`.
#
# Environment: STEPS_1A STEPS_1B STEPS_ONE STEPS_AE STEPS_GEN (steps per stage), BATCH, N_SELECT (1B's
# selection images, from test image 9000), RATES (default "lo hi"), THREADS, WORK, CMSTUDIO_CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
CLI=${CMSTUDIO_CLI:-build/app/cmstudio-cli}
WORK=${1:-${WORK:-build/tokenizer-full}}
STEPS_1A=${STEPS_1A:-20000}
STEPS_1B=${STEPS_1B:-2000}
STEPS_ONE=${STEPS_ONE:-5000}
STEPS_AE=${STEPS_AE:-20000}
STEPS_GEN=${STEPS_GEN:-20000}
BATCH=${BATCH:-32}
N_SELECT=${N_SELECT:-300}
RATES=${RATES:-lo hi}
THREADS=${THREADS:-1}
SIZES="--encoder-width 48 --encoder-depth 2 --decoder-width 64 --decoder-depth 3 --heads 4 --patch 4"
export CMSTUDIO_PRECISION=${CMSTUDIO_PRECISION:-fp32}
mkdir -p "$WORK"
[ -x "$CLI" ] || { echo "build the CLI first (scripts/build.sh)" >&2; exit 1; }

run() { echo "+ $*" >&2; nice -n 10 "$@"; }
# train NAME OUT ARGS...: trains unless OUT is done (an interrupted run resumes from its checkpoint).
train() {
  local name=$1 out=$2; shift 2
  if [ -f "$out.done" ]; then echo "$name: done, skipped" >&2; return 0; fi
  local start=$SECONDS
  if [ -f "$out.ckpt" ]; then run "$CLI" "$@" -o "$out" --resume; else run "$CLI" "$@" -o "$out" --overwrite; fi
  touch "$out.done"
  echo "$name: $((SECONDS - start)) s this run (OUT.csv's seconds column has the whole run)" >&2
}
# A checkpoint about every tenth of a stage (at least every step, at most every 500).
every() { local n=$(( $1 / 10 )); [ "$n" -lt 1 ] && n=1; [ "$n" -gt 500 ] && n=500; echo "$n"; }

COMMON="--data fashion-mnist --batch $BATCH --lr 1e-3 --ema 0.999 --threads $THREADS --seed 0"
for rate in $RATES; do
  w=$WORK/$rate
  train "$rate 1A" "$w-1a.safetensors" train-tokenizer $COMMON --bits "$rate" --stage 1a $SIZES \
    --steps "$STEPS_1A" --checkpoint-every "$(every "$STEPS_1A")" --log-every 20
  # Three held-out selections over stage 1B.
  select=$(( STEPS_1B / 3 > 0 ? STEPS_1B / 3 : 1 ))
  train "$rate 1B" "$w-1b.safetensors" train-tokenizer --data fashion-mnist --batch 16 --lr 5e-4 --ema 0.99 \
    --threads "$THREADS" --seed 0 --stage 1b --init "$w-1a.safetensors" --steps "$STEPS_1B" \
    --checkpoint-every "$select" --log-every 5 --select-best "$w-1b-best.safetensors" --select-n "$N_SELECT" \
    --select-first 9000
  train "$rate one-step" "$w-one.safetensors" train-tokenizer --data fashion-mnist --batch "$BATCH" --lr 2e-4 \
    --ema 0.99 --threads "$THREADS" --seed 0 --stage one-step --init "$w-1b-best.safetensors" \
    --steps "$STEPS_ONE" --checkpoint-every "$(every "$STEPS_ONE")" --log-every 10
  # The baseline trains in one go (it has no checkpoint to resume from): a stopped run starts it again.
  train "$rate autoencoder" "$w-ae.safetensors" train-tokenizer $COMMON --bits "$rate" --stage autoencoder $SIZES \
    --steps "$STEPS_AE" --checkpoint-every "$(every "$STEPS_AE")" --log-every 20
  train "$rate code generator" "$w-gen.safetensors" train-code-generator -m "$w-one.safetensors" \
    --data fashion-mnist --limit 20000 --steps "$STEPS_GEN" --threads "$THREADS" --seed 0 \
    --checkpoint-every "$(every "$STEPS_GEN")"
done
echo "trained in $WORK: RATE-1a, RATE-1b-best, RATE-one (the distilled decoder), RATE-ae, RATE-gen" >&2
