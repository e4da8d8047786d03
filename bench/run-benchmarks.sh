#!/usr/bin/env bash
# Times one evaluation of the default-size UNet (28x28x1 and 32x32x3, batch 1 and 64) in CM Studio's
# engine (bench_network) and in plain PyTorch from Debian's python3-torch (pytorch_reference.py),
# after checking that both compute the same outputs (max |difference| <= 1e-4), and prints a table.
#
# Usage: bench/run-benchmarks.sh [--threads N] [--rounds R] [--wait-policy passive|active|default] [OUT_DIR]
#   --threads N      threads for both (default: the engine's default, one per hardware core)
#   --rounds R       repeat the C++/Python alternation R times (default 3); the table shows the
#                    median over rounds of each round's median, the minimum over all runs, and
#                    the C++/Python ratio of every round
#   --wait-policy P  OMP_WAIT_POLICY for both sides (default: passive, or OMP_WAIT_POLICY if set;
#                    "default" leaves it unset, i.e. libgomp's spin-then-sleep, as the app runs today)
#   OUT_DIR          weights, inputs, outputs and logs (default: BUILD_DIR/bench-out)
# Environment: BUILD_DIR (default <repo>/build), PYTHON (default /usr/bin/python3: it needs torch).
#
# Both sides use the same LibTorch and libgomp. With libgomp's default spinning barriers and more
# threads than idle cores (e.g. 2 threads while a training run keeps one of 2 cores busy), one
# evaluation becomes 5-60x slower and its time depends on scheduling luck, which says nothing about
# either implementation: hence the passive wait policy by default, for both sides alike.
# The two sides run alternately, one configuration at a time and for several rounds, so that load
# from other processes falls on both. Timings are medians (and minimums) over repeated runs; on a busy machine they are
# still noisy.
# Exit status: 0 when the outputs agree (whether or not the speed aim is met), 1 when they do not,
# 2 for a build or usage error.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build}
python=${PYTHON:-/usr/bin/python3}
threads=()
rounds=3
out=""
policy=${OMP_WAIT_POLICY:-passive}
while (($#)); do
    case $1 in
        --threads) [[ $# -ge 2 ]] || { echo "run-benchmarks: --threads needs a number" >&2; exit 2; }
                   threads=(--threads "$2"); shift 2 ;;
        --rounds) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || { echo "run-benchmarks: --rounds needs a positive number" >&2; exit 2; }
                  rounds=$2; shift 2 ;;
        --wait-policy) [[ $# -ge 2 ]] || { echo "run-benchmarks: --wait-policy needs a value" >&2; exit 2; }
                       policy=$2; shift 2 ;;
        -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
        -*) echo "run-benchmarks: unknown option $1" >&2; exit 2 ;;
        *) out=$1; shift ;;
    esac
done
out=${out:-$build/bench-out}
case ${policy,,} in
    passive|active) export OMP_WAIT_POLICY=${policy^^} ;;
    default) unset OMP_WAIT_POLICY ;;
    *) echo "run-benchmarks: --wait-policy must be passive, active or default" >&2; exit 2 ;;
esac
configs=(28x28x1 32x32x3)

if ! "$python" -c 'import torch, numpy' 2>/dev/null; then
    echo "run-benchmarks: $python cannot import torch and numpy (install python3-torch python3-numpy)" >&2
    exit 2
fi

# Build bench_network (configuring with the benchmarks switched on if they are not); output only on failure.
buildlog=$(mktemp)
trap 'rm -f "$buildlog"' EXIT
if [[ ! -f $build/CMakeCache.txt ]] || ! grep -q '^CMSTUDIO_BUILD_BENCH:BOOL=ON' "$build/CMakeCache.txt"; then
    cmake -S "$root" -B "$build" -DCMSTUDIO_BUILD_BENCH=ON >"$buildlog" 2>&1 ||
        { cat "$buildlog" >&2; echo "run-benchmarks: configuring $build failed" >&2; exit 2; }
fi
cmake --build "$build" --target bench_network >"$buildlog" 2>&1 ||
    { cat "$buildlog" >&2; echo "run-benchmarks: building bench_network failed" >&2; exit 2; }

