#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/fuzz_<name>.cpp; clang, ASan + UBSan) and runs each for SECONDS (default
# 60) on a copy of its seed corpus fuzz/corpus/<name>/, with fuzz/<name>.dict when there is one. Fails on any
# crash, sanitizer report, leak, timeout or out-of-memory; the input that did it, and each target's log, are
# kept in $CMSTUDIO_FUZZ_ARTIFACTS (default build-fuzz/artifacts). A longer campaign: scripts/fuzz.sh 600.
# CMSTUDIO_FUZZ_SEED fixes libFuzzer's seed (scripts/test.sh sets 1 so that CI retraces the same mutations
# from run to run); unset or 0, every run explores new ones. A crash it finds goes into fuzz/corpus/<name>/.
#   usage: scripts/fuzz.sh [SECONDS] [NAME...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
build=${CMSTUDIO_FUZZ_BUILD:-build-fuzz}
artifacts=${CMSTUDIO_FUZZ_ARTIFACTS:-$build/artifacts}

CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMSTUDIO_FUZZ=ON \
  -DCMSTUDIO_BUILD_TESTS=OFF >/dev/null
cmake --build "$build"

names=("$@")
if ((${#names[@]} == 0)); then
  for source in fuzz/fuzz_*.cpp; do
    name=$(basename "$source" .cpp)
    names+=("${name#fuzz_}")
  done
fi

mkdir -p "$artifacts"
artifacts=$(cd "$artifacts" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
for name in "${names[@]}"; do
  binary="$PWD/$build/fuzz/fuzz_$name"
  [[ -x $binary ]] || { echo "fuzz.sh: no target fuzz_$name" >&2; exit 2; }
  corpus="$work/$name"
  mkdir -p "$corpus"
  [[ -d fuzz/corpus/$name ]] && cp -R "fuzz/corpus/$name/." "$corpus/"
  options=(-max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1
           -artifact_prefix="$artifacts/$name-")
  [[ -f fuzz/$name.dict ]] && options+=(-dict="$PWD/fuzz/$name.dict")
  [[ -n ${CMSTUDIO_FUZZ_SEED:-} ]] && options+=(-seed="$CMSTUDIO_FUZZ_SEED")
  echo "== fuzz_$name: $seconds s from $(find "$corpus" -type f | wc -l) seed(s)"
  log="$artifacts/$name.log"
  if (cd "$work" && "$binary" "${options[@]}" "$corpus" >"$log" 2>&1); then
    grep -E "^#[0-9]+.*(INITED|DONE)" "$log" || tail -1 "$log"
  else
    echo "fuzz_$name FAILED; the input and the log are in $artifacts/:" >&2
    grep -E -A25 "ERROR: |runtime error|deadly signal|out-of-memory|timeout" "$log" | head -60 >&2 || tail -40 "$log" >&2
    failed+=("$name")
  fi
done
if ((${#failed[@]})); then
  echo "fuzz.sh: ${#failed[@]} target(s) failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: ${#names[@]} target(s), $seconds s each, no crash"
