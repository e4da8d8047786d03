#!/usr/bin/env bash
# The published ADM networks on this CPU: seconds per one-step image and peak memory at batch 1 and 8,
# for the engine (bench_published) and the same network in plain PyTorch (tests/published/adm_twin.py),
# each in its own process, alternating, with random weights written in the published .pt layout.
#
# usage: bench/run-published-bench.sh [imagenet64] [lsun256]   (default: both)
# Environment: BUILD_DIR (default <repo>/build), PYTHON (default /usr/bin/python3), RUNS (default 3),
# THREADS (default 2), BATCHES (default 1,8), WORK (default a temporary folder; needs ~4 GB).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
python=${PYTHON:-/usr/bin/python3}
runs=${RUNS:-3}
threads=${THREADS:-2}
batches=${BATCHES:-1,8}
work=${WORK:-$(mktemp -d)}
configs=("$@")
((${#configs[@]})) || configs=(imagenet64 lsun256)
export OMP_WAIT_POLICY=PASSIVE # the same OpenMP setting for both sides (see README, Benchmarks)
declare -A names=([imagenet64]=cd_imagenet64_l2 [lsun256]=cd_bedroom256_l2)
log=$work/published-bench.log
: >"$log"
for config in "${configs[@]}"; do
    name=${names[$config]}
    [ -f "$work/$name.pt" ] || "$python" "$root/tests/published/adm_twin.py" "$work" --config "$config" \
        --name "$name" --batch 1 --sigmas 80 --skip-diffusers >&2
    "$build/bench/bench_published" "$work/$name.pt" --batches "$batches" --runs "$runs" --threads "$threads" | tee -a "$log"
    "$python" "$root/tests/published/adm_twin.py" "$work" --config "$config" --bench "$work/$name.pt" \
        --batches "$batches" --runs "$runs" --threads "$threads" | tee -a "$log"
done
echo
echo "| network | batch | engine s/image | PyTorch s/image | engine / PyTorch | engine peak MiB | PyTorch peak MiB |"
echo "|---|---:|---:|---:|---:|---:|---:|"
awk '
    { side = $1; key = $2 " " $3
      for (i = 4; i <= NF; ++i) { split($i, kv, "="); v[side, key, kv[1]] = kv[2] }
      keys[key] = 1 }
    END { for (k in keys) {
        split(k, parts, " "); sub("batch=", "", parts[2])
        c = v["cpp", k, "median_s_per_image"]; p = v["python", k, "median_s_per_image"]
        printf "| %s | %s | %.2f | %.2f | %.2f | %.0f | %.0f |\n", parts[1], parts[2], c, p, (p > 0 ? c / p : 0),
               v["cpp", k, "peak_rss_mib"], v["python", k, "peak_rss_mib"] } }' "$log" | sort
[ -n "${WORK:-}" ] || rm -rf "$work"