mkdir -p "$out"
log=$out/results.txt
: >"$log"
status=0
start=$SECONDS
for ((round = 1; round <= rounds; ++round)); do
    for config in "${configs[@]}"; do
        echo "# round $round/$rounds: $config"
        "$build/bench/bench_network" "$out" --config "$config" "${threads[@]}" | tee -a "$log" ||
            { echo "run-benchmarks: bench_network failed on $config" >&2; exit 2; }
        set +e
        "$python" "$root/bench/pytorch_reference.py" "$out" --config "$config" "${threads[@]}" | tee -a "$log"
        rc=${PIPESTATUS[0]}
        set -e
        if ((rc == 1)); then
            echo "run-benchmarks: $config: C++ and PyTorch outputs DISAGREE (see the check lines above)" >&2
            status=1
        elif ((rc != 0)); then
            echo "run-benchmarks: pytorch_reference.py failed on $config (exit $rc)" >&2
            exit 2
        fi
    done
done

echo
awk -v elapsed=$((SECONDS - start)) -v policy="${OMP_WAIT_POLICY:-unset (libgomp default)}" '
    function field(name,   i) { for (i = 3; i <= NF; ++i) if (index($i, name "=") == 1) return substr($i, length(name) + 2); return "" }
    function median(side, key,   i, j, t, v, m) {
        m = cnt[side, key]
        for (i = 1; i <= m; ++i) v[i] = med[side, key, i] + 0
        for (i = 2; i <= m; ++i) for (j = i; j > 1 && v[j - 1] > v[j]; --j) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
        return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
    }
    $1 == "cpp" || $1 == "python" {
        key = $2 SUBSEP field("batch")
        if (!(key in seen)) { seen[key] = 1; order[++n] = key }
        c = ++cnt[$1, key]
        med[$1, key, c] = field("median_ms")
        if (c == 1 || field("min_ms") + 0 < mn[$1, key]) mn[$1, key] = field("min_ms") + 0
        thr[$1] = field("threads")
    }
    $1 == "check" && $NF != "ok" { failed = 1 }
    END {
        printf "%-8s %5s  %20s  %20s  %9s  %7s  %s\n", "config", "batch", "C++ ms median/min", "Python ms median/min",
               "C++/Py", "(min)", "C++/Py per round"
        aim = 1; missing = 0
        for (i = 1; i <= n; ++i) {
            key = order[i]; split(key, k, SUBSEP)
            if (!cnt["cpp", key] || !cnt["python", key]) {
                printf "%-8s %5s  %20s  %20s\n", k[1], k[2], cnt["cpp", key] ? "" : "(no result)",
                       cnt["python", key] ? "" : "(no result)"
                missing = 1; continue
            }
            mc = median("cpp", key); mp = median("python", key)
            r = mc / mp; rmin = mn["cpp", key] / mn["python", key]
            per = ""
            for (j = 1; j <= cnt["cpp", key] && j <= cnt["python", key]; ++j)
                per = per sprintf("%s%.2f", j > 1 ? " " : "", med["cpp", key, j] / med["python", key, j])
            printf "%-8s %5s  %9.2f / %8.2f  %9.2f / %8.2f  %9.3f  %7.3f  %s\n", k[1], k[2], mc, mn["cpp", key],
                   mp, mn["python", key], r, rmin, per
            if (k[2] == 1 && !(r < 1)) { aim = 0; why = why sprintf(" %s batch 1: C++ not faster (%.3f);", k[1], r) }
            if (k[2] != 1 && !(r <= 1)) { aim = 0; why = why sprintf(" %s batch %s: C++ slower (%.3f);", k[1], k[2], r) }
        }
        printf "threads: C++ %s, Python %s; OMP_WAIT_POLICY: %s; rounds: %d; total time %d s\n",
               thr["cpp"], thr["python"], policy, cnt["cpp", order[1]], elapsed
        if (failed || missing) print "agreement: FAILED (C++ and PyTorch outputs differ by more than 1e-4, or a side did not run)"
        else print "agreement: max |C++ - PyTorch| <= 1e-4 on every configuration and round"
        if (aim && !missing) print "aim (C++ faster at batch 1, no slower at batch 64, by median): MET"
        else print "aim (C++ faster at batch 1, no slower at batch 64, by median): NOT MET --" why
    }' "$log" | tee "$out/table.txt"
exit $status
