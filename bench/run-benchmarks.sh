#!/usr/bin/env bash
# Times one evaluation of the default-size UNet (28x28x1 and 32x32x3, batch 1 and 64) in CM Studio's
# engine (bench_network) and in plain PyTorch from Debian's python3-torch (pytorch_reference.py),
# after checking that both compute the same outputs (max |difference| <= 1e-4), and prints a table.
# Then times one iCT training step (batch 64, the CLI's default network, class-conditional, Fashion-MNIST)
# of the engine's trainer (bench_training) and of the same step in plain PyTorch
# (pytorch_training_reference.py, same initial weights and random draws), and prints a second table.
# Both sides in float32 (the engine with --precision fp32); bench/run-speed-bench.sh compares bfloat16.
#
# Usage: bench/run-benchmarks.sh [--threads N] [--rounds R] [--wait-policy passive|active|default]
#                                [--training-only | --no-training] [--train-steps N] [--no-build] [OUT_DIR]
#   --threads N      threads for both (default: the engine's default, one per hardware core, for the
#                    network section; 2 for the training section)
#   --rounds R       repeat the C++/Python alternation R times (default 3); the table shows the
#                    median over rounds of each round's median, the minimum over all runs, and
#                    the C++/Python ratio of every round
#   --wait-policy P  OMP_WAIT_POLICY for both sides (default: passive, or OMP_WAIT_POLICY if set;
#                    "default" leaves it unset, i.e. libgomp's spin-then-sleep, as the app runs today)
#   --training-only  only the training section; --no-training: only the network section
#   --train-steps N  timed training steps per run (default 15, after 3 warm-up steps)
#   --no-build       use the benchmark programs already in BUILD_DIR (e.g. while another build runs there)
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
# Exit status: 0 when the outputs agree (whether or not the speed aim is met), 1 when they do not
# (network outputs, or the training losses of the two sides), 2 for a build or usage error.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${BUILD_DIR:-$root/build}
python=${PYTHON:-/usr/bin/python3}
threads=()
rounds=3
out=""
policy=${OMP_WAIT_POLICY:-passive}
network=1
training=1
train_steps=()
build_first=1
while (($#)); do
    case $1 in
        --threads) [[ $# -ge 2 ]] || { echo "run-benchmarks: --threads needs a number" >&2; exit 2; }
                   threads=(--threads "$2"); shift 2 ;;
        --rounds) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || { echo "run-benchmarks: --rounds needs a positive number" >&2; exit 2; }
                  rounds=$2; shift 2 ;;
        --wait-policy) [[ $# -ge 2 ]] || { echo "run-benchmarks: --wait-policy needs a value" >&2; exit 2; }
                       policy=$2; shift 2 ;;
        --no-build) build_first=0; shift ;;
        --training-only) network=0; training=1; shift ;;
        --no-training) training=0; network=1; shift ;;
        --train-steps) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || { echo "run-benchmarks: --train-steps needs a positive number" >&2; exit 2; }
                       train_steps=(--steps "$2"); shift 2 ;;
        -h|--help) sed -n '2,32p' "$0"; exit 0 ;;
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

# Build bench_network and/or bench_training (configuring with the benchmarks switched on if they are not);
# output only on failure.
targets=()
((network)) && targets+=(bench_network)
((training)) && targets+=(bench_training)
if ((build_first)); then
    buildlog=$(mktemp)
    trap 'rm -f "$buildlog"' EXIT
    if [[ ! -f $build/CMakeCache.txt ]] || ! grep -q '^CMSTUDIO_BUILD_BENCH:BOOL=ON' "$build/CMakeCache.txt"; then
        cmake -S "$root" -B "$build" -DCMSTUDIO_BUILD_BENCH=ON >"$buildlog" 2>&1 ||
            { cat "$buildlog" >&2; echo "run-benchmarks: configuring $build failed" >&2; exit 2; }
    fi
    for target in "${targets[@]}"; do
        cmake --build "$build" --target "$target" >"$buildlog" 2>&1 ||
            { cat "$buildlog" >&2; echo "run-benchmarks: building $target failed" >&2; exit 2; }
    done
else
    for target in "${targets[@]}"; do
        [[ -x $build/bench/$target ]] ||
            { echo "run-benchmarks: --no-build, but $build/bench/$target does not exist" >&2; exit 2; }
    done
fi

mkdir -p "$out"
status=0
if ((network)); then
    log=$out/results.txt
    : >"$log"
    start=$SECONDS
    for ((round = 1; round <= rounds; ++round)); do
        for config in "${configs[@]}"; do
            echo "# round $round/$rounds: $config"
            "$build/bench/bench_network" "$out" --config "$config" --precision fp32 "${threads[@]}" | tee -a "$log" ||
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
fi

