#!/usr/bin/env bash
# The limit and the peer, side by side in one run (issue 14): this machine's measured peak, then per-image
# times of the engine in bfloat16 and in float32 (today's path) beside the same network in plain PyTorch
# with its best settings here (channels-last + torch.autocast("cpu", torch.bfloat16), float32 GroupNorm)
# and in plain float32, for the default UNet (28x28x1, 32x32x3; batch 1 and 64), optionally the ADM
# ImageNet 64 network (random weights, one-step sampling), and the iCT training step (batch 64).
#
# usage: bench/run-speed-bench.sh [--adm] [--no-training] [--training-only] [--threads N] [OUT_DIR]
#   --adm            also ImageNet 64 (writes a 1.2 GB .pt into OUT_DIR first; batches ADM_BATCHES, default 1)
#   --no-training    skip the training rows
#   --training-only  only the training rows (no peak, no sampling rows); TRAIN_STEPS timed steps (default 6)
# Environment: BUILD_DIR (default <repo>/build, configured with the benchmarks), PYTHON (/usr/bin/python3).
# Every program runs in its own process with OMP_WAIT_POLICY=PASSIVE and the same thread count; the
# machine is shared, so compare the ratios of one run (each side alternates with the other).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build}
python=${PYTHON:-/usr/bin/python3}
threads=2
adm=0
training=1
networks=1
out=""
while (($#)); do
    case $1 in
        --adm) adm=1; shift ;;
        --no-training) training=0; shift ;;
        --training-only) networks=0; adm=0; shift ;;
        --threads) threads=$2; shift 2 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        -*) echo "run-speed-bench: unknown option $1" >&2; exit 2 ;;
        *) out=$1; shift ;;
    esac
done
out=${out:-$build/speed-bench}
mkdir -p "$out"
export OMP_WAIT_POLICY=PASSIVE
log=$out/speed.log
: >"$log"

((networks)) && "$python" "$root/bench/peak_throughput.py" --threads "$threads" | tee -a "$log"
((networks)) && for config in 28x28x1 32x32x3; do
    for precision in bf16 fp32; do
        "$build/bench/bench_network" "$out" --config "$config" --threads "$threads" --precision "$precision" | tee -a "$log"
        flag=()
        [[ $precision == bf16 ]] && flag=(--bf16)
        "$python" "$root/bench/pytorch_reference.py" "$out" --config "$config" --threads "$threads" "${flag[@]}" | tee -a "$log"
    done
done
if ((adm)); then
    name=cd_imagenet64_l2
    [ -f "$out/$name.pt" ] || "$python" "$root/tests/published/adm_twin.py" "$out" --config imagenet64 --name "$name" \
        --batch 1 --sigmas 80 --skip-diffusers >&2
    for precision in bf16 fp32; do
        "$build/bench/bench_published" "$out/$name.pt" --batches "${ADM_BATCHES:-1}" --runs 3 --threads "$threads" \
            --precision "$precision" | tee -a "$log"
        flag=()
        [[ $precision == bf16 ]] && flag=(--bf16)
        "$python" "$root/tests/published/adm_twin.py" "$out" --config imagenet64 --bench "$out/$name.pt" \
            --batches "${ADM_BATCHES:-1}" --runs 3 --threads "$threads" "${flag[@]}" | tee -a "$log"
    done
fi
if ((training)); then
    for precision in bf16 fp32; do
        CMSTUDIO_PRECISION=$precision "$build/bench/bench_training" "$out" --threads "$threads" --steps "${TRAIN_STEPS:-6}" --warmup 2 |
            sed "s/\$/ precision=$precision/" | tee -a "$log"
        flag=()
        [[ $precision == bf16 ]] && flag=(--bf16)
        "$python" "$root/bench/pytorch_training_reference.py" "$out" --threads "$threads" --steps "${TRAIN_STEPS:-6}" --warmup 2 "${flag[@]}" |
            sed "s/^python-bf16 /python /; s/\$/ precision=$precision/" | tee -a "$log"
    done
fi

echo
awk -f - "$log" <<'AWK'
function field(line, key,   i, n, kv) { n = split(line, parts, " ")
    for (i = 1; i <= n; ++i) { split(parts[i], kv, "="); if (kv[1] == key) return kv[2] } return "" }
/^peak bf16/ { peak = field($0, "gflops") }
/^peak fp32/ { peak32 = field($0, "gflops") }
/^(cpp|python) / && / batch=/ && !/ ict / {
    side = $1; net = $2; batch = field($0, "batch"); p = field($0, "precision")
    key = net " " batch
    if (!(key in seen)) { seen[key] = 1; order[++rows] = key }
    if (field($0, "median_ms") != "") t = field($0, "median_ms") / batch
    else t = 1000 * field($0, "median_s_per_image")
    ms[side, p, key] = t
    if (field($0, "gflop_per_image") != "") flop[net] = field($0, "gflop_per_image")
}
/ ict / { ms[$1, field($0, "precision"), "ict"] = field($0, "median_ms"); train = 1 }
END {
    if (rows) printf "measured peak: bf16 %s GFLOP/s, fp32 %s GFLOP/s\n\n", peak, peak32
    if (rows) print "| network | batch | engine bf16 ms/image | PyTorch bf16 ms/image | engine / PyTorch | engine GFLOP/s | of bf16 peak | engine fp32 ms/image | PyTorch fp32 ms/image | bf16 speed-up over fp32 |"
    if (rows) print "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for (r = 1; r <= rows; ++r) {
        key = order[r]; split(key, kp, " "); e = ms["cpp", "bf16", key]; q = ms["python", "bf16", key]
        g = (e > 0 && flop[kp[1]] != "") ? flop[kp[1]] / (e / 1000) : 0
        printf "| %s | %s | %.2f | %.2f | %.2f | %.0f | %.0f%% | %.2f | %.2f | %.2fx |\n", kp[1], kp[2], e, q,
               (q > 0 ? e / q : 0), g, (peak > 0 ? 100 * g / peak : 0), ms["cpp", "fp32", key],
               ms["python", "fp32", key], (e > 0 ? ms["cpp", "fp32", key] / e : 0)
    }
    if (train) {
        print ""
        print "| iCT step, batch 64 | engine bf16 ms | PyTorch bf16 ms | engine / PyTorch | engine fp32 ms | PyTorch fp32 ms | bf16 speed-up |"
        print "|---|---:|---:|---:|---:|---:|---:|"
        e = ms["engine", "bf16", "ict"]; q = ms["python", "bf16", "ict"]
        printf "| median step | %.0f | %.0f | %.2f | %.0f | %.0f | %.2fx |\n", e, q, (q > 0 ? e / q : 0),
               ms["engine", "fp32", "ict"], ms["python", "fp32", "ict"], (e > 0 ? ms["engine", "fp32", "ict"] / e : 0)
    }
}
AWK