if ((training)); then
    # One iCT training step, batch 64: the engine's trainer, then the same step in plain PyTorch from the
    # same initial weights (bench_training writes them) and the same random draws, alternately.
    tlog=$out/training-results.txt
    : >"$tlog"
    start=$SECONDS
    for ((round = 1; round <= rounds; ++round)); do
        echo "# round $round/$rounds: training (ict, batch 64, 28x28x1)"
        CMSTUDIO_PRECISION=fp32 "$build/bench/bench_training" "$out" "${threads[@]}" "${train_steps[@]}" | tee -a "$tlog" ||
            { echo "run-benchmarks: bench_training failed" >&2; exit 2; }
        "$python" "$root/bench/pytorch_training_reference.py" "$out" | tee -a "$tlog" ||
            { echo "run-benchmarks: pytorch_training_reference.py failed" >&2; exit 2; }
    done

    echo
    set +e
    awk -v elapsed=$((SECONDS - start)) -v policy="${OMP_WAIT_POLICY:-unset (libgomp default)}" '
        function field(name,   i) { for (i = 3; i <= NF; ++i) if (index($i, name "=") == 1) return substr($i, length(name) + 2); return "" }
        function median(side,   i, j, t, v, m) {
            m = cnt[side]
            for (i = 1; i <= m; ++i) v[i] = med[side, i] + 0
            for (i = 2; i <= m; ++i) for (j = i; j > 1 && v[j - 1] > v[j]; --j) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
            return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
        }
        function reldiff(a, b) { a += 0; b += 0; return (a > b ? a - b : b - a) / (b < 0 ? -b : b) }
        $1 == "engine" || $1 == "python" {
            c = ++cnt[$1]
            med[$1, c] = field("median_ms")
            if (c == 1 || field("min_ms") + 0 < mn[$1]) mn[$1] = field("min_ms") + 0
            thr[$1] = field("threads"); steps[$1] = field("steps"); warm[$1] = field("warmup")
            params[$1] = field("params"); grid[$1] = field("N")
            first[$1, c] = field("loss_first"); last[$1, c] = field("loss_last")
        }
        END {
            if (!cnt["engine"] || !cnt["python"]) { print "training: a side did not run"; exit 1 }
            me = median("engine"); mp = median("python")
            r = me / mp; rmin = mn["engine"] / mn["python"]
            per = ""; worstFirst = 0; worstLast = 0
            for (j = 1; j <= cnt["engine"] && j <= cnt["python"]; ++j) {
                per = per sprintf("%s%.2f", j > 1 ? " " : "", med["engine", j] / med["python", j])
                d = reldiff(first["python", j], first["engine", j]); if (d > worstFirst) worstFirst = d
                d = reldiff(last["python", j], last["engine", j]); if (d > worstLast) worstLast = d
            }
            printf "%-34s  %22s  %22s  %8s  %7s  %s\n", "training step", "engine ms median/min",
                   "python ms median/min", "eng/py", "(min)", "eng/py per round"
            printf "%-34s  %10.1f / %9.1f  %10.1f / %9.1f  %8.3f  %7.3f  %s\n",
                   "ict batch=64 28x28x1 N=" grid["engine"], me, mn["engine"], mp, mn["python"], r, rmin, per
            printf "threads: engine %s, python %s; OMP_WAIT_POLICY: %s; rounds: %d; steps per run: %s timed after %s warm-up; params: %s; total time %d s\n",
                   thr["engine"], thr["python"], policy, cnt["engine"], steps["engine"], warm["engine"], params["engine"], elapsed
            # Same weights and random draws: the first step loss must agree to rounding; later steps drift
            # (float summation order, and torch.optim.RAdam applies eps after the bias correction).
            ok = worstFirst <= 1e-5 && worstLast <= 1e-2
            printf "losses: max relative |engine - python| first step %.2e (<= 1e-5), last step %.2e (<= 1e-2): %s\n",
                   worstFirst, worstLast, ok ? "ok" : "FAILED"
            if (r <= 1) print "aim (engine training step no slower than plain PyTorch, by median): MET"
            else printf "aim (engine training step no slower than plain PyTorch, by median): NOT MET -- engine/python %.3f\n", r
            exit ok ? 0 : 1
        }' "$tlog" | tee "$out/training-table.txt"
    rc=${PIPESTATUS[0]}
    set -e
    if ((rc != 0)); then
        echo "run-benchmarks: the training losses of the engine and PyTorch DISAGREE, or a side did not run" >&2
        status=1
    fi
fi

exit $status
